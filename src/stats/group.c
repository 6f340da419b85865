/* Group maps: one-sample t, sign-flip permutations with max-statistic FWE
 * (t, TFCE, cluster size), FDR, and the cluster table. */
#include "base/internal.h"

#include <math.h>
#include <omp.h>
#include <string.h>
#include "bract/atlas.h"
#include "bract/mask.h"

/* ---- reading ---- */

void bract_group_data_free(bract_group_data *d)
{
    if (!d)
        return;
    free(d->vox);
    free(d->y);
    bract_volume_free(d->geom);
    free(d);
}

static void voxel_ijk(const bract_volume *g, size_t v, int64_t ijk[3])
{
    ijk[0] = (int64_t)v % g->nx;
    ijk[1] = ((int64_t)v / g->nx) % g->ny;
    ijk[2] = (int64_t)v / (g->nx * g->ny);
}

/* Transform, subtract the null mean, drop unusable voxels: x holds nsub x
 * nmask raw values at the mask voxels idx; xb (NULL for one sample) the
 * values of the second condition of a paired design, whose transforms are
 * subtracted.  Takes ownership of geom. */
static int finish_data(const double *x, const double *xb, size_t nsub, size_t n1, size_t nmask,
                       const size_t *idx, bract_volume *geom, bract_group_transform transform,
                       double null_mean, bract_group_data **out)
{
    bract_group_data *d = bract_xcalloc(1, sizeof *d, "group data");
    if (!d) {
        bract_volume_free(geom);
        return BRACT_ENOMEM;
    }
    d->geom = geom;
    d->paired = xb != NULL;
    d->n1 = n1;
    d->nsub = nsub;
    d->nmask = nmask;
    d->null_mean = null_mean;
    d->vox = bract_xmalloc(nmask ? nmask : 1, sizeof *d->vox, "group voxels");
    d->y = bract_xmalloc(nsub * (nmask ? nmask : 1), sizeof *d->y, "group values");
    double *z = bract_xmalloc(nsub, sizeof *z, "group values");
    if (!d->vox || !d->y || !z) {
        free(z);
        bract_group_data_free(d);
        return BRACT_ENOMEM;
    }
    size_t first[3] = {SIZE_MAX, SIZE_MAX, SIZE_MAX};
    size_t n = 0;
    for (size_t j = 0; j < nmask; j++) {
        int finite = 1, same = 1, same_abs = 1, same1 = 1, same2 = 1;
        for (size_t s = 0; s < nsub; s++) {
            double r = x[s * nmask + j];
            double v = transform == BRACT_GROUP_FISHER ? bract_stats_fisher_z(r) : r;
            if (xb) {
                double rb = xb[s * nmask + j];
                v -= transform == BRACT_GROUP_FISHER ? bract_stats_fisher_z(rb) : rb;
            }
            if (!n1 || s < n1) /* two samples: H0 is mean1 - mean2 = null_mean */
                v -= null_mean;
            z[s] = v;
            if (!isfinite(v))
                finite = 0;
            else if (s > 0) {
                same &= v == z[0];
                same_abs &= fabs(v) == fabs(z[0]);
                if (n1 && s < n1)
                    same1 &= v == z[0];
                else if (n1 && s > n1)
                    same2 &= v == z[n1];
            }
        }
        /* two samples: no variance within either group leaves t undefined;
         * sign flips do not apply, so equal magnitudes are no problem */
        if (n1)
            same = same || (same1 && same2), same_abs = 0;
        int why = !finite ? 0 : same ? 1 : same_abs ? 2 : -1;
        if (why >= 0) {
            size_t *cnt = why == 0   ? &d->excluded_nonfinite
                          : why == 1 ? &d->excluded_constant
                                     : &d->excluded_flip;
            if (first[why] == SIZE_MAX)
                first[why] = idx[j];
            (*cnt)++;
            continue;
        }
        d->vox[n] = idx[j];
        for (size_t s = 0; s < nsub; s++)
            d->y[s * nmask + n] = z[s]; /* compacted below */
        n++;
    }
    free(z);
    /* rows were written with stride nmask: compact to stride n */
    if (n < nmask)
        for (size_t s = 1; s < nsub; s++)
            memmove(d->y + s * n, d->y + s * nmask, n * sizeof *d->y);
    d->n = n;
    const char *const why_text[3] = {
        "a subject's value is not finite (NaN, or a correlation of exactly +-1)",
        n1 ? "neither group varies (each group's subjects have the same value)"
           : "every subject has the same value",
        ("every subject has the same magnitude with mixed signs (some sign flip has no "
         "variance)")};
    const size_t counts[3] = {d->excluded_nonfinite, d->excluded_constant, d->excluded_flip};
    for (int k = 0; k < 3; k++)
        if (counts[k]) {
            int64_t ijk[3];
            voxel_ijk(geom, first[k], ijk);
            bract_warn("%zu mask voxel%s left out because %s (the first at voxel %lld,%lld,%lld)",
                       counts[k], counts[k] == 1 ? "" : "s", why_text[k], (long long)ijk[0],
                       (long long)ijk[1], (long long)ijk[2]);
        }
    if (n == 0) {
        int rc = bract_error(BRACT_EDATA,
                             "no voxel left to test: of the %zu mask voxels, %zu have non-finite "
                             "values, %zu the same value in every subject and %zu the same "
                             "magnitude",
                             nmask, counts[0], counts[1], counts[2]);
        bract_group_data_free(d);
        return rc;
    }
    *out = d;
    return BRACT_OK;
}

static int check_common(size_t nsub, bract_group_transform transform, double null_mean)
{
    if (nsub < 2)
        return bract_error(BRACT_EINVAL, "a group test needs at least 2 subject maps (got %zu)",
                           nsub);
    if (transform != BRACT_GROUP_FISHER && transform != BRACT_GROUP_IDENTITY)
        return bract_error(BRACT_EINVAL, "unknown transform %d", (int)transform);
    if (!isfinite(null_mean))
        return bract_error(BRACT_EINVAL, "the null mean must be finite (got %g)", null_mean);
    return BRACT_OK;
}

static int check_fisher_range(const double *x, size_t n, const size_t *idx,
                              const bract_volume *geom, const char *name)
{
    for (size_t j = 0; j < n; j++)
        if (isfinite(x[j]) && fabs(x[j]) > 1) {
            int64_t ijk[3];
            voxel_ijk(geom, idx[j], ijk);
            return bract_error(BRACT_EDATA,
                               "%s: voxel %lld,%lld,%lld holds %g, which is not a correlation "
                               "(|r| > 1); maps that are not correlations must not be "
                               "Fisher-transformed (--transform none)",
                               name, (long long)ijk[0], (long long)ijk[1], (long long)ijk[2],
                               x[j]);
        }
    return BRACT_OK;
}

/* Read the maps of one condition at the nmask voxels `index` of the mask
 * grid `geom` into x (nsub x nmask). */
static int read_maps(const char *const *paths, size_t nsub, const bract_volume *geom,
                     const size_t *index, size_t nmask, bract_group_transform transform,
                     double *x)
{
    for (size_t s = 0; s < nsub; s++) {
        bract_volume *v;
        int rc = bract_volume_read(paths[s], 0, &v);
        if (rc)
            return rc;
        if (v->nt > 1) {
            rc = bract_error(BRACT_EDATA,
                             "%s: is 4-D (%lld volumes); give one 3-D map per subject",
                             paths[s], (long long)v->nt);
        } else if (!(rc = bract_volume_same_grid(geom, v, 1e-3))) {
            rc = bract_volume_gather(v, index, nmask, BRACT_TIME_ROWS, x + s * nmask);
            if (!rc && transform == BRACT_GROUP_FISHER)
                rc = check_fisher_range(x + s * nmask, nmask, index, geom, paths[s]);
        }
        bract_volume_free(v);
        if (rc)
            return rc;
    }
    return BRACT_OK;
}

