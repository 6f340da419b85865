/* The number of noise components: GLMdenoise's leave-one-run-out cross-
 * validation of the condition model with 0 .. max components (bract/single.h,
 * step 2).
 *
 * Per voxel and run r (y_r its kept volumes, P_r projecting out the
 * nuisance, C_r the condition regressors of the voxel's HRF, U_r the run's
 * components, orthogonal to the nuisance):
 *     g_r(k) = C_r'P_r y_r - W_r[:, <k] z_r[<k],   W_r = C_r'P_r U_r, z_r = U_r'y_r,
 *     c_r(k) = |P_r y_r|^2 - |z_r[<k]|^2,
 *     G_r(k) = C_r'P_r C_r - W_r[:, <k] W_r[:, <k]'
 * are the sufficient statistics of the model with k components (P_rk =
 * P_r - U_r[:, <k] U_r[:, <k]').  Leaving out run t: b = M_t^-1 sum_{r != t}
 * g_r with M_t = sum_{r != t} G_r (conditions of no training run: b = 0),
 * and |P_tk y_t - P_tk C_t b|^2 = c_t - 2 b'g_t + b'G_t b.  M_t^-1 depends
 * only on the model, k and t: one inverse serves all the model's voxels. */
#include "glm/single_internal.h"

#include <math.h>
#include <string.h>

#include <cblas.h>
#include <lapacke.h>
#include <omp.h>

/* The signal voxels used: every one, or every m-th (mask order) beyond this many. */
#define MAX_CURVE_VOXELS 20000
/* Voxels per chunk of the cross-validation. */
#define CV_CHUNK 128

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y ? 1 : 0;
}

/* Per run, for one model: the projected condition regressors, their Gram
 * matrix and their products with the components. */
typedef struct {
    double *ct; /* n x J_r */
    double *g0; /* J_r x J_r */
    double *w;  /* J_r x kmax */
} cv_run;

static int cv_run_init(const sctx *c, size_t r, size_t m, size_t kmax, cv_run *cr)
{
    const srun *s = &c->run[r];
    const size_t n = s->n, J = s->J, K = s->K;
    cr->ct = bract_xcalloc(n * J, sizeof *cr->ct, "condition regressors");
    cr->g0 = bract_xmalloc(J * J, sizeof *cr->g0, "a Gram matrix");
    cr->w = bract_xmalloc(J * (kmax ? kmax : 1), sizeof *cr->w, "component products");
    if (!cr->ct || !cr->g0 || !cr->w)
        return BRACT_ENOMEM;
    for (size_t t = 0; t < n; t++)
        for (size_t k = 0; k < K; k++)
            cr->ct[t * J + s->tj[k]] += s->x[m][t * K + k];
    int rc = bract_singlei_project(s, s->nq0, cr->ct, J, J);
    if (rc)
        return rc;
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)J, (int)J, (int)n, 1.0, cr->ct,
                (int)J, cr->ct, (int)J, 0.0, cr->g0, (int)J);
    if (kmax)
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)J, (int)kmax, (int)n, 1.0, cr->ct,
                    (int)J, s->q + s->nq0, (int)s->nq, 0.0, cr->w, (int)kmax);
    return BRACT_OK;
}

static void cv_run_clear(cv_run *cr)
{
    free(cr->ct);
    free(cr->g0);
    free(cr->w);
}

