/* Shared statistics: ranks, correlations, t and normal tails, FDR. */
#include "base/internal.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include <nifti1.h>
#include <nifticdf.h>

static const char *const alternative_names[] = {"two-sided", "greater", "less"};

const char *bract_stats_alternative_name(bract_stats_alternative a)
{
    return (unsigned)a < 3 ? alternative_names[a] : "unknown";
}

int bract_stats_alternative_parse(const char *s, bract_stats_alternative *out)
{
    for (unsigned i = 0; i < 3; i++)
        if (strcmp(s, alternative_names[i]) == 0) {
            *out = (bract_stats_alternative)i;
            return BRACT_OK;
        }
    if (strcmp(s, "two_sided") == 0) {
        *out = BRACT_ALT_TWO_SIDED;
        return BRACT_OK;
    }
    return bract_error(BRACT_EINVAL,
                       "unknown alternative '%s' (expected one of greater, less, two-sided)", s);
}

static const char *const p_style_names[] = {"p", "minus-log10", "one-minus"};

const char *bract_stats_p_style_name(bract_stats_p_style s)
{
    return (unsigned)s < 3 ? p_style_names[s] : "unknown";
}

int bract_stats_p_style_parse(const char *name, bract_stats_p_style *out)
{
    static const struct {
        const char *name;
        bract_stats_p_style s;
    } alias[] = {{"log10", BRACT_P_STYLE_MINUS_LOG10},
                 {"logp", BRACT_P_STYLE_MINUS_LOG10},
                 {"-log10", BRACT_P_STYLE_MINUS_LOG10},
                 {"1-p", BRACT_P_STYLE_ONE_MINUS}};
    for (unsigned i = 0; i < 3; i++)
        if (strcmp(name, p_style_names[i]) == 0) {
            *out = (bract_stats_p_style)i;
            return BRACT_OK;
        }
    for (size_t i = 0; i < sizeof alias / sizeof *alias; i++)
        if (strcmp(name, alias[i].name) == 0) {
            *out = alias[i].s;
            return BRACT_OK;
        }
    return bract_error(BRACT_EINVAL,
                       "unknown p style '%s' (expected one of p, minus-log10, one-minus)", name);
}

void bract_stats_p_style_apply(bract_stats_p_style s, const double *p, size_t n, double *out)
{
    for (size_t i = 0; i < n; i++) {
        double v = p[i];
        if (s == BRACT_P_STYLE_MINUS_LOG10)
            v = isnan(v) ? v : -log10(v > DBL_MIN ? v : DBL_MIN);
        else if (s == BRACT_P_STYLE_ONE_MINUS)
            v = 1 - v;
        out[i] = v;
    }
}

double bract_stats_mean(const double *x, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += x[i];
    return n ? s / (double)n : NAN;
}

double bract_stats_var(const double *x, size_t n, int ddof)
{
    if (n <= (size_t)ddof)
        return NAN;
    double m = bract_stats_mean(x, n), s = 0;
    for (size_t i = 0; i < n; i++)
        s += (x[i] - m) * (x[i] - m);
    return s / (double)(n - (size_t)ddof);
}

void bract_stats_argsort(const double *x, size_t n, size_t *idx, size_t *tmp)
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

