/* make bench: bract group on a whole-brain-sized problem.
 *
 * 20 subjects' smooth correlation maps on a 64x64x40 grid with an
 * ellipsoidal mask of about 60,000 voxels, 5000 sign flips, on every
 * thread bract uses.  Baselines measured in the same run:
 *   - one t map: a plain two-pass mean/variance loop over the subjects at
 *     every voxel (what one flip must at least do);
 *   - one TFCE transform of the observed t map (bract_tfce);
 *   - TFCE by re-clustering at every threshold (bract_cluster_find per step,
 *     the textbook loop) against the union-find sweep.
 * Figures are printed, not asserted; the machine is shared, so they are
 * noisy. */
#include "benchutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bract/bract.h"

#define NX 64
#define NY 64
#define NZ 40
#define NSUB 20
#define NPERM 5000

/* n1 > 0: the same maps as two groups, the first n1 subjects and the rest */
static bract_group_data *make_data(size_t n1)
{
    size_t nvox = (size_t)NX * NY * NZ;
    unsigned char *mask = malloc(nvox);
    double *x = malloc(NSUB * nvox * sizeof *x), *a = malloc(nvox * sizeof *a),
           *b = malloc(nvox * sizeof *b);
    for (int k = 0; k < NZ; k++)
        for (int j = 0; j < NY; j++)
            for (int i = 0; i < NX; i++) {
                double u = (i - 31.5) / 28.4, v = (j - 31.5) / 28.4, w = (k - 19.5) / 17.8;
                mask[i + NX * (j + NY * k)] = u * u + v * v + w * w <= 1.0;
            }
    for (size_t s = 0; s < NSUB; s++) {
        bract_rng r;
        bract_rng_init(&r, 2026, s, 0);
        for (size_t v = 0; v < nvox; v++)
            a[v] = bract_rng_normal(&r);
        /* smooth: a 5-wide box filter along x, y and z, twice */
        const size_t stride[3] = {1, NX, (size_t)NX * NY};
        const int dim[3] = {NX, NY, NZ};
        for (int rep = 0; rep < 2; rep++)
            for (int ax = 0; ax < 3; ax++) {
                for (size_t v = 0; v < nvox; v++) {
                    int c = (int)((v / stride[ax]) % (size_t)dim[ax]);
                    double sum = 0;
                    int cnt = 0;
                    for (int d = -2; d <= 2; d++)
                        if (c + d >= 0 && c + d < dim[ax]) {
                            sum += a[(size_t)((long)v + d * (long)stride[ax])];
                            cnt++;
                        }
                    b[v] = sum / cnt;
                }
                memcpy(a, b, nvox * sizeof *a);
            }
        for (size_t v = 0; v < nvox; v++) /* SD of the smoothed noise is about 0.1 */
            x[s * nvox + v] = tanh(0.02 + 1.2 * a[v]);
    }
    bract_group_data *d;
    int rc = n1 ? bract_group_from_values_two_sample(x, n1, NSUB - n1, NX, NY, NZ, mask, NULL,
                                                     BRACT_GROUP_FISHER, 0, &d)
                : bract_group_from_values(x, NSUB, NX, NY, NZ, mask, NULL, BRACT_GROUP_FISHER, 0,
                                          &d);
    if (rc) {
        fprintf(stderr, "bench_group: %s\n", bract_last_error());
        exit(1);
    }
    free(mask);
    free(x);
    free(a);
    free(b);
    return d;
}

typedef struct {
    const bract_group_data *d;
    bract_group_opts o;
    double *t;
    const bract_cluster_graph *g;
    bract_cluster_ws *ws;
    double *out;
    double sink;
} ctx;

static void one_t_map(void *p)
{
    ctx *c = p;
    size_t n = c->d->n;
    const double *y = c->d->y;
    for (size_t v = 0; v < n; v++) {
        double m = 0, ss = 0;
        for (size_t s = 0; s < NSUB; s++)
            m += y[s * n + v];
        m /= NSUB;
        for (size_t s = 0; s < NSUB; s++)
            ss += (y[s * n + v] - m) * (y[s * n + v] - m);
        c->t[v] = m / sqrt(ss / (NSUB - 1) / NSUB);
    }
    c->sink += c->t[n / 2];
}

static void one_tfce(void *p)
{
    ctx *c = p;
    double mx;
    bract_tfce_opts tp;
    bract_tfce_opts_defaults(&tp);
    if (bract_tfce(c->g, &tp, c->t, c->out, &mx, c->ws))
        exit(1);
    c->sink += mx;
}

