/* Unit tests of bract/cluster.h: neighbourhood graphs, clusters at a
 * threshold and TFCE, against CoSMoMVPA's documented example, hand-computed
 * cases and a direct (re-cluster at every threshold) implementation written
 * here from the definition. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- a direct implementation from coordinates, independent of the graph ---- */

static int adjacent(int64_t a, int64_t b, int64_t nx, int64_t ny, int conn)
{
    int64_t ax = a % nx, ay = (a / nx) % ny, az = a / (nx * ny);
    int64_t bx = b % nx, by = (b / nx) % ny, bz = b / (nx * ny);
    int64_t dx = llabs(ax - bx), dy = llabs(ay - by), dz = llabs(az - bz);
    if (dx > 1 || dy > 1 || dz > 1 || (dx + dy + dz) == 0)
        return 0;
    int64_t m = dx + dy + dz;
    return conn == 26 || (conn == 18 && m <= 2) || (conn == 6 && m == 1);
}

/* Cluster labels (1.., by first node) of nodes with in[i], by flood fill. */
static size_t naive_label(const size_t *idx, size_t n, const int *in, int64_t nx, int64_t ny,
                          int conn, int *lab)
{
    size_t ncl = 0;
    size_t *stack = malloc(n * sizeof *stack);
    for (size_t i = 0; i < n; i++)
        lab[i] = 0;
    for (size_t s = 0; s < n; s++) {
        if (!in[s] || lab[s])
            continue;
        lab[s] = (int)++ncl;
        size_t top = 0;
        stack[top++] = s;
        while (top) {
            size_t v = stack[--top];
            for (size_t u = 0; u < n; u++)
                if (in[u] && !lab[u] && adjacent((int64_t)idx[v], (int64_t)idx[u], nx, ny, conn)) {
                    lab[u] = (int)ncl;
                    stack[top++] = u;
                }
        }
    }
    free(stack);
    return ncl;
}

/* CoSMoMVPA's loop: thr = 0; repeat thr += dh; cluster {x >= thr}; add. */
static void naive_tfce(const size_t *idx, size_t n, const double *x, int64_t nx, int64_t ny,
                       int conn, double E, double H, double dh, double *out)
{
    int *in = malloc(n * sizeof *in), *lab = malloc(n * sizeof *lab);
    size_t *sz = malloc((n + 1) * sizeof *sz);
    for (size_t i = 0; i < n; i++)
        out[i] = 0;
    double thr = 0;
    for (;;) {
        thr = thr + dh;
        int any = 0;
        for (size_t i = 0; i < n; i++)
            any |= in[i] = x[i] >= thr;
        if (!any)
            break;
        size_t ncl = naive_label(idx, n, in, nx, ny, conn, lab);
        for (size_t c = 0; c <= ncl; c++)
            sz[c] = 0;
        for (size_t i = 0; i < n; i++)
            sz[lab[i]]++;
        for (size_t i = 0; i < n; i++)
            if (lab[i])
                out[i] += pow((double)sz[lab[i]], E) * pow(thr, H) * dh;
    }
    free(in);
    free(lab);
    free(sz);
}

/* a random mask of about `frac` of an nx x ny x nz grid */
static size_t random_mask(unsigned seed, int64_t nx, int64_t ny, int64_t nz, double frac,
                          size_t *idx)
{
    bract_rng r;
    bract_rng_init(&r, seed, 0, 0);
    size_t n = 0;
    for (int64_t v = 0; v < nx * ny * nz; v++)
        if (bract_rng_uniform(&r) < frac)
            idx[n++] = (size_t)v;
    return n;
}

/* ---- graphs ---- */

