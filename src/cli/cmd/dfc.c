/* bract dfc: sliding-window dynamic functional connectivity, recurring
 * states, flexibility, and tests against phase-randomised surrogates. */
#include "cli/cli.h"
#include "cli/columns.h"
#include "cli/opts.h"
#include "cli/paths.h"
#include "bract/outputs.h"
#include "bract/sidecar.h"
#include "bract/tsv.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json.h>

/* A length given in volumes ("30") or seconds ("60s"). */
typedef struct {
    double value;
    int seconds;
    int given;
} span;

/* A positive length in volumes or seconds; whole volumes when `integer`. */
static int parse_span(const char *arg, int integer, span *out)
{
    size_t n = strlen(arg);
    char buf[64];
    double v;
    int sec = n > 0 && arg[n - 1] == 's';
    if (n == 0 || n >= sizeof buf)
        return bract_error(BRACT_EINVAL, "expected a number of volumes or seconds (e.g. 30 or "
                                         "60s), not '%s'", arg);
    memcpy(buf, arg, n + 1);
    if (sec)
        buf[n - 1] = '\0';
    if (bract_table_parse_double(buf, &v) || !isfinite(v) || v <= 0)
        return bract_error(BRACT_EINVAL, "expected a positive number of volumes or seconds (e.g. "
                                         "30 or 60s), not '%s'", arg);
    if (integer && !sec && v != floor(v))
        return bract_error(BRACT_EINVAL, "a length in volumes must be a whole number (got %s; "
                                         "add 's' for seconds)", arg);
    out->value = v;
    out->seconds = sec;
    out->given = 1;
    return 0;
}
static int parse_volumes(const char *arg, void *field) { return parse_span(arg, 1, field); }
static int parse_length(const char *arg, void *field) { return parse_span(arg, 0, field); }

/* --elbow KMIN-KMAX. */
typedef struct {
    size_t lo, hi;
} krange;

static int parse_range(const char *arg, void *field)
{
    krange *k = field;
    char *end;
    errno = 0;
    unsigned long a = strtoul(arg, &end, 10);
    if (end == arg || *end != '-' || errno)
        goto bad;
    const char *t = end + 1;
    unsigned long b = strtoul(t, &end, 10);
    if (end == t || *end || errno || a < 1 || b <= a || b > 100)
        goto bad;
    k->lo = a;
    k->hi = b;
    return 0;
bad:
    return bract_error(BRACT_EINVAL, "expected a range KMIN-KMAX with 1 <= KMIN < KMAX <= 100, "
                                     "not '%s'", arg);
}

/* --windows: what becomes of the windows. */
typedef enum { WIN_NONE, WIN_NPY, WIN_NPY_F16 } windows_file;

static int windows_file_parse(const char *s, windows_file *out)
{
    static const char *const names[] = {"none", "npy", "npy-float16"};
    for (int i = 0; i < 3; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = (windows_file)i;
            return 0;
        }
    return bract_error(BRACT_EINVAL, "unknown windows file format '%s' (expected one of none, "
                       "npy, npy-float16)", s);
}

CLI_ENUM_PARSER(windows_file, windows_file_parse)
CLI_ENUM_PARSER(bract_dfc_window, bract_dfc_window_parse)
CLI_ENUM_PARSER(bract_dfc_estimator, bract_dfc_estimator_parse)
CLI_ENUM_PARSER(bract_kmeans_metric, bract_kmeans_metric_parse)
CLI_ENUM_PARSER(bract_community_method, bract_community_method_parse)

typedef struct {
    const char *path;
    char *name;
    bract_tseries *ts;
    double *x;         /* kept regions, region-major */
    bract_dfc_plan *plan;
    size_t nwin, row0; /* windows, and the first of them in windows.npy */
    bract_dfc_stats *st;
    double *wmean, *wsd;
    double *edge_mean, *edge_sd, *smean, *ssd, *esdm, fcvar;
    double *flex, modularity;
    size_t *comm;      /* communities of the best run (nwin x nreg) */
    bract_surrogate_result *test;
} subject;

/* The output files, opened (as temporaries) before any work and committed
 * together at the end. */
enum {
    O_NPY,
    O_WINDOWS,
    O_EMEAN,
    O_ESD,
    O_REGIONS,
    O_SUMMARY,
    O_CENTROIDS,
    O_SEQUENCE,
    O_STATES,
    O_ELBOW,
    O_COMMUNITIES,
    O_TESTS,
    O_COUNT
};

typedef struct {
    const char *name; /* in DIR */
    const char *what; /* sidecar "Description" */
    char *path;       /* NULL when not written */
    bract_tsv_writer *tsv;
    bract_npy_writer *npy;
} output;

/* The run: its options (the table below fills them), the subjects, the
 * outputs, the results. */
typedef struct {
    cli_ctx c;
    /* options */
    cli_strlist data;
    cli_columns cols;
    const char *outdir;
    double tr;         /* --tr, then the inputs' TR */
    bract_dfc_opts dp;
    span window, step, sigma, alpha;
    size_t k, restarts, max_iter, cruns, surrogates;
    krange elbow;
    windows_file wfile;
    bract_kmeans_metric distance;
    int flex;
    bract_community_method community;
    double gamma, omega;
    /* inputs */
    size_t nsub, nreg, npairs, total;
    subject *sub;
    char **names;      /* kept region names */
    size_t *keep;      /* their columns in the inputs */
    size_t nexcluded;
    char **excluded;
    int made_dir;
    output out[O_COUNT];
    /* results */
    float *win;        /* all windows, when states or communities need them */
    bract_kmeans_opts kp;
    bract_kmeans_result *km;
    bract_kmeans_elbow_result *elb;
} run;

