/* bract searchlight: searchlight RSA maps, one per model; under mpirun the
 * centres are shared among the ranks of cli_comm() (mpi.h) and rank 0
 * writes. */
#include "cli/cli.h"
#include "cli/mpi.h"
#include "cli/paths.h"
#include "cli/cmd/rdm.h"
#include "bract/outputs.h"
#include "bract/atlas.h"
#include "bract/mask.h"
#include "bract/sidecar.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

CLI_RDM_PARSERS
CLI_ENUM_PARSER(bract_compare_method, bract_compare_method_parse)
CLI_ENUM_PARSER(bract_compare_nan, bract_compare_nan_parse)

typedef struct {
    cli_strlist data, models, controls, noise;
    const char *conds, *mask, *out, *counts;
    cli_cond_args cond;
    cli_rdm_args rdm;
    bract_searchlight_opts so;
    bract_compare_opts co;
    bract_patterns_opts po;
    int partial, fisher, common;
} args;

static const cli_opt options[] = {
    CLI_GROUP("Inputs:"),
    CLI_LIST('d', "data", args, data, "FILE...", "a 4-D NIfTI series or 3-D maps, taken in order",
             .flags = CLI_REQUIRED),
    CLI_STRING('c', "conditions", args, conds, "FILE",
               "conditions TSV: condition, optional run; one row per\nvolume",
               .flags = CLI_REQUIRED),
    CLI_STRING('m', "mask", args, mask, "FILE", "the centres, and the voxels the spheres may use",
               .flags = CLI_REQUIRED),
    CLI_LIST(0, "model", args, models, "FILE...", "model RDM sets (every RDM in them is a model)",
             .flags = CLI_REQUIRED),
    CLI_LIST(0, "control", args, controls, "FILE...",
             "RDM sets regressed out (partial pearson or spearman)"),
    CLI_LIST(0, "noise", args, noise, "FILE...", "residual volumes for the noise precision"),
    CLI_GROUP("Spheres:"),
    CLI_DOUBLE(0, "radius", args, so.radius_mm, 1e-6, 1e6, "MM",
               "voxels within MM millimetres of the centre [6]"),
    CLI_FLAG(0, "strict", args, so.strict, "distance < radius (rsatoolbox), not <="),
    CLI_SIZE(0, "voxels", args, so.nvoxels, 1, 1e8, "N",
             "about the N nearest usable voxels (CoSMoMVPA's\nrule) instead of a radius"),
    CLI_FLAG(0, "keep-outside", args, so.keep_outside, "spheres also take voxels outside the mask"),
    CLI_SIZE(0, "min-voxels", args, so.min_voxels, 1, 1e8, "N",
             "leave out centres with fewer usable voxels [2]"),
    CLI_DOUBLE(0, "min-proportion", args, so.min_proportion, 0, 1, "F",
               "... or with fewer than F times the voxels of a full\n"
               "sphere (of N with --voxels) [0.5]"),
    CLI_GROUP("RDMs (as bract rdm neural):"),
    CLI_RDM_OPTIONS(args, rdm),
    CLI_COND_OPTIONS(args, cond),
    CLI_FLAG(0, "common-conditions", args, common,
             "compare on the models' conditions: conditions of\n"
             "the conditions table that the models lack (words\n"
             "without a vector, say) are left out, with a warning"),
    CLI_FLAG(0, "demean-runs", args, po.demean_runs,
             "subtract each voxel's mean over its run first"),
    CLI_GROUP("Comparison (as bract rsa):"),
    CLI_ENUM(0, "compare", args, co.method, bract_compare_method, "M",
             "spearman, pearson (also corr), kendall (also tau-b),\n"
             "tau-a, rho-a, cosine, corr_cov or cosine_cov [spearman]"),
    CLI_FLAG(0, "partial", args, partial, "regress the other models (and --control) out"),
    CLI_ENUM(0, "nan", args, co.nan_policy, bract_compare_nan, "POLICY",
             "pairs the models miss: 'match' (none may be missing)\n"
             "or 'model' (ignored in the spheres' RDMs) [match]"),
    CLI_GROUP("Output:"),
    CLI_STRING('o', "output", args, out, "FILE",
               "the map (.nii or .nii.gz); with several models a 4-D\n"
               "map of them all and FILE_<model> per model",
               .flags = CLI_REQUIRED),
    CLI_FLAG(0, "fisher", args, fisher, "also Fisher z = atanh(r) maps, FILE_z (correlations)"),
    CLI_STRING(0, "counts", args, counts, "FILE",
               "map of the usable voxels in each centre's sphere"),
    CLI_END};

