/* Unit tests of bract/rdmset.h: the long-form RDM-set TSV and HDF5 files in
 * rsatoolbox's layout. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* Files written by rsatoolbox's RDMs.save (testdata/rsatoolbox-hdf5, made by
 * tools/rsatoolbox_hdf5_fixtures.py): the crossnobis RDM of the reference
 * patterns must carry the reference values (tolerance 1e-10). */
START_TEST(hdf5_from_rsatoolbox)
{
    bract_rdmset *s, *ref;
    ck_assert_msg(bract_rdmset_read(TESTDATA "/rsatoolbox-hdf5/crossnobis.h5", &s) == 0, "%s",
                  bract_last_error());
    ck_assert_int_eq(bract_rdmset_read(REFDATA "/rsa/expected_rdms.tsv", &ref), 0);
    const bract_rdm *r = &ref->rdm[bract_rdmset_find(ref, "crossnobis")];
    ck_assert_uint_eq(s->nrdm, 1);
    ck_assert_str_eq(s->rdm[0].name, "0"); /* rsatoolbox's automatic RDM index */
    ck_assert_uint_eq(s->rdm[0].n, 12);
    ck_assert_str_eq(s->rdm[0].cond[0], "w01");
    ck_assert_str_eq(s->rdm[0].cond[11], "w12");
    ck_assert_str_eq(s->measure, "crossnobis");
    for (size_t q = 0; q < bract_npairs(12); q++)
        ck_assert_double_eq_tol(s->rdm[0].d[q], r->d[q], 1e-10);
    bract_rdmset_free(s);
    bract_rdmset_free(ref);

    ck_assert_int_eq(bract_rdmset_read(TESTDATA "/rsatoolbox-hdf5/models.h5", &s), 0);
    ck_assert_uint_eq(s->nrdm, 2);
    ck_assert_str_eq(s->rdm[0].name, "visual");
    ck_assert_str_eq(s->rdm[1].name, "semantic");
    ck_assert_str_eq(s->rdm[1].cond[3], "bus");
    ck_assert_str_eq(s->measure, "correlation");
    ck_assert(isnan(s->rdm[0].d[4]));
    ck_assert_double_eq(s->rdm[1].d[5], 0.0625);
    bract_rdmset_free(s);

    ck_assert_int_eq(bract_rdmset_read(TESTDATA "/rsatoolbox-hdf5/unnamed.h5", &s), 0);
    ck_assert_ptr_null(s->measure); /* saved as None */
    ck_assert_str_eq(s->rdm[0].cond[2], "2");
    ck_assert_double_eq(s->rdm[0].d[2], 5);
    bract_rdmset_free(s);
}
END_TEST

/* Writing and reading back: exact values, NaN kept, UTF-8 labels (written as
 * variable-length strings), the measure; a name not ending in .h5 is still
 * recognised by its signature. */
START_TEST(hdf5_round_trip)
{
    bract_rdmset *s;
    ck_assert_int_eq(bract_rdmset_read(REFDATA "/rsa/expected_rdms.tsv", &s), 0);
    ck_assert_int_eq(bract_rdmset_set_measure(s, "squared euclidean"), 0);
    s->rdm[2].d[7] = NAN;
    char *p = tu_join(tmp, "rt.h5"), *q = tu_join(tmp, "renamed.rdm");
    ck_assert_msg(bract_rdmset_write(s, p, 0) == 0, "%s", bract_last_error());
    ck_assert_int_eq(bract_rdmset_write(s, p, 0), BRACT_EEXIST);
    ck_assert(bract_rdmset_is_hdf5(p));
    bract_rdmset *t;
    ck_assert_int_eq(bract_rdmset_read(p, &t), 0);
    ck_assert_uint_eq(t->nrdm, s->nrdm);
    ck_assert_str_eq(t->measure, "squared euclidean");
    for (size_t k = 0; k < s->nrdm; k++) {
        ck_assert_str_eq(t->rdm[k].name, s->rdm[k].name);
        ck_assert_uint_eq(t->rdm[k].n, 12);
        for (size_t i = 0; i < 12; i++)
            ck_assert_str_eq(t->rdm[k].cond[i], s->rdm[k].cond[i]);
        for (size_t x = 0; x < bract_npairs(12); x++)
            ck_assert(s->rdm[k].d[x] == t->rdm[k].d[x] ||
                      (isnan(s->rdm[k].d[x]) && isnan(t->rdm[k].d[x])));
    }
    ck_assert_str_eq(t->rdm[0].cond[8], "\xe7\x8c\xab"); /* 猫 */
    bract_rdmset_free(t);
    ck_assert_int_eq(rename(p, q), 0);
    ck_assert(bract_rdmset_is_hdf5(q));
    ck_assert_int_eq(bract_rdmset_read(q, &t), 0);
    ck_assert_uint_eq(t->nrdm, s->nrdm);
    bract_rdmset_free(t);
    bract_rdmset_free(s);
    free(p);
    free(q);
}
END_TEST

START_TEST(hdf5_errors)
{
    char *p = tu_join(tmp, "bad.h5");
    bract_rdmset *s;
    /* RDMs of different conditions cannot share one rsatoolbox RDMs object */
    const char *ab[] = {"a", "b", "c"}, *ax[] = {"a", "x", "c"};
    bract_rdmset *w = NULL;
    bract_rdmset_new(2, &w);
    ck_assert_int_eq(bract_rdmset_init_rdm(w, 0, "m1", 3, ab), 0);
    ck_assert_int_eq(bract_rdmset_init_rdm(w, 1, "m2", 3, ax), 0);
    ck_assert_int_eq(bract_rdmset_write(w, p, 0), BRACT_EDATA);
    ck_assert_error_has("bad.h5: an HDF5 RDM set (rsatoolbox's layout) has one list of "
                        "conditions, but condition 2 is 'b' in RDM 'm1' and 'x' in RDM 'm2'");
    ck_assert_int_ne(access(p, F_OK), 0); /* nothing written, no temporary left */
    ck_assert_int_eq(bract_rdmset_write(w, "-.h5", 0), BRACT_EDATA);
    bract_rdmset_free(w);
    /* not HDF5 at all, a truncated file, a missing file */
    tu_write(p, "rdm\tcondition_a\n");
    ck_assert_int_eq(bract_rdmset_read(p, &s), BRACT_EFORMAT);
    ck_assert_error_has("bad.h5: not a readable HDF5 file");
    FILE *in = fopen(TESTDATA "/rsatoolbox-hdf5/models.h5", "rb");
    char buf[3000];
    size_t n = fread(buf, 1, sizeof buf, in);
    fclose(in);
    FILE *out = fopen(p, "wb");
    fwrite(buf, 1, n, out);
    fclose(out);
    ck_assert_int_lt(bract_rdmset_read(p, &s), 0);
    ck_assert_error_has("bad.h5");
    char *m = tu_join(tmp, "none.h5");
    ck_assert_int_eq(bract_rdmset_read(m, &s), BRACT_EIO);
    ck_assert_error_has("none.h5: cannot open");
    free(m);
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
    tcase_add_test(tc, hdf5_from_rsatoolbox);
    tcase_add_test(tc, hdf5_round_trip);
    tcase_add_test(tc, hdf5_errors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(rdmset_suite()); }
