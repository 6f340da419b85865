/* Pipeline files (bract-pipeline(5)): parsing an INI file into a plan of
 * steps (stage x subject), dependency order, and up-to-date checks.  The
 * runner (run.c) executes the steps in-process. */
#ifndef BRACT_CLI_PIPELINE_H
#define BRACT_CLI_PIPELINE_H

#include <stddef.h>

typedef struct {
    char *stage;      /* stage name (the NAME of [stage NAME]) */
    long subject;     /* index into pl_pipeline.subjects, -1 for a group step */
    int argc;         /* argv[0] is the command ("rdm"); no "bract" */
    char **argv;
    char *cmdline;    /* "bract <argv...>" shell-quoted: the sidecar's CommandLine */
    size_t ninputs, noutputs;
    char **inputs;    /* files read (existing or produced by other steps) */
    char **outputs;   /* outputs[0]: the primary output (its sidecar records the step) */
    size_t ndeps;
    size_t *deps;     /* steps that must run first */
} pl_step;

typedef struct {
    char *file;        /* the pipeline file */
    char *data_root;   /* dataset root */
    char *out_root;    /* output root */
    char *out_note;    /* why the output root is not the default one, or NULL (a
                        * dataset that is not writable): the caller says it */
    double tr;         /* [dataset] tr, 0 if not set */
    int force;         /* set by the caller: steps up to date run all the same (--force) */
    size_t nsubjects;
    char **subjects;
    size_t nsteps;
    pl_step *steps;    /* subject steps (subject by subject, stage order), then group steps */
} pl_pipeline;

/* What a caller changes in a pipeline file when loading it (bract bids). */
typedef struct {
    const char *data_dir, *out_dir;    /* the roots instead of the file's (NULL: the file's) */
    const char *const *settings;       /* "NAME=VALUE": [settings] values, set or added */
    size_t nsettings;
    const char *const *inputs;         /* "KEY=PATTERN": [dataset] patterns replaced */
    size_t ninputs;
    const char *const *subjects;       /* these subjects instead of [dataset] subjects */
    size_t nsubjects;
    const char *text;                  /* the file's text, when path names no file (built-in) */
} pl_load_opts;

/* Load and plan.  data_dir / out_dir override the file's roots (NULL: use
 * the file's).  Every stage key must be an option of its command (when the
 * command has an option table, opts.h), flags must say yes or no, and the
 * command's required options must be there.  Returns 0, or a BRACT_E*
 * status with a message naming the file, section and key in the library's
 * error slot (bract_last_error): BRACT_EFORMAT for what the file says,
 * BRACT_EIO when it cannot be read, BRACT_ENOMEM. */
int cli_plan_load(const char *path, const char *data_dir, const char *out_dir,
                  pl_pipeline **out);

/* The same with the changes of o: [settings] values, [dataset] patterns
 * (a key the file lacks is an error), the subjects, the text of the file.
 * An input pattern or a setting is text the file could have held. */
int cli_plan_load_opts(const char *path, const pl_load_opts *o, pl_pipeline **out);
void cli_plan_free(pl_pipeline *p);

enum { PL_UPTODATE = 0, PL_NEW, PL_CHANGED, PL_STALE, PL_FORCED };

/* Status of step i given the statuses of the steps before it (will_run[j]
 * nonzero if step j is going to run).  why receives a short reason.  A step
 * that would be up to date is PL_FORCED when p->force is set. */
int cli_plan_status(const pl_pipeline *p, size_t i, const unsigned char *will_run, char *why,
              size_t whylen);

/* The subject of a step, or "group". */
const char *cli_plan_subject(const pl_pipeline *p, const pl_step *s);

/* The sidecar that records a step: that of its primary output. */
char *cli_plan_step_record(const pl_step *s);

/* Remove temporaries (".<stem>.bract-XXXXXX<ext>") a killed run left next to
 * the step's outputs and their sidecars, and inside directory outputs
 * (those no live writer holds: bract_output_clean). */
void cli_plan_clean_temporaries(const pl_step *s);

/* Whether the runner, which passes --force, may replace what is at the
 * step's outputs (finding F5): an existing output must have a sidecar bract
 * wrote recording this step (the same command and -o output), a directory
 * output its record, or, while the record is missing (a killed run), only
 * such files; a sidecar path holds nothing but a bract sidecar; a symbolic
 * link is not replaced.  0, or -1 with the reason in why. */
int cli_plan_check_owned(const pl_step *s, char *why, size_t len);

#endif
