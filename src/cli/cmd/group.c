/* bract group: group maps from subject maps (one-sample, paired or two-sample t,
 * sign-flip FWE with max-t, TFCE and cluster extent, FDR, cluster table). */
#include "cli/cli.h"
#include "cli/opts.h"
#include "bract/outputs.h"
#include "bract/atlas.h"
#include "bract/sidecar.h"
#include "bract/tsv.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

CLI_ENUM_PARSER(bract_group_transform, bract_group_transform_parse)
CLI_ENUM_PARSER(bract_stats_alternative, bract_stats_alternative_parse)
CLI_ENUM_PARSER(bract_cluster_connectivity, bract_cluster_connectivity_parse)

typedef struct {
    cli_strlist maps, versus, group2, pstyle;
    const char *mask, *atlas, *labels, *outdir;
    bract_group_transform transform;
    double null_mean, cluster_p, cluster_t;
    bract_group_opts o;
} args;

static const cli_opt options[] = {
    CLI_GROUP("Input:"),
    CLI_LIST(0, "maps", args, maps, "MAP...",
             "subject maps, two or more (more MAPs may follow as\narguments)",
             .flags = CLI_REQUIRED),
    CLI_LIST(0, "versus", args, versus, "MAP...",
             "paired design: each subject's map of a second\n"
             "condition (another model, task or session), in the\n"
             "order of --maps; the test is of maps - versus\n"
             "(after the transform); more MAPs may follow"),
    CLI_LIST(0, "second-group", args, group2, "MAP...",
             "two independent groups: --maps are group 1,\n"
             "these group 2; pooled-variance t of mean 1 -\n"
             "mean 2, permutations relabel the subjects"),
    CLI_STRING(0, "mask", args, mask, "M", "voxels to test (nonzero), on the maps' grid",
               .flags = CLI_REQUIRED),
    CLI_ENUM(0, "transform", args, transform, bract_group_transform, "T",
             "fisher (correlation maps: z = atanh r) or none [fisher]"),
    CLI_DOUBLE(0, "null-mean", args, null_mean, -1e300, 1e300, "X",
               "mean under the null hypothesis, after the transform [0]"),
    CLI_GROUP("Tests:"),
    CLI_ENUM(0, "alternative", args, o.alternative, bract_stats_alternative, "A",
             "greater, less or two-sided [greater]"),
    CLI_SIZE(0, "permutations", args, o.permutations, 0, 100000000, "N",
             "sign flips (two groups: relabellings) for FWE p\n"
             "[5000]; 0: parametric maps only; every one when\n"
             "2^subjects (C(subjects, group 1)) <= N"),
    CLI_FLAG(0, "tfce", args, o.tfce, "threshold-free cluster enhancement of t, with its FWE p"),
    CLI_DOUBLE(0, "tfce-e", args, o.tfce_params.E, 1e-6, 100, "E", "TFCE extent exponent [0.5]"),
    CLI_DOUBLE(0, "tfce-h", args, o.tfce_params.H, 1e-6, 100, "H", "TFCE height exponent [2]"),
    CLI_DOUBLE(0, "tfce-dh", args, o.tfce_params.dh, 1e-6, 100, "DH", "TFCE threshold step [0.1]"),
    CLI_ENUM(0, "connectivity", args, o.connectivity, bract_cluster_connectivity, "C",
             "6, 18 or 26 neighbours for TFCE and clusters [26]"),
    CLI_DOUBLE(0, "cluster-p", args, cluster_p, 1e-300, 0.5, "P",
               "cluster-extent inference, clusters formed at\n"
               "uncorrected p < P (one- or two-sided as --alternative)"),
    CLI_DOUBLE(0, "cluster-t", args, cluster_t, 1e-300, 1e300, "T",
               "the same, clusters formed at t >= T (|t| if two-sided)"),
    CLI_DOUBLE(0, "alpha", args, o.alpha, 1e-300, 1, "A",
               "FWE or FDR level of the cluster table without a\n"
               "cluster-forming threshold [0.05]"),
    CLI_LIST(0, "p-style", args, pstyle, "STYLE...",
             "also write every p map as minus-log10 (-log10 p,\n"
             "nilearn's logp) or one-minus (1 - p, FSL's\n"
             "convention), as P_STYLE.nii.gz beside it [p: the p\n"
             "maps alone]"),
    CLI_GROUP("Labels:"),
    CLI_STRING(0, "atlas", args, atlas, "A", "label atlas naming the region of each cluster's peak"),
    CLI_STRING(0, "labels", args, labels, "L.tsv", "names of the atlas labels (columns index, name)"),
    CLI_GROUP("Output:"),
    CLI_STRING('o', "output", args, outdir, "DIR", "output directory (made if missing)",
               .flags = CLI_REQUIRED),
    CLI_END};

