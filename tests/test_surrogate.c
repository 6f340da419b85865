/* Unit tests of bract/surrogate.h and bract/dfcsim.h: phase-randomised
 * surrogates, the null tests of windowed connectivity, the simulator. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static double *sim_series(size_t nt, size_t nreg, uint64_t seed, int null, size_t **state)
{
    bract_dfcsim_opts p;
    bract_dfcsim_opts_defaults(&p);
    p.nt = nt;
    p.nreg = nreg;
    p.seed = seed;
    bract_dfcsim_states *st;
    ck_assert_int_eq(bract_dfcsim_states_new(&p, &st), 0);
    bract_dfcsim_subject *s;
    ck_assert_int_eq(bract_dfcsim_subject_new(&p, st, 0, &s), 0);
    double *x = malloc(nt * nreg * sizeof *x);
    memcpy(x, null ? s->null : s->x, nt * nreg * sizeof *x);
    if (state) {
        *state = malloc(nt * sizeof **state);
        memcpy(*state, s->state, nt * sizeof **state);
    }
    bract_dfcsim_subject_free(s);
    bract_dfcsim_states_free(st);
    return x;
}

/* A surrogate keeps each region's mean and the lag-0 covariances exactly
 * (Parseval: they are sums over frequencies of cross-periodograms, which a
 * common phase shift leaves alone): 1e-10 relative.  It is not the data. */
static void check_preserves(size_t nt)
{
    size_t nreg = 4;
    double *x = sim_series(nt, nreg, 2, 0, NULL), *y = malloc(nt * nreg * sizeof *y);
    bract_surrogate_plan *sp;
    ck_assert_int_eq(bract_surrogate_plan_new(x, nt, nreg, &sp), 0);
    bract_surrogate_ws *w = NULL;
    bract_surrogate_ws_new(sp, &w);
    bract_surrogate_draw(sp, 7, 3, y, w);
    double diff = 0;
    for (size_t i = 0; i < nreg; i++) {
        ck_assert_double_eq_tol(bract_stats_mean(y + i * nt, nt), bract_stats_mean(x + i * nt, nt), 1e-12);
        for (size_t j = i; j < nreg; j++) {
            double cx = 0, cy = 0, mxi = bract_stats_mean(x + i * nt, nt),
                   mxj = bract_stats_mean(x + j * nt, nt);
            for (size_t t = 0; t < nt; t++) {
                cx += (x[i * nt + t] - mxi) * (x[j * nt + t] - mxj);
                cy += (y[i * nt + t] - mxi) * (y[j * nt + t] - mxj);
            }
            ck_assert_double_eq_tol(cy, cx, 1e-10 * (double)nt);
        }
        for (size_t t = 0; t < nt; t++)
            diff = fmax(diff, fabs(y[i * nt + t] - x[i * nt + t]));
    }
    ck_assert(diff > 0.1);
    /* same stream, same surrogate; another stream, another */
    double *z = malloc(nt * nreg * sizeof *z);
    bract_surrogate_draw(sp, 7, 3, z, w);
    ck_assert(memcmp(y, z, nt * nreg * sizeof *y) == 0);
    bract_surrogate_draw(sp, 7, 4, z, w);
    ck_assert(memcmp(y, z, nt * nreg * sizeof *y) != 0);
    bract_surrogate_ws_free(w);
    bract_surrogate_plan_free(sp);
    free(x);
    free(y);
    free(z);
}

START_TEST(surrogates_preserve_covariance_even) { check_preserves(256); }
END_TEST

START_TEST(surrogates_preserve_covariance_odd) { check_preserves(255); }
END_TEST

typedef struct {
    double fcvar_p, switches_p, min_fdr;
} outcome;

/* The three tests on one series: windows of 30, 99 surrogates, switches of
 * k-means with k = 2 (2 restarts). */
