/* Unit tests of bract/plot.h: every kind renders PNG and SVG with the
 * expected size, colours where the data put them, legible labels, and
 * clear errors without output. */
#define _XOPEN_SOURCE 700 /* M_PI */
#include "testutil.h"
#include "bract/figures.h"

#include <cairo.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *tmp;
static void setup(void) { tmp = tu_tmpdir(); }
static void teardown(void)
{
    tu_rmtree(tmp);
    free(tmp);
}

/* ---- helpers ---- */

typedef struct {
    const unsigned char *p;
    size_t len, off;
} reader;

static cairo_status_t read_mem(void *closure, unsigned char *data, unsigned int n)
{
    reader *r = closure;
    if (r->off + n > r->len)
        return CAIRO_STATUS_READ_ERROR;
    memcpy(data, r->p + r->off, n);
    r->off += n;
    return CAIRO_STATUS_SUCCESS;
}

/* Decode a PNG figure and check its size. */
static cairo_surface_t *decode(const bract_plot_figure *f)
{
    ck_assert_int_eq(f->format, BRACT_PLOT_PNG);
    ck_assert_uint_gt(f->len, 8);
    ck_assert(memcmp(f->data, "\x89PNG\r\n\x1a\n", 8) == 0);
    reader r = {f->data, f->len, 0};
    cairo_surface_t *s = cairo_image_surface_create_from_png_stream(read_mem, &r);
    ck_assert_int_eq(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
    ck_assert_int_eq(cairo_image_surface_get_width(s), f->width);
    ck_assert_int_eq(cairo_image_surface_get_height(s), f->height);
    return s;
}

/* Pixel at (x, y) as 0xRRGGBB (figures are opaque). */
static unsigned pixel(cairo_surface_t *s, double x, double y)
{
    int ix = (int)floor(x), iy = (int)floor(y);
    ck_assert_int_ge(ix, 0);
    ck_assert_int_ge(iy, 0);
    ck_assert_int_lt(ix, cairo_image_surface_get_width(s));
    ck_assert_int_lt(iy, cairo_image_surface_get_height(s));
    const unsigned char *row =
        cairo_image_surface_get_data(s) + (size_t)iy * (size_t)cairo_image_surface_get_stride(s);
    uint32_t v = ((const uint32_t *)(const void *)row)[ix];
    return v & 0xFFFFFFu;
}

static int channel(unsigned c, int k) { return (int)((c >> (16 - 8 * k)) & 0xFF); }

/* Colours within tol (0..255 per channel). */
static int near_rgb(unsigned c, const double rgb[3], int tol)
{
    for (int k = 0; k < 3; k++)
        if (abs(channel(c, k) - (int)lround(rgb[k] * 255)) > tol)
            return 0;
    return 1;
}

static int near_hex(unsigned c, unsigned hex, int tol)
{
    double rgb[3] = {((hex >> 16) & 0xFF) / 255.0, ((hex >> 8) & 0xFF) / 255.0,
                     (hex & 0xFF) / 255.0};
    return near_rgb(c, rgb, tol);
}

#define ck_assert_colour(c, rgb, tol)                                                       \
    ck_assert_msg(near_rgb((c), (rgb), (tol)), "pixel %06x, expected %02x%02x%02x", (c),      \
                  (int)lround((rgb)[0] * 255), (int)lround((rgb)[1] * 255),                   \
                  (int)lround((rgb)[2] * 255))

static double cmap(const char *name, double t, double rgb[3])
{
    ck_assert_int_eq(bract_plot_colormap(name, t, rgb), 0);
    return t;
}

/* Share of pixels that are not white, and whether there are many colours. */
static double inked(cairo_surface_t *s, size_t *ncolours)
{
    int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
    size_t ink = 0, nc = 0;
    unsigned seen[64];
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            unsigned c = pixel(s, x, y);
            if (c != 0xFFFFFF)
                ink++;
            int dup = 0;
            for (size_t k = 0; k < nc && !dup; k++)
                dup = seen[k] == c;
            if (!dup && nc < 64)
                seen[nc++] = c;
        }
    *ncolours = nc;
    return (double)ink / ((double)w * h);
}

static int inked_line(cairo_surface_t *s, int a, double b0, double b1, int along_y)
{
    for (int b = (int)ceil(b0); b < (int)floor(b1); b++) {
        unsigned c = along_y ? pixel(s, b, a) : pixel(s, a, b);
        if (channel(c, 0) < 150 && channel(c, 1) < 150 && channel(c, 2) < 150)
            return 1;
    }
    return 0;
}

/* Labels beside a matrix, in a strip b0..b1 across and centred at
 * positions `at` along it (y for rows, x for columns): each label has ink
 * near its centre, and the line half way to the next label has none, so
 * no label runs into its neighbour.  Returns the number of failures. */
static int labels_apart(cairo_surface_t *s, const double *at, size_t n, double cell, double b0,
                        double b1, int along_y)
{
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        int ink = 0;
        for (int a = (int)ceil(at[i] - 0.3 * cell); a <= (int)floor(at[i] + 0.3 * cell) && !ink;
             a++)
            ink = inked_line(s, a, b0, b1, along_y);
        if (!ink) {
            fprintf(stderr, "no label ink at %g\n", at[i]);
            bad++;
        }
        if (i + 1 < n && inked_line(s, (int)floor(0.5 * (at[i] + at[i + 1])), b0, b1, along_y)) {
            fprintf(stderr, "labels at %g and %g touch\n", at[i], at[i + 1]);
            bad++;
        }
    }
    return bad;
}

/* The colour bar's top and bottom rows have the map's colour at their
 * value (maps that span the whole bar). */
static void check_cbar_ends(cairo_surface_t *img, const bract_plot_figure *f)
{
    const bract_plot_rect *b = &f->cbar;
    double ys[2] = {b->y + 2, b->y + b->h - 2.01}; /* inside the outline */
    for (int k = 0; k < 2; k++) {
        double row = floor(ys[k]) + 0.5, t = (b->y + b->h - row) / b->h, rgb[3];
        ck_assert_double_le(k == 0 ? 1 - t : t, 0.02); /* an end */
        cmap(f->cmap, t, rgb);
        ck_assert_colour(pixel(img, b->x + b->w / 2, ys[k]), rgb, 2);
    }
}

static void png_opts(bract_plot_opts *o, double w, double h, double dpi)
{
    bract_plot_opts_defaults(o);
    o->width = w;
    o->height = h;
    o->dpi = dpi;
}

