/* Unit tests of bract/stats.h against scipy 1.10.1 and statsmodels 0.13.5
 * values (computed on Debian 12 for the inputs below; tolerance stated per
 * check). */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const double X[] = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5};
static const double Y[] = {2, 7, 1, 8, 2, 8, 1, 8, 2, 8, 4.5};

START_TEST(ranks_average_ties)
{
    /* scipy.stats.rankdata(X) */
    const double want[] = {4.5, 1.5, 6.0, 1.5, 8.0, 11.0, 3.0, 10.0, 8.0, 4.5, 8.0};
    double r[11];
    size_t w[22];
    bract_stats_rank(X, 11, r, w);
    for (int i = 0; i < 11; i++)
        ck_assert_double_eq(r[i], want[i]);
    size_t idx[11];
    bract_stats_argsort(X, 11, idx, w);
    for (int i = 1; i < 11; i++) {
        ck_assert(X[idx[i - 1]] <= X[idx[i]]);
        if (X[idx[i - 1]] == X[idx[i]])
            ck_assert(idx[i - 1] < idx[i]); /* stable */
    }
}
END_TEST

START_TEST(correlations)
{
    double rw[22];
    size_t iw[22];
    /* scipy.stats.pearsonr / spearmanr, 1e-14 */
    ck_assert_double_eq_tol(bract_stats_pearson(X, Y, 11), 0.10117012093472265, 1e-14);
    ck_assert_double_eq_tol(bract_stats_spearman(X, Y, 11, rw, iw), 0.1384567651467695, 1e-14);
    double c[] = {1, 1, 1};
    ck_assert(isnan(bract_stats_pearson(c, Y, 3)));
    ck_assert_double_eq(bract_stats_fisher_z(0), 0);
    ck_assert_double_eq_tol(bract_stats_fisher_z(0.5), 0.5493061443340549, 1e-15);
    ck_assert(isinf(bract_stats_fisher_z(1)));
    ck_assert(isnan(bract_stats_fisher_z(1.5)));
}
END_TEST

START_TEST(distributions)
{
    /* scipy.stats.t.sf / cdf and norm.sf, relative 1e-10 */
    ck_assert_double_eq_tol(bract_stats_t_sf(2.228, 10), 0.025005885908555667, 1e-12);
    ck_assert_double_eq_tol(bract_stats_t_sf(-1.5, 3), 0.8847080673775886, 1e-12);
    ck_assert_double_eq_tol(bract_stats_t_sf(8.0, 25) / 1.1748753078594292e-08, 1, 1e-10);
    ck_assert_double_eq_tol(bract_stats_t_cdf(-3.1, 7) / 0.008661144712748758, 1, 1e-10);
    ck_assert_double_eq_tol(bract_stats_norm_sf(1.96), 0.024997895148220435, 1e-15);
    ck_assert_double_eq_tol(bract_stats_norm_sf(-0.5), 0.6914624612740131, 1e-15);
    ck_assert_double_eq_tol(bract_stats_norm_sf(9.0) / 1.1285884059538324e-19, 1, 1e-12);
    ck_assert(isnan(bract_stats_t_sf(1, 0)));
}
END_TEST

START_TEST(one_sample_t)
{
    const double v[] = {0.1, 0.25, -0.05, 0.3, 0.12};
    double t, p;
    /* scipy.stats.ttest_1samp(v, 0) and alternative='greater' */
    ck_assert_int_eq(bract_stats_ttest_1samp(v, 5, 0, BRACT_ALT_TWO_SIDED, &t, &p), 0);
    ck_assert_double_eq_tol(t, 2.3403035277969177, 1e-13);
    ck_assert_double_eq_tol(p, 0.07935200559751948, 1e-12);
    ck_assert_int_eq(bract_stats_ttest_1samp(v, 5, 0, BRACT_ALT_GREATER, &t, &p), 0);
    ck_assert_double_eq_tol(p, 0.03967600279875974, 1e-12);
    ck_assert_int_eq(bract_stats_ttest_1samp(v, 5, 0, BRACT_ALT_LESS, &t, &p), 0);
    ck_assert_double_eq_tol(p, 1 - 0.03967600279875974, 1e-12);
    const double same[] = {2, 2, 2};
    ck_assert_int_eq(bract_stats_ttest_1samp(same, 3, 0, BRACT_ALT_TWO_SIDED, &t, &p), BRACT_EDATA);
    ck_assert_error_has("3 identical values");
    ck_assert_int_eq(bract_stats_ttest_1samp(v, 1, 0, BRACT_ALT_TWO_SIDED, &t, &p), BRACT_EDATA);
}
END_TEST