const cli_spec cli_spec_group = {
    "group", "Usage: bract group --maps MAP... --mask M.nii.gz -o DIR [options]",
    "Test subject maps (one 3-D map per subject on a common grid, such as\n"
    "searchlight correlation maps) voxel by voxel: one-sample t on Fisher z\n"
    "(with --versus, paired t on the differences of two conditions; with\n"
    "--second-group, two-sample t of two groups of subjects),\n"
    "parametric and FDR p, and with sign-flip permutations of whole maps\n"
    "family-wise error (FWE) corrected p by max-t, TFCE and cluster extent.\n"
    "Writes maps (NaN outside the voxels tested), a cluster table and JSON\n"
    "sidecars into DIR.",
    options, NULL};

/* What is written into DIR. */
enum {
    OUT_MEAN,
    OUT_T,
    OUT_P,
    OUT_P_FDR,
    OUT_P_FWE,
    OUT_TFCE,
    OUT_P_TFCE,
    OUT_P_CLUSTER,
    OUT_CLUSTERS_MAP,
    OUT_CLUSTERS_TSV,
    OUT_PERMUTATIONS,
    OUT_COUNT
};

static const char *const out_name[OUT_COUNT] = {
    BRACT_OUT_GROUP_MEAN,          BRACT_OUT_GROUP_T,        BRACT_OUT_GROUP_P,
    BRACT_OUT_GROUP_P_FDR,         BRACT_OUT_GROUP_P_FWE,    BRACT_OUT_GROUP_TFCE,
    BRACT_OUT_GROUP_P_TFCE_FWE,    BRACT_OUT_GROUP_P_CLUSTER_FWE, BRACT_OUT_GROUP_CLUSTERS,
    BRACT_OUT_GROUP_CLUSTER_TABLE, BRACT_OUT_GROUP_PERMUTATIONS};

static const char *const out_descr[OUT_COUNT] = {
    "mean over subjects of the transformed values",
    "one-sample t against the null mean",
    "parametric p of t (uncorrected)",
    "Benjamini-Hochberg FDR-adjusted p",
    "FWE-corrected p from the maximum of the statistic over voxels (max-t, permutations)",
    "TFCE of t (negative for the negative tail)",
    "FWE-corrected p from the maximum of TFCE over voxels (permutations)",
    ("FWE-corrected p of each voxel's cluster from the largest cluster over voxels "
     "(permutations)"),
    "clusters of the table, numbered as its rows",
    "clusters: size, peak and corrected p",
    "the maximum over voxels of each permutation's statistics"};

/* A run: the arguments, the outputs, and what is read and computed. */
typedef struct {
    cli_ctx c;
    args a;
    char *path[OUT_COUNT];
    int want[OUT_COUNT];
    int style[3];                 /* bract_stats_p_style: written (p always) */
    char *spath[OUT_COUNT][3];    /* the p maps in the other styles */
    char *sname[OUT_COUNT][3];    /* their names in DIR */
    char *dir;    /* outdir without trailing slashes */
    char *record; /* DIR.json: the sidecar of the whole run, written last */
    bract_group_data *d;
    bract_group_result *r;
    bract_atlas *atlas;
    bract_volume *ageom;
    bract_sidecar *s;
    const char *perms; /* "sign flips" or "relabellings" */
} run;

static void run_free(run *r)
{
    cli_args_free(&cli_spec_group, &r->a);
    for (int i = 0; i < OUT_COUNT; i++) {
        free(r->path[i]);
        for (int k = 0; k < 3; k++) {
            free(r->spath[i][k]);
            free(r->sname[i][k]);
        }
    }
    free(r->dir);
    free(r->record);
    bract_sidecar_free(r->s);
    bract_group_result_free(r->r);
    bract_group_data_free(r->d);
    bract_atlas_free(r->atlas);
    bract_volume_free(r->ageom);
}

