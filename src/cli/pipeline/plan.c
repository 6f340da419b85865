/* Pipeline files: INI (through libinih) -> stages -> steps, with dependency
 * order and up-to-date checks.  See bract-pipeline(5). */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700
#endif
#include "cli/pipeline/plan.h"

#include "cli/cli.h"
#include "cli/opts.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>
#include <json.h>
#include "bract/sidecar.h"
#include "bract/tsv.h"

/* ---- the parsed file ---- */

typedef struct {
    char *key, *value;
} kv;

typedef struct {
    char *name; /* "dataset", "output" or "stage NAME" */
    kv *kv;
    size_t n, cap;
} section;

typedef struct {
    section *sec;
    size_t n, cap;
    int oom;
} ini_doc;

static section *find_section(ini_doc *d, const char *name)
{
    for (size_t i = 0; i < d->n; i++)
        if (strcmp(d->sec[i].name, name) == 0)
            return &d->sec[i];
    return NULL;
}

static const char *get(const section *s, const char *key)
{
    if (!s)
        return NULL;
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->kv[i].key, key) == 0)
            return s->kv[i].value;
    return NULL;
}

/* A repeated key (or an indented continuation line) appends to the value. */
static int doc_handler(void *user, const char *sect, const char *key, const char *value)
{
    ini_doc *d = user;
    section *s = find_section(d, sect);
    if (!s) {
        if (d->n == d->cap) {
            size_t cap = d->cap ? 2 * d->cap : 8;
            section *ns = realloc(d->sec, cap * sizeof *ns);
            if (!ns)
                return d->oom = 1, 0;
            d->sec = ns;
            d->cap = cap;
        }
        s = &d->sec[d->n++];
        memset(s, 0, sizeof *s);
        if (!(s->name = strdup(sect)))
            return d->oom = 1, 0;
    }
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->kv[i].key, key) == 0) {
            size_t a = strlen(s->kv[i].value), b = strlen(value);
            char *v = realloc(s->kv[i].value, a + b + 2);
            if (!v)
                return d->oom = 1, 0;
            v[a] = ' ';
            memcpy(v + a + 1, value, b + 1);
            s->kv[i].value = v;
            return 1;
        }
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 8;
        kv *nk = realloc(s->kv, cap * sizeof *nk);
        if (!nk)
            return d->oom = 1, 0;
        s->kv = nk;
        s->cap = cap;
    }
    s->kv[s->n].key = strdup(key);
    s->kv[s->n].value = strdup(value);
    if (!s->kv[s->n].key || !s->kv[s->n].value)
        return d->oom = 1, 0;
    s->n++;
    return 1;
}

static void doc_free(ini_doc *d)
{
    for (size_t i = 0; i < d->n; i++) {
        for (size_t k = 0; k < d->sec[i].n; k++) {
            free(d->sec[i].kv[k].key);
            free(d->sec[i].kv[k].value);
        }
        free(d->sec[i].kv);
        free(d->sec[i].name);
    }
    free(d->sec);
}

/* ---- small string lists ---- */

typedef struct {
    char **v;
    size_t n, cap;
} strlist;

static int sl_push(strlist *l, const char *s)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 8;
        char **nv = realloc(l->v, cap * sizeof *nv);
        if (!nv)
            return -1;
        l->v = nv;
        l->cap = cap;
    }
    if (!(l->v[l->n] = strdup(s)))
        return -1;
    l->n++;
    return 0;
}

static int sl_has(const strlist *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], s) == 0)
            return 1;
    return 0;
}

static void sl_free(strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

/* ---- planning context ---- */

typedef struct {
    char *name;
    section *sec;
    int group;        /* scope = group */
    strlist cmd;      /* command words */
    size_t *deps;     /* stage indices this one refers to (after included) */
    size_t ndeps;
    size_t *after;    /* the stages of its key after */
    size_t nafter;
    int mark;         /* topological sort state */
} stage;

typedef struct {
    const char *file;
    const pl_load_opts *o;
    ini_doc doc;
    section *dataset;
    section *settings; /* [settings], or NULL */
    pl_pipeline *p;
    stage *st;
    size_t nst;
    size_t *order;    /* stages in dependency order */
    size_t norder;
    /* first step index of each stage (subject steps: + subject index) */
    size_t *first_step;
    char *real_root;  /* the output root resolved (resolve_path), for outputs */
    int allow_outside; /* [output] allow_outside_root = yes */
} ctx;

/* "<file>: <message>" in the error slot; BRACT_EFORMAT (the file says
 * something that cannot be planned). */
static int fail(const ctx *c, const char *fmt, ...) BRACT_FORMAT(2, 3);
static int fail(const ctx *c, const char *fmt, ...)
{
    char msg[1800];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return bract_error(BRACT_EFORMAT, "%s: %s", c->file, msg);
}

static int oom(const ctx *c) { return bract_error(BRACT_ENOMEM, "%s: out of memory", c->file); }

static char *join_path(const char *dir, const char *rel)
{
    if (rel[0] == '/' || !dir || !*dir)
        return strdup(rel);
    size_t n = strlen(dir) + strlen(rel) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, rel);
    return p;
}

static char *dir_of(const char *path)
{
    const char *s = strrchr(path, '/');
    if (!s)
        return strdup(".");
    if (s == path)
        return strdup("/");
    return strndup(path, (size_t)(s - path));
}

/* dir + "/" + name (dir "/" gives "/name"); frees dir.  NULL when out of
 * memory. */
static char *append_name(char *dir, const char *name, size_t len)
{
    if (!dir)
        return NULL;
    size_t n = strlen(dir);
    int slash = n == 0 || dir[n - 1] != '/';
    char *r = realloc(dir, n + (size_t)slash + len + 1);
    if (!r) {
        free(dir);
        return NULL;
    }
    if (slash)
        r[n++] = '/';
    memcpy(r + n, name, len);
    r[n + len] = '\0';
    return r;
}

/* `path` made absolute and resolved as the kernel would when a command
 * creates it: "." and ".." taken away, the directories that exist followed
 * through symbolic links (realpath); the last name is kept as written
 * unless follow_last (a link there is replaced, not written through).
 * NULL when out of memory. */
static char *resolve_path(const char *path, int follow_last)
{
    char *res;
    if (path[0] == '/') {
        res = strdup("/");
    } else {
        res = getcwd(NULL, 0);
        if (!res)
            res = strdup("/");
    }
    for (const char *q = path; res && *q;) {
        while (*q == '/')
            q++;
        size_t len = strcspn(q, "/");
        if (!len)
            break;
        const char *name = q;
        q += len;
        int last = !q[strspn(q, "/")];
        if (len == 1 && name[0] == '.')
            continue;
        if (len == 2 && name[0] == '.' && name[1] == '.') {
            char *slash = strrchr(res, '/');
            if (slash)
                slash[slash == res] = '\0'; /* "/a" -> "/", "/a/b" -> "/a" */
            continue;
        }
        res = append_name(res, name, len);
        struct stat st;
        if (res && (!last || follow_last) && lstat(res, &st) == 0) {
            char *real = realpath(res, NULL);
            if (real) {
                free(res);
                res = real;
            }
        }
    }
    return res;
}

/* An output of a step must resolve inside the output root (finding F5: a
 * shared pipeline file could write anywhere the user can), unless the
 * file allows it ([output] allow_outside_root = yes). */
