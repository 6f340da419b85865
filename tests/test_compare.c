/* Unit tests of bract/compare.h: every method against rsatoolbox (reference
 * fixtures at 1e-10, the hand-checkable examples and the 92-image tables of
 * notes/rsa.md section 12 at their 6 printed decimals, i.e. 5e-7), Kendall
 * against a brute-force count, partial correlation against the analytic
 * formula and CoSMoMVPA's published value, missing pairs, the permutation
 * test (an exhaustive case counted by hand, fast paths against brute force,
 * thread invariance, the false-positive rate), the bootstrap and the noise
 * ceiling. */
#include "testutil.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

/* ---- reference fixture: 66 pairs (12 conditions), a tied model, 5 subjects ---- */

#define NREF 66
#define NCREF 12
static double ref_model[NREF], ref_subj[5][NREF];

static void load_compare_inputs(void)
{
    bract_table *t;
    ck_assert_int_eq(bract_table_read(REFDATA "/rsa/compare_inputs.tsv", &t), 0);
    ck_assert_int_eq((int)t->nrows, NREF);
    size_t c;
    ck_assert_int_eq(bract_table_require(t, "model", &c), 0);
    ck_assert_int_eq(bract_table_column(t, c, ref_model), 0);
    for (int s = 0; s < 5; s++) {
        char name[16];
        snprintf(name, sizeof name, "subject%d", s + 1);
        ck_assert_int_eq(bract_table_require(t, name, &c), 0);
        ck_assert_int_eq(bract_table_column(t, c, ref_subj[s]), 0);
    }
    bract_table_free(t);
}

/* rsatoolbox's method names in the fixtures */
static bract_compare_method method_of(const char *s)
{
    bract_compare_method m;
    ck_assert_int_eq(bract_compare_method_parse(s, &m), 0);
    return m;
}

START_TEST(reference_compare)
{
    load_compare_inputs();
    bract_table *t;
    ck_assert_int_eq(bract_table_read(REFDATA "/rsa/expected_compare.tsv", &t), 0);
    ck_assert_int_eq((int)t->nrows, 40);
    int seen[BRACT_CMP_NMETHODS] = {0};
    for (size_t r = 0; r < t->nrows; r++) {
        int s = atoi(bract_table_cell(t, r, 0) + strlen("subject")) - 1;
        bract_compare_method m = method_of(bract_table_cell(t, r, 1));
        double want, got;
        ck_assert_int_eq(bract_table_double(t, r, 2, &want), 0);
        ck_assert_int_eq(bract_compare_vectors(m, NCREF, ref_subj[s], ref_model, &got), 0);
        /* rsatoolbox f1f83ca, tolerance 1e-10 (reference/README.md) */
        ck_assert_msg(fabs(got - want) <= 1e-10, "subject%d %s: %.17g, expected %.17g", s + 1,
                      bract_compare_method_name(m), got, want);
        seen[m]++;
    }
    for (int m = 0; m < BRACT_CMP_NMETHODS; m++)
        ck_assert_int_eq(seen[m], 5);
    bract_table_free(t);
}
END_TEST

START_TEST(reference_plan_many_models)
{
    /* one plan holding the 5 subject RDMs as models, the model as the neural
     * RDM: every method is symmetric, so the values are the fixture's */
    load_compare_inputs();
    bract_table *t;
    ck_assert_int_eq(bract_table_read(REFDATA "/rsa/expected_compare.tsv", &t), 0);
    const double *models[5] = {ref_subj[0], ref_subj[1], ref_subj[2], ref_subj[3], ref_subj[4]};
    for (int m = 0; m < BRACT_CMP_NMETHODS; m++) {
        bract_compare_opts o = {(bract_compare_method)m, BRACT_PARTIAL_NONE, BRACT_NAN_MATCH};
        bract_compare_plan *p;
        ck_assert_int_eq(bract_compare_plan_new(&o, NCREF, 5, models, 0, NULL, &p), 0);
        ck_assert_int_eq((int)bract_compare_plan_npairs(p), NREF);
        bract_compare_ws *w = NULL;
        bract_compare_ws_new(p, &w);
        double r[5];
        ck_assert_int_eq(bract_compare_run(p, w, ref_model, r), 0);
        for (size_t row = 0; row < t->nrows; row++) {
            if (method_of(bract_table_cell(t, row, 1)) != (bract_compare_method)m)
                continue;
            int s = atoi(bract_table_cell(t, row, 0) + strlen("subject")) - 1;
            double want;
            bract_table_double(t, row, 2, &want);
            ck_assert_double_eq_tol(r[s], want, 1e-10); /* rsatoolbox, 1e-10 */
        }
        bract_compare_ws_free(w);
        bract_compare_plan_free(p);
    }
    bract_table_free(t);
}
END_TEST

START_TEST(reference_noise_ceiling)
{
    load_compare_inputs();
    bract_table *t;
    ck_assert_int_eq(bract_table_read(REFDATA "/rsa/expected_noise_ceiling.tsv", &t), 0);
    const double *rdms[5] = {ref_subj[0], ref_subj[1], ref_subj[2], ref_subj[3], ref_subj[4]};
    ck_assert_int_eq((int)t->nrows, 5);
    for (size_t r = 0; r < t->nrows; r++) {
        bract_compare_method m = method_of(bract_table_cell(t, r, 0));
        double lo, up, wlo, wup;
        bract_table_double(t, r, 1, &wlo);
        bract_table_double(t, r, 2, &wup);
        ck_assert_int_eq(bract_compare_noise_ceiling(m, NCREF, 5, rdms, NULL, &lo, &up), 0);
        /* rsatoolbox boot_noise_ceiling, 1e-10 */
        ck_assert_msg(fabs(lo - wlo) <= 1e-10 && fabs(up - wup) <= 1e-10,
                      "%s: %.17g %.17g, expected %.17g %.17g", bract_compare_method_name(m), lo, up,
                      wlo, wup);
    }
    bract_table_free(t);
}
END_TEST

/* ---- notes/rsa.md 12.1: 4 conditions, a tied model ---- */

static const double micro_m[6] = {0, 0, 1, 1, 1, 1};
static const double micro_d1[6] = {.1, .2, .5, .4, .9, .7};
static const double micro_d2[6] = {.3, .1, .6, .8, .5, .9};