/* Parse and check the command line; CLI_CONTINUE to go on. */
static int setup(run *r, int argc, char **argv)
{
    cli_ctx *c = &r->c;
    args *a = &r->a;
    cli_ctx_init(c, BRACT_CMD_GROUP, NULL);
    a->o = bract_group_opts_defaults();
    a->o.permutations = 5000;
    a->transform = BRACT_GROUP_FISHER;
    int st = cli_parse(c, &cli_spec_group, a, argc, argv);
    if (st != CLI_CONTINUE)
        return st;
    size_t nmaps = a->maps.n, nversus = a->versus.n, ngroup2 = a->group2.n;
    if (nversus && nversus != nmaps)
        return cli_usage_error(c,
                               "--versus gives %zu map%s but --maps %zu: a paired design needs "
                               "one map of each condition per subject, in the same order",
                               nversus, nversus == 1 ? "" : "s", nmaps);
    if (nversus && ngroup2)
        return cli_usage_error(c, "give --versus (paired) or --second-group (two groups), "
                                  "not both");
    if (nmaps < 2 && !ngroup2)
        return cli_usage_error(c, "a group test needs at least 2 subject maps (got 1: %s)",
                               a->maps.v[0]);
    if (ngroup2 && nmaps + ngroup2 < 3)
        return cli_usage_error(c, "a two-sample test needs at least 3 maps in all (got %zu "
                                  "and %zu)",
                               nmaps, ngroup2);
    if (!*a->outdir)
        return cli_usage_error(c, "no output directory given (-o DIR)");
    if (!a->o.tfce &&
        (cli_given(c, "tfce-e") || cli_given(c, "tfce-h") || cli_given(c, "tfce-dh")))
        return cli_usage_error(c, "--tfce-e, --tfce-h and --tfce-dh need --tfce");
    if (!(a->cluster_p < 0.5))
        return cli_usage_error(c, "--cluster-p must be below 0.5 (got %g)", a->cluster_p);
    if (a->cluster_p > 0 && a->cluster_t > 0)
        return cli_usage_error(c, "give --cluster-p or --cluster-t, not both");
    if (!(a->o.alpha < 1))
        return cli_usage_error(c, "--alpha must be below 1 (got %g)", a->o.alpha);
    if (a->labels && !a->atlas)
        return cli_usage_error(c, "--labels needs --atlas");
    r->style[BRACT_P_STYLE_P] = 1;
    for (size_t i = 0; i < a->pstyle.n; i++) {
        bract_stats_p_style ps;
        if (bract_stats_p_style_parse(a->pstyle.v[i], &ps))
            return cli_usage_error(c, "--p-style: %s", bract_last_error());
        r->style[ps] = 1;
    }
    a->o.seed = c->seed;
    if (a->cluster_t > 0) {
        a->o.cluster = 1;
        a->o.cluster_t = a->cluster_t;
    }
    int perm = a->o.permutations > 0, cluster = a->cluster_p > 0 || a->cluster_t > 0;
    const int want[OUT_COUNT] = {1, 1, 1, 1, perm, a->o.tfce, a->o.tfce && perm,
                                 cluster && perm, 1, 1, perm};
    memcpy(r->want, want, sizeof want);
    return CLI_CONTINUE;
}

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", name);
    return p;
}

/* The maps of p values (written in every --p-style). */
static int is_p_map(int k)
{
    return k == OUT_P || k == OUT_P_FDR || k == OUT_P_FWE || k == OUT_P_TFCE || k == OUT_P_CLUSTER;
}

/* "p_fwe.nii.gz" in style st: "p_fwe_minus-log10.nii.gz". */
static char *styled_name(const char *name, bract_stats_p_style st)
{
    const char *style = bract_stats_p_style_name(st);
    size_t stem = strlen(name) - strlen(".nii.gz"), n = strlen(name) + strlen(style) + 2;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%.*s_%s.nii.gz", (int)stem, name, style);
    return s;
}

