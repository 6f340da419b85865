/* bract pipeline: run a whole study from a pipeline file (bract-pipeline(5)),
 * every step in-process, skipping what is up to date. */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* mkdir -p helpers, prctl */
#endif
#include "cli/cli.h"
#include "cli/pipeline/plan.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

static const char usage_text[] =
    "Usage: bract pipeline run|plan FILE [options]\n"
    "\n"
    "Run a study described by a pipeline file (see bract-pipeline(5)): every\n"
    "stage for every subject in dependency order, group stages after the\n"
    "subjects they need, skipping steps whose outputs are up to date.\n"
    "  run    run the steps that are not up to date\n"
    "  plan   print every step and whether it would run, and why\n"
    "\n"
    "Options:\n"
    "  -d, --data DIR      dataset root (overrides [dataset] root)\n"
    "      --out DIR       output root (overrides [output] root; default\n"
    "                      DATA/derivatives/bract)\n"
    "  -j, --jobs N        run N subjects at once [1]\n"
    "      --fail-fast     stop at the first failing step\n"
    "\n" CLI_COMMON_HELP;

enum { OUT_RAN = 1, OUT_SKIPPED, OUT_FAILED, OUT_NOTRUN };

typedef struct {
    int32_t step;
    int32_t outcome;
    double seconds;
} step_result;

/* The directory part of an output path, made if missing. */
static int make_parent(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path)
        return 0;
    char *dir = strndup(path, (size_t)(slash - path));
    int rc = dir ? bract_make_dir(dir, NULL) : -1;
    free(dir);
    return rc;
}

static const char *subj_name(const pl_pipeline *p, const pl_step *s)
{
    return s->subject >= 0 ? p->subjects[s->subject] : "group";
}

/* Run one step in this process. */
static int run_step(const cli_ctx *c, const pl_pipeline *p, size_t i, double *seconds)
{
    const pl_step *s = &p->steps[i];
    for (size_t k = 0; k < s->noutputs; k++)
        if (make_parent(s->outputs[k]) != 0) {
            cli_error(c, "%s %s: %s", s->stage, subj_name(p, s), bract_last_error());
            return -1;
        }
    cli_plan_clean_temporaries(s);
    cli_main_fn fn = cli_find_command(s->argv[0]);
    /* getopt permutes argv: give the command its own copy */
    char **argv = malloc(((size_t)s->argc + 2) * sizeof *argv);
    if (!argv)
        return -1;
    argv[0] = "bract";
    for (int a = 0; a < s->argc; a++)
        argv[a + 1] = s->argv[a];
    argv[s->argc + 1] = NULL;
    char **saved_argv = cli_cmdline_argv();
    int saved_argc = cli_cmdline_argc();
    cli_set_cmdline(s->argc + 1, argv); /* the sidecar records this step's command line */
    char **cargv = malloc(((size_t)s->argc + 1) * sizeof *cargv);
    if (!cargv) {
        free(argv);
        return -1;
    }
    memcpy(cargv, argv + 1, ((size_t)s->argc + 1) * sizeof *cargv);
    cli_log(c, "%s", s->cmdline);
    double t0 = cli_now();
    int rc = fn(s->argc, cargv);
    *seconds = cli_now() - t0;
    cli_set_cmdline(saved_argc, saved_argv);
    free(cargv);
    free(argv);
    fflush(stdout);
    return rc;
}

typedef struct {
    const cli_ctx *c;
    const pl_pipeline *p;
    unsigned char *will_run;  /* per step: decided to run (or ran) */
    int *outcome;             /* per step */
    double *seconds;
    int fail_fast;
    int stop;                 /* fail-fast triggered */
    size_t done;              /* steps reported so far, for [k/N] */
    int forked;               /* in a worker process: no [k/N] numbering */
    char (*why)[512];         /* per step: why it ran */
} runner;

static void report(runner *r, size_t i)
{
    const pl_step *s = &r->p->steps[i];
    r->done++;
    const char *what = r->outcome[i] == OUT_RAN ? "done" : r->outcome[i] == OUT_SKIPPED
                                                                ? "up to date"
                                                                : r->outcome[i] == OUT_FAILED
                                                                      ? "FAILED"
                                                                      : "not run";
    char num[64] = "";
    if (!r->forked)
        snprintf(num, sizeof num, "[%zu/%zu] ", r->done, r->p->nsteps);
    if (r->outcome[i] == OUT_RAN && !r->c->quiet)
        fprintf(stderr, "bract pipeline: %s%s %s: done in %.1f s (%s)\n", num, s->stage,
                subj_name(r->p, s), r->seconds[i], r->why[i]);
    else if (r->outcome[i] != OUT_RAN && (!r->c->quiet || r->outcome[i] == OUT_FAILED))
        fprintf(stderr, "bract pipeline: %s%s %s: %s\n", num, s->stage, subj_name(r->p, s), what);
}

