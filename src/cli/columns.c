/* --columns and --exclude-columns: the patterns, the selection through
 * bract_tseries_select, and its record in sidecars. */
#include "cli/columns.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

int cli_columns_given(const cli_columns *a)
{
    return a->include.n || a->exclude.n;
}

int cli_columns_check(const cli_ctx *c, const cli_columns *a, const char *data, int is_table)
{
    if (cli_columns_given(a) && !is_table)
        return cli_usage_error(c,
                               "--columns and --exclude-columns select columns of a table; %s "
                               "is a NIfTI volume",
                               data);
    return CLI_OK;
}

/* The values of both options split at commas into a->pat: the include
 * patterns first, then the exclude ones.  0, or -1 out of memory. */
static int split_patterns(cli_columns *a)
{
    size_t len = 1, cap = 1;
    const cli_strlist *l[2] = {&a->include, &a->exclude};
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < l[k]->n; i++) {
            len += strlen(l[k]->v[i]) + 1;
            for (const char *p = l[k]->v[i]; *p; p++)
                cap += *p == ',';
            cap += 1;
        }
    a->buf = malloc(len);
    a->pat = calloc(cap, sizeof *a->pat);
    if (!a->buf || !a->pat)
        return -1;
    size_t np = 0, at = 0, count[2] = {0, 0};
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < l[k]->n; i++) {
            char *w = a->buf + at;
            size_t n = strlen(l[k]->v[i]);
            memcpy(w, l[k]->v[i], n + 1);
            at += n + 1;
            for (char *tok = strtok(w, ","); tok; tok = strtok(NULL, ",")) {
                a->pat[np++] = tok;
                count[k]++;
            }
        }
    a->sel = (bract_tseries_columns){a->pat, count[0], a->pat + count[0], count[1]};
    return 0;
}

/* Remember `name` as left out (each once). */
static int remember(cli_columns *a, const char *name)
{
    for (size_t i = 0; i < a->ndropped; i++)
        if (strcmp(a->dropped[i], name) == 0)
            return 0;
    if (a->ndropped == a->cap) {
        size_t cap = a->cap ? 2 * a->cap : 16;
        char **v = realloc(a->dropped, cap * sizeof *v);
        if (!v)
            return -1;
        a->dropped = v;
        a->cap = cap;
    }
    if (!(a->dropped[a->ndropped] = strdup(name)))
        return -1;
    a->ndropped++;
    return 0;
}

int cli_columns_select(const cli_ctx *c, cli_columns *a, const char *path, bract_tseries *ts)
{
    if (!cli_columns_given(a))
        return CLI_OK;
    if (!a->pat && split_patterns(a))
        return cli_error(c, "out of memory");
    bract_tseries *d = NULL;
    int rc = bract_tseries_select(ts, &a->sel, &d);
    if (rc) {
        bract_error_context(rc, "%s", path);
        return cli_fail(c);
    }
    for (size_t i = 0; i < d->nreg && !rc; i++)
        rc = remember(a, d->name[i]);
    if (d->nreg)
        cli_log(c, "%s: %zu region columns, %zu left out", path, ts->nreg, d->nreg);
    bract_tseries_free(d);
    return rc ? cli_error(c, "out of memory") : CLI_OK;
}

/* The patterns joined by commas, as a parameter. */
static void param_patterns(bract_sidecar *s, const char *key, const char *const *v, size_t n)
{
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        len += strlen(v[i]) + 1;
    char *t = malloc(len);
    if (!t)
        return;
    size_t at = 0;
    t[0] = '\0';
    for (size_t i = 0; i < n; i++)
        at += (size_t)snprintf(t + at, len - at, "%s%s", i ? "," : "", v[i]);
    bract_sidecar_param_str(s, key, t);
    free(t);
}

void cli_columns_sidecar(bract_sidecar *s, const cli_columns *a)
{
    if (!cli_columns_given(a) || !a->pat)
        return;
    if (a->sel.ninclude)
        param_patterns(s, "columns", a->sel.include, a->sel.ninclude);
    if (a->sel.nexclude)
        param_patterns(s, "exclude_columns", a->sel.exclude, a->sel.nexclude);
    json_object *arr = json_object_new_array();
    for (size_t i = 0; i < a->ndropped; i++)
        json_object_array_add(arr, json_object_new_string(a->dropped[i]));
    bract_sidecar_set_json(s, "ExcludedColumns",
                           json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN));
    json_object_put(arr);
    bract_sidecar_count(s, "excluded_columns", (int64_t)a->ndropped);
}

void cli_columns_free(cli_columns *a)
{
    free(a->buf);
    free(a->pat);
    for (size_t i = 0; i < a->ndropped; i++)
        free(a->dropped[i]);
    free(a->dropped);
    a->buf = NULL;
    a->pat = NULL;
    a->dropped = NULL;
    a->ndropped = a->cap = 0;
}
