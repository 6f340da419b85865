/* bract timescale: intrinsic timescales of region series or voxels;
 * `bract timescale hierarchy` lives in timescale_hierarchy.c. */
#include "cli/cli.h"
#include "bract/outputs.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int main_timescale_hierarchy(int argc, char **argv);

static const char usage_text[] =
    "Usage: bract timescale --data FILE -o OUT [options]\n"
    "       bract timescale hierarchy --index FILE -o DIR [options] TAU.tsv...\n"
    "\n"
    "The intrinsic timescale of each region (a region time-series table) or\n"
    "voxel (a 4-D NIfTI) in seconds, from the decay of its autocorrelation.\n"
    "'bract timescale hierarchy --help' describes the hierarchy mode.\n"
    "\n"
    "Input:\n"
    "  -d, --data FILE        region series (TSV/CSV, a column per region, a row\n"
    "                         per volume) or a 4-D NIfTI\n"
    "  -m, --mask FILE        NIfTI input: the voxels to estimate [every voxel\n"
    "                         whose series is not constant]\n"
    "      --tr SECONDS       repetition time [RepetitionTime of the table's\n"
    "                         JSON sidecar, or the NIfTI header]\n"
    "Estimator:\n"
    "  -M, --method NAME      exp, exp-offset-free, integral, e-fold, ar1, knee [exp]\n"
    "  -L, --max-lag N        last lag of the ACF [min(10 log10 T, T - 1)]\n"
    "      --min-lag N        first lag fitted by exp and exp-offset-free [1]\n"
    "      --adjusted         divide lag k by T - k (statsmodels adjusted=True)\n"
    "                         instead of T\n"
    "      --welch-segment N  knee: Welch segment length [min(T, max(256, 8 max-lag))]\n"
    "      --knee-exponent X  knee: fix the exponent (2: Lorentzian) [fitted]\n"
    "      --plain-frequency  knee: fit on frequency f, as fooof does, instead of\n"
    "                         sin(pi f TR) / (pi TR)\n"
    "      --knee-fmax HZ     knee: highest frequency fitted [below Nyquist]\n"
    "Uncertainty:\n"
    "  -B, --bootstrap N      simulated series per region for a standard error\n"
    "                         [0; 200 with --bias-correct]\n"
    "      --bias-correct     correct the finite-sample bias by parametric bootstrap\n"
    "      --bootstrap-offset exp: simulate the fitted offset B too\n"
    "Output:\n"
    "  -o, --output FILE      TSV (one row per region), or for voxels a NIfTI map of\n"
    "                         tau with FILE_r2, FILE_flags (and FILE_se) beside it\n"
    "      --acf FILE         also write the ACF: TSV (a row per lag from 0, a column\n"
    "                         per region) or, for voxels, a 4-D NIfTI\n"
    "\n" CLI_COMMON_HELP;

enum {
    OPT_TR = OPT_FIRST_CMD,
    OPT_MIN_LAG,
    OPT_ADJUSTED,
    OPT_WELCH,
    OPT_KNEE_EXP,
    OPT_PLAIN,
    OPT_KNEE_FMAX,
    OPT_BIAS,
    OPT_BOOT_OFFSET,
    OPT_ACF
};

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

typedef struct {
    const char *data, *mask, *output, *acf;
    double tr;
    int bootstrap_given;
    bract_tau_opts o;
} ts_args;

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
static bract_sidecar *make_sidecar(const cli_ctx *c, const ts_args *a, const bract_tau_plan *p,
                                   const bract_tau_result *res, size_t n, const char *unit,
                                   size_t background)
{
    bract_sidecar *s = cli_sidecar(c);
    if (!s)
        return NULL;
    const bract_tau_opts *o = bract_tau_plan_opts(p);
    bract_sidecar_param_str(s, "method", bract_tau_method_name(o->method));
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
    bract_tau_plan_range(p, &lo, &hi);
    char buf[96], b1[32], b2[32];
    snprintf(buf, sizeof buf, "[%s, %s]", bract_format_double(b1, lo), bract_format_double(b2, hi));
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
        bract_tau_flags_string(1u << b, fl, sizeof fl);
        snprintf(key, sizeof key, "%s_%s", b < 2 ? "excluded" : "flagged", fl);
        bract_sidecar_count(s, key, (int64_t)cnt[b]);
    }
    return s;
}

