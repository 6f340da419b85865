/* Delimited text tables: TSV/CSV reading with quoting, typed access, TSV
 * writing. */
#include "base/internal.h"
#include "base/text_internal.h"

#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "bract/tsv.h"

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

int bract_table_cell_missing(const char *s)
{
    return s[0] == '\0' || strcmp(s, "n/a") == 0 || strcmp(s, "NA") == 0 ||
           strcmp(s, "nan") == 0 || strcmp(s, "NaN") == 0 || strcmp(s, "N/A") == 0;
}

int bract_table_label_missing(const char *s) { return s[0] == '\0' || strcmp(s, "n/a") == 0; }

int bract_table_parse_double(const char *s, double *v)
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
    /* most tables are ASCII: eight bytes at a time, none NUL or >= 0x80
     * (a zero byte b has (b - 1) & ~b & 0x80 set); the line-counting loop
     * below from the first block that is not */
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    size_t clean = 0;
    while (clean + 8 <= len) {
        uint64_t v;
        memcpy(&v, u + clean, 8);
        if (((v - ones) & ~v & highs) | (v & highs))
            break;
        clean += 8;
    }
    if (clean + 8 > len) {
        while (clean < len && u[clean] && u[clean] < 0x80)
            clean++;
        if (clean == len)
            return BRACT_OK;
    }
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

/* The state of one parse: the text, the position, and the fields copied
 * (unquoted, NUL-terminated) into the table's own buffer. */
typedef struct {
    const char *name, *text;
    size_t len, i, lineno;
    char delim;
    char *o;          /* the table's text buffer */
    size_t w;         /* bytes written to it */
    field_list f;     /* start of every field in o */
    size_t *rowline;  /* line of each record, header included */
    size_t *rowfields; /* fields per record */
    size_t nrow, rowcap;
    unsigned char stop[256]; /* 1 for the bytes that can end a field */
} table_scan;

/* A quoted field from its opening quote: "" is one quote; delimiters and
 * line breaks inside belong to it; after the closing quote comes a
 * delimiter, a line end or the end. */
static int scan_quoted(table_scan *s, size_t nf)
{
    const char *text = s->text;
    size_t qline = s->lineno;
    s->i++;
    for (;;) {
        if (s->i >= s->len)
            return bract_error(BRACT_EFORMAT, "%s:%zu: a quoted field is never closed", s->name,
                               qline);
        if (text[s->i] == '"') {
            if (s->i + 1 < s->len && text[s->i + 1] == '"') {
                s->o[s->w++] = '"';
                s->i += 2;
                continue;
            }
            s->i++;
            break;
        }
        if (text[s->i] == '\n')
            s->lineno++;
        s->o[s->w++] = text[s->i++];
    }
    if (s->i < s->len && text[s->i] != s->delim && text[s->i] != '\n' && text[s->i] != '\r')
        return bract_error(BRACT_EFORMAT, "%s:%zu: field %zu: text after a closing quote",
                           s->name, s->lineno, nf);
    return BRACT_OK;
}

/* One record (a line, or more when a quoted field holds line breaks):
 * its fields, and *nf their number. */
static int scan_record(table_scan *s, size_t *nf)
{
    const char *text = s->text;
    const size_t len = s->len;
    int rc;
    char end = '\0';
    *nf = 0;
    for (;;) {
        if ((rc = fields_push(&s->f, s->w)))
            return rc;
        ++*nf;
        if (s->i < len && text[s->i] == '"') {
            if ((rc = scan_quoted(s, *nf)))
                return rc;
        } else {
            /* the field runs to the delimiter or the line end (a CR counts
             * only before LF or at the end): found by table, copied whole */
            for (;;) {
                size_t j = s->i;
                while (j < len && !s->stop[(unsigned char)text[j]])
                    j++;
                memmove(s->o + s->w, text + s->i, j - s->i); /* may be in place */
                s->w += j - s->i;
                s->i = j;
                if (j < len && text[j] == '\r' && j + 1 < len && text[j + 1] != '\n') {
                    s->o[s->w++] = text[s->i++];
                    continue;
                }
                break;
            }
        }
        /* the byte that ended the field, read before the NUL goes in:
         * parsing in place (o == text), the NUL may land on it */
        end = s->i < len ? text[s->i] : '\0';
        s->o[s->w++] = '\0';
        if (end == s->delim) { /* end is NUL at the end of the text */
            s->i++;
            continue;
        }
        break;
    }
    if (end == '\r')
        s->i++;
    if (s->i < len && (end == '\n' || text[s->i] == '\n'))
        s->i++;
    s->lineno++;
    return BRACT_OK;
}

