/* Unit tests of bract/signal.h: Butterworth design against the analytic
 * response, splines against polynomials they must reproduce, and cleaning
 * against nilearn's signal.clean (testdata/reference/signal, made with
 * nilearn 0.10.3, and testdata/nilearn-signal, made with the same nilearn by
 * tools/nilearn_signal_fixtures.py). */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SIGREF REFDATA "/signal"
#define SIGFIX "testdata/nilearn-signal"
#define PI 3.14159265358979323846

/* ---- Butterworth design ---- */

/* |H|^2 of the bilinear-transformed Butterworth filter at f (fs = 1/TR),
 * from the analog prototype: Omega = 4 tan(pi f / fs) at scipy's internal
 * fs = 2, cut-offs pre-warped the same way. */
static double analytic_gain2(int N, double lo, double hi, double fs, double f)
{
    double W = 4 * tan(PI * f / fs);
    double Wl = lo > 0 ? 4 * tan(PI * lo / fs) : 0, Wh = hi > 0 ? 4 * tan(PI * hi / fs) : 0;
    double r;
    if (lo > 0 && hi > 0)
        r = (W * W - Wl * Wh) / (W * (Wl - Wh));
    else if (lo > 0)
        r = W / Wl;
    else
        r = Wh / W;
    return 1.0 / (1.0 + pow(r * r, N));
}

START_TEST(butter_matches_analytic_response)
{
    const double fs = 0.5;
    const double cuts[3][2] = {{0.1, 0}, {0, 0.01}, {0.1, 0.01}};
    for (int N = 1; N <= 8; N++)
        for (int c = 0; c < 3; c++) {
            bract_filter_butter *f;
            ck_assert_int_eq(bract_filter_butter_new(N, cuts[c][0], cuts[c][1], fs, &f), 0);
            /* exact formula vs the product of the sections: rounding only */
            for (int i = 1; i < 250; i++) {
                double hz = 0.001 * i;
                double g = bract_filter_butter_gain2(f, hz), a = analytic_gain2(N, cuts[c][0],
                                                                         cuts[c][1], fs, hz);
                ck_assert_msg(fabs(g - a) < 1e-11, "order %d case %d at %g Hz: %.15g vs %.15g",
                              N, c, hz, g, a);
            }
            bract_filter_butter_free(f);
        }
}
END_TEST

START_TEST(butter_padlen_as_scipy)
{
    /* scipy 1.10.1 sosfiltfilt default padlen: 3 * (2 nsec + 1 - first-order sections) */
    bract_filter_butter *f;
    ck_assert_int_eq(bract_filter_butter_new(5, 0.1, 0.01, 0.5, &f), 0);
    ck_assert_uint_eq(f->nsec, 5);
    ck_assert_uint_eq(f->padlen, 33);
    bract_filter_butter_free(f);
    ck_assert_int_eq(bract_filter_butter_new(5, 0.1, 0, 0.5, &f), 0);
    ck_assert_uint_eq(f->nsec, 3);
    ck_assert_uint_eq(f->padlen, 18);
    bract_filter_butter_free(f);
    ck_assert_int_eq(bract_filter_butter_new(4, 0, 0.01, 0.5, &f), 0);
    ck_assert_uint_eq(f->nsec, 2);
    ck_assert_uint_eq(f->padlen, 15);
    bract_filter_butter_free(f);
}
END_TEST

START_TEST(butter_bad_cutoffs)
{
    bract_filter_butter *f;
    ck_assert_int_eq(bract_filter_butter_new(5, 0.3, 0, 0.5, &f), BRACT_EINVAL);
    ck_assert_error_has("low-pass cut-off 0.3 Hz is above the Nyquist frequency 0.25 Hz (TR 2 s)");
    ck_assert_ptr_null(f);
    ck_assert_int_eq(bract_filter_butter_new(5, 0.05, 0.05, 0.5, &f), BRACT_EINVAL);
    ck_assert_error_has("high-pass cut-off (0.05 Hz) must be below the low-pass cut-off (0.05 Hz)");
    ck_assert_int_eq(bract_filter_butter_new(5, 0, 0, 0.5, &f), BRACT_EINVAL);
    /* exactly Nyquist: lowered as nilearn does, with a warning */
    ck_assert_int_eq(bract_filter_butter_new(5, 0.25, 0, 0.5, &f), 0);
    ck_assert(f->low_hz < 0.25 && f->low_hz > 0.25 * (1 - 1e-14));
    const char *const *w;
    ck_assert_uint_eq(bract_take_warnings(&w), 1);
    ck_assert(tu_contains(w[0], "equals the Nyquist frequency"));
    bract_filter_butter_free(f);
}
END_TEST

