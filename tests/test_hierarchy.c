/* Unit tests of bract/hierarchy.h: ICC, permutation and spatial nulls,
 * bootstrap interval, and the planted-gradient recovery of issue 6. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

START_TEST(icc_shrout_fleiss)
{
    /* Shrout & Fleiss (1979) Table 2: 6 targets x 4 judges; ICC(3,1) = 0.71,
     * ICC(3,4) = 0.91 in the paper; numpy ANOVA gives the full values
     * 0.7148407148407154 and 0.9093155423770697 (1e-12) */
    static const double x[24] = {9, 2, 5, 8, 6, 1, 3, 2, 8, 4, 6, 8,
                                 7, 1, 2, 6, 10, 5, 6, 9, 6, 2, 4, 7};
    double i1, ik;
    ck_assert_int_eq(bract_hierarchy_icc(x, 6, 4, &i1, &ik), 0);
    ck_assert_double_eq_tol(i1, 0.7148407148407154, 1e-12);
    ck_assert_double_eq_tol(ik, 0.9093155423770697, 1e-12);
    ck_assert_int_eq(bract_hierarchy_icc(x, 6, 1, &i1, &ik), BRACT_EDATA);
    ck_assert_error_has("at least 2 regions and 2 subjects");
}
END_TEST

/* The exact two-sided permutation p-value of Spearman's rho by enumerating
 * all n! orders of the index ranks (Heap's algorithm). */
static double exact_perm_p(const double *a, const double *b, size_t n)
{
    double ra[8], rb[8], rp[8];
    size_t w[16], c[8] = {0}, perm[8];
    bract_stats_rank(a, n, ra, w);
    bract_stats_rank(b, n, rb, w);
    double rho = bract_stats_pearson(ra, rb, n);
    for (size_t i = 0; i < n; i++)
        perm[i] = i;
    size_t hit = 0, total = 0;
    for (size_t i = 0;;) {
        for (size_t j = 0; j < n; j++)
            rp[j] = rb[perm[j]];
        total++;
        if (fabs(bract_stats_pearson(ra, rp, n)) >= fabs(rho) - 1e-12)
            hit++;
        while (i < n && c[i] >= i) {
            c[i] = 0;
            i++;
        }
        if (i >= n)
            break;
        size_t k = i % 2 ? c[i] : 0, t = perm[k];
        perm[k] = perm[i];
        perm[i] = t;
        c[i]++;
        i = 1;
    }
    return (double)hit / (double)total;
}

START_TEST(permutation_p_matches_exact)
{
    /* 6 regions: the Monte-Carlo p from 20,000 permutations is within 4
     * binomial SDs of the exact p over all 720 orders */
    static const double tau[6] = {3.1, 4.7, 2.2, 8.9, 6.0, 7.5};
    static const double idx[6] = {1, 3, 2, 5, 6, 4};
    double exact = exact_perm_p(tau, idx, 6);
    bract_hier_test h;
    ck_assert_int_eq(bract_hierarchy_test(tau, idx, 6, 20000, NULL, 5, &h), 0);
    ck_assert_double_eq_tol(h.rho, 0.7714285714285715, 1e-12); /* scipy.stats.spearmanr */
    double sd = sqrt(exact * (1 - exact) / 20000);
    ck_assert_msg(fabs(h.p_perm - exact) <= 4 * sd + 1.0 / 20001, "p %g, exact %g", h.p_perm,
                  exact);
    ck_assert(isnan(h.p_spatial));
    /* a perfect order of 4 regions: exact p = 2/24 */
    static const double a4[4] = {1, 2, 3, 4};
    ck_assert_int_eq(bract_hierarchy_test(a4, a4, 4, 20000, NULL, 5, &h), 0);
    ck_assert_double_eq_tol(h.rho, 1.0, 1e-15);
    sd = sqrt((1.0 / 12) * (11.0 / 12) / 20000);
    ck_assert_double_eq_tol(h.p_perm, 1.0 / 12, 4 * sd);
    /* errors */
    double bad[4] = {1, NAN, 3, 4};
    ck_assert_int_eq(bract_hierarchy_test(bad, a4, 4, 10, NULL, 5, &h), BRACT_EDATA);
    ck_assert_error_has("region 2 has a non-finite timescale");
    double flat[4] = {2, 2, 2, 2};
    ck_assert_int_eq(bract_hierarchy_test(flat, a4, 4, 10, NULL, 5, &h), BRACT_EDATA);
    ck_assert_error_has("constant");
}
END_TEST

