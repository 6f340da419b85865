/* Nuisance regressors from fMRIPrep confounds tables (bract/nuisance.h). */
#include "base/internal.h"

#include <ctype.h>
#include <fnmatch.h>
#include <math.h>
#include <string.h>

#include <json-c/json.h>

#include "bract/nuisance.h"

static const char *const strategy_names[] = {"motion6", "motion24", "wm_csf",
                                             "global",  "acompcor", "scrub"};
enum { NSTRATEGIES = sizeof strategy_names / sizeof *strategy_names };

int bract_nuisance_strategy_parse(const char *s, bract_nuisance_strategy *out)
{
    for (int i = 0; i < NSTRATEGIES; i++) {
        const char *a = strategy_names[i], *b = s;
        while (*a && *b && tolower((unsigned char)*b) == *a)
            a++, b++;
        if (!*a && !*b) {
            *out = (bract_nuisance_strategy)i;
            return BRACT_OK;
        }
    }
    return bract_error(BRACT_EINVAL, "unknown confound strategy '%s': expected motion6, "
                       "motion24, wm_csf, global, acompcor or scrub", s);
}

const char *bract_nuisance_strategy_name(bract_nuisance_strategy s)
{
    return (int)s >= 0 && (int)s < NSTRATEGIES ? strategy_names[s] : "unknown";
}

void bract_nuisance_opts_defaults(bract_nuisance_opts *o)
{
    o->columns = NULL;
    o->ncolumns = 0;
    o->strategies = NULL;
    o->nstrategies = 0;
    o->demean = 1;
    o->fd_threshold = 0.2;
    o->std_dvars_threshold = 3.0;
    o->scrub_segment = 5;
    o->n_compcor = 0;
}

void bract_nuisance_free(bract_nuisance *c)
{
    if (!c)
        return;
    for (size_t j = 0; j < c->ncols; j++)
        free(c->name[j]);
    for (size_t j = 0; j < c->nfilled; j++)
        free(c->filled[j]);
    free(c->name);
    free(c->filled);
    free(c->x);
    free(c->keep);
    free(c->path);
    free(c);
}

void bract_nuisance_scrub_segments(const size_t *idx, size_t n, size_t nvol, size_t segment,
                                    unsigned char *censor)
{
    memset(censor, 0, nvol);
    if (n == 0)
        return;
    for (size_t i = 0; i < n; i++)
        censor[idx[i]] = 1;
    /* a short first segment: everything before the first outlier */
    if (idx[0] < segment)
        for (size_t t = 0; t < idx[0]; t++)
            censor[t] = 1;
    /* a short last segment: everything after the last one */
    if (nvol - (idx[n - 1] + 1) < segment)
        for (size_t t = idx[n - 1]; t < nvol; t++)
            censor[t] = 1;
    /* short segments between outliers (gaps of 1 .. segment volumes) */
    for (size_t i = 0; i + 1 < n; i++) {
        size_t gap = idx[i + 1] - idx[i];
        if (gap > 1 && gap < segment + 1)
            for (size_t t = idx[i] + 1; t < idx[i + 1]; t++)
                censor[t] = 1;
    }
}

/* ---- column selection ---- */

typedef struct {
    size_t *col;
    size_t n, cap;
} colset;

static int colset_add(colset *s, size_t c)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->col[i] == c)
            return BRACT_OK;
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 16;
        size_t *p = bract_xrealloc(s->col, cap, sizeof *p, "confound columns");
        if (!p)
            return BRACT_ENOMEM;
        s->col = p;
        s->cap = cap;
    }
    s->col[s->n++] = c;
    return BRACT_OK;
}

static char *column_list(const bract_table *t)
{
    bract_buf b = {0};
    for (size_t j = 0; j < t->ncols && j < 40; j++)
        bract_buf_printf(&b, "%s%s", j ? ", " : "", t->colname[j]);
    if (t->ncols > 40)
        bract_buf_printf(&b, ", ... (%zu in all)", t->ncols);
    return b.data ? b.data : bract_xstrdup("(none)");
}