static int check_inside_root(ctx *c, size_t si, const char *key, const char *path)
{
    if (c->allow_outside)
        return 0;
    if (!c->real_root && !(c->real_root = resolve_path(c->p->out_root, 1)))
        return oom(c);
    char *res = resolve_path(path, 0);
    if (!res)
        return oom(c);
    size_t n = strlen(c->real_root);
    int inside = strncmp(res, c->real_root, n) == 0 &&
                 ((n == 1 && res[1]) || (res[n] == '/' && res[n + 1]));
    int rc = inside ? 0
                    : fail(c, "section [stage %s]: key %s: %s resolves outside the output root "
                           "%s (outputs go under {out}; a file that means to write elsewhere "
                           "says allow_outside_root = yes in [output])",
                           c->st[si].name, key, res, c->real_root);
    free(res);
    return rc;
}

static long find_stage(const ctx *c, const char *name)
{
    for (size_t i = 0; i < c->nst; i++)
        if (strcmp(c->st[i].name, name) == 0)
            return (long)i;
    return -1;
}

/* The value of setting name[0..len) of [settings], or NULL. */
static const char *setting(const ctx *c, const char *name, size_t len)
{
    const section *s = c->settings;
    for (size_t i = 0; s && i < s->n; i++)
        if (strlen(s->kv[i].key) == len && strncmp(s->kv[i].key, name, len) == 0)
            return s->kv[i].value;
    return NULL;
}

static const char *const reserved[] = {"command", "scope", "output", "args", "after",
                                       "description", NULL};

static int is_reserved(const char *k)
{
    for (int i = 0; reserved[i]; i++)
        if (strcmp(k, reserved[i]) == 0)
            return 1;
    return 0;
}

static int is_true(const char *v)
{
    return !strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcasecmp(v, "on");
}
static int is_false(const char *v)
{
    return !strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcasecmp(v, "off");
}