/* The parent of DIR must exist (DIR itself is made later). */
static int check_parent(const cli_ctx *c, const char *outdir, const char *dir)
{
    struct stat st;
    char *parent = strdup(dir);
    if (!parent)
        return cli_error(c, "out of memory");
    char *slash = strrchr(parent, '/');
    const char *pd = slash ? (slash == parent ? "/" : (*slash = '\0', parent)) : ".";
    int rc = CLI_OK;
    if (!(stat(pd, &st) == 0 && S_ISDIR(st.st_mode)))
        rc = cli_error(c, "%s: cannot make the output directory: %s does not exist", outdir, pd);
    free(parent);
    return rc;
}

/* Outputs refused before any work: existing files without --force, an
 * output that is an input, a DIR that is not a directory. */
static int check_outputs(run *r)
{
    const cli_ctx *c = &r->c;
    const args *a = &r->a;
    struct stat st;
    r->dir = strdup(a->outdir);
    if (!r->dir)
        return cli_error(c, "out of memory");
    for (size_t n = strlen(r->dir); n > 1 && r->dir[n - 1] == '/';)
        r->dir[--n] = '\0';
    r->record = bract_sidecar_path(r->dir);
    if (!r->record)
        return cli_error(c, "out of memory");
    int exists = stat(r->dir, &st) == 0;
    if (exists && !S_ISDIR(st.st_mode))
        return cli_error(c, "%s: exists and is not a directory", a->outdir);
    if (!exists && check_parent(c, a->outdir, r->dir))
        return CLI_DATA_ERROR;
    const cli_strlist *lists[3] = {&a->maps, &a->versus, &a->group2};
    const char **inputs = calloc(a->maps.n + a->versus.n + a->group2.n + 3, sizeof *inputs);
    if (!inputs)
        return cli_error(c, "out of memory");
    size_t ni = 0;
    for (int l = 0; l < 3; l++)
        for (size_t i = 0; i < lists[l]->n; i++)
            inputs[ni++] = lists[l]->v[i];
    inputs[ni++] = a->mask;
    if (a->atlas)
        inputs[ni++] = a->atlas;
    if (a->labels)
        inputs[ni++] = a->labels;
    int rc = CLI_OK;
    if (bract_output_check(r->record, c->force) || bract_output_not_input(r->record, inputs, ni))
        rc = cli_fail(c);
    for (int k = 0; k < OUT_COUNT && !rc; k++) {
        if (!r->want[k])
            continue;
        r->path[k] = join(r->dir, out_name[k]);
        if (!r->path[k])
            rc = cli_error(c, "out of memory");
        else if (exists && (bract_output_not_input(r->path[k], inputs, ni) ||
                            /* what a killed run left (DIR.json is written last) */
                            bract_output_drop_leftover(r->path[k], r->record) < 0 ||
                            bract_output_check(r->path[k], c->force)))
            rc = cli_fail(c);
        for (int sty = 1; sty < 3 && !rc && is_p_map(k); sty++) {
            if (!r->style[sty])
                continue;
            r->sname[k][sty] = styled_name(out_name[k], (bract_stats_p_style)sty);
            r->spath[k][sty] = r->sname[k][sty] ? join(r->dir, r->sname[k][sty]) : NULL;
            if (!r->spath[k][sty])
                rc = cli_error(c, "out of memory");
            else if (exists && (bract_output_not_input(r->spath[k][sty], inputs, ni) ||
                                bract_output_drop_leftover(r->spath[k][sty], r->record) < 0 ||
                                bract_output_check(r->spath[k][sty], c->force)))
                rc = cli_fail(c);
        }
    }
    free(inputs);
    return rc;
}

/* Read the maps (and the atlas); the cluster-forming t of --cluster-p. */
static int load(run *r)
{
    const cli_ctx *c = &r->c;
    args *a = &r->a;
    int rc;
    cli_log(c, "reading %zu subject maps%s", a->maps.n, a->versus.n ? " and their pairs" : "");
    if (a->versus.n)
        rc = bract_group_read_paired(a->maps.v, a->versus.v, a->maps.n, a->mask, a->transform,
                                     a->null_mean, &r->d);
    else if (a->group2.n)
        rc = bract_group_read_two_sample(a->maps.v, a->maps.n, a->group2.v, a->group2.n, a->mask,
                                         a->transform, a->null_mean, &r->d);
    else
        rc = bract_group_read(a->maps.v, a->maps.n, a->mask, a->transform, a->null_mean, &r->d);
    cli_warnings(c);
    if (rc)
        return cli_fail(c);
    if (a->atlas) {
        if (bract_atlas_read(a->atlas, a->labels, NULL, &r->atlas, &r->ageom) ||
            bract_volume_same_grid(r->d->geom, r->ageom, 1e-3))
            return cli_fail(c);
        cli_warnings(c);
        a->o.atlas = r->atlas;
    }
    if (a->cluster_p > 0) {
        const bract_group_data *d = r->d;
        double q = a->o.alternative == BRACT_ALT_TWO_SIDED ? a->cluster_p / 2 : a->cluster_p;
        a->o.cluster = 1;
        a->o.cluster_t = bract_stats_t_isf(q, (double)(d->n1 ? d->nsub - 2 : d->nsub - 1));
    }
    return CLI_OK;
}

