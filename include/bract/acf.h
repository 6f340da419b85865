/* bract/acf.h: the autocorrelation function of a series, by FFT, with the
 * normalisation of statsmodels' acf (the "biased" estimator, default, or
 * "adjusted").
 *
 * Threads: a plan is built once, by one thread, and is then read-only: many
 * threads may execute it at the same time, each with its own workspace
 * (bract_acf_ws), as FFTW's new-array execute functions allow.  FFTW's
 * planner is not thread-safe: plans are created and destroyed inside the
 * OpenMP critical section named `bract_fftw`, which any other bract module
 * that plans FFTs must use as well. */
#ifndef BRACT_ACF_H
#define BRACT_ACF_H

#include <stddef.h>

#include "bract/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- autocorrelation ---- */

/* Normalisations of the autocovariance (statsmodels acovf): lag k is
 * sum_{t>=k} x~_t x~_{t-k} divided by n (BIASED, statsmodels' default) or by
 * n - k (ADJUSTED), x~ = x - mean(x); the ACF divides by lag 0.  The
 * adjusted ACF is not unbiased (statsmodels #6833) and can exceed 1. */
typedef enum { BRACT_ACF_BIASED = 0, BRACT_ACF_ADJUSTED = 1 } bract_acf_norm;

typedef struct bract_acf_plan bract_acf_plan;
typedef struct bract_acf_ws bract_acf_ws;

/* A plan for the ACF of series of `nt` samples at lags 0..max_lag
 * (max_lag < nt).  The FFT length is the smallest 5-smooth number >= nt +
 * max_lag, enough zero padding that no lag <= max_lag wraps around.  Owned
 * by the caller (bract_acf_plan_free).  Errors: max_lag >= nt, nt < 2. */
BRACT_API int bract_acf_plan_new(size_t nt, size_t max_lag, bract_acf_norm norm,
                                 bract_acf_plan **out);
BRACT_API void bract_acf_plan_free(bract_acf_plan *p);
BRACT_API size_t bract_acf_plan_fft_length(const bract_acf_plan *p);

/* A workspace for one thread. */
BRACT_API int bract_acf_ws_new(const bract_acf_plan *p, bract_acf_ws **out);
BRACT_API void bract_acf_ws_free(bract_acf_ws *w);

/* ACF of x (nt values) at lags 0..max_lag into acf.  BRACT_EDATA (acf all
 * NaN) when x is constant or holds a non-finite value. */
BRACT_API int bract_acf_compute(const bract_acf_plan *p, bract_acf_ws *w, const double *x,
                                double *acf);

/* One series, plan and workspace made and freed inside (convenience). */
BRACT_API int bract_acf(const double *x, size_t nt, size_t max_lag, bract_acf_norm norm,
                        double *acf);

/* statsmodels' default number of lags: min(floor(10 log10 nt), nt - 1). */
BRACT_API size_t bract_acf_default_lags(size_t nt);

/* Smallest 2^a 3^b 5^c >= n (n >= 1). */
BRACT_API size_t bract_acf_fft_size(size_t n);


/* Write ACFs as TSV: one column per series (names), one row per lag
 * 0..max_lag; acf holds n blocks of max_lag + 1 values. */
BRACT_API int bract_acf_write_tsv(const char *path, int force, const char *const *names,
                                  const double *acf, size_t n, size_t max_lag);

#ifdef __cplusplus
}
#endif
#endif
