/* Private pieces of the single-trial pipeline (bract/single.h): single.c
 * runs it, single_cv.c chooses the number of noise components,
 * single_ridge.c fits the ridge step.  Never installed. */
#ifndef BRACT_SINGLE_INTERNAL_H
#define BRACT_SINGLE_INTERNAL_H

#include "glm/glm_internal.h"

#include "bract/single.h"

/* One run, prepared. */
typedef struct {
    const bract_single_run *in;
    bract_glm_design *nd;   /* nuisance design: confounds, drift, constant */
    size_t n;               /* kept volumes (rows) */
    int contiguous;         /* rows are volumes 0 .. n-1 */
    size_t nq0;             /* nuisance basis columns */
    size_t nq;              /* columns of q: nq0 + the run's components */
    double *q;              /* n x nq: orthonormal basis of the nuisance, then the components */
    size_t K, first;        /* trials, index of the first in the study */
    size_t *tc;             /* K: the trial's condition (study index) */
    size_t J;               /* conditions present in the run */
    size_t *jg;             /* J: their study index, ascending */
    size_t *tj;             /* K: the trial's condition (run index) */
    unsigned char *alone;   /* K: the only trial of its condition in the run */
    double **x;             /* nmodels: n x K trial regressors (kept rows) of each model */
} srun;

/* The state shared by the stages. */
typedef struct {
    const bract_single_opts *o;
    size_t nruns, nvox, ntrials, ncond;
    srun *run;
    size_t nmodels;          /* library HRFs (0 without) + 1: model nmodels-1 is the baseline's */
    size_t maxn;             /* the longest run's kept volumes */
    size_t B;                /* voxels per block */
    bract_single *res;
    int *model;              /* nvox: model of each voxel (the baseline's without the library) */
    size_t kpcs;             /* components in the model */
    /* the ridge step */
    int one_candidate;       /* fraction 1 is a candidate, not only the reference */
    size_t gmax;             /* the largest alpha grid of the ridge models */
    size_t npair;            /* (run, condition) pairs with trials */
    size_t *tpair;           /* ntrials: the pair of each trial */
} sctx;

/* Voxel v's kept volumes of run r as double into row; 0 usable, 1 a
 * non-finite value, 2 constant. */
int bract_singlei_load(const srun *r, size_t v, double *row);

/* x <- P x for the columns of x (n x m, row-major, leading dimension ld):
 * x - Q (Q' x) with Q the first nq columns of r->q. */
int bract_singlei_project(const srun *r, size_t nq, double *x, size_t m, size_t ld);

/* The cross-validated R2 of the condition model with 0 .. kmax of the runs'
 * components (bract/single.h, step 2) of the voxels vox[0 .. n-1] (each
 * with its model) into r2 (n x (kmax + 1)). */
int bract_singlei_cv_r2(const sctx *c, const size_t *vox, size_t n, size_t kmax, double *r2);

/* The curve of median cross-validated R2 with 0 .. max components over the
 * signal voxels (at most 20,000 of them) into res->pc_curve. */
int bract_singlei_pc_curve(sctx *c);

/* The ridge step's per-model factors and the fit of a group of voxels. */
typedef struct {
    size_t model;
    double **u, **s, **vt;   /* per run: n x K, K, K x K */
    double *sall;            /* ntrials: every run's singular values, run after run */
    double *wt;              /* ntrials: 1 / the least-squares variance factor of each trial */
    double *wother;          /* ntrials: sum of wt over its condition's trials in other runs */
    size_t ngrid;
    double *lgrid;           /* ngrid: log alpha of the grid */
    double *mgrid;           /* ntrials x ngrid: s^2 / (s^2 + alpha)^2 */
} ridge_model;

/* The SVD of model `model`'s trial regressors in every run (the nuisance
 * and the c->kpcs components projected out) and its alpha grid; errors
 * name the run.  Clear with bract_singlei_ridge_model_clear. */
int bract_singlei_ridge_model(const sctx *c, size_t model, ridge_model *rm);
void bract_singlei_ridge_model_clear(const sctx *c, ridge_model *rm);

/* Per-thread workspace of the ridge fit. */
typedef struct {
    size_t cap;              /* voxels */
    double *w, *wsq, *gn, *gam, *bf, *agg;
} ridge_ws;

int bract_singlei_ridge_ws_init(const sctx *c, size_t cap, ridge_ws *w);
void bract_singlei_ridge_ws_clear(ridge_ws *w);

/* The ridge betas of nv voxels of one model: ys[r] holds their series of
 * run r (nv x run n, row-major); out (nv x ntrials) receives the final
 * betas; fraction, alpha, scale, offset (nv each) the choices. */
int bract_singlei_ridge_fit(const sctx *c, const ridge_model *rm, double *const *ys, size_t nv,
                            ridge_ws *w, double *out, double *fraction, double *alpha,
                            double *scale, double *offset);

#endif
