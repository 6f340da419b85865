/* Unit tests of the CLI's declarative option tables (src/cli/opts.h): the
 * parser on a table made for the test, and the tables of every command
 * against their manual pages and against each other (one meaning per
 * short option). */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/opts.h"

/* ---- the parser, on a table of every kind ---- */

typedef enum { COLOUR_RED, COLOUR_GREEN } colour;

static int colour_parse(const char *s, colour *out)
{
    if (strcmp(s, "red") == 0)
        *out = COLOUR_RED;
    else if (strcmp(s, "green") == 0)
        *out = COLOUR_GREEN;
    else
        return bract_error(BRACT_EINVAL, "unknown colour '%s' (expected one of red, green)", s);
    return 0;
}
CLI_ENUM_PARSER(colour, colour_parse)

typedef struct {
    const char *data, *out;
    cli_strlist maps, rest;
    int flag, fisher, k;
    long big;
    size_t perms;
    double tr;
    colour col;
} targs;

static const cli_opt topts[] = {
    CLI_GROUP("Test:"),
    CLI_STRING('d', "data", targs, data, "FILE", "data", .flags = CLI_REQUIRED),
    CLI_STRING('o', "output", targs, out, "FILE", "output"),
    CLI_LIST(0, "maps", targs, maps, "MAP...", "maps"),
    CLI_FLAG(0, "flag", targs, flag, "a flag"),
    CLI_FLAG_OFF(0, "no-fisher", targs, fisher, "no Fisher z"),
    CLI_INT(0, "k", targs, k, 1, 10, "K", "clusters [3]"),
    CLI_LONG(0, "big", targs, big, -5, 1e12, "N", "a long"),
    CLI_SIZE(0, "permutations", targs, perms, 0, 1e9, "N", "permutations [100]"),
    CLI_DOUBLE(0, "tr", targs, tr, 1e-6, 100, "S", "repetition time"),
    CLI_ENUM(0, "colour", targs, col, colour, "NAME", "red or green [red]"),
    CLI_ARGS(targs, rest, "FILE...", "positional files"),
    CLI_END};

static const cli_spec tspec = {"test", "Usage: bract test --data FILE [options] FILE...",
                               "A table for the tests.", topts, NULL};

/* Parse a command line given as one string (split on spaces); returns the
 * status and captures stderr into err (first 1000 bytes). */
static int parse_line(const char *line, targs *a, cli_ctx *c, char *err)
{
    static char buf[1024];
    static char *argv[64];
    snprintf(buf, sizeof buf, "test %s", line);
    int argc = 0;
    for (char *t = strtok(buf, " "); t && argc < 63; t = strtok(NULL, " "))
        argv[argc++] = t;
    argv[argc] = NULL;
    memset(a, 0, sizeof *a);
    a->fisher = 1;
    a->k = 3;
    a->perms = 100;
    cli_ctx_init(c, "test", NULL);
    fflush(stderr);
    FILE *tmp = tmpfile();
    int saved = dup(2);
    dup2(fileno(tmp), 2);
    int st = cli_parse(c, &tspec, a, argc, argv);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    rewind(tmp);
    size_t n = fread(err, 1, 999, tmp);
    err[n] = '\0';
    fclose(tmp);
    return st;
}

