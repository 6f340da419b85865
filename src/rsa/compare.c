/* RDM comparison: plans, per-thread workspaces, and the permutation,
 * bootstrap and noise-ceiling procedures built on them (see compare.h). */
#include "base/internal.h"
#include "rsa/rsa_internal.h"

#include <math.h>
#include <string.h>

#include <lapacke.h>
#include <omp.h>

static const char *const method_names[BRACT_CMP_NMETHODS + 1] = {
    "spearman", "pearson", "kendall", "tau-a", "rho-a", "cosine", "corr_cov", "cosine_cov", NULL};
static const char *const nan_names[] = {"match", "model", NULL};

const char *bract_compare_method_name(bract_compare_method m)
{
    return (unsigned)m < BRACT_CMP_NMETHODS ? method_names[m] : "unknown";
}

int bract_compare_method_parse(const char *s, bract_compare_method *m)
{
    if (s && strcmp(s, "corr") == 0) { /* rsatoolbox's spellings */
        *m = BRACT_CMP_PEARSON;
        return BRACT_OK;
    }
    if (s && strcmp(s, "tau-b") == 0) {
        *m = BRACT_CMP_KENDALL;
        return BRACT_OK;
    }
    int v;
    int rc = bract_enum_lookup("comparison method", s, method_names, &v);
    if (rc == BRACT_OK)
        *m = (bract_compare_method)v;
    return rc;
}

const char *bract_compare_nan_name(bract_compare_nan p)
{
    return (unsigned)p <= BRACT_NAN_MODEL_MASK ? nan_names[p] : "unknown";
}

int bract_compare_nan_parse(const char *s, bract_compare_nan *out)
{
    int v;
    int rc = bract_enum_lookup("missing-pair policy", s, nan_names, &v);
    if (rc == BRACT_OK)
        *out = (bract_compare_nan)v;
    return rc;
}

static int is_cov(bract_compare_method m)
{
    return m == BRACT_CMP_CORR_COV || m == BRACT_CMP_COSINE_COV;
}
static int is_kendall(bract_compare_method m)
{
    return m == BRACT_CMP_KENDALL || m == BRACT_CMP_TAU_A;
}

/* ------------------------------------------------------------------ */
/* Plans.  A plan is allocated for a capacity (n conditions, k models, nc
 * controls, every pair usable) and then built from vectors; the bootstrap and
 * the permutation test rebuild per-thread plans in place, without
 * allocating. */

struct bract_compare_plan {
    bract_compare_opts o;
    size_t n, np;       /* conditions, n(n-1)/2 */
    size_t k, nc;       /* models, controls */
    size_t nv;          /* pairs in use */
    int full;           /* nv == np */
    int check_nan;      /* run(): the neural RDM must miss exactly the unused pairs */
    unsigned char *use; /* np flags */
    size_t *vidx;       /* nv indices of the pairs in use */
    double *mraw;       /* k x np models as given */
    double *craw;       /* nc x np controls as given */
    size_t tlen;        /* length of a prepared vector: nv, or nv + n (cov) */
    double *t;          /* k x (np + n) prepared models */
    /* kendall, tau-a */
    size_t *ord;        /* k x np: sort order of each model's used values */
    unsigned char *gst; /* k x np: 1 where a group of tied model values starts */
    int64_t *xtie;      /* k */
    size_t *iwork;      /* 2 np (building) */
    /* partial */
    size_t q;           /* regressors incl. the intercept */
    double *Q;          /* k x np x q, column-major orthonormal bases */
    double *R;          /* np x q design (building) */
    double *tau;        /* q */
    double *qnorm;      /* q column norms */
    double *lwork;      /* QR work */
    size_t nlwork;
    /* cov with missing pairs: Cholesky factor of the centring system */
    double *chol;       /* n x n */
    double *dwork;      /* np + n (building) */
};

struct bract_compare_ws {
    size_t cap;   /* np + n */
    double *y;    /* gathered neural values */
    double *a;    /* prepared neural vector */
    double *b;    /* scratch */
    double *u;    /* n */
    size_t *iw;   /* 2 np */
};

size_t bract_compare_plan_nmodels(const bract_compare_plan *p) { return p->k; }
size_t bract_compare_plan_nconditions(const bract_compare_plan *p) { return p->n; }
size_t bract_compare_plan_npairs(const bract_compare_plan *p) { return p->nv; }

void bract_compare_plan_free(bract_compare_plan *p)
{
    if (!p)
        return;
    free(p->use);
    free(p->vidx);
    free(p->mraw);
    free(p->craw);
    free(p->t);
    free(p->ord);
    free(p->gst);
    free(p->xtie);
    free(p->iwork);
    free(p->Q);
    free(p->R);
    free(p->tau);
    free(p->qnorm);
    free(p->lwork);
    free(p->chol);
    free(p->dwork);
    free(p);
}

/* The pair (i, j) of condensed index p (for messages). */
static void pair_of(size_t n, size_t p, size_t *i, size_t *j)
{
    size_t a = 0;
    while (p >= n - a - 1) {
        p -= n - a - 1;
        a++;
    }
    *i = a;
    *j = a + 1 + p;
}

static int check_opts(const bract_compare_opts *o)
{
    if ((unsigned)o->method >= BRACT_CMP_NMETHODS)
        return bract_error(BRACT_EINVAL, "unknown comparison method %d", (int)o->method);
    if (o->partial != BRACT_PARTIAL_NONE && o->method != BRACT_CMP_PEARSON &&
        o->method != BRACT_CMP_SPEARMAN)
        return bract_error(BRACT_EINVAL,
                           "partial correlation is defined for pearson and spearman, not %s",
                           bract_compare_method_name(o->method));
    if (o->nan_policy != BRACT_NAN_MATCH && o->nan_policy != BRACT_NAN_MODEL_MASK)
        return bract_error(BRACT_EINVAL, "unknown missing-pair policy %d", (int)o->nan_policy);
    return BRACT_OK;
}

static bract_compare_plan *plan_alloc(const bract_compare_opts *o, size_t n, size_t k, size_t nc)
{
    bract_compare_plan *p = bract_xcalloc(1, sizeof *p, "a comparison plan");
    if (!p)
        return NULL;
    p->o = *o;
    p->n = n;
    p->np = bract_npairs(n);
    p->k = k;
    p->nc = o->partial == BRACT_PARTIAL_NONE ? 0 : nc;
    p->check_nan = o->nan_policy == BRACT_NAN_MATCH;
    size_t np = p->np, len = np + n;
    int ok = (p->use = bract_xmalloc(np, 1, "pair flags")) &&
             (p->vidx = bract_xmalloc(np, sizeof *p->vidx, "pair indices")) &&
             (p->mraw = bract_xmalloc(k * np, sizeof *p->mraw, "model RDMs")) &&
             (p->craw = bract_xmalloc(p->nc * np + 1, sizeof *p->craw, "control RDMs")) &&
             (p->t = bract_xmalloc(k * len, sizeof *p->t, "prepared models")) &&
             (p->iwork = bract_xmalloc(2 * np, sizeof *p->iwork, "sort indices")) &&
             (p->dwork = bract_xmalloc(len, sizeof *p->dwork, "scratch"));
    if (ok && is_kendall(o->method))
        ok = (p->ord = bract_xmalloc(k * np, sizeof *p->ord, "sort orders")) &&
             (p->gst = bract_xmalloc(k * np, 1, "tie groups")) &&
             (p->xtie = bract_xmalloc(k, sizeof *p->xtie, "tie counts"));
    if (ok && is_cov(o->method))
        ok = (p->chol = bract_xmalloc(n * n, sizeof *p->chol, "a centring system")) != NULL;
    if (ok && o->partial != BRACT_PARTIAL_NONE) {
        p->q = p->nc + 1 + (o->partial == BRACT_PARTIAL_OTHERS ? k - 1 : 0);
        ok = (p->Q = bract_xmalloc(k * np * p->q, sizeof *p->Q, "regression bases")) &&
             (p->R = bract_xmalloc(np * p->q, sizeof *p->R, "a design matrix")) &&
             (p->tau = bract_xmalloc(p->q, sizeof *p->tau, "QR factors")) &&
             (p->qnorm = bract_xmalloc(p->q, sizeof *p->qnorm, "column norms"));
        if (ok) {
            double wq = 0;
            lapack_int info = LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, (lapack_int)np,
                                                  (lapack_int)p->q, p->R, (lapack_int)np,
                                                  p->tau, &wq, -1);
            double wq2 = 0;
            lapack_int info2 = LAPACKE_dorgqr_work(LAPACK_COL_MAJOR, (lapack_int)np,
                                                   (lapack_int)p->q, (lapack_int)p->q, p->R,
                                                   (lapack_int)np, p->tau, &wq2, -1);
            if (info || info2) {
                bract_error(BRACT_ENUMERIC, "LAPACK workspace query failed");
                ok = 0;
            } else {
                p->nlwork = (size_t)(wq > wq2 ? wq : wq2) + p->q;
                ok = (p->lwork = bract_xmalloc(p->nlwork, sizeof *p->lwork, "QR work")) != NULL;
            }
        }
    }
    if (!ok) {
        bract_compare_plan_free(p);
        return NULL;
    }
    return p;
}

