/* bract/hrf.h: hemodynamic response kernels and event regressors sampled at the volumes.
 *
 * Definitions are nilearn 0.10.3's (nilearn/glm/first_level/hemodynamic_models.py),
 * reproduced number for number:
 *
 * Kernels live on an oversampled grid of step dt = TR / oversampling over
 * 32 s: N = rint(32 / dt) points spaced 32 / (N - 1) apart (numpy linspace;
 * the spacing is not exactly dt).  A gamma difference kernel is
 *     h(t) = g(t - onset; delay/disp, disp) - ratio g(t - onset; under/udisp, udisp),
 *     g(x; a, s) = gamma pdf of shape a, scale s, shifted by dt (loc = dt),
 * normalised to sum 1:
 *     glover: delay 6, under 12, disp 0.9, udisp 0.9, ratio 0.35
 *     spm:    delay 6, under 16, disp 1,   udisp 1,   ratio 0.167
 * The time derivative is (h_onset=0 - h_onset=0.1) / 0.1; the dispersion
 * derivative (h_disp - h_disp+0.01) / 0.01 with under and ratio of the model
 * and udisp = 1 for both models.  NOTE (nilearn surprise): the glover
 * dispersion derivative therefore differentiates a kernel whose undershoot
 * dispersion is 1, not glover's 0.9.  FIR delay d (in volumes) is a box of
 * `oversampling` samples of height 1/oversampling starting d volumes late,
 * and its convolution is read oversampling - 1 grid samples late (nilearn
 * interpolates conv[os-1:] on grid[:1-os]), so delay 0 covers the volume's
 * own acquisition.
 *
 * A condition's events (onset, duration, amplitude) become a boxcar on the
 * grid t_i = linspace(f_0 + min_onset, f_max (1 + 1/(n-1)), M) with
 * M = rint((n-1)/(f_max - f_0) (f_max (1 + 1/(n-1)) - f_0 - min_onset) os + 1):
 * +a at the first grid point >= onset, -a at the first >= onset + duration
 * (one point later when both coincide: a zero duration is one sample wide).
 * The boxcar is convolved with each kernel (truncated to the grid), linearly
 * interpolated at the frame times f (scipy interp1d), and, for the
 * derivative models, each basis column is orthogonalised against the
 * previous ones of the same condition.  NOTE: for frame times that do not
 * start at 0 (slice_time_ref > 0) the grid ends at f_max (1 + 1/(n-1)),
 * not at f_max + TR, exactly as nilearn.  The effective TR is the smallest
 * difference of consecutive frame times.
 *
 * bract computes the convolution from the cumulative kernel, O(events) per
 * frame instead of O(grid x kernel): the values equal numpy's direct
 * convolution up to rounding (1e-15 relative).
 *
 * Thread safety: no static state; a plan is immutable once made and may be
 * used from any number of threads at once. */
#ifndef BRACT_HRF_H
#define BRACT_HRF_H

#include <stddef.h>

#include "bract/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    BRACT_HRF_GLOVER = 0,
    BRACT_HRF_SPM = 1,
    BRACT_HRF_GLOVER_DERIVATIVE = 2,            /* "glover + derivative" */
    BRACT_HRF_SPM_DERIVATIVE = 3,               /* "spm + derivative" */
    BRACT_HRF_GLOVER_DERIVATIVE_DISPERSION = 4, /* "glover + derivative + dispersion" */
    BRACT_HRF_SPM_DERIVATIVE_DISPERSION = 5,    /* "spm + derivative + dispersion" */
    BRACT_HRF_FIR = 6                           /* finite impulse response, one box per delay */
} bract_hrf_model;

/* Parse a model name: bract's spellings (glover, spm, glover+derivative,
 * spm+derivative, glover+derivative+dispersion, spm+derivative+dispersion,
 * fir) and nilearn's ("spm + derivative"; spaces and case are ignored).
 * Returns 0, or BRACT_EINVAL with a message listing the valid names. */
BRACT_API int bract_hrf_model_parse(const char *s, bract_hrf_model *out);

/* bract's name of a model ("glover+derivative", ...). */
BRACT_API const char *bract_hrf_model_name(bract_hrf_model m);

/* nilearn's spelling ("glover + derivative"). */
BRACT_API const char *bract_hrf_model_nilearn_name(bract_hrf_model m);

