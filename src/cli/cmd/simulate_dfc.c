/* bract simulate dfc: region time series that switch among known
 * connectivity states, a static null with the same average covariance, a
 * 4-D volume with its atlas, and the truth. */
#include "cli/cli.h"
#include "cli/opts.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json.h>
#include "bract/tsv.h"

/* --dwell: a mean segment length in volumes ("120") or seconds ("240s"). */
typedef struct {
    double value;
    int seconds;
} dwell_len;

static int parse_dwell(const char *arg, void *field)
{
    dwell_len *d = field;
    size_t n = strlen(arg);
    char buf[64];
    double v;
    if (n == 0 || n >= sizeof buf)
        return bract_error(BRACT_EINVAL, "expected volumes or seconds (e.g. 120 or 240s), not "
                                         "'%s'", arg);
    memcpy(buf, arg, n + 1);
    int sec = buf[n - 1] == 's';
    if (sec)
        buf[n - 1] = '\0';
    if (bract_table_parse_double(buf, &v) || !(v >= 1e-6 && v <= 1e9))
        return bract_error(BRACT_EINVAL, "expected a number of volumes or seconds from 1e-06 "
                                         "to 1e+09 (e.g. 120 or 240s), not '%s'", arg);
    d->value = v;
    d->seconds = sec;
    return 0;
}

/* The run: the options (the table below fills them), the region names. */
typedef struct {
    cli_ctx c;
    bract_dfcsim_opts p;
    size_t nsub;
    double tr, noise;
    int volume;
    dwell_len dwell;
    const char *dir;
    char **names; /* region names */
} simctx;

static const cli_opt options[] = {
    CLI_GROUP("Options:"),
    CLI_STRING('o', "output", simctx, dir, "DIR", "output directory (created if missing)",
               .flags = CLI_REQUIRED),
    CLI_SIZE(0, "subjects", simctx, nsub, 1, 999, "N", "subjects [1]"),
    CLI_SIZE(0, "regions", simctx, p.nreg, 2, 999, "N", "regions [16]"),
    CLI_SIZE(0, "states", simctx, p.nstates, 1, 100, "K", "connectivity states [3]"),
    CLI_SIZE(0, "modules", simctx, p.nmodules, 1, 999, "M", "modules per state [3]"),
    CLI_SIZE(0, "volumes", simctx, p.nt, 2, 10000000, "N", "volumes per subject [1200]"),
    CLI_DOUBLE(0, "tr", simctx, tr, 1e-3, 1e3, "SEC", "repetition time [2]"),
    CLI_CALLBACK(0, "dwell", simctx, dwell, parse_dwell, "N[s]",
                 "mean segment length, volumes or seconds [120]"),
    CLI_DOUBLE(0, "rho", simctx, p.rho, 0, 0.999, "R", "correlation within a module [0.6]"),
    CLI_DOUBLE(0, "phi", simctx, p.phi, -0.999, 0.999, "P",
               "lag-1 autocorrelation of the innovations [0.5]"),
    CLI_DOUBLE(0, "voxel-noise", simctx, noise, 0, 1e6, "SD",
               "noise sd of each voxel of the volume [0.5]"),
    CLI_FLAG_OFF(0, "no-volume", simctx, volume, "no 4-D volume or atlas"),
    CLI_END};

const cli_spec cli_spec_simulate_dfc = {
    "simulate dfc", "Usage: bract simulate dfc -o DIR [options]",
    "Region time series that switch among K connectivity states (regions in\n"
    "modules, a different partition per state) with known dwell times, a\n"
    "static null process with the same average covariance, a 4-D volume with\n"
    "an atlas and a labels table, and the truth.  Files per subject:\n"
    "sub-NN_timeseries.tsv, sub-NN_null.tsv, sub-NN_bold.nii.gz,\n"
    "sub-NN_states.tsv, sub-NN_segments.tsv; shared: atlas.nii.gz, labels.tsv,\n"
    "states.tsv, modules.tsv, truth.json.",
    options, NULL};

