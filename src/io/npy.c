/* NumPy .npy arrays: a streaming writer (float32, float16 or float64, in
 * large blocks) and a small reader. */
#include "base/internal.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* Blocks of at least this many bytes (or one row) go to the file in one
 * write: large enough that the system calls and hand-overs cost nothing
 * (350 for 364 MB), small enough to stay in the cache between the
 * conversion and the kernel's copy; up to 16 of them (16 MB) queued, more
 * than the windows bract dfc computes between two calls. */
#define NPY_BLOCK ((size_t)1 << 20)
#define NPY_RING 16

/* Blocks are written by a thread of the writer's own while the caller
 * fills the next ones: the kernel's copy into the page cache (most of the
 * cost of a large file) overlaps the caller's conversion and whatever it
 * computes between calls.  A ring of NPY_RING blocks: `buf` (ring[cur]) is
 * being filled; the `queued` blocks before it, from ring[head], wait for
 * the thread, which writes them in order. */
struct bract_npy_writer {
    bract_output *out;
    FILE *fp;      /* unbuffered: every write is one block */
    char *path;    /* for messages */
    bract_npy_dtype dtype;
    size_t es;     /* bytes per value */
    size_t nrows, ncols, written;
    unsigned char *buf; /* the block being filled */
    size_t cap, fill;   /* a block's size and the bytes in buf */
    int failed;
    /* the writer thread and what it shares, under mu */
    int threaded;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    unsigned char *ring[NPY_RING];
    size_t len[NPY_RING]; /* bytes in each queued block */
    int nring, cur, head, queued;
    int stop;        /* no more blocks: the thread ends */
    int write_errno; /* a failed write's errno */
};

static const char *const npy_descr[] = {"<f4", "<f2", "<f8"};

static int host_little_endian(void)
{
    const uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

/* Values of es bytes to little-endian, in place. */
static void to_little_endian(unsigned char *v, size_t n, size_t es)
{
    if (host_little_endian())
        return;
    for (size_t i = 0; i < n; i++, v += es)
        for (size_t k = 0; k < es / 2; k++) {
            unsigned char t = v[k];
            v[k] = v[es - 1 - k];
            v[es - 1 - k] = t;
        }
}

uint16_t bract_npy_half_from_double(double d)
{
    uint64_t b;
    memcpy(&b, &d, 8);
    uint16_t sign = (uint16_t)((b >> 48) & 0x8000);
    int exp = (int)((b >> 52) & 0x7ff);
    uint64_t man = b & ((UINT64_C(1) << 52) - 1);
    if (exp == 0x7ff) /* infinity, or a quiet NaN keeping the top of the payload */
        return (uint16_t)(sign | 0x7c00 | (man ? 0x200 | (man >> 42) : 0));
    if (exp == 0) /* zero or a double subnormal: far below half's smallest */
        return sign;
    int e = exp - 1023;
    if (e > 15)
        return (uint16_t)(sign | 0x7c00);
    uint64_t sig = man | (UINT64_C(1) << 52), h;
    int shift;
    if (e >= -14) { /* normal: 10 bits of mantissa under a biased exponent */
        sig = man;
        shift = 42;
        h = ((uint64_t)(e + 15) << 10) | (sig >> shift);
    } else { /* subnormal: units of 2^-24 */
        shift = 28 - e;
        if (shift > 63)
            return sign;
        h = sig >> shift;
    }
    /* round to nearest, ties to even; a carry may reach the exponent (the
     * next binade, or infinity above 65504) */
    uint64_t rem = sig & ((UINT64_C(1) << shift) - 1), half = UINT64_C(1) << (shift - 1);
    if (rem > half || (rem == half && (h & 1)))
        h++;
    return (uint16_t)(sign | h);
}

double bract_npy_half_to_double(uint16_t h)
{
    int exp = (h >> 10) & 0x1f;
    unsigned man = h & 0x3ff;
    double v = exp == 0    ? ldexp((double)man, -24)
               : exp == 31 ? (man ? NAN : INFINITY)
                           : ldexp((double)(man | 0x400), exp - 25);
    return h & 0x8000 ? -v : v;
}

static void *writer_main(void *arg)
{
    bract_npy_writer *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->queued && !w->stop)
            pthread_cond_wait(&w->cv, &w->mu);
        if (!w->queued)
            break;
        unsigned char *p = w->ring[w->head];
        size_t n = w->len[w->head];
        int failed = w->write_errno != 0;
        pthread_mutex_unlock(&w->mu);
        /* after a failure the rest is dropped: the file will be removed */
        int e = 0;
        if (!failed) {
            errno = 0;
            if (fwrite(p, 1, n, w->fp) != n)
                e = errno ? errno : EIO;
        }
        pthread_mutex_lock(&w->mu);
        if (e)
            w->write_errno = e;
        w->head = (w->head + 1) % w->nring;
        w->queued--;
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* The writer thread and its ring; without them (no memory, no thread)
 * blocks are written by the caller, one at a time. */
static void writer_start(bract_npy_writer *w, size_t nblocks)
{
    int n = nblocks < NPY_RING ? (int)nblocks : NPY_RING;
    w->ring[0] = w->buf;
    for (w->nring = 1; w->nring < n; w->nring++)
        if (!(w->ring[w->nring] = malloc(w->cap)))
            break;
    if (w->nring < 2 || pthread_mutex_init(&w->mu, NULL) != 0)
        goto fail;
    if (pthread_cond_init(&w->cv, NULL) != 0) {
        pthread_mutex_destroy(&w->mu);
        goto fail;
    }
    if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
        pthread_cond_destroy(&w->cv);
        pthread_mutex_destroy(&w->mu);
        goto fail;
    }
    w->threaded = 1;
    return;
fail:
    while (w->nring > 1)
        free(w->ring[--w->nring]);
}