static const cli_opt options[] = {
    CLI_GROUP("Windows:"),
    CLI_LIST('d', "data", run, data, "FILE",
             "region time series; repeat for more subjects", .flags = CLI_REQUIRED),
    CLI_COLUMN_OPTIONS(run, cols),
    CLI_DOUBLE(0, "tr", run, tr, 1e-6, 1e6, "SEC",
               "repetition time [the input sidecar's RepetitionTime]"),
    CLI_CALLBACK(0, "window", run, window, parse_volumes, "N[s]",
                 "window length, volumes or seconds (e.g. 60s)", .flags = CLI_REQUIRED),
    CLI_CALLBACK(0, "step", run, step, parse_volumes, "N[s]",
                 "step between window starts [1 volume]"),
    CLI_ENUM(0, "taper", run, dp.window_type, bract_dfc_window, "KIND",
             "rect, gaussian (weighted Pearson, teneto) or gift\n"
             "(GIFT dFNC: Gaussian-convolved rectangle) [rect]"),
    CLI_CALLBACK(0, "sigma", run, sigma, parse_length, "N[s]",
                 "sd of the gaussian taper (required with it)"),
    CLI_CALLBACK(0, "alpha", run, alpha, parse_length, "N[s]",
                 "sd of the GIFT taper's Gaussian [3 volumes]"),
    CLI_ENUM(0, "estimator", run, dp.estimator, bract_dfc_estimator, "E",
             "pearson, ledoit-wolf (nilearn's shrunk\n"
             "correlation), glasso or glasso-partial [pearson]"),
    CLI_DOUBLE(0, "lambda", run, dp.lambda, 1e-12, 1e6, "X",
               "graphical-lasso penalty (glasso estimators)"),
    CLI_FLAG(0, "fisher", run, dp.fisher, "Fisher z (atanh) of the windowed values"),
    CLI_GROUP("States:"),
    CLI_SIZE(0, "states", run, k, 2, 1000, "K",
             "k-means states: state_centroids.tsv,\n"
             "state_sequence.tsv, state_summary.tsv"),
    CLI_CALLBACK(0, "elbow", run, elbow, parse_range, "KMIN-KMAX",
                 "k-means for each k of the range: elbow.tsv"),
    CLI_ENUM(0, "distance", run, distance, bract_kmeans_metric, "D",
             "l2 (squared Euclidean, means) or l1 (city block,\n"
             "medians, as Allen et al. 2014) [l2]"),
    CLI_SIZE(0, "restarts", run, restarts, 1, 100000, "N", "k-means++ starts [10]"),
    CLI_SIZE(0, "max-iter", run, max_iter, 1, 1000000, "N", "iterations per start [300]"),
    CLI_GROUP("Communities:"),
    CLI_FLAG(0, "flexibility", run, flex,
             "communities per window and each region's\n"
             "flexibility: communities.tsv"),
    CLI_ENUM(0, "community", run, community, bract_community_method, "M",
             "multilayer (Mucha et al. 2010, as Braun et al.\n"
             "2015) or layerwise [multilayer]"),
    CLI_DOUBLE(0, "gamma", run, gamma, 0, 1e6, "G", "resolution [1]"),
    CLI_DOUBLE(0, "omega", run, omega, 0, 1e6, "W", "coupling of consecutive windows [1]"),
    CLI_SIZE(0, "community-runs", run, cruns, 1, 100000, "N", "optimisations averaged [10]"),
    CLI_GROUP("Null model:"),
    CLI_SIZE(0, "surrogates", run, surrogates, 0, 10000000, "N",
             "phase-randomised surrogates per subject for\n"
             "surrogate_tests.tsv and edge p-values [0: none]"),
    CLI_GROUP("Output:"),
    CLI_STRING('o', "output", run, outdir, "DIR", "output directory (created if missing)",
               .flags = CLI_REQUIRED),
    CLI_ENUM(0, "windows", run, wfile, windows_file, "FORMAT",
             "windows.npy as npy (float32), npy-float16 (half\n"
             "the size) or none (not written) [npy]"),
    CLI_END};

const cli_spec cli_spec_dfc = {
    "dfc", "Usage: bract dfc --data TS.tsv [--data TS.tsv ...] --window N[s] -o DIR [options]",
    "Sliding-window connectivity of region time series (one TSV per subject,\n"
    "one column per region), its recurring states and each region's\n"
    "flexibility, and tests against phase-randomised surrogates.  DIR receives\n"
    "windows.npy, window_info.tsv, edge_mean.tsv, edge_std.tsv, regions.tsv and\n"
    "summary.tsv, plus the files of the options below.",
    options, NULL};

static void run_free(run *r)
{
    for (size_t s = 0; s < r->nsub; s++) {
        subject *u = &r->sub[s];
        free(u->name);
        bract_tseries_free(u->ts);
        free(u->x);
        bract_dfc_plan_free(u->plan);
        bract_dfc_stats_free(u->st);
        free(u->wmean);
        free(u->wsd);
        free(u->edge_mean);
        free(u->edge_sd);
        free(u->smean);
        free(u->ssd);
        free(u->esdm);
        free(u->flex);
        free(u->comm);
        bract_surrogate_result_free(u->test);
    }
    free(r->sub);
    free(r->names);
    free(r->keep);
    free(r->excluded);
    for (int i = 0; i < O_COUNT; i++) {
        bract_tsv_abort(r->out[i].tsv);
        bract_npy_abort(r->out[i].npy);
        free(r->out[i].path);
    }
    if (r->made_dir)
        rmdir(r->outdir); /* made by this run and left empty by the aborts */
    free(r->win);
    bract_kmeans_result_free(r->km);
    bract_kmeans_elbow_result_free(r->elb);
    cli_strlist_free(&r->data);
    cli_strlist_free(&r->cols.include);
    cli_strlist_free(&r->cols.exclude);
    cli_columns_free(&r->cols);
}

/* A BIDS name (sub-01_desc-clean_timeseries.tsv) gives its subject, others
 * their stem; load_subjects falls back to the stem, then the path, when
 * two files would share a name. */
static char *subject_name(const char *path)
{
    char *n = cli_file_stem(path);
    if (n && strncmp(n, "sub-", 4) == 0)
        n[strcspn(n, "_")] = '\0';
    return n;
}

/* A high-pass cut-off (Hz) recorded in the input's sidecar, or NaN. */
static double sidecar_high_pass(const char *path)
{
    char *sc = bract_sidecar_path(path);
    if (!sc)
        return NAN;
    double hp = NAN;
    if (access(sc, R_OK) == 0) {
        json_object *root = json_object_from_file(sc), *v, *par;
        /* bract clean writes Parameters.high_pass_hz */
        static const char *const keys[] = {"high_pass_hz", "HighPass", "high_pass", NULL};
        for (int pass = 0; root && pass < 2 && isnan(hp); pass++) {
            json_object *o = root;
            if (pass == 1) {
                if (!json_object_object_get_ex(root, "Parameters", &par))
                    break;
                o = par;
            }
            for (int i = 0; keys[i] && isnan(hp); i++)
                if (json_object_object_get_ex(o, keys[i], &v) &&
                    (json_object_is_type(v, json_type_double) ||
                     json_object_is_type(v, json_type_int)))
                    hp = json_object_get_double(v);
        }
        json_object_put(root);
    }
    free(sc);
    return hp > 0 ? hp : NAN;
}

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* Columns: fixed names then generated ones ("to_1", region names, ...). */
typedef struct {
    const char **v;
    size_t n;
    char **own;
    size_t nown;
} colset;

static void cols_add(colset *c, const char *s) { c->v[c->n++] = s; }
static void cols_addf(colset *c, const char *prefix, size_t i)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%s%zu", prefix, i);
    c->own[c->nown] = strdup(buf);
    c->v[c->n++] = c->own[c->nown++];
}
static void cols_free(colset *c)
{
    for (size_t i = 0; i < c->nown; i++)
        free(c->own[i]);
    free(c->own);
    free(c->v);
}
static int cols_init(colset *c, size_t cap)
{
    c->v = calloc(cap, sizeof *c->v);
    c->own = calloc(cap, sizeof *c->own);
    c->n = c->nown = 0;
    return c->v && c->own ? 0 : -1;
}