START_TEST(parses_every_kind)
{
    targs a;
    cli_ctx c;
    char err[1000];
    int st = parse_line("-d bold.nii --maps a b c --flag --no-fisher --k=7 --big -3 "
                        "--permutations 5000 --tr 2.5 --colour green -o out.tsv x y --seed 9 "
                        "--threads 2 --force --quiet",
                        &a, &c, err);
    ck_assert_msg(st == CLI_CONTINUE, "status %d: %s", st, err);
    ck_assert_str_eq(a.data, "bold.nii");
    ck_assert_str_eq(a.out, "out.tsv");
    ck_assert_uint_eq(a.maps.n, 3);
    ck_assert_str_eq(a.maps.v[2], "c");
    ck_assert_uint_eq(a.rest.n, 2); /* after -o, bare arguments are positional */
    ck_assert_str_eq(a.rest.v[0], "x");
    ck_assert_int_eq(a.flag, 1);
    ck_assert_int_eq(a.fisher, 0);
    ck_assert_int_eq(a.k, 7);
    ck_assert_int_eq(a.big, -3);
    ck_assert_uint_eq(a.perms, 5000);
    ck_assert_double_eq(a.tr, 2.5);
    ck_assert_int_eq(a.col, COLOUR_GREEN);
    ck_assert_uint_eq(c.seed, 9);
    ck_assert_int_eq(c.threads, 2);
    ck_assert_int_eq(c.force, 1);
    ck_assert_int_eq(c.quiet, 1);
    ck_assert(cli_given(&c, "k"));
    ck_assert(cli_given(&c, "output"));
    cli_args_free(&tspec, &a);

    /* defaults stay when not given; "--" makes the rest positional; "-" is a value */
    st = parse_line("--data=- -- --flag -", &a, &c, err);
    ck_assert_msg(st == CLI_CONTINUE, "%s", err);
    ck_assert_str_eq(a.data, "-");
    ck_assert_int_eq(a.flag, 0);
    ck_assert_int_eq(a.k, 3);
    ck_assert(!cli_given(&c, "k"));
    ck_assert_uint_eq(a.rest.n, 2);
    ck_assert_str_eq(a.rest.v[0], "--flag");
    cli_args_free(&tspec, &a);
}
END_TEST

