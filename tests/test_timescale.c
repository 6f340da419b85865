/* Unit tests of bract/timescale.h: ACF against statsmodels, estimators
 * against the reference fixtures and analytic cases, the bootstrap bias
 * correction on simulated series, and bad input. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

/* The AR1-LCG series of dfc-timescales.md section 7.1: u0 = 12345,
 * u <- (1103515245 u + 12345) mod 2^31, e = u / 2^31 - 0.5 (updated u),
 * x0 = e0, x_t = 0.8 x_{t-1} + e_t. */
static void ar1_lcg(double *x, size_t n)
{
    uint64_t u = 12345;
    for (size_t t = 0; t < n; t++) {
        u = (1103515245u * u + 12345u) % 2147483648u;
        double e = (double)u / 2147483648.0 - 0.5;
        x[t] = t == 0 ? e : 0.8 * x[t - 1] + e;
    }
}

static bract_tseries *read_series(void)
{
    bract_tseries *ts;
    ck_assert_int_eq(bract_tseries_read(REFDATA "/timescale/series.tsv", 2.0, &ts), 0);
    ck_assert_uint_eq(ts->nt, 960);
    ck_assert_uint_eq(ts->nreg, 6);
    return ts;
}

/* statsmodels acf(x, nlags=40, adjusted=..., fft=True) to 1e-12 */
static void check_acf_file(const char *file, int norm)
{
    bract_tseries *ts = read_series();
    bract_table *t;
    ck_assert_int_eq(bract_table_read(file, &t), 0);
    ck_assert_uint_eq(t->nrows, 41);
    double acf[41];
    for (size_t r = 0; r < ts->nreg; r++) {
        ck_assert_int_eq(bract_acf(ts->x + r * ts->nt, ts->nt, 40, norm, acf), 0);
        size_t col;
        ck_assert_int_eq(bract_table_require(t, ts->name[r], &col), 0);
        for (size_t k = 0; k <= 40; k++) {
            double want;
            ck_assert_int_eq(bract_table_double(t, k, col, &want), 0);
            ck_assert_msg(fabs(acf[k] - want) <= 1e-12, "%s lag %zu: %.17g vs %.17g",
                          ts->name[r], k, acf[k], want);
        }
    }
    bract_table_free(t);
    bract_tseries_free(ts);
}

START_TEST(acf_matches_statsmodels_default)
{
    check_acf_file(REFDATA "/timescale/expected_acf_default_lag40.tsv", BRACT_ACF_BIASED);
}
END_TEST

START_TEST(acf_matches_statsmodels_adjusted)
{
    check_acf_file(REFDATA "/timescale/expected_acf_adjusted_lag40.tsv", BRACT_ACF_ADJUSTED);
}
END_TEST

START_TEST(acf_ar1_lcg)
{
    double x[200], acf[11];
    ar1_lcg(x, 200);
    /* the input itself (section 7.1, 12 decimals) */
    ck_assert_double_eq_tol(x[0], 0.155154048465, 1e-12);
    ck_assert_double_eq_tol(x[1], -0.071062437911, 1e-12);
    ck_assert_double_eq_tol(x[2], 0.118110683411, 1e-12);
    /* statsmodels 0.13.5, section 7.2, printed to 12 decimals: 1e-12 */
    static const double biased[11] = {1, 0.769113335833, 0.576695233526, 0.431610999868,
                                      0.341403317639, 0.274895134063, 0.159522898496,
                                      0.081604422847, -0.004507044782, -0.033678571582,
                                      -0.088542529295};
    static const double adjusted[11] = {1, 0.772978226968, 0.582520437905, 0.438183756211,
                                        0.348370732285, 0.281943727244, 0.164456596387,
                                        0.084564168753, -0.004694838315, -0.035265519981,
                                        -0.093202662416};
    ck_assert_int_eq(bract_acf(x, 200, 10, BRACT_ACF_BIASED, acf), 0);
    for (int k = 0; k <= 10; k++)
        ck_assert_double_eq_tol(acf[k], biased[k], 1e-12);
    ck_assert_int_eq(bract_acf(x, 200, 10, BRACT_ACF_ADJUSTED, acf), 0);
    for (int k = 0; k <= 10; k++)
        ck_assert_double_eq_tol(acf[k], adjusted[k], 1e-12);
}
END_TEST