/* Warnings: excluded (constant, non-finite) and unmeasured series. */
static void warn_results(const bract_tau_result *res, size_t n, const char *const *names,
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
                bract_tau_flags_string(1u << b, nm, sizeof nm);
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
    int rc = CLI_DATA_ERROR;
    bract_tau_plan *p = NULL;
    bract_tau_result *res = NULL;
    double *acf = NULL;
    bract_sidecar *sc = NULL;
    if (!(ts->tr > 0)) {
        cli_error(c, "%s: the repetition time is unknown: give --tr SECONDS (or a sidecar "
                  "with a positive RepetitionTime)", a->data);
        goto done;
    }
    a->o.tr = ts->tr;
    if (bract_tau_plan_new(ts->nt, &a->o, &p)) {
        bract_error_context(BRACT_EINVAL, "%s", a->data);
        cli_fail(c);
        goto done;
    }
    size_t L1 = bract_tau_plan_opts(p)->max_lag + 1;
    res = calloc(ts->nreg, sizeof *res);
    acf = a->acf ? malloc(ts->nreg * L1 * sizeof *acf) : NULL;
    if (!res || (a->acf && !acf)) {
        cli_error(c, "out of memory");
        goto done;
    }
    cli_log(c, "%zu regions x %zu volumes, TR %g s, method %s, lags to %zu", ts->nreg, ts->nt,
            ts->tr, bract_tau_method_name(a->o.method), L1 - 1);
    cli_bar bar;
    cli_bar_start(&bar, c, "timescales");
    bract_progress prog = cli_bar_progress(&bar);
    reg_ctx rctx = {ts->x, ts->nt};
    int r = bract_tau_run(p, ts->nreg, get_region, &rctx, res, acf, &prog);
    cli_bar_finish(&bar);
    if (r) {
        cli_fail(c);
        goto done;
    }
    warn_results(res, ts->nreg, (const char *const *)ts->name, "region");
    cli_warnings(c);
    if (bract_tau_write_tsv(a->output, c->force, p, (const char *const *)ts->name, res,
                            ts->nreg)) {
        cli_fail(c);
        goto done;
    }
    sc = make_sidecar(c, a, p, res, ts->nreg, "regions", 0);
    if (cli_sidecar_finish(c, sc, a->output))
        goto done;
    if (a->acf) {
        if (bract_acf_write_tsv(a->acf, c->force, (const char *const *)ts->name, acf, ts->nreg,
                                L1 - 1)) {
            cli_fail(c);
            goto done;
        }
        bract_sidecar_set_str(sc, "Contents", "autocorrelation, a row per lag from 0");
        if (cli_sidecar_finish(c, sc, a->acf))
            goto done;
    }
    rc = CLI_OK;
done:
    bract_sidecar_free(sc);
    free(res);
    free(acf);
    bract_tau_plan_free(p);
    bract_tseries_free(ts);
    return rc;
}

static int write_map(const cli_ctx *c, const bract_volume *ref, const bract_mask *m,
                     const double *val, size_t stride, const char *path, int intent,
                     const char *iname, const char *descr)
{
    bract_volume *map;
    if (bract_volume_new_like(ref, 1, BRACT_F32, &map))
        return cli_fail(c);
    for (size_t i = 0; i < m->n; i++)
        bract_volume_set(map, m->index[i], val[i * stride]);
    bract_volume_write_opts wo = {intent, {0, 0, 0}, iname, descr, c->force};
    int rc = bract_volume_write(map, path, &wo);
    bract_volume_free(map);
    return rc ? cli_fail(c) : CLI_OK;
}

