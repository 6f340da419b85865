/* bract clean: nilearn.signal.clean on region time series or voxelwise. */
#include "cli/cli.h"
#include "cli/columns.h"
#include "cli/opts.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>
#include "bract/mask.h"

static int parse_detrend(const char *arg, void *field) { return bract_clean_detrend_parse(arg, field); }
CLI_ENUM_PARSER(bract_clean_standardize, bract_clean_standardize_parse)

typedef struct {
    const char *data, *out, *mask, *confounds, *confcols, *censor, *runs;
    double tr;
    cli_columns cols;
    bract_clean_opts o;
} args;

static const cli_opt options[] = {
    CLI_GROUP("Options:"),
    CLI_STRING('d', "data", args, data, "FILE", "region time series (.tsv, .csv) or 4-D NIfTI",
               .flags = CLI_REQUIRED),
    CLI_STRING('o', "output", args, out, "FILE",
               "cleaned series: a TSV for a table (\"-\": standard\n"
               "output), a float32 .nii[.gz] for a volume",
               .flags = CLI_REQUIRED),
    CLI_STRING('m', "mask", args, mask, "FILE", "voxels to clean (NIfTI data) [voxels not all 0]"),
    CLI_COLUMN_OPTIONS(args, cols),
    CLI_DOUBLE(0, "tr", args, tr, 1e-6, 1e6, "S", "repetition time in seconds [sidecar or header]"),
    CLI_CALLBACK(0, "detrend", args, o.detrend, parse_detrend, "ORDER",
                 "remove a polynomial trend of this order (0 mean,\n"
                 "1 linear as nilearn), or none [1]"),
    CLI_STRING(0, "confounds", args, confounds, "FILE",
               "confound regressors, one row per volume (TSV,\n"
               "e.g. fMRIPrep's; leading n/a are filled)"),
    CLI_STRING(0, "confound-columns", args, confcols, "LIST",
               "comma-separated names or patterns of the\n"
               "confound columns to use, e.g. 'trans_*,rot_*'\n"
               "[all columns]"),
    CLI_FLAG_OFF(0, "no-standardize-confounds", args, o.standardize_confounds,
                 "scale confounds by their largest\n"
                 "absolute value instead of z-scoring them"),
    CLI_DOUBLE(0, "high-pass", args, o.high_pass, 0, 1e6, "HZ", "Butterworth high-pass cut-off"),
    CLI_DOUBLE(0, "low-pass", args, o.low_pass, 0, 1e6, "HZ", "Butterworth low-pass cut-off"),
    CLI_INT(0, "filter-order", args, o.filter_order, 1, 20, "N", "Butterworth order [5]"),
    CLI_ENUM(0, "standardize", args, o.standardize, bract_clean_standardize, "HOW",
             "zscore (sample std, ddof 1), zscore-population\n"
             "(ddof 0), psc (percent signal change) or none\n"
             "[zscore]"),
    CLI_FLAG(0, "keep-mean", args, o.keep_mean,
             "with --standardize none, add each series' mean\n"
             "back (nilearn 0.10 did so after filtering)"),
    CLI_STRING(0, "censor", args, censor, "LIST",
               "volumes to censor, 0-based, e.g. '0,1,57-60'"),
    CLI_FLAG(0, "extrapolate", args, o.extrapolate,
             "fill censored volumes at run ends by spline\n"
             "extrapolation before filtering [drop them]"),
    CLI_STRING(0, "runs", args, runs, "LENGTHS",
               "comma-separated run lengths in volumes,\n"
               "e.g. '121,121,121' [one run]"),
    CLI_END};

const cli_spec cli_spec_clean = {
    "clean", "Usage: bract clean --data TS.tsv|BOLD.nii.gz -o OUT [options]",
    "Clean time series as nilearn.signal.clean: censoring (spline-filled before\n"
    "filtering), detrending, Butterworth filtering of signals and confounds,\n"
    "confound regression, standardisation; each run separately.  A table is\n"
    "cleaned column by column, a 4-D NIfTI voxel by voxel within a mask.",
    options, NULL};

static int is_volume_name(const char *p)
{
    size_t n = strlen(p);
    return (n >= 4 && strcmp(p + n - 4, ".nii") == 0) ||
           (n >= 7 && strcmp(p + n - 7, ".nii.gz") == 0);
}

