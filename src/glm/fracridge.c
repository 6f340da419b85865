/* Fractional ridge regression (bract/fracridge.h). */
#include "base/internal.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include <cblas.h>
#include <lapacke.h>

#include "bract/fracridge.h"

int bract_fracridge_new(const double *X, size_t n, size_t p, bract_fracridge **out)
{
    *out = NULL;
    if (p == 0 || n < p)
        return bract_error(BRACT_EINVAL,
                           "fractional ridge needs a design with rows >= columns "
                           ">= 1 (got %zu x %zu)",
                           n, p);
    bract_fracridge *f = bract_xcalloc(1, sizeof *f, "a fractional ridge");
    double *a = bract_xmalloc(n * p, sizeof *a, "an SVD workspace");
    if (!f || !a) {
        free(f);
        free(a);
        return BRACT_ENOMEM;
    }
    f->n = n;
    f->p = p;
    f->u = bract_xmalloc(n * p, sizeof *f->u, "singular vectors");
    f->s = bract_xmalloc(p, sizeof *f->s, "singular values");
    f->vt = bract_xmalloc(p * p, sizeof *f->vt, "singular vectors");
    if (!f->u || !f->s || !f->vt) {
        free(a);
        bract_fracridge_free(f);
        return BRACT_ENOMEM;
    }
    memcpy(a, X, n * p * sizeof *a);
    lapack_int info =
        LAPACKE_dgesdd(LAPACK_ROW_MAJOR, 'S', (lapack_int)n, (lapack_int)p, a, (lapack_int)p, f->s,
                       f->u, (lapack_int)p, f->vt, (lapack_int)p);
    free(a);
    int rc = BRACT_OK;
    if (info != 0)
        rc = bract_error(BRACT_ENUMERIC,
                         "the SVD of a %zu x %zu design did not converge "
                         "(LAPACK dgesdd info %d)",
                         n, p, (int)info);
    else if (!(f->s[p - 1] > (double)(n > p ? n : p) * DBL_EPSILON * f->s[0]))
        rc = bract_error(BRACT_EDATA,
                         "the %zu x %zu design is rank-deficient (singular values "
                         "%g to %g)",
                         n, p, f->s[0], f->s[p - 1]);
    if (rc) {
        bract_fracridge_free(f);
        return rc;
    }
    *out = f;
    return BRACT_OK;
}

void bract_fracridge_free(bract_fracridge *f)
{
    if (!f)
        return;
    free(f->u);
    free(f->s);
    free(f->vt);
    free(f);
}

/* |b(alpha)|^2 and its derivative in alpha. */
static double norm2(const double *s, const double *w, size_t m, double alpha, double *deriv)
{
    double v = 0, d = 0;
    for (size_t i = 0; i < m; i++) {
        double q = s[i] * s[i] + alpha, c = w[i] * w[i] * s[i] * s[i] / (q * q);
        v += c;
        d -= 2.0 * c / q;
    }
    if (deriv)
        *deriv = d;
    return v;
}

double bract_fracridge_fraction(const double *s, const double *w, size_t m, double alpha)
{
    double n0 = norm2(s, w, m, 0.0, NULL);
    if (!(n0 > 0))
        return 0.0;
    if (alpha == 0)
        return 1.0;
    return sqrt(norm2(s, w, m, alpha, NULL) / n0);
}

int bract_fracridge_alpha(const double *s, const double *w, size_t m, double frac, double *alpha)
{
    *alpha = 0;
    if (!(frac > 0 && frac <= 1))
        return bract_error(BRACT_EINVAL, "a ridge fraction is in (0, 1] (got %g)", frac);
    double smax = 0;
    for (size_t i = 0; i < m; i++) {
        if (!(s[i] > 0))
            return bract_error(BRACT_EINVAL,
                               "singular value %zu is %g: fractional ridge needs "
                               "a full-rank design",
                               i, s[i]);
        smax = s[i] > smax ? s[i] : smax;
    }
    double n0 = norm2(s, w, m, 0.0, NULL);
    if (frac == 1 || !(n0 > 0))
        return BRACT_OK;
    /* psi(alpha) = 1/|b(alpha)| - 1/(frac |b(0)|): increasing, nearly linear
     * (exactly so for one singular value); bracket [lo, hi], Newton steps,
     * bisection in log alpha when a step leaves the bracket */
    const double target = 1.0 / (frac * sqrt(n0));
    double lo = 0, hi = smax * smax;
    while (1.0 / sqrt(norm2(s, w, m, hi, NULL)) < target && hi < 1e300)
        hi *= 4;
    double a = hi / 2;
    for (int it = 0; it < 200; it++) {
        double d, v = norm2(s, w, m, a, &d);
        double r = 1.0 / sqrt(v);
        double psi = r - target;
        if (fabs(psi) <= 1e-14 * target)
            break;
        if (psi < 0)
            lo = a;
        else
            hi = a;
        /* d(1/sqrt(v)) = -d v^(-3/2) / 2 */
        double dpsi = -0.5 * d * r * r * r, next = a - psi / dpsi;
        if (!(next > lo && next < hi))
            next = lo > 0 ? sqrt(lo * hi) : hi / 2;
        if (next == a || hi - lo <= 4 * DBL_EPSILON * hi)
            break;
        a = next;
    }
    *alpha = a;
    return BRACT_OK;
}

int bract_fracridge_coef(const bract_fracridge *f, const double *y, double alpha, double *b)
{
    if (!(alpha >= 0) || !isfinite(alpha))
        return bract_error(BRACT_EINVAL, "a ridge alpha is >= 0 (got %g)", alpha);
    const size_t n = f->n, p = f->p;
    double *g = bract_xmalloc(p, sizeof *g, "rotated coefficients");
    if (!g)
        return BRACT_ENOMEM;
    /* g = diag(s / (s^2 + alpha)) U'y, b = V g */
    cblas_dgemv(CblasRowMajor, CblasTrans, (int)n, (int)p, 1.0, f->u, (int)p, y, 1, 0.0, g, 1);
    for (size_t i = 0; i < p; i++)
        g[i] *= f->s[i] / (f->s[i] * f->s[i] + alpha);
    cblas_dgemv(CblasRowMajor, CblasTrans, (int)p, (int)p, 1.0, f->vt, (int)p, g, 1, 0.0, b, 1);
    free(g);
    return BRACT_OK;
}
