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
#include "bract/mask.h"

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


/* One run's data within a mask, voxel-major float. */
typedef struct {
    bract_mask *mask;
    bract_volume *geom;
    float *y;
    size_t nvol;
} run_data;

static void load_run(const char *bold, const char *mask_path, run_data *r)
{
    ck_assert_msg(bract_mask_read(mask_path, &r->mask, &r->geom) == 0, "%s", bract_last_error());
    ck_assert_msg(bract_glm_load_data(bold, r->mask, r->geom, &r->y, &r->nvol, NULL) == 0, "%s",
                  bract_last_error());
}

static void free_run(run_data *r)
{
    bract_mask_free(r->mask);
    bract_volume_free(r->geom);
    free(r->y);
}

/* Position in the mask of the voxel of row `row` of a voxel table (columns
 * i, j, k first). */
static size_t table_voxel(const bract_table *t, size_t row, const bract_mask *m)
{
    long ijk[3];
    for (int a = 0; a < 3; a++)
        ck_assert_int_eq(bract_table_long(t, row, (size_t)a, &ijk[a]), 0);
    size_t idx = (size_t)ijk[0] + (size_t)m->nx * ((size_t)ijk[1] + (size_t)m->ny * (size_t)ijk[2]);
    for (size_t v = 0; v < m->n; v++)
        if (m->index[v] == idx)
            return v;
    ck_abort_msg("voxel (%ld,%ld,%ld) of the fixture is not in the mask", ijk[0], ijk[1], ijk[2]);
    return 0;
}

/* Compare values val[v * ld + col(name)] with a voxel table's columns (from
 * the 4th).  The error of a value is |bract - nilearn| / max(|nilearn|,
 * floor), floor = 1e-3 x the largest |nilearn| of its column, so that betas
 * near zero are judged on the scale of their regressor; returns the largest
 * over all cells.  The table must list every mask voxel. */
