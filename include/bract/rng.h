/* bract/rng.h: counter-based random numbers (Random123 Philox-4x32-10).
 *
 * A stream is a pure function of (seed, stream, substream): draw d of it is
 * philox(key = seed, counter = (stream, substream, d)).  Give every work
 * item (a permutation, a bootstrap sample, a searchlight centre, a subject)
 * its own stream, and results do not depend on how many threads or MPI ranks
 * share the work or in what order they run. */
#ifndef BRACT_RNG_H
#define BRACT_RNG_H

#include <stddef.h>
#include <stdint.h>

#include "bract/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    uint32_t key[2];
    uint32_t ctr[4];  /* stream lo, stream hi, substream, block */
    uint32_t out[4];  /* current block of output */
    int avail;        /* unread words in out */
    int have_normal;  /* a cached second normal deviate */
    double normal;
} bract_rng;

/* Start stream (stream, substream) of `seed`. */
BRACT_API void bract_rng_init(bract_rng *r, uint64_t seed, uint64_t stream, uint32_t substream);

BRACT_API uint32_t bract_rng_u32(bract_rng *r);
BRACT_API uint64_t bract_rng_u64(bract_rng *r);

/* Uniform double in the open interval (0, 1), 53 random bits. */
BRACT_API double bract_rng_uniform(bract_rng *r);

/* Uniform integer in [0, n), without modulo bias.  n must be >= 1. */
BRACT_API uint64_t bract_rng_below(bract_rng *r, uint64_t n);

/* Standard normal deviate (Box-Muller on two uniforms). */
BRACT_API double bract_rng_normal(bract_rng *r);

/* Random permutation of 0..n-1 into perm (Fisher-Yates). */
BRACT_API void bract_rng_permutation(bract_rng *r, size_t *perm, size_t n);

/* Shuffle an array of size_t in place. */
BRACT_API void bract_rng_shuffle(bract_rng *r, size_t *a, size_t n);

#ifdef __cplusplus
}
#endif
#endif
