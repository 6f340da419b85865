/* bract timescale: intrinsic timescales of region series or voxels;
 * `bract timescale hierarchy` lives in timescale_hierarchy.c. */
#include "cli/cli.h"
#include "cli/columns.h"
#include "cli/opts.h"
#include "bract/outputs.h"
#include "bract/mask.h"
#include "bract/tsv.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int main_timescale_hierarchy(int argc, char **argv);

static int is_nifti(const char *p)
{
    static const char *const ext[] = {".nii", ".nii.gz", ".hdr", ".hdr.gz", ".img", ".img.gz",
                                      NULL};
    size_t n = strlen(p);
    for (int i = 0; ext[i]; i++) {
        size_t m = strlen(ext[i]);
        if (n >= m && strcmp(p + n - m, ext[i]) == 0)
            return 1;
    }
    return 0;
}

/* "dir/tau.nii.gz" + "_r2" -> "dir/tau_r2.nii.gz" (malloc'd). */
static char *map_name(const char *out, const char *suffix)
{
    size_t n = strlen(out);
    const char *ext = "";
    if (n > 7 && strcmp(out + n - 7, ".nii.gz") == 0)
        ext = ".nii.gz";
    else if (n > 4 && strcmp(out + n - 4, ".nii") == 0)
        ext = ".nii";
    size_t stem = n - strlen(ext);
    char *s = malloc(n + strlen(suffix) + 1);
    if (s)
        sprintf(s, "%.*s%s%s", (int)stem, out, suffix, ext);
    return s;
}

CLI_ENUM_PARSER(bract_timescale_method, bract_timescale_method_parse)

typedef struct {
    const char *data, *mask, *output, *acf;
    double tr;
    int adjusted;
    cli_columns cols;
    bract_timescale_opts o;
} ts_args;

static const cli_opt options[] = {
    CLI_GROUP("Input:"),
    CLI_STRING('d', "data", ts_args, data, "FILE",
               "region series (TSV/CSV, a column per region, a row\n"
               "per volume) or a 4-D NIfTI",
               .flags = CLI_REQUIRED),
    CLI_STRING('m', "mask", ts_args, mask, "FILE",
               "NIfTI input: the voxels to estimate [every voxel\n"
               "whose series is not constant]"),
    CLI_COLUMN_OPTIONS(ts_args, cols),
    CLI_DOUBLE(0, "tr", ts_args, tr, 0, 1e6, "SECONDS",
               "repetition time [RepetitionTime of the table's\n"
               "JSON sidecar, or the NIfTI header]"),
    CLI_GROUP("Estimator:"),
    CLI_ENUM(0, "method", ts_args, o.method, bract_timescale_method, "NAME",
             "exp, exp-offset-free, integral, e-fold, ar1, knee [exp]"),
    CLI_SIZE(0, "max-lag", ts_args, o.max_lag, 1, 100000000, "N",
             "last lag of the ACF [min(10 log10 T, T - 1)]"),
    CLI_SIZE(0, "min-lag", ts_args, o.min_lag, 0, 100000000, "N",
             "first lag fitted by exp and exp-offset-free [1]"),
    CLI_FLAG(0, "adjusted", ts_args, adjusted,
             "divide lag k by T - k (statsmodels adjusted=True)\ninstead of T"),
    CLI_SIZE(0, "welch-segment", ts_args, o.welch_segment, 16, 100000000, "N",
             "knee: Welch segment length [min(T, max(256, 8 max-lag))]"),
    CLI_DOUBLE(0, "knee-exponent", ts_args, o.knee_exponent, 0, 20, "X",
               "knee: fix the exponent (2: Lorentzian) [fitted]"),
    CLI_FLAG(0, "plain-frequency", ts_args, o.knee_plain_axis,
             "knee: fit on frequency f, as fooof does, instead of\nsin(pi f TR) / (pi TR)"),
    CLI_DOUBLE(0, "knee-fmax", ts_args, o.knee_fmax, 0, 1e6, "HZ",
               "knee: highest frequency fitted [below Nyquist]"),
    CLI_GROUP("Uncertainty:"),
    CLI_SIZE(0, "bootstrap", ts_args, o.bootstrap, 0, 1000000, "N",
             "simulated series per region for a standard error\n"
             "[0; 200 with --bias-correct]"),
    CLI_FLAG(0, "bias-correct", ts_args, o.bias_correct,
             "correct the finite-sample bias by parametric bootstrap"),
    CLI_FLAG(0, "bootstrap-offset", ts_args, o.boot_offset, "exp: simulate the fitted offset B too"),
    CLI_GROUP("Output:"),
    CLI_STRING('o', "output", ts_args, output, "FILE",
               "TSV (one row per region), or for voxels a NIfTI map of\n"
               "tau with FILE_r2, FILE_flags (and FILE_se) beside it",
               .flags = CLI_REQUIRED),
    CLI_STRING(0, "acf", ts_args, acf, "FILE",
               "also write the ACF: TSV (a row per lag from 0, a column\n"
               "per region) or, for voxels, a 4-D NIfTI"),
    CLI_END};

