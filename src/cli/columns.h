/* Which columns of a region-series table are regions (--columns,
 * --exclude-columns of clean, dfc and timescale), declared once. */
#ifndef BRACT_CLI_COLUMNS_H
#define BRACT_CLI_COLUMNS_H

#include "cli/cli.h"
#include "cli/opts.h"

typedef struct {
    cli_strlist include, exclude; /* the options' values, as given */
    /* filled by cli_columns_select: the patterns split at commas */
    char *buf;
    const char **pat;
    bract_tseries_columns sel;
    /* the names of the columns left out (of every table, each once) */
    size_t ndropped, cap;
    char **dropped;
} cli_columns;

#define CLI_COLUMN_OPTIONS(T, F)                                                                   \
    CLI_LIST(0, "columns", T, F.include, "GLOB...",                                                \
             "region columns of a table: names or shell\n"                                         \
             "patterns ('roi_*'; commas separate them too)\n"                                      \
             "[every column]"),                                                                    \
        CLI_LIST(0, "exclude-columns", T, F.exclude, "GLOB...",                                    \
                 "columns that are not regions, e.g. confounds in\n"                               \
                 "a region file ('csf,global_signal*')")

/* 1 if --columns or --exclude-columns was given. */
int cli_columns_given(const cli_columns *a);

/* A usage error (printed; CLI_USAGE) when they are given with NIfTI data
 * (`data`, not a table), else CLI_OK. */
int cli_columns_check(const cli_ctx *c, const cli_columns *a, const char *data, int is_table);

/* Keep the region columns of ts, read from `path`; the others are left
 * out (and remembered for the sidecar).  CLI_OK, or the error printed
 * ("path: no column matches ...") and CLI_DATA_ERROR. */
int cli_columns_select(const cli_ctx *c, cli_columns *a, const char *path, bract_tseries *ts);

/* The selection in a sidecar: parameters "columns" and "exclude_columns"
 * (the patterns), "ExcludedColumns" (the names left out) and the count
 * "excluded_columns".  Nothing when neither option was given. */
void cli_columns_sidecar(bract_sidecar *s, const cli_columns *a);

/* Free what cli_columns_select made (not the option lists: cli_args_free). */
void cli_columns_free(cli_columns *a);

#endif
