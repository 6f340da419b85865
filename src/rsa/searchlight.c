/* Searchlight RSA: sphere geometry, the model set, and the per-centre loop
 * over the RDM and comparison engines (see bract/searchlight.h). */
#include "base/internal.h"
#include "base/strmap_internal.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <omp.h>
#include "bract/mask.h"

/* Relative slack of a distance against the radius (NIfTI voxel sizes are
 * single precision), and of two distances that are the same. */
#define RADIUS_TOL 1e-6
#define TIE_TOL 1e-9

/* Centres per chunk of the dynamic schedule: consecutive centres share
 * most of their voxels, so a thread keeps them in cache. */
#define CHUNK 16

struct bract_searchlight {
    bract_searchlight_opts o;
    int64_t nx, ny, nz;
    size_t nvox;
    double A[9];           /* voxel -> mm, linear part, row-major */
    double unit;           /* count spheres: the shortest voxel edge, mm */
    /* offsets: radius spheres in linear order; count spheres by distance,
     * city-block distance, then (x, y, z) */
    size_t noff;
    int32_t *off;          /* noff x 3 */
    ptrdiff_t *lin;        /* linear index step of each offset */
    double *dist;          /* mm (count spheres: the tie group's distance) */
    uint32_t *tie;         /* count spheres: tie group number */
    double reach_mm;       /* count spheres: every offset within this distance is listed */
    size_t full;           /* radius spheres: offsets in the sphere */
    size_t ncentre;
    size_t *centre;
    size_t ndata;
    size_t *data;
    int32_t *col;          /* nvox: column of each voxel, -1 if unusable */
    size_t ncol;
    uint32_t *size;
    uint16_t *step;        /* count spheres: radius steps of each centre */
    unsigned char *left;
    size_t maxsize;
    int ready;             /* set_columns was called */
};

void bract_searchlight_free(bract_searchlight *s)
{
    if (!s)
        return;
    free(s->off);
    free(s->lin);
    free(s->dist);
    free(s->tie);
    free(s->centre);
    free(s->data);
    free(s->col);
    free(s->size);
    free(s->step);
    free(s->left);
    free(s);
}

size_t bract_searchlight_ncentres(const bract_searchlight *s) { return s->ncentre; }
const size_t *bract_searchlight_centres(const bract_searchlight *s) { return s->centre; }
const uint32_t *bract_searchlight_sizes(const bract_searchlight *s) { return s->size; }
const unsigned char *bract_searchlight_left_out(const bract_searchlight *s) { return s->left; }
size_t bract_searchlight_full_size(const bract_searchlight *s) { return s->o.nvoxels ? 0 : s->full; }
size_t bract_searchlight_max_size(const bract_searchlight *s) { return s->maxsize; }

const size_t *bract_searchlight_data_voxels(const bract_searchlight *s, size_t *n)
{
    *n = s->ndata;
    return s->data;
}

/* ---- offsets ---- */

static double offset_mm(const double *A, int64_t dx, int64_t dy, int64_t dz)
{
    double s = 0;
    for (int r = 0; r < 3; r++) {
        double v = A[3 * r] * (double)dx + A[3 * r + 1] * (double)dy + A[3 * r + 2] * (double)dz;
        s += v * v;
    }
    return sqrt(s);
}

double bract_searchlight_face_radius(const bract_searchlight *s)
{
    double r = 0;
    for (int k = 0; k < 3; k++) {
        double e = offset_mm(s->A, k == 0, k == 1, k == 2);
        if (e > r)
            r = e;
    }
    return r;
}

/* The largest |offset| along each voxel axis of a point within r mm:
 * r sqrt(((A'A)^-1)_kk). */
static int box_reach(const double *A, double r, const int64_t *clamp, int64_t reach[3])
{
    double M[3][3];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            M[i][j] = 0;
            for (int k = 0; k < 3; k++)
                M[i][j] += A[3 * k + i] * A[3 * k + j];
        }
    double det = M[0][0] * (M[1][1] * M[2][2] - M[1][2] * M[2][1]) -
                 M[0][1] * (M[1][0] * M[2][2] - M[1][2] * M[2][0]) +
                 M[0][2] * (M[1][0] * M[2][1] - M[1][1] * M[2][0]);
    if (!(det > 0) || !isfinite(det))
        return bract_error(BRACT_EDATA, "the voxel-to-mm affine is singular: voxel distances "
                           "are undefined");
    double inv_diag[3] = {(M[1][1] * M[2][2] - M[1][2] * M[2][1]) / det,
                          (M[0][0] * M[2][2] - M[0][2] * M[2][0]) / det,
                          (M[0][0] * M[1][1] - M[0][1] * M[1][0]) / det};
    for (int k = 0; k < 3; k++) {
        double b = r * sqrt(inv_diag[k]) * (1 + RADIUS_TOL);
        if (!(b < 1e6))
            return bract_error(BRACT_EINVAL, "a sphere of %g mm spans more than a million "
                               "voxels", r);
        reach[k] = (int64_t)floor(b);
        if (clamp && reach[k] > clamp[k] - 1)
            reach[k] = clamp[k] - 1;
    }
    return BRACT_OK;
}

typedef struct {
    int32_t d[3];
    uint32_t l1;
    double dist;
    size_t group;
} offset_rec;

