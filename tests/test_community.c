/* Unit tests of bract/community.h: modularity, Louvain, flexibility. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* dfc-timescales.md 7.5: labels [[1,1,2,2,1], [1,1,1,1,1], [2,1,2,1,2]]
 * (nodes x layers) give flexibility [0.5, 0, 1] with the T - 1 denominator. */
START_TEST(flexibility_reference)
{
    const size_t nodes_by_layer[3][5] = {{1, 1, 2, 2, 1}, {1, 1, 1, 1, 1}, {2, 1, 2, 1, 2}};
    size_t labels[15]; /* layer-major */
    for (size_t l = 0; l < 5; l++)
        for (size_t i = 0; i < 3; i++)
            labels[l * 3 + i] = nodes_by_layer[i][l];
    double f[3];
    ck_assert_int_eq(bract_community_flexibility(labels, 3, 5, f), 0);
    ck_assert_double_eq(f[0], 0.5);
    ck_assert_double_eq(f[1], 0);
    ck_assert_double_eq(f[2], 1);
    ck_assert_int_eq(bract_community_flexibility(labels, 3, 1, f), BRACT_EINVAL);
    ck_assert_error_has("at least 2 windows");
}
END_TEST

/* Q from the definition, summing the supra-modularity matrix entry by entry
 * (independent of the library's community sums). */
static double naive_Q(const float *A, size_t n, size_t T, double gamma, double omega,
                      const size_t *g)
{
    size_t np = n * (n - 1) / 2;
    double sum = 0, twomu = 0;
    for (size_t l = 0; l < T; l++) {
        double k[64] = {0}, twom = 0;
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++)
                if (i != j) {
                    float a = A[l * np + bract_pair_index(n, i < j ? i : j, i < j ? j : i)];
                    k[i] += a > 0 ? a : 0;
                }
        for (size_t i = 0; i < n; i++)
            twom += k[i];
        twomu += twom;
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++) {
                if (g[l * n + i] != g[l * n + j])
                    continue;
                double a = 0;
                if (i != j) {
                    float v = A[l * np + bract_pair_index(n, i < j ? i : j, i < j ? j : i)];
                    a = v > 0 ? v : 0;
                }
                sum += a - (twom > 0 ? gamma * k[i] * k[j] / twom : 0);
            }
    }
    for (size_t l = 0; l + 1 < T; l++)
        for (size_t i = 0; i < n; i++)
            if (g[l * n + i] == g[(l + 1) * n + i])
                sum += 2 * omega;
    twomu += 2.0 * (double)n * (double)(T - 1) * omega;
    return sum / twomu;
}

/* Two layers of one edge, everything in one community: within-layer terms
 * cancel, coupling gives 4 omega, 2 mu = 4 + 2 n (T-1) omega = 8: Q = 1/2
 * (GenLouvain's 2 n T omega normaliser would give 4/12). */
START_TEST(modularity_normaliser)
{
    float A[2] = {1, 1};
    size_t g[4] = {1, 1, 1, 1};
    ck_assert_double_eq_tol(bract_community_modularity(A, 2, 2, 1, 1, g), 0.5, 1e-15);
    ck_assert_double_eq_tol(naive_Q(A, 2, 2, 1, 1, g), 0.5, 1e-15);
}
END_TEST

/* Two 5-cliques (weight 1 inside, small negative between): communities are
 * the cliques, Q = 2 (10/20 - (20/40)^2) = 0.5. */
START_TEST(two_cliques)
{
    size_t n = 10;
    float A[45];
    for (size_t i = 0, e = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++, e++)
            A[e] = (i < 5) == (j < 5) ? 1.0f : -0.2f;
    size_t lab[10];
    double Q;
    bract_community_modularity_opts p;
    bract_community_modularity_opts_defaults(&p);
    ck_assert_int_eq(bract_community_multilayer(A, n, 1, &p, lab, &Q), 0);
    for (size_t i = 0; i < n; i++)
        ck_assert_uint_eq(lab[i], i < 5 ? 1 : 2);
    ck_assert_double_eq_tol(Q, 0.5, 1e-12);
    ck_assert_double_eq_tol(naive_Q(A, n, 1, 1, 0, lab), 0.5, 1e-12);
}
END_TEST

