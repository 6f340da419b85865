/* make bench: voxelwise cleaning (band-pass + 6 confounds + z-score) of a
 * synthetic 20000-voxel x 300-volume series.  Figures: all threads against
 * one thread, and one thread with a shared plan against rebuilding the plan
 * (filter design, spline and detrending bases, confound QR) for every
 * series, as a caller that cleans one column at a time would. */
#include "benchutil.h"

#include <math.h>
#include <stdlib.h>

#include "bract/bract.h"

enum { NVOX = 20000, NT = 300, NCONF = 6, NAIVE = 400 };

typedef struct {
    bract_clean_plan *plan;
    bract_volume *in;
    bract_clean_opts o;
    double *conf;
} ctx;

static void run_volume(void *arg)
{
    ctx *c = arg;
    bract_volume *out;
    bract_clean_volume(c->plan, c->in, NULL, &out, NULL, NULL, NULL);
    bract_volume_free(out);
    const char *const *w;
    bract_take_warnings(&w);
}

static void run_naive(void *arg)
{
    ctx *c = arg;
    double x[NT], y[NT];
    for (size_t i = 0; i < NAIVE; i++) {
        bract_clean_plan *p;
        bract_clean_plan_new(&c->o, NT, NULL, 0, c->conf, NCONF, NULL, &p);
        double *w = malloc(bract_clean_plan_ws_size(p) * sizeof *w);
        for (size_t t = 0; t < NT; t++)
            x[t] = bract_volume_get(c->in, i + (size_t)NVOX * t);
        bract_clean_series(p, x, y, w);
        free(w);
        bract_clean_plan_free(p);
    }
}

static void run_planned(void *arg)
{
    ctx *c = arg;
    double x[NT], y[NT];
    double *w = malloc(bract_clean_plan_ws_size(c->plan) * sizeof *w);
    for (size_t i = 0; i < NAIVE; i++) {
        for (size_t t = 0; t < NT; t++)
            x[t] = bract_volume_get(c->in, i + (size_t)NVOX * t);
        bract_clean_series(c->plan, x, y, w);
    }
    free(w);
}

int main(void)
{
    bract_init();
    ctx c;
    int64_t dims[4] = {NVOX, 1, 1, NT};
    double vox[3] = {2, 2, 2};
    bract_volume_new(dims, vox, NULL, 2.0, BRACT_F32, &c.in);
    unsigned long long u = 12345;
    for (size_t t = 0; t < NT; t++)
        for (size_t i = 0; i < NVOX; i++) {
            u = (1103515245ull * u + 12345ull) % 2147483648ull;
            double e = (double)u / 2147483648.0 - 0.5;
            bract_volume_set(c.in, i + (size_t)NVOX * t,
                             1000 + 20 * sin(0.05 * (double)t + (double)(i % 97)) + 5 * e);
        }
    c.conf = malloc(NCONF * NT * sizeof *c.conf);
    for (size_t k = 0; k < NCONF; k++)
        for (size_t t = 0; t < NT; t++)
            c.conf[k * NT + t] = sin(0.011 * (double)(k + 1) * (double)t + (double)k);
    bract_clean_opts_defaults(&c.o);
    c.o.tr = 2.0;
    c.o.high_pass = 0.01;
    c.o.low_pass = 0.1;
    bract_clean_plan_new(&c.o, NT, NULL, 0, c.conf, NCONF, NULL, &c.plan);

    int all = bract_set_threads(0);
    double t_all = bench_best(run_volume, &c, 1.0);
    bract_set_threads(1);
    double t_one = bench_best(run_volume, &c, 1.0);
    char name[96];
    snprintf(name, sizeof name, "clean 20000 vox x 300 vol, %d threads", all);
    bench_report(name, t_all, "(1 thread)", t_one);
    double t_plan = bench_best(run_planned, &c, 0.5), t_naive = bench_best(run_naive, &c, 0.5);
    bench_report("clean 400 series, shared plan", t_plan, "(plan per series)", t_naive);
    bract_clean_plan_free(c.plan);
    bract_volume_free(c.in);
    free(c.conf);
    return 0;
}
