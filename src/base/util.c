/* Small shared helpers: checked allocation, buffers, whole-file reading. */
#include "base/internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

void *bract_xmalloc(size_t n, size_t size, const char *what)
{
    if (size && n > SIZE_MAX / size) {
        bract_error(BRACT_ENOMEM, "out of memory: %s needs more than SIZE_MAX bytes", what);
        return NULL;
    }
    size_t bytes = n * size;
    void *p = malloc(bytes ? bytes : 1);
    if (!p)
        bract_error(BRACT_ENOMEM, "out of memory allocating %zu bytes for %s", n * size, what);
    return p;
}

void *bract_xcalloc(size_t n, size_t size, const char *what)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        bract_error(BRACT_ENOMEM, "out of memory allocating %zu x %zu bytes for %s", n, size, what);
    return p;
}

void *bract_xrealloc(void *p, size_t n, size_t size, const char *what)
{
    if (size && n > SIZE_MAX / size) {
        bract_error(BRACT_ENOMEM, "out of memory: %s needs more than SIZE_MAX bytes", what);
        return NULL;
    }
    size_t bytes = n * size;
    void *q = realloc(p, bytes ? bytes : 1);
    if (!q)
        bract_error(BRACT_ENOMEM, "out of memory allocating %zu bytes for %s", n * size, what);
    return q;
}

char *bract_xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = bract_xmalloc(n, 1, "a string");
    if (d)
        memcpy(d, s, n);
    return d;
}

int bract_ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    if (m > n)
        return 0;
    for (size_t i = 0; i < m; i++)
        if (tolower((unsigned char)s[n - m + i]) != tolower((unsigned char)suffix[i]))
            return 0;
    return 1;
}

int bract_name_lookup(const char *s, const char *const *names, size_t n, const char *what,
                      int *out)
{
    for (size_t i = 0; i < n; i++)
        if (names[i] && strcmp(s, names[i]) == 0) {
            *out = (int)i;
            return BRACT_OK;
        }
    char list[512];
    size_t k = 0;
    list[0] = '\0';
    for (size_t i = 0; i < n && k < sizeof list; i++)
        if (names[i])
            k += (size_t)snprintf(list + k, sizeof list - k, "%s%s", k ? ", " : "", names[i]);
    return bract_error(BRACT_EINVAL, "unknown %s '%s' (expected one of %s)", what, s, list);
}

int bract_buf_reserve(bract_buf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return BRACT_OK;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *d = bract_xrealloc(b->data, cap, 1, "a text buffer");
    if (!d)
        return BRACT_ENOMEM;
    b->data = d;
    b->cap = cap;
    return BRACT_OK;
}

int bract_buf_append(bract_buf *b, const void *p, size_t n)
{
    if (bract_buf_reserve(b, n))
        return BRACT_ENOMEM;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return BRACT_OK;
}

int bract_buf_printf(bract_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return bract_error(BRACT_EINVAL, "bad format string");
    if (bract_buf_reserve(b, (size_t)n))
        return BRACT_ENOMEM;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return BRACT_OK;
}

void bract_buf_free(bract_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

int bract_read_file(const char *path, char **data, size_t *len)
{
    gzFile f = gzopen(path, "rb");
    if (!f)
        return bract_error(BRACT_EIO, "%s: cannot open: %s", path,
                           errno ? strerror(errno) : "unknown error");
    gzbuffer(f, 1 << 15); /* 32 KB in, 64 KB out: small files cost no large allocations */
    bract_buf b = {0};
    /* read straight into the buffer, sized at first for the file as it
     * lies on disk (all of a plain file in one read; a gzipped one grows) */
    struct stat st;
    size_t want = stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0
                      ? (size_t)st.st_size
                      : (size_t)1 << 16;
    for (;;) {
        if (b.cap - b.len < 2 && bract_buf_reserve(&b, b.len ? b.len : want)) {
            gzclose(f);
            bract_buf_free(&b);
            return bract_error_context(BRACT_ENOMEM, "%s", path);
        }
        size_t room = b.cap - b.len - 1;
        int n = gzread(f, b.data + b.len, (unsigned)(room < (1u << 30) ? room : (1u << 30)));
        if (n < 0) {
            int zerr;
            const char *m = gzerror(f, &zerr);
            int status = (zerr == Z_BUF_ERROR || zerr == Z_DATA_ERROR) ? BRACT_EFORMAT : BRACT_EIO;
            if (status == BRACT_EFORMAT)
                bract_error(status, "%s: truncated or corrupt gzip data (%s)", path, m);
            else
                bract_error(status, "%s: read error: %s", path,
                            zerr == Z_ERRNO ? strerror(errno) : m);
            gzclose(f);
            bract_buf_free(&b);
            return status;
        }
        if (n == 0)
            break;
        b.len += (size_t)n;
    }
    int zerr = Z_OK;
    gzerror(f, &zerr);
    gzclose(f);
    if (zerr != Z_OK && zerr != Z_STREAM_END) {
        bract_buf_free(&b);
        return bract_error(BRACT_EFORMAT, "%s: truncated or corrupt gzip data", path);
    }
    /* An empty file gives an empty string: callers parse the buffer as a C
     * string (json-c, the table parser), so it is always terminated. */
    if (!b.data && bract_buf_reserve(&b, 0))
        return bract_error_context(BRACT_ENOMEM, "%s", path);
    b.data[b.len] = '\0';
    *data = b.data;
    *len = b.len;
    return BRACT_OK;
}