/* DIR/<name>, with %s replaced by the subject label when `subject` is set. */
static char *out_path(const simctx *s, const char *name, const char *subject)
{
    char file[256];
    if (subject)
        snprintf(file, sizeof file, "%s_%s", subject, name);
    else
        snprintf(file, sizeof file, "%s", name);
    size_t n = strlen(s->dir) + strlen(file) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", s->dir, file);
    return p;
}

static void subject_label(char *buf, size_t n, size_t subject, size_t nsub)
{
    snprintf(buf, n, "sub-%0*zu", nsub >= 100 ? 3 : 2, subject + 1);
}

static int write_sidecar(const simctx *s, const char *path, const char *what)
{
    bract_sidecar *sc = cli_sidecar(&s->c);
    if (sc) {
        bract_sidecar_param_int(sc, "subjects", (int64_t)s->nsub);
        bract_sidecar_param_int(sc, "regions", (int64_t)s->p.nreg);
        bract_sidecar_param_int(sc, "states", (int64_t)s->p.nstates);
        bract_sidecar_param_int(sc, "modules", (int64_t)s->p.nmodules);
        bract_sidecar_param_int(sc, "volumes", (int64_t)s->p.nt);
        bract_sidecar_param_num(sc, "dwell_volumes", s->p.dwell);
        bract_sidecar_param_num(sc, "rho", s->p.rho);
        bract_sidecar_param_num(sc, "phi", s->p.phi);
        if (s->volume)
            bract_sidecar_param_num(sc, "voxel_noise", s->noise);
        bract_sidecar_param_int(sc, "seed", (int64_t)s->p.seed);
        bract_sidecar_set_num(sc, "RepetitionTime", s->tr);
        bract_sidecar_set_str(sc, "Description", what);
    }
    int rc = cli_sidecar_finish(&s->c, sc, path);
    bract_sidecar_free(sc);
    return rc;
}

static int write_series(const simctx *s, const double *x, const char *path, const char *what)
{
    bract_tseries *ts = NULL;
    bract_tseries_new(s->p.nt, s->p.nreg, &ts);
    if (!ts)
        return cli_fail(&s->c);
    int rc = CLI_OK;
    for (size_t r = 0; r < s->p.nreg && !rc; r++) {
        free(ts->name[r]);
        if (!(ts->name[r] = strdup(s->names[r])))
            rc = cli_error(&s->c, "out of memory");
    }
    if (!rc) {
        memcpy(ts->x, x, s->p.nt * s->p.nreg * sizeof *x);
        if (bract_tseries_write(ts, path, s->c.force))
            rc = cli_fail(&s->c);
    }
    bract_tseries_free(ts);
    return rc ? rc : write_sidecar(s, path, what);
}

/* Tables shared by all subjects: the states and their modules, labels. */
static int write_states(const simctx *s, const bract_dfcsim_states *st)
{
    size_t n = s->p.nreg;
    const char *cc[] = {"state", "region_a", "region_b", "correlation"};
    const char *mc[] = {"state", "region", "module"};
    const char *lc[] = {"index", "name"};
    bract_tsv_writer *w;
    char *p = out_path(s, "states.tsv", NULL);
    int rc = !p || bract_tsv_open(p, s->c.force, 4, cc, &w) ? cli_fail(&s->c) : CLI_OK;
    if (!rc) {
        for (size_t k = 0; k < st->nstates; k++)
            for (size_t i = 0; i < n; i++)
                for (size_t j = i + 1; j < n; j++) {
                    bract_tsv_long(w, (long long)k + 1);
                    bract_tsv_str(w, s->names[i]);
                    bract_tsv_str(w, s->names[j]);
                    bract_tsv_double(w, st->corr[(k * n + i) * n + j]);
                    bract_tsv_end_row(w);
                }
        rc = bract_tsv_commit(w) ? cli_fail(&s->c)
                                 : write_sidecar(s, p, "per state and pair of regions: the "
                                                       "correlation of the state");
    }
    free(p);
    if (rc)
        return rc;
    p = out_path(s, "modules.tsv", NULL);
    rc = !p || bract_tsv_open(p, s->c.force, 3, mc, &w) ? cli_fail(&s->c) : CLI_OK;
    if (!rc) {
        for (size_t k = 0; k < st->nstates; k++)
            for (size_t i = 0; i < n; i++) {
                bract_tsv_long(w, (long long)k + 1);
                bract_tsv_str(w, s->names[i]);
                bract_tsv_long(w, (long long)st->module[k * n + i] + 1);
                bract_tsv_end_row(w);
            }
        rc = bract_tsv_commit(w) ? cli_fail(&s->c)
                                 : write_sidecar(s, p, "per state and region: its module "
                                                       "(the planted communities)");
    }
    free(p);
    if (rc || !s->volume)
        return rc;
    p = out_path(s, "labels.tsv", NULL);
    rc = !p || bract_tsv_open(p, s->c.force, 2, lc, &w) ? cli_fail(&s->c) : CLI_OK;
    if (!rc) {
        for (size_t i = 0; i < n; i++) {
            bract_tsv_long(w, (long long)i + 1);
            bract_tsv_str(w, s->names[i]);
            bract_tsv_end_row(w);
        }
        rc = bract_tsv_commit(w) ? cli_fail(&s->c)
                                 : write_sidecar(s, p, "atlas labels: index and region name");
    }
    free(p);
    return rc;
}