START_TEST(moran_surrogates_keep_autocorrelation)
{
    /* three points on a line, y = (0, 1, 2): W = [[0 1 .5] [1 0 1] [.5 1 0]],
     * sum W = 5, y~'Wy~ = -1, y~'y~ = 2: I = 3/5 * -1/2 = -0.3 */
    double xyz3[9] = {0, 0, 0, 1, 0, 0, 2, 0, 0}, y3[3] = {0, 1, 2};
    bract_hierarchy_msr *m;
    ck_assert_int_eq(bract_hierarchy_msr_new(xyz3, 3, &m), 0);
    ck_assert_double_eq_tol(bract_hierarchy_moran_i(m, y3), -0.3, 1e-14);
    ck_assert_uint_eq(bract_hierarchy_msr_ncomponents(m), 2);
    bract_hierarchy_msr_free(m);
    /* 15 regions scattered in 3-D; every surrogate keeps the mean, the sum
     * of squares and Moran's I of y (1e-10) */
    enum { N = 15 };
    double xyz[3 * N], y[N], s[N];
    bract_rng r;
    bract_rng_init(&r, 9, 0, 0);
    for (int i = 0; i < 3 * N; i++)
        xyz[i] = 50 * bract_rng_uniform(&r);
    for (int i = 0; i < N; i++)
        y[i] = xyz[3 * i] / 10 + bract_rng_normal(&r);
    ck_assert_int_eq(bract_hierarchy_msr_new(xyz, N, &m), 0);
    ck_assert_uint_eq(bract_hierarchy_msr_ncomponents(m), N - 1);
    double my = 0, ss = 0, mi = bract_hierarchy_moran_i(m, y);
    for (int i = 0; i < N; i++)
        my += y[i] / N;
    for (int i = 0; i < N; i++)
        ss += (y[i] - my) * (y[i] - my);
    int differs = 0;
    for (int k = 0; k < 20; k++) {
        bract_rng_init(&r, 9, (uint64_t)k + 1, 0);
        ck_assert_int_eq(bract_hierarchy_msr_surrogate(m, y, &r, s), 0);
        double ms = 0, sss = 0;
        for (int i = 0; i < N; i++)
            ms += s[i] / N;
        for (int i = 0; i < N; i++)
            sss += (s[i] - ms) * (s[i] - ms);
        ck_assert_double_eq_tol(ms, my, 1e-10);
        ck_assert_double_eq_tol(sss, ss, 1e-10 * ss);
        ck_assert_double_eq_tol(bract_hierarchy_moran_i(m, s), mi, 1e-10);
        differs |= fabs(s[0] - y[0]) > 1e-6;
    }
    ck_assert(differs);
    bract_hierarchy_msr_free(m);
    /* coincident centres */
    double dup[9] = {0, 0, 0, 1, 1, 1, 0, 0, 0};
    ck_assert_int_eq(bract_hierarchy_msr_new(dup, 3, &m), BRACT_EDATA);
    ck_assert_error_has("regions 1 and 3 have the same coordinates");
}
END_TEST

/* A smooth random map on regions at positions xyz: Gaussian-kernel
 * (width `w` mm) average of independent normals. */
static void smooth_map(const double *xyz, size_t n, double w, bract_rng *r, double *out)
{
    double z[64];
    for (size_t j = 0; j < n; j++)
        z[j] = bract_rng_normal(r);
    for (size_t i = 0; i < n; i++) {
        double s = 0;
        for (size_t j = 0; j < n; j++) {
            double d = xyz[3 * i] - xyz[3 * j];
            s += exp(-d * d / (2 * w * w)) * z[j];
        }
        out[i] = s;
    }
}

