/* The HTML report: group maps (bract group) and searchlight maps. */
#include "figures/report_internal.h"
#include "bract/outputs.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* The background of maps on `grid`: --background, else the mask the run
 * records.  NULL (with *why set, as HTML) when none fits. */
static bract_volume *background(rp_ctx *c, const rp_sidecar *s, const bract_volume *grid,
                                char *why, size_t nwhy)
{
    why[0] = '\0';
    char **mask = NULL;
    size_t nm = 0;
    const char *path = c->o->background;
    if (!path) {
        nm = bract_rp_sources(c, s, "mask", &mask, NULL);
        path = nm ? mask[0] : NULL;
    }
    bract_volume *bg = NULL;
    if (path) {
        int bad = bract_volume_read(path, 0, &bg) || bract_volume_same_grid(grid, bg, 1e-3);
        if (bad) {
            char *msg = bract_rp_html(c, bract_last_error());
            snprintf(why, nwhy, "Background not drawn: %s", msg ? msg : "");
            free(msg);
            bract_volume_free(bg);
            bg = NULL;
        }
    }
    bract_rp_free_strings(mask, nm);
    return bg;
}

static void map_figure(rp_ctx *c, const bract_volume *map, const bract_volume *bg, int view,
                       double threshold, const char *title, const char *units, const char *alt,
                       const char *caption)
{
    bract_plot_opts o;
    bract_rp_plot_opts(c, &o);
    o.view = view;
    o.threshold = threshold;
    o.title = title;
    o.units = units;
    if (view == BRACT_VIEW_MOSAIC) /* axial: no more slices than the grid has */
        o.slices = map->nz < 12 ? (int)map->nz : 12;
    bract_plot_figure f;
    memset(&f, 0, sizeof f);
    if (bract_plot_map(map, bg, &o, &f))
        bract_rp_note(c, "maps", bract_last_error());
    else
        bract_rp_figure(c, &f, alt, caption);
    bract_plot_figure_free(&f);
}

typedef struct {
    const char *file, *label;
} pmap;

static const pmap pmaps[] = {{BRACT_OUT_GROUP_P_TFCE_FWE, "TFCE, FWE"},
                             {BRACT_OUT_GROUP_P_FWE, "max-t, FWE"},
                             {BRACT_OUT_GROUP_P_CLUSTER_FWE, "cluster extent, FWE"},
                             {BRACT_OUT_GROUP_P_FDR, "FDR"},
                             {BRACT_OUT_GROUP_P, "uncorrected"}};

/* A group run being reported. */
typedef struct {
    rp_run *run;
    rp_sidecar *ts;     /* the t map's sidecar, or NULL */
    rp_sidecar *s;      /* the run's record (or the t map's sidecar) */
    const char *where;  /* its directory, relative to the root when possible */
    const char *id;     /* the anchor the summary links to */
    int several, sub;   /* several group runs; the level of their headings */
    double df, ct;      /* degrees of freedom, cluster-forming t (NaN if none) */
    char al[32];        /* alpha, formatted */
    bract_volume *t;
    bract_volume *sigp; /* the first corrected p map there is, or NULL */
    const char *siglabel;
    size_t sigcount;    /* its voxels at or below alpha */
    bract_table *clusters;
} gmaps;

