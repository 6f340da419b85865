/* RDM heatmaps and classical-MDS plots (see bract/plot.h). */
#include "figures/plot_internal.h"

#include <math.h>
#include <string.h>

#include "bract/mds.h"
#include "bract/stats.h"

/* "'a', 'b', ... (N in all)" */
static void name_list(bract_buf *b, const bract_rdmset *s)
{
    for (size_t k = 0; k < s->nrdm && k < 10; k++)
        bract_buf_printf(b, "%s'%s'", k ? ", " : "", s->rdm[k].name);
    if (s->nrdm > 10)
        bract_buf_printf(b, ", ... (%zu in all)", s->nrdm);
}

/* Check the options (clearing *out), then the indices of the RDMs to
 * draw: opts->select, or all. */
static int select_rdms(const bract_rdmset *s, const bract_plot_opts *o, bract_plot_figure *out,
                       size_t **idx, size_t *n)
{
    int rc0 = bract_pc_check_opts(o, out);
    if (rc0)
        return rc0;
    size_t m = (o->select && o->nselect) ? o->nselect : s->nrdm;
    if (m == 0)
        return bract_error(BRACT_EDATA, "the RDM set is empty");
    *idx = bract_xmalloc(m, sizeof **idx, "RDM indices");
    if (!*idx)
        return BRACT_ENOMEM;
    for (size_t k = 0; k < m; k++) {
        if (!(o->select && o->nselect)) {
            (*idx)[k] = k;
            continue;
        }
        long j = bract_rdmset_find(s, o->select[k]);
        if (j < 0) {
            bract_buf b = {0};
            name_list(&b, s);
            int rc = bract_error(BRACT_EDATA, "no RDM named '%s' in the set (its RDMs: %s)",
                                 o->select[k], b.data ? b.data : "");
            bract_buf_free(&b);
            free(*idx);
            *idx = NULL;
            return rc;
        }
        (*idx)[k] = (size_t)j;
    }
    *n = m;
    return BRACT_OK;
}

/* Values to colour: the dissimilarities, or their percentile ranks (ties
 * averaged, 0 for the smallest and 100 for the largest). */
static int panel_values(const bract_rdm *r, int rank, double *out)
{
    size_t np = bract_npairs(r->n);
    memcpy(out, r->d, np * sizeof *out);
    if (!rank)
        return BRACT_OK;
    size_t m = 0;
    for (size_t p = 0; p < np; p++)
        if (isfinite(r->d[p]))
            m++;
    double *x = bract_xmalloc(m + 1, sizeof *x, "ranks");
    double *rk = bract_xmalloc(m + 1, sizeof *rk, "ranks");
    size_t *work = bract_xmalloc(2 * m + 2, sizeof *work, "ranks");
    if (!x || !rk || !work) {
        free(x);
        free(rk);
        free(work);
        return BRACT_ENOMEM;
    }
    m = 0;
    for (size_t p = 0; p < np; p++)
        if (isfinite(r->d[p]))
            x[m++] = r->d[p];
    bract_stats_rank(x, m, rk, work);
    for (size_t p = 0, j = 0; p < np; p++)
        if (isfinite(r->d[p])) {
            out[p] = m > 1 ? 100.0 * (rk[j] - 1) / (double)(m - 1) : 50;
            j++;
        } else {
            out[p] = NAN;
        }
    free(x);
    free(rk);
    free(work);
    return BRACT_OK;
}

