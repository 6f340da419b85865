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
    const size_t n = d->nrow, p = d->ncol, K = ev->n;
    const size_t B = fopts->block ? fopts->block : 1024;
    bract_hrf_plan *plan = NULL;
    double *xfull = NULL, *xt = NULL, *P0 = NULL, *F0 = NULL, *R0 = NULL, *H = NULL, *rr = NULL,
           *gj = NULL, *l1r = NULL, *RH = NULL, *out = NULL, **Fb = NULL;
    size_t *cond = NULL;
    unsigned char *alone = NULL, *bad = NULL;
    int *vbin = NULL, *bin_list = NULL;
    size_t nbins_used = 0;
    rc = BRACT_ENOMEM;
    xfull = bract_xmalloc(nvol * K, sizeof *xfull, "trial regressors");
    xt = bract_xmalloc(n * K, sizeof *xt, "trial regressors");
    P0 = bract_xmalloc(p * n, sizeof *P0, "a pseudo-inverse");
    F0 = bract_xmalloc(n * K, sizeof *F0, "LSS filters");
    R0 = bract_xmalloc(n * K, sizeof *R0, "residualised trials");
    H = bract_xmalloc(n * K, sizeof *H, "shifted trials");
    RH = bract_xmalloc(n * 2 * K, sizeof *RH, "trial products");
    rr = bract_xmalloc(K, sizeof *rr, "trial norms");
    gj = bract_xmalloc(K, sizeof *gj, "trial coefficients");
    l1r = bract_xmalloc(K, sizeof *l1r, "trial lags");
    cond = bract_xmalloc(K, sizeof *cond, "trial conditions");
    alone = bract_xcalloc(K, 1, "trial flags");
    bad = bract_glmi_big_calloc(nvox ? nvox : 1, 1, "voxel flags");
    out = bract_glmi_big_alloc(nvox * K, sizeof *out, "LSS betas");
    if (ar)
        vbin = bract_glmi_big_alloc(nvox * K, sizeof *vbin, "AR bins");
    if (!xfull || !xt || !P0 || !F0 || !R0 || !H || !RH || !rr || !gj || !l1r || !cond ||
        !alone || !bad || !out || (ar && !vbin))
        goto done;

    /* each trial's regressor and condition column */
    if ((rc = bract_hrf_plan_new(&dopts->hrf, d->frame_times, nvol, &plan)))
        goto done;
    for (size_t k = 0; k < K && !rc; k++) {
        const bract_event *e = &ev->ev[k];
        rc = bract_hrf_plan_regressors(plan, &e->onset, &e->duration, &e->modulation, 1,
                                       xfull + k, K);
        long j = bract_glm_design_find(d, e->label);
        cond[k] = (size_t)j;
        alone[k] = d->cond_nevents[j] == 1;
    }
    if (rc)
        goto done;
    for (size_t r = 0; r < n; r++)
        memcpy(xt + r * K, xfull + d->row_volume[r] * K, K * sizeof *xt);
    if ((rc = bract_glmi_pinv(d->x, n, p, P0, NULL, NULL, NULL)))
        goto done;
    lss_ctx c = {d, n, p, K, xt, cond, alone, ev};
    if ((rc = lss_filters(&c, 0, bins, F0, R0, rr, gj)))
        goto done;
    /* h_k = S r_k + S' r_k (q_k = e_A' h_k), and sum r_t r_{t+1} */
    for (size_t k = 0; k < K; k++) {
        double s = 0;
        for (size_t t = 0; t + 1 < n; t++)
            s += R0[t * K + k] * R0[(t + 1) * K + k];
        l1r[k] = s;
    }
    for (size_t t = 0; t < n; t++)
        for (size_t k = 0; k < K; k++)
            H[t * K + k] =
                (t > 0 ? R0[(t - 1) * K + k] : 0) + (t + 1 < n ? R0[(t + 1) * K + k] : 0);
    for (size_t t = 0; t < n; t++) {
        memcpy(RH + t * 2 * K, R0 + t * K, K * sizeof *RH);
        memcpy(RH + t * 2 * K + K, H + t * K, K * sizeof *RH);
    }

    /* pass 1: OLS betas (final for OLS), or every trial's AR bin */
    const size_t nblocks = (nvox + B - 1) / B;
    size_t done_blocks = 0, total = ar ? 2 * nblocks : nblocks;
    int failed = 0;
    bract_progress_report(prog, 0, total);
