/* bract bids: a BIDS App.  BIDS_DIR OUTPUT_DIR participant|group runs a
 * pipeline (the built-in word-RSA one, pipelines/bids-word-rsa.ini, or
 * --pipeline FILE) on a BIDS dataset and its fMRIPrep derivatives, one
 * analysis level at a time, into a BIDS-derivatives dataset. */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700 /* realpath */
#endif
#include "cli/cli.h"
#include "cli/derivatives.h"
#include "cli/opts.h"
#include "cli/pipeline/plan.h"
#include "cli/pipeline/run.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bids_pipeline.h" /* bids_pipeline_text: pipelines/bids-word-rsa.ini */

#define BUILTIN "pipelines/bids-word-rsa.ini (built in)"

typedef struct {
    cli_strlist pos, labels, inputs;
    const char *derivatives, *task, *space, *pipeline;
    int jobs, fail_fast, plan;
} args;

static const cli_opt options[] = {
    CLI_GROUP("Arguments (the BIDS Apps convention):"),
    CLI_ARGS(args, pos, "BIDS_DIR OUTPUT_DIR LEVEL",
             "the BIDS dataset, the derivatives dataset to\n"
             "write, and the analysis level: participant or group",
             .flags = CLI_REQUIRED),
    CLI_GROUP("Options:"),
    CLI_LIST(0, "participant-label", args, labels, "LABEL...",
             "the subjects to analyse, with or without sub- [all]"),
    CLI_STRING(0, "derivatives", args, derivatives, "DIR",
               "fMRIPrep's outputs for the dataset\n[BIDS_DIR/derivatives/fmriprep]"),
    CLI_STRING(0, "task", args, task, "LABEL", "the task [the pipeline's: words]"),
    CLI_STRING(0, "space", args, space, "LABEL",
               "the template space of fMRIPrep's outputs\n"
               "[the pipeline's: MNI152NLin2009cAsym]"),
    CLI_STRING(0, "pipeline", args, pipeline, "FILE",
               "a pipeline file (bract-pipeline(5)) instead of the\n"
               "built-in word RSA, pipelines/bids-word-rsa.ini"),
    CLI_LIST(0, "input", args, inputs, "KEY=FILE...",
             "a file for the pipeline's [dataset] key KEY, e.g.\n"
             "atlas=A.nii.gz labels=A.tsv embeddings=E.tsv words=W.txt"),
    CLI_INT('j', "jobs", args, jobs, 1, 1024, "N", "run N subjects at once [1]"),
    CLI_FLAG(0, "fail-fast", args, fail_fast, "stop at the first failing step"),
    CLI_FLAG(0, "plan", args, plan,
             "print every step and whether it would run; run\nnothing"),
    CLI_END};

const cli_spec cli_spec_bids = {
    "bids", "Usage: bract bids BIDS_DIR OUTPUT_DIR participant|group [options]",
    "Run a study on a BIDS dataset and fMRIPrep's outputs as a BIDS App: the\n"
    "participant level runs each subject's steps (--participant-label picks\n"
    "them), the group level the group's, once the subjects are done.  The\n"
    "study is word RSA of an event-related task (pipelines/bids-word-rsa.ini:\n"
    "GLM, crossnobis RDMs per atlas region, the embedding's RDM, group RSA)\n"
    "unless --pipeline names another.  OUTPUT_DIR becomes a BIDS-derivatives\n"
    "dataset: dataset_description.json, outputs named with BIDS entities\n"
    "under sub-<label>/func/ and group/.",
    options, NULL};

/* What the arguments say, checked. */
typedef struct {
    cli_ctx c;
    args a;
    const char *bids, *out;
    cli_run_level level;
    char *deriv;           /* fMRIPrep's directory, absolute */
    char **subjects;       /* sub-<label> */
    size_t nsubjects;
    char **inputs;         /* KEY=/absolute/FILE */
    char *settings[3];     /* derivatives=, task=, space= */
    size_t nsettings;
} run;

