/* Region time series tables. */
#include "base/internal.h"

#include <fnmatch.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <json.h>
#include "bract/sidecar.h"
#include "bract/tsv.h"

static bract_tseries *tseries_alloc(size_t nt, size_t nreg)
{
    bract_tseries *ts = bract_xcalloc(1, sizeof *ts, "time series");
    if (!ts)
        return NULL;
    ts->nt = nt;
    ts->nreg = nreg;
    ts->name = bract_xcalloc(nreg ? nreg : 1, sizeof *ts->name, "region names");
    size_t nval = nt * nreg;
    ts->x = bract_xcalloc(nval ? nval : 1, sizeof *ts->x, "time series");
    if (!ts->name || !ts->x) {
        bract_tseries_free(ts);
        return NULL;
    }
    for (size_t r = 0; r < nreg; r++) {
        char buf[32];
        snprintf(buf, sizeof buf, "r%zu", r + 1);
        if (!(ts->name[r] = bract_xstrdup(buf))) {
            bract_tseries_free(ts);
            return NULL;
        }
    }
    return ts;
}

int bract_tseries_new(size_t nt, size_t nreg, bract_tseries **out)
{
    *out = tseries_alloc(nt, nreg);
    return *out ? BRACT_OK : BRACT_ENOMEM;
}

void bract_tseries_free(bract_tseries *ts)
{
    if (!ts)
        return;
    if (ts->name)
        for (size_t r = 0; r < ts->nreg; r++)
            free(ts->name[r]);
    free(ts->name);
    free(ts->x);
    free(ts);
}

long bract_tseries_find(const bract_tseries *ts, const char *name)
{
    for (size_t r = 0; r < ts->nreg; r++)
        if (strcmp(ts->name[r], name) == 0)
            return (long)r;
    return -1;
}

/* "the columns are a, b, ..." for messages (up to 12 names). */
static void list_columns(const bract_tseries *ts, bract_buf *b)
{
    for (size_t c = 0; c < ts->nreg && c < 12; c++)
        bract_buf_printf(b, "%s%s", c ? ", " : "", ts->name[c]);
    if (ts->nreg > 12)
        bract_buf_printf(b, ", ... (%zu in all)", ts->nreg);
}

static int matches_any(const char *name, const char *const *pat, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (fnmatch(pat[k], name, 0) == 0)
            return 1;
    return 0;
}

int bract_tseries_select(bract_tseries *ts, const bract_tseries_columns *sel,
                         bract_tseries **dropped)
{
    if (dropped)
        *dropped = NULL;
    size_t n = ts->nreg, nkeep = 0;
    unsigned char *keep = bract_xmalloc(n ? n : 1, 1, "a column selection");
    if (!keep)
        return BRACT_ENOMEM;
    const char *bad = NULL;
    for (size_t k = 0; k < sel->ninclude && !bad; k++) {
        size_t c = 0;
        while (c < n && fnmatch(sel->include[k], ts->name[c], 0) != 0)
            c++;
        if (c == n)
            bad = sel->include[k];
    }
    for (size_t c = 0; c < n; c++) {
        keep[c] = (sel->ninclude == 0 || matches_any(ts->name[c], sel->include, sel->ninclude)) &&
                  !matches_any(ts->name[c], sel->exclude, sel->nexclude);
        nkeep += keep[c];
    }
    if (bad || nkeep == 0) {
        bract_buf b = {0};
        list_columns(ts, &b);
        int rc = bad ? bract_error(BRACT_EDATA, "no column matches '%s' (the columns are %s)", bad,
                                   b.data ? b.data : "none")
                     : bract_error(BRACT_EDATA, "the column selection leaves no column (the "
                                                "columns are %s)",
                                   b.data ? b.data : "none");
        bract_buf_free(&b);
        free(keep);
        return rc;
    }
    bract_tseries *d = NULL;
    if (dropped && bract_tseries_new(ts->nt, n - nkeep, &d)) {
        free(keep);
        return BRACT_ENOMEM;
    }
    if (d)
        d->tr = ts->tr;
    /* columns move towards the front only: in place, in order */
    size_t w = 0, q = 0;
    for (size_t c = 0; c < n; c++) {
        if (keep[c]) {
            if (w != c) {
                memmove(ts->x + w * ts->nt, ts->x + c * ts->nt, ts->nt * sizeof *ts->x);
                ts->name[w] = ts->name[c];
            }
            w++;
            continue;
        }
        if (d) {
            memcpy(d->x + q * ts->nt, ts->x + c * ts->nt, ts->nt * sizeof *ts->x);
            free(d->name[q]);
            d->name[q++] = ts->name[c];
        } else
            free(ts->name[c]);
    }
    ts->nreg = nkeep;
    free(keep);
    if (dropped)
        *dropped = d;
    return BRACT_OK;
}

