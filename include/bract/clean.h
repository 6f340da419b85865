/* bract/clean.h: cleaning of time series the way nilearn.signal.clean does.
 *
 * Polynomial detrending, confound regression, zero-phase Butterworth
 * filtering, censoring of volumes and standardisation, applied to each run
 * separately in nilearn's order of operations (nilearn 0.10.3, the version
 * of bract's reference values; later versions differ only where noted):
 *
 *   1. censoring: with a Butterworth filter, censored volumes are first
 *      replaced by a not-a-knot cubic spline through the kept volumes
 *      (scipy's CubicSpline); censored volumes before the first or after the
 *      last kept one are dropped unless `extrapolate`.  Without a filter
 *      they are simply removed here.
 *   2. the mean of each series is kept aside (for psc and keep_mean);
 *   3. detrending of the signals and the confounds (polynomial of the given
 *      order fitted by least squares; nilearn's detrend is order 1);
 *   4. Butterworth filtering of signals and confounds (scipy's butter as
 *      second-order sections, applied forward and backward with odd
 *      padding as scipy's sosfiltfilt), then removal of censored volumes;
 *   5. confounds standardised (z-score, ddof 1) or scaled by their maximum
 *      absolute value, then projected out through a pivoted QR
 *      decomposition (columns with |R_ii| <= 100 eps dropped);
 *   6. standardisation of the signals.
 *
 * A plan holds everything that does not depend on the signal (filter,
 * spline factorisation, detrending basis, confound basis): build it once,
 * then clean any number of series with it from any number of threads, each
 * with its own workspace. */
#ifndef BRACT_CLEAN_H
#define BRACT_CLEAN_H

#include <stddef.h>

#include "bract/error.h"
#include "bract/progress.h"
#include "bract/tseries.h"
#include "bract/volume.h"
#include "bract/filter.h"
#include "bract/mask.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- cleaning ---- */

typedef enum {
    BRACT_STANDARDIZE_NONE = 0,
    BRACT_STANDARDIZE_ZSCORE = 1,     /* sample std (ddof 1): nilearn's zscore_sample */
    BRACT_STANDARDIZE_ZSCORE_POP = 2, /* population std (ddof 0): nilearn's old "zscore" */
    BRACT_STANDARDIZE_PSC = 3         /* percent signal change */
} bract_clean_standardize;

/* "none", "zscore", "zscore-population", "psc" ("unknown" outside the enum). */
BRACT_API const char *bract_clean_standardize_name(bract_clean_standardize s);
/* The standardisation named s into *out; BRACT_EINVAL ("unknown
 * standardisation 's' (expected one of none, zscore, zscore-population,
 * psc)") otherwise. */
BRACT_API int bract_clean_standardize_parse(const char *s, bract_clean_standardize *out);

/* A detrending order as bract_clean_opts.detrend holds it: "none" is -1,
 * otherwise a polynomial order from 0 (the mean) to 10.  BRACT_EINVAL
 * naming s and the accepted values otherwise. */
BRACT_API int bract_clean_detrend_parse(const char *s, int *order);

typedef struct {
    int detrend;          /* polynomial order removed: -1 none, 0 the mean, 1 linear (nilearn) */
    double low_pass;      /* Hz; 0: none */
    double high_pass;     /* Hz; 0: none */
    int filter_order;     /* Butterworth order (nilearn: 5) */
    double tr;            /* seconds; needed to filter */
    bract_clean_standardize standardize;
    int standardize_confounds; /* 1: z-score the confounds (nilearn's default); 0: divide each
                                  by its largest absolute value */
    int keep_mean;        /* with BRACT_STANDARDIZE_NONE: add each series' mean (taken after
                             step 1) back at the end.  nilearn 0.10 does this whenever it
                             filters (its issue #4466, fixed in 0.11) */
    int extrapolate;      /* extrapolate censored volumes at run ends before filtering
                             (nilearn's default up to 0.12) instead of dropping them */
} bract_clean_opts;

/* nilearn.signal.clean's defaults: linear detrend, z-score with the sample
 * std, order-5 Butterworth (off until a cut-off is set), confounds z-scored,
 * no extrapolation. */
BRACT_API void bract_clean_opts_defaults(bract_clean_opts *o);

typedef struct bract_clean_plan bract_clean_plan;