START_TEST(micro_examples)
{
    static const struct {
        const char *method;
        double d1, d2;
    } want[] = {{"cosine", 0.942223, 0.952579},     {"corr", 0.814618, 0.857493},
                {"spearman", 0.828079, 0.828079},   {"rho-a", 0.685714, 0.685714},
                {"kendall", 0.730297, 0.730297},    {"tau-a", 0.533333, 0.533333},
                {"cosine_cov", 0.841844, 0.901700}, {"corr_cov", 0.691861, 0.815410}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        bract_compare_method m = method_of(want[i].method);
        double r1, r2;
        ck_assert_int_eq(bract_compare_vectors(m, 4, micro_d1, micro_m, &r1), 0);
        ck_assert_int_eq(bract_compare_vectors(m, 4, micro_d2, micro_m, &r2), 0);
        /* 6 printed decimals: 5e-7 */
        ck_assert_msg(fabs(r1 - want[i].d1) <= 5e-7 && fabs(r2 - want[i].d2) <= 5e-7,
                      "%s: %.7f %.7f", want[i].method, r1, r2);
    }
    static const struct {
        const char *method;
        double lo, up;
    } nc[] = {{"cosine", 0.897542, 0.974049},
              {"corr", 0.566176, 0.884923},
              {"spearman", 0.542857, 0.853310},
              {"rho-a", 0.542857, 0.828571},
              {"tau-a", 0.333333, 0.666667}};
    const double *data[2] = {micro_d1, micro_d2};
    for (size_t i = 0; i < sizeof nc / sizeof nc[0]; i++) {
        double lo, up;
        ck_assert_int_eq(bract_compare_noise_ceiling(method_of(nc[i].method), 4, 2, data, NULL, &lo, &up),
                         0);
        ck_assert_msg(fabs(lo - nc[i].lo) <= 5e-7 && fabs(up - nc[i].up) <= 5e-7,
                      "noise ceiling %s: %.7f %.7f", nc[i].method, lo, up);
    }
}
END_TEST

/* ---- 92-image data (notes/rsa.md 12.2) ---- */

static const char *const models92[8] = {"animacy", "FaceBodyManmadeNatobj", "monkeyIT", "EVA",
                                        "HMAX",    "V1",                    "Silhouette",
                                        "RADON"};

/* The 4 subject RDMs (mean of the two sessions) and the 8 models. */
static void load92(double subj[4][4186], double model[8][4186])
{
    bract_rdmset *b, *m;
    ck_assert_int_eq(bract_rdmset_read(TESTDATA "/data/rsa92/brain_rdms.tsv.gz", &b), 0);
    ck_assert_int_eq(bract_rdmset_read(TESTDATA "/data/rsa92/model_rdms.tsv.gz", &m), 0);
    static const char *const who[4] = {"BE", "KO", "SN", "TI"};
    for (int s = 0; s < 4; s++) {
        char n1[32], n2[32];
        snprintf(n1, sizeof n1, "hIT_%s_ses1", who[s]);
        snprintf(n2, sizeof n2, "hIT_%s_ses2", who[s]);
        long k1 = bract_rdmset_find(b, n1), k2 = bract_rdmset_find(b, n2);
        ck_assert(k1 >= 0 && k2 >= 0);
        ck_assert_int_eq((int)b->rdm[k1].n, 92);
        for (int p = 0; p < 4186; p++)
            subj[s][p] = (b->rdm[k1].d[p] + b->rdm[k2].d[p]) / 2;
    }
    for (int k = 0; k < 8; k++) {
        long i = bract_rdmset_find(m, models92[k]);
        ck_assert(i >= 0);
        for (int c = 0; c < 92; c++)
            ck_assert_str_eq(m->rdm[i].cond[c], b->rdm[0].cond[c]);
        memcpy(model[k], m->rdm[i].d, sizeof model[k]);
    }
    bract_rdmset_free(b);
    bract_rdmset_free(m);
}