static void sidecar_common(const run *r, bract_sidecar *s)
{
    bract_sidecar_param_int(s, "window_volumes", (int64_t)r->dp.window);
    if (r->window.seconds)
        bract_sidecar_param_num(s, "window_s", r->window.value);
    bract_sidecar_param_int(s, "step_volumes", (int64_t)r->dp.step);
    bract_sidecar_param_str(s, "taper", bract_dfc_window_name(r->dp.window_type));
    if (r->dp.window_type == BRACT_WINDOW_GAUSSIAN)
        bract_sidecar_param_num(s, "sigma_volumes", r->dp.sigma);
    if (r->dp.window_type == BRACT_WINDOW_GIFT)
        bract_sidecar_param_num(s, "alpha_volumes", r->dp.alpha);
    bract_sidecar_param_str(s, "estimator", bract_dfc_estimator_name(r->dp.estimator));
    if (r->dp.estimator == BRACT_FC_GLASSO || r->dp.estimator == BRACT_FC_GLASSO_PARTIAL)
        bract_sidecar_param_num(s, "lambda", r->dp.lambda);
    bract_sidecar_param_bool(s, "fisher", r->dp.fisher);
    bract_sidecar_param_str(s, "window_alignment",
                            r->dp.window_type == BRACT_WINDOW_GIFT
                                ? "GIFT: window k covers volumes k+1..k+L at half maximum"
                                : "left-aligned: window k starts at volume k*step");
    if (r->tr > 0)
        bract_sidecar_set_num(s, "RepetitionTime", r->tr);
    if (r->k) {
        bract_sidecar_param_int(s, "states", (int64_t)r->k);
    }
    if (r->k || r->elbow.hi) {
        bract_sidecar_param_str(s, "distance", bract_kmeans_metric_name(r->distance));
        bract_sidecar_param_int(s, "restarts", (int64_t)r->restarts);
        bract_sidecar_param_int(s, "max_iter", (int64_t)r->max_iter);
    }
    if (r->elbow.hi) {
        bract_sidecar_param_int(s, "elbow_kmin", (int64_t)r->elbow.lo);
        bract_sidecar_param_int(s, "elbow_kmax", (int64_t)r->elbow.hi);
    }
    if (r->flex) {
        bract_sidecar_param_str(s, "community", bract_community_method_name(r->community));
        bract_sidecar_param_num(s, "gamma", r->gamma);
        if (r->community == BRACT_COMMUNITY_MULTILAYER)
            bract_sidecar_param_num(s, "omega", r->omega);
        bract_sidecar_param_int(s, "community_runs", (int64_t)r->cruns);
    }
    if (r->surrogates)
        bract_sidecar_param_int(s, "surrogates", (int64_t)r->surrogates);
    if (r->k || r->elbow.hi || r->flex || r->surrogates)
        bract_sidecar_param_int(s, "seed", (int64_t)r->c.seed);
    for (size_t i = 0; i < r->nsub; i++)
        bract_sidecar_input(s, "data", r->sub[i].path);
    cli_columns_sidecar(s, &r->cols);
    bract_sidecar_count(s, "subjects", (int64_t)r->nsub);
    bract_sidecar_count(s, "regions", (int64_t)r->nreg);
    bract_sidecar_count(s, "excluded_regions", (int64_t)r->nexcluded);
    bract_sidecar_count(s, "windows", (int64_t)r->total);
    json_object *arr = json_object_new_array();
    for (size_t i = 0; i < r->nreg; i++)
        json_object_array_add(arr, json_object_new_string(r->names[i]));
    bract_sidecar_set_json(s, "Regions", json_object_to_json_string(arr));
    json_object_put(arr);
    if (r->nexcluded) {
        arr = json_object_new_array();
        for (size_t i = 0; i < r->nexcluded; i++)
            json_object_array_add(arr, json_object_new_string(r->excluded[i]));
        bract_sidecar_set_json(s, "ExcludedRegions", json_object_to_json_string(arr));
        json_object_put(arr);
    }
    bract_sidecar_set_str(s, "PairOrder", "condensed upper triangle: pairs (i, j), i < j, "
                                          "row-major in the order of Regions (scipy squareform)");
    arr = json_object_new_array();
    for (size_t i = 0; i < r->nsub; i++) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "name", json_object_new_string(r->sub[i].name));
        json_object_object_add(o, "volumes", json_object_new_int64((int64_t)r->sub[i].ts->nt));
        json_object_object_add(o, "windows", json_object_new_int64((int64_t)r->sub[i].nwin));
        json_object_object_add(o, "first_row", json_object_new_int64((int64_t)r->sub[i].row0));
        json_object_array_add(arr, o);
    }
    bract_sidecar_set_json(s, "Subjects", json_object_to_json_string(arr));
    json_object_put(arr);
}

/* ---- pass 1: windows, streamed ---- */

typedef struct {
    run *r;
    subject *u;
    bract_npy_writer *npy;
} pass_ctx;

/* A block of windows: the summaries (on the library's threads), the copy
 * kept for states and communities, and windows.npy in large writes. */
static int window_sink(void *ctx, size_t k0, size_t n, const double *fc)
{
    pass_ctx *p = ctx;
    subject *u = p->u;
    size_t np = p->r->npairs;
    int rc = bract_dfc_stats_add_block(u->st, fc, n, &u->wmean[k0], &u->wsd[k0]);
    if (rc)
        return rc;
    if (p->r->win) {
        float *dst = p->r->win + (u->row0 + k0) * np;
        for (size_t e = 0; e < n * np; e++)
            dst[e] = (float)fc[e];
    }
    return p->npy ? bract_npy_write_rows(p->npy, fc, n) : BRACT_OK;
}

/* ---- the command ---- */

static double to_volumes(const run *r, span s) { return s.seconds ? s.value / r->tr : s.value; }

/* The options after parsing: what must hold together. */
static int check_options(run *r)
{
    cli_ctx *c = &r->c;
    const bract_dfc_opts *dp = &r->dp;
    if (!r->window.seconds && r->window.value < 3)
        return cli_usage_error(c, "--window must be at least 3 volumes (got %g): a windowed "
                               "correlation needs at least 3", r->window.value);
    if (dp->window_type == BRACT_WINDOW_GAUSSIAN && !r->sigma.given)
        return cli_usage_error(c, "--taper gaussian needs --sigma");
    if (dp->window_type != BRACT_WINDOW_GAUSSIAN && r->sigma.given)
        return cli_usage_error(c, "--sigma applies to --taper gaussian only");
    if (dp->window_type != BRACT_WINDOW_GIFT && r->alpha.given)
        return cli_usage_error(c, "--alpha applies to --taper gift only");
    int glasso = dp->estimator == BRACT_FC_GLASSO || dp->estimator == BRACT_FC_GLASSO_PARTIAL;
    if (glasso && !cli_given(c, "lambda"))
        return cli_usage_error(c, "--estimator %s needs --lambda",
                               bract_dfc_estimator_name(dp->estimator));
    if (!glasso && cli_given(c, "lambda"))
        return cli_usage_error(c, "--lambda applies to the glasso estimators only");
    if (dp->estimator == BRACT_FC_LEDOIT_WOLF && dp->window_type != BRACT_WINDOW_RECT)
        return cli_usage_error(c, "--estimator ledoit-wolf needs rectangular windows");
    if (!r->flex && (r->community != BRACT_COMMUNITY_MULTILAYER || r->cruns != 10))
        return cli_usage_error(c, "--community and --community-runs need --flexibility");
    if (!r->k && !r->elbow.hi &&
        (r->restarts != 10 || r->max_iter != 300 || r->distance != BRACT_DIST_L2))
        return cli_usage_error(c, "--distance, --restarts and --max-iter need --states or "
                               "--elbow");
    return CLI_OK;
}

