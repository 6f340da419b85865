/* GLM estimation: OLS and AR(1) prewhitened fits, blocked over voxels
 * (bract/glm.h). */
#include "glm/glm_internal.h"

#include <ctype.h>
#include <math.h>
#include <string.h>

#include <cblas.h>
#include <omp.h>

int bract_glm_noise_parse(const char *s, bract_glm_noise *out)
{
    char b[16];
    size_t k = 0;
    for (; s[k] && k + 1 < sizeof b; k++)
        b[k] = (char)tolower((unsigned char)s[k]);
    b[k] = '\0';
    if (s[k] == '\0' && (strcmp(b, "ar1") == 0 || strcmp(b, "ar(1)") == 0))
        *out = BRACT_GLM_NOISE_AR1;
    else if (s[k] == '\0' && strcmp(b, "ols") == 0)
        *out = BRACT_GLM_NOISE_OLS;
    else
        return bract_error(BRACT_EINVAL, "unknown noise model '%s': expected ols or ar1", s);
    return BRACT_OK;
}

const char *bract_glm_noise_name(bract_glm_noise n)
{
    return n == BRACT_GLM_NOISE_OLS ? "ols" : n == BRACT_GLM_NOISE_AR1 ? "ar1" : "unknown";
}

void bract_glm_fit_opts_defaults(bract_glm_fit_opts *o)
{
    o->noise = BRACT_GLM_NOISE_AR1;
    o->ar_bins = 100;
    o->block = 0;
    o->keep_residuals = 0;
}

void bract_glm_fit_free(bract_glm_fit *f)
{
    if (!f)
        return;
    free(f->beta);
    free(f->sigma2);
    free(f->bin);
    free(f->model_bin);
    free(f->model_cov);
    free(f->voxel_model);
    free(f->resid);
    free(f->bad);
    free(f);
}

enum { DEFAULT_BLOCK = 2048 };

/* One thread's buffers, made once per fit and used by both phases. */
typedef struct {
    double *yb;  /* B x n: a block of series, then its residuals */
    double *bb;  /* B x p: the block's betas */
    double *row; /* n */
} fit_ws;

typedef struct {
    const bract_glm_design *d;
    const float *y;
    size_t ldy, nvox, n, p, B;
    int contiguous;
    const bract_progress *prog;
    fit_ws *ws;  /* one per thread */
} fit_ctx;

/* Phase 1: OLS of every block; residual sums for the AR coefficient. */
static int phase_ols(const fit_ctx *c, const double *P0, const bract_glm_fit_opts *o,
                     bract_glm_fit *f, size_t nblocks_total, size_t *done)
{
    const size_t n = c->n, p = c->p, B = c->B, nvox = c->nvox;
    const size_t nblocks = (nvox + B - 1) / B;
    const int ar = o->noise == BRACT_GLM_NOISE_AR1;
#pragma omp parallel
    {
        double *yb = c->ws[omp_get_thread_num()].yb, *bb = c->ws[omp_get_thread_num()].bb;
#pragma omp for schedule(dynamic, 1)
        for (size_t blk = 0; blk < nblocks; blk++) {
            size_t v0 = blk * B, nb = nvox - v0 < B ? nvox - v0 : B;
            for (size_t i = 0; i < nb; i++) {
                int st = bract_glmi_load_row(c->y, c->ldy, v0 + i,
                                             c->contiguous ? NULL : c->d->row_volume, n,
                                             yb + i * n);
                f->bad[v0 + i] = (unsigned char)st;
                if (st)
                    memset(yb + i * n, 0, n * sizeof *yb);
            }
            /* betas: Y P0' ; residuals: Y - B X' (in place) */
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nb, (int)p, (int)n, 1.0,
                        yb, (int)n, P0, (int)n, 0.0, bb, (int)p);
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nb, (int)n, (int)p, -1.0,
                        bb, (int)p, c->d->x, (int)p, 1.0, yb, (int)n);
            for (size_t i = 0; i < nb; i++) {
                size_t v = v0 + i;
                const double *e = yb + i * n;
                if (f->bad[v]) {
                    f->bin[v] = 0;
                    continue;
                }
                double s2 = 0, l1 = 0;
                for (size_t t = 0; t < n; t++)
                    s2 += e[t] * e[t];
                for (size_t t = 0; t + 1 < n; t++)
                    l1 += e[t] * e[t + 1];
                if (ar) {
                    double rho = s2 > 0 ? bract_glmi_yule_walker(s2, l1, n) : 0;
                    f->bin[v] = bract_glmi_ar_bin(rho, o->ar_bins);
                } else {
                    f->bin[v] = 0;
                    memcpy(f->beta + v * p, bb + i * p, p * sizeof *bb);
                    f->sigma2[v] = s2 / (double)(n - p);
                    if (f->resid)
                        for (size_t t = 0; t < n; t++)
                            f->resid[v * n + t] = (float)e[t];
                }
            }
            size_t now;
#pragma omp atomic capture
            now = ++*done;
            if (omp_get_thread_num() == 0)
                bract_progress_report(c->prog, now, nblocks_total);
        }
    }
    return BRACT_OK;
}

