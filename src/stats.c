/* Shared statistics: ranks, correlations, t and normal tails, FDR. */
#include "internal.h"

#include <math.h>
#include <string.h>

#include <nifti1.h>
#include <nifticdf.h>

double bract_mean(const double *x, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += x[i];
    return n ? s / (double)n : NAN;
}

double bract_var(const double *x, size_t n, int ddof)
{
    if (n <= (size_t)ddof)
        return NAN;
    double m = bract_mean(x, n), s = 0;
    for (size_t i = 0; i < n; i++)
        s += (x[i] - m) * (x[i] - m);
    return s / (double)(n - (size_t)ddof);
}

void bract_argsort(const double *x, size_t n, size_t *idx, size_t *tmp)
{
    /* bottom-up merge sort of indices: stable, O(n log n), no allocation */
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    size_t *a = idx, *b = tmp;
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                b[k++] = x[a[j]] < x[a[i]] ? a[j++] : a[i++];
            while (i < mid)
                b[k++] = a[i++];
            while (j < hi)
                b[k++] = a[j++];
        }
        size_t *t = a;
        a = b;
        b = t;
    }
    if (a != idx)
        memcpy(idx, a, n * sizeof *idx);
}

void bract_rank(const double *x, size_t n, double *rank, size_t *work)
{
    size_t *idx = work;
    bract_argsort(x, n, idx, work + n);
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && x[idx[j]] == x[idx[i]])
            j++;
        double r = 0.5 * (double)(i + 1 + j); /* average of ranks i+1..j */
        for (size_t k = i; k < j; k++)
            rank[idx[k]] = r;
        i = j;
    }
}

double bract_pearson(const double *x, const double *y, size_t n)
{
    if (n < 2)
        return NAN;
    double mx = bract_mean(x, n), my = bract_mean(y, n);
    double sxy = 0, sxx = 0, syy = 0;
    for (size_t i = 0; i < n; i++) {
        double a = x[i] - mx, b = y[i] - my;
        sxy += a * b;
        sxx += a * a;
        syy += b * b;
    }
    if (sxx == 0 || syy == 0)
        return NAN;
    double r = sxy / sqrt(sxx * syy);
    return r > 1 ? 1 : r < -1 ? -1 : r;
}

double bract_spearman(const double *x, const double *y, size_t n, double *rwork, size_t *iwork)
{
    bract_rank(x, n, rwork, iwork);
    bract_rank(y, n, rwork + n, iwork);
    return bract_pearson(rwork, rwork + n, n);
}

double bract_fisher_z(double r)
{
    if (!(r >= -1 && r <= 1))
        return NAN;
    return atanh(r);
}

double bract_t_cdf(double t, double df)
{
    if (isnan(t) || !(df > 0))
        return NAN;
    if (isinf(t))
        return t > 0 ? 1.0 : 0.0;
    /* DCDFLIB is accurate in the far tail only on its own side: use the
     * upper tail of -t for t < 0. */
    return t < 0 ? nifti_stat2rcdf(-t, NIFTI_INTENT_TTEST, df, 0, 0)
                 : nifti_stat2cdf(t, NIFTI_INTENT_TTEST, df, 0, 0);
}

double bract_t_sf(double t, double df)
{
    if (isnan(t) || !(df > 0))
        return NAN;
    if (isinf(t))
        return t > 0 ? 0.0 : 1.0;
    return t < 0 ? nifti_stat2cdf(-t, NIFTI_INTENT_TTEST, df, 0, 0)
                 : nifti_stat2rcdf(t, NIFTI_INTENT_TTEST, df, 0, 0);
}

double bract_norm_cdf(double z) { return 0.5 * erfc(-z / sqrt(2.0)); }
double bract_norm_sf(double z) { return 0.5 * erfc(z / sqrt(2.0)); }

double bract_t_pvalue(double t, double df, bract_alternative alt)
{
    switch (alt) {
    case BRACT_ALT_GREATER: return bract_t_sf(t, df);
    case BRACT_ALT_LESS: return bract_t_cdf(t, df);
    default: {
        double p = 2.0 * bract_t_sf(fabs(t), df);
        return p > 1 ? 1 : p;
    }
    }
}

int bract_ttest_1samp(const double *x, size_t n, double mu, bract_alternative alt, double *t,
                      double *p)
{
    *t = *p = NAN;
    if (n < 2)
        return bract_error(BRACT_EDATA, "a t test needs at least 2 values (got %zu)", n);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return bract_error(BRACT_EDATA, "a t test got a non-finite value (item %zu)", i + 1);
    double m = bract_mean(x, n), v = bract_var(x, n, 1);
    if (v == 0)
        return bract_error(BRACT_EDATA, "a t test of %zu identical values is undefined", n);
    double df = (double)(n - 1);
    *t = (m - mu) / sqrt(v / (double)n);
    *p = bract_t_pvalue(*t, df, alt);
    return BRACT_OK;
}

void bract_fdr_bh(const double *p, size_t n, double *q, size_t *work)
{
    /* NaN sorts nowhere in particular: give the valid p-values their order
     * through a copy where NaN becomes +inf, then skip them. */
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        m += !isnan(p[i]);
    for (size_t i = 0; i < n; i++)
        q[i] = isnan(p[i]) ? INFINITY : p[i];
    size_t *idx = work;
    bract_argsort(q, n, idx, work + n);
    for (size_t i = 0; i < n; i++)
        q[i] = NAN;
    double run = 1.0;
    for (size_t i = m; i-- > 0;) {
        double v = p[idx[i]] * (double)m / (double)(i + 1);
        if (v < run)
            run = v;
        q[idx[i]] = run;
    }
}

/* ---- inverse t tail (added for group maps) ---- */

double bract_t_isf(double q, double df)
{
    if (!(q > 0 && q < 1) || !(df > 0))
        return NAN;
    /* DCDFLIB's inversion stops at a relative error near 1e-8 in q; its
     * upper tail is accurate to about 1e-15, so polish with Newton steps
     * on sf(t) - q (the t distribution is symmetric: the upper q point is
     * minus the lower one, inverted from the smaller tail) */
    double t = -nifti_cdf2stat(q, NIFTI_INTENT_TTEST, df, 0, 0);
    for (int it = 0; it < 4 && isfinite(t); it++) {
        /* the density by a central difference is plenty for a step that
         * starts 1e-8 away */
        double h = 1e-5 * (1 + fabs(t));
        double pdf = (bract_t_sf(t - h, df) - bract_t_sf(t + h, df)) / (2 * h);
        if (!(pdf > 0))
            break;
        double step = (bract_t_sf(t, df) - q) / pdf;
        t += step;
        if (fabs(step) <= 1e-15 * fabs(t))
            break;
    }
    return t;
}