static int cmp_dist(const void *a, const void *b)
{
    const offset_rec *x = a, *y = b;
    if (x->dist != y->dist)
        return x->dist < y->dist ? -1 : 1;
    for (int k = 0; k < 3; k++)
        if (x->d[k] != y->d[k])
            return x->d[k] < y->d[k] ? -1 : 1;
    return 0;
}

/* CoSMoMVPA's order: distance (tie groups), city-block distance, then the
 * offset's x, y, z (its enumeration order). */
static int cmp_cosmo(const void *a, const void *b)
{
    const offset_rec *x = a, *y = b;
    if (x->group != y->group)
        return x->group < y->group ? -1 : 1;
    if (x->l1 != y->l1)
        return x->l1 < y->l1 ? -1 : 1;
    for (int k = 0; k < 3; k++)
        if (x->d[k] != y->d[k])
            return x->d[k] < y->d[k] ? -1 : 1;
    return 0;
}

/* (Re)build the offsets: radius spheres (r = radius) or count spheres (every
 * offset within r). */
static int build_offsets(bract_searchlight *s, double r)
{
    int count = s->o.nvoxels > 0;
    /* count spheres: offsets beyond the grid's extent never reach a voxel */
    int64_t reach[3], dims[3] = {s->nx, s->ny, s->nz};
    int rc = box_reach(s->A, r, count ? dims : NULL, reach);
    if (rc)
        return rc;
    size_t box = (size_t)(2 * reach[0] + 1) * (size_t)(2 * reach[1] + 1) *
                 (size_t)(2 * reach[2] + 1);
    offset_rec *rec = bract_xmalloc(box, sizeof *rec, "sphere offsets");
    if (!rec)
        return BRACT_ENOMEM;
    size_t n = 0;
    double hi = count || !s->o.strict ? r * (1 + RADIUS_TOL) : r * (1 - RADIUS_TOL);
    for (int64_t dz = -reach[2]; dz <= reach[2]; dz++)
        for (int64_t dy = -reach[1]; dy <= reach[1]; dy++)
            for (int64_t dx = -reach[0]; dx <= reach[0]; dx++) {
                double d = offset_mm(s->A, dx, dy, dz);
                if (count || !s->o.strict ? d > hi : d >= hi)
                    continue;
                offset_rec *o = &rec[n++];
                o->d[0] = (int32_t)dx;
                o->d[1] = (int32_t)dy;
                o->d[2] = (int32_t)dz;
                o->l1 = (uint32_t)(llabs(dx) + llabs(dy) + llabs(dz));
                o->dist = d;
                o->group = 0;
            }
    if (count) {
        /* distances equal to rounding form one group, at the first's value */
        qsort(rec, n, sizeof *rec, cmp_dist);
        size_t g = 0;
        double d0 = n ? rec[0].dist : 0;
        for (size_t i = 0; i < n; i++) {
            if (rec[i].dist > d0 * (1 + TIE_TOL) + 1e-12) {
                g++;
                d0 = rec[i].dist;
            }
            rec[i].group = g;
            rec[i].dist = d0;
        }
        qsort(rec, n, sizeof *rec, cmp_cosmo);
    }
    free(s->off);
    free(s->lin);
    free(s->dist);
    free(s->tie);
    s->off = bract_xmalloc(3 * (n ? n : 1), sizeof *s->off, "sphere offsets");
    s->lin = bract_xmalloc(n ? n : 1, sizeof *s->lin, "sphere offsets");
    s->dist = bract_xmalloc(n ? n : 1, sizeof *s->dist, "sphere offsets");
    s->tie = bract_xmalloc(n ? n : 1, sizeof *s->tie, "sphere offsets");
    if (!s->off || !s->lin || !s->dist || !s->tie) {
        free(rec);
        return BRACT_ENOMEM;
    }
    uint32_t t = 0;
    for (size_t i = 0; i < n; i++) {
        for (int k = 0; k < 3; k++)
            s->off[3 * i + k] = rec[i].d[k];
        s->lin[i] = (ptrdiff_t)rec[i].d[0] +
                    (ptrdiff_t)s->nx * ((ptrdiff_t)rec[i].d[1] + (ptrdiff_t)s->ny * rec[i].d[2]);
        s->dist[i] = rec[i].dist;
        if (i && (rec[i].group != rec[i - 1].group || rec[i].l1 != rec[i - 1].l1))
            t++;
        s->tie[i] = t;
    }
    s->noff = n;
    /* count spheres: once the box spans the grid every voxel is listed */
    s->reach_mm = count && reach[0] == dims[0] - 1 && reach[1] == dims[1] - 1 &&
                          reach[2] == dims[2] - 1
                      ? INFINITY
                      : r;
    if (!count)
        s->full = n;
    free(rec);
    return BRACT_OK;
}

/* The grid coordinates of a spatial index. */
static void coords(const bract_searchlight *s, size_t v, int64_t *x, int64_t *y, int64_t *z)
{
    *x = (int64_t)(v % (size_t)s->nx);
    *y = (int64_t)(v / (size_t)s->nx % (size_t)s->ny);
    *z = (int64_t)(v / ((size_t)s->nx * (size_t)s->ny));
}

/* The voxel at offset o of (x, y, z), or -1 off the grid. */
static inline ptrdiff_t neighbour(const bract_searchlight *s, size_t v, int64_t x, int64_t y, int64_t z,
                                  size_t o)
{
    const int32_t *d = s->off + 3 * o;
    int64_t a = x + d[0], b = y + d[1], c = z + d[2];
    if (a < 0 || a >= s->nx || b < 0 || b >= s->ny || c < 0 || c >= s->nz)
        return -1;
    return (ptrdiff_t)v + s->lin[o];
}

