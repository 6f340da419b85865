/* Statistical maps over a background volume: orthogonal slices or a mosaic
 * (see bract/plot.h).  Slices are sampled in world millimetres through the
 * voxel-to-mm affine, so any orientation and voxel aspect is drawn true to
 * scale with left on the left. */
#include "figures/plot_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    const bract_volume *stat, *bg;
    size_t off;          /* first value of the chosen stat volume */
    double inv[3][4];    /* mm -> voxel */
    double thr, vmax;
    double bglo, bghi;   /* background intensity window */
    int bg_binary;       /* a mask: one grey */
    int dark;            /* black panels (anatomy) or white (mask, none) */
    double lo[3], hi[3]; /* world box drawn, mm */
    const pc_cmap *cm;
} mapctx;

static int invert_affine(const double a[4][4], double inv[3][4])
{
    double m[3][3], det;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            m[i][j] = a[i][j];
    det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
          m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
          m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
    if (!(fabs(det) > 1e-12))
        return -1;
    double c[3][3];
    c[0][0] = m[1][1] * m[2][2] - m[1][2] * m[2][1];
    c[0][1] = m[0][2] * m[2][1] - m[0][1] * m[2][2];
    c[0][2] = m[0][1] * m[1][2] - m[0][2] * m[1][1];
    c[1][0] = m[1][2] * m[2][0] - m[1][0] * m[2][2];
    c[1][1] = m[0][0] * m[2][2] - m[0][2] * m[2][0];
    c[1][2] = m[0][2] * m[1][0] - m[0][0] * m[1][2];
    c[2][0] = m[1][0] * m[2][1] - m[1][1] * m[2][0];
    c[2][1] = m[0][1] * m[2][0] - m[0][0] * m[2][1];
    c[2][2] = m[0][0] * m[1][1] - m[0][1] * m[1][0];
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++)
            inv[i][j] = c[i][j] / det;
        inv[i][3] = -(inv[i][0] * a[0][3] + inv[i][1] * a[1][3] + inv[i][2] * a[2][3]);
    }
    return 0;
}

static void to_voxel(const mapctx *m, const double xyz[3], double ijk[3])
{
    for (int i = 0; i < 3; i++)
        ijk[i] = m->inv[i][0] * xyz[0] + m->inv[i][1] * xyz[1] + m->inv[i][2] * xyz[2] +
                 m->inv[i][3];
}

/* The stat value nearest to a point (NaN outside the grid). */
static double stat_at(const mapctx *m, const double ijk[3])
{
    const bract_volume *v = m->stat;
    long i = lround(ijk[0]), j = lround(ijk[1]), k = lround(ijk[2]);
    if (i < 0 || j < 0 || k < 0 || i >= v->nx || j >= v->ny || k >= v->nz)
        return NAN;
    return bract_volume_get(v, m->off + (size_t)i +
                                   (size_t)v->nx * ((size_t)j + (size_t)v->ny * (size_t)k));
}

/* The background by trilinear interpolation (0 outside the grid). */
static double bg_at(const mapctx *m, const double ijk[3])
{
    const bract_volume *v = m->bg;
    double f[3];
    long b[3];
    const int64_t dims[3] = {v->nx, v->ny, v->nz};
    for (int a = 0; a < 3; a++) {
        if (!(ijk[a] > -0.5 && ijk[a] < (double)dims[a] - 0.5))
            return 0;
        double x = fmin(fmax(ijk[a], 0), (double)(dims[a] - 1));
        b[a] = (long)floor(x);
        if (b[a] >= dims[a] - 1)
            b[a] = dims[a] > 1 ? (long)dims[a] - 2 : 0;
        f[a] = dims[a] > 1 ? x - (double)b[a] : 0;
    }
    double s = 0;
    for (int c = 0; c < 8; c++) {
        long i = b[0] + (c & 1), j = b[1] + ((c >> 1) & 1), k = b[2] + ((c >> 2) & 1);
        if (i >= v->nx || j >= v->ny || k >= v->nz)
            continue;
        double w = ((c & 1) ? f[0] : 1 - f[0]) * (((c >> 1) & 1) ? f[1] : 1 - f[1]) *
                   (((c >> 2) & 1) ? f[2] : 1 - f[2]);
        if (w == 0)
            continue;
        double x = bract_volume_get(v, (size_t)i +
                                           (size_t)v->nx * ((size_t)j + (size_t)v->ny * (size_t)k));
        if (isfinite(x))
            s += w * x;
    }
    return s;
}

