/* File lists, names and word lists for the command line (see paths.h). */
#include "cli/cli.h"
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

int cli_read_word_list(const char *path, char ***out, size_t *n, char **text)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return bract_error(BRACT_EIO, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap + 1);
    size_t got;
    while (buf && (got = fread(buf + len, 1, cap - len, fp)) > 0) {
        len += got;
        if (len == cap) {
            char *nb = realloc(buf, 2 * cap + 1);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(fp);
    if (!buf)
        return bract_error(BRACT_ENOMEM, "out of memory reading %s", path);
    buf[len] = '\0';
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

