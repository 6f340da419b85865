/* Benchmark of the searchlight (make bench).
 *
 * A whole brain: a 64 x 64 x 40 grid of 3 mm voxels whose ellipsoid mask
 * holds about 60,000 voxels, 60 conditions (one pattern each), correlation
 * RDMs, Spearman against one model RDM.  Spheres of 6 mm (33 voxels: the
 * radius the issue names) and of 9 mm (123 voxels: the sphere size it
 * names, which at 3 mm voxels is a radius of 3 voxels).  For each: the
 * wall time of the whole map on all threads, the time per sphere, the CPU
 * time, and the ratio to a floating-point lower bound measured in the same
 * run: one dgemm (OpenBLAS on as many threads) whose arithmetic equals that
 * of every sphere's condition x condition cross-products, n(n+1)P flops per
 * sphere of P voxels.  Then where a sphere's time goes (gathering its
 * patterns, the RDM engine and its dsyrk, the comparison), the speed-up of
 * two threads over one, and crossnobis (60 conditions x 4 runs, noise
 * estimated in each sphere) on a sample of centres, extrapolated.
 * rsatoolbox's figures (notes/rsa.md section 2.7) are printed alongside;
 * they were not measured here.  The machine is shared (2 cores): figures
 * are noisy, compare ratios. */
#include "benchutil.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <cblas.h>

#include "bract/bract.h"

#define NX 64
#define NY 64
#define NZ 40
#define NCOND 60

static void die(void)
{
    fprintf(stderr, "bench_searchlight: %s\n", bract_last_error());
    exit(1);
}

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec +
           (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
}

static long peak_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024;
}

static double urand(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) / 9007199254740992.0 - 0.5;
}

static bract_rdm_design *design(size_t nrun)
{
    size_t n = NCOND * nrun;
    char **c = malloc(n * sizeof *c), **r = malloc(n * sizeof *r);
    char (*cb)[16] = malloc(NCOND * sizeof *cb), (*rb)[16] = malloc(nrun * sizeof *rb);
    for (size_t i = 0; i < NCOND; i++)
        snprintf(cb[i], 16, "w%02zu", i);
    for (size_t m = 0; m < nrun; m++) {
        snprintf(rb[m], 16, "%zu", m + 1);
        for (size_t i = 0; i < NCOND; i++) {
            c[m * NCOND + i] = cb[i];
            r[m * NCOND + i] = rb[m];
        }
    }
    bract_rdm_design *d;
    if (bract_rdm_design_from_labels((const char *const *)c, (const char *const *)r, n, NULL, &d))
        die();
    free(c);
    free(r);
    free(cb);
    free(rb);
    return d;
}

typedef struct {
    bract_mask *mask;
    bract_volume *geom;
    bract_rdm_design *d;
    double *x;            /* rows x voxels */
    size_t rows;
    bract_searchlight_models *models;
} brain;

/* The mask, smooth patterns plus noise in every voxel, a model RDM. */
static void make_brain(brain *b, size_t nrun)
{
    int64_t dims[4] = {NX, NY, NZ, 1};
    double vox[3] = {3, 3, 3};
    if (bract_volume_new(dims, vox, NULL, 0, BRACT_F32, &b->geom))
        die();
    for (size_t i = 0; i < b->geom->nvox; i++) {
        double x = (double)(i % NX) - 31.5, y = (double)(i / NX % NY) - 31.5,
               z = (double)(i / (NX * NY)) - 19.5;
        bract_volume_set(b->geom, i, x * x / 900 + y * y / 900 + z * z / 256 <= 1);
    }
    if (bract_mask_from_volume(b->geom, &b->mask))
        die();
    b->d = design(nrun);
    b->rows = b->d->nobs;
    size_t V = b->mask->n;
    b->x = malloc(b->rows * V * sizeof *b->x);
    uint64_t s = 11;
    for (size_t k = 0; k < b->rows; k++) {
        size_t cond = b->d->obs_cond[k];
        for (size_t j = 0; j < V; j++) {
            size_t v = b->mask->index[j];
            double sig = sin(0.21 * (double)(v % NX) + 0.7 * (double)cond) *
                         cos(0.17 * (double)(v / NX % NY) - 0.3 * (double)cond);
            b->x[k * V + j] = sig + urand(&s);
        }
    }
    size_t np = NCOND * (NCOND - 1) / 2;
    char **cond = malloc(NCOND * sizeof *cond);
    for (size_t i = 0; i < NCOND; i++)
        cond[i] = b->d->cond[i];
    bract_rdm m = {"model", NCOND, cond, malloc(np * sizeof(double))};
    for (size_t q = 0; q < np; q++)
        m.d[q] = urand(&s) + 1;
    const bract_rdm *mv[1] = {&m};
    bract_compare_opts co = {BRACT_CMP_SPEARMAN, BRACT_PARTIAL_NONE, BRACT_NAN_MATCH};
    if (bract_searchlight_models_new(b->d, 1, mv, NULL, 0, NULL, NULL, &co, &b->models))
        die();
    free(m.d);
    free(cond);
}

