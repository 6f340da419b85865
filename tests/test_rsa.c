/* Unit tests of bract/rsa.h: the 92-image data through the whole analysis
 * against rsatoolbox and scipy, group tests counted by hand, condition and
 * region matching, error messages, thread invariance, FDR families, and the
 * false-positive rate of the group t test over 200 simulated null
 * datasets. */
#include "testutil.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers: RDM sets in memory ---- */

static bract_rdmset *one_rdm_set(const char *name, size_t n, const char *const *cond,
                                 const double *d)
{
    bract_rdmset *s = NULL;
    bract_rdmset_new(1, &s);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(bract_rdmset_init_rdm(s, 0, name, n, cond), 0);
    memcpy(s->rdm[0].d, d, bract_npairs(n) * sizeof *d);
    return s;
}

/* ---- the 92-image data (notes/rsa.md 12.2) ---- */

typedef struct {
    bract_rdmset *subj[4], *models;
    const char *names[4];
} data92;

static void load92(data92 *D)
{
    bract_rdmset *b;
    ck_assert_int_eq(bract_rdmset_read(TESTDATA "/data/rsa92/brain_rdms.tsv.gz", &b), 0);
    ck_assert_int_eq(bract_rdmset_read(TESTDATA "/data/rsa92/model_rdms.tsv.gz", &D->models), 0);
    static const char *const who[4] = {"BE", "KO", "SN", "TI"};
    for (int s = 0; s < 4; s++) {
        char n1[32], n2[32];
        snprintf(n1, sizeof n1, "hIT_%s_ses1", who[s]);
        snprintf(n2, sizeof n2, "hIT_%s_ses2", who[s]);
        const bract_rdm *r1 = &b->rdm[bract_rdmset_find(b, n1)],
                        *r2 = &b->rdm[bract_rdmset_find(b, n2)];
        double d[4186];
        for (int p = 0; p < 4186; p++)
            d[p] = (r1->d[p] + r2->d[p]) / 2;
        D->subj[s] = one_rdm_set("hIT", 92, (const char *const *)r1->cond, d);
        D->names[s] = who[s];
    }
    bract_rdmset_free(b);
}

static void free92(data92 *D)
{
    for (int s = 0; s < 4; s++)
        bract_rdmset_free(D->subj[s]);
    bract_rdmset_free(D->models);
}

static bract_rsa_input input92(data92 *D, const bract_rdm **models)
{
    for (size_t m = 0; m < D->models->nrdm; m++)
        models[m] = &D->models->rdm[m];
    bract_rsa_input in = {4,    D->names, NULL, (const bract_rdmset *const *)D->subj,
                          D->models->nrdm, models, NULL, NULL, 0, NULL, NULL};
    return in;
}

static const bract_rsa_row *find_row(const bract_rsa_result *r, int level, size_t subject,
                                     const char *model, const char *model_b)
{
    for (size_t i = 0; i < r->nrows; i++) {
        const bract_rsa_row *w = &r->rows[i];
        if (w->level != level || w->subject != subject || strcmp(r->models[w->model], model))
            continue;
        if ((model_b == NULL) != (w->model_b == BRACT_RSA_NONE))
            continue;
        if (model_b && strcmp(r->models[w->model_b], model_b))
            continue;
        return w;
    }
    ck_abort_msg("no row for %s", model);
    return NULL;
}