const cli_spec cli_spec_searchlight = {
    "searchlight",
    "Usage: bract searchlight --data FILE... --conditions CONDS.tsv --mask MASK\n"
    "                         --model MODEL.tsv... -o MAP.nii.gz [options]",
    "Searchlight RSA: at every voxel of the mask, the RDM of the patterns in a\n"
    "sphere around it compared with each model RDM, giving one map per model.\n"
    "A voxel's value is what 'bract rdm neural' and 'bract rsa' give for the\n"
    "voxels of its sphere.  Run under mpirun, the ranks share the voxels.\n"
    "A file name may be followed by more file names (shell globs work).",
    options, NULL};

static int is_correlation(bract_compare_method m)
{
    return m != BRACT_CMP_COSINE && m != BRACT_CMP_COSINE_COV;
}

/* Usage errors beyond single options (printed; CLI_USAGE), else 0. */
static int check_args(const cli_ctx *c, args *a)
{
    int radius_set = cli_given(c, "radius");
    if (!cli_is_nifti_name(a->out) || (a->counts && !cli_is_nifti_name(a->counts)))
        return cli_usage_error(c, "maps are NIfTI files: name them .nii or .nii.gz (%s)",
                               cli_is_nifti_name(a->out) ? a->counts : a->out);
    if (a->so.nvoxels && radius_set)
        return cli_usage_error(c, "give --radius or --voxels, not both");
    if (a->so.nvoxels && (a->so.strict || a->so.keep_outside))
        return cli_usage_error(c, "--strict and --keep-outside apply to --radius spheres "
                                  "(CoSMoMVPA's --voxels rule takes mask voxels by distance)");
    if (cli_rdm_check_options(c, &a->rdm, a->noise.n))
        return CLI_USAGE;
    if ((a->partial || a->controls.n) && a->co.method != BRACT_CMP_PEARSON &&
        a->co.method != BRACT_CMP_SPEARMAN)
        return cli_usage_error(c, "%s needs --compare pearson or spearman (not %s)",
                               a->partial ? "--partial" : "--control",
                               bract_compare_method_name(a->co.method));
    a->co.partial = a->partial      ? BRACT_PARTIAL_OTHERS
                    : a->controls.n ? BRACT_PARTIAL_CONTROLS
                                    : BRACT_PARTIAL_NONE;
    if (a->fisher && !is_correlation(a->co.method))
        return cli_usage_error(c, "--fisher applies to correlations, not to %s",
                               bract_compare_method_name(a->co.method));
    return 0;
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

/* The output files: map (and per-model maps), Fisher z maps. */
typedef struct {
    size_t n;
    char **path; /* n */
    int *kind;   /* 0 map, 1 Fisher z */
    long *model; /* model, or -1 for the 4-D stack */
} outputs;

static void outputs_free(outputs *o)
{
    for (size_t i = 0; i < o->n; i++)
        free(o->path[i]);
    free(o->path);
    free(o->kind);
    free(o->model);
}

static int plan_outputs(const args *a, const cli_models *m, outputs *o)
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
            char *p1 = word ? with_suffix(a->out, word) : NULL;
            char *p = p1 ? with_suffix(p1, f ? "_z" : "") : NULL;
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
             /* what a killed run left (the -o map is written last) */
             (strcmp(p, a->out) != 0 && bract_output_drop_leftover(p, a->out) < 0) ||
             bract_output_check(p, c->force) || (side && bract_output_check(side, c->force));
        free(side);
        if (!rc && a->counts && i < o->n && strcmp(o->path[i], a->counts) == 0)
            rc = bract_error(BRACT_EINVAL, "--counts names the map %s", a->counts);
    }
    cli_strlist_free(&in);
    return rc ? -1 : 0;
}

