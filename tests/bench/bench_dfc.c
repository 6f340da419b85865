/* Benchmark of sliding-window correlations (make bench): 400 regions x 1200
 * volumes, rectangular window of 60, step 1 (1141 windows), against
 * computing each window's correlation matrix from scratch with one BLAS call
 * (dsyrk of the centred window) per window, measured in the same run.  Both
 * produce the condensed correlations of every window; the sink only reads
 * them.  Figures are noisy on a shared machine. */
#include "benchutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "bract/bract.h"

enum { NT = 1200, NREG = 400, WIN = 60 };

typedef struct {
    const double *x; /* region-major */
    double *z;       /* time-major copy */
    double *Y, *C, *fc;
    double check;
    bract_dfc_plan *plan;
} bench;

static int sink(void *ctx, size_t k, const double *fc)
{
    bench *b = ctx;
    b->check += fc[k % (NREG * (NREG - 1) / 2)];
    return 0;
}

static void run_engine(void *arg)
{
    bench *b = arg;
    b->check = 0;
    if (bract_dfc_run(b->plan, b->x, NULL, sink, b, NULL)) {
        fprintf(stderr, "bench_dfc: %s\n", bract_last_error());
        exit(1);
    }
}

/* The baseline: per window, centre the L x N block and one dsyrk. */
static void run_baseline(void *arg)
{
    bench *b = arg;
    size_t N = NREG, L = WIN, nwin = NT - WIN + 1;
    b->check = 0;
    for (size_t k = 0; k < nwin; k++) {
        for (size_t i = 0; i < N; i++) {
            double s = 0;
            for (size_t t = 0; t < L; t++)
                s += b->z[(k + t) * N + i];
            double m = s / (double)L;
            for (size_t t = 0; t < L; t++)
                b->Y[t * N + i] = b->z[(k + t) * N + i] - m;
        }
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)N, (int)L, 1.0, b->Y, (int)N,
                    0.0, b->C, (int)N);
        size_t p = 0;
        for (size_t i = 0; i < N; i++) {
            double si = 1 / sqrt(b->C[i * N + i]);
            for (size_t j = i + 1; j < N; j++)
                b->fc[p++] = b->C[i * N + j] * si / sqrt(b->C[j * N + j]);
        }
        sink(b, k, b->fc);
    }
}

int main(void)
{
    bract_init();
    size_t npairs = (size_t)NREG * (NREG - 1) / 2;
    double *x = malloc(sizeof(double) * NT * NREG), *z = malloc(sizeof(double) * NT * NREG);
    bract_rng rng;
    bract_rng_init(&rng, 1, 0, 0);
    for (size_t r = 0; r < NREG; r++) /* AR(1) series with a shared component */
        for (size_t t = 0; t < NT; t++) {
            double prev = t ? x[r * NT + t - 1] : 0;
            x[r * NT + t] = 0.6 * prev + bract_rng_normal(&rng) + (r ? 0.3 * x[t] : 0);
        }
    for (size_t r = 0; r < NREG; r++)
        for (size_t t = 0; t < NT; t++)
            z[t * NREG + r] = x[r * NT + t];
    bench b = {x, z, malloc(sizeof(double) * WIN * NREG), malloc(sizeof(double) * NREG * NREG),
               malloc(sizeof(double) * npairs), 0, NULL};
    bract_dfc_opts p;
    bract_dfc_opts_defaults(&p);
    p.window = WIN;
    if (bract_dfc_plan_new(NT, NREG, &p, &b.plan)) {
        fprintf(stderr, "bench_dfc: %s\n", bract_last_error());
        return 1;
    }
    printf("dfc: %d regions x %d volumes, window %d, step 1 (%zu windows x %zu pairs)\n", NREG,
           NT, WIN, bract_dfc_nwindows(b.plan), npairs);
    int threads = bract_get_threads();
    bract_set_threads(1);
    double base = bench_best(run_baseline, &b, 3.0);
    double one = bench_best(run_engine, &b, 3.0);
    bench_report("dfc rectangular, running updates, 1 thread", one,
                 "dsyrk per window, 1 thread", base);
    if (threads > 1) {
        bract_set_threads(threads);
        char name[64];
        snprintf(name, sizeof name, "dfc rectangular, running updates, %d threads", threads);
        double many = bench_best(run_engine, &b, 3.0);
        bench_report(name, many, "dsyrk per window, 1 thread", base);
    }
    bract_dfc_plan_free(b.plan);
    free(x);
    free(z);
    free(b.Y);
    free(b.C);
    free(b.fc);
    return 0;
}