int bract_searchlight_new(const bract_mask *mask, const bract_volume *geom, const bract_searchlight_opts *o,
                 bract_searchlight **out)
{
    *out = NULL;
    if (o->nvoxels == 0 && !(o->radius_mm > 0 && isfinite(o->radius_mm)))
        return bract_error(BRACT_EINVAL, "a searchlight needs a radius > 0 mm or a voxel count");
    if (o->nvoxels && o->keep_outside)
        return bract_error(BRACT_EINVAL, "count spheres take voxels of the mask only (CoSMoMVPA's "
                           "rule): keeping voxels outside the mask needs a radius");
    if (!(o->min_proportion >= 0 && o->min_proportion <= 1))
        return bract_error(BRACT_EINVAL, "the minimum proportion of a sphere must be in [0, 1]");
    if (o->nvoxels > UINT32_MAX)
        return bract_error(BRACT_EINVAL, "a count sphere of %zu voxels is too large", o->nvoxels);
    bract_searchlight *s = bract_xcalloc(1, sizeof *s, "a searchlight");
    if (!s)
        return BRACT_ENOMEM;
    s->o = *o;
    if (s->o.min_voxels == 0)
        s->o.min_voxels = 2;
    s->nx = mask->nx;
    s->ny = mask->ny;
    s->nz = mask->nz;
    s->nvox = (size_t)(mask->nx * mask->ny * mask->nz);
    if (geom->nx != mask->nx || geom->ny != mask->ny || geom->nz != mask->nz) {
        bract_searchlight_free(s);
        return bract_error(BRACT_EINVAL, "the geometry's grid differs from the mask's");
    }
    for (int r = 0; r < 3; r++)
        for (int k = 0; k < 3; k++)
            s->A[3 * r + k] = geom->affine[r][k];
    s->unit = INFINITY;
    for (int k = 0; k < 3; k++) {
        double e = offset_mm(s->A, k == 0, k == 1, k == 2);
        if (e < s->unit)
            s->unit = e;
    }
    int rc;
    if (o->nvoxels > mask->n) {
        rc = bract_error(BRACT_EDATA, "spheres of %zu voxels: the mask has %zu voxel%s",
                         o->nvoxels, mask->n, mask->n == 1 ? "" : "s");
        goto fail;
    }
    if (o->nvoxels) {
        /* offsets for twice the count in a full grid; more are added when
         * a centre needs them */
        double r = s->unit;
        for (;;) {
            if ((rc = build_offsets(s, r)))
                goto fail;
            if (s->noff >= 2 * o->nvoxels || isinf(s->reach_mm))
                break;
            r *= 1.5;
        }
    } else if ((rc = build_offsets(s, o->radius_mm))) {
        goto fail;
    }
    s->ncentre = mask->n;
    s->centre = bract_xmalloc(mask->n ? mask->n : 1, sizeof *s->centre, "searchlight centres");
    s->col = bract_xmalloc(s->nvox ? s->nvox : 1, sizeof *s->col, "a voxel map");
    if (!s->centre || !s->col) {
        rc = BRACT_ENOMEM;
        goto fail;
    }
    memcpy(s->centre, mask->index, mask->n * sizeof *s->centre);
    if (!o->keep_outside) {
        s->ndata = mask->n;
        s->data = bract_xmalloc(mask->n ? mask->n : 1, sizeof *s->data, "searchlight voxels");
        if (!s->data) {
            rc = BRACT_ENOMEM;
            goto fail;
        }
        memcpy(s->data, mask->index, mask->n * sizeof *s->data);
    } else {
        /* every voxel within the radius of a centre (col as flags) */
        memset(s->col, 0, s->nvox * sizeof *s->col);
        for (size_t c = 0; c < s->ncentre; c++) {
            int64_t x, y, z;
            size_t v = s->centre[c];
            coords(s, v, &x, &y, &z);
            for (size_t q = 0; q < s->noff; q++) {
                ptrdiff_t u = neighbour(s, v, x, y, z, q);
                if (u >= 0)
                    s->col[u] = 1;
            }
        }
        for (size_t v = 0; v < s->nvox; v++)
            s->ndata += s->col[v] != 0;
        s->data = bract_xmalloc(s->ndata ? s->ndata : 1, sizeof *s->data, "searchlight voxels");
        if (!s->data) {
            rc = BRACT_ENOMEM;
            goto fail;
        }
        size_t k = 0;
        for (size_t v = 0; v < s->nvox; v++)
            if (s->col[v])
                s->data[k++] = v;
    }
    *out = s;
    return BRACT_OK;
fail:
    bract_searchlight_free(s);
    return rc;
}

/* ---- spheres ---- */

/* Radius steps of count spheres: radius unit (1 + step / 2), as CoSMoMVPA
 * grows it from one voxel by half a voxel. */
static double step_radius(const bract_searchlight *s, unsigned step)
{
    return s->unit * (1 + 0.5 * (double)step) * (1 + RADIUS_TOL);
}

/* Count spheres: the candidates of centre c within radius step `step`, and
 * how many CoSMoMVPA's boundary rule keeps of them.  With cols, the kept
 * voxels' columns in candidate order; *far their largest distance. */
