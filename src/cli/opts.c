/* Declarative option tables: the parser and the --help printer (opts.h). */
#include "cli/opts.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void cli_strlist_free(cli_strlist *l)
{
    free(l->v);
    memset(l, 0, sizeof *l);
}

int cli_strlist_push(cli_strlist *l, const char *s)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 8;
        const char **v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return -1;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = s;
    return 0;
}

/* ---- the common options ---- */

typedef struct {
    int threads, force, quiet, verbose, help;
    const char *seed;
} common_args;

const cli_opt cli_common_opts[] = {
    CLI_GROUP("Common options:"),
    CLI_INT('@', "threads", common_args, threads, 0, 4096, "N", "worker threads [all cores]"),
    CLI_STRING(0, "seed", common_args, seed, "N", "seed of the random streams [1]"),
    CLI_FLAG(0, "force", common_args, force, "overwrite existing outputs"),
    CLI_FLAG(0, "quiet", common_args, quiet, "no progress bar or warnings"),
    CLI_FLAG(0, "verbose", common_args, verbose, "log each stage on stderr"),
    CLI_FLAG('h', "help", common_args, help, "this help"),
    CLI_END};

/* ---- looking options up ---- */

static const cli_opt *find_long(const cli_opt *t, const char *name, size_t len)
{
    for (; t->kind != CLI_OPT_END; t++)
        if (t->long_name && strlen(t->long_name) == len && strncmp(t->long_name, name, len) == 0)
            return t;
    return NULL;
}

static const cli_opt *find_short(const cli_opt *t, char s)
{
    for (; t->kind != CLI_OPT_END; t++)
        if (t->short_name && t->short_name == s)
            return t;
    return NULL;
}

static const cli_opt *find_args(const cli_opt *t)
{
    for (; t->kind != CLI_OPT_END; t++)
        if (t->kind == CLI_OPT_ARGS)
            return t;
    return NULL;
}

const cli_opt *cli_find_opt(const cli_spec *spec, const char *long_name)
{
    size_t n = strlen(long_name);
    const cli_opt *o = find_long(spec->opts, long_name, n);
    return o ? o : find_long(cli_common_opts, long_name, n);
}

int cli_given(const cli_ctx *c, const char *long_name)
{
    if (!c->spec)
        return 0;
    const cli_opt *o = find_long(c->spec->opts, long_name, strlen(long_name));
    if (!o)
        return 0;
    size_t i = (size_t)(o - c->spec->opts);
    return i < CLI_MAX_OPTS && c->given[i];
}

/* ---- values ---- */

static int takes_value(const cli_opt *o) { return o->kind != CLI_OPT_FLAG; }

static int parse_whole(const cli_ctx *c, const char *name, const char *s, double lo, double hi,
                       long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || errno) {
        cli_usage_error(c, "--%s expects a whole number, not '%s'", name, s);
        return -1;
    }
    if ((double)v < lo || (double)v > hi) {
        if (hi >= 9.2e18)
            cli_usage_error(c, "--%s must be at least %.0f (got %lld)", name, lo, v);
        else
            cli_usage_error(c, "--%s must be from %.0f to %.0f (got %lld)", name, lo, hi, v);
        return -1;
    }
    *out = v;
    return 0;
}