START_TEST(spatial_null_controls_false_positives)
{
    /* 20 regions 6 mm apart on a line; tau and the index are independent
     * smooth random maps (kernel width 15 mm), so there is no relation to
     * find.  Over 200 such pairs at alpha = 0.05, the permutation test,
     * which treats regions as exchangeable, rejects far too often (more
     * than 15 %); the Moran spectral null keeps the rate near 5 % (below
     * 10 %: 3.2 binomial SDs above 5 % for 200 tests). */
    enum { N = 20, SIMS = 200, NPERM = 400 };
    double xyz[3 * N], tau[N], idx[N];
    for (int i = 0; i < N; i++) {
        xyz[3 * i] = 6.0 * i;
        xyz[3 * i + 1] = xyz[3 * i + 2] = 0;
    }
    bract_hierarchy_msr *m;
    ck_assert_int_eq(bract_hierarchy_msr_new(xyz, N, &m), 0);
    bract_set_threads(1);
    int rej_perm = 0, rej_spatial = 0;
    for (int k = 0; k < SIMS; k++) {
        bract_rng r;
        bract_rng_init(&r, 4, (uint64_t)k, 0);
        smooth_map(xyz, N, 15.0, &r, tau);
        smooth_map(xyz, N, 15.0, &r, idx);
        bract_hier_test h;
        ck_assert_int_eq(bract_hierarchy_test(tau, idx, N, NPERM, m, (uint64_t)k, &h), 0);
        rej_perm += h.p_perm <= 0.05;
        rej_spatial += h.p_spatial <= 0.05;
    }
    ck_assert_msg(rej_perm > SIMS * 15 / 100, "permutation rejections %d / %d", rej_perm, SIMS);
    ck_assert_msg(rej_spatial < SIMS * 10 / 100, "spatial rejections %d / %d", rej_spatial,
                  SIMS);
    /* identical for any number of threads */
    bract_rng r;
    bract_rng_init(&r, 4, 0, 0);
    smooth_map(xyz, N, 15.0, &r, tau);
    smooth_map(xyz, N, 15.0, &r, idx);
    bract_hier_test h1, h2;
    ck_assert_int_eq(bract_hierarchy_test(tau, idx, N, 3000, m, 3, &h1), 0);
    bract_set_threads(3);
    ck_assert_int_eq(bract_hierarchy_test(tau, idx, N, 3000, m, 3, &h2), 0);
    ck_assert(h1.p_perm == h2.p_perm && h1.p_spatial == h2.p_spatial);
    bract_hierarchy_msr_free(m);
}
END_TEST

START_TEST(bootstrap_interval)
{
    /* identical subjects: every resample has the same group mean, so the
     * interval collapses onto the correlation (analytic) */
    enum { S = 5, R = 8 };
    double tau[S * R], idx[R];
    for (int g = 0; g < R; g++) {
        idx[g] = g;
        for (int s = 0; s < S; s++)
            tau[s * R + g] = g == 3 ? 10.0 : g + 1.0; /* rho = 0.7619047619047621 (scipy) */
    }
    double lo, hi;
    size_t nv;
    ck_assert_int_eq(bract_hierarchy_bootstrap(tau, S, R, idx, 200, 0.95, 1, &lo, &hi, &nv), 0);
    ck_assert_uint_eq(nv, 200);
    ck_assert_double_eq_tol(lo, 0.7619047619047621, 1e-12);
    ck_assert_double_eq_tol(hi, 0.7619047619047621, 1e-12);
    /* noisy subjects: the interval is proper and contains the group value */
    bract_rng r;
    bract_rng_init(&r, 2, 0, 0);
    for (int s = 0; s < S; s++)
        for (int g = 0; g < R; g++)
            tau[s * R + g] = g + 3 * bract_rng_normal(&r);
    tau[2 * R + 5] = NAN; /* a region missing in one subject */
    ck_assert_int_eq(bract_hierarchy_bootstrap(tau, S, R, idx, 500, 0.9, 1, &lo, &hi, &nv), 0);
    double gm[R], rw[2 * R];
    size_t iw[2 * R];
    for (int g = 0; g < R; g++) {
        double s = 0;
        int c = 0;
        for (int k = 0; k < S; k++)
            if (isfinite(tau[k * R + g])) {
                s += tau[k * R + g];
                c++;
            }
        gm[g] = s / c;
    }
    double rho = bract_stats_spearman(gm, idx, R, rw, iw);
    ck_assert_msg(lo < rho && rho < hi && lo < hi, "[%g, %g] vs %g", lo, hi, rho);
    ck_assert_int_eq(bract_hierarchy_bootstrap(tau, 1, R, idx, 10, 0.9, 1, &lo, &hi, &nv),
                     BRACT_EDATA);
}
END_TEST

