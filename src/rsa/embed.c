/* Embedding tables, streamed (see bract/embed.h).  The file is read through
 * zlib (which passes plain files through) in large blocks; each line's word
 * is hashed and looked up among the wanted words, and only wanted lines are
 * converted to numbers; other lines are checked with a byte-class scan
 * (field count, characters of numbers), so that a large table reads at
 * close to disk or inflate speed. */
#include "base/internal.h"
#include "base/strmap_internal.h"
#include "base/text_internal.h"
#include "rsa/rsa_internal.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>

#include <zlib.h>

static const char *const format_names[] = {"auto", "word2vec", "word2vec-bin", "glove", "tsv",
                                           NULL};

const char *bract_embed_format_name(bract_embed_format f)
{
    return (unsigned)f <= BRACT_EMB_TSV ? format_names[f] : "unknown";
}

int bract_embed_format_parse(const char *name, bract_embed_format *out)
{
    int v;
    int rc = bract_enum_lookup("embedding format", name, format_names, &v);
    if (rc == BRACT_OK)
        *out = (bract_embed_format)v;
    return rc;
}

void bract_embed_free(bract_embedding *e)
{
    if (!e)
        return;
    for (size_t i = 0; i < e->nwords; i++)
        free(e->word[i]);
    free(e->word);
    free(e->vec);
    free(e->found);
    free(e);
}

/* ---- the model RDM ---- */

/* The RDM of the words found: kept labels (labels[i], or the words) and
 * vectors, a design of one row per word, a plan and a workspace for one
 * compute call. */
static int embed_rdm_compute(const bract_embedding *e, const char *const *labels,
                             const bract_rdm_opts *o, const char *name, size_t nk,
                             bract_rdmset *set, const char **kept, double *x, size_t *nnan)
{
    for (size_t i = 0, q = 0; i < e->nwords; i++)
        if (e->found[i]) {
            kept[q] = labels && labels[i] ? labels[i] : e->word[i];
            memcpy(x + q * e->dim, e->vec + i * e->dim, e->dim * sizeof *x);
            q++;
        }
    bract_rdm_design *d = NULL;
    bract_rdm_plan *plan = NULL;
    bract_rdm_ws *ws = NULL;
    bract_rdm_info info = {0};
    int rc = bract_rdm_design_from_labels(kept, NULL, nk, NULL, &d);
    if (!rc)
        rc = bract_rdmset_init_rdm(set, 0, name, nk, kept);
    if (!rc)
        rc = bract_rdmset_set_measure(set, bract_rdm_measure_name(o));
    if (!rc)
        rc = bract_rdm_plan_new(d, o, e->dim, 0, &plan);
    if (!rc)
        rc = bract_rdm_ws_new(plan, &ws);
    if (!rc)
        rc = bract_rdm_compute(plan, ws, x, e->dim, e->dim, NULL, set->rdm[0].d, &info);
    if (!rc && nnan)
        *nnan = info.nnan;
    bract_rdm_ws_free(ws);
    bract_rdm_plan_free(plan);
    bract_rdm_design_free(d);
    return rc;
}

int bract_embed_rdm(const bract_embedding *e, const bract_rdm_opts *o, const char *name,
                    bract_rdmset **out, size_t *nnan)
{
    return bract_embed_rdm_labels(e, NULL, o, name, out, nnan);
}

int bract_embed_rdm_labels(const bract_embedding *e, const char *const *labels,
                           const bract_rdm_opts *o, const char *name, bract_rdmset **out,
                           size_t *nnan)
{
    *out = NULL;
    if (nnan)
        *nnan = 0;
    if (bract_rdm_needs_noise(o))
        return bract_error(BRACT_EINVAL,
                           "an RDM of word vectors cannot use %s: it needs a "
                           "noise estimate",
                           bract_rdm_method_name(o->method));
    size_t nk = e->nwords - e->nmissing;
    if (nk < 2)
        return bract_error(BRACT_EDATA, "%zu word%s found; an RDM needs at least 2", nk,
                           nk == 1 ? "" : "s");
    const char **kept = bract_xmalloc(nk, sizeof *kept, "words");
    double *x = bract_xmalloc(nk * e->dim, sizeof *x, "word vectors");
    bract_rdmset *set = NULL;
    bract_rdmset_new(1, &set);
    int rc = BRACT_ENOMEM;
    if (set && kept && x)
        rc = embed_rdm_compute(e, labels, o, name, nk, set, kept, x, nnan);
    free(kept);
    free(x);
    if (rc) {
        bract_rdmset_free(set);
        return rc;
    }
    *out = set;
    return BRACT_OK;
}