/* Defaults, the command line, the checks: CLI_CONTINUE to go on. */
static int setup(run *r, int argc, char **argv)
{
    bract_dfc_opts_defaults(&r->dp);
    r->dp.lambda = NAN;
    r->restarts = 10;
    r->wfile = WIN_NPY;
    r->max_iter = 300;
    r->cruns = 10;
    r->gamma = r->omega = 1;
    int rc = cli_parse(&r->c, &cli_spec_dfc, r, argc, argv);
    if (rc != CLI_CONTINUE)
        return rc;
    return check_options(r) ? CLI_USAGE : CLI_CONTINUE;
}

/* ---- stages; each returns CLI_OK or an exit status after printing ---- */

static int load_inputs(run *r)
{
    cli_ctx *c = &r->c;
    size_t ndata = r->data.n;
    if (!(r->sub = calloc(ndata, sizeof *r->sub)))
        return cli_error(c, "out of memory");
    for (size_t s = 0; s < ndata; s++) {
        subject *u = &r->sub[s];
        u->path = r->data.v[s];
        r->nsub++;
        if (!(u->name = subject_name(u->path)))
            return cli_error(c, "out of memory");
        cli_log(c, "reading %s", u->path);
        if (bract_tseries_read(u->path, r->tr, &u->ts))
            return cli_fail(c);
        if (cli_columns_select(c, &r->cols, u->path, u->ts))
            return CLI_DATA_ERROR;
    }
    /* two files of one subject: their stems; two of one stem: the paths */
    for (int level = 0; level < 2; level++) {
        int clash = 0;
        for (size_t s = 1; s < r->nsub && !clash; s++)
            for (size_t t = 0; t < s && !clash; t++)
                clash = strcmp(r->sub[s].name, r->sub[t].name) == 0;
        if (!clash)
            break;
        for (size_t s = 0; s < r->nsub; s++) {
            free(r->sub[s].name);
            r->sub[s].name = level == 0 ? cli_file_stem(r->sub[s].path) : strdup(r->sub[s].path);
            if (!r->sub[s].name)
                return cli_error(c, "out of memory");
        }
    }
    const bract_tseries *t0 = r->sub[0].ts;
    for (size_t s = 1; s < r->nsub; s++) {
        const bract_tseries *ts = r->sub[s].ts;
        int same = ts->nreg == t0->nreg;
        for (size_t i = 0; same && i < ts->nreg; i++)
            same = strcmp(ts->name[i], t0->name[i]) == 0;
        if (!same)
            return cli_error(c, "%s and %s have different regions (expected the same columns "
                             "in the same order)", r->sub[0].path, r->sub[s].path);
    }
    r->tr = t0->tr;
    for (size_t s = 1; s < r->nsub; s++)
        if (fabs(r->sub[s].ts->tr - r->tr) > 1e-9 * r->tr)
            return cli_error(c, "%s has TR %g s but %s has %g s: give inputs with the same TR "
                             "(or --tr)", r->sub[s].path, r->sub[s].ts->tr, r->sub[0].path,
                             r->tr);
    return CLI_OK;
}

/* Window, step, sigma and alpha in volumes. */
static int resolve_lengths(run *r)
{
    int seconds = r->window.seconds || r->step.seconds || r->sigma.seconds || r->alpha.seconds;
    if (seconds && !(r->tr > 0))
        return cli_error(&r->c, "lengths in seconds need the repetition time: %s has no "
                         "RepetitionTime in its sidecar; give --tr", r->sub[0].path);
    double Lv = to_volumes(r, r->window);
    r->dp.window = (size_t)floor(Lv + 0.5);
    if (r->window.seconds && fabs(Lv - (double)r->dp.window) > 1e-6)
        bract_warn("a window of %g s is %g volumes at TR %g s: using %zu volumes",
                   r->window.value, Lv, r->tr, r->dp.window);
    if (r->step.given) {
        double sv = to_volumes(r, r->step);
        r->dp.step = (size_t)floor(sv + 0.5);
        if (r->dp.step < 1)
            r->dp.step = 1;
        if (r->step.seconds && fabs(sv - (double)r->dp.step) > 1e-6)
            bract_warn("a step of %g s is %g volumes at TR %g s: using %zu", r->step.value, sv,
                       r->tr, r->dp.step);
    }
    if (r->sigma.given)
        r->dp.sigma = to_volumes(r, r->sigma);
    if (r->alpha.given)
        r->dp.alpha = to_volumes(r, r->alpha);
    return CLI_OK;
}

/* A region unusable in any subject (non-finite values, constant) is
 * excluded from all, so that every subject has the same pairs. */
static int select_regions(run *r)
{
    cli_ctx *c = &r->c;
    const bract_tseries *t0 = r->sub[0].ts;
    size_t nall = t0->nreg;
    unsigned char *bad = calloc(nall, 1), *b1 = calloc(nall, 1);
    r->names = calloc(nall, sizeof *r->names);
    r->keep = calloc(nall, sizeof *r->keep);
    r->excluded = calloc(nall, sizeof *r->excluded);
    if (!bad || !b1 || !r->names || !r->keep || !r->excluded) {
        free(bad);
        free(b1);
        return cli_error(c, "out of memory");
    }
    for (size_t s = 0; s < r->nsub; s++) {
        const bract_tseries *ts = r->sub[s].ts;
        if (bract_dfc_bad_regions(ts->x, ts->nt, ts->nreg, (const char *const *)ts->name, b1)) {
            const char *const *w;
            size_t nw = bract_take_warnings(&w);
            if (!c->quiet)
                for (size_t i = 0; i < nw; i++)
                    fprintf(stderr, "bract dfc: warning: %s: %s\n", r->sub[s].path, w[i]);
        }
        for (size_t i = 0; i < nall; i++)
            bad[i] |= b1[i];
    }
    for (size_t i = 0; i < nall; i++) {
        if (bad[i]) {
            r->excluded[r->nexcluded++] = t0->name[i];
        } else {
            r->keep[r->nreg] = i;
            r->names[r->nreg++] = t0->name[i];
        }
    }
    free(bad);
    free(b1);
    if (r->nreg < 2)
        return cli_error(c, "%zu usable region%s (of %zu): connectivity needs at least 2",
                         r->nreg, r->nreg == 1 ? "" : "s", nall);
    r->npairs = r->nreg * (r->nreg - 1) / 2;
    return CLI_OK;
}

