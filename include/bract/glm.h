/* bract/glm.h: the first-level GLM of fMRI runs, equal to nilearn 0.10.3's FirstLevelModel.
 *
 * Pieces, each usable alone (definitions from nilearn/glm/first_level/
 * design_matrix.py, first_level.py, nilearn/glm/regression.py and
 * contrasts.py, reproduced number for number):
 *
 * DESIGN.  Frame times f_i = linspace(s TR, (n - 1 + s) TR, n) with s the
 * slice_time_ref.  Columns, in order: for each condition (trial_type values
 * sorted bytewise, as numpy.unique) its HRF regressors (bract/hrf.h), the
 * confounds, the drift, `constant`.  Drift `cosine`: K = min(n - 1,
 * floor(2 n hp dt)) columns sqrt(2/n) cos(pi/n (i + 1/2) k), k = 1..K,
 * dt = (f_{n-1} - f_0)/(n - 1), named drift_1..drift_K; `polynomial` of
 * order d: (f/f_max)^k, k = 0..d, orthogonalised in turn (Gram-Schmidt),
 * the constant moved last; `none`: the constant alone.  Events with a
 * `modulation` column are scaled by it (nilearn's parametric amplitude).
 * Where nilearn regularises a design that is singular at working precision
 * (condition number >= 1e15, with a warning), bract refuses a design whose
 * smallest singular value is <= max(n, p) eps times the largest (numpy's
 * matrix_rank tolerance, scipy's pinv cut-off) and names the collinear
 * columns.  Censored volumes (confounds' scrub) are dropped from the rows.
 *
 * ESTIMATION (per run, per voxel y; X n x p).  OLS: beta = pinv(X) y (SVD,
 * as scipy.linalg.pinv), residuals e = y - X beta, sigma^2 = e'e / (n - p),
 * cov = pinv(X) pinv(X)'.  AR(1) (nilearn's default): the Yule-Walker
 * coefficient of the OLS residuals,
 *     rho = [sum_t e_t e_{t+1} / (n (n - 1))] / [sum_t e_t^2 / n^2],
 * truncated toward zero to a multiple of 1/bins (bins = 100:
 * rho_b = trunc(rho bins) / bins); voxels sharing rho_b share one whitened
 * model: W y with (W y)_0 = y_0, (W y)_t = y_t - rho_b y_{t-1} (NOTE: nilearn
 * leaves the first sample unscaled, not sqrt(1 - rho^2) y_0 as Prais-Winsten
 * would), beta = pinv(W X) W y (pinv by Householder QR, equal to scipy's SVD
 * pinv to rounding), whitened residuals r = W y - W X beta,
 * sigma^2 = r'r / (n - p), cov = pinv(W X) pinv(W X)'.  The residual degrees
 * of freedom are n - rank(X).  NOTE: nilearn's Yule-Walker subtracts the
 * grand mean of all voxels' residuals first; with the constant column every
 * voxel's OLS residuals sum to zero up to rounding, so bract takes it as 0.
 * NOTE: nilearn's RegressionResults.residuals under AR(1) is y - W X beta
 * (unwhitened data minus whitened prediction); bract's residuals are the
 * whitened r above, whose covariance is sigma^2 I.
 *
 * Computation: voxels in fixed blocks (results do not depend on the number
 * of threads), matrix products by CBLAS dgemm, OpenMP over blocks; voxel
 * data are float in memory and computed in double a block at a time.  For
 * AR(1) the voxels are visited a second time sorted by coefficient, so each
 * whitened model is one matrix product over all its voxels.
 *
 * CONTRASTS.  An expression over design columns as nilearn's
 * expression_to_contrast_vector (pandas eval): a column name alone, or
 * + - * / ( ) with numbers (`face-house`, `0.5*cat+0.5*dog-car`,
 * `(a+b)/2`); names that are not identifiers go in backquotes.  t contrast
 * c: effect = c beta, variance = sigma^2 c cov c', t = effect /
 * sqrt(max(variance, 1e-50)).  F contrast C (q rows): effect =
 * sqrtm(inv(C cov C')) C beta (q values), variance = sigma^2,
 * F = |effect|^2 / q / max(variance, 1e-50).  Several runs: per-run
 * contrasts (the same expression on each run's columns; a run where the
 * contrast is all zero is skipped with a warning), then fixed effects as
 * nilearn's Contrast addition: effect = mean over runs, variance = sum of
 * variances / runs^2, dof = sum of the runs' dof (for F this is nilearn's
 * "approximate fixed effects").  p = upper tail of t(dof) or F(q, dof), with
 * dof capped at 1e10; z = the normal quantile of the same tail (from the
 * lower tail when z < 0, p clipped to [1e-300, 1 - 1e-16]) as nilearn's
 * z_score.  NOTE: nilearn's p is one-sided (upper tail) for t.
 *
 * TRIALS.  LSA: every event its own condition `<condition>__<NNN>` (NNN =
 * 1-based count within its condition, nilearn's beta-series example), one
 * model.  LSS (Mumford et al. 2012, nilearn's example): one model per trial,
 * the trial alone as a condition and every other trial under its own
 * condition.  Because the trial's regressor and the rest of its condition
 * span the same space as the condition and the trial, every LSS model is
 * the standard model plus one column; bract solves all of them from one
 * factorisation of the standard model per AR coefficient (Frisch-Waugh:
 * beta_trial = beta_cond + (1 - g) r'y / r'r with r the trial regressor
 * residualised on the standard design and g its coefficient), with the
 * AR(1) coefficient of each trial's own model from rank-one updates of the
 * residual sums, exactly as refitting each model would give.  LSS needs a
 * one-column HRF (glover, spm, or fir with one delay).  A trial alone in its condition leaves
 * nilearn's model without that condition's column: its beta is the
 * condition's beta of the standard model.
 *
 * WHERE BRACT DIFFERS FROM NILEARN (on inputs nilearn accepts):
 *   - a rank-deficient design is an error naming the collinear columns
 *     (nilearn regularises it with a warning, see DESIGN above);
 *   - an event before f_0 + min_onset is an error (nilearn warns "not
 *     considered" but still places it at the first grid point), and so is an
 *     event at or after the end of the run (nilearn: a zero column), and a
 *     run not longer than the HRF (32 s);
 *   - a voxel with a non-finite value, or constant over a run, is left out
 *     with a warning and NaN results (nilearn's masker sets non-finite
 *     values to 0, and its AR(1) estimate divides by zero on a constant
 *     voxel);
 *   - a confound with n/a beyond its first row is an error (nilearn
 *     passes the NaN on to the fit).
 *
 * Thread safety: no function keeps static state; designs, fits and
 * contrasts are read-only once made and may be shared between threads.
 * Fits and LSS use OpenMP threads themselves (bract_set_threads) with BLAS
 * single-threaded (bract_init), and give the same bits for any number of
 * threads. */