START_TEST(graph_degrees)
{
    /* full 3x3x3 grid: the centre has 6/18/26 neighbours, a corner 3/6/7,
     * an edge centre 4/9/11, a face centre 5/13/17 */
    size_t idx[27];
    for (size_t i = 0; i < 27; i++)
        idx[i] = i;
    const int conns[3] = {6, 18, 26};
    const size_t centre[3] = {6, 18, 26}, corner[3] = {3, 6, 7}, edge[3] = {4, 9, 11},
                 face[3] = {5, 13, 17};
    for (int c = 0; c < 3; c++) {
        bract_cluster_graph *g;
        ck_assert_int_eq(bract_cluster_graph_new(3, 3, 3, idx, 27, conns[c], &g), 0);
        ck_assert_uint_eq(g->off[13 + 1] - g->off[13], centre[c]);
        ck_assert_uint_eq(g->off[1] - g->off[0], corner[c]);
        ck_assert_uint_eq(g->off[2] - g->off[1], edge[c]);   /* (1,0,0) */
        ck_assert_uint_eq(g->off[5] - g->off[4], face[c]);   /* (1,1,0) */
        for (size_t i = 0; i < 27; i++)
            for (size_t e = g->off[i]; e < g->off[i + 1]; e++) {
                ck_assert(adjacent((int64_t)i, g->nbr[e], 3, 3, conns[c]));
                if (e > g->off[i])
                    ck_assert_uint_lt(g->nbr[e - 1], g->nbr[e]);
            }
        bract_cluster_graph_free(g);
    }
    /* masked: only listed voxels are nodes; the grid does not wrap in x */
    size_t two[2] = {2, 3}; /* (2,0,0) and (0,1,0) on a 3x3x1 grid: not adjacent */
    bract_cluster_graph *g;
    ck_assert_int_eq(bract_cluster_graph_new(3, 3, 1, two, 2, 26, &g), 0);
    ck_assert_uint_eq(g->off[2], 0);
    bract_cluster_graph_free(g);
}
END_TEST

START_TEST(graph_errors)
{
    size_t idx[3] = {0, 5, 4};
    bract_cluster_graph *g;
    ck_assert_int_eq(bract_cluster_graph_new(3, 3, 1, idx, 3, 26, &g), BRACT_EINVAL);
    ck_assert_error_has("strictly ascending");
    ck_assert_ptr_null(g);
    ck_assert_int_eq(bract_cluster_graph_new(3, 3, 1, idx, 2, 8, &g), BRACT_EINVAL);
    ck_assert_error_has("connectivity must be 6, 18 or 26 (got 8)");
    size_t out_of_grid[1] = {9};
    ck_assert_int_eq(bract_cluster_graph_new(3, 3, 1, out_of_grid, 1, 6, &g), BRACT_EINVAL);
    ck_assert_error_has("inside the 9-voxel grid");
}
END_TEST

/* ---- clusters ---- */

START_TEST(clusters_small)
{
    /* a 4x3x1 slab:
     *   y=0: 5 5 0 1
     *   y=1: 0 0 0 1
     *   y=2: 2 0 3 0
     * at thr 1 with 6-connectivity: {0,1}, {3,7}, {8}, {10}; with 26
     * (= 8 in a plane), (3,0)-(3,1) stay one and (2,2) touches (3,1): 3 */
    size_t idx[12];
    for (size_t i = 0; i < 12; i++)
        idx[i] = i;
    const double x[12] = {5, 5, 0, 1, 0, 0, 0, 1, 2, 0, 3, 0};
    bract_cluster_graph *g6, *g26;
    ck_assert_int_eq(bract_cluster_graph_new(4, 3, 1, idx, 12, 6, &g6), 0);
    ck_assert_int_eq(bract_cluster_graph_new(4, 3, 1, idx, 12, 26, &g26), 0);
    bract_cluster_ws *ws = NULL;
    bract_cluster_ws_new(g26, &ws);
    uint32_t lab[12];
    size_t size[12], mx;
    ck_assert_uint_eq(bract_cluster_find(g6, x, 1.0, lab, size, &mx, ws), 4);
    const uint32_t want6[12] = {1, 1, 0, 2, 0, 0, 0, 2, 3, 0, 4, 0};
    for (int i = 0; i < 12; i++)
        ck_assert_uint_eq(lab[i], want6[i]);
    ck_assert_uint_eq(size[0], 2);
    ck_assert_uint_eq(size[1], 2);
    ck_assert_uint_eq(mx, 2);
    ck_assert_uint_eq(bract_cluster_find(g26, x, 1.0, lab, size, &mx, ws), 3);
    const uint32_t want26[12] = {1, 1, 0, 2, 0, 0, 0, 2, 3, 0, 2, 0};
    for (int i = 0; i < 12; i++)
        ck_assert_uint_eq(lab[i], want26[i]);
    ck_assert_uint_eq(size[1], 3);
    ck_assert_uint_eq(mx, 3);
    /* counts only; threshold is inclusive (>=) */
    ck_assert_uint_eq(bract_cluster_find(g26, x, 5.0, NULL, NULL, &mx, ws), 1);
    ck_assert_uint_eq(mx, 2);
    ck_assert_uint_eq(bract_cluster_find(g26, x, 5.5, NULL, NULL, &mx, ws), 0);
    ck_assert_uint_eq(mx, 0);
    bract_cluster_ws_free(ws);
    bract_cluster_graph_free(g6);
    bract_cluster_graph_free(g26);
}
END_TEST