/* Every subject's plan, checked before anything is written. */
static int make_plans(run *r)
{
    cli_ctx *c = &r->c;
    for (size_t s = 0; s < r->nsub; s++) {
        subject *u = &r->sub[s];
        const bract_tseries *ts = u->ts;
        if (!(u->x = malloc(ts->nt * r->nreg * sizeof *u->x)))
            return cli_error(c, "out of memory");
        for (size_t j = 0; j < r->nreg; j++)
            memcpy(u->x + j * ts->nt, ts->x + r->keep[j] * ts->nt, ts->nt * sizeof *u->x);
        if (bract_dfc_plan_new(ts->nt, r->nreg, &r->dp, &u->plan))
            return cli_error(c, "%s: %s", u->path, bract_last_error());
        u->nwin = bract_dfc_nwindows(u->plan);
        u->row0 = r->total;
        r->total += u->nwin;
        if (r->flex && u->nwin < 2)
            return cli_error(c, "%s: 1 window: flexibility needs at least 2", u->path);
        /* Leonardi & Van De Ville 2015: fluctuations slower than the window
         * make windowed correlations vary even for a static process */
        double hp = sidecar_high_pass(u->path);
        if (!isnan(hp) && r->tr > 0) {
            double wsec = (double)r->dp.window * r->tr, fw = 1.0 / wsec;
            if (hp < fw)
                bract_warn("%s: high-pass cut-off %g Hz is below 1/window = %g Hz (window %g "
                           "s): fluctuations slower than the window inflate windowed "
                           "correlations; high-pass at %g Hz or more, or use a window of at "
                           "least %g s", u->path, hp, fw, wsec, fw, 1.0 / hp);
        }
    }
    if (r->k > r->total)
        return cli_error(c, "--states %zu but only %zu windows", r->k, r->total);
    if (r->elbow.hi > r->total)
        return cli_error(c, "--elbow up to %zu but only %zu windows", r->elbow.hi, r->total);
    if (r->surrogates && r->surrogates < 19)
        bract_warn("%zu surrogates: the smallest possible p-value is %.3g", r->surrogates,
                   1.0 / (double)(r->surrogates + 1));
    return CLI_OK;
}

static int open_output(run *r, int slot, const char *name, const char *what, colset *cs)
{
    output *o = &r->out[slot];
    o->name = name;
    o->what = what;
    if (!(o->path = join(r->outdir, name)))
        return cli_error(&r->c, "out of memory");
    const char **inputs = calloc(r->nsub, sizeof *inputs);
    if (!inputs)
        return cli_error(&r->c, "out of memory");
    for (size_t s = 0; s < r->nsub; s++)
        inputs[s] = r->sub[s].path;
    int bad = bract_output_not_input(o->path, inputs, r->nsub);
    free(inputs);
    char *rec = bad ? NULL : bract_sidecar_path(r->outdir);
    if (rec) /* what a killed run left (DIR.json is written last) */
        bract_output_drop_leftover(o->path, rec);
    free(rec);
    if (!bad)
        bad = cs ? bract_tsv_open(o->path, r->c.force, cs->n, cs->v, &o->tsv)
                 : bract_npy_open_dtype(o->path, r->c.force, r->total, r->npairs,
                                        r->wfile == WIN_NPY_F16 ? BRACT_NPY_F2 : BRACT_NPY_F4,
                                        &o->npy);
    if (cs)
        cs->n = 0;
    return bad ? cli_fail(&r->c) : CLI_OK;
}

static void cols_list(colset *cs, const char *const *names)
{
    for (int i = 0; names[i]; i++)
        cols_add(cs, names[i]);
}

/* Create DIR if needed and open every output as a temporary file (an
 * existing output without --force stops the run here, before any work). */
static int open_outputs(run *r)
{
    if (bract_output_make_dir(r->outdir, &r->made_dir))
        return cli_fail(&r->c);
    colset cs;
    if (cols_init(&cs, 64 + r->nreg + r->k))
        return cli_error(&r->c, "out of memory");
    int rc = r->wfile == WIN_NONE
                 ? CLI_OK
                 : open_output(r, O_NPY, BRACT_OUT_DFC_WINDOWS,
                               r->wfile == WIN_NPY_F16
                                   ? "windowed connectivity: float16 (IEEE half, rounded to "
                                     "nearest), windows x pairs (condensed order), subjects "
                                     "one after another (window_info.tsv maps rows to windows)"
                                   : "windowed connectivity: float32, windows x pairs "
                                     "(condensed order), subjects one after another "
                                     "(window_info.tsv maps rows to windows)",
                               NULL);
    static const char *const wcols[] = {"subject", "window", "npy_row", "first_volume",
                                        "last_volume", "centre_s", "mean_fc", "sd_fc", NULL};
    static const char *const ecols[] = {"subject", "region_a", "region_b", NULL};
    static const char *const rcols[] = {"subject", "region", "strength_mean", "strength_std",
                                        "edge_std_mean", NULL};
    static const char *const scols[] = {"subject", "volumes", "windows", "fc_variance",
                                        "edge_std_mean", NULL};
    if (!rc) {
        cols_list(&cs, wcols);
        rc = open_output(r, O_WINDOWS, BRACT_OUT_DFC_WINDOW_INFO,
                         "one row per window: its subject, number within the subject, row in "
                         "windows.npy, volumes (1-based, inclusive), centre time (s after the "
                         "first volume), mean and sd of its values over edges", &cs);
    }
    if (!rc) {
        cols_list(&cs, ecols);
        cols_add(&cs, "mean");
        rc = open_output(r, O_EMEAN, BRACT_OUT_DFC_EDGE_MEAN,
                         "per subject and edge: the mean of the windowed values", &cs);
    }
    if (!rc) {
        cols_list(&cs, ecols);
        cols_add(&cs, "std");
        if (r->surrogates) {
            cols_add(&cs, "null_mean");
            cols_add(&cs, "p");
            cols_add(&cs, "p_fdr");
        }
        rc = open_output(r, O_ESD, BRACT_OUT_DFC_EDGE_STD,
                         "per subject and edge: the sd (ddof 1) of the windowed values; with "
                         "surrogates its mean under the null, Monte-Carlo p (greater) and "
                         "Benjamini-Hochberg FDR across edges", &cs);
    }
    if (!rc) {
        cols_list(&cs, rcols);
        if (r->flex)
            cols_add(&cs, "flexibility");
        rc = open_output(r, O_REGIONS, BRACT_OUT_DFC_REGIONS,
                         "per subject and region: strength (its mean value with the other "
                         "regions in a window) averaged over windows and its sd, the mean sd "
                         "of its edges, and its flexibility", &cs);
    }
    if (!rc) {
        cols_list(&cs, scols);
        if (r->k)
            cols_add(&cs, "transitions");
        if (r->flex) {
            cols_add(&cs, "flexibility");
            cols_add(&cs, "modularity");
        }
        if (r->surrogates)
            cols_add(&cs, "dynamic_edges");
        rc = open_output(r, O_SUMMARY, BRACT_OUT_DFC_SUMMARY,
                         "per subject: volumes, windows, variance of windowed FC (mean over "
                         "edges of the variance over windows), mean edge sd, state "
                         "transitions, mean flexibility and modularity, edges with p_fdr <= "
                         "0.05", &cs);
    }
    if (!rc && r->k) {
        static const char *const ccols[] = {"state", "region_a", "region_b", "centroid", NULL};
        static const char *const qcols[] = {"subject", "window", "npy_row", "state",
                                            "distance", NULL};
        static const char *const mcols[] = {"subject", "state", "fraction",
                                            "mean_dwell_windows", "mean_dwell_s",
                                            "transitions", NULL};
        cols_list(&cs, ccols);
        rc = open_output(r, O_CENTROIDS, BRACT_OUT_DFC_STATE_CENTROIDS,
                         "per state (numbered by decreasing number of windows) and edge: the "
                         "k-means centroid", &cs);
        if (!rc) {
            cols_list(&cs, qcols);
            rc = open_output(r, O_SEQUENCE, BRACT_OUT_DFC_STATE_SEQUENCE,
                             "per window: its state and its k-means distance to the centroid",
                             &cs);
        }
        if (!rc) {
            cols_list(&cs, mcols);
            for (size_t j = 0; j < r->k; j++)
                cols_addf(&cs, "to_", j + 1);
            rc = open_output(r, O_STATES, BRACT_OUT_DFC_STATE_SUMMARY,
                             "per subject and state (GIFT dFNC definitions): fraction of "
                             "windows, mean dwell time in windows and seconds, the subject's "
                             "number of transitions, and the transition probabilities to each "
                             "state (rows of unvisited states: 1 on the diagonal)", &cs);
        }
    }
    if (!rc && r->elbow.hi) {
        static const char *const kcols[] = {"k", "objective", "ratio", "elbow", NULL};
        cols_list(&cs, kcols);
        rc = open_output(r, O_ELBOW, BRACT_OUT_DFC_ELBOW,
                         "per k: the k-means objective (sum of distances), GIFT's "
                         "within/between distance ratio, and 1 at the suggested elbow", &cs);
    }
    if (!rc && r->flex) {
        static const char *const fcols[] = {"subject", "window", "npy_row", NULL};
        cols_list(&cs, fcols);
        for (size_t i = 0; i < r->nreg; i++)
            cols_add(&cs, r->names[i]);
        rc = open_output(r, O_COMMUNITIES, BRACT_OUT_DFC_COMMUNITIES,
                         "per window: the community of each region in the run with the "
                         "highest modularity", &cs);
    }
    if (!rc && r->surrogates) {
        static const char *const tcols[] = {"subject", "statistic", "observed", "null_mean",
                                            "null_sd", "p", "surrogates", NULL};
        cols_list(&cs, tcols);
        rc = open_output(r, O_TESTS, BRACT_OUT_DFC_SURROGATE_TESTS,
                         "per subject: the variance of windowed FC (one-sided) and, with "
                         "states, the number of state switches (two-sided) against "
                         "phase-randomised surrogates", &cs);
    }
    cols_free(&cs);
    return rc;
}

