/* A whole first-level analysis: runs in, output directory out
 * (bract_glm_analyse in bract/glm.h). */
#include "glm/glm_internal.h"

#include "bract/hrflib.h"
#include "bract/outputs.h"
#include "bract/single.h"
#include "bract/stats.h"
#include "bract/mask.h"
#include "bract/sidecar.h"
#include "bract/tsv.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

void bract_glm_opts_defaults(bract_glm_opts *o)
{
    bract_glm_design_opts_defaults(&o->design);
    bract_nuisance_opts_defaults(&o->confounds);
    bract_glm_fit_opts_defaults(&o->fit);
    o->trials = BRACT_GLM_TRIALS_NONE;
    o->tr = 0;
    o->contrasts = NULL;
    o->ncontrasts = 0;
    o->write_residuals = 1;
    o->record = NULL;
    o->force = 0;
    o->denoise = NULL;
}

void bract_glm_summary_free(bract_glm_summary *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nfiles; i++)
        free(s->files[i]);
    free(s->files);
    s->files = NULL;
    s->nfiles = 0;
}

typedef struct {
    bract_volume *hdr;      /* header of the run's data */
    bract_events *ev;       /* as read */
    bract_events *evt;      /* trial-wise (LSA) */
    bract_nuisance *conf;
    bract_glm_design *d;    /* the fitted model: standard, or LSA */
    bract_glm_fit *fit;
    double *lss;            /* nvox x events (LSS) */
    float *y;               /* the run's voxel series (kept for denoising) */
    size_t nvol;
    double tr;
} run_state;

