/* Unit tests of bract/group.h: the t map against a direct computation and
 * scipy, sign-flip p-values computed by hand, agreement with a brute-force
 * enumeration, thread invariance, recovery of a planted effect (Dice), the
 * family-wise false-positive rate over null simulations, and bad input. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bract/atlas.h"

/* x[s * nvox + v] for an nx x ny x nz grid: Fisher z = noise + effect in a
 * sphere of radius `rad` voxels around (cx, cy, cz), returned as r = tanh(z). */
static double *sphere_maps(uint64_t seed, int64_t nx, int64_t ny, int64_t nz, size_t nsub,
                           double cx, double cy, double cz, double rad, double effect,
                           double noise, unsigned char *truth)
{
    size_t nvox = (size_t)(nx * ny * nz);
    double *x = malloc(nsub * nvox * sizeof *x);
    for (int64_t k = 0; k < nz; k++)
        for (int64_t j = 0; j < ny; j++)
            for (int64_t i = 0; i < nx; i++) {
                size_t v = (size_t)(i + nx * (j + ny * k));
                double d2 = (i - cx) * (i - cx) + (j - cy) * (j - cy) + (k - cz) * (k - cz);
                int in = d2 <= rad * rad;
                if (truth)
                    truth[v] = (unsigned char)in;
                bract_rng r;
                bract_rng_init(&r, seed, v, 7);
                for (size_t s = 0; s < nsub; s++)
                    x[s * nvox + v] = tanh((in ? effect : 0) + noise * bract_rng_normal(&r));
            }
    return x;
}

static bract_group_data *data_from(const double *x, size_t nsub, int64_t nx, int64_t ny,
                                   int64_t nz, bract_group_transform tr)
{
    bract_group_data *d;
    ck_assert_int_eq(bract_group_from_values(x, nsub, nx, ny, nz, NULL, NULL, tr, 0, &d), 0);
    return d;
}

START_TEST(t_map_direct_and_scipy)
{
    /* 5 subjects x 3 voxels of correlations; scipy.stats.ttest_1samp on
     * numpy.arctanh(r) (scipy 1.10.1): relative 1e-12 */
    const double r[5][3] = {{0.12, 0.30, -0.05},
                            {0.25, 0.41, 0.02},
                            {0.08, 0.22, -0.11},
                            {0.31, 0.18, 0.07},
                            {0.19, 0.35, 0.01}};
    double x[15];
    for (int s = 0; s < 5; s++)
        for (int v = 0; v < 3; v++)
            x[s * 3 + v] = r[s][v];
    const double want_t[3] = {4.438409028623719, 6.58074970148728, -0.3877795313121838};
    const double want_p[3][3] = {
        {0.00567395448994871, 0.0013802414597653835, 0.6410345931927599},  /* greater */
        {0.9943260455100513, 0.9986197585402345, 0.3589654068072401},      /* less */
        {0.01134790897989742, 0.002760482919530767, 0.7179308136144802}}; /* two-sided */
    const bract_stats_alternative alts[3] = {BRACT_ALT_GREATER, BRACT_ALT_LESS, BRACT_ALT_TWO_SIDED};
    bract_group_data *d = data_from(x, 5, 3, 1, 1, BRACT_GROUP_FISHER);
    ck_assert_uint_eq(d->n, 3);
    for (int a = 0; a < 3; a++) {
        bract_group_opts o = bract_group_opts_defaults();
        o.alternative = alts[a];
        bract_group_result *res;
        ck_assert_int_eq(bract_group_run(d, &o, NULL, &res), 0);
        ck_assert_double_eq(res->df, 4);
        for (int v = 0; v < 3; v++) {
            ck_assert_double_eq_tol(res->t[v] / want_t[v], 1, 1e-12);
            ck_assert_double_eq_tol(res->p[v] / want_p[a][v], 1, 1e-12);
            /* the direct computation: bract_stats_ttest_1samp on the voxel's
             * Fisher z values, bit for bit */
            double z[5], t, p;
            for (int s = 0; s < 5; s++)
                z[s] = atanh(r[s][v]);
            ck_assert_int_eq(bract_stats_ttest_1samp(z, 5, 0, alts[a], &t, &p), 0);
            ck_assert_double_eq(res->t[v], t);
            ck_assert_double_eq(res->p[v], p);
            ck_assert_double_eq(res->mean[v], bract_stats_mean(z, 5));
        }
        /* FDR is Benjamini-Hochberg of p */
        double q[3];
        size_t w[6];
        bract_stats_fdr_bh(res->p, 3, q, w);
        for (int v = 0; v < 3; v++)
            ck_assert_double_eq(res->p_fdr[v], q[v]);
        ck_assert_ptr_null(res->p_fwe);
        ck_assert_ptr_null(res->tfce);
        ck_assert_int_eq(res->correction, BRACT_CORR_FDR);
        bract_group_result_free(res);
    }
    bract_group_data_free(d);
    /* a null mean of 0.1 (on the z scale): scipy ttest_1samp(z, 0.1),
     * greater; relative 1e-12 (the mean is subtracted before the test) */
    ck_assert_int_eq(bract_group_from_values(x, 5, 3, 1, 1, NULL, NULL, BRACT_GROUP_FISHER, 0.1,
                                             &d),
                     0);
    bract_group_opts o = bract_group_opts_defaults();
    bract_group_result *res;
    ck_assert_int_eq(bract_group_run(d, &o, NULL, &res), 0);
    const double t01[3] = {2.1483211269752105, 4.410623190540299, -3.5994183968024367};
    const double p01[3] = {0.049083180070065915, 0.005797500268662391, 0.9886150367282929};
    for (int v = 0; v < 3; v++) {
        ck_assert_double_eq_tol(res->t[v] / t01[v], 1, 1e-12);
        ck_assert_double_eq_tol(res->p[v] / p01[v], 1, 1e-12);
    }
    bract_group_result_free(res);
    bract_group_data_free(d);
}
END_TEST

