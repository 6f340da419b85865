/* Timescale hierarchies: Spearman tests with permutation and Moran spectral
 * randomisation nulls, ICC, bootstrap over subjects. */
#include "base/internal.h"

#include <math.h>
#include <omp.h>
#include <string.h>

#include <lapacke.h>

struct bract_hierarchy_msr {
    size_t n, k;
    double *w;   /* n x n inverse distances (for Moran's I) */
    double sumw;
    double *v;   /* n x k eigenvectors, row-major (v[i * k + j]) */
};

int bract_hierarchy_msr_new(const double *xyz, size_t n, bract_hierarchy_msr **out)
{
    *out = NULL;
    if (n < 3)
        return bract_error(BRACT_EDATA, "a spatial null needs at least 3 regions, got %zu", n);
    for (size_t i = 0; i < 3 * n; i++)
        if (!isfinite(xyz[i]))
            return bract_error(BRACT_EDATA, "the coordinates of region %zu are not finite",
                               i / 3 + 1);
    bract_hierarchy_msr *m = bract_xcalloc(1, sizeof *m, "Moran eigenvectors");
    if (!m)
        return BRACT_ENOMEM;
    m->n = n;
    m->w = bract_xmalloc(n * n, sizeof *m->w, "spatial weights");
    double *om = bract_xmalloc(n * n, sizeof *om, "spatial weights");
    double *ev = bract_xmalloc(n, sizeof *ev, "eigenvalues");
    double *mean = bract_xcalloc(n, sizeof *mean, "spatial weights");
    int rc = BRACT_OK;
    if (!m->w || !om || !ev || !mean) {
        rc = BRACT_ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        m->w[i * n + i] = 0;
        for (size_t j = i + 1; j < n; j++) {
            double dx = xyz[3 * i] - xyz[3 * j], dy = xyz[3 * i + 1] - xyz[3 * j + 1],
                   dz = xyz[3 * i + 2] - xyz[3 * j + 2];
            double d = sqrt(dx * dx + dy * dy + dz * dz);
            if (!(d > 0)) {
                rc = bract_error(BRACT_EDATA,
                                 "regions %zu and %zu have the same coordinates (a spatial null "
                                 "needs distinct region centres)", i + 1, j + 1);
                goto done;
            }
            m->w[i * n + j] = m->w[j * n + i] = 1.0 / d;
        }
    }
    double grand = 0;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++)
            mean[i] += m->w[i * n + j];
        grand += mean[i];
        mean[i] /= (double)n;
    }
    m->sumw = grand;
    grand /= (double)n * (double)n;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            om[i * n + j] = m->w[i * n + j] - mean[i] - mean[j] + grand;
    lapack_int info = LAPACKE_dsyevd(LAPACK_ROW_MAJOR, 'V', 'U', (lapack_int)n, om,
                                     (lapack_int)n, ev);
    if (info != 0) {
        rc = bract_error(BRACT_ENUMERIC, "the eigen-decomposition of the spatial weights failed "
                         "(LAPACK dsyevd info %d)", (int)info);
        goto done;
    }
    double emax = 0;
    for (size_t j = 0; j < n; j++)
        emax = fmax(emax, fabs(ev[j]));
    size_t k = 0;
    for (size_t j = 0; j < n; j++)
        if (fabs(ev[j]) > 1e-10 * emax)
            k++;
    m->k = k;
    m->v = bract_xmalloc(n * (k ? k : 1), sizeof *m->v, "Moran eigenvectors");
    if (!m->v) {
        rc = BRACT_ENOMEM;
        goto done;
    }
    size_t c = 0;
    for (size_t j = 0; j < n; j++) {
        if (!(fabs(ev[j]) > 1e-10 * emax))
            continue;
        for (size_t i = 0; i < n; i++)
            m->v[i * k + c] = om[i * n + j];
        c++;
    }
done:
    free(om);
    free(ev);
    free(mean);
    if (rc) {
        bract_hierarchy_msr_free(m);
        return rc;
    }
    *out = m;
    return BRACT_OK;
}

void bract_hierarchy_msr_free(bract_hierarchy_msr *m)
{
    if (!m)
        return;
    free(m->w);
    free(m->v);
    free(m);
}

size_t bract_hierarchy_msr_ncomponents(const bract_hierarchy_msr *m) { return m->k; }

