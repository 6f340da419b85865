/* The HTML report: dynamic connectivity (bract dfc) and intrinsic
 * timescales (bract timescale, bract timescale hierarchy). */
#include "figures/report_internal.h"
#include "bract/outputs.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* A run's table by file name, read; NULL (and a note when it is there but
 * unreadable) otherwise. */
static bract_table *run_table(rp_ctx *c, const rp_run *r, const char *name, const char *where)
{
    rp_sidecar *s = bract_rp_run_file(r, name);
    if (!s)
        return NULL;
    if (!s->output) {
        bract_rp_note_missing(c, where, s, name);
        return NULL;
    }
    return bract_rp_read_table(c, s->output, where);
}

/* ---- dFC ---- */

/* The mean over subjects of each state's fraction and dwell times. */
static void state_means(rp_ctx *c, const bract_table *t, bract_buf *fb)
{
    long cs = bract_table_find(t, "state"), cf = bract_table_find(t, "fraction");
    long cw = bract_table_find(t, "mean_dwell_windows"), cd = bract_table_find(t, "mean_dwell_s");
    if (cs < 0 || cf < 0)
        return;
    long maxs = 0;
    for (size_t i = 0; i < t->nrows; i++) {
        double s = bract_rp_cell_num(t, i, cs);
        if (s >= 1 && s <= 1000 && s == floor(s) && (long)s > maxs)
            maxs = (long)s;
    }
    if (!maxs)
        return;
    bract_rp_put(c, "<p class=\"cap\">Each state over subjects: mean fraction of windows and mean "
                    "dwell time (over the subjects who visit it).</p>"
                    "<div class=\"tablewrap\"><table><thead><tr><th class=\"n\">state</th><th "
                    "class=\"n\">fraction</th>"
                    "<th class=\"n\">dwell (windows)</th><th class=\"n\">dwell (s)</th>"
                    "<th class=\"n\">subjects</th></tr></thead><tbody>\n");
    bract_rp_buf_putf(c, fb, "%ld states, fraction of windows ", maxs);
    for (long s = 1; s <= maxs; s++) {
        double f = 0, w = 0, d = 0;
        size_t n = 0, nw = 0, nd = 0, visit = 0;
        for (size_t i = 0; i < t->nrows; i++) {
            if (bract_rp_cell_num(t, i, cs) != (double)s)
                continue;
            double fi = bract_rp_cell_num(t, i, cf), wi = bract_rp_cell_num(t, i, cw),
                   di = bract_rp_cell_num(t, i, cd);
            if (isfinite(fi)) {
                f += fi;
                n++;
                visit += fi > 0;
            }
            if (isfinite(wi) && fi > 0) {
                w += wi;
                nw++;
            }
            if (isfinite(di) && fi > 0) {
                d += di;
                nd++;
            }
        }
        /* dwell times with one decimal in both columns, so that they line up */
        char bf[32], bw[32], bd[32];
        bract_rp_fmt(bf, n ? f / (double)n : NAN, RP_R);
        snprintf(bw, sizeof bw, "%.1f", nw ? w / (double)nw : NAN);
        snprintf(bd, sizeof bd, "%.1f", nd ? d / (double)nd : NAN);
        if (!nw)
            strcpy(bw, "n/a");
        if (!nd)
            strcpy(bd, "n/a");
        bract_rp_putf(c,
                      "<tr><td class=\"n\">%ld</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
                      "<td class=\"n\">%s</td><td class=\"n\">%zu of %zu</td></tr>\n",
                      s, bf, bw, bd, visit, n);
        bract_rp_buf_putf(c, fb, "%s%s", s > 1 ? " / " : "", bf);
    }
    bract_rp_put(c, "</tbody></table></div>\n");
    bract_rp_buf_putf(c, fb, " (states 1 to %ld)", maxs);
}

