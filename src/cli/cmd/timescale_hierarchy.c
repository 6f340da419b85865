/* bract timescale hierarchy: order regions by timescale and test the order
 * against a hierarchy index, per subject and across subjects. */
#include "cli/cli.h"
#include "cli/opts.h"
#include "bract/outputs.h"
#include "bract/tsv.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main_timescale_hierarchy(int argc, char **argv);

typedef struct {
    const char *index, *coords, *column, *dir;
    cli_strlist tau;
    bract_hierarchy_opts o;
} args;

static const cli_opt options[] = {
    CLI_GROUP("Options:"),
    CLI_STRING(0, "index", args, index, "FILE",
               "TSV with columns region and value (the hierarchy index)", .flags = CLI_REQUIRED),
    CLI_STRING(0, "coords", args, coords, "FILE",
               "TSV with columns region, x, y, z (mm): the spatial null"),
    CLI_STRING(0, "column", args, column, "NAME", "the timescale column of the TAU files [tau_s]"),
    CLI_SIZE(0, "permutations", args, o.nperm, 0, 100000000, "N",
             "permutations and spatial surrogates [10000]"),
    CLI_SIZE(0, "bootstrap", args, o.nboot, 0, 100000000, "N",
             "bootstrap samples of subjects [2000]"),
    CLI_DOUBLE(0, "ci", args, o.level, 0, 1, "LEVEL", "level of the bootstrap interval [0.95]"),
    CLI_STRING('o', "output", args, dir, "DIR",
               "directory for regions.tsv, hierarchy.tsv and, with\n"
               "several subjects, reliability.tsv",
               .flags = CLI_REQUIRED),
    CLI_ARGS(args, tau, "TAU.tsv...", "the timescales of each subject ('bract timescale')"),
    CLI_END};

const cli_spec cli_spec_timescale_hierarchy = {
    "timescale hierarchy",
    "Usage: bract timescale hierarchy --index FILE -o DIR [options] TAU.tsv...",
    "Order regions by their timescale and correlate the order with a hierarchy\n"
    "index (Spearman), with a permutation p-value and, given region centres, a\n"
    "spatial-autocorrelation-preserving one (Moran spectral randomisation).\n"
    "Each TAU.tsv (from 'bract timescale', one per subject) has columns region\n"
    "and tau_s; with several, also the group mean per region, the between-subject\n"
    "reliability (ICC(3,1), ICC(3,k)) and a bootstrap interval of the group\n"
    "correlation.",
    options, NULL};

typedef struct {
    size_t n;
    char **name;
    double *value;
    double *xyz; /* n x 3, or NULL */
} regions;

static void regions_free(regions *r)
{
    if (r->name)
        for (size_t i = 0; i < r->n; i++)
            free(r->name[i]);
    free(r->name);
    free(r->value);
    free(r->xyz);
}

static long find_region(const regions *r, const char *name)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->name[i], name) == 0)
            return (long)i;
    return -1;
}

/* The index table: regions in file order. */
static int read_index(const cli_ctx *c, const char *path, regions *r)
{
    bract_table *t;
    size_t cr, cv;
    if (bract_table_read(path, &t))
        return cli_fail(c);
    if (bract_table_require(t, "region", &cr) || bract_table_require(t, "value", &cv)) {
        bract_table_free(t);
        return cli_fail(c);
    }
    r->name = calloc(t->nrows ? t->nrows : 1, sizeof *r->name);
    r->value = calloc(t->nrows ? t->nrows : 1, sizeof *r->value);
    if (!r->name || !r->value) {
        bract_table_free(t);
        return cli_error(c, "out of memory");
    }
    for (size_t i = 0; i < t->nrows; i++) {
        const char *nm = bract_table_cell(t, i, cr);
        if (find_region(r, nm) >= 0) {
            int rc = cli_error(c, "%s:%zu: region '%s' is listed twice", path, t->line[i], nm);
            bract_table_free(t);
            return rc;
        }
        if (bract_table_double(t, i, cv, &r->value[r->n])) {
            bract_table_free(t);
            return cli_fail(c);
        }
        r->name[r->n++] = strdup(nm);
        if (!r->name[r->n - 1]) {
            bract_table_free(t);
            return cli_error(c, "out of memory");
        }
    }
    bract_table_free(t);
    if (r->n < 3)
        return cli_error(c, "%s: a hierarchy needs at least 3 regions, the index has %zu", path,
                         r->n);
    return CLI_OK;
}