static void warn_repeats(const char *const *paths, size_t n, const char *what)
{
    for (size_t a = 0; a < n; a++)
        for (size_t b = 0; b < a; b++)
            if (strcmp(paths[a], paths[b]) == 0)
                bract_warn("%s is given twice (%s %zu and %zu): it counts as two subjects",
                           paths[a], what, b + 1, a + 1);
}

/* One sample (paths_b NULL, n1 0), paired (paths_b, n1 0) or two samples
 * (paths holds group 1's n1 maps, then group 2's). */
static int read_design(const char *const *paths, const char *const *paths_b, size_t nsub,
                       size_t n1, const char *mask_path, bract_group_transform transform,
                       double null_mean, bract_group_data **out)
{
    *out = NULL;
    int rc = check_common(nsub, transform, null_mean);
    if (rc)
        return rc;
    warn_repeats(paths, nsub, "maps");
    if (paths_b) {
        warn_repeats(paths_b, nsub, "second-condition maps");
        for (size_t s = 0; s < nsub; s++)
            if (strcmp(paths[s], paths_b[s]) == 0)
                return bract_error(BRACT_EINVAL,
                                   "subject %zu: %s is both conditions of the pair (its "
                                   "difference is zero everywhere)",
                                   s + 1, paths[s]);
    }
    bract_mask *mask;
    bract_volume *geom;
    if ((rc = bract_mask_read(mask_path, &mask, &geom)))
        return rc;
    if (mask->n == 0) {
        bract_mask_free(mask);
        bract_volume_free(geom);
        return bract_error(BRACT_EDATA, "%s: the mask has no nonzero voxel", mask_path);
    }
    size_t nmask = mask->n;
    double *x = bract_xmalloc(nsub * nmask, sizeof *x, "subject values");
    double *xb = paths_b ? bract_xmalloc(nsub * nmask, sizeof *xb, "subject values") : NULL;
    if (!x || (paths_b && !xb)) {
        rc = BRACT_ENOMEM;
        goto done;
    }
    if ((rc = read_maps(paths, nsub, geom, mask->index, nmask, transform, x)) ||
        (paths_b && (rc = read_maps(paths_b, nsub, geom, mask->index, nmask, transform, xb))))
        goto done;
    rc = finish_data(x, xb, nsub, n1, nmask, mask->index, geom, transform, null_mean, out);
    geom = NULL; /* owned by the data (or freed) now */
done:
    free(x);
    free(xb);
    bract_mask_free(mask);
    bract_volume_free(geom);
    return rc;
}

int bract_group_read(const char *const *paths, size_t nsub, const char *mask_path,
                     bract_group_transform transform, double null_mean, bract_group_data **out)
{
    return read_design(paths, NULL, nsub, 0, mask_path, transform, null_mean, out);
}

int bract_group_read_paired(const char *const *paths_a, const char *const *paths_b, size_t nsub,
                            const char *mask_path, bract_group_transform transform,
                            double null_mean, bract_group_data **out)
{
    if (!paths_b) {
        *out = NULL;
        return bract_error(BRACT_EINVAL, "a paired design needs the second condition's maps");
    }
    return read_design(paths_a, paths_b, nsub, 0, mask_path, transform, null_mean, out);
}

static int check_two_sample(size_t n1, size_t n2)
{
    if (n1 < 1 || n2 < 1 || n1 + n2 < 3)
        return bract_error(BRACT_EINVAL,
                           "a two-sample test needs at least one map in each group and three "
                           "in all (got %zu and %zu)",
                           n1, n2);
    return BRACT_OK;
}

int bract_group_read_two_sample(const char *const *paths_a, size_t n1,
                                const char *const *paths_b, size_t n2, const char *mask_path,
                                bract_group_transform transform, double null_mean,
                                bract_group_data **out)
{
    *out = NULL;
    int rc = check_two_sample(n1, n2);
    if (rc)
        return rc;
    const char **all = bract_xmalloc(n1 + n2, sizeof *all, "map names");
    if (!all)
        return BRACT_ENOMEM;
    memcpy(all, paths_a, n1 * sizeof *all);
    memcpy(all + n1, paths_b, n2 * sizeof *all);
    rc = read_design(all, NULL, n1 + n2, n1, mask_path, transform, null_mean, out);
    free(all);
    return rc;
}

static int from_values(const double *x, size_t nsub, size_t n1, int64_t nx, int64_t ny,
                       int64_t nz, const unsigned char *mask, const bract_volume *geom,
                       bract_group_transform transform, double null_mean, bract_group_data **out)
{
    *out = NULL;
    int rc = check_common(nsub, transform, null_mean);
    if (rc)
        return rc;
    if (nx < 1 || ny < 1 || nz < 1)
        return bract_error(BRACT_EINVAL, "grid dimensions must be positive");
    if (geom && (geom->nx != nx || geom->ny != ny || geom->nz != nz))
        return bract_error(BRACT_EDATA, "the geometry's grid differs from %lldx%lldx%lld",
                           (long long)nx, (long long)ny, (long long)nz);
    size_t nvox = (size_t)(nx * ny * nz), nmask = 0;
    for (size_t v = 0; v < nvox; v++)
        nmask += !mask || mask[v];
    if (nmask == 0)
        return bract_error(BRACT_EDATA, "the mask has no nonzero voxel");
    bract_volume *g;
    if (geom) {
        rc = bract_volume_new_like(geom, 1, BRACT_F32, &g);
    } else {
        const int64_t dims[4] = {nx, ny, nz, 1};
        const double vox[3] = {1, 1, 1};
        rc = bract_volume_new(dims, vox, NULL, 0, BRACT_F32, &g);
    }
    if (rc)
        return rc;
    free(g->data);
    g->data = NULL;
    size_t *idx = bract_xmalloc(nmask, sizeof *idx, "mask voxels");
    double *xm = bract_xmalloc(nsub * nmask, sizeof *xm, "subject values");
    if (!idx || !xm) {
        free(idx);
        free(xm);
        bract_volume_free(g);
        return BRACT_ENOMEM;
    }
    size_t j = 0;
    for (size_t v = 0; v < nvox; v++)
        if (!mask || mask[v])
            idx[j++] = v;
    for (size_t s = 0; s < nsub; s++)
        for (j = 0; j < nmask; j++)
            xm[s * nmask + j] = x[s * nvox + idx[j]];
    rc = BRACT_OK;
    if (transform == BRACT_GROUP_FISHER)
        for (size_t s = 0; s < nsub && !rc; s++) {
            char name[32];
            snprintf(name, sizeof name, "subject %zu", s + 1);
            rc = check_fisher_range(xm + s * nmask, nmask, idx, g, name);
        }
    if (rc)
        bract_volume_free(g);
    else
        rc = finish_data(xm, NULL, nsub, n1, nmask, idx, g, transform, null_mean, out);
    free(idx);
    free(xm);
    return rc;
}

