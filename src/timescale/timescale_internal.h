/* Private parts shared by acf.c and timescale.c: the Welch spectrum plan. */
#ifndef BRACT_TIMESCALE_INTERNAL_H
#define BRACT_TIMESCALE_INTERNAL_H

#include "base/internal.h"

#include <fftw3.h>

/* Welch spectrum of series of n samples with segments of nseg (see
 * bract_timescale_welch).  Read-only once built; executed from many threads with a
 * bract_welch_work each. */
typedef struct {
    size_t n, nseg, step, nsegments, nfreq;
    double fs, scale;  /* scale = 1 / (fs * sum w^2) */
    double *win;       /* nseg periodic Hann weights */
    fftw_plan fwd;     /* r2c of nseg */
} bract_welch_plan;

typedef struct {
    double *seg;         /* nseg (fftw_malloc) */
    fftw_complex *spec;  /* nseg/2 + 1 (fftw_malloc) */
} bract_welch_work;

int bract_welch_plan_init(bract_welch_plan *p, size_t n, double fs, size_t nseg);
void bract_welch_plan_clear(bract_welch_plan *p);
int bract_welch_work_init(bract_welch_work *w, const bract_welch_plan *p);
void bract_welch_work_clear(bract_welch_work *w);
/* psd: nfreq values (frequency k * fs / nseg). */
void bract_welch_exec(const bract_welch_plan *p, bract_welch_work *w, const double *x,
                      double *psd);

#endif