/* The paragraph under the heading of a dfc run, and its line of the summary. */
static void dfc_lead(rp_ctx *c, const rp_run *run, const rp_sidecar *s, const char *where,
                     int several, const char *id)
{
    double nsub = bract_rp_get_num(s, "Counts", "subjects"),
           nreg = bract_rp_get_num(s, "Counts", "regions");
    double nwin = bract_rp_get_num(s, "Counts", "windows"),
           win = bract_rp_get_num(s, "Parameters", "window_volumes");
    double step = bract_rp_get_num(s, "Parameters", "step_volumes"),
           k = bract_rp_get_num(s, "Parameters", "states");
    double tr = bract_rp_get_num(s, NULL, "RepetitionTime");
    const char *taper = bract_rp_get_str(s, "Parameters", "taper");
    const char *est = bract_rp_get_str(s, "Parameters", "estimator");
    char b[32];
    bract_rp_put(c, "<p>");
    if (!several) {
        bract_rp_from(c, where);
    }
    if (isfinite(nsub))
        bract_rp_putf(c, "%.0f subject%s, ", nsub, nsub == 1 ? "" : "s");
    if (isfinite(nreg))
        bract_rp_putf(c, "%.0f regions, ", nreg);
    if (isfinite(nwin))
        bract_rp_putf(c, "%.0f windows in all", nwin);
    if (isfinite(win)) {
        bract_rp_putf(c, "; windows of %.0f volumes", win);
        if (isfinite(tr))
            bract_rp_putf(c, " (%s s)", bract_rp_fmt(b, win * tr, RP_GEN));
    }
    if (isfinite(step))
        bract_rp_putf(c, ", step %.0f", step);
    if (taper) {
        bract_rp_put(c, ", ");
        bract_rp_esc(c, taper);
        bract_rp_put(c, " taper");
    }
    if (est) {
        bract_rp_put(c, ", ");
        bract_rp_esc(c, est);
    }
    if (isfinite(k))
        bract_rp_putf(c, "; k-means with %.0f states", k);
    bract_rp_putf(c, ". <a href=\"#%s\">All parameters</a>.</p>\n", run->anchor);
    bract_rp_buf_putf(c, &c->done, "<li><a href=\"#%s\">Dynamic FC</a>: ", id);
    if (isfinite(nsub))
        bract_rp_buf_putf(c, &c->done, "%.0f subjects, ", nsub);
    if (isfinite(nreg))
        bract_rp_buf_putf(c, &c->done, "%.0f regions, ", nreg);
    if (isfinite(win))
        bract_rp_buf_putf(c, &c->done, "windows of %.0f volumes", win);
    if (isfinite(k))
        bract_rp_buf_putf(c, &c->done, ", %.0f states", k);
    bract_rp_buf_putf(c, &c->done, "</li>\n");
}

/* The states figure and the state summary (its means go to fb). */
static void dfc_states(rp_ctx *c, rp_run *run, int sub, bract_buf *fb)
{
    if (!bract_rp_run_file(run, BRACT_OUT_DFC_STATE_CENTROIDS))
        return;
    bract_rp_heading(c, sub, "dfc-states", "States");
    bract_plot_opts o;
    bract_rp_plot_opts(c, &o);
    bract_plot_figure f;
    memset(&f, 0, sizeof f);
    if (bract_plot_states_dir(run->dir, &o, &f))
        bract_rp_note(c, "dFC states", bract_last_error());
    else
        bract_rp_figure(c, &f, "dFC states",
                  "The k-means centroids (states numbered by decreasing number of windows) "
                  "as region \xc3\x97 region connectivity, with each state's fraction of "
                  "windows and mean dwell time.");
    bract_plot_figure_free(&f);
    bract_table *ss = run_table(c, run, BRACT_OUT_DFC_STATE_SUMMARY, "dFC states");
    if (ss) {
        state_means(c, ss, fb);
        bract_rp_put(c, "<details><summary>Per-subject state summary</summary>\n");
        bract_rp_table(c, ss, NULL, 0, NULL, 0, NULL, NULL);
        bract_rp_put(c, "</details>\n");
        bract_table_free(ss);
    }
}