/* Store `arg` into the field of row o in `base`. */
static int store(cli_ctx *c, const cli_opt *o, void *base, const char *arg)
{
    char *field = (char *)base + o->offset;
    const char *name = o->long_name;
    long long v;
    double d;
    switch (o->kind) {
    case CLI_OPT_FLAG: *(int *)field = o->ival; return 0;
    case CLI_OPT_STRING: *(const char **)field = arg; return 0;
    case CLI_OPT_LIST:
    case CLI_OPT_ARGS:
        if (cli_strlist_push((cli_strlist *)field, arg)) {
            cli_error(c, "out of memory");
            return -1;
        }
        return 0;
    case CLI_OPT_INT:
        if (parse_whole(c, name, arg, o->lo, o->hi, &v))
            return -1;
        *(int *)field = (int)v;
        return 0;
    case CLI_OPT_LONG:
        if (parse_whole(c, name, arg, o->lo, o->hi, &v))
            return -1;
        *(long *)field = (long)v;
        return 0;
    case CLI_OPT_SIZE:
        if (*arg == '-') {
            cli_usage_error(c, "--%s must be at least %.0f (got %s)", name, o->lo, arg);
            return -1;
        }
        if (parse_whole(c, name, arg, o->lo, o->hi, &v))
            return -1;
        *(size_t *)field = (size_t)v;
        return 0;
    case CLI_OPT_DOUBLE:
        if (bract_table_parse_double(arg, &d) || isnan(d)) {
            cli_usage_error(c, "--%s expects a number, not '%s'", name, arg);
            return -1;
        }
        if (d < o->lo || d > o->hi) {
            cli_usage_error(c, "--%s must be from %g to %g (got %g)", name, o->lo, o->hi, d);
            return -1;
        }
        *(double *)field = d;
        return 0;
    case CLI_OPT_ENUM:
    case CLI_OPT_CALLBACK:
        bract_clear_error();
        if (o->parse(arg, field)) {
            const char *m = bract_last_error();
            cli_usage_error(c, "--%s: %s", name, *m ? m : "invalid value");
            return -1;
        }
        return 0;
    default: return 0;
    }
}

/* The common options go to the context. */
static int store_common(cli_ctx *c, const cli_opt *o, const char *arg)
{
    const char *name = o->long_name;
    if (strcmp(name, "threads") == 0) {
        long long v;
        if (parse_whole(c, name, arg, 0, 4096, &v))
            return -1;
        c->threads = (int)v;
    } else if (strcmp(name, "seed") == 0) {
        char *end;
        errno = 0;
        unsigned long long s = strtoull(arg, &end, 10);
        if (!*arg || *end || errno || *arg == '-') {
            cli_usage_error(c, "--seed expects a non-negative whole number, not '%s'", arg);
            return -1;
        }
        c->seed = s;
    } else if (strcmp(name, "force") == 0) {
        c->force = 1;
    } else if (strcmp(name, "quiet") == 0) {
        c->quiet = 1;
    } else if (strcmp(name, "verbose") == 0) {
        c->verbose = 1;
    }
    return 0;
}

/* ---- the parser ---- */

typedef struct {
    cli_ctx *c;
    const cli_spec *spec;
    void *args;
    const cli_opt *list; /* the LIST option bare arguments go to, or NULL */
} parser;

/* One option with its value (NULL for a flag); 1 after --help. */
static int apply(parser *p, const cli_opt *o, int common, const char *arg)
{
    if (common) {
        if (strcmp(o->long_name, "help") == 0) {
            cli_print_help(p->spec, stdout);
            return 1;
        }
        p->list = NULL;
        return store_common(p->c, o, arg) ? -1 : 0;
    }
    size_t i = (size_t)(o - p->spec->opts);
    if (i < CLI_MAX_OPTS)
        p->c->given[i] = 1;
    p->list = o->kind == CLI_OPT_LIST ? o : NULL;
    return store(p->c, o, p->args, arg) ? -1 : 0;
}

static int bare(parser *p, const char *arg)
{
    const cli_opt *to = p->list ? p->list : find_args(p->spec->opts);
    if (!to) {
        /* name the options a list of names may follow, if any */
        char hint[256] = "";
        size_t k = 0;
        for (const cli_opt *o = p->spec->opts; o->kind != CLI_OPT_END; o++)
            if (o->kind == CLI_OPT_LIST && !(o->flags & CLI_HIDDEN) && k < sizeof hint - 40)
                k += (size_t)snprintf(hint + k, sizeof hint - k, "%s--%s", k ? ", " : "",
                                      o->long_name);
        if (k)
            cli_usage_error(p->c, "unexpected argument '%s' (several values follow one of %s)",
                            arg, hint);
        else
            cli_usage_error(p->c, "unexpected argument '%s'", arg);
        return -1;
    }
    if (cli_strlist_push((cli_strlist *)((char *)p->args + to->offset), arg)) {
        cli_error(p->c, "out of memory");
        return -1;
    }
    return 0;
}