/* ---- buffered reading ---- */

typedef struct {
    const char *path;
    gzFile gz;
    char *buf;
    size_t cap, beg, end; /* valid bytes buf[beg..end) */
    int eof;
    size_t line;          /* number of the line last returned */
    unsigned long long off; /* file offset of buf[beg] */
} reader;

static int rd_open(reader *r, const char *path)
{
    memset(r, 0, sizeof *r);
    r->path = path;
    r->gz = gzopen(path, "rb");
    if (!r->gz)
        return bract_error(BRACT_EIO, "%s: cannot open: %s", path,
                           errno ? strerror(errno) : "out of memory");
    /* Small to start (most inputs are small: a word list's neighbours, a
     * test table) and grown by rd_fill as lines need; 32 KB of zlib input
     * per read keeps the system calls few on multi-GB GloVe files. */
    gzbuffer(r->gz, 1u << 15);
    r->cap = 1u << 16;
    r->buf = bract_xmalloc(r->cap + 1, 1, "a read buffer"); /* + 1: room for a NUL */
    if (!r->buf) {
        gzclose(r->gz);
        return BRACT_ENOMEM;
    }
    return BRACT_OK;
}

static void rd_close(reader *r)
{
    if (r->gz)
        gzclose(r->gz);
    free(r->buf);
}

/* Make at least `need` bytes available from beg (fewer only at the end of
 * the file).  The buffer grows with the data read, never at once to a size
 * the file claims: a header that announces a huge record cannot make the
 * buffer larger than twice the data that is there.  Returns BRACT_OK or an
 * error. */
static int rd_fill(reader *r, size_t need)
{
    while (r->end - r->beg < need && !r->eof) {
        if (r->beg > 0) {
            memmove(r->buf, r->buf + r->beg, r->end - r->beg);
            r->end -= r->beg;
            r->beg = 0;
        }
        if (r->cap - r->end < r->cap / 2) {
            size_t nc = r->cap * 2;
            char *nb = bract_xrealloc(r->buf, nc + 1, 1, "a read buffer");
            if (!nb)
                return BRACT_ENOMEM;
            r->buf = nb;
            r->cap = nc;
        }
        size_t want = r->cap - r->end;
        if (want > (1u << 30))
            want = 1u << 30;
        int got = gzread(r->gz, r->buf + r->end, (unsigned)want);
        if (got < 0) {
            int zerr;
            const char *m = gzerror(r->gz, &zerr);
            return bract_error(BRACT_EIO, "%s: read error: %s", r->path,
                               zerr == Z_ERRNO ? strerror(errno) : m);
        }
        if (got == 0) {
            int zerr;
            const char *m = gzerror(r->gz, &zerr);
            if (zerr != Z_OK && zerr != Z_BUF_ERROR)
                return bract_error(BRACT_EFORMAT, "%s: corrupt compressed data: %s", r->path, m);
            r->eof = 1;
            if (zerr == Z_BUF_ERROR)
                return bract_error(BRACT_EFORMAT, "%s: truncated compressed data", r->path);
        }
        r->end += (size_t)got;
    }
    return BRACT_OK;
}

/* The next line, left in the buffer (not consumed, not NUL-terminated):
 * *s, *len without its LF or CRLF; *s = NULL at the end of the file.
 * Reads until the line ends or `limit` bytes are there. */
static int rd_peek_line(reader *r, size_t limit, const char **s, size_t *len)
{
    size_t scanned = 0;
    for (;;) {
        size_t have = r->end - r->beg;
        char *p = memchr(r->buf + r->beg + scanned, '\n', have - scanned);
        if (p || r->eof || have >= limit) {
            size_t n = p ? (size_t)(p - (r->buf + r->beg)) : have;
            *s = !p && n == 0 ? NULL : r->buf + r->beg;
            if (n > 0 && r->buf[r->beg + n - 1] == '\r')
                n--;
            *len = n;
            return BRACT_OK;
        }
        scanned = have;
        int rc = rd_fill(r, have + 1);
        if (rc)
            return rc;
    }
}

/* The next line (without its LF or CRLF) in *s, *len; *s = NULL at the end
 * of the file. */
