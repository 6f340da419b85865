/* dFC state centroids as region x region matrices, with each state's
 * fraction of time and mean dwell time (see bract/plot.h). */
#include "figures/plot_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int bract_plot_state_occupancy(const long *state, const long *group, size_t n, size_t k, double *frac,
                          double *dwell)
{
    if (n == 0 || k == 0)
        return bract_error(BRACT_EINVAL, "a state sequence needs at least one window and one "
                           "state (got %zu windows, %zu states)", n, k);
    for (size_t t = 0; t < n; t++)
        if (state[t] < 1 || (size_t)state[t] > k)
            return bract_error(BRACT_EDATA, "window %zu is in state %ld; states run from 1 to %zu",
                               t + 1, state[t], k);
    size_t *count = bract_xcalloc(k, sizeof *count, "state counts");
    size_t *runs = bract_xcalloc(k, sizeof *runs, "state runs");
    if (!count || !runs) {
        free(count);
        free(runs);
        return BRACT_ENOMEM;
    }
    for (size_t t = 0; t < n; t++) {
        size_t s = (size_t)state[t] - 1;
        count[s]++;
        /* a run starts at the first window, at a change of state or of group */
        if (t == 0 || state[t] != state[t - 1] || (group && group[t] != group[t - 1]))
            runs[s]++;
    }
    for (size_t s = 0; s < k; s++) {
        frac[s] = (double)count[s] / (double)n;
        dwell[s] = runs[s] ? (double)count[s] / (double)runs[s] : 0;
    }
    free(count);
    free(runs);
    return BRACT_OK;
}

/* ---- reading the centroids ---- */

typedef struct {
    size_t k, n;      /* states, regions */
    char **state;     /* k labels */
    char **region;    /* n names */
    double *d;        /* k * n(n-1)/2 condensed values */
} centroids;

static void centroids_free(centroids *c)
{
    if (c->state)
        for (size_t i = 0; i < c->k; i++)
            free(c->state[i]);
    if (c->region)
        for (size_t i = 0; i < c->n; i++)
            free(c->region[i]);
    free(c->state);
    free(c->region);
    free(c->d);
    memset(c, 0, sizeof *c);
}

static long find_label(char *const *v, size_t n, const char *x)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i], x) == 0)
            return (long)i;
    return -1;
}

static long first_column(const bract_table *t, const char *const *names)
{
    for (size_t i = 0; names[i]; i++) {
        long c = bract_table_find(t, names[i]);
        if (c >= 0)
            return c;
    }
    return -1;
}

static int alloc_centroids(centroids *c, size_t k, size_t n)
{
    c->k = k;
    c->n = n;
    c->state = bract_xcalloc(k, sizeof *c->state, "state labels");
    c->region = bract_xcalloc(n, sizeof *c->region, "region names");
    c->d = bract_xmalloc(k * bract_npairs(n), sizeof *c->d, "state centroids");
    if (!c->state || !c->region || !c->d)
        return BRACT_ENOMEM;
    for (size_t i = 0; i < k * bract_npairs(n); i++)
        c->d[i] = NAN;
    return BRACT_OK;
}

