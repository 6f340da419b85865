/* Signal cleaning as nilearn.signal.clean: Butterworth design and zero-phase
 * filtering, not-a-knot cubic splines, polynomial detrending, confound
 * regression, standardisation (see bract/signal.h for the order). */
#include "base/internal.h"

#include <complex.h>
#include <errno.h>
#include <fnmatch.h>
#include <float.h>
#include <math.h>
#include <string.h>

#include <cblas.h>
#include <lapacke.h>
#ifdef _OPENMP
#include <omp.h>
#include "bract/mask.h"
#endif

/* ---- Butterworth design ---- */

void bract_filter_butter_free(bract_filter_butter *f)
{
    if (!f)
        return;
    free(f->sos);
    free(f);
}

static int cmp_cabs(const void *a, const void *b)
{
    double x = cabs(*(const double complex *)a), y = cabs(*(const double complex *)b);
    return (x > y) - (x < y);
}

/* Check one cut-off against Nyquist; clamp it at Nyquist as nilearn does. */
static int check_cutoff(const char *what, double *hz, double nyq, double fs)
{
    if (!(*hz > 0) || !isfinite(*hz))
        return bract_error(BRACT_EINVAL, "the %s cut-off must be a positive frequency (got %g Hz)",
                           what, *hz);
    if (*hz > nyq)
        return bract_error(BRACT_EINVAL,
                           "the %s cut-off %g Hz is above the Nyquist frequency %g Hz (TR %g s); "
                           "a digital filter only reaches frequencies up to half the sampling "
                           "rate",
                           what, *hz, nyq, 1.0 / fs);
    if (*hz == nyq) {
        *hz = nyq - nyq * 10.0 * DBL_EPSILON;
        bract_warn("the %s cut-off equals the Nyquist frequency %g Hz; lowered to %.17g Hz as "
                   "nilearn does",
                   what, nyq, *hz);
    }
    return BRACT_OK;
}

/* The cut-offs and order scipy's butter accepts. */
static int check_design(int order, double *low_pass, double *high_pass, double fs)
{
    if (order < 1 || order > 20)
        return bract_error(BRACT_EINVAL, "Butterworth order %d is outside 1..20", order);
    if (!(fs > 0) || !isfinite(fs))
        return bract_error(BRACT_EINVAL, "sampling rate %g Hz is not a positive number", fs);
    int lo = *low_pass > 0, hi = *high_pass > 0;
    if (!lo && !hi)
        return bract_error(BRACT_EINVAL, "a Butterworth filter needs a low-pass or a high-pass "
                           "cut-off");
    if (lo && hi && *high_pass >= *low_pass)
        return bract_error(BRACT_EINVAL,
                           "the high-pass cut-off (%g Hz) must be below the low-pass cut-off "
                           "(%g Hz) for a band-pass filter",
                           *high_pass, *low_pass);
    double nyq = 0.5 * fs;
    int rc;
    if (lo && (rc = check_cutoff("low-pass", low_pass, nyq, fs)))
        return rc;
    if (hi && (rc = check_cutoff("high-pass", high_pass, nyq, fs)))
        return rc;
    return BRACT_OK;
}

/* The digital poles p (np of them), the gain *k and the number of zeros at
 * z = +1 (*nplus; the others are at -1): the analog prototype, its
 * frequency transformation and the bilinear transform, as scipy's
 * butter(output="zpk") computes them at fs = 2. */
static size_t digital_poles(int N, double low_pass, double high_pass, double fs,
                            double complex *p, double *k_out, size_t *nplus)
{
    int lo = low_pass > 0, hi = high_pass > 0, band = lo && hi;
    size_t np = band ? 2 * (size_t)N : (size_t)N;
    double complex proto[20];
    for (int i = 0; i < N; i++) {
        int m = -N + 1 + 2 * i;
        proto[i] = -cexp(I * M_PI * (double)m / (2.0 * N));
    }
    /* pre-warped analog cut-offs (scipy designs at fs = 2: 2 fs tan(pi Wn / fs)) */
    double w_lo = lo ? 4.0 * tan(M_PI * (2.0 * low_pass / fs) / 2.0) : 0;
    double w_hi = hi ? 4.0 * tan(M_PI * (2.0 * high_pass / fs) / 2.0) : 0;
    double k;
    size_t nz_analog; /* zeros at s = 0 (map to z = +1) */
    if (band) {
        double bw = w_lo - w_hi, wo2 = w_lo * w_hi;
        for (int i = 0; i < N; i++) {
            double complex ps = proto[i] * bw / 2.0;
            double complex r = csqrt(ps * ps - wo2);
            p[i] = ps + r;
            p[i + N] = ps - r;
        }
        k = pow(bw, N);
        nz_analog = (size_t)N;
    } else if (lo) {
        for (int i = 0; i < N; i++)
            p[i] = w_lo * proto[i];
        k = pow(w_lo, N);
        nz_analog = 0;
    } else {
        double complex prod = 1;
        for (int i = 0; i < N; i++) {
            p[i] = w_hi / proto[i];
            prod *= -proto[i];
        }
        k = creal(1.0 / prod);
        nz_analog = (size_t)N;
    }
    /* bilinear transform at fs = 2 */
    double num = pow(4.0, (double)nz_analog);
    double complex den = 1;
    for (size_t i = 0; i < np; i++) {
        den *= 4.0 - p[i];
        p[i] = (4.0 + p[i]) / (4.0 - p[i]);
    }
    *k_out = k * creal(num / den);
    *nplus = nz_analog;
    return np;
}

/* The denominators of the sections: real poles first (a first-order
 * section first), then conjugate pairs from the farthest from the unit
 * circle to the nearest (scipy puts the most resonant section last).
 * Returns the number of first-order sections (0 or 1). */
static size_t sos_poles(bract_filter_butter *f, const double *re, size_t nre, const double complex *up,
                        size_t nup)
{
    size_t s = 0, nfirst = 0, ir = 0;
    if (nre % 2 == 1) {
        double *q = f->sos[s++];
        q[3] = 1;
        q[4] = -re[ir++];
        q[5] = 0;
        nfirst = 1;
    }
    for (; ir < nre; ir += 2) {
        double *q = f->sos[s++];
        q[3] = 1;
        q[4] = -(re[ir] + re[ir + 1]);
        q[5] = re[ir] * re[ir + 1];
    }
    for (size_t i = 0; i < nup; i++) {
        double *q = f->sos[s++];
        q[3] = 1;
        q[4] = -2.0 * creal(up[i]);
        q[5] = creal(up[i]) * creal(up[i]) + cimag(up[i]) * cimag(up[i]);
    }
    return nfirst;
}