/* Decide and run step i in this process. */
static void do_step(runner *r, size_t i)
{
    const pl_step *s = &r->p->steps[i];
    for (size_t d = 0; d < s->ndeps; d++)
        if (r->outcome[s->deps[d]] == OUT_FAILED || r->outcome[s->deps[d]] == OUT_NOTRUN) {
            r->outcome[i] = OUT_NOTRUN;
            r->will_run[i] = 1;
            return;
        }
    if (r->stop) {
        r->outcome[i] = OUT_NOTRUN;
        r->will_run[i] = 1;
        return;
    }
    char why[512];
    int st = cli_plan_status(r->p, i, r->will_run, why, sizeof why);
    if (st == PL_UPTODATE) {
        r->outcome[i] = OUT_SKIPPED;
        return;
    }
    r->will_run[i] = 1;
    snprintf(r->why[i], sizeof r->why[i], "%s", why);
    cli_log(r->c, "%s %s: running (%s)", s->stage, subj_name(r->p, s), why);
    int rc = run_step(r->c, r->p, i, &r->seconds[i]);
    r->outcome[i] = rc == 0 ? OUT_RAN : OUT_FAILED;
    if (rc && r->fail_fast)
        r->stop = 1;
}

/* Steps [a, b) of a wave of subject stages: the steps of subject q. */
static void run_subject(runner *r, size_t a, size_t b, long q)
{
    for (size_t i = a; i < b; i++)
        if (r->p->steps[i].subject == q) {
            do_step(r, i);
            report(r, i);
        }
}

/* Run subjects in forked children, at most `jobs` at a time. */
static int run_wave_forked(runner *r, size_t a, size_t b, int jobs, int threads)
{
    size_t ns = r->p->nsubjects, next = 0, running = 0;
    pid_t *pid = calloc(ns, sizeof *pid);
    int *pipefd = calloc(ns, sizeof *pipefd);
    if (!pid || !pipefd) {
        free(pid);
        free(pipefd);
        return -1;
    }
    fflush(stdout);
    fflush(stderr);
    while (next < ns || running > 0) {
        while (next < ns && running < (size_t)jobs && !r->stop) {
            int fd[2];
            if (pipe(fd) != 0)
                return -1;
            pid_t k = fork();
            if (k < 0)
                return -1;
            if (k == 0) {
#ifdef __linux__
                prctl(PR_SET_PDEATHSIG, SIGKILL); /* die with a killed runner */
#endif
                close(fd[0]);
                r->forked = 1;
                bract_set_threads(threads);
                run_subject(r, a, b, (long)next);
                for (size_t i = a; i < b; i++)
                    if (r->p->steps[i].subject == (long)next) {
                        step_result res = {(int32_t)i, r->outcome[i], r->seconds[i]};
                        if (write(fd[1], &res, sizeof res) != (ssize_t)sizeof res)
                            _exit(3);
                    }
                fflush(NULL);
                _exit(0);
            }
            close(fd[1]);
            pid[next] = k;
            pipefd[next] = fd[0];
            next++;
            running++;
        }
        int status;
        pid_t done = wait(&status);
        if (done < 0)
            break;
        for (size_t q = 0; q < ns; q++) {
            if (pid[q] != done)
                continue;
            step_result res;
            int got = 0;
            while (read(pipefd[q], &res, sizeof res) == (ssize_t)sizeof res) {
                if (res.step >= (int32_t)a && res.step < (int32_t)b) {
                    r->outcome[res.step] = res.outcome;
                    r->seconds[res.step] = res.seconds;
                    r->will_run[res.step] = res.outcome != OUT_SKIPPED;
                    r->done++;
                    got++;
                    if (res.outcome == OUT_FAILED && r->fail_fast)
                        r->stop = 1;
                }
            }
            close(pipefd[q]);
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || got == 0)
                for (size_t i = a; i < b; i++)
                    if (r->p->steps[i].subject == (long)q && r->outcome[i] == 0) {
                        r->outcome[i] = OUT_FAILED;
                        r->will_run[i] = 1;
                        fprintf(stderr, "bract pipeline: %s %s: the worker process died\n",
                                r->p->steps[i].stage, r->p->subjects[q]);
                    }
            running--;
        }
    }
    /* subjects never started (fail-fast) */
    for (size_t i = a; i < b; i++)
        if (r->outcome[i] == 0) {
            r->outcome[i] = OUT_NOTRUN;
            r->will_run[i] = 1;
        }
    free(pid);
    free(pipefd);
    return 0;
}

