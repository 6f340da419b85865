/* Threshold-free cluster enhancement by a top-down union-find sweep.
 *
 * CoSMoMVPA's definition (bract/tfce.h): at thresholds thr_1 < thr_2 <
 * ... (thr_k = thr_{k-1} + dh, accumulated), each voxel of a cluster C of
 * {x >= thr_k} gains |C|^E w_k with w_k = thr_k^H dh.  A voxel with level
 * L (the largest k with thr_k <= x) takes part in steps 1..L.  Going from
 * the highest step down, voxels only join, so the clusters of every step
 * come from one union-find: voxels of level k enter at step k and merge
 * with their neighbours already present.  A root keeps the step `top` from
 * which its current size has counted without being booked yet; when the
 * cluster is about to change at step k, |C|^E (cum[top] - cum[k]) is added
 * to the root's accumulator (cum = prefix sums of w), and a voxel's value
 * is the sum of the accumulators on its path to the root (a child's
 * accumulator is kept relative to its parent's).  Work: O(n + edges) per
 * map plus the table of thresholds. */
#include "stats/cluster_internal.h"

#include <math.h>
#include <string.h>

#define TFCE_MAX_STEPS 10000000u

void bract_tfce_opts_defaults(bract_tfce_opts *o)
{
    o->E = 0.5;
    o->H = 2;
    o->dh = 0.1;
}

static int check_params(const bract_tfce_opts *p)
{
    if (!(p->E > 0) || !isfinite(p->E) || !(p->H > 0) || !isfinite(p->H) || !(p->dh > 0) ||
        !isfinite(p->dh))
        return bract_error(BRACT_EINVAL,
                           "TFCE parameters must be positive and finite (E %g, H %g, dh %g)",
                           p->E, p->H, p->dh);
    return BRACT_OK;
}

int bract_tfce_reserve(bract_cluster_ws *ws, const bract_tfce_opts *p, double max_value)
{
    int rc = check_params(p);
    if (rc)
        return rc;
    if (isinf(max_value))
        return bract_error(BRACT_EINVAL, "TFCE of an infinite value is undefined");
    if (!(max_value >= 0))
        max_value = 0;
    size_t have = ws->tab_n; /* thr[0 .. have-1] are built */
    if (have && (ws->tab_dh != p->dh || ws->tab_H != p->H))
        have = 0; /* other parameters: rebuild */
    if (have >= 2 && ws->thr[have - 1] > max_value) {
        ws->kcap = have - 2;
        return BRACT_OK;
    }
    double steps = max_value / p->dh;
    if (steps > (double)TFCE_MAX_STEPS)
        return bract_error(BRACT_EINVAL,
                           "TFCE of a value of %g in steps of %g would take %.3g thresholds "
                           "(at most %u)",
                           max_value, p->dh, steps, TFCE_MAX_STEPS);
    size_t need = (size_t)steps + 8; /* entries; accumulation drifts by far less */
    if (need > ws->tab_alloc) {
        size_t cap = need < 64 ? 64 : need + need / 2;
        double *thr = bract_xrealloc(ws->thr, cap, sizeof *thr, "TFCE thresholds");
        if (!thr)
            return BRACT_ENOMEM;
        ws->thr = thr;
        double *cum = bract_xrealloc(ws->cum, cap, sizeof *cum, "TFCE thresholds");
        if (!cum)
            return BRACT_ENOMEM;
        ws->cum = cum;
        size_t *count = bract_xrealloc(ws->count, cap, sizeof *count, "TFCE thresholds");
        if (!count)
            return BRACT_ENOMEM;
        ws->count = count;
        ws->tab_alloc = cap;
    }
    double *thr = ws->thr, *cum = ws->cum;
    if (have == 0) {
        thr[0] = cum[0] = 0.0;
        have = 1;
    }
    ws->tab_dh = p->dh;
    ws->tab_H = p->H;
    /* extend, exactly as the accumulation runs, until thr[last] > max_value */
    while (thr[have - 1] <= max_value) {
        if (have >= ws->tab_alloc) {
            ws->tab_n = have;
            return bract_error(BRACT_ENUMERIC, "TFCE threshold table overflow at %g",
                               thr[have - 1]);
        }
        thr[have] = thr[have - 1] + p->dh;
        if (!(thr[have] > thr[have - 1])) {
            ws->tab_n = have;
            return bract_error(BRACT_EINVAL,
                               "TFCE step dh = %g is too small to raise the threshold above %g",
                               p->dh, thr[have - 1]);
        }
        cum[have] = cum[have - 1] + pow(thr[have], p->H) * p->dh;
        have++;
    }
    ws->tab_n = have;
    ws->kcap = have - 2; /* thr[kcap + 1] > max_value */
    return BRACT_OK;
}

/* Root of x; compresses the path, keeping every accumulator relative to
 * the new parent (the root).  Union by size bounds the depth by log2(n). */
static inline uint32_t find_acc(uint32_t *parent, double *acc, uint32_t x)
{
    uint32_t path[64];
    int m = 0;
    while (parent[x] != x) {
        path[m++] = x;
        x = parent[x];
    }
    for (int i = m - 2; i >= 0; i--) {
        uint32_t v = path[i];
        acc[v] += acc[parent[v]];
        parent[v] = x;
    }
    return x;
}

