/* Unit tests of bract/tseries.h and bract_volume_gather. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>

static char *tmp;
static void setup(void) { tmp = tu_tmpdir(); }
static void teardown(void)
{
    tu_rmtree(tmp);
    free(tmp);
}

START_TEST(read_real_csv)
{
    bract_tseries *ts;
    ck_assert_int_eq(bract_tseries_read(TESTDATA "/data/nitime-rest/fmri_timeseries.csv", 1.89,
                                        &ts), 0);
    ck_assert_uint_eq(ts->nt, 250);
    ck_assert_uint_eq(ts->nreg, 31);
    ck_assert_double_eq(ts->tr, 1.89);
    ck_assert_int_eq(bract_tseries_find(ts, "LThal"), 5);
    bract_tseries_free(ts);
}
END_TEST

START_TEST(round_trip_with_sidecar_tr)
{
    bract_tseries *ts = NULL;
    bract_tseries_new(4, 2, &ts);
    for (size_t i = 0; i < 8; i++)
        ts->x[i] = 0.1 * (double)i - 0.3;
    ts->x[5] = NAN;
    char *p = tu_join(tmp, "ts.tsv");
    ck_assert_int_eq(bract_tseries_write(ts, p, 0), 0);
    bract_sidecar *sc = bract_sidecar_new("extract");
    bract_sidecar_set_num(sc, "RepetitionTime", 2.5);
    ck_assert_int_eq(bract_sidecar_write(sc, p, 0), 0);
    bract_sidecar_free(sc);
    bract_tseries *back;
    ck_assert_int_eq(bract_tseries_read(p, 0, &back), 0);
    ck_assert_double_eq(back->tr, 2.5); /* from ts.json */
    ck_assert_str_eq(back->name[1], "r2");
    for (size_t i = 0; i < 8; i++)
        if (i == 5)
            ck_assert(isnan(back->x[i]));
        else
            ck_assert(back->x[i] == ts->x[i]);
    bract_tseries_free(back);
    ck_assert_int_eq(bract_tseries_read(p, 0.8, &back), 0);
    ck_assert_double_eq(back->tr, 0.8); /* explicit TR wins */
    bract_tseries_free(back);
    bract_tseries_free(ts);
    free(p);
}
END_TEST

START_TEST(non_numeric_series)
{
    char *p = tu_join(tmp, "bad.tsv");
    tu_write(p, "V1\tPCC\n0.5\t1\n0.25\toops\n");
    bract_tseries *ts;
    ck_assert_int_eq(bract_tseries_read(p, 0, &ts), BRACT_EFORMAT);
    ck_assert_error_has("bad.tsv:3: column 2 ('PCC'): expected a number, found 'oops'");
    free(p);
}
END_TEST

START_TEST(gather_layouts)
{
    bract_volume *v;
    ck_assert_int_eq(bract_volume_read(REFDATA "/volumes/int16_scaled_4d.nii.gz", 0, &v), 0);
    size_t vox[2] = {101, 7};
    double a[14], b[14];
    ck_assert_int_eq(bract_volume_gather(v, vox, 2, BRACT_TIME_ROWS, a), 0);
    ck_assert_int_eq(bract_volume_gather(v, vox, 2, BRACT_VOXEL_ROWS, b), 0);
    for (int t = 0; t < 7; t++) {
        ck_assert_double_eq(a[t * 2 + 0], bract_volume_get(v, 101 + 120 * (size_t)t));
        ck_assert_double_eq(b[0 * 7 + t], a[t * 2]);
        ck_assert_double_eq(b[1 * 7 + t], a[t * 2 + 1]);
    }
    ck_assert_double_eq(a[0], 425.5); /* nibabel's first value of voxel (1,2,3) */
    size_t bad = 120;
    ck_assert_int_eq(bract_volume_gather(v, &bad, 1, BRACT_TIME_ROWS, a), BRACT_EINVAL);
    bract_volume_free(v);
}
END_TEST

static Suite *tseries_suite(void)
{
    Suite *s = suite_create("tseries");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, read_real_csv);
    tcase_add_test(tc, round_trip_with_sidecar_tr);
    tcase_add_test(tc, non_numeric_series);
    tcase_add_test(tc, gather_layouts);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(tseries_suite()); }
