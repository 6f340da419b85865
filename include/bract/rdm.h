/* bract/rdm.h: the RDM engine: dissimilarity matrices of response patterns.
 *
 * A *design* says how the rows of a pattern matrix (the observations) map to
 * conditions and runs: one row per (run, condition) present, each the mean of
 * that condition's volumes in that run.  The pattern of a condition is the
 * mean of its rows (each run weighted equally).  Methods, P = voxels:
 *
 *   euclidean    d_ij = |b_i - b_j|^2 / P   (rsatoolbox);  `plain`: |b_i - b_j|
 *                (scipy, CoSMoMVPA)
 *   correlation  d_ij = 1 - Pearson r(b_i, b_j) across voxels
 *   cosine       d_ij = 1 - b_i.b_j / (|b_i| |b_j|)
 *   mahalanobis  d_ij = (b_i - b_j) L (b_i - b_j)' / P,  L = noise precision
 *   crossnobis   d_ij = 1/M sum_m (a_i^m - a_j^m) L (t_i^m - t_j^m)' / P over the
 *                M runs: t^m = the patterns of run m, a^m = the mean of the
 *                patterns of the other runs (leave one run out; rsatoolbox's
 *                balanced path).  Every condition must occur in every run.
 *
 * The noise precision L is the inverse of a covariance estimated from
 * residuals (rows x voxels): either given (e.g. GLM residual volumes), or the
 * pattern rows minus their condition's mean.  Estimators (rsatoolbox's
 * definitions; X = residuals with column means removed, n rows, dof):
 *   full            S = X'X / dof
 *   diag            diag(S)
 *   shrinkage_eye   s = X'X/n; m = tr(s)/P; d2 = |s - mI|_F^2;
 *                   b2 = min(d2, 1/n sum_jk [1/n sum_i (x_ij x_ik)^2 - s_jk^2]);
 *                   C = (b2/d2 m I + (d2 - b2)/d2 s) n / dof
 *   shrinkage_diag  S = X'X/dof; r_jk = (X'X)_jk / sqrt(S_jj S_kk) / (n-1);
 *                   r2_jk = sum_i (x_ij x_ik)^2 / (S_jj S_kk) / (n-1);
 *                   V = n/dof^2 (r2 - r^2); lambda = clip(sum_{j!=k} V / sum_{j!=k} r^2, 0, 1);
 *                   C = S with every off-diagonal entry times (1 - lambda)
 *   identity        L = I (mahalanobis = euclidean)
 * The degrees of freedom of residuals made from the patterns are
 * rows - conditions (the correct residual dof); BRACT_DOF_RSATOOLBOX uses
 * rsatoolbox's *_from_measurements value (conditions - 1) * repetitions
 * instead, to reproduce its numbers.  Given residuals have dof rows - 1
 * unless told otherwise.
 *
 * Everything is computed as blocked matrix products (CBLAS dsyrk/dgemm,
 * LAPACK Cholesky), never pair loops.  Use: build a plan once from the design
 * and options (immutable, shared by every thread), give each thread a
 * workspace, then call bract_rdm_compute() once per region or searchlight
 * sphere with that sphere's rows x voxels matrix; the call does not
 * allocate. */
#ifndef BRACT_RDM_H
#define BRACT_RDM_H

#include <stddef.h>

#include "bract/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- designs: which pattern row is which (run, condition) ---- */

/* Order of conditions in an RDM. */
typedef enum {
    BRACT_ORDER_FIRST = 0, /* order of first appearance in the conditions file */
    BRACT_ORDER_SORTED = 1 /* sorted by label, bytewise (= Unicode code point order for
                              UTF-8; Python's sorted(), as rsatoolbox) */
} bract_rdm_design_order;

