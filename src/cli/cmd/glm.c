/* bract glm: the first-level GLM of one subject's runs (nilearn's FirstLevelModel). */
#include "cli/cli.h"
#include "cli/opts.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    cli_strlist data, events, confounds, contrasts, fcontrasts;
    const char *mask, *out, *columns, *strategy, *fir;
    bract_glm_opts o;
} args;

CLI_ENUM_PARSER(bract_hrf_model, bract_hrf_model_parse)
CLI_ENUM_PARSER(bract_glm_drift, bract_glm_drift_parse)
CLI_ENUM_PARSER(bract_glm_noise, bract_glm_noise_parse)
CLI_ENUM_PARSER(bract_glm_trials, bract_glm_trials_parse)

static const cli_opt options[] = {
    CLI_GROUP("Runs (one --data and one --events per run, in the same order):"),
    CLI_LIST('d', "data", args, data, "FILE...", "4-D BOLD NIfTI of each run",
             .flags = CLI_REQUIRED),
    CLI_LIST('e', "events", args, events, "FILE...",
             "BIDS events.tsv of each run (onset, duration, trial_type,\n"
             "optional modulation)", .flags = CLI_REQUIRED),
    CLI_LIST(0, "confounds", args, confounds, "FILE...",
             "fMRIPrep desc-confounds_timeseries.tsv of each run"),
    CLI_STRING(0, "confound-columns", args, columns, "LIST",
               "confound columns by name or glob, comma-separated\n(trans_*,rot_*)"),
    CLI_STRING(0, "confound-strategy", args, strategy, "LIST",
               "nilearn load_confounds strategies, comma-separated:\n"
               "motion6, motion24, wm_csf, global, acompcor, scrub"),
    CLI_DOUBLE(0, "fd-threshold", args, o.confounds.fd_threshold, 0, 1e6, "MM",
               "scrub: framewise displacement threshold [0.2]"),
    CLI_DOUBLE(0, "std-dvars-threshold", args, o.confounds.std_dvars_threshold, 0, 1e6, "X",
               "scrub: standardised DVARS threshold [3]"),
    CLI_STRING('m', "mask", args, mask, "FILE", "3-D mask of the voxels to fit",
               .flags = CLI_REQUIRED),
    CLI_DOUBLE(0, "tr", args, o.tr, 1e-6, 1e6, "S",
               "repetition time [the header's; a JSON sidecar's\nRepetitionTime must agree]"),
    CLI_GROUP("Design (nilearn's make_first_level_design_matrix):"),
    CLI_DOUBLE(0, "slice-time-ref", args, o.design.slice_time_ref, 0, 1, "F",
               "time of the reference slice, fraction of the TR [0]"),
    CLI_ENUM(0, "hrf", args, o.design.hrf.model, bract_hrf_model, "MODEL",
             "glover, spm, glover+derivative, spm+derivative,\n"
             "glover+derivative+dispersion, spm+derivative+dispersion,\nfir [glover]"),
    CLI_STRING(0, "fir-delays", args, fir, "LIST",
               "FIR delays in volumes, comma-separated [0]"),
    CLI_ENUM(0, "drift", args, o.design.drift, bract_glm_drift, "MODEL",
             "cosine, polynomial or none [cosine]"),
    CLI_DOUBLE(0, "high-pass", args, o.design.high_pass, 1e-9, 1e3, "HZ",
               "cosine drift cut-off [0.01]"),
    CLI_INT(0, "drift-order", args, o.design.drift_order, 0, 100, "N",
            "polynomial drift order [1]"),
    CLI_GROUP("Estimation and outputs:"),
    CLI_ENUM(0, "noise", args, o.fit.noise, bract_glm_noise, "MODEL", "ols or ar1 [ar1]"),
    CLI_INT(0, "ar-bins", args, o.fit.ar_bins, 1, 1000000, "N",
            "AR(1) coefficients truncated to multiples of 1/N [100]"),
    CLI_ENUM(0, "trials", args, o.trials, bract_glm_trials, "MODEL",
             "none (a beta per condition per run), lsa (a beta per\n"
             "trial, one model) or lss (a model per trial) [none]"),
    CLI_LIST(0, "contrast", args, contrasts, "NAME=EXPR...",
             "t contrast, e.g. faces=face-house (repeatable)"),
    CLI_LIST(0, "f-contrast", args, fcontrasts, "NAME=EXPR,EXPR...",
             "F contrast of one row per expression (repeatable)"),
    CLI_FLAG_OFF(0, "no-residuals", args, o.write_residuals,
                 "do not write residuals.nii.gz"),
    CLI_STRING('o', "output", args, out, "DIR", "output directory", .flags = CLI_REQUIRED),
    CLI_END};

