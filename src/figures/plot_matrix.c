/* Grids of labelled square matrices with one colour bar: RDM heatmaps and
 * dFC state matrices (see plot_internal.h). */
#include "figures/plot_internal.h"

#include <math.h>
#include <string.h>

/* Geometry of the grid for a matrix side S (points). */
typedef struct {
    size_t np, nmax;
    double wmax10;     /* widest label at 10 pt */
    double numw;       /* width of condition numbers (labels dropped) */
    double fs;         /* base font */
    double top;        /* figure-title height */
    double ptitle;     /* panel-title height */
    double cbw;        /* colour-bar width incl. ticks and label */
    int mode;
} grid_geom;

static double label_cap(double side) { return fmin(130, fmax(40, 0.45 * side)); }

static double label_margin(const grid_geom *g, double side)
{
    size_t step;
    double size;
    bract_pc_label_plan(g->mode, g->nmax, side / (double)g->nmax, g->fs, &step, &size);
    if (g->mode == BRACT_LABELS_NONE)
        return 4;
    if (step == 0)
        return g->numw + 6;
    return fmin(g->wmax10 * size / 10, label_cap(side)) + (step > 1 ? 5 : 3);
}

#define GAP_X 18
#define GAP_Y 14

static double geom_w(const grid_geom *g, double side, size_t nc)
{
    double l = label_margin(g, side);
    return 10 + (double)nc * (l + side) + (double)(nc - 1) * GAP_X + 16 + g->cbw + 10;
}

static double geom_h(const grid_geom *g, double side, size_t nr)
{
    double l = label_margin(g, side);
    return g->top + (double)nr * (g->ptitle + side + l) + (double)(nr - 1) * GAP_Y + 10;
}

/* Largest side that fits a w x h figure (w or h <= 0: unconstrained). */
static double fit_side(const grid_geom *g, size_t nc, double w, double h)
{
    size_t nr = (g->np + nc - 1) / nc;
    double lo = 8, hi = 4000;
    if ((w > 0 && geom_w(g, lo, nc) > w) || (h > 0 && geom_h(g, lo, nr) > h))
        return 0;
    for (int it = 0; it < 50; it++) {
        double mid = 0.5 * (lo + hi);
        if ((w > 0 && geom_w(g, mid, nc) > w) || (h > 0 && geom_h(g, mid, nr) > h))
            hi = mid;
        else
            lo = mid;
    }
    return lo;
}