/* Split a value into whitespace-separated tokens ("..." keeps spaces). */
static int tokenize(const char *v, strlist *out)
{
    const char *p = v;
    char buf[8192];
    while (*p) {
        while (*p && isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        size_t k = 0;
        if (*p == '"') {
            p++;
            while (*p && *p != '"' && k + 1 < sizeof buf)
                buf[k++] = *p++;
            if (*p == '"')
                p++;
        } else {
            while (*p && !isspace((unsigned char)*p) && k + 1 < sizeof buf)
                buf[k++] = *p++;
        }
        buf[k] = '\0';
        if (sl_push(out, buf))
            return -1;
    }
    return 0;
}

/* A dataset pattern for one subject: {subject} substituted, {run} -> '*',
 * globbed under the data root, sorted. */
static int glob_pattern(ctx *c, const char *key, const char *pattern, long subj, strlist *out)
{
    char tmpl[8192];
    size_t k = 0;
    for (const char *q = pattern; *q && k + 1 < sizeof tmpl;) {
        if (strncmp(q, "{subject}", 9) == 0) {
            if (subj < 0)
                return fail(c, "section [dataset]: key %s: {subject} in a pattern used by a "
                            "group stage (use {all:%s})", key, key);
            const char *s = c->p->subjects[subj];
            size_t n = strlen(s);
            if (k + n + 1 >= sizeof tmpl)
                break;
            memcpy(tmpl + k, s, n);
            k += n;
            q += 9;
        } else if (strncmp(q, "{run}", 5) == 0) {
            tmpl[k++] = '*';
            q += 5;
        } else if (*q == '{') {
            const char *e = strchr(q, '}');
            const char *val = e ? setting(c, q + 1, (size_t)(e - q - 1)) : NULL;
            if (!val)
                return fail(c, "section [dataset]: key %s: unknown placeholder %.*s (patterns may "
                            "use {subject}, {run} and the names of [settings])", key,
                            e ? (int)(e - q + 1) : (int)strlen(q), q);
            size_t n = strlen(val);
            if (k + n + 1 >= sizeof tmpl)
                break;
            memcpy(tmpl + k, val, n);
            k += n;
            q = e + 1;
        } else {
            tmpl[k++] = *q++;
        }
    }
    tmpl[k] = '\0';
    char *full = join_path(c->p->data_root, tmpl);
    if (!full)
        return oom(c);
    glob_t g;
    int rc = glob(full, 0, NULL, &g);
    if (rc == GLOB_NOMATCH || (rc == 0 && g.gl_pathc == 0)) {
        int st = fail(c, "section [dataset]: key %s: pattern %s matches no file%s%s", key, full,
                      subj >= 0 ? " for " : "", subj >= 0 ? c->p->subjects[subj] : "");
        free(full);
        if (rc == 0)
            globfree(&g);
        return st;
    }
    free(full);
    if (rc != 0)
        return fail(c, "section [dataset]: key %s: cannot search for files", key);
    for (size_t i = 0; i < g.gl_pathc; i++)
        if (sl_push(out, g.gl_pathv[i])) {
            globfree(&g);
            return oom(c);
        }
    globfree(&g);
    return 0;
}

static pl_step *step_of(ctx *c, size_t stage_idx, long subj)
{
    size_t base = c->first_step[stage_idx];
    return &c->p->steps[base + (c->st[stage_idx].group ? 0 : (size_t)subj)];
}

static int push_index(size_t **v, size_t *n, size_t x);

static int add_dep(pl_step *s, size_t dep)
{
    for (size_t i = 0; i < s->ndeps; i++)
        if (s->deps[i] == dep)
            return 0;
    return push_index(&s->deps, &s->ndeps, dep);
}

/* Expand one placeholder name for (stage si, subject subj) into values.
 * kind: 0 literal-ish, 1 input, 2 output-dir. */
static int expand_name(ctx *c, size_t si, long subj, const char *sectkey, const char *name,
                       strlist *vals, int *is_input, pl_step *step)
{
    stage *s = &c->st[si];
    *is_input = 0;
    if (strcmp(name, "subject") == 0) {
        if (subj < 0)
            return fail(c, "section [stage %s]: key %s: {subject} in a group stage", s->name,
                        sectkey);
        return sl_push(vals, c->p->subjects[subj]) ? oom(c) : 0;
    }
    if (strcmp(name, "out") == 0) {
        char *d = join_path(c->p->out_root, subj >= 0 ? c->p->subjects[subj] : "group");
        int rc = d ? sl_push(vals, d) : -1;
        free(d);
        return rc ? oom(c) : 0;
    }
    if (strcmp(name, "root") == 0)
        return sl_push(vals, c->p->data_root) ? oom(c) : 0;
    if (strcmp(name, "tr") == 0) {
        if (!(c->p->tr > 0))
            return fail(c, "section [stage %s]: key %s: {tr} used but [dataset] has no tr",
                        s->name, sectkey);
        char buf[32];
        return sl_push(vals, bract_tsv_format_double(buf, c->p->tr)) ? oom(c) : 0;
    }
    const char *val = setting(c, name, strlen(name));
    if (val)
        return sl_push(vals, val) ? oom(c) : 0;
    int all = strncmp(name, "all:", 4) == 0;
    const char *rest = all ? name + 4 : name;
    if (all && s->group == 0)
        return fail(c, "section [stage %s]: key %s: {%s} is for group stages (add scope = group)",
                    s->name, sectkey, name);
    if (strncmp(rest, "stage:", 6) == 0) {
        const char *ref = rest + 6;
        long r = find_stage(c, ref);
        if (r < 0)
            return fail(c, "section [stage %s]: key %s: {%s} names no stage", s->name, sectkey,
                        name);
        stage *rs = &c->st[r];
        *is_input = 1;
        if (rs->group) {
            pl_step *d = step_of(c, (size_t)r, -1);
            if (add_dep(step, (size_t)(d - c->p->steps)) || sl_push(vals, d->outputs[0]))
                return oom(c);
            return 0;
        }
        if (!all && subj < 0)
            return fail(c, "section [stage %s]: key %s: {stage:%s} in a group stage refers to "
                        "every subject's output: write {all:stage:%s}", s->name, sectkey, ref,
                        ref);
        for (size_t q = 0; q < c->p->nsubjects; q++) {
            if (!all && (long)q != subj)
                continue;
            pl_step *d = step_of(c, (size_t)r, (long)q);
            if (add_dep(step, (size_t)(d - c->p->steps)) || sl_push(vals, d->outputs[0]))
                return oom(c);
        }
        return 0;
    }
    const char *pat = get(c->dataset, rest);
    if (!pat || !strcmp(rest, "root") || !strcmp(rest, "subjects") || !strcmp(rest, "tr"))
        return fail(c, "section [stage %s]: key %s: unknown placeholder {%s} (not a [dataset] "
                    "key, a [settings] name, {subject}, {out}, {root}, {tr}, {stage:NAME} or "
                    "{all:...})", s->name, sectkey, name);
    *is_input = 1;
    if (all) {
        int rc = 0;
        for (size_t q = 0; q < c->p->nsubjects && !rc; q++)
            rc = glob_pattern(c, rest, pat, (long)q, vals);
        return rc;
        return 0;
    }
    if (subj < 0 && strstr(pat, "{subject}"))
        return fail(c, "section [stage %s]: key %s: {%s} depends on the subject; a group stage "
                    "needs {all:%s}", s->name, sectkey, rest, rest);
    return glob_pattern(c, rest, pat, subj, vals);
}

/* Expand a value into tokens; mark inputs and outputs of the step. */
static int expand_value(ctx *c, size_t si, long subj, const char *key, const char *value,
                        strlist *out, pl_step *step, strlist *inputs, strlist *outputs)
{
    strlist toks = {0};
    if (tokenize(value, &toks))
        return oom(c);
    int rc = 0;
    for (size_t t = 0; t < toks.n && !rc; t++) {
        const char *tok = toks.v[t];
        const char *open = strchr(tok, '{');
        /* a token that is exactly one placeholder may expand to a list */
        if (open == tok && strchr(tok, '}') == tok + strlen(tok) - 1) {
            char *name = strndup(tok + 1, strlen(tok) - 2);
            strlist vals = {0};
            int in = 0;
            rc = name ? expand_name(c, si, subj, key, name, &vals, &in, step) : oom(c);
            for (size_t v = 0; v < vals.n && !rc; v++) {
                if (sl_push(out, vals.v[v]) || (in && !sl_has(inputs, vals.v[v]) &&
                                                 sl_push(inputs, vals.v[v])))
                    rc = oom(c);
            }
            if (!rc && name && strcmp(name, "out") == 0 && strcmp(key, "output") != 0)
                if (!(rc = check_inside_root(c, si, key, vals.v[0])))
                    rc = sl_push(outputs, vals.v[0]) ? oom(c) : 0;
            sl_free(&vals);
            free(name);
            continue;
        }
        /* otherwise placeholders are substituted as single strings */
        char buf[8192];
        size_t k = 0;
        int in = 0, under_out = 0;
        for (const char *q = tok; *q && !rc;) {
            if (*q == '{') {
                const char *e = strchr(q, '}');
                if (!e) {
                    rc = fail(c, "section [stage %s]: key %s: unclosed '{' in %s", c->st[si].name,
                              key, tok);
                    break;
                }
                char *name = strndup(q + 1, (size_t)(e - q - 1));
                strlist vals = {0};
                int isin = 0;
                rc = name ? expand_name(c, si, subj, key, name, &vals, &isin, step)
                          : oom(c);
                if (!rc && vals.n != 1)
                    rc = fail(c, "section [stage %s]: key %s: {%s} gives %zu values inside %s; "
                              "write it alone as a word to pass them all", c->st[si].name, key,
                              name, vals.n, tok);
                if (!rc) {
                    size_t n = strlen(vals.v[0]);
                    if (k + n + 1 < sizeof buf) {
                        memcpy(buf + k, vals.v[0], n);
                        k += n;
                    }
                    in |= isin;
                    under_out |= strcmp(name, "out") == 0;
                }
                sl_free(&vals);
                free(name);
                q = e + 1;
            } else {
                if (k + 2 < sizeof buf)
                    buf[k++] = *q;
                q++;
            }
        }
        if (rc)
            break;
        buf[k] = '\0';
        if (sl_push(out, buf)) {
            rc = oom(c);
            break;
        }
        struct stat stt;
        if (under_out && strcmp(key, "output") != 0) {
            if (!(rc = check_inside_root(c, si, key, buf)))
                rc = sl_push(outputs, buf) ? oom(c) : 0;
        }
        else if ((in || (stat(buf, &stt) == 0 && S_ISREG(stt.st_mode))) && !sl_has(inputs, buf))
            rc = sl_push(inputs, buf) ? oom(c) : 0;
    }
    sl_free(&toks);
    return rc;
}


/* Build step (si, subj): argv, inputs, outputs (outputs[0] set already). */
static int build_step(ctx *c, size_t si, long subj)
{
    stage *s = &c->st[si];
    pl_step *step = step_of(c, si, subj);
    strlist argv = {0}, inputs = {0}, outputs = {0}, vals = {0};
    int rc = 0;
    for (size_t w = 0; w < s->cmd.n && !rc; w++)
        rc = sl_push(&argv, s->cmd.v[w]) ? oom(c) : 0;
    rc = rc ? rc : sl_push(&outputs, step->outputs[0]) ? oom(c) : 0;
    for (size_t k = 0; k < s->sec->n && !rc; k++) {
        const char *key = s->sec->kv[k].key, *value = s->sec->kv[k].value;
        if (is_reserved(key))
            continue;
        sl_free(&vals);
        if ((rc = expand_value(c, si, subj, key, value, &vals, step, &inputs, &outputs)))
            break;
        char opt[256];
        snprintf(opt, sizeof opt, "--%s", key);
        if (vals.n == 1 && is_true(vals.v[0])) {
            rc = sl_push(&argv, opt) ? oom(c) : 0;
            continue;
        }
        if (vals.n == 1 && is_false(vals.v[0]))
            continue;
        if (vals.n == 0)
            rc = fail(c, "section [stage %s]: key %s has no value", s->name, key);
        for (size_t v = 0; v < vals.n && !rc; v++)
            if (sl_push(&argv, opt) || sl_push(&argv, vals.v[v]))
                rc = oom(c);
    }
    if (!rc)
        rc = (sl_push(&argv, "-o") || sl_push(&argv, step->outputs[0]) ||
              sl_push(&argv, "--force")) ? oom(c) : 0;
    const char *args = get(s->sec, "args");
    if (!rc && args) {
        sl_free(&vals);
        rc = expand_value(c, si, subj, "args", args, &vals, step, &inputs, &outputs);
        for (size_t v = 0; v < vals.n && !rc; v++)
            rc = sl_push(&argv, vals.v[v]) ? oom(c) : 0;
    }
    /* explicit ordering: after = stage ... (resolved by stage_refs) */
    for (size_t a = 0; a < s->nafter && !rc; a++) {
        size_t r = s->after[a];
        size_t n = c->st[r].group ? 1 : subj < 0 ? c->p->nsubjects : 0;
        for (size_t q = 0; q < n && !rc; q++)
            rc = add_dep(step, (size_t)(step_of(c, r, (long)q) - c->p->steps)) ? oom(c) : 0;
        if (!n && add_dep(step, (size_t)(step_of(c, r, subj) - c->p->steps)))
            rc = oom(c);
    }
    sl_free(&vals);
    if (rc) {
        sl_free(&argv);
        sl_free(&inputs);
        sl_free(&outputs);
        return rc;
    }
    step->argc = (int)argv.n;
    step->argv = argv.v;
    /* outputs[0] was pushed from the step: replace the list */
    free(step->outputs[0]);
    free(step->outputs);
    step->outputs = outputs.v;
    step->noutputs = outputs.n;
    step->inputs = inputs.v;
    step->ninputs = inputs.n;
    char **full = malloc((argv.n + 2) * sizeof *full);
    if (!full)
        return oom(c);
    full[0] = "bract";
    for (size_t i = 0; i < argv.n; i++)
        full[i + 1] = argv.v[i];
    step->cmdline = bract_sidecar_shell_join((int)argv.n + 1, full);
    free(full);
    return step->cmdline ? 0 : oom(c);
}

/* Depth-first topological sort of stages; a back edge is a cycle. */
static int visit(ctx *c, size_t i, size_t *path, size_t depth)
{
    stage *s = &c->st[i];
    if (s->mark == 2)
        return 0;
    path[depth] = i;
    if (s->mark == 1) {
        char buf[1024];
        size_t k = 0, first = 0;
        while (path[first] != i)
            first++;
        for (size_t d = first; d <= depth && k < sizeof buf - 64; d++)
            k += (size_t)snprintf(buf + k, sizeof buf - k, "%s%s", d > first ? " -> " : "",
                                  c->st[path[d]].name);
        return fail(c, "section [stage %s]: the stages depend on each other in a cycle: %s",
                    s->name, buf);
    }
    s->mark = 1;
    for (size_t d = 0; d < s->ndeps; d++) {
        int rc = visit(c, s->deps[d], path, depth + 1);
        if (rc)
            return rc;
    }
    s->mark = 2;
    c->order[c->norder++] = i;
    return 0;
}

static int push_index(size_t **v, size_t *n, size_t x)
{
    size_t *nv = realloc(*v, (*n + 1) * sizeof *nv);
    if (!nv)
        return -1;
    nv[(*n)++] = x;
    *v = nv;
    return 0;
}

/* Stage references in a section's values ({stage:X}, {all:stage:X}, after). */
static int stage_refs(ctx *c, size_t si)
{
    stage *s = &c->st[si];
    for (size_t k = 0; k < s->sec->n; k++) {
        const char *key = s->sec->kv[k].key, *v = s->sec->kv[k].value;
        if (strcmp(key, "after") == 0) {
            strlist names = {0};
            int rc = tokenize(v, &names) ? oom(c) : 0;
            for (size_t a = 0; a < names.n && !rc; a++) {
                long r = find_stage(c, names.v[a]);
                if (r < 0)
                    rc = fail(c, "section [stage %s]: key after: no stage named %s", s->name,
                              names.v[a]);
                else if (push_index(&s->deps, &s->ndeps, (size_t)r) ||
                         push_index(&s->after, &s->nafter, (size_t)r))
                    rc = oom(c);
            }
            sl_free(&names);
            if (rc)
                return rc;
            continue;
        }
        for (const char *q = v; (q = strstr(q, "stage:")); q += 6) {
            const char *e = strchr(q, '}');
            if (!e)
                break;
            char *name = strndup(q + 6, (size_t)(e - q - 6));
            long r = name ? find_stage(c, name) : -1;
            if (r < 0) {
                int rc = fail(c, "section [stage %s]: key %s: {stage:%s} names no stage",
                              s->name, key, name ? name : "?");
                free(name);
                return rc;
            }
            free(name);
            if (strcmp(key, "output") == 0)
                return fail(c, "section [stage %s]: key output may not refer to other stages",
                            s->name);
            if (push_index(&s->deps, &s->ndeps, (size_t)r))
                return oom(c);
        }
    }
    return 0;
}

/* A line that is a section header, as inih reads it: "[NAME]" after
 * optional blanks (not a continuation of a value), NAME up to the first
 * ']'.  The name goes to name (of size len); 0 when not a header. */
static int header_name(const char *line, int in_value, char *name, size_t len)
{
    const char *p = line;
    if (!strncmp(p, "\xEF\xBB\xBF", 3))
        p += 3;
    int indented = isspace((unsigned char)*p);
    while (isspace((unsigned char)*p))
        p++;
    const char *e = *p == '[' ? strchr(p, ']') : NULL;
    if (!e || (indented && in_value) || (size_t)(e - p) > len)
        return 0;
    memcpy(name, p + 1, (size_t)(e - p - 1));
    name[e - p - 1] = '\0';
    return 1;
}

/* A section seen again (inih would merge the two): finding F14. */
static int seen_section(ctx *c, strlist *seen, const char *name)
{
    if (sl_has(seen, name))
        return fail(c, "two sections [%s] (a section name is given once; rename one)", name);
    return sl_push(seen, name) ? oom(c) : 0;
}

/* Lines of at most 199 characters, and no section given twice. */
static int check_lines(ctx *c)
{
    const char *text = c->o->text;
    FILE *f = text ? NULL : fopen(c->file, "r");
    if (!text && !f)
        return bract_error(BRACT_EIO, "%s: cannot open: %s", c->file, strerror(errno));
    size_t lineno = 0, len = 0;
    char line[256], name[256];
    strlist seen = {0};
    int ch, rc = 0, in_value = 0;
    do {
        ch = text ? (*text ? (unsigned char)*text++ : EOF) : fgetc(f);
        if (ch != '\n' && ch != EOF) {
            if (++len == 200) {
                rc = fail(c, "line %zu is longer than 199 characters (continue a long value on "
                          "indented lines)", lineno + 1);
                break;
            }
            line[len - 1] = (char)ch;
            continue;
        }
        line[len] = '\0';
        lineno++;
        len = 0;
        if (header_name(line, in_value, name, sizeof name - 1)) {
            rc = seen_section(c, &seen, name);
            in_value = 0;
        } else if (strchr(line, '=') && !isspace((unsigned char)line[0])) {
            in_value = 1;
        }
    } while (ch != EOF && !rc);
    if (f)
        fclose(f);
    sl_free(&seen);
    return rc;
}

/* A subject token stays under the root, as bract-pipeline(5) says: a name
 * has no '/', a pattern no leading '/' and no '..' component.  (A pattern
 * such as /x/x/x/x would search the whole file system: found by
 * fuzz_pipeline, 6 to 10 s for one file of 48 bytes.) */
static int check_subject_token(ctx *c, const char *tok)
{
    int glob_chars = strpbrk(tok, "*?[") != NULL;
    const char *why = NULL;
    if (tok[0] == '/')
        why = "is an absolute path";
    else if (!glob_chars && strchr(tok, '/'))
        why = "is a name with a '/'";
    else
        for (const char *q = tok; *q; q += strcspn(q, "/"), q += *q == '/')
            if (q[0] == '.' && q[1] == '.' && (q[2] == '/' || !q[2]))
                why = "has a '..' component";
    if (!why)
        return 0;
    return fail(c, "section [dataset]: key subjects: '%s' %s: subjects are names, or patterns "
                "matched under the root", tok, why);
}

static int discover_subjects(ctx *c)
{
    const char *spec = get(c->dataset, "subjects");
    strlist toks = {0}, subs = {0};
    if (tokenize(spec ? spec : "sub-*", &toks))
        return oom(c);
    int rc = 0;
    for (size_t t = 0; t < toks.n && !rc; t++) {
        if ((rc = check_subject_token(c, toks.v[t])))
            break;
        if (!strpbrk(toks.v[t], "*?[")) {
            if (!sl_has(&subs, toks.v[t]) && sl_push(&subs, toks.v[t]))
                rc = oom(c);
            continue;
        }
        char *pat = join_path(c->p->data_root, toks.v[t]);
        glob_t g;
        int gr = pat ? glob(pat, 0, NULL, &g) : GLOB_NOSPACE;
        free(pat);
        if (gr == 0) {
            for (size_t i = 0; i < g.gl_pathc && !rc; i++) {
                struct stat st;
                if (stat(g.gl_pathv[i], &st))
                    continue;
                /* a directory names the subject; a file (sub-01_bold.nii.gz)
                 * gives its name up to the first '_' or '.' */
                const char *b = strrchr(g.gl_pathv[i], '/');
                b = b ? b + 1 : g.gl_pathv[i];
                char name[256];
                size_t n = S_ISDIR(st.st_mode) ? strlen(b) : strcspn(b, "_.");
                if (n == 0 || n >= sizeof name)
                    continue;
                memcpy(name, b, n);
                name[n] = '\0';
                if (!sl_has(&subs, name) && sl_push(&subs, name))
                    rc = oom(c);
            }
            globfree(&g);
        }
    }
    sl_free(&toks);
    if (!rc && subs.n == 0)
        rc = fail(c, "section [dataset]: key subjects: no subject directory or file matches '%s' "
                  "under %s",
                  spec ? spec : "sub-*", c->p->data_root);
    if (rc) {
        sl_free(&subs);
        return rc;
    }
    c->p->subjects = subs.v;
    c->p->nsubjects = subs.n;
    return 0;
}

void cli_plan_free(pl_pipeline *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nsteps; i++) {
        pl_step *s = &p->steps[i];
        free(s->stage);
        for (int a = 0; a < s->argc; a++)
            free(s->argv[a]);
        free(s->argv);
        free(s->cmdline);
        for (size_t k = 0; k < s->ninputs; k++)
            free(s->inputs[k]);
        free(s->inputs);
        for (size_t k = 0; k < s->noutputs; k++)
            free(s->outputs[k]);
        free(s->outputs);
        free(s->deps);
    }
    free(p->steps);
    for (size_t i = 0; i < p->nsubjects; i++)
        free(p->subjects[i]);
    free(p->subjects);
    free(p->file);
    free(p->data_root);
    free(p->out_root);
    free(p->out_note);
    free(p);
}