int bract_plot_rdm(const bract_rdmset *set, const bract_plot_opts *opts, bract_plot_figure *out)
{
    size_t *idx = NULL, np = 0;
    int rc = select_rdms(set, opts, out, &idx, &np);
    if (rc)
        return rc;
    double **vals = bract_xcalloc(np, sizeof *vals, "RDM values");
    pc_matrix *mats = bract_xcalloc(np, sizeof *mats, "RDM panels");
    if (!vals || !mats) {
        rc = BRACT_ENOMEM;
        goto done;
    }
    /* values and their common range */
    double lo = INFINITY, hi = -INFINITY;
    for (size_t k = 0; k < np; k++) {
        const bract_rdm *r = &set->rdm[idx[k]];
        vals[k] = bract_xmalloc(bract_npairs(r->n), sizeof **vals, "RDM values");
        if (!vals[k]) {
            rc = BRACT_ENOMEM;
            goto done;
        }
        if ((rc = panel_values(r, opts->rank, vals[k])))
            goto done;
        for (size_t p = 0; p < bract_npairs(r->n); p++)
            if (isfinite(vals[k][p])) {
                lo = fmin(lo, vals[k][p]);
                hi = fmax(hi, vals[k][p]);
            }
        mats[k].n = r->n;
        mats[k].labels = r->cond;
        mats[k].d = vals[k];
        mats[k].title = np > 1 ? r->name : NULL;
    }
    if (!(lo <= hi)) {
        rc = bract_error(BRACT_EDATA, "RDM '%s' has no finite dissimilarity to draw",
                         set->rdm[idx[0]].name);
        goto done;
    }
    if (isfinite(opts->vmin))
        lo = opts->vmin;
    if (isfinite(opts->vmax))
        hi = opts->vmax;
    if (!(hi > lo)) {
        if (isfinite(opts->vmin) && isfinite(opts->vmax)) {
            rc = bract_error(BRACT_EINVAL, "the colour range %g to %g is empty", lo, hi);
            goto done;
        }
        double pad = lo != 0 ? fabs(lo) * 0.05 : 0.5;
        lo -= pad;
        hi += pad;
    }
    const char *units = opts->units ? opts->units
                                    : opts->rank ? "dissimilarity percentile" : "dissimilarity";
    const char *title = bract_pc_title_of(opts, np == 1 ? set->rdm[idx[0]].name : "");
    rc = bract_pc_matrix_figure(opts, mats, np, title, "viridis", lo, hi, lo, hi, units, out);
done:
    if (vals)
        for (size_t k = 0; k < np; k++)
            free(vals[k]);
    free(vals);
    free(mats);
    free(idx);
    return rc;
}

/* ---- MDS ---- */

typedef struct {
    double x0, y0, x1, y1;
} lbox;

static int overlaps(const lbox *a, const lbox *b)
{
    return a->x0 < b->x1 && b->x0 < a->x1 && a->y0 < b->y1 && b->y0 < a->y1;
}

