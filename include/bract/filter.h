/* bract/filter.h: zero-phase Butterworth filtering and not-a-knot spline
 * interpolation, as scipy.signal (butter with output='sos', sosfiltfilt
 * with odd padding) and scipy.interpolate.CubicSpline compute them; the
 * building blocks of bract/clean.h. */
#ifndef BRACT_FILTER_H
#define BRACT_FILTER_H

#include <stddef.h>

#include "bract/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Butterworth filters ---- */

/* A digital Butterworth filter as second-order sections (scipy's layout:
 * row i is b0 b1 b2 a0 a1 a2 with a0 = 1). */
typedef struct {
    size_t nsec;
    double (*sos)[6];
    size_t padlen; /* scipy's default for sosfiltfilt: 3 * (2 nsec + 1 - k), k the number
                      of first-order sections */
    int order;
    double low_hz, high_hz, fs; /* cut-offs as used (0 = none), sampling rate */
} bract_filter_butter;

/* Design the filter scipy.signal.butter(order, Wn, btype, output="sos",
 * fs=fs) designs: analog Butterworth prototype, frequency transformation
 * (low-pass, high-pass, or band-pass when both cut-offs are given),
 * pre-warped bilinear transform.  high_hz = 0: low-pass at low_hz; low_hz = 0:
 * high-pass at high_hz.  Cut-offs must be positive and at most the Nyquist
 * frequency fs/2; one equal to Nyquist is lowered to nyq - 10 eps nyq with a
 * warning, as nilearn does.  Errors: a cut-off above Nyquist, high_hz >=
 * low_hz, order outside 1..20.  *out is freed with bract_filter_butter_free. */
BRACT_API int bract_filter_butter_new(int order, double low_hz, double high_hz, double fs,
                                  bract_filter_butter **out);
BRACT_API void bract_filter_butter_free(bract_filter_butter *f);

/* |H(f)|^2 of the filter at frequency f (Hz), from its sections. */
BRACT_API double bract_filter_butter_gain2(const bract_filter_butter *f, double hz);

/* Zero-phase filtering as scipy.signal.sosfiltfilt(sos, x, padtype="odd",
 * padlen=f->padlen): odd extension by padlen samples at both ends, forward
 * pass with the steady-state initial conditions of sosfilt_zi scaled by the
 * first sample, backward pass likewise, extension removed.  n must exceed
 * padlen.  y may equal x.  work holds n + 2 padlen doubles. */
BRACT_API int bract_filter_sosfiltfilt(const bract_filter_butter *f, const double *x, size_t n, double *y,
                                double *work);

/* ---- not-a-knot cubic spline (scipy.interpolate.CubicSpline) ---- */

/* Fill the censored samples of y (keep[i] == 0) by the not-a-knot cubic
 * spline through the kept samples at abscissae t[i] (ascending).  Samples
 * before the first or after the last kept one are extrapolated with the end
 * pieces when `extrapolate`, else set to NaN.  At least 2 kept samples.
 * work holds 9 n doubles and iwork n ints. */
BRACT_API int bract_filter_spline_fill(const double *t, double *y, const unsigned char *keep, size_t n,
                                int extrapolate, double *work, int *iwork);

#ifdef __cplusplus
}
#endif
#endif
