/* NumPy .npy arrays: a streaming float32 writer and a small reader. */
#include "base/internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

struct bract_npy_writer {
    bract_output *out;
    FILE *fp;
    size_t nrows, ncols, written;
    float *buf; /* one row */
    int failed;
};

static int host_little_endian(void)
{
    const uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

static void to_little_endian(float *v, size_t n)
{
    if (host_little_endian())
        return;
    for (size_t i = 0; i < n; i++) {
        unsigned char b[4], t;
        memcpy(b, &v[i], 4);
        t = b[0], b[0] = b[3], b[3] = t;
        t = b[1], b[1] = b[2], b[2] = t;
        memcpy(&v[i], b, 4);
    }
}

int bract_npy_open(const char *path, int force, size_t nrows, size_t ncols,
                   bract_npy_writer **out)
{
    *out = NULL;
    bract_npy_writer *w = bract_xcalloc(1, sizeof *w, "an npy writer");
    if (!w)
        return BRACT_ENOMEM;
    w->nrows = nrows;
    w->ncols = ncols;
    w->buf = bract_xmalloc(ncols ? ncols : 1, sizeof *w->buf, "an npy row");
    if (!w->buf) {
        free(w);
        return BRACT_ENOMEM;
    }
    int rc = bract_output_open(path, force, &w->out);
    if (rc) {
        free(w->buf);
        free(w);
        return rc;
    }
    w->fp = bract_output_stream(w->out);
    if (!w->fp) {
        bract_npy_abort(w);
        return BRACT_EIO;
    }
    /* Header: magic, version 1.0, little-endian header length, then the
     * dict padded with spaces and ending in '\n' so that the data start at
     * a multiple of 64 bytes (as numpy writes it). */
    char dict[160];
    int n = snprintf(dict, sizeof dict,
                     "{'descr': '<f4', 'fortran_order': False, 'shape': (%zu, %zu), }", nrows,
                     ncols);
    size_t total = 10 + (size_t)n + 1;
    size_t pad = (64 - total % 64) % 64;
    size_t hlen = (size_t)n + pad + 1;
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(hlen & 0xff),
                             (unsigned char)(hlen >> 8)};
    fwrite(pre, 1, 10, w->fp);
    fwrite(dict, 1, (size_t)n, w->fp);
    for (size_t i = 0; i < pad; i++)
        fputc(' ', w->fp);
    fputc('\n', w->fp);
    if (ferror(w->fp)) {
        rc = bract_error(BRACT_EIO, "%s: write failed: %s", path, strerror(errno));
        bract_npy_abort(w);
        return rc;
    }
    *out = w;
    return BRACT_OK;
}

int bract_npy_write_f32(bract_npy_writer *w, const float *rows, size_t n)
{
    if (w->failed)
        return BRACT_EIO;
    if (w->written + n > w->nrows) {
        w->failed = 1;
        return bract_error(BRACT_EINVAL, "npy writer: %zu rows written, the header says %zu",
                           w->written + n, w->nrows);
    }
    for (size_t r = 0; r < n; r++) {
        const float *src = rows + r * w->ncols;
        if (!host_little_endian()) {
            memcpy(w->buf, src, w->ncols * sizeof *w->buf);
            to_little_endian(w->buf, w->ncols);
            src = w->buf;
        }
        if (fwrite(src, sizeof(float), w->ncols, w->fp) != w->ncols) {
            w->failed = 1;
            return bract_error(BRACT_EIO, "writing an npy file failed: %s", strerror(errno));
        }
    }
    w->written += n;
    return BRACT_OK;
}

int bract_npy_write_row(bract_npy_writer *w, const double *row)
{
    if (w->failed)
        return BRACT_EIO;
    for (size_t j = 0; j < w->ncols; j++)
        w->buf[j] = (float)row[j];
    if (w->written + 1 > w->nrows) {
        w->failed = 1;
        return bract_error(BRACT_EINVAL, "npy writer: %zu rows written, the header says %zu",
                           w->written + 1, w->nrows);
    }
    to_little_endian(w->buf, w->ncols);
    if (fwrite(w->buf, sizeof(float), w->ncols, w->fp) != w->ncols) {
        w->failed = 1;
        return bract_error(BRACT_EIO, "writing an npy file failed: %s", strerror(errno));
    }
    w->written++;
    return BRACT_OK;
}