static inline double extent(double s, double E)
{
    return E == 0.5 ? sqrt(s) : pow(s, E);
}

/* Book root r's pending steps k+1 .. top with its current size. */
static inline void flush(uint32_t *top, const uint32_t *sz, double *acc, const double *cum,
                         uint32_t r, uint32_t k, double E)
{
    uint32_t t = top[r];
    if (t > k) {
        acc[r] += extent((double)sz[r], E) * (cum[t] - cum[k]);
        top[r] = k;
    }
}

int bract_tfce(const bract_cluster_graph *g, const bract_tfce_opts *p, const double *x, double *out,
               double *max_out, bract_cluster_ws *ws)
{
    int rc = check_params(p);
    if (rc)
        return rc;
    size_t n = g->n;
    double hi = 0;
    for (size_t i = 0; i < n; i++) {
        if (isinf(x[i]))
            return bract_error(BRACT_EINVAL, "TFCE of an infinite value (node %zu) is undefined",
                               i + 1);
        if (x[i] > hi)
            hi = x[i];
    }
    if ((rc = bract_tfce_reserve(ws, p, hi)))
        return rc;
    const double *thr = ws->thr, *cum = ws->cum, dh = p->dh, E = p->E;
    size_t kcap = ws->kcap;
    uint32_t *level = ws->level, *order = ws->order;
    size_t *count = ws->count;

    /* level of each node: the largest k with thr[k] <= x (0: none) */
    uint32_t kmax = 0;
    for (size_t i = 0; i < n; i++) {
        double v = x[i];
        uint32_t k = 0;
        if (v >= thr[1]) {
            double est = v / dh;
            size_t e = est < (double)kcap ? (size_t)est : kcap;
            while (e < kcap && thr[e + 1] <= v)
                e++;
            while (e > 0 && thr[e] > v)
                e--;
            k = (uint32_t)e;
        }
        level[i] = k;
        if (k > kmax)
            kmax = k;
    }
    memset(out, 0, n * sizeof *out);
    if (max_out)
        *max_out = 0;
    if (kmax == 0)
        return BRACT_OK;

    /* counting sort, highest level first, nodes ascending within a level */
    memset(count, 0, ((size_t)kmax + 2) * sizeof *count);
    for (size_t i = 0; i < n; i++)
        count[level[i]]++;
    size_t start = 0;
    for (size_t k = kmax; k >= 1; k--) { /* count[k] becomes the start of level k */
        size_t c = count[k];
        count[k] = start;
        start += c;
    }
    size_t m = start; /* nodes with level >= 1 */
    for (size_t i = 0; i < n; i++)
        if (level[i])
            order[count[level[i]]++] = (uint32_t)i;

    /* the sweep, on the padded grid */
    uint32_t *parent = ws->gparent, *sz = ws->gsz, *top = ws->gtop;
    double *acc = ws->gacc;
    const size_t *gpos = g->gpos;
    const long *goff = g->goff;
    const int ngoff = g->ngoff;
    size_t idx = 0;
    for (uint32_t k = kmax; k >= 1; k--) {
        for (; idx < m && level[order[idx]] == k; idx++) {
            uint32_t v = (uint32_t)gpos[order[idx]];
            parent[v] = v;
            sz[v] = 1;
            acc[v] = 0;
            top[v] = k;
            uint32_t rv = v;
            /* which neighbours are present, without a branch per neighbour
             * (the loads then run in parallel), then visit those */
            uint32_t present = 0;
            for (int e = 0; e < ngoff; e++)
                present |= (uint32_t)(parent[(long)v + goff[e]] != UF_NONE) << e;
            while (present) {
                int e = __builtin_ctz(present);
                present &= present - 1;
                uint32_t u = (uint32_t)((long)v + goff[e]);
                uint32_t ru = find_acc(parent, acc, u);
                if (ru == rv)
                    continue;
                flush(top, sz, acc, cum, ru, k, E);
                flush(top, sz, acc, cum, rv, k, E);
                uint32_t big = rv, small = ru;
                if (sz[ru] > sz[rv]) {
                    big = ru;
                    small = rv;
                }
                parent[small] = big;
                acc[small] -= acc[big];
                sz[big] += sz[small];
                rv = big;
            }
        }
    }
    for (size_t j = 0; j < m; j++) {
        uint32_t v = (uint32_t)gpos[order[j]];
        if (parent[v] == v)
            flush(top, sz, acc, cum, v, 0, E);
    }
    double best = 0;
    for (size_t j = 0; j < m; j++) {
        uint32_t i = order[j], v = (uint32_t)gpos[i];
        uint32_t r = find_acc(parent, acc, v);
        double val = r == v ? acc[v] : acc[v] + acc[r];
        out[i] = val;
        if (val > best)
            best = val;
    }
    for (size_t j = 0; j < m; j++) /* leave the grid empty for the next call */
        parent[gpos[order[j]]] = UF_NONE;
    if (max_out)
        *max_out = best;
    return BRACT_OK;
}