START_TEST(rsa92_group_rho_a)
{
    /* rsatoolbox eval_fixed(rho-a) summary, t tests vs 0 on the values
     * (dof 3, one-sided): p 0.008 0.005 0.004 0.013 0.012 0.338 0.048 0.208
     * (3 printed decimals: 5e-4); the means and the noise ceiling of table B
     * at 5e-7 */
    data92 D;
    load92(&D);
    const bract_rdm *models[8];
    bract_rsa_input in = input92(&D, models);
    bract_rsa_opts o;
    bract_rsa_opts_defaults(&o);
    o.method = BRACT_CMP_RHO_A;
    o.permutations = 0;
    o.group = 1;
    o.fisher = 0;
    bract_rsa_result *r;
    ck_assert_int_eq(bract_rsa_run(&in, &o, &r), 0);
    static const char *const names[8] = {"animacy", "FaceBodyManmadeNatobj", "monkeyIT", "EVA",
                                         "HMAX",    "V1",                    "Silhouette",
                                         "RADON"};
    static const double p0[8] = {0.008, 0.005, 0.004, 0.013, 0.012, 0.338, 0.048, 0.208};
    static const double mean[8] = {0.334462, 0.205324, 0.296324, 0.245389,
                                   0.159868, 0.026514, 0.096570, 0.038094};
    static const double sem[8] = {0.067, 0.036, 0.048, 0.060, 0.038, 0.058, 0.040, 0.040};
    for (int m = 0; m < 8; m++) {
        const bract_rsa_row *w = find_row(r, BRACT_RSA_GROUP, BRACT_RSA_NONE, names[m], NULL);
        ck_assert_str_eq(w->test, "t");
        ck_assert_double_eq(w->df, 3);
        ck_assert_int_eq((int)w->nsubjects, 4);
        ck_assert_msg(fabs(w->p - p0[m]) <= 5e-4, "%s p %.4f", names[m], w->p);
        ck_assert_double_eq_tol(w->r, mean[m], 5e-7);
        ck_assert_double_eq_tol(w->r / w->stat, sem[m], 5e-4); /* SEM = mean / t */
        ck_assert_double_eq_tol(w->noise_lower, 0.372313, 5e-7);
        ck_assert_double_eq_tol(w->noise_upper, 0.665721, 5e-7);
    }
    /* 8 subject rows x 4 + 28 pairwise and 8 model rows at the group */
    ck_assert_int_eq((int)r->nrows, 4 * 8 + 8 + 28);
    bract_rsa_result_free(r);
    free92(&D);
}
END_TEST

START_TEST(rsa92_group_tests)
{
    /* Spearman per subject (table B): animacy 0.413584 0.248318 0.592673
     * 0.290304, monkeyIT 0.344511 0.219805 0.409012 0.211970.  scipy on
     * those 6-decimal values: ttest_1samp(atanh(animacy), alternative
     * 'greater') t 4.346770, p 0.011241; ttest_rel(atanh(animacy),
     * atanh(monkeyIT)) t 2.338255, p 0.101383 (1e-4 for the rounding of
     * the inputs).  By hand: 4 positive values, Wilcoxon exact one-sided
     * p = 1/16; sign flips, all 15 patterns: only the identity reaches the
     * observed mean, p = 1/16. */
    data92 D;
    load92(&D);
    const bract_rdm *models[8];
    bract_rsa_input in = input92(&D, models);
    bract_rsa_opts o;
    bract_rsa_opts_defaults(&o);
    o.permutations = 0;
    o.group = 1;
    bract_rsa_result *r;
    ck_assert_int_eq(bract_rsa_run(&in, &o, &r), 0);
    const bract_rsa_row *w = find_row(r, BRACT_RSA_GROUP, BRACT_RSA_NONE, "animacy", NULL);
    ck_assert_double_eq_tol(w->stat, 4.346770, 1e-4);
    ck_assert_double_eq_tol(w->p, 0.011241, 1e-4);
    ck_assert_double_eq_tol(w->z, (atanh(0.413584) + atanh(0.248318) + atanh(0.592673) +
                                   atanh(0.290304)) / 4, 1e-6);
    /* the interval of the mean z, as r: tanh(mean +- t(0.975, 3) sd / 2) */
    ck_assert(w->ci_low < w->r && w->r < w->ci_high);
    const bract_rsa_row *pw = find_row(r, BRACT_RSA_GROUP, BRACT_RSA_NONE, "animacy", "monkeyIT");
    ck_assert_double_eq_tol(pw->stat, 2.338255, 1e-4);
    ck_assert_double_eq_tol(pw->p, 0.101383, 1e-4);
    ck_assert_double_eq_tol(pw->r, (0.413584 + 0.248318 + 0.592673 + 0.290304 - 0.344511 -
                                    0.219805 - 0.409012 - 0.211970) / 4, 1e-6);
    bract_rsa_result_free(r);
    o.group_test = BRACT_GROUP_WILCOXON;
    ck_assert_int_eq(bract_rsa_run(&in, &o, &r), 0);
    w = find_row(r, BRACT_RSA_GROUP, BRACT_RSA_NONE, "animacy", NULL);
    ck_assert_str_eq(w->test, "wilcoxon");
    ck_assert_double_eq(w->stat, 10); /* R+ = 1 + 2 + 3 + 4 */
    ck_assert_double_eq_tol(w->p, 1.0 / 16, 1e-15);
    bract_rsa_result_free(r);
    o.group_test = BRACT_GROUP_SIGNFLIP;
    ck_assert_int_eq(bract_rsa_run(&in, &o, &r), 0);
    w = find_row(r, BRACT_RSA_GROUP, BRACT_RSA_NONE, "animacy", NULL);
    ck_assert_str_eq(w->test, "signflip");
    ck_assert_int_eq((int)w->nsamples, 15);
    ck_assert_double_eq_tol(w->p, 1.0 / 16, 1e-15);
    /* FDR: the group's model rows form one family */
    double p[8], q[8];
    size_t iw[16];
    int k = 0;
    for (size_t i = 0; i < r->nrows; i++)
        if (r->rows[i].level == BRACT_RSA_GROUP && r->rows[i].model_b == BRACT_RSA_NONE)
            p[k++] = r->rows[i].p;
    ck_assert_int_eq(k, 8);
    bract_stats_fdr_bh(p, 8, q, iw);
    k = 0;
    for (size_t i = 0; i < r->nrows; i++)
        if (r->rows[i].level == BRACT_RSA_GROUP && r->rows[i].model_b == BRACT_RSA_NONE)
            ck_assert_double_eq(r->rows[i].p_fdr, q[k++]);
    bract_rsa_result_free(r);
    free92(&D);
}
END_TEST

