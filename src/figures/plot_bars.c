/* RSA bar charts: one panel per region, one bar per model (see bract/plot.h). */
#include "figures/plot_internal.h"

#include <math.h>
#include <string.h>

/* Distinct strings in order of first appearance. */
typedef struct {
    size_t n, cap;
    const char **s;
} strset;

static long strset_find(const strset *ss, const char *x)
{
    for (size_t i = 0; i < ss->n; i++)
        if (strcmp(ss->s[i], x) == 0)
            return (long)i;
    return -1;
}

static int strset_add(strset *ss, const char *x)
{
    if (strset_find(ss, x) >= 0)
        return BRACT_OK;
    if (ss->n == ss->cap) {
        size_t cap = ss->cap ? 2 * ss->cap : 16;
        const char **p = bract_xrealloc(ss->s, cap, sizeof *p, "a list of names");
        if (!p)
            return BRACT_ENOMEM;
        ss->s = p;
        ss->cap = cap;
    }
    ss->s[ss->n++] = x;
    return BRACT_OK;
}

static void strset_list(bract_buf *b, const strset *ss)
{
    for (size_t i = 0; i < ss->n && i < 10; i++)
        bract_buf_printf(b, "%s'%s'", i ? ", " : "", ss->s[i]);
    if (ss->n > 10)
        bract_buf_printf(b, ", ... (%zu in all)", ss->n);
}

/* Optional pair of columns: both or neither. */
static int optional_pair(const bract_table *t, const char *a, const char *b, long *ca, long *cb)
{
    *ca = bract_table_find(t, a);
    *cb = bract_table_find(t, b);
    if ((*ca < 0) != (*cb < 0))
        return bract_error(BRACT_EFORMAT, "%s: column '%s' without '%s' (give both or neither)",
                           t->path, *ca >= 0 ? a : b, *ca >= 0 ? b : a);
    return BRACT_OK;
}

static const char *method_label(const char *m, char *buf, size_t n)
{
    if (strncmp(m, "partial ", 8) == 0) { /* bract rsa --control */
        char inner[96];
        snprintf(buf, n, "partial %s", method_label(m + 8, inner, sizeof inner));
        return buf;
    }
    static const char *const names[][2] = {
        {"spearman", "Spearman \xcf\x81"},       {"pearson", "Pearson r"},
        {"kendall", "Kendall \xcf\x84"},          {"tau-a", "Kendall \xcf\x84\xe2\x82\x90"},
        {"rho-a", "Spearman \xcf\x81\xe2\x82\x90"}, {"cosine", "cosine similarity"},
        {"corr_cov", "whitened Pearson r"},       {"cosine_cov", "whitened cosine"}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(m, names[i][0]) == 0)
            return names[i][1];
    return m;
}

typedef struct {
    double r, lo, hi, p;
    int have;
} cell;

/* A bar chart being made: the table's columns, the rows used, the values. */
typedef struct {
    const bract_table *t;
    const bract_plot_opts *opts;
    size_t crdm, cmodel, cr;
    long cmethod, clo, chi, cnl, cnu; /* optional columns, -1 when absent */
    long cp;                          /* the p column marking bars, or -1 */
    const char *pname;                /* its name */
    unsigned char *use;               /* per row: drawn */
    strset methods, regions, models;
    const char *method; /* the method drawn, or NULL */
    size_t nreg, nmod;
    cell *cells;        /* nreg x nmod */
    double *nlo, *nhi;  /* noise ceiling per region, NaN if none */
    double lo, hi;      /* value range */
    char ylab[160];
} bars;

/* Where things go: sizes in points. */
typedef struct {
    double fs, tick_fs, lh, yticw;
    double *mw;       /* width of each model's name */
    double labw;      /* the widest */
    double W, H;      /* the figure */
    size_t nc, nr;    /* panel grid */
    double left, gap_w, head_h, foot_h, xlab_h, cap_h;
    int legend;       /* model names in a legend instead of under the bars */
    const char *title;
} layout;

static void bars_free(bars *b)
{
    free(b->use);
    free(b->cells);
    free(b->nlo);
    free(b->nhi);
    free(b->methods.s);
    free(b->regions.s);
    free(b->models.s);
}