/* ---- the run ---- */

typedef struct {
    size_t centres, computed, left_out, failed, undefined;
    size_t size_min, size_max;
    double size_mean;
    double radius_min, radius_max; /* count spheres: the radius reached */
} tally;

typedef struct {
    cli_ctx c;
    args a;
    cli_mpi mpi;
    cli_models ml;
    outputs outs;
    bract_rdm_design *d;
    bract_mask *mask;
    bract_volume *geom;
    bract_searchlight *sl;
    bract_searchlight_models *sm;
    bract_atlas *atlas;
    bract_patterns_set *set;
    size_t C, K;             /* centres, models */
    size_t *bounds;          /* size + 1: the centres of each rank */
    double *vals, *all_vals; /* this rank's values; rank 0: every centre's */
    unsigned char *st, *all_st;
    bract_searchlight_failure fail;
    tally t;
    size_t nleft_out; /* conditions the models lack, left out (--common-conditions) */
} run;

static void run_free(run *r)
{
    free(r->vals);
    free(r->all_vals);
    free(r->st);
    free(r->all_st);
    free(r->bounds);
    bract_patterns_set_free(r->set);
    bract_atlas_free(r->atlas);
    bract_searchlight_models_free(r->sm);
    bract_searchlight_free(r->sl);
    bract_rdm_design_free(r->d);
    bract_mask_free(r->mask);
    bract_volume_free(r->geom);
    outputs_free(&r->outs);
    cli_models_free(&r->ml);
    cli_args_free(&cli_spec_searchlight, &r->a);
}

/* The patterns of the voxels the spheres may use (one region). */
static int read_patterns(run *r)
{
    args *a = &r->a;
    size_t nd;
    const size_t *dv = bract_searchlight_data_voxels(r->sl, &nd);
    bract_mask dm = {r->mask->nx, r->mask->ny, r->mask->nz, nd, (size_t *)dv};
    if (bract_atlas_from_mask(&dm, a->so.keep_outside ? "sphere voxels" : "mask", &r->atlas))
        return -1;
    cli_warnings(&r->c);
    cli_log(&r->c, "%zu volumes, %zu conditions, %zu runs, %zu centres", r->d->nvol, r->d->ncond,
            r->d->nrun, r->mask->n);
    cli_bar bar;
    cli_bar_start(&bar, &r->c, "reading");
    bract_progress pr = cli_bar_progress(&bar);
    int rc = bract_patterns_from_volumes(a->data.v, a->data.n, r->d, r->atlas, r->geom, a->noise.v,
                                         a->noise.n, &a->po, &pr, &r->set);
    cli_bar_finish(&bar);
    if (rc) {
        if (rc == BRACT_EDATA && strstr(bract_last_error(), "but the conditions have"))
            bract_error_context(rc, "%s", a->conds);
        return rc;
    }
    const bract_patterns *p = &r->set->region[0];
    return bract_searchlight_set_columns(r->sl, p->voxel, p->nvox);
}

/* 1 if `label` is one of the n labels of `set`. */
static int has_label(char *const *set, size_t n, const char *label)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(set[i], label) == 0)
            return 1;
    return 0;
}

/* The design, for the models' conditions.  When the conditions table holds
 * conditions the first model lacks (and lacks none of the model's), they
 * are an error that says how to leave them out, or with
 * --common-conditions they are left out (as --exclude) with a warning.
 * Any other difference is left to the library's message.  0, or -1 with
 * the error recorded. */
