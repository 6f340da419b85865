/* Benchmarks of the RDM engine and the embedding reader (make bench).
 *
 * 1. A correlation RDM of 360 conditions x 2000 voxels against one
 *    cblas_dsyrk of the same size (the Gram matrix every RDM method needs).
 * 2. A crossnobis RDM of one searchlight sphere (8 conditions x 12 runs,
 *    123 voxels, shrinkage_diag noise from the rows) against one dsyrk of its
 *    123 x 123 covariance.
 * 3. Looking up 360 words in a 3,000,000-word table, word2vec binary (100
 *    dimensions) and GloVe text (25 dimensions), written to $TMPDIR, against
 *    reading the same file with fread; with the growth of the peak resident
 *    memory.
 * Figures depend on the machine and its load (2 shared cores here): compare
 * the ratios. */
#include "benchutil.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cblas.h>

#include "bract/bract.h"

static double urand(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) / 9007199254740992.0 - 0.5;
}

typedef struct {
    const bract_rdm_plan *plan;
    bract_rdm_ws *ws;
    const double *x;
    size_t p;
    double *d;
} rdm_job;

static void run_rdm(void *arg)
{
    rdm_job *j = arg;
    if (bract_rdm_compute(j->plan, j->ws, j->x, j->p, j->p, NULL, j->d, NULL))
        fprintf(stderr, "bench: %s\n", bract_last_error());
}

typedef struct {
    const double *x;
    int n, k;
    double *g;
} syrk_job;

static void run_syrk(void *arg)
{
    syrk_job *j = arg;
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, j->n, j->k, 1.0, j->x, j->k, 0.0, j->g,
                j->n);
}

static bract_rdm_design *design(size_t ncond, size_t nrun)
{
    char **c = malloc(ncond * nrun * sizeof *c), **r = malloc(ncond * nrun * sizeof *r);
    char (*cb)[16] = malloc(ncond * sizeof *cb), (*rb)[16] = malloc(nrun * sizeof *rb);
    for (size_t i = 0; i < ncond; i++)
        snprintf(cb[i], 16, "w%zu", i);
    for (size_t i = 0; i < nrun; i++)
        snprintf(rb[i], 16, "%zu", i + 1);
    for (size_t m = 0; m < nrun; m++)
        for (size_t i = 0; i < ncond; i++) {
            c[m * ncond + i] = cb[i];
            r[m * ncond + i] = rb[m];
        }
    bract_rdm_design *d;
    if (bract_rdm_design_from_labels((const char *const *)c, (const char *const *)r, ncond * nrun,
                                 NULL, &d)) {
        fprintf(stderr, "bench: %s\n", bract_last_error());
        exit(1);
    }
    free(c);
    free(r);
    free(cb);
    free(rb);
    return d;
}

static void bench_correlation(void)
{
    const size_t n = 360, p = 2000;
    uint64_t s = 1;
    double *x = malloc(n * p * sizeof *x), *g = malloc(n * n * sizeof *g);
    double *d = malloc(n * (n - 1) / 2 * sizeof *d);
    for (size_t i = 0; i < n * p; i++)
        x[i] = urand(&s);
    bract_rdm_design *des = design(n, 1);
    bract_rdm_opts o = {.method = BRACT_RDM_CORRELATION};
    bract_rdm_plan *plan;
    bract_rdm_ws *ws;
    if (bract_rdm_plan_new(des, &o, p, 0, &plan) || bract_rdm_ws_new(plan, &ws)) {
        fprintf(stderr, "bench: %s\n", bract_last_error());
        exit(1);
    }
    rdm_job rj = {plan, ws, x, p, d};
    syrk_job sj = {x, (int)n, (int)p, g};
    double tb = bench_best(run_syrk, &sj, 1.0);
    double tr = bench_best(run_rdm, &rj, 1.0);
    bench_report("correlation RDM, 360 conditions x 2000 voxels", tr,
                 "one dsyrk 360 x 2000", tb);
    o.method = BRACT_RDM_EUCLIDEAN;
    bract_rdm_plan *pe;
    bract_rdm_ws *we;
    if (bract_rdm_plan_new(des, &o, p, 0, &pe) || bract_rdm_ws_new(pe, &we))
        exit(1);
    rdm_job ej = {pe, we, x, p, d};
    double te = bench_best(run_rdm, &ej, 1.0);
    bench_report("euclidean RDM, 360 conditions x 2000 voxels", te, "one dsyrk 360 x 2000", tb);
    bract_rdm_ws_free(we);
    bract_rdm_plan_free(pe);
    bract_rdm_ws_free(ws);
    bract_rdm_plan_free(plan);
    bract_rdm_design_free(des);
    free(x);
    free(g);
    free(d);
}

