/* Intrinsic timescale against a hierarchy index: points, the least-squares
 * line and Spearman's rho (see bract/plot.h). */
#include "figures/plot_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bract/stats.h"

/* Row of each region of `a` in `b` (-1 if absent); duplicate names are an
 * error naming both lines. */
static int match_rows(const bract_table *a, size_t ca, const bract_table *b, size_t cb, long *row)
{
    for (size_t i = 0; i < a->nrows; i++)
        for (size_t j = i + 1; j < a->nrows; j++)
            if (strcmp(bract_table_cell(a, i, ca), bract_table_cell(a, j, ca)) == 0)
                return bract_error(BRACT_EDATA, "%s:%zu: region '%s' again (first at line %zu)",
                                   a->path, a->line[j], bract_table_cell(a, j, ca), a->line[i]);
    for (size_t i = 0; i < a->nrows; i++) {
        row[i] = -1;
        for (size_t j = 0; j < b->nrows; j++)
            if (strcmp(bract_table_cell(a, i, ca), bract_table_cell(b, j, cb)) == 0) {
                row[i] = (long)j;
                break;
            }
    }
    return BRACT_OK;
}

/* The joined finite pairs: x = hierarchy value, y = tau (caller frees). */
static int joined(const bract_table *tau, const bract_table *hier, double **xo, double **yo,
                  bract_scatter_fit *fit)
{
    size_t cr1, ct, cr2, cv;
    int rc;
    memset(fit, 0, sizeof *fit);
    *xo = *yo = NULL;
    if ((rc = bract_table_require(tau, "region", &cr1)) ||
        (rc = bract_table_require(tau, "tau_s", &ct)) ||
        (rc = bract_table_require(hier, "region", &cr2)) ||
        (rc = bract_table_require(hier, "value", &cv)))
        return rc;
    long *r1 = bract_xmalloc(tau->nrows + 1, sizeof *r1, "region matches");
    long *r2 = bract_xmalloc(hier->nrows + 1, sizeof *r2, "region matches");
    double *x = bract_xmalloc(tau->nrows + 1, sizeof *x, "hierarchy values");
    double *y = bract_xmalloc(tau->nrows + 1, sizeof *y, "timescales");
    if (!r1 || !r2 || !x || !y) {
        rc = BRACT_ENOMEM;
        goto fail;
    }
    if ((rc = match_rows(tau, cr1, hier, cr2, r1)) || (rc = match_rows(hier, cr2, tau, cr1, r2)))
        goto fail;
    for (size_t j = 0; j < hier->nrows; j++)
        if (r2[j] < 0)
            fit->unmatched++;
    for (size_t i = 0; i < tau->nrows; i++) {
        if (r1[i] < 0) {
            fit->unmatched++;
            continue;
        }
        double a, b;
        if ((rc = bract_table_double(tau, i, ct, &b)) ||
            (rc = bract_table_double(hier, (size_t)r1[i], cv, &a)))
            goto fail;
        if (!isfinite(a) || !isfinite(b)) {
            fit->nonfinite++;
            continue;
        }
        x[fit->n] = a;
        y[fit->n] = b;
        fit->n++;
    }
    if (fit->n < 3) {
        rc = bract_error(BRACT_EDATA, "%s and %s have %zu region%s with finite values in common: "
                         "a fit needs at least 3 (%zu unmatched, %zu missing or non-finite)",
                         tau->path, hier->path, fit->n, fit->n == 1 ? "" : "s", fit->unmatched,
                         fit->nonfinite);
        goto fail;
    }
    free(r1);
    free(r2);
    *xo = x;
    *yo = y;
    return BRACT_OK;
fail:
    free(r1);
    free(r2);
    free(x);
    free(y);
    return rc;
}

