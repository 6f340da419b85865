/* bract/single.h: single-trial betas worth comparing: per-voxel HRFs, noise
 * regressors and ridge regularisation (the three steps of GLMsingle, Prince,
 * Charest, Kurzawski, Pyles, Tarr & Kay 2022, eLife 11:e77599), each
 * switchable, with a diagnostic of what each step did.
 *
 * Every model here is fitted by ordinary least squares (as GLMsingle), on
 * each run's kept volumes, with the run's nuisance columns N (the
 * confounds, the drift and the constant of bract/glm.h) and, from the noise
 * step on, its noise components: P = I - Q Q' projects them out, Q an
 * orthonormal basis of their span, and every regression below is of P y
 * on P X (Frisch-Waugh: the same task coefficients as the regression of y
 * on [X, N]).  Trials are the events of each run in file order, their
 * conditions the trial_type labels, matched across runs by name.
 *
 * STEP 0, THE BASELINE: the beta series of bract/glm.h (--trials lss:
 * Mumford's LSS with every other trial under its own condition; lsa: one
 * model, one column per trial) with the design's HRF (glover).
 *
 * STEP 1, HRF LIBRARY (hrf_library = 1): for every HRF h of bract/hrflib.h
 * the on-off model (one column: all trials of the run, regressors summed)
 * is cross-validated across runs: leaving out run t, the on-off beta b_t
 * is fitted on the other runs (jointly, each with its own nuisance), and
 * predicts run t with its nuisance columns fitted to it:
 *     R2_h = 1 - sum_t |P_t y_t - b_t P_t o_th|^2 / sum_t |P_t y_t|^2.
 * Each voxel takes the h of the largest R2_h (the first on ties).  The
 * single-trial models of the following steps use the voxel's HRF.  The
 * voxel's on-off R2, for the thresholds below, is that of the design's
 * HRF (GLMsingle's type-A model): the largest of 21 R2 values is biased
 * upwards in voxels without signal.
 *
 * THE CONDITION MODEL AND THE R2 THRESHOLDS.  The condition model (one
 * column per condition, the trials of a condition summed, the voxel's HRF)
 * is cross-validated across runs as in step 2 below (with no components):
 * its R2 measures responses that differ between conditions, which the
 * on-off model misses when they do not share a mean.  A voxel whose on-off
 * R2 or condition R2 is above its threshold is a "signal" voxel (the noise
 * step's curve and the diagnostics use them); one below both may join the
 * noise pool.  Auto thresholds (r2_threshold NaN, the default): max(0, -q),
 * q the 1st percentile of that R2 over all voxels: without signal, a
 * voxel's cross-validated R2 is skewed to negative values (a beta fitted
 * to noise adds error to the prediction), so voxels above -q are rarely
 * noise.  A given r2_threshold applies to both.  If fewer than
 * min(100, voxels) are signal voxels, the 100 of largest R2 (above its
 * threshold) are (a warning says so).
 *
 * STEP 2, NOISE COMPONENTS (noise_pcs != 0), GLMdenoise (bract/glmdenoise.h):
 * the noise pool is the voxels whose on-off R2 and condition R2 are both
 * below their thresholds (a voxel with condition-specific responses would
 * make the components task regressors, and a design whose trials the
 * components explain cannot be estimated).  In each run their residuals
 * P y - o (o'P y / o'P o) (o the voxel's on-off regressor: the task is
 * taken out, not only the nuisance) give the run's max_noise_pcs leading
 * components, made orthogonal to N and appended to it.  The number k of components is fixed (noise_pcs > 0) or chosen
 * (BRACT_SINGLE_PCS_AUTO) by GLMdenoise's leave-one-run-out cross-
 * validation of the task model (one column per condition, each voxel's
 * HRF) with 0 .. max_noise_pcs components: leaving out run t, the
 * condition betas b_t are fitted on the other runs, and
 *     R2_k = 1 - sum_t |P_tk y_t - P_tk C_t b_t|^2 / sum_t |P_tk y_t|^2
 * (P_tk projects out run t's nuisance and first k components; conditions
 * absent from the training runs predict 0); the curve is the median of
 * R2_k over the signal voxels (at most 20,000 of them, every m-th in mask
 * order), and k follows GLMdenoise's rule with pcstop (1.05).  An empty
 * noise pool (or one smaller than max_noise_pcs + 1 voxels) falls back to
 * no components, with a warning.
 *
 * STEP 3, RIDGE (ridge = BRACT_SINGLE_RIDGE_AUTO), fracridge
 * (bract/fracridge.h) on the LSA design of every run (one column per trial,
 * the voxel's HRF, N and the k components projected out): one alpha per
 * voxel for all runs (the fraction of the length of all its trial betas),
 * for each fraction of `fractions` (default 0.05, 0.10, .., 1) and 1
 * (least squares).  The alphas come from a grid of 20 per decade over
 * [1e-4 s_min^2, 1e4 s_max^2] (the voxel's fraction curve computed there by
 * one matrix product), interpolated linearly in log alpha; the betas are
 * the exact ridge solution of that alpha, and the fraction reported is the
 * one it achieves (within 1e-3 of the grid's).  The fraction is chosen per
 * voxel by cross-validated reliability across runs, as GLMsingle: the
 * squared difference between every trial's least-squares beta in a run
 * and the fraction's betas of the same condition in the other runs,
 *     E_f = sum_t sum_{i in run t} sum_{j not in run t, cond j = cond i}
 *           w_i (b_f(j) - b_1(i))^2,
 * the smallest E_f wins (the larger fraction on ties).  With autoscale
 * the chosen betas are then mapped by the weighted least-squares line from
 * them to the least-squares betas of the voxel (scale and offset, weights
 * w; no change when the scale would be negative), so that their scale is
 * comparable with least squares, as GLMsingle's wantautoscale.  The
 * weight w_i of a trial is 1 / its least-squares variance factor
 * [(X'X)^-1]_ii, where GLMsingle weighs every trial alike: in a balanced
 * design the weights are about equal and change little, but a trial whose
 * response the run hardly records (at its very end) has a least-squares
 * beta of enormous variance, which would otherwise decide both the choice
 * and the line (and scale every other beta by it).  (GLMsingle also
 * z-scores the betas by the least-squares betas' mean and deviation
 * first, which, for one session, scales E_f by a voxel's constant and
 * changes no choice.)  With --trials lss the ridge step starts from the
 * LSA model (fraction 1 is LSA).
 *
 * DIAGNOSTICS.  After each step, the split-half reliability of a voxel's
 * betas: the Pearson correlation, over the conditions present in both
 * halves (at least 3), of the condition means (over trials) of the odd
 * runs and of the even runs; its median over the signal voxels, the same
 * voxels for every step.  A step is compared with the last kept step by
 * the sign test of the signal voxels whose reliability it lowered (ties
 * out; exact binomial up to 500 voxels, normal approximation beyond):
 * with one-sided p < 0.01 the step is left out (a warning; later steps
 * build on the last kept one), unless keep_worse.  Weak evidence keeps the
 * step, as GLMsingle would.
 *
 * Bad input: a trial whose regressor, the nuisance taken out, is under
 * 10% of the run's median (the run ends before its response) gets a
 * warning naming it: its betas are mostly noise, in every step.  Fewer
 * than 2 runs (nothing to cross-validate) is an error, and so is a study
 * where no condition occurs in two runs (the cross-validation of the
 * components and of the ridge fraction, and the reliability, need one).
 * A voxel with a non-finite value, or constant in a run, is left out (NaN
 * betas, a warning).
 *
 * Computation: the voxels in fixed blocks, sorted by HRF so that each
 * model is one matrix product over its voxels (BLAS), OpenMP over blocks;
 * every sum whose order could depend on the threads is made in block
 * order: results are identical for any number of threads.  Memory: the
 * runs' data (float, given by the caller) plus the final betas (double)
 * plus per-thread blocks.
 *
 * Thread safety: no static state; bract_single_new reads its inputs only
 * and uses the OpenMP threads of bract_set_threads itself (BLAS one thread
 * per worker, bract_init); a bract_single is read-only once made.  Warnings
 * are queued on the calling thread. */
