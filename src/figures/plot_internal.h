/* Private drawing helpers shared by the figure modules (src/plot*.c). */
#ifndef BRACT_PLOT_INTERNAL_H
#define BRACT_PLOT_INTERNAL_H

#include "base/internal.h"

#include <cairo.h>
#include <pango/pangocairo.h>

#include "bract/plot.h"

/* Colours as 0xRRGGBB. */
#define PC_INK 0x222222u   /* text, axes */
#define PC_SOFT 0x666666u  /* secondary text */
#define PC_GRID 0xDDDDDDu
#define PC_MISSING 0xBBBBBBu
#define PC_DIAG 0xEEEEEEu

/* Text flags. */
#define PC_BOLD 0x1u

/* A canvas: the figure being drawn, in points, origin top left. */
typedef struct {
    cairo_surface_t *surf;
    cairo_t *cr;
    PangoLayout *lay;
    PangoFontDescription *font;
    int format;
    double w, h;      /* figure size in points */
    double scale;     /* device units per point */
    double fs;        /* base font size in points */
    bract_buf svg;    /* SVG bytes as cairo writes them */
    bract_plot_figure *fig;
    size_t cap_panels;
    char *svg_title, *svg_desc; /* SVG only: <title> and <desc> of the document, or NULL */
} pc_t;

/* A data area: a rectangle in points and the data range it shows. */
typedef struct {
    double x, y, w, h;
    double u0, u1, v0, v1;
} pc_box;

static inline double pc_bx(const pc_box *b, double u)
{
    return b->x + (u - b->u0) / (b->u1 - b->u0) * b->w;
}
static inline double pc_by(const pc_box *b, double v)
{
    return b->y + b->h - (v - b->v0) / (b->v1 - b->v0) * b->h;
}

/* Check the options every kind shares; clears *out.  Call first. */
int bract_pc_check_opts(const bract_plot_opts *o, bract_plot_figure *out);

/* Start a figure of w x h inches (fig is reset and filled by bract_pc_close). */
int bract_pc_open(pc_t *c, const bract_plot_opts *o, double w_in, double h_in, bract_plot_figure *fig);
/* A canvas only for measuring text (no figure). Release with bract_pc_abort. */
int bract_pc_open_measure(pc_t *c, const bract_plot_opts *o);
/* Finish, encode into fig (on error fig is left empty).  Always releases c. */
int bract_pc_close(pc_t *c);
/* Release without output (after an error). */
void bract_pc_abort(pc_t *c);

/* What an SVG says it shows, for readers and tools that cannot read its
 * glyphs: a <title> and a <desc> (copied; ignored for PNG). */
int bract_pc_svg_meta(pc_t *c, const char *title, const char *desc);

/* Record a data area (and its data range) in the figure. */
int bract_pc_add_panel(pc_t *c, const pc_box *b);
void bract_pc_set_cbar(pc_t *c, const pc_box *b, const char *cmap);

void bract_pc_color(pc_t *c, unsigned rgb);
void bract_pc_color_a(pc_t *c, unsigned rgb, double alpha);
void bract_pc_color_v(pc_t *c, const double rgb[3]);

/* Text: the anchor (x, y) is at fraction ha of the width (0 left, 0.5
 * centre, 1 right) and va of the height (0 top, 0.5 middle, 1 bottom) of
 * the text's box, after rotating by `angle` degrees (counter-clockwise,
 * about the anchor).  maxw > 0 ellipsizes longer text to that width.
 * Returns the width drawn. */
double bract_pc_text(pc_t *c, const char *s, double x, double y, double size, unsigned flags,
               double ha, double va, double angle, double maxw);
/* Width and height (line box) of text at a size, ellipsized to maxw if > 0. */
void bract_pc_text_size(pc_t *c, const char *s, double size, unsigned flags, double maxw, double *w,
                  double *h);

/* The title (if any) centred at the top; returns the height it takes. */
double bract_pc_title(pc_t *c, const char *title);
/* The default title unless the options set one. */
const char *bract_pc_title_of(const bract_plot_opts *o, const char *dflt);

/* "Nice" ticks (1, 2, 2.5, 5 x 10^k) covering [lo, hi] inside it, about
 * `target` of them; returns their number (at most max) and the step. */
