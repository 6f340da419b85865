/* bract/nuisance.h: nuisance regressors and censored volumes from fMRIPrep confounds tables.
 *
 * Reads fMRIPrep's `*_desc-confounds_timeseries.tsv` (any TSV with one row
 * per volume) and selects columns two ways, which may be combined:
 *
 * - by name or glob (`trans_*`, `rot_?`, `global_signal`): every column
 *   matching a pattern, patterns in the order given, each pattern's matches
 *   in file order; a pattern that matches nothing is an error listing the
 *   file's columns;
 * - by named strategy, with nilearn 0.10.3's load_confounds definitions
 *   (nilearn/interfaces/fmriprep/load_confounds*.py):
 *     motion6   trans_x trans_y trans_z rot_x rot_y rot_z (motion="basic")
 *     motion24  the six, their derivative1, power2 and derivative1_power2
 *               columns (motion="full")
 *     wm_csf    csf white_matter (wm_csf="basic")
 *     global    global_signal (global_signal="basic")
 *     acompcor  a_comp_cor_NN whose entry in the confounds JSON sidecar has
 *               "Mask": "combined" (compcor="anat_combined"), the first
 *               n_compcor of them (0: all, nilearn's default "all")
 *     scrub     no columns: volumes with framewise_displacement > fd
 *               threshold (0.2 mm) or std_dvars > std DVARS threshold (3)
 *               are censored, then every run of kept volumes shorter than
 *               `scrub_segment` (5) volumes (at the start, the end and
 *               between outliers) as well.
 *   With any strategy, `non_steady_state_outlier*` columns censor their
 *   volumes, as nilearn always does.  nilearn returns strategy columns
 *   sorted by name (its extract_outlier_regressors sorts them); bract
 *   keeps that order.  nilearn's `high_pass` component (fMRIPrep's
 *   cosine_XX columns) is not offered: the GLM has its own drift model,
 *   and both together are collinear.
 *
 * Then, as nilearn's prepare_output: a missing value (`n/a`) in the first
 * row (derivative columns) takes the second row's value; a missing value in
 * any later row is an error naming file, line and column; and each column
 * is demeaned over the kept (uncensored) volumes when `demean` (default,
 * as nilearn).  Censored volumes are left out of the GLM fit (nilearn's
 * sample_mask): their design rows and data are dropped before estimation.
 * NOTE (nilearn): the AR(1) model then treats the kept volumes as
 * consecutive, as nilearn's FirstLevelModel with sample_masks does.
 *
 * Thread safety: no static state; a bract_nuisance is read-only once made. */
#ifndef BRACT_NUISANCE_H
#define BRACT_NUISANCE_H

#include <stddef.h>

#include "bract/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    BRACT_NUISANCE_MOTION6 = 0,
    BRACT_NUISANCE_MOTION24 = 1,
    BRACT_NUISANCE_WM_CSF = 2,
    BRACT_NUISANCE_GLOBAL = 3,
    BRACT_NUISANCE_ACOMPCOR = 4,
    BRACT_NUISANCE_SCRUB = 5
} bract_nuisance_strategy;

/* Parse a strategy name (motion6, motion24, wm_csf, global, acompcor,
 * scrub; case-insensitive).  0, or BRACT_EINVAL listing the valid names. */
BRACT_API int bract_nuisance_strategy_parse(const char *s, bract_nuisance_strategy *out);
BRACT_API const char *bract_nuisance_strategy_name(bract_nuisance_strategy s);

typedef struct {
    const char *const *columns;               /* names or globs (fnmatch), may be NULL */
    size_t ncolumns;
    const bract_nuisance_strategy *strategies; /* may be NULL */
    size_t nstrategies;
    int demean;                 /* subtract each column's mean over kept volumes (default 1) */
    double fd_threshold;        /* scrub: mm (default 0.2, nilearn 0.10.3) */
    double std_dvars_threshold; /* scrub: (default 3, nilearn 0.10.3) */
    size_t scrub_segment;       /* scrub: shortest run of kept volumes (default 5) */
    size_t n_compcor;           /* acompcor: components kept, 0 = all (default) */
} bract_nuisance_opts;

/* nilearn's defaults: no columns, no strategy, demean, FD 0.2, std DVARS 3,
 * segments of 5, all aCompCor components. */
BRACT_API void bract_nuisance_opts_defaults(bract_nuisance_opts *o);

typedef struct {
    char *path;
    size_t nrows;       /* volumes (rows of the file) */
    size_t ncols;       /* selected regressors */
    char **name;        /* their names (the file's column names) */
    double *x;          /* nrows x ncols, row-major, first row filled, demeaned */
    unsigned char *keep;/* per row: 1 kept, 0 censored (scrub, non-steady state) */
    size_t nkept;
    size_t nfilled;     /* columns whose first-row n/a took the second row's value */
    char **filled;      /* their names */
    int demeaned;       /* 1 if the columns were demeaned */
} bract_nuisance;

/* Read `path` and select columns by o.  No column and no strategy is an
 * error (BRACT_EINVAL).  Errors name the file, line and column: a column
 * or pattern not found, a non-numeric cell, n/a beyond the first row, a
 * file with fewer than 2 rows; acompcor without the JSON sidecar
 * (`<path without .tsv>.json`).  *out is owned by the caller
 * (bract_nuisance_free). */
BRACT_API int bract_nuisance_new(const char *path, const bract_nuisance_opts *o,
                                   bract_nuisance **out);

BRACT_API void bract_nuisance_free(bract_nuisance *c);

/* nilearn's optimize_scrub: extend the sorted outlier volumes `idx` (n of
 * them, of nvol volumes) by every run of kept volumes shorter than
 * `segment` at the start, the end and between two outliers.  `censor`
 * (nvol flags) is set to 1 for every censored volume. */
BRACT_API void bract_nuisance_scrub_segments(const size_t *idx, size_t n, size_t nvol,
                                              size_t segment, unsigned char *censor);

#ifdef __cplusplus
}
#endif
#endif