static int rows_push(table_scan *s, size_t line, size_t nf)
{
    if (s->nrow == s->rowcap) {
        size_t cap = s->rowcap ? 2 * s->rowcap : 256;
        size_t *a = bract_xrealloc(s->rowline, cap, sizeof *a, "table rows");
        if (!a)
            return BRACT_ENOMEM;
        s->rowline = a;
        size_t *b = bract_xrealloc(s->rowfields, cap, sizeof *b, "table rows");
        if (!b)
            return BRACT_ENOMEM;
        s->rowfields = b;
        s->rowcap = cap;
    }
    s->rowline[s->nrow] = line;
    s->rowfields[s->nrow] = nf;
    s->nrow++;
    return BRACT_OK;
}

/* Every record, blank lines skipped (also a lone \r). */
static int scan_records(table_scan *s)
{
    int rc;
    while (s->i < s->len) {
        const char *text = s->text;
        if (text[s->i] == '\n' ||
            (text[s->i] == '\r' && (s->i + 1 == s->len || text[s->i + 1] == '\n'))) {
            s->i += text[s->i] == '\r' ? 2 : 1;
            s->lineno++;
            continue;
        }
        size_t recline = s->lineno, nf;
        if ((rc = scan_record(s, &nf)) || (rc = rows_push(s, recline, nf)))
            return rc;
    }
    return BRACT_OK;
}

/* The header and the rows into t: every row as wide as the header, no
 * column name twice. */
static int table_fill(bract_table *t, const table_scan *s)
{
    const char *name = s->name;
    if (s->nrow == 0)
        return bract_error(BRACT_EFORMAT, "%s: empty file (expected a header row)", name);
    t->ncols = s->rowfields[0];
    t->nrows = s->nrow - 1;
    for (size_t r = 1; r < s->nrow; r++)
        if (s->rowfields[r] != t->ncols)
            return bract_error(BRACT_EFORMAT,
                               "%s:%zu: %zu field%s, expected %zu (the header has %zu columns)",
                               name, s->rowline[r], s->rowfields[r],
                               s->rowfields[r] == 1 ? "" : "s", t->ncols, t->ncols);
    t->colname = bract_xmalloc(t->ncols, sizeof *t->colname, "table columns");
    t->cell = bract_xmalloc(t->nrows * t->ncols + 1, sizeof *t->cell, "table cells");
    t->line = bract_xmalloc(t->nrows + 1, sizeof *t->line, "table lines");
    if (!t->colname || !t->cell || !t->line)
        return BRACT_ENOMEM;
    for (size_t c = 0; c < t->ncols; c++)
        t->colname[c] = s->o + s->f.start[c];
    for (size_t k = 0; k < t->nrows * t->ncols; k++)
        t->cell[k] = s->o + s->f.start[t->ncols + k];
    for (size_t r = 0; r < t->nrows; r++)
        t->line[r] = s->rowline[r + 1];
    for (size_t c = 0; c < t->ncols; c++)
        for (size_t d = 0; d < c; d++)
            if (strcmp(t->colname[c], t->colname[d]) == 0 && t->colname[c][0])
                return bract_error(BRACT_EFORMAT, "%s:%zu: column '%s' appears twice (columns "
                                   "%zu and %zu)", name, s->rowline[0], t->colname[c], d + 1,
                                   c + 1);
    return BRACT_OK;
}

/* An upper bound on the fields and the records of text (every field ends
 * at a delimiter, a line end or the end), so that their lists are sized
 * once: memchr runs far faster than the scan's reallocations. */
static size_t count_bytes(const char *text, size_t len, char c)
{
    size_t n = 0;
    for (const char *p = text, *e = text + len; (p = memchr(p, c, (size_t)(e - p))); p++)
        n++;
    return n;
}

static int scan_reserve(table_scan *s)
{
    size_t lines = count_bytes(s->text, s->len, '\n') + count_bytes(s->text, s->len, '\r') + 1;
    size_t fields = lines + count_bytes(s->text, s->len, s->delim);
    s->f.start = bract_xmalloc(fields, sizeof *s->f.start, "table fields");
    s->rowline = bract_xmalloc(lines, sizeof *s->rowline, "table rows");
    s->rowfields = bract_xmalloc(lines, sizeof *s->rowfields, "table rows");
    if (!s->f.start || !s->rowline || !s->rowfields)
        return BRACT_ENOMEM;
    s->f.cap = fields;
    s->rowcap = lines;
    return BRACT_OK;
}