static int rd_line(reader *r, char **s, size_t *len)
{
    size_t scanned = 0;
    for (;;) {
        char *p = memchr(r->buf + r->beg + scanned, '\n', r->end - r->beg - scanned);
        if (p || r->eof) {
            size_t n = p ? (size_t)(p - (r->buf + r->beg)) : r->end - r->beg;
            if (!p && n == 0) {
                *s = NULL;
                *len = 0;
                return BRACT_OK;
            }
            *s = r->buf + r->beg;
            r->beg += n + (p != NULL);
            r->off += n + (p != NULL);
            if (n > 0 && (*s)[n - 1] == '\r')
                n--;
            (*s)[n] = '\0'; /* overwrites the '\n' (or the byte after the data) */
            *len = n;
            r->line++;
            return BRACT_OK;
        }
        scanned = r->end - r->beg;
        int rc = rd_fill(r, scanned + 1);
        if (rc)
            return rc;
    }
}

/* ---- lines ---- */

/* Byte classes: 0 other, 1 separator, 2 character of a number.  A constant
 * table: every look-up reads it, from any number of threads. */
/* clang-format off */
static const unsigned char cls[256] = {
    [' '] = 1, ['\t'] = 1,
    ['0'] = 2, ['1'] = 2, ['2'] = 2, ['3'] = 2, ['4'] = 2,
    ['5'] = 2, ['6'] = 2, ['7'] = 2, ['8'] = 2, ['9'] = 2,
    ['.'] = 2, ['-'] = 2, ['+'] = 2, ['e'] = 2, ['E'] = 2};
/* clang-format on */

typedef struct {
    const char *path;
    bract_embed_format fmt;
    int lowercase;
    size_t dim;          /* 0 until known */
    bract_strmap *want;  /* wanted key -> index */
    bract_embedding *e;
    char *key;           /* lowercasing buffer */
    size_t keycap;
} ctx;

static int where_line(const ctx *c, size_t line, const char *fmt, const char *detail)
{
    return bract_error(BRACT_EFORMAT, "%s:%zu: %s%s", c->path, line, fmt, detail ? detail : "");
}

/* Check a numeric field s[0..n) that holds a non-number byte: strtod must
 * take all of it. */
static int field_ok(const char *s, size_t n)
{
    char tmp[64];
    if (n == 0 || n >= sizeof tmp)
        return 0;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    char *end;
    strtod(tmp, &end);
    return end == tmp + n;
}

/* The key of a word for look-ups (lowercased when asked). */
static int make_key(ctx *c, const char *w, size_t n, const char **key, size_t *klen)
{
    if (!c->lowercase) {
        *key = w;
        *klen = n;
        return BRACT_OK;
    }
    if (2 * n + 4 > c->keycap) {
        size_t cap = 2 * n + 64;
        char *k = bract_xrealloc(c->key, cap, 1, "a word buffer");
        if (!k)
            return BRACT_ENOMEM;
        c->key = k;
        c->keycap = cap;
    }
    *klen = bract_utf8_lower(w, n, c->key);
    *key = c->key;
    return BRACT_OK;
}

/* Store the values of a wanted word (fields of a text line). */
static int store_text(ctx *c, size_t line, long idx, const char *s, size_t n, char sep)
{
    bract_embedding *e = c->e;
    double *v = e->vec + (size_t)idx * c->dim;
    size_t i = 0, k = 0;
    while (k < c->dim) {
        if (sep == ' ')
            while (i < n && (s[i] == ' ' || s[i] == '\t'))
                i++;
        size_t b = i;
        while (i < n && s[i] != (sep == ' ' ? ' ' : '\t') && !(sep == ' ' && s[i] == '\t'))
            i++;
        char tmp[80];
        size_t fl = i - b;
        char *end = NULL;
        if (fl > 0 && fl < sizeof tmp) {
            memcpy(tmp, s + b, fl);
            tmp[fl] = '\0';
            v[k] = strtod(tmp, &end);
        }
        if (fl == 0 || fl >= sizeof tmp || *end) {
            char d[120];
            snprintf(d, sizeof d, "value %zu is '%.*s', not a number", k + 1,
                     (int)(fl > 40 ? 40 : fl), s + b);
            return where_line(c, line, "", d);
        }
        if (!isfinite(v[k])) {
            char d[120];
            snprintf(d, sizeof d, "value %zu of '%s' is not finite", k + 1, e->word[idx]);
            return where_line(c, line, "", d);
        }
        k++;
        if (sep == '\t' && i < n)
            i++;
    }
    return BRACT_OK;
}

/* Mark wanted word idx found (first occurrence only): returns 1 if it
 * should be stored. */
static int take(ctx *c, long idx)
{
    if (c->e->found[idx]) {
        c->e->nduplicates++;
        return 0;
    }
    c->e->found[idx] = 1;
    return 1;
}

