/* Single-trial betas with per-voxel HRFs, noise components and ridge
 * regularisation, and the diagnostics of each step (bract/single.h). */
#include "glm/single_internal.h"

#include <ctype.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#include <lapacke.h>
#include <omp.h>

#include "bract/glmdenoise.h"
#include "bract/hrflib.h"
#include "bract/stats.h"

/* ---- names and options ---- */

int bract_single_ridge_parse(const char *s, bract_single_ridge *out)
{
    char b[8];
    size_t k = 0;
    for (; s[k] && k + 1 < sizeof b; k++)
        b[k] = (char)tolower((unsigned char)s[k]);
    b[k] = '\0';
    if (s[k] == '\0' && strcmp(b, "none") == 0)
        *out = BRACT_SINGLE_RIDGE_NONE;
    else if (s[k] == '\0' && strcmp(b, "auto") == 0)
        *out = BRACT_SINGLE_RIDGE_AUTO;
    else
        return bract_error(BRACT_EINVAL, "unknown ridge mode '%s': expected auto or none", s);
    return BRACT_OK;
}

const char *bract_single_ridge_name(bract_single_ridge r)
{
    return r == BRACT_SINGLE_RIDGE_NONE   ? "none"
           : r == BRACT_SINGLE_RIDGE_AUTO ? "auto"
                                          : "unknown";
}

int bract_single_pcs_parse(const char *s, int *out)
{
    if (strcmp(s, "auto") == 0 || strcmp(s, "AUTO") == 0) {
        *out = BRACT_SINGLE_PCS_AUTO;
        return BRACT_OK;
    }
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < 0 || v > 1000)
        return bract_error(BRACT_EINVAL,
                           "noise components '%s': expected auto or a number of "
                           "0..1000",
                           s);
    *out = (int)v;
    return BRACT_OK;
}

int bract_single_r2_parse(const char *s, double *out)
{
    if (strcmp(s, "auto") == 0 || strcmp(s, "AUTO") == 0) {
        *out = NAN;
        return BRACT_OK;
    }
    char *end;
    double v = strtod(s, &end);
    if (!*s || *end || !isfinite(v) || v >= 1)
        return bract_error(BRACT_EINVAL, "R2 threshold '%s': expected auto or a number below 1", s);
    *out = v;
    return BRACT_OK;
}

const char *bract_single_step_name(bract_single_step_kind k)
{
    switch (k) {
    case BRACT_SINGLE_STEP_BASELINE: return "baseline";
    case BRACT_SINGLE_STEP_HRF: return "hrf_library";
    case BRACT_SINGLE_STEP_NOISE: return "noise_pcs";
    case BRACT_SINGLE_STEP_RIDGE: return "ridge";
    }
    return "unknown";
}

void bract_single_opts_defaults(bract_single_opts *o)
{
    bract_glm_design_opts_defaults(&o->design);
    o->trials = BRACT_GLM_TRIALS_LSS;
    o->hrf_library = 1;
    o->noise_pcs = BRACT_SINGLE_PCS_AUTO;
    o->max_noise_pcs = 10;
    o->pcstop = 1.05;
    o->r2_threshold = NAN;
    o->ridge = BRACT_SINGLE_RIDGE_AUTO;
    o->fractions = NULL;
    o->nfractions = 0;
    o->autoscale = 1;
    o->block = 0;
    o->keep_worse = 0;
    o->keep_steps = 0;
}

void bract_single_free(bract_single *r)
{
    if (!r)
        return;
    free(r->run_first);
    if (r->cond)
        for (size_t c = 0; c < r->ncond; c++)
            free(r->cond[c]);
    free(r->cond);
    free(r->trial_cond);
    free(r->betas);
    free(r->bad);
    free(r->hrf);
    free(r->onoff_r2);
    free(r->cond_r2);
    free(r->hrf_r2);
    free(r->pool);
    free(r->signal);
    free(r->pc_curve);
    free(r->run_rows);
    if (r->pcs)
        for (size_t k = 0; k < r->nruns; k++)
            free(r->pcs[k]);
    free(r->pcs);
    free(r->fractions);
    free(r->fraction);
    free(r->alpha);
    free(r->scale);
    free(r->offset);
    for (size_t s = 0; s < r->nsteps; s++) {
        free(r->steps[s].reliability);
        free(r->steps[s].betas);
    }
    free(r);
}

/* ---- runs ---- */

int bract_singlei_load(const srun *r, size_t v, double *row)
{
    return bract_glmi_load_row(r->in->y, r->in->ldy, v, r->contiguous ? NULL : r->nd->row_volume,
                               r->n, row);
}

int bract_singlei_project(const srun *r, size_t nq, double *x, size_t m, size_t ld)
{
    if (nq == 0 || m == 0)
        return BRACT_OK;
    const size_t n = r->n, lq = r->nq;
    double *t = bract_xmalloc(nq * m, sizeof *t, "a projection");
    if (!t)
        return BRACT_ENOMEM;
    /* T = Q' X (nq x m), X -= Q T */
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)nq, (int)m, (int)n, 1.0, r->q,
                (int)lq, x, (int)ld, 0.0, t, (int)m);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)m, (int)nq, -1.0, r->q,
                (int)lq, t, (int)m, 1.0, x, (int)ld);
    free(t);
    return BRACT_OK;
}

/* Project the rows of Y (nv x n, voxel-major) off the first nq columns of
 * q: Y <- Y - (Y Q) Q'.  tmp holds nv x nq. */
static void project_rows(const srun *r, size_t nq, double *y, size_t nv, double *tmp)
{
    if (nq == 0 || nv == 0)
        return;
    const size_t n = r->n;
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)nv, (int)nq, (int)n, 1.0, y, (int)n,
                r->q, (int)r->nq, 0.0, tmp, (int)nq);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nv, (int)n, (int)nq, -1.0, tmp,
                (int)nq, r->q, (int)r->nq, 1.0, y, (int)n);
}

/* The first p columns of q (n x ldq, row-major): an orthonormal basis of
 * the columns of X (n x p, full rank), by Householder QR. */
static int orthonormal_basis(const double *X, size_t n, size_t p, double *q, size_t ldq)
{
    if (p == 0)
        return BRACT_OK;
    double *a = bract_xmalloc(n * p + p, sizeof *a, "a QR factorisation");
    if (!a)
        return BRACT_ENOMEM;
    double *tau = a + n * p;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < p; j++)
            a[j * n + i] = X[i * p + j];
    lapack_int info =
        LAPACKE_dgeqrf(LAPACK_COL_MAJOR, (lapack_int)n, (lapack_int)p, a, (lapack_int)n, tau);
    if (info == 0)
        info = LAPACKE_dorgqr(LAPACK_COL_MAJOR, (lapack_int)n, (lapack_int)p, (lapack_int)p, a,
                              (lapack_int)n, tau);
    if (info != 0) {
        free(a);
        return bract_error(BRACT_ENUMERIC,
                           "the QR factorisation of a %zu x %zu nuisance design "
                           "failed (LAPACK info %d)",
                           n, p, (int)info);
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < p; j++)
            q[i * ldq + j] = a[j * n + i];
    free(a);
    return BRACT_OK;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y ? 1 : 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static size_t cond_index(const bract_single *res, const char *label)
{
    size_t lo = 0, hi = res->ncond;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(res->cond[mid], label);
        if (c == 0)
            return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (size_t)-1;
}

static void run_clear(srun *r, size_t nmodels)
{
    bract_glm_design_free(r->nd);
    free(r->q);
    free(r->tc);
    free(r->jg);
    free(r->tj);
    free(r->alone);
    if (r->x)
        for (size_t m = 0; m < nmodels; m++)
            free(r->x[m]);
    free(r->x);
}

/* The conditions of the study and the trial tables of the result. */
static int study_conditions(const bract_single_run *runs, size_t nruns, bract_single *res)
{
    size_t total = 0;
    for (size_t r = 0; r < nruns; r++)
        total += runs[r].events->n;
    const char **labs = bract_xmalloc(total ? total : 1, sizeof *labs, "labels");
    res->run_first = bract_xcalloc(nruns + 1, sizeof *res->run_first, "trial offsets");
    res->trial_cond = bract_xmalloc(total ? total : 1, sizeof *res->trial_cond, "trials");
    if (!labs || !res->run_first || !res->trial_cond) {
        free(labs);
        return BRACT_ENOMEM;
    }
    size_t k = 0;
    for (size_t r = 0; r < nruns; r++) {
        res->run_first[r] = k;
        for (size_t e = 0; e < runs[r].events->n; e++)
            labs[k++] = runs[r].events->ev[e].label;
    }
    res->run_first[nruns] = k;
    res->ntrials = total;
    qsort(labs, total, sizeof *labs, cmp_str);
    size_t nc = 0;
    for (size_t i = 0; i < total; i++)
        if (i == 0 || strcmp(labs[i], labs[nc - 1]) != 0)
            labs[nc++] = labs[i];
    res->cond = bract_xcalloc(nc ? nc : 1, sizeof *res->cond, "conditions");
    if (!res->cond) {
        free(labs);
        return BRACT_ENOMEM;
    }
    for (size_t c = 0; c < nc; c++)
        if (!(res->cond[c] = bract_xstrdup(labs[c]))) {
            res->ncond = c;
            free(labs);
            return BRACT_ENOMEM;
        }
    res->ncond = nc;
    free(labs);
    k = 0;
    for (size_t r = 0; r < nruns; r++)
        for (size_t e = 0; e < runs[r].events->n; e++)
            res->trial_cond[k++] = cond_index(res, runs[r].events->ev[e].label);
    return BRACT_OK;
}