static int read_coords(const cli_ctx *c, const char *path, regions *r)
{
    bract_table *t;
    size_t col[4];
    static const char *const names[4] = {"region", "x", "y", "z"};
    if (bract_table_read(path, &t))
        return cli_fail(c);
    for (int k = 0; k < 4; k++)
        if (bract_table_require(t, names[k], &col[k])) {
            bract_table_free(t);
            return cli_fail(c);
        }
    r->xyz = malloc(3 * r->n * sizeof *r->xyz);
    if (!r->xyz) {
        bract_table_free(t);
        return cli_error(c, "out of memory");
    }
    for (size_t i = 0; i < 3 * r->n; i++)
        r->xyz[i] = NAN;
    for (size_t i = 0; i < t->nrows; i++) {
        long g = find_region(r, bract_table_cell(t, i, col[0]));
        if (g < 0)
            continue;
        for (int k = 0; k < 3; k++)
            if (bract_table_double(t, i, col[k + 1], &r->xyz[3 * (size_t)g + (size_t)k])) {
                bract_table_free(t);
                return cli_fail(c);
            }
    }
    bract_table_free(t);
    for (size_t g = 0; g < r->n; g++)
        if (!isfinite(r->xyz[3 * g]) || !isfinite(r->xyz[3 * g + 1]) ||
            !isfinite(r->xyz[3 * g + 2]))
            return cli_error(c, "%s: no finite coordinates for region '%s' of the index", path,
                             r->name[g]);
    return CLI_OK;
}

/* One TAU file into row `tau` (r->n values, NaN where absent). */
static int read_tau(const cli_ctx *c, const char *path, const char *column, const regions *r,
                    double *tau)
{
    bract_table *t;
    size_t cr, ct;
    if (bract_table_read(path, &t))
        return cli_fail(c);
    if (bract_table_require(t, "region", &cr) || bract_table_require(t, column, &ct)) {
        bract_table_free(t);
        return cli_fail(c);
    }
    for (size_t g = 0; g < r->n; g++)
        tau[g] = NAN;
    size_t unknown = 0;
    for (size_t i = 0; i < t->nrows; i++) {
        long g = find_region(r, bract_table_cell(t, i, cr));
        if (g < 0) {
            unknown++;
            continue;
        }
        if (bract_table_double(t, i, ct, &tau[g])) {
            bract_table_free(t);
            return cli_fail(c);
        }
    }
    bract_table_free(t);
    if (unknown)
        bract_warn("%s: %zu region%s not in the index: ignored", path, unknown,
                   unknown == 1 ? "" : "s");
    return CLI_OK;
}

/* The run: inputs, the group statistics, the outputs. */
typedef struct {
    cli_ctx c;
    args a;
    size_t nsub, nout;
    char path[3][4096];
    regions r;
    double *tau; /* nsub x regions */
    bract_hierarchy_group *g;
    bract_sidecar *sc;
    int made_dir; /* the output directory was made by this run */
} run;

static const char *const base[3] = {BRACT_OUT_HIER_REGIONS, BRACT_OUT_HIER_HIERARCHY,
                                    BRACT_OUT_HIER_RELIABILITY};

/* The output directory and its files, refused over an input or an
 * existing file before any work. */
static int prepare(run *u)
{
    cli_ctx *c = &u->c;
    const args *a = &u->a;
    if (bract_output_make_dir(a->dir, &u->made_dir))
        return cli_fail(c);
    u->nout = u->nsub >= 2 ? 3 : 2;
    for (size_t k = 0; k < 3; k++)
        snprintf(u->path[k], sizeof u->path[k], "%s/%s", a->dir, base[k]);
    const char **ins = malloc((u->nsub + 2) * sizeof *ins);
    if (!ins)
        return cli_error(c, "out of memory");
    size_t nin = 0;
    ins[nin++] = a->index;
    if (a->coords)
        ins[nin++] = a->coords;
    for (size_t s = 0; s < u->nsub; s++)
        ins[nin++] = a->tau.v[s];
    int rc = CLI_OK;
    for (size_t k = 0; k < u->nout && !rc; k++)
        if (bract_output_not_input(u->path[k], ins, nin) || bract_output_check(u->path[k], c->force))
            rc = cli_fail(c);
    free(ins);
    return rc;
}

