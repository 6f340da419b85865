/* Figures: the canvas, text, colour maps, ticks, axes and colour bars shared
 * by every kind (see bract/plot.h and plot_internal.h). */
#include "figures/plot_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cairo-svg.h>

/* Latin, Greek and Cyrillic from DejaVu Sans; Chinese from WenQuanYi Micro
 * Hei; anything else from whatever fontconfig finds for sans-serif. */
#define PC_FONT "DejaVu Sans,WenQuanYi Micro Hei,sans-serif"

void bract_plot_opts_defaults(bract_plot_opts *o)
{
    memset(o, 0, sizeof *o);
    o->format = BRACT_PLOT_PNG;
    o->dpi = 150;
    o->font_size = 9;
    o->vmin = o->vmax = NAN;
    o->labels = BRACT_LABELS_AUTO;
    o->sig = BRACT_SIG_AUTO;
    o->alpha = 0.05;
    o->view = BRACT_VIEW_ORTHO;
    o->cut[0] = o->cut[1] = o->cut[2] = NAN;
    o->slices = 12;
    o->axis = BRACT_AXIS_Z;
}

/* ---- names of the option values ---- */

/* names[i] is the name of value lo + i; alias/alias_value one more spelling
 * each (NULL-terminated lists). */
static int parse_name(const char *what, const char *s, const char *const *names, int lo,
                      const char *const *alias, const int *alias_value, int *out)
{
    for (int i = 0; names[i]; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = lo + i;
            return BRACT_OK;
        }
    for (int i = 0; alias && alias[i]; i++)
        if (strcmp(s, alias[i]) == 0) {
            *out = alias_value[i];
            return BRACT_OK;
        }
    char list[128] = "";
    size_t k = 0;
    for (int i = 0; names[i] && k < sizeof list; i++)
        k += (size_t)snprintf(list + k, sizeof list - k, "%s%s", i ? ", " : "", names[i]);
    return bract_error(BRACT_EINVAL, "unknown %s '%s' (expected one of %s)", what, s, list);
}

static const char *name_of(const char *const *names, int lo, int n, int v)
{
    return v >= lo && v < lo + n ? names[v - lo] : "unknown";
}

static const char *const format_names[] = {"png", "svg", NULL};
static const char *const labels_names[] = {"auto", "all", "none", NULL};
static const char *const sig_names[] = {"auto", "p", "p_fdr", "none", NULL};
static const char *const view_names[] = {"ortho", "mosaic", NULL};
static const char *const axis_names[] = {"x", "y", "z", NULL};
static const char *const rescale_names[] = {"l2", "max-abs", "none", NULL};

#define PLOT_ENUM_NAMES(T, what, names, lo, n, alias, alias_value)                             \
    int T##_parse(const char *s, T *out)                                                       \
    {                                                                                          \
        int v;                                                                                 \
        int rc = parse_name(what, s, names, lo, alias, alias_value, &v);                       \
        if (rc == BRACT_OK)                                                                    \
            *out = (T)v;                                                                       \
        return rc;                                                                             \
    }                                                                                          \
    const char *T##_name(T v) { return name_of(names, lo, n, (int)v); }

static const char *const axis_alias[] = {"sagittal", "coronal", "axial", NULL};
static const int axis_alias_value[] = {BRACT_AXIS_X, BRACT_AXIS_Y, BRACT_AXIS_Z};

PLOT_ENUM_NAMES(bract_plot_format, "figure format", format_names, BRACT_PLOT_PNG, 2, NULL, NULL)
PLOT_ENUM_NAMES(bract_plot_labels, "label mode", labels_names, 0, 3, NULL, NULL)
PLOT_ENUM_NAMES(bract_plot_sig, "significance column", sig_names, 0, 4, NULL, NULL)
PLOT_ENUM_NAMES(bract_plot_view, "map view", view_names, 0, 2, NULL, NULL)
PLOT_ENUM_NAMES(bract_plot_axis, "slice axis", axis_names, 0, 3, axis_alias, axis_alias_value)
PLOT_ENUM_NAMES(bract_plot_rescale, "column scaling", rescale_names, 0, 3, NULL, NULL)

void bract_plot_figure_free(bract_plot_figure *f)
{
    if (!f)
        return;
    free(f->data);
    free(f->panels);
    f->data = NULL;
    f->panels = NULL;
    f->len = f->npanels = 0;
}

int bract_plot_figure_write(const bract_plot_figure *f, const char *path, int force)
{
    if (!f->data || !f->len)
        return bract_error(BRACT_EINVAL, "%s: the figure is empty", path);
    return bract_output_write_atomic(path, f->data, f->len, force);
}

int bract_plot_format_from_name(const char *path)
{
    if (bract_ends_with(path, ".png"))
        return BRACT_PLOT_PNG;
    if (bract_ends_with(path, ".svg"))
        return BRACT_PLOT_SVG;
    return 0;
}

void bract_plot_release_fonts(void)
{
    pango_cairo_font_map_set_default(NULL);
}

/* ---- colour maps ---- */

struct pc_cmap {
    const char *name;
    size_t n;
    const double *t;        /* anchor positions, ascending (repeats = a jump) */
    const double (*rgb)[3];
};

/* matplotlib's viridis (van der Walt & Smith, CC0), 33 evenly spaced
 * samples of its 256-entry table; linear interpolation between them stays
 * within 1.7/255 of the table. */