START_TEST(sosfiltfilt_keeps_constants_and_is_linear)
{
    /* a low-pass filter passes a constant unchanged (DC gain 1, steady-state
     * initial conditions); a high-pass removes it */
    bract_filter_butter *lp, *hp;
    ck_assert_int_eq(bract_filter_butter_new(5, 0.1, 0, 0.5, &lp), 0);
    ck_assert_int_eq(bract_filter_butter_new(5, 0, 0.02, 0.5, &hp), 0);
    double x[60], y[60], work[60 + 2 * 40];
    for (int i = 0; i < 60; i++)
        x[i] = 3.5;
    ck_assert_int_eq(bract_filter_sosfiltfilt(lp, x, 60, y, work), 0);
    for (int i = 0; i < 60; i++)
        ck_assert_double_eq_tol(y[i], 3.5, 1e-12);
    ck_assert_int_eq(bract_filter_sosfiltfilt(hp, x, 60, y, work), 0);
    for (int i = 0; i < 60; i++)
        ck_assert_double_eq_tol(y[i], 0, 1e-12);
    /* too short for the padding: scipy's error condition */
    ck_assert_int_eq(bract_filter_sosfiltfilt(lp, x, 18, y, work), BRACT_EDATA);
    ck_assert_error_has("pads 18 samples");
    bract_filter_butter_free(lp);
    bract_filter_butter_free(hp);
}
END_TEST

/* ---- splines ---- */

START_TEST(spline_reproduces_cubics)
{
    /* a not-a-knot cubic spline through samples of a cubic is that cubic,
     * extrapolated pieces included */
    enum { N = 20 };
    double t[N], y[N], work[9 * N];
    int iwork[N];
    unsigned char keep[N];
    for (int i = 0; i < N; i++) {
        t[i] = 2.0 * i;
        keep[i] = !(i == 0 || i == 1 || i == 7 || i == 8 || i == 12 || i == 19);
        y[i] = keep[i] ? 0.5 - 0.3 * t[i] + 0.02 * t[i] * t[i] - 0.001 * t[i] * t[i] * t[i] : 99;
    }
    ck_assert_int_eq(bract_filter_spline_fill(t, y, keep, N, 1, work, iwork), 0);
    for (int i = 0; i < N; i++)
        ck_assert_double_eq_tol(y[i], 0.5 - 0.3 * t[i] + 0.02 * t[i] * t[i] -
                                          0.001 * t[i] * t[i] * t[i], 1e-10);
    /* no extrapolation: the ends become NaN */
    for (int i = 0; i < N; i++)
        y[i] = keep[i] ? sin(t[i]) : 99;
    ck_assert_int_eq(bract_filter_spline_fill(t, y, keep, N, 0, work, iwork), 0);
    ck_assert(isnan(y[0]) && isnan(y[1]) && isnan(y[19]));
    ck_assert(isfinite(y[7]) && y[7] != 99);
    /* three knots: the parabola through them; two knots: the line */
    unsigned char k3[N] = {0};
    k3[2] = k3[9] = k3[15] = 1;
    for (int i = 0; i < N; i++)
        y[i] = k3[i] ? 1 + 0.5 * t[i] - 0.05 * t[i] * t[i] : 99;
    ck_assert_int_eq(bract_filter_spline_fill(t, y, k3, N, 1, work, iwork), 0);
    for (int i = 0; i < N; i++)
        ck_assert_double_eq_tol(y[i], 1 + 0.5 * t[i] - 0.05 * t[i] * t[i], 1e-10);
    unsigned char k2[N] = {0};
    k2[4] = k2[10] = 1;
    for (int i = 0; i < N; i++)
        y[i] = k2[i] ? 2 - 0.25 * t[i] : 99;
    ck_assert_int_eq(bract_filter_spline_fill(t, y, k2, N, 1, work, iwork), 0);
    for (int i = 0; i < N; i++)
        ck_assert_double_eq_tol(y[i], 2 - 0.25 * t[i], 1e-12);
    unsigned char k1[N] = {0};
    k1[4] = 1;
    ck_assert_int_eq(bract_filter_spline_fill(t, y, k1, N, 1, work, iwork), BRACT_EDATA);
}
END_TEST

