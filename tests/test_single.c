/* Unit tests of the single-trial pipeline (bract/hrflib.h, bract/fracridge.h,
 * bract/glmdenoise.h, bract/single.h): each step against a brute-force
 * reference on a small simulated study (HRF choice by explicit per-fold
 * least squares; the component curve and its choice likewise; ridge betas
 * against a direct solve of the ridge system), the baseline against
 * bract_glm_lss, thread invariance, and bad input. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lapacke.h>

/* ---- a small simulated study ---- */

typedef struct {
    size_t R, nvol, V, nsig, J;
    double tr;
    bract_events **ev;
    float **y;
} study;

static bract_events *make_events(bract_rng *g, size_t J, size_t run, size_t nrep)
{
    bract_events *e = calloc(1, sizeof *e);
    char name[64];
    snprintf(name, sizeof name, "run-%zu_events.tsv", run + 1);
    e->path = strdup(name);
    e->n = J * nrep;
    e->ev = calloc(e->n, sizeof *e->ev);
    size_t *perm = malloc(e->n * sizeof *perm);
    for (size_t i = 0; i < e->n; i++)
        perm[i] = i % J;
    bract_rng_shuffle(g, perm, e->n);
    double t = 6.0;
    for (size_t k = 0; k < e->n; k++) {
        char lab[32];
        snprintf(lab, sizeof lab, "w%02zu", perm[k]);
        e->ev[k].onset = t;
        e->ev[k].duration = 1.0;
        e->ev[k].modulation = 1.0;
        e->ev[k].label = strdup(lab);
        e->ev[k].line = k + 2;
        t += 2.0 + 4.0 * bract_rng_uniform(g);
    }
    free(perm);
    return e;
}

/* A gamma-variate HRF without undershoot, peak at p seconds (not a member
 * of the library's family), sampled at dt over 32 s, unit maximum. */
static double *sim_kernel(double p, double dt, size_t *len)
{
    size_t n = (size_t)(32.0 / dt);
    double *k = malloc(n * sizeof *k), mx = 0;
    double a = 4.0, b = p / a; /* mode (a) b... gamma shape a+1: mode a b = p */
    for (size_t i = 0; i < n; i++) {
        double t = (double)i * dt;
        k[i] = t > 0 ? exp(a * log(t / b) - t / b) : 0;
        mx = k[i] > mx ? k[i] : mx;
    }
    for (size_t i = 0; i < n; i++)
        k[i] /= mx;
    *len = n;
    return k;
}

/* R runs of nvol volumes (TR 2 s), V voxels of which the first nsig carry
 * condition responses (a 3-dimensional geometry) with their own HRF; white
 * noise plus nstruct shared AR(1) components. */
static void study_make(study *s, size_t R, size_t nvol, size_t V, size_t nsig, size_t J,
                       double amp, size_t nstruct, uint64_t seed)
{
    memset(s, 0, sizeof *s);
    s->R = R;
    s->nvol = nvol;
    s->V = V;
    s->nsig = nsig;
    s->J = J;
    s->tr = 2.0;
    s->ev = calloc(R, sizeof *s->ev);
    s->y = calloc(R, sizeof *s->y);
    bract_rng g;
    bract_rng_init(&g, seed, 0, 0);
    double *emb = malloc(J * 3 * sizeof *emb);
    for (size_t i = 0; i < J * 3; i++)
        emb[i] = bract_rng_normal(&g);
    double *u = malloc(nsig * 4 * sizeof *u), *peak = malloc(nsig * sizeof *peak);
    for (size_t v = 0; v < nsig; v++) {
        for (int d = 0; d < 4; d++)
            u[v * 4 + d] = bract_rng_normal(&g);
        peak[v] = 4.0 + 3.0 * bract_rng_uniform(&g);
    }
    double *lo = malloc(V * (nstruct ? nstruct : 1) * sizeof *lo);
    for (size_t i = 0; i < V * nstruct; i++)
        lo[i] = bract_rng_normal(&g);
    bract_glm_design_opts dop;
    bract_glm_design_opts_defaults(&dop);
    for (size_t r = 0; r < R; r++) {
        s->ev[r] = make_events(&g, J, r, 1);
        s->y[r] = malloc(V * nvol * sizeof *s->y[r]);
        double *ft = malloc(nvol * sizeof *ft);
        bract_glm_frame_times(nvol, s->tr, 0, ft);
        double *lat = calloc(nvol * (nstruct ? nstruct : 1), sizeof *lat);
        for (size_t k = 0; k < nstruct; k++) {
            double e = 0;
            for (size_t t = 0; t < nvol; t++) {
                e = 0.9 * e + sqrt(1 - 0.81) * bract_rng_normal(&g);
                lat[t * nstruct + k] = e;
            }
        }
        double *xr = malloc(nvol * J * sizeof *xr);
        for (size_t v = 0; v < V; v++) {
            double sig[4096] = {0};
            if (v < nsig) {
                size_t kl;
                double *kern = sim_kernel(peak[v], s->tr / 50, &kl);
                bract_hrf_plan *plan;
                ck_assert_int_eq(bract_hrf_plan_new_kernel(&dop.hrf, kern, kl, ft, nvol, &plan),
                                 0);
                free(kern);
                for (size_t k = 0; k < J; k++) {
                    const bract_event *e = &s->ev[r]->ev[k];
                    bract_hrf_plan_regressors(plan, &e->onset, &e->duration, &e->modulation, 1,
                                              xr + k, J);
                }
                bract_hrf_plan_free(plan);
                for (size_t k = 0; k < J; k++) {
                    size_t j = (size_t)atoi(s->ev[r]->ev[k].label + 1);
                    double a = u[v * 4 + 3] * 0.5 + 1.0;
                    for (int d = 0; d < 3; d++)
                        a += emb[j * 3 + d] * u[v * 4 + d];
                    for (size_t t = 0; t < nvol; t++)
                        sig[t] += amp * a * xr[t * J + k];
                }
            }
            double e = 0;
            for (size_t t = 0; t < nvol; t++) {
                e = 0.3 * e + bract_rng_normal(&g);
                double val = 100.0 + sig[t] + e + 0.02 * (double)t;
                for (size_t k = 0; k < nstruct; k++)
                    val += 1.5 * lo[v * nstruct + k] * lat[t * nstruct + k];
                s->y[r][v * nvol + t] = (float)val;
            }
        }
        free(xr);
        free(lat);
        free(ft);
    }
    free(emb);
    free(u);
    free(peak);
    free(lo);
}