static outcome run_tests(const double *x, size_t nt, size_t nreg, uint64_t seed)
{
    bract_dfc_opts dp;
    bract_dfc_opts_defaults(&dp);
    dp.window = 30;
    bract_dfc_plan *pl;
    ck_assert_int_eq(bract_dfc_plan_new(nt, nreg, &dp, &pl), 0);
    size_t np = bract_dfc_npairs(pl);
    bract_kmeans_opts kp;
    bract_kmeans_opts_defaults(&kp);
    kp.k = 2;
    kp.restarts = 2;
    kp.seed = seed;
    bract_surrogate_opts tp = {99, seed, 0, &kp};
    bract_surrogate_result *r;
    ck_assert_int_eq(bract_surrogate_test(pl, x, NULL, &tp, &r, NULL), 0);
    outcome o = {r->fcvar_p, r->switches_p, 1};
    for (size_t e = 0; e < np; e++)
        o.min_fdr = fmin(o.min_fdr, r->edge_p_fdr[e]);
    bract_surrogate_result_free(r);
    bract_dfc_plan_free(pl);
    return o;
}

/* The static null of bract simulate dfc (same average covariance, no
 * switching), 200 simulations with fixed seeds: each test at alpha 0.05
 * (for the edges: any edge with FDR-adjusted p <= 0.05) must reject no more
 * often than the nominal rate allows.  Under a rate of exactly 0.05,
 * P(Binomial(200, 0.05) >= 22) = 0.00048, so at most 21 rejections. */
START_TEST(null_rejects_at_nominal_rate)
{
    size_t nt = 200, nreg = 5, nsim = 200;
    size_t rej_var = 0, rej_sw = 0, rej_edge = 0;
    bract_set_threads(1); /* small problems: one thread is fastest */
    for (size_t s = 0; s < nsim; s++) {
        double *x = sim_series(nt, nreg, 1000 + s, 1, NULL);
        outcome o = run_tests(x, nt, nreg, s + 1);
        rej_var += o.fcvar_p <= 0.05;
        rej_sw += o.switches_p <= 0.05;
        rej_edge += o.min_fdr <= 0.05;
        free(x);
    }
    ck_assert_msg(rej_var <= 21, "variance of windowed FC: %zu of 200 rejections", rej_var);
    ck_assert_msg(rej_sw <= 21, "state switches: %zu of 200 rejections", rej_sw);
    ck_assert_msg(rej_edge <= 21, "edges (FDR): %zu of 200 rejections", rej_edge);
}
END_TEST

/* Switching data of the same size: the variance test and the edge test
 * reject (p = 1/100, the smallest possible, for the variance). */
START_TEST(switching_is_detected)
{
    size_t nt = 600, nreg = 5;
    double *x = sim_series(nt, nreg, 4, 0, NULL);
    outcome o = run_tests(x, nt, nreg, 1);
    ck_assert_double_eq_tol(o.fcvar_p, 0.01, 1e-15);
    ck_assert(o.min_fdr <= 0.05);
    free(x);
}
END_TEST

/* The test result does not depend on the number of threads. */
START_TEST(test_thread_invariance)
{
    size_t nt = 150, nreg = 4;
    double *x = sim_series(nt, nreg, 5, 1, NULL);
    bract_dfc_opts dp;
    bract_dfc_opts_defaults(&dp);
    dp.window = 20;
    bract_dfc_plan *pl;
    ck_assert_int_eq(bract_dfc_plan_new(nt, nreg, &dp, &pl), 0);
    bract_surrogate_opts tp = {37, 3, 0, NULL};
    bract_surrogate_result *a, *b;
    bract_set_threads(1);
    ck_assert_int_eq(bract_surrogate_test(pl, x, NULL, &tp, &a, NULL), 0);
    bract_set_threads(2);
    ck_assert_int_eq(bract_surrogate_test(pl, x, NULL, &tp, &b, NULL), 0);
    size_t np = a->npairs;
    ck_assert(memcmp(a->edge_null_mean, b->edge_null_mean, np * sizeof(double)) == 0);
    ck_assert(memcmp(a->edge_p, b->edge_p, np * sizeof(double)) == 0);
    ck_assert(a->fcvar_null_mean == b->fcvar_null_mean && a->fcvar_p == b->fcvar_p);
    ck_assert(isnan(a->switches_p));
    /* Monte-Carlo p-values are (1 + count) / 38; their BH adjustment is
     * bract_stats_fdr_bh's (exact) */
    size_t *work = malloc(2 * np * sizeof *work);
    double *q = malloc(np * sizeof *q);
    bract_stats_fdr_bh(a->edge_p, np, q, work);
    for (size_t e = 0; e < np; e++) {
        double cnt = a->edge_p[e] * 38 - 1;
        ck_assert_double_eq_tol(cnt, floor(cnt + 0.5), 1e-9);
        ck_assert(cnt >= 0 && cnt <= 37);
        ck_assert(q[e] == a->edge_p_fdr[e]);
    }
    double cnt = a->fcvar_p * 38 - 1;
    ck_assert_double_eq_tol(cnt, floor(cnt + 0.5), 1e-9);
    free(work);
    free(q);
    /* observed edge sd: the sample sd of the windowed values */
    double *w = malloc(bract_dfc_nwindows(pl) * np * sizeof *w);
    ck_assert_int_eq(bract_dfc_all(pl, x, NULL, w), 0);
    double *col = malloc(bract_dfc_nwindows(pl) * sizeof *col);
    for (size_t e = 0; e < np; e++) {
        for (size_t k = 0; k < bract_dfc_nwindows(pl); k++)
            col[k] = w[k * np + e];
        ck_assert_double_eq_tol(a->edge_std[e], sqrt(bract_stats_var(col, bract_dfc_nwindows(pl), 1)),
                                1e-12);
    }
    free(col);
    free(w);
    bract_surrogate_result_free(a);
    bract_surrogate_result_free(b);
    bract_dfc_plan_free(pl);
    free(x);
}
END_TEST

