/* Unit tests of bract/patterns.h on NIfTI inputs written here: atlas
 * regions with a labels table, lists of 3-D maps, residual volumes as the
 * noise, dropped voxels, and the errors of each. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bract/atlas.h"
#include "bract/mask.h"

static char *tmp;
static void setup(void) { tmp = tu_tmpdir(); }
static void teardown(void)
{
    tu_rmtree(tmp);
    free(tmp);
}

#define CK(call) ck_assert_msg((call) == 0, "%s", bract_last_error())

/* Grid 4 x 3 x 1 (12 voxels), nt volumes, value(v, t) = f(v, t). */
static char *write_series(const char *name, int64_t nz, int64_t nt, double (*f)(size_t, size_t))
{
    int64_t dims[4] = {4, 3, nz, nt};
    double vox[3] = {2, 2, 2};
    bract_volume *v;
    CK(bract_volume_new(dims, vox, NULL, 2.0, BRACT_F64, &v));
    for (size_t t = 0; t < (size_t)nt; t++)
        for (size_t i = 0; i < v->nvox; i++)
            bract_volume_set(v, i + v->nvox * t, f(i, t));
    char *p = tu_join(tmp, name);
    CK(bract_volume_write(v, p, NULL));
    bract_volume_free(v);
    return p;
}

/* Pseudo-random but reproducible values. */
static double data_value(size_t i, size_t t)
{
    return sin(1.7 * (double)i + 0.9 * (double)(t * t) + 0.3) * 10 + (double)t;
}
static size_t map_index; /* which map of a list (3-D files) */
static double map_value(size_t i, size_t t)
{
    (void)t;
    return data_value(i, map_index);
}
static double noise_value(size_t i, size_t t)
{
    return cos(2.3 * (double)i * (double)(t + 1)) + 0.1 * (double)t;
}
static double flat_noise(size_t i, size_t t)
{
    return i == 4 ? 0.5 : noise_value(i, t); /* voxel 4: no residual variance */
}
static double atlas_value(size_t i, size_t t)
{
    (void)t;
    return i < 6 ? 1 : i < 11 ? 2 : 3;
}

static double nan_map_value(size_t i, size_t t)
{
    (void)t;
    return map_index == 3 && i == 2 ? NAN : data_value(i, map_index);
}

static bract_rdm_design *six_rows(void)
{
    const char *c[] = {"a", "b", "c", "a", "b", "c"};
    const char *r[] = {"1", "1", "1", "2", "2", "2"};
    bract_rdm_design *d;
    CK(bract_rdm_design_from_labels(c, r, 6, NULL, &d));
    return d;
}

