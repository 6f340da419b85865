/* bract events: BIDS events files (one per run) to a conditions table, one
 * row per volume, for bract rdm neural and bract searchlight. */
#include "cli/cli.h"
#include "cli/opts.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>
#include "bract/tsv.h"

typedef struct {
    cli_strlist events, data;
    long volumes;
    double tr, shift;
    int middle;
    const char *column, *baseline, *out;
} events_args;

/* --time: start or middle of the acquisition (a choice of this command). */
static int parse_time(const char *arg, void *field)
{
    if (strcmp(arg, "start") == 0 || strcmp(arg, "middle") == 0) {
        *(int *)field = strcmp(arg, "middle") == 0;
        return 0;
    }
    return bract_error(BRACT_EINVAL, "unknown volume time '%s' (expected one of start, middle)",
                       arg);
}

static const cli_opt options[] = {
    CLI_GROUP("Options:"),
    CLI_LIST('e', "events", events_args, events, "FILE...",
             "events files (onset, duration, label column), one\nper run; more FILEs may follow",
             .flags = CLI_REQUIRED),
    CLI_LIST('d', "data", events_args, data, "FILE...",
             "each run's 4-D series, for its number of volumes and\n"
             "its TR (only the header is read); more may follow"),
    CLI_LONG(0, "volumes", events_args, volumes, 1, 100000000, "N",
             "volumes of every run, instead of --data"),
    CLI_DOUBLE(0, "tr", events_args, tr, 1e-6, 1e6, "S",
               "repetition time in seconds [the header's]"),
    CLI_STRING(0, "column", events_args, column, "NAME", "the label column [trial_type]"),
    CLI_DOUBLE(0, "shift", events_args, shift, -1e6, 1e6, "S",
               "hemodynamic delay: volumes show what happened S\nseconds earlier [0]"),
    CLI_CALLBACK(0, "time", events_args, middle, parse_time, "T",
                 "a volume's time: start or middle of its\nacquisition [start]"),
    CLI_STRING(0, "baseline", events_args, baseline, "LABEL",
               "condition of volumes no event covers [n/a: they\nare left out of patterns]"),
    CLI_STRING('o', "output", events_args, out, "FILE",
               "the conditions table (\"-\": standard output)", .flags = CLI_REQUIRED),
    CLI_END};

const cli_spec cli_spec_events = {
    "events",
    "Usage: bract events --events EVENTS.tsv... (--data BOLD.nii.gz... | --volumes N --tr S)\n"
    "                    -o CONDITIONS.tsv [options]",
    "Label every volume of each run by the BIDS event covering it and write\n"
    "the conditions table of bract rdm neural and bract searchlight: columns\n"
    "condition (n/a where no event covers the volume) and run, one row per\n"
    "volume, the runs one after another in the order given (the order in\n"
    "which their volumes are concatenated).  Volume i is taken at\n"
    "i TR (+ TR/2 with --time middle) - shift; an event labels the volumes\n"
    "from its onset to onset + duration (end excluded), an event of duration\n"
    "0 the volume it falls in.",
    options, NULL};

/* Usage errors beyond single options (printed; CLI_USAGE), else 0. */
static int check_args(const cli_ctx *c, events_args *a)
{
    size_t ne = a->events.n, nd = a->data.n;
    if (nd && a->volumes)
        return cli_usage_error(c, "give --data or --volumes, not both");
    if (!nd && !a->volumes)
        return cli_usage_error(c, "give each run's --data (or --volumes N with --tr)");
    if (nd && nd != ne)
        return cli_usage_error(c,
                               "%zu --events file%s but %zu --data series: one of each per run, "
                               "in the same order",
                               ne, ne == 1 ? "" : "s", nd);
    if (a->volumes && !(a->tr > 0))
        return cli_usage_error(c, "--volumes needs --tr");
    if (a->baseline && (!*a->baseline || bract_table_cell_missing(a->baseline)))
        return cli_usage_error(c, "--baseline needs a label (got '%s')", a->baseline);
    if (!a->column)
        a->column = "trial_type";
    return 0;
}

typedef struct {
    size_t nvol;
    double tr;
    bract_events *ev;
    const char **label;
    size_t labelled, late;
} run_info;