/* The paragraph under the heading, and the run's line of the summary. */
static void group_lead(rp_ctx *c, gmaps *g)
{
    const rp_sidecar *s = g->s;
    double nsub = bract_rp_get_num(s, "Counts", "subjects"),
           tested = bract_rp_get_num(s, "Counts", "tested_voxels");
    double maskv = bract_rp_get_num(s, "Counts", "mask_voxels");
    double perm = bract_rp_get_num(s, "Parameters", "permutations_used");
    const char *alt = bract_rp_get_str(s, "Parameters", "alternative");
    const char *tr = bract_rp_get_str(s, "Parameters", "transform");
    json_object *tfce = bract_rp_get(s, "Parameters", "tfce"),
                *exh = bract_rp_get(s, "Parameters", "exhaustive");
    double cp = bract_rp_get_num(s, "Parameters", "cluster_p");
    char b1[32], b2[32];
    bract_rp_put(c, "<p>");
    if (!g->several) {
        bract_rp_from(c, g->where);
    }
    if (isfinite(nsub))
        bract_rp_putf(c, "%.0f subject maps; ", nsub);
    if (isfinite(tested)) {
        bract_rp_putf(c, "%.0f", tested);
        if (isfinite(maskv))
            bract_rp_putf(c, " of %.0f mask", maskv);
        bract_rp_put(c, " voxels tested");
    }
    const char *design = bract_rp_get_str(s, "Parameters", "design");
    int two = design && strcmp(design, "two-sample") == 0;
    bract_rp_put(c, ". ");
    bract_rp_esc(c, two ? "Two-sample" : design && !strcmp(design, "paired") ? "Paired" : "One-sample");
    bract_rp_put(c, " t");
    if (tr && strcmp(tr, "fisher") == 0)
        bract_rp_put(c, " on Fisher z");
    if (isfinite(g->df))
        bract_rp_putf(c, " (%.0f df)", g->df);
    if (alt) {
        bract_rp_put(c, ", ");
        bract_rp_esc(c, alt);
    }
    bract_rp_put(c, ". ");
    if (isfinite(perm) && perm > 0)
        bract_rp_putf(c, "Family-wise error from %s%.0f %s%s. ",
                      exh && json_object_get_boolean(exh) ? "all " : "", perm,
                      exh && json_object_get_boolean(exh) ? "" : "random ",
                      two ? "relabellings of the groups" : "sign flips");
    if (tfce && json_object_get_boolean(tfce))
        bract_rp_put(c, "TFCE. ");
    if (isfinite(cp))
        bract_rp_putf(c, "Clusters formed at p &lt; %s (t \xe2\x89\xa5 %s). ",
                      bract_rp_fmt(b1, cp, RP_P), bract_rp_fmt(b2, g->ct, RP_STAT));
    else if (isfinite(g->ct))
        bract_rp_putf(c, "Clusters formed at t \xe2\x89\xa5 %s. ",
                      bract_rp_fmt(b2, g->ct, RP_STAT));
    bract_rp_putf(c, "<a href=\"#%s\">All parameters</a>.</p>\n", g->run->anchor);
    bract_rp_buf_putf(c, &c->done, "<li><a href=\"#%s\">Group maps</a>: ", g->id);
    if (isfinite(nsub))
        bract_rp_buf_putf(c, &c->done, "%.0f subjects, ", nsub);
    if (isfinite(tested))
        bract_rp_buf_putf(c, &c->done, "%.0f voxels", tested);
    if (isfinite(perm) && perm > 0)
        bract_rp_buf_putf(c, &c->done, ", %.0f sign flips", perm);
    if (tfce && json_object_get_boolean(tfce))
        bract_rp_buf_putf(c, &c->done, ", TFCE");
    bract_rp_buf_putf(c, &c->done, "</li>\n");
}

/* The t map, or a note saying why there is none (1). */
static int read_t(rp_ctx *c, gmaps *g)
{
    const rp_sidecar *ts = g->ts;
    if (!ts || !ts->output) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s: no t map (t.nii.gz) among the run's outputs", g->where);
        if (ts)
            bract_rp_note_missing(c, "group maps", ts, BRACT_OUT_GROUP_T);
        else
            bract_rp_note(c, "group maps", msg);
        return 1;
    }
    if (bract_volume_read(ts->output, 0, &g->t)) {
        bract_rp_note(c, "group maps", bract_last_error());
        return 1;
    }
    return 0;
}

