/* Unit tests of bract/extract.h and the streaming reader of bract/volume.h,
 * on small synthetic volumes whose region means are known. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static char *tmp;
static void setup(void) { tmp = tu_tmpdir(); }
static void teardown(void)
{
    tu_rmtree(tmp);
    free(tmp);
}

enum { NX = 4, NY = 3, NZ = 2, NT = 5, NV = NX * NY * NZ };

/* Value of voxel i at volume t: distinct, non-constant in time. */
static double val(size_t i, size_t t)
{
    return 100.0 + 3.0 * (double)i + 0.5 * (double)(t * t) - (double)(i % 5) * (double)t;
}

/* Labels: 1 on voxels 0..5, 2 on 6..13, 7 on 14..19, 0 elsewhere. */
static int label_of(size_t i) { return i < 6 ? 1 : i < 14 ? 2 : i < 20 ? 7 : 0; }

static char *write_data(const char *name, double tr, const size_t *nan_vox, size_t n_nan,
                        size_t nan_t, int constant_region)
{
    int64_t dims[4] = {NX, NY, NZ, NT};
    double vox[3] = {2, 2, 2};
    bract_volume *v;
    ck_assert_int_eq(bract_volume_new(dims, vox, NULL, tr, BRACT_F32, &v), 0);
    for (size_t t = 0; t < NT; t++)
        for (size_t i = 0; i < NV; i++) {
            double x = val(i, t);
            if (constant_region && label_of(i) == 7)
                x = 42.0;
            bract_volume_set(v, i + NV * t, x);
        }
    for (size_t k = 0; k < n_nan; k++)
        bract_volume_set(v, nan_vox[k] + NV * nan_t, k % 2 ? INFINITY : NAN);
    char *p = tu_join(tmp, name);
    ck_assert_int_eq(bract_volume_write(v, p, NULL), 0);
    bract_volume_free(v);
    return p;
}

static char *write_atlas(const char *name, int64_t nx)
{
    int64_t dims[4] = {nx, NY, NZ, 1};
    double vox[3] = {2, 2, 2};
    bract_volume *v;
    ck_assert_int_eq(bract_volume_new(dims, vox, NULL, 0, BRACT_F32, &v), 0);
    for (size_t i = 0; i < v->nvox; i++)
        bract_volume_set(v, i, label_of(i));
    char *p = tu_join(tmp, name);
    ck_assert_int_eq(bract_volume_write(v, p, NULL), 0);
    bract_volume_free(v);
    return p;
}

/* Mean of val() over the voxels of `label`, skipping `skip` (or SIZE_MAX). */
static double direct_mean(int label, size_t t, size_t skip)
{
    double s = 0;
    size_t n = 0;
    for (size_t i = 0; i < NV; i++)
        if (label_of(i) == label && i != skip) {
            s += (double)(float)val(i, t); /* stored as float32 */
            n++;
        }
    return s / (double)n;
}

START_TEST(means_equal_direct_computation)
{
    char *d = write_data("bold.nii.gz", 1.5, NULL, 0, 0, 0);
    char *a = write_atlas("atlas.nii.gz", NX);
    bract_tseries *ts;
    bract_extract_info info;
    ck_assert_int_eq(bract_extract(d, a, NULL, NULL, 0, &ts, &info, NULL), 0);
    ck_assert_uint_eq(ts->nt, NT);
    ck_assert_uint_eq(ts->nreg, 3);
    ck_assert_str_eq(ts->name[0], "1");
    ck_assert_str_eq(ts->name[2], "7");
    ck_assert_double_eq(ts->tr, 1.5);
    const int labels[3] = {1, 2, 7};
    /* the same sums in the same order: equal to the last bit */
    for (size_t r = 0; r < 3; r++)
        for (size_t t = 0; t < NT; t++)
            ck_assert_double_eq(ts->x[r * NT + t], direct_mean(labels[r], t, (size_t)-1));
    ck_assert_uint_eq(info.voxels_used, 20);
    ck_assert_uint_eq(info.region_nvox[1], 8);
    ck_assert_uint_eq(info.regions_constant + info.regions_empty + info.regions_nonfinite, 0);
    bract_extract_info_free(&info);
    bract_tseries_free(ts);
    /* --tr overrides */
    ck_assert_int_eq(bract_extract(d, a, NULL, NULL, 0.8, &ts, NULL, NULL), 0);
    ck_assert_double_eq(ts->tr, 0.8);
    bract_tseries_free(ts);
    free(d);
    free(a);
}
END_TEST

