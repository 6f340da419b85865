/* bract/timescale.h: autocorrelation and intrinsic timescales.
 *
 * The autocorrelation function (ACF) of a series is computed by FFT with the
 * normalisation of statsmodels' acf (the "biased" estimator, default, or
 * "adjusted").  From the ACF (or, for `knee`, the power spectrum) one of six
 * estimators gives the timescale tau in seconds:
 *
 *   exp              rho(k) ~ A (exp(-k TR / tau) + B), lags min_lag..max_lag
 *                    (Murray et al. 2014), Levenberg-Marquardt (cminpack)
 *   exp-offset-free  rho(k) ~ A exp(-k TR / tau), same lags
 *   integral         TR * sum_{k=1}^{K} rho(k), K the last lag before the
 *                    first rho(k) <= 0 (Watanabe et al. 2019)
 *   e-fold           TR * the lag where rho falls below 1/e, interpolated
 *                    linearly in log(rho) between the two lags around it
 *   ar1              -TR / ln rho(1)
 *   knee             1 / (2 pi f_k) from a fit of log10 P(f) = b -
 *                    log10(f_k^chi + f^chi) to the Welch spectrum (Gao et al.
 *                    2020, the fooof/specparam "knee" model)
 *
 * A timescale that cannot be measured is NaN with a flag that says why
 * (constant series, first lag not positive, no decay within the lags, fit
 * not converged, out of the measurable range), never a silent number.
 *
 * Threads: a plan (bract_acf_plan, bract_timescale_plan) is built once, by one
 * thread, and is then read-only: many threads may execute it at the same
 * time, each with its own workspace (bract_acf_ws, bract_timescale_ws), as
 * FFTW's new-array execute functions allow.  FFTW's planner is not
 * thread-safe: plans are created and destroyed inside the OpenMP critical
 * section named `bract_fftw`, which any other bract module that plans FFTs
 * must use as well.  Random numbers (bootstrap) come from the stream (seed, item, sample):
 * results are identical for any number of threads. */
#ifndef BRACT_TIMESCALE_H
#define BRACT_TIMESCALE_H

#include <stddef.h>
#include <stdint.h>

#include "bract/error.h"
#include "bract/progress.h"
#include "bract/rng.h"
#include "bract/acf.h"
#include "bract/tsv.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- power spectrum ---- */

/* Welch's power spectral density as scipy.signal.welch(x, fs, nperseg=nseg)
 * with its defaults: periodic Hann window, 50 % overlap (nseg/2), each
 * segment demeaned, one-sided, density scaling (per Hz), mean over the
 * full segments.  freq and psd receive nseg/2 + 1 values.  nseg must be
 * from 4 to n. */
BRACT_API int bract_timescale_welch(const double *x, size_t n, double fs, size_t nseg, double *freq,
                          double *psd);

/* fooof/specparam conversions: knee frequency k^(1/chi) in Hz, and the time
 * constant 1/(2 pi f) in seconds of a knee k with exponent chi. */
BRACT_API double bract_timescale_knee_frequency(double knee, double exponent);
BRACT_API double bract_timescale_knee_tau(double knee, double exponent);

/* ---- single fits ---- */

typedef struct {
    double amplitude; /* A */
    double tau;       /* in the units of t */
    double offset;    /* B (0 without the offset term) */
    double r2;        /* 1 - SSE / sum (y - mean y)^2 */
    double rmse;      /* sqrt(SSE / m) */
    int converged;    /* cminpack ended normally */
} bract_timescale_expfit;

/* Fit y ~ A (exp(-t / tau) + B) (with_offset) or y ~ A exp(-t / tau) to m
 * points by Levenberg-Marquardt (cminpack lmder, analytic Jacobian),
 * started from the best of a log-spaced grid of tau in [tau_lo, tau_hi]
 * with A and A*B solved by linear least squares at each.  BRACT_ENUMERIC
 * when the fit fails; BRACT_EINVAL when m < 3 (2 without offset). */
BRACT_API int bract_timescale_exp_fit(const double *t, const double *y, size_t m, int with_offset,
                            double tau_lo, double tau_hi, bract_timescale_expfit *out);

typedef struct {
    double offset;    /* b: log10 power at f = 0 is b - log10(knee) */
    double knee;      /* k = knee_hz^exponent (fooof's knee parameter) */
    double knee_hz;   /* f_k = k^(1/chi) */
    double exponent;  /* chi */
    double r2;        /* of log10 power */
    double rmse;      /* of log10 power */
    int converged;
} bract_timescale_kneefit;