START_TEST(usage_errors)
{
    static const struct {
        const char *line, *msg;
    } cases[] = {
        {"--flag", "no --data given"},
        {"-d x --k 11", "--k must be from 1 to 10 (got 11)"},
        {"-d x --k three", "--k expects a whole number, not 'three'"},
        {"-d x --permutations -1", "--permutations must be at least 0 (got -1)"},
        {"-d x --tr 0", "--tr must be from 1e-06 to 100 (got 0)"},
        {"-d x --tr nan", "--tr expects a number, not 'nan'"},
        {"-d x --colour blue", "--colour: unknown colour 'blue' (expected one of red, green)"},
        {"-d x --bogus", "unknown option --bogus"},
        {"-d x -z", "unknown option -z"},
        {"-d x --flag=1", "option --flag takes no value"},
        {"-d x --tr", "option --tr needs a value"},
        {"-d x --seed -4", "--seed expects a non-negative whole number, not '-4'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        targs a;
        cli_ctx c;
        char err[1000];
        int st = parse_line(cases[i].line, &a, &c, err);
        ck_assert_msg(st == CLI_USAGE, "'%s': status %d", cases[i].line, st);
        ck_assert_msg(strstr(err, cases[i].msg), "'%s': stderr \"%s\" lacks \"%s\"",
                      cases[i].line, err, cases[i].msg);
        ck_assert_msg(strstr(err, "Usage: bract test"), "'%s': no usage line", cases[i].line);
        cli_args_free(&tspec, &a);
    }
}
END_TEST

/* Without a positional row, a stray name is refused with the options a
 * list of names may follow. */
START_TEST(stray_arguments_name_the_list_options)
{
    static const cli_opt opts2[] = {CLI_STRING('d', "data", targs, data, "FILE", "data"),
                                    CLI_LIST(0, "maps", targs, maps, "MAP...", "maps"),
                                    CLI_STRING('o', "output", targs, out, "FILE", "output"),
                                    CLI_END};
    static const cli_spec spec2 = {"test", "Usage: bract test", "", opts2, NULL};
    char *argv[] = {"test", "--maps", "a", "b", "-o", "out", "stray", NULL};
    targs a;
    memset(&a, 0, sizeof a);
    cli_ctx c;
    cli_ctx_init(&c, "test", NULL);
    fflush(stderr);
    FILE *tmp = tmpfile();
    int saved = dup(2);
    dup2(fileno(tmp), 2);
    int st = cli_parse(&c, &spec2, &a, 7, argv);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    rewind(tmp);
    char err[1000];
    size_t n = fread(err, 1, 999, tmp);
    err[n] = '\0';
    fclose(tmp);
    ck_assert_int_eq(st, CLI_USAGE);
    ck_assert(tu_contains(err, "unexpected argument 'stray' (several values follow one of --maps)"));
    ck_assert_uint_eq(a.maps.n, 2);
    cli_args_free(&spec2, &a);
}
END_TEST

START_TEST(help_from_the_table)
{
    char *dir = tu_tmpdir(), *path = tu_join(dir, "help.txt");
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    cli_print_help(&tspec, f);
    fclose(f);
    char *h = tu_slurp(path);
    ck_assert(tu_contains(h, "Usage: bract test --data FILE [options] FILE...\n"));
    ck_assert(tu_contains(h, "  -d, --data FILE       data\n"));
    ck_assert(tu_contains(h, "      --permutations N  permutations [100]\n"));
    ck_assert(tu_contains(h, "Common options:\n"));
    ck_assert(tu_contains(h, "  -@, --threads N       worker threads [all cores]\n"));
    free(h);
    free(path);
    tu_rmtree(dir);
    free(dir);
}
END_TEST

/* ---- commands made of actions ---- */

static const cli_opt no_opts[] = {CLI_END};
static const cli_spec act_run = {"test run", "Usage: bract test run FILE", "Run.", no_opts, NULL};
static const cli_spec act_plan = {"test plan", "Usage: bract test plan FILE", "Plan.", no_opts,
                                  NULL};

/* cli_find_action on a command line; stdout and stderr captured. */
static const cli_spec *find_action_line(const char *line, int *status, char *out, char *err)
{
    static const cli_spec *const actions[] = {&act_run, &act_plan, NULL};
    static char buf[256];
    static char *argv[16];
    snprintf(buf, sizeof buf, "test %s", line);
    int argc = 0;
    for (char *t = strtok(buf, " "); t && argc < 15; t = strtok(NULL, " "))
        argv[argc++] = t;
    argv[argc] = NULL;
    cli_ctx c;
    cli_ctx_init(&c, "test", "Usage: bract test run|plan FILE\nActions: run, plan.\n");
    fflush(stdout);
    fflush(stderr);
    FILE *fo = tmpfile(), *fe = tmpfile();
    int so = dup(1), se = dup(2);
    dup2(fileno(fo), 1);
    dup2(fileno(fe), 2);
    *status = -99;
    const cli_spec *spec = cli_find_action(&c, "action", actions, argc, argv, status);
    fflush(stdout);
    fflush(stderr);
    dup2(so, 1);
    dup2(se, 2);
    close(so);
    close(se);
    FILE *fs[2] = {fo, fe};
    char *dst[2] = {out, err};
    for (int i = 0; i < 2; i++) {
        rewind(fs[i]);
        size_t n = fread(dst[i], 1, 999, fs[i]);
        dst[i][n] = '\0';
        fclose(fs[i]);
    }
    return spec;
}

START_TEST(actions)
{
    char out[1000], err[1000];
    int st;
    ck_assert_ptr_eq(find_action_line("plan x.ini --jobs 2", &st, out, err), &act_plan);
    ck_assert_int_eq(st, -99); /* untouched: the caller goes on */
    ck_assert_ptr_eq(find_action_line("run", &st, out, err), &act_run);

    ck_assert_ptr_null(find_action_line("", &st, out, err));
    ck_assert_int_eq(st, CLI_USAGE);
    ck_assert_str_eq(out, "Usage: bract test run|plan FILE\nActions: run, plan.\n");
    ck_assert_str_eq(err, "");

    ck_assert_ptr_null(find_action_line("--help", &st, out, err));
    ck_assert_int_eq(st, CLI_OK);
    ck_assert(tu_contains(out, "Actions: run, plan."));

    ck_assert_ptr_null(find_action_line("walk x.ini", &st, out, err));
    ck_assert_int_eq(st, CLI_USAGE);
    ck_assert_str_eq(out, "");
    ck_assert(tu_contains(err, "bract test: unknown action 'walk' (expected one of run, plan)\n"
                               "Usage: bract test run|plan FILE\n"));

    ck_assert_ptr_null(find_action_line("--jobs 2 run", &st, out, err));
    ck_assert_int_eq(st, CLI_USAGE);
    ck_assert(tu_contains(err, "bract test: unknown option --jobs (give the action first)"));
}
END_TEST

/* ---- every command's table ---- */

/* The options documented in the OPTIONS section of a man page, in the
 * subsection ".SS bract <spec name>" when the page has one for it, plus a
 * "Common options" subsection: the first \-\-name of each .TP item. */
static size_t man_options(const char *page, const char *spec, char names[][40], size_t max,
                          int *has_section)
{
    char *text = tu_slurp(page);
    *has_section = 0;
    if (!text)
        return 0;
    char want[128];
    snprintf(want, sizeof want, ".SS bract %s", spec);
    int has_sub = strstr(text, want) != NULL;
    size_t n = 0;
    int in_opts = 0, in_sub = !has_sub, after_tp = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (strncmp(line, ".SH ", 4) == 0) {
            in_opts = strcmp(line, ".SH OPTIONS") == 0;
            *has_section |= in_opts;
            continue;
        }
        if (in_opts && strncmp(line, ".SS ", 4) == 0) {
            in_sub = !has_sub || strcmp(line, want) == 0 || strstr(line, "Common options");
            continue;
        }
        if (!in_opts || !in_sub)
            continue;
        if (strncmp(line, ".TP", 3) == 0) {
            after_tp = 1;
            continue;
        }
        if (!after_tp)
            continue;
        after_tp = 0;
        const char *p = strstr(line, "\\-\\-");
        if (!p || n == max)
            continue;
        p += 4;
        size_t k = 0;
        while ((p[k] >= 'a' && p[k] <= 'z') || (p[k] >= '0' && p[k] <= '9') || p[k] == '-' ||
               p[k] == '\\')
            k++;
        size_t w = 0;
        for (size_t i = 0; i < k && w < 39; i++)
            if (p[i] != '\\')
                names[n][w++] = p[i];
        names[n][w] = '\0';
        /* a trailing "-" comes from "\-\-name\-" spellings: none expected */
        n++;
    }
    free(text);
    return n;
}