START_TEST(rsa92_tables)
{
    static double subj[4][4186], model[8][4186], mean[4186];
    load92(subj, model);
    for (int p = 0; p < 4186; p++)
        mean[p] = (subj[0][p] + subj[1][p] + subj[2][p] + subj[3][p]) / 4;
    /* table A: subject-mean RDM vs each model (rsatoolbox f1f83ca) */
    static const struct {
        const char *method;
        double v[8];
    } A[] = {
        {"cosine", {0.749864, 0.887442, 0.995022, 0.994349, 0.962309, 0.960738, 0.955970, 0.802900}},
        {"corr", {0.576591, 0.417738, 0.491210, 0.373472, 0.216480, 0.042232, 0.161769, 0.054871}},
        {"spearman", {0.588189, 0.405282, 0.438924, 0.354166, 0.221733, 0.039265, 0.124677, 0.061208}},
        {"rho-a", {0.509366, 0.300850, 0.438924, 0.354166, 0.221733, 0.039265, 0.124677, 0.061208}},
        {"tau-a", {0.339658, 0.200614, 0.304048, 0.240776, 0.149444, 0.026098, 0.083690, 0.041202}},
        {"kendall", {0.480312, 0.330951, 0.304048, 0.240776, 0.149444, 0.026098, 0.083690, 0.041202}},
        {"cosine_cov", {0.502302, 0.437152, 0.792798, 0.771364, 0.453788, 0.599152, 0.431517, 0.259070}},
        {"corr_cov", {0.622766, 0.451459, 0.527044, 0.401222, 0.224633, 0.156290, 0.212974, 0.058585}},
    };
    const double *mods[8];
    for (int k = 0; k < 8; k++)
        mods[k] = model[k];
    for (size_t i = 0; i < 8; i++) {
        bract_compare_opts o = {method_of(A[i].method), BRACT_PARTIAL_NONE, BRACT_NAN_MATCH};
        bract_compare_plan *p;
        ck_assert_int_eq(bract_compare_plan_new(&o, 92, 8, mods, 0, NULL, &p), 0);
        bract_compare_ws *w = NULL;
        bract_compare_ws_new(p, &w);
        double r[8];
        ck_assert_int_eq(bract_compare_run(p, w, mean, r), 0);
        for (int k = 0; k < 8; k++) /* 6 printed decimals: 5e-7 */
            ck_assert_msg(fabs(r[k] - A[i].v[k]) <= 5e-7, "table A %s %s: %.7f, expected %.6f",
                          A[i].method, models92[k], r[k], A[i].v[k]);
        bract_compare_ws_free(w);
        bract_compare_plan_free(p);
    }
    /* table B: mean over subjects (eval_fixed) and the noise ceiling */
    static const struct {
        const char *method;
        double v[10];
    } B[] = {
        {"cosine", {0.744711, 0.881448, 0.988391, 0.987751, 0.955909, 0.954245, 0.949650, 0.797602, 0.988143, 0.993337}},
        {"corr", {0.387142, 0.281614, 0.333537, 0.259091, 0.152076, 0.024999, 0.115889, 0.036525, 0.394410, 0.680413}},
        {"spearman", {0.386220, 0.276596, 0.296324, 0.245389, 0.159868, 0.026514, 0.096570, 0.038094, 0.372313, 0.665721}},
        {"rho-a", {0.334462, 0.205324, 0.296324, 0.245389, 0.159868, 0.026514, 0.096570, 0.038094, 0.372313, 0.665721}},
        {"tau-a", {0.223028, 0.136915, 0.200864, 0.166116, 0.107260, 0.017927, 0.064688, 0.025876, 0.253944, 0.476654}},
    };
    const double *sp[4] = {subj[0], subj[1], subj[2], subj[3]};
    for (size_t i = 0; i < 5; i++) {
        bract_compare_opts o = {method_of(B[i].method), BRACT_PARTIAL_NONE, BRACT_NAN_MATCH};
        bract_compare_plan *p;
        ck_assert_int_eq(bract_compare_plan_new(&o, 92, 8, mods, 0, NULL, &p), 0);
        bract_compare_ws *w = NULL;
        bract_compare_ws_new(p, &w);
        double r[4][8];
        for (int s = 0; s < 4; s++)
            ck_assert_int_eq(bract_compare_run(p, w, subj[s], r[s]), 0);
        for (int k = 0; k < 8; k++) {
            double m = (r[0][k] + r[1][k] + r[2][k] + r[3][k]) / 4;
            ck_assert_msg(fabs(m - B[i].v[k]) <= 5e-7, "table B %s %s: %.7f, expected %.6f",
                          B[i].method, models92[k], m, B[i].v[k]);
        }
        if (o.method == BRACT_CMP_SPEARMAN) {
            /* per subject: animacy and monkeyIT */
            static const double an[4] = {0.413584, 0.248318, 0.592673, 0.290304};
            static const double mit[4] = {0.344511, 0.219805, 0.409012, 0.211970};
            for (int s = 0; s < 4; s++) {
                ck_assert_double_eq_tol(r[s][0], an[s], 5e-7);
                ck_assert_double_eq_tol(r[s][2], mit[s], 5e-7);
            }
        }
        double lo, up;
        ck_assert_int_eq(bract_compare_noise_ceiling(o.method, 92, 4, sp, NULL, &lo, &up), 0);
        ck_assert_msg(fabs(lo - B[i].v[8]) <= 5e-7 && fabs(up - B[i].v[9]) <= 5e-7,
                      "noise ceiling %s: %.7f %.7f", B[i].method, lo, up);
        bract_compare_ws_free(w);
        bract_compare_plan_free(p);
    }
    /* datasets.md: Pearson 0.4912 and Spearman 0.4389 of the mean RDM with
     * monkeyIT (4 decimals) */
    double r;
    ck_assert_int_eq(bract_compare_vectors(BRACT_CMP_PEARSON, 92, mean, model[2], &r), 0);
    ck_assert_double_eq_tol(r, 0.4912, 5e-5);
    ck_assert_int_eq(bract_compare_vectors(BRACT_CMP_SPEARMAN, 92, mean, model[2], &r), 0);
    ck_assert_double_eq_tol(r, 0.4389, 5e-5);
}
END_TEST

/* ---- Kendall: Knight's algorithm against counting every pair of pairs ---- */

static void brute_tau(const double *x, const double *y, size_t n, double *taub, double *taua)
{
    long long con = 0, dis = 0, tx = 0, ty = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            double a = x[i] - x[j], b = y[i] - y[j];
            if (a == 0)
                tx++;
            if (b == 0)
                ty++;
            if (a * b > 0)
                con++;
            else if (a * b < 0)
                dis++;
        }
    long long tot = (long long)n * ((long long)n - 1) / 2;
    *taub = (double)(con - dis) / sqrt((double)(tot - tx) * (double)(tot - ty));
    *taua = (double)(con - dis) / (double)tot;
}

START_TEST(kendall_brute_force)
{
    bract_rng r;
    bract_rng_init(&r, 7, 0, 0);
    for (int rep = 0; rep < 20; rep++) {
        size_t nc = 5 + (size_t)bract_rng_below(&r, 20), n = nc * (nc - 1) / 2;
        double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
        int levels_x = 2 + (int)bract_rng_below(&r, 5), levels_y = rep % 3 ? 1000000 : 4;
        for (size_t i = 0; i < n; i++) {
            x[i] = (double)bract_rng_below(&r, (uint64_t)levels_x);
            y[i] = (double)bract_rng_below(&r, (uint64_t)levels_y);
        }
        double tb, ta, gb, ga;
        brute_tau(x, y, n, &tb, &ta);
        ck_assert_int_eq(bract_compare_vectors(BRACT_CMP_KENDALL, nc, x, y, &gb), 0);
        ck_assert_int_eq(bract_compare_vectors(BRACT_CMP_TAU_A, nc, x, y, &ga), 0);
        /* exact counts: equal to rounding */
        ck_assert_double_eq_tol(gb, tb, 1e-14);
        ck_assert_double_eq_tol(ga, ta, 1e-14);
        free(x);
        free(y);
    }
}
END_TEST

/* ---- partial correlation ---- */

