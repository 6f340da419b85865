/* bract pipeline: run a whole study from a pipeline file (bract-pipeline(5)),
 * every step in-process, skipping what is up to date.  The planner is
 * pipeline/plan.c, the runner pipeline/run.c. */
#include "cli/cli.h"
#include "cli/opts.h"
#include "cli/pipeline/plan.h"
#include "cli/pipeline/run.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *data, *out;
    int jobs, fail_fast;
    cli_strlist files;
} args;

#define ROOT_OPTIONS                                                                              \
    CLI_GROUP("Options:"),                                                                        \
        CLI_STRING('d', "data", args, data, "DIR", "dataset root (overrides [dataset] root)"),    \
        CLI_STRING(0, "out", args, out, "DIR",                                                    \
                   "output root (overrides [output] root; default\n"                              \
                   "DATA/derivatives/bract)")

static const cli_opt run_options[] = {
    ROOT_OPTIONS,
    CLI_INT('j', "jobs", args, jobs, 1, 1024, "N", "run N subjects at once [1]"),
    CLI_FLAG(0, "fail-fast", args, fail_fast, "stop at the first failing step"),
    CLI_ARGS(args, files, "FILE", "the pipeline file", .flags = CLI_REQUIRED),
    CLI_END};

static const cli_opt plan_options[] = {
    ROOT_OPTIONS,
    CLI_ARGS(args, files, "FILE", "the pipeline file", .flags = CLI_REQUIRED),
    CLI_END};

const cli_spec cli_spec_pipeline_run = {
    "pipeline run", "Usage: bract pipeline run FILE [options]",
    "Run a study described by a pipeline file (see bract-pipeline(5)): every\n"
    "stage for every subject in dependency order, group stages after the\n"
    "subjects they need, skipping steps whose outputs are up to date.",
    run_options, NULL};

const cli_spec cli_spec_pipeline_plan = {
    "pipeline plan", "Usage: bract pipeline plan FILE [options]",
    "Print every step of a pipeline file (see bract-pipeline(5)) and whether\n"
    "it would run, and why; --verbose adds its command line.",
    plan_options, NULL};

static const char overview[] =
    "Usage: bract pipeline run|plan FILE [options]\n"
    "\n"
    "Run a study described by a pipeline file (see bract-pipeline(5)): every\n"
    "stage for every subject in dependency order, group stages after the\n"
    "subjects they need, skipping steps whose outputs are up to date.\n"
    "  run    run the steps that are not up to date\n"
    "  plan   print every step and whether it would run, and why\n"
    "\n"
    "'bract pipeline run --help' and 'bract pipeline plan --help' list the options.\n";

int main_pipeline(int argc, char **argv)
{
    static const cli_spec *const actions[] = {&cli_spec_pipeline_run, &cli_spec_pipeline_plan,
                                              NULL};
    cli_ctx c;
    cli_ctx_init(&c, "pipeline", overview);
    int rc;
    const cli_spec *spec = cli_find_action(&c, "action", actions, argc, argv, &rc);
    if (!spec)
        return rc;
    args a = {0};
    a.jobs = 1;
    rc = cli_parse(&c, spec, &a, argc - 1, argv + 1);
    const char *file = a.files.n ? a.files.v[0] : NULL;
    size_t nfiles = a.files.n;
    cli_args_free(spec, &a);
    if (rc != CLI_CONTINUE)
        return rc;
    if (nfiles > 1)
        return cli_usage_error(&c, "one pipeline FILE at a time (got %zu)", nfiles);
    cli_apply(&c);
    pl_pipeline *p;
    if (cli_plan_load(file, a.data, a.out, &p) != 0)
        return cli_fail(&c);
    p->force = c.force;
    if (p->out_note && !c.quiet)
        fprintf(stderr, "bract pipeline: %s\n", p->out_note);
    cli_run_opts ro = {.jobs = a.jobs, .fail_fast = a.fail_fast};
    rc = spec == &cli_spec_pipeline_plan ? cli_pipeline_print_plan(&c, p) : cli_pipeline_run(&c, p, &ro);
    cli_plan_free(p);
    return rc;
}
