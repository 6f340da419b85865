/* bract glm: the first-level GLM of one subject's runs (nilearn's FirstLevelModel). */
#include "cli/cli.h"
#include "cli/opts.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    cli_strlist data, events, confounds, contrasts, fcontrasts, pstyle;
    const char *mask, *out, *columns, *strategy, *fir;
    bract_glm_opts o;
    int denoise, hrf_library;  /* hrf_library: -1 unset */
    bract_single_opts d;
} args;

static int parse_pcs(const char *arg, void *field) { return bract_single_pcs_parse(arg, field); }
static int parse_r2(const char *arg, void *field) { return bract_single_r2_parse(arg, field); }

CLI_ENUM_PARSER(bract_hrf_model, bract_hrf_model_parse)
CLI_ENUM_PARSER(bract_glm_drift, bract_glm_drift_parse)
CLI_ENUM_PARSER(bract_glm_noise, bract_glm_noise_parse)
CLI_ENUM_PARSER(bract_glm_trials, bract_glm_trials_parse)
CLI_ENUM_PARSER(bract_single_ridge, bract_single_ridge_parse)

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
    CLI_LIST(0, "p-style", args, pstyle, "STYLE...",
             "also write every contrast's p map as minus-log10\n"
             "(-log10 p, nilearn's logp) or one-minus (1 - p, FSL's\n"
             "convention), as contrast-NAME_stat-p_STYLE.nii.gz\n"
             "beside it [p: the p maps alone]"),
    CLI_FLAG_OFF(0, "no-residuals", args, o.write_residuals,
                 "do not write residuals.nii.gz"),
    CLI_STRING('o', "output", args, out, "DIR", "output directory", .flags = CLI_REQUIRED),
    CLI_GROUP("Single-trial denoising (with --trials lss or lsa; 2 runs or more):"),
    CLI_FLAG(0, "denoise", args, denoise,
             "all three steps below (GLMsingle's), each switchable,\n"
             "and diagnostics.tsv: reliability after each step"),
    CLI_FLAG(0, "hrf-library", args, hrf_library,
             "each voxel's HRF from a library of 21 [on with --denoise]"),
    CLI_FLAG_OFF(0, "no-hrf-library", args, hrf_library, "the design's HRF for every voxel"),
    CLI_CALLBACK(0, "noise-pcs", args, d.noise_pcs, parse_pcs, "auto|K|0",
                 "noise components of the noise pool: chosen by\n"
                 "cross-validation, K, or none [auto with --denoise]"),
    CLI_INT(0, "max-noise-pcs", args, d.max_noise_pcs, 1, 1000, "N",
            "components tried by --noise-pcs auto [10]"),
    CLI_ENUM(0, "ridge", args, d.ridge, bract_single_ridge, "auto|none",
             "fractional ridge per voxel, fraction by cross-\n"
             "validation [auto with --denoise]"),
    CLI_CALLBACK(0, "r2-threshold", args, d.r2_threshold, parse_r2, "auto|R",
                 "on-off R2 above which a voxel is signal, below\n"
                 "which it may join the noise pool [auto]"),
    CLI_FLAG(0, "keep-worse-steps", args, d.keep_worse,
             "keep a step that lowers the median reliability\n"
             "(by default it is left out, with a warning)"),
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
    "and with denoising diagnostics.tsv, reliability.nii.gz, onoff_r2.nii.gz,\n"
    "hrf_index.nii.gz, noise_pcs_cv.tsv, noise_pcs.nii.gz, ridge_fraction.nii.gz;\n"
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

/* --denoise and the options of its steps into a->d (and o->denoise when
 * any step is on); a usage error (returned) when they do not fit. */
static int denoise_options(cli_ctx *c, args *a, size_t nruns)
{
    bract_glm_opts *o = &a->o;
    int pcs_given = cli_given(c, "noise-pcs"), ridge_given = cli_given(c, "ridge");
    int on = a->denoise || a->hrf_library == 1 || (pcs_given && a->d.noise_pcs != 0) ||
             (ridge_given && a->d.ridge == BRACT_SINGLE_RIDGE_AUTO);
    if (!on) {
        if (cli_given(c, "max-noise-pcs") || cli_given(c, "r2-threshold") ||
            cli_given(c, "no-hrf-library") || cli_given(c, "keep-worse-steps") || pcs_given ||
            ridge_given)
            return cli_usage_error(c, "--no-hrf-library, --noise-pcs, --ridge, "
                                   "--max-noise-pcs, --r2-threshold and --keep-worse-steps "
                                   "apply to denoising (--denoise)");
        return CLI_OK;
    }
    a->d.hrf_library = a->hrf_library >= 0 ? a->hrf_library : a->denoise;
    if (!pcs_given)
        a->d.noise_pcs = a->denoise ? BRACT_SINGLE_PCS_AUTO : 0;
    if (!ridge_given)
        a->d.ridge = a->denoise ? BRACT_SINGLE_RIDGE_AUTO : BRACT_SINGLE_RIDGE_NONE;
    if (o->trials == BRACT_GLM_TRIALS_NONE)
        return cli_usage_error(c, "denoising (--denoise, --hrf-library, --noise-pcs, --ridge) "
                               "estimates single trials: give --trials lss or --trials lsa");
    if (nruns < 2)
        return cli_usage_error(c, "denoising cross-validates across runs: give at least 2 runs "
                               "(--data and --events for each)");
    if (cli_given(c, "max-noise-pcs") && a->d.noise_pcs != BRACT_SINGLE_PCS_AUTO)
        return cli_usage_error(c, "--max-noise-pcs applies to --noise-pcs auto");
    o->denoise = &a->d;
    return CLI_OK;
}