/* The index, the coordinates, every TAU file; then the statistics. */
static int load_and_compute(run *u)
{
    cli_ctx *c = &u->c;
    const args *a = &u->a;
    if (read_index(c, a->index, &u->r) || (a->coords && read_coords(c, a->coords, &u->r)))
        return CLI_DATA_ERROR;
    size_t R = u->r.n;
    if (!(u->tau = malloc(u->nsub * R * sizeof *u->tau)))
        return cli_error(c, "out of memory");
    for (size_t s = 0; s < u->nsub; s++)
        if (read_tau(c, a->tau.v[s], a->column, &u->r, u->tau + s * R))
            return CLI_DATA_ERROR;
    cli_log(c, "testing %zu file%s", u->nsub, u->nsub == 1 ? "" : "s");
    if (bract_hierarchy_group_new(u->tau, u->nsub, R, u->r.value, u->r.xyz, &a->o, &u->g))
        return cli_fail(c);
    if (u->g->unmeasured)
        bract_warn("%zu region%s of the index without a finite %s in any file: excluded",
                   u->g->unmeasured, u->g->unmeasured == 1 ? "" : "s", a->column);
    cli_warnings(c);
    return CLI_OK;
}

static int make_sidecar(run *u)
{
    const args *a = &u->a;
    bract_sidecar *sc = u->sc = cli_sidecar(&u->c);
    if (!sc)
        return cli_error(&u->c, "out of memory");
    bract_sidecar_param_str(sc, "column", a->column);
    bract_sidecar_param_int(sc, "permutations", (int64_t)a->o.nperm);
    bract_sidecar_param_str(sc, "spatial_null",
                            a->coords ? "moran_spectral_randomization" : "none");
    if (u->nsub >= 2) {
        bract_sidecar_param_int(sc, "bootstrap", (int64_t)a->o.nboot);
        bract_sidecar_param_num(sc, "ci", a->o.level);
    }
    bract_sidecar_param_int(sc, "seed", (int64_t)a->o.seed);
    bract_sidecar_input(sc, "index", a->index);
    if (a->coords)
        bract_sidecar_input(sc, "coords", a->coords);
    for (size_t s = 0; s < u->nsub; s++)
        bract_sidecar_input(sc, "tau", a->tau.v[s]);
    bract_sidecar_count(sc, "regions", (int64_t)u->r.n);
    bract_sidecar_count(sc, "subjects", (int64_t)u->nsub);
    bract_sidecar_count(sc, "excluded_regions_unmeasured", (int64_t)u->g->unmeasured);
    return CLI_OK;
}

static int commit(run *u, bract_tsv_writer *w, int k, const char *contents)
{
    bract_sidecar_set_str(u->sc, "Contents", contents);
    if (bract_tsv_commit(w))
        return cli_fail(&u->c);
    return cli_sidecar_finish(&u->c, u->sc, u->path[k]);
}

/* regions.tsv: ordered by the group-mean timescale, shortest first, the
 * unmeasured regions last. */
static int write_regions(run *u)
{
    const bract_hierarchy_group *g = u->g;
    static const char *const cols[] = {"region",     "value",    "tau_mean_s", "tau_sd_s",
                                       "n_subjects", "rank_tau", "rank_index"};
    bract_tsv_writer *w;
    if (bract_tsv_open(u->path[0], u->c.force, 7, cols, &w))
        return cli_fail(&u->c);
    for (size_t k = 0; k < g->nreg; k++) {
        size_t r = g->order[k];
        bract_tsv_str(w, u->r.name[r]);
        bract_tsv_double(w, u->r.value[r]);
        bract_tsv_double(w, g->mean[r]);
        bract_tsv_double(w, g->sd[r]);
        bract_tsv_long(w, (long long)g->nmeasured[r]);
        bract_tsv_double(w, g->rank_tau[r]);
        bract_tsv_double(w, g->rank_index[r]);
        bract_tsv_end_row(w);
    }
    return commit(u, w, 0, "regions ordered by the group-mean timescale");
}

