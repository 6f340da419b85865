/* Philox-4x32-10 streams from Random123 (header-only). */
#include "base/internal.h"

#include <math.h>

#include <Random123/philox.h>

void bract_rng_init(bract_rng *r, uint64_t seed, uint64_t stream, uint32_t substream)
{
    r->key[0] = (uint32_t)seed;
    r->key[1] = (uint32_t)(seed >> 32);
    r->ctr[0] = (uint32_t)stream;
    r->ctr[1] = (uint32_t)(stream >> 32);
    r->ctr[2] = substream;
    r->ctr[3] = 0;
    r->avail = 0;
    r->have_normal = 0;
    r->normal = 0;
}

static void refill(bract_rng *r)
{
    philox4x32_ctr_t c = {{r->ctr[0], r->ctr[1], r->ctr[2], r->ctr[3]}};
    philox4x32_key_t k = {{r->key[0], r->key[1]}};
    philox4x32_ctr_t o = philox4x32(c, k);
    for (int i = 0; i < 4; i++)
        r->out[i] = o.v[i];
    r->ctr[3]++;
    r->avail = 4;
}

uint32_t bract_rng_u32(bract_rng *r)
{
    if (r->avail == 0)
        refill(r);
    return r->out[4 - r->avail--];
}

uint64_t bract_rng_u64(bract_rng *r)
{
    uint64_t hi = bract_rng_u32(r);
    return (hi << 32) | bract_rng_u32(r);
}

double bract_rng_uniform(bract_rng *r)
{
    /* (k + 0.5) / 2^53 for k uniform in [0, 2^53): never 0 or 1 */
    uint64_t k = bract_rng_u64(r) >> 11;
    return ((double)k + 0.5) * 0x1p-53;
}

uint64_t bract_rng_below(bract_rng *r, uint64_t n)
{
    if (n <= 1)
        return 0;
    /* rejection: accept x below the largest multiple of n */
    uint64_t limit = UINT64_MAX - (UINT64_MAX % n + 1) % n;
    uint64_t x;
    do
        x = bract_rng_u64(r);
    while (x > limit);
    return x % n;
}

double bract_rng_normal(bract_rng *r)
{
    if (r->have_normal) {
        r->have_normal = 0;
        return r->normal;
    }
    double u = bract_rng_uniform(r), v = bract_rng_uniform(r);
    double rad = sqrt(-2.0 * log(u)), th = 6.283185307179586476925 * v;
    r->normal = rad * sin(th);
    r->have_normal = 1;
    return rad * cos(th);
}

void bract_rng_shuffle(bract_rng *r, size_t *a, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)bract_rng_below(r, i);
        size_t t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}

void bract_rng_permutation(bract_rng *r, size_t *perm, size_t n)
{
    for (size_t i = 0; i < n; i++)
        perm[i] = i;
    bract_rng_shuffle(r, perm, n);
}