void bract_stats_rank(const double *x, size_t n, double *rank, size_t *work)
{
    size_t *idx = work;
    bract_stats_argsort(x, n, idx, work + n);
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

double bract_stats_pearson(const double *x, const double *y, size_t n)
{
    if (n < 2)
        return NAN;
    double mx = bract_stats_mean(x, n), my = bract_stats_mean(y, n);
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

double bract_stats_spearman(const double *x, const double *y, size_t n, double *rwork, size_t *iwork)
{
    bract_stats_rank(x, n, rwork, iwork);
    bract_stats_rank(y, n, rwork + n, iwork);
    return bract_stats_pearson(rwork, rwork + n, n);
}

double bract_stats_fisher_z(double r)
{
    if (!(r >= -1 && r <= 1))
        return NAN;
    return atanh(r);
}

double bract_stats_t_cdf(double t, double df)
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

double bract_stats_t_sf(double t, double df)
{
    if (isnan(t) || !(df > 0))
        return NAN;
    if (isinf(t))
        return t > 0 ? 0.0 : 1.0;
    return t < 0 ? nifti_stat2cdf(-t, NIFTI_INTENT_TTEST, df, 0, 0)
                 : nifti_stat2rcdf(t, NIFTI_INTENT_TTEST, df, 0, 0);
}

double bract_stats_norm_cdf(double z) { return 0.5 * erfc(-z / sqrt(2.0)); }
double bract_stats_norm_sf(double z) { return 0.5 * erfc(z / sqrt(2.0)); }

double bract_stats_t_pvalue(double t, double df, bract_stats_alternative alt)
{
    switch (alt) {
    case BRACT_ALT_GREATER: return bract_stats_t_sf(t, df);
    case BRACT_ALT_LESS: return bract_stats_t_cdf(t, df);
    default: {
        double p = 2.0 * bract_stats_t_sf(fabs(t), df);
        return p > 1 ? 1 : p;
    }
    }
}

int bract_stats_ttest_1samp(const double *x, size_t n, double mu, bract_stats_alternative alt, double *t,
                      double *p)
{
    *t = *p = NAN;
    if (n < 2)
        return bract_error(BRACT_EDATA, "a t test needs at least 2 values (got %zu)", n);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return bract_error(BRACT_EDATA, "a t test got a non-finite value (item %zu)", i + 1);
    double m = bract_stats_mean(x, n), v = bract_stats_var(x, n, 1);
    if (v == 0)
        return bract_error(BRACT_EDATA, "a t test of %zu identical values is undefined", n);
    double df = (double)(n - 1);
    *t = (m - mu) / sqrt(v / (double)n);
    *p = bract_stats_t_pvalue(*t, df, alt);
    return BRACT_OK;
}

void bract_stats_fdr_bh(const double *p, size_t n, double *q, size_t *work)
{
    /* NaN sorts nowhere in particular: give the valid p-values their order
     * through a copy where NaN becomes +inf, then skip them. */
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        m += !isnan(p[i]);
    for (size_t i = 0; i < n; i++)
        q[i] = isnan(p[i]) ? INFINITY : p[i];
    size_t *idx = work;
    bract_stats_argsort(q, n, idx, work + n);
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

/* ---- rank test and quantiles ---- */

int bract_stats_wilcoxon(const double *x, size_t n, bract_stats_alternative alt, double *stat, double *p)
{
    *stat = *p = NAN;
    if (n == 0)
        return bract_error(BRACT_EDATA, "a signed-rank test needs at least 1 value");
    size_t nzero = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]))
            return bract_error(BRACT_EDATA, "a signed-rank test got a non-finite value (item %zu)",
                               i + 1);
        nzero += x[i] == 0;
    }
    if (nzero == n)
        return bract_error(BRACT_EDATA, "a signed-rank test of %zu zeros is undefined", n);
    int exact = n <= 50 && nzero == 0; /* scipy's "auto" */
    double *d = bract_xmalloc(2 * n, sizeof *d, "a signed-rank test");
    size_t *iw = bract_xmalloc(2 * n, sizeof *iw, "a signed-rank test");
    if (!d || !iw) {
        free(d);
        free(iw);
        return BRACT_ENOMEM;
    }
    double *r = d + n;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (exact || x[i] != 0)
            d[m++] = fabs(x[i]);
    bract_stats_rank(d, m, r, iw);
    double rp = 0, rm = 0;
    for (size_t i = 0, k = 0; i < n; i++) {
        if (!exact && x[i] == 0)
            continue;
        if (x[i] > 0)
            rp += r[k];
        else if (x[i] < 0)
            rm += r[k];
        k++;
    }
    double T = alt == BRACT_ALT_TWO_SIDED ? (rp < rm ? rp : rm) : rp;
    if (exact) {
        /* P(R+ = s) for s = 0 .. n(n+1)/2, built as scipy does by halving */
        size_t top = n * (n + 1) / 2;
        double c[1276];
        c[0] = 1;
        for (size_t k = 1; k <= n; k++) {
            size_t hi = k * (k + 1) / 2, prev = (k - 1) * k / 2;
            for (size_t s = hi + 1; s-- > 0;) {
                double a = s <= prev ? 0.5 * c[s] : 0, b = s >= k ? 0.5 * c[s - k] : 0;
                c[s] = a + b;
            }
        }
        size_t rpi = (size_t)rp; /* scipy truncates */
        double lo = 0, up = 0;
        for (size_t s = 0; s <= rpi; s++)
            lo += c[s];
        for (size_t s = rpi; s <= top; s++)
            up += c[s];
        double prob;
        if (alt == BRACT_ALT_TWO_SIDED)
            prob = rpi == top / 2 ? 1.0 : 2 * (lo < up ? lo : up);
        else
            prob = alt == BRACT_ALT_GREATER ? up : lo;
        *p = prob < 0 ? 0 : prob > 1 ? 1 : prob;
    } else {
        double cnt = (double)m;
        double mn = cnt * (cnt + 1) * 0.25, se = cnt * (cnt + 1) * (2 * cnt + 1);
        /* tie correction: r is ranked, so sort a copy to find the runs */
        for (size_t i = 0; i < m; i++)
            d[i] = r[i];
        bract_stats_argsort(d, m, iw, iw + n);
        for (size_t i = 0; i < m;) {
            size_t j = i + 1;
            while (j < m && d[iw[j]] == d[iw[i]])
                j++;
            double t = (double)(j - i);
            if (j - i > 1)
                se -= 0.5 * t * (t * t - 1);
            i = j;
        }
        se = sqrt(se / 24);
        double z = (T - mn) / se;
        *p = alt == BRACT_ALT_TWO_SIDED ? 2 * bract_stats_norm_sf(fabs(z))
             : alt == BRACT_ALT_GREATER ? bract_stats_norm_sf(z)
                                        : bract_stats_norm_cdf(z);
    }
    *stat = T;
    free(d);
    free(iw);
    return BRACT_OK;
}