static void study_free(study *s)
{
    for (size_t r = 0; r < s->R; r++) {
        bract_events_free(s->ev[r]);
        free(s->y[r]);
    }
    free(s->ev);
    free(s->y);
}

static bract_single_run *study_runs(const study *s)
{
    bract_single_run *runs = calloc(s->R, sizeof *runs);
    for (size_t r = 0; r < s->R; r++) {
        runs[r].events = s->ev[r];
        runs[r].nvol = s->nvol;
        runs[r].tr = s->tr;
        runs[r].y = s->y[r];
        runs[r].ldy = s->nvol;
    }
    return runs;
}

static bract_single *fit(const study *s, const bract_single_opts *o)
{
    bract_single_run *runs = study_runs(s);
    bract_single *res;
    int rc = bract_single_new(runs, s->R, s->V, o, NULL, &res);
    ck_assert_msg(rc == 0, "bract_single_new: %s", bract_last_error());
    free(runs);
    return res;
}

/* ---- brute-force linear algebra ---- */

/* Least squares y ~ X (n x p, row-major): beta (p) and the residual sum of
 * squares, by LAPACK's QR solver. */
static double lstsq(const double *X, size_t n, size_t p, const double *y, double *beta)
{
    double *a = malloc(n * p * sizeof *a), *b = malloc(n * sizeof *b);
    memcpy(a, X, n * p * sizeof *a);
    memcpy(b, y, n * sizeof *b);
    lapack_int info = LAPACKE_dgels(LAPACK_ROW_MAJOR, 'N', (lapack_int)n, (lapack_int)p, 1, a,
                                    (lapack_int)p, b, 1);
    ck_assert_int_eq(info, 0);
    if (beta)
        memcpy(beta, b, p * sizeof *b);
    double ss = 0;
    for (size_t i = p; i < n; i++)
        ss += b[i] * b[i];
    free(a);
    free(b);
    return ss;
}

/* The nuisance design of a run (confounds none, cosine drift, constant). */
static bract_glm_design *nuisance(const study *s)
{
    bract_glm_design_opts dop;
    bract_glm_design_opts_defaults(&dop);
    bract_glm_design *d;
    ck_assert_int_eq(bract_glm_design_new(NULL, s->nvol, s->tr, NULL, &dop, &d), 0);
    return d;
}

/* Trial regressors (nvol x K) of run r with library HRF h (h < 0: glover). */
static double *trial_regs(const study *s, size_t r, int h)
{
    bract_glm_design_opts dop;
    bract_glm_design_opts_defaults(&dop);
    double *ft = malloc(s->nvol * sizeof *ft);
    bract_glm_frame_times(s->nvol, s->tr, 0, ft);
    bract_hrf_plan *plan;
    if (h >= 0) {
        double *k;
        size_t kl;
        ck_assert_int_eq(bract_hrflib_kernel((size_t)h, s->tr, 50, &k, &kl), 0);
        ck_assert_int_eq(bract_hrf_plan_new_kernel(&dop.hrf, k, kl, ft, s->nvol, &plan), 0);
        free(k);
    } else {
        ck_assert_int_eq(bract_hrf_plan_new(&dop.hrf, ft, s->nvol, &plan), 0);
    }
    const bract_events *e = s->ev[r];
    double *x = malloc(s->nvol * e->n * sizeof *x);
    for (size_t k = 0; k < e->n; k++)
        bract_hrf_plan_regressors(plan, &e->ev[k].onset, &e->ev[k].duration,
                                  &e->ev[k].modulation, 1, x + k, e->n);
    bract_hrf_plan_free(plan);
    free(ft);
    return x;
}

static double *voxel_series(const study *s, size_t r, size_t v)
{
    double *y = malloc(s->nvol * sizeof *y);
    for (size_t t = 0; t < s->nvol; t++)
        y[t] = s->y[r][v * s->nvol + t];
    return y;
}

/* Horizontal concatenation [A (n x p) | B (n x q)] */
static double *hcat(const double *A, size_t n, size_t p, const double *B, size_t q)
{
    double *x = malloc(n * (p + q) * sizeof *x);
    for (size_t i = 0; i < n; i++) {
        memcpy(x + i * (p + q), A + i * p, p * sizeof *x);
        memcpy(x + i * (p + q) + p, B + i * q, q * sizeof *x);
    }
    return x;
}

/* ---- tests ---- */

START_TEST(fracridge_alpha_and_coef)
{
    /* a random 40 x 6 design: the alpha of a fraction gives it to 1e-12,
     * and the coefficients equal the solve of (X'X + alpha I) b = X'y */
    bract_rng g;
    bract_rng_init(&g, 7, 0, 0);
    enum { N = 40, P = 6 };
    double X[N * P], y[N];
    for (size_t i = 0; i < N * P; i++)
        X[i] = bract_rng_normal(&g) * (1.0 + (double)(i % P));
    for (size_t i = 0; i < N; i++)
        y[i] = bract_rng_normal(&g);
    bract_fracridge *f;
    ck_assert_int_eq(bract_fracridge_new(X, N, P, &f), 0);
    double w[P];
    for (size_t j = 0; j < P; j++) {
        w[j] = 0;
        for (size_t i = 0; i < N; i++)
            w[j] += f->u[i * P + j] * y[i];
    }
    const double fracs[] = {0.05, 0.3, 0.5, 0.9, 0.999, 1.0};
    for (size_t q = 0; q < 6; q++) {
        double alpha;
        ck_assert_int_eq(bract_fracridge_alpha(f->s, w, P, fracs[q], &alpha), 0);
        double got = bract_fracridge_fraction(f->s, w, P, alpha);
        ck_assert_msg(fabs(got - fracs[q]) < 1e-12, "fraction %g: got %.15g (alpha %g)",
                      fracs[q], got, alpha);
        double b[P];
        ck_assert_int_eq(bract_fracridge_coef(f, y, alpha, b), 0);
        double A[P * P], rhs[P];
        for (size_t a = 0; a < P; a++) {
            rhs[a] = 0;
            for (size_t i = 0; i < N; i++)
                rhs[a] += X[i * P + a] * y[i];
            for (size_t c = 0; c < P; c++) {
                double v = 0;
                for (size_t i = 0; i < N; i++)
                    v += X[i * P + a] * X[i * P + c];
                A[a * P + c] = v + (a == c ? alpha : 0);
            }
        }
        lapack_int ipiv[P];
        ck_assert_int_eq(LAPACKE_dgesv(LAPACK_ROW_MAJOR, P, 1, A, P, ipiv, rhs, 1), 0);
        double big = 0, err = 0;
        for (size_t a = 0; a < P; a++) {
            big = fmax(big, fabs(rhs[a]));
            err = fmax(err, fabs(rhs[a] - b[a]));
        }
        ck_assert_msg(err <= 1e-10 * big, "fraction %g: coefficients differ by %g", fracs[q], err);
    }
    double alpha;
    ck_assert_int_ne(bract_fracridge_alpha(f->s, w, P, 0.0, &alpha), 0);
    ck_assert_int_ne(bract_fracridge_alpha(f->s, w, P, 1.5, &alpha), 0);
    bract_fracridge_free(f);
    /* a rank-deficient design */
    double Z[N * 2];
    for (size_t i = 0; i < N; i++)
        Z[i * 2] = Z[i * 2 + 1] = (double)i;
    ck_assert_int_eq(bract_fracridge_new(Z, N, 2, &f), BRACT_EDATA);
}
END_TEST

