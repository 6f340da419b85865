/* Noise components of a noise pool and GLMdenoise's choice of their number
 * (bract/glmdenoise.h). */
#include "base/internal.h"

#include <math.h>
#include <string.h>

#include <cblas.h>
#include <lapacke.h>

#include "bract/glmdenoise.h"

int bract_glmdenoise_gram_add(const double *e, size_t lde, size_t n, size_t nvox, double *gram,
                              size_t *nadded)
{
    if (nadded)
        *nadded = 0;
    if (n == 0 || nvox == 0)
        return BRACT_OK;
    double *a = bract_xmalloc(nvox * n, sizeof *a, "normalised series");
    if (!a)
        return BRACT_ENOMEM;
    size_t added = 0;
    for (size_t v = 0; v < nvox; v++) {
        const double *x = e + v * lde;
        double s = 0;
        for (size_t t = 0; t < n; t++)
            s += x[t] * x[t];
        if (!(s > 0))
            continue;
        double inv = 1.0 / sqrt(s);
        for (size_t t = 0; t < n; t++)
            a[added * n + t] = x[t] * inv;
        added++;
    }
    /* G += A'A (upper triangle), then mirror it */
    if (added)
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)n, (int)added, 1.0, a, (int)n, 1.0,
                    gram, (int)n);
    free(a);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            gram[i * n + j] = gram[j * n + i];
    if (nadded)
        *nadded = added;
    return BRACT_OK;
}

int bract_glmdenoise_components(const double *gram, size_t n, size_t k, double *pcs,
                                double *eigenvalues)
{
    if (k > n)
        return bract_error(BRACT_EINVAL, "%zu components of %zu volumes", k, n);
    if (k == 0)
        return BRACT_OK;
    double *a = bract_xmalloc(n * n + n + n * k, sizeof *a, "an eigen-decomposition");
    lapack_int *isuppz = bract_xmalloc(2 * k, sizeof *isuppz, "an eigen-decomposition");
    if (!a || !isuppz) {
        free(a);
        free(isuppz);
        return BRACT_ENOMEM;
    }
    double *w = a + n * n, *z = w + n;
    memcpy(a, gram, n * n * sizeof *a);
    lapack_int m = 0;
    /* the k largest: indices n-k+1 .. n (ascending order) */
    lapack_int info = LAPACKE_dsyevr(LAPACK_ROW_MAJOR, 'V', 'I', 'U', (lapack_int)n, a,
                                     (lapack_int)n, 0.0, 0.0, (lapack_int)(n - k + 1),
                                     (lapack_int)n, 0.0, &m, w, z, (lapack_int)k, isuppz);
    int rc = BRACT_OK;
    if (info != 0 || (size_t)m != k) {
        rc = bract_error(BRACT_ENUMERIC,
                         "the eigen-decomposition of a %zu x %zu noise Gram "
                         "matrix failed (LAPACK dsyevr info %d)",
                         n, n, (int)info);
    } else {
        for (size_t c = 0; c < k; c++) {
            size_t src = k - 1 - c; /* descending */
            double big = 0;
            size_t at = 0;
            for (size_t t = 0; t < n; t++)
                if (fabs(z[t * k + src]) > big) {
                    big = fabs(z[t * k + src]);
                    at = t;
                }
            double sign = z[at * k + src] < 0 ? -1.0 : 1.0;
            for (size_t t = 0; t < n; t++)
                pcs[t * k + c] = sign * z[t * k + src];
            if (eigenvalues)
                eigenvalues[c] = w[src];
        }
    }
    free(a);
    free(isuppz);
    return rc;
}

size_t bract_glmdenoise_choose(const double *curve, size_t kmax, double pcstop)
{
    double mx = 0;
    for (size_t k = 1; k <= kmax; k++)
        if (isfinite(curve[k]) && curve[k] - curve[0] > mx)
            mx = curve[k] - curve[0];
    size_t chosen = 0;
    double best = 0;
    if (!(mx > 0) || !isfinite(curve[0]))
        return 0;
    for (size_t k = 0; k <= kmax; k++) {
        double d = curve[k] - curve[0];
        if (!isfinite(d) || (k > 0 && !(d > best)))
            continue;
        chosen = k;
        best = d;
        if (best * pcstop >= mx)
            break;
    }
    return chosen;
}
