/* A synthetic word-RSA dataset with known truth (see simrsa.h). */
#include "base/internal.h"

#include <math.h>
#include <string.h>

#include <omp.h>

/* Streams: one per purpose, the item (word, category, voxel, document) as
 * the substream. */
#define ST_CENTROID 0x73696d7263656e74ULL
#define ST_WORD 0x73696d72776f7264ULL
#define ST_ORDER 0x73696d726f726472ULL
#define ST_ATLAS 0x73696d7261746c73ULL
#define ST_SIGNAL 0x73696d727369676eULL
#define ST_CORPUS 0x73696d72636f7270ULL
#define ST_PROJECTION 0x70726f6a00000000ULL /* + subject */
#define ST_NOISE 0x6e6f697300000000ULL      /* + subject */

void bract_simrsa_opts_default(bract_simrsa_opts *o)
{
    memset(o, 0, sizeof *o);
    o->subjects = 8;
    o->words = 60;
    o->runs = 2;
    o->dims = 50;
    o->categories = 6;
    o->regions = 8;
    o->signal_regions = 2;
    o->snr = 0.02;
    o->grid[0] = 20;
    o->grid[1] = 20;
    o->grid[2] = 12;
    o->voxel_mm = 3;
    o->effect = BRACT_SIMRSA_REGIONS;
    o->radius_mm = 9;
    o->center[0] = o->center[1] = o->center[2] = NAN;
    o->documents = 400;
    o->doc_length = 24;
    o->seed = 1;
}

void bract_simrsa_free(bract_simrsa *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->nwords; i++)
        free(d->words ? d->words[i] : NULL);
    for (size_t i = 0; i < d->nregions; i++)
        free(d->region_names ? d->region_names[i] : NULL);
    free(d->words);
    free(d->category);
    free(d->embedding);
    free(d->vol_word);
    free(d->vol_run);
    bract_volume_free(d->mask);
    bract_volume_free(d->atlas);
    bract_volume_free(d->truth);
    free(d->region_names);
    free(d->region_voxels);
    free(d->region_effect);
    free(d->region_signal);
    free(d->corpus);
    free(d);
}

/* Pronounceable pseudo-word number i (distinct for i < 70^3). */
static char *pseudo_word(size_t i)
{
    static const char cons[] = "bdfgklmnprstvz", vow[] = "aeiou";
    uint64_t j = ((uint64_t)i * 2654435761u) % 343000u; /* a bijection of 0..70^3-1 */
    char buf[16];
    size_t k = 0;
    for (int s = 0; s < 3; s++) {
        unsigned syl = (unsigned)(j % 70);
        j /= 70;
        buf[k++] = cons[syl % 14];
        buf[k++] = vow[syl / 14];
    }
    buf[k] = '\0';
    return bract_xstrdup(buf);
}

/* The grid's affine: voxel_mm spacing, centred on the middle of the grid. */
static void grid_affine(const bract_simrsa_opts *o, double A[4][4])
{
    memset(A, 0, 16 * sizeof A[0][0]);
    for (int i = 0; i < 3; i++) {
        A[i][i] = o->voxel_mm;
        A[i][3] = -o->voxel_mm * (double)(o->grid[i] - 1) / 2;
    }
    A[3][3] = 1;
}

static int new_volume(const bract_simrsa_opts *o, int64_t nt, bract_volume **out)
{
    int64_t dims[4] = {o->grid[0], o->grid[1], o->grid[2], nt};
    double vox[3] = {o->voxel_mm, o->voxel_mm, o->voxel_mm}, A[4][4];
    grid_affine(o, A);
    return bract_volume_new(dims, vox, (const double(*)[4])A, 0, BRACT_F32, out);
}