/* Pass over the windows of every subject: windows.npy, summaries, and the
 * windows kept in memory when states or communities need them. */
static int compute_windows(run *r)
{
    cli_ctx *c = &r->c;
    if (r->k || r->elbow.hi || r->flex) {
        r->win = malloc(r->total * r->npairs * sizeof *r->win);
        if (!r->win)
            return cli_error(c, "out of memory keeping %zu windows of %zu pairs for states "
                             "and communities", r->total, r->npairs);
    }
    cli_bar bar;
    cli_bar_start(&bar, c, "windows");
    int rc = CLI_OK;
    for (size_t s = 0; s < r->nsub && !rc; s++) {
        subject *u = &r->sub[s];
        bract_dfc_stats_new(r->nreg, &u->st);
        u->wmean = malloc(u->nwin * sizeof *u->wmean);
        u->wsd = malloc(u->nwin * sizeof *u->wsd);
        u->edge_mean = malloc(r->npairs * sizeof *u->edge_mean);
        u->edge_sd = malloc(r->npairs * sizeof *u->edge_sd);
        u->smean = malloc(r->nreg * sizeof *u->smean);
        u->ssd = malloc(r->nreg * sizeof *u->ssd);
        u->esdm = malloc(r->nreg * sizeof *u->esdm);
        if (!u->st || !u->wmean || !u->wsd || !u->edge_mean || !u->edge_sd || !u->smean ||
            !u->ssd || !u->esdm) {
            rc = cli_error(c, "out of memory");
            break;
        }
        cli_log(c, "%s: %zu windows of %zu volumes", u->name, u->nwin, r->dp.window);
        pass_ctx pc = {r, u, r->out[O_NPY].npy};
        bract_progress prog = cli_bar_progress(&bar);
        if (bract_dfc_run_blocks(u->plan, u->x, (const char *const *)r->names, window_sink, &pc,
                                 &prog)) {
            rc = cli_error(c, "%s: %s", u->path, bract_last_error());
            break;
        }
        u->fcvar = bract_dfc_stats_result(u->st, u->edge_mean, u->edge_sd, u->smean, u->ssd,
                                          u->esdm);
    }
    cli_bar_finish(&bar);
    return rc;
}

static int compute_states(run *r)
{
    cli_ctx *c = &r->c;
    bract_kmeans_opts *kp = &r->kp;
    bract_kmeans_opts_defaults(kp);
    kp->distance = r->distance;
    kp->restarts = r->restarts;
    kp->max_iter = r->max_iter;
    kp->seed = c->seed;
    cli_bar bar;
    bract_progress prog;
    if (r->elbow.hi) {
        cli_bar_start(&bar, c, "elbow");
        prog = cli_bar_progress(&bar);
        cli_log(c, "k-means with k = %zu to %zu", r->elbow.lo, r->elbow.hi);
        int bad = bract_kmeans_elbow(r->win, r->total, r->npairs, kp, r->elbow.lo, r->elbow.hi,
                                     &r->elb, &prog);
        cli_bar_finish(&bar);
        if (bad)
            return cli_fail(c);
        if (!isnan(r->elb->breakpoint))
            cli_log(c, "elbow at k = %zu (break point %.3f)", r->elb->k, r->elb->breakpoint);
        else
            bract_warn("--elbow %zu-%zu: the elbow needs at least 4 values of k from 2 up; "
                       "none is suggested", r->elbow.lo, r->elbow.hi);
    }
    if (r->k) {
        kp->k = r->k;
        cli_bar_start(&bar, c, "k-means");
        prog = cli_bar_progress(&bar);
        cli_log(c, "k-means with k = %zu, %zu restarts", r->k, r->restarts);
        int bad = bract_kmeans(r->win, r->total, r->npairs, kp, &r->km, &prog);
        cli_bar_finish(&bar);
        if (bad)
            return cli_fail(c);
        if (!r->km->converged)
            bract_warn("k-means did not converge in %zu iterations (--max-iter)", r->max_iter);
    }
    return CLI_OK;
}

/* --community-runs optimisations per subject (bract_community_runs):
 * flexibility and modularity averaged over them, the communities of the
 * best; subject s's runs draw from the streams (s << 32) + i. */