START_TEST(exhaustive_by_hand)
{
    /* Two adjacent voxels A, B and 3 subjects, values used as they are:
     * A = (1, 2, 3), B = (2, 1, -1).  With S the signed sum and Q the sum
     * of squares, t = S sqrt(2) / sqrt(3Q - S^2) (QA = 14, QB = 6).  The 8
     * flips (signs of subjects 1, 2, 3), S_A, S_B, t_A, t_B:
     *   + + +   6   2    3.4641   0.7559   (the data)
     *   - + +   4  -2    1.1094  -0.7559
     *   + - +   2   0    0.4588   0
     *   - - +   0  -4    0       -4
     *   + + -   0   4    0        4
     *   - + -  -2   0   -0.4588   0
     *   + - -  -4   2   -1.1094   0.7559
     *   - - -  -6  -2   -3.4641  -0.7559
     * greater: maxima of the 7 other flips 1.1094 0.4588 0 4 0 0.7559
     * -0.7559, so p_A = (1 + 1)/8 = 0.25 and p_B = (1 + 3)/8 = 0.5 (the
     * flip + - - ties B exactly and counts);
     * two-sided (max |t|): 1.1094 0.4588 4 4 0.4588 1.1094 3.4641, so
     * p_A = (1 + 3)/8 = 0.5 and p_B = (1 + 5)/8 = 0.75;
     * less (max -t): 0.7559 0 4 0 0.4588 1.1094 3.4641: p_A = p_B = 1. */
    const double x[6] = {1, 2, 2, 1, 3, -1}; /* subject-major: (A, B) per subject */
    bract_group_data *d = data_from(x, 3, 2, 1, 1, BRACT_GROUP_IDENTITY);
    const bract_stats_alternative alts[3] = {BRACT_ALT_GREATER, BRACT_ALT_TWO_SIDED, BRACT_ALT_LESS};
    const double want[3][2] = {{0.25, 0.5}, {0.5, 0.75}, {1, 1}};
    for (int a = 0; a < 3; a++) {
        bract_group_opts o = bract_group_opts_defaults();
        o.alternative = alts[a];
        o.permutations = 8; /* 2^3 <= 8: every flip */
        bract_group_result *res;
        ck_assert_int_eq(bract_group_run(d, &o, NULL, &res), 0);
        ck_assert_int_eq(res->exhaustive, 1);
        ck_assert_uint_eq(res->nperm, 7);
        ck_assert_double_eq_tol(res->t[0], sqrt(12.0), 1e-15);
        ck_assert_double_eq_tol(res->t[1], 2 * sqrt(2.0) / sqrt(14.0), 1e-15);
        for (int v = 0; v < 2; v++)
            ck_assert_double_eq(res->p_fwe[v], want[a][v]);
        bract_group_result_free(res);
    }
    /* 7 flips asked for: fewer than 2^3, so random ones, p on 1/8 steps */
    bract_group_opts o = bract_group_opts_defaults();
    o.permutations = 7;
    bract_group_result *res;
    ck_assert_int_eq(bract_group_run(d, &o, NULL, &res), 0);
    ck_assert_int_eq(res->exhaustive, 0);
    ck_assert_uint_eq(res->nperm, 7);
    for (int v = 0; v < 2; v++) {
        double k = res->p_fwe[v] * 8;
        ck_assert_double_eq(k, floor(k));
        ck_assert(k >= 1 && k <= 8);
    }
    bract_group_result_free(res);
    bract_group_data_free(d);
}
END_TEST

/* p = (1 + #{k : null_k >= s}) / (N + 1) */
static double count_p(const double *null, size_t N, double s)
{
    size_t c = 0;
    for (size_t k = 0; k < N; k++)
        c += null[k] >= s;
    return (double)(1 + c) / (double)(N + 1);
}

START_TEST(exhaustive_brute_force)
{
    /* 6 subjects on a 4x3x2 grid (64 flips, all used): every FWE p against
     * an enumeration written here, t by bract_stats_ttest_1samp on the flipped
     * values, TFCE and clusters by bract/cluster.h (tested on their own).
     * Random values, so no ties decide a count: exact equality. */
    const int64_t nx = 4, ny = 3, nz = 2;
    const size_t nsub = 6, nvox = 24;
    double *x = malloc(nsub * nvox * sizeof *x);
    bract_rng r;
    bract_rng_init(&r, 42, 0, 0);
    for (size_t i = 0; i < nsub * nvox; i++)
        x[i] = 0.6 + bract_rng_normal(&r) + (i % nvox < 8 ? 1.0 : 0.0);
    bract_group_data *d = data_from(x, nsub, nx, ny, nz, BRACT_GROUP_IDENTITY);
    ck_assert_uint_eq(d->n, nvox);
    size_t idx[24];
    for (size_t v = 0; v < nvox; v++)
        idx[v] = v;
    const bract_stats_alternative alts[3] = {BRACT_ALT_GREATER, BRACT_ALT_TWO_SIDED, BRACT_ALT_LESS};
    for (int a = 0; a < 3; a++) {
        bract_group_opts o = bract_group_opts_defaults();
        o.alternative = alts[a];
        o.permutations = 1000;
        o.tfce = 1;
        o.cluster = 1;
        o.cluster_t = 1.5;
        o.connectivity = 18;
        bract_group_result *res;
        ck_assert_int_eq(bract_group_run(d, &o, NULL, &res), 0);
        ck_assert_int_eq(res->exhaustive, 1);
        ck_assert_uint_eq(res->nperm, 63);
        bract_cluster_graph *g;
        ck_assert_int_eq(bract_cluster_graph_new(nx, ny, nz, idx, nvox, 18, &g), 0);
        bract_cluster_ws *ws = NULL;
        bract_cluster_ws_new(g, &ws);
        double nmt[63], nmf[63], nmc[63], t[24], tn[24], tf[24], obs_t[24], obs_tf[24];
        double obs_cl_pos[24], obs_cl_neg[24];
        for (size_t f = 0; f < 64; f++) { /* flip f: subject i negated if bit i */
            for (size_t v = 0; v < nvox; v++) {
                double z[6], p;
                for (size_t s = 0; s < nsub; s++)
                    z[s] = ((f >> s) & 1 ? -1 : 1) * x[s * nvox + v];
                ck_assert_int_eq(bract_stats_ttest_1samp(z, nsub, 0, BRACT_ALT_TWO_SIDED, &t[v], &p), 0);
                tn[v] = -t[v];
            }
            double mt = -INFINITY, m1 = 0, m2 = 0;
            size_t c1 = 0, c2 = 0;
            for (size_t v = 0; v < nvox; v++) {
                double s = alts[a] == BRACT_ALT_GREATER ? t[v]
                           : alts[a] == BRACT_ALT_LESS  ? -t[v]
                                                        : fabs(t[v]);
                mt = s > mt ? s : mt;
            }
            bract_tfce_opts tp;
            bract_tfce_opts_defaults(&tp);
            if (alts[a] != BRACT_ALT_LESS) {
                ck_assert_int_eq(bract_tfce(g, &tp, t, tf, &m1, ws), 0);
                bract_cluster_find(g, t, 1.5, NULL, NULL, &c1, ws);
            }
            if (f == 0)
                for (size_t v = 0; v < nvox; v++) {
                    obs_t[v] = alts[a] == BRACT_ALT_GREATER ? t[v]
                               : alts[a] == BRACT_ALT_LESS  ? -t[v]
                                                            : fabs(t[v]);
                    obs_tf[v] = alts[a] == BRACT_ALT_LESS ? 0 : tf[v];
                }
            if (alts[a] != BRACT_ALT_GREATER) {
                ck_assert_int_eq(bract_tfce(g, &tp, tn, tf, &m2, ws), 0);
                bract_cluster_find(g, tn, 1.5, NULL, NULL, &c2, ws);
                if (f == 0)
                    for (size_t v = 0; v < nvox; v++)
                        obs_tf[v] = t[v] < 0 || alts[a] == BRACT_ALT_LESS ? tf[v] : obs_tf[v];
            }
            if (f == 0) {
                uint32_t lab[24];
                size_t sz[24];
                bract_cluster_find(g, t, 1.5, lab, sz, NULL, ws);
                for (size_t v = 0; v < nvox; v++)
                    obs_cl_pos[v] = lab[v] ? (double)sz[lab[v] - 1] : 0;
                bract_cluster_find(g, tn, 1.5, lab, sz, NULL, ws);
                for (size_t v = 0; v < nvox; v++)
                    obs_cl_neg[v] = lab[v] ? (double)sz[lab[v] - 1] : 0;
                continue;
            }
            nmt[f - 1] = mt;
            nmf[f - 1] = m1 > m2 ? m1 : m2;
            nmc[f - 1] = (double)(c1 > c2 ? c1 : c2);
        }
        for (size_t k = 0; k < 63; k++) {
            ck_assert_double_eq_tol(res->null_max_t[k], nmt[k], 1e-12 * (1 + fabs(nmt[k])));
            ck_assert_double_eq_tol(res->null_max_tfce[k], nmf[k], 1e-10 * (1 + nmf[k]));
            ck_assert_double_eq(res->null_max_cluster[k], nmc[k]);
        }
        for (size_t v = 0; v < nvox; v++) {
            ck_assert_double_eq(res->p_fwe[v], count_p(nmt, 63, obs_t[v]));
            ck_assert_double_eq(res->p_tfce_fwe[v], count_p(nmf, 63, obs_tf[v]));
            ck_assert_double_eq_tol(fabs(res->tfce[v]), obs_tf[v], 1e-10 * (1 + obs_tf[v]));
            /* a voxel's cluster p is that of its cluster's size */
            double sz = 0;
            if (alts[a] != BRACT_ALT_LESS && obs_cl_pos[v] > 0)
                sz = obs_cl_pos[v];
            if (alts[a] != BRACT_ALT_GREATER && obs_cl_neg[v] > 0)
                sz = obs_cl_neg[v];
            if (sz > 0)
                ck_assert_double_eq(res->p_cluster_fwe[v], count_p(nmc, 63, sz));
            else
                ck_assert(isnan(res->p_cluster_fwe[v]));
        }
        ck_assert_int_eq(res->correction, BRACT_CORR_CLUSTER);
        bract_cluster_ws_free(ws);
        bract_cluster_graph_free(g);
        bract_group_result_free(res);
    }
    bract_group_data_free(d);
    free(x);
}
END_TEST

