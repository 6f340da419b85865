/* Delimited text tables: TSV/CSV reading with quoting, typed access, TSV
 * writing. */
#include "base/internal.h"
#include "base/text_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

void bract_table_free(bract_table *t)
{
    if (!t)
        return;
    free(t->path);
    free(t->colname);
    free(t->cell);
    free(t->line);
    free(t->text_);
    free(t);
}

int bract_cell_missing(const char *s)
{
    return s[0] == '\0' || strcmp(s, "n/a") == 0 || strcmp(s, "NA") == 0 ||
           strcmp(s, "nan") == 0 || strcmp(s, "NaN") == 0 || strcmp(s, "N/A") == 0;
}

int bract_label_missing(const char *s) { return s[0] == '\0' || strcmp(s, "n/a") == 0; }

int bract_parse_double(const char *s, double *v)
{
    while (*s == ' ')
        s++;
    if (!*s)
        return BRACT_EFORMAT;
    errno = 0;
    char *end;
    double x = strtod(s, &end);
    while (*end == ' ')
        end++;
    if (end == s || *end)
        return BRACT_EFORMAT;
    /* strtod accepts hex and "infinity": fine; ERANGE underflow is fine too */
    if (errno == ERANGE && isinf(x))
        return BRACT_EFORMAT;
    *v = x;
    return BRACT_OK;
}

/* Pick the delimiter: by extension, else tab if the header has one. */
static char choose_delim(const char *name, const char *text, size_t len)
{
    if (bract_ends_with(name, ".csv") || bract_ends_with(name, ".csv.gz"))
        return ',';
    if (bract_ends_with(name, ".tsv") || bract_ends_with(name, ".tsv.gz"))
        return '\t';
    for (size_t i = 0; i < len && text[i] != '\n'; i++)
        if (text[i] == '\t')
            return '\t';
    for (size_t i = 0; i < len && text[i] != '\n'; i++)
        if (text[i] == ',')
            return ',';
    return '\t';
}

/*
 * The parser copies the text into one buffer where each field becomes a
 * NUL-terminated string (quotes removed in place), recording field starts.
 */
typedef struct {
    size_t *start;   /* offsets of fields in the output buffer */
    size_t nfield, cap;
} field_list;

static int fields_push(field_list *f, size_t off)
{
    if (f->nfield == f->cap) {
        size_t cap = f->cap ? 2 * f->cap : 1024;
        size_t *s = bract_xrealloc(f->start, cap, sizeof *s, "table fields");
        if (!s)
            return BRACT_ENOMEM;
        f->start = s;
        f->cap = cap;
    }
    f->start[f->nfield++] = off;
    return BRACT_OK;
}

/* Tables are UTF-8 text: a NUL byte (binary data) or an invalid UTF-8
 * sequence is an error naming the line and byte, rather than labels that
 * are written through to outputs as they are (F21). */
static int check_text(const char *name, const char *text, size_t len)
{
    const unsigned char *u = (const unsigned char *)text;
    size_t line = 1, col = 1;
    for (size_t i = 0; i < len;) {
        if (u[i] == '\n') {
            line++;
            col = 1;
            i++;
            continue;
        }
        if (u[i] == 0)
            return bract_error(BRACT_EFORMAT,
                               "%s:%zu: a NUL byte at column %zu: binary data, not a text table",
                               name, line, col);
        size_t n = 1;
        if (u[i] >= 0x80) {
            uint32_t cp;
            n = bract_utf8_decode(u + i, len - i, &cp);
            if (cp == 0xFFFFFFFFu)
                return bract_error(BRACT_EFORMAT,
                                   "%s:%zu: byte %zu (0x%02x) is not UTF-8: tables must be UTF-8 "
                                   "text (convert with iconv)",
                                   name, line, col, u[i]);
        }
        i += n;
        col += n;
    }
    return BRACT_OK;
}