typedef struct {
    size_t nvol;       /* volumes (rows of the conditions table) */
    size_t ncond;      /* distinct conditions kept */
    char **cond;       /* their labels, in RDM order */
    int has_run;       /* 0: no run column, every volume is in run "1" */
    size_t nrun;       /* distinct runs (order of first appearance) */
    char **run;        /* their labels */
    size_t nobs;       /* pattern rows: one per (run, condition) present */
    size_t *obs_cond;  /* condition index of each row */
    size_t *obs_run;   /* run index of each row */
    size_t *obs_nvol;  /* number of volumes averaged into each row */
    long *vol_obs;     /* row of each volume, or -1 for a volume left out */
    size_t *vol_run;   /* run index of each volume (left-out volumes too) */
    size_t nexcluded;  /* volumes left out (condition n/a or excluded) */
} bract_rdm_design;

typedef struct {
    bract_rdm_design_order order;
    const char *const *exclude;   /* condition labels whose volumes are left out */
    size_t nexclude;
} bract_rdm_design_opts;

/* A design from per-volume labels.  cond[v] NULL, "" or "n/a" leaves volume v
 * out; run may be NULL (a single run).  Rows are ordered by run, then by
 * condition.  Owned by the caller (bract_rdm_design_free).  o may be NULL. */
BRACT_API int bract_rdm_design_from_labels(const char *const *cond, const char *const *run,
                                       size_t nvol, const bract_rdm_design_opts *o,
                                       bract_rdm_design **out);

/* A design from a conditions table: column `condition`, optional `run`, one
 * row per volume.  Missing conditions ("n/a") leave the volume out; a missing
 * run is an error naming the line. */
BRACT_API int bract_rdm_design_read(const char *path, const bract_rdm_design_opts *o,
                                bract_rdm_design **out);

BRACT_API void bract_rdm_design_free(bract_rdm_design *d);

/* Index of the row of (run r, condition c), or -1. */
BRACT_API long bract_rdm_design_row(const bract_rdm_design *d, size_t r, size_t c);

/* ---- the engine ---- */

typedef enum {
    BRACT_RDM_EUCLIDEAN = 0,
    BRACT_RDM_CORRELATION = 1,
    BRACT_RDM_COSINE = 2,
    BRACT_RDM_MAHALANOBIS = 3,
    BRACT_RDM_CROSSNOBIS = 4
} bract_rdm_method;

typedef enum {
    BRACT_NOISE_SHRINKAGE_DIAG = 0,
    BRACT_NOISE_SHRINKAGE_EYE = 1,
    BRACT_NOISE_DIAG = 2,
    BRACT_NOISE_FULL = 3,
    BRACT_NOISE_IDENTITY = 4
} bract_rdm_noise_method;

/* Degrees of freedom of residuals made from the patterns (see above). */
typedef enum { BRACT_DOF_CORRECT = 0, BRACT_DOF_RSATOOLBOX = 1 } bract_dof_rule;

typedef struct {
    bract_rdm_method method;
    int plain;                 /* euclidean: |b_i - b_j| (not squared, not / P) */
    bract_rdm_noise_method noise;  /* mahalanobis, crossnobis */
    bract_dof_rule dof_rule;   /* residuals from the patterns */
    double noise_dof;          /* > 0: dof of given residuals (default rows - 1) */
    int precision_given;       /* the noise comes as a precision matrix (bract_rdm_noise.prec);
                                  the estimator is then not used */
} bract_rdm_opts;

/* Method and estimator names: "euclidean", "correlation", "cosine",
 * "mahalanobis", "crossnobis"; "shrinkage_diag", "shrinkage_eye", "diag",
 * "full", "identity" ("unknown" for a value out of range). */
BRACT_API const char *bract_rdm_method_name(bract_rdm_method m);
BRACT_API const char *bract_rdm_noise_method_name(bract_rdm_noise_method m);

/* The method or estimator named `name` in *out: 0, or BRACT_EINVAL with
 * "unknown RDM method 'x' (expected one of ...)" (noise: "unknown noise
 * method"); *out is left alone then. */
BRACT_API int bract_rdm_method_parse(const char *name, bract_rdm_method *out);
BRACT_API int bract_rdm_noise_method_parse(const char *name, bract_rdm_noise_method *out);