const cli_spec cli_spec_timescale = {
    "timescale",
    "Usage: bract timescale --data FILE -o OUT [options]\n"
    "       bract timescale hierarchy --index FILE -o DIR [options] TAU.tsv...",
    "The intrinsic timescale of each region (a region time-series table) or\n"
    "voxel (a 4-D NIfTI) in seconds, from the decay of its autocorrelation.\n"
    "'bract timescale hierarchy --help' describes the hierarchy mode.",
    options, NULL};

typedef struct {
    const bract_volume *v;
    const size_t *vox;
} vox_ctx;

static void get_voxel(void *ctx, size_t i, double *out)
{
    const vox_ctx *c = ctx;
    size_t nvox = c->v->nvox, j = c->vox[i];
    if (c->v->storage == BRACT_F32) {
        const float *d = c->v->data;
        for (int64_t t = 0; t < c->v->nt; t++)
            out[t] = d[j + nvox * (size_t)t];
    } else {
        const double *d = c->v->data;
        for (int64_t t = 0; t < c->v->nt; t++)
            out[t] = d[j + nvox * (size_t)t];
    }
}

typedef struct {
    const double *x;
    size_t nt;
} reg_ctx;

static void get_region(void *ctx, size_t i, double *out)
{
    const reg_ctx *c = ctx;
    memcpy(out, c->x + i * c->nt, c->nt * sizeof *out);
}

/* Parameters, inputs and counts shared by every output's sidecar. */
static bract_sidecar *make_sidecar(const cli_ctx *c, const ts_args *a, const bract_timescale_plan *p,
                                   const bract_timescale_result *res, size_t n, const char *unit,
                                   size_t background)
{
    bract_sidecar *s = cli_sidecar(c);
    if (!s)
        return NULL;
    const bract_timescale_opts *o = bract_timescale_plan_opts(p);
    bract_sidecar_param_str(s, "method", bract_timescale_method_name(o->method));
    bract_sidecar_param_str(s, "acf", o->acf_norm == BRACT_ACF_ADJUSTED ? "adjusted" : "biased");
    bract_sidecar_param_num(s, "tr_s", o->tr);
    bract_sidecar_param_int(s, "max_lag", (int64_t)o->max_lag);
    if (o->method == BRACT_TAU_EXP || o->method == BRACT_TAU_EXP_OFFSET_FREE)
        bract_sidecar_param_int(s, "min_lag", (int64_t)o->min_lag);
    if (o->method == BRACT_TAU_KNEE) {
        bract_sidecar_param_int(s, "welch_segment", (int64_t)o->welch_segment);
        if (o->knee_exponent > 0)
            bract_sidecar_param_num(s, "knee_exponent", o->knee_exponent);
        else
            bract_sidecar_param_str(s, "knee_exponent", "fitted");
        bract_sidecar_param_str(s, "knee_axis", o->knee_plain_axis ? "f" : "sin(pi f TR)/(pi TR)");
        bract_sidecar_param_num(s, "knee_fmax_hz", o->knee_fmax > 0 ? o->knee_fmax : 0.5 / o->tr);
    }
    bract_sidecar_param_int(s, "bootstrap", (int64_t)o->bootstrap);
    bract_sidecar_param_bool(s, "bias_correct", o->bias_correct);
    if (o->method == BRACT_TAU_EXP)
        bract_sidecar_param_bool(s, "bootstrap_offset", o->boot_offset);
    if (o->bootstrap > 0)
        bract_sidecar_param_int(s, "seed", (int64_t)o->seed);
    double lo, hi;
    bract_timescale_plan_range(p, &lo, &hi);
    char buf[96], b1[32], b2[32];
    snprintf(buf, sizeof buf, "[%s, %s]", bract_tsv_format_double(b1, lo), bract_tsv_format_double(b2, hi));
    bract_sidecar_set_json(s, "MeasurableRangeSeconds", buf);
    bract_sidecar_set_num(s, "RepetitionTime", o->tr);
    bract_sidecar_set_str(s, "Units", "seconds");
    bract_sidecar_input(s, "data", a->data);
    if (a->mask)
        bract_sidecar_input(s, "mask", a->mask);
    size_t est = 0, cnt[8] = {0};
    for (size_t i = 0; i < n; i++) {
        if (isfinite(res[i].tau_s))
            est++;
        for (int b = 0; b < 8; b++)
            if (res[i].flags & (1u << b))
                cnt[b]++;
    }
    bract_sidecar_count(s, unit, (int64_t)n);
    bract_sidecar_count(s, "estimated", (int64_t)est);
    if (background)
        bract_sidecar_count(s, "background_voxels", (int64_t)background);
    for (int b = 0; b < 8; b++) {
        char fl[32], key[48];
        bract_timescale_flags_string(1u << b, fl, sizeof fl);
        snprintf(key, sizeof key, "%s_%s", b < 2 ? "excluded" : "flagged", fl);
        bract_sidecar_count(s, key, (int64_t)cnt[b]);
    }
    return s;
}