/* A run's designs: nuisance basis, trials, conditions, regressors of every model. */
static int prepare_run(sctx *c, size_t ri, const bract_single_run *in, size_t max_pcs)
{
    const bract_single_opts *o = c->o;
    srun *r = &c->run[ri];
    r->in = in;
    const bract_events *ev = in->events;
    if (!ev || ev->n == 0)
        return bract_error(BRACT_EDATA, "run %zu has no events", ri + 1);
    if (in->ldy < in->nvol)
        return bract_error(BRACT_EINVAL, "run %zu: voxel series of %zu values for %zu volumes",
                           ri + 1, in->ldy, in->nvol);
    /* the standard design checks the events (range, run length, rank) */
    bract_glm_design *std;
    int rc = bract_glm_design_new(ev, in->nvol, in->tr, in->confounds, &o->design, &std);
    if (rc)
        return bract_error_context(rc, "run %zu", ri + 1);
    bract_glm_design_free(std);
    if ((rc = bract_glm_design_new(NULL, in->nvol, in->tr, in->confounds, &o->design, &r->nd)))
        return bract_error_context(rc, "run %zu", ri + 1);
    const size_t n = r->nd->nrow, p = r->nd->ncol, K = ev->n;
    r->n = n;
    r->contiguous = n == in->nvol;
    for (size_t t = 0; t < n && r->contiguous; t++)
        r->contiguous = r->nd->row_volume[t] == t;
    r->K = K;
    r->first = c->res->run_first[ri];
    r->nq0 = p;
    r->nq = p + max_pcs;
    r->q = bract_xcalloc(n * r->nq, sizeof *r->q, "a nuisance basis");
    r->tc = bract_xmalloc(K, sizeof *r->tc, "trials");
    r->tj = bract_xmalloc(K, sizeof *r->tj, "trials");
    r->jg = bract_xmalloc(K, sizeof *r->jg, "conditions");
    r->alone = bract_xcalloc(K, 1, "trials");
    r->x = bract_xcalloc(c->nmodels, sizeof *r->x, "regressors");
    if (!r->q || !r->tc || !r->tj || !r->jg || !r->alone || !r->x)
        return BRACT_ENOMEM;
    if ((rc = orthonormal_basis(r->nd->x, n, p, r->q, r->nq)))
        return rc;
    /* conditions present in the run, ascending study index */
    for (size_t k = 0; k < K; k++)
        r->tc[k] = c->res->trial_cond[r->first + k];
    r->J = 0;
    for (size_t k = 0; k < K; k++) {
        size_t j = 0;
        while (j < r->J && r->jg[j] != r->tc[k])
            j++;
        if (j == r->J)
            r->jg[r->J++] = r->tc[k];
    }
    for (size_t a = 1; a < r->J; a++)
        for (size_t b = a; b > 0 && r->jg[b - 1] > r->jg[b]; b--) {
            size_t t = r->jg[b];
            r->jg[b] = r->jg[b - 1];
            r->jg[b - 1] = t;
        }
    size_t *count = bract_xcalloc(r->J, sizeof *count, "conditions");
    if (!count)
        return BRACT_ENOMEM;
    for (size_t k = 0; k < K; k++) {
        size_t j = 0;
        while (r->jg[j] != r->tc[k])
            j++;
        r->tj[k] = j;
        count[j]++;
    }
    for (size_t k = 0; k < K; k++)
        r->alone[k] = count[r->tj[k]] == 1;
    free(count);
    /* trial regressors of every model: the library's HRFs, then the design's */
    double *full = bract_xmalloc(in->nvol * K, sizeof *full, "trial regressors");
    if (!full)
        return BRACT_ENOMEM;
    for (size_t m = 0; m < c->nmodels && !rc; m++) {
        bract_hrf_plan *plan = NULL;
        if (m + 1 < c->nmodels) {
            double *kern;
            size_t klen;
            if (!(rc = bract_hrflib_kernel(m, r->nd->frame_times[1] - r->nd->frame_times[0],
                                           o->design.hrf.oversampling, &kern, &klen))) {
                rc = bract_hrf_plan_new_kernel(&o->design.hrf, kern, klen, r->nd->frame_times,
                                               in->nvol, &plan);
                free(kern);
            }
        } else {
            rc = bract_hrf_plan_new(&o->design.hrf, r->nd->frame_times, in->nvol, &plan);
        }
        for (size_t k = 0; k < K && !rc; k++) {
            const bract_event *e = &ev->ev[k];
            rc = bract_hrf_plan_regressors(plan, &e->onset, &e->duration, &e->modulation, 1,
                                           full + k, K);
        }
        bract_hrf_plan_free(plan);
        if (!rc && !(r->x[m] = bract_xmalloc(n * K, sizeof *r->x[m], "trial regressors")))
            rc = BRACT_ENOMEM;
        if (!rc)
            for (size_t t = 0; t < n; t++)
                memcpy(r->x[m] + t * K, full + r->nd->row_volume[t] * K, K * sizeof *full);
    }
    free(full);
    if (rc)
        return rc;
    /* trials whose response the run hardly records (after its end, or
     * explained by the drift): their betas are mostly noise */
    double *xp = bract_xmalloc(n * K, sizeof *xp, "trial regressors");
    double *nrm = bract_xmalloc(2 * K, sizeof *nrm, "trial norms");
    if (!xp || !nrm) {
        free(xp);
        free(nrm);
        return BRACT_ENOMEM;
    }
    memcpy(xp, r->x[c->nmodels - 1], n * K * sizeof *xp);
    if (!(rc = bract_singlei_project(r, p, xp, K, K))) {
        for (size_t k = 0; k < K; k++) {
            double v = 0;
            for (size_t t = 0; t < n; t++)
                v += xp[t * K + k] * xp[t * K + k];
            nrm[k] = nrm[K + k] = sqrt(v);
        }
        qsort(nrm + K, K, sizeof *nrm, cmp_double);
        double med = nrm[K + K / 2];
        for (size_t k = 0; k < K; k++)
            if (nrm[k] < 0.1 * med)
                bract_warn("%s:%zu: trial '%s' at %g s: the run records little of its response "
                           "(its regressor, drift taken out, is %.0f%% of the run's median): "
                           "its betas are mostly noise",
                           ev->path, ev->ev[k].line, ev->ev[k].label, ev->ev[k].onset,
                           100 * nrm[k] / med);
    }
    free(xp);
    free(nrm);
    return rc;
}

/* ---- step 1: on-off model, cross-validated per HRF ---- */