/* hierarchy.tsv: one row per file, and the group. */
static int write_tests(run *u)
{
    const bract_hierarchy_group *g = u->g;
    const args *a = &u->a;
    static const char *const cols[] = {"source",    "n_regions", "rho",    "p_perm",
                                       "p_spatial", "ci_low",    "ci_high"};
    bract_tsv_writer *w;
    if (bract_tsv_open(u->path[1], u->c.force, 7, cols, &w))
        return cli_fail(&u->c);
    for (size_t s = 0; s < g->ntests; s++) {
        const bract_hier_test *t = &g->tests[s];
        /* the file as seen from the output directory (F19): two output
         * roots holding the same work compare byte-equal */
        char *src = s < u->nsub ? bract_sidecar_path_for_record(a->tau.v[s], a->dir) : NULL;
        if (s < u->nsub && !src) {
            bract_tsv_abort(w);
            return cli_error(&u->c, "out of memory");
        }
        bract_tsv_str(w, src ? src : "group");
        free(src);
        bract_tsv_long(w, (long long)t->n);
        bract_tsv_double(w, t->rho);
        bract_tsv_double(w, a->o.nperm > 0 ? t->p_perm : NAN);
        bract_tsv_double(w, a->coords && a->o.nperm > 0 ? t->p_spatial : NAN);
        bract_tsv_double(w, s == u->nsub ? g->ci_lo : NAN);
        bract_tsv_double(w, s == u->nsub ? g->ci_hi : NAN);
        bract_tsv_end_row(w);
    }
    if (u->nsub >= 2)
        bract_sidecar_count(u->sc, "bootstrap_samples_valid", (int64_t)g->ci_valid);
    return commit(u, w, 1, "Spearman correlation of timescale and index");
}

/* reliability.tsv (several subjects). */
static int write_reliability(run *u)
{
    const bract_hierarchy_group *g = u->g;
    static const char *const cols[] = {"statistic", "value", "n_regions", "n_subjects"};
    bract_tsv_writer *w;
    if (bract_tsv_open(u->path[2], u->c.force, 4, cols, &w))
        return cli_fail(&u->c);
    const char *st[3] = {"icc_3_1", "icc_3_k", "mean_pairwise_spearman"};
    double val[3] = {g->icc1, g->icck, g->pairwise_spearman};
    for (int k = 0; k < 3; k++) {
        bract_tsv_str(w, st[k]);
        bract_tsv_double(w, val[k]);
        bract_tsv_long(w, (long long)(k < 2 ? g->icc_regions : g->nreg));
        bract_tsv_long(w, (long long)u->nsub);
        bract_tsv_end_row(w);
    }
    return commit(u, w, 2, "between-subject reliability of the regional timescales: ICC(3,1) "
                           "and ICC(3,k) over regions measured in every subject");
}

int main_timescale_hierarchy(int argc, char **argv)
{
    run U;
    memset(&U, 0, sizeof U);
    run *u = &U;
    cli_ctx_init(&u->c, BRACT_CMD_TIMESCALE_HIERARCHY, NULL);
    args *a = &u->a;
    a->column = "tau_s";
    bract_hierarchy_opts_defaults(&a->o);
    int rc = cli_parse(&u->c, &cli_spec_timescale_hierarchy, a, argc, argv);
    if (rc != CLI_CONTINUE) {
        cli_args_free(&cli_spec_timescale_hierarchy, a);
        return rc;
    }
    rc = CLI_OK;
    if (!(a->o.level > 0 && a->o.level < 1))
        rc = cli_usage_error(&u->c, "--ci must be between 0 and 1 (got %g)", a->o.level);
    else if (a->tau.n == 0)
        rc = cli_usage_error(&u->c, "no TAU file given");
    if (!rc) {
        cli_apply(&u->c);
        a->o.seed = u->c.seed;
        u->nsub = a->tau.n;
        if (!(rc = prepare(u)) && !(rc = load_and_compute(u)) && !(rc = make_sidecar(u)) &&
            !(rc = write_regions(u)) && !(rc = write_tests(u)) &&
            (u->nsub < 2 || !(rc = write_reliability(u))))
            rc = cli_dir_record(&u->c, u->sc, a->dir,
                                "the record of a bract timescale hierarchy run: every file "
                                "listed in Files is complete",
                                base, u->nout);
        /* a run that fails leaves no directory it made (rmdir removes it
         * only when empty: outputs are written after every check) */
        if (rc && u->made_dir)
            rmdir(a->dir);
    }
    bract_sidecar_free(u->sc);
    bract_hierarchy_group_free(u->g);
    regions_free(&u->r);
    free(u->tau);
    cli_args_free(&cli_spec_timescale_hierarchy, a);
    return rc;
}
