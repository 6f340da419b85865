/* Unit tests of bract/embed.h: the four embedding formats against the
 * reference model RDMs (testdata/reference/embeddings), UTF-8 and case,
 * gzipped input, malformed tables, and real GloVe vectors against
 * WordSim-353. */
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

#define CK(call) ck_assert_msg((call) == 0, "%s", bract_last_error())

static const char *const words12[] = {"cat", "dog",  "fish", "bird", "car", "bus",
                                      "apple", "pear", "猫",   "狗",   "鱼",  "苹果"};

/* The model RDM of the 12 reference words. */
static void model_rdm(const bract_embedding *e, bract_rdm_method m, double *d)
{
    bract_rdm_design *ds;
    CK(bract_rdm_design_from_labels((const char *const *)e->word, NULL, e->nwords, NULL, &ds));
    bract_rdm_opts o = {.method = m};
    bract_rdm_plan *p;
    bract_rdm_ws *w;
    CK(bract_rdm_plan_new(ds, &o, e->dim, 0, &p));
    CK(bract_rdm_ws_new(p, &w));
    CK(bract_rdm_compute(p, w, e->vec, e->dim, e->dim, NULL, d, NULL));
    bract_rdm_ws_free(w);
    bract_rdm_plan_free(p);
    bract_rdm_design_free(ds);
}

static void check_formats(const char *file, bract_embed_format want_fmt, double tol)
{
    char path[256];
    snprintf(path, sizeof path, REFDATA "/embeddings/%s", file);
    bract_embedding *e;
    CK(bract_embed_lookup(path, words12, 12, NULL, &e));
    ck_assert_int_eq(e->format, want_fmt);
    ck_assert_uint_eq(e->dim, 8);
    ck_assert_uint_eq(e->nentries, 22);
    ck_assert_uint_eq(e->nmissing, 0);
    bract_rdmset *ref;
    CK(bract_rdmset_read(REFDATA "/embeddings/expected_model_rdms.tsv", &ref));
    const char *names[] = {"cosine", "correlation", "euclidean"};
    bract_rdm_method ms[] = {BRACT_RDM_COSINE, BRACT_RDM_CORRELATION, BRACT_RDM_EUCLIDEAN};
    for (int k = 0; k < 3; k++) {
        long r = bract_rdmset_find(ref, names[k]);
        ck_assert_int_ge(r, 0);
        for (size_t c = 0; c < 12; c++)
            ck_assert_str_eq(ref->rdm[r].cond[c], words12[c]);
        double d[66];
        model_rdm(e, ms[k], d);
        for (int q = 0; q < 66; q++)
            ck_assert_msg(fabs(d[q] - ref->rdm[r].d[q]) <= tol, "%s %s pair %d: %.17g vs %.17g",
                          file, names[k], q, d[q], ref->rdm[r].d[q]);
    }
    bract_rdmset_free(ref);
    bract_embed_free(e);
}

/* Tolerances from the reference README: 1e-10 text, 1e-6 binary (float32). */
START_TEST(reference_formats)
{
    check_formats("vectors.w2v.txt", BRACT_EMB_WORD2VEC, 1e-10);
    check_formats("vectors.glove.txt", BRACT_EMB_GLOVE, 1e-10);
    check_formats("vectors.tsv", BRACT_EMB_TSV, 1e-10);
    check_formats("vectors.w2v.bin", BRACT_EMB_WORD2VEC_BIN, 1e-6);
}
END_TEST

/* The binary file holds the text file's values rounded to float32. */
START_TEST(binary_equals_text_in_float)
{
    bract_embedding *t, *b;
    CK(bract_embed_lookup(REFDATA "/embeddings/vectors.w2v.txt", words12, 12, NULL, &t));
    bract_embed_opts o = {.format = BRACT_EMB_WORD2VEC_BIN};
    CK(bract_embed_lookup(REFDATA "/embeddings/vectors.w2v.bin", words12, 12, &o, &b));
    for (size_t i = 0; i < 12 * 8; i++)
        ck_assert_double_eq(b->vec[i], (double)(float)t->vec[i]);
    bract_embed_free(t);
    bract_embed_free(b);
}
END_TEST

static void write_gz(const char *path, const char *text)
{
    gzFile g = gzopen(path, "wb");
    ck_assert_ptr_nonnull(g);
    gzputs(g, text);
    gzclose(g);
}