/* Columns base + suffixes (nilearn's add_suffix); every one must exist. */
static int add_named(const bract_table *t, const char *what, const char *const *base,
                     size_t nbase, const char *const *suffix, size_t nsuffix, colset *s)
{
    bract_buf missing = {0};
    size_t nmiss = 0;
    int rc = BRACT_OK;
    for (size_t k = 0; k <= nsuffix && !rc; k++)
        for (size_t i = 0; i < nbase && !rc; i++) {
            char name[128];
            if (k == 0)
                snprintf(name, sizeof name, "%s", base[i]);
            else
                snprintf(name, sizeof name, "%s_%s", base[i], suffix[k - 1]);
            long c = bract_table_find(t, name);
            if (c < 0) {
                bract_buf_printf(&missing, "%s%s", nmiss ? ", " : "", name);
                nmiss++;
            } else {
                rc = colset_add(s, (size_t)c);
            }
        }
    if (!rc && nmiss) {
        char *have = column_list(t);
        rc = bract_error(BRACT_EDATA, "%s: the %s strategy needs column%s %s, which the file "
                         "lacks (it has: %s)", t->path, what, nmiss == 1 ? "" : "s",
                         missing.data, have ? have : "?");
        free(have);
    }
    bract_buf_free(&missing);
    return rc;
}

static char *json_path_of(const char *path)
{
    size_t n = strlen(path);
    size_t cut = n;
    if (bract_ends_with(path, ".tsv.gz"))
        cut = n - 7;
    else if (bract_ends_with(path, ".tsv"))
        cut = n - 4;
    char *j = bract_xmalloc(cut + 6, 1, "a file name");
    if (j) {
        memcpy(j, path, cut);
        memcpy(j + cut, ".json", 6);
    }
    return j;
}

/* aCompCor components of the combined mask, in order, as nilearn's
 * find_compcor(compcor="anat_combined"). */
static int add_acompcor(const bract_table *t, size_t keep_n, colset *s)
{
    char *jpath = json_path_of(t->path);
    if (!jpath)
        return BRACT_ENOMEM;
    char *text = NULL;
    size_t len;
    int rc = bract_read_file(jpath, &text, &len);
    if (rc) {
        rc = bract_error(BRACT_EIO, "%s: the acompcor strategy needs the confounds' JSON "
                         "sidecar %s (fMRIPrep >= 1.4), which cannot be read", t->path, jpath);
        free(jpath);
        return rc;
    }
    json_object *root = json_tokener_parse(text);
    free(text);
    if (!root || !json_object_is_type(root, json_type_object)) {
        if (root)
            json_object_put(root);
        rc = bract_error(BRACT_EFORMAT, "%s: not a JSON object", jpath);
        free(jpath);
        return rc;
    }
    size_t count = 0;
    json_object_object_foreach(root, key, val)
    {
        (void)val;
        if (strstr(key, "a_comp_cor"))
            count++;
    }
    size_t taken = 0;
    for (size_t nn = 0; nn < count && !rc; nn++) {
        char name[64];
        snprintf(name, sizeof name, "a_comp_cor_%02zu", nn);
        json_object *e, *m;
        if (!json_object_object_get_ex(root, name, &e) ||
            !json_object_object_get_ex(e, "Mask", &m))
            continue;
        const char *mask = json_object_get_string(m);
        if (!mask || strcmp(mask, "combined") != 0)
            continue;
        if (keep_n && taken >= keep_n)
            break;
        long c = bract_table_find(t, name);
        if (c < 0) {
            rc = bract_error(BRACT_EDATA, "%s: %s lists %s but the table has no such column",
                             t->path, jpath, name);
            break;
        }
        rc = colset_add(s, (size_t)c);
        taken++;
    }
    if (!rc && taken == 0)
        rc = bract_error(BRACT_EDATA, "%s: the acompcor strategy found no a_comp_cor_NN "
                         "component of the combined mask in %s", t->path, jpath);
    json_object_put(root);
    free(jpath);
    return rc;
}

static int cmp_names(const void *a, const void *b, void *ctx)
{
    const bract_table *t = ctx;
    return strcmp(t->colname[*(const size_t *)a], t->colname[*(const size_t *)b]);
}

/* insertion sort with a context (the sets are small) */
static void sort_cols(size_t *c, size_t n, const bract_table *t)
{
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && cmp_names(&c[j - 1], &c[j], (void *)t) > 0; j--) {
            size_t x = c[j];
            c[j] = c[j - 1];
            c[j - 1] = x;
        }
}

/* Numeric column of the table (missing -> NaN), with its errors. */
static int read_column(const bract_table *t, size_t col, double *out)
{
    return bract_table_column(t, col, out);
}

/* The scrub strategy: volumes whose framewise displacement or standardised
 * DVARS passes its threshold are censored, with the segments between them
 * shorter than scrub_segment volumes (nilearn's load_confounds). */
