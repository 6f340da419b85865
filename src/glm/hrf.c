/* Hemodynamic response kernels and event regressors (bract/hrf.h). */
#include "base/internal.h"

#include <ctype.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bract/hrf.h"

/* ---- names ---- */

static const struct {
    bract_hrf_model m;
    const char *name, *nilearn;
    size_t nbasis;
} models[] = {
    {BRACT_HRF_GLOVER, "glover", "glover", 1},
    {BRACT_HRF_SPM, "spm", "spm", 1},
    {BRACT_HRF_GLOVER_DERIVATIVE, "glover+derivative", "glover + derivative", 2},
    {BRACT_HRF_SPM_DERIVATIVE, "spm+derivative", "spm + derivative", 2},
    {BRACT_HRF_GLOVER_DERIVATIVE_DISPERSION, "glover+derivative+dispersion",
     "glover + derivative + dispersion", 3},
    {BRACT_HRF_SPM_DERIVATIVE_DISPERSION, "spm+derivative+dispersion",
     "spm + derivative + dispersion", 3},
    {BRACT_HRF_FIR, "fir", "fir", 0},
};
enum { NMODELS = sizeof models / sizeof *models };

int bract_hrf_model_parse(const char *s, bract_hrf_model *out)
{
    char buf[64];
    size_t k = 0;
    for (const char *p = s; *p && k + 1 < sizeof buf; p++)
        if (!isspace((unsigned char)*p))
            buf[k++] = (char)tolower((unsigned char)*p);
    buf[k] = '\0';
    for (size_t i = 0; i < NMODELS; i++)
        if (strcmp(buf, models[i].name) == 0) {
            *out = models[i].m;
            return BRACT_OK;
        }
    return bract_error(BRACT_EINVAL, "unknown HRF model '%s': expected glover, spm, "
                       "glover+derivative, spm+derivative, glover+derivative+dispersion, "
                       "spm+derivative+dispersion or fir (nilearn's spellings such as "
                       "'spm + derivative' are accepted too)", s);
}

const char *bract_hrf_model_name(bract_hrf_model m)
{
    for (size_t i = 0; i < NMODELS; i++)
        if (models[i].m == m)
            return models[i].name;
    return "unknown";
}

const char *bract_hrf_model_nilearn_name(bract_hrf_model m)
{
    for (size_t i = 0; i < NMODELS; i++)
        if (models[i].m == m)
            return models[i].nilearn;
    return "unknown";
}

size_t bract_hrf_nbasis(bract_hrf_model m, size_t nfir)
{
    if (m == BRACT_HRF_FIR)
        return nfir;
    for (size_t i = 0; i < NMODELS; i++)
        if (models[i].m == m)
            return models[i].nbasis;
    return 0;
}

char *bract_hrf_column_name(bract_hrf_model m, const char *cond, size_t b, const int *fir_delays)
{
    bract_buf s = {0};
    int rc;
    if (m == BRACT_HRF_FIR)
        rc = bract_buf_printf(&s, "%s_delay_%d", cond, fir_delays[b]);
    else if (b == 0)
        rc = bract_buf_printf(&s, "%s", cond);
    else
        rc = bract_buf_printf(&s, "%s_%s", cond, b == 1 ? "derivative" : "dispersion");
    if (rc) {
        bract_buf_free(&s);
        return NULL;
    }
    return s.data;
}

void bract_hrf_opts_defaults(bract_hrf_opts *o)
{
    static const int zero_delay[1] = {0};
    o->model = BRACT_HRF_GLOVER;
    o->fir_delays = zero_delay;
    o->nfir = 1;
    o->oversampling = 50;
    o->min_onset = -24.0;
}

/* ---- kernels ---- */

/* numpy.linspace(start, stop, num)[i]: i * step + start, the last exactly stop. */
static double linspace_at(double start, double stop, size_t num, size_t i)
{
    if (num == 1)
        return start;
    if (i == num - 1)
        return stop;
    double step = (stop - start) / (double)(num - 1);
    return (double)i * step + start;
}

/* scipy.stats.gamma.pdf(t, a, loc, scale): exp(xlogy(a-1, y) - y - gammaln(a)) / scale
 * with y = (t - loc) / scale, 0 below the support. */