static void free_brain(brain *b)
{
    bract_searchlight_models_free(b->models);
    bract_rdm_design_free(b->d);
    bract_mask_free(b->mask);
    bract_volume_free(b->geom);
    free(b->x);
}

static bract_searchlight *spheres(const brain *b, double radius)
{
    bract_searchlight_opts o = {.radius_mm = radius, .min_voxels = 2, .min_proportion = 0};
    bract_searchlight *s;
    if (bract_searchlight_new(b->mask, b->geom, &o, &s) ||
        bract_searchlight_set_columns(s, b->mask->index, b->mask->n))
        die();
    return s;
}

/* Flops of every sphere's cross-products: n(n+1)P each. */
static double cross_flops(const bract_searchlight *s)
{
    double f = 0;
    for (size_t c = 0; c < bract_searchlight_ncentres(s); c++)
        if (!bract_searchlight_left_out(s)[c])
            f += (double)NCOND * (NCOND + 1) * (double)bract_searchlight_sizes(s)[c];
    return f;
}

/* One dgemm of about `flops` on `threads` OpenBLAS threads: seconds. */
static double gemm_seconds(double flops, int threads)
{
    const int m = 2048;
    int k = (int)ceil(flops / (2.0 * m * m));
    double *a = malloc((size_t)m * (size_t)k * sizeof *a);
    double *bb = malloc((size_t)m * (size_t)k * sizeof *bb);
    double *c = malloc((size_t)m * m * sizeof *c);
    uint64_t s = 5;
    for (size_t i = 0; i < (size_t)m * (size_t)k; i++) {
        a[i] = urand(&s);
        bb[i] = urand(&s);
    }
    openblas_set_num_threads(threads);
    double best = 1e300;
    for (int rep = 0; rep < 2; rep++) {
        double t0 = bench_now();
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, m, k, 1.0, a, k, bb, k, 0.0, c,
                    m);
        double t = bench_now() - t0;
        if (t < best)
            best = t;
    }
    openblas_set_num_threads(1);
    free(a);
    free(bb);
    free(c);
    return best;
}

typedef struct {
    double wall, cpu;
    size_t computed;
} run_time;

static run_time whole_map(const brain *b, const bract_searchlight *s, bract_rdm_opts ro, size_t c1)
{
    size_t C = c1 ? c1 : bract_searchlight_ncentres(s);
    double *val = malloc(C * sizeof *val);
    unsigned char *st = malloc(C);
    bract_searchlight_input in = {b->d, ro, b->x, b->mask->n, NULL, 0, 0, b->models};
    run_time r;
    double c0 = cpu_seconds(), t0 = bench_now();
    if (bract_searchlight_run(s, &in, 0, C, val, st, NULL, NULL))
        die();
    r.wall = bench_now() - t0;
    r.cpu = cpu_seconds() - c0;
    r.computed = 0;
    for (size_t c = 0; c < C; c++)
        r.computed += st[c] == BRACT_SL_OK;
    free(val);
    free(st);
    return r;
}

/* ---- one sphere, step by step ---- */

typedef struct {
    const brain *b;
    const bract_searchlight *s;
    size_t centre, P;
    size_t *cols;
    double *xs, *d, *dm, r;
    bract_rdm_plan *plan;
    bract_rdm_ws *ws;
    bract_compare_plan *cp;
    bract_compare_ws *cw;
} sphere_job;