double bract_stats_t_ppf(double q, double df)
{
    if (!(q > 0 && q < 1) || !(df > 0))
        return q == 0 ? -INFINITY : q == 1 ? INFINITY : NAN;
    /* invert the smaller tail, polished (bract_stats_t_isf) */
    return q < 0.5 ? -bract_stats_t_isf(q, df) : bract_stats_t_isf(1 - q, df);
}

double bract_stats_quantile(const double *sorted, size_t n, double q)
{
    if (n == 0 || isnan(q))
        return NAN;
    double h = (double)(n - 1) * q;
    size_t lo = (size_t)floor(h);
    if (lo >= n - 1)
        return sorted[n - 1];
    double f = h - (double)lo;
    return sorted[lo] + f * (sorted[lo + 1] - sorted[lo]);
}

/* ---- inverse t tail (added for group maps) ---- */

double bract_stats_t_isf(double q, double df)
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
        double pdf = (bract_stats_t_sf(t - h, df) - bract_stats_t_sf(t + h, df)) / (2 * h);
        if (!(pdf > 0))
            break;
        double step = (bract_stats_t_sf(t, df) - q) / pdf;
        t += step;
        if (fabs(step) <= 1e-15 * fabs(t))
            break;
    }
    return t;
}

/* ---- fast average-tie ranks (added for the searchlight) ---- */

/* An order-preserving map of a double's bits onto unsigned integers: flip
 * every bit of a negative number, only the sign bit of a positive one; -0
 * and 0 are equal values and share the key of 0. */
static inline uint64_t rank_key(double v)
{
    uint64_t u;
    if (v == 0)
        v = 0.0;
    memcpy(&u, &v, sizeof u);
    return u & 0x8000000000000000ULL ? ~u : u | 0x8000000000000000ULL;
}

