/* Beta series: LSS, one model per trial, solved from the standard model by
 * rank-one updates (bract/glm.h).
 *
 * Notation (one run, n kept volumes): A the standard design (p columns,
 * condition j(k) of trial k at column j), x_k trial k's regressor, W_b the
 * AR(1) whitening with coefficient b / bins (W_0 = I for OLS).  Model k is
 * [x_k, c_j - x_k, the other columns of A], which spans [A, x_k].  With
 * A~ = W_b A, x~ = W_b x_k, P~ = pinv(A~), g = P~ x~, r = x~ - A~ g:
 *     beta_k = (P~ W_b y)_j + (1 - g_j) r' W_b y / r'r = f_{k,b}' y,
 *     f_{k,b} = W_b' (P~_j' + (1 - g_j) / r'r r).
 * A trial alone in its condition leaves model k equal to A: f = W_b' P~_j'.
 * The OLS residuals of model k are e_A - r (r'y / r'r) (r of W_0), so its
 * residual sums, and its AR(1) coefficient, follow from e_A's by rank-one
 * updates: with u = r'y, h = S r + S' r (S: shift by one) and q = e_A' h,
 *     e'e = e_A'e_A - u^2 / r'r,
 *     sum e_t e_{t+1} = L_A - (u / r'r) q + (u / r'r)^2 sum r_t r_{t+1}.
 * u and q are taken from e_A rather than y (equal in exact arithmetic, as r
 * is orthogonal to A), which keeps the data's mean out of their rounding. */
#include "glm/glm_internal.h"

#include <ctype.h>
#include <float.h>
#include <math.h>
#include <string.h>

#include <cblas.h>
#include <omp.h>

int bract_glm_trials_parse(const char *s, bract_glm_trials *out)
{
    char b[8];
    size_t k = 0;
    for (; s[k] && k + 1 < sizeof b; k++)
        b[k] = (char)tolower((unsigned char)s[k]);
    b[k] = '\0';
    if (s[k])
        b[0] = '\0';
    if (strcmp(b, "none") == 0)
        *out = BRACT_GLM_TRIALS_NONE;
    else if (strcmp(b, "lsa") == 0)
        *out = BRACT_GLM_TRIALS_LSA;
    else if (strcmp(b, "lss") == 0)
        *out = BRACT_GLM_TRIALS_LSS;
    else
        return bract_error(BRACT_EINVAL, "unknown trial model '%s': expected none, lsa or lss", s);
    return BRACT_OK;
}

const char *bract_glm_trials_name(bract_glm_trials t)
{
    switch (t) {
    case BRACT_GLM_TRIALS_NONE: return "none";
    case BRACT_GLM_TRIALS_LSA: return "lsa";
    case BRACT_GLM_TRIALS_LSS: return "lss";
    }
    return "unknown";
}

/* W' z in place: z_t - rho z_{t+1}, the last unchanged. */
static void whiten_transpose(double *z, size_t n, double rho)
{
    for (size_t t = 0; t + 1 < n; t++)
        z[t] = z[t] - rho * z[t + 1];
}

typedef struct {
    const bract_glm_design *d;
    size_t n, p, K;
    const double *xt;      /* n x K trial regressors (kept rows) */
    const size_t *cond;    /* K: condition column of each trial */
    const unsigned char *alone; /* K: the trial is its condition's only event */
    const bract_events *ev;
} lss_ctx;

/* The filters f_{k,b} of every trial for coefficient bin/bins: F (n x K,
 * row-major).  For bin 0 (W = I) also R (n x K, the residualised trial
 * regressors), rr (K) and gj (K) when not NULL. */
