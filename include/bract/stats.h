/* bract/stats.h: the statistics every analysis shares.
 *
 * Ranks with average ties (scipy's rankdata), Pearson and Spearman
 * correlation, Fisher z, the t and normal distributions (through nifticlib's
 * DCDFLIB CDFs), one-sample t tests, and Benjamini-Hochberg FDR.  Sums run in
 * a fixed order, so results do not depend on threads. */
#ifndef BRACT_STATS_H
#define BRACT_STATS_H

#include <stddef.h>

#include "bract/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    BRACT_ALT_TWO_SIDED = 0,
    BRACT_ALT_GREATER = 1, /* the mean (or statistic) is greater than under H0 */
    BRACT_ALT_LESS = 2
} bract_stats_alternative;

/* "two-sided", "greater" or "less" (scipy's names; "two_sided" is accepted
 * too): 0, or BRACT_EINVAL naming the expected values. */
BRACT_API int bract_stats_alternative_parse(const char *s, bract_stats_alternative *out);

/* "two-sided", "greater", "less" ("unknown" for other values). */
BRACT_API const char *bract_stats_alternative_name(bract_stats_alternative a);

BRACT_API double bract_stats_mean(const double *x, size_t n);

/* Variance with `ddof` degrees of freedom removed (1: sample variance). */
BRACT_API double bract_stats_var(const double *x, size_t n, int ddof);

/* Indices that sort x ascending (stable merge sort).  tmp holds n indices.
 * x must not hold NaN. */
BRACT_API void bract_stats_argsort(const double *x, size_t n, size_t *idx, size_t *tmp);

/* 1-based ranks with ties given their average rank, as scipy.stats.rankdata.
 * `work` holds 2n indices (caller-owned, so hot loops do not allocate).
 * x must not hold NaN. */
BRACT_API void bract_stats_rank(const double *x, size_t n, double *rank, size_t *work);

/* Pearson correlation; NaN when either vector is constant or n < 2. */
BRACT_API double bract_stats_pearson(const double *x, const double *y, size_t n);

/* Spearman correlation (Pearson of average-tie ranks).  rwork holds 2n
 * doubles, iwork 2n indices. */
BRACT_API double bract_stats_spearman(const double *x, const double *y, size_t n, double *rwork,
                                size_t *iwork);

/* atanh(r); +-infinity at |r| = 1, NaN outside [-1, 1]. */
BRACT_API double bract_stats_fisher_z(double r);

/* Student t distribution with df degrees of freedom. */
BRACT_API double bract_stats_t_cdf(double t, double df);
BRACT_API double bract_stats_t_sf(double t, double df); /* upper tail P(T > t) */

/* Standard normal distribution. */
BRACT_API double bract_stats_norm_cdf(double z);
BRACT_API double bract_stats_norm_sf(double z);

/* p-value of a statistic with a symmetric null given its distribution's
 * upper tail at |stat| (sf_abs) and at stat: helper for t and z tests. */
BRACT_API double bract_stats_t_pvalue(double t, double df, bract_stats_alternative alt);

/* One-sample t test of mean(x) against mu (scipy.stats.ttest_1samp):
 * t = (mean - mu) / (sd / sqrt(n)), df = n - 1.  NaN values in x are an
 * error.  BRACT_EDATA when n < 2 or x is constant. */
BRACT_API int bract_stats_ttest_1samp(const double *x, size_t n, double mu, bract_stats_alternative alt,
                                double *t, double *p);

/* Benjamini-Hochberg adjusted p-values (statsmodels multipletests
 * 'fdr_bh'): q_(i) = min_{j >= i} p_(j) n / j, capped at 1.  NaN p-values
 * are left out of n and give NaN.  `work` holds 2n indices. */
BRACT_API void bract_stats_fdr_bh(const double *p, size_t n, double *q, size_t *work);

/* ---- rank test and quantiles (added with bract rsa) ---- */

