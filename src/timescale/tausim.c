/* Synthetic series with known timescales on a planted gradient (see
 * bract/tausim.h). */
#include "base/internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void bract_tausim_opts_defaults(bract_tausim_opts *o)
{
    memset(o, 0, sizeof *o);
    o->nreg = 20;
    o->nt = 600;
    o->nsub = 1;
    o->block = 2;
    o->tr = 2.0;
    o->tau_min = 2.0;
    o->tau_max = 20.0;
    o->noise = 0.5;
    o->subject_sd = 0.1;
    o->seed = 1;
}

void bract_tausim_free(bract_tausim *d)
{
    if (!d)
        return;
    if (d->names)
        for (size_t g = 0; g < d->nreg; g++)
            free(d->names[g]);
    free(d->names);
    free(d->value);
    free(d->tau);
    free(d->tau_subject);
    free(d->xyz);
    free(d);
}

static int check_opts(const bract_tausim_opts *o)
{
    if (o->nreg < 2)
        return bract_error(BRACT_EINVAL, "simulated timescales: %zu regions, at least 2 needed",
                           o->nreg);
    if (o->nt < 2)
        return bract_error(BRACT_EINVAL, "simulated timescales: %zu volumes, at least 2 needed",
                           o->nt);
    if (o->nsub == 0 || o->block == 0)
        return bract_error(BRACT_EINVAL, "simulated timescales: no subject or a block of 0 "
                                         "voxels");
    if (!(o->tr > 0) || !isfinite(o->tr) || !(o->tau_min > 0) || !isfinite(o->tau_max))
        return bract_error(BRACT_EINVAL, "simulated timescales: the TR (%g s) and timescales "
                                         "(%g s) must be positive",
                           o->tr, o->tau_min);
    if (!(o->tau_max >= o->tau_min))
        return bract_error(BRACT_EINVAL,
                           "simulated timescales: tau_max (%g s) is below tau_min (%g s)",
                           o->tau_max, o->tau_min);
    if (!(o->noise >= 0) || !isfinite(o->noise) || !(o->subject_sd >= 0) ||
        !isfinite(o->subject_sd))
        return bract_error(BRACT_EINVAL,
                           "simulated timescales: the noise SD (%g) and subject SD (%g) must "
                           "be finite and not negative",
                           o->noise, o->subject_sd);
    return BRACT_OK;
}

/* Corner voxel of region g's cube: a snake over the grid of cubes. */
static void region_corner(const bract_tausim *d, size_t g, int64_t c[3])
{
    size_t ncol = (size_t)(d->dims[0] - 1) / (d->o.block + 1);
    size_t row = g / ncol, col = g % ncol;
    if (row % 2)
        col = ncol - 1 - col;
    c[0] = (int64_t)(1 + col * (d->o.block + 1));
    c[1] = (int64_t)(1 + row * (d->o.block + 1));
    c[2] = 1;
}

/* The grid, its affine and the region centres. */
static void layout(bract_tausim *d)
{
    const bract_tausim_opts *o = &d->o;
    size_t ncol = (size_t)ceil(sqrt((double)o->nreg));
    size_t nrow = (o->nreg + ncol - 1) / ncol;
    d->dims[0] = (int64_t)(ncol * (o->block + 1) + 1);
    d->dims[1] = (int64_t)(nrow * (o->block + 1) + 1);
    d->dims[2] = (int64_t)(o->block + 2);
    memset(d->affine, 0, sizeof d->affine);
    for (int i = 0; i < 3; i++) {
        d->affine[i][i] = 3.0;
        d->affine[i][3] = -1.5 * (double)(d->dims[i] - 1); /* centre at 0 mm */
    }
    d->affine[3][3] = 1.0;
    double h = 0.5 * ((double)o->block - 1);
    for (size_t g = 0; g < o->nreg; g++) {
        int64_t c[3];
        region_corner(d, g, c);
        for (int i = 0; i < 3; i++)
            d->xyz[3 * g + (size_t)i] = d->affine[i][i] * ((double)c[i] + h) + d->affine[i][3];
    }
}

int bract_tausim_new(const bract_tausim_opts *o, bract_tausim **out)
{
    *out = NULL;
    int rc = check_opts(o);
    if (rc)
        return rc;
    size_t R = o->nreg;
    bract_tausim *d = bract_xcalloc(1, sizeof *d, "timescale simulation");
    if (!d)
        return BRACT_ENOMEM;
    d->o = *o;
    d->nreg = R;
    d->nsub = o->nsub;
    d->names = bract_xcalloc(R, sizeof *d->names, "region names");
    d->value = bract_xmalloc(R, sizeof *d->value, "gradient");
    d->tau = bract_xmalloc(R, sizeof *d->tau, "timescales");
    d->tau_subject = bract_xmalloc(R * o->nsub, sizeof *d->tau_subject, "timescales");
    d->xyz = bract_xmalloc(3 * R, sizeof *d->xyz, "region centres");
    if (!d->names || !d->value || !d->tau || !d->tau_subject || !d->xyz) {
        bract_tausim_free(d);
        return BRACT_ENOMEM;
    }
    for (size_t g = 0; g < R; g++) {
        d->value[g] = (double)g / (double)(R - 1);
        d->tau[g] = o->tau_min * pow(o->tau_max / o->tau_min, d->value[g]);
        char buf[32];
        snprintf(buf, sizeof buf, "R%0*zu", R >= 100 ? 3 : 2, g + 1);
        if (!(d->names[g] = bract_xstrdup(buf))) {
            bract_tausim_free(d);
            return BRACT_ENOMEM;
        }
    }
    /* subject timescales: tau * exp(sd z), z from stream (seed, subject, 2) */
    for (size_t s = 0; s < o->nsub; s++) {
        bract_rng r;
        bract_rng_init(&r, o->seed, (uint64_t)s, 2);
        for (size_t g = 0; g < R; g++) {
            double z = bract_rng_normal(&r);
            d->tau_subject[s * R + g] = o->nsub > 1 ? d->tau[g] * exp(o->subject_sd * z)
                                                    : d->tau[g];
        }
    }
    layout(d);
    *out = d;
    return BRACT_OK;
}

