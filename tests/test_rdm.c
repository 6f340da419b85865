/* Unit tests of bract/rdm.h (the RDM engine) and bract/patterns.h against
 * the reference fixtures (rsatoolbox, testdata/reference/rsa), the
 * hand-checkable examples of the RSA notes (section 12.1), CoSMoMVPA's
 * test_pdist values, the Haxby et al. 2001 slice (notes section 12.3) and
 * analytic identities. */
#include "testutil.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include "bract/atlas.h"
#include "bract/mask.h"

static char *tmp;
static void setup(void) { tmp = tu_tmpdir(); }
static void teardown(void)
{
    tu_rmtree(tmp);
    free(tmp);
}

#define CK(call) ck_assert_msg((call) == 0, "%s", bract_last_error())

/* RDM of a pattern matrix with the given options (noise from the rows
 * unless `noise` is given). */
static void rdm_of(const bract_rdm_design *d, const bract_rdm_opts *o, const double *x, size_t P,
                   const bract_rdm_noise *noise, double *out, bract_rdm_info *info)
{
    bract_rdm_plan *p;
    bract_rdm_ws *w;
    CK(bract_rdm_plan_new(d, o, P, noise && noise->resid ? noise->nres : 0, &p));
    CK(bract_rdm_ws_new(p, &w));
    CK(bract_rdm_compute(p, w, x, P, P, noise, out, info));
    bract_rdm_ws_free(w);
    bract_rdm_plan_free(p);
}

static void assert_close(const double *got, const double *want, size_t n, double tol,
                         const char *what)
{
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(fabs(got[i] - want[i]) <= tol, "%s[%zu]: got %.17g, expected %.17g", what,
                      i, got[i], want[i]);
}

static const double *expected_rdm(const bract_rdmset *s, const char *name)
{
    long k = bract_rdmset_find(s, name);
    ck_assert_msg(k >= 0, "no RDM %s in the reference", name);
    return s->rdm[k].d;
}

/* ---- the reference fixture: 12 conditions x 3 runs x 30 voxels ---- */

static bract_rdm_design *fx_design;
static bract_patterns_set *fx_set;
static bract_rdmset *fx_expected;

static void load_fixture(void)
{
    CK(bract_patterns_from_table(REFDATA "/rsa/patterns.tsv", NULL, "fixture", NULL, NULL,
                                 &fx_design, &fx_set));
    CK(bract_rdmset_read(REFDATA "/rsa/expected_rdms.tsv", &fx_expected));
}

static void free_fixture(void)
{
    bract_rdm_design_free(fx_design);
    bract_patterns_set_free(fx_set);
    bract_rdmset_free(fx_expected);
}

START_TEST(fixture_design)
{
    load_fixture();
    ck_assert_uint_eq(fx_design->ncond, 12);
    ck_assert_uint_eq(fx_design->nrun, 3);
    ck_assert_uint_eq(fx_design->nobs, 36);
    ck_assert_uint_eq(fx_set->nregions, 1);
    ck_assert_uint_eq(fx_set->region[0].nvox, 30);
    /* conditions in order of first appearance, as the reference RDMs */
    const bract_rdm *e = &fx_expected->rdm[0];
    ck_assert_uint_eq(e->n, 12);
    for (size_t c = 0; c < 12; c++)
        ck_assert_str_eq(fx_design->cond[c], e->cond[c]);
    ck_assert_str_eq(fx_design->cond[8], "猫");
    free_fixture();
}
END_TEST

/* Every method against rsatoolbox, tolerance 1e-10 (reference README). */
START_TEST(fixture_methods)
{
    load_fixture();
    const bract_patterns *r = &fx_set->region[0];
    double d[66];
    struct {
        const char *name;
        bract_rdm_opts o;
    } cases[] = {
        {"euclidean", {.method = BRACT_RDM_EUCLIDEAN}},
        {"correlation", {.method = BRACT_RDM_CORRELATION}},
        {"cosine", {.method = BRACT_RDM_COSINE}},
        {"mahalanobis", {.method = BRACT_RDM_MAHALANOBIS, .noise = BRACT_NOISE_SHRINKAGE_DIAG}},
        {"crossnobis", {.method = BRACT_RDM_CROSSNOBIS, .noise = BRACT_NOISE_SHRINKAGE_DIAG}},
        {"crossnobis_identity", {.method = BRACT_RDM_CROSSNOBIS, .noise = BRACT_NOISE_IDENTITY}},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        bract_rdm_info info;
        rdm_of(fx_design, &cases[k].o, r->x, r->nvox, NULL, d, &info);
        assert_close(d, expected_rdm(fx_expected, cases[k].name), 66, 1e-10, cases[k].name);
        if (cases[k].o.noise == BRACT_NOISE_SHRINKAGE_DIAG && cases[k].o.method >= 3) {
            ck_assert_double_eq(info.dof, 24); /* 36 rows - 12 conditions */
            ck_assert_double_eq(info.shrinkage, 1); /* the reference precision is diagonal */
        }
    }
    free_fixture();
}
END_TEST