static int censor_scrub(const bract_table *t, const bract_nuisance_opts *o, unsigned char *censor,
                        double *tmp, size_t *idx)
{
    const size_t T = t->nrows;
    size_t fd, dv;
    int rc;
    if ((rc = bract_table_require(t, "framewise_displacement", &fd)) ||
        (rc = bract_table_require(t, "std_dvars", &dv)))
        return bract_error_context(rc, "the scrub strategy");
    unsigned char *out_flag = bract_xcalloc(T, 1, "outliers");
    unsigned char *seg = bract_xcalloc(T, 1, "censored volumes");
    if (!out_flag || !seg) {
        rc = BRACT_ENOMEM;
        goto done;
    }
    if ((rc = read_column(t, fd, tmp)))
        goto done;
    for (size_t i = 0; i < T; i++)
        if (tmp[i] > o->fd_threshold) /* n/a (NaN) is never an outlier */
            out_flag[i] = 1;
    if ((rc = read_column(t, dv, tmp)))
        goto done;
    for (size_t i = 0; i < T; i++)
        if (tmp[i] > o->std_dvars_threshold)
            out_flag[i] = 1;
    size_t n = 0;
    for (size_t i = 0; i < T; i++)
        if (out_flag[i])
            idx[n++] = i;
    if (o->scrub_segment > 0)
        bract_nuisance_scrub_segments(idx, n, T, o->scrub_segment, seg);
    else
        memcpy(seg, out_flag, T);
    for (size_t i = 0; i < T; i++)
        censor[i] |= seg[i];
done:
    free(out_flag);
    free(seg);
    return rc;
}

/* The columns of strategy k (nilearn's load_confounds_strategy names). */
static int add_strategy(const bract_table *t, const bract_nuisance_opts *o, size_t k,
                        colset *strat, unsigned char *censor, double *tmp, size_t *idx)
{
    static const char *const motion[] = {"trans_x", "trans_y", "trans_z",
                                         "rot_x",   "rot_y",   "rot_z"};
    static const char *const full[] = {"derivative1", "power2", "derivative1_power2"};
    static const char *const wmcsf[] = {"csf", "white_matter"};
    static const char *const glob_[] = {"global_signal"};
    switch (o->strategies[k]) {
    case BRACT_NUISANCE_MOTION6: return add_named(t, "motion6", motion, 6, NULL, 0, strat);
    case BRACT_NUISANCE_MOTION24: return add_named(t, "motion24", motion, 6, full, 3, strat);
    case BRACT_NUISANCE_WM_CSF: return add_named(t, "wm_csf", wmcsf, 2, NULL, 0, strat);
    case BRACT_NUISANCE_GLOBAL: return add_named(t, "global", glob_, 1, NULL, 0, strat);
    case BRACT_NUISANCE_ACOMPCOR: return add_acompcor(t, o->n_compcor, strat);
    case BRACT_NUISANCE_SCRUB: return censor_scrub(t, o, censor, tmp, idx);
    }
    return bract_error(BRACT_EINVAL, "unknown confound strategy %d", (int)o->strategies[k]);
}

/* Non-steady-state volumes: censored whenever a strategy is used. */
static int censor_non_steady(const bract_table *t, unsigned char *censor, double *tmp)
{
    for (size_t j = 0; j < t->ncols; j++) {
        if (!strstr(t->colname[j], "non_steady_state"))
            continue;
        int rc = read_column(t, j, tmp);
        if (rc)
            return rc;
        for (size_t i = 0; i < t->nrows; i++)
            if (tmp[i] != 0) /* NaN censors too, as nilearn's sum != 0 */
                censor[i] = 1;
    }
    return BRACT_OK;
}

/* User columns: names or globs, in the order given. */
static int add_user_columns(const bract_table *t, const char *path, const bract_nuisance_opts *o,
                            colset *user)
{
    int rc = BRACT_OK;
    for (size_t k = 0; k < o->ncolumns && !rc; k++) {
        size_t found = 0;
        for (size_t j = 0; j < t->ncols && !rc; j++)
            if (fnmatch(o->columns[k], t->colname[j], 0) == 0) {
                rc = colset_add(user, j);
                found++;
            }
        if (!rc && !found) {
            char *have = column_list(t);
            rc = bract_error(BRACT_EDATA, "%s: no column matches '%s' (the file has: %s)", path,
                             o->columns[k], have ? have : "?");
            free(have);
        }
    }
    return rc;
}

/* Column j of the confounds from table column col: an n/a in the first
 * row takes the second row's value (derivative columns), any other
 * missing or non-finite value is an error, then the mean of the kept
 * volumes is taken out when asked. */
