/* bract/hierarchy.h: how timescales order regions into a hierarchy.
 *
 * The Spearman correlation between regional timescales and a hierarchy
 * index (anatomical rank, T1w/T2w myelin, ...) with two null models:
 *
 *   permutation  the index values are shuffled over regions (exchangeable
 *                regions; ignores that neighbouring regions are alike);
 *   spatial      Moran spectral randomisation (Wagner & Dray 2015, the
 *                "singleton" procedure of BrainSpace's
 *                MoranSpectralRandomization): with W the inverse Euclidean
 *                distances between region centres (zero diagonal), H = I -
 *                11'/n and the eigenvectors v_k of HWH whose eigenvalues are
 *                not zero (|lambda| > 1e-10 max |lambda|), a surrogate of the
 *                index y is mean(y) + sum_k s_k (v_k' (y - mean y)) v_k with
 *                independent random signs s_k.  Each surrogate keeps the
 *                mean, the variance and Moran's I of y (its spatial
 *                autocorrelation) exactly.
 *
 * p-values are two-sided: (1 + #{|rho*| >= |rho|}) / (N + 1).  Across
 * subjects: the group-mean timescale per region, the consistency of the
 * regional profile between subjects (ICC(3,1) and ICC(3,k) of Shrout &
 * Fleiss 1979, regions as targets and subjects as raters) and a bootstrap
 * confidence interval of the group correlation (subjects resampled with
 * replacement, percentile interval).  Random streams: permutation j uses
 * (seed, j, 1), surrogate j (seed, j, 2), bootstrap sample j (seed, j, 3),
 * so results do not depend on the number of threads. */
#ifndef BRACT_HIERARCHY_H
#define BRACT_HIERARCHY_H

#include <stddef.h>
#include <stdint.h>

#include "bract/error.h"
#include "bract/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bract_hierarchy_msr bract_hierarchy_msr;

/* Moran eigenvectors of n region centres xyz (n x 3, row-major, mm).
 * Errors: n < 3, non-finite or coincident coordinates (naming the two
 * regions by index).  Owned by the caller. */
BRACT_API int bract_hierarchy_msr_new(const double *xyz, size_t n, bract_hierarchy_msr **out);
BRACT_API void bract_hierarchy_msr_free(bract_hierarchy_msr *m);
/* Number of eigenvectors kept (n - 1 unless W is degenerate). */
BRACT_API size_t bract_hierarchy_msr_ncomponents(const bract_hierarchy_msr *m);
/* A surrogate of y (n values) into out; draws from r.  BRACT_ENOMEM when
 * its small workspace cannot be allocated. */
BRACT_API int bract_hierarchy_msr_surrogate(const bract_hierarchy_msr *m, const double *y, bract_rng *r,
                                  double *out);
/* Moran's I of y with the inverse-distance weights:
 * n / sum(W) * y~' W y~ / y~' y~. */
BRACT_API double bract_hierarchy_moran_i(const bract_hierarchy_msr *m, const double *y);

typedef struct {
    size_t n;         /* regions */
    double rho;       /* Spearman correlation of tau and index */
    double p_perm;    /* permutation p-value (NaN if nperm = 0) */
    double p_spatial; /* Moran-spectral-randomisation p-value (NaN without msr) */
    size_t nperm;
} bract_hier_test;

/* Spearman correlation of tau and index (n regions, all finite) and its
 * p-values from nperm permutations and, when msr (built on the same n
 * regions, in the same order) is given, nperm spatial surrogates of the
 * index.  Parallel over permutations (OpenMP). */
BRACT_API int bract_hierarchy_test(const double *tau, const double *index, size_t n,
                                   size_t nperm, const bract_hierarchy_msr *msr, uint64_t seed,
                                   bract_hier_test *out);

/* ICC(3,1) and ICC(3,k) of x (n targets x k raters, row-major, finite):
 * (MS_R - MS_E) / (MS_R + (k - 1) MS_E) and (MS_R - MS_E) / MS_R from the
 * two-way ANOVA without replication.  BRACT_EDATA when n < 2 or k < 2. */
