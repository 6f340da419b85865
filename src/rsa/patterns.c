/* Response patterns per region from NIfTI volumes or a table (see
 * bract/patterns.h).  Volumes are streamed: each file is read, its region
 * voxels are added into per-(run, condition) sums (and per-run sums for
 * demeaning), and the file is freed, so memory holds only
 * (rows + runs) x voxels-of-interest besides one file. */
#include "base/internal.h"
#include "base/strmap_internal.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include <nifti1.h>
#include <omp.h>
#include "bract/atlas.h"
#include "bract/mask.h"

/* ---- the accumulator shared by volumes and tables ---- */

typedef struct {
    const bract_rdm_design *d;
    size_t ncol;
    int demean;
    double *obs;          /* nobs x ncol: sums, then means */
    double *run;          /* nrun x ncol sums (demean) */
    size_t *run_n;        /* volumes per run */
    unsigned char *bad;   /* a non-finite value entered */
    unsigned char *flat;  /* constant rows */
    double *maxabs;       /* largest |value| that entered */
} accum;

static void accum_free(accum *a)
{
    free(a->obs);
    free(a->run);
    free(a->run_n);
    free(a->bad);
    free(a->flat);
    free(a->maxabs);
}

static int accum_init(accum *a, const bract_rdm_design *d, size_t ncol, int demean)
{
    memset(a, 0, sizeof *a);
    a->d = d;
    a->ncol = ncol;
    a->demean = demean;
    size_t nc = ncol ? ncol : 1;
    a->obs = bract_xcalloc(d->nobs * nc, sizeof *a->obs, "pattern sums");
    a->run = demean ? bract_xcalloc(d->nrun * nc, sizeof *a->run, "run sums") : NULL;
    a->run_n = bract_xcalloc(d->nrun, sizeof *a->run_n, "run sums");
    a->bad = bract_xcalloc(nc, 1, "voxel flags");
    a->flat = bract_xcalloc(nc, 1, "voxel flags");
    a->maxabs = bract_xcalloc(nc, sizeof *a->maxabs, "voxel ranges");
    if (!a->obs || (demean && !a->run) || !a->run_n || !a->bad || !a->flat || !a->maxabs) {
        accum_free(a);
        return BRACT_ENOMEM;
    }
    return BRACT_OK;
}

/* Add volume v (its ncol values in row). */
static void accum_add(accum *a, size_t v, const double *row)
{
    long o = a->d->vol_obs[v];
    if (o < 0 && !a->demean)
        return;
    size_t r = a->d->vol_run[v];
    double *os = o >= 0 ? a->obs + (size_t)o * a->ncol : NULL;
    double *rs = a->demean ? a->run + r * a->ncol : NULL;
    for (size_t j = 0; j < a->ncol; j++) {
        double x = row[j];
        if (!isfinite(x)) {
            a->bad[j] = 1;
            continue;
        }
        double ax = fabs(x);
        if (ax > a->maxabs[j])
            a->maxabs[j] = ax;
        if (os)
            os[j] += x;
        if (rs)
            rs[j] += x;
    }
    if (a->demean)
        a->run_n[r]++;
}

/* Sums into means; flag constant columns. */
static void accum_finish(accum *a)
{
    const bract_rdm_design *d = a->d;
    size_t nmax = 1;
    for (size_t k = 0; k < d->nobs; k++) {
        double *os = a->obs + k * a->ncol;
        size_t r = d->obs_run[k];
        double w = 1.0 / (double)d->obs_nvol[k];
        if (d->obs_nvol[k] > nmax)
            nmax = d->obs_nvol[k];
        for (size_t j = 0; j < a->ncol; j++)
            os[j] *= w;
        if (a->demean) {
            double wr = 1.0 / (double)a->run_n[r];
            const double *rs = a->run + r * a->ncol;
            for (size_t j = 0; j < a->ncol; j++)
                os[j] -= rs[j] * wr;
        }
    }
    if (a->demean)
        for (size_t r = 0; r < d->nrun; r++)
            if (a->run_n[r] > nmax)
                nmax = a->run_n[r];
    for (size_t j = 0; j < a->ncol; j++) {
        if (a->bad[j])
            continue;
        double lo = a->obs[j], hi = a->obs[j];
        for (size_t k = 1; k < d->nobs; k++) {
            double x = a->obs[k * a->ncol + j];
            if (x < lo)
                lo = x;
            if (x > hi)
                hi = x;
        }
        a->flat[j] = hi - lo <= 2.0 * (double)nmax * DBL_EPSILON * a->maxabs[j];
    }
}

