/* Linear algebra shared by the GLM modules: pseudo-inverses, whitened
 * models, collinearity reports (glm_internal.h). */
#define _DEFAULT_SOURCE /* madvise(MADV_HUGEPAGE) */
#include "glm/glm_internal.h"

#include <sys/mman.h>

#include <float.h>
#include <math.h>
#include <string.h>

#include <cblas.h>
#include <lapacke.h>

void *bract_glmi_big_alloc(size_t n, size_t size, const char *what)
{
    const size_t huge = (size_t)2 << 20;
    if (size && n > SIZE_MAX / size) {
        bract_error(BRACT_ENOMEM, "out of memory: %s needs more than SIZE_MAX bytes", what);
        return NULL;
    }
    size_t bytes = n * size;
    if (bytes < huge / 2)
        return bract_xmalloc(n, size, what);
    size_t rounded = (bytes + huge - 1) / huge * huge;
    void *p = NULL;
    if (posix_memalign(&p, huge, rounded) != 0 || !p) {
        bract_error(BRACT_ENOMEM, "out of memory allocating %zu bytes for %s", bytes, what);
        return NULL;
    }
#ifdef MADV_HUGEPAGE
    (void)madvise(p, rounded, MADV_HUGEPAGE); /* advice only: failure is harmless */
#endif
    return p;
}

void *bract_glmi_big_calloc(size_t n, size_t size, const char *what)
{
    void *p = bract_glmi_big_alloc(n, size, what);
    if (p)
        memset(p, 0, n * size);
    return p;
}

int bract_glmi_load_row(const float *y, size_t ldy, size_t v, const size_t *rows, size_t n,
                        double *row)
{
    const float *s = y + v * ldy;
    int finite = 1;
    if (!rows)
        for (size_t r = 0; r < n; r++) {
            row[r] = (double)s[r];
            finite &= isfinite(row[r]) != 0;
        }
    else
        for (size_t r = 0; r < n; r++) {
            row[r] = (double)s[rows[r]];
            finite &= isfinite(row[r]) != 0;
        }
    if (!finite)
        return 1;
    for (size_t r = 1; r < n; r++)
        if (row[r] != row[0])
            return 0;
    return 2;
}

int bract_glmi_pinv(const double *X, size_t n, size_t p, double *pinv, size_t *rank, double *smax,
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

int bract_glmi_collinear_error(const double *X, size_t n, size_t p, const char *const *names,
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

double bract_glmi_yule_walker(double s2, double l1, size_t n)
{
    double dn = (double)n;
    double r0 = s2 / (dn * dn);
    double r1 = l1 / ((dn - 1) * dn);
    return r1 / r0;
}

int bract_glmi_ar_bin(double rho, int bins)
{
    double x = rho * (double)bins;
    if (!(x > -2147483647.0 && x < 2147483647.0))
        return 0;
    return (int)x; /* C truncates toward zero, as numpy's astype(int) */
}

int bract_glmi_model_init(glm_model *m, const double *X, size_t n, size_t p, int bin, int bins)
{
    memset(m, 0, sizeof *m);
    m->bin = bin;
    m->rho = (double)bin * 1.0 / (double)bins;
    m->wx = bract_xmalloc(n * p, sizeof *m->wx, "a whitened design");
    m->pinv = bract_xmalloc(n * p, sizeof *m->pinv, "a pseudo-inverse");
    m->cov = bract_xmalloc(p * p, sizeof *m->cov, "a covariance");
    double *r = bract_xmalloc(p * p + p, sizeof *r, "a QR factor");
    if (!m->wx || !m->pinv || !m->cov || !r) {
        free(r);
        bract_glmi_model_clear(m);
        return BRACT_ENOMEM;
    }
    double *tau = r + p * p;
    /* whiten the columns: row 0 unchanged, row t minus rho row t-1 */
    memcpy(m->wx, X, p * sizeof *m->wx);
    for (size_t t = 1; t < n; t++)
        for (size_t j = 0; j < p; j++)
            m->wx[t * p + j] = X[t * p + j] - m->rho * X[(t - 1) * p + j];
    /* W X = Q R (Householder; backward stable as the SVD scipy's pinv uses,
     * at a fraction of its cost): pinv = R^-1 Q', cov = R^-1 R^-T.  The
     * column-major n x p factor is the row-major p x n pinv's transpose. */
    double *q = m->pinv;
    for (size_t t = 0; t < n; t++)
        for (size_t j = 0; j < p; j++)
            q[j * n + t] = m->wx[t * p + j];
    int rc = BRACT_OK;
    lapack_int info = LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, (lapack_int)n, (lapack_int)p, q,
                                          (lapack_int)n, tau, m->cov, (lapack_int)(p * p));
    double rmax = 0, rmin = INFINITY;
    if (info == 0) {
        memset(r, 0, p * p * sizeof *r);
        for (size_t j = 0; j < p; j++)
            for (size_t i = 0; i <= j; i++)
                r[j * p + i] = q[j * n + i];
        for (size_t j = 0; j < p; j++) {
            double a = fabs(r[j * p + j]);
            rmax = a > rmax ? a : rmax;
            rmin = a < rmin ? a : rmin;
        }
        info = LAPACKE_dorgqr_work(LAPACK_COL_MAJOR, (lapack_int)n, (lapack_int)p, (lapack_int)p,
                                   q, (lapack_int)n, tau, m->cov, (lapack_int)(p * p));
    }
    if (info != 0)
        rc = bract_error(BRACT_ENUMERIC, "the QR factorisation of a whitened design failed "
                         "(LAPACK info %d)", (int)info);
    else if (!(rmin > (double)n * DBL_EPSILON * rmax))
        rc = bract_error(BRACT_ENUMERIC, "the whitened design with rho = %g is singular",
                         m->rho);
    if (!rc) {
        /* pinv' = Q R^-T (col-major n x p) */
        cblas_dtrsm(CblasColMajor, CblasRight, CblasUpper, CblasTrans, CblasNonUnit, (int)n,
                    (int)p, 1.0, r, (int)p, q, (int)n);
        /* cov = R^-1 R^-T */
        info = LAPACKE_dtrtri_work(LAPACK_COL_MAJOR, 'U', 'N', (lapack_int)p, r, (lapack_int)p);
        if (info == 0)
            info = LAPACKE_dlauum_work(LAPACK_COL_MAJOR, 'U', (lapack_int)p, r, (lapack_int)p);
        if (info != 0)
            rc = bract_error(BRACT_ENUMERIC, "inverting a whitened design's R failed (LAPACK "
                             "info %d)", (int)info);
    }
    if (!rc)
        for (size_t i = 0; i < p; i++)
            for (size_t j = 0; j < p; j++)
                m->cov[i * p + j] = i <= j ? r[j * p + i] : r[i * p + j];
    free(r);
    if (rc)
        bract_glmi_model_clear(m);
    return rc;
}

void bract_glmi_model_clear(glm_model *m)
{
    free(m->wx);
    free(m->pinv);
    free(m->cov);
    m->wx = m->pinv = m->cov = NULL;
}