/* The columns: required, optional pairs, the p column of opts->sig. */
static int find_columns(bars *b)
{
    const bract_table *t = b->t;
    const bract_plot_opts *opts = b->opts;
    int rc;
    if ((rc = bract_table_require(t, "rdm", &b->crdm)) ||
        (rc = bract_table_require(t, "model", &b->cmodel)) ||
        (rc = bract_table_require(t, "r", &b->cr)))
        return rc;
    b->cmethod = bract_table_find(t, "method");
    if ((rc = optional_pair(t, "ci_low", "ci_high", &b->clo, &b->chi)) ||
        (rc = optional_pair(t, "noise_lower", "noise_upper", &b->cnl, &b->cnu)))
        return rc;
    b->cp = -1;
    switch (opts->sig) {
    case BRACT_SIG_AUTO:
        if ((b->cp = bract_table_find(t, "p_fdr")) >= 0)
            b->pname = "p_fdr";
        else if ((b->cp = bract_table_find(t, "p")) >= 0)
            b->pname = "p";
        break;
    case BRACT_SIG_P:
    case BRACT_SIG_PFDR: {
        size_t col;
        b->pname = opts->sig == BRACT_SIG_P ? "p" : "p_fdr";
        if ((rc = bract_table_require(t, b->pname, &col)))
            return rc;
        b->cp = (long)col;
        break;
    }
    default: break;
    }
    if (!(opts->alpha > 0 && opts->alpha < 1) && b->cp >= 0)
        return bract_error(BRACT_EINVAL, "significance level %g is not between 0 and 1",
                           opts->alpha);
    return BRACT_OK;
}

/* Rows of bract rsa's output that are not bars: pairwise comparisons
 * (model_b set), and subject rows when the table has group rows; subject
 * rows of several subjects without group rows are an error. */
static int select_levels(bars *b)
{
    const bract_table *t = b->t;
    long cmb = bract_table_find(t, "model_b"), clevel = bract_table_find(t, "level");
    long csub = bract_table_find(t, "subject");
    int has_group = 0;
    for (size_t i = 0; i < t->nrows; i++) {
        b->use[i] = cmb < 0 || bract_table_cell_missing(bract_table_cell(t, i, (size_t)cmb));
        if (b->use[i] && clevel >= 0 &&
            strcmp(bract_table_cell(t, i, (size_t)clevel), "group") == 0)
            has_group = 1;
    }
    for (size_t i = 0; i < t->nrows && has_group; i++)
        if (strcmp(bract_table_cell(t, i, (size_t)clevel), "group") != 0)
            b->use[i] = 0;
    if (has_group || csub < 0)
        return BRACT_OK;
    const char *first = NULL;
    for (size_t i = 0; i < t->nrows; i++) {
        const char *sb = bract_table_cell(t, i, (size_t)csub);
        if (!b->use[i] || bract_table_cell_missing(sb))
            continue;
        if (first && strcmp(first, sb) != 0)
            return bract_error(BRACT_EDATA, "%s holds rows of several subjects ('%s', '%s', "
                               "...) and no group rows: one chart needs one value per region "
                               "and model (bract rsa --group adds group rows)", t->path, first,
                               sb);
        first = sb;
    }
    return BRACT_OK;
}

/* The rows of one method (opts->method, or the table's only one). */
static int select_method(bars *b)
{
    const bract_table *t = b->t;
    const char *want = b->opts->method;
    int rc;
    if (b->cmethod >= 0)
        for (size_t i = 0; i < t->nrows; i++)
            if (b->use[i] &&
                (rc = strset_add(&b->methods, bract_table_cell(t, i, (size_t)b->cmethod))))
                return rc;
    if (want && b->cmethod < 0)
        return bract_error(BRACT_EFORMAT, "%s: no column 'method' to choose method '%s' from",
                           t->path, want);
    if ((want && strset_find(&b->methods, want) < 0) || (!want && b->methods.n > 1)) {
        bract_buf l = {0};
        strset_list(&l, &b->methods);
        if (want)
            rc = bract_error(BRACT_EDATA, "%s: no rows of method '%s' (its methods: %s)",
                             t->path, want, l.data ? l.data : "none");
        else
            rc = bract_error(BRACT_EDATA, "%s holds results of %zu methods (%s): choose one",
                             t->path, b->methods.n, l.data ? l.data : "");
        bract_buf_free(&l);
        return rc;
    }
    b->method = want ? want : b->methods.n == 1 ? b->methods.s[0] : NULL;
    for (size_t i = 0; i < t->nrows; i++)
        if (b->use[i] && b->method &&
            strcmp(bract_table_cell(t, i, (size_t)b->cmethod), b->method) != 0)
            b->use[i] = 0;
    return BRACT_OK;
}