/* coef_j = v_j' (y - mean y); returns mean y. */
static double msr_coef(const bract_hierarchy_msr *m, const double *y, double *coef)
{
    size_t n = m->n, k = m->k;
    double my = 0;
    for (size_t i = 0; i < n; i++)
        my += y[i];
    my /= (double)n;
    for (size_t j = 0; j < k; j++)
        coef[j] = 0;
    for (size_t i = 0; i < n; i++) {
        double d = y[i] - my;
        const double *vi = m->v + i * k;
        for (size_t j = 0; j < k; j++)
            coef[j] += vi[j] * d;
    }
    return my;
}

/* out = my + V (s .* coef), signs drawn from r into sc. */
static void msr_apply(const bract_hierarchy_msr *m, double my, const double *coef, bract_rng *r,
                      double *sc, double *out)
{
    size_t n = m->n, k = m->k;
    for (size_t j = 0; j < k; j++) {
        uint32_t bits = bract_rng_u32(r);
        sc[j] = (bits & 1u) ? -coef[j] : coef[j];
    }
    for (size_t i = 0; i < n; i++) {
        const double *vi = m->v + i * k;
        double s = 0;
        for (size_t j = 0; j < k; j++)
            s += vi[j] * sc[j];
        out[i] = my + s;
    }
}

int bract_hierarchy_msr_surrogate(const bract_hierarchy_msr *m, const double *y, bract_rng *r, double *out)
{
    double *coef = bract_xmalloc(2 * (m->k ? m->k : 1), sizeof *coef, "surrogate workspace");
    if (!coef)
        return BRACT_ENOMEM;
    double my = msr_coef(m, y, coef);
    msr_apply(m, my, coef, r, coef + m->k, out);
    free(coef);
    return BRACT_OK;
}

double bract_hierarchy_moran_i(const bract_hierarchy_msr *m, const double *y)
{
    size_t n = m->n;
    double my = 0, num = 0, den = 0;
    for (size_t i = 0; i < n; i++)
        my += y[i];
    my /= (double)n;
    for (size_t i = 0; i < n; i++) {
        double di = y[i] - my, s = 0;
        for (size_t j = 0; j < n; j++)
            s += m->w[i * n + j] * (y[j] - my);
        num += di * s;
        den += di * di;
    }
    return den > 0 ? (double)n / m->sumw * num / den : NAN;
}

