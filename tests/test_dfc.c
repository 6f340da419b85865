/* Unit tests of bract/dfc.h (sliding windows), bract/glasso.h and
 * bract/npy.h. */
#include "testutil.h"

#include <math.h>
#include <omp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

/* A numeric TSV with a header into a row-major matrix. */
static double *load_matrix(const char *path, size_t *nrows, size_t *ncols)
{
    bract_table *t;
    ck_assert_msg(bract_table_read(path, &t) == 0, "%s", bract_last_error());
    double *m = malloc(t->nrows * t->ncols * sizeof *m);
    for (size_t r = 0; r < t->nrows; r++)
        for (size_t c = 0; c < t->ncols; c++)
            ck_assert_int_eq(bract_table_double(t, r, c, &m[r * t->ncols + c]), 0);
    *nrows = t->nrows;
    *ncols = t->ncols;
    bract_table_free(t);
    return m;
}

static double max_abs_diff(const double *a, const double *b, size_t n)
{
    double mx = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs(a[i] - b[i]);
        if (!(d <= mx))
            mx = d; /* NaN wins */
    }
    return mx;
}

/* Windows of the reference series with the given parameters. */
static double *reference_windows(const bract_dfc_opts *p, size_t *nwin, size_t *npairs)
{
    bract_tseries *ts;
    ck_assert_int_eq(bract_tseries_read(REFDATA "/dfc/input.tsv", 0, &ts), 0);
    bract_dfc_plan *pl;
    ck_assert_msg(bract_dfc_plan_new(ts->nt, ts->nreg, p, &pl) == 0, "%s", bract_last_error());
    *nwin = bract_dfc_nwindows(pl);
    *npairs = bract_dfc_npairs(pl);
    double *out = malloc(*nwin * *npairs * sizeof *out);
    ck_assert_msg(bract_dfc_all(pl, ts->x, (const char *const *)ts->name, out) == 0, "%s",
                  bract_last_error());
    bract_dfc_plan_free(pl);
    bract_tseries_free(ts);
    return out;
}

static void check_against(const char *expected, const double *got, size_t nwin, size_t npairs,
                          double tol)
{
    size_t er, ec;
    double *want = load_matrix(expected, &er, &ec);
    ck_assert_uint_eq(er, nwin);
    ck_assert_uint_eq(ec, npairs);
    double d = max_abs_diff(got, want, nwin * npairs);
    ck_assert_msg(d <= tol, "%s: max |difference| %g > %g", expected, d, tol);
    free(want);
}

/* testdata/reference/dfc: rectangular windows of 30, step 1 (211 windows):
 * plain Pearson per window, tolerance 1e-10 (README). */
START_TEST(reference_rectangular)
{
    bract_dfc_opts p;
    bract_dfc_opts_defaults(&p);
    p.window = 30;
    size_t nwin, npairs;
    double *r = reference_windows(&p, &nwin, &npairs);
    ck_assert_uint_eq(nwin, 240 - 30 + 1);
    check_against(REFDATA "/dfc/expected_rect_w30_s1.tsv", r, nwin, npairs, 1e-10);
    free(r);
}
END_TEST

/* Gaussian weights of sd 5 centred on the window's middle (teneto tapered
 * window, DescrStatsW): tolerance 1e-10 (README). */
START_TEST(reference_tapered)
{
    bract_dfc_opts p;
    bract_dfc_opts_defaults(&p);
    p.window = 30;
    p.window_type = BRACT_WINDOW_GAUSSIAN;
    p.sigma = 5;
    size_t nwin, npairs;
    double *r = reference_windows(&p, &nwin, &npairs);
    check_against(REFDATA "/dfc/expected_tapered_w30_sigma5.tsv", r, nwin, npairs, 1e-10);
    free(r);
}
END_TEST

/* nilearn's kind="correlation" (z-score ddof 1 + scikit-learn LedoitWolf,
 * rescaled to a correlation) per window: testdata/dfc/make_fixtures.py,
 * scikit-learn 1.2.1; closed forms in double, tolerance 1e-12. */
START_TEST(ledoit_wolf_matches_sklearn)
{
    bract_dfc_opts p;
    bract_dfc_opts_defaults(&p);
    p.window = 30;
    p.estimator = BRACT_FC_LEDOIT_WOLF;
    size_t nwin, npairs;
    double *r = reference_windows(&p, &nwin, &npairs);
    check_against(TESTDATA "/dfc/expected_ledoitwolf_w30.tsv", r, nwin, npairs, 1e-12);
    free(r);
}
END_TEST

/* Graphical lasso, lambda 0.1, of every 10th window's correlation matrix
 * against scikit-learn's graphical_lasso (mode cd, tol 1e-12): both solve
 * the same convex problem to a duality gap of 1e-8 or less, tolerance 1e-6. */