/* RepetitionTime from the sidecar of `path` into *tr (0 when there is no
 * sidecar, no RepetitionTime, or one that is not > 0).  A sidecar that is
 * there but is not a JSON object, or whose RepetitionTime is not a number,
 * is an error naming it: an empty or broken sidecar is never silently "no
 * TR". */
static int sidecar_tr(const char *path, double *tr)
{
    *tr = 0;
    char *sc = bract_sidecar_path(path);
    if (!sc)
        return BRACT_OK;
    struct stat st;
    if (stat(sc, &st) != 0) {
        free(sc);
        return BRACT_OK;
    }
    char *text;
    size_t len;
    int rc = bract_read_file(sc, &text, &len);
    if (rc) {
        free(sc);
        return rc;
    }
    json_object *o = json_tokener_parse(text), *v;
    free(text);
    if (!o || !json_object_is_type(o, json_type_object))
        rc = bract_error(BRACT_EFORMAT, "%s: not valid JSON (expected the sidecar of %s: a "
                         "JSON object)", sc, path);
    else if (json_object_object_get_ex(o, "RepetitionTime", &v)) {
        if (!json_object_is_type(v, json_type_double) && !json_object_is_type(v, json_type_int))
            rc = bract_error(BRACT_EFORMAT, "%s: \"RepetitionTime\" is not a number", sc);
        else
            *tr = json_object_get_double(v);
    }
    json_object_put(o);
    free(sc);
    if (!(*tr > 0 && isfinite(*tr)))
        *tr = 0;
    return rc;
}

/* The table's cells as numbers, column by column on the library's threads
 * (a series of 1000s of volumes x 100s of regions is mostly strtod).  The
 * error is the one a serial pass gives: the first bad cell of the first
 * column that has one, read again on this thread for its message. */
static int convert_columns(const bract_table *t, bract_tseries *ts)
{
    size_t nc = t->ncols, nr = t->nrows, bad = nc, bad_row = 0;
    int nth = nc * nr < 65536 || omp_in_parallel() ? 1 : bract_get_threads();
#pragma omp parallel for schedule(dynamic, 8) num_threads(nth) if (nth > 1)
    for (size_t c = 0; c < nc; c++) {
        size_t r = 0;
        while (r < nr && bract_table_double(t, r, c, &ts->x[c * ts->nt + r]) == BRACT_OK)
            r++;
        if (r < nr) {
#pragma omp critical(bract_tseries_bad)
            if (c < bad) {
                bad = c;
                bad_row = r;
            }
        }
    }
    double v;
    return bad == nc ? BRACT_OK : bract_table_double(t, bad_row, bad, &v);
}

int bract_tseries_read(const char *path, double tr, bract_tseries **out)
{
    *out = NULL;
    bract_table *t;
    int rc = bract_table_read(path, &t);
    if (rc)
        return rc;
    if (t->nrows == 0 || t->ncols == 0) {
        rc = bract_error(BRACT_EFORMAT, "%s: no time points (expected one row per volume and "
                         "one column per region)", path);
        bract_table_free(t);
        return rc;
    }
    bract_tseries *ts = NULL;
    bract_tseries_new(t->nrows, t->ncols, &ts);
    if (!ts) {
        bract_table_free(t);
        return BRACT_ENOMEM;
    }
    for (size_t c = 0; c < t->ncols; c++) {
        char *nm = bract_xstrdup(t->colname[c][0] ? t->colname[c] : ts->name[c]);
        if (!nm) {
            rc = BRACT_ENOMEM;
            goto fail;
        }
        free(ts->name[c]);
        ts->name[c] = nm;
    }
    if ((rc = convert_columns(t, ts)))
        goto fail;
    ts->tr = tr;
    if (!(tr > 0) && (rc = sidecar_tr(path, &ts->tr)))
        goto fail;
    bract_table_free(t);
    *out = ts;
    return BRACT_OK;
fail:
    bract_table_free(t);
    bract_tseries_free(ts);
    return rc;
}

int bract_tseries_write(const bract_tseries *ts, const char *path, int force)
{
    bract_tsv_writer *w;
    int rc = bract_tsv_open(path, force, ts->nreg, (const char *const *)ts->name, &w);
    if (rc)
        return rc;
    for (size_t i = 0; i < ts->nt; i++) {
        for (size_t r = 0; r < ts->nreg; r++)
            bract_tsv_double(w, ts->x[r * ts->nt + i]);
        bract_tsv_end_row(w);
    }
    return bract_tsv_commit(w);
}