/* Phase 2: the whitened fits, voxels visited sorted by model. */
static int phase_ar(const fit_ctx *c, const glm_model *models, const size_t *order,
                    size_t nord, bract_glm_fit *f, size_t nblocks_total, size_t *done)
{
    const size_t n = c->n, p = c->p, B = c->B;
    const size_t nblocks = (nord + B - 1) / B;
#pragma omp parallel
    {
        fit_ws *w = &c->ws[omp_get_thread_num()];
        double *yb = w->yb, *bb = w->bb, *row = w->row;
#pragma omp for schedule(dynamic, 1)
        for (size_t blk = 0; blk < nblocks; blk++) {
            size_t k0 = blk * B, kend = nord - k0 < B ? nord : k0 + B;
            for (size_t s = k0; s < kend;) {
                size_t m = f->voxel_model[order[s]], e = s;
                while (e < kend && f->voxel_model[order[e]] == m)
                    e++;
                size_t ns = e - s;
                const glm_model *md = &models[m];
                for (size_t i = 0; i < ns; i++) {
                    bract_glmi_load_row(c->y, c->ldy, order[s + i],
                                        c->contiguous ? NULL : c->d->row_volume, n, row);
                    bract_glmi_whiten(row, n, md->rho, yb + i * n);
                }
                cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)ns, (int)p, (int)n, 1.0,
                            yb, (int)n, md->pinv, (int)n, 0.0, bb, (int)p);
                cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)ns, (int)n, (int)p,
                            -1.0, bb, (int)p, md->wx, (int)p, 1.0, yb, (int)n);
                for (size_t i = 0; i < ns; i++) {
                    size_t v = order[s + i];
                    const double *r = yb + i * n;
                    double s2 = 0;
                    for (size_t t = 0; t < n; t++)
                        s2 += r[t] * r[t];
                    memcpy(f->beta + v * p, bb + i * p, p * sizeof *bb);
                    f->sigma2[v] = s2 / (double)(n - p);
                    if (f->resid)
                        for (size_t t = 0; t < n; t++)
                            f->resid[v * n + t] = (float)r[t];
                }
                s = e;
            }
            size_t now;
#pragma omp atomic capture
            now = ++*done;
            if (omp_get_thread_num() == 0)
                bract_progress_report(c->prog, now, nblocks_total);
        }
    }
    return BRACT_OK;
}

static void ws_free(fit_ws *ws, size_t n)
{
    if (!ws)
        return;
    for (size_t i = 0; i < n; i++) {
        free(ws[i].yb);
        free(ws[i].bb);
        free(ws[i].row);
    }
    free(ws);
}