START_TEST(fdr)
{
    const double p[] = {0.01, 0.04, 0.03, 0.2, 0.0005, 0.04, 0.9, NAN};
    /* statsmodels multipletests(p[:7], method='fdr_bh') */
    const double want[] = {0.035, 0.056, 0.056, 0.23333333333333336, 0.0035, 0.056, 0.9};
    double q[8];
    size_t w[16];
    bract_stats_fdr_bh(p, 8, q, w);
    for (int i = 0; i < 7; i++)
        ck_assert_double_eq_tol(q[i], want[i], 1e-15);
    ck_assert(isnan(q[7]));
}
END_TEST

START_TEST(signed_rank)
{
    /* scipy 1.10.1 stats.wilcoxon defaults; 1e-14 */
    static const double a[] = {0.1, 0.25, -0.05, 0.3, 0.12};
    static const double b[] = {0.1, 0.25, -0.05, 0.3, 0.12, -0.2, 0.4, 0.05};
    static const double c[] = {1, 2, -2, 3, 3, -1, 4, 2, 5};          /* ties: exact, R+ truncated */
    static const double d[] = {0.5, 0, 1.5, -0.3, 2, 0.7, 0.9, 1.1, -0.1, 0.4, 0.6, 1.2}; /* a zero: normal */
    static const double e[60] = {2.1,  0.7,  1.3,  2.5,  2.2,  -0.7, 1.3,  0.1,  0.2, 0.7,
                                 0.4,  1.8,  1.1,  0.4,  0.7,  0.6,  1.8,  0.1,  0.6, -0.6,
                                 -2.3, 1.0,  1.2,  -0.4, 2.6,  -1.2, 0.3,  0.1,  1.8, 1.8,
                                 0.5,  0.7,  -0.6, -1.7, -0.0, 0.5,  1.5,  1.5,  -0.1, -0.0,
                                 -0.7, -1.1, -1.4, 2.3,  -0.2, -0.1, -1.0, 1.1,  -1.3, 0.1,
                                 -0.6, 0.7,  -0.2, -0.9, 0.3,  0.7,  0.4,  0.6,  -0.3, -0.1};
    static const struct {
        const double *x;
        size_t n;
        bract_stats_alternative alt;
        double stat, p;
    } cases[] = {{a, 5, BRACT_ALT_TWO_SIDED, 1.0, 0.125},
                 {a, 5, BRACT_ALT_GREATER, 14.0, 0.0625},
                 {b, 8, BRACT_ALT_LESS, 29.5, 0.9453125},
                 {c, 9, BRACT_ALT_TWO_SIDED, 5.5, 0.0546875},
                 {c, 9, BRACT_ALT_GREATER, 39.5, 0.02734375},
                 {d, 12, BRACT_ALT_TWO_SIDED, 3.0, 0.007645761692991623},
                 {d, 12, BRACT_ALT_GREATER, 63.0, 0.0038228808464958117},
                 {e, 60, BRACT_ALT_TWO_SIDED, 523.5, 0.010095465089040282},
                 {e, 60, BRACT_ALT_GREATER, 1187.5, 0.005047732544520141},
                 {e, 60, BRACT_ALT_LESS, 1187.5, 0.9949522674554798}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double st, p;
        ck_assert_int_eq(bract_stats_wilcoxon(cases[i].x, cases[i].n, cases[i].alt, &st, &p), 0);
        ck_assert_double_eq(st, cases[i].stat);
        ck_assert_msg(fabs(p - cases[i].p) <= 1e-14, "case %zu: p %.17g, expected %.17g", i, p,
                      cases[i].p);
    }
    static const double z[] = {0, 0, 0};
    double st, p;
    ck_assert_int_eq(bract_stats_wilcoxon(z, 3, BRACT_ALT_TWO_SIDED, &st, &p), BRACT_EDATA);
    ck_assert_error_has("3 zeros");
}
END_TEST

START_TEST(quantiles)
{
    /* scipy.stats.t.ppf, 1e-10; numpy.quantile (linear) */
    ck_assert_double_eq_tol(bract_stats_t_ppf(0.975, 3), 3.182446305284263, 1e-10);
    ck_assert_double_eq_tol(bract_stats_t_ppf(0.025, 9), -2.262157162740992, 1e-10);
    ck_assert_double_eq_tol(bract_stats_t_ppf(0.995, 19), 2.860934606449914, 1e-10);
    ck_assert_double_eq_tol(bract_stats_t_ppf(1e-6, 4), -41.577854150453575, 1e-7);
    const double s[] = {1, 2, 4, 8, 16};
    ck_assert_double_eq(bract_stats_quantile(s, 5, 0), 1);
    ck_assert_double_eq(bract_stats_quantile(s, 5, 1), 16);
    ck_assert_double_eq(bract_stats_quantile(s, 5, 0.5), 4);
    ck_assert_double_eq_tol(bract_stats_quantile(s, 5, 0.025), 1.1, 1e-15);
    ck_assert_double_eq_tol(bract_stats_quantile(s, 5, 0.9), 12.8, 1e-14);
}
END_TEST

