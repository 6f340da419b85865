/* bract searchlight: searchlight RSA maps, one per model; under mpirun the
 * centres are shared among the ranks of cli_comm() and rank 0 writes. */
#include "cli/cli.h"
#include "cli/paths.h"
#include "cli/cmd/rdm.h"
#include "bract/outputs.h"

#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json.h>

static const char usage_text[] =
    "Usage: bract searchlight --data FILE... --conditions CONDS.tsv --mask MASK\n"
    "                         --model MODEL.tsv... -o MAP.nii.gz [options]\n"
    "\n"
    "Searchlight RSA: at every voxel of the mask, the RDM of the patterns in a\n"
    "sphere around it compared with each model RDM, giving one map per model.\n"
    "A voxel's value is what 'bract rdm neural' and 'bract rsa' give for the\n"
    "voxels of its sphere.  Run under mpirun, the ranks share the voxels.\n"
    "A file name may be followed by more file names (shell globs work).\n"
    "\n"
    "Inputs:\n"
    "      --data FILE...        a 4-D NIfTI series or 3-D maps, taken in order\n"
    "      --conditions FILE     conditions TSV: condition, optional run; one row per\n"
    "                            volume\n"
    "      --mask FILE           the centres, and the voxels the spheres may use\n"
    "  -m, --model FILE...       model RDM sets (every RDM in them is a model)\n"
    "      --control FILE...     RDM sets regressed out (partial pearson or spearman)\n"
    "      --noise FILE...       residual volumes for the noise precision\n"
    "Spheres:\n"
    "      --radius MM           voxels within MM millimetres of the centre [6]\n"
    "      --strict              distance < radius (rsatoolbox), not <=\n"
    "      --voxels N            about the N nearest usable voxels (CoSMoMVPA's\n"
    "                            rule) instead of a radius\n"
    "      --keep-outside        spheres also take voxels outside the mask\n"
    "      --min-voxels N        leave out centres with fewer usable voxels [2]\n"
    "      --min-proportion F    ... or with fewer than F times the voxels of a full\n"
    "                            sphere (of N with --voxels) [0.5]\n"
    "RDMs (as bract rdm neural):\n"
    "      --method NAME         euclidean, correlation, cosine, mahalanobis or\n"
    "                            crossnobis [correlation]\n"
    "      --plain               euclidean: |b_i - b_j|, not |b_i - b_j|^2 / voxels\n"
    "      --noise-method NAME   shrinkage_diag, shrinkage_eye, diag, full or\n"
    "                            identity [shrinkage_diag]\n"
    "      --noise-dof N         degrees of freedom of --noise residuals [rows - 1]\n"
    "      --rsatoolbox-dof      residual dof from the patterns as rsatoolbox's\n"
    "                            *_from_measurements: (conditions - 1) x runs\n"
    "      --exclude LABEL       leave out the volumes of a condition (repeatable)\n"
    "      --sort-conditions     order conditions by label, not by first appearance\n"
    "      --demean-runs         subtract each voxel's mean over its run first\n"
    "Comparison (as bract rsa):\n"
    "      --compare M           spearman, pearson, kendall, tau-a, rho-a, cosine,\n"
    "                            corr_cov or cosine_cov [spearman]\n"
    "      --partial             regress the other models (and --control) out\n"
    "      --nan POLICY          pairs the models miss: 'match' (none may be missing)\n"
    "                            or 'model' (ignored in the spheres' RDMs) [match]\n"
    "Output:\n"
    "  -o, --output FILE         the map (.nii or .nii.gz); with several models a 4-D\n"
    "                            map of them all and FILE_<model> per model\n"
    "      --fisher              also Fisher z = atanh(r) maps, FILE_z (correlations)\n"
    "      --counts FILE         map of the usable voxels in each centre's sphere\n"
    "\n" CLI_COMMON_HELP;

enum {
    OPT_DATA = OPT_FIRST_CMD,
    OPT_CONDITIONS,
    OPT_MASK,
    OPT_CONTROL,
    OPT_NOISE,
    OPT_RADIUS,
    OPT_STRICT,
    OPT_VOXELS,
    OPT_KEEP_OUTSIDE,
    OPT_MIN_VOXELS,
    OPT_MIN_PROP,
    OPT_METHOD,
    OPT_PLAIN,
    OPT_NOISE_METHOD,
    OPT_NOISE_DOF,
    OPT_RSA_DOF,
    OPT_EXCLUDE,
    OPT_SORT,
    OPT_DEMEAN,
    OPT_COMPARE,
    OPT_PARTIAL,
    OPT_NAN,
    OPT_FISHER,
    OPT_COUNTS
};

/* ---- ranks: the MPI part, kept here ---- */

typedef struct {
    int rank, size;
    int saved_out, saved_err; /* ranks other than 0 stay silent */
} ranks;

static void ranks_init(ranks *r)
{
    r->rank = 0;
    r->size = 1;
    r->saved_out = r->saved_err = -1;
#ifdef BRACT_HAVE_MPI
    MPI_Comm_rank(cli_comm(), &r->rank);
    MPI_Comm_size(cli_comm(), &r->size);
    if (r->rank != 0) {
        /* rank 0 reports for everyone (errors of other ranks reach it in
         * ranks_agree) */
        fflush(stdout);
        fflush(stderr);
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0) {
            r->saved_out = dup(STDOUT_FILENO);
            r->saved_err = dup(STDERR_FILENO);
            dup2(null, STDOUT_FILENO);
            dup2(null, STDERR_FILENO);
            close(null);
        }
    }
#endif
}

static void ranks_done(ranks *r)
{
    if (r->saved_out >= 0) {
        fflush(stdout);
        fflush(stderr);
        dup2(r->saved_out, STDOUT_FILENO);
        dup2(r->saved_err, STDERR_FILENO);
        close(r->saved_out);
        close(r->saved_err);
        r->saved_out = r->saved_err = -1;
    }
}

/* Every rank says whether it is fine; 1 when all are.  A rank that failed
 * hands its message to rank 0, which prints the first such rank's. */