static int fill_column(bract_nuisance *c, const bract_table *t, size_t j, size_t col, int demean,
                       double *tmp)
{
    const size_t T = c->nrows, P = c->ncols;
    if (!(c->name[j] = bract_xstrdup(t->colname[col])))
        return BRACT_ENOMEM;
    int rc = read_column(t, col, tmp);
    if (rc)
        return rc;
    if (isnan(tmp[0]) && !isnan(tmp[1])) {
        tmp[0] = tmp[1];
        if (!(c->filled[c->nfilled++] = bract_xstrdup(t->colname[col])))
            return BRACT_ENOMEM;
    }
    for (size_t i = 0; i < T; i++)
        if (!isfinite(tmp[i]))
            return bract_error(BRACT_EDATA, "%s:%zu: column %zu ('%s'): %s '%s'; only the "
                               "first row may be n/a (it takes the second row's value)",
                               c->path, t->line[i], col + 1, t->colname[col],
                               isnan(tmp[i]) ? "missing value" : "non-finite value",
                               bract_table_cell(t, i, col));
    if (demean && c->nkept) {
        double s = 0;
        for (size_t i = 0; i < T; i++)
            if (c->keep[i])
                s += tmp[i];
        double mean = s / (double)c->nkept;
        for (size_t i = 0; i < T; i++)
            tmp[i] -= mean;
    }
    for (size_t i = 0; i < T; i++)
        c->x[i * P + j] = tmp[i];
    return BRACT_OK;
}

/* The selection (strategy columns, then user columns not already in) and
 * the censored volumes into c. */
static int fill_confounds(bract_nuisance *c, const bract_table *t, const char *path,
                          const colset *strat, const colset *user, const unsigned char *censor,
                          int demean, double *tmp)
{
    colset all = {0};
    int rc = BRACT_OK;
    for (size_t i = 0; i < strat->n && !rc; i++)
        rc = colset_add(&all, strat->col[i]);
    for (size_t i = 0; i < user->n && !rc; i++)
        rc = colset_add(&all, user->col[i]);
    if (rc)
        goto done;
    const size_t T = t->nrows, P = all.n;
    c->path = bract_xstrdup(path);
    c->nrows = T;
    c->ncols = P;
    c->name = bract_xcalloc(P ? P : 1, sizeof *c->name, "confound names");
    c->filled = bract_xcalloc(P ? P : 1, sizeof *c->filled, "confound names");
    c->x = bract_xmalloc(T * (P ? P : 1), sizeof *c->x, "confounds");
    c->keep = bract_xmalloc(T, 1, "kept volumes");
    if (!c->path || !c->name || !c->filled || !c->x || !c->keep) {
        rc = BRACT_ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < T; i++) {
        c->keep[i] = !censor[i];
        c->nkept += c->keep[i];
    }
    for (size_t j = 0; j < P && !rc; j++)
        rc = fill_column(c, t, j, all.col[j], demean, tmp);
    c->demeaned = demean != 0;
done:
    free(all.col);
    return rc;
}

int bract_nuisance_new(const char *path, const bract_nuisance_opts *o, bract_nuisance **out)
{
    *out = NULL;
    if (o->ncolumns == 0 && o->nstrategies == 0)
        return bract_error(BRACT_EINVAL, "%s: choose confound columns or a strategy", path);
    bract_table *t;
    int rc = bract_table_read(path, &t);
    if (rc)
        return rc;
    if (t->nrows < 2) {
        rc = bract_error(BRACT_EDATA, "%s: %zu row%s: a confounds table has one row per volume",
                         path, t->nrows, t->nrows == 1 ? "" : "s");
        bract_table_free(t);
        return rc;
    }
    const size_t T = t->nrows;
    colset strat = {0}, user = {0};
    unsigned char *censor = bract_xcalloc(T, 1, "censored volumes");
    double *tmp = bract_xmalloc(T, sizeof *tmp, "a confound column");
    size_t *idx = bract_xmalloc(T, sizeof *idx, "outliers");
    bract_nuisance *c = bract_xcalloc(1, sizeof *c, "confounds");
    if (!censor || !tmp || !idx || !c) {
        rc = BRACT_ENOMEM;
        goto done;
    }
    for (size_t k = 0; k < o->nstrategies && !rc; k++)
        rc = add_strategy(t, o, k, &strat, censor, tmp, idx);
    if (!rc)
        sort_cols(strat.col, strat.n, t);
    if (!rc && o->nstrategies)
        rc = censor_non_steady(t, censor, tmp);
    if (!rc)
        rc = add_user_columns(t, path, o, &user);
    if (!rc)
        rc = fill_confounds(c, t, path, &strat, &user, censor, o->demean, tmp);
done:
    free(strat.col);
    free(user.col);
    free(censor);
    free(tmp);
    free(idx);
    bract_table_free(t);
    if (rc) {
        bract_nuisance_free(c);
        return rc;
    }
    if (c->nkept == 0) {
        bract_nuisance_free(c);
        return bract_error(BRACT_EDATA, "%s: every volume is censored", path);
    }
    *out = c;
    return BRACT_OK;
}