START_TEST(acf_direct_sum_and_sizes)
{
    /* the FFT with padding nt + max_lag equals the direct O(n K) sum, also
     * at the last lag (no circular wrap-around); 1e-13 */
    double x[97], acf[97];
    ar1_lcg(x, 97);
    ck_assert_int_eq(bract_acf(x, 97, 96, BRACT_ACF_BIASED, acf), 0);
    double m = 0, c0 = 0;
    for (int t = 0; t < 97; t++)
        m += x[t] / 97;
    for (int t = 0; t < 97; t++)
        c0 += (x[t] - m) * (x[t] - m);
    for (int k = 0; k < 97; k++) {
        double c = 0;
        for (int t = k; t < 97; t++)
            c += (x[t] - m) * (x[t - k] - m);
        ck_assert_double_eq_tol(acf[k], c / c0, 1e-13);
    }
    ck_assert_uint_eq(bract_acf_fft_size(1), 1);
    ck_assert_uint_eq(bract_acf_fft_size(401), 405); /* statsmodels' 2n+1 for n = 200 */
    ck_assert_uint_eq(bract_acf_fft_size(1250), 1250);
    ck_assert_uint_eq(bract_acf_fft_size(1251), 1280);
    ck_assert_uint_eq(bract_acf_fft_size(2049), 2160);
    ck_assert_uint_eq(bract_acf_default_lags(200), 23);
    ck_assert_uint_eq(bract_acf_default_lags(5), 4);
}
END_TEST

static bract_timescale_plan *make_plan(size_t nt, int method, double tr, size_t max_lag)
{
    bract_timescale_opts o;
    bract_timescale_opts_defaults(&o);
    o.method = (bract_timescale_method)method;
    o.tr = tr;
    o.max_lag = max_lag;
    bract_timescale_plan *p;
    ck_assert_msg(bract_timescale_plan_new(nt, &o, &p) == 0, "%s", bract_last_error());
    return p;
}

START_TEST(estimators_match_reference)
{
    /* expected_estimators_tr2.tsv: integral and ar1 at TR 2 s, 1e-10.  The
     * integral of r5 runs to lag 63, so the plan goes to lag 100. */
    bract_tseries *ts = read_series();
    bract_table *t;
    ck_assert_int_eq(bract_table_read(REFDATA "/timescale/expected_estimators_tr2.tsv", &t), 0);
    size_t ci, ca;
    ck_assert_int_eq(bract_table_require(t, "integral_s", &ci), 0);
    ck_assert_int_eq(bract_table_require(t, "ar1_s", &ca), 0);
    bract_timescale_plan *pi = make_plan(ts->nt, BRACT_TAU_INTEGRAL, 2.0, 100);
    bract_timescale_plan *pa = make_plan(ts->nt, BRACT_TAU_AR1, 2.0, 100);
    bract_timescale_ws *w;
    ck_assert_int_eq(bract_timescale_ws_new(pi, &w), 0);
    for (size_t r = 0; r < t->nrows; r++) {
        double wi, wa;
        ck_assert_int_eq(bract_table_double(t, r, ci, &wi), 0);
        ck_assert_int_eq(bract_table_double(t, r, ca, &wa), 0);
        bract_timescale_result res;
        bract_timescale_estimate(pi, w, ts->x + r * ts->nt, r, &res, NULL);
        ck_assert_uint_eq(res.flags, 0);
        ck_assert_msg(fabs(res.tau_s - wi) <= 1e-10, "integral %zu: %.17g vs %.17g", r,
                      res.tau_s, wi);
        bract_timescale_estimate(pa, w, ts->x + r * ts->nt, r, &res, NULL);
        ck_assert_uint_eq(res.flags, 0);
        ck_assert_msg(fabs(res.tau_s - wa) <= 1e-10, "ar1 %zu: %.17g vs %.17g", r, res.tau_s,
                      wa);
    }
    /* with lags to 40 only, r5's ACF is still positive at the last lag: the
     * sum is flagged as truncated (a lower bound), 2 * sum of lags 1..40 */
    bract_timescale_plan *p40 = make_plan(ts->nt, BRACT_TAU_INTEGRAL, 2.0, 40);
    bract_timescale_ws *w40;
    ck_assert_int_eq(bract_timescale_ws_new(p40, &w40), 0);
    bract_timescale_result res;
    bract_timescale_estimate(p40, w40, ts->x + 5 * ts->nt, 5, &res, NULL);
    ck_assert_uint_eq(res.flags, BRACT_TAU_TRUNCATED);
    ck_assert_uint_eq(res.lags_summed, 40);
    ck_assert_double_eq_tol(res.tau_s, 28.539518764009173, 1e-10); /* numpy, same data */
    bract_timescale_ws_free(w40);
    bract_timescale_plan_free(p40);
    bract_timescale_ws_free(w);
    bract_timescale_plan_free(pi);
    bract_timescale_plan_free(pa);
    bract_table_free(t);
    bract_tseries_free(ts);
}
END_TEST