static int compute(run *r)
{
    const cli_ctx *c = &r->c;
    const bract_group_data *d = r->d;
    cli_log(c, "%zu subjects, %zu of %zu mask voxels tested", d->nsub, d->n, d->nmask);
    cli_bar bar;
    r->perms = d->n1 ? "relabellings" : "sign flips";
    cli_bar_start(&bar, c, r->perms);
    bract_progress prog = cli_bar_progress(&bar);
    int rc = bract_group_run(d, &r->a.o, &prog, &r->r);
    cli_bar_finish(&bar);
    if (rc)
        return cli_fail(c);
    cli_log(c, "%zu %s%s done; writing %s", r->r->nperm, r->perms,
            r->r->exhaustive ? " (all)" : "", r->a.outdir);
    return CLI_OK;
}

/* `name` is the intent name (up to 15 characters), `what` (NULL: name)
 * goes into the header's description. */
static int write_map(const cli_ctx *c, const bract_group_data *d, const double *values,
                     double fill, const char *path, int intent, double p1, const char *name,
                     const char *what)
{
    bract_volume *v;
    if (bract_group_volume(d, values, fill, &v))
        return cli_fail(c);
    char descrip[80];
    snprintf(descrip, sizeof descrip, "bract %s group: %s", bract_version(), what ? what : name);
    bract_volume_write_opts wo = {intent, {p1, 0, 0}, name, descrip, c->force};
    int rc = bract_volume_write(v, path, &wo);
    bract_volume_free(v);
    return rc ? cli_fail(c) : CLI_OK;
}

static int write_clusters_tsv(const run *run_, const bract_group_result *r)
{
    const cli_ctx *c = &run_->c;
    const args *a = &run_->a;
    const char *cols[] = {"cluster", "size_voxels", "size_mm3", "peak_x",    "peak_y",
                          "peak_z",  "peak_i",      "peak_j",   "peak_k",    "peak_t",
                          "p_corrected", "correction", "peak_label"};
    size_t ncols = a->atlas ? 13 : 12;
    bract_tsv_writer *w;
    if (bract_tsv_open(run_->path[OUT_CLUSTERS_TSV], c->force, ncols, cols, &w))
        return cli_fail(c);
    for (size_t i = 0; i < r->nclusters; i++) {
        const bract_group_cluster *cl = &r->clusters[i];
        bract_tsv_long(w, (long long)i + 1);
        bract_tsv_long(w, (long long)cl->size);
        bract_tsv_double(w, cl->volume_mm3);
        for (int k = 0; k < 3; k++)
            bract_tsv_double(w, cl->peak_mm[k]);
        for (int k = 0; k < 3; k++)
            bract_tsv_long(w, (long long)cl->peak_ijk[k]);
        bract_tsv_double(w, cl->peak_t);
        bract_tsv_double(w, cl->p);
        bract_tsv_str(w, bract_group_correction_name(r->correction));
        if (a->atlas)
            bract_tsv_str(w, cl->label ? cl->label : "n/a");
        bract_tsv_end_row(w);
    }
    return bract_tsv_commit(w) ? cli_fail(c) : CLI_OK;
}