static int check_opts(const bract_simrsa_opts *o)
{
    if (o->subjects < 1 || o->subjects > 10000)
        return bract_error(BRACT_EINVAL, "subjects must be 1 to 10000 (got %zu)", o->subjects);
    if (o->words < 3 || o->words > 100000)
        return bract_error(BRACT_EINVAL, "words must be 3 to 100000 (got %zu)", o->words);
    if (o->runs < 1 || o->runs > 1000)
        return bract_error(BRACT_EINVAL, "runs must be 1 to 1000 (got %zu)", o->runs);
    if (o->dims < 1 || o->dims > 10000)
        return bract_error(BRACT_EINVAL, "dimensions must be 1 to 10000 (got %zu)", o->dims);
    if (o->categories < 1 || o->categories > o->words)
        return bract_error(BRACT_EINVAL, "categories must be 1 to the number of words (%zu), "
                           "got %zu", o->words, o->categories);
    if (o->regions < 1 || o->regions > 10000)
        return bract_error(BRACT_EINVAL, "regions must be 1 to 10000 (got %zu)", o->regions);
    if (o->signal_regions > o->regions)
        return bract_error(BRACT_EINVAL, "%zu signal regions but only %zu regions",
                           o->signal_regions, o->regions);
    if (!(o->snr >= 0) || !isfinite(o->snr))
        return bract_error(BRACT_EINVAL, "the SNR must be a finite number >= 0");
    for (int i = 0; i < 3; i++)
        if (o->grid[i] < 3 || o->grid[i] > 1024)
            return bract_error(BRACT_EINVAL, "grid sizes must be 3 to 1024 voxels");
    if (!(o->voxel_mm > 0) || !isfinite(o->voxel_mm))
        return bract_error(BRACT_EINVAL, "the voxel size must be positive");
    if ((double)o->words * (double)o->runs * (double)o->grid[0] * (double)o->grid[1] *
            (double)o->grid[2] > 4e9)
        return bract_error(BRACT_EINVAL, "a subject's patterns would exceed 4e9 values");
    if (o->effect == BRACT_SIMRSA_SPHERE && !(o->radius_mm > 0))
        return bract_error(BRACT_EINVAL, "the sphere radius must be positive");
    return BRACT_OK;
}

/* Voxel coordinates of spatial index v. */
static void voxel_xyz(size_t v, const int64_t *grid, double xyz[3])
{
    size_t nx = (size_t)grid[0], ny = (size_t)grid[1];
    xyz[0] = (double)(v % nx);
    xyz[1] = (double)(v / nx % ny);
    xyz[2] = (double)(v / (nx * ny));
}

/* Words, categories and the embedding: category centroid + scatter. */
static int make_words(bract_simrsa *d)
{
    const bract_simrsa_opts *o = &d->o;
    size_t W = o->words, D = o->dims, C = o->categories;
    double *cent = bract_xmalloc(C * D, sizeof *cent, "centroids");
    if (!cent)
        return BRACT_ENOMEM;
    for (size_t c = 0; c < C; c++) {
        bract_rng r;
        bract_rng_init(&r, o->seed, ST_CENTROID, (uint32_t)c);
        for (size_t k = 0; k < D; k++)
            cent[c * D + k] = bract_rng_normal(&r);
    }
    int rc = BRACT_OK;
    for (size_t w = 0; w < W && !rc; w++) {
        if (!(d->words[w] = pseudo_word(w))) {
            rc = BRACT_ENOMEM;
            break;
        }
        d->category[w] = w % C;
        bract_rng r;
        bract_rng_init(&r, o->seed, ST_WORD, (uint32_t)w);
        for (size_t k = 0; k < D; k++)
            d->embedding[w * D + k] = cent[d->category[w] * D + k] + 0.8 * bract_rng_normal(&r);
    }
    free(cent);
    return rc;
}

/* Every word once per run, in a random order per run. */
static int make_conditions(bract_simrsa *d)
{
    size_t W = d->nwords;
    size_t *perm = bract_xmalloc(W, sizeof *perm, "an order");
    if (!perm)
        return BRACT_ENOMEM;
    for (size_t run = 0; run < d->o.runs; run++) {
        bract_rng r;
        bract_rng_init(&r, d->o.seed, ST_ORDER, (uint32_t)run);
        bract_rng_permutation(&r, perm, W);
        for (size_t i = 0; i < W; i++) {
            d->vol_word[run * W + i] = perm[i];
            d->vol_run[run * W + i] = run + 1;
        }
    }
    free(perm);
    return BRACT_OK;
}