static const double viridis_rgb[33][3] = {
    {0.2670, 0.0049, 0.3294}, {0.2770, 0.0502, 0.3755}, {0.2823, 0.0946, 0.4170},
    {0.2829, 0.1354, 0.4530}, {0.2789, 0.1749, 0.4830}, {0.2708, 0.2133, 0.5066},
    {0.2593, 0.2507, 0.5244}, {0.2454, 0.2867, 0.5370}, {0.2302, 0.3213, 0.5455},
    {0.2148, 0.3545, 0.5510}, {0.2000, 0.3864, 0.5545}, {0.1861, 0.4173, 0.5567},
    {0.1733, 0.4474, 0.5579}, {0.1613, 0.4770, 0.5581}, {0.1497, 0.5064, 0.5573},
    {0.1384, 0.5358, 0.5551}, {0.1281, 0.5651, 0.5509}, {0.1209, 0.5945, 0.5442},
    {0.1203, 0.6238, 0.5343}, {0.1310, 0.6529, 0.5208}, {0.1554, 0.6815, 0.5032},
    {0.1930, 0.7096, 0.4812}, {0.2415, 0.7366, 0.4545}, {0.2986, 0.7624, 0.4230},
    {0.3629, 0.7867, 0.3866}, {0.4330, 0.8091, 0.3453}, {0.5081, 0.8292, 0.2992},
    {0.5873, 0.8470, 0.2489}, {0.6694, 0.8622, 0.1954}, {0.7529, 0.8751, 0.1427},
    {0.8359, 0.8861, 0.1025}, {0.9166, 0.8961, 0.1008}, {0.9932, 0.9062, 0.1439}};
static const double viridis_t[33] = {
    0 / 32.0, 1 / 32.0, 2 / 32.0, 3 / 32.0, 4 / 32.0, 5 / 32.0, 6 / 32.0, 7 / 32.0, 8 / 32.0,
    9 / 32.0, 10 / 32.0, 11 / 32.0, 12 / 32.0, 13 / 32.0, 14 / 32.0, 15 / 32.0, 16 / 32.0,
    17 / 32.0, 18 / 32.0, 19 / 32.0, 20 / 32.0, 21 / 32.0, 22 / 32.0, 23 / 32.0, 24 / 32.0,
    25 / 32.0, 26 / 32.0, 27 / 32.0, 28 / 32.0, 29 / 32.0, 30 / 32.0, 31 / 32.0, 32 / 32.0};

/* ColorBrewer RdBu, 11 classes, reversed: negative blue, zero near white,
 * positive red. */
static const double rdbu_rgb[11][3] = {
    {0x05 / 255.0, 0x30 / 255.0, 0x61 / 255.0}, {0x21 / 255.0, 0x66 / 255.0, 0xac / 255.0},
    {0x43 / 255.0, 0x93 / 255.0, 0xc3 / 255.0}, {0x92 / 255.0, 0xc5 / 255.0, 0xde / 255.0},
    {0xd1 / 255.0, 0xe5 / 255.0, 0xf0 / 255.0}, {0xf7 / 255.0, 0xf7 / 255.0, 0xf7 / 255.0},
    {0xfd / 255.0, 0xdb / 255.0, 0xc7 / 255.0}, {0xf4 / 255.0, 0xa5 / 255.0, 0x82 / 255.0},
    {0xd6 / 255.0, 0x60 / 255.0, 0x4d / 255.0}, {0xb2 / 255.0, 0x18 / 255.0, 0x2b / 255.0},
    {0x67 / 255.0, 0x00 / 255.0, 0x1f / 255.0}};
static const double rdbu_t[11] = {0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1};

/* Cold-hot for statistical maps over grey anatomy: strong negative values
 * light cyan, weak ones dark blue; weak positive dark red, strong yellow.
 * The jump at 0 is deliberate (values near 0 are usually thresholded). */
static const double coldhot_rgb[8][3] = {
    {0.75, 1.00, 1.00}, {0.00, 0.80, 1.00}, {0.00, 0.35, 1.00}, {0.00, 0.00, 0.55},
    {0.55, 0.00, 0.00}, {1.00, 0.20, 0.00}, {1.00, 0.75, 0.00}, {1.00, 1.00, 0.60}};
static const double coldhot_t[8] = {0, 0.15, 0.30, 0.5, 0.5, 0.70, 0.85, 1};

/* Grey from black to white (design matrices, as SPM shows them). */
static const double gray_rgb[2][3] = {{0, 0, 0}, {1, 1, 1}};
static const double gray_t[2] = {0, 1};

static const pc_cmap cmaps[] = {
    {"viridis", 33, viridis_t, viridis_rgb},
    {"rdbu", 11, rdbu_t, rdbu_rgb},
    {"coldhot", 8, coldhot_t, coldhot_rgb},
    {"gray", 2, gray_t, gray_rgb},
};

const pc_cmap *bract_pc_cmap_find(const char *name)
{
    for (size_t i = 0; i < sizeof cmaps / sizeof cmaps[0]; i++)
        if (strcmp(cmaps[i].name, name) == 0)
            return &cmaps[i];
    return NULL;
}

void bract_pc_cmap_eval(const pc_cmap *m, double t, double rgb[3])
{
    if (!(t > 0))
        t = 0; /* NaN too: callers draw missing values themselves */
    if (t > 1)
        t = 1;
    size_t k = 0;
    while (k + 2 < m->n && t >= m->t[k + 1])
        k++;
    double t0 = m->t[k], t1 = m->t[k + 1];
    double f = t1 > t0 ? (t - t0) / (t1 - t0) : 1;
    if (f < 0)
        f = 0;
    if (f > 1)
        f = 1;
    for (int i = 0; i < 3; i++)
        rgb[i] = m->rgb[k][i] + f * (m->rgb[k + 1][i] - m->rgb[k][i]);
}

int bract_plot_colormap(const char *name, double t, double rgb[3])
{
    const pc_cmap *m = bract_pc_cmap_find(name);
    if (!m)
        return bract_error(BRACT_EINVAL, "unknown colour map '%s' (expected viridis, rdbu, "
                           "coldhot or gray)", name);
    bract_pc_cmap_eval(m, t, rgb);
    return BRACT_OK;
}

unsigned bract_pc_category(size_t i)
{
    static const unsigned okabe_ito[8] = {0x0072B2, 0xE69F00, 0x009E73, 0xCC79A7,
                                          0x56B4E9, 0xD55E00, 0xF0E442, 0x000000};
    return okabe_ito[i % 8];
}

/* ---- canvas ---- */