/* Parse text[0..len) into a table whose fields are written to o (len + 1
 * bytes; o may be text itself, as a field never moves forward), which the
 * table then owns, also on failure. */
static int parse_into(const char *name, const char *text, size_t len, char *o,
                      bract_table **out)
{
    *out = NULL;
    if (len >= 3 && (unsigned char)text[0] == 0xEF && (unsigned char)text[1] == 0xBB &&
        (unsigned char)text[2] == 0xBF) {
        text += 3;
        len -= 3;
    }
    int rc = check_text(name, text, len);
    if (rc) {
        free(o);
        return rc;
    }
    bract_table *t = bract_xcalloc(1, sizeof *t, "a table");
    if (!t) {
        free(o);
        return BRACT_ENOMEM;
    }
    t->text_ = o;
    t->delim = choose_delim(name, text, len);
    t->path = bract_xstrdup(name);
    if (!t->path) {
        bract_table_free(t);
        return BRACT_ENOMEM;
    }
    table_scan s = {.name = name, .text = text, .len = len, .lineno = 1, .delim = t->delim,
                    .o = o};
    s.stop[(unsigned char)t->delim] = s.stop['\n'] = s.stop['\r'] = 1;
    if (!(rc = scan_reserve(&s)) && !(rc = scan_records(&s)))
        rc = table_fill(t, &s);
    free(s.f.start);
    free(s.rowline);
    free(s.rowfields);
    if (rc) {
        bract_table_free(t);
        return rc;
    }
    *out = t;
    return BRACT_OK;
}

int bract_table_parse(const char *name, const char *text, size_t len, bract_table **out)
{
    *out = NULL;
    char *o = bract_xmalloc(len + 1, 1, "table text");
    return o ? parse_into(name, text, len, o, out) : BRACT_ENOMEM;
}

int bract_table_read(const char *path, bract_table **out)
{
    *out = NULL;
    char *text;
    size_t len;
    int rc = bract_read_file(path, &text, &len);
    if (rc)
        return rc;
    /* parsed in place, no copy: the parser writes at most len + 1 bytes of
     * fields, never ahead of what it reads, and the file's buffer holds
     * len + 1 (NUL-terminated) */
    return parse_into(path, text, len, text, out);
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
    if (bract_table_cell_missing(s)) {
        *v = NAN;
        return BRACT_OK;
    }
    if (bract_table_parse_double(s, v))
        return cell_error(t, row, col, "a number");
    return BRACT_OK;
}

int bract_table_long(const bract_table *t, size_t row, size_t col, long *v)
{
    const char *s = bract_table_cell(t, row, col);
    double x;
    if (bract_table_cell_missing(s) || bract_table_parse_double(s, &x) || x != floor(x) || fabs(x) > 9e15)
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

/* ---- number formatting ---- */

char *bract_tsv_format_double(char *buf, double v)
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
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, 32, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    return buf;
}

void bract_tsv_format_doubles(const double *v, size_t n, char (*text)[32])
{
    int nth = n < 4096 || omp_in_parallel() ? 1 : bract_get_threads();
#pragma omp parallel for schedule(static) num_threads(nth) if (nth > 1)
    for (size_t i = 0; i < n; i++)
        bract_tsv_format_double(text[i], v[i]);
}

/* ---- writing ---- */

struct bract_tsv_writer {
    bract_output *of;
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
    int rc = bract_output_open(path, force, &w->of);
    if (rc) {
        free(w);
        return rc;
    }
    w->fp = bract_output_stream(w->of);
    if (!w->fp) {
        bract_output_abort(w->of);
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
    /* runs of ordinary bytes in one fwrite each (a table of a million
     * cells is mostly runs); the bytes that change, one at a time */
    const char *special = quote ? "\t\n\r\"" : "\t\n\r";
    for (;;) {
        size_t run = strcspn(s, special);
        if (run)
            fwrite(s, 1, run, w->fp);
        s += run;
        if (!*s)
            break;
        fputs(*s++ == '"' ? "\"\"" : " ", w->fp);
    }
    if (quote)
        fputc('"', w->fp);
}

void bract_tsv_double(bract_tsv_writer *w, double v)
{
    char buf[32];
    bract_tsv_str(w, bract_tsv_format_double(buf, v));
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
    int rc = bract_output_commit(w->of);
    free(w);
    return rc;
}

void bract_tsv_abort(bract_tsv_writer *w)
{
    if (!w)
        return;
    bract_output_abort(w->of);
    free(w);
}