static int write_truth_tables(const simctx *s, const bract_dfcsim_subject *u, const char *label)
{
    const char *vc[] = {"volume", "time_s", "state"};
    const char *sc[] = {"segment", "first_volume", "last_volume", "duration_volumes", "state"};
    bract_tsv_writer *w;
    char *p = out_path(s, "states.tsv", label);
    int rc = !p || bract_tsv_open(p, s->c.force, 3, vc, &w) ? cli_fail(&s->c) : CLI_OK;
    if (!rc) {
        for (size_t t = 0; t < u->nt; t++) {
            bract_tsv_long(w, (long long)t + 1);
            bract_tsv_double(w, s->tr * (double)t);
            bract_tsv_long(w, (long long)u->state[t] + 1);
            bract_tsv_end_row(w);
        }
        rc = bract_tsv_commit(w) ? cli_fail(&s->c)
                                 : write_sidecar(s, p, "per volume: the true state");
    }
    free(p);
    if (rc)
        return rc;
    p = out_path(s, "segments.tsv", label);
    rc = !p || bract_tsv_open(p, s->c.force, 5, sc, &w) ? cli_fail(&s->c) : CLI_OK;
    if (!rc) {
        for (size_t g = 0; g < u->nseg; g++) {
            bract_tsv_long(w, (long long)g + 1);
            bract_tsv_long(w, (long long)u->seg_start[g] + 1);
            bract_tsv_long(w, (long long)(u->seg_start[g] + u->seg_len[g]));
            bract_tsv_long(w, (long long)u->seg_len[g]);
            bract_tsv_long(w, (long long)u->seg_state[g] + 1);
            bract_tsv_end_row(w);
        }
        rc = bract_tsv_commit(w) ? cli_fail(&s->c)
                                 : write_sidecar(s, p, "the segments of constant state: "
                                                       "volumes (1-based, inclusive) and state");
    }
    free(p);
    return rc;
}

static json_object *jarray(const double *v, size_t n)
{
    json_object *a = json_object_new_array();
    for (size_t i = 0; i < n; i++)
        json_object_array_add(a, json_object_new_double(v[i]));
    return a;
}

/* The subject's truth: fraction of volumes, mean dwell per state. */
static json_object *subject_truth(const simctx *s, const bract_dfcsim_subject *u,
                                  const char *label)
{
    size_t K = s->p.nstates, nt;
    double *F = malloc(K * sizeof *F), *M = malloc(K * sizeof *M), *Ms = malloc(K * sizeof *Ms);
    json_object *o = json_object_new_object();
    if (F && M && Ms && bract_states_stats(u->state, u->nt, K, F, M, &nt, NULL) == BRACT_OK) {
        for (size_t j = 0; j < K; j++)
            Ms[j] = M[j] * s->tr;
        json_object_object_add(o, "subject", json_object_new_string(label));
        json_object_object_add(o, "fraction", jarray(F, K));
        json_object_object_add(o, "mean_dwell_volumes", jarray(M, K));
        json_object_object_add(o, "mean_dwell_s", jarray(Ms, K));
        json_object_object_add(o, "transitions", json_object_new_int64((int64_t)nt));
        json_object_object_add(o, "segments", json_object_new_int64((int64_t)u->nseg));
    }
    free(F);
    free(M);
    free(Ms);
    return o;
}