START_TEST(estimators_ar1_lcg)
{
    /* dfc-timescales.md section 7.2 (12 decimals): 1e-11 */
    double x[200];
    ar1_lcg(x, 200);
    bract_timescale_opts o;
    bract_timescale_opts_defaults(&o);
    o.tr = 2.0;
    o.max_lag = 20;
    bract_timescale_result r;
    bract_timescale_plan *p;
    bract_timescale_ws *w;
    o.method = BRACT_TAU_INTEGRAL;
    ck_assert_int_eq(bract_timescale_plan_new(200, &o, &p), 0);
    ck_assert_int_eq(bract_timescale_ws_new(p, &w), 0);
    bract_timescale_estimate(p, w, x, 0, &r, NULL);
    ck_assert_double_eq_tol(r.tau_s, 5.269690684543, 1e-11);
    ck_assert_uint_eq(r.lags_summed, 7); /* first non-positive lag is 8 */
    bract_timescale_ws_free(w);
    bract_timescale_plan_free(p);
    o.acf_norm = BRACT_ACF_ADJUSTED;
    ck_assert_int_eq(bract_timescale_plan_new(200, &o, &p), 0);
    ck_assert_int_eq(bract_timescale_ws_new(p, &w), 0);
    bract_timescale_estimate(p, w, x, 0, &r, NULL);
    ck_assert_double_eq_tol(r.tau_s, 5.346035291507, 1e-11);
    bract_timescale_ws_free(w);
    bract_timescale_plan_free(p);
    o.acf_norm = BRACT_ACF_BIASED;
    o.method = BRACT_TAU_AR1;
    ck_assert_int_eq(bract_timescale_plan_new(200, &o, &p), 0);
    ck_assert_int_eq(bract_timescale_ws_new(p, &w), 0);
    bract_timescale_estimate(p, w, x, 0, &r, NULL);
    ck_assert_double_eq_tol(r.tau_s, 7.618555981637, 1e-11);
    ck_assert_double_eq_tol(r.rho1, 0.769113335833, 1e-12);
    bract_timescale_ws_free(w);
    bract_timescale_plan_free(p);
    /* e-fold: rho(4) = 0.4316 > 1/e > rho(5) = 0.3414; log-linear
     * interpolation between them (analytic from the ACF values above) */
    o.method = BRACT_TAU_EFOLD;
    ck_assert_int_eq(bract_timescale_plan_new(200, &o, &p), 0);
    ck_assert_int_eq(bract_timescale_ws_new(p, &w), 0);
    bract_timescale_estimate(p, w, x, 0, &r, NULL);
    double a = 0.431610999868, b = 0.341403317639;
    double want = 2.0 * (3.0 + (log(a) + 1) / (log(a) - log(b)));
    ck_assert_double_eq_tol(r.tau_s, want, 1e-10);
    bract_timescale_ws_free(w);
    bract_timescale_plan_free(p);
    /* free-amplitude a exp(-t / tau) on lags 0..10.  Section 7.2 gives a =
     * 1.03769579, tau = 6.34087714 s "optimizer-dependent to ~1e-6"; the
     * least-squares optimum itself (scipy least_squares, all tolerances
     * 1e-15) is a = 1.03769643, tau = 6.34086607 s: 1e-7 relative to that */
    o.method = BRACT_TAU_EXP_OFFSET_FREE;
    o.min_lag = 0;
    o.max_lag = 10;
    ck_assert_int_eq(bract_timescale_plan_new(200, &o, &p), 0);
    ck_assert_int_eq(bract_timescale_ws_new(p, &w), 0);
    bract_timescale_estimate(p, w, x, 0, &r, NULL);
    ck_assert_uint_eq(r.flags, 0);
    ck_assert_double_eq_tol(r.amplitude, 1.03769643, 1.1e-7);
    ck_assert_double_eq_tol(r.tau_s, 6.34086607, 6.4e-7);
    ck_assert_double_eq_tol(r.tau_s, 6.34087714, 2e-5); /* and the note's value */
    bract_timescale_ws_free(w);
    bract_timescale_plan_free(p);
}
END_TEST

START_TEST(exp_fit_murray_exact)
{
    /* section 7.2: 0.8 (exp(-t / 0.2) + 0.1) at t = 0.05..0.75 s is
     * recovered exactly: A = 0.8, tau = 0.2, B = 0.1 (1e-8) */
    double t[15], y[15];
    for (int i = 0; i < 15; i++) {
        t[i] = 0.05 * (i + 1);
        y[i] = 0.8 * (exp(-t[i] / 0.2) + 0.1);
    }
    bract_timescale_expfit f;
    ck_assert_int_eq(bract_timescale_exp_fit(t, y, 15, 1, 0.005, 7.5, &f), 0);
    ck_assert_double_eq_tol(f.amplitude, 0.8, 1e-8);
    ck_assert_double_eq_tol(f.tau, 0.2, 1e-8);
    ck_assert_double_eq_tol(f.offset, 0.1, 1e-8);
    ck_assert_double_eq_tol(f.r2, 1.0, 1e-12);
    /* the same through a plan: the ACF is the model at lags 1..15, TR 0.05 */
    double acf[16];
    acf[0] = 1;
    for (int k = 1; k <= 15; k++)
        acf[k] = y[k - 1];
    bract_timescale_plan *p = make_plan(100, BRACT_TAU_EXP, 0.05, 15);
    bract_timescale_ws *w;
    ck_assert_int_eq(bract_timescale_ws_new(p, &w), 0);
    bract_timescale_result r;
    ck_assert_int_eq(bract_timescale_from_acf(p, w, acf, &r), 0);
    ck_assert_uint_eq(r.flags, 0);
    ck_assert_double_eq_tol(r.tau_s, 0.2, 1e-8);
    ck_assert_double_eq_tol(r.offset, 0.1, 1e-8);
    ck_assert_double_eq_tol(r.amplitude, 0.8, 1e-8);
    bract_timescale_ws_free(w);
    bract_timescale_plan_free(p);
    /* too few points: an error, not a number */
    ck_assert_int_eq(bract_timescale_exp_fit(t, y, 2, 1, 0.005, 7.5, &f), BRACT_EINVAL);
    ck_assert_error_has("at least 3 points");
}
END_TEST

