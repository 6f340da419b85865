/* bract simulate timescales: regions (and voxels) whose signals are
 * Ornstein-Uhlenbeck processes with timescales along a planted gradient
 * (the simulator is bract/tausim.h; this file writes its files). */
#include "cli/cli.h"
#include "cli/opts.h"

#include <stdlib.h>
#include <string.h>
#include "bract/tsv.h"

int main_simulate_timescales(int argc, char **argv);

typedef struct {
    const char *dir;
    int volume;
    bract_tausim_opts o;
} args;

static const cli_opt options[] = {
    CLI_GROUP("Options:"),
    CLI_STRING('o', "output", args, dir, "DIR", "directory to write (created if missing)",
               .flags = CLI_REQUIRED),
    CLI_SIZE(0, "regions", args, o.nreg, 3, 10000, "N", "regions [20]"),
    CLI_SIZE(0, "volumes", args, o.nt, 3, 10000000, "T", "volumes per series [600]"),
    CLI_DOUBLE(0, "tr", args, o.tr, 1e-3, 1000, "S", "repetition time [2]"),
    CLI_DOUBLE(0, "tau-min", args, o.tau_min, 1e-3, 1e6, "S",
               "timescale of the first region [2]"),
    CLI_DOUBLE(0, "tau-max", args, o.tau_max, 1e-3, 1e6, "S",
               "timescale of the last region [20]"),
    CLI_DOUBLE(0, "noise", args, o.noise, 0, 1e6, "SD",
               "white noise SD, relative to the signal's SD of 1 [0.5]"),
    CLI_SIZE(0, "subjects", args, o.nsub, 1, 999, "N",
             "subjects: files sub-NN_timeseries.tsv [1]"),
    CLI_DOUBLE(0, "subject-sd", args, o.subject_sd, 0, 10, "X",
               "subject timescales tau * exp(X z), z ~ N(0, 1) [0.1]"),
    CLI_FLAG(0, "volume", args, volume,
             "also write bold.nii.gz, atlas.nii.gz, labels.tsv and\n"
             "mask.nii.gz (3 mm voxels)"),
    CLI_SIZE(0, "block", args, o.block, 1, 32, "N", "region cubes of N x N x N voxels [2]"),
    CLI_END};

const cli_spec cli_spec_simulate_timescales = {
    "simulate timescales", "Usage: bract simulate timescales -o DIR [options]",
    "Region time series whose signals are Ornstein-Uhlenbeck processes (AR(1)\n"
    "sampled exactly: phi = exp(-TR / tau)) with timescales on a geometric\n"
    "gradient from --tau-min to --tau-max, plus white noise; optionally a 4-D\n"
    "volume with an atlas whose voxels carry their region's timescale.\n"
    "Writes timeseries.tsv (+ .json with RepetitionTime) and truth.tsv\n"
    "(region, value = position on the gradient, tau_s, x, y, z in mm: usable as\n"
    "both --index and --coords of 'bract timescale hierarchy').",
    options, NULL};

/* The output files: truth.tsv, a series per subject, the volumes. */
typedef struct {
    cli_ctx c;
    const args *a;
    bract_tausim *d;
    bract_sidecar *sc;
    size_t np;
    char (*path)[4096];
    size_t p_truth, p_ts, p_bold, p_atlas, p_labels, p_mask, p_subj;
} run;

/* DIR/name as the next path; its slot. */
static size_t add_path(run *r, const char *name)
{
    snprintf(r->path[r->np], sizeof r->path[0], "%s/%s", r->a->dir, name);
    return r->np++;
}

/* Every output name, checked before anything is written. */
static int plan_outputs(run *r)
{
    const bract_tausim_opts *o = &r->a->o;
    int vol = r->a->volume;
    size_t nfiles = 1 + o->nsub * (vol ? 2 : 1) + (vol ? 3 : 0) + (o->nsub > 1 ? 1 : 0);
    if (!(r->path = calloc(nfiles, sizeof *r->path)))
        return cli_error(&r->c, "out of memory");
    char name[64];
    r->p_truth = add_path(r, "truth.tsv");
    r->p_ts = r->np;
    for (size_t s = 0; s < o->nsub; s++) {
        if (o->nsub == 1)
            snprintf(name, sizeof name, "timeseries.tsv");
        else
            snprintf(name, sizeof name, "sub-%02zu_timeseries.tsv", s + 1);
        add_path(r, name);
    }
    if (vol) {
        r->p_bold = r->np;
        for (size_t s = 0; s < o->nsub; s++) {
            if (o->nsub == 1)
                snprintf(name, sizeof name, "bold.nii.gz");
            else
                snprintf(name, sizeof name, "sub-%02zu_bold.nii.gz", s + 1);
            add_path(r, name);
        }
        r->p_atlas = add_path(r, "atlas.nii.gz");
        r->p_labels = add_path(r, "labels.tsv");
        r->p_mask = add_path(r, "mask.nii.gz");
    }
    if (o->nsub > 1)
        r->p_subj = add_path(r, "truth_subjects.tsv");
    for (size_t k = 0; k < r->np; k++)
        if (bract_output_check(r->path[k], r->c.force))
            return cli_fail(&r->c);
    return CLI_OK;
}