/* Set key of section sect (made if missing) to value, replacing what the
 * file says. */
static int set_value(ctx *c, const char *sect, const char *key, const char *value)
{
    section *s = find_section(&c->doc, sect);
    for (size_t i = 0; s && i < s->n; i++)
        if (strcmp(s->kv[i].key, key) == 0) {
            char *v = strdup(value);
            if (!v)
                return oom(c);
            free(s->kv[i].value);
            s->kv[i].value = v;
            return 0;
        }
    return doc_handler(&c->doc, sect, key, value) ? 0 : oom(c);
}

/* "NAME=VALUE" into its two parts (name points into a copy in buf). */
static int split_assignment(const ctx *c, const char *what, const char *a, char *buf,
                            size_t len, const char **value)
{
    const char *eq = strchr(a, '=');
    if (!eq || eq == a || (size_t)(eq - a) >= len)
        return fail(c, "%s '%s': expected NAME=VALUE", what, a);
    memcpy(buf, a, (size_t)(eq - a));
    buf[eq - a] = '\0';
    *value = eq + 1;
    return 0;
}

/* What the caller changes: settings, input patterns, subjects. */
static int apply_overrides(ctx *c)
{
    const pl_load_opts *o = c->o;
    char name[256];
    const char *value;
    for (size_t i = 0; i < o->nsettings; i++) {
        int rc = split_assignment(c, "setting", o->settings[i], name, sizeof name, &value);
        if (rc || (rc = set_value(c, "settings", name, value)))
            return rc;
    }
    for (size_t i = 0; i < o->ninputs; i++) {
        int rc = split_assignment(c, "input", o->inputs[i], name, sizeof name, &value);
        if (rc)
            return rc;
        if (!get(find_section(&c->doc, "dataset"), name) || !strcmp(name, "root") ||
            !strcmp(name, "subjects") || !strcmp(name, "tr"))
            return fail(c, "section [dataset]: no key %s to give the input %s for", name,
                        value);
        if ((rc = set_value(c, "dataset", name, value)))
            return rc;
    }
    if (o->nsubjects) {
        size_t len = 1;
        for (size_t i = 0; i < o->nsubjects; i++)
            len += strlen(o->subjects[i]) + 1;
        char *all = malloc(len), *q = all;
        if (!all)
            return oom(c);
        for (size_t i = 0; i < o->nsubjects; i++)
            q += sprintf(q, "%s%s", i ? " " : "", o->subjects[i]);
        int rc = set_value(c, "dataset", "subjects", all);
        free(all);
        return rc;
    }
    return 0;
}