/* Centre of cell (i, j) of an n x n heatmap panel, in pixels. */
static void cell_centre(const bract_plot_rect *p, size_t n, size_t i, size_t j, double *x,
                        double *y)
{
    *x = p->x + ((double)j + 0.5) * p->w / (double)n;
    *y = p->y + ((double)i + 0.5) * p->h / (double)n;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* SVG text of a figure (NUL-terminated copy). */
static char *svg_text(const bract_plot_figure *f)
{
    ck_assert_int_eq(f->format, BRACT_PLOT_SVG);
    char *s = malloc(f->len + 1);
    memcpy(s, f->data, f->len);
    s[f->len] = '\0';
    ck_assert(strncmp(s, "<?xml", 5) == 0);
    ck_assert(tu_contains(s, "<svg"));
    ck_assert(tu_contains(s + f->len - 8, "</svg>"));
    /* every element opened is closed: as many <g as </g> */
    ck_assert_uint_eq(count(s, "<g"), count(s, "</g>"));
    return s;
}

/* Filled rectangles (cairo writes them as "M x y L x2 y L x2 y2 L x y2 Z")
 * lying in panel p whose sides are the cell size (plus the small overlap). */
static size_t svg_cells(const char *svg, const bract_plot_rect *p, size_t n)
{
    double cw = p->w / (double)n;
    size_t cells = 0;
    for (const char *q = strstr(svg, " d=\"M "); q; q = strstr(q + 1, " d=\"M ")) {
        double x0, y0, x1, y1, x2, y2, x3, y3;
        if (sscanf(q, " d=\"M %lf %lf L %lf %lf L %lf %lf L %lf %lf Z", &x0, &y0, &x1, &y1, &x2,
                   &y2, &x3, &y3) != 8)
            continue;
        /* cairo rounds coordinates to 1/256 */
        double w = x1 - x0, h = y2 - y1;
        if (y1 == y0 && x2 == x1 && x3 == x0 && y3 == y2 && w > cw - 0.01 && w < cw + 0.3 &&
            h > cw - 0.01 && h < cw + 0.3 && x0 >= p->x - 0.01 && x0 < p->x + p->w &&
            y0 >= p->y - 0.01 && y0 < p->y + p->h)
            cells++;
    }
    return cells;
}

/* A 5-condition RDM: pair (0,4) largest (9), (1,2) smallest (1), (2,3)
 * missing, (0,1) the middle (5). */
static bract_rdmset *small_rdm(void)
{
    static const char *const cond[5] = {"狗", "猫", "car", "bus", "锤子"};
    bract_rdmset *s = NULL;
    bract_rdmset_new(1, &s);
    ck_assert_int_eq(bract_rdmset_init_rdm(s, 0, "V1", 5, cond), 0);
    /* pairs: 01 02 03 04 12 13 14 23 24 34 */
    const double d[10] = {5, 2, 3, 9, 1, 4, 6, NAN, 7, 8};
    memcpy(s->rdm[0].d, d, sizeof d);
    return s;
}

/* ---- colour maps ---- */

START_TEST(colour_maps)
{
    double rgb[3];
    /* matplotlib's viridis end points (its table's first and last rows) */
    cmap("viridis", 0, rgb);
    ck_assert_double_eq_tol(rgb[0], 0.267004, 1e-4);
    ck_assert_double_eq_tol(rgb[2], 0.329415, 1e-4);
    cmap("viridis", 1, rgb);
    ck_assert_double_eq_tol(rgb[0], 0.993248, 1e-4);
    ck_assert_double_eq_tol(rgb[1], 0.906157, 1e-4);
    /* clamped outside [0, 1] */
    double r2[3];
    cmap("viridis", 7, r2);
    ck_assert(memcmp(rgb, r2, sizeof rgb) == 0);
    /* ColorBrewer RdBu's neutral middle #f7f7f7 */
    cmap("rdbu", 0.5, rgb);
    ck_assert_double_eq_tol(rgb[0], 0xf7 / 255.0, 1e-12);
    ck_assert_int_eq(bract_plot_colormap("jet", 0.5, rgb), BRACT_EINVAL);
    ck_assert_error_has("jet");
    ck_assert_int_eq(bract_plot_format_from_name("a/b.SVG"), BRACT_PLOT_SVG);
    ck_assert_int_eq(bract_plot_format_from_name("fig.png"), BRACT_PLOT_PNG);
    ck_assert_int_eq(bract_plot_format_from_name("fig.pdf"), 0);
}
END_TEST

/* ---- rdm ---- */

START_TEST(rdm_png)
{
    bract_rdmset *s = small_rdm();
    bract_plot_opts o;
    png_opts(&o, 5, 4, 100);
    bract_plot_figure f;
    ck_assert_msg(bract_plot_rdm(s, &o, &f) == 0, "%s", bract_last_error());
    ck_assert_int_eq(f.width, 500);
    ck_assert_int_eq(f.height, 400);
    cairo_surface_t *img = decode(&f);
    size_t ncol;
    ck_assert_double_gt(inked(img, &ncol), 0.15);
    ck_assert_uint_ge(ncol, 10);
    ck_assert_uint_eq(f.npanels, 1);
    ck_assert_uint_eq(f.ncells, 25);
    ck_assert_uint_eq(f.nlabels, 5);
    /* cells where the values put them */
    const bract_plot_rect *p = &f.panels[0];
    double x, y, lo[3], hi[3], mid[3];
    cmap("viridis", 0, lo);
    cmap("viridis", 1, hi);
    cmap("viridis", 0.5, mid);
    cell_centre(p, 5, 0, 4, &x, &y);
    ck_assert_colour(pixel(img, x, y), hi, 2);
    cell_centre(p, 5, 4, 0, &x, &y);
    ck_assert_colour(pixel(img, x, y), hi, 2);
    cell_centre(p, 5, 1, 2, &x, &y);
    ck_assert_colour(pixel(img, x, y), lo, 2);
    cell_centre(p, 5, 0, 1, &x, &y);
    ck_assert_colour(pixel(img, x, y), mid, 2);
    cell_centre(p, 5, 2, 3, &x, &y); /* missing */
    ck_assert(near_hex(pixel(img, x, y), 0xBBBBBB, 1));
    cell_centre(p, 5, 2, 2, &x, &y); /* diagonal */
    ck_assert(near_hex(pixel(img, x, y), 0xEEEEEE, 1));
    /* the colour bar's ends are the map's ends, labelled with the range */
    ck_assert(f.has_cbar);
    ck_assert_str_eq(f.cmap, "viridis");
    ck_assert_double_eq(f.cbar.v0, 1);
    ck_assert_double_eq(f.cbar.v1, 9);
    check_cbar_ends(img, &f);
    cairo_surface_destroy(img);
    /* in-memory bytes are what the file gets */
    char *path = tu_join(tmp, "rdm.png");
    ck_assert_int_eq(bract_plot_figure_write(&f, path, 0), 0);
    FILE *fp = fopen(path, "rb");
    unsigned char *buf = malloc(f.len + 1);
    ck_assert_uint_eq(fread(buf, 1, f.len + 1, fp), f.len);
    fclose(fp);
    ck_assert(memcmp(buf, f.data, f.len) == 0);
    ck_assert_int_eq(bract_plot_figure_write(&f, path, 0), BRACT_EEXIST);
    free(buf);
    free(path);
    bract_plot_figure_free(&f);
    bract_rdmset_free(s);
}
END_TEST

START_TEST(rdm_svg)
{
    bract_rdmset *s = small_rdm();
    bract_plot_opts o;
    png_opts(&o, 5, 4, 100);
    o.format = BRACT_PLOT_SVG;
    bract_plot_figure f;
    ck_assert_int_eq(bract_plot_rdm(s, &o, &f), 0);
    ck_assert_int_eq(f.width, 360);
    ck_assert_int_eq(f.height, 288);
    char *svg = svg_text(&f);
    ck_assert(tu_contains(svg, "width=\"360pt\""));
    ck_assert(tu_contains(svg, "height=\"288pt\""));
    /* 25 heatmap cells as vector rectangles */
    ck_assert_uint_eq(svg_cells(svg, &f.panels[0], 5), 25);
    /* cairo draws text as glyphs: each label twice (rows and columns), at
     * least one glyph per character (1+1+3+3+2), plus title and ticks */
    ck_assert_uint_ge(count(svg, "<use xlink:href=\"#glyph"), 2 * 10 + 2);
    free(svg);
    bract_plot_figure_free(&f);
    bract_rdmset_free(s);
}
END_TEST

static const char *const words60[60] = {
    "狗",   "猫",   "马",     "牛",   "羊",     "猪",       "鸡",   "鸭",     "鱼",     "鸟",
    "老虎", "狮子", "大象",   "熊猫", "猴子",   "兔子",     "蛇",   "青蛙",   "蝴蝶",   "蜜蜂",
    "苹果", "香蕉", "橘子",   "葡萄", "西瓜",   "草莓",     "桃子", "梨",     "米饭",   "面包",
    "汽车", "火车", "飞机",   "轮船", "自行车", "公共汽车", "地铁", "摩托车", "卡车",   "出租车",
    "桌子", "椅子", "床",     "沙发", "电视",   "电脑",     "手机", "冰箱",   "洗衣机", "空调",
    "锤子", "剪刀", "螺丝刀", "钳子", "锯子",   "扳手",     "铲子", "斧头",   "刷子",   "电钻"};

static bract_rdmset *big_rdm(size_t n, const char *const *labels)
{
    char **own = NULL;
    if (!labels) {
        own = malloc(n * sizeof *own);
        for (size_t i = 0; i < n; i++) {
            own[i] = malloc(16);
            snprintf(own[i], 16, "w%03zu", i);
        }
        labels = (const char *const *)own;
    }
    bract_rdmset *s = NULL;
    bract_rdmset_new(1, &s);
    ck_assert_int_eq(bract_rdmset_init_rdm(s, 0, "region", n, labels), 0);
    size_t p = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++, p++)
            s->rdm[0].d[p] = (i / 10 == j / 10 ? 0.3 : 1.0) + 0.2 * sin((double)(i * 7 + j * 3));
    if (own) {
        for (size_t i = 0; i < n; i++)
            free(own[i]);
        free(own);
    }
    return s;
}

START_TEST(rdm_labels_at_60)
{
    bract_rdmset *s = big_rdm(60, words60);
    bract_plot_opts o;
    bract_plot_opts_defaults(&o); /* default size: grows with the conditions */
    bract_plot_figure f;
    ck_assert_int_eq(bract_plot_rdm(s, &o, &f), 0);
    cairo_surface_t *img = decode(&f);
    const bract_plot_rect *p = &f.panels[0];
    double cell_pt = p->h / 60 / f.scale;
    /* every label, legible, no taller than its cell */
    ck_assert_uint_eq(f.nlabels, 60);
    ck_assert_double_ge(f.label_pt, 5);
    ck_assert_double_le(f.label_pt, 0.85 * cell_pt + 1e-9);
    /* and they do not touch: beside the rows (the labels' last characters,
     * just left of the matrix) and below the columns */
    double sc = f.scale, cell = p->h / 60, ry[60], cx[60];
    for (int i = 0; i < 60; i++) {
        ry[i] = p->y + (i + 0.5) * cell;
        cx[i] = p->x + (i + 0.5) * cell;
    }
    ck_assert_int_eq(labels_apart(img, ry, 60, cell, p->x - 7 * sc, p->x - 2.5 * sc, 1), 0);
    ck_assert_int_eq(labels_apart(img, cx, 60, cell, p->y + p->h + 2.5 * sc, p->y + p->h + 7 * sc,
                                  0), 0);
    cairo_surface_destroy(img);
    bract_plot_figure_free(&f);
    bract_rdmset_free(s);
}
END_TEST