static int subject_communities(run *r, size_t s)
{
    subject *u = &r->sub[s];
    bract_community_opts o;
    bract_community_opts_defaults(&o);
    o.method = r->community;
    o.gamma = r->gamma;
    o.omega = r->omega;
    o.runs = r->cruns;
    o.seed = r->c.seed;
    o.first_run = (uint64_t)s << 32;
    bract_community_result *res;
    if (bract_community_runs(r->win + u->row0 * r->npairs, r->nreg, u->nwin, &o, &res))
        return cli_error(&r->c, "%s: communities: %s", u->path, bract_last_error());
    u->flex = res->flexibility;
    u->comm = res->labels;
    u->modularity = res->modularity;
    res->flexibility = NULL;
    res->labels = NULL;
    bract_community_result_free(res);
    return CLI_OK;
}

static int compute_communities(run *r)
{
    cli_bar bar;
    cli_bar_start(&bar, &r->c, "communities");
    int rc = CLI_OK;
    for (size_t s = 0; s < r->nsub && !rc; s++) {
        cli_log(&r->c, "%s: %zu %s community optimisations", r->sub[s].name, r->cruns,
                bract_community_method_name(r->community));
        rc = subject_communities(r, s);
        cli_bar_update(&bar, s + 1, r->nsub);
    }
    cli_bar_finish(&bar);
    return rc;
}

static int compute_tests(run *r)
{
    bract_surrogate_opts tp = {r->surrogates, r->c.seed, 0, r->k ? &r->kp : NULL};
    for (size_t s = 0; s < r->nsub; s++) {
        subject *u = &r->sub[s];
        cli_bar bar;
        cli_bar_start(&bar, &r->c, "surrogates");
        bract_progress prog = cli_bar_progress(&bar);
        cli_log(&r->c, "%s: %zu surrogates", u->name, r->surrogates);
        tp.first_stream = (uint64_t)s << 32; /* each subject its own streams */
        int bad = bract_surrogate_test(u->plan, u->x, (const char *const *)r->names, &tp,
                                           &u->test, &prog);
        cli_bar_finish(&bar);
        if (bad)
            return cli_error(&r->c, "%s: %s", u->path, bract_last_error());
    }
    return CLI_OK;
}

/* ---- tables ---- */

static int write_edges(run *r, const subject *u, size_t *ndyn)
{
    bract_tsv_writer *wm = r->out[O_EMEAN].tsv, *ws = r->out[O_ESD].tsv;
    size_t np = r->npairs, ncol = u->test ? 5 : 2;
    *ndyn = 0;
    /* the numbers formatted first, on the library's threads: two tables of
     * a row per edge are mostly formatting */
    const double *col[5] = {u->edge_mean, u->edge_sd};
    if (u->test) {
        col[2] = u->test->edge_null_mean;
        col[3] = u->test->edge_p;
        col[4] = u->test->edge_p_fdr;
    }
    char(*text)[32] = malloc(ncol * np * sizeof *text);
    if (!text)
        return cli_error(&r->c, "out of memory formatting %zu edges", np);
    for (size_t c = 0; c < ncol; c++)
        bract_tsv_format_doubles(col[c], np, text + c * np);
    for (size_t i = 0, e = 0; i < r->nreg; i++)
        for (size_t j = i + 1; j < r->nreg; j++, e++) {
            bract_tsv_str(wm, u->name);
            bract_tsv_str(wm, r->names[i]);
            bract_tsv_str(wm, r->names[j]);
            bract_tsv_str(wm, text[e]);
            bract_tsv_end_row(wm);
            bract_tsv_str(ws, u->name);
            bract_tsv_str(ws, r->names[i]);
            bract_tsv_str(ws, r->names[j]);
            for (size_t c = 1; c < ncol; c++)
                bract_tsv_str(ws, text[c * np + e]);
            if (u->test)
                *ndyn += u->test->edge_p_fdr[e] <= 0.05;
            bract_tsv_end_row(ws);
        }
    free(text);
    return CLI_OK;
}

static void write_window_rows(run *r, const subject *u)
{
    bract_tsv_writer *w = r->out[O_WINDOWS].tsv;
    for (size_t k = 0; k < u->nwin; k++) {
        size_t first, last;
        bract_dfc_window_span(u->plan, k, &first, &last);
        bract_tsv_str(w, u->name);
        bract_tsv_long(w, (long long)k + 1);
        bract_tsv_long(w, (long long)(u->row0 + k));
        bract_tsv_long(w, (long long)first + 1);
        bract_tsv_long(w, (long long)last + 1);
        bract_tsv_double(w, r->tr > 0 ? r->tr * 0.5 * (double)(first + last) : NAN);
        bract_tsv_double(w, u->wmean[k]);
        bract_tsv_double(w, u->wsd[k]);
        bract_tsv_end_row(w);
    }
}

static int write_states(run *r, const subject *u, size_t *transitions)
{
    const size_t *lab = r->km->label + u->row0;
    size_t K = r->k;
    double *F = malloc(K * sizeof *F), *M = malloc(K * sizeof *M),
           *TM = malloc(K * K * sizeof *TM);
    int rc = !F || !M || !TM ? cli_error(&r->c, "out of memory") : CLI_OK;
    if (!rc && bract_states_stats(lab, u->nwin, K, F, M, transitions, TM))
        rc = cli_fail(&r->c);
    bract_tsv_writer *w = r->out[O_STATES].tsv, *q = r->out[O_SEQUENCE].tsv;
    for (size_t j = 0; j < K && !rc; j++) {
        bract_tsv_str(w, u->name);
        bract_tsv_long(w, (long long)j + 1);
        bract_tsv_double(w, F[j]);
        bract_tsv_double(w, M[j]);
        bract_tsv_double(w, r->tr > 0 ? M[j] * (double)r->dp.step * r->tr : NAN);
        bract_tsv_long(w, (long long)*transitions);
        for (size_t t = 0; t < K; t++)
            bract_tsv_double(w, TM[j * K + t]);
        bract_tsv_end_row(w);
    }
    for (size_t k = 0; k < u->nwin && !rc; k++) {
        bract_tsv_str(q, u->name);
        bract_tsv_long(q, (long long)k + 1);
        bract_tsv_long(q, (long long)(u->row0 + k));
        bract_tsv_long(q, (long long)lab[k] + 1);
        bract_tsv_double(q, r->km->dist[u->row0 + k]);
        bract_tsv_end_row(q);
    }
    free(F);
    free(M);
    free(TM);
    return rc;
}

static void write_tests(run *r, const subject *u)
{
    const bract_surrogate_result *t = u->test;
    bract_tsv_writer *w = r->out[O_TESTS].tsv;
    bract_tsv_str(w, u->name);
    bract_tsv_str(w, "fc_variance");
    bract_tsv_double(w, t->fcvar);
    bract_tsv_double(w, t->fcvar_null_mean);
    bract_tsv_double(w, t->fcvar_null_sd);
    bract_tsv_double(w, t->fcvar_p);
    bract_tsv_long(w, (long long)t->surrogates);
    bract_tsv_end_row(w);
    if (r->k) {
        bract_tsv_str(w, u->name);
        bract_tsv_str(w, "state_switches");
        bract_tsv_double(w, t->switches);
        bract_tsv_double(w, t->switches_null_mean);
        bract_tsv_double(w, t->switches_null_sd);
        bract_tsv_double(w, t->switches_p);
        bract_tsv_long(w, (long long)t->surrogates);
        bract_tsv_end_row(w);
    }
}