static cairo_status_t write_buf(void *closure, const unsigned char *data, unsigned int len)
{
    return bract_buf_append(closure, data, len) ? CAIRO_STATUS_NO_MEMORY : CAIRO_STATUS_SUCCESS;
}

int bract_pc_check_opts(const bract_plot_opts *o, bract_plot_figure *out)
{
    memset(out, 0, sizeof *out);
    if (o->format != BRACT_PLOT_PNG && o->format != BRACT_PLOT_SVG)
        return bract_error(BRACT_EINVAL, "unknown figure format %d (expected PNG or SVG)",
                           (int)o->format);
    if ((o->width != 0 && !(o->width >= 1 && o->width <= 100)) ||
        (o->height != 0 && !(o->height >= 1 && o->height <= 100)))
        return bract_error(BRACT_EINVAL, "a figure of %g x %g inches: width and height must be "
                           "from 1 to 100 inches (or 0 for the default)", o->width, o->height);
    if (!(o->dpi >= 10 && o->dpi <= 2400))
        return bract_error(BRACT_EINVAL, "%g dpi: the resolution must be from 10 to 2400", o->dpi);
    if (!(o->font_size >= 3 && o->font_size <= 72))
        return bract_error(BRACT_EINVAL, "font size %g: expected 3 to 72 points", o->font_size);
    return BRACT_OK;
}

int bract_pc_open(pc_t *c, const bract_plot_opts *o, double w_in, double h_in, bract_plot_figure *fig)
{
    memset(c, 0, sizeof *c);
    memset(fig, 0, sizeof *fig);
    c->fig = fig;
    if (o->format != BRACT_PLOT_PNG && o->format != BRACT_PLOT_SVG)
        return bract_error(BRACT_EINVAL, "unknown figure format %d (expected PNG or SVG)",
                           (int)o->format);
    c->format = o->format;
    double dpi = o->dpi > 0 ? o->dpi : 150;
    if (!(w_in >= 1 && h_in >= 1 && w_in <= 100 && h_in <= 100))
        return bract_error(BRACT_EINVAL, "a figure of %g x %g inches: width and height must be "
                           "from 1 to 100 inches", w_in, h_in);
    if (c->format == BRACT_PLOT_PNG && (w_in * dpi > 20000 || h_in * dpi > 20000 || dpi < 10))
        return bract_error(BRACT_EINVAL, "a PNG of %g x %g inches at %g dpi: at most 20000 "
                           "pixels a side and at least 10 dpi", w_in, h_in, dpi);
    c->w = w_in * 72;
    c->h = h_in * 72;
    c->fs = o->font_size > 0 ? o->font_size : 9;
    if (c->format == BRACT_PLOT_PNG) {
        int pw = (int)lround(w_in * dpi), ph = (int)lround(h_in * dpi);
        c->surf = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, pw, ph);
        c->scale = dpi / 72;
        fig->width = pw;
        fig->height = ph;
    } else {
        c->surf = cairo_svg_surface_create_for_stream(write_buf, &c->svg, c->w, c->h);
        c->scale = 1;
        fig->width = (int)lround(c->w);
        fig->height = (int)lround(c->h);
    }
    fig->format = c->format;
    fig->scale = c->scale;
    if (cairo_surface_status(c->surf) != CAIRO_STATUS_SUCCESS) {
        int rc = bract_error(BRACT_ENOMEM, "cannot create a %g x %g inch figure: %s", w_in,
                             h_in, cairo_status_to_string(cairo_surface_status(c->surf)));
        cairo_surface_destroy(c->surf);
        bract_buf_free(&c->svg);
        memset(c, 0, sizeof *c);
        return rc;
    }
    c->cr = cairo_create(c->surf);
    cairo_scale(c->cr, c->scale, c->scale);
    cairo_set_source_rgb(c->cr, 1, 1, 1);
    cairo_paint(c->cr);
    c->lay = pango_cairo_create_layout(c->cr);
    PangoContext *pctx = pango_layout_get_context(c->lay);
    /* no hinting: text measures the same in PNG and SVG at any resolution */
    cairo_font_options_t *fo = cairo_font_options_create();
    cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
    cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
    cairo_font_options_set_antialias(fo, CAIRO_ANTIALIAS_GRAY);
    pango_cairo_context_set_font_options(pctx, fo);
    cairo_font_options_destroy(fo);
    pango_cairo_context_set_resolution(pctx, 72);
    pango_context_set_round_glyph_positions(pctx, FALSE);
    pango_layout_context_changed(c->lay);
    pango_layout_set_single_paragraph_mode(c->lay, TRUE);
    c->font = pango_font_description_from_string(PC_FONT);
    return BRACT_OK;
}

int bract_pc_open_measure(pc_t *c, const bract_plot_opts *o)
{
    static _Thread_local bract_plot_figure scratch;
    bract_plot_opts m = *o;
    m.format = BRACT_PLOT_PNG;
    m.dpi = 72;
    return bract_pc_open(c, &m, 1, 1, &scratch);
}

static void pc_release(pc_t *c)
{
    if (c->lay)
        g_object_unref(c->lay);
    if (c->font)
        pango_font_description_free(c->font);
    if (c->cr)
        cairo_destroy(c->cr);
    c->lay = NULL;
    c->font = NULL;
    c->cr = NULL;
}

static void pc_free_meta(pc_t *c)
{
    free(c->svg_title);
    free(c->svg_desc);
    c->svg_title = c->svg_desc = NULL;
}

int bract_pc_svg_meta(pc_t *c, const char *title, const char *desc)
{
    if (c->format != BRACT_PLOT_SVG)
        return BRACT_OK;
    pc_free_meta(c);
    if ((title && !(c->svg_title = bract_xstrdup(title))) ||
        (desc && !(c->svg_desc = bract_xstrdup(desc))))
        return BRACT_ENOMEM;
    return BRACT_OK;
}