/* Fit the fooof/specparam aperiodic "knee" model log10 P(f) = b -
 * log10(k + f^chi) to m points (f > 0 ascending, P > 0), parameterised by
 * (b, ln f_k, chi) with k = f_k^chi, so the knee is positive by
 * construction; chi is fixed when exponent > 0.  Levenberg-Marquardt
 * (cminpack) from the best point of a grid of 20 f_k over [f_1, f_m] and
 * chi in {1, 2, 3}.  BRACT_ENUMERIC when the fit fails. */
BRACT_API int bract_timescale_knee_fit(const double *f, const double *psd, size_t m, double exponent,
                             bract_timescale_kneefit *out);

/* ---- simulation ---- */

/* A stationary AR(1) series with unit variance: x_0 ~ N(0, 1), x_t = phi
 * x_{t-1} + sqrt(1 - phi^2) e_t; |phi| < 1.  Sampled every dt seconds, an
 * Ornstein-Uhlenbeck process with timescale tau is this with phi =
 * exp(-dt / tau) (exact, unlike the Euler step phi = 1 - dt / tau).
 * Draws n normals from r in order. */
BRACT_API void bract_timescale_ar1_simulate(double phi, size_t n, bract_rng *r, double *out);

/* ---- timescale estimation ---- */

typedef enum {
    BRACT_TAU_EXP = 0,
    BRACT_TAU_EXP_OFFSET_FREE = 1,
    BRACT_TAU_INTEGRAL = 2,
    BRACT_TAU_EFOLD = 3,
    BRACT_TAU_AR1 = 4,
    BRACT_TAU_KNEE = 5
} bract_timescale_method;

/* "exp", "exp-offset-free", "integral", "e-fold", "ar1", "knee" ("unknown"
 * for a value outside the enum). */
BRACT_API const char *bract_timescale_method_name(bract_timescale_method method);
/* The method named s into *out; BRACT_EINVAL ("unknown timescale method
 * 's' (expected one of exp, ...)") otherwise. */
BRACT_API int bract_timescale_method_parse(const char *s, bract_timescale_method *out);

/* Why a timescale is missing or qualified (a bit mask). */
#define BRACT_TAU_CONSTANT 0x001u      /* the series is constant */
#define BRACT_TAU_NONFINITE 0x002u     /* the series holds NaN or infinity */
#define BRACT_TAU_NEG_LAG1 0x004u      /* rho(1) <= 0: no autocorrelation at one TR */
#define BRACT_TAU_NO_DECAY 0x008u      /* no decay within the lags (or rho(1) >= 1,
                                          a non-positive fitted amplitude) */
#define BRACT_TAU_NOT_CONVERGED 0x010u /* the nonlinear fit failed */
#define BRACT_TAU_OUT_OF_RANGE 0x020u  /* tau outside what the lags or frequencies
                                          resolve (see bract_timescale_plan_range) */
#define BRACT_TAU_TRUNCATED 0x040u     /* integral: rho still positive at max_lag,
                                          the value is a lower bound (kept) */
#define BRACT_TAU_BOOT_FAILED 0x080u   /* bootstrap: under half the simulated series
                                          gave an estimate, or the bias correction
                                          found no tau reproducing the estimate */
/* Flags that leave tau_s NaN (all but TRUNCATED). */
#define BRACT_TAU_FATAL 0x0bfu

/* Flag names joined by commas ("ok" when none) into buf (n bytes, 128 is
 * enough); returns buf. */
BRACT_API char *bract_timescale_flags_string(unsigned flags, char *buf, size_t n);

typedef struct {
    bract_timescale_method method; /* [BRACT_TAU_EXP] */
    bract_acf_norm acf_norm; /* [BRACT_ACF_BIASED] */
    double tr;             /* sampling interval in seconds (> 0) */
    size_t max_lag;        /* last lag [0: bract_acf_default_lags(nt)] */
    size_t min_lag;        /* first lag of the exp fits [1] */
    size_t welch_segment;  /* knee: Welch segment length [0: min(nt, max(256, 8 max_lag))] */
    double knee_exponent;  /* knee: 0 fits chi, > 0 fixes it (2: Lorentzian) [0] */
    int knee_plain_axis;   /* knee: 1 fits on frequency f as fooof does; 0 (default)
                              on sin(pi f TR) / (pi TR), the axis on which a sampled
                              OU spectrum is exactly Lorentzian */
    double knee_fmax;      /* knee: highest frequency fitted, Hz [0: below Nyquist] */
    size_t bootstrap;      /* simulated series per item [0: none] */
    int bias_correct;      /* correct tau by the parametric bootstrap [0] */
    int boot_offset;       /* exp: simulate the fitted offset B too [0] */
    uint64_t seed;         /* key of the bootstrap streams [1] */
} bract_timescale_opts;