/* Warnings: excluded (constant, non-finite) and unmeasured series. */
static void warn_results(const bract_timescale_result *res, size_t n, const char *const *names,
                         const char *unit)
{
    char what1[32], whatn[32];
    snprintf(what1, sizeof what1, "%s", unit);
    snprintf(whatn, sizeof whatn, "%ss", unit);
#define WHAT(k) ((k) == 1 ? what1 : whatn)
    size_t cnt[8] = {0}, shown = 0, nmiss = 0;
    char list[256] = "";
    for (size_t i = 0; i < n; i++) {
        for (int b = 0; b < 8; b++)
            if (res[i].flags & (1u << b))
                cnt[b]++;
        if (!isfinite(res[i].tau_s)) {
            nmiss++;
            if (names && shown < 5) {
                size_t k = strlen(list);
                snprintf(list + k, sizeof list - k, "%s%s", shown ? ", " : "", names[i]);
                shown++;
            }
        }
    }
    if (cnt[0])
        bract_warn("%zu %s constant: excluded (tau n/a)", cnt[0], WHAT(cnt[0]));
    if (cnt[1])
        bract_warn("%zu %s with non-finite values: excluded (tau n/a)", cnt[1], WHAT(cnt[1]));
    size_t other = nmiss - cnt[0] - cnt[1];
    if (other) {
        char fl[160] = "";
        size_t k = 0;
        for (int b = 2; b < 8; b++)
            if (cnt[b]) {
                char nm[32];
                bract_timescale_flags_string(1u << b, nm, sizeof nm);
                k += (size_t)snprintf(fl + k, sizeof fl - k, "%s%s %zu", k ? ", " : "", nm,
                                      cnt[b]);
            }
        bract_warn("%zu %s without a timescale (%s)%s%s%s", other, WHAT(other), fl,
                   names ? ": " : "", list, names && nmiss > shown ? ", ..." : "");
    }
    if (cnt[6]) {
        bract_warn("%zu %s with the ACF still positive at the last lag: integral truncated "
                   "(a lower bound; raise --max-lag)", cnt[6], WHAT(cnt[6]));
    }
#undef WHAT
}