static int in_table(const cli_opt *t, const char *name)
{
    for (; t->kind != CLI_OPT_END; t++)
        if (t->long_name && strcmp(t->long_name, name) == 0)
            return 1;
    return 0;
}

START_TEST(man_pages_list_exactly_the_options)
{
    for (size_t s = 0; cli_all_specs[s]; s++) {
        const cli_spec *spec = cli_all_specs[s];
        char cmd[64];
        snprintf(cmd, sizeof cmd, "%s", spec->name);
        char *sp = strchr(cmd, ' ');
        if (sp)
            *sp = '\0';
        char page[128];
        snprintf(page, sizeof page, "man/man1/bract-%s.1", cmd);
        static char names[256][40];
        int has_section;
        size_t n = man_options(page, spec->name, names, 256, &has_section);
        ck_assert_msg(has_section, "%s: no OPTIONS section (for bract %s)", page, spec->name);
        /* every option of the table is in the page */
        const cli_opt *tables[2] = {spec->opts, cli_common_opts};
        for (int t = 0; t < 2; t++)
            for (const cli_opt *o = tables[t]; o->kind != CLI_OPT_END; o++) {
                if (!o->long_name || (o->flags & CLI_HIDDEN))
                    continue;
                int found = 0;
                for (size_t i = 0; i < n && !found; i++)
                    found = strcmp(names[i], o->long_name) == 0;
                ck_assert_msg(found, "%s does not document --%s of bract %s", page,
                              o->long_name, spec->name);
            }
        /* and the page documents no option the command lacks */
        for (size_t i = 0; i < n; i++)
            ck_assert_msg(in_table(spec->opts, names[i]) || in_table(cli_common_opts, names[i]),
                          "%s documents --%s, which bract %s does not accept", page, names[i],
                          spec->name);
    }
}
END_TEST