/* Regions and models of the rows used; the regions drawn (opts->select). */
static int select_regions(bars *b)
{
    const bract_table *t = b->t;
    const bract_plot_opts *opts = b->opts;
    int rc;
    for (size_t i = 0; i < t->nrows; i++)
        if (b->use[i] && ((rc = strset_add(&b->regions, bract_table_cell(t, i, b->crdm))) ||
                          (rc = strset_add(&b->models, bract_table_cell(t, i, b->cmodel)))))
            return rc;
    if (b->regions.n == 0)
        return bract_error(BRACT_EDATA, "%s: no results to draw", t->path);
    if (opts->select && opts->nselect) {
        strset shown = {0};
        for (size_t k = 0; k < opts->nselect; k++) {
            long j = strset_find(&b->regions, opts->select[k]);
            if (j < 0) {
                bract_buf l = {0};
                strset_list(&l, &b->regions);
                rc = bract_error(BRACT_EDATA, "%s: no region (rdm) named '%s' (its regions: %s)",
                                 t->path, opts->select[k], l.data ? l.data : "");
                bract_buf_free(&l);
                free(shown.s);
                return rc;
            }
            if ((rc = strset_add(&shown, b->regions.s[j]))) {
                free(shown.s);
                return rc;
            }
        }
        free(b->regions.s);
        b->regions = shown;
    }
    b->nreg = b->regions.n;
    b->nmod = b->models.n;
    if (b->nreg > 48)
        return bract_error(BRACT_EDATA, "%s holds %zu regions: a bar chart shows at most 48; "
                           "choose some", t->path, b->nreg);
    return BRACT_OK;
}

/* The noise ceiling of region g from row i (the first model's is kept);
 * *disagree set when another model's differs. */
static int read_noise(bars *b, size_t i, size_t g, int *disagree)
{
    double lo, hi;
    int rc;
    if ((rc = bract_table_double(b->t, i, (size_t)b->cnl, &lo)) ||
        (rc = bract_table_double(b->t, i, (size_t)b->cnu, &hi)))
        return rc;
    if (!(isfinite(lo) && isfinite(hi)))
        return BRACT_OK;
    if (isnan(b->nlo[g])) {
        b->nlo[g] = lo;
        b->nhi[g] = hi;
    } else if (fabs(b->nlo[g] - lo) > 1e-9 * fmax(1, fabs(lo)) ||
               fabs(b->nhi[g] - hi) > 1e-9 * fmax(1, fabs(hi))) {
        *disagree = 1;
    }
    return BRACT_OK;
}

/* The value, interval and p of each bar; the noise ceilings. */
static int read_cells(bars *b, size_t *rowof)
{
    const bract_table *t = b->t;
    size_t nmod = b->nmod;
    int rc, noise_disagree = 0;
    for (size_t g = 0; g < b->nreg; g++)
        b->nlo[g] = b->nhi[g] = NAN;
    for (size_t i = 0; i < t->nrows; i++) {
        if (!b->use[i])
            continue;
        long g = strset_find(&b->regions, bract_table_cell(t, i, b->crdm));
        if (g < 0)
            continue;
        size_t m = (size_t)strset_find(&b->models, bract_table_cell(t, i, b->cmodel));
        size_t k = (size_t)g * nmod + m;
        cell *ce = &b->cells[k];
        if (rowof[k])
            return bract_error(BRACT_EDATA, "%s:%zu: a second row for region '%s' and model "
                               "'%s' (first at line %zu)", t->path, t->line[i],
                               b->regions.s[g], b->models.s[m], t->line[rowof[k] - 1]);
        rowof[k] = i + 1;
        ce->have = 1;
        ce->lo = ce->hi = ce->p = NAN;
        if ((rc = bract_table_double(t, i, b->cr, &ce->r)) ||
            (b->clo >= 0 && (rc = bract_table_double(t, i, (size_t)b->clo, &ce->lo))) ||
            (b->chi >= 0 && (rc = bract_table_double(t, i, (size_t)b->chi, &ce->hi))) ||
            (b->cp >= 0 && (rc = bract_table_double(t, i, (size_t)b->cp, &ce->p))) ||
            (b->cnl >= 0 && (rc = read_noise(b, i, (size_t)g, &noise_disagree))))
            return rc;
    }
    if (noise_disagree)
        bract_warn("%s: the noise ceiling of a region differs between its models; the first "
                   "model's is drawn", t->path);
    return BRACT_OK;
}