#ifndef BRACT_SINGLE_H
#define BRACT_SINGLE_H

#include <stddef.h>

#include "bract/error.h"
#include "bract/events.h"
#include "bract/glm.h"
#include "bract/nuisance.h"
#include "bract/progress.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    BRACT_SINGLE_RIDGE_NONE = 0,
    BRACT_SINGLE_RIDGE_AUTO = 1 /* fraction per voxel by cross-validation */
} bract_single_ridge;

/* "none" or "auto" (case-insensitive); 0 or BRACT_EINVAL.  _name gives the
 * canonical name, "unknown" outside the enum. */
BRACT_API int bract_single_ridge_parse(const char *s, bract_single_ridge *out);
BRACT_API const char *bract_single_ridge_name(bract_single_ridge r);

/* noise_pcs: choose the number by cross-validation */
#define BRACT_SINGLE_PCS_AUTO (-1)

/* A number of noise components: "auto" (BRACT_SINGLE_PCS_AUTO) or an
 * integer 0..1000; 0 or BRACT_EINVAL. */
BRACT_API int bract_single_pcs_parse(const char *s, int *out);

/* An R2 threshold: "auto" (NaN) or a number below 1; 0 or BRACT_EINVAL. */
BRACT_API int bract_single_r2_parse(const char *s, double *out);