/* s with &, <, > and " escaped, appended to b. */
static int xml_escaped(bract_buf *b, const char *s)
{
    int rc = BRACT_OK;
    for (; *s && !rc; s++) {
        const char *e = *s == '&' ? "&amp;" : *s == '<' ? "&lt;" : *s == '>' ? "&gt;"
                        : *s == '"' ? "&quot;" : NULL;
        rc = e ? bract_buf_append(b, e, strlen(e)) : bract_buf_append(b, s, 1);
    }
    return rc;
}

/* The <title> and <desc> right after the <svg ...> start tag. */
static int svg_insert_meta(pc_t *c)
{
    if (!c->svg_title && !c->svg_desc)
        return BRACT_OK;
    const char *start = c->svg.data ? strstr(c->svg.data, "<svg") : NULL;
    const char *gt = start ? strchr(start, '>') : NULL;
    if (!gt)
        return BRACT_OK;
    size_t head = (size_t)(gt + 1 - c->svg.data);
    bract_buf out = {0};
    int rc = bract_buf_append(&out, c->svg.data, head);
    if (!rc && c->svg_title && !(rc = bract_buf_append(&out, "\n<title>", 8)) &&
        !(rc = xml_escaped(&out, c->svg_title)))
        rc = bract_buf_append(&out, "</title>", 8);
    if (!rc && c->svg_desc && !(rc = bract_buf_append(&out, "\n<desc>", 7)) &&
        !(rc = xml_escaped(&out, c->svg_desc)))
        rc = bract_buf_append(&out, "</desc>", 7);
    if (!rc)
        rc = bract_buf_append(&out, c->svg.data + head, c->svg.len - head);
    if (rc) {
        bract_buf_free(&out);
        return rc;
    }
    bract_buf_free(&c->svg);
    c->svg = out;
    return BRACT_OK;
}

void bract_pc_abort(pc_t *c)
{
    pc_release(c);
    pc_free_meta(c);
    if (c->surf) {
        if (c->format == BRACT_PLOT_SVG)
            cairo_surface_finish(c->surf);
        cairo_surface_destroy(c->surf);
    }
    c->surf = NULL;
    bract_buf_free(&c->svg);
    if (c->fig)
        bract_plot_figure_free(c->fig);
}

/* cairo names embedded images and surfaces in SVG by process-wide
 * counters ("image6", "surface2"), so the same figure drawn later in a
 * process would differ in bytes.  Number them per document instead, in
 * order of first appearance (ids and their "#" references alike). */
static int svg_renumber(bract_buf *svg)
{
    static const char *const kinds[2] = {"image", "surface"};
    bract_buf out = {0};
    unsigned long map[2][256];
    size_t nmap[2] = {0, 0};
    const char *p = svg->data, *end = svg->data + svg->len;
    int rc = BRACT_OK;
    while (p < end && !rc) {
        int hit = -1;
        size_t pre = 0;
        for (int k = 0; k < 2 && hit < 0; k++) {
            size_t kl = strlen(kinds[k]);
            if (end - p > 4 + (long)kl && strncmp(p, "id=\"", 4) == 0 &&
                strncmp(p + 4, kinds[k], kl) == 0 && p[4 + kl] >= '0' && p[4 + kl] <= '9') {
                hit = k;
                pre = 4 + kl;
            } else if (end - p > 1 + (long)kl && p[0] == '#' && strncmp(p + 1, kinds[k], kl) == 0 &&
                       p[1 + kl] >= '0' && p[1 + kl] <= '9') {
                hit = k;
                pre = 1 + kl;
            }
        }
        if (hit < 0) {
            const char *q = p + 1;
            while (q < end && *q != '#' && *q != 'i')
                q++;
            rc = bract_buf_append(&out, p, (size_t)(q - p));
            p = q;
            continue;
        }
        char *num_end;
        unsigned long id = strtoul(p + pre, &num_end, 10);
        size_t j = 0;
        while (j < nmap[hit] && map[hit][j] != id)
            j++;
        if (j == nmap[hit]) {
            if (nmap[hit] == 256) { /* more than any figure makes: leave as is */
                bract_buf_free(&out);
                return BRACT_OK;
            }
            map[hit][nmap[hit]++] = id;
        }
        rc = bract_buf_append(&out, p, pre) || bract_buf_printf(&out, "%zu", j + 1);
        p = num_end;
    }
    if (rc) {
        bract_buf_free(&out);
        return BRACT_ENOMEM;
    }
    bract_buf_free(svg);
    *svg = out;
    return BRACT_OK;
}

int bract_pc_close(pc_t *c)
{
    cairo_status_t st = cairo_status(c->cr);
    pc_release(c);
    bract_buf png = {0};
    if (st == CAIRO_STATUS_SUCCESS) {
        if (c->format == BRACT_PLOT_PNG) {
            cairo_surface_flush(c->surf);
            st = cairo_surface_write_to_png_stream(c->surf, write_buf, &png);
        } else {
            cairo_surface_finish(c->surf);
            st = cairo_surface_status(c->surf);
            if (st == CAIRO_STATUS_SUCCESS && (svg_renumber(&c->svg) || svg_insert_meta(c)))
                st = CAIRO_STATUS_NO_MEMORY;
        }
    }
    if (st != CAIRO_STATUS_SUCCESS) {
        bract_buf_free(&png);
        int rc = bract_error(st == CAIRO_STATUS_NO_MEMORY ? BRACT_ENOMEM : BRACT_EIO,
                             "drawing the figure failed: %s", cairo_status_to_string(st));
        bract_pc_abort(c);
        return rc;
    }
    cairo_surface_destroy(c->surf);
    c->surf = NULL;
    pc_free_meta(c);
    bract_buf *b = c->format == BRACT_PLOT_PNG ? &png : &c->svg;
    c->fig->data = (unsigned char *)b->data;
    c->fig->len = b->len;
    b->data = NULL;
    bract_buf_free(&png);
    bract_buf_free(&c->svg);
    return BRACT_OK;
}