int bract_hierarchy_test(const double *tau, const double *index, size_t n, size_t nperm,
                         const bract_hierarchy_msr *msr, uint64_t seed, bract_hier_test *out)
{
    out->n = n;
    out->rho = out->p_perm = out->p_spatial = NAN;
    out->nperm = nperm;
    if (n < 3)
        return bract_error(BRACT_EDATA, "a hierarchy correlation needs at least 3 regions, got "
                           "%zu", n);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(tau[i]) || !isfinite(index[i]))
            return bract_error(BRACT_EDATA, "region %zu has a non-finite timescale or index",
                               i + 1);
    if (msr && msr->n != n)
        return bract_error(BRACT_EINVAL, "the spatial null has %zu regions, the data %zu",
                           msr->n, n);
    double *rt = bract_xmalloc(2 * n, sizeof *rt, "ranks");
    size_t *iw = bract_xmalloc(2 * n, sizeof *iw, "ranks");
    if (!rt || !iw) {
        free(rt);
        free(iw);
        return BRACT_ENOMEM;
    }
    double *ri = rt + n;
    bract_stats_rank(tau, n, rt, iw);
    bract_stats_rank(index, n, ri, iw);
    double rho = bract_stats_pearson(rt, ri, n);
    out->rho = rho;
    free(iw);
    if (isnan(rho)) {
        free(rt);
        return bract_error(BRACT_EDATA, "the timescales or the index are constant over the %zu "
                           "regions: no correlation", n);
    }
    double thr = fabs(rho) - 1e-12;
    int rc = BRACT_OK;
    if (nperm > 0) {
        unsigned char *hit = bract_xcalloc(nperm, 1, "permutations");
        double *coef = msr ? bract_xmalloc(msr->k ? msr->k : 1, sizeof *coef, "coefficients")
                           : NULL;
        double my = msr && coef ? msr_coef(msr, index, coef) : 0;
        int nth = omp_get_max_threads();
        double *tw = bract_xmalloc((size_t)nth * 4 * n + (size_t)nth * (msr ? msr->k + 1 : 1),
                                   sizeof *tw, "permutation workspace");
        size_t *tiw = bract_xmalloc((size_t)nth * 2 * n, sizeof *tiw, "permutation workspace");
        if (!hit || !tw || !tiw || (msr && !coef)) {
            rc = BRACT_ENOMEM;
        } else {
#pragma omp parallel num_threads(nth)
            {
                int tid = omp_get_thread_num();
                double *y = tw + (size_t)tid * 4 * n, *ry = y + n, *rw = y + 2 * n;
                double *sc = tw + (size_t)nth * 4 * n + (size_t)tid * (msr ? msr->k + 1 : 1);
                size_t *perm = tiw + (size_t)tid * 2 * n;
#pragma omp for schedule(static)
                for (size_t j = 0; j < nperm; j++) {
                    bract_rng r;
                    bract_rng_init(&r, seed, j, 1);
                    for (size_t i = 0; i < n; i++)
                        perm[i] = i;
                    bract_rng_shuffle(&r, perm, n);
                    for (size_t i = 0; i < n; i++)
                        ry[i] = ri[perm[i]];
                    if (fabs(bract_stats_pearson(rt, ry, n)) >= thr)
                        hit[j] |= 1;
                    if (msr) {
                        bract_rng_init(&r, seed, j, 2);
                        msr_apply(msr, my, coef, &r, sc, y);
                        bract_stats_rank(y, n, rw, perm);
                        double rs = bract_stats_pearson(rt, rw, n);
                        if (!isnan(rs) && fabs(rs) >= thr)
                            hit[j] |= 2;
                    }
                }
            }
            size_t cp = 0, cs = 0;
            for (size_t j = 0; j < nperm; j++) {
                cp += hit[j] & 1;
                cs += (hit[j] >> 1) & 1;
            }
            out->p_perm = (1.0 + (double)cp) / (1.0 + (double)nperm);
            if (msr)
                out->p_spatial = (1.0 + (double)cs) / (1.0 + (double)nperm);
        }
        free(hit);
        free(coef);
        free(tw);
        free(tiw);
    }
    free(rt);
    return rc;
}

