/* The HTML report: finding bract's outputs by their sidecars, the page's
 * frame (summary, contents, styling), the dataset and the runs. */
#include "figures/report_internal.h"
#include "bract/outputs.h"
#include "bract/sidecar.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void bract_report_opts_defaults(bract_report_opts *o)
{
    memset(o, 0, sizeof *o);
    o->alpha = 0.05;
    o->dpi = 144;
    o->max_rdms = 12;
    o->max_rows = 40;
}

/* ---- discovery ---- */

typedef struct {
    char **v;
    size_t n, cap;
} strvec;

static int strvec_push(strvec *s, const char *x)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 16;
        char **v = bract_xrealloc(s->v, cap, sizeof *v, "a list of names");
        if (!v)
            return BRACT_ENOMEM;
        s->v = v;
        s->cap = cap;
    }
    if (!(s->v[s->n] = bract_xstrdup(x)))
        return BRACT_ENOMEM;
    s->n++;
    return BRACT_OK;
}

static void strvec_free(strvec *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    s->v = NULL;
    s->n = s->cap = 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *join(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    char *p = bract_xmalloc(a + b + 2, 1, "a path");
    if (p) {
        memcpy(p, dir, a);
        p[a] = '/';
        memcpy(p + a + 1, name, b + 1);
    }
    return p;
}

/* The state of the walk: every file under the root, and problems met. */
typedef struct {
    strvec files;
    strvec problems; /* HTML-free messages */
} walk_state;

static int is_bract_sidecar(json_object *j)
{
    json_object *cmd, *gen;
    if (!j || !json_object_is_type(j, json_type_object) ||
        !json_object_object_get_ex(j, "Command", &cmd) ||
        !json_object_is_type(cmd, json_type_string) ||
        !json_object_object_get_ex(j, "GeneratedBy", &gen) ||
        !json_object_is_type(gen, json_type_array))
        return 0;
    for (size_t i = 0; i < json_object_array_length(gen); i++) {
        json_object *t = json_object_array_get_idx(gen, i), *name;
        if (json_object_is_type(t, json_type_object) &&
            json_object_object_get_ex(t, "Name", &name) &&
            json_object_is_type(name, json_type_string) &&
            strcmp(json_object_get_string(name), "bract") == 0)
            return 1;
    }
    return 0;
}

static int add_sidecar(rp_ctx *c, walk_state *w, const char *dir, char **names,
                       const unsigned char *isdir, size_t n, size_t k)
{
    char *path = join(dir, names[k]);
    if (!path)
        return BRACT_ENOMEM;
    struct stat st;
    if (stat(path, &st) || st.st_size > 64 * 1024 * 1024) {
        free(path);
        return BRACT_OK; /* not a sidecar: those are small */
    }
    char *text = NULL;
    size_t len;
    if (bract_read_file(path, &text, &len)) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", bract_last_error());
        free(path);
        return strvec_push(&w->problems, msg);
    }
    enum json_tokener_error jerr = json_tokener_success;
    json_object *j = json_tokener_parse_verbose(text, &jerr);
    free(text);
    if (!j) {
        char *rel = bract_rp_rel(c, path), msg[1024];
        snprintf(msg, sizeof msg, "%s: not valid JSON (%s); its output is left out",
                 rel ? rel : path, json_tokener_error_desc(jerr));
        free(rel);
        free(path);
        return strvec_push(&w->problems, msg);
    }
    if (!is_bract_sidecar(j)) {
        json_object_put(j);
        free(path);
        return BRACT_OK;
    }
    json_object *cmd, *line;
    json_object_object_get_ex(j, "Command", &cmd);
    if (strcmp(json_object_get_string(cmd), "report") == 0) {
        json_object_put(j); /* reports do not report on themselves */
        free(path);
        return BRACT_OK;
    }
    /* its outputs: the directory X for X.json, else every file whose
     * sidecar name is this one (clusters.tsv and clusters.nii.gz share
     * clusters.json); an entry for each, sharing the JSON */
    size_t nl = strlen(names[k]);
    char *stem = bract_xstrdup(names[k]);
    if (!stem) {
        json_object_put(j);
        free(path);
        return BRACT_ENOMEM;
    }
    stem[nl - 5] = '\0';
    long dir_out = -1;
    size_t nout = 0;
    for (size_t i = 0; i < n; i++)
        if (i != k && isdir[i] && strcmp(names[i], stem) == 0)
            dir_out = (long)i;
    int rc = BRACT_OK;
    for (size_t i = 0; i <= n && !rc; i++) {
        int last = i == n;
        if (!last) {
            if (i == k || isdir[i] || dir_out >= 0)
                continue;
            char *sp = bract_sidecar_path(names[i]);
            int mine = sp && strcmp(sp, names[k]) == 0;
            free(sp);
            if (!mine)
                continue;
        } else if (nout) {
            break; /* every output has its entry */
        }
        rp_sidecar *s = bract_xrealloc(c->sc, c->nsc + 1, sizeof *s, "the sidecar list");
        if (!s) {
            rc = BRACT_ENOMEM;
            break;
        }
        c->sc = s;
        s = &c->sc[c->nsc++];
        memset(s, 0, sizeof *s);
        s->json = nout++ ? json_object_get(j) : j;
        s->path = bract_xstrdup(path);
        s->command = json_object_get_string(cmd);
        s->cmdline = json_object_object_get_ex(j, "CommandLine", &line) &&
                             json_object_is_type(line, json_type_string)
                         ? json_object_get_string(line)
                         : "";
        if (last && dir_out >= 0) {
            s->output = join(dir, names[dir_out]);
            s->output_is_dir = 1;
        } else if (!last) {
            s->output = join(dir, names[i]);
        }
        char *shown = s->output ? s->output : join(dir, stem);
        s->rel = shown ? bract_rp_rel(c, shown) : NULL;
        if (shown != s->output)
            free(shown);
        if (!s->path || !s->rel || (!last && !s->output) || (last && dir_out >= 0 && !s->output))
            rc = BRACT_ENOMEM;
    }
    if (!nout)
        json_object_put(j);
    free(stem);
    free(path);
    return rc;
}

