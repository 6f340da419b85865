/* The ridge step of the single-trial pipeline: fractional ridge on the LSA
 * design of every run, one alpha per voxel, the fraction chosen by
 * cross-validated reliability, then rescaled (bract/single.h, step 3). */
#include "glm/single_internal.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include <cblas.h>

#include "bract/fracridge.h"

/* Grid points per decade of alpha, and the grid's span around the spectrum. */
#define GRID_PER_DECADE 20
#define GRID_BELOW 1e-4
#define GRID_ABOVE 1e4

int bract_singlei_ridge_model(const sctx *c, size_t model, ridge_model *rm)
{
    const size_t R = c->nruns, T = c->ntrials;
    memset(rm, 0, sizeof *rm);
    rm->model = model;
    rm->u = bract_xcalloc(R, sizeof *rm->u, "ridge factors");
    rm->s = bract_xcalloc(R, sizeof *rm->s, "ridge factors");
    rm->vt = bract_xcalloc(R, sizeof *rm->vt, "ridge factors");
    rm->sall = bract_xmalloc(T, sizeof *rm->sall, "singular values");
    rm->wt = bract_xmalloc(T, sizeof *rm->wt, "trial weights");
    rm->wother = bract_xmalloc(T, sizeof *rm->wother, "trial weights");
    if (!rm->u || !rm->s || !rm->vt || !rm->sall || !rm->wt || !rm->wother)
        return BRACT_ENOMEM;
    int rc = BRACT_OK;
    for (size_t r = 0; r < R && !rc; r++) {
        const srun *s = &c->run[r];
        double *x = bract_xmalloc(s->n * s->K, sizeof *x, "trial regressors");
        if (!x)
            return BRACT_ENOMEM;
        memcpy(x, s->x[model], s->n * s->K * sizeof *x);
        rc = bract_singlei_project(s, s->nq0 + c->kpcs, x, s->K, s->K);
        bract_fracridge *f = NULL;
        if (!rc && (rc = bract_fracridge_new(x, s->n, s->K, &f)))
            rc = bract_error(rc,
                             "%s: the %zu trials of the run cannot be told apart in the "
                             "one-column-per-trial model of the ridge step (%s)",
                             s->in->events->path, s->K, bract_last_error());
        free(x);
        if (!rc) {
            rm->u[r] = f->u;
            rm->s[r] = f->s;
            rm->vt[r] = f->vt;
            memcpy(rm->sall + s->first, f->s, s->K * sizeof *rm->sall);
            /* least-squares variance factors: diag((X'X)^-1) = sum_i V_ki^2 / s_i^2 */
            for (size_t k = 0; k < s->K; k++) {
                double v = 0;
                for (size_t i = 0; i < s->K; i++) {
                    double q = f->vt[i * s->K + k] / f->s[i];
                    v += q * q;
                }
                rm->wt[s->first + k] = 1.0 / v;
            }
            free(f);
        }
    }
    if (rc)
        return rc;
    /* wother: the weights of the same condition's trials in the other runs */
    {
        const bract_single *res = c->res;
        double *sc = bract_xcalloc(c->ncond + c->npair, sizeof *sc, "trial weights");
        if (!sc)
            return BRACT_ENOMEM;
        double *sp = sc + c->ncond;
        for (size_t k = 0; k < T; k++) {
            sc[res->trial_cond[k]] += rm->wt[k];
            sp[c->tpair[k]] += rm->wt[k];
        }
        for (size_t k = 0; k < T; k++)
            rm->wother[k] = sc[res->trial_cond[k]] - sp[c->tpair[k]];
        free(sc);
    }
    double smin = INFINITY, smax = 0;
    for (size_t k = 0; k < T; k++) {
        smin = rm->sall[k] < smin ? rm->sall[k] : smin;
        smax = rm->sall[k] > smax ? rm->sall[k] : smax;
    }
    double lo = log(GRID_BELOW * smin * smin), hi = log(GRID_ABOVE * smax * smax);
    size_t G = (size_t)ceil((hi - lo) / log(10.0) * GRID_PER_DECADE) + 1;
    rm->ngrid = G;
    rm->lgrid = bract_xmalloc(G, sizeof *rm->lgrid, "an alpha grid");
    rm->mgrid = bract_xmalloc(T * G, sizeof *rm->mgrid, "an alpha grid");
    if (!rm->lgrid || !rm->mgrid)
        return BRACT_ENOMEM;
    for (size_t g = 0; g < G; g++)
        rm->lgrid[g] = lo + (hi - lo) * (double)g / (double)(G - 1);
    for (size_t k = 0; k < T; k++) {
        double s2 = rm->sall[k] * rm->sall[k];
        for (size_t g = 0; g < G; g++) {
            double q = s2 + exp(rm->lgrid[g]);
            rm->mgrid[k * G + g] = s2 / (q * q);
        }
    }
    return BRACT_OK;
}

