/* bract/rsa.h: region RSA with inference, the library behind bract rsa.
 *
 * Inputs: one RDM set per subject (its RDMs are regions, matched by name
 * across subjects), model RDMs and optional control RDMs.  Conditions are
 * matched by label: every neural RDM must have exactly the models'
 * conditions (in any order); they are put in the order of the first model.
 * For every subject, region and model: the comparison value r
 * (bract/compare.h), optionally a condition-label permutation test and a
 * bootstrap confidence interval over conditions.  Across subjects (`group`):
 * per region and model the mean r, a test of the per-subject values (one-
 * sample t on Fisher z = atanh(r) by default, Wilcoxon signed-rank or
 * sign-flip permutation), a t-based confidence interval and rsatoolbox's
 * noise ceiling; pairwise model comparisons per region (paired tests of the
 * differences, two-sided).  Benjamini-Hochberg FDR over regions x models
 * within each subject, within the group, and within each set of pairwise
 * rows.  Every random draw has its own stream keyed by the seed, so the
 * results do not depend on the number of threads. */
#ifndef BRACT_RSA_H
#define BRACT_RSA_H

#include <stddef.h>
#include <stdint.h>

#include "bract/compare.h"
#include "bract/error.h"
#include "bract/progress.h"
#include "bract/rdmset.h"
#include "bract/stats.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Streams of the random procedures (seed, stream, draw): the permutations
 * of subject s use stream BRACT_STREAM_PERMUTATION + s, its bootstrap
 * samples BRACT_STREAM_BOOTSTRAP + s, the group sign flips
 * BRACT_STREAM_SIGNFLIP. */
#define BRACT_STREAM_PERMUTATION 0x7065726d00000000ULL
#define BRACT_STREAM_BOOTSTRAP 0x626f6f7400000000ULL
#define BRACT_STREAM_SIGNFLIP 0x7369676e00000000ULL

typedef enum {
    BRACT_GROUP_T = 0,        /* one-sample (paired) t test */
    BRACT_GROUP_WILCOXON = 1, /* Wilcoxon signed-rank (bract_stats_wilcoxon) */
    BRACT_GROUP_SIGNFLIP = 2  /* sign-flip permutation of the mean */
} bract_rsa_group_test;

/* "t", "wilcoxon", "signflip" ("unknown" out of range), and back: 0, or
 * BRACT_EINVAL with "unknown group test 'x' (expected one of t, wilcoxon,
 * signflip)". */
BRACT_API const char *bract_rsa_group_test_name(bract_rsa_group_test t);
BRACT_API int bract_rsa_group_test_parse(const char *s, bract_rsa_group_test *out);

/* Sign-flip permutation test of mean(x) against 0: flip b (1-based) gives
 * subject i the sign of bit 0 of the first draw i of stream (seed, stream, b)
 * (1: negative); when 2^n - 1 <= nflips every sign pattern other than the
 * identity is used once (bit i of b, b = 1 .. 2^n - 1).  p = (#(null
 * reaching the observed mean) + 1) / (N + 1) as in bract_compare_permtest.
 * *mean is the observed mean, *nused = N. */
BRACT_API int bract_rsa_signflip_test(const double *x, size_t n, size_t nflips, uint64_t seed,
                                  uint64_t stream, bract_stats_alternative alt, double *mean,
                                  double *p, size_t *nused);

typedef struct {
    size_t nsubjects;
    const char *const *subject_names;  /* for the results */
    const char *const *subject_files;  /* for messages (NULL: the names) */
    const bract_rdmset *const *neural; /* one set per subject */
    size_t nmodels;
    const bract_rdm *const *models;
    const char *const *model_names;    /* NULL: the RDMs' names */
    const char *const *model_files;    /* for messages (may be NULL) */
    size_t ncontrols;                  /* used with a partial setting */
    const bract_rdm *const *controls;
    const char *const *control_files;  /* for messages (may be NULL) */
} bract_rsa_input;