#ifndef BRACT_GLM_H
#define BRACT_GLM_H

#include <stddef.h>

#include "bract/nuisance.h"
#include "bract/error.h"
#include "bract/events.h"
#include "bract/hrf.h"
#include "bract/progress.h"
#include "bract/sidecar.h"
#include "bract/volume.h"
#include "bract/mask.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- enums: parse (nilearn's spellings accepted) and name ---- */

typedef enum {
    BRACT_GLM_DRIFT_COSINE = 0,
    BRACT_GLM_DRIFT_POLYNOMIAL = 1,
    BRACT_GLM_DRIFT_NONE = 2
} bract_glm_drift;

typedef enum {
    BRACT_GLM_NOISE_AR1 = 0,  /* nilearn's default */
    BRACT_GLM_NOISE_OLS = 1
} bract_glm_noise;

typedef enum {
    BRACT_GLM_TRIALS_NONE = 0, /* one regressor per condition */
    BRACT_GLM_TRIALS_LSA = 1,  /* one regressor per trial, one model */
    BRACT_GLM_TRIALS_LSS = 2   /* one model per trial */
} bract_glm_trials;

/* Parse a name (case-insensitive): drift cosine, polynomial or none
 * (nilearn's None too); noise ols or ar1 (ar(1) too); trials none, lsa or
 * lss.  0, or BRACT_EINVAL with a message listing the valid names.  The
 * _name functions return the canonical (lower-case) name, "unknown" for a
 * value outside the enum. */