BRACT_API int bract_hierarchy_icc(const double *x, size_t n, size_t k, double *icc1,
                                    double *icck);

/* Percentile bootstrap interval (level, e.g. 0.95) of the Spearman
 * correlation between the group-mean timescale and the index: tau is nsub
 * x nreg (row-major; NaN = not measured), each sample draws nsub subjects
 * with replacement and averages the finite values per region; regions with
 * none are left out of that sample.  Quantiles interpolate linearly
 * (numpy's default).  *nvalid receives the samples with a defined
 * correlation. */
BRACT_API int bract_hierarchy_bootstrap(const double *tau, size_t nsub, size_t nreg,
                                        const double *index, size_t nboot, double level,
                                        uint64_t seed, double *lo, double *hi,
                                        size_t *nvalid);

/* ---- a group of subjects ---- */

typedef struct {
    size_t nperm;  /* permutations and spatial surrogates per test [10000] */
    size_t nboot;  /* bootstrap samples of subjects (0: no interval) [2000] */
    double level;  /* of the bootstrap interval [0.95] */
    uint64_t seed; /* [1] */
} bract_hierarchy_opts;

BRACT_API void bract_hierarchy_opts_defaults(bract_hierarchy_opts *o);

/* Everything bract timescale hierarchy reports about nsub subjects'
 * timescales over nreg regions of an index. */
typedef struct {
    size_t nsub, nreg;
    /* per region, over the subjects with a finite timescale there */
    double *mean;        /* nreg: the group-mean timescale (NaN when none) */
    double *sd;          /* nreg: its SD, ddof 1 (NaN for fewer than 2 subjects) */
    size_t *nmeasured;   /* nreg: subjects */
    size_t unmeasured;   /* regions without a finite timescale in any subject */
    /* the order: the measured regions by increasing group mean (a stable
     * sort), then the unmeasured ones in index order */
    size_t *order;       /* nreg region numbers */
    double *rank_tau;    /* nreg: rank (1-based, ties averaged) of the group mean among
                            the measured regions; NaN for an unmeasured region */
    double *rank_index;  /* nreg: rank of the index among the measured regions (those
                            without a finite index ranked after the others); NaN where
                            the index is not finite or the region unmeasured */
    /* bract_hierarchy_test of each subject over its regions with a finite
     * timescale and index, then (nsub >= 2) of the group mean: ntests */
    bract_hier_test *tests;
    size_t ntests;
    /* nsub >= 2, nboot > 0 and a group test over at least 3 regions: the
     * bract_hierarchy_bootstrap interval of the group correlation */
    double ci_lo, ci_hi; /* NaN when not computed */
    size_t ci_valid;     /* bootstrap samples with a defined correlation */
    /* nsub >= 2: reliability of the regional profile between subjects */
    double icc1, icck;   /* ICC(3,1), ICC(3,k) over the regions measured in every
                            subject (NaN for fewer than 2 such regions) */
    size_t icc_regions;  /* those regions */
    double pairwise_spearman; /* mean over pairs of subjects of the Spearman correlation
                                 over the regions both measured (pairs with at least 3);
                                 NaN when no pair has one */
} bract_hierarchy_group;

/* The group statistics of tau (nsub x nreg, row-major; NaN = not
 * measured) against index (nreg values, NaN allowed) with region centres
 * xyz (nreg x 3 mm, or NULL: no spatial null).  A test over fewer than 3
 * regions, or one that fails, gives NaN with a warning, not an error.
 * Errors: nsub or nreg 0, Moran eigenvectors that cannot be built
 * (bract_hierarchy_msr_new), a failing bootstrap.  *out is owned by the caller
 * (bract_hierarchy_group_free). */
BRACT_API int bract_hierarchy_group_new(const double *tau, size_t nsub, size_t nreg,
                                        const double *index, const double *xyz,
                                        const bract_hierarchy_opts *o,
                                        bract_hierarchy_group **out);
BRACT_API void bract_hierarchy_group_free(bract_hierarchy_group *g);

#ifdef __cplusplus
}
#endif
#endif