static char *concat3(const char *a, const char *b, const char *c)
{
    size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s%s%s", a, b, c);
    return s;
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* BIDS_DIR is a BIDS dataset, OUTPUT_DIR another place, LEVEL a level. */
static int check_positional(run *r)
{
    const cli_strlist *p = &r->a.pos;
    if (p->n != 3)
        return cli_usage_error(&r->c, "expected BIDS_DIR OUTPUT_DIR participant|group (got %zu "
                               "argument%s)", p->n, p->n == 1 ? "" : "s");
    r->bids = p->v[0];
    r->out = p->v[1];
    if (strcmp(p->v[2], "participant") == 0)
        r->level = CLI_RUN_PARTICIPANT;
    else if (strcmp(p->v[2], "group") == 0)
        r->level = CLI_RUN_GROUP;
    else
        return cli_usage_error(&r->c, "unknown analysis level '%s' (expected participant or "
                               "group)", p->v[2]);
    if (!is_dir(r->bids))
        return cli_error(&r->c, "%s: not a directory (BIDS_DIR: the BIDS dataset)", r->bids);
    char *desc = concat3(r->bids, "/", "dataset_description.json");
    int ok = desc && access(desc, R_OK) == 0;
    free(desc);
    if (!ok)
        return cli_error(&r->c, "%s: not a BIDS dataset (no dataset_description.json)", r->bids);
    char *a = realpath(r->bids, NULL), *b = realpath(r->out, NULL);
    int same = a && b && strcmp(a, b) == 0;
    free(a);
    free(b);
    if (same)
        return cli_usage_error(&r->c, "OUTPUT_DIR is BIDS_DIR: derivatives go elsewhere (BIDS "
                               "Apps write to BIDS_DIR/derivatives/NAME, for example)");
    return CLI_OK;
}

/* --participant-label: sub-<label> directories of BIDS_DIR. */
static int check_labels(run *r)
{
    size_t n = r->a.labels.n;
    if (!n)
        return CLI_OK;
    if (!(r->subjects = calloc(n, sizeof *r->subjects)))
        return cli_error(&r->c, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const char *l = r->a.labels.v[i];
        if (strncmp(l, "sub-", 4) == 0)
            l += 4;
        if (!*l || strpbrk(l, "/_-*?[ "))
            return cli_usage_error(&r->c, "--participant-label: '%s' is not a label (letters "
                                   "and digits, as 01 in sub-01)", r->a.labels.v[i]);
        if (!(r->subjects[r->nsubjects++] = concat3("sub-", l, "")))
            return cli_error(&r->c, "out of memory");
        char *d = concat3(r->bids, "/", r->subjects[i]);
        int ok = d && is_dir(d);
        free(d);
        if (!ok)
            return cli_error(&r->c, "--participant-label %s: %s has no %s", l, r->bids,
                             r->subjects[i]);
    }
    return CLI_OK;
}

/* The settings (derivatives, task, space) and the inputs, as the planner
 * takes them: paths absolute, since patterns are relative to BIDS_DIR. */
static int settings_and_inputs(run *r)
{
    const char *d = r->a.derivatives;
    char *dflt = d ? NULL : concat3(r->bids, "/derivatives/fmriprep", "");
    if (!d && !dflt)
        return cli_error(&r->c, "out of memory");
    r->deriv = realpath(d ? d : dflt, NULL);
    if (!r->deriv || !is_dir(r->deriv)) {
        int rc = cli_error(&r->c, "%s: %s (fMRIPrep's outputs%s)", d ? d : dflt,
                           r->deriv ? "not a directory" : strerror(errno),
                           d ? "" : ": give --derivatives DIR");
        free(dflt);
        return rc;
    }
    free(dflt);
    if (!(r->settings[r->nsettings++] = concat3("derivatives=", r->deriv, "")))
        return cli_error(&r->c, "out of memory");
    if (r->a.task && !(r->settings[r->nsettings++] = concat3("task=", r->a.task, "")))
        return cli_error(&r->c, "out of memory");
    if (r->a.space && !(r->settings[r->nsettings++] = concat3("space=", r->a.space, "")))
        return cli_error(&r->c, "out of memory");
    size_t n = r->a.inputs.n;
    if (n && !(r->inputs = calloc(n, sizeof *r->inputs)))
        return cli_error(&r->c, "out of memory");
    char cwd[4096];
    if (n && !getcwd(cwd, sizeof cwd))
        return cli_error(&r->c, "cannot find the current directory: %s", strerror(errno));
    for (size_t i = 0; i < n; i++) {
        const char *in = r->a.inputs.v[i], *eq = strchr(in, '=');
        if (!eq || eq == in || !eq[1])
            return cli_usage_error(&r->c, "--input '%s': expected KEY=FILE", in);
        char key[256];
        snprintf(key, sizeof key, "%.*s=", (int)(eq - in), in);
        r->inputs[i] = eq[1] == '/' ? strdup(in) : concat3(key, cwd, "/");
        if (r->inputs[i] && eq[1] != '/') {
            char *full = concat3(r->inputs[i], eq + 1, "");
            free(r->inputs[i]);
            r->inputs[i] = full;
        }
        if (!r->inputs[i])
            return cli_error(&r->c, "out of memory");
    }
    return CLI_OK;
}

static void run_free(run *r)
{
    for (size_t i = 0; i < r->nsubjects; i++)
        free(r->subjects[i]);
    free(r->subjects);
    for (size_t i = 0; r->inputs && i < r->a.inputs.n; i++)
        free(r->inputs[i]);
    free(r->inputs);
    for (size_t i = 0; i < r->nsettings; i++)
        free(r->settings[i]);
    free(r->deriv);
    cli_args_free(&cli_spec_bids, &r->a);
}

/* Plan the pipeline with the app's arguments, then run the level (or print
 * the plan). */
static int plan_and_run(run *r)
{
    pl_load_opts o = {.data_dir = r->bids,
                      .out_dir = r->out,
                      .settings = (const char *const *)r->settings,
                      .nsettings = r->nsettings,
                      .inputs = (const char *const *)r->inputs,
                      .ninputs = r->a.inputs.n,
                      .subjects = (const char *const *)r->subjects,
                      .nsubjects = r->nsubjects,
                      .text = r->a.pipeline ? NULL : bids_pipeline_text};
    pl_pipeline *p;
    if (cli_plan_load_opts(r->a.pipeline ? r->a.pipeline : BUILTIN, &o, &p) != 0)
        return cli_fail(&r->c);
    p->force = r->c.force;
    int rc;
    if (r->a.plan) {
        rc = cli_pipeline_print_plan(&r->c, p);
    } else {
        const char *sources[2] = {r->bids, r->deriv};
        cli_run_opts ro = {.jobs = r->a.jobs, .fail_fast = r->a.fail_fast, .level = r->level,
                           .sources = sources, .nsources = 2};
        rc = cli_pipeline_run(&r->c, p, &ro);
    }
    cli_plan_free(p);
    return rc;
}

int main_bids(int argc, char **argv)
{
    run R;
    memset(&R, 0, sizeof R);
    run *r = &R;
    cli_ctx_init(&r->c, "bids", NULL);
    r->a.jobs = 1;
    int rc = cli_parse(&r->c, &cli_spec_bids, &r->a, argc, argv);
    if (rc != CLI_CONTINUE) {
        cli_args_free(&cli_spec_bids, &r->a);
        return rc;
    }
    cli_apply(&r->c);
    if (!(rc = check_positional(r)) && !(rc = check_labels(r)) &&
        !(rc = settings_and_inputs(r)))
        rc = plan_and_run(r);
    run_free(r);
    return rc;
}
