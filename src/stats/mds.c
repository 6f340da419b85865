/* Classical multidimensional scaling (see bract/mds.h). */
#include "base/internal.h"

#include <math.h>
#include <string.h>

#include <lapacke.h>

#include "bract/mds.h"

int bract_mds_classical(const double *d, size_t n, size_t k, double *coords,
                        bract_mds_info *info)
{
    if (n < 2 || k < 1 || k > 8 || k > n)
        return bract_error(BRACT_EINVAL, "classical MDS needs 1 <= k <= min(8, n) dimensions "
                           "(n = %zu items, k = %zu)", n, k);
    for (size_t i = 0, p = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++, p++)
            if (!isfinite(d[p]) || d[p] < 0)
                return bract_error(BRACT_EDATA, "classical MDS: the dissimilarity of items %zu "
                                   "and %zu is %g (expected a finite value >= 0)",
                                   i + 1, j + 1, d[p]);
    double *b = bract_xmalloc(n * n, sizeof *b, "the MDS matrix");
    double *w = bract_xmalloc(n, sizeof *w, "the MDS eigenvalues");
    double *rowm = bract_xmalloc(n, sizeof *rowm, "the MDS row means");
    if (!b || !w || !rowm) {
        free(b);
        free(w);
        free(rowm);
        return BRACT_ENOMEM;
    }
    /* squared dissimilarities, then double centring:
     * b_ij = -1/2 (d2_ij - mean_i - mean_j + grand mean), sums in fixed order */
    for (size_t i = 0; i < n; i++) {
        b[i * n + i] = 0;
        for (size_t j = i + 1; j < n; j++) {
            double x = d[bract_pair_index(n, i, j)];
            b[i * n + j] = b[j * n + i] = x * x;
        }
    }
    double grand = 0;
    for (size_t i = 0; i < n; i++) {
        double s = 0;
        for (size_t j = 0; j < n; j++)
            s += b[i * n + j];
        rowm[i] = s / (double)n;
        grand += rowm[i];
    }
    grand /= (double)n;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            b[i * n + j] = -0.5 * (b[i * n + j] - rowm[i] - rowm[j] + grand);
    int rc = BRACT_OK;
    lapack_int st = LAPACKE_dsyevd(LAPACK_ROW_MAJOR, 'V', 'U', (lapack_int)n, b, (lapack_int)n, w);
    if (st != 0) {
        rc = bract_error(BRACT_ENUMERIC, "classical MDS: the eigen-decomposition failed "
                         "(LAPACK dsyevd info %d)", (int)st);
        goto done;
    }
    bract_mds_info inf;
    memset(&inf, 0, sizeof inf);
    for (size_t i = 0; i < n; i++) {
        if (w[i] > 0)
            inf.pos_sum += w[i];
        else
            inf.neg_sum += w[i];
    }
    /* a tiny negative or positive eigenvalue from rounding is zero: the
     * scale is the largest magnitude */
    double big = fmax(fabs(w[0]), fabs(w[n - 1]));
    for (size_t a = 0; a < k; a++) {
        size_t col = n - 1 - a; /* eigenvalues ascend */
        double lam = w[col];
        inf.eig[a] = lam;
        int usable = lam > 1e-12 * big;
        if (!usable)
            inf.nnegative++;
        /* sign: largest-magnitude component positive (the first within 1e-9) */
        double m = 0;
        for (size_t i = 0; i < n; i++)
            m = fmax(m, fabs(b[i * n + col]));
        double sign = 1;
        for (size_t i = 0; i < n; i++)
            if (fabs(b[i * n + col]) >= m * (1 - 1e-9)) {
                sign = b[i * n + col] < 0 ? -1 : 1;
                break;
            }
        double s = usable ? sign * sqrt(lam) : 0;
        for (size_t i = 0; i < n; i++)
            coords[i * k + a] = s * b[i * n + col];
    }
    if (info)
        *info = inf;
done:
    free(b);
    free(w);
    free(rowm);
    return rc;
}
