/* Shared command-line machinery (see cli.h). */
#include "cli/cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json.h>

static int g_argc;
static char **g_argv;
static int g_bars = 1;
static int g_quiet = 0;

void cli_set_bars(int enabled) { g_bars = enabled; }
void cli_set_quiet(int quiet) { g_quiet = quiet; }

#ifdef BRACT_HAVE_MPI
static MPI_Comm g_comm = MPI_COMM_WORLD;
MPI_Comm cli_comm(void) { return g_comm; }
void cli_set_comm(MPI_Comm comm) { g_comm = comm; }
#endif

void cli_set_cmdline(int argc, char **argv)
{
    g_argc = argc;
    g_argv = argv;
}
int cli_cmdline_argc(void) { return g_argc; }
char **cli_cmdline_argv(void) { return g_argv; }

const cli_command cli_commands[] = {
#define BRACT_CMD(name, fn, section, summary) {name, fn, section, summary},
#include "cli/commands.h"
#undef BRACT_CMD
    {NULL, NULL, NULL, NULL}};

const cli_command *cli_find_command(const char *name)
{
    for (const cli_command *c = cli_commands; c->name; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void cli_ctx_init(cli_ctx *c, const char *cmd, const char *usage)
{
    memset(c, 0, sizeof *c);
    c->cmd = cmd;
    c->usage = usage;
    c->seed = 1;
    c->quiet = g_quiet;
    c->t0 = cli_now();
}

static void print_usage_line(const cli_ctx *c)
{
    const char *u = c->usage;
    const char *nl = strchr(u, '\n');
    fprintf(stderr, "%.*s\n", nl ? (int)(nl - u) : (int)strlen(u), u);
    fprintf(stderr, "Try 'bract %s --help' for more.\n", c->cmd);
}

int cli_usage_error(const cli_ctx *c, const char *fmt, ...)
{
    fflush(stdout);
    fprintf(stderr, "bract %s: ", c->cmd);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    print_usage_line(c);
    return CLI_USAGE;
}

int cli_error(const cli_ctx *c, const char *fmt, ...)
{
    fflush(stdout);
    fprintf(stderr, "bract %s: ", c->cmd);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return CLI_DATA_ERROR;
}

size_t cli_warnings(const cli_ctx *c)
{
    const char *const *msgs;
    size_t n = bract_take_warnings(&msgs);
    if (!c->quiet)
        for (size_t i = 0; i < n; i++)
            fprintf(stderr, "bract %s: warning: %s\n", c->cmd, msgs[i]);
    return n;
}

int cli_fail(const cli_ctx *c)
{
    cli_warnings(c);
    const char *m = bract_last_error();
    return cli_error(c, "%s", *m ? m : "failed");
}

void cli_log(const cli_ctx *c, const char *fmt, ...)
{
    if (!c->verbose)
        return;
    fprintf(stderr, "bract %s: [%.2f s] ", c->cmd, cli_now() - c->t0);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void cli_apply(cli_ctx *c)
{
    /* without --threads keep the process default (OMP_NUM_THREADS, all
     * cores, or what the pipeline runner chose) */
    c->threads = c->threads > 0 ? bract_set_threads(c->threads) : bract_get_threads();
}

/* ---- progress bar ---- */

void cli_bar_start(cli_bar *b, const cli_ctx *c, const char *label)
{
    memset(b, 0, sizeof *b);
    b->ctx = c;
    b->label = label;
    b->enabled = g_bars && !c->quiet && isatty(STDERR_FILENO);
    b->t_start = b->t_last = cli_now();
}

static void fmt_time(char *buf, size_t n, double s)
{
    if (!(s >= 0) || s > 360000)
        snprintf(buf, n, "--:--");
    else if (s >= 3600)
        snprintf(buf, n, "%d:%02d:%02d", (int)s / 3600, (int)s / 60 % 60, (int)s % 60);
    else
        snprintf(buf, n, "%d:%02d", (int)s / 60, (int)s % 60);
}

void cli_bar_update(void *bar, size_t done, size_t total)
{
    cli_bar *b = bar;
    if (!b->enabled || total == 0)
        return;
    double now = cli_now();
    if (done < total && now - b->t_last < 0.1)
        return; /* at most ten redraws a second */
    b->t_last = now;
    double f = (double)done / (double)total;
    if (f > 1)
        f = 1;
    int width = 30, fill = (int)(f * width);
    char bar_s[64];
    for (int i = 0; i < width; i++)
        bar_s[i] = i < fill ? '#' : '.';
    bar_s[width] = '\0';
    char eta[32], el[32];
    double elapsed = now - b->t_start;
    fmt_time(el, sizeof el, elapsed);
    fmt_time(eta, sizeof eta, f > 0 ? elapsed * (1 - f) / f : -1);
    fprintf(stderr, "\r%s [%s] %3d%% %zu/%zu %s ETA %s ", b->label, bar_s, (int)(f * 100), done,
            total, el, eta);
    b->drawn = 1;
}

void cli_bar_finish(cli_bar *b)
{
    if (b->enabled && b->drawn)
        fprintf(stderr, "\r\033[K");
}

bract_progress cli_bar_progress(cli_bar *b)
{
    bract_progress p = {cli_bar_update, b};
    return p;
}

/* ---- sidecars ---- */

bract_sidecar *cli_sidecar(const cli_ctx *c)
{
    bract_sidecar *s = bract_sidecar_new(c->cmd);
    if (s) {
        bract_sidecar_cmdline(s, g_argc, g_argv);
        bract_sidecar_set_num(s, "Threads", c->threads);
    }
    return s;
}

int cli_dir_record(const cli_ctx *c, bract_sidecar *s, const char *dir, const char *what,
                   const char *const *files, size_t nfiles)
{
    json_object *list = json_object_new_array();
    if (!s || !list) {
        json_object_put(list);
        return cli_error(c, "out of memory building the record of %s", dir);
    }
    for (size_t i = 0; i < nfiles; i++)
        json_object_array_add(list, json_object_new_string(files[i]));
    bract_sidecar_set_str(s, "Description", what);
    int bad = bract_sidecar_set_json(s, "Files", json_object_to_json_string(list));
    json_object_put(list);
    if (bad)
        return cli_fail(c);
    return cli_sidecar_finish(c, s, dir);
}

int cli_sidecar_finish(const cli_ctx *c, bract_sidecar *s, const char *output)
{
    if (!s)
        return cli_error(c, "out of memory building the sidecar of %s", output);
    bract_sidecar_wall_time(s, cli_now() - c->t0);
    int rc = bract_sidecar_write(s, output, 1);
    return rc ? cli_fail(c) : CLI_OK;
}