typedef struct {
    bract_compare_method method;
    bract_partial partial;
    bract_compare_nan nan_policy;
    int common_conditions;     /* neural RDMs may hold conditions the models lack (words a
                                  model had no vector for): those are left out, with a
                                  warning per subject; 0: that is an error */
    size_t permutations;       /* label permutations per subject (0: none) */
    size_t bootstrap;          /* bootstrap samples per subject (0: none) */
    double ci_level;           /* e.g. 0.95 */
    bract_stats_alternative alternative; /* of the permutation and group tests */
    int group;                 /* rows across subjects (needs >= 2 subjects) */
    bract_rsa_group_test group_test;
    size_t group_permutations; /* sign flips of the sign-flip test */
    int fisher;                /* group tests on atanh(r) (1) or on r (0) */
    int pairwise;              /* pairwise model comparisons */
    uint64_t seed;
    const bract_progress *progress; /* may be NULL */
    int allow_negative;        /* accept negative neural dissimilarities of any measure (values
                                  that are not distances: rsatoolbox's compare inputs); 0:
                                  only crossnobis sets may hold them */
} bract_rsa_opts;

/* Defaults: spearman, no partial, NaN match, 10000 permutations, no
 * bootstrap, 95 %, greater, t test, 10000 flips, Fisher z, pairwise, seed 1. */
BRACT_API void bract_rsa_opts_defaults(bract_rsa_opts *o);

enum { BRACT_RSA_SUBJECT = 0, BRACT_RSA_GROUP = 1 };
#define BRACT_RSA_NONE ((size_t)-1)

typedef struct {
    int level;          /* BRACT_RSA_SUBJECT or BRACT_RSA_GROUP */
    size_t subject;     /* subject index, BRACT_RSA_NONE for the group */
    size_t region;      /* index into result->regions */
    size_t model;       /* index into result->models */
    size_t model_b;     /* BRACT_RSA_NONE, or the model subtracted (pairwise rows) */
    size_t nsubjects;   /* subjects with a defined value (group rows; 1 otherwise) */
    size_t npairs;      /* pairs of conditions compared */
    double r;           /* value; mean over subjects; or difference model - model_b */
    double z;           /* atanh(r); mean of atanh(r); mean difference of atanh(r) */
    const char *test;   /* "permutation", "bootstrap", "t", "wilcoxon", "signflip" or NULL */
    double stat;        /* t, W (signed-rank statistic), or the mean tested */
    double df;          /* degrees of freedom of a t test (NaN otherwise) */
    double p, p_fdr;
    double ci_low, ci_high;
    double noise_lower, noise_upper;
    size_t nsamples;    /* permutations, sign flips or bootstrap samples used */
} bract_rsa_row;

typedef struct {
    size_t nrows;
    bract_rsa_row *rows;   /* group rows first, then subject rows */
    size_t nregions, nmodels, nsubjects;
    char **regions;        /* region names (from the first subject) */
    char **models;         /* model names */
    char **subjects;       /* subject names */
    size_t nconditions;
    size_t excluded;       /* subject x region RDMs with an undefined value (constant RDM),
                              left out of the group statistics */
} bract_rsa_result;

/* Run the analysis.  Errors name the file and RDM: conditions that differ
 * from the models' (listing them), a region missing from a subject or
 * unknown in the first one, missing pairs that do not coincide with the
 * models' (a value the models miss is blamed on the first model's file and
 * line), negative neural dissimilarities (file, line, RDM and pair; allowed
 * only for a set whose measure is "crossnobis": sets built in memory from
 * crossnobis RDMs must say so with bract_rdmset_set_measure), fewer than 2 subjects for
 * group statistics.  *out is owned by the
 * caller (bract_rsa_result_free). */
BRACT_API int bract_rsa_run(const bract_rsa_input *in, const bract_rsa_opts *opts,
                            bract_rsa_result **out);
BRACT_API void bract_rsa_result_free(bract_rsa_result *r);

#ifdef __cplusplus
}
#endif
#endif