START_TEST(signflip_by_hand)
{
    /* {1, 2, 3}: the 7 other sign patterns have means 4/3, 2/3, 0, 0, -2/3,
     * -4/3, -2, none >= 2: p = 1/8.  {3, -1, 2}: mean 4/3; patterns reaching
     * it: flipping 1 alone (mean 2), so p = 2/8. */
    const double a[3] = {1, 2, 3}, b[3] = {3, -1, 2};
    double m, p;
    size_t n;
    ck_assert_int_eq(bract_rsa_signflip_test(a, 3, 1000, 1, 0, BRACT_ALT_GREATER, &m, &p, &n), 0);
    ck_assert_int_eq((int)n, 7);
    ck_assert_double_eq_tol(m, 2, 1e-15);
    ck_assert_double_eq_tol(p, 1.0 / 8, 1e-15);
    ck_assert_int_eq(bract_rsa_signflip_test(b, 3, 1000, 1, 0, BRACT_ALT_GREATER, &m, &p, &n), 0);
    ck_assert_double_eq_tol(p, 2.0 / 8, 1e-15);
    /* two-sided: |mean| >= 4/3: {3,-1,2} (4/3), {3,1,2} (2), {-3,1,-2}, {-3,-1,-2}: 4 of 8 */
    ck_assert_int_eq(bract_rsa_signflip_test(b, 3, 1000, 1, 0, BRACT_ALT_TWO_SIDED, &m, &p, &n), 0);
    ck_assert_double_eq_tol(p, 4.0 / 8, 1e-15);
    /* random flips when 2^n - 1 exceeds the number asked */
    ck_assert_int_eq(bract_rsa_signflip_test(b, 3, 5, 1, 0, BRACT_ALT_GREATER, &m, &p, &n), 0);
    ck_assert_int_eq((int)n, 5);
}
END_TEST

/* ---- matching, errors ---- */

static const char *const C6[6] = {"dog", "cat", "cow", "hen", "pig", "fox"};

static void rand_rdm(double *d, size_t np, uint64_t seed)
{
    bract_rng r;
    bract_rng_init(&r, seed, 0, 0);
    for (size_t q = 0; q < np; q++)
        d[q] = bract_rng_uniform(&r);
}