int bract_table_parse(const char *name, const char *text, size_t len, bract_table **out)
{
    *out = NULL;
    if (len >= 3 && (unsigned char)text[0] == 0xEF && (unsigned char)text[1] == 0xBB &&
        (unsigned char)text[2] == 0xBF) {
        text += 3;
        len -= 3;
    }
    int rc0 = check_text(name, text, len);
    if (rc0)
        return rc0;
    char delim = choose_delim(name, text, len);
    bract_table *t = bract_xcalloc(1, sizeof *t, "a table");
    if (!t)
        return BRACT_ENOMEM;
    t->delim = delim;
    t->path = bract_xstrdup(name);
    t->text_ = bract_xmalloc(len + 1, 1, "table text");
    if (!t->path || !t->text_) {
        bract_table_free(t);
        return BRACT_ENOMEM;
    }
    char *o = t->text_;
    size_t w = 0;
    field_list f = {0};
    size_t *rowline = NULL, nrow = 0, rowcap = 0; /* line of each record, header included */
    size_t *rowfields = NULL;                      /* fields per record */
    size_t lineno = 1;
    size_t i = 0;
    int rc = BRACT_OK;

    while (i < len) {
        /* skip blank lines (also a lone \r) */
        if (text[i] == '\n' || (text[i] == '\r' && (i + 1 == len || text[i + 1] == '\n'))) {
            i += text[i] == '\r' ? 2 : 1;
            lineno++;
            continue;
        }
        size_t recline = lineno, nf = 0;
        for (;;) { /* one field */
            if ((rc = fields_push(&f, w)))
                goto fail;
            nf++;
            if (i < len && text[i] == '"') {
                size_t qline = lineno;
                i++;
                for (;;) {
                    if (i >= len) {
                        rc = bract_error(BRACT_EFORMAT,
                                         "%s:%zu: a quoted field is never closed", name, qline);
                        goto fail;
                    }
                    if (text[i] == '"') {
                        if (i + 1 < len && text[i + 1] == '"') {
                            o[w++] = '"';
                            i += 2;
                            continue;
                        }
                        i++;
                        break;
                    }
                    if (text[i] == '\n')
                        lineno++;
                    o[w++] = text[i++];
                }
                /* after the closing quote: delimiter, end of line or end */
                if (i < len && text[i] != delim && text[i] != '\n' && text[i] != '\r') {
                    rc = bract_error(BRACT_EFORMAT,
                                     "%s:%zu: field %zu: text after a closing quote", name,
                                     lineno, nf);
                    goto fail;
                }
            } else {
                while (i < len && text[i] != delim && text[i] != '\n' &&
                       !(text[i] == '\r' && (i + 1 == len || text[i + 1] == '\n')))
                    o[w++] = text[i++];
            }
            o[w++] = '\0';
            if (i < len && text[i] == delim) {
                i++;
                continue;
            }
            break;
        }
        if (i < len && text[i] == '\r')
            i++;
        if (i < len && text[i] == '\n')
            i++;
        lineno++;
        if (nrow == rowcap) {
            size_t cap = rowcap ? 2 * rowcap : 256;
            size_t *a = bract_xrealloc(rowline, cap, sizeof *a, "table rows");
            if (!a) {
                rc = BRACT_ENOMEM;
                goto fail;
            }
            rowline = a;
            size_t *b = bract_xrealloc(rowfields, cap, sizeof *b, "table rows");
            if (!b) {
                rc = BRACT_ENOMEM;
                goto fail;
            }
            rowfields = b;
            rowcap = cap;
        }
        rowline[nrow] = recline;
        rowfields[nrow] = nf;
        nrow++;
    }
    if (nrow == 0) {
        rc = bract_error(BRACT_EFORMAT, "%s: empty file (expected a header row)", name);
        goto fail;
    }
    t->ncols = rowfields[0];
    t->nrows = nrow - 1;
    for (size_t r = 1; r < nrow; r++)
        if (rowfields[r] != t->ncols) {
            rc = bract_error(BRACT_EFORMAT,
                             "%s:%zu: %zu field%s, expected %zu (the header has %zu columns)",
                             name, rowline[r], rowfields[r], rowfields[r] == 1 ? "" : "s",
                             t->ncols, t->ncols);
            goto fail;
        }
    t->colname = bract_xmalloc(t->ncols, sizeof *t->colname, "table columns");
    t->cell = bract_xmalloc(t->nrows * t->ncols + 1, sizeof *t->cell, "table cells");
    t->line = bract_xmalloc(t->nrows + 1, sizeof *t->line, "table lines");
    if (!t->colname || !t->cell || !t->line) {
        rc = BRACT_ENOMEM;
        goto fail;
    }
    for (size_t c = 0; c < t->ncols; c++)
        t->colname[c] = o + f.start[c];
    for (size_t k = 0; k < t->nrows * t->ncols; k++)
        t->cell[k] = o + f.start[t->ncols + k];
    for (size_t r = 0; r < t->nrows; r++)
        t->line[r] = rowline[r + 1];
    for (size_t c = 0; c < t->ncols; c++)
        for (size_t d = 0; d < c; d++)
            if (strcmp(t->colname[c], t->colname[d]) == 0 && t->colname[c][0]) {
                rc = bract_error(BRACT_EFORMAT, "%s:%zu: column '%s' appears twice (columns %zu "
                                 "and %zu)", name, rowline[0], t->colname[c], d + 1, c + 1);
                goto fail;
            }
    free(f.start);
    free(rowline);
    free(rowfields);
    *out = t;
    return BRACT_OK;
fail:
    free(f.start);
    free(rowline);
    free(rowfields);
    bract_table_free(t);
    return rc;
}