/* Long form: state, region_a, region_b, value. */
static int read_long(const bract_table *t, long cs, centroids *c)
{
    static const char *const vals[] = {"value", "centroid", "connectivity", NULL};
    size_t ca, cb;
    int rc;
    if ((rc = bract_table_require(t, "region_a", &ca)) ||
        (rc = bract_table_require(t, "region_b", &cb)))
        return rc;
    long cv = first_column(t, vals);
    if (cv < 0)
        return bract_error(BRACT_EFORMAT, "%s: no value column (expected 'value', 'centroid' or "
                           "'connectivity' next to state, region_a, region_b)", t->path);
    char **st = bract_xcalloc(t->nrows + 1, sizeof *st, "state labels");
    char **rg = bract_xcalloc(2 * t->nrows + 2, sizeof *rg, "region names");
    size_t k = 0, n = 0;
    if (!st || !rg) {
        free(st);
        free(rg);
        return BRACT_ENOMEM;
    }
    for (size_t r = 0; r < t->nrows; r++) {
        char *s = t->cell[r * t->ncols + (size_t)cs];
        char *a = t->cell[r * t->ncols + ca], *b = t->cell[r * t->ncols + cb];
        if (find_label(st, k, s) < 0)
            st[k++] = s;
        if (find_label(rg, n, a) < 0)
            rg[n++] = a;
        if (find_label(rg, n, b) < 0)
            rg[n++] = b;
    }
    if (n < 2) {
        rc = bract_error(BRACT_EFORMAT, "%s: the centroids name fewer than 2 regions", t->path);
        goto out;
    }
    if ((rc = alloc_centroids(c, k, n)))
        goto out;
    for (size_t i = 0; i < k; i++)
        if (!(c->state[i] = bract_xstrdup(st[i]))) {
            rc = BRACT_ENOMEM;
            goto out;
        }
    for (size_t i = 0; i < n; i++)
        if (!(c->region[i] = bract_xstrdup(rg[i]))) {
            rc = BRACT_ENOMEM;
            goto out;
        }
    size_t np = bract_npairs(n);
    for (size_t r = 0; r < t->nrows; r++) {
        size_t s = (size_t)find_label(st, k, bract_table_cell(t, r, (size_t)cs));
        long i = find_label(rg, n, bract_table_cell(t, r, ca));
        long j = find_label(rg, n, bract_table_cell(t, r, cb));
        if (i == j) {
            rc = bract_error(BRACT_EFORMAT, "%s:%zu: region '%s' paired with itself", t->path,
                             t->line[r], rg[i]);
            goto out;
        }
        if (i > j) {
            long x = i;
            i = j;
            j = x;
        }
        double *slot = &c->d[s * np + bract_pair_index(n, (size_t)i, (size_t)j)];
        if (!isnan(*slot)) {
            rc = bract_error(BRACT_EFORMAT, "%s:%zu: state '%s' lists the pair (%s, %s) twice",
                             t->path, t->line[r], st[s], rg[i], rg[j]);
            goto out;
        }
        if ((rc = bract_table_double(t, r, (size_t)cv, slot)))
            goto out;
    }
    for (size_t s = 0; s < k; s++) {
        size_t miss = 0;
        for (size_t p = 0; p < np; p++)
            miss += isnan(c->d[s * np + p]) != 0;
        if (miss) {
            rc = bract_error(BRACT_EFORMAT, "%s: state '%s' lacks %zu of its %zu region pairs "
                             "(missing rows or n/a values): every pair is needed", t->path, st[s],
                             miss, np);
            goto out;
        }
    }
out:
    free(st);
    free(rg);
    return rc;
}

/* Region names of pair columns "A-B" in condensed order: the split of the
 * first name into A and B that makes every column consistent. */
static int pair_names(const bract_table *t, const size_t *cols, size_t m, size_t n, char **region)
{
    const char *first = t->colname[cols[0]];
    for (const char *dash = strchr(first, '-'); dash; dash = strchr(dash + 1, '-')) {
        size_t la = (size_t)(dash - first);
        int ok = la > 0 && dash[1] != '\0';
        for (size_t j = 1; ok && j < n; j++) {
            const char *nm = t->colname[cols[j - 1]];
            ok = strncmp(nm, first, la) == 0 && nm[la] == '-' && nm[la + 1] != '\0';
        }
        if (!ok)
            continue;
        /* candidate names: region 0 and the suffixes of row 0 */
        for (size_t i = 0; i < n; i++) {
            free(region[i]);
            region[i] = NULL;
        }
        region[0] = bract_xmalloc(la + 1, 1, "a region name");
        if (!region[0])
            return BRACT_ENOMEM;
        memcpy(region[0], first, la);
        region[0][la] = '\0';
        for (size_t j = 1; j < n; j++)
            if (!(region[j] = bract_xstrdup(t->colname[cols[j - 1]] + la + 1)))
                return BRACT_ENOMEM;
        size_t p = 0;
        for (size_t i = 0; ok && i < n; i++)
            for (size_t j = i + 1; ok && j < n; j++, p++) {
                const char *nm = t->colname[cols[p]];
                size_t li = strlen(region[i]);
                ok = strncmp(nm, region[i], li) == 0 && nm[li] == '-' &&
                     strcmp(nm + li + 1, region[j]) == 0;
            }
        if (ok && p == m)
            return BRACT_OK;
    }
    return bract_error(BRACT_EFORMAT, "%s: the %zu pair columns ('%s', ...) are not the region "
                       "pairs A-B of %zu regions in condensed order (A-B for A before B: r0-r1, "
                       "r0-r2, ..., r1-r2, ...)", t->path, m, first, n);
}