int bract_pc_matrix_figure(const bract_plot_opts *o, const pc_matrix *mats, size_t np,
                           const char *title, const char *cmap, double cmin, double cmax, double lo,
                           double hi, const char *units, bract_plot_figure *out)
{
    pc_t c, m;
    int rc;
    size_t nmax = 2;
    for (size_t k = 0; k < np; k++)
        if (mats[k].n > nmax)
            nmax = mats[k].n;
    int subtitles = 0, titles = 0;
    for (size_t k = 0; k < np; k++) {
        titles |= mats[k].title != NULL;
        subtitles |= mats[k].subtitle != NULL;
    }
    /* measure, then choose the matrix side */
    if ((rc = bract_pc_open_measure(&m, o)))
        return rc;
    grid_geom g = {0};
    g.np = np;
    g.nmax = nmax;
    g.fs = 0.85 * m.fs; /* labels at most a little smaller than the text */
    g.mode = o->labels;
    for (size_t k = 0; k < np; k++)
        for (size_t i = 0; i < mats[k].n; i++) {
            double w;
            bract_pc_text_size(&m, mats[k].labels[i], 10, 0, 0, &w, NULL);
            g.wmax10 = fmax(g.wmax10, w);
        }
    char buf[32];
    snprintf(buf, sizeof buf, "%zu", nmax);
    bract_pc_text_size(&m, buf, m.fs * 0.85, 0, 0, &g.numw, NULL);
    double th = 0, ph = 0, sh = 0;
    if (*title)
        bract_pc_text_size(&m, title, m.fs * 1.2, PC_BOLD, 0, NULL, &th);
    g.top = *title ? 8 + th + 10 : 10;
    bract_pc_text_size(&m, "Ag", m.fs, 0, 0, NULL, &ph);
    bract_pc_text_size(&m, "Ag", m.fs * 0.85, 0, 0, NULL, &sh);
    g.ptitle = (titles ? ph + 2 : 0) + (subtitles ? sh + 2 : 0) + (titles || subtitles ? 3 : 0);
    g.cbw = bract_pc_colorbar_width(&m, 12, lo, hi, units);
    bract_pc_abort(&m);

    double W = o->width > 0 ? o->width * 72 : 0, H = o->height > 0 ? o->height * 72 : 0;
    size_t nc = 1;
    double side = 0;
    if (W > 0 || H > 0) {
        for (size_t c1 = 1; c1 <= np; c1++) {
            double s = fit_side(&g, c1, W, H);
            if (s > side * 1.0001) {
                side = s;
                nc = c1;
            }
        }
        if (side < 12)
            return bract_error(BRACT_EINVAL, "a %g x %g inch figure is too small for %zu "
                               "matri%s of %zu rows", o->width, o->height, np,
                               np == 1 ? "x" : "ces", nmax);
    } else {
        nc = (size_t)ceil(sqrt((double)np));
        double s0 = fmin(fmax(6.5 * (double)nmax, np == 1 ? 216 : 150), np == 1 ? 648 : 330);
        side = fmin(s0, fit_side(&g, nc, 16 * 72, 0));
    }
    size_t nr = (np + nc - 1) / nc;
    if (W <= 0)
        W = geom_w(&g, side, nc);
    if (H <= 0)
        H = geom_h(&g, side, nr);

    double *rgb = bract_xmalloc(3 * nmax * nmax, sizeof *rgb, "heatmap colours");
    if (!rgb)
        return BRACT_ENOMEM;
    if ((rc = bract_pc_open(&c, o, W / 72, H / 72, out))) {
        free(rgb);
        return rc;
    }
    bract_pc_title(&c, title);
    double lm = label_margin(&g, side);
    double bw = geom_w(&g, side, nc) - 20, bh = geom_h(&g, side, nr) - g.top - 10;
    double x0 = 10 + fmax(0, (c.w - 20 - bw) / 2);
    double y0 = g.top + fmax(0, (c.h - g.top - 10 - bh) / 2);
    const pc_cmap *cm = bract_pc_cmap_find(cmap);
    const double diag[3] = {((PC_DIAG >> 16) & 0xFF) / 255.0, ((PC_DIAG >> 8) & 0xFF) / 255.0,
                            (PC_DIAG & 0xFF) / 255.0};
    double cspan = cmax > cmin ? cmax - cmin : 1;
    for (size_t k = 0; k < np && !rc; k++) {
        const pc_matrix *mk = &mats[k];
        size_t n = mk->n, col = k % nc, row = k / nc;
        double px = x0 + (double)col * (lm + side + GAP_X);
        double py = y0 + (double)row * (g.ptitle + side + lm + GAP_Y);
        pc_box b = {px + lm, py + g.ptitle, side, side, 0, (double)n, (double)n, 0};
        double ty = py;
        if (mk->title) {
            bract_pc_color(&c, PC_INK);
            bract_pc_text(&c, mk->title, b.x + side / 2, ty, c.fs, 0, 0.5, 0, 0, side + lm);
            ty += ph + 2;
        }
        if (mk->subtitle) {
            bract_pc_color(&c, PC_SOFT);
            bract_pc_text(&c, mk->subtitle, b.x + side / 2, ty, c.fs * 0.85, 0, 0.5, 0, 0,
                          side + lm);
        }
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++) {
                double *p = rgb + 3 * (i * n + j);
                if (i == j) {
                    memcpy(p, diag, sizeof diag);
                    continue;
                }
                double v = mk->d[i < j ? bract_pair_index(n, i, j) : bract_pair_index(n, j, i)];
                if (!isfinite(v))
                    p[0] = p[1] = p[2] = NAN;
                else
                    bract_pc_cmap_eval(cm, (v - cmin) / cspan, p);
            }
        if ((rc = bract_pc_heatmap(&c, &b, n, rgb)) || (rc = bract_pc_add_panel(&c, &b)))
            break;
        size_t step;
        double size;
        bract_pc_label_plan(o->labels, n, side / (double)n, 0.85 * c.fs, &step, &size);
        if (o->labels != BRACT_LABELS_NONE)
            bract_pc_matrix_labels(&c, &b, mk->labels, n, step, size, label_cap(side));
    }
    free(rgb);
    if (rc) {
        bract_pc_abort(&c);
        return rc;
    }
    double cbx = x0 + (double)nc * (lm + side) + (double)(nc - 1) * GAP_X + 16;
    bract_pc_colorbar(&c, cbx, y0 + g.ptitle, 12, side, cmap, cmin, cmax, lo, hi, units, 0, 0);
    return bract_pc_close(&c);
}