/* The surrogate tests, and per statistic the subjects with p <= alpha (fb). */
static void dfc_surrogates(rp_ctx *c, bract_table *sur, bract_buf *fb)
{
    char al[32];
    bract_rp_fmt(al, c->o->alpha, RP_GEN);
    char cap[256];
    snprintf(cap, sizeof cap, "Against phase-randomised surrogates; highlighted: p "
             "\xe2\x89\xa4 %s.", al);
    bract_rp_table(c, sur, NULL, 0, NULL, 0, "p", cap);
    long cst = bract_table_find(sur, "statistic"), cp = bract_table_find(sur, "p");
    const char *seen[16];
    size_t ns = 0;
    for (size_t i = 0; cst >= 0 && cp >= 0 && i < sur->nrows; i++) {
        const char *st = bract_table_cell(sur, i, (size_t)cst);
        int known = 0;
        for (size_t j = 0; j < ns; j++)
            known |= strcmp(seen[j], st) == 0;
        if (known || ns == 16)
            continue;
        seen[ns++] = st;
        size_t n = 0, hit = 0;
        for (size_t j = 0; j < sur->nrows; j++)
            if (strcmp(bract_table_cell(sur, j, (size_t)cst), st) == 0) {
                n++;
                hit += bract_rp_cell_num(sur, j, cp) <= c->o->alpha;
            }
        bract_rp_buf_putf(c, fb,
                          "%s%s against surrogates: %s%zu of %zu subject%s%s with p "
                          "\xe2\x89\xa4 %s",
                          fb->len ? "; " : "", st, hit ? "<span class=\"hit\">" : "", hit, n,
                          n == 1 ? "" : "s", hit ? "</span>" : "", al);
    }
}

/* The elbow and per-region tables. */
static void dfc_more_tables(rp_ctx *c, rp_run *run)
{
    bract_table *el = run_table(c, run, BRACT_OUT_DFC_ELBOW, "dFC elbow");
    if (el) {
        bract_rp_table(c, el, NULL, 0, NULL, 0, NULL,
                 "k-means objective for each number of states (elbow: 1 at the chosen k).");
        bract_table_free(el);
    }
    bract_table *reg = run_table(c, run, BRACT_OUT_DFC_REGIONS, "dFC regions");
    if (reg) {
        bract_rp_put(c, "<details><summary>Per region: strength, edge variability, flexibility"
                  "</summary>\n");
        bract_rp_table(c, reg, NULL, 0, NULL, 0, NULL, NULL);
        bract_rp_put(c, "</details>\n");
        bract_table_free(reg);
    }
}

static void dfc_run(rp_ctx *c, rp_run *run, int several)
{
    rp_sidecar *s = bract_rp_run_file(run, BRACT_OUT_DFC_SUMMARY);
    if (!s)
        s = run->sc[0];
    char *reldir = bract_rp_rel(c, run->dir);
    const char *where = reldir ? reldir : run->dir;
    char title[512];
    snprintf(title, sizeof title, "Dynamic connectivity: %s", where);
    const char *id = several ? bract_rp_heading(c, 3, "dfc", title) : "dynamic-connectivity";
    int sub = several ? 4 : 3;
    dfc_lead(c, run, s, where, several, id);
    bract_buf fb = {0}; /* the summary's line */
    dfc_states(c, run, sub, &fb);
    bract_table *sum = run_table(c, run, BRACT_OUT_DFC_SUMMARY, "dFC summary");
    if (sum || bract_rp_run_file(run, BRACT_OUT_DFC_SURROGATE_TESTS))
        bract_rp_heading(c, sub, "dfc-subjects", "Per subject");
    if (sum) {
        bract_rp_table(c, sum, NULL, 0, NULL, 0, NULL,
                 "Per subject: windowed FC variance (mean over edges of the variance over "
                 "windows), mean edge sd, state transitions, flexibility, modularity.");
        bract_table_free(sum);
    }
    bract_table *sur = run_table(c, run, BRACT_OUT_DFC_SURROGATE_TESTS, "dFC surrogate tests");
    if (sur) {
        dfc_surrogates(c, sur, &fb);
        bract_table_free(sur);
    }
    if (fb.len) {
        bract_rp_buf_putf(c, &c->found, "<li><a href=\"#%s\">Dynamic FC</a>: ", id);
        if (bract_buf_append(&c->found, fb.data, fb.len))
            c->oom = 1;
        bract_rp_buf_putf(c, &c->found, ".</li>\n");
    }
    bract_buf_free(&fb);
    dfc_more_tables(c, run);
    free(reldir);
}

