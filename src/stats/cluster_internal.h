/* Private: the workspace shared by cluster.c and tfce.c, and union-find. */
#ifndef BRACT_CLUSTER_INTERNAL_H
#define BRACT_CLUSTER_INTERNAL_H

#include "base/internal.h"

#define UF_NONE UINT32_MAX

struct bract_cluster_ws {
    void *block;      /* one allocation for the arrays of n and gsize entries */
    size_t n;
    uint32_t *parent; /* UF_NONE: node not (yet) in the forest */
    uint32_t *size;   /* nodes under a root */
    uint32_t *aux;    /* labels of roots (clusters) */
    uint32_t *level;  /* TFCE: highest threshold step a node survives */
    uint32_t *order;  /* TFCE: nodes sorted by level, highest first */
    /* TFCE's union-find lives on the padded grid (bract_cluster_graph.gpos), where
     * a voxel's neighbours are fixed offsets away and close in memory:
     * parent (UF_NONE: absent; every entry is UF_NONE between calls),
     * size, the step from which a root's pending contribution counts, and
     * the contribution relative to the parent. */
    size_t gsize;
    uint32_t *gparent, *gsz, *gtop;
    double *gacc;
    /* TFCE threshold table: thr[k] = thr[k-1] + dh from thr[0] = 0, and
     * cum[k] = sum_{j=1..k} thr[j]^H dh; kcap steps built for (dh, H). */
    double *thr, *cum;
    size_t *count;    /* bucket counters, one per step */
    size_t tab_n;     /* entries of thr and cum built */
    size_t tab_alloc; /* entries allocated (thr, cum, count) */
    size_t kcap;      /* highest step usable now: thr[kcap + 1] > the largest value */
    double tab_dh, tab_H;
};

/* Root of x, halving the path (plain clustering: no accumulated values). */
static inline uint32_t uf_find_halving(uint32_t *parent, uint32_t x)
{
    while (parent[x] != x) {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    return x;
}

#endif