START_TEST(atlas_maps_and_noise)
{
    char *atlas_path = write_series("atlas.nii.gz", 1, 1, atlas_value);
    char *labels = tu_join(tmp, "labels.tsv");
    tu_write(labels, "index\tname\n1\tleft\n2\tright\n3\ttiny\n");
    char *maps[6];
    for (size_t k = 0; k < 6; k++) {
        char name[32];
        snprintf(name, sizeof name, "beta%zu.nii", k);
        map_index = k;
        maps[k] = write_series(name, 1, 1, map_value);
    }
    char *noise = write_series("res.nii.gz", 1, 7, noise_value);
    char *flat = write_series("flat.nii.gz", 1, 7, flat_noise);
    bract_atlas *a;
    bract_volume *geom;
    CK(bract_atlas_read(atlas_path, labels, NULL, &a, &geom));
    bract_rdm_design *d = six_rows();
    bract_patterns_set *s;

    /* a one-voxel region is an error naming it */
    ck_assert_int_eq(bract_patterns_from_volumes((const char *const *)maps, 6, d, a, geom, NULL,
                                                 0, NULL, NULL, &s),
                     BRACT_EDATA);
    ck_assert_error_has("region tiny has 1 usable voxel; an RDM needs at least 2");
    /* ... or left out */
    bract_patterns_opts po = {.skip_small = 1};
    const char *np[] = {noise};
    CK(bract_patterns_from_volumes((const char *const *)maps, 6, d, a, geom, np, 1, &po, NULL,
                                   &s));
    ck_assert_uint_eq(s->nregions, 2);
    ck_assert_uint_eq(s->nskipped, 1);
    ck_assert_str_eq(s->skipped[0], "tiny");
    const bract_patterns *left = &s->region[0], *right = &s->region[1];
    ck_assert_str_eq(left->name, "left");
    ck_assert_uint_eq(left->nvox, 6);
    ck_assert_uint_eq(left->dropped_nonfinite, 0);
    ck_assert_uint_eq(left->nres, 7);
    ck_assert_uint_eq(right->nvox, 5);
    ck_assert_uint_eq(right->voxel[0], 6);
    /* rows are the maps in (run, condition) order; values exact (float32 files) */
    for (size_t k = 0; k < 6; k++)
        for (size_t q = 0; q < right->nvox; q++)
            ck_assert_double_eq(right->x[k * right->nvox + q], (double)(float)data_value(right->voxel[q], k));
    for (size_t t = 0; t < 7; t++)
        ck_assert_double_eq(right->res[t * 5 + 1], (double)(float)noise_value(7, t));

    /* the RDMs of all regions equal the engine on each region's matrices */
    bract_rdm_opts o = {.method = BRACT_RDM_MAHALANOBIS, .noise = BRACT_NOISE_SHRINKAGE_EYE};
    bract_rdmset *set;
    bract_rdm_info info[2];
    CK(bract_patterns_rdms(d, s, &o, NULL, &set, info));
    ck_assert_uint_eq(set->nrdm, 2);
    ck_assert_str_eq(set->rdm[1].name, "right");
    ck_assert_str_eq(set->rdm[1].cond[2], "c");
    ck_assert_uint_eq(info[1].nres, 7);
    ck_assert_double_eq(info[1].dof, 6); /* given residuals: rows - 1 */
    bract_rdm_plan *plan;
    bract_rdm_ws *w;
    double want[3];
    CK(bract_rdm_plan_new(d, &o, 5, 7, &plan));
    CK(bract_rdm_ws_new(plan, &w));
    bract_rdm_noise nz = {.resid = right->res, .ldr = 5, .nres = 7};
    CK(bract_rdm_compute(plan, w, right->x, 5, 5, &nz, want, NULL));
    for (int q = 0; q < 3; q++)
        ck_assert(set->rdm[1].d[q] == want[q]);
    bract_rdm_ws_free(w);
    bract_rdm_plan_free(plan);
    bract_rdmset_free(set);
    bract_patterns_set_free(s);

    /* a voxel without residual variance: an error naming the region */
    const char *fp[] = {flat};
    CK(bract_patterns_from_volumes((const char *const *)maps, 6, d, a, geom, fp, 1, &po, NULL,
                                   &s));
    ck_assert_int_eq(bract_patterns_rdms(d, s, &o, NULL, &set, NULL), BRACT_EDATA);
    ck_assert_error_has("region left: voxel 5 of 6 has zero residual variance");
    ck_assert_ptr_null(set);
    bract_patterns_set_free(s);

    /* the noise on another grid */
    char *bad = write_series("res3d.nii.gz", 2, 7, noise_value);
    const char *bp[] = {bad};
    ck_assert_int_eq(bract_patterns_from_volumes((const char *const *)maps, 6, d, a, geom, bp, 1,
                                                 &po, NULL, &s),
                     BRACT_EDATA);
    ck_assert_error_has("noise");
    ck_assert_error_has("res3d.nii.gz");
    /* data on another grid */
    const char *dp[] = {maps[0], maps[1], maps[2], maps[3], maps[4], bad};
    ck_assert_int_ne(bract_patterns_from_volumes(dp, 6, d, a, geom, NULL, 0, &po, NULL, &s), 0);
    ck_assert_error_has("res3d.nii.gz");

    bract_rdm_design_free(d);
    bract_atlas_free(a);
    bract_volume_free(geom);
    for (size_t k = 0; k < 6; k++)
        free(maps[k]);
    free(bad);
    free(noise);
    free(flat);
    free(labels);
    free(atlas_path);
}
END_TEST

/* A 4-D series cut into two files gives the same patterns as one file;
 * a voxel constant in every volume is dropped. */
static double with_constant(size_t i, size_t t) { return i == 3 ? 5.0 : data_value(i, t); }
static size_t offset;
static double shifted(size_t i, size_t t) { return with_constant(i, t + offset); }