static double *read_matrix(const char *path, size_t n)
{
    char *text = tu_slurp(path);
    ck_assert_ptr_nonnull(text);
    double *m = malloc(n * n * sizeof *m);
    char *p = text;
    for (size_t i = 0; i < n * n; i++) {
        char *end;
        m[i] = strtod(p, &end);
        ck_assert_ptr_ne(end, p);
        p = end;
    }
    free(text);
    return m;
}

/* The reference precision given outright gives the same RDMs (1e-10). */
START_TEST(fixture_given_precision)
{
    load_fixture();
    const bract_patterns *r = &fx_set->region[0];
    double *prec = read_matrix(REFDATA "/rsa/precision_shrinkage_diag.tsv", 30);
    bract_rdm_noise nz = {.prec = prec, .ldp = 30};
    double d[66];
    bract_rdm_opts o = {.method = BRACT_RDM_MAHALANOBIS, .precision_given = 1};
    rdm_of(fx_design, &o, r->x, 30, &nz, d, NULL);
    assert_close(d, expected_rdm(fx_expected, "mahalanobis"), 66, 1e-10, "mahalanobis");
    o.method = BRACT_RDM_CROSSNOBIS;
    rdm_of(fx_design, &o, r->x, 30, &nz, d, NULL);
    assert_close(d, expected_rdm(fx_expected, "crossnobis"), 66, 1e-10, "crossnobis");
    free(prec);
    free_fixture();
}
END_TEST

/* bract_rdm_noise_covariance of the residuals (rows minus condition means),
 * dof 36 - 12, times the reference precision is the identity (1e-10). */
START_TEST(fixture_precision)
{
    load_fixture();
    const bract_patterns *r = &fx_set->region[0];
    double *prec = read_matrix(REFDATA "/rsa/precision_shrinkage_diag.tsv", 30);
    double res[36 * 30], mean[12 * 30] = {0}, cov[900], lam;
    for (size_t k = 0; k < 36; k++)
        for (size_t j = 0; j < 30; j++)
            mean[fx_design->obs_cond[k] * 30 + j] += r->x[k * 30 + j] / 3;
    for (size_t k = 0; k < 36; k++)
        for (size_t j = 0; j < 30; j++)
            res[k * 30 + j] = r->x[k * 30 + j] - mean[fx_design->obs_cond[k] * 30 + j];
    CK(bract_rdm_noise_covariance(BRACT_NOISE_SHRINKAGE_DIAG, res, 30, 36, 30, 24, cov, &lam));
    ck_assert_double_eq(lam, 1);
    for (size_t i = 0; i < 30; i++)
        for (size_t j = 0; j < 30; j++) {
            double s = 0;
            for (size_t k = 0; k < 30; k++)
                s += cov[i * 30 + k] * prec[k * 30 + j];
            ck_assert_msg(fabs(s - (i == j)) < 1e-10, "(C L)[%zu][%zu] = %g", i, j, s);
        }
    free(prec);
    free_fixture();
}
END_TEST

/* ---- hand-checkable examples (RSA notes 12.1, rsatoolbox; CoSMoMVPA) ---- */

static bract_rdm_design *simple_design(size_t n, size_t runs)
{
    const char *cond[64], *run[64];
    static const char *names[] = {"a", "b", "c", "d", "e", "f", "g", "h"};
    static const char *rn[] = {"1", "2", "3", "4", "5", "6", "7", "8"};
    for (size_t r = 0; r < runs; r++)
        for (size_t c = 0; c < n; c++) {
            cond[r * n + c] = names[c];
            run[r * n + c] = rn[r];
        }
    bract_rdm_design *d;
    CK(bract_rdm_design_from_labels(cond, run, n * runs, NULL, &d));
    return d;
}