START_TEST(partial_analytic)
{
    /* one control: r_xy.z = (r_xy - r_xz r_yz) / sqrt((1 - r_xz^2)(1 - r_yz^2)),
     * and the same on ranks for partial Spearman */
    bract_rng r;
    bract_rng_init(&r, 11, 0, 0);
    size_t nc = 15, n = bract_npairs(nc);
    double x[105], y[105], z[105];
    for (size_t i = 0; i < n; i++) {
        z[i] = bract_rng_normal(&r);
        y[i] = z[i] + bract_rng_normal(&r);
        x[i] = 0.5 * y[i] + z[i] + bract_rng_normal(&r);
    }
    for (int spear = 0; spear < 2; spear++) {
        bract_compare_method m = spear ? BRACT_CMP_SPEARMAN : BRACT_CMP_PEARSON;
        double rxy, rxz, ryz;
        bract_compare_vectors(m, nc, x, y, &rxy);
        bract_compare_vectors(m, nc, x, z, &rxz);
        bract_compare_vectors(m, nc, y, z, &ryz);
        double want = (rxy - rxz * ryz) / sqrt((1 - rxz * rxz) * (1 - ryz * ryz));
        bract_compare_opts o = {m, BRACT_PARTIAL_CONTROLS, BRACT_NAN_MATCH};
        const double *mods[1] = {y}, *ctl[1] = {z};
        bract_compare_plan *p;
        ck_assert_int_eq(bract_compare_plan_new(&o, nc, 1, mods, 1, ctl, &p), 0);
        bract_compare_ws *w = NULL;
        bract_compare_ws_new(p, &w);
        double got;
        ck_assert_int_eq(bract_compare_run(p, w, x, &got), 0);
        ck_assert_double_eq_tol(got, want, 1e-12); /* analytic, rounding */
        bract_compare_ws_free(w);
        bract_compare_plan_free(p);
        /* the other-models form: y against x controlling for z, z against x
         * controlling for y, in one plan */
        bract_compare_opts o2 = {m, BRACT_PARTIAL_OTHERS, BRACT_NAN_MATCH};
        const double *two[2] = {y, z};
        ck_assert_int_eq(bract_compare_plan_new(&o2, nc, 2, two, 0, NULL, &p), 0);
        bract_compare_ws_new(p, &w);
        double rr[2];
        ck_assert_int_eq(bract_compare_run(p, w, x, rr), 0);
        ck_assert_double_eq_tol(rr[0], want, 1e-12);
        double want2 = (rxz - rxy * ryz) / sqrt((1 - rxy * rxy) * (1 - ryz * ryz));
        ck_assert_double_eq_tol(rr[1], want2, 1e-12);
        bract_compare_ws_free(w);
        bract_compare_plan_free(p);
    }
}
END_TEST

START_TEST(partial_cosmomvpa)
{
    /* CoSMoMVPA test_target_dsm_corr_measure: the correlation-distance DSM of
     * cosmo_synthetic_dataset('ntargets',6,'nchunks',1) (rebuilt with numpy
     * from the recipe of notes/rsa.md section 3: MT19937 seed 1, column-major,
     * norminv, +3/sqrt(log 6) on feature t of target t) against the target
     * [1 2 3 4 2 3 2 1 2 3 1 2 3 2 2]: Pearson 0.2507; regressing out the
     * reversed target: 0.3082 (4 published decimals: 5e-5). */
    static const double dsm[15] = {
        0.7458999359432683, 1.948172656203334,  1.5636146988055342,  1.0773979702504217,
        1.592131988533827,  1.3647714561496356, 1.6943629837766463,  0.8061761413388446,
        1.1449138001421868, 0.5210402552458455, 0.6822810996410456,  0.22417850719088495,
        1.4631948400649182, 1.0156045125178603, 0.18606262932968087};
    static const double target[15] = {1, 2, 3, 4, 2, 3, 2, 1, 2, 3, 1, 2, 3, 2, 2};
    double rev[15], r;
    for (int i = 0; i < 15; i++)
        rev[i] = target[14 - i];
    ck_assert_int_eq(bract_compare_vectors(BRACT_CMP_PEARSON, 6, dsm, target, &r), 0);
    ck_assert_double_eq_tol(r, 0.2507, 5e-5);
    bract_compare_opts o = {BRACT_CMP_PEARSON, BRACT_PARTIAL_CONTROLS, BRACT_NAN_MATCH};
    const double *mods[1] = {target}, *ctl[1] = {rev};
    bract_compare_plan *p;
    ck_assert_int_eq(bract_compare_plan_new(&o, 6, 1, mods, 1, ctl, &p), 0);
    bract_compare_ws *w = NULL;
    bract_compare_ws_new(p, &w);
    ck_assert_int_eq(bract_compare_run(p, w, dsm, &r), 0);
    ck_assert_double_eq_tol(r, 0.3082, 5e-5);
    bract_compare_ws_free(w);
    bract_compare_plan_free(p);
}
END_TEST

START_TEST(partial_errors)
{
    double y[6] = {1, 2, 3, 4, 5, 6}, z[6] = {2, 4, 6, 8, 10, 12}, x[6] = {1, 3, 2, 5, 4, 6};
    const double *mods[1] = {y}, *ctl[1] = {z};
    bract_compare_plan *p;
    bract_compare_opts o = {BRACT_CMP_PEARSON, BRACT_PARTIAL_CONTROLS, BRACT_NAN_MATCH};
    ck_assert_int_eq(bract_compare_plan_new(&o, 4, 1, mods, 1, ctl, &p), BRACT_EDATA);
    ck_assert_error_has("explained entirely by the RDMs regressed out");
    bract_compare_opts ok = {BRACT_CMP_KENDALL, BRACT_PARTIAL_CONTROLS, BRACT_NAN_MATCH};
    ck_assert_int_eq(bract_compare_plan_new(&ok, 4, 1, mods, 1, ctl, &p), BRACT_EINVAL);
    ck_assert_error_has("partial correlation is defined for pearson and spearman, not kendall");
    double c[6] = {3, 3, 3, 3, 3, 3};
    const double *cm[1] = {c};
    bract_compare_opts pl = {BRACT_CMP_SPEARMAN, BRACT_PARTIAL_NONE, BRACT_NAN_MATCH};
    ck_assert_int_eq(bract_compare_plan_new(&pl, 4, 1, cm, 0, NULL, &p), BRACT_EDATA);
    ck_assert_error_has("model RDM 1 is constant");
    (void)x;
}
END_TEST

/* ---- missing pairs ---- */

