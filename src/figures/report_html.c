/* The HTML report: escaping, number formats, tables, figures, notes. */
#include "figures/report_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

static void put_buf(rp_ctx *c, bract_buf *b, const char *s, size_t n)
{
    if (n && bract_buf_append(b, s, n))
        c->oom = 1;
}

void bract_rp_put(rp_ctx *c, const char *s) { put_buf(c, &c->body, s, strlen(s)); }

static void vputf(rp_ctx *c, bract_buf *b, const char *fmt, va_list ap)
{
    va_list aq;
    va_copy(aq, ap);
    int n = vsnprintf(NULL, 0, fmt, aq);
    va_end(aq);
    if (n < 0 || bract_buf_reserve(b, (size_t)n)) {
        c->oom = 1;
        return;
    }
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void bract_rp_putf(rp_ctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vputf(c, &c->body, fmt, ap);
    va_end(ap);
}

void bract_rp_buf_putf(rp_ctx *c, bract_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vputf(c, b, fmt, ap);
    va_end(ap);
}

void bract_rp_buf_esc(rp_ctx *c, bract_buf *b, const char *s)
{
    const char *run = s;
    for (const char *p = s; *p; p++) {
        const char *rep = NULL;
        switch (*p) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default: break;
        }
        if (rep) {
            put_buf(c, b, run, (size_t)(p - run));
            put_buf(c, b, rep, strlen(rep));
            run = p + 1;
        }
    }
    put_buf(c, b, run, strlen(run));
}

void bract_rp_esc(rp_ctx *c, const char *s) { bract_rp_buf_esc(c, &c->body, s); }

char *bract_rp_html(rp_ctx *c, const char *s)
{
    bract_buf b = {0};
    bract_rp_buf_esc(c, &b, s);
    return b.data ? b.data : bract_xstrdup("");
}

void bract_rp_plot_opts(const rp_ctx *c, bract_plot_opts *o)
{
    bract_plot_opts_defaults(o);
    o->format = BRACT_PLOT_PNG;
    o->dpi = c->o->dpi;
    o->alpha = c->o->alpha;
}

double bract_rp_cell_num(const bract_table *t, size_t row, long col)
{
    double v;
    if (col < 0 || bract_table_parse_double(bract_table_cell(t, row, (size_t)col), &v))
        return NAN;
    return v;
}

void bract_rp_from(rp_ctx *c, const char *dir)
{
    bract_rp_put(c, "From <code>");
    bract_rp_esc(c, dir);
    bract_rp_put(c, "/</code>: ");
}

/* ---- numbers ---- */

static void no_negative_zero(char *buf)
{
    /* "-0.000" reads as a sign that is not there */
    if (buf[0] != '-')
        return;
    for (const char *p = buf + 1; *p; p++)
        if (*p != '0' && *p != '.')
            return;
    memmove(buf, buf + 1, strlen(buf));
}

char *bract_rp_fmt(char *buf, double v, int kind)
{
    if (isnan(v))
        return strcpy(buf, "n/a");
    if (isinf(v))
        return strcpy(buf, v > 0 ? "inf" : "-inf");
    double a = fabs(v);
    switch (kind) {
    case RP_P:
        if (v == 0 || v == 1)
            snprintf(buf, 32, "%.0f", v);
        else if (a >= 0.001)
            snprintf(buf, 32, "%.3f", v);
        else
            snprintf(buf, 32, "%.1e", v);
        break;
    case RP_R:
        snprintf(buf, 32, "%.3f", v);
        break;
    case RP_STAT:
        snprintf(buf, 32, "%.2f", v);
        break;
    default:
        if (v == floor(v) && a < 1e15)
            snprintf(buf, 32, "%.0f", v);
        else if (a >= 1000 && a < 1e9)
            snprintf(buf, 32, "%.1f", v);
        else if (a >= 1e-3 && a < 1e9)
            snprintf(buf, 32, "%.4g", v);
        else
            snprintf(buf, 32, "%.3g", v);
        break;
    }
    no_negative_zero(buf);
    return buf;
}