/* Sums in a fixed order. */
static double dot(const double *x, const double *y, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += x[i] * y[i];
    return s;
}

static double mean_of(const double *x, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += x[i];
    return s / (double)n;
}

/* Bottom-up merge sort of x[0..n) ascending, returning the number of pairs
 * i < j with x[i] > x[j] (strict inversions).  tmp holds n values. */
static int64_t sort_count(double *x, size_t n, double *tmp)
{
    int64_t inv = 0;
    double *a = x, *b = tmp;
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t i = lo, j = mid, o = lo;
            while (i < mid && j < hi) {
                if (a[j] < a[i]) {
                    inv += (int64_t)(mid - i);
                    b[o++] = a[j++];
                } else {
                    b[o++] = a[i++];
                }
            }
            while (i < mid)
                b[o++] = a[i++];
            while (j < hi)
                b[o++] = a[j++];
        }
        double *t = a;
        a = b;
        b = t;
    }
    if (a != x)
        memcpy(x, a, n * sizeof *x);
    return inv;
}

/* Sum of t(t-1)/2 over runs of equal values of a sorted array. */
static int64_t tie_pairs(const double *x, size_t n)
{
    int64_t s = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && x[j] == x[i])
            j++;
        int64_t t = (int64_t)(j - i);
        s += t * (t - 1) / 2;
        i = j;
    }
    return s;
}

/* Kendall's tau-b or tau-a of y against a model given by its sort order and
 * tie groups (scipy.stats.kendalltau; rsatoolbox's _tau_a).  w, tmp hold nv
 * values. */
static double kendall_core(const double *y, size_t nv, const size_t *ord,
                           const unsigned char *gst, int64_t xtie, int taua, double *w,
                           double *tmp)
{
    for (size_t i = 0; i < nv; i++)
        w[i] = y[ord[i]];
    /* sort y within each group of tied x: the array is then ordered by
     * (x, y), and joint ties are runs of equal y within a group */
    int64_t ntie = 0;
    for (size_t b = 0; b < nv;) {
        size_t e = b + 1;
        while (e < nv && !gst[e])
            e++;
        if (e - b > 1) {
            sort_count(w + b, e - b, tmp);
            ntie += tie_pairs(w + b, e - b);
        }
        b = e;
    }
    int64_t dis = sort_count(w, nv, tmp);
    int64_t ytie = tie_pairs(w, nv);
    int64_t tot = (int64_t)nv * ((int64_t)nv - 1) / 2;
    int64_t cmd = tot - xtie - ytie + ntie - 2 * dis;
    double tau;
    if (taua) {
        tau = (double)cmd / (double)tot;
    } else {
        if (xtie == tot || ytie == tot)
            return NAN;
        tau = (double)cmd / sqrt((double)(tot - xtie)) / sqrt((double)(tot - ytie));
    }
    return tau > 1 ? 1 : tau < -1 ? -1 : tau;
}

/* Average-tie ranks of x[0..nv) into r (iw holds 2 nv). */
static void ranks(const double *x, size_t nv, double *r, size_t *iw)
{
    bract_stats_rank_fast(x, nv, r, iw);
}

/* rsatoolbox's _cov_weighting (no condition covariance): y holds the nv used
 * values; out receives nv + n values; u holds n.  `center` subtracts the
 * mean first (corr_cov). */
static void cov_transform(const bract_compare_plan *p, const double *y, int center, double *out,
                          double *u)
{
    size_t n = p->n, nv = p->nv;
    double m = center ? mean_of(y, nv) : 0;
    for (size_t e = 0; e < nv; e++)
        out[e] = -0.5 * (y[e] - m);
    for (size_t c = 0; c < n; c++)
        u[c] = 0;
    /* row sums of the second-moment matrix over the used pairs */
    {
        size_t e = 0, q = 0;
        for (size_t i = 0; i < n; i++)
            for (size_t j = i + 1; j < n; j++, q++)
                if (p->full || p->use[q]) {
                    u[i] += out[e];
                    u[j] += out[e];
                    e++;
                }
    }
    if (p->full) {
        double s = 0;
        for (size_t e = 0; e < nv; e++)
            s += out[e] * 2;
        double mm = s / ((double)n * (double)n);
        size_t e = 0;
        for (size_t i = 0; i < n; i++)
            for (size_t j = i + 1; j < n; j++, e++)
                out[e] = out[e] - (u[i] / (double)n + u[j] / (double)n) + mm;
        for (size_t c = 0; c < n; c++)
            out[nv + c] = -(2 * (u[c] / (double)n)) + mm;
    } else {
        /* least-squares centring over the used entries: beta = M^-1 u */
        LAPACKE_dpotrs_work(LAPACK_COL_MAJOR, 'L', (lapack_int)n, 1, p->chol, (lapack_int)n, u,
                            (lapack_int)n);
        size_t e = 0, q = 0;
        for (size_t i = 0; i < n; i++)
            for (size_t j = i + 1; j < n; j++, q++)
                if (p->use[q]) {
                    out[e] -= 0.5 * (u[i] + u[j]);
                    e++;
                }
        for (size_t c = 0; c < n; c++)
            out[nv + c] = -u[c];
    }
    double r2 = sqrt(2.0);
    for (size_t e = 0; e < nv; e++)
        out[e] *= r2;
}

/* The centring system M = S' D S of the least-squares double centring over
 * the used pairs, factorised (Cholesky). */
static int cov_factor(bract_compare_plan *p)
{
    size_t n = p->n;
    double *M = p->chol;
    for (size_t i = 0; i < n * n; i++)
        M[i] = 0;
    for (size_t c = 0; c < n; c++)
        M[c * n + c] = 1;
    size_t q = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++, q++)
            if (p->use[q]) {
                M[i * n + i] += 0.5;
                M[j * n + j] += 0.5;
                M[i * n + j] += 0.5;
                M[j * n + i] += 0.5;
            }
    lapack_int info = LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'L', (lapack_int)n, M, (lapack_int)n);
    if (info)
        return bract_error(BRACT_ENUMERIC, "the whitening system is singular (LAPACK info %d)",
                           (int)info);
    return BRACT_OK;
}

/* Residuals of x (nv values) on the orthonormal basis Q (nv x q). */
static void residualise(const double *Q, size_t nv, size_t q, const double *x, double *res)
{
    memcpy(res, x, nv * sizeof *res);
    for (size_t c = 0; c < q; c++) {
        const double *qc = Q + c * nv;
        double s = dot(qc, x, nv);
        for (size_t i = 0; i < nv; i++)
            res[i] -= s * qc[i];
    }
}

