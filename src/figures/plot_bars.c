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

int bract_plot_bars(const bract_table *t, const bract_plot_opts *opts, bract_figure *out)
{
    int rc0 = bract_pc_check_opts(opts, out);
    if (rc0)
        return rc0;
    size_t crdm, cmodel, cr;
    int rc;
    if ((rc = bract_table_require(t, "rdm", &crdm)) ||
        (rc = bract_table_require(t, "model", &cmodel)) || (rc = bract_table_require(t, "r", &cr)))
        return rc;
    long cmethod = bract_table_find(t, "method"), clo, chi, cnl, cnu;
    if ((rc = optional_pair(t, "ci_low", "ci_high", &clo, &chi)) ||
        (rc = optional_pair(t, "noise_lower", "noise_upper", &cnl, &cnu)))
        return rc;
    long cp = -1;
    const char *pname = NULL;
    switch (opts->sig) {
    case BRACT_SIG_AUTO:
        if ((cp = bract_table_find(t, "p_fdr")) >= 0)
            pname = "p_fdr";
        else if ((cp = bract_table_find(t, "p")) >= 0)
            pname = "p";
        break;
    case BRACT_SIG_P:
    case BRACT_SIG_PFDR: {
        size_t col;
        pname = opts->sig == BRACT_SIG_P ? "p" : "p_fdr";
        if ((rc = bract_table_require(t, pname, &col)))
            return rc;
        cp = (long)col;
        break;
    }
    default: break;
    }
    if (!(opts->alpha > 0 && opts->alpha < 1) && cp >= 0)
        return bract_error(BRACT_EINVAL, "significance level %g is not between 0 and 1",
                           opts->alpha);

    strset methods = {0}, regions = {0}, models = {0};
    unsigned char *use = bract_xcalloc(t->nrows + 1, 1, "row flags");
    cell *cells = NULL;
    double *nlo = NULL, *nhi = NULL, *mw = NULL;
    pc_t c;
    int open = 0;
    if (!use)
        return BRACT_ENOMEM;
    /* rows of bract rsa's output that are not bars: pairwise comparisons
     * (model_b set), and subject rows when the table has group rows */
    long cmb = bract_table_find(t, "model_b"), clevel = bract_table_find(t, "level");
    long csub = bract_table_find(t, "subject");
    int has_group = 0;
    for (size_t i = 0; i < t->nrows; i++) {
        use[i] = cmb < 0 || bract_cell_missing(bract_table_cell(t, i, (size_t)cmb));
        if (use[i] && clevel >= 0 && strcmp(bract_table_cell(t, i, (size_t)clevel), "group") == 0)
            has_group = 1;
    }
    for (size_t i = 0; i < t->nrows && has_group; i++)
        if (strcmp(bract_table_cell(t, i, (size_t)clevel), "group") != 0)
            use[i] = 0;
    if (!has_group && csub >= 0) {
        const char *first = NULL;
        for (size_t i = 0; i < t->nrows; i++) {
            const char *sb = bract_table_cell(t, i, (size_t)csub);
            if (!use[i] || bract_cell_missing(sb))
                continue;
            if (first && strcmp(first, sb) != 0) {
                rc = bract_error(BRACT_EDATA, "%s holds rows of several subjects ('%s', '%s', "
                                 "...) and no group rows: one chart needs one value per region "
                                 "and model (bract rsa --group adds group rows)", t->path, first,
                                 sb);
                goto done;
            }
            first = sb;
        }
    }
    /* rows of one method */
    if (cmethod >= 0)
        for (size_t i = 0; i < t->nrows; i++)
            if (use[i] && (rc = strset_add(&methods, bract_table_cell(t, i, (size_t)cmethod))))
                goto done;
    if (opts->method && cmethod < 0) {
        rc = bract_error(BRACT_EFORMAT, "%s: no column 'method' to choose method '%s' from",
                         t->path, opts->method);
        goto done;
    }
    if (opts->method && strset_find(&methods, opts->method) < 0) {
        bract_buf b = {0};
        strset_list(&b, &methods);
        rc = bract_error(BRACT_EDATA, "%s: no rows of method '%s' (its methods: %s)", t->path,
                         opts->method, b.data ? b.data : "none");
        bract_buf_free(&b);
        goto done;
    }
    if (!opts->method && methods.n > 1) {
        bract_buf b = {0};
        strset_list(&b, &methods);
        rc = bract_error(BRACT_EDATA, "%s holds results of %zu methods (%s): choose one",
                         t->path, methods.n, b.data ? b.data : "");
        bract_buf_free(&b);
        goto done;
    }
    const char *method = opts->method ? opts->method : methods.n == 1 ? methods.s[0] : NULL;
    for (size_t i = 0; i < t->nrows; i++)
        if (use[i] && method && strcmp(bract_table_cell(t, i, (size_t)cmethod), method) != 0)
            use[i] = 0;
    for (size_t i = 0; i < t->nrows; i++)
        if (use[i] && ((rc = strset_add(&regions, bract_table_cell(t, i, crdm))) ||
                       (rc = strset_add(&models, bract_table_cell(t, i, cmodel)))))
            goto done;
    if (regions.n == 0) {
        rc = bract_error(BRACT_EDATA, "%s: no results to draw", t->path);
        goto done;
    }
    /* the regions to draw */
    strset shown = {0};
    if (opts->select && opts->nselect) {
        for (size_t k = 0; k < opts->nselect; k++) {
            long j = strset_find(&regions, opts->select[k]);
            if (j < 0) {
                bract_buf b = {0};
                strset_list(&b, &regions);
                rc = bract_error(BRACT_EDATA, "%s: no region (rdm) named '%s' (its regions: %s)",
                                 t->path, opts->select[k], b.data ? b.data : "");
                bract_buf_free(&b);
                free(shown.s);
                goto done;
            }
            if ((rc = strset_add(&shown, regions.s[j]))) {
                free(shown.s);
                goto done;
            }
        }
        free(regions.s);
        regions = shown;
    }
    size_t nreg = regions.n, nmod = models.n;
    if (nreg > 48) {
        rc = bract_error(BRACT_EDATA, "%s holds %zu regions: a bar chart shows at most 48; "
                         "choose some", t->path, nreg);
        goto done;
    }
    cells = bract_xcalloc(nreg * nmod, sizeof *cells, "bar values");
    nlo = bract_xmalloc(nreg, sizeof *nlo, "noise ceilings");
    nhi = bract_xmalloc(nreg, sizeof *nhi, "noise ceilings");
    size_t *rowof = bract_xcalloc(nreg * nmod, sizeof *rowof, "bar rows");
    if (!cells || !nlo || !nhi || !rowof) {
        free(rowof);
        rc = BRACT_ENOMEM;
        goto done;
    }
    for (size_t g = 0; g < nreg; g++)
        nlo[g] = nhi[g] = NAN;
    int noise_disagree = 0;
    for (size_t i = 0; i < t->nrows; i++) {
        if (!use[i])
            continue;
        long g = strset_find(&regions, bract_table_cell(t, i, crdm));
        if (g < 0)
            continue;
        size_t m = (size_t)strset_find(&models, bract_table_cell(t, i, cmodel));
        cell *ce = &cells[(size_t)g * nmod + m];
        if (rowof[(size_t)g * nmod + m]) {
            rc = bract_error(BRACT_EDATA, "%s:%zu: a second row for region '%s' and model '%s' "
                             "(first at line %zu)", t->path, t->line[i], regions.s[g],
                             models.s[m], t->line[rowof[(size_t)g * nmod + m] - 1]);
            free(rowof);
            goto done;
        }
        rowof[(size_t)g * nmod + m] = i + 1;
        ce->have = 1;
        ce->lo = ce->hi = ce->p = NAN;
        if ((rc = bract_table_double(t, i, cr, &ce->r)) ||
            (clo >= 0 && (rc = bract_table_double(t, i, (size_t)clo, &ce->lo))) ||
            (chi >= 0 && (rc = bract_table_double(t, i, (size_t)chi, &ce->hi))) ||
            (cp >= 0 && (rc = bract_table_double(t, i, (size_t)cp, &ce->p)))) {
            free(rowof);
            goto done;
        }
        if (cnl >= 0) {
            double a, b;
            if ((rc = bract_table_double(t, i, (size_t)cnl, &a)) ||
                (rc = bract_table_double(t, i, (size_t)cnu, &b))) {
                free(rowof);
                goto done;
            }
            if (isfinite(a) && isfinite(b)) {
                if (isnan(nlo[g])) {
                    nlo[g] = a;
                    nhi[g] = b;
                } else if (fabs(nlo[g] - a) > 1e-9 * fmax(1, fabs(a)) ||
                           fabs(nhi[g] - b) > 1e-9 * fmax(1, fabs(b))) {
                    noise_disagree = 1;
                }
            }
        }
    }
    free(rowof);
    if (noise_disagree)
        bract_warn("%s: the noise ceiling of a region differs between its models; the first "
                   "model's is drawn", t->path);

    /* value range, shared by the panels */
    double lo = 0, hi = 0;
    for (size_t k = 0; k < nreg * nmod; k++) {
        const cell *ce = &cells[k];
        if (!ce->have)
            continue;
        double v[3] = {ce->r, ce->lo, ce->hi};
        for (int q = 0; q < 3; q++)
            if (isfinite(v[q])) {
                lo = fmin(lo, v[q]);
                hi = fmax(hi, v[q]);
            }
    }
    for (size_t g = 0; g < nreg; g++)
        if (isfinite(nlo[g])) {
            lo = fmin(lo, fmin(nlo[g], nhi[g]));
            hi = fmax(hi, fmax(nlo[g], nhi[g]));
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
    if (!(hi > lo)) {
        rc = bract_error(BRACT_EINVAL, "the value range %g to %g is empty", lo, hi);
        goto done;
    }

    char ylab[160], mb[96];
    if (opts->units)
        snprintf(ylab, sizeof ylab, "%s", opts->units);
    else if (method)
        snprintf(ylab, sizeof ylab, "RSA (%s)", method_label(method, mb, sizeof mb));
    else
        snprintf(ylab, sizeof ylab, "RSA (r)");

    /* measure: model labels decide the bottom margin */
    pc_t m;
    if ((rc = bract_pc_open_measure(&m, opts)))
        goto done;
    double fs = m.fs, tick_fs = fs * 0.9, labw = 0, lh, yticw;
    mw = bract_xmalloc(nmod, sizeof *mw, "label widths");
    if (!mw) {
        bract_pc_abort(&m);
        rc = BRACT_ENOMEM;
        goto done;
    }
    for (size_t j = 0; j < nmod; j++) {
        bract_pc_text_size(&m, models.s[j], tick_fs, 0, 150, &mw[j], NULL);
        labw = fmax(labw, mw[j]);
    }
    bract_pc_text_size(&m, "Ag", fs, 0, 0, NULL, &lh);
    bract_pc_text_size(&m, "\xe2\x88\x92" "0.00", tick_fs, 0, 0, &yticw, NULL);
    bract_pc_abort(&m);
    /* a slot per bar wide enough for its name, up to a point; longer names
     * go into a legend under the panels instead */
    double slot_pt = labw <= 56 ? fmax(28, labw + 8) : 30;
    double pw = fmax(110, slot_pt * (double)nmod + 16);
    double ph = 150;
    double gap_w = 22, head_h = lh + 6, foot_h = 14;
    size_t nc = (size_t)fmax(1, fmin((double)nreg, floor(720.0 / (pw + gap_w))));
    const char *title = bract_pc_title_of(opts, "");
    double title_h = 0, th = 0;
    if (*title) {
        pc_t m2;
        if ((rc = bract_pc_open_measure(&m2, opts)))
            goto done;
        bract_pc_text_size(&m2, title, fs * 1.2, PC_BOLD, 0, NULL, &th);
        bract_pc_abort(&m2);
    }
    double title_est = *title ? 8 + th + 6 : 6;
    double note_h = lh + 10;
    double left = 12 + lh + 6 + yticw + 6;
    double xlab_flat = lh + 6;
    if (opts->width > 0 && opts->height > 0)
        nc = bract_pc_grid_cols(nreg, opts->width * 72 - left - 10,
                                opts->height * 72 - title_est - 2 * note_h,
                                (pw + gap_w) / (ph + head_h + xlab_flat + foot_h));
    size_t nr = (nreg + nc - 1) / nc;
    double W = opts->width > 0 ? opts->width * 72 : left + (double)nc * (pw + gap_w) + 4;
    double final_slot = ((W - left - 4) / (double)nc - gap_w) / (double)nmod;
    int legend = labw > 0.92 * final_slot;
    double xlab_h = legend ? 4 : xlab_flat;
    /* legend rows: swatch, name, space; as many per row as fit */
    size_t lrows = 0;
    if (legend) {
        double x = 0;
        lrows = 1;
        for (size_t j = 0; j < nmod; j++) {
            double iw = 10 + 4 + mw[j] + 16;
            if (x > 0 && x + iw > W - 20) {
                lrows++;
                x = 0;
            }
            x += iw;
        }
    }
    double legend_h = legend ? (double)lrows * (lh + 4) + 4 : 0;
    double cap_h = note_h + legend_h;
    double H = opts->height > 0 ? opts->height * 72
                                : title_est + (double)nr * (head_h + ph + xlab_h + foot_h) + cap_h;
    if ((rc = bract_pc_open(&c, opts, W / 72, H / 72, out)))
        goto done;
    open = 1;
    title_h = bract_pc_title(&c, title);
    /* fit the panels into the figure */
    double cellw = (c.w - left - 4) / (double)nc;
    double cellh = (c.h - title_h - cap_h) / (double)nr;
    pw = cellw - gap_w;
    ph = cellh - head_h - xlab_h - foot_h;
    if (pw < 40 || ph < 40) {
        rc = bract_error(BRACT_EINVAL, "a %g x %g inch figure is too small for %zu panels of "
                         "%zu bars", W / 72, H / 72, nreg, nmod);
        goto done;
    }
    cairo_t *cr2 = c.cr;
    for (size_t g = 0; g < nreg; g++) {
        size_t col = g % nc, row = g / nc;
        double px = left + (double)col * cellw, py = title_h + (double)row * cellh;
        pc_box b = {px, py + head_h, pw, ph, 0, (double)nmod, lo, hi};
        bract_pc_color(&c, PC_INK);
        bract_pc_text(&c, regions.s[g], b.x + b.w / 2, py, fs, 0, 0.5, 0, 0, cellw);
        /* noise ceiling behind the bars */
        if (isfinite(nlo[g])) {
            double y1 = pc_by(&b, fmax(nlo[g], nhi[g])), y2 = pc_by(&b, fmin(nlo[g], nhi[g]));
            bract_pc_color_a(&c, 0x999999, 0.35);
            cairo_rectangle(cr2, b.x, y1, b.w, fmax(y2 - y1, 0.6));
            cairo_fill(cr2);
        }
        if (lo < 0 && hi > 0) {
            bract_pc_color(&c, 0x888888);
            cairo_set_line_width(cr2, 0.5);
            cairo_move_to(cr2, b.x, pc_by(&b, 0));
            cairo_line_to(cr2, b.x + b.w, pc_by(&b, 0));
            cairo_stroke(cr2);
        }
        double slot = b.w / (double)nmod, bw = 0.68 * slot;
        for (size_t j = 0; j < nmod; j++) {
            const cell *ce = &cells[g * nmod + j];
            double xc = b.x + ((double)j + 0.5) * slot;
            if (!ce->have || !isfinite(ce->r)) {
                bract_pc_color(&c, PC_SOFT);
                bract_pc_text(&c, "n/a", xc, pc_by(&b, fmax(lo, fmin(0, hi))) - 2, tick_fs * 0.9, 0,
                        0.5, 1, 0, slot);
                continue;
            }
            double base = fmin(fmax(0, lo), hi);
            double y0 = pc_by(&b, base), y1 = pc_by(&b, fmin(fmax(ce->r, lo), hi));
            bract_pc_color(&c, bract_pc_category(j));
            cairo_rectangle(cr2, xc - bw / 2, fmin(y0, y1), bw, fabs(y1 - y0));
            cairo_fill(cr2);
            c.fig->ncells++;
            double top = ce->r, bottom = ce->r;
            if (isfinite(ce->lo) && isfinite(ce->hi)) {
                double a = pc_by(&b, fmin(fmax(ce->lo, lo), hi));
                double z = pc_by(&b, fmin(fmax(ce->hi, lo), hi));
                bract_pc_color(&c, PC_INK);
                cairo_set_line_width(cr2, 0.8);
                cairo_move_to(cr2, xc, a);
                cairo_line_to(cr2, xc, z);
                cairo_move_to(cr2, xc - bw * 0.22, a);
                cairo_line_to(cr2, xc + bw * 0.22, a);
                cairo_move_to(cr2, xc - bw * 0.22, z);
                cairo_line_to(cr2, xc + bw * 0.22, z);
                cairo_stroke(cr2);
                top = fmax(top, fmax(ce->lo, ce->hi));
                bottom = fmin(bottom, fmin(ce->lo, ce->hi));
            }
            if (cp >= 0 && isfinite(ce->p) && ce->p < opts->alpha) {
                bract_pc_color(&c, PC_INK);
                if (ce->r >= 0)
                    bract_pc_text(&c, "*", xc, pc_by(&b, fmin(top, hi)) - 1, fs * 1.4, PC_BOLD, 0.5,
                            0.8, 0, 0);
                else
                    bract_pc_text(&c, "*", xc, pc_by(&b, fmax(bottom, lo)) + 1, fs * 1.4, PC_BOLD,
                            0.5, 0.05, 0, 0);
            }
        }
        bract_pc_axis_left(&c, &b, 5, ylab, col == 0);
        /* model names under the bars */
        bract_pc_color(&c, PC_INK);
        cairo_set_line_width(cr2, 0.6);
        cairo_move_to(cr2, b.x, b.y + b.h);
        cairo_line_to(cr2, b.x + b.w, b.y + b.h);
        cairo_stroke(cr2);
        for (size_t j = 0; j < nmod && !legend; j++)
            bract_pc_text(&c, models.s[j], b.x + ((double)j + 0.5) * slot, b.y + b.h + 4, tick_fs,
                          0, 0.5, 0, 0, slot);
        if ((rc = bract_pc_add_panel(&c, &b)))
            goto done;
    }
    /* the legend: model colours, rows centred */
    if (legend) {
        double y = c.h - cap_h + 4;
        size_t j = 0;
        while (j < nmod) {
            size_t k = j;
            double roww = 0;
            while (k < nmod && (k == j || roww + 30 + mw[k] <= c.w - 20)) {
                roww += 30 + mw[k];
                k++;
            }
            double x = (c.w - roww + 16) / 2;
            for (; j < k; j++) {
                bract_pc_color(&c, bract_pc_category(j));
                cairo_rectangle(cr2, x, y + (lh - 9) / 2, 9, 9);
                cairo_fill(cr2);
                bract_pc_color(&c, PC_INK);
                bract_pc_text(&c, models.s[j], x + 13, y + lh / 2, tick_fs, 0, 0, 0.5, 0, 150);
                x += 30 + mw[j];
            }
            y += lh + 4;
        }
    }
    /* what the marks mean */
    bract_buf note = {0};
    if (clo >= 0)
        bract_buf_printf(&note, "Error bars: ci_low to ci_high.");
    if (cp >= 0) {
        char a[32];
        bract_pc_fmt_sig(a, sizeof a, opts->alpha, 3);
        bract_buf_printf(&note, "%s* %s < %s.", note.len ? "   " : "", pname, a);
    }
    if (cnl >= 0)
        bract_buf_printf(&note, "%sGrey band: noise ceiling.", note.len ? "   " : "");
    if (note.len) {
        bract_pc_color(&c, PC_SOFT);
        bract_pc_text(&c, note.data, c.w / 2, c.h - 6, fs * 0.85, 0, 0.5, 1, 0, c.w - 20);
    }
    bract_buf_free(&note);
    rc = bract_pc_close(&c);
    open = 0;
done:
    if (open)
        bract_pc_abort(&c);
    free(use);
    free(cells);
    free(nlo);
    free(nhi);
    free(mw);
    free(methods.s);
    free(regions.s);
    free(models.s);
    return rc;
}