START_TEST(condition_order)
{
    /* a neural RDM listing the conditions in another order gives the same
     * values as one in the models' order */
    double m[15], x[15], y[15];
    rand_rdm(m, 15, 1);
    rand_rdm(x, 15, 2);
    /* y: x with conditions reversed */
    const char *rev[6];
    for (int i = 0; i < 6; i++)
        rev[i] = C6[5 - i];
    for (size_t i = 0; i < 6; i++)
        for (size_t j = i + 1; j < 6; j++)
            y[bract_pair_index(6, 5 - j, 5 - i)] = x[bract_pair_index(6, i, j)];
    bract_rdmset *ms = one_rdm_set("model", 6, C6, m), *n1 = one_rdm_set("V1", 6, C6, x),
                 *n2 = one_rdm_set("V1", 6, rev, y);
    const bract_rdm *models[1] = {&ms->rdm[0]};
    const char *names[2] = {"a", "b"};
    const bract_rdmset *sets[2] = {n1, n2};
    bract_rsa_input in = {2, names, NULL, sets, 1, models, NULL, NULL, 0, NULL, NULL};
    bract_rsa_opts o;
    bract_rsa_opts_defaults(&o);
    o.permutations = 50;
    bract_rsa_result *r;
    ck_assert_int_eq(bract_rsa_run(&in, &o, &r), 0);
    ck_assert_int_eq((int)r->nrows, 2);
    ck_assert_double_eq(r->rows[0].r, r->rows[1].r);
    double want;
    ck_assert_int_eq(bract_compare_vectors(BRACT_CMP_SPEARMAN, 6, x, m, &want), 0);
    ck_assert_double_eq_tol(r->rows[0].r, want, 1e-15);
    bract_rsa_result_free(r);
    bract_rdmset_free(ms);
    bract_rdmset_free(n1);
    bract_rdmset_free(n2);
}
END_TEST

START_TEST(bad_inputs)
{
    double m[15], x[15];
    rand_rdm(m, 15, 1);
    rand_rdm(x, 15, 2);
    const char *other[6] = {"dog", "cat", "cow", "hen", "pig", "owl"};
    bract_rdmset *ms = one_rdm_set("model", 6, C6, m), *good = one_rdm_set("V1", 6, C6, x),
                 *wrong = one_rdm_set("V1", 6, other, x), *v2 = one_rdm_set("V2", 6, C6, x);
    const bract_rdm *models[1] = {&ms->rdm[0]};
    const char *names[2] = {"sub-01", "sub-02"};
    const char *files[2] = {"sub-01.tsv", "sub-02.tsv"};
    bract_rsa_opts o;
    bract_rsa_opts_defaults(&o);
    o.permutations = 0;
    bract_rsa_result *r = NULL;
    /* conditions that differ from the model's */
    const bract_rdmset *s1[2] = {good, wrong};
    bract_rsa_input in = {2, names, files, s1, 1, models, NULL, NULL, 0, NULL, NULL};
    ck_assert_int_eq(bract_rsa_run(&in, &o, &r), BRACT_EDATA);
    ck_assert_error_has("sub-02.tsv: RDM 'V1' does not have the conditions of the models");
    ck_assert_error_has("not in the models: 'owl' (1 in all); missing: 'fox' (1 in all)");
    ck_assert_ptr_null(r);
    /* a region missing from a subject, and an unknown one */
    const bract_rdmset *s2[2] = {good, v2};
    in.neural = s2;
    ck_assert_int_eq(bract_rsa_run(&in, &o, &r), BRACT_EDATA);
    ck_assert_error_has("sub-02.tsv has no RDM 'V1', which sub-01.tsv has");
    const bract_rdmset *s3[2] = {v2, good};
    in.neural = s3;
    ck_assert_int_eq(bract_rsa_run(&in, &o, &r), BRACT_EDATA);
    ck_assert_error_has("sub-02.tsv has no RDM 'V2'");
    /* missing pairs that do not coincide, named by their conditions */
    double xn[15];
    memcpy(xn, x, sizeof xn);
    xn[bract_pair_index(6, 1, 3)] = NAN;
    bract_rdmset *nan = one_rdm_set("V1", 6, C6, xn);
    const bract_rdmset *s4[2] = {good, nan};
    in.neural = s4;
    ck_assert_int_eq(bract_rsa_run(&in, &o, &r), BRACT_EDATA);
    ck_assert_error_has("sub-02.tsv: RDM 'V1' has no value for the pair (cat, hen), which the "
                        "models have");
    double mn[15];
    memcpy(mn, m, sizeof mn);
    mn[bract_pair_index(6, 0, 5)] = NAN;
    bract_rdmset *msn = one_rdm_set("model", 6, C6, mn);
    const bract_rdm *mm[1] = {&msn->rdm[0]};
    in.models = mm;
    in.neural = s1;
    s1[1] = good;
    ck_assert_int_eq(bract_rsa_run(&in, &o, &r), BRACT_EDATA);
    /* F17: the model that misses the pair is blamed, not the neural RDM */
    ck_assert_error_has("model 'model' has no value for the pair (dog, fox), which RDM 'V1' of "
                        "sub-01.tsv has: missing pairs must coincide");
    /* ... which the model-mask policy accepts */
    o.nan_policy = BRACT_NAN_MODEL_MASK;
    ck_assert_int_eq(bract_rsa_run(&in, &o, &r), 0);
    ck_assert_int_eq((int)r->rows[0].npairs, 14);
    bract_rsa_result_free(r);
    o.nan_policy = BRACT_NAN_MATCH;
    /* a constant model */
    double cst[15];
    for (int q = 0; q < 15; q++)
        cst[q] = 1;
    bract_rdmset *mc = one_rdm_set("flat", 6, C6, cst);
    const bract_rdm *mcm[1] = {&mc->rdm[0]};
    const char *mf[1] = {"flat.tsv"};
    in.models = mcm;
    in.model_files = mf;
    ck_assert_int_eq(bract_rsa_run(&in, &o, &r), BRACT_EDATA);
    ck_assert_error_has("flat.tsv: model RDM 'flat' is constant");
    /* group statistics with one subject */
    in.models = models;
    in.nsubjects = 1;
    o.group = 1;
    ck_assert_int_eq(bract_rsa_run(&in, &o, &r), BRACT_EINVAL);
    ck_assert_error_has("group statistics need at least 2 subjects");
    bract_rdmset_free(ms);
    bract_rdmset_free(good);
    bract_rdmset_free(wrong);
    bract_rdmset_free(v2);
    bract_rdmset_free(nan);
    bract_rdmset_free(msn);
    bract_rdmset_free(mc);
}
END_TEST