/* [settings]: names that are words of their own, values without
 * placeholders. */
static int check_settings(ctx *c)
{
    static const char *const taken[] = {"subject", "run", "out", "root", "tr", NULL};
    section *s = c->settings = find_section(&c->doc, "settings");
    for (size_t i = 0; s && i < s->n; i++) {
        const char *k = s->kv[i].key;
        if (strpbrk(k, " \t{}:"))
            return fail(c, "section [settings]: key %s: a name is one word without {}:", k);
        for (int t = 0; taken[t]; t++)
            if (strcmp(k, taken[t]) == 0)
                return fail(c, "section [settings]: key %s: {%s} is bract's own placeholder", k,
                            k);
        if (get(c->dataset, k))
            return fail(c, "section [settings]: key %s is a [dataset] key too: one name, one "
                        "meaning", k);
        if (strpbrk(s->kv[i].value, "{}"))
            return fail(c, "section [settings]: key %s: a value is plain text, without "
                        "placeholders (found '%s')", k, s->kv[i].value);
    }
    return 0;
}

/* The file as INI, and its sections: [dataset], [settings], [output],
 * [stage NAME]. */
static int read_file(ctx *c)
{
    int rc = check_lines(c);
    if (rc)
        return rc;
    int line = c->o->text ? ini_parse_string(c->o->text, doc_handler, &c->doc)
                          : ini_parse(c->file, doc_handler, &c->doc);
    if (line == -1)
        return bract_error(BRACT_EIO, "%s: cannot open the file", c->file);
    if (line < 0 || c->doc.oom)
        return oom(c);
    if (line > 0)
        return fail(c, "line %d: not a section header, key = value, or comment", line);
    for (size_t i = 0; i < c->doc.n; i++) {
        const char *nm = c->doc.sec[i].name;
        if (strcmp(nm, "dataset") && strcmp(nm, "output") && strcmp(nm, "settings") &&
            strncmp(nm, "stage ", 6))
            return fail(c, "section [%s]: unknown section (expected [dataset], [settings], "
                        "[output] or [stage NAME])", nm);
    }
    if (!find_section(&c->doc, "dataset"))
        return fail(c, "no [dataset] section");
    /* sections move while overrides add to them: pointers after */
    if ((rc = apply_overrides(c)))
        return rc;
    c->dataset = find_section(&c->doc, "dataset");
    return check_settings(c);
}

/* Whether files can be made at dir: the deepest of dir and its parents
 * that exists is a writable directory. */
static int can_make(const char *dir)
{
    char *d = strdup(dir);
    int ok = 0;
    while (d) {
        struct stat st;
        if (stat(d, &st) == 0) {
            ok = S_ISDIR(st.st_mode) && access(d, W_OK | X_OK) == 0;
            break;
        }
        char *up = dir_of(d);
        if (!up || strcmp(up, d) == 0) {
            free(up);
            break;
        }
        free(d);
        d = up;
    }
    free(d);
    return ok;
}

