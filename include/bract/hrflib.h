/* bract/hrflib.h: a library of hemodynamic response functions, to choose one per voxel.
 *
 * THE FAMILY.  21 double-gamma kernels, generated here (not copied from
 * another toolkit's table):
 *     h(t) = g(t; p/d + 1, d) - r g(t; (p + 6)/d + 1, d),   d = 0.9 s,
 * g(x; a, s) the gamma density of shape a and scale s shifted by one grid
 * step as nilearn's kernels (bract/hrf.h), so that its positive lobe has
 * its mode at p seconds and its undershoot at p + 6 s (the distance of
 * Glover's canonical HRF: modes 5.1 and 11.1 s, dispersion 0.9 s), for
 *     p in {3.5, 4.25, 5, 5.75, 6.5, 7.25, 8} s   (7 peak times)
 *     r in {0, 0.175, 0.35}                         (no, moderate, Glover's undershoot)
 * indexed h = 3 i_p + i_r (0-based; maps and tables say h + 1).  The
 * peak times span the range reported across subjects and cortical regions
 * for brief events (Aguirre, Zarahn & D'Esposito 1998, NeuroImage 8:360;
 * Handwerker, Ollinger & D'Esposito 2004, NeuroImage 21:1639: most between
 * about 4 and 6 s, later in some regions and subjects), with a margin on
 * both sides; the undershoot ratios run from none to Glover's (1999,
 * NeuroImage 9:416) 0.35; the width grows with the peak time (the gamma's
 * shape p/d + 1 at a fixed scale), as the later responses of Kay et al.
 * (2020, NeuroImage 219:117030) are broader.  Every kernel is scaled so
 * that its maximum equals the maximum of nilearn's glover kernel on the
 * same grid: a beta of any library HRF is on the scale of a glover beta.
 *
 * Kernels are sampled as bract_hrf_kernel samples the gamma models: N =
 * rint(32 / dt) points over 32 s, dt = tr / oversampling; give them to
 * bract_hrf_plan_new_kernel for regressors.
 *
 * Thread safety: no state; every function may be called from any thread. */
#ifndef BRACT_HRFLIB_H
#define BRACT_HRFLIB_H

#include <stddef.h>

#include "bract/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The number of HRFs in the library (21). */
#define BRACT_HRFLIB_SIZE 21

typedef struct {
    double peak;       /* p: mode of the positive lobe (s) */
    double undershoot; /* p + 6: mode of the undershoot (s) */
    double ratio;      /* r */
    double dispersion; /* d (s) */
} bract_hrflib_params;

/* The parameters of HRF h (0-based, < BRACT_HRFLIB_SIZE); BRACT_EINVAL
 * for another h. */
BRACT_API int bract_hrflib_describe(size_t h, bract_hrflib_params *out);

/* HRF h sampled every tr / oversampling seconds over 32 s (see above).
 * *kernel (length *len) is owned by the caller (free()).  Errors: h out of
 * range, tr <= 0, oversampling < 1. */
BRACT_API int bract_hrflib_kernel(size_t h, double tr, int oversampling, double **kernel,
                                  size_t *len);

/* The time (s) of the maximum of HRF h, at 1 ms resolution. */
BRACT_API double bract_hrflib_peak_time(size_t h);

#ifdef __cplusplus
}
#endif
#endif
