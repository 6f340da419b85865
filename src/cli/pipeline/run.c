/* The pipeline runner (run.h): steps in-process, waves of subject steps in
 * forked workers (-j) or over MPI ranks, group steps in between. */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* prctl */
#endif
#include "cli/pipeline/run.h"

#include "cli/derivatives.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

/* OUT_EXCLUDED: not part of this level (a group step at the participant
 * level), neither run nor reported. */
enum { OUT_RAN = 1, OUT_SKIPPED, OUT_FAILED, OUT_NOTRUN, OUT_EXCLUDED };

/* What a worker process tells the runner about one step. */
typedef struct {
    int32_t step;
    int32_t outcome;
    double seconds;
} step_result;

/* What happened to one step. */
typedef struct {
    int outcome; /* OUT_*, 0 before it is decided */
    double seconds;
    char why[512]; /* why it ran, or why it was not run */
} step_state;

typedef struct {
    const cli_ctx *c;
    const pl_pipeline *p;
    unsigned char *will_run; /* per step: decided to run (or ran), for cli_plan_status */
    step_state *st;          /* per step */
    int fail_fast;
    cli_run_level level;
    int stop;                /* fail-fast triggered */
    size_t done;             /* steps reported so far, for [k/N] */
    size_t total;            /* N: the steps of this level */
    int forked;              /* in a worker process or over ranks: no [k/N] numbering */
} runner;

/* ---- one step ---- */

/* The directory part of an output path, made if missing. */
static int make_parent(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path)
        return 0;
    char *dir = strndup(path, (size_t)(slash - path));
    int rc = dir ? bract_output_make_dir(dir, NULL) : -1;
    free(dir);
    return rc;
}

/* Run one step in this process: its command's entry point on its argv. */
static int run_step(const cli_ctx *c, const pl_pipeline *p, size_t i, double *seconds)
{
    const pl_step *s = &p->steps[i];
    for (size_t k = 0; k < s->noutputs; k++)
        if (make_parent(s->outputs[k]) != 0) {
            cli_error(c, "%s %s: %s", s->stage, cli_plan_subject(p, s), bract_last_error());
            return -1;
        }
    cli_plan_clean_temporaries(s);
    const cli_command *cmd = cli_find_command(s->argv[0]);
    /* argv: "bract" + the step's words for the sidecar, and a copy of the
     * words for the command (which may permute its argv) */
    size_t n = (size_t)s->argc;
    char **argv = malloc((2 * n + 3) * sizeof *argv);
    if (!argv)
        return -1;
    char **cargv = argv + n + 2;
    argv[0] = "bract";
    memcpy(argv + 1, s->argv, n * sizeof *argv);
    argv[n + 1] = NULL;
    memcpy(cargv, s->argv, n * sizeof *argv);
    cargv[n] = NULL;
    char **saved_argv = cli_cmdline_argv();
    int saved_argc = cli_cmdline_argc();
    cli_set_cmdline(s->argc + 1, argv); /* the sidecar records this step's command line */
    cli_log(c, "%s", s->cmdline);
    double t0 = cli_now();
    int rc = cmd->fn(s->argc, cargv);
    *seconds = cli_now() - t0;
    cli_set_cmdline(saved_argc, saved_argv);
    free(argv);
    fflush(stdout);
    return rc;
}

static void report(runner *r, size_t i)
{
    const pl_step *s = &r->p->steps[i];
    const step_state *st = &r->st[i];
    r->done++;
    const char *what = st->outcome == OUT_RAN       ? "done"
                       : st->outcome == OUT_SKIPPED ? "up to date"
                       : st->outcome == OUT_FAILED  ? "FAILED"
                                                    : "not run";
    char num[64] = "";
    if (r->level == CLI_RUN_GROUP && s->subject >= 0)
        r->done--; /* a subject step the group level needs: not one of its N */
    else if (!r->forked)
        snprintf(num, sizeof num, "[%zu/%zu] ", r->done, r->total);
    const char *subj = cli_plan_subject(r->p, s), *cmd = r->c->cmd;
    if (st->outcome == OUT_RAN && !r->c->quiet)
        fprintf(stderr, "bract %s: %s%s %s: done in %.1f s (%s)\n", cmd, num, s->stage, subj,
                st->seconds, st->why);
    else if (st->outcome == OUT_NOTRUN && st->why[0])
        fprintf(stderr, "bract %s: %s%s %s: not run: %s\n", cmd, num, s->stage, subj, st->why);
    else if (st->outcome != OUT_RAN && (!r->c->quiet || st->outcome == OUT_FAILED))
        fprintf(stderr, "bract %s: %s%s %s: %s\n", cmd, num, s->stage, subj, what);
}