START_TEST(glasso_matches_sklearn)
{
    bract_dfc_opts p;
    bract_dfc_opts_defaults(&p);
    p.window = 30;
    p.step = 10;
    p.lambda = 0.1;
    p.estimator = BRACT_FC_GLASSO;
    size_t nwin, npairs;
    double *r = reference_windows(&p, &nwin, &npairs);
    ck_assert_uint_eq(nwin, 22);
    check_against(TESTDATA "/dfc/expected_glasso_l0.1_w30_s10.tsv", r, nwin, npairs, 1e-6);
    free(r);
    p.estimator = BRACT_FC_GLASSO_PARTIAL;
    r = reference_windows(&p, &nwin, &npairs);
    check_against(TESTDATA "/dfc/expected_glasso_partial_l0.1_w30_s10.tsv", r, nwin, npairs,
                  1e-6);
    free(r);
}
END_TEST

/* Long random series with awkward numerics: a large offset, a variance that
 * changes by orders of magnitude over time, a region that is nearly
 * constant for a stretch.  Every window must equal a direct Pearson
 * (bract_stats_pearson on the window's samples) to 1e-10. */
static void random_series(double *x, size_t nt, size_t nreg, uint64_t seed)
{
    bract_rng rng;
    bract_rng_init(&rng, seed, 0, 0);
    for (size_t r = 0; r < nreg; r++)
        for (size_t t = 0; t < nt; t++) {
            double v = bract_rng_normal(&rng);
            if (r % 3 == 0)
                v = 1e4 + 1e-2 * v; /* offset much larger than the spread */
            else if (r % 3 == 1)
                v *= pow(10.0, 3.0 * sin(6.283185307 * (double)t / (double)nt)); /* 1e-3..1e3 */
            if (r == 2 && t >= nt / 3 && t < nt / 3 + 200)
                v = 5.0 + 1e-9 * v; /* nearly flat for 200 volumes */
            x[r * nt + t] = v + 0.3 * (r ? x[(r - 1) * nt + t] : 0) * (r % 3 == 2);
        }
}

static void check_direct(size_t nt, size_t nreg, size_t L, size_t step, size_t block)
{
    double *x = malloc(nt * nreg * sizeof *x);
    random_series(x, nt, nreg, 7 + nreg);
    bract_dfc_opts p;
    bract_dfc_opts_defaults(&p);
    p.window = L;
    p.step = step;
    p.block = block;
    bract_dfc_plan *pl;
    ck_assert_int_eq(bract_dfc_plan_new(nt, nreg, &p, &pl), 0);
    size_t nwin = bract_dfc_nwindows(pl), npairs = bract_dfc_npairs(pl);
    ck_assert_uint_eq(nwin, (nt - L) / step + 1);
    double *out = malloc(nwin * npairs * sizeof *out);
    ck_assert_msg(bract_dfc_all(pl, x, NULL, out) == 0, "%s", bract_last_error());
    double worst = 0;
    for (size_t k = 0; k < nwin; k++)
        for (size_t i = 0; i < nreg; i++)
            for (size_t j = i + 1; j < nreg; j++) {
                double r = bract_stats_pearson(x + i * nt + k * step, x + j * nt + k * step, L);
                double d = fabs(out[k * npairs + bract_pair_index(nreg, i, j)] - r);
                if (!(d <= worst))
                    worst = d;
            }
    ck_assert_msg(worst <= 1e-10, "nt %zu, %zu regions, window %zu, step %zu: max |r - direct| "
                  "= %g", nt, nreg, L, step, worst);
    free(out);
    bract_dfc_plan_free(pl);
    free(x);
}

START_TEST(incremental_equals_direct)
{
    check_direct(4000, 7, 40, 1, 256);   /* running updates, default re-anchoring */
    check_direct(3000, 6, 60, 3, 100000); /* step 3, never re-anchored */
    check_direct(2000, 60, 30, 1, 64);   /* enough regions for the threaded path */
    check_direct(500, 5, 30, 7, 256);    /* step too large: each window direct */
}
END_TEST

/* Same bits for 1 and 2 threads, for each window type. */
START_TEST(thread_count_invariance)
{
    size_t nt = 400, nreg = 70;
    double *x = malloc(nt * nreg * sizeof *x);
    random_series(x, nt, nreg, 3);
    for (int type = 0; type < 3; type++) {
        bract_dfc_opts p;
        bract_dfc_opts_defaults(&p);
        p.window = 30;
        p.window_type = type;
        p.sigma = 6;
        p.block = 50;
        bract_dfc_plan *pl;
        ck_assert_int_eq(bract_dfc_plan_new(nt, nreg, &p, &pl), 0);
        size_t n = bract_dfc_nwindows(pl) * bract_dfc_npairs(pl);
        double *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
        bract_set_threads(1);
        ck_assert_int_eq(bract_dfc_all(pl, x, NULL, a), 0);
        bract_set_threads(2);
        ck_assert_int_eq(bract_dfc_all(pl, x, NULL, b), 0);
        ck_assert_msg(memcmp(a, b, n * sizeof *a) == 0, "window type %d differs by threads",
                      type);
        free(a);
        free(b);
        bract_dfc_plan_free(pl);
    }
    free(x);
}
END_TEST