static void run_clear(run_state *r)
{
    bract_volume_free(r->hdr);
    bract_events_free(r->ev);
    bract_events_free(r->evt);
    bract_nuisance_free(r->conf);
    bract_glm_design_free(r->d);
    bract_glm_fit_free(r->fit);
    free(r->lss);
    free(r->y);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int valid_name(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!(*s == '-' || *s == '_' || (*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') ||
              (*s >= 'A' && *s <= 'Z')))
            return 0;
    return 1;
}

/* ---- output files ---- */

typedef struct {
    const char *dir;
    int force;
    char **written;
    size_t nwritten, cap;
} outset;

static char *out_path(const outset *o, const char *name)
{
    bract_buf b = {0};
    if (bract_buf_printf(&b, "%s/%s", o->dir, name)) {
        bract_buf_free(&b);
        return NULL;
    }
    return b.data;
}

static int out_record(outset *o, const char *name)
{
    if (o->nwritten == o->cap) {
        size_t cap = o->cap ? 2 * o->cap : 32;
        char **w = bract_xrealloc(o->written, cap, sizeof *w, "output names");
        if (!w)
            return BRACT_ENOMEM;
        o->written = w;
        o->cap = cap;
    }
    if (!(o->written[o->nwritten] = bract_xstrdup(name)))
        return BRACT_ENOMEM;
    o->nwritten++;
    return BRACT_OK;
}

/* Values of volume t at mask voxel v. */
typedef double (*map_get)(const void *ctx, size_t t, size_t v);

typedef struct {
    const bract_volume *ref;
    const bract_mask *mask;
} grid;

static int write_map(outset *o, const grid *g, const char *name, size_t nt, map_get get,
                     const void *ctx, int intent, double p1, double p2, const char *iname,
                     const char *descrip, bract_sidecar *sc)
{
    bract_volume *v;
    int rc = bract_volume_new_like(g->ref, (int64_t)nt, BRACT_F32, &v);
    if (rc)
        return rc;
    float *data = v->data;
    const size_t nvox = v->nvox;
    for (size_t t = 0; t < nt; t++)
        for (size_t k = 0; k < g->mask->n; k++)
            data[t * nvox + g->mask->index[k]] = (float)get(ctx, t, k);
    char *path = out_path(o, name);
    if (!path) {
        bract_volume_free(v);
        return BRACT_ENOMEM;
    }
    bract_volume_write_opts wo = {intent, {p1, p2, 0}, iname, descrip, o->force};
    rc = bract_volume_write(v, path, &wo);
    bract_volume_free(v);
    if (!rc)
        rc = out_record(o, name);
    if (!rc && sc) {
        rc = bract_sidecar_write(sc, path, o->force);
        if (!rc) {
            char *sp = bract_sidecar_path(name);
            rc = sp ? out_record(o, sp) : BRACT_ENOMEM;
            free(sp);
        }
    }
    free(path);
    return rc;
}

/* ---- getters ---- */

typedef struct {
    const run_state *runs;
    size_t nruns;
    size_t *vol_run, *vol_col; /* per output volume: run and design column or trial */
    int trials;
    const bract_single *single; /* denoised betas: vol_col is the study's trial */
} beta_ctx;

static double get_beta(const void *ctx, size_t t, size_t v)
{
    const beta_ctx *b = ctx;
    if (b->single)
        return b->single->betas[v * b->single->ntrials + b->vol_col[t]];
    const run_state *r = &b->runs[b->vol_run[t]];
    if (r->lss)
        return r->lss[v * r->ev->n + b->vol_col[t]];
    return r->fit->beta[v * r->d->ncol + b->vol_col[t]];
}

typedef struct {
    const run_state *runs;
    size_t nruns;
    size_t *vol_run, *vol_row;
} resid_ctx;

static double get_resid(const void *ctx, size_t t, size_t v)
{
    const resid_ctx *c = ctx;
    const bract_glm_fit *f = c->runs[c->vol_run[t]].fit;
    return (double)f->resid[v * f->nrow + c->vol_row[t]];
}

typedef struct {
    const double *x;
    size_t nvox;
} plain_ctx;

static double get_plain(const void *ctx, size_t t, size_t v)
{
    const plain_ctx *c = ctx;
    return c->x[t * c->nvox + v];
}

/* ---- parameters for the sidecars ---- */

static void set_params(bract_sidecar *sc, const bract_glm_opts *o, double tr)
{
    const bract_glm_design_opts *d = &o->design;
    bract_sidecar_param_str(sc, "reference", "nilearn 0.10.3 FirstLevelModel");
    bract_sidecar_param_str(sc, "hrf_model", bract_hrf_model_name(d->hrf.model));
    if (d->hrf.model == BRACT_HRF_FIR) {
        bract_buf b = {0};
        bract_buf_printf(&b, "[");
        for (size_t i = 0; i < d->hrf.nfir; i++)
            bract_buf_printf(&b, "%s%d", i ? "," : "", d->hrf.fir_delays[i]);
        bract_buf_printf(&b, "]");
        if (b.data)
            bract_sidecar_set_json(sc, "FirDelays", b.data);
        bract_buf_free(&b);
    }
    bract_sidecar_param_int(sc, "oversampling", d->hrf.oversampling);
    bract_sidecar_param_num(sc, "min_onset", d->hrf.min_onset);
    bract_sidecar_param_str(sc, "drift_model", bract_glm_drift_name(d->drift));
    {
        /* the styles the p maps are written in, as group records them */
        bract_buf b = {0};
        bract_buf_printf(&b, "p");
        for (int sty = 1; sty < 3; sty++)
            if (o->p_styles & (1u << sty))
                bract_buf_printf(&b, ",%s", bract_stats_p_style_name((bract_stats_p_style)sty));
        if (b.data)
            bract_sidecar_param_str(sc, "p_style", b.data);
        bract_buf_free(&b);
    }
    if (d->drift == BRACT_GLM_DRIFT_COSINE)
        bract_sidecar_param_num(sc, "high_pass", d->high_pass);
    if (d->drift == BRACT_GLM_DRIFT_POLYNOMIAL)
        bract_sidecar_param_int(sc, "drift_order", d->drift_order);
    bract_sidecar_param_num(sc, "slice_time_ref", d->slice_time_ref);
    bract_sidecar_param_num(sc, "tr", tr);
    bract_sidecar_param_str(sc, "noise_model", bract_glm_noise_name(o->fit.noise));
    if (o->fit.noise == BRACT_GLM_NOISE_AR1)
        bract_sidecar_param_int(sc, "ar_bins", o->fit.ar_bins);
    bract_sidecar_param_str(sc, "trials", bract_glm_trials_name(o->trials));
    if (o->denoise) {
        const bract_single_opts *dn = o->denoise;
        bract_sidecar_param_bool(sc, "denoise", 1);
        bract_sidecar_param_bool(sc, "hrf_library", dn->hrf_library);
        if (dn->noise_pcs == BRACT_SINGLE_PCS_AUTO)
            bract_sidecar_param_str(sc, "noise_pcs", "auto");
        else
            bract_sidecar_param_int(sc, "noise_pcs", dn->noise_pcs);
        bract_sidecar_param_int(sc, "max_noise_pcs", dn->max_noise_pcs);
        bract_sidecar_param_num(sc, "pcstop", dn->pcstop);
        if (isnan(dn->r2_threshold))
            bract_sidecar_param_str(sc, "r2_threshold", "auto");
        else
            bract_sidecar_param_num(sc, "r2_threshold", dn->r2_threshold);
        bract_sidecar_param_str(sc, "ridge", bract_single_ridge_name(dn->ridge));
        bract_sidecar_param_bool(sc, "autoscale", dn->autoscale);
        bract_sidecar_param_str(sc, "denoise_estimation", "ols");
    }
    const bract_nuisance_opts *c = &o->confounds;
    if (c->ncolumns || c->nstrategies) {
        json_object *a = json_object_new_array();
        for (size_t i = 0; i < c->ncolumns; i++)
            json_object_array_add(a, json_object_new_string(c->columns[i]));
        bract_sidecar_set_json(sc, "ConfoundColumns", json_object_to_json_string(a));
        json_object_put(a);
        a = json_object_new_array();
        for (size_t i = 0; i < c->nstrategies; i++)
            json_object_array_add(a, json_object_new_string(
                                         bract_nuisance_strategy_name(c->strategies[i])));
        bract_sidecar_set_json(sc, "ConfoundStrategies", json_object_to_json_string(a));
        json_object_put(a);
        bract_sidecar_param_bool(sc, "confounds_demeaned", c->demean);
        for (size_t i = 0; i < c->nstrategies; i++)
            if (c->strategies[i] == BRACT_NUISANCE_SCRUB) {
                bract_sidecar_param_num(sc, "fd_threshold", c->fd_threshold);
                bract_sidecar_param_num(sc, "std_dvars_threshold", c->std_dvars_threshold);
                bract_sidecar_param_int(sc, "scrub_segment", (int64_t)c->scrub_segment);
            }
    }
}

static void set_output(bract_sidecar *sc, const char *desc, json_object *extra)
{
    json_object *o = extra ? extra : json_object_new_object();
    json_object_object_add(o, "Description", json_object_new_string(desc));
    bract_sidecar_set_json(sc, "Output", json_object_to_json_string(o));
    json_object_put(o);
}

/* ---- the denoising's outputs ---- */

typedef struct {
    const bract_single *s;
    int what; /* 0 reliability, 1 on-off R2, 2 HRF index, 3 pool, 4 components, 5 fraction,
                 6 condition R2 */
} single_ctx;

static double get_single(const void *ctx, size_t t, size_t v)
{
    const single_ctx *c = ctx;
    const bract_single *s = c->s;
    if (s->bad[v])
        return c->what == 3 || c->what == 4 ? 0 : NAN;
    switch (c->what) {
    case 0: return s->steps[t].reliability[v];
    case 1: return s->onoff_r2[v];
    case 2: return (double)(s->hrf[v] + 1);
    case 3: return s->pool[v];
    case 4: return s->npcs;
    case 6: return s->cond_r2[v];
    default: return s->fraction[v];
    }
}

/* A small table written atomically, its sidecar from sc with `desc`. */
static int denoise_table(outset *o, const char *name, size_t ncols, const char *const *cols,
                         const double *vals, size_t nrows, const char *const *first,
                         bract_sidecar *sc, const char *desc, json_object *extra)
{
    char *p = out_path(o, name);
    bract_tsv_writer *w = NULL;
    int rc = p ? bract_tsv_open(p, o->force, ncols, cols, &w) : BRACT_ENOMEM;
    if (!rc) {
        for (size_t i = 0; i < nrows; i++) {
            size_t j0 = 0;
            if (first) {
                bract_tsv_str(w, first[i]);
                j0 = 1;
            }
            for (size_t j = j0; j < ncols; j++)
                bract_tsv_double(w, vals[i * ncols + j]);
            bract_tsv_end_row(w);
        }
        rc = bract_tsv_commit(w);
    }
    if (!rc)
        rc = out_record(o, name);
    if (!rc) {
        set_output(sc, desc, extra);
        extra = NULL;
        rc = bract_sidecar_write(sc, p, o->force);
        char *sp = bract_sidecar_path(name);
        if (!rc)
            rc = sp ? out_record(o, sp) : BRACT_ENOMEM;
        free(sp);
    }
    if (extra)
        json_object_put(extra);
    free(p);
    return rc;
}

/* diagnostics.tsv: a row per step, its model and reliability, kept or not */
static int write_diagnostics(outset *o, const bract_single *s, bract_sidecar *sc, double t0)
{
    int rc;
    enum { NC = 9 };
    const char *cols[NC] = {"step",   "hrf_library", "noise_pcs", "ridge", "median_reliability",
                            "change", "voxels",      "p_worse",   "kept"};
    double *v = bract_xcalloc(s->nsteps * NC, sizeof *v, "diagnostics");
    const char *names[4];
    if (!v)
        return BRACT_ENOMEM;
    /* each row's model: the kept steps before it, and its own */
    int h = 0, np = 0;
    size_t last = 0;
    for (size_t k = 0; k < s->nsteps; k++) {
        const bract_single_step *st = &s->steps[k];
        int hk = h || st->kind == BRACT_SINGLE_STEP_HRF;
        int npk = st->kind == BRACT_SINGLE_STEP_NOISE ? s->npcs : np;
        names[k] = bract_single_step_name(st->kind);
        v[k * NC + 1] = hk;
        v[k * NC + 2] = npk;
        v[k * NC + 3] = st->kind == BRACT_SINGLE_STEP_RIDGE;
        v[k * NC + 4] = st->median_reliability;
        /* the change from the model it adds to (the last kept step) */
        v[k * NC + 5] = k ? st->median_reliability - s->steps[last].median_reliability : NAN;
        v[k * NC + 6] = (double)st->nvoxels;
        v[k * NC + 7] = st->p_worse;
        v[k * NC + 8] = st->kept;
        if (st->kept) {
            h = hk;
            np = npk;
            last = k;
        }
    }
    json_object *e = json_object_new_object();
    json_object_object_add(e, "OnOffR2Threshold", json_object_new_double(s->r2_threshold));
    json_object_object_add(e, "ConditionR2Threshold", json_object_new_double(s->cond_r2_threshold));
    json_object_object_add(e, "SignalVoxels", json_object_new_int64((int64_t)s->nsignal));
    json_object_object_add(e, "Reliability",
                           json_object_new_string("Pearson correlation, over conditions, of "
                                                  "the condition means of the odd and of the "
                                                  "even runs; median over the signal voxels "
                                                  "(on-off or condition R2 above its "
                                                  "threshold)"));
    json_object_object_add(
        e, "BetasFromStep",
        json_object_new_string(bract_single_step_name(s->steps[s->last_kept].kind)));
    json_object_object_add(e, "Change",
                           json_object_new_string("median_reliability minus that of the "
                                                  "last kept step above (the model this "
                                                  "step adds to)"));
    json_object_object_add(e, "PWorse",
                           json_object_new_string("one-sided sign test of the signal voxels "
                                                  "whose reliability the step lowered, "
                                                  "against the last kept step; below 0.01 "
                                                  "the step is left out (kept 0)"));
    bract_sidecar_wall_time(sc, now_s() - t0);
    rc = denoise_table(o, BRACT_OUT_GLM_DIAGNOSTICS, NC, cols, v, s->nsteps, names, sc,
                       "median split-half reliability of the single-trial betas after each "
                       "step of the denoising; a step that lowers it is left out (kept 0)",
                       e);
    free(v);
    return rc;
}

/* The maps: reliability per step, R2, HRF index, pool, components, fraction. */
static int write_denoise_maps(outset *o, const grid *g, const bract_single *s, int lib,
                              int have_noise, int have_ridge, bract_sidecar *sc, double t0)
{
    int rc = BRACT_OK;
    struct {
        const char *name;
        int what, intent;
        size_t nt;
        const char *iname, *desc;
        int want;
    } maps[] = {
        {BRACT_OUT_GLM_RELIABILITY, 0, BRACT_INTENT_CORREL, s->nsteps, "reliability",
         "split-half reliability of each voxel's betas, one volume per step (diagnostics.tsv)", 1},
        {BRACT_OUT_GLM_ONOFF_R2, 1, BRACT_INTENT_NONE, 1, "R2",
         "cross-validated R2 of the on-off model (all trials one regressor), the voxel's HRF", 1},
        {BRACT_OUT_GLM_CONDITION_R2, 6, BRACT_INTENT_NONE, 1, "R2",
         "cross-validated R2 of the condition model (one regressor per condition), the "
         "voxel's HRF",
         1},
        {BRACT_OUT_GLM_HRF_INDEX, 2, BRACT_INTENT_LABEL, 1, "HRF",
         "the voxel's HRF: its 1-based index in hrf_library.tsv (0: left out)", lib},
        {BRACT_OUT_GLM_NOISE_POOL, 3, BRACT_INTENT_NONE, 1, "pool",
         "1 for a voxel of the noise pool", have_noise},
        {BRACT_OUT_GLM_NOISE_PCS, 4, BRACT_INTENT_NONE, 1, "components",
         "noise components in each voxel's model (one number for the brain, chosen by "
         "cross-validation: noise_pcs_cv.tsv)",
         have_noise},
        {BRACT_OUT_GLM_RIDGE_FRACTION, 5, BRACT_INTENT_NONE, 1, "fraction",
         "the ridge fraction of each voxel (length of its ridge betas / least-squares betas)",
         have_ridge},
    };
    for (size_t i = 0; i < sizeof maps / sizeof *maps && !rc; i++) {
        if (!maps[i].want)
            continue;
        single_ctx cx = {s, maps[i].what};
        json_object *e = NULL;
        if (maps[i].what == 0) {
            e = json_object_new_array();
            for (size_t k = 0; k < s->nsteps; k++)
                json_object_array_add(
                    e, json_object_new_string(bract_single_step_name(s->steps[k].kind)));
            json_object *w = json_object_new_object();
            json_object_object_add(w, "Steps", e);
            e = w;
        }
        if (maps[i].what >= 2 && maps[i].what <= 5) {
            /* does the final model use what the map shows? */
            bract_single_step_kind kind = maps[i].what == 2   ? BRACT_SINGLE_STEP_HRF
                                          : maps[i].what == 5 ? BRACT_SINGLE_STEP_RIDGE
                                                              : BRACT_SINGLE_STEP_NOISE;
            int usedk = 0;
            for (size_t k = 0; k < s->nsteps; k++)
                usedk |= s->steps[k].kind == kind && s->steps[k].kept;
            if (!e)
                e = json_object_new_object();
            json_object_object_add(e, "UsedByBetas", json_object_new_boolean(usedk));
        }
        set_output(sc, maps[i].desc, e);
        bract_sidecar_wall_time(sc, now_s() - t0);
        rc = write_map(o, g, maps[i].name, maps[i].nt, get_single, &cx, maps[i].intent, 0, 0,
                       maps[i].iname, maps[i].desc, sc);
    }
    return rc;
}

/* hrf_library.tsv: the library and how many voxels chose each HRF. */
static int write_hrf_library(outset *o, const bract_single *s, bract_sidecar *sc)
{
    const char *cols[] = {"index",      "peak",      "undershoot", "ratio",
                          "dispersion", "peak_time", "voxels"};
    double v[BRACT_HRFLIB_SIZE * 7];
    size_t count[BRACT_HRFLIB_SIZE] = {0};
    for (size_t x = 0; x < s->nvox; x++)
        if (!s->bad[x] && s->hrf[x] >= 0)
            count[s->hrf[x]]++;
    for (size_t h = 0; h < BRACT_HRFLIB_SIZE; h++) {
        bract_hrflib_params q;
        bract_hrflib_describe(h, &q);
        double row[7] = {(double)h + 1,   q.peak,       q.undershoot,
                         q.ratio,         q.dispersion, bract_hrflib_peak_time(h),
                         (double)count[h]};
        memcpy(v + h * 7, row, sizeof row);
    }
    return denoise_table(o, BRACT_OUT_GLM_HRF_LIBRARY, 7, cols, v, BRACT_HRFLIB_SIZE, NULL, sc,
                         "the HRF library (bract/hrflib.h): double-gamma kernels, modes of the "
                         "response (peak) and undershoot in s, undershoot ratio, dispersion; "
                         "peak_time of the kernel; voxels choosing each",
                         NULL);
}

/* noise_pcs_cv.tsv (the curve, the choice) and each run's components. */
static int write_noise_tables(outset *o, const bract_single *s, const run_state *rs, size_t nruns,
                              bract_sidecar *sc)
{
    int rc;
    const char *cols[] = {"components", "median_cv_r2", "chosen"};
    size_t n = s->pc_curve ? (size_t)s->max_pcs + 1 : 1;
    double *v = bract_xcalloc(n * 3, sizeof *v, "the component curve");
    if (!v)
        return BRACT_ENOMEM;
    for (size_t k = 0; k < n; k++) {
        v[k * 3] = s->pc_curve ? (double)k : s->npcs;
        v[k * 3 + 1] = s->pc_curve ? s->pc_curve[k] : NAN;
        v[k * 3 + 2] = s->pc_curve ? (double)((int)k == s->npcs) : 1;
    }
    json_object *e = json_object_new_object();
    json_object_object_add(e, "NoiseComponents", json_object_new_int(s->npcs));
    json_object_object_add(e, "NoisePoolVoxels", json_object_new_int64((int64_t)s->npool));
    json_object_object_add(e, "PoolVoxelsLeftOutForConditionR2",
                           json_object_new_int64((int64_t)s->npool_condition));
    json_object_object_add(e, "CrossValidated", json_object_new_boolean(s->pc_curve != NULL));
    rc = denoise_table(o, BRACT_OUT_GLM_NOISE_CURVE, 3, cols, v, n, NULL, sc,
                       "median over the signal voxels of the leave-one-run-out R2 of the "
                       "condition model with 0..K noise components; the chosen number "
                       "(GLMdenoise's rule)",
                       e);
    free(v);
    for (size_t r = 0; r < nruns && !rc && s->pcs; r++) {
        char name[64], cn[32];
        snprintf(name, sizeof name, "noise_components_run-%zu.tsv", r + 1);
        const size_t K = (size_t)s->max_pcs;
        char **cols2 = bract_xcalloc(K, sizeof *cols2, "column names");
        if (!cols2)
            return BRACT_ENOMEM;
        for (size_t k = 0; k < K && !rc; k++) {
            snprintf(cn, sizeof cn, "pc_%02zu", k + 1);
            if (!(cols2[k] = bract_xstrdup(cn)))
                rc = BRACT_ENOMEM;
        }
        json_object *e2 = json_object_new_object();
        json_object_object_add(e2, "Run", json_object_new_int64((int64_t)r + 1));
        json_object_object_add(e2, "Data",
                               json_object_new_string(rs[r].hdr->path ? rs[r].hdr->path : ""));
        if (!rc)
            rc = denoise_table(o, name, K, (const char *const *)cols2, s->pcs[r], s->run_rows[r],
                               NULL, sc,
                               "the run's noise components (unit length, orthogonal to the "
                               "nuisance columns), one row per kept volume; the model uses "
                               "the first NoiseComponents (noise_pcs_cv.tsv)",
                               e2);
        else
            json_object_put(e2);
        for (size_t k = 0; k < K; k++)
            free(cols2[k]);
        free(cols2);
    }
    return rc;
}

static int write_denoise(outset *o, const grid *g, const bract_single *s, const run_state *rs,
                         size_t nruns, bract_sidecar *sc, double t0)
{
    const int lib = s->hrf && s->nsteps > 1 && s->steps[1].kind == BRACT_SINGLE_STEP_HRF;
    int have_noise = 0, have_ridge = s->fraction != NULL;
    for (size_t k = 0; k < s->nsteps; k++)
        have_noise |= s->steps[k].kind == BRACT_SINGLE_STEP_NOISE;
    int rc = write_diagnostics(o, s, sc, t0);
    if (!rc)
        rc = write_denoise_maps(o, g, s, lib, have_noise, have_ridge, sc, t0);
    if (!rc && lib)
        rc = write_hrf_library(o, s, sc);
    if (!rc && have_noise)
        rc = write_noise_tables(o, s, rs, nruns, sc);
    return rc;
}

/* The single-trial denoising of the runs' data (each run's data freed
 * after). */
static int denoise_runs(run_state *rs, size_t nruns, size_t nvox, const bract_glm_opts *o,
                        bract_single **single)
{
    bract_single_run *sr = bract_xcalloc(nruns, sizeof *sr, "runs");
    int rc = BRACT_ENOMEM;
    if (sr) {
        for (size_t r = 0; r < nruns; r++)
            sr[r] = (bract_single_run){rs[r].ev,  rs[r].conf, rs[r].nvol,
                                       rs[r].tr,  rs[r].y,    rs[r].nvol};
        bract_single_opts so = *o->denoise;
        so.design = o->design;
        so.trials = o->trials;
        rc = bract_single_new(sr, nruns, nvox, &so, NULL, single);
        free(sr);
    }
    for (size_t r = 0; r < nruns; r++) {
        free(rs[r].y);
        rs[r].y = NULL;
    }
    return rc;
}

/* Refuse existing outputs of the denoising (and their sidecars). */
/* Refuse an existing output (without force); but first, when the caller's
 * record `rec` (written last) is absent, remove what a killed run left at
 * `path` (bract_output_drop_leftover: a file with bract's sidecar).
 * Sidecars go with their outputs. */
static int check_output(const char *path, const char *rec, int force)
{
    if (!path)
        return BRACT_ENOMEM;
    if (rec && !bract_ends_with(path, ".json"))
        bract_output_drop_leftover(path, rec);
    return bract_output_check(path, force);
}

static int check_denoise_outputs(const char *outdir, size_t nruns, const char *rec, int force)
{
    const char *dn[] = {BRACT_OUT_GLM_DIAGNOSTICS,  BRACT_OUT_GLM_RELIABILITY,
                        BRACT_OUT_GLM_ONOFF_R2,     BRACT_OUT_GLM_CONDITION_R2,
                        BRACT_OUT_GLM_HRF_INDEX,    BRACT_OUT_GLM_HRF_LIBRARY,
                        BRACT_OUT_GLM_NOISE_POOL,   BRACT_OUT_GLM_NOISE_PCS,
                        BRACT_OUT_GLM_NOISE_CURVE,  BRACT_OUT_GLM_RIDGE_FRACTION};
    bract_buf names = {0};
    int rc = BRACT_OK;
    for (size_t i = 0; i < sizeof dn / sizeof *dn && !rc; i++)
        for (int j = 0; j < 2 && !rc; j++) {
            char *sp = j ? bract_sidecar_path(dn[i]) : NULL;
            names.len = 0;
            bract_buf_printf(&names, "%s/%s", outdir, j ? (sp ? sp : "") : dn[i]);
            rc = check_output(names.data, rec, force);
            free(sp);
        }
    for (size_t r = 0; r < nruns && !rc; r++)
        for (int j = 0; j < 2 && !rc; j++) {
            names.len = 0;
            bract_buf_printf(&names, "%s/noise_components_run-%zu.%s", outdir, r + 1,
                             j ? "json" : "tsv");
            rc = check_output(names.data, rec, force);
        }
    bract_buf_free(&names);
    return rc;
}

/* ---- the analysis ---- */

static int load_runs(const bract_glm_run_files *runs, size_t nruns, const bract_glm_opts *o,
                     const bract_volume *geom, run_state *rs)
{
    int rc = BRACT_OK;
    for (size_t r = 0; r < nruns && !rc; r++) {
        run_state *s = &rs[r];
        if ((rc = bract_volume_read(runs[r].data, BRACT_VOL_HEADER_ONLY, &s->hdr)))
            break;
        if (s->hdr->ndim != 4 || s->hdr->nt < 2) {
            rc = bract_error(BRACT_EDATA, "%s: a run is a 4-D series (this file has %lld "
                             "volume%s)", runs[r].data, (long long)s->hdr->nt,
                             s->hdr->nt == 1 ? "" : "s");
            break;
        }
        if ((rc = bract_volume_same_grid(geom, s->hdr, 1e-3)))
            break;
        if ((rc = bract_glm_run_tr(runs[r].data, s->hdr->tr, o->tr, &s->tr)))
            break;
        if (r > 0 && fabs(s->tr - rs[0].tr) > 1e-4) {
            rc = bract_error(BRACT_EDATA, "%s: TR %g s, but %s has %g s: one model needs one TR",
                             runs[r].data, s->tr, runs[0].data, rs[0].tr);
            break;
        }
        if ((rc = bract_events_read(runs[r].events, NULL, &s->ev)))
            break;
        if (s->ev->n == 0) {
            rc = bract_error(BRACT_EDATA, "%s: no events", runs[r].events);
            break;
        }
        if (runs[r].confounds) {
            if (!o->confounds.ncolumns && !o->confounds.nstrategies) {
                rc = bract_error(BRACT_EINVAL, "%s: confounds need columns (names or globs) or "
                                 "a strategy", runs[r].confounds);
                break;
            }
            if ((rc = bract_nuisance_new(runs[r].confounds, &o->confounds, &s->conf)))
                break;
        }
        const bract_events *model_ev = s->ev;
        if (o->trials == BRACT_GLM_TRIALS_LSA) {
            if ((rc = bract_glm_events_trialwise(s->ev, &s->evt)))
                break;
            model_ev = s->evt;
        }
        size_t nvol = (size_t)s->hdr->nt;
        if ((rc = bract_glm_design_new(model_ev, nvol, s->tr, s->conf, &o->design, &s->d))) {
            bract_error_context(rc, "run %zu (%s)", r + 1, runs[r].data);
            break;
        }
        for (size_t k = 0; k < o->ncontrasts && !rc; k++) {
            const bract_glm_contrast_spec *c = &o->contrasts[k];
            double *tmp = bract_xmalloc(s->d->ncol, sizeof *tmp, "a contrast");
            if (!tmp) {
                rc = BRACT_ENOMEM;
                break;
            }
            for (size_t e = 0; e < c->nexpr && !rc; e++)
                if ((rc = bract_glm_contrast_vector(c->exprs[e], (const char *const *)s->d->name,
                                                    s->d->ncol, tmp)))
                    bract_error_context(rc, "contrast %s, run %zu (%s)", c->name, r + 1,
                                        runs[r].events);
            free(tmp);
        }
    }
    return rc;
}

/* ---- the analysis in stages ---- */

/* Everything bract_glm_analyse holds between its stages. */
typedef struct {
    const bract_glm_run_files *runs;
    size_t nruns;
    const char *mask_path;
    const bract_glm_opts *o;
    double t0;
    bract_mask *mask;
    bract_volume *geom;
    size_t nvox;
    run_state *rs;
    bract_glm_contrast **con;
    bract_single *single;
    bract_sidecar *sc, *own; /* the sidecar template; own if made here */
    outset out;
    int dir_created;
    /* the beta volumes: per volume its run, column (or trial) and condition */
    size_t nb;
    beta_ctx bc;
    const char **bcond;
    /* counts for the sidecar and the summary */
    size_t nbad_nf, nbad_c, ncens, nres;
    double dof;
} analysis;

/* The request itself, before any file is read. */
static int check_request(size_t nruns, const char *mask_path, const bract_glm_opts *o)
{
    if (nruns == 0)
        return bract_error(BRACT_EINVAL, "no runs given");
    if (!mask_path)
        return bract_error(BRACT_EINVAL, "a GLM needs a mask");
    for (size_t k = 0; k < o->ncontrasts; k++) {
        const bract_glm_contrast_spec *c = &o->contrasts[k];
        if (!c->name || !valid_name(c->name))
            return bract_error(BRACT_EINVAL, "contrast name '%s': use letters, digits, - and _ "
                               "(it becomes part of file names)", c->name ? c->name : "");
        if (c->nexpr == 0 || (c->stat == BRACT_GLM_STAT_T && c->nexpr != 1))
            return bract_error(BRACT_EINVAL, "contrast %s: a t contrast has one expression, an "
                               "F contrast one or more", c->name);
        for (size_t j = 0; j < k; j++)
            if (strcmp(o->contrasts[j].name, c->name) == 0)
                return bract_error(BRACT_EINVAL, "contrast name '%s' is given twice", c->name);
    }
    if (o->denoise && o->trials != BRACT_GLM_TRIALS_LSS && o->trials != BRACT_GLM_TRIALS_LSA)
        return bract_error(BRACT_EINVAL, "denoising estimates single trials: it needs trials lss "
                           "or lsa");
    if (o->denoise && nruns < 2)
        return bract_error(BRACT_EDATA, "denoising cross-validates across runs: it needs at "
                           "least 2 runs (got 1)");
    if (o->trials == BRACT_GLM_TRIALS_LSS &&
        bract_hrf_nbasis(o->design.hrf.model, o->design.hrf.nfir) != 1)
        return bract_error(BRACT_EINVAL, "LSS needs one regressor per condition (glover, spm, "
                           "or fir with one delay), not %s",
                           bract_hrf_model_name(o->design.hrf.model));
    return BRACT_OK;
}

/* Fits, one run at a time: its data in memory only while it is fitted,
 * unless the denoising needs every run at once. */
static int fit_runs(analysis *a, const bract_progress *prog)
{
    const bract_glm_opts *o = a->o;
    bract_glm_fit_opts fo = o->fit;
    fo.keep_residuals = o->write_residuals;
    int rc = BRACT_OK;
    for (size_t r = 0; r < a->nruns && !rc; r++) {
        run_state *s = &a->rs[r];
        float *y;
        size_t nvol;
        if ((rc = bract_glm_load_data(a->runs[r].data, a->mask, a->geom, &y, &nvol, NULL)))
            break;
        rc = bract_glm_fit_new(s->d, y, nvol, a->nvox, &fo, NULL, &s->fit);
        if (!rc && o->trials == BRACT_GLM_TRIALS_LSS && !o->denoise)
            rc = bract_glm_lss(s->ev, nvol, s->tr, s->conf, &o->design, y, nvol, a->nvox, &fo,
                               NULL, &s->lss);
        if (o->denoise) {
            s->y = y;
            s->nvol = nvol;
        } else {
            free(y);
        }
        if (rc)
            bract_error_context(rc, "run %zu (%s)", r + 1, a->runs[r].data);
        bract_progress_report(prog, r + 1, a->nruns);
    }
    return rc;
}

static int make_contrasts(analysis *a)
{
    const bract_glm_opts *o = a->o;
    a->con = bract_xcalloc(o->ncontrasts ? o->ncontrasts : 1, sizeof *a->con, "contrasts");
    const bract_glm_design **ds = bract_xcalloc(a->nruns, sizeof *ds, "designs");
    const bract_glm_fit **fs = bract_xcalloc(a->nruns, sizeof *fs, "fits");
    int rc = BRACT_OK;
    if (!a->con || !ds || !fs) {
        rc = BRACT_ENOMEM;
        goto done;
    }
    for (size_t r = 0; r < a->nruns; r++) {
        ds[r] = a->rs[r].d;
        fs[r] = a->rs[r].fit;
    }
    for (size_t k = 0; k < o->ncontrasts && !rc; k++) {
        const bract_glm_contrast_spec *c = &o->contrasts[k];
        if ((rc = bract_glm_contrast_new(ds, fs, a->nruns, c->exprs, c->nexpr, c->stat,
                                         &a->con[k])))
            bract_error_context(rc, "contrast %s", c->name);
    }
done:
    free(ds);
    free(fs);
    return rc;
}

/* Counts of left-out voxels and censored volumes: a voxel is left out if
 * any run left it out. */
static void count_exclusions(analysis *a)
{
    for (size_t v = 0; v < a->nvox; v++) {
        int nf = 0, cs = 0;
        for (size_t r = 0; r < a->nruns; r++) {
            nf |= a->rs[r].fit->bad[v] == 1;
            cs |= a->rs[r].fit->bad[v] == 2;
        }
        a->nbad_nf += nf;
        a->nbad_c += !nf && cs;
    }
    for (size_t r = 0; r < a->nruns; r++) {
        a->ncens += a->rs[r].d->nvol - a->rs[r].d->nrow;
        a->nres += a->rs[r].d->nrow;
        a->dof += a->rs[r].fit->dof;
    }
}

/* The sidecar fields every output shares: parameters, counts, inputs and
 * the runs' designs. */
static int describe_fit(analysis *a, bract_sidecar *base)
{
    bract_sidecar *sc = base;
    if (!sc && !(sc = a->own = bract_sidecar_new(BRACT_CMD_GLM)))
        return bract_error(BRACT_ENOMEM, "out of memory building a sidecar");
    a->sc = sc;
    set_params(sc, a->o, a->rs[0].tr);
    bract_sidecar_count(sc, "runs", (int64_t)a->nruns);
    bract_sidecar_count(sc, "voxels", (int64_t)a->nvox);
    bract_sidecar_count(sc, "excluded_voxels_nonfinite", (int64_t)a->nbad_nf);
    bract_sidecar_count(sc, "excluded_voxels_constant", (int64_t)a->nbad_c);
    bract_sidecar_count(sc, "censored_volumes", (int64_t)a->ncens);
    for (size_t r = 0; r < a->nruns; r++) {
        bract_sidecar_input(sc, "data", a->runs[r].data);
        bract_sidecar_input(sc, "events", a->runs[r].events);
        if (a->runs[r].confounds)
            bract_sidecar_input(sc, "confounds", a->runs[r].confounds);
    }
    bract_sidecar_input(sc, "mask", a->mask_path);
    json_object *arr = json_object_new_array();
    for (size_t r = 0; r < a->nruns; r++) {
        const run_state *s = &a->rs[r];
        json_object *e = json_object_new_object();
        json_object_object_add(e, "volumes", json_object_new_int64((int64_t)s->d->nvol));
        json_object_object_add(e, "rows", json_object_new_int64((int64_t)s->d->nrow));
        json_object_object_add(e, "columns", json_object_new_int64((int64_t)s->d->ncol));
        json_object_object_add(e, "dof", json_object_new_double(s->fit->dof));
        json_object_object_add(e, "ar_models", json_object_new_int64((int64_t)s->fit->nmodels));
        if (s->conf && s->conf->nfilled) {
            json_object *f = json_object_new_array();
            for (size_t j = 0; j < s->conf->nfilled; j++)
                json_object_array_add(f, json_object_new_string(s->conf->filled[j]));
            json_object_object_add(e, "confounds_first_row_filled", f);
        }
        json_object_array_add(arr, e);
    }
    bract_sidecar_set_json(sc, "Runs", json_object_to_json_string(arr));
    json_object_put(arr);
    return BRACT_OK;
}

/* Which beta volume holds what: trials (LSS, LSA or denoised) in event
 * order, or conditions (every FIR delay of each) run after run. */
static int beta_layout(analysis *a)
{
    const bract_glm_opts *o = a->o;
    const int trials = o->trials != BRACT_GLM_TRIALS_NONE;
    const int fir = o->design.hrf.model == BRACT_HRF_FIR;
    a->nb = 0;
    for (size_t r = 0; r < a->nruns; r++)
        a->nb += trials ? a->rs[r].ev->n : a->rs[r].d->ncond * (fir ? a->rs[r].d->nbasis : 1);
    a->bc = (beta_ctx){a->rs, a->nruns, NULL, NULL, trials, a->single};
    a->bc.vol_run = bract_xmalloc(a->nb, sizeof *a->bc.vol_run, "beta volumes");
    a->bc.vol_col = bract_xmalloc(a->nb, sizeof *a->bc.vol_col, "beta volumes");
    a->bcond = bract_xmalloc(a->nb, sizeof *a->bcond, "beta volumes");
    if (!a->bc.vol_run || !a->bc.vol_col || !a->bcond)
        return BRACT_ENOMEM;
    size_t t = 0;
    for (size_t r = 0; r < a->nruns; r++) {
        const run_state *s = &a->rs[r];
        const bract_glm_design *d = s->d;
        if (trials) {
            for (size_t k = 0; k < s->ev->n; k++, t++) {
                a->bc.vol_run[t] = r;
                a->bcond[t] = s->ev->ev[k].label;
                if (a->single)
                    a->bc.vol_col[t] = t;
                else if (s->lss)
                    a->bc.vol_col[t] = k;
                else
                    a->bc.vol_col[t] = (size_t)bract_glm_design_find(d, s->evt->ev[k].label);
            }
        } else {
            size_t per = fir ? d->nbasis : 1;
            for (size_t c = 0; c < d->ncond; c++)
                for (size_t b = 0; b < per; b++, t++) {
                    a->bc.vol_run[t] = r;
                    a->bc.vol_col[t] = c * d->nbasis + b;
                    a->bcond[t] = per > 1 ? d->name[c * d->nbasis + b] : d->cond[c];
                }
        }
    }
    return BRACT_OK;
}

/* Refuse existing outputs (without force) before anything is written. */
static int check_outputs(const analysis *a)
{
    const bract_glm_opts *o = a->o;
    const char *outdir = a->out.dir;
    /* a killed run left files but not the caller's record, written last:
     * what it left is replaced (check_output) */
    bract_buf names = {0};
    int rc = BRACT_OK;
    const char *fixed[] = {BRACT_OUT_GLM_BETAS, BRACT_OUT_GLM_BETAS_TABLE, "betas.json",
                           BRACT_OUT_GLM_RESIDUALS, "residuals.json"};
    for (size_t i = 0; i < 5 && !rc; i++) {
        if (i >= 3 && !o->write_residuals)
            continue;
        char *p = out_path(&a->out, fixed[i]);
        rc = check_output(p, o->record, o->force);
        free(p);
    }
    for (size_t r = 0; r < a->nruns && !rc; r++)
        for (int j = 0; j < 2 && !rc; j++) {
            names.len = 0;
            bract_buf_printf(&names, "%s/design_run-%zu.%s", outdir, r + 1, j ? "json" : "tsv");
            rc = check_output(names.data, o->record, o->force);
        }
    if (a->single && !rc)
        rc = check_denoise_outputs(outdir, a->nruns, o->record, o->force);
    for (size_t k = 0; k < o->ncontrasts && !rc; k++) {
        const char *st[] = {"effect", "variance", a->con[k]->stat == BRACT_GLM_STAT_F ? "F" : "t",
                            "z", "p"};
        for (int i = 0; i < 10 && !rc; i++) {
            names.len = 0;
            bract_buf_printf(&names, "%s/contrast-%s_stat-%s.%s", outdir, o->contrasts[k].name,
                             st[i / 2], i % 2 ? "json" : "nii.gz");
            rc = check_output(names.data, o->record, o->force);
        }
        for (int sty = 1; sty < 3 && !rc; sty++)
            for (int j = 0; j < 2 && !rc && (o->p_styles & (1u << sty)); j++) {
                names.len = 0;
                bract_buf_printf(&names, "%s/contrast-%s_stat-p_%s.%s", outdir,
                                 o->contrasts[k].name,
                                 bract_stats_p_style_name((bract_stats_p_style)sty),
                                 j ? "json" : "nii.gz");
                rc = check_output(names.data, o->record, o->force);
            }
    }
    bract_buf_free(&names);
    return rc;
}

static int write_designs(analysis *a)
{
    int rc = BRACT_OK;
    for (size_t r = 0; r < a->nruns && !rc; r++) {
        char name[64];
        snprintf(name, sizeof name, "design_run-%zu.tsv", r + 1);
        char *p = out_path(&a->out, name);
        if (!p)
            return BRACT_ENOMEM;
        rc = bract_glm_design_write(a->rs[r].d, p, a->o->force);
        if (!rc)
            rc = out_record(&a->out, name);
        if (!rc) {
            json_object *e = json_object_new_object();
            json_object_object_add(e, "Run", json_object_new_int64((int64_t)r + 1));
            json_object_object_add(e, "Data", json_object_new_string(a->runs[r].data));
            char *d2 = bract_sidecar_path(name);
            set_output(a->sc, "design matrix of the run (one row per kept volume), nilearn's "
                              "column names", e);
            bract_sidecar_wall_time(a->sc, now_s() - a->t0);
            rc = bract_sidecar_write(a->sc, p, a->o->force);
            if (!rc)
                rc = d2 ? out_record(&a->out, d2) : BRACT_ENOMEM;
            free(d2);
        }
        free(p);
    }
    return rc;
}

/* betas.tsv: condition and run of every beta volume, and for trials the
 * LSA name of the trial (for LSS the name LSA would give) and its onset. */
static int write_beta_table(analysis *a)
{
    const int trials = a->bc.trials;
    const char *cols4[] = {"condition", "run", "trial", "onset"};
    char *p = out_path(&a->out, BRACT_OUT_GLM_BETAS_TABLE);
    bract_tsv_writer *w = NULL;
    int rc = p ? bract_tsv_open(p, a->o->force, trials ? 4 : 2, cols4, &w) : BRACT_ENOMEM;
    free(p);
    if (rc)
        return rc;
    size_t t = 0;
    for (size_t r = 0; r < a->nruns; r++) {
        char run[32];
        snprintf(run, sizeof run, "%zu", r + 1);
        for (size_t k = 0; t < a->nb && a->bc.vol_run[t] == r; t++, k++) {
            bract_tsv_str(w, a->bcond[t]);
            bract_tsv_str(w, run);
            if (trials) {
                const bract_events *ev = a->rs[r].ev;
                const bract_event *e = &ev->ev[k];
                size_t cnt = 1;
                for (size_t j = 0; j < k; j++)
                    cnt += strcmp(ev->ev[j].label, e->label) == 0;
                bract_buf b = {0};
                bract_buf_printf(&b, "%s__%03zu", e->label, cnt);
                bract_tsv_str(w, b.data ? b.data : "?");
                bract_buf_free(&b);
                bract_tsv_double(w, e->onset);
            }
            bract_tsv_end_row(w);
        }
    }
    rc = bract_tsv_commit(w);
    return rc ? rc : out_record(&a->out, BRACT_OUT_GLM_BETAS_TABLE);
}

/* betas.tsv, then betas.nii.gz with its sidecar betas.json */
static int write_betas(analysis *a, const grid *g)
{
    int rc = write_beta_table(a);
    if (rc)
        return rc;
    json_object *e = json_object_new_object();
    json_object_object_add(e, "Conditions", json_object_new_string(BRACT_OUT_GLM_BETAS_TABLE));
    json_object_object_add(e, "Volumes", json_object_new_int64((int64_t)a->nb));
    set_output(a->sc, a->bc.trials ? "one beta map per trial (betas.tsv: condition, run, trial, "
                                     "onset)"
                                   : "one beta map per condition per run (betas.tsv: "
                                     "condition, run)", e);
    bract_sidecar_wall_time(a->sc, now_s() - a->t0);
    return write_map(&a->out, g, BRACT_OUT_GLM_BETAS, a->nb, get_beta, &a->bc,
                     BRACT_INTENT_ESTIMATE, 0, 0, "beta", "bract glm betas", a->sc);
}

/* Contrast k's p map in each other --p-style asked for: -log10 p (intent
 * LOG10PVAL, nilearn's logp) or 1 - p (FSL's convention). */
static int write_styled_p(analysis *a, const grid *g, size_t k)
{
    const bract_glm_contrast *c = a->con[k];
    const char *cname = a->o->contrasts[k].name;
    int rc = BRACT_OK;
    for (int sty = 1; sty < 3 && !rc; sty++) {
        if (!(a->o->p_styles & (1u << sty)))
            continue;
        const int minus_log = sty == BRACT_P_STYLE_MINUS_LOG10;
        double *v = bract_xmalloc(a->nvox ? a->nvox : 1, sizeof *v, "a p map");
        if (!v)
            return BRACT_ENOMEM;
        bract_stats_p_style_apply((bract_stats_p_style)sty, c->p, a->nvox, v);
        char name[512];
        snprintf(name, sizeof name, "contrast-%s_stat-p_%s.nii.gz", cname,
                 bract_stats_p_style_name((bract_stats_p_style)sty));
        const char *desc = minus_log ? "-log10 of the upper-tail p value (nilearn's logp: "
                                       "larger is more significant)"
                                     : "1 - the upper-tail p value (FSL's convention: larger "
                                       "is more significant)";
        json_object *e = json_object_new_object();
        json_object_object_add(e, "Contrast", json_object_new_string(cname));
        json_object_object_add(e, "PStyle", json_object_new_string(bract_stats_p_style_name(
                                                (bract_stats_p_style)sty)));
        set_output(a->sc, desc, e);
        bract_sidecar_wall_time(a->sc, now_s() - a->t0);
        plain_ctx pc = {v, a->nvox};
        rc = write_map(&a->out, g, name, 1, get_plain, &pc,
                       minus_log ? BRACT_INTENT_LOG10PVAL : BRACT_INTENT_NONE, 0, 0,
                       minus_log ? "-log10 p" : "1 - p", desc, a->sc);
        free(v);
    }
    return rc;
}

/* The five maps of contrast k: effect, variance, t or F, z, p. */
static int write_contrast(analysis *a, const grid *g, size_t k)
{
    const bract_glm_contrast *c = a->con[k];
    const bract_glm_contrast_spec *cs = &a->o->contrasts[k];
    const int isf = c->stat == BRACT_GLM_STAT_F;
    json_object *ex = json_object_new_array();
    for (size_t e = 0; e < cs->nexpr; e++)
        json_object_array_add(ex, json_object_new_string(cs->exprs[e]));
    struct {
        const char *stat;
        const double *x;
        size_t nt;
        int intent;
        double p1, p2;
        const char *iname, *desc;
    } maps[5] = {
        {"effect", c->effect, c->dim, BRACT_INTENT_ESTIMATE, 0, 0, "effect",
         isf ? "F contrast effect: sqrtm(inv(C cov C')) C beta, one volume per row"
             : "contrast effect c beta (fixed effects over runs)"},
        {"variance", c->variance, 1, BRACT_INTENT_NONE, 0, 0, "variance",
         isf ? "residual variance sigma^2 (fixed effects over runs)"
             : "variance of the effect (fixed effects over runs)"},
        {isf ? "F" : "t", c->value, 1, isf ? BRACT_INTENT_FTEST : BRACT_INTENT_TTEST,
         isf ? (double)c->dim : c->dof, isf ? c->dof : 0, isf ? "F" : "t",
         isf ? "F statistic" : "t statistic"},
        {"z", c->z, 1, BRACT_INTENT_ZSCORE, 0, 0, "z", "z score of the upper-tail p"},
        {"p", c->p, 1, BRACT_INTENT_PVAL, 0, 0, "p", "upper-tail p value"},
    };
    int rc = BRACT_OK;
    for (int i = 0; i < 5 && !rc; i++) {
        char name[512];
        snprintf(name, sizeof name, "contrast-%s_stat-%s.nii.gz", cs->name, maps[i].stat);
        json_object *e = json_object_new_object();
        json_object_object_add(e, "Contrast", json_object_new_string(cs->name));
        json_object_object_add(e, "Expressions", json_object_get(ex));
        json_object_object_add(e, "StatType", json_object_new_string(isf ? "F" : "t"));
        json_object_object_add(e, "DegreesOfFreedom", json_object_new_double(c->dof));
        if (isf)
            json_object_object_add(e, "NumeratorDegreesOfFreedom",
                                   json_object_new_int64((int64_t)c->dim));
        json_object_object_add(e, "Runs", json_object_new_int64((int64_t)c->nruns));
        set_output(a->sc, maps[i].desc, e);
        bract_sidecar_wall_time(a->sc, now_s() - a->t0);
        plain_ctx pc = {maps[i].x, a->nvox};
        rc = write_map(&a->out, g, name, maps[i].nt, get_plain, &pc, maps[i].intent, maps[i].p1,
                       maps[i].p2, maps[i].iname, maps[i].desc, a->sc);
    }
    json_object_put(ex);
    return rc ? rc : write_styled_p(a, g, k);
}

/* Residuals last: their sidecar alone carries ResidualDegreesOfFreedom. */
static int write_residuals(analysis *a, const grid *g)
{
    const bract_glm_opts *o = a->o;
    resid_ctx rcx = {a->rs, a->nruns, NULL, NULL};
    rcx.vol_run = bract_xmalloc(a->nres, sizeof *rcx.vol_run, "residual volumes");
    rcx.vol_row = bract_xmalloc(a->nres, sizeof *rcx.vol_row, "residual volumes");
    int rc = BRACT_OK;
    if (!rcx.vol_run || !rcx.vol_row) {
        rc = BRACT_ENOMEM;
        goto done;
    }
    size_t t = 0;
    json_object *per = json_object_new_array(), *vols = json_object_new_array();
    for (size_t r = 0; r < a->nruns; r++) {
        for (size_t i = 0; i < a->rs[r].d->nrow; i++, t++) {
            rcx.vol_run[t] = r;
            rcx.vol_row[t] = i;
        }
        json_object_array_add(per, json_object_new_double(a->rs[r].fit->dof));
        json_object_array_add(vols, json_object_new_int64((int64_t)a->rs[r].d->nrow));
    }
    const int ar1 = o->fit.noise == BRACT_GLM_NOISE_AR1;
    json_object *e = json_object_new_object();
    json_object_object_add(e, "RunDegreesOfFreedom", per);
    json_object_object_add(e, "RunVolumes", vols);
    json_object_object_add(e, "Whitened", json_object_new_boolean(ar1));
    set_output(a->sc, ar1 ? "AR(1)-whitened residuals of the fitted model, kept volumes, "
                            "run after run"
                          : "OLS residuals of the fitted model, kept volumes, run after run", e);
    bract_sidecar_set_num(a->sc, "ResidualDegreesOfFreedom", a->dof);
    bract_sidecar_wall_time(a->sc, now_s() - a->t0);
    rc = write_map(&a->out, g, BRACT_OUT_GLM_RESIDUALS, a->nres, get_resid, &rcx,
                   BRACT_INTENT_NONE, 0, 0, "residual", "bract glm residuals", a->sc);
done:
    free(rcx.vol_run);
    free(rcx.vol_row);
    return rc;
}

/* Every output file in order; a failure takes back what was written. */
static int write_outputs(analysis *a)
{
    int rc = bract_output_make_dir(a->out.dir, &a->dir_created);
    if (!rc)
        rc = check_outputs(a);
    if (rc)
        return rc;
    grid g = {a->rs[0].hdr, a->mask};
    if (!rc)
        rc = write_designs(a);
    if (!rc)
        rc = write_betas(a, &g);
    if (!rc && a->single)
        rc = write_denoise(&a->out, &g, a->single, a->rs, a->nruns, a->sc, a->t0);
    for (size_t k = 0; k < a->o->ncontrasts && !rc; k++)
        rc = write_contrast(a, &g, k);
    if (!rc && a->o->write_residuals)
        rc = write_residuals(a, &g);
    return rc;
}

static void undo_outputs(analysis *a)
{
    for (size_t i = 0; i < a->out.nwritten; i++) {
        char *p = out_path(&a->out, a->out.written[i]);
        if (p)
            unlink(p);
        free(p);
    }
    if (a->dir_created)
        rmdir(a->out.dir);
}

static void fill_summary(analysis *a, bract_glm_summary *summary)
{
    const bract_single *single = a->single;
    if (single) {
        summary->nsteps = single->nsteps;
        for (size_t k = 0; k < single->nsteps; k++) {
            summary->step[k] = bract_single_step_name(single->steps[k].kind);
            summary->reliability[k] = single->steps[k].median_reliability;
        }
        summary->reliability_voxels = single->nsignal;
        summary->noise_pcs = single->npcs;
    }
    summary->nruns = a->nruns;
    summary->nvox = a->nvox;
    summary->tr = a->rs[0].tr;
    summary->nbetas = a->nb;
    summary->residual_dof = a->dof;
    summary->nresid = a->o->write_residuals ? a->nres : 0;
    summary->nbad_nonfinite = a->nbad_nf;
    summary->nbad_constant = a->nbad_c;
    summary->ncensored = a->ncens;
    summary->files = a->out.written;
    summary->nfiles = a->out.nwritten;
    a->out.written = NULL;
    a->out.nwritten = 0;
}

static void analysis_clear(analysis *a)
{
    free(a->bc.vol_run);
    free(a->bc.vol_col);
    free(a->bcond);
    for (size_t i = 0; i < a->out.nwritten; i++)
        free(a->out.written[i]);
    free(a->out.written);
    bract_sidecar_free(a->own);
    if (a->con)
        for (size_t k = 0; k < a->o->ncontrasts; k++)
            bract_glm_contrast_free(a->con[k]);
    free(a->con);
    if (a->rs)
        for (size_t r = 0; r < a->nruns; r++)
            run_clear(&a->rs[r]);
    free(a->rs);
    bract_single_free(a->single);
    bract_mask_free(a->mask);
    bract_volume_free(a->geom);
}

int bract_glm_analyse(const bract_glm_run_files *runs, size_t nruns, const char *mask_path,
                      const bract_glm_opts *o, const char *outdir, bract_sidecar *base,
                      const bract_progress *prog, bract_glm_summary *summary)
{
    if (summary)
        memset(summary, 0, sizeof *summary);
    int rc = check_request(nruns, mask_path, o);
    if (rc)
        return rc;
    analysis a = {.runs = runs, .nruns = nruns, .mask_path = mask_path, .o = o, .t0 = now_s()};
    a.out = (outset){outdir, o->force, NULL, 0, 0};
    if (!(a.rs = bract_xcalloc(nruns, sizeof *a.rs, "runs")))
        return BRACT_ENOMEM;
    if ((rc = bract_mask_read(mask_path, &a.mask, &a.geom)))
        goto done;
    if (a.mask->n == 0) {
        rc = bract_error(BRACT_EDATA, "%s: the mask is empty", mask_path);
        goto done;
    }
    a.nvox = a.mask->n;
    /* every input and design first: nothing is computed on a bad input */
    if ((rc = load_runs(runs, nruns, o, a.geom, a.rs)) || (rc = fit_runs(&a, prog)))
        goto done;
    if (o->denoise && (rc = denoise_runs(a.rs, nruns, a.nvox, o, &a.single)))
        goto done;
    if ((rc = make_contrasts(&a)))
        goto done;
    count_exclusions(&a);
    if ((rc = describe_fit(&a, base)) || (rc = beta_layout(&a)))
        goto done;
    if ((rc = write_outputs(&a))) {
        int keep = bract_error_context(rc, "%s", outdir);
        undo_outputs(&a);
        rc = keep;
        goto done;
    }
    if (summary)
        fill_summary(&a, summary);
done:
    analysis_clear(&a);
    return rc;
}