/* The numerators: two zeros per section, one per first-order section; a
 * band-pass section takes one at +1 and one at -1. */
static void sos_zeros(bract_filter_butter *f, size_t nfirst, size_t nplus, size_t nminus)
{
    for (size_t i = 0; i < f->nsec; i++) {
        double *q = f->sos[i];
        int first = i < nfirst;
        double z1, z2 = 0;
        if (nplus && nminus) {
            z1 = 1;
            nplus--;
            if (!first) {
                z2 = -1;
                nminus--;
            }
        } else if (nplus) {
            z1 = 1;
            nplus--;
            if (!first) {
                z2 = 1;
                nplus--;
            }
        } else {
            z1 = -1;
            nminus--;
            if (!first) {
                z2 = -1;
                nminus--;
            }
        }
        q[0] = 1;
        if (first) {
            q[1] = -z1;
            q[2] = 0;
        } else {
            q[1] = -(z1 + z2);
            q[2] = z1 * z2;
        }
    }
}

int bract_filter_butter_new(int order, double low_pass, double high_pass, double fs,
                        bract_filter_butter **out)
{
    *out = NULL;
    int rc = check_design(order, &low_pass, &high_pass, fs);
    if (rc)
        return rc;
    double complex p[40];
    double k;
    size_t nplus, np = digital_poles(order, low_pass, high_pass, fs, p, &k, &nplus);
    size_t nminus = np - nplus; /* zeros at +1 and -1 */

    /* group the poles: conjugate pairs (upper half) and real poles */
    double complex up[40];
    double re[40];
    size_t nup = 0, nre = 0;
    for (size_t i = 0; i < np; i++) {
        double tol = 100.0 * DBL_EPSILON * cabs(p[i]);
        if (fabs(cimag(p[i])) <= tol)
            re[nre++] = creal(p[i]);
        else if (cimag(p[i]) > 0)
            up[nup++] = p[i];
    }
    if (2 * nup + nre != np)
        return bract_error(BRACT_ENUMERIC, "Butterworth design: poles do not come in conjugate "
                           "pairs (order %d)", order);
    qsort(up, nup, sizeof *up, cmp_cabs);
    size_t nsec = nup + (nre + 1) / 2;
    bract_filter_butter *f = bract_xcalloc(1, sizeof *f, "a filter");
    if (!f)
        return BRACT_ENOMEM;
    f->sos = bract_xcalloc(nsec, sizeof *f->sos, "filter sections");
    if (!f->sos) {
        free(f);
        return BRACT_ENOMEM;
    }
    f->nsec = nsec;
    f->order = order;
    f->low_hz = low_pass > 0 ? low_pass : 0;
    f->high_hz = high_pass > 0 ? high_pass : 0;
    f->fs = fs;
    size_t nfirst = sos_poles(f, re, nre, up, nup);
    sos_zeros(f, nfirst, nplus, nminus);
    for (int j = 0; j < 3; j++)
        f->sos[0][j] *= k;
    size_t zb = 0, za = 0;
    for (size_t i = 0; i < nsec; i++) {
        zb += f->sos[i][2] == 0;
        za += f->sos[i][5] == 0;
    }
    f->padlen = 3 * (2 * nsec + 1 - (zb < za ? zb : za));
    *out = f;
    return BRACT_OK;
}

double bract_filter_butter_gain2(const bract_filter_butter *f, double hz)
{
    double w = 2.0 * M_PI * hz / f->fs;
    double complex z1 = cexp(-I * w), z2 = z1 * z1, h = 1;
    for (size_t i = 0; i < f->nsec; i++) {
        const double *q = f->sos[i];
        h *= (q[0] + q[1] * z1 + q[2] * z2) / (q[3] + q[4] * z1 + q[5] * z2);
    }
    double a = cabs(h);
    return a * a;
}

/* One pass of the cascade over x[0..n) in place, starting from the
 * steady-state conditions zi scaled by x0 (scipy's sosfilt with zi * x0). */
static void sos_pass(const bract_filter_butter *f, const double (*zi)[2], double x0, double *x, size_t n,
                     int reverse)
{
    double st[40][2];
    for (size_t s = 0; s < f->nsec; s++) {
        st[s][0] = zi[s][0] * x0;
        st[s][1] = zi[s][1] * x0;
    }
    for (size_t t = 0; t < n; t++) {
        size_t i = reverse ? n - 1 - t : t;
        double v = x[i];
        for (size_t s = 0; s < f->nsec; s++) {
            const double *q = f->sos[s];
            double y = q[0] * v + st[s][0];
            st[s][0] = q[1] * v - q[4] * y + st[s][1];
            st[s][1] = q[2] * v - q[5] * y;
            v = y;
        }
        x[i] = v;
    }
}

/* scipy's sosfilt_zi: each section's lfilter_zi, scaled by the DC gain of
 * the sections before it. */
static void sos_zi(const bract_filter_butter *f, double (*zi)[2])
{
    double scale = 1;
    for (size_t s = 0; s < f->nsec; s++) {
        const double *q = f->sos[s];
        double B0 = q[1] - q[4] * q[0], B1 = q[2] - q[5] * q[0];
        double z0 = (B0 + B1) / (1.0 + q[4] + q[5]);
        zi[s][0] = scale * z0;
        zi[s][1] = scale * (B1 - q[5] * z0);
        scale *= (q[0] + q[1] + q[2]) / (q[3] + q[4] + q[5]);
    }
}

int bract_filter_sosfiltfilt(const bract_filter_butter *f, const double *x, size_t n, double *y, double *work)
{
    size_t pl = f->padlen;
    if (n <= pl)
        return bract_error(BRACT_EDATA,
                           "%zu samples are too few for the Butterworth filter: it pads %zu "
                           "samples at each end and needs more than %zu",
                           n, pl, pl);
    double *e = work;
    for (size_t i = 0; i < pl; i++)
        e[i] = 2.0 * x[0] - x[pl - i];
    memcpy(e + pl, x, n * sizeof *e);
    for (size_t j = 0; j < pl; j++)
        e[pl + n + j] = 2.0 * x[n - 1] - x[n - 2 - j];
    size_t ne = n + 2 * pl;
    double zi[40][2];
    sos_zi(f, zi);
    sos_pass(f, (const double(*)[2])zi, e[0], e, ne, 0);
    sos_pass(f, (const double(*)[2])zi, e[ne - 1], e, ne, 1);
    memmove(y, e + pl, n * sizeof *y);
    return BRACT_OK;
}