/* Wide form: one row per state, pair columns "A-B". */
static int read_wide(const bract_table *t, long cs, centroids *c)
{
    size_t *cols = bract_xmalloc(t->ncols + 1, sizeof *cols, "pair columns");
    if (!cols)
        return BRACT_ENOMEM;
    size_t m = 0;
    for (size_t j = 0; j < t->ncols; j++)
        if ((long)j != cs && strchr(t->colname[j], '-'))
            cols[m++] = j;
    int rc = BRACT_OK;
    size_t n = 2;
    while (bract_npairs(n) < m)
        n++;
    if (m == 0 || bract_npairs(n) != m) {
        rc = bract_error(BRACT_EFORMAT, "%s: expected region pair columns named A-B (%zu found, "
                         "not n(n-1)/2 for any n of regions), or the long form with columns "
                         "state, region_a, region_b, value", t->path, m);
        goto out;
    }
    if (t->nrows == 0) {
        rc = bract_error(BRACT_EFORMAT, "%s: no states (no rows)", t->path);
        goto out;
    }
    if ((rc = alloc_centroids(c, t->nrows, n)) || (rc = pair_names(t, cols, m, n, c->region)))
        goto out;
    for (size_t s = 0; s < t->nrows; s++) {
        char buf[32];
        snprintf(buf, sizeof buf, "%zu", s + 1);
        if (!(c->state[s] = bract_xstrdup(cs >= 0 ? bract_table_cell(t, s, (size_t)cs) : buf))) {
            rc = BRACT_ENOMEM;
            goto out;
        }
        for (size_t p = 0; p < m; p++)
            if ((rc = bract_table_double(t, s, cols[p], &c->d[s * m + p])))
                goto out;
    }
out:
    free(cols);
    return rc;
}

static int read_centroids(const bract_table *t, centroids *c)
{
    memset(c, 0, sizeof *c);
    long cs = bract_table_find(t, "state");
    int rc;
    if (cs >= 0 && bract_table_find(t, "region_a") >= 0)
        rc = read_long(t, cs, c);
    else
        rc = read_wide(t, cs, c);
    if (rc)
        centroids_free(c);
    return rc;
}

/* Index of a state label among the centroids' (text, else numeric match). */
static long state_index(const centroids *c, const char *label)
{
    long i = find_label(c->state, c->k, label);
    if (i >= 0)
        return i;
    double x, y;
    if (bract_table_parse_double(label, &x))
        return -1;
    for (size_t s = 0; s < c->k; s++)
        if (bract_table_parse_double(c->state[s], &y) == 0 && x == y)
            return (long)s;
    return -1;
}