#pragma omp parallel
    {
        double *yb = bract_glmi_big_alloc(B * n, sizeof *yb, "a voxel block");
        double *bb = bract_glmi_big_alloc(B * p, sizeof *bb, "a block of betas");
        double *uq = bract_glmi_big_alloc(B * 2 * K, sizeof *uq, "a block of products");
        double *row = bract_xmalloc(n, sizeof *row, "a series");
        if (!yb || !bb || !uq || !row) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(dynamic, 1)
        for (size_t blk = 0; blk < nblocks; blk++) {
            if (!yb || !bb || !uq || !row)
                continue;
            size_t v0 = blk * B, nb = nvox - v0 < B ? nvox - v0 : B;
            for (size_t i = 0; i < nb; i++) {
                bad[v0 + i] = (unsigned char)bract_glmi_load_row(y, ldy, v0 + i, d->row_volume,
                                                                  d->nrow, yb + i * n);
                if (bad[v0 + i])
                    memset(yb + i * n, 0, n * sizeof *yb);
            }
            /* B = Y P0', E_A = Y - B A' (in place), u = R'e_A (= R'y, without the
             * data's mean in the rounding), q = H'e_A for AR */
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nb, (int)p, (int)n, 1.0, yb,
                        (int)n, P0, (int)n, 0.0, bb, (int)p);
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nb, (int)n, (int)p, -1.0, bb,
                        (int)p, d->x, (int)p, 1.0, yb, (int)n);
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)nb, (int)(ar ? 2 * K : K),
                        (int)n, 1.0, yb, (int)n, RH, (int)(2 * K), 0.0, uq, (int)(2 * K));
            if (!ar) {
                for (size_t i = 0; i < nb; i++)
                    for (size_t k = 0; k < K; k++) {
                        double b = bb[i * p + cond[k]];
                        if (!alone[k])
                            b += (1.0 - gj[k]) * uq[i * 2 * K + k] / rr[k];
                        out[(v0 + i) * K + k] = b;
                    }
            } else {
                for (size_t i = 0; i < nb; i++) {
                    const double *e = yb + i * n;
                    double s2 = 0, l1 = 0;
                    for (size_t t = 0; t < n; t++)
                        s2 += e[t] * e[t];
                    for (size_t t = 0; t + 1 < n; t++)
                        l1 += e[t] * e[t + 1];
                    for (size_t k = 0; k < K; k++) {
                        double s2k = s2, l1k = l1;
                        if (!alone[k]) {
                            double u = uq[i * 2 * K + k], q = uq[i * 2 * K + K + k];
                            double gam = u / rr[k];
                            s2k = s2 - gam * u;
                            l1k = l1 - gam * q + gam * gam * l1r[k];
                        }
                        vbin[(v0 + i) * K + k] =
                            bad[v0 + i] || !(s2k > 0)
                                ? 0
                                : bract_glmi_ar_bin(bract_glmi_yule_walker(s2k, l1k, n), bins);
                    }
                }
            }
            size_t now;