/* ---- not-a-knot cubic spline ---- */

/* Tridiagonal system of scipy's CubicSpline for the slopes at m knots x,
 * factorised (LAPACK dgttrf). */
static int spline_factor(const double *x, size_t m, double *dl, double *d, double *du, double *du2,
                         int *ipiv)
{
    if (m < 2)
        return bract_error(BRACT_EDATA, "a spline needs at least 2 kept samples (got %zu)", m);
    if (m == 2)
        return BRACT_OK; /* a straight line */
    if (m == 3) {
        double dx0 = x[1] - x[0], dx1 = x[2] - x[1];
        d[0] = 1;
        d[1] = 2 * (dx0 + dx1);
        d[2] = 1;
        du[0] = 1;
        du[1] = dx0;
        dl[0] = dx1;
        dl[1] = 1;
    } else {
        d[0] = x[2] - x[1];
        du[0] = x[2] - x[0];
        for (size_t i = 1; i + 1 < m; i++) {
            double a = x[i] - x[i - 1], b = x[i + 1] - x[i];
            dl[i - 1] = b;
            d[i] = 2 * (a + b);
            du[i] = a;
        }
        dl[m - 2] = x[m - 1] - x[m - 3];
        d[m - 1] = x[m - 2] - x[m - 3];
    }
    lapack_int info = LAPACKE_dgttrf_work((lapack_int)m, dl, d, du, du2, ipiv);
    if (info != 0)
        return bract_error(BRACT_ENUMERIC, "cubic spline: singular system (LAPACK dgttrf info "
                           "%d)", (int)info);
    return BRACT_OK;
}

/* Slopes s at the knots for values v; slope holds m - 1 secant slopes. */
static void spline_slopes(const double *x, const double *v, size_t m, const double *dl,
                          const double *d, const double *du, const double *du2, const int *ipiv,
                          double *slope, double *s)
{
    for (size_t i = 0; i + 1 < m; i++)
        slope[i] = (v[i + 1] - v[i]) / (x[i + 1] - x[i]);
    if (m == 2) {
        s[0] = s[1] = slope[0];
        return;
    }
    if (m == 3) {
        double dx0 = x[1] - x[0], dx1 = x[2] - x[1];
        s[0] = 2 * slope[0];
        s[1] = 3 * (dx0 * slope[1] + dx1 * slope[0]);
        s[2] = 2 * slope[1];
    } else {
        double dx0 = x[1] - x[0], dx1 = x[2] - x[1], d0 = x[2] - x[0];
        s[0] = ((dx0 + 2 * d0) * dx1 * slope[0] + dx0 * dx0 * slope[1]) / d0;
        for (size_t i = 1; i + 1 < m; i++) {
            double a = x[i] - x[i - 1], b = x[i + 1] - x[i];
            s[i] = 3 * (b * slope[i - 1] + a * slope[i]);
        }
        double dxl = x[m - 1] - x[m - 2], dxl2 = x[m - 2] - x[m - 3], d1 = x[m - 1] - x[m - 3];
        s[m - 1] = (dxl * dxl * slope[m - 3] + (2 * d1 + dxl) * dxl2 * slope[m - 2]) / d1;
    }
    LAPACKE_dgttrs_work(LAPACK_COL_MAJOR, 'N', (lapack_int)m, 1, dl, d, du, du2, ipiv, s,
                        (lapack_int)m);
}

/* Value at xe of the piece on [x[i], x[i+1]]. */
static double spline_eval(const double *x, const double *v, const double *s, const double *slope,
                          size_t i, double xe)
{
    double dx = x[i + 1] - x[i];
    double t = (s[i] + s[i + 1] - 2 * slope[i]) / dx;
    double c0 = t / dx, c1 = (slope[i] - s[i]) / dx - t;
    double h = xe - x[i];
    return v[i] + s[i] * h + c1 * h * h + c0 * h * h * h;
}

/* Fill censored entries of y[0..n) from the kept ones (positions kpos[0..m),
 * abscissae xk) with the factorised spline. */
static void spline_apply(const double *t, double *y, size_t n, const size_t *kpos,
                         const double *xk, size_t m, const double *dl, const double *d,
                         const double *du, const double *du2, const int *ipiv, int extrapolate,
                         double *work)
{
    double *v = work, *slope = work + m, *s = work + 2 * m;
    for (size_t i = 0; i < m; i++)
        v[i] = y[kpos[i]];
    spline_slopes(xk, v, m, dl, d, du, du2, ipiv, slope, s);
    size_t piece = 0;
    for (size_t j = 0; j < n; j++) {
        while (piece + 1 < m && kpos[piece + 1] <= j)
            piece++;
        if (piece < m && kpos[piece] == j)
            continue; /* kept */
        if (j < kpos[0] || j > kpos[m - 1]) {
            if (!extrapolate) {
                y[j] = NAN;
                continue;
            }
        }
        size_t i = j < kpos[0] ? 0 : (piece + 1 >= m ? m - 2 : piece);
        y[j] = spline_eval(xk, v, s, slope, i, t[j]);
    }
}

int bract_filter_spline_fill(const double *t, double *y, const unsigned char *keep, size_t n,
                      int extrapolate, double *work, int *iwork)
{
    size_t m = 0;
    double *xk = work + 7 * n;
    size_t *kpos = (size_t *)(void *)(work + 8 * n); /* n doubles hold n size_t */
    for (size_t i = 0; i < n; i++)
        if (keep[i]) {
            kpos[m] = i;
            xk[m] = t[i];
            m++;
        }
    double *dl = work, *d = work + n, *du = work + 2 * n, *du2 = work + 3 * n;
    int rc = spline_factor(xk, m, dl, d, du, du2, iwork);
    if (rc)
        return rc;
    /* spline_apply needs 3 m doubles: the slots after du2 */
    spline_apply(t, y, n, kpos, xk, m, dl, d, du, du2, iwork, extrapolate, work + 4 * n);
    return BRACT_OK;
}

/* ---- cleaning plans ---- */