void bract_stats_rank_fast(const double *x, size_t n, double *rank, size_t *work)
{
    /* A least-significant-digit radix sort of indices by the top 33 bits of
     * the keys (three 11-bit digits, each read from the values; a digit all
     * values share is skipped), then an insertion sort by the whole key,
     * which moves only values that agree in those bits (relative
     * differences below about 1e-6).  If that would take many moves, or for
     * short inputs, NaN or more than 2^32 values, the merge sort of
     * bract_stats_rank does it all.  Both sort by value and give each run of
     * equal values the mean of its positions: the ranks are the same. */
    enum { BITS = 11, NB = 1 << BITS, PASSES = 3, LOW = 64 - BITS * PASSES, MIN_N = 64 };
    if (n < MIN_N || n > UINT32_MAX) {
        bract_stats_rank(x, n, rank, work);
        return;
    }
    uint32_t hist[PASSES][NB];
    memset(hist, 0, sizeof hist);
    for (size_t i = 0; i < n; i++) {
        if (isnan(x[i])) {
            bract_stats_rank(x, n, rank, work);
            return;
        }
        uint64_t u = rank_key(x[i]);
        for (int d = 0; d < PASSES; d++)
            hist[d][(u >> (LOW + BITS * d)) & (NB - 1)]++;
    }
    size_t *a = work, *b = work + n;
    for (size_t i = 0; i < n; i++)
        a[i] = i;
    for (int d = 0; d < PASSES; d++) {
        const uint32_t *h = hist[d];
        int shift = LOW + BITS * d;
        if (h[(rank_key(x[0]) >> shift) & (NB - 1)] == n)
            continue;
        size_t pos[NB], s = 0;
        for (int k = 0; k < NB; k++) {
            pos[k] = s;
            s += h[k];
        }
        for (size_t q = 0; q < n; q++) {
            size_t i = a[q];
            b[pos[(rank_key(x[i]) >> shift) & (NB - 1)]++] = i;
        }
        size_t *t = a;
        a = b;
        b = t;
    }
    size_t budget = 4 * n;
    for (size_t q = 1; q < n; q++) {
        size_t i = a[q], p = q;
        uint64_t k = rank_key(x[i]);
        while (p > 0 && rank_key(x[a[p - 1]]) > k) {
            a[p] = a[p - 1];
            p--;
            if (--budget == 0) {
                bract_stats_rank(x, n, rank, work);
                return;
            }
        }
        a[p] = i;
    }
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && x[a[j]] == x[a[i]])
            j++;
        double r = 0.5 * (double)(i + 1 + j); /* average of ranks i+1..j */
        for (size_t k = i; k < j; k++)
            rank[a[k]] = r;
        i = j;
    }
}

/* ---- F and normal quantiles ---- */

double bract_stats_f_cdf(double f, double df1, double df2)
{
    if (isnan(f) || !(df1 > 0) || !(df2 > 0))
        return NAN;
    if (f <= 0)
        return 0.0;
    if (isinf(f))
        return 1.0;
    return nifti_stat2cdf(f, NIFTI_INTENT_FTEST, df1, df2, 0);
}

double bract_stats_f_sf(double f, double df1, double df2)
{
    if (isnan(f) || !(df1 > 0) || !(df2 > 0))
        return NAN;
    if (f <= 0)
        return 1.0;
    if (isinf(f))
        return 0.0;
    return nifti_stat2rcdf(f, NIFTI_INTENT_FTEST, df1, df2, 0);
}

double bract_stats_norm_ppf(double q)
{
    if (!(q > 0 && q < 1))
        return NAN;
    return nifti_cdf2stat(q, NIFTI_INTENT_ZSCORE, 0, 0, 0);
}

double bract_stats_norm_isf(double p)
{
    if (!(p > 0 && p < 1))
        return NAN;
    return -nifti_cdf2stat(p, NIFTI_INTENT_ZSCORE, 0, 0, 0);
}
