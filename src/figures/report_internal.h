/* Private parts of the HTML report (report*.c): the outputs found under the
 * root, the page being written, and HTML helpers. */
#ifndef BRACT_REPORT_INTERNAL_H
#define BRACT_REPORT_INTERNAL_H

#include "base/internal.h"

#include <json.h>

#include "bract/plot.h"
#include "bract/report.h"

/* A bract sidecar and the output it describes. */
typedef struct {
    char *path;          /* the sidecar file */
    char *output;        /* its output (a file, or a directory for a run record);
                            NULL when that is missing */
    int output_is_dir;
    char *rel;           /* the output's path relative to the root (the sidecar's
                            without its ".json" when the output is missing) */
    json_object *json;   /* the parsed sidecar (owned) */
    const char *command; /* "rsa", "rdm neural", ... (inside json) */
    const char *cmdline; /* "" if none (inside json) */
} rp_sidecar;

/* One command run: the sidecars with the same command and command line
 * whose outputs share a directory (a run record's directory counts as
 * that of its files). */
typedef struct {
    const char *command;
    const char *cmdline;
    char *dir;           /* the directory of its outputs */
    size_t n;
    rp_sidecar **sc;     /* its sidecars, sorted by path */
    rp_sidecar *record;  /* the sidecar of the output directory, if any */
    char *anchor;        /* id of its entry in the runs section */
} rp_run;

typedef struct {
    char *id, *title;
    int level;           /* 2 or 3 */
} rp_toc;

typedef struct {
    const bract_report_opts *o;
    char *root;          /* as given, without trailing slashes */
    char *root_real;     /* its real path */
    rp_sidecar *sc;
    size_t nsc;
    rp_run *runs;
    size_t nruns;
    char **files;        /* every file under the root, sorted per directory */
    size_t nfiles;
    bract_buf body;      /* the sections */
    bract_buf found;     /* <li> items of the summary: results */
    bract_buf found_end; /* ... and those listed after them (exclusions) */
    bract_buf done;      /* <li> items of the summary: what was run */
    rp_toc *toc;
    size_t ntoc;
    bract_report_info info;
    int oom;             /* an allocation failed on the way */
    int fig_seq;
} rp_ctx;

/* ---- report.c: discovery ---- */

/* Runs of `command` (exact match), in path order; *n receives their number
 * (the array is malloc'd, NULL when there are none). */
rp_run **bract_rp_runs_of(rp_ctx *c, const char *command, size_t *n);
/* The run's sidecar whose output has this file name (its last component),
 * or NULL. */
rp_sidecar *bract_rp_run_file(const rp_run *r, const char *name);
/* A value of a sidecar by key path ("Parameters", "method"), or NULL. */
json_object *bract_rp_get(const rp_sidecar *s, const char *section, const char *key);
const char *bract_rp_get_str(const rp_sidecar *s, const char *section, const char *key);
/* NaN when absent or not a number. */
double bract_rp_get_num(const rp_sidecar *s, const char *section, const char *key);
/* The files a sidecar lists under Sources[role] (a string or an array of
 * them), resolved: as written if it exists (absolute, or relative to the
 * working directory), else the file under the root whose path ends with the
 * longest tail of it.  Returns the count; *paths (malloc'd strings) NULL
 * when there are none.  Unresolved entries are left out and counted in
 * *missing (may be NULL). */
size_t bract_rp_sources(rp_ctx *c, const rp_sidecar *s, const char *role, char ***paths,
                  size_t *missing);
void bract_rp_free_strings(char **v, size_t n);
/* Path relative to the root for display (a static-free malloc'd string). */
char *bract_rp_rel(const rp_ctx *c, const char *path);
/* The sidecars (of any run) whose output is `path` (compared by real path). */
rp_sidecar *bract_rp_sidecar_of(rp_ctx *c, const char *path);

/* ---- report_html.c: writing ---- */

void bract_rp_put(rp_ctx *c, const char *s);
void bract_rp_putf(rp_ctx *c, const char *fmt, ...) BRACT_FORMAT(2, 3);
void bract_rp_buf_putf(rp_ctx *c, bract_buf *b, const char *fmt, ...) BRACT_FORMAT(3, 4);
/* HTML-escaped text; bract_rp_html returns it as a malloc'd string (NULL when
 * out of memory). */
char *bract_rp_html(rp_ctx *c, const char *s);
void bract_rp_esc(rp_ctx *c, const char *s);
void bract_rp_buf_esc(rp_ctx *c, bract_buf *b, const char *s);
/* A heading with an id made from `slug` (made unique), entered in the
 * table of contents; returns the id (owned by the context). */
const char *bract_rp_heading(rp_ctx *c, int level, const char *slug, const char *title);
/* A note in place of content: a warning box with the message, also queued
 * as a warning "report: <where>: <message>". */
