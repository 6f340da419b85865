/* Autocorrelation and Welch spectra by FFT (FFTW). */
#include "timescale/timescale_internal.h"

#include <math.h>
#include <string.h>

/* FFTW's planner is not thread-safe: every plan is made and destroyed in
 * this one named critical section (other modules use the same name). */
static fftw_plan plan_r2c(int n, double *in, fftw_complex *out)
{
    fftw_plan p;
#pragma omp critical(bract_fftw)
    p = fftw_plan_dft_r2c_1d(n, in, out, FFTW_ESTIMATE);
    return p;
}

static fftw_plan plan_c2r(int n, fftw_complex *in, double *out)
{
    fftw_plan p;
#pragma omp critical(bract_fftw)
    p = fftw_plan_dft_c2r_1d(n, in, out, FFTW_ESTIMATE);
    return p;
}

static void plan_destroy(fftw_plan p)
{
    if (!p)
        return;
#pragma omp critical(bract_fftw)
    fftw_destroy_plan(p);
}

size_t bract_acf_fft_size(size_t n)
{
    if (n <= 1)
        return 1;
    /* the answer is at most the next power of two, below 2n */
    size_t best = 1;
    while (best < n)
        best *= 2;
    for (size_t p2 = 1; p2 < best; p2 *= 2)
        for (size_t p3 = p2; p3 < best; p3 *= 3) {
            size_t p5 = p3;
            while (p5 < n)
                p5 *= 5;
            if (p5 < best)
                best = p5;
        }
    return best;
}

size_t bract_acf_default_lags(size_t nt)
{
    if (nt < 2)
        return 0;
    size_t k = (size_t)floor(10.0 * log10((double)nt));
    return k < nt - 1 ? k : nt - 1;
}

/* ---- ACF ---- */

struct bract_acf_plan {
    size_t nt, max_lag, nfft;
    bract_acf_norm norm;
    fftw_plan fwd, bwd;
};

struct bract_acf_ws {
    double *buf;        /* nfft */
    fftw_complex *spec; /* nfft/2 + 1 */
};

int bract_acf_plan_new(size_t nt, size_t max_lag, bract_acf_norm norm, bract_acf_plan **out)
{
    *out = NULL;
    if (nt < 2)
        return bract_error(BRACT_EINVAL, "an autocorrelation needs at least 2 samples, got %zu",
                           nt);
    if (max_lag >= nt)
        return bract_error(BRACT_EINVAL,
                           "the series have %zu samples, too short for lags up to %zu (the "
                           "maximum lag must be below the length: at most %zu)",
                           nt, max_lag, nt - 1);
    if (norm != BRACT_ACF_BIASED && norm != BRACT_ACF_ADJUSTED)
        return bract_error(BRACT_EINVAL, "unknown ACF normalisation %d", (int)norm);
    size_t nfft = bract_acf_fft_size(nt + max_lag);
    if (nfft > (size_t)1 << 30)
        return bract_error(BRACT_EINVAL, "series of %zu samples are too long for the FFT", nt);
    bract_acf_plan *p = bract_xcalloc(1, sizeof *p, "ACF plan");
    if (!p)
        return BRACT_ENOMEM;
    p->nt = nt;
    p->max_lag = max_lag;
    p->nfft = nfft;
    p->norm = norm;
    double *buf = fftw_alloc_real(nfft);
    fftw_complex *spec = fftw_alloc_complex(nfft / 2 + 1);
    if (buf && spec) {
        p->fwd = plan_r2c((int)nfft, buf, spec);
        p->bwd = plan_c2r((int)nfft, spec, buf);
    }
    fftw_free(buf);
    fftw_free(spec);
    if (!p->fwd || !p->bwd) {
        bract_acf_plan_free(p);
        return bract_error(BRACT_ENOMEM, "cannot plan an FFT of length %zu", nfft);
    }
    *out = p;
    return BRACT_OK;
}

void bract_acf_plan_free(bract_acf_plan *p)
{
    if (!p)
        return;
    plan_destroy(p->fwd);
    plan_destroy(p->bwd);
    free(p);
}

size_t bract_acf_plan_fft_length(const bract_acf_plan *p) { return p->nfft; }

