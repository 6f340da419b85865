/* bract/searchlight.h: searchlight RSA, the library behind bract searchlight.
 *
 * For every voxel of a mask (a centre) the patterns of the voxels in a
 * sphere around it give an RDM (bract/rdm.h), which is compared with model
 * RDMs (bract/compare.h): one value per centre and model, a map per model.
 *
 * Spheres.  Distances are millimetres through the voxel-to-mm affine, so
 * anisotropic and oblique voxels are measured as they lie.
 *   radius spheres  the usable voxels at distance <= radius from the centre
 *                   (CoSMoMVPA, PyMVPA, BrainIAK's Ball, the RSA toolbox in
 *                   mm), or < radius with `strict` (rsatoolbox).  A distance
 *                   within 1e-6 (relative) of the radius counts as equal to
 *                   it: NIfTI stores voxel sizes in single precision.
 *   count spheres   about `nvoxels` nearest usable voxels by CoSMoMVPA's
 *                   rule (cosmo_spherical_neighborhood with 'count'): the
 *                   candidates are the usable voxels within a radius that
 *                   starts at one voxel and grows by half a voxel until it
 *                   holds nvoxels of them (the voxel being the shortest
 *                   voxel edge); they are ordered by distance, then by
 *                   city-block distance in voxels, then by offset (x, then
 *                   y, then z, as CoSMoMVPA enumerates them).  If the
 *                   nvoxels-th candidate ties (same distance and city-block
 *                   distance) with others, the sphere ends at the first
 *                   voxel of that tie group or at its last, whichever is
 *                   nearer to nvoxels; when both are as near, at the first
 *                   if the tie group starts at nvoxels or if the sum of the
 *                   candidates' 1-based voxel numbers plus their count is
 *                   even, else at the last (CoSMoMVPA's boundary_at_approx).
 *                   CoSMoMVPA keeps the grown radius for later centres,
 *                   so its parity tie-break depends on the order of the
 *                   centres; here each centre grows its own radius, so the
 *                   sphere of a centre does not depend on the others.
 * Usable voxels are those whose patterns were read and kept (finite, not
 * constant: bract/patterns.h): the mask's voxels, or with `keep_outside`
 * (radius spheres only) also voxels outside the mask.  A centre is left out
 * (NaN) when its sphere has fewer than `min_voxels` usable voxels or fewer
 * than `min_proportion` times the full sphere (radius spheres: the voxels
 * of a sphere away from every edge; count spheres: nvoxels).
 *
 * Values.  A centre's value is, bit for bit, what bract rdm neural and
 * bract rsa give for the voxels of its sphere as a mask: the same pattern
 * rows (each voxel's rows do not depend on the other voxels), the same RDM
 * engine call on the sphere's voxels in ascending order, and the same
 * comparison: the neural RDM put into the first model's condition order,
 * models grouped into comparison plans by the pairs they miss.
 *
 * Work.  A searchlight (geometry) and a model set are built once; then
 * bract_searchlight_run computes any range of centres, in parallel (OpenMP, dynamic
 * chunks of consecutive centres, one RDM and comparison workspace per
 * thread, BLAS single-threaded), writing per-centre outputs only: any
 * split of the centres over threads or processes gives the same bits.
 * Memory: the pattern matrix plus, per thread, a sphere's patterns and
 * RDM workspace (O(sphere voxels x rows + conditions^2)). */
#ifndef BRACT_SEARCHLIGHT_H
#define BRACT_SEARCHLIGHT_H

#include <stddef.h>
#include <stdint.h>

#include "bract/compare.h"
#include "bract/error.h"
#include "bract/progress.h"
#include "bract/rdm.h"
#include "bract/rdmset.h"
#include "bract/volume.h"
#include "bract/mask.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    double radius_mm;      /* radius spheres (when nvoxels is 0) */
    int strict;            /* distance < radius instead of <= */
    size_t nvoxels;        /* > 0: count spheres of about this many voxels */
    int keep_outside;      /* radius spheres: usable voxels outside the mask count too */
    size_t min_voxels;     /* centres with fewer usable voxels are left out (0 means 2) */
    double min_proportion; /* ... or with fewer than this share of the full sphere */
} bract_searchlight_opts;

typedef struct bract_searchlight bract_searchlight;

/* Spheres around the voxels of `mask`, distances through the voxel-to-mm
 * affine of `geom` (a volume on the mask's grid, e.g. the mask's header).
 * Errors: no radius and no count, a singular affine.  *out is owned by the
 * caller (bract_searchlight_free). */
BRACT_API int bract_searchlight_new(const bract_mask *mask, const bract_volume *geom,
                           const bract_searchlight_opts *o, bract_searchlight **out);
BRACT_API void bract_searchlight_free(bract_searchlight *s);

/* The voxels whose patterns the spheres may use (spatial indices,
 * ascending): the mask's, or with keep_outside every voxel of the grid
 * within the radius of a mask voxel.  Borrowed; *n receives the count. */
BRACT_API const size_t *bract_searchlight_data_voxels(const bract_searchlight *s, size_t *n);

/* Declare the usable voxels: the spatial indices, ascending, of the columns
 * of the pattern matrix (bract_patterns.voxel).  Sizes every sphere (in
 * parallel) and applies the minimum rules.  Errors: indices not ascending or
 * off the grid; fewer usable voxels than a count sphere asks for. */