/* Build a plan from k x np model values and nc x np control values (the
 * plan's capacity).  mask (np flags, may be NULL) overrides the pairs in use;
 * without it they are the pairs present in model 0 and every other model and
 * control must agree.  Allocates nothing. */
/* The raw vectors copied in (unless they are the plan's own) and the pairs
 * in use. */
static void plan_pairs(bract_compare_plan *p, const double *models, const double *controls,
                       const unsigned char *mask)
{
    size_t np = p->np;
    if (models != p->mraw)
        memcpy(p->mraw, models, p->k * np * sizeof *models);
    if (p->nc && controls != p->craw)
        memcpy(p->craw, controls, p->nc * np * sizeof *controls);
    size_t nv = 0;
    for (size_t q = 0; q < np; q++) {
        int u = mask ? mask[q] != 0 : !isnan(p->mraw[q]);
        p->use[q] = (unsigned char)u;
        if (u)
            p->vidx[nv++] = q;
    }
    p->nv = nv;
    p->full = nv == np;
}

/* Every model and control has a finite value at the used pairs, and
 * (without a mask) is missing the others. */
static int check_missing(const bract_compare_plan *p, const unsigned char *mask)
{
    size_t n = p->n, np = p->np, k = p->k;
    for (size_t m = 0; m < k + p->nc; m++) {
        const double *v = m < k ? p->mraw + m * np : p->craw + (m - k) * np;
        const char *what = m < k ? "model" : "control";
        size_t idx = m < k ? m + 1 : m - k + 1;
        for (size_t q = 0; q < np; q++) {
            size_t i, j;
            if (p->use[q] && !isfinite(v[q])) {
                pair_of(n, q, &i, &j);
                if (isnan(v[q]) && !mask)
                    return bract_error(BRACT_EDATA,
                                       "%s RDM %zu misses pair (%zu, %zu) that model RDM 1 has: "
                                       "the models and controls must miss the same pairs",
                                       what, idx, i + 1, j + 1);
                return bract_error(BRACT_EDATA,
                                   "%s RDM %zu has a non-finite value at pair (%zu, %zu)", what,
                                   idx, i + 1, j + 1);
            }
            if (!mask && !p->use[q] && !isnan(v[q])) {
                pair_of(n, q, &i, &j);
                return bract_error(BRACT_EDATA,
                                   "%s RDM %zu has pair (%zu, %zu) that model RDM 1 misses: the "
                                   "models and controls must miss the same pairs",
                                   what, idx, i + 1, j + 1);
            }
        }
    }
    return BRACT_OK;
}

/* Model m prepared for the method (no partial setting) from its used
 * values g: ranks, centring, scaling, whitening or the Kendall sort order. */
static int prepare_model(bract_compare_plan *p, size_t m, const double *g)
{
    size_t n = p->n, np = p->np, nv = p->nv;
    bract_compare_method meth = p->o.method;
    double *t = p->t + m * (np + n);
    switch (meth) {
    case BRACT_CMP_PEARSON:
    case BRACT_CMP_SPEARMAN: {
        if (meth == BRACT_CMP_SPEARMAN)
            ranks(g, nv, t, p->iwork);
        else
            memcpy(t, g, nv * sizeof *t);
        double mu = mean_of(t, nv);
        for (size_t e = 0; e < nv; e++)
            t[e] -= mu;
        double s = sqrt(dot(t, t, nv));
        for (size_t e = 0; e < nv; e++)
            t[e] /= s;
        break;
    }
    case BRACT_CMP_RHO_A: {
        ranks(g, nv, t, p->iwork);
        double mu = mean_of(t, nv);
        for (size_t e = 0; e < nv; e++)
            t[e] -= mu;
        break;
    }
    case BRACT_CMP_COSINE: {
        double s = sqrt(dot(g, g, nv));
        if (s == 0)
            return bract_error(BRACT_EDATA, "model RDM %zu is all zeros", m + 1);
        for (size_t e = 0; e < nv; e++)
            t[e] = g[e] / s;
        break;
    }
    case BRACT_CMP_CORR_COV:
    case BRACT_CMP_COSINE_COV: {
        cov_transform(p, g, meth == BRACT_CMP_CORR_COV, t, p->dwork + nv);
        double s = sqrt(dot(t, t, nv + n));
        if (!(s > 0))
            return bract_error(BRACT_EDATA, "model RDM %zu has no structure left after whitening",
                               m + 1);
        for (size_t e = 0; e < nv + n; e++)
            t[e] /= s;
        break;
    }
    case BRACT_CMP_KENDALL:
    case BRACT_CMP_TAU_A: {
        size_t *ord = p->ord + m * np;
        unsigned char *gst = p->gst + m * np;
        bract_stats_argsort(g, nv, ord, p->iwork);
        int64_t xt = 0;
        for (size_t i = 0; i < nv;) {
            size_t j = i + 1;
            gst[i] = 1;
            while (j < nv && g[ord[j]] == g[ord[i]])
                gst[j++] = 0;
            int64_t c = (int64_t)(j - i);
            xt += c * (c - 1) / 2;
            i = j;
        }
        p->xtie[m] = xt;
        break;
    }
    }
    return BRACT_OK;
}

/* The used values of column v (np values) into dst, ranked for spearman;
 * g is scratch. */
static void regressor(const bract_compare_plan *p, const double *v, double *g, double *dst)
{
    for (size_t e = 0; e < p->nv; e++)
        g[e] = v[p->vidx[e]];
    if (p->o.method == BRACT_CMP_SPEARMAN)
        ranks(g, p->nv, dst, p->iwork);
    else
        memcpy(dst, g, p->nv * sizeof *dst);
}

/* The partial setting, model m: an orthonormal basis of [regressors, 1]
 * (LAPACK QR) and the normalised residual of the (ranked) model; g is
 * scratch. */
static int partial_model(bract_compare_plan *p, size_t m, double *g)
{
    size_t n = p->n, np = p->np, nv = p->nv, nc = p->nc, k = p->k, qn = p->q;
    double *R = p->R;
    size_t col = 0;
    for (size_t c = 0; c < nc + k; c++) {
        if (c >= nc && (p->o.partial != BRACT_PARTIAL_OTHERS || c - nc == m))
            continue;
        const double *v = c < nc ? p->craw + c * np : p->mraw + (c - nc) * np;
        regressor(p, v, g, R + col * nv);
        col++;
    }
    double *one = R + col * nv;
    for (size_t e = 0; e < nv; e++)
        one[e] = 1;
    /* column norms, to judge the QR diagonal */
    for (size_t c = 0; c < qn; c++)
        p->qnorm[c] = sqrt(dot(R + c * nv, R + c * nv, nv));
    lapack_int info = LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, (lapack_int)nv, (lapack_int)qn, R,
                                          (lapack_int)nv, p->tau, p->lwork, (lapack_int)p->nlwork);
    if (info)
        return bract_error(BRACT_ENUMERIC, "QR factorisation failed (LAPACK info %d)", (int)info);
    for (size_t c = 0; c < qn; c++) {
        double d = fabs(R[c * nv + c]), ref = p->qnorm[c];
        if (!(d > 1e-10 * ref) || nv < qn + 2)
            return bract_error(BRACT_EDATA,
                               "the RDMs regressed out of model RDM %zu are collinear (or "
                               "constant): partial correlation is undefined",
                               m + 1);
    }
    info = LAPACKE_dorgqr_work(LAPACK_COL_MAJOR, (lapack_int)nv, (lapack_int)qn, (lapack_int)qn, R,
                               (lapack_int)nv, p->tau, p->lwork, (lapack_int)p->nlwork);
    if (info)
        return bract_error(BRACT_ENUMERIC, "QR factorisation failed (LAPACK info %d)", (int)info);
    double *Qm = p->Q + m * np * qn;
    memcpy(Qm, R, nv * qn * sizeof *Qm);
    double *t = p->t + m * (np + n);
    double *x = R; /* free now */
    regressor(p, p->mraw + m * np, g, x);
    double mu = mean_of(x, nv), ss = 0;
    for (size_t e = 0; e < nv; e++)
        ss += (x[e] - mu) * (x[e] - mu);
    residualise(Qm, nv, qn, x, t);
    double s = sqrt(dot(t, t, nv));
    if (!(s > 1e-10 * sqrt(ss)))
        return bract_error(BRACT_EDATA,
                           "model RDM %zu is explained entirely by the RDMs regressed out: "
                           "partial correlation is undefined",
                           m + 1);
    for (size_t e = 0; e < nv; e++)
        t[e] /= s;
    return BRACT_OK;
}