/* The p map of pmaps[m] on the t map's grid, or NULL (noted). */
static bract_volume *read_p(rp_ctx *c, const gmaps *g, size_t m)
{
    rp_sidecar *ps = bract_rp_run_file(g->run, pmaps[m].file);
    if (!ps)
        return NULL;
    if (!ps->output) {
        bract_rp_note_missing(c, "group maps", ps, pmaps[m].file);
        return NULL;
    }
    bract_volume *p = NULL;
    if (bract_volume_read(ps->output, 0, &p)) {
        bract_rp_note(c, "group maps", bract_last_error());
        return NULL;
    }
    if (bract_volume_same_grid(g->t, p, 1e-3) || p->nt != 1) {
        bract_rp_note(c, "group maps",
                      p->nt != 1 ? "a p map has several volumes" : bract_last_error());
        bract_volume_free(p);
        return NULL;
    }
    return p;
}

/* Voxels below alpha in each p map; the first corrected one is kept. */
static void p_map_table(rp_ctx *c, gmaps *g)
{
    int table = 0;
    for (size_t m = 0; m < sizeof pmaps / sizeof pmaps[0]; m++) {
        bract_volume *p = read_p(c, g, m);
        if (!p)
            continue;
        /* maps are float32: p and alpha compared at that precision, so that a
         * p of exactly alpha (stored as the float nearest to it) counts */
        double level = (double)(float)c->o->alpha;
        size_t n = 0;
        for (size_t i = 0; i < p->nvox; i++)
            n += (double)(float)bract_volume_get(p, i) <= level;
        if (!table++)
            bract_rp_putf(c,
                          "<p class=\"cap\">Voxels with p \xe2\x89\xa4 %s in each map:</p>"
                          "<div class=\"tablewrap\"><table><thead><tr><th>correction</th><th "
                          "class=\"n\">voxels</th>"
                          "<th>map</th></tr></thead><tbody>\n",
                          g->al);
        bract_rp_putf(c, "<tr><td>%s</td><td class=\"n\">%zu</td><td><code>", pmaps[m].label, n);
        const char *out = bract_rp_run_file(g->run, pmaps[m].file)->output;
        char *rel = bract_rp_rel(c, out);
        bract_rp_esc(c, rel ? rel : out);
        free(rel);
        bract_rp_put(c, "</code></td></tr>\n");
        if (!g->sigp && m < 4) { /* the first corrected map available */
            g->sigp = p;
            g->siglabel = pmaps[m].label;
            g->sigcount = n;
        } else {
            bract_volume_free(p);
        }
    }
    if (table)
        bract_rp_put(c, "</tbody></table></div>\n");
}

/* The t map where the corrected p is at most alpha. */
static void significant_figure(rp_ctx *c, const gmaps *g, const bract_volume *bg,
                               const char *units, const char *why)
{
    const bract_volume *t = g->t;
    bract_volume *thr = NULL;
    if (bract_volume_new_like(t, 1, BRACT_F64, &thr)) {
        bract_rp_note(c, "group maps", bract_last_error());
        return;
    }
    double level = (double)(float)c->o->alpha;
    for (size_t i = 0; i < t->nvox; i++) {
        double p = (double)(float)bract_volume_get(g->sigp, i), v = bract_volume_get(t, i);
        bract_volume_set(thr, i, p <= level && isfinite(v) ? v : 0);
    }
    char ftitle[128], cap[1400];
    snprintf(ftitle, sizeof ftitle, "t where p (%s) \xe2\x89\xa4 %s", g->siglabel, g->al);
    snprintf(cap, sizeof cap, "The t map at the %zu voxel%s whose %s p is at most %s, "
             "cut through the peak.%s%s", g->sigcount, g->sigcount == 1 ? "" : "s", g->siglabel,
             g->al, *why ? " " : "", why);
    map_figure(c, thr, bg, BRACT_VIEW_ORTHO, 0, ftitle, units, ftitle, cap);
    bract_volume_free(thr);
}

/* Figures: the t map where significant, and the t map at the
 * cluster-forming threshold when there is one, else all of it. */