/* What main_glm builds from the arguments and frees at the end. */
typedef struct {
    char *colbuf, *stratbuf, *firbuf, *dir;
    char *record; /* DIR.json, written last */
    char *colv[256], *stratv[16];
    bract_nuisance_strategy strat[16];
    int fir[64];
    size_t ncon;
    bract_glm_contrast_spec *specs;
    char **exprbuf;
    const char ***exprs;
    bract_glm_run_files *runs;
} glm_request;

static void glm_request_clear(glm_request *q)
{
    free(q->runs);
    if (q->exprs)
        for (size_t k = 0; k < q->ncon; k++)
            free(q->exprs[k]);
    free(q->exprs);
    if (q->exprbuf)
        for (size_t k = 0; k < q->ncon; k++)
            free(q->exprbuf[k]);
    free(q->exprbuf);
    free(q->specs);
    free(q->colbuf);
    free(q->stratbuf);
    free(q->firbuf);
    free(q->dir);
    free(q->record);
}

static int out_of_memory(const cli_ctx *c)
{
    cli_error(c, "out of memory");
    return CLI_DATA_ERROR;
}

/* One events file per run, confounds per run with their columns. */
static int check_run_files(const cli_ctx *c, const args *a, size_t nruns)
{
    if (a->events.n != nruns)
        return cli_usage_error(c, "%zu --data run%s but %zu --events file%s: give one events "
                               "file per run, in the same order", nruns, nruns == 1 ? "" : "s",
                               a->events.n, a->events.n == 1 ? "" : "s");
    if (a->confounds.n && a->confounds.n != nruns)
        return cli_usage_error(c, "%zu --confounds file%s for %zu runs: give one per run or "
                               "none", a->confounds.n, a->confounds.n == 1 ? "" : "s", nruns);
    if (a->confounds.n && !a->columns && !a->strategy)
        return cli_usage_error(c, "--confounds needs --confound-columns or --confound-strategy "
                               "(an fMRIPrep table has hundreds of columns)");
    if ((a->columns || a->strategy || cli_given(c, "fd-threshold") ||
         cli_given(c, "std-dvars-threshold")) && !a->confounds.n)
        return cli_usage_error(c, "--confound-columns, --confound-strategy and the scrub "
                               "thresholds apply to --confounds files");
    return CLI_OK;
}

/* --confound-columns and --confound-strategy into the options. */
static int confound_options(const cli_ctx *c, args *a, glm_request *q)
{
    bract_glm_opts *o = &a->o;
    if (a->columns) {
        if (!(q->colbuf = strdup(a->columns)))
            return out_of_memory(c);
        o->confounds.ncolumns = split_commas(q->colbuf, q->colv, 256);
        o->confounds.columns = (const char *const *)q->colv;
        for (size_t i = 0; i < o->confounds.ncolumns; i++)
            if (!*q->colv[i])
                return cli_usage_error(c, "--confound-columns: an empty name in '%s'",
                                       a->columns);
    }
    if (a->strategy) {
        if (!(q->stratbuf = strdup(a->strategy)))
            return out_of_memory(c);
        size_t k = split_commas(q->stratbuf, q->stratv, 16);
        for (size_t i = 0; i < k; i++)
            if (bract_nuisance_strategy_parse(q->stratv[i], &q->strat[i]))
                return cli_usage_error(c, "--confound-strategy: %s", bract_last_error());
        o->confounds.strategies = q->strat;
        o->confounds.nstrategies = k;
    }
    return CLI_OK;
}

