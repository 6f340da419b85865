/* The HTML report: RSA results, and the RDMs behind them. */
#include "figures/report_internal.h"
#include "bract/outputs.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Colour-bar label of an RDM set from the method in its sidecar ("" if
 * it records none). */
static void rdm_units(rp_ctx *c, const char *path, char *buf, size_t n)
{
    buf[0] = '\0';
    rp_sidecar *s = bract_rp_sidecar_of(c, path);
    const char *m = s ? bract_rp_get_str(s, "Parameters", "method") : NULL;
    if (m)
        bract_plot_rdm_units(m, buf, n);
}

/* Group (or, without group rows, subject) rows of an RSA table. */
typedef struct {
    size_t *single, *pair, *subj; /* row lists */
    size_t nsingle, npair, nsubj;
    int group;                    /* single/pair rows are group rows */
} rsa_rows;

static int is_na(const char *s) { return bract_table_cell_missing(s); }

static int split_rows(rp_ctx *c, const bract_table *t, rsa_rows *r)
{
    memset(r, 0, sizeof *r);
    long lev = bract_table_find(t, "level"), mb = bract_table_find(t, "model_b");
    r->single = bract_xcalloc(t->nrows, sizeof *r->single, "table rows");
    r->pair = bract_xcalloc(t->nrows, sizeof *r->pair, "table rows");
    r->subj = bract_xcalloc(t->nrows, sizeof *r->subj, "table rows");
    if (!r->single || !r->pair || !r->subj) {
        c->oom = 1;
        return BRACT_ENOMEM;
    }
    for (size_t i = 0; i < t->nrows; i++)
        if (lev >= 0 && strcmp(bract_table_cell(t, i, (size_t)lev), "group") == 0)
            r->group = 1;
    for (size_t i = 0; i < t->nrows; i++) {
        int grp = lev >= 0 && strcmp(bract_table_cell(t, i, (size_t)lev), "group") == 0;
        int pair = mb >= 0 && !is_na(bract_table_cell(t, i, (size_t)mb));
        if (r->group && !grp) {
            r->subj[r->nsubj++] = i;
            continue;
        }
        if (pair)
            r->pair[r->npair++] = i;
        else
            r->single[r->nsingle++] = i;
    }
    return BRACT_OK;
}

static void free_rows(rsa_rows *r)
{
    free(r->single);
    free(r->pair);
    free(r->subj);
}

/* Distinct values of a column over some rows, in order. */
static size_t distinct(const bract_table *t, long col, const size_t *rows, size_t n,
                       const char **out, size_t max)
{
    size_t k = 0;
    for (size_t i = 0; i < n && col >= 0; i++) {
        const char *s = bract_table_cell(t, rows[i], (size_t)col);
        int seen = 0;
        for (size_t j = 0; j < k; j++)
            if (strcmp(out[j], s) == 0)
                seen = 1;
        if (!seen && k < max)
            out[k++] = s;
    }
    return k;
}

static const char *test_name(const char *t)
{
    if (!t)
        return "statistic";
    if (strcmp(t, "t") == 0)
        return "t";
    if (strcmp(t, "wilcoxon") == 0)
        return "W";
    if (strcmp(t, "signflip") == 0)
        return "mean";
    return "statistic";
}

/* How each subject's permutation test relabelled the conditions: every
 * relabelling when the n! - 1 of them are no more than were asked for (as
 * bract rsa then does), else that many at random. */
static void permutation_words(rp_ctx *c, double perm, double ncond)
{
    double all = 1;
    for (double k = 2; isfinite(ncond) && k <= ncond && all - 1 <= perm; k++)
        all *= k;
    if (isfinite(ncond) && all - 1 <= perm)
        bract_rp_putf(c, "Subjects: permutation test over all %.0f relabellings of the %.0f "
                         "conditions (exact). ", all - 1, ncond);
    else
        bract_rp_putf(c, "Subjects: permutation test over %.0f random relabellings of the "
                         "conditions. ", perm);
}