BRACT_API int bract_glm_drift_parse(const char *s, bract_glm_drift *out);
BRACT_API const char *bract_glm_drift_name(bract_glm_drift d);
BRACT_API int bract_glm_noise_parse(const char *s, bract_glm_noise *out);
BRACT_API const char *bract_glm_noise_name(bract_glm_noise n);
BRACT_API int bract_glm_trials_parse(const char *s, bract_glm_trials *out);
BRACT_API const char *bract_glm_trials_name(bract_glm_trials t);

/* ---- design matrices ---- */

typedef struct {
    bract_hrf_opts hrf;       /* model, FIR delays, oversampling 50, min_onset -24 s */
    bract_glm_drift drift;    /* default cosine */
    double high_pass;         /* cosine: Hz, default 0.01 */
    int drift_order;          /* polynomial: default 1 */
    double slice_time_ref;    /* fraction of the TR in [0, 1], default 0 */
} bract_glm_design_opts;

/* nilearn's FirstLevelModel defaults. */
BRACT_API void bract_glm_design_opts_defaults(bract_glm_design_opts *o);

typedef enum {
    BRACT_GLM_COL_TASK = 0,
    BRACT_GLM_COL_CONFOUND = 1,
    BRACT_GLM_COL_DRIFT = 2,
    BRACT_GLM_COL_CONSTANT = 3
} bract_glm_column_kind;

/* task, confound, drift, constant; parse: 0 or BRACT_EINVAL listing them. */
BRACT_API int bract_glm_column_kind_parse(const char *s, bract_glm_column_kind *out);
BRACT_API const char *bract_glm_column_kind_name(bract_glm_column_kind k);

typedef struct {
    size_t nvol;            /* volumes of the run */
    size_t nrow;            /* rows: volumes kept (nvol minus censored) */
    size_t ncol;            /* regressors */
    double tr;
    double *frame_times;    /* nvol frame times (s) */
    size_t *row_volume;     /* nrow: the volume of each row */
    char **name;            /* ncol column names, as nilearn's */
    bract_glm_column_kind *kind;
    double *x;              /* nrow x ncol, row-major */
    size_t ncond;           /* conditions, sorted; condition c owns columns */
    char **cond;            /*   c*nbasis .. c*nbasis + nbasis - 1 */
    size_t nbasis;
    size_t *cond_nevents;   /* events of each condition */
} bract_glm_design;

/* The design of one run of nvol volumes with repetition time tr (s):
 * events `ev` (may be NULL: no task columns), confounds `conf` (may be NULL;
 * nrows must equal nvol, and its censored volumes are dropped).  Errors
 * (BRACT_EDATA, naming the events file and line or the columns): an event
 * before f_0 + min_onset or at or after the end of the run (nvol TR), a run
 * not longer than the HRF kernel, confounds with another number of rows,
 * duplicate column names, fewer rows than columns, a rank-deficient design
 * (naming the collinear columns).  *out is owned by the caller. */
BRACT_API int bract_glm_design_new(const bract_events *ev, size_t nvol, double tr,
                                   const bract_nuisance *conf, const bract_glm_design_opts *o,
                                   bract_glm_design **out);

BRACT_API void bract_glm_design_free(bract_glm_design *d);

/* Column index by name, or -1. */
BRACT_API long bract_glm_design_find(const bract_glm_design *d, const char *name);

/* Write the design as TSV (one column per regressor, one row per kept
 * volume), atomically. */
BRACT_API int bract_glm_design_write(const bract_glm_design *d, const char *path, int force);

/* nilearn's frame times: linspace(s tr, (n - 1 + s) tr, n) into ft. */
BRACT_API void bract_glm_frame_times(size_t n, double tr, double slice_time_ref, double *ft);