BRACT_API void bract_timescale_opts_defaults(bract_timescale_opts *o);

typedef struct {
    double tau_s;       /* the timescale in seconds (bias-corrected if asked), NaN on failure */
    double se_s;        /* bootstrap standard error, NaN without --bootstrap */
    double r2;          /* fit quality (see the man page for each method) */
    double rmse;
    double tau_raw_s;   /* the estimate before bias correction */
    double bias_s;      /* tau_raw_s - tau_s (bias correction), else NaN */
    double amplitude;   /* exp, exp-offset-free: A */
    double offset;      /* exp: B */
    double knee_hz;     /* knee: f_k */
    double exponent;    /* knee: chi */
    double rho1;        /* the ACF at lag 1 */
    size_t lags_summed; /* integral: K */
    size_t boot_ok;     /* bootstrap series that gave an estimate */
    unsigned flags;     /* BRACT_TAU_* */
} bract_timescale_result;

typedef struct bract_timescale_plan bract_timescale_plan;
typedef struct bract_timescale_ws bract_timescale_ws;

/* A plan for series of nt samples with options o (copied).  Errors name
 * the problem: TR not positive, max_lag >= nt ("a series shorter than the
 * maximum lag"), too few lags for the fit, a Welch segment longer than the
 * series, bias correction without bootstrap series.  Owned by the caller. */
BRACT_API int bract_timescale_plan_new(size_t nt, const bract_timescale_opts *o, bract_timescale_plan **out);
BRACT_API void bract_timescale_plan_free(bract_timescale_plan *p);
/* The options in effect (defaults filled in). */
BRACT_API const bract_timescale_opts *bract_timescale_plan_opts(const bract_timescale_plan *p);
/* The range of tau (seconds) the plan can measure: estimates outside are
 * flagged OUT_OF_RANGE.  Lag methods: [TR / 10, 10 max_lag TR]; knee: knee
 * frequencies within the fitted frequency band. */
BRACT_API void bract_timescale_plan_range(const bract_timescale_plan *p, double *lo, double *hi);

BRACT_API int bract_timescale_ws_new(const bract_timescale_plan *p, bract_timescale_ws **out);
BRACT_API void bract_timescale_ws_free(bract_timescale_ws *w);

/* The timescale of one series x (nt values).  `item` keys the bootstrap
 * streams (use the region or voxel index).  acf, if not NULL, receives lags
 * 0..max_lag (NaN for constant or non-finite series).  Failures are flags in
 * res, never errors. */
BRACT_API void bract_timescale_estimate(const bract_timescale_plan *p, bract_timescale_ws *w, const double *x,
                                  uint64_t item, bract_timescale_result *res, double *acf);

/* The estimate from an ACF (lags 0..max_lag) alone, without bootstrap; not
 * for the knee method (BRACT_EINVAL). */
BRACT_API int bract_timescale_from_acf(const bract_timescale_plan *p, bract_timescale_ws *w, const double *acf,
                                 bract_timescale_result *res);

/* Supplies series i (nt values) into out; called from several threads at
 * once. */
typedef void (*bract_series_fn)(void *ctx, size_t i, double *out);

/* Estimate n series in parallel (OpenMP, bract_set_threads): series i gets
 * stream item i, res[i] and, if acf is not NULL, acf[i * (max_lag + 1) ...].
 * Progress is reported from the calling thread. */
BRACT_API int bract_timescale_run(const bract_timescale_plan *p, size_t n, bract_series_fn get, void *ctx,
                            bract_timescale_result *res, double *acf, const bract_progress *prog);

/* ---- tables ---- */

/* Write the results of n series as TSV (atomic; see bract_tsv_open): the
 * columns region, tau_s, se_s, r2, rmse, rho1, flags; with bootstrap
 * series boot_ok, and with bias correction tau_uncorrected_s and bias_s
 * before it; then the method's own: amplitude and offset (exp), amplitude
 * (exp-offset-free), lags_summed (integral), knee_hz and exponent (knee).
 * NaN is written as n/a. */
BRACT_API int bract_timescale_write_tsv(const char *path, int force, const bract_timescale_plan *p,
                                  const char *const *names, const bract_timescale_result *res,
                                  size_t n);


#ifdef __cplusplus
}
#endif
#endif