int bract_table_read(const char *path, bract_table **out)
{
    *out = NULL;
    char *text;
    size_t len;
    int rc = bract_read_file(path, &text, &len);
    if (rc)
        return rc;
    /* the parser writes at most len+1 bytes of fields: one buffer suffices */
    rc = bract_table_parse(path, text, len, out);
    free(text);
    return rc;
}

long bract_table_find(const bract_table *t, const char *name)
{
    for (size_t c = 0; c < t->ncols; c++)
        if (strcmp(t->colname[c], name) == 0)
            return (long)c;
    return -1;
}

int bract_table_require(const bract_table *t, const char *name, size_t *col)
{
    long c = bract_table_find(t, name);
    if (c >= 0) {
        *col = (size_t)c;
        return BRACT_OK;
    }
    bract_buf b = {0};
    for (size_t k = 0; k < t->ncols && k < 12; k++)
        bract_buf_printf(&b, "%s'%s'", k ? ", " : "", t->colname[k]);
    if (t->ncols > 12)
        bract_buf_printf(&b, ", ... (%zu in all)", t->ncols);
    int rc = bract_error(BRACT_EFORMAT, "%s: no column '%s' (the columns are %s)", t->path, name,
                         b.data ? b.data : "none");
    bract_buf_free(&b);
    return rc;
}

static int cell_error(const bract_table *t, size_t row, size_t col, const char *expected)
{
    const char *s = bract_table_cell(t, row, col);
    if (!*s)
        return bract_error(BRACT_EFORMAT, "%s:%zu: column %zu ('%s'): expected %s, found an "
                           "empty cell", t->path, t->line[row], col + 1, t->colname[col],
                           expected);
    return bract_error(BRACT_EFORMAT, "%s:%zu: column %zu ('%s'): expected %s, found '%.40s'",
                       t->path, t->line[row], col + 1, t->colname[col], expected, s);
}

int bract_table_double(const bract_table *t, size_t row, size_t col, double *v)
{
    const char *s = bract_table_cell(t, row, col);
    if (bract_cell_missing(s)) {
        *v = NAN;
        return BRACT_OK;
    }
    if (bract_parse_double(s, v))
        return cell_error(t, row, col, "a number");
    return BRACT_OK;
}

int bract_table_long(const bract_table *t, size_t row, size_t col, long *v)
{
    const char *s = bract_table_cell(t, row, col);
    double x;
    if (bract_cell_missing(s) || bract_parse_double(s, &x) || x != floor(x) || fabs(x) > 9e15)
        return cell_error(t, row, col, "an integer");
    *v = (long)x;
    return BRACT_OK;
}

int bract_table_column(const bract_table *t, size_t col, double *out)
{
    for (size_t r = 0; r < t->nrows; r++) {
        int rc = bract_table_double(t, r, col, &out[r]);
        if (rc)
            return rc;
    }
    return BRACT_OK;
}

/* ---- number formatting ----
 *
 * A double is written with the fewest of 15, 16 or 17 significant digits
 * that read back to the same double, in printf's %g layout.  The fast path
 * below gives the same bytes as printf and strtod (the slow path) without
 * calling them, for 1e-5 <= |v| < 1e15 (every correlation, p-value and
 * summary the tables hold): v = m / 2^s exactly, so v * 10^k is the exact
 * fraction m * 10^k / 2^s, whose quotient rounded half to even is printf's
 * k-place rounding, and whose distance from the rounded decimal, in units
 * of 10^k / 2^s, decides exactly whether strtod would give v back. */