const cli_spec cli_spec_glm = {
    "glm",
    "Usage: bract glm --data RUN.nii.gz... --events EVENTS.tsv... --mask M.nii.gz -o DIR "
    "[options]",
    "Fit the first-level GLM of one subject's runs as nilearn 0.10.3's\n"
    "FirstLevelModel does (design, OLS or AR(1) prewhitening, contrasts with\n"
    "fixed effects over runs), and write the patterns RSA compares: one beta\n"
    "map per condition per run (or per trial) with its conditions table, the\n"
    "(whitened) residuals with their degrees of freedom, contrast maps.",
    options,
    "Outputs in DIR: design_run-<N>.tsv, betas.nii.gz + betas.tsv,\n"
    "residuals.nii.gz, contrast-<NAME>_stat-<effect|variance|t|F|z|p>.nii.gz,\n"
    "each with a JSON sidecar; DIR.json lists them when all are written.\n"};

/* Split a comma-separated list in place (s is a copy owned by the caller). */
static size_t split_commas(char *s, char **out, size_t max)
{
    size_t n = 0;
    for (char *p = s; n < max;) {
        char *c = strchr(p, ',');
        if (c)
            *c = '\0';
        out[n++] = p;
        if (!c)
            break;
        p = c + 1;
    }
    return n;
}

static int parse_fir(const cli_ctx *c, char *s, int *delays, size_t *n)
{
    char *parts[64];
    size_t k = split_commas(s, parts, 64);
    for (size_t i = 0; i < k; i++) {
        char *end;
        long v = strtol(parts[i], &end, 10);
        if (!*parts[i] || *end || v < 0 || v > 10000)
            return cli_usage_error(c, "--fir-delays: '%s' is not a delay in volumes (an integer "
                                   ">= 0)", parts[i]);
        delays[i] = (int)v;
    }
    *n = k;
    return CLI_OK;
}

