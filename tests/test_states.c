/* Unit tests of bract/states.h: k-means, elbow, state statistics, ARI. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* dfc-timescales.md 7.5: GIFT statistics of a = [1 1 2 2 2 3 1 1 3 3],
 * k = 3: F = [0.4, 0.3, 0.3], NT = 4, MDT = [2, 3, 1.5], TM = [[0.5, 0.25,
 * 0.25], [0, 2/3, 1/3], [0.5, 0, 0.5]] (exact fractions: 1e-15). */
START_TEST(gift_state_statistics)
{
    const size_t a[10] = {0, 0, 1, 1, 1, 2, 0, 0, 2, 2};
    double F[3], MDT[3], TM[9];
    size_t NT;
    ck_assert_int_eq(bract_states_stats(a, 10, 3, F, MDT, &NT, TM), 0);
    const double f[3] = {0.4, 0.3, 0.3}, mdt[3] = {2, 3, 1.5};
    const double tm[9] = {0.5, 0.25, 0.25, 0, 2.0 / 3, 1.0 / 3, 0.5, 0, 0.5};
    for (int j = 0; j < 3; j++) {
        ck_assert_double_eq_tol(F[j], f[j], 1e-15);
        ck_assert_double_eq_tol(MDT[j], mdt[j], 1e-15);
    }
    for (int j = 0; j < 9; j++)
        ck_assert_double_eq_tol(TM[j], tm[j], 1e-15);
    ck_assert_uint_eq(NT, 4);
    /* a state never visited: dwell 0, TM row with 1 on the diagonal; a state
     * seen only at the end: no transitions out of it either */
    const size_t b[5] = {0, 0, 1, 1, 3};
    double F4[4], M4[4], T4[16];
    ck_assert_int_eq(bract_states_stats(b, 5, 4, F4, M4, &NT, T4), 0);
    ck_assert_double_eq(M4[2], 0);
    ck_assert_double_eq(T4[2 * 4 + 2], 1);
    ck_assert_double_eq(T4[3 * 4 + 3], 1);
    ck_assert_double_eq(T4[1 * 4 + 3], 0.5);
    ck_assert_uint_eq(NT, 2);
    ck_assert_int_eq(bract_states_stats(b, 5, 3, F4, M4, &NT, T4), BRACT_EINVAL);
    ck_assert_error_has("state 3 at position 5, expected below 3");
}
END_TEST

/* scikit-learn 1.2.1 adjusted_rand_score of the same labellings. */
START_TEST(adjusted_rand_matches_sklearn)
{
    const size_t a[8] = {0, 0, 1, 1, 2, 2, 2, 0}, b[8] = {1, 1, 0, 0, 0, 2, 2, 1};
    ck_assert_double_eq_tol(bract_kmeans_adjusted_rand(a, b, 8), 0.6190476190476191, 1e-15);
    const size_t c[6] = {0, 0, 0, 1, 1, 1}, d[6] = {0, 1, 2, 0, 1, 2};
    ck_assert_double_eq_tol(bract_kmeans_adjusted_rand(c, d, 6), -0.36363636363636365, 1e-15);
    ck_assert_double_eq(bract_kmeans_adjusted_rand(a, a, 8), 1);
}
END_TEST

enum { NB = 3, PER = 50, DIM = 20 };

/* Three well-separated blobs, points interleaved so that cluster order and
 * point order differ. */
static float *blobs(size_t *truth)
{
    float *x = malloc(sizeof(float) * NB * PER * DIM);
    bract_rng rng;
    bract_rng_init(&rng, 5, 0, 0);
    for (size_t i = 0; i < NB * PER; i++) {
        size_t c = (i * 7) % NB;
        truth[i] = c;
        for (size_t d = 0; d < DIM; d++)
            x[i * DIM + d] = (float)(3.0 * (double)((c + d) % 3) - 3.0 +
                                     0.2 * bract_rng_normal(&rng));
    }
    return x;
}