static void free_runs(run_info *r, size_t n)
{
    if (!r)
        return;
    for (size_t i = 0; i < n; i++) {
        bract_events_free(r[i].ev);
        free(r[i].label);
    }
    free(r);
}

/* Read run i: its volumes and TR, its events, and label its volumes. */
static int read_run(const cli_ctx *c, const events_args *a, size_t i, run_info *r)
{
    r->tr = a->tr;
    r->nvol = (size_t)a->volumes;
    if (a->data.n) {
        bract_volume *v;
        if (bract_volume_read(a->data.v[i], BRACT_VOL_HEADER_ONLY, &v))
            return cli_fail(c);
        r->nvol = (size_t)v->nt;
        if (!(a->tr > 0))
            r->tr = v->tr;
        else if (v->tr > 0 && fabs(v->tr - a->tr) > 1e-6 * a->tr)
            bract_warn("%s: --tr %g s replaces the header's TR of %g s", a->data.v[i], a->tr,
                       v->tr);
        bract_volume_free(v);
        if (!(r->tr > 0)) {
            bract_error(BRACT_EDATA, "%s: the header has no TR; give --tr", a->data.v[i]);
            return cli_fail(c);
        }
    }
    if (bract_events_read(a->events.v[i], a->column, &r->ev))
        return cli_fail(c);
    r->label = calloc(r->nvol ? r->nvol : 1, sizeof *r->label);
    if (!r->label)
        return cli_error(c, "out of memory");
    bract_events_timing tm = {r->tr, a->shift, a->middle};
    if (bract_events_label_volumes(r->ev, r->nvol, &tm, r->label, &r->labelled, &r->late))
        return cli_fail(c);
    if (r->late)
        bract_warn("%s: %zu event%s begin%s after the run's last volume (%zu volumes of %g s)",
                   a->events.v[i], r->late, r->late == 1 ? "" : "s", r->late == 1 ? "s" : "",
                   r->nvol, r->tr);
    if (r->labelled == 0)
        bract_warn("%s: no volume of run %zu is covered by an event", a->events.v[i], i + 1);
    return CLI_OK;
}

static int write_table(const cli_ctx *c, const events_args *a, const run_info *runs)
{
    static const char *const cols[] = {"condition", "run"};
    bract_tsv_writer *w;
    if (bract_tsv_open(a->out, c->force, 2, cols, &w))
        return cli_fail(c);
    for (size_t i = 0; i < a->events.n; i++)
        for (size_t v = 0; v < runs[i].nvol; v++) {
            const char *l = runs[i].label[v];
            bract_tsv_str(w, l ? l : a->baseline ? a->baseline : "n/a");
            bract_tsv_long(w, (long long)(i + 1));
            bract_tsv_end_row(w);
        }
    return bract_tsv_commit(w) ? cli_fail(c) : CLI_OK;
}