START_TEST(rdm_thinned_at_360)
{
    bract_rdmset *s = big_rdm(360, NULL);
    bract_plot_opts o;
    bract_plot_opts_defaults(&o);
    bract_plot_figure f;
    ck_assert_int_eq(bract_plot_rdm(s, &o, &f), 0);
    ck_assert_uint_eq(f.ncells, 360 * 360);
    /* thinned to a legible size: fewer labels, each apart from the next */
    ck_assert_uint_gt(f.nlabels, 20);
    ck_assert_uint_lt(f.nlabels, 360);
    ck_assert_double_ge(f.label_pt, 5);
    cairo_surface_t *img = decode(&f);
    const bract_plot_rect *p = &f.panels[0];
    size_t step = 1;
    while ((360 + step - 1) / step != f.nlabels)
        step++;
    double sc = f.scale, cell = p->h / 360, ry[360];
    for (size_t i = 0; i < f.nlabels; i++)
        ry[i] = p->y + ((double)(i * step) + 0.5) * cell;
    ck_assert_int_eq(labels_apart(img, ry, f.nlabels, cell * (double)step, p->x - 10 * sc,
                                  p->x - 4.5 * sc, 1), 0);
    cairo_surface_destroy(img);
    bract_plot_figure_free(&f);
    /* --labels none draws none */
    o.labels = BRACT_LABELS_NONE;
    ck_assert_int_eq(bract_plot_rdm(s, &o, &f), 0);
    ck_assert_uint_eq(f.nlabels, 0);
    bract_plot_figure_free(&f);
    bract_rdmset_free(s);
}
END_TEST

START_TEST(rdm_rank_and_set)
{
    bract_rdmset *s = NULL;
    bract_rdmset_new(2, &s);
    static const char *const c3[3] = {"a", "b", "c"};
    ck_assert_int_eq(bract_rdmset_init_rdm(s, 0, "model", 3, c3), 0);
    ck_assert_int_eq(bract_rdmset_init_rdm(s, 1, "brain", 3, c3), 0);
    const double d0[3] = {10, 20, 30}, d1[3] = {0.3, 0.1, 0.2};
    memcpy(s->rdm[0].d, d0, sizeof d0);
    memcpy(s->rdm[1].d, d1, sizeof d1);
    bract_plot_opts o;
    png_opts(&o, 6, 3.5, 100);
    o.rank = 1;
    bract_plot_figure f;
    ck_assert_int_eq(bract_plot_rdm(s, &o, &f), 0);
    ck_assert_uint_eq(f.npanels, 2);
    ck_assert_double_eq(f.cbar.v0, 0);
    ck_assert_double_eq(f.cbar.v1, 100);
    cairo_surface_t *img = decode(&f);
    double x, y, lo[3], hi[3];
    cmap("viridis", 0, lo);
    cmap("viridis", 1, hi);
    /* percentile 100: (b, c) of the model, (a, b) of the brain */
    cell_centre(&f.panels[0], 3, 1, 2, &x, &y);
    ck_assert_colour(pixel(img, x, y), hi, 2);
    cell_centre(&f.panels[1], 3, 0, 1, &x, &y);
    ck_assert_colour(pixel(img, x, y), hi, 2);
    cell_centre(&f.panels[1], 3, 0, 2, &x, &y);
    ck_assert_colour(pixel(img, x, y), lo, 2);
    cairo_surface_destroy(img);
    bract_plot_figure_free(&f);
    /* one chosen RDM; an unknown name lists the set and draws nothing */
    const char *pick[1] = {"brain"};
    o.select = pick;
    o.nselect = 1;
    ck_assert_int_eq(bract_plot_rdm(s, &o, &f), 0);
    ck_assert_uint_eq(f.npanels, 1);
    bract_plot_figure_free(&f);
    const char *bad[1] = {"IT"};
    o.select = bad;
    ck_assert_int_eq(bract_plot_rdm(s, &o, &f), BRACT_EDATA);
    ck_assert_error_has("no RDM named 'IT'");
    ck_assert_error_has("'model', 'brain'");
    ck_assert_ptr_null(f.data);
    bract_rdmset_free(s);
}
END_TEST

/* ---- mds ---- */

START_TEST(mds_plot)
{
    /* five points of a known, asymmetric configuration */
    static const char *const cond[5] = {"north", "south", "east", "west", "centre"};
    const double pt[5][2] = {{0, 4}, {0, -3}, {5, 0}, {-2, 0}, {0.5, 0.5}};
    bract_rdmset *s = NULL;
    bract_rdmset_new(1, &s);
    ck_assert_int_eq(bract_rdmset_init_rdm(s, 0, "toy", 5, cond), 0);
    size_t p = 0;
    for (int i = 0; i < 5; i++)
        for (int j = i + 1; j < 5; j++, p++)
            s->rdm[0].d[p] = hypot(pt[i][0] - pt[j][0], pt[i][1] - pt[j][1]);
    bract_plot_opts o;
    png_opts(&o, 5, 5, 100);
    bract_plot_figure f;
    ck_assert_int_eq(bract_plot_mds(s, &o, &f), 0);
    ck_assert_int_eq(f.width, 500);
    ck_assert_uint_eq(f.ncells, 5);
    ck_assert_uint_eq(f.nlabels, 5);
    const bract_plot_rect *r = &f.panels[0];
    /* equal scales: a square area showing equal data spans */
    ck_assert_double_eq_tol(r->w, r->h, 1e-9);
    ck_assert_double_eq_tol(r->u1 - r->u0, r->v1 - r->v0, 1e-9);
    /* each point is drawn at its MDS coordinates */
    double c[10];
    ck_assert_int_eq(bract_mds_classical(s->rdm[0].d, 5, 2, c, NULL), 0);
    cairo_surface_t *img = decode(&f);
    for (int i = 0; i < 5; i++) {
        double x = r->x + (c[2 * i] - r->u0) / (r->u1 - r->u0) * r->w;
        double y = r->y + r->h - (c[2 * i + 1] - r->v0) / (r->v1 - r->v0) * r->h;
        ck_assert_msg(near_hex(pixel(img, x, y), 0x0072B2, 3), "point %d at %g,%g: %06x", i, x, y,
                      pixel(img, x, y));
    }
    cairo_surface_destroy(img);
    bract_plot_figure_free(&f);
    o.format = BRACT_PLOT_SVG;
    ck_assert_int_eq(bract_plot_mds(s, &o, &f), 0);
    free(svg_text(&f));
    bract_plot_figure_free(&f);
    /* a missing pair is an error naming the conditions */
    s->rdm[0].d[3] = NAN;
    o.format = BRACT_PLOT_PNG;
    ck_assert_int_eq(bract_plot_mds(s, &o, &f), BRACT_EDATA);
    ck_assert_error_has("'north' and 'centre'");
    ck_assert_ptr_null(f.data);
    bract_rdmset_free(s);
}
END_TEST

/* ---- bars ---- */

static const char results_tsv[] =
    "rdm\tmodel\tmethod\tr\tp\tp_fdr\tci_low\tci_high\tnoise_lower\tnoise_upper\tn\n"
    "V1\tw2v\tspearman\t0.12\t0.001\t0.003\t0.06\t0.18\t0.25\t0.34\t20\n"
    "V1\tLSA\tspearman\t0.05\t0.08\t0.12\t-0.01\t0.11\t0.25\t0.34\t20\n"
    "V1\tGloVe\tspearman\t0.09\t0.01\t0.02\t0.03\t0.15\t0.25\t0.34\t20\n"
    "IT\tw2v\tspearman\t0.21\t0.0001\t0.0006\t0.14\t0.28\t0.30\t0.41\t20\n"
    "IT\tLSA\tspearman\t-0.04\t0.6\t0.6\t-0.09\t0.01\t0.30\t0.41\t20\n"
    "IT\tGloVe\tspearman\tn/a\tn/a\tn/a\tn/a\tn/a\t0.30\t0.41\t20\n";

static bract_table *table_of(const char *name, const char *text)
{
    bract_table *t;
    ck_assert_msg(bract_table_parse(name, text, strlen(text), &t) == 0, "%s", bract_last_error());
    return t;
}

