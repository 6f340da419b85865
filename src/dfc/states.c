/* k-means states, elbow, state-sequence statistics (see bract/states.h). */
#include "base/internal.h"

#include <math.h>
#include <string.h>

#include <lapacke.h>
#include <omp.h>

/* Random streams of k-means: substream tag in the high bits (see rng.h). */
#define KMEANS_SUBSTREAM 0x4b000000u
/* Dimensions handled together when updating centroids. */
#define DIM_BLOCK 512
/* Below this many distance terms a loop is not worth a thread team (on a
 * busy machine a team's barriers cost more than small loops). */
#define PAR_MIN_WORK 200000

static const char *const distance_names[] = {"l2", "l1"};

const char *bract_kmeans_metric_name(bract_kmeans_metric d)
{
    return (int)d >= 0 && d <= BRACT_DIST_L1 ? distance_names[d] : "unknown";
}

int bract_kmeans_metric_parse(const char *s, bract_kmeans_metric *out)
{
    int i;
    int rc = bract_name_lookup(s, distance_names, BRACT_DIST_L1 + 1, "k-means distance", &i);
    if (rc == BRACT_OK)
        *out = (bract_kmeans_metric)i;
    return rc;
}

void bract_kmeans_opts_defaults(bract_kmeans_opts *p)
{
    memset(p, 0, sizeof *p);
    p->k = 2;
    p->distance = BRACT_DIST_L2;
    p->restarts = 10;
    p->max_iter = 300;
    p->seed = 1;
}

void bract_kmeans_result_free(bract_kmeans_result *r)
{
    if (!r)
        return;
    free(r->centroid);
    free(r->label);
    free(r->dist);
    free(r->count);
    free(r);
}

double bract_kmeans_distance(const double *a, const double *c, size_t dim,
                             bract_kmeans_metric distance)
{
    double s = 0;
    if (distance == BRACT_DIST_L1)
        for (size_t d = 0; d < dim; d++)
            s += fabs(a[d] - c[d]);
    else
        for (size_t d = 0; d < dim; d++)
            s += (a[d] - c[d]) * (a[d] - c[d]);
    return s;
}

static double dist_f(const float *a, const double *c, size_t dim, bract_kmeans_metric distance)
{
    double s = 0;
    if (distance == BRACT_DIST_L1)
        for (size_t d = 0; d < dim; d++)
            s += fabs((double)a[d] - c[d]);
    else
        for (size_t d = 0; d < dim; d++) {
            double v = (double)a[d] - c[d];
            s += v * v;
        }
    return s;
}

size_t bract_kmeans_nearest(const double *centroids, size_t k, size_t dim,
                            bract_kmeans_metric distance, const double *point, double *dist)
{
    size_t best = 0;
    double bd = INFINITY;
    for (size_t c = 0; c < k; c++) {
        double v = bract_kmeans_distance(point, centroids + c * dim, dim, distance);
        if (v < bd) {
            bd = v;
            best = c;
        }
    }
    if (dist)
        *dist = bd;
    return best;
}

/* Value of rank `kth` (0-based) among a[0..n-1], by quickselect with a
 * three-way partition; afterwards every a[i], i < kth, is <= the result. */
static double select_kth(double *a, size_t n, size_t kth)
{
    size_t lo = 0, hi = n; /* the answer lies in a[lo..hi-1] */
    while (hi - lo > 1) {
        double pivot = a[lo + (hi - lo) / 2];
        size_t lt = lo, i = lo, gt = hi;
        while (i < gt) {
            double v = a[i];
            if (v < pivot) {
                a[i++] = a[lt];
                a[lt++] = v;
            } else if (v > pivot) {
                a[i] = a[--gt];
                a[gt] = v;
            } else {
                i++;
            }
        }
        if (kth < lt)
            hi = lt;
        else if (kth >= gt)
            lo = gt;
        else
            return pivot;
    }
    return a[lo];
}

/* MATLAB's median: the mean of the two middle values for an even count. */
static double median(double *a, size_t n)
{
    double hi = select_kth(a, n, n / 2);
    if (n % 2)
        return hi;
    double lo = a[0];
    for (size_t i = 1; i < n / 2; i++) /* after selection, a[0..n/2-1] <= hi */
        if (a[i] > lo)
            lo = a[i];
    return 0.5 * (lo + hi);
}

