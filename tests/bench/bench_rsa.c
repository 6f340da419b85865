/* Benchmarks of the RDM comparison engine (make bench).  Each figure is
 * printed with a baseline measured in the same run:
 *   - a 10,000-permutation Spearman test of two 360-condition RDMs (64,620
 *     pairs), against one Spearman correlation of the same vectors
 *     (bract_stats_spearman: both ranked);
 *   - Kendall's tau-b of the same RDMs (Knight's O(N log N)), against the
 *     same Spearman correlation;
 *   - one Spearman comparison of a 60-condition RDM with a prepared plan
 *     (what a searchlight does per sphere), against bract_stats_spearman on the
 *     same vectors. */
#include "benchutil.h"

#include <stdlib.h>

#include "bract/bract.h"

typedef struct {
    size_t n, np;
    double *x, *y, *rw;
    size_t *iw;
    bract_compare_plan *plan;
    bract_compare_ws *ws;
    double r;
    size_t nperm;
} bench;

static void make(bench *b, size_t n, bract_compare_method m)
{
    b->n = n;
    b->np = n * (n - 1) / 2;
    b->x = malloc(b->np * sizeof *b->x);
    b->y = malloc(b->np * sizeof *b->y);
    b->rw = malloc(2 * b->np * sizeof *b->rw);
    b->iw = malloc(2 * b->np * sizeof *b->iw);
    bract_rng r;
    bract_rng_init(&r, 42, 0, 0);
    for (size_t q = 0; q < b->np; q++) {
        b->y[q] = bract_rng_uniform(&r);
        b->x[q] = b->y[q] + 2 * bract_rng_uniform(&r);
    }
    bract_compare_opts o = {m, BRACT_PARTIAL_NONE, BRACT_NAN_MATCH};
    const double *mods[1] = {b->y};
    if (bract_compare_plan_new(&o, n, 1, mods, 0, NULL, &b->plan)) {
        fprintf(stderr, "bench_rsa: %s\n", bract_last_error());
        exit(1);
    }
    bract_compare_ws_new(b->plan, &b->ws);
}

static void unmake(bench *b)
{
    bract_compare_ws_free(b->ws);
    bract_compare_plan_free(b->plan);
    free(b->x);
    free(b->y);
    free(b->rw);
    free(b->iw);
}

static void one_spearman(void *arg)
{
    bench *b = arg;
    b->r = bract_stats_spearman(b->x, b->y, b->np, b->rw, b->iw);
}

static void plan_run(void *arg)
{
    bench *b = arg;
    bract_compare_run(b->plan, b->ws, b->x, &b->r);
}

static void permtest(void *arg)
{
    bench *b = arg;
    bract_perm_opts po = {b->nperm, 1, 0, BRACT_ALT_GREATER, NULL};
    double p;
    size_t used;
    if (bract_compare_permtest(b->plan, b->x, &po, &b->r, &p, &used, NULL)) {
        fprintf(stderr, "bench_rsa: %s\n", bract_last_error());
        exit(1);
    }
}

int main(void)
{
    bract_init();
    int threads = bract_set_threads(0);
    printf("bench_rsa (%d threads; shared machine: figures are noisy)\n", threads);
    bench b;
    make(&b, 360, BRACT_CMP_SPEARMAN);
    double base = bench_best(one_spearman, &b, 0.5);
    b.nperm = 10000;
    double t = bench_best(permtest, &b, 0.1);
    bench_report("spearman permutation test, 10,000 x 360 cond", t, "one spearman, 64,620 pairs",
                 base);
    printf("  %.3g us per permutation\n", 1e6 * t / 10000);
    bract_set_threads(1);
    t = bench_best(permtest, &b, 0.1);
    bench_report("  the same on 1 thread", t, "one spearman, 64,620 pairs", base);
    bract_set_threads(threads);
    unmake(&b);

    make(&b, 360, BRACT_CMP_KENDALL);
    base = bench_best(one_spearman, &b, 0.5);
    t = bench_best(plan_run, &b, 0.5);
    bench_report("kendall tau-b, 64,620 pairs (plan)", t, "one spearman, 64,620 pairs", base);
    unmake(&b);

    make(&b, 60, BRACT_CMP_SPEARMAN);
    base = bench_best(one_spearman, &b, 0.5);
    t = bench_best(plan_run, &b, 0.5);
    bench_report("spearman per sphere, 60 cond (plan)", t, "bract_stats_spearman, 1,770 pairs", base);
    unmake(&b);
    return 0;
}