static int run_voxels(cli_ctx *c, ts_args *a)
{
    int out_nifti = is_nifti(a->output);
    int rc = CLI_DATA_ERROR;
    bract_volume *v = NULL, *geom = NULL, *acfv = NULL;
    bract_mask *m = NULL;
    bract_tau_plan *p = NULL;
    bract_tau_result *res = NULL;
    double *acf = NULL, *vals = NULL;
    char **names = NULL;
    char *path_r2 = NULL, *path_fl = NULL, *path_se = NULL;
    bract_sidecar *sc = NULL;
    size_t background = 0;
    if (bract_volume_read(a->data, BRACT_VOL_FLOAT32, &v))
        return cli_fail(c);
    cli_warnings(c);
    if (v->ndim != 4 || v->nt < 3) {
        cli_error(c, "%s: a 4-D series is needed (it has %lld volume%s)", a->data,
                  (long long)v->nt, v->nt == 1 ? "" : "s");
        goto done;
    }
    double tr = a->tr > 0 ? a->tr : v->tr;
    if (!(tr > 0)) {
        cli_error(c, "%s: the repetition time is unknown (pixdim[4] is 0): give --tr SECONDS",
                  a->data);
        goto done;
    }
    a->o.tr = tr;
    if (a->mask) {
        if (bract_mask_read(a->mask, &m, &geom) || bract_volume_same_grid(geom, v, 1e-3)) {
            cli_fail(c);
            goto done;
        }
    } else {
        /* every voxel whose series varies */
        m = calloc(1, sizeof *m);
        if (m)
            m->index = malloc(v->nvox * sizeof *m->index);
        if (!m || !m->index) {
            cli_error(c, "out of memory");
            goto done;
        }
        m->nx = v->nx;
        m->ny = v->ny;
        m->nz = v->nz;
        for (size_t j = 0; j < v->nvox; j++) {
            double x0 = bract_volume_get(v, j);
            int varies = 0;
            for (int64_t t = 1; t < v->nt && !varies; t++) {
                double xt = bract_volume_get(v, j + v->nvox * (size_t)t);
                varies = xt != x0 || !isfinite(xt);
            }
            if (varies || !isfinite(x0))
                m->index[m->n++] = j;
            else
                background++;
        }
    }
    if (m->n == 0) {
        cli_error(c, "%s: no voxel to estimate (%s)", a->data,
                  a->mask ? "the mask is empty" : "every series is constant");
        goto done;
    }
    if (bract_tau_plan_new((size_t)v->nt, &a->o, &p)) {
        bract_error_context(BRACT_EINVAL, "%s", a->data);
        cli_fail(c);
        goto done;
    }
    size_t L1 = bract_tau_plan_opts(p)->max_lag + 1, n = m->n;
    int boot = a->o.bootstrap > 0;
    if (out_nifti) {
        path_r2 = map_name(a->output, "_r2");
        path_fl = map_name(a->output, "_flags");
        path_se = boot ? map_name(a->output, "_se") : NULL;
        const char *outs[4] = {a->output, path_r2, path_fl, path_se};
        const char *ins[2] = {a->data, a->mask};
        for (int k = 0; k < 4; k++) {
            if (!outs[k])
                continue;
            if (bract_output_check(outs[k], c->force) ||
                bract_output_not_input(outs[k], ins, a->mask ? 2 : 1)) {
                cli_fail(c);
                goto done;
            }
        }
    }
    res = calloc(n, sizeof *res);
    acf = a->acf ? malloc(n * L1 * sizeof *acf) : NULL;
    vals = malloc(n * sizeof *vals);
    if (!res || !vals || (a->acf && !acf)) {
        cli_error(c, "out of memory");
        goto done;
    }
    cli_log(c, "%zu voxels x %lld volumes, TR %g s, method %s, lags to %zu", n,
            (long long)v->nt, tr, bract_tau_method_name(a->o.method), L1 - 1);
    cli_bar bar;
    cli_bar_start(&bar, c, "timescales");
    bract_progress prog = cli_bar_progress(&bar);
    vox_ctx vctx = {v, m->index};
    int r = bract_tau_run(p, n, get_voxel, &vctx, res, acf, &prog);
    cli_bar_finish(&bar);
    if (r) {
        cli_fail(c);
        goto done;
    }
    warn_results(res, n, NULL, "voxel");
    cli_warnings(c);
    /* names "i_j_k" for tables */
    if (!out_nifti || (a->acf && !is_nifti(a->acf))) {
        names = calloc(n, sizeof *names);
        for (size_t i = 0; names && i < n; i++) {
            size_t j = m->index[i];
            char buf[64];
            snprintf(buf, sizeof buf, "%zu_%zu_%zu", j % (size_t)v->nx,
                     j / (size_t)v->nx % (size_t)v->ny, j / ((size_t)v->nx * (size_t)v->ny));
            names[i] = strdup(buf);
            if (!names[i])
                break;
        }
        if (!names || !names[n - 1]) {
            cli_error(c, "out of memory");
            goto done;
        }
    }
    sc = make_sidecar(c, a, p, res, n, "voxels", background);
    if (!sc) {
        cli_error(c, "out of memory");
        goto done;
    }
    if (out_nifti) {
        const char *meth = bract_tau_method_name(a->o.method);
        char descr[80];
        for (size_t i = 0; i < n; i++)
            vals[i] = res[i].tau_s;
        snprintf(descr, sizeof descr, "bract timescale %s: tau in seconds", meth);
        if (write_map(c, v, m, vals, 1, a->output, BRACT_INTENT_ESTIMATE, "tau_s", descr))
            goto done;
        bract_sidecar_set_str(sc, "Map", "tau_s: timescale in seconds; NaN where not measured, "
                              "0 outside the voxels estimated");
        if (cli_sidecar_finish(c, sc, a->output))
            goto done;
        for (size_t i = 0; i < n; i++)
            vals[i] = res[i].r2;
        snprintf(descr, sizeof descr, "bract timescale %s: fit quality R^2", meth);
        if (write_map(c, v, m, vals, 1, path_r2, BRACT_INTENT_ESTIMATE, "r2", descr))
            goto done;
        bract_sidecar_set_str(sc, "Map", "r2: fit quality (R^2; see bract-timescale(1))");
        if (cli_sidecar_finish(c, sc, path_r2))
            goto done;
        for (size_t i = 0; i < n; i++)
            vals[i] = (double)res[i].flags;
        snprintf(descr, sizeof descr, "bract timescale %s: flags (bit mask)", meth);
        if (write_map(c, v, m, vals, 1, path_fl, BRACT_INTENT_NONE, "flags", descr))
            goto done;
        bract_sidecar_set_str(sc, "Map", "flags: bit mask; 1 constant, 2 non-finite, 4 "
                              "negative_lag1, 8 no_decay, 16 not_converged, 32 out_of_range, "
                              "64 truncated, 128 bootstrap_failed");
        if (cli_sidecar_finish(c, sc, path_fl))
            goto done;
        if (path_se) {
            for (size_t i = 0; i < n; i++)
                vals[i] = res[i].se_s;
            snprintf(descr, sizeof descr, "bract timescale %s: bootstrap SE in seconds", meth);
            if (write_map(c, v, m, vals, 1, path_se, BRACT_INTENT_ESTIMATE, "se_s", descr))
                goto done;
            bract_sidecar_set_str(sc, "Map", "se_s: bootstrap standard error in seconds");
            if (cli_sidecar_finish(c, sc, path_se))
                goto done;
        }
    } else {
        if (bract_tau_write_tsv(a->output, c->force, p, (const char *const *)names, res, n)) {
            cli_fail(c);
            goto done;
        }
        if (cli_sidecar_finish(c, sc, a->output))
            goto done;
    }
    if (a->acf) {
        if (is_nifti(a->acf)) {
            if (bract_volume_new_like(v, (int64_t)L1, BRACT_F32, &acfv)) {
                cli_fail(c);
                goto done;
            }
            for (size_t k = 0; k < L1; k++)
                for (size_t i = 0; i < n; i++)
                    bract_volume_set(acfv, m->index[i] + v->nvox * k, acf[i * L1 + k]);
            bract_volume_write_opts wo = {BRACT_INTENT_CORREL, {0, 0, 0}, "acf",
                                          "bract timescale: autocorrelation, volume k = lag k",
                                          c->force};
            if (bract_volume_write(acfv, a->acf, &wo)) {
                cli_fail(c);
                goto done;
            }
        } else if (bract_acf_write_tsv(a->acf, c->force, (const char *const *)names, acf, n,
                                       L1 - 1)) {
            cli_fail(c);
            goto done;
        }
        bract_sidecar_set_str(sc, "Map", "autocorrelation, lag k in volume (or row) k");
        if (cli_sidecar_finish(c, sc, a->acf))
            goto done;
    }
    rc = CLI_OK;
done:
    if (names)
        for (size_t i = 0; i < m->n; i++)
            free(names[i]);
    free(names);
    bract_sidecar_free(sc);
    free(res);
    free(acf);
    free(vals);
    free(path_r2);
    free(path_fl);
    free(path_se);
    bract_tau_plan_free(p);
    bract_mask_free(m);
    bract_volume_free(geom);
    bract_volume_free(acfv);
    bract_volume_free(v);
    return rc;
}