/* Events relabelled one condition per trial: `<label>__<NNN>`, NNN the
 * 1-based count of the event within its label in file order (nilearn's LSA
 * example).  *out is owned by the caller (bract_events_free). */
BRACT_API int bract_glm_events_trialwise(const bract_events *ev, bract_events **out);

/* ---- estimation ---- */

typedef struct {
    bract_glm_noise noise;   /* default AR(1) */
    int ar_bins;             /* default 100 */
    size_t block;            /* voxels per block, 0 = 2048 */
    int keep_residuals;      /* store residuals (whitened for AR(1)) as float */
} bract_glm_fit_opts;

BRACT_API void bract_glm_fit_opts_defaults(bract_glm_fit_opts *o);

typedef struct {
    size_t nvox, ncol, nrow;
    double *beta;        /* nvox x ncol (voxel-major) */
    double *sigma2;      /* nvox: residual sum of squares / (nrow - ncol) */
    int *bin;            /* nvox: AR(1) coefficient bin (rho = bin / bins); 0 for OLS */
    int bins;            /* the bins of the fit (1 for OLS) */
    size_t nmodels;      /* distinct bins = whitened models */
    int *model_bin;      /* nmodels: their bins, ascending */
    double *model_cov;   /* nmodels x ncol x ncol: pinv(WX) pinv(WX)' */
    size_t *voxel_model; /* nvox: index into the models */
    double dof;          /* nrow - rank */
    float *resid;        /* nvox x nrow (voxel-major), or NULL */
    unsigned char *bad;  /* nvox: 1 for a voxel left out (non-finite or constant data) */
    size_t nbad_nonfinite, nbad_constant;
} bract_glm_fit;

/* Fit the design to nvox voxels: y holds each voxel's series of the run's
 * d->nvol volumes at y[v * ldy + t] (voxel-major, float; censored volumes
 * are skipped).  A voxel with a non-finite value, or constant over the kept
 * volumes, is left out (NaN results, flagged in bad[], counted, with one
 * warning).  prog may be NULL.  Uses the OpenMP threads of
 * bract_set_threads; results are identical for any number.  *out is owned
 * by the caller (bract_glm_fit_free). */
BRACT_API int bract_glm_fit_new(const bract_glm_design *d, const float *y, size_t ldy,
                                size_t nvox, const bract_glm_fit_opts *o,
                                const bract_progress *prog, bract_glm_fit **out);

BRACT_API void bract_glm_fit_free(bract_glm_fit *f);

/* ---- contrasts ---- */

typedef enum { BRACT_GLM_STAT_T = 0, BRACT_GLM_STAT_F = 1 } bract_glm_stat;

/* "t" or "F" (case-insensitive); 0 or BRACT_EINVAL.  _name gives "t"/"F". */
BRACT_API int bract_glm_stat_parse(const char *s, bract_glm_stat *out);
BRACT_API const char *bract_glm_stat_name(bract_glm_stat s);

/* A contrast vector (ncol values) from an expression over the column names
 * (see the top of this header).  Errors (BRACT_EINVAL) name the expression
 * and what was expected at which character; an unknown name lists the
 * columns. */
BRACT_API int bract_glm_contrast_vector(const char *expr, const char *const *names, size_t ncol,
                                        double *out);


typedef struct {
    bract_glm_stat stat;
    size_t dim;          /* 1 for t, rows for F */
    size_t nvox;
    double dof;          /* residual dof (summed over runs) */
    size_t nruns;        /* runs that entered (non-null contrasts) */
    double *effect;      /* dim x nvox */
    double *variance;    /* nvox */
    double *value;       /* nvox: t or F */
    double *p;           /* nvox: upper tail */
    double *z;           /* nvox */
} bract_glm_contrast;

/* The contrast of `nexpr` expressions (t: exactly one; F: one row each)
 * over nruns fitted runs (designs[r], fits[r] on the same voxels), with
 * fixed effects across runs.  An expression that names a column missing
 * from a run is an error naming the run; F rows that are linearly dependent
 * are an error.
 * *out is owned by the caller (bract_glm_contrast_free). */