START_TEST(nonfinite_voxels_left_out)
{
    /* voxel 8 (region 2) is NaN at volume 3: left out of region 2 in every
     * volume; region 1 loses voxels 2 and 3 (NaN, +inf) */
    size_t bad[3] = {8, 2, 3};
    char *d = write_data("bold.nii", 2, bad, 3, 3, 0);
    char *a = write_atlas("atlas.nii", NX);
    bract_tseries *ts;
    bract_extract_info info;
    ck_assert_int_eq(bract_extract(d, a, NULL, NULL, 0, &ts, &info, NULL), 0);
    ck_assert_uint_eq(info.voxels_nonfinite, 3);
    ck_assert_uint_eq(info.region_nvox[0], 4);
    ck_assert_uint_eq(info.region_nvox[1], 7);
    for (size_t t = 0; t < NT; t++) {
        double s = 0;
        for (size_t i = 0; i < 6; i++)
            if (i != 2 && i != 3)
                s += (double)(float)val(i, t);
        ck_assert_double_eq(ts->x[t], s / 4);
        ck_assert_double_eq(ts->x[NT + t], direct_mean(2, t, 8));
        ck_assert_double_eq(ts->x[2 * NT + t], direct_mean(7, t, (size_t)-1));
    }
    const char *const *w;
    size_t nw = bract_take_warnings(&w);
    ck_assert_uint_eq(nw, 2);
    ck_assert(tu_contains(w[0], "region 1: 2 of 6 voxels have NaN or infinite values"));
    ck_assert(tu_contains(w[1], "region 2: 1 of 8 voxels"));
    bract_extract_info_free(&info);
    bract_tseries_free(ts);
    free(d);
    free(a);
}
END_TEST

START_TEST(constant_and_empty_regions_are_na)
{
    char *d = write_data("bold.nii.gz", 2, NULL, 0, 0, 1);
    char *a = write_atlas("atlas.nii.gz", NX);
    char *l = tu_join(tmp, "labels.tsv");
    tu_write(l, "index\tname\n0\tbackground\n1\tV1\n2\tPCC\n5\tnowhere\n7\tflat\n");
    bract_tseries *ts;
    bract_extract_info info;
    ck_assert_int_eq(bract_extract(d, a, l, NULL, 0, &ts, &info, NULL), 0);
    ck_assert_uint_eq(ts->nreg, 4);
    ck_assert_str_eq(ts->name[0], "V1");
    ck_assert_str_eq(ts->name[2], "nowhere");
    ck_assert_str_eq(ts->name[3], "flat");
    ck_assert_uint_eq(info.regions_empty, 1);
    ck_assert_uint_eq(info.regions_constant, 1);
    for (size_t t = 0; t < NT; t++) {
        ck_assert(isnan(ts->x[2 * NT + t]));
        ck_assert(isnan(ts->x[3 * NT + t]));
        ck_assert_double_eq(ts->x[NT + t], direct_mean(2, t, (size_t)-1));
    }
    const char *const *w;
    size_t nw = bract_take_warnings(&w);
    ck_assert_uint_eq(nw, 2);
    ck_assert(tu_contains(w[0], "region nowhere (label 5) has no voxels"));
    ck_assert(tu_contains(w[1], "region flat is constant over the 5 volumes (value 42)"));
    bract_extract_info_free(&info);
    bract_tseries_free(ts);
    free(d);
    free(a);
    free(l);
}
END_TEST