static double ones(size_t i, size_t t)
{
    (void)i;
    (void)t;
    return 1;
}

START_TEST(split_series_and_constant_voxel)
{
    char *whole = write_series("whole.nii.gz", 1, 6, with_constant);
    offset = 0;
    char *first = write_series("first.nii", 1, 4, shifted);
    offset = 4;
    char *second = write_series("second.nii", 1, 2, shifted);
    char *mask = write_series("mask.nii.gz", 1, 1, ones);
    bract_mask *m;
    bract_volume *geom;
    CK(bract_mask_read(mask, &m, &geom));
    bract_atlas *a;
    CK(bract_atlas_from_mask(m, "all", &a));
    bract_rdm_design *d = six_rows();
    bract_patterns_set *s1, *s2;
    const char *one[] = {whole}, *two[] = {first, second};
    CK(bract_patterns_from_volumes(one, 1, d, a, geom, NULL, 0, NULL, NULL, &s1));
    CK(bract_patterns_from_volumes(two, 2, d, a, geom, NULL, 0, NULL, NULL, &s2));
    ck_assert_uint_eq(s1->region[0].nvox, 11);
    ck_assert_uint_eq(s1->region[0].dropped_constant, 1);
    ck_assert_uint_eq(s1->region[0].voxel[3], 4); /* voxel 3 is gone */
    ck_assert(memcmp(s1->region[0].x, s2->region[0].x, 6 * 11 * sizeof(double)) == 0);
    ck_assert_str_eq(s2->region[0].name, "all");
    bract_patterns_set_free(s1);
    bract_patterns_set_free(s2);
    bract_rdm_design_free(d);
    bract_atlas_free(a);
    bract_mask_free(m);
    bract_volume_free(geom);
    free(whole);
    free(first);
    free(second);
    free(mask);
}
END_TEST

START_TEST(nan_voxel_in_a_map)
{
    /* a NaN stored in a float map (nifticlib's loader would read it as 0)
     * drops its voxel from the region, counted */
    char *atlas_path = write_series("atlas.nii.gz", 1, 1, atlas_value);
    char *maps[6];
    for (size_t k = 0; k < 6; k++) {
        char name[32];
        snprintf(name, sizeof name, "nan%zu.nii.gz", k);
        map_index = k;
        maps[k] = write_series(name, 1, 1, nan_map_value);
    }
    bract_atlas *a;
    bract_volume *geom;
    CK(bract_atlas_read(atlas_path, NULL, NULL, &a, &geom));
    bract_rdm_design *d = six_rows();
    bract_patterns_set *s;
    bract_patterns_opts po = {.skip_small = 1};
    CK(bract_patterns_from_volumes((const char *const *)maps, 6, d, a, geom, NULL, 0, &po, NULL,
                                   &s));
    const bract_patterns *r1 = &s->region[0];
    ck_assert_uint_eq(r1->nvox, 5);
    ck_assert_uint_eq(r1->dropped_nonfinite, 1);
    for (size_t q = 0; q < r1->nvox; q++)
        ck_assert_uint_ne(r1->voxel[q], 2);
    ck_assert_uint_eq(s->region[1].dropped_nonfinite, 0);
    bract_patterns_set_free(s);
    bract_rdm_design_free(d);
    bract_atlas_free(a);
    bract_volume_free(geom);
    for (size_t k = 0; k < 6; k++)
        free(maps[k]);
    free(atlas_path);
}
END_TEST

/* A matrix in memory gives the patterns a table with the same numbers
 * gives (the bindings' path): same rows, bit for bit, the same dropped
 * columns, the residuals, the reported column indices; and its errors. */
