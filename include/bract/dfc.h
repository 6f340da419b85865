/* bract/dfc.h: sliding-window dynamic functional connectivity.
 *
 * A plan fixes the windows (shape, length, step) and the estimator for a
 * series of nt volumes of nreg regions; bract_dfc_run then hands the
 * connectivity of each window, one window at a time and in order, to a
 * caller's sink, so that thousands of windows of hundreds of regions never
 * need to be in memory together.  Each window's connectivity is a condensed
 * vector of the nreg(nreg-1)/2 pairs i < j, row-major (bract_pair_index).
 *
 * Windows (k = 0, 1, ...; L = window, s = step):
 *   BRACT_WINDOW_RECT      volumes k*s .. k*s+L-1, plain Pearson correlation
 *                          (teneto 'slidingwindow': T-L+1 left-aligned windows
 *                          at step 1).  Computed incrementally: each window is
 *                          the previous one with the leaving volumes removed
 *                          and the entering ones added (a rank-2 update of the
 *                          centred cross-product matrix per volume), so the
 *                          cost grows as volumes x regions^2, not x window.
 *                          Every `block` windows the matrix is recomputed
 *                          exactly (two-pass), which bounds rounding drift;
 *                          a window whose variance has fallen far below the
 *                          series' is also recomputed exactly.
 *   BRACT_WINDOW_GAUSSIAN  the same windows, weighted Pearson with Gaussian
 *                          weights of sd `sigma` volumes centred on the
 *                          window's middle, w_j = exp(-(j-(L-1)/2)^2/(2 sigma^2)),
 *                          j = 0..L-1 (teneto 'taperedslidingwindow' with
 *                          scipy.stats.norm; statsmodels DescrStatsW).  Each
 *                          window costs L x regions^2.
 *   BRACT_WINDOW_GIFT      GIFT dFNC (icatb_compute_dfnc.m): a rectangle of
 *                          2*round(L/2) volumes convolved with a Gaussian of
 *                          sd `alpha` volumes, normalised to peak 1, shifted
 *                          circularly over the whole series (the tails wrap
 *                          around); the data are multiplied by the taper and
 *                          correlated over all nt volumes.  Windows k = 0 ..
 *                          nt-L-1 (GIFT's Nwin = nt - L; its window k+1);
 *                          the half-maximum support of window k is volumes
 *                          k+1 .. k+L.  With `fisher`, GIFT's z =
 *                          0.5 [ln(1e-8+1+r) - ln(1e-8+1-r)].
 *
 * Estimators (per window):
 *   BRACT_FC_PEARSON         the correlation above
 *   BRACT_FC_LEDOIT_WOLF     nilearn ConnectivityMeasure(kind="correlation"):
 *                            the window z-scored (ddof 1), scikit-learn's
 *                            Ledoit-Wolf shrunk covariance, rescaled to a
 *                            correlation; equals (1 - shrinkage) r off the
 *                            diagonal.  Rectangular windows only.
 *   BRACT_FC_GLASSO          graphical lasso (bract/glasso.h) of the window's
 *                            correlation matrix with penalty `lambda`; the
 *                            correlation of the regularised covariance
 *                            (Allen et al. 2014, GIFT's FNCdyn)
 *   BRACT_FC_GLASSO_PARTIAL  the same fit; partial correlations
 *                            -Theta_ij / sqrt(Theta_ii Theta_jj) (GIFT's Pdyn)
 * `fisher` then maps r to atanh(r), with |r| clipped to 1 - 1e-15 so that
 * identical series give a finite z.
 *
 * OpenMP threads share the rows of the cross-product matrix (whole tiles of
 * 64 rows) and meet once per chunk of windows; every entry is computed by
 * the same arithmetic whichever thread owns it, so the numbers are the same
 * for any number of threads. */
#ifndef BRACT_DFC_H
#define BRACT_DFC_H

#include <stddef.h>