START_TEST(gzip_case_missing_duplicates)
{
    char *p = tu_join(tmp, "t.txt.gz");
    write_gz(p, "Cat 1 0 0\ncat 0 1 0\nÄpfel 0 0 1\n猫 1 1 0\ncat 9 9 9\n\n");
    const char *w[] = {"cat", "CAT", "äpfel", "猫", "unicorn", "Cat"};
    bract_embedding *e;
    CK(bract_embed_lookup(p, w, 6, NULL, &e));
    ck_assert_int_eq(e->format, BRACT_EMB_GLOVE);
    ck_assert_uint_eq(e->nentries, 5);
    ck_assert_uint_eq(e->nmissing, 3); /* CAT, äpfel, unicorn */
    ck_assert_uint_eq(e->nduplicates, 1); /* the second "cat" */
    ck_assert_double_eq(e->vec[1], 1);     /* "cat" is the first lowercase entry */
    ck_assert_double_eq(e->vec[5 * 3], 1); /* "Cat" */
    ck_assert(isnan(e->vec[4 * 3]));
    bract_embed_free(e);
    bract_embed_opts o = {.lowercase = 1};
    CK(bract_embed_lookup(p, w, 6, &o, &e));
    ck_assert_uint_eq(e->nmissing, 1); /* unicorn */
    ck_assert_double_eq(e->vec[0], 1); /* the first of Cat/cat wins: "Cat" 1 0 0 */
    ck_assert_double_eq(e->vec[3], 1); /* CAT too */
    ck_assert_double_eq(e->vec[2 * 3 + 2], 1); /* äpfel = Äpfel (Unicode lowercase) */
    ck_assert_double_eq(e->vec[3 * 3 + 1], 1); /* 猫 */
    ck_assert(e->found[5]);
    bract_embed_free(e);
    free(p);
}
END_TEST

static void expect_error(const char *text, bract_embed_format f, const char *needle)
{
    char *p = tu_join(tmp, "bad.txt");
    tu_write(p, text);
    bract_embedding *e = (void *)1;
    bract_embed_opts o = {.format = f};
    int rc = bract_embed_lookup(p, words12, 12, &o, &e);
    ck_assert_msg(rc == BRACT_EFORMAT, "no format error for %s (rc %d)", needle, rc);
    ck_assert_ptr_null(e);
    ck_assert_error_has(needle);
    ck_assert_error_has(p); /* the message names the file */
    free(p);
}

START_TEST(malformed_tables)
{
    /* wrong number of values, in a line of a word nobody asked for too */
    expect_error("cat 1 2 3\nzebra 1 2\n", BRACT_EMB_AUTO, ":2: 'zebra' has 2 values, expected 3");
    expect_error("cat 1 2 3\ndog 1 2 3 4\n", BRACT_EMB_AUTO, ":2: 'dog' has 4 values, expected 3");
    /* non-numeric values, wanted and not */
    expect_error("cat 1 2 3\nzebra 1 x2 3\n", BRACT_EMB_AUTO, ":2: value 2 is 'x2', not a number");
    expect_error("cat 1 2 3\ndog 1 2 --\n", BRACT_EMB_AUTO, ":2: value 3 is '--', not a number");
    expect_error("cat 1 2 nan\n", BRACT_EMB_AUTO, ":1: value 3 of 'cat' is not finite");
    /* word2vec text: header and lines disagree */
    expect_error("3 2\ncat 1 2\ndog 3 4\n", BRACT_EMB_AUTO,
                 "the header announces 3 words, the file has 2 (truncated?)");
    expect_error("1 2\ncat 1 2\ndog 3 4\n", BRACT_EMB_WORD2VEC,
                 "the header announces 1 words, the file has 2");
    expect_error("cat 1 2\n", BRACT_EMB_WORD2VEC, ":1: expected the word2vec header");
    /* TSV */
    expect_error("word\td0\td1\ncat\t1\t2\ndog\t1\n", BRACT_EMB_AUTO,
                 ":3: 'dog' has 1 value, expected 2");
    expect_error("word\td0\td1\ncat\t1\t2\nemu\t1\tq\n", BRACT_EMB_AUTO,
                 ":3: value 2 is 'q', not a number");
}
END_TEST

/* F4, F13: a header's sizes are checked against the first record and the
 * file before vectors of that size are allocated; the messages say what
 * was declared and what the file holds. */
