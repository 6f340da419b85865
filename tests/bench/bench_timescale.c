/* Benchmark of the voxelwise timescale path: ACF to lag 50 and the exp fit
 * for 50,000 series of 1,200 volumes (float32, as read from a NIfTI), all
 * threads.  Baseline, in the same run: the FFTs alone (r2c and c2r of the
 * zero-padded series, nothing else). */
#include "benchutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <fftw3.h>
#include <omp.h>

#include "bract/bract.h"

enum { NSER = 50000, T = 1200, LAG = 50 };

static float *data;

static void get_series(void *ctx, size_t i, double *out)
{
    (void)ctx;
    const float *x = data + i * T;
    for (size_t t = 0; t < T; t++)
        out[t] = x[t];
}

/* The FFTs alone: the same plan sizes as the ACF, executed on every series. */
static size_t nfft;
static fftw_plan fwd, bwd;

static void run_fft_only(void *arg)
{
    (void)arg;
#pragma omp parallel
    {
        double *b = fftw_alloc_real(nfft);
        fftw_complex *s = fftw_alloc_complex(nfft / 2 + 1);
#pragma omp for schedule(dynamic, 64)
        for (size_t i = 0; i < NSER; i++) {
            const float *x = data + i * T;
            for (size_t t = 0; t < T; t++)
                b[t] = x[t];
            memset(b + T, 0, (nfft - T) * sizeof *b);
            fftw_execute_dft_r2c(fwd, b, s);
            fftw_execute_dft_c2r(bwd, s, b);
        }
        fftw_free(b);
        fftw_free(s);
    }
}

static bract_acf_plan *acfp;
static double *acf_out;

static void run_acf(void *arg)
{
    (void)arg;
#pragma omp parallel
    {
        bract_acf_ws *w;
        double x[T];
        if (bract_acf_ws_new(acfp, &w) == 0) {
#pragma omp for schedule(dynamic, 64)
            for (size_t i = 0; i < NSER; i++) {
                get_series(NULL, i, x);
                bract_acf_compute(acfp, w, x, acf_out + i * (LAG + 1));
            }
            bract_acf_ws_free(w);
        }
    }
}

static void run_direct(void *arg)
{
    (void)arg;
#pragma omp parallel
    {
        double x[T];
#pragma omp for schedule(dynamic, 64)
        for (size_t i = 0; i < NSER; i++) {
            get_series(NULL, i, x);
            double m = 0;
            for (size_t t = 0; t < T; t++)
                m += x[t];
            m /= T;
            for (size_t t = 0; t < T; t++)
                x[t] -= m;
            double *a = acf_out + i * (LAG + 1), c0 = 0;
            for (size_t t = 0; t < T; t++)
                c0 += x[t] * x[t];
            for (size_t k = 0; k <= LAG; k++) {
                double c = 0;
                for (size_t t = k; t < T; t++)
                    c += x[t] * x[t - k];
                a[k] = c / c0;
            }
        }
    }
}

static bract_timescale_plan *taup;
static bract_timescale_result *res;

static void run_exp(void *arg)
{
    (void)arg;
    if (bract_timescale_run(taup, NSER, get_series, NULL, res, NULL, NULL))
        fprintf(stderr, "bench_timescale: %s\n", bract_last_error());
}

int main(void)
{
    bract_init();
    int nth = bract_set_threads(0);
    data = malloc(sizeof(float) * (size_t)NSER * T);
    acf_out = malloc(sizeof(double) * (size_t)NSER * (LAG + 1));
    res = malloc(sizeof(*res) * NSER);
    if (!data || !acf_out || !res) {
        fprintf(stderr, "bench_timescale: out of memory\n");
        return 1;
    }
    /* OU series with timescales 1-20 s at TR 0.72 s (HCP-like), plus noise */
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < NSER; i++) {
        bract_rng r;
        bract_rng_init(&r, 1, i, 0);
        double x[T], tau = 1.0 + 19.0 * (double)(i % 97) / 96.0;
        bract_timescale_ar1_simulate(exp(-0.72 / tau), T, &r, x);
        for (size_t t = 0; t < T; t++)
            data[i * T + t] = (float)(1000.0 + 10.0 * x[t] + 3.0 * bract_rng_normal(&r));
    }
    if (bract_acf_plan_new(T, LAG, BRACT_ACF_BIASED, &acfp)) {
        fprintf(stderr, "bench_timescale: %s\n", bract_last_error());
        return 1;
    }
    nfft = bract_acf_plan_fft_length(acfp);
    {
        double *b = fftw_alloc_real(nfft);
        fftw_complex *s = fftw_alloc_complex(nfft / 2 + 1);
        fwd = fftw_plan_dft_r2c_1d((int)nfft, b, s, FFTW_ESTIMATE);
        bwd = fftw_plan_dft_c2r_1d((int)nfft, s, b, FFTW_ESTIMATE);
        fftw_free(b);
        fftw_free(s);
    }
    bract_timescale_opts o;
    bract_timescale_opts_defaults(&o);
    o.method = BRACT_TAU_EXP;
    o.tr = 0.72;
    o.max_lag = LAG;
    if (bract_timescale_plan_new(T, &o, &taup)) {
        fprintf(stderr, "bench_timescale: %s\n", bract_last_error());
        return 1;
    }
    printf("timescale: %d series x %d volumes, lags 0..%d, FFT length %zu, %d threads "
           "(shared machine: figures are noisy)\n",
           NSER, T, LAG, nfft, nth);
    double t_fft = bench_best(run_fft_only, NULL, 1.0);
    double t_acf = bench_best(run_acf, NULL, 1.0);
    double t_dir = bench_best(run_direct, NULL, 0.0);
    double t_exp = bench_best(run_exp, NULL, 3.0); /* best of at least two, like the others */
    size_t ok = 0;
    for (size_t i = 0; i < NSER; i++)
        ok += isfinite(res[i].tau_s);
    bench_report("ACF to lag 50 (FFT), 50k x 1200", t_acf, "FFTs alone", t_fft);
    bench_report("ACF to lag 50 (direct sum)", t_dir, "ACF by FFT", t_acf);
    bench_report("ACF + exp fit (bract_timescale_run)", t_exp, "FFTs alone", t_fft);
    printf("  exp fit: %zu of %d series with a timescale; %.2f us per series per thread\n", ok,
           NSER, 1e6 * t_exp * nth / NSER);
    fftw_destroy_plan(fwd);
    fftw_destroy_plan(bwd);
    bract_timescale_plan_free(taup);
    bract_acf_plan_free(acfp);
    free(data);
    free(acf_out);
    free(res);
    return 0;
}
