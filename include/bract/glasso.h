/* bract/glasso.h: the graphical lasso (L1-penalised inverse covariance).
 *
 * Minimises  -log det Theta + tr(S Theta) + lambda sum_{i != j} |Theta_ij|
 * over positive-definite Theta (Friedman, Hastie & Tibshirani 2008, block
 * coordinate descent with a coordinate-descent lasso per column).  The
 * diagonal is not penalised, as in scikit-learn's graphical_lasso (GIFT's
 * icatb_graphicalLasso penalises it), so W_ii = S_ii.  Iteration stops when
 * the duality gap  tr(S Theta) - p + lambda sum_{i != j} |Theta_ij|  falls
 * below tol (scikit-learn's criterion) after a sweep that changed no entry
 * of W by more than tol. */
#ifndef BRACT_GLASSO_H
#define BRACT_GLASSO_H

#include <stddef.h>

#include "bract/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bract_glasso_ws bract_glasso_ws;

/* Workspace for matrices of order p (one per thread; reused across calls). */
BRACT_API int bract_glasso_ws_new(size_t p, bract_glasso_ws **out);
BRACT_API void bract_glasso_ws_free(bract_glasso_ws *w);

/* S: p x p symmetric (row-major) with a positive diagonal.  On success W
 * (the regularised covariance) and Theta (its inverse, symmetrised) are
 * filled (p x p, either may be NULL); *iterations (may be NULL) receives the
 * number of sweeps.  BRACT_ENUMERIC when the gap does not fall below tol in
 * max_iter sweeps or a pivot is not positive. */
BRACT_API int bract_glasso(const double *S, size_t p, double lambda, double tol, int max_iter,
                           double *W, double *Theta, int *iterations, bract_glasso_ws *work);

#ifdef __cplusplus
}
#endif
#endif