int bract_group_from_values(const double *x, size_t nsub, int64_t nx, int64_t ny, int64_t nz,
                            const unsigned char *mask, const bract_volume *geom,
                            bract_group_transform transform, double null_mean,
                            bract_group_data **out)
{
    return from_values(x, nsub, 0, nx, ny, nz, mask, geom, transform, null_mean, out);
}

int bract_group_from_values_two_sample(const double *x, size_t n1, size_t n2, int64_t nx,
                                       int64_t ny, int64_t nz, const unsigned char *mask,
                                       const bract_volume *geom, bract_group_transform transform,
                                       double null_mean, bract_group_data **out)
{
    *out = NULL;
    int rc = check_two_sample(n1, n2);
    if (rc)
        return rc;
    return from_values(x, n1 + n2, n1, nx, ny, nz, mask, geom, transform, null_mean, out);
}

/* ---- options ---- */

bract_group_opts bract_group_opts_defaults(void)
{
    bract_group_opts o;
    memset(&o, 0, sizeof o);
    o.alternative = BRACT_ALT_GREATER;
    o.seed = 1;
    o.connectivity = BRACT_CONN_CORNERS;
    bract_tfce_opts_defaults(&o.tfce_params);
    o.cluster_t = NAN;
    o.alpha = 0.05;
    return o;
}

static const char *const transform_names[] = {"fisher", "none"};

const char *bract_group_transform_name(bract_group_transform t)
{
    return (unsigned)t < 2 ? transform_names[t] : "unknown";
}

int bract_group_transform_parse(const char *s, bract_group_transform *out)
{
    if (strcmp(s, "fisher") == 0)
        *out = BRACT_GROUP_FISHER;
    else if (strcmp(s, "none") == 0 || strcmp(s, "identity") == 0)
        *out = BRACT_GROUP_IDENTITY;
    else
        return bract_error(BRACT_EINVAL, "unknown transform '%s' (expected one of fisher, none)",
                           s);
    return BRACT_OK;
}

static const char *const design_names[] = {"one-sample", "paired", "two-sample"};

const char *bract_group_design_name(bract_group_design d)
{
    return (unsigned)d < 3 ? design_names[d] : "unknown";
}

int bract_group_design_parse(const char *s, bract_group_design *out)
{
    for (unsigned i = 0; i < 3; i++)
        if (strcmp(s, design_names[i]) == 0) {
            *out = (bract_group_design)i;
            return BRACT_OK;
        }
    return bract_error(BRACT_EINVAL,
                       "unknown design '%s' (expected one of one-sample, paired, two-sample)", s);
}

bract_group_design bract_group_data_design(const bract_group_data *d)
{
    return d->paired ? BRACT_GROUP_PAIRED : d->n1 ? BRACT_GROUP_TWO_SAMPLE : BRACT_GROUP_ONE_SAMPLE;
}

const char *bract_group_correction_name(bract_group_correction c)
{
    switch (c) {
    case BRACT_CORR_FDR: return "fdr";
    case BRACT_CORR_MAXT: return "maxt-fwe";
    case BRACT_CORR_TFCE: return "tfce-fwe";
    case BRACT_CORR_CLUSTER: return "cluster-fwe";
    default: return "none";
    }
}

#define MAX_PERMUTATIONS 100000000u

static int check_opts(const bract_group_opts *o)
{
    if (o->alternative != BRACT_ALT_GREATER && o->alternative != BRACT_ALT_LESS &&
        o->alternative != BRACT_ALT_TWO_SIDED)
        return bract_error(BRACT_EINVAL, "unknown alternative %d", (int)o->alternative);
    if (o->connectivity != 6 && o->connectivity != 18 && o->connectivity != 26)
        return bract_error(BRACT_EINVAL, "connectivity must be 6, 18 or 26 (got %d)",
                           (int)o->connectivity);
    if (o->permutations > MAX_PERMUTATIONS)
        return bract_error(BRACT_EINVAL, "at most %u permutations (got %zu)", MAX_PERMUTATIONS,
                           o->permutations);
    if (o->tfce) {
        const bract_tfce_opts *p = &o->tfce_params;
        if (!(p->E > 0) || !isfinite(p->E) || !(p->H > 0) || !isfinite(p->H) ||
            !(p->dh > 0) || !isfinite(p->dh))
            return bract_error(BRACT_EINVAL,
                               "TFCE parameters must be positive and finite (E %g, H %g, dh %g)",
                               p->E, p->H, p->dh);
    }
    if (o->cluster && !(o->cluster_t > 0 && isfinite(o->cluster_t)))
        return bract_error(BRACT_EINVAL,
                           "the cluster-forming threshold must be a positive t (got %g)",
                           o->cluster_t);
    if (!(o->alpha > 0 && o->alpha < 1))
        return bract_error(BRACT_EINVAL, "alpha must be between 0 and 1 (got %g)", o->alpha);
    return BRACT_OK;
}

/* ---- results ---- */

void bract_group_result_free(bract_group_result *r)
{
    if (!r)
        return;
    free(r->mean);
    free(r->t);
    free(r->p);
    free(r->p_fdr);
    free(r->p_fwe);
    free(r->tfce);
    free(r->p_tfce_fwe);
    free(r->cluster);
    free(r->p_cluster_fwe);
    free(r->null_max_t);
    free(r->null_max_tfce);
    free(r->null_max_cluster);
    free(r->clusters);
    free(r);
}

/* ---- the sign-flip kernel ----
 *
 * S[b][v] = sum_i sign_bi y[i][v], summed over subjects in order for every
 * flip, the identity included, so that the observed statistic and the
 * permuted ones come from the same arithmetic.  Voxels go in tiles so that
 * a tile of y stays in cache across the flips of a block. */

#define FLIP_BLOCK 8
#define FLIP_TILE 256

static void flip_sums(const double *y, size_t nsub, size_t n, const unsigned char *neg,
                      size_t nb, double *S)
{
    for (size_t v0 = 0; v0 < n; v0 += FLIP_TILE) {
        size_t len = n - v0 < FLIP_TILE ? n - v0 : FLIP_TILE;
        for (size_t b = 0; b < nb; b++) {
            double *restrict s = S + b * n + v0;
            const unsigned char *sg = neg + b * nsub;
            const double *restrict y0 = y + v0;
            if (sg[0])
                for (size_t v = 0; v < len; v++)
                    s[v] = -y0[v];
            else
                for (size_t v = 0; v < len; v++)
                    s[v] = y0[v];
            for (size_t i = 1; i < nsub; i++) {
                const double *restrict yi = y + i * n + v0;
                if (sg[i])
                    for (size_t v = 0; v < len; v++)
                        s[v] -= yi[v];
                else
                    for (size_t v = 0; v < len; v++)
                        s[v] += yi[v];
            }
        }
    }
}

/* t from the flip sum S and n*Q (Q = sum of squares, the same for every
 * flip): t = S sqrt(nsub - 1) / sqrt(nsub Q - S^2). */
static void t_from_sums(const double *S, const double *nQ, size_t n, double c, double *t)
{
    for (size_t v = 0; v < n; v++) {
        double s = S[v], den = nQ[v] - s * s;
        t[v] = den > 0 ? s * c / sqrt(den) : s > 0 ? INFINITY : s < 0 ? -INFINITY : 0.0;
    }
}

/* A thread's work space: one allocation (block) for the arrays, plus the
 * cluster work space. */
typedef struct {
    double *S;          /* FLIP_BLOCK x n */
    double *tpos, *tneg, *tf; /* n each */
    size_t *perm;       /* nsub: a shuffle (two samples) */
    unsigned char *neg; /* FLIP_BLOCK x nsub */
    void *block;
    bract_cluster_ws *cws;
} thread_ws;