START_TEST(threads_and_seeds)
{
    /* random flips: identical bits for 1 and 2 threads; another seed draws
     * other flips */
    double *x = sphere_maps(3, 9, 8, 7, 9, 4, 4, 3, 2.5, 0.4, 0.5, NULL);
    bract_group_data *d = data_from(x, 9, 9, 8, 7, BRACT_GROUP_FISHER);
    bract_group_result *res[3];
    for (int k = 0; k < 3; k++) {
        bract_group_opts o = bract_group_opts_defaults();
        o.alternative = BRACT_ALT_TWO_SIDED;
        o.permutations = 101; /* < 2^9: random */
        o.tfce = 1;
        o.cluster = 1;
        o.cluster_t = 2.0;
        o.seed = k == 2 ? 99 : 1;
        bract_set_threads(k == 1 ? 2 : 1);
        ck_assert_int_eq(bract_group_run(d, &o, NULL, &res[k]), 0);
        ck_assert_int_eq(res[k]->exhaustive, 0);
    }
    bract_set_threads(0);
    size_t n = d->n, N = 101;
    ck_assert_mem_eq(res[0]->null_max_t, res[1]->null_max_t, N * sizeof(double));
    ck_assert_mem_eq(res[0]->null_max_tfce, res[1]->null_max_tfce, N * sizeof(double));
    ck_assert_mem_eq(res[0]->null_max_cluster, res[1]->null_max_cluster, N * sizeof(double));
    ck_assert_mem_eq(res[0]->p_fwe, res[1]->p_fwe, n * sizeof(double));
    ck_assert_mem_eq(res[0]->p_tfce_fwe, res[1]->p_tfce_fwe, n * sizeof(double));
    ck_assert_int_ne(memcmp(res[0]->null_max_t, res[2]->null_max_t, N * sizeof(double)), 0);
    /* the critical values agree with the p maps: stat > crit <=> p <= alpha */
    for (size_t v = 0; v < n; v++) {
        ck_assert_int_eq(fabs(res[0]->t[v]) > res[0]->crit_t, res[0]->p_fwe[v] <= 0.05);
        ck_assert_int_eq(fabs(res[0]->tfce[v]) > res[0]->crit_tfce, res[0]->p_tfce_fwe[v] <= 0.05);
    }
    for (int k = 0; k < 3; k++)
        bract_group_result_free(res[k]);
    bract_group_data_free(d);
    free(x);
}
END_TEST

static double dice(const unsigned char *truth, const bract_group_data *d, const double *p,
                   double alpha)
{
    size_t nvox = d->geom->nvox, a = 0, b = 0, both = 0;
    unsigned char *sig = calloc(nvox, 1);
    for (size_t i = 0; i < d->n; i++)
        sig[d->vox[i]] = p[i] <= alpha;
    for (size_t v = 0; v < nvox; v++) {
        a += truth[v];
        b += sig[v];
        both += truth[v] && sig[v];
    }
    free(sig);
    return 2.0 * (double)both / (double)(a + b);
}

START_TEST(planted_sphere_recovered)
{
    /* 20x20x20 grid, 12 subjects, a sphere of radius 4 voxels (257 voxels)
     * with Fisher z effect 0.9 over noise of SD 0.3 (d = 3); FWE-corrected
     * maps at 0.05 must overlap the truth with Dice >= 0.8 for max-t, TFCE
     * and cluster extent (cluster-forming p 0.001) */
    unsigned char *truth = malloc(8000);
    double *x = sphere_maps(11, 20, 20, 20, 12, 9.5, 10, 10.5, 4, 0.9, 0.3, truth);
    bract_group_data *d = data_from(x, 12, 20, 20, 20, BRACT_GROUP_FISHER);
    ck_assert_uint_eq(d->n, 8000);
    bract_group_opts o = bract_group_opts_defaults();
    o.permutations = 500;
    o.tfce = 1;
    o.cluster = 1;
    o.cluster_t = bract_stats_t_isf(0.001, 11);
    bract_group_result *res;
    ck_assert_int_eq(bract_group_run(d, &o, NULL, &res), 0);
    double dm = dice(truth, d, res->p_fwe, 0.05), dt = dice(truth, d, res->p_tfce_fwe, 0.05);
    double dc = dice(truth, d, res->p_cluster_fwe, 0.05);
    ck_assert_msg(dm >= 0.8 && dt >= 0.8 && dc >= 0.8, "Dice max-t %.3f, TFCE %.3f, cluster %.3f",
                  dm, dt, dc);
    /* the table: the sphere is the first (largest) cluster, significant,
     * its peak inside the sphere; 1 mm voxels: volume = size */
    ck_assert_uint_ge(res->nclusters, 1);
    const bract_group_cluster *c = &res->clusters[0];
    ck_assert(c->p <= 0.05);
    ck_assert_uint_ge(c->size, 200);
    ck_assert_double_eq(c->volume_mm3, (double)c->size);
    ck_assert(truth[d->vox[c->peak]]);
    ck_assert_double_eq(c->peak_mm[0], (double)c->peak_ijk[0]);
    ck_assert_double_eq(c->peak_t, res->t[c->peak]);
    for (size_t v = 0; v < d->n; v++) {
        if (fabs(res->t[v]) > fabs(c->peak_t))
            ck_assert_uint_ne(res->cluster[v], 1);
    }
    bract_group_result_free(res);
    bract_group_data_free(d);
    free(x);
    free(truth);
}
END_TEST