START_TEST(header_lies)
{
    expect_error("2 30000000\nnamata 1\n", BRACT_EMB_WORD2VEC,
                 ":2: the header declares 30000000 dimensions, line 2 holds 1 value");
    /* auto-detection: a line of numbers is text, whatever its count */
    expect_error("6 5\nw0 -0.055 1.542 -0.855\nw1 1 2 3\n", BRACT_EMB_AUTO,
                 ":2: the header declares 5 dimensions, line 2 holds 3 values (word2vec text");
    expect_error("0 3\n", BRACT_EMB_AUTO, ":1: the header declares 0 words");
    /* binary, plain: one record cannot fit in the file */
    expect_error("2 30000000\ncat AAAABBBBCCCCDDDD\n", BRACT_EMB_AUTO,
                 ":1: the header declares 30000000 dimensions, at least 120000002 bytes a word; "
                 "the file holds 21 bytes after the header");
    /* binary, gzipped: the first record holds fewer bytes than declared */
    char *g = tu_join(tmp, "lies.bin.gz");
    write_gz(g, "2 30000000\ncat AAAABBBBCCCCDDDD\n");
    bract_embedding *e = NULL;
    ck_assert_int_eq(bract_embed_lookup(g, words12, 12, NULL, &e), BRACT_EFORMAT);
    ck_assert_ptr_null(e);
    ck_assert_error_has("lies.bin.gz: the header declares 30000000 dimensions (120000000 bytes "
                        "a record), record 1 (word 'cat', byte 11) holds 17 bytes");
    free(g);
    /* TSV: the header row against the first data row */
    expect_error("word\td0\td1\td2\ncat\t1\n", BRACT_EMB_AUTO,
                 ":2: the header row declares 3 dimensions, line 2 holds 1 value");
}
END_TEST

START_TEST(truncated_binary)
{
    char *full = tu_slurp(REFDATA "/embeddings/vectors.w2v.bin");
    ck_assert_ptr_nonnull(full);
    char *p = tu_join(tmp, "cut.bin");
    /* header (5 bytes) + "cat " + 32 bytes + "\n" + "dog " + 10 bytes */
    FILE *fp = fopen(p, "wb");
    fwrite(full, 1, 5 + 4 + 32 + 1 + 4 + 10, fp);
    fclose(fp);
    bract_embedding *e;
    ck_assert_int_eq(bract_embed_lookup(p, words12, 12, NULL, &e), BRACT_EFORMAT);
    ck_assert_error_has("cut.bin: truncated: record 2 (word 'dog', byte 42) has 10 of its 32 "
                        "bytes (8 float32 values)");
    /* cut between records */
    fp = fopen(p, "wb");
    fwrite(full, 1, 5 + 4 + 32 + 1, fp);
    fclose(fp);
    ck_assert_int_eq(bract_embed_lookup(p, words12, 12, NULL, &e), BRACT_EFORMAT);
    ck_assert_error_has("truncated: the header announces 22 words, the file ends after 1");
    /* a truncated gzip stream */
    char *g = tu_join(tmp, "cut.txt.gz");
    char *text = tu_slurp(REFDATA "/embeddings/vectors.w2v.txt");
    write_gz(g, text);
    char *gz = tu_slurp(g);
    fp = fopen(g, "wb");
    fwrite(gz, 1, 300, fp);
    fclose(fp);
    ck_assert_int_eq(bract_embed_lookup(g, words12, 12, NULL, &e), BRACT_EFORMAT);
    ck_assert_error_has("cut.txt.gz");
    free(gz);
    free(text);
    free(g);
    free(full);
    free(p);
}
END_TEST

START_TEST(missing_file)
{
    bract_embedding *e;
    ck_assert_int_eq(bract_embed_lookup("no/such.vec", words12, 12, NULL, &e), BRACT_EIO);
    ck_assert_error_has("no/such.vec: cannot open");
}
END_TEST

/* Real vectors: 25-d GloVe Twitter against WordSim-353 (datasets notes
 * 4.1: Spearman 0.411 over 274 covered pairs; scipy gives 0.41107 on the
 * same file).  Tolerance 5e-4 on the 3-decimal reference. */
