/* JSON sidecars through json-c. */
#include "base/internal.h"

#include <math.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <json.h>
#include "bract/sidecar.h"
#include "bract/tsv.h"

struct bract_sidecar {
    json_object *root, *params, *inputs, *counts;
};

bract_sidecar *bract_sidecar_new(const char *command)
{
    bract_sidecar *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->root = json_object_new_object();
    s->params = json_object_new_object();
    s->inputs = json_object_new_object();
    s->counts = json_object_new_object();
    if (!s->root || !s->params || !s->inputs || !s->counts) {
        json_object_put(s->root);
        json_object_put(s->params);
        json_object_put(s->inputs);
        json_object_put(s->counts);
        free(s);
        return NULL;
    }
    json_object *gen = json_object_new_array();
    json_object *tool = json_object_new_object();
    json_object_object_add(tool, "Name", json_object_new_string("bract"));
    json_object_object_add(tool, "Version", json_object_new_string(BRACT_VERSION));
    json_object_array_add(gen, tool);
    json_object_object_add(s->root, "GeneratedBy", gen);
    json_object_object_add(s->root, "Command", json_object_new_string(command));
    time_t now = time(NULL);
    struct tm tmv;
    char when[32];
    if (gmtime_r(&now, &tmv) && strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tmv))
        json_object_object_add(s->root, "Date", json_object_new_string(when));
    json_object_object_add(s->root, "Parameters", s->params);
    json_object_object_add(s->root, "Sources", s->inputs);
    json_object_object_add(s->root, "Counts", s->counts);
    return s;
}

void bract_sidecar_free(bract_sidecar *s)
{
    if (!s)
        return;
    json_object_put(s->root); /* owns params, inputs, counts */
    free(s);
}

char *bract_sidecar_shell_join(int argc, char *const *argv)
{
    bract_buf b = {0};
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        int plain = *a != '\0';
        for (const char *p = a; *p; p++)
            if (!(((*p | 32) >= 'a' && (*p | 32) <= 'z') || (*p >= '0' && *p <= '9') ||
                  strchr("-_./=:,+@%", *p)))
                plain = 0;
        if (i)
            bract_buf_append(&b, " ", 1);
        if (plain) {
            bract_buf_append(&b, a, strlen(a));
        } else { /* shell-quote */
            bract_buf_append(&b, "'", 1);
            for (const char *p = a; *p; p++) {
                if (*p == '\'')
                    bract_buf_append(&b, "'\\''", 4);
                else
                    bract_buf_append(&b, p, 1);
            }
            bract_buf_append(&b, "'", 1);
        }
    }
    if (!b.data)
        return bract_xstrdup("");
    return b.data;
}

void bract_sidecar_cmdline(bract_sidecar *s, int argc, char **argv)
{
    char *line = bract_sidecar_shell_join(argc, argv);
    json_object_object_add(s->root, "CommandLine", json_object_new_string(line ? line : ""));
    free(line);
}

static json_object *num(double v)
{
    /* JSON has no NaN or infinity */
    if (!isfinite(v))
        return NULL;
    char buf[32];
    /* shortest round-trip text, not json-c's %.17g (0.1 stays 0.1) */
    return json_object_new_double_s(v, bract_tsv_format_double(buf, v));
}

void bract_sidecar_param_str(bract_sidecar *s, const char *key, const char *val)
{
    json_object_object_add(s->params, key, val ? json_object_new_string(val) : NULL);
}
void bract_sidecar_param_num(bract_sidecar *s, const char *key, double val)
{
    json_object_object_add(s->params, key, num(val));
}
void bract_sidecar_param_int(bract_sidecar *s, const char *key, int64_t val)
{
    json_object_object_add(s->params, key, json_object_new_int64(val));
}
void bract_sidecar_param_bool(bract_sidecar *s, const char *key, int val)
{
    json_object_object_add(s->params, key, json_object_new_boolean(val != 0));
}
void bract_sidecar_count(bract_sidecar *s, const char *key, int64_t n)
{
    json_object_object_add(s->counts, key, json_object_new_int64(n));
}
void bract_sidecar_set_str(bract_sidecar *s, const char *key, const char *val)
{
    json_object_object_add(s->root, key, val ? json_object_new_string(val) : NULL);
}
void bract_sidecar_set_num(bract_sidecar *s, const char *key, double val)
{
    json_object_object_add(s->root, key, num(val));
}

int bract_sidecar_set_json(bract_sidecar *s, const char *key, const char *json)
{
    json_object *o = json_tokener_parse(json);
    if (!o)
        return bract_error(BRACT_EINVAL, "sidecar value for %s is not valid JSON", key);
    json_object_object_add(s->root, key, o);
    return BRACT_OK;
}

void bract_sidecar_wall_time(bract_sidecar *s, double seconds)
{
    json_object_object_add(s->root, "WallTimeSeconds", num(seconds));
}