/* dfc-timescales.md 7.1 three nodes, T = 40. */
static double *three_nodes(size_t T)
{
    const double pi = 3.14159265358979323846;
    double *x = malloc(3 * T * sizeof *x);
    for (size_t i = 0; i < T; i++) {
        double t = (double)i;
        x[i] = sin(2 * pi * 0.031 * t) + 0.5 * sin(2 * pi * 0.11 * t + 0.7);
        x[T + i] = 0.6 * x[i] + 0.8 * cos(2 * pi * 0.047 * t + 0.3);
        x[2 * T + i] = sin(2 * pi * 0.019 * t + 1.1) - 0.4 * cos(2 * pi * 0.13 * t);
    }
    return x;
}

static double *three_node_windows(int type, int fisher, size_t *nwin, bract_dfc_plan **keep)
{
    double *x = three_nodes(40);
    bract_dfc_opts p;
    bract_dfc_opts_defaults(&p);
    p.window = 10;
    p.window_type = type;
    p.sigma = 5;
    p.alpha = 3;
    p.fisher = fisher;
    bract_dfc_plan *pl;
    ck_assert_int_eq(bract_dfc_plan_new(40, 3, &p, &pl), 0);
    *nwin = bract_dfc_nwindows(pl);
    double *out = malloc(*nwin * 3 * sizeof *out);
    ck_assert_int_eq(bract_dfc_all(pl, x, NULL, out), 0);
    free(x);
    if (keep)
        *keep = pl;
    else
        bract_dfc_plan_free(pl);
    return out;
}

/* dfc-timescales.md 7.3, edge x0-x1 (pair 0), values given to 10 decimals:
 * tolerance 1e-9. */
START_TEST(teneto_three_nodes)
{
    size_t nwin;
    double *r = three_node_windows(BRACT_WINDOW_RECT, 0, &nwin, NULL);
    ck_assert_uint_eq(nwin, 31);
    const size_t at[4] = {0, 1, 15, 30};
    const double rect[4] = {-0.1881308394, -0.1243433504, 0.7935936380, 0.9908696693};
    for (int i = 0; i < 4; i++)
        ck_assert_double_eq_tol(r[at[i] * 3], rect[i], 1e-9);
    free(r);
    r = three_node_windows(BRACT_WINDOW_GAUSSIAN, 0, &nwin, NULL);
    ck_assert_uint_eq(nwin, 31);
    const double tap[4] = {-0.0899774635, -0.0661221899, 0.8028057723, 0.9912660280};
    for (int i = 0; i < 4; i++)
        ck_assert_double_eq_tol(r[at[i] * 3], tap[i], 1e-9);
    free(r);
}
END_TEST

/* GIFT (nT = 40, wsize = 10, alpha = 3): taper samples 15..25, Nwin = 30,
 * r and GIFT's z of windows 1, 2, 15, 30 (7.3, 10 decimals: 1e-9). */
START_TEST(gift_three_nodes)
{
    size_t nwin;
    bract_dfc_plan *pl;
    double *r = three_node_windows(BRACT_WINDOW_GIFT, 0, &nwin, &pl);
    ck_assert_uint_eq(nwin, 30);
    const size_t at[4] = {0, 1, 14, 29};
    const double rr[4] = {0.3197651110, 0.1617238017, 0.1560220389, 0.8540734207};
    for (int i = 0; i < 4; i++)
        ck_assert_double_eq_tol(r[at[i] * 3], rr[i], 1e-9);
    /* the base taper is window k with the shift undone: GIFT window 1 is the
     * base shifted by round(-20) + 5 + 1 = -14 */
    double w[40];
    bract_dfc_window_weights(pl, 0, w);
    const double taper[11] = {0.6276793076, 0.7656028955, 0.8795256269, 0.9593131143, 1, 1,
                              0.9593131143, 0.8795256269, 0.7656028955, 0.6276793076,
                              0.4807142148};
    for (int i = 0; i < 11; i++)
        ck_assert_double_eq_tol(w[(15 + i - 14 + 40) % 40], taper[i], 1e-9);
    size_t first, last;
    bract_dfc_window_span(pl, 0, &first, &last);
    ck_assert_uint_eq(first, 1);
    ck_assert_uint_eq(last, 10);
    ck_assert(w[1] >= 0.5 && w[10] >= 0.5 && w[0] < 0.5 && w[11] < 0.5);
    bract_dfc_plan_free(pl);
    free(r);
    double *z = three_node_windows(BRACT_WINDOW_GIFT, 1, &nwin, NULL);
    const double zz[4] = {0.3313854415, 0.1631562876, 0.1573068645, 1.2710183349};
    for (int i = 0; i < 4; i++)
        ck_assert_double_eq_tol(z[at[i] * 3], zz[i], 1e-9);
    free(z);
}
END_TEST

