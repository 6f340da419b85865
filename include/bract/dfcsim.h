/* bract/dfcsim.h: synthetic region time series with known dynamic
 * connectivity (the truth behind `bract simulate dfc`).
 *
 * K connectivity states shared by all subjects.  In state k the regions
 * fall into `nmodules` modules of (nearly) equal size, a different random
 * assignment per state; the state's correlation matrix is
 *   Sigma_k = (1 - rho) I + rho [regions i and j in the same module],
 * positive definite for 0 <= rho < 1.  Each subject visits the states in
 * segments: the first state uniform, each next one uniform among the other
 * K - 1, segment lengths round(dwell * u), u uniform on [0.5, 1.5] (at least
 * one volume), the last segment cut at nt.  The series is
 *   x_t = chol(Sigma_{s(t)}) e_t,  e_t = phi e_{t-1} + sqrt(1 - phi^2) u_t,
 * u_t independent standard normal per region: unit variance, lag-1
 * autocorrelation phi, and instantaneous covariance Sigma_{s(t)}.  The
 * static null of the same subject uses the average covariance over its own
 * volumes, Sigma_bar = sum_k (fraction of volumes in state k) Sigma_k,
 * with independent innovations.  Everything is a function of (seed,
 * subject): the same files for any number of threads. */
#ifndef BRACT_DFCSIM_H
#define BRACT_DFCSIM_H

#include <stddef.h>
#include <stdint.h>

#include "bract/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    size_t nreg;      /* regions [16] */
    size_t nstates;   /* K [3] */
    size_t nmodules;  /* modules per state [3] */
    size_t nt;        /* volumes [1200] */
    double dwell;     /* mean segment length, volumes [120] */
    double rho;       /* within-module correlation [0.6] */
    double phi;       /* lag-1 autocorrelation of the innovations [0.5] */
    uint64_t seed;    /* [1] */
} bract_dfcsim_opts;

BRACT_API void bract_dfcsim_opts_defaults(bract_dfcsim_opts *p);

typedef struct {
    size_t nreg, nstates, nmodules;
    double *corr;      /* nstates x nreg x nreg */
    size_t *module;    /* nstates x nreg, 0-based */
} bract_dfcsim_states;

/* The K states (no two with the same module partition).  BRACT_EINVAL for
 * parameters out of range (fewer than 2 regions, nmodules above nreg, rho
 * outside [0, 1), phi outside (-1, 1), dwell below 1, nt below 2). */
BRACT_API int bract_dfcsim_states_new(const bract_dfcsim_opts *p, bract_dfcsim_states **out);
BRACT_API void bract_dfcsim_states_free(bract_dfcsim_states *s);

typedef struct {
    size_t nt, nreg;
    double *x;         /* switching series, region-major (x + r * nt) */
    double *null;      /* static null, region-major */
    size_t *state;     /* nt: state of each volume, 0-based */
    size_t nseg;
    size_t *seg_start, *seg_len, *seg_state;
    double *avg_cov;   /* nreg x nreg: Sigma_bar */
} bract_dfcsim_subject;

/* Subject number `subject` (0-based) of the dataset. */
BRACT_API int bract_dfcsim_subject_new(const bract_dfcsim_opts *p,
                                       const bract_dfcsim_states *st, size_t subject,
                                       bract_dfcsim_subject **out);
BRACT_API void bract_dfcsim_subject_free(bract_dfcsim_subject *s);

/* The subject as a 4-D volume with its atlas: region r fills a 2 x 2 x 2
 * block of voxels (label r + 1) in a row along x, in a grid of
 * (2 nreg + 2) x 4 x 4 voxels of 3 mm with a background border (label 0,
 * value 0).  A voxel's series is 100 + the region's switching series + an
 * independent N(0, noise_sd^2) draw per volume (stream (seed, subject)).
 * *bold (float32, TR `tr`) and *atlas (labels as float32) are owned by the
 * caller. */
struct bract_volume;
BRACT_API int bract_dfcsim_volume(const bract_dfcsim_opts *p, const bract_dfcsim_subject *s,
                                  size_t subject, double tr, double noise_sd,
                                  struct bract_volume **bold, struct bract_volume **atlas);

#ifdef __cplusplus
}
#endif
#endif
