/* bract rdm neural: RDMs of response patterns, one per region.
 * (bract rdm model lives in rdm_model.c.) */
#include "cli/cli.h"
#include "cli/paths.h"
#include "cli/cmd/rdm.h"
#include "bract/outputs.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

const char cli_rdm_neural_usage[] =
    "Usage: bract rdm neural --data FILE... --conditions CONDS.tsv\n"
    "                        (--mask MASK | --atlas ATLAS [--labels LABELS.tsv]) -o RDMS.tsv\n"
    "       bract rdm neural --data PATTERNS.tsv -o RDMS.tsv\n"
    "\n"
    "Representational dissimilarity matrices of response patterns: one RDM per\n"
    "atlas region (named by its label), or one for the mask or patterns table.\n"
    "\n"
    "Inputs:\n"
    "      --data FILE...        a 4-D NIfTI series or 3-D maps (several files are\n"
    "                            taken in order; repeat --data or list them), or a\n"
    "                            patterns table (condition, optional run, features)\n"
    "      --conditions FILE     conditions TSV: condition, optional run; one row per\n"
    "                            volume (not with a patterns table)\n"
    "      --mask FILE           one region: the voxels of the mask\n"
    "      --atlas FILE          one RDM per region of a label image (within --mask)\n"
    "      --labels FILE         region names: TSV with index and name\n"
    "      --noise FILE          residuals for the noise precision: NIfTI volumes\n"
    "                            (repeatable), or a table with the same features\n"
    "Method:\n"
    "      --method NAME         euclidean, correlation, cosine, mahalanobis or\n"
    "                            crossnobis [correlation]\n"
    "      --plain               euclidean: |b_i - b_j| (scipy, CoSMoMVPA), not\n"
    "                            |b_i - b_j|^2 / voxels (rsatoolbox)\n"
    "      --noise-method NAME   shrinkage_diag, shrinkage_eye, diag, full or\n"
    "                            identity [shrinkage_diag]\n"
    "      --noise-dof N         degrees of freedom of --noise residuals [rows - 1]\n"
    "      --rsatoolbox-dof      residual dof from the patterns as rsatoolbox's\n"
    "                            *_from_measurements: (conditions - 1) x runs\n"
    "Patterns:\n"
    "      --exclude LABEL       leave out the volumes of a condition (repeatable)\n"
    "      --sort-conditions     order conditions by label (as rsatoolbox), not by\n"
    "                            first appearance\n"
    "      --demean-runs         subtract each voxel's mean over its run first\n"
    "      --min-voxels N        regions with fewer usable voxels fail [2]\n"
    "      --skip-small          leave such regions out with a warning instead\n"
    "      --name NAME           RDM name for --mask or a patterns table [mask or\n"
    "                            table file name]\n"
    "Output:\n"
    "  -o, --output FILE         RDM set, long-form TSV, or HDF5 that rsatoolbox's\n"
    "                            load_rdm reads when FILE ends in .h5 or .hdf5\n"
    "                            (a JSON sidecar next to it)\n"
    "\n" CLI_COMMON_HELP;

enum {
    OPT_DATA = OPT_FIRST_CMD,
    OPT_CONDITIONS,
    OPT_MASK,
    OPT_ATLAS,
    OPT_LABELS,
    OPT_NOISE,
    OPT_METHOD,
    OPT_PLAIN,
    OPT_NOISE_METHOD,
    OPT_NOISE_DOF,
    OPT_RSA_DOF,
    OPT_EXCLUDE,
    OPT_SORT,
    OPT_DEMEAN,
    OPT_MIN_VOXELS,
    OPT_SKIP_SMALL,
    OPT_NAME
};

static int is_table_name(const char *p)
{
    static const char *const ext[] = {".tsv", ".csv", ".txt", ".tsv.gz", ".csv.gz", ".txt.gz",
                                      NULL};
    size_t n = strlen(p);
    for (int i = 0; ext[i]; i++) {
        size_t m = strlen(ext[i]);
        if (n >= m && strcmp(p + n - m, ext[i]) == 0)
            return 1;
    }
    return 0;
}

/* ---- RDM options shared with bract searchlight (cmd_rdm.h) ---- */