/* The value range shared by the panels, and the value axis' label. */
static int value_range(bars *b)
{
    const bract_plot_opts *opts = b->opts;
    double lo = 0, hi = 0;
    for (size_t k = 0; k < b->nreg * b->nmod; k++) {
        const cell *ce = &b->cells[k];
        if (!ce->have)
            continue;
        double v[3] = {ce->r, ce->lo, ce->hi};
        for (int q = 0; q < 3; q++)
            if (isfinite(v[q])) {
                lo = fmin(lo, v[q]);
                hi = fmax(hi, v[q]);
            }
    }
    for (size_t g = 0; g < b->nreg; g++)
        if (isfinite(b->nlo[g])) {
            lo = fmin(lo, fmin(b->nlo[g], b->nhi[g]));
            hi = fmax(hi, fmax(b->nlo[g], b->nhi[g]));
        }
    if (!(hi > lo))
        hi = lo + 1;
    double pad = 0.1 * (hi - lo);
    hi += pad; /* room for the marks */
    if (lo < 0)
        lo -= pad;
    bract_pc_nice_range(&lo, &hi, 5);
    if (isfinite(opts->vmin))
        lo = opts->vmin;
    if (isfinite(opts->vmax))
        hi = opts->vmax;
    if (!(hi > lo))
        return bract_error(BRACT_EINVAL, "the value range %g to %g is empty", lo, hi);
    b->lo = lo;
    b->hi = hi;
    char mb[96];
    if (opts->units)
        snprintf(b->ylab, sizeof b->ylab, "%s", opts->units);
    else if (b->method)
        snprintf(b->ylab, sizeof b->ylab, "RSA (%s)", method_label(b->method, mb, sizeof mb));
    else
        snprintf(b->ylab, sizeof b->ylab, "RSA (r)");
    return BRACT_OK;
}

/* Text sizes: model labels decide the bottom margin. */
static int measure(const bars *b, layout *L)
{
    pc_t m;
    int rc;
    if ((rc = bract_pc_open_measure(&m, b->opts)))
        return rc;
    L->fs = m.fs;
    L->tick_fs = L->fs * 0.9;
    L->labw = 0;
    L->mw = bract_xmalloc(b->nmod, sizeof *L->mw, "label widths");
    if (!L->mw) {
        bract_pc_abort(&m);
        return BRACT_ENOMEM;
    }
    for (size_t j = 0; j < b->nmod; j++) {
        bract_pc_text_size(&m, b->models.s[j], L->tick_fs, 0, 150, &L->mw[j], NULL);
        L->labw = fmax(L->labw, L->mw[j]);
    }
    bract_pc_text_size(&m, "Ag", L->fs, 0, 0, NULL, &L->lh);
    bract_pc_text_size(&m, "\xe2\x88\x92" "0.00", L->tick_fs, 0, 0, &L->yticw, NULL);
    bract_pc_abort(&m);
    return BRACT_OK;
}

/* Rows of the legend: swatch, name, space; as many per row as fit. */
static size_t legend_rows(const bars *b, const layout *L)
{
    double x = 0;
    size_t lrows = 1;
    for (size_t j = 0; j < b->nmod; j++) {
        double iw = 10 + 4 + L->mw[j] + 16;
        if (x > 0 && x + iw > L->W - 20) {
            lrows++;
            x = 0;
        }
        x += iw;
    }
    return lrows;
}