static int run_regions(cli_ctx *c, ts_args *a)
{
    if (a->mask)
        return cli_usage_error(c, "--mask applies to NIfTI input; %s is a table", a->data);
    if (is_nifti(a->output))
        return cli_usage_error(c, "the output of region series is a TSV, not %s", a->output);
    if (a->acf && is_nifti(a->acf))
        return cli_usage_error(c, "the ACF of region series is a TSV, not %s", a->acf);
    bract_tseries *ts;
    if (bract_tseries_read(a->data, a->tr, &ts))
        return cli_fail(c);
    if (cli_columns_select(c, &a->cols, a->data, ts)) {
        bract_tseries_free(ts);
        return CLI_DATA_ERROR;
    }
    int rc = CLI_DATA_ERROR;
    bract_timescale_plan *p = NULL;
    bract_timescale_result *res = NULL;
    double *acf = NULL;
    bract_sidecar *sc = NULL;
    if (!(ts->tr > 0)) {
        cli_error(c, "%s: the repetition time is unknown: give --tr SECONDS (or a sidecar "
                  "with a positive RepetitionTime)", a->data);
        goto done;
    }
    a->o.tr = ts->tr;
    if (bract_timescale_plan_new(ts->nt, &a->o, &p)) {
        bract_error_context(BRACT_EINVAL, "%s", a->data);
        cli_fail(c);
        goto done;
    }
    size_t L1 = bract_timescale_plan_opts(p)->max_lag + 1;
    res = calloc(ts->nreg, sizeof *res);
    acf = a->acf ? malloc(ts->nreg * L1 * sizeof *acf) : NULL;
    if (!res || (a->acf && !acf)) {
        cli_error(c, "out of memory");
        goto done;
    }
    cli_log(c, "%zu regions x %zu volumes, TR %g s, method %s, lags to %zu", ts->nreg, ts->nt,
            ts->tr, bract_timescale_method_name(a->o.method), L1 - 1);
    cli_bar bar;
    cli_bar_start(&bar, c, "timescales");
    bract_progress prog = cli_bar_progress(&bar);
    reg_ctx rctx = {ts->x, ts->nt};
    int r = bract_timescale_run(p, ts->nreg, get_region, &rctx, res, acf, &prog);
    cli_bar_finish(&bar);
    if (r) {
        cli_fail(c);
        goto done;
    }
    warn_results(res, ts->nreg, (const char *const *)ts->name, "region");
    cli_warnings(c);
    sc = make_sidecar(c, a, p, res, ts->nreg, "regions", 0);
    if (sc)
        cli_columns_sidecar(sc, &a->cols);
    if (a->acf) { /* before the -o table, the primary output */
        if (bract_acf_write_tsv(a->acf, c->force, (const char *const *)ts->name, acf, ts->nreg,
                                L1 - 1)) {
            cli_fail(c);
            goto done;
        }
        bract_sidecar *as = make_sidecar(c, a, p, res, ts->nreg, "regions", 0);
        if (as) {
            cli_columns_sidecar(as, &a->cols);
            bract_sidecar_set_str(as, "Contents", "autocorrelation, a row per lag from 0");
        }
        int bad = cli_sidecar_finish(c, as, a->acf);
        bract_sidecar_free(as);
        if (bad)
            goto done;
    }
    if (bract_timescale_write_tsv(a->output, c->force, p, (const char *const *)ts->name, res,
                            ts->nreg)) {
        cli_fail(c);
        goto done;
    }
    if (cli_sidecar_finish(c, sc, a->output))
        goto done;
    rc = CLI_OK;
done:
    bract_sidecar_free(sc);
    free(res);
    free(acf);
    bract_timescale_plan_free(p);
    bract_tseries_free(ts);
    return rc;
}

static int write_map(const cli_ctx *c, const bract_volume *ref, const bract_mask *m,
                     const double *val, const char *path, int intent, const char *iname,
                     const char *descr)
{
    bract_volume *map;
    if (bract_volume_new_like(ref, 1, BRACT_F32, &map))
        return cli_fail(c);
    for (size_t i = 0; i < m->n; i++)
        bract_volume_set(map, m->index[i], val[i]);
    bract_volume_write_opts wo = {intent, {0, 0, 0}, iname, descr, c->force};
    int rc = bract_volume_write(map, path, &wo);
    bract_volume_free(map);
    return rc ? cli_fail(c) : CLI_OK;
}

/* The voxelwise run: the series, the voxels estimated, their results. */
typedef struct {
    cli_ctx *c;
    ts_args *a;
    int out_nifti;
    bract_volume *v, *geom;
    bract_mask *m;
    size_t background, n, L1;
    bract_timescale_plan *p;
    bract_timescale_result *res;
    double *acf, *vals;
    char **names;
    char *path_r2, *path_fl, *path_se;
    bract_sidecar *sc;
} vox_run;

static void vox_free(vox_run *r)
{
    if (r->names)
        for (size_t i = 0; i < r->n; i++)
            free(r->names[i]);
    free(r->names);
    bract_sidecar_free(r->sc);
    free(r->res);
    free(r->acf);
    free(r->vals);
    free(r->path_r2);
    free(r->path_fl);
    free(r->path_se);
    bract_timescale_plan_free(r->p);
    bract_mask_free(r->m);
    bract_volume_free(r->geom);
    bract_volume_free(r->v);
}