static int pass_onoff(sctx *c, const bract_progress *prog)
{
    bract_single *res = c->res;
    const size_t R = c->nruns, V = c->nvox, B = c->B;
    const int lib = c->o->hrf_library;
    /* every model: the library's HRFs (candidates) and the design's (the
     * on-off R2 of the thresholds, one model as GLMsingle's type A) */
    const size_t M = c->nmodels, m0 = 0;
    /* per run: the projected on-off regressors of the models (n x M) and their norms */
    double **O = bract_xcalloc(R, sizeof *O, "on-off regressors");
    double *bn = bract_xmalloc(R * M, sizeof *bn, "on-off norms");
    if (!O || !bn) {
        free(O);
        free(bn);
        return BRACT_ENOMEM;
    }
    int rc = BRACT_OK;
    for (size_t r = 0; r < R && !rc; r++) {
        const srun *s = &c->run[r];
        if (!(O[r] = bract_xcalloc(s->n * M, sizeof *O[r], "on-off regressors"))) {
            rc = BRACT_ENOMEM;
            break;
        }
        for (size_t m = 0; m < M; m++)
            for (size_t t = 0; t < s->n; t++) {
                double v = 0;
                for (size_t k = 0; k < s->K; k++)
                    v += s->x[m0 + m][t * s->K + k];
                O[r][t * M + m] = v;
            }
        if ((rc = bract_singlei_project(s, s->nq0, O[r], M, M)))
            break;
        for (size_t m = 0; m < M; m++) {
            double v = 0;
            for (size_t t = 0; t < s->n; t++)
                v += O[r][t * M + m] * O[r][t * M + m];
            bn[r * M + m] = v;
        }
    }
    const size_t nblocks = (V + B - 1) / B;
    size_t done = 0;
    int failed = 0;
    if (!rc) {
#pragma omp parallel
        {
            double *yb = bract_xmalloc(B * c->maxn, sizeof *yb, "a voxel block");
            double *tmp = bract_xmalloc(B * c->maxn, sizeof *tmp, "a voxel block");
            double *a = bract_xmalloc(B * R * M, sizeof *a, "on-off products");
            double *cc = bract_xmalloc(B * R, sizeof *cc, "sums of squares");
            if (!yb || !tmp || !a || !cc) {
#pragma omp atomic write
                failed = 1;
            }
#pragma omp for schedule(dynamic, 1)
            for (size_t blk = 0; blk < nblocks; blk++) {
                if (!yb || !tmp || !a || !cc)
                    continue;
                size_t v0 = blk * B, nb = V - v0 < B ? V - v0 : B;
                for (size_t r = 0; r < R; r++) {
                    const srun *s = &c->run[r];
                    const size_t n = s->n;
                    for (size_t i = 0; i < nb; i++) {
                        int st = bract_singlei_load(s, v0 + i, yb + i * n);
                        if (st && !res->bad[v0 + i])
                            res->bad[v0 + i] = (unsigned char)st;
                        if (st)
                            memset(yb + i * n, 0, n * sizeof *yb);
                    }
                    project_rows(s, s->nq0, yb, nb, tmp);
                    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)nb, (int)M, (int)n,
                                1.0, yb, (int)n, O[r], (int)M, 0.0, a + r * M, (int)(R * M));
                    for (size_t i = 0; i < nb; i++) {
                        double v = 0;
                        for (size_t t = 0; t < n; t++)
                            v += yb[i * n + t] * yb[i * n + t];
                        cc[i * R + r] = v;
                    }
                }
                for (size_t i = 0; i < nb; i++) {
                    size_t v = v0 + i;
                    if (res->bad[v]) {
                        res->onoff_r2[v] = NAN;
                        res->hrf_r2[v] = NAN;
                        res->hrf[v] = -1;
                        c->model[v] = c->nmodels - 1;
                        continue;
                    }
                    const double *ai = a + i * R * M, *ci = cc + i * R;
                    double ctot = 0, best = -INFINITY;
                    size_t bm = 0;
                    for (size_t r = 0; r < R; r++)
                        ctot += ci[r];
                    for (size_t m = 0; m < M; m++) {
                        double A = 0, Bs = 0;
                        for (size_t r = 0; r < R; r++) {
                            A += ai[r * M + m];
                            Bs += bn[r * M + m];
                        }
                        double sse = 0;
                        for (size_t t = 0; t < R; t++) {
                            double den = Bs - bn[t * M + m];
                            double beta = den > 0 ? (A - ai[t * M + m]) / den : 0;
                            sse += ci[t] - 2 * beta * ai[t * M + m] + beta * beta * bn[t * M + m];
                        }
                        double r2 = ctot > 0 ? 1 - sse / ctot : 0;
                        if (m + 1 == M)
                            res->onoff_r2[v] = r2;
                        else if (r2 > best) {
                            best = r2;
                            bm = m;
                        }
                    }
                    res->hrf[v] = lib ? (int)bm : -1;
                    res->hrf_r2[v] = lib ? best : NAN;
                    c->model[v] = lib ? m0 + bm : M - 1;
                }
                size_t now;
#pragma omp atomic capture
                now = ++done;
                if (omp_get_thread_num() == 0)
                    bract_progress_report(prog, now, nblocks);
            }
            free(yb);
            free(tmp);
            free(a);
            free(cc);
        }
        if (failed)
            rc = bract_error(BRACT_ENOMEM, "out of memory for voxel blocks");
    }
    for (size_t r = 0; r < R; r++)
        free(O[r]);
    free(O);
    free(bn);
    return rc;
}

typedef struct {
    double r2;
    size_t v;
} r2_voxel;

static int cmp_r2_desc(const void *a, const void *b)
{
    const r2_voxel *x = a, *y = b;
    if (x->r2 != y->r2)
        return x->r2 > y->r2 ? -1 : 1;
    return x->v < y->v ? -1 : x->v > y->v ? 1 : 0;
}

/* The threshold, the signal voxels and the noise pool. */
/* max(0, -q), q the 1st percentile of x over the good voxels */
static int auto_threshold(const sctx *c, const double *x, double *thr)
{
    const bract_single *res = c->res;
    size_t n = 0;
    for (size_t v = 0; v < c->nvox; v++)
        n += !res->bad[v];
    double *r2 = bract_xmalloc(n ? n : 1, sizeof *r2, "R2 values");
    if (!r2)
        return BRACT_ENOMEM;
    size_t k = 0;
    for (size_t v = 0; v < c->nvox; v++)
        if (!res->bad[v])
            r2[k++] = x[v];
    qsort(r2, n, sizeof *r2, cmp_double);
    double q = n ? r2[(size_t)floor(0.01 * (double)(n - 1))] : 0;
    free(r2);
    *thr = q < 0 ? -q : 0;
    return BRACT_OK;
}

/* The condition model's R2, the thresholds, the signal voxels and the noise pool. */
static int voxel_sets(sctx *c)
{
    bract_single *res = c->res;
    const size_t V = c->nvox;
    size_t ngood = 0;
    for (size_t v = 0; v < V; v++)
        ngood += !res->bad[v];
    if (ngood == 0)
        return bract_error(BRACT_EDATA, "every voxel has a non-finite value or is constant in "
                                        "some run");
    /* the condition model's cross-validated R2 of every voxel */
    size_t *good = bract_xmalloc(ngood, sizeof *good, "voxels");
    double *r2 = bract_xmalloc(ngood, sizeof *r2, "R2 values");
    int rc = good && r2 ? BRACT_OK : BRACT_ENOMEM;
    if (!rc) {
        size_t k = 0;
        for (size_t v = 0; v < V; v++) {
            res->cond_r2[v] = NAN;
            if (!res->bad[v])
                good[k++] = v;
        }
        rc = bract_singlei_cv_r2(c, good, ngood, 0, r2);
        for (size_t i = 0; !rc && i < ngood; i++)
            res->cond_r2[good[i]] = r2[i];
    }
    free(good);
    free(r2);
    if (rc)
        return rc;
    double to = c->o->r2_threshold, tc = to;
    if (isnan(to) && ((rc = auto_threshold(c, res->onoff_r2, &to)) ||
                      (rc = auto_threshold(c, res->cond_r2, &tc))))
        return rc;
    res->r2_threshold = to;
    res->cond_r2_threshold = tc;
    res->nsignal = res->npool = res->npool_condition = 0;
    for (size_t v = 0; v < V; v++) {
        if (res->bad[v])
            continue;
        res->signal[v] = res->onoff_r2[v] > to || res->cond_r2[v] > tc;
        res->pool[v] = res->onoff_r2[v] < to && res->cond_r2[v] < tc;
        res->npool_condition += res->onoff_r2[v] < to && !(res->cond_r2[v] < tc);
        res->nsignal += res->signal[v];
        res->npool += res->pool[v];
    }
    size_t want = ngood < 100 ? ngood : 100;
    if (res->nsignal < want) {
        r2_voxel *all = bract_xmalloc(ngood, sizeof *all, "R2 values");
        if (!all)
            return BRACT_ENOMEM;
        size_t k = 0;
        for (size_t v = 0; v < V; v++)
            if (!res->bad[v]) {
                double a = res->onoff_r2[v] - to, b = res->cond_r2[v] - tc;
                all[k++] = (r2_voxel){a > b ? a : b, v};
            }
        qsort(all, ngood, sizeof *all, cmp_r2_desc);
        bract_warn("%zu voxel%s with a cross-validated R2 above the threshold: the %zu voxels "
                   "of largest R2 stand for the signal voxels",
                   res->nsignal, res->nsignal == 1 ? "" : "s", want);
        memset(res->signal, 0, V);
        for (size_t i = 0; i < want; i++)
            res->signal[all[i].v] = 1;
        res->nsignal = want;
        free(all);
    }
    return BRACT_OK;
}

/* ---- step 2: noise components ---- */

/* Run r's components from its pool voxels' residuals (the on-off fit of
 * each voxel's own model taken out), appended to its nuisance basis. */