/* The lead paragraph of an RSA run. */
static void rsa_lead(rp_ctx *c, const rp_run *run, const bract_table *t, const rsa_rows *rr)
{
    const rp_sidecar *s = run->sc[0];
    double nsub = bract_rp_get_num(s, "Counts", "subjects"),
           nreg = bract_rp_get_num(s, "Counts", "regions");
    double nmod = bract_rp_get_num(s, "Counts", "models"),
           ncond = bract_rp_get_num(s, "Counts", "conditions");
    const char *method = bract_rp_get_str(s, "Parameters", "method");
    const char *partial = bract_rp_get_str(s, "Parameters", "partial");
    const char *gt = bract_rp_get_str(s, "Parameters", "group_test");
    const char *alt = bract_rp_get_str(s, "Parameters", "alternative");
    double perm = bract_rp_get_num(s, "Parameters", "permutations");
    double boot = bract_rp_get_num(s, "Parameters", "bootstrap");
    json_object *fisher = bract_rp_get(s, "Parameters", "fisher");
    const char *models[64];
    size_t nm = distinct(t, bract_table_find(t, "model"), rr->single, rr->nsingle, models, 64);
    bract_buf line = {0};
    bract_rp_put(c, "<p>");
    if (isfinite(nsub))
        bract_rp_putf(c, "%.0f subject%s, ", nsub, nsub == 1 ? "" : "s");
    if (isfinite(nreg))
        bract_rp_putf(c, "%.0f region%s, ", nreg, nreg == 1 ? "" : "s");
    if (isfinite(ncond))
        bract_rp_putf(c, "%.0f conditions; ", ncond);
    bract_rp_putf(c, "%zu model%s (", nm, nm == 1 ? "" : "s");
    for (size_t i = 0; i < nm; i++) {
        if (i)
            bract_rp_put(c, ", ");
        bract_rp_esc(c, models[i]);
    }
    bract_rp_put(c, ")");
    if (method) {
        bract_rp_put(c, " compared by ");
        if (partial && strcmp(partial, "none") != 0)
            bract_rp_put(c, "partial ");
        bract_rp_esc(c, method);
    }
    bract_rp_put(c, ". ");
    if (isfinite(perm) && perm > 0)
        permutation_words(c, perm, ncond);
    if (isfinite(boot) && boot > 0)
        bract_rp_putf(c, "Bootstrap intervals from %.0f samples over conditions. ", boot);
    if (rr->group && gt) {
        bract_rp_put(c, "Group: ");
        bract_rp_esc(c, strcmp(gt, "t") == 0 ? "one-sample t-test" : gt);
        if (fisher && json_object_is_type(fisher, json_type_boolean) &&
            json_object_get_boolean(fisher))
            bract_rp_put(c, " on Fisher z");
        if (alt) {
            bract_rp_put(c, ", ");
            bract_rp_esc(c, alt);
        }
        bract_rp_put(c, "; FDR (Benjamini-Hochberg) across regions and models. ");
    }
    bract_rp_putf(c, "<a href=\"#%s\">All parameters</a>.</p>\n", run->anchor);
    /* what was run, for the summary */
    bract_rp_buf_putf(c, &c->done, "<li><a href=\"#%s\">RSA</a>: ", run->anchor);
    if (isfinite(nsub))
        bract_rp_buf_putf(c, &c->done, "%.0f subject%s \xc3\x97 ", nsub, nsub == 1 ? "" : "s");
    if (isfinite(nreg))
        bract_rp_buf_putf(c, &c->done, "%.0f region%s against ", nreg, nreg == 1 ? "" : "s");
    bract_rp_buf_putf(c, &c->done, "%zu model%s", isfinite(nmod) ? (size_t)nmod : nm,
                (isfinite(nmod) ? nmod : (double)nm) == 1 ? "" : "s");
    if (method) {
        bract_rp_buf_putf(c, &c->done, " (");
        bract_rp_buf_esc(c, &c->done, method);
        bract_rp_buf_putf(c, &c->done, ")");
    }
    bract_rp_buf_putf(c, &c->done, "</li>\n");
    bract_buf_free(&line);
}

/* The summary line of the results: what is significant. */
static void rsa_found(rp_ctx *c, const rp_run *run, const bract_table *t, const rsa_rows *rr,
                      const char *id)
{
    long cp = bract_table_find(t, "p_fdr"), cr = bract_table_find(t, "r");
    const char *pname = "p<sub>FDR</sub>";
    if (cp < 0) {
        cp = bract_table_find(t, "p");
        pname = "p";
    }
    long creg = bract_table_find(t, "rdm"), cmod = bract_table_find(t, "model");
    if (cp < 0 || cr < 0 || !rr->nsingle) {
        bract_rp_buf_putf(c, &c->found, "<li><a href=\"#%s\">RSA</a>: %zu results without p-values."
                                  "</li>\n", id, rr->nsingle);
        return;
    }
    size_t nsig = 0, best = rr->single[0];
    for (size_t i = 0; i < rr->nsingle; i++) {
        double p = bract_rp_cell_num(t, rr->single[i], cp);
        if (p <= c->o->alpha)
            nsig++;
        double pb = bract_rp_cell_num(t, best, cp);
        if (p < pb || (isnan(pb) && !isnan(p)))
            best = rr->single[i];
    }
    char a[32], b[32], al[32];
    bract_rp_fmt(al, c->o->alpha, RP_GEN);
    bract_rp_buf_putf(c, &c->found, "<li><a href=\"#%s\">RSA</a>%s: ", id,
                      rr->group ? " (group)" : "");
    if (nsig)
        bract_rp_buf_putf(c, &c->found,
                          "<span class=\"hit\">%zu of %zu</span> region \xc3\x97 model "
                          "comparisons with %s \xe2\x89\xa4 %s: ",
                          nsig, rr->nsingle, pname, al);
    else
        bract_rp_buf_putf(c, &c->found, "none of %zu region \xc3\x97 model comparisons has %s "
                                  "\xe2\x89\xa4 %s; the smallest: ",
                    rr->nsingle, pname, al);
    size_t listed = 0;
    for (size_t i = 0; i < rr->nsingle; i++) {
        size_t row = rr->single[i];
        double p = bract_rp_cell_num(t, row, cp);
        if (nsig ? !(p <= c->o->alpha) : row != best)
            continue;
        if (listed == 6) {
            bract_rp_buf_putf(c, &c->found, ", \xe2\x80\xa6");
            break;
        }
        if (listed++)
            bract_rp_buf_putf(c, &c->found, "; ");
        bract_rp_buf_esc(c, &c->found, creg >= 0 ? bract_table_cell(t, row, (size_t)creg) : "?");
        bract_rp_buf_putf(c, &c->found, " \xc3\x97 ");
        bract_rp_buf_esc(c, &c->found, cmod >= 0 ? bract_table_cell(t, row, (size_t)cmod) : "?");
        bract_rp_buf_putf(c, &c->found, " (r = %s, %s = %s)",
                          bract_rp_fmt(a, bract_rp_cell_num(t, row, cr), RP_R), pname,
                          bract_rp_fmt(b, p, RP_P));
    }
    bract_rp_buf_putf(c, &c->found, ".</li>\n");
    (void)run;
}