int bract_acf_ws_new(const bract_acf_plan *p, bract_acf_ws **out)
{
    *out = NULL;
    bract_acf_ws *w = bract_xcalloc(1, sizeof *w, "ACF workspace");
    if (!w)
        return BRACT_ENOMEM;
    w->buf = fftw_alloc_real(p->nfft);
    w->spec = fftw_alloc_complex(p->nfft / 2 + 1);
    if (!w->buf || !w->spec) {
        bract_acf_ws_free(w);
        return bract_error(BRACT_ENOMEM, "out of memory (ACF workspace of %zu values)", p->nfft);
    }
    *out = w;
    return BRACT_OK;
}

void bract_acf_ws_free(bract_acf_ws *w)
{
    if (!w)
        return;
    fftw_free(w->buf);
    fftw_free(w->spec);
    free(w);
}

int bract_acf_compute(const bract_acf_plan *p, bract_acf_ws *w, const double *x, double *acf)
{
    size_t n = p->nt, L = p->max_lag;
    int constant = 1;
    for (size_t t = 0; t < n; t++) {
        if (!isfinite(x[t])) {
            for (size_t k = 0; k <= L; k++)
                acf[k] = NAN;
            return bract_error(BRACT_EDATA, "the series holds a non-finite value at sample %zu",
                               t);
        }
        if (x[t] != x[0])
            constant = 0;
    }
    if (constant) {
        for (size_t k = 0; k <= L; k++)
            acf[k] = NAN;
        return bract_error(BRACT_EDATA, "the series is constant");
    }
    double s = 0;
    for (size_t t = 0; t < n; t++)
        s += x[t];
    double mean = s / (double)n;
    double *b = w->buf;
    for (size_t t = 0; t < n; t++)
        b[t] = x[t] - mean;
    memset(b + n, 0, (p->nfft - n) * sizeof *b);
    fftw_execute_dft_r2c(p->fwd, b, w->spec);
    size_t nc = p->nfft / 2 + 1;
    for (size_t j = 0; j < nc; j++) {
        double re = w->spec[j][0], im = w->spec[j][1];
        w->spec[j][0] = re * re + im * im;
        w->spec[j][1] = 0;
    }
    fftw_execute_dft_c2r(p->bwd, w->spec, b);
    /* b[k] = nfft * sum_t x~_t x~_{t+k}; the factor cancels in the ratio */
    double c0 = b[0];
    if (!(c0 > 0)) {
        for (size_t k = 0; k <= L; k++)
            acf[k] = NAN;
        return bract_error(BRACT_EDATA, "the series has no variance");
    }
    acf[0] = 1.0;
    for (size_t k = 1; k <= L; k++) {
        double r = b[k] / c0;
        if (p->norm == BRACT_ACF_ADJUSTED)
            r *= (double)n / (double)(n - k);
        acf[k] = r;
    }
    return BRACT_OK;
}

int bract_acf(const double *x, size_t nt, size_t max_lag, bract_acf_norm norm, double *acf)
{
    bract_acf_plan *p;
    bract_acf_ws *w;
    int rc = bract_acf_plan_new(nt, max_lag, norm, &p);
    if (rc)
        return rc;
    if ((rc = bract_acf_ws_new(p, &w)) == BRACT_OK) {
        rc = bract_acf_compute(p, w, x, acf);
        bract_acf_ws_free(w);
    }
    bract_acf_plan_free(p);
    return rc;
}

/* ---- Welch ---- */