#pragma omp atomic capture
            now = ++done_blocks;
            if (omp_get_thread_num() == 0)
                bract_progress_report(prog, now, total);
        }
        free(yb);
        free(bb);
        free(uq);
        free(row);
    }
    if (failed) {
        rc = bract_error(BRACT_ENOMEM, "out of memory for LSS voxel blocks");
        goto done;
    }

    if (ar) {
        /* the filters of every bin that occurs */
        int bmin = 0, bmax = 0;
        for (size_t i = 0; i < nvox * K; i++) {
            if (vbin[i] < bmin)
                bmin = vbin[i];
            if (vbin[i] > bmax)
                bmax = vbin[i];
        }
        size_t span = (size_t)(bmax - bmin) + 1;
        size_t *slot = bract_xmalloc(span, sizeof *slot, "AR bins");
        unsigned char *used = bract_xcalloc(span, 1, "AR bins");
        if (!slot || !used) {
            free(slot);
            free(used);
            rc = BRACT_ENOMEM;
            goto done;
        }
        for (size_t i = 0; i < nvox * K; i++)
            used[vbin[i] - bmin] = 1;
        for (size_t b = 0; b < span; b++)
            if (used[b])
                slot[b] = nbins_used++;
        bin_list = bract_xmalloc(nbins_used, sizeof *bin_list, "AR bins");
        Fb = bract_xcalloc(nbins_used, sizeof *Fb, "LSS filters");
        int *st = bract_xcalloc(nbins_used, sizeof *st, "statuses");
        if (!bin_list || !Fb || !st) {
            free(slot);
            free(used);
            free(st);
            rc = BRACT_ENOMEM;
            goto done;
        }
        for (size_t b = 0; b < span; b++)
            if (used[b])
                bin_list[slot[b]] = (int)b + bmin;
#pragma omp parallel for schedule(dynamic, 1)
        for (size_t m = 0; m < nbins_used; m++) {
            Fb[m] = bract_xmalloc(n * K, sizeof *Fb[m], "LSS filters");
            st[m] = Fb[m] ? lss_filters(&c, bin_list[m], bins, Fb[m], NULL, NULL, NULL)
                          : BRACT_ENOMEM;
        }
        rc = BRACT_OK;
        for (size_t m = 0; m < nbins_used && !rc; m++)
            if (st[m])
                rc = st[m] == BRACT_ENOMEM
                         ? bract_error(BRACT_ENOMEM, "out of memory for LSS filters")
                         : bract_error(st[m], "the LSS models with rho = %g: %s",
                                       (double)bin_list[m] / bins, "a whitened model failed");
        free(st);
        if (rc) {
            free(slot);
            free(used);
            goto done;
        }
        /* pass 2: per block, per bin present, one product with that bin's filters */
#pragma omp parallel
        {
            double *yb = bract_glmi_big_alloc(B * n, sizeof *yb, "a voxel block");
            double *gy = bract_glmi_big_alloc(B * n, sizeof *gy, "a voxel block");
            double *ob = bract_glmi_big_alloc(B * K, sizeof *ob, "a block of betas");
            size_t *cnt = bract_xcalloc(nbins_used + 1, sizeof *cnt, "bin counts");
            size_t *lst = bract_xmalloc(B * (K < nbins_used ? K : nbins_used) + 1, sizeof *lst,
                                        "bin lists");
            size_t *mark = bract_xmalloc(nbins_used, sizeof *mark, "bin marks");
            if (!yb || !gy || !ob || !cnt || !lst || !mark) {
#pragma omp atomic write
                failed = 1;
            }
#pragma omp for schedule(dynamic, 1)
            for (size_t blk = 0; blk < nblocks; blk++) {
                if (!yb || !gy || !ob || !cnt || !lst || !mark)
                    continue;
                size_t v0 = blk * B, nb = nvox - v0 < B ? nvox - v0 : B;
                /* centred series: f'1 = 0 (the constant column), so this
                 * only keeps the data's mean out of the rounding */
                for (size_t i = 0; i < nb; i++)
                    if (!bad[v0 + i]) {
                        double *yr = yb + i * n, mu = 0;
                        bract_glmi_load_row(y, ldy, v0 + i, d->row_volume, d->nrow, yr);
                        for (size_t t = 0; t < n; t++)
                            mu += yr[t];
                        mu /= (double)n;
                        for (size_t t = 0; t < n; t++)
                            yr[t] -= mu;
                    }
                /* voxels per bin (each voxel once per bin it uses) */
                memset(cnt, 0, (nbins_used + 1) * sizeof *cnt);
                for (size_t m = 0; m < nbins_used; m++)
                    mark[m] = (size_t)-1;
                for (size_t i = 0; i < nb; i++) {
                    if (bad[v0 + i])
                        continue;
                    for (size_t k = 0; k < K; k++) {
                        size_t m = slot[vbin[(v0 + i) * K + k] - bmin];
                        if (mark[m] != i) {
                            mark[m] = i;
                            cnt[m + 1]++;
                        }
                    }
                }
                for (size_t m = 0; m < nbins_used; m++)
                    cnt[m + 1] += cnt[m];
                for (size_t m = 0; m < nbins_used; m++)
                    mark[m] = (size_t)-1;
                size_t *fill = bract_xmalloc(nbins_used, sizeof *fill, "bin fill");
                if (!fill) {
#pragma omp atomic write
                    failed = 1;
                    continue;
                }
                memcpy(fill, cnt, nbins_used * sizeof *fill);
                for (size_t i = 0; i < nb; i++) {
                    if (bad[v0 + i])
                        continue;
                    for (size_t k = 0; k < K; k++) {
                        size_t m = slot[vbin[(v0 + i) * K + k] - bmin];
                        if (mark[m] != i) {
                            mark[m] = i;
                            lst[fill[m]++] = i;
                        }
                    }
                }
                free(fill);
                for (size_t m = 0; m < nbins_used; m++) {
                    size_t a = cnt[m], z = cnt[m + 1];
                    if (a == z)
                        continue;
                    for (size_t s = a; s < z; s++)
                        memcpy(gy + (s - a) * n, yb + lst[s] * n, n * sizeof *gy);
                    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)(z - a), (int)K,
                                (int)n, 1.0, gy, (int)n, Fb[m], (int)K, 0.0, ob, (int)K);
                    int bm = bin_list[m];
                    for (size_t s = a; s < z; s++) {
                        size_t v = v0 + lst[s];
                        for (size_t k = 0; k < K; k++)
                            if (vbin[v * K + k] == bm)
                                out[v * K + k] = ob[(s - a) * K + k];
                    }
                }
                size_t now;
#pragma omp atomic capture
                now = ++done_blocks;
                if (omp_get_thread_num() == 0)
                    bract_progress_report(prog, now, total);
            }
            free(yb);
            free(gy);
            free(ob);
            free(cnt);
            free(lst);
            free(mark);
        }
        free(slot);
        free(used);
        if (failed) {
            rc = bract_error(BRACT_ENOMEM, "out of memory for LSS voxel blocks");
            goto done;
        }
    }
    size_t nbad = 0;
    for (size_t v = 0; v < nvox; v++)
        if (bad[v]) {
            nbad++;
            for (size_t k = 0; k < K; k++)
                out[v * K + k] = NAN;
        }
    if (nbad)
        bract_warn("%zu voxel%s left out of the LSS beta series (non-finite or constant data)",
                   nbad, nbad == 1 ? "" : "s");
    bract_progress_report(prog, total, total);
    *betas = out;
    out = NULL;
    rc = BRACT_OK;
done:
    if (Fb)
        for (size_t m = 0; m < nbins_used; m++)
            free(Fb[m]);
    free(Fb);
    free(bin_list);
    bract_hrf_plan_free(plan);
    bract_glm_design_free(d);
    free(xfull);
    free(xt);
    free(P0);
    free(F0);
    free(R0);
    free(H);
    free(RH);
    free(rr);
    free(gj);
    free(l1r);
    free(cond);
    free(alone);
    free(bad);
    free(out);
    free(vbin);
    return rc;
}