static void group_figures(rp_ctx *c, const gmaps *g)
{
    char why[1024];
    bract_volume *bg = background(c, g->s, g->t, why, sizeof why);
    char units[64];
    if (isfinite(g->df))
        snprintf(units, sizeof units, "t (%.0f df)", g->df);
    else
        snprintf(units, sizeof units, "t");
    bract_rp_put(c, "<div class=\"figs\">\n");
    if (g->sigp && g->sigcount)
        significant_figure(c, g, bg, units, why);
    char cap[1400], mtitle[128], tb[32];
    const char *none = g->sigp && !g->sigcount ? " No voxel reaches the corrected level." : "";
    double ct = g->ct;
    if (isfinite(ct) && ct > 0) {
        bract_rp_fmt(tb, ct, RP_STAT);
        snprintf(mtitle, sizeof mtitle, "t map, |t| \xe2\x89\xa5 %s", tb);
        snprintf(cap, sizeof cap, "The t map where |t| is at least the cluster-forming threshold "
                 "%s (uncorrected), axial slices.%s%s%s", tb, none, *why ? " " : "", why);
    } else {
        snprintf(mtitle, sizeof mtitle, "t map");
        snprintf(cap, sizeof cap, "The whole t map (every tested voxel), axial slices.%s%s%s",
                 none, *why ? " " : "", why);
    }
    map_figure(c, g->t, bg, BRACT_VIEW_MOSAIC, isfinite(ct) && ct > 0 ? ct : 0, mtitle, units,
               mtitle, cap);
    bract_rp_put(c, "</div>\n");
    bract_volume_free(bg);
}

/* The cluster table. */
static void cluster_section(rp_ctx *c, gmaps *g)
{
    rp_sidecar *cs = bract_rp_run_file(g->run, BRACT_OUT_GROUP_CLUSTER_TABLE);
    if (!cs)
        return;
    bract_rp_heading(c, g->sub, "clusters", "Clusters");
    if (!cs->output) {
        bract_rp_note_missing(c, "clusters", cs, BRACT_OUT_GROUP_CLUSTER_TABLE);
        return;
    }
    if (bract_table_read(cs->output, &g->clusters)) {
        bract_rp_note(c, "clusters", bract_last_error());
        g->clusters = NULL;
        return;
    }
    if (g->clusters->nrows == 0) {
        bract_rp_put(c, "<p class=\"muted\">No cluster.</p>\n");
        return;
    }
    const char *corr = bract_rp_get_str(cs, NULL, "ClusterTableCorrection");
    const rp_tcol cols[] = {
        {"cluster", "cluster", RP_GEN, NULL},
        {"size_voxels", "voxels", RP_GEN, NULL},
        {"size_mm3", "mm\xc2\xb3", RP_GEN, NULL},
        {"peak_x", "x (mm)", RP_GEN, NULL},
        {"peak_y", "y (mm)", RP_GEN, NULL},
        {"peak_z", "z (mm)", RP_GEN, NULL},
        {"peak_t", "peak t", RP_STAT, NULL},
        {"p_corrected", "p (corrected)", RP_P, NULL},
        {"correction", "correction", RP_TEXT, NULL},
        {"peak_label", "peak region", RP_TEXT, NULL},
    };
    char capt[256];
    char *hc = corr ? bract_rp_html(c, corr) : NULL;
    snprintf(capt, sizeof capt, "Clusters%s%s%s; highlighted: p \xe2\x89\xa4 %s.",
             hc ? " (" : "", hc ? hc : "", hc ? ")" : "", g->al);
    free(hc);
    bract_rp_table(c, g->clusters, cols, sizeof cols / sizeof cols[0], NULL, 0, "p_corrected",
                   capt);
}

