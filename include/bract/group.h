/* bract/group.h: group maps from subject maps.
 *
 * Subject maps (one 3-D map per subject on a common grid, for example
 * searchlight correlation maps) are read inside a mask and, by default,
 * Fisher-transformed (z = atanh r).  Each voxel is tested with a one-sample
 * t test of the subjects' values against a null mean (0 by default),
 * giving t, a parametric p and Benjamini-Hochberg FDR.  A sign-flip
 * permutation test of whole subject maps (each subject's map multiplied by
 * +1 or -1; exact under H0 when the subjects' values are symmetric about
 * the null mean) gives family-wise error (FWE) corrected p-values from the
 * maximum over voxels of each flip's statistic: of t (max-t), of its TFCE
 * transform, and of the size of clusters above a cluster-forming threshold.
 *
 * Permutation p-values count the observed data once:
 * p = (1 + #{flips whose maximum >= the observed value}) / (N + 1) for N
 * random flips (stream k of the seed draws flip k, so results do not depend
 * on threads), or, when 2^S (S subjects) is at most the number asked for,
 * over all 2^S - 1 flips other than the identity, p = (1 + #) / 2^S.
 *
 * Paired designs test the differences of two conditions the same way
 * (bract_group_read_paired).  Two independent groups
 * (bract_group_read_two_sample) get the pooled-variance two-sample t, and
 * their permutations relabel subjects instead of flipping signs: random
 * relabellings (stream k shuffles the subjects; the first n1 form group 1)
 * or, when C(n1 + n2, n1) is at most the number asked for, every
 * relabelling but the data's own, p = (1 + #) / C(n1 + n2, n1).
 *
 * Voxels are the nodes of a bract_cluster_graph (bract/cluster.h) built over the
 * voxels tested. */
#ifndef BRACT_GROUP_H
#define BRACT_GROUP_H

#include <stddef.h>
#include <stdint.h>

#include "bract/tfce.h"
#include "bract/error.h"
#include "bract/progress.h"
#include "bract/stats.h"
#include "bract/volume.h"
#include "bract/atlas.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    BRACT_GROUP_FISHER = 0, /* maps hold correlations: z = atanh(r) */
    BRACT_GROUP_IDENTITY = 1 /* maps are used as they are (z maps, accuracies, ...) */
} bract_group_transform;

/* "fisher" or "none" ("identity" is accepted too): 0, or BRACT_EINVAL
 * naming the expected values. */
BRACT_API int bract_group_transform_parse(const char *s, bract_group_transform *out);

/* "fisher", "none" ("unknown" for other values). */
BRACT_API const char *bract_group_transform_name(bract_group_transform t);

/* The test a bract_group_data holds (which reader made it). */
typedef enum {
    BRACT_GROUP_ONE_SAMPLE = 0, /* bract_group_read, bract_group_from_values */
    BRACT_GROUP_PAIRED = 1,     /* bract_group_read_paired */
    BRACT_GROUP_TWO_SAMPLE = 2  /* bract_group_read_two_sample, ..._from_values_two_sample */
} bract_group_design;

/* "one-sample", "paired" or "two-sample": 0, or BRACT_EINVAL. */
BRACT_API int bract_group_design_parse(const char *s, bract_group_design *out);

/* "one-sample", "paired", "two-sample" ("unknown" for other values). */
BRACT_API const char *bract_group_design_name(bract_group_design d);

/* The subjects' values at the voxels tested. */
typedef struct {
    size_t nsub;        /* subjects (maps) */
    size_t nmask;       /* voxels in the mask */
    size_t n;           /* voxels tested: in the mask and usable */
    size_t *vox;        /* their spatial indices, ascending */
    double *y;          /* nsub x n, subject-major: transformed value minus null mean */
    double null_mean;   /* subtracted from every transformed value */
    bract_volume *geom; /* the mask's header (grid, affine); no data */
    int paired;         /* 1: y holds differences of two conditions (paired design) */
    size_t n1;          /* two samples: subjects 0..n1-1 are group 1, the rest group 2
                           (the null mean is subtracted from group 1); 0: one sample */
    /* voxels of the mask left out, by reason */
    size_t excluded_nonfinite; /* a subject's value is NaN or infinite (r = +-1) */
    size_t excluded_constant;  /* every subject has the same value */
    size_t excluded_flip;      /* every subject has the same magnitude, signs mixed:
                                  some sign flip has zero variance */
} bract_group_data;

