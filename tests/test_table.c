/* Unit tests of bract/table.h: TSV/CSV parsing, typed access, errors,
 * writing. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include "bract/tsv.h"

static char *tmp;
static void setup(void) { tmp = tu_tmpdir(); }
static void teardown(void)
{
    tu_rmtree(tmp);
    free(tmp);
}

static bract_table *parse(const char *name, const char *text)
{
    bract_table *t = NULL;
    int rc = bract_table_parse(name, text, strlen(text), &t);
    ck_assert_msg(rc == BRACT_OK, "%s", bract_last_error());
    return t;
}

START_TEST(tsv_basic)
{
    bract_table *t = parse("a.tsv", "condition\trun\tv0\ncat\t0\t1.5\n狗\t1\t-2e-3\n\n");
    ck_assert_int_eq(t->delim, '\t');
    ck_assert_int_eq(t->ncols, 3);
    ck_assert_int_eq(t->nrows, 2);
    ck_assert_str_eq(t->colname[2], "v0");
    ck_assert_str_eq(bract_table_cell(t, 1, 0), "狗");
    double x;
    ck_assert_int_eq(bract_table_double(t, 1, 2, &x), 0);
    ck_assert_double_eq(x, -2e-3);
    long r;
    ck_assert_int_eq(bract_table_long(t, 1, 1, &r), 0);
    ck_assert_int_eq(r, 1);
    ck_assert_int_eq(t->line[1], 3);
    bract_table_free(t);
}
END_TEST

START_TEST(csv_quotes_crlf_bom)
{
    const char *text = "\xEF\xBB\xBFword,\"note, with comma\",score\r\n"
                       "\"say \"\"hi\"\"\",\"two\nlines\",3\r\n"
                       "plain,,n/a\r\n";
    bract_table *t = parse("x.csv", text);
    ck_assert_int_eq(t->delim, ',');
    ck_assert_str_eq(t->colname[0], "word"); /* BOM skipped */
    ck_assert_str_eq(t->colname[1], "note, with comma");
    ck_assert_str_eq(bract_table_cell(t, 0, 0), "say \"hi\"");
    ck_assert_str_eq(bract_table_cell(t, 0, 1), "two\nlines");
    ck_assert_str_eq(bract_table_cell(t, 0, 2), "3"); /* no \r */
    ck_assert_int_eq(t->line[1], 4); /* the quoted newline counts */
    double x;
    ck_assert_int_eq(bract_table_double(t, 1, 2, &x), 0);
    ck_assert(isnan(x));
    ck_assert(bract_table_cell_missing(bract_table_cell(t, 1, 1)));
    bract_table_free(t);
}
END_TEST

START_TEST(delimiter_sniffed)
{
    bract_table *t = parse("noext", "a,b\n1,2\n");
    ck_assert_int_eq(t->delim, ',');
    bract_table_free(t);
    t = parse("noext", "a b\tc\n1\t2\n");
    ck_assert_int_eq(t->delim, '\t');
    ck_assert_str_eq(t->colname[0], "a b");
    bract_table_free(t);
}
END_TEST

START_TEST(gzipped_file)
{
    char *p = tu_join(tmp, "t.tsv.gz");
    gzFile f = gzopen(p, "wb");
    gzputs(f, "x\ty\n1\t2\n3\t4\n");
    gzclose(f);
    bract_table *t;
    ck_assert_int_eq(bract_table_read(p, &t), 0);
    ck_assert_int_eq(t->nrows, 2);
    double col[2];
    ck_assert_int_eq(bract_table_column(t, 1, col), 0);
    ck_assert_double_eq(col[1], 4);
    bract_table_free(t);
    free(p);
}
END_TEST