static void bench_sphere(void)
{
    const size_t ncond = 8, nrun = 12, p = 123, rows = ncond * nrun;
    uint64_t s = 2;
    double *x = malloc(rows * p * sizeof *x), *g = malloc(p * p * sizeof *g);
    double d[28];
    for (size_t i = 0; i < rows * p; i++)
        x[i] = urand(&s);
    bract_rdm_design *des = design(ncond, nrun);
    bract_rdm_opts o = {.method = BRACT_RDM_CROSSNOBIS, .noise = BRACT_NOISE_SHRINKAGE_DIAG};
    bract_rdm_plan *plan;
    bract_rdm_ws *ws;
    if (bract_rdm_plan_new(des, &o, p, 0, &plan) || bract_rdm_ws_new(plan, &ws)) {
        fprintf(stderr, "bench: %s\n", bract_last_error());
        exit(1);
    }
    rdm_job rj = {plan, ws, x, p, d};
    /* baseline: the covariance X'X of the sphere, as a row-major dsyrk of X' */
    double *xt = malloc(rows * p * sizeof *xt);
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < p; j++)
            xt[j * rows + i] = x[i * p + j];
    syrk_job sj = {xt, (int)p, (int)rows, g};
    double tb = bench_best(run_syrk, &sj, 0.5);
    double tr = bench_best(run_rdm, &rj, 0.5);
    bench_report("crossnobis sphere, 8 x 12 runs, 123 voxels", tr, "one dsyrk 123 x 96", tb);
    printf("%-44s %10.0f spheres/s per thread\n", "  (that is)", 1 / tr);
    bract_rdm_ws_free(ws);
    bract_rdm_plan_free(plan);
    bract_rdm_design_free(des);
    free(x);
    free(xt);
    free(g);
}

/* ---- embedding tables ---- */

static long peak_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static void word_of(size_t i, char *buf) { snprintf(buf, 24, "word%zu", i * 7919 % 3000000); }

static int write_table(const char *path, int binary, size_t nwords, size_t dim)
{
    FILE *fp = fopen(path, "wb");
    if (!fp)
        return -1;
    static char buf[1 << 16];
    setvbuf(fp, buf, _IOFBF, sizeof buf);
    uint64_t s = 3;
    if (binary)
        fprintf(fp, "%zu %zu\n", nwords, dim);
    char w[24];
    for (size_t i = 0; i < nwords; i++) {
        word_of(i, w);
        fputs(w, fp);
        if (binary) {
            fputc(' ', fp);
            for (size_t k = 0; k < dim; k++) {
                float f = (float)urand(&s);
                fwrite(&f, 4, 1, fp);
            }
            fputc('\n', fp);
        } else {
            for (size_t k = 0; k < dim; k++)
                fprintf(fp, " %.6f", urand(&s));
            fputc('\n', fp);
        }
    }
    return fclose(fp);
}

typedef struct {
    const char *path;
    const char *const *words;
    size_t n;
    size_t found;
} emb_job;

static void run_lookup(void *arg)
{
    emb_job *j = arg;
    bract_embedding *e;
    if (bract_embed_lookup(j->path, j->words, j->n, NULL, &e)) {
        fprintf(stderr, "bench: %s\n", bract_last_error());
        exit(1);
    }
    j->found = j->n - e->nmissing;
    bract_embed_free(e);
}

static void run_fread(void *arg)
{
    emb_job *j = arg;
    FILE *fp = fopen(j->path, "rb");
    static char buf[1 << 20];
    size_t got, sum = 0;
    while (fp && (got = fread(buf, 1, sizeof buf, fp)) > 0)
        sum += (unsigned char)buf[got - 1];
    if (fp)
        fclose(fp);
    j->found = sum;
}

static void bench_table(int binary, size_t dim)
{
    const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char path[512];
    snprintf(path, sizeof path, "%s/bract-bench-%d-%s", dir, (int)getpid(),
             binary ? "w2v.bin" : "glove.txt");
    const size_t nwords = 3000000, nwant = 360;
    if (write_table(path, binary, nwords, dim)) {
        fprintf(stderr, "bench: cannot write %s\n", path);
        return;
    }
    char (*wb)[24] = malloc(nwant * sizeof *wb);
    const char **want = malloc(nwant * sizeof *want);
    for (size_t i = 0; i < nwant; i++) {
        word_of(i * 8311 % nwords, wb[i]);
        want[i] = wb[i];
    }
    emb_job j = {path, want, nwant, 0};
    double tb = bench_best(run_fread, &j, 0.1);
    long before = peak_kb();
    double t = bench_best(run_lookup, &j, 0.1);
    long after = peak_kb();
    char name[96];
    snprintf(name, sizeof name, "360 words in 3M x %zu %s", dim, binary ? "word2vec-bin" : "GloVe text");
    bench_report(name, t, "fread of the same file", tb);
    printf("%-44s %zu of 360 found; peak memory grew by %ld kB (file %.0f MB)\n", "  (that is)",
           j.found, after - before,
           (double)(binary ? nwords * (12 + 4 * dim) : nwords * (12 + 10 * dim)) / 1e6);
    unlink(path);
    free(wb);
    free(want);
}

int main(void)
{
    bract_init();
    printf("bench_rdm (one thread; timings are noisy on a shared machine: read the ratios)\n");
    bench_table(1, 100); /* first, so that the peak memory shows the reader's own */
    bench_table(0, 25);
    bench_correlation();
    bench_sphere();
    return 0;
}