static int ranks_agree(const ranks *r, const cli_ctx *c, int ok)
{
#ifdef BRACT_HAVE_MPI
    if (r->size > 1) {
        int all;
        MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, cli_comm());
        if (all)
            return 1;
        char msg[600] = "";
        if (!ok)
            snprintf(msg, sizeof msg, "%s", bract_last_error());
        char *every = r->rank == 0 ? malloc((size_t)r->size * sizeof msg) : NULL;
        int *oks = r->rank == 0 ? malloc((size_t)r->size * sizeof *oks) : NULL;
        MPI_Gather(msg, (int)sizeof msg, MPI_CHAR, every, (int)sizeof msg, MPI_CHAR, 0,
                   cli_comm());
        MPI_Gather(&ok, 1, MPI_INT, oks, 1, MPI_INT, 0, cli_comm());
        if (r->rank == 0 && ok && every && oks)
            for (int k = 1; k < r->size; k++)
                if (!oks[k]) {
                    cli_error(c, "rank %d: %s", k,
                              every[k * (int)sizeof msg] ? every + k * sizeof msg : "failed");
                    break;
                }
        free(every);
        free(oks);
        return 0;
    }
#else
    (void)r;
    (void)c;
#endif
    return ok;
}

/* Rank 0 collects every rank's centres [bounds[k], bounds[k+1]) in order. */
static int ranks_gather(const ranks *r, const size_t *bounds, size_t K, const double *vals,
                        const unsigned char *st, double *all_vals, unsigned char *all_st)
{
#ifdef BRACT_HAVE_MPI
    if (r->size > 1) {
        int *cnt = malloc(2 * (size_t)r->size * sizeof *cnt);
        int *disp = malloc(2 * (size_t)r->size * sizeof *disp);
        int ok = cnt && disp;
        for (int k = 0; ok && k < r->size; k++) {
            size_t n = bounds[k + 1] - bounds[k];
            if (n * K > (size_t)__INT_MAX__ || bounds[k] * K > (size_t)__INT_MAX__) {
                ok = 0;
                break;
            }
            cnt[k] = (int)(n * K);
            disp[k] = (int)(bounds[k] * K);
            cnt[r->size + k] = (int)n;
            disp[r->size + k] = (int)bounds[k];
        }
        int all;
        MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, cli_comm());
        if (all) {
            int me = r->rank;
            MPI_Gatherv(vals, cnt[me], MPI_DOUBLE, all_vals, cnt, disp, MPI_DOUBLE, 0,
                        cli_comm());
            MPI_Gatherv(st, cnt[r->size + me], MPI_UNSIGNED_CHAR, all_st, cnt + r->size,
                        disp + r->size, MPI_UNSIGNED_CHAR, 0, cli_comm());
        }
        free(cnt);
        free(disp);
        return all ? BRACT_OK
                   : bract_error(BRACT_ENOMEM, "too many centres to gather between ranks");
    }
#else
    (void)r;
#endif
    memcpy(all_vals, vals, (bounds[1] - bounds[0]) * K * sizeof *vals);
    memcpy(all_st, st, bounds[1] - bounds[0]);
    return BRACT_OK;
}

/* The first failing centre over all ranks, with its message, at rank 0. */
static void ranks_failure(const ranks *r, bract_sl_failure *f)
{
#ifdef BRACT_HAVE_MPI
    if (r->size > 1) {
        unsigned long long mine = f->centre, first;
        MPI_Allreduce(&mine, &first, 1, MPI_UNSIGNED_LONG_LONG, MPI_MIN, cli_comm());
        int holder = first != (unsigned long long)SIZE_MAX && mine == first ? r->rank : r->size;
        int who;
        MPI_Allreduce(&holder, &who, 1, MPI_INT, MPI_MIN, cli_comm());
        if (who < r->size && who != 0) {
            if (r->rank == who)
                MPI_Send(f->message, (int)sizeof f->message, MPI_CHAR, 0, 1, cli_comm());
            else if (r->rank == 0)
                MPI_Recv(f->message, (int)sizeof f->message, MPI_CHAR, who, 1, cli_comm(),
                         MPI_STATUS_IGNORE);
        }
        f->centre = (size_t)first;
    }
#else
    (void)r;
    (void)f;
#endif
}

/* Rank 0's exit status for every rank. */
static int ranks_status(const ranks *r, int status)
{
#ifdef BRACT_HAVE_MPI
    if (r->size > 1)
        MPI_Bcast(&status, 1, MPI_INT, 0, cli_comm());
#else
    (void)r;
#endif
    return status;
}

/* ---- outputs ---- */

/* FILE with `suffix` put before its .nii or .nii.gz. */
static char *with_suffix(const char *path, const char *suffix)
{
    size_t n = strlen(path), e = n;
    if (n > 7 && strcmp(path + n - 7, ".nii.gz") == 0)
        e = n - 7;
    else if (n > 4 && strcmp(path + n - 4, ".nii") == 0)
        e = n - 4;
    size_t len = n + strlen(suffix) + 1;
    char *s = malloc(len);
    if (s)
        snprintf(s, len, "%.*s%s%s", (int)e, path, suffix, path + e);
    return s;
}

/* A model name for a file name: letters, digits and ._+- kept, others '-'. */
static char *file_word(const char *name)
{
    size_t n = strlen(name);
    char *s = malloc(n + 2);
    if (!s)
        return NULL;
    s[0] = '_';
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)name[i];
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                 (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '+' || ch == '-';
        s[i + 1] = ok ? (char)ch : '-';
    }
    s[n + 1] = '\0';
    return s;
}

static int is_nifti_name(const char *p)
{
    size_t n = strlen(p);
    return (n > 4 && strcmp(p + n - 4, ".nii") == 0) ||
           (n > 7 && strcmp(p + n - 7, ".nii.gz") == 0);
}

static int is_correlation(bract_cmp_method m)
{
    return m != BRACT_CMP_COSINE && m != BRACT_CMP_COSINE_COV;
}