static size_t count_sphere(const bract_searchlight *s, size_t c, unsigned step, size_t *cols,
                           double *far)
{
    size_t v = s->centre[c], N = s->o.nvoxels;
    int64_t x, y, z;
    coords(s, v, &x, &y, &z);
    double R = step_radius(s, step);
    /* pass 1: candidates m, sum of 1-based voxel numbers, the tie group
     * around the N-th */
    size_t m = 0, first = 0, last = 0, runstart = 0;
    uint64_t sumids = 0;
    uint32_t prev_tie = UINT32_MAX, gtie = 0;
    int have_g = 0;
    for (size_t q = 0; q < s->noff && s->dist[q] <= R; q++) {
        ptrdiff_t u = neighbour(s, v, x, y, z, q);
        if (u < 0 || s->col[u] < 0)
            continue;
        m++;
        sumids += (uint64_t)s->col[u] + 1;
        if (s->tie[q] != prev_tie) {
            runstart = m;
            prev_tie = s->tie[q];
        }
        if (m == N) {
            gtie = s->tie[q];
            have_g = 1;
            first = runstart;
        }
        if (have_g && s->tie[q] == gtie)
            last = m;
    }
    size_t pos;
    if (m <= N || !have_g) {
        pos = m;
    } else {
        size_t df = N - first, dl = last - N;
        if (df == dl)
            pos = df == 0 || (sumids + m) % 2 == 0 ? first : last;
        else
            pos = df < dl ? first : last;
    }
    if (cols || far) {
        size_t k = 0;
        double f = 0;
        for (size_t q = 0; q < s->noff && k < pos; q++) {
            ptrdiff_t u = neighbour(s, v, x, y, z, q);
            if (u < 0 || s->col[u] < 0)
                continue;
            if (cols)
                cols[k] = (size_t)s->col[u];
            k++;
            f = s->dist[q];
        }
        if (far)
            *far = f;
    }
    return pos;
}

/* Radius spheres: the usable voxels of centre c (columns ascending). */
static size_t radius_sphere(const bract_searchlight *s, size_t c, size_t *cols, double *far)
{
    size_t v = s->centre[c], k = 0;
    int64_t x, y, z;
    coords(s, v, &x, &y, &z);
    double f = 0;
    for (size_t q = 0; q < s->noff; q++) {
        ptrdiff_t u = neighbour(s, v, x, y, z, q);
        if (u < 0 || s->col[u] < 0)
            continue;
        if (cols)
            cols[k] = (size_t)s->col[u];
        k++;
        if (s->dist[q] > f)
            f = s->dist[q];
    }
    if (far)
        *far = f;
    return k;
}

static void sort_sizes(size_t *a, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        size_t t = a[i], j = i;
        while (j > 0 && a[j - 1] > t) {
            a[j] = a[j - 1];
            j--;
        }
        a[j] = t;
    }
}

size_t bract_searchlight_sphere(const bract_searchlight *s, size_t c, size_t *cols, double *radius_mm)
{
    if (!s->ready || c >= s->ncentre)
        return 0;
    if (!s->o.nvoxels)
        return radius_sphere(s, c, cols, radius_mm);
    size_t k = count_sphere(s, c, s->step[c], cols, radius_mm);
    if (cols)
        sort_sizes(cols, k);
    return k;
}

/* Count spheres: the radius step at which centre c has N candidates, or
 * UINT16_MAX when the offsets do not reach that far. */
static unsigned grow_step(const bract_searchlight *s, size_t c)
{
    size_t v = s->centre[c], N = s->o.nvoxels, m = 0;
    int64_t x, y, z;
    coords(s, v, &x, &y, &z);
    for (size_t q = 0; q < s->noff; q++) {
        ptrdiff_t u = neighbour(s, v, x, y, z, q);
        if (u < 0 || s->col[u] < 0)
            continue;
        if (++m == N) {
            unsigned k = 0;
            while (step_radius(s, k) < s->dist[q] && k < UINT16_MAX - 1)
                k++;
            /* the offsets must cover the whole radius of that step */
            return isinf(s->reach_mm) || step_radius(s, k) <= s->reach_mm * (1 + RADIUS_TOL)
                       ? k
                       : UINT16_MAX;
        }
    }
    return UINT16_MAX;
}