/* Ring of 6 cliques of 4 nodes joined by single edges (Fortunato's example):
 * every seed finds the 6 cliques; m = 36 + 6 = 42 edges, each clique has 6
 * inner edges and degree sum 14: Q = 6 (6/42 - (14/84)^2). */
START_TEST(ring_of_cliques)
{
    size_t n = 24, np = n * (n - 1) / 2;
    float *A = calloc(np, sizeof *A);
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (i / 4 == j / 4)
                A[bract_pair_index(n, i, j)] = 1;
    for (size_t c = 0; c < 6; c++) { /* last node of clique c - first of c+1 */
        size_t a = 4 * c + 3, b = (4 * c + 4) % n;
        A[bract_pair_index(n, a < b ? a : b, a < b ? b : a)] = 1;
    }
    for (uint64_t seed = 1; seed <= 5; seed++) {
        bract_community_modularity_opts p;
        bract_community_modularity_opts_defaults(&p);
        p.seed = seed;
        size_t lab[24], truth[24];
        double Q;
        ck_assert_int_eq(bract_community_multilayer(A, n, 1, &p, lab, &Q), 0);
        for (size_t i = 0; i < n; i++)
            truth[i] = i / 4;
        ck_assert_double_eq(bract_kmeans_adjusted_rand(lab, truth, n), 1);
        double want = 6 * (6.0 / 42 - (14.0 / 84) * (14.0 / 84));
        ck_assert_double_eq_tol(Q, want, 1e-12);
    }
    free(A);
}
END_TEST

/* Planted multilayer structure: 12 nodes in 3 modules for 8 layers, then
 * nodes 0-3 and 4-7 swap halves for 8 more.  Q equals the naive definition
 * (1e-12); flexibility: 1/15 for the nodes whose community changes once,
 * 0 for the others; same seed, same labels. */
START_TEST(planted_multilayer)
{
    size_t n = 12, T = 16, np = n * (n - 1) / 2;
    float *A = malloc(T * np * sizeof *A);
    bract_rng rng;
    bract_rng_init(&rng, 3, 0, 0);
    size_t mod[2][12];
    for (size_t i = 0; i < n; i++) {
        mod[0][i] = i / 4;
        mod[1][i] = i < 2 ? 1 : i < 4 ? 0 : i < 6 ? 1 : i < 8 ? 0 : 2;
    }
    for (size_t l = 0; l < T; l++)
        for (size_t i = 0; i < n; i++)
            for (size_t j = i + 1; j < n; j++) {
                const size_t *m = mod[l >= 8];
                double base = m[i] == m[j] ? 0.7 : 0.05;
                A[l * np + bract_pair_index(n, i, j)] =
                    (float)(base + 0.05 * bract_rng_normal(&rng));
            }
    bract_community_modularity_opts p;
    bract_community_modularity_opts_defaults(&p);
    size_t *lab = malloc(T * n * sizeof *lab), *lab2 = malloc(T * n * sizeof *lab2);
    double Q, Q2, f[12];
    ck_assert_int_eq(bract_community_multilayer(A, n, T, &p, lab, &Q), 0);
    ck_assert_double_eq_tol(Q, naive_Q(A, n, T, 1, 1, lab), 1e-12);
    for (size_t l = 0; l < T; l++) { /* the planted partition of each layer */
        size_t truth[12];
        memcpy(truth, mod[l >= 8], sizeof truth);
        ck_assert_double_eq(bract_kmeans_adjusted_rand(lab + l * n, truth, n), 1);
    }
    ck_assert_int_eq(bract_community_flexibility(lab, n, T, f), 0);
    /* which nodes changed depends on which community kept its number;
     * whatever the numbering, a node changes at most once */
    size_t changed = 0;
    for (size_t i = 0; i < n; i++) {
        ck_assert(f[i] == 0 || fabs(f[i] - 1.0 / 15) < 1e-15);
        changed += f[i] > 0;
    }
    ck_assert_uint_ge(changed, 4);
    ck_assert_int_eq(bract_community_multilayer(A, n, T, &p, lab2, &Q2), 0);
    ck_assert(memcmp(lab, lab2, T * n * sizeof *lab) == 0 && Q == Q2);
    /* layer-wise: the same partitions; numbers carried by overlap */
    double q[16];
    ck_assert_int_eq(bract_community_layerwise(A, n, T, &p, lab2, q), 0);
    for (size_t l = 0; l < T; l++) {
        ck_assert_double_eq_tol(q[l], naive_Q(A + l * np, n, 1, 1, 0, lab2 + l * n), 1e-12);
        if (l)
            ck_assert_double_eq(bract_kmeans_adjusted_rand(lab2 + l * n, lab + l * n, n), 1);
    }
    ck_assert_int_eq(bract_community_flexibility(lab2, n, T, f), 0);
    for (size_t i = 0; i < n; i++)
        ck_assert(f[i] == 0 || fabs(f[i] - 1.0 / 15) < 1e-15);
    free(A);
    free(lab);
    free(lab2);
}
END_TEST