/* What the dissimilarities measure, in rsatoolbox's words (its RDMs'
 * dissimilarity_measure): "squared euclidean" (plain: "euclidean"),
 * "correlation", "cosine", "squared mahalanobis", "crossnobis". */
BRACT_API const char *bract_rdm_measure_name(const bract_rdm_opts *o);

/* 1 if the method uses a noise precision. */
BRACT_API int bract_rdm_needs_noise(const bract_rdm_opts *o);

typedef struct bract_rdm_plan bract_rdm_plan;
typedef struct bract_rdm_ws bract_rdm_ws;

/* A plan for `d` (copied) and `o`, for matrices of up to max_vox voxels and,
 * when residuals are given to bract_rdm_compute, up to max_res residual rows
 * (0 if the noise comes from the patterns).  Checks the design against the
 * method: crossnobis needs 2 or more runs with every condition in every run;
 * noise from the patterns needs rows > conditions.  Free with
 * bract_rdm_plan_free; read-only afterwards, so threads share it. */
BRACT_API int bract_rdm_plan_new(const bract_rdm_design *d, const bract_rdm_opts *o, size_t max_vox,
                                 size_t max_res, bract_rdm_plan **out);
BRACT_API void bract_rdm_plan_free(bract_rdm_plan *p);

/* Conditions (= RDM size) and pattern rows of a plan. */
BRACT_API size_t bract_rdm_plan_ncond(const bract_rdm_plan *p);
BRACT_API size_t bract_rdm_plan_nobs(const bract_rdm_plan *p);

/* One workspace per thread (all the buffers a compute call needs, sized
 * from the plan).  Free with bract_rdm_ws_free. */
BRACT_API int bract_rdm_ws_new(const bract_rdm_plan *p, bract_rdm_ws **out);
BRACT_API void bract_rdm_ws_free(bract_rdm_ws *w);

/* Noise for mahalanobis and crossnobis (pass NULL to estimate it from the
 * pattern rows).  Either residual rows with the same voxel columns as the
 * patterns (resid: nres x nvox, row stride ldr), estimated with the plan's
 * estimator, or a precision matrix given outright (prec: nvox x nvox, row
 * stride ldp, symmetric positive definite; the plan must have been made
 * with precision_given). */
typedef struct {
    const double *resid;
    size_t ldr, nres;
    const double *prec;
    size_t ldp;
} bract_rdm_noise;

/* What a compute call found (optional). */
typedef struct {
    double shrinkage;  /* lambda of the shrinkage estimators (NaN otherwise) */
    double dof;        /* degrees of freedom of the noise estimate (NaN if none) */
    size_t nres;       /* residual rows used */
    size_t nnan;       /* pairs left NaN (a constant or zero pattern) */
} bract_rdm_info;

/* The RDM of one pattern matrix: x holds the plan's nobs rows x nvox voxels
 * (row stride ldx >= nvox, finite values); d receives the ncond(ncond-1)/2
 * dissimilarities in condensed order.  Does not allocate; w must not be
 * used by another thread at the same time.  Errors: nvox above the plan's
 * max_vox, a singular noise covariance, a voxel with zero residual
 * variance.  info may be NULL. */
BRACT_API int bract_rdm_compute(const bract_rdm_plan *p, bract_rdm_ws *w, const double *x,
                                size_t ldx, size_t nvox, const bract_rdm_noise *noise,
                                double *d, bract_rdm_info *info);

/* The noise covariance the plan's estimator gives for residual rows
 * (nres x nvox, stride ldr) with `dof` degrees of freedom (<= 0: nres - 1):
 * cov receives nvox x nvox values (full symmetric), *shrinkage lambda
 * (NaN for full/diag/identity).  Allocates; for tests and reports. */
BRACT_API int bract_rdm_noise_covariance(bract_rdm_noise_method m, const double *resid, size_t ldr,
                                     size_t nres, size_t nvox, double dof, double *cov,
                                     double *shrinkage);

#ifdef __cplusplus
}
#endif
#endif