BRACT_API int bract_searchlight_set_columns(bract_searchlight *s, const size_t *voxel, size_t n);

BRACT_API size_t bract_searchlight_ncentres(const bract_searchlight *s);
/* Spatial index of each centre (the mask's voxels, ascending). */
BRACT_API const size_t *bract_searchlight_centres(const bract_searchlight *s);
/* After bract_searchlight_set_columns: usable voxels in each centre's sphere, and 1
 * for each centre left out by the minimum rules. */
BRACT_API const uint32_t *bract_searchlight_sizes(const bract_searchlight *s);
BRACT_API const unsigned char *bract_searchlight_left_out(const bract_searchlight *s);
/* Voxels of a full radius sphere (0 for count spheres), and the largest
 * sphere of the centres kept. */
BRACT_API size_t bract_searchlight_full_size(const bract_searchlight *s);
BRACT_API size_t bract_searchlight_max_size(const bract_searchlight *s);
/* The radius (mm) that reaches a voxel's 6 face neighbours: the longest of
 * the three voxel axes through the affine.  A radius sphere of at least
 * this radius (more than it with the strict rule) holds 7 voxels or more
 * away from the mask's edges; a smaller one on a coarse grid may hold the
 * centre alone. */
BRACT_API double bract_searchlight_face_radius(const bract_searchlight *s);

/* The sphere of centre c (after bract_searchlight_set_columns): its column numbers,
 * ascending, into cols (room for bract_searchlight_sizes(s)[c]; may be NULL); returns
 * their number.  *radius_mm (may be NULL) receives the distance of its
 * farthest voxel.  Does not allocate; safe from many threads. */
BRACT_API size_t bract_searchlight_sphere(const bract_searchlight *s, size_t c, size_t *cols, double *radius_mm);

/* Split the centres into `parts` ranges of consecutive centres of about
 * equal work (sphere sizes; centres left out cost little):
 * bounds[0] = 0 <= bounds[1] <= ... <= bounds[parts] = ncentres. */
BRACT_API void bract_searchlight_split(const bract_searchlight *s, size_t parts, size_t *bounds);

/* ---- models ---- */

typedef struct bract_searchlight_models bract_searchlight_models;

/* Model (and control) RDMs for neural RDMs over the conditions of design
 * `d`, as bract_rsa_run prepares them: every model and control must have
 * exactly the design's conditions (in any order; matched by label); the
 * comparisons run in the first model's condition order; models missing
 * the same pairs share a plan.  A model missing pairs needs
 * BRACT_NAN_MODEL_MASK (a sphere's RDM has every pair).  `files` name the
 * RDMs' files in messages (may be NULL).  Owned by the caller. */
BRACT_API int bract_searchlight_models_new(const bract_rdm_design *d, size_t nmodels,
                                  const bract_rdm *const *models, const char *const *model_files,
                                  size_t ncontrols, const bract_rdm *const *controls,
                                  const char *const *control_files, const bract_compare_opts *o,
                                  bract_searchlight_models **out);
BRACT_API void bract_searchlight_models_free(bract_searchlight_models *m);
BRACT_API size_t bract_searchlight_models_count(const bract_searchlight_models *m);
/* Pairs compared by model k (n(n-1)/2 minus those it misses). */
BRACT_API size_t bract_searchlight_models_npairs(const bract_searchlight_models *m, size_t k);

/* ---- computing ---- */

/* What bract_searchlight_run computes from. */
typedef struct {
    const bract_rdm_design *design;
    bract_rdm_opts rdm;         /* the RDM method (bract rdm neural's options) */
    const double *x;            /* design rows x columns (bract_patterns.x) */
    size_t ldx;                 /* its row stride (the number of columns) */
    const double *res;          /* residual rows x columns for the noise, or NULL */
    size_t ldr, nres;
    const bract_searchlight_models *models;
} bract_searchlight_input;

/* Status of a centre. */
enum {
    BRACT_SL_OK = 0,
    BRACT_SL_LEFT_OUT = 1,  /* too few usable voxels */
    BRACT_SL_FAILED = 2,    /* the RDM engine refused the sphere (e.g. a singular noise
                               covariance) */
    BRACT_SL_UNDEFINED = 3  /* a comparison is undefined (a constant pattern or RDM) */
};

/* The first failing centre of a run and its message. */
typedef struct {
    size_t centre;          /* SIZE_MAX when no centre failed */
    char message[512];
} bract_searchlight_failure;

/* Compute centres c0 <= c < c1: values[(c - c0) * K + k] for the K models
 * (NaN for a centre left out or failed, and for an undefined comparison),
 * status[c - c0] (BRACT_SL_*), `fail` (may be NULL) the first failing
 * centre.  Progress (done, c1 - c0) is reported from the calling thread.
 * Errors: bad arguments, an RDM plan the design does not allow (e.g.
 * crossnobis with one run), out of memory. */
BRACT_API int bract_searchlight_run(const bract_searchlight *s, const bract_searchlight_input *in, size_t c0, size_t c1,
                           double *values, unsigned char *status, bract_searchlight_failure *fail,
                           const bract_progress *prog);

#ifdef __cplusplus
}
#endif
#endif