/* The figure's size, the panel grid and whether names need a legend. */
static int plan_layout(const bars *b, layout *L)
{
    const bract_plot_opts *opts = b->opts;
    size_t nreg = b->nreg, nmod = b->nmod;
    int rc;
    if ((rc = measure(b, L)))
        return rc;
    /* a slot per bar wide enough for its name, up to a point; longer names
     * go into a legend under the panels instead */
    double slot_pt = L->labw <= 56 ? fmax(28, L->labw + 8) : 30;
    double pw = fmax(110, slot_pt * (double)nmod + 16);
    double ph = 150;
    L->gap_w = 22;
    L->head_h = L->lh + 6;
    L->foot_h = 14;
    L->nc = (size_t)fmax(1, fmin((double)nreg, floor(720.0 / (pw + L->gap_w))));
    L->title = bract_pc_title_of(opts, "");
    double th = 0;
    if (*L->title) {
        pc_t m2;
        if ((rc = bract_pc_open_measure(&m2, opts)))
            return rc;
        bract_pc_text_size(&m2, L->title, L->fs * 1.2, PC_BOLD, 0, NULL, &th);
        bract_pc_abort(&m2);
    }
    double title_est = *L->title ? 8 + th + 6 : 6;
    double note_h = L->lh + 10;
    L->left = 12 + L->lh + 6 + L->yticw + 6;
    double xlab_flat = L->lh + 6;
    if (opts->width > 0 && opts->height > 0)
        L->nc = bract_pc_grid_cols(nreg, opts->width * 72 - L->left - 10,
                                   opts->height * 72 - title_est - 2 * note_h,
                                   (pw + L->gap_w) / (ph + L->head_h + xlab_flat + L->foot_h));
    L->nr = (nreg + L->nc - 1) / L->nc;
    L->W = opts->width > 0 ? opts->width * 72 : L->left + (double)L->nc * (pw + L->gap_w) + 4;
    double final_slot = ((L->W - L->left - 4) / (double)L->nc - L->gap_w) / (double)nmod;
    L->legend = L->labw > 0.92 * final_slot;
    L->xlab_h = L->legend ? 4 : xlab_flat;
    double legend_h = L->legend ? (double)legend_rows(b, L) * (L->lh + 4) + 4 : 0;
    L->cap_h = note_h + legend_h;
    L->H = opts->height > 0
               ? opts->height * 72
               : title_est + (double)L->nr * (L->head_h + ph + L->xlab_h + L->foot_h) + L->cap_h;
    return BRACT_OK;
}

/* The bar of model j in box bx (slot `slot` wide), its interval and mark. */
static void draw_bar(pc_t *c, const bars *b, const layout *L, const pc_box *bx, size_t g,
                     size_t j)
{
    cairo_t *cr = c->cr;
    const bract_plot_opts *opts = b->opts;
    double lo = b->lo, hi = b->hi, fs = L->fs;
    const cell *ce = &b->cells[g * b->nmod + j];
    double slot = bx->w / (double)b->nmod, bw = 0.68 * slot;
    double xc = bx->x + ((double)j + 0.5) * slot;
    if (!ce->have || !isfinite(ce->r)) {
        bract_pc_color(c, PC_SOFT);
        bract_pc_text(c, "n/a", xc, pc_by(bx, fmax(lo, fmin(0, hi))) - 2, L->tick_fs * 0.9, 0,
                      0.5, 1, 0, slot);
        return;
    }
    double base = fmin(fmax(0, lo), hi);
    double y0 = pc_by(bx, base), y1 = pc_by(bx, fmin(fmax(ce->r, lo), hi));
    bract_pc_color(c, bract_pc_category(j));
    cairo_rectangle(cr, xc - bw / 2, fmin(y0, y1), bw, fabs(y1 - y0));
    cairo_fill(cr);
    c->fig->ncells++;
    double top = ce->r, bottom = ce->r;
    if (isfinite(ce->lo) && isfinite(ce->hi)) {
        double a = pc_by(bx, fmin(fmax(ce->lo, lo), hi));
        double z = pc_by(bx, fmin(fmax(ce->hi, lo), hi));
        bract_pc_color(c, PC_INK);
        cairo_set_line_width(cr, 0.8);
        cairo_move_to(cr, xc, a);
        cairo_line_to(cr, xc, z);
        cairo_move_to(cr, xc - bw * 0.22, a);
        cairo_line_to(cr, xc + bw * 0.22, a);
        cairo_move_to(cr, xc - bw * 0.22, z);
        cairo_line_to(cr, xc + bw * 0.22, z);
        cairo_stroke(cr);
        top = fmax(top, fmax(ce->lo, ce->hi));
        bottom = fmin(bottom, fmin(ce->lo, ce->hi));
    }
    if (b->cp >= 0 && isfinite(ce->p) && ce->p < opts->alpha) {
        bract_pc_color(c, PC_INK);
        if (ce->r >= 0)
            bract_pc_text(c, "*", xc, pc_by(bx, fmin(top, hi)) - 1, fs * 1.4, PC_BOLD, 0.5, 0.8, 0,
                          0);
        else
            bract_pc_text(c, "*", xc, pc_by(bx, fmax(bottom, lo)) + 1, fs * 1.4, PC_BOLD, 0.5,
                          0.05, 0, 0);
    }
}

