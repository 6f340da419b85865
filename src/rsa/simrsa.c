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
/* Event-related runs: + subject, or + subject * 1024 + run (runs <= 1000) */
#define ST_EVENTS 0x6576656e74000000ULL   /* + subject * 1024 + run: order and onsets */
#define ST_MOTION 0x6d6f74696f6e0000ULL   /* + subject * 1024 + run: the six walks */
#define ST_LOADING 0x6c6f616400000000ULL  /* + subject, substream voxel: motion loadings */
#define ST_DRIFT 0x6472696674000000ULL    /* + subject * 1024 + run, substream voxel */
#define ST_BOLDNOISE 0x626e6f6900000000ULL /* + subject * 1024 + run, substream voxel */
#define ST_HRF 0x6872660000000000ULL       /* + subject, substream voxel: its HRF */
#define ST_STRUCT 0x7374727563740000ULL    /* + subject * 1024 + run: shared time courses */
#define ST_STRUCTLOAD 0x736c6f6100000000ULL /* + subject, substream voxel: their loadings */

static uint64_t run_stream(uint64_t base, size_t s, size_t run)
{
    return base + (uint64_t)s * 1024u + (uint64_t)run;
}

static const char *const effect_names[] = {"regions", "sphere"};

int bract_simrsa_effect_parse(const char *s, bract_simrsa_effect *out)
{
    int v;
    int rc = bract_name_lookup(s, effect_names, 2, "effect", &v);
    if (!rc)
        *out = (bract_simrsa_effect)v;
    return rc;
}

const char *bract_simrsa_effect_name(bract_simrsa_effect e)
{
    return (unsigned)e < 2 ? effect_names[e] : "unknown";
}

void bract_simrsa_opts_defaults(bract_simrsa_opts *o)
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
    bract_simrsa_bold_opts *b = &o->bold;
    b->tr = 2;
    b->isi_min = 2;
    b->isi_max = 4;
    b->duration = 1;
    b->lead_in = 6;
    b->tail = 16;
    b->volumes = 0;
    b->hrf = BRACT_HRF_GLOVER;
    b->baseline = 100;
    b->noise_sd = 1;
    b->ar1 = 0.3;
    b->drift_sd = 1;
    b->motion_mm = 0.05;
    b->motion_effect = 0.5;
    b->evoked = 0;
    b->hrf_variability = 0;
    b->structured_noise = 0;
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
    free(d->brain);
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

/* A finite number in [lo, hi]. */
static int in_range(double x, double lo, double hi) { return isfinite(x) && x >= lo && x <= hi; }

/* The event-related options, and the run length they give (0 on error). */
static size_t run_volumes(const bract_simrsa_opts *o)
{
    const bract_simrsa_bold_opts *b = &o->bold;
    double last_end = b->lead_in + (double)(o->words - 1) * b->isi_max + b->duration;
    if (b->volumes)
        return b->volumes;
    return (size_t)ceil((last_end + b->tail) / b->tr - 1e-9);
}

