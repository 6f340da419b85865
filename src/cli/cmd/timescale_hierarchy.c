/* bract timescale hierarchy: order regions by timescale and test the order
 * against a hierarchy index, per subject and across subjects. */
#include "cli/cli.h"
#include "bract/outputs.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int main_timescale_hierarchy(int argc, char **argv);

static const char usage_text[] =
    "Usage: bract timescale hierarchy --index FILE -o DIR [options] TAU.tsv...\n"
    "\n"
    "Order regions by their timescale and correlate the order with a hierarchy\n"
    "index (Spearman), with a permutation p-value and, given region centres, a\n"
    "spatial-autocorrelation-preserving one (Moran spectral randomisation).\n"
    "Each TAU.tsv (from 'bract timescale', one per subject) has columns region\n"
    "and tau_s; with several, also the group mean per region, the between-subject\n"
    "reliability (ICC(3,1), ICC(3,k)) and a bootstrap interval of the group\n"
    "correlation.\n"
    "\n"
    "Options:\n"
    "  -i, --index FILE       TSV with columns region and value (the hierarchy index)\n"
    "  -c, --coords FILE      TSV with columns region, x, y, z (mm): the spatial null\n"
    "      --column NAME      the timescale column of the TAU files [tau_s]\n"
    "  -P, --permutations N   permutations and spatial surrogates [10000]\n"
    "  -B, --bootstrap N      bootstrap samples of subjects [2000]\n"
    "      --ci LEVEL         level of the bootstrap interval [0.95]\n"
    "  -o, --output DIR       directory for regions.tsv, hierarchy.tsv and, with\n"
    "                         several subjects, reliability.tsv\n"
    "\n" CLI_COMMON_HELP;

enum { OPT_COLUMN = OPT_FIRST_CMD, OPT_CI };

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

/* The test on the regions where both tau and the index are finite. */
static int test_subset(const cli_ctx *c, const regions *r, const double *tau, size_t nperm,
                       bract_hier_test *h)
{
    size_t n = 0;
    double *a = malloc(r->n * sizeof *a), *b = malloc(r->n * sizeof *b);
    double *xyz = r->xyz ? malloc(3 * r->n * sizeof *xyz) : NULL;
    int rc = CLI_OK;
    bract_msr *m = NULL;
    if (!a || !b || (r->xyz && !xyz)) {
        rc = cli_error(c, "out of memory");
        goto done;
    }
    for (size_t g = 0; g < r->n; g++)
        if (isfinite(tau[g]) && isfinite(r->value[g])) {
            a[n] = tau[g];
            b[n] = r->value[g];
            if (xyz)
                memcpy(xyz + 3 * n, r->xyz + 3 * g, 3 * sizeof *xyz);
            n++;
        }
    h->n = n;
    h->rho = h->p_perm = h->p_spatial = NAN;
    if (n < 3) {
        bract_warn("only %zu regions have both a timescale and an index value: no correlation",
                   n);
        goto done;
    }
    if (xyz && bract_msr_new(xyz, n, &m)) {
        rc = cli_fail(c);
        goto done;
    }
    if (bract_hierarchy_test(a, b, n, nperm, m, c->seed, h)) {
        bract_warn("%s", bract_last_error());
        h->n = n;
    }
done:
    bract_msr_free(m);
    free(a);
    free(b);
    free(xyz);
    return rc;
}

static int write_out(const cli_ctx *c, bract_sidecar *sc, bract_tsv_writer *w, const char *path)
{
    if (bract_tsv_commit(w))
        return cli_fail(c);
    return cli_sidecar_finish(c, sc, path);
}

