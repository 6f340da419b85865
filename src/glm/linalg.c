/* Linear algebra shared by the GLM modules: pseudo-inverses, whitened
 * models, collinearity reports (glm_internal.h). */
#include "glm_internal.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include <cblas.h>
#include <lapacke.h>

int glm_pinv(const double *X, size_t n, size_t p, double *pinv, size_t *rank, double *smax,
             double *smin)
{
    if (n < p || p == 0)
        return bract_error(BRACT_EINVAL, "a pseudo-inverse of a %zu x %zu matrix (needs rows >= "
                           "columns >= 1)", n, p);
    double *a = bract_xmalloc(n * p + n * p + p * p + p, sizeof *a, "an SVD workspace");
    if (!a)
        return BRACT_ENOMEM;
    double *u = a + n * p, *vt = u + n * p, *s = vt + p * p;
    memcpy(a, X, n * p * sizeof *a);
    lapack_int info = LAPACKE_dgesdd(LAPACK_ROW_MAJOR, 'S', (lapack_int)n, (lapack_int)p, a,
                                     (lapack_int)p, s, u, (lapack_int)p, vt, (lapack_int)p);
    if (info != 0) {
        free(a);
        return bract_error(BRACT_ENUMERIC, "the SVD of a %zu x %zu design did not converge "
                           "(LAPACK dgesdd info %d)", n, p, (int)info);
    }
    double tol = (double)(n > p ? n : p) * DBL_EPSILON * s[0];
    size_t r = 0;
    while (r < p && s[r] > tol)
        r++;
    if (rank)
        *rank = r;
    if (smax)
        *smax = s[0];
    if (smin)
        *smin = s[p - 1];
    if (pinv) {
        /* pinv = V diag(1/s) U' over the kept singular values */
        for (size_t i = 0; i < n; i++)
            for (size_t k = 0; k < r; k++)
                u[i * p + k] /= s[k];
        if (r == 0)
            memset(pinv, 0, p * n * sizeof *pinv);
        else
            cblas_dgemm(CblasRowMajor, CblasTrans, CblasTrans, (int)p, (int)n, (int)r, 1.0, vt,
                        (int)p, u, (int)p, 0.0, pinv, (int)n);
    }
    free(a);
    return BRACT_OK;
}

int glm_collinear_error(const double *X, size_t n, size_t p, const char *const *names,
                        const char *what)
{
    bract_buf b = {0};
    size_t nz = 0;
    double *norm = bract_xcalloc(p, sizeof *norm, "column norms");
    if (!norm)
        return BRACT_ENOMEM;
    for (size_t j = 0; j < p; j++) {
        double s = 0;
        for (size_t i = 0; i < n; i++)
            s += X[i * p + j] * X[i * p + j];
        norm[j] = sqrt(s);
        if (norm[j] == 0)
            bract_buf_printf(&b, "%s'%s'", nz++ ? ", " : "", names[j]);
    }
    int rc;
    if (nz) {
        rc = bract_error(BRACT_EDATA, "%s: the design is rank-deficient: column%s %s %s all "
                         "zero (a condition with no event inside the run?)", what,
                         nz == 1 ? "" : "s", b.data, nz == 1 ? "is" : "are");
        bract_buf_free(&b);
        free(norm);
        return rc;
    }
    /* the smallest right singular vector of the column-normalised X */
    double *a = bract_xmalloc(n * p + p * p + p, sizeof *a, "an SVD workspace");
    if (!a) {
        free(norm);
        return BRACT_ENOMEM;
    }
    double *vt = a + n * p, *s = vt + p * p;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < p; j++)
            a[i * p + j] = X[i * p + j] / norm[j];
    lapack_int info = LAPACKE_dgesdd(LAPACK_ROW_MAJOR, 'O', (lapack_int)n, (lapack_int)p, a,
                                     (lapack_int)p, s, NULL, (lapack_int)p, vt, (lapack_int)p);
    size_t k = 0;
    if (info == 0) {
        const double *v = vt + (p - 1) * p;
        double vmax = 0;
        for (size_t j = 0; j < p; j++)
            if (fabs(v[j]) > vmax)
                vmax = fabs(v[j]);
        for (size_t j = 0; j < p; j++)
            if (fabs(v[j]) > 1e-3 * vmax)
                bract_buf_printf(&b, "%s'%s'", k++ ? ", " : "", names[j]);
    }
    if (k)
        rc = bract_error(BRACT_EDATA, "%s: the design is rank-deficient: columns %s are "
                         "collinear (one is a combination of the others)", what, b.data);
    else
        rc = bract_error(BRACT_EDATA, "%s: the design is rank-deficient", what);
    bract_buf_free(&b);
    free(a);
    free(norm);
    return rc;
}

double glm_yule_walker(double s2, double l1, size_t n)
{
    double dn = (double)n;
    double r0 = s2 / (dn * dn);
    double r1 = l1 / ((dn - 1) * dn);
    return r1 / r0;
}

int glm_ar_bin(double rho, int bins)
{
    double x = rho * (double)bins;
    if (!(x > -2147483647.0 && x < 2147483647.0))
        return 0;
    return (int)x; /* C truncates toward zero, as numpy's astype(int) */
}

int glm_model_init(glm_model *m, const double *X, size_t n, size_t p, int bin, int bins)
{
    memset(m, 0, sizeof *m);
    m->bin = bin;
    m->rho = (double)bin * 1.0 / (double)bins;
    m->wx = bract_xmalloc(n * p, sizeof *m->wx, "a whitened design");
    m->pinv = bract_xmalloc(n * p, sizeof *m->pinv, "a pseudo-inverse");
    m->cov = bract_xmalloc(p * p, sizeof *m->cov, "a covariance");
    if (!m->wx || !m->pinv || !m->cov) {
        glm_model_clear(m);
        return BRACT_ENOMEM;
    }
    /* whiten the columns: row 0 unchanged, row t minus rho row t-1 */
    memcpy(m->wx, X, p * sizeof *m->wx);
    for (size_t t = 1; t < n; t++)
        for (size_t j = 0; j < p; j++)
            m->wx[t * p + j] = X[t * p + j] - m->rho * X[(t - 1) * p + j];
    int rc = glm_pinv(m->wx, n, p, m->pinv, NULL, NULL, NULL);
    if (rc) {
        glm_model_clear(m);
        return rc;
    }
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)p, (int)p, (int)n, 1.0, m->pinv,
                (int)n, m->pinv, (int)n, 0.0, m->cov, (int)p);
    return BRACT_OK;
}

void glm_model_clear(glm_model *m)
{
    free(m->wx);
    free(m->pinv);
    free(m->cov);
    m->wx = m->pinv = m->cov = NULL;
}