/* ---- RDMs ---- */

typedef struct {
    bract_rdmset **sets;
    char **paths;
    size_t n;
} setlist;

static void setlist_free(setlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        bract_rdmset_free(l->sets[i]);
    free(l->sets);
    bract_rp_free_strings(l->paths, l->n);
}

/* Read RDM sets; unreadable ones give a note each. */
static void read_sets(rp_ctx *c, char **paths, size_t n, setlist *l, const char *where)
{
    memset(l, 0, sizeof *l);
    l->sets = bract_xcalloc(n ? n : 1, sizeof *l->sets, "RDM sets");
    l->paths = bract_xcalloc(n ? n : 1, sizeof *l->paths, "RDM sets");
    if (!l->sets || !l->paths) {
        c->oom = 1;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        bract_rdmset *s;
        if (bract_rdmset_read(paths[i], &s)) {
            bract_rp_note(c, where, bract_last_error());
            continue;
        }
        l->sets[l->n] = s;
        l->paths[l->n] = bract_xstrdup(paths[i]);
        if (!l->paths[l->n]) {
            bract_rdmset_free(s);
            c->oom = 1;
            return;
        }
        l->n++;
    }
}

static long cond_index(const bract_rdm *r, const char *label)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->cond[i], label) == 0)
            return (long)i;
    return -1;
}

bract_rdmset *bract_rp_mean_rdms(const bract_rdmset *const *sets, size_t nsets,
                           const char *const *regions, size_t nreg, size_t *used)
{
    bract_rdmset *m = NULL;
    bract_rdmset_new(nreg, &m);
    if (!m)
        return NULL;
    for (size_t k = 0; k < nreg; k++) {
        const bract_rdm *ref = NULL;
        for (size_t s = 0; s < nsets && !ref; s++) {
            long j = bract_rdmset_find(sets[s], regions[k]);
            if (j >= 0)
                ref = &sets[s]->rdm[j];
        }
        used[k] = 0;
        if (!ref) {
            bract_rdmset_free(m);
            bract_error(BRACT_EINVAL, "no RDM named '%s'", regions[k]);
            return NULL;
        }
        if (bract_rdmset_init_rdm(m, k, regions[k], ref->n, (const char *const *)ref->cond)) {
            bract_rdmset_free(m);
            return NULL;
        }
        size_t np = bract_npairs(ref->n);
        double *sum = bract_xcalloc(np, sizeof *sum, "a mean RDM");
        size_t *cnt = bract_xcalloc(np, sizeof *cnt, "a mean RDM");
        long *map = bract_xcalloc(ref->n, sizeof *map, "a mean RDM");
        if (!sum || !cnt || !map) {
            free(sum);
            free(cnt);
            free(map);
            bract_rdmset_free(m);
            return NULL;
        }
        for (size_t s = 0; s < nsets; s++) {
            long j = bract_rdmset_find(sets[s], regions[k]);
            if (j < 0)
                continue;
            const bract_rdm *r = &sets[s]->rdm[j];
            int ok = r->n == ref->n;
            for (size_t i = 0; ok && i < ref->n; i++)
                ok = (map[i] = cond_index(r, ref->cond[i])) >= 0;
            if (!ok)
                continue;
            used[k]++;
            for (size_t a = 0; a < ref->n; a++)
                for (size_t b = a + 1; b < ref->n; b++) {
                    size_t x = (size_t)map[a], y = (size_t)map[b];
                    double v = r->d[x < y ? bract_pair_index(r->n, x, y)
                                          : bract_pair_index(r->n, y, x)];
                    if (isfinite(v)) {
                        sum[bract_pair_index(ref->n, a, b)] += v;
                        cnt[bract_pair_index(ref->n, a, b)]++;
                    }
                }
        }
        for (size_t p = 0; p < np; p++)
            m->rdm[k].d[p] = cnt[p] ? sum[p] / (double)cnt[p] : NAN;
        free(sum);
        free(cnt);
        free(map);
    }
    return m;
}

