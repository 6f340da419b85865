/* Declarative option tables (git's parse-options, in bract's words).
 *
 * A command declares each option once, as a row of a static table: its
 * short and long name, its kind, the field of the command's argument struct
 * it fills (by offset, so that the table is a constant that tests and the
 * pipeline planner can read without running the command), its metavariable
 * and its help line.  From the table come the parser (cli_parse), the --help
 * text (cli_print_help) and the checks of the man pages and pipeline files.
 *
 *     typedef struct { const char *data, *out; double tr; bract_rsa_opts o; } args;
 *     static const cli_opt options[] = {
 *         CLI_GROUP("Inputs and output:"),
 *         CLI_STRING('d', "data", args, data, "FILE", "4-D NIfTI series", CLI_REQUIRED),
 *         CLI_DOUBLE(0, "tr", args, tr, 1e-6, 1e6, "S", "repetition time [from the header]"),
 *         CLI_ENUM(0, "method", args, o.method, bract_compare_method, "NAME", "..."),
 *         CLI_END};
 *     const cli_spec cli_spec_x = {"x", "Usage: bract x ...", "What x does.", options};
 *
 * Every command also accepts the common options (--threads, --seed,
 * --force, --quiet, --verbose, --help), which fill the cli_ctx.
 *
 * Values: "--name VALUE", "--name=VALUE", "-n VALUE", "-nVALUE".  A
 * CLI_LIST option takes one value and then every following argument that is
 * not an option ("--maps a.nii b.nii c.nii", shell globs), until the next
 * option; bare arguments elsewhere go to the CLI_ARGS row (or are an error).
 * "--" ends the options: what follows is bare arguments of the current list
 * or of CLI_ARGS.  "-" alone is a value (standard input or output).
 *
 * Short options mean the same in every command (a unit test checks it):
 * -d --data, -o --output, -m --mask, -a --atlas, -l --labels,
 * -c --conditions, -e --events, -@ --threads, -h --help, -j --jobs. */
#ifndef BRACT_CLI_OPTS_H
#define BRACT_CLI_OPTS_H

#include <stddef.h>

#include "cli/cli.h"

typedef enum {
    CLI_OPT_END = 0,
    CLI_OPT_GROUP,    /* a heading in --help (help = the heading) */
    CLI_OPT_FLAG,     /* int field set to `ival` (1, or 0 for --no-x) */
    CLI_OPT_STRING,   /* const char * field; the last one given wins */
    CLI_OPT_LIST,     /* cli_strlist field: repeatable, takes following bare arguments */
    CLI_OPT_INT,      /* int field, in [lo, hi] */
    CLI_OPT_LONG,     /* long field, in [lo, hi] */
    CLI_OPT_SIZE,     /* size_t field, in [lo, hi] */
    CLI_OPT_DOUBLE,   /* double field, in [lo, hi]; NaN refused */
    CLI_OPT_ENUM,     /* enum field, through the library's bract_<enum>_parse */
    CLI_OPT_CALLBACK, /* anything else: parse(arg, field) */
    CLI_OPT_ARGS      /* cli_strlist field: the bare (positional) arguments */
} cli_opt_kind;

/* Flags of a row. */
#define CLI_REQUIRED 0x1u /* "no --name given" if absent (or no ARGS for CLI_ARGS) */
#define CLI_HIDDEN 0x2u   /* accepted, not listed in --help (deprecated spellings) */

/* A growable list of strings that point into argv (never freed one by one). */
typedef struct {
    size_t n, cap;
    const char **v;
} cli_strlist;

void cli_strlist_free(cli_strlist *l);
int cli_strlist_push(cli_strlist *l, const char *s);

/* A value parser: 0, or a BRACT_E* status with a message in the library's
 * error slot (the parser prints "bract CMD: --name: <message>"). */
typedef int (*cli_parse_fn)(const char *arg, void *field);