int main_glm(int argc, char **argv)
{
    cli_ctx c;
    cli_ctx_init(&c, "glm", NULL);
    args a;
    memset(&a, 0, sizeof a);
    bract_glm_opts_defaults(&a.o);
    int st = cli_parse(&c, &cli_spec_glm, &a, argc, argv);
    if (st != CLI_CONTINUE) {
        cli_args_free(&cli_spec_glm, &a);
        return st;
    }
    bract_glm_opts *o = &a.o;
    int status = CLI_USAGE;
    char *colbuf = NULL, *stratbuf = NULL, *firbuf = NULL, *dir = NULL,
         *record = NULL;
    char *colv[256], *stratv[16];
    bract_nuisance_strategy strat[16];
    int fir[64];
    bract_glm_contrast_spec *specs = NULL;
    char **exprbuf = NULL;
    const char ***exprs = NULL;
    bract_glm_run_files *runs = NULL;
    bract_sidecar *sc = NULL, *rec = NULL;
    bract_glm_summary sum = {0};
    const size_t nruns = a.data.n, ncon = a.contrasts.n + a.fcontrasts.n;

    if (a.events.n != nruns) {
        cli_usage_error(&c, "%zu --data run%s but %zu --events file%s: give one events file per "
                        "run, in the same order", nruns, nruns == 1 ? "" : "s", a.events.n,
                        a.events.n == 1 ? "" : "s");
        goto done;
    }
    if (a.confounds.n && a.confounds.n != nruns) {
        cli_usage_error(&c, "%zu --confounds file%s for %zu runs: give one per run or none",
                        a.confounds.n, a.confounds.n == 1 ? "" : "s", nruns);
        goto done;
    }
    if (a.confounds.n && !a.columns && !a.strategy) {
        cli_usage_error(&c, "--confounds needs --confound-columns or --confound-strategy (an "
                        "fMRIPrep table has hundreds of columns)");
        goto done;
    }
    if ((a.columns || a.strategy || cli_given(&c, "fd-threshold") ||
         cli_given(&c, "std-dvars-threshold")) && !a.confounds.n) {
        cli_usage_error(&c, "--confound-columns, --confound-strategy and the scrub thresholds "
                        "apply to --confounds files");
        goto done;
    }
    if (a.columns) {
        if (!(colbuf = strdup(a.columns)))
            goto oom;
        o->confounds.ncolumns = split_commas(colbuf, colv, 256);
        o->confounds.columns = (const char *const *)colv;
        for (size_t i = 0; i < o->confounds.ncolumns; i++)
            if (!*colv[i]) {
                cli_usage_error(&c, "--confound-columns: an empty name in '%s'", a.columns);
                goto done;
            }
    }
    if (a.strategy) {
        if (!(stratbuf = strdup(a.strategy)))
            goto oom;
        size_t k = split_commas(stratbuf, stratv, 16);
        for (size_t i = 0; i < k; i++)
            if (bract_nuisance_strategy_parse(stratv[i], &strat[i])) {
                cli_usage_error(&c, "--confound-strategy: %s", bract_last_error());
                goto done;
            }
        o->confounds.strategies = strat;
        o->confounds.nstrategies = k;
    }
    if (a.fir) {
        if (o->design.hrf.model != BRACT_HRF_FIR) {
            cli_usage_error(&c, "--fir-delays applies to --hrf fir");
            goto done;
        }
        if (!(firbuf = strdup(a.fir)))
            goto oom;
        if (parse_fir(&c, firbuf, fir, &o->design.hrf.nfir))
            goto done;
        o->design.hrf.fir_delays = fir;
    }
    if (cli_given(&c, "high-pass") && o->design.drift != BRACT_GLM_DRIFT_COSINE) {
        cli_usage_error(&c, "--high-pass applies to --drift cosine");
        goto done;
    }
    if (cli_given(&c, "drift-order") && o->design.drift != BRACT_GLM_DRIFT_POLYNOMIAL) {
        cli_usage_error(&c, "--drift-order applies to --drift polynomial");
        goto done;
    }
    if (cli_given(&c, "ar-bins") && o->fit.noise != BRACT_GLM_NOISE_AR1) {
        cli_usage_error(&c, "--ar-bins applies to --noise ar1");
        goto done;
    }
    if (o->trials == BRACT_GLM_TRIALS_LSS &&
        bract_hrf_nbasis(o->design.hrf.model, o->design.hrf.nfir) != 1) {
        cli_usage_error(&c, "--trials lss needs one regressor per condition (glover, spm, or "
                        "fir with one delay), not %s",
                        bract_hrf_model_name(o->design.hrf.model));
        goto done;
    }

    /* contrasts: NAME=EXPR (t) and NAME=EXPR,EXPR,... (F) */
    specs = calloc(ncon ? ncon : 1, sizeof *specs);
    exprbuf = calloc(ncon ? ncon : 1, sizeof *exprbuf);
    exprs = calloc(ncon ? ncon : 1, sizeof *exprs);
    if (!specs || !exprbuf || !exprs)
        goto oom;
    for (size_t k = 0; k < ncon; k++) {
        int isf = k >= a.contrasts.n;
        const char *arg = isf ? a.fcontrasts.v[k - a.contrasts.n] : a.contrasts.v[k];
        const char *eq = strchr(arg, '=');
        if (!eq || eq == arg || !eq[1]) {
            cli_usage_error(&c, "%s '%s': expected NAME=EXPRESSION", isf ? "--f-contrast" :
                            "--contrast", arg);
            goto done;
        }
        if (!(exprbuf[k] = strdup(arg)))
            goto oom;
        exprbuf[k][eq - arg] = '\0';
        specs[k].name = exprbuf[k];
        char *rest = exprbuf[k] + (eq - arg) + 1;
        if (!(exprs[k] = calloc(strlen(rest) / 2 + 2, sizeof *exprs[k])))
            goto oom;
        if (isf) {
            specs[k].nexpr = split_commas(rest, (char **)exprs[k], strlen(rest) / 2 + 1);
            specs[k].stat = BRACT_GLM_STAT_F;
        } else {
            exprs[k][0] = rest;
            specs[k].nexpr = 1;
            specs[k].stat = BRACT_GLM_STAT_T;
        }
        for (size_t e = 0; e < specs[k].nexpr; e++)
            if (!*exprs[k][e]) {
                cli_usage_error(&c, "--f-contrast '%s': an empty expression", arg);
                goto done;
            }
        specs[k].exprs = exprs[k];
    }
    o->contrasts = specs;
    o->ncontrasts = ncon;
    o->force = c.force;
    cli_apply(&c);
    status = CLI_DATA_ERROR;

    runs = calloc(nruns, sizeof *runs);
    if (!runs)
        goto oom;
    for (size_t r = 0; r < nruns; r++) {
        runs[r].data = a.data.v[r];
        runs[r].events = a.events.v[r];
        runs[r].confounds = a.confounds.n ? a.confounds.v[r] : NULL;
    }
    if (!(dir = strdup(a.out)))
        goto oom;
    for (size_t n = strlen(dir); n > 1 && dir[n - 1] == '/'; n--)
        dir[n - 1] = '\0';
    if (!(record = bract_sidecar_path(dir)))
        goto oom;
    o->record = record; /* DIR.json, written last */
    {
        /* the output directory is not an input */
        size_t nin = 3 * nruns + 1, k = 0;
        const char **in = calloc(nin, sizeof *in);
        if (!in)
            goto oom;
        for (size_t r = 0; r < nruns; r++) {
            in[k++] = runs[r].data;
            in[k++] = runs[r].events;
            if (runs[r].confounds)
                in[k++] = runs[r].confounds;
        }
        in[k++] = a.mask;
        int bad = bract_output_not_input(dir, in, k);
        free(in);
        if (bad) {
            cli_fail(&c);
            goto done;
        }
    }

    cli_log(&c, "%zu run%s, %s HRF, %s drift, %s noise, trials %s", nruns,
            nruns == 1 ? "" : "s", bract_hrf_model_name(o->design.hrf.model),
            bract_glm_drift_name(o->design.drift), bract_glm_noise_name(o->fit.noise),
            bract_glm_trials_name(o->trials));
    sc = cli_sidecar(&c);
    if (!sc)
        goto oom;
    cli_bar bar;
    cli_bar_start(&bar, &c, "glm");
    bract_progress pr = cli_bar_progress(&bar);
    int rc = bract_glm_analyse(runs, nruns, a.mask, o, dir, sc, &pr, &sum);
    cli_bar_finish(&bar);
    if (rc) {
        cli_fail(&c);
        goto done;
    }
    cli_warnings(&c);
    if (!(rec = cli_sidecar(&c)))
        goto oom;
    bract_sidecar_set_num(rec, "ResidualDegreesOfFreedom", sum.residual_dof);
    bract_sidecar_count(rec, "runs", (int64_t)sum.nruns);
    bract_sidecar_count(rec, "voxels", (int64_t)sum.nvox);
    bract_sidecar_count(rec, "betas", (int64_t)sum.nbetas);
    bract_sidecar_count(rec, "censored_volumes", (int64_t)sum.ncensored);
    bract_sidecar_count(rec, "excluded_voxels_nonfinite", (int64_t)sum.nbad_nonfinite);
    bract_sidecar_count(rec, "excluded_voxels_constant", (int64_t)sum.nbad_constant);
    if (cli_dir_record(&c, rec, dir, "the record of a bract glm run: every file listed in "
                       "Files is complete", (const char *const *)sum.files, sum.nfiles))
        goto done;
    cli_log(&c, "%zu beta maps, %zu residual volumes (dof %g), %zu contrasts in %s", sum.nbetas,
            sum.nresid, sum.residual_dof, ncon, dir);
    status = CLI_OK;
    goto done;
oom:
    cli_error(&c, "out of memory");
    status = CLI_DATA_ERROR;
done:
    free(record);
    bract_glm_summary_free(&sum);
    bract_sidecar_free(sc);
    bract_sidecar_free(rec);
    free(runs);
    if (exprs)
        for (size_t k = 0; k < ncon; k++)
            free(exprs[k]);
    free(exprs);
    if (exprbuf)
        for (size_t k = 0; k < ncon; k++)
            free(exprbuf[k]);
    free(exprbuf);
    free(specs);
    free(colbuf);
    free(stratbuf);
    free(firbuf);
    free(dir);
    cli_args_free(&cli_spec_glm, &a);
    return status;
}