void bract_rp_section_dfc(rp_ctx *c)
{
    size_t n;
    rp_run **runs = bract_rp_runs_of(c, BRACT_CMD_DFC, &n);
    if (n) {
        bract_rp_put(c, "<section>\n");
        bract_rp_heading(c, 2, "dynamic-connectivity", "Dynamic connectivity");
        for (size_t k = 0; k < n; k++)
            dfc_run(c, runs[k], n > 1);
        bract_rp_put(c, "</section>\n");
        c->info.sections++;
    }
    free(runs);
}

/* ---- timescales ---- */

/* "sub-01" from a path, else the file's stem. */
static void source_name(const char *path, char *buf, size_t n)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *sub = strstr(path, "sub-");
    const char *from = sub ? sub : base;
    size_t k = 0;
    for (const char *p = from; *p && *p != '/' && *p != '_' && *p != '.' && k + 1 < n; p++)
        buf[k++] = *p;
    buf[k] = '\0';
    if (!sub) {
        snprintf(buf, n, "%s", base);
        char *dot = strchr(buf, '.');
        if (dot)
            *dot = '\0';
    }
}

/* Region x subject table of tau from the TSV outputs of timescale runs. */
static void tau_table(rp_ctx *c, rp_run **runs, size_t n)
{
    bract_table **t = bract_xcalloc(n ? n : 1, sizeof *t, "timescale tables");
    rp_sidecar **sc = bract_xcalloc(n ? n : 1, sizeof *sc, "timescale tables");
    if (!t || !sc) {
        free(t);
        free(sc);
        c->oom = 1;
        return;
    }
    size_t nt = 0;
    for (size_t k = 0; k < n; k++) {
        rp_sidecar *s = runs[k]->sc[0];
        if (!s->output ||
            !(bract_ends_with(s->output, ".tsv") || bract_ends_with(s->output, ".csv")))
            continue;
        bract_table *x = bract_rp_read_table(c, s->output, "timescales");
        size_t col;
        if (x &&
            (bract_table_require(x, "region", &col) || bract_table_require(x, "tau_s", &col))) {
            bract_rp_note(c, "timescales", bract_last_error());
            bract_table_free(x);
            x = NULL;
        }
        if (x) {
            t[nt] = x;
            sc[nt++] = s;
        }
    }
    if (!nt) {
        free(t);
        free(sc);
        return;
    }
    /* regions in order of first appearance */
    size_t cap = 0, nreg = 0;
    for (size_t k = 0; k < nt; k++)
        cap += t[k]->nrows;
    const char **reg = bract_xcalloc(cap, sizeof *reg, "region names");
    if (!reg) {
        c->oom = 1;
        cap = 0;
    }
    for (size_t k = 0; k < nt && reg; k++) {
        long cr = bract_table_find(t[k], "region");
        for (size_t i = 0; i < t[k]->nrows; i++) {
            const char *r = bract_table_cell(t[k], i, (size_t)cr);
            size_t j = 0;
            while (j < nreg && strcmp(reg[j], r) != 0)
                j++;
            if (j == nreg)
                reg[nreg++] = r;
        }
    }
    const char *method = bract_rp_get_str(sc[0], "Parameters", "method");
    bract_rp_heading(c, 3, "timescales-regions", "Timescales per region");
    bract_rp_putf(c, "<p>%zu region%s in %zu table%s", nreg, nreg == 1 ? "" : "s", nt,
                  nt == 1 ? "" : "s");
    if (method) {
        bract_rp_put(c, "; method ");
        bract_rp_esc(c, method);
    }
    bract_rp_put(c, ". Flags other than <code>ok</code> mark estimates to read with care.</p>\n");
    bract_rp_buf_putf(c, &c->done,
                      "<li><a href=\"#timescales\">Timescales</a>: %zu region%s \xc3\x97 "
                      "%zu subject%s",
                      nreg, nreg == 1 ? "" : "s", nt, nt == 1 ? "" : "s");
    if (method) {
        bract_rp_buf_putf(c, &c->done, " (");
        bract_rp_buf_esc(c, &c->done, method);
        bract_rp_buf_putf(c, &c->done, ")");
    }
    bract_rp_buf_putf(c, &c->done, "</li>\n");
    /* the wide table: build it as TSV text and render it like any other */
    bract_buf tsv = {0};
    bract_rp_buf_putf(c, &tsv, "region");
    for (size_t k = 0; k < nt; k++) {
        char name[128];
        source_name(sc[k]->output, name, sizeof name);
        bract_rp_buf_putf(c, &tsv, "\t%s", name);
    }
    bract_rp_buf_putf(c, &tsv, "\n");
    size_t flagged = 0;
    for (size_t j = 0; j < nreg; j++) {
        bract_rp_buf_putf(c, &tsv, "%s", reg[j]);
        for (size_t k = 0; k < nt; k++) {
            long cr = bract_table_find(t[k], "region"), ct = bract_table_find(t[k], "tau_s");
            long cf = bract_table_find(t[k], "flags");
            const char *v = "n/a";
            for (size_t i = 0; i < t[k]->nrows; i++)
                if (strcmp(bract_table_cell(t[k], i, (size_t)cr), reg[j]) == 0) {
                    v = bract_table_cell(t[k], i, (size_t)ct);
                    if (cf >= 0 && strcmp(bract_table_cell(t[k], i, (size_t)cf), "ok") != 0)
                        flagged++;
                }
            bract_rp_buf_putf(c, &tsv, "\t%s", v);
        }
        bract_rp_buf_putf(c, &tsv, "\n");
    }
    bract_table *wide = NULL;
    if (tsv.data && !bract_table_parse("timescales", tsv.data, tsv.len, &wide)) {
        rp_tcol *cols = bract_xcalloc(wide->ncols, sizeof *cols, "columns");
        if (cols) {
            for (size_t k = 0; k < wide->ncols; k++) {
                cols[k].col = wide->colname[k];
                cols[k].head = k ? wide->colname[k] : "region";
                cols[k].kind = k ? RP_GEN : RP_TEXT;
            }
            char capt[160];
            snprintf(capt, sizeof capt, "Intrinsic timescale (s) per region and subject%s.",
                     flagged ? "; some estimates are flagged (see the tables' flags column)" : "");
            bract_rp_table(c, wide, cols, wide->ncols, NULL, 0, NULL, capt);
            free(cols);
        }
        bract_table_free(wide);
    } else if (tsv.data) {
        bract_rp_note(c, "timescales", bract_last_error());
    }
    bract_buf_free(&tsv);
    free(reg);
    for (size_t k = 0; k < nt; k++)
        bract_table_free(t[k]);
    free(t);
    free(sc);
}