/* Files: a value the model misses is blamed on the model's file and line
 * (F17); a negative dissimilarity is refused naming file, line, RDM and
 * pair, unless the sidecar says crossnobis (F21). */
START_TEST(file_places)
{
    char *tmp = tu_tmpdir(), *np = tu_join(tmp, "neural.tsv"), *mp = tu_join(tmp, "model.tsv"),
         *sp = tu_join(tmp, "neural.json");
    tu_write(mp, "rdm\tcondition_a\tcondition_b\tdissimilarity\n"
                 "m\ta\tb\t1\nm\ta\tc\t2\nm\tb\tc\tn/a\nm\ta\td\t1\nm\tb\td\t3\nm\tc\td\t2\n");
    tu_write(np, "rdm\tcondition_a\tcondition_b\tdissimilarity\n"
                 "V1\ta\tb\t1\nV1\ta\tc\t2\nV1\tb\tc\t0.5\nV1\ta\td\t1\nV1\tb\td\t3\nV1\tc\td\t2\n");
    bract_rdmset *ms, *ns;
    ck_assert_int_eq(bract_rdmset_read(mp, &ms), 0);
    ck_assert_int_eq(bract_rdmset_read(np, &ns), 0);
    const bract_rdm *models[1] = {&ms->rdm[0]};
    const char *names[1] = {"sub-01"}, *files[1] = {np}, *mf[1] = {mp};
    const bract_rdmset *sets[1] = {ns};
    bract_rsa_input in = {1, names, files, sets, 1, models, NULL, mf, 0, NULL, NULL};
    bract_rsa_opts o;
    bract_rsa_opts_defaults(&o);
    o.permutations = 0;
    bract_rsa_result *r = NULL;
    ck_assert_int_eq(bract_rsa_run(&in, &o, &r), BRACT_EDATA);
    ck_assert_error_has("model.tsv:4: model 'm' has no value for the pair (b, c), which RDM 'V1' "
                        "of ");
    bract_rdmset_free(ns);
    /* a negative value (the model now complete) */
    tu_write(mp, "rdm\tcondition_a\tcondition_b\tdissimilarity\n"
                 "m\ta\tb\t1\nm\ta\tc\t2\nm\tb\tc\t1\nm\ta\td\t1\nm\tb\td\t3\nm\tc\td\t2\n");
    bract_rdmset_free(ms);
    ck_assert_int_eq(bract_rdmset_read(mp, &ms), 0);
    models[0] = &ms->rdm[0];
    tu_write(np, "rdm\tcondition_a\tcondition_b\tdissimilarity\n"
                 "V1\ta\tb\t1\nV1\ta\tc\t2\nV1\tb\tc\t0.5\nV1\ta\td\t1\nV1\tb\td\t-0.25\nV1\tc\td\t2\n");
    ck_assert_int_eq(bract_rdmset_read(np, &ns), 0);
    ck_assert_ptr_null(ns->measure);
    sets[0] = ns;
    ck_assert_int_eq(bract_rsa_run(&in, &o, &r), BRACT_EDATA);
    ck_assert_error_has("neural.tsv:6: RDM 'V1' has the negative dissimilarity -0.25 for the pair "
                        "(b, d) (expected >= 0");
    bract_rdmset_free(ns);
    /* crossnobis (its sidecar says so) may be negative */
    tu_write(sp, "{\"Command\": \"rdm neural\", \"Parameters\": {\"method\": \"crossnobis\"}}\n");
    ck_assert_int_eq(bract_rdmset_read(np, &ns), 0);
    ck_assert_str_eq(ns->measure, "crossnobis");
    sets[0] = ns;
    ck_assert_msg(bract_rsa_run(&in, &o, &r) == 0, "%s", bract_last_error());
    bract_rsa_result_free(r);
    bract_rdmset_free(ns);
    bract_rdmset_free(ms);
    tu_rmtree(tmp);
    free(tmp), free(np), free(mp), free(sp);
}
END_TEST