/* Every file this run writes must be new (or --force). */
static int check_outputs(const simctx *s)
{
    static const char *const shared[] = {"states.tsv", "modules.tsv", "truth.json",
                                         "labels.tsv", "atlas.nii.gz", NULL};
    static const char *const each[] = {"timeseries.tsv", "null.tsv", "states.tsv",
                                       "segments.tsv", "bold.nii.gz", NULL};
    for (int i = 0; shared[i]; i++) {
        if (!s->volume && i >= 3)
            break;
        char *p = out_path(s, shared[i], NULL);
        int bad = !p || bract_output_check(p, s->c.force);
        free(p);
        if (bad)
            return cli_fail(&s->c);
    }
    for (size_t j = 0; j < s->nsub; j++) {
        char label[32];
        subject_label(label, sizeof label, j, s->nsub);
        for (int i = 0; each[i]; i++) {
            if (!s->volume && i == 4)
                break;
            char *p = out_path(s, each[i], label);
            int bad = !p || bract_output_check(p, s->c.force);
            free(p);
            if (bad)
                return cli_fail(&s->c);
        }
    }
    return CLI_OK;
}

static int write_volumes(const simctx *s, const bract_dfcsim_subject *u, size_t j,
                         const char *label)
{
    bract_volume *bold, *atlas;
    if (bract_dfcsim_volume(&s->p, u, j, s->tr, s->noise, &bold, &atlas))
        return cli_fail(&s->c);
    char *p = out_path(s, "bold.nii.gz", label);
    bract_volume_write_opts o = {BRACT_INTENT_NONE, {0, 0, 0}, NULL, "bract simulate dfc",
                                 s->c.force};
    int rc = !p || bract_volume_write(bold, p, &o) ? cli_fail(&s->c) : CLI_OK;
    if (!rc)
        rc = write_sidecar(s, p, "4-D BOLD: 100 + the region's switching series + voxel "
                                 "noise in each voxel of the region's atlas block");
    free(p);
    if (!rc && j == 0) {
        p = out_path(s, "atlas.nii.gz", NULL);
        bract_volume_write_opts oa = {BRACT_INTENT_LABEL, {0, 0, 0}, NULL,
                                      "bract simulate dfc atlas", s->c.force};
        rc = !p || bract_volume_write(atlas, p, &oa) ? cli_fail(&s->c) : CLI_OK;
        if (!rc)
            rc = write_sidecar(s, p, "label atlas: region r is label r (labels.tsv)");
        free(p);
    }
    bract_volume_free(bold);
    bract_volume_free(atlas);
    return rc;
}

/* One subject's files; its truth goes into `subjects`. */
static int write_subject(const simctx *s, const bract_dfcsim_states *st, size_t j,
                         json_object *subjects)
{
    char label[32];
    subject_label(label, sizeof label, j, s->nsub);
    cli_log(&s->c, "%s", label);
    bract_dfcsim_subject *u;
    if (bract_dfcsim_subject_new(&s->p, st, j, &u))
        return cli_fail(&s->c);
    int rc = CLI_OK;
    char *p1 = out_path(s, "timeseries.tsv", label), *p2 = out_path(s, "null.tsv", label);
    if (!p1 || !p2)
        rc = cli_error(&s->c, "out of memory");
    if (!rc)
        rc = write_series(s, u->x, p1, "region time series switching among the states "
                                       "(sub-NN_states.tsv, sub-NN_segments.tsv)");
    if (!rc)
        rc = write_series(s, u->null, p2, "static null: the same average covariance as "
                                          "the switching series, no switching");
    if (!rc)
        rc = write_truth_tables(s, u, label);
    if (!rc && s->volume)
        rc = write_volumes(s, u, j, label);
    if (!rc)
        json_object_array_add(subjects, subject_truth(s, u, label));
    free(p1);
    free(p2);
    bract_dfcsim_subject_free(u);
    return rc;
}