static void to_rect(const pc_t *c, const pc_box *b, bract_plot_rect *r)
{
    r->x = b->x * c->scale;
    r->y = b->y * c->scale;
    r->w = b->w * c->scale;
    r->h = b->h * c->scale;
    r->u0 = b->u0;
    r->u1 = b->u1;
    r->v0 = b->v0;
    r->v1 = b->v1;
}

int bract_pc_add_panel(pc_t *c, const pc_box *b)
{
    bract_plot_figure *f = c->fig;
    if (f->npanels == c->cap_panels) {
        size_t cap = c->cap_panels ? 2 * c->cap_panels : 8;
        bract_plot_rect *p = bract_xrealloc(f->panels, cap, sizeof *p, "figure panels");
        if (!p)
            return BRACT_ENOMEM;
        f->panels = p;
        c->cap_panels = cap;
    }
    to_rect(c, b, &f->panels[f->npanels++]);
    return BRACT_OK;
}

void bract_pc_set_cbar(pc_t *c, const pc_box *b, const char *cmap)
{
    c->fig->has_cbar = 1;
    to_rect(c, b, &c->fig->cbar);
    snprintf(c->fig->cmap, sizeof c->fig->cmap, "%s", cmap);
}

void bract_pc_color(pc_t *c, unsigned rgb) { bract_pc_color_a(c, rgb, 1); }

void bract_pc_color_a(pc_t *c, unsigned rgb, double alpha)
{
    cairo_set_source_rgba(c->cr, ((rgb >> 16) & 0xFF) / 255.0, ((rgb >> 8) & 0xFF) / 255.0,
                          (rgb & 0xFF) / 255.0, alpha);
}

void bract_pc_color_v(pc_t *c, const double rgb[3])
{
    cairo_set_source_rgb(c->cr, rgb[0], rgb[1], rgb[2]);
}

/* ---- text ---- */