static double gamma_pdf(double t, double a, double loc, double scale)
{
    double y = (t - loc) / scale;
    if (!(y >= 0))
        return 0.0;
    double xl = (a - 1.0 == 0.0) ? 0.0 : (a - 1.0) * log(y);
    return exp(xl - y - lgamma(a)) / scale;
}

typedef struct {
    double delay, undershoot, dispersion, u_dispersion, ratio;
} gamma_params;

static const gamma_params glover_params = {6.0, 12.0, 0.9, 0.9, 0.35};
static const gamma_params spm_params = {6.0, 16.0, 1.0, 1.0, 0.167};

/* nilearn's _gamma_difference_hrf with time_length 32 s, into h (n points). */
static size_t gamma_len(double tr, int os)
{
    double dt = tr / (double)os;
    double n = nearbyint(32.0 / dt);
    return n < 2 ? 2 : (size_t)n;
}

static void gamma_difference(double tr, int os, double onset, const gamma_params *g, double *h,
                             size_t n)
{
    double dt = tr / (double)os;
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        double t = linspace_at(0.0, 32.0, n, i) - onset;
        double peak = gamma_pdf(t, g->delay / g->dispersion, dt, g->dispersion);
        double under = gamma_pdf(t, g->undershoot / g->u_dispersion, dt, g->u_dispersion);
        h[i] = peak - g->ratio * under;
        sum += h[i];
    }
    for (size_t i = 0; i < n; i++)
        h[i] /= sum;
}

static int is_glover(bract_hrf_model m)
{
    return m == BRACT_HRF_GLOVER || m == BRACT_HRF_GLOVER_DERIVATIVE ||
           m == BRACT_HRF_GLOVER_DERIVATIVE_DISPERSION;
}

int bract_hrf_kernel(bract_hrf_model m, size_t b, int fir_delay, double tr, int oversampling,
                     double **kernel, size_t *len)
{
    *kernel = NULL;
    *len = 0;
    if (!(tr > 0) || !isfinite(tr))
        return bract_error(BRACT_EINVAL, "the repetition time must be > 0 s (got %g)", tr);
    if (oversampling < 1)
        return bract_error(BRACT_EINVAL, "the oversampling must be >= 1 (got %d)", oversampling);
    if (m == BRACT_HRF_FIR) {
        if (fir_delay < 0)
            return bract_error(BRACT_EINVAL, "FIR delays must be >= 0 volumes (got %d)",
                               fir_delay);
        size_t n = ((size_t)fir_delay + 1) * (size_t)oversampling;
        double *h = bract_xcalloc(n, sizeof *h, "an FIR kernel");
        if (!h)
            return BRACT_ENOMEM;
        for (size_t i = (size_t)fir_delay * (size_t)oversampling; i < n; i++)
            h[i] = 1.0 / (double)oversampling;
        *kernel = h;
        *len = n;
        return BRACT_OK;
    }
    size_t nb = bract_hrf_nbasis(m, 0);
    if (nb == 0)
        return bract_error(BRACT_EINVAL, "unknown HRF model %d", (int)m);
    if (b >= nb)
        return bract_error(BRACT_EINVAL, "the %s model has %zu kernels; asked for kernel %zu",
                           bract_hrf_model_name(m), nb, b);
    const gamma_params *g = is_glover(m) ? &glover_params : &spm_params;
    size_t n = gamma_len(tr, oversampling);
    double *h = bract_xmalloc(n, sizeof *h, "an HRF kernel");
    double *h2 = b ? bract_xmalloc(n, sizeof *h2, "an HRF kernel") : NULL;
    if (!h || (b && !h2)) {
        free(h);
        free(h2);
        return BRACT_ENOMEM;
    }
    if (b == 0) {
        gamma_difference(tr, oversampling, 0.0, g, h, n);
    } else if (b == 1) {
        /* time derivative: 1/dt (h(onset 0) - h(onset dt)), dt = 0.1 s */
        const double dt = 0.1;
        gamma_difference(tr, oversampling, 0.0, g, h, n);
        gamma_difference(tr, oversampling, dt, g, h2, n);
        for (size_t i = 0; i < n; i++)
            h[i] = 1.0 / dt * (h[i] - h2[i]);
    } else {
        /* dispersion derivative: the model's delay, undershoot and ratio,
         * undershoot dispersion 1 (nilearn's default, for glover too) */
        const double dd = 0.01;
        gamma_params a = {6.0, g->undershoot, g->dispersion, 1.0, g->ratio};
        gamma_params c = a;
        c.dispersion = a.dispersion + dd;
        gamma_difference(tr, oversampling, 0.0, &a, h, n);
        gamma_difference(tr, oversampling, 0.0, &c, h2, n);
        for (size_t i = 0; i < n; i++)
            h[i] = 1.0 / dd * (h[i] - h2[i]);
    }
    free(h2);
    *kernel = h;
    *len = n;
    return BRACT_OK;
}