/* Fisher z of the rectangular windows is atanh of their r (to rounding). */
START_TEST(fisher_is_atanh)
{
    size_t nwin;
    double *r = three_node_windows(BRACT_WINDOW_RECT, 0, &nwin, NULL);
    double *z = three_node_windows(BRACT_WINDOW_RECT, 1, &nwin, NULL);
    for (size_t i = 0; i < nwin * 3; i++)
        ck_assert_double_eq_tol(z[i], atanh(r[i]), 1e-12);
    free(r);
    free(z);
}
END_TEST

static int count_sink(void *ctx, size_t k, const double *fc)
{
    (void)fc;
    (void)k;
    (*(size_t *)ctx)++;
    return 0;
}

START_TEST(bad_parameters)
{
    bract_dfc_opts p;
    bract_dfc_opts_defaults(&p);
    bract_dfc_plan *pl = (bract_dfc_plan *)1;
    p.window = 1;
    ck_assert_int_eq(bract_dfc_plan_new(100, 4, &p, &pl), BRACT_EINVAL);
    ck_assert_error_has("a window of 1 volume: a windowed correlation needs at least 3 volumes");
    ck_assert_ptr_null(pl);
    p.window = 50;
    ck_assert_int_eq(bract_dfc_plan_new(40, 4, &p, &pl), BRACT_EDATA);
    ck_assert_error_has("40 volumes are fewer than the window of 50");
    p.window = 40;
    p.window_type = BRACT_WINDOW_GIFT;
    ck_assert_int_eq(bract_dfc_plan_new(40, 4, &p, &pl), BRACT_EDATA);
    ck_assert_error_has("plus one");
    p.window_type = BRACT_WINDOW_GAUSSIAN;
    p.window = 10;
    p.sigma = 0;
    ck_assert_int_eq(bract_dfc_plan_new(40, 4, &p, &pl), BRACT_EINVAL);
    ck_assert_error_has("positive sigma");
    p.sigma = 2;
    p.estimator = BRACT_FC_LEDOIT_WOLF;
    ck_assert_int_eq(bract_dfc_plan_new(40, 4, &p, &pl), BRACT_EINVAL);
    ck_assert_error_has("rectangular windows only");
    bract_dfc_opts_defaults(&p);
    p.window = 10;
    p.step = 0;
    ck_assert_int_eq(bract_dfc_plan_new(40, 4, &p, &pl), BRACT_EINVAL);
    ck_assert_error_has("at least 1 volume");
    p.step = 1;
    ck_assert_int_eq(bract_dfc_plan_new(40, 1, &p, &pl), BRACT_EDATA);
    ck_assert_error_has("1 region: connectivity needs at least 2");
    p.estimator = BRACT_FC_GLASSO;
    ck_assert_int_eq(bract_dfc_plan_new(40, 3, &p, &pl), BRACT_EINVAL);
    ck_assert_error_has("positive lambda");
}
END_TEST

START_TEST(bad_data)
{
    size_t nt = 60;
    double *x = three_nodes(nt);
    const char *names[3] = {"V1", "PCC", "mPFC"};
    bract_dfc_opts p;
    bract_dfc_opts_defaults(&p);
    p.window = 10;
    bract_dfc_plan *pl;
    ck_assert_int_eq(bract_dfc_plan_new(nt, 3, &p, &pl), 0);
    size_t n = 0;
    x[nt + 17] = NAN;
    ck_assert_int_eq(bract_dfc_run(pl, x, names, count_sink, &n, NULL), BRACT_EDATA);
    ck_assert_error_has("region PCC: volume 18 is not a finite number");
    ck_assert_uint_eq(n, 0);
    unsigned char bad[3];
    ck_assert_uint_eq(bract_dfc_bad_regions(x, nt, 3, names, bad), 1);
    ck_assert(bad[1] && !bad[0] && !bad[2]);
    const char *const *w;
    ck_assert_uint_eq(bract_take_warnings(&w), 1);
    ck_assert(tu_contains(w[0], "region PCC has 1 missing or non-finite value: excluded"));
    free(x);
    /* flat for volumes 21..35 (1-based): window 21 (volumes 21-30) is the
     * first wholly inside; the windows before it are fine */
    x = three_nodes(nt);
    for (size_t t = 20; t < 35; t++)
        x[2 * nt + t] = 0.25;
    n = 0;
    ck_assert_int_eq(bract_dfc_run(pl, x, names, count_sink, &n, NULL), BRACT_EDATA);
    ck_assert_error_has("region mPFC has no variance in window 21 (volumes 21-30)");
    ck_assert_uint_eq(n, 20);
    for (size_t t = 0; t < nt; t++)
        x[t] = 3;
    ck_assert_uint_eq(bract_dfc_bad_regions(x, nt, 3, names, bad), 1);
    ck_assert(bad[0]);
    ck_assert_uint_eq(bract_take_warnings(&w), 1);
    ck_assert(tu_contains(w[0], "region V1 is constant: excluded"));
    ck_assert_int_eq(bract_dfc_run(pl, x, names, count_sink, &n, NULL), BRACT_EDATA);
    ck_assert_error_has("region V1 is constant");
    bract_dfc_plan_free(pl);
    free(x);
}
END_TEST