START_TEST(bars_png)
{
    bract_table *t = table_of("results.tsv", results_tsv);
    bract_plot_opts o;
    png_opts(&o, 6, 3, 100);
    bract_plot_figure f;
    ck_assert_msg(bract_plot_bars(t, &o, &f) == 0, "%s", bract_last_error());
    ck_assert_int_eq(f.width, 600);
    ck_assert_int_eq(f.height, 300);
    ck_assert_uint_eq(f.npanels, 2);
    ck_assert_uint_eq(f.ncells, 5); /* one r is n/a */
    cairo_surface_t *img = decode(&f);
    size_t ncol;
    ck_assert_double_gt(inked(img, &ncol), 0.05);
    /* the LSA bar of V1 (second model) in the second category colour, half
     * way up its height */
    const bract_plot_rect *p = &f.panels[0];
    double x = p->x + 1.7 * p->w / 3; /* beside the error bar */
    double y = p->y + p->h - (0.025 - p->v0) / (p->v1 - p->v0) * p->h;
    ck_assert(near_hex(pixel(img, x, y), 0xE69F00, 2));
    /* the noise-ceiling band at the panel's right edge: grey 0x999999 at
     * 35 % over white */
    y = p->y + p->h - (0.295 - p->v0) / (p->v1 - p->v0) * p->h;
    ck_assert_msg(near_hex(pixel(img, p->x + p->w - 2, y), 0xDBDBDB, 4), "%06x",
                  pixel(img, p->x + p->w - 2, y));
    /* no band above it */
    y = p->y + p->h - (0.38 - p->v0) / (p->v1 - p->v0) * p->h;
    ck_assert(near_hex(pixel(img, p->x + p->w - 2, y), 0xFFFFFF, 1));
    cairo_surface_destroy(img);
    bract_plot_figure_free(&f);
    o.format = BRACT_PLOT_SVG;
    ck_assert_int_eq(bract_plot_bars(t, &o, &f), 0);
    free(svg_text(&f));
    bract_plot_figure_free(&f);
    /* one region chosen; an unknown one is listed */
    const char *pick[1] = {"IT"}, *bad[1] = {"V4"};
    o.select = pick;
    o.nselect = 1;
    ck_assert_int_eq(bract_plot_bars(t, &o, &f), 0);
    ck_assert_uint_eq(f.npanels, 1);
    bract_plot_figure_free(&f);
    o.select = bad;
    ck_assert_int_eq(bract_plot_bars(t, &o, &f), BRACT_EDATA);
    ck_assert_error_has("no region (rdm) named 'V4'");
    ck_assert_error_has("'V1', 'IT'");
    bract_table_free(t);
}
END_TEST

START_TEST(bars_from_bract_rsa)
{
    /* bract rsa's table: subject rows, group rows, pairwise rows (model_b);
     * the chart takes the group rows of single models */
    static const char tsv[] =
        "level\tsubject\trdm\tmodel\tmodel_b\tmethod\tr\tp\tp_fdr\tci_low\tci_high\t"
        "noise_lower\tnoise_upper\n"
        "group\tn/a\tV1\tw2v\tn/a\tpartial spearman\t0.2\t0.01\t0.02\t0.1\t0.3\t0.4\t0.5\n"
        "group\tn/a\tV1\tlsa\tn/a\tpartial spearman\t0.1\t0.2\t0.2\t0.0\t0.2\t0.4\t0.5\n"
        "group\tn/a\tV1\tw2v\tlsa\tpartial spearman\t0.1\t0.3\t0.3\t-0.1\t0.3\tn/a\tn/a\n"
        "subject\ts1\tV1\tw2v\tn/a\tpartial spearman\t0.3\t0.01\t0.02\t0.2\t0.4\tn/a\tn/a\n"
        "subject\ts2\tV1\tw2v\tn/a\tpartial spearman\t0.1\t0.01\t0.02\t0.0\t0.2\tn/a\tn/a\n";
    bract_table *t = table_of("results.tsv", tsv);
    bract_plot_opts o;
    png_opts(&o, 4, 3, 100);
    bract_plot_figure f;
    ck_assert_msg(bract_plot_bars(t, &o, &f) == 0, "%s", bract_last_error());
    ck_assert_uint_eq(f.npanels, 1);
    ck_assert_uint_eq(f.ncells, 2);
    bract_plot_figure_free(&f);
    bract_table_free(t);
    /* subjects without group rows cannot share one chart */
    t = table_of("subjects.tsv", "level\tsubject\trdm\tmodel\tr\n"
                                 "subject\ts1\tV1\tw2v\t0.3\nsubject\ts2\tV1\tw2v\t0.1\n");
    ck_assert_int_eq(bract_plot_bars(t, &o, &f), BRACT_EDATA);
    ck_assert_error_has("subjects.tsv holds rows of several subjects ('s1', 's2', ...)");
    bract_table_free(t);
}
END_TEST

START_TEST(bars_legend)
{
    /* names too long for their bars go into a legend under the panels: the
     * band below the lowest panel holds a swatch of every model's colour */
    bract_table *t = table_of("long.tsv", "rdm\tmodel\tr\n"
                                          "V1\tword2vec_skipgram_300\t0.1\n"
                                          "V1\tLSA_300_dimensions\t0.2\n"
                                          "V1\tGloVe_common_crawl\t0.15\n");
    bract_plot_opts o;
    png_opts(&o, 0, 0, 100);
    bract_plot_figure f;
    ck_assert_int_eq(bract_plot_bars(t, &o, &f), 0);
    cairo_surface_t *img = decode(&f);
    const bract_plot_rect *p = &f.panels[0];
    const unsigned want[3] = {0x0072B2, 0xE69F00, 0x009E73};
    for (int k = 0; k < 3; k++) {
        int found = 0;
        for (int y = (int)(p->y + p->h + 2); y < f.height && !found; y++)
            for (int x = 0; x < f.width && !found; x++)
                found = pixel(img, x, y) == want[k];
        ck_assert_msg(found, "no legend swatch of %06x", want[k]);
    }
    cairo_surface_destroy(img);
    bract_plot_figure_free(&f);
    bract_table_free(t);
}
END_TEST

START_TEST(bars_bad_tables)
{
    bract_plot_opts o;
    png_opts(&o, 6, 3, 100);
    bract_plot_figure f;
    bract_table *t = table_of("noR.tsv", "rdm\tmodel\tmethod\trho\nV1\tm\tspearman\t0.1\n");
    ck_assert_int_eq(bract_plot_bars(t, &o, &f), BRACT_EFORMAT);
    ck_assert_error_has("noR.tsv: no column 'r'");
    ck_assert_ptr_null(f.data);
    bract_table_free(t);
    t = table_of("two.tsv", "rdm\tmodel\tmethod\tr\nV1\tm\tspearman\t0.1\nV1\tm\tpearson\t0.2\n");
    ck_assert_int_eq(bract_plot_bars(t, &o, &f), BRACT_EDATA);
    ck_assert_error_has("2 methods ('spearman', 'pearson')");
    o.method = "pearson";
    ck_assert_int_eq(bract_plot_bars(t, &o, &f), 0);
    ck_assert_uint_eq(f.ncells, 1);
    bract_plot_figure_free(&f);
    o.method = "kendall";
    ck_assert_int_eq(bract_plot_bars(t, &o, &f), BRACT_EDATA);
    ck_assert_error_has("no rows of method 'kendall'");
    o.method = NULL;
    bract_table_free(t);
    t = table_of("ci.tsv", "rdm\tmodel\tr\tci_low\nV1\tm\t0.1\t0.0\n");
    ck_assert_int_eq(bract_plot_bars(t, &o, &f), BRACT_EFORMAT);
    ck_assert_error_has("column 'ci_low' without 'ci_high'");
    bract_table_free(t);
    t = table_of("nofdr.tsv", "rdm\tmodel\tr\tp\nV1\tm\t0.1\t0.01\n");
    o.sig = BRACT_SIG_PFDR;
    ck_assert_int_eq(bract_plot_bars(t, &o, &f), BRACT_EFORMAT);
    ck_assert_error_has("nofdr.tsv: no column 'p_fdr'");
    bract_table_free(t);
    t = table_of("dup.tsv", "rdm\tmodel\tr\nV1\tm\t0.1\nV1\tm\t0.2\n");
    o.sig = BRACT_SIG_AUTO;
    ck_assert_int_eq(bract_plot_bars(t, &o, &f), BRACT_EDATA);
    ck_assert_error_has("dup.tsv:3: a second row for region 'V1' and model 'm'");
    bract_table_free(t);
}
END_TEST

/* ---- map ---- */

/* A 12 x 14 x 10 grid of 2 mm voxels in LAS order (x = 11 - 2i, y = 2j -
 * 13, z = 2k - 9), written to files so that messages name them. */