static int plan_build(bract_compare_plan *p, const double *models, const double *controls,
                      const unsigned char *mask)
{
    plan_pairs(p, models, controls, mask);
    int rc = check_missing(p, mask);
    if (rc)
        return rc;
    size_t nv = p->nv, np = p->np;
    if (nv < 3)
        return bract_error(BRACT_EDATA,
                           "only %zu pair%s of conditions left to compare (at least 3 needed)",
                           nv, nv == 1 ? "" : "s");
    bract_compare_method meth = p->o.method;
    p->tlen = is_cov(meth) ? nv + p->n : nv;
    if (is_cov(meth) && !p->full && (rc = cov_factor(p)))
        return rc;
    double *g = p->dwork; /* one model's used values; dwork + nv is scratch */
    for (size_t m = 0; m < p->k; m++) {
        const double *v = p->mraw + m * np;
        for (size_t e = 0; e < nv; e++)
            g[e] = v[p->vidx[e]];
        int constant = 1;
        for (size_t e = 1; e < nv && constant; e++)
            constant = g[e] == g[0];
        if (constant)
            return bract_error(BRACT_EDATA,
                               "model RDM %zu is constant over the %zu pairs compared: its %s "
                               "with any RDM is undefined",
                               m + 1, nv, bract_compare_method_name(meth));
        if (p->o.partial == BRACT_PARTIAL_NONE && (rc = prepare_model(p, m, g)))
            return rc;
    }
    if (p->o.partial != BRACT_PARTIAL_NONE)
        for (size_t m = 0; m < p->k; m++)
            if ((rc = partial_model(p, m, g)))
                return rc;
    return BRACT_OK;
}

static int pack_vectors(double *dst, size_t count, const double *const *src, size_t np)
{
    for (size_t m = 0; m < count; m++) {
        if (!src[m])
            return bract_error(BRACT_EINVAL, "RDM %zu is NULL", m + 1);
        memcpy(dst + m * np, src[m], np * sizeof *dst);
    }
    return BRACT_OK;
}

int bract_compare_plan_new(const bract_compare_opts *opts, size_t n, size_t nmodels,
                       const double *const *models, size_t ncontrols,
                       const double *const *controls, bract_compare_plan **out)
{
    *out = NULL;
    int rc = check_opts(opts);
    if (rc)
        return rc;
    if (n < 3)
        return bract_error(BRACT_EINVAL, "comparing RDMs needs at least 3 conditions (got %zu)",
                           n);
    if (nmodels == 0)
        return bract_error(BRACT_EINVAL, "no model RDM to compare with");
    if (opts->partial == BRACT_PARTIAL_CONTROLS && ncontrols == 0)
        return bract_error(BRACT_EINVAL, "partial correlation without RDMs to regress out");
    if (opts->partial == BRACT_PARTIAL_OTHERS && ncontrols == 0 && nmodels < 2)
        return bract_error(BRACT_EINVAL,
                           "partial correlation needs another model or a control RDM to "
                           "regress out");
    bract_compare_plan *p = plan_alloc(opts, n, nmodels, ncontrols);
    if (!p)
        return BRACT_ENOMEM;
    if ((rc = pack_vectors(p->mraw, nmodels, models, p->np)) ||
        (rc = pack_vectors(p->craw, p->nc, controls, p->np)) ||
        (rc = plan_build(p, p->mraw, p->craw, NULL))) {
        bract_compare_plan_free(p);
        return rc;
    }
    *out = p;
    return BRACT_OK;
}

/* ------------------------------------------------------------------ */
/* Workspaces and comparison. */

static bract_compare_ws *ws_alloc(size_t n)
{
    size_t np = bract_npairs(n), cap = np + n;
    bract_compare_ws *w = bract_xcalloc(1, sizeof *w, "a comparison workspace");
    if (!w)
        return NULL;
    w->cap = cap;
    if (!(w->y = bract_xmalloc(cap, sizeof *w->y, "a workspace")) ||
        !(w->a = bract_xmalloc(cap, sizeof *w->a, "a workspace")) ||
        !(w->b = bract_xmalloc(cap, sizeof *w->b, "a workspace")) ||
        !(w->u = bract_xmalloc(n, sizeof *w->u, "a workspace")) ||
        !(w->iw = bract_xmalloc(2 * cap, sizeof *w->iw, "a workspace"))) {
        bract_compare_ws_free(w);
        return NULL;
    }
    return w;
}

int bract_compare_ws_new(const bract_compare_plan *p, bract_compare_ws **out)
{
    *out = ws_alloc(p->n);
    return *out ? BRACT_OK : BRACT_ENOMEM;
}

void bract_compare_ws_free(bract_compare_ws *w)
{
    if (!w)
        return;
    free(w->y);
    free(w->a);
    free(w->b);
    free(w->u);
    free(w->iw);
    free(w);
}

/* Gather the used neural values into w->y, checking them. */
static int gather(const bract_compare_plan *p, bract_compare_ws *w, const double *neural, int check)
{
    size_t nv = p->nv;
    for (size_t e = 0; e < nv; e++) {
        double v = neural[p->vidx[e]];
        if (!isfinite(v)) {
            size_t i, j;
            pair_of(p->n, p->vidx[e], &i, &j);
            return bract_error(BRACT_EDATA,
                               "the neural RDM has a %s value at pair (%zu, %zu), which the "
                               "models have",
                               isnan(v) ? "missing" : "non-finite", i + 1, j + 1);
        }
        w->y[e] = v;
    }
    if (check && !p->full)
        for (size_t q = 0; q < p->np; q++)
            if (!p->use[q] && !isnan(neural[q])) {
                size_t i, j;
                pair_of(p->n, q, &i, &j);
                return bract_error(BRACT_EDATA,
                                   "the neural RDM has a value at pair (%zu, %zu), which the "
                                   "models miss: missing pairs must coincide (rsatoolbox's "
                                   "rule), or ignore the neural value there (model-mask "
                                   "policy)",
                                   i + 1, j + 1);
            }
    return BRACT_OK;
}

/* The neural side prepared like the models (into w->a); returns the scale
 * to divide dot products by (0 when undefined).  Not for kendall/partial. */
static double prepare_neural(const bract_compare_plan *p, bract_compare_ws *w)
{
    size_t nv = p->nv;
    double *a = w->a;
    switch (p->o.method) {
    case BRACT_CMP_PEARSON:
    case BRACT_CMP_SPEARMAN: {
        if (p->o.method == BRACT_CMP_SPEARMAN)
            ranks(w->y, nv, a, w->iw);
        else
            memcpy(a, w->y, nv * sizeof *a);
        double mu = mean_of(a, nv);
        for (size_t e = 0; e < nv; e++)
            a[e] -= mu;
        return sqrt(dot(a, a, nv));
    }
    case BRACT_CMP_RHO_A: {
        ranks(w->y, nv, a, w->iw);
        double mu = mean_of(a, nv);
        for (size_t e = 0; e < nv; e++)
            a[e] -= mu;
        double N = (double)nv;
        return (N * N * N - N) / 12.0;
    }
    case BRACT_CMP_COSINE:
        memcpy(a, w->y, nv * sizeof *a);
        return sqrt(dot(a, a, nv));
    case BRACT_CMP_CORR_COV:
    case BRACT_CMP_COSINE_COV:
        cov_transform(p, w->y, p->o.method == BRACT_CMP_CORR_COV, a, w->u);
        return sqrt(dot(a, a, nv + p->n));
    default: return 0;
    }
}