int bract_searchlight_set_columns(bract_searchlight *s, const size_t *voxel, size_t n)
{
    if (n > (size_t)INT32_MAX)
        return bract_error(BRACT_EINVAL, "%zu voxels: a searchlight takes at most %d", n,
                           INT32_MAX);
    for (size_t v = 0; v < s->nvox; v++)
        s->col[v] = -1;
    for (size_t j = 0; j < n; j++) {
        if (voxel[j] >= s->nvox || (j && voxel[j] <= voxel[j - 1]))
            return bract_error(BRACT_EINVAL, "column %zu: voxel %zu is %s", j + 1, voxel[j],
                               voxel[j] >= s->nvox ? "off the grid" : "not in ascending order");
        s->col[voxel[j]] = (int32_t)j;
    }
    s->ncol = n;
    size_t N = s->o.nvoxels, C = s->ncentre;
    if (N && n < N)
        return bract_error(BRACT_EDATA, "spheres of %zu voxels: the mask has %zu usable voxel%s",
                           N, n, n == 1 ? "" : "s");
    free(s->size);
    free(s->step);
    free(s->left);
    s->step = NULL;
    s->size = bract_xmalloc(C ? C : 1, sizeof *s->size, "sphere sizes");
    s->left = bract_xmalloc(C ? C : 1, 1, "sphere flags");
    if (N)
        s->step = bract_xmalloc(C ? C : 1, sizeof *s->step, "sphere radii");
    if (!s->size || !s->left || (N && !s->step))
        return BRACT_ENOMEM;
    if (N) {
        /* every centre's radius step, extending the offsets until each
         * centre reaches N usable voxels */
        int more = 1;
        for (int round = 0; more; round++) {
            more = 0;
#pragma omp parallel for schedule(dynamic, 256) reduction(| : more)
            for (size_t c = 0; c < C; c++) {
                if (round && s->step[c] != UINT16_MAX)
                    continue;
                s->step[c] = (uint16_t)grow_step(s, c);
                more |= s->step[c] == UINT16_MAX;
            }
            if (more) {
                if (isinf(s->reach_mm)) /* cannot happen: n >= N voxels are listed */
                    return bract_error(BRACT_EDATA, "a count sphere cannot grow to %zu usable "
                                       "voxels", N);
                int rc = build_offsets(s, s->reach_mm * 2);
                if (rc)
                    return rc;
            }
        }
    }
    size_t minv = s->o.min_voxels;
    double full = N ? (double)N : (double)s->full;
#pragma omp parallel for schedule(dynamic, 256)
    for (size_t c = 0; c < C; c++) {
        size_t k = N ? count_sphere(s, c, s->step[c], NULL, NULL) : radius_sphere(s, c, NULL, NULL);
        s->size[c] = (uint32_t)k;
        s->left[c] = k == 0 || k < minv || (double)k < s->o.min_proportion * full;
    }
    s->maxsize = 0;
    for (size_t c = 0; c < C; c++)
        if (!s->left[c] && s->size[c] > s->maxsize)
            s->maxsize = s->size[c];
    s->ready = 1;
    return BRACT_OK;
}

void bract_searchlight_split(const bract_searchlight *s, size_t parts, size_t *bounds)
{
    /* cost of a centre: its voxels plus a constant for the comparison */
    enum { FIXED = 64 };
    double total = 0;
    for (size_t c = 0; c < s->ncentre; c++)
        total += s->left[c] ? 1 : (double)s->size[c] + FIXED;
    bounds[0] = 0;
    double cum = 0;
    size_t c = 0;
    for (size_t p = 1; p < parts; p++) {
        double target = total * (double)p / (double)parts;
        while (c < s->ncentre && cum < target) {
            cum += s->left[c] ? 1 : (double)s->size[c] + FIXED;
            c++;
        }
        bounds[p] = c;
    }
    bounds[parts] = s->ncentre;
}

/* ---- models ---- */

struct bract_searchlight_models {
    size_t n, np, K;
    size_t *perm;            /* np: design-order pair -> model-order pair */
    size_t nplans;
    bract_compare_plan **plan;
    size_t *plan_k;
    size_t *plan_model;      /* K: the models of each plan, plan after plan */
    size_t *plan_start;      /* nplans + 1 */
    size_t *npairs;          /* K */
};

void bract_searchlight_models_free(bract_searchlight_models *m)
{
    if (!m)
        return;
    for (size_t p = 0; p < m->nplans; p++)
        bract_compare_plan_free(m->plan[p]);
    free(m->plan);
    free(m->plan_k);
    free(m->plan_model);
    free(m->plan_start);
    free(m->perm);
    free(m->npairs);
    free(m);
}

size_t bract_searchlight_models_count(const bract_searchlight_models *m) { return m->K; }
size_t bract_searchlight_models_npairs(const bract_searchlight_models *m, size_t k) { return m->npairs[k]; }

/* map[i] = index in `order` (a map from the first model's labels) of label
 * i of r; an error naming the differences otherwise. */
static int match_labels(const bract_strmap *order, size_t n, char *const *labels, size_t rn,
                        char *const *rlabels, const char *what, size_t *map, unsigned char *seen)
{
    memset(seen, 0, n);
    bract_buf msg = {0};
    size_t extra = 0, missing = 0;
    for (size_t i = 0; i < rn; i++) {
        long k = bract_strmap_get(order, rlabels[i], strlen(rlabels[i]));
        if (k < 0 || seen[k]) {
            if (extra++ < 5)
                bract_buf_printf(&msg, "%s'%s'", extra > 1 ? ", " : "", rlabels[i]);
            continue;
        }
        map[i] = (size_t)k;
        seen[k] = 1;
    }
    for (size_t k = 0; k < n; k++)
        missing += !seen[k];
    if (!extra && !missing) {
        bract_buf_free(&msg);
        return BRACT_OK;
    }
    bract_buf all = {0};
    bract_buf_printf(&all, "%s does not have the conditions of the first model (%zu conditions, "
                     "the model %zu)", what, rn, n);
    if (extra)
        bract_buf_printf(&all, "; not in the model: %s%s", msg.data, extra > 5 ? ", ..." : "");
    if (missing) {
        bract_buf_printf(&all, "; missing: ");
        size_t shown = 0;
        for (size_t k = 0; k < n && shown < 5; k++)
            if (!seen[k])
                bract_buf_printf(&all, "%s'%s'", shown++ ? ", " : "", labels[k]);
        if (missing > 5)
            bract_buf_printf(&all, ", ...");
    }
    int rc = bract_error(BRACT_EDATA, "%s", all.data ? all.data : "conditions differ");
    bract_buf_free(&msg);
    bract_buf_free(&all);
    return rc;
}