/* M_t^-1 for k components (J x J, study condition order). */
static int training_inverse(const sctx *c, const cv_run *cr, size_t k, size_t t, size_t kmax,
                            double *minv)
{
    const size_t J = c->ncond, R = c->nruns;
    memset(minv, 0, J * J * sizeof *minv);
    unsigned char *have = bract_xcalloc(J, 1, "conditions");
    if (!have)
        return BRACT_ENOMEM;
    for (size_t r = 0; r < R; r++) {
        if (r == t)
            continue;
        const srun *s = &c->run[r];
        const size_t Jr = s->J;
        for (size_t a = 0; a < Jr; a++) {
            have[s->jg[a]] = 1;
            for (size_t b = 0; b < Jr; b++) {
                double v = cr[r].g0[a * Jr + b];
                for (size_t i = 0; i < k; i++)
                    v -= cr[r].w[a * kmax + i] * cr[r].w[b * kmax + i];
                minv[s->jg[a] * J + s->jg[b]] += v;
            }
        }
    }
    for (size_t j = 0; j < J; j++)
        if (!have[j])
            minv[j * J + j] = 1.0;
    free(have);
    lapack_int info = LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'U', (lapack_int)J, minv, (lapack_int)J);
    if (info == 0)
        info = LAPACKE_dpotri(LAPACK_ROW_MAJOR, 'U', (lapack_int)J, minv, (lapack_int)J);
    if (info != 0)
        return bract_error(BRACT_ENUMERIC,
                           "the condition model of the runs other than run %zu "
                           "with %zu noise components is singular (LAPACK info %d)",
                           t + 1, k, (int)info);
    for (size_t a = 0; a < J; a++)
        for (size_t b = 0; b < a; b++)
            minv[a * J + b] = minv[b * J + a];
    return BRACT_OK;
}

/* Per-thread buffers of a chunk of voxels. */
typedef struct {
    double *y, *tmp;  /* nv x maxn, nv x maxnq */
    double *g;        /* nv x sum J_r: g_r(k), run after run */
    double *z;        /* nv x R x kmax */
    double *cc;       /* nv x R */
    double *gsum;     /* nv x J */
    double *b, *beta; /* nv x J */
    double *bl, *h;   /* nv x max J_r */
    double *q;        /* nv x kmax */
} cv_ws;

static void cv_ws_clear(cv_ws *w)
{
    free(w->y);
    free(w->tmp);
    free(w->g);
    free(w->z);
    free(w->cc);
    free(w->gsum);
    free(w->b);
    free(w->beta);
    free(w->bl);
    free(w->h);
    free(w->q);
}

static int cv_ws_init(const sctx *c, size_t nv, size_t kmax, cv_ws *w)
{
    const size_t R = c->nruns, J = c->ncond;
    size_t sumj = 0, maxj = 0, maxnq = 0;
    for (size_t r = 0; r < R; r++) {
        sumj += c->run[r].J;
        maxj = c->run[r].J > maxj ? c->run[r].J : maxj;
        maxnq = c->run[r].nq > maxnq ? c->run[r].nq : maxnq;
    }
    memset(w, 0, sizeof *w);
    w->y = bract_xmalloc(nv * c->maxn, sizeof *w->y, "a voxel chunk");
    w->tmp = bract_xmalloc(nv * (maxnq ? maxnq : 1), sizeof *w->tmp, "a voxel chunk");
    w->g = bract_xmalloc(nv * sumj, sizeof *w->g, "condition products");
    w->z = bract_xmalloc(nv * R * (kmax ? kmax : 1), sizeof *w->z, "component products");
    w->cc = bract_xmalloc(nv * R, sizeof *w->cc, "sums of squares");
    w->gsum = bract_xmalloc(nv * J, sizeof *w->gsum, "condition products");
    w->b = bract_xmalloc(nv * J, sizeof *w->b, "condition products");
    w->beta = bract_xmalloc(nv * J, sizeof *w->beta, "condition betas");
    w->bl = bract_xmalloc(nv * maxj, sizeof *w->bl, "condition betas");
    w->h = bract_xmalloc(nv * maxj, sizeof *w->h, "condition betas");
    w->q = bract_xmalloc(nv * (kmax ? kmax : 1), sizeof *w->q, "component products");
    if (!w->y || !w->tmp || !w->g || !w->z || !w->cc || !w->gsum || !w->b || !w->beta || !w->bl ||
        !w->h || !w->q) {
        cv_ws_clear(w);
        return BRACT_ENOMEM;
    }
    return BRACT_OK;
}

