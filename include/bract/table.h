/* bract/table.h: delimited text tables (TSV, CSV) in and TSV out.
 *
 * Reads a header row and data rows, plain or gzipped, tab- or
 * comma-separated (by extension: .tsv/.txt tab, .csv comma; otherwise the
 * header decides), UTF-8 (a leading byte-order mark is skipped; a NUL byte
 * or an invalid UTF-8 sequence is an error naming line and byte), LF or CRLF
 * line ends, double-quoted fields with "" escapes.  In numeric columns
 * empty cells, "n/a", "N/A", "NA", "nan" and "NaN" are missing values; in
 * label columns only "n/a" and the empty cell are (bract_table_label_missing).  Typed accessors report errors as
 * "file:line: column N ('name'): expected ..., found '...'".
 * Writes TSV atomically, numbers in the shortest form that reads back to the
 * same double, missing values as "n/a".
 *
 * Quoting, the one rule both ways: a field that starts with a double quote
 * is quoted -- it ends at the next lone quote, "" inside stands for one
 * quote, and delimiters and line breaks inside are part of it; any other
 * field is taken literally up to the next delimiter (a quote inside it is
 * just a character).  The writer quotes exactly the cells that start with
 * a quote (bract_tsv_needs_quotes), so a label such as "><img ...> reads
 * back as written; it writes a tab, CR or LF inside a cell as a space (TSV
 * cells hold none: labels read from TSV cannot contain them, and two
 * column names that differ only there become the same name).  BIDS tables, which never quote, read as they are
 * unless a cell starts with a quote. */
#ifndef BRACT_TABLE_H
#define BRACT_TABLE_H

#include <stddef.h>

#include "bract/error.h"
#include "bract/tsv.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    char *path;
    char delim;        /* '\t' or ',' */
    size_t nrows, ncols;
    char **colname;    /* ncols names */
    char **cell;       /* nrows * ncols cells, row-major; never NULL */
    size_t *line;      /* 1-based line number of each row in the file */
    char *text_;       /* private: storage of all strings */
} bract_table;

/* Read a table; *out is owned by the caller (bract_table_free).  A row whose
 * number of fields differs from the header's is an error naming the line. */
BRACT_API int bract_table_read(const char *path, bract_table **out);

/* Parse a table from memory (`name` is used in messages). */
BRACT_API int bract_table_parse(const char *name, const char *text, size_t len,
                                bract_table **out);

BRACT_API void bract_table_free(bract_table *t);

/* Column index by exact name, or -1. */
BRACT_API long bract_table_find(const bract_table *t, const char *name);

/* Like bract_table_find, but a missing column is an error listing the
 * columns the file has. */
BRACT_API int bract_table_require(const bract_table *t, const char *name, size_t *col);

static inline const char *bract_table_cell(const bract_table *t, size_t row, size_t col)
{
    return t->cell[row * t->ncols + col];
}

/* 1 if the text is a missing number ("", "n/a", "N/A", "NA", "nan", "NaN"):
 * for numeric columns, where a word is never a valid value. */
BRACT_API int bract_table_cell_missing(const char *s);

/* 1 if the text is a missing label: only BIDS's "n/a" and the empty cell.
 * For label columns (conditions, trial types, region names, words), where
 * "NA" or "nan" may be the label itself. */
BRACT_API int bract_table_label_missing(const char *s);

/* Parse a whole cell as a number: BRACT_OK, or BRACT_EFORMAT (no message). */
BRACT_API int bract_table_parse_double(const char *s, double *v);

/* Cell as a number; a missing cell gives NaN.  A non-numeric cell is an
 * error naming file, line and column. */
BRACT_API int bract_table_double(const bract_table *t, size_t row, size_t col, double *v);

/* Cell as an integer; missing or non-integer cells are errors. */
BRACT_API int bract_table_long(const bract_table *t, size_t row, size_t col, long *v);

/* A whole column as numbers (missing -> NaN).  out has t->nrows entries. */
BRACT_API int bract_table_column(const bract_table *t, size_t col, double *out);

#ifdef __cplusplus
}
#endif
#endif