/* The parameters every file's sidecar records. */
static int make_sidecar(run *r)
{
    const bract_tausim_opts *o = &r->d->o;
    bract_sidecar *sc = r->sc = cli_sidecar(&r->c);
    if (!sc)
        return cli_error(&r->c, "out of memory");
    bract_sidecar_param_int(sc, "regions", (int64_t)o->nreg);
    bract_sidecar_param_int(sc, "volumes", (int64_t)o->nt);
    bract_sidecar_param_num(sc, "tr_s", o->tr);
    bract_sidecar_param_num(sc, "tau_min_s", o->tau_min);
    bract_sidecar_param_num(sc, "tau_max_s", o->tau_max);
    bract_sidecar_param_str(sc, "gradient", "geometric");
    bract_sidecar_param_num(sc, "noise_sd", o->noise);
    bract_sidecar_param_int(sc, "subjects", (int64_t)o->nsub);
    if (o->nsub > 1)
        bract_sidecar_param_num(sc, "subject_sd", o->subject_sd);
    bract_sidecar_param_bool(sc, "volume", r->a->volume);
    if (r->a->volume)
        bract_sidecar_param_int(sc, "block", (int64_t)o->block);
    bract_sidecar_param_int(sc, "seed", (int64_t)o->seed);
    bract_sidecar_set_str(sc, "Model",
                          "x = AR(1) with phi = exp(-TR/tau) and unit variance + noise_sd * "
                          "N(0,1); voxels: 1000 + an independent such series each");
    bract_sidecar_set_num(sc, "RepetitionTime", o->tr);
    return CLI_OK;
}

/* The sidecar of `path` with its Contents. */
static int finish(run *r, const char *path, const char *contents)
{
    bract_sidecar_set_str(r->sc, "Contents", contents);
    return cli_sidecar_finish(&r->c, r->sc, path);
}

static int commit_table(run *r, bract_tsv_writer *w, const char *path, const char *contents)
{
    if (bract_tsv_commit(w))
        return cli_fail(&r->c);
    return finish(r, path, contents);
}

/* truth.tsv, truth_subjects.tsv and labels.tsv. */
static int write_truth(run *r)
{
    const bract_tausim *d = r->d;
    static const char *const cols[] = {"region", "value", "tau_s", "x", "y", "z"};
    bract_tsv_writer *w;
    if (bract_tsv_open(r->path[r->p_truth], r->c.force, 6, cols, &w))
        return cli_fail(&r->c);
    for (size_t g = 0; g < d->nreg; g++) {
        bract_tsv_str(w, d->names[g]);
        bract_tsv_double(w, d->value[g]);
        bract_tsv_double(w, d->tau[g]);
        for (int i = 0; i < 3; i++)
            bract_tsv_double(w, d->xyz[3 * g + (size_t)i]);
        bract_tsv_end_row(w);
    }
    int rc = commit_table(r, w, r->path[r->p_truth],
                          "planted timescales: value = position on the gradient (0 to 1), "
                          "tau_s in seconds, region centres in mm");
    if (rc || d->nsub < 2)
        return rc;
    static const char *const scols[] = {"subject", "region", "tau_s"};
    if (bract_tsv_open(r->path[r->p_subj], r->c.force, 3, scols, &w))
        return cli_fail(&r->c);
    for (size_t s = 0; s < d->nsub; s++)
        for (size_t g = 0; g < d->nreg; g++) {
            char sb[32];
            snprintf(sb, sizeof sb, "sub-%02zu", s + 1);
            bract_tsv_str(w, sb);
            bract_tsv_str(w, d->names[g]);
            bract_tsv_double(w, d->tau_subject[s * d->nreg + g]);
            bract_tsv_end_row(w);
        }
    return commit_table(r, w, r->path[r->p_subj], "each subject's planted timescales (s)");
}