static void set_text(pc_t *c, const char *s, double size, unsigned flags, double maxw)
{
    pango_font_description_set_absolute_size(c->font, size * PANGO_SCALE);
    pango_font_description_set_weight(c->font,
                                      (flags & PC_BOLD) ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
    pango_layout_set_font_description(c->lay, c->font);
    if (maxw > 0) {
        pango_layout_set_width(c->lay, (int)(maxw * PANGO_SCALE));
        pango_layout_set_ellipsize(c->lay, PANGO_ELLIPSIZE_END);
    } else {
        pango_layout_set_width(c->lay, -1);
        pango_layout_set_ellipsize(c->lay, PANGO_ELLIPSIZE_NONE);
    }
    if (g_utf8_validate(s, -1, NULL)) {
        pango_layout_set_text(c->lay, s, -1);
    } else { /* labels come from files: show bad bytes as U+FFFD */
        gchar *v = g_utf8_make_valid(s, -1);
        pango_layout_set_text(c->lay, v, -1);
        g_free(v);
    }
}

void bract_pc_text_size(pc_t *c, const char *s, double size, unsigned flags, double maxw, double *w,
                  double *h)
{
    set_text(c, s, size, flags, maxw);
    PangoRectangle lr;
    pango_layout_get_extents(c->lay, NULL, &lr);
    if (w)
        *w = (double)lr.width / PANGO_SCALE;
    if (h)
        *h = (double)lr.height / PANGO_SCALE;
}

double bract_pc_text(pc_t *c, const char *s, double x, double y, double size, unsigned flags,
               double ha, double va, double angle, double maxw)
{
    if (!s || !*s)
        return 0;
    set_text(c, s, size, flags, maxw);
    PangoRectangle lr;
    pango_layout_get_extents(c->lay, NULL, &lr);
    double w = (double)lr.width / PANGO_SCALE, h = (double)lr.height / PANGO_SCALE;
    cairo_save(c->cr);
    cairo_translate(c->cr, x, y);
    if (angle != 0)
        cairo_rotate(c->cr, -angle * M_PI / 180);
    cairo_move_to(c->cr, -ha * w - (double)lr.x / PANGO_SCALE,
                  -va * h - (double)lr.y / PANGO_SCALE);
    pango_cairo_update_layout(c->cr, c->lay);
    pango_cairo_show_layout(c->cr, c->lay);
    cairo_restore(c->cr);
    return w;
}

const char *bract_pc_title_of(const bract_plot_opts *o, const char *dflt)
{
    return o->title ? o->title : dflt;
}

double bract_pc_title(pc_t *c, const char *title)
{
    if (!title || !*title)
        return 6;
    double size = c->fs * 1.2, h;
    bract_pc_color(c, PC_INK);
    bract_pc_text_size(c, title, size, PC_BOLD, c->w - 20, NULL, &h);
    bract_pc_text(c, title, c->w / 2, 8, size, PC_BOLD, 0.5, 0, 0, c->w - 20);
    return 8 + h + 6;
}

/* ---- numbers and ticks ---- */

static int decimals_of(double step)
{
    step = fabs(step);
    for (int d = 0; d < 12; d++) {
        double s = step * pow(10, d);
        if (fabs(s - round(s)) < 1e-6 * fmax(1, s))
            return d;
    }
    return 12;
}

/* Replace a leading '-' by U+2212 MINUS SIGN. */
static void true_minus(char *buf, size_t n)
{
    if (buf[0] != '-')
        return;
    size_t len = strlen(buf);
    if (len + 3 > n)
        return;
    memmove(buf + 3, buf + 1, len); /* moves the terminator too */
    buf[0] = (char)0xE2;
    buf[1] = (char)0x88;
    buf[2] = (char)0x92;
}

/* "4.1e-05" -> "4.1 × 10⁻⁵" (true minus in the mantissa too). */
static void pretty_exponent(char *buf, size_t n)
{
    char *e = strchr(buf, 'e');
    if (!e)
        return;
    static const char *const sup[10] = {"\xe2\x81\xb0", "\xc2\xb9", "\xc2\xb2", "\xc2\xb3",
                                        "\xe2\x81\xb4", "\xe2\x81\xb5", "\xe2\x81\xb6",
                                        "\xe2\x81\xb7", "\xe2\x81\xb8", "\xe2\x81\xb9"};
    int ex = atoi(e + 1);
    char mant[32], out[96];
    snprintf(mant, sizeof mant, "%.*s", (int)(e - buf), buf);
    size_t k = (size_t)snprintf(out, sizeof out, "%s \xc3\x97 10%s", mant,
                                ex < 0 ? "\xe2\x81\xbb" : "");
    char digits[16];
    snprintf(digits, sizeof digits, "%d", ex < 0 ? -ex : ex);
    for (char *d = digits; *d && k + 4 < sizeof out; d++)
        k += (size_t)snprintf(out + k, sizeof out - k, "%s", sup[*d - '0']);
    if (strcmp(mant, "1") == 0) /* 1 × 10⁻⁵ -> 10⁻⁵ */
        memmove(out, out + strlen("1 \xc3\x97 "), strlen(out + strlen("1 \xc3\x97 ")) + 1);
    snprintf(buf, n, "%s", out);
}

void bract_pc_fmt(char *buf, size_t n, double v, double step)
{
    if (fabs(v) < fabs(step) * 1e-9)
        v = 0;
    double a = fabs(v);
    if (a != 0 && (a >= 1e6 || fabs(step) < 1e-4)) {
        snprintf(buf, n, "%.3g", v);
        pretty_exponent(buf, n);
    } else {
        snprintf(buf, n, "%.*f", decimals_of(step), v);
    }
    true_minus(buf, n);
}

void bract_pc_fmt_sig(char *buf, size_t n, double v, int sig)
{
    if (!isfinite(v)) {
        snprintf(buf, n, "n/a");
        return;
    }
    snprintf(buf, n, "%.*g", sig, v);
    pretty_exponent(buf, n);
    true_minus(buf, n);
}

size_t bract_pc_ticks(double lo, double hi, int target, double *ticks, size_t max, double *step)
{
    if (!(hi > lo) || !isfinite(lo) || !isfinite(hi)) {
        ticks[0] = isfinite(lo) ? lo : 0;
        *step = fabs(ticks[0]) > 0 ? fabs(ticks[0]) : 1;
        return 1;
    }
    double raw = (hi - lo) / (target > 0 ? target : 5);
    double mag = pow(10, floor(log10(raw)));
    double m = raw / mag, s;
    if (m < 1.5)
        s = 1;
    else if (m < 2.2)
        s = 2;
    else if (m < 3.2)
        s = 2.5;
    else if (m < 7.5)
        s = 5;
    else
        s = 10;
    s *= mag;
    double first = ceil(lo / s - 1e-9) * s;
    size_t n = 0;
    for (;;) {
        double v = first + (double)n * s;
        if (v > hi + s * 1e-9 || n >= max)
            break;
        ticks[n++] = fabs(v) < s * 1e-9 ? 0 : v;
    }
    *step = s;
    return n;
}

void bract_pc_nice_range(double *lo, double *hi, int target)
{
    double t[64], s;
    if (!(*hi > *lo))
        return;
    bract_pc_ticks(*lo, *hi, target, t, 64, &s);
    *lo = floor(*lo / s + 1e-9) * s;
    *hi = ceil(*hi / s - 1e-9) * s;
}

/* ---- axes ---- */

void bract_pc_axis_left(pc_t *c, const pc_box *b, int target, const char *label, int draw_labels)
{
    double t[64], step, maxw = 0, fs = c->fs * 0.9;
    size_t n = bract_pc_ticks(fmin(b->v0, b->v1), fmax(b->v0, b->v1), target, t, 64, &step);
    cairo_t *cr = c->cr;
    bract_pc_color(c, PC_INK);
    cairo_set_line_width(cr, 0.6);
    cairo_move_to(cr, b->x, b->y);
    cairo_line_to(cr, b->x, b->y + b->h);
    cairo_stroke(cr);
    for (size_t i = 0; i < n; i++) {
        double y = pc_by(b, t[i]);
        cairo_move_to(cr, b->x, y);
        cairo_line_to(cr, b->x - 3, y);
        cairo_stroke(cr);
        if (draw_labels) {
            char buf[48];
            bract_pc_fmt(buf, sizeof buf, t[i], step);
            double w = bract_pc_text(c, buf, b->x - 5, y, fs, 0, 1, 0.5, 0, 0);
            maxw = fmax(maxw, w);
        }
    }
    if (draw_labels && label && *label)
        bract_pc_text(c, label, b->x - 8 - maxw, b->y + b->h / 2, c->fs, 0, 0.5, 1, 90, b->h);
}

void bract_pc_axis_bottom(pc_t *c, const pc_box *b, int target, const char *label)
{
    double t[64], step, maxh = 0, fs = c->fs * 0.9;
    size_t n = bract_pc_ticks(fmin(b->u0, b->u1), fmax(b->u0, b->u1), target, t, 64, &step);
    cairo_t *cr = c->cr;
    double y0 = b->y + b->h;
    bract_pc_color(c, PC_INK);
    cairo_set_line_width(cr, 0.6);
    cairo_move_to(cr, b->x, y0);
    cairo_line_to(cr, b->x + b->w, y0);
    cairo_stroke(cr);
    for (size_t i = 0; i < n; i++) {
        double x = pc_bx(b, t[i]);
        cairo_move_to(cr, x, y0);
        cairo_line_to(cr, x, y0 + 3);
        cairo_stroke(cr);
        char buf[48];
        double h;
        bract_pc_fmt(buf, sizeof buf, t[i], step);
        bract_pc_text_size(c, buf, fs, 0, 0, NULL, &h);
        bract_pc_text(c, buf, x, y0 + 5, fs, 0, 0.5, 0, 0, 0);
        maxh = fmax(maxh, h);
    }
    if (label && *label)
        bract_pc_text(c, label, b->x + b->w / 2, y0 + 7 + maxh, c->fs, 0, 0.5, 0, 0, b->w);
}

/* ---- colour bar ---- */

double bract_pc_colorbar_width(pc_t *c, double w, double vmin, double vmax, const char *label)
{
    double t[64], step, maxw = 0, fs = c->fs * 0.9, lh = 0;
    size_t n = bract_pc_ticks(vmin, vmax, 5, t, 64, &step);
    for (size_t i = 0; i < n; i++) {
        char buf[48];
        double tw;
        bract_pc_fmt(buf, sizeof buf, t[i], step);
        bract_pc_text_size(c, buf, fs, 0, 0, &tw, NULL);
        maxw = fmax(maxw, tw);
    }
    if (label && *label)
        bract_pc_text_size(c, label, c->fs, 0, 0, NULL, &lh);
    return w + 5 + maxw + (lh > 0 ? 5 + lh : 0);
}

double bract_pc_colorbar(pc_t *c, double x, double y, double w, double h, const char *cmap,
                   double cmin, double cmax, double vmin, double vmax, const char *label,
                   double gap_lo, double gap_hi)
{
    cairo_t *cr = c->cr;
    const pc_cmap *m = bract_pc_cmap_find(cmap);
    double span = vmax > vmin ? vmax - vmin : 1, cspan = cmax > cmin ? cmax - cmin : 1;
    /* a linear gradient with a stop at each anchor of the (piecewise-linear)
     * map: exact in both PNG and SVG */
    cairo_pattern_t *g = cairo_pattern_create_linear(0, y + h, 0, y);
    double rgb[3];
    bract_pc_cmap_eval(m, (vmin - cmin) / cspan, rgb);
    cairo_pattern_add_color_stop_rgb(g, 0, rgb[0], rgb[1], rgb[2]);
    for (size_t k = 0; k < m->n; k++) {
        double v = cmin + m->t[k] * cspan, off = (v - vmin) / span;
        if (off > 0 && off < 1)
            cairo_pattern_add_color_stop_rgb(g, off, m->rgb[k][0], m->rgb[k][1], m->rgb[k][2]);
    }
    bract_pc_cmap_eval(m, (vmax - cmin) / cspan, rgb);
    cairo_pattern_add_color_stop_rgb(g, 1, rgb[0], rgb[1], rgb[2]);
    cairo_rectangle(cr, x, y, w, h);
    cairo_set_source(cr, g);
    cairo_fill(cr);
    cairo_pattern_destroy(g);
    if (gap_lo < gap_hi) {
        double lo = fmax(gap_lo, vmin), hi = fmin(gap_hi, vmax);
        if (lo < hi) {
            double y1 = y + h - (lo - vmin) / span * h, y2 = y + h - (hi - vmin) / span * h;
            bract_pc_color(c, 0xE4E4E4);
            cairo_rectangle(cr, x, y2, w, y1 - y2);
            cairo_fill(cr);
        }
    }
    bract_pc_color(c, PC_INK);
    cairo_set_line_width(cr, 0.5);
    cairo_rectangle(cr, x, y, w, h);
    cairo_stroke(cr);
    double t[64], step, maxw = 0, fs = c->fs * 0.9;
    size_t n = bract_pc_ticks(vmin, vmax, 5, t, 64, &step);
    cairo_set_line_width(cr, 0.6);
    for (size_t i = 0; i < n; i++) {
        double ty = y + h - (t[i] - vmin) / span * h;
        cairo_move_to(cr, x + w, ty);
        cairo_line_to(cr, x + w + 3, ty);
        cairo_stroke(cr);
        char buf[48];
        bract_pc_fmt(buf, sizeof buf, t[i], step);
        maxw = fmax(maxw, bract_pc_text(c, buf, x + w + 5, ty, fs, 0, 0, 0.5, 0, 0));
    }
    double lw = 0;
    if (label && *label) {
        double lh;
        bract_pc_text_size(c, label, c->fs, 0, h, NULL, &lh);
        bract_pc_text(c, label, x + w + 5 + maxw + 5, y + h / 2, c->fs, 0, 0.5, 0, 90, h);
        lw = 5 + lh;
    }
    pc_box b = {x, y, w, h, 0, 1, vmin, vmax};
    bract_pc_set_cbar(c, &b, cmap);
    return w + 5 + maxw + lw;
}

/* ---- grids, labels, heatmaps ---- */

size_t bract_pc_grid_cols(size_t n, double w, double h, double aspect)
{
    size_t best = 1;
    double best_side = 0;
    for (size_t nc = 1; nc <= n; nc++) {
        size_t nr = (n + nc - 1) / nc;
        double side = fmin(w / (double)nc, h * aspect / (double)nr);
        if (side > best_side * 1.0001) {
            best_side = side;
            best = nc;
        }
    }
    return best;
}

/* Smallest legible label, in points. */
#define PC_MIN_LABEL 5.0

void bract_pc_label_plan(int mode, size_t n, double cell, double base, size_t *step, double *size)
{
    double fit = 0.85 * cell;
    *step = 0;
    *size = 0;
    if (mode == BRACT_LABELS_NONE || n == 0)
        return;
    if (mode == BRACT_LABELS_ALL || fit >= PC_MIN_LABEL) {
        *step = 1;
        *size = fmax(1, fmin(base, fit));
        return;
    }
    size_t k = (size_t)ceil(PC_MIN_LABEL / fit);
    if (k > 12 || n / k < 4)
        return; /* too dense even thinned: condition numbers instead */
    *step = k;
    *size = fmin(base, fit * (double)k);
}

cairo_surface_t *bract_pc_image_new(int w, int h, const char *what, unsigned char **data,
                                    int *stride)
{
    cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(img);
        bract_error(BRACT_ENOMEM, "out of memory for a %d x %d image of %s", w, h, what);
        return NULL;
    }
    cairo_surface_flush(img);
    *data = cairo_image_surface_get_data(img);
    *stride = cairo_image_surface_get_stride(img);
    return img;
}