int bract_hierarchy_icc(const double *x, size_t n, size_t k, double *icc1, double *icck)
{
    *icc1 = *icck = NAN;
    if (n < 2 || k < 2)
        return bract_error(BRACT_EDATA, "an ICC needs at least 2 regions and 2 subjects (got "
                           "%zu and %zu)", n, k);
    double g = 0;
    for (size_t i = 0; i < n * k; i++) {
        if (!isfinite(x[i]))
            return bract_error(BRACT_EDATA, "ICC: value %zu is not finite", i);
        g += x[i];
    }
    g /= (double)(n * k);
    double ssr = 0, ssc = 0, sst = 0;
    for (size_t i = 0; i < n; i++) {
        double m = 0;
        for (size_t j = 0; j < k; j++)
            m += x[i * k + j];
        m /= (double)k;
        ssr += (m - g) * (m - g);
    }
    ssr *= (double)k;
    for (size_t j = 0; j < k; j++) {
        double m = 0;
        for (size_t i = 0; i < n; i++)
            m += x[i * k + j];
        m /= (double)n;
        ssc += (m - g) * (m - g);
    }
    ssc *= (double)n;
    for (size_t i = 0; i < n * k; i++)
        sst += (x[i] - g) * (x[i] - g);
    double sse = sst - ssr - ssc;
    double msr = ssr / (double)(n - 1), mse = sse / ((double)(n - 1) * (double)(k - 1));
    if (!(msr > 0))
        return bract_error(BRACT_EDATA, "ICC: the regions do not differ (no between-region "
                           "variance)");
    *icc1 = (msr - mse) / (msr + (double)(k - 1) * mse);
    *icck = (msr - mse) / msr;
    return BRACT_OK;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* numpy.quantile(sorted, q) with the default linear interpolation. */
static double quantile_sorted(const double *s, size_t n, double q)
{
    double h = (double)(n - 1) * q;
    size_t lo = (size_t)floor(h);
    if (lo + 1 >= n)
        return s[n - 1];
    return s[lo] + (h - (double)lo) * (s[lo + 1] - s[lo]);
}

int bract_hierarchy_bootstrap(const double *tau, size_t nsub, size_t nreg, const double *index,
                              size_t nboot, double level, uint64_t seed, double *lo, double *hi,
                              size_t *nvalid)
{
    *lo = *hi = NAN;
    *nvalid = 0;
    if (nsub < 2 || nreg < 3 || nboot < 1)
        return bract_error(BRACT_EDATA, "a bootstrap interval needs at least 2 subjects, 3 "
                           "regions and 1 sample (got %zu, %zu, %zu)", nsub, nreg, nboot);
    if (!(level > 0 && level < 1))
        return bract_error(BRACT_EINVAL, "the confidence level must be between 0 and 1, got %g",
                           level);
    double *rho = bract_xmalloc(nboot, sizeof *rho, "bootstrap");
    int nth = omp_get_max_threads();
    double *tw = bract_xmalloc((size_t)nth * 6 * nreg, sizeof *tw, "bootstrap workspace");
    size_t *tiw = bract_xmalloc((size_t)nth * (2 * nreg + nsub), sizeof *tiw,
                                "bootstrap workspace");
    if (!rho || !tw || !tiw) {
        free(rho);
        free(tw);
        free(tiw);
        return BRACT_ENOMEM;
    }
#pragma omp parallel num_threads(nth)
    {
        int tid = omp_get_thread_num();
        double *mean = tw + (size_t)tid * 6 * nreg, *cnt = mean + nreg, *a = mean + 2 * nreg,
               *b = mean + 3 * nreg, *rw = mean + 4 * nreg;
        size_t *iw = tiw + (size_t)tid * (2 * nreg + nsub), *pick = iw + 2 * nreg;
#pragma omp for schedule(static)
        for (size_t j = 0; j < nboot; j++) {
            bract_rng r;
            bract_rng_init(&r, seed, j, 3);
            for (size_t s = 0; s < nsub; s++)
                pick[s] = (size_t)bract_rng_below(&r, nsub);
            for (size_t g = 0; g < nreg; g++)
                mean[g] = cnt[g] = 0;
            for (size_t s = 0; s < nsub; s++)
                for (size_t g = 0; g < nreg; g++) {
                    double v = tau[pick[s] * nreg + g];
                    if (isfinite(v)) {
                        mean[g] += v;
                        cnt[g] += 1;
                    }
                }
            size_t m = 0;
            for (size_t g = 0; g < nreg; g++)
                if (cnt[g] > 0 && isfinite(index[g])) {
                    a[m] = mean[g] / cnt[g];
                    b[m] = index[g];
                    m++;
                }
            rho[j] = m >= 3 ? bract_stats_spearman(a, b, m, rw, iw) : NAN;
        }
    }
    size_t k = 0;
    for (size_t j = 0; j < nboot; j++)
        if (!isnan(rho[j]))
            rho[k++] = rho[j];
    *nvalid = k;
    if (k > 0) {
        qsort(rho, k, sizeof *rho, cmp_double);
        *lo = quantile_sorted(rho, k, (1 - level) / 2);
        *hi = quantile_sorted(rho, k, 1 - (1 - level) / 2);
    }
    free(rho);
    free(tw);
    free(tiw);
    return BRACT_OK;
}

/* ---- a group of subjects ---- */

void bract_hierarchy_opts_defaults(bract_hierarchy_opts *o)
{
    o->nperm = 10000;
    o->nboot = 2000;
    o->level = 0.95;
    o->seed = 1;
}

void bract_hierarchy_group_free(bract_hierarchy_group *g)
{
    if (!g)
        return;
    free(g->mean);
    free(g->sd);
    free(g->nmeasured);
    free(g->order);
    free(g->rank_tau);
    free(g->rank_index);
    free(g->tests);
    free(g);
}

/* Mean and SD per region over the subjects that measured it. */
static void group_profile(const double *tau, bract_hierarchy_group *g)
{
    size_t R = g->nreg, nsub = g->nsub;
    for (size_t r = 0; r < R; r++) {
        double sum = 0, ss = 0, k = 0;
        for (size_t s = 0; s < nsub; s++)
            if (isfinite(tau[s * R + r])) {
                sum += tau[s * R + r];
                k++;
            }
        g->mean[r] = k > 0 ? sum / k : NAN;
        for (size_t s = 0; s < nsub; s++)
            if (isfinite(tau[s * R + r]))
                ss += (tau[s * R + r] - g->mean[r]) * (tau[s * R + r] - g->mean[r]);
        g->sd[r] = k > 1 ? sqrt(ss / (k - 1)) : NAN;
        g->nmeasured[r] = (size_t)k;
        if (k == 0)
            g->unmeasured++;
    }
}

/* The order of the measured regions by group mean, and the ranks. */
static int group_order(const double *index, bract_hierarchy_group *g)
{
    size_t R = g->nreg;
    double *ta = bract_xmalloc(4 * R, sizeof *ta, "ranks");
    size_t *sel = bract_xmalloc(5 * R, sizeof *sel, "ranks");
    if (!ta || !sel) {
        free(ta);
        free(sel);
        return BRACT_ENOMEM;
    }
    double *ia = ta + R, *rt = ta + 2 * R, *ri = ta + 3 * R;
    size_t *ord = sel + R, *wk = sel + 3 * R;
    size_t m = 0;
    for (size_t r = 0; r < R; r++)
        if (isfinite(g->mean[r]))
            sel[m++] = r;
    for (size_t k = 0; k < m; k++) {
        ta[k] = g->mean[sel[k]];
        ia[k] = isfinite(index[sel[k]]) ? index[sel[k]] : INFINITY;
    }
    bract_stats_rank(ta, m, rt, wk);
    bract_stats_rank(ia, m, ri, wk);
    bract_stats_argsort(ta, m, ord, wk);
    for (size_t r = 0; r < R; r++)
        g->rank_tau[r] = g->rank_index[r] = NAN;
    for (size_t k = 0; k < m; k++) {
        size_t r = sel[ord[k]];
        g->order[k] = r;
        g->rank_tau[r] = rt[ord[k]];
        g->rank_index[r] = isfinite(index[r]) ? ri[ord[k]] : NAN;
    }
    for (size_t r = 0; r < R; r++) /* unmeasured regions last */
        if (!isfinite(g->mean[r]))
            g->order[m++] = r;
    free(ta);
    free(sel);
    return BRACT_OK;
}

/* The test on the regions where both tau and the index are finite. */
static int test_subset(const double *tau, const double *index, const double *xyz, size_t R,
                       const bract_hierarchy_opts *o, bract_hier_test *h)
{
    size_t n = 0;
    double *a = bract_xmalloc(R, sizeof *a, "hierarchy test"),
           *b = bract_xmalloc(R, sizeof *b, "hierarchy test");
    double *sub = xyz ? bract_xmalloc(3 * R, sizeof *sub, "hierarchy test") : NULL;
    int rc = BRACT_OK;
    bract_hierarchy_msr *m = NULL;
    if (!a || !b || (xyz && !sub)) {
        rc = BRACT_ENOMEM;
        goto done;
    }
    for (size_t r = 0; r < R; r++)
        if (isfinite(tau[r]) && isfinite(index[r])) {
            a[n] = tau[r];
            b[n] = index[r];
            if (sub)
                memcpy(sub + 3 * n, xyz + 3 * r, 3 * sizeof *sub);
            n++;
        }
    h->n = n;
    h->rho = h->p_perm = h->p_spatial = NAN;
    if (n < 3) {
        bract_warn("only %zu regions have both a timescale and an index value: no correlation",
                   n);
        goto done;
    }
    if (sub && (rc = bract_hierarchy_msr_new(sub, n, &m)))
        goto done;
    if (bract_hierarchy_test(a, b, n, o->nperm, m, o->seed, h)) {
        bract_warn("%s", bract_last_error());
        h->n = n;
    }
done:
    bract_hierarchy_msr_free(m);
    free(a);
    free(b);
    free(sub);
    return rc;
}

/* ICC over the regions every subject measured; mean pairwise Spearman. */
static int group_reliability(const double *tau, bract_hierarchy_group *g)
{
    size_t R = g->nreg, nsub = g->nsub, nc = 0;
    double *x = bract_xmalloc(R * nsub, sizeof *x, "reliability"),
           *a = bract_xmalloc(4 * R, sizeof *a, "reliability");
    size_t *iw = bract_xmalloc(2 * R, sizeof *iw, "reliability");
    if (!x || !a || !iw) {
        free(x);
        free(a);
        free(iw);
        return BRACT_ENOMEM;
    }
    double *b = a + R, *rw = a + 2 * R;
    for (size_t r = 0; r < R; r++) {
        int all = 1;
        for (size_t s = 0; s < nsub; s++)
            all &= isfinite(tau[s * R + r]) != 0;
        if (!all)
            continue;
        for (size_t s = 0; s < nsub; s++)
            x[nc * nsub + s] = tau[s * R + r];
        nc++;
    }
    g->icc1 = g->icck = NAN;
    g->icc_regions = nc;
    if (nc >= 2 && bract_hierarchy_icc(x, nc, nsub, &g->icc1, &g->icck))
        bract_warn("%s", bract_last_error());
    double pair = 0;
    size_t npair = 0;
    for (size_t s1 = 0; s1 < nsub; s1++)
        for (size_t s2 = s1 + 1; s2 < nsub; s2++) {
            size_t m = 0;
            for (size_t r = 0; r < R; r++)
                if (isfinite(tau[s1 * R + r]) && isfinite(tau[s2 * R + r])) {
                    a[m] = tau[s1 * R + r];
                    b[m] = tau[s2 * R + r];
                    m++;
                }
            double rho = m >= 3 ? bract_stats_spearman(a, b, m, rw, iw) : NAN;
            if (!isnan(rho)) {
                pair += rho;
                npair++;
            }
        }
    g->pairwise_spearman = npair ? pair / (double)npair : NAN;
    free(x);
    free(a);
    free(iw);
    return BRACT_OK;
}

/* Each subject's test, the group's, the bootstrap interval. */
static int group_tests(const double *tau, const double *index, const double *xyz,
                       const bract_hierarchy_opts *o, bract_hierarchy_group *g)
{
    size_t R = g->nreg, nsub = g->nsub;
    int rc;
    for (size_t s = 0; s < nsub; s++)
        if ((rc = test_subset(tau + s * R, index, xyz, R, o, &g->tests[s])))
            return rc;
    g->ci_lo = g->ci_hi = NAN;
    if (nsub < 2)
        return BRACT_OK;
    if ((rc = test_subset(g->mean, index, xyz, R, o, &g->tests[nsub])))
        return rc;
    if (o->nboot > 0 && g->tests[nsub].n >= 3)
        return bract_hierarchy_bootstrap(tau, nsub, R, index, o->nboot, o->level, o->seed,
                                         &g->ci_lo, &g->ci_hi, &g->ci_valid);
    return BRACT_OK;
}

int bract_hierarchy_group_new(const double *tau, size_t nsub, size_t nreg, const double *index,
                              const double *xyz, const bract_hierarchy_opts *o,
                              bract_hierarchy_group **out)
{
    *out = NULL;
    if (nsub == 0 || nreg == 0)
        return bract_error(BRACT_EINVAL, "a hierarchy needs subjects and regions (got %zu x %zu)",
                           nsub, nreg);
    bract_hierarchy_group *g = bract_xcalloc(1, sizeof *g, "hierarchy");
    if (!g)
        return BRACT_ENOMEM;
    g->nsub = nsub;
    g->nreg = nreg;
    g->ntests = nsub >= 2 ? nsub + 1 : nsub;
    g->mean = bract_xmalloc(nreg, sizeof *g->mean, "group means");
    g->sd = bract_xmalloc(nreg, sizeof *g->sd, "group SDs");
    g->nmeasured = bract_xmalloc(nreg, sizeof *g->nmeasured, "group counts");
    g->order = bract_xmalloc(nreg, sizeof *g->order, "region order");
    g->rank_tau = bract_xmalloc(nreg, sizeof *g->rank_tau, "ranks");
    g->rank_index = bract_xmalloc(nreg, sizeof *g->rank_index, "ranks");
    g->tests = bract_xcalloc(g->ntests, sizeof *g->tests, "hierarchy tests");
    g->icc1 = g->icck = g->pairwise_spearman = g->ci_lo = g->ci_hi = NAN;
    int rc = BRACT_ENOMEM;
    if (g->mean && g->sd && g->nmeasured && g->order && g->rank_tau && g->rank_index &&
        g->tests) {
        group_profile(tau, g);
        rc = group_order(index, g);
        if (!rc)
            rc = group_tests(tau, index, xyz, o, g);
        if (!rc && nsub >= 2)
            rc = group_reliability(tau, g);
    }
    if (rc) {
        bract_hierarchy_group_free(g);
        return rc;
    }
    *out = g;
    return BRACT_OK;
}
