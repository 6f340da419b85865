/* bract group: group maps from subject maps (one-sample, paired or two-sample t,
 * sign-flip FWE with max-t, TFCE and cluster extent, FDR, cluster table). */
#include "cli/cli.h"
#include "bract/outputs.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char usage_text[] =
    "Usage: bract group --maps MAP... --mask M.nii.gz -o DIR [options]\n"
    "\n"
    "Test subject maps (one 3-D map per subject on a common grid, such as\n"
    "searchlight correlation maps) voxel by voxel: one-sample t on Fisher z\n"
    "(with --versus, paired t on the differences of two conditions; with\n"
    "--second-group, two-sample t of two groups of subjects),\n"
    "parametric and FDR p, and with sign-flip permutations of whole maps\n"
    "family-wise error (FWE) corrected p by max-t, TFCE and cluster extent.\n"
    "Writes maps (NaN outside the voxels tested), a cluster table and JSON\n"
    "sidecars into DIR.\n"
    "\n"
    "Input:\n"
    "  -m, --maps MAP...      subject maps, two or more (more MAPs may follow as\n"
    "                         arguments)\n"
    "      --versus MAP...    paired design: each subject's map of a second\n"
    "                         condition (another model, task or session), in the\n"
    "                         order of --maps; the test is of maps - versus\n"
    "                         (after the transform); more MAPs may follow\n"
    "      --second-group MAP...  two independent groups: --maps are group 1,\n"
    "                         these group 2; pooled-variance t of mean 1 -\n"
    "                         mean 2, permutations relabel the subjects\n"
    "      --mask M           voxels to test (nonzero), on the maps' grid\n"
    "      --transform T      fisher (correlation maps: z = atanh r) or none [fisher]\n"
    "      --null-mean X      mean under the null hypothesis, after the transform [0]\n"
    "Tests:\n"
    "      --alternative A    greater, less or two-sided [greater]\n"
    "  -n, --permutations N   sign flips (two groups: relabellings) for FWE p\n"
    "                         [5000]; 0: parametric maps only; every one when\n"
    "                         2^subjects (C(subjects, group 1)) <= N\n"
    "      --tfce             threshold-free cluster enhancement of t, with its FWE p\n"
    "      --tfce-e E         TFCE extent exponent [0.5]\n"
    "      --tfce-h H         TFCE height exponent [2]\n"
    "      --tfce-dh DH       TFCE threshold step [0.1]\n"
    "      --connectivity C   6, 18 or 26 neighbours for TFCE and clusters [26]\n"
    "      --cluster-p P      cluster-extent inference, clusters formed at\n"
    "                         uncorrected p < P (one- or two-sided as --alternative)\n"
    "      --cluster-t T      the same, clusters formed at t >= T (|t| if two-sided)\n"
    "      --alpha A          FWE or FDR level of the cluster table without a\n"
    "                         cluster-forming threshold [0.05]\n"
    "Labels:\n"
    "      --atlas A          label atlas naming the region of each cluster's peak\n"
    "      --labels L.tsv     names of the atlas labels (columns index, name)\n"
    "Output:\n"
    "  -o, --output DIR       output directory (made if missing)\n"
    "\n" CLI_COMMON_HELP;

enum {
    OPT_MASK = OPT_FIRST_CMD,
    OPT_VERSUS,
    OPT_SECOND_GROUP,
    OPT_TRANSFORM,
    OPT_NULL_MEAN,
    OPT_ALTERNATIVE,
    OPT_TFCE,
    OPT_TFCE_E,
    OPT_TFCE_H,
    OPT_TFCE_DH,
    OPT_CONNECTIVITY,
    OPT_CLUSTER_P,
    OPT_CLUSTER_T,
    OPT_ALPHA,
    OPT_ATLAS,
    OPT_LABELS
};

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