/* "0,3,10-12" -> flags over nt volumes (1 kept). */
static int parse_censor(const cli_ctx *c, const char *spec, size_t nt, const char *data,
                        unsigned char *keep, size_t *ncens)
{
    const char *s = spec;
    while (*s) {
        char *end;
        errno = 0;
        if (*s < '0' || *s > '9')
            return cli_usage_error(c, "--censor expects volume numbers and ranges such as "
                                   "'0,1,57-60', not '%s'", spec);
        unsigned long long a = strtoull(s, &end, 10), b = a;
        if (*end == '-') {
            s = end + 1;
            if (*s < '0' || *s > '9')
                return cli_usage_error(c, "--censor: bad range in '%s'", spec);
            b = strtoull(s, &end, 10);
        }
        if (errno || b < a || (*end && *end != ','))
            return cli_usage_error(c, "--censor expects volume numbers and ranges such as "
                                   "'0,1,57-60', not '%s'", spec);
        if (b >= nt)
            return cli_error(c, "--censor: volume %llu is beyond the %zu volumes of %s "
                             "(volumes are numbered from 0)", b, nt, data);
        for (unsigned long long v = a; v <= b; v++)
            keep[v] = 0;
        s = *end ? end + 1 : end;
    }
    *ncens = 0;
    for (size_t i = 0; i < nt; i++)
        *ncens += !keep[i];
    return 0;
}

/* "121,121" -> run lengths. */
static int parse_runs(const cli_ctx *c, const char *spec, size_t **len, size_t *n)
{
    size_t cap = 1;
    for (const char *s = spec; *s; s++)
        cap += *s == ',';
    *len = calloc(cap, sizeof **len);
    if (!*len)
        return cli_error(c, "out of memory");
    *n = 0;
    const char *s = spec;
    while (*s) {
        char *end;
        errno = 0;
        if (*s < '0' || *s > '9')
            break;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno || v == 0 || (*end && *end != ','))
            break;
        (*len)[(*n)++] = (size_t)v;
        s = *end ? end + 1 : end;
        if (!*s && *end == ',')
            break;
    }
    if (*s || *n == 0) {
        free(*len);
        *len = NULL;
        return cli_usage_error(c, "--runs expects positive run lengths such as '121,121', not "
                               "'%s'", spec);
    }
    return 0;
}

/* Split "a,b,c" (a copy the caller owns: strtok writes into it) into an
 * array of its words. */
static char **split_list(char *s, size_t *n)
{
    size_t cap = 2;
    for (char *p = s; *p; p++)
        cap += *p == ',';
    char **v = calloc(cap, sizeof *v);
    if (!v)
        return NULL;
    *n = 0;
    for (char *tok = strtok(s, ","); tok; tok = strtok(NULL, ","))
        v[(*n)++] = tok;
    return v;
}


/* One run of the command: options, inputs, plan, result. */
typedef struct {
    cli_ctx c;
    args a;
    int volume;              /* NIfTI data (else a table) */
    bract_tseries *ts;
    bract_volume *vol, *res, *mgeom;
    bract_mask *m;
    bract_clean_plan *plan;
    double *conf;
    char **confnames, **patterns, *confcols;
    size_t nconf, filled, nruns, ncens, nt, ncleaned;
    size_t *runlen;
    unsigned char *keep;
    double tr_used;
    bract_clean_counts cnt;
} run;

static void run_free(run *r)
{
    bract_tseries_free(r->ts);
    bract_volume_free(r->vol);
    bract_volume_free(r->res);
    bract_volume_free(r->mgeom);
    bract_mask_free(r->m);
    bract_clean_plan_free(r->plan);
    bract_clean_confounds_free(r->conf, r->confnames, r->nconf);
    free(r->patterns);
    free(r->confcols);
    free(r->runlen);
    free(r->keep);
    cli_columns_free(&r->a.cols);
    cli_args_free(&cli_spec_clean, &r->a);
}

/* The options that must hold together; outputs refused before any work. */
static int check_options(run *r)
{
    cli_ctx *c = &r->c;
    const args *a = &r->a;
    const bract_clean_opts *o = &a->o;
    if (cli_given(c, "high-pass") && o->high_pass <= 0)
        return cli_usage_error(c, "--high-pass must be a positive frequency in Hz");
    if (cli_given(c, "low-pass") && o->low_pass <= 0)
        return cli_usage_error(c, "--low-pass must be a positive frequency in Hz");
    r->volume = is_volume_name(a->data);
    if (a->mask && !r->volume)
        return cli_usage_error(c, "--mask applies to NIfTI data; %s is a table", a->data);
    if (cli_columns_check(c, &a->cols, a->data, !r->volume))
        return CLI_USAGE;
    if (r->volume && !is_volume_name(a->out))
        return cli_usage_error(c, "the output of a NIfTI series must be a .nii or .nii.gz file");
    if (o->keep_mean && o->standardize != BRACT_STANDARDIZE_NONE)
        return cli_usage_error(c, "--keep-mean applies to --standardize none");
    if (a->confcols && !a->confounds)
        return cli_usage_error(c, "--confound-columns needs --confounds");
    if (o->low_pass > 0 && o->high_pass > 0 && o->high_pass >= o->low_pass)
        return cli_usage_error(c, "--high-pass (%g Hz) must be below --low-pass (%g Hz)",
                               o->high_pass, o->low_pass);
    cli_apply(c);
    const char *inputs[3] = {a->data, a->confounds ? a->confounds : a->data,
                             a->mask ? a->mask : a->data};
    if (strcmp(a->out, "-") != 0 &&
        (bract_output_check(a->out, c->force) || bract_output_not_input(a->out, inputs, 3)))
        return cli_fail(c);
    return CLI_OK;
}