START_TEST(hrflib_family)
{
    /* 21 HRFs, peak times increasing in p, scaled to glover's maximum */
    double *gk;
    size_t gn;
    ck_assert_int_eq(bract_hrf_kernel(BRACT_HRF_GLOVER, 0, 0, 2.0, 50, &gk, &gn), 0);
    double gmax = 0;
    for (size_t i = 0; i < gn; i++)
        gmax = fmax(gmax, gk[i]);
    free(gk);
    double last = 0;
    for (size_t h = 0; h < BRACT_HRFLIB_SIZE; h++) {
        double *k;
        size_t n;
        ck_assert_int_eq(bract_hrflib_kernel(h, 2.0, 50, &k, &n), 0);
        ck_assert_uint_eq(n, gn);
        double mx = 0;
        for (size_t i = 0; i < n; i++)
            mx = fmax(mx, k[i]);
        ck_assert(fabs(mx - gmax) < 1e-15 * gmax + 1e-300);
        free(k);
        bract_hrflib_params q;
        ck_assert_int_eq(bract_hrflib_describe(h, &q), 0);
        double pt = bract_hrflib_peak_time(h);
        ck_assert(pt > 3.0 && pt < 8.5);
        if (h % 3 == 0) {
            ck_assert(pt > last);
            last = pt;
        }
    }
    bract_hrflib_params q;
    ck_assert_int_eq(bract_hrflib_describe(BRACT_HRFLIB_SIZE, &q), BRACT_EINVAL);
}
END_TEST

START_TEST(glmdenoise_choice_rule)
{
    /* GLMdenoise's pcstop rule */
    /* improvements 0, .1, .19, .2, .21, .19: within 10% of .21 first at 3 */
    double a[] = {0.10, 0.20, 0.29, 0.30, 0.31, 0.29};
    ck_assert_uint_eq(bract_glmdenoise_choose(a, 5, 1.1), 3);
    ck_assert_uint_eq(bract_glmdenoise_choose(a, 5, 1.0), 4);
    ck_assert_uint_eq(bract_glmdenoise_choose(a, 5, 3.0), 1);
    double b[] = {0.3, 0.2, 0.1};
    ck_assert_uint_eq(bract_glmdenoise_choose(b, 2, 1.05), 0);
    double c[] = {0.1, NAN, 0.5};
    ck_assert_uint_eq(bract_glmdenoise_choose(c, 2, 1.05), 2);
}
END_TEST

START_TEST(baseline_equals_lss)
{
    /* step 0 with OLS equals bract_glm_lss with --noise ols, run by run */
    study s;
    study_make(&s, 3, 90, 30, 10, 12, 1.0, 0, 11);
    bract_single_opts o;
    bract_single_opts_defaults(&o);
    o.hrf_library = 0;
    o.noise_pcs = 0;
    o.ridge = BRACT_SINGLE_RIDGE_NONE;
    o.keep_steps = 1;
    for (int lsa = 0; lsa < 2; lsa++) {
        o.trials = lsa ? BRACT_GLM_TRIALS_LSA : BRACT_GLM_TRIALS_LSS;
        bract_single *res = fit(&s, &o);
        ck_assert_uint_eq(res->nsteps, 1);
        bract_glm_fit_opts fo;
        bract_glm_fit_opts_defaults(&fo);
        fo.noise = BRACT_GLM_NOISE_OLS;
        double worst = 0;
        for (size_t r = 0; r < s.R; r++) {
            const size_t K = s.ev[r]->n;
            double *ref;
            if (!lsa) {
                ck_assert_int_eq(bract_glm_lss(s.ev[r], s.nvol, s.tr, NULL, &o.design, s.y[r],
                                               s.nvol, s.V, &fo, NULL, &ref), 0);
            } else {
                bract_events *et;
                bract_glm_design *d;
                bract_glm_fit *f;
                ck_assert_int_eq(bract_glm_events_trialwise(s.ev[r], &et), 0);
                ck_assert_int_eq(bract_glm_design_new(et, s.nvol, s.tr, NULL, &o.design, &d), 0);
                ck_assert_int_eq(bract_glm_fit_new(d, s.y[r], s.nvol, s.V, &fo, NULL, &f), 0);
                ref = malloc(s.V * K * sizeof *ref);
                for (size_t v = 0; v < s.V; v++)
                    for (size_t k = 0; k < K; k++)
                        ref[v * K + k] =
                            f->beta[v * d->ncol + bract_glm_design_find(d, et->ev[k].label)];
                bract_glm_fit_free(f);
                bract_glm_design_free(d);
                bract_events_free(et);
            }
            for (size_t v = 0; v < s.V; v++) {
                double big = 0;
                for (size_t k = 0; k < K; k++)
                    big = fmax(big, fabs(ref[v * K + k]));
                for (size_t k = 0; k < K; k++) {
                    double got = res->steps[0].betas[v * res->ntrials + res->run_first[r] + k];
                    double e = fabs(got - ref[v * K + k]) / big;
                    worst = fmax(worst, e);
                    ck_assert_double_eq(got, res->betas[v * res->ntrials + res->run_first[r] + k]);
                }
            }
            free(ref);
        }
        ck_assert_msg(worst < 1e-8, "%s: baseline differs from bract_glm by %g relative",
                      lsa ? "LSA" : "LSS", worst);
        bract_single_free(res);
    }
    study_free(&s);
}
END_TEST