/* ---- inverse t tail (added for group maps) ---- */

START_TEST(t_inverse_tail)
{
    /* The root of scipy.stats.t.sf(t, df) = q by scipy.optimize.brentq
     * (xtol 1e-16, rtol 8.9e-16; scipy 1.10.1, Debian 12): relative 1e-12.
     * scipy's own t.isf is accurate only to about 1e-8 here (its t.sf of
     * t.isf(0.0123, 7) = 2.8525066256810536 is 0.012299999892). */
    const double q[] = {0.001, 0.05, 1e-6, 0.7, 0.0005, 0.0123};
    const double df[] = {11, 19, 9, 4, 29, 7};
    const double want[] = {4.024701037630738,   1.7291328115213696, 10.7201604099095,
                           -0.5686490630497051, 3.6594050194663326, 2.8525066195644437};
    for (int i = 0; i < 6; i++) {
        double t = bract_stats_t_isf(q[i], df[i]);
        ck_assert_double_eq_tol(t / want[i], 1, 1e-12);
        /* round trip through the upper tail, relative 1e-13 */
        ck_assert_double_eq_tol(bract_stats_t_sf(t, df[i]) / q[i], 1, 1e-13);
    }
    ck_assert_double_eq_tol(bract_stats_t_isf(0.5, 3), 0, 1e-15);
    ck_assert(isnan(bract_stats_t_isf(0, 3)));
    ck_assert(isnan(bract_stats_t_isf(1, 3)));
    ck_assert(isnan(bract_stats_t_isf(0.1, 0)));
}
END_TEST

START_TEST(ranks_fast)
{
    /* bract_stats_rank_fast: analytic ranks on the radix path, and the very same
     * ranks as bract_stats_rank on inputs that take each of its paths */
    enum { N = 2000 };
    double *x = malloc(N * sizeof *x), *r1 = malloc(N * sizeof *r1), *r2 = malloc(N * sizeof *r2);
    size_t *w = malloc(2 * N * sizeof *w);
    ck_assert(x && r1 && r2 && w);
    /* distinct values: a permutation of 0..N-1 ranks as value + 1 */
    for (size_t i = 0; i < N; i++)
        x[i] = (double)((i * 37) % N);
    bract_stats_rank_fast(x, N, r1, w);
    for (size_t i = 0; i < N; i++)
        ck_assert_double_eq(r1[i], x[i] + 1);
    /* three tied values of 500, 700 and 800 copies: mean positions */
    for (size_t i = 0; i < N; i++)
        x[i] = i % 4 == 0 ? -2.5 : i % 4 == 1 ? 7 : (i % 8 < 4 ? 7 : 1e300);
    bract_stats_rank_fast(x, N, r1, w);
    size_t n0 = 0, n1 = 0;
    for (size_t i = 0; i < N; i++)
        n0 += x[i] == -2.5, n1 += x[i] == 7;
    for (size_t i = 0; i < N; i++) {
        double want = x[i] == -2.5  ? (1 + (double)n0) / 2
                      : x[i] == 7 ? (double)n0 + (1 + (double)n1) / 2
                                  : (double)(n0 + n1) + (1 + (double)(N - n0 - n1)) / 2;
        ck_assert_double_eq(r1[i], want);
    }
    /* the same ranks as bract_stats_rank: continuous values of both signs with
     * -0, 0 and infinities; values equal in their top bits (the insertion
     * sort, and its fallback); a NaN (the fallback); short inputs */
    uint64_t st = 12345;
    for (int kind = 0; kind < 5; kind++) {
        size_t n = kind == 4 ? 40 : N;
        for (size_t i = 0; i < n; i++) {
            st = st * 6364136223846793005ULL + 1442695040888963407ULL;
            double u = (double)(st >> 11) / 9007199254740992.0;
            x[i] = kind == 0 ? (u - 0.5) * 10 : kind == 1 ? 1 + u * 1e-9 : kind == 2 ? 1 + (double)(i % 50) * 1e-12 : u;
        }
        if (kind == 0) {
            x[3] = -0.0, x[4] = 0.0, x[5] = -0.0, x[6] = INFINITY, x[7] = -INFINITY;
            x[8] = x[9] = 1.25;
        }
        if (kind == 3)
            x[17] = NAN;
        bract_stats_rank(x, n, r1, w);
        bract_stats_rank_fast(x, n, r2, w);
        for (size_t i = 0; i < n; i++)
            ck_assert_msg(r1[i] == r2[i] || (isnan(r1[i]) && isnan(r2[i])),
                          "kind %d, value %zu: %g vs %g", kind, i, r1[i], r2[i]);
    }
    free(x);
    free(r1);
    free(r2);
    free(w);
}
END_TEST

