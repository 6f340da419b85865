/* Unit tests of the timescale simulator (bract/tausim.h).  The reference
 * numbers are what `bract simulate timescales -o DIR --regions 4 --volumes
 * 80 --block 1 --volume --seed 3 --subjects 2` wrote before the simulator
 * moved from the command into the library (truth.tsv,
 * truth_subjects.tsv, sub-02_timeseries.tsv, the NIfTI volumes). */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static bract_tausim *small(void)
{
    bract_tausim_opts o;
    bract_tausim_opts_defaults(&o);
    o.nreg = 4;
    o.nt = 80;
    o.block = 1;
    o.nsub = 2;
    o.seed = 3;
    bract_tausim *d;
    ck_assert_int_eq(bract_tausim_new(&o, &d), BRACT_OK);
    return d;
}

START_TEST(defaults)
{
    bract_tausim_opts o;
    bract_tausim_opts_defaults(&o);
    ck_assert_uint_eq(o.nreg, 20);
    ck_assert_uint_eq(o.nt, 600);
    ck_assert_uint_eq(o.nsub, 1);
    ck_assert_uint_eq(o.block, 2);
    ck_assert_double_eq(o.tr, 2);
    ck_assert_double_eq(o.tau_min, 2);
    ck_assert_double_eq(o.tau_max, 20);
    ck_assert_double_eq(o.noise, 0.5);
    ck_assert_double_eq(o.subject_sd, 0.1);
    ck_assert_uint_eq(o.seed, 1);
}
END_TEST

START_TEST(truth_as_the_command_wrote_it)
{
    bract_tausim *d = small();
    static const char *const names[4] = {"R01", "R02", "R03", "R04"};
    static const double value[4] = {0, 0.3333333333333333, 0.6666666666666666, 1};
    static const double tau[4] = {2, 4.308869380063768, 9.283177667225557, 20};
    static const double xyz[4][3] = {{-3, -3, 0}, {3, -3, 0}, {3, 3, 0}, {-3, 3, 0}};
    static const double tsub[8] = {2.265914468609653, 3.71700201739008,  8.53402825844351,
                                   17.74508117204064, 2.1969200034506597, 3.7433892050045032,
                                   8.79169061077897,  20.21642529435352};
    for (int g = 0; g < 4; g++) {
        ck_assert_str_eq(d->names[g], names[g]);
        ck_assert_double_eq(d->value[g], value[g]);
        ck_assert_double_eq(d->tau[g], tau[g]);
        for (int i = 0; i < 3; i++)
            ck_assert_double_eq(d->xyz[3 * g + i], xyz[g][i]);
    }
    for (int i = 0; i < 8; i++)
        ck_assert_double_eq(d->tau_subject[i], tsub[i]);
    ck_assert_int_eq(d->dims[0], 5);
    ck_assert_int_eq(d->dims[1], 5);
    ck_assert_int_eq(d->dims[2], 3);
    ck_assert_double_eq(d->affine[0][3], -6);
    ck_assert_double_eq(d->affine[2][3], -3);
    ck_assert_double_eq(d->affine[1][1], 3);
    bract_tausim_free(d);
}
END_TEST

START_TEST(series_as_the_command_wrote_them)
{
    bract_tausim *d = small();
    bract_tseries *ts;
    ck_assert_int_eq(bract_tausim_series(d, 1, &ts), BRACT_OK);
    ck_assert_uint_eq(ts->nt, 80);
    ck_assert_uint_eq(ts->nreg, 4);
    ck_assert_double_eq(ts->tr, 2);
    ck_assert_str_eq(ts->name[3], "R04");
    static const double row0[4] = {-2.2257161233309137, 0.5142936819057384,
                                   -0.24669647823233448, -1.06614573152513};
    static const double row1[4] = {0.5259580729603547, 0.10206823932282327, -0.4790482932017966,
                                   -1.5001974849413555};
    static const double last[4] = {-1.4622323567110969, 0.5769830893996378, 0.7504356554885799,
                                   -0.8134033285658906};
    for (int g = 0; g < 4; g++) {
        ck_assert_double_eq(ts->x[g * 80], row0[g]);
        ck_assert_double_eq(ts->x[g * 80 + 1], row1[g]);
        ck_assert_double_eq(ts->x[g * 80 + 79], last[g]);
    }
    bract_tseries_free(ts);
    ck_assert_int_eq(bract_tausim_series(d, 2, &ts), BRACT_EINVAL);
    ck_assert_ptr_null(ts);
    bract_tausim_free(d);
}
END_TEST