START_TEST(bad_inputs)
{
    char *d = write_data("bold.nii.gz", 2, NULL, 0, 0, 0);
    char *a = write_atlas("atlas.nii.gz", NX);
    char *a5 = write_atlas("atlas5.nii.gz", NX + 1);
    char *l = tu_join(tmp, "labels.tsv");
    tu_write(l, "index\tname\n1\tV1\n7\tflat\n");
    bract_tseries *ts;
    ck_assert_int_eq(bract_extract(d, a, l, NULL, 0, &ts, NULL, NULL), BRACT_EDATA);
    ck_assert_error_has("label 2 is in the atlas but not in the labels file");
    ck_assert_error_has("labels.tsv");
    ck_assert_ptr_null(ts);
    ck_assert_int_eq(bract_extract(d, a5, NULL, NULL, 0, &ts, NULL, NULL), BRACT_EDATA);
    ck_assert_error_has("bold.nii.gz and ");
    ck_assert_error_has("atlas5.nii.gz are on different grids: 4x3x2 voxels vs 5x3x2");
    ck_assert_int_eq(bract_extract(d, a, NULL, a5, 0, &ts, NULL, NULL), BRACT_EDATA);
    ck_assert_error_has("are on different grids");
    /* a truncated gzip stream: the header reads, the volume that cannot
     * be read is named */
    char *tr = tu_join(tmp, "cut.nii.gz");
    char *raw = tu_join(tmp, "raw.nii.gz");
    {
        int64_t dims[4] = {NX, NY, NZ, 400};
        double vox[3] = {2, 2, 2};
        bract_volume *v;
        ck_assert_int_eq(bract_volume_new(dims, vox, NULL, 2, BRACT_F32, &v), 0);
        for (size_t i = 0; i < v->nvox * 400; i++)
            bract_volume_set(v, i, sin(0.37 * (double)i) * 1000); /* poorly compressible */
        ck_assert_int_eq(bract_volume_write(v, raw, NULL), 0);
        bract_volume_free(v);
        FILE *in = fopen(raw, "rb"), *out = fopen(tr, "wb");
        static char buf[1 << 16];
        size_t n = fread(buf, 1, sizeof buf, in);
        ck_assert(n > 4000);
        fwrite(buf, 1, n / 2, out);
        fclose(in);
        fclose(out);
    }
    ck_assert_int_eq(bract_extract(tr, a, NULL, NULL, 0, &ts, NULL, NULL), BRACT_EFORMAT);
    ck_assert_error_has("cut.nii.gz: truncated or corrupt: volume ");
    ck_assert_error_has(" of 400 could not be read");
    free(tr);
    free(raw);
    free(d);
    free(a);
    free(a5);
    free(l);
}
END_TEST

START_TEST(stream_keeps_nonfinite_values)
{
    size_t bad[2] = {5, 6};
    char *d = write_data("bold.nii.gz", 2, bad, 2, 1, 0);
    bract_volume *v;
    ck_assert_int_eq(bract_volume_read(d, 0, &v), 0);
    ck_assert(isnan(bract_volume_get(v, 5 + NV)));
    ck_assert(isinf(bract_volume_get(v, 6 + NV)));
    ck_assert_double_eq(bract_volume_get(v, 7 + NV), (double)(float)val(7, 1));
    bract_volume_free(v);
    /* float storage keeps them too (nifticlib's own loader would give 0) */
    ck_assert_int_eq(bract_volume_read(d, BRACT_VOL_FLOAT32, &v), 0);
    ck_assert(isnan(bract_volume_get(v, 5 + NV)));
    ck_assert(isinf(bract_volume_get(v, 6 + NV)));
    bract_volume_free(v);
    /* scaled int16 written by nibabel, read volume by volume */
    bract_volume *h;
    bract_volume_stream *s;
    ck_assert_int_eq(bract_volume_stream_open(REFDATA "/volumes/int16_scaled_4d.nii.gz", &h, &s),
                     0);
    ck_assert_int_eq(h->nt, 7);
    float f[120];
    ck_assert_int_eq(bract_volume_stream_read(s, 1, BRACT_F32, f), 0);
    ck_assert_double_eq((double)f[1 + 5 * (2 + 6 * 3)], 425.5); /* nibabel's voxel (1,2,3) */
    double rest[6 * 120];
    ck_assert_int_eq(bract_volume_stream_read(s, 6, BRACT_F64, rest), 0);
    ck_assert_uint_eq(bract_volume_stream_tell(s), 7);
    ck_assert_int_eq(bract_volume_stream_read(s, 1, BRACT_F64, rest), BRACT_EINVAL);
    ck_assert_error_has("asked for volumes 8 to 8 of a series of 7");
    bract_volume_stream_close(s);
    bract_volume_free(h);
    free(d);
}
END_TEST

static Suite *extract_suite(void)
{
    Suite *s = suite_create("extract");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, means_equal_direct_computation);
    tcase_add_test(tc, nonfinite_voxels_left_out);
    tcase_add_test(tc, constant_and_empty_regions_are_na);
    tcase_add_test(tc, bad_inputs);
    tcase_add_test(tc, stream_keeps_nonfinite_values);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(extract_suite()); }