/* "; 3 clusters, 1 with p <= 0.05 (largest: peak t = ... at x, y, z mm, region)" */
static void found_clusters(rp_ctx *c, const gmaps *g)
{
    const bract_table *ct_ = g->clusters;
    size_t nclus = ct_->nrows, nsigclus = 0;
    long pc = bract_table_find(ct_, "p_corrected"), tc = bract_table_find(ct_, "peak_t");
    long xc = bract_table_find(ct_, "peak_x"), yc = bract_table_find(ct_, "peak_y");
    long zc = bract_table_find(ct_, "peak_z"), lc = bract_table_find(ct_, "peak_label");
    for (size_t i = 0; pc >= 0 && i < ct_->nrows; i++) {
        double p;
        if (!bract_table_parse_double(bract_table_cell(ct_, i, (size_t)pc), &p) && p <= c->o->alpha)
            nsigclus++;
    }
    bract_rp_buf_putf(c, &c->found, "; %zu cluster%s", nclus, nclus == 1 ? "" : "s");
    if (pc >= 0)
        bract_rp_buf_putf(c, &c->found, ", %zu with p \xe2\x89\xa4 %s", nsigclus, g->al);
    if (tc < 0 || xc < 0 || yc < 0 || zc < 0)
        return;
    double v[4];
    const long cc[4] = {tc, xc, yc, zc};
    int ok = 1;
    for (int k = 0; k < 4; k++)
        ok &= !bract_table_parse_double(bract_table_cell(ct_, 0, (size_t)cc[k]), &v[k]);
    if (!ok)
        return;
    char bt[32], bx[32], by[32], bz[32];
    bract_rp_buf_putf(c, &c->found, " (largest: peak t = %s at %s, %s, %s mm",
                      bract_rp_fmt(bt, v[0], RP_STAT), bract_rp_fmt(bx, v[1], RP_GEN),
                      bract_rp_fmt(by, v[2], RP_GEN), bract_rp_fmt(bz, v[3], RP_GEN));
    if (lc >= 0 && !bract_table_cell_missing(bract_table_cell(ct_, 0, (size_t)lc))) {
        bract_rp_buf_putf(c, &c->found, ", ");
        bract_rp_buf_esc(c, &c->found, bract_table_cell(ct_, 0, (size_t)lc));
    }
    bract_rp_buf_putf(c, &c->found, ")");
}

/* The run's line among the results of the summary. */
static void group_found(rp_ctx *c, const gmaps *g)
{
    bract_rp_buf_putf(c, &c->found, "<li><a href=\"#%s\">Group maps</a> (", g->id);
    bract_rp_buf_esc(c, &c->found, g->where);
    bract_rp_buf_putf(c, &c->found, "): ");
    if (g->siglabel) {
        if (g->sigcount)
            bract_rp_buf_putf(c, &c->found, "<span class=\"hit\">%zu voxel%s</span> with %s p "
                                            "\xe2\x89\xa4 %s",
                              g->sigcount, g->sigcount == 1 ? "" : "s", g->siglabel, g->al);
        else
            bract_rp_buf_putf(c, &c->found, "no voxel with %s p \xe2\x89\xa4 %s", g->siglabel,
                              g->al);
    } else {
        bract_rp_buf_putf(c, &c->found, "no corrected p map");
    }
    if (g->clusters && g->clusters->nrows)
        found_clusters(c, g);
    bract_rp_buf_putf(c, &c->found, ".</li>\n");
}

static void group_run(rp_ctx *c, rp_run *run, int several)
{
    gmaps g;
    memset(&g, 0, sizeof g);
    g.run = run;
    g.ts = bract_rp_run_file(run, BRACT_OUT_GROUP_T);
    g.s = run->record ? run->record : g.ts ? g.ts : run->sc[0];
    char *reldir = bract_rp_rel(c, run->dir);
    g.where = reldir ? reldir : run->dir;
    char title[512];
    snprintf(title, sizeof title, "Group maps: %s", g.where);
    g.id = several ? bract_rp_heading(c, 3, "group-maps", title) : "maps";
    g.several = several;
    g.sub = several ? 4 : 3;
    g.df = bract_rp_get_num(g.s, NULL, "DegreesOfFreedom");
    g.ct = bract_rp_get_num(g.s, "Parameters", "cluster_t");
    group_lead(c, &g);
    if (read_t(c, &g) == 0) {
        bract_rp_heading(c, g.sub, "group-maps-voxels",
                         several ? "Maps" : "Maps and corrected voxels");
        bract_rp_fmt(g.al, c->o->alpha, RP_GEN);
        p_map_table(c, &g);
        group_figures(c, &g);
        cluster_section(c, &g);
        group_found(c, &g);
    }
    bract_table_free(g.clusters);
    bract_volume_free(g.sigp);
    bract_volume_free(g.t);
    free(reldir);
}

