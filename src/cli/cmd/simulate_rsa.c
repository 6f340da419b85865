/* bract simulate rsa: a word-RSA dataset with known truth. */
#include "cli/cli.h"
#include "cli/derivatives.h"
#include "cli/opts.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "bract/sidecar.h"
#include "bract/tsv.h"

/* --grid NXxNYxNZ into int64_t[3]. */
static int parse_grid(const char *arg, void *field)
{
    int64_t *g = field;
    long long a, b, d;
    char extra;
    if (sscanf(arg, "%lldx%lldx%lld%c", &a, &b, &d, &extra) != 3 || a < 3 || b < 3 || d < 3 ||
        a > 1024 || b > 1024 || d > 1024)
        return bract_error(BRACT_EINVAL,
                           "expected NXxNYxNZ with sizes from 3 to 1024, not '%s'", arg);
    g[0] = a;
    g[1] = b;
    g[2] = d;
    return 0;
}

/* --center I,J,K into double[3]. */
static int parse_center(const char *arg, void *field)
{
    double *v = field, w[3];
    char extra;
    if (sscanf(arg, "%lf,%lf,%lf%c", &w[0], &w[1], &w[2], &extra) != 3 || !isfinite(w[0]) ||
        !isfinite(w[1]) || !isfinite(w[2]))
        return bract_error(BRACT_EINVAL, "expected I,J,K (voxel coordinates), not '%s'", arg);
    memcpy(v, w, sizeof w);
    return 0;
}

CLI_ENUM_PARSER(bract_simrsa_effect, bract_simrsa_effect_parse)
CLI_ENUM_PARSER(bract_hrf_model, bract_hrf_model_parse)

typedef struct {
    const char *dir;
    int whole, events, bids;
    bract_simrsa_opts o;
} args;

static const cli_opt options[] = {
    CLI_GROUP("Options:"),
    CLI_STRING('o', "output", args, dir, "DIR", "directory to write (created if missing)",
               .flags = CLI_REQUIRED),
    CLI_SIZE(0, "subjects", args, o.subjects, 1, 10000, "N", "subjects [8]"),
    CLI_SIZE(0, "words", args, o.words, 3, 100000, "N", "words (conditions) [60]"),
    CLI_SIZE(0, "runs", args, o.runs, 1, 1000, "N", "runs; every word once per run [2]"),
    CLI_SIZE(0, "dims", args, o.dims, 1, 10000, "N", "embedding dimensions [50]"),
    CLI_SIZE(0, "categories", args, o.categories, 1, 100000, "N",
             "semantic categories of the words [6]"),
    CLI_SIZE(0, "regions", args, o.regions, 1, 10000, "N", "atlas regions [8]"),
    CLI_SIZE(0, "signal-regions", args, o.signal_regions, 0, 10000, "N",
             "regions carrying the effect [2]"),
    CLI_DOUBLE(0, "snr", args, o.snr, 0, 1e6, "X",
               "signal variance across words over noise variance,\n"
               "per voxel and volume [0.02; 3 with --event-related,\n"
               "where the signal is a word's response amplitude]"),
    CLI_CALLBACK(0, "grid", args, o.grid, parse_grid, "NXxNYxNZ", "grid in voxels [20x20x12]"),
    CLI_DOUBLE(0, "voxel", args, o.voxel_mm, 0.01, 100, "MM", "voxel size in mm [3]"),
    CLI_FLAG(0, "whole-brain", args, whole,
             "a 64x64x40 grid (about 59,000 brain voxels) and 48\nregions"),
    CLI_ENUM(0, "effect", args, o.effect, bract_simrsa_effect, "KIND",
             "'regions' (the signal regions) or 'sphere' [regions]"),
    CLI_DOUBLE(0, "radius", args, o.radius_mm, 0.01, 1000, "MM", "radius of the sphere [9]"),
    CLI_CALLBACK(0, "center", args, o.center, parse_center, "I,J,K",
                 "centre of the sphere in voxel coordinates [lateral]"),
    CLI_SIZE(0, "documents", args, o.documents, 0, 10000000, "N",
             "documents of the corpus [400]"),
    CLI_GROUP("Event-related runs (raw BOLD instead of pattern volumes):"),
    CLI_FLAG(0, "event-related", args, events,
             "write BOLD runs, events and fMRIPrep confounds per\n"
             "subject and run (sub-NN/func/), not pattern volumes"),
    CLI_FLAG(0, "bids", args, bids,
             "a BIDS dataset (implies --event-related): raw runs\n"
             "and events, fMRIPrep-style outputs in\n"
             "derivatives/fmriprep, the rest in\n"
             "derivatives/simulation"),
    CLI_DOUBLE(0, "tr", args, o.bold.tr, 1e-3, 1e3, "S", "repetition time [2]"),
    CLI_DOUBLE(0, "isi-min", args, o.bold.isi_min, 0, 1e4, "S",
               "shortest interval between onsets [2]"),
    CLI_DOUBLE(0, "isi-max", args, o.bold.isi_max, 0, 1e4, "S",
               "longest interval between onsets [4]"),
    CLI_DOUBLE(0, "duration", args, o.bold.duration, 0, 1e4, "S", "duration of each event [1]"),
    CLI_DOUBLE(0, "lead-in", args, o.bold.lead_in, 0, 1e5, "S", "onset of the first event [6]"),
    CLI_DOUBLE(0, "tail", args, o.bold.tail, 0, 1e5, "S",
               "seconds after the latest possible end of the last\nevent [16]"),
    CLI_SIZE(0, "volumes", args, o.bold.volumes, 2, 100000, "N",
             "volumes per run [lead-in + events + tail]"),
    CLI_ENUM(0, "hrf", args, o.bold.hrf, bract_hrf_model, "MODEL",
             "response kernel: glover or spm [glover]"),
    CLI_DOUBLE(0, "baseline", args, o.bold.baseline, -1e6, 1e6, "X", "mean signal [100]"),
    CLI_DOUBLE(0, "noise-sd", args, o.bold.noise_sd, 0, 1e6, "X", "sd of the AR(1) noise [1]"),
    CLI_DOUBLE(0, "ar1", args, o.bold.ar1, 0, 0.999, "PHI", "AR(1) coefficient of the noise [0.3]"),
    CLI_DOUBLE(0, "drift", args, o.bold.drift_sd, 0, 1e6, "X", "size of the slow drift [1]"),
    CLI_DOUBLE(0, "motion", args, o.bold.motion_mm, 0, 1e3, "MM",
               "sd of a head-motion step per volume [0.05]"),
    CLI_DOUBLE(0, "motion-effect", args, o.bold.motion_effect, 0, 1e6, "X",
               "sd of each voxel's signal change per mm of motion [0.5]"),
    CLI_DOUBLE(0, "evoked", args, o.bold.evoked, -1e6, 1e6, "A",
               "response to every word in the effect voxels, added\n"
               "to its word-specific amplitude [0]"),
    CLI_DOUBLE(0, "hrf-variability", args, o.bold.hrf_variability, 0, 10, "X",
               "each effect voxel its own inverse-logit HRF, peaks\n"
               "about X s apart (sd) [0: --hrf everywhere]"),
    CLI_SIZE(0, "structured-noise", args, o.bold.structured_noise, 0, 1000, "K",
             "K noise time courses per run shared by all voxels\n"
             "[0]"),
    CLI_END};