/* Comparison of the gathered neural values with every model. */
static void compare_gathered(const bract_compare_plan *p, bract_compare_ws *w, double *r)
{
    size_t nv = p->nv, k = p->k, stride = p->np + p->n;
    bract_compare_method meth = p->o.method;
    if (is_kendall(meth)) {
        for (size_t m = 0; m < k; m++)
            r[m] = kendall_core(w->y, nv, p->ord + m * p->np, p->gst + m * p->np, p->xtie[m],
                                meth == BRACT_CMP_TAU_A, w->a, w->b);
        return;
    }
    if (p->o.partial != BRACT_PARTIAL_NONE) {
        double *x = w->b;
        if (meth == BRACT_CMP_SPEARMAN)
            ranks(w->y, nv, x, w->iw);
        else
            memcpy(x, w->y, nv * sizeof *x);
        for (size_t m = 0; m < k; m++) {
            residualise(p->Q + m * p->np * p->q, nv, p->q, x, w->a);
            double s = sqrt(dot(w->a, w->a, nv));
            /* a residual at rounding level means the neural RDM lies in the
             * span of the regressors */
            double mu = mean_of(x, nv), ss = 0;
            for (size_t e = 0; e < nv; e++)
                ss += (x[e] - mu) * (x[e] - mu);
            if (!(s > 1e-12 * sqrt(ss))) {
                r[m] = NAN;
                continue;
            }
            double v = dot(w->a, p->t + m * stride, nv) / s;
            r[m] = v > 1 ? 1 : v < -1 ? -1 : v;
        }
        return;
    }
    double scale = prepare_neural(p, w);
    size_t len = p->tlen;
    for (size_t m = 0; m < k; m++) {
        if (!(scale > 0)) {
            r[m] = meth == BRACT_CMP_RHO_A ? 0 : NAN;
            continue;
        }
        double v = dot(w->a, p->t + m * stride, len) / scale;
        if (meth != BRACT_CMP_RHO_A)
            v = v > 1 ? 1 : v < -1 ? -1 : v;
        r[m] = v;
    }
}

int bract_compare_run(const bract_compare_plan *p, bract_compare_ws *w, const double *neural, double *r)
{
    int rc = gather(p, w, neural, p->check_nan);
    if (rc) {
        for (size_t m = 0; m < p->k; m++)
            r[m] = NAN;
        return rc;
    }
    compare_gathered(p, w, r);
    return BRACT_OK;
}