/* ---- sets ---- */

static void patterns_clear(bract_patterns *p)
{
    free(p->name);
    free(p->x);
    free(p->voxel);
    free(p->res);
}

void bract_patterns_set_free(bract_patterns_set *s)
{
    if (!s)
        return;
    for (size_t r = 0; r < s->nregions; r++)
        patterns_clear(&s->region[r]);
    for (size_t r = 0; r < s->nskipped; r++)
        free(s->skipped[r]);
    for (size_t f = 0; f < s->nfeatures; f++)
        free(s->feature[f]);
    free(s->region);
    free(s->skipped);
    free(s->feature);
    free(s);
}

/* Build region `name` from union columns cols[0..n) of the accumulator
 * (and of the residual rows, nres x ncol, if any); `voxel_id` gives each
 * column's reported index. */
static int make_region(const accum *a, const double *res, size_t nres, const char *name,
                       const size_t *cols, size_t n, const size_t *voxel_id,
                       const bract_patterns_opts *o, bract_patterns_set *s)
{
    size_t keep = 0, nonfinite = 0, flat = 0;
    for (size_t q = 0; q < n; q++) {
        size_t j = cols[q];
        if (a->bad[j])
            nonfinite++;
        else if (a->flat[j])
            flat++;
        else
            keep++;
    }
    size_t minv = o->min_voxels ? o->min_voxels : 2;
    if (keep < minv) {
        char why[160] = "";
        if (nonfinite || flat)
            snprintf(why, sizeof why, " (%zu of %zu dropped: %zu non-finite, %zu constant)",
                     nonfinite + flat, n, nonfinite, flat);
        if (!o->skip_small)
            return bract_error(BRACT_EDATA, "region %s has %zu usable voxel%s%s; an RDM needs at "
                               "least %zu", name, keep, keep == 1 ? "" : "s", why, minv);
        bract_warn("region %s left out: %zu usable voxel%s%s, fewer than %zu", name, keep,
                   keep == 1 ? "" : "s", why, minv);
        if (!(s->skipped[s->nskipped] = bract_xstrdup(name)))
            return BRACT_ENOMEM;
        s->nskipped++;
        return BRACT_OK;
    }
    bract_patterns *p = &s->region[s->nregions];
    memset(p, 0, sizeof *p);
    size_t nobs = a->d->nobs;
    p->name = bract_xstrdup(name);
    p->x = bract_xmalloc(nobs * keep, sizeof *p->x, "patterns");
    p->voxel = bract_xmalloc(keep, sizeof *p->voxel, "patterns");
    p->res = nres ? bract_xmalloc(nres * keep, sizeof *p->res, "residuals") : NULL;
    if (!p->name || !p->x || !p->voxel || (nres && !p->res)) {
        patterns_clear(p);
        return BRACT_ENOMEM;
    }
    p->nobs = nobs;
    p->nvox = keep;
    p->nres = nres;
    p->nvox_region = n;
    p->dropped_nonfinite = nonfinite;
    p->dropped_constant = flat;
    size_t c = 0;
    for (size_t q = 0; q < n; q++) {
        size_t j = cols[q];
        if (a->bad[j] || a->flat[j])
            continue;
        p->voxel[c] = voxel_id ? voxel_id[j] : j;
        for (size_t k = 0; k < nobs; k++)
            p->x[k * keep + c] = a->obs[k * a->ncol + j];
        for (size_t k = 0; k < nres; k++)
            p->res[k * keep + c] = res[k * a->ncol + j];
        c++;
    }
    if (nonfinite || flat)
        bract_warn("region %s: %zu of %zu voxels dropped (%zu with non-finite values, %zu "
                   "constant)", name, nonfinite + flat, n, nonfinite, flat);
    s->nregions++;
    return BRACT_OK;
}