START_TEST(knee_conversions_and_exact_fit)
{
    /* fooof's compute_knee_frequency / compute_time_constant, section 7.2 */
    ck_assert_double_eq_tol(bract_timescale_knee_frequency(100, 2), 10.0, 1e-12);
    ck_assert_double_eq_tol(bract_timescale_knee_tau(100, 2), 0.01591549431, 1e-11);
    ck_assert_double_eq_tol(bract_timescale_knee_frequency(100, 1.5), 21.5443469, 1e-7);
    ck_assert_double_eq_tol(bract_timescale_knee_tau(100, 1.5), 0.007387318067, 1e-12);
    ck_assert_double_eq_tol(bract_timescale_knee_frequency(0.0004, 2), 0.02, 1e-15);
    ck_assert_double_eq_tol(bract_timescale_knee_tau(0.0004, 2), 7.957747155, 1e-9);
    ck_assert(isnan(bract_timescale_knee_tau(-5, 2))); /* fooof #213: a negative knee is no frequency */
    /* the model itself is recovered exactly: P = 10^1.5 / (k + f^chi) */
    double f[100], P[100];
    for (int chi2 = 0; chi2 < 2; chi2++) {
        double chi = chi2 ? 1.5 : 2.0;
        for (int i = 0; i < 100; i++) {
            f[i] = i + 1.0;
            P[i] = pow(10, 1.5) / (100 + pow(f[i], chi));
        }
        bract_timescale_kneefit kf;
        ck_assert_int_eq(bract_timescale_knee_fit(f, P, 100, 0, &kf), 0);
        ck_assert_double_eq_tol(kf.exponent, chi, 1e-8);
        ck_assert_double_eq_tol(kf.knee, 100, 1e-5);
        ck_assert_double_eq_tol(kf.knee_hz, bract_timescale_knee_frequency(100, chi), 1e-7);
        ck_assert_double_eq_tol(kf.offset, 1.5, 1e-9);
        /* the exponent fixed at its true value */
        ck_assert_int_eq(bract_timescale_knee_fit(f, P, 100, chi, &kf), 0);
        ck_assert_double_eq_tol(kf.knee_hz, bract_timescale_knee_frequency(100, chi), 1e-8);
    }
}
END_TEST

START_TEST(welch_matches_scipy)
{
    /* scipy.signal.welch(x, fs=0.5, nperseg=n) of the AR1-LCG series
     * (scipy 1.10.1), relative 1e-12 */
    static const struct {
        size_t nseg, idx[5];
        double p[5];
    } cases[] = {
        {64, {0, 1, 2, 16, 32},
         {0.7134926255851874, 2.9931133466534567, 3.6969160158068446, 0.3164859182231815,
          0.022063096587975107}},
        {200, {0, 1, 2, 50, 100},
         {0.822904376603539, 9.229954175952736, 4.314833773880039, 0.11764332650553778,
          0.038229050061974815}},
        {51, {0, 1, 2, 13, 25},
         {0.10951612756471246, 3.119271136680362, 4.475737757729241, 0.2842454902319359,
          0.040527733699777684}}};
    double x[200], freq[101], psd[101];
    ar1_lcg(x, 200);
    for (size_t c = 0; c < 3; c++) {
        ck_assert_int_eq(bract_timescale_welch(x, 200, 0.5, cases[c].nseg, freq, psd), 0);
        for (int i = 0; i < 5; i++) {
            size_t j = cases[c].idx[i];
            ck_assert_msg(fabs(psd[j] - cases[c].p[i]) <= 1e-12 * cases[c].p[i],
                          "nseg %zu bin %zu: %.17g vs %.17g", cases[c].nseg, j, psd[j],
                          cases[c].p[i]);
            ck_assert_double_eq_tol(freq[j], 0.5 * (double)j / (double)cases[c].nseg, 1e-15);
        }
    }
    ck_assert_int_eq(bract_timescale_welch(x, 200, 0.5, 201, freq, psd), BRACT_EINVAL);
    ck_assert_error_has("does not fit series of 200");
}
END_TEST