START_TEST(clusters_random_vs_flood_fill)
{
    /* exact agreement of labels with a flood fill, random masks and values */
    const int conns[3] = {6, 18, 26};
    size_t idx[7 * 6 * 5];
    for (unsigned seed = 1; seed <= 12; seed++) {
        size_t n = random_mask(seed, 7, 6, 5, 0.8, idx);
        double *x = malloc(n * sizeof *x);
        bract_rng r;
        bract_rng_init(&r, seed, 1, 0);
        for (size_t i = 0; i < n; i++)
            x[i] = bract_rng_normal(&r);
        for (int c = 0; c < 3; c++) {
            bract_cluster_graph *g;
            ck_assert_int_eq(bract_cluster_graph_new(7, 6, 5, idx, n, conns[c], &g), 0);
            bract_cluster_ws *ws = NULL;
            bract_cluster_ws_new(g, &ws);
            uint32_t *lab = malloc(n * sizeof *lab);
            int *in = malloc(n * sizeof *in), *want = malloc(n * sizeof *want);
            for (size_t i = 0; i < n; i++)
                in[i] = x[i] >= 0.3;
            size_t nw = naive_label(idx, n, in, 7, 6, conns[c], want);
            size_t mx;
            ck_assert_uint_eq(bract_cluster_find(g, x, 0.3, lab, NULL, &mx, ws), nw);
            for (size_t i = 0; i < n; i++)
                ck_assert_uint_eq(lab[i], (uint32_t)want[i]);
            free(lab);
            free(in);
            free(want);
            bract_cluster_ws_free(ws);
            bract_cluster_graph_free(g);
        }
        free(x);
    }
}
END_TEST

/* ---- TFCE ---- */

static void tfce_line(const double *x, size_t n, double dh, double *out)
{
    size_t idx[16];
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    bract_cluster_graph *g;
    ck_assert_int_eq(bract_cluster_graph_new((int64_t)n, 1, 1, idx, n, 6, &g), 0);
    bract_cluster_ws *ws = NULL;
    bract_cluster_ws_new(g, &ws);
    bract_tfce_opts p;
    bract_tfce_opts_defaults(&p);
    p.dh = dh;
    double mx;
    ck_assert_int_eq(bract_tfce(g, &p, x, out, &mx, ws), 0);
    double m = 0;
    for (size_t i = 0; i < n; i++)
        m = out[i] > m ? out[i] : m;
    ck_assert_double_eq(mx, m);
    bract_cluster_ws_free(ws);
    bract_cluster_graph_free(g);
}