START_TEST(missing_pairs)
{
    /* 5 conditions, pairs 2 and 7 missing in both: equal to comparing the 8
     * remaining values (for the rank and moment methods, which do not use
     * the pair structure) */
    double x[10] = {.3, .9, NAN, .4, .8, .2, .6, NAN, .5, .1};
    double y[10] = {1, 3, NAN, 2, 2, 1, 3, NAN, 1, 2};
    double xs[8], ys[8];
    for (int i = 0, e = 0; i < 10; i++)
        if (!isnan(x[i])) {
            xs[e] = x[i];
            ys[e++] = y[i];
        }
    bract_compare_method ms[] = {BRACT_CMP_SPEARMAN, BRACT_CMP_PEARSON, BRACT_CMP_KENDALL,
                             BRACT_CMP_TAU_A,    BRACT_CMP_RHO_A,   BRACT_CMP_COSINE};
    for (size_t i = 0; i < sizeof ms / sizeof ms[0]; i++) {
        double r, want;
        ck_assert_int_eq(bract_compare_vectors(ms[i], 5, x, y, &r), 0);
        /* the reference: the same 8 values as a 5-condition RDM can't be
         * formed, so compute them as vectors of a plan over the pairs kept */
        bract_compare_opts o = {ms[i], BRACT_PARTIAL_NONE, BRACT_NAN_MATCH};
        bract_compare_plan *p;
        const double *m1[1] = {y};
        ck_assert_int_eq(bract_compare_plan_new(&o, 5, 1, m1, 0, NULL, &p), 0);
        ck_assert_int_eq((int)bract_compare_plan_npairs(p), 8);
        bract_compare_plan_free(p);
        /* brute force on the kept values */
        if (ms[i] == BRACT_CMP_PEARSON)
            want = bract_stats_pearson(xs, ys, 8);
        else if (ms[i] == BRACT_CMP_SPEARMAN) {
            double rw[16];
            size_t iw[16];
            want = bract_stats_spearman(xs, ys, 8, rw, iw);
        } else if (ms[i] == BRACT_CMP_COSINE) {
            double a = 0, b = 0, c = 0;
            for (int e = 0; e < 8; e++) {
                a += xs[e] * ys[e];
                b += xs[e] * xs[e];
                c += ys[e] * ys[e];
            }
            want = a / sqrt(b * c);
        } else if (ms[i] == BRACT_CMP_RHO_A) {
            double rx[8], ry[8];
            size_t iw[16];
            bract_stats_rank(xs, 8, rx, iw);
            bract_stats_rank(ys, 8, ry, iw);
            double s = 0;
            for (int e = 0; e < 8; e++)
                s += (rx[e] - 4.5) * (ry[e] - 4.5);
            want = 12 * s / (512.0 - 8.0);
        } else {
            double tb, ta;
            brute_tau(xs, ys, 8, &tb, &ta);
            want = ms[i] == BRACT_CMP_KENDALL ? tb : ta;
        }
        ck_assert_msg(fabs(r - want) <= 1e-14, "%s: %.17g vs %.17g", bract_compare_method_name(ms[i]),
                      r, want);
    }
    /* mismatched positions: an error naming the pair, both ways */
    double x2[10];
    memcpy(x2, x, sizeof x2);
    x2[2] = 0.7;
    double r;
    ck_assert_int_eq(bract_compare_vectors(BRACT_CMP_SPEARMAN, 5, x2, y, &r), BRACT_EDATA);
    ck_assert_error_has("has a value at pair (1, 4), which the models miss");
    ck_assert(isnan(r));
    x2[2] = NAN;
    x2[3] = NAN;
    ck_assert_int_eq(bract_compare_vectors(BRACT_CMP_SPEARMAN, 5, x2, y, &r), BRACT_EDATA);
    ck_assert_error_has("has a missing value at pair (1, 5), which the models have");
    /* the model-mask policy ignores the neural value where the model misses */
    x2[2] = 0.7;
    x2[3] = 0.4;
    bract_compare_opts mm = {BRACT_CMP_SPEARMAN, BRACT_PARTIAL_NONE, BRACT_NAN_MODEL_MASK};
    const double *m1[1] = {y};
    bract_compare_plan *p;
    ck_assert_int_eq(bract_compare_plan_new(&mm, 5, 1, m1, 0, NULL, &p), 0);
    bract_compare_ws *w = NULL;
    bract_compare_ws_new(p, &w);
    double r2;
    ck_assert_int_eq(bract_compare_run(p, w, x2, &r2), 0);
    ck_assert_int_eq(bract_compare_vectors(BRACT_CMP_SPEARMAN, 5, x, y, &r), 0);
    ck_assert_double_eq(r, r2);
    bract_compare_ws_free(w);
    bract_compare_plan_free(p);
    /* models missing different pairs */
    double y2[10];
    memcpy(y2, y, sizeof y2);
    y2[7] = 2;
    const double *two[2] = {y, y2};
    ck_assert_int_eq(bract_compare_plan_new(&mm, 5, 2, two, 0, NULL, &p), BRACT_EDATA);
    ck_assert_error_has("model RDM 2 has pair (3, 4) that model RDM 1 misses");
}
END_TEST

START_TEST(undefined_values)
{
    /* a constant neural RDM: NaN where the formula divides by zero, 0 for
     * tau-a and rho-a */
    double c[6] = {.5, .5, .5, .5, .5, .5}, z[6] = {0, 0, 0, 0, 0, 0};
    for (int m = 0; m < BRACT_CMP_NMETHODS; m++) {
        double r;
        ck_assert_int_eq(bract_compare_vectors((bract_compare_method)m, 4, c, micro_d1, &r), 0);
        if (m == BRACT_CMP_TAU_A || m == BRACT_CMP_RHO_A)
            ck_assert_double_eq(r, 0);
        else if (m == BRACT_CMP_COSINE || m == BRACT_CMP_COSINE_COV)
            ck_assert(isfinite(r)); /* a constant vector has a direction */
        else
            ck_assert_msg(isnan(r), "%s of a constant RDM: %g", bract_compare_method_name(m), r);
        ck_assert_int_eq(bract_compare_vectors((bract_compare_method)m, 4, z, micro_d1, &r), 0);
        if (m != BRACT_CMP_TAU_A && m != BRACT_CMP_RHO_A)
            ck_assert(isnan(r));
    }
    /* every method: self-comparison 1 (rsatoolbox's test_compare_rdm) */
    for (int m = 0; m < BRACT_CMP_NMETHODS; m++) {
        if (m == BRACT_CMP_TAU_A || m == BRACT_CMP_RHO_A)
            continue; /* below 1 with ties by definition */
        double r;
        ck_assert_int_eq(bract_compare_vectors((bract_compare_method)m, 4, micro_d1, micro_d1, &r), 0);
        ck_assert_double_eq_tol(r, 1, 1e-15);
    }
    double inf[6] = {.1, INFINITY, .2, .3, .4, .5}, r;
    ck_assert_int_eq(bract_compare_vectors(BRACT_CMP_PEARSON, 4, inf, micro_d1, &r), BRACT_EDATA);
    ck_assert_error_has("non-finite value at pair (1, 3)");
}
END_TEST


