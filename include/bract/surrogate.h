/* bract/surrogate.h: is the windowed connectivity more variable than chance?
 *
 * Windowed correlations fluctuate even when the connectivity is static
 * (Hindriks et al. 2016; Leonardi & Van De Ville 2015).  The null here is a
 * stationary linear Gaussian process with the data's spectra and static
 * covariance: multivariate phase-randomised surrogates (Prichard & Theiler
 * 1994).  Each region's series is Fourier-transformed once (FFTW r2c, plans
 * built once with FFTW_ESTIMATE); a surrogate adds the same uniform random
 * phase to every region at each frequency, keeping the mean (frequency 0)
 * and, for an even length, the Nyquist term, and transforms back.  Every
 * auto- and cross-periodogram is unchanged, so the surrogate has exactly
 * the data's mean, variances and lag-0 cross-covariances.  Surrogate s
 * draws from its own stream (seed, s), so results do not depend on the
 * number of threads.
 *
 * The test (bract_surrogate_test) runs a dFC plan over the data and
 * over each surrogate and compares, with Monte-Carlo p-values
 * p = (1 + #{surrogates >= observed}) / (1 + surrogates):
 *   - per edge: the standard deviation (ddof 1) of its windowed values
 *     (Zalesky et al. 2014; Pedersen et al. 2018), one-sided (greater),
 *     Benjamini-Hochberg FDR across edges;
 *   - the variance of windowed FC: the mean over edges of the variance
 *     (ddof 1) of each edge's windowed values, one-sided (greater);
 *   - with k-means settings: the number of state switches, each series
 *     (the data and every surrogate) clustered alone with those settings,
 *     so that the null includes the clustering's own fit; two-sided
 *     (2 min of the two one-sided p-values, at most 1).  This keeps all
 *     windows of one series in memory per thread. */
#ifndef BRACT_SURROGATE_H
#define BRACT_SURROGATE_H

#include <stddef.h>
#include <stdint.h>

#include "bract/dfc.h"
#include "bract/error.h"
#include "bract/kmeans.h"
#include "bract/progress.h"
#include "bract/states.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bract_surrogate_plan bract_surrogate_plan;
typedef struct bract_surrogate_ws bract_surrogate_ws;

/* Transform nreg series of nt volumes (region r at x + r * nt) and build the
 * inverse FFT plan.  Call from one thread at a time (FFTW's planner is not
 * thread-safe); drawing is.  nt >= 4. */
BRACT_API int bract_surrogate_plan_new(const double *x, size_t nt, size_t nreg,
                                       bract_surrogate_plan **out);
BRACT_API void bract_surrogate_plan_free(bract_surrogate_plan *p);

/* A workspace for drawing (one per thread). */
BRACT_API int bract_surrogate_ws_new(const bract_surrogate_plan *p, bract_surrogate_ws **out);
BRACT_API void bract_surrogate_ws_free(bract_surrogate_ws *w);

/* Surrogate number `index` (stream (seed, index)) into out (nt * nreg,
 * region-major). */
BRACT_API void bract_surrogate_draw(const bract_surrogate_plan *p, uint64_t seed, uint64_t index,
                                    double *out, bract_surrogate_ws *w);

typedef struct {
    size_t surrogates;                  /* >= 1 */
    uint64_t seed;
    uint64_t first_stream;              /* surrogate s draws stream first_stream + s */
    const bract_kmeans_opts *states;  /* NULL: no switch test */
} bract_surrogate_opts;

typedef struct {
    size_t npairs, surrogates;
    double *edge_std;        /* observed, npairs */
    double *edge_null_mean;  /* mean over surrogates */
    double *edge_p, *edge_p_fdr;
    double fcvar, fcvar_null_mean, fcvar_null_sd, fcvar_p;
    double switches, switches_null_mean, switches_null_sd, switches_p; /* NaN without states */
} bract_surrogate_result;

/* Observed statistics and their surrogate null for series x under `plan`.
 * *out is owned by the caller (bract_surrogate_result_free).  progress (may
 * be NULL) counts surrogates. */
BRACT_API int bract_surrogate_test(const bract_dfc_plan *plan, const double *x,
                                       const char *const *names,
                                       const bract_surrogate_opts *p,
                                       bract_surrogate_result **out,
                                       const bract_progress *progress);
BRACT_API void bract_surrogate_result_free(bract_surrogate_result *r);

#ifdef __cplusplus
}
#endif
#endif