/* RDM R in the first model's condition order (n conditions, labels in
 * `order`) into dst; refused when constant, or missing pairs under
 * BRACT_NAN_MATCH.  `what` names it in messages. */
static int model_vector(const bract_strmap *order, const bract_rdm *m0, const bract_rdm *R,
                        const char *what, bract_compare_nan nan_policy, size_t *map,
                        unsigned char *seen, double *dst)
{
    size_t n = m0->n, np = bract_npairs(n);
    int rc = match_labels(order, n, m0->cond, R->n, R->cond, what, map, seen);
    if (rc)
        return rc;
    for (size_t i = 0, q = 0; i < R->n; i++)
        for (size_t j = i + 1; j < R->n; j++, q++) {
            size_t a = map[i], b = map[j];
            dst[a < b ? bract_pair_index(n, a, b) : bract_pair_index(n, b, a)] = R->d[q];
        }
    double first = NAN;
    int constant = 1, missing = 0;
    for (size_t q = 0; q < np; q++) {
        if (isnan(dst[q])) {
            missing = 1;
            continue;
        }
        if (isnan(first))
            first = dst[q];
        else if (dst[q] != first)
            constant = 0;
    }
    if (constant)
        return bract_error(BRACT_EDATA, "%s is constant: a comparison with it is undefined", what);
    if (missing && nan_policy == BRACT_NAN_MATCH)
        return bract_error(BRACT_EDATA,
                           "%s misses pairs, which every sphere's RDM has: ignore "
                           "the spheres' values there (the model-mask policy)",
                           what);
    return BRACT_OK;
}

/* Plans: models missing the same pairs together (bract_rsa_run's grouping;
 * with a partial setting they must all miss the same); plan_of holds K. */
static int group_plans(bract_searchlight_models *m, const double *vec, size_t *plan_of,
                       const bract_compare_opts *o)
{
    size_t K = m->K, np = m->np;
    for (size_t k = 0; k < K; k++) {
        size_t p = m->nplans;
        for (size_t k2 = 0; k2 < k && p == m->nplans; k2++) {
            int eq = 1;
            for (size_t q = 0; q < np && eq; q++)
                eq = isnan(vec[k2 * np + q]) == isnan(vec[k * np + q]);
            if (eq)
                p = plan_of[k2];
        }
        plan_of[k] = p;
        if (p == m->nplans)
            m->nplans++;
    }
    if (m->nplans > 1 && o->partial != BRACT_PARTIAL_NONE)
        return bract_error(BRACT_EDATA, "the model RDMs miss different pairs of conditions: "
                                        "partial correlation needs them to miss the same pairs");
    for (size_t p = 0, w = 0; p < m->nplans; p++) {
        m->plan_start[p] = w;
        for (size_t k = 0; k < K; k++)
            if (plan_of[k] == p) {
                m->plan_model[w++] = k;
                m->plan_k[p]++;
            }
        m->plan_start[p + 1] = w;
    }
    return BRACT_OK;
}

/* A comparison plan per group of models (vec: K models, then nc controls;
 * mv holds K + nc + 1 pointers). */
static int make_plans(bract_searchlight_models *m, const double *vec, size_t nc, const double **mv,
                      const bract_compare_opts *o)
{
    size_t np = m->np;
    for (size_t p = 0; p < m->nplans; p++) {
        size_t kp = m->plan_k[p];
        const size_t *pm = m->plan_model + m->plan_start[p];
        for (size_t i = 0; i < kp; i++)
            mv[i] = vec + pm[i] * np;
        const double **cv = mv + kp;
        for (size_t i = 0; i < nc; i++)
            cv[i] = vec + (m->K + i) * np;
        int rc = bract_compare_plan_new(o, m->n, kp, mv, nc, cv, &m->plan[p]);
        if (rc)
            return bract_error_context(rc, "comparing with the models");
        for (size_t i = 0; i < kp; i++)
            m->npairs[pm[i]] = bract_compare_plan_npairs(m->plan[p]);
    }
    return BRACT_OK;
}

/* The design's conditions onto the models' order (perm). */
static int design_order(bract_searchlight_models *m, const bract_strmap *order, const bract_rdm *m0,
                        const bract_rdm_design *d, size_t *map, unsigned char *seen)
{
    size_t n = m->n;
    int rc = match_labels(order, n, m0->cond, d->ncond, d->cond, "the conditions table", map, seen);
    if (rc)
        return rc;
    for (size_t i = 0, q = 0; i < d->ncond; i++)
        for (size_t j = i + 1; j < d->ncond; j++, q++) {
            size_t a = map[i], b = map[j];
            m->perm[q] = a < b ? bract_pair_index(n, a, b) : bract_pair_index(n, b, a);
        }
    return BRACT_OK;
}