static void check_blobs(int distance)
{
    size_t truth[NB * PER];
    float *x = blobs(truth);
    bract_kmeans_opts p;
    bract_kmeans_opts_defaults(&p);
    p.k = 3;
    p.distance = distance;
    p.seed = 11;
    bract_kmeans_result *r;
    ck_assert_int_eq(bract_kmeans(x, NB * PER, DIM, &p, &r, NULL), 0);
    ck_assert_double_eq(bract_kmeans_adjusted_rand(truth, r->label, NB * PER), 1);
    ck_assert(r->converged);
    /* centroids: the mean (L2) or median (L1) of each found cluster,
     * recomputed here; objective = sum of distances (1e-9 relative) */
    double obj = 0, *col = malloc(sizeof(double) * NB * PER);
    for (size_t c = 0; c < 3; c++) {
        ck_assert_uint_eq(r->count[c], PER); /* equal sizes */
        for (size_t d = 0; d < DIM; d++) {
            size_t m = 0;
            double s = 0;
            for (size_t i = 0; i < NB * PER; i++)
                if (r->label[i] == c) {
                    col[m++] = x[i * DIM + d];
                    s += x[i * DIM + d];
                }
            double want;
            if (distance == BRACT_DIST_L2) {
                want = s / (double)m;
            } else { /* sort, middle two */
                for (size_t a = 1; a < m; a++)
                    for (size_t b = a; b > 0 && col[b] < col[b - 1]; b--) {
                        double t = col[b];
                        col[b] = col[b - 1];
                        col[b - 1] = t;
                    }
                want = m % 2 ? col[m / 2] : 0.5 * (col[m / 2 - 1] + col[m / 2]);
            }
            ck_assert_double_eq_tol(r->centroid[c * DIM + d], want, 1e-12);
        }
    }
    for (size_t i = 0; i < NB * PER; i++) {
        double pt[DIM];
        for (size_t d = 0; d < DIM; d++)
            pt[d] = x[i * DIM + d];
        double di = bract_kmeans_distance(pt, r->centroid + r->label[i] * DIM, DIM, distance);
        ck_assert_double_eq_tol(r->dist[i], di, 1e-12);
        size_t near = bract_kmeans_nearest(r->centroid, 3, DIM, distance, pt, NULL);
        ck_assert_uint_eq(near, r->label[i]);
        obj += di;
    }
    ck_assert_double_eq_tol(r->objective, obj, 1e-9 * obj);
    /* GIFT's ratio from its definition: mean over clusters of the summed
     * distances of members over those of non-members (1e-12 relative) */
    double want = 0;
    for (size_t c = 0; c < 3; c++) {
        double in = 0, out = 0;
        for (size_t i = 0; i < NB * PER; i++) {
            double pt[DIM];
            for (size_t d = 0; d < DIM; d++)
                pt[d] = x[i * DIM + d];
            double di = bract_kmeans_distance(pt, r->centroid + c * DIM, DIM, distance);
            if (r->label[i] == c)
                in += di;
            else
                out += di;
        }
        want += in / out / 3;
    }
    double ratio = bract_kmeans_ratio(x, r, distance);
    ck_assert_double_eq_tol(ratio, want, 1e-12 * want);
    ck_assert(ratio < 0.2); /* tight clusters far apart */
    free(col);
    bract_kmeans_result_free(r);
    free(x);
}

START_TEST(kmeans_recovers_blobs_l2) { check_blobs(BRACT_DIST_L2); }
END_TEST

START_TEST(kmeans_recovers_blobs_l1) { check_blobs(BRACT_DIST_L1); }
END_TEST

/* Overlapping clusters (where restarts and ties matter): the same result
 * for 1 and 2 threads and for the same seed. */