START_TEST(planted_gradient_recovered)
{
    /* Issue 6: 20 regions whose signals are OU processes with timescales on
     * a geometric gradient from 2 to 20 s, sampled at TR 2 s for 1200
     * volumes, plus white noise of half the signal SD.  The exp estimates
     * order the regions with Spearman rho >= 0.9 against the truth. */
    enum { R = 20, T = 1200 };
    double *x = malloc(sizeof(double) * R * T), truth[R], est[R], noise[T];
    for (int g = 0; g < R; g++) {
        truth[g] = 2.0 * pow(10.0, g / (R - 1.0));
        bract_rng r;
        bract_rng_init(&r, 42, (uint64_t)g, 0);
        bract_timescale_ar1_simulate(exp(-2.0 / truth[g]), T, &r, x + (size_t)g * T);
        for (int t = 0; t < T; t++)
            noise[t] = bract_rng_normal(&r);
        for (int t = 0; t < T; t++)
            x[(size_t)g * T + t] += 0.5 * noise[t];
    }
    bract_timescale_opts o;
    bract_timescale_opts_defaults(&o);
    o.tr = 2.0;
    bract_timescale_plan *p;
    bract_timescale_ws *w;
    ck_assert_int_eq(bract_timescale_plan_new(T, &o, &p), 0);
    ck_assert_int_eq(bract_timescale_ws_new(p, &w), 0);
    for (int g = 0; g < R; g++) {
        bract_timescale_result res;
        bract_timescale_estimate(p, w, x + (size_t)g * T, (uint64_t)g, &res, NULL);
        ck_assert_msg(isfinite(res.tau_s), "region %d flags %u", g, res.flags);
        est[g] = res.tau_s;
    }
    bract_hier_test h;
    ck_assert_int_eq(bract_hierarchy_test(est, truth, R, 1000, NULL, 1, &h), 0);
    ck_assert_msg(h.rho >= 0.9, "rho %g", h.rho);
    ck_assert_double_le(h.p_perm, 2.0 / 1001);
    bract_timescale_ws_free(w);
    bract_timescale_plan_free(p);
    free(x);
}
END_TEST

/* The data of group_as_the_command_computed_it: 8 regions, 3 subjects;
 * region 6 measured by no subject, region 2 not by subject 2, region 5
 * without an index value. */
static const double G_INDEX[8] = {1.0, 0.8, 0.8, 1.0000000000000002, 1.4000000000000001, NAN,
                                  2.8000000000000007, 3.8000000000000003};
static const double G_XYZ[8][3] = {{10.0, 0.0, 0.0},
                                   {5.403023058681398, 8.414709848078965, 2.0},
                                   {-4.161468365471424, 9.092974268256818, 4.0},
                                   {-9.899924966004454, 1.4112000805986722, 6.0},
                                   {-6.536436208636119, -7.5680249530792825, 8.0},
                                   {2.8366218546322624, -9.589242746631385, 10.0},
                                   {9.60170286650366, -2.7941549819892586, 12.0},
                                   {7.539022543433046, 6.569865987187891, 14.0}};
static const double G_TAU[3][8] = {
    {2.0, 2.827008007253881, 3.1485260516209665, 4.47090663671758, 4.3170843737996085,
     6.085259056141405, NAN, 7.6529900746824495},
    {2.957323886327107, 2.218877754222865, NAN, 3.810381000199567, 5.378150333143977,
     5.440887015001441, NAN, 7.092033821638636},
    {3.2183676841431135, 2.2369681528031755, 4.690422421961044, 3.6000088141043665,
     6.091546620125383, 5.034742257308399, NAN, 6.538401636242346}};

/* bract_hierarchy_group_new equals what `bract timescale hierarchy --permutations 200
 * --bootstrap 100 --seed 4` wrote (regions.tsv, hierarchy.tsv, reliability.tsv)
 * for these files before the statistics moved into the library. */