/* Everything bract_glm_fit_new holds between its stages. */
typedef struct {
    fit_ctx c;
    bract_glm_fit *f;
    double *P0;  /* p x n pseudo-inverse of the design */
    size_t nthreads;
    /* the AR bins of the good voxels */
    int bmin;
    size_t span, *count, nm;
    glm_model *models;
    size_t *order; /* good voxels sorted by model */
    size_t total, done;
} fit_run;

static void fit_run_clear(fit_run *r)
{
    ws_free(r->c.ws, r->nthreads);
    if (r->models)
        for (size_t m = 0; m < r->nm; m++)
            bract_glmi_model_clear(&r->models[m]);
    free(r->models);
    free(r->order);
    free(r->count);
    free(r->P0);
}

static int fit_check(const bract_glm_design *d, size_t ldy, const bract_glm_fit_opts *o)
{
    if (o->noise != BRACT_GLM_NOISE_AR1 && o->noise != BRACT_GLM_NOISE_OLS)
        return bract_error(BRACT_EINVAL, "unknown noise model %d", (int)o->noise);
    if (o->noise == BRACT_GLM_NOISE_AR1 && (o->ar_bins < 1 || o->ar_bins > 1000000))
        return bract_error(BRACT_EINVAL, "the AR(1) bins must be in 1..1000000 (got %d)",
                           o->ar_bins);
    if (ldy < d->nvol)
        return bract_error(BRACT_EINVAL, "voxel series of %zu values for a run of %zu volumes",
                           ldy, d->nvol);
    if (d->nrow <= d->ncol)
        return bract_error(BRACT_EDATA, "%zu rows for %zu columns: no residual dof", d->nrow,
                           d->ncol);
    return BRACT_OK;
}

/* The fit's arrays, the design's pseudo-inverse (full rank, else the
 * collinear columns are named) and one workspace per thread. */
static int fit_alloc(fit_run *r, const bract_glm_fit_opts *o)
{
    const bract_glm_design *d = r->c.d;
    const size_t n = r->c.n, p = r->c.p, nvox = r->c.nvox, B = r->c.B;
    bract_glm_fit *f = r->f = bract_xcalloc(1, sizeof *f, "a GLM fit");
    if (!f)
        return BRACT_ENOMEM;
    f->nvox = nvox;
    f->ncol = p;
    f->nrow = n;
    f->bins = o->noise == BRACT_GLM_NOISE_AR1 ? o->ar_bins : 1;
    r->P0 = bract_xmalloc(p * n, sizeof *r->P0, "a pseudo-inverse");
    f->beta = bract_glmi_big_alloc(nvox * p, sizeof *f->beta, "betas");
    f->sigma2 = bract_glmi_big_alloc(nvox, sizeof *f->sigma2, "variances");
    f->bin = bract_glmi_big_calloc(nvox, sizeof *f->bin, "AR bins");
    f->voxel_model = bract_glmi_big_calloc(nvox, sizeof *f->voxel_model, "AR models");
    f->bad = bract_glmi_big_calloc(nvox, 1, "voxel flags");
    if (o->keep_residuals)
        f->resid = bract_glmi_big_alloc(nvox * n, sizeof *f->resid, "residuals");
    if (!r->P0 || !f->beta || !f->sigma2 || !f->bin || !f->voxel_model || !f->bad ||
        (o->keep_residuals && !f->resid))
        return BRACT_ENOMEM;
    size_t rank;
    int rc = bract_glmi_pinv(d->x, n, p, r->P0, &rank, NULL, NULL);
    if (rc)
        return rc;
    if (rank < p)
        return bract_glmi_collinear_error(d->x, n, p, (const char *const *)d->name, "the GLM");
    f->dof = (double)(n - rank);
    r->c.ws = bract_xcalloc(r->nthreads, sizeof *r->c.ws, "GLM workspaces");
    for (size_t i = 0; r->c.ws && i < r->nthreads; i++) {
        r->c.ws[i].yb = bract_glmi_big_alloc(B * n, sizeof(double), "a voxel block");
        r->c.ws[i].bb = bract_glmi_big_alloc(B * p, sizeof(double), "a block of betas");
        r->c.ws[i].row = bract_xmalloc(n, sizeof(double), "a series");
        if (!r->c.ws[i].yb || !r->c.ws[i].bb || !r->c.ws[i].row) {
            ws_free(r->c.ws, r->nthreads);
            r->c.ws = NULL;
        }
    }
    return r->c.ws ? BRACT_OK : BRACT_ENOMEM;
}