/* Values printed with 6 decimals in the notes: tolerance 5e-7. */
START_TEST(micro_examples)
{
    bract_rdm_design *d = simple_design(4, 1);
    double x[] = {1, 2, 3, 3, 2, 1, 1, 3, 2, 2, 2, 4}, out[6];
    bract_rdm_opts o = {.method = BRACT_RDM_EUCLIDEAN};
    rdm_of(d, &o, x, 3, NULL, out, NULL);
    assert_close(out, (double[]){2.666667, 0.666667, 0.666667, 2.0, 3.333333, 2.0}, 6, 5e-7,
                 "euclidean");
    o.method = BRACT_RDM_CORRELATION;
    rdm_of(d, &o, x, 3, NULL, out, NULL);
    assert_close(out, (double[]){2.0, 0.5, 0.133975, 1.5, 1.866025, 1.0}, 6, 5e-7, "correlation");
    double prec[9] = {1, 0, 0, 0, 2, 0, 0, 0, 4};
    bract_rdm_noise nz = {.prec = prec, .ldp = 3};
    o.method = BRACT_RDM_MAHALANOBIS;
    o.noise = BRACT_NOISE_FULL;
    o.precision_given = 1;
    rdm_of(d, &o, x, 3, &nz, out, NULL);
    assert_close(out, (double[]){6.666667, 2.0, 1.666667, 3.333333, 12.333333, 6.333333}, 6,
                 5e-7, "mahalanobis diag(1,2,4)");
    bract_rdm_design_free(d);

    /* crossnobis: 2 folds x 3 conditions, identity precision */
    d = simple_design(3, 2);
    o.precision_given = 0;
    double y[] = {1, 2, 3, 3, 2, 1, 1, 3, 2, 1.5, 2, 2.5, 2.5, 2, 1.5, 1, 2.5, 2.5};
    o.method = BRACT_RDM_CROSSNOBIS;
    o.noise = BRACT_NOISE_IDENTITY;
    rdm_of(d, &o, y, 3, NULL, out, NULL);
    assert_close(out, (double[]){1.333333, 0.166667, 1.5}, 3, 5e-7, "crossnobis");
    o.method = BRACT_RDM_EUCLIDEAN; /* of the fold means, for contrast */
    rdm_of(d, &o, y, 3, NULL, out, NULL);
    assert_close(out, (double[]){1.5, 0.291667, 1.541667}, 3, 5e-7, "euclidean of means");
    bract_rdm_design_free(d);

    /* CoSMoMVPA test_pdist (4 decimals): plain euclidean and correlation */
    d = simple_design(4, 1);
    double z[] = {1, 4, 3, 2, 2, 3, 4, 2, 0, 0, 1, 1};
    o = (bract_rdm_opts){.method = BRACT_RDM_EUCLIDEAN, .plain = 1};
    rdm_of(d, &o, z, 3, NULL, out, NULL);
    assert_close(out, (double[]){2.2361, 4.6904, 3.7417, 3.6056, 3.0, 4.2426}, 6, 5e-5,
                 "plain euclidean");
    o = (bract_rdm_opts){.method = BRACT_RDM_CORRELATION};
    rdm_of(d, &o, z, 3, NULL, out, NULL);
    assert_close(out, (double[]){0.8110, 1.6547, 0.0551, 1.8660, 0.5, 1.8660}, 6, 5e-5,
                 "CoSMoMVPA correlation");
    /* cosine: pair (0,1) of z: 1 - (2+8+9)/(sqrt(26) sqrt(17)) */
    o.method = BRACT_RDM_COSINE;
    rdm_of(d, &o, z, 3, NULL, out, NULL);
    ck_assert_double_eq_tol(out[0], 1 - 19 / (sqrt(26.0) * sqrt(17.0)), 1e-15);
    bract_rdm_design_free(d);
}
END_TEST

/* ---- analytic identities on random data ---- */

static double urand(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return ((*s >> 8) & 0xffffff) / 16777216.0 - 0.5;
}

/* Balanced crossnobis equals the documented all-pairs form
 * 1/(M(M-1)) sum_m sum_{n!=m} (b_im - b_jm)(b_in - b_jn)' / P (identity
 * precision), and euclidean equals direct pair differences even with a large
 * common offset (the Gram route centres first); tolerance 1e-12 relative. */
START_TEST(analytic_identities)
{
    const size_t n = 6, M = 4, P = 17;
    bract_rdm_design *d = simple_design(n, M);
    double x[6 * 4 * 17];
    unsigned seed = 7;
    for (size_t i = 0; i < n * M * P; i++)
        x[i] = 1e4 + urand(&seed);
    double got[15], want[15];
    bract_rdm_opts o = {.method = BRACT_RDM_CROSSNOBIS, .noise = BRACT_NOISE_IDENTITY};
    rdm_of(d, &o, x, P, NULL, got, NULL);
    size_t q = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++, q++) {
            double s = 0;
            for (size_t m = 0; m < M; m++)
                for (size_t k = 0; k < M; k++) {
                    if (k == m)
                        continue;
                    for (size_t v = 0; v < P; v++)
                        s += (x[(m * n + i) * P + v] - x[(m * n + j) * P + v]) *
                             (x[(k * n + i) * P + v] - x[(k * n + j) * P + v]);
                }
            want[q] = s / (double)(M * (M - 1) * P);
        }
    for (q = 0; q < 15; q++)
        ck_assert_double_eq_tol(got[q], want[q], 1e-12 * (1 + fabs(want[q])));
    o = (bract_rdm_opts){.method = BRACT_RDM_EUCLIDEAN};
    rdm_of(d, &o, x, P, NULL, got, NULL);
    q = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++, q++) {
            double s = 0;
            for (size_t v = 0; v < P; v++) {
                double bi = 0, bj = 0;
                for (size_t m = 0; m < M; m++) {
                    bi += x[(m * n + i) * P + v] / (double)M;
                    bj += x[(m * n + j) * P + v] / (double)M;
                }
                s += (bi - bj) * (bi - bj);
            }
            ck_assert_double_eq_tol(got[q], s / (double)P, 1e-9 * s / (double)P);
        }
    bract_rdm_design_free(d);
}
END_TEST