static int run_components(sctx *c, size_t ri, const size_t *pool, size_t npool)
{
    srun *s = &c->run[ri];
    const size_t n = s->n, K = s->K, kmax = (size_t)c->res->max_pcs, M = c->nmodels;
    /* projected on-off regressor of every model */
    double *O = bract_xcalloc(n * M, sizeof *O, "on-off regressors");
    double *on = bract_xcalloc(M, sizeof *on, "on-off norms");
    if (!O || !on) {
        free(O);
        free(on);
        return BRACT_ENOMEM;
    }
    for (size_t m = 0; m < M; m++)
        for (size_t t = 0; t < n; t++) {
            double v = 0;
            for (size_t k = 0; k < K; k++)
                v += s->x[m][t * K + k];
            O[t * M + m] = v;
        }
    int rc = bract_singlei_project(s, s->nq0, O, M, M);
    for (size_t m = 0; m < M; m++)
        for (size_t t = 0; t < n; t++)
            on[m] += O[t * M + m] * O[t * M + m];
    /* partial Gram matrices of a fixed number of chunks, summed in order */
    enum { NCHUNK = 64 };
    const size_t nchunk = npool < NCHUNK ? (npool ? npool : 1) : NCHUNK;
    double *part = rc ? NULL : bract_xcalloc(nchunk * n * n, sizeof *part, "Gram matrices");
    int failed = rc != 0 || !part;
    const size_t B = c->B;
    if (!failed) {
#pragma omp parallel
        {
            double *yb = bract_xmalloc(B * n, sizeof *yb, "a voxel block");
            double *tmp = bract_xmalloc(B * s->nq0 + 1, sizeof *tmp, "a voxel block");
            if (!yb || !tmp) {
#pragma omp atomic write
                failed = 1;
            }
#pragma omp for schedule(dynamic, 1)
            for (size_t ch = 0; ch < nchunk; ch++) {
                if (!yb || !tmp)
                    continue;
                size_t a = ch * npool / nchunk, z = (ch + 1) * npool / nchunk;
                for (size_t b0 = a; b0 < z; b0 += B) {
                    size_t nb = z - b0 < B ? z - b0 : B;
                    for (size_t i = 0; i < nb; i++)
                        bract_singlei_load(s, pool[b0 + i], yb + i * n);
                    project_rows(s, s->nq0, yb, nb, tmp);
                    for (size_t i = 0; i < nb; i++) {
                        size_t m = (size_t)c->model[pool[b0 + i]];
                        double *e = yb + i * n, d = 0;
                        if (!(on[m] > 0))
                            continue;
                        for (size_t t = 0; t < n; t++)
                            d += O[t * M + m] * e[t];
                        d /= on[m];
                        for (size_t t = 0; t < n; t++)
                            e[t] -= d * O[t * M + m];
                    }
                    if (bract_glmdenoise_gram_add(yb, n, n, nb, part + ch * n * n, NULL)) {
#pragma omp atomic write
                        failed = 1;
                    }
                }
            }
            free(yb);
            free(tmp);
        }
    }
    free(O);
    free(on);
    if (failed) {
        free(part);
        return rc ? rc : bract_error(BRACT_ENOMEM, "out of memory for the noise pool");
    }
    for (size_t ch = 1; ch < nchunk; ch++)
        for (size_t i = 0; i < n * n; i++)
            part[i] += part[ch * n * n + i];
    double *pcs = bract_xmalloc(n * kmax, sizeof *pcs, "noise components");
    if (!pcs) {
        free(part);
        return BRACT_ENOMEM;
    }
    rc = bract_glmdenoise_components(part, n, kmax, pcs, NULL);
    free(part);
    if (rc) {
        free(pcs);
        return bract_error_context(rc, "run %zu", ri + 1);
    }
    /* orthogonal to the nuisance and to each other (they are, up to
     * rounding: twice Gram-Schmidt makes it exact), then into q */
    for (size_t k = 0; k < kmax; k++) {
        const size_t col = s->nq0 + k;
        for (size_t t = 0; t < n; t++)
            s->q[t * s->nq + col] = pcs[t * kmax + k];
        for (int pass = 0; pass < 2; pass++)
            for (size_t j = 0; j < col; j++) {
                double d = 0;
                for (size_t t = 0; t < n; t++)
                    d += s->q[t * s->nq + j] * s->q[t * s->nq + col];
                for (size_t t = 0; t < n; t++)
                    s->q[t * s->nq + col] -= d * s->q[t * s->nq + j];
            }
        double nn = 0;
        for (size_t t = 0; t < n; t++)
            nn += s->q[t * s->nq + col] * s->q[t * s->nq + col];
        if (!(nn > 0)) {
            free(pcs);
            return bract_error(BRACT_ENUMERIC,
                               "run %zu: noise component %zu lies in the span of "
                               "the nuisance columns",
                               ri + 1, k + 1);
        }
        for (size_t t = 0; t < n; t++) {
            s->q[t * s->nq + col] /= sqrt(nn);
            pcs[t * kmax + k] = s->q[t * s->nq + col];
        }
    }
    c->res->pcs[ri] = pcs;
    return BRACT_OK;
}

static int noise_components(sctx *c)
{
    bract_single *res = c->res;
    size_t *pool = bract_xmalloc(res->npool ? res->npool : 1, sizeof *pool, "the noise pool");
    if (!pool)
        return BRACT_ENOMEM;
    size_t k = 0;
    for (size_t v = 0; v < c->nvox; v++)
        if (res->pool[v])
            pool[k++] = v;
    int rc = BRACT_OK;
    for (size_t r = 0; r < c->nruns && !rc; r++)
        rc = run_components(c, r, pool, k);
    free(pool);
    return rc;
}

/* ---- single-trial filters ---- */

/* F (n x K): the trial betas of a voxel are F' y, for LSS or LSA with the
 * trial regressors X (n x K) of run s after projecting out the first nq
 * columns of its basis. */
static int make_filters(const sctx *c, const srun *s, const double *X, size_t nq, double *F)
{
    const size_t n = s->n, K = s->K, J = s->J;
    const bract_events *ev = s->in->events;
    double *xp = bract_xmalloc(n * K, sizeof *xp, "trial regressors");
    if (!xp)
        return BRACT_ENOMEM;
    memcpy(xp, X, n * K * sizeof *xp);
    int rc = bract_singlei_project(s, nq, xp, K, K);
    if (rc) {
        free(xp);
        return rc;
    }
    if (c->o->trials == BRACT_GLM_TRIALS_LSA) {
        double *pinv = bract_xmalloc(K * n, sizeof *pinv, "a pseudo-inverse");
        size_t rank = 0;
        if (!pinv)
            rc = BRACT_ENOMEM;
        else if (!(rc = bract_glmi_pinv(xp, n, K, pinv, &rank, NULL, NULL)) && rank < K)
            rc = bract_error(BRACT_EDATA,
                             "%s: the %zu trials of the run cannot be told apart "
                             "(the one-column-per-trial design has rank %zu)",
                             ev->path, K, rank);
        if (!rc)
            for (size_t t = 0; t < n; t++)
                for (size_t k = 0; k < K; k++)
                    F[t * K + k] = pinv[k * n + t];
        free(pinv);
        free(xp);
        return rc;
    }
    /* LSS: C~ the condition columns, g = pinv(C~) x~_k, r = x~_k - C~ g,
     * f_k = pinv(C~)_j' + (1 - g_j) / r'r r (0 for a trial alone) */
    double *C = bract_xcalloc(n * J, sizeof *C, "condition regressors");
    double *pinv = bract_xmalloc(J * n, sizeof *pinv, "a pseudo-inverse");
    double *G = bract_xmalloc(J * K, sizeof *G, "trial coefficients");
    if (!C || !pinv || !G) {
        free(C);
        free(pinv);
        free(G);
        free(xp);
        return BRACT_ENOMEM;
    }
    for (size_t t = 0; t < n; t++)
        for (size_t k = 0; k < K; k++)
            C[t * J + s->tj[k]] += xp[t * K + k];
    size_t rank = 0;
    rc = bract_glmi_pinv(C, n, J, pinv, &rank, NULL, NULL);
    if (!rc && rank < J)
        rc = bract_error(BRACT_EDATA,
                         "%s: the condition regressors of the run are collinear "
                         "(rank %zu of %zu)",
                         ev->path, rank, J);
    if (!rc) {
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)J, (int)K, (int)n, 1.0, pinv,
                    (int)n, xp, (int)K, 0.0, G, (int)K);
        /* xp <- r = x~ - C~ G */
        double *norm = bract_xcalloc(K, sizeof *norm, "trial norms");
        if (!norm) {
            rc = BRACT_ENOMEM;
        } else {
            for (size_t t = 0; t < n; t++)
                for (size_t k = 0; k < K; k++)
                    norm[k] += xp[t * K + k] * xp[t * K + k];
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)K, (int)J, -1.0, C,
                        (int)J, G, (int)K, 1.0, xp, (int)K);
            for (size_t k = 0; k < K && !rc; k++) {
                size_t j = s->tj[k];
                double coef = 0;
                if (!s->alone[k]) {
                    double rr = 0;
                    for (size_t t = 0; t < n; t++)
                        rr += xp[t * K + k] * xp[t * K + k];
                    if (!(sqrt(rr) > 1e-8 * sqrt(norm[k]))) {
                        const bract_event *e = &ev->ev[k];
                        rc = bract_error(BRACT_EDATA,
                                         "%s:%zu: trial '%s' at %g s cannot be "
                                         "told apart from the rest of its model (its regressor "
                                         "is a combination of the others')",
                                         ev->path, e->line, e->label, e->onset);
                        break;
                    }
                    coef = (1.0 - G[j * K + k]) / rr;
                }
                for (size_t t = 0; t < n; t++)
                    F[t * K + k] = pinv[j * n + t] + coef * xp[t * K + k];
            }
            free(norm);
        }
    }
    free(C);
    free(pinv);
    free(G);
    free(xp);
    return rc;
}