int bract_rp_col_kind(const char *n)
{
    static const char *const r[] = {"r", "z", "rho", "ci_low", "ci_high", "noise_lower",
                                    "noise_upper", "fraction", "icc_3_1", "icc_3_k",
                                    "mean_pairwise_spearman", "r2", NULL};
    static const char *const stat[] = {"stat", "t", "peak_t", "tfce", "max_t", "peak_value",
                                       NULL};
    size_t len = strlen(n);
    if (strcmp(n, "p") == 0 || strncmp(n, "p_", 2) == 0 ||
        (len > 2 && strcmp(n + len - 2, "_p") == 0))
        return RP_P;
    for (size_t i = 0; r[i]; i++)
        if (strcmp(n, r[i]) == 0)
            return RP_R;
    for (size_t i = 0; stat[i]; i++)
        if (strcmp(n, stat[i]) == 0)
            return RP_STAT;
    return RP_GEN;
}

char *bract_rp_col_words(char *buf, const char *n)
{
    static const char *const words[][2] = {
        {"p_fdr", "p (FDR)"},          {"p_fwe", "p (FWE)"},
        {"p_perm", "p (permutation)"}, {"p_spatial", "p (spatial null)"},
        {"ci_low", "CI low"},          {"ci_high", "CI high"},
        {"n_subjects", "subjects"},    {"n_regions", "regions"},
        {"n_pairs", "pairs"},          {"n_samples", "samples"},
        {"npy_row", "row of windows.npy"},
        {"centre_s", "centre (s)"},    {"mean_fc", "mean FC"},
        {"sd_fc", "SD of FC"},         {"fc_variance", "variance of FC"},
        {"edge_std_mean", "mean SD of edges"},
        {"strength_mean", "mean strength"}, {"strength_std", "SD of strength"},
        {"mean_dwell_windows", "mean dwell (windows)"},
        {"mean_dwell_s", "mean dwell (s)"},
        {"fraction", "fraction of windows"},
        {"null_mean", "null mean"},    {"null_sd", "null SD"},
        {"tau_s", "timescale (s)"},    {"tau_mean_s", "mean timescale (s)"},
        {"tau_sd_s", "SD of timescale (s)"},
        {"rank_tau", "rank of timescale"}, {"rank_index", "rank of index"},
        {"icc_3_1", "ICC(3,1)"},       {"icc_3_k", "ICC(3,k)"},
        {"mean_pairwise_spearman", "mean pairwise Spearman"},
        {"region_a", "region A"},      {"region_b", "region B"},
        {"model_b", "model B"},        {"rdm", "region"},
        {"first_volume", "first volume"}, {"last_volume", "last volume"},
    };
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strcmp(n, words[i][0]) == 0) {
            snprintf(buf, 64, "%s", words[i][1]);
            return buf;
        }
    size_t k = 0;
    for (; n[k] && k < 63; k++)
        buf[k] = n[k] == '_' ? ' ' : n[k];
    buf[k] = '\0';
    return buf;
}

/* "sub-<label>" at s[i..]: the label's length, or 0. */
static size_t sub_at(const char *s, size_t i)
{
    if (strncmp(s + i, "sub-", 4) != 0 || (i > 0 && s[i - 1] != '/' && s[i - 1] != '_'))
        return 0;
    size_t k = 4;
    while ((s[i + k] >= 'a' && s[i + k] <= 'z') || (s[i + k] >= 'A' && s[i + k] <= 'Z') ||
           (s[i + k] >= '0' && s[i + k] <= '9'))
        k++;
    return k > 4 ? k : 0;
}

int bract_rp_subject_id(const char *s, char *buf, size_t len)
{
    const char *slash = strrchr(s, '/');
    size_t base = slash ? (size_t)(slash - s) + 1 : 0, n = strlen(s);
    buf[0] = '\0';
    /* the file name's last, else the directories' last */
    for (int pass = 0; pass < 2; pass++) {
        size_t lo = pass ? 0 : base, hi = pass ? base : n;
        for (size_t i = hi; i-- > lo;) {
            size_t k = sub_at(s, i);
            if (k && i + k <= hi) {
                snprintf(buf, len, "%.*s", (int)k, s + i);
                return 1;
            }
        }
    }
    return 0;
}