/* Bounding box in mm of the voxels whose |value| exceeds `floor` (all of
 * the grid if none). */
static void world_box(const bract_volume *v, size_t off, double floor_, double wlo[3],
                      double whi[3])
{
    int64_t lo[3] = {v->nx, v->ny, v->nz}, hi[3] = {-1, -1, -1};
    for (int64_t k = 0; k < v->nz; k++)
        for (int64_t j = 0; j < v->ny; j++)
            for (int64_t i = 0; i < v->nx; i++) {
                double x = bract_volume_get(v, off + (size_t)(i + v->nx * (j + v->ny * k)));
                if (!isfinite(x) || x == 0 || fabs(x) < floor_)
                    continue;
                int64_t ijk[3] = {i, j, k};
                for (int a = 0; a < 3; a++) {
                    if (ijk[a] < lo[a])
                        lo[a] = ijk[a];
                    if (ijk[a] > hi[a])
                        hi[a] = ijk[a];
                }
            }
    if (hi[0] < 0) {
        lo[0] = lo[1] = lo[2] = 0;
        hi[0] = v->nx - 1;
        hi[1] = v->ny - 1;
        hi[2] = v->nz - 1;
    }
    for (int a = 0; a < 3; a++) {
        wlo[a] = INFINITY;
        whi[a] = -INFINITY;
    }
    for (int c = 0; c < 8; c++) {
        double xyz[3], ijk[3];
        for (int a = 0; a < 3; a++)
            ijk[a] = ((c >> a) & 1) ? (double)hi[a] + 0.5 : (double)lo[a] - 0.5;
        bract_volume_voxel_mm(v, ijk[0], ijk[1], ijk[2], xyz);
        for (int a = 0; a < 3; a++) {
            wlo[a] = fmin(wlo[a], xyz[a]);
            whi[a] = fmax(whi[a], xyz[a]);
        }
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Intensity window of the background: 2nd to 98th percentile of its
 * positive values; a mask (one value) is drawn in one grey. */
static int bg_window(mapctx *m)
{
    const bract_volume *v = m->bg;
    size_t n = 0;
    for (size_t i = 0; i < v->nvox; i++) {
        double x = bract_volume_get(v, i);
        if (isfinite(x) && x > 0)
            n++;
    }
    if (n == 0) {
        m->bg_binary = 1;
        m->bglo = 0;
        m->bghi = 1;
        return BRACT_OK;
    }
    double *x = bract_xmalloc(n, sizeof *x, "background values");
    if (!x)
        return BRACT_ENOMEM;
    n = 0;
    for (size_t i = 0; i < v->nvox; i++) {
        double y = bract_volume_get(v, i);
        if (isfinite(y) && y > 0)
            x[n++] = y;
    }
    qsort(x, n, sizeof *x, cmp_double);
    m->bglo = x[(size_t)floor(0.02 * (double)(n - 1))];
    m->bghi = x[(size_t)ceil(0.98 * (double)(n - 1))];
    m->bg_binary = !(m->bghi > m->bglo);
    free(x);
    return BRACT_OK;
}

/* Composite colour of one world point, 0xRRGGBB. */
static uint32_t colour_at(const mapctx *m, const double xyz[3], size_t *shown)
{
    double ijk[3], rgb[3];
    to_voxel(m, xyz, ijk);
    double base = m->dark ? 0 : 1;
    double r = base, g = base, b = base;
    if (m->bg) {
        double x = bg_at(m, ijk);
        if (m->bg_binary ? x >= 0.5 * m->bglo : x > 0) {
            double grey;
            if (m->bg_binary)
                grey = m->dark ? 0.45 : 0.82;
            else
                grey = fmin(fmax((x - m->bglo) / (m->bghi - m->bglo), 0), 1) * 0.92 + 0.04;
            if (!m->bg_binary && x < m->bglo * 0.5)
                grey *= x / (m->bglo * 0.5); /* fade into the dark surround */
            r = g = b = grey;
        }
    }
    double s = stat_at(m, ijk);
    if (isfinite(s) && s != 0 && fabs(s) >= m->thr) {
        bract_pc_cmap_eval(m->cm, 0.5 + 0.5 * s / m->vmax, rgb);
        r = rgb[0];
        g = rgb[1];
        b = rgb[2];
        if (shown)
            (*shown)++;
    }
    return ((uint32_t)lround(r * 255) << 16) | ((uint32_t)lround(g * 255) << 8) |
           (uint32_t)lround(b * 255);
}

/* A world coordinate along `axis` moved to the nearest plane of voxel
 * centres (for grids aligned with the world axes; oblique grids keep it). */
static double snap_to_voxels(const mapctx *m, int axis, double pos)
{
    const double (*a)[4] = m->stat->affine;
    int col = 0;
    for (int j = 1; j < 3; j++)
        if (fabs(a[axis][j]) > fabs(a[axis][col]))
            col = j;
    for (int j = 0; j < 3; j++)
        if (j != col && fabs(a[axis][j]) > 1e-6 * fabs(a[axis][col]))
            return pos; /* oblique */
    double idx = round((pos - a[axis][3]) / a[axis][col]);
    return a[axis][3] + idx * a[axis][col];
}

/* The two world axes shown by a slice perpendicular to `axis`. */
static void slice_axes(int axis, int *ha, int *va)
{
    *ha = axis == 0 ? 1 : 0; /* sagittal: y across; coronal, axial: x */
    *va = axis == 2 ? 1 : 2; /* axial: y up; sagittal, coronal: z */
}

/* Draw the slice at world coordinate `pos` along `axis` into box b (u
 * horizontal world range, v vertical). */
static int draw_slice(pc_t *c, const mapctx *m, const pc_box *b, int axis, double pos)
{
    int ha, va;
    slice_axes(axis, &ha, &va);
    double res = c->format == BRACT_PLOT_PNG ? c->scale : 3; /* image pixels per point */
    int pw = (int)ceil(b->w * res), ph = (int)ceil(b->h * res);
    if (pw < 1)
        pw = 1;
    if (ph < 1)
        ph = 1;
    int stride;
    unsigned char *data;
    cairo_surface_t *img = bract_pc_image_new(pw, ph, "a slice", &data, &stride);
    if (!img)
        return BRACT_ENOMEM;
    double xyz[3];
    xyz[axis] = pos;
    for (int py = 0; py < ph; py++) {
        uint32_t *row = (uint32_t *)(void *)(data + (size_t)py * (size_t)stride);
        xyz[va] = b->v1 - ((double)py + 0.5) / (double)ph * (b->v1 - b->v0);
        for (int px = 0; px < pw; px++) {
            xyz[ha] = b->u0 + ((double)px + 0.5) / (double)pw * (b->u1 - b->u0);
            row[px] = 0xFF000000u | colour_at(m, xyz, NULL);
        }
    }
    /* PNG: one image pixel per device pixel; SVG: smoothed by the viewer */
    bract_pc_image_paint(c, b, img, c->format != BRACT_PLOT_PNG);
    return bract_pc_add_panel(c, b);
}

static void corner_letters(pc_t *c, const mapctx *m, const pc_box *b, const char *left,
                           const char *right)
{
    bract_pc_color(c, m->dark ? 0xFFFFFF : PC_SOFT);
    bract_pc_text(c, left, b->x + 3, b->y + 2, c->fs * 0.85, 0, 0, 0, 0, 0);
    bract_pc_text(c, right, b->x + b->w - 3, b->y + 2, c->fs * 0.85, 0, 1, 0, 0, 0);
}

static void coord_label(char *buf, size_t n, int axis, double pos)
{
    char v[32];
    bract_pc_fmt(v, sizeof v, round(pos * 10) / 10, fabs(pos - round(pos)) < 0.05 ? 1 : 0.1);
    snprintf(buf, n, "%c = %s", "xyz"[axis], v);
}

static const char *units_of(const bract_volume *v, char *buf, size_t n)
{
    const char *base;
    switch (v->intent_code) {
    case BRACT_INTENT_CORREL: base = "r"; break;
    case BRACT_INTENT_TTEST: base = "t"; break;
    case BRACT_INTENT_ZSCORE: base = "z"; break;
    case BRACT_INTENT_PVAL: base = "p"; break;
    case BRACT_INTENT_LOG10PVAL: base = "log10 p"; break;
    default: base = v->intent_name[0] ? "" : "value"; break;
    }
    if (v->intent_name[0] && *base)
        snprintf(buf, n, "%s (%s)", base, v->intent_name);
    else
        snprintf(buf, n, "%s", *base ? base : v->intent_name);
    return buf;
}

static const char *base_name(const char *p)
{
    if (!p)
        return "map";
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static int check_inputs(const bract_volume *stat, const bract_volume *bg,
                        const bract_plot_opts *opts)
{
    const char *sname = stat->path ? stat->path : "the map";
    if (!stat->data)
        return bract_error(BRACT_EINVAL, "%s: no voxel data (read with the data)", sname);
    if (opts->volume >= (size_t)stat->nt)
        return bract_error(BRACT_EINVAL, "%s has %lld volume%s: no volume %zu (they count from "
                           "0)", sname, (long long)stat->nt, stat->nt == 1 ? "" : "s",
                           opts->volume);
    int rc;
    if (bg) {
        if (!bg->data)
            return bract_error(BRACT_EINVAL, "%s: no voxel data",
                               bg->path ? bg->path : "the background");
        if ((rc = bract_volume_same_grid(stat, bg, 1e-3)))
            return bract_error_context(rc, "the map and its background must share a grid");
    }
    if (opts->view != BRACT_VIEW_ORTHO && opts->view != BRACT_VIEW_MOSAIC)
        return bract_error(BRACT_EINVAL, "unknown map view %d", (int)opts->view);
    if (opts->view == BRACT_VIEW_MOSAIC && (opts->slices < 1 || opts->slices > 100 ||
                                            (unsigned)opts->axis > 2))
        return bract_error(BRACT_EINVAL, "a mosaic needs 1 to 100 slices along axis 0, 1 or 2 "
                           "(got %d slices, axis %d)", opts->slices, (int)opts->axis);
    if (!(opts->threshold >= 0))
        return bract_error(BRACT_EINVAL, "the threshold must be >= 0 (got %g)", opts->threshold);
    return BRACT_OK;
}

/* What the figure shows, from the values: the colour range, the world box,
 * the cut point (opts->cut, or the voxel of the largest |value|). */
typedef struct {
    size_t nshown; /* voxels at or above the threshold */
    int neg;       /* a negative value */
    double ext[3]; /* extent of the world box, mm */
    double cut[3];
} mapview;

static int scan_values(mapctx *m, const bract_plot_opts *opts, mapview *v)
{
    const bract_volume *stat = m->stat;
    const char *sname = stat->path ? stat->path : "the map";
    double amax = 0;
    size_t peak = 0;
    for (size_t i = 0; i < stat->nvox; i++) {
        double x = bract_volume_get(stat, m->off + i);
        if (!isfinite(x))
            continue;
        if (fabs(x) > amax) {
            amax = fabs(x);
            peak = i;
        }
        if (x < 0)
            v->neg = 1;
        if (x != 0 && fabs(x) >= m->thr)
            v->nshown++;
    }
    if (!(amax > 0))
        return bract_error(BRACT_EDATA, "%s: no nonzero finite value to draw", sname);
    m->vmax = isfinite(opts->vmax) && opts->vmax > 0 ? opts->vmax : amax;
    if (v->nshown == 0)
        bract_warn("%s: no value reaches the threshold %g (largest |value| %g)", sname, m->thr,
                   amax);
    int rc;
    if (m->bg && (rc = bg_window(m)))
        return rc;
    m->dark = m->bg && !m->bg_binary;
    /* the world box drawn: the background's (or the map's) nonzero voxels */
    if (m->bg)
        world_box(m->bg, 0, m->bg_binary ? 0 : 0.1 * m->bghi, m->lo, m->hi);
    else
        world_box(stat, m->off, 0, m->lo, m->hi);
    for (int a = 0; a < 3; a++) {
        m->lo[a] -= 3;
        m->hi[a] += 3;
        v->ext[a] = m->hi[a] - m->lo[a];
    }
    if (isfinite(opts->cut[0]) && isfinite(opts->cut[1]) && isfinite(opts->cut[2])) {
        memcpy(v->cut, opts->cut, sizeof v->cut);
    } else {
        size_t i = peak % (size_t)stat->nx, j = peak / (size_t)stat->nx % (size_t)stat->ny,
               k = peak / ((size_t)stat->nx * (size_t)stat->ny);
        bract_volume_voxel_mm(stat, (double)i, (double)j, (double)k, v->cut);
    }
    return BRACT_OK;
}

/* The slices and where they go (sizes in points). */
typedef struct {
    char units[96], sub[200];
    const char *title;
    double fs, lh, cbmin;
    double top, gap, right, W, H, scale, cellw, cellh;
    int nview;
    int axes[100];
    double pos[100];
    size_t nc, nr;
} maplayout;

/* The colour-bar label, the title and the line under it. */
static void captions(const mapctx *m, const bract_plot_opts *opts, const mapview *v,
                     maplayout *L)
{
    char thr[32], cutb[3][32];
    if (opts->units)
        snprintf(L->units, sizeof L->units, "%s", opts->units);
    else
        units_of(m->stat, L->units, sizeof L->units);
    L->title = bract_pc_title_of(opts, base_name(m->stat->path));
    bract_pc_fmt_sig(thr, sizeof thr, m->thr, 3);
    for (int a = 0; a < 3; a++)
        bract_pc_fmt(cutb[a], sizeof cutb[a], round(v->cut[a] * 10) / 10, 0.1);
    if (opts->view == BRACT_VIEW_ORTHO)
        snprintf(L->sub, sizeof L->sub, "%s%s%scut at (%s, %s, %s) mm",
                 m->thr > 0 ? "|value| \xe2\x89\xa5 " : "", m->thr > 0 ? thr : "",
                 m->thr > 0 ? ";  " : "", cutb[0], cutb[1], cutb[2]);
    else
        snprintf(L->sub, sizeof L->sub, "%s%s",
                 m->thr > 0 ? "|value| \xe2\x89\xa5 " : "all nonzero values",
                 m->thr > 0 ? thr : "");
}

/* Three orthogonal slices side by side through the cut point. */
static void layout_ortho(const bract_plot_opts *opts, const mapview *v, maplayout *L,
                         double avail_w)
{
    const double *ext = v->ext;
    for (int a = 0; a < 3; a++) {
        L->axes[a] = a;
        L->pos[a] = v->cut[a];
    }
    double wsum = ext[1] + ext[0] + ext[0], hmax = fmax(ext[2], ext[1]);
    L->scale = (avail_w - 2 * L->gap) / wsum;
    if (opts->height > 0)
        L->scale = fmin(L->scale, (opts->height * 72 - L->top - L->lh - 14) / hmax);
    L->H = opts->height > 0 ? opts->height * 72 : L->top + hmax * L->scale + L->lh + 14;
    L->nc = 3;
}

/* A grid of parallel slices spread over the map's nonzero extent. */
static void layout_mosaic(const mapctx *m, const bract_plot_opts *opts, const mapview *v,
                          maplayout *L, double avail_w)
{
    const double *ext = v->ext;
    int a = (int)opts->axis, ha, va, nview = L->nview;
    slice_axes(a, &ha, &va);
    double slo[3], shi[3];
    world_box(m->stat, m->off, 0, slo, shi);
    for (int s = 0; s < nview; s++) {
        L->axes[s] = a;
        L->pos[s] = snap_to_voxels(m, a, slo[a] + ((double)s + 0.5) * (shi[a] - slo[a]) /
                                                     (double)nview);
    }
    double aspect = ext[ha] / ext[va];
    L->nc = bract_pc_grid_cols((size_t)nview, avail_w,
                               opts->height > 0 ? opts->height * 72 - L->top - 10 : avail_w * 0.9,
                               aspect);
    L->nr = ((size_t)nview + L->nc - 1) / L->nc;
    L->cellw = avail_w / (double)L->nc;
    L->scale = (L->cellw - 4) / ext[ha];
    L->cellh = ext[va] * L->scale + L->lh + 4;
    if (opts->height > 0) {
        double ch = (opts->height * 72 - L->top - 10) / (double)L->nr;
        if (ch < L->cellh) {
            L->scale = (ch - L->lh - 4) / ext[va];
            L->cellh = ch;
        }
    }
    L->H = opts->height > 0 ? opts->height * 72 : L->top + (double)L->nr * L->cellh + 10;
}

static int plan_layout(const mapctx *m, const bract_plot_opts *opts, const mapview *v,
                       maplayout *L)
{
    captions(m, opts, v, L);
    pc_t meas;
    int rc;
    if ((rc = bract_pc_open_measure(&meas, opts)))
        return rc;
    double th = 0;
    L->fs = meas.fs;
    bract_pc_text_size(&meas, "Ag", L->fs, 0, 0, NULL, &L->lh);
    if (*L->title)
        bract_pc_text_size(&meas, L->title, L->fs * 1.2, PC_BOLD, 0, NULL, &th);
    L->cbmin = v->neg ? -m->vmax : 0;
    double cbw = bract_pc_colorbar_width(&meas, 11, L->cbmin, m->vmax, L->units);
    bract_pc_abort(&meas);
    L->top = (*L->title ? 8 + th + 4 : 6) + L->lh + 8;
    L->gap = 8;
    L->right = 14 + cbw + 10;
    L->W = opts->width > 0 ? opts->width * 72 : 7.5 * 72;
    double avail_w = L->W - 10 - L->right;
    L->nview = opts->view == BRACT_VIEW_ORTHO ? 3 : opts->slices;
    L->nc = L->nr = 1;
    if (opts->view == BRACT_VIEW_ORTHO)
        layout_ortho(opts, v, L, avail_w);
    else
        layout_mosaic(m, opts, v, L, avail_w);
    if (!(L->scale > 0.05))
        return bract_error(BRACT_EINVAL, "the figure is too small to draw %d slice%s", L->nview,
                           L->nview == 1 ? "" : "s");
    return BRACT_OK;
}

/* Slice s in box b: the map, the cross-hair (ortho), orientation letters
 * and its coordinate. */
static int draw_view(pc_t *c, const mapctx *m, const bract_plot_opts *opts, const mapview *v,
                     const maplayout *L, int s, const pc_box *b)
{
    int a = L->axes[s], ha, va, rc;
    slice_axes(a, &ha, &va);
    if ((rc = draw_slice(c, m, b, a, L->pos[s])))
        return rc;
    cairo_t *cr = c->cr;
    if (opts->view == BRACT_VIEW_ORTHO) {
        /* cross-hair at the cut point */
        bract_pc_color_a(c, m->dark ? 0xFFFFFF : 0x555555, 0.45);
        cairo_set_line_width(cr, 0.5);
        double cx = pc_bx(b, v->cut[ha]), cy = pc_by(b, v->cut[va]);
        cairo_move_to(cr, cx, b->y);
        cairo_line_to(cr, cx, b->y + b->h);
        cairo_move_to(cr, b->x, cy);
        cairo_line_to(cr, b->x + b->w, cy);
        cairo_stroke(cr);
    }
    if (a == 0)
        corner_letters(c, m, b, "P", "A");
    else if (opts->view == BRACT_VIEW_ORTHO || s == 0)
        corner_letters(c, m, b, "L", "R");
    char lab[48];
    coord_label(lab, sizeof lab, a, L->pos[s]);
    bract_pc_color(c, PC_INK);
    bract_pc_text(c, lab, b->x + b->w / 2, b->y + b->h + 3, L->fs * 0.9, 0, 0.5, 0, 0, b->w + 20);
    return BRACT_OK;
}

static int draw_map(const mapctx *m, const bract_plot_opts *opts, const mapview *v,
                    const maplayout *L, bract_plot_figure *out)
{
    pc_t c;
    int rc;
    if ((rc = bract_pc_open(&c, opts, L->W / 72, L->H / 72, out)))
        return rc;
    memcpy(out->cut, v->cut, sizeof v->cut);
    double ty = bract_pc_title(&c, L->title);
    bract_pc_color(&c, PC_SOFT);
    bract_pc_text(&c, L->sub, c.w / 2, ty - 2, L->fs * 0.9, 0, 0.5, 0, 0, c.w - 20);
    const double *ext = v->ext;
    double x = 10, scale = L->scale, bar_h = 0;
    for (int s = 0; s < L->nview; s++) {
        int ha, va;
        slice_axes(L->axes[s], &ha, &va);
        double w = ext[ha] * scale, h = ext[va] * scale;
        pc_box b;
        if (opts->view == BRACT_VIEW_ORTHO) {
            double hmax = fmax(ext[2], ext[1]) * scale;
            b = (pc_box){x, L->top + (hmax - h) / 2, w, h, m->lo[ha], m->hi[ha], m->lo[va],
                         m->hi[va]};
            x += w + L->gap;
            bar_h = hmax;
        } else {
            size_t col = (size_t)s % L->nc, row = (size_t)s / L->nc;
            b = (pc_box){10 + (double)col * L->cellw + (L->cellw - w) / 2,
                         L->top + (double)row * L->cellh,
                         w,
                         h,
                         m->lo[ha],
                         m->hi[ha],
                         m->lo[va],
                         m->hi[va]};
            bar_h = fmin((double)L->nr * L->cellh - L->lh - 4, 220);
        }
        if ((rc = draw_view(&c, m, opts, v, L, s, &b))) {
            bract_pc_abort(&c);
            return rc;
        }
    }
    /* count the voxels drawn as suprathreshold */
    c.fig->ncells = v->nshown;
    double cbx = c.w - L->right + 14;
    bract_pc_colorbar(&c, cbx, L->top, 11, bar_h > 40 ? bar_h : 40, "coldhot", -m->vmax, m->vmax,
                      L->cbmin, m->vmax, L->units, m->thr > 0 ? -m->thr : 0,
                      m->thr > 0 ? m->thr : 0);
    return bract_pc_close(&c);
}

int bract_plot_map(const bract_volume *stat, const bract_volume *bg, const bract_plot_opts *opts,
                   bract_plot_figure *out)
{
    int rc = bract_pc_check_opts(opts, out);
    if (rc || (rc = check_inputs(stat, bg, opts)))
        return rc;
    mapctx m;
    memset(&m, 0, sizeof m);
    m.stat = stat;
    m.bg = bg;
    m.off = opts->volume * stat->nvox;
    m.thr = opts->threshold;
    m.cm = bract_pc_cmap_find("coldhot");
    if (invert_affine(stat->affine, m.inv))
        return bract_error(BRACT_EDATA, "%s: its voxel-to-mm affine is singular",
                           stat->path ? stat->path : "the map");
    mapview v;
    memset(&v, 0, sizeof v);
    maplayout L;
    memset(&L, 0, sizeof L);
    if ((rc = scan_values(&m, opts, &v)) || (rc = plan_layout(&m, opts, &v, &L)))
        return rc;
    return draw_map(&m, opts, &v, &L, out);
}