START_TEST(null_familywise_rate)
{
    /* 200 null simulations (8x8x8 grid, 8 subjects, Fisher z noise, 99
     * random flips, seeds 1..200): the number of simulations with any
     * voxel at FWE p <= 0.05 is Binomial(200, 0.05) for an exact test.
     * scipy.stats.binom: P(X > 21) = 0.00048, P(X <= 1) = 0.0004, so
     * require 2 <= X <= 21 for max-t and TFCE (continuous statistics) and
     * X <= 21 for cluster extent (ties in sizes make it conservative). */
    int fp_t = 0, fp_tfce = 0, fp_cl = 0;
    for (uint64_t sim = 1; sim <= 200; sim++) {
        double *x = sphere_maps(1000 + sim, 8, 8, 8, 8, 0, 0, 0, 0, 0.0, 0.3, NULL);
        bract_group_data *d = data_from(x, 8, 8, 8, 8, BRACT_GROUP_FISHER);
        bract_group_opts o = bract_group_opts_defaults();
        o.permutations = 99;
        o.seed = sim;
        o.tfce = 1;
        o.cluster = 1;
        o.cluster_t = bract_stats_t_isf(0.01, 7);
        bract_group_result *res;
        ck_assert_int_eq(bract_group_run(d, &o, NULL, &res), 0);
        int a = 0, b = 0, c = 0;
        for (size_t v = 0; v < d->n; v++) {
            a |= res->p_fwe[v] <= 0.05;
            b |= res->p_tfce_fwe[v] <= 0.05;
            c |= !isnan(res->p_cluster_fwe[v]) && res->p_cluster_fwe[v] <= 0.05;
        }
        fp_t += a;
        fp_tfce += b;
        fp_cl += c;
        bract_group_result_free(res);
        bract_group_data_free(d);
        free(x);
    }
    ck_assert_msg(fp_t >= 2 && fp_t <= 21, "max-t: %d of 200", fp_t);
    ck_assert_msg(fp_tfce >= 2 && fp_tfce <= 21, "TFCE: %d of 200", fp_tfce);
    ck_assert_msg(fp_cl <= 21, "cluster: %d of 200", fp_cl);
}
END_TEST

START_TEST(exclusions_and_errors)
{
    /* 3 subjects on a 5x1x1 grid: voxel 0 fine, 1 NaN in one subject, 2
     * r = 1 (z infinite), 3 constant, 4 equal magnitudes with mixed signs */
    const double x[15] = {0.1, 0.2, 1.0, 0.3, 0.2, /* subject 1 */
                          0.3, NAN, 0.5, 0.3, -0.2, /* subject 2 */
                          0.4, 0.1, 0.5, 0.3, 0.2}; /* subject 3 */
    bract_group_data *d;
    ck_assert_int_eq(
        bract_group_from_values(x, 3, 5, 1, 1, NULL, NULL, BRACT_GROUP_FISHER, 0, &d), 0);
    ck_assert_uint_eq(d->n, 1);
    ck_assert_uint_eq(d->vox[0], 0);
    ck_assert_uint_eq(d->excluded_nonfinite, 2);
    ck_assert_uint_eq(d->excluded_constant, 1);
    ck_assert_uint_eq(d->excluded_flip, 1);
    const char *const *w;
    size_t nw = bract_take_warnings(&w);
    ck_assert_uint_eq(nw, 3);
    ck_assert(tu_contains(w[0], "2 mask voxels left out because a subject's value is not finite"));
    ck_assert(tu_contains(w[0], "the first at voxel 1,0,0"));
    ck_assert(tu_contains(w[1], "1 mask voxel left out because every subject has the same value"));
    ck_assert(tu_contains(w[2], "same magnitude with mixed signs"));
    bract_group_data_free(d);

    /* |r| > 1 with the Fisher transform */
    const double bad[4] = {0.1, 1.5, 0.2, 0.3};
    ck_assert_int_eq(
        bract_group_from_values(bad, 2, 2, 1, 1, NULL, NULL, BRACT_GROUP_FISHER, 0, &d),
        BRACT_EDATA);
    ck_assert_error_has("subject 1: voxel 1,0,0 holds 1.5, which is not a correlation");
    ck_assert_ptr_null(d);
    ck_assert_int_eq(
        bract_group_from_values(bad, 2, 2, 1, 1, NULL, NULL, BRACT_GROUP_IDENTITY, 0, &d), 0);
    bract_group_data_free(d);
    ck_assert_int_eq(
        bract_group_from_values(bad, 1, 4, 1, 1, NULL, NULL, BRACT_GROUP_IDENTITY, 0, &d),
        BRACT_EINVAL);
    ck_assert_error_has("at least 2 subject maps (got 1)");
    const double allnan[4] = {NAN, NAN, NAN, NAN};
    ck_assert_int_eq(
        bract_group_from_values(allnan, 2, 2, 1, 1, NULL, NULL, BRACT_GROUP_IDENTITY, 0, &d),
        BRACT_EDATA);
    ck_assert_error_has("no voxel left to test: of the 2 mask voxels, 2 have non-finite");
    bract_take_warnings(&w);

    /* options */
    const double ok[6] = {0.1, 0.2, 0.3, 0.5, 0.2, 0.1};
    ck_assert_int_eq(
        bract_group_from_values(ok, 3, 2, 1, 1, NULL, NULL, BRACT_GROUP_IDENTITY, 0, &d), 0);
    bract_group_result *res;
    bract_group_opts o = bract_group_opts_defaults();
    o.connectivity = 4;
    ck_assert_int_eq(bract_group_run(d, &o, NULL, &res), BRACT_EINVAL);
    ck_assert_error_has("connectivity must be 6, 18 or 26 (got 4)");
    o = bract_group_opts_defaults();
    o.cluster = 1;
    o.cluster_t = -1;
    ck_assert_int_eq(bract_group_run(d, &o, NULL, &res), BRACT_EINVAL);
    ck_assert_error_has("cluster-forming threshold must be a positive t");
    o = bract_group_opts_defaults();
    o.tfce = 1;
    o.tfce_params.dh = 0;
    ck_assert_int_eq(bract_group_run(d, &o, NULL, &res), BRACT_EINVAL);
    ck_assert_error_has("TFCE parameters must be positive");
    ck_assert_ptr_null(res);
    bract_group_data_free(d);

    /* near-equal magnitudes: a flip gives a huge t, too many TFCE steps */
    const double near[6] = {0.5, 0.1, -0.5000000000001, 0.2, 0.5, 0.4};
    ck_assert_int_eq(
        bract_group_from_values(near, 3, 2, 1, 1, NULL, NULL, BRACT_GROUP_IDENTITY, 0, &d), 0);
    o = bract_group_opts_defaults();
    o.tfce = 1;
    o.permutations = 100;
    ck_assert_int_eq(bract_group_run(d, &o, NULL, &res), BRACT_EDATA);
    ck_assert_error_has("voxel 0,0,0: the subjects' values have almost equal magnitudes");
    o.tfce = 0; /* max-t copes with an infinite flip */
    ck_assert_int_eq(bract_group_run(d, &o, NULL, &res), 0);
    bract_group_result_free(res);
    bract_group_data_free(d);
}
END_TEST

