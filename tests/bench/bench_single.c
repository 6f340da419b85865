/* make bench: single-trial denoising (bract/single.h) on the problem
 * size: a 91x109x91 brain mask (228,483 voxels of the MNI 2 mm grid's
 * count), 8 runs of 200 volumes (TR 2 s), 100 trials per run (100 words,
 * each once per run, onsets 2 to 4.8 s apart).  Printed: the whole --denoise
 * (HRF library, noise components chosen by cross-validation, ridge) and,
 * as the baselines measured in the same run, the plain LSS beta series of
 * the same data (bract_glm_lss, run by run, OLS and AR(1) as bract glm
 * --trials lss); the peak resident memory.  GLMsingle (the issue, its issue #167): about 9 hours for 8 runs.
 * The target: under 10 minutes on 2 cores, under 8 GB.  The data are made
 * in memory (file reading and writing are not timed): 10% of the voxels
 * respond with their own HRF (peaks 4-7 s), every voxel has AR(1) noise and
 * 5 components shared by all voxels.  BENCH_SINGLE_VOXELS=N runs a smaller
 * problem (for development; the figures of the issue are for the default). */
#include "benchutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "bract/bract.h"

enum { NRUN = 8, NT = 200, NTRIAL = 100, NSTRUCT = 5 };
#define TR 2.0
#define DEFAULT_VOXELS 228483

typedef struct {
    size_t nvox;
    bract_events *ev[NRUN];
    float *y[NRUN];
    bract_single_run runs[NRUN];
} ctx;

static bract_events *make_events(bract_rng *g, size_t run)
{
    bract_events *e = calloc(1, sizeof *e);
    char name[64];
    snprintf(name, sizeof name, "bench_run-%zu_events.tsv", run + 1);
    e->path = strdup(name);
    e->n = NTRIAL;
    e->ev = calloc(NTRIAL, sizeof *e->ev);
    size_t perm[NTRIAL], gap[NTRIAL];
    for (size_t i = 0; i < NTRIAL; i++)
        perm[i] = gap[i] = i;
    bract_rng_shuffle(g, perm, NTRIAL);
    bract_rng_shuffle(g, gap, NTRIAL);
    double t = 6.0;
    for (size_t k = 0; k < NTRIAL; k++) {
        char lab[16];
        snprintf(lab, sizeof lab, "w%03zu", perm[k]);
        e->ev[k].onset = t;
        e->ev[k].duration = 1.0;
        e->ev[k].modulation = 1.0;
        e->ev[k].label = strdup(lab);
        e->ev[k].line = k + 2;
        /* onsets 2 to 4.8 s apart, shuffled: the last near 343 s, 57 s before the end */
        t += 2.0 + 2.8 * (double)gap[k] / (NTRIAL - 1);
    }
    return e;
}

/* 8 response shapes: gamma variates peaking at 4 .. 7 s with a small undershoot */
static double *kernel(size_t shape, size_t *len)
{
    double dt = TR / 50, p = 4.0 + 3.0 * (double)shape / 7.0, a = 5.0, b = p / a;
    size_t n = (size_t)(32.0 / dt);
    double *k = malloc(n * sizeof *k), mx = 0;
    for (size_t i = 0; i < n; i++) {
        double t = (double)i * dt;
        k[i] = t > 0 ? exp(a * log(t / b) - t / b) : 0;
        double u = t - p - 6;
        k[i] -= 0.1 * exp(-u * u / 8);
        mx = k[i] > mx ? k[i] : mx;
    }
    for (size_t i = 0; i < n; i++)
        k[i] /= mx;
    *len = n;
    return k;
}