START_TEST(constant_subject_left_out)
{
    double m[15], x[15], y[15], c[15];
    rand_rdm(m, 15, 1);
    rand_rdm(x, 15, 2);
    rand_rdm(y, 15, 3);
    for (int q = 0; q < 15; q++)
        c[q] = 0.5;
    bract_rdmset *ms = one_rdm_set("model", 6, C6, m), *a = one_rdm_set("V1", 6, C6, x),
                 *b = one_rdm_set("V1", 6, C6, y), *k = one_rdm_set("V1", 6, C6, c);
    const bract_rdm *models[1] = {&ms->rdm[0]};
    const char *names[3] = {"s1", "s2", "s3"};
    const bract_rdmset *sets[3] = {a, b, k};
    bract_rsa_input in = {3, names, NULL, sets, 1, models, NULL, NULL, 0, NULL, NULL};
    bract_rsa_opts o;
    bract_rsa_opts_defaults(&o);
    o.permutations = 30;
    o.group = 1;
    bract_rsa_result *r;
    ck_assert_int_eq(bract_rsa_run(&in, &o, &r), 0);
    ck_assert_int_eq((int)r->excluded, 1);
    const char *const *warn;
    ck_assert_int_eq((int)bract_take_warnings(&warn), 1);
    ck_assert(tu_contains(warn[0], "s3: RDM 'V1' is constant over the pairs compared"));
    const bract_rsa_row *g = &r->rows[0];
    ck_assert_int_eq(g->level, BRACT_RSA_GROUP);
    ck_assert_int_eq((int)g->nsubjects, 2);
    ck_assert(isfinite(g->noise_lower)); /* from the two others */
    ck_assert(isnan(r->rows[3].r) && isnan(r->rows[3].p));
    bract_rsa_result_free(r);
    bract_rdmset_free(ms);
    bract_rdmset_free(a);
    bract_rdmset_free(b);
    bract_rdmset_free(k);
}
END_TEST

START_TEST(threads_identical)
{
    /* permutations, bootstrap, sign flips: the same numbers on 1 and 2
     * threads */
    data92 D;
    load92(&D);
    const bract_rdm *models[8];
    bract_rsa_input in = input92(&D, models);
    in.nmodels = 3;
    bract_rsa_opts o;
    bract_rsa_opts_defaults(&o);
    o.permutations = 200;
    o.bootstrap = 40;
    o.group = 1;
    o.group_test = BRACT_GROUP_SIGNFLIP;
    bract_rsa_result *r1, *r2;
    omp_set_num_threads(1);
    ck_assert_int_eq(bract_rsa_run(&in, &o, &r1), 0);
    omp_set_num_threads(2);
    ck_assert_int_eq(bract_rsa_run(&in, &o, &r2), 0);
    ck_assert_int_eq((int)r1->nrows, (int)r2->nrows);
    for (size_t i = 0; i < r1->nrows; i++) {
        const bract_rsa_row *a = &r1->rows[i], *b = &r2->rows[i];
        ck_assert(memcmp(&a->r, &b->r, sizeof a->r) == 0);
        ck_assert(memcmp(&a->p, &b->p, sizeof a->p) == 0);
        ck_assert(memcmp(&a->ci_low, &b->ci_low, sizeof a->ci_low) == 0);
        ck_assert(memcmp(&a->ci_high, &b->ci_high, sizeof a->ci_high) == 0);
    }
    /* subject rows: permutation p-values, bootstrap intervals around r, and
     * pairwise bootstrap rows */
    const bract_rsa_row *w = find_row(r1, BRACT_RSA_SUBJECT, 0, "animacy", NULL);
    ck_assert_str_eq(w->test, "permutation");
    ck_assert_int_eq((int)w->nsamples, 200);
    ck_assert_double_eq_tol(w->p, 1.0 / 201, 1e-15); /* r = 0.41: no relabelling reaches it */
    ck_assert(w->ci_low < w->r && w->r < w->ci_high);
    w = find_row(r1, BRACT_RSA_SUBJECT, 0, "animacy", "monkeyIT");
    ck_assert_str_eq(w->test, "bootstrap");
    bract_rsa_result_free(r1);
    bract_rsa_result_free(r2);
    free92(&D);
}
END_TEST

