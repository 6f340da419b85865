/* bract events: BIDS events files (one per run) to a conditions table, one
 * row per volume, for bract rdm neural and bract searchlight. */
#include "cli/cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

static const char usage_text[] =
    "Usage: bract events --events EVENTS.tsv... (--data BOLD.nii.gz... | --volumes N --tr S)\n"
    "                    -o CONDITIONS.tsv [options]\n"
    "\n"
    "Label every volume of each run by the BIDS event covering it and write\n"
    "the conditions table of bract rdm neural and bract searchlight: columns\n"
    "condition (n/a where no event covers the volume) and run, one row per\n"
    "volume, the runs one after another in the order given (the order in\n"
    "which their volumes are concatenated).  Volume i is taken at\n"
    "i TR (+ TR/2 with --time middle) - shift; an event labels the volumes\n"
    "from its onset to onset + duration (end excluded), an event of duration\n"
    "0 the volume it falls in.\n"
    "\n"
    "Options:\n"
    "  -e, --events FILE...   events files (onset, duration, label column), one\n"
    "                         per run; more FILEs may follow\n"
    "  -d, --data FILE...     each run's 4-D series, for its number of volumes and\n"
    "                         its TR (only the header is read); more may follow\n"
    "      --volumes N        volumes of every run, instead of --data\n"
    "      --tr S             repetition time in seconds [the header's]\n"
    "      --column NAME      the label column [trial_type]\n"
    "      --shift S          hemodynamic delay: volumes show what happened S\n"
    "                         seconds earlier [0]\n"
    "      --time T           a volume's time: start or middle of its\n"
    "                         acquisition [start]\n"
    "      --baseline LABEL   condition of volumes no event covers [n/a: they\n"
    "                         are left out of patterns]\n"
    "  -o, --output FILE      the conditions table (\"-\": standard output)\n"
    "\n" CLI_COMMON_HELP;

enum { OPT_VOLUMES = OPT_FIRST_CMD, OPT_TR, OPT_COLUMN, OPT_SHIFT, OPT_TIME, OPT_BASELINE };

typedef struct {
    const char **events, **data;
    size_t nevents, ndata;
    long volumes;
    double tr, shift;
    int middle;
    const char *column, *baseline, *out;
} events_args;

static int parse(cli_ctx *c, int argc, char **argv, events_args *a)
{
    static const struct option longopts[] = {{"events", required_argument, NULL, 'e'},
                                             {"data", required_argument, NULL, 'd'},
                                             {"volumes", required_argument, NULL, OPT_VOLUMES},
                                             {"tr", required_argument, NULL, OPT_TR},
                                             {"column", required_argument, NULL, OPT_COLUMN},
                                             {"shift", required_argument, NULL, OPT_SHIFT},
                                             {"time", required_argument, NULL, OPT_TIME},
                                             {"baseline", required_argument, NULL, OPT_BASELINE},
                                             {"output", required_argument, NULL, 'o'},
                                             CLI_COMMON_LONGOPTS,
                                             {NULL, 0, NULL, 0}};
    static const char *const times[] = {"start", "middle", NULL};
    a->events = calloc((size_t)argc, sizeof *a->events);
    a->data = calloc((size_t)argc, sizeof *a->data);
    if (!a->events || !a->data)
        return cli_error(c, "out of memory");
    int into = 0; /* where bare file names go: 0 events, 1 data */
    int opt, k;
    /* "-": file names come back in order, joining the list they follow */
    while ((opt = getopt_long(argc, argv, "-:e:d:o:h@:", longopts, NULL)) != -1) {
        if ((k = cli_common_option(c, opt, optarg)) == 2)
            return -1;
        if (k < 0)
            return CLI_USAGE;
        if (k)
            continue;
        switch (opt) {
        case 1:
            if (into)
                a->data[a->ndata++] = optarg;
            else
                a->events[a->nevents++] = optarg;
            break;
        case 'e':
            a->events[a->nevents++] = optarg;
            into = 0;
            break;
        case 'd':
            a->data[a->ndata++] = optarg;
            into = 1;
            break;
        case OPT_VOLUMES:
            if (cli_parse_long(c, "--volumes", optarg, 1, 100000000, &a->volumes))
                return CLI_USAGE;
            break;
        case OPT_TR:
            if (cli_parse_double(c, "--tr", optarg, 1e-6, 1e6, &a->tr))
                return CLI_USAGE;
            break;
        case OPT_COLUMN: a->column = optarg; break;
        case OPT_SHIFT:
            if (cli_parse_double(c, "--shift", optarg, -1e6, 1e6, &a->shift))
                return CLI_USAGE;
            break;
        case OPT_TIME:
            if ((k = cli_parse_choice(c, "--time", optarg, times)) < 0)
                return CLI_USAGE;
            a->middle = k == 1;
            break;
        case OPT_BASELINE: a->baseline = optarg; break;
        case 'o': a->out = optarg; break;
        case ':': return cli_usage_error(c, "option %s needs a value", argv[optind - 1]);
        default: return cli_usage_error(c, "unknown option %s", argv[optind - 1]);
        }
    }
    if (a->nevents == 0)
        return cli_usage_error(c, "no --events given");
    if (a->ndata && a->volumes)
        return cli_usage_error(c, "give --data or --volumes, not both");
    if (!a->ndata && !a->volumes)
        return cli_usage_error(c, "give each run's --data (or --volumes N with --tr)");
    if (a->ndata && a->ndata != a->nevents)
        return cli_usage_error(c,
                               "%zu --events file%s but %zu --data series: one of each per run, "
                               "in the same order",
                               a->nevents, a->nevents == 1 ? "" : "s", a->ndata);
    if (a->volumes && !(a->tr > 0))
        return cli_usage_error(c, "--volumes needs --tr");
    if (a->baseline && (!*a->baseline || bract_cell_missing(a->baseline)))
        return cli_usage_error(c, "--baseline needs a label (got '%s')", a->baseline);
    if (!a->out)
        return cli_usage_error(c, "no --output given");
    if (!a->column)
        a->column = "trial_type";
    return CLI_OK;
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
    if (a->ndata) {
        bract_volume *v;
        if (bract_volume_read(a->data[i], BRACT_VOL_HEADER_ONLY, &v))
            return cli_fail(c);
        r->nvol = (size_t)v->nt;
        if (!(a->tr > 0))
            r->tr = v->tr;
        else if (v->tr > 0 && fabs(v->tr - a->tr) > 1e-6 * a->tr)
            bract_warn("%s: --tr %g s replaces the header's TR of %g s", a->data[i], a->tr,
                       v->tr);
        bract_volume_free(v);
        if (!(r->tr > 0)) {
            bract_error(BRACT_EDATA, "%s: the header has no TR; give --tr", a->data[i]);
            return cli_fail(c);
        }
    }
    if (bract_events_read(a->events[i], a->column, &r->ev))
        return cli_fail(c);
    r->label = calloc(r->nvol ? r->nvol : 1, sizeof *r->label);
    if (!r->label)
        return cli_error(c, "out of memory");
    bract_events_timing tm = {r->tr, a->shift, a->middle};
    if (bract_events_label_volumes(r->ev, r->nvol, &tm, r->label, &r->labelled, &r->late))
        return cli_fail(c);
    if (r->late)
        bract_warn("%s: %zu event%s begin%s after the run's last volume (%zu volumes of %g s)",
                   a->events[i], r->late, r->late == 1 ? "" : "s", r->late == 1 ? "s" : "",
                   r->nvol, r->tr);
    if (r->labelled == 0)
        bract_warn("%s: no volume of run %zu is covered by an event", a->events[i], i + 1);
    return CLI_OK;
}