/* The graphical lasso's optimality conditions on a random correlation
 * matrix: W Theta = I, W_ii = S_ii, and for i != j |W_ij - S_ij| <= lambda,
 * with equality (and the sign of -Theta_ij) where Theta_ij != 0. */
START_TEST(glasso_kkt)
{
    size_t p = 12, n = 40;
    double *x = malloc(n * p * sizeof *x), S[144], W[144], T[144];
    random_series(x, n, p, 11);
    for (size_t i = 0; i < p; i++)
        for (size_t j = 0; j < p; j++)
            S[i * p + j] = bract_stats_pearson(x + i * n, x + j * n, n);
    bract_glasso_ws *gw = NULL;
    bract_glasso_ws_new(p, &gw);
    int it;
    double lambda = 0.15;
    ck_assert_int_eq(bract_glasso(S, p, lambda, 1e-10, 500, W, T, &it, gw), 0);
    for (size_t i = 0; i < p; i++)
        for (size_t j = 0; j < p; j++) {
            double wt = 0;
            for (size_t k = 0; k < p; k++)
                wt += W[i * p + k] * T[k * p + j];
            ck_assert_double_eq_tol(wt, i == j, 1e-7);
            if (i == j) {
                ck_assert_double_eq_tol(W[i * p + i], S[i * p + i], 1e-12);
            } else {
                double g = W[i * p + j] - S[i * p + j];
                ck_assert(fabs(g) <= lambda + 1e-7);
                if (fabs(T[i * p + j]) > 1e-9)
                    ck_assert_double_eq_tol(g, T[i * p + j] > 0 ? lambda : -lambda,
                                            1e-6);
            }
        }
    S[0] = -1;
    ck_assert_int_eq(bract_glasso(S, p, lambda, 1e-10, 500, W, T, &it, gw), BRACT_EDATA);
    ck_assert_error_has("diagonal entry 0 of S is -1");
    bract_glasso_ws_free(gw);
    free(x);
}
END_TEST

/* Streaming summaries against two-pass computations on all windows (the
 * reference rectangular windows): 1e-12. */
START_TEST(stats_match_two_pass)
{
    bract_dfc_opts p;
    bract_dfc_opts_defaults(&p);
    p.window = 30;
    size_t nwin, np, n = 6;
    double *r = reference_windows(&p, &nwin, &np);
    bract_dfc_stats *st = NULL;
    bract_dfc_stats_new(n, &st);
    double *col = malloc(nwin * sizeof *col), wm, wsd;
    for (size_t k = 0; k < nwin; k++) {
        bract_dfc_stats_add(st, r + k * np, &wm, &wsd);
        ck_assert_double_eq_tol(wm, bract_stats_mean(r + k * np, np), 1e-12);
        ck_assert_double_eq_tol(wsd, sqrt(bract_stats_var(r + k * np, np, 1)), 1e-12);
    }
    ck_assert_uint_eq(bract_dfc_stats_count(st), nwin);
    double em[15], esd[15], sm[6], ssd[6], esm[6];
    double fcvar = bract_dfc_stats_result(st, em, esd, sm, ssd, esm), want_fcvar = 0;
    for (size_t e = 0; e < np; e++) {
        for (size_t k = 0; k < nwin; k++)
            col[k] = r[k * np + e];
        ck_assert_double_eq_tol(em[e], bract_stats_mean(col, nwin), 1e-12);
        ck_assert_double_eq_tol(esd[e], sqrt(bract_stats_var(col, nwin, 1)), 1e-12);
        want_fcvar += bract_stats_var(col, nwin, 1) / (double)np;
    }
    ck_assert_double_eq_tol(fcvar, want_fcvar, 1e-12);
    for (size_t i = 0; i < n; i++) {
        double esum = 0;
        for (size_t k = 0; k < nwin; k++) {
            double s = 0;
            for (size_t j = 0; j < n; j++)
                if (j != i)
                    s += r[k * np + bract_pair_index(n, i < j ? i : j, i < j ? j : i)];
            col[k] = s / (double)(n - 1);
        }
        for (size_t j = 0; j < n; j++)
            if (j != i)
                esum += esd[bract_pair_index(n, i < j ? i : j, i < j ? j : i)];
        ck_assert_double_eq_tol(sm[i], bract_stats_mean(col, nwin), 1e-12);
        ck_assert_double_eq_tol(ssd[i], sqrt(bract_stats_var(col, nwin, 1)), 1e-12);
        ck_assert_double_eq_tol(esm[i], esum / (double)(n - 1), 1e-12);
    }
    bract_dfc_stats_free(st);
    free(col);
    free(r);
}
END_TEST