/* Build a plan for series of nt volumes.
 *   run_len, nruns: lengths of consecutive runs summing to nt (NULL, 0: one run);
 *   confounds: nconf columns of nt values (column c at confounds + c * nt),
 *              all finite; NULL when nconf is 0;
 *   keep:      nt flags, 0 for a censored volume (NULL: keep all).
 * Errors name the run: too few volumes for the filter's padding, fewer than 2
 * kept volumes, as many confounds as kept volumes, missing TR when
 * filtering.  Warnings: confound columns dropped as linearly dependent.
 * *out is freed with bract_clean_plan_free. */
BRACT_API int bract_clean_plan_new(const bract_clean_opts *o, size_t nt, const size_t *run_len,
                                   size_t nruns, const double *confounds, size_t nconf,
                                   const unsigned char *keep, bract_clean_plan **out);
BRACT_API void bract_clean_plan_free(bract_clean_plan *p);

/* Volumes in a cleaned series (nt less the censored volumes). */
BRACT_API size_t bract_clean_plan_nt_out(const bract_clean_plan *p);
/* Input index of output volume i (for the sidecar). */
BRACT_API size_t bract_clean_plan_out_index(const bract_clean_plan *p, size_t i);
/* Doubles of workspace bract_clean_series needs. */
BRACT_API size_t bract_clean_plan_ws_size(const bract_clean_plan *p);
/* Confound columns used in each run's regression after dropping dependent
 * ones (the smallest over runs). */
BRACT_API size_t bract_clean_plan_confound_rank(const bract_clean_plan *p);

/* What bract_clean_series found. */
enum {
    BRACT_SERIES_OK = 0,
    BRACT_SERIES_NONFINITE = 1, /* x holds NaN or an infinite value: y is all NaN */
    BRACT_SERIES_CONSTANT = 2,  /* x is constant: y is all NaN */
    BRACT_SERIES_ZERO_MEAN = 3  /* psc of a series whose mean is 0: y is all 0 (as nilearn) */
};

/* Clean one series x (nt values) into y (nt_out values; y may not alias x).
 * work has bract_clean_plan_ws_size(p) doubles.  Returns a BRACT_SERIES_*
 * code; never fails. */
BRACT_API int bract_clean_series(const bract_clean_plan *p, const double *x, double *y,
                                 double *work);

typedef struct {
    size_t nonfinite; /* series left out because they hold non-finite values */
    size_t constant;  /* series left out because they are constant */
    size_t zero_mean; /* psc: series with mean 0, set to 0 */
} bract_clean_counts;

/* Clean every region of ts in place (ts->nt becomes the output length).
 * Regions left out (non-finite or constant input) become all NaN, each with
 * a warning naming it. */
BRACT_API int bract_clean_tseries(const bract_clean_plan *p, bract_tseries *ts,
                                  bract_clean_counts *counts);

/* Clean the series of the mask's voxels of a 4-D volume (in parallel, with
 * bract's thread count) into *out: a new float32 volume on the same grid
 * with nt_out volumes, 0 outside the mask and at voxels left out (counted,
 * one summary warning).  mask NULL: the voxels whose series is not all 0. */
BRACT_API int bract_clean_volume(const bract_clean_plan *p, const bract_volume *in,
                                 const bract_mask *mask, bract_volume **out,
                                 bract_clean_counts *counts, size_t *nvox_cleaned,
                                 const bract_progress *progress);

/* ---- confounds tables ---- */

/* Read confound regressors from a TSV or CSV (BIDS / fMRIPrep
 * desc-confounds_timeseries.tsv): the columns whose names match one of the
 * shell patterns (fnmatch, e.g. "trans_*"; npat 0: every column), in file
 * order.  Missing values (n/a) at the start of a column are filled with the
 * column's first value: fMRIPrep leaves the first row of derivative and
 * dvars columns empty, and nilearn's load_confounds fills it from the second
 * row (the same for one missing row).  A missing value after the first
 * value, a column with no value, a non-numeric cell or a pattern that
 * matches nothing is an error naming the file (and line and column).
 * *x: nrows * ncols values, column c at x + c * nrows; *names: ncols
 * strings; both owned by the caller (bract_clean_confounds_free).  *nfilled
 * counts the filled cells. */
BRACT_API int bract_clean_confounds_read(const char *path, const char *const *patterns, size_t npat,
                                   double **x, size_t *nrows, size_t *ncols, char ***names,
                                   size_t *nfilled);
BRACT_API void bract_clean_confounds_free(double *x, char **names, size_t ncols);

#ifdef __cplusplus
}
#endif
#endif