int main_timescale(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "hierarchy") == 0)
        return main_timescale_hierarchy(argc - 1, argv + 1);
    static const struct option longopts[] = {{"data", required_argument, NULL, 'd'},
                                             {"mask", required_argument, NULL, 'm'},
                                             {"tr", required_argument, NULL, OPT_TR},
                                             {"method", required_argument, NULL, 'M'},
                                             {"max-lag", required_argument, NULL, 'L'},
                                             {"min-lag", required_argument, NULL, OPT_MIN_LAG},
                                             {"adjusted", no_argument, NULL, OPT_ADJUSTED},
                                             {"welch-segment", required_argument, NULL, OPT_WELCH},
                                             {"knee-exponent", required_argument, NULL,
                                              OPT_KNEE_EXP},
                                             {"plain-frequency", no_argument, NULL, OPT_PLAIN},
                                             {"knee-fmax", required_argument, NULL,
                                              OPT_KNEE_FMAX},
                                             {"bootstrap", required_argument, NULL, 'B'},
                                             {"bias-correct", no_argument, NULL, OPT_BIAS},
                                             {"bootstrap-offset", no_argument, NULL,
                                              OPT_BOOT_OFFSET},
                                             {"output", required_argument, NULL, 'o'},
                                             {"acf", required_argument, NULL, OPT_ACF},
                                             CLI_COMMON_LONGOPTS,
                                             {NULL, 0, NULL, 0}};
    static const char *const methods[] = {"exp", "exp-offset-free", "integral", "e-fold",
                                          "ar1", "knee", NULL};
    cli_ctx c;
    cli_ctx_init(&c, BRACT_CMD_TIMESCALE, usage_text);
    ts_args a;
    memset(&a, 0, sizeof a);
    bract_tau_opts_init(&a.o);
    int opt, kneeopt = 0, minlag_given = 0;
    long v;
    double d;
    while ((opt = getopt_long(argc, argv, ":d:m:M:L:B:o:h@:", longopts, NULL)) != -1) {
        int k = cli_common_option(&c, opt, optarg);
        if (k == 2)
            return CLI_OK;
        if (k < 0)
            return CLI_USAGE;
        if (k)
            continue;
        switch (opt) {
        case 'd': a.data = optarg; break;
        case 'm': a.mask = optarg; break;
        case 'o': a.output = optarg; break;
        case OPT_ACF: a.acf = optarg; break;
        case OPT_TR:
            if (cli_parse_double(&c, "--tr", optarg, 0, 1e6, &d))
                return CLI_USAGE;
            if (!(d > 0))
                return cli_usage_error(&c, "--tr must be a positive number of seconds (got %s)",
                                       optarg);
            a.tr = d;
            break;
        case 'M': {
            int mth = cli_parse_choice(&c, "--method", optarg, methods);
            if (mth < 0)
                return CLI_USAGE;
            a.o.method = mth;
            break;
        }
        case 'L':
            if (cli_parse_long(&c, "--max-lag", optarg, 1, 100000000, &v))
                return CLI_USAGE;
            a.o.max_lag = (size_t)v;
            break;
        case OPT_MIN_LAG:
            if (cli_parse_long(&c, "--min-lag", optarg, 0, 100000000, &v))
                return CLI_USAGE;
            a.o.min_lag = (size_t)v;
            minlag_given = 1;
            break;
        case OPT_ADJUSTED: a.o.acf_norm = BRACT_ACF_ADJUSTED; break;
        case OPT_WELCH:
            if (cli_parse_long(&c, "--welch-segment", optarg, 16, 100000000, &v))
                return CLI_USAGE;
            a.o.welch_segment = (size_t)v;
            kneeopt = 1;
            break;
        case OPT_KNEE_EXP:
            if (cli_parse_double(&c, "--knee-exponent", optarg, 0, 20, &d))
                return CLI_USAGE;
            if (!(d > 0))
                return cli_usage_error(&c, "--knee-exponent must be positive (got %s)", optarg);
            a.o.knee_exponent = d;
            kneeopt = 1;
            break;
        case OPT_PLAIN:
            a.o.knee_plain_axis = 1;
            kneeopt = 1;
            break;
        case OPT_KNEE_FMAX:
            if (cli_parse_double(&c, "--knee-fmax", optarg, 0, 1e6, &d))
                return CLI_USAGE;
            if (!(d > 0))
                return cli_usage_error(&c, "--knee-fmax must be positive (got %s)", optarg);
            a.o.knee_fmax = d;
            kneeopt = 1;
            break;
        case 'B':
            if (cli_parse_long(&c, "--bootstrap", optarg, 0, 1000000, &v))
                return CLI_USAGE;
            a.o.bootstrap = (size_t)v;
            a.bootstrap_given = 1;
            break;
        case OPT_BIAS: a.o.bias_correct = 1; break;
        case OPT_BOOT_OFFSET: a.o.boot_offset = 1; break;
        case ':': return cli_usage_error(&c, "option %s needs a value", argv[optind - 1]);
        default: return cli_usage_error(&c, "unknown option %s", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage_error(&c, "unexpected argument '%s'", argv[optind]);
    if (argc == 1) {
        fputs(usage_text, stdout);
        return CLI_USAGE;
    }
    if (!a.data)
        return cli_usage_error(&c, "no --data given");
    if (!a.output)
        return cli_usage_error(&c, "no --output given");
    if (kneeopt && a.o.method != BRACT_TAU_KNEE)
        return cli_usage_error(&c, "--welch-segment, --knee-exponent, --plain-frequency and "
                               "--knee-fmax apply to --method knee");
    if (minlag_given && a.o.method != BRACT_TAU_EXP && a.o.method != BRACT_TAU_EXP_OFFSET_FREE)
        return cli_usage_error(&c, "--min-lag applies to --method exp and exp-offset-free");
    if (a.o.boot_offset && a.o.method != BRACT_TAU_EXP)
        return cli_usage_error(&c, "--bootstrap-offset applies to --method exp");
    if (a.o.bias_correct && !a.bootstrap_given)
        a.o.bootstrap = 200;
    if (a.o.bias_correct && a.o.bootstrap < 2)
        return cli_usage_error(&c, "--bias-correct needs --bootstrap of at least 2");
    if ((a.o.boot_offset) && a.o.bootstrap == 0)
        return cli_usage_error(&c, "--bootstrap-offset needs --bootstrap or --bias-correct");
    if (a.acf && strcmp(a.acf, a.output) == 0)
        return cli_usage_error(&c, "--acf and --output name the same file");
    cli_apply(&c);
    a.o.seed = c.seed;
    /* refuse existing outputs and outputs over inputs before any work */
    const char *ins[2] = {a.data, a.mask};
    const char *outs[2] = {a.output, a.acf};
    for (int k = 0; k < 2; k++) {
        if (!outs[k])
            continue;
        if (bract_output_not_input(outs[k], ins, a.mask ? 2 : 1) ||
            bract_output_check(outs[k], c.force))
            return cli_fail(&c);
    }
    return is_nifti(a.data) ? run_voxels(&c, &a) : run_regions(&c, &a);
}