static int write_table(const cli_ctx *c, const events_args *a, const run_info *runs)
{
    static const char *const cols[] = {"condition", "run"};
    bract_tsv_writer *w;
    if (bract_tsv_open(a->out, c->force, 2, cols, &w))
        return cli_fail(c);
    for (size_t i = 0; i < a->nevents; i++)
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
    for (size_t i = 0; i < a->nevents; i++)
        bract_sidecar_input(s, "events", a->events[i]);
    for (size_t i = 0; i < a->ndata; i++)
        bract_sidecar_input(s, "data", a->data[i]);
    size_t nvol = 0, lab = 0, late = 0, skipped = 0, nev = 0;
    json_object *counts = json_object_new_object(), *rarr = json_object_new_array();
    for (size_t i = 0; i < a->nevents; i++) {
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
    bract_sidecar_count(s, "runs", (int64_t)a->nevents);
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

int main_events(int argc, char **argv)
{
    cli_ctx c;
    cli_ctx_init(&c, "events", usage_text);
    if (argc == 1) {
        fputs(usage_text, stdout);
        return CLI_USAGE;
    }
    events_args a;
    memset(&a, 0, sizeof a);
    int rc = parse(&c, argc, argv, &a);
    run_info *runs = NULL;
    if (rc) {
        rc = rc < 0 ? CLI_OK : rc;
        goto done;
    }
    cli_apply(&c);
    {
        size_t ni = a.nevents + a.ndata;
        const char **inputs = malloc(ni * sizeof *inputs);
        if (!inputs) {
            rc = cli_error(&c, "out of memory");
            goto done;
        }
        memcpy(inputs, a.events, a.nevents * sizeof *inputs);
        memcpy(inputs + a.nevents, a.data, a.ndata * sizeof *inputs);
        int bad = strcmp(a.out, "-") != 0 && (bract_output_check(a.out, c.force) ||
                                              bract_output_not_input(a.out, inputs, ni));
        free(inputs);
        if (bad) {
            rc = cli_fail(&c);
            goto done;
        }
    }
    runs = calloc(a.nevents, sizeof *runs);
    if (!runs) {
        rc = cli_error(&c, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < a.nevents; i++)
        if ((rc = read_run(&c, &a, i, &runs[i])))
            goto done;
    cli_warnings(&c);
    if ((rc = write_table(&c, &a, runs)))
        goto done;
    if (strcmp(a.out, "-") != 0 && (rc = write_sidecar(&c, &a, runs)))
        goto done;
    if (!c.quiet && strcmp(a.out, "-") != 0) {
        size_t nvol = 0, lab = 0;
        for (size_t i = 0; i < a.nevents; i++) {
            nvol += runs[i].nvol;
            lab += runs[i].labelled;
        }
        printf("%zu run%s, %zu volumes: %zu labelled by events, %zu %s; see %s\n", a.nevents,
               a.nevents == 1 ? "" : "s", nvol, lab, nvol - lab,
               a.baseline ? a.baseline : "n/a (left out)", a.out);
    }
    rc = CLI_OK;
done:
    free_runs(runs, a.nevents);
    free(a.events);
    free(a.data);
    return rc;
}