START_TEST(hrf_choice_brute_force)
{
    /* each voxel's HRF and on-off R2 equal explicit per-fold least squares
     * over the whole library */
    study s;
    study_make(&s, 3, 90, 24, 12, 12, 2.0, 0, 5);
    bract_single_opts o;
    bract_single_opts_defaults(&o);
    o.noise_pcs = 0;
    o.ridge = BRACT_SINGLE_RIDGE_NONE;
    o.keep_worse = 1;
    bract_single *res = fit(&s, &o);
    bract_glm_design *nd = nuisance(&s);
    const size_t n = s.nvol, q = nd->ncol;
    double *o_reg[BRACT_HRFLIB_SIZE][8];
    for (size_t h = 0; h < BRACT_HRFLIB_SIZE; h++)
        for (size_t r = 0; r < s.R; r++) {
            double *x = trial_regs(&s, r, (int)h);
            const size_t K = s.ev[r]->n;
            o_reg[h][r] = calloc(n, sizeof(double));
            for (size_t t = 0; t < n; t++)
                for (size_t k = 0; k < K; k++)
                    o_reg[h][r][t] += x[t * K + k];
            free(x);
        }
    double worst = 0;
    for (size_t v = 0; v < s.V; v++) {
        double best = -INFINITY;
        int bh = -1;
        for (size_t h = 0; h < BRACT_HRFLIB_SIZE; h++) {
            double sse = 0, ss = 0;
            for (size_t t = 0; t < s.R; t++) {
                /* training: [stacked on-off | block-diagonal nuisance] */
                size_t nr = (s.R - 1) * n, p = 1 + (s.R - 1) * q;
                double *X = calloc(nr * p, sizeof *X), *y = malloc(nr * sizeof *y);
                size_t row = 0, blk = 0;
                for (size_t r = 0; r < s.R; r++) {
                    if (r == t)
                        continue;
                    double *yr = voxel_series(&s, r, v);
                    for (size_t i = 0; i < n; i++, row++) {
                        X[row * p] = o_reg[h][r][i];
                        for (size_t j = 0; j < q; j++)
                            X[row * p + 1 + blk * q + j] = nd->x[i * q + j];
                        y[row] = yr[i];
                    }
                    free(yr);
                    blk++;
                }
                double *beta = malloc(p * sizeof *beta);
                lstsq(X, nr, p, y, beta);
                double *yt = voxel_series(&s, t, v), *e = malloc(n * sizeof *e);
                for (size_t i = 0; i < n; i++)
                    e[i] = yt[i] - beta[0] * o_reg[h][t][i];
                sse += lstsq(nd->x, n, q, e, NULL);
                ss += lstsq(nd->x, n, q, yt, NULL);
                free(X);
                free(y);
                free(beta);
                free(yt);
                free(e);
            }
            double r2 = 1 - sse / ss;
            if (r2 > best) {
                best = r2;
                bh = (int)h;
            }
        }
        ck_assert_msg(res->hrf[v] == bh, "voxel %zu: HRF %d, brute force %d", v, res->hrf[v], bh);
        worst = fmax(worst, fabs(res->hrf_r2[v] - best));
    }
    ck_assert_msg(worst < 1e-9, "on-off R2 differs by %g", worst);
    for (size_t h = 0; h < BRACT_HRFLIB_SIZE; h++)
        for (size_t r = 0; r < s.R; r++)
            free(o_reg[h][r]);
    bract_glm_design_free(nd);
    bract_single_free(res);
    study_free(&s);
}
END_TEST

/* The cross-validated R2 of the condition model with k components, one
 * voxel, by explicit least squares per fold. */
static double cv_r2_brute(const study *s, const bract_single *res, const bract_glm_design *nd,
                          double *const *cregs, size_t v, size_t k)
{
    const size_t n = s->nvol, q = nd->ncol, J = res->ncond, R = s->R, kmax = (size_t)res->max_pcs;
    /* per run: [conditions (study order) | nuisance | first k components] */
    double *Z[8];
    for (size_t r = 0; r < R; r++) {
        Z[r] = malloc(n * (q + k) * sizeof(double));
        for (size_t i = 0; i < n; i++) {
            memcpy(Z[r] + i * (q + k), nd->x + i * q, q * sizeof(double));
            for (size_t a = 0; a < k; a++)
                Z[r][i * (q + k) + q + a] = res->pcs[r][i * kmax + a];
        }
    }
    double sse = 0, ss = 0;
    for (size_t t = 0; t < R; t++) {
        size_t nr = (R - 1) * n, p = J + (R - 1) * (q + k);
        double *X = calloc(nr * p, sizeof *X), *y = malloc(nr * sizeof *y);
        size_t row = 0, blk = 0;
        for (size_t r = 0; r < R; r++) {
            if (r == t)
                continue;
            double *yr = voxel_series(s, r, v);
            for (size_t i = 0; i < n; i++, row++) {
                memcpy(X + row * p, cregs[r] + i * J, J * sizeof *X);
                memcpy(X + row * p + J + blk * (q + k), Z[r] + i * (q + k), (q + k) * sizeof *X);
                y[row] = yr[i];
            }
            free(yr);
            blk++;
        }
        double *beta = malloc(p * sizeof *beta);
        lstsq(X, nr, p, y, beta);
        double *yt = voxel_series(s, t, v), *e = malloc(n * sizeof *e);
        for (size_t i = 0; i < n; i++) {
            e[i] = yt[i];
            for (size_t j = 0; j < J; j++)
                e[i] -= cregs[t][i * J + j] * beta[j];
        }
        sse += lstsq(Z[t], n, q + k, e, NULL);
        ss += lstsq(Z[t], n, q + k, yt, NULL);
        free(X);
        free(y);
        free(beta);
        free(yt);
        free(e);
    }
    for (size_t r = 0; r < R; r++)
        free(Z[r]);
    return 1 - sse / ss;
}