static int check_bold(const bract_simrsa_opts *o)
{
    const bract_simrsa_bold_opts *b = &o->bold;
    if (!in_range(b->tr, 1e-3, 1e3))
        return bract_error(BRACT_EINVAL, "the TR must be 0.001 to 1000 s (got %g)", b->tr);
    if (!in_range(b->isi_min, 0, 1e4) || !in_range(b->isi_max, b->isi_min, 1e4) ||
        b->isi_max <= 0)
        return bract_error(BRACT_EINVAL, "the interval between onsets must be a range "
                           "0 <= min <= max <= 10000 s with max > 0 (got %g to %g)",
                           b->isi_min, b->isi_max);
    if (!in_range(b->duration, 0, 1e4) || !in_range(b->lead_in, 0, 1e5) ||
        !in_range(b->tail, 0, 1e5))
        return bract_error(BRACT_EINVAL, "event duration, lead-in and tail must be 0 to "
                           "10000 s");
    if (b->hrf != BRACT_HRF_GLOVER && b->hrf != BRACT_HRF_SPM)
        return bract_error(BRACT_EINVAL, "the simulated response is glover or spm, not %s",
                           bract_hrf_model_name(b->hrf));
    if (!in_range(b->baseline, -1e6, 1e6) || !in_range(b->noise_sd, 0, 1e6) ||
        !in_range(b->drift_sd, 0, 1e6) || !in_range(b->motion_mm, 0, 1e3) ||
        !in_range(b->motion_effect, 0, 1e6))
        return bract_error(BRACT_EINVAL, "baseline, noise, drift and motion sizes must be "
                           "finite and >= 0");
    if (!in_range(b->evoked, -1e6, 1e6) || !in_range(b->hrf_variability, 0, 10) ||
        b->structured_noise > 1000)
        return bract_error(BRACT_EINVAL, "the evoked response must be finite, the HRF "
                           "variability 0 to 10 and the structured noise 0 to 1000 time "
                           "courses");
    if (!in_range(b->ar1, 0, 0.999))
        return bract_error(BRACT_EINVAL, "the AR(1) coefficient must be 0 to 0.999 (got %g)",
                           b->ar1);
    /* the default length always fits the events; pattern volumes never
     * make a run, so only a given length is checked here (and a run's size
     * when one is made) */
    double last_end = b->lead_in + (double)(o->words - 1) * b->isi_max + b->duration;
    size_t n = b->volumes;
    if (n && (n < 2 || n > 1000000))
        return bract_error(BRACT_EINVAL, "runs of %zu volumes: expected 2 to 1000000", n);
    if (n && (double)n * b->tr < last_end)
        return bract_error(BRACT_EINVAL, "%zu volumes of %g s (%g s) are too few for %zu "
                           "words: the last event may end at %g s", n, b->tr,
                           (double)n * b->tr, o->words, last_end);
    return BRACT_OK;
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
    return check_bold(o);
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
    d->run_volumes = run_volumes(o);
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
    d->brain = in;
    in = NULL;
    *out = d;
    d = NULL;
done:
    free(in);
    free(lab);
    bract_simrsa_free(d);
    return rc;
}

/* ---- the response amplitudes a_v(w) ---- */

/* What subject s's amplitudes need: the centred embedding and each unit's
 * scale c_u (units: the regions, or the sphere as unit 0). */
typedef struct {
    size_t W, D, nunits;
    double *ec;    /* W x D */
    double *scale; /* nunits */
} signal_plan;

static void signal_plan_free(signal_plan *sp)
{
    free(sp->ec);
    free(sp->scale);
}

static size_t voxel_unit(const bract_simrsa *d, const signal_plan *sp, size_t i)
{
    return sp->nunits == 1 ? 0 : (size_t)bract_volume_get(d->atlas, i) - 1;
}

/* The unscaled amplitudes of effect voxel i: x[w] = (e_w - mean e) . u_i,
 * u_i from the voxel's own stream; pr holds D values. */
static void voxel_projection(const bract_simrsa *d, size_t s, const signal_plan *sp, size_t i,
                             double *pr, double *x)
{
    bract_rng r;
    bract_rng_init(&r, d->o.seed, ST_PROJECTION + s, (uint32_t)i);
    for (size_t k = 0; k < sp->D; k++)
        pr[k] = bract_rng_normal(&r);
    for (size_t w = 0; w < sp->W; w++) {
        double v = 0;
        for (size_t k = 0; k < sp->D; k++)
            v += sp->ec[w * sp->D + k] * pr[k];
        x[w] = v;
    }
}

/* The amplitudes of effect voxel i: c_u x[w]. */
static void voxel_amplitudes(const bract_simrsa *d, size_t s, const signal_plan *sp, size_t i,
                             double *pr, double *sig)
{
    voxel_projection(d, s, sp, i, pr, sig);
    double c = sp->scale[voxel_unit(d, sp, i)];
    for (size_t w = 0; w < sp->W; w++)
        sig[w] = d->o.bold.evoked + c * sig[w];
}

/* The centred embedding, then each unit's scale sqrt(snr / mean variance
 * across words of x) over its voxels, summed in voxel order. */