/* ---- cleaning against nilearn ---- */

static bract_tseries *load(const char *path)
{
    bract_tseries *ts;
    ck_assert_msg(bract_tseries_read(path, 0, &ts) == 0, "%s: %s", path, bract_last_error());
    return ts;
}

static void assert_close(const bract_tseries *got, const char *expected_path, double tol)
{
    bract_tseries *e = load(expected_path);
    ck_assert_uint_eq(got->nt, e->nt);
    ck_assert_uint_eq(got->nreg, e->nreg);
    double worst = 0;
    for (size_t i = 0; i < e->nt * e->nreg; i++)
        worst = fmax(worst, fabs(got->x[i] - e->x[i]));
    ck_assert_msg(worst <= tol, "%s: largest difference %.3g > %.3g", expected_path, worst, tol);
    bract_tseries_free(e);
}

typedef struct {
    const char *expected;
    int detrend, standardize, confounds, standardize_confounds, keep_mean, extrapolate;
    double low, high;
    int censor; /* censor volumes 0 1 50 51 52 100 170 238 239 (the fixtures' list) */
    int runs;   /* two runs of 120 */
} ref_case;

static void run_case(const ref_case *c)
{
    bract_tseries *x = load(SIGREF "/timeseries.tsv");
    bract_tseries *cf = c->confounds ? load(SIGREF "/confounds.tsv") : NULL;
    bract_clean_opts o;
    bract_clean_opts_defaults(&o);
    o.detrend = c->detrend;
    o.standardize = c->standardize;
    o.standardize_confounds = c->standardize_confounds;
    o.keep_mean = c->keep_mean;
    o.extrapolate = c->extrapolate;
    o.low_pass = c->low;
    o.high_pass = c->high;
    o.tr = 2.0;
    unsigned char keep[240];
    static const int cen[] = {0, 1, 50, 51, 52, 100, 170, 238, 239};
    memset(keep, 1, sizeof keep);
    for (size_t i = 0; i < sizeof cen / sizeof *cen; i++)
        keep[cen[i]] = 0;
    size_t runs[2] = {120, 120};
    bract_clean_plan *p;
    ck_assert_msg(bract_clean_plan_new(&o, x->nt, c->runs ? runs : NULL, c->runs ? 2 : 0,
                                       cf ? cf->x : NULL, cf ? cf->nreg : 0,
                                       c->censor ? keep : NULL, &p) == 0,
                  "%s", bract_last_error());
    bract_clean_counts cnt;
    ck_assert_int_eq(bract_clean_tseries(p, x, &cnt), 0);
    ck_assert_uint_eq(cnt.nonfinite + cnt.constant + cnt.zero_mean, 0);
    /* tolerance 1e-8: the reference README's, for every nilearn case */
    assert_close(x, c->expected, 1e-8);
    bract_clean_plan_free(p);
    bract_tseries_free(x);
    bract_tseries_free(cf);
}

/* One test per case (tcase_add_loop_test).  The first five are
 * testdata/reference/signal/cases.json: nilearn 0.10.3 arguments map to
 * bract's as detrend=True -> order 1, standardize False -> none,
 * "zscore_sample" -> z-score (ddof 1), standardize_confounds defaults to
 * True.  The others are testdata/nilearn-signal/cases.json (nilearn 0.10.3, whose
 * extrapolate default is True, also inside each run of a multi-run call).
 * Fields: expected file, detrend, standardize, confounds,
 * standardize_confounds, keep_mean, extrapolate, low, high, censor, runs. */