START_TEST(cov_missing_pairs)
{
    /* The whitened comparisons with missing pairs use rsatoolbox's
     * least-squares centring.  Expected values: a numpy transcription of
     * rsatoolbox f1f83ca _cov_weighting (compare.py) run on these vectors
     * (rsatoolbox itself could not be installed here); 1e-12. */
    double x[15] = {.3, .9, NAN, .4, .8, .2, .6, NAN, .5, .1, .7, .35, .15, .95, .45};
    double y[15] = {1, 3, NAN, 2, 2, 1, 3, NAN, 1, 2, 3, 1, 2, 2, 1};
    double r;
    ck_assert_int_eq(bract_compare_vectors(BRACT_CMP_COSINE_COV, 6, x, y, &r), 0);
    ck_assert_double_eq_tol(r, 0.8493529504965946, 1e-12);
    ck_assert_int_eq(bract_compare_vectors(BRACT_CMP_CORR_COV, 6, x, y, &r), 0);
    ck_assert_double_eq_tol(r, 0.7207983050946538, 1e-12);
    /* complete vectors: the double-centring path */
    x[2] = 0.25;
    x[7] = 0.25;
    y[2] = 2;
    y[7] = 2;
    ck_assert_int_eq(bract_compare_vectors(BRACT_CMP_COSINE_COV, 6, x, y, &r), 0);
    ck_assert_double_eq_tol(r, 0.8267784365589607, 1e-12);
}
END_TEST

/* ---- permutation test ---- */

START_TEST(permutation_exhaustive_by_hand)
{
    /* 4 conditions: 24 relabellings, 23 besides the identity.  The model
     * marks one pair; relabelling moves the mark to pair s^-1({a, b}), and
     * each of the 6 pairs receives it from 4 relabellings.  The neural RDM
     * 6 5 4 3 2 1 correlates with a marked pair in the order of its value.
     * Mark on pair (1,2) (value 6): the 4 relabellings that keep it there
     * (identity included) reach the observed value: p = 4/24.  Mark on pair
     * (2,3) (value 3): pairs of value >= 3 are 4, so 16 of 24: p = 16/24. */
    double d[6] = {6, 5, 4, 3, 2, 1};
    double m1[6] = {1, 0, 0, 0, 0, 0}, m2[6] = {0, 0, 0, 1, 0, 0};
    const double *mods[2] = {m1, m2};
    bract_perm_opts po = {10000, 1, 0, BRACT_ALT_GREATER, NULL};
    for (int meth = 0; meth < 2; meth++) {
        bract_compare_opts o = {meth ? BRACT_CMP_SPEARMAN : BRACT_CMP_PEARSON, BRACT_PARTIAL_NONE,
                            BRACT_NAN_MATCH};
        bract_compare_plan *p;
        ck_assert_int_eq(bract_compare_plan_new(&o, 4, 2, mods, 0, NULL, &p), 0);
        double r[2], pv[2];
        size_t used;
        ck_assert_int_eq(bract_compare_permtest(p, d, &po, r, pv, &used, NULL), 0);
        ck_assert_int_eq((int)used, 23);
        ck_assert_double_eq_tol(pv[0], 4.0 / 24.0, 1e-15);
        ck_assert_double_eq_tol(pv[1], 16.0 / 24.0, 1e-15);
        bract_compare_plan_free(p);
    }
    /* with fewer permutations asked than exist, random draws are used */
    bract_perm_opts few = {5, 1, 0, BRACT_ALT_GREATER, NULL};
    bract_compare_opts o = {BRACT_CMP_PEARSON, BRACT_PARTIAL_NONE, BRACT_NAN_MATCH};
    bract_compare_plan *p;
    ck_assert_int_eq(bract_compare_plan_new(&o, 4, 2, mods, 0, NULL, &p), 0);
    double r[2], pv[2];
    size_t used;
    ck_assert_int_eq(bract_compare_permtest(p, d, &few, r, pv, &used, NULL), 0);
    ck_assert_int_eq((int)used, 5);
    bract_compare_plan_free(p);
}
END_TEST

/* Permute a condensed vector: value of pair (i, j) = y(s(i), s(j)). */
static void permute_rdm(const double *y, size_t n, const size_t *s, double *out)
{
    size_t q = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++, q++) {
            size_t a = s[i], b = s[j];
            out[q] = y[a < b ? bract_pair_index(n, a, b) : bract_pair_index(n, b, a)];
        }
}