/* The series, its TR and the voxels to estimate (the mask, or every voxel
 * whose series varies). */
static int vox_load(vox_run *r)
{
    cli_ctx *c = r->c;
    ts_args *a = r->a;
    if (bract_volume_read(a->data, BRACT_VOL_FLOAT32, &r->v))
        return cli_fail(c);
    cli_warnings(c);
    const bract_volume *v = r->v;
    if (v->ndim != 4 || v->nt < 3)
        return cli_error(c, "%s: a 4-D series is needed (it has %lld volume%s)", a->data,
                         (long long)v->nt, v->nt == 1 ? "" : "s");
    a->o.tr = a->tr > 0 ? a->tr : v->tr;
    if (!(a->o.tr > 0))
        return cli_error(c, "%s: the repetition time is unknown (pixdim[4] is 0): give --tr "
                         "SECONDS", a->data);
    if (a->mask) {
        if (bract_mask_read(a->mask, &r->m, &r->geom) || bract_volume_same_grid(r->geom, v, 1e-3))
            return cli_fail(c);
    } else if (bract_mask_varying(v, &r->m, &r->background)) {
        return cli_fail(c);
    }
    if (r->m->n == 0)
        return cli_error(c, "%s: no voxel to estimate (%s)", a->data,
                         a->mask ? "the mask is empty" : "every series is constant");
    r->n = r->m->n;
    return CLI_OK;
}

/* The plan, the map names beside a NIfTI output (checked), the buffers. */
static int vox_plan(vox_run *r)
{
    cli_ctx *c = r->c;
    ts_args *a = r->a;
    if (bract_timescale_plan_new((size_t)r->v->nt, &a->o, &r->p)) {
        bract_error_context(BRACT_EINVAL, "%s", a->data);
        return cli_fail(c);
    }
    r->L1 = bract_timescale_plan_opts(r->p)->max_lag + 1;
    if (r->out_nifti) {
        r->path_r2 = map_name(a->output, "_r2");
        r->path_fl = map_name(a->output, "_flags");
        r->path_se = a->o.bootstrap > 0 ? map_name(a->output, "_se") : NULL;
        const char *outs[4] = {a->output, r->path_r2, r->path_fl, r->path_se};
        const char *ins[2] = {a->data, a->mask};
        for (int k = 0; k < 4; k++) {
            if (!outs[k])
                continue;
            if (bract_output_not_input(outs[k], ins, a->mask ? 2 : 1))
                return cli_fail(c);
            if (k > 0) /* what a killed run left (the -o map is written last) */
                bract_output_drop_leftover(outs[k], a->output);
            if (bract_output_check(outs[k], c->force))
                return cli_fail(c);
        }
    }
    r->res = calloc(r->n, sizeof *r->res);
    r->acf = a->acf ? malloc(r->n * r->L1 * sizeof *r->acf) : NULL;
    r->vals = malloc(r->n * sizeof *r->vals);
    if (!r->res || !r->vals || (a->acf && !r->acf))
        return cli_error(c, "out of memory");
    return CLI_OK;
}

/* Estimate every voxel; names "i_j_k" when a table is written. */
static int vox_estimate(vox_run *r)
{
    cli_ctx *c = r->c;
    ts_args *a = r->a;
    const bract_volume *v = r->v;
    cli_log(c, "%zu voxels x %lld volumes, TR %g s, method %s, lags to %zu", r->n,
            (long long)v->nt, a->o.tr, bract_timescale_method_name(a->o.method), r->L1 - 1);
    cli_bar bar;
    cli_bar_start(&bar, c, "timescales");
    bract_progress prog = cli_bar_progress(&bar);
    vox_ctx vctx = {v, r->m->index};
    int bad = bract_timescale_run(r->p, r->n, get_voxel, &vctx, r->res, r->acf, &prog);
    cli_bar_finish(&bar);
    if (bad)
        return cli_fail(c);
    warn_results(r->res, r->n, NULL, "voxel");
    cli_warnings(c);
    if (r->out_nifti && !(a->acf && !is_nifti(a->acf)))
        return CLI_OK;
    if (!(r->names = calloc(r->n, sizeof *r->names)))
        return cli_error(c, "out of memory");
    size_t nx = (size_t)v->nx, ny = (size_t)v->ny;
    for (size_t i = 0; i < r->n; i++) {
        size_t j = r->m->index[i];
        char buf[64];
        snprintf(buf, sizeof buf, "%zu_%zu_%zu", j % nx, j / nx % ny, j / (nx * ny));
        if (!(r->names[i] = strdup(buf)))
            return cli_error(c, "out of memory");
    }
    return CLI_OK;
}