__extension__ typedef unsigned __int128 u128;

static const uint64_t pow10_u64[20] = {
    1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull,
    100000000ull, 1000000000ull, 10000000000ull, 100000000000ull, 1000000000000ull,
    10000000000000ull, 100000000000000ull, 1000000000000000ull, 10000000000000000ull,
    100000000000000000ull, 1000000000000000000ull, 10000000000000000000ull};

static u128 pow10_u128(int k)
{
    return k < 20 ? (u128)pow10_u64[k] : (u128)pow10_u64[19] * pow10_u64[k - 19];
}

/* Whether the decimal q / 10^k reads back as v = m / 2^s (N = m 10^k):
 * within half the gap to either neighbour, a tie going to the even
 * mantissa as strtod rounds; below a power of two the gap is half. */
static int reads_back(uint64_t q, u128 N, int s, u128 tenk, uint64_t m)
{
    u128 c = (u128)q << s;
    if (c == N)
        return 1;
    u128 diff = c > N ? c - N : N - c;
    if (c < N && m == (UINT64_C(1) << 52))
        return 4 * diff <= tenk;
    return 2 * diff < tenk || (2 * diff == tenk && !(m & 1));
}

/* printf's %.Pg of the P-digit q (value q 10^(X-P+1)), trailing zeros gone. */
static void layout_g(char *buf, int neg, uint64_t q, int P, int X)
{
    char dig[24];
    for (int i = P - 1; i >= 0; i--, q /= 10)
        dig[i] = (char)('0' + q % 10);
    int nd = P;
    while (nd > 1 && dig[nd - 1] == '0')
        nd--;
    char *o = buf;
    if (neg)
        *o++ = '-';
    if (X < -4 || X >= P) {
        *o++ = dig[0];
        if (nd > 1) {
            *o++ = '.';
            memcpy(o, dig + 1, (size_t)nd - 1);
            o += nd - 1;
        }
        *o++ = 'e';
        *o++ = X < 0 ? '-' : '+';
        int ax = X < 0 ? -X : X;
        if (ax >= 100)
            *o++ = (char)('0' + ax / 100);
        *o++ = (char)('0' + ax / 10 % 10);
        *o++ = (char)('0' + ax % 10);
    } else if (X >= 0) {
        memcpy(o, dig, (size_t)X + 1);
        o += X + 1;
        if (nd > X + 1) {
            *o++ = '.';
            memcpy(o, dig + X + 1, (size_t)(nd - X - 1));
            o += nd - X - 1;
        }
    } else {
        *o++ = '0';
        *o++ = '.';
        for (int i = 0; i < -X - 1; i++)
            *o++ = '0';
        memcpy(o, dig, (size_t)nd);
        o += nd;
    }
    *o = '\0';
}

/* The fast path: 1 when buf is written, 0 for the slow path. */
static int format_fast(char *buf, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    int bexp = (int)((bits >> 52) & 0x7ff);
    if (bexp == 0 || bexp == 0x7ff)
        return 0;
    uint64_t m = (bits & ((UINT64_C(1) << 52) - 1)) | (UINT64_C(1) << 52);
    int s = 1075 - bexp; /* |v| = m / 2^s */
    double av = fabs(v);
    if (s < 1 || s > 70 || !(av >= 1e-5 && av < 1e15))
        return 0;
    int E = (int)floor(log10(av)); /* the decimal exponent, checked exactly below */
    for (int tries = 0; tries < 2; tries++) {
        u128 N = (u128)m * pow10_u128(16 - E);
        u128 q = N >> s;
        if (q < (u128)pow10_u64[16])
            E--;
        else if (q >= (u128)pow10_u64[17])
            E++;
        else
            break;
    }
    if (E < -5 || E > 14)
        return 0;
    for (int P = 15; P <= 17; P++) {
        int k = P - 1 - E;
        u128 tenk = pow10_u128(k), N = (u128)m * tenk;
        uint64_t q = (uint64_t)(N >> s);
        u128 r = N - ((u128)q << s), half = (u128)1 << (s - 1);
        if (r > half || (r == half && (q & 1)))
            q++;
        if (P < 17 && !reads_back(q, N, s, tenk, m))
            continue;
        int X = E;
        if (q == pow10_u64[P]) { /* rounded up to the next power of ten */
            q = pow10_u64[P - 1];
            X++;
        }
        layout_g(buf, (int)(bits >> 63), q, P, X);
        return 1;
    }
    return 0;
}