static int write_permutations_tsv(const run *run_, const bract_group_result *r)
{
    const cli_ctx *c = &run_->c;
    const char *cols[4] = {"flip", "max_t", NULL, NULL};
    size_t nc = 2;
    if (r->null_max_tfce)
        cols[nc++] = "max_tfce";
    if (r->null_max_cluster)
        cols[nc++] = "max_cluster_size";
    bract_tsv_writer *w;
    if (bract_tsv_open(run_->path[OUT_PERMUTATIONS], c->force, nc, cols, &w))
        return cli_fail(c);
    for (size_t k = 0; k < r->nperm; k++) {
        bract_tsv_long(w, (long long)k + 1);
        bract_tsv_double(w, r->null_max_t[k]);
        if (r->null_max_tfce)
            bract_tsv_double(w, r->null_max_tfce[k]);
        if (r->null_max_cluster)
            bract_tsv_long(w, (long long)r->null_max_cluster[k]);
        bract_tsv_end_row(w);
    }
    return bract_tsv_commit(w) ? cli_fail(c) : CLI_OK;
}

static bract_sidecar *make_sidecar(const run *run_, const cli_ctx *c, const args *a,
                                   const bract_group_data *d, const bract_group_result *r)
{
    bract_sidecar *s = cli_sidecar(c);
    if (!s)
        return NULL;
    const bract_group_opts *o = &a->o;
    bract_sidecar_param_str(s, "design", bract_group_design_name(bract_group_data_design(d)));
    bract_sidecar_param_str(s, "transform", bract_group_transform_name(a->transform));
    bract_sidecar_param_num(s, "null_mean", a->null_mean);
    bract_sidecar_param_str(s, "alternative", bract_stats_alternative_name(o->alternative));
    bract_sidecar_param_int(s, "permutations", (int64_t)o->permutations);
    bract_sidecar_param_int(s, "permutations_used", (int64_t)r->nperm);
    bract_sidecar_param_bool(s, "exhaustive", r->exhaustive);
    bract_sidecar_param_int(s, "seed", (int64_t)o->seed);
    bract_sidecar_param_int(s, "connectivity", o->connectivity);
    bract_sidecar_param_bool(s, "tfce", o->tfce);
    if (o->tfce) {
        bract_sidecar_param_num(s, "tfce_E", o->tfce_params.E);
        bract_sidecar_param_num(s, "tfce_H", o->tfce_params.H);
        bract_sidecar_param_num(s, "tfce_dh", o->tfce_params.dh);
    }
    if (o->cluster) {
        if (a->cluster_p > 0)
            bract_sidecar_param_num(s, "cluster_p", a->cluster_p);
        bract_sidecar_param_num(s, "cluster_t", o->cluster_t);
    }
    bract_sidecar_param_num(s, "alpha", o->alpha);
    char styles[64] = "p";
    for (int st = 1; st < 3; st++)
        if (run_->style[st])
            snprintf(styles + strlen(styles), sizeof styles - strlen(styles), ",%s",
                     bract_stats_p_style_name((bract_stats_p_style)st));
    bract_sidecar_param_str(s, "p_style", styles);
    for (size_t i = 0; i < a->maps.n; i++)
        bract_sidecar_input(s, "maps", a->maps.v[i]);
    for (size_t i = 0; i < a->versus.n; i++)
        bract_sidecar_input(s, "versus", a->versus.v[i]);
    for (size_t i = 0; i < a->group2.n; i++)
        bract_sidecar_input(s, "second_group", a->group2.v[i]);
    bract_sidecar_input(s, "mask", a->mask);
    if (a->atlas)
        bract_sidecar_input(s, "atlas", a->atlas);
    if (a->labels)
        bract_sidecar_input(s, "labels", a->labels);
    bract_sidecar_count(s, "subjects", (int64_t)d->nsub);
    if (d->n1) {
        bract_sidecar_count(s, "group1_subjects", (int64_t)d->n1);
        bract_sidecar_count(s, "group2_subjects", (int64_t)(d->nsub - d->n1));
    }
    bract_sidecar_count(s, "mask_voxels", (int64_t)d->nmask);
    bract_sidecar_count(s, "tested_voxels", (int64_t)d->n);
    bract_sidecar_count(s, "excluded_nonfinite", (int64_t)d->excluded_nonfinite);
    bract_sidecar_count(s, "excluded_constant", (int64_t)d->excluded_constant);
    bract_sidecar_count(s, "excluded_equal_magnitude", (int64_t)d->excluded_flip);
    bract_sidecar_count(s, "clusters", (int64_t)r->nclusters);
    bract_sidecar_set_num(s, "DegreesOfFreedom", r->df);
    bract_sidecar_set_str(s, "ClusterTableCorrection", bract_group_correction_name(r->correction));
    if (r->nperm) {
        /* values above these are significant at alpha; null when none can be */
        bract_sidecar_set_num(s, "FWECriticalT", r->crit_t);
        if (o->tfce)
            bract_sidecar_set_num(s, "FWECriticalTFCE", r->crit_tfce);
        if (o->cluster)
            bract_sidecar_set_num(s, "FWECriticalClusterSize", r->crit_cluster);
    }
    return s;
}

