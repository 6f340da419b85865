/* Benchmark of sliding-window correlations (make bench): 400 regions x 1200
 * volumes, rectangular window of 60, step 1 (1141 windows), against
 * computing each window's correlation matrix from scratch with one BLAS call
 * (dsyrk of the centred window) per window, measured in the same run.  Both
 * produce the condensed correlations of every window; the sink only reads
 * them.  Then the writing of windows.npy (364 MB of float32): bract's npy
 * writer fed block by block as bract dfc feeds it (open, conversion, writes,
 * commit with its rename), against one fwrite of the same bytes and fclose,
 * in the same directory ($TMPDIR or /tmp), files removed between runs.
 * Figures are noisy on a shared machine. */
#include "benchutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* ---- writing windows.npy ---- */

typedef struct {
    bench *b;
    bract_npy_writer *w; /* bract's writer, or NULL to keep the windows */
    float *all;          /* the windows as float32, for the plain write */
    size_t npairs;
    double t;            /* seconds inside the writer */
} write_run;

static int write_sink(void *ctx, size_t k0, size_t n, const double *fc)
{
    write_run *c = ctx;
    if (!c->w) {
        for (size_t i = 0; i < n * c->npairs; i++)
            c->all[k0 * c->npairs + i] = (float)fc[i];
        return 0;
    }
    double t0 = bench_now();
    int rc = bract_npy_write_rows(c->w, fc, n);
    c->t += bench_now() - t0;
    return rc;
}

static void die(const char *what)
{
    fprintf(stderr, "bench_dfc: %s: %s\n", what, bract_last_error());
    exit(1);
}

/* bract's write time of windows.npy: the writer's calls only (the windows
 * are computed between them, as in bract dfc). */
static double bract_write(write_run *c, const char *path, size_t nwin)
{
    double t0 = bench_now();
    if (bract_npy_open(path, 1, nwin, c->npairs, &c->w))
        die(path);
    c->t = bench_now() - t0;
    if (bract_dfc_run_blocks(c->b->plan, c->b->x, NULL, write_sink, c, NULL))
        die("dfc");
    t0 = bench_now();
    if (bract_npy_commit(c->w))
        die(path);
    c->w = NULL;
    c->t += bench_now() - t0;
    unlink(path);
    return c->t;
}

/* The plain sequential write: the same number of bytes in one fwrite. */
static double plain_write(const void *buf, size_t bytes, const char *path)
{
    double t0 = bench_now();
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(buf, 1, bytes, f) != bytes || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
    double t = bench_now() - t0;
    unlink(path);
    return t;
}

static void bench_write(bench *b, size_t nwin, size_t npairs)
{
    const char *tmp = getenv("TMPDIR");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/bract-bench-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        perror(dir);
        exit(1);
    }
    char pb[4200], pp[4200];
    snprintf(pb, sizeof pb, "%s/windows.npy", dir);
    snprintf(pp, sizeof pp, "%s/plain.bin", dir);
    /* the same bytes: 128 of header, then the float32 windows */
    size_t bytes = 128 + nwin * npairs * sizeof(float);
    write_run c = {b, NULL, malloc(bytes), npairs, 0};
    if (!c.all) {
        fprintf(stderr, "bench_dfc: out of memory\n");
        exit(1);
    }
    c.all += 128 / sizeof(float);
    if (bract_dfc_run_blocks(b->plan, b->x, NULL, write_sink, &c, NULL))
        die("dfc");
    c.all -= 128 / sizeof(float);
    double tb = 1e300, tp = 1e300;
    for (int i = 0; i < 5; i++) { /* best of five, alternating */
        double t = plain_write(c.all, bytes, pp);
        tp = t < tp ? t : tp;
        t = bract_write(&c, pb, nwin);
        tb = t < tb ? t : tb;
    }
    char name[96];
    snprintf(name, sizeof name, "windows.npy writer (%.0f MB, %d threads)", (double)bytes / 1e6,
             bract_get_threads());
    bench_report(name, tb, "one fwrite + fclose, same bytes", tp);
    free(c.all);
    rmdir(dir);
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
    if (getenv("BENCH_DFC_WRITE_ONLY")) /* only the writing of windows.npy */
        goto write;
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
write:
    bench_write(&b, bract_dfc_nwindows(b.plan), npairs);
    bract_dfc_plan_free(b.plan);
    free(x);
    free(z);
    free(b.Y);
    free(b.C);
    free(b.fc);
    return 0;
}