static int fit_xy(const double *x, const double *y, bract_scatter_fit *fit, const char *what)
{
    size_t n = fit->n;
    double *rw = bract_xmalloc(2 * n, sizeof *rw, "ranks");
    size_t *iw = bract_xmalloc(2 * n, sizeof *iw, "ranks");
    if (!rw || !iw) {
        free(rw);
        free(iw);
        return BRACT_ENOMEM;
    }
    fit->rho = bract_stats_spearman(x, y, n, rw, iw);
    free(rw);
    free(iw);
    double xm = bract_stats_mean(x, n), ym = bract_stats_mean(y, n), sxx = 0, sxy = 0;
    for (size_t i = 0; i < n; i++) {
        sxx += (x[i] - xm) * (x[i] - xm);
        sxy += (x[i] - xm) * (y[i] - ym);
    }
    if (!(sxx > 0) || !isfinite(fit->rho))
        return bract_error(BRACT_EDATA, "%s: the %s values are constant: no fit", what,
                           !(sxx > 0) ? "hierarchy" : "timescale");
    fit->slope = sxy / sxx;
    fit->intercept = ym - fit->slope * xm;
    /* p of rho from t = rho sqrt((n-2)/(1-rho^2)) on n-2 df, as scipy */
    double r = fit->rho;
    if (fabs(r) >= 1)
        fit->p = 0;
    else
        fit->p = bract_stats_t_pvalue(r * sqrt((double)(n - 2) / (1 - r * r)), (double)(n - 2),
                                BRACT_ALT_TWO_SIDED);
    return BRACT_OK;
}

int bract_plot_scatter_fit_tables(const bract_table *tau, const bract_table *hier,
                             bract_scatter_fit *fit)
{
    double *x, *y;
    int rc = joined(tau, hier, &x, &y, fit);
    if (rc)
        return rc;
    rc = fit_xy(x, y, fit, tau->path);
    free(x);
    free(y);
    return rc;
}