typedef struct cli_opt {
    cli_opt_kind kind;
    char short_name;       /* 0: long only */
    const char *long_name;
    size_t offset;         /* of the field in the command's argument struct */
    const char *metavar;   /* "FILE", "N", ...: NULL for flags */
    const char *help;      /* lines separated by '\n'; the default in [brackets] */
    double lo, hi;         /* INT, LONG, SIZE, DOUBLE: the accepted range */
    cli_parse_fn parse;    /* ENUM, CALLBACK */
    int ival;              /* FLAG: the value stored */
    unsigned flags;        /* CLI_REQUIRED, CLI_HIDDEN */
} cli_opt;

/* A command (or an action of one, "rdm neural") as the parser, --help and
 * the checks see it. */
typedef struct cli_spec {
    const char *name;      /* "extract", "rdm neural" */
    const char *usage;     /* "Usage: bract extract --data ... [options]" (one or more lines) */
    const char *about;     /* the paragraph after the usage line(s) */
    const cli_opt *opts;   /* ends with CLI_END */
    const char *epilog;    /* text after the options (examples, notes) or NULL */
} cli_spec;

/* Compile-time check that field F of T has type TY: a negative array size
 * otherwise.  Evaluates to 0. */
#define CLI_TYPECHECK_(T, F, TY) (0 * sizeof(char[_Generic(((T *)0)->F, TY: 1, default: -1)]))
#define CLI_OFF_(T, F, TY) (offsetof(T, F) + CLI_TYPECHECK_(T, F, TY))

#define CLI_END {.kind = CLI_OPT_END}
#define CLI_GROUP(title) {.kind = CLI_OPT_GROUP, .help = (title)}
/* In every row the last arguments are the help text and then, optionally,
 * more designated fields: CLI_STRING(..., "help", .flags = CLI_REQUIRED). */
#define CLI_FLAG(s, l, T, F, ...)                                                               \
    {.kind = CLI_OPT_FLAG, .short_name = (s), .long_name = (l), .offset = CLI_OFF_(T, F, int),     \
     .ival = 1, .help = __VA_ARGS__}
/* --no-x style: stores 0 */
#define CLI_FLAG_OFF(s, l, T, F, ...)                                                           \
    {.kind = CLI_OPT_FLAG, .short_name = (s), .long_name = (l), .offset = CLI_OFF_(T, F, int),     \
     .ival = 0, .help = __VA_ARGS__}
#define CLI_STRING(s, l, T, F, mv, ...)                                                         \
    {.kind = CLI_OPT_STRING, .short_name = (s), .long_name = (l),                                 \
     .offset = CLI_OFF_(T, F, const char *), .metavar = (mv), .help = __VA_ARGS__}
#define CLI_LIST(s, l, T, F, mv, ...)                                                           \
    {.kind = CLI_OPT_LIST, .short_name = (s), .long_name = (l),                                   \
     .offset = CLI_OFF_(T, F, cli_strlist), .metavar = (mv), .help = __VA_ARGS__}
#define CLI_INT(s, l, T, F, lo_, hi_, mv, ...)                                                  \
    {.kind = CLI_OPT_INT, .short_name = (s), .long_name = (l), .offset = CLI_OFF_(T, F, int),      \
     .metavar = (mv), .lo = (lo_), .hi = (hi_), .help = __VA_ARGS__}
#define CLI_LONG(s, l, T, F, lo_, hi_, mv, ...)                                                 \
    {.kind = CLI_OPT_LONG, .short_name = (s), .long_name = (l), .offset = CLI_OFF_(T, F, long),    \
     .metavar = (mv), .lo = (lo_), .hi = (hi_), .help = __VA_ARGS__}
#define CLI_SIZE(s, l, T, F, lo_, hi_, mv, ...)                                                 \
    {.kind = CLI_OPT_SIZE, .short_name = (s), .long_name = (l),                                   \
     .offset = CLI_OFF_(T, F, size_t), .metavar = (mv), .lo = (lo_), .hi = (hi_),                \
     .help = __VA_ARGS__}
#define CLI_DOUBLE(s, l, T, F, lo_, hi_, mv, ...)                                               \
    {.kind = CLI_OPT_DOUBLE, .short_name = (s), .long_name = (l),                                 \
     .offset = CLI_OFF_(T, F, double), .metavar = (mv), .lo = (lo_), .hi = (hi_),                \
     .help = __VA_ARGS__}