/* Description of map k in its sidecar, by design. */
static const char *describe(const bract_group_data *d, int k)
{
    if (d->paired && k == OUT_MEAN)
        return "mean over subjects of the differences of the transformed values (paired)";
    if (d->paired && k == OUT_T)
        return "paired t: one-sample t of the differences against the null mean";
    if (d->n1 && k == OUT_MEAN)
        return "group 1's mean minus group 2's mean of the transformed values";
    if (d->n1 && k == OUT_T)
        return "two-sample t (pooled variance) of mean 1 - mean 2 against the null mean";
    return out_descr[k];
}

/* p map k (values) in the other --p-style styles, each with its sidecar. */
static int write_styled(run *r, int k, const double *values, const char *name)
{
    const cli_ctx *c = &r->c;
    const bract_group_data *d = r->d;
    for (int st = 1; st < 3; st++) {
        if (!r->style[st])
            continue;
        double *v = malloc((d->n ? d->n : 1) * sizeof *v);
        if (!v)
            return cli_error(c, "out of memory");
        bract_stats_p_style_apply((bract_stats_p_style)st, values, d->n, v);
        int minus_log = st == BRACT_P_STYLE_MINUS_LOG10;
        char descr[512], vname[80];
        snprintf(vname, sizeof vname, "%s %s", minus_log ? "-log10" : "1 -", name);
        int rc = write_map(c, d, v, NAN, r->spath[k][st],
                           minus_log ? BRACT_INTENT_LOG10PVAL : BRACT_INTENT_NONE, 0,
                           minus_log ? "-log10 p" : "1 - p", vname);
        free(v);
        if (rc)
            return rc;
        snprintf(descr, sizeof descr, "%s, as %s", describe(d, k),
                 minus_log ? "-log10 p (nilearn's logp: larger is more significant)"
                           : "1 - p (FSL's convention: larger is more significant)");
        bract_sidecar_set_str(r->s, "Description", descr);
        if ((rc = cli_sidecar_finish(c, r->s, r->spath[k][st])))
            return rc;
    }
    return CLI_OK;
}

/* Make DIR and write the maps, each with its sidecar. */
static int write_maps(run *r)
{
    const cli_ctx *c = &r->c;
    const bract_group_data *d = r->d;
    const bract_group_result *g = r->r;
    if (bract_output_make_dir(r->dir, NULL))
        return cli_fail(c);
    const int fish = r->a.transform == BRACT_GROUP_FISHER;
    const struct {
        int k;
        const double *values;
        int intent;
        double p1;
        const char *name;
    } maps[] = {
        {OUT_MEAN, g->mean, BRACT_INTENT_ESTIMATE, 0,
         d->paired ? (fish ? "mean Fisher z difference" : "mean difference")
                   : (fish ? "mean Fisher z" : "mean")},
        {OUT_T, g->t, BRACT_INTENT_TTEST, g->df, "t"},
        {OUT_P, g->p, BRACT_INTENT_PVAL, 0, "p uncorrected"},
        {OUT_P_FDR, g->p_fdr, BRACT_INTENT_PVAL, 0, "p FDR"},
        {OUT_P_FWE, g->p_fwe, BRACT_INTENT_PVAL, 0, "p FWE max-t"},
        {OUT_TFCE, g->tfce, BRACT_INTENT_NONE, 0, "TFCE"},
        {OUT_P_TFCE, g->p_tfce_fwe, BRACT_INTENT_PVAL, 0, "p FWE TFCE"},
        {OUT_P_CLUSTER, g->p_cluster_fwe, BRACT_INTENT_PVAL, 0, "p FWE cluster"},
    };
    if (!(r->s = make_sidecar(r, c, &r->a, d, g)))
        return cli_error(c, "out of memory");
    int rc;
    for (size_t i = 0; i < sizeof maps / sizeof *maps; i++) {
        int k = maps[i].k;
        if (!r->want[k])
            continue;
        if ((rc = write_map(c, d, maps[i].values, NAN, r->path[k], maps[i].intent, maps[i].p1,
                            maps[i].name, NULL)))
            return rc;
        bract_sidecar_set_str(r->s, "Description", describe(d, k));
        if ((rc = cli_sidecar_finish(c, r->s, r->path[k])))
            return rc;
        if (is_p_map(k) && (rc = write_styled(r, k, maps[i].values, maps[i].name)))
            return rc;
    }
    double *lab = malloc((d->n ? d->n : 1) * sizeof *lab);
    if (!lab)
        return cli_error(c, "out of memory");
    for (size_t v = 0; v < d->n; v++)
        lab[v] = (double)g->cluster[v];
    rc = write_map(c, d, lab, 0, r->path[OUT_CLUSTERS_MAP], BRACT_INTENT_LABEL, 0, "cluster",
                   NULL);
    free(lab);
    bract_sidecar_set_str(r->s, "Description", out_descr[OUT_CLUSTERS_MAP]);
    return rc ? rc : cli_sidecar_finish(c, r->s, r->path[OUT_CLUSTERS_MAP]);
}