static int signal_plan_new(const bract_simrsa *d, size_t s, signal_plan *sp)
{
    const size_t W = d->nwords, D = d->dims;
    memset(sp, 0, sizeof *sp);
    sp->W = W;
    sp->D = D;
    sp->nunits = d->o.effect == BRACT_SIMRSA_REGIONS ? d->nregions : 1;
    sp->ec = bract_xmalloc(W * D, sizeof *sp->ec, "an embedding");
    sp->scale = bract_xcalloc(sp->nunits, sizeof *sp->scale, "effect scales");
    double *mu = bract_xcalloc(D, sizeof *mu, "an embedding");
    size_t *cnt = bract_xcalloc(sp->nunits, sizeof *cnt, "effect scales");
    double *proj = bract_xmalloc(W > D ? W : D, sizeof *proj, "a projection");
    double *x = bract_xmalloc(W, sizeof *x, "a projection");
    if (!sp->ec || !sp->scale || !mu || !cnt || !proj || !x) {
        free(mu);
        free(cnt);
        free(proj);
        free(x);
        signal_plan_free(sp);
        return BRACT_ENOMEM;
    }
    for (size_t w = 0; w < W; w++)
        for (size_t k = 0; k < D; k++)
            mu[k] += d->embedding[w * D + k];
    for (size_t k = 0; k < D; k++)
        mu[k] /= (double)W;
    for (size_t w = 0; w < W; w++)
        for (size_t k = 0; k < D; k++)
            sp->ec[w * D + k] = d->embedding[w * D + k] - mu[k];
    double *var = sp->scale;
    for (size_t e = 0; e < d->nmask; e++) {
        size_t i = d->brain[e];
        if (bract_volume_get(d->truth, i) == 0)
            continue;
        voxel_projection(d, s, sp, i, proj, x);
        double ss = 0;
        for (size_t w = 0; w < W; w++)
            ss += x[w] * x[w];
        size_t u = voxel_unit(d, sp, i);
        var[u] += ss / (double)W;
        cnt[u]++;
    }
    for (size_t u = 0; u < sp->nunits; u++)
        var[u] = cnt[u] && var[u] > 0 ? sqrt(d->o.snr / (var[u] / (double)cnt[u])) : 0;
    free(mu);
    free(cnt);
    free(proj);
    free(x);
    return BRACT_OK;
}

int bract_simrsa_amplitudes(const bract_simrsa *d, size_t s, double **amp)
{
    *amp = NULL;
    if (s >= d->o.subjects)
        return bract_error(BRACT_EINVAL, "subject %zu of %zu", s + 1, d->o.subjects);
    signal_plan sp;
    int rc = signal_plan_new(d, s, &sp);
    if (rc)
        return rc;
    const size_t W = d->nwords;
    double *a = bract_xcalloc(d->nmask * W, sizeof *a, "amplitudes");
    double *pr = bract_xmalloc(d->dims, sizeof *pr, "a projection");
    if (!a || !pr) {
        free(a);
        free(pr);
        signal_plan_free(&sp);
        return BRACT_ENOMEM;
    }
    for (size_t e = 0; e < d->nmask; e++)
        if (bract_volume_get(d->truth, d->brain[e]) != 0)
            voxel_amplitudes(d, s, &sp, d->brain[e], pr, a + e * W);
    free(pr);
    signal_plan_free(&sp);
    *amp = a;
    return BRACT_OK;
}

/* ---- pattern volumes ---- */