/* At most this many searchlight maps are drawn, as small multiples. */
#define SL_PANELS 24

/* A searchlight map of the report: its sidecar, the map (kept while it
 * may be drawn), the subject's ID and the map's name without it. */
typedef struct {
    rp_sidecar *s;
    bract_volume *v;
    char subject[64];
    const char *name;
} sl_map;

/* Its name in the table: the file name, without the subject's ID when it
 * starts with it ("sub-01_desc-sl_r.nii.gz": "desc-sl_r.nii.gz"). */
static const char *sl_name(const sl_map *m)
{
    const char *b = strrchr(m->s->rel, '/');
    b = b ? b + 1 : m->s->rel;
    size_t k = strlen(m->subject);
    if (k && strncmp(b, m->subject, k) == 0 && b[k] == '_')
        b += k + 1;
    return b;
}

/* The searchlight maps, one table row each (subject IDs, not paths). */
static void searchlight_table(rp_ctx *c, sl_map *m, size_t n)
{
    bract_rp_put(c, "<div class=\"tablewrap\"><table><thead><tr><th>subject</th><th>map</th>"
                    "<th>values</th><th class=\"n\">voxels</th><th class=\"n\">least</th>"
                    "<th class=\"n\">mean</th><th class=\"n\">greatest</th></tr></thead>"
                    "<tbody>\n");
    for (size_t i = 0; i < n; i++) {
        bract_volume_stats st;
        if (bract_volume_summary(m[i].v, &st)) {
            bract_rp_note(c, "searchlight maps", bract_last_error());
            continue;
        }
        char a[32], b[32], mn[32];
        bract_rp_put(c, "<tr><td title=\"");
        bract_rp_esc(c, m[i].s->rel);
        bract_rp_put(c, "\">");
        bract_rp_esc(c, m[i].subject[0] ? m[i].subject : "n/a");
        bract_rp_put(c, "</td><td>");
        bract_rp_esc(c, m[i].name);
        bract_rp_putf(c,
                      "</td><td>%s</td><td class=\"n\">%zu</td><td class=\"n\">%s</td>"
                      "<td class=\"n\">%s</td><td class=\"n\">%s</td></tr>\n",
                      m[i].v->intent_code == BRACT_INTENT_CORREL ? "correlation"
                      : m[i].v->intent_code == BRACT_INTENT_ZSCORE
                          ? "z"
                          : bract_volume_intent_name(m[i].v->intent_code),
                      st.nonzero, bract_rp_fmt(a, st.min, RP_R), bract_rp_fmt(mn, st.mean, RP_R),
                      bract_rp_fmt(b, st.max, RP_R));
    }
    bract_rp_put(c, "</tbody></table></div>\n");
}

/* The maps as one small-multiples figure: a small orthogonal view of each
 * (cut through its peak) at one colour scale, titled by subject, so that
 * a study of many subjects stays a short page. */
