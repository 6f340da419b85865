/* dataset_description.json of BIDS-derivatives output roots
 * (derivatives.h). */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700 /* realpath */
#endif
#include "cli/derivatives.h"

#include "cli/cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json.h>

#define DESCRIPTION "dataset_description.json"

static char *path_in(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* dir's dataset_description.json, parsed, or NULL. */
static json_object *read_description(const char *dir)
{
    char *path = path_in(dir, DESCRIPTION);
    struct stat st;
    json_object *o = path && stat(path, &st) == 0 && S_ISREG(st.st_mode)
                         ? json_object_from_file(path) : NULL;
    free(path);
    if (o && !json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        o = NULL;
    }
    return o;
}

static const char *get_string(json_object *o, const char *key)
{
    json_object *v;
    return o && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
               ? json_object_get_string(v) : NULL;
}

char *cli_bids_dataset_name(const char *dir)
{
    json_object *o = read_description(dir);
    const char *name = get_string(o, "Name");
    char *s = name && *name ? strdup(name) : NULL;
    json_object_put(o);
    return s;
}

/* Whether a description was written by bract: GeneratedBy[0].Name. */
static int is_ours(json_object *o)
{
    json_object *gen;
    if (!o || !json_object_object_get_ex(o, "GeneratedBy", &gen) ||
        !json_object_is_type(gen, json_type_array) || json_object_array_length(gen) == 0)
        return 0;
    const char *name = get_string(json_object_array_get_idx(gen, 0), "Name");
    return name && strcmp(name, "bract") == 0;
}

/* {"URL": "file:///abs/dir", "DOI": ...} for one source directory, or NULL
 * with a message (the source is not there: BRACT_EIO; else BRACT_ENOMEM). */
static json_object *source_entry(const char *dir, int *st)
{
    char *abs = realpath(dir, NULL);
    if (!abs) {
        *st = bract_error(BRACT_EIO, "%s: %s", dir, strerror(errno));
        return NULL;
    }
    json_object *e = json_object_new_object();
    size_t n = strlen(abs) + 8;
    char *url = malloc(n);
    if (e && url) {
        snprintf(url, n, "file://%s", abs);
        json_object_object_add(e, "URL", json_object_new_string(url));
        json_object *src = read_description(abs);
        const char *doi = get_string(src, "DatasetDOI");
        if (doi && *doi)
            json_object_object_add(e, "DOI", json_object_new_string(doi));
        json_object_put(src);
    } else {
        *st = bract_error(BRACT_ENOMEM, "out of memory");
        json_object_put(e);
        e = NULL;
    }
    free(url);
    free(abs);
    return e;
}

/* A JSON object as bract writes them, with a final newline (caller frees). */
static char *json_text(json_object *o)
{
    const char *txt = json_object_to_json_string_ext(
        o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
    size_t n = txt ? strlen(txt) : 0;
    char *buf = txt ? malloc(n + 2) : NULL;
    if (buf) {
        memcpy(buf, txt, n);
        memcpy(buf + n, "\n", 2);
    }
    return buf;
}

static json_object *generated_by(const char *how)
{
    json_object *gen = json_object_new_array(), *by = json_object_new_object();
    if (!gen || !by) {
        json_object_put(gen);
        json_object_put(by);
        return NULL;
    }
    json_object_object_add(by, "Name", json_object_new_string("bract"));
    json_object_object_add(by, "Version", json_object_new_string(bract_version()));
#ifdef BRACT_CODE_URL
    json_object_object_add(by, "CodeURL", json_object_new_string(BRACT_CODE_URL));
#endif
    if (how)
        json_object_object_add(by, "Description", json_object_new_string(how));
    json_object_array_add(gen, by);
    return gen;
}

char *cli_bids_description(const char *name, const char *type, const char *how)
{
    json_object *o = json_object_new_object(), *gen = generated_by(how);
    char *txt = NULL;
    if (o && gen) {
        json_object_object_add(o, "Name", json_object_new_string(name));
        json_object_object_add(o, "BIDSVersion", json_object_new_string(CLI_BIDS_VERSION));
        json_object_object_add(o, "DatasetType", json_object_new_string(type));
        json_object_object_add(o, "GeneratedBy", gen);
        gen = NULL;
        txt = json_text(o);
    }
    json_object_put(gen);
    json_object_put(o);
    return txt;
}

/* The description as it should be; NULL with *st and a message. */
static json_object *make_description(const char *const *sources, size_t nsources, int *st)
{
    json_object *o = json_object_new_object(), *gen = generated_by(NULL),
                *src = json_object_new_array();
    if (!o || !gen || !src) {
        json_object_put(o);
        json_object_put(gen);
        json_object_put(src);
        *st = bract_error(BRACT_ENOMEM, "out of memory");
        return NULL;
    }
    char *srcname = nsources ? cli_bids_dataset_name(sources[0]) : NULL;
    if (!srcname && nsources) {
        char *abs = realpath(sources[0], NULL);
        const char *b = abs ? strrchr(abs, '/') : NULL;
        srcname = b && b[1] ? strdup(b + 1) : NULL;
        free(abs);
    }
    char name[512];
    snprintf(name, sizeof name, "bract derivatives%s%s", srcname ? " of " : "",
             srcname ? srcname : "");
    free(srcname);
    json_object_object_add(o, "Name", json_object_new_string(name));
    json_object_object_add(o, "BIDSVersion", json_object_new_string(CLI_BIDS_VERSION));
    json_object_object_add(o, "DatasetType", json_object_new_string("derivative"));
    json_object_object_add(o, "GeneratedBy", gen);
    for (size_t i = 0; i < nsources; i++) {
        json_object *e = source_entry(sources[i], st);
        if (!e) {
            json_object_put(src);
            json_object_put(o);
            return NULL;
        }
        json_object_array_add(src, e);
    }
    json_object_object_add(o, "SourceDatasets", src);
    return o;
}

int cli_derivatives_describe(const char *root, const char *const *sources, size_t nsources)
{
    if (bract_output_make_dir(root, NULL))
        return BRACT_EIO;
    json_object *old = read_description(root);
    char *path = path_in(root, DESCRIPTION);
    struct stat st;
    int rc = 0;
    if (!path) {
        rc = bract_error(BRACT_ENOMEM, "out of memory");
    } else if (old ? !is_ours(old) : stat(path, &st) == 0) {
        /* someone else's description (or a file bract cannot read): theirs */
    } else {
        json_object *o = make_description(sources, nsources, &rc);
        if (o) {
            char *txt = json_text(o), *was = old ? json_text(old) : NULL;
            if (!txt || (old && !was))
                rc = bract_error(BRACT_ENOMEM, "out of memory");
            else if (!was || strcmp(was, txt) != 0)
                rc = bract_output_write_atomic(path, txt, strlen(txt), 1);
            free(txt);
            free(was);
            json_object_put(o);
        }
    }
    json_object_put(old);
    free(path);
    return rc;
}