static void step_gather(void *arg)
{
    sphere_job *j = arg;
    size_t V = j->b->mask->n;
    j->P = bract_searchlight_sphere(j->s, j->centre, j->cols, NULL);
    for (size_t k = 0; k < j->b->rows; k++)
        for (size_t q = 0; q < j->P; q++)
            j->xs[k * j->P + q] = j->b->x[k * V + j->cols[q]];
}

static void step_rdm(void *arg)
{
    sphere_job *j = arg;
    if (bract_rdm_compute(j->plan, j->ws, j->xs, j->P, j->P, NULL, j->d, NULL))
        die();
}

static void step_syrk(void *arg)
{
    sphere_job *j = arg;
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, NCOND, (int)j->P, 1.0, j->xs,
                (int)j->P, 0.0, j->dm, NCOND);
}

static void step_compare(void *arg)
{
    sphere_job *j = arg;
    if (bract_compare_run(j->cp, j->cw, j->d, &j->r))
        die();
}

static void breakdown(const brain *b, const bract_searchlight *s)
{
    sphere_job j = {b, s, 0, 0, NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL};
    /* a centre in the middle of the brain */
    size_t mid = (size_t)(32 + NX * (32 + NY * 20));
    for (size_t c = 0; c < bract_searchlight_ncentres(s); c++)
        if (bract_searchlight_centres(s)[c] == mid)
            j.centre = c;
    size_t P = bract_searchlight_sizes(s)[j.centre];
    j.cols = malloc(P * sizeof *j.cols);
    j.xs = malloc(b->rows * P * sizeof *j.xs);
    j.d = malloc(NCOND * NCOND * sizeof *j.d);
    j.dm = malloc(NCOND * NCOND * sizeof *j.dm);
    bract_rdm_opts ro = {.method = BRACT_RDM_CORRELATION};
    if (bract_rdm_plan_new(b->d, &ro, P, 0, &j.plan) || bract_rdm_ws_new(j.plan, &j.ws))
        die();
    double *model = malloc(NCOND * NCOND * sizeof *model);
    uint64_t sd = 3;
    for (size_t q = 0; q < NCOND * (NCOND - 1) / 2; q++)
        model[q] = urand(&sd) + 1;
    const double *mv[1] = {model};
    bract_compare_opts co = {BRACT_CMP_SPEARMAN, BRACT_PARTIAL_NONE, BRACT_NAN_MATCH};
    if (bract_compare_plan_new(&co, NCOND, 1, mv, 0, NULL, &j.cp) || bract_compare_ws_new(j.cp, &j.cw))
        die();
    double tg = bench_best(step_gather, &j, 0.3);
    double tr = bench_best(step_rdm, &j, 0.3);
    double ts = bench_best(step_syrk, &j, 0.3);
    double tc = bench_best(step_compare, &j, 0.3);
    printf("  one sphere of %zu voxels, one thread: gather %.1f us, RDM engine %.1f us (of which "
           "its dsyrk %.1f us), Spearman %.1f us\n",
           P, tg * 1e6, tr * 1e6, ts * 1e6, tc * 1e6);
    bench_report("  RDM engine + comparison of one sphere", tr + tc + tg, "its dsyrk", ts);
    free(j.cols);
    free(j.xs);
    free(j.d);
    free(j.dm);
    free(model);
    bract_compare_ws_free(j.cw);
    bract_compare_plan_free(j.cp);
    bract_rdm_ws_free(j.ws);
    bract_rdm_plan_free(j.plan);
}