/* Wilcoxon signed-rank test of x against 0, as scipy.stats.wilcoxon(x,
 * alternative=...) with its defaults (scipy 1.10): zero_method "wilcox",
 * no continuity correction, method "auto".  With n <= 50 and no zero the
 * exact null distribution of the positive-rank sum R+ is used (ties get
 * average ranks and R+ is truncated to an integer, as scipy does); otherwise
 * zeros are dropped and the normal approximation with the tie-corrected
 * variance is used.  *stat is min(R+, R-) for a two-sided test and R+
 * otherwise.  BRACT_EDATA when n == 0, x has a non-finite value, or every
 * value is zero. */
BRACT_API int bract_stats_wilcoxon(const double *x, size_t n, bract_stats_alternative alt, double *stat,
                             double *p);

/* Quantile of the t distribution: the t with P(T <= t) = q. */
BRACT_API double bract_stats_t_ppf(double q, double df);

/* Quantile q in [0, 1] of n sorted values with linear interpolation
 * between order statistics (numpy.quantile's default); NaN if n == 0. */
BRACT_API double bract_stats_quantile(const double *sorted, size_t n, double q);

/* ---- inverse t tail (added for group maps) ---- */

/* The t value with upper tail probability q: P(T > t) = q, for 0 < q < 1
 * (scipy.stats.t.isf).  NaN for q outside (0, 1) or df <= 0. */
BRACT_API double bract_stats_t_isf(double q, double df);

/* ---- fast average-tie ranks (added for the searchlight) ---- */

/* The ranks of bract_stats_rank (identical values) by a radix sort of the
 * values: several times faster for thousands of values (an RDM's pairs).
 * `work` holds 2n indices, as for bract_stats_rank. */
BRACT_API void bract_stats_rank_fast(const double *x, size_t n, double *rank, size_t *work);

/* ---- F and normal quantiles (added for the GLM) ---- */

/* F distribution with (df1, df2) degrees of freedom: lower and upper tail
 * (nifticdf's DCDFLIB).  NaN for a NaN statistic or df <= 0. */
BRACT_API double bract_stats_f_cdf(double f, double df1, double df2);
BRACT_API double bract_stats_f_sf(double f, double df1, double df2);

/* Standard normal quantiles: the z with P(Z <= z) = q (scipy norm.ppf), and
 * the z with P(Z > z) = p (norm.isf), for 0 < q, p < 1 (NaN outside). */
BRACT_API double bract_stats_norm_ppf(double q);
BRACT_API double bract_stats_norm_isf(double p);

/* ---- how p values are written ---- */

/* p itself; -log10 p (nilearn's "logp", NIfTI intent LOG10PVAL: larger is
 * more significant); or 1 - p (FSL randomise's convention, its "corrp"
 * maps: thresholded at 0.95). */
typedef enum {
    BRACT_P_STYLE_P = 0,
    BRACT_P_STYLE_MINUS_LOG10 = 1,
    BRACT_P_STYLE_ONE_MINUS = 2
} bract_stats_p_style;

/* "p", "minus-log10", "one-minus" ("unknown" out of range). */
BRACT_API const char *bract_stats_p_style_name(bract_stats_p_style s);

/* The style named `name` in *out ("log10", "logp" and "-log10" also mean
 * minus-log10, "1-p" one-minus): 0, or BRACT_EINVAL naming the expected
 * values. */
BRACT_API int bract_stats_p_style_parse(const char *name, bract_stats_p_style *out);

/* out[i] = p[i] in style s (out may be p).  NaN stays NaN; a p of 0 (an
 * underflowed parametric p) gives -log10 of the smallest normal double,
 * 307.65, not infinity. */
BRACT_API void bract_stats_p_style_apply(bract_stats_p_style s, const double *p, size_t n,
                                         double *out);

#ifdef __cplusplus
}
#endif
#endif