START_TEST(noise_components_brute_force)
{
    /* the curve of median cross-validated R2 and the chosen number equal
     * explicit least squares with the result's components */
    study s;
    study_make(&s, 3, 100, 60, 16, 10, 1.5, 3, 21);
    bract_single_opts o;
    bract_single_opts_defaults(&o);
    o.max_noise_pcs = 4;
    o.ridge = BRACT_SINGLE_RIDGE_NONE;
    o.keep_worse = 1;
    bract_single *res = fit(&s, &o);
    ck_assert_int_eq(res->max_pcs, 4);
    ck_assert_ptr_nonnull(res->pc_curve);
    ck_assert_uint_gt(res->npool, 5);
    bract_glm_design *nd = nuisance(&s);
    const size_t n = s.nvol, J = res->ncond, kmax = 4;
    double *curve = malloc((kmax + 1) * sizeof *curve);
    for (size_t k = 0; k <= kmax; k++) {
        double *r2 = malloc(s.V * sizeof *r2);
        size_t m = 0;
        for (size_t v = 0; v < s.V; v++) {
            if (!res->signal[v])
                continue;
            double *cregs[8];
            for (size_t r = 0; r < s.R; r++) {
                double *x = trial_regs(&s, r, res->hrf[v]);
                const size_t K = s.ev[r]->n;
                cregs[r] = calloc(n * J, sizeof(double));
                for (size_t i = 0; i < n; i++)
                    for (size_t kk = 0; kk < K; kk++)
                        cregs[r][i * J + res->trial_cond[res->run_first[r] + kk]] += x[i * K + kk];
                free(x);
            }
            r2[m++] = cv_r2_brute(&s, res, nd, cregs, v, k);
            for (size_t r = 0; r < s.R; r++)
                free(cregs[r]);
        }
        for (size_t a = 1; a < m; a++)
            for (size_t b = a; b > 0 && r2[b - 1] > r2[b]; b--) {
                double tmp = r2[b];
                r2[b] = r2[b - 1];
                r2[b - 1] = tmp;
            }
        curve[k] = m % 2 ? r2[m / 2] : 0.5 * (r2[m / 2 - 1] + r2[m / 2]);
        free(r2);
        ck_assert_msg(fabs(curve[k] - res->pc_curve[k]) < 1e-9, "k = %zu: curve %.12g, brute force "
                      "%.12g", k, res->pc_curve[k], curve[k]);
    }
    ck_assert_uint_eq((size_t)res->npcs, bract_glmdenoise_choose(curve, kmax, 1.05));
    printf("noise components: curve");
    for (size_t k = 0; k <= kmax; k++)
        printf(" %.4f", curve[k]);
    printf(", chosen %d (pool %zu, signal %zu)\n", res->npcs, res->npool, res->nsignal);
    free(curve);
    bract_glm_design_free(nd);
    bract_single_free(res);
    study_free(&s);
}
END_TEST

START_TEST(ridge_equals_direct_solve)
{
    /* the final betas, undone of the autoscale line, equal the solve of the
     * ridge system with the nuisance and components unpenalised, per run,
     * for each voxel's alpha and HRF */
    study s;
    study_make(&s, 3, 90, 30, 12, 14, 1.0, 2, 33);
    bract_single_opts o;
    bract_single_opts_defaults(&o);
    o.max_noise_pcs = 3;
    o.keep_worse = 1;
    bract_single *res = fit(&s, &o);
    ck_assert_ptr_nonnull(res->alpha);
    bract_glm_design *nd = nuisance(&s);
    const size_t n = s.nvol, q = nd->ncol, k = (size_t)res->npcs, kmax = (size_t)res->max_pcs;
    double worst = 0;
    size_t nshrunk = 0;
    for (size_t v = 0; v < s.V; v++) {
        double al = res->alpha[v];
        nshrunk += res->fraction[v] < 0.999;
        for (size_t r = 0; r < s.R; r++) {
            const size_t K = s.ev[r]->n, p = K + q + k;
            double *x = trial_regs(&s, r, res->hrf[v]);
            double *Z = malloc(n * (q + k) * sizeof *Z);
            for (size_t i = 0; i < n; i++) {
                memcpy(Z + i * (q + k), nd->x + i * q, q * sizeof *Z);
                for (size_t a = 0; a < k; a++)
                    Z[i * (q + k) + q + a] = res->pcs[r][i * kmax + a];
            }
            double *X = hcat(x, n, K, Z, q + k), *y = voxel_series(&s, r, v);
            double *A = calloc(p * p, sizeof *A), *b = calloc(p, sizeof *b);
            for (size_t a = 0; a < p; a++) {
                for (size_t i = 0; i < n; i++)
                    b[a] += X[i * p + a] * y[i];
                for (size_t c = 0; c < p; c++) {
                    for (size_t i = 0; i < n; i++)
                        A[a * p + c] += X[i * p + a] * X[i * p + c];
                }
                if (a < K)
                    A[a * p + a] += al;
            }
            lapack_int *ipiv = malloc(p * sizeof *ipiv);
            ck_assert_int_eq(LAPACKE_dgesv(LAPACK_ROW_MAJOR, (lapack_int)p, 1, A, (lapack_int)p,
                                           ipiv, b, 1), 0);
            double big = 0;
            for (size_t a = 0; a < K; a++)
                big = fmax(big, fabs(b[a]));
            for (size_t a = 0; a < K; a++) {
                double got = (res->betas[v * res->ntrials + res->run_first[r] + a] -
                              res->offset[v]) / res->scale[v];
                worst = fmax(worst, fabs(got - b[a]) / big);
            }
            free(ipiv);
            free(A);
            free(b);
            free(X);
            free(y);
            free(Z);
            free(x);
        }
    }
    printf("ridge: %zu of %zu voxels shrunk (fraction < 0.999), worst relative difference from "
           "the direct solve %.3g\n", nshrunk, s.V, worst);
    ck_assert_uint_gt(nshrunk, 0);
    ck_assert_msg(worst < 1e-8, "ridge betas differ from the direct solve by %g", worst);
    /* the reported fraction is the one alpha achieves, near a candidate */
    for (size_t v = 0; v < s.V; v++) {
        double near = 1;
        for (size_t j = 0; j < res->nfractions; j++)
            near = fmin(near, fabs(res->fraction[v] - res->fractions[j]));
        ck_assert_msg(near < 2e-3, "voxel %zu: fraction %g is %g from a candidate", v,
                      res->fraction[v], near);
    }
    bract_glm_design_free(nd);
    bract_single_free(res);
    study_free(&s);
}
END_TEST

START_TEST(threads_give_same_bits)
{
    study s;
    study_make(&s, 3, 90, 70, 20, 12, 1.0, 2, 8);
    bract_single_opts o;
    bract_single_opts_defaults(&o);
    o.max_noise_pcs = 3;
    o.block = 16;
    bract_set_threads(1);
    bract_single *a = fit(&s, &o);
    bract_set_threads(2);
    bract_single *b = fit(&s, &o);
    bract_set_threads(0);
    ck_assert(memcmp(a->betas, b->betas, s.V * a->ntrials * sizeof *a->betas) == 0);
    ck_assert(memcmp(a->onoff_r2, b->onoff_r2, s.V * sizeof *a->onoff_r2) == 0);
    ck_assert_int_eq(a->npcs, b->npcs);
    for (size_t st = 0; st < a->nsteps; st++)
        ck_assert(memcmp(&a->steps[st].median_reliability, &b->steps[st].median_reliability,
                         sizeof(double)) == 0);
    bract_single_free(a);
    bract_single_free(b);
    study_free(&s);
}
END_TEST

