/* bract/compare.h: comparing RDMs (the engine of bract rsa and of the
 * searchlight).
 *
 * A comparison plan holds one or more model RDMs over n conditions, prepared
 * once for a method (ranks, centring, whitening, sort orders, regression
 * bases); a workspace holds one thread's scratch memory.  Comparing a neural
 * RDM with every model of a plan then allocates nothing, so the searchlight
 * calls bract_compare_run once per sphere with a workspace per thread.  A plan is
 * read-only after bract_compare_plan_new and may be shared by many threads.
 *
 * Methods, for x = neural and y = model condensed RDM vectors of length N
 * (the pairs in use), as rsatoolbox's rdm.compare (f1f83ca):
 *   spearman    Pearson correlation of average-tie ranks (scipy rankdata)
 *   pearson     Pearson correlation ("corr" in rsatoolbox)
 *   kendall     Kendall's tau-b, as scipy.stats.kendalltau: (C - D) /
 *               sqrt((T - Tx)(T - Ty)), T = N(N-1)/2, Tx, Ty pairs tied in x,
 *               y; O(N log N) by Knight's merge sort
 *   tau-a       (C - D) / T (no tie correction)
 *   rho-a       12 sum (rx - mean)(ry - mean) / (N^3 - N), average-tie ranks
 *   cosine      x.y / (|x| |y|)
 *   cosine_cov  rsatoolbox's whitened RDM cosine (Diedrichsen et al. 2021)
 *               without a condition covariance: each RDM d becomes the
 *               double-centred second-moment matrix G = -H (D/2) H (H the
 *               centring matrix) vectorised as its off-diagonal entries times
 *               sqrt(2) followed by its diagonal; then cosine.  With missing
 *               pairs the centring is rsatoolbox's least-squares projection.
 *   corr_cov    cosine_cov of x - mean(x) and y - mean(y)
 * and, with a partial setting, CoSMoMVPA's regress_dsm: the neural and the
 * model vectors (ranked first for spearman) are each replaced by their
 * least-squares residuals on [control RDMs, 1], and the result is the
 * Pearson correlation of the residuals (pearson and spearman only).
 *
 * Undefined values: a comparison whose formula divides by zero (a constant
 * neural RDM for the correlations, a zero vector for cosine) gives NaN.
 * rsatoolbox returns 0 there for cosine, corr, spearman and the _cov methods
 * and NaN for kendall; tau-a and rho-a are 0 in both.  A constant model RDM
 * is refused when the plan is made.
 *
 * Missing pairs (NaN): with BRACT_NAN_MATCH (rsatoolbox) a pair missing from
 * the models is left out, and the neural RDM must be missing exactly there
 * (anything else is an error naming the pair); with BRACT_NAN_MODEL_MASK
 * (CoSMoMVPA's NaN-masked target) the neural value of a pair missing from the
 * models is ignored.  Every model and control of a plan must miss the same
 * pairs.
 *
 * Per sphere (the searchlight), with the plan shared and one workspace per
 * thread:
 *
 *     bract_compare_plan *plan;                  // once: models in condition order
 *     bract_compare_plan_new(&opts, n, k, models, 0, NULL, &plan);
 *     #pragma omp parallel
 *     {
 *         bract_compare_ws *ws;
 *         bract_compare_ws_new(plan, &ws);             // once per thread
 *         double *rdm = ..., r[k];                      // n(n-1)/2 values
 *         #pragma omp for
 *         for (centre ...) {
 *             ... compute the sphere's RDM into rdm ...
 *             if (bract_compare_run(plan, ws, rdm, r))  // no allocation
 *                 r[0..k) are NaN (a missing or non-finite dissimilarity)
 *         }
 *         bract_compare_ws_free(ws);
 *     } */
#ifndef BRACT_COMPARE_H
#define BRACT_COMPARE_H

#include <stddef.h>
#include <stdint.h>

#include "bract/error.h"
#include "bract/progress.h"
#include "bract/stats.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    BRACT_CMP_SPEARMAN = 0,
    BRACT_CMP_PEARSON,
    BRACT_CMP_KENDALL,
    BRACT_CMP_TAU_A,
    BRACT_CMP_RHO_A,
    BRACT_CMP_COSINE,
    BRACT_CMP_CORR_COV,
    BRACT_CMP_COSINE_COV
} bract_compare_method;

#define BRACT_CMP_NMETHODS 8

/* "spearman", "pearson", "kendall", "tau-a", "rho-a", "cosine", "corr_cov",
 * "cosine_cov". */
BRACT_API const char *bract_compare_method_name(bract_compare_method m);

/* The method named s (also rsatoolbox's spellings "corr" and "tau-b");
 * BRACT_EINVAL listing the names otherwise. */
BRACT_API int bract_compare_method_parse(const char *s, bract_compare_method *m);

typedef enum {
    BRACT_NAN_MATCH = 0,     /* missing pairs must coincide (rsatoolbox) */
    BRACT_NAN_MODEL_MASK = 1 /* pairs missing from the models are ignored */
} bract_compare_nan;

/* "match", "model" ("unknown" out of range), and back: 0, or BRACT_EINVAL
 * with "unknown missing-pair policy 'x' (expected one of match, model)". */
BRACT_API const char *bract_compare_nan_name(bract_compare_nan p);
BRACT_API int bract_compare_nan_parse(const char *s, bract_compare_nan *out);

typedef enum {
    BRACT_PARTIAL_NONE = 0,
    BRACT_PARTIAL_CONTROLS = 1, /* regress the control RDMs out */
    BRACT_PARTIAL_OTHERS = 2    /* regress the controls and the plan's other models out */
} bract_partial;