/* The default output root: derivatives/bract inside the dataset, or beside
 * it when the dataset is not writable (a read-only mount, a dataset
 * someone else owns), with a note saying so. */
static int default_out_root(ctx *c)
{
    pl_pipeline *p = c->p;
    char *inside = join_path(p->data_root, "derivatives/bract");
    if (!inside)
        return oom(c);
    if (can_make(inside)) {
        p->out_root = inside;
        return 0;
    }
    free(inside);
    char *abs = realpath(p->data_root, NULL);
    if (!abs)
        return fail(c, "section [dataset]: key root: %s: %s", p->data_root, strerror(errno));
    char *parent = dir_of(abs), *beside = parent ? join_path(parent, "derivatives/bract") : NULL;
    int rc = 0;
    if (!beside)
        rc = oom(c);
    else if (!can_make(beside))
        rc = bract_error(BRACT_EIO, "%s: %s is not writable, nor is %s (for %s): give --out DIR",
                         c->file, abs, parent, beside);
    else {
        static const char fmt[] = "%s is not writable: outputs go beside it, to %s";
        size_t n = sizeof fmt + strlen(abs) + strlen(beside);
        if ((p->out_note = malloc(n)))
            snprintf(p->out_note, n, fmt, abs, beside);
        else
            rc = oom(c);
    }
    if (!rc) {
        p->out_root = beside;
        beside = NULL;
    }
    free(beside);
    free(parent);
    free(abs);
    return rc;
}

/* Data and output roots (relative to the file's directory), and the TR. */
static int set_roots(ctx *c, const char *data_dir, const char *out_dir)
{
    pl_pipeline *p = c->p;
    char *base = dir_of(c->file);
    if (!base)
        return oom(c);
    const char *root = get(c->dataset, "root");
    p->data_root = data_dir ? strdup(data_dir) : root ? join_path(base, root) : strdup(base);
    free(base);
    const section *osec = find_section(&c->doc, "output");
    for (size_t i = 0; osec && i < osec->n; i++) {
        const char *k = osec->kv[i].key, *v = osec->kv[i].value;
        if (strcmp(k, "root") && strcmp(k, "allow_outside_root"))
            return fail(c, "section [output]: key %s: unknown key (expected root or "
                        "allow_outside_root)", k);
        if (!strcmp(k, "allow_outside_root") && !is_true(v) && !is_false(v))
            return fail(c, "section [output]: key allow_outside_root: write yes or no (found "
                        "'%s')", v);
        if (!strcmp(k, "allow_outside_root"))
            c->allow_outside = is_true(v);
    }
    const char *oroot = get(osec, "root");
    if (out_dir)
        p->out_root = strdup(out_dir);
    else if (p->data_root && oroot)
        p->out_root = join_path(oroot[0] == '/' ? NULL : p->data_root, oroot);
    if (!p->data_root || (!p->out_root && (out_dir || oroot)))
        return oom(c);
    struct stat st;
    if (stat(p->data_root, &st) || !S_ISDIR(st.st_mode))
        return fail(c, "section [dataset]: key root: %s is not a directory", p->data_root);
    if (!p->out_root) {
        int rc = default_out_root(c);
        if (rc)
            return rc;
    }
    const char *tr = get(c->dataset, "tr");
    if (tr && (bract_table_parse_double(tr, &p->tr) || !(p->tr > 0)))
        return fail(c, "section [dataset]: key tr: expected a positive number of seconds, "
                    "found '%s'", tr);
    return 0;
}

/* The option table of a stage's command ("rdm neural" before "rdm"), or
 * NULL for a command without one. */
static const cli_spec *stage_spec(const stage *s)
{
    if (s->cmd.n >= 2) {
        char name[256];
        snprintf(name, sizeof name, "%s %s", s->cmd.v[0], s->cmd.v[1]);
        const cli_spec *spec = cli_find_spec(name);
        if (spec)
            return spec;
    }
    return cli_find_spec(s->cmd.v[0]);
}

/* Every key of a stage is an option of its command, flags say yes or no,
 * and the command's required options are there (finding F15: checked
 * here, not by a failing step per subject). */
static int check_keys(const ctx *c, const stage *s, const cli_spec *spec)
{
    if (!cli_find_opt(spec, "output"))
        return fail(c, "section [stage %s]: key command: bract %s writes no output file, so it "
                    "cannot be a stage", s->name, spec->name);
    for (size_t k = 0; k < s->sec->n; k++) {
        const char *key = s->sec->kv[k].key, *v = s->sec->kv[k].value;
        if (is_reserved(key))
            continue;
        const cli_opt *o = cli_find_opt(spec, key);
        if (!o || strcmp(key, "help") == 0)
            return fail(c, "section [stage %s]: key %s: bract %s has no option --%s", s->name,
                        key, spec->name, key);
        int yes_no = is_true(v) || is_false(v);
        if (o->kind == CLI_OPT_FLAG && !yes_no)
            return fail(c, "section [stage %s]: key %s: --%s is a flag: write yes or no "
                        "(found '%s')", s->name, key, key, v);
        if (o->kind != CLI_OPT_FLAG && yes_no)
            return fail(c, "section [stage %s]: key %s: --%s takes a value, not '%s'", s->name,
                        key, key, v);
    }
    for (const cli_opt *o = spec->opts; o->kind != CLI_OPT_END; o++) {
        if (!(o->flags & CLI_REQUIRED))
            continue;
        const char *key = o->kind == CLI_OPT_ARGS ? "args" : o->long_name;
        if (strcmp(key, "output") != 0 && !get(s->sec, key))
            return fail(c, "section [stage %s]: missing key '%s' (bract %s needs it)", s->name,
                        key, spec->name);
    }
    return 0;
}

/* A [stage NAME] section: its name, command, scope and keys. */
static int load_stage(ctx *c, section *sec, stage *s)
{
    s->sec = sec;
    s->name = sec->name + 6;
    while (*s->name == ' ')
        s->name++;
    if (!*s->name || strpbrk(s->name, " \t{}:"))
        return fail(c, "section [%s]: a stage name is one word without {}:", sec->name);
    const char *cmd = get(sec, "command");
    if (!cmd)
        return fail(c, "section [stage %s]: missing key 'command'", s->name);
    if (tokenize(cmd, &s->cmd) || s->cmd.n == 0)
        return fail(c, "section [stage %s]: key command is empty", s->name);
    if (!cli_find_command(s->cmd.v[0]) || !strcmp(s->cmd.v[0], "pipeline"))
        return fail(c, "section [stage %s]: key command: unknown bract command '%s'", s->name,
                    s->cmd.v[0]);
    const char *scope = get(sec, "scope");
    if (scope && strcmp(scope, "subject") && strcmp(scope, "group"))
        return fail(c, "section [stage %s]: key scope: '%s' (expected subject or group)",
                    s->name, scope);
    s->group = scope && !strcmp(scope, "group");
    if (!get(sec, "output"))
        return fail(c, "section [stage %s]: missing key 'output' (where the step writes)",
                    s->name);
    const cli_spec *spec = stage_spec(s);
    return spec ? check_keys(c, s, spec) : 0;
}