START_TEST(npy_round_trip)
{
    char *dir = tu_tmpdir(), *path = tu_join(dir, "w.npy");
    bract_npy_writer *w;
    ck_assert_int_eq(bract_npy_open(path, 0, 3, 2, &w), 0);
    double rows[6] = {1, -2.5, 3.25, 1e-3, 0, 7};
    for (int r = 0; r < 3; r++)
        ck_assert_int_eq(bract_npy_write_row(w, rows + 2 * r), 0);
    ck_assert_int_eq(bract_npy_commit(w), 0);
    char *text = tu_slurp(path);
    ck_assert(memcmp(text, "\x93NUMPY\x01\x00", 8) == 0);
    ck_assert(strstr(text + 10, "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }"));
    ck_assert_int_eq((text[8] + 10) % 64, 0); /* data start at a multiple of 64 */
    free(text);
    size_t nr, nc;
    double *d;
    ck_assert_int_eq(bract_npy_read(path, &nr, &nc, &d), 0);
    ck_assert_uint_eq(nr, 3);
    ck_assert_uint_eq(nc, 2);
    for (int i = 0; i < 6; i++)
        ck_assert(d[i] == (double)(float)rows[i]);
    free(d);
    /* too few rows: nothing in place */
    char *p2 = tu_join(dir, "short.npy");
    ck_assert_int_eq(bract_npy_open(p2, 0, 3, 2, &w), 0);
    ck_assert_int_eq(bract_npy_write_row(w, rows), 0);
    ck_assert_int_eq(bract_npy_commit(w), BRACT_EINVAL);
    ck_assert_error_has("1 of 3 rows written");
    ck_assert(!tu_exists(p2));
    ck_assert_int_eq(tu_count_entries(dir), 1);
    tu_write(p2, "not npy");
    ck_assert_int_eq(bract_npy_read(p2, &nr, &nc, &d), BRACT_EFORMAT);
    ck_assert_error_has("not a NumPy .npy file");
    tu_rmtree(dir);
    free(dir);
    free(path);
    free(p2);
}
END_TEST

/* A block of windows summarised on several threads gives the numbers of
 * one window at a time to the last bit, whatever the block sizes. */
START_TEST(stats_block_equals_one_by_one)
{
    size_t n = 130, np = n * (n - 1) / 2, nwin = 37; /* blocks of 8 and 17 are shared */
    double *w = malloc(nwin * np * sizeof *w);
    bract_rng rng;
    bract_rng_init(&rng, 3, 0, 0);
    for (size_t i = 0; i < nwin * np; i++)
        w[i] = 2 * bract_rng_uniform(&rng) - 1;
    bract_dfc_stats *a, *b;
    ck_assert_int_eq(bract_dfc_stats_new(n, &a), 0);
    ck_assert_int_eq(bract_dfc_stats_new(n, &b), 0);
    double wm1[37], wsd1[37], wm2[37], wsd2[37];
    for (size_t k = 0; k < nwin; k++)
        bract_dfc_stats_add(a, w + k * np, &wm1[k], &wsd1[k]);
    int threads = bract_get_threads();
    bract_set_threads(2);
    static const size_t sizes[] = {1, 4, 7, 8, 17};
    for (size_t k = 0, i = 0; k < nwin; i++) {
        size_t m = sizes[i % 5] < nwin - k ? sizes[i % 5] : nwin - k;
        ck_assert_int_eq(bract_dfc_stats_add_block(b, w + k * np, m, &wm2[k], &wsd2[k]), 0);
        k += m;
    }
    bract_set_threads(threads);
    ck_assert_uint_eq(bract_dfc_stats_count(b), nwin);
    ck_assert(memcmp(wm1, wm2, sizeof wm1) == 0 && memcmp(wsd1, wsd2, sizeof wsd1) == 0);
    double *r1 = malloc(2 * (2 * np + 3 * n) * sizeof *r1), *r2 = r1 + 2 * np + 3 * n;
    double v1 = bract_dfc_stats_result(a, r1, r1 + np, r1 + 2 * np, r1 + 2 * np + n,
                                       r1 + 2 * np + 2 * n);
    double v2 = bract_dfc_stats_result(b, r2, r2 + np, r2 + 2 * np, r2 + 2 * np + n,
                                       r2 + 2 * np + 2 * n);
    ck_assert(v1 == v2);
    ck_assert(memcmp(r1, r2, (2 * np + 3 * n) * sizeof *r1) == 0);
    bract_dfc_stats_free(a);
    bract_dfc_stats_free(b);
    free(r1);
    free(w);
}
END_TEST

/* IEEE half precision: round to nearest, ties to even, subnormals,
 * overflow to infinity, and every half back to itself. */