const cli_spec cli_spec_simulate_rsa = {
    "simulate rsa", "Usage: bract simulate rsa -o DIR [options]",
    "Write a word-RSA dataset whose truth is known: an embedding table, a\n"
    "conditions table, a brain mask, an atlas with labels, one 4-D pattern\n"
    "volume per subject (a volume per word and run) where the signal regions\n"
    "(or a sphere) carry patterns generated from the embedding, a text corpus,\n"
    "the embedding's cosine RDM, and the truth.  With --event-related, raw\n"
    "BOLD runs instead (one event per word, HRF-convolved responses, AR(1)\n"
    "noise, drift and motion), with BIDS events, fMRIPrep-style confounds and\n"
    "JSON sidecars, named as BIDS names them, and a word list for the\n"
    "conditions table.  With --bids, a BIDS dataset with fMRIPrep-style\n"
    "derivatives, as bract bids reads it.",
    options, NULL};

/* Cosine-distance RDM of the embedding, words in the order they first
 * appear in the conditions. */
static int write_model_rdm(const bract_simrsa *d, const char *path, int force)
{
    size_t W = d->nwords, D = d->dims;
    size_t *order = malloc(W * sizeof *order);
    unsigned char *seen = calloc(W, 1);
    const char **labels = malloc(W * sizeof *labels);
    bract_rdmset *s = NULL;
    bract_rdmset_new(1, &s);
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

/* The fixed files: slot 1 is conditions.tsv for pattern volumes, words.txt
 * for event-related runs. */
enum { F_EMBEDDING, F_CONDITIONS, F_MASK, F_ATLAS, F_LABELS, F_TRUTH, F_TRUTHMAP, F_CORPUS,
       F_MODEL, NFIXED };
static const char *const fixed[NFIXED] = {"embedding.tsv",    "conditions.tsv", "mask.nii.gz",
                                          "atlas.nii.gz",     "labels.tsv",     "truth.tsv",
                                          "truth_map.nii.gz", "corpus.txt",     "model_rdm.tsv"};

/* An event-related run's files, BIDS names: sub-NN/func/sub-NN_task-words_run-R_<suffix>;
 * with --bids also fMRIPrep's preprocessed run and its brain mask, and fMRIPrep's
 * files are under derivatives/fmriprep/. */
enum { R_BOLD, R_EVENTS, R_CONFOUNDS, R_PREPROC, R_RUNMASK, NRUNFILES };
#define SPACE "MNI152NLin2009cAsym"
static const char *const run_suffix[NRUNFILES] = {
    "bold.nii.gz", "events.tsv", "desc-confounds_timeseries.tsv",
    "space-" SPACE "_desc-preproc_bold.nii.gz", "space-" SPACE "_desc-brain_mask.nii.gz"};
#define TASK "words"
#define FMRIPREP "derivatives/fmriprep/"
#define SIMULATION "derivatives/simulation/"

/* The files that make a directory a BIDS dataset (--bids), without sidecars. */
enum { B_DESC, B_README, B_PARTICIPANTS, B_PARTICIPANTS_JSON, B_BOLD_JSON, B_EVENTS_JSON,
       B_FMRIPREP_DESC, B_SIMULATION_DESC, NBIDS };
static const char *const bids_file[NBIDS] = {
    "dataset_description.json", "README", "participants.tsv", "participants.json",
    "task-" TASK "_bold.json", "task-" TASK "_events.json",
    FMRIPREP "dataset_description.json", SIMULATION "dataset_description.json"};

/* The run: options, design, output paths (the fixed files, then per subject
 * one pattern volume, or per subject and run the run's files). */
typedef struct {
    cli_ctx c;
    args a;
    bract_simrsa *d;
    char **paths;
    size_t nout;
} run;

static char *path_in(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* Slots per subject: a pattern volume, or per run NRUNFILES files and
 * fMRIPrep's anatomical brain mask (--bids; slots not written are NULL). */
static size_t per_subject(const run *r)
{
    return r->a.events ? r->a.o.runs * NRUNFILES + 1 : 1;
}

/* The slot of run `run` of subject s, file f (event-related). */
static size_t run_slot(const run *r, size_t s, size_t rn, int f)
{
    return NFIXED + s * per_subject(r) + rn * NRUNFILES + (size_t)f;
}

static size_t anat_slot(const run *r, size_t s)
{
    return NFIXED + s * per_subject(r) + r->a.o.runs * NRUNFILES;
}

static size_t bids_slot(const run *r, int b)
{
    return NFIXED + r->a.o.subjects * per_subject(r) + (size_t)b;
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

/* The event-related parameters of a sidecar. */
static void sidecar_bold(bract_sidecar *s, const bract_simrsa_opts *o, size_t nvol)
{
    const bract_simrsa_bold_opts *b = &o->bold;
    bract_sidecar_param_bool(s, "event_related", 1);
    bract_sidecar_param_num(s, "tr", b->tr);
    bract_sidecar_param_int(s, "volumes", (int64_t)nvol);
    bract_sidecar_param_num(s, "isi_min", b->isi_min);
    bract_sidecar_param_num(s, "isi_max", b->isi_max);
    bract_sidecar_param_num(s, "duration", b->duration);
    bract_sidecar_param_num(s, "lead_in", b->lead_in);
    bract_sidecar_param_num(s, "tail", b->tail);
    bract_sidecar_param_str(s, "hrf", bract_hrf_model_name(b->hrf));
    bract_sidecar_param_num(s, "baseline", b->baseline);
    bract_sidecar_param_num(s, "noise_sd", b->noise_sd);
    bract_sidecar_param_num(s, "ar1", b->ar1);
    bract_sidecar_param_num(s, "drift", b->drift_sd);
    bract_sidecar_param_num(s, "motion_mm", b->motion_mm);
    bract_sidecar_param_num(s, "motion_effect", b->motion_effect);
}

/* The sidecar of one output: the simulation's parameters and what the file
 * holds; `tr` > 0 adds BIDS's RepetitionTime and TaskName (a BOLD run). */
static int sidecar_tr(const run *r, const char *path, const char *what, double tr)
{
    const bract_simrsa_opts *o = &r->a.o;
    const bract_simrsa *d = r->d;
    bract_sidecar *s = cli_sidecar(&r->c);
    if (s) {
        bract_sidecar_set_str(s, "Description", what);
        if (tr > 0) {
            bract_sidecar_set_num(s, "RepetitionTime", tr);
            bract_sidecar_set_str(s, "TaskName", TASK);
        }
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
        bract_sidecar_param_str(s, "effect", bract_simrsa_effect_name(o->effect));
        if (o->effect == BRACT_SIMRSA_SPHERE) {
            bract_sidecar_param_num(s, "radius_mm", o->radius_mm);
            char cm[96];
            snprintf(cm, sizeof cm, "[%g, %g, %g]", d->center_mm[0], d->center_mm[1],
                     d->center_mm[2]);
            bract_sidecar_set_json(s, "SphereCentreMM", cm);
        }
        bract_sidecar_param_int(s, "documents", (int64_t)o->documents);
        bract_sidecar_param_int(s, "seed", (int64_t)o->seed);
        if (r->a.events)
            sidecar_bold(s, o, d->run_volumes);
        bract_sidecar_count(s, "brain_voxels", (int64_t)d->nmask);
        bract_sidecar_count(s, "effect_voxels", (int64_t)d->neffect);
        /* the truth in every sidecar: the signal regions by name */
        char *list = signal_list(d);
        if (list) {
            bract_sidecar_set_json(s, "SignalRegions", list);
            free(list);
        }
    }
    int rc = cli_sidecar_finish(&r->c, s, path);
    bract_sidecar_free(s);
    return rc;
}

static int sidecar(const run *r, const char *path, const char *what)
{
    return sidecar_tr(r, path, what, 0);
}

/* The options after parsing: --whole-brain, --event-related, and what must
 * hold together. */
static int check_options(run *r)
{
    bract_simrsa_opts *o = &r->a.o;
    if (r->a.bids)
        r->a.events = 1;
    if (r->a.whole) {
        if (cli_given(&r->c, "grid"))
            return cli_usage_error(&r->c, "--whole-brain and --grid exclude each other");
        o->grid[0] = 64;
        o->grid[1] = 64;
        o->grid[2] = 40;
        if (!cli_given(&r->c, "regions"))
            o->regions = 48;
    }
    if (o->signal_regions > o->regions)
        return cli_usage_error(&r->c, "--signal-regions (%zu) exceeds --regions (%zu)",
                               o->signal_regions, o->regions);
    if (o->categories > o->words)
        return cli_usage_error(&r->c, "--categories (%zu) exceeds --words (%zu)", o->categories,
                               o->words);
    static const char *const bold_opts[] = {"tr",       "isi-min",  "isi-max", "duration",
                                            "lead-in",  "tail",     "volumes", "hrf",
                                            "baseline", "noise-sd", "ar1",     "drift",
                                            "motion",   "motion-effect", "evoked",
                                            "hrf-variability", "structured-noise"};
    if (!r->a.events)
        for (size_t i = 0; i < sizeof bold_opts / sizeof *bold_opts; i++)
            if (cli_given(&r->c, bold_opts[i]))
                return cli_usage_error(&r->c, "--%s applies to --event-related", bold_opts[i]);
    /* a word's amplitude scales a response whose peak is about a fifth of
     * it, and overlapping events blur the betas: the same RDM correlations
     * as the pattern volumes' 0.02 need about 3 */
    if (r->a.events && !cli_given(&r->c, "snr"))
        o->snr = 3;
    if (o->bold.isi_min > o->bold.isi_max)
        return cli_usage_error(&r->c, "--isi-min (%g) exceeds --isi-max (%g)", o->bold.isi_min,
                               o->bold.isi_max);
    return CLI_OK;
}

/* The name of slot i under the output directory; 0 for a slot that is not
 * written (an fMRIPrep file without --bids). */
static int slot_name(const run *r, size_t i, char *name, size_t len)
{
    const bract_simrsa_opts *o = &r->a.o;
    size_t per = per_subject(r), nsub = NFIXED + o->subjects * per;
    const char *where = r->a.bids ? SIMULATION : "";
    if (i == F_CONDITIONS && r->a.events) {
        snprintf(name, len, "%swords.txt", where);
    } else if (i < NFIXED) {
        snprintf(name, len, "%s%s", where, fixed[i]);
    } else if (i >= nsub) {
        snprintf(name, len, "%s", bids_file[i - nsub]);
    } else if (!r->a.events) {
        snprintf(name, len, "sub-%02zu_patterns.nii.gz", i - NFIXED + 1);
    } else {
        size_t k = i - NFIXED, s = k / per, rn = k % per / NRUNFILES, f = k % per % NRUNFILES;
        if (k % per == o->runs * NRUNFILES) { /* the anatomical brain mask */
            if (!r->a.bids)
                return 0;
            snprintf(name, len, FMRIPREP "sub-%02zu/anat/sub-%02zu_space-" SPACE
                     "_desc-brain_mask.nii.gz", s + 1, s + 1);
            return 1;
        }
        if (!r->a.bids && f >= R_PREPROC)
            return 0;
        int fmriprep = r->a.bids && f != R_BOLD && f != R_EVENTS;
        snprintf(name, len, "%ssub-%02zu/func/sub-%02zu_task-" TASK "_run-%zu_%s",
                 fmriprep ? FMRIPREP : "", s + 1, s + 1, rn + 1, run_suffix[f]);
    }
    return 1;
}

/* The output names: the fixed files, then the subjects' files, then the
 * files of a BIDS dataset. */
static int make_paths(run *r)
{
    const bract_simrsa_opts *o = &r->a.o;
    r->nout = NFIXED + o->subjects * per_subject(r) + (r->a.bids ? NBIDS : 0);
    if (!(r->paths = calloc(r->nout, sizeof *r->paths)))
        return cli_error(&r->c, "out of memory");
    for (size_t i = 0; i < r->nout; i++) {
        char name[200];
        if (slot_name(r, i, name, sizeof name) && !(r->paths[i] = path_in(r->a.dir, name)))
            return cli_error(&r->c, "out of memory");
    }
    return CLI_OK;
}

/* Every output, refused before anything is written; the design first (it
 * checks the options), then the directories. */
static int prepare(run *r)
{
    int rc = make_paths(r);
    if (rc)
        return rc;
    if (bract_simrsa_new(&r->a.o, &r->d) || bract_output_make_dir(r->a.dir, NULL))
        return cli_fail(&r->c);
    for (size_t i = 0; i < r->nout; i++) {
        if (!r->paths[i])
            continue;
        /* a subject's directory not made yet holds nothing to overwrite */
        char *slash = strrchr(r->paths[i], '/');
        struct stat st;
        *slash = '\0';
        int fresh = stat(r->paths[i], &st) != 0;
        *slash = '/';
        if (fresh)
            continue;
        char *side = bract_sidecar_path(r->paths[i]);
        int bad = bract_output_check(r->paths[i], r->c.force) ||
                  (side && bract_output_check(side, r->c.force));
        free(side);
        if (bad)
            return cli_fail(&r->c);
    }
    for (size_t i = 0; i < r->nout; i++) {
        if (!r->paths[i])
            continue;
        char *slash = strrchr(r->paths[i], '/');
        *slash = '\0';
        int bad = bract_output_make_dir(r->paths[i], NULL);
        *slash = '/';
        if (bad)
            return cli_fail(&r->c);
    }
    return CLI_OK;
}

static int commit_table(run *r, bract_tsv_writer *t, size_t slot, const char *what)
{
    return bract_tsv_commit(t) ? cli_fail(&r->c) : sidecar(r, r->paths[slot], what);
}

/* embedding.tsv (word, d0 ..). */
static int write_embedding(run *r)
{
    const bract_simrsa *d = r->d;
    size_t dims = r->a.o.dims, nc = dims + 1;
    char **cols = calloc(nc, sizeof *cols);
    int ok = cols != NULL, rc;
    for (size_t k = 0; ok && k < nc; k++) {
        char b[32];
        if (k == 0)
            snprintf(b, sizeof b, "word");
        else
            snprintf(b, sizeof b, "d%zu", k - 1);
        ok = (cols[k] = strdup(b)) != NULL;
    }
    bract_tsv_writer *t;
    if (!ok || bract_tsv_open(r->paths[F_EMBEDDING], r->c.force, nc, (const char *const *)cols,
                              &t)) {
        rc = ok ? cli_fail(&r->c) : cli_error(&r->c, "out of memory");
    } else {
        for (size_t i = 0; i < d->nwords; i++) {
            bract_tsv_str(t, d->words[i]);
            for (size_t k = 0; k < dims; k++)
                bract_tsv_double(t, d->embedding[i * dims + k]);
            bract_tsv_end_row(t);
        }
        rc = commit_table(r, t, F_EMBEDDING, "word embedding (TSV)");
    }
    for (size_t k = 0; cols && k < nc; k++)
        free(cols[k]);
    free(cols);
    return rc;
}

/* embedding.tsv, then conditions.tsv (pattern volumes) or words.txt (the
 * stimulus list of the event-related runs). */
static int write_words(run *r)
{
    const bract_simrsa *d = r->d;
    int rc = write_embedding(r);
    if (rc)
        return rc;
    if (r->a.events) {
        size_t len = 0;
        for (size_t i = 0; i < d->nwords; i++)
            len += strlen(d->words[i]) + 1;
        char *text = malloc(len + 1), *p = text;
        if (!text)
            return cli_error(&r->c, "out of memory");
        for (size_t i = 0; i < d->nwords; i++)
            p += sprintf(p, "%s\n", d->words[i]);
        if (bract_output_write_atomic(r->paths[F_CONDITIONS], text, len, r->c.force))
            rc = cli_fail(&r->c);
        free(text);
        return rc ? rc : sidecar(r, r->paths[F_CONDITIONS], "the words, one per line");
    }
    static const char *const ccols[] = {"condition", "run"};
    bract_tsv_writer *t;
    if (bract_tsv_open(r->paths[F_CONDITIONS], r->c.force, 2, ccols, &t))
        return cli_fail(&r->c);
    for (size_t i = 0; i < d->nvol; i++) {
        bract_tsv_str(t, d->words[d->vol_word[i]]);
        bract_tsv_long(t, (long long)d->vol_run[i]);
        bract_tsv_end_row(t);
    }
    return commit_table(r, t, F_CONDITIONS, "condition of each pattern volume");
}

static int write_volume_tr(run *r, const bract_volume *v, size_t slot, int intent,
                           const char *descrip, const char *what, double tr)
{
    bract_volume_write_opts vo = {intent, {0, 0, 0}, NULL, descrip, r->c.force};
    if (bract_volume_write(v, r->paths[slot], &vo))
        return cli_fail(&r->c);
    return sidecar_tr(r, r->paths[slot], what, tr);
}

static int write_volume(run *r, const bract_volume *v, size_t slot, int intent,
                        const char *descrip, const char *what)
{
    return write_volume_tr(r, v, slot, intent, descrip, what, 0);
}

/* mask, atlas, labels.tsv and truth.tsv. */
static int write_regions(run *r)
{
    const bract_simrsa *d = r->d;
    int rc = write_volume(r, d->mask, F_MASK, BRACT_INTENT_NONE, "bract brain mask",
                          "brain mask");
    if (!rc)
        rc = write_volume(r, d->atlas, F_ATLAS, BRACT_INTENT_LABEL, "bract atlas",
                          "atlas: region labels");
    if (rc)
        return rc;
    static const char *const lc[] = {"index", "name"};
    static const char *const tc[] = {"region", "label", "n_voxels", "signal", "n_effect_voxels"};
    bract_tsv_writer *t;
    if (bract_tsv_open(r->paths[F_LABELS], r->c.force, 2, lc, &t))
        return cli_fail(&r->c);
    for (size_t g = 0; g < d->nregions; g++) {
        bract_tsv_long(t, (long long)g + 1);
        bract_tsv_str(t, d->region_names[g]);
        bract_tsv_end_row(t);
    }
    if ((rc = commit_table(r, t, F_LABELS, "atlas labels")))
        return rc;
    if (bract_tsv_open(r->paths[F_TRUTH], r->c.force, 5, tc, &t))
        return cli_fail(&r->c);
    for (size_t g = 0; g < d->nregions; g++) {
        bract_tsv_str(t, d->region_names[g]);
        bract_tsv_long(t, (long long)g + 1);
        bract_tsv_long(t, (long long)d->region_voxels[g]);
        bract_tsv_long(t, d->region_signal[g]);
        bract_tsv_long(t, (long long)d->region_effect[g]);
        bract_tsv_end_row(t);
    }
    return commit_table(r, t, F_TRUTH, "truth: which regions carry the effect");
}

/* The truth map, the corpus and the model RDM. */
static int write_truth(run *r)
{
    const bract_simrsa *d = r->d;
    int rc = write_volume(r, d->truth, F_TRUTHMAP, BRACT_INTENT_NONE, "bract simulated effect",
                          "truth: 1 where the effect was planted");
    if (rc)
        return rc;
    if (bract_output_write_atomic(r->paths[F_CORPUS], d->corpus, strlen(d->corpus), r->c.force))
        return cli_fail(&r->c);
    if ((rc = sidecar(r, r->paths[F_CORPUS], "corpus: one document per line")))
        return rc;
    if (write_model_rdm(d, r->paths[F_MODEL], r->c.force))
        return cli_fail(&r->c);
    return sidecar(r, r->paths[F_MODEL], "cosine-distance RDM of the embedding");
}

/* One event-related run: the BOLD series (its sidecar holds RepetitionTime),
 * the events (onset, duration, trial_type = the word) and the confounds. */
static int write_run(run *r, size_t s, size_t rn)
{
    bract_simrsa_run *x;
    if (bract_simrsa_run_new(r->d, s, rn, &x))
        return cli_fail(&r->c);
    int rc = write_volume_tr(r, x->bold, run_slot(r, s, rn, R_BOLD), BRACT_INTENT_NONE,
                             "bract simulated BOLD", "BOLD run: word events, AR(1) noise, "
                             "drift and head motion", x->tr);
    static const char *const ec[] = {"onset", "duration", "trial_type"};
    bract_tsv_writer *t;
    if (!rc && bract_tsv_open(r->paths[run_slot(r, s, rn, R_EVENTS)], r->c.force, 3, ec, &t))
        rc = cli_fail(&r->c);
    if (!rc) {
        for (size_t k = 0; k < x->events->n; k++) {
            bract_tsv_double(t, x->events->ev[k].onset);
            bract_tsv_double(t, x->events->ev[k].duration);
            bract_tsv_str(t, x->events->ev[k].label);
            bract_tsv_end_row(t);
        }
        /* a BIDS dataset describes the events' columns once, in
         * task-words_events.json: no sidecar of bract's here */
        if (r->a.bids)
            rc = bract_tsv_commit(t) ? cli_fail(&r->c) : CLI_OK;
        else
            rc = commit_table(r, t, run_slot(r, s, rn, R_EVENTS),
                              "events (BIDS): one per word, onsets in seconds from the first "
                              "volume");
    }
    if (!rc && bract_tsv_open(r->paths[run_slot(r, s, rn, R_CONFOUNDS)], r->c.force,
                              x->nconfounds, (const char *const *)x->confound_names, &t))
        rc = cli_fail(&r->c);
    if (!rc) {
        for (size_t i = 0; i < x->nvol; i++) {
            for (size_t j = 0; j < x->nconfounds; j++)
                bract_tsv_double(t, x->confounds[i * x->nconfounds + j]);
            bract_tsv_end_row(t);
        }
        rc = commit_table(r, t, run_slot(r, s, rn, R_CONFOUNDS),
                          "confounds as fMRIPrep's desc-confounds_timeseries.tsv (n/a where "
                          "fMRIPrep writes it)");
    }
    /* fMRIPrep's preprocessed run (the simulated run is in the template's
     * space already) and its brain mask */
    if (!rc && r->a.bids)
        rc = write_volume_tr(r, x->bold, run_slot(r, s, rn, R_PREPROC), BRACT_INTENT_NONE,
                             "bract simulated BOLD", "preprocessed BOLD run (fMRIPrep's "
                             "desc-preproc_bold): the simulated run", x->tr);
    if (!rc && r->a.bids)
        rc = write_volume(r, r->d->mask, run_slot(r, s, rn, R_RUNMASK), BRACT_INTENT_NONE,
                          "bract brain mask", "brain mask of the run (fMRIPrep's desc-brain_mask)");
    bract_simrsa_run_free(x);
    return rc;
}

static int write_subjects(run *r)
{
    size_t n = r->a.o.subjects, runs = r->a.events ? r->a.o.runs : 1, total = n * runs;
    int rc = CLI_OK;
    cli_bar bar;
    cli_bar_start(&bar, &r->c, "simulate rsa");
    for (size_t s = 0; s < n && !rc; s++) {
        cli_log(&r->c, "subject %zu of %zu", s + 1, n);
        if (r->a.events) {
            for (size_t rn = 0; rn < runs && !rc; rn++) {
                rc = write_run(r, s, rn);
                cli_bar_update(&bar, s * runs + rn + 1, total);
            }
            if (!rc && r->a.bids)
                rc = write_volume(r, r->d->mask, anat_slot(r, s), BRACT_INTENT_NONE,
                                  "bract brain mask", "brain mask in the template's space "
                                  "(fMRIPrep's anat desc-brain_mask)");
            continue;
        }
        bract_volume *p;
        if (bract_simrsa_subject(r->d, s, &p)) {
            rc = cli_fail(&r->c);
            break;
        }
        rc = write_volume(r, p, NFIXED + s, BRACT_INTENT_NONE, "bract simulated patterns",
                          "patterns: one volume per row of conditions.tsv");
        bract_volume_free(p);
        cli_bar_update(&bar, s + 1, n);
    }
    cli_bar_finish(&bar);
    return rc;
}

/* One file of a BIDS dataset's own (--bids): text, no sidecar. */
static int write_text(run *r, int b, const char *text)
{
    if (!text)
        return cli_error(&r->c, "out of memory");
    return bract_output_write_atomic(r->paths[bids_slot(r, b)], text, strlen(text), r->c.force)
               ? cli_fail(&r->c) : CLI_OK;
}

/* The files that make the output a BIDS dataset (written last: a directory
 * without them is not one), and those of its two derivative datasets. */
static int write_bids(run *r)
{
    char buf[2048];
    char *t = cli_bids_description("bract simulated word-RSA study", "raw",
                                   "bract simulate rsa --bids: event-related BOLD runs with a "
                                   "known truth");
    int rc = write_text(r, B_DESC, t);
    free(t);
    snprintf(buf, sizeof buf,
             "A word-RSA study simulated by bract simulate rsa --bids (seed %llu).\n\n"
             "Every subject saw each of %zu words once per run (%zu runs, TR %g s); the\n"
             "responses of the signal regions follow the words' embedding vectors.\n\n"
             "sub-*/func/                raw BOLD runs and their events (trial_type = word)\n"
             "derivatives/fmriprep/      the runs as fMRIPrep gives them: preprocessed BOLD in\n"
             "                           " SPACE " space, brain masks, confounds\n"
             "derivatives/simulation/    the embedding, word list, atlas, labels, mask, corpus\n"
             "                           and the truth (truth.tsv: which regions carry the effect)\n",
             (unsigned long long)r->a.o.seed, r->a.o.words, r->a.o.runs, r->a.o.bold.tr);
    if (!rc)
        rc = write_text(r, B_README, buf);
    size_t k = (size_t)snprintf(buf, sizeof buf, "participant_id\n");
    size_t nsub = r->a.o.subjects;
    char *parts = malloc(k + nsub * 16 + 1);
    if (parts) {
        memcpy(parts, buf, k + 1);
        for (size_t s = 0; s < nsub; s++)
            k += (size_t)sprintf(parts + k, "sub-%02zu\n", s + 1);
    }
    if (!rc)
        rc = write_text(r, B_PARTICIPANTS, parts);
    free(parts);
    if (!rc)
        rc = write_text(r, B_PARTICIPANTS_JSON,
                        "{\n  \"participant_id\": {\n    \"Description\": \"the simulated "
                        "subject\"\n  }\n}\n");
    snprintf(buf, sizeof buf, "{\n  \"TaskName\": \"" TASK "\",\n  \"RepetitionTime\": %g\n}\n",
             r->a.o.bold.tr);
    if (!rc)
        rc = write_text(r, B_BOLD_JSON, buf);
    if (!rc)
        rc = write_text(r, B_EVENTS_JSON,
                        "{\n"
                        "  \"onset\": {\"Description\": \"onset of the word\", \"Units\": \"s\"},\n"
                        "  \"duration\": {\"Description\": \"how long the word was shown\", "
                        "\"Units\": \"s\"},\n"
                        "  \"trial_type\": {\"Description\": \"the word shown\"}\n"
                        "}\n");
    t = cli_bids_description("bract simulated word-RSA study: fMRIPrep-style outputs",
                             "derivative", "bract simulate rsa --bids: the simulated runs as "
                             "fMRIPrep gives them (preprocessed BOLD, brain masks, confounds)");
    if (!rc)
        rc = write_text(r, B_FMRIPREP_DESC, t);
    free(t);
    t = cli_bids_description("bract simulated word-RSA study: the simulation", "derivative",
                             "bract simulate rsa --bids: the embedding, word list, atlas, mask "
                             "and truth of the simulation");
    if (!rc)
        rc = write_text(r, B_SIMULATION_DESC, t);
    free(t);
    return rc;
}

int main_simulate_rsa(int argc, char **argv);

int main_simulate_rsa(int argc, char **argv)
{
    run R;
    memset(&R, 0, sizeof R);
    run *r = &R;
    cli_ctx_init(&r->c, "simulate rsa", NULL);
    bract_simrsa_opts_defaults(&r->a.o);
    int rc = cli_parse(&r->c, &cli_spec_simulate_rsa, &r->a, argc, argv);
    if (rc != CLI_CONTINUE)
        return rc;
    if ((rc = check_options(r)))
        return rc;
    const bract_simrsa_opts *o = &r->a.o;
    r->a.o.seed = r->c.seed;
    cli_apply(&r->c);
    if (!(rc = prepare(r)) && !(rc = write_words(r)) && !(rc = write_regions(r)) &&
        !(rc = write_truth(r)) && !(rc = write_subjects(r)) &&
        !(rc = r->a.bids ? write_bids(r) : CLI_OK)) {
        const bract_simrsa *d = r->d;
        size_t nsig = 0;
        for (size_t g = 0; g < d->nregions; g++)
            nsig += (size_t)d->region_signal[g];
        cli_log(&r->c, "wrote %s: %zu subjects, %zu words x %zu runs%s, %zu brain voxels, %zu "
                       "regions (%zu with signal), %zu effect voxels",
                r->a.dir, o->subjects, o->words, o->runs,
                r->a.events ? " (event-related BOLD)" : "", d->nmask, d->nregions, nsig,
                d->neffect);
    }
    bract_simrsa_free(r->d);
    for (size_t i = 0; r->paths && i < r->nout; i++)
        free(r->paths[i]);
    free(r->paths);
    return rc;
}