static int long_option(parser *p, int argc, char **argv, int *i)
{
    const char *a = argv[*i] + 2;
    const char *eq = strchr(a, '=');
    size_t len = eq ? (size_t)(eq - a) : strlen(a);
    int common = 0;
    const cli_opt *o = find_long(p->spec->opts, a, len);
    if (!o && (o = find_long(cli_common_opts, a, len)))
        common = 1;
    if (!o || o->kind == CLI_OPT_GROUP || o->kind == CLI_OPT_ARGS) {
        cli_usage_error(p->c, "unknown option --%.*s", (int)len, a);
        return -1;
    }
    const char *val = NULL;
    if (takes_value(o)) {
        if (eq)
            val = eq + 1;
        else if (*i + 1 < argc)
            val = argv[++*i];
        else {
            cli_usage_error(p->c, "option --%s needs a value", o->long_name);
            return -1;
        }
    } else if (eq) {
        cli_usage_error(p->c, "option --%s takes no value", o->long_name);
        return -1;
    }
    return apply(p, o, common, val);
}

static int short_option(parser *p, int argc, char **argv, int *i)
{
    const char *a = argv[*i] + 1;
    int common = 0;
    const cli_opt *o = find_short(p->spec->opts, *a);
    if (!o && (o = find_short(cli_common_opts, *a)))
        common = 1;
    if (!o) {
        cli_usage_error(p->c, "unknown option -%c", *a);
        return -1;
    }
    const char *val = NULL;
    if (takes_value(o)) {
        if (a[1])
            val = a + 1;
        else if (*i + 1 < argc)
            val = argv[++*i];
        else {
            cli_usage_error(p->c, "option -%c needs a value", *a);
            return -1;
        }
    } else if (a[1]) {
        cli_usage_error(p->c, "option -%c takes no value (in '%s')", *a, argv[*i]);
        return -1;
    }
    return apply(p, o, common, val);
}

static int check_required(const parser *p)
{
    for (const cli_opt *o = p->spec->opts; o->kind != CLI_OPT_END; o++) {
        if (!(o->flags & CLI_REQUIRED))
            continue;
        const char *field = (const char *)p->args + o->offset;
        int missing;
        switch (o->kind) {
        case CLI_OPT_STRING: missing = *(const char *const *)field == NULL; break;
        case CLI_OPT_LIST:
        case CLI_OPT_ARGS: missing = ((const cli_strlist *)field)->n == 0; break;
        default: missing = !p->c->given[o - p->spec->opts]; break;
        }
        if (!missing)
            continue;
        if (o->kind == CLI_OPT_ARGS)
            cli_usage_error(p->c, "no %s given", o->metavar);
        else
            cli_usage_error(p->c, "no --%s given", o->long_name);
        return -1;
    }
    return 0;
}

int cli_parse(cli_ctx *c, const cli_spec *spec, void *args, int argc, char **argv)
{
    c->spec = spec;
    c->usage = spec->usage;
    memset(c->given, 0, sizeof c->given);
    if (argc <= 1) {
        cli_print_help(spec, stdout);
        return CLI_USAGE;
    }
    parser p = {c, spec, args, NULL};
    int only_bare = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int rc;
        if (only_bare || a[0] != '-' || a[1] == '\0')
            rc = bare(&p, a);
        else if (strcmp(a, "--") == 0) {
            only_bare = 1;
            continue;
        } else if (a[1] == '-')
            rc = long_option(&p, argc, argv, &i);
        else
            rc = short_option(&p, argc, argv, &i);
        if (rc > 0)
            return CLI_OK;
        if (rc < 0)
            return CLI_USAGE;
    }
    return check_required(&p) ? CLI_USAGE : CLI_CONTINUE;
}