START_TEST(half_precision)
{
    ck_assert_uint_eq(bract_npy_half_from_double(1.0), 0x3c00);
    ck_assert_uint_eq(bract_npy_half_from_double(-2.0), 0xc000);
    ck_assert_uint_eq(bract_npy_half_from_double(-0.0), 0x8000);
    ck_assert_uint_eq(bract_npy_half_from_double(65504.0), 0x7bff);
    ck_assert_uint_eq(bract_npy_half_from_double(65519.99), 0x7bff);
    ck_assert_uint_eq(bract_npy_half_from_double(65520.0), 0x7c00); /* the tie goes up: inf */
    ck_assert_uint_eq(bract_npy_half_from_double(1e300), 0x7c00);
    ck_assert_uint_eq(bract_npy_half_from_double(-INFINITY), 0xfc00);
    ck_assert(isnan(bract_npy_half_to_double(bract_npy_half_from_double(NAN))));
    ck_assert_uint_eq(bract_npy_half_from_double(1 + ldexp(1, -11)), 0x3c00);     /* tie: even */
    ck_assert_uint_eq(bract_npy_half_from_double(1 + 3 * ldexp(1, -11)), 0x3c02); /* tie: even */
    ck_assert_uint_eq(bract_npy_half_from_double(nextafter(1 + ldexp(1, -11), 2)), 0x3c01);
    ck_assert_uint_eq(bract_npy_half_from_double(ldexp(1, -24)), 0x0001);
    ck_assert_uint_eq(bract_npy_half_from_double(ldexp(1, -25)), 0x0000); /* tie: even */
    ck_assert_uint_eq(bract_npy_half_from_double(nextafter(ldexp(1, -25), 1)), 0x0001);
    ck_assert_uint_eq(bract_npy_half_from_double(3 * ldexp(1, -25)), 0x0002);   /* tie: even */
    ck_assert_uint_eq(bract_npy_half_from_double(ldexp(1023.5, -24)), 0x0400); /* to the normals */
    ck_assert_uint_eq(bract_npy_half_from_double(1e-300), 0x0000);
    for (unsigned h = 0; h < 0x10000; h++) {
        double d = bract_npy_half_to_double((uint16_t)h);
        if (!isnan(d))
            ck_assert_uint_eq(bract_npy_half_from_double(d), h);
    }
}
END_TEST

/* float16 and float64 files, rows longer than a write block, read back. */
/* The .npy at path holds rows (nr x nc doubles) as type t stores them. */
static void check_npy_values(const char *path, int t, const double *rows, size_t nr, size_t nc)
{
    size_t r, c;
    double *d;
    ck_assert_int_eq(bract_npy_read(path, &r, &c, &d), 0);
    ck_assert_uint_eq(r, nr);
    ck_assert_uint_eq(c, nc);
    for (size_t i = 0; i < nr * nc; i++) {
        double want = t == BRACT_NPY_F4   ? (double)(float)rows[i]
                      : t == BRACT_NPY_F2 ? bract_npy_half_to_double(bract_npy_half_from_double(rows[i]))
                                          : rows[i];
        if (d[i] != want)
            ck_abort_msg("type %d value %zu: %g, expected %g", t, i, d[i], want);
    }
    free(d);
}

START_TEST(npy_types_and_blocks)
{
    char *dir = tu_tmpdir(), *path = tu_join(dir, "w.npy");
    size_t nc = 100003, nr = 3;
    double *rows = malloc(nr * nc * sizeof *rows);
    for (size_t i = 0; i < nr * nc; i++)
        rows[i] = sin(0.001 * (double)i) * (1 + (double)(i % 7));
    for (int t = BRACT_NPY_F4; t <= BRACT_NPY_F8; t++) {
        bract_npy_writer *w;
        ck_assert_int_eq(bract_npy_open_dtype(path, 1, nr, nc, (bract_npy_dtype)t, &w), 0);
        ck_assert_int_eq(bract_npy_write_row(w, rows), 0);
        ck_assert_int_eq(bract_npy_write_rows(w, rows + nc, 2), 0);
        ck_assert_int_eq(bract_npy_commit(w), 0);
        char *text = tu_slurp(path);
        static const char *const descr[] = {"'<f4'", "'<f2'", "'<f8'"};
        ck_assert(strstr(text + 10, descr[t]));
        free(text);
        check_npy_values(path, t, rows, nr, nc);
    }
    bract_npy_writer *w;
    ck_assert_int_eq(bract_npy_open_dtype(path, 1, 1, 1, (bract_npy_dtype)7, &w), BRACT_EINVAL);
    ck_assert_error_has("unknown npy data type 7");
    tu_rmtree(dir);
    free(dir);
    free(path);
    free(rows);
}
END_TEST

/* Files of more than four blocks are written by the writer's thread from a
 * ring of blocks: the bytes are the same, in order, whatever the sizes of
 * the calls (the ring fills and waits: 32 MB through 16 MB of blocks); an
 * abort midway and a write that fails (a file-size limit: EFBIG) leave
 * nothing behind and say why. */
