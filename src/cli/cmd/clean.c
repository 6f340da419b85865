/* bract clean: nilearn.signal.clean on region time series or voxelwise. */
#include "cli/cli.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

static const char usage_text[] =
    "Usage: bract clean --data TS.tsv|BOLD.nii.gz -o OUT [options]\n"
    "\n"
    "Clean time series as nilearn.signal.clean: censoring (spline-filled before\n"
    "filtering), detrending, Butterworth filtering of signals and confounds,\n"
    "confound regression, standardisation; each run separately.  A table is\n"
    "cleaned column by column, a 4-D NIfTI voxel by voxel within a mask.\n"
    "\n"
    "Options:\n"
    "  -d, --data FILE         region time series (.tsv, .csv) or 4-D NIfTI\n"
    "  -o, --output FILE       cleaned series: a TSV for a table (\"-\": standard\n"
    "                          output), a float32 .nii[.gz] for a volume\n"
    "  -m, --mask FILE         voxels to clean (NIfTI data) [voxels not all 0]\n"
    "      --tr S              repetition time in seconds [sidecar or header]\n"
    "      --detrend ORDER     remove a polynomial trend of this order (0 mean,\n"
    "                          1 linear as nilearn), or none [1]\n"
    "      --confounds FILE    confound regressors, one row per volume (TSV,\n"
    "                          e.g. fMRIPrep's; leading n/a are filled)\n"
    "      --confound-columns LIST  comma-separated names or patterns of the\n"
    "                          confound columns to use, e.g. 'trans_*,rot_*'\n"
    "                          [all columns]\n"
    "      --no-standardize-confounds  scale confounds by their largest\n"
    "                          absolute value instead of z-scoring them\n"
    "      --high-pass HZ      Butterworth high-pass cut-off\n"
    "      --low-pass HZ       Butterworth low-pass cut-off\n"
    "      --filter-order N    Butterworth order [5]\n"
    "      --standardize HOW   zscore (sample std, ddof 1), zscore-population\n"
    "                          (ddof 0), psc (percent signal change) or none\n"
    "                          [zscore]\n"
    "      --keep-mean         with --standardize none, add each series' mean\n"
    "                          back (nilearn 0.10 did so after filtering)\n"
    "      --censor LIST       volumes to censor, 0-based, e.g. '0,1,57-60'\n"
    "      --extrapolate       fill censored volumes at run ends by spline\n"
    "                          extrapolation before filtering [drop them]\n"
    "      --runs LENGTHS      comma-separated run lengths in volumes,\n"
    "                          e.g. '121,121,121' [one run]\n"
    "\n" CLI_COMMON_HELP;

enum {
    OPT_TR = OPT_FIRST_CMD,
    OPT_DETREND,
    OPT_CONFOUNDS,
    OPT_CONFCOLS,
    OPT_NOSTDCONF,
    OPT_HIGH,
    OPT_LOW,
    OPT_ORDER,
    OPT_STANDARDIZE,
    OPT_KEEPMEAN,
    OPT_CENSOR,
    OPT_EXTRAPOLATE,
    OPT_RUNS
};

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

/* Split "a,b,c" into a NULL-terminated array (in place copy). */
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