void bract_pc_image_paint(pc_t *c, const pc_box *b, cairo_surface_t *img, int smooth)
{
    cairo_t *cr = c->cr;
    int w = cairo_image_surface_get_width(img), h = cairo_image_surface_get_height(img);
    cairo_surface_mark_dirty(img);
    cairo_save(cr);
    cairo_rectangle(cr, b->x, b->y, b->w, b->h);
    cairo_clip(cr);
    cairo_translate(cr, b->x, b->y);
    cairo_scale(cr, b->w / w, b->h / h);
    cairo_set_source_surface(cr, img, 0, 0);
    cairo_pattern_set_filter(cairo_get_source(cr),
                             smooth ? CAIRO_FILTER_GOOD : CAIRO_FILTER_NEAREST);
    cairo_paint(cr);
    cairo_restore(cr);
    cairo_surface_destroy(img);
}

int bract_pc_heatmap(pc_t *c, const pc_box *b, size_t n, const double *rgb)
{
    cairo_t *cr = c->cr;
    double cw = b->w / (double)n, ch = b->h / (double)n;
    if (c->format == BRACT_PLOT_SVG && n <= 100) {
        /* vector cells, each overlapping its right and lower neighbours a
         * little so that viewers show no hairline seams */
        double ov = fmin(0.25, 0.2 * cw);
        cairo_save(cr);
        cairo_rectangle(cr, b->x, b->y, b->w, b->h);
        cairo_clip(cr);
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++) {
                const double *p = rgb + 3 * (i * n + j);
                if (isnan(p[0]))
                    bract_pc_color(c, PC_MISSING);
                else
                    cairo_set_source_rgb(cr, p[0], p[1], p[2]);
                cairo_rectangle(cr, b->x + (double)j * cw, b->y + (double)i * ch, cw + ov, ch + ov);
                cairo_fill(cr);
            }
        cairo_restore(cr);
        c->fig->ncells += n * n;
        return BRACT_OK;
    }
    /* an image, one pixel per cell (PNG, drawn without smoothing), or an
     * upsampled one in SVG, where viewers smooth scaled images */
    int up = 1;
    if (c->format == BRACT_PLOT_SVG)
        up = (int)ceil(1200.0 / (double)n);
    int side = (int)n * up, stride;
    unsigned char *data;
    cairo_surface_t *img = bract_pc_image_new(side, side, "a heatmap", &data, &stride);
    if (!img)
        return BRACT_ENOMEM;
    for (int py = 0; py < side; py++) {
        uint32_t *row = (uint32_t *)(void *)(data + (size_t)py * (size_t)stride);
        size_t i = (size_t)(py / up);
        for (int px = 0; px < side; px++) {
            size_t j = (size_t)(px / up);
            const double *p = rgb + 3 * (i * n + j);
            uint32_t r, g, bl;
            if (isnan(p[0])) {
                r = g = bl = (PC_MISSING >> 16) & 0xFF;
            } else {
                r = (uint32_t)lround(p[0] * 255);
                g = (uint32_t)lround(p[1] * 255);
                bl = (uint32_t)lround(p[2] * 255);
            }
            row[px] = 0xFF000000u | (r << 16) | (g << 8) | bl;
        }
    }
    bract_pc_image_paint(c, b, img, 0);
    c->fig->ncells += n * n;
    return BRACT_OK;
}

