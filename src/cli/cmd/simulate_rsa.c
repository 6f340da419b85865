/* bract simulate rsa: a word-RSA dataset with known truth. */
#include "cli/cli.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char usage_text[] =
    "Usage: bract simulate rsa -o DIR [options]\n"
    "\n"
    "Write a word-RSA dataset whose truth is known: an embedding table, a\n"
    "conditions table, a brain mask, an atlas with labels, one 4-D pattern\n"
    "volume per subject (a volume per word and run) where the signal regions\n"
    "(or a sphere) carry patterns generated from the embedding, a text corpus,\n"
    "the embedding's cosine RDM, and the truth.\n"
    "\n"
    "Options:\n"
    "  -o, --output DIR        directory to write (created if missing)\n"
    "      --subjects N        subjects [8]\n"
    "      --words N           words (conditions) [60]\n"
    "      --runs N            runs; every word once per run [2]\n"
    "      --dims N            embedding dimensions [50]\n"
    "      --categories N      semantic categories of the words [6]\n"
    "      --regions N         atlas regions [8]\n"
    "      --signal-regions N  regions carrying the effect [2]\n"
    "      --snr X             signal variance across words over noise variance,\n"
    "                          per voxel and volume [0.02]\n"
    "      --grid NXxNYxNZ     grid in voxels [20x20x12]\n"
    "      --voxel MM          voxel size in mm [3]\n"
    "      --whole-brain       a 64x64x40 grid (about 59,000 brain voxels) and 48\n"
    "                          regions\n"
    "      --effect KIND       'regions' (the signal regions) or 'sphere' [regions]\n"
    "      --radius MM         radius of the sphere [9]\n"
    "      --center I,J,K      centre of the sphere in voxel coordinates [lateral]\n"
    "      --documents N       documents of the corpus [400]\n"
    "\n" CLI_COMMON_HELP;

enum {
    OPT_SUBJECTS = OPT_FIRST_CMD,
    OPT_WORDS,
    OPT_RUNS,
    OPT_DIMS,
    OPT_CATEGORIES,
    OPT_REGIONS,
    OPT_SIGNAL,
    OPT_SNR,
    OPT_GRID,
    OPT_VOXEL,
    OPT_WHOLE,
    OPT_EFFECT,
    OPT_RADIUS,
    OPT_CENTER,
    OPT_DOCUMENTS
};

typedef struct {
    const cli_ctx *c;
    const char *dir;
    const bract_simrsa_opts *o;
} writer;

