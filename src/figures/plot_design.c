/* A GLM design matrix as nilearn's plot_design_matrix draws it (plot.h). */
#include "figures/plot_internal.h"

#include <math.h>
#include <string.h>

#define LABEL_ANGLE 60.0 /* degrees, as nilearn's rotation=60 */

/* The matrix of a design table, columns rescaled: rows x cols, row-major. */
static int design_values(const bract_table *t, bract_plot_rescale how, double *x)
{
    const size_t n = t->nrows, p = t->ncols;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < p; j++) {
            double v;
            int rc = bract_table_double(t, i, j, &v);
            if (rc)
                return rc;
            if (!isfinite(v))
                return bract_error(BRACT_EDATA, "%s:%zu: column %zu ('%s'): a design matrix "
                                   "holds finite numbers, not '%s'", t->path, t->line[i], j + 1,
                                   t->colname[j], bract_table_cell(t, i, j));
            x[i * p + j] = v;
        }
    if (how == BRACT_RESCALE_NONE)
        return BRACT_OK;
    for (size_t j = 0; j < p; j++) {
        double s = 0;
        for (size_t i = 0; i < n; i++)
            s = how == BRACT_RESCALE_L2 ? s + x[i * p + j] * x[i * p + j]
                                        : fmax(s, fabs(x[i * p + j]));
        s = fmax(1e-12, how == BRACT_RESCALE_L2 ? sqrt(s) : s);
        for (size_t i = 0; i < n; i++)
            x[i * p + j] /= s;
    }
    return BRACT_OK;
}

/* The layout: figure size, the matrix box, the label font. */
typedef struct {
    double w, h;         /* figure, points */
    double left, top;    /* matrix box corner */
    double bw, bh;       /* matrix box size */
    double label_pt;     /* column-name font size */
    double title_h;
} design_geom;

/* nilearn's figure size (1 + 0.23 p by 1 + 0.1 n + 0.04 longest name
 * inches, the height within 3 to 10), widened or heightened where the
 * rotated names, the row numbers and the title need it; the user's width
 * and height win. */
static void layout(pc_t *m, const bract_plot_opts *o, const bract_table *t, const char *title,
                   design_geom *g)
{
    const size_t n = t->nrows, p = t->ncols;
    const double fs = o->font_size > 0 ? o->font_size : 9;
    size_t maxlen = 0;
    double maxw = 0, lh, tw;
    for (size_t j = 0; j < p; j++) {
        maxlen = strlen(t->colname[j]) > maxlen ? strlen(t->colname[j]) : maxlen;
        bract_pc_text_size(m, t->colname[j], fs, 0, 0, &tw, NULL);
        maxw = fmax(maxw, tw);
    }
    bract_pc_text_size(m, "Ag", fs, 0, 0, NULL, &lh);
    char num[32];
    snprintf(num, sizeof num, "%zu", n);
    bract_pc_text_size(m, num, fs * 0.9, 0, 0, &tw, NULL);
    const double a = LABEL_ANGLE * M_PI / 180;
    g->title_h = title && *title ? lh * 1.3 + 6 : 0;
    g->left = 8 + lh + 6 + tw + 6;
    g->top = 6 + g->title_h + maxw * sin(a) + lh * cos(a) + 6;
    double right = maxw * cos(a) + 8, bottom = 10;
    double w_in = 1 + 0.23 * (double)p;
    double h_in = fmin(10, fmax(3, 1 + 0.1 * (double)n + 0.04 * (double)maxlen));
    /* at least 10 points per column and 1 per row, besides the margins */
    g->w = o->width > 0 ? o->width * 72 : fmax(w_in * 72, g->left + 10 * (double)p + right);
    g->h = o->height > 0 ? o->height * 72
                         : fmax(h_in * 72, g->top + fmin(400, fmax(60, (double)n)) + bottom);
    g->bw = g->w - g->left - right;
    g->bh = g->h - g->top - bottom;
    /* names shrink with the columns: adjacent rotated names are the column
     * width times sin(angle) apart */
    g->label_pt = fmin(fs, g->bw / (double)p * sin(a) / (lh / fs) * 0.95);
}