START_TEST(alternative_names)
{
    const bract_stats_alternative all[] = {BRACT_ALT_TWO_SIDED, BRACT_ALT_GREATER, BRACT_ALT_LESS};
    for (int i = 0; i < 3; i++) {
        bract_stats_alternative a = (bract_stats_alternative)-1;
        ck_assert_int_eq(bract_stats_alternative_parse(bract_stats_alternative_name(all[i]), &a), 0);
        ck_assert_int_eq(a, all[i]);
    }
    ck_assert_str_eq(bract_stats_alternative_name(BRACT_ALT_TWO_SIDED), "two-sided");
    bract_stats_alternative a = BRACT_ALT_GREATER;
    ck_assert_int_eq(bract_stats_alternative_parse("two_sided", &a), 0);
    ck_assert_int_eq(a, BRACT_ALT_TWO_SIDED);
    ck_assert_int_eq(bract_stats_alternative_parse("sideways", &a), BRACT_EINVAL);
    ck_assert_int_eq(a, BRACT_ALT_TWO_SIDED);
    ck_assert_str_eq(bract_last_error(),
                     "unknown alternative 'sideways' (expected one of greater, less, two-sided)");
    ck_assert_str_eq(bract_stats_alternative_name((bract_stats_alternative)7), "unknown");
}
END_TEST

/* p styles: -log10 p and 1 - p value by value, NaN kept, p = 0 finite;
 * names and aliases. */
START_TEST(p_styles)
{
    const double p[] = {1, 0.05, 1e-4, 0, NAN, 0.5};
    double o[6];
    bract_stats_p_style_apply(BRACT_P_STYLE_MINUS_LOG10, p, 6, o);
    ck_assert_double_eq(o[0], 0);
    ck_assert_double_eq_tol(o[1], 1.3010299956639813, 1e-15);
    ck_assert_double_eq_tol(o[2], 4, 1e-14);
    ck_assert_double_eq_tol(o[3], 307.652655568589, 1e-9);
    ck_assert(isnan(o[4]));
    bract_stats_p_style_apply(BRACT_P_STYLE_ONE_MINUS, p, 6, o);
    ck_assert_double_eq(o[1], 0.95);
    ck_assert_double_eq(o[3], 1);
    ck_assert(isnan(o[4]));
    double q[6];
    memcpy(q, p, sizeof q);
    bract_stats_p_style_apply(BRACT_P_STYLE_P, q, 6, q); /* in place */
    ck_assert_double_eq(q[2], 1e-4);
    bract_stats_p_style s;
    const char *names[] = {"p", "minus-log10", "log10", "logp", "-log10", "one-minus", "1-p"};
    const bract_stats_p_style want[] = {BRACT_P_STYLE_P, BRACT_P_STYLE_MINUS_LOG10,
                                        BRACT_P_STYLE_MINUS_LOG10, BRACT_P_STYLE_MINUS_LOG10,
                                        BRACT_P_STYLE_MINUS_LOG10, BRACT_P_STYLE_ONE_MINUS,
                                        BRACT_P_STYLE_ONE_MINUS};
    for (int k = 0; k < 7; k++) {
        ck_assert_int_eq(bract_stats_p_style_parse(names[k], &s), 0);
        ck_assert_int_eq(s, want[k]);
    }
    ck_assert_str_eq(bract_stats_p_style_name(BRACT_P_STYLE_ONE_MINUS), "one-minus");
    ck_assert_int_eq(bract_stats_p_style_parse("ln", &s), BRACT_EINVAL);
    ck_assert(strstr(bract_last_error(), "expected one of p, minus-log10, one-minus"));
}
END_TEST

static Suite *stats_suite(void)
{
    Suite *s = suite_create("stats");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, ranks_average_ties);
    tcase_add_test(tc, alternative_names);
    tcase_add_test(tc, p_styles);
    tcase_add_test(tc, correlations);
    tcase_add_test(tc, distributions);
    tcase_add_test(tc, one_sample_t);
    tcase_add_test(tc, fdr);
    tcase_add_test(tc, signed_rank);
    tcase_add_test(tc, quantiles);
    tcase_add_test(tc, t_inverse_tail);
    tcase_add_test(tc, ranks_fast);
    tcase_add_test(tc, alternative_names);
    tcase_add_test(tc, p_styles);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(stats_suite()); }