START_TEST(row_with_missing_column)
{
    bract_table *t;
    const char *text = "a\tb\tc\n1\t2\t3\n4\t5\n";
    ck_assert_int_eq(bract_table_parse("short.tsv", text, strlen(text), &t), BRACT_EFORMAT);
    ck_assert_ptr_null(t);
    ck_assert_error_has("short.tsv:3: 2 fields, expected 3 (the header has 3 columns)");
}
END_TEST

START_TEST(non_numeric_cell)
{
    bract_table *t = parse("ages.tsv", "id\tage\ns1\t31\ns2\tthirty\n");
    double x;
    ck_assert_int_eq(bract_table_double(t, 1, 1, &x), BRACT_EFORMAT);
    ck_assert_error_has("ages.tsv:3: column 2 ('age'): expected a number, found 'thirty'");
    ck_assert_int_eq(bract_table_column(t, 1, (double[2]){0}), BRACT_EFORMAT);
    long n;
    ck_assert_int_eq(bract_table_long(t, 0, 0, &n), BRACT_EFORMAT);
    ck_assert_error_has("expected an integer, found 's1'");
    bract_table_free(t);
    t = parse("r.tsv", "run\n1.5\n\n");
    ck_assert_int_eq(bract_table_long(t, 0, 0, &n), BRACT_EFORMAT);
    ck_assert_error_has("r.tsv:2: column 1 ('run'): expected an integer, found '1.5'");
    bract_table_free(t);
}
END_TEST

START_TEST(required_column_missing)
{
    bract_table *t = parse("c.tsv", "condition\tonset\nx\t1\n");
    size_t col;
    ck_assert_int_eq(bract_table_require(t, "run", &col), BRACT_EFORMAT);
    ck_assert_error_has("c.tsv: no column 'run' (the columns are 'condition', 'onset')");
    ck_assert_int_eq(bract_table_require(t, "onset", &col), 0);
    ck_assert_int_eq(col, 1);
    bract_table_free(t);
}
END_TEST

/* bract_table_read parses the file's buffer in place; bract_table_parse
 * copies.  Every shape of field end gives the same table both ways: the
 * first field ending at once, CRLF, lone CR inside a field and at the end,
 * quotes with delimiters and line breaks, "" inside quotes, a BOM, empty
 * fields, blank lines, no final newline; and the same errors. */
START_TEST(read_in_place_equals_parse)
{
    static const char *const texts[] = {
        "a\tb\n1\t2\n",
        "a\tb\r\n1\t2\r\n\r\n3\t4",
        "\xEF\xBB\xBF\"x\",\"y\"\r\n\"1,5\",\"two\r\nlines\"\n\"\"\"q\"\"\",\r\n",
        "a,b\n\n\n,\n\"\",\"\"\n",
        "k\tv\nab\rcd\t1\r",
        "one\n\"only\"",
        "c1\tc2\tc3\n\t\t\n x \t\"\\\"\t\"\"\"\"\n",
        "a,b\n\"never closed,1\n",
        "a\tb\ta\n1\t2\t3\n",
        "a\tb\n1\t2\t3\n",
    };
    for (size_t k = 0; k < sizeof texts / sizeof *texts; k++) {
        const char *name = strchr(texts[k], ',') ? "t.csv" : "t.tsv";
        char *path = tu_join(tmp, name);
        tu_write(path, texts[k]);
        bract_table *a = NULL, *b = NULL;
        int ra = bract_table_parse(path, texts[k], strlen(texts[k]), &a);
        char ea[512];
        snprintf(ea, sizeof ea, "%s", ra ? bract_last_error() : "");
        int rb = bract_table_read(path, &b);
        ck_assert_msg(ra == rb, "text %zu: %d vs %d", k, ra, rb);
        if (ra) {
            ck_assert_str_eq(bract_last_error(), ea);
        } else {
            ck_assert_uint_eq(a->ncols, b->ncols);
            ck_assert_uint_eq(a->nrows, b->nrows);
            for (size_t c = 0; c < a->ncols; c++)
                ck_assert_str_eq(a->colname[c], b->colname[c]);
            for (size_t r = 0; r < a->nrows; r++) {
                ck_assert_uint_eq(a->line[r], b->line[r]);
                for (size_t c = 0; c < a->ncols; c++)
                    ck_assert_str_eq(bract_table_cell(a, r, c), bract_table_cell(b, r, c));
            }
        }
        bract_table_free(a);
        bract_table_free(b);
        unlink(path);
        free(path);
    }
    /* the values of the texts above, spot-checked: parsing is right too */
    bract_table *t = parse("t.csv", texts[2]);
    ck_assert_str_eq(t->colname[0], "x");
    ck_assert_str_eq(bract_table_cell(t, 0, 0), "1,5");
    ck_assert_str_eq(bract_table_cell(t, 0, 1), "two\r\nlines");
    ck_assert_str_eq(bract_table_cell(t, 1, 0), "\"q\"");
    ck_assert_str_eq(bract_table_cell(t, 1, 1), "");
    bract_table_free(t);
    t = parse("t.tsv", texts[4]);
    ck_assert_uint_eq(t->nrows, 1);
    ck_assert_str_eq(bract_table_cell(t, 0, 0), "ab\rcd");
    ck_assert_str_eq(bract_table_cell(t, 0, 1), "1");
    bract_table_free(t);
}
END_TEST