static const char *const standardize_names[] = {"none", "zscore", "zscore-population", "psc"};

const char *bract_clean_standardize_name(bract_clean_standardize s)
{
    return (int)s >= 0 && s <= BRACT_STANDARDIZE_PSC ? standardize_names[s] : "unknown";
}

int bract_clean_standardize_parse(const char *s, bract_clean_standardize *out)
{
    int i;
    int rc = bract_name_lookup(s, standardize_names, BRACT_STANDARDIZE_PSC + 1,
                               "standardisation", &i);
    if (rc == BRACT_OK)
        *out = (bract_clean_standardize)i;
    return rc;
}

int bract_clean_detrend_parse(const char *s, int *order)
{
    if (strcmp(s, "none") == 0) {
        *order = -1;
        return BRACT_OK;
    }
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (*s < '0' || *s > '9' || *end || errno || v > 10)
        return bract_error(BRACT_EINVAL,
                           "unknown detrending order '%s' (expected none or a polynomial "
                           "order from 0 to 10)",
                           s);
    *order = (int)v;
    return BRACT_OK;
}

void bract_clean_opts_defaults(bract_clean_opts *o)
{
    memset(o, 0, sizeof *o);
    o->detrend = 1;
    o->filter_order = 5;
    o->standardize = BRACT_STANDARDIZE_ZSCORE;
    o->standardize_confounds = 1;
}

typedef struct {
    size_t start, n;     /* rows of the input */
    size_t pstart, np;   /* processed range [pstart, pstart + np) within the run (interp) */
    size_t *pidx;        /* or processed rows (censoring without a filter), np of them */
    int interp;          /* spline-fill censored rows inside the processed range */
    size_t m;            /* kept rows in the processed range */
    size_t *kpos;        /* their positions in it */
    double *tk, *tt;     /* their times; times of all processed rows */
    double *dl, *d, *du, *du2;
    int *ipiv;
    size_t nout;         /* output rows */
    size_t *opos;        /* their positions in the processed series */
    double *Q;           /* nout x rank confound basis (column-major) */
    size_t rank;
    double *P;           /* np x detrend orthonormal polynomial columns of degree >= 1 */
} run_plan;

struct bract_clean_plan {
    bract_clean_opts o;
    size_t nt, nruns, nt_out;
    run_plan *run;
    size_t *out_index;   /* input row of each output row */
    bract_filter_butter *filt;
    size_t work;
    size_t min_rank;
};

void bract_clean_plan_free(bract_clean_plan *p)
{
    if (!p)
        return;
    for (size_t r = 0; p->run && r < p->nruns; r++) {
        run_plan *q = &p->run[r];
        free(q->pidx);
        free(q->kpos);
        free(q->tk);
        free(q->tt);
        free(q->dl);
        free(q->d);
        free(q->du);
        free(q->du2);
        free(q->ipiv);
        free(q->opos);
        free(q->Q);
        free(q->P);
    }
    free(p->run);
    free(p->out_index);
    bract_filter_butter_free(p->filt);
    free(p);
}

size_t bract_clean_plan_nt_out(const bract_clean_plan *p) { return p->nt_out; }
size_t bract_clean_plan_out_index(const bract_clean_plan *p, size_t i) { return p->out_index[i]; }
size_t bract_clean_plan_ws_size(const bract_clean_plan *p) { return p->work; }
size_t bract_clean_plan_confound_rank(const bract_clean_plan *p) { return p->min_rank; }

/* Orthonormal columns spanning polynomials of degree 1..deg on n points,
 * orthogonal to the constant (LAPACK QR of the Vandermonde matrix of the
 * centred, scaled sample index).  *P gets n x deg values. */
static int poly_basis(size_t n, int deg, double **P)
{
    *P = NULL;
    if (deg < 1)
        return BRACT_OK;
    size_t k = (size_t)deg + 1;
    double *V = bract_xmalloc(n * k, sizeof *V, "detrending basis");
    double *tau = bract_xmalloc(k, sizeof *tau, "detrending basis");
    if (!V || !tau) {
        free(V);
        free(tau);
        return BRACT_ENOMEM;
    }
    double c = 0.5 * (double)(n - 1), h = c > 0 ? c : 1;
    for (size_t i = 0; i < n; i++) {
        double u = ((double)i - c) / h, pw = 1;
        for (size_t j = 0; j < k; j++) {
            V[j * n + i] = pw;
            pw *= u;
        }
    }
    lapack_int info = LAPACKE_dgeqrf(LAPACK_COL_MAJOR, (lapack_int)n, (lapack_int)k, V,
                                     (lapack_int)n, tau);
    if (info == 0)
        info = LAPACKE_dorgqr(LAPACK_COL_MAJOR, (lapack_int)n, (lapack_int)k, (lapack_int)k, V,
                              (lapack_int)n, tau);
    free(tau);
    if (info != 0) {
        free(V);
        return bract_error(BRACT_ENUMERIC, "detrending basis: LAPACK QR failed (info %d)",
                           (int)info);
    }
    memmove(V, V + n, n * (size_t)deg * sizeof *V); /* drop the constant column */
    *P = V;
    return BRACT_OK;
}

/* Remove the mean and the polynomial columns of P (n x deg) from x. */
static void detrend(double *x, size_t n, int deg, const double *P)
{
    if (deg < 0)
        return;
    double m = 0;
    for (size_t i = 0; i < n; i++)
        m += x[i];
    m /= (double)n;
    for (size_t i = 0; i < n; i++)
        x[i] -= m;
    for (int j = 0; j < deg; j++) {
        const double *q = P + (size_t)j * n;
        double c = 0;
        for (size_t i = 0; i < n; i++)
            c += q[i] * x[i];
        for (size_t i = 0; i < n; i++)
            x[i] -= c * q[i];
    }
}

static double mean_of(const double *x, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += x[i];
    return s / (double)n;
}

/* Steps 1, 3 and 4 for one series of one run: processed values into w
 * (np values), then the output rows into y (nout values).  Returns the mean
 * taken after step 1.  work: spline and filter scratch. */