/* ---- structure ---- */

const char *bract_rp_heading(rp_ctx *c, int level, const char *slug, const char *title)
{
    char id[96];
    size_t k = 0;
    for (const char *p = slug; *p && k < 60; p++) {
        unsigned char ch = (unsigned char)*p;
        if ((ch | 32) >= 'a' && (ch | 32) <= 'z')
            id[k++] = (char)(ch | 32);
        else if (ch >= '0' && ch <= '9')
            id[k++] = (char)ch;
        else if (k && id[k - 1] != '-')
            id[k++] = '-';
    }
    while (k && id[k - 1] == '-')
        k--;
    if (!k)
        id[k++] = 's';
    id[k] = '\0';
    char uniq[128];
    snprintf(uniq, sizeof uniq, "%s", id);
    for (int n = 2;; n++) {
        int clash = 0;
        for (size_t i = 0; i < c->ntoc; i++)
            if (strcmp(c->toc[i].id, uniq) == 0)
                clash = 1;
        if (!clash)
            break;
        snprintf(uniq, sizeof uniq, "%s-%d", id, n);
    }
    rp_toc *t = bract_xrealloc(c->toc, c->ntoc + 1, sizeof *t, "the table of contents");
    if (!t) {
        c->oom = 1;
        return "";
    }
    c->toc = t;
    rp_toc *e = &c->toc[c->ntoc];
    e->id = bract_xstrdup(uniq);
    e->title = bract_xstrdup(title);
    e->level = level;
    if (!e->id || !e->title) {
        free(e->id);
        free(e->title);
        c->oom = 1;
        return "";
    }
    c->ntoc++;
    bract_rp_putf(c, "<h%d id=\"%s\">", level, e->id);
    bract_rp_esc(c, title);
    bract_rp_putf(c, "</h%d>\n", level);
    return e->id;
}

void bract_rp_note(rp_ctx *c, const char *where, const char *msg)
{
    bract_rp_put(c, "<p class=\"note\"><strong>Not shown: </strong>");
    bract_rp_esc(c, msg);
    bract_rp_put(c, "</p>\n");
    bract_warn("%s: %s", where, msg);
    c->info.notes++;
}

void bract_rp_note_missing(rp_ctx *c, const char *where, const rp_sidecar *s, const char *name)
{
    const char *slash = strrchr(s->rel, '/');
    char msg[1024];
    snprintf(msg, sizeof msg, "%.*s%s is missing (only its sidecar is there)",
             slash ? (int)(slash - s->rel + 1) : 0, s->rel, name);
    bract_rp_note(c, where, msg);
}

/* <img> of figure f at its drawn size (CSS pixels are 1/96 inch), the
 * image inline as base64. */
static void put_img(rp_ctx *c, const bract_plot_figure *f, const char *alt, gchar *b64)
{
    double inches = f->width / (72 * f->scale);
    double ratio = (double)f->height / (double)f->width;
    long w = lround(inches * 96), h = lround(inches * 96 * ratio);
    bract_rp_putf(c, "<img width=\"%ld\" height=\"%ld\" alt=\"", w, h);
    bract_rp_esc(c, alt);
    bract_rp_putf(c, "\" src=\"data:image/%s;base64,",
                  f->format == BRACT_PLOT_SVG ? "svg+xml" : "png");
    bract_rp_put(c, b64);
    bract_rp_put(c, "\">");
}

void bract_rp_figure(rp_ctx *c, const bract_plot_figure *f, const char *alt, const char *caption_html)
{
    gchar *b64 = g_base64_encode(f->data, f->len);
    if (!b64) {
        c->oom = 1;
        return;
    }
    bract_rp_put(c, "<figure class=\"fig\">");
    put_img(c, f, alt, b64);
    if (caption_html) {
        bract_rp_put(c, "<figcaption>");
        bract_rp_put(c, caption_html);
        bract_rp_put(c, "</figcaption>");
    }
    bract_rp_put(c, "</figure>\n");
    g_free(b64);
    c->info.figures++;
}