START_TEST(bad_input)
{
    study s;
    study_make(&s, 2, 80, 20, 5, 10, 1.0, 0, 3);
    bract_single_opts o;
    bract_single_opts_defaults(&o);
    bract_single_run *runs = study_runs(&s);
    bract_single *res;
    /* one run */
    ck_assert_int_eq(bract_single_new(runs, 1, s.V, &o, NULL, &res), BRACT_EDATA);
    ck_assert_error_has("at least 2 runs");
    /* no condition repeated across runs */
    for (size_t k = 0; k < s.ev[1]->n; k++)
        s.ev[1]->ev[k].label[0] = 'x';
    ck_assert_int_eq(bract_single_new(runs, 2, s.V, &o, NULL, &res), BRACT_EDATA);
    ck_assert_error_has("no condition");
    for (size_t k = 0; k < s.ev[1]->n; k++)
        s.ev[1]->ev[k].label[0] = 'w';
    /* no trials model, a multi-column HRF */
    o.trials = BRACT_GLM_TRIALS_NONE;
    ck_assert_int_eq(bract_single_new(runs, 2, s.V, &o, NULL, &res), BRACT_EINVAL);
    o.trials = BRACT_GLM_TRIALS_LSS;
    o.design.hrf.model = BRACT_HRF_GLOVER_DERIVATIVE;
    ck_assert_int_eq(bract_single_new(runs, 2, s.V, &o, NULL, &res), BRACT_EINVAL);
    o.design.hrf.model = BRACT_HRF_GLOVER;
    /* an empty noise pool: no components, a warning */
    o.r2_threshold = -1e9;
    const char *const *w;
    bract_take_warnings(&w);
    ck_assert_int_eq(bract_single_new(runs, 2, s.V, &o, NULL, &res), 0);
    ck_assert_int_eq(res->max_pcs, 0);
    ck_assert_int_eq(res->npcs, 0);
    size_t nw = bract_take_warnings(&w);
    int found = 0;
    for (size_t i = 0; i < nw; i++)
        found |= strstr(w[i], "noise pool") != NULL;
    ck_assert_msg(found, "no warning about the empty noise pool");
    bract_single_free(res);
    /* an event outside the run names the file and line */
    o.r2_threshold = NAN;
    s.ev[0]->ev[3].onset = 1000;
    ck_assert_int_eq(bract_single_new(runs, 2, s.V, &o, NULL, &res), BRACT_EDATA);
    ck_assert_error_has("run-1_events.tsv:5");
    free(runs);
    study_free(&s);
}
END_TEST

START_TEST(steps_that_lower_reliability_are_left_out)
{
    /* every step is judged against the last kept one; the betas are the
     * last kept step's; with keep_worse every step is kept */
    study s;
    study_make(&s, 4, 90, 150, 40, 16, 0.5, 2, 17);
    bract_single_opts o;
    bract_single_opts_defaults(&o);
    o.max_noise_pcs = 3;
    o.keep_steps = 1;
    for (int worse = 0; worse < 2; worse++) {
        o.keep_worse = worse;
        bract_single *res = fit(&s, &o);
        size_t last = 0;
        ck_assert_int_eq(res->steps[0].kept, 1);
        for (size_t k = 1; k < res->nsteps; k++) {
            /* the sign test by hand */
            size_t up = 0, down = 0;
            for (size_t v = 0; v < s.V; v++) {
                double a = res->steps[k].reliability[v], b = res->steps[last].reliability[v];
                if (res->signal[v] && isfinite(a) && isfinite(b) && a != b) {
                    up += a > b;
                    down += a < b;
                }
            }
            double p = 0, n = (double)(up + down);
            for (size_t i = 0; i <= up; i++)
                p += exp(lgamma(n + 1) - lgamma((double)i + 1) - lgamma(n - (double)i + 1) -
                         n * log(2.0));
            ck_assert_msg(fabs(p - res->steps[k].p_worse) < 1e-9, "step %zu: p %g, by hand %g",
                          k, res->steps[k].p_worse, p);
            ck_assert_int_eq(res->steps[k].kept, worse ? 1 : !(p < 0.01));
            if (res->steps[k].kept)
                last = k;
        }
        ck_assert_uint_eq(res->last_kept, last);
        ck_assert(memcmp(res->betas, res->steps[last].betas,
                         s.V * res->ntrials * sizeof *res->betas) == 0);
        bract_single_free(res);
    }
    study_free(&s);
}
END_TEST

/* ---- the simulated word studies of bract simulate rsa --event-related ---- */

typedef struct {
    double rel, rdm; /* median split-half reliability over the effect voxels; Spearman of
                        the correlation-distance RDM with the planted one */
} figures;