int main_timescale_hierarchy(int argc, char **argv)
{
    static const struct option longopts[] = {{"index", required_argument, NULL, 'i'},
                                             {"coords", required_argument, NULL, 'c'},
                                             {"column", required_argument, NULL, OPT_COLUMN},
                                             {"permutations", required_argument, NULL, 'P'},
                                             {"bootstrap", required_argument, NULL, 'B'},
                                             {"ci", required_argument, NULL, OPT_CI},
                                             {"output", required_argument, NULL, 'o'},
                                             CLI_COMMON_LONGOPTS,
                                             {NULL, 0, NULL, 0}};
    cli_ctx c;
    cli_ctx_init(&c, BRACT_CMD_TIMESCALE_HIERARCHY, usage_text);
    const char *index = NULL, *coords = NULL, *column = "tau_s", *dir = NULL;
    long nperm = 10000, nboot = 2000;
    double level = 0.95;
    int opt;
    while ((opt = getopt_long(argc, argv, ":i:c:P:B:o:h@:", longopts, NULL)) != -1) {
        int k = cli_common_option(&c, opt, optarg);
        if (k == 2)
            return CLI_OK;
        if (k < 0)
            return CLI_USAGE;
        if (k)
            continue;
        switch (opt) {
        case 'i': index = optarg; break;
        case 'c': coords = optarg; break;
        case OPT_COLUMN: column = optarg; break;
        case 'o': dir = optarg; break;
        case 'P':
            if (cli_parse_long(&c, "--permutations", optarg, 0, 100000000, &nperm))
                return CLI_USAGE;
            break;
        case 'B':
            if (cli_parse_long(&c, "--bootstrap", optarg, 0, 100000000, &nboot))
                return CLI_USAGE;
            break;
        case OPT_CI:
            if (cli_parse_double(&c, "--ci", optarg, 0, 1, &level))
                return CLI_USAGE;
            if (!(level > 0 && level < 1))
                return cli_usage_error(&c, "--ci must be between 0 and 1 (got %s)", optarg);
            break;
        case ':': return cli_usage_error(&c, "option %s needs a value", argv[optind - 1]);
        default: return cli_usage_error(&c, "unknown option %s", argv[optind - 1]);
        }
    }
    if (argc == 1) {
        fputs(usage_text, stdout);
        return CLI_USAGE;
    }
    if (!index)
        return cli_usage_error(&c, "no --index given");
    if (!dir)
        return cli_usage_error(&c, "no --output directory given");
    if (optind >= argc)
        return cli_usage_error(&c, "no TAU file given");
    cli_apply(&c);
    size_t nsub = (size_t)(argc - optind);
    char **files = argv + optind;

    /* the output directory and its files */
    if (bract_make_dir(dir, NULL))
        return cli_fail(&c);
    char path[3][4096];
    static const char *const base[3] = {BRACT_OUT_HIER_REGIONS, BRACT_OUT_HIER_HIERARCHY,
                                                BRACT_OUT_HIER_RELIABILITY};
    size_t nout = nsub >= 2 ? 3 : 2;
    for (size_t k = 0; k < 3; k++)
        snprintf(path[k], sizeof path[k], "%s/%s", dir, base[k]);
    {
        const char **ins = malloc((nsub + 2) * sizeof *ins);
        if (!ins)
            return cli_error(&c, "out of memory");
        size_t nin = 0;
        ins[nin++] = index;
        if (coords)
            ins[nin++] = coords;
        for (size_t s = 0; s < nsub; s++)
            ins[nin++] = files[s];
        for (size_t k = 0; k < nout; k++)
            if (bract_output_not_input(path[k], ins, nin) ||
                bract_output_check(path[k], c.force)) {
                free(ins);
                return cli_fail(&c);
            }
        free(ins);
    }

    regions r = {0, NULL, NULL, NULL};
    double *tau = NULL, *gmean = NULL, *gsd = NULL, *gn = NULL;
    bract_hier_test *tests = NULL;
    bract_sidecar *sc = NULL;
    int rc = CLI_DATA_ERROR;
    if (read_index(&c, index, &r) || (coords && read_coords(&c, coords, &r)))
        goto done;
    size_t R = r.n;
    tau = malloc(nsub * R * sizeof *tau);
    gmean = malloc(R * sizeof *gmean);
    gsd = malloc(R * sizeof *gsd);
    gn = malloc(R * sizeof *gn);
    tests = calloc(nsub + 1, sizeof *tests);
    if (!tau || !gmean || !gsd || !gn || !tests) {
        cli_error(&c, "out of memory");
        goto done;
    }
    for (size_t s = 0; s < nsub; s++)
        if (read_tau(&c, files[s], column, &r, tau + s * R))
            goto done;
    /* group mean and SD per region over the subjects that measured it */
    size_t nomeasure = 0;
    for (size_t g = 0; g < R; g++) {
        double sum = 0, ss = 0, k = 0;
        for (size_t s = 0; s < nsub; s++)
            if (isfinite(tau[s * R + g])) {
                sum += tau[s * R + g];
                k++;
            }
        gmean[g] = k > 0 ? sum / k : NAN;
        for (size_t s = 0; s < nsub; s++)
            if (isfinite(tau[s * R + g]))
                ss += (tau[s * R + g] - gmean[g]) * (tau[s * R + g] - gmean[g]);
        gsd[g] = k > 1 ? sqrt(ss / (k - 1)) : NAN;
        gn[g] = k;
        if (k == 0)
            nomeasure++;
    }
    if (nomeasure)
        bract_warn("%zu region%s of the index without a finite %s in any file: excluded",
                   nomeasure, nomeasure == 1 ? "" : "s", column);
    for (size_t s = 0; s < nsub; s++) {
        cli_log(&c, "testing %s", files[s]);
        if (test_subset(&c, &r, tau + s * R, (size_t)nperm, &tests[s]))
            goto done;
    }
    double ci_lo = NAN, ci_hi = NAN;
    size_t ci_valid = 0;
    if (nsub >= 2) {
        cli_log(&c, "testing the group mean");
        if (test_subset(&c, &r, gmean, (size_t)nperm, &tests[nsub]))
            goto done;
        if (nboot > 0 && tests[nsub].n >= 3 &&
            bract_hierarchy_bootstrap(tau, nsub, R, r.value, (size_t)nboot, level, c.seed,
                                      &ci_lo, &ci_hi, &ci_valid)) {
            cli_fail(&c);
            goto done;
        }
    }
    cli_warnings(&c);

    sc = cli_sidecar(&c);
    if (!sc) {
        cli_error(&c, "out of memory");
        goto done;
    }
    bract_sidecar_param_str(sc, "column", column);
    bract_sidecar_param_int(sc, "permutations", nperm);
    bract_sidecar_param_str(sc, "spatial_null", coords ? "moran_spectral_randomization" : "none");
    if (nsub >= 2) {
        bract_sidecar_param_int(sc, "bootstrap", nboot);
        bract_sidecar_param_num(sc, "ci", level);
    }
    bract_sidecar_param_int(sc, "seed", (int64_t)c.seed);
    bract_sidecar_input(sc, "index", index);
    if (coords)
        bract_sidecar_input(sc, "coords", coords);
    for (size_t s = 0; s < nsub; s++)
        bract_sidecar_input(sc, "tau", files[s]);
    bract_sidecar_count(sc, "regions", (int64_t)R);
    bract_sidecar_count(sc, "subjects", (int64_t)nsub);
    bract_sidecar_count(sc, "excluded_regions_unmeasured", (int64_t)nomeasure);

    /* regions.tsv: ordered by the group-mean timescale, shortest first */
    {
        double *ta = malloc(R * sizeof *ta), *ia = malloc(R * sizeof *ia);
        double *rt = malloc(R * sizeof *rt), *ri = malloc(R * sizeof *ri);
        size_t *ord = malloc(2 * R * sizeof *ord), *wk = malloc(2 * R * sizeof *wk);
        size_t *sel = malloc(R * sizeof *sel);
        if (!ta || !ia || !rt || !ri || !ord || !wk || !sel) {
            cli_error(&c, "out of memory");
            free(ta);
            free(ia);
            free(rt);
            free(ri);
            free(ord);
            free(wk);
            free(sel);
            goto done;
        }
        size_t m = 0;
        for (size_t g = 0; g < R; g++)
            if (isfinite(gmean[g]))
                sel[m++] = g;
        for (size_t k = 0; k < m; k++) {
            ta[k] = gmean[sel[k]];
            ia[k] = isfinite(r.value[sel[k]]) ? r.value[sel[k]] : INFINITY;
        }
        bract_rank(ta, m, rt, wk);
        bract_rank(ia, m, ri, wk);
        bract_argsort(ta, m, ord, wk);
        static const char *const cols[] = {"region",     "value",    "tau_mean_s", "tau_sd_s",
                                           "n_subjects", "rank_tau", "rank_index"};
        bract_tsv_writer *w;
        int bad = bract_tsv_open(path[0], c.force, 7, cols, &w);
        if (!bad) {
            for (size_t k = 0; k < m; k++) {
                size_t g = sel[ord[k]];
                bract_tsv_str(w, r.name[g]);
                bract_tsv_double(w, r.value[g]);
                bract_tsv_double(w, gmean[g]);
                bract_tsv_double(w, gsd[g]);
                bract_tsv_long(w, (long long)gn[g]);
                bract_tsv_double(w, rt[ord[k]]);
                bract_tsv_double(w, isfinite(r.value[g]) ? ri[ord[k]] : NAN);
                bract_tsv_end_row(w);
            }
            for (size_t g = 0; g < R; g++) /* unmeasured regions last */
                if (!isfinite(gmean[g])) {
                    bract_tsv_str(w, r.name[g]);
                    bract_tsv_double(w, r.value[g]);
                    for (int k = 0; k < 2; k++)
                        bract_tsv_double(w, NAN);
                    bract_tsv_long(w, 0);
                    for (int k = 0; k < 2; k++)
                        bract_tsv_double(w, NAN);
                    bract_tsv_end_row(w);
                }
        }
        free(ta);
        free(ia);
        free(rt);
        free(ri);
        free(ord);
        free(wk);
        free(sel);
        if (bad) {
            cli_fail(&c);
            goto done;
        }
        bract_sidecar_set_str(sc, "Contents", "regions ordered by the group-mean timescale");
        if (write_out(&c, sc, w, path[0]))
            goto done;
    }
    /* hierarchy.tsv: one row per file, and the group */
    {
        static const char *const cols[] = {"source", "n_regions", "rho",     "p_perm",
                                           "p_spatial", "ci_low",  "ci_high"};
        bract_tsv_writer *w;
        if (bract_tsv_open(path[1], c.force, 7, cols, &w)) {
            cli_fail(&c);
            goto done;
        }
        size_t rows = nsub >= 2 ? nsub + 1 : nsub;
        for (size_t s = 0; s < rows; s++) {
            bract_tsv_str(w, s < nsub ? files[s] : "group");
            bract_tsv_long(w, (long long)tests[s].n);
            bract_tsv_double(w, tests[s].rho);
            bract_tsv_double(w, nperm > 0 ? tests[s].p_perm : NAN);
            bract_tsv_double(w, coords && nperm > 0 ? tests[s].p_spatial : NAN);
            bract_tsv_double(w, s == nsub ? ci_lo : NAN);
            bract_tsv_double(w, s == nsub ? ci_hi : NAN);
            bract_tsv_end_row(w);
        }
        if (nsub >= 2)
            bract_sidecar_count(sc, "bootstrap_samples_valid", (int64_t)ci_valid);
        bract_sidecar_set_str(sc, "Contents", "Spearman correlation of timescale and index");
        if (write_out(&c, sc, w, path[1]))
            goto done;
    }
    /* reliability.tsv */
    if (nsub >= 2) {
        size_t nc = 0;
        double *x = malloc(R * nsub * sizeof *x), *a = malloc(R * sizeof *a),
               *b = malloc(R * sizeof *b), *rw = malloc(2 * R * sizeof *rw);
        size_t *iw = malloc(2 * R * sizeof *iw);
        double icc1 = NAN, icck = NAN, pair = 0;
        size_t npair = 0;
        if (!x || !a || !b || !rw || !iw) {
            free(x);
            free(a);
            free(b);
            free(rw);
            free(iw);
            cli_error(&c, "out of memory");
            goto done;
        }
        for (size_t g = 0; g < R; g++) {
            int all = 1;
            for (size_t s = 0; s < nsub; s++)
                all &= isfinite(tau[s * R + g]) != 0;
            if (!all)
                continue;
            for (size_t s = 0; s < nsub; s++)
                x[nc * nsub + s] = tau[s * R + g];
            nc++;
        }
        if (nc >= 2 && bract_icc_consistency(x, nc, nsub, &icc1, &icck))
            bract_warn("%s", bract_last_error());
        for (size_t s1 = 0; s1 < nsub; s1++)
            for (size_t s2 = s1 + 1; s2 < nsub; s2++) {
                size_t m = 0;
                for (size_t g = 0; g < R; g++)
                    if (isfinite(tau[s1 * R + g]) && isfinite(tau[s2 * R + g])) {
                        a[m] = tau[s1 * R + g];
                        b[m] = tau[s2 * R + g];
                        m++;
                    }
                double rho = m >= 3 ? bract_spearman(a, b, m, rw, iw) : NAN;
                if (!isnan(rho)) {
                    pair += rho;
                    npair++;
                }
            }
        free(x);
        free(a);
        free(b);
        free(rw);
        free(iw);
        cli_warnings(&c);
        static const char *const cols[] = {"statistic", "value", "n_regions", "n_subjects"};
        bract_tsv_writer *w;
        if (bract_tsv_open(path[2], c.force, 4, cols, &w)) {
            cli_fail(&c);
            goto done;
        }
        const char *st[3] = {"icc_3_1", "icc_3_k", "mean_pairwise_spearman"};
        double val[3] = {icc1, icck, npair ? pair / (double)npair : NAN};
        for (int k = 0; k < 3; k++) {
            bract_tsv_str(w, st[k]);
            bract_tsv_double(w, val[k]);
            bract_tsv_long(w, (long long)(k < 2 ? nc : R));
            bract_tsv_long(w, (long long)nsub);
            bract_tsv_end_row(w);
        }
        bract_sidecar_set_str(sc, "Contents",
                              "between-subject reliability of the regional timescales: "
                              "ICC(3,1) and ICC(3,k) over regions measured in every subject");
        if (write_out(&c, sc, w, path[2]))
            goto done;
    }
    {
        const char *outs[3] = {base[0], base[1], base[2]};
        if (cli_dir_record(&c, sc, dir, "the record of a bract timescale hierarchy run: every "
                           "file listed in Files is complete", outs, nout))
            goto done;
    }
    rc = CLI_OK;
done:
    bract_sidecar_free(sc);
    regions_free(&r);
    free(tau);
    free(gmean);
    free(gsd);
    free(gn);
    free(tests);
    return rc;
}