START_TEST(tfce_cosmomvpa_line)
{
    /* cosmo_measure_clusters' documented example: samples [1 2 1 1 0 2 2]
     * on a line graph (a 7x1x1 volume with 6-connectivity), E 0.5, H 2.
     * Documented to 3 decimals (0.770 2.855 ...; tolerance 5e-4); the full
     * values, from a direct numpy re-implementation of its loop (thr += dh
     * from 0, >=; Python float repr), to 1e-12. */
    const double x[7] = {1, 2, 1, 1, 0, 2, 2};
    const double dh[2] = {0.1, 0.05};
    const double doc[2][7] = {{0.770, 2.855, 0.770, 0.770, 0, 3.493, 3.493},
                              {0.618, 2.876, 0.618, 0.618, 0, 3.631, 3.631}};
    const double full[2][7] = {{0.7699999999999998, 2.855000000000001, 0.7699999999999998,
                                0.7699999999999998, 0, 3.4931074990615465, 3.4931074990615465},
                               {0.6175000000000003, 2.8762500000000024, 0.6175000000000003,
                                0.6175000000000003, 0, 3.630993321392925, 3.630993321392925}};
    for (int c = 0; c < 2; c++) {
        double out[7];
        tfce_line(x, 7, dh[c], out);
        for (int i = 0; i < 7; i++) {
            ck_assert_double_eq_tol(out[i], doc[c][i], 5e-4);
            ck_assert_double_eq_tol(out[i], full[c][i], 1e-12);
        }
    }
}
END_TEST

/* sum_{k=1..K} thr_k^2 dh with thr_k accumulated from 0 in steps of 0.1 */
static double w_sum(int K)
{
    double thr = 0, s = 0;
    for (int k = 1; k <= K; k++) {
        thr = thr + 0.1;
        s += thr * thr * 0.1;
    }
    return s;
}

START_TEST(tfce_hand_3d)
{
    /* A 3x3x3 volume, all voxels in the mask, zero except two voxels.
     * With value 1, a voxel survives thresholds 0.1, ..., 1.0 (accumulated:
     * the 10th is 0.9999999999999999 <= 1): a lone voxel scores
     * sum_{k=1..10} thr_k^2 * 0.1 = 0.385, two connected ones
     * sqrt(2) * 0.385 each. */
    size_t idx[27];
    for (size_t i = 0; i < 27; i++)
        idx[i] = i;
    const double w10 = w_sum(10), w5 = w_sum(5);
    ck_assert_double_eq_tol(w10, 0.385, 1e-15);
    ck_assert_double_eq_tol(w5, 0.055, 1e-15);
    struct {
        size_t a, b;      /* the two voxels */
        int joined[3];    /* connected under 6, 18, 26 */
    } cases[] = {
        {13, 14, {1, 1, 1}}, /* (1,1,1)-(2,1,1): a face */
        {13, 17, {0, 1, 1}}, /* (1,1,1)-(2,2,1): an edge */
        {13, 26, {0, 0, 1}}, /* (1,1,1)-(2,2,2): a corner */
        {0, 26, {0, 0, 0}},  /* (0,0,0)-(2,2,2): apart */
    };
    const int conns[3] = {6, 18, 26};
    bract_tfce_opts p;
    bract_tfce_opts_defaults(&p);
    for (size_t cs = 0; cs < sizeof cases / sizeof *cases; cs++)
        for (int c = 0; c < 3; c++) {
            bract_cluster_graph *g;
            ck_assert_int_eq(bract_cluster_graph_new(3, 3, 3, idx, 27, conns[c], &g), 0);
            bract_cluster_ws *ws = NULL;
            bract_cluster_ws_new(g, &ws);
            double x[27] = {0}, out[27];
            /* equal heights */
            x[cases[cs].a] = x[cases[cs].b] = 1.0;
            ck_assert_int_eq(bract_tfce(g, &p, x, out, NULL, ws), 0);
            double want = cases[cs].joined[c] ? sqrt(2.0) * w10 : w10;
            ck_assert_double_eq_tol(out[cases[cs].a], want, 1e-14);
            ck_assert_double_eq_tol(out[cases[cs].b], want, 1e-14);
            for (int i = 0; i < 27; i++)
                if ((size_t)i != cases[cs].a && (size_t)i != cases[cs].b)
                    ck_assert_double_eq(out[i], 0);
            /* unequal heights 1 and 0.5: shared steps 1..5 (0.5 accumulates
             * to exactly 0.5), then the higher voxel alone for 6..10 */
            x[cases[cs].b] = 0.5;
            ck_assert_int_eq(bract_tfce(g, &p, x, out, NULL, ws), 0);
            double e = cases[cs].joined[c] ? sqrt(2.0) : 1.0;
            ck_assert_double_eq_tol(out[cases[cs].a], e * w5 + (w10 - w5), 1e-14);
            ck_assert_double_eq_tol(out[cases[cs].b], e * w5, 1e-14);
            bract_cluster_ws_free(ws);
            bract_cluster_graph_free(g);
        }
}
END_TEST

