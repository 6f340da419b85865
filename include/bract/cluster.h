/* bract/cluster.h: clusters of voxels on a grid.
 *
 * A bract_cluster_graph holds the neighbourhood of a set of voxels on a
 * grid (the voxels of a mask, say) under 6-, 18- or 26-connectivity: faces,
 * faces and edges, or faces, edges and corners.  It is built once and then
 * read by any number of threads, each with its own workspace
 * (bract_cluster_ws): cluster labelling at a threshold (here) and TFCE
 * (bract/tfce.h) run in O(voxels + edges) with union-find and allocate
 * nothing once the workspace is made. */
#ifndef BRACT_CLUSTER_H
#define BRACT_CLUSTER_H

#include <stddef.h>
#include <stdint.h>

#include "bract/error.h"
#include "bract/mask.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Neighbours of a voxel: the value is their number. */
typedef enum {
    BRACT_CONN_FACES = 6,   /* voxels sharing a face */
    BRACT_CONN_EDGES = 18,  /* a face or an edge */
    BRACT_CONN_CORNERS = 26 /* a face, an edge or a corner */
} bract_cluster_connectivity;

/* "6", "18" or "26": 0, or BRACT_EINVAL naming the expected values. */
BRACT_API int bract_cluster_connectivity_parse(const char *s, bract_cluster_connectivity *out);

/* "6", "18", "26" ("unknown" for other values). */
BRACT_API const char *bract_cluster_connectivity_name(bract_cluster_connectivity c);

typedef struct {
    size_t n;         /* nodes (voxels) */
    int connectivity; /* 6, 18 or 26 */
    size_t *off;      /* neighbours of node i: nbr[off[i] .. off[i+1]) */
    uint32_t *nbr;    /* node numbers, ascending per node */
    /* The grid padded by one voxel on every side, for TFCE's sweep: node
     * i sits at gpos[i]; its neighbours are at gpos[i] + goff[k], k <
     * ngoff (outside the nodes, or on the padding, there is no node). */
    size_t gsize;     /* (nx + 2)(ny + 2)(nz + 2) */
    size_t *gpos;
    long goff[26];
    int ngoff;
} bract_cluster_graph;

/* The neighbourhood graph of `n` voxels of an nx x ny x nz grid given by
 * their spatial indices (x fastest), strictly ascending (as
 * bract_mask.index).  Node i is voxel index[i].  connectivity is 6, 18 or 26.
 * *out is owned by the caller (bract_cluster_graph_free). */
BRACT_API int bract_cluster_graph_new(int64_t nx, int64_t ny, int64_t nz, const size_t *index,
                                    size_t n, int connectivity, bract_cluster_graph **out);

BRACT_API void bract_cluster_graph_free(bract_cluster_graph *g);

/* Per-thread scratch space for the functions below (about 28 bytes per
 * node and 20 per voxel of the padded grid).  Owned by the caller
 * (bract_cluster_ws_free). */
typedef struct bract_cluster_ws bract_cluster_ws;
BRACT_API int bract_cluster_ws_new(const bract_cluster_graph *g, bract_cluster_ws **out);
BRACT_API void bract_cluster_ws_free(bract_cluster_ws *ws);

/* Connected clusters of the nodes with x[i] >= thr.  label[i] (may be NULL)
 * receives 1..nclusters, numbered in order of each cluster's first node,
 * or 0 for nodes below the threshold; size (may be NULL, room for n) the
 * number of nodes of each cluster, size[c - 1] for label c.  Returns the
 * number of clusters; *max_size (may be NULL) gets the largest size (0 when
 * there is none).  NaN values are below every threshold. */
BRACT_API size_t bract_cluster_find(const bract_cluster_graph *g, const double *x, double thr,
                                uint32_t *label, size_t *size, size_t *max_size,
                                bract_cluster_ws *ws);

#ifdef __cplusplus
}
#endif
#endif