START_TEST(glove_wordsim353)
{
    char *text = tu_slurp(TESTDATA "/data/word-similarity/EN-WS-353-ALL.txt");
    ck_assert_ptr_nonnull(text);
    const char *w1[400], *w2[400];
    double human[400];
    size_t np = 0;
    for (char *line = strtok(text, "\r\n"); line; line = strtok(NULL, "\r\n")) {
        char *a = line, *b = strchr(a, '\t');
        ck_assert_ptr_nonnull(b);
        *b++ = '\0';
        char *s = strchr(b, '\t');
        ck_assert_ptr_nonnull(s);
        *s++ = '\0';
        w1[np] = a;
        w2[np] = b;
        human[np++] = strtod(s, NULL);
    }
    ck_assert_uint_eq(np, 353);
    const char *all[706];
    for (size_t i = 0; i < np; i++) {
        all[2 * i] = w1[i];
        all[2 * i + 1] = w2[i];
    }
    bract_embedding *e;
    CK(bract_embed_lookup(TESTDATA "/data/glove-twitter-25d/glove_twitter_25d_12k.txt.gz",
                              all, 2 * np, NULL, &e));
    ck_assert_uint_eq(e->nentries, 11925);
    ck_assert_uint_eq(e->dim, 25);
    double sim[353], hum[353], rw[706];
    size_t iw[706], n = 0;
    for (size_t i = 0; i < np; i++) {
        if (!e->found[2 * i] || !e->found[2 * i + 1])
            continue;
        const double *x = e->vec + 2 * i * 25, *y = e->vec + (2 * i + 1) * 25;
        double xy = 0, xx = 0, yy = 0;
        for (int k = 0; k < 25; k++) {
            xy += x[k] * y[k];
            xx += x[k] * x[k];
            yy += y[k] * y[k];
        }
        sim[n] = xy / sqrt(xx * yy);
        hum[n++] = human[i];
    }
    ck_assert_uint_eq(n, 274);
    double rho = bract_stats_spearman(sim, hum, n, rw, iw);
    ck_assert_double_eq_tol(rho, 0.411, 5e-4);
    bract_embed_free(e);
    free(text);
}
END_TEST

/* bract_embed_rdm gives, bit for bit, what the steps bract rdm model took
 * itself before it (model_rdm: design, plan, workspace, compute), and so
 * the reference RDMs. */
START_TEST(embed_rdm_reference)
{
    bract_embedding *e;
    CK(bract_embed_lookup(REFDATA "/embeddings/vectors.glove.txt", words12, 12, NULL, &e));
    bract_rdmset *ref;
    CK(bract_rdmset_read(REFDATA "/embeddings/expected_model_rdms.tsv", &ref));
    const char *names[] = {"cosine", "correlation", "euclidean"};
    const char *measures[] = {"cosine", "correlation", "squared euclidean"};
    bract_rdm_method ms[] = {BRACT_RDM_COSINE, BRACT_RDM_CORRELATION, BRACT_RDM_EUCLIDEAN};
    for (int k = 0; k < 3; k++) {
        bract_rdm_opts o = {.method = ms[k]};
        bract_rdmset *set;
        size_t nnan = 99;
        CK(bract_embed_rdm(e, &o, "glove", &set, &nnan));
        ck_assert_uint_eq(nnan, 0);
        ck_assert_uint_eq(set->nrdm, 1);
        ck_assert_str_eq(set->rdm[0].name, "glove");
        ck_assert_str_eq(set->measure, measures[k]);
        ck_assert_uint_eq(set->rdm[0].n, 12);
        for (size_t c = 0; c < 12; c++)
            ck_assert_str_eq(set->rdm[0].cond[c], words12[c]);
        double d[66];
        model_rdm(e, ms[k], d);
        long r = bract_rdmset_find(ref, names[k]);
        ck_assert_int_ge(r, 0);
        for (int q = 0; q < 66; q++) {
            ck_assert_msg(memcmp(&d[q], &set->rdm[0].d[q], sizeof d[q]) == 0,
                          "%s pair %d: %.17g vs %.17g", names[k], q, set->rdm[0].d[q], d[q]);
            ck_assert_double_eq_tol(set->rdm[0].d[q], ref->rdm[r].d[q], 1e-10);
        }
        bract_rdmset_free(set);
    }
    /* plain euclidean: the square root of P times the rsatoolbox value */
    bract_rdm_opts o = {.method = BRACT_RDM_EUCLIDEAN, .plain = 1};
    bract_rdmset *set;
    CK(bract_embed_rdm(e, &o, "plain", &set, NULL));
    ck_assert_str_eq(set->measure, "euclidean");
    long r = bract_rdmset_find(ref, "euclidean");
    for (int q = 0; q < 66; q++)
        ck_assert_double_eq_tol(set->rdm[0].d[q], sqrt(8 * ref->rdm[r].d[q]), 1e-9);
    bract_rdmset_free(set);
    bract_rdmset_free(ref);
    bract_embed_free(e);
}
END_TEST