/* a float32 NIfTI of one or more volumes with the given values */
static void write_vol(const char *path, int64_t nx, int64_t ny, int64_t nz, int64_t nt,
                      double vox, const double *vals)
{
    const int64_t dims[4] = {nx, ny, nz, nt};
    const double vs[3] = {vox, vox, vox};
    bract_volume *v;
    ck_assert_int_eq(bract_volume_new(dims, vs, NULL, 0, BRACT_F32, &v), 0);
    for (size_t i = 0; i < (size_t)(nx * ny * nz * nt); i++)
        bract_volume_set(v, i, vals[i]);
    ck_assert_int_eq(bract_volume_write(v, path, NULL), 0);
    bract_volume_free(v);
}

START_TEST(read_files)
{
    char *dir = tu_tmpdir();
    char *m1 = tu_join(dir, "s1.nii.gz"), *m2 = tu_join(dir, "s2.nii"),
         *m3 = tu_join(dir, "s3.nii.gz"), *mask = tu_join(dir, "mask.nii.gz"),
         *four = tu_join(dir, "four.nii.gz"), *other = tu_join(dir, "other.nii.gz"),
         *big = tu_join(dir, "bigvox.nii.gz");
    const double a[8] = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8};
    const double b[8] = {0.2, 0.1, 0.5, 0.3, 0.1, 0.9, 0.6, 0.7};
    const double c[8] = {0.3, 0.3, 0.1, 0.2, 0.4, 0.2, 0.2, 0.1};
    const double mk[8] = {1, 1, 0, 1, 1, 1, 1, 0};
    write_vol(m1, 2, 2, 2, 1, 2.0, a);
    write_vol(m2, 2, 2, 2, 1, 2.0, b);
    write_vol(m3, 2, 2, 2, 1, 2.0, c);
    write_vol(mask, 2, 2, 2, 1, 2.0, mk);
    double ab[16];
    memcpy(ab, a, sizeof a);
    memcpy(ab + 8, b, sizeof b);
    write_vol(four, 2, 2, 2, 2, 2.0, ab);
    write_vol(other, 2, 2, 1, 1, 2.0, a);
    write_vol(big, 2, 2, 2, 1, 3.0, a);

    const char *maps[3] = {m1, m2, m3};
    bract_group_data *d;
    ck_assert_int_eq(bract_group_read(maps, 3, mask, BRACT_GROUP_FISHER, 0, &d), 0);
    ck_assert_uint_eq(d->nmask, 6);
    ck_assert_uint_eq(d->n, 6);
    ck_assert_uint_eq(d->vox[2], 3);
    /* float32 on disk: z = atanh((float)r) */
    ck_assert_double_eq(d->y[1 * 6 + 2], atanh((double)(float)0.3));
    ck_assert_double_eq(d->geom->vox_mm[0], 2.0);
    ck_assert_ptr_null(d->geom->data);
    /* maps on the mask's grid, NaN outside */
    bract_group_opts o = bract_group_opts_defaults();
    bract_group_result *res;
    ck_assert_int_eq(bract_group_run(d, &o, NULL, &res), 0);
    bract_volume *v;
    ck_assert_int_eq(bract_group_volume(d, res->t, NAN, &v), 0);
    ck_assert(isnan(bract_volume_get(v, 2)));
    ck_assert_double_eq(bract_volume_get(v, 3), (double)(float)res->t[2]);
    bract_volume_free(v);
    /* the cluster table's volume is in mm^3 (2 mm voxels: 8 each) */
    for (size_t i = 0; i < res->nclusters; i++)
        ck_assert_double_eq(res->clusters[i].volume_mm3, 8.0 * (double)res->clusters[i].size);
    bract_group_result_free(res);
    bract_group_data_free(d);

    const char *one[1] = {m1};
    ck_assert_int_eq(bract_group_read(one, 1, mask, BRACT_GROUP_FISHER, 0, &d), BRACT_EINVAL);
    ck_assert_error_has("at least 2 subject maps (got 1)");
    const char *with4[3] = {m1, four, m3};
    ck_assert_int_eq(bract_group_read(with4, 3, mask, BRACT_GROUP_FISHER, 0, &d), BRACT_EDATA);
    ck_assert_error_has("four.nii.gz: is 4-D (2 volumes); give one 3-D map per subject");
    const char *grid[3] = {m1, m2, other};
    ck_assert_int_eq(bract_group_read(grid, 3, mask, BRACT_GROUP_FISHER, 0, &d), BRACT_EDATA);
    ck_assert_error_has("are on different grids: 2x2x2 voxels vs 2x2x1");
    ck_assert_error_has("other.nii.gz");
    const char *aff[3] = {m1, big, m3};
    ck_assert_int_eq(bract_group_read(aff, 3, mask, BRACT_GROUP_FISHER, 0, &d), BRACT_EDATA);
    ck_assert_error_has("affines differ");
    ck_assert_int_eq(bract_group_read(maps, 3, other, BRACT_GROUP_FISHER, 0, &d), BRACT_EDATA);
    ck_assert_error_has("different grids");
    ck_assert_int_eq(bract_group_read(maps, 3, four, BRACT_GROUP_FISHER, 0, &d), BRACT_EDATA);
    ck_assert_error_has("a mask must be 3-D");
    const char *twice[3] = {m1, m2, m1};
    ck_assert_int_eq(bract_group_read(twice, 3, mask, BRACT_GROUP_FISHER, 0, &d), 0);
    const char *const *w;
    ck_assert_uint_ge(bract_take_warnings(&w), 1);
    ck_assert(tu_contains(w[0], "s1.nii.gz is given twice (maps 1 and 3)"));
    bract_group_data_free(d);

    char *paths[] = {m1, m2, m3, mask, four, other, big};
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        unlink(paths[i]);
        free(paths[i]);
    }
    tu_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(atlas_labels)
{
    /* a 4x1x1 grid, two effects; an atlas names voxel 0 "left" and 3
     * "right" and leaves 1-2 unlabelled */
    const int64_t dims[4] = {4, 1, 1, 1};
    const double vs[3] = {1, 1, 1};
    bract_volume *av;
    ck_assert_int_eq(bract_volume_new(dims, vs, NULL, 0, BRACT_F64, &av), 0);
    bract_volume_set(av, 0, 1);
    bract_volume_set(av, 3, 2);
    bract_atlas *at;
    ck_assert_int_eq(bract_atlas_from_volume(av, NULL, NULL, &at), 0);
    double x[4 * 5];
    bract_rng r;
    bract_rng_init(&r, 5, 0, 0);
    for (size_t s = 0; s < 5; s++)
        for (size_t v = 0; v < 4; v++)
            x[s * 4 + v] = (v == 0 || v == 3 ? 2.0 : 0.0) + 0.3 * bract_rng_normal(&r);
    bract_group_data *d = data_from(x, 5, 4, 1, 1, BRACT_GROUP_IDENTITY);
    bract_group_opts o = bract_group_opts_defaults();
    o.atlas = at;
    o.cluster = 1;
    o.cluster_t = 3.0;
    bract_group_result *res;
    ck_assert_int_eq(bract_group_run(d, &o, NULL, &res), 0);
    ck_assert_uint_eq(res->nclusters, 2);
    ck_assert_int_eq(res->correction, BRACT_CORR_CLUSTER_NONE);
    for (size_t i = 0; i < 2; i++) {
        const bract_group_cluster *c = &res->clusters[i];
        ck_assert_uint_eq(c->size, 1);
        ck_assert(isnan(c->p));
        ck_assert_str_eq(c->label, c->peak == 0 ? "1" : "2");
        ck_assert_uint_eq(res->cluster[c->peak], i + 1);
    }
    /* clusters sorted by |peak t| among equal sizes */
    ck_assert(fabs(res->clusters[0].peak_t) >= fabs(res->clusters[1].peak_t));
    bract_group_result_free(res);
    /* an atlas on another grid is refused before any work */
    bract_volume *small;
    const int64_t dims3[4] = {3, 1, 1, 1};
    ck_assert_int_eq(bract_volume_new(dims3, vs, NULL, 0, BRACT_F64, &small), 0);
    bract_volume_set(small, 0, 1);
    bract_atlas *at3;
    ck_assert_int_eq(bract_atlas_from_volume(small, NULL, NULL, &at3), 0);
    o.atlas = at3;
    ck_assert_int_eq(bract_group_run(d, &o, NULL, &res), BRACT_EDATA);
    ck_assert_error_has("the atlas grid (3x1x1) differs from the maps' (4x1x1)");
    ck_assert_ptr_null(res);
    bract_atlas_free(at3);
    bract_volume_free(small);
    bract_group_data_free(d);
    bract_atlas_free(at);
    bract_volume_free(av);
}
END_TEST

