/* bract/tfce.h: threshold-free cluster enhancement (Smith & Nichols 2009).
 *
 * Computed exactly as CoSMoMVPA's cosmo_measure_clusters codes it: the
 * threshold starts at 0 and grows by dh (accumulated in floating point:
 * thr = thr + dh) while any voxel has a value >= thr; at each threshold the
 * voxels with value >= thr are grouped into connected clusters (the graph of
 * bract/cluster.h) and every voxel of a cluster C gains |C|^E * thr^H * dh.
 * Only the positive tail is enhanced; give -x for the negative one.
 * Instead of re-clustering at every threshold, the thresholds are swept from
 * the top down, adding voxels to a union-find whose roots carry their
 * pending contributions.  Threads: as bract/cluster.h (the graph shared,
 * one workspace per thread). */
#ifndef BRACT_TFCE_H
#define BRACT_TFCE_H

#include <stddef.h>

#include "bract/cluster.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    double E;  /* extent exponent; CoSMoMVPA and FSL: 0.5 */
    double H;  /* height exponent; 2 */
    double dh; /* threshold step; CoSMoMVPA: 0.1 */
} bract_tfce_opts;

/* The defaults: E 0.5, H 2, dh 0.1. */
BRACT_API void bract_tfce_opts_defaults(bract_tfce_opts *o);

/* Make room in ws for thresholds up to `max_value` (optional: bract_tfce
 * grows the table itself when it meets a larger value; reserving first
 * keeps it from allocating inside a timed or parallel loop).  BRACT_EINVAL
 * when more than 10^7 threshold steps would be needed (say a value of 10^6
 * with dh 0.1), BRACT_ENOMEM when out of memory. */
BRACT_API int bract_tfce_reserve(bract_cluster_ws *ws, const bract_tfce_opts *p,
                                 double max_value);

/* TFCE of x (one value per node) into out (n values; 0 for nodes below the
 * first threshold dh).  x must hold no infinite value; NaN counts as below
 * every threshold.  *max_out (may be NULL) receives the largest output.
 * Errors: BRACT_EINVAL for bad parameters (E, H, dh not positive and
 * finite), an infinite value or too many threshold steps (see
 * bract_tfce_reserve); BRACT_ENOMEM. */
BRACT_API int bract_tfce(const bract_cluster_graph *g, const bract_tfce_opts *p, const double *x,
                         double *out, double *max_out, bract_cluster_ws *ws);

#ifdef __cplusplus
}
#endif
#endif