static bract_volume *grid_volume(double voxz, int las)
{
    const int64_t dims[4] = {12, 14, 10, 1};
    const double vox[3] = {2, 2, voxz};
    const double aff[4][4] = {{las ? -2 : 2, 0, 0, las ? 11 : -11},
                        {0, 2, 0, -13},
                        {0, 0, voxz, -9},
                        {0, 0, 0, 1}};
    bract_volume *v;
    ck_assert_int_eq(bract_volume_new(dims, vox, aff, 0, BRACT_F64, &v), 0);
    return v;
}

static bract_volume *reread(bract_volume *v, const char *name)
{
    char *path = tu_join(tmp, name);
    ck_assert_msg(bract_volume_write(v, path, NULL) == 0, "%s", bract_last_error());
    bract_volume_free(v);
    bract_volume *r;
    ck_assert_int_eq(bract_volume_read(path, 0, &r), 0);
    free(path);
    return r;
}

static size_t vox(const bract_volume *v, int i, int j, int k)
{
    return (size_t)i + (size_t)v->nx * ((size_t)j + (size_t)v->ny * (size_t)k);
}

static void map_volumes(double voxz, bract_volume **stat, bract_volume **mask)
{
    bract_volume *s = grid_volume(voxz, 1), *m = grid_volume(voxz, 1);
    for (int k = 1; k < 9; k++)
        for (int j = 1; j < 13; j++)
            for (int i = 1; i < 11; i++)
                bract_volume_set(m, vox(m, i, j, k), 1);
    /* +5 at world x = +7 (the right), -4 at x = -7 (the left), same y, z */
    bract_volume_set(s, vox(s, 2, 7, 5), 5);
    bract_volume_set(s, vox(s, 9, 7, 5), -4);
    bract_volume_set(s, vox(s, 5, 3, 2), 1.5);
    *stat = reread(s, "stat.nii");
    *mask = reread(m, "mask.nii");
}

/* Pixel of world (u, v) in a map panel. */
static unsigned map_pixel(cairo_surface_t *img, const bract_plot_rect *p, double u, double v)
{
    return pixel(img, p->x + (u - p->u0) / (p->u1 - p->u0) * p->w,
                 p->y + p->h - (v - p->v0) / (p->v1 - p->v0) * p->h);
}

START_TEST(map_ortho)
{
    bract_volume *stat, *mask;
    map_volumes(2, &stat, &mask);
    bract_plot_opts o;
    png_opts(&o, 7, 3, 100);
    bract_plot_figure f;
    ck_assert_msg(bract_plot_map(stat, mask, &o, &f) == 0, "%s", bract_last_error());
    ck_assert_int_eq(f.width, 700);
    ck_assert_int_eq(f.height, 300);
    ck_assert_uint_eq(f.npanels, 3);
    ck_assert_uint_eq(f.ncells, 3);
    /* the cut is at the peak |value|: voxel (2, 7, 5) at (7, 1, 1) mm */
    ck_assert_double_eq_tol(f.cut[0], 7, 1e-9);
    ck_assert_double_eq_tol(f.cut[1], 1, 1e-9);
    ck_assert_double_eq_tol(f.cut[2], 1, 1e-9);
    cairo_surface_t *img = decode(&f);
    size_t ncol;
    ck_assert_double_gt(inked(img, &ncol), 0.1);
    /* axial panel: x across with the left (negative x) on the left */
    const bract_plot_rect *ax = &f.panels[2];
    ck_assert_double_lt(ax->u0, ax->u1);
    double top[3], bottom[3], neg[3], grey[3] = {209 / 255.0, 209 / 255.0, 209 / 255.0};
    cmap("coldhot", 1, top);
    cmap("coldhot", 0, bottom);
    cmap("coldhot", 0.5 - 0.5 * 4 / 5.0, neg);
    /* (away from the cross-hair through the cut point, inside the voxel) */
    ck_assert_colour(map_pixel(img, ax, 7.6, 1.6), top, 2);
    ck_assert_colour(map_pixel(img, ax, -7, 1.6), neg, 2);
    ck_assert_colour(map_pixel(img, ax, 0, -6), grey, 2); /* inside the mask */
    /* the colour bar spans -5..5 with the map's ends */
    ck_assert_str_eq(f.cmap, "coldhot");
    ck_assert_double_eq(f.cbar.v0, -5);
    ck_assert_double_eq(f.cbar.v1, 5);
    check_cbar_ends(img, &f);
    cairo_surface_destroy(img);
    bract_plot_figure_free(&f);
    /* a threshold hides the weaker voxels */
    o.threshold = 4.5;
    ck_assert_int_eq(bract_plot_map(stat, mask, &o, &f), 0);
    ck_assert_uint_eq(f.ncells, 1);
    img = decode(&f);
    ck_assert_colour(map_pixel(img, &f.panels[2], -7, 1.6), grey, 2);
    ck_assert_colour(map_pixel(img, &f.panels[2], 7.6, 1.6), top, 2);
    cairo_surface_destroy(img);
    bract_plot_figure_free(&f);
    /* SVG and mosaic */
    o.format = BRACT_PLOT_SVG;
    o.view = BRACT_VIEW_MOSAIC;
    o.slices = 4;
    ck_assert_int_eq(bract_plot_map(stat, mask, &o, &f), 0);
    ck_assert_uint_eq(f.npanels, 4);
    char *svg = svg_text(&f);
    ck_assert_uint_eq(count(svg, "<image"), 4);
    ck_assert(tu_contains(svg, "id=\"image1\""));
    free(svg);
    /* the same figure again is the same bytes (cairo's ids are per process) */
    bract_plot_figure g;
    ck_assert_int_eq(bract_plot_map(stat, mask, &o, &g), 0);
    ck_assert_uint_eq(f.len, g.len);
    ck_assert(memcmp(f.data, g.data, f.len) == 0);
    bract_plot_figure_free(&g);
    bract_plot_figure_free(&f);
    bract_volume_free(stat);
    bract_volume_free(mask);
}
END_TEST

START_TEST(map_geometry)
{
    /* 2 x 2 x 3 mm voxels: panels keep millimetre proportions */
    bract_volume *stat, *mask;
    map_volumes(3, &stat, &mask);
    bract_plot_opts o;
    png_opts(&o, 7, 3, 100);
    bract_plot_figure f;
    ck_assert_int_eq(bract_plot_map(stat, NULL, &o, &f), 0);
    for (size_t k = 0; k < 3; k++) {
        const bract_plot_rect *p = &f.panels[k];
        ck_assert_double_eq_tol(p->h / p->w, (p->v1 - p->v0) / (p->u1 - p->u0), 0.01);
    }
    /* the sagittal panel shows y across and z up: z spans 3/2 of the
     * voxel count ratio */
    const bract_plot_rect *sag = &f.panels[0];
    ck_assert_double_gt(sag->v1 - sag->v0, 0);
    bract_plot_figure_free(&f);
    /* an RAS copy of the same data is drawn identically */
    bract_volume *ras = grid_volume(3, 0);
    for (int k = 0; k < 10; k++)
        for (int j = 0; j < 14; j++)
            for (int i = 0; i < 12; i++)
                bract_volume_set(ras, vox(ras, i, j, k),
                                 bract_volume_get(stat, vox(stat, 11 - i, j, k)));
    ras = reread(ras, "ras.nii");
    bract_plot_figure g;
    ck_assert_int_eq(bract_plot_map(stat, NULL, &o, &f), 0);
    o.title = "stat.nii"; /* same title as the LAS one */
    ck_assert_int_eq(bract_plot_map(ras, NULL, &o, &g), 0);
    ck_assert_uint_eq(f.len, g.len);
    ck_assert(memcmp(f.data, g.data, f.len) == 0);
    bract_plot_figure_free(&f);
    bract_plot_figure_free(&g);
    bract_volume_free(ras);
    bract_volume_free(stat);
    bract_volume_free(mask);
}
END_TEST

START_TEST(map_bad_input)
{
    bract_volume *stat, *mask;
    map_volumes(2, &stat, &mask);
    bract_volume *other = reread(grid_volume(3, 1), "other.nii");
    bract_plot_opts o;
    png_opts(&o, 7, 3, 100);
    bract_plot_figure f;
    ck_assert_int_eq(bract_plot_map(stat, other, &o, &f), BRACT_EDATA);
    ck_assert_error_has("stat.nii and ");
    ck_assert_error_has("other.nii are on different grids");
    ck_assert_ptr_null(f.data);
    o.volume = 1;
    ck_assert_int_eq(bract_plot_map(stat, mask, &o, &f), BRACT_EINVAL);
    ck_assert_error_has("has 1 volume: no volume 1");
    o.volume = 0;
    bract_volume *zero = reread(grid_volume(2, 1), "zero.nii");
    ck_assert_int_eq(bract_plot_map(zero, mask, &o, &f), BRACT_EDATA);
    ck_assert_error_has("zero.nii: no nonzero finite value");
    bract_volume_free(zero);
    bract_volume_free(other);
    bract_volume_free(stat);
    bract_volume_free(mask);
}
END_TEST

