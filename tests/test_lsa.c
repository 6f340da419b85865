/* Unit tests of bract/lsa.h: the Deerwester et al. (1990) example, the
 * log-entropy weights on an analytic case, exact against iterative SVD,
 * tokenising, and errors. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *tmp;
static void setup(void) { tmp = tu_tmpdir(); }
static void teardown(void)
{
    tu_rmtree(tmp);
    free(tmp);
}

#define CK(call) ck_assert_msg((call) == 0, "%s", bract_last_error())
#define DW TESTDATA "/data/deerwester1990/"

static const char *const dw_stop[] = {"for", "a", "of", "the", "and", "to", "in"};

static long find_term(const bract_lsa *l, const char *t)
{
    for (size_t i = 0; i < l->nterms; i++)
        if (strcmp(l->term[i], t) == 0)
            return (long)i;
    return -1;
}

/* The 12 index terms (words in more than one title, stop words aside) and
 * the singular values of the raw 12 x 9 count matrix printed in the paper
 * and in the datasets notes 4.3 (4 decimals: tolerance 5e-5). */
START_TEST(deerwester_counts)
{
    const char *paths[] = {DW "titles.txt"};
    bract_lsa_opts o = {.dims = 9, .min_docs = 2, .stop = dw_stop, .nstop = 7,
                        .weighting = BRACT_LSA_COUNT};
    bract_lsa *l;
    CK(bract_lsa_build(paths, 1, &o, NULL, &l));
    ck_assert_uint_eq(l->ndocs, 9);
    ck_assert_uint_eq(l->nterms, 12);
    const char *index_terms[] = {"human", "interface", "computer", "user", "system", "response",
                                 "time", "eps", "survey", "trees", "graph", "minors"};
    for (int i = 0; i < 12; i++)
        ck_assert_msg(find_term(l, index_terms[i]) >= 0, "no term %s", index_terms[i]);
    ck_assert_str_eq(l->term[0], "system"); /* 4 occurrences: the most frequent */
    ck_assert_uint_eq(l->count[0], 4);
    ck_assert_uint_eq(l->df[0], 3);
    const double sv[] = {3.3409, 2.5417, 2.3539, 1.6445, 1.5048, 1.3064, 0.8459, 0.5601, 0.3637};
    for (int d = 0; d < 9; d++)
        ck_assert_double_eq_tol(l->sv[d], sv[d], 5e-5);
    /* full rank: |U S|_F^2 = sum of squared singular values = |A|_F^2 = 27 ones + one 2^2
     * (analytic; 1e-10) */
    double ss = 0, ssv = 0;
    for (size_t i = 0; i < 12 * 9; i++)
        ss += l->vec[i] * l->vec[i];
    for (int d = 0; d < 9; d++)
        ssv += l->sv[d] * l->sv[d];
    ck_assert_double_eq_tol(ss, 31, 1e-10);
    ck_assert_double_eq_tol(ssv, 31, 1e-10);
    /* signs: each dimension's largest coordinate is positive */
    for (int d = 0; d < 9; d++) {
        double best = 0;
        for (int i = 0; i < 12; i++)
            if (fabs(l->vec[i * 9 + d]) > fabs(best))
                best = l->vec[i * 9 + d];
        ck_assert(best > 0);
    }
    /* response and time occur in the same titles: identical vectors */
    long r = find_term(l, "response"), t = find_term(l, "time");
    for (int d = 0; d < 9; d++)
        ck_assert_double_eq_tol(l->vec[r * 9 + d], l->vec[t * 9 + d], 1e-12);
    bract_lsa_free(l);
}
END_TEST

/* Log-entropy: a term spread evenly over all N documents has global weight
 * 1 + N (1/N) ln(1/N) / ln N = 0; a term in one document weight 1, so its
 * entry is ln(1 + 1).  Three such terms in three documents: singular values
 * ln 2 (analytic; 1e-12). */
START_TEST(log_entropy_analytic)
{
    char *p = tu_join(tmp, "c.txt");
    tu_write(p, "common beta\ncommon gamma\n\ncommon delta\n");
    const char *paths[] = {p};
    bract_lsa_opts o = {.dims = 3};
    bract_lsa *l;
    CK(bract_lsa_build(paths, 1, &o, NULL, &l));
    ck_assert_uint_eq(l->ndocs, 3); /* the blank line is not a document */
    ck_assert_uint_eq(l->nterms, 4);
    for (int d = 0; d < 3; d++)
        ck_assert_double_eq_tol(l->sv[d], log(2.0), 1e-12);
    long c = find_term(l, "common");
    ck_assert_int_eq(c, 0);
    for (int d = 0; d < 3; d++)
        ck_assert_double_eq_tol(l->vec[c * 3 + d], 0, 1e-12);
    /* each other term is ln 2 along one axis */
    long b = find_term(l, "beta");
    double n2 = 0;
    for (int d = 0; d < 3; d++)
        n2 += l->vec[b * 3 + d] * l->vec[b * 3 + d];
    ck_assert_double_eq_tol(sqrt(n2), log(2.0), 1e-12); /* a unit row of U times sigma = ln 2 */
    bract_lsa_free(l);
    free(p);
}
END_TEST