typedef struct {
    const float *x;
    size_t n, dim, k;
    bract_kmeans_metric distance;
    double *cent;    /* k x dim */
    size_t *label;
    double *dist;
    size_t *count;
    size_t **members;/* per cluster, built from labels */
    double *scratch; /* per thread: n x DIM_BLOCK (L1) */
    int nthreads;
} km_state;

/* Assign every point; returns the number of changed labels. */
static size_t assign(km_state *s, int first)
{
    size_t changed = 0;
#pragma omp parallel for schedule(static) reduction(+ : changed) \
    if (s->n * s->k * s->dim >= PAR_MIN_WORK)
    for (size_t i = 0; i < s->n; i++) {
        const float *xi = s->x + i * s->dim;
        size_t best = 0;
        double bd = INFINITY;
        for (size_t c = 0; c < s->k; c++) {
            double v = dist_f(xi, s->cent + c * s->dim, s->dim, s->distance);
            if (v < bd) {
                bd = v;
                best = c;
            }
        }
        if (first || best != s->label[i])
            changed++;
        s->label[i] = best;
        s->dist[i] = bd;
    }
    return changed;
}

static void count_members(km_state *s)
{
    memset(s->count, 0, s->k * sizeof *s->count);
    for (size_t i = 0; i < s->n; i++)
        s->count[s->label[i]]++;
}

/* A cluster without points takes the point farthest from its own centroid
 * among clusters with more than one point (ties to the lower index). */
static void fix_empty(km_state *s)
{
    count_members(s);
    for (size_t c = 0; c < s->k; c++) {
        if (s->count[c])
            continue;
        size_t far = s->n;
        double fd = -1;
        for (size_t i = 0; i < s->n; i++)
            if (s->count[s->label[i]] > 1 && s->dist[i] > fd) {
                fd = s->dist[i];
                far = i;
            }
        if (far == s->n)
            break; /* fewer distinct points than clusters: nothing to move */
        s->count[s->label[far]]--;
        s->label[far] = c;
        s->dist[far] = 0;
        s->count[c] = 1;
        for (size_t d = 0; d < s->dim; d++)
            s->cent[c * s->dim + d] = s->x[far * s->dim + d];
    }
}

static void update(km_state *s)
{
    size_t dim = s->dim, k = s->k, n = s->n;
    /* member lists, in point order */
    size_t *fill = s->count; /* reuse after copying the counts */
    size_t *cnt = bract_xcalloc(k, sizeof *cnt, "k-means counts");
    if (!cnt)
        return;
    for (size_t i = 0; i < n; i++)
        cnt[s->label[i]]++;
    size_t off = 0;
    for (size_t c = 0; c < k; c++) {
        fill[c] = off;
        off += cnt[c];
    }
    size_t *order = s->members[0];
    for (size_t i = 0; i < n; i++)
        order[fill[s->label[i]]++] = i;
    size_t nblocks = (dim + DIM_BLOCK - 1) / DIM_BLOCK;
#pragma omp parallel for schedule(dynamic, 1) if (n * dim >= PAR_MIN_WORK)
    for (size_t b = 0; b < nblocks; b++) {
        size_t d0 = b * DIM_BLOCK, d1 = d0 + DIM_BLOCK < dim ? d0 + DIM_BLOCK : dim;
        size_t start = 0;
        double *buf = s->scratch + (size_t)omp_get_thread_num() * n;
        for (size_t c = 0; c < k; c++) {
            const size_t *mem = order + start;
            size_t m = cnt[c];
            start += m;
            if (m == 0)
                continue;
            double *cc = s->cent + c * dim;
            if (s->distance == BRACT_DIST_L1) {
                for (size_t d = d0; d < d1; d++) {
                    for (size_t j = 0; j < m; j++)
                        buf[j] = s->x[mem[j] * dim + d];
                    cc[d] = median(buf, m);
                }
            } else {
                for (size_t d = d0; d < d1; d++)
                    cc[d] = 0;
                for (size_t j = 0; j < m; j++) {
                    const float *xi = s->x + mem[j] * dim;
                    for (size_t d = d0; d < d1; d++)
                        cc[d] += xi[d];
                }
                for (size_t d = d0; d < d1; d++)
                    cc[d] /= (double)m;
            }
        }
    }
    memcpy(s->count, cnt, k * sizeof *cnt);
    free(cnt);
}