typedef struct {
    cli_strlist data, conds_l, models, controls, noise, exclude;
    const char *conds, *mask, *out, *counts;
    bract_rdm_opts ro;
    bract_sl_opts so;
    bract_cmp_opts co;
    bract_pattern_opts po;
    int sorted, plain, noise_method_set, fisher, radius_set;
    int dof_sidecar; /* the noise dof came from the residuals' sidecars */
} args;

static void args_free(args *a)
{
    free(a->data.v);
    free(a->models.v);
    free(a->controls.v);
    free(a->noise.v);
    free(a->exclude.v);
}

/* Parse argv into a; returns -1 to go on, else the exit status. */
static int parse(cli_ctx *c, args *a, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"data", required_argument, NULL, OPT_DATA},
        {"conditions", required_argument, NULL, OPT_CONDITIONS},
        {"mask", required_argument, NULL, OPT_MASK},
        {"model", required_argument, NULL, 'm'},
        {"control", required_argument, NULL, OPT_CONTROL},
        {"noise", required_argument, NULL, OPT_NOISE},
        {"radius", required_argument, NULL, OPT_RADIUS},
        {"strict", no_argument, NULL, OPT_STRICT},
        {"voxels", required_argument, NULL, OPT_VOXELS},
        {"keep-outside", no_argument, NULL, OPT_KEEP_OUTSIDE},
        {"min-voxels", required_argument, NULL, OPT_MIN_VOXELS},
        {"min-proportion", required_argument, NULL, OPT_MIN_PROP},
        {"method", required_argument, NULL, OPT_METHOD},
        {"plain", no_argument, NULL, OPT_PLAIN},
        {"noise-method", required_argument, NULL, OPT_NOISE_METHOD},
        {"noise-dof", required_argument, NULL, OPT_NOISE_DOF},
        {"rsatoolbox-dof", no_argument, NULL, OPT_RSA_DOF},
        {"exclude", required_argument, NULL, OPT_EXCLUDE},
        {"sort-conditions", no_argument, NULL, OPT_SORT},
        {"demean-runs", no_argument, NULL, OPT_DEMEAN},
        {"compare", required_argument, NULL, OPT_COMPARE},
        {"partial", no_argument, NULL, OPT_PARTIAL},
        {"nan", required_argument, NULL, OPT_NAN},
        {"fisher", no_argument, NULL, OPT_FISHER},
        {"counts", required_argument, NULL, OPT_COUNTS},
        {"output", required_argument, NULL, 'o'},
        CLI_COMMON_LONGOPTS,
        {NULL, 0, NULL, 0}};
    static const char *const methods[] = {"euclidean", "correlation", "cosine", "mahalanobis",
                                          "crossnobis", NULL};
    static const char *const noises[] = {"shrinkage_diag", "shrinkage_eye", "diag", "full",
                                         "identity", NULL};
    static const char *const compares[] = {"spearman", "pearson", "kendall",    "tau-a", "rho-a",
                                           "cosine",   "corr_cov", "cosine_cov", NULL};
    static const char *const nans[] = {"match", "model", NULL};
    cli_strlist *list = NULL; /* where bare file names go */
    long lv;
    double dv;
    int opt, k, partial = 0;
    while ((opt = getopt_long(argc, argv, "-:m:o:h@:", longopts, NULL)) != -1) {
        if ((k = cli_common_option(c, opt, optarg)) == 2)
            return CLI_OK;
        if (k < 0)
            return CLI_USAGE;
        if (k)
            continue;
        cli_strlist *push = NULL;
        switch (opt) {
        case 1:
            if (!list)
                return cli_usage_error(c, "'%s': give --data, --model, --control or --noise "
                                       "before file names", optarg);
            push = list;
            break;
        case OPT_DATA: push = list = &a->data; break;
        case 'm': push = list = &a->models; break;
        case OPT_CONTROL: push = list = &a->controls; break;
        case OPT_NOISE: push = list = &a->noise; break;
        case OPT_CONDITIONS: a->conds = optarg; list = NULL; break;
        case OPT_MASK: a->mask = optarg; list = NULL; break;
        case 'o': a->out = optarg; list = NULL; break;
        case OPT_COUNTS: a->counts = optarg; list = NULL; break;
        case OPT_RADIUS:
            if (cli_parse_double(c, "--radius", optarg, 1e-6, 1e6, &dv))
                return CLI_USAGE;
            a->so.radius_mm = dv;
            a->radius_set = 1;
            break;
        case OPT_STRICT: a->so.strict = 1; break;
        case OPT_VOXELS:
            if (cli_parse_long(c, "--voxels", optarg, 1, 100000000L, &lv))
                return CLI_USAGE;
            a->so.nvoxels = (size_t)lv;
            break;
        case OPT_KEEP_OUTSIDE: a->so.keep_outside = 1; break;
        case OPT_MIN_VOXELS:
            if (cli_parse_long(c, "--min-voxels", optarg, 1, 100000000L, &lv))
                return CLI_USAGE;
            a->so.min_voxels = (size_t)lv;
            break;
        case OPT_MIN_PROP:
            if (cli_parse_double(c, "--min-proportion", optarg, 0, 1, &dv))
                return CLI_USAGE;
            a->so.min_proportion = dv;
            break;
        case OPT_METHOD:
            if ((k = cli_parse_choice(c, "--method", optarg, methods)) < 0)
                return CLI_USAGE;
            a->ro.method = (bract_rdm_method)k;
            break;
        case OPT_PLAIN: a->plain = 1; break;
        case OPT_NOISE_METHOD:
            if ((k = cli_parse_choice(c, "--noise-method", optarg, noises)) < 0)
                return CLI_USAGE;
            a->ro.noise = (bract_noise_method)k;
            a->noise_method_set = 1;
            break;
        case OPT_NOISE_DOF:
            if (cli_parse_double(c, "--noise-dof", optarg, 1e-300, 1e15, &dv))
                return CLI_USAGE;
            a->ro.noise_dof = dv;
            break;
        case OPT_RSA_DOF: a->ro.dof_rule = BRACT_DOF_RSATOOLBOX; break;
        case OPT_EXCLUDE: push = &a->exclude; list = NULL; break;
        case OPT_SORT: a->sorted = 1; break;
        case OPT_DEMEAN: a->po.demean_runs = 1; break;
        case OPT_COMPARE:
            if ((k = cli_parse_choice(c, "--compare", optarg, compares)) < 0)
                return CLI_USAGE;
            a->co.method = (bract_cmp_method)k;
            break;
        case OPT_PARTIAL: partial = 1; break;
        case OPT_NAN:
            if ((k = cli_parse_choice(c, "--nan", optarg, nans)) < 0)
                return CLI_USAGE;
            a->co.nan_policy = k ? BRACT_NAN_MODEL_MASK : BRACT_NAN_MATCH;
            break;
        case OPT_FISHER: a->fisher = 1; break;
        case ':': return cli_usage_error(c, "option %s needs a value", argv[optind - 1]);
        default: return cli_usage_error(c, "unknown option %s", argv[optind - 1]);
        }
        if (push && cli_strlist_push(push, optarg))
            return cli_error(c, "out of memory");
    }
    if (!a->data.n)
        return cli_usage_error(c, "no --data given");
    if (!a->conds)
        return cli_usage_error(c, "no --conditions given (one row per volume of the data)");
    if (!a->mask)
        return cli_usage_error(c, "no --mask given (the centres of the spheres)");
    if (!a->models.n)
        return cli_usage_error(c, "no --model RDM set given");
    if (!a->out)
        return cli_usage_error(c, "no output given (-o MAP.nii.gz)");
    if (!is_nifti_name(a->out) || (a->counts && !is_nifti_name(a->counts)))
        return cli_usage_error(c, "maps are NIfTI files: name them .nii or .nii.gz (%s)",
                               is_nifti_name(a->out) ? a->counts : a->out);
    if (a->so.nvoxels && a->radius_set)
        return cli_usage_error(c, "give --radius or --voxels, not both");
    if (a->so.nvoxels && (a->so.strict || a->so.keep_outside))
        return cli_usage_error(c, "--strict and --keep-outside apply to --radius spheres "
                               "(CoSMoMVPA's --voxels rule takes mask voxels by distance)");
    if (cli_rdm_check_options(c, &a->ro, a->plain, a->noise.n, a->noise_method_set))
        return CLI_USAGE;
    if ((partial || a->controls.n) && a->co.method != BRACT_CMP_PEARSON &&
        a->co.method != BRACT_CMP_SPEARMAN)
        return cli_usage_error(c, "%s needs --compare pearson or spearman (not %s)",
                               partial ? "--partial" : "--control",
                               bract_cmp_method_name(a->co.method));
    a->co.partial = partial ? BRACT_PARTIAL_OTHERS
                    : a->controls.n ? BRACT_PARTIAL_CONTROLS
                                    : BRACT_PARTIAL_NONE;
    if (a->fisher && !is_correlation(a->co.method))
        return cli_usage_error(c, "--fisher applies to correlations, not to %s",
                               bract_cmp_method_name(a->co.method));
    return -1;
}