/* Layer-wise numbering: a partition that persists keeps its numbers even if
 * Louvain numbers it differently; flexibility 0. */
START_TEST(layerwise_persistence)
{
    size_t n = 8, T = 5, np = 28;
    float A[5 * 28];
    for (size_t l = 0; l < T; l++)
        for (size_t i = 0; i < n; i++)
            for (size_t j = i + 1; j < n; j++)
                A[l * np + bract_pair_index(n, i, j)] = (i % 2) == (j % 2) ? 1.0f : 0.0f;
    bract_community_modularity_opts p;
    bract_community_modularity_opts_defaults(&p);
    size_t lab[40];
    double f[8];
    for (uint64_t s = 1; s < 4; s++) {
        p.seed = s;
        ck_assert_int_eq(bract_community_layerwise(A, n, T, &p, lab, NULL), 0);
        ck_assert_int_eq(bract_community_flexibility(lab, n, T, f), 0);
        for (size_t i = 0; i < n; i++) {
            ck_assert_double_eq(f[i], 0);
            ck_assert_uint_eq(lab[i], i % 2 + 1);
        }
    }
}
END_TEST

START_TEST(bad_weights)
{
    float A[3] = {0.5f, NAN, 0.1f};
    size_t lab[3];
    bract_community_modularity_opts p;
    bract_community_modularity_opts_defaults(&p);
    ck_assert_int_eq(bract_community_multilayer(A, 3, 1, &p, lab, NULL), BRACT_EDATA);
    ck_assert_error_has("window 1, pair 2: weight is not finite");
    ck_assert_int_eq(bract_community_multilayer(A, 1, 1, &p, lab, NULL), BRACT_EDATA);
    ck_assert_error_has("at least 2 regions");
}
END_TEST

/* Noisy layers with no strong structure: runs disagree, so the best run
 * and the means over runs matter. */
static float *noisy_layers(size_t n, size_t T)
{
    size_t np = n * (n - 1) / 2;
    float *A = malloc(T * np * sizeof *A);
    bract_rng rng;
    bract_rng_init(&rng, 11, 0, 0);
    for (size_t i = 0; i < T * np; i++)
        A[i] = (float)(0.2 + 0.3 * bract_rng_normal(&rng));
    return A;
}

/* bract_community_runs equals what bract dfc --flexibility computed with
 * its own loop before it moved into the library: run i keyed
 * (first_run + i), flexibility and modularity averaged in run order, the
 * labels of the first run of the highest modularity; for 1 and 2
 * threads. */