int cli_rdm_check_options(const cli_ctx *c, bract_rdm_opts *ro, int plain, size_t nnoise,
                      int noise_method_set)
{
    if (plain && ro->method != BRACT_RDM_EUCLIDEAN) {
        cli_usage_error(c, "--plain applies to --method euclidean");
        return -1;
    }
    ro->plain = plain;
    if (!bract_rdm_needs_noise(ro) && (nnoise || noise_method_set || ro->noise_dof > 0 ||
                                       ro->dof_rule == BRACT_DOF_RSATOOLBOX)) {
        cli_usage_error(c, "--noise, --noise-method, --noise-dof and --rsatoolbox-dof apply to "
                        "--method mahalanobis and crossnobis");
        return -1;
    }
    if (ro->noise_dof > 0 && !nnoise) {
        cli_usage_error(c, "--noise-dof applies to --noise residuals");
        return -1;
    }
    if (ro->dof_rule == BRACT_DOF_RSATOOLBOX && nnoise) {
        cli_usage_error(c, "--rsatoolbox-dof applies to residuals from the patterns, not to "
                        "--noise");
        return -1;
    }
    if (nnoise && ro->noise == BRACT_NOISE_IDENTITY) {
        cli_usage_error(c, "--noise-method identity uses no residuals: drop --noise");
        return -1;
    }
    return 0;
}

const char *cli_rdm_convention(const bract_rdm_opts *ro)
{
    switch (ro->method) {
    case BRACT_RDM_EUCLIDEAN:
        return ro->plain ? "plain Euclidean distance |b_i - b_j| (scipy, CoSMoMVPA)"
                         : "squared Euclidean distance divided by the number of voxels "
                           "(rsatoolbox)";
    case BRACT_RDM_CORRELATION: return "1 - Pearson r across voxels";
    case BRACT_RDM_COSINE: return "1 - cosine similarity across voxels";
    case BRACT_RDM_MAHALANOBIS: return "(b_i - b_j) Lambda (b_i - b_j)' / voxels (rsatoolbox)";
    default:
        return "leave-one-run-out (a_i - a_j) Lambda (t_i - t_j)' / voxels, mean over runs "
               "(rsatoolbox balanced path)";
    }
}

void cli_rdm_sidecar_noise(bract_sidecar *sc, const bract_rdm_opts *ro, size_t nnoise,
                       const char *where)
{
    if (!bract_rdm_needs_noise(ro))
        return;
    bract_sidecar_param_str(sc, "noise_method", bract_noise_method_name(ro->noise));
    if (ro->noise == BRACT_NOISE_IDENTITY)
        return;
    char src[160];
    snprintf(src, sizeof src, "%s%s",
             nnoise ? "residual input" : "pattern rows minus their condition means", where);
    bract_sidecar_param_str(sc, "noise_source", src);
    bract_sidecar_param_str(sc, "dof_rule",
                            nnoise ? (ro->noise_dof > 0 ? "given" : "rows - 1")
                            : ro->dof_rule == BRACT_DOF_RSATOOLBOX
                                ? "rsatoolbox: (conditions - 1) x repetitions"
                                : "rows - conditions");
}

int cli_rdm_noise_dof_from_sidecars(const cli_ctx *c, bract_rdm_opts *ro,
                                    const char *const *noise, size_t n, int *used)
{
    *used = 0;
    if (!n || ro->noise_dof > 0)
        return CLI_OK;
    double dof;
    if (bract_glm_residual_dof(noise, n, &dof))
        return cli_fail(c);
    if (dof > 0) {
        ro->noise_dof = dof;
        *used = 1;
        cli_log(c, "noise dof %g from the residuals' sidecars", dof);
    }
    return CLI_OK;
}