/* Whether some stage value refers to [dataset] key k: {k} or {all:k}. */
static int key_used(const ctx *c, const char *k)
{
    char a[300], b[300];
    snprintf(a, sizeof a, "{%s}", k);
    snprintf(b, sizeof b, "{all:%s}", k);
    for (size_t i = 0; i < c->nst; i++)
        for (size_t j = 0; j < c->st[i].sec->n; j++)
            if (strstr(c->st[i].sec->kv[j].value, a) || strstr(c->st[i].sec->kv[j].value, b))
                return 1;
    return 0;
}

/* Every [dataset] key is root, subjects, tr or a pattern some stage uses
 * (finding F15: a misspelt or forgotten key was ignored). */
static int check_dataset_keys(ctx *c)
{
    const section *d = c->dataset;
    for (size_t i = 0; i < d->n; i++) {
        const char *k = d->kv[i].key;
        if (!strcmp(k, "root") || !strcmp(k, "subjects") || !strcmp(k, "tr") || key_used(c, k))
            continue;
        char used[1024] = "";
        size_t n = 0;
        for (size_t j = 0; j < d->n && n < sizeof used - 1; j++)
            if (j != i && strcmp(d->kv[j].key, "root") && strcmp(d->kv[j].key, "subjects") &&
                strcmp(d->kv[j].key, "tr") && key_used(c, d->kv[j].key))
                n += (size_t)snprintf(used + n, sizeof used - n, ", %s", d->kv[j].key);
        return fail(c, "section [dataset]: key %s: unknown key: no stage refers to {%s} (the "
                    "keys are root, subjects, tr and the file patterns the stages use%s%s)", k,
                    k, n ? ": " : "", n ? used + 2 : "");
    }
    return 0;
}

/* The stages, checked, with their references, in dependency order. */
static int load_stages(ctx *c)
{
    for (size_t i = 0; i < c->doc.n; i++)
        c->nst += strncmp(c->doc.sec[i].name, "stage ", 6) == 0;
    if (c->nst == 0)
        return fail(c, "no [stage NAME] section: nothing to run");
    c->st = calloc(c->nst, sizeof *c->st);
    c->order = calloc(c->nst, sizeof *c->order);
    c->first_step = calloc(c->nst, sizeof *c->first_step);
    if (!c->st || !c->order || !c->first_step)
        return oom(c);
    int rc = 0;
    for (size_t i = 0, k = 0; i < c->doc.n && !rc; i++)
        if (strncmp(c->doc.sec[i].name, "stage ", 6) == 0)
            rc = load_stage(c, &c->doc.sec[i], &c->st[k++]);
    for (size_t i = 0; i < c->nst && !rc; i++)
        for (size_t j = 0; j < i && !rc; j++)
            if (!strcmp(c->st[i].name, c->st[j].name))
                rc = fail(c, "section [stage %s]: two stages have this name", c->st[i].name);
    for (size_t i = 0; i < c->nst && !rc; i++)
        rc = stage_refs(c, i);
    if (!rc)
        rc = check_dataset_keys(c);
    if (rc)
        return rc;
    size_t *path_buf = calloc(c->nst + 1, sizeof *path_buf);
    if (!path_buf)
        return oom(c);
    for (size_t i = 0; i < c->nst && !rc; i++)
        rc = visit(c, i, path_buf, 0);
    free(path_buf);
    return rc;
}

/* The primary output of step k, of stage si for subject q. */
static int step_output(ctx *c, size_t si, size_t q, pl_step *st)
{
    st->subject = c->st[si].group ? -1 : (long)q;
    st->stage = strdup(c->st[si].name);
    st->outputs = calloc(1, sizeof *st->outputs);
    st->noutputs = 1;
    if (!st->stage || !st->outputs)
        return oom(c);
    strlist v = {0}, in = {0}, outs = {0};
    int rc = expand_value(c, si, st->subject, "output", get(c->st[si].sec, "output"), &v, st,
                          &in, &outs);
    if (!rc && v.n != 1)
        rc = fail(c, "section [stage %s]: key output must name one file or directory (got %zu)",
                  c->st[si].name, v.n);
    if (!rc)
        rc = check_inside_root(c, si, "output", v.v[0]);
    if (!rc && !(st->outputs[0] = strdup(v.v[0])))
        rc = oom(c);
    sl_free(&v);
    sl_free(&in);
    sl_free(&outs);
    return rc;
}

/* Steps in stage order, one per subject (subject stages) or one: their
 * primary outputs first (other steps refer to them), then the rest. */
static int make_steps(ctx *c)
{
    pl_pipeline *p = c->p;
    for (size_t o = 0; o < c->norder; o++)
        p->nsteps += c->st[c->order[o]].group ? 1 : p->nsubjects;
    if (!(p->steps = calloc(p->nsteps, sizeof *p->steps)))
        return oom(c);
    int rc = 0;
    for (size_t o = 0, k = 0; o < c->norder && !rc; o++) {
        size_t si = c->order[o];
        c->first_step[si] = k;
        size_t n = c->st[si].group ? 1 : p->nsubjects;
        for (size_t q = 0; q < n && !rc; q++, k++)
            rc = step_output(c, si, q, &p->steps[k]);
    }
    for (size_t o = 0; o < c->norder && !rc; o++) {
        size_t si = c->order[o];
        size_t n = c->st[si].group ? 1 : p->nsubjects;
        for (size_t q = 0; q < n && !rc; q++)
            rc = build_step(c, si, c->st[si].group ? -1 : (long)q);
    }
    return rc;
}

static void ctx_free(ctx *c)
{
    for (size_t i = 0; c->st && i < c->nst; i++) {
        sl_free(&c->st[i].cmd);
        free(c->st[i].deps);
        free(c->st[i].after);
    }
    free(c->st);
    free(c->order);
    free(c->first_step);
    free(c->real_root);
    doc_free(&c->doc);
}

int cli_plan_load(const char *path, const char *data_dir, const char *out_dir, pl_pipeline **out)
{
    pl_load_opts o = {.data_dir = data_dir, .out_dir = out_dir};
    return cli_plan_load_opts(path, &o, out);
}

int cli_plan_load_opts(const char *path, const pl_load_opts *o, pl_pipeline **out)
{
    *out = NULL;
    ctx c;
    memset(&c, 0, sizeof c);
    c.file = path;
    c.o = o;
    int rc = read_file(&c);
    if (!rc && (!(c.p = calloc(1, sizeof *c.p)) || !(c.p->file = strdup(path))))
        rc = oom(&c);
    if (!rc)
        rc = set_roots(&c, o->data_dir, o->out_dir);
    if (!rc)
        rc = discover_subjects(&c);
    if (!rc)
        rc = load_stages(&c);
    if (!rc)
        rc = make_steps(&c);
    ctx_free(&c);
    if (rc) {
        cli_plan_free(c.p);
        return rc;
    }
    *out = c.p;
    return 0;
}

/* ---- status ---- */

const char *cli_plan_subject(const pl_pipeline *p, const pl_step *s)
{
    return s->subject >= 0 ? p->subjects[s->subject] : "group";
}

char *cli_plan_step_record(const pl_step *s) { return bract_sidecar_path(s->outputs[0]); }

static int newer(const struct stat *a, const struct stat *b)
{
    if (a->st_mtim.tv_sec != b->st_mtim.tv_sec)
        return a->st_mtim.tv_sec > b->st_mtim.tv_sec;
    return a->st_mtim.tv_nsec > b->st_mtim.tv_nsec;
}