/* ---- plans ---- */

struct bract_hrf_plan {
    bract_hrf_model model;
    size_t nbasis;
    int os;
    double min_onset;
    int *fir;
    size_t nfir;
    size_t n;           /* frames */
    double *ft;         /* frame times */
    double tr;          /* smallest frame step */
    size_t M;           /* grid points */
    double *grid;
    size_t *klen;       /* per basis: kernel length */
    double **kcum;      /* per basis: running sums of the kernel */
    size_t shift;       /* FIR: the regressor is read oversampling - 1 samples late */
    size_t *lo;         /* per frame: lower grid point of the interpolation */
    double *dx, *df;    /* per frame: x_hi - x_lo, f - x_lo */
    double kernel_seconds;
};

void bract_hrf_plan_free(bract_hrf_plan *p)
{
    if (!p)
        return;
    if (p->kcum)
        for (size_t b = 0; b < p->nbasis; b++)
            free(p->kcum[b]);
    free(p->kcum);
    free(p->klen);
    free(p->fir);
    free(p->ft);
    free(p->grid);
    free(p->lo);
    free(p->dx);
    free(p->df);
    free(p);
}

size_t bract_hrf_plan_nbasis(const bract_hrf_plan *p) { return p->nbasis; }

double bract_hrf_plan_kernel_seconds(const bract_hrf_plan *p) { return p->kernel_seconds; }

void bract_hrf_plan_span(const bract_hrf_plan *p, double *first, double *last)
{
    *first = p->grid[0];
    *last = p->grid[p->M - 1];
}

/* numpy.searchsorted(a, x, side='left'): the first i with a[i] >= x. */
static size_t search_left(const double *a, size_t n, double x)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int plan_new(const bract_hrf_opts *o, const double *frame_times, size_t n,
                    const double *kernel, size_t kernel_len, bract_hrf_plan **out);

int bract_hrf_plan_new(const bract_hrf_opts *o, const double *frame_times, size_t n,
                       bract_hrf_plan **out)
{
    return plan_new(o, frame_times, n, NULL, 0, out);
}

int bract_hrf_plan_new_kernel(const bract_hrf_opts *o, const double *kernel, size_t len,
                              const double *frame_times, size_t n, bract_hrf_plan **out)
{
    *out = NULL;
    if (!kernel || len < 2)
        return bract_error(BRACT_EINVAL, "a custom HRF kernel needs at least 2 samples (got %zu)",
                           len);
    for (size_t i = 0; i < len; i++)
        if (!isfinite(kernel[i]))
            return bract_error(BRACT_EINVAL, "sample %zu of a custom HRF kernel is not finite",
                               i);
    bract_hrf_opts g = *o;
    g.model = BRACT_HRF_GLOVER; /* one basis column, gamma-model grid and naming */
    return plan_new(&g, frame_times, n, kernel, len, out);
}

