/* bract rdm: dispatch to its actions; bract rdm neural, RDMs of response
 * patterns, one per region (bract rdm model lives in rdm_model.c); the
 * options rdm neural shares with bract searchlight. */
#include "cli/cli.h"
#include "cli/paths.h"
#include "cli/cmd/rdm.h"
#include "bract/outputs.h"
#include "bract/atlas.h"
#include "bract/mask.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

/* ---- options shared with rdm model and searchlight (rdm.h) ---- */

bract_rdm_design_opts cli_cond_design_opts(const cli_cond_args *a)
{
    bract_rdm_design_opts o = {.order = a->sorted ? BRACT_ORDER_SORTED : BRACT_ORDER_FIRST,
                           .exclude = a->exclude.v,
                           .nexclude = a->exclude.n};
    return o;
}

const char *cli_cond_order(const cli_cond_args *a)
{
    return a->sorted ? "sorted by label" : "first appearance";
}

void cli_rdm_args_init(cli_rdm_args *a)
{
    memset(a, 0, sizeof *a);
    a->o.method = BRACT_RDM_CORRELATION;
    a->o.noise = BRACT_NOISE_SHRINKAGE_DIAG;
}

int cli_rdm_check_options(const cli_ctx *c, cli_rdm_args *a, size_t nnoise)
{
    bract_rdm_opts *ro = &a->o;
    if (ro->plain && ro->method != BRACT_RDM_EUCLIDEAN) {
        cli_usage_error(c, "--plain applies to --method euclidean");
        return -1;
    }
    if (!bract_rdm_needs_noise(ro) &&
        (nnoise || cli_given(c, "noise-method") || ro->noise_dof > 0 || a->rsatoolbox_dof)) {
        cli_usage_error(c, "--noise, --noise-method, --noise-dof and --rsatoolbox-dof apply to "
                        "--method mahalanobis and crossnobis");
        return -1;
    }
    if (ro->noise_dof > 0 && !nnoise) {
        cli_usage_error(c, "--noise-dof applies to --noise residuals");
        return -1;
    }
    if (a->rsatoolbox_dof && nnoise) {
        cli_usage_error(c, "--rsatoolbox-dof applies to residuals from the patterns, not to "
                        "--noise");
        return -1;
    }
    if (nnoise && ro->noise == BRACT_NOISE_IDENTITY) {
        cli_usage_error(c, "--noise-method identity uses no residuals: drop --noise");
        return -1;
    }
    ro->dof_rule = a->rsatoolbox_dof ? BRACT_DOF_RSATOOLBOX : BRACT_DOF_CORRECT;
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

int cli_rdm_noise_dof_from_sidecars(const cli_ctx *c, cli_rdm_args *a,
                                    const char *const *noise, size_t n)
{
    a->dof_sidecar = 0;
    if (!n || a->o.noise_dof > 0 || !bract_rdm_needs_noise(&a->o))
        return CLI_OK;
    double dof;
    if (bract_glm_residual_dof(noise, n, &dof))
        return cli_fail(c);
    if (dof > 0) {
        a->o.noise_dof = dof;
        a->dof_sidecar = 1;
        cli_log(c, "noise dof %g from the residuals' sidecars", dof);
    }
    return CLI_OK;
}

void cli_rdm_sidecar_noise(bract_sidecar *sc, const cli_rdm_args *a, size_t nnoise,
                           const char *where)
{
    const bract_rdm_opts *ro = &a->o;
    if (!bract_rdm_needs_noise(ro))
        return;
    bract_sidecar_param_str(sc, "noise_method", bract_rdm_noise_method_name(ro->noise));
    if (ro->noise == BRACT_NOISE_IDENTITY)
        return;
    char src[160];
    snprintf(src, sizeof src, "%s%s",
             nnoise ? "residual input" : "pattern rows minus their condition means", where);
    bract_sidecar_param_str(sc, "noise_source", src);
    bract_sidecar_param_str(sc, "dof_rule",
                            a->dof_sidecar ? "ResidualDegreesOfFreedom of the residuals' "
                                             "sidecars (bract glm)"
                            : nnoise       ? (ro->noise_dof > 0 ? "given" : "rows - 1")
                            : ro->dof_rule == BRACT_DOF_RSATOOLBOX
                                ? "rsatoolbox: (conditions - 1) x repetitions"
                                : "rows - conditions");
}

/* ---- model and control RDMs (rdm.h) ---- */

void cli_models_free(cli_models *m)
{
    for (size_t i = 0; m->sets && i < m->nsets; i++)
        bract_rdmset_free(m->sets[i]);
    for (size_t i = 0; m->csets && i < m->ncsets; i++)
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
    memset(m, 0, sizeof *m);
}

/* Read the sets of `files` into sets[]; *count receives their RDMs. */
static int read_sets(const cli_ctx *c, const cli_strlist *files, bract_rdmset **sets, size_t *count,
                     int log)
{
    for (size_t i = 0; i < files->n; i++) {
        if (log)
            cli_log(c, "reading %s", files->v[i]);
        int rc = bract_rdmset_read(files->v[i], &sets[i]);
        if (rc)
            return rc;
        *count += sets[i]->nrdm;
    }
    return BRACT_OK;
}

/* The RDMs of sets[0..nsets) one after another, with their files. */
static void flatten(bract_rdmset *const *sets, const cli_strlist *files, const bract_rdm **rdm,
                    const char **file)
{
    size_t k = 0;
    for (size_t i = 0; i < files->n; i++)
        for (size_t j = 0; j < sets[i]->nrdm; j++, k++) {
            rdm[k] = &sets[i]->rdm[j];
            file[k] = files->v[i];
        }
}

/* Model names: the RDM's own, or "<file stem>:<name>" when not unique. */
static int name_models(cli_models *m)
{
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

int cli_models_read(cli_models *m, const cli_ctx *c, const cli_strlist *models,
                    const cli_strlist *controls)
{
    memset(m, 0, sizeof *m);
    m->sets = calloc(models->n + 1, sizeof *m->sets);
    m->csets = calloc(controls->n + 1, sizeof *m->csets);
    if (!m->sets || !m->csets)
        return bract_error(BRACT_ENOMEM, "out of memory");
    m->nsets = models->n;
    m->ncsets = controls->n;
    int rc = read_sets(c, models, m->sets, &m->K, 1);
    if (!rc)
        rc = read_sets(c, controls, m->csets, &m->nc, 0);
    if (rc)
        return rc;
    m->rdm = calloc(m->K + 1, sizeof *m->rdm);
    m->file = calloc(m->K + 1, sizeof *m->file);
    m->name = calloc(m->K + 1, sizeof *m->name);
    m->ctl = calloc(m->nc + 1, sizeof *m->ctl);
    m->cfile = calloc(m->nc + 1, sizeof *m->cfile);
    if (!m->rdm || !m->file || !m->name || !m->ctl || !m->cfile)
        return bract_error(BRACT_ENOMEM, "out of memory");
    flatten(m->sets, models, m->rdm, m->file);
    flatten(m->csets, controls, m->ctl, m->cfile);
    return name_models(m);
}

const char *cli_partial_words(bract_partial p)
{
    return p == BRACT_PARTIAL_OTHERS     ? "other models"
           : p == BRACT_PARTIAL_CONTROLS ? "controls"
                                         : "none";
}

/* ---- bract rdm neural ---- */

CLI_RDM_PARSERS

typedef struct {
    cli_strlist data, noise;
    const char *conds, *mask, *atlas, *labels, *name, *out;
    cli_cond_args cond;
    cli_rdm_args rdm;
    bract_patterns_opts po;
} args;

static const cli_opt options[] = {
    CLI_GROUP("Inputs:"),
    CLI_LIST('d', "data", args, data, "FILE...",
             "a 4-D NIfTI series or 3-D maps (several files are\n"
             "taken in order; repeat --data or list them), or a\n"
             "patterns table (condition, optional run, features)",
             .flags = CLI_REQUIRED),
    CLI_STRING('c', "conditions", args, conds, "FILE",
               "conditions TSV: condition, optional run; one row per\n"
               "volume (not with a patterns table)"),
    CLI_STRING('m', "mask", args, mask, "FILE", "one region: the voxels of the mask"),
    CLI_STRING('a', "atlas", args, atlas, "FILE",
               "one RDM per region of a label image (within --mask)"),
    CLI_STRING('l', "labels", args, labels, "FILE", "region names: TSV with index and name"),
    CLI_LIST(0, "noise", args, noise, "FILE...",
             "residuals for the noise precision: NIfTI volumes\n"
             "(repeatable), or a table with the same features"),
    CLI_GROUP("Method:"),
    CLI_RDM_OPTIONS(args, rdm),
    CLI_GROUP("Patterns:"),
    CLI_COND_OPTIONS(args, cond),
    CLI_FLAG(0, "demean-runs", args, po.demean_runs,
             "subtract each voxel's mean over its run first"),
    CLI_SIZE(0, "min-voxels", args, po.min_voxels, 2, 1e19, "N",
             "regions with fewer usable voxels fail [2]"),
    CLI_FLAG(0, "skip-small", args, po.skip_small, "leave such regions out with a warning instead"),
    CLI_STRING(0, "name", args, name, "NAME",
               "RDM name for --mask or a patterns table [mask or\ntable file name]"),
    CLI_GROUP("Output:"),
    CLI_RDMSET_OUTPUT(args, out),
    CLI_END};

const cli_spec cli_spec_rdm_neural = {
    "rdm neural",
    "Usage: bract rdm neural --data FILE... --conditions CONDS.tsv\n"
    "                        (--mask MASK | --atlas ATLAS [--labels LABELS.tsv]) -o RDMS.tsv\n"
    "       bract rdm neural --data PATTERNS.tsv -o RDMS.tsv",
    "Representational dissimilarity matrices of response patterns: one RDM per\n"
    "atlas region (named by its label), or one for the mask or patterns table.",
    options, NULL};

/* One run of the command: its inputs and what it computed. */
typedef struct {
    cli_ctx c;
    args a;
    int table; /* --data is a patterns table */
    bract_rdm_design *d;
    bract_patterns_set *set;
    bract_mask *mask;
    bract_atlas *atlas;
    bract_volume *geom, *ageom;
    bract_rdmset *rdms;
    bract_rdm_info *info;
    char *defname;
    size_t nnan;
} run;

static void run_free(run *r)
{
    free(r->info);
    free(r->defname);
    bract_rdmset_free(r->rdms);
    bract_patterns_set_free(r->set);
    bract_rdm_design_free(r->d);
    bract_atlas_free(r->atlas);
    bract_mask_free(r->mask);
    bract_volume_free(r->geom);
    bract_volume_free(r->ageom);
    cli_args_free(&cli_spec_rdm_neural, &r->a);
}

/* The inputs that go together (printed; CLI_USAGE), else 0. */
static int check_args(run *r)
{
    const cli_ctx *c = &r->c;
    const args *a = &r->a;
    r->table = cli_is_table_name(a->data.v[0]);
    if (r->table) {
        if (a->data.n > 1)
            return cli_usage_error(c, "a patterns table is a single --data file");
        if (a->conds || a->mask || a->atlas || a->labels)
            return cli_usage_error(c, "a patterns table carries its own conditions and "
                                      "features: --conditions, --mask, --atlas and --labels do "
                                      "not apply");
        if (a->noise.n > 1)
            return cli_usage_error(c, "with a patterns table, --noise is a single table");
    } else {
        if (!a->conds)
            return cli_usage_error(c, "no --conditions given (one row per volume of the data)");
        if (!a->mask && !a->atlas)
            return cli_usage_error(c, "give --mask or --atlas");
        if (a->labels && !a->atlas)
            return cli_usage_error(c, "--labels needs --atlas");
        if (a->name && a->atlas)
            return cli_usage_error(c, "--name applies to --mask alone (atlas regions are named "
                                      "by their labels)");
    }
    return cli_rdm_check_options(c, &r->a.rdm, a->noise.n) ? CLI_USAGE : 0;
}

/* Inputs are never overwritten, an existing output only with --force. */
static int check_output(const run *r)
{
    const args *a = &r->a;
    cli_strlist in = {0};
    for (size_t i = 0; i < a->data.n; i++)
        cli_strlist_push(&in, a->data.v[i]);
    for (size_t i = 0; i < a->noise.n; i++)
        cli_strlist_push(&in, a->noise.v[i]);
    const char *more[] = {a->conds, a->mask, a->atlas, a->labels};
    for (int i = 0; i < 4; i++)
        if (more[i])
            cli_strlist_push(&in, more[i]);
    int rc = bract_output_not_input(a->out, in.v, in.n);
    cli_strlist_free(&in);
    return rc || bract_output_check(a->out, r->c.force);
}

static int load_table(run *r)
{
    const args *a = &r->a;
    bract_rdm_design_opts dopts = cli_cond_design_opts(&a->cond);
    r->defname = cli_file_stem(a->data.v[0]);
    cli_log(&r->c, "reading patterns %s", a->data.v[0]);
    return bract_patterns_from_table(a->data.v[0], &dopts, a->name ? a->name : r->defname,
                                     a->noise.n ? a->noise.v[0] : NULL, &a->po, &r->d, &r->set);
}

/* Design, regions (an atlas, or the mask as one region), patterns. */
static int load_volumes(run *r)
{
    const args *a = &r->a;
    bract_rdm_design_opts dopts = cli_cond_design_opts(&a->cond);
    if (bract_rdm_design_read(a->conds, &dopts, &r->d))
        return -1;
    if (a->mask && bract_mask_read(a->mask, &r->mask, &r->geom))
        return -1;
    if (a->atlas) {
        if (bract_atlas_read(a->atlas, a->labels, r->mask, &r->atlas, &r->ageom))
            return -1;
        if (r->geom && bract_volume_same_grid(r->geom, r->ageom, 1e-3))
            return -1;
    } else {
        r->defname = cli_file_stem(a->mask);
        if (bract_atlas_from_mask(r->mask, a->name ? a->name : r->defname, &r->atlas))
            return -1;
    }
    cli_warnings(&r->c);
    cli_log(&r->c, "%zu volumes, %zu conditions, %zu runs, %zu regions", r->d->nvol, r->d->ncond,
            r->d->nrun, r->atlas->nregions);
    cli_bar bar;
    cli_bar_start(&bar, &r->c, "reading");
    bract_progress pr = cli_bar_progress(&bar);
    int rc = bract_patterns_from_volumes(a->data.v, a->data.n, r->d, r->atlas,
                                         r->ageom ? r->ageom : r->geom, a->noise.v, a->noise.n,
                                         &a->po, &pr, &r->set);
    cli_bar_finish(&bar);
    if (rc == BRACT_EDATA && strstr(bract_last_error(), "but the conditions have"))
        bract_error_context(rc, "%s", a->conds);
    return rc;
}

/* The RDMs of every region, and their undefined dissimilarities. */
static int compute(run *r)
{
    const bract_rdm_opts *ro = &r->a.rdm.o;
    size_t nreg = r->set->nregions;
    r->info = calloc(nreg, sizeof *r->info);
    if (!r->info)
        return bract_error(BRACT_ENOMEM, "out of memory");
    cli_log(&r->c, "computing %zu %s RDM%s of %zu conditions", nreg,
            bract_rdm_method_name(ro->method), nreg == 1 ? "" : "s", r->d->ncond);
    cli_bar bar;
    cli_bar_start(&bar, &r->c, "RDMs");
    bract_progress pr = cli_bar_progress(&bar);
    int rc = bract_patterns_rdms(r->d, r->set, ro, &pr, &r->rdms, r->info);
    cli_bar_finish(&bar);
    if (rc)
        return rc;
    for (size_t g = 0; g < nreg; g++)
        r->nnan += r->info[g].nnan;
    if (r->nnan)
        bract_warn("%zu dissimilarit%s left n/a: a condition's pattern is constant (correlation) "
                   "or zero (cosine)",
                   r->nnan, r->nnan == 1 ? "y" : "ies");
    return BRACT_OK;
}

/* Per region: its voxels, those dropped, and the noise estimate. */
static json_object *regions_json(const run *r)
{
    json_object *regs = json_object_new_array();
    for (size_t g = 0; g < r->set->nregions; g++) {
        const bract_patterns *p = &r->set->region[g];
        const bract_rdm_info *in = &r->info[g];
        json_object *e = json_object_new_object();
        json_object_object_add(e, "name", json_object_new_string(p->name));
        json_object_object_add(e, "voxels", json_object_new_int64((int64_t)p->nvox));
        json_object_object_add(e, "voxels_in_region",
                               json_object_new_int64((int64_t)p->nvox_region));
        json_object_object_add(e, "excluded_nonfinite",
                               json_object_new_int64((int64_t)p->dropped_nonfinite));
        json_object_object_add(e, "excluded_constant",
                               json_object_new_int64((int64_t)p->dropped_constant));
        if (!isnan(in->dof))
            json_object_object_add(e, "noise_dof", json_object_new_double(in->dof));
        if (in->nres)
            json_object_object_add(e, "noise_rows", json_object_new_int64((int64_t)in->nres));
        if (!isnan(in->shrinkage))
            json_object_object_add(e, "shrinkage", json_object_new_double(in->shrinkage));
        json_object_array_add(regs, e);
    }
    return regs;
}

/* A JSON array of strings, set as `key`. */
static void set_string_array(bract_sidecar *sc, const char *key, const char *const *v, size_t n)
{
    json_object *arr = json_object_new_array();
    for (size_t i = 0; i < n; i++)
        json_object_array_add(arr, json_object_new_string(v[i]));
    bract_sidecar_set_json(sc, key, json_object_to_json_string(arr));
    json_object_put(arr);
}

static void fill_sidecar(bract_sidecar *sc, const run *r)
{
    const args *a = &r->a;
    const bract_rdm_design *d = r->d;
    const bract_patterns_set *set = r->set;
    bract_sidecar_param_str(sc, "method", bract_rdm_method_name(a->rdm.o.method));
    bract_sidecar_param_str(sc, "convention", cli_rdm_convention(&a->rdm.o));
    cli_rdm_sidecar_noise(sc, &a->rdm, a->noise.n, "");
    bract_sidecar_param_str(sc, "condition_order", cli_cond_order(&a->cond));
    bract_sidecar_param_bool(sc, "demean_runs", a->po.demean_runs);
    bract_sidecar_param_int(sc, "min_voxels", a->po.min_voxels ? (int64_t)a->po.min_voxels : 2);
    set_string_array(sc, "ExcludedConditions", a->cond.exclude.v, a->cond.exclude.n);
    for (size_t i = 0; i < a->data.n; i++)
        bract_sidecar_input(sc, "data", a->data.v[i]);
    const char *const keys[] = {"conditions", "mask", "atlas", "labels"};
    const char *const files[] = {a->conds, a->mask, a->atlas, a->labels};
    for (int i = 0; i < 4; i++)
        if (files[i])
            bract_sidecar_input(sc, keys[i], files[i]);
    for (size_t i = 0; i < a->noise.n; i++)
        bract_sidecar_input(sc, "noise", a->noise.v[i]);
    size_t nonfinite = 0, constant = 0;
    for (size_t g = 0; g < set->nregions; g++) {
        nonfinite += set->region[g].dropped_nonfinite;
        constant += set->region[g].dropped_constant;
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
    bract_sidecar_count(sc, "nan_dissimilarities", (int64_t)r->nnan);
    json_object *regs = regions_json(r);
    bract_sidecar_set_json(sc, "Regions", json_object_to_json_string(regs));
    json_object_put(regs);
    set_string_array(sc, "SkippedRegions", (const char *const *)set->skipped, set->nskipped);
}

/* Patterns, RDMs, the RDM set and its sidecar: the exit status. */
static int rdm_neural(run *r)
{
    cli_ctx *c = &r->c;
    const char *out = r->a.out;
    if (check_output(r) || (r->table ? load_table(r) : load_volumes(r)))
        return cli_fail(c);
    cli_warnings(c);
    if (compute(r))
        return cli_fail(c);
    cli_warnings(c);
    if (bract_rdmset_write(r->rdms, out, c->force))
        return cli_fail(c);
    bract_sidecar *sc = cli_sidecar(c);
    if (sc)
        fill_sidecar(sc, r);
    int status = cli_sidecar_finish(c, sc, out);
    bract_sidecar_free(sc);
    if (status == CLI_OK && !c->quiet && strcmp(out, "-") != 0)
        cli_log(c, "wrote %s", out);
    return status == CLI_OK ? CLI_OK : CLI_DATA_ERROR;
}

int main_rdm_neural(int argc, char **argv)
{
    run r;
    memset(&r, 0, sizeof r);
    cli_ctx_init(&r.c, BRACT_CMD_RDM_NEURAL, NULL);
    cli_rdm_args_init(&r.a.rdm);
    int status = cli_parse(&r.c, &cli_spec_rdm_neural, &r.a, argc, argv);
    if (status == CLI_CONTINUE && !(status = check_args(&r))) {
        cli_apply(&r.c);
        if (r.table || !(status = cli_rdm_noise_dof_from_sidecars(&r.c, &r.a.rdm, r.a.noise.v,
                                                                  r.a.noise.n)))
            status = rdm_neural(&r);
    }
    run_free(&r);
    return status;
}

/* ---- bract rdm: dispatch ---- */

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const cli_spec *spec;
    const char *summary;
} actions[] = {
    {"neural", main_rdm_neural, &cli_spec_rdm_neural, "RDMs of response patterns per region"},
    {"model", main_rdm_model, &cli_spec_rdm_model,
     "an RDM of word vectors (word2vec, GloVe, TSV, LSA)"},
};
#define NACTIONS (sizeof actions / sizeof *actions)

int main_rdm(int argc, char **argv)
{
    for (size_t i = 0; argc >= 2 && i < NACTIONS; i++)
        if (strcmp(argv[1], actions[i].name) == 0)
            return actions[i].fn(argc - 1, argv + 1);
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("Usage: bract rdm neural|model [options]\n\n");
        for (size_t i = 0; i < NACTIONS; i++)
            printf("  %-8s %s\n", actions[i].name, actions[i].summary);
        for (size_t i = 0; i < NACTIONS; i++) {
            printf("\n");
            cli_print_help(actions[i].spec, stdout);
        }
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