/* Read `nsub` maps (paths) at the voxels of `mask_path`.  Every map must be
 * 3-D and on the mask's grid (voxel-to-mm affines within 1e-3 mm); with
 * BRACT_GROUP_FISHER every finite value must lie in [-1, 1].  Voxels where
 * some subject's value is not finite, where all values are equal, or where
 * all magnitudes are equal are left out with a warning each and counted.
 * Errors name the file and, for values, the voxel.  *out is owned by the
 * caller (bract_group_data_free). */
BRACT_API int bract_group_read(const char *const *paths, size_t nsub, const char *mask_path,
                               bract_group_transform transform, double null_mean,
                               bract_group_data **out);

/* A paired design: each subject's value is the difference of the
 * transformed maps of two conditions, T(a) - T(b), minus the null mean
 * (for example the searchlight maps of two models, or of two tasks, of the
 * same subjects; paths_b[s] is subject s's map of the second condition).
 * The sign-flip test of the differences is the permutation test of a
 * paired design: exact when under H0 each subject's two maps are
 * exchangeable.  Voxels are left out as by bract_group_read, judged on the
 * differences; both maps of a subject must pass the Fisher range check. */
BRACT_API int bract_group_read_paired(const char *const *paths_a, const char *const *paths_b,
                                      size_t nsub, const char *mask_path,
                                      bract_group_transform transform, double null_mean,
                                      bract_group_data **out);

/* Two independent groups (patients and controls, say): group 1's n1 maps
 * and group 2's n2, tested with the pooled-variance two-sample t of
 * mean1 - mean2 against the null mean (scipy.stats.ttest_ind, equal_var),
 * n1 + n2 - 2 degrees of freedom.  Permutations relabel subjects: under H0
 * the maps are exchangeable between the groups.  Voxels are left out where
 * some value is not finite or where neither group varies. */
BRACT_API int bract_group_read_two_sample(const char *const *paths_a, size_t n1,
                                          const char *const *paths_b, size_t n2,
                                          const char *mask_path,
                                          bract_group_transform transform, double null_mean,
                                          bract_group_data **out);

/* The same from values in memory: x holds nsub x nvox values (subject-major)
 * of an nx x ny x nz grid (nvox = nx ny nz), mask (NULL: every voxel) marks
 * the voxels to test; geometry from `geom` (may be NULL: 1 mm voxels). */
BRACT_API int bract_group_from_values(const double *x, size_t nsub, int64_t nx, int64_t ny,
                                      int64_t nz, const unsigned char *mask,
                                      const bract_volume *geom, bract_group_transform transform,
                                      double null_mean, bract_group_data **out);

/* Two samples from values in memory: x holds group 1's n1 maps, then group
 * 2's n2 (subject-major), as for bract_group_from_values. */
BRACT_API int bract_group_from_values_two_sample(const double *x, size_t n1, size_t n2,
                                                 int64_t nx, int64_t ny, int64_t nz,
                                                 const unsigned char *mask,
                                                 const bract_volume *geom,
                                                 bract_group_transform transform,
                                                 double null_mean, bract_group_data **out);

BRACT_API void bract_group_data_free(bract_group_data *d);

/* The design of d: from d->paired and d->n1. */
BRACT_API bract_group_design bract_group_data_design(const bract_group_data *d);

typedef struct {
    bract_stats_alternative alternative; /* BRACT_ALT_GREATER (default), LESS, TWO_SIDED */
    size_t permutations;  /* sign flips asked for; 0: parametric maps only */
    uint64_t seed;
    bract_cluster_connectivity connectivity; /* of TFCE and clusters [BRACT_CONN_CORNERS, 26] */
    int tfce;             /* compute TFCE (and its FWE p with permutations) */
    bract_tfce_opts tfce_params;
    int cluster;          /* cluster-extent inference at cluster_t */
    double cluster_t;     /* cluster-forming threshold on the t scale, > 0: clusters of
                             t >= cluster_t (greater), t <= -cluster_t (less), either
                             (two-sided; positive and negative clusters apart) */
    double alpha;         /* level of the cluster table when !cluster (default 0.05) */
    const bract_atlas *atlas; /* names the region of each cluster's peak; may be NULL;
                                 on the data's grid */
} bract_group_opts;

