/* bract/tseries.h: region time series (volumes x regions tables).
 *
 * On disk: a TSV (or CSV) with one column per region, named by the atlas
 * label, and one row per volume; "n/a" marks a region that could not be
 * measured (constant or empty).  The repetition time travels in the JSON
 * sidecar ("RepetitionTime", seconds, as BIDS), so that later stages need no
 * --tr. */
#ifndef BRACT_TSERIES_H
#define BRACT_TSERIES_H

#include <stddef.h>

#include "bract/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    size_t nt;      /* volumes (rows) */
    size_t nreg;    /* regions (columns) */
    char **name;    /* region names */
    double *x;      /* series of region r at x + r * nt (contiguous in time) */
    double tr;      /* seconds; 0 when unknown */
} bract_tseries;

/* nreg series of nt zeros with names "r1".."rN" (rename as needed). */
BRACT_API int bract_tseries_new(size_t nt, size_t nreg, bract_tseries **out);
BRACT_API void bract_tseries_free(bract_tseries *ts);

/* Read a table of region series.  Every cell must be a number or missing
 * (NaN); errors name file, line and column.  TR: `tr` if > 0, else the
 * sidecar's RepetitionTime when there is one, else 0.  A sidecar that is
 * there but is not a JSON object ("not valid JSON"), or whose
 * RepetitionTime is not a number, is an error naming the sidecar. */
BRACT_API int bract_tseries_read(const char *path, double tr, bract_tseries **out);

/* Write the table (atomic; NaN as n/a).  The caller writes the sidecar, with
 * RepetitionTime set (bract_sidecar_set_num). */
BRACT_API int bract_tseries_write(const bract_tseries *ts, const char *path, int force);

/* Region index by name, or -1. */
BRACT_API long bract_tseries_find(const bract_tseries *ts, const char *name);

/* Which columns of a table are regions: those whose names match a shell
 * pattern of `include` (fnmatch, e.g. "roi_*"; ninclude 0: every column)
 * and no pattern of `exclude` (e.g. "csf", "global_signal*"), so that
 * confound columns kept in a region file are not analysed as regions. */
typedef struct {
    const char *const *include;
    size_t ninclude;
    const char *const *exclude;
    size_t nexclude;
} bract_tseries_columns;

/* Keep the columns of ts that sel selects, in their order.  The others go,
 * in their order, to *dropped (owned by the caller, with no regions when
 * none is dropped; dropped may be NULL: they are discarded).  Errors, with
 * ts unchanged and the columns listed: an include pattern that matches no
 * column (a typo, most likely; an exclude pattern may match none), or a
 * selection that leaves no column. */
BRACT_API int bract_tseries_select(bract_tseries *ts, const bract_tseries_columns *sel,
                                   bract_tseries **dropped);

#ifdef __cplusplus
}
#endif
#endif