/* ---- false-positive rate of the group t test, end to end ---- */

/* Correlation-distance RDM of each region of simulated patterns (runs
 * averaged), as bract rdm neural would compute it. */
static void region_rdms(const bract_simrsa *d, const bract_volume *p, bract_rdmset *out)
{
    size_t W = d->nwords, nvox = p->nvox;
    for (size_t g = 0; g < d->nregions; g++) {
        size_t nv = 0;
        for (size_t i = 0; i < nvox; i++)
            nv += bract_volume_get(d->atlas, i) == (double)(g + 1);
        double *B = calloc(W * nv, sizeof *B);
        size_t k = 0;
        for (size_t i = 0; i < nvox; i++) {
            if (bract_volume_get(d->atlas, i) != (double)(g + 1))
                continue;
            for (size_t t = 0; t < d->nvol; t++)
                B[d->vol_word[t] * nv + k] += bract_volume_get(p, i + nvox * t) / (double)d->o.runs;
            k++;
        }
        ck_assert_int_eq(bract_rdmset_init_rdm(out, g, d->region_names[g], W,
                                               (const char *const *)d->words), 0);
        size_t q = 0;
        for (size_t a = 0; a < W; a++)
            for (size_t b = a + 1; b < W; b++, q++)
                out->rdm[g].d[q] = 1 - bract_stats_pearson(B + a * nv, B + b * nv, nv);
        free(B);
    }
}

static bract_rdmset *embedding_rdm(const bract_simrsa *d)
{
    size_t W = d->nwords, D = d->dims;
    bract_rdmset *s = NULL;
    bract_rdmset_new(1, &s);
    ck_assert_int_eq(bract_rdmset_init_rdm(s, 0, "embedding", W, (const char *const *)d->words), 0);
    size_t q = 0;
    for (size_t a = 0; a < W; a++)
        for (size_t b = a + 1; b < W; b++, q++) {
            double ab = 0, aa = 0, bb = 0;
            for (size_t e = 0; e < D; e++) {
                ab += d->embedding[a * D + e] * d->embedding[b * D + e];
                aa += d->embedding[a * D + e] * d->embedding[a * D + e];
                bb += d->embedding[b * D + e] * d->embedding[b * D + e];
            }
            s->rdm[0].d[q] = 1 - ab / sqrt(aa * bb);
        }
    return s;
}

/* Simulate, compute RDMs, run the group analysis. */
static bract_rsa_result *simulate_and_test(const bract_simrsa_opts *so, const bract_rsa_opts *o,
                                           bract_simrsa **dd)
{
    bract_simrsa *d;
    ck_assert_int_eq(bract_simrsa_new(so, &d), 0);
    size_t S = so->subjects;
    bract_rdmset **sets = calloc(S, sizeof *sets);
    const char **names = calloc(S, sizeof *names);
    for (size_t s = 0; s < S; s++) {
        bract_volume *p;
        ck_assert_int_eq(bract_simrsa_subject(d, s, &p), 0);
        ck_assert_int_eq(bract_rdmset_new(d->nregions, &sets[s]), 0);
        region_rdms(d, p, sets[s]);
        bract_volume_free(p);
        names[s] = "s";
    }
    bract_rdmset *m = embedding_rdm(d);
    const bract_rdm *models[1] = {&m->rdm[0]};
    bract_rsa_input in = {S, names, NULL, (const bract_rdmset *const *)sets, 1, models,
                          NULL, NULL, 0, NULL, NULL};
    bract_rsa_result *r;
    ck_assert_int_eq(bract_rsa_run(&in, o, &r), 0);
    for (size_t s = 0; s < S; s++)
        bract_rdmset_free(sets[s]);
    free(sets);
    free(names);
    bract_rdmset_free(m);
    if (dd)
        *dd = d;
    else
        bract_simrsa_free(d);
    return r;
}