static int read_design(run *r)
{
    args *a = &r->a;
    bract_rdm_design_opts dopts = cli_cond_design_opts(&a->cond);
    if (bract_rdm_design_read(a->conds, &dopts, &r->d))
        return -1;
    const bract_rdm *m0 = r->ml.rdm[0];
    const bract_rdm_design *d = r->d;
    for (size_t k = 0; k < m0->n; k++)
        if (!has_label(d->cond, d->ncond, m0->cond[k]))
            return 0;
    size_t nx = 0, nexcl = a->cond.exclude.n;
    char **extra = calloc(d->ncond + 1, sizeof *extra);
    const char **excl = calloc(nexcl + d->ncond + 1, sizeof *excl);
    char list[1024] = "", hint[1024] = "";
    size_t ll = 0, hl = 0;
    int rc = extra && excl ? 0 : bract_error(BRACT_ENOMEM, "out of memory");
    for (size_t i = 0; i < d->ncond && !rc; i++)
        if (!has_label(m0->cond, m0->n, d->cond[i])) {
            if (!(extra[nx] = strdup(d->cond[i])))
                rc = bract_error(BRACT_ENOMEM, "out of memory");
            if (nx < 5 && ll < sizeof list && hl < sizeof hint) {
                ll += (size_t)snprintf(list + ll, sizeof list - ll, "%s'%s'", nx ? ", " : "",
                                       d->cond[i]);
                hl += (size_t)snprintf(hint + hl, sizeof hint - hl, " %s", d->cond[i]);
            }
            nx++;
        }
    if (!rc && nx) {
        if (nx > 5 && ll < sizeof list)
            snprintf(list + ll, sizeof list - ll, ", ... (%zu in all)", nx);
        if (!a->common)
            rc = bract_error(BRACT_EDATA,
                             "%s: %zu condition%s the models lack: %s; leave %s out (--exclude%s) "
                             "or compare on the models' conditions only (--common-conditions)",
                             a->conds, nx, nx == 1 ? "" : "s", list, nx == 1 ? "it" : "them",
                             nx > 5 ? " LABEL..." : hint);
        else {
            bract_warn("%zu condition%s the models lack left out: %s", nx, nx == 1 ? "" : "s",
                       list);
            for (size_t i = 0; i < nexcl; i++)
                excl[i] = a->cond.exclude.v[i];
            for (size_t i = 0; i < nx; i++)
                excl[nexcl + i] = extra[i];
            dopts.exclude = excl;
            dopts.nexclude = nexcl + nx;
            bract_rdm_design_free(r->d);
            r->d = NULL;
            rc = bract_rdm_design_read(a->conds, &dopts, &r->d);
            r->nleft_out = nx;
        }
    }
    for (size_t i = 0; extra && i < nx; i++)
        free(extra[i]);
    free(extra);
    free(excl);
    return rc ? -1 : 0;
}

/* Radius spheres of one voxel (a coarse grid, or a small radius) would
 * all be left out by the minimum of 2 voxels: say so, and offer the radius
 * that reaches the 6 face neighbours.  Unless --min-voxels 1 asks for them.
 * 0, or -1 with the error recorded. */
static int check_one_voxel_spheres(const run *r)
{
    const bract_searchlight_opts *so = &r->a.so;
    if (so->nvoxels || bract_searchlight_full_size(r->sl) != 1 || so->min_voxels == 1)
        return 0;
    double face = bract_searchlight_face_radius(r->sl);
    /* a round value that reaches them: <= face, or > face when strict */
    double want = so->strict ? floor(face * 10 + 1e-6) / 10 + 0.1 : ceil(face * 10 - 1e-6) / 10;
    const double *v = r->geom->vox_mm;
    bract_error(BRACT_EDATA,
                "spheres of radius %g mm%s hold a single voxel on this grid (voxels of %g x %g x "
                "%g mm), and an RDM needs several: give a larger radius, e.g. --radius %g (the "
                "centre and its 6 face neighbours)",
                so->radius_mm, so->strict ? " (strict)" : "", v[0], v[1], v[2], want);
    return -1;
}

/* Everything every rank needs: models, outputs refused early, design,
 * mask, spheres, patterns.  1 when ok. */
static int prepare(run *r)
{
    args *a = &r->a;
    if (cli_models_read(&r->ml, &r->c, &a->models, &a->controls) ||
        plan_outputs(a, &r->ml, &r->outs) || check_outputs(&r->c, a, &r->outs) || read_design(r) ||
        bract_mask_read(a->mask, &r->mask, &r->geom))
        return 0;
    if (r->mask->n == 0) {
        bract_error(BRACT_EDATA, "%s: the mask is empty", a->mask);
        return 0;
    }
    const cli_models *m = &r->ml;
    return !bract_searchlight_models_new(r->d, m->K, m->rdm, m->file, m->nc, m->ctl, m->cfile, &a->co,
                                &r->sm) &&
           !bract_searchlight_new(r->mask, r->geom, &a->so, &r->sl) && !check_one_voxel_spheres(r) &&
           !read_patterns(r);
}