int bract_plot_mds(const bract_rdmset *set, const bract_plot_opts *opts, bract_plot_figure *out)
{
    size_t *idx = NULL, np = 0;
    int rc = select_rdms(set, opts, out, &idx, &np);
    if (rc)
        return rc;
    if (np > 1 && !(opts->select && opts->nselect)) {
        bract_buf b = {0};
        name_list(&b, set);
        rc = bract_error(BRACT_EINVAL, "the set holds %zu RDMs (%s): choose one for the MDS",
                         np, b.data ? b.data : "");
        bract_buf_free(&b);
        free(idx);
        return rc;
    }
    const bract_rdm *r = &set->rdm[idx[0]];
    free(idx);
    size_t n = r->n;
    for (size_t i = 0, p = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++, p++)
            if (!isfinite(r->d[p]))
                return bract_error(BRACT_EDATA, "RDM '%s': the dissimilarity of '%s' and '%s' "
                                   "is missing; MDS needs every pair", r->name, r->cond[i],
                                   r->cond[j]);
    double *xy = bract_xmalloc(2 * n, sizeof *xy, "MDS coordinates");
    lbox *placed = bract_xmalloc(2 * n + 1, sizeof *placed, "label boxes");
    if (!xy || !placed) {
        free(xy);
        free(placed);
        return BRACT_ENOMEM;
    }
    bract_mds_info info;
    if ((rc = bract_mds_classical(r->d, n, 2, xy, &info))) {
        bract_error_context(rc, "RDM '%s'", r->name);
        goto fail;
    }
    if (info.nnegative)
        bract_warn("RDM '%s': MDS dimension%s without a positive eigenvalue drawn at 0",
                   r->name, info.nnegative > 1 ? "s" : "");
    double ext = 0, cx = 0, cy = 0, xmn = INFINITY, xmx = -INFINITY, ymn = INFINITY,
           ymx = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        xmn = fmin(xmn, xy[2 * i]);
        xmx = fmax(xmx, xy[2 * i]);
        ymn = fmin(ymn, xy[2 * i + 1]);
        ymx = fmax(ymx, xy[2 * i + 1]);
    }
    cx = 0.5 * (xmn + xmx);
    cy = 0.5 * (ymn + ymx);
    ext = fmax(xmx - xmn, ymx - ymn);
    if (!(ext > 0))
        ext = 1;
    ext *= 1.12;

    double W = (opts->width > 0 ? opts->width : 6.2) * 72;
    double H = (opts->height > 0 ? opts->height : 6) * 72;
    pc_t c;
    if ((rc = bract_pc_open(&c, opts, W / 72, H / 72, out)))
        goto fail;
    double top = bract_pc_title(&c, bract_pc_title_of(opts, r->name));
    /* equal scales on both axes: a square data area */
    double lab_h, tick_w;
    bract_pc_text_size(&c, "Ag", c.fs, 0, 0, NULL, &lab_h);
    bract_pc_text_size(&c, "\xe2\x88\x92" "0.00", c.fs * 0.9, 0, 0, &tick_w, NULL);
    double left = 10 + lab_h + 6 + tick_w + 8, bottom = 8 + lab_h + 6 + lab_h + 8;
    double side = fmin(c.w - left - 16, c.h - top - bottom);
    if (side < 40) {
        bract_pc_abort(&c);
        rc = bract_error(BRACT_EINVAL, "a %g x %g inch figure is too small for an MDS plot",
                         W / 72, H / 72);
        goto fail;
    }
    pc_box b = {left + (c.w - left - 16 - side) / 2, top, side, side,
                cx - ext / 2, cx + ext / 2, cy - ext / 2, cy + ext / 2};
    char xl[96], yl[96];
    double tot = info.pos_sum > 0 ? info.pos_sum : 1;
    snprintf(xl, sizeof xl, "MDS dimension 1 (%.1f%% of variance)",
             100 * fmax(0, info.eig[0]) / tot);
    snprintf(yl, sizeof yl, "MDS dimension 2 (%.1f%% of variance)",
             100 * fmax(0, info.eig[1]) / tot);
    /* light frame and zero lines */
    cairo_t *cr = c.cr;
    bract_pc_color(&c, PC_GRID);
    cairo_set_line_width(cr, 0.5);
    cairo_rectangle(cr, b.x, b.y, b.w, b.h);
    cairo_stroke(cr);
    bract_pc_axis_left(&c, &b, 5, yl, 1);
    bract_pc_axis_bottom(&c, &b, 5, xl);
    if ((rc = bract_pc_add_panel(&c, &b))) {
        bract_pc_abort(&c);
        goto fail;
    }
    double rad = n > 100 ? 2.2 : 3.2;
    size_t nplaced = 0;
    for (size_t i = 0; i < n; i++) {
        double x = pc_bx(&b, xy[2 * i]), y = pc_by(&b, xy[2 * i + 1]);
        cairo_arc(cr, x, y, rad, 0, 2 * M_PI);
        bract_pc_color(&c, bract_pc_category(0));
        cairo_fill_preserve(cr);
        cairo_set_source_rgb(cr, 1, 1, 1);
        cairo_set_line_width(cr, 0.6);
        cairo_stroke(cr);
        lbox pb = {x - rad, y - rad, x + rad, y + rad};
        placed[nplaced++] = pb;
    }
    c.fig->ncells = n;
    /* labels: right, left, above or below each point, the first place that
     * overlaps no point and no label; none if no place is free (auto) */
    if (opts->labels != BRACT_LABELS_NONE) {
        double fs = n <= 40 ? c.fs * 0.9 : n <= 120 ? c.fs * 0.8 : c.fs * 0.7;
        for (size_t i = 0; i < n; i++) {
            double x = pc_bx(&b, xy[2 * i]), y = pc_by(&b, xy[2 * i + 1]), tw, th;
            bract_pc_text_size(&c, r->cond[i], fs, 0, 90, &tw, &th);
            double off = rad + 2;
            double cand[4][4] = {{x + off, y, 0, 0.5}, {x - off, y, 1, 0.5},
                                 {x, y - off, 0.5, 1}, {x, y + off, 0.5, 0}};
            int chosen = -1;
            for (int k = 0; k < 4 && chosen < 0; k++) {
                lbox lb = {cand[k][0] - cand[k][2] * tw, cand[k][1] - cand[k][3] * th, 0, 0};
                lb.x1 = lb.x0 + tw;
                lb.y1 = lb.y0 + th;
                if (lb.x0 < 2 || lb.x1 > c.w - 2 || lb.y0 < top - 4 || lb.y1 > c.h - 2)
                    continue;
                int clash = 0;
                for (size_t q = 0; q < nplaced && !clash; q++)
                    if (q != i && overlaps(&lb, &placed[q]))
                        clash = 1;
                if (!clash) {
                    chosen = k;
                    placed[nplaced++] = lb;
                }
            }
            if (chosen < 0 && opts->labels == BRACT_LABELS_ALL)
                chosen = 0;
            if (chosen < 0)
                continue;
            bract_pc_color(&c, PC_INK);
            bract_pc_text(&c, r->cond[i], cand[chosen][0], cand[chosen][1], fs, 0, cand[chosen][2],
                    cand[chosen][3], 0, 90);
            c.fig->nlabels++;
            c.fig->label_pt = fs;
        }
    }
    rc = bract_pc_close(&c);
fail:
    free(xy);
    free(placed);
    return rc;
}