/* The whitened models: one per distinct bin of the good voxels. */
static int fit_group_models(fit_run *r)
{
    bract_glm_fit *f = r->f;
    const size_t nvox = r->c.nvox, p = r->c.p;
    for (size_t v = 0; v < nvox; v++) {
        if (f->bad[v] == 1)
            f->nbad_nonfinite++;
        else if (f->bad[v] == 2)
            f->nbad_constant++;
    }
    int bmin = 0, bmax = 0;
    for (size_t v = 0; v < nvox; v++)
        if (!f->bad[v]) {
            if (f->bin[v] < bmin)
                bmin = f->bin[v];
            if (f->bin[v] > bmax)
                bmax = f->bin[v];
        }
    r->bmin = bmin;
    r->span = (size_t)(bmax - bmin) + 1;
    if (!(r->count = bract_xcalloc(r->span + 1, sizeof *r->count, "AR bins")))
        return BRACT_ENOMEM;
    for (size_t v = 0; v < nvox; v++)
        if (!f->bad[v])
            r->count[f->bin[v] - bmin]++;
    size_t nm = 0;
    for (size_t b = 0; b < r->span; b++)
        nm += r->count[b] > 0;
    if (nm == 0)
        nm = 1; /* every voxel bad: keep the OLS model for the record */
    f->nmodels = nm;
    f->model_bin = bract_xcalloc(nm, sizeof *f->model_bin, "AR models");
    f->model_cov = bract_xmalloc(nm * p * p, sizeof *f->model_cov, "covariances");
    r->models = bract_xcalloc(nm, sizeof *r->models, "AR models");
    if (r->models)
        r->nm = nm;
    size_t *bin_model = bract_xcalloc(r->span, sizeof *bin_model, "AR models");
    if (!f->model_bin || !f->model_cov || !r->models || !bin_model) {
        free(bin_model);
        return BRACT_ENOMEM;
    }
    for (size_t b = 0, m = 0; b < r->span; b++)
        if (r->count[b]) {
            bin_model[b] = m;
            f->model_bin[m++] = (int)b + bmin;
        }
    for (size_t v = 0; v < nvox; v++)
        f->voxel_model[v] = f->bad[v] ? 0 : bin_model[f->bin[v] - bmin];
    free(bin_model);
    return BRACT_OK;
}

/* AR(1): each model's whitened design, the good voxels sorted by model
 * (a stable counting sort), and the second pass. */