static int walk(rp_ctx *c, walk_state *w, const char *dir, int depth)
{
    DIR *d = opendir(dir);
    if (!d) {
        if (depth == 0)
            return bract_error(BRACT_EIO, "%s: cannot read the directory: %s", dir,
                               strerror(errno));
        char msg[1024];
        snprintf(msg, sizeof msg, "%s: cannot read the directory: %s", dir, strerror(errno));
        return strvec_push(&w->problems, msg);
    }
    strvec names = {0};
    struct dirent *e;
    int rc = BRACT_OK;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') /* ., .., hidden files and bract's temporaries */
            continue;
        if ((rc = strvec_push(&names, e->d_name)))
            break;
    }
    closedir(d);
    if (rc) {
        strvec_free(&names);
        return rc;
    }
    if (names.n)
        qsort(names.v, names.n, sizeof *names.v, cmp_str);
    unsigned char *isdir = bract_xcalloc(names.n ? names.n : 1, 1, "directory entries");
    unsigned char *isfile = bract_xcalloc(names.n ? names.n : 1, 1, "directory entries");
    if (!isdir || !isfile) {
        free(isdir);
        free(isfile);
        strvec_free(&names);
        return BRACT_ENOMEM;
    }
    for (size_t i = 0; i < names.n && !rc; i++) {
        char *p = join(dir, names.v[i]);
        struct stat st;
        if (!p) {
            rc = BRACT_ENOMEM;
            break;
        }
        /* symbolic links to directories are not followed (no loops) */
        if (lstat(p, &st) == 0) {
            if (S_ISDIR(st.st_mode))
                isdir[i] = 1;
            else if (S_ISREG(st.st_mode) || (S_ISLNK(st.st_mode) && stat(p, &st) == 0 &&
                                             S_ISREG(st.st_mode)))
                isfile[i] = 1;
        }
        if (isfile[i])
            rc = strvec_push(&w->files, p);
        free(p);
    }
    for (size_t i = 0; i < names.n && !rc; i++)
        if (isfile[i] && bract_ends_with(names.v[i], ".json") && strlen(names.v[i]) > 5)
            rc = add_sidecar(c, w, dir, names.v, isdir, names.n, i);
    for (size_t i = 0; i < names.n && !rc; i++) {
        if (!isdir[i])
            continue;
        if (depth >= 32)
            break;
        char *p = join(dir, names.v[i]);
        if (!p) {
            rc = BRACT_ENOMEM;
            break;
        }
        rc = walk(c, w, p, depth + 1);
        free(p);
    }
    free(isdir);
    free(isfile);
    strvec_free(&names);
    return rc;
}

static char *dirname_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return bract_xstrdup(".");
    size_t n = (size_t)(slash - path);
    char *d = bract_xmalloc(n + 1, 1, "a directory name");
    if (d) {
        memcpy(d, path, n);
        d[n] = '\0';
    }
    return d;
}

static int make_runs(rp_ctx *c)
{
    for (size_t i = 0; i < c->nsc; i++) {
        rp_sidecar *s = &c->sc[i];
        char *dir = s->output_is_dir ? bract_xstrdup(s->output) : dirname_of(s->path);
        if (!dir)
            return BRACT_ENOMEM;
        rp_run *r = NULL;
        for (size_t k = 0; k < c->nruns && !r; k++)
            if (strcmp(c->runs[k].command, s->command) == 0 &&
                strcmp(c->runs[k].cmdline, s->cmdline) == 0 && strcmp(c->runs[k].dir, dir) == 0)
                r = &c->runs[k];
        if (!r) {
            rp_run *nr = bract_xrealloc(c->runs, c->nruns + 1, sizeof *nr, "the run list");
            if (!nr) {
                free(dir);
                return BRACT_ENOMEM;
            }
            c->runs = nr;
            r = &c->runs[c->nruns++];
            memset(r, 0, sizeof *r);
            r->command = s->command;
            r->cmdline = s->cmdline;
            r->dir = dir;
        } else {
            free(dir);
        }
        rp_sidecar **v = bract_xrealloc(r->sc, r->n + 1, sizeof *v, "a run's sidecars");
        if (!v)
            return BRACT_ENOMEM;
        r->sc = v;
        r->sc[r->n++] = s;
        if (s->output_is_dir)
            r->record = s;
    }
    for (size_t k = 0; k < c->nruns; k++) {
        char id[32];
        snprintf(id, sizeof id, "run-%zu", k + 1);
        if (!(c->runs[k].anchor = bract_xstrdup(id)))
            return BRACT_ENOMEM;
    }
    return BRACT_OK;
}

rp_run **bract_rp_runs_of(rp_ctx *c, const char *command, size_t *n)
{
    *n = 0;
    rp_run **v = NULL;
    for (size_t k = 0; k < c->nruns; k++) {
        if (strcmp(c->runs[k].command, command) != 0)
            continue;
        rp_run **nv = bract_xrealloc(v, *n + 1, sizeof *nv, "a run list");
        if (!nv) {
            c->oom = 1;
            break;
        }
        v = nv;
        v[(*n)++] = &c->runs[k];
    }
    return v;
}

rp_sidecar *bract_rp_run_file(const rp_run *r, const char *name)
{
    char *want = bract_sidecar_path(name);
    rp_sidecar *hit = NULL;
    for (size_t i = 0; i < r->n && !hit; i++) {
        const rp_sidecar *s = r->sc[i];
        if (s->output_is_dir)
            continue;
        /* by the output's name, or (output missing) by the sidecar's */
        const char *p = s->output ? s->output : s->path, *w = s->output ? name : want;
        const char *slash = strrchr(p, '/');
        if (w && strcmp(slash ? slash + 1 : p, w) == 0)
            hit = r->sc[i];
    }
    free(want);
    return hit;
}