static int lss_filters(const lss_ctx *c, int bin, int bins, double *F, double *R, double *rr,
                       double *gj)
{
    const size_t n = c->n, p = c->p, K = c->K;
    glm_model m;
    int rc = bract_glmi_model_init(&m, c->d->x, n, p, bin, bins);
    if (rc)
        return rc;
    double *xw = bract_xmalloc(n * K + p * K, sizeof *xw, "whitened trial regressors");
    if (!xw) {
        bract_glmi_model_clear(&m);
        return BRACT_ENOMEM;
    }
    double *G = xw + n * K;
    /* x~ = W x_k (columns), G = P~ x~, r = x~ - A~ G (in xw) */
    memcpy(xw, c->xt, K * sizeof *xw);
    for (size_t t = 1; t < n; t++)
        for (size_t k = 0; k < K; k++)
            xw[t * K + k] = c->xt[t * K + k] - m.rho * c->xt[(t - 1) * K + k];
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)p, (int)K, (int)n, 1.0, m.pinv,
                (int)n, xw, (int)K, 0.0, G, (int)K);
    double *xn = bract_xcalloc(K, sizeof *xn, "trial norms");
    if (!xn) {
        free(xw);
        bract_glmi_model_clear(&m);
        return BRACT_ENOMEM;
    }
    for (size_t t = 0; t < n; t++)
        for (size_t k = 0; k < K; k++)
            xn[k] += xw[t * K + k] * xw[t * K + k];
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)K, (int)p, -1.0, m.wx,
                (int)p, G, (int)K, 1.0, xw, (int)K);
    for (size_t k = 0; k < K && !rc; k++) {
        double s = 0;
        for (size_t t = 0; t < n; t++)
            s += xw[t * K + k] * xw[t * K + k];
        size_t j = c->cond[k];
        double coef = 0;
        if (!c->alone[k]) {
            if (!(sqrt(s) > 1e-8 * sqrt(xn[k]))) {
                const bract_event *e = &c->ev->ev[k];
                rc = bract_error(BRACT_EDATA, "%s:%zu: trial '%s' at %g s cannot be told apart "
                                 "from the rest of its model (its regressor is a combination "
                                 "of the others')", c->ev->path, e->line, e->label, e->onset);
                break;
            }
            coef = (1.0 - G[j * K + k]) / s;
        }
        if (rr)
            rr[k] = s;
        if (gj)
            gj[k] = G[j * K + k];
        double *z = bract_xmalloc(n, sizeof *z, "a filter");
        if (!z) {
            rc = BRACT_ENOMEM;
            break;
        }
        for (size_t t = 0; t < n; t++)
            z[t] = m.pinv[j * n + t] + coef * xw[t * K + k];
        whiten_transpose(z, n, m.rho);
        for (size_t t = 0; t < n; t++)
            F[t * K + k] = z[t];
        free(z);
    }
    if (!rc && R)
        memcpy(R, xw, n * K * sizeof *R);
    free(xn);
    free(xw);
    bract_glmi_model_clear(&m);
    return rc;
}

/* ---- LSS over a voxel series, in stages ---- */

/* Everything bract_glm_lss holds between its stages. */
typedef struct {
    const float *y;
    size_t ldy, nvox;
    const bract_progress *prog;
    int ar, bins;
    size_t B;        /* voxels per block */
    lss_ctx c;       /* the design and the trials */
    size_t n, p, K;  /* kept volumes, design columns, trials */
    double *xfull;   /* nvol x K trial regressors */
    double *xt;      /* n x K, kept volumes */
    double *P0;      /* p x n pseudo-inverse of the design */
    double *F0, *R0; /* n x K OLS filters and residualised trials */
    double *H;       /* n x K: S r_k + S' r_k */
    double *RH;      /* n x 2K: R0 beside H */
    double *rr, *gj, *l1r; /* per trial: r'r, coefficient, sum r_t r_{t+1} */
    size_t *cond;
    unsigned char *alone;
    unsigned char *bad; /* per voxel: left out */
    double *out;        /* nvox x K betas */
    int *vbin;          /* nvox x K AR bins (AR only) */
    /* the AR bins that occur */
    int bmin;
    size_t span, nbins_used, *slot;
    int *bin_list;
    double **Fb;
    size_t nblocks, done_blocks, total;
} lss_work;

static void lss_work_clear(lss_work *w)
{
    if (w->Fb)
        for (size_t m = 0; m < w->nbins_used; m++)
            free(w->Fb[m]);
    free(w->Fb);
    free(w->bin_list);
    free(w->slot);
    free(w->xfull);
    free(w->xt);
    free(w->P0);
    free(w->F0);
    free(w->R0);
    free(w->H);
    free(w->RH);
    free(w->rr);
    free(w->gj);
    free(w->l1r);
    free(w->cond);
    free(w->alone);
    free(w->bad);
    free(w->out);
    free(w->vbin);
}