int bract_welch_plan_init(bract_welch_plan *p, size_t n, double fs, size_t nseg)
{
    memset(p, 0, sizeof *p);
    if (nseg < 4 || nseg > n)
        return bract_error(BRACT_EINVAL,
                           "a Welch segment of %zu samples does not fit series of %zu (expected "
                           "4 to %zu)", nseg, n, n);
    if (!(fs > 0) || !isfinite(fs))
        return bract_error(BRACT_EINVAL, "the sampling rate must be positive, got %g", fs);
    p->n = n;
    p->nseg = nseg;
    p->step = nseg - nseg / 2;
    p->nsegments = (n - nseg / 2) / p->step;
    p->nfreq = nseg / 2 + 1;
    p->fs = fs;
    p->win = bract_xmalloc(nseg, sizeof *p->win, "Welch window");
    if (!p->win)
        return BRACT_ENOMEM;
    double sw2 = 0;
    for (size_t i = 0; i < nseg; i++) {
        /* periodic Hann (scipy.signal.get_window('hann', nseg)) */
        double wv = 0.5 - 0.5 * cos(2.0 * M_PI * (double)i / (double)nseg);
        p->win[i] = wv;
        sw2 += wv * wv;
    }
    p->scale = 1.0 / (fs * sw2);
    double *seg = fftw_alloc_real(nseg);
    fftw_complex *spec = fftw_alloc_complex(p->nfreq);
    if (seg && spec)
        p->fwd = plan_r2c((int)nseg, seg, spec);
    fftw_free(seg);
    fftw_free(spec);
    if (!p->fwd) {
        bract_welch_plan_clear(p);
        return bract_error(BRACT_ENOMEM, "cannot plan an FFT of length %zu", nseg);
    }
    return BRACT_OK;
}

void bract_welch_plan_clear(bract_welch_plan *p)
{
    free(p->win);
    plan_destroy(p->fwd);
    memset(p, 0, sizeof *p);
}

int bract_welch_work_init(bract_welch_work *w, const bract_welch_plan *p)
{
    w->seg = fftw_alloc_real(p->nseg);
    w->spec = fftw_alloc_complex(p->nfreq);
    if (!w->seg || !w->spec) {
        bract_welch_work_clear(w);
        return bract_error(BRACT_ENOMEM, "out of memory (Welch workspace of %zu values)",
                           p->nseg);
    }
    return BRACT_OK;
}

void bract_welch_work_clear(bract_welch_work *w)
{
    fftw_free(w->seg);
    fftw_free(w->spec);
    w->seg = NULL;
    w->spec = NULL;
}

void bract_welch_exec(const bract_welch_plan *p, bract_welch_work *w, const double *x,
                      double *psd)
{
    size_t m = p->nseg, nf = p->nfreq;
    for (size_t j = 0; j < nf; j++)
        psd[j] = 0;
    for (size_t s = 0; s < p->nsegments; s++) {
        const double *xs = x + s * p->step;
        double sum = 0;
        for (size_t i = 0; i < m; i++)
            sum += xs[i];
        double mean = sum / (double)m;
        for (size_t i = 0; i < m; i++)
            w->seg[i] = (xs[i] - mean) * p->win[i];
        fftw_execute_dft_r2c(p->fwd, w->seg, w->spec);
        for (size_t j = 0; j < nf; j++) {
            double re = w->spec[j][0], im = w->spec[j][1];
            psd[j] += re * re + im * im;
        }
    }
    /* one-sided: double all but DC (and Nyquist when nseg is even) */
    size_t last = m % 2 == 0 ? nf - 1 : nf;
    for (size_t j = 0; j < nf; j++) {
        double v = psd[j] * p->scale / (double)p->nsegments;
        psd[j] = (j > 0 && j < last) ? 2 * v : v;
    }
}

int bract_timescale_welch(const double *x, size_t n, double fs, size_t nseg, double *freq, double *psd)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return bract_error(BRACT_EDATA, "the series holds a non-finite value at sample %zu",
                               i);
    bract_welch_plan p;
    bract_welch_work w = {0};
    int rc = bract_welch_plan_init(&p, n, fs, nseg);
    if (rc)
        return rc;
    if ((rc = bract_welch_work_init(&w, &p)) == BRACT_OK) {
        bract_welch_exec(&p, &w, x, psd);
        for (size_t j = 0; j < p.nfreq; j++)
            freq[j] = (double)j * fs / (double)nseg;
        bract_welch_work_clear(&w);
    }
    bract_welch_plan_clear(&p);
    return rc;
}

double bract_timescale_knee_frequency(double knee, double exponent)
{
    if (!(knee > 0) || !(exponent > 0))
        return NAN;
    return pow(knee, 1.0 / exponent);
}

double bract_timescale_knee_tau(double knee, double exponent)
{
    double f = bract_timescale_knee_frequency(knee, exponent);
    return 1.0 / (2.0 * M_PI * f);
}
