/* Unit tests of bract/table.h: TSV/CSV parsing, typed access, errors,
 * writing. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

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
    ck_assert(bract_cell_missing(bract_table_cell(t, 1, 1)));
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
    ck_assert_str_eq(bract_format_double(buf, 0.1), "0.1");
    ck_assert_str_eq(bract_format_double(buf, -2.5), "-2.5");
    ck_assert_str_eq(bract_format_double(buf, NAN), "n/a");
    ck_assert_str_eq(bract_format_double(buf, -INFINITY), "-inf");
    ck_assert_str_eq(bract_format_double(buf, 1e300), "1e+300");
    double hard[] = {1.0 / 3.0, 2.0 / 3.0, 0.1 + 0.2, 5e-324, 1.7976931348623157e308,
                     0.4912104915, -1234567.125};
    for (size_t i = 0; i < sizeof hard / sizeof *hard; i++) {
        bract_format_double(buf, hard[i]);
        ck_assert_msg(strtod(buf, NULL) == hard[i], "%s does not read back", buf);
    }
}
END_TEST

/* What the tables held before the fast path: the fewest of 15, 16, 17
 * digits (printf's %g) that strtod reads back. */
static const char *format_reference(char *buf, double v)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, 32, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    return buf;
}

static void same_as_printf(double v)
{
    char got[32], want[32];
    bract_format_double(got, v);
    format_reference(want, v);
    ck_assert_msg(strcmp(got, want) == 0, "%a: formatted %s, printf gives %s", v, got, want);
}

/* The fast formatter gives printf's bytes: random doubles of every
 * magnitude around its domain (1e-5 .. 1e15), correlations, the neighbours
 * of powers of ten and two, short decimals and halfway cases. */
START_TEST(format_double_as_printf)
{
    bract_rng r;
    bract_rng_init(&r, 7, 0, 0);
    for (int i = 0; i < 200000; i++) {
        double e = -8 + 26 * bract_rng_uniform(&r), v = pow(10, e) * (1 + bract_rng_uniform(&r));
        same_as_printf(i & 1 ? -v : v);
        same_as_printf(2 * bract_rng_uniform(&r) - 1);
        uint64_t bits = bract_rng_u64(&r);
        double d;
        memcpy(&d, &bits, sizeof d);
        if (isfinite(d) && d != 0)
            same_as_printf(d);
    }
    for (int k = -7; k <= 16; k++) {
        double p = pow(10, k), v = p;
        for (int j = 0; j < 40; j++, v = nextafter(v, 0))
            same_as_printf(v);
        v = p;
        for (int j = 0; j < 40; j++, v = nextafter(v, INFINITY))
            same_as_printf(v);
    }
    for (int k = -20; k <= 52; k++) {
        double p = ldexp(1, k);
        same_as_printf(p);
        same_as_printf(nextafter(p, 0));
        same_as_printf(nextafter(p, INFINITY));
        same_as_printf(p * 1.5);
    }
    for (int i = 1; i < 20000; i++) {
        same_as_printf(i / 1000.0);
        same_as_printf(i / 7.0);
        same_as_printf(i * 0.5 + 0.25);
        same_as_printf((double)i * 1e10 + 0.5);
        same_as_printf(1 - 1.0 / i);
    }
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
    tcase_add_test(tc, format_double_as_printf);
    tcase_add_test(tc, write_and_read_back);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(table_suite()); }