/* At the group level a subject step is not run, only found up to date (or
 * not: then what needs it is not run either). */
static void check_subject_step(runner *r, size_t i)
{
    char why[512];
    step_state *st = &r->st[i];
    int status = cli_plan_status(r->p, i, r->will_run, why, sizeof why);
    if (status == PL_UPTODATE || status == PL_FORCED) {
        st->outcome = OUT_SKIPPED;
        return;
    }
    st->outcome = OUT_NOTRUN;
    r->will_run[i] = 1;
    snprintf(st->why, sizeof st->why, "%.300s; run the participant level for %.100s first", why,
             cli_plan_subject(r->p, &r->p->steps[i]));
}

/* Decide and run step i in this process. */
static void do_step(runner *r, size_t i)
{
    const pl_step *s = &r->p->steps[i];
    step_state *st = &r->st[i];
    if (st->outcome == OUT_EXCLUDED)
        return;
    if (r->level == CLI_RUN_GROUP && s->subject >= 0) {
        check_subject_step(r, i);
        return;
    }
    int blocked = r->stop;
    for (size_t d = 0; d < s->ndeps; d++)
        blocked |= r->st[s->deps[d]].outcome == OUT_FAILED ||
                   r->st[s->deps[d]].outcome == OUT_NOTRUN;
    if (blocked) {
        st->outcome = OUT_NOTRUN;
        r->will_run[i] = 1;
        return;
    }
    char why[512];
    if (cli_plan_status(r->p, i, r->will_run, why, sizeof why) == PL_UPTODATE) {
        st->outcome = OUT_SKIPPED;
        return;
    }
    r->will_run[i] = 1;
    snprintf(st->why, sizeof st->why, "%s", why);
    /* the step runs with --force: only over what a run of it wrote */
    char whose[1024];
    if (cli_plan_check_owned(s, whose, sizeof whose)) {
        cli_error(r->c, "%s %s: %s: the pipeline replaces only outputs it wrote (move the file "
                  "away or remove it to run this step)", s->stage, cli_plan_subject(r->p, s),
                  whose);
        st->outcome = OUT_FAILED;
        if (r->fail_fast)
            r->stop = 1;
        return;
    }
    cli_log(r->c, "%s %s: running (%s)", s->stage, cli_plan_subject(r->p, s), why);
    int rc = run_step(r->c, r->p, i, &st->seconds);
    st->outcome = rc == 0 ? OUT_RAN : OUT_FAILED;
    if (rc && r->fail_fast)
        r->stop = 1;
}

/* Steps [a, b) of a wave of subject stages: the steps of subject q. */
static void run_subject(runner *r, size_t a, size_t b, long q)
{
    for (size_t i = a; i < b; i++)
        if (r->p->steps[i].subject == q) {
            do_step(r, i);
            if (r->st[i].outcome != OUT_SKIPPED || r->level != CLI_RUN_GROUP)
                report(r, i);
        }
}

/* ---- waves in forked workers ---- */

typedef struct {
    pid_t pid; /* 0: not started */
    int fd;    /* read end of its pipe, -1 when closed */
} worker;