/* ---- states ---- */

START_TEST(state_occupancy)
{
    /* hand-counted: state 1 has runs 2 and 1 (dwell 1.5), state 2 one run
     * of 3, state 3 one run of 2 split by nothing */
    const long s[8] = {1, 1, 2, 2, 2, 1, 3, 3}, g[8] = {0, 0, 0, 0, 0, 0, 1, 1};
    double fr[3], dw[3];
    ck_assert_int_eq(bract_plot_state_occupancy(s, g, 8, 3, fr, dw), 0);
    ck_assert_double_eq(fr[0], 3 / 8.0);
    ck_assert_double_eq(fr[1], 3 / 8.0);
    ck_assert_double_eq(fr[2], 2 / 8.0);
    ck_assert_double_eq(dw[0], 1.5);
    ck_assert_double_eq(dw[1], 3);
    ck_assert_double_eq(dw[2], 2);
    /* a change of subject ends a run; an unvisited state dwells 0 */
    const long s2[4] = {1, 1, 1, 1}, g2[4] = {0, 0, 1, 1};
    ck_assert_int_eq(bract_plot_state_occupancy(s2, g2, 4, 2, fr, dw), 0);
    ck_assert_double_eq(dw[0], 2);
    ck_assert_double_eq(fr[1], 0);
    ck_assert_double_eq(dw[1], 0);
    ck_assert_int_eq(bract_plot_state_occupancy(s2, NULL, 4, 2, fr, dw), 0);
    ck_assert_double_eq(dw[0], 4);
    const long bad[2] = {1, 4};
    ck_assert_int_eq(bract_plot_state_occupancy(bad, NULL, 2, 3, fr, dw), BRACT_EDATA);
    ck_assert_error_has("window 2 is in state 4");
}
END_TEST

/* Region names with dashes ("LH-V1"), pair columns "LH-V1-LH-V2": the
 * split that makes every column consistent is found. */
static const char wide_tsv[] = "state\tLH-V1-LH-V2\tLH-V1-RH-V1\tLH-V2-RH-V1\tn_windows\n"
                               "1\t0.8\t-0.2\t0.1\t40\n"
                               "2\t-0.5\t0.3\t0.6\t60\n";
static const char long_tsv[] =
    "state\tregion_a\tregion_b\tvalue\n"
    "1\tLH-V1\tLH-V2\t0.8\n1\tLH-V1\tRH-V1\t-0.2\n1\tLH-V2\tRH-V1\t0.1\n"
    "2\tLH-V1\tLH-V2\t-0.5\n2\tLH-V2\tRH-V1\t0.6\n2\tLH-V1\tRH-V1\t0.3\n";
static const char summary_tsv[] = "subject\tstate\tfraction\tmean_dwell\n"
                                  "sub-01\t1\t0.4\t5\nsub-01\t2\t0.6\t7\n"
                                  "sub-02\t1\t0.2\t3\nsub-02\t2\t0.8\t9\n";

START_TEST(states_plot)
{
    bract_table *w = table_of("state_centroids.tsv", wide_tsv);
    bract_table *l = table_of("long.tsv", long_tsv);
    bract_table *sum = table_of("state_summary.tsv", summary_tsv);
    bract_plot_opts o;
    png_opts(&o, 6, 3.5, 100);
    bract_plot_figure f, g;
    ck_assert_msg(bract_plot_states(w, sum, NULL, &o, &f) == 0, "%s", bract_last_error());
    ck_assert_int_eq(f.width, 600);
    ck_assert_uint_eq(f.npanels, 2);
    ck_assert_uint_eq(f.ncells, 18);
    ck_assert_uint_eq(f.nlabels, 6);
    ck_assert_str_eq(f.cmap, "rdbu");
    ck_assert_double_eq(f.cbar.v0, -0.8);
    ck_assert_double_eq(f.cbar.v1, 0.8);
    cairo_surface_t *img = decode(&f);
    double x, y, hi[3], lo[3];
    cmap("rdbu", 1, hi);
    cmap("rdbu", 0, lo);
    cell_centre(&f.panels[0], 3, 1, 0, &x, &y); /* state 1, LH-V2 x LH-V1 = 0.8 */
    ck_assert_colour(pixel(img, x, y), hi, 2);
    cell_centre(&f.panels[1], 3, 0, 1, &x, &y); /* state 2, -0.5 */
    double m5[3];
    cmap("rdbu", 0.5 - 0.5 * 0.5 / 0.8, m5);
    ck_assert_colour(pixel(img, x, y), m5, 2);
    check_cbar_ends(img, &f);
    cairo_surface_destroy(img);
    /* the long form (pairs in another order) draws the same figure */
    ck_assert_msg(bract_plot_states(l, sum, NULL, &o, &g) == 0, "%s", bract_last_error());
    ck_assert_uint_eq(f.len, g.len);
    ck_assert(memcmp(f.data, g.data, f.len) == 0);
    bract_plot_figure_free(&f);
    bract_plot_figure_free(&g);
    o.format = BRACT_PLOT_SVG;
    ck_assert_int_eq(bract_plot_states(w, NULL, NULL, &o, &f), 0);
    free(svg_text(&f));
    bract_plot_figure_free(&f);
    bract_table_free(w);
    bract_table_free(l);
    bract_table_free(sum);
}
END_TEST

START_TEST(states_bad_input)
{
    bract_plot_opts o;
    png_opts(&o, 6, 3.5, 100);
    bract_plot_figure f;
    bract_table *t = table_of("c.tsv", "state\ta-b\ta-c\tc-b\n1\t1\t2\t3\n");
    ck_assert_int_eq(bract_plot_states(t, NULL, NULL, &o, &f), BRACT_EFORMAT);
    ck_assert_error_has("c.tsv: the 3 pair columns ('a-b', ...) are not the region pairs");
    bract_table_free(t);
    t = table_of("c2.tsv", "state\tx\ty\n1\t1\t2\n");
    ck_assert_int_eq(bract_plot_states(t, NULL, NULL, &o, &f), BRACT_EFORMAT);
    ck_assert_error_has("c2.tsv: expected region pair columns named A-B");
    bract_table_free(t);
    t = table_of("l.tsv", "state\tregion_a\tregion_b\tvalue\n1\ta\tb\t1\n1\ta\tc\t1\n");
    ck_assert_int_eq(bract_plot_states(t, NULL, NULL, &o, &f), BRACT_EFORMAT);
    ck_assert_error_has("state '1' lacks 1 of its 3 region pairs");
    bract_table_free(t);
    t = table_of("l2.tsv", "state\tregion_a\tregion_b\tr\n1\ta\tb\t1\n");
    ck_assert_int_eq(bract_plot_states(t, NULL, NULL, &o, &f), BRACT_EFORMAT);
    ck_assert_error_has("l2.tsv: no value column");
    bract_table_free(t);
    ck_assert_int_eq(bract_plot_states_dir(tmp, &o, &f), BRACT_EIO);
    ck_assert_error_has("no state_centroids.tsv");
    ck_assert_ptr_null(f.data);
}
END_TEST

/* ---- scatter ---- */