/* R2(0 .. kmax) of nv voxels of one model into r2 (nv x (kmax + 1)). */
static void cv_chunk(const sctx *c, const cv_run *cr, const double *minv, const size_t *vox,
                     size_t nv, size_t kmax, cv_ws *w, double *r2)
{
    const size_t R = c->nruns, J = c->ncond;
    /* statistics of 0 components */
    size_t off = 0;
    for (size_t r = 0; r < R; r++) {
        const srun *s = &c->run[r];
        const size_t n = s->n, Jr = s->J;
        for (size_t i = 0; i < nv; i++)
            bract_singlei_load(s, vox[i], w->y + i * n);
        /* P_r y: the nuisance out */
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)nv, (int)s->nq0, (int)n, 1.0,
                    w->y, (int)n, s->q, (int)s->nq, 0.0, w->tmp, (int)s->nq0);
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nv, (int)n, (int)s->nq0, -1.0,
                    w->tmp, (int)s->nq0, s->q, (int)s->nq, 1.0, w->y, (int)n);
        for (size_t i = 0; i < nv; i++) {
            double v = 0;
            for (size_t t = 0; t < n; t++)
                v += w->y[i * n + t] * w->y[i * n + t];
            w->cc[i * R + r] = v;
        }
        /* g (run block of the chunk's rows: nv x Jr at offset off, ld Jr) */
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)nv, (int)Jr, (int)n, 1.0, w->y,
                    (int)n, cr[r].ct, (int)Jr, 0.0, w->g + off, (int)Jr);
        if (kmax)
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)nv, (int)kmax, (int)n, 1.0,
                        w->y, (int)n, s->q + s->nq0, (int)s->nq, 0.0, w->z + r * kmax,
                        (int)(R * kmax));
        off += nv * Jr;
    }
    for (size_t k = 0; k <= kmax; k++) {
        if (k > 0) {
            off = 0;
            for (size_t r = 0; r < R; r++) {
                const size_t Jr = c->run[r].J;
                for (size_t i = 0; i < nv; i++) {
                    double zk = w->z[(i * R + r) * kmax + k - 1];
                    double *g = w->g + off + i * Jr;
                    for (size_t a = 0; a < Jr; a++)
                        g[a] -= cr[r].w[a * kmax + k - 1] * zk;
                    w->cc[i * R + r] -= zk * zk;
                }
                off += nv * Jr;
            }
        }
        memset(w->gsum, 0, nv * J * sizeof *w->gsum);
        off = 0;
        for (size_t r = 0; r < R; r++) {
            const srun *s = &c->run[r];
            for (size_t i = 0; i < nv; i++)
                for (size_t a = 0; a < s->J; a++)
                    w->gsum[i * J + s->jg[a]] += w->g[off + i * s->J + a];
            off += nv * s->J;
        }
        double sse[CV_CHUNK], ctot[CV_CHUNK];
        for (size_t i = 0; i < nv; i++) {
            sse[i] = 0;
            ctot[i] = 0;
            for (size_t r = 0; r < R; r++)
                ctot[i] += w->cc[i * R + r];
        }
        off = 0;
        for (size_t t = 0; t < R; t++) {
            const srun *s = &c->run[t];
            const size_t Jt = s->J;
            const double *gt = w->g + off;
            memcpy(w->b, w->gsum, nv * J * sizeof *w->b);
            for (size_t i = 0; i < nv; i++)
                for (size_t a = 0; a < Jt; a++)
                    w->b[i * J + s->jg[a]] -= gt[i * Jt + a];
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)nv, (int)J, (int)J, 1.0,
                        w->b, (int)J, minv + (k * R + t) * J * J, (int)J, 0.0, w->beta, (int)J);
            for (size_t i = 0; i < nv; i++)
                for (size_t a = 0; a < Jt; a++)
                    w->bl[i * Jt + a] = w->beta[i * J + s->jg[a]];
            /* b'G_t b = bl'G0 bl - |bl'W_k|^2 */
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)nv, (int)Jt, (int)Jt, 1.0,
                        w->bl, (int)Jt, cr[t].g0, (int)Jt, 0.0, w->h, (int)Jt);
            if (k)
                cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)nv, (int)k, (int)Jt,
                            1.0, w->bl, (int)Jt, cr[t].w, (int)kmax, 0.0, w->q, (int)k);
            for (size_t i = 0; i < nv; i++) {
                double bg = 0, bgb = 0;
                for (size_t a = 0; a < Jt; a++) {
                    bg += w->bl[i * Jt + a] * gt[i * Jt + a];
                    bgb += w->bl[i * Jt + a] * w->h[i * Jt + a];
                }
                for (size_t a = 0; a < k; a++)
                    bgb -= w->q[i * k + a] * w->q[i * k + a];
                sse[i] += w->cc[i * R + t] - 2 * bg + bgb;
            }
            off += nv * Jt;
        }
        for (size_t i = 0; i < nv; i++)
            r2[i * (kmax + 1) + k] = ctot[i] > 0 ? 1 - sse[i] / ctot[i] : 0;
    }
}