static int lss_alloc(lss_work *w, size_t nvol)
{
    const size_t n = w->n, p = w->p, K = w->K, nvox = w->nvox;
    w->xfull = bract_xmalloc(nvol * K, sizeof *w->xfull, "trial regressors");
    w->xt = bract_xmalloc(n * K, sizeof *w->xt, "trial regressors");
    w->P0 = bract_xmalloc(p * n, sizeof *w->P0, "a pseudo-inverse");
    w->F0 = bract_xmalloc(n * K, sizeof *w->F0, "LSS filters");
    w->R0 = bract_xmalloc(n * K, sizeof *w->R0, "residualised trials");
    w->H = bract_xmalloc(n * K, sizeof *w->H, "shifted trials");
    w->RH = bract_xmalloc(n * 2 * K, sizeof *w->RH, "trial products");
    w->rr = bract_xmalloc(K, sizeof *w->rr, "trial norms");
    w->gj = bract_xmalloc(K, sizeof *w->gj, "trial coefficients");
    w->l1r = bract_xmalloc(K, sizeof *w->l1r, "trial lags");
    w->cond = bract_xmalloc(K, sizeof *w->cond, "trial conditions");
    w->alone = bract_xcalloc(K, 1, "trial flags");
    w->bad = bract_glmi_big_calloc(nvox ? nvox : 1, 1, "voxel flags");
    w->out = bract_glmi_big_alloc(nvox * K, sizeof *w->out, "LSS betas");
    if (w->ar)
        w->vbin = bract_glmi_big_alloc(nvox * K, sizeof *w->vbin, "AR bins");
    if (!w->xfull || !w->xt || !w->P0 || !w->F0 || !w->R0 || !w->H || !w->RH || !w->rr ||
        !w->gj || !w->l1r || !w->cond || !w->alone || !w->bad || !w->out || (w->ar && !w->vbin))
        return BRACT_ENOMEM;
    return BRACT_OK;
}

/* Each trial's regressor and condition column, the OLS filters, and the
 * products the AR(1) estimates need. */
static int lss_prepare(lss_work *w, const bract_glm_design_opts *dopts, size_t nvol)
{
    const bract_glm_design *d = w->c.d;
    const bract_events *ev = w->c.ev;
    const size_t n = w->n, p = w->p, K = w->K;
    bract_hrf_plan *plan = NULL;
    int rc = bract_hrf_plan_new(&dopts->hrf, d->frame_times, nvol, &plan);
    for (size_t k = 0; k < K && !rc; k++) {
        const bract_event *e = &ev->ev[k];
        rc = bract_hrf_plan_regressors(plan, &e->onset, &e->duration, &e->modulation, 1,
                                       w->xfull + k, K);
        long j = bract_glm_design_find(d, e->label);
        w->cond[k] = (size_t)j;
        w->alone[k] = d->cond_nevents[j] == 1;
    }
    bract_hrf_plan_free(plan);
    if (rc)
        return rc;
    for (size_t r = 0; r < n; r++)
        memcpy(w->xt + r * K, w->xfull + d->row_volume[r] * K, K * sizeof *w->xt);
    if ((rc = bract_glmi_pinv(d->x, n, p, w->P0, NULL, NULL, NULL)))
        return rc;
    if ((rc = lss_filters(&w->c, 0, w->bins, w->F0, w->R0, w->rr, w->gj)))
        return rc;
    /* h_k = S r_k + S' r_k (q_k = e_A' h_k), and sum r_t r_{t+1} */
    const double *R0 = w->R0;
    for (size_t k = 0; k < K; k++) {
        double s = 0;
        for (size_t t = 0; t + 1 < n; t++)
            s += R0[t * K + k] * R0[(t + 1) * K + k];
        w->l1r[k] = s;
    }
    for (size_t t = 0; t < n; t++)
        for (size_t k = 0; k < K; k++)
            w->H[t * K + k] =
                (t > 0 ? R0[(t - 1) * K + k] : 0) + (t + 1 < n ? R0[(t + 1) * K + k] : 0);
    for (size_t t = 0; t < n; t++) {
        memcpy(w->RH + t * 2 * K, R0 + t * K, K * sizeof *w->RH);
        memcpy(w->RH + t * 2 * K + K, w->H + t * K, K * sizeof *w->RH);
    }
    return BRACT_OK;
}

static void lss_progress(lss_work *w)
{
    size_t now;
#pragma omp atomic capture
    now = ++w->done_blocks;
    if (omp_get_thread_num() == 0)
        bract_progress_report(w->prog, now, w->total);
}

/* Pass 1 over one block: OLS betas (final for OLS), or every trial's AR bin
 * from the residuals' lag-0 and lag-1 sums with the trial's column taken
 * out. */