int main(void)
{
    bract_init();
    int threads = bract_get_threads();
    brain b;
    make_brain(&b, 1);
    printf("searchlight: %d x %d x %d grid of 3 mm voxels, %zu in the mask, %d conditions, "
           "correlation RDMs, Spearman, %d threads\n",
           NX, NY, NZ, b.mask->n, NCOND, threads);
    const double radii[2] = {6, 9};
    for (int i = 0; i < 2; i++) {
        bract_searchlight *s = spheres(&b, radii[i]);
        double flops = cross_flops(s);
        double tg = gemm_seconds(flops, threads);
        bract_rdm_opts ro = {.method = BRACT_RDM_CORRELATION};
        run_time rt = whole_map(&b, s, ro, 0);
        char name[96], base[96];
        snprintf(name, sizeof name, "whole map, %g mm spheres (%zu voxels)", radii[i],
                 bract_searchlight_full_size(s));
        snprintf(base, sizeof base, "dgemm of the same %.3g GFLOP", flops * 1e-9);
        bench_report(name, rt.wall, base, tg);
        printf("  %zu spheres: %.2f us per sphere (wall), CPU %.2f s (%.2f x wall), "
               "%.0f spheres/s\n",
               rt.computed, rt.wall / (double)rt.computed * 1e6, rt.cpu, rt.cpu / rt.wall,
               (double)rt.computed / rt.wall);
        if (radii[i] == 9) {
            /* rsatoolbox, notes/rsa.md 2.7 (not measured here): 723 RDMs/s at 93
             * voxels and 92 conditions, 274 eval_fixed Spearman/s on this
             * machine's 2 cores; 86 RDMs/s + 355 evaluations/s (3 jobs) in
             * its published demo (radius 5, 118 conditions) */
            double per = (double)rt.computed;
            printf("  rsatoolbox at its measured 723 RDMs/s + 274 Spearman evaluations/s: "
                   "%.0f s for these spheres (%.0f x this run)\n",
                   per / 723 + per / 274, (per / 723 + per / 274) / rt.wall);
            printf("  rsatoolbox's published demo rates (86 RDMs/s + 355 evaluations/s): %.0f s "
                   "(%.0f x)\n",
                   per / 86 + per / 355, (per / 86 + per / 355) / rt.wall);
            breakdown(&b, s);
            if (threads > 1) {
                bract_set_threads(1);
                run_time r1 = whole_map(&b, s, ro, 0);
                bract_set_threads(threads);
                bench_report("  the same map on 1 thread", r1.wall, "on all threads", rt.wall);
            }
        }
        bract_searchlight_free(s);
    }
    printf("  peak resident memory %ld MB (patterns %.0f MB)\n", peak_mb(),
           (double)b.rows * (double)b.mask->n * 8 / 1048576);
    free_brain(&b);

    /* crossnobis: 60 conditions x 4 runs, noise from each sphere's rows */
    make_brain(&b, 4);
    bract_searchlight *s = spheres(&b, 9);
    const size_t sample = 3000;
    bract_rdm_opts ro = {.method = BRACT_RDM_CROSSNOBIS, .noise = BRACT_NOISE_SHRINKAGE_DIAG};
    /* a slab of centres from the middle of the brain */
    size_t C = bract_searchlight_ncentres(s), first = C / 2;
    size_t c0 = first, c1 = first + sample < C ? first + sample : C;
    double *val = malloc((c1 - c0) * sizeof *val);
    unsigned char *st = malloc(c1 - c0);
    bract_searchlight_input in = {b.d, ro, b.x, b.mask->n, NULL, 0, 0, b.models};
    double t0 = bench_now(), cpu0 = cpu_seconds();
    if (bract_searchlight_run(s, &in, c0, c1, val, st, NULL, NULL))
        die();
    double t = bench_now() - t0, cpu = cpu_seconds() - cpu0;
    double per = t / (double)(c1 - c0);
    /* its lower bound: the covariance, its Cholesky factor, the whitening
     * and the cross-validated products of one full sphere, as flops */
    double P = (double)bract_searchlight_full_size(s), rows = (double)b.rows;
    double f = P * (P + 1) * rows + P * P * P / 3 + P * P * rows + 4 * 2.0 * NCOND * NCOND * P;
    double tg = gemm_seconds(f * (double)(c1 - c0), threads);
    bench_report("crossnobis 60 x 4 runs, 9 mm, 3000 centres", t,
                 "dgemm of their main flops", tg);
    printf("  %.1f us per sphere, CPU %.2f s; the whole brain (%zu centres) in about %.0f s\n",
           per * 1e6, cpu, C, per * (double)C);
    free(val);
    free(st);
    bract_searchlight_free(s);
    free_brain(&b);
    return 0;
}