/* This rank's centres.  1 when ok. */
static int compute(run *r)
{
    const cli_mpi *mpi = &r->mpi;
    const args *a = &r->a;
    size_t C = r->C = bract_searchlight_ncentres(r->sl), K = r->K = r->ml.K;
    r->bounds = malloc(((size_t)mpi->size + 1) * sizeof *r->bounds);
    if (r->bounds)
        bract_searchlight_split(r->sl, (size_t)mpi->size, r->bounds);
    size_t c0 = r->bounds ? r->bounds[mpi->rank] : 0;
    size_t c1 = r->bounds ? r->bounds[mpi->rank + 1] : 0;
    r->vals = malloc(((c1 - c0) * K + 1) * sizeof *r->vals);
    r->st = malloc(c1 - c0 + 1);
    if (mpi->rank == 0) {
        r->all_vals = malloc((C * K + 1) * sizeof *r->all_vals);
        r->all_st = malloc(C + 1);
    }
    r->fail = (bract_searchlight_failure){SIZE_MAX, ""};
    if (!r->bounds || !r->vals || !r->st || (mpi->rank == 0 && (!r->all_vals || !r->all_st))) {
        bract_error(BRACT_ENOMEM, "out of memory for %zu centres x %zu models", C, K);
        return 0;
    }
    const bract_patterns *p = &r->set->region[0];
    bract_searchlight_input in = {r->d, a->rdm.o, p->x, p->nvox, p->res, p->nvox, p->nres, r->sm};
    cli_log(&r->c, "%zu centres (%zu on this rank of %d), %s RDMs, %s, largest sphere %zu voxels",
            C, c1 - c0, mpi->size, bract_rdm_method_name(a->rdm.o.method),
            bract_compare_method_name(a->co.method), bract_searchlight_max_size(r->sl));
    cli_bar bar;
    cli_bar_start(&bar, &r->c, "searchlight");
    bract_progress pr = cli_bar_progress(&bar);
    int ok = !bract_searchlight_run(r->sl, &in, c0, c1, r->vals, r->st, &r->fail, &pr);
    cli_bar_finish(&bar);
    return ok;
}

/* Rank 0: what became of the centres, and the sizes of their spheres. */
static void count_centres(run *r)
{
    tally *t = &r->t;
    memset(t, 0, sizeof *t);
    t->centres = r->C;
    t->size_min = SIZE_MAX;
    t->radius_min = INFINITY;
    double sum = 0;
    const uint32_t *sz = bract_searchlight_sizes(r->sl);
    for (size_t q = 0; q < r->C; q++) {
        unsigned char s = r->all_st[q];
        t->left_out += s == BRACT_SL_LEFT_OUT;
        t->failed += s == BRACT_SL_FAILED;
        t->undefined += s == BRACT_SL_UNDEFINED;
        if (s == BRACT_SL_LEFT_OUT)
            continue;
        t->computed++;
        sum += sz[q];
        if (sz[q] < t->size_min)
            t->size_min = sz[q];
        if (sz[q] > t->size_max)
            t->size_max = sz[q];
        if (r->a.so.nvoxels) {
            double rad;
            bract_searchlight_sphere(r->sl, q, NULL, &rad);
            if (rad < t->radius_min)
                t->radius_min = rad;
            if (rad > t->radius_max)
                t->radius_max = rad;
        }
    }
    t->size_mean = t->computed ? sum / (double)t->computed : 0;
    if (!t->computed)
        t->size_min = 0;
    if (!isfinite(t->radius_min))
        t->radius_min = 0;
}