/* The cluster and permutation tables, then DIR.json, the record of the run. */
static int write_tables(run *r)
{
    const cli_ctx *c = &r->c;
    int rc;
    bract_sidecar_set_str(r->s, "Description", out_descr[OUT_CLUSTERS_TSV]);
    if ((rc = write_clusters_tsv(r, r->r)) ||
        (rc = cli_sidecar_finish(c, r->s, r->path[OUT_CLUSTERS_TSV])))
        return rc;
    if (r->want[OUT_PERMUTATIONS]) {
        bract_sidecar_set_str(r->s, "Description", out_descr[OUT_PERMUTATIONS]);
        if ((rc = write_permutations_tsv(r, r->r)) ||
            (rc = cli_sidecar_finish(c, r->s, r->path[OUT_PERMUTATIONS])))
            return rc;
    }
    const char *files[3 * OUT_COUNT];
    size_t nf = 0;
    for (int k = 0; k < OUT_COUNT; k++)
        if (r->want[k]) {
            files[nf++] = out_name[k];
            for (int st = 1; st < 3; st++)
                if (r->sname[k][st])
                    files[nf++] = r->sname[k][st];
        }
    return cli_dir_record(c, r->s, r->dir,
                          "the record of a bract group run: every file listed in Files is "
                          "complete",
                          files, nf);
}

static void summary(const run *r)
{
    const bract_group_data *d = r->d;
    const bract_group_result *g = r->r;
    double alpha = r->a.o.alpha;
    size_t nsig = 0;
    for (size_t i = 0; i < g->nclusters; i++)
        nsig += g->clusters[i].p <= alpha;
    char design[64] = "";
    if (d->paired)
        snprintf(design, sizeof design, " (paired)");
    else if (d->n1)
        snprintf(design, sizeof design, " (%zu + %zu, two groups)", d->n1, d->nsub - d->n1);
    const char *every = !g->exhaustive ? "" : d->n1 ? " (every one)" : " (every flip)";
    printf("%zu subjects%s, %zu of %zu mask voxels tested, %zu %s%s\n", d->nsub, design, d->n,
           d->nmask, g->nperm, r->perms, every);
    printf("%zu cluster%s (%s), %zu with p <= %g; see %s\n", g->nclusters,
           g->nclusters == 1 ? "" : "s", bract_group_correction_name(g->correction), nsig, alpha,
           r->path[OUT_CLUSTERS_TSV]);
}

int main_group(int argc, char **argv)
{
    run r;
    memset(&r, 0, sizeof r);
    int rc = setup(&r, argc, argv);
    if (rc == CLI_CONTINUE) {
        cli_apply(&r.c);
        if (!(rc = check_outputs(&r)) && !(rc = load(&r)) && !(rc = compute(&r)) &&
            !(rc = write_maps(&r)) && !(rc = write_tables(&r)) && !r.c.quiet)
            summary(&r);
    }
    run_free(&r);
    return rc;
}