/* Heatmaps of a set in figures of up to four panels on one colour scale. */
static void heatmaps(rp_ctx *c, const bract_rdmset *set, const char *title, const char *units,
                     int rank, const char *caption, const char *where)
{
    double lo = INFINITY, hi = -INFINITY;
    for (size_t k = 0; k < set->nrdm; k++)
        for (size_t p = 0; p < bract_npairs(set->rdm[k].n); p++)
            if (isfinite(set->rdm[k].d[p])) {
                lo = fmin(lo, set->rdm[k].d[p]);
                hi = fmax(hi, set->rdm[k].d[p]);
            }
    bract_rp_put(c, "<div class=\"figs\">\n");
    for (size_t k0 = 0; k0 < set->nrdm; k0 += 4) {
        size_t np = set->nrdm - k0 < 4 ? set->nrdm - k0 : 4;
        const char *names[4];
        for (size_t k = 0; k < np; k++)
            names[k] = set->rdm[k0 + k].name;
        bract_plot_opts o;
        bract_rp_plot_opts(c, &o);
        o.select = names;
        o.nselect = np;
        o.title = title;
        o.units = units && *units ? units : NULL;
        o.rank = rank;
        if (!rank && isfinite(lo) && hi > lo) {
            o.vmin = lo;
            o.vmax = hi;
        }
        bract_plot_figure f;
        memset(&f, 0, sizeof f);
        if (bract_plot_rdm(set, &o, &f)) {
            bract_rp_note(c, where, bract_last_error());
            bract_plot_figure_free(&f);
            continue;
        }
        bract_rp_figure(c, &f, title, caption);
        bract_plot_figure_free(&f);
    }
    bract_rp_put(c, "</div>\n");
}

static void mds_plots(rp_ctx *c, const bract_rdmset *set, const char *const *names, size_t n,
                      const char *prefix, const char *where)
{
    bract_rp_put(c, "<div class=\"figs\">\n");
    size_t negative = 0;
    for (size_t k = 0; k < n; k++) {
        /* crossnobis estimates are unbiased, so a small distance can come out
         * negative: classical MDS takes none, and that is no fault */
        long r = bract_rdmset_find(set, names[k]);
        int neg = 0;
        for (size_t q = 0; r >= 0 && q < set->rdm[r].n * (set->rdm[r].n - 1) / 2; q++)
            neg |= set->rdm[r].d[q] < 0;
        if (neg) {
            negative++;
            continue;
        }
        bract_plot_opts o;
        bract_rp_plot_opts(c, &o);
        o.select = &names[k];
        o.nselect = 1;
        o.width = 5.4;
        o.height = 5.2;
        char title[256];
        snprintf(title, sizeof title, "%s%s", prefix, names[k]);
        o.title = title;
        bract_plot_figure f;
        memset(&f, 0, sizeof f);
        if (bract_plot_mds(set, &o, &f)) {
            char msg[1024];
            snprintf(msg, sizeof msg, "MDS of %s: %s", names[k], bract_last_error());
            bract_rp_note(c, where, msg);
            bract_plot_figure_free(&f);
            continue;
        }
        bract_rp_figure(c, &f, title, NULL);
        bract_plot_figure_free(&f);
    }
    bract_rp_put(c, "</div>\n");
    if (negative)
        bract_rp_putf(c, "<p class=\"cap\">No MDS of %zu RDM%s with negative dissimilarities "
                      "(unbiased estimates such as crossnobis put small distances below 0), "
                      "which classical MDS does not take.</p>\n", negative,
                      negative == 1 ? "" : "s");
}

/* The model RDMs of these files, combined in one set. */
static void model_figures(rp_ctx *c, char **paths, size_t n)
{
    setlist l;
    read_sets(c, paths, n, &l, "model RDMs");
    size_t total = 0;
    for (size_t i = 0; i < l.n; i++)
        total += l.sets[i]->nrdm;
    if (!total) {
        setlist_free(&l);
        return;
    }
    bract_rdmset *all = NULL;
    bract_rdmset_new(total, &all);
    if (!all) {
        c->oom = 1;
        setlist_free(&l);
        return;
    }
    size_t k = 0;
    char units[128] = "", u[128];
    int mixed = 0;
    for (size_t i = 0; i < l.n; i++) {
        rdm_units(c, l.paths[i], u, sizeof u);
        if (i == 0)
            snprintf(units, sizeof units, "%s", u);
        else if (strcmp(u, units) != 0)
            mixed = 1;
        for (size_t j = 0; j < l.sets[i]->nrdm; j++, k++) {
            const bract_rdm *r = &l.sets[i]->rdm[j];
            if (bract_rdmset_init_rdm(all, k, r->name, r->n, (const char *const *)r->cond)) {
                c->oom = 1;
                bract_rdmset_free(all);
                setlist_free(&l);
                return;
            }
            memcpy(all->rdm[k].d, r->d, bract_npairs(r->n) * sizeof *r->d);
        }
    }
    bract_rp_heading(c, 3, "model-rdms", "Model RDMs");
    bract_buf cap = {0};
    bract_rp_buf_putf(c, &cap, "%zu model RDM%s from ", total, total == 1 ? "" : "s");
    for (size_t i = 0; i < l.n; i++) {
        char *rel = bract_rp_rel(c, l.paths[i]);
        bract_rp_buf_putf(c, &cap, "%s<code>", i ? ", " : "");
        bract_rp_buf_esc(c, &cap, rel ? rel : l.paths[i]);
        bract_rp_buf_putf(c, &cap, "</code>");
        free(rel);
    }
    bract_rp_buf_putf(c, &cap, mixed ? "; coloured by percentile rank within each RDM, as their "
                                 "methods differ." : ".");
    heatmaps(c, all, "Model RDMs", mixed ? NULL : units, mixed, cap.data, "model RDMs");
    bract_buf_free(&cap);
    const char *names[8];
    size_t nn = total < 8 ? total : 8;
    for (size_t i = 0; i < nn; i++)
        names[i] = all->rdm[i].name;
    mds_plots(c, all, names, nn, "MDS: ", "model RDMs");
    bract_rdmset_free(all);
    setlist_free(&l);
}