/* Options that apply only with another's value. */
static int design_options(const cli_ctx *c, args *a, glm_request *q)
{
    bract_glm_opts *o = &a->o;
    if (a->fir) {
        if (o->design.hrf.model != BRACT_HRF_FIR)
            return cli_usage_error(c, "--fir-delays applies to --hrf fir");
        if (!(q->firbuf = strdup(a->fir)))
            return out_of_memory(c);
        if (parse_fir(c, q->firbuf, q->fir, &o->design.hrf.nfir))
            return CLI_USAGE;
        o->design.hrf.fir_delays = q->fir;
    }
    if (cli_given(c, "high-pass") && o->design.drift != BRACT_GLM_DRIFT_COSINE)
        return cli_usage_error(c, "--high-pass applies to --drift cosine");
    if (cli_given(c, "drift-order") && o->design.drift != BRACT_GLM_DRIFT_POLYNOMIAL)
        return cli_usage_error(c, "--drift-order applies to --drift polynomial");
    for (size_t i = 0; i < a->pstyle.n; i++) {
        bract_stats_p_style ps;
        if (bract_stats_p_style_parse(a->pstyle.v[i], &ps))
            return cli_usage_error(c, "--p-style: %s", bract_last_error());
        if (ps != BRACT_P_STYLE_P)
            o->p_styles |= 1u << ps;
    }
    if (cli_given(c, "ar-bins") && o->fit.noise != BRACT_GLM_NOISE_AR1)
        return cli_usage_error(c, "--ar-bins applies to --noise ar1");
    if (o->trials == BRACT_GLM_TRIALS_LSS &&
        bract_hrf_nbasis(o->design.hrf.model, o->design.hrf.nfir) != 1)
        return cli_usage_error(c, "--trials lss needs one regressor per condition (glover, spm, "
                               "or fir with one delay), not %s",
                               bract_hrf_model_name(o->design.hrf.model));
    return CLI_OK;
}

/* Contrasts: NAME=EXPR (t) and NAME=EXPR,EXPR,... (F). */
static int contrast_options(const cli_ctx *c, args *a, glm_request *q)
{
    const size_t ncon = q->ncon;
    q->specs = calloc(ncon ? ncon : 1, sizeof *q->specs);
    q->exprbuf = calloc(ncon ? ncon : 1, sizeof *q->exprbuf);
    q->exprs = calloc(ncon ? ncon : 1, sizeof *q->exprs);
    if (!q->specs || !q->exprbuf || !q->exprs)
        return out_of_memory(c);
    for (size_t k = 0; k < ncon; k++) {
        int isf = k >= a->contrasts.n;
        const char *arg = isf ? a->fcontrasts.v[k - a->contrasts.n] : a->contrasts.v[k];
        const char *eq = strchr(arg, '=');
        if (!eq || eq == arg || !eq[1])
            return cli_usage_error(c, "%s '%s': expected NAME=EXPRESSION",
                                   isf ? "--f-contrast" : "--contrast", arg);
        if (!(q->exprbuf[k] = strdup(arg)))
            return out_of_memory(c);
        q->exprbuf[k][eq - arg] = '\0';
        bract_glm_contrast_spec *s = &q->specs[k];
        s->name = q->exprbuf[k];
        char *rest = q->exprbuf[k] + (eq - arg) + 1;
        if (!(q->exprs[k] = calloc(strlen(rest) / 2 + 2, sizeof *q->exprs[k])))
            return out_of_memory(c);
        if (isf) {
            s->nexpr = split_commas(rest, (char **)q->exprs[k], strlen(rest) / 2 + 1);
            s->stat = BRACT_GLM_STAT_F;
        } else {
            q->exprs[k][0] = rest;
            s->nexpr = 1;
            s->stat = BRACT_GLM_STAT_T;
        }
        for (size_t e = 0; e < s->nexpr; e++)
            if (!*q->exprs[k][e])
                return cli_usage_error(c, "--f-contrast '%s': an empty expression", arg);
        s->exprs = q->exprs[k];
    }
    a->o.contrasts = q->specs;
    a->o.ncontrasts = ncon;
    return CLI_OK;
}

/* The runs' files, and the output directory, which is not an input. */
static int run_files(const cli_ctx *c, args *a, size_t nruns, glm_request *q)
{
    if (!(q->runs = calloc(nruns, sizeof *q->runs)) || !(q->dir = strdup(a->out)))
        return out_of_memory(c);
    for (size_t r = 0; r < nruns; r++) {
        q->runs[r].data = a->data.v[r];
        q->runs[r].events = a->events.v[r];
        q->runs[r].confounds = a->confounds.n ? a->confounds.v[r] : NULL;
    }
    for (size_t n = strlen(q->dir); n > 1 && q->dir[n - 1] == '/'; n--)
        q->dir[n - 1] = '\0';
    if (!(q->record = bract_sidecar_path(q->dir)))
        return out_of_memory(c);
    a->o.record = q->record;
    size_t k = 0;
    const char **in = calloc(3 * nruns + 1, sizeof *in);
    if (!in)
        return out_of_memory(c);
    for (size_t r = 0; r < nruns; r++) {
        in[k++] = q->runs[r].data;
        in[k++] = q->runs[r].events;
        if (q->runs[r].confounds)
            in[k++] = q->runs[r].confounds;
    }
    in[k++] = a->mask;
    int bad = bract_output_not_input(q->dir, in, k);
    free(in);
    return bad ? cli_fail(c) : CLI_OK;
}