static char *path_in(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* The signal regions as a JSON array of names (caller frees). */
static char *signal_list(const bract_simrsa *d)
{
    size_t len = 3;
    for (size_t g = 0; g < d->nregions; g++)
        len += strlen(d->region_names[g]) + 4;
    char *s = malloc(len);
    if (!s)
        return NULL;
    size_t k = 0;
    s[k++] = '[';
    for (size_t g = 0; g < d->nregions; g++)
        if (d->region_signal[g])
            k += (size_t)snprintf(s + k, len - k, "%s\"%s\"", k > 1 ? ", " : "",
                                  d->region_names[g]);
    snprintf(s + k, len - k, "]");
    return s;
}

/* The sidecar of one output: the simulation's parameters and what the file
 * holds. */
static int sidecar(const writer *w, const char *path, const char *what, const bract_simrsa *d)
{
    const bract_simrsa_opts *o = w->o;
    bract_sidecar *s = cli_sidecar(w->c);
    if (s) {
        bract_sidecar_set_str(s, "Description", what);
        bract_sidecar_param_int(s, "subjects", (int64_t)o->subjects);
        bract_sidecar_param_int(s, "words", (int64_t)o->words);
        bract_sidecar_param_int(s, "runs", (int64_t)o->runs);
        bract_sidecar_param_int(s, "dims", (int64_t)o->dims);
        bract_sidecar_param_int(s, "categories", (int64_t)o->categories);
        bract_sidecar_param_int(s, "regions", (int64_t)o->regions);
        bract_sidecar_param_int(s, "signal_regions", (int64_t)o->signal_regions);
        bract_sidecar_param_num(s, "snr", o->snr);
        char grid[64];
        snprintf(grid, sizeof grid, "%lldx%lldx%lld", (long long)o->grid[0],
                 (long long)o->grid[1], (long long)o->grid[2]);
        bract_sidecar_param_str(s, "grid", grid);
        bract_sidecar_param_num(s, "voxel_mm", o->voxel_mm);
        bract_sidecar_param_str(s, "effect", o->effect == BRACT_SIMRSA_SPHERE ? "sphere"
                                                                             : "regions");
        if (o->effect == BRACT_SIMRSA_SPHERE) {
            bract_sidecar_param_num(s, "radius_mm", o->radius_mm);
            char cm[96];
            snprintf(cm, sizeof cm, "[%g, %g, %g]", d->center_mm[0], d->center_mm[1],
                     d->center_mm[2]);
            bract_sidecar_set_json(s, "SphereCentreMM", cm);
        }
        bract_sidecar_param_int(s, "documents", (int64_t)o->documents);
        bract_sidecar_param_int(s, "seed", (int64_t)o->seed);
        bract_sidecar_count(s, "brain_voxels", (int64_t)d->nmask);
        bract_sidecar_count(s, "effect_voxels", (int64_t)d->neffect);
        /* the truth in every sidecar: the signal regions by name */
        char *list = signal_list(d);
        if (list) {
            bract_sidecar_set_json(s, "SignalRegions", list);
            free(list);
        }
    }
    int rc = cli_sidecar_finish(w->c, s, path);
    bract_sidecar_free(s);
    return rc;
}

static int parse_grid(const cli_ctx *c, const char *s, int64_t g[3])
{
    long long a, b, d;
    char extra;
    if (sscanf(s, "%lldx%lldx%lld%c", &a, &b, &d, &extra) != 3 || a < 3 || b < 3 || d < 3 ||
        a > 1024 || b > 1024 || d > 1024) {
        cli_usage_error(c, "--grid expects NXxNYxNZ with sizes from 3 to 1024, not '%s'", s);
        return -1;
    }
    g[0] = a;
    g[1] = b;
    g[2] = d;
    return 0;
}

static int parse_center(const cli_ctx *c, const char *s, double v[3])
{
    char extra;
    if (sscanf(s, "%lf,%lf,%lf%c", &v[0], &v[1], &v[2], &extra) != 3 || !isfinite(v[0]) ||
        !isfinite(v[1]) || !isfinite(v[2])) {
        cli_usage_error(c, "--center expects I,J,K (voxel coordinates), not '%s'", s);
        return -1;
    }
    return 0;
}

/* Cosine-distance RDM of the embedding, words in the order they first
 * appear in the conditions. */
static int write_model_rdm(const bract_simrsa *d, const char *path, int force)
{
    size_t W = d->nwords, D = d->dims;
    size_t *order = malloc(W * sizeof *order);
    unsigned char *seen = calloc(W, 1);
    const char **labels = malloc(W * sizeof *labels);
    bract_rdmset *s = bract_rdmset_alloc(1);
    int rc = BRACT_ENOMEM;
    if (order && seen && labels && s) {
        size_t k = 0;
        for (size_t t = 0; t < d->nvol && k < W; t++)
            if (!seen[d->vol_word[t]]) {
                seen[d->vol_word[t]] = 1;
                order[k++] = d->vol_word[t];
            }
        for (size_t i = 0; i < W; i++)
            labels[i] = d->words[order[i]];
        rc = bract_rdmset_init_rdm(s, 0, "embedding", W, labels);
        if (!rc)
            rc = bract_rdmset_set_measure(s, "cosine");
        if (!rc) {
            size_t q = 0;
            for (size_t i = 0; i < W; i++)
                for (size_t j = i + 1; j < W; j++, q++) {
                    const double *a = d->embedding + order[i] * D, *b = d->embedding + order[j] * D;
                    double ab = 0, aa = 0, bb = 0;
                    for (size_t e = 0; e < D; e++) {
                        ab += a[e] * b[e];
                        aa += a[e] * a[e];
                        bb += b[e] * b[e];
                    }
                    s->rdm[0].d[q] = 1 - ab / sqrt(aa * bb);
                }
            rc = bract_rdmset_write(s, path, force);
        }
    }
    free(order);
    free(seen);
    free(labels);
    bract_rdmset_free(s);
    return rc;
}

int main_simulate_rsa(int argc, char **argv);

int main_simulate_rsa(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},
        {"subjects", required_argument, NULL, OPT_SUBJECTS},
        {"words", required_argument, NULL, OPT_WORDS},
        {"runs", required_argument, NULL, OPT_RUNS},
        {"dims", required_argument, NULL, OPT_DIMS},
        {"categories", required_argument, NULL, OPT_CATEGORIES},
        {"regions", required_argument, NULL, OPT_REGIONS},
        {"signal-regions", required_argument, NULL, OPT_SIGNAL},
        {"snr", required_argument, NULL, OPT_SNR},
        {"grid", required_argument, NULL, OPT_GRID},
        {"voxel", required_argument, NULL, OPT_VOXEL},
        {"whole-brain", no_argument, NULL, OPT_WHOLE},
        {"effect", required_argument, NULL, OPT_EFFECT},
        {"radius", required_argument, NULL, OPT_RADIUS},
        {"center", required_argument, NULL, OPT_CENTER},
        {"documents", required_argument, NULL, OPT_DOCUMENTS},
        CLI_COMMON_LONGOPTS,
        {NULL, 0, NULL, 0}};
    static const char *const effects[] = {"regions", "sphere", NULL};
    cli_ctx c;
    cli_ctx_init(&c, "simulate rsa", usage_text);
    bract_simrsa_opts o;
    bract_simrsa_opts_default(&o);
    const char *dir = NULL;
    int whole = 0, grid_given = 0, regions_given = 0, opt;
    long v;
    double x;
    while ((opt = getopt_long(argc, argv, ":o:h@:", longopts, NULL)) != -1) {
        int k = cli_common_option(&c, opt, optarg);
        if (k == 2)
            return CLI_OK;
        if (k < 0)
            return CLI_USAGE;
        if (k)
            continue;
        switch (opt) {
        case 'o': dir = optarg; break;
#define SIZE_OPT(code, name, lo, hi, field)                                                   \
    case code:                                                                                \
        if (cli_parse_long(&c, name, optarg, lo, hi, &v))                                     \
            return CLI_USAGE;                                                                 \
        o.field = (size_t)v;                                                                  \
        break;
            SIZE_OPT(OPT_SUBJECTS, "--subjects", 1, 10000, subjects)
            SIZE_OPT(OPT_WORDS, "--words", 3, 100000, words)
            SIZE_OPT(OPT_RUNS, "--runs", 1, 1000, runs)
            SIZE_OPT(OPT_DIMS, "--dims", 1, 10000, dims)
            SIZE_OPT(OPT_CATEGORIES, "--categories", 1, 100000, categories)
            SIZE_OPT(OPT_SIGNAL, "--signal-regions", 0, 10000, signal_regions)
            SIZE_OPT(OPT_DOCUMENTS, "--documents", 0, 10000000, documents)
#undef SIZE_OPT
        case OPT_REGIONS:
            if (cli_parse_long(&c, "--regions", optarg, 1, 10000, &v))
                return CLI_USAGE;
            o.regions = (size_t)v;
            regions_given = 1;
            break;
        case OPT_SNR:
            if (cli_parse_double(&c, "--snr", optarg, 0, 1e6, &x))
                return CLI_USAGE;
            o.snr = x;
            break;
        case OPT_GRID:
            if (parse_grid(&c, optarg, o.grid))
                return CLI_USAGE;
            grid_given = 1;
            break;
        case OPT_VOXEL:
            if (cli_parse_double(&c, "--voxel", optarg, 0.01, 100, &x))
                return CLI_USAGE;
            o.voxel_mm = x;
            break;
        case OPT_WHOLE: whole = 1; break;
        case OPT_EFFECT: {
            int i = cli_parse_choice(&c, "--effect", optarg, effects);
            if (i < 0)
                return CLI_USAGE;
            o.effect = i ? BRACT_SIMRSA_SPHERE : BRACT_SIMRSA_REGIONS;
            break;
        }
        case OPT_RADIUS:
            if (cli_parse_double(&c, "--radius", optarg, 0.01, 1000, &x))
                return CLI_USAGE;
            o.radius_mm = x;
            break;
        case OPT_CENTER:
            if (parse_center(&c, optarg, o.center))
                return CLI_USAGE;
            break;
        case ':': return cli_usage_error(&c, "option %s needs a value", argv[optind - 1]);
        default: return cli_usage_error(&c, "unknown option %s", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage_error(&c, "unexpected argument '%s'", argv[optind]);
    if (!dir)
        return cli_usage_error(&c, "no output directory given (-o DIR)");
    if (whole) {
        if (grid_given)
            return cli_usage_error(&c, "--whole-brain and --grid exclude each other");
        o.grid[0] = 64;
        o.grid[1] = 64;
        o.grid[2] = 40;
        if (!regions_given)
            o.regions = 48;
    }
    if (o.signal_regions > o.regions)
        return cli_usage_error(&c, "--signal-regions (%zu) exceeds --regions (%zu)",
                               o.signal_regions, o.regions);
    if (o.categories > o.words)
        return cli_usage_error(&c, "--categories (%zu) exceeds --words (%zu)", o.categories,
                               o.words);
    o.seed = c.seed;
    cli_apply(&c);

    /* every output, refused before anything is written */
    static const char *const fixed[] = {"embedding.tsv", "conditions.tsv", "mask.nii.gz",
                                        "atlas.nii.gz",  "labels.tsv",     "truth.tsv",
                                        "truth_map.nii.gz", "corpus.txt",     "model_rdm.tsv"};
    size_t nfixed = sizeof fixed / sizeof fixed[0], nout = nfixed + o.subjects;
    char **paths = calloc(nout, sizeof *paths);
    if (!paths)
        return cli_error(&c, "out of memory");
    int rc = CLI_OK;
    for (size_t i = 0; i < nout && !rc; i++) {
        char name[64];
        if (i < nfixed)
            snprintf(name, sizeof name, "%s", fixed[i]);
        else
            snprintf(name, sizeof name, "sub-%02zu_patterns.nii.gz", i - nfixed + 1);
        if (!(paths[i] = path_in(dir, name)))
            rc = cli_error(&c, "out of memory");
    }
    /* the design first (it checks the options), then the directory */
    bract_simrsa *d = NULL;
    if (!rc && bract_simrsa_new(&o, &d))
        rc = cli_fail(&c);
    if (!rc && bract_make_dir(dir, NULL))
        rc = cli_fail(&c);
    for (size_t i = 0; i < nout && !rc; i++) {
        char *side = bract_sidecar_path(paths[i]);
        if (bract_output_check(paths[i], c.force) || (side && bract_output_check(side, c.force)))
            rc = cli_fail(&c);
        free(side);
    }
    writer w = {&c, dir, &o};
    bract_tsv_writer *t;
    /* embedding.tsv: word, d0 .. */
    if (!rc) {
        size_t nc = o.dims + 1;
        char **cols = calloc(nc, sizeof *cols);
        int ok = cols != NULL;
        for (size_t k = 0; ok && k < nc; k++) {
            char b[32];
            if (k == 0)
                snprintf(b, sizeof b, "word");
            else
                snprintf(b, sizeof b, "d%zu", k - 1);
            ok = (cols[k] = strdup(b)) != NULL;
        }
        if (!ok || bract_tsv_open(paths[0], c.force, nc, (const char *const *)cols, &t)) {
            rc = ok ? cli_fail(&c) : cli_error(&c, "out of memory");
        } else {
            for (size_t i = 0; i < d->nwords; i++) {
                bract_tsv_str(t, d->words[i]);
                for (size_t k = 0; k < o.dims; k++)
                    bract_tsv_double(t, d->embedding[i * o.dims + k]);
                bract_tsv_end_row(t);
            }
            rc = bract_tsv_commit(t) ? cli_fail(&c)
                                     : sidecar(&w, paths[0], "word embedding (TSV)", d);
        }
        for (size_t k = 0; cols && k < nc; k++)
            free(cols[k]);
        free(cols);
    }
    /* conditions.tsv */
    if (!rc) {
        static const char *const cols[] = {"condition", "run"};
        if (bract_tsv_open(paths[1], c.force, 2, cols, &t)) {
            rc = cli_fail(&c);
        } else {
            for (size_t i = 0; i < d->nvol; i++) {
                bract_tsv_str(t, d->words[d->vol_word[i]]);
                bract_tsv_long(t, (long long)d->vol_run[i]);
                bract_tsv_end_row(t);
            }
            rc = bract_tsv_commit(t) ? cli_fail(&c)
                                     : sidecar(&w, paths[1], "condition of each pattern volume", d);
        }
    }
    /* mask, atlas */
    if (!rc) {
        bract_volume_write_opts vo = {BRACT_INTENT_NONE, {0, 0, 0}, NULL, "bract brain mask",
                                      c.force};
        bract_volume_write_opts ao = {BRACT_INTENT_LABEL, {0, 0, 0}, NULL, "bract atlas", c.force};
        if (bract_volume_write(d->mask, paths[2], &vo) ||
            (rc = sidecar(&w, paths[2], "brain mask", d)) ||
            bract_volume_write(d->atlas, paths[3], &ao) ||
            (rc = sidecar(&w, paths[3], "atlas: region labels", d)))
            rc = rc ? rc : cli_fail(&c);
    }
    /* labels.tsv and truth.tsv */
    if (!rc) {
        static const char *const lc[] = {"index", "name"};
        static const char *const tc[] = {"region", "label", "n_voxels", "signal",
                                         "n_effect_voxels"};
        if (bract_tsv_open(paths[4], c.force, 2, lc, &t)) {
            rc = cli_fail(&c);
        } else {
            for (size_t g = 0; g < d->nregions; g++) {
                bract_tsv_long(t, (long long)g + 1);
                bract_tsv_str(t, d->region_names[g]);
                bract_tsv_end_row(t);
            }
            rc = bract_tsv_commit(t) ? cli_fail(&c) : sidecar(&w, paths[4], "atlas labels", d);
        }
        if (!rc && bract_tsv_open(paths[5], c.force, 5, tc, &t))
            rc = cli_fail(&c);
        else if (!rc) {
            for (size_t g = 0; g < d->nregions; g++) {
                bract_tsv_str(t, d->region_names[g]);
                bract_tsv_long(t, (long long)g + 1);
                bract_tsv_long(t, (long long)d->region_voxels[g]);
                bract_tsv_long(t, d->region_signal[g]);
                bract_tsv_long(t, (long long)d->region_effect[g]);
                bract_tsv_end_row(t);
            }
            rc = bract_tsv_commit(t) ? cli_fail(&c)
                                     : sidecar(&w, paths[5],
                                               "truth: which regions carry the effect", d);
        }
    }
    /* truth map, corpus, model RDM */
    if (!rc) {
        bract_volume_write_opts vo = {BRACT_INTENT_NONE, {0, 0, 0}, NULL,
                                      "bract simulated effect", c.force};
        if (bract_volume_write(d->truth, paths[6], &vo) ||
            (rc = sidecar(&w, paths[6], "truth: 1 where the effect was planted", d)) ||
            bract_write_file_atomic(paths[7], d->corpus, strlen(d->corpus), c.force) ||
            (rc = sidecar(&w, paths[7], "corpus: one document per line", d)) ||
            write_model_rdm(d, paths[8], c.force) ||
            (rc = sidecar(&w, paths[8], "cosine-distance RDM of the embedding", d)))
            rc = rc ? rc : cli_fail(&c);
    }
    /* subjects */
    cli_bar bar;
    cli_bar_start(&bar, &c, "simulate rsa");
    for (size_t s = 0; s < o.subjects && !rc; s++) {
        cli_log(&c, "subject %zu of %zu", s + 1, o.subjects);
        bract_volume *p;
        if (bract_simrsa_subject(d, s, &p)) {
            rc = cli_fail(&c);
            break;
        }
        bract_volume_write_opts vo = {BRACT_INTENT_NONE, {0, 0, 0}, NULL,
                                      "bract simulated patterns", c.force};
        if (bract_volume_write(p, paths[nfixed + s], &vo))
            rc = cli_fail(&c);
        else
            rc = sidecar(&w, paths[nfixed + s], "patterns: one volume per row of conditions.tsv",
                         d);
        bract_volume_free(p);
        cli_bar_update(&bar, s + 1, o.subjects);
    }
    cli_bar_finish(&bar);
    if (!rc && d) {
        size_t nsig = 0;
        for (size_t g = 0; g < d->nregions; g++)
            nsig += (size_t)d->region_signal[g];
        cli_log(&c, "wrote %s: %zu subjects, %zu words x %zu runs, %zu brain voxels, %zu regions "
                    "(%zu with signal), %zu effect voxels",
                dir, o.subjects, o.words, o.runs, d->nmask, d->nregions, nsig, d->neffect);
    }
    bract_simrsa_free(d);
    for (size_t i = 0; i < nout; i++)
        free(paths[i]);
    free(paths);
    return rc;
}