START_TEST(scatter_fit)
{
    /* points on y = 2 + 3x: the line exactly, rho 1, p 0 (rounding only) */
    bract_table *tau = table_of("tau.tsv", "region\ttau_s\na\t2\nb\t5\nc\t8\nd\t11\nonly\t3\n");
    bract_table *h = table_of("h.tsv", "region\tvalue\nd\t3\nc\t2\nb\t1\na\t0\nalone\t1\n");
    bract_scatter_fit fit;
    ck_assert_int_eq(bract_plot_scatter_fit_tables(tau, h, &fit), 0);
    ck_assert_uint_eq(fit.n, 4);
    ck_assert_uint_eq(fit.unmatched, 2);
    ck_assert_double_eq_tol(fit.slope, 3, 1e-12);
    ck_assert_double_eq_tol(fit.intercept, 2, 1e-12);
    ck_assert_double_eq_tol(fit.rho, 1, 1e-12);
    ck_assert_double_eq(fit.p, 0);
    bract_table_free(tau);
    bract_table_free(h);
    /* against scipy 1.10.1 spearmanr and numpy polyfit on ten regions:
     * rho 0.8545454545454544, p 0.0016368033159867143, slope
     * 2.985804416403785, intercept 0.7169558359621454; tolerance 1e-12,
     * p 1e-9 relative (t CDF from nifticdf) */
    tau = table_of("tau10.tsv", "region\ttau_s\tmethod\n"
                                "r0\t1.2\tx\nr1\t2.0\tx\nr2\t1.1\tx\nr3\t3.5\tx\nr4\t2.2\tx\n"
                                "r5\t2.9\tx\nr6\t1.9\tx\nr7\t2.4\tx\nr8\t1.0\tx\nr9\t3.6\tx\n"
                                "r10\tn/a\tx\n");
    h = table_of("h10.tsv", "region\tvalue\n"
                            "r9\t0.7\nr8\t0.3\nr7\t0.65\nr6\t0.2\nr5\t0.9\nr4\t0.5\nr3\t0.8\n"
                            "r2\t0.35\nr1\t0.4\nr0\t0.1\nr10\t0.5\n");
    ck_assert_int_eq(bract_plot_scatter_fit_tables(tau, h, &fit), 0);
    ck_assert_uint_eq(fit.n, 10);
    ck_assert_uint_eq(fit.nonfinite, 1);
    ck_assert_double_eq_tol(fit.rho, 0.8545454545454544, 1e-12);
    ck_assert_double_eq_tol(fit.p, 0.0016368033159867143, 1e-9 * 0.0016368033159867143);
    ck_assert_double_eq_tol(fit.slope, 2.985804416403785, 1e-12);
    ck_assert_double_eq_tol(fit.intercept, 0.7169558359621454, 1e-12);
    bract_plot_opts o;
    png_opts(&o, 5, 4, 100);
    bract_plot_figure f;
    ck_assert_int_eq(bract_plot_scatter(tau, h, &o, &f), 0);
    ck_assert_int_eq(f.width, 500);
    ck_assert_int_eq(f.height, 400);
    ck_assert_uint_eq(f.ncells, 10);
    cairo_surface_t *img = decode(&f);
    size_t ncol;
    ck_assert_double_gt(inked(img, &ncol), 0.02);
    /* the line passes through its value at the mean of x */
    const bract_plot_rect *p = &f.panels[0];
    double xm = 0.54, ym = fit.intercept + fit.slope * xm;
    ck_assert(near_hex(map_pixel(img, p, xm, ym), 0xD55E00, 40));
    cairo_surface_destroy(img);
    bract_plot_figure_free(&f);
    o.format = BRACT_PLOT_SVG;
    ck_assert_int_eq(bract_plot_scatter(tau, h, &o, &f), 0);
    free(svg_text(&f));
    bract_plot_figure_free(&f);
    bract_table_free(tau);
    bract_table_free(h);
    /* bad tables */
    tau = table_of("t.tsv", "region\ttau\na\t1\n");
    h = table_of("h.tsv", "region\tvalue\na\t1\n");
    ck_assert_int_eq(bract_plot_scatter(tau, h, &o, &f), BRACT_EFORMAT);
    ck_assert_error_has("t.tsv: no column 'tau_s'");
    ck_assert_ptr_null(f.data);
    bract_table_free(tau);
    tau = table_of("t2.tsv", "region\ttau_s\na\t1\nb\t2\n");
    ck_assert_int_eq(bract_plot_scatter(tau, h, &o, &f), BRACT_EDATA);
    ck_assert_error_has("have 1 region with finite values in common");
    bract_table_free(tau);
    bract_table_free(h);
}
END_TEST

/* ---- design matrices ---- */

/* 20 volumes: "face" events at 2 and 12 (value 2, then 1), "house" a
 * ramp, the constant. */
static bract_table *design_table(void)
{
    char text[2048];
    size_t k = (size_t)snprintf(text, sizeof text, "face\thouse\tconstant\n");
    for (int i = 0; i < 20; i++)
        k += (size_t)snprintf(text + k, sizeof text - k, "%g\t%g\t1\n",
                              i == 2 || i == 12 ? 2.0 : i == 3 || i == 13 ? 1.0 : 0.0,
                              (double)i - 9.5);
    return table_of("design_run-1.tsv", text);
}

START_TEST(design_plot)
{
    bract_table *t = design_table();
    bract_plot_opts o;
    png_opts(&o, 0, 0, 100);
    bract_plot_figure f;
    ck_assert_int_eq(bract_plot_design(t, &o, &f), 0);
    /* nilearn's size: 1 + 0.23 x 3 by 1 + 0.1 x 20 + 0.04 x 8 inches */
    ck_assert_int_eq(f.width, 169);
    ck_assert_int_eq(f.height, 332);
    ck_assert_uint_eq(f.ncells, 60);
    ck_assert_uint_eq(f.nlabels, 3);
    ck_assert_uint_eq(f.npanels, 1);
    ck_assert_str_eq(f.cmap, "viridis");
    /* every cell is viridis of its column over its Euclidean norm, from the
     * smallest to the largest value of the matrix (nilearn: imshow) */
    double norm[3] = {sqrt(2 * (4 + 1.0)), 0, sqrt(20)};
    for (int i = 0; i < 20; i++)
        norm[1] += ((double)i - 9.5) * ((double)i - 9.5);
    norm[1] = sqrt(norm[1]);
    double lo = -9.5 / norm[1], hi = 2 / norm[0];
    cairo_surface_t *img = decode(&f);
    const bract_plot_rect *p = &f.panels[0];
    const int rows[4] = {0, 2, 3, 19};
    for (int r = 0; r < 4; r++)
        for (int j = 0; j < 3; j++) {
            int i = rows[r];
            double x = j == 0 ? (i == 2 || i == 12 ? 2.0 : i == 3 || i == 13 ? 1.0 : 0.0)
                       : j == 1 ? (double)i - 9.5 : 1.0;
            double rgb[3];
            cmap("viridis", (x / norm[j] - lo) / (hi - lo), rgb);
            ck_assert_colour(map_pixel(img, p, j, i), rgb, 2);
        }
    /* row 0 is at the top */
    ck_assert_double_lt(p->y + p->h * 0.5 / 20, p->y + p->h * 19.5 / 20);
    cairo_surface_destroy(img);
    bract_plot_figure_free(&f);
    /* SPM's look: each column over its largest |value|, black to white */
    o.rescale = BRACT_RESCALE_MAX_ABS;
    o.cmap = "gray";
    o.width = 3;
    o.height = 4;
    ck_assert_int_eq(bract_plot_design(t, &o, &f), 0);
    ck_assert_int_eq(f.width, 300);
    ck_assert_int_eq(f.height, 400);
    img = decode(&f);
    p = &f.panels[0];
    /* range -1 (house at row 0) to 1: face 0 mid grey, face 2 white, the
     * constant white, house at row 19 (9.5 / 9.5) white */
    ck_assert(near_hex(map_pixel(img, p, 0, 0), 0x808080, 2));
    ck_assert(near_hex(map_pixel(img, p, 0, 2), 0xFFFFFF, 2));
    ck_assert(near_hex(map_pixel(img, p, 0, 3), 0xBFBFBF, 2));
    ck_assert(near_hex(map_pixel(img, p, 1, 0), 0x000000, 2));
    ck_assert(near_hex(map_pixel(img, p, 2, 10), 0xFFFFFF, 2));
    cairo_surface_destroy(img);
    bract_plot_figure_free(&f);
    /* SVG: well formed, and the column names readable in its <desc> */
    o.format = BRACT_PLOT_SVG;
    o.title = "run 1";
    ck_assert_int_eq(bract_plot_design(t, &o, &f), 0);
    char *svg = svg_text(&f);
    ck_assert(tu_contains(svg, "<title>run 1</title>"));
    ck_assert(tu_contains(svg, "<desc>design matrix, 20 rows; columns: face, house, "
                               "constant</desc>"));
    ck_assert(tu_contains(svg, "width=\"216pt\""));
    free(svg);
    bract_plot_figure_free(&f);
    bract_table_free(t);
}
END_TEST

START_TEST(design_plot_many_columns)
{
    /* 300 columns in 4 inches: the names are thinned, never overlapping */
    char *text = malloc(300 * 16 + 200 * 2 * 300 + 1024);
    size_t k = 0;
    for (int j = 0; j < 300; j++)
        k += (size_t)sprintf(text + k, "%sword%03d", j ? "\t" : "", j);
    k += (size_t)sprintf(text + k, "\n");
    for (int i = 0; i < 50; i++)
        for (int j = 0; j < 300; j++)
            k += (size_t)sprintf(text + k, "%d%s", i == j % 50, j == 299 ? "\n" : "\t");
    bract_table *t = table_of("wide.tsv", text);
    free(text);
    bract_plot_opts o;
    png_opts(&o, 4, 4, 100);
    bract_plot_figure f;
    ck_assert_int_eq(bract_plot_design(t, &o, &f), 0);
    ck_assert_uint_eq(f.ncells, 15000);
    ck_assert_uint_lt(f.nlabels, 300);
    ck_assert_uint_gt(f.nlabels, 10);
    bract_plot_figure_free(&f);
    /* by default the figure grows with the columns (nilearn: 0.23 in each) */
    o.width = o.height = 0;
    ck_assert_int_eq(bract_plot_design(t, &o, &f), 0);
    ck_assert_int_eq(f.width, (int)lround((1 + 0.23 * 300) * 100));
    ck_assert_uint_eq(f.nlabels, 300);
    bract_plot_figure_free(&f);
    bract_table_free(t);
}
END_TEST