static int thread_ws_init(thread_ws *w, size_t n, size_t nsub, const bract_cluster_graph *g)
{
    size_t nd = (FLIP_BLOCK + 3) * n;
    char *p = bract_xmalloc(1, nd * sizeof(double) + nsub * sizeof(size_t) + FLIP_BLOCK * nsub,
                            "permutation work space");
    w->block = p;
    bract_cluster_ws_new(g, &w->cws);
    if (!p || !w->cws)
        return BRACT_ENOMEM;
    w->S = (double *)(void *)p;
    w->tpos = w->S + FLIP_BLOCK * n;
    w->tneg = w->tpos + n;
    w->tf = w->tneg + n;
    w->perm = (size_t *)(void *)(p + nd * sizeof(double));
    w->neg = (unsigned char *)(p + nd * sizeof(double) + nsub * sizeof(size_t));
    return BRACT_OK;
}

static void thread_ws_free(thread_ws *w)
{
    free(w->block);
    bract_cluster_ws_free(w->cws);
}

typedef struct {
    const bract_group_data *d;
    const bract_group_opts *o;
    const bract_cluster_graph *g;
    const double *nQ;   /* one sample: nsub times the sum of squares; two samples: the
                           sum of squares */
    const double *Stot; /* two samples: the sum over all subjects */
    double c;           /* one sample: sqrt(nsub - 1) */
} flip_ctx;

/* The constants of the two-sample t for group sizes n1 and n2. */
typedef struct {
    double i1, i2, k; /* 1/n1, 1/n2, (1/n1 + 1/n2) / (n1 + n2 - 2) */
} two_sample_k;

static two_sample_k two_sample_consts(size_t n1, size_t n2)
{
    double a = (double)n1, b = (double)n2;
    two_sample_k c = {1 / a, 1 / b, (1 / a + 1 / b) / (a + b - 2)};
    return c;
}

/* The pooled-variance t from D = sum(group 1) - sum(group 2), the total
 * sum S and the total sum of squares Q: the group sums are (S +- D) / 2,
 * and the pooled sum of squares follows from Q.  No division but one. */
static double two_sample_t(double S, double Q, double D, const two_sample_k *c)
{
    double s1 = 0.5 * (S + D), s2 = 0.5 * (S - D);
    double m1 = s1 * c->i1, m2 = s2 * c->i2;
    double diff = m1 - m2, ss = Q - s1 * m1 - s2 * m2;
    return ss > 0 ? diff / sqrt(ss * c->k) : diff > 0 ? INFINITY : diff < 0 ? -INFINITY : 0.0;
}

/* t of one relabelling from D = sum_i sign_i y_i (bract's kernel sums):
 * one sample, D is the flipped sum; two samples, signs are +1 in group 1
 * and -1 in group 2. */
static void stat_from_sums(const flip_ctx *fc, const double *D, double *t)
{
    const bract_group_data *d = fc->d;
    size_t n = d->n;
    if (!d->n1) {
        t_from_sums(D, fc->nQ, n, fc->c, t);
        return;
    }
    two_sample_k c = two_sample_consts(d->n1, d->nsub - d->n1);
    for (size_t v = 0; v < n; v++)
        t[v] = two_sample_t(fc->Stot[v], fc->nQ[v], D[v], &c);
}

/* The maxima of one flip's statistics (t in w->tpos on entry). */
static int flip_maxima(const flip_ctx *fc, thread_ws *w, double *max_t, double *max_tfce,
                       double *max_cl)
{
    const bract_group_opts *o = fc->o;
    size_t n = fc->d->n;
    double *tp = w->tpos, *tn = w->tneg;
    int alt = o->alternative;
    double m = -INFINITY;
    if (alt == BRACT_ALT_GREATER) {
        for (size_t v = 0; v < n; v++)
            m = tp[v] > m ? tp[v] : m;
    } else {
        for (size_t v = 0; v < n; v++) {
            tn[v] = -tp[v];
            double s = alt == BRACT_ALT_LESS ? tn[v] : fabs(tp[v]);
            m = s > m ? s : m;
        }
    }
    *max_t = m;
    int need_pos = alt != BRACT_ALT_LESS, need_neg = alt != BRACT_ALT_GREATER;
    if (o->cluster) {
        size_t a = 0, b = 0;
        if (need_pos)
            bract_cluster_find(fc->g, tp, o->cluster_t, NULL, NULL, &a, w->cws);
        if (need_neg)
            bract_cluster_find(fc->g, tn, o->cluster_t, NULL, NULL, &b, w->cws);
        *max_cl = (double)(a > b ? a : b);
    }
    if (o->tfce) {
        double a = 0, b = 0;
        int rc;
        if (need_pos && (rc = bract_tfce(fc->g, &o->tfce_params, tp, w->tf, &a, w->cws)))
            return rc;
        if (need_neg && (rc = bract_tfce(fc->g, &o->tfce_params, tn, w->tf, &b, w->cws)))
            return rc;
        *max_tfce = a > b ? a : b;
    }
    return BRACT_OK;
}

/* n choose k, saturating at SIZE_MAX. */
static size_t binomial(size_t n, size_t k)
{
    if (k > n)
        return 0;
    if (k > n - k)
        k = n - k;
    size_t c = 1;
    for (size_t i = 1; i <= k; i++) {
        size_t num = n - k + i;
        if (c > SIZE_MAX / num)
            return SIZE_MAX;
        c = c * num / i; /* exact: c * num is i times a binomial */
    }
    return c;
}

/* Group labels of relabelling k of a two-sample design (neg[i] = 1 for
 * group 2).  Exhaustive: the n1-subsets of the subjects in lexicographic
 * order, rank k + 1 (rank 0, the first n1 subjects, is the data);
 * random: a shuffle drawn from stream k of the seed, its first n1 subjects
 * forming group 1. */
static void relabel(size_t k, int exhaustive, uint64_t seed, size_t nsub, size_t n1,
                    unsigned char *neg, size_t *perm)
{
    for (size_t i = 0; i < nsub; i++)
        neg[i] = 1;
    if (exhaustive) {
        /* walk the subjects: x joins group 1 when the rank falls among the
         * subsets that start with it */
        size_t rank = k + 1, x = 0;
        for (size_t pos = 0; pos < n1; pos++, x++) {
            for (;; x++) {
                size_t cnt = binomial(nsub - 1 - x, n1 - 1 - pos);
                if (rank < cnt)
                    break;
                rank -= cnt;
            }
            neg[x] = 0;
        }
        return;
    }
    bract_rng r;
    bract_rng_init(&r, seed, k, 0);
    bract_rng_permutation(&r, perm, nsub);
    for (size_t i = 0; i < n1; i++)
        neg[perm[i]] = 0;
}

/* Signs of flip k: exhaustive flips use the bits of k + 1 (skipping the
 * identity), random ones draw from stream k of the seed. */