/* k-means++ seeding from stream (seed, restart). */
static void seed_centres(km_state *s, uint64_t seed, size_t restart)
{
    bract_rng rng;
    bract_rng_init(&rng, seed, restart, KMEANS_SUBSTREAM | (uint32_t)s->k);
    size_t n = s->n, dim = s->dim;
    size_t first = (size_t)bract_rng_below(&rng, n);
    for (size_t d = 0; d < dim; d++)
        s->cent[d] = s->x[first * dim + d];
    double *dmin = s->dist;
#pragma omp parallel for schedule(static) if (n * dim >= PAR_MIN_WORK)
    for (size_t i = 0; i < n; i++)
        dmin[i] = dist_f(s->x + i * dim, s->cent, dim, s->distance);
    for (size_t c = 1; c < s->k; c++) {
        double total = 0;
        for (size_t i = 0; i < n; i++)
            total += dmin[i];
        size_t pick = n - 1;
        if (total > 0) {
            double u = bract_rng_uniform(&rng) * total, cum = 0;
            for (size_t i = 0; i < n; i++) {
                if (dmin[i] > 0)
                    pick = i; /* the last eligible point, if rounding leaves cum < u */
                cum += dmin[i];
                if (cum >= u && dmin[i] > 0)
                    break;
            }
        } else {
            pick = (size_t)bract_rng_below(&rng, n);
        }
        double *cc = s->cent + c * dim;
        for (size_t d = 0; d < dim; d++)
            cc[d] = s->x[pick * dim + d];
#pragma omp parallel for schedule(static) if (n * dim >= PAR_MIN_WORK)
        for (size_t i = 0; i < n; i++) {
            double v = dist_f(s->x + i * dim, cc, dim, s->distance);
            if (v < dmin[i])
                dmin[i] = v;
        }
    }
}