BRACT_API int bract_glm_contrast_new(const bract_glm_design *const *designs,
                                     const bract_glm_fit *const *fits, size_t nruns,
                                     const char *const *exprs, size_t nexpr,
                                     bract_glm_stat stat, bract_glm_contrast **out);

BRACT_API void bract_glm_contrast_free(bract_glm_contrast *c);

/* z from an upper-tail p and lower-tail q = 1 - p (nilearn's z_score). */
BRACT_API double bract_glm_z_from_p(double p, double q);

/* ---- trials ---- */

/* LSS beta series of one run: the beta of every event of `ev` (in file
 * order), each from its own model (see TRIALS at the top of this header),
 * computed from the standard model.  *betas (nvox x ev->n, voxel-major:
 * (*betas)[v * ev->n + k]) is owned by the caller (free()).  Same inputs,
 * errors and bad-voxel handling as bract_glm_design_new and
 * bract_glm_fit_new (blocks of fopts->block voxels, 0 = 1024); the HRF must
 * give one column per condition (glover, spm, fir with one delay;
 * BRACT_EINVAL otherwise); a trial whose regressor is a combination of the
 * other columns is an error naming its line.  With
 * AR(1), each trial's coefficient comes from its own model's OLS residuals,
 * and the series are centred before the last product (the constant column
 * absorbs the mean), which keeps the BOLD mean out of the rounding. */
BRACT_API int bract_glm_lss(const bract_events *ev, size_t nvol, double tr,
                            const bract_nuisance *conf, const bract_glm_design_opts *dopts,
                            const float *y, size_t ldy, size_t nvox,
                            const bract_glm_fit_opts *fopts, const bract_progress *prog,
                            double **betas);

/* ---- a whole analysis: runs in, output directory out ---- */

typedef struct {
    const char *data;       /* 4-D BOLD NIfTI */
    const char *events;     /* BIDS events.tsv */
    const char *confounds;  /* fMRIPrep confounds TSV, or NULL */
} bract_glm_run_files;

typedef struct {
    const char *name;          /* file name part: letters, digits, - and _ */
    const char *const *exprs;  /* 1 expression: t; several: F */
    size_t nexpr;
    bract_glm_stat stat;       /* BRACT_GLM_STAT_F forces F for one expression */
} bract_glm_contrast_spec;

struct bract_single_opts; /* bract/single.h */

typedef struct {
    bract_glm_design_opts design;
    bract_nuisance_opts confounds;  /* applied to every run's --confounds */
    bract_glm_fit_opts fit;
    bract_glm_trials trials;
    double tr;                       /* > 0: given; 0: the header's (and sidecar's) */
    const bract_glm_contrast_spec *contrasts;
    size_t ncontrasts;
    int write_residuals;             /* default 1 */
    /* bit (1u << style) for a bract_stats_p_style other than p: each
     * contrast's p map is also written in that style, beside it, as
     * contrast-NAME_stat-p_STYLE.nii.gz (0, the default: p alone) */
    unsigned p_styles;
    int force;                       /* overwrite existing outputs */
    /* single-trial denoising (bract/single.h), or NULL (default): the
     * betas come from bract_single_new (its design and trials are taken
     * from this model's); contrasts and residuals stay the standard
     * model's */
    const struct bract_single_opts *denoise;
    const char *record;              /* the file the caller writes last (the CLI's DIR.json),
                                      * or NULL: while it is absent, outputs that a killed run
                                      * left (bract_output_drop_leftover) are replaced */
} bract_glm_opts;

BRACT_API void bract_glm_opts_defaults(bract_glm_opts *o);

/* What an analysis did, for the caller's report. */
typedef struct {
    size_t nruns, nvox;
    double tr;
    size_t nbetas;           /* volumes of betas.nii.gz */
    double residual_dof;     /* summed over runs */
    size_t nresid;           /* volumes of residuals.nii.gz */
    size_t nbad_nonfinite, nbad_constant;
    size_t ncensored;        /* volumes censored over all runs */
    size_t nfiles;
    char **files;            /* names written in the output directory */
    /* with denoise: each step's median split-half reliability */
    size_t nsteps;
    const char *step[4];             /* bract_single_step_name */
    double reliability[4];
    size_t reliability_voxels;       /* signal voxels */
    int noise_pcs;                   /* components in the model */
} bract_glm_summary;

