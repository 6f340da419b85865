/* Unit tests of bract/tseries.h and bract_volume_gather. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CK(call) ck_assert_msg((call) == 0, "%s", bract_last_error())

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

/* Column selection by shell patterns: kept in order, the others moved to
 * `dropped` in order; a pattern that matches nothing, and an empty
 * selection, are errors that leave the series as it was. */
START_TEST(select_columns)
{
    const char *names[] = {"roi_a", "csf", "roi_b", "global_signal", "trans_x", "net_c"};
    bract_tseries *ts;
    CK(bract_tseries_new(3, 6, &ts));
    ts->tr = 2;
    for (size_t r = 0; r < 6; r++) {
        free(ts->name[r]);
        ts->name[r] = strdup(names[r]);
        for (size_t t = 0; t < 3; t++)
            ts->x[r * 3 + t] = 10.0 * (double)r + (double)t;
    }
    const char *inc[] = {"roi_*", "net_*", "csf"}, *exc[] = {"csf", "white_matter"};
    bract_tseries_columns sel = {inc, 3, exc, 2};
    bract_tseries *d;
    CK(bract_tseries_select(ts, &sel, &d));
    ck_assert_uint_eq(ts->nreg, 3);
    ck_assert_str_eq(ts->name[0], "roi_a");
    ck_assert_str_eq(ts->name[1], "roi_b");
    ck_assert_str_eq(ts->name[2], "net_c");
    ck_assert_double_eq(ts->x[1 * 3 + 2], 22);
    ck_assert_double_eq(ts->x[2 * 3 + 0], 50);
    ck_assert_uint_eq(d->nreg, 3);
    ck_assert_uint_eq(d->nt, 3);
    ck_assert_double_eq(d->tr, 2);
    ck_assert_str_eq(d->name[0], "csf");
    ck_assert_str_eq(d->name[1], "global_signal");
    ck_assert_str_eq(d->name[2], "trans_x");
    ck_assert_double_eq(d->x[1 * 3 + 1], 31);
    ck_assert_double_eq(d->x[2 * 3 + 2], 42);
    bract_tseries_free(d);
    /* errors leave ts as it was */
    const char *typo[] = {"roi_*", "nte_*"};
    bract_tseries_columns bad = {typo, 2, NULL, 0};
    ck_assert_int_eq(bract_tseries_select(ts, &bad, &d), BRACT_EDATA);
    ck_assert_ptr_null(d);
    ck_assert(strstr(bract_last_error(), "no column matches 'nte_*' (the columns are roi_a, roi_b, "
                                         "net_c)"));
    const char *all[] = {"*"};
    bract_tseries_columns none = {NULL, 0, all, 1};
    ck_assert_int_eq(bract_tseries_select(ts, &none, NULL), BRACT_EDATA);
    ck_assert(strstr(bract_last_error(), "leaves no column"));
    ck_assert_uint_eq(ts->nreg, 3);
    /* exclusion only, nothing dropped: an empty dropped series */
    const char *no[] = {"nothing"};
    bract_tseries_columns keepall = {NULL, 0, no, 1};
    CK(bract_tseries_select(ts, &keepall, &d));
    ck_assert_uint_eq(ts->nreg, 3);
    ck_assert_uint_eq(d->nreg, 0);
    bract_tseries_free(d);
    bract_tseries_free(ts);
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
    tcase_add_test(tc, select_columns);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(tseries_suite()); }