/* Simulator: the states are valid correlation matrices with the planted
 * modules, segments tile the series, the null's covariance is the average
 * of the states over the subject's volumes, the output depends only on the
 * seed. */
START_TEST(simulator_truth)
{
    bract_dfcsim_opts p;
    bract_dfcsim_opts_defaults(&p);
    bract_dfcsim_states *st;
    ck_assert_int_eq(bract_dfcsim_states_new(&p, &st), 0);
    size_t n = p.nreg;
    for (size_t k = 0; k < p.nstates; k++) {
        size_t cnt[3] = {0, 0, 0};
        for (size_t i = 0; i < n; i++)
            cnt[st->module[k * n + i]]++;
        ck_assert(cnt[0] == 6 && cnt[1] == 5 && cnt[2] == 5);
        for (size_t k2 = 0; k2 < k; k2++)
            ck_assert(bract_kmeans_adjusted_rand(st->module + k * n, st->module + k2 * n, n) < 0.5);
    }
    bract_dfcsim_subject *s, *s2;
    ck_assert_int_eq(bract_dfcsim_subject_new(&p, st, 0, &s), 0);
    size_t covered = 0;
    double dwell = 0;
    for (size_t g = 0; g < s->nseg; g++) {
        ck_assert_uint_eq(s->seg_start[g], covered);
        covered += s->seg_len[g];
        if (g + 1 < s->nseg) {
            ck_assert(s->seg_len[g] >= 60 && s->seg_len[g] <= 180);
            ck_assert(s->seg_state[g + 1] != s->seg_state[g]);
            dwell += (double)s->seg_len[g];
        }
    }
    ck_assert_uint_eq(covered, p.nt);
    dwell /= (double)(s->nseg - 1);
    ck_assert(dwell > 90 && dwell < 150); /* mean of ~10 uniform(60, 180) lengths */
    /* sample covariance of the null vs Sigma_bar: 1200 volumes, phi 0.5:
     * sampling sd of a correlation ~ 0.05; 0.25 is a loose bound */
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            double r = bract_stats_pearson(s->null + i * p.nt, s->null + j * p.nt, p.nt);
            ck_assert(fabs(r - s->avg_cov[i * n + j]) < 0.25);
        }
    ck_assert_int_eq(bract_dfcsim_subject_new(&p, st, 0, &s2), 0);
    ck_assert(memcmp(s->x, s2->x, p.nt * n * sizeof(double)) == 0);
    bract_dfcsim_subject_free(s2);
    ck_assert_int_eq(bract_dfcsim_subject_new(&p, st, 1, &s2), 0);
    ck_assert(memcmp(s->x, s2->x, p.nt * n * sizeof(double)) != 0);
    bract_dfcsim_subject_free(s2);
    bract_dfcsim_subject_free(s);
    bract_dfcsim_states_free(st);
    p.rho = 1;
    ck_assert_int_eq(bract_dfcsim_states_new(&p, &st), BRACT_EINVAL);
    ck_assert_error_has("rho must be in [0, 1)");
}
END_TEST