int bract_simrsa_subject(const bract_simrsa *d, size_t s, bract_volume **out)
{
    *out = NULL;
    if (s >= d->o.subjects)
        return bract_error(BRACT_EINVAL, "subject %zu of %zu", s + 1, d->o.subjects);
    const bract_simrsa_opts *o = &d->o;
    const size_t W = d->nwords, D = d->dims, T = d->nvol;
    signal_plan sp;
    int rc = signal_plan_new(d, s, &sp);
    if (rc)
        return rc;
    bract_volume *v;
    if ((rc = new_volume(o, (int64_t)T, &v))) {
        signal_plan_free(&sp);
        return rc;
    }
    const size_t nvox = v->nvox;
    /* every brain voxel, in parallel (each draws from its own streams) */
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
        for (size_t e = 0; e < d->nmask; e++) {
            if (!pr || !sig)
                continue;
            size_t i = d->brain[e];
            int eff = bract_volume_get(d->truth, i) != 0;
            if (eff)
                voxel_amplitudes(d, s, &sp, i, pr, sig);
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
    signal_plan_free(&sp);
    if (err) {
        bract_volume_free(v);
        return bract_error(BRACT_ENOMEM, "out of memory simulating patterns");
    }
    *out = v;
    return BRACT_OK;
}

/* ---- event-related runs ---- */

/* fMRIPrep's confound columns, in its order: 4 summary columns, then each
 * motion parameter with its expansions. */
static const char *const motion_names[6] = {"trans_x", "trans_y", "trans_z",
                                            "rot_x",   "rot_y",   "rot_z"};
enum { CONF_GLOBAL = 0, CONF_STD_DVARS, CONF_DVARS, CONF_FD, CONF_MOTION, NCONF = 4 + 24 };

void bract_simrsa_run_free(bract_simrsa_run *r)
{
    if (!r)
        return;
    bract_events_free(r->events);
    free(r->event_word);
    for (size_t k = 0; r->confound_names && k < r->nconfounds; k++)
        free(r->confound_names[k]);
    free(r->confound_names);
    free(r->confounds);
    bract_volume_free(r->bold);
    free(r);
}

/* Every word once, in the run's own order; onsets from lead_in, intervals
 * uniform in [isi_min, isi_max], rounded to 1 ms. */
static int run_events(const bract_simrsa *d, bract_simrsa_run *r)
{
    const bract_simrsa_bold_opts *b = &d->o.bold;
    const size_t W = d->nwords;
    bract_events *ev = bract_xcalloc(1, sizeof *ev, "events");
    if (!ev)
        return BRACT_ENOMEM;
    r->events = ev;
    if (!(ev->ev = bract_xcalloc(W, sizeof *ev->ev, "events")) ||
        !(r->event_word = bract_xmalloc(W, sizeof *r->event_word, "events")))
        return BRACT_ENOMEM;
    bract_rng g;
    bract_rng_init(&g, d->o.seed, run_stream(ST_EVENTS, r->subject, r->run), 0);
    bract_rng_permutation(&g, r->event_word, W);
    double t = b->lead_in;
    for (size_t k = 0; k < W; k++) {
        if (k)
            t += b->isi_min + (b->isi_max - b->isi_min) * bract_rng_uniform(&g);
        bract_event *e = &ev->ev[k];
        e->onset = round(t * 1000) / 1000;
        e->duration = b->duration;
        e->modulation = 1;
        e->line = k + 2;
        if (!(e->label = bract_xstrdup(d->words[r->event_word[k]])))
            return BRACT_ENOMEM;
        ev->n = k + 1;
    }
    return BRACT_OK;
}

/* The words' regressors x_w(t): n x W, row-major. */
static int run_regressors(const bract_simrsa *d, const bract_simrsa_run *r, double *X)
{
    const size_t n = r->nvol, W = d->nwords;
    double *ft = bract_xmalloc(n, sizeof *ft, "frame times");
    if (!ft)
        return BRACT_ENOMEM;
    bract_glm_frame_times(n, r->tr, 0, ft);
    bract_hrf_opts ho;
    bract_hrf_opts_defaults(&ho);
    ho.model = d->o.bold.hrf;
    bract_hrf_plan *plan;
    int rc = bract_hrf_plan_new(&ho, ft, n, &plan);
    free(ft);
    if (rc)
        return rc;
    for (size_t k = 0; k < r->events->n && !rc; k++) {
        const bract_event *e = &r->events->ev[k];
        double one = 1;
        rc = bract_hrf_plan_regressors(plan, &e->onset, &e->duration, &one, 1,
                                       X + r->event_word[k], W);
    }
    bract_hrf_plan_free(plan);
    return rc;
}

/* The six motion parameters (random walks from 0): n x 6, row-major. */
static void run_motion(const bract_simrsa *d, const bract_simrsa_run *r, double *m)
{
    const double step = d->o.bold.motion_mm;
    bract_rng g;
    bract_rng_init(&g, d->o.seed, run_stream(ST_MOTION, r->subject, r->run), 0);
    for (int k = 0; k < 6; k++)
        m[k] = 0;
    for (size_t t = 1; t < r->nvol; t++)
        for (int k = 0; k < 6; k++)
            m[t * 6 + k] = m[(t - 1) * 6 + k] + (k < 3 ? step : step / 50) * bract_rng_normal(&g);
}

/* The inverse-logit HRF of voxel i of subject s at t seconds (see simrsa.h). */
typedef struct {
    double t1, t2, t3, d1, d2, d3, u;
} il_hrf;

static void voxel_il(const bract_simrsa *d, size_t s, size_t i, il_hrf *h)
{
    const double x = d->o.bold.hrf_variability;
    bract_rng g;
    bract_rng_init(&g, d->o.seed, ST_HRF + s, (uint32_t)i);
    double z[5];
    for (int k = 0; k < 5; k++)
        z[k] = bract_rng_normal(&g);
    h->t1 = 3.0 + x * z[0];
    if (h->t1 < 1.0)
        h->t1 = 1.0;
    h->t2 = h->t1 + 4.5 * exp(0.12 * x * z[1]);
    h->t3 = h->t2 + 5.0;
    h->d1 = 0.9 * exp(0.15 * x * z[2]);
    h->d2 = 1.1 * exp(0.15 * x * z[3]);
    h->d3 = 2.0;
    h->u = 0.3 * exp(0.4 * x * z[4]);
}

static double logistic(double x) { return 1.0 / (1.0 + exp(-x)); }

static double il_at(const il_hrf *h, double t)
{
    if (t <= 0)
        return 0;
    return logistic((t - h->t1) / h->d1) - (1 + h->u) * logistic((t - h->t2) / h->d2) +
           h->u * logistic((t - h->t3) / h->d3);
}

int bract_simrsa_voxel_hrf(const bract_simrsa *d, size_t s, size_t voxel, double tr,
                           int oversampling, double **kernel, size_t *len)
{
    *kernel = NULL;
    *len = 0;
    if (s >= d->o.subjects)
        return bract_error(BRACT_EINVAL, "subject %zu of %zu", s + 1, d->o.subjects);
    double *g;
    size_t n;
    int rc = bract_hrf_kernel(d->o.bold.hrf, 0, 0, tr, oversampling, &g, &n);
    if (rc || !(d->o.bold.hrf_variability > 0)) {
        *kernel = g;
        *len = n;
        return rc;
    }
    double gmax = 0, kmax = 0;
    for (size_t k = 0; k < n; k++)
        gmax = g[k] > gmax ? g[k] : gmax;
    il_hrf h;
    voxel_il(d, s, voxel, &h);
    /* the gamma kernels' grid: linspace(0, 32, n), shifted by one step */
    const double dt = tr / (double)oversampling;
    for (size_t k = 0; k < n; k++) {
        double t = k + 1 == n ? 32.0 : (double)k * (32.0 / (double)(n - 1));
        g[k] = il_at(&h, t - dt);
        kmax = g[k] > kmax ? g[k] : kmax;
    }
    for (size_t k = 0; k < n && kmax > 0; k++)
        g[k] *= gmax / kmax;
    *kernel = g;
    *len = n;
    return BRACT_OK;
}

/* Effect voxel i's word regressors with its own HRF into X (n x W). */
static int voxel_regressors(const bract_simrsa *d, const bract_simrsa_run *r, size_t i,
                            double *X)
{
    const size_t n = r->nvol, W = d->nwords;
    double *ft = bract_xmalloc(n, sizeof *ft, "frame times"), *k = NULL;
    if (!ft)
        return BRACT_ENOMEM;
    bract_glm_frame_times(n, r->tr, 0, ft);
    bract_hrf_opts ho;
    bract_hrf_opts_defaults(&ho);
    size_t kl;
    bract_hrf_plan *plan = NULL;
    int rc = bract_simrsa_voxel_hrf(d, r->subject, i, r->tr, ho.oversampling, &k, &kl);
    if (!rc)
        rc = bract_hrf_plan_new_kernel(&ho, k, kl, ft, n, &plan);
    free(k);
    free(ft);
    memset(X, 0, n * W * sizeof *X);
    for (size_t e = 0; e < r->events->n && !rc; e++) {
        const bract_event *ev = &r->events->ev[e];
        double one = 1;
        rc = bract_hrf_plan_regressors(plan, &ev->onset, &ev->duration, &one, 1,
                                       X + r->event_word[e], W);
    }
    bract_hrf_plan_free(plan);
    return rc;
}

/* The run's shared noise time courses: n x K, AR(1) 0.7 of variance 1. */
static void run_structured(const bract_simrsa *d, const bract_simrsa_run *r, double *z)
{
    const size_t K = d->o.bold.structured_noise, n = r->nvol;
    bract_rng g;
    bract_rng_init(&g, d->o.seed, run_stream(ST_STRUCT, r->subject, r->run), 0);
    const double phi = 0.7, innov = sqrt(1 - phi * phi);
    for (size_t k = 0; k < K; k++) {
        double e = bract_rng_normal(&g);
        for (size_t t = 0; t < n; t++) {
            if (t)
                e = phi * e + innov * bract_rng_normal(&g);
            z[t * K + k] = e;
        }
    }
}

/* Brain voxel i's series into y (n values): baseline, the words' responses
 * (amp may be NULL: none), drift, motion, AR(1) noise, and the shared
 * noise time courses z (n x structured_noise; NULL without). */
static void voxel_series(const bract_simrsa *d, const bract_simrsa_run *r, size_t i,
                         const double *amp, const double *X, const double *m, const double *z,
                         double *y)
{
    const bract_simrsa_bold_opts *b = &d->o.bold;
    const size_t n = r->nvol, W = d->nwords;
    double L[6], p = 0, q = 0;
    bract_rng g;
    bract_rng_init(&g, d->o.seed, ST_LOADING + r->subject, (uint32_t)i);
    for (int k = 0; k < 6; k++)
        L[k] = b->motion_effect * bract_rng_normal(&g) * (k < 3 ? 1 : 50);
    bract_rng_init(&g, d->o.seed, run_stream(ST_DRIFT, r->subject, r->run), (uint32_t)i);
    p = bract_rng_normal(&g);
    q = bract_rng_normal(&g);
    bract_rng_init(&g, d->o.seed, run_stream(ST_BOLDNOISE, r->subject, r->run), (uint32_t)i);
    const double innov = sqrt(1 - b->ar1 * b->ar1) * b->noise_sd;
    const double pi = 3.14159265358979323846;
    double e = b->noise_sd * bract_rng_normal(&g);
    for (size_t t = 0; t < n; t++) {
        if (t)
            e = b->ar1 * e + innov * bract_rng_normal(&g);
        double u = (double)t / (double)(n - 1);
        double v = b->baseline + b->drift_sd * (p * (2 * u - 1) + q * cos(pi * u)) + e;
        for (int k = 0; k < 6; k++)
            v += L[k] * m[t * 6 + k];
        if (amp)
            for (size_t w = 0; w < W; w++)
                v += amp[w] * X[t * W + w];
        y[t] = v;
    }
    const size_t K = b->structured_noise;
    if (K && z) {
        double lk[64];
        bract_rng_init(&g, d->o.seed, ST_STRUCTLOAD + r->subject, (uint32_t)i);
        for (size_t k0 = 0; k0 < K; k0 += 64) {
            size_t nk = K - k0 < 64 ? K - k0 : 64;
            for (size_t k = 0; k < nk; k++)
                lk[k] = b->noise_sd * bract_rng_normal(&g);
            for (size_t t = 0; t < n; t++)
                for (size_t k = 0; k < nk; k++)
                    y[t] += lk[k] * z[t * K + k0 + k];
        }
    }
}

/* Sorted copy's quantile q by linear interpolation (numpy's default). */
static double sorted_quantile(const double *x, size_t n, double q)
{
    double h = q * (double)(n - 1);
    size_t lo = (size_t)floor(h);
    if (lo + 1 >= n)
        return x[n - 1];
    return x[lo] + (h - (double)lo) * (x[lo + 1] - x[lo]);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Voxel i's expected sd of a volume-to-volume difference: sqrt(2 (1 - r))
 * IQR / 1.349 (the denominator of std_dvars); w: n scratch values. */
static double voxel_diff_sd(const float *bold, size_t nvox, size_t i, size_t n, double *w)
{
    double mean = 0;
    for (size_t t = 0; t < n; t++)
        mean += (w[t] = bold[i + nvox * t]);
    mean /= (double)n;
    double c0 = 0, c1 = 0;
    for (size_t t = 0; t < n; t++) {
        c0 += (w[t] - mean) * (w[t] - mean);
        if (t)
            c1 += (w[t] - mean) * (w[t - 1] - mean);
    }
    double rho = c0 > 0 ? c1 / c0 : 0;
    qsort(w, n, sizeof *w, cmp_double);
    double sd = (sorted_quantile(w, n, 0.75) - sorted_quantile(w, n, 0.25)) / 1.349;
    return sqrt(2 * (1 - rho)) * sd;
}

/* The fMRIPrep columns from the motion and the written BOLD. */
static int run_confounds(const bract_simrsa *d, bract_simrsa_run *r, const double *m)
{
    const size_t n = r->nvol, nb = d->nmask, nvox = r->bold->nvox;
    const float *y = r->bold->data;
    r->nconfounds = NCONF;
    if (!(r->confound_names = bract_xcalloc(NCONF, sizeof *r->confound_names, "confounds")) ||
        !(r->confounds = bract_xmalloc(n * NCONF, sizeof *r->confounds, "confounds")))
        return BRACT_ENOMEM;
    static const char *const head[4] = {"global_signal", "std_dvars", "dvars",
                                        "framewise_displacement"};
    static const char *const ext[4] = {"", "_derivative1", "_power2", "_derivative1_power2"};
    for (int k = 0; k < 4; k++)
        if (!(r->confound_names[k] = bract_xstrdup(head[k])))
            return BRACT_ENOMEM;
    for (int k = 0; k < 6; k++)
        for (int x = 0; x < 4; x++) {
            char name[48];
            snprintf(name, sizeof name, "%s%s", motion_names[k], ext[x]);
            if (!(r->confound_names[CONF_MOTION + 4 * k + x] = bract_xstrdup(name)))
                return BRACT_ENOMEM;
        }
    /* the denominator of std_dvars, per voxel in parallel, summed in order */
    double *dsd = bract_xmalloc(nb, sizeof *dsd, "DVARS");
    if (!dsd)
        return BRACT_ENOMEM;
    int err = 0;
#pragma omp parallel
    {
        double *w = bract_xmalloc(n, sizeof *w, "a series");
        if (!w) {
#pragma omp atomic write
            err = 1;
        }
#pragma omp for schedule(static)
        for (size_t e = 0; e < nb; e++)
            dsd[e] = w ? voxel_diff_sd(y, nvox, d->brain[e], n, w) : 0;
        free(w);
    }
    if (err) {
        free(dsd);
        return bract_error(BRACT_ENOMEM, "out of memory computing DVARS");
    }
    double dsd_mean = 0;
    for (size_t e = 0; e < nb; e++)
        dsd_mean += dsd[e];
    dsd_mean /= (double)nb;
    free(dsd);
    for (size_t t = 0; t < n; t++) {
        double *c = r->confounds + t * NCONF;
        double g = 0, dv = 0, fd = 0;
        for (size_t e = 0; e < nb; e++) {
            size_t i = d->brain[e];
            g += y[i + nvox * t];
            if (t) {
                double diff = (double)y[i + nvox * t] - (double)y[i + nvox * (t - 1)];
                dv += diff * diff;
            }
        }
        c[CONF_GLOBAL] = g / (double)nb;
        c[CONF_DVARS] = t ? sqrt(dv / (double)nb) : NAN;
        c[CONF_STD_DVARS] = t ? (dsd_mean > 0 ? c[CONF_DVARS] / dsd_mean : NAN) : NAN;
        for (int k = 0; k < 6; k++) {
            double x = m[t * 6 + k], dx = t ? x - m[(t - 1) * 6 + k] : NAN;
            fd += fabs(dx) * (k < 3 ? 1 : 50);
            c[CONF_MOTION + 4 * k] = x;
            c[CONF_MOTION + 4 * k + 1] = dx;
            c[CONF_MOTION + 4 * k + 2] = x * x;
            c[CONF_MOTION + 4 * k + 3] = dx * dx;
        }
        c[CONF_FD] = t ? fd : NAN;
    }
    return BRACT_OK;
}

/* The BOLD series of every brain voxel, in parallel (own streams). */
static int run_bold(const bract_simrsa *d, size_t s, bract_simrsa_run *r, const double *X,
                    const double *m)
{
    const bract_simrsa_opts *o = &d->o;
    int64_t dims[4] = {o->grid[0], o->grid[1], o->grid[2], (int64_t)r->nvol};
    double vox[3] = {o->voxel_mm, o->voxel_mm, o->voxel_mm}, A[4][4];
    grid_affine(o, A);
    int rc = bract_volume_new(dims, vox, (const double(*)[4])A, r->tr, BRACT_F32, &r->bold);
    if (rc)
        return rc;
    signal_plan sp;
    if ((rc = signal_plan_new(d, s, &sp)))
        return rc;
    const size_t n = r->nvol, W = d->nwords, nvox = r->bold->nvox;
    const size_t K = o->bold.structured_noise;
    const int own_hrf = o->bold.hrf_variability > 0;
    float *dst = r->bold->data;
    double *z = K ? bract_xmalloc(n * K, sizeof *z, "shared noise") : NULL;
    if (K && !z) {
        signal_plan_free(&sp);
        return BRACT_ENOMEM;
    }
    if (K)
        run_structured(d, r, z);
    int err = 0;
#pragma omp parallel
    {
        double *pr = bract_xmalloc(d->dims, sizeof *pr, "a projection");
        double *amp = bract_xmalloc(W, sizeof *amp, "amplitudes");
        double *y = bract_xmalloc(n, sizeof *y, "a series");
        double *xv = own_hrf ? bract_xmalloc(n * W, sizeof *xv, "regressors") : NULL;
        if (!pr || !amp || !y || (own_hrf && !xv)) {
#pragma omp atomic write
            err = BRACT_ENOMEM;
        }
#pragma omp for schedule(static)
        for (size_t e = 0; e < d->nmask; e++) {
            if (!pr || !amp || !y || (own_hrf && !xv))
                continue;
            size_t i = d->brain[e];
            int eff = bract_volume_get(d->truth, i) != 0;
            const double *Xv = X;
            if (eff) {
                voxel_amplitudes(d, s, &sp, i, pr, amp);
                if (own_hrf) {
                    int st = voxel_regressors(d, r, i, xv);
                    if (st) {
#pragma omp atomic write
                        err = st;
                        continue;
                    }
                    Xv = xv;
                }
            }
            voxel_series(d, r, i, eff ? amp : NULL, Xv, m, z, y);
            for (size_t t = 0; t < n; t++)
                dst[i + nvox * t] = (float)y[t];
        }
        free(pr);
        free(amp);
        free(y);
        free(xv);
    }
    free(z);
    signal_plan_free(&sp);
    return err ? bract_error(err, "simulating BOLD failed (%s)",
                             err == BRACT_ENOMEM ? "out of memory" : "an HRF regressor")
               : BRACT_OK;
}

int bract_simrsa_run_new(const bract_simrsa *d, size_t s, size_t run, bract_simrsa_run **out)
{
    *out = NULL;
    if (s >= d->o.subjects || run >= d->o.runs)
        return bract_error(BRACT_EINVAL, "subject %zu of %zu, run %zu of %zu", s + 1,
                           d->o.subjects, run + 1, d->o.runs);
    const bract_simrsa_opts *o = &d->o;
    if ((double)o->grid[0] * (double)o->grid[1] * (double)o->grid[2] *
            (double)d->run_volumes > 4e9)
        return bract_error(BRACT_EINVAL, "a run of %zu volumes on a %lldx%lldx%lld grid would "
                           "exceed 4e9 values", d->run_volumes, (long long)o->grid[0],
                           (long long)o->grid[1], (long long)o->grid[2]);
    bract_simrsa_run *r = bract_xcalloc(1, sizeof *r, "a simulated run");
    if (!r)
        return BRACT_ENOMEM;
    r->subject = s;
    r->run = run;
    r->nvol = d->run_volumes;
    r->tr = d->o.bold.tr;
    const size_t n = r->nvol, W = d->nwords;
    double *X = bract_xcalloc(n * W, sizeof *X, "regressors");
    double *m = bract_xmalloc(n * 6, sizeof *m, "motion");
    int rc = X && m ? BRACT_OK : BRACT_ENOMEM;
    if (!rc && !(rc = run_events(d, r)) && !(rc = run_regressors(d, r, X))) {
        run_motion(d, r, m);
        if (!(rc = run_bold(d, s, r, X, m)))
            rc = run_confounds(d, r, m);
    }
    free(X);
    free(m);
    if (rc) {
        bract_simrsa_run_free(r);
        return rc;
    }
    *out = r;
    return BRACT_OK;
}