START_TEST(permutation_paths_brute_force)
{
    /* every method and setting: the null values returned equal comparisons
     * of explicitly relabelled models (permutation b from stream (seed,
     * stream, b)); missing pairs exercise the general path */
    size_t nc = 9, np = bract_npairs(nc);
    double x[36], y1[36], y2[36], ctl[36];
    bract_rng r;
    bract_rng_init(&r, 3, 0, 0);
    for (size_t q = 0; q < np; q++) {
        x[q] = bract_rng_normal(&r);
        y1[q] = (double)bract_rng_below(&r, 4);
        y2[q] = x[q] + bract_rng_normal(&r);
        ctl[q] = bract_rng_normal(&r);
    }
    for (int missing = 0; missing < 2; missing++) {
        if (missing)
            x[5] = y1[5] = y2[5] = ctl[5] = NAN;
        for (int setting = 0; setting < BRACT_CMP_NMETHODS + 4; setting++) {
            bract_compare_opts o = {(bract_compare_method)(setting % BRACT_CMP_NMETHODS),
                                BRACT_PARTIAL_NONE, BRACT_NAN_MATCH};
            if (setting >= BRACT_CMP_NMETHODS) {
                o.method = setting % 2 ? BRACT_CMP_SPEARMAN : BRACT_CMP_PEARSON;
                o.partial = setting < BRACT_CMP_NMETHODS + 2 ? BRACT_PARTIAL_CONTROLS
                                                             : BRACT_PARTIAL_OTHERS;
            }
            const double *mods[2] = {y1, y2}, *ctls[1] = {ctl};
            bract_compare_plan *p;
            ck_assert_int_eq(bract_compare_plan_new(&o, nc, 2, mods, 1, ctls, &p), 0);
            bract_perm_opts po = {40, 99, 5, BRACT_ALT_TWO_SIDED, NULL};
            double obs[2], pv[2], null[80];
            size_t used;
            ck_assert_int_eq(bract_compare_permtest(p, x, &po, obs, pv, &used, null), 0);
            ck_assert_int_eq((int)used, 40);
            size_t perm[9];
            double py1[36], py2[36];
            for (size_t b = 1; b <= 40; b++) {
                bract_rng pr;
                bract_rng_init(&pr, 99, 5, (uint32_t)b);
                bract_rng_permutation(&pr, perm, nc);
                permute_rdm(y1, nc, perm, py1);
                permute_rdm(y2, nc, perm, py2);
                double want[2];
                for (int m = 0; m < 2; m++) {
                    /* the model tested is relabelled; with the other models
                     * regressed out they stay as they are */
                    const double *pm[2] = {py1, py2};
                    if (o.partial == BRACT_PARTIAL_OTHERS)
                        pm[1 - m] = m ? y1 : y2;
                    double mask[36];
                    for (size_t q = 0; q < np; q++)
                        mask[q] = isnan(pm[m][q]) || isnan(x[q]) ? NAN : 0;
                    /* pairs present in both: blank the others everywhere */
                    double a[36], b1[36], b2[36], cc[36];
                    for (size_t q = 0; q < np; q++) {
                        a[q] = x[q] + mask[q];
                        b1[q] = pm[0][q] + mask[q];
                        b2[q] = pm[1][q] + mask[q];
                        cc[q] = ctl[q] + mask[q];
                    }
                    const double *bm[2] = {b1, b2}, *bc[1] = {cc};
                    bract_compare_plan *q2;
                    ck_assert_int_eq(bract_compare_plan_new(&o, nc, 2, bm, 1, bc, &q2), 0);
                    bract_compare_ws *w = NULL;
                    bract_compare_ws_new(q2, &w);
                    double rr[2];
                    ck_assert_int_eq(bract_compare_run(q2, w, a, rr), 0);
                    want[m] = rr[m];
                    bract_compare_ws_free(w);
                    bract_compare_plan_free(q2);
                }
                for (int m = 0; m < 2; m++)
                    ck_assert_msg(fabs(null[(b - 1) * 2 + m] - want[m]) <= 1e-12,
                                  "setting %d missing %d perm %zu model %d: %.17g vs %.17g",
                                  setting, missing, b, m, null[(b - 1) * 2 + m], want[m]);
            }
            /* and the p-value counts them */
            for (int m = 0; m < 2; m++) {
                size_t ge = 0;
                for (int b = 0; b < 40; b++)
                    ge += fabs(null[b * 2 + m]) >= fabs(obs[m]) - 1e-12 * (1 + fabs(obs[m]));
                ck_assert_double_eq_tol(pv[m], (double)(ge + 1) / 41.0, 1e-15);
            }
            bract_compare_plan_free(p);
        }
    }
}
END_TEST

START_TEST(permutation_threads)
{
    /* identical null distributions with 1 and 2 threads */
    size_t nc = 30, np = bract_npairs(nc);
    double *x = malloc(np * sizeof *x), *y = malloc(np * sizeof *y);
    bract_rng r;
    bract_rng_init(&r, 5, 0, 0);
    for (size_t q = 0; q < np; q++) {
        x[q] = bract_rng_normal(&r);
        y[q] = x[q] + 3 * bract_rng_normal(&r);
    }
    for (int m = 0; m < BRACT_CMP_NMETHODS; m++) {
        bract_compare_opts o = {(bract_compare_method)m, BRACT_PARTIAL_NONE, BRACT_NAN_MATCH};
        const double *mods[1] = {y};
        bract_compare_plan *p;
        ck_assert_int_eq(bract_compare_plan_new(&o, nc, 1, mods, 0, NULL, &p), 0);
        bract_perm_opts po = {300, 8, 1, BRACT_ALT_GREATER, NULL};
        double a[300], b[300], r1, r2, p1, p2;
        size_t u;
        omp_set_num_threads(1);
        ck_assert_int_eq(bract_compare_permtest(p, x, &po, &r1, &p1, &u, a), 0);
        omp_set_num_threads(2);
        ck_assert_int_eq(bract_compare_permtest(p, x, &po, &r2, &p2, &u, b), 0);
        ck_assert_int_eq(memcmp(a, b, sizeof a), 0);
        ck_assert_double_eq(p1, p2);
        ck_assert(p1 < 0.01); /* a real effect */
        bract_compare_plan_free(p);
    }
    free(x);
    free(y);
}
END_TEST

START_TEST(permutation_false_positive_rate)
{
    /* 200 null data sets (neural RDM from pure-noise patterns of 10
     * conditions x 20 voxels, a fixed model with ties), 99 permutations
     * each: at alpha 0.05 the rejections follow Binomial(200, 0.05) (the
     * test is exact up to the discreteness of 1/100).  P(X >= 21) = 0.0011
     * and P(X <= 2) = 0.0023 under that law. */
    size_t nc = 10, np = bract_npairs(nc), nvox = 20;
    double model[45], neural[45], pat[10][20];
    for (size_t q = 0; q < np; q++)
        model[q] = (double)(q % 3);
    const double *mods[1] = {model};
    bract_compare_opts o = {BRACT_CMP_SPEARMAN, BRACT_PARTIAL_NONE, BRACT_NAN_MATCH};
    bract_compare_plan *p;
    ck_assert_int_eq(bract_compare_plan_new(&o, nc, 1, mods, 0, NULL, &p), 0);
    int reject = 0;
    for (int sim = 0; sim < 200; sim++) {
        bract_rng r;
        bract_rng_init(&r, 2024, 1000 + (uint64_t)sim, 0);
        for (size_t c = 0; c < nc; c++)
            for (size_t v = 0; v < nvox; v++)
                pat[c][v] = bract_rng_normal(&r);
        size_t q = 0;
        for (size_t i = 0; i < nc; i++)
            for (size_t j = i + 1; j < nc; j++, q++)
                neural[q] = 1 - bract_stats_pearson(pat[i], pat[j], nvox);
        bract_perm_opts po = {99, 2024, (uint64_t)sim, BRACT_ALT_GREATER, NULL};
        double rr, pv;
        size_t u;
        ck_assert_int_eq(bract_compare_permtest(p, neural, &po, &rr, &pv, &u, NULL), 0);
        reject += pv <= 0.05;
    }
    ck_assert_msg(reject >= 3 && reject <= 20, "%d of 200 null tests rejected at 0.05", reject);
    bract_compare_plan_free(p);
}
END_TEST