START_TEST(volumes_as_the_command_wrote_them)
{
    bract_tausim *d = small();
    bract_volume *atlas, *mask, *bold;
    ck_assert_int_eq(bract_tausim_atlas(d, &atlas, &mask), BRACT_OK);
    ck_assert_int_eq(atlas->nvox, 75);
    ck_assert_int_eq(atlas->nt, 1);
    /* the snake: regions 1, 2 on the first row, 4, 3 on the second */
    static const size_t vox[4] = {31, 33, 41, 43};
    static const double lab[4] = {1, 2, 4, 3};
    size_t nonzero = 0;
    for (size_t v = 0; v < atlas->nvox; v++)
        nonzero += bract_volume_get(atlas, v) != 0;
    ck_assert_uint_eq(nonzero, 4);
    for (int i = 0; i < 4; i++) {
        ck_assert_double_eq(bract_volume_get(atlas, vox[i]), lab[i]);
        ck_assert_double_eq(bract_volume_get(mask, vox[i]), 1);
    }
    ck_assert_int_eq(bract_tausim_bold(d, 0, &bold), BRACT_OK);
    ck_assert_int_eq(bold->nt, 80);
    ck_assert_double_eq(bold->tr, 2);
    /* float32 values of voxels 31 and 43 at volumes 0, 1 and 79 */
    size_t nv = bold->nvox;
    ck_assert_double_eq(bract_volume_get(bold, 31), 999.5073852539062);
    ck_assert_double_eq(bract_volume_get(bold, 31 + nv), 997.9032592773438);
    ck_assert_double_eq(bract_volume_get(bold, 31 + 79 * nv), 999.454833984375);
    ck_assert_double_eq(bract_volume_get(bold, 43), 998.4685668945312);
    ck_assert_double_eq(bract_volume_get(bold, 43 + 79 * nv), 998.4579467773438);
    ck_assert_double_eq(bract_volume_get(bold, 0), 0);
    ck_assert_double_eq(bract_volume_get(bold, 30 + 5 * nv), 0);
    bract_volume_free(bold);
    ck_assert_int_eq(bract_tausim_bold(d, 1, &bold), BRACT_OK);
    ck_assert_double_eq(bract_volume_get(bold, 41 + nv), 1000.02587890625);
    ck_assert_double_eq(bract_volume_get(bold, 33 + 79 * nv), 999.5289916992188);
    bract_volume_free(bold);
    bract_volume_free(atlas);
    bract_volume_free(mask);
    bract_tausim_free(d);
}
END_TEST

/* One subject keeps the gradient; the series have the planted timescale
 * (the lag-1 autocorrelation of AR(1) plus noise is phi / (1 + noise^2)). */
START_TEST(one_subject_and_its_autocorrelation)
{
    bract_tausim_opts o;
    bract_tausim_opts_defaults(&o);
    o.nreg = 3;
    o.nt = 20000;
    o.noise = 0;
    o.tau_min = 2;
    o.tau_max = 8;
    bract_tausim *d;
    ck_assert_int_eq(bract_tausim_new(&o, &d), BRACT_OK);
    ck_assert_double_eq(d->tau_subject[1], d->tau[1]);
    ck_assert_double_eq_tol(d->tau[1], 4, 1e-12);
    bract_tseries *ts;
    ck_assert_int_eq(bract_tausim_series(d, 0, &ts), BRACT_OK);
    for (int g = 0; g < 3; g++) {
        double acf[2];
        ck_assert_int_eq(bract_acf(ts->x + (size_t)g * o.nt, o.nt, 1, BRACT_ACF_BIASED, acf),
                         BRACT_OK);
        ck_assert_double_eq_tol(acf[1], exp(-o.tr / d->tau[g]), 0.02);
    }
    bract_tseries_free(ts);
    bract_tausim_free(d);
}
END_TEST

START_TEST(bad_options)
{
    bract_tausim_opts o;
    bract_tausim *d = (bract_tausim *)1;
    bract_tausim_opts_defaults(&o);
    o.tau_max = 1;
    ck_assert_int_eq(bract_tausim_new(&o, &d), BRACT_EINVAL);
    ck_assert_ptr_null(d);
    ck_assert_error_has("tau_max (1 s) is below tau_min (2 s)");
    bract_tausim_opts_defaults(&o);
    o.nreg = 1;
    ck_assert_int_eq(bract_tausim_new(&o, &d), BRACT_EINVAL);
    ck_assert_error_has("1 regions, at least 2 needed");
    bract_tausim_opts_defaults(&o);
    o.tr = 0;
    ck_assert_int_eq(bract_tausim_new(&o, &d), BRACT_EINVAL);
    bract_tausim_opts_defaults(&o);
    o.noise = -1;
    ck_assert_int_eq(bract_tausim_new(&o, &d), BRACT_EINVAL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tausim");
    TCase *tc = tcase_create("tausim");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, defaults);
    tcase_add_test(tc, truth_as_the_command_wrote_it);
    tcase_add_test(tc, series_as_the_command_wrote_them);
    tcase_add_test(tc, volumes_as_the_command_wrote_them);
    tcase_add_test(tc, one_subject_and_its_autocorrelation);
    tcase_add_test(tc, bad_options);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