/* The subjects' neural RDMs: the mean over subjects (or the one subject's)
 * of the regions in `order` (best first), up to the options' limits. */
static void neural_figures(rp_ctx *c, char **paths, size_t n, const char *const *order,
                           size_t norder)
{
    setlist l;
    read_sets(c, paths, n, &l, "neural RDMs");
    if (!l.n) {
        setlist_free(&l);
        return;
    }
    /* regions: those ranked first, then the rest of the first set's */
    size_t cap = norder + l.sets[0]->nrdm;
    const char **regs = bract_xcalloc(cap ? cap : 1, sizeof *regs, "region names");
    size_t *used = bract_xcalloc(cap ? cap : 1, sizeof *used, "region counts");
    if (!regs || !used) {
        free(regs);
        free(used);
        setlist_free(&l);
        c->oom = 1;
        return;
    }
    size_t nreg = 0;
    for (size_t i = 0; i < norder + l.sets[0]->nrdm; i++) {
        const char *name = i < norder ? order[i] : l.sets[0]->rdm[i - norder].name;
        int seen = 0, present = 0;
        for (size_t j = 0; j < nreg; j++)
            if (strcmp(regs[j], name) == 0)
                seen = 1;
        for (size_t s = 0; s < l.n && !present; s++)
            present = bract_rdmset_find(l.sets[s], name) >= 0;
        if (!seen && present)
            regs[nreg++] = name;
    }
    size_t allreg = nreg;
    if (nreg > c->o->max_rdms)
        nreg = c->o->max_rdms;
    bract_rdmset *m =
        nreg ? bract_rp_mean_rdms((const bract_rdmset *const *)l.sets, l.n, regs, nreg, used)
             : NULL;
    if (nreg && !m)
        c->oom = 1; /* every region in regs is in some set */
    if (m) {
        char units[128];
        rdm_units(c, l.paths[0], units, sizeof units);
        char title[128];
        if (l.n > 1)
            snprintf(title, sizeof title, "Mean neural RDMs of %zu subjects", l.n);
        else
            snprintf(title, sizeof title, "Neural RDMs");
        bract_rp_heading(c, 3, "neural-rdms", l.n > 1 ? "Mean neural RDMs" : "Neural RDMs");
        bract_buf capt = {0};
        if (l.n > 1)
            bract_rp_buf_putf(c, &capt, "The mean dissimilarity over subjects of each pair of "
                                  "conditions (conditions matched by label)");
        else {
            char *rel = bract_rp_rel(c, l.paths[0]);
            bract_rp_buf_putf(c, &capt, "The RDMs of <code>");
            bract_rp_buf_esc(c, &capt, rel ? rel : l.paths[0]);
            bract_rp_buf_putf(c, &capt, "</code>");
            free(rel);
        }
        if (nreg < allreg)
            bract_rp_buf_putf(c, &capt, "; %zu of %zu regions, %s", nreg, allreg,
                        norder ? "those with the largest r first" : "in file order");
        size_t partial = 0;
        for (size_t k = 0; k < nreg; k++)
            partial += used[k] < l.n;
        if (l.n > 1 && partial)
            bract_rp_buf_putf(c, &capt, "; %zu region%s averaged over fewer subjects (missing or "
                                  "different conditions)", partial, partial == 1 ? "" : "s");
        bract_rp_buf_putf(c, &capt, ".");
        heatmaps(c, m, title, units, 0, capt.data, "neural RDMs");
        bract_buf_free(&capt);
        size_t nm = c->o->max_rdms / 6;
        if (nm < 1)
            nm = 1;
        if (nm > nreg)
            nm = nreg;
        mds_plots(c, m, regs, nm, l.n > 1 ? "MDS of the mean RDM: " : "MDS: ", "neural RDMs");
        bract_rdmset_free(m);
    }
    free(regs);
    free(used);
    setlist_free(&l);
}

/* Regions of an RSA table ordered by their largest r (group rows, or the
 * mean over subjects otherwise). */
