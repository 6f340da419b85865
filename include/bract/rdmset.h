/* bract/rdmset.h: sets of representational dissimilarity matrices.
 *
 * An RDM of n conditions is kept condensed: the n(n-1)/2 upper-triangle
 * entries, row-major, i < j (the order of scipy's squareform and
 * rsatoolbox).  On disk an RDM set is a TSV in long form with columns `rdm`,
 * `condition_a`, `condition_b`, `dissimilarity`, one row per pair, RDMs one
 * after another, pairs in condensed order.  Missing dissimilarities ("n/a")
 * are NaN.
 *
 * A path ending in .h5 or .hdf5 (rsatoolbox's rule) is instead an HDF5 file
 * in rsatoolbox's RDMs layout: rsatoolbox.rdm.load_rdm() reads what bract
 * writes, and bract reads what RDMs.save() writes.  One HDF5 file holds RDMs
 * of a single list of conditions (rsatoolbox's RDMs object). */
#ifndef BRACT_RDMSET_H
#define BRACT_RDMSET_H

#include <stddef.h>

#include "bract/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    char *name;     /* e.g. the region's atlas label, or the model's name */
    size_t n;       /* number of conditions */
    char **cond;    /* their labels, in RDM order */
    double *d;      /* n(n-1)/2 dissimilarities, condensed */
} bract_rdm;

typedef struct {
    size_t nrdm;
    bract_rdm *rdm;
    char *measure;  /* what the dissimilarities measure ("correlation", ...; rsatoolbox's
                       dissimilarity_measure), or NULL when unknown: TSV files do not carry it */
} bract_rdmset;

/* Index of pair (i, j), i < j < n, in a condensed vector. */
static inline size_t bract_pair_index(size_t n, size_t i, size_t j)
{
    return i * n - i * (i + 1) / 2 + (j - i - 1);
}

static inline size_t bract_npairs(size_t n) { return n * (n - 1) / 2; }

/* An empty set with room for `nrdm` RDMs (names and data NULL) in *out:
 * 0, or BRACT_ENOMEM (*out NULL).  Owned by the caller (bract_rdmset_free). */
BRACT_API int bract_rdmset_new(size_t nrdm, bract_rdmset **out);

/* Fill RDM k: copies name and condition labels, allocates d (NaN-filled). */
BRACT_API int bract_rdmset_init_rdm(bract_rdmset *s, size_t k, const char *name, size_t n,
                                    const char *const *cond);

BRACT_API void bract_rdmset_free(bract_rdmset *s);

/* Set (copy) or clear (NULL) the measure. */
BRACT_API int bract_rdmset_set_measure(bract_rdmset *s, const char *measure);

/* 1 if a path names an HDF5 RDM set (ends in .h5 or .hdf5), and 1 if a
 * path is an HDF5 RDM set by name or by the file's HDF5 signature. */
BRACT_API int bract_rdmset_path_is_hdf5(const char *path);
BRACT_API int bract_rdmset_is_hdf5(const char *path);

/* Read a long-form RDM-set TSV (plain or gzipped).  Conditions are taken in
 * order of first appearance; each RDM must list every pair of its
 * conditions exactly once and no self-pairs.  Errors name file and line.
 * An HDF5 file (by name or by its signature) is read in rsatoolbox's
 * layout: condition labels from /pattern_descriptors/conds (else the first
 * string descriptor, else index), RDM names from /rdm_descriptors/name
 * (likewise), the measure from the dissimilarity_measure attribute.  A TSV
 * has no measure, except "crossnobis" when its sidecar (bract rdm neural's)
 * gives Parameters.method "crossnobis": the one measure whose values may be
 * negative (bract_rsa_run refuses negative values of any other). */
BRACT_API int bract_rdmset_read(const char *path, bract_rdmset **out);

/* The line of a long-form RDM-set TSV that holds the pair (a, b), either
 * order, of RDM `rdm`: *line, or 0 when the file is HDF5, cannot be read or
 * has no such row.  For messages that point at a value (bract_rsa_run). */
BRACT_API void bract_rdmset_pair_line(const char *path, const char *rdm, const char *a,
                                      const char *b, size_t *line);

/* Write the long form (atomic; "-" is standard output), or HDF5 when the
 * path ends in .h5 or .hdf5 (atomic; every RDM must have the same
 * conditions in the same order). */
BRACT_API int bract_rdmset_write(const bract_rdmset *s, const char *path, int force);

/* Index of the RDM named `name`, or -1. */
BRACT_API long bract_rdmset_find(const bract_rdmset *s, const char *name);

#ifdef __cplusplus
}
#endif
#endif
