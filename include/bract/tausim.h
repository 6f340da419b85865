/* bract/tausim.h: synthetic region and voxel series with known intrinsic
 * timescales (the truth behind `bract simulate timescales`).
 *
 * nreg regions carry timescales on a geometric gradient,
 *   tau_g = tau_min (tau_max / tau_min)^(g / (nreg - 1)),  g = 0 .. nreg-1,
 * at position g / (nreg - 1) on it.  With several subjects, subject s has
 * tau_g exp(subject_sd z_sg), z_sg ~ N(0, 1) drawn in region order from
 * stream (seed, s, 2); a single subject has tau_g itself.  A series is
 *   x_t = AR(1) with phi = exp(-TR / tau) and unit variance + noise N(0, 1),
 * an Ornstein-Uhlenbeck process sampled exactly (bract_timescale_ar1_simulate) plus
 * white noise; region g of subject s draws from stream (seed, s << 32 | g, 0).
 *
 * The volume: each region is a cube of block^3 voxels; the cubes sit on a
 * grid of ncol = ceil(sqrt(nreg)) columns and as many rows as needed, one
 * voxel apart and one from the border (and one layer above and below),
 * numbered along a snake (left to right, then right to left) so that the
 * gradient is continuous in space.  Voxels are 3 mm, the grid centred on
 * 0 mm.  Voxel v of region g has 1000 + its own series (timescale of its
 * region, stream (seed, s << 32 | v, 1)); background voxels are 0.
 *
 * Everything is a pure function of the options and the seed: the same
 * numbers for any number of threads. */
#ifndef BRACT_TAUSIM_H
#define BRACT_TAUSIM_H

#include <stddef.h>
#include <stdint.h>

#include "bract/error.h"
#include "bract/tseries.h"
#include "bract/volume.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    size_t nreg;       /* regions [20] (at least 2) */
    size_t nt;         /* volumes per series [600] (at least 2) */
    size_t nsub;       /* subjects [1] */
    size_t block;      /* voxels along each side of a region's cube [2] */
    double tr;         /* repetition time, seconds [2] */
    double tau_min;    /* timescale of the first region, seconds [2] */
    double tau_max;    /* of the last region [20] (at least tau_min) */
    double noise;      /* SD of the white noise; the signal's SD is 1 [0.5] */
    double subject_sd; /* subject timescales tau exp(subject_sd z) [0.1] */
    uint64_t seed;     /* [1] */
} bract_tausim_opts;

BRACT_API void bract_tausim_opts_defaults(bract_tausim_opts *o);

typedef struct {
    bract_tausim_opts o;
    size_t nreg, nsub;
    char **names;        /* nreg: "R01", ... ("R001" from 100 regions) */
    double *value;       /* nreg: position on the gradient, 0 to 1 */
    double *tau;         /* nreg: the planted timescales, seconds */
    double *tau_subject; /* nsub x nreg: each subject's timescales */
    double *xyz;         /* nreg x 3: region centres, mm */
    int64_t dims[3];     /* the grid of the volume, voxels */
    double affine[4][4]; /* its voxel-to-mm affine */
} bract_tausim;

/* The design: names, gradient, subject timescales, layout.  BRACT_EINVAL
 * for options out of range (fewer than 2 regions or volumes, no subject, a
 * block of 0, a TR or timescale not positive, tau_max below tau_min, a
 * negative noise or subject SD).  *out is owned by the caller. */
BRACT_API int bract_tausim_new(const bract_tausim_opts *o, bract_tausim **out);
BRACT_API void bract_tausim_free(bract_tausim *d);

/* Subject s's region series (0-based s < nsub): named as d->names, TR set.
 * *out is owned by the caller (bract_tseries_free). */
BRACT_API int bract_tausim_series(const bract_tausim *d, size_t s, bract_tseries **out);

/* The atlas (label g + 1 on region g's cube, 0 elsewhere) and the mask of
 * the region voxels (1), both 3-D float32 on the grid.  Owned by the
 * caller. */
BRACT_API int bract_tausim_atlas(const bract_tausim *d, bract_volume **atlas,
                                 bract_volume **mask);

/* Subject s's 4-D float32 series on the grid (nt volumes, TR set).  Owned
 * by the caller. */
BRACT_API int bract_tausim_bold(const bract_tausim *d, size_t s, bract_volume **out);

#ifdef __cplusplus
}
#endif
#endif