/* the textbook loop: cluster {t >= h} again at every step */
static void tfce_reclustering(void *p)
{
    ctx *c = p;
    size_t n = c->g->n;
    uint32_t *lab = malloc(n * sizeof *lab);
    size_t *size = malloc(n * sizeof *size);
    memset(c->out, 0, n * sizeof *c->out);
    for (double h = 0.1;; h += 0.1) {
        size_t ncl = bract_cluster_find(c->g, c->t, h, lab, size, NULL, c->ws);
        if (!ncl)
            break;
        for (size_t v = 0; v < n; v++)
            if (lab[v])
                c->out[v] += sqrt((double)size[lab[v] - 1]) * h * h * 0.1;
    }
    c->sink += c->out[n / 2];
    free(lab);
    free(size);
}

/* CPU seconds of the whole process (all threads): less sensitive than wall
 * time to other programs on a shared machine */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void run_group(void *p)
{
    ctx *c = p;
    bract_group_result *r;
    if (bract_group_run(c->d, &c->o, NULL, &r)) {
        fprintf(stderr, "bench_group: %s\n", bract_last_error());
        exit(1);
    }
    c->sink += r->p[0];
    bract_group_result_free(r);
}

int main(void)
{
    bract_init();
    bract_set_threads(0);
    bract_group_data *d = make_data(0);
    size_t n = d->n;
    ctx c = {0};
    c.d = d;
    c.t = malloc(n * sizeof *c.t);
    c.out = malloc(n * sizeof *c.out);
    bract_cluster_graph *g;
    if (bract_cluster_graph_new(NX, NY, NZ, d->vox, n, 26, &g))
        return 1;
    c.g = g;
    bract_cluster_ws_new(g, &c.ws);
    printf("bench_group: %d subjects, %zu of %d voxels in the mask, %d sign flips, %d threads\n",
           NSUB, n, NX * NY * NZ, NPERM, bract_get_threads());

    double t_map = bench_best(one_t_map, &c, 0.5);
    double hi = 0;
    for (size_t v = 0; v < n; v++)
        hi = fabs(c.t[v]) > hi ? fabs(c.t[v]) : hi;
    printf("observed max |t| %.2f (%zu TFCE steps of 0.1)\n", hi, (size_t)(hi / 0.1));
    double t_tfce = bench_best(one_tfce, &c, 0.5);
    double t_naive = bench_best(tfce_reclustering, &c, 0.5);
    bench_report("TFCE by re-clustering at every step", t_naive, "TFCE union-find sweep", t_tfce);
    bench_report("TFCE sweep", t_tfce, "one t map", t_map);

    /* wall and CPU time of whole runs; CPU/threads is the wall time the run
     * would take with every thread on a free core */
    static const char *const names[3] = {"group max-t, 5000 flips",
                                         "group max-t + cluster extent, 5000 flips",
                                         "group max-t + TFCE, 5000 flips"};
    double wall[3], cpu[3];
    for (int k = 0; k < 3; k++) {
        c.o = bract_group_opts_defaults();
        c.o.permutations = NPERM;
        c.o.cluster = k == 1;
        c.o.cluster_t = bract_stats_t_isf(0.001, NSUB - 1);
        c.o.tfce = k == 2;
        double w0 = bench_now(), c0 = cpu_now();
        run_group(&c);
        wall[k] = bench_now() - w0;
        cpu[k] = cpu_now() - c0;
        bench_report(names[k], wall[k], k == 2 ? "one TFCE transform" : "one t map",
                     k == 2 ? t_tfce : t_map);
        printf("  CPU %.3g s over all threads: %.3g ms per flip; %.3g s wall on %d free cores\n",
               cpu[k], 1e3 * cpu[k] / NPERM, cpu[k] / bract_get_threads(), bract_get_threads());
    }
    {
        /* two groups of 10: relabellings instead of sign flips, the same kernel */
        bract_group_data *d2 = make_data(NSUB / 2);
        ctx c2 = c;
        c2.d = d2;
        c2.o = bract_group_opts_defaults();
        c2.o.permutations = NPERM;
        double w0 = bench_now();
        run_group(&c2);
        bench_report("group two-sample (10 + 10) max-t, 5000 relabellings", bench_now() - w0,
                     "one-sample max-t, 5000 flips", wall[0]);
        c.sink += c2.sink;
        bract_group_data_free(d2);
    }
    printf("sink %g\n", c.sink > 0 ? 1.0 : 0.0);

    bract_cluster_ws_free(c.ws);
    bract_cluster_graph_free(g);
    free(c.t);
    free(c.out);
    bract_group_data_free(d);
    return 0;
}