/* ---- diagnostics ---- */

/* Split-half reliability of one voxel's trial betas (bract/single.h). */
static double split_half(const sctx *c, const double *b, double *ws)
{
    const bract_single *res = c->res;
    const size_t J = c->ncond;
    double *sum = ws, *cnt = ws + 2 * J;
    memset(ws, 0, 4 * J * sizeof *ws);
    for (size_t r = 0; r < c->nruns; r++) {
        size_t h = r % 2;
        for (size_t k = res->run_first[r]; k < res->run_first[r + 1]; k++) {
            size_t j = res->trial_cond[k];
            sum[h * J + j] += b[k];
            cnt[h * J + j] += 1;
        }
    }
    double sa = 0, sb = 0;
    size_t m = 0;
    for (size_t j = 0; j < J; j++)
        if (cnt[j] > 0 && cnt[J + j] > 0) {
            sum[j] /= cnt[j];
            sum[J + j] /= cnt[J + j];
            sa += sum[j];
            sb += sum[J + j];
            m++;
        }
    if (m < 3)
        return NAN;
    sa /= (double)m;
    sb /= (double)m;
    double xy = 0, xx = 0, yy = 0;
    for (size_t j = 0; j < J; j++)
        if (cnt[j] > 0 && cnt[J + j] > 0) {
            double x = sum[j] - sa, y = sum[J + j] - sb;
            xy += x * y;
            xx += x * x;
            yy += y * y;
        }
    return xx > 0 && yy > 0 ? xy / sqrt(xx * yy) : NAN;
}

static double median_of(double *x, size_t n)
{
    if (n == 0)
        return NAN;
    qsort(x, n, sizeof *x, cmp_double);
    return n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}

/* ---- the passes: one step's betas, block by block ---- */

/* Filters of one step: [r * nmodels + m] for the models used (the
 * baseline's at m = nmodels - 1). */
typedef struct {
    double **f;
} filters;

static void filters_clear(filters *f, size_t n)
{
    if (f->f)
        for (size_t i = 0; i < n; i++)
            free(f->f[i]);
    free(f->f);
    f->f = NULL;
}

/* The filters of the baseline (every run, the design's HRF, the nuisance)
 * or of the HRF and noise steps (every run and used model; nq columns of
 * the basis projected out). */
static int build_filters(sctx *c, bract_single_step_kind kind, const unsigned char *used,
                         filters *fl)
{
    const size_t R = c->nruns, M = c->nmodels, ntask = R * M;
    fl->f = bract_xcalloc(ntask, sizeof *fl->f, "filters");
    int *st = bract_xcalloc(ntask, sizeof *st, "statuses");
    char **msg = bract_xcalloc(ntask, sizeof *msg, "messages");
    if (!fl->f || !st || !msg) {
        free(st);
        free(msg);
        return BRACT_ENOMEM;
    }
#pragma omp parallel for schedule(dynamic, 1)
    for (size_t t = 0; t < ntask; t++) {
        size_t r = t / M, m = t % M;
        const srun *s = &c->run[r];
        if (kind == BRACT_SINGLE_STEP_BASELINE ? m != M - 1 : !used[m])
            continue;
        size_t nq = s->nq0 + (kind == BRACT_SINGLE_STEP_NOISE ? c->kpcs : 0);
        fl->f[t] = bract_xmalloc(s->n * s->K, sizeof **fl->f, "filters");
        st[t] = fl->f[t] ? make_filters(c, s, s->x[m], nq, fl->f[t]) : BRACT_ENOMEM;
        if (st[t])
            msg[t] = bract_xstrdup(bract_last_error());
    }
    int rc = BRACT_OK;
    for (size_t t = 0; t < ntask && !rc; t++)
        if (st[t])
            rc = bract_error(st[t], "%s", msg[t] ? msg[t] : "out of memory");
    for (size_t t = 0; t < ntask; t++)
        free(msg[t]);
    free(msg);
    free(st);
    return rc;
}

/* The betas of step s (kind) of every good voxel (order: sorted by model),
 * its reliability per voxel, the betas into dest (nvox x ntrials) when not
 * NULL; ridge choices into the result. */
static int run_step(sctx *c, size_t si, const filters *fl, const ridge_model *rm,
                    const size_t *order, size_t ngood, double *dest, const bract_progress *prog)
{
    bract_single *res = c->res;
    const bract_single_step_kind kind = res->steps[si].kind;
    const size_t R = c->nruns, T = c->ntrials, M = c->nmodels, B = c->B;
    const size_t nblocks = (ngood + B - 1) / B;
    size_t totn = 0;
    for (size_t r = 0; r < R; r++)
        totn += c->run[r].n;
    size_t done = 0;
    int failed = 0, err = BRACT_OK;
    enum { RCAP = 32 };
    bract_progress_report(prog, 0, nblocks);
#pragma omp parallel
    {
        double *ybuf = bract_xmalloc(B * totn, sizeof *ybuf, "a voxel block");
        double *bt = bract_xmalloc(B * T, sizeof *bt, "a block of betas");
        double *ws = bract_xmalloc(4 * c->ncond + 1, sizeof *ws, "reliability");
        double **ys = bract_xmalloc(R, sizeof *ys, "run blocks");
        double **yr = bract_xmalloc(R, sizeof *yr, "run blocks");
        ridge_ws rw = {0};
        int ok = ybuf && bt && ws && ys && yr;
        if (ok && kind == BRACT_SINGLE_STEP_RIDGE && bract_singlei_ridge_ws_init(c, RCAP, &rw))
            ok = 0;
        if (!ok) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(dynamic, 1)
        for (size_t blk = 0; blk < nblocks; blk++) {
            if (!ok)
                continue;
            size_t k0 = blk * B, nb = ngood - k0 < B ? ngood - k0 : B;
            const size_t *vs = order + k0;
            double *p = ybuf;
            for (size_t r = 0; r < R; r++) {
                yr[r] = p;
                for (size_t i = 0; i < nb; i++)
                    bract_singlei_load(&c->run[r], vs[i], p + i * c->run[r].n);
                p += nb * c->run[r].n;
            }
            if (kind == BRACT_SINGLE_STEP_BASELINE) {
                for (size_t r = 0; r < R; r++) {
                    const srun *s = &c->run[r];
                    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)nb, (int)s->K,
                                (int)s->n, 1.0, yr[r], (int)s->n, fl->f[r * M + M - 1], (int)s->K,
                                0.0, bt + s->first, (int)T);
                }
            } else {
                /* sub-groups of one model */
                for (size_t a = 0; a < nb;) {
                    size_t m = (size_t)c->model[vs[a]], z = a;
                    while (z < nb && (size_t)c->model[vs[z]] == m)
                        z++;
                    if (kind == BRACT_SINGLE_STEP_RIDGE) {
                        for (size_t a2 = a; a2 < z; a2 += RCAP) {
                            size_t nv = z - a2 < RCAP ? z - a2 : RCAP;
                            for (size_t r = 0; r < R; r++)
                                ys[r] = yr[r] + a2 * c->run[r].n;
                            double fr[RCAP], al[RCAP], sc[RCAP], of[RCAP];
                            int st = bract_singlei_ridge_fit(c, &rm[m], ys, nv, &rw, bt + a2 * T,
                                                             fr, al, sc, of);
                            if (st) {
#pragma omp critical(bract_single_err)
                                {
                                    if (!err)
                                        err = st;
                                }
                            }
                            for (size_t i = 0; i < nv; i++) {
                                size_t v = vs[a2 + i];
                                res->fraction[v] = fr[i];
                                res->alpha[v] = al[i];
                                res->scale[v] = sc[i];
                                res->offset[v] = of[i];
                            }
                        }
                    } else {
                        for (size_t r = 0; r < R; r++) {
                            const srun *s = &c->run[r];
                            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)(z - a),
                                        (int)s->K, (int)s->n, 1.0, yr[r] + a * s->n, (int)s->n,
                                        fl->f[r * M + m], (int)s->K, 0.0, bt + a * T + s->first,
                                        (int)T);
                        }
                    }
                    a = z;
                }
            }
            bract_single_step *st = &res->steps[si];
            for (size_t i = 0; i < nb; i++) {
                size_t v = vs[i];
                st->reliability[v] = split_half(c, bt + i * T, ws);
                if (st->betas)
                    memcpy(st->betas + v * T, bt + i * T, T * sizeof *bt);
                if (dest)
                    memcpy(dest + v * T, bt + i * T, T * sizeof *bt);
            }
            size_t now;