static size_t rank_regions(rp_ctx *c, const bract_table *t, const rsa_rows *rr,
                           const char ***out)
{
    *out = NULL;
    long creg = bract_table_find(t, "rdm"), cr = bract_table_find(t, "r");
    if (creg < 0 || cr < 0 || !rr->nsingle)
        return 0;
    const char **names = bract_xcalloc(rr->nsingle, sizeof *names, "region names");
    double *best = bract_xcalloc(rr->nsingle, sizeof *best, "region ranks");
    if (!names || !best) {
        free(names);
        free(best);
        c->oom = 1;
        return 0;
    }
    size_t n = 0;
    for (size_t i = 0; i < rr->nsingle; i++) {
        const char *name = bract_table_cell(t, rr->single[i], (size_t)creg);
        double r = bract_rp_cell_num(t, rr->single[i], cr);
        size_t j = 0;
        while (j < n && strcmp(names[j], name) != 0)
            j++;
        if (j == n) {
            names[n] = name;
            best[n++] = -INFINITY;
        }
        if (r > best[j])
            best[j] = r;
    }
    /* stable insertion sort by decreasing r */
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && best[j] > best[j - 1]; j--) {
            double tb = best[j];
            best[j] = best[j - 1];
            best[j - 1] = tb;
            const char *tn = names[j];
            names[j] = names[j - 1];
            names[j - 1] = tn;
        }
    free(best);
    *out = names;
    return n;
}

/* A results table being reported. */
typedef struct {
    const rp_sidecar *s;
    bract_table *t;
    rsa_rows rr;
    const char *sigcol; /* p_fdr, else p */
    const char *test;   /* the test of the first row, or NULL */
    char cihead[32], al[32];
    size_t skip;        /* 1: no subject column (group rows) */
} rsa_view;

/* The RDM sets the run's sidecar names (a note for those not found). */
static void rsa_sources(rp_ctx *c, const rp_sidecar *s, char ***neural, size_t *nneural,
                        char ***model, size_t *nmodel)
{
    size_t lost_n = 0, lost_m = 0;
    *nneural = bract_rp_sources(c, s, "neural", neural, &lost_n);
    *nmodel = bract_rp_sources(c, s, "model", model, &lost_m);
    if (lost_n || lost_m) {
        char msg[512];
        snprintf(msg, sizeof msg, "%zu neural and %zu model RDM set%s that %s records %s not "
                 "found (as recorded, or by the end of the path under the root): figures of "
                 "them are left out", lost_n, lost_m, lost_n + lost_m == 1 ? "" : "s", s->rel,
                 lost_n + lost_m == 1 ? "is" : "are");
        bract_rp_note(c, "RSA", msg);
    }
}

/* The results table, or NULL with a note and a warning in the summary. */
static bract_table *rsa_table(rp_ctx *c, const rp_sidecar *s, const char *id)
{
    if (!s->output) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s: the results table is missing (only its sidecar is there)",
                 s->rel);
        bract_rp_note(c, "RSA", msg);
        bract_rp_buf_putf(c, &c->found, "<li class=\"warn\"><a href=\"#%s\">RSA</a>: the results "
                                  "table is missing.</li>\n", id);
        return NULL;
    }
    bract_table *t = bract_rp_read_table(c, s->output, "RSA");
    size_t col;
    if (t && (bract_table_require(t, "rdm", &col) || bract_table_require(t, "model", &col) ||
              bract_table_require(t, "r", &col))) {
        bract_rp_note(c, "RSA", bract_last_error());
        bract_table_free(t);
        t = NULL;
    }
    if (!t) { /* the summary says so too: it is the main result */
        bract_rp_buf_putf(c, &c->found, "<li class=\"warn\"><a href=\"#%s\">RSA</a> (", id);
        bract_rp_buf_esc(c, &c->found, s->rel);
        bract_rp_buf_putf(c, &c->found,
                          "): the results table cannot be read (see the note).</li>\n");
    }
    return t;
}

/* The table of the rows of one model each (group rows, or every row). */
static void rsa_main_table(rp_ctx *c, const rsa_view *v)
{
    const rsa_rows *rr = &v->rr;
    const rp_tcol cols[] = {
        {"subject", "subject", RP_SUBJECT, NULL},
        {"rdm", "region", RP_TEXT, NULL},
        {"model", "model", RP_TEXT, NULL},
        {"r", "r", RP_R, NULL},
        {"stat", rr->group ? test_name(v->test) : "statistic", RP_STAT, NULL},
        {"df", "df", RP_GEN, NULL},
        {"p", "p", RP_P, NULL},
        {"p_fdr", "p (FDR)", RP_P, NULL},
        {"ci_low", v->cihead, RP_R, "ci_high"},
        {"noise_lower", "noise ceiling", RP_R, "noise_upper"},
        {"n_subjects", "n", RP_GEN, NULL},
    };
    bract_buf cap = {0};
    bract_rp_buf_putf(c, &cap,
                      "%s: one row per region and model; highlighted: %s \xe2\x89\xa4 %s. "
                      "From <code>",
                      rr->group ? "Group results" : "Results",
                      strcmp(v->sigcol, "p_fdr") == 0 ? "FDR p" : "p", v->al);
    bract_rp_buf_esc(c, &cap, v->s->rel);
    bract_rp_buf_putf(c, &cap, "</code>.");
    bract_rp_table(c, v->t, cols + v->skip, sizeof cols / sizeof cols[0] - v->skip, rr->single,
                   rr->nsingle, v->sigcol, cap.data);
    bract_buf_free(&cap);
}

