/* bract/mask.h: brain masks, the voxels an analysis uses, as spatial
 * indices on a volume's grid. */
#ifndef BRACT_MASK_H
#define BRACT_MASK_H

#include <stddef.h>
#include <stdint.h>

#include "bract/error.h"
#include "bract/volume.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int64_t nx, ny, nz;
    size_t n;          /* voxels in the mask */
    size_t *index;     /* their spatial indices (x fastest), ascending */
} bract_mask;

/* The nonzero, finite voxels of the first volume of v.  Owned by the caller. */
BRACT_API int bract_mask_from_volume(const bract_volume *v, bract_mask **out);

/* The voxels of a series v (3-D or 4-D) whose value changes over time or
 * is not finite in some volume: every voxel but a constant background.
 * *nconstant (may be NULL) receives the number of the others.  An empty
 * mask is not an error.  Owned by the caller. */
BRACT_API int bract_mask_varying(const bract_volume *v, bract_mask **out, size_t *nconstant);

/* Read a mask file.  If geom is not NULL, *geom receives the header-only
 * volume (for grid checks).  A 4-D mask is an error. */
BRACT_API int bract_mask_read(const char *path, bract_mask **out, bract_volume **geom);

BRACT_API void bract_mask_free(bract_mask *m);

#ifdef __cplusplus
}
#endif
#endif