/* Fraction and dwell from the summary: averages of its rows per state. */
static int from_summary(const bract_table *t, const centroids *c, double *frac, double *dwell,
                        int *seconds, int *have_frac, int *have_dwell)
{
    static const char *const fnames[] = {"fraction", "fraction_time", "fraction_of_time",
                                         "occupancy", NULL};
    static const char *const dnames[] = {"mean_dwell", "mean_dwell_time", "dwell_time",
                                         "mean_dwell_windows", NULL};
    static const char *const snames[] = {"mean_dwell_s", "mean_dwell_time_s", "dwell_time_s", NULL};
    long cs = bract_table_find(t, "state"), cf = first_column(t, fnames);
    long cd = first_column(t, dnames);
    *seconds = 0;
    if (cd < 0 && (cd = first_column(t, snames)) >= 0)
        *seconds = 1;
    *have_frac = cf >= 0;
    *have_dwell = cd >= 0;
    if (cf < 0 && cd < 0)
        return BRACT_OK;
    if (cs < 0 && t->nrows != c->k)
        return bract_error(BRACT_EFORMAT, "%s: no 'state' column, and %zu rows for %zu states",
                           t->path, t->nrows, c->k);
    size_t *cnt = bract_xcalloc(c->k, sizeof *cnt, "state rows");
    if (!cnt)
        return BRACT_ENOMEM;
    for (size_t s = 0; s < c->k; s++)
        frac[s] = dwell[s] = 0;
    int rc = BRACT_OK;
    for (size_t r = 0; r < t->nrows && !rc; r++) {
        long s = cs >= 0 ? state_index(c, bract_table_cell(t, r, (size_t)cs)) : (long)r;
        if (s < 0) {
            rc = bract_error(BRACT_EDATA, "%s:%zu: state '%s' is not among the centroids' states",
                             t->path, t->line[r], bract_table_cell(t, r, (size_t)cs));
            break;
        }
        double f = 0, d = 0;
        if ((cf >= 0 && (rc = bract_table_double(t, r, (size_t)cf, &f))) ||
            (cd >= 0 && (rc = bract_table_double(t, r, (size_t)cd, &d))))
            break;
        frac[s] += f;
        dwell[s] += d;
        cnt[s]++;
    }
    for (size_t s = 0; s < c->k && !rc; s++) {
        frac[s] = cnt[s] ? frac[s] / (double)cnt[s] : NAN;
        dwell[s] = cnt[s] ? dwell[s] / (double)cnt[s] : NAN;
    }
    free(cnt);
    return rc;
}

/* Fraction and dwell (windows) from the state sequence. */
static int from_sequence(const bract_table *t, const centroids *c, double *frac, double *dwell)
{
    size_t cs;
    int rc;
    if ((rc = bract_table_require(t, "state", &cs)))
        return rc;
    long cg = bract_table_find(t, "subject");
    long *st = bract_xmalloc(t->nrows + 1, sizeof *st, "a state sequence");
    long *grp = bract_xmalloc(t->nrows + 1, sizeof *grp, "a state sequence");
    if (!st || !grp) {
        free(st);
        free(grp);
        return BRACT_ENOMEM;
    }
    for (size_t r = 0; r < t->nrows; r++) {
        long s = state_index(c, bract_table_cell(t, r, cs));
        if (s < 0) {
            rc = bract_error(BRACT_EDATA, "%s:%zu: state '%s' is not among the centroids' states",
                             t->path, t->line[r], bract_table_cell(t, r, cs));
            goto out;
        }
        st[r] = s + 1;
        /* subjects in order of appearance; a change of subject ends a run */
        grp[r] = r == 0 ? 0
                        : (cg >= 0 && strcmp(bract_table_cell(t, r, (size_t)cg),
                                             bract_table_cell(t, r - 1, (size_t)cg)) != 0)
                              ? grp[r - 1] + 1
                              : grp[r - 1];
    }
    rc = bract_plot_state_occupancy(st, grp, t->nrows, c->k, frac, dwell);
    if (rc)
        bract_error_context(rc, "%s", t->path);
out:
    free(st);
    free(grp);
    return rc;
}