#pragma omp atomic capture
            now = ++done;
            if (omp_get_thread_num() == 0)
                bract_progress_report(prog, now, nblocks);
        }
        free(ybuf);
        free(bt);
        free(ws);
        free(ys);
        free(yr);
        bract_singlei_ridge_ws_clear(&rw);
    }
    if (failed)
        return bract_error(BRACT_ENOMEM, "out of memory for voxel blocks");
    if (err)
        return err;
    /* the median over the signal voxels */
    bract_single_step *st = &res->steps[si];
    double *tmp = bract_xmalloc(res->nsignal ? res->nsignal : 1, sizeof *tmp, "medians");
    if (!tmp)
        return BRACT_ENOMEM;
    size_t k = 0;
    for (size_t v = 0; v < c->nvox; v++)
        if (res->signal[v] && isfinite(st->reliability[v]))
            tmp[k++] = st->reliability[v];
    st->nvoxels = k;
    st->median_reliability = median_of(tmp, k);
    free(tmp);
    return BRACT_OK;
}

/* The good voxels sorted by model (stable), and which models are used. */
static int sort_by_model(const sctx *c, size_t *order, size_t *ngood, unsigned char *used)
{
    const size_t M = c->nmodels;
    size_t *count = bract_xcalloc(M + 1, sizeof *count, "models");
    if (!count)
        return BRACT_ENOMEM;
    size_t n = 0;
    for (size_t v = 0; v < c->nvox; v++)
        if (!c->res->bad[v]) {
            count[c->model[v] + 1]++;
            n++;
        }
    for (size_t m = 0; m < M; m++)
        used[m] = count[m + 1] > 0;
    for (size_t m = 0; m < M; m++)
        count[m + 1] += count[m];
    for (size_t v = 0; v < c->nvox; v++)
        if (!c->res->bad[v])
            order[count[c->model[v]]++] = v;
    free(count);
    *ngood = n;
    return BRACT_OK;
}

/* P(X <= k) for X ~ Binomial(n, 1/2): exact up to n = 500, then the
 * normal approximation with continuity correction. */
static double binom_half_cdf(size_t k, size_t n)
{
    if (k >= n)
        return 1;
    if (n > 500)
        return bract_stats_norm_cdf(((double)k + 0.5 - 0.5 * (double)n) / sqrt(0.25 * (double)n));
    double p = pow(0.5, (double)n), sum = p;
    for (size_t i = 0; i < k; i++) {
        p *= (double)(n - i) / (double)(i + 1);
        sum += p;
    }
    return sum > 1 ? 1 : sum;
}

/* Step si against the last kept step, over the signal voxels with both
 * reliabilities: the sign test of the voxels it made less reliable.  It is
 * left out when that is significant (one-sided p < 0.01): more signal
 * voxels lost reliability than chance allows. */
static int judge_step(sctx *c, size_t si, size_t *last_kept)
{
    bract_single *res = c->res;
    bract_single_step *st = &res->steps[si], *prev = &res->steps[*last_kept];
    size_t up = 0, down = 0;
    for (size_t v = 0; v < c->nvox; v++) {
        if (!res->signal[v])
            continue;
        double a = st->reliability[v], b = prev->reliability[v];
        if (!isfinite(a) || !isfinite(b) || a == b)
            continue;
        up += a > b;
        down += a < b;
    }
    st->p_worse = up + down ? binom_half_cdf(up, up + down) : 1;
    int keep = c->o->keep_worse || !(st->p_worse < 0.01);
    st->kept = keep;
    if (keep) {
        *last_kept = si;
    } else {
        bract_warn("the %s step lowered the split-half reliability of %zu of %zu signal voxels "
                   "(sign test p = %.2g; median %.3f, before %.3f): it is left out "
                   "(diagnostics.tsv)",
                   bract_single_step_name(st->kind), down, up + down, st->p_worse,
                   st->median_reliability, prev->median_reliability);
    }
    return keep;
}

/* ---- the whole fit ---- */

static int check_opts(const bract_single_opts *o, size_t nruns)
{
    if (nruns < 2)
        return bract_error(BRACT_EDATA,
                           "single-trial denoising cross-validates across runs: it "
                           "needs at least 2 runs (got %zu)",
                           nruns);
    if (o->trials != BRACT_GLM_TRIALS_LSS && o->trials != BRACT_GLM_TRIALS_LSA)
        return bract_error(BRACT_EINVAL,
                           "single-trial denoising needs trials lss or lsa (got "
                           "%s)",
                           bract_glm_trials_name(o->trials));
    if (bract_hrf_nbasis(o->design.hrf.model, o->design.hrf.nfir) != 1)
        return bract_error(BRACT_EINVAL,
                           "single-trial models need one regressor per trial "
                           "(glover, spm, or fir with one delay), not %s",
                           bract_hrf_model_name(o->design.hrf.model));
    if (o->noise_pcs < BRACT_SINGLE_PCS_AUTO || o->noise_pcs > 1000)
        return bract_error(BRACT_EINVAL,
                           "the number of noise components is auto, 0 or 1..1000 "
                           "(got %d)",
                           o->noise_pcs);
    if (o->noise_pcs == BRACT_SINGLE_PCS_AUTO && (o->max_noise_pcs < 1 || o->max_noise_pcs > 1000))
        return bract_error(BRACT_EINVAL, "the components tried must be 1..1000 (got %d)",
                           o->max_noise_pcs);
    if (!(o->pcstop >= 1) || !isfinite(o->pcstop))
        return bract_error(BRACT_EINVAL, "pcstop must be >= 1 (got %g)", o->pcstop);
    if (!isnan(o->r2_threshold) && !isfinite(o->r2_threshold))
        return bract_error(BRACT_EINVAL, "the R2 threshold must be finite (got %g)",
                           o->r2_threshold);
    if (o->ridge != BRACT_SINGLE_RIDGE_NONE && o->ridge != BRACT_SINGLE_RIDGE_AUTO)
        return bract_error(BRACT_EINVAL, "unknown ridge mode %d", (int)o->ridge);
    if (o->fractions && o->nfractions == 0)
        return bract_error(BRACT_EINVAL, "an empty list of ridge fractions");
    for (size_t i = 0; o->fractions && i < o->nfractions; i++)
        if (!(o->fractions[i] > 0 && o->fractions[i] <= 1))
            return bract_error(BRACT_EINVAL, "ridge fractions are in (0, 1] (got %g)",
                               o->fractions[i]);
    return BRACT_OK;
}

static int cmp_double_desc(const void *a, const void *b)
{
    return -cmp_double(a, b);
}

/* The candidate fractions, descending, 1 first (a reference when not a candidate). */
static int set_fractions(const bract_single_opts *o, bract_single *res, int *one_candidate)
{
    size_t nf = o->fractions ? o->nfractions : 20;
    double *f = bract_xmalloc(nf + 1, sizeof *f, "ridge fractions");
    if (!f)
        return BRACT_ENOMEM;
    for (size_t i = 0; i < nf; i++)
        f[i] = o->fractions ? o->fractions[i] : 0.05 * (double)(i + 1);
    if (!o->fractions)
        f[nf - 1] = 1.0;
    qsort(f, nf, sizeof *f, cmp_double_desc);
    size_t k = 0;
    for (size_t i = 0; i < nf; i++)
        if (k == 0 || f[i] != f[k - 1])
            f[k++] = f[i];
    *one_candidate = f[0] == 1.0;
    if (!*one_candidate) {
        memmove(f + 1, f, k * sizeof *f);
        f[0] = 1.0;
        k++;
    }
    res->fractions = f;
    res->nfractions = k;
    return BRACT_OK;
}

