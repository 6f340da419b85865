/* A whole first-level analysis: runs in, output directory out
 * (bract_glm_analyse in bract/glm.h). */
#include "glm/glm_internal.h"

#include "bract/outputs.h"

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
    o->force = 0;
    o->record = NULL;
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
} beta_ctx;

static double get_beta(const void *ctx, size_t t, size_t v)
{
    const beta_ctx *b = ctx;
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

int bract_glm_analyse(const bract_glm_run_files *runs, size_t nruns, const char *mask_path,
                      const bract_glm_opts *o, const char *outdir, bract_sidecar *base,
                      const bract_progress *prog, bract_glm_summary *summary)
{
    double t0 = now_s();
    if (summary)
        memset(summary, 0, sizeof *summary);
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
    if (o->trials == BRACT_GLM_TRIALS_LSS &&
        bract_hrf_nbasis(o->design.hrf.model, o->design.hrf.nfir) != 1)
        return bract_error(BRACT_EINVAL, "LSS needs one regressor per condition (glover, spm, "
                           "or fir with one delay), not %s",
                           bract_hrf_model_name(o->design.hrf.model));

    bract_mask *mask = NULL;
    bract_volume *geom = NULL;
    run_state *rs = bract_xcalloc(nruns, sizeof *rs, "runs");
    bract_glm_contrast **con = NULL;
    bract_sidecar *own = NULL;
    outset out = {outdir, o->force, NULL, 0, 0};
    int dir_created = 0, rc;
    if (!rs)
        return BRACT_ENOMEM;
    if ((rc = bract_mask_read(mask_path, &mask, &geom)))
        goto done;
    if (mask->n == 0) {
        rc = bract_error(BRACT_EDATA, "%s: the mask is empty", mask_path);
        goto done;
    }
    /* every input and design first: nothing is computed on a bad input */
    if ((rc = load_runs(runs, nruns, o, geom, rs)))
        goto done;
    const size_t nvox = mask->n;

    /* fits, one run at a time (its data in memory only while it is fitted) */
    bract_glm_fit_opts fo = o->fit;
    fo.keep_residuals = o->write_residuals;
    for (size_t r = 0; r < nruns && !rc; r++) {
        run_state *s = &rs[r];
        float *y;
        size_t nvol;
        if ((rc = bract_glm_load_data(runs[r].data, mask, geom, &y, &nvol, NULL)))
            break;
        rc = bract_glm_fit_new(s->d, y, nvol, nvox, &fo, NULL, &s->fit);
        if (!rc && o->trials == BRACT_GLM_TRIALS_LSS)
            rc = bract_glm_lss(s->ev, nvol, s->tr, s->conf, &o->design, y, nvol, nvox, &fo, NULL,
                               &s->lss);
        free(y);
        if (rc)
            bract_error_context(rc, "run %zu (%s)", r + 1, runs[r].data);
        bract_progress_report(prog, r + 1, nruns);
    }
    if (rc)
        goto done;

    /* contrasts */
    con = bract_xcalloc(o->ncontrasts ? o->ncontrasts : 1, sizeof *con, "contrasts");
    const bract_glm_design **ds = bract_xcalloc(nruns, sizeof *ds, "designs");
    const bract_glm_fit **fs = bract_xcalloc(nruns, sizeof *fs, "fits");
    if (!con || !ds || !fs) {
        free(ds);
        free(fs);
        rc = BRACT_ENOMEM;
        goto done;
    }
    for (size_t r = 0; r < nruns; r++) {
        ds[r] = rs[r].d;
        fs[r] = rs[r].fit;
    }
    for (size_t k = 0; k < o->ncontrasts && !rc; k++) {
        const bract_glm_contrast_spec *c = &o->contrasts[k];
        if ((rc = bract_glm_contrast_new(ds, fs, nruns, c->exprs, c->nexpr, c->stat, &con[k])))
            bract_error_context(rc, "contrast %s", c->name);
    }
    free(ds);
    free(fs);
    if (rc)
        goto done;

    /* ---- writing ---- */
    grid g = {rs[0].hdr, mask};
    bract_sidecar *sc = base;
    if (!sc && !(sc = own = bract_sidecar_new(BRACT_CMD_GLM))) {
        rc = bract_error(BRACT_ENOMEM, "out of memory building a sidecar");
        goto done;
    }
    set_params(sc, o, rs[0].tr);
    size_t nbad_nf = 0, nbad_c = 0, ncens = 0;
    {
        /* a voxel is left out if any run left it out */
        for (size_t v = 0; v < nvox; v++) {
            int nf = 0, cs = 0;
            for (size_t r = 0; r < nruns; r++) {
                nf |= rs[r].fit->bad[v] == 1;
                cs |= rs[r].fit->bad[v] == 2;
            }
            nbad_nf += nf;
            nbad_c += !nf && cs;
        }
        for (size_t r = 0; r < nruns; r++)
            ncens += rs[r].d->nvol - rs[r].d->nrow;
    }
    bract_sidecar_count(sc, "runs", (int64_t)nruns);
    bract_sidecar_count(sc, "voxels", (int64_t)nvox);
    bract_sidecar_count(sc, "excluded_voxels_nonfinite", (int64_t)nbad_nf);
    bract_sidecar_count(sc, "excluded_voxels_constant", (int64_t)nbad_c);
    bract_sidecar_count(sc, "censored_volumes", (int64_t)ncens);
    for (size_t r = 0; r < nruns; r++) {
        bract_sidecar_input(sc, "data", runs[r].data);
        bract_sidecar_input(sc, "events", runs[r].events);
        if (runs[r].confounds)
            bract_sidecar_input(sc, "confounds", runs[r].confounds);
    }
    bract_sidecar_input(sc, "mask", mask_path);
    {
        json_object *a = json_object_new_array();
        for (size_t r = 0; r < nruns; r++) {
            json_object *e = json_object_new_object();
            json_object_object_add(e, "volumes", json_object_new_int64((int64_t)rs[r].d->nvol));
            json_object_object_add(e, "rows", json_object_new_int64((int64_t)rs[r].d->nrow));
            json_object_object_add(e, "columns", json_object_new_int64((int64_t)rs[r].d->ncol));
            json_object_object_add(e, "dof", json_object_new_double(rs[r].fit->dof));
            json_object_object_add(e, "ar_models",
                                   json_object_new_int64((int64_t)rs[r].fit->nmodels));
            if (rs[r].conf && rs[r].conf->nfilled) {
                json_object *f = json_object_new_array();
                for (size_t j = 0; j < rs[r].conf->nfilled; j++)
                    json_object_array_add(f, json_object_new_string(rs[r].conf->filled[j]));
                json_object_object_add(e, "confounds_first_row_filled", f);
            }
            json_object_array_add(a, e);
        }
        bract_sidecar_set_json(sc, "Runs", json_object_to_json_string(a));
        json_object_put(a);
    }

    /* the beta volumes and their table */
    const int trials = o->trials != BRACT_GLM_TRIALS_NONE;
    size_t nb = 0;
    for (size_t r = 0; r < nruns; r++) {
        const bract_glm_design *d = rs[r].d;
        if (trials)
            nb += rs[r].ev->n;
        else
            nb += d->ncond * (o->design.hrf.model == BRACT_HRF_FIR ? d->nbasis : 1);
    }
    beta_ctx bc = {rs, nruns, NULL, NULL, trials};
    const char **bcond = NULL;
    bc.vol_run = bract_xmalloc(nb, sizeof *bc.vol_run, "beta volumes");
    bc.vol_col = bract_xmalloc(nb, sizeof *bc.vol_col, "beta volumes");
    bcond = bract_xmalloc(nb, sizeof *bcond, "beta volumes");
    if (!bc.vol_run || !bc.vol_col || !bcond) {
        rc = BRACT_ENOMEM;
        goto write_done;
    }
    {
        size_t t = 0;
        for (size_t r = 0; r < nruns; r++) {
            const run_state *s = &rs[r];
            const bract_glm_design *d = s->d;
            if (trials) {
                for (size_t k = 0; k < s->ev->n; k++, t++) {
                    bc.vol_run[t] = r;
                    bcond[t] = s->ev->ev[k].label;
                    if (s->lss)
                        bc.vol_col[t] = k;
                    else
                        bc.vol_col[t] = (size_t)bract_glm_design_find(d, s->evt->ev[k].label);
                }
            } else {
                size_t per = o->design.hrf.model == BRACT_HRF_FIR ? d->nbasis : 1;
                for (size_t c = 0; c < d->ncond; c++)
                    for (size_t b = 0; b < per; b++, t++) {
                        bc.vol_run[t] = r;
                        bc.vol_col[t] = c * d->nbasis + b;
                        bcond[t] = per > 1 ? d->name[c * d->nbasis + b] : d->cond[c];
                    }
            }
        }
    }

    /* the directory, then refuse existing outputs before writing anything */
    if ((rc = bract_make_dir(outdir, &dir_created)))
        goto write_done;
    {
        bract_buf names = {0};
        /* a killed run left files but not the caller's record, written
         * last: what it left is replaced (bract_output_drop_leftover) */
        const char *rec = o->record;
        const char *fixed[] = {BRACT_OUT_GLM_BETAS, BRACT_OUT_GLM_BETAS_TABLE, "betas.json",
                               BRACT_OUT_GLM_RESIDUALS, "residuals.json"};
        for (size_t i = 0; i < 5 && !rc; i++) {
            if (i >= 3 && !o->write_residuals)
                continue;
            char *p = out_path(&out, fixed[i]);
            if (p && rec && !bract_ends_with(p, ".json"))
                bract_output_drop_leftover(p, rec);
            rc = p ? bract_output_check(p, o->force) : BRACT_ENOMEM;
            free(p);
        }
        for (size_t r = 0; r < nruns && !rc; r++)
            for (int j = 0; j < 2 && !rc; j++) {
                names.len = 0;
                bract_buf_printf(&names, "%s/design_run-%zu.%s", outdir, r + 1,
                                 j ? "json" : "tsv");
                if (!j && names.data && rec)
                    bract_output_drop_leftover(names.data, rec);
                rc = names.data ? bract_output_check(names.data, o->force) : BRACT_ENOMEM;
            }
        for (size_t k = 0; k < o->ncontrasts && !rc; k++) {
            const char *st[] = {"effect", "variance", con[k]->stat == BRACT_GLM_STAT_F ? "F" : "t",
                                "z", "p"};
            for (int i = 0; i < 10 && !rc; i++) {
                names.len = 0;
                bract_buf_printf(&names, "%s/contrast-%s_stat-%s.%s", outdir,
                                 o->contrasts[k].name, st[i / 2], i % 2 ? "json" : "nii.gz");
                if (i % 2 == 0 && names.data && rec)
                    bract_output_drop_leftover(names.data, rec);
                rc = names.data ? bract_output_check(names.data, o->force) : BRACT_ENOMEM;
            }
        }
        bract_buf_free(&names);
        if (rc)
            goto write_done;
    }

    /* design matrices */
    for (size_t r = 0; r < nruns && !rc; r++) {
        char name[64];
        snprintf(name, sizeof name, "design_run-%zu.tsv", r + 1);
        char *p = out_path(&out, name);
        if (!p) {
            rc = BRACT_ENOMEM;
            break;
        }
        rc = bract_glm_design_write(rs[r].d, p, o->force);
        if (!rc)
            rc = out_record(&out, name);
        if (!rc) {
            json_object *e = json_object_new_object();
            json_object_object_add(e, "Run", json_object_new_int64((int64_t)r + 1));
            json_object_object_add(e, "Data", json_object_new_string(runs[r].data));
            char *d2 = bract_sidecar_path(name);
            set_output(sc, "design matrix of the run (one row per kept volume), nilearn's "
                           "column names", e);
            bract_sidecar_wall_time(sc, now_s() - t0);
            rc = bract_sidecar_write(sc, p, o->force);
            if (!rc)
                rc = d2 ? out_record(&out, d2) : BRACT_ENOMEM;
            free(d2);
        }
        free(p);
    }
    if (rc)
        goto write_done;

    /* betas.tsv then betas.nii.gz (with the sidecar betas.json) */
    {
        const char *cols4[] = {"condition", "run", "trial", "onset"};
        char *p = out_path(&out, BRACT_OUT_GLM_BETAS_TABLE);
        bract_tsv_writer *w = NULL;
        rc = p ? bract_tsv_open(p, o->force, trials ? 4 : 2, cols4, &w) : BRACT_ENOMEM;
        free(p);
        if (!rc) {
            size_t t = 0;
            for (size_t r = 0; r < nruns; r++) {
                char run[32];
                snprintf(run, sizeof run, "%zu", r + 1);
                for (size_t k = 0; t < nb && bc.vol_run[t] == r; t++, k++) {
                    bract_tsv_str(w, bcond[t]);
                    bract_tsv_str(w, run);
                    if (trials) {
                        /* trial k of the run: the LSA name (for LSS the name
                         * LSA would give), and its onset */
                        const bract_event *e = &rs[r].ev->ev[k];
                        size_t cnt = 1;
                        for (size_t j = 0; j < k; j++)
                            cnt += strcmp(rs[r].ev->ev[j].label, e->label) == 0;
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
            if (!rc)
                rc = out_record(&out, BRACT_OUT_GLM_BETAS_TABLE);
        }
        if (!rc) {
            json_object *e = json_object_new_object();
            json_object_object_add(e, "Conditions",
                                   json_object_new_string(BRACT_OUT_GLM_BETAS_TABLE));
            json_object_object_add(e, "Volumes", json_object_new_int64((int64_t)nb));
            set_output(sc, trials ? "one beta map per trial (betas.tsv: condition, run, trial, "
                                    "onset)"
                                  : "one beta map per condition per run (betas.tsv: condition, "
                                    "run)", e);
            bract_sidecar_wall_time(sc, now_s() - t0);
            rc = write_map(&out, &g, BRACT_OUT_GLM_BETAS, nb, get_beta, &bc,
                           BRACT_INTENT_ESTIMATE, 0, 0, "beta", "bract glm betas", sc);
        }
    }
    if (rc)
        goto write_done;

    /* contrasts */
    for (size_t k = 0; k < o->ncontrasts && !rc; k++) {
        const bract_glm_contrast *c = con[k];
        const bract_glm_contrast_spec *cs = &o->contrasts[k];
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
            set_output(sc, maps[i].desc, e);
            bract_sidecar_wall_time(sc, now_s() - t0);
            plain_ctx pc = {maps[i].x, nvox};
            rc = write_map(&out, &g, name, maps[i].nt, get_plain, &pc, maps[i].intent, maps[i].p1,
                           maps[i].p2, maps[i].iname, maps[i].desc, sc);
        }
        json_object_put(ex);
    }
    if (rc)
        goto write_done;

    /* residuals last: their sidecar alone carries ResidualDegreesOfFreedom */
    size_t nres = 0;
    double dof = 0;
    for (size_t r = 0; r < nruns; r++) {
        nres += rs[r].d->nrow;
        dof += rs[r].fit->dof;
    }
    if (o->write_residuals) {
        resid_ctx rcx = {rs, nruns, NULL, NULL};
        rcx.vol_run = bract_xmalloc(nres, sizeof *rcx.vol_run, "residual volumes");
        rcx.vol_row = bract_xmalloc(nres, sizeof *rcx.vol_row, "residual volumes");
        if (!rcx.vol_run || !rcx.vol_row) {
            rc = BRACT_ENOMEM;
        } else {
            size_t t = 0;
            json_object *per = json_object_new_array(), *vols = json_object_new_array();
            for (size_t r = 0; r < nruns; r++) {
                for (size_t i = 0; i < rs[r].d->nrow; i++, t++) {
                    rcx.vol_run[t] = r;
                    rcx.vol_row[t] = i;
                }
                json_object_array_add(per, json_object_new_double(rs[r].fit->dof));
                json_object_array_add(vols, json_object_new_int64((int64_t)rs[r].d->nrow));
            }
            json_object *e = json_object_new_object();
            json_object_object_add(e, "RunDegreesOfFreedom", per);
            json_object_object_add(e, "RunVolumes", vols);
            json_object_object_add(e, "Whitened",
                                   json_object_new_boolean(o->fit.noise == BRACT_GLM_NOISE_AR1));
            set_output(sc, o->fit.noise == BRACT_GLM_NOISE_AR1
                               ? "AR(1)-whitened residuals of the fitted model, kept volumes, "
                                 "run after run"
                               : "OLS residuals of the fitted model, kept volumes, run after run",
                       e);
            bract_sidecar_set_num(sc, "ResidualDegreesOfFreedom", dof);
            bract_sidecar_wall_time(sc, now_s() - t0);
            rc = write_map(&out, &g, BRACT_OUT_GLM_RESIDUALS, nres, get_resid, &rcx,
                           BRACT_INTENT_NONE, 0, 0, "residual", "bract glm residuals", sc);
        }
        free(rcx.vol_run);
        free(rcx.vol_row);
    }
    if (!rc && summary) {
        summary->nruns = nruns;
        summary->nvox = nvox;
        summary->tr = rs[0].tr;
        summary->nbetas = nb;
        summary->residual_dof = dof;
        summary->nresid = o->write_residuals ? nres : 0;
        summary->nbad_nonfinite = nbad_nf;
        summary->nbad_constant = nbad_c;
        summary->ncensored = ncens;
        summary->files = out.written;
        summary->nfiles = out.nwritten;
        out.written = NULL;
        out.nwritten = 0;
    }
write_done:
    free(bc.vol_run);
    free(bc.vol_col);
    free(bcond);
    if (rc) {
        /* a failure while writing: take back what was written */
        int keep = bract_error_context(rc, "%s", outdir);
        for (size_t i = 0; i < out.nwritten; i++) {
            char *p = out_path(&out, out.written[i]);
            if (p)
                unlink(p);
            free(p);
        }
        if (dir_created)
            rmdir(outdir);
        rc = keep;
    }
done:
    for (size_t i = 0; i < out.nwritten; i++)
        free(out.written[i]);
    free(out.written);
    bract_sidecar_free(own);
    if (con)
        for (size_t k = 0; k < o->ncontrasts; k++)
            bract_glm_contrast_free(con[k]);
    free(con);
    for (size_t r = 0; r < nruns; r++)
        run_clear(&rs[r]);
    free(rs);
    bract_mask_free(mask);
    bract_volume_free(geom);
    return rc;
}