START_TEST(bad_tables)
{
    bract_table *t;
    ck_assert_int_eq(bract_table_parse("e.tsv", "", 0, &t), BRACT_EFORMAT);
    ck_assert_error_has("e.tsv: empty file");
    const char *dup = "a\tb\ta\n1\t2\t3\n";
    ck_assert_int_eq(bract_table_parse("d.tsv", dup, strlen(dup), &t), BRACT_EFORMAT);
    ck_assert_error_has("column 'a' appears twice");
    const char *open = "a,b\n\"never closed,1\n";
    ck_assert_int_eq(bract_table_parse("q.csv", open, strlen(open), &t), BRACT_EFORMAT);
    ck_assert_error_has("q.csv:2: a quoted field is never closed");
    ck_assert_int_eq(bract_table_read("/nonexistent/x.tsv", &t), BRACT_EIO);
    ck_assert_error_has("/nonexistent/x.tsv: cannot open");
}
END_TEST

START_TEST(format_double_round_trips)
{
    char buf[32];
    ck_assert_str_eq(bract_tsv_format_double(buf, 0.1), "0.1");
    ck_assert_str_eq(bract_tsv_format_double(buf, -2.5), "-2.5");
    ck_assert_str_eq(bract_tsv_format_double(buf, NAN), "n/a");
    ck_assert_str_eq(bract_tsv_format_double(buf, -INFINITY), "-inf");
    ck_assert_str_eq(bract_tsv_format_double(buf, 1e300), "1e+300");
    double hard[] = {1.0 / 3.0, 2.0 / 3.0, 0.1 + 0.2, 5e-324, 1.7976931348623157e308,
                     0.4912104915, -1234567.125};
    for (size_t i = 0; i < sizeof hard / sizeof *hard; i++) {
        bract_tsv_format_double(buf, hard[i]);
        ck_assert_msg(strtod(buf, NULL) == hard[i], "%s does not read back", buf);
    }
}
END_TEST

/* The bulk formatter (threads) gives the text of one at a time. */
START_TEST(format_doubles_equals_one_by_one)
{
    size_t n = 20011;
    double *v = malloc(n * sizeof *v);
    char(*text)[32] = malloc(n * sizeof *text);
    for (size_t i = 0; i < n; i++)
        v[i] = i % 97 == 0 ? NAN : i % 89 == 0 ? -INFINITY : sin((double)i) * pow(10, (double)(i % 13) - 6);
    int threads = bract_get_threads();
    bract_set_threads(2);
    bract_tsv_format_doubles(v, n, text);
    bract_set_threads(threads);
    char buf[32];
    for (size_t i = 0; i < n; i++)
        ck_assert_str_eq(text[i], bract_tsv_format_double(buf, v[i]));
    free(v);
    free(text);
}
END_TEST