/* The state that fills most of each window (ties: the earlier). */
static size_t *window_truth(const size_t *state, size_t nt, size_t L, size_t K, size_t *nwin)
{
    *nwin = nt - L + 1;
    size_t *w = malloc(*nwin * sizeof *w), cnt[8];
    for (size_t k = 0; k < *nwin; k++) {
        memset(cnt, 0, sizeof cnt);
        for (size_t t = k; t < k + L; t++)
            cnt[state[t]]++;
        size_t best = 0;
        for (size_t c = 1; c < K; c++)
            if (cnt[c] > cnt[best])
                best = c;
        w[k] = best;
    }
    return w;
}

/* Switching data from the simulator (defaults: 16 regions, 3 states of 3
 * modules, rho 0.6, mean dwell 120 volumes, 1200 volumes), windows of 20,
 * k-means (k = 3, L2 and L1): the states of the windows match the truth
 * (the state filling most of each window) with ARI >= 0.9, and each state's
 * mean dwell time (in windows) is within 10 % of the truth's. */
START_TEST(states_recovered_from_switching_data)
{
    for (uint64_t seed = 1; seed <= 3; seed++)
        for (int distance = 0; distance < 2; distance++) {
            size_t nt = 1200, nreg = 16, L = 20, *state, nwin;
            double *x = sim_series(nt, nreg, seed, 0, &state);
            bract_dfc_opts dp;
            bract_dfc_opts_defaults(&dp);
            dp.window = L;
            bract_dfc_plan *pl;
            ck_assert_int_eq(bract_dfc_plan_new(nt, nreg, &dp, &pl), 0);
            nwin = bract_dfc_nwindows(pl);
            size_t np = bract_dfc_npairs(pl);
            double *w = malloc(nwin * np * sizeof *w);
            ck_assert_int_eq(bract_dfc_all(pl, x, NULL, w), 0);
            float *wf = malloc(nwin * np * sizeof *wf);
            for (size_t i = 0; i < nwin * np; i++)
                wf[i] = (float)w[i];
            bract_kmeans_opts kp;
            bract_kmeans_opts_defaults(&kp);
            kp.k = 3;
            kp.distance = distance;
            bract_kmeans_result *km;
            ck_assert_int_eq(bract_kmeans(wf, nwin, np, &kp, &km, NULL), 0);
            size_t n2;
            size_t *truth = window_truth(state, nt, L, 3, &n2);
            double ari = bract_kmeans_adjusted_rand(truth, km->label, nwin);
            ck_assert_msg(ari >= 0.9, "seed %d, distance %d: ARI %g", (int)seed, distance, ari);
            /* match found states to true ones by majority, then compare dwell */
            double dw_true[3], dw_found[3];
            ck_assert_int_eq(bract_states_stats(truth, nwin, 3, NULL, dw_true, NULL, NULL), 0);
            ck_assert_int_eq(bract_states_stats(km->label, nwin, 3, NULL, dw_found, NULL, NULL),
                             0);
            for (size_t c = 0; c < 3; c++) {
                size_t cnt[3] = {0, 0, 0};
                for (size_t k = 0; k < nwin; k++)
                    if (km->label[k] == c)
                        cnt[truth[k]]++;
                size_t t = cnt[1] > cnt[0] ? 1 : 0;
                t = cnt[2] > cnt[t] ? 2 : t;
                double rel = fabs(dw_found[c] - dw_true[t]) / dw_true[t];
                ck_assert_msg(rel <= 0.10, "seed %d, distance %d, state %zu: dwell %g vs %g",
                              (int)seed, distance, c + 1, dw_found[c], dw_true[t]);
            }
            free(truth);
            bract_kmeans_result_free(km);
            bract_dfc_plan_free(pl);
            free(w);
            free(wf);
            free(x);
            free(state);
        }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("surrogate");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, surrogates_preserve_covariance_even);
    tcase_add_test(tc, surrogates_preserve_covariance_odd);
    tcase_add_test(tc, null_rejects_at_nominal_rate);
    tcase_add_test(tc, switching_is_detected);
    tcase_add_test(tc, test_thread_invariance);
    tcase_add_test(tc, simulator_truth);
    tcase_add_test(tc, states_recovered_from_switching_data);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    bract_init();
    return tu_run(suite());
}