void bract_rp_figure_panel(rp_ctx *c, const bract_plot_figure *f, const char *alt)
{
    gchar *b64 = g_base64_encode(f->data, f->len);
    if (!b64) {
        c->oom = 1;
        return;
    }
    put_img(c, f, alt, b64);
    g_free(b64);
}

/* ---- tables ---- */

static void cell(rp_ctx *c, const char *text, int kind, int decimals)
{
    double v;
    if (bract_table_cell_missing(text)) {
        bract_rp_put(c, "<td class=\"na\">n/a</td>");
        return;
    }
    char id[64];
    if (kind == RP_SUBJECT && bract_rp_subject_id(text, id, sizeof id) && strcmp(id, text)) {
        bract_rp_put(c, "<td title=\"");
        bract_rp_esc(c, text);
        bract_rp_putf(c, "\">%s</td>", id);
        return;
    }
    if (kind == RP_TEXT || kind == RP_SUBJECT || bract_table_parse_double(text, &v)) {
        bract_rp_put(c, "<td>");
        bract_rp_esc(c, text);
        bract_rp_put(c, "</td>");
        return;
    }
    char buf[32];
    if (decimals >= 0 && isfinite(v)) {
        snprintf(buf, sizeof buf, "%.*f", decimals, v);
        no_negative_zero(buf);
    } else {
        bract_rp_fmt(buf, v, kind);
    }
    if (strcmp(buf, text) != 0) {
        bract_rp_put(c, "<td class=\"n\" title=\"");
        bract_rp_esc(c, text);
        bract_rp_putf(c, "\">%s</td>", buf);
    } else {
        bract_rp_putf(c, "<td class=\"n\">%s</td>", buf);
    }
}

static void interval_cell(rp_ctx *c, const char *a, const char *b, int kind)
{
    double x, y;
    if (bract_table_cell_missing(a) || bract_table_cell_missing(b) || bract_table_parse_double(a, &x) ||
        bract_table_parse_double(b, &y)) {
        bract_rp_put(c, "<td class=\"na\">n/a</td>");
        return;
    }
    char bx[32], by[32];
    bract_rp_put(c, "<td class=\"n\" title=\"");
    bract_rp_esc(c, a);
    bract_rp_put(c, ", ");
    bract_rp_esc(c, b);
    bract_rp_putf(c, "\">[%s, %s]</td>", bract_rp_fmt(bx, x, kind), bract_rp_fmt(by, y, kind));
}

typedef struct {
    long col, col2;
    const char *head;
    int kind;
    int decimals; /* RP_GEN columns: decimals that show the largest value to
                     four significant digits; -1: per cell */
    char words[64]; /* the head in words, when the table's columns are its names */
} tcol;

/* Decimals of a column of numbers: four significant digits of the largest
 * magnitude, the same for every cell so that the points line up; -1 when
 * the column holds only integers or spans so many orders of magnitude that
 * small values would lose their digits. */
static int column_decimals(const bract_table *t, long col, const size_t *rows, size_t n)
{
    double big = 0, small = INFINITY;
    int frac = 0;
    for (size_t i = 0; i < n; i++) {
        double v;
        if (bract_table_parse_double(bract_table_cell(t, rows ? rows[i] : i, (size_t)col), &v) ||
            !isfinite(v))
            continue;
        double a = fabs(v);
        big = fmax(big, a);
        if (a > 0)
            small = fmin(small, a);
        frac |= v != floor(v);
    }
    if (!frac || !(big > 0))
        return -1;
    int d = 3 - (int)floor(log10(big));
    if (d < 0)
        d = 0;
    if (d > 6 || small < 10 * pow(10, -d))
        return -1;
    return d;
}