/* Voxelwise timescale maps: the first few as mosaics. */
static void tau_maps(rp_ctx *c, rp_run **runs, size_t n)
{
    size_t drawn = 0;
    for (size_t k = 0; k < n && drawn < 4; k++) {
        rp_sidecar *s = runs[k]->sc[0];
        for (size_t i = 0; i < runs[k]->n; i++)
            if (runs[k]->sc[i]->output && bract_ends_with(runs[k]->sc[i]->output, ".nii.gz") &&
                !strstr(runs[k]->sc[i]->output, "_r2.") &&
                !strstr(runs[k]->sc[i]->output, "_flags.") &&
                !strstr(runs[k]->sc[i]->output, "_se."))
                s = runs[k]->sc[i];
        if (!s->output ||
            !(bract_ends_with(s->output, ".nii") || bract_ends_with(s->output, ".nii.gz")))
            continue;
        if (!drawn)
            bract_rp_heading(c, 3, "timescale-maps", "Timescale maps");
        bract_volume *v = NULL;
        if (bract_volume_read(s->output, 0, &v)) {
            bract_rp_note(c, "timescale maps", bract_last_error());
            continue;
        }
        bract_plot_opts o;
        bract_rp_plot_opts(c, &o);
        o.view = BRACT_VIEW_MOSAIC;
        o.title = s->rel;
        o.units = "timescale (s)";
        bract_plot_figure f;
        memset(&f, 0, sizeof f);
        if (bract_plot_map(v, NULL, &o, &f))
            bract_rp_note(c, "timescale maps", bract_last_error());
        else
            bract_rp_figure(c, &f, s->rel, NULL);
        bract_plot_figure_free(&f);
        bract_volume_free(v);
        drawn++;
    }
}