int bract_kmeans(const float *x, size_t n, size_t dim, const bract_kmeans_opts *p,
                 bract_kmeans_result **out, const bract_progress *progress)
{
    *out = NULL;
    if (p->k < 1 || p->k > n)
        return bract_error(BRACT_EINVAL, "k-means: %zu clusters for %zu windows (expected 1 "
                           "to %zu)", p->k, n, n);
    if (p->distance != BRACT_DIST_L1 && p->distance != BRACT_DIST_L2)
        return bract_error(BRACT_EINVAL, "k-means: unknown distance %d", (int)p->distance);
    if (dim == 0)
        return bract_error(BRACT_EINVAL, "k-means: points of dimension 0");
    for (size_t i = 0; i < n * dim; i++)
        if (!isfinite(x[i]))
            return bract_error(BRACT_EDATA, "k-means: window %zu, value %zu is not finite",
                               i / dim + 1, i % dim + 1);
    size_t k = p->k, restarts = p->restarts ? p->restarts : 1;
    int nthreads = bract_get_threads();
    km_state s = {x, n, dim, k, p->distance, NULL, NULL, NULL, NULL, NULL, NULL, nthreads};
    size_t *order = NULL;
    s.cent = bract_xmalloc(k * dim, sizeof *s.cent, "k-means centroids");
    s.label = bract_xmalloc(n, sizeof *s.label, "k-means labels");
    s.dist = bract_xmalloc(n, sizeof *s.dist, "k-means distances");
    s.count = bract_xmalloc(k, sizeof *s.count, "k-means counts");
    order = bract_xmalloc(n, sizeof *order, "k-means members");
    s.members = &order;
    s.scratch = bract_xmalloc((size_t)nthreads * n, sizeof *s.scratch, "k-means scratch");
    bract_kmeans_result *best = bract_xcalloc(1, sizeof *best, "k-means result");
    if (best) {
        best->centroid = bract_xmalloc(k * dim, sizeof *best->centroid, "k-means centroids");
        best->label = bract_xmalloc(n, sizeof *best->label, "k-means labels");
        best->dist = bract_xmalloc(n, sizeof *best->dist, "k-means distances");
        best->count = bract_xmalloc(k, sizeof *best->count, "k-means counts");
    }
    int rc = BRACT_OK;
    if (!s.cent || !s.label || !s.dist || !s.count || !order || !s.scratch || !best ||
        !best->centroid || !best->label || !best->dist || !best->count) {
        rc = BRACT_ENOMEM;
        goto done;
    }
    best->n = n;
    best->dim = dim;
    best->k = k;
    best->objective = INFINITY;
    for (size_t r = 0; r < restarts; r++) {
        seed_centres(&s, p->seed, r);
        size_t it = 0;
        int conv = 0;
        assign(&s, 1);
        fix_empty(&s);
        while (it < p->max_iter) {
            it++;
            update(&s);
            size_t changed = assign(&s, 0);
            fix_empty(&s);
            if (changed == 0) {
                conv = 1;
                break;
            }
        }
        double obj = 0;
        for (size_t i = 0; i < n; i++)
            obj += s.dist[i];
        if (obj < best->objective) {
            best->objective = obj;
            best->iterations = it;
            best->restart = r;
            best->converged = conv;
            memcpy(best->centroid, s.cent, k * dim * sizeof *s.cent);
            memcpy(best->label, s.label, n * sizeof *s.label);
            memcpy(best->dist, s.dist, n * sizeof *s.dist);
        }
        bract_progress_report(progress, r + 1, restarts);
    }
    /* number the states by decreasing size (ties: earlier first window) */
    {
        size_t *cnt = s.count, *firstw = order, *rank = bract_xmalloc(k, sizeof *rank, "ranks");
        double *tmp = bract_xmalloc(k * dim, sizeof *tmp, "centroids");
        if (!rank || !tmp) {
            free(rank);
            free(tmp);
            rc = BRACT_ENOMEM;
            goto done;
        }
        memset(cnt, 0, k * sizeof *cnt);
        for (size_t c = 0; c < k; c++)
            firstw[c] = n;
        for (size_t i = 0; i < n; i++) {
            cnt[best->label[i]]++;
            if (firstw[best->label[i]] == n)
                firstw[best->label[i]] = i;
        }
        for (size_t c = 0; c < k; c++)
            rank[c] = c;
        for (size_t a = 1; a < k; a++) /* insertion sort: k is small */
            for (size_t b = a; b > 0; b--) {
                size_t u = rank[b - 1], v = rank[b];
                if (cnt[v] > cnt[u] || (cnt[v] == cnt[u] && firstw[v] < firstw[u])) {
                    rank[b - 1] = v;
                    rank[b] = u;
                } else {
                    break;
                }
            }
        size_t *newid = bract_xmalloc(k, sizeof *newid, "ranks");
        if (!newid) {
            free(rank);
            free(tmp);
            rc = BRACT_ENOMEM;
            goto done;
        }
        for (size_t c = 0; c < k; c++) {
            newid[rank[c]] = c;
            memcpy(tmp + c * dim, best->centroid + rank[c] * dim, dim * sizeof *tmp);
            best->count[c] = cnt[rank[c]];
        }
        memcpy(best->centroid, tmp, k * dim * sizeof *tmp);
        for (size_t i = 0; i < n; i++)
            best->label[i] = newid[best->label[i]];
        free(newid);
        free(rank);
        free(tmp);
    }
done:
    free(s.cent);
    free(s.label);
    free(s.dist);
    free(s.count);
    free(order);
    free(s.scratch);
    if (rc) {
        bract_kmeans_result_free(best);
        return rc;
    }
    *out = best;
    return BRACT_OK;
}

double bract_kmeans_ratio(const float *x, const bract_kmeans_result *r, bract_kmeans_metric distance)
{
    size_t n = r->n, k = r->k, dim = r->dim;
    if (k < 2)
        return NAN;
    double *D = bract_xmalloc(n * k, sizeof *D, "distances");
    if (!D)
        return NAN;
#pragma omp parallel for schedule(static) if (n * k * dim >= PAR_MIN_WORK)
    for (size_t i = 0; i < n; i++)
        for (size_t c = 0; c < k; c++)
            D[i * k + c] = dist_f(x + i * dim, r->centroid + c * dim, dim, distance);
    double sum = 0;
    for (size_t c = 0; c < k; c++) {
        double in = 0, outd = 0;
        for (size_t i = 0; i < n; i++) {
            if (r->label[i] == c)
                in += D[i * k + c];
            else
                outd += D[i * k + c];
        }
        sum += in / outd;
    }
    free(D);
    return sum / (double)k;
}