int bract_compare_vectors(bract_compare_method method, size_t n, const double *x, const double *y,
                      double *r)
{
    bract_compare_opts o = {method, BRACT_PARTIAL_NONE, BRACT_NAN_MATCH};
    bract_compare_plan *p;
    *r = NAN;
    int rc = bract_compare_plan_new(&o, n, 1, &y, 0, NULL, &p);
    if (rc)
        return rc;
    bract_compare_ws *w = NULL;
    bract_compare_ws_new(p, &w);
    if (!w) {
        bract_compare_plan_free(p);
        return BRACT_ENOMEM;
    }
    rc = bract_compare_run(p, w, x, r);
    bract_compare_ws_free(w);
    bract_compare_plan_free(p);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Condition-label permutation test. */

/* n!, or UINT64_MAX when it exceeds 2^63. */
static uint64_t factorial(size_t n)
{
    uint64_t f = 1;
    for (size_t i = 2; i <= n; i++) {
        if (f > (UINT64_MAX / 2) / i)
            return UINT64_MAX;
        f *= i;
    }
    return f;
}

/* The b-th permutation of 0..n-1 in lexicographic order (b < n!). */
static void unrank_permutation(uint64_t b, size_t n, size_t *perm, size_t *avail)
{
    for (size_t i = 0; i < n; i++)
        avail[i] = i;
    for (size_t i = 0; i < n; i++) {
        uint64_t f = factorial(n - 1 - i);
        size_t d = (size_t)(b / f);
        b %= f;
        perm[i] = avail[d];
        memmove(avail + d, avail + d + 1, (n - 1 - i - d) * sizeof *avail);
    }
}

/* Permutation b (1-based) of the test. */
static void draw_permutation(const bract_perm_opts *o, int exhaustive, uint64_t b, size_t n,
                             size_t *perm, size_t *tmp)
{
    if (exhaustive) {
        unrank_permutation(b, n, perm, tmp);
    } else {
        bract_rng r;
        bract_rng_init(&r, o->seed, o->stream, (uint32_t)b);
        bract_rng_permutation(&r, perm, n);
    }
}

/* What the fast paths share, prepared once. */
typedef struct {
    int path;            /* PATH_* */
    size_t n, nv, k, len;
    double *an;          /* neural vector, prepared and scaled (dot path) */
    double *T;           /* n x n x k prepared model matrix (dot path), or n x n x k raw
                            values (kendall) or centred (ranked) values (partial) */
    double *Tdiag;       /* n x k (cov) */
    double *A;           /* k x nv normalised neural residuals (partial) */
    double *tt;          /* k: squared norms of the centred model values (partial) */
    bract_compare_plan *pn;  /* the neural RDM as a kendall plan */
} perm_setup;

enum { PATH_DOT = 1, PATH_KENDALL, PATH_PARTIAL, PATH_GENERAL };

static void perm_setup_free(perm_setup *s)
{
    free(s->an);
    free(s->T);
    free(s->Tdiag);
    free(s->A);
    free(s->tt);
    bract_compare_plan_free(s->pn);
}

/* Fill an n x n x k matrix from k vectors over the used pairs (all pairs). */
static void fill_matrix(double *T, size_t n, size_t k, const double *vec, size_t stride)
{
    for (size_t m = 0; m < k; m++) {
        const double *v = vec + m * stride;
        size_t e = 0;
        for (size_t i = 0; i < n; i++) {
            T[(i * n + i) * k + m] = 0;
            for (size_t j = i + 1; j < n; j++, e++)
                T[(i * n + j) * k + m] = T[(j * n + i) * k + m] = v[e];
        }
    }
}

static int perm_setup_new(const bract_compare_plan *p, bract_compare_ws *w, perm_setup *s)
{
    memset(s, 0, sizeof *s);
    size_t n = p->n, nv = p->nv, k = p->k, stride = p->np + n;
    s->n = n;
    s->nv = nv;
    s->k = k;
    bract_compare_method meth = p->o.method;
    if (!p->full) {
        s->path = PATH_GENERAL;
        return BRACT_OK;
    }
    if (p->o.partial != BRACT_PARTIAL_NONE) {
        s->path = PATH_PARTIAL;
        if (!(s->T = bract_xmalloc(n * n * k, sizeof *s->T, "a permutation table")) ||
            !(s->A = bract_xmalloc(k * nv, sizeof *s->A, "neural residuals")) ||
            !(s->tt = bract_xmalloc(k, sizeof *s->tt, "model norms")))
            return BRACT_ENOMEM;
        double *x = w->b;
        if (meth == BRACT_CMP_SPEARMAN)
            ranks(w->y, nv, x, w->iw);
        else
            memcpy(x, w->y, nv * sizeof *x);
        for (size_t m = 0; m < k; m++) {
            double *a = s->A + m * nv;
            residualise(p->Q + m * p->np * p->q, nv, p->q, x, a);
            double sa = sqrt(dot(a, a, nv));
            for (size_t e = 0; e < nv; e++)
                a[e] = sa > 0 ? a[e] / sa : NAN;
            /* the model's centred (ranked) values */
            const double *v = p->mraw + m * p->np;
            double *g = w->a;
            if (meth == BRACT_CMP_SPEARMAN)
                ranks(v, nv, g, w->iw);
            else
                memcpy(g, v, nv * sizeof *g);
            double mu = mean_of(g, nv);
            for (size_t e = 0; e < nv; e++)
                g[e] -= mu;
            s->tt[m] = dot(g, g, nv);
            /* store model m's matrix in slot m: layout (i*n + j)*k + m */
            size_t e = 0;
            for (size_t i = 0; i < n; i++) {
                s->T[(i * n + i) * k + m] = 0;
                for (size_t j = i + 1; j < n; j++, e++)
                    s->T[(i * n + j) * k + m] = s->T[(j * n + i) * k + m] = g[e];
            }
        }
        return BRACT_OK;
    }
    if (is_kendall(meth)) {
        s->path = PATH_KENDALL;
        bract_compare_opts o = {meth, BRACT_PARTIAL_NONE, BRACT_NAN_MATCH};
        const double *nv0 = w->y;
        int rc = bract_compare_plan_new(&o, n, 1, &nv0, 0, NULL, &s->pn);
        if (rc)
            return rc;
        if (!(s->T = bract_xmalloc(n * n * k, sizeof *s->T, "a permutation table")))
            return BRACT_ENOMEM;
        fill_matrix(s->T, n, k, p->mraw, p->np);
        return BRACT_OK;
    }
    s->path = PATH_DOT;
    double scale = prepare_neural(p, w);
    if (!(scale > 0))
        return BRACT_EDATA; /* untestable: caller reports NaN */
    s->len = p->tlen;
    if (!(s->an = bract_xmalloc(s->len, sizeof *s->an, "a neural vector")) ||
        !(s->T = bract_xmalloc(n * n * k, sizeof *s->T, "a permutation table")))
        return BRACT_ENOMEM;
    for (size_t e = 0; e < s->len; e++)
        s->an[e] = w->a[e] / scale;
    fill_matrix(s->T, n, k, p->t, stride);
    if (is_cov(meth)) {
        if (!(s->Tdiag = bract_xmalloc(n * k, sizeof *s->Tdiag, "a permutation table")))
            return BRACT_ENOMEM;
        for (size_t m = 0; m < k; m++)
            for (size_t i = 0; i < n; i++)
                s->Tdiag[i * k + m] = p->t[m * stride + nv + i];
    }
    return BRACT_OK;
}

/* Per-thread state of the permutation loop. */
typedef struct {
    size_t *perm, *tmp;
    double *acc, *y, *wa, *wb;
    bract_compare_plan *pt;  /* general path */
    bract_compare_ws *ws;
    unsigned char *mask;
} perm_thread;

static void perm_thread_free(perm_thread *t)
{
    free(t->perm);
    free(t->tmp);
    free(t->acc);
    free(t->y);
    free(t->wa);
    free(t->wb);
    bract_compare_plan_free(t->pt);
    bract_compare_ws_free(t->ws);
    free(t->mask);
}

static int perm_thread_new(const bract_compare_plan *p, const perm_setup *s, perm_thread *t)
{
    memset(t, 0, sizeof *t);
    size_t n = p->n, np = p->np, k = p->k;
    if (!(t->perm = bract_xmalloc(n, sizeof *t->perm, "a permutation")) ||
        !(t->tmp = bract_xmalloc(n, sizeof *t->tmp, "a permutation")) ||
        !(t->acc = bract_xmalloc(k + p->q + 1, sizeof *t->acc, "sums")))
        return BRACT_ENOMEM;
    if (s->path == PATH_KENDALL || s->path == PATH_PARTIAL)
        if (!(t->y = bract_xmalloc(np, sizeof *t->y, "a permuted model")) ||
            !(t->wa = bract_xmalloc(np, sizeof *t->wa, "a workspace")) ||
            !(t->wb = bract_xmalloc(np, sizeof *t->wb, "a workspace")))
            return BRACT_ENOMEM;
    if (s->path == PATH_GENERAL) {
        if (!(t->pt = plan_alloc(&p->o, n, k, p->nc)) || !(t->ws = ws_alloc(n)) ||
            !(t->mask = bract_xmalloc(np, 1, "pair flags")))
            return BRACT_ENOMEM;
        if (p->nc)
            memcpy(t->pt->craw, p->craw, p->nc * np * sizeof *p->craw);
    }
    return BRACT_OK;
}

/* Null values of one permutation into out[0..k). */
static void perm_values(const bract_compare_plan *p, const perm_setup *s, perm_thread *t,
                        const double *neural, const size_t *sg, double *out)
{
    size_t n = p->n, k = p->k;
    switch (s->path) {
    case PATH_DOT: {
        const double *an = s->an;
        size_t e = 0;
        if (k == 1) {
            double acc = 0;
            for (size_t i = 0; i < n; i++) {
                const double *row = s->T + sg[i] * n;
                for (size_t j = i + 1; j < n; j++)
                    acc += an[e++] * row[sg[j]];
            }
            if (s->Tdiag)
                for (size_t i = 0; i < n; i++)
                    acc += an[s->nv + i] * s->Tdiag[sg[i]];
            out[0] = acc;
        } else {
            double *acc = t->acc;
            for (size_t m = 0; m < k; m++)
                acc[m] = 0;
            for (size_t i = 0; i < n; i++) {
                const double *row = s->T + sg[i] * n * k;
                for (size_t j = i + 1; j < n; j++) {
                    double av = an[e++];
                    const double *tt = row + sg[j] * k;
                    for (size_t m = 0; m < k; m++)
                        acc[m] += av * tt[m];
                }
            }
            if (s->Tdiag)
                for (size_t i = 0; i < n; i++)
                    for (size_t m = 0; m < k; m++)
                        acc[m] += an[s->nv + i] * s->Tdiag[sg[i] * k + m];
            for (size_t m = 0; m < k; m++)
                out[m] = acc[m];
        }
        if (p->o.method != BRACT_CMP_RHO_A)
            for (size_t m = 0; m < k; m++)
                out[m] = out[m] > 1 ? 1 : out[m] < -1 ? -1 : out[m];
        return;
    }
    case PATH_KENDALL: {
        const bract_compare_plan *pn = s->pn;
        for (size_t m = 0; m < k; m++) {
            size_t e = 0;
            for (size_t i = 0; i < n; i++) {
                const double *row = s->T + sg[i] * n * k;
                for (size_t j = i + 1; j < n; j++)
                    t->y[e++] = row[sg[j] * k + m];
            }
            out[m] = kendall_core(t->y, s->nv, pn->ord, pn->gst, pn->xtie[0],
                                  p->o.method == BRACT_CMP_TAU_A, t->wa, t->wb);
        }
        return;
    }
    case PATH_PARTIAL: {
        size_t nv = s->nv, q = p->q;
        for (size_t m = 0; m < k; m++) {
            size_t e = 0;
            for (size_t i = 0; i < n; i++) {
                const double *row = s->T + sg[i] * n * k;
                for (size_t j = i + 1; j < n; j++)
                    t->y[e++] = row[sg[j] * k + m];
            }
            const double *Qm = p->Q + m * p->np * q;
            double num = dot(s->A + m * nv, t->y, nv), proj = 0;
            for (size_t c = 0; c < q; c++) {
                double d = dot(Qm + c * nv, t->y, nv);
                proj += d * d;
            }
            double den = s->tt[m] - proj;
            double v = den > 0 ? num / sqrt(den) : NAN;
            out[m] = v > 1 ? 1 : v < -1 ? -1 : v;
        }
        return;
    }
    default: {
        /* missing pairs: rebuild a plan on the pairs present in the
         * permuted models and in the neural RDM.  With the other models
         * regressed out, only the model tested is permuted. */
        bract_compare_plan *pt = t->pt;
        size_t np = p->np;
        int each = p->o.partial == BRACT_PARTIAL_OTHERS;
        for (size_t tested = 0; tested < (each ? k : 1); tested++) {
            for (size_t m = 0; m < k; m++) {
                const double *src = p->mraw + m * np;
                double *dst = pt->mraw + m * np;
                if (each && m != tested) {
                    memcpy(dst, src, np * sizeof *dst);
                    continue;
                }
                size_t q = 0;
                for (size_t i = 0; i < n; i++)
                    for (size_t j = i + 1; j < n; j++, q++) {
                        size_t a = sg[i], b = sg[j];
                        dst[q] = src[a < b ? bract_pair_index(n, a, b)
                                           : bract_pair_index(n, b, a)];
                    }
            }
            const double *pm = pt->mraw + tested * np;
            for (size_t q = 0; q < np; q++)
                t->mask[q] = (unsigned char)(p->use[q] && !isnan(pm[q]) && isfinite(neural[q]));
            if (plan_build(pt, pt->mraw, pt->craw, t->mask) || gather(pt, t->ws, neural, 0)) {
                if (each)
                    out[tested] = NAN;
                else
                    for (size_t m = 0; m < k; m++)
                        out[m] = NAN;
                continue;
            }
            if (each) {
                compare_gathered(pt, t->ws, t->acc);
                out[tested] = t->acc[tested];
            } else {
                compare_gathered(pt, t->ws, out);
            }
        }
        return;
    }
    }
}

int bract_null_reaches(double null, double obs, bract_stats_alternative alt)
{
    double eps = 1e-12 * (1 + fabs(obs));
    switch (alt) {
    case BRACT_ALT_LESS: return null <= obs + eps;
    case BRACT_ALT_TWO_SIDED: return fabs(null) >= fabs(obs) - eps;
    default: return null >= obs - eps;
    }
}

int bract_compare_permtest(const bract_compare_plan *p, const double *neural,
                       const bract_perm_opts *opts, double *r, double *pval, size_t *nused,
                       double *null)
{
    size_t n = p->n, k = p->k;
    for (size_t m = 0; m < k; m++)
        r[m] = pval[m] = NAN;
    *nused = 0;
    if (opts->npermutations < 1)
        return bract_error(BRACT_EINVAL, "a permutation test needs at least 1 permutation");
    bract_compare_ws *w = NULL;
    bract_compare_ws_new(p, &w);
    if (!w)
        return BRACT_ENOMEM;
    int rc = bract_compare_run(p, w, neural, r);
    if (rc) {
        bract_compare_ws_free(w);
        return rc;
    }
    uint64_t nf = factorial(n);
    int exhaustive = nf != UINT64_MAX && nf - 1 <= opts->npermutations;
    size_t N = exhaustive ? (size_t)(nf - 1) : opts->npermutations;
    if (N > UINT32_MAX && !exhaustive) {
        bract_compare_ws_free(w);
        return bract_error(BRACT_EINVAL, "at most %u permutations", (unsigned)UINT32_MAX);
    }
    int defined = 0;
    for (size_t m = 0; m < k; m++)
        defined |= !isnan(r[m]);
    perm_setup s;
    rc = defined ? perm_setup_new(p, w, &s) : BRACT_EDATA;
    if (rc == BRACT_EDATA) {
        /* an undefined observed value (constant neural RDM): no test */
        bract_clear_error();
        if (defined)
            perm_setup_free(&s);
        bract_compare_ws_free(w);
        *nused = N;
        return BRACT_OK;
    }
    if (rc) {
        perm_setup_free(&s);
        bract_compare_ws_free(w);
        return rc;
    }
    double *nulls = null ? null : bract_xmalloc(N * k, sizeof *nulls, "null values");
    double *obs = bract_xmalloc(k, sizeof *obs, "observed values");
    if (!nulls || !obs) {
        free(obs);
        if (!null)
            free(nulls);
        perm_setup_free(&s);
        bract_compare_ws_free(w);
        return BRACT_ENOMEM;
    }
    /* the observed value through the same arithmetic as the null values */
    perm_thread t0;
    rc = perm_thread_new(p, &s, &t0);
    if (!rc) {
        for (size_t i = 0; i < n; i++)
            t0.perm[i] = i;
        if (s.path == PATH_GENERAL)
            memcpy(obs, r, k * sizeof *obs);
        else
            perm_values(p, &s, &t0, neural, t0.perm, obs);
    }
    perm_thread_free(&t0);
    size_t done = 0;
    int err = rc;
    if (!err) {
#pragma omp parallel
        {
            perm_thread t;
            int trc = perm_thread_new(p, &s, &t);
            if (trc) {
#pragma omp atomic write
                err = trc;
            }
#pragma omp for schedule(dynamic, 16)
            for (size_t b = 1; b <= N; b++) {
                if (trc)
                    continue;
                draw_permutation(opts, exhaustive, b, n, t.perm, t.tmp);
                perm_values(p, &s, &t, neural, t.perm, nulls + (b - 1) * k);
                size_t d;
#pragma omp atomic capture
                d = ++done;
                if (omp_get_thread_num() == 0 && opts->progress)
                    bract_progress_report(opts->progress, d, N);
            }
            perm_thread_free(&t);
        }
    }
    if (!err) {
        for (size_t m = 0; m < k; m++) {
            if (isnan(r[m]))
                continue;
            size_t ge = 0, valid = 0;
            for (size_t b = 0; b < N; b++) {
                double v = nulls[b * k + m];
                if (isnan(v))
                    continue;
                valid++;
                ge += (size_t)bract_null_reaches(v, obs[m], opts->alternative);
            }
            pval[m] = (double)(ge + 1) / (double)(valid + 1);
        }
        *nused = N;
        bract_progress_report(opts->progress, N, N);
    } else {
        bract_error(BRACT_ENOMEM, "out of memory in the permutation test");
    }
    free(obs);
    if (!null)
        free(nulls);
    perm_setup_free(&s);
    bract_compare_ws_free(w);
    return err ? BRACT_ENOMEM : BRACT_OK;
}

/* ------------------------------------------------------------------ */
/* Bootstrap over conditions. */

int bract_compare_bootstrap(const bract_compare_plan *p, const double *neural, size_t nboot,
                        uint64_t seed, uint64_t stream, const bract_progress *progress,
                        double *out)
{
    size_t n = p->n, np = p->np, k = p->k, nc = p->nc;
    if (nboot > UINT32_MAX)
        return bract_error(BRACT_EINVAL, "at most %u bootstrap samples", (unsigned)UINT32_MAX);
    {
        /* the neural RDM must be comparable at all */
        bract_compare_ws *w = NULL;
        bract_compare_ws_new(p, &w);
        double *r = bract_xmalloc(k, sizeof *r, "values");
        int rc = w && r ? bract_compare_run(p, w, neural, r) : BRACT_ENOMEM;
        free(r);
        bract_compare_ws_free(w);
        if (rc)
            return rc;
    }
    size_t done = 0;
    int err = 0;
#pragma omp parallel
    {
        bract_compare_plan *pt = plan_alloc(&p->o, n, k, nc);
        bract_compare_ws *w = ws_alloc(n);
        size_t *c = bract_xmalloc(n, sizeof *c, "a bootstrap sample");
        unsigned char *seen = bract_xmalloc(n, 1, "a bootstrap sample");
        double *x = bract_xmalloc(np, sizeof *x, "a resampled RDM");
        int ok = pt && w && c && seen && x;
        if (!ok) {
#pragma omp atomic write
            err = 1;
        }
#pragma omp for schedule(dynamic, 4)
        for (size_t b = 1; b <= nboot; b++) {
            if (!ok)
                continue;
            double *o = out + (b - 1) * k;
            bract_rng rng;
            bract_rng_init(&rng, seed, stream, (uint32_t)b);
            memset(seen, 0, n);
            size_t distinct = 0;
            for (size_t a = 0; a < n; a++) {
                c[a] = (size_t)bract_rng_below(&rng, n);
                distinct += !seen[c[a]];
                seen[c[a]] = 1;
            }
            int good = distinct >= 3;
            if (good) {
                for (size_t v = 0; v < k + nc + 1; v++) {
                    const double *src = v < k ? p->mraw + v * np
                                        : v < k + nc ? p->craw + (v - k) * np
                                                     : neural;
                    double *dst = v < k ? pt->mraw + v * np
                                  : v < k + nc ? pt->craw + (v - k) * np
                                               : x;
                    size_t q = 0;
                    for (size_t i = 0; i < n; i++)
                        for (size_t j = i + 1; j < n; j++, q++) {
                            size_t a = c[i], bb = c[j];
                            dst[q] = a == bb ? NAN
                                     : a < bb ? src[bract_pair_index(n, a, bb)]
                                              : src[bract_pair_index(n, bb, a)];
                        }
                }
                good = plan_build(pt, pt->mraw, pt->craw, NULL) == BRACT_OK &&
                       gather(pt, w, x, pt->check_nan) == BRACT_OK;
            }
            if (good)
                compare_gathered(pt, w, o);
            else
                for (size_t m = 0; m < k; m++)
                    o[m] = NAN;
            size_t d;
#pragma omp atomic capture
            d = ++done;
            if (omp_get_thread_num() == 0 && progress)
                bract_progress_report(progress, d, nboot);
        }
        free(x);
        free(seen);
        free(c);
        bract_compare_ws_free(w);
        bract_compare_plan_free(pt);
    }
    if (err)
        return bract_error(BRACT_ENOMEM, "out of memory in the bootstrap");
    bract_clear_error();
    bract_progress_report(progress, nboot, nboot);
    return BRACT_OK;
}

/* ------------------------------------------------------------------ */
/* Noise ceiling. */

int bract_compare_noise_ceiling(bract_compare_method method, size_t n, size_t nsubj,
                        const double *const *rdms, const unsigned char *mask, double *lower,
                        double *upper)
{
    *lower = *upper = NAN;
    if ((unsigned)method >= BRACT_CMP_NMETHODS)
        return bract_error(BRACT_EINVAL, "unknown comparison method %d", (int)method);
    if (nsubj < 2)
        return bract_error(BRACT_EINVAL, "a noise ceiling needs at least 2 subjects (got %zu)",
                           nsubj);
    if (n < 3)
        return bract_error(BRACT_EINVAL, "a noise ceiling needs at least 3 conditions");
    size_t np = bract_npairs(n);
    unsigned char *use = bract_xmalloc(np, 1, "pair flags");
    double *tr = bract_xmalloc(nsubj * np, sizeof *tr, "transformed RDMs");
    double *pool = bract_xmalloc(np, sizeof *pool, "a pooled RDM");
    double *g = bract_xmalloc(np, sizeof *g, "values");
    size_t *iw = bract_xmalloc(2 * np, sizeof *iw, "sort indices");
    double *lo = bract_xmalloc(nsubj, sizeof *lo, "values");
    double *up = bract_xmalloc(nsubj, sizeof *up, "values");
    bract_compare_plan *pl = NULL;
    bract_compare_ws *w = NULL;
    int rc = BRACT_OK;
    if (!use || !tr || !pool || !g || !iw || !lo || !up) {
        rc = BRACT_ENOMEM;
        goto done;
    }
    size_t nv = 0;
    for (size_t q = 0; q < np; q++) {
        use[q] = (unsigned char)((!mask || mask[q]) && !isnan(rdms[0][q]));
        nv += use[q];
    }
    for (size_t s = 0; s < nsubj; s++)
        for (size_t q = 0; q < np; q++)
            if ((!mask || mask[q]) && (isnan(rdms[s][q]) != !use[q] || isinf(rdms[s][q]))) {
                size_t i, j;
                pair_of(n, q, &i, &j);
                rc = bract_error(BRACT_EDATA,
                                 "subject RDMs %zu and 1 differ in pair (%zu, %zu): one misses "
                                 "it or has a non-finite value",
                                 s + 1, i + 1, j + 1);
                goto done;
            }
    if (nv < 3) {
        rc = bract_error(BRACT_EDATA, "a noise ceiling needs at least 3 pairs (got %zu)", nv);
        goto done;
    }
    /* each subject's RDM transformed for pooling, over the used pairs */
    for (size_t s = 0; s < nsubj; s++) {
        double *t = tr + s * np;
        size_t e = 0;
        for (size_t q = 0; q < np; q++)
            if (use[q])
                g[e++] = rdms[s][q];
        switch (method) {
        case BRACT_CMP_COSINE:
        case BRACT_CMP_COSINE_COV: {
            double rms = sqrt(dot(g, g, nv) / (double)nv);
            if (!(rms > 0)) {
                rc = bract_error(BRACT_EDATA, "subject RDM %zu is all zeros", s + 1);
                goto done;
            }
            for (e = 0; e < nv; e++)
                t[e] = g[e] / rms;
            break;
        }
        case BRACT_CMP_PEARSON:
        case BRACT_CMP_CORR_COV: {
            double mu = mean_of(g, nv), ss = 0;
            for (e = 0; e < nv; e++)
                ss += (g[e] - mu) * (g[e] - mu);
            double sd = sqrt(ss / (double)nv);
            if (!(sd > 0)) {
                rc = bract_error(BRACT_EDATA, "subject RDM %zu is constant", s + 1);
                goto done;
            }
            for (e = 0; e < nv; e++)
                t[e] = (g[e] - mu) / sd;
            break;
        }
        default: bract_stats_rank(g, nv, t, iw); break;
        }
    }
    bract_compare_opts o = {method, BRACT_PARTIAL_NONE, BRACT_NAN_MODEL_MASK};
    for (size_t leave = 0; leave <= nsubj; leave++) {
        /* leave == nsubj: the pool of every subject (upper bound) */
        size_t e, cnt = 0;
        for (e = 0; e < nv; e++)
            g[e] = 0;
        for (size_t s = 0; s < nsubj; s++)
            if (s != leave) {
                for (e = 0; e < nv; e++)
                    g[e] += tr[s * np + e];
                cnt++;
            }
        for (e = 0; e < nv; e++)
            g[e] /= (double)cnt;
        if (method == BRACT_CMP_PEARSON || method == BRACT_CMP_CORR_COV) {
            double mn = g[0];
            for (e = 1; e < nv; e++)
                mn = g[e] < mn ? g[e] : mn;
            for (e = 0; e < nv; e++)
                g[e] -= mn;
        }
        e = 0;
        for (size_t q = 0; q < np; q++)
            pool[q] = use[q] ? g[e++] : NAN;
        const double *pv = pool;
        bract_compare_plan_free(pl);
        pl = NULL;
        if ((rc = bract_compare_plan_new(&o, n, 1, &pv, 0, NULL, &pl)))
            goto done;
        if (!w && bract_compare_ws_new(pl, &w)) {
            rc = BRACT_ENOMEM;
            goto done;
        }
        for (size_t s = 0; s < nsubj; s++) {
            if (leave < nsubj && s != leave)
                continue;
            double v;
            if ((rc = bract_compare_run(pl, w, rdms[s], &v)))
                goto done;
            if (leave < nsubj)
                lo[s] = v;
            else
                up[s] = v;
        }
    }
    *lower = mean_of(lo, nsubj);
    *upper = mean_of(up, nsubj);
done:
    bract_compare_ws_free(w);
    bract_compare_plan_free(pl);
    free(up);
    free(lo);
    free(iw);
    free(g);
    free(pool);
    free(tr);
    free(use);
    return rc;
}
