/* bract/mds.h: classical (Torgerson) multidimensional scaling.
 *
 * Given dissimilarities d_ij of n items, classical MDS double-centres the
 * squared dissimilarities, B = -1/2 J D2 J with J = I - 11'/n, and takes the
 * eigenvectors of B with the largest eigenvalues, each scaled by the square
 * root of its eigenvalue, as coordinates.  When the d_ij are Euclidean
 * distances of points in k or fewer dimensions, the coordinates reproduce
 * them exactly (up to rotation, reflection and translation; they are
 * centred).  Eigenvectors come from LAPACK's dsyevd; each is given the sign
 * that makes its largest-magnitude component (the first of them within a
 * relative 1e-9) positive, so the output does not depend on the solver's
 * sign choice. */
#ifndef BRACT_MDS_H
#define BRACT_MDS_H

#include <stddef.h>

#include "bract/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    double eig[8];      /* the k largest eigenvalues of B, descending (k <= 8) */
    double pos_sum;     /* the sum of B's positive eigenvalues */
    double neg_sum;     /* the sum of its negative ones (<= 0; 0 for Euclidean input) */
    size_t nnegative;   /* of the k dimensions, how many had eigenvalue <= 0 (set to 0) */
} bract_mds_info;

/* Coordinates of n items in k dimensions (1 <= k <= min(8, n)) from the
 * condensed dissimilarities d (n(n-1)/2, i < j row-major).  coords receives
 * n*k values, item-major (coords[i*k + a]).  A dimension with a
 * non-positive eigenvalue gets coordinate 0.  info may be NULL.  Non-finite
 * or negative dissimilarities are an error naming the pair. */
BRACT_API int bract_mds_classical(const double *d, size_t n, size_t k, double *coords,
                                  bract_mds_info *info);

#ifdef __cplusplus
}
#endif
#endif