/* OU series sampled every tr seconds, stream (seed 7, item). */
static void ou_series(double tau, double tr, size_t n, uint64_t item, double *x)
{
    bract_rng r;
    bract_rng_init(&r, 7, item, 0);
    bract_timescale_ar1_simulate(exp(-tr / tau), n, &r, x);
}

START_TEST(long_series_recover_tau)
{
    /* T = 10,000, TR = 2 s, tau = 4 s: the mean over 24 series of each
     * estimator is within 5 % of tau (per-series SD is 3-8 %, so the mean's
     * is under 2 %).  The Watanabe integral is not a consistent estimator
     * of tau: for an AR(1) its limit is TR / (exp(TR / tau) - 1) = 3.083 s
     * here; it is checked against that limit (5 %) and, bias-corrected, against
     * tau. */
    enum { T = 10000, N = 24 };
    const double tau = 4.0, tr = 2.0;
    double *x = malloc(sizeof(double) * T * N);
    for (int i = 0; i < N; i++)
        ou_series(tau, tr, T, (uint64_t)i, x + (size_t)i * T);
    for (int m = 0; m <= BRACT_TAU_KNEE; m++) {
        bract_timescale_plan *p = make_plan(T, m, tr, 30);
        bract_timescale_ws *w;
        ck_assert_int_eq(bract_timescale_ws_new(p, &w), 0);
        double s = 0;
        for (int i = 0; i < N; i++) {
            bract_timescale_result r;
            bract_timescale_estimate(p, w, x + (size_t)i * T, (uint64_t)i, &r, NULL);
            ck_assert_msg((r.flags & ~BRACT_TAU_TRUNCATED) == 0, "%s series %d flags %u",
                          bract_timescale_method_name(m), i, r.flags);
            s += r.tau_s;
        }
        double mean = s / N;
        double want = m == BRACT_TAU_INTEGRAL ? tr / (exp(tr / tau) - 1) : tau;
        ck_assert_msg(fabs(mean - want) <= 0.05 * want, "%s: mean %g, expected %g",
                      bract_timescale_method_name(m), mean, want);
        bract_timescale_ws_free(w);
        bract_timescale_plan_free(p);
    }
    /* the integral, bias-corrected by 40 simulated series, on 8 series */
    bract_timescale_opts o;
    bract_timescale_opts_defaults(&o);
    o.method = BRACT_TAU_INTEGRAL;
    o.tr = tr;
    o.max_lag = 30;
    o.bootstrap = 40;
    o.bias_correct = 1;
    bract_timescale_plan *p;
    bract_timescale_ws *w;
    ck_assert_int_eq(bract_timescale_plan_new(T, &o, &p), 0);
    ck_assert_int_eq(bract_timescale_ws_new(p, &w), 0);
    double s = 0;
    for (int i = 0; i < 8; i++) {
        bract_timescale_result r;
        bract_timescale_estimate(p, w, x + (size_t)i * T, (uint64_t)i, &r, NULL);
        ck_assert_uint_eq(r.flags, 0);
        s += r.tau_s;
    }
    ck_assert_msg(fabs(s / 8 - tau) <= 0.05 * tau, "corrected integral: mean %g", s / 8);
    bract_timescale_ws_free(w);
    bract_timescale_plan_free(p);
    free(x);
}
END_TEST

START_TEST(bias_correction_short_series)
{
    /* T = 200, TR = 2 s, tau = 4 s, 200 series, the integral estimator with
     * lags to 20: uncorrected its mean is 20 % low (finite-sample and
     * discretisation bias); corrected by 100 simulated series per series
     * it is within 10 % of tau.  The bootstrap SE is the right size: the
     * mean SE is within 30 % of the SD of the corrected estimates. */
    enum { T = 200, N = 200 };
    const double tau = 4.0, tr = 2.0;
    bract_timescale_opts o;
    bract_timescale_opts_defaults(&o);
    o.method = BRACT_TAU_INTEGRAL;
    o.tr = tr;
    o.max_lag = 20;
    o.bootstrap = 100;
    o.bias_correct = 1;
    o.seed = 11;
    bract_timescale_plan *p;
    bract_timescale_ws *w;
    ck_assert_int_eq(bract_timescale_plan_new(T, &o, &p), 0);
    ck_assert_int_eq(bract_timescale_ws_new(p, &w), 0);
    double x[T], sraw = 0, scor = 0, scor2 = 0, sse = 0;
    int ncor = 0;
    for (int i = 0; i < N; i++) {
        ou_series(tau, tr, T, 1000 + (uint64_t)i, x);
        bract_timescale_result r;
        bract_timescale_estimate(p, w, x, (uint64_t)i, &r, NULL);
        ck_assert(isfinite(r.tau_raw_s));
        sraw += r.tau_raw_s;
        if (isfinite(r.tau_s)) {
            ck_assert_double_eq_tol(r.bias_s, r.tau_raw_s - r.tau_s, 1e-12);
            scor += r.tau_s;
            scor2 += r.tau_s * r.tau_s;
            sse += r.se_s;
            ncor++;
        }
    }
    ck_assert_int_ge(ncor, N * 95 / 100);
    double mraw = sraw / N, mcor = scor / ncor;
    double sdcor = sqrt((scor2 - ncor * mcor * mcor) / (ncor - 1)), mse = sse / ncor;
    ck_assert_msg(fabs(mraw - tau) > 0.10 * tau, "uncorrected mean %g is within 10 %%", mraw);
    ck_assert_msg(fabs(mcor - tau) <= 0.10 * tau, "corrected mean %g is not within 10 %%",
                  mcor);
    ck_assert_msg(mse > 0.7 * sdcor && mse < 1.3 * sdcor, "mean SE %g vs SD %g", mse, sdcor);
    bract_timescale_ws_free(w);
    bract_timescale_plan_free(p);
}
END_TEST

