/* The HTML report: first-level GLMs (bract glm) and their design matrices. */
#include "figures/report_internal.h"
#include "bract/outputs.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* The design tables of a run, design_run-1.tsv, design_run-2.tsv, ... in
 * run order (their sidecars are the run's); *n receives their number. */
static rp_sidecar **designs_of(rp_ctx *c, const rp_run *r, size_t *n)
{
    *n = 0;
    rp_sidecar **v = NULL;
    for (int k = 1; k <= 1000; k++) {
        char name[48];
        snprintf(name, sizeof name, "design_run-%d.tsv", k);
        rp_sidecar *s = bract_rp_run_file(r, name);
        if (!s)
            break;
        rp_sidecar **nv = bract_xrealloc(v, *n + 1, sizeof *nv, "a design list");
        if (!nv) {
            c->oom = 1;
            break;
        }
        v = nv;
        v[(*n)++] = s;
    }
    return v;
}

/* One row of the table of GLM runs. */
static void glm_row(rp_ctx *c, const rp_run *r)
{
    const rp_sidecar *rec = r->record;
    const rp_sidecar *b = bract_rp_run_file(r, BRACT_OUT_GLM_BETAS);
    char *rel = bract_rp_rel(c, r->dir);
    char v[6][32];
    bract_rp_fmt(v[0], rec ? bract_rp_get_num(rec, "Counts", "runs") : NAN, RP_INT);
    bract_rp_fmt(v[1], rec ? bract_rp_get_num(rec, "Counts", "voxels") : NAN, RP_INT);
    bract_rp_fmt(v[2], rec ? bract_rp_get_num(rec, "Counts", "betas") : NAN, RP_INT);
    bract_rp_fmt(v[3], rec ? bract_rp_get_num(rec, NULL, "ResidualDegreesOfFreedom") : NAN,
                 RP_GEN);
    bract_rp_fmt(v[4], rec ? bract_rp_get_num(rec, "Counts", "censored_volumes") : NAN, RP_INT);
    double ex = rec ? bract_rp_get_num(rec, "Counts", "excluded_voxels_nonfinite") +
                          bract_rp_get_num(rec, "Counts", "excluded_voxels_constant")
                    : NAN;
    bract_rp_fmt(v[5], ex, RP_INT);
    bract_rp_put(c, "<tr><td><a href=\"#");
    bract_rp_esc(c, r->anchor);
    bract_rp_put(c, "\"><code>");
    bract_rp_esc(c, rel ? rel : r->dir);
    bract_rp_put(c, "/</code></a></td>");
    for (int k = 0; k < 6; k++)
        bract_rp_putf(c, "<td class=\"n\">%s</td>", v[k]);
    const char *hrf = b ? bract_rp_get_str(b, "Parameters", "hrf_model") : NULL;
    const char *noise = b ? bract_rp_get_str(b, "Parameters", "noise_model") : NULL;
    const char *trials = b ? bract_rp_get_str(b, "Parameters", "trials") : NULL;
    bract_rp_put(c, "<td>");
    bract_rp_esc(c, hrf ? hrf : "n/a");
    bract_rp_put(c, ", ");
    bract_rp_esc(c, noise ? noise : "n/a");
    if (trials && strcmp(trials, "none") != 0) {
        bract_rp_put(c, ", trials ");
        bract_rp_esc(c, trials);
    }
    bract_rp_put(c, "</td></tr>\n");
    free(rel);
}

/* The design matrices of one run, drawn as bract plot design draws them,
 * at most 10 inches wide and 6 high so that a page of subjects stays
 * light. */
static void glm_designs(rp_ctx *c, const rp_run *r)
{
    size_t nd;
    rp_sidecar **d = designs_of(c, r, &nd);
    for (size_t k = 0; k < nd; k++) {
        char where[64];
        snprintf(where, sizeof where, "GLM design of run %zu", k + 1);
        if (!d[k]->output) {
            bract_rp_note_missing(c, where, d[k], "design matrix");
            continue;
        }
        bract_table *t = bract_rp_read_table(c, d[k]->output, where);
        if (!t)
            continue;
        bract_plot_opts o;
        bract_rp_plot_opts(c, &o);
        o.width = fmin(10, 1 + 0.23 * (double)t->ncols);
        o.height = fmin(6, fmax(3, 1 + 0.1 * (double)t->nrows));
        char title[48];
        snprintf(title, sizeof title, "run %zu", k + 1);
        o.title = title;
        bract_plot_figure f;
        memset(&f, 0, sizeof f);
        if (bract_plot_design(t, &o, &f)) {
            bract_rp_note(c, where, bract_last_error());
        } else {
            char cap[256];
            snprintf(cap, sizeof cap, "%zu volumes \xc3\x97 %zu regressors; each column over "
                     "its Euclidean norm, as nilearn's plot_design_matrix.", t->nrows,
                     t->ncols);
            bract_rp_figure(c, &f, where, cap);
        }
        bract_plot_figure_free(&f);
        bract_table_free(t);
    }
    free(d);
}

/* Single-trial denoising (bract glm --denoise): every denoised GLM's
 * diagnostics.tsv as one figure, a panel per GLM and a bar per step (its
 * median split-half reliability), and a table of the steps. */
static void glm_denoising(rp_ctx *c, rp_run **runs, size_t n)
{
    size_t nd = 0;
    bract_buf tsv = {0}, rows = {0};
    bract_buf_printf(&tsv, "rdm\tmodel\tr\tmethod\n");
    for (size_t k = 0; k < n; k++) {
        rp_sidecar *s = bract_rp_run_file(runs[k], BRACT_OUT_GLM_DIAGNOSTICS);
        if (!s)
            continue;
        if (!s->output) {
            bract_rp_note_missing(c, "single-trial denoising", s, "diagnostics table");
            continue;
        }
        bract_table *t = bract_rp_read_table(c, s->output, "single-trial denoising");
        if (!t)
            continue;
        long cs = bract_table_find(t, "step"), cm = bract_table_find(t, "median_reliability"),
             cc = bract_table_find(t, "change"), cp = bract_table_find(t, "p_worse"),
             ck = bract_table_find(t, "kept");
        if (cs < 0 || cm < 0 || ck < 0) {
            bract_rp_note(c, "single-trial denoising", "a diagnostics table without the "
                          "columns step, median_reliability and kept");
            bract_table_free(t);
            continue;
        }
        char *rel = bract_rp_rel(c, runs[k]->dir);
        const char *name = rel ? rel : runs[k]->dir;
        for (size_t i = 0; i < t->nrows; i++) {
            double m = NAN, ch = NAN, pw = NAN, kept = 1;
            bract_table_double(t, i, (size_t)cm, &m);
            bract_table_double(t, i, (size_t)ck, &kept);
            if (cc >= 0)
                bract_table_double(t, i, (size_t)cc, &ch);
            if (cp >= 0)
                bract_table_double(t, i, (size_t)cp, &pw);
            const char *step = t->cell[i * t->ncols + (size_t)cs];
            /* panel and bar names are table cells: no tab or newline in them */
            bract_buf_printf(&tsv, "%s\t%s%s\t%.17g\tmedian split-half reliability\n", name,
                             step, kept ? "" : " (left out)", m);
            char v[3][32];
            bract_rp_fmt(v[0], m, RP_R);
            bract_rp_fmt(v[1], ch, RP_R);
            bract_rp_fmt(v[2], pw, RP_P);
            bract_rp_buf_putf(c, &rows, "<tr><td><code>");
            bract_rp_buf_esc(c, &rows, name);
            bract_rp_buf_putf(c, &rows, "</code></td><td>");
            bract_rp_buf_esc(c, &rows, step);
            bract_rp_buf_putf(c, &rows, "</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
                              "<td class=\"n\">%s</td><td>%s</td></tr>\n", v[0], v[1], v[2],
                              kept ? "yes" : "left out");
        }
        free(rel);
        bract_table_free(t);
        nd++;
    }
    if (nd) {
        bract_rp_heading(c, 3, "glm-denoise", "Single-trial denoising");
        bract_rp_put(c, "<p>What each step of <code>bract glm --denoise</code> did to the "
                        "single-trial betas: the median, over the voxels with task signal, of "
                        "their split-half reliability (the correlation over conditions of the "
                        "odd runs' condition means with the even runs').  A step that made "
                        "significantly more voxels less reliable (p_worse &lt; 0.01, sign "
                        "test) is left out, and the betas come from the last step kept.</p>\n");
        bract_table *bt = NULL;
        if (tsv.data && !bract_table_parse("diagnostics", tsv.data, tsv.len, &bt)) {
            bract_plot_opts o;
            bract_rp_plot_opts(c, &o);
            o.title = "";
            o.units = "median split-half reliability";
            o.method = "median split-half reliability";
            bract_plot_figure f;
            memset(&f, 0, sizeof f);
            if (bract_plot_bars(bt, &o, &f))
                bract_rp_note(c, "single-trial denoising", bract_last_error());
            else
                bract_rp_figure(c, &f, "reliability per denoising step",
                                "Median split-half reliability of the single-trial betas after "
                                "each step (diagnostics.tsv); a panel per GLM.");
            bract_plot_figure_free(&f);
            bract_table_free(bt);
        } else {
            bract_rp_note(c, "single-trial denoising", bract_last_error());
        }
        bract_rp_put(c, "<div class=\"tablewrap\"><table><thead><tr><th>output</th>"
                        "<th>step</th><th class=\"n\">median reliability</th>"
                        "<th class=\"n\">change</th><th class=\"n\">p_worse</th>"
                        "<th>kept</th></tr></thead><tbody>\n");
        if (rows.data)
            bract_rp_put(c, rows.data);
        bract_rp_put(c, "</tbody></table></div>\n");
    }
    bract_buf_free(&tsv);
    bract_buf_free(&rows);
}

void bract_rp_section_glm(rp_ctx *c)
{
    size_t n;
    rp_run **runs = bract_rp_runs_of(c, BRACT_CMD_GLM, &n);
    if (!n) {
        free(runs);
        return;
    }
    bract_rp_put(c, "<section>\n");
    const char *id = bract_rp_heading(c, 2, "glm", "First-level GLM");
    bract_rp_putf(c, "<p>%zu run%s of <code>bract glm</code> (nilearn's FirstLevelModel): the "
                  "beta maps and residuals that RDMs of event-related data are made from.  "
                  "Residual dof: the sum over runs of volumes kept minus the rank of the "
                  "design, which crossnobis reads from the residuals' sidecar.</p>\n",
                  n, n == 1 ? "" : "s");
    bract_rp_put(c, "<div class=\"tablewrap\"><table><thead><tr><th>output</th>"
                    "<th class=\"n\">runs</th><th class=\"n\">voxels</th>"
                    "<th class=\"n\">betas</th><th class=\"n\">residual dof</th>"
                    "<th class=\"n\">censored volumes</th><th class=\"n\">excluded voxels</th>"
                    "<th>model</th></tr></thead><tbody>\n");
    for (size_t k = 0; k < n; k++)
        glm_row(c, runs[k]);
    bract_rp_put(c, "</tbody></table></div>\n");
    char *rel = bract_rp_rel(c, runs[0]->dir);
    bract_rp_heading(c, 3, "glm-design", "Design matrices");
    bract_rp_put(c, "<p>");
    bract_rp_from(c, rel ? rel : runs[0]->dir);
    bract_rp_put(c, "the design of every run, the figure to check first (events where they "
                    "should be, no regressor that mirrors another).");
    if (n > 1)
        bract_rp_put(c, "  The other GLMs' designs differ in their events; draw them with "
                        "<code>bract plot design DIR/design_run-N.tsv</code>.");
    bract_rp_put(c, "</p>\n");
    free(rel);
    glm_designs(c, runs[0]);
    glm_denoising(c, runs, n);
    bract_rp_put(c, "</section>\n");
    bract_rp_buf_putf(c, &c->done, "<li><a href=\"#%s\">First-level GLM</a>: %zu run%s of "
                      "bract glm</li>\n", id, n, n == 1 ? "" : "s");
    c->info.sections++;
    free(runs);
}