void bract_sidecar_input(bract_sidecar *s, const char *role, const char *path)
{
    json_object *cur;
    json_object *p = json_object_new_string(path);
    if (!json_object_object_get_ex(s->inputs, role, &cur)) {
        json_object_object_add(s->inputs, role, p);
        return;
    }
    if (json_object_is_type(cur, json_type_array)) {
        json_object_array_add(cur, p);
        return;
    }
    json_object *arr = json_object_new_array();
    json_object_array_add(arr, json_object_get(cur));
    json_object_array_add(arr, p);
    json_object_object_add(s->inputs, role, arr); /* replaces (and releases) cur */
}

char *bract_sidecar_to_string(const bract_sidecar *s)
{
    const char *txt = json_object_to_json_string_ext(
        s->root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
    return txt ? bract_xstrdup(txt) : NULL;
}

int bract_sidecar_write(const bract_sidecar *s, const char *output_path, int force)
{
    char *path = bract_sidecar_path(output_path);
    if (!path)
        return BRACT_OK; /* stdout: no sidecar */
    char *txt = bract_sidecar_to_string(s);
    if (!txt) {
        free(path);
        return bract_error(BRACT_ENOMEM, "out of memory writing a sidecar");
    }
    size_t n = strlen(txt);
    txt[n] = '\n'; /* replace the NUL: the buffer is n+1 long */
    int rc = bract_output_write_atomic(path, txt, n + 1, force);
    free(txt);
    free(path);
    return rc;
}

static json_object *sorted_copy(json_object *o)
{
    if (!json_object_is_type(o, json_type_object))
        return json_object_get(o);
    /* collect keys, sort, rebuild */
    size_t n = (size_t)json_object_object_length(o), k = 0;
    const char **keys = malloc((n ? n : 1) * sizeof *keys);
    if (!keys)
        return NULL;
    json_object_object_foreach(o, key, val)
    {
        (void)val;
        keys[k++] = key;
    }
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0; j--) {
            const char *t = keys[j];
            keys[j] = keys[j - 1];
            keys[j - 1] = t;
        }
    json_object *r = json_object_new_object();
    for (size_t i = 0; i < n; i++) {
        json_object *v;
        json_object_object_get_ex(o, keys[i], &v);
        json_object_object_add(r, keys[i], sorted_copy(v));
    }
    free(keys);
    return r;
}

int bract_sidecar_read_params(const char *sidecar_path, char **params_json)
{
    *params_json = NULL;
    char *text;
    size_t len;
    int rc = bract_read_file(sidecar_path, &text, &len);
    if (rc)
        return rc;
    json_object *root = json_tokener_parse(text);
    free(text);
    if (!root)
        return bract_error(BRACT_EFORMAT, "%s: not valid JSON", sidecar_path);
    json_object *p;
    if (!json_object_object_get_ex(root, "Parameters", &p)) {
        json_object_put(root);
        return bract_error(BRACT_EFORMAT, "%s: no \"Parameters\" object", sidecar_path);
    }
    json_object *sorted = sorted_copy(p);
    const char *txt = json_object_to_json_string_ext(sorted, JSON_C_TO_STRING_PLAIN);
    *params_json = txt ? bract_xstrdup(txt) : NULL;
    json_object_put(sorted);
    json_object_put(root);
    return *params_json ? BRACT_OK : BRACT_ENOMEM;
}

/* ---- input paths as outputs record them ---- */

/* The nearest directory at or above `dir` (a real path) holding a
 * dataset_description.json: its length in `dir`, or 0 when there is none. */
static size_t derivatives_root(const char *dir)
{
    size_t n = strlen(dir);
    char buf[PATH_MAX + 32];
    while (n > 0) {
        struct stat st;
        snprintf(buf, sizeof buf, "%.*s/dataset_description.json", (int)n, dir);
        if (stat(buf, &st) == 0 && S_ISREG(st.st_mode))
            return n;
        while (n > 0 && dir[n - 1] != '/')
            n--;
        if (n > 0)
            n--; /* drop the slash */
    }
    return 0;
}

/* `in` relative to `dir` (both real paths; `in` under `dir[0..root)`). */
static char *relative_path(const char *in, const char *dir)
{
    size_t common = 0;
    for (size_t i = 0; dir[i] && dir[i] == in[i]; i++)
        if (dir[i] == '/')
            common = i;
    size_t dl = strlen(dir);
    if (strncmp(in, dir, dl) == 0 && in[dl] == '/')
        common = dl; /* in lies under dir itself */
    size_t ups = 0;
    for (size_t i = common; i < dl; i++)
        ups += dir[i] == '/';
    bract_buf b = {0};
    for (size_t k = 0; k < ups; k++)
        if (bract_buf_append(&b, "../", 3))
            goto oom;
    if (bract_buf_append(&b, in + common + 1, strlen(in + common + 1) + 1))
        goto oom;
    return b.data;
oom:
    bract_buf_free(&b);
    return NULL;
}

char *bract_sidecar_path_for_record(const char *path, const char *out_dir)
{
    char in[PATH_MAX], dir[PATH_MAX];
    if (!realpath(path, in) || !realpath(out_dir, dir) || strcmp(dir, "/") == 0)
        return bract_xstrdup(path);
    size_t root = derivatives_root(dir);
    if (root == 0)
        root = strlen(dir);
    if (strncmp(in, dir, root) != 0 || in[root] != '/')
        return bract_xstrdup(path);
    return relative_path(in, dir);
}