/* The brain (an ellipsoid) and its regions: nearest of R seeds, balanced
 * by a few k-means steps.  in[] receives the nm brain voxels, lab[] their
 * region (0-based). */
static int make_brain(bract_simrsa *d, size_t *in, size_t *lab)
{
    const bract_simrsa_opts *o = &d->o;
    size_t R = o->regions;
    int64_t nx = o->grid[0], ny = o->grid[1], nz = o->grid[2];
    double cx = (double)(nx - 1) / 2, cy = (double)(ny - 1) / 2, cz = (double)(nz - 1) / 2;
    double ax = 0.42 * (double)nx, ay = 0.42 * (double)ny, az = 0.49 * (double)nz;
    size_t nm = 0;
    for (size_t v = 0; v < d->mask->nvox; v++) {
        double p[3];
        voxel_xyz(v, o->grid, p);
        double x = (p[0] - cx) / ax, y = (p[1] - cy) / ay, z = (p[2] - cz) / az;
        if (x * x + y * y + z * z <= 1) {
            in[nm++] = v;
            bract_volume_set(d->mask, v, 1);
        }
    }
    d->nmask = nm;
    if (nm < 3 * R)
        return bract_error(BRACT_EINVAL,
                           "a %lldx%lldx%lld grid holds %zu brain voxels: too few for %zu regions "
                           "(at least 3 voxels each)",
                           (long long)nx, (long long)ny, (long long)nz, nm, R);
    double *seedc = bract_xmalloc(3 * R, sizeof *seedc, "region seeds");
    double *sum = bract_xmalloc(4 * R, sizeof *sum, "region seeds");
    size_t *pick = bract_xmalloc(R, sizeof *pick, "region seeds");
    if (!seedc || !sum || !pick) {
        free(seedc);
        free(sum);
        free(pick);
        return BRACT_ENOMEM;
    }
    bract_rng r;
    bract_rng_init(&r, o->seed, ST_ATLAS, 0);
    for (size_t g = 0; g < R; g++) {
        int dup;
        do { /* distinct voxels */
            pick[g] = in[bract_rng_below(&r, nm)];
            dup = 0;
            for (size_t h = 0; h < g; h++)
                dup |= pick[h] == pick[g];
        } while (dup);
        voxel_xyz(pick[g], o->grid, seedc + 3 * g);
    }
    for (int it = 0; it <= 8; it++) {
        for (size_t e = 0; e < nm; e++) {
            double p[3], best = INFINITY;
            voxel_xyz(in[e], o->grid, p);
            for (size_t g = 0; g < R; g++) {
                double dx = p[0] - seedc[3 * g], dy = p[1] - seedc[3 * g + 1],
                       dz = p[2] - seedc[3 * g + 2], dd = dx * dx + dy * dy + dz * dz;
                if (dd < best) {
                    best = dd;
                    lab[e] = g;
                }
            }
        }
        if (it == 8)
            break;
        memset(sum, 0, 4 * R * sizeof *sum);
        for (size_t e = 0; e < nm; e++) {
            double p[3];
            voxel_xyz(in[e], o->grid, p);
            for (int a = 0; a < 3; a++)
                sum[4 * lab[e] + a] += p[a];
            sum[4 * lab[e] + 3] += 1;
        }
        for (size_t g = 0; g < R; g++)
            if (sum[4 * g + 3] > 0)
                for (int a = 0; a < 3; a++)
                    seedc[3 * g + a] = sum[4 * g + a] / sum[4 * g + 3];
    }
    free(seedc);
    free(sum);
    free(pick);
    for (size_t e = 0; e < nm; e++) {
        bract_volume_set(d->atlas, in[e], (double)(lab[e] + 1));
        d->region_voxels[lab[e]]++;
    }
    for (size_t g = 0; g < R; g++) {
        char name[32];
        snprintf(name, sizeof name, "region%02zu", g + 1);
        if (!(d->region_names[g] = bract_xstrdup(name)))
            return BRACT_ENOMEM;
        if (d->region_voxels[g] < 3)
            return bract_error(BRACT_EINVAL,
                               "region %zu has %zu voxels: use a larger grid or fewer regions",
                               g + 1, d->region_voxels[g]);
    }
    return BRACT_OK;
}