/* The analysis, then the directory's record and the summary lines. */
static int run_glm(cli_ctx *c, const args *a, size_t nruns, glm_request *q)
{
    const bract_glm_opts *o = &a->o;
    bract_glm_summary sum = {0};
    bract_sidecar *sc = NULL, *rec = NULL;
    int status = CLI_DATA_ERROR;
    cli_log(c, "%zu run%s, %s HRF, %s drift, %s noise, trials %s", nruns, nruns == 1 ? "" : "s",
            bract_hrf_model_name(o->design.hrf.model), bract_glm_drift_name(o->design.drift),
            bract_glm_noise_name(o->fit.noise), bract_glm_trials_name(o->trials));
    if (!(sc = cli_sidecar(c))) {
        out_of_memory(c);
        goto done;
    }
    cli_bar bar;
    cli_bar_start(&bar, c, "glm");
    bract_progress pr = cli_bar_progress(&bar);
    int rc = bract_glm_analyse(q->runs, nruns, a->mask, o, q->dir, sc, &pr, &sum);
    cli_bar_finish(&bar);
    if (rc) {
        cli_fail(c);
        goto done;
    }
    cli_warnings(c);
    if (!(rec = cli_sidecar(c))) {
        out_of_memory(c);
        goto done;
    }
    bract_sidecar_set_num(rec, "ResidualDegreesOfFreedom", sum.residual_dof);
    bract_sidecar_count(rec, "runs", (int64_t)sum.nruns);
    bract_sidecar_count(rec, "voxels", (int64_t)sum.nvox);
    bract_sidecar_count(rec, "betas", (int64_t)sum.nbetas);
    bract_sidecar_count(rec, "censored_volumes", (int64_t)sum.ncensored);
    bract_sidecar_count(rec, "excluded_voxels_nonfinite", (int64_t)sum.nbad_nonfinite);
    bract_sidecar_count(rec, "excluded_voxels_constant", (int64_t)sum.nbad_constant);
    if (cli_dir_record(c, rec, q->dir, "the record of a bract glm run: every file listed in "
                       "Files is complete", (const char *const *)sum.files, sum.nfiles))
        goto done;
    cli_log(c, "%zu beta maps, %zu residual volumes (dof %g), %zu contrasts in %s", sum.nbetas,
            sum.nresid, sum.residual_dof, q->ncon, q->dir);
    for (size_t k = 0; k < sum.nsteps; k++)
        cli_log(c, "denoising, %s: median split-half reliability %.3f (%zu signal voxels%s)",
                sum.step[k], sum.reliability[k], sum.reliability_voxels,
                k == 0 ? "" : "; see diagnostics.tsv");
    status = CLI_OK;
done:
    bract_glm_summary_free(&sum);
    bract_sidecar_free(sc);
    bract_sidecar_free(rec);
    return status;
}

int main_glm(int argc, char **argv)
{
    cli_ctx c;
    cli_ctx_init(&c, "glm", NULL);
    args a;
    memset(&a, 0, sizeof a);
    bract_glm_opts_defaults(&a.o);
    bract_single_opts_defaults(&a.d);
    a.hrf_library = -1;
    int st = cli_parse(&c, &cli_spec_glm, &a, argc, argv);
    if (st != CLI_CONTINUE) {
        cli_args_free(&cli_spec_glm, &a);
        return st;
    }
    const size_t nruns = a.data.n;
    glm_request q = {.ncon = a.contrasts.n + a.fcontrasts.n};
    /* --denoise turns on every step, each flag one (or off) */
    if ((st = check_run_files(&c, &a, nruns)) || (st = confound_options(&c, &a, &q)) ||
        (st = design_options(&c, &a, &q)) ||
        (st = denoise_options(&c, &a, nruns)) ||
        (st = contrast_options(&c, &a, &q)))
        goto done;
    a.o.force = c.force;
    cli_apply(&c);
    if (!(st = run_files(&c, &a, nruns, &q)))
        st = run_glm(&c, &a, nruns, &q);
done:
    glm_request_clear(&q);
    cli_args_free(&cli_spec_glm, &a);
    return st;
}
