/* Unit tests of bract/events.h: reading BIDS events and labelling volumes
 * by the rule of the header, worked out by hand for each case. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static char *tmp;
static void setup(void) { tmp = tu_tmpdir(); }
static void teardown(void)
{
    tu_rmtree(tmp);
    free(tmp);
}

static bract_events *events_of(const char *text, const char *column)
{
    char *p = tu_join(tmp, "events.tsv");
    tu_write(p, text);
    bract_events *e = NULL;
    ck_assert_msg(bract_events_read(p, column, &e) == 0, "%s", bract_last_error());
    free(p);
    return e;
}

/* The labels of nvol volumes as one string, '.' for none, the first byte
 * of each label otherwise. */
static void labels_of(const bract_events *e, size_t nvol, double tr, double shift, int middle,
                      char *out)
{
    const char *lab[64];
    bract_events_timing t = {tr, shift, middle};
    ck_assert_msg(bract_events_label_volumes(e, nvol, &t, lab, NULL, NULL) == 0, "%s",
                  bract_last_error());
    for (size_t i = 0; i < nvol; i++)
        out[i] = lab[i] ? lab[i][0] : '.';
    out[nvol] = '\0';
}

START_TEST(blocks_and_impulses)
{
    /* TR 2: volume i at 2i s.  Block a [2, 7): t = 2, 4, 6 -> volumes 1-3;
     * impulse b at 9 s falls in volume 4 [8, 10); impulse c at exactly 12 s
     * is volume 6; block d [14.5, 16): t = 16 excluded, so nothing. */
    bract_events *e = events_of("onset\tduration\ttrial_type\n2\t5\ta\n9\t0\tb\n12\tn/a\tc\n"
                                "14.5\t1.5\td\n",
                                NULL);
    ck_assert_uint_eq(e->n, 4);
    ck_assert_double_eq(e->ev[2].duration, 0); /* n/a: an impulse */
    char s[65];
    labels_of(e, 10, 2, 0, 0, s);
    ck_assert_str_eq(s, ".aaab.c...");
    /* middle of the acquisition: t = 2i + 1; a covers t = 3, 5 (volumes 1,
     * 2); b at 9: the volume with t_i <= 9 < t_i + 2 is t = 9, i 4; c at
     * 12: t = 11, i 5; d [14.5, 16): t = 15, i 7 */
    labels_of(e, 10, 2, 0, 1, s);
    ck_assert_str_eq(s, ".aa.bc.d..");
    /* a shift of 4 s: t = 2i - 4; a [2, 7): i = 3, 4, 5; b: i 6; c: t 12 at
     * i 8; d [14.5, 16): t = 16 at i 10 excluded, so none */
    labels_of(e, 12, 2, 4, 0, s);
    ck_assert_str_eq(s, "...aaab.c...");
    bract_events_free(e);
}
END_TEST

START_TEST(boundaries_in_seconds)
{
    /* TR 0.1: 0.3 / 0.1 is 2.9999999999999996 and 0.1 * 3 is
     * 0.30000000000000004, so a division alone would misplace edges.  The
     * rule is onset <= t_i = i * 0.1 < onset + duration, in doubles. */
    bract_events *e = events_of("onset\tduration\tword\n0.3\t0.3\tcat\n0.7\t0.2\tdog\n", "word");
    char s[65];
    const char *lab[12];
    bract_events_timing t = {0.1, 0, 0};
    ck_assert_int_eq(bract_events_label_volumes(e, 12, &t, lab, NULL, NULL), 0);
    for (size_t i = 0; i < 12; i++) {
        double ti = (double)i * 0.1;
        const char *want = ti >= 0.3 && ti < 0.3 + 0.3 ? "cat"
                           : ti >= 0.7 && ti < 0.7 + 0.2 ? "dog"
                                                          : NULL;
        if (want)
            ck_assert_msg(lab[i] && strcmp(lab[i], want) == 0, "volume %zu: %s, want %s", i,
                          lab[i] ? lab[i] : "none", want);
        else
            ck_assert_msg(!lab[i], "volume %zu: %s, want none", i, lab[i]);
    }
    labels_of(e, 12, 0.1, 0, 0, s);
    ck_assert_str_eq(s, "...ccc.dd...");
    bract_events_free(e);
}
END_TEST