/* The panel grid: cells of cellw x cellh under the title, panels of pw x ph. */
typedef struct {
    double top, cellw, cellh, pw, ph;
} grid;

/* Panel g. */
static int draw_panel(pc_t *c, const bars *b, const layout *L, const grid *G, size_t g)
{
    cairo_t *cr = c->cr;
    double lo = b->lo, hi = b->hi, cellw = G->cellw;
    size_t nmod = b->nmod, col = g % L->nc, row = g / L->nc;
    double px = L->left + (double)col * cellw, py = G->top + (double)row * G->cellh;
    pc_box bx = {px, py + L->head_h, G->pw, G->ph, 0, (double)nmod, lo, hi};
    bract_pc_color(c, PC_INK);
    bract_pc_text(c, b->regions.s[g], bx.x + bx.w / 2, py, L->fs, 0, 0.5, 0, 0, cellw);
    /* noise ceiling behind the bars */
    if (isfinite(b->nlo[g])) {
        double y1 = pc_by(&bx, fmax(b->nlo[g], b->nhi[g]));
        double y2 = pc_by(&bx, fmin(b->nlo[g], b->nhi[g]));
        bract_pc_color_a(c, 0x999999, 0.35);
        cairo_rectangle(cr, bx.x, y1, bx.w, fmax(y2 - y1, 0.6));
        cairo_fill(cr);
    }
    if (lo < 0 && hi > 0) {
        bract_pc_color(c, 0x888888);
        cairo_set_line_width(cr, 0.5);
        cairo_move_to(cr, bx.x, pc_by(&bx, 0));
        cairo_line_to(cr, bx.x + bx.w, pc_by(&bx, 0));
        cairo_stroke(cr);
    }
    for (size_t j = 0; j < nmod; j++)
        draw_bar(c, b, L, &bx, g, j);
    bract_pc_axis_left(c, &bx, 5, b->ylab, col == 0);
    /* model names under the bars */
    double slot = bx.w / (double)nmod;
    bract_pc_color(c, PC_INK);
    cairo_set_line_width(cr, 0.6);
    cairo_move_to(cr, bx.x, bx.y + bx.h);
    cairo_line_to(cr, bx.x + bx.w, bx.y + bx.h);
    cairo_stroke(cr);
    for (size_t j = 0; j < nmod && !L->legend; j++)
        bract_pc_text(c, b->models.s[j], bx.x + ((double)j + 0.5) * slot, bx.y + bx.h + 4,
                      L->tick_fs, 0, 0.5, 0, 0, slot);
    return bract_pc_add_panel(c, &bx);
}