/* Number of regressors per condition: 1, 2 or 3, or nfir for FIR. */
BRACT_API size_t bract_hrf_nbasis(bract_hrf_model m, size_t nfir);

/* Name of basis column `b` of condition `cond`, as nilearn names it: cond,
 * cond_derivative, cond_dispersion, or cond_delay_<d> for FIR delay
 * fir_delays[b].  Returns a string owned by the caller (NULL when out of
 * memory). */
BRACT_API char *bract_hrf_column_name(bract_hrf_model m, const char *cond, size_t b,
                                      const int *fir_delays);

/* Kernel `b` (0: the response, 1: time derivative, 2: dispersion
 * derivative, or FIR delay fir_delay) sampled every tr/oversampling
 * seconds.  *kernel (length *len) is owned by the caller (free()).  Errors:
 * tr <= 0, oversampling < 1, b out of range, a negative FIR delay. */
BRACT_API int bract_hrf_kernel(bract_hrf_model m, size_t b, int fir_delay, double tr,
                               int oversampling, double **kernel, size_t *len);

typedef struct {
    bract_hrf_model model;      /* default BRACT_HRF_GLOVER */
    const int *fir_delays;      /* FIR delays in volumes (default {0}); not copied by
                                   the opts, copied by the plan */
    size_t nfir;
    int oversampling;           /* default 50 */
    double min_onset;           /* seconds relative to the first frame; default -24 */
} bract_hrf_opts;

/* nilearn's defaults: glover, FIR delay 0, oversampling 50, min_onset -24. */
BRACT_API void bract_hrf_opts_defaults(bract_hrf_opts *o);

/* Everything that depends only on the frame times and the model: the
 * oversampled grid, the kernels and their running sums.  Immutable once
 * made, so one plan serves any number of threads. */
typedef struct bract_hrf_plan bract_hrf_plan;

/* A plan for n frame times (seconds, increasing; n >= 2).  Errors
 * (BRACT_EINVAL): fewer than 2 frames, frame times not increasing, FIR
 * delays negative or repeated, oversampling < 1.  *out is owned by the
 * caller (bract_hrf_plan_free). */
BRACT_API int bract_hrf_plan_new(const bract_hrf_opts *o, const double *frame_times, size_t n,
                                 bract_hrf_plan **out);

/* A plan whose one response kernel is `kernel` (len >= 2 samples, the
 * first at 0 s, spaced (smallest frame step) / o->oversampling apart, as
 * bract_hrf_kernel samples them; for example an HRF of bract/hrflib.h)
 * instead of o->model's; o's oversampling and min_onset are used.  The
 * kernel is copied.  Errors as bract_hrf_plan_new, and a kernel of fewer
 * than 2 samples or with a non-finite one.  *out is owned by the caller. */
BRACT_API int bract_hrf_plan_new_kernel(const bract_hrf_opts *o, const double *kernel, size_t len,
                                        const double *frame_times, size_t n,
                                        bract_hrf_plan **out);

BRACT_API void bract_hrf_plan_free(bract_hrf_plan *p);

/* Columns per condition of the plan's model. */
BRACT_API size_t bract_hrf_plan_nbasis(const bract_hrf_plan *p);

/* Length of the response kernel in seconds (32 for the gamma models; for FIR
 * (max delay + 1) x TR): a run must be longer than this. */
BRACT_API double bract_hrf_plan_kernel_seconds(const bract_hrf_plan *p);

/* The earliest onset the grid holds (first frame + min_onset) and the time
 * just after the last frame (f_max (1 + 1/(n-1))). */
BRACT_API void bract_hrf_plan_span(const bract_hrf_plan *p, double *first, double *last);

/* The regressors of one condition: events (onset[e], duration[e],
 * amplitude[e]), e < nev, as n x nbasis values written at out[i * ld + b].
 * Thread-safe (the plan is read only); allocates nothing but a small
 * index array.  nev may be 0 (all zeros). */
BRACT_API int bract_hrf_plan_regressors(const bract_hrf_plan *p, const double *onset,
                                        const double *duration, const double *amplitude,
                                        size_t nev, double *out, size_t ld);

#ifdef __cplusplus
}
#endif
#endif