/* The series (and mask), its length and TR. */
static int load_data(run *r)
{
    cli_ctx *c = &r->c;
    const args *a = &r->a;
    if (r->volume) {
        cli_log(c, "reading %s", a->data);
        if (bract_volume_read(a->data, BRACT_VOL_FLOAT32, &r->vol))
            return cli_fail(c);
        if (r->vol->nt < 2)
            return cli_error(c, "%s is a 3-D volume; cleaning needs a 4-D series", a->data);
        r->nt = (size_t)r->vol->nt;
        r->tr_used = a->tr > 0 ? a->tr : r->vol->tr;
        if (a->mask && (bract_mask_read(a->mask, &r->m, &r->mgeom) ||
                        bract_volume_same_grid(r->vol, r->mgeom, 1e-3)))
            return cli_fail(c);
    } else {
        if (bract_tseries_read(a->data, a->tr, &r->ts))
            return cli_fail(c);
        if (cli_columns_select(c, &r->a.cols, a->data, r->ts))
            return CLI_DATA_ERROR;
        r->nt = r->ts->nt;
        r->tr_used = r->ts->tr;
    }
    r->a.o.tr = r->tr_used;
    if ((a->o.low_pass > 0 || a->o.high_pass > 0) && !(r->tr_used > 0))
        return cli_error(c, "filtering needs the repetition time: %s %s and no --tr was given",
                         a->data, r->volume ? "has no TR in its header"
                                            : "has no sidecar with RepetitionTime");
    return CLI_OK;
}

/* Runs, censoring and confounds, then the plan. */
static int make_plan(run *r)
{
    cli_ctx *c = &r->c;
    const args *a = &r->a;
    if (a->runs && parse_runs(c, a->runs, &r->runlen, &r->nruns))
        return CLI_USAGE;
    if (a->censor) {
        if (!(r->keep = malloc(r->nt)))
            return cli_error(c, "out of memory");
        memset(r->keep, 1, r->nt);
        int rc = parse_censor(c, a->censor, r->nt, a->data, r->keep, &r->ncens);
        if (rc)
            return rc;
    }
    if (a->confounds) {
        size_t npat = 0, confrows = 0;
        if (a->confcols && (!(r->confcols = strdup(a->confcols)) ||
                            !(r->patterns = split_list(r->confcols, &npat))))
            return cli_error(c, "out of memory");
        if (bract_clean_confounds_read(a->confounds, (const char *const *)r->patterns, npat, &r->conf,
                                 &confrows, &r->nconf, &r->confnames, &r->filled))
            return cli_fail(c);
        if (confrows != r->nt)
            return cli_error(c, "%s has %zu rows but %s has %zu volumes (the confounds need one "
                             "row per volume)", a->confounds, confrows, a->data, r->nt);
        if (r->filled)
            cli_log(c, "%zu leading n/a confound cells filled", r->filled);
    }
    if (bract_clean_plan_new(&a->o, r->nt, r->runlen, r->nruns, r->conf, r->nconf, r->keep,
                             &r->plan))
        return cli_fail(c);
    cli_warnings(c);
    return CLI_OK;
}

/* Clean and write the output. */
static int clean_and_write(run *r)
{
    cli_ctx *c = &r->c;
    if (!r->volume) {
        if (bract_clean_tseries(r->plan, r->ts, &r->cnt))
            return cli_fail(c);
        r->ncleaned = r->ts->nreg;
        cli_warnings(c);
        return bract_tseries_write(r->ts, r->a.out, c->force) ? cli_fail(c) : CLI_OK;
    }
    cli_bar bar;
    cli_bar_start(&bar, c, "clean");
    bract_progress prog = cli_bar_progress(&bar);
    int rc = bract_clean_volume(r->plan, r->vol, r->m, &r->res, &r->cnt, &r->ncleaned, &prog);
    cli_bar_finish(&bar);
    if (rc)
        return cli_fail(c);
    free(r->vol->data); /* the input is no longer needed: halve the peak memory */
    r->vol->data = NULL;
    r->res->tr = r->tr_used;
    cli_warnings(c);
    bract_volume_write_opts wo = {0};
    wo.descrip = "bract clean";
    wo.force = c->force;
    return bract_volume_write(r->res, r->a.out, &wo) ? cli_fail(c) : CLI_OK;
}