/* ---- bootstrap ---- */

START_TEST(bootstrap_samples)
{
    /* sample b against an explicit resampling of conditions (stream seed,
     * stream, b; pairs of two copies of one condition left out) */
    size_t nc = 8, np = bract_npairs(nc);
    double x[28], y[28];
    bract_rng r;
    bract_rng_init(&r, 9, 0, 0);
    for (size_t q = 0; q < np; q++) {
        x[q] = bract_rng_normal(&r);
        y[q] = x[q] + bract_rng_normal(&r);
    }
    for (int m = 0; m < BRACT_CMP_NMETHODS; m++) {
        bract_compare_opts o = {(bract_compare_method)m, BRACT_PARTIAL_NONE, BRACT_NAN_MATCH};
        const double *mods[1] = {y};
        bract_compare_plan *p;
        ck_assert_int_eq(bract_compare_plan_new(&o, nc, 1, mods, 0, NULL, &p), 0);
        double out[30];
        ck_assert_int_eq(bract_compare_bootstrap(p, x, 30, 4, 2, NULL, out), 0);
        for (size_t b = 1; b <= 30; b++) {
            bract_rng br;
            bract_rng_init(&br, 4, 2, (uint32_t)b);
            size_t c[8];
            for (size_t a = 0; a < nc; a++)
                c[a] = (size_t)bract_rng_below(&br, nc);
            double bx[28], by[28];
            size_t q = 0;
            for (size_t i = 0; i < nc; i++)
                for (size_t j = i + 1; j < nc; j++, q++) {
                    size_t a = c[i], bb = c[j];
                    bx[q] = a == bb ? NAN : x[a < bb ? bract_pair_index(nc, a, bb)
                                                     : bract_pair_index(nc, bb, a)];
                    by[q] = a == bb ? NAN : y[a < bb ? bract_pair_index(nc, a, bb)
                                                     : bract_pair_index(nc, bb, a)];
                }
            double want;
            int rc = bract_compare_vectors((bract_compare_method)m, nc, bx, by, &want);
            if (rc)
                ck_assert(isnan(out[b - 1]));
            else
                ck_assert_msg(fabs(out[b - 1] - want) <= 1e-12 ||
                                  (isnan(want) && isnan(out[b - 1])),
                              "%s sample %zu: %.17g vs %.17g", bract_compare_method_name(m), b,
                              out[b - 1], want);
        }
        bract_compare_plan_free(p);
    }
}
END_TEST

/* Names round-trip; rsatoolbox's spellings are accepted. */
START_TEST(names_parse)
{
    for (int m = 0; m < BRACT_CMP_NMETHODS; m++) {
        bract_compare_method got = BRACT_CMP_SPEARMAN;
        ck_assert_int_eq(bract_compare_method_parse(bract_compare_method_name(m), &got), 0);
        ck_assert_int_eq(got, m);
    }
    bract_compare_method m;
    ck_assert_int_eq(bract_compare_method_parse("corr", &m), 0);
    ck_assert_int_eq(m, BRACT_CMP_PEARSON);
    ck_assert_int_eq(bract_compare_method_parse("tau-b", &m), 0);
    ck_assert_int_eq(m, BRACT_CMP_KENDALL);
    ck_assert_int_eq(bract_compare_method_parse("foo", &m), BRACT_EINVAL);
    ck_assert_str_eq(bract_last_error(),
                     "unknown comparison method 'foo' (expected one of spearman, pearson, "
                     "kendall, tau-a, rho-a, cosine, corr_cov, cosine_cov)");
    bract_compare_nan p = BRACT_NAN_MATCH;
    ck_assert_int_eq(bract_compare_nan_parse("model", &p), 0);
    ck_assert_int_eq(p, BRACT_NAN_MODEL_MASK);
    ck_assert_str_eq(bract_compare_nan_name(BRACT_NAN_MODEL_MASK), "model");
    ck_assert_int_eq(bract_compare_nan_parse("match", &p), 0);
    ck_assert_int_eq(p, BRACT_NAN_MATCH);
    ck_assert_str_eq(bract_compare_nan_name(BRACT_NAN_MATCH), "match");
    ck_assert_int_eq(bract_compare_nan_parse("drop", &p), BRACT_EINVAL);
    ck_assert_str_eq(bract_last_error(),
                     "unknown missing-pair policy 'drop' (expected one of match, model)");
}
END_TEST

static Suite *compare_suite(void)
{
    Suite *s = suite_create("compare");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, reference_compare);
    tcase_add_test(tc, names_parse);
    tcase_add_test(tc, reference_plan_many_models);
    tcase_add_test(tc, reference_noise_ceiling);
    tcase_add_test(tc, micro_examples);
    tcase_add_test(tc, rsa92_tables);
    tcase_add_test(tc, kendall_brute_force);
    tcase_add_test(tc, partial_analytic);
    tcase_add_test(tc, partial_cosmomvpa);
    tcase_add_test(tc, partial_errors);
    tcase_add_test(tc, missing_pairs);
    tcase_add_test(tc, undefined_values);
    tcase_add_test(tc, cov_missing_pairs);
    tcase_add_test(tc, permutation_exhaustive_by_hand);
    tcase_add_test(tc, permutation_paths_brute_force);
    tcase_add_test(tc, permutation_threads);
    tcase_add_test(tc, permutation_false_positive_rate);
    tcase_add_test(tc, bootstrap_samples);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(compare_suite()); }