/* The sidecar: parameters, inputs, and per condition its volumes. */
static int write_sidecar(const cli_ctx *c, const events_args *a, const run_info *runs)
{
    bract_sidecar *s = cli_sidecar(c);
    if (!s)
        return cli_error(c, "out of memory");
    bract_sidecar_param_str(s, "column", a->column);
    bract_sidecar_param_num(s, "shift", a->shift);
    bract_sidecar_param_str(s, "time", a->middle ? "middle" : "start");
    if (a->tr > 0)
        bract_sidecar_param_num(s, "tr", a->tr);
    if (a->volumes)
        bract_sidecar_param_int(s, "volumes", a->volumes);
    bract_sidecar_param_str(s, "baseline", a->baseline ? a->baseline : "n/a");
    for (size_t i = 0; i < a->events.n; i++)
        bract_sidecar_input(s, "events", a->events.v[i]);
    for (size_t i = 0; i < a->data.n; i++)
        bract_sidecar_input(s, "data", a->data.v[i]);
    size_t nvol = 0, lab = 0, late = 0, skipped = 0, nev = 0;
    json_object *counts = json_object_new_object(), *rarr = json_object_new_array();
    for (size_t i = 0; i < a->events.n; i++) {
        const run_info *r = &runs[i];
        nvol += r->nvol;
        lab += r->labelled;
        late += r->late;
        skipped += r->ev->nskipped;
        nev += r->ev->n;
        json_object *ro = json_object_new_object();
        json_object_object_add(ro, "run", json_object_new_int64((int64_t)(i + 1)));
        json_object_object_add(ro, "volumes", json_object_new_int64((int64_t)r->nvol));
        json_object_object_add(ro, "tr", json_object_new_double(r->tr));
        json_object_object_add(ro, "labelled", json_object_new_int64((int64_t)r->labelled));
        json_object_array_add(rarr, ro);
        for (size_t v = 0; v < r->nvol; v++)
            if (r->label[v]) {
                json_object *n = NULL;
                if (json_object_object_get_ex(counts, r->label[v], &n))
                    json_object_set_int64(n, json_object_get_int64(n) + 1);
                else
                    json_object_object_add(counts, r->label[v], json_object_new_int64(1));
            }
    }
    bract_sidecar_count(s, "runs", (int64_t)a->events.n);
    bract_sidecar_count(s, "volumes", (int64_t)nvol);
    bract_sidecar_count(s, "volumes_labelled", (int64_t)lab);
    bract_sidecar_count(s, "volumes_baseline", (int64_t)(nvol - lab));
    bract_sidecar_count(s, "events", (int64_t)nev);
    bract_sidecar_count(s, "events_without_label", (int64_t)skipped);
    bract_sidecar_count(s, "events_after_last_volume", (int64_t)late);
    bract_sidecar_count(s, "conditions", (int64_t)json_object_object_length(counts));
    bract_sidecar_set_json(s, "VolumesPerCondition",
                           json_object_to_json_string_ext(counts, JSON_C_TO_STRING_PLAIN));
    bract_sidecar_set_json(s, "Runs", json_object_to_json_string_ext(rarr, JSON_C_TO_STRING_PLAIN));
    json_object_put(counts);
    json_object_put(rarr);
    int rc = cli_sidecar_finish(c, s, a->out);
    bract_sidecar_free(s);
    return rc;
}

/* Runs read, table and sidecar written: the exit status. */
static int events(const cli_ctx *c, const events_args *a)
{
    size_t ne = a->events.n;
    if (strcmp(a->out, "-") != 0) {
        cli_strlist in = {0};
        for (size_t i = 0; i < ne; i++)
            cli_strlist_push(&in, a->events.v[i]);
        for (size_t i = 0; i < a->data.n; i++)
            cli_strlist_push(&in, a->data.v[i]);
        int bad =
            bract_output_check(a->out, c->force) || bract_output_not_input(a->out, in.v, in.n);
        cli_strlist_free(&in);
        if (bad)
            return cli_fail(c);
    }
    run_info *runs = calloc(ne, sizeof *runs);
    if (!runs)
        return cli_error(c, "out of memory");
    int rc = CLI_OK;
    for (size_t i = 0; i < ne && !rc; i++)
        rc = read_run(c, a, i, &runs[i]);
    if (!rc) {
        cli_warnings(c);
        rc = write_table(c, a, runs);
    }
    if (!rc && strcmp(a->out, "-") != 0)
        rc = write_sidecar(c, a, runs);
    if (!rc && !c->quiet && strcmp(a->out, "-") != 0) {
        size_t nvol = 0, lab = 0;
        for (size_t i = 0; i < ne; i++) {
            nvol += runs[i].nvol;
            lab += runs[i].labelled;
        }
        printf("%zu run%s, %zu volumes: %zu labelled by events, %zu %s; see %s\n", ne,
               ne == 1 ? "" : "s", nvol, lab, nvol - lab,
               a->baseline ? a->baseline : "n/a (left out)", a->out);
    }
    free_runs(runs, ne);
    return rc;
}

int main_events(int argc, char **argv)
{
    cli_ctx c;
    cli_ctx_init(&c, "events", NULL);
    events_args a;
    memset(&a, 0, sizeof a);
    int rc = cli_parse(&c, &cli_spec_events, &a, argc, argv);
    if (rc == CLI_CONTINUE && !(rc = check_args(&c, &a))) {
        cli_apply(&c);
        rc = events(&c, &a);
    }
    cli_args_free(&cli_spec_events, &a);
    return rc;
}