/* The searchlight pattern: one plan, one workspace per thread, many calls
 * on sub-matrices; identical bits for any thread count, no state carried
 * between calls. */
START_TEST(workspace_per_thread)
{
    const size_t n = 5, M = 3, V = 40, S = 30;
    bract_rdm_design *d = simple_design(n, M);
    double *x = malloc(n * M * V * sizeof *x);
    unsigned seed = 3;
    for (size_t i = 0; i < n * M * V; i++)
        x[i] = urand(&seed);
    bract_rdm_opts o = {.method = BRACT_RDM_CROSSNOBIS, .noise = BRACT_NOISE_SHRINKAGE_DIAG};
    bract_rdm_plan *p;
    CK(bract_rdm_plan_new(d, &o, 12, 0, &p));
    double serial[30][10], par[30][10];
    bract_rdm_ws *w;
    CK(bract_rdm_ws_new(p, &w));
    for (size_t s = 0; s < S; s++) /* sphere s: columns s .. s+9, stride V */
        CK(bract_rdm_compute(p, w, x + s, V, 10, NULL, serial[s], NULL));
    bract_rdm_ws_free(w);
    int fails = 0;
#pragma omp parallel num_threads(2) reduction(+ : fails)
    {
        bract_rdm_ws *tw;
        if (bract_rdm_ws_new(p, &tw))
            fails++;
#pragma omp for schedule(static, 1)
        for (size_t s = 0; s < S; s++)
            if (tw && bract_rdm_compute(p, tw, x + (S - 1 - s), V, 10, NULL, par[S - 1 - s],
                                        NULL))
                fails++;
        bract_rdm_ws_free(tw);
    }
    ck_assert_int_eq(fails, 0);
    ck_assert(memcmp(serial, par, sizeof serial) == 0);
    /* a sub-matrix equals the same columns copied out */
    double sub[15 * 10], d1[10];
    for (size_t k = 0; k < n * M; k++)
        memcpy(sub + k * 10, x + k * V + 4, 10 * sizeof *sub);
    bract_rdm_plan_free(p);
    rdm_of(d, &o, sub, 10, NULL, d1, NULL);
    ck_assert(memcmp(d1, serial[4], sizeof d1) == 0);
    free(x);
    bract_rdm_design_free(d);
}
END_TEST

/* ---- design and plan errors ---- */

START_TEST(plan_errors)
{
    bract_rdm_plan *p;
    bract_rdm_opts cn = {.method = BRACT_RDM_CROSSNOBIS, .noise = BRACT_NOISE_IDENTITY};
    bract_rdm_design *d = simple_design(3, 1);
    ck_assert_int_eq(bract_rdm_plan_new(d, &cn, 5, 0, &p), BRACT_EDATA);
    ck_assert_error_has("crossnobis needs at least 2 runs, the design has 1");
    bract_rdm_opts ma = {.method = BRACT_RDM_MAHALANOBIS, .noise = BRACT_NOISE_SHRINKAGE_DIAG};
    ck_assert_int_eq(bract_rdm_plan_new(d, &ma, 5, 0, &p), BRACT_EDATA);
    ck_assert_error_has("leave no residual degrees of freedom");
    /* given residuals make it possible */
    ck_assert_int_eq(bract_rdm_plan_new(d, &ma, 5, 10, &p), 0);
    bract_rdm_plan_free(p);
    bract_rdm_design_free(d);

    /* a run with a single condition */
    const char *c[] = {"a", "b", "c", "a", "b", "c", "a"};
    const char *r[] = {"1", "1", "1", "2", "2", "2", "3"};
    CK(bract_rdm_design_from_labels(c, r, 7, NULL, &d));
    ck_assert_int_eq(bract_rdm_plan_new(d, &cn, 5, 0, &p), BRACT_EDATA);
    ck_assert_error_has("run 3 has only 1 condition; crossnobis needs every condition in every run");
    bract_rdm_design_free(d);
    const char *r2[] = {"1", "1", "1", "2", "2", "x", "x"};
    CK(bract_rdm_design_from_labels(c, r2, 7, NULL, &d));
    ck_assert_int_eq(bract_rdm_plan_new(d, &cn, 5, 0, &p), BRACT_EDATA);
    ck_assert_error_has("run 2 lacks condition 'c'");
    /* the rsatoolbox dof rule needs balance */
    bract_rdm_opts rt = ma;
    rt.dof_rule = BRACT_DOF_RSATOOLBOX;
    ck_assert_int_eq(bract_rdm_plan_new(d, &rt, 5, 0, &p), BRACT_EDATA);
    ck_assert_error_has("balanced design");
    bract_rdm_design_free(d);

    /* one condition */
    const char *one[] = {"a", "a"};
    CK(bract_rdm_design_from_labels(one, NULL, 2, NULL, &d));
    ck_assert_int_eq(bract_rdm_plan_new(d, &ma, 5, 0, &p), BRACT_EDATA);
    ck_assert_error_has("at least 2 conditions");
    bract_rdm_design_free(d);
}
END_TEST