int main_rdm_neural(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"data", required_argument, NULL, OPT_DATA},
        {"conditions", required_argument, NULL, OPT_CONDITIONS},
        {"mask", required_argument, NULL, OPT_MASK},
        {"atlas", required_argument, NULL, OPT_ATLAS},
        {"labels", required_argument, NULL, OPT_LABELS},
        {"noise", required_argument, NULL, OPT_NOISE},
        {"method", required_argument, NULL, OPT_METHOD},
        {"plain", no_argument, NULL, OPT_PLAIN},
        {"noise-method", required_argument, NULL, OPT_NOISE_METHOD},
        {"noise-dof", required_argument, NULL, OPT_NOISE_DOF},
        {"rsatoolbox-dof", no_argument, NULL, OPT_RSA_DOF},
        {"exclude", required_argument, NULL, OPT_EXCLUDE},
        {"sort-conditions", no_argument, NULL, OPT_SORT},
        {"demean-runs", no_argument, NULL, OPT_DEMEAN},
        {"min-voxels", required_argument, NULL, OPT_MIN_VOXELS},
        {"skip-small", no_argument, NULL, OPT_SKIP_SMALL},
        {"name", required_argument, NULL, OPT_NAME},
        {"output", required_argument, NULL, 'o'},
        CLI_COMMON_LONGOPTS,
        {NULL, 0, NULL, 0}};
    static const char *const methods[] = {"euclidean", "correlation", "cosine", "mahalanobis",
                                          "crossnobis", NULL};
    static const char *const noises[] = {"shrinkage_diag", "shrinkage_eye", "diag", "full",
                                         "identity", NULL};
    cli_ctx c;
    cli_ctx_init(&c, BRACT_CMD_RDM_NEURAL, cli_rdm_neural_usage);
    cli_strlist data = {0}, noise = {0}, exclude = {0};
    const char *conds = NULL, *mask_path = NULL, *atlas_path = NULL, *labels = NULL;
    const char *out = NULL, *name = NULL;
    bract_rdm_opts ro = {.method = BRACT_RDM_CORRELATION, .noise = BRACT_NOISE_SHRINKAGE_DIAG};
    int sorted = 0, plain_set = 0, noise_method_set = 0;
    bract_pattern_opts po = {0};
    long lv;
    double dv;
    int opt, k, status = CLI_USAGE;
    while ((opt = getopt_long(argc, argv, ":o:h@:", longopts, NULL)) != -1) {
        if ((k = cli_common_option(&c, opt, optarg)) == 2) {
            status = CLI_OK;
            goto out;
        }
        if (k < 0)
            goto out;
        if (k)
            continue;
        switch (opt) {
        case OPT_DATA:
            if (cli_strlist_push(&data, optarg))
                goto oom;
            break;
        case OPT_CONDITIONS: conds = optarg; break;
        case OPT_MASK: mask_path = optarg; break;
        case OPT_ATLAS: atlas_path = optarg; break;
        case OPT_LABELS: labels = optarg; break;
        case OPT_NOISE:
            if (cli_strlist_push(&noise, optarg))
                goto oom;
            break;
        case OPT_METHOD:
            if ((k = cli_parse_choice(&c, "--method", optarg, methods)) < 0)
                goto out;
            ro.method = (bract_rdm_method)k;
            break;
        case OPT_PLAIN: plain_set = 1; break;
        case OPT_NOISE_METHOD:
            if ((k = cli_parse_choice(&c, "--noise-method", optarg, noises)) < 0)
                goto out;
            ro.noise = (bract_noise_method)k;
            noise_method_set = 1;
            break;
        case OPT_NOISE_DOF:
            if (cli_parse_double(&c, "--noise-dof", optarg, 1e-300, 1e15, &dv))
                goto out;
            ro.noise_dof = dv;
            break;
        case OPT_RSA_DOF: ro.dof_rule = BRACT_DOF_RSATOOLBOX; break;
        case OPT_EXCLUDE:
            if (cli_strlist_push(&exclude, optarg))
                goto oom;
            break;
        case OPT_SORT: sorted = 1; break;
        case OPT_DEMEAN: po.demean_runs = 1; break;
        case OPT_MIN_VOXELS:
            if (cli_parse_long(&c, "--min-voxels", optarg, 2, __LONG_MAX__, &lv))
                goto out;
            po.min_voxels = (size_t)lv;
            break;
        case OPT_SKIP_SMALL: po.skip_small = 1; break;
        case OPT_NAME: name = optarg; break;
        case 'o': out = optarg; break;
        case ':': cli_usage_error(&c, "option %s needs a value", argv[optind - 1]); goto out;
        default: cli_usage_error(&c, "unknown option %s", argv[optind - 1]); goto out;
        }
    }
    for (int i = optind; i < argc; i++) /* --data a.nii b.nii ...: the rest are data too */
        if (cli_strlist_push(&data, argv[i]))
            goto oom;
    if (data.n == 0) {
        cli_usage_error(&c, "no --data given");
        goto out;
    }
    if (!out) {
        cli_usage_error(&c, "no output given (-o RDMS.tsv)");
        goto out;
    }
    int table = is_table_name(data.v[0]);
    if (table) {
        if (data.n > 1) {
            cli_usage_error(&c, "a patterns table is a single --data file");
            goto out;
        }
        if (conds || mask_path || atlas_path || labels) {
            cli_usage_error(&c, "a patterns table carries its own conditions and features: "
                            "--conditions, --mask, --atlas and --labels do not apply");
            goto out;
        }
        if (noise.n > 1) {
            cli_usage_error(&c, "with a patterns table, --noise is a single table");
            goto out;
        }
    } else {
        if (!conds) {
            cli_usage_error(&c, "no --conditions given (one row per volume of the data)");
            goto out;
        }
        if (!mask_path && !atlas_path) {
            cli_usage_error(&c, "give --mask or --atlas");
            goto out;
        }
        if (labels && !atlas_path) {
            cli_usage_error(&c, "--labels needs --atlas");
            goto out;
        }
        if (name && atlas_path) {
            cli_usage_error(&c, "--name applies to --mask alone (atlas regions are named by "
                            "their labels)");
            goto out;
        }
    }
    if (cli_rdm_check_options(&c, &ro, plain_set, noise.n, noise_method_set))
        goto out;
    cli_apply(&c);
    status = CLI_DATA_ERROR;
    int dof_sidecar = 0;
    if (!table && cli_rdm_noise_dof_from_sidecars(&c, &ro, noise.v, noise.n, &dof_sidecar))
        goto out;

    /* inputs never overwritten */
    {
        cli_strlist in = {0};
        for (size_t i = 0; i < data.n; i++)
            cli_strlist_push(&in, data.v[i]);
        for (size_t i = 0; i < noise.n; i++)
            cli_strlist_push(&in, noise.v[i]);
        const char *more[] = {conds, mask_path, atlas_path, labels};
        for (int i = 0; i < 4; i++)
            if (more[i])
                cli_strlist_push(&in, more[i]);
        int rc = bract_output_not_input(out, in.v, in.n);
        free(in.v);
        if (rc || bract_output_check(out, c.force)) {
            cli_fail(&c);
            goto out;
        }
    }

    bract_design_opts dopts = {.order = sorted ? BRACT_ORDER_SORTED : BRACT_ORDER_FIRST,
                               .exclude = exclude.v, .nexclude = exclude.n};
    bract_design *d = NULL;
    bract_pattern_set *set = NULL;
    bract_mask *mask = NULL;
    bract_atlas *atlas = NULL;
    bract_volume *geom = NULL, *ageom = NULL;
    bract_rdmset *rdms = NULL;
    bract_rdm_info *info = NULL;
    char *defname = NULL;
    cli_bar bar;
    int failed = 1;
    if (table) {
        defname = cli_file_stem(data.v[0]);
        cli_log(&c, "reading patterns %s", data.v[0]);
        if (bract_patterns_from_table(data.v[0], &dopts, name ? name : defname,
                                      noise.n ? noise.v[0] : NULL, &po, &d, &set))
            goto fail;
    } else {
        if (bract_design_read(conds, &dopts, &d))
            goto fail;
        if (mask_path && bract_mask_read(mask_path, &mask, &geom))
            goto fail;
        if (atlas_path) {
            if (bract_atlas_read(atlas_path, labels, mask, &atlas, &ageom))
                goto fail;
            if (geom && bract_volume_same_grid(geom, ageom, 1e-3))
                goto fail;
        } else {
            defname = cli_file_stem(mask_path);
            if (bract_atlas_from_mask(mask, name ? name : defname, &atlas))
                goto fail;
        }
        cli_warnings(&c);
        cli_log(&c, "%zu volumes, %zu conditions, %zu runs, %zu regions", d->nvol, d->ncond,
                d->nrun, atlas->nregions);
        cli_bar_start(&bar, &c, "reading");
        bract_progress pr = cli_bar_progress(&bar);
        int rc = bract_patterns_from_volumes(data.v, data.n, d, atlas, ageom ? ageom : geom,
                                             noise.v, noise.n, &po, &pr, &set);
        cli_bar_finish(&bar);
        if (rc) {
            if (rc == BRACT_EDATA && strstr(bract_last_error(), "but the conditions have"))
                bract_error_context(rc, "%s", conds);
            goto fail;
        }
    }
    cli_warnings(&c);
    info = calloc(set->nregions, sizeof *info);
    if (!info) {
        bract_error(BRACT_ENOMEM, "out of memory");
        goto fail;
    }
    cli_log(&c, "computing %zu %s RDM%s of %zu conditions", set->nregions,
            bract_rdm_method_name(ro.method), set->nregions == 1 ? "" : "s", d->ncond);
    cli_bar_start(&bar, &c, "RDMs");
    {
        bract_progress pr = cli_bar_progress(&bar);
        int rc = bract_patterns_rdms(d, set, &ro, &pr, &rdms, info);
        cli_bar_finish(&bar);
        if (rc)
            goto fail;
    }
    size_t nnan = 0;
    for (size_t r = 0; r < set->nregions; r++)
        nnan += info[r].nnan;
    if (nnan)
        bract_warn("%zu dissimilarit%s left n/a: a condition's pattern is constant (correlation) "
                   "or zero (cosine)", nnan, nnan == 1 ? "y" : "ies");
    cli_warnings(&c);
    if (bract_rdmset_write(rdms, out, c.force))
        goto fail;

    /* the sidecar */
    {
        bract_sidecar *sc = cli_sidecar(&c);
        if (sc) {
            bract_sidecar_param_str(sc, "method", bract_rdm_method_name(ro.method));
            bract_sidecar_param_str(sc, "convention", cli_rdm_convention(&ro));
            cli_rdm_sidecar_noise(sc, &ro, noise.n, "");
            if (dof_sidecar)
                bract_sidecar_param_str(sc, "dof_rule", "ResidualDegreesOfFreedom of the "
                                        "residuals' sidecars (bract glm)");
            bract_sidecar_param_str(sc, "condition_order",
                                    sorted ? "sorted by label" : "first appearance");
            bract_sidecar_param_bool(sc, "demean_runs", po.demean_runs);
            bract_sidecar_param_int(sc, "min_voxels", po.min_voxels ? (int64_t)po.min_voxels : 2);
            {
                json_object *ex = json_object_new_array();
                for (size_t i = 0; i < exclude.n; i++)
                    json_object_array_add(ex, json_object_new_string(exclude.v[i]));
                bract_sidecar_set_json(sc, "ExcludedConditions", json_object_to_json_string(ex));
                json_object_put(ex);
            }
            for (size_t i = 0; i < data.n; i++)
                bract_sidecar_input(sc, "data", data.v[i]);
            if (conds)
                bract_sidecar_input(sc, "conditions", conds);
            if (mask_path)
                bract_sidecar_input(sc, "mask", mask_path);
            if (atlas_path)
                bract_sidecar_input(sc, "atlas", atlas_path);
            if (labels)
                bract_sidecar_input(sc, "labels", labels);
            for (size_t i = 0; i < noise.n; i++)
                bract_sidecar_input(sc, "noise", noise.v[i]);
            size_t nonfinite = 0, constant = 0;
            for (size_t r = 0; r < set->nregions; r++) {
                nonfinite += set->region[r].dropped_nonfinite;
                constant += set->region[r].dropped_constant;
            }
            bract_sidecar_count(sc, "volumes", (int64_t)d->nvol);
            bract_sidecar_count(sc, "excluded_volumes", (int64_t)d->nexcluded);
            bract_sidecar_count(sc, "conditions", (int64_t)d->ncond);
            bract_sidecar_count(sc, "runs", (int64_t)d->nrun);
            bract_sidecar_count(sc, "pattern_rows", (int64_t)d->nobs);
            bract_sidecar_count(sc, "regions", (int64_t)set->nregions);
            bract_sidecar_count(sc, "skipped_regions", (int64_t)set->nskipped);
            bract_sidecar_count(sc, "excluded_voxels_nonfinite", (int64_t)nonfinite);
            bract_sidecar_count(sc, "excluded_voxels_constant", (int64_t)constant);
            bract_sidecar_count(sc, "nan_dissimilarities", (int64_t)nnan);
            json_object *regs = json_object_new_array();
            for (size_t r = 0; r < set->nregions; r++) {
                const bract_patterns *p = &set->region[r];
                json_object *e = json_object_new_object();
                json_object_object_add(e, "name", json_object_new_string(p->name));
                json_object_object_add(e, "voxels", json_object_new_int64((int64_t)p->nvox));
                json_object_object_add(e, "voxels_in_region",
                                       json_object_new_int64((int64_t)p->nvox_region));
                json_object_object_add(e, "excluded_nonfinite",
                                       json_object_new_int64((int64_t)p->dropped_nonfinite));
                json_object_object_add(e, "excluded_constant",
                                       json_object_new_int64((int64_t)p->dropped_constant));
                if (!isnan(info[r].dof))
                    json_object_object_add(e, "noise_dof", json_object_new_double(info[r].dof));
                if (info[r].nres)
                    json_object_object_add(e, "noise_rows",
                                           json_object_new_int64((int64_t)info[r].nres));
                if (!isnan(info[r].shrinkage))
                    json_object_object_add(e, "shrinkage",
                                           json_object_new_double(info[r].shrinkage));
                json_object_array_add(regs, e);
            }
            bract_sidecar_set_json(sc, "Regions", json_object_to_json_string(regs));
            json_object_put(regs);
            json_object *sk = json_object_new_array();
            for (size_t r = 0; r < set->nskipped; r++)
                json_object_array_add(sk, json_object_new_string(set->skipped[r]));
            bract_sidecar_set_json(sc, "SkippedRegions", json_object_to_json_string(sk));
            json_object_put(sk);
        }
        if (cli_sidecar_finish(&c, sc, out) == CLI_OK)
            failed = 0;
        bract_sidecar_free(sc);
        if (failed)
            goto done;
    }
    if (!c.quiet && strcmp(out, "-") != 0)
        cli_log(&c, "wrote %s", out);
    status = CLI_OK;
    goto done;