void bract_singlei_ridge_model_clear(const sctx *c, ridge_model *rm)
{
    if (rm->u)
        for (size_t r = 0; r < c->nruns; r++) {
            free(rm->u[r]);
            free(rm->s[r]);
            free(rm->vt[r]);
        }
    free(rm->u);
    free(rm->s);
    free(rm->vt);
    free(rm->sall);
    free(rm->wt);
    free(rm->wother);
    free(rm->lgrid);
    free(rm->mgrid);
    memset(rm, 0, sizeof *rm);
}

int bract_singlei_ridge_ws_init(const sctx *c, size_t cap, ridge_ws *w)
{
    const size_t T = c->ntrials, F = c->res->nfractions;
    memset(w, 0, sizeof *w);
    w->cap = cap;
    w->w = bract_xmalloc(cap * T, sizeof *w->w, "ridge workspace");
    w->wsq = bract_xmalloc(cap * T, sizeof *w->wsq, "ridge workspace");
    w->gn = bract_xmalloc(cap * (c->gmax ? c->gmax : 1), sizeof *w->gn, "ridge workspace");
    w->gam = bract_xmalloc(cap * F * T, sizeof *w->gam, "ridge workspace");
    w->bf = bract_xmalloc(cap * F * T, sizeof *w->bf, "ridge workspace");
    w->agg = bract_xmalloc(2 * T + c->ncond + c->npair + cap, sizeof *w->agg, "ridge workspace");
    if (!w->w || !w->wsq || !w->gn || !w->gam || !w->bf || !w->agg) {
        bract_singlei_ridge_ws_clear(w);
        return BRACT_ENOMEM;
    }
    return BRACT_OK;
}

void bract_singlei_ridge_ws_clear(ridge_ws *w)
{
    free(w->w);
    free(w->wsq);
    free(w->gn);
    free(w->gam);
    free(w->bf);
    free(w->agg);
    memset(w, 0, sizeof *w);
}

/* alpha of fraction t from the fraction curve fg on the log-alpha grid lg
 * (decreasing in g): linear in log alpha between grid points, f ~ 1 -
 * alpha c below the grid, f ~ c / alpha above it. */
static double interp_alpha(const double *fg, const double *lg, size_t G, double t)
{
    if (t >= 1)
        return 0;
    if (t >= fg[0]) {
        double d = 1 - fg[0];
        return d > 0 ? exp(lg[0]) * (1 - t) / d : exp(lg[0]);
    }
    if (t <= fg[G - 1])
        return exp(lg[G - 1]) * fg[G - 1] / t;
    size_t lo = 0, hi = G - 1; /* fg[lo] > t >= fg[hi] */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (fg[mid] > t)
            lo = mid;
        else
            hi = mid;
    }
    double d = fg[lo] - fg[hi];
    double u = d > 0 ? (fg[lo] - t) / d : 0;
    return exp(lg[lo] + u * (lg[hi] - lg[lo]));
}

/* The cross-validated error of one voxel (bract/single.h, step 3), each
 * test trial i weighted by w_i = 1 / its least-squares variance factor:
 * expanding the square,
 *     E_f = sum_j [m_j b_f(j)^2 - 2 s_j b_f(j)] + (terms without f),
 * m_j = sum of w_i over the trials i of j's condition in the other runs
 * (rm->wother) and s_j = sum of w_i b_1(i) over the same trials: so s
 * (ntrials) is all a voxel needs.  sc (ncond) and sp (npair) are scratch. */
static void cv_weights(const sctx *c, const ridge_model *rm, const double *b1, double *s,
                       double *sc, double *sp)
{
    const bract_single *res = c->res;
    memset(sc, 0, c->ncond * sizeof *sc);
    memset(sp, 0, c->npair * sizeof *sp);
    for (size_t k = 0; k < c->ntrials; k++) {
        double wb = rm->wt[k] * b1[k];
        sc[res->trial_cond[k]] += wb;
        sp[c->tpair[k]] += wb;
    }
    for (size_t k = 0; k < c->ntrials; k++)
        s[k] = sc[res->trial_cond[k]] - sp[c->tpair[k]];
}

static double cv_error(const sctx *c, const ridge_model *rm, const double *b, const double *s)
{
    double e = 0;
    for (size_t k = 0; k < c->ntrials; k++)
        e += (rm->wother[k] * b[k] - 2 * s[k]) * b[k];
    return e;
}