static int write_tables(run *r)
{
    cli_log(&r->c, "writing the tables");
    for (size_t s = 0; s < r->nsub; s++) {
        const subject *u = &r->sub[s];
        size_t ndyn, transitions = 0;
        write_window_rows(r, u);
        int erc = write_edges(r, u, &ndyn);
        if (erc)
            return erc;
        bract_tsv_writer *w = r->out[O_REGIONS].tsv;
        for (size_t i = 0; i < r->nreg; i++) {
            bract_tsv_str(w, u->name);
            bract_tsv_str(w, r->names[i]);
            bract_tsv_double(w, u->smean[i]);
            bract_tsv_double(w, u->ssd[i]);
            bract_tsv_double(w, u->esdm[i]);
            if (r->flex)
                bract_tsv_double(w, u->flex[i]);
            bract_tsv_end_row(w);
        }
        if (r->k) {
            int rc = write_states(r, u, &transitions);
            if (rc)
                return rc;
        }
        w = r->out[O_SUMMARY].tsv;
        bract_tsv_str(w, u->name);
        bract_tsv_long(w, (long long)u->ts->nt);
        bract_tsv_long(w, (long long)u->nwin);
        bract_tsv_double(w, u->fcvar);
        double m = 0;
        for (size_t e = 0; e < r->npairs; e++)
            m += u->edge_sd[e];
        bract_tsv_double(w, m / (double)r->npairs);
        if (r->k)
            bract_tsv_long(w, (long long)transitions);
        if (r->flex) {
            double f = 0;
            for (size_t i = 0; i < r->nreg; i++)
                f += u->flex[i];
            bract_tsv_double(w, f / (double)r->nreg);
            bract_tsv_double(w, u->modularity);
        }
        if (r->surrogates)
            bract_tsv_long(w, (long long)ndyn);
        bract_tsv_end_row(w);
        if (r->flex) {
            w = r->out[O_COMMUNITIES].tsv;
            for (size_t k = 0; k < u->nwin; k++) {
                bract_tsv_str(w, u->name);
                bract_tsv_long(w, (long long)k + 1);
                bract_tsv_long(w, (long long)(u->row0 + k));
                for (size_t i = 0; i < r->nreg; i++)
                    bract_tsv_long(w, (long long)u->comm[k * r->nreg + i]);
                bract_tsv_end_row(w);
            }
        }
        if (u->test)
            write_tests(r, u);
    }
    if (r->k)
        for (size_t j = 0; j < r->k; j++)
            for (size_t i = 0, e = 0; i < r->nreg; i++)
                for (size_t q = i + 1; q < r->nreg; q++, e++) {
                    bract_tsv_writer *w = r->out[O_CENTROIDS].tsv;
                    bract_tsv_long(w, (long long)j + 1);
                    bract_tsv_str(w, r->names[i]);
                    bract_tsv_str(w, r->names[q]);
                    bract_tsv_double(w, r->km->centroid[j * r->npairs + e]);
                    bract_tsv_end_row(w);
                }
    if (r->elb)
        for (size_t j = 0; j < r->elb->m; j++) {
            bract_tsv_writer *w = r->out[O_ELBOW].tsv;
            bract_tsv_long(w, (long long)(r->elb->kmin + j));
            bract_tsv_double(w, r->elb->objective[j]);
            bract_tsv_double(w, r->elb->ratio[j]);
            bract_tsv_long(w, r->elb->k == r->elb->kmin + j);
            bract_tsv_end_row(w);
        }
    return CLI_OK;
}

/* Every output: its sidecar, then the file, so that a killed run never
 * leaves a file without its sidecar (a rerun replaces what has one while
 * DIR.json, written last, is missing). */
static int commit_outputs(run *r)
{
    r->made_dir = 0; /* the directory now holds outputs */
    for (int i = 0; i < O_COUNT; i++) {
        output *o = &r->out[i];
        if (!o->path)
            continue;
        bract_sidecar *sc = cli_sidecar(&r->c);
        if (sc) {
            sidecar_common(r, sc);
            bract_sidecar_set_str(sc, "Description", o->what);
            if (r->elb && !isnan(r->elb->breakpoint)) {
                bract_sidecar_set_num(sc, "ElbowBreakPoint", r->elb->breakpoint);
                bract_sidecar_set_num(sc, "ElbowK", (double)r->elb->k);
            }
            if (i == O_NPY) {
                char shape[64];
                snprintf(shape, sizeof shape, "[%zu, %zu]", r->total, r->npairs);
                bract_sidecar_set_json(sc, "Shape", shape);
            }
        }
        int rc = cli_sidecar_finish(&r->c, sc, o->path);
        bract_sidecar_free(sc);
        if (rc)
            return rc;
        int bad = o->npy ? bract_npy_commit(o->npy) : bract_tsv_commit(o->tsv);
        o->npy = NULL;
        o->tsv = NULL;
        if (bad)
            return cli_fail(&r->c);
    }
    /* DIR.json last: the record of a complete run */
    const char *files[O_COUNT];
    size_t nf = 0;
    for (int i = 0; i < O_COUNT; i++)
        if (r->out[i].path) {
            const char *b = strrchr(r->out[i].path, '/');
            files[nf++] = b ? b + 1 : r->out[i].path;
        }
    bract_sidecar *sc = cli_sidecar(&r->c);
    if (sc)
        sidecar_common(r, sc);
    int rc = cli_dir_record(&r->c, sc, r->outdir,
                            "the record of a bract dfc run: every file listed in Files is "
                            "complete", files, nf);
    bract_sidecar_free(sc);
    return rc;
}

int main_dfc(int argc, char **argv)
{
    run R;
    memset(&R, 0, sizeof R);
    run *r = &R;
    cli_ctx_init(&r->c, BRACT_CMD_DFC, NULL);
    int rc = setup(r, argc, argv);
    if (rc != CLI_CONTINUE) {
        run_free(r);
        return rc;
    }
    cli_apply(&r->c);
    if (!(rc = load_inputs(r)) && !(rc = resolve_lengths(r)) && !(rc = select_regions(r)) &&
        !(rc = make_plans(r))) {
        cli_warnings(&r->c);
        if (!(rc = open_outputs(r)) && !(rc = compute_windows(r)) &&
            (!(r->k || r->elbow.hi) || !(rc = compute_states(r))) &&
            (!r->flex || !(rc = compute_communities(r))) &&
            (!r->surrogates || !(rc = compute_tests(r))) && !(rc = write_tables(r))) {
            cli_log(&r->c, "tables written; committing the outputs");
            rc = commit_outputs(r);
        }
        cli_warnings(&r->c);
    }
    run_free(r);
    return rc;
}