/* Wait until every queued block is written: a failed write's errno, or 0. */
static int writer_drain(bract_npy_writer *w)
{
    pthread_mutex_lock(&w->mu);
    while (w->queued)
        pthread_cond_wait(&w->cv, &w->mu);
    int e = w->write_errno;
    pthread_mutex_unlock(&w->mu);
    return e;
}

/* Drain, end the thread and free the ring but buf: the errno, or 0. */
static int writer_stop(bract_npy_writer *w)
{
    if (!w->threaded)
        return 0;
    int e = writer_drain(w);
    pthread_mutex_lock(&w->mu);
    w->stop = 1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    for (int i = 0; i < w->nring; i++)
        if (w->ring[i] != w->buf)
            free(w->ring[i]);
    w->threaded = 0;
    return e;
}

int bract_npy_open_dtype(const char *path, int force, size_t nrows, size_t ncols,
                         bract_npy_dtype dtype, bract_npy_writer **out)
{
    *out = NULL;
    if ((int)dtype < 0 || dtype > BRACT_NPY_F8)
        return bract_error(BRACT_EINVAL, "%s: unknown npy data type %d", path, (int)dtype);
    bract_npy_writer *w = bract_xcalloc(1, sizeof *w, "an npy writer");
    if (!w)
        return BRACT_ENOMEM;
    w->dtype = dtype;
    w->es = dtype == BRACT_NPY_F2 ? 2 : dtype == BRACT_NPY_F8 ? 8 : 4;
    w->nrows = nrows;
    w->ncols = ncols;
    w->cap = ncols * w->es > NPY_BLOCK ? ncols * w->es : NPY_BLOCK;
    w->buf = bract_xmalloc(w->cap, 1, "an npy block");
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
    if (!w->fp || setvbuf(w->fp, NULL, _IONBF, 0) != 0) {
        bract_npy_abort(w);
        return BRACT_EIO;
    }
    if (!(w->path = bract_xstrdup(path))) {
        bract_npy_abort(w);
        return BRACT_ENOMEM;
    }
    /* Header: magic, version 1.0, little-endian header length, then the
     * dict padded with spaces and ending in '\n' so that the data start at
     * a multiple of 64 bytes (as numpy writes it); it goes out with the
     * first block. */
    char dict[160];
    int n = snprintf(dict, sizeof dict,
                     "{'descr': '%s', 'fortran_order': False, 'shape': (%zu, %zu), }",
                     npy_descr[dtype], nrows, ncols);
    size_t total = 10 + (size_t)n + 1;
    size_t pad = (64 - total % 64) % 64;
    size_t hlen = (size_t)n + pad + 1;
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(hlen & 0xff),
                             (unsigned char)(hlen >> 8)};
    memcpy(w->buf, pre, 10);
    memcpy(w->buf + 10, dict, (size_t)n);
    memset(w->buf + 10 + n, ' ', pad);
    w->buf[10 + (size_t)n + pad] = '\n';
    w->fill = 10 + hlen;
    /* a thread only for a file of more than a few blocks */
    size_t nblocks = nrows * ncols * w->es / w->cap;
    if (nblocks > 4)
        writer_start(w, nblocks);
    *out = w;
    return BRACT_OK;
}

int bract_npy_open(const char *path, int force, size_t nrows, size_t ncols,
                   bract_npy_writer **out)
{
    return bract_npy_open_dtype(path, force, nrows, ncols, BRACT_NPY_F4, out);
}

static int write_failed(bract_npy_writer *w, int e)
{
    w->failed = 1;
    return bract_error(BRACT_EIO, "%s: write failed: %s", w->path, strerror(e));
}

/* Queue the filled block for the thread (once there is a free one to fill
 * next), or write it here. */
static int flush_block(bract_npy_writer *w)
{
    if (!w->fill)
        return BRACT_OK;
    if (w->threaded) {
        pthread_mutex_lock(&w->mu);
        while (w->queued == w->nring - 1 && !w->write_errno)
            pthread_cond_wait(&w->cv, &w->mu);
        int e = w->write_errno;
        if (!e) {
            w->len[w->cur] = w->fill;
            w->queued++;
            w->cur = (w->cur + 1) % w->nring;
            pthread_cond_broadcast(&w->cv);
        }
        pthread_mutex_unlock(&w->mu);
        if (e)
            return write_failed(w, e);
        w->buf = w->ring[w->cur];
    } else if (fwrite(w->buf, 1, w->fill, w->fp) != w->fill) {
        return write_failed(w, errno ? errno : EIO);
    }
    w->fill = 0;
    return BRACT_OK;
}

