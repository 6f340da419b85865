/* Unit tests of bract/mds.h: classical MDS against analytic configurations. */
#define _XOPEN_SOURCE 700 /* M_PI */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Condensed Euclidean distances of n points in dim dimensions. */
static double *distances(const double *x, size_t n, size_t dim)
{
    double *d = malloc(bract_npairs(n) * sizeof *d);
    size_t p = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++, p++) {
            double s = 0;
            for (size_t a = 0; a < dim; a++)
                s += (x[i * dim + a] - x[j * dim + a]) * (x[i * dim + a] - x[j * dim + a]);
            d[p] = sqrt(s);
        }
    return d;
}

/* Largest |difference| between the distances of coords (k dims) and d. */
static double distance_error(const double *coords, size_t n, size_t k, const double *d)
{
    double *e = distances(coords, n, k), worst = 0;
    for (size_t p = 0; p < bract_npairs(n); p++)
        worst = fmax(worst, fabs(e[p] - d[p]));
    free(e);
    return worst;
}

START_TEST(regular_polygon)
{
    /* 6 points on a circle of radius 2 about (3, -1): a 2-D configuration,
     * reproduced exactly; B = Xc Xc' has eigenvalues n R^2 / 2 = 12 twice. */
    enum { N = 6 };
    double x[2 * N];
    for (int i = 0; i < N; i++) {
        x[2 * i] = 3 + 2 * cos(2 * M_PI * i / N);
        x[2 * i + 1] = -1 + 2 * sin(2 * M_PI * i / N);
    }
    double *d = distances(x, N, 2), c[2 * N];
    bract_mds_info info;
    ck_assert_int_eq(bract_mds_classical(d, N, 2, c, &info), 0);
    /* tolerance 1e-12 relative to distances of order 4: rounding only */
    ck_assert_double_le(distance_error(c, N, 2, d), 1e-12);
    ck_assert_double_eq_tol(info.eig[0], 12, 1e-12);
    ck_assert_double_eq_tol(info.eig[1], 12, 1e-12);
    ck_assert_double_eq_tol(info.pos_sum, 24, 1e-11);
    ck_assert_double_le(fabs(info.neg_sum), 1e-11);
    ck_assert_uint_eq(info.nnegative, 0);
    /* centred */
    for (int a = 0; a < 2; a++) {
        double s = 0;
        for (int i = 0; i < N; i++)
            s += c[2 * i + a];
        ck_assert_double_le(fabs(s), 1e-12);
    }
    free(d);
}
END_TEST

START_TEST(box_in_three_dimensions)
{
    /* the 8 corners of a 6 x 4 x 2 box: B's eigenvalues are 8 (a/2)^2 =
     * 72, 32, 8; two dimensions keep x and y, so their distances are the
     * projections' (tolerance 1e-12: rounding only). */
    double x[24], xy[16];
    for (int i = 0; i < 8; i++) {
        x[3 * i] = (i & 1) ? 3 : -3;
        x[3 * i + 1] = (i & 2) ? 2 : -2;
        x[3 * i + 2] = (i & 4) ? 1 : -1;
        xy[2 * i] = x[3 * i];
        xy[2 * i + 1] = x[3 * i + 1];
    }
    double *d = distances(x, 8, 3), *dxy = distances(xy, 8, 2), c[16], c3[24];
    bract_mds_info info;
    ck_assert_int_eq(bract_mds_classical(d, 8, 2, c, &info), 0);
    ck_assert_double_eq_tol(info.eig[0], 72, 1e-11);
    ck_assert_double_eq_tol(info.eig[1], 32, 1e-11);
    ck_assert_double_eq_tol(info.pos_sum, 112, 1e-10);
    ck_assert_double_le(distance_error(c, 8, 2, dxy), 1e-12);
    /* three dimensions reproduce the box */
    ck_assert_int_eq(bract_mds_classical(d, 8, 3, c3, &info), 0);
    ck_assert_double_eq_tol(info.eig[2], 8, 1e-11);
    ck_assert_double_le(distance_error(c3, 8, 3, d), 1e-12);
    free(d);
    free(dxy);
}
END_TEST

START_TEST(signs_are_fixed)
{
    /* an asymmetric configuration (distinct eigenvalues): in every
     * dimension the item farthest from the centre has a positive
     * coordinate, and the items in reverse order (a permuted matrix for the
     * solver) get the same coordinates */
    double x[10] = {0, 0, 5, 1, 1, 3, -2, 0.5, 2.5, -1.5}, xr[10];
    for (int i = 0; i < 5; i++) {
        xr[2 * i] = x[2 * (4 - i)];
        xr[2 * i + 1] = x[2 * (4 - i) + 1];
    }
    double *d = distances(x, 5, 2), *dr = distances(xr, 5, 2), c[10], cr[10];
    ck_assert_int_eq(bract_mds_classical(d, 5, 2, c, NULL), 0);
    ck_assert_int_eq(bract_mds_classical(dr, 5, 2, cr, NULL), 0);
    for (int a = 0; a < 2; a++) {
        int best = 0;
        for (int i = 1; i < 5; i++)
            if (fabs(c[2 * i + a]) > fabs(c[2 * best + a]))
                best = i;
        ck_assert_double_gt(c[2 * best + a], 0);
    }
    for (int i = 0; i < 5; i++)
        for (int a = 0; a < 2; a++)
            ck_assert_double_eq_tol(c[2 * i + a], cr[2 * (4 - i) + a], 1e-12);
    free(d);
    free(dr);
}
END_TEST

START_TEST(collinear_points)
{
    /* points on a line: one positive eigenvalue; the second dimension is
     * drawn at 0 and counted, the first reproduces the positions */
    double pos[4] = {0, 1, 3, 7}, x[4];
    memcpy(x, pos, sizeof x);
    double *d = distances(x, 4, 1), c[8];
    bract_mds_info info;
    ck_assert_int_eq(bract_mds_classical(d, 4, 2, c, &info), 0);
    ck_assert_uint_eq(info.nnegative, 1);
    for (int i = 0; i < 4; i++)
        ck_assert_double_eq(c[2 * i + 1], 0);
    /* centred positions (mean 2.75), sign: 7 - 2.75 is the largest */
    for (int i = 0; i < 4; i++)
        ck_assert_double_eq_tol(c[2 * i], pos[i] - 2.75, 1e-12);
    free(d);
}
END_TEST

START_TEST(bad_input)
{
    double d[3] = {1, NAN, 2}, c[6];
    ck_assert_int_eq(bract_mds_classical(d, 3, 2, c, NULL), BRACT_EDATA);
    ck_assert_error_has("items 1 and 3");
    d[1] = -0.5;
    ck_assert_int_eq(bract_mds_classical(d, 3, 2, c, NULL), BRACT_EDATA);
    ck_assert_error_has("-0.5");
    d[1] = 1;
    ck_assert_int_eq(bract_mds_classical(d, 3, 4, c, NULL), BRACT_EINVAL);
    ck_assert_int_eq(bract_mds_classical(d, 1, 1, c, NULL), BRACT_EINVAL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mds");
    TCase *tc = tcase_create("mds");
    tcase_add_test(tc, regular_polygon);
    tcase_add_test(tc, box_in_three_dimensions);
    tcase_add_test(tc, signs_are_fixed);
    tcase_add_test(tc, collinear_points);
    tcase_add_test(tc, bad_input);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