static void flip_signs(size_t k, int exhaustive, uint64_t seed, size_t nsub, unsigned char *neg)
{
    if (exhaustive) {
        uint64_t bits = (uint64_t)k + 1;
        for (size_t i = 0; i < nsub; i++)
            neg[i] = (unsigned char)((bits >> i) & 1u);
        return;
    }
    bract_rng r;
    bract_rng_init(&r, seed, k, 0);
    uint32_t word = 0;
    for (size_t i = 0; i < nsub; i++) {
        if (i % 32 == 0)
            word = bract_rng_u32(&r);
        neg[i] = (unsigned char)((word >> (i % 32)) & 1u);
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* p = (1 + #{null >= s}) / (N + 1) for each s, with `sorted` ascending. */
static void fwe_p(const double *sorted, size_t N, const double *stat, size_t n, double *p)
{
    for (size_t v = 0; v < n; v++) {
        size_t lo = 0, hi = N; /* first index with sorted[i] >= stat[v] */
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (sorted[mid] >= stat[v])
                hi = mid;
            else
                lo = mid + 1;
        }
        p[v] = (double)(1 + (N - lo)) / (double)(N + 1);
    }
}

/* Values above the returned one have FWE p <= alpha (INFINITY: none can). */
static double fwe_critical(const double *sorted, size_t N, double alpha)
{
    /* the largest count c with (1 + c) / (N + 1) <= alpha, computed as the
     * p-values are */
    long long c = (long long)floor(alpha * (double)(N + 1)) - 1;
    while (c >= 0 && (double)(1 + c) / (double)(N + 1) > alpha)
        c--;
    while ((double)(2 + c) / (double)(N + 1) <= alpha)
        c++;
    if (c < 0)
        return INFINITY;
    if ((size_t)c >= N)
        return -INFINITY;
    return sorted[N - 1 - (size_t)c];
}

/* ---- the cluster table ---- */

typedef struct {
    bract_group_cluster c;
    uint32_t tmp_label; /* label in the pass that found it */
    int pass;
} cl_item;

static int cmp_cluster(const void *a, const void *b)
{
    const bract_group_cluster *x = &((const cl_item *)a)->c, *y = &((const cl_item *)b)->c;
    if (x->size != y->size)
        return x->size > y->size ? -1 : 1;
    double ax = fabs(x->peak_t), ay = fabs(y->peak_t);
    if (ax != ay)
        return ax > ay ? -1 : 1;
    return (x->peak > y->peak) - (x->peak < y->peak);
}

/* Clusters of sel >= 1 (0/1 values) in two passes (positive, negative). */
static int build_table(const bract_group_data *d, const bract_group_opts *o,
                       const bract_cluster_graph *g, bract_cluster_ws *cws, double *const sel[2],
                       const double *pvox, bract_group_result *r, const double *null_cl)
{
    size_t n = d->n;
    uint32_t *lab[2] = {NULL, NULL};
    size_t ncl[2] = {0, 0};
    int rc = BRACT_OK;
    cl_item *items = NULL;
    uint32_t *lut = NULL;
    for (int pass = 0; pass < 2; pass++) {
        if (!sel[pass])
            continue;
        lab[pass] = bract_xmalloc(n, sizeof *lab[pass], "cluster labels");
        if (!lab[pass]) {
            rc = BRACT_ENOMEM;
            goto done;
        }
        ncl[pass] = bract_cluster_find(g, sel[pass], 1.0, lab[pass], NULL, NULL, cws);
    }
    size_t total = ncl[0] + ncl[1];
    items = bract_xcalloc(total ? total : 1, sizeof *items, "the cluster table");
    if (!items) {
        rc = BRACT_ENOMEM;
        goto done;
    }
    double(*A)[4] = d->geom->affine; /* voxel volume: |det| of the 3x3 part */
    double vol = fabs(A[0][0] * (A[1][1] * A[2][2] - A[1][2] * A[2][1]) -
                      A[0][1] * (A[1][0] * A[2][2] - A[1][2] * A[2][0]) +
                      A[0][2] * (A[1][0] * A[2][1] - A[1][1] * A[2][0]));
    size_t k = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t c = 0; c < ncl[pass]; c++) {
            items[k + c].pass = pass;
            items[k + c].tmp_label = (uint32_t)(c + 1);
            items[k + c].c.p = INFINITY;
            items[k + c].c.peak = SIZE_MAX;
        }
        for (size_t v = 0; v < n && ncl[pass]; v++) {
            uint32_t l = lab[pass][v];
            if (!l)
                continue;
            bract_group_cluster *c = &items[k + l - 1].c;
            c->size++;
            double a = fabs(r->t[v]);
            if (c->peak == SIZE_MAX || a > fabs(r->t[c->peak]))
                c->peak = v;
            if (pvox && pvox[v] < c->p)
                c->p = pvox[v];
        }
        k += ncl[pass];
    }
    if (o->atlas) {
        const bract_atlas *at = o->atlas;
        lut = bract_xcalloc(d->geom->nvox, sizeof *lut, "an atlas lookup table");
        if (!lut) {
            rc = BRACT_ENOMEM;
            goto done;
        }
        for (size_t reg = 0; reg < at->nregions; reg++)
            for (size_t j = 0; j < at->nvox[reg]; j++)
                lut[at->voxels[reg][j]] = (uint32_t)reg + 1;
    }
    for (size_t i = 0; i < total; i++) {
        bract_group_cluster *c = &items[i].c;
        c->volume_mm3 = (double)c->size * vol;
        c->peak_t = r->t[c->peak];
        size_t sv = d->vox[c->peak];
        voxel_ijk(d->geom, sv, c->peak_ijk);
        bract_volume_voxel_mm(d->geom, (double)c->peak_ijk[0], (double)c->peak_ijk[1],
                              (double)c->peak_ijk[2], c->peak_mm);
        if (r->correction == BRACT_CORR_CLUSTER) {
            double sz = (double)c->size;
            fwe_p(null_cl, r->nperm, &sz, 1, &c->p);
        } else if (!pvox) {
            c->p = NAN;
        }
        if (lut && lut[sv])
            c->label = o->atlas->name[lut[sv] - 1];
    }
    qsort(items, total, sizeof *items, cmp_cluster);
    r->clusters = bract_xmalloc(total ? total : 1, sizeof *r->clusters, "the cluster table");
    r->cluster = bract_xcalloc(n, sizeof *r->cluster, "cluster labels");
    if (!r->clusters || !r->cluster) {
        rc = BRACT_ENOMEM;
        goto done;
    }
    /* final numbering: table order */
    for (int pass = 0; pass < 2; pass++) {
        if (!ncl[pass])
            continue;
        uint32_t *map = bract_xmalloc(ncl[pass], sizeof *map, "cluster labels");
        if (!map) {
            rc = BRACT_ENOMEM;
            goto done;
        }
        for (size_t i = 0; i < total; i++)
            if (items[i].pass == pass)
                map[items[i].tmp_label - 1] = (uint32_t)i + 1;
        for (size_t v = 0; v < n; v++)
            if (lab[pass][v])
                r->cluster[v] = map[lab[pass][v] - 1];
        free(map);
    }
    for (size_t i = 0; i < total; i++)
        r->clusters[i] = items[i].c;
    r->nclusters = total;
    if (r->correction == BRACT_CORR_CLUSTER) {
        r->p_cluster_fwe = bract_xmalloc(n, sizeof *r->p_cluster_fwe, "cluster p-values");
        if (!r->p_cluster_fwe) {
            rc = BRACT_ENOMEM;
            goto done;
        }
        for (size_t v = 0; v < n; v++)
            r->p_cluster_fwe[v] = r->cluster[v] ? r->clusters[r->cluster[v] - 1].p : NAN;
    }
done:
    free(lab[0]);
    free(lab[1]);
    free(items);
    free(lut);
    return rc;
}

