/* bract/patterns.h: response patterns, one matrix of rows x voxels per region.
 *
 * Inputs: NIfTI volumes (one 4-D series, or several 3-D maps or 4-D series
 * taken one after another) with a design (bract/rdm.h) that has one row per
 * volume, and a set of regions (an atlas, or a mask as a single region);
 * or a patterns table (TSV/CSV: `condition`, optional `run`, then one
 * column per voxel or feature).
 *
 * Each pattern row is the mean of the volumes of one (run, condition) of the
 * design; volumes left out by the design are not averaged.  With
 * `demean_runs`, each voxel's mean over all the volumes of a run (left-out
 * volumes included) is subtracted first.  A voxel is dropped, and counted,
 * when any value that enters its rows is not finite (NaN, infinite, a
 * missing table cell) or when its rows are constant (equal to rounding:
 * their range is at most (volumes summed) x 2^-52 x the largest |value|).
 * A region left with fewer than `min_voxels` voxels is an error, or with
 * `skip_small` is left out with a warning. */
#ifndef BRACT_PATTERNS_H
#define BRACT_PATTERNS_H

#include <stddef.h>

#include "bract/error.h"
#include "bract/progress.h"
#include "bract/rdm.h"
#include "bract/rdmset.h"
#include "bract/atlas.h"
#include "bract/mask.h"
#include "bract/volume.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    char *name;               /* region name (atlas label name, or the caller's name) */
    size_t nobs, nvox;        /* design rows x kept voxels */
    double *x;                /* nobs x nvox, row-major */
    size_t *voxel;            /* each kept voxel: spatial index (volumes) or feature
                                 column number among the features (tables) */
    size_t nres;              /* residual rows (0 when no noise input was given) */
    double *res;              /* nres x nvox, the same columns as x */
    size_t nvox_region;       /* voxels of the region before dropping */
    size_t dropped_nonfinite; /* voxels dropped for a non-finite value */
    size_t dropped_constant;  /* voxels dropped as constant */
} bract_patterns;

typedef struct {
    size_t nregions;
    bract_patterns *region;
    size_t nskipped;          /* regions left out as too small (skip_small) */
    char **skipped;           /* their names */
    size_t nfeatures;         /* tables: feature columns, and their names */
    char **feature;
} bract_patterns_set;

typedef struct {
    int demean_runs;          /* subtract each voxel's run mean first */
    size_t min_voxels;        /* 0 means 2 */
    int skip_small;           /* leave small regions out instead of failing */
} bract_patterns_opts;

/* Patterns from NIfTI volumes.  `paths` (npaths files) hold d->nvol volumes
 * in all, on the grid of `geom` (header of the mask or atlas; may be NULL to
 * skip the check); `regions` lists the regions' voxels (an atlas; see
 * bract_atlas_from_mask for a mask).  `noise_paths` (may be NULL) hold
 * residual volumes: every one of their volumes becomes a residual row of
 * each region.  Owned by the caller (bract_patterns_set_free).  Errors name
 * the file: a volume count that differs from the design's, another grid,
 * a region with too few usable voxels. */
BRACT_API int bract_patterns_from_volumes(const char *const *paths, size_t npaths,
                                          const bract_rdm_design *d, const bract_atlas *regions,
                                          const bract_volume *geom,
                                          const char *const *noise_paths, size_t nnoise,
                                          const bract_patterns_opts *o, const bract_progress *prog,
                                          bract_patterns_set **out);

/* Patterns from a table: columns `condition`, optional `run`, then features
 * (every other column, in file order).  The design is built from the table
 * (*design, owned by the caller) with `dopts`; the single region is called
 * `name`.  `noise_path` (may be NULL) is a table of residual rows with the
 * same feature columns (any order; `condition` and `run` are ignored).
 * Non-numeric cells are errors naming file, line and column. */
BRACT_API int bract_patterns_from_table(const char *path, const bract_rdm_design_opts *dopts,
                                        const char *name, const char *noise_path,
                                        const bract_patterns_opts *o, bract_rdm_design **design,
                                        bract_patterns_set **out);

BRACT_API void bract_patterns_set_free(bract_patterns_set *s);

/* Patterns from a matrix in memory, as bract_patterns_from_table makes them
 * from a table once read (the language bindings pass arrays this way): x
 * holds d->nvol rows, one per volume of the design, of ncol features (row
 * stride ldx >= ncol); res (may be NULL) holds nres >= 2 residual rows with
 * the same columns (row stride ldr).  `voxel` (may be NULL: the column
 * numbers) gives each column's reported index, e.g. its spatial index in a
 * volume.  One region, called `name`.  Nothing is copied but the pattern
 * rows made.  Owned by the caller (bract_patterns_set_free). */
BRACT_API int bract_patterns_from_matrix(const double *x, size_t ldx, size_t ncol,
                                         const bract_rdm_design *d, const double *res,
                                         size_t ldr, size_t nres, const size_t *voxel,
                                         const char *name, const bract_patterns_opts *o,
                                         bract_patterns_set **out);

/* The RDM of every region of `s` (patterns made with design `d`) with
 * options `o`, one RDM per region named after it, conditions in the
 * design's order.  Regions run in parallel (OpenMP, bract_set_threads), one
 * plan and workspace each; residual rows of the regions (s->region[].res)
 * are the noise when present.  `info` (may be NULL) receives one entry per
 * region.  The first failing region (in order) gives the error, prefixed
 * with "region NAME".  Owned by the caller (bract_rdmset_free). */
BRACT_API int bract_patterns_rdms(const bract_rdm_design *d, const bract_patterns_set *s,
                                  const bract_rdm_opts *o, const bract_progress *prog,
                                  bract_rdmset **out, bract_rdm_info *info);

#ifdef __cplusplus
}
#endif
#endif