static unsigned lcg(unsigned *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

/* Exact (Gram eigen-decomposition) and iterative (subspace iteration)
 * solvers agree: singular values to 1e-10 relative, vectors to 1e-6 (the
 * iteration stops at a relative residual of 1e-10). */
START_TEST(exact_equals_iterative)
{
    char *p = tu_join(tmp, "rand.txt");
    FILE *fp = fopen(p, "w");
    unsigned s = 11;
    for (int d = 0; d < 300; d++) {
        int len = 5 + (int)(lcg(&s) % 20);
        for (int w = 0; w < len; w++) {
            unsigned r = lcg(&s) % 1000; /* Zipf-like: small ids frequent */
            fprintf(fp, "w%u ", (r * r) / 12500 + (unsigned)(d % 3) * (r % 2));
        }
        fprintf(fp, "\n");
    }
    fclose(fp);
    const char *paths[] = {p};
    bract_lsa_opts o = {.dims = 5, .solver = BRACT_LSA_EXACT};
    bract_lsa *e, *it;
    CK(bract_lsa_build(paths, 1, &o, NULL, &e));
    o.solver = BRACT_LSA_ITERATIVE;
    o.seed = 3;
    CK(bract_lsa_build(paths, 1, &o, NULL, &it));
    ck_assert_int_eq(it->solver, BRACT_LSA_ITERATIVE);
    ck_assert(it->iterations >= 1 && it->residual < 1e-10);
    ck_assert_uint_eq(e->nterms, it->nterms);
    for (int d = 0; d < 5; d++)
        ck_assert_double_eq_tol(it->sv[d], e->sv[d], 1e-10 * e->sv[0]);
    for (size_t i = 0; i < e->nterms * 5; i++)
        ck_assert_double_eq_tol(it->vec[i], e->vec[i], 1e-6 * e->sv[0]);
    bract_lsa_free(e);
    bract_lsa_free(it);
    free(p);
}
END_TEST

/* Tokens: letters and digits of any script, lowercased; stop words after
 * lowercasing; one document per file; the output reads back through the
 * embedding reader exactly. */
START_TEST(tokens_and_round_trip)
{
    char *a = tu_join(tmp, "a.txt"), *b = tu_join(tmp, "b.txt"), *c = tu_join(tmp, "c.txt");
    tu_write(a, "Äpfel, BIRNEN & äpfel!\n猫 狗 the x\n");
    tu_write(b, "birnen 猫; 猫\n");
    tu_write(c, "狗 don't\n");
    const char *paths[] = {a, b, c};
    const char *stop[] = {"The"};
    bract_lsa_opts o = {.dims = 2, .doc_per_file = 1, .stop = stop, .nstop = 1,
                        .min_length = 2};
    bract_lsa *l;
    CK(bract_lsa_build(paths, 3, &o, NULL, &l));
    ck_assert_uint_eq(l->ndocs, 3);
    ck_assert_uint_eq(l->nstopped, 1);
    ck_assert_uint_eq(l->nshort, 7); /* x, t, and five single Chinese characters */
    ck_assert_int_ge(find_term(l, "äpfel"), 0);
    ck_assert_uint_eq(l->count[find_term(l, "äpfel")], 2);
    ck_assert_int_ge(find_term(l, "birnen"), 0);
    ck_assert_int_ge(find_term(l, "don"), 0);
    ck_assert_int_lt(find_term(l, "猫"), 0);
    bract_lsa_free(l);
    o.min_length = 1;
    CK(bract_lsa_build(paths, 3, &o, NULL, &l));
    ck_assert_uint_eq(l->count[find_term(l, "猫")], 3);
    char *out = tu_join(tmp, "v.tsv");
    CK(bract_lsa_write(l, out, 0));
    bract_embedding *e;
    CK(bract_embed_lookup(out, (const char *const *)l->term, l->nterms, NULL, &e));
    ck_assert_int_eq(e->format, BRACT_EMB_TSV);
    ck_assert_uint_eq(e->nmissing, 0);
    for (size_t i = 0; i < l->nterms * 2; i++)
        ck_assert(e->vec[i] == l->vec[i]);
    bract_embed_free(e);
    bract_lsa_free(l);
    free(out);
    free(a);
    free(b);
    free(c);
}
END_TEST

START_TEST(errors)
{
    char *p = tu_join(tmp, "one.txt");
    tu_write(p, "just one document here\n\n");
    const char *paths[] = {p};
    bract_lsa_opts o = {.dims = 1};
    bract_lsa *l;
    ck_assert_int_eq(bract_lsa_build(paths, 1, &o, NULL, &l), BRACT_EDATA);
    ck_assert_error_has("the corpus has 1 document; LSA needs at least 2 (one per non-blank line)");
    const char *dw[] = {DW "titles.txt"};
    o = (bract_lsa_opts){.dims = 10, .min_docs = 2, .stop = dw_stop, .nstop = 7};
    ck_assert_int_eq(bract_lsa_build(dw, 1, &o, NULL, &l), BRACT_EDATA);
    ck_assert_error_has("--dims 10 exceeds the 9 documents");
    o = (bract_lsa_opts){.dims = 2, .min_count = 100};
    ck_assert_int_eq(bract_lsa_build(dw, 1, &o, NULL, &l), BRACT_EDATA);
    ck_assert_error_has("the vocabulary is empty");
    const char *none[] = {"no/such/corpus.txt"};
    ck_assert_int_ne(bract_lsa_build(none, 1, &o, NULL, &l), 0);
    ck_assert_error_has("no/such/corpus.txt");
    /* --max-vocab keeps the most frequent */
    o = (bract_lsa_opts){.dims = 2, .max_vocab = 3, .stop = dw_stop, .nstop = 7};
    CK(bract_lsa_build(dw, 1, &o, NULL, &l));
    ck_assert_uint_eq(l->nterms, 3);
    ck_assert_str_eq(l->term[0], "system");
    bract_lsa_free(l);
    free(p);
}
END_TEST

/* F21: binary garbage is not a corpus: NUL bytes and bytes that are not
 * UTF-8 are refused with the file, the byte offset and the line. */
START_TEST(not_text)
{
    char *p = tu_join(tmp, "bin.txt");
    FILE *f = fopen(p, "wb");
    ck_assert_ptr_nonnull(f);
    fwrite("one doc\ntwo docs\nthree\x00x\n", 1, 25, f);
    fclose(f);
    const char *paths[] = {p};
    bract_lsa_opts o = {.dims = 1};
    bract_lsa *l = NULL;
    ck_assert_int_eq(bract_lsa_build(paths, 1, &o, NULL, &l), BRACT_EFORMAT);
    ck_assert_ptr_null(l);
    ck_assert_error_has("bin.txt: byte offset 22 (line 3): a NUL byte");
    tu_write(p, "caf\xc3\xa9 one\ncaf\xe9 two\n");
    ck_assert_int_eq(bract_lsa_build(paths, 1, &o, NULL, &l), BRACT_EFORMAT);
    ck_assert_error_has("bin.txt: byte offset 13 (line 2): 0xe9 is not UTF-8");
    /* UTF-8 (a BOM too) is fine */
    tu_write(p, "\xef\xbb\xbf" "caf\xc3\xa9 one\ncaf\xc3\xa9 two\n");
    CK(bract_lsa_build(paths, 1, &o, NULL, &l));
    bract_lsa_free(l);
    free(p);
}
END_TEST

START_TEST(option_names)
{
    bract_lsa_weighting w = BRACT_LSA_LOG_ENTROPY;
    ck_assert_int_eq(bract_lsa_weighting_parse("count", &w), 0);
    ck_assert_int_eq(w, BRACT_LSA_COUNT);
    ck_assert_str_eq(bract_lsa_weighting_name(BRACT_LSA_LOG_ENTROPY), "log-entropy");
    ck_assert_int_eq(bract_lsa_weighting_parse("tfidf", &w), BRACT_EINVAL);
    ck_assert_str_eq(bract_last_error(),
                     "unknown LSA weighting 'tfidf' (expected one of log-entropy, count)");
    for (int s = BRACT_LSA_AUTO; s <= BRACT_LSA_ITERATIVE; s++) {
        bract_lsa_solver got = BRACT_LSA_AUTO;
        ck_assert_int_eq(bract_lsa_solver_parse(bract_lsa_solver_name(s), &got), 0);
        ck_assert_int_eq(got, s);
    }
    bract_lsa_solver s;
    ck_assert_int_eq(bract_lsa_solver_parse("lanczos", &s), BRACT_EINVAL);
    ck_assert_str_eq(bract_last_error(),
                     "unknown LSA solver 'lanczos' (expected one of auto, exact, iterative)");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("lsa");
    TCase *t = tcase_create("lsa");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, deerwester_counts);
    tcase_add_test(t, option_names);
    tcase_add_test(t, log_entropy_analytic);
    tcase_add_test(t, exact_equals_iterative);
    tcase_add_test(t, tokens_and_round_trip);
    tcase_add_test(t, errors);
    tcase_add_test(t, not_text);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    bract_init();
    return tu_run(suite());
}