/* Words not in the table are left out; the others keep their order and
 * their reference dissimilarities. */
START_TEST(embed_rdm_missing_words)
{
    const char *w[] = {"cat", "unicorn", "dog", "bird"};
    bract_embedding *e;
    CK(bract_embed_lookup(REFDATA "/embeddings/vectors.tsv", w, 4, NULL, &e));
    ck_assert_uint_eq(e->nmissing, 1);
    bract_rdm_opts o = {.method = BRACT_RDM_COSINE};
    bract_rdmset *set, *ref;
    CK(bract_embed_rdm(e, &o, "m", &set, NULL));
    CK(bract_rdmset_read(REFDATA "/embeddings/expected_model_rdms.tsv", &ref));
    const bract_rdm *cos = &ref->rdm[bract_rdmset_find(ref, "cosine")];
    ck_assert_uint_eq(set->rdm[0].n, 3);
    ck_assert_str_eq(set->rdm[0].cond[0], "cat");
    ck_assert_str_eq(set->rdm[0].cond[1], "dog");
    ck_assert_str_eq(set->rdm[0].cond[2], "bird");
    /* cat 0, dog 1, bird 3 among the reference words */
    ck_assert_double_eq_tol(set->rdm[0].d[0], cos->d[bract_pair_index(12, 0, 1)], 1e-10);
    ck_assert_double_eq_tol(set->rdm[0].d[1], cos->d[bract_pair_index(12, 0, 3)], 1e-10);
    ck_assert_double_eq_tol(set->rdm[0].d[2], cos->d[bract_pair_index(12, 1, 3)], 1e-10);
    bract_rdmset_free(ref);
    bract_rdmset_free(set);
    bract_embed_free(e);
}
END_TEST

/* Labels that are not words take the vectors of the words looked up for
 * them ("scrambledpix" as "bird"); two labels may share one word. */
START_TEST(embed_rdm_labels)
{
    const char *w[] = {"cat", "bird", "dog", "fish"};
    const char *labels[] = {NULL, "scrambledpix", NULL, "fins"};
    bract_embedding *e;
    CK(bract_embed_lookup(REFDATA "/embeddings/vectors.tsv", w, 4, NULL, &e));
    bract_rdm_opts o = {.method = BRACT_RDM_COSINE};
    bract_rdmset *set, *plain;
    CK(bract_embed_rdm_labels(e, labels, &o, "m", &set, NULL));
    CK(bract_embed_rdm(e, &o, "m", &plain, NULL));
    ck_assert_uint_eq(set->rdm[0].n, 4);
    ck_assert_str_eq(set->rdm[0].cond[0], "cat");
    ck_assert_str_eq(set->rdm[0].cond[1], "scrambledpix");
    ck_assert_str_eq(set->rdm[0].cond[2], "dog");
    ck_assert_str_eq(set->rdm[0].cond[3], "fins");
    ck_assert_str_eq(plain->rdm[0].cond[1], "bird");
    for (size_t q = 0; q < 6; q++)
        ck_assert(set->rdm[0].d[q] == plain->rdm[0].d[q]);
    bract_rdmset_free(plain);
    bract_rdmset_free(set);
    bract_embed_free(e);
    /* two labels may look up one word: their distance is 0 */
    const char *w2[] = {"cat", "bird", "bird"};
    const char *l2[] = {NULL, "scrambledpix", "feather"};
    CK(bract_embed_lookup(REFDATA "/embeddings/vectors.tsv", w2, 3, NULL, &e));
    CK(bract_embed_rdm_labels(e, l2, &o, "m", &set, NULL));
    ck_assert_uint_eq(set->rdm[0].n, 3);
    ck_assert_str_eq(set->rdm[0].cond[2], "feather");
    ck_assert_double_eq_tol(set->rdm[0].d[bract_pair_index(3, 1, 2)], 0, 1e-12);
    bract_rdmset_free(set);
    bract_embed_free(e);
}
END_TEST