static int plan_new(const bract_hrf_opts *o, const double *frame_times, size_t n,
                    const double *kernel, size_t kernel_len, bract_hrf_plan **out)
{
    *out = NULL;
    if (n < 2)
        return bract_error(BRACT_EINVAL, "an HRF regressor needs at least 2 frames (got %zu)", n);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(frame_times[i]) || (i && !(frame_times[i] > frame_times[i - 1])))
            return bract_error(BRACT_EINVAL, "frame times must increase (frame %zu: %g s)", i,
                               frame_times[i]);
    if (o->oversampling < 1)
        return bract_error(BRACT_EINVAL, "the oversampling must be >= 1 (got %d)",
                           o->oversampling);
    if (!isfinite(o->min_onset) || o->min_onset > 0)
        return bract_error(BRACT_EINVAL, "min_onset must be <= 0 s (got %g)", o->min_onset);
    if (o->model == BRACT_HRF_FIR) {
        if (o->nfir == 0)
            return bract_error(BRACT_EINVAL, "the FIR model needs at least one delay");
        for (size_t i = 0; i < o->nfir; i++) {
            if (o->fir_delays[i] < 0)
                return bract_error(BRACT_EINVAL, "FIR delays must be >= 0 volumes (got %d)",
                                   o->fir_delays[i]);
            for (size_t j = 0; j < i; j++)
                if (o->fir_delays[j] == o->fir_delays[i])
                    return bract_error(BRACT_EINVAL, "FIR delay %d is given twice",
                                       o->fir_delays[i]);
        }
    } else if (bract_hrf_nbasis(o->model, 0) == 0) {
        return bract_error(BRACT_EINVAL, "unknown HRF model %d", (int)o->model);
    }
    bract_hrf_plan *p = bract_xcalloc(1, sizeof *p, "an HRF plan");
    if (!p)
        return BRACT_ENOMEM;
    p->model = o->model;
    p->os = o->oversampling;
    p->min_onset = o->min_onset;
    p->n = n;
    p->nbasis = bract_hrf_nbasis(o->model, o->nfir);
    int rc = BRACT_ENOMEM;
    p->ft = bract_xmalloc(n, sizeof *p->ft, "frame times");
    p->klen = bract_xcalloc(p->nbasis, sizeof *p->klen, "HRF kernels");
    p->kcum = bract_xcalloc(p->nbasis, sizeof *p->kcum, "HRF kernels");
    p->lo = bract_xmalloc(n, sizeof *p->lo, "interpolation");
    p->dx = bract_xmalloc(n, sizeof *p->dx, "interpolation");
    p->df = bract_xmalloc(n, sizeof *p->df, "interpolation");
    if (o->model == BRACT_HRF_FIR) {
        p->nfir = o->nfir;
        p->fir = bract_xmalloc(o->nfir, sizeof *p->fir, "FIR delays");
        if (p->fir)
            memcpy(p->fir, o->fir_delays, o->nfir * sizeof *p->fir);
    }
    if (!p->ft || !p->klen || !p->kcum || !p->lo || !p->dx || !p->df ||
        (o->model == BRACT_HRF_FIR && !p->fir))
        goto fail;
    memcpy(p->ft, frame_times, n * sizeof *p->ft);
    p->tr = INFINITY;
    for (size_t i = 0; i + 1 < n; i++)
        if (frame_times[i + 1] - frame_times[i] < p->tr)
            p->tr = frame_times[i + 1] - frame_times[i];

    /* the oversampled grid (nilearn's _sample_condition) */
    double mini = frame_times[0], maxi = frame_times[n - 1];
    double nf = (double)(n - 1) * 1.0 / (maxi - mini);
    nf *= (maxi * (1 + 1.0 / (double)(n - 1)) - mini - o->min_onset) * (double)o->oversampling;
    nf += 1;
    double Mr = nearbyint(nf);
    if (!(Mr >= 2) || Mr > 1e9) {
        rc = bract_error(BRACT_EINVAL, "the frame times give an oversampled grid of %g points",
                         Mr);
        goto fail;
    }
    p->M = (size_t)Mr;
    p->grid = bract_xmalloc(p->M, sizeof *p->grid, "the oversampled grid");
    if (!p->grid)
        goto fail;
    double gstart = mini + o->min_onset, gstop = maxi * (1 + 1.0 / (double)(n - 1));
    for (size_t i = 0; i < p->M; i++)
        p->grid[i] = linspace_at(gstart, gstop, p->M, i);

    /* kernels, as running sums */
    for (size_t b = 0; b < p->nbasis; b++) {
        double *h;
        size_t len;
        int fd = o->model == BRACT_HRF_FIR ? p->fir[b] : 0;
        if (kernel) {
            len = kernel_len;
            if (!(h = bract_xmalloc(len, sizeof *h, "an HRF kernel"))) {
                rc = BRACT_ENOMEM;
                goto fail;
            }
            memcpy(h, kernel, len * sizeof *h);
        } else if ((rc = bract_hrf_kernel(o->model, o->model == BRACT_HRF_FIR ? 0 : b, fd, p->tr,
                                          o->oversampling, &h, &len))) {
            goto fail;
        }
        for (size_t i = 1; i < len; i++)
            h[i] += h[i - 1];
        p->kcum[b] = h;
        p->klen[b] = len;
    }
    if (o->model == BRACT_HRF_FIR) {
        int dmax = 0;
        for (size_t i = 0; i < p->nfir; i++)
            if (p->fir[i] > dmax)
                dmax = p->fir[i];
        p->kernel_seconds = (double)(dmax + 1) * p->tr;
        p->shift = (size_t)o->oversampling - 1;
    } else {
        p->kernel_seconds = kernel ? (double)kernel_len * p->tr / o->oversampling : 32.0;
        p->shift = 0;
    }
    if (p->shift >= p->M - 1) {
        rc = bract_error(BRACT_EINVAL, "the oversampled grid (%zu points) is too short for "
                         "oversampling %d", p->M, o->oversampling);
        goto fail;
    }

    /* interpolation (scipy interp1d, linear): the grid truncated by the
     * FIR shift, lower index clipped to [0, len - 2] */
    size_t glen = p->M - p->shift;
    for (size_t i = 0; i < n; i++) {
        size_t k = search_left(p->grid, glen, frame_times[i]);
        if (k < 1)
            k = 1;
        if (k > glen - 1)
            k = glen - 1;
        p->lo[i] = k - 1;
        p->dx[i] = p->grid[k] - p->grid[k - 1];
        p->df[i] = frame_times[i] - p->grid[k - 1];
    }
    *out = p;
    return BRACT_OK;