/* The scatter of the group-mean tau (regions.tsv r) against the index. */
static void hierarchy_scatter(rp_ctx *c, rp_run *run, const bract_table *r)
{
    long creg = bract_table_find(r, "region"), cv = bract_table_find(r, "value");
    long ct = bract_table_find(r, "tau_mean_s");
    if (ct < 0)
        ct = bract_table_find(r, "tau_s");
    if (creg < 0 || cv < 0 || ct < 0) {
        size_t col;
        bract_table_require(r, creg < 0 ? "region" : cv < 0 ? "value" : "tau_mean_s", &col);
        bract_rp_note(c, "timescale hierarchy", bract_last_error());
        return;
    }
    bract_buf a = {0}, b = {0};
    bract_rp_buf_putf(c, &a, "region\ttau_s\n");
    bract_rp_buf_putf(c, &b, "region\tvalue\n");
    for (size_t i = 0; i < r->nrows; i++) {
        bract_rp_buf_putf(c, &a, "%s\t%s\n", bract_table_cell(r, i, (size_t)creg),
                    bract_table_cell(r, i, (size_t)ct));
        bract_rp_buf_putf(c, &b, "%s\t%s\n", bract_table_cell(r, i, (size_t)creg),
                    bract_table_cell(r, i, (size_t)cv));
    }
    bract_table *ta = NULL, *tb = NULL;
    char *rel = bract_rp_rel(c, bract_rp_run_file(run, BRACT_OUT_HIER_REGIONS)->output);
    if (a.data && b.data &&
        !bract_table_parse(rel ? rel : BRACT_OUT_HIER_REGIONS, a.data, a.len, &ta) &&
        !bract_table_parse(rel ? rel : BRACT_OUT_HIER_REGIONS, b.data, b.len, &tb)) {
        bract_plot_opts o;
        bract_rp_plot_opts(c, &o);
        o.title = "Timescale against the hierarchy index";
        o.xlabel = "hierarchy index";
        o.ylabel = "intrinsic timescale (s), mean over subjects";
        bract_plot_figure f;
        memset(&f, 0, sizeof f);
        if (bract_plot_scatter(ta, tb, &o, &f))
            bract_rp_note(c, "timescale hierarchy", bract_last_error());
        else
            bract_rp_figure(c, &f, "timescale against hierarchy",
                      "Each point a region: its mean timescale over subjects against its "
                      "hierarchy index, with the least-squares line. The subtitle's p "
                      "is the t approximation; the table below gives the permutation "
                      "and spatial-null p-values.");
        bract_plot_figure_free(&f);
    } else {
        bract_rp_note(c, "timescale hierarchy", bract_last_error());
    }
    free(rel);
    bract_table_free(ta);
    bract_table_free(tb);
    bract_buf_free(&a);
    bract_buf_free(&b);
}