/* Fork a worker for subject q; -1 with errno when pipe() or fork() fails. */
static int start_worker(runner *r, size_t a, size_t b, size_t q, int threads, worker *w)
{
    int fd[2];
    if (pipe(fd) != 0)
        return -1;
    pid_t k = fork();
    if (k < 0) {
        int e = errno;
        close(fd[0]);
        close(fd[1]);
        errno = e;
        return -1;
    }
    if (k == 0) {
#ifdef __linux__
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* die with a killed runner */
#endif
        close(fd[0]);
        r->forked = 1;
        bract_set_threads(threads);
        run_subject(r, a, b, (long)q);
        for (size_t i = a; i < b; i++)
            if (r->p->steps[i].subject == (long)q) {
                step_result res = {(int32_t)i, r->st[i].outcome, r->st[i].seconds};
                if (write(fd[1], &res, sizeof res) != (ssize_t)sizeof res)
                    _exit(3);
            }
        fflush(NULL);
        _exit(0);
    }
    close(fd[1]);
    w->pid = k;
    w->fd = fd[0];
    return 0;
}

/* Worker q ended with `status`: its results, or its steps failed. */
static void collect(runner *r, size_t a, size_t b, size_t q, worker *w, int status)
{
    step_result res;
    int got = 0;
    while (read(w->fd, &res, sizeof res) == (ssize_t)sizeof res) {
        if (res.step < (int32_t)a || res.step >= (int32_t)b)
            continue;
        r->st[res.step].outcome = res.outcome;
        r->st[res.step].seconds = res.seconds;
        r->will_run[res.step] = res.outcome != OUT_SKIPPED;
        r->done++;
        got++;
        if (res.outcome == OUT_FAILED && r->fail_fast)
            r->stop = 1;
    }
    close(w->fd);
    w->fd = -1;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && got > 0)
        return;
    for (size_t i = a; i < b; i++)
        if (r->p->steps[i].subject == (long)q && r->st[i].outcome == 0) {
            r->st[i].outcome = OUT_FAILED;
            r->will_run[i] = 1;
            fprintf(stderr, "bract pipeline: %s %s: the worker process died\n",
                    r->p->steps[i].stage, r->p->subjects[q]);
        }
}

/* Run the subjects of the wave [a, b) in forked workers, at most `jobs` at
 * a time.  When a worker cannot be started, no more are, the running ones
 * are waited for (their results kept), and -1 is returned with errno. */
static int run_wave_forked(runner *r, size_t a, size_t b, int jobs, int threads)
{
    size_t ns = r->p->nsubjects, next = 0, running = 0;
    worker *w = calloc(ns, sizeof *w);
    if (!w)
        return -1;
    int err = 0;
    fflush(stdout);
    fflush(stderr);
    for (;;) {
        while (!err && !r->stop && next < ns && running < (size_t)jobs) {
            if (start_worker(r, a, b, next, threads, &w[next]) != 0) {
                err = errno;
                break;
            }
            next++;
            running++;
        }
        if (running == 0)
            break;
        int status;
        pid_t done = wait(&status);
        if (done < 0) {
            if (errno == EINTR)
                continue;
            err = errno;
            break;
        }
        for (size_t q = 0; q < next; q++)
            if (w[q].pid == done && w[q].fd >= 0) {
                collect(r, a, b, q, &w[q], status);
                running--;
            }
    }
    for (size_t q = 0; q < next; q++)
        if (w[q].fd >= 0)
            close(w[q].fd);
    free(w);
    /* subjects never started (fail-fast, or no worker could start) */
    for (size_t i = a; i < b; i++)
        if (r->st[i].outcome == 0) {
            r->st[i].outcome = OUT_NOTRUN;
            r->will_run[i] = 1;
        }
    errno = err;
    return err ? -1 : 0;
}

/* ---- waves over MPI ranks ---- */