START_TEST(kmeans_thread_invariance)
{
    size_t n = 300, dim = 600;
    float *x = malloc(sizeof(float) * n * dim);
    bract_rng rng;
    bract_rng_init(&rng, 9, 0, 0);
    for (size_t i = 0; i < n * dim; i++)
        x[i] = (float)(bract_rng_normal(&rng) + (i / dim % 4 == 0 ? 0.3 : 0));
    for (int distance = 0; distance < 2; distance++) {
        bract_kmeans_opts p;
        bract_kmeans_opts_defaults(&p);
        p.k = 4;
        p.distance = distance;
        p.restarts = 3;
        bract_kmeans_result *a, *b;
        bract_set_threads(1);
        ck_assert_int_eq(bract_kmeans(x, n, dim, &p, &a, NULL), 0);
        bract_set_threads(2);
        ck_assert_int_eq(bract_kmeans(x, n, dim, &p, &b, NULL), 0);
        ck_assert(memcmp(a->label, b->label, n * sizeof *a->label) == 0);
        ck_assert(memcmp(a->centroid, b->centroid, 4 * dim * sizeof(double)) == 0);
        ck_assert(a->objective == b->objective);
        for (size_t c = 1; c < 4; c++)
            ck_assert(a->count[c - 1] >= a->count[c]); /* numbered by size */
        bract_kmeans_result_free(a);
        bract_kmeans_result_free(b);
    }
    free(x);
}
END_TEST

START_TEST(kmeans_bad_input)
{
    float x[6] = {0, 1, 2, 3, 4, 5};
    bract_kmeans_opts p;
    bract_kmeans_opts_defaults(&p);
    p.k = 4;
    bract_kmeans_result *r = (bract_kmeans_result *)1;
    ck_assert_int_eq(bract_kmeans(x, 3, 2, &p, &r, NULL), BRACT_EINVAL);
    ck_assert_error_has("4 clusters for 3 windows");
    ck_assert_ptr_null(r);
    p.k = 2;
    x[3] = NAN;
    ck_assert_int_eq(bract_kmeans(x, 3, 2, &p, &r, NULL), BRACT_EDATA);
    ck_assert_error_has("window 2, value 2 is not finite");
}
END_TEST

/* A continuous two-segment line with its break at k = 4.3 (grid of 1/1000):
 * found to 1e-3; fewer than 4 points is an error. */
START_TEST(elbow_of_two_segments)
{
    double k[9], y[9], bp;
    for (int i = 0; i < 9; i++) {
        k[i] = i + 2;
        y[i] = 10 - 2 * k[i] + 1.8 * (k[i] > 4.3 ? k[i] - 4.3 : 0);
    }
    ck_assert_int_eq(bract_kmeans_breakpoint(k, y, 9, &bp), 0);
    ck_assert_double_eq_tol(bp, 4.3, 1e-3);
    ck_assert_int_eq(bract_kmeans_breakpoint(k, y, 3, &bp), BRACT_EDATA);
    ck_assert_error_has("3 points, at least 4 needed");
}
END_TEST

/* bract_kmeans_elbow equals what bract dfc --elbow computed with its own
 * loop before it moved into the library: bract_kmeans for each k, the
 * ratio, bract_kmeans_breakpoint over k >= 2, k = ceil(break point); for 1 and 2
 * threads. */