START_TEST(fixture_vs_scipy)
{
    /* testdata/group: six nibabel float32 correlation maps; scipy's
     * ttest_1samp of numpy.arctanh at each tested voxel and statsmodels'
     * fdr_bh (expected.tsv, made by make.py): relative 1e-12 */
    const char *maps[6];
    char names[6][64];
    for (int s = 0; s < 6; s++) {
        snprintf(names[s], sizeof names[s], TESTDATA "/group/sub-%02d_r.nii.gz", s + 1);
        maps[s] = names[s];
    }
    bract_group_data *d;
    ck_assert_int_eq(bract_group_read(maps, 6, TESTDATA "/group/mask.nii.gz", BRACT_GROUP_FISHER,
                                      0, &d),
                     0);
    const char *const *w;
    ck_assert_uint_eq(bract_take_warnings(&w), 1);
    ck_assert(tu_contains(w[0], "the first at voxel 4,3,2"));
    ck_assert_uint_eq(d->nmask, 115);
    ck_assert_uint_eq(d->n, 114);
    ck_assert_uint_eq(d->excluded_nonfinite, 1);
    bract_table *t;
    ck_assert_int_eq(bract_table_read(TESTDATA "/group/expected.tsv", &t), 0);
    ck_assert_uint_eq(t->nrows, 114);
    for (int a = 0; a < 2; a++) {
        bract_group_opts o = bract_group_opts_defaults();
        o.alternative = a ? BRACT_ALT_TWO_SIDED : BRACT_ALT_GREATER;
        bract_group_result *res;
        ck_assert_int_eq(bract_group_run(d, &o, NULL, &res), 0);
        for (size_t row = 0; row < t->nrows; row++) {
            double e[8];
            for (size_t c = 0; c < 8; c++)
                ck_assert_int_eq(bract_table_double(t, row, c, &e[c]), 0);
            size_t v = (size_t)(e[0] + 6 * (e[1] + 5 * e[2]));
            ck_assert_uint_eq(d->vox[row], v); /* same order: x fastest */
            ck_assert_double_eq_tol(res->mean[row], e[3], 1e-12 * fabs(e[3]) + 1e-15);
            ck_assert_double_eq_tol(res->t[row] / e[4], 1, 1e-12);
            ck_assert_double_eq_tol(res->p[row] / e[a ? 6 : 5], 1, 1e-12);
            if (!a)
                ck_assert_double_eq_tol(res->p_fdr[row] / e[7], 1, 1e-12);
        }
        bract_group_result_free(res);
    }
    bract_table_free(t);
    bract_group_data_free(d);
}
END_TEST

/* Run the one-sided (greater) and two-sided tests on d and compare every
 * tested voxel with a scipy table (i, j, k, mean, t, p greater, p
 * two-sided on the 6x5x4 fixture grid): relative 1e-12.  nperm
 * permutations run too, so the permutation path is exercised. */
static void assert_matches_scipy(const bract_group_data *d, const char *expected, double df,
                                 size_t nperm)
{
    bract_table *t;
    ck_assert_int_eq(bract_table_read(expected, &t), 0);
    ck_assert_uint_eq(d->n, t->nrows);
    for (int alt = 0; alt < 2; alt++) {
        bract_group_opts o = bract_group_opts_defaults();
        o.alternative = alt ? BRACT_ALT_TWO_SIDED : BRACT_ALT_GREATER;
        o.permutations = nperm;
        bract_group_result *res;
        ck_assert_int_eq(bract_group_run(d, &o, NULL, &res), 0);
        ck_assert_double_eq(res->df, df);
        ck_assert_uint_eq(res->nperm, nperm);
        for (size_t row = 0; row < t->nrows; row++) {
            double e[7];
            for (size_t c = 0; c < 7; c++)
                ck_assert_int_eq(bract_table_double(t, row, c, &e[c]), 0);
            ck_assert_uint_eq(d->vox[row], (size_t)(e[0] + 6 * (e[1] + 5 * e[2])));
            ck_assert_double_eq_tol(res->mean[row], e[3], 1e-12 * fabs(e[3]) + 1e-15);
            ck_assert_double_eq_tol(res->t[row] / e[4], 1, 1e-12);
            ck_assert_double_eq_tol(res->p[row] / e[alt ? 6 : 5], 1, 1e-12);
        }
        bract_group_result_free(res);
    }
    bract_table_free(t);
}