START_TEST(compute_errors)
{
    bract_rdm_design *d = simple_design(3, 2);
    double x[6 * 4] = {1, 2, 3, 4, 2, 2, 3, 1, 0, 5, 1, 1, 2, 1, 4, 5, 3, 3, 2, 2, 1, 4, 0, 2};
    double out[3];
    bract_rdm_opts o = {.method = BRACT_RDM_MAHALANOBIS, .noise = BRACT_NOISE_FULL};
    bract_rdm_plan *p;
    bract_rdm_ws *w;
    CK(bract_rdm_plan_new(d, &o, 4, 0, &p));
    CK(bract_rdm_ws_new(p, &w));
    ck_assert_int_eq(bract_rdm_compute(p, w, x, 4, 5, NULL, out, NULL), BRACT_EINVAL);
    ck_assert_error_has("5 voxels: the RDM plan takes 1 to 4");
    /* 6 rows - 3 conditions = 3 dof for 4 voxels: singular full covariance */
    ck_assert_int_eq(bract_rdm_compute(p, w, x, 4, 4, NULL, out, NULL), BRACT_ENUMERIC);
    ck_assert_error_has("not positive definite; use a shrinkage estimator");
    double bad[16] = {1, 2, 0, 0, 2, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
    bract_rdm_noise nz = {.prec = bad, .ldp = 4};
    ck_assert_int_eq(bract_rdm_compute(p, w, x, 4, 4, &nz, out, NULL), BRACT_EINVAL);
    ck_assert_error_has("a given precision needs a plan made with precision_given");
    bract_rdm_ws_free(w);
    bract_rdm_plan_free(p);
    o.precision_given = 1;
    CK(bract_rdm_plan_new(d, &o, 4, 0, &p));
    CK(bract_rdm_ws_new(p, &w));
    ck_assert_int_eq(bract_rdm_compute(p, w, x, 4, 4, &nz, out, NULL), BRACT_ENUMERIC);
    ck_assert_error_has("given precision matrix is not positive definite");
    ck_assert_int_eq(bract_rdm_compute(p, w, x, 4, 4, NULL, out, NULL), BRACT_EINVAL);
    ck_assert_error_has("expects a precision matrix");
    bract_rdm_ws_free(w);
    bract_rdm_plan_free(p);
    o.precision_given = 0;
    /* a voxel with no residual variance */
    double y[6 * 2] = {1, 5, 2, 6, 3, 7, 1, 5, 2, 6, 3, 7};
    o.noise = BRACT_NOISE_SHRINKAGE_DIAG;
    CK(bract_rdm_plan_new(d, &o, 2, 0, &p));
    CK(bract_rdm_ws_new(p, &w));
    ck_assert_int_eq(bract_rdm_compute(p, w, y, 2, 2, NULL, out, NULL), BRACT_EDATA);
    ck_assert_error_has("voxel 1 of 2 has zero residual variance");
    bract_rdm_ws_free(w);
    bract_rdm_plan_free(p);
    /* correlation with a constant pattern: NaN pairs, counted */
    double z[6 * 3] = {1, 1, 1, 1, 2, 3, 3, 1, 2, 1, 1, 1, 1, 2, 3, 3, 1, 2};
    bract_rdm_info info;
    o = (bract_rdm_opts){.method = BRACT_RDM_CORRELATION};
    rdm_of(d, &o, z, 3, NULL, out, &info);
    ck_assert(isnan(out[0]) && isnan(out[1]) && !isnan(out[2]));
    ck_assert_uint_eq(info.nnan, 2);
    bract_rdm_design_free(d);
}
END_TEST

/* ---- designs ---- */

START_TEST(design_orders)
{
    const char *c[] = {"rest", "猫", "b", "a", "n/a", "b", "猫", "a", "rest"};
    const char *r[] = {"r1", "r1", "r1", "r1", "r1", "r2", "r2", "r2", "r2"};
    const char *ex[] = {"rest"};
    bract_rdm_design_opts o = {.order = BRACT_ORDER_FIRST, .exclude = ex, .nexclude = 1};
    bract_rdm_design *d;
    CK(bract_rdm_design_from_labels(c, r, 9, &o, &d));
    ck_assert_uint_eq(d->ncond, 3);
    ck_assert_str_eq(d->cond[0], "猫");
    ck_assert_str_eq(d->cond[2], "a");
    ck_assert_uint_eq(d->nexcluded, 3);
    ck_assert_int_eq(d->vol_obs[0], -1);
    ck_assert_int_eq(d->vol_obs[4], -1);
    ck_assert_uint_eq(d->nobs, 6);
    ck_assert_int_eq(bract_rdm_design_row(d, 1, 2), 5);
    bract_rdm_design_free(d);
    o.order = BRACT_ORDER_SORTED; /* bytewise: ASCII before CJK */
    CK(bract_rdm_design_from_labels(c, r, 9, &o, &d));
    ck_assert_str_eq(d->cond[0], "a");
    ck_assert_str_eq(d->cond[1], "b");
    ck_assert_str_eq(d->cond[2], "猫");
    ck_assert_int_eq(d->vol_obs[3], 0); /* run r1, condition a */
    bract_rdm_design_free(d);
}
END_TEST

/* ---- patterns from tables: averaging and voxel dropping ---- */

START_TEST(table_patterns)
{
    char *p = tu_join(tmp, "p.tsv");
    tu_write(p, "condition\trun\tv1\tv2\tv3\tv4\n"
                "a\t1\t1\t5\tn/a\t7\n"
                "a\t1\t3\t5\t1\t7\n"
                "b\t1\t2\t6\t1\t7\n"
                "a\t2\t4\t5\t1\t7\n"
                "b\t2\t6\t5\t1\t7\n");
    bract_rdm_design *d;
    bract_patterns_set *s;
    CK(bract_patterns_from_table(p, NULL, "t", NULL, NULL, &d, &s));
    const bract_patterns *r = &s->region[0];
    ck_assert_uint_eq(r->nobs, 4);
    ck_assert_uint_eq(r->nvox, 2); /* v3 has n/a, v4 is constant */
    ck_assert_uint_eq(r->dropped_nonfinite, 1);
    ck_assert_uint_eq(r->dropped_constant, 1);
    ck_assert_uint_eq(r->voxel[1], 1);
    ck_assert_double_eq(r->x[0], 2); /* (1 + 3) / 2: repeats within a run averaged */
    ck_assert_double_eq(r->x[1], 5);
    ck_assert_str_eq(s->feature[2], "v3");
    bract_patterns_set_free(s);
    bract_rdm_design_free(d);
    /* per-run demeaning: run 1 mean of v1 = 2, run 2 mean = 5 */
    bract_patterns_opts po = {.demean_runs = 1};
    CK(bract_patterns_from_table(p, NULL, "t", NULL, &po, &d, &s));
    ck_assert_double_eq(s->region[0].x[0], 0);
    ck_assert_double_eq(s->region[0].x[2 * 2], -1);
    bract_patterns_set_free(s);
    bract_rdm_design_free(d);
    /* too few usable features */
    po = (bract_patterns_opts){.min_voxels = 3};
    ck_assert_int_eq(bract_patterns_from_table(p, NULL, "t", NULL, &po, &d, &s), BRACT_EDATA);
    ck_assert_error_has("region t has 2 usable voxels (2 of 4 dropped: 1 non-finite, 1 "
                        "constant); an RDM needs at least 3");
    ck_assert_ptr_null(s);
    /* a non-numeric cell */
    tu_write(p, "condition\tv1\tv2\na\t1\t2\nb\t3\tx\n");
    ck_assert_int_eq(bract_patterns_from_table(p, NULL, "t", NULL, NULL, &d, &s),
                     BRACT_EFORMAT);
    ck_assert_error_has("p.tsv:3: column 3 ('v2')");
    free(p);
}
END_TEST

/* ---- the Haxby et al. 2001 slice (notes 12.3) ---- */

static bract_rdm_design *haxby_design(int sorted)
{
    char *text = tu_slurp(TESTDATA "/data/haxby2001-slice/attributes_literal.txt");
    ck_assert_ptr_nonnull(text);
    const char *cond[1452], *run[1452];
    size_t n = 0;
    for (char *line = strtok(text, "\n"); line && n < 1452; line = strtok(NULL, "\n")) {
        char *sp = strchr(line, ' ');
        ck_assert_ptr_nonnull(sp);
        *sp = '\0';
        cond[n] = line;
        run[n] = sp + 1;
        n++;
    }
    ck_assert_uint_eq(n, 1452);
    const char *ex[] = {"rest"};
    bract_rdm_design_opts o = {.order = sorted ? BRACT_ORDER_SORTED : BRACT_ORDER_FIRST,
                           .exclude = ex, .nexclude = 1};
    bract_rdm_design *d;
    CK(bract_rdm_design_from_labels(cond, run, n, &o, &d));
    free(text);
    return d;
}

static double sum28(const double *d)
{
    double s = 0;
    for (int i = 0; i < 28; i++)
        s += d[i];
    return s;
}

/* rsatoolbox's values, printed with 6 decimals: tolerance 1e-6. */
START_TEST(haxby_slice)
{
    bract_rdm_design *d = haxby_design(1);
    ck_assert_uint_eq(d->ncond, 8);
    ck_assert_uint_eq(d->nrun, 12);
    ck_assert_uint_eq(d->nobs, 96);
    ck_assert_str_eq(d->cond[6], "scrambledpix");
    bract_mask *m;
    bract_volume *geom;
    CK(bract_mask_read(TESTDATA "/data/haxby2001-slice/mask.nii.gz", &m, &geom));
    bract_atlas *a;
    CK(bract_atlas_from_mask(m, "slice", &a));
    const char *paths[] = {TESTDATA "/data/haxby2001-slice/bold.nii.gz"};
    bract_patterns_opts po = {.demean_runs = 1};
    bract_patterns_set *s;
    CK(bract_patterns_from_volumes(paths, 1, d, a, geom, NULL, 0, &po, NULL, &s));
    const bract_patterns *r = &s->region[0];
    ck_assert_uint_eq(r->nvox, 530);
    double out[28];
    bract_rdm_info info;

    bract_rdm_opts o = {.method = BRACT_RDM_EUCLIDEAN};
    rdm_of(d, &o, r->x, 530, NULL, out, NULL);
    assert_close(out, (double[]){70.269606, 48.395426, 110.955733, 137.007881, 43.262932}, 5,
                 1e-6, "euclidean");
    ck_assert_double_eq_tol(sum28(out), 2417.888601, 1e-6);

    o.method = BRACT_RDM_CORRELATION;
    rdm_of(d, &o, r->x, 530, NULL, out, NULL);
    assert_close(out, (double[]){0.898007, 0.665543, 1.025724, 1.027082, 0.556805}, 5, 1e-6,
                 "correlation");
    ck_assert_double_eq_tol(sum28(out), 22.153189, 1e-6);

    o = (bract_rdm_opts){.method = BRACT_RDM_CROSSNOBIS, .noise = BRACT_NOISE_IDENTITY};
    rdm_of(d, &o, r->x, 530, NULL, out, NULL);
    assert_close(out, (double[]){5.611597, 6.321400, 31.570877, 98.831735, -9.161669}, 5, 1e-6,
                 "crossnobis identity");
    ck_assert_double_eq_tol(sum28(out), 1070.165996, 1e-6);

    /* residual precision with the correct dof 96 - 8 */
    o.noise = BRACT_NOISE_SHRINKAGE_DIAG;
    rdm_of(d, &o, r->x, 530, NULL, out, &info);
    ck_assert_double_eq(info.dof, 88);
    ck_assert_double_eq_tol(sum28(out), 23.884917, 1e-6);

    /* rsatoolbox's *_from_measurements dof (84) */
    struct {
        bract_rdm_method m;
        bract_rdm_noise_method n;
        double sum;
    } rt[] = {{BRACT_RDM_MAHALANOBIS, BRACT_NOISE_SHRINKAGE_DIAG, 21.717177},
              {BRACT_RDM_CROSSNOBIS, BRACT_NOISE_SHRINKAGE_DIAG, 20.948587},
              {BRACT_RDM_MAHALANOBIS, BRACT_NOISE_SHRINKAGE_EYE, 19.436211},
              {BRACT_RDM_CROSSNOBIS, BRACT_NOISE_SHRINKAGE_EYE, 18.729809},
              {BRACT_RDM_MAHALANOBIS, BRACT_NOISE_DIAG, 12.715664},
              {BRACT_RDM_CROSSNOBIS, BRACT_NOISE_DIAG, 7.760659}};
    for (size_t k = 0; k < sizeof rt / sizeof *rt; k++) {
        o = (bract_rdm_opts){.method = rt[k].m, .noise = rt[k].n,
                             .dof_rule = BRACT_DOF_RSATOOLBOX};
        rdm_of(d, &o, r->x, 530, NULL, out, &info);
        ck_assert_double_eq(info.dof, 84);
        ck_assert_msg(fabs(sum28(out) - rt[k].sum) <= 1e-6, "%s %s: sum %.7f, expected %.6f",
                      bract_rdm_method_name(rt[k].m), bract_rdm_noise_method_name(rt[k].n),
                      sum28(out), rt[k].sum);
        if (k == 0)
            assert_close(out, (double[]){0.535120, 0.340002, 0.698846, 1.473939, 0.302181}, 5,
                         1e-6, "mahalanobis shrinkage_diag");
        if (k == 1)
            assert_close(out, (double[]){0.507805, 0.312700, 0.671012, 1.446485, 0.274864}, 5,
                         1e-6, "crossnobis shrinkage_diag");
        if (k == 5)
            assert_close(out, (double[]){0.083943, 0.061526, 0.224085, 0.667062, -0.011583}, 5,
                         1e-6, "crossnobis diag");
    }
    bract_patterns_set_free(s);
    bract_atlas_free(a);
    bract_mask_free(m);
    bract_volume_free(geom);
    bract_rdm_design_free(d);
}
END_TEST

START_TEST(volume_count_mismatch)
{
    const char *cond[10], *run[10];
    for (int i = 0; i < 10; i++) {
        cond[i] = i % 2 ? "x" : "y";
        run[i] = "1";
    }
    bract_rdm_design *d;
    CK(bract_rdm_design_from_labels(cond, run, 10, NULL, &d));
    bract_mask *m;
    bract_volume *geom;
    CK(bract_mask_read(TESTDATA "/data/haxby2001-slice/mask.nii.gz", &m, &geom));
    bract_atlas *a;
    CK(bract_atlas_from_mask(m, "slice", &a));
    const char *paths[] = {TESTDATA "/data/haxby2001-slice/bold.nii.gz"};
    bract_patterns_set *s;
    ck_assert_int_eq(bract_patterns_from_volumes(paths, 1, d, a, geom, NULL, 0, NULL, NULL, &s),
                     BRACT_EDATA);
    ck_assert_error_has("the data have 1452 volumes");
    ck_assert_error_has("but the conditions have 10 rows");
    bract_atlas_free(a);
    bract_mask_free(m);
    bract_volume_free(geom);
    bract_rdm_design_free(d);
}
END_TEST

/* Method and estimator names round-trip; unknown names are refused with
 * the list of known ones. */
START_TEST(names_parse)
{
    for (int m = BRACT_RDM_EUCLIDEAN; m <= BRACT_RDM_CROSSNOBIS; m++) {
        bract_rdm_method got = BRACT_RDM_EUCLIDEAN;
        ck_assert_int_eq(bract_rdm_method_parse(bract_rdm_method_name(m), &got), 0);
        ck_assert_int_eq(got, m);
    }
    for (int m = BRACT_NOISE_SHRINKAGE_DIAG; m <= BRACT_NOISE_IDENTITY; m++) {
        bract_rdm_noise_method got = BRACT_NOISE_SHRINKAGE_DIAG;
        ck_assert_int_eq(bract_rdm_noise_method_parse(bract_rdm_noise_method_name(m), &got), 0);
        ck_assert_int_eq(got, m);
    }
    bract_rdm_method m = BRACT_RDM_COSINE;
    ck_assert_int_eq(bract_rdm_method_parse("manhattan", &m), BRACT_EINVAL);
    ck_assert_int_eq(m, BRACT_RDM_COSINE); /* untouched */
    ck_assert_str_eq(bract_last_error(),
                     "unknown RDM method 'manhattan' (expected one of euclidean, correlation, "
                     "cosine, mahalanobis, crossnobis)");
    bract_rdm_noise_method nm;
    ck_assert_int_eq(bract_rdm_noise_method_parse("ledoit", &nm), BRACT_EINVAL);
    ck_assert_str_eq(bract_last_error(),
                     "unknown noise method 'ledoit' (expected one of shrinkage_diag, "
                     "shrinkage_eye, diag, full, identity)");
    ck_assert_str_eq(bract_rdm_method_name((bract_rdm_method)9), "unknown");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("rdm");
    TCase *t = tcase_create("rdm");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, fixture_design);
    tcase_add_test(t, names_parse);
    tcase_add_test(t, fixture_methods);
    tcase_add_test(t, fixture_given_precision);
    tcase_add_test(t, fixture_precision);
    tcase_add_test(t, micro_examples);
    tcase_add_test(t, analytic_identities);
    tcase_add_test(t, workspace_per_thread);
    tcase_add_test(t, plan_errors);
    tcase_add_test(t, compute_errors);
    tcase_add_test(t, design_orders);
    tcase_add_test(t, table_patterns);
    tcase_add_test(t, haxby_slice);
    tcase_add_test(t, volume_count_mismatch);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    bract_init();
    return tu_run(suite());
}