void bract_rp_note(rp_ctx *c, const char *where, const char *msg);
/* The note for output `name` of sidecar s when only the sidecar exists. */
void bract_rp_note_missing(rp_ctx *c, const char *where, const rp_sidecar *s, const char *name);
/* Embed a figure (PNG as base64); caption is HTML (may be NULL). */
void bract_rp_figure(rp_ctx *c, const bract_plot_figure *f, const char *alt, const char *caption_html);

/* Figure options of the report: PNG at the report's resolution and
 * significance level, the rest at bract_plot_opts_defaults()'s defaults. */
void bract_rp_plot_opts(const rp_ctx *c, bract_plot_opts *o);
/* A cell as a number; NaN when missing, not a number, or col < 0. */
double bract_rp_cell_num(const bract_table *t, size_t row, long col);
/* "From <code>dir/</code>: " to start the lead of a run's section. */
void bract_rp_from(rp_ctx *c, const char *dir);

/* Number formats of table cells and the summary. */
enum {
    RP_AUTO = 0, /* by the column name (bract_rp_col_kind) */
    RP_P,        /* p-values: 0.003, 2.1e-05 */
    RP_R,        /* correlations, effect sizes: three decimals */
    RP_STAT,     /* test statistics: two decimals */
    RP_INT,      /* counts */
    RP_GEN,      /* anything else: four significant digits, integers exact */
    RP_TEXT,     /* never a number */
    RP_SUBJECT   /* text naming a subject: shown as its BIDS ID (sub-01) when the text
                    (a file name, a path) holds one, the whole text in the cell's title */
};
/* Format v; buf needs 32 bytes; returns buf.  NaN gives "n/a". */
char *bract_rp_fmt(char *buf, double v, int kind);
/* The format of a column by its name (p, p_fdr, r, rho, stat, ...). */
int bract_rp_col_kind(const char *colname);
/* A column's name in words for a table head ("p_fdr": "p (FDR)",
 * "mean_dwell_s": "mean dwell (s)"; others with spaces for underscores);
 * buf needs 64 bytes; returns buf. */
char *bract_rp_col_words(char *buf, const char *colname);
/* The BIDS subject ID in s (a name, a file name, a path: the last
 * "sub-<label>" of its file name, else of its directories) into buf (len
 * bytes); 1 when there is one, else 0 and buf empty. */
int bract_rp_subject_id(const char *s, char *buf, size_t len);
/* A figure as a bare <img> (no <figure>, no caption): a panel of a
 * small-multiples figure the caller wraps (<figure class="fig smallmult">
 * <div class="panels"> ... </div><figcaption>). */
void bract_rp_figure_panel(rp_ctx *c, const bract_plot_figure *f, const char *alt);

/* A column of a rendered table. */
typedef struct {
    const char *col;   /* column name in the table */
    const char *head;  /* header text; NULL: the column name */
    int kind;          /* RP_* */
    const char *col2;  /* if set, the cell shows the interval [col, col2] */
} rp_tcol;

/* A table of the given rows (NULL: all) and columns (NULL: all, formats by
 * name).  Columns missing from the table are left out.  Rows whose
 * `sigcol` value is <= alpha are marked.  More than max_rows rows: the
 * first max_rows shown, the rest in a <details> fold.  caption is HTML
 * (may be NULL). */
void bract_rp_table(rp_ctx *c, const bract_table *t, const rp_tcol *cols, size_t ncols,
              const size_t *rows, size_t nrows, const char *sigcol, const char *caption);
/* A two-column table of a JSON object's members (nested values as JSON). */
void bract_rp_json_table(rp_ctx *c, json_object *o);

/* ---- the sections (report_rsa.c, report_glm.c, report_maps.c, report_time.c) ---- */
void bract_rp_section_rsa(rp_ctx *c);
void bract_rp_section_glm(rp_ctx *c);
void bract_rp_section_maps(rp_ctx *c);
void bract_rp_section_dfc(rp_ctx *c);
void bract_rp_section_timescales(rp_ctx *c);

/* RDM sets of several subjects (report_rsa.c) and their mean: for each
 * name in `regions`, the mean over the sets that hold an RDM of that name
 * with the same conditions (matched by label, in the order of the first
 * set that has it) of each pair's dissimilarity, missing values left out
 * (NaN where every set misses the pair).  used[k] receives the number of
 * sets averaged for region k.  NULL when out of memory or a region is in
 * no set. */
bract_rdmset *bract_rp_mean_rdms(const bract_rdmset *const *sets, size_t nsets,
                           const char *const *regions, size_t nreg, size_t *used);

/* Read a table, or show a note about it and return NULL. */
bract_table *bract_rp_read_table(rp_ctx *c, const char *path, const char *where);

#endif