int bract_plot_scatter(const bract_table *tau, const bract_table *hier,
                       const bract_plot_opts *opts, bract_plot_figure *out)
{
    int rc0 = bract_pc_check_opts(opts, out);
    if (rc0)
        return rc0;
    bract_scatter_fit fit;
    double *x, *y;
    int rc = joined(tau, hier, &x, &y, &fit);
    if (rc)
        return rc;
    if ((rc = fit_xy(x, y, &fit, tau->path)))
        goto done;
    if (fit.unmatched || fit.nonfinite)
        bract_warn("%zu region%s in only one of %s and %s, %zu with a missing or non-finite "
                   "value: left out", fit.unmatched, fit.unmatched == 1 ? "" : "s", tau->path,
                   hier->path, fit.nonfinite);
    char stats[160], rb[32], pb[32];
    bract_pc_fmt_sig(rb, sizeof rb, fit.rho, 2);
    bract_pc_fmt_sig(pb, sizeof pb, fit.p, 2);
    snprintf(stats, sizeof stats, "Spearman \xcf\x81 = %s, p = %s (n = %zu regions)", rb, pb,
             fit.n);
    const char *title = opts->title ? opts->title : stats;
    const char *sub = opts->title ? stats : NULL;
    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    for (size_t i = 0; i < fit.n; i++) {
        xlo = fmin(xlo, x[i]);
        xhi = fmax(xhi, x[i]);
        ylo = fmin(ylo, y[i]);
        yhi = fmax(yhi, y[i]);
    }
    double px = 0.05 * (xhi - xlo), py = 0.08 * (yhi - ylo > 0 ? yhi - ylo : 1);
    xlo -= px;
    xhi += px;
    ylo -= py;
    yhi += py;
    if (isfinite(opts->vmin))
        ylo = opts->vmin;
    if (isfinite(opts->vmax))
        yhi = opts->vmax;
    if (!(yhi > ylo)) {
        rc = bract_error(BRACT_EINVAL, "the value range %g to %g is empty", ylo, yhi);
        goto done;
    }
    pc_t c;
    double W = (opts->width > 0 ? opts->width : 5.5) * 72;
    double H = (opts->height > 0 ? opts->height : 4.5) * 72;
    if ((rc = bract_pc_open(&c, opts, W / 72, H / 72, out)))
        goto done;
    double top = bract_pc_title(&c, title), lh, tw;
    bract_pc_text_size(&c, "Ag", c.fs, 0, 0, NULL, &lh);
    if (sub) {
        bract_pc_color(&c, PC_SOFT);
        bract_pc_text(&c, sub, c.w / 2, top - 4, c.fs * 0.9, 0, 0.5, 0, 0, c.w - 20);
        top += lh;
    }
    /* width of the y tick labels */
    double t[64], step, maxw = 0;
    size_t nt = bract_pc_ticks(ylo, yhi, 5, t, 64, &step);
    for (size_t i = 0; i < nt; i++) {
        char b[48];
        bract_pc_fmt(b, sizeof b, t[i], step);
        bract_pc_text_size(&c, b, c.fs * 0.9, 0, 0, &tw, NULL);
        maxw = fmax(maxw, tw);
    }
    double left = 10 + lh + 8 + maxw + 5, bottom = 5 + lh + 7 + lh + 8;
    pc_box b = {left, top + 4, c.w - left - 14, c.h - top - 4 - bottom, xlo, xhi, ylo, yhi};
    if (b.w < 40 || b.h < 40) {
        bract_pc_abort(&c);
        rc = bract_error(BRACT_EINVAL, "a %g x %g inch figure is too small for a scatter plot",
                         W / 72, H / 72);
        goto done;
    }
    cairo_t *cr = c.cr;
    const char *xl = opts->xlabel ? opts->xlabel : "hierarchy index";
    const char *yl = opts->ylabel ? opts->ylabel : "intrinsic timescale \xcf\x84 (s)";
    bract_pc_axis_left(&c, &b, 5, yl, 1);
    bract_pc_axis_bottom(&c, &b, 5, xl);
    cairo_save(cr);
    cairo_rectangle(cr, b.x, b.y, b.w, b.h);
    cairo_clip(cr);
    /* the line over the data's x range */
    bract_pc_color(&c, bract_pc_category(5));
    cairo_set_line_width(cr, 1.4);
    double x0 = xlo + px, x1 = xhi - px;
    cairo_move_to(cr, pc_bx(&b, x0), pc_by(&b, fit.intercept + fit.slope * x0));
    cairo_line_to(cr, pc_bx(&b, x1), pc_by(&b, fit.intercept + fit.slope * x1));
    cairo_stroke(cr);
    for (size_t i = 0; i < fit.n; i++) {
        cairo_arc(cr, pc_bx(&b, x[i]), pc_by(&b, y[i]), fit.n > 200 ? 2.2 : 3.2, 0, 2 * M_PI);
        bract_pc_color_a(&c, bract_pc_category(0), 0.85);
        cairo_fill_preserve(cr);
        cairo_set_source_rgb(cr, 1, 1, 1);
        cairo_set_line_width(cr, 0.5);
        cairo_stroke(cr);
    }
    cairo_restore(cr);
    c.fig->ncells = fit.n;
    char line[160], ib[32], sb[32];
    bract_pc_fmt_sig(ib, sizeof ib, fit.intercept, 3);
    bract_pc_fmt_sig(sb, sizeof sb, fit.slope, 3);
    snprintf(line, sizeof line, "least squares: %s %s %s \xc3\x97 x", ib,
             fit.slope < 0 ? "\xe2\x88\x92" : "+", fit.slope < 0 ? sb + 3 : sb);
    bract_pc_color(&c, bract_pc_category(5));
    bract_pc_text(&c, line, b.x + 6, b.y + 4, c.fs * 0.85, 0, 0, 0, 0, b.w - 12);
    if ((rc = bract_pc_add_panel(&c, &b))) {
        bract_pc_abort(&c);
        goto done;
    }
    rc = bract_pc_close(&c);
done:
    free(x);
    free(y);
    return rc;
}