/* Where the effect is: the signal regions, or a sphere. */
static int place_effect(bract_simrsa *d, const size_t *in, const size_t *lab)
{
    const bract_simrsa_opts *o = &d->o;
    size_t R = o->regions, nm = d->nmask;
    if (o->effect == BRACT_SIMRSA_REGIONS) {
        size_t *perm = bract_xmalloc(R, sizeof *perm, "regions");
        if (!perm)
            return BRACT_ENOMEM;
        bract_rng r;
        bract_rng_init(&r, o->seed, ST_SIGNAL, 0);
        bract_rng_permutation(&r, perm, R);
        for (size_t i = 0; i < o->signal_regions; i++)
            d->region_signal[perm[i]] = 1;
        free(perm);
        for (size_t e = 0; e < nm; e++)
            if (d->region_signal[lab[e]]) {
                bract_volume_set(d->truth, in[e], 1);
                d->region_effect[lab[e]]++;
                d->neffect++;
            }
        return BRACT_OK;
    }
    int64_t nx = o->grid[0], ny = o->grid[1], nz = o->grid[2];
    double c[3] = {o->center[0], o->center[1], o->center[2]};
    if (isnan(c[0]) || isnan(c[1]) || isnan(c[2])) {
        /* off the middle, like a lateral cortical region */
        c[0] = round((double)(nx - 1) / 2 - 0.5 * 0.42 * (double)nx);
        c[1] = round((double)(ny - 1) / 2 + 0.2 * 0.42 * (double)ny);
        c[2] = round((double)(nz - 1) / 2);
    }
    if (c[0] < 0 || c[1] < 0 || c[2] < 0 || c[0] > (double)(nx - 1) ||
        c[1] > (double)(ny - 1) || c[2] > (double)(nz - 1) ||
        bract_volume_get(d->mask, (size_t)((int64_t)c[0] +
                                           nx * ((int64_t)c[1] + ny * (int64_t)c[2]))) == 0)
        return bract_error(BRACT_EINVAL, "the sphere centre (%g, %g, %g) is outside the brain",
                           c[0], c[1], c[2]);
    bract_volume_voxel_mm(d->mask, c[0], c[1], c[2], d->center_mm);
    double r2 = o->radius_mm * o->radius_mm, vm = o->voxel_mm;
    for (size_t e = 0; e < nm; e++) {
        double p[3], dd = 0;
        voxel_xyz(in[e], o->grid, p);
        for (int a = 0; a < 3; a++)
            dd += (p[a] - c[a]) * vm * (p[a] - c[a]) * vm;
        if (dd <= r2) {
            bract_volume_set(d->truth, in[e], 1);
            d->region_effect[lab[e]]++;
            d->neffect++;
        }
    }
    return BRACT_OK;
}