int bract_npy_commit(bract_npy_writer *w)
{
    int rc = BRACT_OK;
    if (w->failed)
        rc = BRACT_EIO;
    else if (w->written != w->nrows)
        rc = bract_error(BRACT_EINVAL, "npy writer: %zu of %zu rows written", w->written,
                         w->nrows);
    if (rc) {
        bract_npy_abort(w);
        return rc;
    }
    rc = bract_output_commit(w->out);
    free(w->buf);
    free(w);
    return rc;
}

void bract_npy_abort(bract_npy_writer *w)
{
    if (!w)
        return;
    bract_output_abort(w->out);
    free(w->buf);
    free(w);
}

/* ---- reading ---- */

/* Value of key `key` in the header dict: a pointer just after "'key':". */
static const char *dict_value(const char *dict, const char *key)
{
    char pat[32];
    snprintf(pat, sizeof pat, "'%s':", key);
    const char *p = strstr(dict, pat);
    if (!p)
        return NULL;
    p += strlen(pat);
    while (*p == ' ')
        p++;
    return p;
}

/* Parse the header at u[0..len) of a file of `fsize` bytes: the shape
 * (dims, nd), the value size (*es: 4 or 8) and where the data start
 * (*data_off), the shape checked against the data the file holds with
 * products that cannot wrap.  BRACT_OK or an error naming `path`. */
static int parse_header(const char *path, const unsigned char *u, size_t len,
                        unsigned long long fsize, size_t dims[2], int *nd, size_t *es,
                        size_t *data_off)
{
    if (len < 10 || memcmp(u, "\x93NUMPY", 6) != 0)
        return bract_error(BRACT_EFORMAT, "%s: not a NumPy .npy file (bad magic)", path);
    size_t hlen, off;
    if (u[6] == 1) {
        hlen = (size_t)u[8] | (size_t)u[9] << 8;
        off = 10;
    } else if ((u[6] == 2 || u[6] == 3) && len >= 12) {
        hlen = (size_t)u[8] | (size_t)u[9] << 8 | (size_t)u[10] << 16 | (size_t)u[11] << 24;
        off = 12;
    } else {
        return bract_error(BRACT_EFORMAT, "%s: unsupported .npy version %d.%d", path, u[6], u[7]);
    }
    if (off + hlen > len)
        return bract_error(BRACT_EFORMAT, "%s: truncated .npy header", path);
    char *dict = bract_xmalloc(hlen + 1, 1, "an npy header");
    if (!dict)
        return BRACT_ENOMEM;
    memcpy(dict, u + off, hlen);
    dict[hlen] = '\0';
    const char *descr = dict_value(dict, "descr"), *fo = dict_value(dict, "fortran_order"),
               *shape = dict_value(dict, "shape");
    int f8 = 0, rc = BRACT_OK;
    if (!descr || !fo || !shape)
        rc = bract_error(BRACT_EFORMAT, "%s: .npy header lacks descr, fortran_order or shape",
                         path);
    else if (strncmp(descr, "'<f4'", 5) == 0)
        f8 = 0;
    else if (strncmp(descr, "'<f8'", 5) == 0)
        f8 = 1;
    else
        rc = bract_error(BRACT_EFORMAT, "%s: .npy data type %.6s not supported (expected '<f4' "
                         "or '<f8')", path, descr);
    if (!rc && strncmp(fo, "False", 5) != 0)
        rc = bract_error(BRACT_EFORMAT, "%s: Fortran-order .npy arrays are not supported", path);
    dims[0] = dims[1] = 1;
    *nd = 0;
    if (!rc) {
        const char *p = shape;
        if (*p++ != '(')
            rc = bract_error(BRACT_EFORMAT, "%s: bad .npy shape", path);
        while (!rc && *p && *p != ')') {
            while (*p == ' ' || *p == ',')
                p++;
            if (*p == ')')
                break;
            char *end;
            errno = 0;
            unsigned long long v = strtoull(p, &end, 10);
            if (end == p || errno || *nd == 2) {
                rc = bract_error(BRACT_EFORMAT, "%s: .npy shape must have 1 or 2 dimensions",
                                 path);
                break;
            }
            if (v > SIZE_MAX) {
                rc = bract_error(BRACT_EFORMAT, "%s: .npy shape value %llu is too large", path, v);
                break;
            }
            dims[(*nd)++] = (size_t)v;
            p = end;
        }
        if (!rc && *nd == 0)
            rc = bract_error(BRACT_EFORMAT, "%s: .npy scalars are not supported", path);
    }
    free(dict);
    /* the shape against the data present, before anything is allocated,
     * with products that cannot wrap */
    size_t n = 0, bytes = 0;
    *es = f8 ? 8 : 4;
    *data_off = off + hlen;
    unsigned long long have = fsize > off + hlen ? fsize - (off + hlen) : 0;
    if (!rc && (__builtin_mul_overflow(dims[0], dims[1], &n) ||
                __builtin_mul_overflow(n, *es, &bytes) || bytes > have)) {
        char dims_txt[64];
        if (*nd == 2)
            snprintf(dims_txt, sizeof dims_txt, "%zu x %zu", dims[0], dims[1]);
        else
            snprintf(dims_txt, sizeof dims_txt, "%zu", dims[0]);
        rc = bract_error(BRACT_EFORMAT,
                         "%s: truncated .npy data: the header describes a %s array of %zu-byte "
                         "values but the file holds %llu bytes of data",
                         path, dims_txt, *es, have);
    }
    return rc;
}