START_TEST(paired_fixture_vs_scipy)
{
    /* testdata/group: the six maps of make.py minus their second-condition
     * maps sub-0N_r_b (make_paired.py); scipy's ttest_rel of the Fisher z
     * values (expected_paired.tsv): relative 1e-12.  Subject 5's second map
     * is NaN at voxel 0,2,1 and subject 3's first at 4,3,2. */
    const char *maps[6], *versus[6];
    char names[12][64];
    for (int s = 0; s < 6; s++) {
        snprintf(names[s], sizeof names[s], TESTDATA "/group/sub-%02d_r.nii.gz", s + 1);
        snprintf(names[6 + s], sizeof names[6 + s], TESTDATA "/group/sub-%02d_r_b.nii.gz", s + 1);
        maps[s] = names[s];
        versus[s] = names[6 + s];
    }
    bract_group_data *d;
    ck_assert_msg(bract_group_read_paired(maps, versus, 6, TESTDATA "/group/mask.nii.gz",
                                          BRACT_GROUP_FISHER, 0, &d) == 0,
                  "%s", bract_last_error());
    const char *const *w;
    ck_assert_uint_eq(bract_take_warnings(&w), 1);
    ck_assert(tu_contains(w[0], "2 mask voxels left out"));
    ck_assert(tu_contains(w[0], "the first at voxel 0,2,1"));
    ck_assert_int_eq(d->paired, 1);
    ck_assert_uint_eq(d->n, 113);
    assert_matches_scipy(d, TESTDATA "/group/expected_paired.tsv", 5, 0);
    bract_group_data_free(d);

    /* a subject whose two maps are the same file, and no second list */
    versus[2] = maps[2];
    ck_assert_int_eq(bract_group_read_paired(maps, versus, 6, TESTDATA "/group/mask.nii.gz",
                                             BRACT_GROUP_FISHER, 0, &d),
                     BRACT_EINVAL);
    ck_assert_error_has("subject 3: ");
    ck_assert_error_has("is both conditions of the pair");
    ck_assert_int_eq(bract_group_read_paired(maps, NULL, 6, TESTDATA "/group/mask.nii.gz",
                                             BRACT_GROUP_FISHER, 0, &d),
                     BRACT_EINVAL);
    /* the second condition's maps are checked as the first's */
    versus[2] = TESTDATA "/group/bad_range.nii.gz";
    ck_assert_int_eq(bract_group_read_paired(maps, versus, 6, TESTDATA "/group/mask.nii.gz",
                                             BRACT_GROUP_FISHER, 0, &d),
                     BRACT_EDATA);
    ck_assert_error_has("bad_range.nii.gz: voxel");
    ck_assert_error_has("which is not a correlation");
}
END_TEST

/* Pooled-variance two-sample t of a (na values) against b (nb), two-pass,
 * written here as the brute force's independent reference. */
static double pooled_t(const double *a, size_t na, const double *b, size_t nb)
{
    double ma = 0, mb = 0, ss = 0;
    for (size_t i = 0; i < na; i++)
        ma += a[i];
    for (size_t i = 0; i < nb; i++)
        mb += b[i];
    ma /= (double)na;
    mb /= (double)nb;
    for (size_t i = 0; i < na; i++)
        ss += (a[i] - ma) * (a[i] - ma);
    for (size_t i = 0; i < nb; i++)
        ss += (b[i] - mb) * (b[i] - mb);
    double var = ss / (double)(na + nb - 2);
    return (ma - mb) / sqrt(var * (1.0 / (double)na + 1.0 / (double)nb));
}

START_TEST(two_sample_fixture_vs_scipy)
{
    /* testdata/group: the six first maps against the second maps of
     * subjects 1-4 as independent groups; scipy's pooled ttest_ind of the
     * Fisher z values (expected_two_sample.tsv, make_paired.py): relative
     * 1e-12, 8 degrees of freedom */
    const char *a[6], *b[4];
    char names[10][64];
    for (int s = 0; s < 6; s++) {
        snprintf(names[s], sizeof names[s], TESTDATA "/group/sub-%02d_r.nii.gz", s + 1);
        a[s] = names[s];
    }
    for (int s = 0; s < 4; s++) {
        snprintf(names[6 + s], sizeof names[6 + s], TESTDATA "/group/sub-%02d_r_b.nii.gz", s + 1);
        b[s] = names[6 + s];
    }
    bract_group_data *d;
    ck_assert_msg(bract_group_read_two_sample(a, 6, b, 4, TESTDATA "/group/mask.nii.gz",
                                              BRACT_GROUP_FISHER, 0, &d) == 0,
                  "%s", bract_last_error());
    const char *const *w;
    ck_assert_uint_eq(bract_take_warnings(&w), 1);
    ck_assert_uint_eq(d->n1, 6);
    ck_assert_uint_eq(d->nsub, 10);
    /* 50 random relabellings (C(10, 6) = 210 > 50) */
    assert_matches_scipy(d, TESTDATA "/group/expected_two_sample.tsv", 8, 50);
    bract_group_data_free(d);
    /* a group of none */
    ck_assert_int_eq(bract_group_read_two_sample(a, 6, b, 0, TESTDATA "/group/mask.nii.gz",
                                                 BRACT_GROUP_FISHER, 0, &d),
                     BRACT_EINVAL);
    ck_assert_error_has("at least one map in each group");
}
END_TEST

START_TEST(two_sample_exhaustive_brute_force)
{
    /* 5 + 4 subjects on a 4x3x2 grid: C(9,5) = 126 relabellings, all used.
     * Every max-t FWE p against an enumeration of the 5-subsets written
     * here (pooled_t), for both tails and two-sided; then threads 1 and 2
     * give the same random relabellings. */
    const int64_t nx = 4, ny = 3, nz = 2;
    const size_t n1 = 5, n2 = 4, nsub = 9, nvox = 24;
    double *x = malloc(nsub * nvox * sizeof *x);
    bract_rng r;
    bract_rng_init(&r, 7, 0, 0);
    for (size_t i = 0; i < nsub * nvox; i++)
        x[i] = bract_rng_normal(&r) + (i / nvox < n1 && i % nvox < 6 ? 1.5 : 0.0);
    bract_group_data *d;
    ck_assert_int_eq(bract_group_from_values_two_sample(x, n1, n2, nx, ny, nz, NULL, NULL,
                                                        BRACT_GROUP_IDENTITY, 0, &d),
                     0);
    ck_assert_uint_eq(d->n, nvox);
    const bract_stats_alternative alts[3] = {BRACT_ALT_GREATER, BRACT_ALT_TWO_SIDED, BRACT_ALT_LESS};
    for (int a = 0; a < 3; a++) {
        bract_group_opts o = bract_group_opts_defaults();
        o.alternative = alts[a];
        o.permutations = 1000;
        bract_group_result *res;
        ck_assert_int_eq(bract_group_run(d, &o, NULL, &res), 0);
        ck_assert_int_eq(res->exhaustive, 1);
        ck_assert_uint_eq(res->nperm, 125);
        double maxima[126], obs[24];
        size_t m = 0;
        for (unsigned mask = 0; mask < 512; mask++) {
            if (__builtin_popcount(mask) != (int)n1)
                continue;
            double mt = -INFINITY;
            for (size_t v = 0; v < nvox; v++) {
                double ga[9], gb[9];
                size_t ia = 0, ib = 0;
                for (size_t s = 0; s < nsub; s++) {
                    if (mask >> s & 1)
                        ga[ia++] = x[s * nvox + v];
                    else
                        gb[ib++] = x[s * nvox + v];
                }
                double t = pooled_t(ga, ia, gb, ib);
                double st = alts[a] == BRACT_ALT_GREATER ? t
                            : alts[a] == BRACT_ALT_LESS  ? -t
                                                         : fabs(t);
                if (mask == 0x1f) {
                    obs[v] = st;
                    ck_assert_double_eq_tol(res->t[v], t, 1e-12 * fabs(t));
                }
                mt = st > mt ? st : mt;
            }
            maxima[m++] = mt;
        }
        ck_assert_uint_eq(m, 126);
        for (size_t v = 0; v < nvox; v++) {
            size_t ge = 0;
            for (size_t k = 0; k < m; k++)
                ge += maxima[k] >= obs[v] - 1e-12 * fabs(obs[v]);
            ck_assert_msg(res->p_fwe[v] == (double)ge / 126.0, "tail %d voxel %zu: %g vs %g", a,
                          v, res->p_fwe[v], (double)ge / 126.0);
        }
        bract_group_result_free(res);
    }
    /* random relabellings: the same for any thread count, different seeds differ */
    bract_group_opts o = bract_group_opts_defaults();
    o.permutations = 100;
    o.tfce = 1;
    bract_group_result *r1, *r2, *r3;
    bract_set_threads(1);
    ck_assert_int_eq(bract_group_run(d, &o, NULL, &r1), 0);
    bract_set_threads(2);
    ck_assert_int_eq(bract_group_run(d, &o, NULL, &r2), 0);
    o.seed = 2;
    ck_assert_int_eq(bract_group_run(d, &o, NULL, &r3), 0);
    bract_set_threads(0);
    ck_assert_int_eq(r1->exhaustive, 0);
    ck_assert(memcmp(r1->null_max_t, r2->null_max_t, 100 * sizeof(double)) == 0);
    ck_assert(memcmp(r1->null_max_tfce, r2->null_max_tfce, 100 * sizeof(double)) == 0);
    ck_assert(memcmp(r1->null_max_t, r3->null_max_t, 100 * sizeof(double)) != 0);
    bract_group_result_free(r1);
    bract_group_result_free(r2);
    bract_group_result_free(r3);
    bract_group_data_free(d);
    free(x);
}
END_TEST