START_TEST(design_bad_input)
{
    bract_plot_opts o;
    png_opts(&o, 0, 0, 100);
    bract_plot_figure f;
    bract_table *t = table_of("d.tsv", "a\tb\n1\t2\n3\tx\n");
    ck_assert_int_eq(bract_plot_design(t, &o, &f), BRACT_EFORMAT);
    ck_assert_error_has("d.tsv:3: column 2 ('b')");
    ck_assert_ptr_null(f.data);
    bract_table_free(t);
    t = table_of("d.tsv", "a\tb\n1\t2\nn/a\t4\n");
    ck_assert_int_eq(bract_plot_design(t, &o, &f), BRACT_EDATA);
    ck_assert_error_has("d.tsv:3: column 1 ('a'): a design matrix holds finite numbers, not 'n/a'");
    bract_table_free(t);
    t = table_of("d.tsv", "a\tb\n");
    ck_assert_int_eq(bract_plot_design(t, &o, &f), BRACT_EDATA);
    ck_assert_error_has("an empty design matrix (0 rows, 2 columns)");
    bract_table_free(t);
    t = table_of("d.tsv", "a\tb\n1\t2\n");
    o.cmap = "rdbu";
    ck_assert_int_eq(bract_plot_design(t, &o, &f), BRACT_EINVAL);
    ck_assert_error_has("unknown colour map 'rdbu' for a design matrix (expected viridis or gray)");
    bract_table_free(t);
    bract_plot_rescale r;
    ck_assert_int_eq(bract_plot_rescale_parse("max-abs", &r), 0);
    ck_assert_int_eq(r, BRACT_RESCALE_MAX_ABS);
    ck_assert_str_eq(bract_plot_rescale_name(BRACT_RESCALE_L2), "l2");
    ck_assert_int_eq(bract_plot_rescale_parse("z", &r), BRACT_EINVAL);
    ck_assert_str_eq(bract_last_error(),
                     "unknown column scaling 'z' (expected one of l2, max-abs, none)");
}
END_TEST

START_TEST(threads_draw_alike)
{
    /* figures drawn on two threads at once are the bytes drawn on one */
    bract_rdmset *s = big_rdm(60, words60);
    bract_plot_opts o;
    bract_plot_opts_defaults(&o);
    bract_plot_figure serial[2], par[2];
    for (int k = 0; k < 2; k++) {
        o.format = k ? BRACT_PLOT_SVG : BRACT_PLOT_PNG;
        ck_assert_int_eq(bract_plot_rdm(s, &o, &serial[k]), 0);
    }
    int rc[2];
#pragma omp parallel for num_threads(2)
    for (int k = 0; k < 2; k++) {
        bract_plot_opts ok = o;
        ok.format = k ? BRACT_PLOT_SVG : BRACT_PLOT_PNG;
        rc[k] = bract_plot_rdm(s, &ok, &par[k]);
    }
    for (int k = 0; k < 2; k++) {
        ck_assert_int_eq(rc[k], 0);
        ck_assert_uint_eq(serial[k].len, par[k].len);
        ck_assert(memcmp(serial[k].data, par[k].data, par[k].len) == 0);
        bract_plot_figure_free(&serial[k]);
        bract_plot_figure_free(&par[k]);
    }
    bract_rdmset_free(s);
}
END_TEST

START_TEST(bad_sizes)
{
    bract_rdmset *s = small_rdm();
    bract_plot_opts o;
    png_opts(&o, 0.2, 3, 100);
    bract_plot_figure f;
    ck_assert_int_eq(bract_plot_rdm(s, &o, &f), BRACT_EINVAL);
    ck_assert_error_has("from 1 to 100 inches");
    png_opts(&o, 50, 50, 1000);
    ck_assert_int_eq(bract_plot_rdm(s, &o, &f), BRACT_EINVAL);
    ck_assert_error_has("at most 20000 pixels");
    ck_assert_ptr_null(f.data);
    bract_rdmset_free(s);
}
END_TEST

START_TEST(option_names)
{
    /* every value's name parses back to it */
    for (int v = BRACT_PLOT_PNG; v <= BRACT_PLOT_SVG; v++) {
        bract_plot_format f;
        ck_assert_int_eq(bract_plot_format_parse(bract_plot_format_name((bract_plot_format)v), &f),
                         0);
        ck_assert_int_eq(f, v);
    }
    for (int v = 0; v < 3; v++) {
        bract_plot_labels l;
        bract_plot_axis a;
        ck_assert_int_eq(bract_plot_labels_parse(bract_plot_labels_name((bract_plot_labels)v), &l),
                         0);
        ck_assert_int_eq(l, v);
        ck_assert_int_eq(bract_plot_axis_parse(bract_plot_axis_name((bract_plot_axis)v), &a), 0);
        ck_assert_int_eq(a, v);
    }
    for (int v = 0; v < 4; v++) {
        bract_plot_sig g;
        ck_assert_int_eq(bract_plot_sig_parse(bract_plot_sig_name((bract_plot_sig)v), &g), 0);
        ck_assert_int_eq(g, v);
    }
    for (int v = 0; v < 2; v++) {
        bract_plot_view w;
        ck_assert_int_eq(bract_plot_view_parse(bract_plot_view_name((bract_plot_view)v), &w), 0);
        ck_assert_int_eq(w, v);
    }
    /* the names bract plot documents */
    ck_assert_str_eq(bract_plot_format_name(BRACT_PLOT_SVG), "svg");
    ck_assert_str_eq(bract_plot_labels_name(BRACT_LABELS_NONE), "none");
    ck_assert_str_eq(bract_plot_sig_name(BRACT_SIG_PFDR), "p_fdr");
    ck_assert_str_eq(bract_plot_view_name(BRACT_VIEW_MOSAIC), "mosaic");
    ck_assert_str_eq(bract_plot_axis_name(BRACT_AXIS_Y), "y");
    bract_plot_axis a = BRACT_AXIS_X;
    ck_assert_int_eq(bract_plot_axis_parse("axial", &a), 0);
    ck_assert_int_eq(a, BRACT_AXIS_Z);
    ck_assert_str_eq(bract_plot_format_name((bract_plot_format)0), "unknown");
    ck_assert_str_eq(bract_plot_sig_name((bract_plot_sig)4), "unknown");
    /* errors name what was expected and leave the value */
    bract_plot_view w = BRACT_VIEW_MOSAIC;
    ck_assert_int_eq(bract_plot_view_parse("3d", &w), BRACT_EINVAL);
    ck_assert_int_eq(w, BRACT_VIEW_MOSAIC);
    ck_assert_str_eq(bract_last_error(), "unknown map view '3d' (expected one of ortho, mosaic)");
    bract_plot_sig g;
    ck_assert_int_eq(bract_plot_sig_parse("q", &g), BRACT_EINVAL);
    ck_assert_str_eq(bract_last_error(),
                     "unknown significance column 'q' (expected one of auto, p, p_fdr, none)");
    bract_plot_format f;
    ck_assert_int_eq(bract_plot_format_parse("PDF", &f), BRACT_EINVAL);
    ck_assert_str_eq(bract_last_error(), "unknown figure format 'PDF' (expected one of png, svg)");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("plot");
    TCase *tc = tcase_create("plot");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, colour_maps);
    tcase_add_test(tc, rdm_png);
    tcase_add_test(tc, rdm_svg);
    tcase_add_test(tc, rdm_labels_at_60);
    tcase_add_test(tc, rdm_thinned_at_360);
    tcase_add_test(tc, rdm_rank_and_set);
    tcase_add_test(tc, mds_plot);
    tcase_add_test(tc, bars_png);
    tcase_add_test(tc, bars_from_bract_rsa);
    tcase_add_test(tc, bars_legend);
    tcase_add_test(tc, bars_bad_tables);
    tcase_add_test(tc, map_ortho);
    tcase_add_test(tc, map_geometry);
    tcase_add_test(tc, map_bad_input);
    tcase_add_test(tc, state_occupancy);
    tcase_add_test(tc, states_plot);
    tcase_add_test(tc, states_bad_input);
    tcase_add_test(tc, scatter_fit);
    tcase_add_test(tc, design_plot);
    tcase_add_test(tc, design_plot_many_columns);
    tcase_add_test(tc, design_bad_input);
    tcase_add_test(tc, threads_draw_alike);
    tcase_add_test(tc, bad_sizes);
    tcase_add_test(tc, option_names);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