/* Signal + noise from stream (seed, stream, substream). */
static void series(const bract_tausim_opts *o, uint64_t stream, uint32_t sub, double tau,
                   double *x)
{
    bract_rng r;
    bract_rng_init(&r, o->seed, stream, sub);
    bract_timescale_ar1_simulate(exp(-o->tr / tau), o->nt, &r, x);
    for (size_t t = 0; t < o->nt; t++)
        x[t] += o->noise * bract_rng_normal(&r);
}

static int check_subject(const bract_tausim *d, size_t s)
{
    if (s >= d->nsub)
        return bract_error(BRACT_EINVAL, "simulated timescales: subject %zu of %zu", s + 1,
                           d->nsub);
    return BRACT_OK;
}

int bract_tausim_series(const bract_tausim *d, size_t s, bract_tseries **out)
{
    *out = NULL;
    int rc = check_subject(d, s);
    if (rc)
        return rc;
    size_t R = d->nreg, T = d->o.nt;
    bract_tseries *ts = NULL;
    bract_tseries_new(T, R, &ts);
    if (!ts)
        return BRACT_ENOMEM;
    for (size_t g = 0; g < R; g++) {
        free(ts->name[g]);
        if (!(ts->name[g] = bract_xstrdup(d->names[g]))) {
            bract_tseries_free(ts);
            return BRACT_ENOMEM;
        }
    }
    ts->tr = d->o.tr;
    /* region series: stream (seed, subject << 32 | region, 0) */
    for (size_t g = 0; g < R; g++)
        series(&d->o, ((uint64_t)s << 32) | (uint64_t)g, 0, d->tau_subject[s * R + g],
               ts->x + g * T);
    *out = ts;
    return BRACT_OK;
}

/* The label (region + 1, 0 for background) of every voxel of the grid. */
static size_t *voxel_labels(const bract_tausim *d, size_t nvox)
{
    size_t *lab = bract_xcalloc(nvox, sizeof *lab, "atlas labels");
    if (!lab)
        return NULL;
    int64_t b = (int64_t)d->o.block;
    for (size_t g = 0; g < d->nreg; g++) {
        int64_t c0[3];
        region_corner(d, g, c0);
        for (int64_t k = 0; k < b; k++)
            for (int64_t j = 0; j < b; j++)
                for (int64_t i = 0; i < b; i++)
                    lab[(size_t)((c0[0] + i) +
                                 d->dims[0] * ((c0[1] + j) + d->dims[1] * (c0[2] + k)))] = g + 1;
    }
    return lab;
}

static int new_volume(const bract_tausim *d, int64_t nt, double tr, bract_volume **out)
{
    int64_t dims[4] = {d->dims[0], d->dims[1], d->dims[2], nt};
    double vox[3] = {3, 3, 3};
    return bract_volume_new(dims, vox, (const double(*)[4])d->affine, tr, BRACT_F32, out);
}

int bract_tausim_atlas(const bract_tausim *d, bract_volume **atlas, bract_volume **mask)
{
    *atlas = *mask = NULL;
    int rc = new_volume(d, 1, 0, atlas);
    if (!rc)
        rc = new_volume(d, 1, 0, mask);
    size_t *lab = rc ? NULL : voxel_labels(d, (*atlas)->nvox);
    if (!rc && !lab)
        rc = BRACT_ENOMEM;
    if (rc) {
        bract_volume_free(*atlas);
        bract_volume_free(*mask);
        *atlas = *mask = NULL;
        return rc;
    }
    for (size_t v = 0; v < (*atlas)->nvox; v++)
        if (lab[v]) {
            bract_volume_set(*atlas, v, (double)lab[v]);
            bract_volume_set(*mask, v, 1.0);
        }
    free(lab);
    return BRACT_OK;
}

int bract_tausim_bold(const bract_tausim *d, size_t s, bract_volume **out)
{
    *out = NULL;
    int rc = check_subject(d, s);
    bract_volume *bold = NULL;
    if (!rc)
        rc = new_volume(d, (int64_t)d->o.nt, d->o.tr, &bold);
    if (rc)
        return rc;
    size_t nvox = bold->nvox, T = d->o.nt, R = d->nreg;
    size_t *lab = voxel_labels(d, nvox);
    double *x = bract_xmalloc(T, sizeof *x, "a voxel series");
    if (!lab || !x) {
        free(lab);
        free(x);
        bract_volume_free(bold);
        return BRACT_ENOMEM;
    }
    /* voxel series: stream (seed, subject << 32 | voxel, 1), 1000 + signal */
    for (size_t v = 0; v < nvox; v++) {
        if (!lab[v]) {
            for (size_t t = 0; t < T; t++)
                bract_volume_set(bold, v + nvox * t, 0.0);
            continue;
        }
        series(&d->o, ((uint64_t)s << 32) | (uint64_t)v, 1, d->tau_subject[s * R + lab[v] - 1],
               x);
        for (size_t t = 0; t < T; t++)
            bract_volume_set(bold, v + nvox * t, 1000.0 + x[t]);
    }
    free(lab);
    free(x);
    *out = bold;
    return BRACT_OK;
}