/* Set key to the JSON array arr (taken). */
static void sidecar_array(bract_sidecar *s, const char *key, json_object *arr)
{
    bract_sidecar_set_json(s, key, json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN));
    json_object_put(arr);
}

static void sidecar_fill(const run *r, bract_sidecar *s)
{
    const args *a = &r->a;
    const bract_clean_opts *o = &a->o;
    if (r->tr_used > 0)
        bract_sidecar_set_num(s, "RepetitionTime", r->tr_used);
    bract_sidecar_input(s, "data", a->data);
    if (a->confounds)
        bract_sidecar_input(s, "confounds", a->confounds);
    if (a->mask)
        bract_sidecar_input(s, "mask", a->mask);
    cli_columns_sidecar(s, &a->cols);
    if (o->detrend >= 0)
        bract_sidecar_param_int(s, "detrend_order", o->detrend);
    else
        bract_sidecar_param_str(s, "detrend_order", "none");
    if (o->high_pass > 0)
        bract_sidecar_param_num(s, "high_pass_hz", o->high_pass);
    if (o->low_pass > 0)
        bract_sidecar_param_num(s, "low_pass_hz", o->low_pass);
    if (o->high_pass > 0 || o->low_pass > 0) {
        bract_sidecar_param_str(s, "filter", "butterworth, zero-phase (sosfiltfilt)");
        bract_sidecar_param_int(s, "filter_order", o->filter_order);
    }
    bract_sidecar_param_str(s, "standardize", bract_clean_standardize_name(o->standardize));
    bract_sidecar_param_bool(s, "keep_mean", o->keep_mean);
    if (a->confounds) {
        bract_sidecar_param_bool(s, "standardize_confounds", o->standardize_confounds);
        json_object *arr = json_object_new_array();
        for (size_t i = 0; i < r->nconf; i++)
            json_object_array_add(arr, json_object_new_string(r->confnames[i]));
        sidecar_array(s, "ConfoundColumns", arr);
        bract_sidecar_count(s, "confound_columns", (int64_t)r->nconf);
        bract_sidecar_count(s, "confound_rank",
                            (int64_t)bract_clean_plan_confound_rank(r->plan));
        bract_sidecar_count(s, "confound_cells_filled", (int64_t)r->filled);
    }
    if (r->runlen)
        bract_sidecar_param_str(s, "runs", a->runs);
    if (a->censor) {
        bract_sidecar_param_str(s, "censor", a->censor);
        bract_sidecar_param_bool(s, "extrapolate", o->extrapolate);
        json_object *arr = json_object_new_array();
        for (size_t i = 0; i < bract_clean_plan_nt_out(r->plan); i++)
            json_object_array_add(arr, json_object_new_int64(
                                           (int64_t)bract_clean_plan_out_index(r->plan, i)));
        sidecar_array(s, "KeptVolumes", arr);
    }
    bract_sidecar_count(s, "volumes_in", (int64_t)r->nt);
    bract_sidecar_count(s, "volumes_out", (int64_t)bract_clean_plan_nt_out(r->plan));
    bract_sidecar_count(s, "censored_volumes", (int64_t)r->ncens);
    const char *unit = r->volume ? "voxels" : "regions";
    char key[64];
    snprintf(key, sizeof key, "%s_cleaned", unit);
    bract_sidecar_count(s, key, (int64_t)(r->ncleaned - r->cnt.nonfinite - r->cnt.constant));
    snprintf(key, sizeof key, "excluded_%s_nonfinite", unit);
    bract_sidecar_count(s, key, (int64_t)r->cnt.nonfinite);
    snprintf(key, sizeof key, "excluded_%s_constant", unit);
    bract_sidecar_count(s, key, (int64_t)r->cnt.constant);
    if (o->standardize == BRACT_STANDARDIZE_PSC) {
        snprintf(key, sizeof key, "%s_zero_mean", unit);
        bract_sidecar_count(s, key, (int64_t)r->cnt.zero_mean);
    }
}

int main_clean(int argc, char **argv)
{
    run R;
    memset(&R, 0, sizeof R);
    run *r = &R;
    cli_ctx_init(&r->c, "clean", NULL);
    bract_clean_opts_defaults(&r->a.o);
    int rc = cli_parse(&r->c, &cli_spec_clean, &r->a, argc, argv);
    if (rc != CLI_CONTINUE) {
        run_free(r);
        return rc;
    }
    if (!(rc = check_options(r)) && !(rc = load_data(r)) && !(rc = make_plan(r)) &&
        !(rc = clean_and_write(r)) && strcmp(r->a.out, "-") != 0) {
        bract_sidecar *s = cli_sidecar(&r->c);
        if (s)
            sidecar_fill(r, s);
        rc = cli_sidecar_finish(&r->c, s, r->a.out);
        bract_sidecar_free(s);
    }
    run_free(r);
    return rc;
}