/* Figures of betas (nvox x ntrials, mask order) against the truth. */
static figures truth_figures(const bract_simrsa *d, const bract_single *res, const double *b,
                             const double *amp)
{
    const size_t W = d->nwords, T = res->ntrials, J = res->ncond;
    figures f = {NAN, NAN};
    size_t ne = 0;
    for (size_t e = 0; e < d->nmask; e++)
        ne += bract_volume_get(d->truth, d->brain[e]) != 0;
    /* condition means per voxel (all runs) and per half; words are the
     * conditions, res->cond sorted: map to the word index */
    size_t *cw = malloc(J * sizeof *cw);
    for (size_t j = 0; j < J; j++)
        for (size_t w = 0; w < W; w++)
            if (strcmp(d->words[w], res->cond[j]) == 0)
                cw[j] = w;
    double *pat = calloc(J * ne, sizeof *pat), *tru = calloc(J * ne, sizeof *tru);
    double *rel = calloc(ne ? ne : 1, sizeof *rel);
    size_t k = 0;
    for (size_t e = 0; e < d->nmask; e++) {
        if (bract_volume_get(d->truth, d->brain[e]) == 0)
            continue;
        double h[2][256] = {{0}}, n[2][256] = {{0}};
        for (size_t r = 0; r < res->nruns; r++)
            for (size_t t = res->run_first[r]; t < res->run_first[r + 1]; t++) {
                size_t j = res->trial_cond[t];
                h[r % 2][j] += b[e * T + t];
                n[r % 2][j] += 1;
                pat[j * ne + k] += b[e * T + t] / (double)res->nruns;
            }
        double x[256], y[256];
        for (size_t j = 0; j < J; j++) {
            x[j] = h[0][j] / n[0][j];
            y[j] = h[1][j] / n[1][j];
            tru[j * ne + k] = amp[e * W + cw[j]];
        }
        rel[k++] = bract_stats_pearson(x, y, J);
    }
    for (size_t a = 1; a < ne; a++)
        for (size_t c = a; c > 0 && rel[c - 1] > rel[c]; c--) {
            double t = rel[c];
            rel[c] = rel[c - 1];
            rel[c - 1] = t;
        }
    f.rel = ne % 2 ? rel[ne / 2] : 0.5 * (rel[ne / 2 - 1] + rel[ne / 2]);
    /* correlation-distance RDMs of the patterns over the effect voxels */
    size_t np = J * (J - 1) / 2, q = 0;
    double *r1 = malloc(np * sizeof *r1), *r2 = malloc(np * sizeof *r2);
    for (size_t a = 0; a < J; a++)
        for (size_t c = a + 1; c < J; c++, q++) {
            r1[q] = 1 - bract_stats_pearson(pat + a * ne, pat + c * ne, ne);
            r2[q] = 1 - bract_stats_pearson(tru + a * ne, tru + c * ne, ne);
        }
    double *rw = malloc(2 * np * sizeof *rw);
    size_t *iw = malloc(2 * np * sizeof *iw);
    f.rdm = bract_stats_spearman(r1, r2, np, rw, iw);
    free(rw);
    free(iw);
    free(r1);
    free(r2);
    free(cw);
    free(pat);
    free(tru);
    free(rel);
    return f;
}

/* One simulated study at `snr`, fitted every way: the figures of the plain
 * AR(1) LSS of bract_glm_lss, of every step, and of the final betas; the
 * diagnostics' medians per step. */
typedef struct {
    figures ar1, step[4], final;
    double diag[4];
    int kept[4];
    size_t nsteps, effect;
    double hrf_corr; /* correlation of the chosen HRF's peak time with the voxel's own */
} study_figures;

/* Over the effect voxels: correlation of the peak time of the simulated HRF
 * and of the library HRF chosen. */
static double hrf_choice(const bract_simrsa *d, const bract_single *res, double tr)
{
    double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0, n = 0;
    for (size_t e = 0; e < d->nmask; e++) {
        size_t i = d->brain[e];
        if (bract_volume_get(d->truth, i) == 0 || res->hrf[e] < 0)
            continue;
        double *k;
        size_t kn, b = 0;
        ck_assert_int_eq(bract_simrsa_voxel_hrf(d, 0, i, tr, 50, &k, &kn), 0);
        for (size_t q = 1; q < kn; q++)
            b = k[q] > k[b] ? q : b;
        free(k);
        double x = (double)b * tr / 50, y = bract_hrflib_peak_time((size_t)res->hrf[e]);
        sx += x;
        sy += y;
        sxx += x * x;
        syy += y * y;
        sxy += x * y;
        n += 1;
    }
    return (sxy - sx * sy / n) / sqrt((sxx - sx * sx / n) * (syy - sy * sy / n));
}

static void simulated_study(double snr, uint64_t seed, study_figures *out)
{
    bract_simrsa_opts so;
    bract_simrsa_opts_defaults(&so);
    so.subjects = 1;
    so.words = 40;
    so.runs = 4;
    so.snr = snr;
    so.seed = seed;
    so.bold.isi_min = 2;
    so.bold.isi_max = 6;
    so.bold.evoked = 2.0 * sqrt(snr); /* a mean response twice the words' spread */
    so.bold.hrf_variability = 1.0;
    so.bold.structured_noise = 4;
    bract_simrsa *d;
    ck_assert_msg(bract_simrsa_new(&so, &d) == 0, "%s", bract_last_error());
    const size_t R = so.runs, V = d->nmask;
    bract_simrsa_run *sr[8];
    float *y[8];
    bract_nuisance *conf[8];
    bract_single_run runs[8];
    char *dir = tu_tmpdir();
    bract_nuisance_opts no;
    bract_nuisance_opts_defaults(&no);
    bract_nuisance_strategy motion = BRACT_NUISANCE_MOTION6;
    no.strategies = &motion;
    no.nstrategies = 1;
    bract_glm_fit_opts fo;
    bract_glm_fit_opts_defaults(&fo);
    bract_glm_design_opts dop;
    bract_glm_design_opts_defaults(&dop);
    double *ar1 = NULL;
    for (size_t r = 0; r < R; r++) {
        ck_assert_int_eq(bract_simrsa_run_new(d, 0, r, &sr[r]), 0);
        const size_t n = sr[r]->nvol, nv = sr[r]->bold->nvox;
        const float *src = sr[r]->bold->data;
        y[r] = malloc(V * n * sizeof *y[r]);
        for (size_t e = 0; e < V; e++)
            for (size_t t = 0; t < n; t++)
                y[r][e * n + t] = src[d->brain[e] + nv * t];
        /* the confounds through a file, as bract glm reads them */
        char name[64];
        snprintf(name, sizeof name, "conf_run-%zu.tsv", r + 1);
        char *path = tu_join(dir, name);
        FILE *fp = fopen(path, "w");
        for (size_t c = 0; c < sr[r]->nconfounds; c++)
            fprintf(fp, "%s%s", c ? "\t" : "", sr[r]->confound_names[c]);
        fprintf(fp, "\n");
        for (size_t t = 0; t < n; t++)
            for (size_t c = 0; c < sr[r]->nconfounds; c++) {
                double v = sr[r]->confounds[t * sr[r]->nconfounds + c];
                fprintf(fp, isnan(v) ? "%sn/a" : "%s%.17g", c ? "\t" : "", v);
                if (c + 1 == sr[r]->nconfounds)
                    fprintf(fp, "\n");
            }
        fclose(fp);
        ck_assert_msg(bract_nuisance_new(path, &no, &conf[r]) == 0, "%s", bract_last_error());
        free(path);
        runs[r] = (bract_single_run){sr[r]->events, conf[r], n, sr[r]->tr, y[r], n};
    }
    bract_single_opts o;
    bract_single_opts_defaults(&o);
    o.keep_steps = 1;
    bract_single *res;
    ck_assert_msg(bract_single_new(runs, R, V, &o, NULL, &res) == 0, "%s", bract_last_error());
    double *amp;
    ck_assert_int_eq(bract_simrsa_amplitudes(d, 0, &amp), 0);
    /* the plain AR(1) LSS of each run, as bract glm --trials lss */
    ar1 = malloc(V * res->ntrials * sizeof *ar1);
    for (size_t r = 0; r < R; r++) {
        double *b;
        ck_assert_int_eq(bract_glm_lss(sr[r]->events, runs[r].nvol, runs[r].tr, conf[r], &dop,
                                       y[r], runs[r].nvol, V, &fo, NULL, &b), 0);
        const size_t K = sr[r]->events->n;
        for (size_t v = 0; v < V; v++)
            for (size_t k = 0; k < K; k++)
                ar1[v * res->ntrials + res->run_first[r] + k] = b[v * K + k];
        free(b);
    }
    out->ar1 = truth_figures(d, res, ar1, amp);
    out->hrf_corr = hrf_choice(d, res, so.bold.tr);
    out->nsteps = res->nsteps;
    for (size_t k = 0; k < res->nsteps; k++) {
        out->step[k] = truth_figures(d, res, res->steps[k].betas, amp);
        out->diag[k] = res->steps[k].median_reliability;
        out->kept[k] = res->steps[k].kept;
    }
    out->final = truth_figures(d, res, res->betas, amp);
    out->effect = d->neffect;
    free(ar1);
    free(amp);
    bract_single_free(res);
    for (size_t r = 0; r < R; r++) {
        bract_simrsa_run_free(sr[r]);
        bract_nuisance_free(conf[r]);
        free(y[r]);
    }
    tu_rmtree(dir);
    free(dir);
    bract_simrsa_free(d);
}