static void table_rows(rp_ctx *c, const bract_table *t, const tcol *tc, size_t nc,
                       const size_t *rows, size_t from, size_t to, long sig)
{
    for (size_t i = from; i < to; i++) {
        size_t r = rows ? rows[i] : i;
        double p;
        int is_sig = sig >= 0 && !bract_table_parse_double(bract_table_cell(t, r, (size_t)sig), &p) &&
                     p <= c->o->alpha;
        bract_rp_put(c, is_sig ? "<tr class=\"sig\">" : "<tr>");
        for (size_t k = 0; k < nc; k++) {
            if (tc[k].col2 >= 0)
                interval_cell(c, bract_table_cell(t, r, (size_t)tc[k].col),
                              bract_table_cell(t, r, (size_t)tc[k].col2), tc[k].kind);
            else
                cell(c, bract_table_cell(t, r, (size_t)tc[k].col), tc[k].kind, tc[k].decimals);
        }
        bract_rp_put(c, "</tr>\n");
    }
}

static void table_head(rp_ctx *c, const tcol *tc, size_t nc)
{
    bract_rp_put(c, "<thead><tr>");
    for (size_t k = 0; k < nc; k++) {
        bract_rp_put(c, tc[k].kind == RP_TEXT || tc[k].kind == RP_SUBJECT ? "<th>"
                                                                         : "<th class=\"n\">");
        bract_rp_esc(c, tc[k].head);
        bract_rp_put(c, "</th>");
    }
    bract_rp_put(c, "</tr></thead>\n");
}

void bract_rp_table(rp_ctx *c, const bract_table *t, const rp_tcol *cols, size_t ncols,
              const size_t *rows, size_t nrows, const char *sigcol, const char *caption)
{
    size_t want = cols ? ncols : t->ncols;
    tcol *tc = bract_xcalloc(want ? want : 1, sizeof *tc, "table columns");
    if (!tc) {
        c->oom = 1;
        return;
    }
    size_t nc = 0;
    for (size_t k = 0; k < want; k++) {
        long col = cols ? bract_table_find(t, cols[k].col) : (long)k;
        long col2 = cols && cols[k].col2 ? bract_table_find(t, cols[k].col2) : -1;
        if (col < 0 || (cols && cols[k].col2 && col2 < 0))
            continue;
        const char *name = t->colname[col];
        int kind = cols && cols[k].kind ? cols[k].kind
                   : strcmp(name, "subject") == 0 ? RP_SUBJECT
                                                  : bract_rp_col_kind(name);
        /* a column without one number is text (left-aligned) */
        if (kind != RP_TEXT && kind != RP_SUBJECT) {
            int any = 0, text = 0;
            size_t n = rows ? nrows : t->nrows;
            for (size_t i = 0; i < n; i++) {
                const char *s = bract_table_cell(t, rows ? rows[i] : i, (size_t)col);
                double v;
                if (bract_table_cell_missing(s))
                    continue;
                if (bract_table_parse_double(s, &v))
                    text = 1;
                else
                    any = 1;
            }
            if (text || !any)
                kind = RP_TEXT;
        }
        tc[nc].col = col;
        tc[nc].col2 = col2;
        tc[nc].head = cols && cols[k].head ? cols[k].head
                                           : bract_rp_col_words(tc[nc].words, name);
        tc[nc].kind = kind;
        tc[nc].decimals = kind == RP_GEN && col2 < 0
                              ? column_decimals(t, col, rows, rows ? nrows : t->nrows) : -1;
        nc++;
    }
    long sig = sigcol ? bract_table_find(t, sigcol) : -1;
    size_t n = rows ? nrows : t->nrows;
    size_t shown = n > c->o->max_rows + c->o->max_rows / 4 ? c->o->max_rows : n;
    if (caption) {
        bract_rp_put(c, "<p class=\"cap\">");
        bract_rp_put(c, caption);
        bract_rp_put(c, "</p>");
    }
    bract_rp_put(c, "<div class=\"tablewrap\"><table>\n");
    table_head(c, tc, nc);
    bract_rp_put(c, "<tbody>\n");
    table_rows(c, t, tc, nc, rows, 0, shown, sig);
    bract_rp_put(c, "</tbody></table></div>\n");
    if (shown < n) {
        bract_rp_putf(c, "<details class=\"more\"><summary>%zu more rows</summary>"
                   "<div class=\"tablewrap\"><table>\n", n - shown);
        table_head(c, tc, nc);
        bract_rp_put(c, "<tbody>\n");
        table_rows(c, t, tc, nc, rows, shown, n, sig);
        bract_rp_put(c, "</tbody></table></div></details>\n");
    }
    free(tc);
}