/* Rank 0: warnings about the centres; an error when none was computed. */
static int report_centres(run *r)
{
    const tally *t = &r->t;
    const bract_searchlight_opts *so = &r->a.so;
    size_t full = so->nvoxels ? so->nvoxels : bract_searchlight_full_size(r->sl);
    if (t->left_out)
        bract_warn("%zu of %zu centres left out: their spheres have fewer than %zu usable "
                   "voxels or fewer than %g x %zu (%s) (--min-voxels, --min-proportion)",
                   t->left_out, r->C, so->min_voxels, so->min_proportion, full,
                   so->nvoxels ? "--voxels" : "a full sphere");
    if (t->failed) {
        size_t v = bract_searchlight_centres(r->sl)[r->fail.centre], nx = (size_t)r->mask->nx;
        size_t ny = (size_t)r->mask->ny;
        bract_warn("%zu centre%s failed, the first at voxel %lld,%lld,%lld: %s", t->failed,
                   t->failed == 1 ? "" : "s", (long long)(v % nx), (long long)(v / nx % ny),
                   (long long)(v / (nx * ny)), r->fail.message);
    }
    if (t->undefined)
        bract_warn("%zu centre%s with an undefined comparison (a pattern or RDM constant over "
                   "the sphere): NaN",
                   t->undefined, t->undefined == 1 ? "" : "s");
    cli_warnings(&r->c);
    if (t->computed && t->failed == t->computed)
        return cli_error(&r->c, "every centre failed: %s", r->fail.message);
    if (!t->computed)
        return cli_error(&r->c,
                         "every centre was left out: no sphere has %zu usable voxels and "
                         "%g x %zu; see --min-voxels and --min-proportion",
                         so->min_voxels, so->min_proportion, full);
    return CLI_OK;
}

static const char *sphere_rule(const bract_searchlight_opts *so)
{
    if (so->nvoxels)
        return "count: about the N nearest usable voxels of the mask (CoSMoMVPA's rule)";
    return so->strict ? "radius: distance < radius in mm (rsatoolbox)"
                      : "radius: distance <= radius in mm (CoSMoMVPA, PyMVPA, RSA toolbox)";
}

/* The sizes of the spheres computed. */
static json_object *sphere_json(const run *r)
{
    const tally *t = &r->t;
    int count = r->a.so.nvoxels != 0;
    json_object *sz = json_object_new_object();
    if (!count)
        json_object_object_add(sz, "full_sphere",
                               json_object_new_int64((int64_t)bract_searchlight_full_size(r->sl)));
    json_object_object_add(sz, "min", json_object_new_int64((int64_t)t->size_min));
    json_object_object_add(sz, "mean", json_object_new_double(t->size_mean));
    json_object_object_add(sz, "max", json_object_new_int64((int64_t)t->size_max));
    if (count) {
        json_object_object_add(sz, "radius_min_mm", json_object_new_double(t->radius_min));
        json_object_object_add(sz, "radius_max_mm", json_object_new_double(t->radius_max));
    }
    return sz;
}

static void fill_params(bract_sidecar *sc, const args *a)
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
    bract_sidecar_param_str(sc, "method", bract_rdm_method_name(a->rdm.o.method));
    bract_sidecar_param_str(sc, "convention", cli_rdm_convention(&a->rdm.o));
    cli_rdm_sidecar_noise(sc, &a->rdm, a->noise.n, ", within each sphere");
    bract_sidecar_param_str(sc, "compare", bract_compare_method_name(a->co.method));
    bract_sidecar_param_str(sc, "partial", cli_partial_words(a->co.partial));
    bract_sidecar_param_str(sc, "nan", bract_compare_nan_name(a->co.nan_policy));
    bract_sidecar_param_str(sc, "condition_order", cli_cond_order(&a->cond));
    bract_sidecar_param_bool(sc, "common_conditions", a->common);
    bract_sidecar_param_bool(sc, "demean_runs", a->po.demean_runs);
    for (size_t i = 0; i < a->data.n; i++)
        bract_sidecar_input(sc, "data", a->data.v[i]);
    bract_sidecar_input(sc, "conditions", a->conds);
    bract_sidecar_input(sc, "mask", a->mask);
    const char *const keys[] = {"model", "control", "noise"};
    const cli_strlist *lists[] = {&a->models, &a->controls, &a->noise};
    for (int l = 0; l < 3; l++)
        for (size_t i = 0; i < lists[l]->n; i++)
            bract_sidecar_input(sc, keys[l], lists[l]->v[i]);
}