/* The 16 regions of largest r (ranked), in table order: o->select. */
static void select_top_regions(const rsa_view *v, const char **ranked, bract_plot_opts *o)
{
    const char **sel = bract_xcalloc(16, sizeof *sel, "region names");
    size_t k = 0;
    long creg = bract_table_find(v->t, "rdm");
    for (size_t i = 0; sel && i < v->rr.nsingle && k < 16; i++) {
        const char *name = bract_table_cell(v->t, v->rr.single[i], (size_t)creg);
        int top = 0, seen = 0;
        for (size_t j = 0; j < 16; j++)
            if (strcmp(ranked[j], name) == 0)
                top = 1;
        for (size_t j = 0; j < k; j++)
            if (strcmp(sel[j], name) == 0)
                seen = 1;
        if (top && !seen)
            sel[k++] = name;
    }
    o->select = sel;
    o->nselect = k;
}

/* The bar chart (of the 16 regions of largest r when there are more). */
static void rsa_bars(rp_ctx *c, const rsa_view *v, const char **ranked, size_t nranked)
{
    const rsa_rows *rr = &v->rr;
    bract_plot_opts o;
    bract_rp_plot_opts(c, &o);
    if (nranked > 16)
        select_top_regions(v, ranked, &o);
    bract_plot_figure f;
    memset(&f, 0, sizeof f);
    const char *subjects[2];
    if (!rr->group && distinct(v->t, bract_table_find(v->t, "subject"), rr->single, rr->nsingle,
                               subjects, 2) > 1) {
        /* bars show one value per region and model: there is none here */
        bract_rp_put(c, "<p class=\"muted\">No bar chart: the table holds several subjects and no "
                  "group rows (<code>bract rsa --group</code> makes them).</p>\n");
    } else if (bract_plot_bars(v->t, &o, &f)) {
        bract_rp_note(c, "RSA bars", bract_last_error());
    } else {
        bract_buf fc = {0};
        bract_rp_buf_putf(c, &fc,
                          "Bars: r of each model per region%s; error bars: the %s; grey band: "
                          "the noise ceiling (lower to upper bound); marks: %s \xe2\x89\xa4 %s.",
                          o.nselect ? " (the 16 regions of largest r)" : "",
                          rr->group ? "group interval" : "bootstrap interval",
                          strcmp(v->sigcol, "p_fdr") == 0 ? "FDR p" : "p", v->al);
        bract_rp_figure(c, &f, "RSA results per region", fc.data);
        bract_buf_free(&fc);
    }
    bract_plot_figure_free(&f);
    free((void *)o.select);
}

/* Pairwise model comparisons, and the per-subject rows (folded). */
static void rsa_more_tables(rp_ctx *c, const rsa_view *v)
{
    const rsa_rows *rr = &v->rr;
    if (rr->npair) {
        bract_rp_heading(c, 4, "rsa-pairwise", "Pairwise model comparisons");
        const rp_tcol pc[] = {
            {"subject", "subject", RP_SUBJECT, NULL},
            {"rdm", "region", RP_TEXT, NULL},
            {"model", "model A", RP_TEXT, NULL},
            {"model_b", "model B", RP_TEXT, NULL},
            {"r", "r(A) \xe2\x88\x92 r(B)", RP_R, NULL},
            {"stat", rr->group ? test_name(v->test) : "statistic", RP_STAT, NULL},
            {"df", "df", RP_GEN, NULL},
            {"p", "p", RP_P, NULL},
            {"p_fdr", "p (FDR)", RP_P, NULL},
            {"ci_low", v->cihead, RP_R, "ci_high"},
        };
        bract_rp_table(c, v->t, pc + v->skip, sizeof pc / sizeof pc[0] - v->skip, rr->pair,
                       rr->npair, v->sigcol,
                       "Is model A closer to the neural RDM than model B? (positive: A)");
    }
    if (rr->nsubj) {
        bract_rp_putf(c, "<details><summary>Per-subject results (%zu rows)</summary>\n",
                      rr->nsubj);
        const rp_tcol sc[] = {
            {"subject", "subject", RP_SUBJECT, NULL},
            {"rdm", "region", RP_TEXT, NULL},
            {"model", "model", RP_TEXT, NULL},
            {"model_b", "model B", RP_TEXT, NULL},
            {"r", "r", RP_R, NULL},
            {"test", "test", RP_TEXT, NULL},
            {"p", "p", RP_P, NULL},
            {"p_fdr", "p (FDR)", RP_P, NULL},
            {"ci_low", v->cihead, RP_R, "ci_high"},
        };
        bract_rp_table(c, v->t, sc, sizeof sc / sizeof sc[0], rr->subj, rr->nsubj, NULL, NULL);
        bract_rp_put(c, "</details>\n");
    }
}

/* One RSA run's results.  Returns (through the pointers) the neural and
 * model RDM sets its sidecar names, and its regions by largest r (copies,
 * for bract_rp_free_strings). */