int bract_plot_states(const bract_table *ctab, const bract_table *summary,
                      const bract_table *sequence, const bract_plot_opts *opts, bract_plot_figure *out)
{
    int rc0 = bract_pc_check_opts(opts, out);
    if (rc0)
        return rc0;
    centroids c;
    int rc = read_centroids(ctab, &c);
    if (rc)
        return rc;
    double *frac = bract_xmalloc(c.k, sizeof *frac, "state fractions");
    double *dwell = bract_xmalloc(c.k, sizeof *dwell, "state dwell times");
    pc_matrix *mats = bract_xcalloc(c.k, sizeof *mats, "state panels");
    char (*titles)[48] = bract_xcalloc(c.k, sizeof *titles, "state titles");
    char (*subs)[96] = bract_xcalloc(c.k, sizeof *subs, "state titles");
    if (!frac || !dwell || !mats || !titles || !subs) {
        rc = BRACT_ENOMEM;
        goto done;
    }
    int seconds = 0, hf = 0, hd = 0;
    if (summary && (rc = from_summary(summary, &c, frac, dwell, &seconds, &hf, &hd)))
        goto done;
    if ((!hf || !hd) && sequence) {
        double *f2 = bract_xmalloc(c.k, sizeof *f2, "state fractions");
        double *d2 = bract_xmalloc(c.k, sizeof *d2, "state dwell times");
        if (!f2 || !d2 || (rc = from_sequence(sequence, &c, f2, d2))) {
            free(f2);
            free(d2);
            rc = rc ? rc : BRACT_ENOMEM;
            goto done;
        }
        if (!hf)
            memcpy(frac, f2, c.k * sizeof *frac);
        if (!hd) {
            memcpy(dwell, d2, c.k * sizeof *dwell);
            seconds = 0;
        }
        hf = hd = 1;
        free(f2);
        free(d2);
    }
    if (!hf || !hd)
        bract_warn("no state summary or sequence with %s%s%s: the titles lack them",
                   hf ? "" : "the fraction of time", !hf && !hd ? " and " : "",
                   hd ? "" : "the mean dwell time");
    double vmax = 0;
    size_t np = bract_npairs(c.n);
    for (size_t i = 0; i < c.k * np; i++)
        if (isfinite(c.d[i]))
            vmax = fmax(vmax, fabs(c.d[i]));
    if (isfinite(opts->vmax) && opts->vmax > 0)
        vmax = opts->vmax;
    if (!(vmax > 0))
        vmax = 1;
    for (size_t s = 0; s < c.k; s++) {
        snprintf(titles[s], sizeof titles[s], "State %s", c.state[s]);
        char fb[32] = "", db[32] = "";
        if (hf && isfinite(frac[s]))
            snprintf(fb, sizeof fb, "%.1f%% of time", 100 * frac[s]);
        if (hd && isfinite(dwell[s]))
            snprintf(db, sizeof db, "dwell %.3g %s", dwell[s], seconds ? "s" : "windows");
        snprintf(subs[s], sizeof subs[s], "%s%s%s", fb, *fb && *db ? ", " : "", db);
        mats[s].n = c.n;
        mats[s].labels = c.region;
        mats[s].d = c.d + s * np;
        mats[s].title = titles[s];
        mats[s].subtitle = *subs[s] ? subs[s] : NULL;
    }
    char title[64];
    snprintf(title, sizeof title, "Connectivity states (k = %zu)", c.k);
    rc = bract_pc_matrix_figure(opts, mats, c.k, bract_pc_title_of(opts, title), "rdbu", -vmax,
                                vmax, -vmax, vmax, opts->units ? opts->units : "connectivity", out);
done:
    free(frac);
    free(dwell);
    free(mats);
    free(titles);
    free(subs);
    centroids_free(&c);
    return rc;
}

int bract_plot_states_dir(const char *dir, const bract_plot_opts *opts, bract_plot_figure *out)
{
    memset(out, 0, sizeof *out);
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return bract_error(BRACT_EIO, "%s: not a directory (expected the output directory of "
                           "bract dfc --states)", dir);
    bract_buf p = {0};
    bract_table *ct = NULL, *sum = NULL, *seq = NULL;
    int rc;
    if ((rc = bract_buf_printf(&p, "%s/state_centroids.tsv", dir)))
        goto done;
    if (stat(p.data, &st) != 0) {
        rc = bract_error(BRACT_EIO, "%s: no state_centroids.tsv (run bract dfc with --states)",
                         dir);
        goto done;
    }
    if ((rc = bract_table_read(p.data, &ct)))
        goto done;
    p.len = 0;
    if ((rc = bract_buf_printf(&p, "%s/state_summary.tsv", dir)))
        goto done;
    if (stat(p.data, &st) == 0 && (rc = bract_table_read(p.data, &sum)))
        goto done;
    p.len = 0;
    if ((rc = bract_buf_printf(&p, "%s/state_sequence.tsv", dir)))
        goto done;
    if (stat(p.data, &st) == 0 && (rc = bract_table_read(p.data, &seq)))
        goto done;
    rc = bract_plot_states(ct, sum, seq, opts, out);
done:
    bract_table_free(ct);
    bract_table_free(sum);
    bract_table_free(seq);
    bract_buf_free(&p);
    return rc;
}