void cli_args_free(const cli_spec *spec, void *args)
{
    for (const cli_opt *o = spec->opts; o->kind != CLI_OPT_END; o++)
        if (o->kind == CLI_OPT_LIST || o->kind == CLI_OPT_ARGS)
            cli_strlist_free((cli_strlist *)((char *)args + o->offset));
}

/* ---- help ---- */

#define HELP_COL 24 /* where help text starts */

static void print_rows(const cli_opt *t, FILE *fp)
{
    for (const cli_opt *o = t; o->kind != CLI_OPT_END; o++) {
        if (o->kind == CLI_OPT_GROUP) {
            fprintf(fp, "%s%s\n", o == t ? "" : "\n", o->help);
            continue;
        }
        if (o->flags & CLI_HIDDEN)
            continue;
        char left[128];
        if (o->kind == CLI_OPT_ARGS)
            snprintf(left, sizeof left, "  %s", o->metavar);
        else if (o->short_name)
            snprintf(left, sizeof left, "  -%c, --%s%s%s", o->short_name, o->long_name,
                     o->metavar ? " " : "", o->metavar ? o->metavar : "");
        else
            snprintf(left, sizeof left, "      --%s%s%s", o->long_name, o->metavar ? " " : "",
                     o->metavar ? o->metavar : "");
        int w = (int)strlen(left);
        const char *h = o->help ? o->help : "";
        if (w + 2 > HELP_COL)
            fprintf(fp, "%s\n%*s", left, HELP_COL, "");
        else
            fprintf(fp, "%-*s", HELP_COL, left);
        for (const char *nl; (nl = strchr(h, '\n')); h = nl + 1)
            fprintf(fp, "%.*s\n%*s", (int)(nl - h), h, HELP_COL, "");
        fprintf(fp, "%s\n", h);
    }
}

void cli_print_help(const cli_spec *spec, FILE *fp)
{
    fprintf(fp, "%s\n", spec->usage);
    if (spec->about && *spec->about)
        fprintf(fp, "\n%s\n", spec->about);
    fputc('\n', fp);
    print_rows(spec->opts, fp);
    fputc('\n', fp);
    print_rows(cli_common_opts, fp);
    if (spec->epilog && *spec->epilog)
        fprintf(fp, "\n%s\n", spec->epilog);
}

const cli_spec *const cli_all_specs[] = {
#define CLI_SPEC(sym) &sym,
#include "cli/specs.h"
#undef CLI_SPEC
    NULL};

const cli_spec *cli_find_spec(const char *name)
{
    for (size_t i = 0; cli_all_specs[i]; i++)
        if (strcmp(cli_all_specs[i]->name, name) == 0)
            return cli_all_specs[i];
    return NULL;
}

/* "rdm" of "plot rdm" */
static const char *action_word(const cli_spec *spec)
{
    const char *sp = strrchr(spec->name, ' ');
    return sp ? sp + 1 : spec->name;
}

const cli_spec *cli_find_action(cli_ctx *c, const char *what, const cli_spec *const *actions,
                                int argc, char **argv, int *status)
{
    const char *a = argc > 1 ? argv[1] : NULL;
    if (!a || strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
        fputs(c->usage, stdout);
        *status = a ? CLI_OK : CLI_USAGE;
        return NULL;
    }
    for (size_t i = 0; actions[i]; i++)
        if (strcmp(a, action_word(actions[i])) == 0)
            return actions[i];
    *status = CLI_USAGE;
    if (a[0] == '-' && a[1]) {
        cli_usage_error(c, "unknown option %s (give the %s first)", a, what);
        return NULL;
    }
    char list[256] = "";
    size_t k = 0;
    for (size_t i = 0; actions[i] && k < sizeof list; i++)
        k += (size_t)snprintf(list + k, sizeof list - k, "%s%s", i ? ", " : "",
                              action_word(actions[i]));
    cli_usage_error(c, "unknown %s '%s' (expected one of %s)", what, a, list);
    return NULL;
}