fail:
    cli_fail(&c);
done:
    free(info);
    free(defname);
    bract_rdmset_free(rdms);
    bract_pattern_set_free(set);
    bract_design_free(d);
    bract_atlas_free(atlas);
    bract_mask_free(mask);
    bract_volume_free(geom);
    bract_volume_free(ageom);
out:
    free(data.v);
    free(noise.v);
    free(exclude.v);
    return status;
oom:
    cli_error(&c, "out of memory");
    status = CLI_DATA_ERROR;
    goto out;
}

/* ---- bract rdm: dispatch ---- */

int main_rdm(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "neural") == 0)
        return main_rdm_neural(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "model") == 0)
        return main_rdm_model(argc - 1, argv + 1);
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("Usage: bract rdm neural|model [options]\n\n"
               "  neural   RDMs of response patterns per region\n"
               "  model    an RDM of word vectors (word2vec, GloVe, TSV, LSA)\n\n");
        fputs(cli_rdm_neural_usage, stdout);
        printf("\n");
        fputs(cli_rdm_model_usage, stdout);
        return CLI_OK;
    }
    if (argc < 2)
        fprintf(stderr, "bract rdm: give the kind of RDM: neural or model\n");
    else if (argv[1][0] == '-')
        fprintf(stderr, "bract rdm: unknown option %s (give neural or model first)\n", argv[1]);
    else
        fprintf(stderr, "bract rdm: unknown kind '%s' (expected neural or model)\n", argv[1]);
    fprintf(stderr, "Usage: bract rdm neural|model [options]\n"
                    "Try 'bract rdm --help' for more.\n");
    return CLI_USAGE;
}