static void rsa_run(rp_ctx *c, rp_run *run, int several, char ***neural, size_t *nneural,
                    char ***model, size_t *nmodel, char ***order, size_t *norder)
{
    *order = NULL;
    *norder = 0;
    rsa_view v;
    memset(&v, 0, sizeof v);
    const rp_sidecar *s = v.s = run->sc[0];
    char title[512];
    snprintf(title, sizeof title, several ? "Results: %s" : "Results", s->rel);
    const char *id = bract_rp_heading(c, 3, "rsa-results", title);
    rsa_sources(c, s, neural, nneural, model, nmodel);
    if (!(v.t = rsa_table(c, s, id)))
        return;
    bract_table *t = v.t;
    if (split_rows(c, t, &v.rr)) {
        free_rows(&v.rr);
        bract_table_free(t);
        return;
    }
    rsa_lead(c, run, t, &v.rr);
    rsa_found(c, run, t, &v.rr, id);
    v.sigcol = bract_table_find(t, "p_fdr") >= 0 ? "p_fdr" : "p";
    long ctest = bract_table_find(t, "test");
    v.test = ctest >= 0 && v.rr.nsingle ? bract_table_cell(t, v.rr.single[0], (size_t)ctest)
                                        : NULL;
    double ci = bract_rp_get_num(s, "Parameters", "ci");
    snprintf(v.cihead, sizeof v.cihead, "%.0f%% CI", isfinite(ci) ? 100 * ci : 95);
    v.skip = v.rr.group ? 1 : 0; /* no subject column for group rows */
    bract_rp_fmt(v.al, c->o->alpha, RP_GEN);
    rsa_main_table(c, &v);
    const char **ranked = NULL;
    size_t nranked = rank_regions(c, t, &v.rr, &ranked);
    rsa_bars(c, &v, ranked, nranked);
    rsa_more_tables(c, &v);
    /* the RDM figures follow in the caller, regions ranked by this table */
    if (nranked && (*order = bract_xcalloc(nranked, sizeof **order, "region names"))) {
        for (size_t i = 0; i < nranked; i++)
            if (((*order)[i] = bract_xstrdup(ranked[i])))
                (*norder)++;
    }
    free(ranked);
    free_rows(&v.rr);
    bract_table_free(t);
}

/* Outputs of the runs of a command. */
static size_t outputs_of(rp_ctx *c, const char *command, char ***out)
{
    size_t n, k = 0, tot = 0;
    rp_run **runs = bract_rp_runs_of(c, command, &n);
    for (size_t i = 0; i < n; i++)
        tot += runs[i]->n;
    *out = bract_xcalloc(tot ? tot : 1, sizeof **out, "paths");
    if (!*out) {
        c->oom = 1;
        free(runs);
        return 0;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < runs[i]->n; j++)
            if (runs[i]->sc[j]->output && !runs[i]->sc[j]->output_is_dir &&
                ((*out)[k] = bract_xstrdup(runs[i]->sc[j]->output)))
                k++;
    free(runs);
    return k;
}

void bract_rp_section_rsa(rp_ctx *c)
{
    size_t nrsa, nneu_runs, nmod_runs;
    rp_run **rsa = bract_rp_runs_of(c, BRACT_CMD_RSA, &nrsa);
    free(bract_rp_runs_of(c, BRACT_CMD_RDM_NEURAL, &nneu_runs));
    free(bract_rp_runs_of(c, BRACT_CMD_RDM_MODEL, &nmod_runs));
    if (!nrsa && !nneu_runs && !nmod_runs) {
        free(rsa);
        return;
    }
    bract_rp_put(c, "<section>\n");
    bract_rp_heading(c, 2, "rsa", "Representational similarity");
    /* the RDMs drawn: those of the first RSA run, else every RDM set */
    char **model = NULL, **neural = NULL, **order = NULL;
    size_t nmodel = 0, nneural = 0, norder = 0;
    for (size_t k = 0; k < nrsa; k++) {
        char **m, **n, **o;
        size_t nm, nn, no;
        rsa_run(c, rsa[k], nrsa > 1, &n, &nn, &m, &nm, &o, &no);
        if (k == 0) {
            model = m, nmodel = nm, neural = n, nneural = nn, order = o, norder = no;
        } else {
            bract_rp_free_strings(m, nm);
            bract_rp_free_strings(n, nn);
            bract_rp_free_strings(o, no);
        }
    }
    if (nrsa == 0) {
        bract_rp_put(c, "<p>RDMs without an RSA of them.</p>\n");
        nneural = outputs_of(c, BRACT_CMD_RDM_NEURAL, &neural);
        nmodel = outputs_of(c, BRACT_CMD_RDM_MODEL, &model);
        bract_rp_buf_putf(c, &c->done,
                          "<li><a href=\"#rsa\">RDMs</a>: %zu neural and %zu model RDM "
                          "set%s</li>\n",
                          nneural, nmodel, nneural + nmodel == 1 ? "" : "s");
    }
    if (nmodel)
        model_figures(c, model, nmodel);
    if (nneural)
        neural_figures(c, neural, nneural, (const char *const *)order, norder);
    bract_rp_free_strings(model, nmodel);
    bract_rp_free_strings(neural, nneural);
    bract_rp_free_strings(order, norder);
    bract_rp_put(c, "</section>\n");
    c->info.sections++;
    free(rsa);
}