int bract_kmeans_breakpoint(const double *k, const double *y, size_t m, double *breakpoint)
{
    *breakpoint = NAN;
    if (m < 4)
        return bract_error(BRACT_EDATA, "elbow: %zu points, at least 4 needed", m);
    double lo = k[1], hi = k[m - 2], best = INFINITY;
    size_t steps = (size_t)ceil((hi - lo) * 1000);
    double *A = bract_xmalloc(m * 3, sizeof *A, "elbow"), *b = bract_xmalloc(m, sizeof *b,
                                                                              "elbow");
    if (!A || !b) {
        free(A);
        free(b);
        return BRACT_ENOMEM;
    }
    for (size_t s = 0; s <= steps; s++) {
        double bp = lo + (double)s / 1000.0;
        if (bp > hi)
            bp = hi;
        for (size_t i = 0; i < m; i++) {
            A[i * 3] = 1;
            A[i * 3 + 1] = k[i];
            A[i * 3 + 2] = k[i] > bp ? k[i] - bp : 0;
            b[i] = y[i];
        }
        if (LAPACKE_dgels(LAPACK_ROW_MAJOR, 'N', (lapack_int)m, 3, 1, A, 3, b, 1) != 0)
            continue;
        double sse = 0;
        for (size_t i = 0; i < m; i++) {
            double f = b[0] + b[1] * k[i] + b[2] * (k[i] > bp ? k[i] - bp : 0);
            sse += (y[i] - f) * (y[i] - f);
        }
        if (isinf(best) || sse < best - 1e-12 * best) {
            best = sse;
            *breakpoint = bp;
        }
    }
    free(A);
    free(b);
    return isnan(*breakpoint) ? bract_error(BRACT_ENUMERIC, "elbow: no line could be fitted")
                              : BRACT_OK;
}

void bract_kmeans_elbow_result_free(bract_kmeans_elbow_result *r)
{
    if (!r)
        return;
    free(r->objective);
    free(r->ratio);
    free(r);
}

int bract_kmeans_elbow(const float *x, size_t n, size_t dim, const bract_kmeans_opts *p,
                       size_t kmin, size_t kmax, bract_kmeans_elbow_result **out,
                       const bract_progress *progress)
{
    *out = NULL;
    if (kmin == 0 || kmax < kmin || kmax > n)
        return bract_error(BRACT_EINVAL,
                           "k-means elbow: the range of k %zu-%zu must be within 1-%zu", kmin,
                           kmax, n);
    size_t m = kmax - kmin + 1;
    bract_kmeans_elbow_result *r = bract_xcalloc(1, sizeof *r, "k-means elbow");
    double *kk = bract_xmalloc(m, sizeof *kk, "k-means elbow");
    if (r) {
        r->objective = bract_xmalloc(m, sizeof *r->objective, "k-means elbow");
        r->ratio = bract_xmalloc(m, sizeof *r->ratio, "k-means elbow");
    }
    if (!r || !kk || !r->objective || !r->ratio) {
        free(kk);
        bract_kmeans_elbow_result_free(r);
        return BRACT_ENOMEM;
    }
    r->kmin = kmin;
    r->kmax = kmax;
    r->m = m;
    for (size_t j = 0; j < m; j++) {
        bract_kmeans_opts q = *p;
        q.k = kmin + j;
        bract_kmeans_result *km;
        int rc = bract_kmeans(x, n, dim, &q, &km, NULL);
        if (rc) {
            free(kk);
            bract_kmeans_elbow_result_free(r);
            return rc;
        }
        kk[j] = (double)q.k;
        r->objective[j] = km->objective;
        r->ratio[j] = bract_kmeans_ratio(x, km, p->distance);
        bract_kmeans_result_free(km);
        bract_progress_report(progress, j + 1, m);
    }
    /* GIFT drops k = 1 (it has no ratio) before fitting the L-curve */
    size_t j0 = kmin == 1 ? 1 : 0;
    r->breakpoint = NAN;
    if (m - j0 >= 4 && bract_kmeans_breakpoint(kk + j0, r->ratio + j0, m - j0, &r->breakpoint) == BRACT_OK)
        r->k = (size_t)ceil(r->breakpoint - 1e-9);
    else {
        bract_clear_error();
        r->breakpoint = NAN;
    }
    free(kk);
    *out = r;
    return BRACT_OK;
}