/* truth.json: the design and every subject's truth. */
static int write_truth_json(const simctx *s, json_object *subjects)
{
    json_object *t = json_object_new_object();
    json_object_object_add(t, "RepetitionTime", json_object_new_double(s->tr));
    json_object_object_add(t, "States", json_object_new_int64((int64_t)s->p.nstates));
    json_object_object_add(t, "MeanDwellVolumes", json_object_new_double(s->p.dwell));
    json_object_object_add(t, "Subjects", json_object_get(subjects));
    const char *text = json_object_to_json_string_ext(t, JSON_C_TO_STRING_PRETTY |
                                                             JSON_C_TO_STRING_NOSLASHESCAPE);
    char *p = out_path(s, "truth.json", NULL);
    int rc = !p || bract_output_write_atomic(p, text, strlen(text), s->c.force) ? cli_fail(&s->c)
                                                                             : CLI_OK;
    free(p);
    json_object_put(t);
    return rc;
}

/* The shared tables, then subject after subject, then truth.json. */
static int write_dataset(simctx *s, const bract_dfcsim_states *st)
{
    if (!(s->names = calloc(s->p.nreg, sizeof *s->names)))
        return cli_error(&s->c, "out of memory");
    for (size_t r = 0; r < s->p.nreg; r++) {
        char nm[32];
        snprintf(nm, sizeof nm, "r%0*zu", s->p.nreg >= 100 ? 3 : 2, r + 1);
        if (!(s->names[r] = strdup(nm)))
            return cli_error(&s->c, "out of memory");
    }
    if (bract_output_make_dir(s->dir, NULL))
        return cli_fail(&s->c);
    int rc = check_outputs(s);
    if (rc || (rc = write_states(s, st)))
        return rc;
    json_object *subjects = json_object_new_array();
    cli_bar bar;
    cli_bar_start(&bar, &s->c, "subjects");
    for (size_t j = 0; j < s->nsub && !rc; j++) {
        rc = write_subject(s, st, j, subjects);
        cli_bar_update(&bar, j + 1, s->nsub);
    }
    cli_bar_finish(&bar);
    if (!rc)
        rc = write_truth_json(s, subjects);
    json_object_put(subjects);
    return rc;
}

int main_simulate_dfc(int argc, char **argv); /* listed in simulate_kinds.h */

int main_simulate_dfc(int argc, char **argv)
{
    simctx S;
    memset(&S, 0, sizeof S);
    simctx *s = &S;
    cli_ctx_init(&s->c, "simulate dfc", NULL);
    bract_dfcsim_opts_defaults(&s->p);
    s->nsub = 1;
    s->tr = 2;
    s->noise = 0.5;
    s->volume = 1;
    s->dwell.value = s->p.dwell;
    int rc = cli_parse(&s->c, &cli_spec_simulate_dfc, s, argc, argv);
    if (rc != CLI_CONTINUE)
        return rc;
    if (s->p.nmodules > s->p.nreg)
        return cli_usage_error(&s->c, "--modules %zu is more than --regions %zu", s->p.nmodules,
                               s->p.nreg);
    cli_apply(&s->c);
    s->p.seed = s->c.seed;
    s->p.dwell = s->dwell.seconds ? s->dwell.value / s->tr : s->dwell.value;
    if (s->p.dwell < 1 && s->dwell.seconds)
        return cli_usage_error(&s->c, "--dwell must be at least one volume (%g s at TR %g s)",
                               s->dwell.value, s->tr);
    if (s->p.dwell < 1)
        return cli_usage_error(&s->c, "--dwell must be at least one volume (got %g)",
                               s->dwell.value);
    bract_dfcsim_states *st = NULL;
    if (bract_dfcsim_states_new(&s->p, &st))
        return cli_fail(&s->c);
    rc = write_dataset(s, st);
    cli_warnings(&s->c);
    if (s->names)
        for (size_t r = 0; r < s->p.nreg; r++)
            free(s->names[r]);
    free(s->names);
    bract_dfcsim_states_free(st);
    return rc;
}