/* The state of one fit beyond sctx: the voxels in model order and each
 * step's filters or ridge models. */
typedef struct {
    sctx c;
    size_t *order; /* the good voxels, sorted by model */
    size_t ngood;
    unsigned char *used; /* nmodels: a good voxel uses the model */
    filters *fsteps;     /* per step */
    ridge_model *rm;     /* nmodels (the ridge step) */
    size_t si, last;     /* the next step, the last kept one */
    int want_noise, want_ridge;
} fit;

static void fit_clear(fit *F)
{
    sctx *c = &F->c;
    if (c->run)
        for (size_t r = 0; r < c->nruns; r++)
            run_clear(&c->run[r], c->nmodels);
    free(c->run);
    free(c->model);
    free(c->tpair);
    free(F->order);
    free(F->used);
    if (F->fsteps && c->res)
        for (size_t k = 0; k < c->res->nsteps; k++)
            filters_clear(&F->fsteps[k], c->nruns * c->nmodels);
    free(F->fsteps);
    if (F->rm)
        for (size_t m = 0; m < c->nmodels; m++)
            bract_singlei_ridge_model_clear(c, &F->rm[m]);
    free(F->rm);
}

/* A condition in two runs: the cross-validation and the diagnostics need one. */
static int check_repeats(const sctx *c)
{
    const bract_single *res = c->res;
    size_t *seen = bract_xcalloc(c->ncond, sizeof *seen, "conditions");
    size_t *last = bract_xmalloc(c->ncond, sizeof *last, "conditions");
    if (!seen || !last) {
        free(seen);
        free(last);
        return BRACT_ENOMEM;
    }
    size_t repeated = 0;
    for (size_t r = 0; r < c->nruns; r++)
        for (size_t k = res->run_first[r]; k < res->run_first[r + 1]; k++) {
            size_t j = res->trial_cond[k];
            if (seen[j] && last[j] != r && seen[j] == 1)
                repeated++;
            if (!seen[j] || last[j] != r) {
                seen[j]++;
                last[j] = r;
            }
        }
    free(seen);
    free(last);
    if (repeated == 0)
        return bract_error(BRACT_EDATA,
                           "no condition (trial_type) occurs in two runs: the "
                           "cross-validation of the noise components and the ridge fraction, "
                           "and the split-half reliability, need conditions repeated across "
                           "runs");
    return BRACT_OK;
}

/* The (run, condition) pair of every trial, for the ridge step's
 * cross-validation. */
static int trial_pairs(sctx *c)
{
    const bract_single *res = c->res;
    size_t *slot = bract_xmalloc(c->nruns * c->ncond, sizeof *slot, "condition pairs");
    c->tpair = bract_xmalloc(c->ntrials ? c->ntrials : 1, sizeof *c->tpair, "condition pairs");
    if (!slot || !c->tpair) {
        free(slot);
        return BRACT_ENOMEM;
    }
    for (size_t i = 0; i < c->nruns * c->ncond; i++)
        slot[i] = (size_t)-1;
    for (size_t r = 0; r < c->nruns; r++)
        for (size_t k = res->run_first[r]; k < res->run_first[r + 1]; k++) {
            size_t i = r * c->ncond + res->trial_cond[k];
            if (slot[i] == (size_t)-1)
                slot[i] = c->npair++;
            c->tpair[k] = slot[i];
        }
    free(slot);
    return BRACT_OK;
}

/* Conditions, trials, the result's arrays and every run's designs. */
static int fit_setup(fit *F, const bract_single_run *runs)
{
    sctx *c = &F->c;
    bract_single *res = c->res;
    const bract_single_opts *o = c->o;
    const size_t nruns = c->nruns, nvox = c->nvox;
    int rc;
    if ((rc = study_conditions(runs, nruns, res)))
        return rc;
    c->ntrials = res->ntrials;
    c->ncond = res->ncond;
    if ((rc = check_repeats(c)) || (rc = trial_pairs(c)))
        return rc;
    c->run = bract_xcalloc(nruns, sizeof *c->run, "runs");
    res->bad = bract_glmi_big_calloc(nvox, 1, "voxel flags");
    res->hrf = bract_glmi_big_alloc(nvox, sizeof *res->hrf, "HRF indices");
    res->onoff_r2 = bract_glmi_big_alloc(nvox, sizeof *res->onoff_r2, "R2 values");
    res->cond_r2 = bract_glmi_big_alloc(nvox, sizeof *res->cond_r2, "R2 values");
    res->hrf_r2 = bract_glmi_big_alloc(nvox, sizeof *res->hrf_r2, "R2 values");
    res->pool = bract_glmi_big_calloc(nvox, 1, "the noise pool");
    res->signal = bract_glmi_big_calloc(nvox, 1, "signal voxels");
    res->run_rows = bract_xcalloc(nruns, sizeof *res->run_rows, "run rows");
    res->pcs = bract_xcalloc(nruns, sizeof *res->pcs, "noise components");
    res->betas = bract_glmi_big_alloc(nvox * c->ntrials, sizeof *res->betas, "betas");
    c->model = bract_glmi_big_alloc(nvox, sizeof *c->model, "HRF models");
    if (!c->run || !res->bad || !res->hrf || !res->onoff_r2 || !res->cond_r2 || !res->hrf_r2 ||
        !res->pool || !res->signal || !res->run_rows || !res->pcs || !res->betas || !c->model)
        return BRACT_ENOMEM;
    for (size_t r = 0; r < nruns; r++) {
        if ((rc = prepare_run(c, r, &runs[r], (size_t)res->max_pcs)))
            return rc;
        res->run_rows[r] = c->run[r].n;
        if (c->run[r].n > c->maxn)
            c->maxn = c->run[r].n;
    }
    for (size_t r = 0; r < nruns; r++) {
        /* the largest model: nuisance, components, and trials (LSA, ridge) or conditions */
        const srun *s = &c->run[r];
        int per_trial = o->trials == BRACT_GLM_TRIALS_LSA || F->want_ridge;
        size_t task = per_trial ? s->K : s->J;
        if (s->nq0 + (size_t)res->max_pcs + task >= s->n)
            return bract_error(BRACT_EDATA,
                               "%s: %zu kept volumes for %zu nuisance columns, %d "
                               "noise components and %zu %s: no residual degrees of freedom",
                               s->in->events->path, s->n, s->nq0, res->max_pcs, task,
                               per_trial ? "trials" : "conditions");
    }
    return BRACT_OK;
}

/* The list of steps and their per-voxel arrays. */
static int fit_steps(fit *F)
{
    sctx *c = &F->c;
    bract_single *res = c->res;
    const bract_single_opts *o = c->o;
    size_t ns = 0;
    res->steps[ns++].kind = BRACT_SINGLE_STEP_BASELINE;
    if (o->hrf_library)
        res->steps[ns++].kind = BRACT_SINGLE_STEP_HRF;
    if (F->want_noise)
        res->steps[ns++].kind = BRACT_SINGLE_STEP_NOISE;
    if (F->want_ridge)
        res->steps[ns++].kind = BRACT_SINGLE_STEP_RIDGE;
    res->nsteps = ns;
    for (size_t st = 0; st < ns; st++) {
        res->steps[st].reliability = bract_glmi_big_alloc(c->nvox, sizeof(double), "reliability");
        if (o->keep_steps)
            res->steps[st].betas =
                bract_glmi_big_alloc(c->nvox * c->ntrials, sizeof(double), "step betas");
        if (!res->steps[st].reliability || (o->keep_steps && !res->steps[st].betas))
            return BRACT_ENOMEM;
        for (size_t v = 0; v < c->nvox; v++)
            res->steps[st].reliability[v] = NAN;
    }
    F->order = bract_glmi_big_alloc(c->nvox, sizeof *F->order, "voxel order");
    F->used = bract_xcalloc(c->nmodels, 1, "models");
    F->fsteps = bract_xcalloc(ns, sizeof *F->fsteps, "filters");
    return F->order && F->used && F->fsteps ? BRACT_OK : BRACT_ENOMEM;
}

/* Every voxel's model: the design's (M - 1). */
static void all_baseline(sctx *c)
{
    for (size_t v = 0; v < c->nvox; v++)
        c->model[v] = (int)(c->nmodels - 1);
}

