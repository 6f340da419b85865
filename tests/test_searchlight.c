/* Unit tests of bract/searchlight.h: sphere sizes against the table of
 * rsa.md section 8 and against spheres counted here by brute force
 * (anisotropic and oblique voxels, mask and grid edges), CoSMoMVPA's count
 * rule on cases worked by hand, the value at every centre against the
 * library path of bract rdm neural + bract rsa on that sphere's voxels
 * (every RDM method and comparison; exact equality), the same bits for any
 * split of the centres over threads and ranges, and the recovery of a
 * planted sphere by searchlight maps and group statistics. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bract/atlas.h"
#include "bract/mask.h"

#define CK(call) ck_assert_msg((call) == 0, "%s", bract_last_error())

static char *tmp;
static void setup(void) { tmp = tu_tmpdir(); }
static void teardown(void)
{
    tu_rmtree(tmp);
    free(tmp);
}

/* A mask of every voxel of an n x n x n grid, and its geometry with an
 * affine built from `lin` (3 x 3, voxel -> mm). */
static void full_grid(int64_t nx, int64_t ny, int64_t nz, const double lin[3][3],
                      bract_mask **m, bract_volume **g)
{
    int64_t dims[4] = {nx, ny, nz, 1};
    double vox[3], aff[4][4] = {{0}};
    for (int r = 0; r < 3; r++) {
        vox[r] = sqrt(lin[0][r] * lin[0][r] + lin[1][r] * lin[1][r] + lin[2][r] * lin[2][r]);
        for (int k = 0; k < 3; k++)
            aff[r][k] = lin[r][k];
    }
    aff[3][3] = 1;
    CK(bract_volume_new(dims, vox, (const double(*)[4])aff, 0, BRACT_F32, g));
    for (size_t i = 0; i < (*g)->nvox; i++)
        bract_volume_set(*g, i, 1);
    CK(bract_mask_from_volume(*g, m));
}

/* Usable voxels = every voxel of the mask. */
static void all_columns(bract_searchlight *s, const bract_mask *m) { CK(bract_searchlight_set_columns(s, m->index, m->n)); }

static size_t centre_of(const bract_mask *m, int64_t x, int64_t y, int64_t z)
{
    size_t v = (size_t)(x + m->nx * (y + m->ny * z));
    for (size_t c = 0; c < m->n; c++)
        if (m->index[c] == v)
            return c;
    return SIZE_MAX;
}