static int write_series(run *r)
{
    for (size_t s = 0; s < r->d->nsub; s++) {
        bract_tseries *ts;
        if (bract_tausim_series(r->d, s, &ts))
            return cli_fail(&r->c);
        int bad = bract_tseries_write(ts, r->path[r->p_ts + s], r->c.force);
        bract_tseries_free(ts);
        if (bad)
            return cli_fail(&r->c);
        int rc = finish(r, r->path[r->p_ts + s], "region time series, a column per region");
        if (rc)
            return rc;
    }
    return CLI_OK;
}

static int write_volume(run *r, const bract_volume *v, const char *path, int intent,
                        const char *iname, const char *descrip, const char *contents)
{
    bract_volume_write_opts wo = {intent, {0, 0, 0}, iname, descrip, r->c.force};
    if (bract_volume_write(v, path, &wo))
        return cli_fail(&r->c);
    return finish(r, path, contents);
}

/* atlas.nii.gz, mask.nii.gz, labels.tsv and each subject's 4-D series. */
static int write_volumes(run *r)
{
    bract_volume *atlas, *mask;
    if (bract_tausim_atlas(r->d, &atlas, &mask))
        return cli_fail(&r->c);
    int rc = write_volume(r, atlas, r->path[r->p_atlas], BRACT_INTENT_LABEL, "regions",
                          "bract simulate timescales: region labels",
                          "atlas: label g = region g of truth.tsv");
    if (!rc)
        rc = write_volume(r, mask, r->path[r->p_mask], BRACT_INTENT_NONE, "mask",
                          "bract simulate timescales: region voxels", "mask of the region voxels");
    bract_volume_free(atlas);
    bract_volume_free(mask);
    if (rc)
        return rc;
    static const char *const cols[] = {"index", "name"};
    bract_tsv_writer *w;
    if (bract_tsv_open(r->path[r->p_labels], r->c.force, 2, cols, &w))
        return cli_fail(&r->c);
    for (size_t g = 0; g < r->d->nreg; g++) {
        bract_tsv_long(w, (long long)g + 1);
        bract_tsv_str(w, r->d->names[g]);
        bract_tsv_end_row(w);
    }
    if ((rc = commit_table(r, w, r->path[r->p_labels], "atlas labels")))
        return rc;
    for (size_t s = 0; s < r->d->nsub && !rc; s++) {
        bract_volume *bold;
        if (bract_tausim_bold(r->d, s, &bold))
            return cli_fail(&r->c);
        rc = write_volume(r, bold, r->path[r->p_bold + s], BRACT_INTENT_NONE, "",
                          "bract simulate timescales: BOLD",
                          "4-D series; each region voxel an independent series with its "
                          "region's timescale");
        bract_volume_free(bold);
    }
    return rc;
}

int main_simulate_timescales(int argc, char **argv)
{
    run R;
    memset(&R, 0, sizeof R);
    run *r = &R;
    cli_ctx_init(&r->c, "simulate timescales", NULL);
    args a = {0};
    bract_tausim_opts_defaults(&a.o);
    r->a = &a;
    int rc = cli_parse(&r->c, &cli_spec_simulate_timescales, &a, argc, argv);
    if (rc != CLI_CONTINUE)
        return rc;
    if (a.o.tau_max < a.o.tau_min)
        return cli_usage_error(&r->c, "--tau-max (%g) is below --tau-min (%g)", a.o.tau_max,
                               a.o.tau_min);
    cli_apply(&r->c);
    a.o.seed = r->c.seed;
    if (bract_output_make_dir(a.dir, NULL))
        return cli_fail(&r->c);
    if (!(rc = plan_outputs(r))) {
        if (bract_tausim_new(&a.o, &r->d))
            rc = cli_fail(&r->c);
        else if (!(rc = make_sidecar(r)) && !(rc = write_truth(r)) && !(rc = write_series(r)) &&
                 (!a.volume || !(rc = write_volumes(r))))
            cli_log(&r->c, "wrote %zu files to %s", r->np, a.dir);
    }
    free(r->path);
    bract_tausim_free(r->d);
    bract_sidecar_free(r->sc);
    return rc;
}