typedef struct {
    bract_compare_method method;
    bract_partial partial;      /* pearson and spearman only */
    bract_compare_nan nan_policy;
} bract_compare_opts;

typedef struct bract_compare_plan bract_compare_plan;
typedef struct bract_compare_ws bract_compare_ws;

/* Prepare `nmodels` model RDMs over n >= 3 conditions (condensed vectors of
 * n(n-1)/2 values, NaN = missing pair) and `ncontrols` control RDMs (used
 * only with a partial setting).  The vectors are copied.  Errors: a constant
 * model, models or controls missing different pairs, fewer than 3 pairs
 * left, a partial setting with another method, collinear regressors, a model
 * explained entirely by the regressors.  *out is owned by the caller. */
BRACT_API int bract_compare_plan_new(const bract_compare_opts *opts, size_t n, size_t nmodels,
                                 const double *const *models, size_t ncontrols,
                                 const double *const *controls, bract_compare_plan **out);
BRACT_API void bract_compare_plan_free(bract_compare_plan *p);

BRACT_API size_t bract_compare_plan_nmodels(const bract_compare_plan *p);
BRACT_API size_t bract_compare_plan_nconditions(const bract_compare_plan *p);
/* Number of pairs compared (n(n-1)/2 minus the missing ones). */
BRACT_API size_t bract_compare_plan_npairs(const bract_compare_plan *p);

/* Scratch memory for one thread (NULL when out of memory). */
BRACT_API int bract_compare_ws_new(const bract_compare_plan *p, bract_compare_ws **out);
BRACT_API void bract_compare_ws_free(bract_compare_ws *w);

/* Compare one neural RDM (n(n-1)/2 values, condensed, in the plan's
 * condition order) with every model: r[m] for m < nmodels.  No allocation;
 * safe to call from many threads with one workspace each.  BRACT_EDATA when
 * the neural RDM has a missing or non-finite value where the models have
 * one, or (BRACT_NAN_MATCH) a value where they miss one. */
BRACT_API int bract_compare_run(const bract_compare_plan *p, bract_compare_ws *w, const double *neural,
                            double *r);

/* One-off comparison of two condensed RDMs over n conditions (x neural, y
 * model): allocates a plan and a workspace. */
BRACT_API int bract_compare_vectors(bract_compare_method method, size_t n, const double *x,
                                const double *y, double *r);

/* ---- condition-label permutation test ----
 *
 * The null distribution relabels the models' conditions: for a permutation s
 * of 0..n-1 the permuted model has dissimilarity y(s(i), s(j)) at pair
 * (i, j); the neural RDM and the control RDMs stay as they are.  Permutation
 * b (1-based) is bract_rng_permutation(n) of the stream (seed, stream, b),
 * unless n! - 1 <= nperm: then every permutation other than the identity is
 * used once (b-th in lexicographic order, b = 1 .. n!-1).  The p-value is
 * (#(null >= observed) + 1) / (N + 1) for BRACT_ALT_GREATER, with <= for
 * LESS and |null| >= |observed| for TWO_SIDED; null values within
 * 1e-12 (1 + |observed|) of the observed one count as reaching it.  Missing
 * pairs: a permuted model misses other pairs than the neural RDM, so each
 * permutation uses the pairs present in both.  Results do not depend on the
 * number of threads. */
typedef struct {
    size_t npermutations;      /* N requested (>= 1) */
    uint64_t seed, stream;
    bract_stats_alternative alternative;
    const bract_progress *progress; /* may be NULL */
} bract_perm_opts;

/* r[m] = observed values, p[m] = p-values, *nused = N actually used (n! - 1
 * when that is smaller); if null is not NULL (room for npermutations *
 * nmodels values) it receives the nused * nmodels null values
 * (permutation-major).  Null values that are undefined (NaN) are left out of
 * N in the p-value.  Costs O(N pairs) per permutation and model (Kendall:
 * O(pairs log pairs)); an undefined observed value gives p = NaN. */
BRACT_API int bract_compare_permtest(const bract_compare_plan *p, const double *neural,
                                 const bract_perm_opts *opts, double *r, double *pval,
                                 size_t *nused, double *null);

/* ---- bootstrap over conditions ----
 *
 * Sample b (1-based) draws n conditions with replacement (bract_rng_below(n)
 * n times from stream (seed, stream, b)); pairs of two copies of the same
 * condition are left out (rsatoolbox's bootstrap_sample_pattern); models,
 * controls and the neural RDM are resampled alike.  Samples with fewer than
 * 3 distinct conditions give NaN.  out receives nboot * nmodels values
 * (sample-major). */
BRACT_API int bract_compare_bootstrap(const bract_compare_plan *p, const double *neural, size_t nboot,
                                  uint64_t seed, uint64_t stream,
                                  const bract_progress *progress, double *out);

/* ---- noise ceiling ----
 *
 * rsatoolbox's boot_noise_ceiling with leave-one-subject-out: upper = mean
 * over subjects s of compare(pool(all), RDM_s), lower = mean over s of
 * compare(pool(all but s), RDM_s).  pool: cosine, cosine_cov: divide each RDM
 * by its root mean square, average; pearson, corr_cov: z-score each
 * (population sd), average, subtract the minimum; spearman, rho-a, kendall,
 * tau-a: average the ranks.  `rdms` are nsubj >= 2 condensed RDMs over n
 * conditions missing the same pairs; `mask` (may be NULL) marks pairs (1) to
 * use, the others are treated as missing. */
BRACT_API int bract_compare_noise_ceiling(bract_compare_method method, size_t n, size_t nsubj,
                                  const double *const *rdms, const unsigned char *mask,
                                  double *lower, double *upper);

#ifdef __cplusplus
}
#endif
#endif