START_TEST(synopsis_names_the_required_options)
{
    for (size_t s = 0; cli_all_specs[s]; s++) {
        const cli_spec *spec = cli_all_specs[s];
        for (const cli_opt *o = spec->opts; o->kind != CLI_OPT_END; o++) {
            if (!(o->flags & CLI_REQUIRED) || !o->long_name)
                continue;
            char want[64], want_short[8];
            snprintf(want, sizeof want, "--%s", o->long_name);
            snprintf(want_short, sizeof want_short, "-%c ", o->short_name);
            ck_assert_msg(strstr(spec->usage, want) ||
                              (o->short_name && strstr(spec->usage, want_short)),
                          "bract %s: the usage line lacks the required %s", spec->name, want);
        }
    }
}
END_TEST

START_TEST(short_options_mean_one_thing)
{
    const char *meaning[128] = {0};
    const char *where[128] = {0};
    for (const cli_opt *o = cli_common_opts; o->kind != CLI_OPT_END; o++)
        if (o->short_name) {
            meaning[(int)o->short_name] = o->long_name;
            where[(int)o->short_name] = "common options";
        }
    for (size_t s = 0; cli_all_specs[s]; s++)
        for (const cli_opt *o = cli_all_specs[s]->opts; o->kind != CLI_OPT_END; o++) {
            if (!o->short_name)
                continue;
            int k = (int)o->short_name;
            if (!meaning[k]) {
                meaning[k] = o->long_name;
                where[k] = cli_all_specs[s]->name;
            }
            ck_assert_msg(strcmp(meaning[k], o->long_name) == 0,
                          "-%c is --%s in bract %s but --%s in %s", o->short_name, o->long_name,
                          cli_all_specs[s]->name, meaning[k], where[k]);
        }
}
END_TEST

START_TEST(tables_are_well_formed)
{
    for (size_t s = 0; cli_all_specs[s]; s++) {
        const cli_spec *spec = cli_all_specs[s];
        size_t rows = 0;
        for (const cli_opt *o = spec->opts; o->kind != CLI_OPT_END; o++, rows++) {
            if (o->kind == CLI_OPT_GROUP || o->kind == CLI_OPT_ARGS)
                continue;
            ck_assert_msg(o->long_name && *o->long_name, "bract %s: an option without a long name",
                          spec->name);
            ck_assert_msg(o->help && *o->help, "bract %s: --%s has no help", spec->name,
                          o->long_name);
            ck_assert_msg(!cli_find_opt(&(cli_spec){0, 0, 0, cli_common_opts, 0}, o->long_name),
                          "bract %s: --%s shadows a common option", spec->name, o->long_name);
            for (const cli_opt *q = o + 1; q->kind != CLI_OPT_END; q++)
                ck_assert_msg(!q->long_name || strcmp(q->long_name, o->long_name) != 0,
                              "bract %s: --%s declared twice", spec->name, o->long_name);
        }
        ck_assert_msg(rows < CLI_MAX_OPTS, "bract %s: more than %d rows", spec->name,
                      CLI_MAX_OPTS);
        ck_assert_ptr_eq(cli_find_spec(spec->name), spec);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cli_opts");
    TCase *tc = tcase_create("parser");
    tcase_add_test(tc, parses_every_kind);
    tcase_add_test(tc, usage_errors);
    tcase_add_test(tc, help_from_the_table);
    tcase_add_test(tc, stray_arguments_name_the_list_options);
    tcase_add_test(tc, actions);
    suite_add_tcase(s, tc);
    TCase *tt = tcase_create("tables");
    tcase_add_test(tt, man_pages_list_exactly_the_options);
    tcase_add_test(tt, synopsis_names_the_required_options);
    tcase_add_test(tt, short_options_mean_one_thing);
    tcase_add_test(tt, tables_are_well_formed);
    suite_add_tcase(s, tt);
    return tu_run(s);
}