json_object *bract_rp_get(const rp_sidecar *s, const char *section, const char *key)
{
    json_object *o = s->json, *v;
    if (section && (!json_object_object_get_ex(o, section, &o) ||
                    !json_object_is_type(o, json_type_object)))
        return NULL;
    return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

const char *bract_rp_get_str(const rp_sidecar *s, const char *section, const char *key)
{
    json_object *v = bract_rp_get(s, section, key);
    return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

double bract_rp_get_num(const rp_sidecar *s, const char *section, const char *key)
{
    json_object *v = bract_rp_get(s, section, key);
    if (v && (json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)))
        return json_object_get_double(v);
    return NAN;
}

char *bract_rp_rel(const rp_ctx *c, const char *path)
{
    size_t n = strlen(c->root);
    if (strncmp(path, c->root, n) == 0 && path[n] == '/')
        return bract_xstrdup(path + n + 1);
    char real[PATH_MAX];
    if (c->root_real && realpath(path, real)) {
        size_t m = strlen(c->root_real);
        if (strncmp(real, c->root_real, m) == 0 && real[m] == '/')
            return bract_xstrdup(real + m + 1);
    }
    return bract_xstrdup(path);
}

void bract_rp_free_strings(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

/* A recorded input path, found: as written, or by its longest tail among
 * the files under the root (an unambiguous match only, of at least
 * `min_parts` path components). */
static char *resolve(rp_ctx *c, const char *p, int min_parts)
{
    struct stat st;
    if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
        return bract_xstrdup(p);
    size_t len = strlen(p);
    /* tails from the longest: after each '/' */
    for (size_t cut = 0; cut < len; cut++) {
        if (cut && p[cut - 1] != '/')
            continue;
        const char *tail = p + cut;
        int parts = 1;
        for (const char *q = tail; *q; q++)
            parts += *q == '/';
        if (parts < min_parts)
            break;
        size_t tl = len - cut, hits = 0, hit = 0;
        for (size_t i = 0; i < c->nfiles; i++) {
            const char *f = c->files[i];
            size_t fl = strlen(f);
            if (fl >= tl && strcmp(f + fl - tl, tail) == 0 && (fl == tl || f[fl - tl - 1] == '/')) {
                hits++;
                hit = i;
            }
        }
        if (hits == 1)
            return bract_xstrdup(c->files[hit]);
        if (hits > 1)
            return NULL; /* ambiguous */
    }
    return NULL;
}

size_t bract_rp_sources(rp_ctx *c, const rp_sidecar *s, const char *role, char ***paths,
                  size_t *missing)
{
    *paths = NULL;
    if (missing)
        *missing = 0;
    json_object *v = bract_rp_get(s, "Sources", role);
    if (!v)
        return 0;
    size_t n = json_object_is_type(v, json_type_array) ? json_object_array_length(v) : 1, k = 0;
    char **out = bract_xcalloc(n ? n : 1, sizeof *out, "input paths");
    if (!out) {
        c->oom = 1;
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        json_object *e =
            json_object_is_type(v, json_type_array) ? json_object_array_get_idx(v, i) : v;
        char *r = json_object_is_type(e, json_type_string)
                      ? resolve(c, json_object_get_string(e), 1) : NULL;
        if (r)
            out[k++] = r;
        else if (missing)
            (*missing)++;
    }
    if (!k) {
        free(out);
        out = NULL;
    }
    *paths = out;
    return k;
}

rp_sidecar *bract_rp_sidecar_of(rp_ctx *c, const char *path)
{
    char want[PATH_MAX], got[PATH_MAX];
    if (!realpath(path, want))
        return NULL;
    for (size_t i = 0; i < c->nsc; i++)
        if (c->sc[i].output && realpath(c->sc[i].output, got) && strcmp(want, got) == 0)
            return &c->sc[i];
    return NULL;
}

/* ---- the dataset section ---- */

static int is_exclusion_count(const char *key)
{
    static const char *const words[] = {"excluded", "skipped", "missing", "flagged", "nonfinite",
                                        "unmeasured", "dropped", "censored", "nan_", NULL};
    for (size_t i = 0; words[i]; i++)
        if (strstr(key, words[i]))
            return 1;
    return 0;
}

static double run_wall_time(const rp_run *r)
{
    double t = NAN;
    for (size_t i = 0; i < r->n; i++) {
        double v = bract_rp_get_num(r->sc[i], NULL, "WallTimeSeconds");
        if (isfinite(v) && !(v <= t))
            t = v;
    }
    return t;
}

static const char *run_date(const rp_run *r)
{
    const char *d = NULL;
    for (size_t i = 0; i < r->n; i++) {
        const char *v = bract_rp_get_str(r->sc[i], NULL, "Date");
        if (v && (!d || strcmp(v, d) < 0))
            d = v;
    }
    return d;
}

/* The main output of a run, for display (malloc'd): its record's
 * directory, the directory of several outputs, or its one output. */
static char *run_output(const rp_ctx *c, const rp_run *r)
{
    if (r->record)
        return bract_xstrdup(r->record->rel);
    if (r->n == 1)
        return bract_xstrdup(r->sc[0]->rel);
    char *rel = bract_rp_rel(c, r->dir);
    if (!rel)
        return NULL;
    size_t n = strlen(rel);
    char *d = bract_xrealloc(rel, n + 2, 1, "a path");
    if (!d) {
        free(rel);
        return NULL;
    }
    memcpy(d + n, "/", 2);
    return d;
}

/* 0.0123 s -> "12 ms", 75 s -> "1 min 15 s"; buf needs 32 bytes. */
static char *fmt_duration(char *buf, double t)
{
    if (!(t >= 0))
        snprintf(buf, 32, "n/a");
    else if (t < 0.0005)
        snprintf(buf, 32, "<1 ms");
    else if (t < 1)
        snprintf(buf, 32, "%.0f ms", t * 1000);
    else if (t < 10)
        snprintf(buf, 32, "%.2f s", t);
    else if (t < 60)
        snprintf(buf, 32, "%.1f s", t);
    else if (t < 3600)
        snprintf(buf, 32, "%d min %02d s", (int)(t / 60), (int)fmod(t, 60));
    else
        snprintf(buf, 32, "%d h %02d min", (int)(t / 3600), (int)fmod(t / 60, 60));
    return buf;
}

/* "2026-11-28T09:49:36Z" -> "2026-11-28 09:49:36 UTC" (others unchanged). */
static char *fmt_date(char *buf, size_t n, const char *iso)
{
    size_t len = strlen(iso);
    if (len == 20 && iso[10] == 'T' && iso[19] == 'Z')
        snprintf(buf, n, "%.10s %.8s UTC", iso, iso + 11);
    else
        snprintf(buf, n, "%s", iso);
    return buf;
}

static int cmp_run_date(const void *a, const void *b)
{
    const rp_run *x = *(rp_run *const *)a, *y = *(rp_run *const *)b;
    const char *dx = run_date(x), *dy = run_date(y);
    int k = strcmp(dx ? dx : "", dy ? dy : "");
    return k ? k : strcmp(x->sc[0]->path, y->sc[0]->path);
}

/* Subjects: sub-* directories, or subject names in the paths; sorted. */
static void dataset_subjects(rp_ctx *c, const strvec *files, strvec *subj)
{
    for (size_t i = 0; i < files->n; i++) {
        const char *p = files->v[i] + strlen(c->root);
        for (const char *q = strstr(p, "/sub-"); q; q = strstr(q + 1, "/sub-")) {
            char name[64];
            size_t k = 0;
            for (const char *t = q + 1; *t && *t != '/' && *t != '_' && *t != '.' && k < 63; t++)
                name[k++] = *t;
            name[k] = '\0';
            if (k <= 4)
                continue;
            int seen = 0;
            for (size_t j = 0; j < subj->n; j++)
                if (strcmp(subj->v[j], name) == 0)
                    seen = 1;
            if (!seen && strvec_push(subj, name))
                c->oom = 1;
        }
    }
    if (subj->n)
        qsort(subj->v, subj->n, sizeof *subj->v, cmp_str);
}

/* The bract versions of the sidecars, once each; their first and last dates. */
static void dataset_versions(rp_ctx *c, strvec *versions, const char **first, const char **last)
{
    for (size_t i = 0; i < c->nsc; i++) {
        json_object *gen = bract_rp_get(&c->sc[i], NULL, "GeneratedBy");
        for (size_t k = 0; gen && k < json_object_array_length(gen); k++) {
            json_object *t = json_object_array_get_idx(gen, k), *ver;
            if (json_object_is_type(t, json_type_object) &&
                json_object_object_get_ex(t, "Version", &ver) &&
                json_object_is_type(ver, json_type_string)) {
                int seen = 0;
                for (size_t j = 0; j < versions->n; j++)
                    if (strcmp(versions->v[j], json_object_get_string(ver)) == 0)
                        seen = 1;
                if (!seen && strvec_push(versions, json_object_get_string(ver)))
                    c->oom = 1;
            }
        }
        const char *d = bract_rp_get_str(&c->sc[i], NULL, "Date");
        if (d && (!*first || strcmp(d, *first) < 0))
            *first = d;
        if (d && (!*last || strcmp(d, *last) > 0))
            *last = d;
    }
}

/* The facts list: root, outputs, subjects, dates and time, versions. */
static void dataset_facts(rp_ctx *c, const strvec *files)
{
    strvec subj = {0}, versions = {0};
    dataset_subjects(c, files, &subj);
    const char *first = NULL, *last = NULL;
    dataset_versions(c, &versions, &first, &last);
    double total = 0;
    for (size_t k = 0; k < c->nruns; k++) {
        double t = run_wall_time(&c->runs[k]);
        if (isfinite(t))
            total += t;
    }
    bract_rp_put(c, "<dl class=\"facts\">\n<dt>Output root</dt><dd><code>");
    bract_rp_esc(c, c->root_real ? c->root_real : c->root);
    bract_rp_put(c, "</code></dd>\n");
    bract_rp_putf(c, "<dt>Outputs</dt><dd>%zu outputs with sidecars, from %zu command runs</dd>\n",
            c->nsc, c->nruns);
    if (subj.n) {
        bract_rp_putf(c, "<dt>Subjects</dt><dd>%zu: ", subj.n);
        for (size_t j = 0; j < subj.n; j++) {
            if (j)
                bract_rp_put(c, ", ");
            if (j == 30 && subj.n > 34) {
                bract_rp_putf(c, "and %zu more", subj.n - 30);
                break;
            }
            bract_rp_esc(c, subj.v[j]);
        }
        bract_rp_put(c, "</dd>\n");
    }
    if (first) {
        char d[64], b[32];
        bract_rp_put(c, "<dt>Run</dt><dd>");
        bract_rp_esc(c, fmt_date(d, sizeof d, first));
        if (last && strcmp(last, first) != 0) {
            bract_rp_put(c, " to ");
            bract_rp_esc(c, fmt_date(d, sizeof d, last));
        }
        bract_rp_putf(c, "; wall time %s in all</dd>\n", fmt_duration(b, total));
    }
    if (versions.n) {
        bract_rp_put(c, "<dt>bract version</dt><dd>");
        for (size_t j = 0; j < versions.n; j++) {
            if (j)
                bract_rp_put(c, ", ");
            bract_rp_esc(c, versions.v[j]);
        }
        if (versions.n > 1)
            bract_rp_put(c, " <span class=\"warn\">(outputs of several versions)</span>");
        bract_rp_put(c, "</dd>\n");
    }
    bract_rp_put(c, "</dl>\n");
    strvec_free(&subj);
    strvec_free(&versions);
}

/* Every (role, path) the sidecars record as Sources, as "role\x1fpath",
 * sorted. */
static void recorded_sources(rp_ctx *c, strvec *all)
{
    for (size_t i = 0; i < c->nsc; i++) {
        if (i && strcmp(c->sc[i].path, c->sc[i - 1].path) == 0)
            continue; /* the same sidecar, another output */
        json_object *src = bract_rp_get(&c->sc[i], NULL, "Sources");
        if (!src || !json_object_is_type(src, json_type_object))
            continue;
        json_object_object_foreach(src, role, val)
        {
            size_t n =
                json_object_is_type(val, json_type_array) ? json_object_array_length(val) : 1;
            for (size_t k = 0; k < n; k++) {
                json_object *e = json_object_is_type(val, json_type_array)
                                     ? json_object_array_get_idx(val, k) : val;
                if (!json_object_is_type(e, json_type_string))
                    continue;
                bract_buf kv = {0};
                bract_rp_buf_putf(c, &kv, "%s\x1f%s", role, json_object_get_string(e));
                if (kv.data && strvec_push(all, kv.data))
                    c->oom = 1;
                bract_buf_free(&kv);
            }
        }
    }
    if (all->n)
        qsort(all->v, all->n, sizeof *all->v, cmp_str);
}

/* Inputs read from outside the root, by role: every (role, path) once,
 * sorted, then only those that are not files under the root. */
static void dataset_inputs(rp_ctx *c)
{
    bract_rp_put(c, "<h3 id=\"dataset-inputs\">Inputs</h3>\n");
    strvec all = {0}, roles = {0}, paths = {0};
    recorded_sources(c, &all);
    for (size_t i = 0; i < all.n; i++) {
        if (i && strcmp(all.v[i], all.v[i - 1]) == 0)
            continue;
        char *sep = strchr(all.v[i], '\x1f');
        *sep = '\0';
        const char *p = sep + 1;
        /* a name alone is too little to say that it is a file of the root */
        char *r = resolve(c, p, 2), *rel = r ? bract_rp_rel(c, r) : NULL;
        int inside = rel && strcmp(rel, r) != 0;
        free(r);
        free(rel);
        if (!inside && (strvec_push(&roles, all.v[i]) || strvec_push(&paths, p)))
            c->oom = 1;
        *sep = '\x1f';
    }
    strvec_free(&all);
    if (!paths.n) {
        bract_rp_put(c,
                     "<p class=\"muted\">Every input recorded in the sidecars is an output under "
                     "this root.</p>\n");
    } else {
        bract_rp_put(
            c, "<p>Files read from outside the output root, as the sidecars record them:</p>\n"
               "<table class=\"kv\"><tbody>\n");
        for (size_t j = 0; j < roles.n;) {
            size_t end = j;
            while (end < roles.n && strcmp(roles.v[end], roles.v[j]) == 0)
                end++;
            bract_rp_put(c, "<tr><th>");
            bract_rp_esc(c, roles.v[j]);
            bract_rp_put(c, "</th><td>");
            for (size_t k = j; k < end; k++) {
                if (k - j == 4 && end - j > 5) {
                    bract_rp_putf(c, "<br><span class=\"muted\">and %zu more</span>", end - k);
                    break;
                }
                if (k > j)
                    bract_rp_put(c, "<br>");
                bract_rp_put(c, "<code>");
                bract_rp_esc(c, paths.v[k]);
                bract_rp_put(c, "</code>");
            }
            bract_rp_put(c, "</td></tr>\n");
            j = end;
        }
        bract_rp_put(c, "</tbody></table>\n");
    }
    strvec_free(&roles);
    strvec_free(&paths);
}

/* A nonzero exclusion count, summed per command and count over its runs. */
typedef struct {
    const char *command, *key;
    long long total;
    size_t nruns;
    bract_buf outs; /* links to the first three runs */
} excl;

/* Count `key` = val of run r into the table. */
static void add_exclusion(rp_ctx *c, excl **ex, size_t *nex, const rp_run *r, const char *key,
                          long long val)
{
    size_t e = 0;
    while (e < *nex && !(strcmp((*ex)[e].command, r->command) == 0 &&
                         strcmp((*ex)[e].key, key) == 0))
        e++;
    if (e == *nex) {
        excl *ne = bract_xrealloc(*ex, *nex + 1, sizeof *ne, "exclusions");
        if (!ne) {
            c->oom = 1;
            return;
        }
        *ex = ne;
        memset(&ne[*nex], 0, sizeof *ne);
        ne[*nex].command = r->command;
        ne[*nex].key = key; /* lives in the sidecar's JSON */
        (*nex)++;
    }
    excl *x = &(*ex)[e];
    x->total += val;
    char *out = run_output(c, r);
    if (x->nruns < 3) {
        bract_rp_buf_putf(c, &x->outs, "%s<a href=\"#%s\"><code>", x->nruns ? ", " : "",
                          r->anchor);
        bract_rp_buf_esc(c, &x->outs, out ? out : "");
        bract_rp_buf_putf(c, &x->outs, "</code></a> (%lld)", val);
    }
    x->nruns++;
    free(out);
}

/* Every nonzero exclusion count, once per run. */
static excl *collect_exclusions(rp_ctx *c, size_t *nex)
{
    excl *ex = NULL;
    *nex = 0;
    for (size_t k = 0; k < c->nruns; k++) {
        rp_run *r = &c->runs[k];
        strvec keys = {0};
        for (size_t i = 0; i < r->n; i++) {
            json_object *cnt = bract_rp_get(r->sc[i], NULL, "Counts");
            if (!cnt || !json_object_is_type(cnt, json_type_object))
                continue;
            json_object_object_foreach(cnt, key, val)
            {
                if (!is_exclusion_count(key) || !json_object_is_type(val, json_type_int) ||
                    json_object_get_int64(val) == 0)
                    continue;
                int seen = 0;
                for (size_t j = 0; j < keys.n; j++)
                    seen |= strcmp(keys.v[j], key) == 0;
                if (seen)
                    continue;
                if (strvec_push(&keys, key))
                    c->oom = 1;
                add_exclusion(c, &ex, nex, r, key, (long long)json_object_get_int64(val));
            }
        }
        strvec_free(&keys);
    }
    return ex;
}

/* The exclusions table, and its line in the summary. */
static void dataset_exclusions(rp_ctx *c)
{
    bract_rp_put(c, "<h3 id=\"dataset-exclusions\">Exclusions</h3>\n");
    size_t nex;
    excl *ex = collect_exclusions(c, &nex);
    if (nex) {
        bract_rp_put(c, "<div class=\"tablewrap\"><table><thead><tr><th>command</th><th>what</th>"
                  "<th class=\"n\">count</th><th class=\"n\">runs</th><th>where</th></tr>"
                  "</thead><tbody>\n");
        bract_rp_buf_putf(c, &c->found_end, "<li><a href=\"#dataset-exclusions\">Excluded or "
                                      "flagged</a>: ");
    } else {
        bract_rp_put(c, "<p class=\"muted\">No voxel, region, word or volume was excluded by any "
                  "run.</p>\n");
    }
    for (size_t e = 0; e < nex; e++) {
        char what[128];
        size_t wl = 0;
        for (const char *p = ex[e].key; *p && wl + 1 < sizeof what; p++)
            what[wl++] = *p == '_' ? ' ' : *p;
        what[wl] = '\0';
        bract_rp_put(c, "<tr><td>");
        bract_rp_esc(c, ex[e].command);
        bract_rp_put(c, "</td><td>");
        bract_rp_esc(c, what);
        bract_rp_putf(c, "</td><td class=\"n\">%lld</td><td class=\"n\">%zu</td><td>", ex[e].total,
                ex[e].nruns);
        if (ex[e].outs.data)
            bract_rp_put(c, ex[e].outs.data);
        if (ex[e].nruns > 3)
            bract_rp_putf(c, ", and %zu more", ex[e].nruns - 3);
        bract_rp_put(c, "</td></tr>\n");
        if (e < 3) {
            bract_rp_buf_putf(c, &c->found_end, "%s%lld %s (", e ? "; " : "", ex[e].total, what);
            bract_rp_buf_esc(c, &c->found_end, ex[e].command);
            if (ex[e].nruns > 1)
                bract_rp_buf_putf(c, &c->found_end, ", %zu runs", ex[e].nruns);
            bract_rp_buf_putf(c, &c->found_end, ")");
        } else if (e == 3) {
            bract_rp_buf_putf(c, &c->found_end, "; \xe2\x80\xa6");
        }
        bract_buf_free(&ex[e].outs);
    }
    if (nex) {
        bract_rp_put(c, "</tbody></table></div>\n");
        bract_rp_buf_putf(c, &c->found_end, ".</li>\n");
    }
    free(ex);
}

static void section_dataset(rp_ctx *c, const strvec *files, const strvec *problems)
{
    bract_rp_put(c, "<section>\n");
    bract_rp_heading(c, 2, "dataset", "Dataset");
    dataset_facts(c, files);
    dataset_inputs(c);
    dataset_exclusions(c);
    if (problems->n) {
        bract_rp_put(c,
                     "<h3 id=\"dataset-problems\">Files left out</h3>\n<ul class=\"problems\">\n");
        for (size_t i = 0; i < problems->n; i++) {
            bract_rp_put(c, "<li>");
            bract_rp_esc(c, problems->v[i]);
            bract_rp_put(c, "</li>\n");
            bract_warn("%s", problems->v[i]);
        }
        bract_rp_put(c, "</ul>\n");
        c->info.notes += problems->n;
    }
    bract_rp_put(c, "</section>\n");
}

/* ---- the runs section ---- */

/* The commands without a section of their own, for the summary. */
static void also_run(rp_ctx *c)
{
    static const char *const shown[] = {BRACT_CMD_RSA,
                                        BRACT_CMD_RDM_NEURAL,
                                        BRACT_CMD_RDM_MODEL,
                                        BRACT_CMD_GROUP,
                                        BRACT_CMD_SEARCHLIGHT,
                                        BRACT_CMD_DFC,
                                        BRACT_CMD_TIMESCALE,
                                        BRACT_CMD_TIMESCALE_HIERARCHY,
                                        BRACT_CMD_PLOT,
                                        BRACT_CMD_GLM,
                                        NULL};
    strvec cmds = {0};
    for (size_t k = 0; k < c->nruns; k++) {
        int skip = 0;
        for (size_t i = 0; shown[i]; i++)
            skip |= strcmp(c->runs[k].command, shown[i]) == 0;
        if (!skip && strvec_push(&cmds, c->runs[k].command))
            c->oom = 1;
    }
    if (!cmds.n)
        return;
    qsort(cmds.v, cmds.n, sizeof *cmds.v, cmp_str);
    bract_rp_buf_putf(c, &c->done, "<li><a href=\"#runs\">Also run</a>: ");
    for (size_t i = 0; i < cmds.n;) {
        size_t end = i;
        while (end < cmds.n && strcmp(cmds.v[end], cmds.v[i]) == 0)
            end++;
        bract_rp_buf_putf(c, &c->done, "%sbract ", i ? ", " : "");
        bract_rp_buf_esc(c, &c->done, cmds.v[i]);
        if (end - i > 1)
            bract_rp_buf_putf(c, &c->done, " \xc3\x97 %zu", end - i);
        i = end;
    }
    bract_rp_buf_putf(c, &c->done, "</li>\n");
    strvec_free(&cmds);
}

static void section_runs(rp_ctx *c)
{
    also_run(c);
    rp_run **order = bract_xmalloc(c->nruns, sizeof *order, "the run list");
    if (!order) {
        c->oom = 1;
        return;
    }
    for (size_t k = 0; k < c->nruns; k++)
        order[k] = &c->runs[k];
    qsort(order, c->nruns, sizeof *order, cmp_run_date);
    bract_rp_put(c, "<section>\n");
    bract_rp_heading(c, 2, "runs", "Runs and parameters");
    bract_rp_put(c, "<p class=\"muted\">Every command whose outputs are under the root, in the "
              "order they ran; open one for its command line, parameters, inputs and "
              "counts.</p>\n");
    for (size_t k = 0; k < c->nruns; k++) {
        rp_run *r = order[k];
        const rp_sidecar *s = r->record ? r->record : r->sc[0];
        bract_rp_putf(c, "<details class=\"run\" id=\"%s\"><summary><span class=\"cmd\">bract ",
                      r->anchor);
        bract_rp_esc(c, r->command);
        bract_rp_put(c, "</span> <code>");
        char *out = run_output(c, r);
        bract_rp_esc(c, out ? out : "");
        free(out);
        bract_rp_put(c, "</code>");
        size_t nfiles = r->n - (r->record ? 1 : 0);
        if (nfiles > 1)
            bract_rp_putf(c, " <span class=\"muted\">(%zu files)</span>", nfiles);
        double t = run_wall_time(r);
        const char *d = run_date(r);
        bract_rp_put(c, "<span class=\"when\">");
        if (isfinite(t)) {
            char b[32];
            bract_rp_put(c, fmt_duration(b, t));
        }
        if (d) {
            char db[64];
            bract_rp_put(c, isfinite(t) ? " \xc2\xb7 " : "");
            bract_rp_esc(c, fmt_date(db, sizeof db, d));
        }
        bract_rp_put(c, "</span></summary>\n<div class=\"runbody\">\n");
        if (*r->cmdline) {
            bract_rp_put(c, "<h5>Command line</h5><pre>");
            bract_rp_esc(c, r->cmdline);
            bract_rp_put(c, "</pre>\n");
        }
        bract_rp_put(c, "<div class=\"blocks\">\n<div><h5>Parameters</h5>\n");
        bract_rp_json_table(c, bract_rp_get(s, NULL, "Parameters"));
        bract_rp_put(c, "</div>\n<div><h5>Inputs</h5>\n");
        bract_rp_json_table(c, bract_rp_get(s, NULL, "Sources"));
        bract_rp_put(c, "</div>\n<div><h5>Counts</h5>\n");
        bract_rp_json_table(c, bract_rp_get(s, NULL, "Counts"));
        bract_rp_put(c, "</div>\n");
        /* other top-level members */
        json_object *rest = json_object_new_object();
        if (rest) {
            json_object_object_foreach(s->json, key, val)
            {
                static const char *const skip[] = {"GeneratedBy", "Command", "Parameters",
                                                   "Sources", "Counts", "CommandLine",
                                                   "WallTimeSeconds", "Date", "Files", NULL};
                int sk = 0;
                for (size_t i = 0; skip[i]; i++)
                    if (strcmp(key, skip[i]) == 0)
                        sk = 1;
                if (!sk)
                    json_object_object_add(rest, key, json_object_get(val));
            }
            if (json_object_object_length(rest)) {
                bract_rp_put(c, "<div><h5>Other details</h5>\n");
                bract_rp_json_table(c, rest);
                bract_rp_put(c, "</div>\n");
            }
            json_object_put(rest);
        }
        bract_rp_put(c, "</div>\n<h5>Outputs</h5>\n<ul class=\"files\">");
        for (size_t i = 0; i < r->n; i++) {
            bract_rp_put(c, "<li><code>");
            bract_rp_esc(c, r->sc[i]->rel);
            bract_rp_put(c, r->sc[i]->output_is_dir ? "/</code>" : "</code>");
            if (!r->sc[i]->output)
                bract_rp_put(c, " <span class=\"warn\">missing (only its sidecar is there)</span>");
            else {
                const char *desc = bract_rp_get_str(r->sc[i], NULL, "Description");
                if (desc) {
                    bract_rp_put(c, " <span class=\"muted\">");
                    bract_rp_esc(c, desc);
                    bract_rp_put(c, "</span>");
                }
            }
            bract_rp_put(c, "</li>");
        }
        bract_rp_put(c, "</ul>\n</div></details>\n");
    }
    bract_rp_put(c, "</section>\n");
    free(order);
}

/* ---- figures drawn by bract plot ---- */

static void section_plots(rp_ctx *c)
{
    size_t n;
    rp_run **runs = bract_rp_runs_of(c, "plot", &n);
    size_t shown = 0;
    for (size_t k = 0; k < n; k++) {
        rp_sidecar *s = runs[k]->sc[0];
        if (!s->output)
            continue;
        int fmt = bract_plot_format_from_name(s->output);
        double w = bract_rp_get_num(s, "Parameters", "width_in");
        double h = bract_rp_get_num(s, "Parameters", "height_in");
        if (!fmt || !(w > 0) || !(h > 0))
            continue;
        if (!shown++) {
            bract_rp_put(c, "<section>\n");
            bract_rp_heading(c, 2, "plots", "Figures drawn with bract plot");
            bract_rp_put(c, "<div class=\"figs\">\n");
        }
        char *data = NULL;
        size_t len = 0;
        FILE *fp = fopen(s->output, "rb");
        int ok = 0;
        if (fp) {
            if (fseek(fp, 0, SEEK_END) == 0) {
                long sz = ftell(fp);
                if (sz > 0 && sz < 64L * 1024 * 1024 && fseek(fp, 0, SEEK_SET) == 0 &&
                    (data = bract_xmalloc((size_t)sz, 1, "a figure"))) {
                    len = fread(data, 1, (size_t)sz, fp);
                    ok = len == (size_t)sz;
                }
            }
            fclose(fp);
        }
        if (!ok) {
            char msg[1024];
            snprintf(msg, sizeof msg, "%s: cannot read the figure", s->rel);
            bract_rp_note(c, "figures", msg);
            free(data);
            continue;
        }
        bract_plot_figure f;
        memset(&f, 0, sizeof f);
        f.format = fmt;
        f.data = (unsigned char *)data;
        f.len = len;
        f.scale = 1;
        f.width = (int)lround(w * 72);
        f.height = (int)lround(h * 72);
        bract_buf cap = {0};
        bract_rp_buf_putf(c, &cap, "<code>");
        bract_rp_buf_esc(c, &cap, s->rel);
        bract_rp_buf_putf(c, &cap, "</code> (<a href=\"#%s\">bract plot %s</a>)", runs[k]->anchor,
                          bract_rp_get_str(s, "Parameters", "kind")
                              ? bract_rp_get_str(s, "Parameters", "kind")
                              : "");
        bract_rp_figure(c, &f, s->rel, cap.data ? cap.data : "");
        bract_buf_free(&cap);
        free(data);
    }
    if (shown) {
        bract_rp_put(c, "</div>\n</section>\n");
        c->info.sections++;
    }
    free(runs);
}

/* ---- the page ---- */

/* The style sheet, in pieces (C compilers need only take 4095-character
 * strings). */
static const char *const css[] = {
    ":root{--fg:#1f2530;--muted:#5f6877;--line:#e2e5ea;--soft:#f5f6f8;--accent:#1f5f99;"
    "--sig:#0d6b4d;--sigbg:#eaf6f0;--warn:#9a4d00;--warnbg:#fff6e8}\n",
    "*{box-sizing:border-box}\n",
    "html{background:#fff}\n",
    "body{margin:0;color:var(--fg);font:15px/1.55 system-ui,-apple-system,'Segoe UI',Roboto,"
    "'DejaVu Sans','Noto Sans',sans-serif}\n",
    ".page{display:grid;grid-template-columns:220px minmax(0,1fr);gap:0 40px;max-width:1440px;"
    "margin:0 auto;padding:0 28px 64px}\n",
    "header.top{grid-column:1/-1;padding:28px 0 18px;border-bottom:1px solid var(--line);"
    "margin-bottom:8px}\n",
    "header.top .brand{font-size:13px;letter-spacing:.08em;text-transform:uppercase;"
    "color:var(--accent);font-weight:600}\n",
    "h1{font-size:28px;margin:2px 0 6px;font-weight:650;letter-spacing:-.01em}\n",
    "h2{font-size:22px;margin:44px 0 12px;padding-bottom:6px;border-bottom:1px solid var(--line);"
    "font-weight:620}\n",
    "h3{font-size:17px;margin:30px 0 8px;font-weight:620}\n",
    "h4{font-size:15px;margin:24px 0 6px;font-weight:620}\n",
    "h5{font-size:12px;margin:14px 0 4px;color:var(--muted);text-transform:uppercase;"
    "letter-spacing:.05em}\n",
    "p{margin:8px 0;max-width:80ch}\n",
    "a{color:var(--accent);text-decoration:none}a:hover{text-decoration:underline}\n",
    "code,pre{font-family:ui-monospace,'DejaVu Sans Mono',Menlo,Consolas,monospace;"
    "font-size:12.5px}\n",
    "pre{background:var(--soft);padding:10px 12px;border-radius:6px;white-space:pre-wrap;"
    "word-break:break-all;margin:4px 0}\n",
    ".meta,.muted{color:var(--muted)}.meta{margin:0;font-size:14px}\n",
    "nav.toc{position:sticky;top:0;align-self:start;max-height:100vh;overflow:auto;"
    "padding:24px 0 24px;font-size:14px}\n",
    "nav.toc h2{font-size:12px;text-transform:uppercase;letter-spacing:.08em;color:var(--muted);"
    "border:0;margin:0 0 8px;padding:0}\n",
    "nav.toc ol{list-style:none;margin:0;padding:0}nav.toc ol ol{padding-left:14px;"
    "font-size:13px}\n",
    "nav.toc li{margin:3px 0}nav.toc a{color:var(--fg)}nav.toc a:hover{color:var(--accent)}\n",
    "main{min-width:0}\n",
    ".cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(280px,1fr));gap:14px;"
    "margin:12px 0}\n",
    ".card{border:1px solid var(--line);border-radius:8px;padding:12px 16px;background:#fff}\n",
    ".card h3{margin:0 0 6px;font-size:14px;text-transform:uppercase;letter-spacing:.05em;"
    "color:var(--muted)}\n",
    ".card ul{margin:0;padding-left:18px}.card li{margin:4px 0}\n",
    ".hit{color:var(--sig);font-weight:600}\n",
    "dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 18px;margin:10px 0}\n",
    "dl.facts dt{color:var(--muted)}dl.facts dd{margin:0}\n",
    ".tablewrap{overflow-x:auto;margin:10px 0 14px}\n",
    "table{border-collapse:collapse;font-size:13.5px;font-variant-numeric:tabular-nums}\n",
    ".cap{color:var(--muted);font-size:13px;margin:16px 0 -4px;max-width:95ch}\n",
    "th,td{padding:4px 10px;border-bottom:1px solid var(--line);vertical-align:top}\n",
    "thead th{border-bottom:2px solid "
    "#c9ced6;text-align:left;font-weight:600;white-space:nowrap}\n",
    "th.n,td.n{text-align:right}td.n{white-space:nowrap}\n",
    "tbody tr:nth-child(even){background:#fafbfc}\n",
    "td.na{color:#a0a6b0;text-align:right}\n",
    "tr.sig td{background:var(--sigbg);font-weight:600}\n",
    "tr.sig td:first-child{box-shadow:inset 3px 0 var(--sig)}\n",
    "table.kv th{text-align:left;font-weight:500;color:var(--muted);white-space:nowrap;"
    "padding-right:18px}\n",
    "table.kv td{word-break:break-word}\n",
    ".figs{display:flex;flex-wrap:wrap;gap:18px 24px;align-items:flex-start}\n",
    "figure.fig{margin:12px 0;max-width:100%}\n",
    "figure.smallmult .panels{display:flex;flex-wrap:wrap;gap:6px}\n",
    "figure.fig img{max-width:100%;height:auto;display:block;border:1px solid var(--line);"
    "border-radius:4px}\n",
    "figcaption{font-size:13px;color:var(--muted);margin-top:6px;max-width:70ch}\n",
    ".note{background:var(--warnbg);border-left:4px solid #e0a040;padding:8px 12px;"
    "border-radius:0 6px 6px 0;max-width:none}\n",
    ".warn{color:var(--warn)}\n",
    "details{margin:8px 0}\n",
    "details>summary{cursor:pointer;color:var(--accent)}\n",
    "details.run{border:1px solid var(--line);border-radius:6px;margin:6px 0;padding:0}\n",
    "details.run>summary{padding:7px 12px;color:var(--fg)}\n",
    "details.run[open]>summary{border-bottom:1px solid var(--line);background:var(--soft)}\n",
    "details.run .cmd{font-weight:600}\n",
    "details.run .when{float:right;color:var(--muted);font-size:13px}\n",
    ".runbody{padding:4px 14px 12px}\n",
    ".blocks{display:grid;grid-template-columns:repeat(auto-fit,minmax(280px,1fr));gap:0 28px}\n",
    "ul.files{margin:4px 0;padding-left:18px;font-size:13.5px}\n",
    "ul.problems li{color:var(--warn)}\n",
    "footer{grid-column:1/-1;margin-top:56px;padding-top:12px;border-top:1px solid var(--line);"
    "color:var(--muted);font-size:13px}\n",
    "@media (max-width:980px){.page{display:block}nav.toc{position:static;max-height:none;"
    "padding:12px 0;border-bottom:1px solid var(--line)}}\n",
    "@media print{nav.toc{display:none}.page{display:block}"
    "h2{break-after:avoid}figure.fig{break-inside:avoid}}\n",
    NULL};

static void put_toc(rp_ctx *c, bract_buf *b)
{
    bract_rp_buf_putf(c, b, "<nav class=\"toc\" aria-label=\"Contents\"><h2>Contents</h2>\n<ol>\n");
    int open3 = 0;
    for (size_t i = 0; i < c->ntoc; i++) {
        rp_toc *t = &c->toc[i];
        if (t->level > 3)
            continue; /* subsections of subsections: not listed */
        if (t->level == 2) {
            if (i)
                bract_rp_buf_putf(c, b, open3 ? "</li></ol></li>\n" : "</li>\n");
            open3 = 0;
        } else {
            bract_rp_buf_putf(c, b, open3 ? "</li>\n" : "\n<ol>\n");
            open3 = 1;
        }
        bract_rp_buf_putf(c, b, "<li><a href=\"#%s\">", t->id);
        bract_rp_buf_esc(c, b, t->title);
        bract_rp_buf_putf(c, b, "</a>");
    }
    if (c->ntoc)
        bract_rp_buf_putf(c, b, open3 ? "</li></ol></li>\n" : "</li>\n");
    bract_rp_buf_putf(c, b, "</ol>\n</nav>\n");
}

static void free_ctx(rp_ctx *c)
{
    for (size_t i = 0; i < c->nsc; i++) {
        free(c->sc[i].path);
        free(c->sc[i].output);
        free(c->sc[i].rel);
        json_object_put(c->sc[i].json);
    }
    free(c->sc);
    for (size_t k = 0; k < c->nruns; k++) {
        free(c->runs[k].dir);
        free(c->runs[k].sc);
        free(c->runs[k].anchor);
    }
    free(c->runs);
    for (size_t i = 0; i < c->ntoc; i++) {
        free(c->toc[i].id);
        free(c->toc[i].title);
    }
    free(c->toc);
    bract_buf_free(&c->body);
    bract_buf_free(&c->found);
    bract_buf_free(&c->found_end);
    bract_buf_free(&c->done);
    free(c->root);
    free(c->root_real);
}

/* The options checked, the root a directory. */
static int check_build(const char *dir, const bract_report_opts *opts)
{
    if (!(opts->alpha > 0 && opts->alpha < 1))
        return bract_error(BRACT_EINVAL, "the significance level must be in (0, 1), not %g",
                           opts->alpha);
    if (!(opts->dpi >= 10 && opts->dpi <= 1200))
        return bract_error(BRACT_EINVAL, "the figure resolution must be 10 to 1200 dpi, not %g",
                           opts->dpi);
    struct stat st;
    if (stat(dir, &st))
        return bract_error(BRACT_EIO, "%s: %s", dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return bract_error(BRACT_EIO, "%s: not a directory (give the output root of bract's "
                           "commands or of a pipeline)", dir);
    return BRACT_OK;
}

/* The page's head: title, style, the header line. */
static void page_head(rp_ctx *c, bract_buf *page)
{
    char title[512];
    if (c->o->title) {
        snprintf(title, sizeof title, "%s", c->o->title);
    } else {
        const char *base = strrchr(c->root_real ? c->root_real : c->root, '/');
        snprintf(title, sizeof title, "bract report: %s",
                 base && base[1] ? base + 1 : c->root);
    }
    time_t now = time(NULL);
    struct tm tmv;
    char when[40] = "";
    if (gmtime_r(&now, &tmv))
        strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tmv);
    bract_rp_buf_putf(c, page,
                      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                      "<meta name=\"generator\" content=\"bract %s\">\n<title>",
                      BRACT_VERSION);
    bract_rp_buf_esc(c, page, title);
    bract_rp_buf_putf(c, page, "</title>\n<style>\n");
    for (size_t i = 0; css[i]; i++)
        bract_rp_buf_putf(c, page, "%s", css[i]);
    bract_rp_buf_putf(c, page, "</style>\n</head>\n<body>\n<div class=\"page\">\n"
                           "<header class=\"top\"><div class=\"brand\">bract report</div><h1>");
    bract_rp_buf_esc(c, page, title);
    bract_rp_buf_putf(c, page, "</h1><p class=\"meta\"><code>");
    bract_rp_buf_esc(c, page, c->root_real ? c->root_real : c->root);
    bract_rp_buf_putf(c, page,
                      "</code> \xc2\xb7 %zu runs, %zu outputs \xc2\xb7 written %s by bract "
                      "%s</p></header>\n",
                      c->nruns, c->nsc, when, BRACT_VERSION);
}

/* The contents, with the summary first. */
static void page_toc(rp_ctx *c, bract_buf *page)
{
    rp_toc *toc = bract_xrealloc(c->toc, c->ntoc + 1, sizeof *toc, "the table of contents");
    if (!toc) {
        c->oom = 1;
        return;
    }
    c->toc = toc;
    memmove(c->toc + 1, c->toc, c->ntoc * sizeof *c->toc);
    c->toc[0].id = bract_xstrdup("summary");
    c->toc[0].title = bract_xstrdup("Summary");
    c->toc[0].level = 2;
    c->ntoc++;
    if (!c->toc[0].id || !c->toc[0].title)
        c->oom = 1;
    if (!c->oom)
        put_toc(c, page);
}

/* The summary: what was run, what came out. */
static void page_summary(rp_ctx *c, bract_buf *page)
{
    bract_rp_buf_putf(c, page,
                      "<main>\n<section>\n<h2 id=\"summary\">Summary</h2>\n"
                      "<div class=\"cards\">\n<div class=\"card\"><h3>What was run</h3><ul>\n");
    if (c->done.len)
        bract_buf_append(page, c->done.data, c->done.len);
    else
        bract_rp_buf_putf(c, page, "<li>No analysis with a section of its own; see the runs "
                               "below.</li>\n");
    bract_rp_buf_putf(c, page, "</ul></div>\n<div class=\"card\"><h3>What came out</h3><ul>\n");
    if (c->found_end.len && bract_buf_append(&c->found, c->found_end.data, c->found_end.len))
        c->oom = 1;
    if (c->found.len)
        bract_buf_append(page, c->found.data, c->found.len);
    else
        bract_rp_buf_putf(c, page, "<li>No result tables.</li>\n");
    if (c->info.notes)
        bract_rp_buf_putf(c, page,
                          "<li class=\"warn\">%zu problem%s: parts of the report could not "
                          "be shown (see the notes below).</li>\n",
                          c->info.notes, c->info.notes == 1 ? "" : "s");
    bract_rp_buf_putf(c, page, "</ul></div>\n</div>\n</section>\n");
}

/* The whole page around the sections in c->body. */
static void write_page(rp_ctx *c, bract_buf *page)
{
    page_head(c, page);
    page_toc(c, page);
    page_summary(c, page);
    if (c->body.len && bract_buf_append(page, c->body.data, c->body.len))
        c->oom = 1;
    bract_rp_buf_putf(c, page,
                      "</main>\n<footer>Written by <code>bract report</code> %s from the "
                      "JSON sidecars under the output root.  Figures are embedded; the "
                      "page needs no network and no other file.</footer>\n</div>\n"
                      "</body>\n</html>\n",
                      BRACT_VERSION);
}

int bract_report_build(const char *dir, const bract_report_opts *opts, char **html, size_t *len,
                       bract_report_info *info)
{
    *html = NULL;
    if (len)
        *len = 0;
    if (info)
        memset(info, 0, sizeof *info);
    bract_report_opts defaults;
    if (!opts) {
        bract_report_opts_defaults(&defaults);
        opts = &defaults;
    }
    int rc = check_build(dir, opts);
    if (rc)
        return rc;
    rp_ctx c;
    memset(&c, 0, sizeof c);
    bract_report_opts o = *opts;
    if (o.max_rows < 1)
        o.max_rows = 1;
    c.o = &o;
    c.root = bract_xstrdup(dir);
    if (!c.root)
        return BRACT_ENOMEM;
    for (size_t n = strlen(c.root); n > 1 && c.root[n - 1] == '/'; n--)
        c.root[n - 1] = '\0';
    char real[PATH_MAX];
    if (realpath(c.root, real))
        c.root_real = bract_xstrdup(real);
    walk_state w = {0};
    rc = walk(&c, &w, c.root, 0);
    if (!rc && c.nsc == 0)
        rc = bract_error(BRACT_EDATA, "%s holds no bract outputs (no JSON sidecar written by "
                         "bract under it)", dir);
    if (!rc)
        rc = make_runs(&c);
    bract_buf page = {0};
    if (!rc) {
        c.files = w.files.v;
        c.nfiles = w.files.n;
        for (size_t i = 0; i < c.nsc; i++)
            c.info.sidecars += i == 0 || strcmp(c.sc[i].path, c.sc[i - 1].path) != 0;
        c.info.runs = c.nruns;
        section_dataset(&c, &w.files, &w.problems);
        bract_rp_section_rsa(&c);
        bract_rp_section_glm(&c);
        bract_rp_section_maps(&c);
        bract_rp_section_dfc(&c);
        bract_rp_section_timescales(&c);
        section_plots(&c);
        section_runs(&c);
        write_page(&c, &page);
        if (info)
            *info = c.info;
        if (c.oom || !page.data)
            rc = bract_error(BRACT_ENOMEM, "out of memory writing the report");
    }
    strvec_free(&w.files);
    strvec_free(&w.problems);
    c.files = NULL;
    free_ctx(&c);
    if (rc) {
        bract_buf_free(&page);
        return rc;
    }
    *html = page.data;
    if (len)
        *len = page.len;
    return BRACT_OK;
}