enum {
    NONE = BRACT_STANDARDIZE_NONE,
    ZS = BRACT_STANDARDIZE_ZSCORE,
    ZP = BRACT_STANDARDIZE_ZSCORE_POP,
    PSC = BRACT_STANDARDIZE_PSC
};
static const ref_case nilearn_cases[] = {
    {SIGREF "/expected_detrend.tsv", 1, NONE, 0, 1, 0, 0, 0, 0, 0, 0},
    {SIGREF "/expected_detrend_zscore_sample.tsv", 1, ZS, 0, 1, 0, 0, 0, 0, 0, 0},
    /* nilearn 0.10.3 adds each series' mean back after a Butterworth filter
     * even when it does not standardise (nilearn issue #4466, fixed in 0.11):
     * the reference equals bract with keep_mean */
    {SIGREF "/expected_bandpass_0.01_0.1.tsv", 1, NONE, 0, 1, 1, 0, 0.1, 0.01, 0, 0},
    {SIGREF "/expected_confounds_zscore_sample.tsv", 1, ZS, 1, 1, 0, 0, 0, 0, 0, 0},
    {SIGREF "/expected_all.tsv", 1, ZS, 1, 1, 0, 0, 0.1, 0.01, 0, 0},
    {SIGFIX "/expected_censor_bandpass.tsv", 1, ZS, 1, 1, 0, 0, 0.1, 0.01, 1, 0},
    {SIGFIX "/expected_censor_bandpass_extrapolate.tsv", 1, ZS, 0, 1, 0, 1, 0.1, 0.01, 1, 0},
    {SIGFIX "/expected_censor_nofilter.tsv", 1, ZS, 1, 1, 0, 0, 0, 0, 1, 0},
    {SIGFIX "/expected_runs_highpass.tsv", 1, ZS, 1, 1, 0, 0, 0, 0.01, 0, 1},
    {SIGFIX "/expected_runs_censor_lowpass.tsv", 1, ZS, 0, 1, 0, 1, 0.08, 0, 1, 1},
    {SIGFIX "/expected_psc_detrend.tsv", 1, PSC, 0, 1, 0, 0, 0, 0, 0, 0},
    {SIGFIX "/expected_psc_highpass_confounds.tsv", -1, PSC, 1, 1, 0, 0, 0, 0.01, 0, 0},
    {SIGFIX "/expected_zscore_population_nodetrend.tsv", -1, ZP, 0, 1, 0, 0, 0, 0, 0, 0},
    {SIGFIX "/expected_lowpass_raw_confounds.tsv", 1, ZS, 1, 0, 0, 0, 0.12, 0, 0, 0},
};

START_TEST(nilearn_case) { run_case(&nilearn_cases[_i]); }
END_TEST

/* dfc-timescales.md section 7.4: node 0 of the three-node example plus a
 * ramp, T = 100, TR 2 s, cleaned by nilearn with linear detrending and
 * zscore_sample; values given to 11 digits, so tolerance 1e-10. */
START_TEST(notes_three_node_values)
{
    double x[100], y[100];
    for (int t = 0; t < 100; t++)
        x[t] = sin(2 * PI * 0.031 * t) + 0.5 * sin(2 * PI * 0.11 * t + 0.7) + t / 99.0;
    const double lp[2] = {0, 0.1}, hp[2] = {0, 0.01};
    const double want[3][4] = {{-1.7619269755e-04, 0.48795853101, 0.66835597850, NAN},
                               {0.0637326334, 0.5070531509, 0.7297678533, -0.9339153035},
                               {-4.9508938220e-05, 0.44906136020, 0.66677882321, NAN}};
    for (int k = 0; k < 3; k++) {
        bract_clean_opts o;
        bract_clean_opts_defaults(&o);
        o.tr = 2;
        o.low_pass = k == 0 ? 0 : lp[1];
        o.high_pass = k == 1 ? hp[1] : 0;
        bract_clean_plan *p;
        ck_assert_int_eq(bract_clean_plan_new(&o, 100, NULL, 0, NULL, 0, NULL, &p), 0);
        double *w = malloc(bract_clean_plan_ws_size(p) * sizeof *w);
        ck_assert_int_eq(bract_clean_series(p, x, y, w), BRACT_SERIES_OK);
        for (int i = 0; i < 3; i++)
            ck_assert_msg(fabs(y[i] - want[k][i]) < 1e-10, "case %d y[%d] = %.12g, want %.12g", k,
                          i, y[i], want[k][i]);
        if (!isnan(want[k][3]))
            ck_assert_double_eq_tol(y[50], want[k][3], 1e-10);
        free(w);
        bract_clean_plan_free(p);
    }
}
END_TEST

/* ---- analytic cases and bad input ---- */