START_TEST(npy_writer_thread)
{
    char *dir = tu_tmpdir(), *path = tu_join(dir, "w.npy");
    size_t nc = 100003, nr = 40;
    double *rows = malloc(nr * nc * sizeof *rows);
    for (size_t i = 0; i < nr * nc; i++)
        rows[i] = cos(0.0007 * (double)i) * (1 + (double)(i % 11));
    static const size_t calls[] = {1, 3, 7, 2, 11};
    for (int t = BRACT_NPY_F4; t <= BRACT_NPY_F8; t++) {
        bract_npy_writer *w;
        ck_assert_int_eq(bract_npy_open_dtype(path, 1, nr, nc, (bract_npy_dtype)t, &w), 0);
        for (size_t k = 0, i = 0; k < nr; i++) {
            size_t m = calls[i % 5] < nr - k ? calls[i % 5] : nr - k;
            ck_assert_int_eq(bract_npy_write_rows(w, rows + k * nc, m), 0);
            k += m;
        }
        ck_assert_int_eq(bract_npy_commit(w), 0);
        check_npy_values(path, t, rows, nr, nc);
    }
    /* an abort with blocks queued: nothing in place, no temporary left */
    char *p2 = tu_join(dir, "aborted.npy");
    bract_npy_writer *w;
    ck_assert_int_eq(bract_npy_open_dtype(p2, 0, nr, nc, BRACT_NPY_F8, &w), 0);
    ck_assert_int_eq(bract_npy_write_rows(w, rows, 25), 0);
    bract_npy_abort(w);
    ck_assert(!tu_exists(p2));
    ck_assert_int_eq(tu_count_entries(dir), 1);
    /* a write that fails on the thread: reported by the next call or the
     * commit, with its reason; nothing in place */
    struct rlimit old, lim;
    ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = 4 << 20;
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
    ck_assert_int_eq(bract_npy_open_dtype(p2, 0, nr, nc, BRACT_NPY_F8, &w), 0);
    int rc = BRACT_OK;
    for (size_t k = 0; k < nr && !rc; k++)
        rc = bract_npy_write_rows(w, rows + k * nc, 1);
    if (!rc)
        rc = bract_npy_commit(w);
    else
        bract_npy_abort(w);
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, prev);
    ck_assert_int_eq(rc, BRACT_EIO);
    ck_assert_error_has("aborted.npy: write failed: File too large");
    ck_assert(!tu_exists(p2));
    ck_assert_int_eq(tu_count_entries(dir), 1);
    tu_rmtree(dir);
    free(dir);
    free(path);
    free(p2);
    free(rows);
}
END_TEST

START_TEST(option_names)
{
    bract_dfc_window w = BRACT_WINDOW_RECT;
    for (int i = 0; i <= BRACT_WINDOW_GIFT; i++) {
        ck_assert_int_eq(bract_dfc_window_parse(bract_dfc_window_name((bract_dfc_window)i), &w),
                         BRACT_OK);
        ck_assert_int_eq(w, i);
    }
    ck_assert_int_eq(bract_dfc_window_parse("hann", &w), BRACT_EINVAL);
    ck_assert_int_eq(w, BRACT_WINDOW_GIFT);
    ck_assert_error_has("unknown taper 'hann' (expected one of rect, gaussian, gift)");
    ck_assert_str_eq(bract_dfc_window_name((bract_dfc_window)3), "unknown");
    bract_dfc_estimator e = BRACT_FC_PEARSON;
    for (int i = 0; i <= BRACT_FC_GLASSO_PARTIAL; i++) {
        ck_assert_int_eq(bract_dfc_estimator_parse(bract_dfc_estimator_name((bract_dfc_estimator)i),
                                                  &e),
                         BRACT_OK);
        ck_assert_int_eq(e, i);
    }
    ck_assert_str_eq(bract_dfc_estimator_name(BRACT_FC_LEDOIT_WOLF), "ledoit-wolf");
    ck_assert_int_eq(bract_dfc_estimator_parse("spearman", &e), BRACT_EINVAL);
    ck_assert_error_has("unknown connectivity estimator 'spearman' (expected one of pearson, "
                        "ledoit-wolf, glasso, glasso-partial)");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("dfc");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, reference_rectangular);
    tcase_add_test(tc, reference_tapered);
    tcase_add_test(tc, ledoit_wolf_matches_sklearn);
    tcase_add_test(tc, glasso_matches_sklearn);
    tcase_add_test(tc, incremental_equals_direct);
    tcase_add_test(tc, thread_count_invariance);
    tcase_add_test(tc, teneto_three_nodes);
    tcase_add_test(tc, gift_three_nodes);
    tcase_add_test(tc, fisher_is_atanh);
    tcase_add_test(tc, bad_parameters);
    tcase_add_test(tc, bad_data);
    tcase_add_test(tc, glasso_kkt);
    tcase_add_test(tc, stats_match_two_pass);
    tcase_add_test(tc, npy_round_trip);
    tcase_add_test(tc, stats_block_equals_one_by_one);
    tcase_add_test(tc, half_precision);
    tcase_add_test(tc, npy_types_and_blocks);
    tcase_add_test(tc, npy_writer_thread);
    tcase_add_test(tc, option_names);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    bract_init();
    return tu_run(suite());
}