/* One map of the results, and its sidecar. */
static int vox_map(vox_run *r, size_t field, const char *path, int intent, const char *iname,
                   const char *what, const char *map)
{
    for (size_t i = 0; i < r->n; i++) {
        const bract_timescale_result *x = &r->res[i];
        r->vals[i] = field == 0 ? x->tau_s : field == 1 ? x->r2 : field == 2 ? (double)x->flags
                                                                            : x->se_s;
    }
    char descr[80];
    snprintf(descr, sizeof descr, "bract timescale %s: %s",
             bract_timescale_method_name(r->a->o.method), what);
    if (write_map(r->c, r->v, r->m, r->vals, path, intent, iname, descr))
        return CLI_DATA_ERROR;
    bract_sidecar_set_str(r->sc, "Map", map);
    return cli_sidecar_finish(r->c, r->sc, path);
}

/* The ACF: a 4-D NIfTI (volume k = lag k) or a table. */
static int vox_write_acf(vox_run *r)
{
    cli_ctx *c = r->c;
    const char *path = r->a->acf;
    size_t L1 = r->L1, nvox = r->v->nvox;
    if (is_nifti(path)) {
        bract_volume *acfv;
        if (bract_volume_new_like(r->v, (int64_t)L1, BRACT_F32, &acfv))
            return cli_fail(c);
        for (size_t k = 0; k < L1; k++)
            for (size_t i = 0; i < r->n; i++)
                bract_volume_set(acfv, r->m->index[i] + nvox * k, r->acf[i * L1 + k]);
        bract_volume_write_opts wo = {BRACT_INTENT_CORREL, {0, 0, 0}, "acf",
                                      "bract timescale: autocorrelation, volume k = lag k",
                                      c->force};
        int bad = bract_volume_write(acfv, path, &wo);
        bract_volume_free(acfv);
        if (bad)
            return cli_fail(c);
    } else if (bract_acf_write_tsv(path, c->force, (const char *const *)r->names, r->acf, r->n,
                                   L1 - 1)) {
        return cli_fail(c);
    }
    bract_sidecar_set_str(r->sc, "Map", "autocorrelation, lag k in volume (or row) k");
    return cli_sidecar_finish(c, r->sc, path);
}

/* The maps of R^2, flags (and SE), the ACF, and the -o map (tau) last; or the
 * ACF and the table. */
static int vox_write(vox_run *r)
{
    cli_ctx *c = r->c;
    ts_args *a = r->a;
    if (!(r->sc = make_sidecar(c, a, r->p, r->res, r->n, "voxels", r->background)))
        return cli_error(c, "out of memory");
    if (!r->out_nifti) {
        if (a->acf && vox_write_acf(r))
            return CLI_DATA_ERROR;
        if (bract_timescale_write_tsv(a->output, c->force, r->p, (const char *const *)r->names, r->res,
                                r->n))
            return cli_fail(c);
        return cli_sidecar_finish(c, r->sc, a->output);
    }
    /* the -o map (the primary output) last: a killed run leaves none */
    int rc = vox_map(r, 1, r->path_r2, BRACT_INTENT_ESTIMATE, "r2", "fit quality R^2",
                     "r2: fit quality (R^2; see bract-timescale(1))");
    if (!rc)
        rc = vox_map(r, 2, r->path_fl, BRACT_INTENT_NONE, "flags", "flags (bit mask)",
                     "flags: bit mask; 1 constant, 2 non-finite, 4 negative_lag1, 8 no_decay, "
                     "16 not_converged, 32 out_of_range, 64 truncated, 128 bootstrap_failed");
    if (!rc && r->path_se)
        rc = vox_map(r, 3, r->path_se, BRACT_INTENT_ESTIMATE, "se_s", "bootstrap SE in seconds",
                     "se_s: bootstrap standard error in seconds");
    if (!rc && a->acf)
        rc = vox_write_acf(r);
    if (!rc)
        rc = vox_map(r, 0, a->output, BRACT_INTENT_ESTIMATE, "tau_s", "tau in seconds",
                     "tau_s: timescale in seconds; NaN where not measured, 0 outside the "
                     "voxels estimated");
    return rc;
}