static void fill_sidecar(bract_sidecar *sc, const run *r)
{
    const bract_rdm_design *d = r->d;
    const bract_patterns *p = &r->set->region[0];
    const tally *t = &r->t;
    fill_params(sc, &r->a);
    bract_sidecar_count(sc, "volumes", (int64_t)d->nvol);
    bract_sidecar_count(sc, "excluded_volumes", (int64_t)d->nexcluded);
    bract_sidecar_count(sc, "conditions", (int64_t)d->ncond);
    bract_sidecar_count(sc, "conditions_the_models_lack", (int64_t)r->nleft_out);
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
    json_object *sz = sphere_json(r);
    bract_sidecar_set_json(sc, "SphereVoxels", json_object_to_json_string(sz));
    json_object_put(sz);
    json_object *ms = json_object_new_array();
    for (size_t k = 0; k < r->ml.K; k++)
        json_object_array_add(ms, json_object_new_string(r->ml.name[k]));
    bract_sidecar_set_json(sc, "Models", json_object_to_json_string(ms));
    json_object_put(ms);
    bract_sidecar_set_num(sc, "Ranks", r->mpi.size);
}

/* Write one map (K values per centre, volume k of a 4-D stack or model k). */
static int write_map(const run *r, long model, int fisher, const char *path)
{
    const cli_ctx *c = &r->c;
    const bract_compare_opts *co = &r->a.co;
    size_t K = r->K, nv = model < 0 ? K : 1, C = r->C;
    const size_t *cen = bract_searchlight_centres(r->sl);
    bract_volume *v;
    if (bract_volume_new_like(r->geom, (int64_t)nv, BRACT_F32, &v))
        return cli_fail(c);
    float *f = v->data;
    for (size_t i = 0; i < v->nvox * nv; i++)
        f[i] = NAN;
    for (size_t t = 0; t < nv; t++) {
        size_t k = model < 0 ? t : (size_t)model;
        for (size_t q = 0; q < C; q++) {
            double x = r->all_vals[q * K + k];
            f[t * v->nvox + cen[q]] = (float)(fisher ? bract_stats_fisher_z(x) : x);
        }
    }
    int corr = is_correlation(co->method);
    char name[16], descrip[80];
    snprintf(name, sizeof name, "%s", fisher ? "Fisher z" : bract_compare_method_name(co->method));
    snprintf(descrip, sizeof descrip, "bract %s searchlight: %s%s%s", bract_version(),
             co->partial != BRACT_PARTIAL_NONE ? "partial " : "", bract_compare_method_name(co->method),
             fisher ? ", Fisher z" : "");
    bract_volume_write_opts wo = {corr && !fisher ? BRACT_INTENT_CORREL : BRACT_INTENT_ESTIMATE,
                                  {0, 0, 0}, name, descrip, c->force};
    int rc = bract_volume_write(v, path, &wo);
    bract_volume_free(v);
    return rc ? cli_fail(c) : CLI_OK;
}

static int write_counts(const run *r, const char *path)
{
    bract_volume *v;
    if (bract_volume_new_like(r->geom, 1, BRACT_F32, &v))
        return cli_fail(&r->c);
    float *f = v->data;
    const size_t *cen = bract_searchlight_centres(r->sl);
    const uint32_t *sz = bract_searchlight_sizes(r->sl);
    for (size_t q = 0; q < r->C; q++)
        f[cen[q]] = (float)sz[q];
    char descrip[80];
    snprintf(descrip, sizeof descrip, "bract %s searchlight: usable voxels per sphere",
             bract_version());
    bract_volume_write_opts wo = {BRACT_INTENT_NONE, {0, 0, 0}, "voxels", descrip, r->c.force};
    int rc = bract_volume_write(v, path, &wo);
    bract_volume_free(v);
    return rc ? cli_fail(&r->c) : CLI_OK;
}

/* Rank 0: the maps with their sidecars, --counts and per-model maps first,
 * the -o file (the primary output, the pipeline's record) last, so that a
 * killed run leaves no -o file and its rerun replaces the rest.  1 when
 * all were written. */