/* Model RDMs from the --model files: their names (the RDM's own, or
 * "<file stem>:<name>" when not unique). */
typedef struct {
    bract_rdmset **sets, **csets;
    size_t K, nc;
    const bract_rdm **rdm, **ctl;
    const char **file, **cfile;
    char **name;
} model_list;

static void models_free(model_list *m, size_t nfiles, size_t ncfiles)
{
    for (size_t i = 0; m->sets && i < nfiles; i++)
        bract_rdmset_free(m->sets[i]);
    for (size_t i = 0; m->csets && i < ncfiles; i++)
        bract_rdmset_free(m->csets[i]);
    for (size_t k = 0; m->name && k < m->K; k++)
        free(m->name[k]);
    free(m->sets);
    free(m->csets);
    free(m->rdm);
    free(m->ctl);
    free(m->file);
    free(m->cfile);
    free(m->name);
}

static int read_models(const args *a, model_list *m)
{
    memset(m, 0, sizeof *m);
    m->sets = calloc(a->models.n, sizeof *m->sets);
    m->csets = calloc(a->controls.n + 1, sizeof *m->csets);
    if (!m->sets || !m->csets)
        return bract_error(BRACT_ENOMEM, "out of memory");
    for (size_t i = 0; i < a->models.n; i++) {
        int rc = bract_rdmset_read(a->models.v[i], &m->sets[i]);
        if (rc)
            return rc;
        m->K += m->sets[i]->nrdm;
    }
    for (size_t i = 0; i < a->controls.n; i++) {
        int rc = bract_rdmset_read(a->controls.v[i], &m->csets[i]);
        if (rc)
            return rc;
        m->nc += m->csets[i]->nrdm;
    }
    m->rdm = calloc(m->K, sizeof *m->rdm);
    m->file = calloc(m->K, sizeof *m->file);
    m->name = calloc(m->K, sizeof *m->name);
    m->ctl = calloc(m->nc + 1, sizeof *m->ctl);
    m->cfile = calloc(m->nc + 1, sizeof *m->cfile);
    if (!m->rdm || !m->file || !m->name || !m->ctl || !m->cfile)
        return bract_error(BRACT_ENOMEM, "out of memory");
    size_t k = 0;
    for (size_t i = 0; i < a->models.n; i++)
        for (size_t j = 0; j < m->sets[i]->nrdm; j++, k++) {
            m->rdm[k] = &m->sets[i]->rdm[j];
            m->file[k] = a->models.v[i];
        }
    k = 0;
    for (size_t i = 0; i < a->controls.n; i++)
        for (size_t j = 0; j < m->csets[i]->nrdm; j++, k++) {
            m->ctl[k] = &m->csets[i]->rdm[j];
            m->cfile[k] = a->controls.v[i];
        }
    for (size_t i = 0; i < m->K; i++) {
        int dup = 0;
        for (size_t j = 0; j < m->K; j++)
            dup |= j != i && strcmp(m->rdm[i]->name, m->rdm[j]->name) == 0;
        if (!dup) {
            m->name[i] = strdup(m->rdm[i]->name);
        } else {
            char *st = cli_file_stem(m->file[i]);
            size_t len = (st ? strlen(st) : 0) + strlen(m->rdm[i]->name) + 2;
            if (st && (m->name[i] = malloc(len)))
                snprintf(m->name[i], len, "%s:%s", st, m->rdm[i]->name);
            free(st);
        }
        if (!m->name[i])
            return bract_error(BRACT_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < m->K; i++)
        for (size_t j = i + 1; j < m->K; j++)
            if (strcmp(m->name[i], m->name[j]) == 0)
                return bract_error(BRACT_EDATA, "two model RDMs are called '%s' (in %s and %s)",
                                   m->name[i], m->file[i], m->file[j]);
    return BRACT_OK;
}

/* The output files: map (and per-model maps), Fisher z maps. */
typedef struct {
    size_t n;
    char **path;      /* n */
    int *kind;        /* 0 map, 1 Fisher z */
    long *model;      /* model, or -1 for the 4-D stack */
} outputs;

static void outputs_free(outputs *o)
{
    for (size_t i = 0; i < o->n; i++)
        free(o->path[i]);
    free(o->path);
    free(o->kind);
    free(o->model);
}

static int plan_outputs(const args *a, const model_list *m, outputs *o)
{
    size_t K = m->K, per = a->fisher ? 2 : 1;
    size_t n = per * (K == 1 ? 1 : K + 1);
    o->n = 0;
    o->path = calloc(n, sizeof *o->path);
    o->kind = calloc(n, sizeof *o->kind);
    o->model = calloc(n, sizeof *o->model);
    if (!o->path || !o->kind || !o->model)
        return bract_error(BRACT_ENOMEM, "out of memory");
    for (size_t f = 0; f < per; f++)
        for (long k = K == 1 ? 0 : -1; k < (long)K; k++) {
            char *word = k < 0 || K == 1 ? strdup("") : file_word(m->name[k]);
            char suffix[16];
            snprintf(suffix, sizeof suffix, "%s", f ? "_z" : "");
            char *p1 = word ? with_suffix(a->out, word) : NULL;
            char *p = p1 ? with_suffix(p1, suffix) : NULL;
            free(word);
            free(p1);
            if (!p)
                return bract_error(BRACT_ENOMEM, "out of memory");
            o->path[o->n] = p;
            o->kind[o->n] = (int)f;
            o->model[o->n] = K == 1 ? 0 : k;
            o->n++;
        }
    for (size_t i = 0; i < o->n; i++)
        for (size_t j = i + 1; j < o->n; j++)
            if (strcmp(o->path[i], o->path[j]) == 0)
                return bract_error(BRACT_EDATA, "two outputs would be %s: rename a model",
                                   o->path[i]);
    return BRACT_OK;
}

/* Refuse outputs over inputs or existing files before any work. */
static int check_outputs(const cli_ctx *c, const args *a, const outputs *o)
{
    cli_strlist in = {0};
    const cli_strlist *lists[] = {&a->data, &a->models, &a->controls, &a->noise};
    for (int l = 0; l < 4; l++)
        for (size_t i = 0; i < lists[l]->n; i++)
            cli_strlist_push(&in, lists[l]->v[i]);
    cli_strlist_push(&in, a->conds);
    cli_strlist_push(&in, a->mask);
    int rc = BRACT_OK;
    for (size_t i = 0; i <= o->n && !rc; i++) {
        const char *p = i < o->n ? o->path[i] : a->counts;
        if (!p)
            continue;
        char *side = bract_sidecar_path(p);
        rc = bract_output_not_input(p, in.v, in.n) ||
             (side && bract_output_not_input(side, in.v, in.n)) ||
             bract_output_check(p, c->force) || (side && bract_output_check(side, c->force));
        free(side);
        if (!rc && a->counts && i < o->n && strcmp(o->path[i], a->counts) == 0)
            rc = bract_error(BRACT_EINVAL, "--counts names the map %s", a->counts);
    }
    free(in.v);
    return rc ? -1 : 0;
}

static const char *sphere_rule(const bract_sl_opts *so)
{
    if (so->nvoxels)
        return "count: about the N nearest usable voxels of the mask (CoSMoMVPA's rule)";
    return so->strict ? "radius: distance < radius in mm (rsatoolbox)"
                      : "radius: distance <= radius in mm (CoSMoMVPA, PyMVPA, RSA toolbox)";
}

typedef struct {
    size_t centres, computed, left_out, failed, undefined;
    size_t size_min, size_max;
    double size_mean;
    double radius_min, radius_max; /* count spheres: the radius reached */
} tally;

static void fill_sidecar(bract_sidecar *sc, const args *a, const model_list *m,
                         const bract_design *d, const bract_patterns *p, const bract_sl *sl,
                         const tally *t, const ranks *rk)
{
    bract_sidecar_param_str(sc, "sphere", sphere_rule(&a->so));
    if (a->so.nvoxels)
        bract_sidecar_param_int(sc, "voxels", (int64_t)a->so.nvoxels);
    else
        bract_sidecar_param_num(sc, "radius_mm", a->so.radius_mm);
    bract_sidecar_param_bool(sc, "strict", a->so.strict);
    bract_sidecar_param_bool(sc, "keep_outside", a->so.keep_outside);
    bract_sidecar_param_int(sc, "min_voxels", (int64_t)(a->so.min_voxels ? a->so.min_voxels : 2));
    bract_sidecar_param_num(sc, "min_proportion", a->so.min_proportion);
    bract_sidecar_param_str(sc, "method", bract_rdm_method_name(a->ro.method));
    bract_sidecar_param_str(sc, "convention", cli_rdm_convention(&a->ro));
    cli_rdm_sidecar_noise(sc, &a->ro, a->noise.n, ", within each sphere");
    if (a->dof_sidecar)
        bract_sidecar_param_str(sc, "dof_rule", "ResidualDegreesOfFreedom of the residuals' "
                                "sidecars (bract glm)");
    bract_sidecar_param_str(sc, "compare", bract_cmp_method_name(a->co.method));
    bract_sidecar_param_str(sc, "partial", a->co.partial == BRACT_PARTIAL_OTHERS ? "other models"
                                           : a->co.partial == BRACT_PARTIAL_CONTROLS ? "controls"
                                                                                    : "none");
    bract_sidecar_param_str(sc, "nan", a->co.nan_policy == BRACT_NAN_MATCH ? "match" : "model");
    bract_sidecar_param_str(sc, "condition_order",
                            a->sorted ? "sorted by label" : "first appearance");
    bract_sidecar_param_bool(sc, "demean_runs", a->po.demean_runs);
    for (size_t i = 0; i < a->data.n; i++)
        bract_sidecar_input(sc, "data", a->data.v[i]);
    bract_sidecar_input(sc, "conditions", a->conds);
    bract_sidecar_input(sc, "mask", a->mask);
    for (size_t i = 0; i < a->models.n; i++)
        bract_sidecar_input(sc, "model", a->models.v[i]);
    for (size_t i = 0; i < a->controls.n; i++)
        bract_sidecar_input(sc, "control", a->controls.v[i]);
    for (size_t i = 0; i < a->noise.n; i++)
        bract_sidecar_input(sc, "noise", a->noise.v[i]);
    bract_sidecar_count(sc, "volumes", (int64_t)d->nvol);
    bract_sidecar_count(sc, "excluded_volumes", (int64_t)d->nexcluded);
    bract_sidecar_count(sc, "conditions", (int64_t)d->ncond);
    bract_sidecar_count(sc, "runs", (int64_t)d->nrun);
    bract_sidecar_count(sc, "pattern_rows", (int64_t)d->nobs);
    bract_sidecar_count(sc, "voxels_read", (int64_t)p->nvox_region);
    bract_sidecar_count(sc, "excluded_voxels_nonfinite", (int64_t)p->dropped_nonfinite);
    bract_sidecar_count(sc, "excluded_voxels_constant", (int64_t)p->dropped_constant);
    bract_sidecar_count(sc, "centres", (int64_t)t->centres);
    bract_sidecar_count(sc, "centres_computed", (int64_t)t->computed);
    bract_sidecar_count(sc, "centres_left_out", (int64_t)t->left_out);
    bract_sidecar_count(sc, "centres_failed", (int64_t)t->failed);
    bract_sidecar_count(sc, "centres_undefined", (int64_t)t->undefined);
    json_object *sz = json_object_new_object();
    if (!a->so.nvoxels)
        json_object_object_add(sz, "full_sphere", json_object_new_int64(
                                                      (int64_t)bract_sl_full_size(sl)));
    json_object_object_add(sz, "min", json_object_new_int64((int64_t)t->size_min));
    json_object_object_add(sz, "mean", json_object_new_double(t->size_mean));
    json_object_object_add(sz, "max", json_object_new_int64((int64_t)t->size_max));
    if (a->so.nvoxels) {
        json_object_object_add(sz, "radius_min_mm", json_object_new_double(t->radius_min));
        json_object_object_add(sz, "radius_max_mm", json_object_new_double(t->radius_max));
    }
    bract_sidecar_set_json(sc, "SphereVoxels", json_object_to_json_string(sz));
    json_object_put(sz);
    json_object *ms = json_object_new_array();
    for (size_t k = 0; k < m->K; k++)
        json_object_array_add(ms, json_object_new_string(m->name[k]));
    bract_sidecar_set_json(sc, "Models", json_object_to_json_string(ms));
    json_object_put(ms);
    bract_sidecar_set_num(sc, "Ranks", rk->size);
}

/* Write one map (K values per centre, volume k of a 4-D stack or model k). */
static int write_map(const cli_ctx *c, const bract_volume *geom, const bract_sl *sl,
                     const double *vals, size_t K, long model, int fisher, const char *path,
                     const args *a)
{
    size_t nv = model < 0 ? K : 1, C = bract_sl_ncentres(sl);
    const size_t *cen = bract_sl_centres(sl);
    bract_volume *v;
    if (bract_volume_new_like(geom, (int64_t)nv, BRACT_F32, &v))
        return cli_fail(c);
    float *f = v->data;
    for (size_t i = 0; i < v->nvox * nv; i++)
        f[i] = NAN;
    for (size_t t = 0; t < nv; t++) {
        size_t k = model < 0 ? t : (size_t)model;
        for (size_t q = 0; q < C; q++) {
            double r = vals[q * K + k];
            f[t * v->nvox + cen[q]] = (float)(fisher ? bract_fisher_z(r) : r);
        }
    }
    int corr = is_correlation(a->co.method);
    char name[16], descrip[80];
    snprintf(name, sizeof name, "%s", fisher ? "Fisher z" : bract_cmp_method_name(a->co.method));
    snprintf(descrip, sizeof descrip, "bract %s searchlight: %s%s%s", bract_version(),
             a->co.partial != BRACT_PARTIAL_NONE ? "partial " : "",
             bract_cmp_method_name(a->co.method), fisher ? ", Fisher z" : "");
    bract_volume_write_opts wo = {corr && !fisher ? BRACT_INTENT_CORREL : BRACT_INTENT_ESTIMATE,
                                  {0, 0, 0}, name, descrip, c->force};
    int rc = bract_volume_write(v, path, &wo);
    bract_volume_free(v);
    return rc ? cli_fail(c) : CLI_OK;
}

static int write_counts(const cli_ctx *c, const bract_volume *geom, const bract_sl *sl,
                        const char *path)
{
    bract_volume *v;
    if (bract_volume_new_like(geom, 1, BRACT_F32, &v))
        return cli_fail(c);
    float *f = v->data;
    const size_t *cen = bract_sl_centres(sl);
    const uint32_t *sz = bract_sl_sizes(sl);
    for (size_t q = 0; q < bract_sl_ncentres(sl); q++)
        f[cen[q]] = (float)sz[q];
    char descrip[80];
    snprintf(descrip, sizeof descrip, "bract %s searchlight: usable voxels per sphere",
             bract_version());
    bract_volume_write_opts wo = {BRACT_INTENT_NONE, {0, 0, 0}, "voxels", descrip, c->force};
    int rc = bract_volume_write(v, path, &wo);
    bract_volume_free(v);
    return rc ? cli_fail(c) : CLI_OK;
}

int main_searchlight(int argc, char **argv)
{
    cli_ctx c;
    cli_ctx_init(&c, BRACT_CMD_SEARCHLIGHT, usage_text);
    ranks rk;
    ranks_init(&rk);
    args a;
    memset(&a, 0, sizeof a);
    a.ro.method = BRACT_RDM_CORRELATION;
    a.ro.noise = BRACT_NOISE_SHRINKAGE_DIAG;
    a.so.radius_mm = 6;
    a.so.min_voxels = 2;
    a.so.min_proportion = 0.5;
    a.co.method = BRACT_CMP_SPEARMAN;
    a.co.nan_policy = BRACT_NAN_MATCH;
    int status = parse(&c, &a, argc, argv);
    if (status >= 0) {
        args_free(&a);
        ranks_done(&rk);
        return status;
    }
    if (rk.rank != 0)
        c.quiet = 1;
    cli_apply(&c);
    status = CLI_DATA_ERROR;
    if (cli_rdm_noise_dof_from_sidecars(&c, &a.ro, a.noise.v, a.noise.n, &a.dof_sidecar)) {
        args_free(&a);
        ranks_done(&rk);
        return status;
    }

    model_list ml;
    memset(&ml, 0, sizeof ml);
    outputs outs = {0};
    bract_design *d = NULL;
    bract_mask *mask = NULL;
    bract_volume *geom = NULL;
    bract_sl *sl = NULL;
    bract_sl_models *sm = NULL;
    bract_atlas *atlas = NULL;
    bract_pattern_set *set = NULL;
    double *vals = NULL, *all_vals = NULL;
    unsigned char *st = NULL, *all_st = NULL;
    size_t *bounds = NULL;
    cli_bar bar;
    int ok = 1;

    /* everything every rank needs: models, outputs refused early, design,
     * mask, spheres, patterns */
    bract_design_opts dopts = {.order = a.sorted ? BRACT_ORDER_SORTED : BRACT_ORDER_FIRST,
                               .exclude = a.exclude.v, .nexclude = a.exclude.n};
    if (read_models(&a, &ml) || plan_outputs(&a, &ml, &outs))
        ok = 0;
    if (ok && check_outputs(&c, &a, &outs))
        ok = 0;
    if (ok && (bract_design_read(a.conds, &dopts, &d) || bract_mask_read(a.mask, &mask, &geom)))
        ok = 0;
    if (ok && mask->n == 0) {
        bract_error(BRACT_EDATA, "%s: the mask is empty", a.mask);
        ok = 0;
    }
    if (ok && bract_sl_models_new(d, ml.K, ml.rdm, ml.file, ml.nc, ml.ctl, ml.cfile, &a.co, &sm))
        ok = 0;
    if (ok && bract_sl_new(mask, geom, &a.so, &sl))
        ok = 0;
    if (ok) {
        size_t nd;
        const size_t *dv = bract_sl_data_voxels(sl, &nd);
        bract_mask dm = {mask->nx, mask->ny, mask->nz, nd, (size_t *)dv};
        ok = !bract_atlas_from_mask(&dm, a.so.keep_outside ? "sphere voxels" : "mask", &atlas);
    }
    if (ok) {
        cli_warnings(&c);
        cli_log(&c, "%zu volumes, %zu conditions, %zu runs, %zu centres", d->nvol, d->ncond,
                d->nrun, mask->n);
        cli_bar_start(&bar, &c, "reading");
        bract_progress pr = cli_bar_progress(&bar);
        int rc = bract_patterns_from_volumes(a.data.v, a.data.n, d, atlas, geom, a.noise.v,
                                             a.noise.n, &a.po, &pr, &set);
        cli_bar_finish(&bar);
        if (rc) {
            if (rc == BRACT_EDATA && strstr(bract_last_error(), "but the conditions have"))
                bract_error_context(rc, "%s", a.conds);
            ok = 0;
        }
    }
    if (ok) {
        const bract_patterns *p = &set->region[0];
        ok = !bract_sl_set_columns(sl, p->voxel, p->nvox);
    }
    if (!ranks_agree(&rk, &c, ok)) {
        if (!ok)
            cli_fail(&c);
        goto done;
    }
    cli_warnings(&c);

    /* this rank's centres */
    size_t C = bract_sl_ncentres(sl), K = ml.K;
    bounds = malloc(((size_t)rk.size + 1) * sizeof *bounds);
    if (bounds)
        bract_sl_split(sl, (size_t)rk.size, bounds);
    size_t c0 = bounds ? bounds[rk.rank] : 0, c1 = bounds ? bounds[rk.rank + 1] : 0;
    vals = malloc(((c1 - c0) * K + 1) * sizeof *vals);
    st = malloc(c1 - c0 + 1);
    if (rk.rank == 0) {
        all_vals = malloc((C * K + 1) * sizeof *all_vals);
        all_st = malloc(C + 1);
    }
    ok = bounds && vals && st && (rk.rank != 0 || (all_vals && all_st));
    if (!ok)
        bract_error(BRACT_ENOMEM, "out of memory for %zu centres x %zu models", C, K);
    bract_sl_failure fail = {SIZE_MAX, ""};
    if (ok) {
        const bract_patterns *p = &set->region[0];
        bract_sl_input in = {d, a.ro, p->x, p->nvox, p->res, p->nvox, p->nres, sm};
        cli_log(&c, "%zu centres (%zu on this rank of %d), %s RDMs, %s, largest sphere %zu voxels",
                C, c1 - c0, rk.size, bract_rdm_method_name(a.ro.method),
                bract_cmp_method_name(a.co.method), bract_sl_max_size(sl));
        cli_bar_start(&bar, &c, "searchlight");
        bract_progress pr = cli_bar_progress(&bar);
        ok = !bract_sl_run(sl, &in, c0, c1, vals, st, &fail, &pr);
        cli_bar_finish(&bar);
    }
    if (!ranks_agree(&rk, &c, ok)) {
        if (!ok)
            cli_fail(&c);
        goto done;
    }
    if (ranks_gather(&rk, bounds, K, vals, st, all_vals, all_st)) {
        cli_fail(&c);
        goto done;
    }
    ranks_failure(&rk, &fail);
    if (rk.rank != 0) {
        status = CLI_OK;
        goto done;
    }

    /* rank 0: the counts, the maps, the sidecars */
    tally t = {0};
    t.centres = C;
    t.size_min = SIZE_MAX;
    t.radius_min = INFINITY;
    double sum = 0;
    const uint32_t *sz = bract_sl_sizes(sl);
    for (size_t q = 0; q < C; q++) {
        t.left_out += all_st[q] == BRACT_SL_LEFT_OUT;
        t.failed += all_st[q] == BRACT_SL_FAILED;
        t.undefined += all_st[q] == BRACT_SL_UNDEFINED;
        if (all_st[q] == BRACT_SL_LEFT_OUT)
            continue;
        t.computed++;
        sum += sz[q];
        if (sz[q] < t.size_min)
            t.size_min = sz[q];
        if (sz[q] > t.size_max)
            t.size_max = sz[q];
        if (a.so.nvoxels) {
            double r;
            bract_sl_sphere(sl, q, NULL, &r);
            if (r < t.radius_min)
                t.radius_min = r;
            if (r > t.radius_max)
                t.radius_max = r;
        }
    }
    t.size_mean = t.computed ? sum / (double)t.computed : 0;
    if (!t.computed)
        t.size_min = 0;
    if (!isfinite(t.radius_min))
        t.radius_min = 0;
    if (t.left_out)
        bract_warn("%zu of %zu centres left out: their spheres have fewer than %zu usable "
                   "voxels or fewer than %g x %zu (%s) (--min-voxels, --min-proportion)",
                   t.left_out, C, a.so.min_voxels, a.so.min_proportion,
                   a.so.nvoxels ? a.so.nvoxels : bract_sl_full_size(sl),
                   a.so.nvoxels ? "--voxels" : "a full sphere");
    if (t.failed) {
        int64_t x, y, z;
        size_t v = bract_sl_centres(sl)[fail.centre];
        x = (int64_t)(v % (size_t)mask->nx);
        y = (int64_t)(v / (size_t)mask->nx % (size_t)mask->ny);
        z = (int64_t)(v / ((size_t)mask->nx * (size_t)mask->ny));
        bract_warn("%zu centre%s failed, the first at voxel %lld,%lld,%lld: %s", t.failed,
                   t.failed == 1 ? "" : "s", (long long)x, (long long)y, (long long)z,
                   fail.message);
    }
    if (t.undefined)
        bract_warn("%zu centre%s with an undefined comparison (a pattern or RDM constant over "
                   "the sphere): NaN", t.undefined, t.undefined == 1 ? "" : "s");
    cli_warnings(&c);
    if (t.computed && t.failed == t.computed) {
        cli_error(&c, "every centre failed: %s", fail.message);
        goto done;
    }
    if (!t.computed) {
        cli_error(&c, "every centre was left out: no sphere has %zu usable voxels and %g x %zu; "
                  "see --min-voxels and --min-proportion", a.so.min_voxels, a.so.min_proportion,
                  a.so.nvoxels ? a.so.nvoxels : bract_sl_full_size(sl));
        goto done;
    }
    bract_sidecar *sc = cli_sidecar(&c);
    if (sc)
        fill_sidecar(sc, &a, &ml, d, &set->region[0], sl, &t, &rk);
    int wrote = 1;
    /* per-model maps first, the -o file (the pipeline's record) last */
    for (size_t pass = 0; pass < 2 && wrote; pass++)
        for (size_t i = 0; i < outs.n && wrote; i++) {
            int last = strcmp(outs.path[i], a.out) == 0;
            if ((size_t)last != pass)
                continue;
            if (write_map(&c, geom, sl, all_vals, K, outs.model[i], outs.kind[i], outs.path[i],
                          &a)) {
                wrote = 0;
                break;
            }
            if (sc) {
                bract_sidecar_set_str(sc, "Model", outs.model[i] < 0 ? "all (one volume each, "
                                                                       "in the order of Models)"
                                                                     : ml.name[outs.model[i]]);
                bract_sidecar_set_str(sc, "Values", outs.kind[i] ? "Fisher z = atanh(value)"
                                                                 : bract_cmp_method_name(
                                                                       a.co.method));
            }
            if (cli_sidecar_finish(&c, sc, outs.path[i]))
                wrote = 0;
            else
                cli_log(&c, "wrote %s", outs.path[i]);
        }
    if (wrote && a.counts) {
        if (write_counts(&c, geom, sl, a.counts))
            wrote = 0;
        else if (sc) {
            bract_sidecar_set_str(sc, "Model", "none");
            bract_sidecar_set_str(sc, "Values", "usable voxels in the sphere of each centre");
            if (cli_sidecar_finish(&c, sc, a.counts))
                wrote = 0;
        }
    }
    bract_sidecar_free(sc);
    if (wrote)
        status = CLI_OK;
done:
    status = ranks_status(&rk, status);
    free(vals);
    free(all_vals);
    free(st);
    free(all_st);
    free(bounds);
    bract_pattern_set_free(set);
    bract_atlas_free(atlas);
    bract_sl_models_free(sm);
    bract_sl_free(sl);
    bract_design_free(d);
    bract_mask_free(mask);
    bract_volume_free(geom);
    outputs_free(&outs);
    models_free(&ml, a.models.n, a.controls.n);
    args_free(&a);
    ranks_done(&rk);
    return status;
}