static int run_voxels(cli_ctx *c, ts_args *a)
{
    vox_run r;
    memset(&r, 0, sizeof r);
    r.c = c;
    r.a = a;
    r.out_nifti = is_nifti(a->output);
    int rc = vox_load(&r);
    if (!rc && !(rc = vox_plan(&r)) && !(rc = vox_estimate(&r)))
        rc = vox_write(&r);
    vox_free(&r);
    return rc;
}

/* The options that must hold together. */
static int check_options(cli_ctx *c, ts_args *a)
{
    bract_timescale_opts *o = &a->o;
    if (cli_given(c, "tr") && !(a->tr > 0))
        return cli_usage_error(c, "--tr must be a positive number of seconds (got %g)", a->tr);
    if (cli_given(c, "knee-exponent") && !(o->knee_exponent > 0))
        return cli_usage_error(c, "--knee-exponent must be positive (got %g)", o->knee_exponent);
    if (cli_given(c, "knee-fmax") && !(o->knee_fmax > 0))
        return cli_usage_error(c, "--knee-fmax must be positive (got %g)", o->knee_fmax);
    o->acf_norm = a->adjusted ? BRACT_ACF_ADJUSTED : BRACT_ACF_BIASED;
    int kneeopt = cli_given(c, "welch-segment") || cli_given(c, "knee-exponent") ||
                  cli_given(c, "plain-frequency") || cli_given(c, "knee-fmax");
    if (kneeopt && o->method != BRACT_TAU_KNEE)
        return cli_usage_error(c, "--welch-segment, --knee-exponent, --plain-frequency and "
                               "--knee-fmax apply to --method knee");
    if (cli_given(c, "min-lag") && o->method != BRACT_TAU_EXP &&
        o->method != BRACT_TAU_EXP_OFFSET_FREE)
        return cli_usage_error(c, "--min-lag applies to --method exp and exp-offset-free");
    if (o->boot_offset && o->method != BRACT_TAU_EXP)
        return cli_usage_error(c, "--bootstrap-offset applies to --method exp");
    if (o->bias_correct && !cli_given(c, "bootstrap"))
        o->bootstrap = 200;
    if (o->bias_correct && o->bootstrap < 2)
        return cli_usage_error(c, "--bias-correct needs --bootstrap of at least 2");
    if (o->boot_offset && o->bootstrap == 0)
        return cli_usage_error(c, "--bootstrap-offset needs --bootstrap or --bias-correct");
    if (a->acf && strcmp(a->acf, a->output) == 0)
        return cli_usage_error(c, "--acf and --output name the same file");
    return cli_columns_check(c, &a->cols, a->data, !is_nifti(a->data));
}

int main_timescale(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "hierarchy") == 0)
        return main_timescale_hierarchy(argc - 1, argv + 1);
    cli_ctx c;
    cli_ctx_init(&c, BRACT_CMD_TIMESCALE, NULL);
    ts_args a;
    memset(&a, 0, sizeof a);
    bract_timescale_opts_defaults(&a.o);
    int rc = cli_parse(&c, &cli_spec_timescale, &a, argc, argv);
    if (rc == CLI_CONTINUE && !(rc = check_options(&c, &a))) {
        cli_apply(&c);
        a.o.seed = c.seed;
        /* refuse existing outputs and outputs over inputs before any work */
        const char *ins[2] = {a.data, a.mask};
        const char *outs[2] = {a.output, a.acf};
        for (int k = 0; k < 2 && !rc; k++)
            if (outs[k] && (bract_output_not_input(outs[k], ins, a.mask ? 2 : 1) ||
                            (k > 0 && bract_output_drop_leftover(outs[k], a.output) < 0) ||
                            bract_output_check(outs[k], c.force)))
                rc = cli_fail(&c);
        if (!rc)
            rc = is_nifti(a.data) ? run_voxels(&c, &a) : run_regions(&c, &a);
    }
    cli_columns_free(&a.cols);
    cli_args_free(&cli_spec_timescale, &a);
    return rc;
}