/* The tests table (hierarchy.tsv h), the result in the summary. */
static void hierarchy_tests(rp_ctx *c, const bract_table *h, const char *id)
{
    char al[32];
    bract_rp_fmt(al, c->o->alpha, RP_GEN);
    const rp_tcol cols[] = {
        {"source", "source", RP_TEXT, NULL},
        {"n_regions", "regions", RP_GEN, NULL},
        {"rho", "Spearman \xcf\x81", RP_R, NULL},
        {"p_perm", "p (permutation)", RP_P, NULL},
        {"p_spatial", "p (spatial null)", RP_P, NULL},
        {"ci_low", "bootstrap CI", RP_R, "ci_high"},
    };
    char capt[200];
    snprintf(capt, sizeof capt, "Per subject and for the group mean; highlighted: "
             "permutation p \xe2\x89\xa4 %s.", al);
    bract_rp_table(c, h, cols, sizeof cols / sizeof cols[0], NULL, 0, "p_perm", capt);
    long cs = bract_table_find(h, "source"), cr = bract_table_find(h, "rho");
    long cp = bract_table_find(h, "p_perm"), csp = bract_table_find(h, "p_spatial");
    long cn = bract_table_find(h, "n_regions");
    long cl = bract_table_find(h, "ci_low"), chh = bract_table_find(h, "ci_high");
    size_t row = h->nrows - 1; /* the group row when there is one, else the only source */
    for (size_t i = 0; cs >= 0 && i < h->nrows; i++)
        if (strcmp(bract_table_cell(h, i, (size_t)cs), "group") == 0)
            row = i;
    char b1[32], b2[32], b3[32], b4[32], b5[32];
    double p = bract_rp_cell_num(h, row, cp), ps = bract_rp_cell_num(h, row, csp);
    int hit = p <= c->o->alpha;
    bract_rp_buf_putf(c, &c->found,
                      "<li><a href=\"#%s\">Timescale hierarchy</a>: %s\xcf\x81 = %s"
                      "%s (p<sub>perm</sub> = %s",
                      id, hit ? "<span class=\"hit\">" : "",
                      bract_rp_fmt(b1, bract_rp_cell_num(h, row, cr), RP_R),
                      hit ? "</span>" : "", bract_rp_fmt(b2, p, RP_P));
    if (isfinite(ps))
        bract_rp_buf_putf(c, &c->found, ", p<sub>spatial</sub> = %s",
                          bract_rp_fmt(b3, ps, RP_P));
    if (isfinite(bract_rp_cell_num(h, row, cl)))
        bract_rp_buf_putf(c, &c->found, ", CI [%s, %s]",
                          bract_rp_fmt(b4, bract_rp_cell_num(h, row, cl), RP_R),
                          bract_rp_fmt(b5, bract_rp_cell_num(h, row, chh), RP_R));
    bract_rp_buf_putf(c, &c->found, ")%s.</li>\n",
                cs >= 0 && strcmp(bract_table_cell(h, row, (size_t)cs), "group") == 0
                    ? " for the group mean" : "");
    if (isfinite(bract_rp_cell_num(h, row, cn)))
        bract_rp_buf_putf(c, &c->done, ": %.0f regions", bract_rp_cell_num(h, row, cn));
}