static int process_run(const bract_clean_plan *p, const run_plan *q, const double *x, double *w,
                       double *y, double *mean, double *work)
{
    if (q->interp) {
        memcpy(w, x + q->pstart, q->np * sizeof *w);
        spline_apply(q->tt, w, q->np, q->kpos, q->tk, q->m, q->dl, q->d, q->du, q->du2, q->ipiv,
                     1, work);
    } else if (q->pidx) {
        for (size_t i = 0; i < q->np; i++)
            w[i] = x[q->pidx[i]];
    } else {
        memcpy(w, x, q->np * sizeof *w);
    }
    *mean = mean_of(w, q->np);
    detrend(w, q->np, p->o.detrend, q->P);
    if (p->filt) {
        int rc = bract_filter_sosfiltfilt(p->filt, w, q->np, w, work);
        if (rc)
            return rc;
    }
    if (q->opos)
        for (size_t i = 0; i < q->nout; i++)
            y[i] = w[q->opos[i]];
    else
        memcpy(y, w, q->nout * sizeof *y);
    return BRACT_OK;
}

/* Step 5 for the confounds of one run: Q, rank. */
static int confound_basis(bract_clean_plan *p, run_plan *q, size_t r, const double *conf,
                          size_t nconf, size_t nt)
{
    size_t n = q->nout;
    if (nconf >= n)
        return bract_error(BRACT_EDATA,
                           "run %zu: %zu confounds for %zu volumes; confound regression needs "
                           "fewer confounds than volumes",
                           r + 1, nconf, n);
    double *A = bract_xmalloc(n * nconf, sizeof *A, "confounds");
    double *w = bract_xmalloc(q->np ? q->np : 1, sizeof *w, "confounds");
    double *work = bract_xmalloc(p->work, sizeof *work, "confounds");
    double *tau = bract_xmalloc(nconf, sizeof *tau, "confounds");
    lapack_int *jpvt = bract_xcalloc(nconf, sizeof *jpvt, "confounds");
    int rc = BRACT_OK;
    if (!A || !w || !work || !tau || !jpvt) {
        rc = BRACT_ENOMEM;
        goto done;
    }
    for (size_t c = 0; c < nconf; c++) {
        double *col = A + c * n, m;
        if ((rc = process_run(p, q, conf + c * nt + q->start, w, col, &m, work)))
            goto done;
        if (p->o.standardize_confounds) {
            double mu = mean_of(col, n), ss = 0;
            for (size_t i = 0; i < n; i++) {
                col[i] -= mu;
                ss += col[i] * col[i];
            }
            double sd = n > 1 ? sqrt(ss / (double)(n - 1)) : 0;
            if (sd < DBL_EPSILON)
                sd = 1;
            for (size_t i = 0; i < n; i++)
                col[i] /= sd;
        } else {
            double mx = 0;
            for (size_t i = 0; i < n; i++)
                mx = fmax(mx, fabs(col[i]));
            if (mx == 0)
                mx = 1;
            for (size_t i = 0; i < n; i++)
                col[i] /= mx;
        }
    }
    lapack_int info = LAPACKE_dgeqp3(LAPACK_COL_MAJOR, (lapack_int)n, (lapack_int)nconf, A,
                                     (lapack_int)n, jpvt, tau);
    if (info != 0) {
        rc = bract_error(BRACT_ENUMERIC, "run %zu: QR of the confounds failed (LAPACK dgeqp3 info "
                         "%d)", r + 1, (int)info);
        goto done;
    }
    unsigned char *use = (unsigned char *)(void *)w; /* np >= nconf bytes are free in w */
    size_t rank = 0;
    for (size_t j = 0; j < nconf; j++) {
        use[j] = fabs(A[j * n + j]) > 100.0 * DBL_EPSILON;
        rank += use[j];
    }
    info = LAPACKE_dorgqr(LAPACK_COL_MAJOR, (lapack_int)n, (lapack_int)nconf, (lapack_int)nconf, A,
                          (lapack_int)n, tau);
    if (info != 0) {
        rc = bract_error(BRACT_ENUMERIC, "run %zu: QR of the confounds failed (LAPACK dorgqr info "
                         "%d)", r + 1, (int)info);
        goto done;
    }
    size_t k = 0;
    for (size_t j = 0; j < nconf; j++)
        if (use[j]) {
            if (k != j)
                memcpy(A + k * n, A + j * n, n * sizeof *A);
            k++;
        }
    if (rank < nconf)
        bract_warn("run %zu: %zu of %zu confound columns are linear combinations of the others "
                   "(after %s) and were dropped from the regression",
                   r + 1, nconf - rank, nconf,
                   p->filt ? "detrending and filtering" : "detrending");
    q->Q = A;
    q->rank = rank;
    A = NULL;
done:
    free(A);
    free(w);
    free(work);
    free(tau);
    free(jpvt);
    return rc;
}

/* Runs that add up to nt, options in range. */
static int check_plan(const bract_clean_opts *o, size_t nt, const size_t *run_len, size_t nruns)
{
    size_t tot = 0;
    for (size_t r = 0; r < nruns; r++) {
        if (run_len[r] == 0)
            return bract_error(BRACT_EINVAL, "run %zu has no volumes", r + 1);
        tot += run_len[r];
    }
    if (tot != nt)
        return bract_error(BRACT_EDATA, "the runs add up to %zu volumes but the data have %zu",
                           tot, nt);
    if (o->detrend < -1 || o->detrend > 10)
        return bract_error(BRACT_EINVAL, "detrending order %d is outside -1..10", o->detrend);
    if ((int)o->standardize < BRACT_STANDARDIZE_NONE || o->standardize > BRACT_STANDARDIZE_PSC)
        return bract_error(BRACT_EINVAL, "unknown standardisation %d", (int)o->standardize);
    int filt = o->low_pass > 0 || o->high_pass > 0;
    if (filt && !(o->tr > 0 && isfinite(o->tr)))
        return bract_error(BRACT_EINVAL, "filtering needs the repetition time (TR), which is "
                           "unknown");
    return BRACT_OK;
}

/* Run r censored before a filter: the spline through its nkeep kept
 * volumes (first..last) over the processed range. */