static void lss_pass1_block(lss_work *w, size_t blk, double *yb, double *bb, double *uq)
{
    const bract_glm_design *d = w->c.d;
    const size_t n = w->n, p = w->p, K = w->K, B = w->B;
    size_t v0 = blk * B, nb = w->nvox - v0 < B ? w->nvox - v0 : B;
    for (size_t i = 0; i < nb; i++) {
        w->bad[v0 + i] = (unsigned char)bract_glmi_load_row(w->y, w->ldy, v0 + i, d->row_volume,
                                                            d->nrow, yb + i * n);
        if (w->bad[v0 + i])
            memset(yb + i * n, 0, n * sizeof *yb);
    }
    /* B = Y P0', E_A = Y - B A' (in place), u = R'e_A (= R'y, without the
     * data's mean in the rounding), q = H'e_A for AR */
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nb, (int)p, (int)n, 1.0, yb, (int)n,
                w->P0, (int)n, 0.0, bb, (int)p);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nb, (int)n, (int)p, -1.0, bb,
                (int)p, d->x, (int)p, 1.0, yb, (int)n);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)nb, (int)(w->ar ? 2 * K : K),
                (int)n, 1.0, yb, (int)n, w->RH, (int)(2 * K), 0.0, uq, (int)(2 * K));
    if (!w->ar) {
        for (size_t i = 0; i < nb; i++)
            for (size_t k = 0; k < K; k++) {
                double b = bb[i * p + w->cond[k]];
                if (!w->alone[k])
                    b += (1.0 - w->gj[k]) * uq[i * 2 * K + k] / w->rr[k];
                w->out[(v0 + i) * K + k] = b;
            }
        return;
    }
    for (size_t i = 0; i < nb; i++) {
        const double *e = yb + i * n;
        double s2 = 0, l1 = 0;
        for (size_t t = 0; t < n; t++)
            s2 += e[t] * e[t];
        for (size_t t = 0; t + 1 < n; t++)
            l1 += e[t] * e[t + 1];
        for (size_t k = 0; k < K; k++) {
            double s2k = s2, l1k = l1;
            if (!w->alone[k]) {
                double u = uq[i * 2 * K + k], q = uq[i * 2 * K + K + k];
                double gam = u / w->rr[k];
                s2k = s2 - gam * u;
                l1k = l1 - gam * q + gam * gam * w->l1r[k];
            }
            w->vbin[(v0 + i) * K + k] =
                w->bad[v0 + i] || !(s2k > 0)
                    ? 0
                    : bract_glmi_ar_bin(bract_glmi_yule_walker(s2k, l1k, n), w->bins);
        }
    }
}

static int lss_pass1(lss_work *w)
{
    const size_t n = w->n, p = w->p, K = w->K, B = w->B;
    int failed = 0;
#pragma omp parallel
    {
        double *yb = bract_glmi_big_alloc(B * n, sizeof *yb, "a voxel block");
        double *bb = bract_glmi_big_alloc(B * p, sizeof *bb, "a block of betas");
        double *uq = bract_glmi_big_alloc(B * 2 * K, sizeof *uq, "a block of products");
        if (!yb || !bb || !uq) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(dynamic, 1)
        for (size_t blk = 0; blk < w->nblocks; blk++) {
            if (!yb || !bb || !uq)
                continue;
            lss_pass1_block(w, blk, yb, bb, uq);
            lss_progress(w);
        }
        free(yb);
        free(bb);
        free(uq);
    }
    return failed ? bract_error(BRACT_ENOMEM, "out of memory for LSS voxel blocks") : BRACT_OK;
}