START_TEST(tfce_accumulated_thresholds)
{
    /* CoSMoMVPA accumulates thr = thr + dh, so the third threshold is
     * 0.30000000000000004 and a value of exactly 0.3 survives only two:
     * 0.1 * (0.01 + 0.04) = 0.005, not 0.014. */
    double x[1] = {0.3}, out[1];
    tfce_line(x, 1, 0.1, out);
    ck_assert_double_eq_tol(out[0], 0.1 * (0.1 * 0.1 + 0.2 * 0.2), 1e-17);
    /* below the first step: nothing; negative values: nothing */
    double y[3] = {0.0999, -5, 0.1}, o3[3];
    tfce_line(y, 3, 0.1, o3);
    ck_assert_double_eq(o3[0], 0);
    ck_assert_double_eq(o3[1], 0);
    ck_assert_double_eq_tol(o3[2], 0.1 * 0.01, 1e-18); /* thr_1 = 0.1 <= 0.1 */
}
END_TEST

START_TEST(tfce_random_vs_direct)
{
    /* random masks and values, three connectivities, defaults and other
     * E, H, dh: agreement with the direct loop within 1e-12 relative (the
     * two sum the same terms in a different order) */
    const int conns[3] = {6, 18, 26};
    const double params[4][3] = {{0.5, 2, 0.1}, {0.5, 2, 0.05}, {1.0, 1.5, 0.2}, {0.66, 3, 0.3}};
    size_t idx[8 * 7 * 6];
    for (unsigned seed = 1; seed <= 6; seed++) {
        size_t n = random_mask(seed, 8, 7, 6, 0.75, idx);
        double *x = malloc(n * sizeof *x), *got = malloc(n * sizeof *got),
               *want = malloc(n * sizeof *want);
        bract_rng r;
        bract_rng_init(&r, seed, 2, 0);
        for (size_t i = 0; i < n; i++) /* smooth-ish: a ramp plus noise */
            x[i] = 2.5 * bract_rng_normal(&r) + (double)(idx[i] % 8) * 0.3;
        for (int c = 0; c < 3; c++) {
            bract_cluster_graph *g;
            ck_assert_int_eq(bract_cluster_graph_new(8, 7, 6, idx, n, conns[c], &g), 0);
            bract_cluster_ws *ws = NULL;
            bract_cluster_ws_new(g, &ws);
            for (int pi = 0; pi < 4; pi++) {
                bract_tfce_opts p = {params[pi][0], params[pi][1], params[pi][2]};
                double mx;
                ck_assert_int_eq(bract_tfce(g, &p, x, got, &mx, ws), 0);
                naive_tfce(idx, n, x, 8, 7, conns[c], p.E, p.H, p.dh, want);
                double wmax = 0;
                for (size_t i = 0; i < n; i++) {
                    ck_assert_msg(fabs(got[i] - want[i]) <= 1e-12 * (1 + fabs(want[i])),
                                  "seed %u conn %d params %d node %zu: %.17g vs %.17g", seed,
                                  conns[c], pi, i, got[i], want[i]);
                    wmax = want[i] > wmax ? want[i] : wmax;
                }
                ck_assert_double_eq_tol(mx, wmax, 1e-12 * (1 + wmax));
            }
            bract_cluster_ws_free(ws);
            bract_cluster_graph_free(g);
        }
        free(x);
        free(got);
        free(want);
    }
}
END_TEST