/* Compact JSON text of a value, cut after 600 characters. */
static void json_text(rp_ctx *c, json_object *v)
{
    const char *s =
        json_object_to_json_string_ext(v, JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
    if (!s)
        return;
    size_t len = strlen(s);
    bract_rp_put(c, "<code>");
    if (len > 600) {
        char *cut = bract_xmalloc(601, 1, "JSON text");
        if (cut) {
            memcpy(cut, s, 600);
            cut[600] = '\0';
            bract_rp_esc(c, cut);
            free(cut);
        }
        bract_rp_putf(c, " \xe2\x80\xa6</code> <span class=\"muted\">(%zu characters)</span>", len);
    } else {
        bract_rp_esc(c, s);
        bract_rp_put(c, "</code>");
    }
}

static void json_value(rp_ctx *c, json_object *v)
{
    char buf[32];
    switch (json_object_get_type(v)) {
    case json_type_null: bract_rp_put(c, "<span class=\"muted\">none</span>"); break;
    case json_type_boolean: bract_rp_put(c, json_object_get_boolean(v) ? "yes" : "no"); break;
    case json_type_int: bract_rp_putf(c, "%lld", (long long)json_object_get_int64(v)); break;
    case json_type_double: {
        double d = json_object_get_double(v);
        bract_rp_fmt(buf, d, RP_GEN);
        const char *raw = json_object_to_json_string(v);
        if (raw && strcmp(raw, buf) != 0) {
            bract_rp_put(c, "<span title=\"");
            bract_rp_esc(c, raw);
            bract_rp_putf(c, "\">%s</span>", buf);
        } else {
            bract_rp_put(c, buf);
        }
        break;
    }
    case json_type_string: bract_rp_esc(c, json_object_get_string(v)); break;
    case json_type_array: {
        size_t n = json_object_array_length(v), strings = 1;
        for (size_t i = 0; i < n; i++)
            if (!json_object_is_type(json_object_array_get_idx(v, i), json_type_string))
                strings = 0;
        if (!strings) {
            json_text(c, v);
            break;
        }
        size_t show = n > 12 ? 10 : n;
        for (size_t i = 0; i < show; i++) {
            if (i)
                bract_rp_put(c, "<br>");
            bract_rp_esc(c, json_object_get_string(json_object_array_get_idx(v, i)));
        }
        if (show < n)
            bract_rp_putf(c, "<br><span class=\"muted\">and %zu more</span>", n - show);
        if (n == 0)
            bract_rp_put(c, "<span class=\"muted\">none</span>");
        break;
    }
    case json_type_object: json_text(c, v); break;
    }
}

void bract_rp_json_table(rp_ctx *c, json_object *o)
{
    if (!o || !json_object_is_type(o, json_type_object) || json_object_object_length(o) == 0) {
        bract_rp_put(c, "<p class=\"muted\">none</p>\n");
        return;
    }
    bract_rp_put(c, "<table class=\"kv\"><tbody>\n");
    json_object_object_foreach(o, key, val)
    {
        bract_rp_put(c, "<tr><th>");
        bract_rp_esc(c, key);
        bract_rp_put(c, "</th><td>");
        json_value(c, val);
        bract_rp_put(c, "</td></tr>\n");
    }
    bract_rp_put(c, "</tbody></table>\n");
}

bract_table *bract_rp_read_table(rp_ctx *c, const char *path, const char *where)
{
    bract_table *t = NULL;
    if (bract_table_read(path, &t)) {
        bract_rp_note(c, where, bract_last_error());
        return NULL;
    }
    if (t->nrows == 0) {
        char msg[512];
        char *rel = bract_rp_rel(c, path);
        snprintf(msg, sizeof msg, "%s: the table has no rows", rel ? rel : path);
        free(rel);
        bract_rp_note(c, where, msg);
        bract_table_free(t);
        return NULL;
    }
    return t;
}
