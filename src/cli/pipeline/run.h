/* The pipeline runner: the steps of a plan (plan.h) run in-process, subject
 * stages in waves (one subject after another, in forked workers with -j,
 * or shared between MPI ranks), group steps between them. */
#ifndef BRACT_CLI_PIPELINE_RUN_H
#define BRACT_CLI_PIPELINE_RUN_H

#include "cli/cli.h"
#include "cli/pipeline/plan.h"

/* Run the steps of p that are not up to date, `jobs` subjects at a time
 * (forked workers; 1: in this process), reporting each step on stderr
 * ("[k/N] stage subject: done in 1.2 s (why)", FAILED, up to date, not
 * run) and a summary line.  A failing step stops the steps that depend on
 * it; with fail_fast, every step not yet started.  Returns CLI_OK when
 * every step ran or was up to date, CLI_DATA_ERROR otherwise (also when
 * workers cannot be started, with a message). */
int cli_pipeline_run(const cli_ctx *c, const pl_pipeline *p, int jobs, int fail_fast);

#endif