/* The corpus: each document is about one category. */
static int make_corpus(bract_simrsa *d)
{
    const bract_simrsa_opts *o = &d->o;
    size_t W = d->nwords, C = o->categories;
    size_t *bycat = bract_xmalloc(W, sizeof *bycat, "categories");
    size_t *start = bract_xcalloc(C + 1, sizeof *start, "categories");
    bract_buf b = {0};
    int rc = bycat && start ? BRACT_OK : BRACT_ENOMEM;
    if (!rc) {
        for (size_t w = 0; w < W; w++)
            start[d->category[w] + 1]++;
        for (size_t c = 0; c < C; c++)
            start[c + 1] += start[c];
        for (size_t c = 0, k = 0; c < C; c++)
            for (size_t w = 0; w < W; w++)
                if (d->category[w] == c)
                    bycat[k++] = w;
    }
    for (size_t doc = 0; doc < o->documents && !rc; doc++) {
        bract_rng r;
        bract_rng_init(&r, o->seed, ST_CORPUS, (uint32_t)doc);
        size_t c = (size_t)bract_rng_below(&r, C), nc = start[c + 1] - start[c];
        for (size_t t = 0; t < o->doc_length && !rc; t++) {
            size_t w = bract_rng_uniform(&r) < 0.75
                           ? bycat[start[c] + (size_t)bract_rng_below(&r, nc)]
                           : (size_t)bract_rng_below(&r, W);
            rc = bract_buf_printf(&b, "%s%s", t ? " " : "", d->words[w]);
        }
        if (!rc)
            rc = bract_buf_append(&b, "\n", 1);
    }
    free(bycat);
    free(start);
    if (!rc && !(d->corpus = b.data ? b.data : bract_xstrdup("")))
        rc = BRACT_ENOMEM;
    if (rc)
        bract_buf_free(&b);
    return rc;
}

int bract_simrsa_new(const bract_simrsa_opts *o, bract_simrsa **out)
{
    *out = NULL;
    int rc = check_opts(o);
    if (rc)
        return rc;
    bract_simrsa *d = bract_xcalloc(1, sizeof *d, "a simulated dataset");
    if (!d)
        return BRACT_ENOMEM;
    d->o = *o;
    size_t W = o->words, R = o->regions;
    d->nwords = W;
    d->dims = o->dims;
    d->nregions = R;
    d->nvol = W * o->runs;
    size_t *in = NULL, *lab = NULL;
    if (!(d->words = bract_xcalloc(W, sizeof *d->words, "words")) ||
        !(d->category = bract_xmalloc(W, sizeof *d->category, "categories")) ||
        !(d->embedding = bract_xmalloc(W * o->dims, sizeof *d->embedding, "an embedding")) ||
        !(d->vol_word = bract_xmalloc(d->nvol, sizeof *d->vol_word, "conditions")) ||
        !(d->vol_run = bract_xmalloc(d->nvol, sizeof *d->vol_run, "conditions")) ||
        !(d->region_names = bract_xcalloc(R, sizeof *d->region_names, "regions")) ||
        !(d->region_voxels = bract_xcalloc(R, sizeof *d->region_voxels, "regions")) ||
        !(d->region_effect = bract_xcalloc(R, sizeof *d->region_effect, "regions")) ||
        !(d->region_signal = bract_xcalloc(R, sizeof *d->region_signal, "regions"))) {
        rc = BRACT_ENOMEM;
        goto done;
    }
    if ((rc = make_words(d)) || (rc = make_conditions(d)) ||
        (rc = new_volume(o, 1, &d->mask)) || (rc = new_volume(o, 1, &d->atlas)) ||
        (rc = new_volume(o, 1, &d->truth)))
        goto done;
    in = bract_xmalloc(d->mask->nvox, sizeof *in, "brain voxels");
    lab = bract_xmalloc(d->mask->nvox, sizeof *lab, "region labels");
    if (!in || !lab) {
        rc = BRACT_ENOMEM;
        goto done;
    }
    if ((rc = make_brain(d, in, lab)) || (rc = place_effect(d, in, lab)) ||
        (rc = make_corpus(d)))
        goto done;
    *out = d;
    d = NULL;
done:
    free(in);
    free(lab);
    bract_simrsa_free(d);
    return rc;
}