int bract_singlei_cv_r2(const sctx *c, const size_t *vox_in, size_t nuse, size_t kmax,
                        double *r2_out)
{
    const size_t R = c->nruns, J = c->ncond, M = c->nmodels;
    /* the voxels sorted (stably) by model; pos[a]: where voxel vox_in[a] went */
    size_t *vox = bract_xmalloc(nuse ? nuse : 1, sizeof *vox, "voxels");
    size_t *pos = bract_xmalloc(nuse ? nuse : 1, sizeof *pos, "voxels");
    size_t *cnt = bract_xcalloc(M + 1, sizeof *cnt, "models");
    size_t *fill = bract_xmalloc(M, sizeof *fill, "models");
    double *r2 = bract_xmalloc((nuse ? nuse : 1) * (kmax + 1), sizeof *r2, "R2 values");
    cv_run *cr = bract_xcalloc(R, sizeof *cr, "condition models");
    double *minv = bract_xmalloc((kmax + 1) * R * J * J, sizeof *minv, "training inverses");
    int *st = bract_xcalloc((kmax + 1) * R, sizeof *st, "statuses");
    char **msg = bract_xcalloc((kmax + 1) * R, sizeof *msg, "messages");
    int rc = BRACT_OK;
    if (!vox || !pos || !cnt || !fill || !r2 || !cr || !minv || !st || !msg) {
        rc = BRACT_ENOMEM;
        goto done;
    }
    for (size_t a = 0; a < nuse; a++)
        cnt[c->model[vox_in[a]] + 1]++;
    for (size_t m = 0; m < M; m++)
        cnt[m + 1] += cnt[m];
    memcpy(fill, cnt, M * sizeof *fill);
    for (size_t a = 0; a < nuse; a++) {
        pos[a] = fill[c->model[vox_in[a]]]++;
        vox[pos[a]] = vox_in[a];
    }
    for (size_t m = 0; m < M && !rc; m++) {
        size_t a0 = cnt[m], a1 = cnt[m + 1];
        if (a0 == a1)
            continue;
        for (size_t r = 0; r < R && !rc; r++) {
            cv_run_clear(&cr[r]);
            memset(&cr[r], 0, sizeof cr[r]);
            rc = cv_run_init(c, r, m, kmax, &cr[r]);
        }
        if (rc)
            break;
#pragma omp parallel for schedule(dynamic, 1)
        for (size_t kt = 0; kt < (kmax + 1) * R; kt++) {
            st[kt] = training_inverse(c, cr, kt / R, kt % R, kmax, minv + kt * J * J);
            if (st[kt])
                msg[kt] = bract_xstrdup(bract_last_error());
        }
        for (size_t kt = 0; kt < (kmax + 1) * R && !rc; kt++)
            if (st[kt])
                rc = bract_error(st[kt], "%s", msg[kt] ? msg[kt] : "out of memory");
        for (size_t kt = 0; kt < (kmax + 1) * R; kt++) {
            free(msg[kt]);
            msg[kt] = NULL;
        }
        if (rc)
            break;
        const size_t nch = (a1 - a0 + CV_CHUNK - 1) / CV_CHUNK;
        int failed = 0;
#pragma omp parallel
        {
            cv_ws w;
            int ok = cv_ws_init(c, CV_CHUNK, kmax, &w) == BRACT_OK;
            if (!ok) {
#pragma omp atomic write
                failed = 1;
            }
#pragma omp for schedule(dynamic, 1)
            for (size_t ch = 0; ch < nch; ch++) {
                if (!ok)
                    continue;
                size_t b0 = a0 + ch * CV_CHUNK, nv = a1 - b0 < CV_CHUNK ? a1 - b0 : CV_CHUNK;
                cv_chunk(c, cr, minv, vox + b0, nv, kmax, &w, r2 + b0 * (kmax + 1));
            }
            if (ok)
                cv_ws_clear(&w);
        }
        if (failed)
            rc = bract_error(BRACT_ENOMEM, "out of memory for cross-validated R2");
    }
    if (!rc)
        for (size_t a = 0; a < nuse; a++)
            memcpy(r2_out + a * (kmax + 1), r2 + pos[a] * (kmax + 1), (kmax + 1) * sizeof *r2_out);
done:
    if (cr)
        for (size_t r = 0; r < R; r++)
            cv_run_clear(&cr[r]);
    free(cr);
    free(minv);
    free(st);
    free(msg);
    free(vox);
    free(pos);
    free(cnt);
    free(fill);
    free(r2);
    return rc;
}