START_TEST(matrix_equals_table)
{
    enum { NV = 6, NC = 5, NR = 4 };
    double x[NV * NC], res[NR * (NC + 1)];
    for (size_t v = 0; v < NV; v++)
        for (size_t j = 0; j < NC; j++)
            x[v * NC + j] = j == 2 ? 7.25 : data_value(j, v) / 3; /* column 2 constant */
    for (size_t r = 0; r < NR; r++)
        for (size_t j = 0; j < NC + 1; j++)
            res[r * (NC + 1) + j] = noise_value(j, r) / 7; /* stride NC + 1 */
    const char *c[] = {"a", "b", "c", "a", "b", "c"}, *run[] = {"1", "1", "1", "2", "2", "2"};
    char *tab = tu_join(tmp, "patterns.tsv"), *ntab = tu_join(tmp, "noise.tsv");
    char text[8192], ntext[8192];
    size_t k = (size_t)snprintf(text, sizeof text, "condition\trun\tf0\tf1\tf2\tf3\tf4\n");
    for (size_t v = 0; v < NV; v++) {
        k += (size_t)snprintf(text + k, sizeof text - k, "%s\t%s", c[v], run[v]);
        for (size_t j = 0; j < NC; j++)
            k += (size_t)snprintf(text + k, sizeof text - k, "\t%.17g", x[v * NC + j]);
        k += (size_t)snprintf(text + k, sizeof text - k, "\n");
    }
    size_t n = (size_t)snprintf(ntext, sizeof ntext, "f0\tf1\tf2\tf3\tf4\n");
    for (size_t r = 0; r < NR; r++)
        for (size_t j = 0; j < NC; j++)
            n += (size_t)snprintf(ntext + n, sizeof ntext - n, "%.17g%s", res[r * (NC + 1) + j],
                                  j + 1 < NC ? "\t" : "\n");
    tu_write(tab, text);
    tu_write(ntab, ntext);
    bract_patterns_opts po = {.demean_runs = 1};
    bract_rdm_design *dt, *d;
    bract_patterns_set *st, *sm;
    CK(bract_patterns_from_table(tab, NULL, "t", ntab, &po, &dt, &st));
    CK(bract_rdm_design_from_labels(c, run, NV, NULL, &d));
    const size_t ids[NC] = {10, 11, 12, 13, 14};
    CK(bract_patterns_from_matrix(x, NC, NC, d, res, NC + 1, NR, ids, "m", &po, &sm));
    const bract_patterns *pt = &st->region[0], *pm = &sm->region[0];
    ck_assert_str_eq(pm->name, "m");
    ck_assert_uint_eq(pm->nvox, 4);
    ck_assert_uint_eq(pm->dropped_constant, 1);
    ck_assert_uint_eq(pm->nobs, pt->nobs);
    ck_assert_uint_eq(pm->nres, NR);
    ck_assert_uint_eq(pm->voxel[2], 13); /* column 2 is gone */
    ck_assert(memcmp(pm->x, pt->x, pt->nobs * pt->nvox * sizeof(double)) == 0);
    ck_assert(memcmp(pm->res, pt->res, NR * pt->nvox * sizeof(double)) == 0);
    bract_patterns_set_free(sm);
    /* a non-finite residual drops its column; a single residual row, a
     * stride below the columns, no columns are errors */
    res[1] = NAN;
    CK(bract_patterns_from_matrix(x, NC, NC, d, res, NC + 1, NR, NULL, NULL, NULL, &sm));
    ck_assert_uint_eq(sm->region[0].dropped_nonfinite, 1);
    ck_assert_uint_eq(sm->region[0].voxel[0], 0);
    ck_assert_uint_eq(sm->region[0].voxel[1], 3);
    bract_patterns_set_free(sm);
    ck_assert_int_eq(bract_patterns_from_matrix(x, NC, NC, d, res, NC, 1, NULL, "m", NULL, &sm),
                     BRACT_EDATA);
    ck_assert_error_has("1 residual row; at least 2");
    ck_assert_int_eq(bract_patterns_from_matrix(x, 3, NC, d, NULL, 0, 0, NULL, "m", NULL, &sm),
                     BRACT_EINVAL);
    ck_assert_int_eq(bract_patterns_from_matrix(x, NC, 0, d, NULL, 0, 0, NULL, "m", NULL, &sm),
                     BRACT_EDATA);
    ck_assert_ptr_null(sm);
    bract_patterns_set_free(st);
    bract_rdm_design_free(dt);
    bract_rdm_design_free(d);
    free(tab);
    free(ntab);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("patterns");
    TCase *t = tcase_create("patterns");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, atlas_maps_and_noise);
    tcase_add_test(t, split_series_and_constant_voxel);
    tcase_add_test(t, nan_voxel_in_a_map);
    tcase_add_test(t, matrix_equals_table);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    bract_init();
    return tu_run(suite());
}