/* A zero vector leaves its cosine pairs NaN (counted); too few words and
 * methods that need noise are refused. */
START_TEST(embed_rdm_nan_and_errors)
{
    char *p = tu_join(tmp, "v.txt");
    tu_write(p, "a 0 0 0\nb 1 0 0\nc 0 1 0\n");
    const char *w[] = {"a", "b", "c"};
    bract_embedding *e;
    CK(bract_embed_lookup(p, w, 3, NULL, &e));
    bract_rdm_opts o = {.method = BRACT_RDM_COSINE};
    bract_rdmset *set = (void *)1;
    size_t nnan = 0;
    CK(bract_embed_rdm(e, &o, "v", &set, &nnan));
    ck_assert_uint_eq(nnan, 2);
    ck_assert(isnan(set->rdm[0].d[0]) && isnan(set->rdm[0].d[1]));
    ck_assert_double_eq_tol(set->rdm[0].d[2], 1, 1e-15); /* orthogonal */
    bract_rdmset_free(set);
    o.method = BRACT_RDM_MAHALANOBIS;
    ck_assert_int_eq(bract_embed_rdm(e, &o, "v", &set, NULL), BRACT_EINVAL);
    ck_assert_ptr_null(set);
    ck_assert_error_has("cannot use mahalanobis");
    bract_embed_free(e);
    const char *w2[] = {"b", "zebra"};
    CK(bract_embed_lookup(p, w2, 2, NULL, &e));
    o.method = BRACT_RDM_COSINE;
    ck_assert_int_eq(bract_embed_rdm(e, &o, "v", &set, &nnan), BRACT_EDATA);
    ck_assert_str_eq(bract_last_error(), "1 word found; an RDM needs at least 2");
    bract_embed_free(e);
    free(p);
}
END_TEST

/* Look-ups from many threads at once give what one thread gets (the byte
 * classes are a constant table, not filled on first use). */
START_TEST(lookups_in_threads)
{
    bract_embedding *one;
    CK(bract_embed_lookup(REFDATA "/embeddings/vectors.glove.txt", words12, 12, NULL, &one));
    int bad = 0;
#pragma omp parallel for num_threads(4) reduction(+ : bad)
    for (int i = 0; i < 16; i++) {
        bract_embedding *e;
        if (bract_embed_lookup(REFDATA "/embeddings/vectors.glove.txt", words12, 12, NULL,
                                   &e)) {
            bad++;
            continue;
        }
        bad += e->nmissing != 0 || memcmp(e->vec, one->vec, 12 * 8 * sizeof *e->vec) != 0;
        bract_embed_free(e);
    }
    ck_assert_int_eq(bad, 0);
    bract_embed_free(one);
}
END_TEST

START_TEST(format_names)
{
    for (int f = BRACT_EMB_AUTO; f <= BRACT_EMB_TSV; f++) {
        bract_embed_format got = BRACT_EMB_AUTO;
        ck_assert_int_eq(bract_embed_format_parse(bract_embed_format_name(f), &got), 0);
        ck_assert_int_eq(got, f);
    }
    bract_embed_format f = BRACT_EMB_TSV;
    ck_assert_int_eq(bract_embed_format_parse("fasttext", &f), BRACT_EINVAL);
    ck_assert_int_eq(f, BRACT_EMB_TSV);
    ck_assert_str_eq(bract_last_error(), "unknown embedding format 'fasttext' (expected one of "
                                         "auto, word2vec, word2vec-bin, glove, tsv)");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("embed");
    TCase *t = tcase_create("embed");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, reference_formats);
    tcase_add_test(t, format_names);
    tcase_add_test(t, embed_rdm_reference);
    tcase_add_test(t, embed_rdm_missing_words);
    tcase_add_test(t, embed_rdm_nan_and_errors);
    tcase_add_test(t, lookups_in_threads);
    tcase_add_test(t, binary_equals_text_in_float);
    tcase_add_test(t, gzip_case_missing_duplicates);
    tcase_add_test(t, malformed_tables);
    tcase_add_test(t, truncated_binary);
    tcase_add_test(t, header_lies);
    tcase_add_test(t, missing_file);
    tcase_add_test(t, glove_wordsim353);
    tcase_add_test(t, embed_rdm_labels);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    bract_init();
    return tu_run(suite());
}