/* The rescaled matrix as an image of ncol x nrow cells, each cell up x
 * upy pixels (crisp in viewers that smooth images). */
static int paint_matrix(pc_t *c, const pc_box *b, const double *x, size_t n, size_t p,
                        const pc_cmap *cm, double lo, double hi)
{
    int ux = (int)fmax(1, ceil(b->w * c->scale / (double)p));
    int uy = (int)fmax(1, ceil(b->h * c->scale / (double)n));
    while ((double)ux * uy * (double)n * (double)p > 8e6 && (ux > 1 || uy > 1)) {
        ux = ux > 1 ? ux / 2 : 1;
        uy = uy > 1 ? uy / 2 : 1;
    }
    unsigned char *data;
    int stride;
    cairo_surface_t *img = bract_pc_image_new((int)p * ux, (int)n * uy, "a design matrix", &data,
                                              &stride);
    if (!img)
        return BRACT_ENOMEM;
    const double span = hi > lo ? hi - lo : 1;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < p; j++) {
            double rgb[3];
            bract_pc_cmap_eval(cm, (x[i * p + j] - lo) / span, rgb);
            uint32_t px = 0xFF000000u | ((uint32_t)lround(rgb[0] * 255) << 16) |
                          ((uint32_t)lround(rgb[1] * 255) << 8) | (uint32_t)lround(rgb[2] * 255);
            for (int dy = 0; dy < uy; dy++) {
                uint32_t *row = (uint32_t *)(void *)(data + ((size_t)i * (size_t)uy +
                                                             (size_t)dy) * (size_t)stride);
                for (int dx = 0; dx < ux; dx++)
                    row[j * (size_t)ux + (size_t)dx] = px;
            }
        }
    bract_pc_image_paint(c, b, img, 0);
    c->fig->ncells = n * p;
    return BRACT_OK;
}

/* Row numbers on the left ("scan number"), nice integer ticks at the rows'
 * centres, row 0 at the top. */
static void row_axis(pc_t *c, const pc_box *b, size_t n)
{
    cairo_t *cr = c->cr;
    double t[64], step;
    size_t nt = bract_pc_ticks(0, (double)(n - 1), 6, t, 64, &step);
    bract_pc_color(c, PC_INK);
    cairo_set_line_width(cr, 0.8);
    for (size_t k = 0; k < nt; k++) {
        if (t[k] != floor(t[k]))
            continue;
        double y = pc_by(b, t[k]);
        cairo_move_to(cr, b->x, y);
        cairo_line_to(cr, b->x - 3.5, y);
        cairo_stroke(cr);
        char lab[32];
        snprintf(lab, sizeof lab, "%.0f", t[k]);
        bract_pc_text(c, lab, b->x - 5, y, c->fs * 0.9, 0, 1, 0.5, 0, 0);
    }
    bract_pc_text(c, "scan number", 8, b->y + b->h / 2, c->fs, 0, 0.5, 0, 90, b->h);
}

/* Column names above the matrix, rotated, each from its column's centre;
 * thinned to every k-th when too small to read. */
static size_t column_names(pc_t *c, const pc_box *b, const bract_table *t, double size)
{
    const size_t p = t->ncols;
    size_t step = 1;
    while (size * (double)step < 4 && step < p)
        step++;
    if (step > 1)
        size = fmin(c->fs, size * (double)step);
    cairo_t *cr = c->cr;
    bract_pc_color(c, PC_INK);
    cairo_set_line_width(cr, 0.8);
    size_t drawn = 0;
    for (size_t j = 0; j < p; j += step) {
        double x = pc_bx(b, (double)j);
        cairo_move_to(cr, x, b->y);
        cairo_line_to(cr, x, b->y - 3.5);
        cairo_stroke(cr);
        bract_pc_text(c, t->colname[j], x, b->y - 5, size, 0, 0, 1, LABEL_ANGLE, 0);
        drawn++;
    }
    return drawn;
}

