/* The library of double-gamma HRFs (bract/hrflib.h). */
#include "base/internal.h"

#include <math.h>
#include <string.h>

#include "bract/hrf.h"
#include "bract/hrflib.h"

enum { NPEAK = 7, NRATIO = 3 };
static const double peaks[NPEAK] = {3.5, 4.25, 5.0, 5.75, 6.5, 7.25, 8.0};
static const double ratios[NRATIO] = {0.0, 0.175, 0.35};
#define DISPERSION 0.9
#define UNDERSHOOT_DELAY 6.0

int bract_hrflib_describe(size_t h, bract_hrflib_params *out)
{
    if (h >= BRACT_HRFLIB_SIZE)
        return bract_error(BRACT_EINVAL, "HRF %zu of a library of %d", h + 1, BRACT_HRFLIB_SIZE);
    out->peak = peaks[h / NRATIO];
    out->undershoot = out->peak + UNDERSHOOT_DELAY;
    out->ratio = ratios[h % NRATIO];
    out->dispersion = DISPERSION;
    return BRACT_OK;
}

/* The gamma density of shape a and scale s at x (0 below 0). */
static double gamma_pdf(double x, double a, double s)
{
    double y = x / s;
    if (!(y > 0))
        return 0.0;
    return exp((a - 1.0) * log(y) - y - lgamma(a)) / s;
}

/* The unscaled kernel at time t (s), the grid shift dt included. */
static double shape_at(const bract_hrflib_params *q, double t, double dt)
{
    double d = q->dispersion;
    double v = gamma_pdf(t - dt, q->peak / d + 1.0, d);
    if (q->ratio > 0)
        v -= q->ratio * gamma_pdf(t - dt, q->undershoot / d + 1.0, d);
    return v;
}

int bract_hrflib_kernel(size_t h, double tr, int oversampling, double **kernel, size_t *len)
{
    *kernel = NULL;
    *len = 0;
    bract_hrflib_params q;
    int rc = bract_hrflib_describe(h, &q);
    if (rc)
        return rc;
    double *ref;
    size_t n;
    /* glover on the same grid: its length (nilearn's rint(32 / dt)) and maximum */
    if ((rc = bract_hrf_kernel(BRACT_HRF_GLOVER, 0, 0, tr, oversampling, &ref, &n)))
        return rc;
    double gmax = 0;
    for (size_t i = 0; i < n; i++)
        gmax = ref[i] > gmax ? ref[i] : gmax;
    free(ref);
    double *k = bract_xmalloc(n, sizeof *k, "an HRF kernel");
    if (!k)
        return BRACT_ENOMEM;
    const double dt = tr / (double)oversampling;
    double kmax = 0;
    for (size_t i = 0; i < n; i++) {
        /* numpy.linspace(0, 32, n) */
        double t = i + 1 == n ? 32.0 : (double)i * (32.0 / (double)(n - 1));
        k[i] = shape_at(&q, t, dt);
        kmax = k[i] > kmax ? k[i] : kmax;
    }
    if (!(kmax > 0)) {
        free(k);
        return bract_error(BRACT_EINVAL, "HRF %zu has no positive sample at TR %g s", h + 1, tr);
    }
    for (size_t i = 0; i < n; i++)
        k[i] *= gmax / kmax;
    *kernel = k;
    *len = n;
    return BRACT_OK;
}

double bract_hrflib_peak_time(size_t h)
{
    bract_hrflib_params q;
    if (bract_hrflib_describe(h, &q))
        return NAN;
    double best = 0, at = 0;
    for (int i = 0; i <= 32000; i++) {
        double t = i * 1e-3, v = shape_at(&q, t, 0.0);
        if (v > best) {
            best = v;
            at = t;
        }
    }
    return at;
}