static int plan_spline(const bract_clean_opts *o, run_plan *q, size_t r, const unsigned char *kp,
                       size_t nkeep, size_t first, size_t last)
{
    if (nkeep < 2)
        return bract_error(BRACT_EDATA, "run %zu: 1 volume left after censoring; the spline "
                           "that fills censored volumes before filtering needs 2",
                           r + 1);
    q->interp = 1;
    q->pstart = o->extrapolate ? 0 : first;
    q->np = o->extrapolate ? q->n : last - first + 1;
    q->m = nkeep;
    q->kpos = bract_xmalloc(nkeep, sizeof *q->kpos, "spline knots");
    q->tk = bract_xmalloc(nkeep, sizeof *q->tk, "spline knots");
    q->tt = bract_xmalloc(q->np, sizeof *q->tt, "spline knots");
    q->dl = bract_xmalloc(nkeep, sizeof *q->dl, "spline system");
    q->d = bract_xmalloc(nkeep, sizeof *q->d, "spline system");
    q->du = bract_xmalloc(nkeep, sizeof *q->du, "spline system");
    q->du2 = bract_xmalloc(nkeep, sizeof *q->du2, "spline system");
    q->ipiv = bract_xmalloc(nkeep, sizeof *q->ipiv, "spline system");
    q->opos = bract_xmalloc(nkeep, sizeof *q->opos, "output rows");
    if (!q->kpos || !q->tk || !q->tt || !q->dl || !q->d || !q->du || !q->du2 || !q->ipiv ||
        !q->opos)
        return BRACT_ENOMEM;
    size_t m = 0;
    for (size_t i = 0; i < q->np; i++) {
        /* frame times t * TR, as nilearn */
        q->tt[i] = (double)(q->pstart + i) * o->tr;
        if (kp[q->pstart + i]) {
            q->kpos[m] = i;
            q->tk[m] = q->tt[i];
            q->opos[m] = i;
            m++;
        }
    }
    q->nout = nkeep;
    return spline_factor(q->tk, m, q->dl, q->d, q->du, q->du2, q->ipiv);
}

/* Run r of the plan, of len volumes from `start`: censoring, output rows,
 * the checks of its length, the detrending basis. */
static int plan_run(bract_clean_plan *p, size_t r, size_t start, size_t len,
                    const unsigned char *keep)
{
    const bract_clean_opts *o = &p->o;
    run_plan *q = &p->run[r];
    q->start = start;
    q->n = len;
    const unsigned char *kp = keep ? keep + start : NULL;
    size_t nkeep = q->n, first = 0, last = q->n - 1;
    if (kp) {
        nkeep = 0;
        first = q->n;
        for (size_t i = 0; i < q->n; i++)
            if (kp[i]) {
                if (!nkeep)
                    first = i;
                last = i;
                nkeep++;
            }
    }
    if (nkeep == 0)
        return bract_error(BRACT_EDATA, "run %zu: every volume is censored", r + 1);
    int censored = nkeep < q->n, rc;
    if (censored && p->filt) {
        if ((rc = plan_spline(o, q, r, kp, nkeep, first, last)))
            return rc;
    } else if (censored) {
        q->np = nkeep;
        q->pidx = bract_xmalloc(nkeep, sizeof *q->pidx, "kept rows");
        if (!q->pidx)
            return BRACT_ENOMEM;
        size_t m = 0;
        for (size_t i = 0; i < q->n; i++)
            if (kp[i])
                q->pidx[m++] = i;
        q->nout = nkeep;
    } else {
        q->np = q->n;
        q->nout = q->n;
    }
    /* output rows in input numbering */
    for (size_t i = 0, m = 0; i < q->n; i++)
        if (!kp || kp[i])
            p->out_index[p->nt_out + m++] = start + i;
    size_t pad = p->filt ? p->filt->padlen : 0;
    if (o->detrend >= 0 && q->np < (size_t)o->detrend + 2)
        return bract_error(BRACT_EDATA, "run %zu: %zu volumes are too few to remove a "
                           "polynomial trend of order %d",
                           r + 1, q->np, o->detrend);
    if (p->filt && q->np <= pad)
        return bract_error(BRACT_EDATA,
                           "run %zu: %zu volumes are too few for the Butterworth filter, which "
                           "pads %zu volumes at each end and needs more than %zu",
                           r + 1, q->np, pad, pad);
    if (o->standardize != BRACT_STANDARDIZE_NONE && q->nout < 2)
        return bract_error(BRACT_EDATA, "run %zu: 1 volume cannot be standardised", r + 1);
    if ((rc = poly_basis(q->np, o->detrend, &q->P)))
        return rc;
    p->nt_out += q->nout;
    return BRACT_OK;
}

int bract_clean_plan_new(const bract_clean_opts *o, size_t nt, const size_t *run_len,
                         size_t nruns, const double *confounds, size_t nconf,
                         const unsigned char *keep, bract_clean_plan **out)
{
    *out = NULL;
    size_t one = nt;
    if (!run_len || nruns == 0) {
        run_len = &one;
        nruns = 1;
    }
    int rc = check_plan(o, nt, run_len, nruns);
    if (rc)
        return rc;
    bract_clean_plan *p = bract_xcalloc(1, sizeof *p, "a cleaning plan");
    if (!p)
        return BRACT_ENOMEM;
    p->o = *o;
    p->nt = nt;
    p->nruns = nruns;
    if ((o->low_pass > 0 || o->high_pass > 0) &&
        (rc = bract_filter_butter_new(o->filter_order, o->low_pass, o->high_pass, 1.0 / o->tr,
                                  &p->filt)))
        goto fail;
    p->run = bract_xcalloc(nruns, sizeof *p->run, "runs");
    p->out_index = bract_xmalloc(nt, sizeof *p->out_index, "output rows");
    if (!p->run || !p->out_index) {
        rc = BRACT_ENOMEM;
        goto fail;
    }
    size_t pad = p->filt ? p->filt->padlen : 0;
    p->work = 8 * nt + 2 * pad + 16;
    p->min_rank = nconf;
    for (size_t r = 0, start = 0; r < nruns; start += run_len[r], r++)
        if ((rc = plan_run(p, r, start, run_len[r], keep)))
            goto fail;
    for (size_t r = 0; r < nruns && nconf; r++) {
        if ((rc = confound_basis(p, &p->run[r], r, confounds, nconf, nt)))
            goto fail;
        if (p->run[r].rank < p->min_rank)
            p->min_rank = p->run[r].rank;
    }
    *out = p;
    return BRACT_OK;
fail:
    bract_clean_plan_free(p);
    return rc;
}

