/* bract/atlas.h: label atlases, the regions of an integer label image
 * (label 0 is background) with their names and voxels. */
#ifndef BRACT_ATLAS_H
#define BRACT_ATLAS_H

#include <stddef.h>
#include <stdint.h>

#include "bract/error.h"
#include "bract/mask.h"
#include "bract/volume.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int64_t nx, ny, nz;
    size_t nregions;
    int *label;        /* label value of each region, ascending */
    char **name;       /* its name (labels TSV) or the label number as text */
    size_t *nvox;      /* voxels of each region (within the mask, if any) */
    size_t **voxels;   /* spatial indices of each region's voxels, ascending */
} bract_atlas;

/* Regions of an integer label image (label 0 is background).  `labels_tsv`
 * (may be NULL) is a TSV with columns `index` and `name`: every nonzero
 * label in the image must be listed (else BRACT_EDATA naming the label and
 * the file); listed labels with no voxel become empty regions with a
 * warning.  `mask` (may be NULL) restricts the voxels.  Non-integer or
 * negative labels are an error naming the voxel. */
BRACT_API int bract_atlas_from_volume(const bract_volume *v, const char *labels_tsv,
                                      const bract_mask *mask, bract_atlas **out);

/* Read an atlas file (and optional labels TSV).  *geom as for bract_mask_read. */
BRACT_API int bract_atlas_read(const char *path, const char *labels_tsv,
                               const bract_mask *mask, bract_atlas **out,
                               bract_volume **geom);

/* Index of the region with name `name` (or label number as text), or -1. */
BRACT_API long bract_atlas_find(const bract_atlas *a, const char *name);

BRACT_API void bract_atlas_free(bract_atlas *a);

/* A one-region atlas holding the voxels of a mask, the region called
 * `name`.  Owned by the caller (bract_atlas_free). */
BRACT_API int bract_atlas_from_mask(const bract_mask *m, const char *name, bract_atlas **out);

#ifdef __cplusplus
}
#endif
#endif