typedef struct {
    const char **maps;
    size_t nmaps;
    const char **versus; /* paired design: the second condition's maps, or none */
    size_t nversus;
    const char **group2; /* two-sample design: group 2's maps, or none */
    size_t ngroup2;
    const char *mask, *atlas, *labels, *outdir;
    bract_group_transform transform;
    double null_mean;
    double cluster_p, cluster_t;
    bract_group_opts o;
    char *path[OUT_COUNT];
    int want[OUT_COUNT];
    char *dir;    /* outdir without trailing slashes */
    char *record; /* DIR.json: the sidecar of the whole run, written last */
} group_args;

static void free_args(group_args *a)
{
    free(a->maps);
    free(a->versus);
    free(a->group2);
    for (int i = 0; i < OUT_COUNT; i++)
        free(a->path[i]);
    free(a->dir);
    free(a->record);
}

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", name);
    return p;
}

/* Outputs refused before any work: existing files without --force, an
 * output that is an input, a DIR that is not a directory. */
static int check_outputs(const cli_ctx *c, group_args *a)
{
    struct stat st;
    a->dir = strdup(a->outdir);
    if (!a->dir)
        return cli_error(c, "out of memory");
    for (size_t n = strlen(a->dir); n > 1 && a->dir[n - 1] == '/';)
        a->dir[--n] = '\0';
    a->record = bract_sidecar_path(a->dir);
    if (!a->record)
        return cli_error(c, "out of memory");
    int exists = stat(a->dir, &st) == 0;
    if (exists && !S_ISDIR(st.st_mode))
        return cli_error(c, "%s: exists and is not a directory", a->outdir);
    if (!exists) {
        char *parent = strdup(a->dir);
        if (!parent)
            return cli_error(c, "out of memory");
        char *slash = strrchr(parent, '/');
        const char *pd = slash ? (slash == parent ? "/" : (*slash = '\0', parent)) : ".";
        int ok = stat(pd, &st) == 0 && S_ISDIR(st.st_mode);
        if (!ok) {
            int rc = cli_error(c, "%s: cannot make the output directory: %s does not exist",
                               a->outdir, pd);
            free(parent);
            return rc;
        }
        free(parent);
    }
    const char **inputs = calloc(a->nmaps + a->nversus + a->ngroup2 + 3, sizeof *inputs);
    if (!inputs)
        return cli_error(c, "out of memory");
    size_t ni = 0;
    for (size_t i = 0; i < a->nmaps; i++)
        inputs[ni++] = a->maps[i];
    for (size_t i = 0; i < a->nversus; i++)
        inputs[ni++] = a->versus[i];
    for (size_t i = 0; i < a->ngroup2; i++)
        inputs[ni++] = a->group2[i];
    inputs[ni++] = a->mask;
    if (a->atlas)
        inputs[ni++] = a->atlas;
    if (a->labels)
        inputs[ni++] = a->labels;
    int rc = CLI_OK;
    if (bract_output_check(a->record, c->force) ||
        bract_output_not_input(a->record, inputs, ni))
        rc = cli_fail(c);
    for (int k = 0; k < OUT_COUNT && !rc; k++) {
        if (!a->want[k])
            continue;
        a->path[k] = join(a->dir, out_name[k]);
        if (!a->path[k])
            rc = cli_error(c, "out of memory");
        else if (exists && (bract_output_check(a->path[k], c->force) ||
                            bract_output_not_input(a->path[k], inputs, ni)))
            rc = cli_fail(c);
    }
    free(inputs);
    return rc;
}

static int write_map(const cli_ctx *c, const bract_group_data *d, const double *values,
                     double fill, const char *path, int intent, double p1, const char *name)
{
    bract_volume *v;
    if (bract_group_volume(d, values, fill, &v))
        return cli_fail(c);
    char descrip[80];
    snprintf(descrip, sizeof descrip, "bract %s group: %s", bract_version(), name);
    bract_volume_write_opts wo = {intent, {p1, 0, 0}, name, descrip, c->force};
    int rc = bract_volume_write(v, path, &wo);
    bract_volume_free(v);
    return rc ? cli_fail(c) : CLI_OK;
}