static void searchlight_small_multiples(rp_ctx *c, sl_map *m, size_t n, size_t total)
{
    double vmax = 0;
    for (size_t i = 0; i < n; i++) {
        bract_volume_stats st;
        if (bract_volume_summary(m[i].v, &st))
            continue;
        if (isfinite(st.min) && fabs(st.min) > vmax)
            vmax = fabs(st.min);
        if (isfinite(st.max) && fabs(st.max) > vmax)
            vmax = fabs(st.max);
    }
    if (n == 0 || !(vmax > 0))
        return;
    int several_models = 0;
    for (size_t i = 1; i < n && !several_models; i++)
        several_models = strcmp(m[i].name, m[0].name) != 0 &&
                         strcmp(m[i].subject, m[0].subject) == 0;
    bract_rp_put(c, "<figure class=\"fig smallmult\"><div class=\"panels\">");
    for (size_t i = 0; i < n; i++) {
        bract_plot_opts o;
        bract_rp_plot_opts(c, &o);
        o.view = BRACT_VIEW_ORTHO;
        o.width = 2.6;
        o.font_size = 7;
        o.vmax = vmax;
        o.units = m[i].v->intent_code == BRACT_INTENT_CORREL ? "r" : "value";
        char title[160];
        snprintf(title, sizeof title, "%s%s%s", m[i].subject[0] ? m[i].subject : m[i].name,
                 several_models && m[i].subject[0] ? " " : "",
                 several_models && m[i].subject[0] ? m[i].name : "");
        o.title = title;
        bract_plot_figure f;
        memset(&f, 0, sizeof f);
        if (bract_plot_map(m[i].v, NULL, &o, &f))
            bract_rp_note(c, "searchlight maps", bract_last_error());
        else
            bract_rp_figure_panel(c, &f, title);
        bract_plot_figure_free(&f);
    }
    char v[32];
    bract_rp_putf(c, "</div><figcaption>The searchlight map of each %s, every one on the same "
                     "colour scale (\xc2\xb1%s), cut through its own peak",
                  several_models ? "subject and model" : "subject", bract_rp_fmt(v, vmax, RP_R));
    if (total > n)
        bract_rp_putf(c, "; the first %zu of %zu maps (the table lists them all)", n, total);
    bract_rp_put(c, ".</figcaption></figure>\n");
    c->info.figures++;
}

/* Searchlight maps (one per subject and model): a table by subject, and
 * one small-multiples figure of them. */
static void searchlight_runs(rp_ctx *c, rp_run **runs, size_t n)
{
    bract_rp_heading(c, 3, "searchlight-maps", "Searchlight maps");
    size_t nmaps = 0, cap = 0;
    sl_map *m = NULL;
    for (size_t k = 0; k < n; k++)
        for (size_t i = 0; i < runs[k]->n; i++) {
            rp_sidecar *s = runs[k]->sc[i];
            if (!s->output || !(bract_ends_with(s->output, ".nii") ||
                                bract_ends_with(s->output, ".nii.gz")))
                continue;
            bract_volume *v = NULL;
            if (bract_volume_read(s->output, 0, &v)) {
                bract_rp_note(c, "searchlight maps", bract_last_error());
                continue;
            }
            if (nmaps == cap) {
                size_t nc = cap ? 2 * cap : 16;
                sl_map *nm = realloc(m, nc * sizeof *nm);
                if (!nm) {
                    bract_volume_free(v);
                    c->oom = 1;
                    break;
                }
                m = nm;
                cap = nc;
            }
            sl_map *x = &m[nmaps++];
            memset(x, 0, sizeof *x);
            x->s = s;
            x->v = v;
            bract_rp_subject_id(s->rel, x->subject, sizeof x->subject);
            x->name = sl_name(x);
        }
    searchlight_table(c, m, nmaps);
    /* the table needs every map, the figure the first SL_PANELS */
    searchlight_small_multiples(c, m, nmaps < SL_PANELS ? nmaps : SL_PANELS, nmaps);
    for (size_t i = 0; i < nmaps; i++)
        bract_volume_free(m[i].v);
    free(m);
}

void bract_rp_section_maps(rp_ctx *c)
{
    size_t ng, ns;
    rp_run **g = bract_rp_runs_of(c, BRACT_CMD_GROUP, &ng);
    rp_run **sl = bract_rp_runs_of(c, BRACT_CMD_SEARCHLIGHT, &ns);
    if (ng || ns) {
        bract_rp_put(c, "<section>\n");
        bract_rp_heading(c, 2, "maps", ns ? "Searchlight and group maps" : "Group maps");
        if (ns)
            searchlight_runs(c, sl, ns);
        for (size_t k = 0; k < ng; k++)
            group_run(c, g[k], ng > 1);
        bract_rp_put(c, "</section>\n");
        c->info.sections++;
    }
    free(g);
    free(sl);
}