typedef struct {
    const double *x;
    size_t nt;
} series_ctx;

static void get_series(void *ctx, size_t i, double *out)
{
    const series_ctx *c = ctx;
    memcpy(out, c->x + i * c->nt, c->nt * sizeof *out);
}

START_TEST(bootstrap_offset_is_simulated)
{
    /* --bootstrap-offset adds a slow component of variance B to the
     * simulated series only when the fitted offset B is positive: a series
     * with a slow drift (B > 0) gets a different SE than without the
     * option; a plain OU series whose fit has B <= 0 gets the same bits. */
    enum { T = 300 };
    double x[T], y[T];
    ou_series(4.0, 2.0, T, 5, x);
    ou_series(4.0, 2.0, T, 6, y);
    for (int t = 0; t < T; t++)
        x[t] += 1.5 * sin(6.283185307179586 * t / (double)T);
    bract_timescale_opts o;
    bract_timescale_opts_defaults(&o);
    o.tr = 2.0;
    o.bootstrap = 30;
    bract_timescale_plan *p0, *p1;
    bract_timescale_ws *w;
    ck_assert_int_eq(bract_timescale_plan_new(T, &o, &p0), 0);
    o.boot_offset = 1;
    ck_assert_int_eq(bract_timescale_plan_new(T, &o, &p1), 0);
    ck_assert_int_eq(bract_timescale_ws_new(p1, &w), 0);
    bract_timescale_result a, b;
    bract_timescale_estimate(p0, w, x, 0, &a, NULL);
    bract_timescale_estimate(p1, w, x, 0, &b, NULL);
    ck_assert_msg(a.offset > 0, "offset %g", a.offset);
    ck_assert(isfinite(a.se_s) && isfinite(b.se_s) && a.se_s != b.se_s);
    ck_assert(a.tau_s == b.tau_s); /* no correction: the estimate itself is unchanged */
    bract_timescale_estimate(p0, w, y, 0, &a, NULL);
    bract_timescale_estimate(p1, w, y, 0, &b, NULL);
    ck_assert_msg(a.offset <= 0, "offset %g", a.offset);
    ck_assert(a.se_s == b.se_s);
    bract_timescale_ws_free(w);
    bract_timescale_plan_free(p0);
    bract_timescale_plan_free(p1);
    /* the offset needs the exp method */
    o.method = BRACT_TAU_AR1;
    ck_assert_int_eq(bract_timescale_plan_new(T, &o, &p0), BRACT_EINVAL);
    ck_assert_error_has("the bootstrap offset needs the exp method");
}
END_TEST

START_TEST(run_same_for_any_thread_count)
{
    enum { T = 150, N = 13 };
    double *x = malloc(sizeof(double) * T * N);
    for (int i = 0; i < N; i++)
        ou_series(2.0 + i, 1.0, T, (uint64_t)i, x + (size_t)i * T);
    bract_timescale_opts o;
    bract_timescale_opts_defaults(&o);
    o.tr = 1.0;
    o.bootstrap = 20;
    o.bias_correct = 1;
    bract_timescale_plan *p;
    ck_assert_int_eq(bract_timescale_plan_new(T, &o, &p), 0);
    series_ctx c = {x, T};
    bract_timescale_result r1[N], r3[N];
    double a1[N * 22], a3[N * 22];
    ck_assert_uint_eq(bract_timescale_plan_opts(p)->max_lag, 21);
    bract_set_threads(1);
    ck_assert_int_eq(bract_timescale_run(p, N, get_series, &c, r1, a1, NULL), 0);
    bract_set_threads(3);
    ck_assert_int_eq(bract_timescale_run(p, N, get_series, &c, r3, a3, NULL), 0);
    for (int i = 0; i < N; i++) {
        ck_assert(memcmp(&r1[i].tau_s, &r3[i].tau_s, sizeof(double)) == 0);
        ck_assert(memcmp(&r1[i].se_s, &r3[i].se_s, sizeof(double)) == 0);
        ck_assert_uint_eq(r1[i].flags, r3[i].flags);
    }
    ck_assert(memcmp(a1, a3, sizeof a1) == 0);
    bract_timescale_plan_free(p);
    free(x);
}
END_TEST