/* Step 0, every voxel with the design's HRF, then step 1, the library's. */
static int fit_hrf(fit *F, const bract_progress *prog)
{
    sctx *c = &F->c;
    bract_single *res = c->res;
    int *chosen = bract_xmalloc(c->nvox, sizeof *chosen, "HRF models");
    if (!chosen)
        return BRACT_ENOMEM;
    memcpy(chosen, c->model, c->nvox * sizeof *chosen);
    all_baseline(c);
    int rc = sort_by_model(c, F->order, &F->ngood, F->used);
    if (!rc)
        rc = build_filters(c, BRACT_SINGLE_STEP_BASELINE, F->used, &F->fsteps[0]);
    if (!rc)
        rc = run_step(c, 0, &F->fsteps[0], NULL, F->order, F->ngood, NULL, prog);
    memcpy(c->model, chosen, c->nvox * sizeof *chosen);
    free(chosen);
    if (rc)
        return rc;
    res->steps[0].kept = 1;
    res->steps[0].p_worse = NAN;
    F->si = 1;
    if (c->o->hrf_library) {
        if ((rc = sort_by_model(c, F->order, &F->ngood, F->used)) ||
            (rc = build_filters(c, BRACT_SINGLE_STEP_HRF, F->used, &F->fsteps[F->si])) ||
            (rc = run_step(c, F->si, &F->fsteps[F->si], NULL, F->order, F->ngood, NULL, prog)))
            return rc;
        if (!judge_step(c, F->si, &F->last))
            all_baseline(c);
        F->si++;
    } else {
        all_baseline(c);
    }
    return sort_by_model(c, F->order, &F->ngood, F->used);
}

/* Step 2: the pool's components, their number, the noise step's betas. */
static int fit_noise(fit *F, const bract_progress *prog)
{
    sctx *c = &F->c;
    bract_single *res = c->res;
    const bract_single_opts *o = c->o;
    int rc;
    if (F->want_noise && res->npool < (size_t)res->max_pcs + 1) {
        bract_warn("the noise pool has %zu voxel%s (on-off R2 below %g), fewer than the %d "
                   "components + 1: no noise components",
                   res->npool, res->npool == 1 ? "" : "s", res->r2_threshold, res->max_pcs);
        res->max_pcs = 0;
    }
    if (res->max_pcs > 0) {
        if ((rc = noise_components(c)))
            return rc;
        for (size_t r = 0; r < c->nruns; r++)
            c->run[r].nq = c->run[r].nq0 + (size_t)res->max_pcs;
        if (o->noise_pcs == BRACT_SINGLE_PCS_AUTO) {
            if ((rc = bract_singlei_pc_curve(c)))
                return rc;
            res->npcs =
                (int)bract_glmdenoise_choose(res->pc_curve, (size_t)res->max_pcs, o->pcstop);
        } else {
            res->npcs = res->max_pcs;
        }
    } else {
        for (size_t r = 0; r < c->nruns; r++)
            c->run[r].nq = c->run[r].nq0;
    }
    c->kpcs = (size_t)res->npcs;
    if (!F->want_noise)
        return BRACT_OK;
    if ((rc = build_filters(c, BRACT_SINGLE_STEP_NOISE, F->used, &F->fsteps[F->si])) ||
        (rc = run_step(c, F->si, &F->fsteps[F->si], NULL, F->order, F->ngood, NULL, prog)))
        return rc;
    if (!judge_step(c, F->si, &F->last))
        c->kpcs = 0;
    F->si++;
    return BRACT_OK;
}

/* Step 3: the ridge models of the used HRFs, then the ridge betas (into
 * the result: they are the final ones when kept). */
static int fit_ridge(fit *F, const bract_progress *prog)
{
    sctx *c = &F->c;
    bract_single *res = c->res;
    const size_t M = c->nmodels, nvox = c->nvox;
    int rc;
    if ((rc = set_fractions(c->o, res, &c->one_candidate)))
        return rc;
    res->fraction = bract_glmi_big_alloc(nvox, sizeof(double), "ridge fractions");
    res->alpha = bract_glmi_big_alloc(nvox, sizeof(double), "ridge alphas");
    res->scale = bract_glmi_big_alloc(nvox, sizeof(double), "ridge scales");
    res->offset = bract_glmi_big_alloc(nvox, sizeof(double), "ridge offsets");
    F->rm = bract_xcalloc(M, sizeof *F->rm, "ridge models");
    int *st = bract_xcalloc(M, sizeof *st, "statuses");
    char **msg = bract_xcalloc(M, sizeof *msg, "messages");
    if (!res->fraction || !res->alpha || !res->scale || !res->offset || !F->rm || !st || !msg) {
        free(st);
        free(msg);
        return BRACT_ENOMEM;
    }
    for (size_t v = 0; v < nvox; v++)
        res->fraction[v] = res->alpha[v] = res->scale[v] = res->offset[v] = NAN;
#pragma omp parallel for schedule(dynamic, 1)
    for (size_t m = 0; m < M; m++)
        if (F->used[m]) {
            st[m] = bract_singlei_ridge_model(c, m, &F->rm[m]);
            if (st[m])
                msg[m] = bract_xstrdup(bract_last_error());
        }
    for (size_t m = 0; m < M && !rc; m++)
        if (st[m])
            rc = bract_error(st[m], "%s", msg[m] ? msg[m] : "out of memory");
    for (size_t m = 0; m < M; m++) {
        free(msg[m]);
        if (F->rm[m].ngrid > c->gmax)
            c->gmax = F->rm[m].ngrid;
    }
    free(msg);
    free(st);
    if (rc || (rc = run_step(c, F->si, NULL, F->rm, F->order, F->ngood, res->betas, prog)))
        return rc;
    judge_step(c, F->si, &F->last);
    F->si++;
    return BRACT_OK;
}

/* The final betas: the last kept step's (NaN for left-out voxels). */
static int fit_final(fit *F)
{
    sctx *c = &F->c;
    bract_single *res = c->res;
    const size_t last = F->last, nvox = c->nvox, T = c->ntrials;
    int rc;
    if (res->steps[last].kind != BRACT_SINGLE_STEP_RIDGE) {
        if (res->steps[last].betas) {
            memcpy(res->betas, res->steps[last].betas, nvox * T * sizeof *res->betas);
        } else {
            /* recompute it (its reliabilities come out the same) */
            if (res->steps[last].kind == BRACT_SINGLE_STEP_BASELINE)
                all_baseline(c);
            if ((rc = sort_by_model(c, F->order, &F->ngood, F->used)) ||
                (rc = run_step(c, last, &F->fsteps[last], NULL, F->order, F->ngood, res->betas,
                               NULL)))
                return rc;
        }
    }
    for (size_t v = 0; v < nvox; v++)
        if (res->bad[v])
            for (size_t k = 0; k < T; k++)
                res->betas[v * T + k] = NAN;
    res->last_kept = last;
    if (res->max_pcs == 0) {
        for (size_t r = 0; r < c->nruns; r++)
            free(res->pcs[r]);
        free(res->pcs);
        res->pcs = NULL;
    }
    return BRACT_OK;
}

int bract_single_new(const bract_single_run *runs, size_t nruns, size_t nvox,
                     const bract_single_opts *o, const bract_progress *prog, bract_single **out)
{
    *out = NULL;
    int rc = check_opts(o, nruns);
    if (rc)
        return rc;
    if (nvox == 0)
        return bract_error(BRACT_EINVAL, "no voxels");
    fit F;
    memset(&F, 0, sizeof F);
    sctx *c = &F.c;
    c->o = o;
    c->nruns = nruns;
    c->nvox = nvox;
    c->B = o->block ? o->block : 256;
    c->nmodels = (o->hrf_library ? BRACT_HRFLIB_SIZE : 0) + 1;
    F.want_noise = o->noise_pcs != 0;
    F.want_ridge = o->ridge == BRACT_SINGLE_RIDGE_AUTO;
    bract_single *res = c->res = bract_xcalloc(1, sizeof *res, "a single-trial result");
    if (!res)
        return BRACT_ENOMEM;
    res->nvox = nvox;
    res->nruns = nruns;
    res->max_pcs = !F.want_noise ? 0 : o->noise_pcs > 0 ? o->noise_pcs : o->max_noise_pcs;
    if (!(rc = fit_setup(&F, runs)) && !(rc = pass_onoff(c, prog))) {
        for (size_t v = 0; v < nvox; v++)
            res->nbad += res->bad[v] != 0;
        if (res->nbad)
            bract_warn("%zu voxel%s left out of the single-trial fit: a non-finite value, or "
                       "constant in a run",
                       res->nbad, res->nbad == 1 ? "" : "s");
        if (!(rc = voxel_sets(c)) && !(rc = fit_steps(&F)) && !(rc = fit_hrf(&F, prog)) &&
            !(rc = fit_noise(&F, prog)) && !(F.want_ridge && (rc = fit_ridge(&F, prog))))
            rc = fit_final(&F);
    }
    fit_clear(&F);
    if (rc) {
        bract_single_free(res);
        return rc;
    }
    *out = res;
    return BRACT_OK;
}
