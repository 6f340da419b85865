/* File lists, names and word lists for the command line (see paths.h). */
#include "cli/cli.h"
#include "base/internal.h"
#include "base/strmap_internal.h"
#include "cli/paths.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

char *cli_file_stem(const char *path)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    char *s = strdup(b);
    if (!s)
        return NULL;
    static const char *const ext[] = {".gz",  ".nii", ".tsv", ".csv", ".txt",
                                      ".bin", ".vec", ".h5",  ".hdf5", NULL};
    for (int again = 1; again;) {
        again = 0;
        size_t n = strlen(s);
        for (int i = 0; ext[i]; i++) {
            size_t m = strlen(ext[i]);
            if (n > m && strcmp(s + n - m, ext[i]) == 0) {
                s[n - m] = '\0';
                again = 1;
                break;
            }
        }
    }
    return s;
}

int cli_has_suffix(const char *p, const char *const *ext)
{
    size_t n = strlen(p);
    for (int i = 0; ext[i]; i++) {
        size_t m = strlen(ext[i]);
        if (n >= m && strcmp(p + n - m, ext[i]) == 0)
            return 1;
    }
    return 0;
}

int cli_is_table_name(const char *path)
{
    static const char *const ext[] = {".tsv",    ".csv",    ".txt", ".tsv.gz",
                                      ".csv.gz", ".txt.gz", NULL};
    return cli_has_suffix(path, ext);
}

int cli_is_nifti_name(const char *path)
{
    static const char *const ext[] = {".nii", ".nii.gz", NULL};
    size_t n = strlen(path);
    return cli_has_suffix(path, ext) && n > (path[n - 1] == 'z' ? 7u : 4u);
}

int cli_read_word_list(const char *path, char ***out, size_t *n, char **text)
{
    char *buf;
    size_t len;
    int rc = bract_read_file(path, &buf, &len);
    if (rc)
        return rc;
    size_t lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += buf[i] == '\n';
    char **w = malloc(lines * sizeof *w);
    if (!w) {
        free(buf);
        return bract_error(BRACT_ENOMEM, "out of memory reading %s", path);
    }
    size_t k = 0;
    char *p = buf;
    bract_strmap m;
    if (bract_strmap_init(&m, lines)) {
        free(w);
        free(buf);
        return bract_error(BRACT_ENOMEM, "out of memory reading %s", path);
    }
    if (len >= 3 && (unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB &&
        (unsigned char)p[2] == 0xBF)
        p += 3; /* byte-order mark */
    while (*p) {
        char *e = strchr(p, '\n');
        char *next = e ? e + 1 : p + strlen(p);
        if (e)
            *e = '\0';
        size_t l = strlen(p);
        while (l && (p[l - 1] == '\r' || p[l - 1] == ' ' || p[l - 1] == '\t'))
            p[--l] = '\0';
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p) {
            long seen;
            if (bract_strmap_put(&m, p, strlen(p), k, &seen)) {
                bract_strmap_free(&m);
                free(w);
                free(buf);
                return bract_error(BRACT_ENOMEM, "out of memory reading %s", path);
            }
            if (seen < 0)
                w[k++] = p;
        }
        p = next;
    }
    bract_strmap_free(&m);
    if (k == 0) {
        free(w);
        free(buf);
        return bract_error(BRACT_EDATA, "%s: no words", path);
    }
    *out = w;
    *n = k;
    *text = buf;
    return BRACT_OK;
}