void bract_pc_matrix_labels(pc_t *c, const pc_box *b, char *const *labels, size_t n, size_t step,
                      double size, double maxw)
{
    cairo_t *cr = c->cr;
    double cw = b->w / (double)n, ch = b->h / (double)n;
    bract_pc_color(c, PC_INK);
    cairo_set_line_width(cr, 0.5);
    if (step == 0) {
        /* condition numbers at nice steps */
        double t[64], s;
        size_t nt = bract_pc_ticks(1, (double)n, 6, t, 64, &s);
        for (size_t k = 0; k < nt; k++) {
            char buf[32];
            size_t i = (size_t)t[k] - 1;
            snprintf(buf, sizeof buf, "%zu", i + 1);
            double y = b->y + ((double)i + 0.5) * ch, x = b->x + ((double)i + 0.5) * cw;
            cairo_move_to(cr, b->x, y);
            cairo_line_to(cr, b->x - 3, y);
            cairo_move_to(cr, x, b->y + b->h);
            cairo_line_to(cr, x, b->y + b->h + 3);
            cairo_stroke(cr);
            bract_pc_text(c, buf, b->x - 5, y, c->fs * 0.85, 0, 1, 0.5, 0, 0);
            bract_pc_text(c, buf, x, b->y + b->h + 5, c->fs * 0.85, 0, 0.5, 0, 0, 0);
        }
        return;
    }
    double gap = step > 1 ? 4 : 2;
    for (size_t i = 0; i < n; i += step) {
        double y = b->y + ((double)i + 0.5) * ch, x = b->x + ((double)i + 0.5) * cw;
        if (step > 1) { /* ticks tie thinned labels to their cells */
            cairo_move_to(cr, b->x, y);
            cairo_line_to(cr, b->x - 2.5, y);
            cairo_move_to(cr, x, b->y + b->h);
            cairo_line_to(cr, x, b->y + b->h + 2.5);
            cairo_stroke(cr);
        }
        bract_pc_text(c, labels[i], b->x - gap, y, size, 0, 1, 0.5, 0, maxw);
        bract_pc_text(c, labels[i], x, b->y + b->h + gap, size, 0, 1, 0.5, 90, maxw);
        c->fig->nlabels++;
    }
    c->fig->label_pt = size;
}

/* ---- colour-bar labels of RDMs ---- */

char *bract_plot_rdm_units(const char *method, char *buf, size_t n)
{
    static const char *const names[][2] = {
        {"correlation", "correlation distance (1 \xe2\x88\x92 r)"},
        {"cosine", "cosine distance (1 \xe2\x88\x92 cos)"},
        {"euclidean", "Euclidean distance"},
        {"mahalanobis", "Mahalanobis distance"},
        {"crossnobis", "crossnobis distance"}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(method, names[i][0]) == 0) {
            snprintf(buf, n, "%s", names[i][1]);
            return buf;
        }
    snprintf(buf, n, "%s dissimilarity", method);
    return buf;
}