START_TEST(runs_as_dfc_computed_them)
{
    size_t n = 10, T = 12, runs = 6;
    float *A = noisy_layers(n, T);
    for (int method = 0; method < 2; method++) {
        bract_community_opts o;
        bract_community_opts_defaults(&o);
        ck_assert_uint_eq(o.runs, 10);
        o.method = (bract_community_method)method;
        o.runs = runs;
        o.gamma = 1.1;
        o.omega = 0.5;
        o.seed = 5;
        o.first_run = (uint64_t)3 << 32; /* subject 3 in bract dfc */
        size_t *lab = malloc(runs * T * n * sizeof *lab);
        double flex[6][10], Q[6], qlayer[12];
        for (size_t i = 0; i < runs; i++) {
            bract_community_modularity_opts mp = {o.gamma, o.omega, o.seed, ((uint64_t)3 << 32) + i};
            if (method == 0) {
                ck_assert_int_eq(bract_community_multilayer(A, n, T, &mp, lab + i * T * n,
                                                              &Q[i]),
                                 BRACT_OK);
            } else {
                ck_assert_int_eq(bract_community_layerwise(A, n, T, &mp, lab + i * T * n,
                                                             qlayer),
                                 BRACT_OK);
                double qs = 0;
                for (size_t l = 0; l < T; l++)
                    qs += qlayer[l];
                Q[i] = qs / (double)T;
            }
            ck_assert_int_eq(bract_community_flexibility(lab + i * T * n, n, T, flex[i]), BRACT_OK);
        }
        size_t best = 0;
        double qsum = 0, fm[10] = {0};
        for (size_t i = 0; i < runs; i++) {
            qsum += Q[i];
            if (Q[i] > Q[best])
                best = i;
            for (size_t j = 0; j < n; j++)
                fm[j] += flex[i][j];
        }
        for (int threads = 1; threads <= 2; threads++) {
            bract_set_threads(threads);
            bract_community_result *r;
            ck_assert_int_eq(bract_community_runs(A, n, T, &o, &r), BRACT_OK);
            ck_assert_uint_eq(r->best, best);
            ck_assert(r->modularity == qsum / (double)runs);
            for (size_t j = 0; j < n; j++)
                ck_assert(r->flexibility[j] == fm[j] / (double)runs);
            ck_assert(memcmp(r->labels, lab + best * T * n, T * n * sizeof *lab) == 0);
            ck_assert_uint_eq(r->n, n);
            ck_assert_uint_eq(r->nlayers, T);
            bract_community_result_free(r);
        }
        free(lab);
    }
    free(A);
}
END_TEST

START_TEST(runs_errors_and_names)
{
    float A[3] = {1, 1, 1};
    bract_community_opts o;
    bract_community_opts_defaults(&o);
    o.runs = 3;
    bract_community_result *r = (bract_community_result *)1;
    /* one layer: flexibility needs 2 */
    ck_assert_int_eq(bract_community_runs(A, 3, 1, &o, &r), BRACT_EINVAL);
    ck_assert_ptr_null(r);
    ck_assert_error_has("flexibility needs at least 2 windows (got 1)");
    o.runs = 0;
    ck_assert_int_eq(bract_community_runs(A, 3, 1, &o, &r), BRACT_EINVAL);
    bract_community_method m = BRACT_COMMUNITY_MULTILAYER;
    ck_assert_int_eq(bract_community_method_parse("layerwise", &m), BRACT_OK);
    ck_assert_int_eq(m, BRACT_COMMUNITY_LAYERWISE);
    ck_assert_str_eq(bract_community_method_name(BRACT_COMMUNITY_MULTILAYER), "multilayer");
    ck_assert_int_eq(bract_community_method_parse("louvain", &m), BRACT_EINVAL);
    ck_assert_int_eq(m, BRACT_COMMUNITY_LAYERWISE);
    ck_assert_error_has("unknown community method 'louvain' (expected one of multilayer, "
                        "layerwise)");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("community");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, flexibility_reference);
    tcase_add_test(tc, modularity_normaliser);
    tcase_add_test(tc, two_cliques);
    tcase_add_test(tc, ring_of_cliques);
    tcase_add_test(tc, planted_multilayer);
    tcase_add_test(tc, layerwise_persistence);
    tcase_add_test(tc, bad_weights);
    tcase_add_test(tc, runs_as_dfc_computed_them);
    tcase_add_test(tc, runs_errors_and_names);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    bract_init();
    return tu_run(suite());
}
