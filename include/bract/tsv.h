/* bract/tsv.h: TSV out, atomically (a temporary file renamed into place
 * on commit), with the quoting rule of bract/table.h's reader, numbers in
 * the shortest form that reads back to the same double, missing values as
 * "n/a". */
#ifndef BRACT_TSV_H
#define BRACT_TSV_H

#include <stddef.h>

#include "bract/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bract_tsv_writer bract_tsv_writer;

/* Start a TSV file (atomic; "-" is standard output).  The header names the
 * columns; every row must have that many cells. */
BRACT_API int bract_tsv_open(const char *path, int force, size_t ncols,
                             const char *const *colnames, bract_tsv_writer **out);
/* A text cell: quoted when bract_tsv_needs_quotes(s); tabs, CR and LF
 * become spaces. */
BRACT_API void bract_tsv_str(bract_tsv_writer *w, const char *s);
/* 1 if s is written quoted in TSV: it starts with '"'. */
BRACT_API int bract_tsv_needs_quotes(const char *s);
BRACT_API void bract_tsv_double(bract_tsv_writer *w, double v); /* NaN -> n/a */
BRACT_API void bract_tsv_long(bract_tsv_writer *w, long long v);
BRACT_API void bract_tsv_end_row(bract_tsv_writer *w);
/* Finish: BRACT_OK, or an error (write failure, a row with the wrong number
 * of cells); the file is in place only on success.  Frees w. */
BRACT_API int bract_tsv_commit(bract_tsv_writer *w);
BRACT_API void bract_tsv_abort(bract_tsv_writer *w);

/* Shortest decimal text that reads back as exactly v ("n/a" for NaN,
 * "inf"/"-inf").  buf needs 32 bytes; returns buf. */
BRACT_API char *bract_tsv_format_double(char *buf, double v);
/* bract_tsv_format_double of each of v[0..n-1] into text[i], on the
 * library's threads, the same text as one at a time: a table of many
 * numbers spends its time formatting them (for tables of 100,000s of edges
 * or voxels, formatted before they are written). */
BRACT_API void bract_tsv_format_doubles(const double *v, size_t n, char (*text)[32]);

#ifdef __cplusplus
}
#endif
#endif