int bract_npy_describe(const char *path, size_t *nrows, size_t *ncols, int *ndim,
                       int *value_bytes)
{
    *nrows = *ncols = 0;
    *ndim = *value_bytes = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return bract_error(BRACT_EIO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    unsigned char *head = bract_xmalloc(12 + 65536 + 1, 1, "an npy header");
    int rc = head ? BRACT_OK : BRACT_ENOMEM;
    if (!rc && (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)))
        rc = bract_error(BRACT_EIO, "%s: not a regular file", path);
    size_t got = rc ? 0 : fread(head, 1, 12 + 65536, f);
    fclose(f);
    size_t dims[2], es, off;
    int nd;
    if (!rc && !(rc = parse_header(path, head, got, (unsigned long long)st.st_size, dims, &nd,
                                   &es, &off))) {
        *nrows = dims[0];
        *ncols = nd == 2 ? dims[1] : 1;
        *ndim = nd;
        *value_bytes = (int)es;
    }
    free(head);
    return rc;
}

int bract_npy_read(const char *path, size_t *nrows, size_t *ncols, double **data)
{
    *data = NULL;
    *nrows = *ncols = 0;
    char *buf;
    size_t len;
    int rc = bract_read_file(path, &buf, &len);
    if (rc)
        return rc;
    const unsigned char *u = (const unsigned char *)buf;
    size_t dims[2], es, off;
    int nd;
    rc = parse_header(path, u, len, len, dims, &nd, &es, &off);
    size_t n = dims[0] * dims[1];
    double *d = NULL;
    if (!rc && !(d = bract_xmalloc(n ? n : 1, sizeof *d, "npy data")))
        rc = BRACT_ENOMEM;
    if (!rc) {
        const unsigned char *src = u + off;
        int swap = !host_little_endian();
        for (size_t i = 0; i < n; i++) {
            unsigned char b[8];
            memcpy(b, src + i * es, es);
            if (swap)
                for (size_t k = 0; k < es / 2; k++) {
                    unsigned char t = b[k];
                    b[k] = b[es - 1 - k];
                    b[es - 1 - k] = t;
                }
            if (es == 8) {
                memcpy(&d[i], b, 8);
            } else {
                float f;
                memcpy(&f, b, 4);
                d[i] = f;
            }
        }
        *data = d;
        *nrows = dims[0];
        *ncols = nd == 2 ? dims[1] : 1;
    }
    free(buf);
    return rc;
}