START_TEST(two_sample_null_familywise_rate)
{
    /* 200 null simulations (8x8x8 grid, 6 + 6 subjects of Fisher z noise,
     * 99 random relabellings, seeds 1..200): as for sign flips, the
     * simulations with any voxel at FWE p <= 0.05 must number 2..21
     * (Binomial(200, 0.05), two-sided 0.001) for max-t and TFCE. */
    int fp_t = 0, fp_tfce = 0;
    for (uint64_t sim = 1; sim <= 200; sim++) {
        double *x = sphere_maps(5000 + sim, 8, 8, 8, 12, 0, 0, 0, 0, 0.0, 0.3, NULL);
        bract_group_data *d;
        ck_assert_int_eq(bract_group_from_values_two_sample(x, 6, 6, 8, 8, 8, NULL, NULL,
                                                            BRACT_GROUP_FISHER, 0, &d),
                         0);
        bract_group_opts o = bract_group_opts_defaults();
        o.permutations = 99;
        o.seed = sim;
        o.tfce = 1;
        bract_group_result *res;
        ck_assert_int_eq(bract_group_run(d, &o, NULL, &res), 0);
        int a = 0, b = 0;
        for (size_t v = 0; v < d->n; v++) {
            a |= res->p_fwe[v] <= 0.05;
            b |= res->p_tfce_fwe[v] <= 0.05;
        }
        fp_t += a;
        fp_tfce += b;
        bract_group_result_free(res);
        bract_group_data_free(d);
        free(x);
    }
    ck_assert_msg(fp_t >= 2 && fp_t <= 21, "max-t: %d of 200", fp_t);
    ck_assert_msg(fp_tfce >= 2 && fp_tfce <= 21, "TFCE: %d of 200", fp_tfce);
}
END_TEST

START_TEST(enum_names)
{
    const bract_group_transform tr[] = {BRACT_GROUP_FISHER, BRACT_GROUP_IDENTITY};
    for (int i = 0; i < 2; i++) {
        bract_group_transform t = (bract_group_transform)-1;
        ck_assert_int_eq(bract_group_transform_parse(bract_group_transform_name(tr[i]), &t), 0);
        ck_assert_int_eq(t, tr[i]);
    }
    bract_group_transform t = BRACT_GROUP_FISHER;
    ck_assert_str_eq(bract_group_transform_name(BRACT_GROUP_IDENTITY), "none");
    ck_assert_int_eq(bract_group_transform_parse("identity", &t), 0);
    ck_assert_int_eq(t, BRACT_GROUP_IDENTITY);
    ck_assert_int_eq(bract_group_transform_parse("log", &t), BRACT_EINVAL);
    ck_assert_str_eq(bract_last_error(), "unknown transform 'log' (expected one of fisher, none)");

    const bract_group_design de[] = {BRACT_GROUP_ONE_SAMPLE, BRACT_GROUP_PAIRED,
                                     BRACT_GROUP_TWO_SAMPLE};
    const char *names[] = {"one-sample", "paired", "two-sample"};
    for (int i = 0; i < 3; i++) {
        bract_group_design d = (bract_group_design)-1;
        ck_assert_str_eq(bract_group_design_name(de[i]), names[i]);
        ck_assert_int_eq(bract_group_design_parse(names[i], &d), 0);
        ck_assert_int_eq(d, de[i]);
    }
    bract_group_design d;
    ck_assert_int_eq(bract_group_design_parse("three-sample", &d), BRACT_EINVAL);
    ck_assert_error_has("unknown design 'three-sample' (expected one of one-sample, paired, "
                        "two-sample)");
    ck_assert_str_eq(bract_group_design_name((bract_group_design)9), "unknown");

    /* the design of data from each reader */
    const double x[8] = {0.1, 0.2, 0.3, 0.4, 0.2, 0.1, 0.5, 0.3};
    bract_group_data *g;
    ck_assert_int_eq(bract_group_from_values(x, 4, 2, 1, 1, NULL, NULL, BRACT_GROUP_FISHER, 0, &g),
                     0);
    ck_assert_int_eq(bract_group_data_design(g), BRACT_GROUP_ONE_SAMPLE);
    bract_group_data_free(g);
    ck_assert_int_eq(bract_group_from_values_two_sample(x, 2, 2, 2, 1, 1, NULL, NULL,
                                                        BRACT_GROUP_FISHER, 0, &g),
                     0);
    ck_assert_int_eq(bract_group_data_design(g), BRACT_GROUP_TWO_SAMPLE);
    bract_group_data_free(g);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("group");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, t_map_direct_and_scipy);
    tcase_add_test(tc, exhaustive_by_hand);
    tcase_add_test(tc, exhaustive_brute_force);
    tcase_add_test(tc, threads_and_seeds);
    tcase_add_test(tc, planted_sphere_recovered);
    tcase_add_test(tc, null_familywise_rate);
    tcase_add_test(tc, exclusions_and_errors);
    tcase_add_test(tc, read_files);
    tcase_add_test(tc, atlas_labels);
    tcase_add_test(tc, fixture_vs_scipy);
    tcase_add_test(tc, paired_fixture_vs_scipy);
    tcase_add_test(tc, two_sample_fixture_vs_scipy);
    tcase_add_test(tc, two_sample_exhaustive_brute_force);
    tcase_add_test(tc, two_sample_null_familywise_rate);
    tcase_add_test(tc, enum_names);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