int cli_plan_status(const pl_pipeline *p, size_t i, const unsigned char *will_run, char *why,
              size_t whylen)
{
    const pl_step *s = &p->steps[i];
    struct stat so, st;
    for (size_t k = 0; k < s->noutputs; k++)
        if (stat(s->outputs[k], &st) != 0) {
            snprintf(why, whylen, k ? "output %s missing" : "new", s->outputs[k]);
            return PL_NEW;
        }
    stat(s->outputs[0], &so);
    char *rec = cli_plan_step_record(s);
    int status = PL_UPTODATE;
    json_object *o = rec && stat(rec, &st) == 0 ? json_object_from_file(rec) : NULL, *v;
    if (!o) {
        snprintf(why, whylen, "no record of a finished run");
        status = PL_NEW;
    } else {
        const char *cl = json_object_object_get_ex(o, "CommandLine", &v)
                             ? json_object_get_string(v) : NULL;
        if (!cl || strcmp(cl, s->cmdline) != 0) {
            snprintf(why, whylen, "parameters changed");
            status = PL_CHANGED;
        }
    }
    json_object_put(o);
    free(rec);
    if (status != PL_UPTODATE)
        return status;
    for (size_t d = 0; d < s->ndeps; d++)
        if (will_run && will_run[s->deps[d]]) {
            const pl_step *ds = &p->steps[s->deps[d]];
            snprintf(why, whylen, "after %s%s%s", ds->stage, ds->subject >= 0 ? " " : "",
                     ds->subject >= 0 ? p->subjects[ds->subject] : "");
            return PL_STALE;
        }
    for (size_t k = 0; k < s->ninputs; k++)
        if (stat(s->inputs[k], &st) == 0 && newer(&st, &so)) {
            snprintf(why, whylen, "input %s is newer", s->inputs[k]);
            return PL_STALE;
        }
    if (p->force) {
        snprintf(why, whylen, "up to date, but --force");
        return PL_FORCED;
    }
    snprintf(why, whylen, "up to date");
    return PL_UPTODATE;
}

void cli_plan_clean_temporaries(const pl_step *s)
{
    for (size_t k = 0; k < s->noutputs; k++) {
        const char *out = s->outputs[k];
        char *side = bract_sidecar_path(out);
        struct stat st;
        bract_output_clean(out);
        if (side)
            bract_output_clean(side);
        /* inside a directory output too (finding F9): a rerun with other
         * options may not write the files the killed run was writing */
        if (stat(out, &st) == 0 && S_ISDIR(st.st_mode))
            bract_output_clean_dir(out);
        free(side);
    }
}

/* ---- what the runner may replace (finding F5) ---- */

/* The reason into why; -1. */
static int say(char *why, size_t len, const char *fmt, ...) BRACT_FORMAT(3, 4);
static int say(char *why, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, len, fmt, ap);
    va_end(ap);
    return -1;
}

/* The CommandLine of the sidecar at `side` when bract wrote it (its
 * GeneratedBy names bract), "" when it names none; NULL when the file is
 * missing, unreadable or someone else's.  Owned by the caller. */
static char *bract_record(const char *side)
{
    struct stat st;
    if (lstat(side, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (16 << 20))
        return NULL;
    json_object *o = json_object_from_file(side), *gen, *tool, *name, *cl;
    char *line = NULL;
    if (o && json_object_object_get_ex(o, "GeneratedBy", &gen) &&
        json_object_is_type(gen, json_type_array) && json_object_array_length(gen) > 0 &&
        (tool = json_object_array_get_idx(gen, 0)) != NULL &&
        json_object_object_get_ex(tool, "Name", &name) &&
        json_object_is_type(name, json_type_string) &&
        strcmp(json_object_get_string(name), "bract") == 0)
        line = strdup(json_object_object_get_ex(o, "CommandLine", &cl) &&
                              json_object_is_type(cl, json_type_string)
                          ? json_object_get_string(cl)
                          : "");
    json_object_put(o);
    return line;
}

/* Whether a command line is one of step s: the same command writing the
 * same primary output ("bract CMD ... -o OUTPUT ..."), whatever its other
 * options (a changed option is still the step's own earlier run). */
static int records_step(const pl_step *s, const char *line)
{
    char *words[3] = {"bract", s->argv[0], NULL};
    char *cmd = bract_sidecar_shell_join(2, words);
    words[0] = "-o";
    words[1] = s->outputs[0];
    char *o = bract_sidecar_shell_join(2, words);
    int yes = 0;
    if (cmd && o && strncmp(line, cmd, strlen(cmd)) == 0 && line[strlen(cmd)] == ' ') {
        size_t n = strlen(o);
        for (const char *q = line; !yes && (q = strstr(q, o)); q++)
            yes = q[-1] == ' ' && (q[n] == ' ' || q[n] == '\0');
    }
    free(cmd);
    free(o);
    return yes;
}

/* File `path` (an output, or a file inside a directory output): 0 when
 * the runner may replace it, else a reason in why. */
static int owned_file(const pl_step *s, const char *path, char *why, size_t len)
{
    struct stat st;
    char *side = bract_sidecar_path(path), *line = NULL;
    int rc = 0;
    if (!side)
        return say(why, len, "out of memory");
    if (lstat(path, &st) != 0) {
        /* nothing there; a sidecar there must be bract's */
        if (lstat(side, &st) == 0 && !(line = bract_record(side)))
            rc = say(why, len, "%s exists and is not a sidecar bract wrote", side);
    } else if (S_ISLNK(st.st_mode)) {
        rc = say(why, len, "%s is a symbolic link", path);
    } else if (!(line = bract_record(side))) {
        rc = say(why, len, "%s exists and no bract sidecar records this step (%s %s)",
                      path, side, lstat(side, &st) == 0 ? "was not written by bract"
                                                        : "is missing");
    } else if (!records_step(s, line)) {
        rc = say(why, len, "%s exists and its sidecar %s records another command (%.200s)",
                      path, side, line);
    }
    free(line);
    free(side);
    return rc;
}

/* A directory output without its record (a run killed before the end, or
 * someone's directory): every file in it is a bract sidecar or has one
 * recording this step; temporaries are the runner's to clean. */
static int owned_dir(const pl_step *s, const char *dir, char *why, size_t len)
{
    DIR *d = opendir(dir);
    if (!d)
        return say(why, len, "%s: cannot read the directory: %s", dir, strerror(errno));
    struct dirent *e;
    int rc = 0;
    while (!rc && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char *full = join_path(dir, e->d_name), *line = NULL;
        struct stat st;
        if (!full)
            rc = say(why, len, "out of memory");
        else if (lstat(full, &st) != 0 || S_ISDIR(st.st_mode))
            ;
        else if (strlen(full) > 5 && !strcmp(full + strlen(full) - 5, ".json") && (line = bract_record(full)))
            ;
        else
            rc = owned_file(s, full, why, len);
        free(line);
        free(full);
    }
    closedir(d);
    return rc;
}

int cli_plan_check_owned(const pl_step *s, char *why, size_t len)
{
    for (size_t k = 0; k < s->noutputs; k++) {
        const char *out = s->outputs[k];
        struct stat st;
        if (lstat(out, &st) != 0 || !S_ISDIR(st.st_mode)) {
            if (owned_file(s, out, why, len))
                return -1;
            continue;
        }
        char *rec = bract_sidecar_path(out), *line = rec ? bract_record(rec) : NULL;
        int rc = 0;
        if (!rec)
            rc = say(why, len, "out of memory");
        else if (line && !records_step(s, line))
            rc = say(why, len, "%s: its record %s records another command (%.200s)", out,
                          rec, line);
        else if (!line && lstat(rec, &st) == 0)
            rc = say(why, len, "%s exists and is not a record bract wrote", rec);
        else if (!line)
            rc = owned_dir(s, out, why, len);
        free(line);
        free(rec);
        if (rc)
            return rc;
    }
    return 0;
}