START_TEST(edges_of_the_run)
{
    /* an impulse before the first volume labels nothing; a block that began
     * before it labels the volumes it still covers; events after the last
     * volume are counted */
    bract_events *e = events_of("onset\tduration\ttrial_type\n-3\t0\tx\n-1\t3\ty\n"
                                "9\t4\tz\n20\t1\tw\n30\t0\tv\nn/a\t1\tn/a\n",
                                NULL);
    ck_assert_uint_eq(e->n, 5);       /* the n/a label is skipped... */
    ck_assert_uint_eq(e->nskipped, 1); /* ...and counted */
    const char *lab[6];
    size_t nl, late;
    bract_events_timing t = {2, 0, 0};
    ck_assert_int_eq(bract_events_label_volumes(e, 6, &t, lab, &nl, &late), 0);
    /* y [-1, 2): t = 0 -> volume 0; z [9, 13): t = 10 -> volume 5 */
    ck_assert_str_eq(lab[0], "y");
    ck_assert_ptr_null(lab[1]);
    ck_assert_str_eq(lab[5], "z");
    ck_assert_uint_eq(nl, 2);
    ck_assert_uint_eq(late, 2); /* w and v begin after 12 s */
    bract_events_free(e);
}
END_TEST

START_TEST(overlaps_and_errors)
{
    /* the same label may overlap itself; different labels may not */
    bract_events *e = events_of("onset\tduration\ttrial_type\n0\t4\ta\n2\t4\ta\n", NULL);
    char s[65];
    labels_of(e, 4, 1, 0, 0, s);
    ck_assert_str_eq(s, "aaaa");
    bract_events_free(e);
    e = events_of("onset\tduration\ttrial_type\n0\t4\ta\n3\t2\tb\n", NULL);
    const char *lab[8];
    bract_events_timing t = {1, 0, 0};
    ck_assert_int_eq(bract_events_label_volumes(e, 8, &t, lab, NULL, NULL), BRACT_EDATA);
    ck_assert_error_has("events.tsv: lines 2 ('a') and 3 ('b') both cover volume 3 (t = 3 s)");
    t.tr = 0;
    ck_assert_int_eq(bract_events_label_volumes(e, 8, &t, lab, NULL, NULL), BRACT_EINVAL);
    ck_assert_error_has("the repetition time must be > 0");
    bract_events_free(e);

    char *p = tu_join(tmp, "bad.tsv");
    bract_events *x;
    tu_write(p, "onset\tduration\n1\t2\n");
    ck_assert_int_eq(bract_events_read(p, NULL, &x), BRACT_EFORMAT);
    ck_assert_error_has("not a BIDS events file (onset, duration, trial_type)");
    tu_write(p, "onset\tduration\ttrial_type\n1\t2\ta\nsoon\t2\tb\n");
    ck_assert_int_eq(bract_events_read(p, NULL, &x), BRACT_EFORMAT);
    ck_assert_error_has("bad.tsv:3: column 1 ('onset'): expected a number, found 'soon'");
    tu_write(p, "onset\tduration\ttrial_type\n1\t-2\ta\n");
    ck_assert_int_eq(bract_events_read(p, NULL, &x), BRACT_EFORMAT);
    ck_assert_error_has("bad.tsv:2: column 2 ('duration'): expected a duration >= 0");
    tu_write(p, "onset\tduration\ttrial_type\nn/a\t2\ta\n");
    ck_assert_int_eq(bract_events_read(p, NULL, &x), BRACT_EFORMAT);
    ck_assert_error_has("bad.tsv:2: column 1 ('onset'): expected a number, found 'n/a'");
    tu_write(p, "onset\tduration\ttrial_type\n1\t2\ta\n");
    ck_assert_int_eq(bract_events_read(p, "word", &x), BRACT_EFORMAT);
    ck_assert_error_has("(onset, duration, word)");
    free(p);
}
END_TEST

START_TEST(haxby_runs)
{
    /* Haxby 2001 subject 1, run 1 (TR 2.5 s, 121 volumes): 8 blocks of
     * 22.5 s = 9 volumes each, 72 labelled volumes, the first at volume 6 */
    bract_events *e;
    ck_assert_int_eq(bract_events_read(TESTDATA "/data/haxby2001-sub001/sub001/BOLD/"
                                                "task001_run001/bold_events.tsv",
                                       NULL, &e),
                     0);
    const char *lab[121];
    size_t nl, late;
    bract_events_timing t = {2.5, 0, 0};
    ck_assert_int_eq(bract_events_label_volumes(e, 121, &t, lab, &nl, &late), 0);
    ck_assert_uint_eq(nl, 72);
    ck_assert_uint_eq(late, 0);
    ck_assert_ptr_null(lab[5]);
    ck_assert_str_eq(lab[6], "scissors");
    ck_assert_str_eq(lab[14], "scissors");
    ck_assert_ptr_null(lab[15]);
    bract_events_free(e);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("events");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, blocks_and_impulses);
    tcase_add_test(tc, boundaries_in_seconds);
    tcase_add_test(tc, edges_of_the_run);
    tcase_add_test(tc, overlaps_and_errors);
    tcase_add_test(tc, haxby_runs);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