#include "bract/error.h"
#include "bract/progress.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The taper of the windows. */
typedef enum {
    BRACT_WINDOW_RECT = 0,
    BRACT_WINDOW_GAUSSIAN = 1,
    BRACT_WINDOW_GIFT = 2
} bract_dfc_window;

/* "rect", "gaussian", "gift" ("unknown" outside the enum). */
BRACT_API const char *bract_dfc_window_name(bract_dfc_window t);
/* The taper named s into *out; BRACT_EINVAL ("unknown taper 's' (expected
 * one of rect, gaussian, gift)") otherwise. */
BRACT_API int bract_dfc_window_parse(const char *s, bract_dfc_window *out);

/* The connectivity estimator of a window. */
typedef enum {
    BRACT_FC_PEARSON = 0,
    BRACT_FC_LEDOIT_WOLF = 1,
    BRACT_FC_GLASSO = 2,
    BRACT_FC_GLASSO_PARTIAL = 3
} bract_dfc_estimator;

/* "pearson", "ledoit-wolf", "glasso", "glasso-partial" ("unknown" outside
 * the enum). */
BRACT_API const char *bract_dfc_estimator_name(bract_dfc_estimator e);
/* The estimator named s into *out; BRACT_EINVAL ("unknown connectivity
 * estimator 's' (expected one of pearson, ...)") otherwise. */
BRACT_API int bract_dfc_estimator_parse(const char *s, bract_dfc_estimator *out);

typedef struct {
    bract_dfc_window window_type;
    size_t window;    /* L, volumes (>= 3) */
    size_t step;      /* volumes between window starts (>= 1) */
    double sigma;     /* GAUSSIAN: sd of the weights, volumes */
    double alpha;     /* GIFT: sd of the Gaussian, volumes [3] */
    bract_dfc_estimator estimator;
    double lambda;    /* GLASSO*: L1 penalty (> 0) */
    int fisher;       /* 1: Fisher z of the estimate */
    size_t block;     /* RECT: windows between exact recomputations [256] */
} bract_dfc_opts;

/* Defaults: rectangular, step 1, Pearson, no Fisher z, alpha 3, block 256;
 * window 0 (must be set). */
BRACT_API void bract_dfc_opts_defaults(bract_dfc_opts *p);

typedef struct bract_dfc_plan bract_dfc_plan;

/* Check the parameters against a series of nt volumes and nreg regions and
 * build the plan (weights, window count).  Errors say what is wrong: fewer
 * volumes than the window, a window below 3 volumes, a step of 0, fewer than
 * 2 regions, a non-positive sigma or lambda, Ledoit-Wolf with a tapered
 * window.  *out is owned by the caller (bract_dfc_plan_free). */
BRACT_API int bract_dfc_plan_new(size_t nt, size_t nreg, const bract_dfc_opts *p,
                                 bract_dfc_plan **out);
BRACT_API void bract_dfc_plan_free(bract_dfc_plan *plan);

BRACT_API size_t bract_dfc_nwindows(const bract_dfc_plan *plan);
BRACT_API size_t bract_dfc_npairs(const bract_dfc_plan *plan);
BRACT_API size_t bract_dfc_nvolumes(const bract_dfc_plan *plan);
BRACT_API size_t bract_dfc_nregions(const bract_dfc_plan *plan);

/* Volumes spanned by window k (first..last, inclusive): the window itself
 * for RECT and GAUSSIAN, the half-maximum support for GIFT. */
BRACT_API void bract_dfc_window_span(const bract_dfc_plan *plan, size_t k, size_t *first,
                                     size_t *last);

/* The weights window k gives to each of the nt volumes (0 outside it). */
BRACT_API void bract_dfc_window_weights(const bract_dfc_plan *plan, size_t k, double *w);

/* Receives window k's connectivity (npairs values, condensed; valid during
 * the call).  A nonzero return stops the run and is returned by it (record a
 * message with bract_error). */
typedef int (*bract_dfc_sink)(void *ctx, size_t k, const double *fc);