int bract_searchlight_models_new(const bract_rdm_design *d, size_t nmodels, const bract_rdm *const *models,
                        const char *const *model_files, size_t ncontrols,
                        const bract_rdm *const *controls, const char *const *control_files,
                        const bract_compare_opts *o, bract_searchlight_models **out)
{
    *out = NULL;
    if (nmodels == 0)
        return bract_error(BRACT_EINVAL, "no model RDM");
    const bract_rdm *m0 = models[0];
    size_t n = m0->n, np = bract_npairs(n), K = nmodels;
    size_t nc = o->partial == BRACT_PARTIAL_NONE ? 0 : ncontrols;
    bract_searchlight_models *m = bract_xcalloc(1, sizeof *m, "a model set");
    if (!m)
        return BRACT_ENOMEM;
    bract_strmap order = {0};
    m->n = n;
    m->np = np;
    m->K = K;
    m->perm = bract_xmalloc(np ? np : 1, sizeof *m->perm, "a model set");
    m->npairs = bract_xmalloc(K, sizeof *m->npairs, "a model set");
    m->plan = bract_xcalloc(K, sizeof *m->plan, "a model set");
    m->plan_k = bract_xcalloc(K, sizeof *m->plan_k, "a model set");
    m->plan_model = bract_xmalloc(K, sizeof *m->plan_model, "a model set");
    m->plan_start = bract_xcalloc(K + 1, sizeof *m->plan_start, "a model set");
    double *vec = bract_xmalloc((K + nc) * (np ? np : 1), sizeof *vec, "model RDMs");
    size_t *map = bract_xmalloc(n > d->ncond ? n : d->ncond, sizeof *map, "a condition map");
    unsigned char *seen = bract_xmalloc(n ? n : 1, 1, "a condition map");
    const double **mv = (const double **)bract_xmalloc(K + nc + 1, sizeof *mv, "model RDMs");
    size_t *plan_of = bract_xmalloc(K, sizeof *plan_of, "plans");
    int rc = BRACT_ENOMEM;
    if (plan_of && m->perm && m->npairs && m->plan && m->plan_k && m->plan_model && m->plan_start &&
        vec && map && seen && mv && !bract_strmap_init(&order, n)) {
        rc = BRACT_OK;
        for (size_t i = 0; i < n && !rc; i++)
            if (bract_strmap_put(&order, m0->cond[i], strlen(m0->cond[i]), i, NULL))
                rc = BRACT_ENOMEM;
    }
    if (!rc)
        rc = design_order(m, &order, m0, d, map, seen);
    /* every model and control in the first model's order */
    for (size_t r = 0; r < K + nc && !rc; r++) {
        const bract_rdm *R = r < K ? models[r] : controls[r - K];
        const char *file = r < K ? (model_files ? model_files[r] : NULL)
                                 : (control_files ? control_files[r - K] : NULL);
        char what[512];
        snprintf(what, sizeof what, "%s%s%s RDM '%s'", file ? file : "", file ? ": " : "",
                 r < K ? "model" : "control", R->name);
        rc = model_vector(&order, m0, R, what, o->nan_policy, map, seen, vec + r * np);
    }
    if (!rc && !(rc = group_plans(m, vec, plan_of, o)))
        rc = make_plans(m, vec, nc, mv, o);
    if (rc == BRACT_ENOMEM && !*bract_last_error())
        bract_error(rc, "out of memory preparing the models");
    bract_strmap_free(&order);
    free(vec);
    free(map);
    free(seen);
    free(mv);
    free(plan_of);
    if (rc) {
        bract_searchlight_models_free(m);
        return rc;
    }
    *out = m;
    return BRACT_OK;
}

/* ---- the per-centre loop ---- */

typedef struct {
    bract_rdm_ws *rdm;
    bract_compare_ws **cmp;
    size_t *cols;
    double *x, *res, *d, *dm, *tmp;
    size_t fail_centre;
    char fail_msg[512];
} worker;

static void worker_free(worker *w, size_t nplans)
{
    bract_rdm_ws_free(w->rdm);
    if (w->cmp)
        for (size_t p = 0; p < nplans; p++)
            bract_compare_ws_free(w->cmp[p]);
    free(w->cmp);
    free(w->cols);
    free(w->x);
    free(w->res);
    free(w->d);
    free(w->dm);
    free(w->tmp);
}

static int worker_init(worker *w, const bract_rdm_plan *plan, const bract_searchlight_models *m,
                       size_t nobs, size_t nres, size_t P)
{
    memset(w, 0, sizeof *w);
    w->fail_centre = SIZE_MAX;
    size_t np = m->np ? m->np : 1;
    if (bract_rdm_ws_new(plan, &w->rdm))
        return BRACT_ENOMEM;
    w->cmp = bract_xcalloc(m->nplans, sizeof *w->cmp, "comparison workspaces");
    w->cols = bract_xmalloc(P, sizeof *w->cols, "a sphere");
    w->x = bract_xmalloc(nobs * P, sizeof *w->x, "a sphere's patterns");
    w->res = nres ? bract_xmalloc(nres * P, sizeof *w->res, "a sphere's residuals") : NULL;
    w->d = bract_xmalloc(np, sizeof *w->d, "an RDM");
    w->dm = bract_xmalloc(np, sizeof *w->dm, "an RDM");
    w->tmp = bract_xmalloc(m->K, sizeof *w->tmp, "values");
    if (!w->cmp || !w->cols || !w->x || (nres && !w->res) || !w->d || !w->dm || !w->tmp)
        return BRACT_ENOMEM;
    for (size_t p = 0; p < m->nplans; p++)
        if (bract_compare_ws_new(m->plan[p], &w->cmp[p]))
            return BRACT_ENOMEM;
    return BRACT_OK;
}

/* Copy columns cols[0..P) of rows x rows of a (stride ld) into out (rows x
 * P). */
static void gather_cols(const double *a, size_t ld, size_t rows, const size_t *cols, size_t P,
                        double *out)
{
    for (size_t k = 0; k < rows; k++) {
        const double *r = a + k * ld;
        double *o = out + k * P;
        for (size_t j = 0; j < P; j++)
            o[j] = r[cols[j]];
    }
}