START_TEST(polynomial_detrend_removes_polynomials)
{
    /* a cubic plus a sinusoid orthogonal to nothing in particular: order-3
     * detrending leaves exactly the least-squares residual, which for a pure
     * cubic is 0 */
    enum { N = 50 };
    double x[N], y[N];
    for (int i = 0; i < N; i++)
        x[i] = 3 - 0.2 * i + 0.01 * i * i - 0.0004 * i * i * i;
    bract_clean_opts o;
    bract_clean_opts_defaults(&o);
    o.detrend = 3;
    o.standardize = BRACT_STANDARDIZE_NONE;
    bract_clean_plan *p;
    ck_assert_int_eq(bract_clean_plan_new(&o, N, NULL, 0, NULL, 0, NULL, &p), 0);
    double *w = malloc(bract_clean_plan_ws_size(p) * sizeof *w);
    ck_assert_int_eq(bract_clean_series(p, x, y, w), BRACT_SERIES_OK);
    for (int i = 0; i < N; i++)
        ck_assert_double_eq_tol(y[i], 0, 1e-12);
    /* order 2 leaves a cubic's non-quadratic part: not zero */
    bract_clean_plan_free(p);
    o.detrend = 2;
    ck_assert_int_eq(bract_clean_plan_new(&o, N, NULL, 0, NULL, 0, NULL, &p), 0);
    bract_clean_series(p, x, y, w);
    double mx = 0;
    for (int i = 0; i < N; i++)
        mx = fmax(mx, fabs(y[i]));
    ck_assert(mx > 1e-3);
    free(w);
    bract_clean_plan_free(p);
}
END_TEST

START_TEST(constant_and_nonfinite_series_left_out)
{
    bract_tseries *ts = NULL;
    bract_tseries_new(30, 3, &ts);
    for (int i = 0; i < 30; i++) {
        ts->x[i] = sin(0.3 * i);
        ts->x[30 + i] = 4.0;
        ts->x[60 + i] = cos(0.2 * i);
    }
    ts->x[60 + 7] = NAN;
    bract_clean_opts o;
    bract_clean_opts_defaults(&o);
    bract_clean_plan *p;
    ck_assert_int_eq(bract_clean_plan_new(&o, 30, NULL, 0, NULL, 0, NULL, &p), 0);
    bract_clean_counts cnt;
    ck_assert_int_eq(bract_clean_tseries(p, ts, &cnt), 0);
    ck_assert_uint_eq(cnt.constant, 1);
    ck_assert_uint_eq(cnt.nonfinite, 1);
    ck_assert(isfinite(ts->x[3]));
    for (int i = 0; i < 30; i++)
        ck_assert(isnan(ts->x[30 + i]) && isnan(ts->x[60 + i]));
    const char *const *w;
    size_t nw = bract_take_warnings(&w);
    ck_assert_uint_eq(nw, 2);
    ck_assert(tu_contains(w[0], "region r2 is constant"));
    ck_assert(tu_contains(w[1], "region r3 has 1 missing or non-finite value of 30"));
    bract_clean_plan_free(p);
    bract_tseries_free(ts);
}
END_TEST

START_TEST(plan_errors)
{
    bract_clean_opts o;
    bract_clean_opts_defaults(&o);
    bract_clean_plan *p;
    o.low_pass = 0.1;
    ck_assert_int_eq(bract_clean_plan_new(&o, 100, NULL, 0, NULL, 0, NULL, &p), BRACT_EINVAL);
    ck_assert_error_has("filtering needs the repetition time");
    ck_assert_ptr_null(p);
    o.tr = 2;
    o.high_pass = 0.2;
    ck_assert_int_eq(bract_clean_plan_new(&o, 100, NULL, 0, NULL, 0, NULL, &p), BRACT_EINVAL);
    ck_assert_error_has("must be below the low-pass cut-off");
    o.high_pass = 0.01;
    size_t runs[2] = {80, 20};
    ck_assert_int_eq(bract_clean_plan_new(&o, 100, runs, 2, NULL, 0, NULL, &p), BRACT_EDATA);
    ck_assert_error_has("run 2: 20 volumes are too few for the Butterworth filter, which pads 33");
    runs[1] = 30;
    ck_assert_int_eq(bract_clean_plan_new(&o, 100, runs, 2, NULL, 0, NULL, &p), BRACT_EDATA);
    ck_assert_error_has("the runs add up to 110 volumes but the data have 100");
    double conf[3 * 10] = {0};
    bract_clean_opts_defaults(&o);
    ck_assert_int_eq(bract_clean_plan_new(&o, 3, NULL, 0, conf, 3, NULL, &p), BRACT_EDATA);
    ck_assert_error_has("3 confounds for 3 volumes");
}
END_TEST