/* The legend: model colours, rows centred. */
static void draw_legend(pc_t *c, const bars *b, const layout *L)
{
    cairo_t *cr = c->cr;
    double lh = L->lh, y = c->h - L->cap_h + 4;
    size_t j = 0, nmod = b->nmod;
    while (j < nmod) {
        size_t k = j;
        double roww = 0;
        while (k < nmod && (k == j || roww + 30 + L->mw[k] <= c->w - 20)) {
            roww += 30 + L->mw[k];
            k++;
        }
        double x = (c->w - roww + 16) / 2;
        for (; j < k; j++) {
            bract_pc_color(c, bract_pc_category(j));
            cairo_rectangle(cr, x, y + (lh - 9) / 2, 9, 9);
            cairo_fill(cr);
            bract_pc_color(c, PC_INK);
            bract_pc_text(c, b->models.s[j], x + 13, y + lh / 2, L->tick_fs, 0, 0, 0.5, 0, 150);
            x += 30 + L->mw[j];
        }
        y += lh + 4;
    }
}

/* What the marks mean, under everything. */
static void draw_note(pc_t *c, const bars *b, const layout *L)
{
    bract_buf note = {0};
    if (b->clo >= 0)
        bract_buf_printf(&note, "Error bars: ci_low to ci_high.");
    if (b->cp >= 0) {
        char a[32];
        bract_pc_fmt_sig(a, sizeof a, b->opts->alpha, 3);
        bract_buf_printf(&note, "%s* %s < %s.", note.len ? "   " : "", b->pname, a);
    }
    if (b->cnl >= 0)
        bract_buf_printf(&note, "%sGrey band: noise ceiling.", note.len ? "   " : "");
    if (note.len) {
        bract_pc_color(c, PC_SOFT);
        bract_pc_text(c, note.data, c->w / 2, c->h - 6, L->fs * 0.85, 0, 0.5, 1, 0, c->w - 20);
    }
    bract_buf_free(&note);
}

/* Draw the chart planned in L. */
static int draw(const bars *b, const layout *L, bract_plot_figure *out)
{
    pc_t c;
    int rc;
    if ((rc = bract_pc_open(&c, b->opts, L->W / 72, L->H / 72, out)))
        return rc;
    grid G;
    G.top = bract_pc_title(&c, L->title);
    /* fit the panels into the figure */
    G.cellw = (c.w - L->left - 4) / (double)L->nc;
    G.cellh = (c.h - G.top - L->cap_h) / (double)L->nr;
    G.pw = G.cellw - L->gap_w;
    G.ph = G.cellh - L->head_h - L->xlab_h - L->foot_h;
    if (G.pw < 40 || G.ph < 40)
        rc = bract_error(BRACT_EINVAL, "a %g x %g inch figure is too small for %zu panels of "
                         "%zu bars", L->W / 72, L->H / 72, b->nreg, b->nmod);
    for (size_t g = 0; g < b->nreg && !rc; g++)
        rc = draw_panel(&c, b, L, &G, g);
    if (rc) {
        bract_pc_abort(&c);
        return rc;
    }
    if (L->legend)
        draw_legend(&c, b, L);
    draw_note(&c, b, L);
    return bract_pc_close(&c);
}

int bract_plot_bars(const bract_table *t, const bract_plot_opts *opts, bract_plot_figure *out)
{
    int rc = bract_pc_check_opts(opts, out);
    if (rc)
        return rc;
    bars b;
    memset(&b, 0, sizeof b);
    b.t = t;
    b.opts = opts;
    layout L;
    memset(&L, 0, sizeof L);
    if ((rc = find_columns(&b)))
        return rc;
    if (!(b.use = bract_xcalloc(t->nrows + 1, 1, "row flags")))
        return BRACT_ENOMEM;
    if (!(rc = select_levels(&b)) && !(rc = select_method(&b)) && !(rc = select_regions(&b))) {
        size_t n = b.nreg * b.nmod;
        b.cells = bract_xcalloc(n, sizeof *b.cells, "bar values");
        b.nlo = bract_xmalloc(b.nreg, sizeof *b.nlo, "noise ceilings");
        b.nhi = bract_xmalloc(b.nreg, sizeof *b.nhi, "noise ceilings");
        size_t *rowof = bract_xcalloc(n, sizeof *rowof, "bar rows");
        rc = !b.cells || !b.nlo || !b.nhi || !rowof ? BRACT_ENOMEM : read_cells(&b, rowof);
        free(rowof);
    }
    if (!rc && !(rc = value_range(&b)) && !(rc = plan_layout(&b, &L)))
        rc = draw(&b, &L, out);
    free(L.mw);
    bars_free(&b);
    return rc;
}