START_TEST(tfce_errors)
{
    size_t idx[2] = {0, 1};
    bract_cluster_graph *g;
    ck_assert_int_eq(bract_cluster_graph_new(2, 1, 1, idx, 2, 6, &g), 0);
    bract_cluster_ws *ws = NULL;
    bract_cluster_ws_new(g, &ws);
    double out[2];
    bract_tfce_opts p;
    bract_tfce_opts_defaults(&p);
    double inf[2] = {1, INFINITY};
    ck_assert_int_eq(bract_tfce(g, &p, inf, out, NULL, ws), BRACT_EINVAL);
    ck_assert_error_has("infinite value (node 2)");
    double big[2] = {1, 1e9};
    ck_assert_int_eq(bract_tfce(g, &p, big, out, NULL, ws), BRACT_EINVAL);
    ck_assert_error_has("would take 1e+10 thresholds");
    bract_tfce_opts bad = {0.5, 2, 0};
    double ok[2] = {1, 2};
    ck_assert_int_eq(bract_tfce(g, &bad, ok, out, NULL, ws), BRACT_EINVAL);
    ck_assert_error_has("positive and finite");
    /* NaN counts as below every threshold */
    double withnan[2] = {NAN, 1};
    ck_assert_int_eq(bract_tfce(g, &p, withnan, out, NULL, ws), 0);
    ck_assert_double_eq(out[0], 0);
    ck_assert_double_eq_tol(out[1], w_sum(10), 1e-15);
    /* a reserved table serves a later, smaller map; other dh rebuilds it */
    ck_assert_int_eq(bract_tfce_reserve(ws, &p, 50.0), 0);
    ck_assert_int_eq(bract_tfce(g, &p, ok, out, NULL, ws), 0);
    ck_assert_double_eq_tol(out[0], sqrt(2.0) * w_sum(10), 1e-14);
    bract_tfce_opts p2 = p;
    p2.dh = 0.05;
    double want05[2];
    ck_assert_int_eq(bract_tfce(g, &p2, ok, out, NULL, ws), 0);
    naive_tfce(idx, 2, ok, 2, 1, 6, 0.5, 2, 0.05, want05);
    ck_assert_double_eq_tol(out[0], want05[0], 1e-13);
    ck_assert_double_eq_tol(out[1], want05[1], 1e-13);
    bract_cluster_ws_free(ws);
    bract_cluster_graph_free(g);
}
END_TEST

START_TEST(connectivity_names)
{
    const bract_cluster_connectivity all[] = {BRACT_CONN_FACES, BRACT_CONN_EDGES, BRACT_CONN_CORNERS};
    const char *want[] = {"6", "18", "26"};
    for (int i = 0; i < 3; i++) {
        bract_cluster_connectivity c = (bract_cluster_connectivity)0;
        ck_assert_str_eq(bract_cluster_connectivity_name(all[i]), want[i]);
        ck_assert_int_eq(bract_cluster_connectivity_parse(want[i], &c), 0);
        ck_assert_int_eq(c, all[i]);
        ck_assert_int_eq((int)c, atoi(want[i])); /* the value is the number of neighbours */
    }
    bract_cluster_connectivity c = BRACT_CONN_EDGES;
    ck_assert_int_eq(bract_cluster_connectivity_parse("8", &c), BRACT_EINVAL);
    ck_assert_int_eq(c, BRACT_CONN_EDGES);
    ck_assert_str_eq(bract_last_error(), "unknown connectivity '8' (expected one of 6, 18, 26)");
    ck_assert_str_eq(bract_cluster_connectivity_name((bract_cluster_connectivity)8), "unknown");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cluster");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, graph_degrees);
    tcase_add_test(tc, graph_errors);
    tcase_add_test(tc, clusters_small);
    tcase_add_test(tc, clusters_random_vs_flood_fill);
    tcase_add_test(tc, tfce_cosmomvpa_line);
    tcase_add_test(tc, tfce_hand_3d);
    tcase_add_test(tc, tfce_accumulated_thresholds);
    tcase_add_test(tc, tfce_random_vs_direct);
    tcase_add_test(tc, tfce_errors);
    tcase_add_test(tc, connectivity_names);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