#ifdef BRACT_HAVE_MPI
/* Every rank ran its share of [a, b): share the outcomes. */
static void share_outcomes(runner *r, size_t a, size_t b)
{
    int n = (int)(b - a);
    int *out = calloc((size_t)n + 1, sizeof *out), *all = calloc((size_t)n + 1, sizeof *all);
    double *sec = calloc((size_t)n + 1, sizeof *sec), *asec = calloc((size_t)n + 1, sizeof *asec);
    if (!out || !all || !sec || !asec) {
        fprintf(stderr, "bract pipeline: out of memory sharing outcomes between ranks\n");
        MPI_Abort(MPI_COMM_WORLD, 1);
        return;
    }
    for (int i = 0; i < n; i++) {
        out[i] = r->outcome[a + (size_t)i];
        sec[i] = r->seconds[a + (size_t)i];
    }
    /* each step was run by exactly one rank, the others hold 0 */
    MPI_Allreduce(out, all, n, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    MPI_Allreduce(sec, asec, n, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    for (int i = 0; i < n; i++) {
        r->outcome[a + (size_t)i] = all[i];
        r->seconds[a + (size_t)i] = asec[i];
        r->will_run[a + (size_t)i] = all[i] != OUT_SKIPPED;
    }
    free(out);
    free(all);
    free(sec);
    free(asec);
}
#endif

static int do_plan(const cli_ctx *c, const pl_pipeline *p)
{
    unsigned char *will = calloc(p->nsteps + 1, 1);
    if (!will)
        return cli_error(c, "out of memory");
    size_t nrun = 0;
    printf("pipeline %s: %zu subjects, %zu steps; outputs under %s\n", p->file, p->nsubjects,
           p->nsteps, p->out_root);
    for (size_t i = 0; i < p->nsteps; i++) {
        char why[512];
        int st = cli_plan_status(p, i, will, why, sizeof why);
        will[i] = st != PL_UPTODATE;
        nrun += will[i];
        const pl_step *s = &p->steps[i];
        printf("%-6s %-16s %-12s %s\n", will[i] ? "run" : "skip", s->stage, subj_name(p, s), why);
        if (c->verbose)
            printf("       %s\n", s->cmdline);
    }
    printf("%zu of %zu steps would run\n", nrun, p->nsteps);
    free(will);
    return CLI_OK;
}

static int do_run(const cli_ctx *c, const pl_pipeline *p, int jobs, int fail_fast)
{
    runner r = {0};
    r.c = c;
    r.p = p;
    r.fail_fast = fail_fast;
    r.will_run = calloc(p->nsteps + 1, 1);
    r.outcome = calloc(p->nsteps + 1, sizeof *r.outcome);
    r.seconds = calloc(p->nsteps + 1, sizeof *r.seconds);
    r.why = calloc(p->nsteps + 1, sizeof *r.why);
    if (!r.will_run || !r.outcome || !r.seconds || !r.why) {
        free(r.why);
        free(r.will_run);
        free(r.outcome);
        free(r.seconds);
        return cli_error(c, "out of memory");
    }
    int rank = 0, size = 1;
#ifdef BRACT_HAVE_MPI
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
#endif
    int total_threads = bract_get_threads();
    int per_job = jobs > 1 ? (total_threads / jobs > 0 ? total_threads / jobs : 1) : total_threads;
    if (jobs > 1 || size > 1)
        cli_set_bars(0);
    if (c->quiet)
        cli_set_quiet(1);
    r.forked = size > 1; /* ranks cannot number the steps they share */
    double t0 = cli_now();
    for (size_t a = 0; a < p->nsteps;) {
        size_t b = a;
        if (p->steps[a].subject < 0) { /* a group step */
            b = a + 1;
            if (rank == 0) {
#ifdef BRACT_HAVE_MPI
                cli_set_comm(MPI_COMM_SELF);
#endif
                do_step(&r, a);
                report(&r, a);
            }
#ifdef BRACT_HAVE_MPI
            if (size > 1)
                share_outcomes(&r, a, b);
            cli_set_comm(MPI_COMM_WORLD);
#endif
            a = b;
            continue;
        }
        while (b < p->nsteps && p->steps[b].subject >= 0)
            b++;
        if (size > 1) {
#ifdef BRACT_HAVE_MPI
            cli_set_comm(MPI_COMM_SELF); /* ranks take whole subjects */
            for (size_t q = (size_t)rank; q < p->nsubjects; q += (size_t)size)
                run_subject(&r, a, b, (long)q);
            share_outcomes(&r, a, b);
            cli_set_comm(MPI_COMM_WORLD);
#endif
        } else if (jobs > 1 && p->nsubjects > 1) {
            if (run_wave_forked(&r, a, b, jobs, per_job) != 0) {
                free(r.why);
                free(r.will_run);
                free(r.outcome);
                free(r.seconds);
                return cli_error(c, "cannot start worker processes: %s", strerror(errno));
            }
        } else {
            for (size_t q = 0; q < p->nsubjects; q++)
                run_subject(&r, a, b, (long)q);
        }
        a = b;
    }
    size_t ran = 0, skipped = 0, failed = 0, notrun = 0;
    for (size_t i = 0; i < p->nsteps; i++) {
        ran += r.outcome[i] == OUT_RAN;
        skipped += r.outcome[i] == OUT_SKIPPED;
        failed += r.outcome[i] == OUT_FAILED;
        notrun += r.outcome[i] == OUT_NOTRUN;
    }
    if (rank == 0)
        fprintf(stderr,
                "bract pipeline: %zu steps: %zu run, %zu up to date, %zu failed, %zu not run; "
                "%.1f s\n",
                p->nsteps, ran, skipped, failed, notrun, cli_now() - t0);
    free(r.will_run);
    free(r.outcome);
    free(r.seconds);
    free(r.why);
    return failed || notrun ? CLI_DATA_ERROR : CLI_OK;
}

int main_pipeline(int argc, char **argv)
{
    static const struct option longopts[] = {{"data", required_argument, NULL, 'd'},
                                             {"out", required_argument, NULL, OPT_FIRST_CMD},
                                             {"jobs", required_argument, NULL, 'j'},
                                             {"fail-fast", no_argument, NULL, OPT_FIRST_CMD + 1},
                                             CLI_COMMON_LONGOPTS,
                                             {NULL, 0, NULL, 0}};
    cli_ctx c;
    cli_ctx_init(&c, "pipeline", usage_text);
    const char *data = NULL, *outdir = NULL;
    long jobs = 1;
    int fail_fast = 0, opt;
    while ((opt = getopt_long(argc, argv, ":d:j:h@:", longopts, NULL)) != -1) {
        int k = cli_common_option(&c, opt, optarg);
        if (k == 2)
            return CLI_OK;
        if (k < 0)
            return CLI_USAGE;
        if (k)
            continue;
        switch (opt) {
        case 'd': data = optarg; break;
        case OPT_FIRST_CMD: outdir = optarg; break;
        case 'j':
            if (cli_parse_long(&c, "--jobs", optarg, 1, 1024, &jobs))
                return CLI_USAGE;
            break;
        case OPT_FIRST_CMD + 1: fail_fast = 1; break;
        case ':': return cli_usage_error(&c, "option %s needs a value", argv[optind - 1]);
        default: return cli_usage_error(&c, "unknown option %s", argv[optind - 1]);
        }
    }
    if (argc == 1) {
        fputs(usage_text, stdout);
        return CLI_USAGE;
    }
    if (optind >= argc)
        return cli_usage_error(&c, "give run or plan, and a pipeline FILE");
    const char *action = argv[optind];
    if (strcmp(action, "run") && strcmp(action, "plan"))
        return cli_usage_error(&c, "unknown action '%s' (expected run or plan)", action);
    if (optind + 1 >= argc)
        return cli_usage_error(&c, "no pipeline FILE given");
    if (optind + 2 < argc)
        return cli_usage_error(&c, "one pipeline FILE at a time (got '%s' too)", argv[optind + 2]);
    const char *file = argv[optind + 1];
    cli_apply(&c);
    pl_pipeline *p;
    char err[2048];
    if (cli_plan_load(file, data, outdir, &p, err, sizeof err) != 0)
        return cli_error(&c, "%s", err);
    int rc = !strcmp(action, "plan") ? do_plan(&c, p) : do_run(&c, p, (int)jobs, fail_fast);
    cli_plan_free(p);
    return rc;
}