int bract_singlei_pc_curve(sctx *c)
{
    bract_single *res = c->res;
    const size_t kmax = (size_t)res->max_pcs;
    /* the signal voxels used: every one, or every m-th */
    size_t nsig = 0;
    for (size_t v = 0; v < c->nvox; v++)
        nsig += res->signal[v] && !res->bad[v];
    size_t stride = (nsig + MAX_CURVE_VOXELS - 1) / MAX_CURVE_VOXELS;
    if (stride < 1)
        stride = 1;
    size_t nuse = (nsig + stride - 1) / stride;
    size_t *vox = bract_xmalloc(nuse ? nuse : 1, sizeof *vox, "signal voxels");
    double *r2 = bract_xmalloc((nuse ? nuse : 1) * (kmax + 1), sizeof *r2, "R2 values");
    double *col = bract_xmalloc(nuse ? nuse : 1, sizeof *col, "medians");
    res->pc_curve = bract_xmalloc(kmax + 1, sizeof *res->pc_curve, "the component curve");
    int rc = BRACT_OK;
    if (!vox || !r2 || !col || !res->pc_curve) {
        rc = BRACT_ENOMEM;
        goto done;
    }
    size_t k = 0, i = 0;
    for (size_t v = 0; v < c->nvox; v++)
        if (res->signal[v] && !res->bad[v]) {
            if (i % stride == 0)
                vox[k++] = v;
            i++;
        }
    if ((rc = bract_singlei_cv_r2(c, vox, nuse, kmax, r2)))
        goto done;
    for (size_t q = 0; q <= kmax; q++) {
        for (size_t a = 0; a < nuse; a++)
            col[a] = r2[a * (kmax + 1) + q];
        qsort(col, nuse, sizeof *col, cmp_double);
        res->pc_curve[q] = nuse == 0  ? NAN
                           : nuse % 2 ? col[nuse / 2]
                                      : 0.5 * (col[nuse / 2 - 1] + col[nuse / 2]);
    }
done:
    free(vox);
    free(r2);
    free(col);
    return rc;
}