/* Run the plan over x (region r's series at x + r * nt, as bract_tseries)
 * and give each window to sink, in window order, on the calling thread.
 * `names` (may be NULL) name the regions in messages.  Non-finite values
 * and a region constant within a window are errors naming the region and
 * the volumes (BRACT_EDATA).  progress (may be NULL) counts windows. */
BRACT_API int bract_dfc_run(const bract_dfc_plan *plan, const double *x,
                            const char *const *names, bract_dfc_sink sink, void *ctx,
                            const bract_progress *progress);

/* Receives windows k0 .. k0 + n - 1 (n x npairs values, row-major; valid
 * during the call): blocks of consecutive windows as the engine computes
 * them, so that a sink can summarise them on several threads and write
 * them in large pieces.  A nonzero return stops the run, as above. */
typedef int (*bract_dfc_block_sink)(void *ctx, size_t k0, size_t n, const double *fc);

/* bract_dfc_run with a block sink: the same windows, in window order, in
 * blocks (of one window when the engine runs on one thread). */
BRACT_API int bract_dfc_run_blocks(const bract_dfc_plan *plan, const double *x,
                                   const char *const *names, bract_dfc_block_sink sink,
                                   void *ctx, const bract_progress *progress);

/* All windows into out (nwindows x npairs, row-major). */
BRACT_API int bract_dfc_all(const bract_dfc_plan *plan, const double *x,
                            const char *const *names, double *out);

/* ---- streaming summaries of the windows ---- */

/* Accumulates, window by window, each edge's mean and variance over windows
 * (Welford updates, in window order) and each region's strength: its mean
 * value with the other regions in a window. */
typedef struct bract_dfc_stats bract_dfc_stats;

BRACT_API int bract_dfc_stats_new(size_t nreg, bract_dfc_stats **out);
BRACT_API void bract_dfc_stats_free(bract_dfc_stats *s);
BRACT_API void bract_dfc_stats_reset(bract_dfc_stats *s);

/* Add one window (npairs values, condensed).  *wmean and *wsd (may be NULL)
 * receive the mean and the standard deviation (ddof 1) of the window's
 * values over edges (GIFT's DEV is the latter). */
BRACT_API void bract_dfc_stats_add(bract_dfc_stats *s, const double *fc, double *wmean,
                                   double *wsd);

/* Add nk windows (nk x npairs, row-major), as nk calls of
 * bract_dfc_stats_add give the same numbers to the last bit, on
 * bract_get_threads() threads; wmean and wsd (may be NULL) receive nk
 * values.  BRACT_ENOMEM (nothing added) when scratch memory is short. */
BRACT_API int bract_dfc_stats_add_block(bract_dfc_stats *s, const double *fc, size_t nk,
                                        double *wmean, double *wsd);

BRACT_API size_t bract_dfc_stats_count(const bract_dfc_stats *s);

/* Results over the windows added so far (each output may be NULL):
 * edge_mean, edge_sd (npairs; sd with ddof 1), strength_mean, strength_sd
 * (nreg; the mean and sd over windows of each region's strength),
 * edge_sd_mean (nreg; the mean of edge_sd over the region's edges).  Returns
 * the variance of windowed FC: the mean over edges of each edge's variance
 * over windows (ddof 1); NaN with fewer than 2 windows. */
BRACT_API double bract_dfc_stats_result(const bract_dfc_stats *s, double *edge_mean,
                                        double *edge_sd, double *strength_mean,
                                        double *strength_sd, double *edge_sd_mean);

/* Regions that cannot be correlated: 1 in bad[r] for a region with a
 * non-finite value or no variance over the whole series (x as above).
 * Returns how many; queues a warning naming each (names may be NULL). */
BRACT_API size_t bract_dfc_bad_regions(const double *x, size_t nt, size_t nreg,
                                       const char *const *names, unsigned char *bad);

#ifdef __cplusplus
}
#endif
#endif