/* The AR bins that occur, numbered, and the LSS filters of each. */
static int lss_bin_filters(lss_work *w)
{
    const size_t nk = w->nvox * w->K;
    int bmin = 0, bmax = 0;
    for (size_t i = 0; i < nk; i++) {
        if (w->vbin[i] < bmin)
            bmin = w->vbin[i];
        if (w->vbin[i] > bmax)
            bmax = w->vbin[i];
    }
    w->bmin = bmin;
    w->span = (size_t)(bmax - bmin) + 1;
    w->slot = bract_xmalloc(w->span, sizeof *w->slot, "AR bins");
    unsigned char *used = bract_xcalloc(w->span, 1, "AR bins");
    if (!w->slot || !used) {
        free(used);
        return BRACT_ENOMEM;
    }
    for (size_t i = 0; i < nk; i++)
        used[w->vbin[i] - bmin] = 1;
    for (size_t b = 0; b < w->span; b++)
        if (used[b])
            w->slot[b] = w->nbins_used++;
    w->bin_list = bract_xmalloc(w->nbins_used, sizeof *w->bin_list, "AR bins");
    w->Fb = bract_xcalloc(w->nbins_used, sizeof *w->Fb, "LSS filters");
    int *st = bract_xcalloc(w->nbins_used, sizeof *st, "statuses");
    if (!w->bin_list || !w->Fb || !st) {
        free(used);
        free(st);
        return BRACT_ENOMEM;
    }
    for (size_t b = 0; b < w->span; b++)
        if (used[b])
            w->bin_list[w->slot[b]] = (int)b + bmin;
    free(used);
    const size_t nK = w->n * w->K;
#pragma omp parallel for schedule(dynamic, 1)
    for (size_t m = 0; m < w->nbins_used; m++) {
        w->Fb[m] = bract_xmalloc(nK, sizeof *w->Fb[m], "LSS filters");
        st[m] = w->Fb[m] ? lss_filters(&w->c, w->bin_list[m], w->bins, w->Fb[m], NULL, NULL, NULL)
                         : BRACT_ENOMEM;
    }
    int rc = BRACT_OK;
    for (size_t m = 0; m < w->nbins_used && !rc; m++)
        if (st[m])
            rc = st[m] == BRACT_ENOMEM
                     ? bract_error(BRACT_ENOMEM, "out of memory for LSS filters")
                     : bract_error(st[m], "the LSS models with rho = %g: %s",
                                   (double)w->bin_list[m] / w->bins, "a whitened model failed");
    free(st);
    return rc;
}

/* Scratch of one thread in pass 2. */
typedef struct {
    double *yb, *gy, *ob;
    size_t *cnt, *lst, *mark, *fill;
} lss_scratch;

/* Pass 2 over one block: the voxels grouped by the bins they use (each
 * voxel once per bin), one product per bin with that bin's filters. */
static void lss_pass2_block(lss_work *w, size_t blk, lss_scratch *s)
{
    const bract_glm_design *d = w->c.d;
    const size_t n = w->n, K = w->K, B = w->B, nbu = w->nbins_used;
    size_t v0 = blk * B, nb = w->nvox - v0 < B ? w->nvox - v0 : B;
    /* centred series: f'1 = 0 (the constant column), so this only keeps
     * the data's mean out of the rounding */
    for (size_t i = 0; i < nb; i++)
        if (!w->bad[v0 + i]) {
            double *yr = s->yb + i * n, mu = 0;
            bract_glmi_load_row(w->y, w->ldy, v0 + i, d->row_volume, d->nrow, yr);
            for (size_t t = 0; t < n; t++)
                mu += yr[t];
            mu /= (double)n;
            for (size_t t = 0; t < n; t++)
                yr[t] -= mu;
        }
    memset(s->cnt, 0, (nbu + 1) * sizeof *s->cnt);
    for (int pass = 0; pass < 2; pass++) {
        /* pass 0 counts the voxels per bin, pass 1 lists them */
        for (size_t m = 0; m < nbu; m++)
            s->mark[m] = (size_t)-1;
        for (size_t i = 0; i < nb; i++) {
            if (w->bad[v0 + i])
                continue;
            for (size_t k = 0; k < K; k++) {
                size_t m = w->slot[w->vbin[(v0 + i) * K + k] - w->bmin];
                if (s->mark[m] == i)
                    continue;
                s->mark[m] = i;
                if (pass == 0)
                    s->cnt[m + 1]++;
                else
                    s->lst[s->fill[m]++] = i;
            }
        }
        if (pass == 0) {
            for (size_t m = 0; m < nbu; m++)
                s->cnt[m + 1] += s->cnt[m];
            memcpy(s->fill, s->cnt, nbu * sizeof *s->fill);
        }
    }
    for (size_t m = 0; m < nbu; m++) {
        size_t a = s->cnt[m], z = s->cnt[m + 1];
        if (a == z)
            continue;
        for (size_t j = a; j < z; j++)
            memcpy(s->gy + (j - a) * n, s->yb + s->lst[j] * n, n * sizeof *s->gy);
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)(z - a), (int)K, (int)n, 1.0,
                    s->gy, (int)n, w->Fb[m], (int)K, 0.0, s->ob, (int)K);
        int bm = w->bin_list[m];
        for (size_t j = a; j < z; j++) {
            size_t v = v0 + s->lst[j];
            for (size_t k = 0; k < K; k++)
                if (w->vbin[v * K + k] == bm)
                    w->out[v * K + k] = s->ob[(j - a) * K + k];
        }
    }
}