int bract_simrsa_subject(const bract_simrsa *d, size_t s, bract_volume **out)
{
    *out = NULL;
    const bract_simrsa_opts *o = &d->o;
    size_t W = d->nwords, D = d->dims, T = d->nvol;
    bract_volume *v;
    int rc = new_volume(o, (int64_t)T, &v);
    if (rc)
        return rc;
    size_t nvox = v->nvox;
    /* centred embedding */
    double *ec = bract_xmalloc(W * D, sizeof *ec, "an embedding");
    double *mu = bract_xcalloc(D, sizeof *mu, "an embedding");
    /* effect units: signal regions, or the sphere (unit 0) */
    size_t nunits = o->effect == BRACT_SIMRSA_REGIONS ? d->nregions : 1;
    double *var = bract_xcalloc(nunits, sizeof *var, "effect scales");
    size_t *cnt = bract_xcalloc(nunits, sizeof *cnt, "effect scales");
    if (!ec || !mu || !var || !cnt) {
        free(ec);
        free(mu);
        free(var);
        free(cnt);
        bract_volume_free(v);
        return BRACT_ENOMEM;
    }
    for (size_t w = 0; w < W; w++)
        for (size_t k = 0; k < D; k++)
            mu[k] += d->embedding[w * D + k];
    for (size_t k = 0; k < D; k++)
        mu[k] /= (double)W;
    for (size_t w = 0; w < W; w++)
        for (size_t k = 0; k < D; k++)
            ec[w * D + k] = d->embedding[w * D + k] - mu[k];
    /* pass 1: the signal variance across words, per unit, in voxel order */
    size_t maxw = W > D ? W : D;
    double *proj = bract_xmalloc(maxw, sizeof *proj, "a projection");
    if (!proj) {
        rc = BRACT_ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < nvox; i++) {
        if (bract_volume_get(d->truth, i) == 0)
            continue;
        size_t u = nunits == 1 ? 0 : (size_t)bract_volume_get(d->atlas, i) - 1;
        bract_rng r;
        bract_rng_init(&r, o->seed, ST_PROJECTION + s, (uint32_t)i);
        for (size_t k = 0; k < D; k++)
            proj[k] = bract_rng_normal(&r);
        double ss = 0;
        for (size_t w = 0; w < W; w++) {
            double x = 0;
            for (size_t k = 0; k < D; k++)
                x += ec[w * D + k] * proj[k];
            ss += x * x;
        }
        var[u] += ss / (double)W;
        cnt[u]++;
    }
    for (size_t u = 0; u < nunits; u++)
        var[u] = cnt[u] && var[u] > 0 ? sqrt(o->snr / (var[u] / (double)cnt[u])) : 0;
    /* pass 2: every brain voxel, in parallel (each draws from its own
     * streams) */
    int err = 0;
#pragma omp parallel
    {
        double *pr = bract_xmalloc(D, sizeof *pr, "a projection");
        double *sig = bract_xmalloc(W, sizeof *sig, "a signal");
        if (!pr || !sig) {
#pragma omp atomic write
            err = 1;
        }
#pragma omp for schedule(static)
        for (size_t i = 0; i < nvox; i++) {
            if (!pr || !sig || bract_volume_get(d->mask, i) == 0)
                continue;
            int eff = bract_volume_get(d->truth, i) != 0;
            if (eff) {
                size_t u = nunits == 1 ? 0 : (size_t)bract_volume_get(d->atlas, i) - 1;
                bract_rng r;
                bract_rng_init(&r, o->seed, ST_PROJECTION + s, (uint32_t)i);
                for (size_t k = 0; k < D; k++)
                    pr[k] = bract_rng_normal(&r);
                for (size_t w = 0; w < W; w++) {
                    double x = 0;
                    for (size_t k = 0; k < D; k++)
                        x += ec[w * D + k] * pr[k];
                    sig[w] = var[u] * x;
                }
            }
            bract_rng r;
            bract_rng_init(&r, o->seed, ST_NOISE + s, (uint32_t)i);
            float *dst = v->data;
            for (size_t t = 0; t < T; t++) {
                double x = bract_rng_normal(&r);
                if (eff)
                    x += sig[d->vol_word[t]];
                dst[i + nvox * t] = (float)x;
            }
        }
        free(pr);
        free(sig);
    }
    if (err)
        rc = bract_error(BRACT_ENOMEM, "out of memory simulating patterns");
done:
    free(proj);
    free(ec);
    free(mu);
    free(var);
    free(cnt);
    if (rc) {
        bract_volume_free(v);
        return rc;
    }
    *out = v;
    return BRACT_OK;
}