START_TEST(group_t_false_positive_rate)
{
    /* 200 simulated datasets without signal (SNR 0): 10 subjects, 12 words,
     * one region of a small brain; one-sided group t test on Fisher z at
     * 0.05.  Under H0 the rejections are Binomial(200, 0.05):
     * P(X >= 21) = 0.0011, P(X <= 2) = 0.0023. */
    bract_simrsa_opts so;
    bract_simrsa_opts_defaults(&so);
    so.subjects = 10;
    so.words = 12;
    so.runs = 1;
    so.dims = 8;
    so.categories = 3;
    so.regions = 1;
    so.signal_regions = 0;
    so.snr = 0;
    so.grid[0] = 6;
    so.grid[1] = 6;
    so.grid[2] = 4;
    so.documents = 0;
    bract_rsa_opts o;
    bract_rsa_opts_defaults(&o);
    o.permutations = 0;
    o.group = 1;
    int reject = 0;
    for (int sim = 0; sim < 200; sim++) {
        so.seed = 5000 + (uint64_t)sim;
        bract_rsa_result *r = simulate_and_test(&so, &o, NULL);
        ck_assert_int_eq(r->rows[0].level, BRACT_RSA_GROUP);
        reject += r->rows[0].p <= 0.05;
        bract_rsa_result_free(r);
    }
    ck_assert_msg(reject >= 3 && reject <= 20, "%d of 200 null group tests rejected at 0.05",
                  reject);
}
END_TEST

START_TEST(planted_regions_found)
{
    /* the default simulation: the two signal regions are significant after
     * FDR at the group, and their per-subject permutation tests too */
    bract_simrsa_opts so;
    bract_simrsa_opts_defaults(&so);
    so.documents = 0;
    bract_rsa_opts o;
    bract_rsa_opts_defaults(&o);
    o.permutations = 199;
    o.group = 1;
    bract_simrsa *d;
    bract_rsa_result *r = simulate_and_test(&so, &o, &d);
    int found = 0;
    for (size_t i = 0; i < r->nrows; i++) {
        const bract_rsa_row *w = &r->rows[i];
        int sig = d->region_signal[w->region];
        if (w->level == BRACT_RSA_GROUP && sig) {
            ck_assert_msg(w->p_fdr < 0.001, "signal region %s: q %g", r->regions[w->region],
                          w->p_fdr);
            found++;
        }
        if (w->level == BRACT_RSA_SUBJECT && sig)
            ck_assert_double_eq_tol(w->p, 1.0 / 200, 1e-15);
    }
    ck_assert_int_eq(found, 2);
    bract_rsa_result_free(r);
    bract_simrsa_free(d);
}
END_TEST

START_TEST(group_test_names)
{
    for (int t = BRACT_GROUP_T; t <= BRACT_GROUP_SIGNFLIP; t++) {
        bract_rsa_group_test got = BRACT_GROUP_T;
        ck_assert_int_eq(bract_rsa_group_test_parse(bract_rsa_group_test_name(t), &got), 0);
        ck_assert_int_eq(got, t);
    }
    ck_assert_str_eq(bract_rsa_group_test_name(BRACT_GROUP_WILCOXON), "wilcoxon");
    bract_rsa_group_test t;
    ck_assert_int_eq(bract_rsa_group_test_parse("z", &t), BRACT_EINVAL);
    ck_assert_str_eq(bract_last_error(),
                     "unknown group test 'z' (expected one of t, wilcoxon, signflip)");
}
END_TEST

static Suite *rsa_suite(void)
{
    Suite *s = suite_create("rsa");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, rsa92_group_rho_a);
    tcase_add_test(tc, group_test_names);
    tcase_add_test(tc, rsa92_group_tests);
    tcase_add_test(tc, signflip_by_hand);
    tcase_add_test(tc, condition_order);
    tcase_add_test(tc, bad_inputs);
    tcase_add_test(tc, file_places);
    tcase_add_test(tc, constant_subject_left_out);
    tcase_add_test(tc, threads_identical);
    tcase_add_test(tc, group_t_false_positive_rate);
    tcase_add_test(tc, planted_regions_found);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(rsa_suite()); }