static void make_data(ctx *c)
{
    bract_rng g;
    bract_rng_init(&g, 2026, 0, 0);
    bract_glm_design_opts dop;
    bract_glm_design_opts_defaults(&dop);
    double ft[NT];
    bract_glm_frame_times(NT, TR, 0, ft);
    enum { NSHAPE = 8, D = 4 };
    double emb[NTRIAL * D];
    for (size_t i = 0; i < NTRIAL * D; i++)
        emb[i] = bract_rng_normal(&g);
    for (size_t r = 0; r < NRUN; r++) {
        c->ev[r] = make_events(&g, r);
        /* trial regressors of each shape */
        double *xs = malloc(NSHAPE * NT * NTRIAL * sizeof *xs);
        for (size_t sh = 0; sh < NSHAPE; sh++) {
            size_t kl;
            double *k = kernel(sh, &kl);
            bract_hrf_plan *plan;
            if (bract_hrf_plan_new_kernel(&dop.hrf, k, kl, ft, NT, &plan)) {
                fprintf(stderr, "plan: %s\n", bract_last_error());
                exit(1);
            }
            free(k);
            for (size_t t = 0; t < NTRIAL; t++) {
                const bract_event *e = &c->ev[r]->ev[t];
                bract_hrf_plan_regressors(plan, &e->onset, &e->duration, &e->modulation, 1,
                                          xs + sh * NT * NTRIAL + t, NTRIAL);
            }
            bract_hrf_plan_free(plan);
        }
        double lat[NT * NSTRUCT];
        for (size_t k = 0; k < NSTRUCT; k++) {
            double e = 0;
            for (size_t t = 0; t < NT; t++) {
                e = 0.9 * e + 0.44 * bract_rng_normal(&g);
                lat[t * NSTRUCT + k] = e;
            }
        }
        float *y = c->y[r] = malloc(c->nvox * NT * sizeof *y);
        if (!y) {
            fprintf(stderr, "out of memory for the data\n");
            exit(1);
        }
        size_t cond[NTRIAL];
        for (size_t t = 0; t < NTRIAL; t++)
            cond[t] = (size_t)atoi(c->ev[r]->ev[t].label + 1);
#pragma omp parallel for schedule(static)
        for (size_t v = 0; v < c->nvox; v++) {
            bract_rng gv;
            bract_rng_init(&gv, 2026, 1 + v, (uint32_t)r);
            bract_rng gl;
            bract_rng_init(&gl, 2026, 1 + v, 1000); /* the voxel's own, every run */
            double load[NSTRUCT], u[D];
            for (size_t k = 0; k < NSTRUCT; k++)
                load[k] = bract_rng_normal(&gl);
            for (size_t d = 0; d < D; d++)
                u[d] = bract_rng_normal(&gl);
            size_t sh = (size_t)bract_rng_below(&gl, NSHAPE);
            int signal = v % 10 == 0;
            double amp[NTRIAL];
            if (signal)
                for (size_t t = 0; t < NTRIAL; t++) {
                    double a = 1.0;
                    for (size_t d = 0; d < D; d++)
                        a += 0.15 * emb[cond[t] * D + d] * u[d];
                    amp[t] = a;
                }
            double e = 0;
            const double *x = xs + sh * NT * NTRIAL;
            for (size_t t = 0; t < NT; t++) {
                e = 0.4 * e + bract_rng_normal(&gv);
                double val = 1000.0 + 2.0 * e;
                for (size_t k = 0; k < NSTRUCT; k++)
                    val += 1.5 * load[k] * lat[t * NSTRUCT + k];
                if (signal)
                    for (size_t k = 0; k < NTRIAL; k++)
                        val += 0.3 * amp[k] * x[t * NTRIAL + k];
                y[v * NT + t] = (float)val;
            }
        }
        free(xs);
        c->runs[r].events = c->ev[r];
        c->runs[r].confounds = NULL;
        c->runs[r].nvol = NT;
        c->runs[r].tr = TR;
        c->runs[r].y = y;
        c->runs[r].ldy = NT;
    }
}

/* The plain LSS beta series of every run (bract glm --trials lss; OLS or AR(1)). */
static double run_lss(ctx *c, bract_glm_noise noise)
{
    bract_glm_design_opts dop;
    bract_glm_design_opts_defaults(&dop);
    bract_glm_fit_opts fo;
    bract_glm_fit_opts_defaults(&fo);
    fo.noise = noise;
    double t0 = bench_now();
    for (size_t r = 0; r < NRUN; r++) {
        double *b;
        if (bract_glm_lss(c->ev[r], NT, TR, NULL, &dop, c->y[r], NT, c->nvox, &fo, NULL, &b)) {
            fprintf(stderr, "bract_glm_lss: %s\n", bract_last_error());
            exit(1);
        }
        free(b);
    }
    return bench_now() - t0;
}

static double run(ctx *c, const bract_single_opts *o, bract_single **keep)
{
    double t0 = bench_now();
    bract_single *res;
    if (bract_single_new(c->runs, NRUN, c->nvox, o, NULL, &res)) {
        fprintf(stderr, "bract_single_new: %s\n", bract_last_error());
        exit(1);
    }
    double dt = bench_now() - t0;
    if (keep)
        *keep = res;
    else
        bract_single_free(res);
    return dt;
}

int main(void)
{
    bract_init();
    ctx c;
    memset(&c, 0, sizeof c);
    const char *env = getenv("BENCH_SINGLE_VOXELS");
    c.nvox = env && atol(env) > 0 ? (size_t)atol(env) : DEFAULT_VOXELS;
    int threads = bract_set_threads(0);
    double t0 = bench_now();
    make_data(&c);
    printf("single-trial bench: %zu voxels x %d runs x %d volumes, %d trials per run, %d "
           "threads (data made in %.1f s)\n", c.nvox, NRUN, NT, NTRIAL, threads,
           bench_now() - t0);
    bract_single_opts full;
    bract_single_opts_defaults(&full);
    double t_lss = run_lss(&c, BRACT_GLM_NOISE_OLS);
    double t_ar1 = run_lss(&c, BRACT_GLM_NOISE_AR1);
    bract_single *res;
    double t_full = run(&c, &full, &res);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    bench_report("whole --denoise (HRF, components, ridge)", t_full, "(plain LSS, OLS)", t_lss);
    bench_report("whole --denoise (HRF, components, ridge)", t_full, "(plain LSS, AR(1))", t_ar1);
    printf("peak resident memory %.2f GB (data %.2f GB); target (issue): under 10 min and "
           "8 GB: %s\n", (double)ru.ru_maxrss / 1048576.0,
           (double)c.nvox * NRUN * NT * 4 / 1e9,
           t_full < 600 && ru.ru_maxrss < 8L * 1048576 ? "met" : "NOT met");
    printf("chosen: %d of %d noise components, %zu signal voxels, %zu in the pool; "
           "median split-half reliability:", res->npcs, res->max_pcs, res->nsignal, res->npool);
    for (size_t s = 0; s < res->nsteps; s++)
        printf(" %s %.3f", bract_single_step_name(res->steps[s].kind),
               res->steps[s].median_reliability);
    printf("\n");
    bract_single_free(res);
    for (size_t r = 0; r < NRUN; r++) {
        free(c.y[r]);
        bract_events_free(c.ev[r]);
    }
    return 0;
}