START_TEST(sphere_sizes_table)
{
    /* rsa.md section 8: voxels within r voxels (1 mm voxels, r mm) */
    const size_t le[] = {7, 33, 123, 257, 515, 925}, lt[] = {1, 27, 93, 251, 485, 895};
    const double I[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
    bract_mask *m;
    bract_volume *g;
    full_grid(15, 15, 15, I, &m, &g);
    for (int strict = 0; strict < 2; strict++)
        for (int r = 1; r <= 6; r++) {
            bract_searchlight_opts o = {.radius_mm = r, .strict = strict};
            bract_searchlight *s;
            CK(bract_searchlight_new(m, g, &o, &s));
            all_columns(s, m);
            size_t want = strict ? lt[r - 1] : le[r - 1];
            ck_assert_uint_eq(bract_searchlight_full_size(s), want);
            /* the centre of the grid has the whole sphere */
            ck_assert_uint_eq(bract_searchlight_sizes(s)[centre_of(m, 7, 7, 7)], want);
            bract_searchlight_free(s);
        }
    bract_mask_free(m);
    bract_volume_free(g);
    /* 3 mm voxels: 6 mm holds 33 voxels (the benchmark's 6 mm), 9 mm 123 */
    const double V3[3][3] = {{3, 0, 0}, {0, 3, 0}, {0, 0, 3}};
    full_grid(9, 9, 9, V3, &m, &g);
    for (int k = 0; k < 2; k++) {
        bract_searchlight_opts o = {.radius_mm = k ? 9 : 6};
        bract_searchlight *s;
        CK(bract_searchlight_new(m, g, &o, &s));
        all_columns(s, m);
        ck_assert_uint_eq(bract_searchlight_full_size(s), k ? 123 : 33);
        bract_searchlight_free(s);
    }
    bract_mask_free(m);
    bract_volume_free(g);
}
END_TEST

/* Brute force: voxels of the grid within r mm of (x0, y0, z0) through lin. */
static size_t brute_count(const double lin[3][3], int64_t nx, int64_t ny, int64_t nz, int64_t x0,
                          int64_t y0, int64_t z0, double r, int strict)
{
    size_t n = 0;
    for (int64_t z = 0; z < nz; z++)
        for (int64_t y = 0; y < ny; y++)
            for (int64_t x = 0; x < nx; x++) {
                double d2 = 0;
                for (int k = 0; k < 3; k++) {
                    double v = lin[k][0] * (double)(x - x0) + lin[k][1] * (double)(y - y0) +
                               lin[k][2] * (double)(z - z0);
                    d2 += v * v;
                }
                n += strict ? d2 < r * r : d2 <= r * r;
            }
    return n;
}

START_TEST(sphere_sizes_anisotropic_and_edges)
{
    /* 2 x 2.5 x 4 mm voxels, then a rotated grid of 3 mm voxels (a sphere
     * in mm does not see the rotation: 33 voxels within 6 mm); radii chosen
     * away from any voxel distance, so no tolerance decides */
    const double A[3][3] = {{2, 0, 0}, {0, 2.5, 0}, {0, 0, 4}};
    double c = cos(0.3), s_ = sin(0.3);
    const double R[3][3] = {{3 * c, -3 * s_, 0}, {3 * s_, 3 * c, 0}, {0, 0, 3}};
    const double *lins[2] = {&A[0][0], &R[0][0]};
    const double radii[2] = {6.3, 7.1};
    for (int which = 0; which < 2; which++) {
        const double(*lin)[3] = (const double(*)[3])lins[which];
        bract_mask *m;
        bract_volume *g;
        full_grid(11, 10, 7, lin, &m, &g);
        for (int strict = 0; strict < 2; strict++) {
            bract_searchlight_opts o = {.radius_mm = radii[which], .strict = strict, .min_voxels = 1};
            bract_searchlight *s;
            CK(bract_searchlight_new(m, g, &o, &s));
            all_columns(s, m);
            /* the middle, a face, an edge, a corner: truncated at the grid */
            const int64_t pts[4][3] = {{5, 5, 3}, {0, 5, 3}, {0, 0, 3}, {10, 9, 6}};
            for (int p = 0; p < 4; p++) {
                size_t want = brute_count(lin, 11, 10, 7, pts[p][0], pts[p][1], pts[p][2],
                                          radii[which], strict);
                size_t ci = centre_of(m, pts[p][0], pts[p][1], pts[p][2]);
                ck_assert_uint_eq(bract_searchlight_sizes(s)[ci], want);
                if (p == 0)
                    ck_assert_uint_eq(bract_searchlight_full_size(s), want);
                size_t cols[400];
                double far;
                ck_assert_uint_eq(bract_searchlight_sphere(s, ci, cols, &far), want);
                for (size_t k = 1; k < want; k++)
                    ck_assert(cols[k - 1] < cols[k]);
                ck_assert(far <= radii[which]);
            }
            bract_searchlight_free(s);
        }
        if (which == 1) { /* the rotation keeps 6 mm at 33 voxels */
            bract_searchlight_opts o = {.radius_mm = 6};
            bract_searchlight *s;
            CK(bract_searchlight_new(m, g, &o, &s));
            ck_assert_uint_eq(bract_searchlight_full_size(s), 33);
            bract_searchlight_free(s);
        }
        bract_mask_free(m);
        bract_volume_free(g);
    }
}
END_TEST

/* The radius that reaches the 6 face neighbours: the longest voxel axis
 * (through a rotated, anisotropic affine too); at that radius the sphere
 * holds the centre and its 6 neighbours, just below it fewer. */
START_TEST(face_radius)
{
    double c = cos(0.3), s_ = sin(0.3);
    const double R[3][3] = {{2 * c, -2.5 * s_, 0}, {2 * s_, 2.5 * c, 0}, {0, 0, 7}};
    bract_mask *m;
    bract_volume *g;
    full_grid(5, 5, 5, R, &m, &g);
    bract_searchlight_opts o = {.radius_mm = 6};
    bract_searchlight *s;
    CK(bract_searchlight_new(m, g, &o, &s));
    ck_assert_double_eq_tol(bract_searchlight_face_radius(s), 7, 1e-12);
    bract_searchlight_free(s);
    o.radius_mm = 7;
    CK(bract_searchlight_new(m, g, &o, &s));
    size_t at7 = bract_searchlight_full_size(s);
    bract_searchlight_free(s);
    o.strict = 1;
    CK(bract_searchlight_new(m, g, &o, &s));
    size_t below = bract_searchlight_full_size(s);
    bract_searchlight_free(s);
    ck_assert_uint_eq(below + 2, at7); /* the two neighbours along z */
    ck_assert_uint_ge(at7, 7);
    bract_mask_free(m);
    bract_volume_free(g);
}
END_TEST

START_TEST(mask_rules)
{
    /* a 9 x 9 x 9 grid of 1 mm voxels whose mask is the slab z <= 4: a
     * centre on the slab's top face sees the lower half of its sphere; with
     * keep_outside every voxel within the radius */
    const double I[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
    bract_mask *full;
    bract_volume *g;
    full_grid(9, 9, 9, I, &full, &g);
    for (size_t i = 0; i < g->nvox; i++)
        bract_volume_set(g, i, i / 81 <= 4);
    bract_mask *m;
    CK(bract_mask_from_volume(g, &m));
    ck_assert_uint_eq(m->n, 5 * 81);
    size_t top = centre_of(m, 4, 4, 4);
    /* radius 2: 33 voxels, of which 13 in the centre's plane, 9 one below
     * and 1 two below: 23 */
    bract_searchlight_opts o = {.radius_mm = 2};
    bract_searchlight *s;
    CK(bract_searchlight_new(m, g, &o, &s));
    size_t nd;
    bract_searchlight_data_voxels(s, &nd);
    ck_assert_uint_eq(nd, m->n);
    all_columns(s, m);
    ck_assert_uint_eq(bract_searchlight_sizes(s)[top], 23);
    ck_assert(!bract_searchlight_left_out(s)[top]); /* 23 of 33 >= 0.5 */
    bract_searchlight_free(s);
    /* min_proportion 0.75: 23 < 24.75, left out; min_voxels 24 too */
    o.min_proportion = 0.75;
    CK(bract_searchlight_new(m, g, &o, &s));
    all_columns(s, m);
    ck_assert(bract_searchlight_left_out(s)[top]);
    ck_assert(!bract_searchlight_left_out(s)[centre_of(m, 4, 4, 2)]);
    bract_searchlight_free(s);
    o.min_proportion = 0;
    o.min_voxels = 24;
    CK(bract_searchlight_new(m, g, &o, &s));
    all_columns(s, m);
    ck_assert(bract_searchlight_left_out(s)[top]);
    bract_searchlight_free(s);
    /* keep_outside: the data voxels grow by the radius (z <= 6) */
    o.min_voxels = 0;
    o.keep_outside = 1;
    CK(bract_searchlight_new(m, g, &o, &s));
    const size_t *dv = bract_searchlight_data_voxels(s, &nd);
    ck_assert_uint_eq(nd, 7 * 81);
    CK(bract_searchlight_set_columns(s, dv, nd));
    ck_assert_uint_eq(bract_searchlight_sizes(s)[top], 33);
    /* unusable voxels (a column missing) are not counted */
    size_t *fewer = malloc(nd * sizeof *fewer), k = 0;
    size_t gone = (size_t)(4 + 9 * (4 + 9 * 5)); /* (4, 4, 5), above the top centre */
    for (size_t i = 0; i < nd; i++)
        if (dv[i] != gone)
            fewer[k++] = dv[i];
    CK(bract_searchlight_set_columns(s, fewer, k));
    ck_assert_uint_eq(bract_searchlight_sizes(s)[top], 32);
    /* errors: columns out of order */
    fewer[1] = fewer[0];
    ck_assert_int_eq(bract_searchlight_set_columns(s, fewer, k), BRACT_EINVAL);
    ck_assert_error_has("not in ascending order");
    free(fewer);
    bract_searchlight_free(s);
    /* bad options */
    bract_searchlight_opts bad = {.radius_mm = 0};
    ck_assert_int_eq(bract_searchlight_new(m, g, &bad, &s), BRACT_EINVAL);
    ck_assert_error_has("radius");
    bad.nvoxels = 10;
    bad.keep_outside = 1;
    ck_assert_int_eq(bract_searchlight_new(m, g, &bad, &s), BRACT_EINVAL);
    ck_assert_error_has("mask only");
    bract_mask_free(m);
    bract_mask_free(full);
    bract_volume_free(g);
}
END_TEST

START_TEST(count_rule)
{
    /* CoSMoMVPA's count rule on a full grid of 1 mm voxels.  Around an
     * inner centre the candidates come in tie groups of equal distance and
     * city-block distance: [centre] 1, [faces] 6 (positions 2-7), [edges]
     * 12 (8-19), [corners] 8 (20-27), [2,0,0] 6 (28-33), [2,1,0] 24 (34-57),
     * [2,1,1] 24 (58-81), [2,2,0] 12 (82-93), [3,0,0] 6 (94-99), [2,2,1] 24
     * (100-123).  The sphere ends at the group's first or last voxel,
     * whichever is nearer to N: */
    const size_t N[] = {1, 4, 5, 7, 13, 100, 110, 112, 123};
    const size_t want[] = {1, 2, 7, 7, 8, 100, 100, 123, 123};
    const double I[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
    bract_mask *m;
    bract_volume *g;
    full_grid(11, 11, 11, I, &m, &g);
    size_t mid = centre_of(m, 5, 5, 5);
    for (size_t i = 0; i < sizeof N / sizeof *N; i++) {
        bract_searchlight_opts o = {.nvoxels = N[i], .min_voxels = 1};
        bract_searchlight *s;
        CK(bract_searchlight_new(m, g, &o, &s));
        all_columns(s, m);
        ck_assert_msg(bract_searchlight_sizes(s)[mid] == want[i], "N = %zu: %u voxels, expected %zu",
                      N[i], bract_searchlight_sizes(s)[mid], want[i]);
        ck_assert_uint_eq(bract_searchlight_full_size(s), 0);
        if (N[i] == 100) {
            /* the 100th is the first of the [2,2,1] group in the order x, y,
             * z: offset (-2, -2, -1) */
            size_t cols[200];
            double far;
            size_t k = bract_searchlight_sphere(s, mid, cols, &far);
            ck_assert_uint_eq(k, 100);
            ck_assert_double_eq_tol(far, 3, 1e-12);
            size_t corner = (size_t)(3 + 11 * (3 + 11 * 4));
            int found = 0;
            for (size_t q = 0; q < k; q++)
                found |= cols[q] == corner;
            ck_assert(found);
            size_t other = (size_t)(7 + 11 * (7 + 11 * 6)); /* (2, 2, 1) */
            for (size_t q = 0; q < k; q++)
                ck_assert(cols[q] != other);
        }
        bract_searchlight_free(s);
    }
    /* On the face x = 0 the face group has 5 voxels (positions 2-6): N = 4
     * is as near to 2 as to 6, and the parity of the sum of the candidates'
     * 1-based voxel numbers plus their count decides.  Around (0, 5, 5)
     * (voxel 660) the candidates within the starting radius of one voxel
     * are voxels 539, 649, 660, 661, 671 and 781: numbers 540 + 650 + 661
     * + 662 + 672 + 782 = 3967, plus 6 candidates: odd, the sphere ends at
     * the last (6 voxels).  Without voxel 710 (far away) voxel 781 becomes
     * number 781: 3966 + 6, even, the sphere ends at the first (2). */
    for (int drop = 0; drop < 2; drop++) {
        size_t *cols = malloc(m->n * sizeof *cols), k = 0;
        for (size_t i = 0; i < m->n; i++)
            if (!drop || m->index[i] != 710)
                cols[k++] = m->index[i];
        bract_searchlight_opts o = {.nvoxels = 4, .min_voxels = 1};
        bract_searchlight *s;
        CK(bract_searchlight_new(m, g, &o, &s));
        CK(bract_searchlight_set_columns(s, cols, k));
        ck_assert_uint_eq(bract_searchlight_sizes(s)[centre_of(m, 0, 5, 5)], drop ? 2 : 6);
        bract_searchlight_free(s);
        free(cols);
    }
    /* more voxels than the mask has, or than it has usable */
    {
        bract_searchlight_opts o = {.nvoxels = 2000};
        bract_searchlight *s;
        ck_assert_int_eq(bract_searchlight_new(m, g, &o, &s), BRACT_EDATA);
        ck_assert_error_has("spheres of 2000 voxels: the mask has 1331 voxels");
        o.nvoxels = 1000;
        CK(bract_searchlight_new(m, g, &o, &s));
        ck_assert_int_eq(bract_searchlight_set_columns(s, m->index, 900), BRACT_EDATA);
        ck_assert_error_has("spheres of 1000 voxels: the mask has 900 usable voxels");
        bract_searchlight_free(s);
    }
    /* a sparse mask: centres far from the others grow further */
    for (size_t i = 0; i < g->nvox; i++)
        bract_volume_set(g, i, i % 2 == 0 && i < 300);
    bract_mask *sparse;
    CK(bract_mask_from_volume(g, &sparse));
    {
        bract_searchlight_opts o = {.nvoxels = 40, .min_voxels = 1};
        bract_searchlight *s;
        CK(bract_searchlight_new(sparse, g, &o, &s));
        all_columns(s, sparse);
        for (size_t c = 0; c < sparse->n; c++)
            ck_assert(bract_searchlight_sizes(s)[c] >= 20 && bract_searchlight_sizes(s)[c] <= 80);
        bract_searchlight_free(s);
    }
    bract_mask_free(sparse);
    bract_mask_free(m);
    bract_volume_free(g);
}
END_TEST

/* ---- the value at every centre against rdm neural + rsa ---- */

enum { NX = 7, NY = 7, NZ = 5, NCOND = 6, NRUN = 3 };

static const char *const conds[NCOND] = {"cat", "dog", "car", "bus", "oak", "elm"};

typedef struct {
    char *data, *noise, *conditions, *models, *controls, *maskp;
    bract_volume *geom;
    bract_mask *mask;
} dataset;

/* Patterns with spatially smooth condition effects plus noise, one
 * constant voxel and one with a NaN (both dropped), 3 x 3 x 4 mm voxels,
 * an ellipsoid mask; conditions in runs; an extra volume of an excluded
 * condition; residual volumes; two models and a control whose conditions
 * come in another order than the data's. */
static void make_dataset(dataset *ds)
{
    int64_t dims[4] = {NX, NY, NZ, NCOND * NRUN + 1};
    double vox[3] = {3, 3, 4};
    bract_volume *v, *mk, *nz;
    CK(bract_volume_new(dims, vox, NULL, 2, BRACT_F64, &v));
    int64_t d3[4] = {NX, NY, NZ, 1}, dn[4] = {NX, NY, NZ, 9};
    CK(bract_volume_new(d3, vox, NULL, 2, BRACT_F32, &mk));
    CK(bract_volume_new(dn, vox, NULL, 2, BRACT_F64, &nz));
    bract_rng r;
    bract_rng_init(&r, 7, 0, 0);
    size_t nv = (size_t)(NX * NY * NZ);
    for (size_t i = 0; i < nv; i++) {
        int64_t x = (int64_t)(i % NX), y = (int64_t)(i / NX % NY), z = (int64_t)(i / (NX * NY));
        double e = ((x - 3) / 3.4) * ((x - 3) / 3.4) + ((y - 3) / 3.4) * ((y - 3) / 3.4) +
                   ((z - 2) / 2.6) * ((z - 2) / 2.6);
        bract_volume_set(mk, i, e <= 1);
        for (size_t t = 0; t < (size_t)dims[3]; t++) {
            size_t cnd = t % NCOND;
            double sig = sin(0.7 * (double)x + 1.3 * (double)cnd) * cos(0.5 * (double)y - (double)cnd) +
                         0.3 * (double)z * (double)(cnd % 2);
            double val = 10 + sig + 0.8 * bract_rng_normal(&r);
            if (i == 24)
                val = 3; /* constant */
            if (i == 80 && t == 4)
                val = NAN;
            bract_volume_set(v, i + nv * t, val);
        }
        for (size_t t = 0; t < 9; t++)
            bract_volume_set(nz, i + nv * t, bract_rng_normal(&r) * (1 + 0.1 * (double)x));
    }
    ds->data = tu_join(tmp, "patterns.nii.gz");
    ds->maskp = tu_join(tmp, "mask.nii.gz");
    ds->noise = tu_join(tmp, "residuals.nii.gz");
    CK(bract_volume_write(v, ds->data, NULL));
    CK(bract_volume_write(mk, ds->maskp, NULL));
    CK(bract_volume_write(nz, ds->noise, NULL));
    bract_volume_free(v);
    bract_volume_free(mk);
    bract_volume_free(nz);
    CK(bract_mask_read(ds->maskp, &ds->mask, &ds->geom));
    /* conditions: runs of the six, then a volume of "rest" */
    ds->conditions = tu_join(tmp, "conditions.tsv");
    FILE *f = fopen(ds->conditions, "w");
    fprintf(f, "condition\trun\n");
    for (size_t t = 0; t < NCOND * NRUN; t++)
        fprintf(f, "%s\t%zu\n", conds[t % NCOND], t / NCOND + 1);
    fprintf(f, "rest\t3\n");
    fclose(f);
    /* models (categories with ties; a graded one) and a control, conditions
     * listed in reverse order */
    const double cat[NCOND] = {0, 0, 1, 1, 2, 2};
    const char *names[3] = {"category", "graded", "size"};
    ds->models = tu_join(tmp, "models.tsv");
    ds->controls = tu_join(tmp, "controls.tsv");
    for (int fi = 0; fi < 2; fi++) {
        f = fopen(fi ? ds->controls : ds->models, "w");
        fprintf(f, "rdm\tcondition_a\tcondition_b\tdissimilarity\n");
        for (int k = fi ? 2 : 0; k < (fi ? 3 : 2); k++)
            for (int i = NCOND - 1; i >= 0; i--)
                for (int j = i - 1; j >= 0; j--) {
                    double dv = k == 0   ? (cat[i] != cat[j])
                                : k == 1 ? fabs(sin((double)i) - sin((double)j)) + 0.1 * i * j
                                         : fabs((double)i - (double)j) + (i == 5);
                    fprintf(f, "%s\t%s\t%s\t%.17g\n", names[k], conds[i], conds[j], dv);
                }
        fclose(f);
    }
}

static void free_dataset(dataset *ds)
{
    free(ds->data);
    free(ds->noise);
    free(ds->conditions);
    free(ds->models);
    free(ds->controls);
    free(ds->maskp);
    bract_volume_free(ds->geom);
    bract_mask_free(ds->mask);
}

/* The voxels of the mask (with `outside`: of the grid) within r mm of mask
 * voxel c, by brute force, as a one-region-per-centre atlas (regions may
 * overlap). */
static bract_atlas *sphere_atlas(const dataset *ds, double r, int outside)
{
    const bract_mask *m = ds->mask;
    bract_atlas *a = calloc(1, sizeof *a);
    a->nx = m->nx;
    a->ny = m->ny;
    a->nz = m->nz;
    a->nregions = m->n;
    a->label = calloc(m->n, sizeof *a->label);
    a->name = calloc(m->n, sizeof *a->name);
    a->nvox = calloc(m->n, sizeof *a->nvox);
    a->voxels = calloc(m->n, sizeof *a->voxels);
    for (size_t c = 0; c < m->n; c++) {
        size_t v0 = m->index[c];
        int64_t x0 = (int64_t)(v0 % NX), y0 = (int64_t)(v0 / NX % NY), z0 = (int64_t)(v0 / (NX * NY));
        a->label[c] = (int)c + 1;
        char name[32];
        snprintf(name, sizeof name, "c%zu", c);
        a->name[c] = strdup(name);
        size_t nq = outside ? (size_t)(NX * NY * NZ) : m->n;
        a->voxels[c] = malloc(nq * sizeof(size_t));
        for (size_t q = 0; q < nq; q++) {
            size_t v = outside ? q : m->index[q];
            double dx = 3.0 * (double)((int64_t)(v % NX) - x0);
            double dy = 3.0 * (double)((int64_t)(v / NX % NY) - y0);
            double dz = 4.0 * (double)((int64_t)(v / (NX * NY)) - z0);
            if (dx * dx + dy * dy + dz * dz <= r * r)
                a->voxels[c][a->nvox[c]++] = v;
        }
    }
    return a;
}

typedef struct {
    const char *label;
    bract_rdm_opts ro;
    int given_noise;
} rdm_case;

typedef struct {
    bract_compare_method method;
    bract_partial partial;
    bract_compare_nan nan;
    int drop_pair; /* the second model misses a pair (two comparison plans) */
} cmp_case;

/* Every centre's value against rdm neural + rsa on its sphere, for RDM
 * settings rc and comparison settings cc; spheres truncated at the mask, or
 * (outside) taking the grid's voxels around it.  Returns the number of
 * values compared. */
static size_t compare_all(const dataset *ds, int outside, const rdm_case *rc, size_t nrc,
                          const cmp_case *cc, size_t ncc)
{
    /* 6.5 mm at 3 x 3 x 4 mm voxels: 31 voxels in a full sphere; no voxel
     * lies near 6.5 mm */
    const double radius = 6.5;
    const char *excl[] = {"rest"};
    bract_rdm_design_opts dopts = {BRACT_ORDER_FIRST, excl, 1};
    bract_rdm_design *d;
    CK(bract_rdm_design_read(ds->conditions, &dopts, &d));
    ck_assert_uint_eq(d->nrun, 3);
    bract_rdmset *mset, *cset;
    CK(bract_rdmset_read(ds->models, &mset));
    CK(bract_rdmset_read(ds->controls, &cset));
    bract_atlas *spheres = sphere_atlas(ds, radius, outside);
    const char *data[1] = {ds->data}, *noise[1] = {ds->noise};
    /* the searchlight's geometry, once, and the voxels it reads */
    bract_searchlight_opts so = {.radius_mm = radius, .min_voxels = 2, .keep_outside = outside};
    bract_searchlight *sl;
    CK(bract_searchlight_new(ds->mask, ds->geom, &so, &sl));
    ck_assert_uint_eq(bract_searchlight_full_size(sl), 31);
    size_t nd;
    const size_t *dv = bract_searchlight_data_voxels(sl, &nd);
    bract_mask dm = {NX, NY, NZ, nd, (size_t *)dv};
    ck_assert(outside ? nd > ds->mask->n : nd == ds->mask->n);
    bract_atlas *whole;
    CK(bract_atlas_from_mask(&dm, "voxels", &whole));
    size_t ncomparisons = 0;
    for (size_t ri = 0; ri < nrc; ri++) {
        bract_patterns_opts po = {0};
        size_t nn = rc[ri].given_noise;
        /* bract rdm neural on every sphere (each a region), written and
         * read back as bract rsa reads it */
        bract_patterns_set *ps, *whole_ps;
        po.skip_small = 1;
        CK(bract_patterns_from_volumes(data, 1, d, spheres, ds->geom, noise, nn, &po, NULL, &ps));
        bract_take_warnings(&(const char *const *){NULL});
        bract_rdmset *ref;
        CK(bract_patterns_rdms(d, ps, &rc[ri].ro, NULL, &ref, NULL));
        char *path = tu_join(tmp, "spheres_rdms.tsv");
        CK(bract_rdmset_write(ref, path, 1));
        char *measure = ref->measure ? strdup(ref->measure) : NULL;
        bract_rdmset_free(ref);
        CK(bract_rdmset_read(path, &ref));
        /* the measure, as bract rsa learns it from the TSV's sidecar
         * (crossnobis values may be negative) */
        CK(bract_rdmset_set_measure(ref, measure));
        free(measure);
        free(path);
        /* the searchlight: its voxels read once */
        po.skip_small = 0;
        CK(bract_patterns_from_volumes(data, 1, d, whole, ds->geom, noise, nn, &po, NULL,
                                       &whole_ps));
        bract_take_warnings(&(const char *const *){NULL});
        const bract_patterns *wp = &whole_ps->region[0];
        ck_assert_uint_eq(wp->dropped_constant + wp->dropped_nonfinite, 2);
        CK(bract_searchlight_set_columns(sl, wp->voxel, wp->nvox));
        for (size_t ci = 0; ci < ncc; ci++) {
            /* models: the two of models.tsv (the second missing a pair) */
            bract_rdm m2 = mset->rdm[1];
            double *dd = malloc(bract_npairs(NCOND) * sizeof *dd);
            memcpy(dd, m2.d, bract_npairs(NCOND) * sizeof *dd);
            if (cc[ci].drop_pair)
                dd[3] = NAN;
            m2.d = dd;
            const bract_rdm *models[2] = {&mset->rdm[0], &m2};
            const bract_rdm *controls[1] = {&cset->rdm[0]};
            bract_compare_opts co = {cc[ci].method, cc[ci].partial, cc[ci].nan};
            bract_searchlight_models *sm;
            CK(bract_searchlight_models_new(d, 2, models, NULL, 1, controls, NULL, &co, &sm));
            /* bract rsa: every sphere's RDM a region of one subject */
            bract_rsa_opts o;
            bract_rsa_opts_defaults(&o);
            o.method = cc[ci].method;
            o.partial = cc[ci].partial;
            o.nan_policy = cc[ci].nan;
            o.permutations = 0;
            o.pairwise = 0;
            const bract_rdmset *subj[1] = {ref};
            const char *sname[1] = {"s"};
            bract_rsa_input in = {1, sname, NULL, subj, 2, models, NULL, NULL, 1, controls,
                                  NULL};
            bract_rsa_result *res;
            CK(bract_rsa_run(&in, &o, &res));
            bract_take_warnings(&(const char *const *){NULL});
            size_t C = bract_searchlight_ncentres(sl);
            double *val = malloc(C * 2 * sizeof *val);
            unsigned char *st = malloc(C);
            bract_searchlight_input si = {d, rc[ri].ro, wp->x, wp->nvox, wp->res, wp->nvox, wp->nres, sm};
            CK(bract_searchlight_run(sl, &si, 0, C, val, st, NULL, NULL));
            size_t compared = 0;
            for (size_t g = 0; g < res->nregions; g++) {
                size_t c = (size_t)atol(res->regions[g] + 1);
                for (size_t k = 0; k < 2; k++) {
                    double want = res->rows[g * 2 + k].r, got = val[c * 2 + k];
                    ck_assert_msg(want == got || (isnan(want) && isnan(got)),
                                  "%s%s, %s%s: centre %zu model %zu: searchlight %.17g, rdm "
                                  "neural + rsa %.17g",
                                  rc[ri].label, outside ? " (voxels outside the mask)" : "",
                                  bract_compare_method_name(cc[ci].method),
                                  cc[ci].partial ? " (partial)" : "", c, k, got, want);
                    compared += !isnan(want);
                }
            }
            /* nearly every centre has a sphere (edge spheres of one voxel
             * are no region) and a defined value */
            ck_assert_msg(compared >= 2 * (C - 8), "%s: only %zu values compared",
                          rc[ri].label, compared);
            ncomparisons += compared;
            free(val);
            free(st);
            free(dd);
            bract_rsa_result_free(res);
            bract_searchlight_models_free(sm);
        }
        bract_patterns_set_free(ps);
        bract_patterns_set_free(whole_ps);
        bract_rdmset_free(ref);
    }
    bract_atlas_free(whole);
    bract_atlas_free(spheres);
    bract_searchlight_free(sl);
    bract_rdmset_free(mset);
    bract_rdmset_free(cset);
    bract_rdm_design_free(d);
    return ncomparisons;
}

START_TEST(equals_rdm_neural_and_rsa)
{
    dataset ds;
    memset(&ds, 0, sizeof ds);
    make_dataset(&ds);
    const rdm_case rc[] = {
        {"euclidean", {.method = BRACT_RDM_EUCLIDEAN}, 0},
        {"euclidean plain", {.method = BRACT_RDM_EUCLIDEAN, .plain = 1}, 0},
        {"correlation", {.method = BRACT_RDM_CORRELATION}, 0},
        {"cosine", {.method = BRACT_RDM_COSINE}, 0},
        {"mahalanobis shrinkage_diag", {.method = BRACT_RDM_MAHALANOBIS}, 0},
        {"mahalanobis diag", {.method = BRACT_RDM_MAHALANOBIS, .noise = BRACT_NOISE_DIAG}, 0},
        {"crossnobis shrinkage_diag", {.method = BRACT_RDM_CROSSNOBIS}, 0},
        {"crossnobis identity", {.method = BRACT_RDM_CROSSNOBIS, .noise = BRACT_NOISE_IDENTITY}, 0},
        {"crossnobis shrinkage_eye, residual volumes",
         {.method = BRACT_RDM_CROSSNOBIS, .noise = BRACT_NOISE_SHRINKAGE_EYE}, 1},
        {"crossnobis rsatoolbox dof",
         {.method = BRACT_RDM_CROSSNOBIS, .dof_rule = BRACT_DOF_RSATOOLBOX}, 0},
    };
    const cmp_case cc[] = {
        {BRACT_CMP_SPEARMAN, 0, 0, 0},    {BRACT_CMP_PEARSON, 0, 0, 0},
        {BRACT_CMP_KENDALL, 0, 0, 0},     {BRACT_CMP_TAU_A, 0, 0, 0},
        {BRACT_CMP_RHO_A, 0, 0, 0},       {BRACT_CMP_COSINE, 0, 0, 0},
        {BRACT_CMP_CORR_COV, 0, 0, 0},    {BRACT_CMP_COSINE_COV, 0, 0, 0},
        {BRACT_CMP_SPEARMAN, BRACT_PARTIAL_OTHERS, 0, 0},
        {BRACT_CMP_PEARSON, BRACT_PARTIAL_CONTROLS, 0, 0},
        {BRACT_CMP_SPEARMAN, 0, BRACT_NAN_MODEL_MASK, 1},
        {BRACT_CMP_COSINE_COV, 0, BRACT_NAN_MODEL_MASK, 1},
    };
    size_t n = compare_all(&ds, 0, rc, sizeof rc / sizeof *rc, cc, sizeof cc / sizeof *cc);
    ck_assert(n > 2000);
    /* spheres that take voxels outside the mask */
    const rdm_case ro[] = {rc[2], rc[6], rc[8]};
    const cmp_case co[] = {cc[0], cc[2], cc[7]};
    n = compare_all(&ds, 1, ro, 3, co, 3);
    ck_assert(n > 1000);
    free_dataset(&ds);
}
END_TEST

START_TEST(same_bits_for_any_split)
{
    dataset ds;
    memset(&ds, 0, sizeof ds);
    make_dataset(&ds);
    const char *excl[] = {"rest"};
    bract_rdm_design_opts dopts = {BRACT_ORDER_FIRST, excl, 1};
    bract_rdm_design *d;
    CK(bract_rdm_design_read(ds.conditions, &dopts, &d));
    bract_rdmset *mset;
    CK(bract_rdmset_read(ds.models, &mset));
    bract_atlas *whole;
    CK(bract_atlas_from_mask(ds.mask, "mask", &whole));
    const char *data[1] = {ds.data};
    bract_patterns_set *ps;
    CK(bract_patterns_from_volumes(data, 1, d, whole, ds.geom, NULL, 0, NULL, NULL, &ps));
    bract_take_warnings(&(const char *const *){NULL});
    const bract_patterns *p = &ps->region[0];
    const bract_rdm *models[2] = {&mset->rdm[0], &mset->rdm[1]};
    for (int method = 0; method < 2; method++) {
        bract_searchlight_opts so = {.radius_mm = 7, .min_proportion = 0.5};
        bract_searchlight *sl;
        CK(bract_searchlight_new(ds.mask, ds.geom, &so, &sl));
        CK(bract_searchlight_set_columns(sl, p->voxel, p->nvox));
        bract_compare_opts co = {method ? BRACT_CMP_KENDALL : BRACT_CMP_SPEARMAN, 0, 0};
        bract_searchlight_models *sm;
        CK(bract_searchlight_models_new(d, 2, models, NULL, 0, NULL, NULL, &co, &sm));
        bract_rdm_opts ro = {.method = method ? BRACT_RDM_CROSSNOBIS : BRACT_RDM_CORRELATION};
        bract_searchlight_input in = {d, ro, p->x, p->nvox, NULL, 0, 0, sm};
        size_t C = bract_searchlight_ncentres(sl);
        double *v[3];
        unsigned char *st[3];
        for (int k = 0; k < 3; k++) {
            v[k] = malloc(2 * C * sizeof **v);
            st[k] = malloc(C);
        }
        bract_set_threads(1);
        CK(bract_searchlight_run(sl, &in, 0, C, v[0], st[0], NULL, NULL));
        bract_set_threads(2);
        CK(bract_searchlight_run(sl, &in, 0, C, v[1], st[1], NULL, NULL));
        /* three ranges of unequal work, as three ranks would take them */
        size_t b[4];
        bract_searchlight_split(sl, 3, b);
        ck_assert(b[0] == 0 && b[0] <= b[1] && b[1] <= b[2] && b[2] <= b[3] && b[3] == C);
        for (int r = 0; r < 3; r++)
            CK(bract_searchlight_run(sl, &in, b[r], b[r + 1], v[2] + 2 * b[r], st[2] + b[r], NULL, NULL));
        ck_assert(memcmp(v[0], v[1], 2 * C * sizeof **v) == 0);
        ck_assert(memcmp(v[0], v[2], 2 * C * sizeof **v) == 0);
        ck_assert(memcmp(st[0], st[1], C) == 0 && memcmp(st[0], st[2], C) == 0);
        size_t left = 0;
        for (size_t c = 0; c < C; c++) {
            left += st[0][c] == BRACT_SL_LEFT_OUT;
            ck_assert((st[0][c] == BRACT_SL_LEFT_OUT) == (isnan(v[0][2 * c]) != 0));
        }
        ck_assert(left > 0 && left < C / 2);
        for (int k = 0; k < 3; k++) {
            free(v[k]);
            free(st[k]);
        }
        bract_searchlight_models_free(sm);
        bract_searchlight_free(sl);
    }
    bract_patterns_set_free(ps);
    bract_atlas_free(whole);
    bract_rdmset_free(mset);
    bract_rdm_design_free(d);
    free_dataset(&ds);
}
END_TEST

START_TEST(model_errors)
{
    const char *c[] = {"a", "b", "c", "d"};
    bract_rdm_design *d;
    CK(bract_rdm_design_from_labels(c, NULL, 4, NULL, &d));
    bract_rdm m = {"m", 4, (char *[]){"a", "b", "c", "x"}, (double[]){1, 2, 3, 4, 5, 6}};
    const bract_rdm *mv[1] = {&m};
    bract_compare_opts co = {BRACT_CMP_SPEARMAN, 0, 0};
    bract_searchlight_models *sm;
    ck_assert_int_eq(bract_searchlight_models_new(d, 1, mv, NULL, 0, NULL, NULL, &co, &sm), BRACT_EDATA);
    ck_assert_error_has("the conditions table does not have the conditions of the first model");
    ck_assert_error_has("not in the model: 'd'");
    m.cond = (char *[]){"d", "c", "b", "a"};
    double same[6] = {1, 1, 1, 1, 1, 1};
    m.d = same;
    ck_assert_int_eq(bract_searchlight_models_new(d, 1, mv, NULL, 0, NULL, NULL, &co, &sm), BRACT_EDATA);
    ck_assert_error_has("model RDM 'm' is constant");
    double miss[6] = {1, NAN, 3, 4, 5, 6};
    m.d = miss;
    ck_assert_int_eq(bract_searchlight_models_new(d, 1, mv, NULL, 0, NULL, NULL, &co, &sm), BRACT_EDATA);
    ck_assert_error_has("misses pairs");
    co.nan_policy = BRACT_NAN_MODEL_MASK;
    CK(bract_searchlight_models_new(d, 1, mv, NULL, 0, NULL, NULL, &co, &sm));
    ck_assert_uint_eq(bract_searchlight_models_npairs(sm, 0), 5);
    bract_searchlight_models_free(sm);
    bract_rdm_design_free(d);
}
END_TEST

/* ---- recovery of a planted sphere ---- */

START_TEST(recovers_planted_sphere)
{
    /* bract simulate rsa's sphere (12 mm, 254 voxels in the brain) in 8
     * subjects of 24 words in 2 runs; searchlight maps of 6 mm spheres,
     * Spearman against the embedding's RDM; group max-t FWE over all 255
     * sign flips; Dice of p < 0.05 with the truth (0.88 at seed 1) */
    bract_simrsa_opts so;
    bract_simrsa_opts_defaults(&so);
    so.subjects = 8;
    so.words = 24;
    so.categories = 4;
    so.dims = 10;
    so.regions = 3;
    so.signal_regions = 1;
    so.snr = 0.3;
    so.grid[0] = 20;
    so.grid[1] = 20;
    so.grid[2] = 14;
    so.effect = BRACT_SIMRSA_SPHERE;
    so.radius_mm = 12;
    so.documents = 5;
    bract_simrsa *sim;
    CK(bract_simrsa_new(&so, &sim));
    char *maskp = tu_join(tmp, "mask.nii.gz");
    CK(bract_volume_write(sim->mask, maskp, NULL));
    bract_mask *mask;
    bract_volume *geom;
    CK(bract_mask_read(maskp, &mask, &geom));
    const char **cl = malloc(sim->nvol * sizeof *cl), **rl = malloc(sim->nvol * sizeof *rl);
    char (*runs)[8] = malloc(sim->nvol * sizeof *runs);
    for (size_t t = 0; t < sim->nvol; t++) {
        cl[t] = sim->words[sim->vol_word[t]];
        snprintf(runs[t], 8, "%zu", sim->vol_run[t]);
        rl[t] = runs[t];
    }
    bract_rdm_design *d;
    CK(bract_rdm_design_from_labels(cl, rl, sim->nvol, NULL, &d));
    /* the model: 1 - cosine of the embedding */
    size_t n = sim->nwords, D = sim->dims;
    bract_rdm model = {"embedding", n, sim->words, malloc(bract_npairs(n) * sizeof(double))};
    for (size_t i = 0, q = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++, q++) {
            double ab = 0, aa = 0, bb = 0;
            for (size_t k = 0; k < D; k++) {
                double a = sim->embedding[i * D + k], b = sim->embedding[j * D + k];
                ab += a * b;
                aa += a * a;
                bb += b * b;
            }
            model.d[q] = 1 - ab / sqrt(aa * bb);
        }
    const bract_rdm *mv[1] = {&model};
    bract_compare_opts co = {BRACT_CMP_SPEARMAN, 0, 0};
    bract_searchlight_models *sm;
    CK(bract_searchlight_models_new(d, 1, mv, NULL, 0, NULL, NULL, &co, &sm));
    bract_searchlight_opts slo = {.radius_mm = 6, .min_proportion = 0.5};
    bract_searchlight *sl;
    CK(bract_searchlight_new(mask, geom, &slo, &sl));
    bract_atlas *whole;
    CK(bract_atlas_from_mask(mask, "mask", &whole));
    char **maps = malloc(so.subjects * sizeof *maps);
    for (size_t s = 0; s < so.subjects; s++) {
        bract_volume *sv;
        CK(bract_simrsa_subject(sim, s, &sv));
        char name[32];
        snprintf(name, sizeof name, "sub%zu.nii.gz", s);
        char *path = tu_join(tmp, name);
        CK(bract_volume_write(sv, path, NULL));
        bract_volume_free(sv);
        const char *data[1] = {path};
        bract_patterns_set *ps;
        CK(bract_patterns_from_volumes(data, 1, d, whole, geom, NULL, 0, NULL, NULL, &ps));
        const bract_patterns *p = &ps->region[0];
        CK(bract_searchlight_set_columns(sl, p->voxel, p->nvox));
        size_t C = bract_searchlight_ncentres(sl);
        double *val = malloc(C * sizeof *val);
        unsigned char *st = malloc(C);
        bract_searchlight_input in = {d, {.method = BRACT_RDM_CORRELATION}, p->x, p->nvox, NULL, 0, 0, sm};
        CK(bract_searchlight_run(sl, &in, 0, C, val, st, NULL, NULL));
        bract_volume *map;
        CK(bract_volume_new_like(geom, 1, BRACT_F32, &map));
        for (size_t i = 0; i < map->nvox; i++)
            bract_volume_set(map, i, NAN);
        for (size_t c = 0; c < C; c++)
            bract_volume_set(map, bract_searchlight_centres(sl)[c], val[c]);
        snprintf(name, sizeof name, "map%zu.nii.gz", s);
        maps[s] = tu_join(tmp, name);
        bract_volume_write_opts wo = {BRACT_INTENT_CORREL, {0, 0, 0}, "spearman", NULL, 0};
        CK(bract_volume_write(map, maps[s], &wo));
        bract_volume_free(map);
        free(val);
        free(st);
        free(path);
        bract_patterns_set_free(ps);
    }
    bract_group_data *gd;
    CK(bract_group_read((const char *const *)maps, so.subjects, maskp, BRACT_GROUP_FISHER, 0, &gd));
    bract_take_warnings(&(const char *const *){NULL});
    bract_group_opts go = bract_group_opts_defaults();
    go.permutations = 1000;
    bract_group_result *gr;
    CK(bract_group_run(gd, &go, NULL, &gr));
    ck_assert(gr->exhaustive);
    size_t hit = 0, sig = 0, truth = 0;
    for (size_t i = 0; i < gd->n; i++) {
        int a = gr->p_fwe[i] < 0.05, t = bract_volume_get(sim->truth, gd->vox[i]) > 0;
        sig += a;
        hit += a && t;
    }
    for (size_t i = 0; i < sim->truth->nvox; i++)
        truth += bract_volume_get(sim->truth, i) > 0;
    double dice = 2.0 * (double)hit / (double)(sig + truth);
    ck_assert_msg(dice >= 0.8, "Dice %.3f (%zu significant, %zu true, %zu both)", dice, sig, truth,
                  hit);
    for (size_t s = 0; s < so.subjects; s++)
        free(maps[s]);
    free(maps);
    bract_group_result_free(gr);
    bract_group_data_free(gd);
    bract_atlas_free(whole);
    bract_searchlight_free(sl);
    bract_searchlight_models_free(sm);
    free(model.d);
    bract_rdm_design_free(d);
    free(cl);
    free(rl);
    free(runs);
    bract_mask_free(mask);
    bract_volume_free(geom);
    free(maskp);
    bract_simrsa_free(sim);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("searchlight");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, sphere_sizes_table);
    tcase_add_test(tc, sphere_sizes_anisotropic_and_edges);
    tcase_add_test(tc, face_radius);
    tcase_add_test(tc, mask_rules);
    tcase_add_test(tc, count_rule);
    tcase_add_test(tc, equals_rdm_neural_and_rsa);
    tcase_add_test(tc, same_bits_for_any_split);
    tcase_add_test(tc, model_errors);
    tcase_add_test(tc, recovers_planted_sphere);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(suite()); }