static void hierarchy_run(rp_ctx *c, rp_run *run, int several)
{
    char *reldir = bract_rp_rel(c, run->dir);
    const char *where = reldir ? reldir : run->dir;
    char title[512];
    snprintf(title, sizeof title, several ? "Hierarchy: %s" : "Hierarchy", where);
    const char *id = bract_rp_heading(c, 3, "hierarchy", title);
    rp_sidecar *s = bract_rp_run_file(run, BRACT_OUT_HIER_HIERARCHY);
    if (!s)
        s = run->sc[0];
    double perm = bract_rp_get_num(s, "Parameters", "permutations");
    double boot = bract_rp_get_num(s, "Parameters", "bootstrap");
    const char *spatial = bract_rp_get_str(s, "Parameters", "spatial_null");
    bract_rp_put(c, "<p>");
    if (!several)
        bract_rp_from(c, where);
    bract_rp_put(c, several ? "The " : "the ");
    bract_rp_put(c, "Spearman correlation of regional timescales with the hierarchy index");
    if (isfinite(perm))
        bract_rp_putf(c, "; %.0f permutations", perm);
    if (spatial) {
        bract_rp_put(c, " and spatial surrogates (");
        bract_rp_esc(c, spatial);
        bract_rp_put(c, ")");
    }
    if (isfinite(boot) && boot > 0)
        bract_rp_putf(c, "; %.0f bootstrap samples of subjects", boot);
    bract_rp_putf(c, ". <a href=\"#%s\">All parameters</a>.</p>\n", run->anchor);
    bract_rp_buf_putf(c, &c->done, "<li><a href=\"#%s\">Timescale hierarchy</a>", id);

    bract_table *h = run_table(c, run, BRACT_OUT_HIER_HIERARCHY, "timescale hierarchy");
    bract_table *r = run_table(c, run, BRACT_OUT_HIER_REGIONS, "timescale hierarchy");
    if (r)
        hierarchy_scatter(c, run, r);
    if (h)
        hierarchy_tests(c, h, id);
    bract_rp_buf_putf(c, &c->done, "</li>\n");
    bract_table *rel = run_table(c, run, BRACT_OUT_HIER_RELIABILITY, "timescale hierarchy");
    if (rel) {
        bract_rp_table(c, rel, NULL, 0, NULL, 0, NULL,
                 "Between-subject reliability of the regional profile.");
        bract_table_free(rel);
    }
    if (r) {
        const rp_tcol cols[] = {
            {"region", "region", RP_TEXT, NULL},
            {"value", "hierarchy index", RP_GEN, NULL},
            {"tau_mean_s", "mean timescale (s)", RP_GEN, NULL},
            {"tau_sd_s", "sd (s)", RP_GEN, NULL},
            {"n_subjects", "subjects", RP_GEN, NULL},
            {"rank_tau", "rank of timescale", RP_GEN, NULL},
            {"rank_index", "rank of index", RP_GEN, NULL},
        };
        bract_rp_put(c, "<details><summary>Regions</summary>\n");
        bract_rp_table(c, r, cols, sizeof cols / sizeof cols[0], NULL, 0, NULL, NULL);
        bract_rp_put(c, "</details>\n");
    }
    bract_table_free(h);
    bract_table_free(r);
    free(reldir);
}

void bract_rp_section_timescales(rp_ctx *c)
{
    size_t nt, nh;
    rp_run **t = bract_rp_runs_of(c, BRACT_CMD_TIMESCALE, &nt);
    rp_run **h = bract_rp_runs_of(c, BRACT_CMD_TIMESCALE_HIERARCHY, &nh);
    if (nt || nh) {
        bract_rp_put(c, "<section>\n");
        bract_rp_heading(c, 2, "timescales", "Intrinsic timescales");
        for (size_t k = 0; k < nh; k++)
            hierarchy_run(c, h[k], nh > 1);
        if (nt) {
            tau_table(c, t, nt);
            tau_maps(c, t, nt);
        }
        bract_rp_put(c, "</section>\n");
        c->info.sections++;
    }
    free(t);
    free(h);
}
