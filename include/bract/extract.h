/* bract/extract.h: region time series from a 4-D series and a label atlas.
 *
 * The series of a region is the mean over its voxels in each volume, as
 * nilearn's NiftiLabelsMasker with strategy "mean" (sums in double, in
 * voxel order).  The 4-D file is streamed volume by volume, so memory is a
 * few volumes plus the output, whatever the length of the series.
 *
 * Non-finite voxels: nilearn replaces NaN and infinite values by 0 before
 * averaging (safe_get_data with ensure_finite), which pulls the mean of
 * the region towards 0 in those volumes.  bract instead leaves a voxel out
 * of its region, in every volume, as soon as one of its values is not
 * finite, with a warning per region and a count; the region mean is then
 * over the remaining voxels.  Regions with no voxel (a label of the labels
 * table absent from the image or from the mask), with only non-finite
 * voxels, or whose mean series is constant (over 2 or more volumes) are kept
 * as columns of NaN (written n/a), each with a warning. */
#ifndef BRACT_EXTRACT_H
#define BRACT_EXTRACT_H

#include <stddef.h>

#include "bract/error.h"
#include "bract/progress.h"
#include "bract/tseries.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    size_t nvox_data;         /* voxels per volume */
    size_t nvol;              /* volumes */
    double tr_header;         /* TR of the data header (0 unknown) */
    size_t regions;           /* columns written */
    size_t regions_empty;     /* no voxel (in the mask) */
    size_t regions_nonfinite; /* every voxel had a non-finite value */
    size_t regions_constant;  /* constant mean series */
    size_t voxels_nonfinite;  /* atlas voxels left out for non-finite values */
    size_t voxels_used;       /* atlas voxels averaged */
    size_t *region_nvox;      /* voxels averaged per region (caller frees) */
    int *region_label;        /* label value per region (caller frees) */
} bract_extract_info;

/* Mean series of each atlas region.  `labels_tsv` and `mask` may be NULL.
 * The atlas and the mask must be on the data's grid (errors name both
 * files); every nonzero label of the atlas must be in the labels table.
 * tr > 0 overrides the header's TR.  *out (caller frees) has one column per
 * region, named by the labels table or by the label number; info (may be
 * NULL) receives the counts; free its arrays with bract_extract_info_free. */
BRACT_API int bract_extract(const char *data, const char *atlas, const char *labels_tsv,
                            const char *mask, double tr, bract_tseries **out,
                            bract_extract_info *info, const bract_progress *progress);

BRACT_API void bract_extract_info_free(bract_extract_info *info);

#ifdef __cplusplus
}
#endif
#endif