char *bract_format_double(char *buf, double v)
{
    if (isnan(v)) {
        strcpy(buf, "n/a");
        return buf;
    }
    if (isinf(v)) {
        strcpy(buf, v > 0 ? "inf" : "-inf");
        return buf;
    }
    if (v == 0) {
        strcpy(buf, signbit(v) ? "-0" : "0");
        return buf;
    }
    if (format_fast(buf, v))
        return buf;
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, 32, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    return buf;
}

/* ---- writing ---- */

struct bract_tsv_writer {
    bract_outfile *of;
    FILE *fp;
    size_t ncols, incol;
    size_t row;
    int bad_row; /* a row with the wrong number of cells was written */
    int started; /* a cell has been written */
};

int bract_tsv_open(const char *path, int force, size_t ncols, const char *const *colnames,
                   bract_tsv_writer **out)
{
    *out = NULL;
    bract_tsv_writer *w = bract_xcalloc(1, sizeof *w, "a TSV writer");
    if (!w)
        return BRACT_ENOMEM;
    int rc = bract_outfile_open(path, force, &w->of);
    if (rc) {
        free(w);
        return rc;
    }
    w->fp = bract_outfile_stream(w->of);
    if (!w->fp) {
        bract_outfile_abort(w->of);
        free(w);
        return BRACT_EIO;
    }
    w->ncols = ncols;
    for (size_t c = 0; c < ncols; c++)
        bract_tsv_str(w, colnames[c]);
    bract_tsv_end_row(w);
    w->row = 0;
    *out = w;
    return BRACT_OK;
}

int bract_tsv_needs_quotes(const char *s) { return s[0] == '"'; }

void bract_tsv_str(bract_tsv_writer *w, const char *s)
{
    if (w->incol++)
        fputc('\t', w->fp);
    /* the quoting rule of table.h: a cell that starts with a quote is
     * quoted, so that the reader gives it back; a tab or line break inside
     * a cell would break the table: spaces.  Two more cells are quoted so
     * that they survive the reader: the empty cell of a one-column table
     * (else a blank line, which the reader skips), and a first cell that
     * starts with a byte-order mark (which the reader strips). */
    int quote = bract_tsv_needs_quotes(s) || (w->ncols == 1 && !*s) ||
                (!w->started && strncmp(s, "\xEF\xBB\xBF", 3) == 0);
    w->started = 1;
    if (quote)
        fputc('"', w->fp);
    /* runs of ordinary bytes in one write each */
    const char *special = quote ? "\t\n\r\"" : "\t\n\r";
    while (*s) {
        size_t n = strcspn(s, special);
        if (n)
            fwrite(s, 1, n, w->fp);
        s += n;
        if (!*s)
            break;
        if (*s == '"') {
            fputc('"', w->fp);
            fputc('"', w->fp);
        } else {
            fputc(' ', w->fp);
        }
        s++;
    }
    if (quote)
        fputc('"', w->fp);
}

void bract_tsv_double(bract_tsv_writer *w, double v)
{
    char buf[32];
    bract_tsv_str(w, bract_format_double(buf, v));
}

void bract_tsv_long(bract_tsv_writer *w, long long v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", v);
    bract_tsv_str(w, buf);
}

void bract_tsv_end_row(bract_tsv_writer *w)
{
    if (w->incol != w->ncols)
        w->bad_row = 1;
    fputc('\n', w->fp);
    w->incol = 0;
    w->row++;
}

int bract_tsv_commit(bract_tsv_writer *w)
{
    if (w->bad_row) {
        bract_tsv_abort(w);
        return bract_error(BRACT_EINVAL, "internal error: a TSV row had the wrong number of cells");
    }
    int rc = bract_outfile_commit(w->of);
    free(w);
    return rc;
}

void bract_tsv_abort(bract_tsv_writer *w)
{
    if (!w)
        return;
    bract_outfile_abort(w->of);
    free(w);
}