/* Two samples: pooled-variance t, the two-pass mean and sum of squares of
 * each group in subject order (scipy.stats.ttest_ind, equal_var). */
static void two_sample_maps(const bract_group_data *d, bract_group_result *r, double *work)
{
    size_t n = d->n, nsub = d->nsub, n1 = d->n1;
    const double *y = d->y;
    double *m2 = work, *ss = work + n;
    double f1 = (double)n1, f2 = (double)(nsub - n1);
    for (size_t v = 0; v < n; v++)
        r->mean[v] = m2[v] = ss[v] = 0;
    for (size_t i = 0; i < nsub; i++) {
        double *m = i < n1 ? r->mean : m2;
        for (size_t v = 0; v < n; v++)
            m[v] += y[i * n + v];
    }
    for (size_t v = 0; v < n; v++) {
        r->mean[v] /= f1;
        m2[v] /= f2;
    }
    for (size_t i = 0; i < nsub; i++) {
        const double *m = i < n1 ? r->mean : m2;
        for (size_t v = 0; v < n; v++) {
            double e = y[i * n + v] - m[v];
            ss[v] += e * e;
        }
    }
    for (size_t v = 0; v < n; v++) {
        double var = ss[v] / (f1 + f2 - 2);
        r->t[v] = (r->mean[v] - m2[v]) / sqrt(var * (1 / f1 + 1 / f2));
        r->mean[v] -= m2[v]; /* the difference of the means, null mean added back below */
    }
}

/* mean, t (one sample: two-pass per voxel in subject order, the order of
 * bract_stats_mean and bract_stats_var, so equal to bract_stats_ttest_1samp), p and FDR */
static int parametric_maps(const bract_group_data *d, const bract_group_opts *o,
                           bract_group_result *r)
{
    size_t n = d->n, nsub = d->nsub;
    const double *y = d->y;
    double fn = (double)nsub;
    if (d->n1) {
        double *work = bract_xmalloc(2 * n, sizeof *work, "group statistics");
        if (!work)
            return BRACT_ENOMEM;
        two_sample_maps(d, r, work);
        free(work);
        for (size_t v = 0; v < n; v++) {
            r->p[v] = bract_stats_t_pvalue(r->t[v], r->df, o->alternative);
            r->mean[v] += d->null_mean;
        }
        goto fdr;
    }
    for (size_t v = 0; v < n; v++)
        r->mean[v] = 0;
    for (size_t i = 0; i < nsub; i++)
        for (size_t v = 0; v < n; v++)
            r->mean[v] += y[i * n + v];
    for (size_t v = 0; v < n; v++) {
        r->mean[v] /= fn;
        r->t[v] = 0;
    }
    for (size_t i = 0; i < nsub; i++)
        for (size_t v = 0; v < n; v++) {
            double e = y[i * n + v] - r->mean[v];
            r->t[v] += e * e;
        }
    for (size_t v = 0; v < n; v++) {
        double var = r->t[v] / (fn - 1);
        r->t[v] = r->mean[v] / sqrt(var / fn);
        r->p[v] = bract_stats_t_pvalue(r->t[v], r->df, o->alternative);
        r->mean[v] += d->null_mean;
    }
fdr:;
    size_t *iwork = bract_xmalloc(2 * n, sizeof *iwork, "FDR work space");
    if (!iwork)
        return BRACT_ENOMEM;
    bract_stats_fdr_bh(r->p, n, r->p_fdr, iwork);
    free(iwork);
    return BRACT_OK;
}

/* The N flips on nth threads, each with its own work space: the maxima
 * of flip k go to r->null_max_*[k]. */
static int run_flips(const flip_ctx *fc, size_t N, int exhaustive, thread_ws *tw, int nth,
                     const bract_progress *progress, bract_group_result *r)
{
    const bract_group_data *d = fc->d;
    const bract_group_opts *o = fc->o;
    size_t n = d->n, nsub = d->nsub, nblocks = (N + FLIP_BLOCK - 1) / FLIP_BLOCK;
    size_t done = 0, fail_flip = SIZE_MAX;
    int failed = 0;
#pragma omp parallel num_threads(nth)
    {
        thread_ws *w = &tw[omp_get_thread_num()];
#pragma omp for schedule(dynamic, 1)
        for (size_t blk = 0; blk < nblocks; blk++) {
            size_t k0 = blk * FLIP_BLOCK, nb = N - k0 < FLIP_BLOCK ? N - k0 : FLIP_BLOCK;
            int bad;
#pragma omp atomic read
            bad = failed;
            if (bad)
                continue;
            for (size_t b = 0; b < nb; b++) {
                if (d->n1)
                    relabel(k0 + b, exhaustive, o->seed, nsub, d->n1, w->neg + b * nsub,
                            w->perm);
                else
                    flip_signs(k0 + b, exhaustive, o->seed, nsub, w->neg + b * nsub);
            }
            flip_sums(d->y, nsub, n, w->neg, nb, w->S);
            for (size_t b = 0; b < nb; b++) {
                size_t k = k0 + b;
                double mt = 0, mtf = 0, mc = 0;
                stat_from_sums(fc, w->S + b * n, w->tpos);
                if (flip_maxima(fc, w, &mt, &mtf, &mc)) {
#pragma omp critical(bract_group_fail)
                    if (k < fail_flip)
                        fail_flip = k;
#pragma omp atomic write
                    failed = 1;
                    break;
                }
                r->null_max_t[k] = mt;
                if (o->tfce)
                    r->null_max_tfce[k] = mtf;
                if (o->cluster)
                    r->null_max_cluster[k] = mc;
            }
            size_t now;
#pragma omp atomic capture
            now = done += nb;
            if (omp_get_thread_num() == 0) /* the calling thread */
                bract_progress_report(progress, now, N);
        }
    }
    if (failed)
        return bract_error(BRACT_ENUMERIC, "the statistics of %s %zu failed",
                           d->n1 ? "relabelling" : "sign flip", fail_flip + 1);
    bract_progress_report(progress, N, N);
    return BRACT_OK;
}

/* ---- the run ---- */

static int alloc_maps(bract_group_result *r, size_t n, const bract_group_opts *o)
{
    double **maps[] = {&r->mean, &r->t, &r->p, &r->p_fdr};
    for (size_t i = 0; i < sizeof maps / sizeof *maps; i++)
        if (!(*maps[i] = bract_xmalloc(n, sizeof(double), "a group map")))
            return BRACT_ENOMEM;
    if (o->permutations && !(r->p_fwe = bract_xmalloc(n, sizeof(double), "a group map")))
        return BRACT_ENOMEM;
    if (o->tfce && !(r->tfce = bract_xmalloc(n, sizeof(double), "a group map")))
        return BRACT_ENOMEM;
    if (o->tfce && o->permutations &&
        !(r->p_tfce_fwe = bract_xmalloc(n, sizeof(double), "a group map")))
        return BRACT_ENOMEM;
    return BRACT_OK;
}

/* A run: the graph, the maps of the observed data, the permutation count. */
typedef struct {
    const bract_group_data *d;
    const bract_group_opts *o;
    bract_group_result *r;
    bract_cluster_graph *g;
    bract_cluster_ws *cws;
    double *block;            /* one allocation for the five maps below */
    double *nQ, *Stot;        /* sums over subjects (flip_ctx) */
    double *tobs;             /* observed t, through the permutation arithmetic */
    double *stat;             /* the statistic maximised: t, -t or |t| */
    double *tmp;
    double tbound;            /* the largest |t| any flip or relabelling can give */
    size_t tbound_vox;
    flip_ctx fc;
    double *sorted;           /* the last null maxima sorted (cluster sizes with clusters) */
} grun;