/* One centre: its status; values[0..K). */
static unsigned char one_centre(const bract_searchlight *s, const bract_searchlight_input *in,
                                const bract_rdm_plan *plan, worker *w, size_t c, double *values)
{
    const bract_searchlight_models *m = in->models;
    size_t K = m->K;
    for (size_t k = 0; k < K; k++)
        values[k] = NAN;
    if (s->left[c])
        return BRACT_SL_LEFT_OUT;
    size_t P = bract_searchlight_sphere(s, c, w->cols, NULL);
    size_t nobs = in->design->nobs;
    gather_cols(in->x, in->ldx, nobs, w->cols, P, w->x);
    bract_rdm_noise nz = {0};
    if (in->nres) {
        gather_cols(in->res, in->ldr, in->nres, w->cols, P, w->res);
        nz.resid = w->res;
        nz.ldr = P;
        nz.nres = in->nres;
    }
    if (bract_rdm_compute(plan, w->rdm, w->x, P, P, in->nres ? &nz : NULL, w->d, NULL)) {
        if (c < w->fail_centre) {
            w->fail_centre = c;
            snprintf(w->fail_msg, sizeof w->fail_msg, "%s", bract_last_error());
        }
        return BRACT_SL_FAILED;
    }
    for (size_t q = 0; q < m->np; q++)
        w->dm[m->perm[q]] = w->d[q];
    unsigned char st = BRACT_SL_OK;
    for (size_t p = 0; p < m->nplans; p++) {
        const size_t *idx = m->plan_model + m->plan_start[p];
        if (bract_compare_run(m->plan[p], w->cmp[p], w->dm, w->tmp)) {
            st = BRACT_SL_UNDEFINED;
            continue;
        }
        for (size_t i = 0; i < m->plan_k[p]; i++) {
            values[idx[i]] = w->tmp[i];
            if (isnan(w->tmp[i]))
                st = BRACT_SL_UNDEFINED;
        }
    }
    return st;
}

int bract_searchlight_run(const bract_searchlight *s, const bract_searchlight_input *in, size_t c0, size_t c1,
                 double *values, unsigned char *status, bract_searchlight_failure *fail,
                 const bract_progress *prog)
{
    if (fail) {
        fail->centre = SIZE_MAX;
        fail->message[0] = '\0';
    }
    if (!s->ready)
        return bract_error(BRACT_EINVAL, "the searchlight has no columns (bract_searchlight_set_columns)");
    if (c0 > c1 || c1 > s->ncentre)
        return bract_error(BRACT_EINVAL, "centres %zu to %zu: the searchlight has %zu", c0, c1,
                           s->ncentre);
    const bract_rdm_design *d = in->design;
    const bract_searchlight_models *m = in->models;
    if (m->n != d->ncond)
        return bract_error(BRACT_EINVAL, "the models have %zu conditions, the design %zu", m->n,
                           d->ncond);
    if (in->ldx < s->ncol || (in->nres && in->ldr < s->ncol))
        return bract_error(BRACT_EINVAL, "the pattern matrix has fewer columns than the %zu "
                           "usable voxels", s->ncol);
    size_t K = m->K, total = c1 - c0;
    bract_progress_report(prog, 0, total);
    if (s->maxsize == 0) { /* every centre left out */
        for (size_t c = c0; c < c1; c++) {
            status[c - c0] = BRACT_SL_LEFT_OUT;
            for (size_t k = 0; k < K; k++)
                values[(c - c0) * K + k] = NAN;
        }
        bract_progress_report(prog, total, total);
        return BRACT_OK;
    }
    bract_rdm_plan *plan;
    int rc = bract_rdm_plan_new(d, &in->rdm, s->maxsize, in->nres, &plan);
    if (rc)
        return rc;
    int nthreads = omp_get_max_threads();
    worker *ws = bract_xcalloc((size_t)nthreads, sizeof *ws, "searchlight workers");
    if (!ws) {
        bract_rdm_plan_free(plan);
        return BRACT_ENOMEM;
    }
    int oom = 0;
    size_t done = 0;
#pragma omp parallel num_threads(nthreads)
    {
        int t = omp_get_thread_num();
        worker *w = &ws[t];
        if (worker_init(w, plan, m, d->nobs, in->nres, s->maxsize)) {
#pragma omp atomic write
            oom = 1;
        }
#pragma omp barrier
        int bad;
#pragma omp atomic read
        bad = oom;
        int ok = !bad;
#pragma omp for schedule(dynamic, CHUNK)
        for (size_t c = c0; c < c1; c++) {
            if (!ok)
                continue;
            status[c - c0] = one_centre(s, in, plan, w, c, values + (c - c0) * K);
            size_t now;
#pragma omp atomic capture
            now = ++done;
            if (t == 0)
                bract_progress_report(prog, now, total);
        }
    }
    size_t nplans = m->nplans;
    if (!oom && fail)
        for (int t = 0; t < nthreads; t++)
            if (ws[t].fail_centre < fail->centre) {
                fail->centre = ws[t].fail_centre;
                memcpy(fail->message, ws[t].fail_msg, sizeof fail->message);
            }
    for (int t = 0; t < nthreads; t++)
        worker_free(&ws[t], nplans);
    free(ws);
    bract_rdm_plan_free(plan);
    if (oom)
        return bract_error(BRACT_ENOMEM, "out of memory for the searchlight's workspaces");
    bract_progress_report(prog, total, total);
    return BRACT_OK;
}