#ifdef BRACT_HAVE_MPI
/* Every rank ran its share of [a, b): share the outcomes. */
static void share_outcomes(runner *r, size_t a, size_t b)
{
    int n = (int)(b - a);
    int *out = calloc(2 * (size_t)n + 2, sizeof *out);
    double *sec = calloc(2 * (size_t)n + 2, sizeof *sec);
    if (!out || !sec) {
        fprintf(stderr, "bract pipeline: out of memory sharing outcomes between ranks\n");
        MPI_Abort(MPI_COMM_WORLD, 1);
        return;
    }
    int *all = out + n + 1;
    double *asec = sec + n + 1;
    for (int i = 0; i < n; i++) {
        out[i] = r->st[a + (size_t)i].outcome;
        sec[i] = r->st[a + (size_t)i].seconds;
    }
    /* each step was run by exactly one rank, the others hold 0 */
    MPI_Allreduce(out, all, n, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    MPI_Allreduce(sec, asec, n, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    for (int i = 0; i < n; i++) {
        r->st[a + (size_t)i].outcome = all[i];
        r->st[a + (size_t)i].seconds = asec[i];
        r->will_run[a + (size_t)i] = all[i] != OUT_SKIPPED;
    }
    free(out);
    free(sec);
}

/* Ranks take whole subjects of the wave [a, b). */
static void run_wave_ranks(runner *r, size_t a, size_t b, int rank, int size)
{
    cli_set_comm(MPI_COMM_SELF);
    for (size_t q = (size_t)rank; q < r->p->nsubjects; q += (size_t)size)
        run_subject(r, a, b, (long)q);
    share_outcomes(r, a, b);
    cli_set_comm(MPI_COMM_WORLD);
}
#endif

/* A group step: on rank 0, the others learn its outcome. */
static void run_group_step(runner *r, size_t i, int rank, int size)
{
    (void)size;
    if (rank == 0) {
#ifdef BRACT_HAVE_MPI
        cli_set_comm(MPI_COMM_SELF);
#endif
        do_step(r, i);
        if (r->st[i].outcome != OUT_EXCLUDED)
            report(r, i);
    }
#ifdef BRACT_HAVE_MPI
    if (size > 1)
        share_outcomes(r, i, i + 1);
    cli_set_comm(MPI_COMM_WORLD);
#endif
}

/* ---- the whole plan ---- */

static int summary(const runner *r, int rank, double t0)
{
    size_t n[OUT_EXCLUDED + 1] = {0};
    for (size_t i = 0; i < r->p->nsteps; i++)
        n[r->st[i].outcome]++;
    if (rank == 0) {
        char later[64] = "";
        if (n[OUT_EXCLUDED])
            snprintf(later, sizeof later, " (%zu left to the group level)", n[OUT_EXCLUDED]);
        fprintf(stderr,
                "bract %s: %zu steps%s: %zu run, %zu up to date, %zu failed, %zu not run; "
                "%.1f s\n",
                r->c->cmd, r->p->nsteps - n[OUT_EXCLUDED], later, n[OUT_RAN], n[OUT_SKIPPED],
                n[OUT_FAILED], n[OUT_NOTRUN], cli_now() - t0);
    }
    return n[OUT_FAILED] || n[OUT_NOTRUN] ? CLI_DATA_ERROR : CLI_OK;
}

/* At the participant level: the group steps no subject step needs are
 * left out.  Steps come in dependency order, so one pass from the end
 * marks what the subject steps need. */
static int exclude_group_steps(runner *r)
{
    const pl_pipeline *p = r->p;
    unsigned char *need = calloc(p->nsteps + 1, 1);
    if (!need)
        return -1;
    for (size_t k = p->nsteps; k-- > 0;) {
        const pl_step *s = &p->steps[k];
        if (s->subject >= 0)
            need[k] = 1;
        if (need[k])
            for (size_t d = 0; d < s->ndeps; d++)
                need[s->deps[d]] = 1;
    }
    for (size_t k = 0; k < p->nsteps; k++)
        if (!need[k])
            r->st[k].outcome = OUT_EXCLUDED;
    free(need);
    return 0;
}

/* The output root's dataset_description.json (rank 0). */
static int describe(const cli_ctx *c, const pl_pipeline *p, const cli_run_opts *o)
{
    const char *root[1] = {p->data_root};
    if (cli_derivatives_describe(p->out_root, o->sources ? o->sources : root,
                                 o->sources ? o->nsources : 1))
        return cli_fail(c);
    return CLI_OK;
}

int cli_pipeline_run(const cli_ctx *c, const pl_pipeline *p, const cli_run_opts *o)
{
    runner r = {0};
    r.c = c;
    r.p = p;
    r.fail_fast = o->fail_fast;
    r.level = o->level;
    int jobs = o->jobs > 0 ? o->jobs : 1;
    r.will_run = calloc(p->nsteps + 1, 1);
    r.st = calloc(p->nsteps + 1, sizeof *r.st);
    if (!r.will_run || !r.st || (r.level == CLI_RUN_PARTICIPANT && exclude_group_steps(&r))) {
        free(r.will_run);
        free(r.st);
        return cli_error(c, "out of memory");
    }
    int rank = 0, size = 1;
#ifdef BRACT_HAVE_MPI
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
#endif
    for (size_t i = 0; i < p->nsteps; i++)
        r.total += r.level == CLI_RUN_GROUP ? p->steps[i].subject < 0
                                            : r.st[i].outcome != OUT_EXCLUDED;
    int drc = rank == 0 ? describe(c, p, o) : CLI_OK;
#ifdef BRACT_HAVE_MPI
    if (size > 1)
        MPI_Bcast(&drc, 1, MPI_INT, 0, MPI_COMM_WORLD);
#endif
    if (drc != CLI_OK) {
        free(r.will_run);
        free(r.st);
        return drc;
    }
    int total_threads = bract_get_threads();
    int per_job = jobs > 1 ? (total_threads / jobs > 0 ? total_threads / jobs : 1) : total_threads;
    if (jobs > 1 || size > 1)
        cli_set_bars(0);
    if (c->quiet)
        cli_set_quiet(1);
    r.forked = size > 1; /* ranks cannot number the steps they share */
    double t0 = cli_now();
    int rc = CLI_OK;
    for (size_t a = 0, b; a < p->nsteps && rc == CLI_OK; a = b) {
        if (p->steps[a].subject < 0) { /* a group step */
            run_group_step(&r, a, rank, size);
            b = a + 1;
            continue;
        }
        for (b = a; b < p->nsteps && p->steps[b].subject >= 0;)
            b++;
        if (r.level == CLI_RUN_GROUP) { /* subject steps are only checked */
            for (size_t q = 0; q < p->nsubjects; q++)
                run_subject(&r, a, b, (long)q);
        } else if (size > 1) {
#ifdef BRACT_HAVE_MPI
            run_wave_ranks(&r, a, b, rank, size);
#endif
        } else if (jobs > 1 && p->nsubjects > 1) {
            if (run_wave_forked(&r, a, b, jobs, per_job) != 0)
                rc = cli_error(c, "cannot start worker processes: %s", strerror(errno));
        } else {
            for (size_t q = 0; q < p->nsubjects; q++)
                run_subject(&r, a, b, (long)q);
        }
    }
    if (rc == CLI_OK)
        rc = summary(&r, rank, t0);
    free(r.will_run);
    free(r.st);
    return rc;
}

int cli_pipeline_print_plan(const cli_ctx *c, const pl_pipeline *p)
{
    unsigned char *will = calloc(p->nsteps + 1, 1);
    if (!will)
        return cli_error(c, "out of memory");
    size_t nrun = 0;
    printf("pipeline %s: %zu subjects, %zu steps; outputs under %s\n", p->file, p->nsubjects,
           p->nsteps, p->out_root);
    for (size_t i = 0; i < p->nsteps; i++) {
        char why[512];
        will[i] = cli_plan_status(p, i, will, why, sizeof why) != PL_UPTODATE;
        nrun += will[i];
        const pl_step *s = &p->steps[i];
        printf("%-6s %-16s %-12s %s\n", will[i] ? "run" : "skip", s->stage,
               cli_plan_subject(p, s), why);
        if (c->verbose)
            printf("       %s\n", s->cmdline);
    }
    printf("%zu of %zu steps would run\n", nrun, p->nsteps);
    free(will);
    return CLI_OK;
}