START_TEST(dependent_confounds_dropped)
{
    /* a confound equal to twice another adds nothing: rank 2 of 3, with a
     * warning, and the same result as without it */
    enum { N = 40 };
    double conf[3 * N], x[N], y1[N], y2[N];
    for (int i = 0; i < N; i++) {
        conf[i] = sin(0.4 * i);
        conf[N + i] = cos(0.13 * i);
        conf[2 * N + i] = 2 * conf[i];
        x[i] = 0.5 * conf[i] - conf[N + i] + sin(1.3 * i) + 0.01 * i;
    }
    bract_clean_opts o;
    bract_clean_opts_defaults(&o);
    bract_clean_plan *p3, *p2;
    ck_assert_int_eq(bract_clean_plan_new(&o, N, NULL, 0, conf, 3, NULL, &p3), 0);
    ck_assert_uint_eq(bract_clean_plan_confound_rank(p3), 2);
    const char *const *w;
    ck_assert_uint_eq(bract_take_warnings(&w), 1);
    ck_assert(tu_contains(w[0], "1 of 3 confound columns are linear combinations"));
    ck_assert_int_eq(bract_clean_plan_new(&o, N, NULL, 0, conf, 2, NULL, &p2), 0);
    double *wk = malloc(bract_clean_plan_ws_size(p3) * sizeof *wk);
    bract_clean_series(p3, x, y1, wk);
    bract_clean_series(p2, x, y2, wk);
    for (int i = 0; i < N; i++)
        ck_assert_double_eq_tol(y1[i], y2[i], 1e-12);
    free(wk);
    bract_clean_plan_free(p3);
    bract_clean_plan_free(p2);
}
END_TEST

START_TEST(option_names)
{
    bract_clean_standardize st = BRACT_STANDARDIZE_NONE;
    for (int i = 0; i <= BRACT_STANDARDIZE_PSC; i++) {
        ck_assert_int_eq(bract_clean_standardize_parse(bract_clean_standardize_name((bract_clean_standardize)i),
                                                 &st),
                         BRACT_OK);
        ck_assert_int_eq(st, i);
    }
    ck_assert_str_eq(bract_clean_standardize_name(BRACT_STANDARDIZE_ZSCORE_POP), "zscore-population");
    ck_assert_str_eq(bract_clean_standardize_name((bract_clean_standardize)9), "unknown");
    ck_assert_int_eq(bract_clean_standardize_parse("std", &st), BRACT_EINVAL);
    ck_assert_int_eq(st, BRACT_STANDARDIZE_PSC);
    ck_assert_error_has("unknown standardisation 'std' (expected one of none, zscore, "
                        "zscore-population, psc)");
    int order = 5;
    ck_assert_int_eq(bract_clean_detrend_parse("none", &order), BRACT_OK);
    ck_assert_int_eq(order, -1);
    ck_assert_int_eq(bract_clean_detrend_parse("0", &order), BRACT_OK);
    ck_assert_int_eq(order, 0);
    ck_assert_int_eq(bract_clean_detrend_parse("10", &order), BRACT_OK);
    ck_assert_int_eq(order, 10);
    static const char *const bad[] = {"11", "-1", "", "1x", "linear", " 2"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ck_assert_int_eq(bract_clean_detrend_parse(bad[i], &order), BRACT_EINVAL);
        ck_assert_int_eq(order, 10);
    }
    ck_assert_error_has("unknown detrending order ' 2' (expected none or a polynomial order "
                        "from 0 to 10)");
}
END_TEST

static Suite *signal_suite(void)
{
    Suite *s = suite_create("signal");
    TCase *tc = tcase_create("filter");
    tcase_add_test(tc, butter_matches_analytic_response);
    tcase_add_test(tc, butter_padlen_as_scipy);
    tcase_add_test(tc, butter_bad_cutoffs);
    tcase_add_test(tc, sosfiltfilt_keeps_constants_and_is_linear);
    tcase_add_test(tc, spline_reproduces_cubics);
    suite_add_tcase(s, tc);
    tc = tcase_create("nilearn");
    tcase_add_loop_test(tc, nilearn_case, 0,
                        (int)(sizeof nilearn_cases / sizeof *nilearn_cases));
    tcase_add_test(tc, notes_three_node_values);
    suite_add_tcase(s, tc);
    tc = tcase_create("cases");
    tcase_add_test(tc, polynomial_detrend_removes_polynomials);
    tcase_add_test(tc, constant_and_nonfinite_series_left_out);
    tcase_add_test(tc, plan_errors);
    tcase_add_test(tc, dependent_confounds_dropped);
    tcase_add_test(tc, option_names);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(signal_suite()); }
