/* bract/kmeans.h: k-means clustering of windowed connectivity, the elbow
 * of a validity curve, and the agreement of two labellings.
 *
 * Rows are float32 as in windows.npy; distances are computed in double.
 * k-means++ seeding (Arthur & Vassilvitskii 2007: the first centre
 * uniformly, each next one with probability proportional to the distance to
 * the nearest centre chosen), then Lloyd iterations until no label changes.
 * Metric L2 is the squared Euclidean distance with means as centroids
 * (scikit-learn); L1 the city-block distance with component-wise medians as
 * centroids (MATLAB kmeans 'cityblock', used by GIFT and Allen et al. 2014).
 * A cluster that empties takes the point farthest from its centroid.  Each
 * of `restarts` runs draws from its own random stream; the run with the
 * smallest objective (sum of distances) wins, ties to the earlier run.
 * Clusters are numbered by decreasing size.  Work is shared by OpenMP
 * threads point by point and dimension by dimension, so the result is the
 * same for any number of threads. */
#ifndef BRACT_KMEANS_H
#define BRACT_KMEANS_H

#include <stddef.h>
#include <stdint.h>

#include "bract/error.h"
#include "bract/progress.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The k-means metric. */
typedef enum {
    BRACT_DIST_L2 = 0, /* squared Euclidean, means as centroids */
    BRACT_DIST_L1 = 1  /* city block, medians as centroids */
} bract_kmeans_metric;

/* "l2", "l1" ("unknown" outside the enum). */
BRACT_API const char *bract_kmeans_metric_name(bract_kmeans_metric d);
/* The metric named s into *out; BRACT_EINVAL ("unknown k-means distance
 * 's' (expected one of l2, l1)") otherwise. */
BRACT_API int bract_kmeans_metric_parse(const char *s, bract_kmeans_metric *out);

typedef struct {
    size_t k;          /* clusters (>= 1) */
    bract_kmeans_metric distance;
    size_t restarts;   /* k-means++ starts [10] */
    size_t max_iter;   /* Lloyd iterations per start [300] */
    uint64_t seed;
} bract_kmeans_opts;

BRACT_API void bract_kmeans_opts_defaults(bract_kmeans_opts *p);

typedef struct {
    size_t n, dim, k;
    double *centroid;   /* k x dim */
    size_t *label;      /* n labels in 0..k-1 */
    double *dist;       /* n distances to the own centroid (L1, or squared L2) */
    size_t *count;      /* k: points per cluster */
    double objective;   /* sum of dist */
    size_t iterations;  /* Lloyd iterations of the winning start */
    size_t restart;     /* index of the winning start */
    int converged;      /* 1 if the winning start stopped because no label changed */
} bract_kmeans_result;

/* Cluster the n rows of x (n x dim).  BRACT_EINVAL when k is 0 or larger
 * than n.  *out is owned by the caller (bract_kmeans_result_free).
 * progress (may be NULL) counts starts. */
BRACT_API int bract_kmeans(const float *x, size_t n, size_t dim, const bract_kmeans_opts *p,
                           bract_kmeans_result **out, const bract_progress *progress);
BRACT_API void bract_kmeans_result_free(bract_kmeans_result *r);

/* Distance of a point (double) to a centroid, in the k-means metric. */
BRACT_API double bract_kmeans_distance(const double *a, const double *c, size_t dim,
                                       bract_kmeans_metric distance);

/* Index of the nearest of k centroids (ties to the lower index); *dist
 * (may be NULL) receives the distance. */
BRACT_API size_t bract_kmeans_nearest(const double *centroids, size_t k, size_t dim,
                                      bract_kmeans_metric distance, const double *point,
                                      double *dist);

/* GIFT's cluster-validity ratio (icatb_optimal_clusters): the mean over
 * clusters c of sum_{i in c} D(i,c) / sum_{i not in c} D(i,c), D the k-means
 * distance.  NaN for k = 1. */
BRACT_API double bract_kmeans_ratio(const float *x, const bract_kmeans_result *r,
                                    bract_kmeans_metric distance);

/* Elbow of a curve y at abscissae k[0..m-1] (increasing): the break point
 * b of the least-squares continuous two-segment line
 * y = a0 + a1 k + a2 max(0, k - b), searched on a grid of 1/1000 between
 * k[1] and k[m-2].  BRACT_EDATA for fewer than 4 points. */
BRACT_API int bract_kmeans_breakpoint(const double *k, const double *y, size_t m, double *breakpoint);

/* k-means for every k of kmin..kmax and the elbow of GIFT's validity
 * ratio over k (icatb_optimal_clusters): the result of each k, and the
 * suggested number of states. */
typedef struct {
    size_t kmin, kmax, m; /* m = kmax - kmin + 1 values of k */
    double *objective;    /* m: the k-means objective of k = kmin + j */
    double *ratio;        /* m: bract_kmeans_ratio (NaN for k = 1) */
    double breakpoint;    /* bract_kmeans_breakpoint of the ratio over k, k = 1 left out as GIFT
                             does; NaN when fewer than 4 values remain or no line fits */
    size_t k;             /* the suggested k, ceil(breakpoint); 0 when none */
} bract_kmeans_elbow_result;

/* Run bract_kmeans with p (p->k ignored) for k = kmin..kmax over the n rows
 * of x (n x dim).  No suggestion is not an error (breakpoint NaN, k 0).
 * BRACT_EINVAL for kmin 0, kmax < kmin or kmax > n.  progress (may be NULL)
 * counts values of k.  *out is owned by the caller
 * (bract_kmeans_elbow_result_free). */
BRACT_API int bract_kmeans_elbow(const float *x, size_t n, size_t dim,
                                 const bract_kmeans_opts *p, size_t kmin, size_t kmax,
                                 bract_kmeans_elbow_result **out,
                                 const bract_progress *progress);
BRACT_API void bract_kmeans_elbow_result_free(bract_kmeans_elbow_result *r);


/* Adjusted Rand index of two labellings of n items (Hubert & Arabie 1985;
 * scikit-learn's adjusted_rand_score): 1 for identical partitions, about 0
 * for independent ones.  1 when both put every item in one cluster. */
BRACT_API double bract_kmeans_adjusted_rand(const size_t *a, const size_t *b, size_t n);

#ifdef __cplusplus
}
#endif
#endif