fail:
    bract_hrf_plan_free(p);
    return rc;
}

/* Running kernel sum H(j): 0 for j < 0, the total beyond the kernel. */
static inline double cum_at(const double *c, size_t len, long j)
{
    if (j < 0)
        return 0.0;
    return (size_t)j < len ? c[j] : c[len - 1];
}

int bract_hrf_plan_regressors(const bract_hrf_plan *p, const double *onset,
                              const double *duration, const double *amplitude, size_t nev,
                              double *out, size_t ld)
{
    const size_t n = p->n, nb = p->nbasis, M = p->M;
    long *on = bract_xmalloc(nev ? 2 * nev : 1, sizeof *on, "event indices");
    if (!on)
        return BRACT_ENOMEM;
    long *off = on + nev;
    for (size_t e = 0; e < nev; e++) {
        size_t a = search_left(p->grid, M, onset[e]);
        size_t z = search_left(p->grid, M, onset[e] + duration[e]);
        if (a > M - 1)
            a = M - 1;
        if (z > M - 1)
            z = M - 1;
        if (z < M - 1 && z == a)
            z++;
        on[e] = (long)a;
        off[e] = (long)z;
    }
    for (size_t b = 0; b < nb; b++) {
        const double *c = p->kcum[b];
        const size_t len = p->klen[b];
        for (size_t i = 0; i < n; i++) {
            long m0 = (long)(p->lo[i] + p->shift), m1 = m0 + 1;
            double y0 = 0, y1 = 0;
            for (size_t e = 0; e < nev; e++) {
                double a = amplitude[e];
                y0 += a * (cum_at(c, len, m0 - on[e]) - cum_at(c, len, m0 - off[e]));
                y1 += a * (cum_at(c, len, m1 - on[e]) - cum_at(c, len, m1 - off[e]));
            }
            double slope = (y1 - y0) / p->dx[i];
            out[i * ld + b] = slope * p->df[i] + y0;
        }
    }
    free(on);
    if (p->model != BRACT_HRF_FIR && nb > 1) {
        /* orthogonalise each basis column against the previous ones (nilearn's
         * orthogonalize: the projection on their span; they are mutually
         * orthogonal by then, so it is the sum of the single projections;
         * a column that pinv would treat as zero is skipped) */
        double norm2[3] = {0, 0, 0}, maxn = 0;
        for (size_t b = 0; b < nb; b++) {
            for (size_t k = 0; k < b; k++) {
                if (!(norm2[k] > 0) || sqrt(norm2[k]) <= (double)n * DBL_EPSILON * maxn)
                    continue;
                double dot = 0;
                for (size_t i = 0; i < n; i++)
                    dot += out[i * ld + b] * out[i * ld + k];
                double f = dot / norm2[k];
                for (size_t i = 0; i < n; i++)
                    out[i * ld + b] -= f * out[i * ld + k];
            }
            double s = 0;
            for (size_t i = 0; i < n; i++)
                s += out[i * ld + b] * out[i * ld + b];
            norm2[b] = s;
            if (sqrt(s) > maxn)
                maxn = sqrt(s);
        }
    }
    return BRACT_OK;
}