START_TEST(write_and_read_back)
{
    char *p = tu_join(tmp, "out.tsv");
    const char *cols[] = {"region", "r", "n"};
    bract_tsv_writer *w;
    ck_assert_int_eq(bract_tsv_open(p, 0, 3, cols, &w), 0);
    bract_tsv_str(w, "V1 left\tx"); /* a tab inside a cell must not split it */
    bract_tsv_double(w, 1.0 / 3.0);
    bract_tsv_long(w, 42);
    bract_tsv_end_row(w);
    bract_tsv_str(w, "IFG");
    bract_tsv_double(w, NAN);
    bract_tsv_long(w, -1);
    bract_tsv_end_row(w);
    ck_assert(!tu_exists(p)); /* nothing in place before commit */
    ck_assert_int_eq(bract_tsv_commit(w), 0);
    bract_table *t;
    ck_assert_int_eq(bract_table_read(p, &t), 0);
    ck_assert_int_eq(t->nrows, 2);
    ck_assert_str_eq(bract_table_cell(t, 0, 0), "V1 left x");
    double x;
    bract_table_double(t, 0, 1, &x);
    ck_assert(x == 1.0 / 3.0);
    ck_assert_str_eq(bract_table_cell(t, 1, 1), "n/a");
    bract_table_free(t);
    /* refused without force, no temporaries left */
    ck_assert_int_eq(bract_tsv_open(p, 0, 3, cols, &w), BRACT_EEXIST);
    ck_assert_int_eq(bract_tsv_open(p, 1, 3, cols, &w), 0);
    bract_tsv_str(w, "only one cell");
    bract_tsv_end_row(w);
    ck_assert_int_eq(bract_tsv_commit(w), BRACT_EINVAL); /* wrong number of cells */
    t = NULL;
    ck_assert_int_eq(bract_table_read(p, &t), 0); /* the old file is intact */
    ck_assert_int_eq(t->nrows, 2);
    bract_table_free(t);
    ck_assert_int_eq(tu_count_entries(tmp), 1);
    free(p);
}
END_TEST

START_TEST(real_tables)
{
    bract_table *t;
    ck_assert_int_eq(bract_table_read(TESTDATA "/data/nitime-rest/fmri_timeseries.csv", &t), 0);
    ck_assert_int_eq(t->ncols, 31);
    ck_assert_int_eq(t->nrows, 250);
    ck_assert_str_eq(t->colname[0], "WM");
    bract_table_free(t);
    ck_assert_int_eq(bract_table_read(REFDATA "/rsa/patterns.tsv", &t), 0);
    ck_assert_int_eq(t->nrows, 36);
    ck_assert_int_eq(t->ncols, 32);
    bract_table_free(t);
}
END_TEST

static Suite *table_suite(void)
{
    Suite *s = suite_create("table");
    TCase *tc = tcase_create("read");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, tsv_basic);
    tcase_add_test(tc, csv_quotes_crlf_bom);
    tcase_add_test(tc, delimiter_sniffed);
    tcase_add_test(tc, gzipped_file);
    tcase_add_test(tc, real_tables);
    tcase_add_test(tc, read_in_place_equals_parse);
    suite_add_tcase(s, tc);
    tc = tcase_create("errors");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, row_with_missing_column);
    tcase_add_test(tc, non_numeric_cell);
    tcase_add_test(tc, required_column_missing);
    tcase_add_test(tc, bad_tables);
    suite_add_tcase(s, tc);
    tc = tcase_create("write");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, format_double_round_trips);
    tcase_add_test(tc, format_doubles_equals_one_by_one);
    tcase_add_test(tc, write_and_read_back);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(table_suite()); }