/* An enum field of type TY parsed by cli_parse_<TY> (CLI_ENUM_PARSER). */
#define CLI_ENUM(s, l, T, F, TY, mv, ...)                                                       \
    {.kind = CLI_OPT_ENUM, .short_name = (s), .long_name = (l), .offset = CLI_OFF_(T, F, TY),      \
     .metavar = (mv), .parse = cli_parse_##TY, .help = __VA_ARGS__}
#define CLI_CALLBACK(s, l, T, F, fn, mv, ...)                                                   \
    {.kind = CLI_OPT_CALLBACK, .short_name = (s), .long_name = (l), .offset = offsetof(T, F),     \
     .metavar = (mv), .parse = (fn), .help = __VA_ARGS__}
#define CLI_ARGS(T, F, mv, ...)                                                                 \
    {.kind = CLI_OPT_ARGS, .offset = CLI_OFF_(T, F, cli_strlist), .metavar = (mv),                \
     .help = __VA_ARGS__}

/* Define `static int cli_parse_TY(const char *, void *)` over the library's
 * `int PARSE(const char *, TY *)`, for CLI_ENUM rows of type TY. */
#define CLI_ENUM_PARSER(TY, PARSE)                                                                 \
    static int cli_parse_##TY(const char *arg, void *field)                                        \
    {                                                                                              \
        TY v_ = (TY)0;                                                                                   \
        int rc_ = PARSE(arg, &v_);                                                                 \
        if (rc_ == 0)                                                                              \
            *(TY *)field = v_;                                                                     \
        return rc_;                                                                                \
    }

/* What the command does after cli_parse. */
#define CLI_CONTINUE (-1)

/* Parse argv[1..argc-1] (argv[0] is the command's name) into `args` (which
 * the caller has filled with defaults) and the common options into c.
 * Returns CLI_CONTINUE to go on; otherwise the exit status to return at
 * once: CLI_OK after --help (printed to stdout), CLI_USAGE after a usage
 * error (printed to stderr) or when there are no arguments at all (the
 * help is printed to stdout, as samtools does).  Lists filled into `args`
 * are freed with cli_args_free (also after an error). */
int cli_parse(cli_ctx *c, const cli_spec *spec, void *args, int argc, char **argv);

/* Free the lists cli_parse made in `args`. */
void cli_args_free(const cli_spec *spec, void *args);

/* 1 if the option `long_name` was given on the command line last parsed
 * into c (to tell "given" from "default"). */
int cli_given(const cli_ctx *c, const char *long_name);

/* The whole --help text of spec, generated from its table. */
void cli_print_help(const cli_spec *spec, FILE *fp);

/* The row of `long_name` in spec (common options included), or NULL. */
const cli_opt *cli_find_opt(const cli_spec *spec, const char *long_name);

/* The common options every command accepts (a table like a command's). */
extern const cli_opt cli_common_opts[];

/* Every spec (commands and their actions; specs.h), NULL-terminated: for
 * the checks of man pages and pipeline files. */
extern const cli_spec *const cli_all_specs[];
#define CLI_SPEC(sym) extern const cli_spec sym;
#include "cli/specs.h"
#undef CLI_SPEC

/* The spec of a command line "rdm neural" / "info" (NULL if none). */
const cli_spec *cli_find_spec(const char *name);

/* Commands made of actions ("plot rdm", "pipeline run"), one spec each,
 * named "<command> <action>": the spec among `actions` (NULL-terminated)
 * whose action is argv[1].  Otherwise NULL, with *status set: c->usage
 * (the command's overview) printed to stdout when argv[1] is missing
 * (CLI_USAGE) or is -h/--help (CLI_OK); "unknown option X (give the WHAT
 * first)" or "unknown WHAT 'X' (expected one of a, b)" and the usage line
 * on stderr otherwise (CLI_USAGE).  The action's own options then go to
 * cli_parse(c, spec, args, argc - 1, argv + 1). */
const cli_spec *cli_find_action(cli_ctx *c, const char *what, const cli_spec *const *actions,
                                int argc, char **argv, int *status);

#endif