START_TEST(simulated_studies_across_snr)
{
    /* bract simulate rsa --event-related --words 40 --runs 4 --isi-min 2
     * --isi-max 6 --hrf-variability 1 --structured-noise 4 --snr S --evoked
     * 2 sqrt(S) at three SNR levels S: the figures of each step against the
     * truth, printed;
     * the final betas never worse than LSS (OLS, and AR(1) as bract glm
     * --trials lss), and at the middle level at least 0.10 more reliable
     * and 0.05 closer to the planted RDM */
    const double snr[3] = {5.0, 15.0, 45.0};
    for (int lev = 0; lev < 3; lev++) {
        study_figures f;
        simulated_study(snr[lev], 42, &f);
        printf("SNR %g (%zu effect voxels; HRF peak chosen vs simulated: r = %.2f): "
               "reliability / RDM Spearman\n", snr[lev], f.effect, f.hrf_corr);
        printf("  %-28s %6.3f / %6.3f\n", "LSS, AR(1) (bract glm)", f.ar1.rel, f.ar1.rdm);
        static const char *const names[4] = {"LSS, OLS (baseline)", "+ HRF library",
                                             "+ noise components", "+ ridge"};
        for (size_t k = 0; k < f.nsteps; k++)
            printf("  %-28s %6.3f / %6.3f   diagnostics %6.3f%s\n", names[k], f.step[k].rel,
                   f.step[k].rdm, f.diag[k], f.kept[k] ? "" : " (left out)");
        printf("  %-28s %6.3f / %6.3f\n", "final", f.final.rel, f.final.rdm);
        fflush(stdout);
        /* the diagnostics (median over the signal voxels the data pick) move
         * as the truth does, wherever they move by more than 0.02 */
        for (size_t k = 1; k < f.nsteps; k++) {
            double dd = f.diag[k] - f.diag[k - 1], dt = f.step[k].rel - f.step[k - 1].rel;
            ck_assert_msg(fabs(dd) <= 0.02 || dd * dt > 0, "SNR %g, step %zu: diagnostics "
                          "change %.3f, truth %.3f", snr[lev], k, dd, dt);
        }
        double lss_rel = fmax(f.ar1.rel, f.step[0].rel), lss_rdm = fmax(f.ar1.rdm, f.step[0].rdm);
        ck_assert_msg(f.final.rel >= lss_rel && f.final.rdm >= lss_rdm,
                      "SNR %g: the final betas are worse than LSS", snr[lev]);
        if (lev == 1) {
            ck_assert_msg(f.hrf_corr > 0.5, "SNR %g: chosen HRFs track the simulated ones "
                          "with r = %.2f", snr[lev], f.hrf_corr);
            ck_assert_msg(f.final.rel >= lss_rel + 0.10, "SNR %g: reliability %.3f, LSS %.3f",
                          snr[lev], f.final.rel, lss_rel);
            ck_assert_msg(f.final.rdm >= lss_rdm + 0.05, "SNR %g: RDM Spearman %.3f, LSS %.3f",
                          snr[lev], f.final.rdm, lss_rdm);
        }
    }
}
END_TEST

START_TEST(steps_help_on_a_noisy_study)
{
    /* a development check: the figures of every step on a small study */
    study s;
    study_make(&s, 4, 90, 400, 100, 20, 0.6, 3, 99);
    bract_single_opts o;
    bract_single_opts_defaults(&o);
    bract_single *res = fit(&s, &o);
    printf("steps (R2 threshold %.4f, %zu signal, %zu pool, %d of %d components):", res->r2_threshold,
           res->nsignal, res->npool, res->npcs, res->max_pcs);
    for (size_t st = 0; st < res->nsteps; st++)
        printf(" %s %.3f%s", bract_single_step_name(res->steps[st].kind),
               res->steps[st].median_reliability, res->steps[st].kept ? "" : " (left out)");
    printf("\n");
    bract_single_free(res);
    study_free(&s);
}
END_TEST

int main(void)
{
    bract_init();
    Suite *su = suite_create("single");
    TCase *tc = tcase_create("pieces");
    tcase_add_test(tc, fracridge_alpha_and_coef);
    tcase_add_test(tc, hrflib_family);
    tcase_add_test(tc, glmdenoise_choice_rule);
    suite_add_tcase(su, tc);
    tc = tcase_create("pipeline");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, baseline_equals_lss);
    tcase_add_test(tc, hrf_choice_brute_force);
    tcase_add_test(tc, noise_components_brute_force);
    tcase_add_test(tc, ridge_equals_direct_solve);
    tcase_add_test(tc, threads_give_same_bits);
    tcase_add_test(tc, bad_input);
    tcase_add_test(tc, steps_that_lower_reliability_are_left_out);
    tcase_add_test(tc, steps_help_on_a_noisy_study);
    tcase_add_test(tc, simulated_studies_across_snr);
    suite_add_tcase(su, tc);
    return tu_run(su);
}