static int write_outputs(const run *r)
{
    const outputs *outs = &r->outs;
    bract_sidecar *sc = cli_sidecar(&r->c);
    if (sc)
        fill_sidecar(sc, r);
    int wrote = 1;
    if (r->a.counts) {
        if (write_counts(r, r->a.counts))
            wrote = 0;
        else if (sc) {
            bract_sidecar_set_str(sc, "Model", "none");
            bract_sidecar_set_str(sc, "Values", "usable voxels in the sphere of each centre");
            if (cli_sidecar_finish(&r->c, sc, r->a.counts))
                wrote = 0;
        }
    }
    for (size_t pass = 0; pass < 2 && wrote; pass++)
        for (size_t i = 0; i < outs->n && wrote; i++) {
            if ((size_t)(strcmp(outs->path[i], r->a.out) == 0) != pass)
                continue;
            if (write_map(r, outs->model[i], outs->kind[i], outs->path[i])) {
                wrote = 0;
                break;
            }
            if (sc) {
                long k = outs->model[i];
                bract_sidecar_set_str(sc, "Model",
                                      k < 0 ? "all (one volume each, in the order "
                                              "of Models)"
                                            : r->ml.name[k]);
                bract_sidecar_set_str(sc, "Values",
                                      outs->kind[i] ? "Fisher z = atanh(value)"
                                                    : bract_compare_method_name(r->a.co.method));
            }
            if (cli_sidecar_finish(&r->c, sc, outs->path[i]))
                wrote = 0;
            else
                cli_log(&r->c, "wrote %s", outs->path[i]);
        }
    bract_sidecar_free(sc);
    return wrote;
}

/* Every rank: prepare, compute its centres, gather at rank 0, which
 * reports and writes.  The exit status of rank 0, on every rank. */
static int searchlight(run *r)
{
    cli_ctx *c = &r->c;
    int status = CLI_DATA_ERROR, ok = prepare(r);
    if (!cli_mpi_agree(&r->mpi, c, ok)) {
        if (!ok)
            cli_fail(c);
        return cli_mpi_status(&r->mpi, status);
    }
    cli_warnings(c);
    ok = compute(r);
    if (!cli_mpi_agree(&r->mpi, c, ok)) {
        if (!ok)
            cli_fail(c);
        return cli_mpi_status(&r->mpi, status);
    }
    if (cli_mpi_gather(&r->mpi, r->bounds, r->K, CLI_MPI_DOUBLE, r->vals, r->all_vals) ||
        cli_mpi_gather(&r->mpi, r->bounds, 1, CLI_MPI_BYTE, r->st, r->all_st)) {
        cli_fail(c);
        return cli_mpi_status(&r->mpi, status);
    }
    cli_mpi_first_failure(&r->mpi, &r->fail.centre, r->fail.message, sizeof r->fail.message);
    if (r->mpi.rank != 0)
        status = CLI_OK;
    else {
        count_centres(r);
        if (report_centres(r) == CLI_OK && write_outputs(r))
            status = CLI_OK;
    }
    return cli_mpi_status(&r->mpi, status);
}

int main_searchlight(int argc, char **argv)
{
    run r;
    memset(&r, 0, sizeof r);
    cli_ctx_init(&r.c, BRACT_CMD_SEARCHLIGHT, NULL);
    cli_mpi_init(&r.mpi);
    args *a = &r.a;
    cli_rdm_args_init(&a->rdm);
    a->so.radius_mm = 6;
    a->so.min_voxels = 2;
    a->so.min_proportion = 0.5;
    a->co.method = BRACT_CMP_SPEARMAN;
    a->co.nan_policy = BRACT_NAN_MATCH;
    int status = cli_parse(&r.c, &cli_spec_searchlight, a, argc, argv);
    if (status == CLI_CONTINUE && !(status = check_args(&r.c, a))) {
        if (r.mpi.rank != 0)
            r.c.quiet = 1;
        cli_apply(&r.c);
        if (!(status = cli_rdm_noise_dof_from_sidecars(&r.c, &a->rdm, a->noise.v, a->noise.n)))
            status = searchlight(&r);
    }
    run_free(&r);
    cli_mpi_done(&r.mpi);
    return status;
}