static bract_patterns_set *set_alloc(size_t nregions)
{
    bract_patterns_set *s = bract_xcalloc(1, sizeof *s, "a pattern set");
    if (!s)
        return NULL;
    s->region = bract_xcalloc(nregions ? nregions : 1, sizeof *s->region, "a pattern set");
    s->skipped = bract_xcalloc(nregions ? nregions : 1, sizeof *s->skipped, "a pattern set");
    if (!s->region || !s->skipped) {
        bract_patterns_set_free(s);
        return NULL;
    }
    return s;
}

/* ---- volumes ---- */

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

static size_t find_col(const size_t *u, size_t n, size_t x)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (u[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Storage that keeps every value exact: float for float32 and unscaled
 * integers of up to 16 bits, double otherwise. */
static unsigned storage_flags(const bract_volume *h)
{
    int small = h->datatype == DT_FLOAT32 || h->datatype == DT_UINT8 ||
                h->datatype == DT_INT8 || h->datatype == DT_INT16 || h->datatype == DT_UINT16;
    return small && !h->scaled ? BRACT_VOL_FLOAT32 : 0;
}

/* Headers of `paths`: total volumes, grid checked against geom. */
static int count_volumes(const char *const *paths, size_t n, const bract_volume *geom,
                         size_t *total, const char *what)
{
    *total = 0;
    for (size_t f = 0; f < n; f++) {
        bract_volume *h;
        int rc = bract_volume_read(paths[f], BRACT_VOL_HEADER_ONLY, &h);
        if (rc)
            return rc;
        if (geom && (rc = bract_volume_same_grid(geom, h, 1e-3))) {
            bract_volume_free(h);
            return bract_error_context(rc, "%s", what);
        }
        *total += (size_t)h->nt;
        bract_volume_free(h);
    }
    return BRACT_OK;
}

int bract_atlas_from_mask(const bract_mask *m, const char *name, bract_atlas **out)
{
    *out = NULL;
    bract_atlas *a = bract_xcalloc(1, sizeof *a, "an atlas");
    if (!a)
        return BRACT_ENOMEM;
    a->nx = m->nx;
    a->ny = m->ny;
    a->nz = m->nz;
    a->nregions = 1;
    a->label = bract_xmalloc(1, sizeof *a->label, "an atlas");
    a->name = bract_xcalloc(1, sizeof *a->name, "an atlas");
    a->nvox = bract_xmalloc(1, sizeof *a->nvox, "an atlas");
    a->voxels = bract_xcalloc(1, sizeof *a->voxels, "an atlas");
    if (!a->label || !a->name || !a->nvox || !a->voxels ||
        !(a->name[0] = bract_xstrdup(name)) ||
        !(a->voxels[0] = bract_xmalloc(m->n ? m->n : 1, sizeof(size_t), "an atlas"))) {
        bract_atlas_free(a);
        return BRACT_ENOMEM;
    }
    a->label[0] = 1;
    a->nvox[0] = m->n;
    memcpy(a->voxels[0], m->index, m->n * sizeof(size_t));
    *out = a;
    return BRACT_OK;
}

/* Stream the volumes of `paths` into fn(ctx, global volume index, row of
 * the nu union voxels). */
typedef void (*row_fn)(void *ctx, size_t v, const double *row);

static int stream_volumes(const char *const *paths, size_t n, const size_t *u, size_t nu,
                          double *row, row_fn fn, void *ctx, const bract_progress *prog,
                          size_t *done, size_t total)
{
    size_t g = 0;
    for (size_t f = 0; f < n; f++) {
        bract_volume *h;
        int rc = bract_volume_read(paths[f], BRACT_VOL_HEADER_ONLY, &h);
        if (rc)
            return rc;
        unsigned flags = storage_flags(h);
        bract_volume_free(h);
        bract_volume *v;
        if ((rc = bract_volume_read(paths[f], flags, &v)))
            return rc;
        for (int64_t t = 0; t < v->nt; t++, g++) {
            size_t off = v->nvox * (size_t)t;
            if (v->storage == BRACT_F32) {
                const float *p = (const float *)v->data + off;
                for (size_t j = 0; j < nu; j++)
                    row[j] = p[u[j]];
            } else {
                const double *p = (const double *)v->data + off;
                for (size_t j = 0; j < nu; j++)
                    row[j] = p[u[j]];
            }
            fn(ctx, g, row);
        }
        bract_volume_free(v);
        *done += 1;
        bract_progress_report(prog, *done, total);
    }
    return BRACT_OK;
}

static void add_to_accum(void *ctx, size_t v, const double *row) { accum_add(ctx, v, row); }

typedef struct {
    double *res;
    size_t ncol;
    unsigned char *bad;
} res_ctx;

static void add_to_res(void *ctx, size_t v, const double *row)
{
    res_ctx *c = ctx;
    for (size_t j = 0; j < c->ncol; j++) {
        c->res[v * c->ncol + j] = row[j];
        if (!isfinite(row[j]))
            c->bad[j] = 1;
    }
}

int bract_patterns_from_volumes(const char *const *paths, size_t npaths, const bract_rdm_design *d,
                                const bract_atlas *regions, const bract_volume *geom,
                                const char *const *noise_paths, size_t nnoise,
                                const bract_patterns_opts *o, const bract_progress *prog,
                                bract_patterns_set **out)
{
    *out = NULL;
    bract_patterns_opts defaults = {0};
    if (!o)
        o = &defaults;
    if (npaths == 0)
        return bract_error(BRACT_EINVAL, "no data files");
    size_t total, nres = 0;
    int rc = count_volumes(paths, npaths, geom, &total, "data");
    if (rc)
        return rc;
    if (total != d->nvol) {
        char list[600] = "";
        size_t k = 0;
        for (size_t f = 0; f < npaths && k < sizeof list - 80; f++)
            k += (size_t)snprintf(list + k, sizeof list - k, "%s%s", f ? ", " : "", paths[f]);
        if (npaths > 1 && k >= sizeof list - 80)
            snprintf(list + k, sizeof list - k, ", ...");
        return bract_error(BRACT_EDATA, "the data have %zu volume%s (%s) but the conditions "
                           "have %zu rows; one row per volume is needed", total,
                           total == 1 ? "" : "s", list, d->nvol);
    }
    if (nnoise && (rc = count_volumes(noise_paths, nnoise, geom, &nres, "noise")))
        return rc;
    if (nnoise && nres < 2)
        return bract_error(BRACT_EDATA, "the noise residuals have %zu volume; at least 2 are "
                           "needed", nres);

    /* the union of the regions' voxels */
    size_t nall = 0;
    for (size_t r = 0; r < regions->nregions; r++)
        nall += regions->nvox[r];
    size_t *u = bract_xmalloc(nall ? nall : 1, sizeof *u, "voxel indices");
    if (!u)
        return BRACT_ENOMEM;
    size_t nu = 0;
    for (size_t r = 0; r < regions->nregions; r++)
        for (size_t q = 0; q < regions->nvox[r]; q++)
            u[nu++] = regions->voxels[r][q];
    qsort(u, nu, sizeof *u, cmp_size);
    size_t m = 0;
    for (size_t q = 0; q < nu; q++)
        if (m == 0 || u[m - 1] != u[q])
            u[m++] = u[q];
    nu = m;

    accum a;
    double *row = NULL, *res = NULL;
    size_t *cols = NULL;
    unsigned char *resbad = NULL;
    bract_patterns_set *s = NULL;
    if ((rc = accum_init(&a, d, nu, o->demean_runs))) {
        free(u);
        return rc;
    }
    row = bract_xmalloc(nu ? nu : 1, sizeof *row, "a volume row");
    res = nres ? bract_xmalloc(nres * (nu ? nu : 1), sizeof *res, "residuals") : NULL;
    resbad = bract_xcalloc(nu ? nu : 1, 1, "voxel flags");
    cols = bract_xmalloc(nall ? nall : 1, sizeof *cols, "voxel indices");
    s = set_alloc(regions->nregions);
    if (!row || (nres && !res) || !resbad || !cols || !s) {
        rc = BRACT_ENOMEM;
        goto done;
    }
    size_t done_files = 0, nfiles = npaths + nnoise;
    bract_progress_report(prog, 0, nfiles);
    if ((rc = stream_volumes(paths, npaths, u, nu, row, add_to_accum, &a, prog, &done_files,
                             nfiles)))
        goto done;
    accum_finish(&a);
    if (nres) {
        res_ctx rcx = {res, nu, resbad};
        if ((rc = stream_volumes(noise_paths, nnoise, u, nu, row, add_to_res, &rcx, prog,
                                 &done_files, nfiles)))
            goto done;
        for (size_t j = 0; j < nu; j++)
            a.bad[j] |= resbad[j];
    }
    for (size_t r = 0; r < regions->nregions; r++) {
        for (size_t q = 0; q < regions->nvox[r]; q++)
            cols[q] = find_col(u, nu, regions->voxels[r][q]);
        if ((rc = make_region(&a, res, nres, regions->name[r], cols, regions->nvox[r], u, o, s)))
            goto done;
    }
    if (s->nregions == 0) {
        rc = bract_error(BRACT_EDATA, "no region has enough usable voxels");
        goto done;
    }
    *out = s;
    s = NULL;
done:
    accum_free(&a);
    free(u);
    free(row);
    free(res);
    free(resbad);
    free(cols);
    bract_patterns_set_free(s);
    return rc;
}

/* ---- tables ---- */

/* Feature columns of t (all but condition and run). */
static size_t feature_columns(const bract_table *t, size_t *cols)
{
    size_t n = 0;
    for (size_t c = 0; c < t->ncols; c++)
        if (strcmp(t->colname[c], "condition") != 0 && strcmp(t->colname[c], "run") != 0)
            cols[n++] = c;
    return n;
}

/* Row r's feature cells as numbers (missing -> NaN). */
static int table_row(const bract_table *t, size_t r, const size_t *cols, size_t n, double *row)
{
    for (size_t j = 0; j < n; j++) {
        int rc = bract_table_double(t, r, cols[j], &row[j]);
        if (rc)
            return rc;
    }
    return BRACT_OK;
}

int bract_patterns_from_table(const char *path, const bract_rdm_design_opts *dopts, const char *name,
                              const char *noise_path, const bract_patterns_opts *o,
                              bract_rdm_design **design, bract_patterns_set **out)
{
    *out = NULL;
    *design = NULL;
    bract_patterns_opts defaults = {0};
    if (!o)
        o = &defaults;
    bract_table *t = NULL, *tn = NULL;
    bract_rdm_design *d = NULL;
    bract_patterns_set *s = NULL;
    size_t *cols = NULL, *ncols_map = NULL, *ident = NULL;
    double *row = NULL, *res = NULL;
    accum a;
    memset(&a, 0, sizeof a);
    int rc = bract_table_read(path, &t);
    if (rc)
        return rc;
    size_t cc;
    if ((rc = bract_table_require(t, "condition", &cc)))
        goto done;
    long rcol = bract_table_find(t, "run");
    cols = bract_xmalloc(t->ncols, sizeof *cols, "table columns");
    if (!cols) {
        rc = BRACT_ENOMEM;
        goto done;
    }
    size_t nf = feature_columns(t, cols);
    if (nf == 0) {
        rc = bract_error(BRACT_EDATA, "%s: no feature columns (expected condition, optional run, "
                         "then one column per voxel or feature)", path);
        goto done;
    }
    if (t->nrows == 0) {
        rc = bract_error(BRACT_EDATA, "%s: no rows", path);
        goto done;
    }
    {
        const char **cl = bract_xmalloc(t->nrows, sizeof *cl, "conditions");
        const char **rl = rcol >= 0 ? bract_xmalloc(t->nrows, sizeof *rl, "runs") : NULL;
        if (!cl || (rcol >= 0 && !rl)) {
            free(cl);
            free(rl);
            rc = BRACT_ENOMEM;
            goto done;
        }
        for (size_t r = 0; r < t->nrows; r++) {
            cl[r] = bract_table_cell(t, r, cc);
            if (rl) {
                rl[r] = bract_table_cell(t, r, (size_t)rcol);
                if (bract_table_label_missing(rl[r]) && !rc)
                    rc = bract_error(BRACT_EFORMAT, "%s:%zu: column %ld ('run'): expected a run "
                                     "label, found '%s'", path, t->line[r], rcol + 1, rl[r]);
            }
        }
        if (!rc && (rc = bract_rdm_design_from_labels(cl, rl, t->nrows, dopts, &d)))
            bract_error_context(rc, "%s", path);
        free(cl);
        free(rl);
        if (rc)
            goto done;
    }
    size_t nres = 0;
    if (noise_path) {
        if ((rc = bract_table_read(noise_path, &tn)))
            goto done;
        ncols_map = bract_xmalloc(nf, sizeof *ncols_map, "table columns");
        if (!ncols_map) {
            rc = BRACT_ENOMEM;
            goto done;
        }
        for (size_t j = 0; j < nf; j++) {
            long c = bract_table_find(tn, t->colname[cols[j]]);
            if (c < 0) {
                rc = bract_error(BRACT_EDATA, "%s: no column '%s' (the residuals need every "
                                 "feature column of %s)", noise_path, t->colname[cols[j]], path);
                goto done;
            }
            ncols_map[j] = (size_t)c;
        }
        nres = tn->nrows;
        if (nres < 2) {
            rc = bract_error(BRACT_EDATA, "%s: %zu residual row%s; at least 2 are needed",
                             noise_path, nres, nres == 1 ? "" : "s");
            goto done;
        }
    }
    if ((rc = accum_init(&a, d, nf, o->demean_runs)))
        goto done;
    row = bract_xmalloc(nf, sizeof *row, "a table row");
    res = nres ? bract_xmalloc(nres * nf, sizeof *res, "residuals") : NULL;
    ident = bract_xmalloc(nf, sizeof *ident, "table columns");
    s = set_alloc(1);
    if (!row || (nres && !res) || !ident || !s) {
        rc = BRACT_ENOMEM;
        goto done;
    }
    for (size_t r = 0; r < t->nrows; r++) {
        if ((rc = table_row(t, r, cols, nf, row)))
            goto done;
        accum_add(&a, r, row);
    }
    accum_finish(&a);
    for (size_t r = 0; r < nres; r++) {
        if ((rc = table_row(tn, r, ncols_map, nf, res + r * nf)))
            goto done;
        for (size_t j = 0; j < nf; j++)
            if (!isfinite(res[r * nf + j]))
                a.bad[j] = 1;
    }
    s->feature = bract_xcalloc(nf, sizeof *s->feature, "feature names");
    if (!s->feature) {
        rc = BRACT_ENOMEM;
        goto done;
    }
    s->nfeatures = nf;
    for (size_t j = 0; j < nf; j++) {
        ident[j] = j;
        if (!(s->feature[j] = bract_xstrdup(t->colname[cols[j]]))) {
            rc = BRACT_ENOMEM;
            goto done;
        }
    }
    if ((rc = make_region(&a, res, nres, name, ident, nf, NULL, o, s)))
        goto done;
    if (s->nregions == 0) {
        rc = bract_error(BRACT_EDATA, "%s: too few usable features", path);
        goto done;
    }
    *out = s;
    *design = d;
    s = NULL;
    d = NULL;
done:
    accum_free(&a);
    bract_table_free(t);
    bract_table_free(tn);
    bract_rdm_design_free(d);
    bract_patterns_set_free(s);
    free(cols);
    free(ncols_map);
    free(ident);
    free(row);
    free(res);
    return rc;
}

/* ---- matrices in memory ---- */

int bract_patterns_from_matrix(const double *x, size_t ldx, size_t ncol, const bract_rdm_design *d,
                               const double *res, size_t ldr, size_t nres, const size_t *voxel,
                               const char *name, const bract_patterns_opts *o,
                               bract_patterns_set **out)
{
    *out = NULL;
    bract_patterns_opts defaults = {0};
    if (!o)
        o = &defaults;
    if (ncol == 0)
        return bract_error(BRACT_EDATA, "no features (columns) in the patterns");
    if (ldx < ncol || (res && ldr < ncol))
        return bract_error(BRACT_EINVAL, "a row stride below the %zu columns", ncol);
    if (d->nvol == 0)
        return bract_error(BRACT_EDATA, "no rows in the patterns");
    if (res && nres < 2)
        return bract_error(BRACT_EDATA, "%zu residual row%s; at least 2 are needed", nres,
                           nres == 1 ? "" : "s");
    if (!res)
        nres = 0;
    accum a;
    int rc = accum_init(&a, d, ncol, o->demean_runs);
    if (rc)
        return rc;
    double *rs = nres ? bract_xmalloc(nres * ncol, sizeof *rs, "residuals") : NULL;
    size_t *cols = bract_xmalloc(ncol, sizeof *cols, "columns");
    bract_patterns_set *s = set_alloc(1);
    if ((nres && !rs) || !cols || !s) {
        rc = BRACT_ENOMEM;
        goto done;
    }
    for (size_t v = 0; v < d->nvol; v++)
        accum_add(&a, v, x + v * ldx);
    accum_finish(&a);
    for (size_t r = 0; r < nres; r++)
        for (size_t j = 0; j < ncol; j++) {
            double val = res[r * ldr + j];
            rs[r * ncol + j] = val;
            if (!isfinite(val))
                a.bad[j] = 1;
        }
    for (size_t j = 0; j < ncol; j++)
        cols[j] = j;
    if ((rc = make_region(&a, rs, nres, name ? name : "patterns", cols, ncol, voxel, o, s)))
        goto done;
    if (s->nregions == 0) {
        rc = bract_error(BRACT_EDATA, "too few usable features");
        goto done;
    }
    *out = s;
    s = NULL;
done:
    accum_free(&a);
    free(rs);
    free(cols);
    bract_patterns_set_free(s);
    return rc;
}

/* ---- RDMs of every region ---- */

int bract_patterns_rdms(const bract_rdm_design *d, const bract_patterns_set *s,
                        const bract_rdm_opts *o, const bract_progress *prog, bract_rdmset **out,
                        bract_rdm_info *info)
{
    *out = NULL;
    const size_t nr = s->nregions;
    bract_rdmset *set = NULL;
    bract_rdmset_new(nr, &set);
    int *status = bract_xcalloc(nr ? nr : 1, sizeof *status, "region status");
    char **msg = bract_xcalloc(nr ? nr : 1, sizeof *msg, "region messages");
    if (!set || !status || !msg) {
        bract_rdmset_free(set);
        free(status);
        free(msg);
        return BRACT_ENOMEM;
    }
    int rc = bract_rdmset_set_measure(set, bract_rdm_measure_name(o));
    for (size_t r = 0; r < nr && !rc; r++)
        rc = bract_rdmset_init_rdm(set, r, s->region[r].name, d->ncond,
                                   (const char *const *)d->cond);
    size_t done = 0;
    if (!rc) {
        bract_progress_report(prog, 0, nr);
#pragma omp parallel for schedule(dynamic, 1)
        for (size_t r = 0; r < nr; r++) {
            const bract_patterns *p = &s->region[r];
            bract_rdm_plan *plan = NULL;
            bract_rdm_ws *w = NULL;
            bract_rdm_noise nz = {.resid = p->res, .ldr = p->nvox, .nres = p->nres};
            bract_rdm_info tmp;
            int st = bract_rdm_plan_new(d, o, p->nvox, p->nres, &plan);
            if (!st)
                st = bract_rdm_ws_new(plan, &w);
            if (!st)
                st = bract_rdm_compute(plan, w, p->x, p->nvox, p->nvox, p->nres ? &nz : NULL,
                                       set->rdm[r].d, info ? &info[r] : &tmp);
            if (st) {
                status[r] = st;
                msg[r] = bract_xstrdup(bract_last_error());
            }
            bract_rdm_ws_free(w);
            bract_rdm_plan_free(plan);
            size_t now;
#pragma omp atomic capture
            now = ++done;
            if (omp_get_thread_num() == 0)
                bract_progress_report(prog, now, nr);
        }
        bract_progress_report(prog, nr, nr);
        for (size_t r = 0; r < nr && !rc; r++)
            if (status[r]) {
                rc = bract_error(status[r], "region %s: %s", s->region[r].name,
                                 msg[r] ? msg[r] : "out of memory");
            }
    }
    for (size_t r = 0; r < nr; r++)
        free(msg[r]);
    free(msg);
    free(status);
    if (rc) {
        bract_rdmset_free(set);
        return rc;
    }
    *out = set;
    return BRACT_OK;
}