static int fit_ar(fit_run *r, const bract_glm_fit_opts *o)
{
    bract_glm_fit *f = r->f;
    const bract_glm_design *d = r->c.d;
    const size_t n = r->c.n, p = r->c.p, nvox = r->c.nvox, nm = r->nm;
    int *mstat = bract_xcalloc(nm, sizeof *mstat, "model status");
    if (!mstat)
        return BRACT_ENOMEM;
#pragma omp parallel for schedule(dynamic, 1)
    for (size_t m = 0; m < nm; m++)
        mstat[m] = bract_glmi_model_init(&r->models[m], d->x, n, p, f->model_bin[m], o->ar_bins);
    int rc = BRACT_OK;
    for (size_t m = 0; m < nm && !rc; m++)
        if (mstat[m])
            rc = bract_error(mstat[m], "the whitened design with rho = %g could not be "
                             "inverted", (double)f->model_bin[m] / o->ar_bins);
    free(mstat);
    if (rc)
        return rc;
    for (size_t m = 0; m < nm; m++)
        memcpy(f->model_cov + m * p * p, r->models[m].cov, p * p * sizeof *f->model_cov);
    size_t ngood = nvox - f->nbad_nonfinite - f->nbad_constant;
    if (!(r->order = bract_glmi_big_alloc(ngood ? ngood : 1, sizeof *r->order, "voxel order")))
        return BRACT_ENOMEM;
    size_t acc = 0;
    for (size_t b = 0; b < r->span; b++) {
        size_t k = r->count[b];
        r->count[b] = acc;
        acc += k;
    }
    for (size_t v = 0; v < nvox; v++)
        if (!f->bad[v])
            r->order[r->count[f->bin[v] - r->bmin]++] = v;
    return phase_ar(&r->c, r->models, r->order, ngood, f, r->total, &r->done);
}

/* Left-out voxels hold NaN, and a warning counts them. */
static void fit_mark_bad(bract_glm_fit *f)
{
    const size_t p = f->ncol, n = f->nrow;
    for (size_t v = 0; v < f->nvox; v++)
        if (f->bad[v]) {
            for (size_t j = 0; j < p; j++)
                f->beta[v * p + j] = NAN;
            f->sigma2[v] = NAN;
            if (f->resid)
                for (size_t t = 0; t < n; t++)
                    f->resid[v * n + t] = NAN;
        }
    if (f->nbad_nonfinite || f->nbad_constant)
        bract_warn("%zu voxel%s left out of the GLM: %zu with a non-finite value, %zu constant "
                   "over the run", f->nbad_nonfinite + f->nbad_constant,
                   f->nbad_nonfinite + f->nbad_constant == 1 ? "" : "s", f->nbad_nonfinite,
                   f->nbad_constant);
}

int bract_glm_fit_new(const bract_glm_design *d, const float *y, size_t ldy, size_t nvox,
                      const bract_glm_fit_opts *o, const bract_progress *prog,
                      bract_glm_fit **out)
{
    *out = NULL;
    int rc = fit_check(d, ldy, o);
    if (rc)
        return rc;
    const size_t n = d->nrow, p = d->ncol;
    /* a block never larger than the voxels: small fits (one region, a
     * simulation) then allocate and touch only what they use; with one
     * block either way the results are the same */
    size_t B = o->block ? o->block : DEFAULT_BLOCK;
    if (B > nvox)
        B = nvox ? nvox : 1;
    int contiguous = n == d->nvol;
    for (size_t r = 0; r < n && contiguous; r++)
        contiguous = d->row_volume[r] == r;
    fit_run r = {.c = {d, y, ldy, nvox, n, p, B, contiguous, prog, NULL},
                 .nthreads = (size_t)omp_get_max_threads()};
    if ((rc = fit_alloc(&r, o)))
        goto fail;
    const int ar = o->noise == BRACT_GLM_NOISE_AR1;
    size_t nb1 = (nvox + B - 1) / B;
    r.total = ar ? 2 * nb1 : nb1;
    bract_progress_report(prog, 0, r.total);
    if ((rc = phase_ols(&r.c, r.P0, o, r.f, r.total, &r.done)) || (rc = fit_group_models(&r)))
        goto fail;
    if (!ar)
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)p, (int)p, (int)n, 1.0, r.P0,
                    (int)n, r.P0, (int)n, 0.0, r.f->model_cov, (int)p);
    else if ((rc = fit_ar(&r, o)))
        goto fail;
    fit_mark_bad(r.f);
    bract_progress_report(prog, r.total, r.total);
    *out = r.f;
    r.f = NULL;
fail:
    fit_run_clear(&r);
    bract_glm_fit_free(r.f);
    return rc;
}