int bract_singlei_ridge_fit(const sctx *c, const ridge_model *rm, double *const *ys, size_t nv,
                            ridge_ws *w, double *out, double *fraction, double *alpha,
                            double *scale, double *offset)
{
    const bract_single *res = c->res;
    const size_t R = c->nruns, T = c->ntrials, F = res->nfractions, G = rm->ngrid;
    const double *fr = res->fractions;
    if (nv > w->cap)
        return bract_error(BRACT_EINVAL, "%zu voxels for a ridge workspace of %zu", nv, w->cap);
    /* w = U'y per run, run after run */
    for (size_t r = 0; r < R; r++) {
        const srun *s = &c->run[r];
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)nv, (int)s->K, (int)s->n, 1.0,
                    ys[r], (int)s->n, rm->u[r], (int)s->K, 0.0, w->w + s->first, (int)T);
    }
    double *n0 = w->agg + 2 * T + c->ncond + c->npair;
    for (size_t i = 0; i < nv; i++) {
        double v = 0;
        for (size_t k = 0; k < T; k++) {
            double x = w->w[i * T + k];
            w->wsq[i * T + k] = x * x;
            v += x * x / (rm->sall[k] * rm->sall[k]);
        }
        n0[i] = v;
    }
    /* |b(alpha_g)|^2 on the grid: one product */
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)nv, (int)G, (int)T, 1.0, w->wsq,
                (int)T, rm->mgrid, (int)G, 0.0, w->gn, (int)G);
    /* every fraction's alpha and rotated coefficients */
    for (size_t i = 0; i < nv; i++) {
        double *fg = w->gn + i * G;
        for (size_t g = 0; g < G; g++)
            fg[g] = n0[i] > 0 ? sqrt(fg[g] / n0[i]) : 0;
        for (size_t j = 0; j < F; j++) {
            double a = n0[i] > 0 ? interp_alpha(fg, rm->lgrid, G, fr[j]) : 0;
            double *gm = w->gam + (i * F + j) * T;
            for (size_t k = 0; k < T; k++) {
                double sk = rm->sall[k];
                gm[k] = sk / (sk * sk + a) * w->w[i * T + k];
            }
            if (j == 0)
                alpha[i] = a; /* provisional: the chosen one below */
        }
    }
    /* betas: b = V gamma, per run */
    for (size_t r = 0; r < R; r++) {
        const srun *s = &c->run[r];
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)(nv * F), (int)s->K, (int)s->K,
                    1.0, w->gam + s->first, (int)T, rm->vt[r], (int)s->K, 0.0, w->bf + s->first,
                    (int)T);
    }
    /* choose, rescale */
    double *sw = w->agg, *sc = sw + T, *sp = sc + c->ncond;
    for (size_t i = 0; i < nv; i++) {
        const double *b1 = w->bf + (i * F) * T;
        size_t best = c->one_candidate ? 0 : 1;
        double ebest = INFINITY;
        cv_weights(c, rm, b1, sw, sc, sp);
        for (size_t j = best; j < F; j++) {
            double e = cv_error(c, rm, w->bf + (i * F + j) * T, sw);
            if (e < ebest) {
                ebest = e;
                best = j;
            }
        }
        const double *bb = w->bf + (i * F + best) * T;
        double a = 1, o = 0;
        if (c->o->autoscale && best != 0) {
            /* weighted least squares of b1 on [bb, 1], weights rm->wt */
            double sw0 = 0, mx = 0, my = 0;
            for (size_t k = 0; k < T; k++) {
                sw0 += rm->wt[k];
                mx += rm->wt[k] * bb[k];
                my += rm->wt[k] * b1[k];
            }
            mx /= sw0;
            my /= sw0;
            double sxy = 0, sxx = 0;
            for (size_t k = 0; k < T; k++) {
                sxy += rm->wt[k] * (bb[k] - mx) * (b1[k] - my);
                sxx += rm->wt[k] * (bb[k] - mx) * (bb[k] - mx);
            }
            if (sxx > 0 && sxy >= 0) {
                a = sxy / sxx;
                o = my - a * mx;
            }
        }
        for (size_t k = 0; k < T; k++)
            out[i * T + k] = a * bb[k] + o;
        double al = n0[i] > 0 ? interp_alpha(w->gn + i * G, rm->lgrid, G, fr[best]) : 0;
        alpha[i] = al;
        fraction[i] = bract_fracridge_fraction(rm->sall, w->w + i * T, T, al);
        scale[i] = a;
        offset[i] = o;
    }
    return BRACT_OK;
}