static int check_run(const bract_group_data *d, const bract_group_opts *o)
{
    int rc = check_opts(o);
    if (rc)
        return rc;
    size_t n = d->n, nsub = d->nsub, n1 = d->n1;
    if (nsub < 2 || n == 0)
        return bract_error(BRACT_EINVAL, "group data with %zu subjects and %zu voxels", nsub, n);
    if (n1 && (rc = check_two_sample(n1, nsub > n1 ? nsub - n1 : 0)))
        return rc;
    const bract_atlas *at = o->atlas;
    if (at && (at->nx != d->geom->nx || at->ny != d->geom->ny || at->nz != d->geom->nz))
        return bract_error(BRACT_EDATA,
                           "the atlas grid (%lldx%lldx%lld) differs from the maps' "
                           "(%lldx%lldx%lld)",
                           (long long)at->nx, (long long)at->ny, (long long)at->nz,
                           (long long)d->geom->nx, (long long)d->geom->ny,
                           (long long)d->geom->nz);
    return BRACT_OK;
}

/* The result with its parametric maps; the graph and the run's maps. */
static int setup_run(grun *u)
{
    const bract_group_data *d = u->d;
    const bract_group_opts *o = u->o;
    size_t n = d->n, nsub = d->nsub, n1 = d->n1;
    bract_group_result *r = u->r = bract_xcalloc(1, sizeof *r, "group results");
    if (!r)
        return BRACT_ENOMEM;
    r->n = n;
    r->nsub = nsub;
    r->df = (double)(n1 ? nsub - 2 : nsub - 1);
    r->crit_t = r->crit_tfce = r->crit_cluster = NAN;
    r->cluster_t = o->cluster ? o->cluster_t : NAN;
    int rc;
    if ((rc = alloc_maps(r, n, o)) || (rc = parametric_maps(d, o, r)) ||
        (rc = bract_cluster_graph_new(d->geom->nx, d->geom->ny, d->geom->nz, d->vox, n,
                                    o->connectivity, &u->g)))
        return rc;
    u->block = bract_xmalloc(5 * n, sizeof *u->block, "group statistics");
    bract_cluster_ws_new(u->g, &u->cws);
    if (!u->block || !u->cws)
        return BRACT_ENOMEM;
    u->nQ = u->block;
    u->Stot = u->nQ + n;
    u->tobs = u->Stot + n;
    u->stat = u->tobs + n;
    u->tmp = u->stat + n;
    flip_ctx fc = {d, o, u->g, u->nQ, n1 ? u->Stot : NULL, sqrt((double)nsub - 1)};
    u->fc = fc;
    return BRACT_OK;
}

/* The sums the flips share, and the largest |t| any of them can give. */
static int sums_and_bound(grun *u)
{
    const bract_group_data *d = u->d;
    size_t n = d->n, nsub = d->nsub, n1 = d->n1;
    const double *y = d->y;
    double fn = (double)nsub;
    if (!n1) {
        for (size_t v = 0; v < n; v++) {
            double q = 0, a = 0;
            for (size_t i = 0; i < nsub; i++) {
                double x = y[i * n + v];
                q += x * x;
                a += fabs(x);
            }
            u->nQ[v] = fn * q;
            double den = u->nQ[v] - a * a, b = den > 0 ? a * sqrt(fn - 1) / sqrt(den) : INFINITY;
            if (b > u->tbound) {
                u->tbound = b;
                u->tbound_vox = v;
            }
        }
        return BRACT_OK;
    }
    /* t grows with group 1's sum, so its extremes put the n1 largest or the
     * n1 smallest values in group 1 */
    double *vals = bract_xmalloc(nsub, sizeof *vals, "group statistics");
    if (!vals)
        return BRACT_ENOMEM;
    two_sample_k k2 = two_sample_consts(n1, nsub - n1);
    for (size_t v = 0; v < n; v++) {
        double q = 0, sum = 0;
        for (size_t i = 0; i < nsub; i++) {
            vals[i] = y[i * n + v];
            q += vals[i] * vals[i];
            sum += vals[i];
        }
        u->nQ[v] = q;
        u->Stot[v] = sum;
        qsort(vals, nsub, sizeof *vals, cmp_double);
        double lo = 0, hi = 0;
        for (size_t i = 0; i < n1; i++) {
            lo += vals[i];
            hi += vals[nsub - 1 - i];
        }
        double b = fmax(fabs(two_sample_t(sum, q, 2 * lo - sum, &k2)),
                        fabs(two_sample_t(sum, q, 2 * hi - sum, &k2)));
        if (b > u->tbound) {
            u->tbound = b;
            u->tbound_vox = v;
        }
    }
    free(vals);
    return BRACT_OK;
}

/* The observed t through the permutation arithmetic, the statistic, TFCE. */
static int observed(grun *u)
{
    const bract_group_data *d = u->d;
    const bract_group_opts *o = u->o;
    size_t n = d->n, nsub = d->nsub, n1 = d->n1;
    unsigned char *neg = bract_xcalloc(nsub, 1, "signs");
    if (!neg)
        return BRACT_ENOMEM;
    for (size_t i = n1; n1 && i < nsub; i++)
        neg[i] = 1; /* two samples: group 2 */
    flip_sums(d->y, nsub, n, neg, 1, u->tmp);
    free(neg);
    stat_from_sums(&u->fc, u->tmp, u->tobs);
    const double *tobs = u->tobs;
    int alt = o->alternative;
    for (size_t v = 0; v < n; v++)
        u->stat[v] = alt == BRACT_ALT_GREATER ? tobs[v]
                     : alt == BRACT_ALT_LESS  ? -tobs[v]
                                              : fabs(tobs[v]);
    if (!o->tfce)
        return BRACT_OK;
    double *tf = u->r->tfce, *tfneg = u->tmp;
    int rc;
    if (alt != BRACT_ALT_LESS && (rc = bract_tfce(u->g, &o->tfce_params, tobs, tf, NULL, u->cws)))
        return rc;
    if (alt == BRACT_ALT_GREATER)
        return BRACT_OK;
    double *tn = bract_xmalloc(n, sizeof *tn, "group statistics");
    if (!tn)
        return BRACT_ENOMEM;
    for (size_t v = 0; v < n; v++)
        tn[v] = -tobs[v];
    rc = bract_tfce(u->g, &o->tfce_params, tn, tfneg, NULL, u->cws);
    free(tn);
    if (rc)
        return rc;
    for (size_t v = 0; v < n; v++)
        tf[v] = alt == BRACT_ALT_LESS ? -tfneg[v] : tobs[v] < 0 ? -tfneg[v] : tf[v];
    return BRACT_OK;
}

/* How many flips (every one when they are few enough); refuse TFCE when
 * some flip's t would need too many steps. */