/* "columns: a, b, c" for the SVG's <desc>. */
static char *describe(const bract_table *t)
{
    size_t len = 64;
    for (size_t j = 0; j < t->ncols; j++)
        len += strlen(t->colname[j]) + 2;
    char *s = bract_xmalloc(len, 1, "a description");
    if (!s)
        return NULL;
    size_t k = (size_t)snprintf(s, len, "design matrix, %zu rows; columns: ", t->nrows);
    for (size_t j = 0; j < t->ncols; j++)
        k += (size_t)snprintf(s + k, len - k, "%s%s", j ? ", " : "", t->colname[j]);
    return s;
}

int bract_plot_design(const bract_table *t, const bract_plot_opts *opts, bract_plot_figure *out)
{
    int rc = bract_pc_check_opts(opts, out);
    if (rc)
        return rc;
    const size_t n = t->nrows, p = t->ncols;
    if (n < 1 || p < 1)
        return bract_error(BRACT_EDATA, "%s: an empty design matrix (%zu rows, %zu columns)",
                           t->path, n, p);
    const char *cmap = opts->cmap ? opts->cmap : "viridis";
    const pc_cmap *cm = bract_pc_cmap_find(cmap);
    if (!cm || (strcmp(cmap, "viridis") != 0 && strcmp(cmap, "gray") != 0))
        return bract_error(BRACT_EINVAL, "unknown colour map '%s' for a design matrix "
                           "(expected viridis or gray)", cmap);
    double *x = bract_xmalloc(n * p, sizeof *x, "a design matrix");
    if (!x)
        return BRACT_ENOMEM;
    if ((rc = design_values(t, opts->rescale, x))) {
        free(x);
        return rc;
    }
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n * p; i++) {
        lo = fmin(lo, x[i]);
        hi = fmax(hi, x[i]);
    }
    if (isfinite(opts->vmin))
        lo = opts->vmin;
    if (isfinite(opts->vmax))
        hi = opts->vmax;
    if (!(hi >= lo)) {
        free(x);
        return bract_error(BRACT_EINVAL, "the value range %g to %g is empty", lo, hi);
    }
    const char *title = opts->title ? opts->title : "";
    pc_t m, c;
    design_geom g;
    if ((rc = bract_pc_open_measure(&m, opts))) {
        free(x);
        return rc;
    }
    layout(&m, opts, t, title, &g);
    bract_pc_abort(&m);
    if (g.bw < 20 || g.bh < 20) {
        free(x);
        return bract_error(BRACT_EINVAL, "a %g x %g inch figure is too small for a design matrix "
                           "of %zu columns", g.w / 72, g.h / 72, p);
    }
    if ((rc = bract_pc_open(&c, opts, g.w / 72, g.h / 72, out))) {
        free(x);
        return rc;
    }
    char *desc = describe(t);
    if (!desc || (rc = bract_pc_svg_meta(&c, *title ? title : "design matrix", desc)))
        rc = BRACT_ENOMEM;
    free(desc);
    if (*title)
        bract_pc_title(&c, title);
    /* cells are centred on integers, row 0 at the top (imshow) */
    pc_box b = {g.left, g.top, g.bw, g.bh, -0.5, (double)p - 0.5, (double)n - 0.5, -0.5};
    if (!rc)
        rc = paint_matrix(&c, &b, x, n, p, cm, lo, hi);
    free(x);
    if (rc) {
        bract_pc_abort(&c);
        return rc;
    }
    bract_pc_color(&c, PC_INK);
    cairo_set_line_width(c.cr, 0.8);
    cairo_rectangle(c.cr, b.x, b.y, b.w, b.h);
    cairo_stroke(c.cr);
    row_axis(&c, &b, n);
    c.fig->nlabels = column_names(&c, &b, t, g.label_pt);
    c.fig->label_pt = g.label_pt;
    snprintf(c.fig->cmap, sizeof c.fig->cmap, "%s", cmap);
    if ((rc = bract_pc_add_panel(&c, &b))) {
        bract_pc_abort(&c);
        return rc;
    }
    return bract_pc_close(&c);
}