typedef struct bract_single_opts {
    bract_glm_design_opts design; /* drift, slice timing, the baseline's HRF (one column) */
    bract_glm_trials trials;      /* LSS (default) or LSA */
    int hrf_library;              /* per-voxel HRF from bract/hrflib.h (default 1) */
    int noise_pcs;                /* BRACT_SINGLE_PCS_AUTO (default), 0 (none) or a number */
    int max_noise_pcs;            /* components tried (default 10) */
    double pcstop;                /* GLMdenoise's stopping rule (default 1.05) */
    double r2_threshold;          /* on-off R2 threshold; NaN (default): auto */
    bract_single_ridge ridge;     /* default AUTO */
    const double *fractions;      /* ridge fractions in (0, 1]; NULL: 0.05, 0.10, .., 1 */
    size_t nfractions;
    int autoscale;                /* rescale ridge betas to least squares (default 1) */
    size_t block;                 /* voxels per block, 0 = 256 */
    int keep_worse;               /* keep a step that lowers the reliability (default 0; see
                                     DIAGNOSTICS) */
    int keep_steps;               /* keep every step's betas (for tests and figures) */
} bract_single_opts;

BRACT_API void bract_single_opts_defaults(bract_single_opts *o);

/* One run as the caller holds it. */
typedef struct {
    const bract_events *events;      /* the run's trials, file order */
    const bract_nuisance *confounds; /* may be NULL (censored volumes are dropped) */
    size_t nvol;
    double tr;
    const float *y;                  /* voxel v's volume t at y[v * ldy + t] */
    size_t ldy;                      /* >= nvol */
} bract_single_run;

typedef enum {
    BRACT_SINGLE_STEP_BASELINE = 0, /* LSS or LSA with the design's HRF */
    BRACT_SINGLE_STEP_HRF = 1,      /* + the voxel's HRF from the library */
    BRACT_SINGLE_STEP_NOISE = 2,    /* + noise components */
    BRACT_SINGLE_STEP_RIDGE = 3     /* + ridge (fracridge on LSA) */
} bract_single_step_kind;

/* "baseline", "hrf_library", "noise_pcs", "ridge". */
BRACT_API const char *bract_single_step_name(bract_single_step_kind k);

typedef struct {
    bract_single_step_kind kind;
    int kept;                  /* 0: left out for lowering the reliability (see keep_worse) */
    double p_worse;            /* sign test against the last kept step (NaN: the baseline) */
    double median_reliability; /* over the signal voxels (NaN when undefined) */
    size_t nvoxels;            /* signal voxels with a defined reliability */
    double *reliability;       /* nvox: each voxel's (NaN when undefined) */
    double *betas;             /* nvox x ntrials with keep_steps, else NULL */
} bract_single_step;

typedef struct {
    size_t nvox, nruns, ntrials;
    size_t *run_first;       /* nruns + 1: run r's trials are run_first[r] .. run_first[r+1]-1 */
    size_t ncond;
    char **cond;             /* condition labels, sorted bytewise */
    size_t *trial_cond;      /* ntrials: condition of each trial */
    double *betas;           /* nvox x ntrials: the last step's (NaN for bad voxels) */
    unsigned char *bad;      /* nvox: 1 non-finite, 2 constant in some run */
    size_t nbad;
    int *hrf;                /* nvox: library index (0-based), -1 without the library */
    double *onoff_r2;        /* nvox: cross-validated on-off R2, the design's HRF (NaN for
                                bad voxels) */
    double *hrf_r2;          /* nvox: that of the library HRF chosen (NaN without) */
    double *cond_r2;         /* nvox: cross-validated R2 of the condition model */
    double r2_threshold;     /* the thresholds used: on-off */
    double cond_r2_threshold; /*   and condition model */
    unsigned char *pool;     /* nvox: in the noise pool */
    unsigned char *signal;   /* nvox: signal voxel */
    size_t npool, nsignal;
    size_t npool_condition;  /* below the on-off threshold, left out of the pool for the
                                condition model's R2 */
    int max_pcs;             /* components computed per run (0 without the noise step) */
    int npcs;                /* components in the model */
    double *pc_curve;        /* max_pcs + 1 median R2 values, or NULL (not cross-validated) */
    size_t *run_rows;        /* nruns: kept volumes */
    double **pcs;            /* nruns: run_rows[r] x max_pcs (row-major), or NULL */
    size_t nfractions;       /* the candidate fractions (descending; 1 first) */
    double *fractions;
    double *fraction;        /* nvox: achieved fraction of the chosen one (NULL without ridge) */
    double *alpha;           /* nvox: its alpha */
    double *scale, *offset;  /* nvox: the autoscale line (1, 0 without autoscale) */
    size_t nsteps;
    bract_single_step steps[4];
    size_t last_kept;        /* the step whose betas are `betas` */
} bract_single;

BRACT_API void bract_single_free(bract_single *r);

/* The single-trial betas of nvox voxels over nruns runs (see the top of
 * this header).  Errors: fewer than 2 runs, a run without events, a design
 * error (bract_glm_design_new), trials that cannot be told apart (naming
 * the events file and line), no condition in two runs (see above), an HRF
 * with more than one column.  Uses the OpenMP threads of bract_set_threads;
 * identical for any number.  *out is owned by the caller
 * (bract_single_free). */
BRACT_API int bract_single_new(const bract_single_run *runs, size_t nruns, size_t nvox,
                               const bract_single_opts *o, const bract_progress *prog,
                               bract_single **out);

#ifdef __cplusplus
}
#endif
#endif