START_TEST(bad_input_flags_and_errors)
{
    bract_timescale_opts o;
    bract_timescale_opts_defaults(&o);
    bract_timescale_plan *p;
    /* TR of zero */
    o.tr = 0;
    ck_assert_int_eq(bract_timescale_plan_new(100, &o, &p), BRACT_EINVAL);
    ck_assert_error_has("repetition time must be a positive number of seconds, got 0");
    /* a series shorter than the maximum lag */
    o.tr = 2;
    o.max_lag = 40;
    ck_assert_int_eq(bract_timescale_plan_new(30, &o, &p), BRACT_EINVAL);
    ck_assert_error_has("the series have 30 samples, shorter than the maximum lag 40 + 1");
    double acf[3];
    double two[2] = {1, 2};
    ck_assert_int_eq(bract_acf(two, 2, 2, BRACT_ACF_BIASED, acf), BRACT_EINVAL);
    ck_assert_error_has("too short for lags up to 2");
    /* a knee band too narrow for the fit */
    o.method = BRACT_TAU_KNEE;
    o.knee_fmax = 0.01;
    o.max_lag = 10;
    ck_assert_int_eq(bract_timescale_plan_new(100, &o, &p), BRACT_EINVAL);
    ck_assert_error_has("the knee fit needs at least 4 frequencies, but the band up to 0.01 Hz "
                        "holds 2"); /* bins of 0.005 Hz */
    o.knee_fmax = 0;
    o.method = BRACT_TAU_EXP;
    /* bias correction without bootstrap series */
    o.max_lag = 10;
    o.bias_correct = 1;
    ck_assert_int_eq(bract_timescale_plan_new(100, &o, &p), BRACT_EINVAL);
    ck_assert_error_has("bias correction needs bootstrap series");
    o.bias_correct = 0;
    /* constant and non-finite series are flagged, tau NaN */
    ck_assert_int_eq(bract_timescale_plan_new(100, &o, &p), 0);
    bract_timescale_ws *w;
    ck_assert_int_eq(bract_timescale_ws_new(p, &w), 0);
    double x[100], a[11];
    bract_timescale_result r;
    for (int t = 0; t < 100; t++)
        x[t] = 0.1;
    bract_timescale_estimate(p, w, x, 0, &r, a);
    ck_assert_uint_eq(r.flags, BRACT_TAU_CONSTANT);
    ck_assert(isnan(r.tau_s) && isnan(a[0]));
    x[50] = NAN;
    bract_timescale_estimate(p, w, x, 0, &r, NULL);
    ck_assert_uint_eq(r.flags, BRACT_TAU_NONFINITE);
    ck_assert(isnan(r.tau_s));
    /* an alternating series: rho(1) < 0 */
    for (int t = 0; t < 100; t++)
        x[t] = (t % 2 ? 1.0 : -1.0) + 0.01 * t;
    bract_timescale_estimate(p, w, x, 0, &r, NULL);
    ck_assert_uint_eq(r.flags, BRACT_TAU_NEG_LAG1);
    ck_assert(isnan(r.tau_s) && r.rho1 < 0);
    char buf[128];
    ck_assert_str_eq(bract_timescale_flags_string(r.flags, buf, sizeof buf), "negative_lag1");
    ck_assert_str_eq(bract_timescale_flags_string(0, buf, sizeof buf), "ok");
    ck_assert_str_eq(bract_timescale_flags_string(BRACT_TAU_NO_DECAY | BRACT_TAU_OUT_OF_RANGE, buf,
                                            sizeof buf), "no_decay,out_of_range");
    bract_timescale_ws_free(w);
    bract_timescale_plan_free(p);
    /* a linear trend decays too slowly: e-fold finds no 1/e crossing within
     * 10 lags; ar1 and exp put tau beyond 10 x 10 lags x TR */
    for (int t = 0; t < 100; t++)
        x[t] = t;
    o.method = BRACT_TAU_EFOLD;
    ck_assert_int_eq(bract_timescale_plan_new(100, &o, &p), 0);
    ck_assert_int_eq(bract_timescale_ws_new(p, &w), 0);
    bract_timescale_estimate(p, w, x, 0, &r, NULL);
    ck_assert_uint_eq(r.flags, BRACT_TAU_NO_DECAY);
    ck_assert(isnan(r.tau_s));
    bract_timescale_ws_free(w);
    bract_timescale_plan_free(p);
    /* method names */
    bract_timescale_method m = BRACT_TAU_EXP;
    ck_assert_int_eq(bract_timescale_method_parse("e-fold", &m), BRACT_OK);
    ck_assert_int_eq(m, BRACT_TAU_EFOLD);
    for (int i = 0; i <= BRACT_TAU_KNEE; i++) { /* every name parses back to its method */
        ck_assert_int_eq(bract_timescale_method_parse(bract_timescale_method_name((bract_timescale_method)i), &m),
                         BRACT_OK);
        ck_assert_int_eq(m, i);
    }
    ck_assert_int_eq(bract_timescale_method_parse("nope", &m), BRACT_EINVAL);
    ck_assert_int_eq(m, BRACT_TAU_KNEE); /* untouched on error */
    ck_assert_error_has("unknown timescale method 'nope' (expected one of exp, exp-offset-free, "
                        "integral, e-fold, ar1, knee)");
    ck_assert_str_eq(bract_timescale_method_name(BRACT_TAU_EXP_OFFSET_FREE), "exp-offset-free");
    ck_assert_str_eq(bract_timescale_method_name((bract_timescale_method)17), "unknown");
}
END_TEST

