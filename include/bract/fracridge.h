/* bract/fracridge.h: fractional ridge regression (Rokem & Kay 2020, "Fractional
 * ridge regression: a fast, interpretable reparameterization of ridge
 * regression", GigaScience 9:giaa133).
 *
 * For a design X (n x p, n >= p, full column rank) with thin singular value
 * decomposition X = U S V' and a target y, the ridge coefficients are
 *     b(alpha) = (X'X + alpha I)^-1 X'y = V diag(s_i / (s_i^2 + alpha)) U'y,
 * and their length relative to the least-squares solution b(0),
 *     f(alpha) = |b(alpha)| / |b(0)|,
 *     |b(alpha)|^2 = sum_i w_i^2 s_i^2 / (s_i^2 + alpha)^2,  w = U'y,
 * falls from 1 at alpha = 0 to 0 as alpha grows.  Fractional ridge names a
 * regularisation level by f instead of alpha: the same f means the same
 * shrinkage for targets of any scale, and one SVD of X serves every
 * target and every level.  f and alpha depend on X and y only through the
 * singular values s and the rotated target w, so the functions below take
 * (s, w) and work as well for a block-diagonal design (several runs: the
 * union of the blocks' s and w).
 *
 * Thread safety: no state; a bract_fracridge is read-only once made. */
#ifndef BRACT_FRACRIDGE_H
#define BRACT_FRACRIDGE_H

#include <stddef.h>

#include "bract/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    size_t n, p;
    double *u;  /* n x p, row-major */
    double *s;  /* p singular values, descending */
    double *vt; /* p x p, row-major: V' */
} bract_fracridge;

/* The SVD of X (n x p, row-major, n >= p >= 1).  Errors: BRACT_EINVAL for
 * the sizes, BRACT_EDATA when X is rank-deficient (smallest singular value
 * <= max(n, p) eps times the largest), BRACT_ENUMERIC when LAPACK fails.
 * *out is owned by the caller (bract_fracridge_free). */
BRACT_API int bract_fracridge_new(const double *X, size_t n, size_t p, bract_fracridge **out);
BRACT_API void bract_fracridge_free(bract_fracridge *f);

/* f(alpha) for singular values s and rotated target w (m values each);
 * 1 for alpha = 0, and 0 when w is all zero. */
BRACT_API double bract_fracridge_fraction(const double *s, const double *w, size_t m,
                                          double alpha);

/* The alpha >= 0 with f(alpha) = frac, 0 < frac <= 1 (0 for frac = 1),
 * to 1e-12 relative in f (safeguarded Newton steps on log alpha).  A zero
 * target gives 0.  Errors: frac outside (0, 1], a singular value <= 0. */
BRACT_API int bract_fracridge_alpha(const double *s, const double *w, size_t m, double frac,
                                    double *alpha);

/* The ridge coefficients b(alpha) of target y (n values) into b (p values). */
BRACT_API int bract_fracridge_coef(const bract_fracridge *f, const double *y, double alpha,
                                   double *b);

#ifdef __cplusplus
}
#endif
#endif