static int check_rows(bract_npy_writer *w, size_t n)
{
    if (w->failed)
        return BRACT_EIO;
    if (w->written + n > w->nrows) {
        w->failed = 1;
        return bract_error(BRACT_EINVAL, "npy writer: %zu rows written, the header says %zu",
                           w->written + n, w->nrows);
    }
    return BRACT_OK;
}

/* Four at a time, so that the compiler converts them with vector
 * instructions. */
static void f64_to_f32(float *restrict o, const double *restrict d, size_t m)
{
    size_t i = 0;
    for (; i + 4 <= m; i += 4) {
        o[i] = (float)d[i];
        o[i + 1] = (float)d[i + 1];
        o[i + 2] = (float)d[i + 2];
        o[i + 3] = (float)d[i + 3];
    }
    for (; i < m; i++)
        o[i] = (float)d[i];
}

/* Convert m values (doubles, or floats when f is set) to the writer's type
 * at dst. */
static void convert(const bract_npy_writer *w, const double *d, const float *f, size_t m,
                    unsigned char *dst)
{
    if (w->dtype == BRACT_NPY_F4) {
        float *o = (float *)(void *)dst;
        if (f)
            memcpy(o, f, m * sizeof *o);
        else
            f64_to_f32(o, d, m);
    } else if (w->dtype == BRACT_NPY_F2) {
        uint16_t *o = (uint16_t *)(void *)dst;
        for (size_t i = 0; i < m; i++)
            o[i] = bract_npy_half_from_double(f ? (double)f[i] : d[i]);
    } else {
        double *o = (double *)(void *)dst;
        if (d)
            memcpy(o, d, m * sizeof *o);
        else
            for (size_t i = 0; i < m; i++)
                o[i] = f[i];
    }
    to_little_endian(dst, m, w->es);
}

/* n rows from d (doubles) or f (floats) through the block. */
static int put_rows(bract_npy_writer *w, const double *d, const float *f, size_t n)
{
    int rc = check_rows(w, n);
    size_t total = n * w->ncols, done = 0;
    while (!rc && done < total) {
        if (w->fill + w->es > w->cap && (rc = flush_block(w)) != 0)
            break;
        size_t m = (w->cap - w->fill) / w->es;
        if (m > total - done)
            m = total - done;
        /* values are aligned in the block: the header fills 64 bytes */
        convert(w, d ? d + done : NULL, f ? f + done : NULL, m, w->buf + w->fill);
        w->fill += m * w->es;
        done += m;
    }
    if (!rc)
        w->written += n;
    return rc;
}

int bract_npy_write_f32(bract_npy_writer *w, const float *rows, size_t n)
{
    return put_rows(w, NULL, rows, n);
}

int bract_npy_write_rows(bract_npy_writer *w, const double *rows, size_t n)
{
    return put_rows(w, rows, NULL, n);
}

int bract_npy_write_row(bract_npy_writer *w, const double *row)
{
    return put_rows(w, row, NULL, 1);
}

int bract_npy_commit(bract_npy_writer *w)
{
    int rc = BRACT_OK;
    if (w->failed)
        rc = BRACT_EIO;
    else if (w->written != w->nrows)
        rc = bract_error(BRACT_EINVAL, "npy writer: %zu of %zu rows written", w->written,
                         w->nrows);
    else
        rc = flush_block(w);
    int e = writer_stop(w);
    if (!rc && e)
        rc = write_failed(w, e);
    if (rc) {
        bract_npy_abort(w);
        return rc;
    }
    rc = bract_output_commit(w->out);
    free(w->buf);
    free(w->path);
    free(w);
    return rc;
}

void bract_npy_abort(bract_npy_writer *w)
{
    if (!w)
        return;
    writer_stop(w);
    bract_output_abort(w->out);
    free(w->buf);
    free(w->path);
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
 * (dims, nd), the value size (*es: 2, 4 or 8) and where the data start
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
    int rc = BRACT_OK;
    *es = 4;
    if (!descr || !fo || !shape)
        rc = bract_error(BRACT_EFORMAT, "%s: .npy header lacks descr, fortran_order or shape",
                         path);
    else if (strncmp(descr, "'<f4'", 5) == 0)
        *es = 4;
    else if (strncmp(descr, "'<f8'", 5) == 0)
        *es = 8;
    else if (strncmp(descr, "'<f2'", 5) == 0)
        *es = 2;
    else
        rc = bract_error(BRACT_EFORMAT, "%s: .npy data type %.6s not supported (expected '<f4', "
                         "'<f8' or '<f2')", path, descr);
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
            } else if (es == 4) {
                float f;
                memcpy(&f, b, 4);
                d[i] = f;
            } else {
                uint16_t h;
                memcpy(&h, b, 2);
                d[i] = bract_npy_half_to_double(h);
            }
        }
        *data = d;
        *nrows = dims[0];
        *ncols = nd == 2 ? dims[1] : 1;
    }
    free(buf);
    return rc;
}