START_TEST(group_as_the_command_computed_it)
{
    bract_hierarchy_opts o;
    bract_hierarchy_opts_defaults(&o);
    ck_assert_uint_eq(o.nperm, 10000);
    ck_assert_uint_eq(o.nboot, 2000);
    ck_assert_double_eq(o.level, 0.95);
    o.nperm = 200;
    o.nboot = 100;
    o.seed = 4;
    bract_hierarchy_group *g;
    ck_assert_int_eq(bract_hierarchy_group_new(&G_TAU[0][0], 3, 8, G_INDEX, &G_XYZ[0][0], &o,
                                               &g),
                     BRACT_OK);
    /* regions.tsv, in its row order */
    static const size_t order[8] = {1, 0, 2, 3, 4, 5, 7, 6};
    static const double mean[8] = {2.4276179714266406, 2.7252305234900738, 3.919474236791005,
                                   3.960432150340505,  5.262260442356323,  5.520296109483748,
                                   7.0944751775211445, NAN};
    static const double sd[8] = {0.3460001678738926, 0.6414869057477444, 1.0902853793543927,
                                 0.4544252029785241, 0.8928896437964544, 0.529741200372844,
                                 0.5572982298015989, NAN};
    static const size_t nm[8] = {3, 3, 2, 3, 3, 3, 3, 0};
    static const double rt[8] = {1, 2, 3, 4, 5, 6, 7, NAN};
    static const double ri[8] = {1.5, 3, 1.5, 4, 5, NAN, 6, NAN};
    for (int k = 0; k < 8; k++) {
        size_t r = g->order[k];
        ck_assert_uint_eq(r, order[k]);
        if (isnan(mean[k])) {
            ck_assert(isnan(g->mean[r]) && isnan(g->sd[r]) && isnan(g->rank_tau[r]));
        } else {
            ck_assert_double_eq(g->mean[r], mean[k]);
            ck_assert_double_eq(g->sd[r], sd[k]);
            ck_assert_double_eq(g->rank_tau[r], rt[k]);
        }
        ck_assert_uint_eq(g->nmeasured[r], nm[k]);
        if (isnan(ri[k]))
            ck_assert(isnan(g->rank_index[r]));
        else
            ck_assert_double_eq(g->rank_index[r], ri[k]);
    }
    ck_assert_uint_eq(g->unmeasured, 1);
    /* hierarchy.tsv */
    static const size_t n[4] = {6, 5, 6, 6};
    static const double rho[4] = {0.753702346348183, 1, 0.753702346348183, 0.898645105261295};
    static const double pp[4] = {0.11442786069651742, 0.009950248756218905, 0.11940298507462686,
                                 0.024875621890547265};
    static const double ps[4] = {0.39303482587064675, 0.19402985074626866, 0.2537313432835821,
                                 0.2537313432835821};
    ck_assert_uint_eq(g->ntests, 4);
    for (int t = 0; t < 4; t++) {
        ck_assert_uint_eq(g->tests[t].n, n[t]);
        ck_assert_double_eq(g->tests[t].rho, rho[t]);
        ck_assert_double_eq(g->tests[t].p_perm, pp[t]);
        ck_assert_double_eq(g->tests[t].p_spatial, ps[t]);
    }
    ck_assert_double_eq(g->ci_lo, 0.753702346348183);
    ck_assert_double_eq(g->ci_hi, 1);
    /* reliability.tsv */
    ck_assert_double_eq(g->icc1, 0.8794829189372042);
    ck_assert_double_eq(g->icck, 0.9563180234389398);
    ck_assert_uint_eq(g->icc_regions, 6);
    ck_assert_double_eq(g->pairwise_spearman, 0.8714285714285713);
    bract_hierarchy_group_free(g);
}
END_TEST

/* One subject: its test only, no interval or reliability; a subject with
 * fewer than 3 usable regions gets NaN and a warning, not an error. */
START_TEST(group_of_one_and_too_few_regions)
{
    bract_hierarchy_opts o;
    bract_hierarchy_opts_defaults(&o);
    o.nperm = 50;
    bract_hierarchy_group *g;
    const char *const *w;
    bract_take_warnings(&w);
    ck_assert_int_eq(bract_hierarchy_group_new(G_TAU[0], 1, 8, G_INDEX, NULL, &o, &g), BRACT_OK);
    ck_assert_uint_eq(g->ntests, 1);
    ck_assert_uint_eq(g->tests[0].n, 6);
    ck_assert(isnan(g->tests[0].p_spatial));
    ck_assert(isnan(g->ci_lo) && isnan(g->icc1) && isnan(g->pairwise_spearman));
    bract_hierarchy_group_free(g);
    double tau[8] = {1, 2, NAN, NAN, NAN, NAN, NAN, NAN};
    ck_assert_int_eq(bract_hierarchy_group_new(tau, 1, 8, G_INDEX, NULL, &o, &g), BRACT_OK);
    ck_assert_uint_eq(g->tests[0].n, 2);
    ck_assert(isnan(g->tests[0].rho));
    ck_assert_uint_eq(g->unmeasured, 6);
    ck_assert_uint_eq(bract_take_warnings(&w), 1);
    ck_assert(tu_contains(w[0], "only 2 regions have both a timescale and an index value"));
    bract_hierarchy_group_free(g);
    g = (bract_hierarchy_group *)1;
    ck_assert_int_eq(bract_hierarchy_group_new(tau, 0, 8, G_INDEX, NULL, &o, &g), BRACT_EINVAL);
    ck_assert_ptr_null(g);
}
END_TEST

static Suite *hierarchy_suite(void)
{
    Suite *s = suite_create("hierarchy");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, icc_shrout_fleiss);
    tcase_add_test(tc, permutation_p_matches_exact);
    tcase_add_test(tc, moran_surrogates_keep_autocorrelation);
    tcase_add_test(tc, spatial_null_controls_false_positives);
    tcase_add_test(tc, bootstrap_interval);
    tcase_add_test(tc, planted_gradient_recovered);
    tcase_add_test(tc, group_as_the_command_computed_it);
    tcase_add_test(tc, group_of_one_and_too_few_regions);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    bract_init(); /* as the command: one OpenBLAS thread */
    return tu_run(hierarchy_suite());
}