static int lss_pass2(lss_work *w)
{
    const size_t n = w->n, K = w->K, B = w->B, nbu = w->nbins_used;
    int failed = 0;
#pragma omp parallel
    {
        lss_scratch s = {
            bract_glmi_big_alloc(B * n, sizeof *s.yb, "a voxel block"),
            bract_glmi_big_alloc(B * n, sizeof *s.gy, "a voxel block"),
            bract_glmi_big_alloc(B * K, sizeof *s.ob, "a block of betas"),
            bract_xcalloc(nbu + 1, sizeof *s.cnt, "bin counts"),
            bract_xmalloc(B * (K < nbu ? K : nbu) + 1, sizeof *s.lst, "bin lists"),
            bract_xmalloc(nbu, sizeof *s.mark, "bin marks"),
            bract_xmalloc(nbu, sizeof *s.fill, "bin fill"),
        };
        const int ok = s.yb && s.gy && s.ob && s.cnt && s.lst && s.mark && s.fill;
        if (!ok) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(dynamic, 1)
        for (size_t blk = 0; blk < w->nblocks; blk++) {
            if (!ok)
                continue;
            lss_pass2_block(w, blk, &s);
            lss_progress(w);
        }
        free(s.yb);
        free(s.gy);
        free(s.ob);
        free(s.cnt);
        free(s.lst);
        free(s.mark);
        free(s.fill);
    }
    return failed ? bract_error(BRACT_ENOMEM, "out of memory for LSS voxel blocks") : BRACT_OK;
}

int bract_glm_lss(const bract_events *ev, size_t nvol, double tr, const bract_nuisance *conf,
                  const bract_glm_design_opts *dopts, const float *y, size_t ldy, size_t nvox,
                  const bract_glm_fit_opts *fopts, const bract_progress *prog, double **betas)
{
    *betas = NULL;
    if (!ev || ev->n == 0)
        return bract_error(BRACT_EINVAL, "LSS needs events");
    if (bract_hrf_nbasis(dopts->hrf.model, dopts->hrf.nfir) != 1)
        return bract_error(BRACT_EINVAL, "LSS needs one regressor per condition (glover, spm, "
                           "or fir with one delay), not %s",
                           bract_hrf_model_name(dopts->hrf.model));
    const int ar = fopts->noise == BRACT_GLM_NOISE_AR1;
    const int bins = ar ? fopts->ar_bins : 1;
    if (ar && (bins < 1 || bins > 1000000))
        return bract_error(BRACT_EINVAL, "the AR(1) bins must be in 1..1000000 (got %d)", bins);
    if (ldy < nvol)
        return bract_error(BRACT_EINVAL, "voxel series of %zu values for a run of %zu volumes",
                           ldy, nvol);
    bract_glm_design *d;
    int rc = bract_glm_design_new(ev, nvol, tr, conf, dopts, &d);
    if (rc)
        return rc;
    lss_work w = {.y = y, .ldy = ldy, .nvox = nvox, .prog = prog, .ar = ar, .bins = bins,
                  .B = fopts->block ? fopts->block : 1024, .n = d->nrow, .p = d->ncol,
                  .K = ev->n};
    if ((rc = lss_alloc(&w, nvol)))
        goto done;
    w.c = (lss_ctx){d, w.n, w.p, w.K, w.xt, w.cond, w.alone, ev};
    if ((rc = lss_prepare(&w, dopts, nvol)))
        goto done;
    w.nblocks = (nvox + w.B - 1) / w.B;
    w.total = ar ? 2 * w.nblocks : w.nblocks;
    bract_progress_report(prog, 0, w.total);
    if ((rc = lss_pass1(&w)))
        goto done;
    if (ar && ((rc = lss_bin_filters(&w)) || (rc = lss_pass2(&w))))
        goto done;
    size_t nbad = 0;
    for (size_t v = 0; v < nvox; v++)
        if (w.bad[v]) {
            nbad++;
            for (size_t k = 0; k < w.K; k++)
                w.out[v * w.K + k] = NAN;
        }
    if (nbad)
        bract_warn("%zu voxel%s left out of the LSS beta series (non-finite or constant data)",
                   nbad, nbad == 1 ? "" : "s");
    bract_progress_report(prog, w.total, w.total);
    *betas = w.out;
    w.out = NULL;
done:
    lss_work_clear(&w);
    bract_glm_design_free(d);
    return rc;
}
