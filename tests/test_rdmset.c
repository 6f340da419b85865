/* Unit tests of bract/rdmset.h: the long-form RDM-set TSV. */
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

START_TEST(pair_index)
{
    size_t p = 0;
    for (size_t i = 0; i < 9; i++)
        for (size_t j = i + 1; j < 9; j++)
            ck_assert_uint_eq(bract_pair_index(9, i, j), p++);
    ck_assert_uint_eq(bract_npairs(92), 4186);
}
END_TEST

START_TEST(reference_rdms)
{
    bract_rdmset *s;
    ck_assert_msg(bract_rdmset_read(REFDATA "/rsa/expected_rdms.tsv", &s) == 0, "%s",
                  bract_last_error());
    ck_assert_uint_eq(s->nrdm, 6);
    ck_assert_str_eq(s->rdm[0].name, "euclidean");
    ck_assert_uint_eq(s->rdm[0].n, 12);
    ck_assert_str_eq(s->rdm[0].cond[0], "cat");
    ck_assert_str_eq(s->rdm[0].cond[1], "dog");
    ck_assert_double_eq(s->rdm[0].d[0], 1.85151166156191);
    ck_assert_int_eq(bract_rdmset_find(s, "crossnobis"), 4);
    /* round trip is exact */
    char *p = tu_join(tmp, "rt.tsv");
    ck_assert_int_eq(bract_rdmset_write(s, p, 0), 0);
    bract_rdmset *t;
    ck_assert_int_eq(bract_rdmset_read(p, &t), 0);
    for (size_t k = 0; k < s->nrdm; k++)
        for (size_t q = 0; q < bract_npairs(12); q++)
            ck_assert(s->rdm[k].d[q] == t->rdm[k].d[q]);
    bract_rdmset_free(t);
    bract_rdmset_free(s);
    free(p);
}
END_TEST

START_TEST(rsa92_gzipped)
{
    bract_rdmset *s;
    ck_assert_int_eq(bract_rdmset_read(TESTDATA "/data/rsa92/model_rdms.tsv.gz", &s), 0);
    ck_assert_uint_eq(s->nrdm, 8);
    ck_assert_uint_eq(s->rdm[2].n, 92);
    ck_assert_int_ge(bract_rdmset_find(s, "monkeyIT"), 0);
    bract_rdmset_free(s);
}
END_TEST

START_TEST(reversed_pairs_and_missing)
{
    char *p = tu_join(tmp, "r.tsv");
    tu_write(p, "rdm\tcondition_a\tcondition_b\tdissimilarity\n"
                "m\ta\tb\t1\nm\tc\ta\t2\nm\tb\tc\tn/a\n");
    bract_rdmset *s;
    ck_assert_int_eq(bract_rdmset_read(p, &s), 0);
    ck_assert_uint_eq(s->rdm[0].n, 3);
    ck_assert_str_eq(s->rdm[0].cond[2], "c");
    ck_assert_double_eq(s->rdm[0].d[1], 2); /* (a,c) */
    ck_assert(isnan(s->rdm[0].d[2]));
    bract_rdmset_free(s);
    free(p);
}
END_TEST

START_TEST(bad_rdm_sets)
{
    char *p = tu_join(tmp, "bad.tsv");
    bract_rdmset *s;
    tu_write(p, "rdm\tcondition_a\tcondition_b\tdissimilarity\nm\ta\tb\t1\nm\ta\tc\t2\n");
    ck_assert_int_eq(bract_rdmset_read(p, &s), BRACT_EFORMAT);
    ck_assert_error_has("RDM 'm' has 2 rows but its 3 conditions make 3 pairs");
    tu_write(p, "rdm\tcondition_a\tcondition_b\tdissimilarity\nm\ta\tb\t1\nm\tb\ta\t2\n"
                "m\ta\tc\t2\n");
    ck_assert_int_eq(bract_rdmset_read(p, &s), BRACT_EFORMAT);
    ck_assert_error_has("bad.tsv:3: RDM 'm' lists the pair (a, b) twice (also line 2)");
    tu_write(p, "rdm\tcondition_a\tcondition_b\tdissimilarity\nm\ta\ta\t0\n");
    ck_assert_int_eq(bract_rdmset_read(p, &s), BRACT_EFORMAT);
    ck_assert_error_has("bad.tsv:2: RDM 'm' pairs condition 'a' with itself");
    tu_write(p, "rdm\tcondition_a\tcondition_b\tdissimilarity\nm\ta\tb\t1\nk\ta\tb\t1\n"
                "m\ta\tb\t1\n");
    ck_assert_int_eq(bract_rdmset_read(p, &s), BRACT_EFORMAT);
    ck_assert_error_has("bad.tsv:4: rows of RDM 'm' are not together");
    tu_write(p, "rdm\tcond\n");
    ck_assert_int_eq(bract_rdmset_read(p, &s), BRACT_EFORMAT);
    ck_assert_error_has("not an RDM set");
    tu_write(p, "rdm\tcondition_a\tcondition_b\tdissimilarity\nm\ta\tb\tfar\n");
    ck_assert_int_eq(bract_rdmset_read(p, &s), BRACT_EFORMAT);
    ck_assert_error_has("bad.tsv:2: column 4 ('dissimilarity'): expected a number, found 'far'");
    free(p);
}
END_TEST

static Suite *rdmset_suite(void)
{
    Suite *s = suite_create("rdmset");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, pair_index);
    tcase_add_test(tc, reference_rdms);
    tcase_add_test(tc, rsa92_gzipped);
    tcase_add_test(tc, reversed_pairs_and_missing);
    tcase_add_test(tc, bad_rdm_sets);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(rdmset_suite()); }
