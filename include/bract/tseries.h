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
 * sidecar's RepetitionTime when there is one, else 0. */
BRACT_API int bract_tseries_read(const char *path, double tr, bract_tseries **out);

/* Write the table (atomic; NaN as n/a).  The caller writes the sidecar, with
 * RepetitionTime set (bract_sidecar_set_num). */
BRACT_API int bract_tseries_write(const bract_tseries *ts, const char *path, int force);

/* Region index by name, or -1. */
BRACT_API long bract_tseries_find(const bract_tseries *ts, const char *name);

#ifdef __cplusplus
}
#endif
#endif