static int write_clusters_tsv(const cli_ctx *c, const group_args *a,
                              const bract_group_result *r)
{
    const char *cols[] = {"cluster", "size_voxels", "size_mm3", "peak_x",    "peak_y",
                          "peak_z",  "peak_i",      "peak_j",   "peak_k",    "peak_t",
                          "p_corrected", "correction", "peak_label"};
    size_t ncols = a->atlas ? 13 : 12;
    bract_tsv_writer *w;
    if (bract_tsv_open(a->path[OUT_CLUSTERS_TSV], c->force, ncols, cols, &w))
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

static int write_permutations_tsv(const cli_ctx *c, const group_args *a,
                                  const bract_group_result *r)
{
    const char *cols[4] = {"flip", "max_t", NULL, NULL};
    size_t nc = 2;
    if (r->null_max_tfce)
        cols[nc++] = "max_tfce";
    if (r->null_max_cluster)
        cols[nc++] = "max_cluster_size";
    bract_tsv_writer *w;
    if (bract_tsv_open(a->path[OUT_PERMUTATIONS], c->force, nc, cols, &w))
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

static bract_sidecar *make_sidecar(const cli_ctx *c, const group_args *a,
                                   const bract_group_data *d, const bract_group_result *r)
{
    static const char *const alt_name[3] = {"two-sided", "greater", "less"};
    bract_sidecar *s = cli_sidecar(c);
    if (!s)
        return NULL;
    const bract_group_opts *o = &a->o;
    bract_sidecar_param_str(s, "design",
                            d->paired ? "paired" : d->n1 ? "two-sample" : "one-sample");
    bract_sidecar_param_str(s, "transform", a->transform == BRACT_GROUP_FISHER ? "fisher" : "none");
    bract_sidecar_param_num(s, "null_mean", a->null_mean);
    bract_sidecar_param_str(s, "alternative", alt_name[o->alternative]);
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
    for (size_t i = 0; i < a->nmaps; i++)
        bract_sidecar_input(s, "maps", a->maps[i]);
    for (size_t i = 0; i < a->nversus; i++)
        bract_sidecar_input(s, "versus", a->versus[i]);
    for (size_t i = 0; i < a->ngroup2; i++)
        bract_sidecar_input(s, "second_group", a->group2[i]);
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

static int parse(cli_ctx *c, int argc, char **argv, group_args *a)
{
    static const struct option longopts[] = {
        {"maps", required_argument, NULL, 'm'},
        {"versus", required_argument, NULL, OPT_VERSUS},
        {"second-group", required_argument, NULL, OPT_SECOND_GROUP},
        {"mask", required_argument, NULL, OPT_MASK},
        {"output", required_argument, NULL, 'o'},
        {"transform", required_argument, NULL, OPT_TRANSFORM},
        {"null-mean", required_argument, NULL, OPT_NULL_MEAN},
        {"alternative", required_argument, NULL, OPT_ALTERNATIVE},
        {"permutations", required_argument, NULL, 'n'},
        {"tfce", no_argument, NULL, OPT_TFCE},
        {"tfce-e", required_argument, NULL, OPT_TFCE_E},
        {"tfce-h", required_argument, NULL, OPT_TFCE_H},
        {"tfce-dh", required_argument, NULL, OPT_TFCE_DH},
        {"connectivity", required_argument, NULL, OPT_CONNECTIVITY},
        {"cluster-p", required_argument, NULL, OPT_CLUSTER_P},
        {"cluster-t", required_argument, NULL, OPT_CLUSTER_T},
        {"alpha", required_argument, NULL, OPT_ALPHA},
        {"atlas", required_argument, NULL, OPT_ATLAS},
        {"labels", required_argument, NULL, OPT_LABELS},
        CLI_COMMON_LONGOPTS,
        {NULL, 0, NULL, 0}};
    static const char *const transforms[] = {"fisher", "none", NULL};
    static const char *const alternatives[] = {"greater", "less", "two-sided", NULL};
    a->maps = calloc((size_t)argc, sizeof *a->maps);
    a->versus = calloc((size_t)argc, sizeof *a->versus);
    a->group2 = calloc((size_t)argc, sizeof *a->group2);
    if (!a->maps || !a->versus || !a->group2)
        return cli_error(c, "out of memory");
    int into = 0; /* the list that file names join: 0 maps, 1 versus, 2 second group */
    a->o = bract_group_defaults();
    a->o.permutations = 5000;
    a->transform = BRACT_GROUP_FISHER;
    int tfce_opt = 0;
    long v;
    int opt, k;
    /* "-": file names come back in order (as opt 1), so that those after
     * --versus join it and those after --maps join the maps */
    while ((opt = getopt_long(argc, argv, "-:m:o:n:h@:", longopts, NULL)) != -1) {
        if ((k = cli_common_option(c, opt, optarg)) == 2)
            return -1; /* --help printed */
        if (k < 0)
            return CLI_USAGE;
        if (k)
            continue;
        switch (opt) {
        case 1:
            if (into == 1)
                a->versus[a->nversus++] = optarg;
            else if (into == 2)
                a->group2[a->ngroup2++] = optarg;
            else
                a->maps[a->nmaps++] = optarg;
            break;
        case 'm':
            a->maps[a->nmaps++] = optarg;
            into = 0;
            break;
        case OPT_VERSUS:
            a->versus[a->nversus++] = optarg;
            into = 1;
            break;
        case OPT_SECOND_GROUP:
            a->group2[a->ngroup2++] = optarg;
            into = 2;
            break;
        case OPT_MASK: a->mask = optarg; break;
        case 'o': a->outdir = optarg; break;
        case OPT_TRANSFORM:
            if ((k = cli_parse_choice(c, "--transform", optarg, transforms)) < 0)
                return CLI_USAGE;
            a->transform = k == 0 ? BRACT_GROUP_FISHER : BRACT_GROUP_IDENTITY;
            break;
        case OPT_NULL_MEAN:
            if (cli_parse_double(c, "--null-mean", optarg, -1e300, 1e300, &a->null_mean))
                return CLI_USAGE;
            break;
        case OPT_ALTERNATIVE:
            if ((k = cli_parse_choice(c, "--alternative", optarg, alternatives)) < 0)
                return CLI_USAGE;
            a->o.alternative = k == 0 ? BRACT_ALT_GREATER
                               : k == 1 ? BRACT_ALT_LESS
                                        : BRACT_ALT_TWO_SIDED;
            break;
        case 'n':
            if (cli_parse_long(c, "--permutations", optarg, 0, 100000000, &v))
                return CLI_USAGE;
            a->o.permutations = (size_t)v;
            break;
        case OPT_TFCE: a->o.tfce = 1; break;
        case OPT_TFCE_E:
        case OPT_TFCE_H:
        case OPT_TFCE_DH: {
            double x;
            const char *name = opt == OPT_TFCE_E ? "--tfce-e" : opt == OPT_TFCE_H ? "--tfce-h"
                                                                                   : "--tfce-dh";
            if (cli_parse_double(c, name, optarg, 1e-6, 100, &x))
                return CLI_USAGE;
            if (opt == OPT_TFCE_E)
                a->o.tfce_params.E = x;
            else if (opt == OPT_TFCE_H)
                a->o.tfce_params.H = x;
            else
                a->o.tfce_params.dh = x;
            tfce_opt = 1;
            break;
        }
        case OPT_CONNECTIVITY:
            if (cli_parse_long(c, "--connectivity", optarg, 6, 26, &v))
                return CLI_USAGE;
            if (v != 6 && v != 18 && v != 26)
                return cli_usage_error(c, "--connectivity must be 6, 18 or 26 (got %ld)", v);
            a->o.connectivity = (int)v;
            break;
        case OPT_CLUSTER_P:
            if (cli_parse_double(c, "--cluster-p", optarg, 1e-300, 0.5, &a->cluster_p))
                return CLI_USAGE;
            if (!(a->cluster_p < 0.5))
                return cli_usage_error(c, "--cluster-p must be below 0.5 (got %g)", a->cluster_p);
            break;
        case OPT_CLUSTER_T:
            if (cli_parse_double(c, "--cluster-t", optarg, 1e-300, 1e300, &a->cluster_t))
                return CLI_USAGE;
            break;
        case OPT_ALPHA:
            if (cli_parse_double(c, "--alpha", optarg, 1e-300, 1, &a->o.alpha))
                return CLI_USAGE;
            if (!(a->o.alpha < 1))
                return cli_usage_error(c, "--alpha must be below 1 (got %g)", a->o.alpha);
            break;
        case OPT_ATLAS: a->atlas = optarg; break;
        case OPT_LABELS: a->labels = optarg; break;
        case ':': return cli_usage_error(c, "option %s needs a value", argv[optind - 1]);
        default: return cli_usage_error(c, "unknown option %s", argv[optind - 1]);
        }
    }
    for (int i = optind; i < argc; i++) /* after "--" */
        a->maps[a->nmaps++] = argv[i];
    if (a->nmaps == 0)
        return cli_usage_error(c, "no subject maps given (--maps MAP...)");
    if (a->nversus && a->nversus != a->nmaps)
        return cli_usage_error(c,
                               "--versus gives %zu map%s but --maps %zu: a paired design needs "
                               "one map of each condition per subject, in the same order",
                               a->nversus, a->nversus == 1 ? "" : "s", a->nmaps);
    if (a->nversus && a->ngroup2)
        return cli_usage_error(c, "give --versus (paired) or --second-group (two groups), "
                                  "not both");
    if (a->nmaps < 2 && !a->ngroup2)
        return cli_usage_error(c, "a group test needs at least 2 subject maps (got 1: %s)",
                               a->maps[0]);
    if (a->ngroup2 && a->nmaps + a->ngroup2 < 3)
        return cli_usage_error(c, "a two-sample test needs at least 3 maps in all (got %zu "
                                  "and %zu)",
                               a->nmaps, a->ngroup2);
    if (!a->mask)
        return cli_usage_error(c, "--mask is required");
    if (!a->outdir || !*a->outdir)
        return cli_usage_error(c, "no output directory given (-o DIR)");
    if (tfce_opt && !a->o.tfce)
        return cli_usage_error(c, "--tfce-e, --tfce-h and --tfce-dh need --tfce");
    if (a->cluster_p > 0 && a->cluster_t > 0)
        return cli_usage_error(c, "give --cluster-p or --cluster-t, not both");
    if (a->labels && !a->atlas)
        return cli_usage_error(c, "--labels needs --atlas");
    a->o.seed = c->seed;
    if (a->cluster_t > 0) {
        a->o.cluster = 1;
        a->o.cluster_t = a->cluster_t;
    }
    return CLI_OK;
}

int main_group(int argc, char **argv)
{
    cli_ctx c;
    cli_ctx_init(&c, BRACT_CMD_GROUP, usage_text);
    if (argc == 1) {
        fputs(usage_text, stdout);
        return CLI_USAGE;
    }
    group_args a;
    memset(&a, 0, sizeof a);
    int rc = parse(&c, argc, argv, &a);
    if (rc) {
        free_args(&a);
        return rc < 0 ? CLI_OK : rc;
    }
    cli_apply(&c);
    const bract_group_opts *o = &a.o;
    int perm = o->permutations > 0;
    int cluster = a.cluster_p > 0 || a.cluster_t > 0;
    const int want[OUT_COUNT] = {1, 1, 1, 1, perm, o->tfce, o->tfce && perm, cluster && perm,
                                 1, 1, perm};
    memcpy(a.want, want, sizeof want);
    bract_group_data *d = NULL;
    bract_group_result *r = NULL;
    bract_atlas *atlas = NULL;
    bract_volume *ageom = NULL;
    bract_sidecar *s = NULL;
    if ((rc = check_outputs(&c, &a)))
        goto done;

    cli_log(&c, "reading %zu subject maps%s", a.nmaps, a.nversus ? " and their pairs" : "");
    if (a.nversus)
        rc = bract_group_read_paired(a.maps, a.versus, a.nmaps, a.mask, a.transform, a.null_mean,
                                     &d);
    else if (a.ngroup2)
        rc = bract_group_read_two_sample(a.maps, a.nmaps, a.group2, a.ngroup2, a.mask,
                                         a.transform, a.null_mean, &d);
    else
        rc = bract_group_read(a.maps, a.nmaps, a.mask, a.transform, a.null_mean, &d);
    cli_warnings(&c);
    if (rc) {
        rc = cli_fail(&c);
        goto done;
    }
    if (a.atlas) {
        if (bract_atlas_read(a.atlas, a.labels, NULL, &atlas, &ageom) ||
            bract_volume_same_grid(d->geom, ageom, 1e-3)) {
            rc = cli_fail(&c);
            goto done;
        }
        cli_warnings(&c);
        a.o.atlas = atlas;
    }
    if (a.cluster_p > 0) {
        double q = o->alternative == BRACT_ALT_TWO_SIDED ? a.cluster_p / 2 : a.cluster_p;
        a.o.cluster = 1;
        a.o.cluster_t = bract_t_isf(q, (double)(d->n1 ? d->nsub - 2 : d->nsub - 1));
    }
    cli_log(&c, "%zu subjects, %zu of %zu mask voxels tested", d->nsub, d->n, d->nmask);
    cli_bar bar;
    const char *perms = d->n1 ? "relabellings" : "sign flips";
    cli_bar_start(&bar, &c, perms);
    bract_progress prog = cli_bar_progress(&bar);
    rc = bract_group_run(d, &a.o, &prog, &r);
    cli_bar_finish(&bar);
    if (rc) {
        rc = cli_fail(&c);
        goto done;
    }
    cli_log(&c, "%zu %s%s done; writing %s", r->nperm, perms,
            r->exhaustive ? " (all)" : "", a.outdir);

    if (bract_make_dir(a.dir, NULL)) {
        rc = cli_fail(&c);
        goto done;
    }
    const int fish = a.transform == BRACT_GROUP_FISHER;
    struct {
        int k;
        const double *values;
        int intent;
        double p1;
        const char *name;
    } maps[] = {
        {OUT_MEAN, r->mean, BRACT_INTENT_ESTIMATE, 0,
         d->paired ? (fish ? "mean Fisher z difference" : "mean difference")
                   : (fish ? "mean Fisher z" : "mean")},
        {OUT_T, r->t, BRACT_INTENT_TTEST, r->df, "t"},
        {OUT_P, r->p, BRACT_INTENT_PVAL, 0, "p uncorrected"},
        {OUT_P_FDR, r->p_fdr, BRACT_INTENT_PVAL, 0, "p FDR"},
        {OUT_P_FWE, r->p_fwe, BRACT_INTENT_PVAL, 0, "p FWE max-t"},
        {OUT_TFCE, r->tfce, BRACT_INTENT_NONE, 0, "TFCE"},
        {OUT_P_TFCE, r->p_tfce_fwe, BRACT_INTENT_PVAL, 0, "p FWE TFCE"},
        {OUT_P_CLUSTER, r->p_cluster_fwe, BRACT_INTENT_PVAL, 0, "p FWE cluster"},
    };
    if (!(s = make_sidecar(&c, &a, d, r))) {
        rc = cli_error(&c, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < sizeof maps / sizeof *maps; i++) {
        if (!a.want[maps[i].k])
            continue;
        if ((rc = write_map(&c, d, maps[i].values, NAN, a.path[maps[i].k], maps[i].intent,
                            maps[i].p1, maps[i].name)))
            goto done;
        const char *descr = out_descr[maps[i].k];
        if (d->paired && maps[i].k == OUT_MEAN)
            descr = "mean over subjects of the differences of the transformed values (paired)";
        else if (d->paired && maps[i].k == OUT_T)
            descr = "paired t: one-sample t of the differences against the null mean";
        else if (d->n1 && maps[i].k == OUT_MEAN)
            descr = "group 1's mean minus group 2's mean of the transformed values";
        else if (d->n1 && maps[i].k == OUT_T)
            descr = "two-sample t (pooled variance) of mean 1 - mean 2 against the null mean";
        bract_sidecar_set_str(s, "Description", descr);
        if ((rc = cli_sidecar_finish(&c, s, a.path[maps[i].k])))
            goto done;
    }
    double *lab = malloc((d->n ? d->n : 1) * sizeof *lab);
    if (!lab) {
        rc = cli_error(&c, "out of memory");
        goto done;
    }
    for (size_t v = 0; v < d->n; v++)
        lab[v] = (double)r->cluster[v];
    rc = write_map(&c, d, lab, 0, a.path[OUT_CLUSTERS_MAP], BRACT_INTENT_LABEL, 0, "cluster");
    free(lab);
    bract_sidecar_set_str(s, "Description", out_descr[OUT_CLUSTERS_MAP]);
    if (rc || (rc = cli_sidecar_finish(&c, s, a.path[OUT_CLUSTERS_MAP])))
        goto done;
    bract_sidecar_set_str(s, "Description", out_descr[OUT_CLUSTERS_TSV]);
    if ((rc = write_clusters_tsv(&c, &a, r)) ||
        (rc = cli_sidecar_finish(&c, s, a.path[OUT_CLUSTERS_TSV])))
        goto done;
    if (a.want[OUT_PERMUTATIONS]) {
        bract_sidecar_set_str(s, "Description", out_descr[OUT_PERMUTATIONS]);
        if ((rc = write_permutations_tsv(&c, &a, r)) ||
            (rc = cli_sidecar_finish(&c, s, a.path[OUT_PERMUTATIONS])))
            goto done;
    }
    {
        const char *files[OUT_COUNT];
        size_t nf = 0;
        for (int k = 0; k < OUT_COUNT; k++)
            if (a.want[k])
                files[nf++] = out_name[k];
        if ((rc = cli_dir_record(&c, s, a.dir, "the record of a bract group run: every file "
                                 "listed in Files is complete", files, nf)))
            goto done;
    }
    if (!c.quiet) {
        size_t nsig = 0;
        for (size_t i = 0; i < r->nclusters; i++)
            nsig += r->clusters[i].p <= o->alpha;
        char design[64] = "";
        if (d->paired)
            snprintf(design, sizeof design, " (paired)");
        else if (d->n1)
            snprintf(design, sizeof design, " (%zu + %zu, two groups)", d->n1, d->nsub - d->n1);
        const char *every = !r->exhaustive ? "" : d->n1 ? " (every one)" : " (every flip)";
        printf("%zu subjects%s, %zu of %zu mask voxels tested, %zu %s%s\n", d->nsub, design, d->n,
               d->nmask, r->nperm, perms, every);
        printf("%zu cluster%s (%s), %zu with p <= %g; see %s\n", r->nclusters,
               r->nclusters == 1 ? "" : "s", bract_group_correction_name(r->correction), nsig,
               o->alpha, a.path[OUT_CLUSTERS_TSV]);
    }
    rc = CLI_OK;
done:
    bract_sidecar_free(s);
    bract_group_result_free(r);
    bract_group_data_free(d);
    bract_atlas_free(atlas);
    bract_volume_free(ageom);
    free_args(&a);
    return rc;
}