int bract_clean_series(const bract_clean_plan *p, const double *x, double *y, double *work)
{
    int constant = 1;
    for (size_t i = 0; i < p->nt; i++) {
        if (!isfinite(x[i])) {
            for (size_t j = 0; j < p->nt_out; j++)
                y[j] = NAN;
            return BRACT_SERIES_NONFINITE;
        }
        if (x[i] != x[0])
            constant = 0;
    }
    if (constant) {
        for (size_t j = 0; j < p->nt_out; j++)
            y[j] = NAN;
        return BRACT_SERIES_CONSTANT;
    }
    int status = BRACT_SERIES_OK;
    double *w = work, *scratch = work + p->nt;
    const bract_clean_opts *o = &p->o;
    int mean_removed = o->detrend >= 0 || o->high_pass > 0;
    size_t off = 0;
    for (size_t r = 0; r < p->nruns; r++) {
        const run_plan *q = &p->run[r];
        double *yr = y + off, mean;
        /* cannot fail: lengths were checked when the plan was built */
        process_run(p, q, x + q->start, w, yr, &mean, scratch);
        size_t n = q->nout;
        if (q->rank) {
            double *c = scratch;
            cblas_dgemv(CblasColMajor, CblasTrans, (int)n, (int)q->rank, 1.0, q->Q, (int)n, yr, 1,
                        0.0, c, 1);
            cblas_dgemv(CblasColMajor, CblasNoTrans, (int)n, (int)q->rank, -1.0, q->Q, (int)n, c,
                        1, 1.0, yr, 1);
        }
        switch (o->standardize) {
        case BRACT_STANDARDIZE_NONE:
            if (o->keep_mean)
                for (size_t i = 0; i < n; i++)
                    yr[i] += mean;
            break;
        case BRACT_STANDARDIZE_ZSCORE:
        case BRACT_STANDARDIZE_ZSCORE_POP: {
            double mu = mean_of(yr, n), ss = 0;
            for (size_t i = 0; i < n; i++) {
                yr[i] -= mu;
                ss += yr[i] * yr[i];
            }
            size_t dof = o->standardize == BRACT_STANDARDIZE_ZSCORE ? n - 1 : n;
            double sd = sqrt(ss / (double)dof);
            if (sd < DBL_EPSILON)
                sd = 1;
            for (size_t i = 0; i < n; i++)
                yr[i] /= sd;
            break;
        }
        case BRACT_STANDARDIZE_PSC: {
            if (mean_removed)
                for (size_t i = 0; i < n; i++)
                    yr[i] += mean;
            double mu = mean_of(yr, n);
            if (fabs(mu) < DBL_EPSILON) {
                for (size_t i = 0; i < n; i++)
                    yr[i] = 0;
                status = BRACT_SERIES_ZERO_MEAN;
            } else {
                for (size_t i = 0; i < n; i++)
                    yr[i] = (yr[i] - mu) / fabs(mu) * 100.0;
            }
            break;
        }
        default: break;
        }
        off += n;
    }
    return status;
}

int bract_clean_tseries(const bract_clean_plan *p, bract_tseries *ts, bract_clean_counts *counts)
{
    bract_clean_counts cnt = {0};
    if (ts->nt != p->nt)
        return bract_error(BRACT_EDATA, "the series have %zu volumes but the cleaning plan was "
                           "made for %zu", ts->nt, p->nt);
    size_t no = p->nt_out;
    size_t ny = ts->nreg * no;
    double *y = bract_xmalloc(ny > 0 ? ny : 1, sizeof *y, "cleaned series");
    double *work = bract_xmalloc(p->work, sizeof *work, "cleaning workspace");
    if (!y || !work) {
        free(y);
        free(work);
        return BRACT_ENOMEM;
    }
    for (size_t r = 0; r < ts->nreg; r++) {
        int st = bract_clean_series(p, ts->x + r * ts->nt, y + r * no, work);
        if (st == BRACT_SERIES_NONFINITE) {
            cnt.nonfinite++;
            size_t miss = 0;
            for (size_t i = 0; i < ts->nt; i++)
                miss += !isfinite(ts->x[r * ts->nt + i]);
            if (miss < ts->nt)
                bract_warn("region %s has %zu missing or non-finite value%s of %zu: left out "
                           "(written as n/a)",
                           ts->name[r], miss, miss == 1 ? "" : "s", ts->nt);
            else
                bract_warn("region %s has no values (all n/a): left out", ts->name[r]);
        } else if (st == BRACT_SERIES_CONSTANT) {
            cnt.constant++;
            bract_warn("region %s is constant: left out (written as n/a)", ts->name[r]);
        } else if (st == BRACT_SERIES_ZERO_MEAN) {
            cnt.zero_mean++;
            bract_warn("region %s has mean 0: percent signal change is meaningless and it is set "
                       "to 0, as nilearn does",
                       ts->name[r]);
        }
    }
    free(work);
    free(ts->x);
    ts->x = y;
    ts->nt = no;
    if (counts)
        *counts = cnt;
    return BRACT_OK;
}

