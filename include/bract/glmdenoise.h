/* bract/glmdenoise.h: noise regressors from voxels without task signal (GLMdenoise,
 * Kay, Rokem, Winawer, Dougherty & Wandell 2013, Frontiers in Neuroscience
 * 7:247).
 *
 * The pieces that bract/single.h puts together, usable alone:
 *   - the noise components of one run: the leading eigenvectors of the
 *     Gram matrix E E' of the noise pool's residual series (E: n volumes x
 *     N voxels, each column scaled to unit length first so that no voxel
 *     dominates), that is the leading left singular vectors of E, computed
 *     in O(n^2 N) without holding E (the Gram matrix is summed a block of
 *     voxels at a time);
 *   - the number of components: given the cross-validated performance
 *     curve c_0 .. c_K of models with 0 .. K components, GLMdenoise's rule
 *     with its pcstop (1.05): with d_k = c_k - c_0 and D = max_k d_k, walk
 *     k = 0, 1, ...; each k that improves on the best so far becomes the
 *     choice, and the walk stops at the first choice with pcstop d_k >= D
 *     ("within 5% of the largest improvement"); pcstop = 1 takes the
 *     maximum.  No improvement (D <= 0) chooses 0.
 *
 * Thread safety: no state. */
#ifndef BRACT_GLMDENOISE_H
#define BRACT_GLMDENOISE_H

#include <stddef.h>

#include "bract/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Add the unit-length scaled columns of E (n x nvox, voxel v's residual
 * series at e[v * lde + t]) to the Gram matrix G (n x n, row-major, both
 * triangles); an all-zero column is skipped.  *nadded (may be NULL)
 * receives the number of columns added. */
BRACT_API int bract_glmdenoise_gram_add(const double *e, size_t lde, size_t n, size_t nvox,
                                        double *gram, size_t *nadded);

/* The k leading eigenvectors of the Gram matrix G (n x n, symmetric) as
 * columns of pcs (n x k, row-major, unit length, each with its largest
 * component positive), and their eigenvalues (may be NULL), descending.
 * Errors: k > n, LAPACK failure. */
BRACT_API int bract_glmdenoise_components(const double *gram, size_t n, size_t k, double *pcs,
                                          double *eigenvalues);

/* The number of components by GLMdenoise's rule (above) from the curve
 * c_0 .. c_kmax (kmax + 1 values; non-finite values never improve). */
BRACT_API size_t bract_glmdenoise_choose(const double *curve, size_t kmax, double pcstop);

#ifdef __cplusplus
}
#endif
#endif
