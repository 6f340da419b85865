/* bract/simrsa.h: a synthetic word-RSA dataset with known truth (the library
 * behind bract simulate rsa).
 *
 * Words belong to semantic categories; each word has an embedding vector
 * (its category's centroid plus word-specific scatter, like word2vec
 * vectors).  The brain is an ellipsoid mask in a grid, cut into regions
 * (an atlas, by nearest of k-means-balanced seeds).  Each subject has one
 * pattern volume per word and run: in the voxels that carry the effect (the
 * signal regions, or a sphere) the value is a * (e_w - mean e) . u_v, a
 * random projection u_v ~ N(0, I) per subject and voxel scaled so that the
 * variance across words averages `snr` over the effect's voxels; every
 * voxel of the mask adds N(0, 1) noise per volume.  A text corpus whose
 * documents draw words mostly from one category lets LSA recover the same
 * categories.  Everything is a pure function of the seed: each word,
 * category, region, voxel and subject draws from its own stream. */
#ifndef BRACT_SIMRSA_H
#define BRACT_SIMRSA_H

#include <stddef.h>
#include <stdint.h>

#include "bract/error.h"
#include "bract/volume.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    BRACT_SIMRSA_REGIONS = 0, /* the signal regions carry the effect */
    BRACT_SIMRSA_SPHERE = 1   /* a sphere carries it (regions are then only an atlas) */
} bract_simrsa_effect;

typedef struct {
    size_t subjects;       /* 8 */
    size_t words;          /* 60 */
    size_t runs;           /* 2 */
    size_t dims;           /* embedding dimensions: 50 */
    size_t categories;     /* semantic categories: 6 */
    size_t regions;        /* atlas regions: 8 */
    size_t signal_regions; /* regions with the effect: 2 */
    double snr;            /* signal variance across words / noise variance: 0.02 */
    int64_t grid[3];       /* 20 x 20 x 12 */
    double voxel_mm;       /* 3 */
    bract_simrsa_effect effect;
    double radius_mm;      /* sphere radius: 9 */
    double center[3];      /* sphere centre in voxel coordinates; NaN: default */
    size_t documents;      /* corpus documents: 400 */
    size_t doc_length;     /* words per document: 24 */
    uint64_t seed;         /* 1 */
} bract_simrsa_opts;

BRACT_API void bract_simrsa_opts_default(bract_simrsa_opts *o);

typedef struct {
    bract_simrsa_opts o;
    size_t nwords, dims;
    char **words;            /* nwords pseudo-words */
    size_t *category;        /* category of each word */
    double *embedding;       /* nwords x dims, row-major */
    size_t nvol;             /* volumes per subject: words x runs */
    size_t *vol_word, *vol_run; /* word index and run (1-based) of each volume */
    bract_volume *mask;      /* 3-D, 1 in the brain */
    bract_volume *atlas;     /* 3-D, region labels 1..regions */
    bract_volume *truth;     /* 3-D, 1 where the effect is */
    size_t nmask;            /* voxels in the mask */
    size_t neffect;          /* voxels carrying the effect */
    size_t nregions;
    char **region_names;     /* "region01", ... */
    size_t *region_voxels;   /* voxels of each region */
    size_t *region_effect;   /* effect voxels in each region */
    int *region_signal;      /* 1 for a signal region (BRACT_SIMRSA_REGIONS) */
    double center_mm[3];     /* sphere centre (BRACT_SIMRSA_SPHERE) */
    char *corpus;            /* documents, one per line */
} bract_simrsa;

/* Build the design: words, embedding, conditions, mask, atlas, truth and
 * corpus.  Errors: sizes out of range (fewer than 3 words, no region, more
 * signal regions than regions, a grid too small for the regions, a sphere
 * outside the brain).  *out is owned by the caller. */
BRACT_API int bract_simrsa_new(const bract_simrsa_opts *o, bract_simrsa **out);
BRACT_API void bract_simrsa_free(bract_simrsa *d);

/* Subject s's pattern volumes: 4-D float32, grid x nvol, in the order of
 * vol_word/vol_run.  Owned by the caller. */
BRACT_API int bract_simrsa_subject(const bract_simrsa *d, size_t s, bract_volume **out);

#ifdef __cplusplus
}
#endif
#endif