int bract_clean_volume(const bract_clean_plan *p, const bract_volume *in, const bract_mask *mask,
                       bract_volume **out, bract_clean_counts *counts, size_t *nvox_cleaned,
                       const bract_progress *progress)
{
    *out = NULL;
    bract_clean_counts cnt = {0};
    if (!in->data)
        return bract_error(BRACT_EINVAL, "%s: no voxel data read", in->path ? in->path : "volume");
    if ((size_t)in->nt != p->nt)
        return bract_error(BRACT_EDATA, "%s has %lld volumes but the cleaning plan was made for "
                           "%zu", in->path ? in->path : "the volume", (long long)in->nt, p->nt);
    if (mask && (mask->nx != in->nx || mask->ny != in->ny || mask->nz != in->nz))
        return bract_error(BRACT_EDATA, "the mask and %s are on different grids",
                           in->path ? in->path : "the volume");
    size_t nvox = in->nvox, nt = p->nt, no = p->nt_out;
    size_t *vox = NULL, nv = 0;
    if (mask) {
        vox = mask->index;
        nv = mask->n;
    } else {
        vox = bract_xmalloc(nvox ? nvox : 1, sizeof *vox, "voxel list");
        if (!vox)
            return BRACT_ENOMEM;
        for (size_t i = 0; i < nvox; i++) {
            size_t t = 0;
            while (t < nt && bract_volume_get(in, i + nvox * t) == 0.0)
                t++;
            if (t < nt)
                vox[nv++] = i;
        }
    }
    bract_volume *v;
    int rc = bract_volume_new_like(in, (int64_t)no, BRACT_F32, &v);
    if (rc) {
        if (!mask)
            free(vox);
        return rc;
    }
    unsigned char *status = bract_xcalloc(nv ? nv : 1, 1, "voxel status");
    int nth = bract_get_threads();
    double *work = bract_xmalloc((size_t)nth * (p->work + nt + no), sizeof *work,
                                 "cleaning workspace");
    if (!status || !work) {
        free(status);
        free(work);
        bract_volume_free(v);
        if (!mask)
            free(vox);
        return BRACT_ENOMEM;
    }
    float *o = v->data;
    const size_t chunk = 2048;
    for (size_t c0 = 0; c0 < nv; c0 += chunk) {
        size_t c1 = c0 + chunk < nv ? c0 + chunk : nv;
#pragma omp parallel num_threads(nth)
        {
#ifdef _OPENMP
            int tid = omp_get_thread_num();
#else
            int tid = 0;
#endif
            double *x = work + (size_t)tid * (p->work + nt + no), *y = x + nt, *w = y + no;
#pragma omp for schedule(static)
            for (size_t j = c0; j < c1; j++) {
                size_t i = vox[j];
                for (size_t t = 0; t < nt; t++)
                    x[t] = bract_volume_get(in, i + nvox * t);
                int st = bract_clean_series(p, x, y, w);
                status[j] = (unsigned char)st;
                if (st == BRACT_SERIES_NONFINITE || st == BRACT_SERIES_CONSTANT)
                    continue; /* stays 0 */
                for (size_t t = 0; t < no; t++)
                    o[i + nvox * t] = (float)y[t];
            }
        }
        bract_progress_report(progress, c1, nv);
    }
    for (size_t j = 0; j < nv; j++) {
        cnt.nonfinite += status[j] == BRACT_SERIES_NONFINITE;
        cnt.constant += status[j] == BRACT_SERIES_CONSTANT;
        cnt.zero_mean += status[j] == BRACT_SERIES_ZERO_MEAN;
    }
    if (cnt.nonfinite)
        bract_warn("%zu voxel%s with non-finite values left out (written as 0)", cnt.nonfinite,
                   cnt.nonfinite == 1 ? "" : "s");
    if (cnt.constant)
        bract_warn("%zu constant voxel%s left out (written as 0)", cnt.constant,
                   cnt.constant == 1 ? "" : "s");
    if (cnt.zero_mean)
        bract_warn("%zu voxel%s with mean 0 set to 0 (percent signal change is meaningless)",
                   cnt.zero_mean, cnt.zero_mean == 1 ? "" : "s");
    free(status);
    free(work);
    if (!mask)
        free(vox);
    if (counts)
        *counts = cnt;
    if (nvox_cleaned)
        *nvox_cleaned = nv;
    *out = v;
    return BRACT_OK;
}

/* ---- confounds tables ---- */

void bract_clean_confounds_free(double *x, char **names, size_t ncols)
{
    free(x);
    if (names)
        for (size_t c = 0; c < ncols; c++)
            free(names[c]);
    free(names);
}

int bract_clean_confounds_read(const char *path, const char *const *patterns, size_t npat, double **x,
                         size_t *nrows, size_t *ncols, char ***names, size_t *nfilled)
{
    *x = NULL;
    *names = NULL;
    *nrows = *ncols = *nfilled = 0;
    bract_table *t;
    int rc = bract_table_read(path, &t);
    if (rc)
        return rc;
    size_t nc = t->ncols, nr = t->nrows, n = 0;
    unsigned char *use = bract_xcalloc(nc ? nc : 1, 1, "confound columns");
    if (!use) {
        bract_table_free(t);
        return BRACT_ENOMEM;
    }
    for (size_t k = 0; k < npat; k++) {
        size_t hits = 0;
        for (size_t c = 0; c < nc; c++)
            if (fnmatch(patterns[k], t->colname[c], 0) == 0) {
                use[c] = 1;
                hits++;
            }
        if (!hits) {
            bract_buf b = {0};
            for (size_t c = 0; c < nc && c < 12; c++)
                bract_buf_printf(&b, "%s%s", c ? ", " : "", t->colname[c]);
            if (nc > 12)
                bract_buf_printf(&b, ", ... (%zu in all)", nc);
            rc = bract_error(BRACT_EDATA, "%s: no column matches '%s' (the columns are %s)", path,
                             patterns[k], b.data ? b.data : "none");
            bract_buf_free(&b);
            goto fail;
        }
    }
    for (size_t c = 0; c < nc; c++) {
        if (!npat)
            use[c] = 1;
        n += use[c];
    }
    if (nr == 0) {
        rc = bract_error(BRACT_EFORMAT, "%s: no rows (expected one row per volume)", path);
        goto fail;
    }
    *x = bract_xmalloc(nr * (n ? n : 1), sizeof **x, "confounds");
    *names = bract_xcalloc(n ? n : 1, sizeof **names, "confound names");
    if (!*x || !*names) {
        rc = BRACT_ENOMEM;
        goto fail;
    }
    size_t k = 0, filled = 0;
    for (size_t c = 0; c < nc; c++) {
        if (!use[c])
            continue;
        double *col = *x + k * nr;
        if (!((*names)[k] = bract_xstrdup(t->colname[c]))) {
            rc = BRACT_ENOMEM;
            goto fail;
        }
        k++;
        if ((rc = bract_table_column(t, c, col)))
            goto fail;
        size_t first = 0;
        while (first < nr && isnan(col[first]))
            first++;
        if (first == nr) {
            rc = bract_error(BRACT_EDATA, "%s: column %zu ('%s') has no values", path, c + 1,
                             t->colname[c]);
            goto fail;
        }
        for (size_t r = first; r < nr; r++)
            if (!isfinite(col[r])) {
                rc = bract_error(BRACT_EDATA,
                                 "%s:%zu: column %zu ('%s'): missing or non-finite value after "
                                 "the first row with a value (only leading n/a, as in "
                                 "fMRIPrep's derivative columns, are filled)",
                                 path, t->line[r], c + 1, t->colname[c]);
                goto fail;
            }
        for (size_t r = 0; r < first; r++)
            col[r] = col[first];
        filled += first;
    }
    *nrows = nr;
    *ncols = n;
    *nfilled = filled;
    free(use);
    bract_table_free(t);
    return BRACT_OK;
fail:
    bract_clean_confounds_free(*x, *names, n);
    *x = NULL;
    *names = NULL;
    free(use);
    bract_table_free(t);
    return rc;
}