START_TEST(kmeans_elbow_as_dfc_computed_it)
{
    size_t n = 240, dim = 30;
    float *x = malloc(sizeof(float) * n * dim);
    bract_rng rng;
    bract_rng_init(&rng, 4, 0, 0);
    for (size_t i = 0; i < n * dim; i++) /* 4 blobs of 60 windows */
        x[i] = (float)(0.5 * bract_rng_normal(&rng) + (double)((i / dim) % 4 == i % dim % 4));
    for (int distance = 0; distance < 2; distance++) {
        bract_kmeans_opts p;
        bract_kmeans_opts_defaults(&p);
        p.distance = (bract_kmeans_metric)distance;
        p.restarts = 3;
        p.seed = 7;
        size_t kmin = 1, kmax = 7, m = kmax - kmin + 1;
        double obj[7], ratio[7], kk[7], bp;
        for (size_t j = 0; j < m; j++) {
            bract_kmeans_opts q = p;
            q.k = kmin + j;
            bract_kmeans_result *km;
            ck_assert_int_eq(bract_kmeans(x, n, dim, &q, &km, NULL), BRACT_OK);
            kk[j] = (double)q.k;
            obj[j] = km->objective;
            ratio[j] = bract_kmeans_ratio(x, km, p.distance);
            bract_kmeans_result_free(km);
        }
        ck_assert_int_eq(bract_kmeans_breakpoint(kk + 1, ratio + 1, m - 1, &bp), BRACT_OK);
        size_t want_k = (size_t)ceil(bp - 1e-9);
        for (int threads = 1; threads <= 2; threads++) {
            bract_set_threads(threads);
            bract_kmeans_elbow_result *e;
            ck_assert_int_eq(bract_kmeans_elbow(x, n, dim, &p, kmin, kmax, &e, NULL), BRACT_OK);
            ck_assert_uint_eq(e->m, m);
            ck_assert_uint_eq(e->kmin, 1);
            ck_assert_uint_eq(e->kmax, 7);
            for (size_t j = 0; j < m; j++) {
                ck_assert(e->objective[j] == obj[j]);
                ck_assert(j == 0 ? isnan(e->ratio[j]) : e->ratio[j] == ratio[j]);
            }
            ck_assert(e->breakpoint == bp);
            ck_assert_uint_eq(e->k, want_k);
            ck_assert(e->k >= 3 && e->k <= 5); /* near the 4 blobs */
            bract_kmeans_elbow_result_free(e);
        }
    }
    /* fewer than 4 values of k from 2 up: no suggestion, no error */
    bract_kmeans_opts p;
    bract_kmeans_opts_defaults(&p);
    bract_kmeans_elbow_result *e;
    ck_assert_int_eq(bract_kmeans_elbow(x, n, dim, &p, 1, 4, &e, NULL), BRACT_OK);
    ck_assert(isnan(e->breakpoint));
    ck_assert_uint_eq(e->k, 0);
    ck_assert_str_eq(bract_last_error(), "");
    bract_kmeans_elbow_result_free(e);
    e = (bract_kmeans_elbow_result *)1;
    ck_assert_int_eq(bract_kmeans_elbow(x, n, dim, &p, 3, 2, &e, NULL), BRACT_EINVAL);
    ck_assert_ptr_null(e);
    ck_assert_int_eq(bract_kmeans_elbow(x, n, dim, &p, 2, 241, &e, NULL), BRACT_EINVAL);
    free(x);
}
END_TEST

START_TEST(distance_names)
{
    bract_kmeans_metric d = BRACT_DIST_L2;
    ck_assert_int_eq(bract_kmeans_metric_parse("l1", &d), BRACT_OK);
    ck_assert_int_eq(d, BRACT_DIST_L1);
    ck_assert_int_eq(bract_kmeans_metric_parse("l2", &d), BRACT_OK);
    ck_assert_int_eq(d, BRACT_DIST_L2);
    ck_assert_str_eq(bract_kmeans_metric_name(BRACT_DIST_L1), "l1");
    ck_assert_str_eq(bract_kmeans_metric_name((bract_kmeans_metric)5), "unknown");
    ck_assert_int_eq(bract_kmeans_metric_parse("cityblock", &d), BRACT_EINVAL);
    ck_assert_int_eq(d, BRACT_DIST_L2);
    ck_assert_error_has("unknown k-means distance 'cityblock' (expected one of l2, l1)");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("states");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, gift_state_statistics);
    tcase_add_test(tc, adjusted_rand_matches_sklearn);
    tcase_add_test(tc, kmeans_recovers_blobs_l2);
    tcase_add_test(tc, kmeans_recovers_blobs_l1);
    tcase_add_test(tc, kmeans_thread_invariance);
    tcase_add_test(tc, kmeans_bad_input);
    tcase_add_test(tc, elbow_of_two_segments);
    tcase_add_test(tc, kmeans_elbow_as_dfc_computed_it);
    tcase_add_test(tc, distance_names);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    bract_init();
    return tu_run(suite());
}
