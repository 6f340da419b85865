/* The pipeline runner: the steps of a plan (plan.h) run in-process, subject
 * stages in waves (one subject after another, in forked workers with -j,
 * or shared between MPI ranks), group steps between them. */
#ifndef BRACT_CLI_PIPELINE_RUN_H
#define BRACT_CLI_PIPELINE_RUN_H

#include "cli/cli.h"
#include "cli/pipeline/plan.h"

/* Which steps a run runs: all, or one analysis level of a BIDS App
 * (bract bids): the subject steps (and the group steps they need), or the
 * group steps (the subject steps must be up to date already). */
typedef enum { CLI_RUN_ALL = 0, CLI_RUN_PARTICIPANT, CLI_RUN_GROUP } cli_run_level;

typedef struct {
    int jobs;                   /* subjects at once, in forked workers; 1: in this process */
    int fail_fast;              /* a failing step stops every step not yet started */
    cli_run_level level;
    const char *const *sources; /* the output root's SourceDatasets; NULL: the data root */
    size_t nsources;
} cli_run_opts;

/* Run the steps of p that are not up to date (all of them with p->force),
 * o->jobs subjects at a time, reporting each step on stderr ("[k/N] stage
 * subject: done in 1.2 s (why)", FAILED, up to date, not run) and a summary
 * line, after writing the output root's dataset_description.json
 * (derivatives.h).  A failing step stops the steps that depend on it; with
 * fail_fast, every step not yet started.  Returns CLI_OK when every step
 * ran or was up to date, CLI_DATA_ERROR otherwise (also when workers
 * cannot be started, with a message). */
int cli_pipeline_run(const cli_ctx *c, const pl_pipeline *p, const cli_run_opts *o);

/* Print every step of p, whether it would run and why (and its command
 * line with --verbose), and how many would run: bract pipeline plan. */
int cli_pipeline_print_plan(const cli_ctx *c, const pl_pipeline *p);

#endif