BRACT_API void bract_glm_summary_free(bract_glm_summary *s);

/* The voxel series of a 4-D run within a mask, voxel-major as the fits take
 * them: (*y)[v * nvol + t] is volume t of mask voxel v (mask order), as
 * float (scaled by scl_slope/scl_inter; non-finite values kept).  The file
 * is streamed a few volumes at a time, never held whole.  `geom` (may be
 * NULL) is the mask's header, for the grid check.  *y is owned by the caller
 * (free()); *hdr (may be NULL) receives the run's header-only volume (TR,
 * geometry).  Errors name the file: not 4-D, another grid than the mask. */
BRACT_API int bract_glm_load_data(const char *path, const bract_mask *mask,
                                  const bract_volume *geom, float **y, size_t *nvol,
                                  bract_volume **hdr);

/* The repetition time of a BOLD file: `given` if > 0, else the header's;
 * the JSON sidecar's RepetitionTime (BIDS: the file name with .nii/.nii.gz
 * replaced by .json), when present, must agree with the header (and with
 * `given`) to 1e-4 s, else BRACT_EDATA naming both.  `header_tr` is the
 * header's value (0 if unknown). */
BRACT_API int bract_glm_run_tr(const char *bold_path, double header_tr, double given,
                               double *tr);

/* The whole first-level analysis of one subject: read every run (data
 * within the mask, events, confounds), build and check every design, fit,
 * compute the contrasts, then write into `outdir` (made if missing):
 *   design_run-<N>.tsv                   each run's design (N from 1)
 *   betas.nii.gz + betas.tsv             one volume per condition per run
 *                                        (columns condition, run) or, with
 *                                        trials, per trial (condition, run,
 *                                        trial, onset)
 *   residuals.nii.gz                     the runs' (whitened) residuals,
 *                                        kept volumes, run after run
 *   contrast-<NAME>_stat-<effect|variance|t|z|p>.nii.gz  (F contrasts: stat-F)
 * and, with denoise (bract/single.h):
 *   diagnostics.tsv                      each step's median split-half
 *                                        reliability (step, hrf_library,
 *                                        noise_pcs, ridge, median_reliability,
 *                                        change, voxels, p_worse, kept)
 *   reliability.nii.gz                   each voxel's, one volume per step
 *   onoff_r2.nii.gz, condition_r2.nii.gz cross-validated R2 of the on-off and
 *                                        condition models
 *   hrf_index.nii.gz + hrf_library.tsv   the voxel's library HRF (1-based;
 *                                        with the library)
 *   noise_pool.nii.gz, noise_pcs.nii.gz, noise_pcs_cv.tsv (the curve),
 *   noise_components_run-<N>.tsv         (with noise components)
 *   ridge_fraction.nii.gz                (with ridge)
 * each with a JSON sidecar made from `base` (may be NULL: a new "glm"
 * sidecar) plus the file's own keys; the residuals' sidecar holds
 * "ResidualDegreesOfFreedom" (the sum over runs of rows - rank), which
 * bract rdm neural --noise reads.  Statistic maps carry intent codes (TTEST
 * with dof, FTEST with (q, dof), ZSCORE, PVAL).  Nothing is written unless
 * every input is valid; a failure while writing removes what was written.
 * `summary` (may be NULL) receives the counts and file names. */
BRACT_API int bract_glm_analyse(const bract_glm_run_files *runs, size_t nruns,
                                const char *mask_path, const bract_glm_opts *o,
                                const char *outdir, bract_sidecar *base,
                                const bract_progress *prog, bract_glm_summary *summary);

/* The residual degrees of freedom of GLM residual volumes: the sum of the
 * "ResidualDegreesOfFreedom" of their sidecars.  *dof = 0 when no file has
 * one; an error when only some do. */
BRACT_API int bract_glm_residual_dof(const char *const *paths, size_t n, double *dof);

#ifdef __cplusplus
}
#endif
#endif