static int count_permutations(grun *u)
{
    const bract_group_data *d = u->d;
    const bract_group_opts *o = u->o;
    size_t nsub = d->nsub, n1 = d->n1, N = 0;
    int exhaustive = 0;
    if (o->permutations) {
        size_t all = n1 ? binomial(nsub, n1) : nsub < 40 ? (size_t)1 << nsub : SIZE_MAX;
        if (all != SIZE_MAX && all <= o->permutations) {
            exhaustive = 1;
            N = all - 1; /* every flip or relabelling but the data's own */
        } else {
            N = o->permutations;
        }
        if (o->tfce && u->tbound / o->tfce_params.dh > 1e7) {
            int64_t ijk[3];
            voxel_ijk(d->geom, d->vox[u->tbound_vox], ijk);
            return bract_error(BRACT_EDATA,
                               "voxel %lld,%lld,%lld: %s gives t = %.3g, too large for TFCE in "
                               "steps of %g; leave the voxel out of the mask",
                               (long long)ijk[0], (long long)ijk[1], (long long)ijk[2],
                               n1 ? "some relabelling of the groups (values almost constant "
                                    "within them)"
                                  : "the subjects' values have almost equal magnitudes, so a "
                                    "sign flip",
                               u->tbound, o->tfce_params.dh);
        }
    }
    u->r->nperm = N;
    u->r->exhaustive = exhaustive;
    return BRACT_OK;
}

/* The flips on the threads, each with its own work space. */
static int permute(grun *u, const bract_progress *progress)
{
    const bract_group_opts *o = u->o;
    bract_group_result *r = u->r;
    size_t N = r->nperm, n = u->d->n, nsub = u->d->nsub;
    r->null_max_t = bract_xmalloc(N, sizeof(double), "permutation maxima");
    if (o->tfce)
        r->null_max_tfce = bract_xmalloc(N, sizeof(double), "permutation maxima");
    if (o->cluster)
        r->null_max_cluster = bract_xmalloc(N, sizeof(double), "permutation maxima");
    if (!r->null_max_t || (o->tfce && !r->null_max_tfce) || (o->cluster && !r->null_max_cluster))
        return BRACT_ENOMEM;
    size_t nblocks = (N + FLIP_BLOCK - 1) / FLIP_BLOCK;
    int nth = bract_get_threads();
    if ((size_t)nth > nblocks)
        nth = (int)nblocks;
    if (nth < 1)
        nth = 1;
    thread_ws *tw = bract_xcalloc((size_t)nth, sizeof *tw, "thread work spaces");
    if (!tw)
        return BRACT_ENOMEM;
    int rc = BRACT_OK;
    for (int t = 0; t < nth && !rc; t++) {
        rc = thread_ws_init(&tw[t], n, nsub, u->g);
        /* room for every threshold a flip can reach: no allocation below */
        if (!rc && o->tfce)
            rc = bract_tfce_reserve(tw[t].cws, &o->tfce_params,
                                    u->tbound * (1 + 1e-9) + o->tfce_params.dh);
    }
    if (!rc)
        rc = run_flips(&u->fc, N, r->exhaustive, tw, nth, progress, r);
    for (int t = 0; t < nth; t++)
        thread_ws_free(&tw[t]);
    free(tw);
    return rc;
}

/* FWE p-values and critical values from the null maxima, counted in a
 * fixed order. */
static int count_maxima(grun *u)
{
    const bract_group_opts *o = u->o;
    bract_group_result *r = u->r;
    size_t N = r->nperm, n = u->d->n;
    double *sorted = u->sorted = bract_xmalloc(N, sizeof *sorted, "permutation maxima");
    if (!sorted)
        return BRACT_ENOMEM;
    memcpy(sorted, r->null_max_t, N * sizeof *sorted);
    qsort(sorted, N, sizeof *sorted, cmp_double);
    fwe_p(sorted, N, u->stat, n, r->p_fwe);
    r->crit_t = fwe_critical(sorted, N, o->alpha);
    if (o->tfce) {
        memcpy(sorted, r->null_max_tfce, N * sizeof *sorted);
        qsort(sorted, N, sizeof *sorted, cmp_double);
        for (size_t v = 0; v < n; v++)
            u->tmp[v] = fabs(r->tfce[v]);
        fwe_p(sorted, N, u->tmp, n, r->p_tfce_fwe);
        r->crit_tfce = fwe_critical(sorted, N, o->alpha);
    }
    if (o->cluster) {
        memcpy(sorted, r->null_max_cluster, N * sizeof *sorted);
        qsort(sorted, N, sizeof *sorted, cmp_double);
        r->crit_cluster = fwe_critical(sorted, N, o->alpha);
    }
    return BRACT_OK;
}

/* The cluster table: of the cluster-forming threshold, or of the voxels
 * significant by the best correction there is. */
static int cluster_table(grun *u)
{
    const bract_group_opts *o = u->o;
    bract_group_result *r = u->r;
    size_t n = u->d->n, N = r->nperm;
    int alt = o->alternative;
    const double *pvox = NULL;
    if (o->cluster)
        r->correction = N ? BRACT_CORR_CLUSTER : BRACT_CORR_CLUSTER_NONE;
    else if (o->tfce && N)
        r->correction = BRACT_CORR_TFCE, pvox = r->p_tfce_fwe;
    else if (N)
        r->correction = BRACT_CORR_MAXT, pvox = r->p_fwe;
    else
        r->correction = BRACT_CORR_FDR, pvox = r->p_fdr;
    double *sel[2] = {NULL, NULL};
    int rc = BRACT_OK;
    for (int pass = 0; pass < 2 && !rc; pass++) {
        if ((pass == 0 && alt == BRACT_ALT_LESS) || (pass == 1 && alt == BRACT_ALT_GREATER))
            continue;
        if (!(sel[pass] = bract_xmalloc(n, sizeof(double), "cluster selection"))) {
            rc = BRACT_ENOMEM;
            break;
        }
        for (size_t v = 0; v < n; v++) {
            double tv = pass == 0 ? u->tobs[v] : -u->tobs[v];
            int in = o->cluster ? tv >= o->cluster_t : (pvox[v] <= o->alpha && tv > 0);
            sel[pass][v] = in ? 1.0 : 0.0;
        }
    }
    /* with clusters and flips, `sorted` holds the sorted largest sizes */
    if (!rc)
        rc = build_table(u->d, o, u->g, u->cws, sel, o->cluster ? NULL : pvox, r,
                         o->cluster && N ? u->sorted : NULL);
    free(sel[0]);
    free(sel[1]);
    return rc;
}

int bract_group_run(const bract_group_data *d, const bract_group_opts *o,
                    const bract_progress *progress, bract_group_result **out)
{
    *out = NULL;
    int rc = check_run(d, o);
    if (rc)
        return rc;
    grun u;
    memset(&u, 0, sizeof u);
    u.d = d;
    u.o = o;
    if (!(rc = setup_run(&u)) && !(rc = sums_and_bound(&u)) && !(rc = observed(&u)) &&
        !(rc = count_permutations(&u)) &&
        !(u.r->nperm && ((rc = permute(&u, progress)) || (rc = count_maxima(&u)))) &&
        !(rc = cluster_table(&u))) {
        *out = u.r;
        u.r = NULL;
    }
    bract_cluster_ws_free(u.cws);
    bract_cluster_graph_free(u.g);
    free(u.block);
    free(u.sorted);
    bract_group_result_free(u.r);
    return rc;
}

int bract_group_volume(const bract_group_data *d, const double *values, double fill,
                       bract_volume **out)
{
    bract_volume *v;
    int rc = bract_volume_new_like(d->geom, 1, BRACT_F32, &v);
    if (rc)
        return rc;
    float *f = v->data;
    for (size_t i = 0; i < v->nvox; i++)
        f[i] = (float)fill;
    for (size_t i = 0; i < d->n; i++)
        f[d->vox[i]] = (float)values[i];
    *out = v;
    return BRACT_OK;
}