/* One text line (word2vec text or glove): word, then dim values separated
 * by spaces or tabs.  Every line's fields are counted and their bytes
 * classified in one branch-free pass; only a line with a byte that cannot
 * be part of a decimal number is looked at field by field (strtod). */
static int text_line(ctx *c, size_t line, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n && cls[u[i]] == 1)
        i++;
    if (i == n) /* a blank line: nothing to read */
        return BRACT_OK;
    size_t wb = i;
    while (i < n && cls[u[i]] != 1)
        i++;
    size_t wl = i - wb;
    /* count separator -> non-separator steps and note any byte that cannot
     * be part of a decimal number (a table look-up per byte: ~1 GB/s) */
    size_t nf = 0;
    unsigned odd = 0;
    unsigned prevk = 1;
    for (size_t j = i; j < n; j++) {
        unsigned k = cls[u[j]];
        nf += (prevk == 1) & (k != 1);
        odd |= k == 0;
        prevk = k;
    }
    if (odd) { /* find the field that is not a number */
        size_t j = i, f = 0;
        while (j < n) {
            while (j < n && cls[u[j]] == 1)
                j++;
            if (j == n)
                break;
            size_t fb = j;
            int bad = 0;
            while (j < n && cls[u[j]] != 1)
                bad |= cls[u[j++]] == 0;
            f++;
            if (bad && !field_ok(s + fb, j - fb)) {
                char d[120];
                snprintf(d, sizeof d, "value %zu is '%.*s', not a number", f,
                         (int)(j - fb > 40 ? 40 : j - fb), s + fb);
                return where_line(c, line, "", d);
            }
        }
    }
    if (c->dim == 0) {
        if (nf == 0)
            return where_line(c, line, "a word without values", NULL);
        c->dim = nf;
    }
    if (nf != c->dim) {
        char d[160];
        snprintf(d, sizeof d, "'%.*s' has %zu value%s, expected %zu", (int)(wl > 40 ? 40 : wl),
                 s + wb, nf, nf == 1 ? "" : "s", c->dim);
        return where_line(c, line, "", d);
    }
    c->e->nentries++;
    const char *key;
    size_t klen;
    int rc = make_key(c, s + wb, wl, &key, &klen);
    if (rc)
        return rc;
    long idx = bract_strmap_get(c->want, key, klen);
    if (idx < 0 || !take(c, idx))
        return BRACT_OK;
    return store_text(c, line, idx, s + i, n - i, ' ');
}

/* One TSV row: word, tab, dim tab-separated values. */
static int tsv_line(ctx *c, size_t line, const char *s, size_t n)
{
    if (n == 0)
        return BRACT_OK; /* a blank line */
    const char *tab = memchr(s, '\t', n);
    size_t wl = tab ? (size_t)(tab - s) : n;
    size_t nf = 0;
    if (tab) {
        nf = 1;
        for (const char *p = tab + 1; p < s + n; p++)
            nf += *p == '\t';
    }
    if (nf != c->dim) {
        char d[160];
        snprintf(d, sizeof d, "'%.*s' has %zu value%s, expected %zu", (int)(wl > 40 ? 40 : wl), s,
                 nf, nf == 1 ? "" : "s", c->dim);
        return where_line(c, line, "", d);
    }
    c->e->nentries++;
    const char *key;
    size_t klen;
    int rc = make_key(c, s, wl, &key, &klen);
    if (rc)
        return rc;
    long idx = bract_strmap_get(c->want, key, klen);
    if (idx < 0) {
        /* check the fields' characters */
        const unsigned char *u = (const unsigned char *)tab + 1;
        const unsigned char *endp = (const unsigned char *)s + n;
        size_t k = 1;
        const unsigned char *fb = u;
        int odd = 0;
        for (const unsigned char *p = u; p <= endp; p++) {
            if (p == endp || *p == '\t') {
                if (p == fb || (odd && !field_ok((const char *)fb, (size_t)(p - fb)))) {
                    char d[120];
                    snprintf(d, sizeof d, "value %zu is '%.*s', not a number", k,
                             (int)(p - fb > 40 ? 40 : p - fb), (const char *)fb);
                    return where_line(c, line, "", d);
                }
                k++;
                fb = p + 1;
                odd = 0;
            } else if (cls[*p] != 2) {
                odd = 1;
            }
        }
        return BRACT_OK;
    }
    if (!take(c, idx))
        return BRACT_OK;
    return store_text(c, line, idx, tab + 1, (size_t)(s + n - tab - 1), '\t');
}

