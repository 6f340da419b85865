/* Unit tests of the first-level GLM (bract/hrf.h, bract/nuisance.h,
 * bract/glm.h) against nilearn 0.10.3's FirstLevelModel
 * (testdata/reference/glm, README there), plus analytic checks:
 * known betas from noiseless data, the AR(1) coefficient of a simulated
 * AR(1) series, an F contrast of one row equal to t^2, LSS equal to refitting
 * every trial's model. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GLMREF REFDATA "/glm"
#define HAXBY TESTDATA "/data/haxby2001-sub001/sub001"
#define EVENT GLMREF "/event"

/* ---- helpers ---- */

static bract_table *read_table(const char *path)
{
    bract_table *t;
    int rc = bract_table_read(path, &t);
    ck_assert_msg(rc == 0, "%s: %s", path, bract_last_error());
    return t;
}

static char *haxby_path(int run, const char *file)
{
    char *p = malloc(512);
    snprintf(p, 512, HAXBY "/BOLD/task001_run%03d/%s", run, file);
    return p;
}

static bract_events *read_events(const char *path)
{
    bract_events *e;
    ck_assert_msg(bract_events_read(path, NULL, &e) == 0, "%s", bract_last_error());
    return e;
}

/* Largest |design - fixture| over all cells; the column names and order
 * must be nilearn's exactly. */
static double design_max_err(const bract_glm_design *d, const char *fixture)
{
    bract_table *t = read_table(fixture);
    ck_assert_uint_eq(t->ncols, d->ncol);
    ck_assert_uint_eq(t->nrows, d->nrow);
    for (size_t j = 0; j < d->ncol; j++)
        ck_assert_msg(strcmp(t->colname[j], d->name[j]) == 0, "%s: column %zu is '%s', bract "
                      "has '%s'", fixture, j + 1, t->colname[j], d->name[j]);
    double worst = 0;
    for (size_t i = 0; i < t->nrows; i++)
        for (size_t j = 0; j < t->ncols; j++) {
            double v;
            ck_assert_int_eq(bract_table_double(t, i, j, &v), 0);
            double e = fabs(v - d->x[i * d->ncol + j]);
            if (!(e <= worst))
                worst = e;
        }
    bract_table_free(t);
    return worst;
}

/* ---- design matrices (tolerance 1e-10 absolute, the fixture README's) ---- */

static const struct {
    const char *file, *hrf, *drift;
    double high_pass;
    int order, nfir;
} haxby_designs[] = {
    {"design_run-1_glover_cosine.tsv", "glover", "cosine", 0.01, 1, 0},
    {"design_run-1_spm_cosine.tsv", "spm", "cosine", 0.01, 1, 0},
    {"design_run-1_spm+derivative_cosine.tsv", "spm + derivative", "cosine", 0.01, 1, 0},
    {"design_run-1_glover+derivative+dispersion_cosine.tsv", "glover + derivative + dispersion",
     "cosine", 0.01, 1, 0},
    {"design_run-1_fir0-3_cosine.tsv", "fir", "cosine", 0.01, 1, 4},
    {"design_run-1_glover_cosine_hp0.02.tsv", "glover", "cosine", 0.02, 1, 0},
    {"design_run-1_glover_polynomial2.tsv", "glover", "polynomial", 0.01, 2, 0},
    {"design_run-1_glover_none.tsv", "glover", "none", 0.01, 1, 0},
};

START_TEST(haxby_design_matrices)
{
    static const int delays[4] = {0, 1, 2, 3};
    char *evp = haxby_path(1, "bold_events.tsv");
    bract_events *ev = read_events(evp);
    bract_glm_design_opts o;
    bract_glm_design_opts_defaults(&o);
    ck_assert_int_eq(bract_hrf_model_parse(haxby_designs[_i].hrf, &o.hrf.model), 0);
    ck_assert_int_eq(bract_glm_drift_parse(haxby_designs[_i].drift, &o.drift), 0);
    o.high_pass = haxby_designs[_i].high_pass;
    o.drift_order = haxby_designs[_i].order;
    if (haxby_designs[_i].nfir) {
        o.hrf.fir_delays = delays;
        o.hrf.nfir = (size_t)haxby_designs[_i].nfir;
    }
    bract_glm_design *d;
    ck_assert_msg(bract_glm_design_new(ev, 121, 2.5, NULL, &o, &d) == 0, "%s",
                  bract_last_error());
    char path[512];
    snprintf(path, sizeof path, GLMREF "/haxby/%s", haxby_designs[_i].file);
    double err = design_max_err(d, path);
    printf("design %-55s max |error| %.3g\n", haxby_designs[_i].file, err);
    ck_assert_msg(err <= 1e-10, "%s: max error %g > 1e-10", path, err);
    bract_glm_design_free(d);
    bract_events_free(ev);
    free(evp);
}
END_TEST

static bract_nuisance *motion6_raw(int run)
{
    char path[512];
    snprintf(path, sizeof path, EVENT "/sub-01_task-words_run-%d_desc-confounds_timeseries.tsv",
             run);
    static const char *const cols[] = {"trans_*", "rot_*"};
    bract_nuisance_opts o;
    bract_nuisance_opts_defaults(&o);
    o.columns = cols;
    o.ncolumns = 2;
    o.demean = 0; /* the fixtures passed the raw columns to FirstLevelModel */
    bract_nuisance *c;
    ck_assert_msg(bract_nuisance_new(path, &o, &c) == 0, "%s", bract_last_error());
    return c;
}

START_TEST(event_design_matrices)
{
    for (int run = 1; run <= 2; run++) {
        char path[512];
        snprintf(path, sizeof path, EVENT "/sub-01_task-words_run-%d_events.tsv", run);
        bract_events *ev = read_events(path);
        bract_nuisance *c = motion6_raw(run);
        bract_glm_design_opts o;
        bract_glm_design_opts_defaults(&o);
        bract_glm_design *d;
        ck_assert_msg(bract_glm_design_new(ev, 140, 2.0, c, &o, &d) == 0, "%s",
                      bract_last_error());
        snprintf(path, sizeof path, EVENT "/design_run-%d_motion6.tsv", run);
        double err = design_max_err(d, path);
        printf("design %-55s max |error| %.3g\n", path + strlen(EVENT) + 1, err);
        ck_assert_msg(err <= 1e-10, "%s: max error %g > 1e-10", path, err);
        bract_glm_design_free(d);
        bract_nuisance_free(c);
        bract_events_free(ev);
    }
}
END_TEST

static Suite *glm_suite(void)
{
    Suite *s = suite_create("glm");
    TCase *tc = tcase_create("design");
    tcase_add_loop_test(tc, haxby_design_matrices, 0,
                        (int)(sizeof haxby_designs / sizeof *haxby_designs));
    tcase_add_test(tc, event_design_matrices);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(glm_suite()); }