int main_clean(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"data", required_argument, NULL, 'd'},
        {"output", required_argument, NULL, 'o'},
        {"mask", required_argument, NULL, 'm'},
        {"tr", required_argument, NULL, OPT_TR},
        {"detrend", required_argument, NULL, OPT_DETREND},
        {"confounds", required_argument, NULL, OPT_CONFOUNDS},
        {"confound-columns", required_argument, NULL, OPT_CONFCOLS},
        {"no-standardize-confounds", no_argument, NULL, OPT_NOSTDCONF},
        {"high-pass", required_argument, NULL, OPT_HIGH},
        {"low-pass", required_argument, NULL, OPT_LOW},
        {"filter-order", required_argument, NULL, OPT_ORDER},
        {"standardize", required_argument, NULL, OPT_STANDARDIZE},
        {"keep-mean", no_argument, NULL, OPT_KEEPMEAN},
        {"censor", required_argument, NULL, OPT_CENSOR},
        {"extrapolate", no_argument, NULL, OPT_EXTRAPOLATE},
        {"runs", required_argument, NULL, OPT_RUNS},
        CLI_COMMON_LONGOPTS,
        {NULL, 0, NULL, 0}};
    static const char *const std_names[] = {"none", "zscore", "zscore-population", "psc", NULL};
    cli_ctx c;
    cli_ctx_init(&c, "clean", usage_text);
    const char *data = NULL, *out = NULL, *mask = NULL, *confounds = NULL, *censor = NULL,
               *runs_spec = NULL;
    char *confcols = NULL;
    double tr = 0;
    bract_clean_opts o;
    bract_clean_opts_default(&o);
    int opt;
    long lv;
    while ((opt = getopt_long(argc, argv, ":d:o:m:h@:", longopts, NULL)) != -1) {
        int k = cli_common_option(&c, opt, optarg);
        if (k == 2)
            return CLI_OK;
        if (k < 0)
            return CLI_USAGE;
        if (k)
            continue;
        switch (opt) {
        case 'd': data = optarg; break;
        case 'o': out = optarg; break;
        case 'm': mask = optarg; break;
        case OPT_TR:
            if (cli_parse_double(&c, "--tr", optarg, 1e-6, 1e6, &tr))
                return CLI_USAGE;
            break;
        case OPT_DETREND:
            if (strcmp(optarg, "none") == 0)
                o.detrend = -1;
            else if (cli_parse_long(&c, "--detrend", optarg, 0, 10, &lv))
                return CLI_USAGE;
            else
                o.detrend = (int)lv;
            break;
        case OPT_CONFOUNDS: confounds = optarg; break;
        case OPT_CONFCOLS: confcols = optarg; break;
        case OPT_NOSTDCONF: o.standardize_confounds = 0; break;
        case OPT_HIGH:
            if (cli_parse_double(&c, "--high-pass", optarg, 0, 1e6, &o.high_pass))
                return CLI_USAGE;
            if (o.high_pass <= 0)
                return cli_usage_error(&c, "--high-pass must be a positive frequency in Hz");
            break;
        case OPT_LOW:
            if (cli_parse_double(&c, "--low-pass", optarg, 0, 1e6, &o.low_pass))
                return CLI_USAGE;
            if (o.low_pass <= 0)
                return cli_usage_error(&c, "--low-pass must be a positive frequency in Hz");
            break;
        case OPT_ORDER:
            if (cli_parse_long(&c, "--filter-order", optarg, 1, 20, &lv))
                return CLI_USAGE;
            o.filter_order = (int)lv;
            break;
        case OPT_STANDARDIZE: {
            int i = cli_parse_choice(&c, "--standardize", optarg, std_names);
            if (i < 0)
                return CLI_USAGE;
            o.standardize = i == 0 ? BRACT_STANDARDIZE_NONE
                            : i == 1 ? BRACT_STANDARDIZE_ZSCORE
                            : i == 2 ? BRACT_STANDARDIZE_ZSCORE_POP
                                     : BRACT_STANDARDIZE_PSC;
            break;
        }
        case OPT_KEEPMEAN: o.keep_mean = 1; break;
        case OPT_CENSOR: censor = optarg; break;
        case OPT_EXTRAPOLATE: o.extrapolate = 1; break;
        case OPT_RUNS: runs_spec = optarg; break;
        case ':': return cli_usage_error(&c, "option %s needs a value", argv[optind - 1]);
        default: return cli_usage_error(&c, "unknown option %s", argv[optind - 1]);
        }
    }
    if (argc == 1) {
        fputs(usage_text, stdout);
        return CLI_USAGE;
    }
    if (optind < argc)
        return cli_usage_error(&c, "unexpected argument '%s'", argv[optind]);
    if (!data)
        return cli_usage_error(&c, "no --data given");
    if (!out)
        return cli_usage_error(&c, "no --output given");
    int volume = is_volume_name(data);
    if (mask && !volume)
        return cli_usage_error(&c, "--mask applies to NIfTI data; %s is a table", data);
    if (volume && !is_volume_name(out))
        return cli_usage_error(&c, "the output of a NIfTI series must be a .nii or .nii.gz file");
    if (o.keep_mean && o.standardize != BRACT_STANDARDIZE_NONE)
        return cli_usage_error(&c, "--keep-mean applies to --standardize none");
    if (confcols && !confounds)
        return cli_usage_error(&c, "--confound-columns needs --confounds");
    if (o.low_pass > 0 && o.high_pass > 0 && o.high_pass >= o.low_pass)
        return cli_usage_error(&c, "--high-pass (%g Hz) must be below --low-pass (%g Hz)",
                               o.high_pass, o.low_pass);
    cli_apply(&c);
    const char *inputs[4] = {data, confounds ? confounds : data, mask ? mask : data, data};
    if (strcmp(out, "-") != 0 &&
        (bract_output_check(out, c.force) || bract_output_not_input(out, inputs, 3)))
        return cli_fail(&c);

    int status = CLI_DATA_ERROR;
    bract_tseries *ts = NULL;
    bract_volume *vol = NULL, *res = NULL, *mgeom = NULL;
    bract_mask *m = NULL;
    bract_clean_plan *plan = NULL;
    double *conf = NULL;
    char **confnames = NULL, **patterns = NULL;
    size_t nconf = 0, confrows = 0, filled = 0, npat = 0, nruns = 0, ncens = 0;
    size_t *runlen = NULL;
    unsigned char *keep = NULL;
    size_t nt;
    double tr_used;

    /* the data */
    if (volume) {
        cli_log(&c, "reading %s", data);
        if (bract_volume_read(data, BRACT_VOL_FLOAT32, &vol)) {
            status = cli_fail(&c);
            goto done;
        }
        if (vol->nt < 2) {
            status = cli_error(&c, "%s is a 3-D volume; cleaning needs a 4-D series", data);
            goto done;
        }
        nt = (size_t)vol->nt;
        tr_used = tr > 0 ? tr : vol->tr;
        if (mask) {
            if (bract_mask_read(mask, &m, &mgeom) || bract_volume_same_grid(vol, mgeom, 1e-3)) {
                status = cli_fail(&c);
                goto done;
            }
        }
    } else {
        if (bract_tseries_read(data, tr, &ts)) {
            status = cli_fail(&c);
            goto done;
        }
        nt = ts->nt;
        tr_used = ts->tr;
    }
    o.tr = tr_used;
    if ((o.low_pass > 0 || o.high_pass > 0) && !(tr_used > 0)) {
        status = cli_error(&c, "filtering needs the repetition time: %s %s and no --tr was given",
                           data, volume ? "has no TR in its header"
                                        : "has no sidecar with RepetitionTime");
        goto done;
    }
    /* runs, censoring, confounds */
    if (runs_spec && parse_runs(&c, runs_spec, &runlen, &nruns)) {
        status = CLI_USAGE;
        goto done;
    }
    if (censor) {
        keep = malloc(nt);
        if (!keep) {
            status = cli_error(&c, "out of memory");
            goto done;
        }
        memset(keep, 1, nt);
        int r = parse_censor(&c, censor, nt, data, keep, &ncens);
        if (r) {
            status = r;
            goto done;
        }
    }
    if (confounds) {
        if (confcols && !(patterns = split_list(confcols, &npat))) {
            status = cli_error(&c, "out of memory");
            goto done;
        }
        if (bract_confounds_read(confounds, (const char *const *)patterns, npat, &conf,
                                 &confrows, &nconf, &confnames, &filled)) {
            status = cli_fail(&c);
            goto done;
        }
        if (confrows != nt) {
            status = cli_error(&c, "%s has %zu rows but %s has %zu volumes (the confounds need "
                               "one row per volume)",
                               confounds, confrows, data, nt);
            goto done;
        }
        if (filled)
            cli_log(&c, "%zu leading n/a confound cells filled", filled);
    }
    if (bract_clean_plan_new(&o, nt, runlen, nruns, conf, nconf, keep, &plan)) {
        status = cli_fail(&c);
        goto done;
    }
    cli_warnings(&c);

    bract_clean_counts cnt = {0};
    size_t ncleaned = 0;
    if (volume) {
        cli_bar bar;
        cli_bar_start(&bar, &c, "clean");
        bract_progress prog = cli_bar_progress(&bar);
        int rc = bract_clean_volume(plan, vol, m, &res, &cnt, &ncleaned, &prog);
        cli_bar_finish(&bar);
        if (rc) {
            status = cli_fail(&c);
            goto done;
        }
        free(vol->data); /* the input is no longer needed: halve the peak memory */
        vol->data = NULL;
        res->tr = tr_used;
        cli_warnings(&c);
        bract_volume_write_opts wo = {0};
        wo.descrip = "bract clean";
        wo.force = c.force;
        if (bract_volume_write(res, out, &wo)) {
            status = cli_fail(&c);
            goto done;
        }
    } else {
        if (bract_clean_tseries(plan, ts, &cnt)) {
            status = cli_fail(&c);
            goto done;
        }
        ncleaned = ts->nreg;
        cli_warnings(&c);
        if (bract_tseries_write(ts, out, c.force)) {
            status = cli_fail(&c);
            goto done;
        }
    }
    status = CLI_OK;
    if (strcmp(out, "-") != 0) {
        bract_sidecar *s = cli_sidecar(&c);
        if (s) {
            if (tr_used > 0)
                bract_sidecar_set_num(s, "RepetitionTime", tr_used);
            bract_sidecar_input(s, "data", data);
            if (confounds)
                bract_sidecar_input(s, "confounds", confounds);
            if (mask)
                bract_sidecar_input(s, "mask", mask);
            if (o.detrend >= 0)
                bract_sidecar_param_int(s, "detrend_order", o.detrend);
            else
                bract_sidecar_param_str(s, "detrend_order", "none");
            if (o.high_pass > 0)
                bract_sidecar_param_num(s, "high_pass_hz", o.high_pass);
            if (o.low_pass > 0)
                bract_sidecar_param_num(s, "low_pass_hz", o.low_pass);
            if (o.high_pass > 0 || o.low_pass > 0) {
                bract_sidecar_param_str(s, "filter", "butterworth, zero-phase (sosfiltfilt)");
                bract_sidecar_param_int(s, "filter_order", o.filter_order);
            }
            bract_sidecar_param_str(s, "standardize", std_names[o.standardize == 0   ? 0
                                                                : o.standardize == 1 ? 1
                                                                : o.standardize == 2 ? 2
                                                                                     : 3]);
            bract_sidecar_param_bool(s, "keep_mean", o.keep_mean);
            if (confounds) {
                bract_sidecar_param_bool(s, "standardize_confounds", o.standardize_confounds);
                json_object *arr = json_object_new_array();
                for (size_t i = 0; i < nconf; i++)
                    json_object_array_add(arr, json_object_new_string(confnames[i]));
                bract_sidecar_set_json(s, "ConfoundColumns",
                                       json_object_to_json_string_ext(arr,
                                                                      JSON_C_TO_STRING_PLAIN));
                json_object_put(arr);
                bract_sidecar_count(s, "confound_columns", (int64_t)nconf);
                bract_sidecar_count(s, "confound_rank",
                                    (int64_t)bract_clean_plan_confound_rank(plan));
                bract_sidecar_count(s, "confound_cells_filled", (int64_t)filled);
            }
            if (runlen)
                bract_sidecar_param_str(s, "runs", runs_spec);
            if (censor) {
                bract_sidecar_param_str(s, "censor", censor);
                bract_sidecar_param_bool(s, "extrapolate", o.extrapolate);
                json_object *arr = json_object_new_array();
                for (size_t i = 0; i < bract_clean_plan_nt_out(plan); i++)
                    json_object_array_add(arr, json_object_new_int64(
                                                   (int64_t)bract_clean_plan_out_index(plan, i)));
                bract_sidecar_set_json(s, "KeptVolumes",
                                       json_object_to_json_string_ext(arr,
                                                                      JSON_C_TO_STRING_PLAIN));
                json_object_put(arr);
            }
            bract_sidecar_count(s, "volumes_in", (int64_t)nt);
            bract_sidecar_count(s, "volumes_out", (int64_t)bract_clean_plan_nt_out(plan));
            bract_sidecar_count(s, "censored_volumes", (int64_t)ncens);
            const char *unit = volume ? "voxels" : "regions";
            char key[64];
            snprintf(key, sizeof key, "%s_cleaned", unit);
            bract_sidecar_count(s, key, (int64_t)(ncleaned - cnt.nonfinite - cnt.constant));
            snprintf(key, sizeof key, "excluded_%s_nonfinite", unit);
            bract_sidecar_count(s, key, (int64_t)cnt.nonfinite);
            snprintf(key, sizeof key, "excluded_%s_constant", unit);
            bract_sidecar_count(s, key, (int64_t)cnt.constant);
            if (o.standardize == BRACT_STANDARDIZE_PSC) {
                snprintf(key, sizeof key, "%s_zero_mean", unit);
                bract_sidecar_count(s, key, (int64_t)cnt.zero_mean);
            }
        }
        status = cli_sidecar_finish(&c, s, out);
        bract_sidecar_free(s);
    }
done:
    bract_tseries_free(ts);
    bract_volume_free(vol);
    bract_volume_free(res);
    bract_volume_free(mgeom);
    bract_mask_free(m);
    bract_clean_plan_free(plan);
    bract_confounds_free(conf, confnames, nconf);
    free(patterns);
    free(runlen);
    free(keep);
    return status;
}