size_t bract_pc_ticks(double lo, double hi, int target, double *ticks, size_t max, double *step);
/* Widen [*lo, *hi] outward to multiples of a nice step. */
void bract_pc_nice_range(double *lo, double *hi, int target);
/* A tick label with the decimals the step needs, and a true minus sign. */
void bract_pc_fmt(char *buf, size_t n, double v, double step);
/* A number with `sig` significant digits and a true minus sign. */
void bract_pc_fmt_sig(char *buf, size_t n, double v, int sig);

/* Axes: left (values, with labels) and bottom lines of a box. */
void bract_pc_axis_left(pc_t *c, const pc_box *b, int target, const char *label, int draw_labels);
void bract_pc_axis_bottom(pc_t *c, const pc_box *b, int target, const char *label);

/* A vertical colour bar: the strip at (x, y, w, h) for values vmin (bottom)
 * to vmax (top) on map `cmap` whose t = 0..1 spans [cmin, cmax]; ticks and
 * the label to its right.  Values in (gap_lo, gap_hi) are drawn light grey
 * (a threshold; pass gap_lo >= gap_hi for none).  Returns the total width. */
double bract_pc_colorbar(pc_t *c, double x, double y, double w, double h, const char *cmap,
                   double cmin, double cmax, double vmin, double vmax, const char *label,
                   double gap_lo, double gap_hi);
/* Width a colour bar of strip width w needs for these values and label. */
double bract_pc_colorbar_width(pc_t *c, double w, double vmin, double vmax, const char *label);

/* Colour maps: look-up by name, evaluation. */
typedef struct pc_cmap pc_cmap;
const pc_cmap *bract_pc_cmap_find(const char *name);
void bract_pc_cmap_eval(const pc_cmap *m, double t, double rgb[3]);
/* Okabe-Ito colour-blind-safe categorical colours. */
unsigned bract_pc_category(size_t i);

/* Grid of nr x nc panels with the largest square-ish cells for n items in a
 * w x h area: chooses nc (columns). */
size_t bract_pc_grid_cols(size_t n, double w, double h, double aspect);

/* Labels of a square matrix: every `step`-th of n, at `size` points;
 * step 0 means none.  Chooses from the cell size in points. */
void bract_pc_label_plan(int mode, size_t n, double cell, double base, size_t *step, double *size);

/* A w x h RGB image to fill (pixels 0xFFRRGGBB, rows `stride` bytes
 * apart); NULL with a message when out of memory. */
cairo_surface_t *bract_pc_image_new(int w, int h, const char *what, unsigned char **data,
                                    int *stride);
/* Draw an image over box b (smoothed, or nearest pixel) and free it. */
void bract_pc_image_paint(pc_t *c, const pc_box *b, cairo_surface_t *img, int smooth);

/* A heatmap of an n x n matrix in box b (rows top to bottom): colours come
 * from rgb (3 doubles per cell, NaN first component = missing).  Cells are
 * rectangles in SVG for small matrices, else an image. */
int bract_pc_heatmap(pc_t *c, const pc_box *b, size_t n, const double *rgb);

/* Condition labels of a square matrix in box b: rows on the left, columns
 * below, rotated; every `step`-th.  maxw: longest label in points. */
void bract_pc_matrix_labels(pc_t *c, const pc_box *b, char *const *labels, size_t n, size_t step,
                      double size, double maxw);

/* One square matrix of a grid: n labelled items, condensed values. */
typedef struct {
    size_t n;
    char *const *labels;
    const double *d;
    const char *title;    /* above the matrix (NULL: none) */
    const char *subtitle; /* a second, smaller line (NULL: none) */
} pc_matrix;

/* A figure of np matrices in a grid (labels per o->labels, size per
 * o->width/height or from the content) with one colour bar: values map to
 * t = (v - cmin) / (cmax - cmin) of `cmap`; the bar spans lo..hi. */
int bract_pc_matrix_figure(const bract_plot_opts *o, const pc_matrix *mats, size_t np,
                           const char *title, const char *cmap, double cmin, double cmax, double lo,
                           double hi, const char *units, bract_plot_figure *out);

#endif