static double table_rel_err(const char *fixture, const bract_mask *m, const double *val,
                            size_t ld, const char *const *names, size_t nnames)
{
    bract_table *t = read_table(fixture);
    ck_assert_uint_eq(t->nrows, m->n);
    double worst = 0;
    for (size_t c = 3; c < t->ncols; c++) {
        size_t k = nnames;
        for (size_t j = 0; j < nnames; j++)
            if (strcmp(names[j], t->colname[c]) == 0)
                k = j;
        ck_assert_msg(k < nnames, "%s: bract has no column '%s'", fixture, t->colname[c]);
        double *ref = malloc(t->nrows * sizeof *ref), big = 0;
        ck_assert_int_eq(bract_table_column(t, c, ref), 0);
        for (size_t i = 0; i < t->nrows; i++)
            if (fabs(ref[i]) > big)
                big = fabs(ref[i]);
        for (size_t i = 0; i < t->nrows; i++) {
            size_t v = table_voxel(t, i, m);
            double den = fabs(ref[i]) > 1e-3 * big ? fabs(ref[i]) : 1e-3 * big;
            double e = fabs(val[v * ld + k] - ref[i]) / den;
            if (!(e <= worst))
                worst = e;
        }
        free(ref);
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


/* ---- betas of one model per run (OLS 1e-8, AR(1) 1e-6 relative, as
 * table_rel_err defines it) ---- */

static void fit_and_compare(const bract_glm_design *d, const run_data *r, bract_glm_noise noise,
                            const char *fixture, double tol)
{
    bract_glm_fit_opts fo;
    bract_glm_fit_opts_defaults(&fo);
    fo.noise = noise;
    bract_glm_fit *f;
    ck_assert_msg(bract_glm_fit_new(d, r->y, r->nvol, r->mask->n, &fo, NULL, &f) == 0, "%s",
                  bract_last_error());
    ck_assert_uint_eq(f->nbad_nonfinite + f->nbad_constant, 0);
    double err = table_rel_err(fixture, r->mask, f->beta, d->ncol, (const char *const *)d->name,
                               d->ncol);
    printf("betas  %-55s max rel error %.3g (%zu AR models)\n", strrchr(fixture, '/') + 1, err,
           f->nmodels);
    ck_assert_msg(err <= tol, "%s: max relative error %g > %g", fixture, err, tol);
    bract_glm_fit_free(f);
}

START_TEST(haxby_betas)
{
    bract_init();
    int run = 1 + _i / 2;
    bract_glm_noise noise = _i % 2 ? BRACT_GLM_NOISE_AR1 : BRACT_GLM_NOISE_OLS;
    char *bold = haxby_path(run, "bold_25mm.nii.gz"), *evp = haxby_path(run, "bold_events.tsv");
    run_data r;
    load_run(bold, HAXBY "/masks/25mm/brain.nii.gz", &r);
    ck_assert_uint_eq(r.mask->n, 129);
    bract_events *ev = read_events(evp);
    bract_glm_design_opts o;
    bract_glm_design_opts_defaults(&o);
    bract_glm_design *d;
    ck_assert_msg(bract_glm_design_new(ev, r.nvol, 2.5, NULL, &o, &d) == 0, "%s",
                  bract_last_error());
    char fix[256];
    snprintf(fix, sizeof fix, GLMREF "/haxby/betas_%s_run-%d.tsv", bract_glm_noise_name(noise),
             run);
    fit_and_compare(d, &r, noise, fix, noise == BRACT_GLM_NOISE_OLS ? 1e-8 : 1e-6);
    bract_glm_design_free(d);
    bract_events_free(ev);
    free_run(&r);
    free(bold);
    free(evp);
}
END_TEST

START_TEST(event_betas_motion6)
{
    bract_init();
    int run = 1 + _i / 2;
    bract_glm_noise noise = _i % 2 ? BRACT_GLM_NOISE_AR1 : BRACT_GLM_NOISE_OLS;
    char bold[256], evp[256], fix[256];
    snprintf(bold, sizeof bold, EVENT "/sub-01_task-words_run-%d_bold.nii.gz", run);
    snprintf(evp, sizeof evp, EVENT "/sub-01_task-words_run-%d_events.tsv", run);
    run_data r;
    load_run(bold, EVENT "/mask.nii.gz", &r);
    bract_events *ev = read_events(evp);
    bract_nuisance *c = motion6_raw(run);
    bract_glm_design_opts o;
    bract_glm_design_opts_defaults(&o);
    bract_glm_design *d;
    ck_assert_msg(bract_glm_design_new(ev, r.nvol, 2.0, c, &o, &d) == 0, "%s",
                  bract_last_error());
    snprintf(fix, sizeof fix, EVENT "/betas_%s_motion6_run-%d.tsv", bract_glm_noise_name(noise),
             run);
    fit_and_compare(d, &r, noise, fix, noise == BRACT_GLM_NOISE_OLS ? 1e-8 : 1e-6);
    bract_glm_design_free(d);
    bract_nuisance_free(c);
    bract_events_free(ev);
    free_run(&r);
}
END_TEST


/* ---- the two-run face-house contrast (fixed effects; 1e-6 as
 * table_rel_err defines it, for effect, variance, t and z) ---- */

START_TEST(haxby_contrast_two_runs)
{
    bract_init();
    bract_glm_design *d[2];
    bract_glm_fit *f[2];
    run_data r[2];
    for (int k = 0; k < 2; k++) {
        char *bold = haxby_path(k + 1, "bold_25mm.nii.gz"),
             *evp = haxby_path(k + 1, "bold_events.tsv");
        load_run(bold, HAXBY "/masks/25mm/brain.nii.gz", &r[k]);
        bract_events *ev = read_events(evp);
        bract_glm_design_opts o;
        bract_glm_design_opts_defaults(&o);
        ck_assert_int_eq(bract_glm_design_new(ev, r[k].nvol, 2.5, NULL, &o, &d[k]), 0);
        bract_glm_fit_opts fo;
        bract_glm_fit_opts_defaults(&fo);
        ck_assert_int_eq(bract_glm_fit_new(d[k], r[k].y, r[k].nvol, r[k].mask->n, &fo, NULL,
                                           &f[k]), 0);
        bract_events_free(ev);
        free(bold);
        free(evp);
    }
    const char *expr[] = {"face-house"};
    bract_glm_contrast *c;
    ck_assert_msg(bract_glm_contrast_new((const bract_glm_design *const *)d,
                                         (const bract_glm_fit *const *)f, 2, expr, 1,
                                         BRACT_GLM_STAT_T, &c) == 0, "%s", bract_last_error());
    ck_assert_uint_eq(c->nruns, 2);
    /* dof: (121 - 15) per run */
    ck_assert_double_eq(c->dof, 2 * (121 - 15));
    size_t n = r[0].mask->n;
    double *all = malloc(4 * n * sizeof *all);
    for (size_t v = 0; v < n; v++) {
        all[v * 4 + 0] = c->effect[v];
        all[v * 4 + 1] = c->variance[v];
        all[v * 4 + 2] = c->value[v];
        all[v * 4 + 3] = c->z[v];
        ck_assert(c->p[v] > 0 && c->p[v] < 1);
    }
    const char *names[] = {"effect", "variance", "t", "z"};
    double err = table_rel_err(GLMREF "/haxby/contrast_face-house_ar1_2runs.tsv", r[0].mask, all,
                               4, names, 4);
    printf("contrast face-house, 2 runs, AR(1): max rel error %.3g\n", err);
    ck_assert_msg(err <= 1e-6, "max relative error %g > 1e-6", err);
    free(all);
    bract_glm_contrast_free(c);
    for (int k = 0; k < 2; k++) {
        bract_glm_fit_free(f[k]);
        bract_glm_design_free(d[k]);
        free_run(&r[k]);
    }
}
END_TEST


/* ---- trials: LSA and LSS against nilearn (1e-8 relative, as table_rel_err
 * defines it), LSS against refitting every trial's model ---- */

typedef struct {
    run_data r;
    bract_events *ev;
    bract_nuisance *conf;
    char **tname; /* t00.. */
} event_run;

static void event_run_load(int run, event_run *e)
{
    char bold[256], evp[256];
    snprintf(bold, sizeof bold, EVENT "/sub-01_task-words_run-%d_bold.nii.gz", run);
    snprintf(evp, sizeof evp, EVENT "/sub-01_task-words_run-%d_events.tsv", run);
    load_run(bold, EVENT "/mask.nii.gz", &e->r);
    e->ev = read_events(evp);
    e->conf = motion6_raw(run);
    e->tname = malloc(e->ev->n * sizeof *e->tname);
    for (size_t k = 0; k < e->ev->n; k++) {
        e->tname[k] = malloc(24);
        snprintf(e->tname[k], 24, "t%02zu", k);
    }
}

static void event_run_free(event_run *e)
{
    for (size_t k = 0; k < e->ev->n; k++)
        free(e->tname[k]);
    free(e->tname);
    bract_nuisance_free(e->conf);
    bract_events_free(e->ev);
    free_run(&e->r);
}

/* The trial fixtures were made without confounds (unlike the betas_*_motion6
 * files): glover, cosine 0.01 Hz, OLS. */
START_TEST(event_trials_lsa)
{
    bract_init();
    event_run e;
    event_run_load(1, &e);
    /* the fixture's trial table is the events file, in order */
    bract_table *t = read_table(EVENT "/trials_run-1.tsv");
    ck_assert_uint_eq(t->nrows, e.ev->n);
    for (size_t k = 0; k < t->nrows; k++)
        ck_assert_str_eq(bract_table_cell(t, k, 3), e.ev->ev[k].label);
    bract_table_free(t);
    bract_events *tw;
    ck_assert_int_eq(bract_glm_events_trialwise(e.ev, &tw), 0);
    ck_assert_str_eq(tw->ev[0].label, "car__001");
    ck_assert_str_eq(tw->ev[7].label, "car__002");
    bract_glm_design_opts o;
    bract_glm_design_opts_defaults(&o);
    bract_glm_design *d;
    ck_assert_msg(bract_glm_design_new(tw, e.r.nvol, 2.0, NULL, &o, &d) == 0, "%s",
                  bract_last_error());
    ck_assert_uint_eq(d->ncond, 30);
    bract_glm_fit_opts fo;
    bract_glm_fit_opts_defaults(&fo);
    fo.noise = BRACT_GLM_NOISE_OLS;
    bract_glm_fit *f;
    ck_assert_int_eq(bract_glm_fit_new(d, e.r.y, e.r.nvol, e.r.mask->n, &fo, NULL, &f), 0);
    size_t K = e.ev->n, nv = e.r.mask->n;
    double *b = malloc(nv * K * sizeof *b);
    for (size_t k = 0; k < K; k++) {
        long j = bract_glm_design_find(d, tw->ev[k].label);
        ck_assert_int_ge(j, 0);
        for (size_t v = 0; v < nv; v++)
            b[v * K + k] = f->beta[v * d->ncol + (size_t)j];
    }
    double err = table_rel_err(EVENT "/trials_lsa_ols_run-1.tsv", e.r.mask, b, K,
                               (const char *const *)e.tname, K);
    printf("trials LSA (OLS), run 1: max rel error %.3g\n", err);
    ck_assert_msg(err <= 1e-8, "max relative error %g > 1e-8", err);
    free(b);
    bract_glm_fit_free(f);
    bract_glm_design_free(d);
    bract_events_free(tw);
    event_run_free(&e);
}
END_TEST

START_TEST(event_trials_lss)
{
    bract_init();
    event_run e;
    event_run_load(1, &e);
    bract_glm_design_opts o;
    bract_glm_design_opts_defaults(&o);
    bract_glm_fit_opts fo;
    bract_glm_fit_opts_defaults(&fo);
    fo.noise = BRACT_GLM_NOISE_OLS;
    double *b;
    ck_assert_msg(bract_glm_lss(e.ev, e.r.nvol, 2.0, NULL, &o, e.r.y, e.r.nvol, e.r.mask->n, &fo,
                                NULL, &b) == 0, "%s", bract_last_error());
    double err = table_rel_err(EVENT "/trials_lss_ols_run-1.tsv", e.r.mask, b, e.ev->n,
                               (const char *const *)e.tname, e.ev->n);
    printf("trials LSS (OLS), run 1: max rel error %.3g\n", err);
    ck_assert_msg(err <= 1e-8, "max relative error %g > 1e-8", err);
    free(b);
    event_run_free(&e);
}
END_TEST

/* LSS from the shared factorisation equals refitting each trial's model
 * (the trial alone, the other trials under their conditions) with the same
 * noise model: 1e-8 relative (table_rel_err's definition) for OLS and
 * AR(1).  Run 2, so the fixture's run is not the only one exercised.  One
 * word is given a single trial (its other trials relabelled), the case where
 * the trial's model is the standard model. */
START_TEST(lss_equals_refitting)
{
    bract_init();
    bract_glm_noise noise = _i ? BRACT_GLM_NOISE_AR1 : BRACT_GLM_NOISE_OLS;
    event_run e;
    event_run_load(2, &e);
    size_t K = e.ev->n, nv = e.r.mask->n;
    /* make the first event's word a single-trial condition */
    const char *word = e.ev->ev[0].label;
    for (size_t k = 1; k < K; k++)
        if (strcmp(e.ev->ev[k].label, word) == 0) {
            free(e.ev->ev[k].label);
            e.ev->ev[k].label = strdup("other");
        }
    bract_glm_design_opts o;
    bract_glm_design_opts_defaults(&o);
    bract_glm_fit_opts fo;
    bract_glm_fit_opts_defaults(&fo);
    fo.noise = noise;
    fo.block = 64; /* several blocks */
    double *fast;
    ck_assert_msg(bract_glm_lss(e.ev, e.r.nvol, 2.0, e.conf, &o, e.r.y, e.r.nvol, nv, &fo, NULL,
                                &fast) == 0, "%s", bract_last_error());
    double worst = 0;
    for (size_t k = 0; k < K; k++) {
        /* trial k's own model */
        bract_events ek = *e.ev;
        ek.ev = malloc(K * sizeof *ek.ev);
        memcpy(ek.ev, e.ev->ev, K * sizeof *ek.ev);
        ek.ev[k].label = "zz_target";
        bract_glm_design *d;
        ck_assert_msg(bract_glm_design_new(&ek, e.r.nvol, 2.0, e.conf, &o, &d) == 0, "%s",
                      bract_last_error());
        bract_glm_fit *f;
        ck_assert_int_eq(bract_glm_fit_new(d, e.r.y, e.r.nvol, nv, &fo, NULL, &f), 0);
        long j = bract_glm_design_find(d, "zz_target");
        double big = 0;
        for (size_t v = 0; v < nv; v++)
            if (fabs(f->beta[v * d->ncol + (size_t)j]) > big)
                big = fabs(f->beta[v * d->ncol + (size_t)j]);
        for (size_t v = 0; v < nv; v++) {
            double ref = f->beta[v * d->ncol + (size_t)j];
            double den = fabs(ref) > 1e-3 * big ? fabs(ref) : 1e-3 * big;
            double err = fabs(fast[v * K + k] - ref) / den;
            if (!(err <= worst))
                worst = err;
        }
        bract_glm_fit_free(f);
        bract_glm_design_free(d);
        free(ek.ev);
    }
    printf("LSS (%s) vs refitting %zu models: max rel error %.3g\n", bract_glm_noise_name(noise),
           K, worst);
    ck_assert_msg(worst <= 1e-8, "max relative error %g > 1e-8", worst);
    free(fast);
    event_run_free(&e);
}
END_TEST


/* ---- whole analyses: output directory, bad inputs ---- */

static int file_has(const char *path, const char *needle)
{
    char *t = tu_slurp(path);
    int ok = t && strstr(t, needle);
    free(t);
    return ok;
}

static void event_runs(bract_glm_run_files *runs, char buf[2][3][256], int confounds)
{
    for (int r = 0; r < 2; r++) {
        snprintf(buf[r][0], 256, EVENT "/sub-01_task-words_run-%d_bold.nii.gz", r + 1);
        snprintf(buf[r][1], 256, EVENT "/sub-01_task-words_run-%d_events.tsv", r + 1);
        snprintf(buf[r][2], 256, EVENT "/sub-01_task-words_run-%d_desc-confounds_timeseries.tsv",
                 r + 1);
        runs[r].data = buf[r][0];
        runs[r].events = buf[r][1];
        runs[r].confounds = confounds ? buf[r][2] : NULL;
    }
}

START_TEST(analyse_event_study)
{
    bract_init();
    char buf[2][3][256];
    bract_glm_run_files runs[2];
    event_runs(runs, buf, 1);
    static const bract_nuisance_strategy motion[] = {BRACT_NUISANCE_MOTION6};
    static const char *const t_expr[] = {"cat-dog"};
    static const char *const f_expr[] = {"cat-dog", "car-bus"};
    const bract_glm_contrast_spec cons[] = {{"catdog", t_expr, 1, BRACT_GLM_STAT_T},
                                            {"animals-vehicles", f_expr, 2, BRACT_GLM_STAT_F}};
    bract_glm_opts o;
    bract_glm_opts_defaults(&o);
    o.confounds.strategies = motion;
    o.confounds.nstrategies = 1;
    o.contrasts = cons;
    o.ncontrasts = 2;
    char *tmp = tu_tmpdir(), *dir = tu_join(tmp, "glm");
    bract_glm_summary sum;
    ck_assert_msg(bract_glm_analyse(runs, 2, EVENT "/mask.nii.gz", &o, dir, NULL, NULL, &sum) == 0,
                  "%s", bract_last_error());
    ck_assert_uint_eq(sum.nbetas, 20);
    ck_assert_uint_eq(sum.nresid, 280);
    /* 140 rows - (10 words + 6 motion + 5 drifts + constant) per run */
    ck_assert_double_eq(sum.residual_dof, 2 * (140 - 22));
    const char *expect[] = {"design_run-1.tsv", "design_run-2.tsv", "design_run-1.json",
                            "betas.nii.gz", "betas.tsv", "betas.json", "residuals.nii.gz",
                            "residuals.json", "contrast-catdog_stat-t.nii.gz",
                            "contrast-catdog_stat-z.nii.gz", "contrast-catdog_stat-p.nii.gz",
                            "contrast-catdog_stat-effect.nii.gz",
                            "contrast-catdog_stat-variance.nii.gz",
                            "contrast-animals-vehicles_stat-F.nii.gz",
                            "contrast-animals-vehicles_stat-effect.json"};
    for (size_t i = 0; i < sizeof expect / sizeof *expect; i++) {
        char *p = tu_join(dir, expect[i]);
        ck_assert_msg(tu_exists(p), "%s missing", p);
        free(p);
    }
    ck_assert_int_eq(tu_count_entries(dir), (int)sum.nfiles);
    /* the conditions table that rdm neural reads */
    char *p = tu_join(dir, "betas.tsv");
    bract_table *t = read_table(p);
    ck_assert_uint_eq(t->nrows, 20);
    ck_assert_str_eq(t->colname[0], "condition");
    ck_assert_str_eq(t->colname[1], "run");
    ck_assert_str_eq(bract_table_cell(t, 0, 0), "apple");
    ck_assert_str_eq(bract_table_cell(t, 10, 1), "2");
    bract_table_free(t);
    free(p);
    /* betas.nii.gz = the fixture's AR(1) betas (float32 output: 1e-6 relative) */
    p = tu_join(dir, "betas.nii.gz");
    bract_volume *bv;
    ck_assert_int_eq(bract_volume_read(p, 0, &bv), 0);
    ck_assert_int_eq(bv->nt, 20);
    ck_assert_int_eq(bv->intent_code, BRACT_INTENT_ESTIMATE);
    free(p);
    bract_mask *m;
    bract_volume *mg;
    ck_assert_int_eq(bract_mask_read(EVENT "/mask.nii.gz", &m, &mg), 0);
    static const char *const words[] = {"apple", "bus", "car",   "cat", "dog",
                                        "grape", "hammer", "horse", "pear", "saw"};
    for (int r = 0; r < 2; r++) {
        double *b = malloc(m->n * 10 * sizeof *b);
        for (size_t v = 0; v < m->n; v++)
            for (int w = 0; w < 10; w++)
                b[v * 10 + w] = bract_volume_get(bv, (size_t)(r * 10 + w) * bv->nvox + m->index[v]);
        char fix[256];
        snprintf(fix, sizeof fix, EVENT "/betas_ar1_motion6_run-%d.tsv", r + 1);
        double err = table_rel_err(fix, m, b, 10, words, 10);
        printf("analyse: betas.nii.gz run %d vs %s: max rel error %.3g\n", r + 1,
               strrchr(fix, '/') + 1, err);
        ck_assert_msg(err <= 1e-6, "run %d: %g", r + 1, err);
        free(b);
    }
    bract_volume_free(bv);
    bract_mask_free(m);
    bract_volume_free(mg);
    /* statistic maps carry their intent and dof */
    bract_volume *tv;
    p = tu_join(dir, "contrast-catdog_stat-t.nii.gz");
    ck_assert_int_eq(bract_volume_read(p, BRACT_VOL_HEADER_ONLY, &tv), 0);
    ck_assert_int_eq(tv->intent_code, BRACT_INTENT_TTEST);
    ck_assert_double_eq(tv->intent_p[0], 236);
    bract_volume_free(tv);
    free(p);
    p = tu_join(dir, "contrast-animals-vehicles_stat-F.nii.gz");
    ck_assert_int_eq(bract_volume_read(p, BRACT_VOL_HEADER_ONLY, &tv), 0);
    ck_assert_int_eq(tv->intent_code, BRACT_INTENT_FTEST);
    ck_assert_double_eq(tv->intent_p[0], 2);
    ck_assert_double_eq(tv->intent_p[1], 236);
    bract_volume_free(tv);
    free(p);
    p = tu_join(dir, "contrast-animals-vehicles_stat-effect.nii.gz");
    ck_assert_int_eq(bract_volume_read(p, BRACT_VOL_HEADER_ONLY, &tv), 0);
    ck_assert_int_eq(tv->nt, 2); /* one volume per F row */
    bract_volume_free(tv);
    free(p);
    p = tu_join(dir, "contrast-catdog_stat-z.nii.gz");
    ck_assert_int_eq(bract_volume_read(p, BRACT_VOL_HEADER_ONLY, &tv), 0);
    ck_assert_int_eq(tv->intent_code, BRACT_INTENT_ZSCORE);
    bract_volume_free(tv);
    free(p);
    /* the residuals' dof, as rdm neural --noise reads it */
    p = tu_join(dir, "residuals.nii.gz");
    double dof;
    const char *rp[] = {p};
    ck_assert_int_eq(bract_glm_residual_dof(rp, 1, &dof), 0);
    ck_assert_double_eq(dof, 236);
    free(p);
    p = tu_join(dir, "residuals.json");
    ck_assert(file_has(p, "\"Whitened\": true"));
    free(p);
    p = tu_join(dir, "betas.json");
    ck_assert(!file_has(p, "ResidualDegreesOfFreedom"));
    free(p);
    /* again without --force: refused, nothing changed */
    int before = tu_count_entries(dir);
    ck_assert_int_eq(bract_glm_analyse(runs, 2, EVENT "/mask.nii.gz", &o, dir, NULL, NULL, NULL),
                     BRACT_EEXIST);
    ck_assert_int_eq(tu_count_entries(dir), before);
    bract_glm_summary_free(&sum);
    tu_rmtree(tmp);
    free(dir);
    free(tmp);
}
END_TEST

START_TEST(analyse_trials_tables)
{
    bract_init();
    char buf[2][3][256];
    bract_glm_run_files runs[2];
    event_runs(runs, buf, 0);
    bract_glm_opts o;
    bract_glm_opts_defaults(&o);
    o.trials = _i ? BRACT_GLM_TRIALS_LSS : BRACT_GLM_TRIALS_LSA;
    o.fit.noise = BRACT_GLM_NOISE_OLS;
    o.write_residuals = 0;
    char *tmp = tu_tmpdir(), *dir = tu_join(tmp, "out");
    ck_assert_msg(bract_glm_analyse(runs, 1, EVENT "/mask.nii.gz", &o, dir, NULL, NULL, NULL) == 0,
                  "%s", bract_last_error());
    char *p = tu_join(dir, "betas.tsv");
    bract_table *t = read_table(p);
    ck_assert_uint_eq(t->ncols, 4);
    ck_assert_str_eq(t->colname[2], "trial");
    ck_assert_str_eq(t->colname[3], "onset");
    ck_assert_uint_eq(t->nrows, 30);
    ck_assert_str_eq(bract_table_cell(t, 0, 0), "car");
    ck_assert_str_eq(bract_table_cell(t, 0, 2), "car__001");
    ck_assert_str_eq(bract_table_cell(t, 7, 2), "car__002");
    ck_assert_str_eq(bract_table_cell(t, 1, 3), "16.34");
    bract_table_free(t);
    free(p);
    /* the trial betas are the fixture's (float32 output: 1e-6) */
    p = tu_join(dir, "betas.nii.gz");
    bract_volume *bv;
    ck_assert_int_eq(bract_volume_read(p, 0, &bv), 0);
    bract_mask *m;
    bract_volume *mg;
    ck_assert_int_eq(bract_mask_read(EVENT "/mask.nii.gz", &m, &mg), 0);
    double *b = malloc(m->n * 30 * sizeof *b);
    char *names[30];
    for (size_t k = 0; k < 30; k++) {
        names[k] = malloc(8);
        snprintf(names[k], 8, "t%02d", (int)k);
        for (size_t v = 0; v < m->n; v++)
            b[v * 30 + k] = bract_volume_get(bv, k * bv->nvox + m->index[v]);
    }
    double err = table_rel_err(_i ? EVENT "/trials_lss_ols_run-1.tsv"
                                  : EVENT "/trials_lsa_ols_run-1.tsv",
                               m, b, 30, (const char *const *)names, 30);
    ck_assert_msg(err <= 1e-6, "%g", err);
    for (size_t k = 0; k < 30; k++)
        free(names[k]);
    free(b);
    bract_mask_free(m);
    bract_volume_free(mg);
    bract_volume_free(bv);
    free(p);
    tu_rmtree(tmp);
    free(dir);
    free(tmp);
}
END_TEST

/* ---- bad input: a clear error naming the place, nothing written ---- */

/* Write a small 4-D float run (4x3x2 voxels, nt volumes, TR tr) with a
 * sinusoid and noise-free drift in every voxel. */
static void write_run(const char *path, size_t nt, double tr)
{
    int64_t dims[4] = {4, 3, 2, (int64_t)nt};
    double vox[3] = {3, 3, 3};
    bract_volume *v;
    ck_assert_int_eq(bract_volume_new(dims, vox, NULL, tr, BRACT_F32, &v), 0);
    for (size_t t = 0; t < nt; t++)
        for (size_t i = 0; i < v->nvox; i++) {
            double x = 100 + 3 * sin(0.3 * (double)t + (double)i);
            ((float *)v->data)[t * v->nvox + i] = (float)(x + 0.01 * (double)(t % 7) * (double)i);
        }
    ck_assert_int_eq(bract_volume_write(v, path, NULL), 0);
    bract_volume_free(v);
}

static void write_mask(const char *path)
{
    int64_t dims[4] = {4, 3, 2, 1};
    double vox[3] = {3, 3, 3};
    bract_volume *v;
    ck_assert_int_eq(bract_volume_new(dims, vox, NULL, 0, BRACT_F32, &v), 0);
    for (size_t i = 0; i < v->nvox; i++)
        ((float *)v->data)[i] = 1;
    ck_assert_int_eq(bract_volume_write(v, path, NULL), 0);
    bract_volume_free(v);
}

typedef struct {
    const char *name;
    size_t nt;
    double tr;
    const char *events, *confounds, *sidecar, *contrast, *message;
    double given_tr;
} bad_case;

static const bad_case bad_cases[] = {
    {"event after the run", 60, 2.0, "onset\tduration\ttrial_type\n10\t2\ta\n30\t2\tb\n50\t2\ta\n"
     "130\t2\tb\n", NULL, NULL, NULL, "events.tsv:5: event 'b' at 130 s is outside the run", 0},
    {"event before min_onset", 60, 2.0, "onset\tduration\ttrial_type\n-30\t2\ta\n30\t2\tb\n",
     NULL, NULL, NULL, "events.tsv:2: event 'a' at -30 s is outside the run", 0},
    {"unknown condition in a contrast", 60, 2.0,
     "onset\tduration\ttrial_type\n10\t2\ta\n30\t2\tb\n50\t2\ta\n", NULL, NULL, "a-c",
     "unknown condition 'c'", 0},
    {"collinear conditions", 60, 2.0,
     "onset\tduration\ttrial_type\n10\t2\ta\n10\t2\tb\n50\t2\ta\n50\t2\tb\n", NULL, NULL, NULL,
     "columns 'a', 'b' are collinear", 0},
    {"confounds with another number of rows", 60, 2.0,
     "onset\tduration\ttrial_type\n10\t2\ta\n30\t2\tb\n", "trans_x\n1\n2\n3\n", NULL, NULL,
     "confounds.tsv: 3 rows, but the run has 60 volumes", 0},
    {"NaN beyond the first row of a confound", 60, 2.0,
     "onset\tduration\ttrial_type\n10\t2\ta\n30\t2\tb\n", "@nan", NULL, NULL,
     "confounds.tsv:6: column 1 ('trans_x'): missing value 'n/a'", 0},
    {"run shorter than its HRF", 12, 2.0, "onset\tduration\ttrial_type\n2\t2\ta\n10\t2\tb\n", NULL,
     NULL, NULL, "is not longer than its glover HRF (32 s)", 0},
    {"TR of the header and the sidecar", 60, 2.0,
     "onset\tduration\ttrial_type\n10\t2\ta\n30\t2\tb\n", NULL, "{\"RepetitionTime\": 2.5}", NULL,
     "the header's TR (2 s) and the sidecar", 0},
    {"TR given and the header", 60, 2.0, "onset\tduration\ttrial_type\n10\t2\ta\n30\t2\tb\n",
     NULL, NULL, NULL, "--tr 1.5 s but the header says 2 s", 1.5},
};

START_TEST(bad_inputs_write_nothing)
{
    bract_init();
    const bad_case *c = &bad_cases[_i];
    char *tmp = tu_tmpdir();
    char *bold = tu_join(tmp, "bold.nii.gz"), *mask = tu_join(tmp, "mask.nii.gz"),
         *evp = tu_join(tmp, "events.tsv"), *cfp = tu_join(tmp, "confounds.tsv"),
         *side = tu_join(tmp, "bold.json"), *out = tu_join(tmp, "out");
    write_run(bold, c->nt, c->tr);
    write_mask(mask);
    tu_write(evp, c->events);
    if (c->confounds) {
        if (strcmp(c->confounds, "@nan") == 0) {
            /* n/a in the first row is filled; in row 5 (line 6) it is an error */
            char *b = malloc(16 + 8 * c->nt);
            size_t k = (size_t)sprintf(b, "trans_x\n");
            for (size_t t = 0; t < c->nt; t++)
                k += (size_t)sprintf(b + k, "%s\n", t == 0 || t == 4 ? "n/a" : "0.5");
            tu_write(cfp, b);
            free(b);
        } else {
            tu_write(cfp, c->confounds);
        }
    }
    if (c->sidecar)
        tu_write(side, c->sidecar);
    bract_glm_run_files run = {bold, evp, c->confounds ? cfp : NULL};
    static const char *const cols[] = {"trans_x"};
    const char *expr[] = {c->contrast};
    bract_glm_contrast_spec con = {"c1", expr, 1, BRACT_GLM_STAT_T};
    bract_glm_opts o;
    bract_glm_opts_defaults(&o);
    o.confounds.columns = cols;
    o.confounds.ncolumns = 1;
    o.tr = c->given_tr;
    if (c->contrast) {
        o.contrasts = &con;
        o.ncontrasts = 1;
    }
    int rc = bract_glm_analyse(&run, 1, mask, &o, out, NULL, NULL, NULL);
    ck_assert_msg(rc != 0, "%s: accepted", c->name);
    ck_assert_msg(tu_contains(bract_last_error(), c->message), "%s: message \"%s\" lacks \"%s\"",
                  c->name, bract_last_error(), c->message);
    ck_assert_msg(!tu_exists(out), "%s: %s was written", c->name, out);
    tu_rmtree(tmp);
    free(bold);
    free(mask);
    free(evp);
    free(cfp);
    free(side);
    free(out);
    free(tmp);
}
END_TEST


/* ---- analytic checks ---- */

/* Deterministic normal deviates (xorshift64 + Box-Muller). */
static double randn(unsigned long long *st)
{
    double u[2];
    for (int i = 0; i < 2; i++) {
        *st ^= *st << 13;
        *st ^= *st >> 7;
        *st ^= *st << 17;
        u[i] = ((double)(*st >> 11) + 0.5) / 9007199254740992.0;
    }
    return sqrt(-2 * log(u[0])) * cos(6.283185307179586 * u[1]);
}

static bract_events *make_events(size_t n, const double *onset, const char *const *label)
{
    bract_events *e = calloc(1, sizeof *e);
    e->path = strdup("synthetic.tsv");
    e->ev = calloc(n, sizeof *e->ev);
    for (size_t k = 0; k < n; k++) {
        e->ev[k].onset = onset[k];
        e->ev[k].duration = 1.0;
        e->ev[k].modulation = 1.0;
        e->ev[k].label = strdup(label[k]);
        e->ev[k].line = k + 2;
    }
    e->n = n;
    return e;
}

static bract_glm_design *synthetic_design(size_t nvol)
{
    static const char *const lab[] = {"a", "b", "c", "a", "b", "c", "a", "b", "c", "a", "b", "c"};
    double on[12];
    for (int k = 0; k < 12; k++)
        on[k] = 6.0 + 17.5 * k + 3.0 * sin(k);
    bract_events *ev = make_events(12, on, lab);
    bract_glm_design_opts o;
    bract_glm_design_opts_defaults(&o);
    bract_glm_design *d;
    ck_assert_msg(bract_glm_design_new(ev, nvol, 2.0, NULL, &o, &d) == 0, "%s", bract_last_error());
    bract_events_free(ev);
    return d;
}

/* Noiseless data y = X beta: the fit returns beta (1e-9 relative to the
 * largest |beta|; pseudo-inverse rounding), zero residual variance, and the
 * AR(1) path (coefficient 0 for residuals of zero) the same. */
START_TEST(noiseless_betas_recovered)
{
    bract_init();
    const size_t nvol = 120, nv = 50;
    bract_glm_design *d = synthetic_design(nvol);
    const size_t p = d->ncol;
    unsigned long long st = 42;
    double *beta = malloc(nv * p * sizeof *beta);
    float *y = malloc(nv * nvol * sizeof *y);
    for (size_t v = 0; v < nv; v++) {
        for (size_t j = 0; j < p; j++)
            beta[v * p + j] = d->kind[j] == BRACT_GLM_COL_CONSTANT ? 0.0 : randn(&st);
        for (size_t t = 0; t < nvol; t++) {
            double s = 0;
            for (size_t j = 0; j < p; j++)
                s += d->x[t * p + j] * beta[v * p + j];
            y[v * nvol + t] = (float)s;
        }
    }
    /* the float data are the truth: refit the float-rounded series' betas
     * would differ at 1e-7; compare instead with betas computed in double
     * from the float data by the normal equations */
    for (int noise = 0; noise < 2; noise++) {
        bract_glm_fit_opts fo;
        bract_glm_fit_opts_defaults(&fo);
        fo.noise = noise ? BRACT_GLM_NOISE_AR1 : BRACT_GLM_NOISE_OLS;
        bract_glm_fit *f;
        ck_assert_int_eq(bract_glm_fit_new(d, y, nvol, nv, &fo, NULL, &f), 0);
        double worst = 0;
        for (size_t v = 0; v < nv; v++)
            for (size_t j = 0; j < p; j++) {
                double e = fabs(f->beta[v * p + j] - beta[v * p + j]);
                if (e > worst)
                    worst = e;
            }
        /* float32 data: |y| ~ 5 with 2^-24 relative rounding, amplified by
         * the design's conditioning: 1e-5 absolute */
        ck_assert_msg(worst < 1e-5, "%s: |beta error| %g", bract_glm_noise_name(fo.noise), worst);
        for (size_t v = 0; v < nv; v++)
            ck_assert(f->sigma2[v] < 1e-10);
        bract_glm_fit_free(f);
    }
    bract_glm_design_free(d);
    free(beta);
    free(y);
}
END_TEST

/* AR(1) noise with phi = 0.4 around a constant (the design is the constant
 * alone, so the residuals are the demeaned series): each voxel's
 * coefficient is trunc(100 rho) with rho the Yule-Walker estimate of its OLS
 * residuals (checked against a direct computation), and the estimates
 * average phi minus the truncation's mean bias (0.005) and the lag-1
 * autocorrelation's bias for an estimated mean ((1 + 4 phi) / n), within 4
 * standard errors. */
START_TEST(ar1_coefficient_of_simulated_noise)
{
    bract_init();
    const size_t nvol = 300, nv = 400;
    const double phi = 0.4;
    bract_glm_design_opts dopt;
    bract_glm_design_opts_defaults(&dopt);
    dopt.drift = BRACT_GLM_DRIFT_NONE;
    bract_glm_design *d;
    ck_assert_int_eq(bract_glm_design_new(NULL, nvol, 2.0, NULL, &dopt, &d), 0);
    ck_assert_uint_eq(d->ncol, 1);
    unsigned long long st = 7;
    float *y = malloc(nv * nvol * sizeof *y);
    for (size_t v = 0; v < nv; v++) {
        double e = randn(&st) / sqrt(1 - phi * phi);
        for (size_t t = 0; t < nvol; t++) {
            if (t)
                e = phi * e + randn(&st);
            y[v * nvol + t] = (float)(1000 + e);
        }
    }
    bract_glm_fit_opts fo;
    bract_glm_fit_opts_defaults(&fo);
    fo.noise = BRACT_GLM_NOISE_OLS;
    fo.keep_residuals = 1;
    bract_glm_fit *ols, *ar;
    ck_assert_int_eq(bract_glm_fit_new(d, y, nvol, nv, &fo, NULL, &ols), 0);
    fo.noise = BRACT_GLM_NOISE_AR1;
    ck_assert_int_eq(bract_glm_fit_new(d, y, nvol, nv, &fo, NULL, &ar), 0);
    double sum = 0;
    size_t exact = 0;
    for (size_t v = 0; v < nv; v++) {
        /* the residuals kept are float: recompute the sums in double from them */
        double s2 = 0, l1 = 0;
        const float *e = ols->resid + v * nvol;
        for (size_t t = 0; t < nvol; t++)
            s2 += (double)e[t] * e[t];
        for (size_t t = 0; t + 1 < nvol; t++)
            l1 += (double)e[t] * e[t + 1];
        double rho = (l1 / ((double)(nvol - 1) * nvol)) / (s2 / ((double)nvol * nvol));
        exact += ar->bin[v] == (int)(rho * 100);
        sum += ar->bin[v] / 100.0;
    }
    /* float residuals may move a coefficient across a bin edge: allow 1% */
    ck_assert_msg(exact >= nv * 99 / 100, "%zu of %zu bins equal trunc(100 rho)", exact, nv);
    double mean = sum / nv, se = sqrt((1 - phi * phi) / nvol) / sqrt((double)nv);
    double expect = phi - 0.005 - (1 + 4 * phi) / nvol;
    printf("AR(1) phi %.2f: mean truncated estimate %.4f (expected %.4f, s.e. %.4f)\n", phi,
           mean, expect, se);
    ck_assert_msg(fabs(mean - expect) < 4 * se, "mean %g vs %g", mean, expect);
    bract_glm_fit_free(ols);
    bract_glm_fit_free(ar);
    bract_glm_design_free(d);
    free(y);
}
END_TEST

/* An F contrast of one row is t^2, with the two-sided p of t; computed on
 * the Haxby run (1e-10 relative). */
START_TEST(f_one_row_is_t_squared)
{
    bract_init();
    char *bold = haxby_path(1, "bold_25mm.nii.gz"), *evp = haxby_path(1, "bold_events.tsv");
    run_data r;
    load_run(bold, HAXBY "/masks/25mm/brain.nii.gz", &r);
    bract_events *ev = read_events(evp);
    bract_glm_design_opts o;
    bract_glm_design_opts_defaults(&o);
    bract_glm_design *d;
    ck_assert_int_eq(bract_glm_design_new(ev, r.nvol, 2.5, NULL, &o, &d), 0);
    bract_glm_fit_opts fo;
    bract_glm_fit_opts_defaults(&fo);
    bract_glm_fit *f;
    ck_assert_int_eq(bract_glm_fit_new(d, r.y, r.nvol, r.mask->n, &fo, NULL, &f), 0);
    const char *expr[] = {"0.5*face+0.5*cat-house"};
    bract_glm_contrast *t, *F;
    const bract_glm_design *ds[] = {d};
    const bract_glm_fit *fs[] = {f};
    ck_assert_int_eq(bract_glm_contrast_new(ds, fs, 1, expr, 1, BRACT_GLM_STAT_T, &t), 0);
    ck_assert_int_eq(bract_glm_contrast_new(ds, fs, 1, expr, 1, BRACT_GLM_STAT_F, &F), 0);
    for (size_t v = 0; v < r.mask->n; v++) {
        double t2 = t->value[v] * t->value[v];
        ck_assert_msg(fabs(F->value[v] - t2) <= 1e-10 * t2 + 1e-300, "voxel %zu: F %g t^2 %g", v,
                      F->value[v], t2);
        double p2 = 2 * bract_stats_t_sf(fabs(t->value[v]), t->dof);
        ck_assert_msg(fabs(F->p[v] - p2) <= 1e-8 * p2, "voxel %zu: p %g vs %g", v, F->p[v], p2);
        ck_assert_double_eq_tol(fabs(F->effect[v]), fabs(t->value[v]) * sqrt(t->variance[v] > 0
                                ? F->variance[v] : 0), 1e-8 * fabs(F->effect[v]) + 1e-12);
    }
    bract_glm_contrast_free(t);
    bract_glm_contrast_free(F);
    bract_glm_fit_free(f);
    bract_glm_design_free(d);
    bract_events_free(ev);
    free_run(&r);
    free(bold);
    free(evp);
}
END_TEST

/* The same bits for 1 and 2 threads and any block size (fixed blocks, each
 * voxel written once): AR(1) fit and LSS. */
START_TEST(thread_count_invariance)
{
    bract_init();
    event_run e;
    event_run_load(1, &e);
    bract_glm_design_opts o;
    bract_glm_design_opts_defaults(&o);
    bract_glm_design *d;
    ck_assert_int_eq(bract_glm_design_new(e.ev, e.r.nvol, 2.0, e.conf, &o, &d), 0);
    bract_glm_fit_opts fo;
    bract_glm_fit_opts_defaults(&fo);
    fo.block = 50;
    fo.keep_residuals = 1;
    size_t nv = e.r.mask->n, K = e.ev->n;
    bract_glm_fit *f[2];
    double *lss[2];
    for (int k = 0; k < 2; k++) {
        bract_set_threads(k + 1);
        ck_assert_int_eq(bract_glm_fit_new(d, e.r.y, e.r.nvol, nv, &fo, NULL, &f[k]), 0);
        ck_assert_int_eq(bract_glm_lss(e.ev, e.r.nvol, 2.0, e.conf, &o, e.r.y, e.r.nvol, nv, &fo,
                                       NULL, &lss[k]), 0);
    }
    ck_assert(memcmp(f[0]->beta, f[1]->beta, nv * d->ncol * sizeof(double)) == 0);
    ck_assert(memcmp(f[0]->sigma2, f[1]->sigma2, nv * sizeof(double)) == 0);
    ck_assert(memcmp(f[0]->resid, f[1]->resid, nv * d->nrow * sizeof(float)) == 0);
    ck_assert(memcmp(lss[0], lss[1], nv * K * sizeof(double)) == 0);
    for (int k = 0; k < 2; k++) {
        bract_glm_fit_free(f[k]);
        free(lss[k]);
    }
    bract_glm_design_free(d);
    event_run_free(&e);
}
END_TEST

/* ---- expressions, names, confound strategies, modulation ---- */

START_TEST(contrast_expressions)
{
    const char *names[] = {"cat", "dog", "car", "a-b", "drift_1", "constant"};
    double c[6];
    ck_assert_int_eq(bract_glm_contrast_vector("0.5*cat+0.5*dog-car", names, 6, c), 0);
    ck_assert_double_eq(c[0], 0.5);
    ck_assert_double_eq(c[1], 0.5);
    ck_assert_double_eq(c[2], -1);
    ck_assert_double_eq(c[3], 0);
    ck_assert_int_eq(bract_glm_contrast_vector("(cat + dog) / 2 - car", names, 6, c), 0);
    ck_assert_double_eq(c[0], 0.5);
    ck_assert_double_eq(c[2], -1);
    ck_assert_int_eq(bract_glm_contrast_vector("-cat*2+`a-b`", names, 6, c), 0);
    ck_assert_double_eq(c[0], -2);
    ck_assert_double_eq(c[3], 1);
    ck_assert_int_eq(bract_glm_contrast_vector("a-b", names, 6, c), 0); /* a column name first */
    ck_assert_double_eq(c[3], 1);
    ck_assert_double_eq(c[0], 0);
    ck_assert_int_eq(bract_glm_contrast_vector("1e-1*cat", names, 6, c), 0);
    ck_assert_double_eq(c[0], 0.1);
    ck_assert_int_eq(bract_glm_contrast_vector("cat-horse", names, 6, c), BRACT_EINVAL);
    ck_assert_error_has("unknown condition 'horse'");
    ck_assert_error_has("cat, dog, car");
    ck_assert_int_eq(bract_glm_contrast_vector("cat*dog", names, 6, c), BRACT_EINVAL);
    ck_assert_error_has("not linear");
    ck_assert_int_eq(bract_glm_contrast_vector("cat+2", names, 6, c), BRACT_EINVAL);
    ck_assert_error_has("a number added to a condition");
    ck_assert_int_eq(bract_glm_contrast_vector("cat dog", names, 6, c), BRACT_EINVAL);
    ck_assert_error_has("unexpected text at character 5 ('dog')");
    ck_assert_int_eq(bract_glm_contrast_vector("(cat", names, 6, c), BRACT_EINVAL);
    ck_assert_error_has("expected ')'");
    ck_assert_int_eq(bract_glm_contrast_vector("cat/0", names, 6, c), BRACT_EINVAL);
    ck_assert_error_has("non-finite");
    ck_assert_int_eq(bract_glm_contrast_vector("2", names, 6, c), BRACT_EINVAL);
    ck_assert_error_has("names no condition");
}
END_TEST

/* The repetition time of a run: --tr, the header's, the BIDS sidecar's
 * RepetitionTime when the header has none; any two that disagree by more
 * than 1e-4 s are an error naming both. */
START_TEST(run_tr_header_sidecar_given)
{
    char *tmp = tu_tmpdir();
    char *bold = tu_join(tmp, "sub-01_bold.nii.gz"), *side = tu_join(tmp, "sub-01_bold.json");
    double tr;
    /* no sidecar: the header's, or --tr if it agrees; neither: an error */
    ck_assert_int_eq(bract_glm_run_tr(bold, 2.5, 0, &tr), 0);
    ck_assert_double_eq(tr, 2.5);
    ck_assert_int_eq(bract_glm_run_tr(bold, 0, 1.5, &tr), 0);
    ck_assert_double_eq(tr, 1.5);
    ck_assert_int_eq(bract_glm_run_tr(bold, 0, 0, &tr), BRACT_EDATA);
    ck_assert_error_has("no repetition time in the header or a JSON sidecar: give it (--tr)");
    /* the header has none: the sidecar's */
    tu_write(side, "{\"RepetitionTime\": 1.75, \"TaskName\": \"words\"}");
    ck_assert_int_eq(bract_glm_run_tr(bold, 0, 0, &tr), 0);
    ck_assert_double_eq(tr, 1.75);
    ck_assert_int_eq(bract_glm_run_tr(bold, 1.75, 0, &tr), 0);
    ck_assert_double_eq(tr, 1.75);
    ck_assert_int_eq(bract_glm_run_tr(bold, 1.75004, 1.75, &tr), 0); /* within 1e-4 s */
    ck_assert_double_eq(tr, 1.75);
    ck_assert_int_eq(bract_glm_run_tr(bold, 2, 0, &tr), BRACT_EDATA);
    ck_assert_error_has("the header's TR (2 s) and the sidecar");
    ck_assert_error_has("(RepetitionTime 1.75 s) disagree");
    ck_assert_int_eq(bract_glm_run_tr(bold, 0, 2, &tr), BRACT_EDATA);
    ck_assert_error_has("--tr 2 s but the sidecar");
    /* a sidecar whose RepetitionTime is not a time */
    tu_write(side, "{\"RepetitionTime\": 0}");
    ck_assert_int_eq(bract_glm_run_tr(bold, 0, 0, &tr), BRACT_EDATA);
    ck_assert_error_has("RepetitionTime 0 is not a time > 0 s");
    tu_write(side, "{\"RepetitionTime\": \"2\"}");
    ck_assert_int_eq(bract_glm_run_tr(bold, 2, 0, &tr), BRACT_EFORMAT);
    ck_assert_error_has("\"RepetitionTime\" is not a number");
    tu_rmtree(tmp);
    free(bold);
    free(side);
    free(tmp);
}
END_TEST

START_TEST(enum_names)
{
    bract_hrf_model m;
    ck_assert_int_eq(bract_hrf_model_parse("spm + derivative", &m), 0);
    ck_assert_int_eq(m, BRACT_HRF_SPM_DERIVATIVE);
    ck_assert_int_eq(bract_hrf_model_parse("Glover+Derivative+Dispersion", &m), 0);
    ck_assert_int_eq(m, BRACT_HRF_GLOVER_DERIVATIVE_DISPERSION);
    ck_assert_str_eq(bract_hrf_model_name(m), "glover+derivative+dispersion");
    ck_assert_str_eq(bract_hrf_model_nilearn_name(m), "glover + derivative + dispersion");
    ck_assert_int_eq(bract_hrf_model_parse("canonical", &m), BRACT_EINVAL);
    ck_assert_error_has("expected glover, spm");
    bract_glm_noise n;
    ck_assert_int_eq(bract_glm_noise_parse("AR1", &n), 0);
    ck_assert_int_eq(n, BRACT_GLM_NOISE_AR1);
    ck_assert_int_eq(bract_glm_noise_parse("ar2", &n), BRACT_EINVAL);
    ck_assert_error_has("expected ols or ar1");
    bract_glm_drift dr;
    ck_assert_int_eq(bract_glm_drift_parse("None", &dr), 0);
    ck_assert_int_eq(dr, BRACT_GLM_DRIFT_NONE);
    ck_assert_int_eq(bract_glm_drift_parse("linear", &dr), BRACT_EINVAL);
    bract_glm_trials tr;
    ck_assert_int_eq(bract_glm_trials_parse("lss", &tr), 0);
    ck_assert_int_eq(tr, BRACT_GLM_TRIALS_LSS);
    ck_assert_int_eq(bract_glm_trials_parse("lsx", &tr), BRACT_EINVAL);
    ck_assert_error_has("none, lsa or lss");
    bract_glm_stat gs;
    ck_assert_int_eq(bract_glm_stat_parse("F", &gs), 0);
    ck_assert_int_eq(gs, BRACT_GLM_STAT_F);
    ck_assert_str_eq(bract_glm_stat_name(gs), "F");
    ck_assert_int_eq(bract_glm_stat_parse("chi2", &gs), BRACT_EINVAL);
    bract_glm_column_kind ck;
    ck_assert_int_eq(bract_glm_column_kind_parse("Drift", &ck), 0);
    ck_assert_str_eq(bract_glm_column_kind_name(ck), "drift");
    bract_nuisance_strategy s;
    ck_assert_int_eq(bract_nuisance_strategy_parse("Motion24", &s), 0);
    ck_assert_int_eq(s, BRACT_NUISANCE_MOTION24);
    ck_assert_int_eq(bract_nuisance_strategy_parse("compcor", &s), BRACT_EINVAL);
    ck_assert_error_has("acompcor or scrub");
}
END_TEST

/* nilearn's optimize_scrub on its own docstring-style cases. */
START_TEST(scrub_segments_as_nilearn)
{
    unsigned char c[20];
    /* outliers 2 and 9 of 20, segment 5: 0-1 (short start) and 3-8 (6 >= 5)
     * kept; 10-19 kept */
    size_t a[] = {2, 9};
    bract_nuisance_scrub_segments(a, 2, 20, 5, c);
    const char *want = "11100000010000000000";
    for (int i = 0; i < 20; i++)
        ck_assert_msg(c[i] == want[i] - '0', "a: volume %d", i);
    /* outliers 6, 10, 17: the 3-volume gap 7-9 is censored, 11-16 (6 >= 5)
     * kept, and the short end 18-19 censored */
    size_t b[] = {6, 10, 17};
    bract_nuisance_scrub_segments(b, 3, 20, 5, c);
    want = "00000011111000000111";
    for (int i = 0; i < 20; i++)
        ck_assert_msg(c[i] == want[i] - '0', "b: volume %d", i);
}
END_TEST

START_TEST(confound_strategies)
{
    char *tmp = tu_tmpdir(), *p = tu_join(tmp, "c_desc-confounds_timeseries.tsv"),
         *j = tu_join(tmp, "c_desc-confounds_timeseries.json");
    /* 12 volumes; FD outlier at volume 6, std DVARS outlier at 8; a
     * non-steady-state volume 0 */
    const char *base[] = {"trans_x", "trans_y", "trans_z", "rot_x", "rot_y", "rot_z"};
    FILE *f = fopen(p, "w");
    for (int i = 0; i < 6; i++)
        fprintf(f, "%s\t%s_derivative1\t%s_power2\t%s_derivative1_power2\t", base[i], base[i],
                base[i], base[i]);
    fprintf(f, "csf\twhite_matter\tglobal_signal\tframewise_displacement\tstd_dvars\t"
               "a_comp_cor_00\ta_comp_cor_01\ta_comp_cor_02\tnon_steady_state_outlier00\n");
    for (int t = 0; t < 12; t++) {
        for (int i = 0; i < 24; i++)
            fprintf(f, t == 0 && i % 2 == 1 ? "n/a\t" : "%g\t", 0.1 * i + 0.01 * t * t);
        fprintf(f, "%g\t%g\t%g\t%s\t%s\t%g\t%g\t%g\t%d\n", 1.0 + t, 2.0 - t, 0.5 * t,
                t == 0 ? "n/a" : t == 6 ? "0.9" : "0.1", t == 0 ? "n/a" : t == 8 ? "4" : "1",
                0.3 * t, -0.2 * t, 0.1 * t * t, t == 0);
    }
    fclose(f);
    tu_write(j, "{\"a_comp_cor_00\": {\"Mask\": \"combined\"}, \"a_comp_cor_01\": {\"Mask\": "
                "\"WM\"}, \"a_comp_cor_02\": {\"Mask\": \"combined\"}}");
    bract_nuisance_opts o;
    bract_nuisance_opts_defaults(&o);
    bract_nuisance_strategy st[] = {BRACT_NUISANCE_MOTION24, BRACT_NUISANCE_WM_CSF,
                                    BRACT_NUISANCE_GLOBAL, BRACT_NUISANCE_ACOMPCOR,
                                    BRACT_NUISANCE_SCRUB};
    o.strategies = st;
    o.nstrategies = 5;
    o.scrub_segment = 2;
    bract_nuisance *c;
    ck_assert_msg(bract_nuisance_new(p, &o, &c) == 0, "%s", bract_last_error());
    /* 24 motion + csf, white_matter + global_signal + 2 combined aCompCor */
    ck_assert_uint_eq(c->ncols, 29);
    /* sorted by name, as nilearn's load_confounds returns them */
    for (size_t k = 1; k < c->ncols; k++)
        ck_assert_msg(strcmp(c->name[k - 1], c->name[k]) < 0, "%s before %s", c->name[k - 1],
                      c->name[k]);
    ck_assert_str_eq(c->name[0], "a_comp_cor_00");
    ck_assert_str_eq(c->name[1], "a_comp_cor_02");
    /* censored: 0 (non-steady state), 6 (FD), 8 (DVARS), 7 (a gap of 1 < 2) */
    const char *keep = "011111000111";
    for (int t = 0; t < 12; t++)
        ck_assert_msg(c->keep[t] == keep[t] - '0', "volume %d", t);
    ck_assert_uint_eq(c->nkept, 8);
    /* first-row n/a filled from row 2, then demeaned over kept volumes */
    ck_assert_uint_eq(c->nfilled, 12);
    for (size_t k = 0; k < c->ncols; k++) {
        double s = 0;
        for (int t = 0; t < 12; t++)
            if (c->keep[t])
                s += c->x[t * c->ncols + k];
        ck_assert_msg(fabs(s) < 1e-12, "%s: kept mean %g", c->name[k], s);
    }
    long d1 = -1;
    for (size_t k = 0; k < c->ncols; k++)
        if (strcmp(c->name[k], "trans_x_derivative1") == 0)
            d1 = (long)k;
    ck_assert_int_ge(d1, 0);
    ck_assert_double_eq(c->x[0 * c->ncols + (size_t)d1], c->x[1 * c->ncols + (size_t)d1]);
    bract_nuisance_free(c);
    /* motion6 alone on a file without rot_z: an error naming it */
    tu_write(p, "trans_x\ttrans_y\ttrans_z\trot_x\trot_y\n1\t2\t3\t4\t5\n2\t3\t4\t5\t6\n");
    bract_nuisance_strategy m6 = BRACT_NUISANCE_MOTION6;
    o.strategies = &m6;
    o.nstrategies = 1;
    ck_assert_int_eq(bract_nuisance_new(p, &o, &c), BRACT_EDATA);
    ck_assert_error_has("the motion6 strategy needs column rot_z");
    tu_rmtree(tmp);
    free(p);
    free(j);
    free(tmp);
}
END_TEST

/* A modulation column scales each event's regressor (nilearn's amplitude). */
START_TEST(modulation_scales_regressors)
{
    char *tmp = tu_tmpdir(), *a = tu_join(tmp, "a.tsv"), *b = tu_join(tmp, "b.tsv");
    tu_write(a, "onset\tduration\ttrial_type\n10\t2\tx\n40\t2\tx\n");
    tu_write(b, "onset\tduration\ttrial_type\tmodulation\n10\t2\tx\t2\n40\t2\tx\t-0.5\n");
    bract_events *ea = read_events(a), *eb = read_events(b);
    bract_glm_design_opts o;
    bract_glm_design_opts_defaults(&o);
    o.drift = BRACT_GLM_DRIFT_NONE;
    bract_glm_design *da, *db;
    ck_assert_int_eq(bract_glm_design_new(ea, 60, 2.0, NULL, &o, &da), 0);
    ck_assert_int_eq(bract_glm_design_new(eb, 60, 2.0, NULL, &o, &db), 0);
    /* events 30 s apart: the first HRF has decayed to ~0 by the second */
    for (size_t t = 0; t < 18; t++)
        ck_assert_double_eq_tol(db->x[t * 2], 2 * da->x[t * 2], 1e-12);
    tu_write(b, "onset\tduration\ttrial_type\tmodulation\n10\t2\tx\tn/a\n");
    bract_events *e;
    ck_assert_int_eq(bract_events_read(b, NULL, &e), BRACT_EFORMAT);
    ck_assert_error_has("b.tsv:2: column 4 ('modulation'): expected a number");
    bract_glm_design_free(da);
    bract_glm_design_free(db);
    bract_events_free(ea);
    bract_events_free(eb);
    tu_rmtree(tmp);
    free(a);
    free(b);
    free(tmp);
}
END_TEST


/* events -> glm -> crossnobis RDM with the GLM's residuals and their dof
 * equals the same RDM computed from nilearn's betas (the fixtures) with the
 * same noise: 1e-8 relative to the largest dissimilarity. */
START_TEST(crossnobis_chain_equals_reference)
{
    bract_init();
    static const char *const words[] = {"apple", "bus", "car",   "cat",  "dog",
                                        "grape", "hammer", "horse", "pear", "saw"};
    event_run e[2];
    bract_glm_design *d[2];
    bract_glm_fit *f[2];
    bract_glm_design_opts o;
    bract_glm_design_opts_defaults(&o);
    bract_glm_fit_opts fo;
    bract_glm_fit_opts_defaults(&fo);
    fo.keep_residuals = 1;
    for (int r = 0; r < 2; r++) {
        event_run_load(r + 1, &e[r]);
        ck_assert_int_eq(bract_glm_design_new(e[r].ev, e[r].r.nvol, 2.0, e[r].conf, &o, &d[r]), 0);
        ck_assert_int_eq(bract_glm_fit_new(d[r], e[r].r.y, e[r].r.nvol, e[r].r.mask->n, &fo, NULL,
                                           &f[r]), 0);
    }
    const bract_mask *m = e[0].r.mask;
    const size_t P = m->n, nobs = 20, nres = d[0]->nrow + d[1]->nrow;
    double *ours = malloc(nobs * P * sizeof *ours), *ref = malloc(nobs * P * sizeof *ref);
    double *res = malloc(nres * P * sizeof *res);
    const char *cond[20], *run[20];
    for (int r = 0; r < 2; r++) {
        char fix[256];
        snprintf(fix, sizeof fix, EVENT "/betas_ar1_motion6_run-%d.tsv", r + 1);
        bract_table *t = read_table(fix);
        for (int w = 0; w < 10; w++) {
            size_t row = (size_t)(r * 10 + w), col;
            cond[row] = words[w];
            run[row] = r ? "2" : "1";
            long j = bract_glm_design_find(d[r], words[w]);
            ck_assert_int_ge(j, 0);
            ck_assert_int_eq(bract_table_require(t, words[w], &col), 0);
            for (size_t i = 0; i < t->nrows; i++) {
                size_t v = table_voxel(t, i, m);
                double x;
                ck_assert_int_eq(bract_table_double(t, i, col, &x), 0);
                ref[row * P + v] = x;
            }
            for (size_t v = 0; v < P; v++)
                ours[row * P + v] = f[r]->beta[v * d[r]->ncol + (size_t)j];
        }
        bract_table_free(t);
    }
    for (size_t v = 0; v < P; v++) {
        size_t k = 0;
        for (int r = 0; r < 2; r++)
            for (size_t t = 0; t < d[r]->nrow; t++)
                res[k++ * P + v] = f[r]->resid[v * d[r]->nrow + t];
    }
    bract_rdm_design *des;
    ck_assert_int_eq(bract_rdm_design_from_labels(cond, run, nobs, NULL, &des), 0);
    bract_rdm_opts ro = {0};
    ro.method = BRACT_RDM_CROSSNOBIS;
    ro.noise = BRACT_NOISE_SHRINKAGE_DIAG;
    ro.noise_dof = f[0]->dof + f[1]->dof;
    bract_rdm_plan *plan;
    bract_rdm_ws *ws;
    ck_assert_msg(bract_rdm_plan_new(des, &ro, P, nres, &plan) == 0, "%s", bract_last_error());
    ck_assert_int_eq(bract_rdm_ws_new(plan, &ws), 0);
    bract_rdm_noise nz = {res, P, nres, NULL, 0};
    double a[45], b[45];
    bract_rdm_info info;
    ck_assert_msg(bract_rdm_compute(plan, ws, ours, P, P, &nz, a, &info) == 0, "%s",
                  bract_last_error());
    ck_assert_double_eq(info.dof, 236);
    ck_assert_int_eq(bract_rdm_compute(plan, ws, ref, P, P, &nz, b, NULL), 0);
    double big = 0, worst = 0;
    for (int i = 0; i < 45; i++)
        big = fabs(b[i]) > big ? fabs(b[i]) : big;
    for (int i = 0; i < 45; i++)
        worst = fabs(a[i] - b[i]) > worst ? fabs(a[i] - b[i]) : worst;
    printf("crossnobis from bract's vs nilearn's betas: max |diff| / max %.3g\n", worst / big);
    ck_assert_msg(worst <= 1e-8 * big, "max diff %g (largest %g)", worst, big);
    bract_rdm_ws_free(ws);
    bract_rdm_plan_free(plan);
    bract_rdm_design_free(des);
    free(ours);
    free(ref);
    free(res);
    for (int r = 0; r < 2; r++) {
        bract_glm_fit_free(f[r]);
        bract_glm_design_free(d[r]);
        event_run_free(&e[r]);
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
    tc = tcase_create("betas");
    tcase_add_loop_test(tc, haxby_betas, 0, 4);
    tcase_add_loop_test(tc, event_betas_motion6, 0, 4);
    suite_add_tcase(s, tc);
    tc = tcase_create("contrasts");
    tcase_add_test(tc, haxby_contrast_two_runs);
    suite_add_tcase(s, tc);
    tc = tcase_create("trials");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, event_trials_lsa);
    tcase_add_test(tc, event_trials_lss);
    tcase_add_loop_test(tc, lss_equals_refitting, 0, 2);
    suite_add_tcase(s, tc);
    tc = tcase_create("analyse");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, analyse_event_study);
    tcase_add_test(tc, crossnobis_chain_equals_reference);
    tcase_add_loop_test(tc, analyse_trials_tables, 0, 2);
    tcase_add_loop_test(tc, bad_inputs_write_nothing, 0,
                        (int)(sizeof bad_cases / sizeof *bad_cases));
    suite_add_tcase(s, tc);
    tc = tcase_create("analytic");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, noiseless_betas_recovered);
    tcase_add_test(tc, ar1_coefficient_of_simulated_noise);
    tcase_add_test(tc, f_one_row_is_t_squared);
    tcase_add_test(tc, thread_count_invariance);
    suite_add_tcase(s, tc);
    tc = tcase_create("units");
    tcase_add_test(tc, contrast_expressions);
    tcase_add_test(tc, enum_names);
    tcase_add_test(tc, run_tr_header_sidecar_given);
    tcase_add_test(tc, scrub_segments_as_nilearn);
    tcase_add_test(tc, confound_strategies);
    tcase_add_test(tc, modulation_scales_regressors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(glm_suite()); }