static int parse_header(const char *s, size_t *count, size_t *dim)
{
    unsigned long long a, b;
    char extra;
    if (sscanf(s, "%llu %llu %c", &a, &b, &extra) != 2)
        return 0;
    for (const char *p = s; *p; p++)
        if (!(*p == ' ' || *p == '\t' || (*p >= '0' && *p <= '9')))
            return 0;
    *count = (size_t)a;
    *dim = (size_t)b;
    return 1;
}

static int numbers_line(const char *s, size_t n);
static size_t count_values(const char *s, size_t len);
static int alloc_vectors(ctx *c, size_t n, int nan_fill);

/* ---- binary word2vec ---- */

static float le_float(const unsigned char *b)
{
    uint32_t u = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
                 (uint32_t)b[3] << 24;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static int read_binary(ctx *c, reader *r, size_t count)
{
    size_t rec = 4 * c->dim;
    for (size_t k = 0; k < count; k++) {
        /* skip the newline (and any whitespace) before a word */
        for (;;) {
            int rc = rd_fill(r, 1);
            if (rc)
                return rc;
            if (r->end == r->beg)
                return bract_error(BRACT_EFORMAT, "%s: truncated: the header announces %zu words, "
                                   "the file ends after %zu (byte %llu)", c->path, count, k,
                                   r->off);
            char ch = r->buf[r->beg];
            if (ch != '\n' && ch != '\r' && ch != ' ' && ch != '\t')
                break;
            r->beg++;
            r->off++;
        }
        /* the word, up to a space */
        size_t scanned = 0;
        char *sp;
        for (;;) {
            sp = memchr(r->buf + r->beg + scanned, ' ', r->end - r->beg - scanned);
            if (sp)
                break;
            scanned = r->end - r->beg;
            if (scanned > 100000)
                return bract_error(BRACT_EFORMAT, "%s: record %zu (byte %llu): no space after "
                                   "the word within 100000 bytes: not word2vec binary", c->path,
                                   k + 1, r->off);
            int rc = rd_fill(r, scanned + 1);
            if (rc)
                return rc;
            if (r->end - r->beg == scanned)
                return bract_error(BRACT_EFORMAT, "%s: truncated: record %zu (byte %llu) ends "
                                   "inside its word", c->path, k + 1, r->off);
        }
        size_t wl = (size_t)(sp - (r->buf + r->beg));
        size_t have;
        int rc = rd_fill(r, wl + 1 + rec);
        if (rc)
            return rc;
        sp = r->buf + r->beg + wl; /* the buffer may have moved */
        have = r->end - r->beg - wl - 1;
        if (have < rec && k == 0)
            return bract_error(BRACT_EFORMAT, "%s: the header declares %zu dimensions (%zu bytes "
                               "a record), record 1 (word '%.*s', byte %llu) holds %zu bytes "
                               "(word2vec binary: a word, a space, then 4 bytes a dimension)",
                               c->path, c->dim, rec, (int)(wl > 40 ? 40 : wl), r->buf + r->beg,
                               r->off, have);
        if (have < rec)
            return bract_error(BRACT_EFORMAT, "%s: truncated: record %zu (word '%.*s', byte %llu) "
                               "has %zu of its %zu bytes (%zu float32 values)", c->path, k + 1,
                               (int)(wl > 40 ? 40 : wl), r->buf + r->beg, r->off, have, rec,
                               c->dim);
        /* the first record holds the header's dimensions: room for the
         * wanted words' vectors */
        if (!c->e->vec && (rc = alloc_vectors(c, c->e->nwords, 0)))
            return rc;
        c->e->nentries++;
        const char *key;
        size_t klen;
        if ((rc = make_key(c, r->buf + r->beg, wl, &key, &klen)))
            return rc;
        long idx = bract_strmap_get(c->want, key, klen);
        if (idx >= 0 && take(c, idx)) {
            const unsigned char *b = (const unsigned char *)sp + 1;
            double *v = c->e->vec + (size_t)idx * c->dim;
            for (size_t j = 0; j < c->dim; j++) {
                v[j] = le_float(b + 4 * j);
                if (!isfinite(v[j]))
                    return bract_error(BRACT_EFORMAT, "%s: record %zu (word '%s', byte %llu): "
                                       "value %zu is not finite", c->path, k + 1,
                                       c->e->word[idx], r->off, j + 1);
            }
        }
        r->beg += wl + 1 + rec;
        r->off += wl + 1 + rec;
    }
    /* only whitespace may follow */
    for (;;) {
        int rc = rd_fill(r, 1);
        if (rc)
            return rc;
        if (r->end == r->beg)
            return BRACT_OK;
        char ch = r->buf[r->beg];
        if (ch != '\n' && ch != '\r' && ch != ' ' && ch != '\t')
            return bract_error(BRACT_EFORMAT, "%s: data after the %zu words the header announces "
                               "(byte %llu)", c->path, count, r->off);
        r->beg++;
        r->off++;
    }
}

/* ---- the look-up ---- */

/* The number of values after the word on text line s[0..n), or -1 when a
 * field is not a number (or, with strict_word, the word holds a control
 * byte). */
static long text_values(const char *s, size_t n, int strict_word)
{
    size_t i = 0;
    long nf = 0;
    for (; i < n && s[i] != ' ' && s[i] != '\t'; i++)
        if (strict_word && (unsigned char)s[i] < 0x20)
            return -1;
    while (i < n) {
        while (i < n && (s[i] == ' ' || s[i] == '\t'))
            i++;
        if (i == n)
            break;
        size_t b = i;
        while (i < n && s[i] != ' ' && s[i] != '\t')
            i++;
        if (!field_ok(s + b, i - b))
            return -1;
        nf++;
    }
    return nf;
}

/* Does the first data line parse as text with `dim` values? */
static int looks_like_text(const char *s, size_t n, size_t dim)
{
    return text_values(s, n, 0) == (long)dim;
}


/* The words asked for, copied, and their keys in the map of wanted words:
 * alias[i] is the earlier word with the same key, or -1. */
static int want_words(ctx *c, const char *const *words, size_t n, long *alias)
{
    bract_embedding *e = c->e;
    e->word = bract_xcalloc(n ? n : 1, sizeof *e->word, "words");
    e->found = bract_xcalloc(n ? n : 1, 1, "words");
    if (!e->word || !e->found || bract_strmap_init(c->want, n))
        return BRACT_ENOMEM;
    e->nwords = n;
    for (size_t i = 0; i < n; i++) {
        if (!(e->word[i] = bract_xstrdup(words[i])))
            return BRACT_ENOMEM;
        const char *key;
        size_t klen;
        int rc = make_key(c, words[i], strlen(words[i]), &key, &klen);
        if (rc)
            return rc;
        if (bract_strmap_put(c->want, key, klen, i, &alias[i]))
            return BRACT_ENOMEM;
    }
    return BRACT_OK;
}

/* The format of the table (c->fmt, unless given) from its first line s
 * and, after a word2vec header, the line that follows; *header, *count
 * and *hdim from such a header. */
static int detect_format(ctx *c, reader *r, const char *s, size_t len, int *header, size_t *count,
                         size_t *hdim)
{
    *header = parse_header(s, count, hdim);
    if (c->fmt != BRACT_EMB_AUTO)
        return BRACT_OK;
    if (!*header) {
        c->fmt = memchr(s, '\t', len) ? BRACT_EMB_TSV : BRACT_EMB_GLOVE;
        return BRACT_OK;
    }
    /* text or binary: try the next line as text.  A line of a word and
     * numbers is text even when their count disagrees with the header
     * (check_header then says so, F13): binary records are not made of
     * decimal numbers. */
    c->fmt = BRACT_EMB_WORD2VEC_BIN;
    const char *p;
    size_t probe;
    int rc = rd_peek_line(r, 1u << 20, &p, &probe);
    if (rc)
        return rc;
    if (p && (looks_like_text(p, probe, *hdim) || numbers_line(p, probe)))
        c->fmt = BRACT_EMB_WORD2VEC;
    return BRACT_OK;
}

/* Is s[0..n) a word then one or more numbers (word2vec text)? */
static int numbers_line(const char *s, size_t n)
{
    return text_values(s, n, 1) > 0;
}

/* Before anything is allocated from a word2vec header (F4): it must
 * declare words, text must give line 2 the header's number of values, and
 * a plain file must be large enough for one record of the dimensions
 * declared (compressed binary: read_binary checks the first record).
 * `hlen` is the length of the header line with its newline. */
static int check_header(ctx *c, reader *r, size_t count, size_t hlen)
{
    int binary = c->fmt == BRACT_EMB_WORD2VEC_BIN;
    if (count == 0)
        return bract_error(BRACT_EFORMAT, "%s:1: the header declares 0 words (expected 'COUNT "
                           "DIMENSIONS' with COUNT >= 1)", c->path);
    if (!binary) {
        const char *s;
        size_t n;
        int rc = rd_peek_line(r, SIZE_MAX, &s, &n);
        if (rc)
            return rc;
        size_t nf = s ? count_values(s, n) : 0;
        if (s && nf != c->dim)
            return bract_error(BRACT_EFORMAT, "%s:2: the header declares %zu dimensions, line 2 "
                               "holds %zu value%s (word2vec text: a word, then one value per "
                               "dimension of the header)", c->path, c->dim, nf,
                               nf == 1 ? "" : "s");
    }
    struct stat st;
    if (!gzdirect(r->gz) || stat(c->path, &st) != 0 || !S_ISREG(st.st_mode))
        return BRACT_OK; /* compressed or not a file: the records are checked as read */
    unsigned long long avail = (unsigned long long)st.st_size > hlen
                                   ? (unsigned long long)st.st_size - hlen : 0;
    /* one record at least, the shortest: a 1-byte word, then a space and 4
     * bytes a dimension (binary), or a separator and a digit a dimension
     * (text).  The word count is checked as the records are read: nothing
     * is allocated from it. */
    size_t per;
    if (__builtin_mul_overflow(c->dim, binary ? 4 : 2, &per) ||
        __builtin_add_overflow(per, binary ? 2 : 1, &per) || per > avail)
        return bract_error(BRACT_EFORMAT, "%s:1: the header declares %zu dimensions, at least "
                           "%.0f bytes a word; the file holds %llu bytes after the header",
                           c->path, c->dim, (double)c->dim * (binary ? 4 : 2) + (binary ? 2 : 1),
                           avail);
    return BRACT_OK;
}

/* The dimension a header gives: the word2vec header line, the TSV header
 * row (GloVe's comes from its first line, in read_text). */
static int header_dimension(ctx *c, const char *s, size_t len, int header, size_t hdim)
{
    int w2v = c->fmt == BRACT_EMB_WORD2VEC || c->fmt == BRACT_EMB_WORD2VEC_BIN;
    if (w2v && !header)
        return bract_error(BRACT_EFORMAT,
                           "%s:1: expected the word2vec header 'COUNT "
                           "DIMENSIONS', found '%.40s'",
                           c->path, s);
    if (w2v && hdim == 0)
        return bract_error(BRACT_EFORMAT, "%s:1: the header gives 0 dimensions", c->path);
    if (w2v)
        c->dim = hdim;
    if (c->fmt == BRACT_EMB_TSV) {
        size_t tabs = 0;
        for (size_t i = 0; i < len; i++)
            tabs += s[i] == '\t';
        if (tabs == 0)
            return bract_error(BRACT_EFORMAT,
                               "%s:1: a TSV embedding table needs a header row "
                               "(word, then one column per dimension)",
                               c->path);
        c->dim = tabs;
    }
    return BRACT_OK;
}

/* Room for n vectors of c->dim values, NaN (not found) when asked. */
static int alloc_vectors(ctx *c, size_t n, int nan_fill)
{
    double *v = bract_xmalloc(n * c->dim + 1, sizeof *v, "word vectors");
    if (!v)
        return BRACT_ENOMEM;
    if (nan_fill)
        for (size_t k = 0; k < n * c->dim; k++)
            v[k] = NAN;
    c->e->vec = v;
    return BRACT_OK;
}

/* The fields after the word of a GloVe line. */
static size_t count_values(const char *s, size_t len)
{
    size_t nf = 0, i = 0;
    while (i < len && (s[i] == ' ' || s[i] == '\t'))
        i++;
    while (i < len && s[i] != ' ' && s[i] != '\t')
        i++;
    while (i < len) {
        while (i < len && (s[i] == ' ' || s[i] == '\t'))
            i++;
        if (i == len)
            break;
        nf++;
        while (i < len && s[i] != ' ' && s[i] != '\t')
            i++;
    }
    return nf;
}

/* The lines of a text table for n wanted words; s is the first line (data
 * in GloVe, the header otherwise). */
static int read_text(ctx *c, reader *r, const char *s, size_t len, size_t n, size_t count)
{
    int rc;
    if (c->fmt == BRACT_EMB_GLOVE) { /* the first line is data: the dimension */
        size_t nf = count_values(s, len);
        if (nf == 0)
            return bract_error(BRACT_EFORMAT,
                               "%s:1: a word without values (expected 'word v1 "
                               "v2 ...')",
                               c->path);
        c->dim = nf;
        if ((rc = alloc_vectors(c, n, 1)) || (rc = text_line(c, 1, s, len)))
            return rc;
    }
    for (;;) {
        char *line;
        size_t ll;
        if ((rc = rd_line(r, &line, &ll)))
            return rc;
        if (!line)
            break;
        rc = c->fmt == BRACT_EMB_TSV ? tsv_line(c, r->line, line, ll)
                                     : text_line(c, r->line, line, ll);
        if (rc)
            return rc;
    }
    size_t got = c->e->nentries;
    if (c->fmt == BRACT_EMB_WORD2VEC && got != count)
        return bract_error(BRACT_EFORMAT, "%s: the header announces %zu words, the file has %zu%s",
                           c->path, count, got, got < count ? " (truncated?)" : "");
    return BRACT_OK;
}

/* A TSV table's header row against its first data row, before vectors of
 * the header's width are allocated (F4). */
static int check_tsv_header(ctx *c, reader *r)
{
    const char *s;
    size_t n;
    int rc = rd_peek_line(r, SIZE_MAX, &s, &n);
    if (rc || !s || n == 0)
        return rc;
    size_t tabs = 0;
    for (size_t i = 0; i < n; i++)
        tabs += s[i] == '\t';
    if (tabs != c->dim)
        return bract_error(BRACT_EFORMAT, "%s:2: the header row declares %zu dimensions, line 2 "
                           "holds %zu value%s (a TSV embedding row: the word, then one value per "
                           "column of the header)", c->path, c->dim, tabs, tabs == 1 ? "" : "s");
    return BRACT_OK;
}

/* The whole table, for n wanted words. */
static int read_table(ctx *c, reader *r, size_t n)
{
    char *s;
    size_t len, count = 0, hdim = 0;
    int header, rc;
    if ((rc = rd_line(r, &s, &len)))
        return rc;
    if (!s)
        return bract_error(BRACT_EFORMAT, "%s: empty file", c->path);
    if ((rc = detect_format(c, r, s, len, &header, &count, &hdim)))
        return rc;
    c->e->format = c->fmt;
    size_t hlen = (size_t)r->off; /* line 1 and its newline */
    if ((rc = header_dimension(c, s, len, header, hdim)))
        return rc;
    int binary = c->fmt == BRACT_EMB_WORD2VEC_BIN;
    if ((c->fmt == BRACT_EMB_WORD2VEC || binary) && (rc = check_header(c, r, count, hlen)))
        return rc;
    if (c->fmt == BRACT_EMB_TSV && (rc = check_tsv_header(c, r)))
        return rc;
    /* binary: once the first record has shown that it holds the header's
     * dimensions (read_binary) */
    if (c->dim && !binary && (rc = alloc_vectors(c, n, 1)))
        return rc;
    return binary ? read_binary(c, r, count) : read_text(c, r, s, len, n, count);
}

/* After the table: binary vectors of words not found are NaN, a word that
 * shares its key with an earlier one takes that one's vector, the count
 * of words missing. */
static void finish_words(ctx *c, const long *alias)
{
    bract_embedding *e = c->e;
    size_t n = e->nwords, dim = c->dim;
    if (c->fmt == BRACT_EMB_WORD2VEC_BIN)
        for (size_t i = 0; i < n; i++)
            if (!e->found[i] && alias[i] < 0)
                for (size_t j = 0; j < dim; j++)
                    e->vec[i * dim + j] = NAN;
    e->dim = dim;
    for (size_t i = 0; i < n; i++)
        if (alias[i] >= 0) {
            e->found[i] = e->found[alias[i]];
            memcpy(e->vec + i * dim, e->vec + (size_t)alias[i] * dim, dim * sizeof *e->vec);
        }
    for (size_t i = 0; i < n; i++)
        e->nmissing += !e->found[i];
}

int bract_embed_lookup(const char *path, const char *const *words, size_t n,
                           const bract_embed_opts *o, bract_embedding **out)
{
    *out = NULL;
    bract_embed_opts defaults = {0};
    if (!o)
        o = &defaults;
    bract_embedding *e = bract_xcalloc(1, sizeof *e, "an embedding");
    if (!e)
        return BRACT_ENOMEM;
    bract_strmap want = {0};
    ctx c = {.path = path, .fmt = o->format, .lowercase = o->lowercase, .want = &want, .e = e};
    reader r;
    int have_reader = 0;
    long *alias = bract_xmalloc(n ? n : 1, sizeof *alias, "words");
    int rc = alias ? want_words(&c, words, n, alias) : BRACT_ENOMEM;
    if (!rc && !(rc = rd_open(&r, path)))
        have_reader = 1;
    if (!rc && !(rc = read_table(&c, &r, n)))
        finish_words(&c, alias);
    if (have_reader)
        rd_close(&r);
    bract_strmap_free(&want);
    free(c.key);
    free(alias);
    if (rc) {
        bract_embed_free(e);
        return rc;
    }
    *out = e;
    return BRACT_OK;
}
