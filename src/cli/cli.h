/* Shared command-line machinery: messages, progress bar, sidecars (option
 * tables: opts.h).  Only the CLI prints or parses argv. */
#ifndef BRACT_CLI_H
#define BRACT_CLI_H

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <stdint.h>
#include <stdio.h>

#include "bract/bract.h"

/* Exit statuses (bract(1) EXIT STATUS). */
enum { CLI_OK = 0, CLI_DATA_ERROR = 1, CLI_USAGE = 2 };

struct cli_spec;

/* Rows of one option table that cli_parse can mark as given. */
#define CLI_MAX_OPTS 160

typedef struct {
    const char *cmd;        /* "info", "rdm neural", ... for messages */
    const char *usage;      /* the command's usage line(s), first line shown on errors */
    const struct cli_spec *spec; /* the option table parsed (opts.h), or NULL */
    unsigned char given[CLI_MAX_OPTS]; /* rows of spec->opts given on the command line */
    int threads;            /* 0 = all cores */
    uint64_t seed;
    int force, quiet, verbose;
    double t0;              /* wall clock at start */
} cli_ctx;

/* Set up ctx for a command (reads nothing from argv). */
void cli_ctx_init(cli_ctx *c, const char *cmd, const char *usage);

/* Apply --threads (after option parsing). */
void cli_apply(cli_ctx *c);

/* The whole command line, set once by main(). */
void cli_set_cmdline(int argc, char **argv);
int cli_cmdline_argc(void);
char **cli_cmdline_argv(void);

/* "bract <cmd>: message", then the usage line; returns CLI_USAGE. */
int cli_usage_error(const cli_ctx *c, const char *fmt, ...) BRACT_FORMAT(2, 3);

/* "bract <cmd>: <library message>" (after printing queued warnings);
 * returns CLI_DATA_ERROR. */
int cli_fail(const cli_ctx *c);

/* "bract <cmd>: message"; returns CLI_DATA_ERROR. */
int cli_error(const cli_ctx *c, const char *fmt, ...) BRACT_FORMAT(2, 3);

/* Print the library's queued warnings as "bract <cmd>: warning: ..." unless
 * --quiet; returns how many there were. */
size_t cli_warnings(const cli_ctx *c);

/* "bract <cmd>: <message>" on stderr with --verbose. */
void cli_log(const cli_ctx *c, const char *fmt, ...) BRACT_FORMAT(2, 3);

/* Progress bar on stderr when it is a terminal and not --quiet. */
typedef struct {
    const cli_ctx *ctx;
    const char *label;
    int enabled;
    double t_start, t_last;
    int drawn;
} cli_bar;
void cli_bar_start(cli_bar *b, const cli_ctx *c, const char *label);
void cli_bar_update(void *bar, size_t done, size_t total); /* a bract_progress_fn */
void cli_bar_finish(cli_bar *b);
bract_progress cli_bar_progress(cli_bar *b);

/* A sidecar with the command line filled in. */
bract_sidecar *cli_sidecar(const cli_ctx *c);
/* Add the wall time and write it next to `output`; prints errors. */
int cli_sidecar_finish(const cli_ctx *c, bract_sidecar *s, const char *output);

double cli_now(void);

/* For commands whose output is a directory: write DIR.json, the record of
 * the whole run (the sidecar s plus a Description and the list of files),
 * last, after every file is in place.  `bract pipeline` reads it to tell a
 * finished step; its absence marks an interrupted one. */
int cli_dir_record(const cli_ctx *c, bract_sidecar *s, const char *dir, const char *what,
                   const char *const *files, size_t nfiles);

#ifdef BRACT_HAVE_MPI
#include <mpi.h>
/* The communicator commands share work over: MPI_COMM_WORLD, or
 * MPI_COMM_SELF while the pipeline runner gives whole subjects to ranks. */
MPI_Comm cli_comm(void);
void cli_set_comm(MPI_Comm comm);
#endif

/* The subcommands (commands.h), ending with a NULL name. */
typedef int (*cli_main_fn)(int argc, char **argv);
typedef struct {
    const char *name;
    cli_main_fn fn;
    const char *section; /* heading of the listing in bract --help */
    const char *summary;
} cli_command;
extern const cli_command cli_commands[];

/* A subcommand by name, or NULL. */
const cli_command *cli_find_command(const char *name);

/* Set by the pipeline runner when several steps share one terminal: no
 * progress bars. */
void cli_set_bars(int enabled);

/* Set by the pipeline runner under --quiet: the commands it runs start
 * quiet (no warnings or summaries on the terminal; the counts in their
 * sidecars still say what was left out), as if each step had been given
 * --quiet, without changing the command lines that decide whether a step
 * is up to date. */
void cli_set_quiet(int quiet);

/* Every subcommand's entry point: int main_<name>(int argc, char **argv),
 * argv[0] being the command name. */
#define BRACT_CMD(name, fn, section, summary) int fn(int argc, char **argv);
#include "cli/commands.h"
#undef BRACT_CMD

#endif