int bract_states_stats(const size_t *seq, size_t n, size_t k, double *fraction,
                      double *mean_dwell, size_t *transitions, double *tm)
{
    if (n == 0 || k == 0)
        return bract_error(BRACT_EINVAL, "state statistics of an empty sequence");
    for (size_t t = 0; t < n; t++)
        if (seq[t] >= k)
            return bract_error(BRACT_EINVAL, "state %zu at position %zu, expected below %zu",
                               seq[t], t + 1, k);
    size_t *cnt = bract_xcalloc(k, sizeof *cnt, "state counts");
    size_t *runs = bract_xcalloc(k, sizeof *runs, "state runs");
    size_t *from = bract_xcalloc(k, sizeof *from, "state counts");
    size_t *pair = bract_xcalloc(k * k, sizeof *pair, "transition counts");
    if (!cnt || !runs || !from || !pair) {
        free(cnt);
        free(runs);
        free(from);
        free(pair);
        return BRACT_ENOMEM;
    }
    size_t nt = 0;
    for (size_t t = 0; t < n; t++) {
        cnt[seq[t]]++;
        if (t == 0 || seq[t] != seq[t - 1])
            runs[seq[t]]++;
        if (t + 1 < n) {
            from[seq[t]]++;
            pair[seq[t] * k + seq[t + 1]]++;
            nt += seq[t + 1] != seq[t];
        }
    }
    for (size_t j = 0; j < k; j++) {
        if (fraction)
            fraction[j] = (double)cnt[j] / (double)n;
        if (mean_dwell)
            mean_dwell[j] = runs[j] ? (double)cnt[j] / (double)runs[j] : 0;
        if (tm)
            for (size_t i = 0; i < k; i++)
                tm[j * k + i] = from[j] ? (double)pair[j * k + i] / (double)from[j]
                                        : (double)(i == j);
    }
    if (transitions)
        *transitions = nt;
    free(cnt);
    free(runs);
    free(from);
    free(pair);
    return BRACT_OK;
}

double bract_kmeans_adjusted_rand(const size_t *a, const size_t *b, size_t n)
{
    size_t ka = 0, kb = 0;
    for (size_t i = 0; i < n; i++) {
        if (a[i] + 1 > ka)
            ka = a[i] + 1;
        if (b[i] + 1 > kb)
            kb = b[i] + 1;
    }
    size_t cells = ka * kb;
    size_t *ct = calloc(cells ? cells : 1, sizeof *ct);
    size_t *ra = calloc(ka ? ka : 1, sizeof *ra), *rb = calloc(kb ? kb : 1, sizeof *rb);
    if (!ct || !ra || !rb) {
        free(ct);
        free(ra);
        free(rb);
        return NAN;
    }
    for (size_t i = 0; i < n; i++) {
        ct[a[i] * kb + b[i]]++;
        ra[a[i]]++;
        rb[b[i]]++;
    }
#define C2(x) ((double)(x) * ((double)(x) - 1) / 2)
    double sij = 0, sa = 0, sb = 0;
    for (size_t i = 0; i < ka * kb; i++)
        sij += C2(ct[i]);
    for (size_t i = 0; i < ka; i++)
        sa += C2(ra[i]);
    for (size_t j = 0; j < kb; j++)
        sb += C2(rb[j]);
    double expected = sa * sb / C2(n), maxi = 0.5 * (sa + sb);
#undef C2
    free(ct);
    free(ra);
    free(rb);
    if (maxi == expected)
        return 1.0; /* both trivial (scikit-learn returns 1) */
    return (sij - expected) / (maxi - expected);
}