/* Defaults: greater, no permutations, seed 1, 26-connectivity, no TFCE,
 * no clusters, TFCE E 0.5, H 2, dh 0.1, alpha 0.05. */
BRACT_API bract_group_opts bract_group_opts_defaults(void);

/* Which corrected p the cluster table reports. */
typedef enum {
    BRACT_CORR_FDR = 0,      /* clusters of voxels with FDR q <= alpha; p = min q */
    BRACT_CORR_MAXT = 1,     /* of voxels with max-t FWE p <= alpha; p = min */
    BRACT_CORR_TFCE = 2,     /* of voxels with TFCE FWE p <= alpha; p = min */
    BRACT_CORR_CLUSTER = 3,  /* every cluster at the cluster-forming threshold;
                                p = cluster-size FWE p (NaN without permutations) */
    BRACT_CORR_CLUSTER_NONE = 4 /* cluster-forming threshold, no permutations */
} bract_group_correction;

/* "fdr", "maxt-fwe", "tfce-fwe", "cluster-fwe", "none". */
BRACT_API const char *bract_group_correction_name(bract_group_correction c);

typedef struct {
    size_t size;            /* voxels */
    double volume_mm3;
    size_t peak;            /* the peak voxel, as a number of the tested voxels */
    int64_t peak_ijk[3];    /* its voxel coordinates */
    double peak_mm[3];      /* and millimetre coordinates (through the affine) */
    double peak_t;          /* t at the peak (the largest |t| of the cluster, sign kept) */
    double p;               /* corrected p (see bract_group_correction); NaN if none */
    const char *label;      /* atlas region at the peak (points into the atlas), or NULL */
} bract_group_cluster;

/* Results; every map has one value per tested voxel (data->vox order);
 * maps not computed are NULL. */
typedef struct {
    size_t n, nsub;
    double df;              /* nsub - 1 */
    double *mean;           /* mean transformed value (null mean added back) */
    double *t;              /* one-sample t against the null mean */
    double *p;              /* parametric p (alternative as asked) */
    double *p_fdr;          /* Benjamini-Hochberg adjusted p */
    double *p_fwe;          /* max-t FWE p (permutations) */
    double *tfce;           /* TFCE of t (two-sided: of t and -t, signed) */
    double *p_tfce_fwe;     /* TFCE FWE p (tfce and permutations) */
    uint32_t *cluster;      /* cluster of each voxel in the table (1..), or 0 */
    double *p_cluster_fwe;  /* each voxel's cluster p (cluster and permutations); NaN
                               outside clusters */
    size_t nperm;           /* flips used (other than the identity) */
    int exhaustive;         /* 1 if every flip was used */
    double *null_max_t;     /* nperm maxima of the statistic (t, -t or |t|) */
    double *null_max_tfce;  /* nperm maxima of TFCE (tfce) */
    double *null_max_cluster; /* nperm largest cluster sizes (cluster) */
    double crit_t, crit_tfce, crit_cluster; /* FWE at alpha: values above these are
                               significant (INFINITY: none can be; NaN: not computed) */
    double cluster_t;       /* cluster-forming threshold used (NaN: none) */
    bract_group_correction correction;
    size_t nclusters;
    bract_group_cluster *clusters; /* by size, largest first */
} bract_group_result;

/* Run the tests.  Permutations run on bract_get_threads() threads; results
 * are the same for any number.  progress (may be NULL) is told the
 * permutations done.  *out is owned by the caller (bract_group_result_free). */
BRACT_API int bract_group_run(const bract_group_data *d, const bract_group_opts *o,
                              const bract_progress *progress, bract_group_result **out);

BRACT_API void bract_group_result_free(bract_group_result *r);

/* A float32 volume on the data's grid holding values[i] at voxel vox[i]
 * and `fill` everywhere else (NaN for statistic maps, 0 for labels).
 * Owned by the caller. */
BRACT_API int bract_group_volume(const bract_group_data *d, const double *values, double fill,
                                 bract_volume **out);

#ifdef __cplusplus
}
#endif
#endif