START_TEST(ar1_simulation_moments)
{
    /* a stationary AR(1) of phi = 0.6: variance 1, lag-1 correlation 0.6;
     * 200,000 samples give SEs of about 0.005 and 0.002 */
    enum { N = 200000 };
    double *x = malloc(sizeof(double) * N);
    bract_rng r;
    bract_rng_init(&r, 3, 0, 0);
    bract_timescale_ar1_simulate(0.6, N, &r, x);
    double m = 0, v = 0, c = 0;
    for (int t = 0; t < N; t++)
        m += x[t] / N;
    for (int t = 0; t < N; t++)
        v += (x[t] - m) * (x[t] - m) / N;
    for (int t = 1; t < N; t++)
        c += (x[t] - m) * (x[t - 1] - m) / N;
    ck_assert_double_eq_tol(v, 1.0, 0.025);
    ck_assert_double_eq_tol(c / v, 0.6, 0.01);
    free(x);
}
END_TEST

START_TEST(nitime_rest_efold)
{
    /* Real resting-state ROI series (nitime, TR 1.89 s).  datasets.md
     * section 2.2 lists the first lag whose biased ACF is below 1/e: 3.78 s
     * (2 lags) for LThal, LAng, LSupraM, LMTG; 5.67 s for LCau, LPut; 7.56 s
     * for LFpol; 17 s (9 lags) for WM.  The interpolated e-fold time lies in
     * the TR before that lag. */
    static const struct {
        const char *roi;
        int lag;
    } want[] = {{"LThal", 2}, {"LAng", 2}, {"LSupraM", 2}, {"LMTG", 2},
                {"LCau", 3},  {"LPut", 3}, {"LFpol", 4},   {"WM", 9}};
    bract_tseries *ts;
    ck_assert_int_eq(bract_tseries_read(TESTDATA "/data/nitime-rest/fmri_timeseries.csv", 1.89,
                                        &ts), 0);
    bract_timescale_plan *p = make_plan(ts->nt, BRACT_TAU_EFOLD, 1.89, 23);
    bract_timescale_ws *w;
    ck_assert_int_eq(bract_timescale_ws_new(p, &w), 0);
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        long r = bract_tseries_find(ts, want[i].roi);
        ck_assert_int_ge(r, 0);
        bract_timescale_result res;
        bract_timescale_estimate(p, w, ts->x + (size_t)r * ts->nt, (uint64_t)r, &res, NULL);
        ck_assert_uint_eq(res.flags, 0);
        ck_assert_msg(res.tau_s > 1.89 * (want[i].lag - 1) && res.tau_s <= 1.89 * want[i].lag,
                      "%s: e-fold %g s, first lag below 1/e should be %d", want[i].roi,
                      res.tau_s, want[i].lag);
    }
    bract_timescale_ws_free(w);
    bract_timescale_plan_free(p);
    bract_tseries_free(ts);
}
END_TEST

static Suite *timescale_suite(void)
{
    Suite *s = suite_create("timescale");
    TCase *tc = tcase_create("acf");
    tcase_add_test(tc, acf_matches_statsmodels_default);
    tcase_add_test(tc, acf_matches_statsmodels_adjusted);
    tcase_add_test(tc, acf_ar1_lcg);
    tcase_add_test(tc, acf_direct_sum_and_sizes);
    tcase_add_test(tc, welch_matches_scipy);
    suite_add_tcase(s, tc);
    tc = tcase_create("estimators");
    tcase_add_test(tc, estimators_match_reference);
    tcase_add_test(tc, estimators_ar1_lcg);
    tcase_add_test(tc, exp_fit_murray_exact);
    tcase_add_test(tc, knee_conversions_and_exact_fit);
    tcase_add_test(tc, bad_input_flags_and_errors);
    tcase_add_test(tc, nitime_rest_efold);
    suite_add_tcase(s, tc);
    tc = tcase_create("simulation");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, ar1_simulation_moments);
    tcase_add_test(tc, long_series_recover_tau);
    tcase_add_test(tc, bias_correction_short_series);
    tcase_add_test(tc, bootstrap_offset_is_simulated);
    tcase_add_test(tc, run_same_for_any_thread_count);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(timescale_suite()); }
