/* Graphical lasso by block coordinate descent (Friedman et al. 2008). */
#include "base/internal.h"

#include <math.h>
#include <string.h>

struct bract_glasso_ws {
    size_t p;
    double *W;    /* current covariance estimate */
    double *B;    /* column j: lasso coefficients of column j (B[j*p + k], k != j) */
    double *g;    /* W11 beta for the current column */
};

static bract_glasso_ws *glasso_ws_alloc(size_t p)
{
    bract_glasso_ws *w = bract_xcalloc(1, sizeof *w, "a glasso workspace");
    if (!w)
        return NULL;
    w->p = p;
    w->W = bract_xmalloc(p * p, sizeof *w->W, "a glasso workspace");
    w->B = bract_xmalloc(p * p, sizeof *w->B, "a glasso workspace");
    w->g = bract_xmalloc(p, sizeof *w->g, "a glasso workspace");
    if (!w->W || !w->B || !w->g) {
        bract_glasso_ws_free(w);
        return NULL;
    }
    return w;
}

int bract_glasso_ws_new(size_t p, bract_glasso_ws **out)
{
    *out = glasso_ws_alloc(p);
    return *out ? BRACT_OK : BRACT_ENOMEM;
}

void bract_glasso_ws_free(bract_glasso_ws *w)
{
    if (!w)
        return;
    free(w->W);
    free(w->B);
    free(w->g);
    free(w);
}

static double soft(double x, double t) { return x > t ? x - t : x < -t ? x + t : 0.0; }

/* Lasso for column j: minimise 1/2 b'W11 b - b's12 + lambda |b|_1 by cyclic
 * coordinate descent, warm-started from B[j]; leaves W11 b in g. */
static void column_lasso(const double *S, const double *W, size_t p, size_t j, double lambda,
                         double *b, double *g)
{
    for (size_t l = 0; l < p; l++) {
        double s = 0;
        if (l != j)
            for (size_t k = 0; k < p; k++)
                if (k != j && b[k] != 0)
                    s += W[l * p + k] * b[k];
        g[l] = s;
    }
    double scale = 0;
    for (size_t k = 0; k < p; k++)
        if (k != j)
            scale = fmax(scale, fabs(S[j * p + k]));
    if (scale == 0)
        scale = 1;
    for (int pass = 0; pass < 10000; pass++) {
        double maxd = 0;
        for (size_t k = 0; k < p; k++) {
            if (k == j)
                continue;
            double wkk = W[k * p + k];
            double r = S[k * p + j] - (g[k] - wkk * b[k]);
            double nb = soft(r, lambda) / wkk, d = nb - b[k];
            if (d != 0) {
                for (size_t l = 0; l < p; l++)
                    if (l != j)
                        g[l] += d * W[l * p + k];
                b[k] = nb;
                maxd = fmax(maxd, fabs(d));
            }
        }
        if (maxd <= 1e-13 * scale)
            break;
    }
}

/* Theta_jj = 1 / (W_jj - w_12' beta_j) from column j's coefficients. */
static double theta_diag(const double *w, const double *B, size_t p, size_t j)
{
    const double *b = B + j * p;
    double q = 0;
    for (size_t k = 0; k < p; k++)
        if (k != j)
            q += w[j * p + k] * b[k];
    return 1.0 / (w[j * p + j] - q);
}

int bract_glasso(const double *S, size_t p, double lambda, double tol, int max_iter, double *W,
                 double *Theta, int *iterations, bract_glasso_ws *work)
{
    if (!work || work->p != p)
        return bract_error(BRACT_EINVAL, "glasso: workspace of order %zu for a matrix of %zu",
                           work ? work->p : 0, p);
    if (!(lambda >= 0) || !(tol > 0) || max_iter < 1)
        return bract_error(BRACT_EINVAL, "glasso: lambda must be >= 0 and tol > 0");
    for (size_t i = 0; i < p; i++)
        if (!(S[i * p + i] > 0) || !isfinite(S[i * p + i]))
            return bract_error(BRACT_EDATA, "glasso: diagonal entry %zu of S is %g, expected "
                               "a positive number", i, S[i * p + i]);
    double *w = work->W, *B = work->B, *g = work->g;
    memcpy(w, S, p * p * sizeof *w);
    memset(B, 0, p * p * sizeof *B);
    int it = 0, done = 0;
    double gap = INFINITY;
    while (it < max_iter && !done) {
        it++;
        double change = 0;
        for (size_t j = 0; j < p; j++) {
            double *b = B + j * p;
            column_lasso(S, w, p, j, lambda, b, g);
            for (size_t l = 0; l < p; l++)
                if (l != j) {
                    change = fmax(change, fabs(w[l * p + j] - g[l]));
                    w[l * p + j] = w[j * p + l] = g[l];
                }
        }
        /* The coefficients of early columns were fitted to a W that later
         * columns changed: they describe the final W only once a sweep
         * leaves W (almost) unchanged. */
        if (change > tol)
            continue;
        /* precision from the coefficients; duality gap */
        gap = 0;
        double l1 = 0;
        for (size_t j = 0; j < p; j++) {
            const double *b = B + j * p;
            double tjj = theta_diag(w, B, p, j);
            if (!(tjj > 0) || !isfinite(tjj))
                return bract_error(BRACT_ENUMERIC, "glasso: the estimate lost positive "
                                   "definiteness at column %zu (lambda %g)", j, lambda);
            /* column j of Theta: tjj on the diagonal, -b tjj elsewhere */
            double sj = S[j * p + j] * tjj;
            for (size_t k = 0; k < p; k++)
                if (k != j) {
                    double t = -b[k] * tjj;
                    sj += S[k * p + j] * t;
                    l1 += fabs(t);
                }
            gap += sj;
        }
        gap = gap - (double)p + lambda * l1;
        if (fabs(gap) < tol)
            done = 1;
    }
    if (iterations)
        *iterations = it;
    if (!done)
        return bract_error(BRACT_ENUMERIC, "glasso: no convergence in %d sweeps (duality gap "
                           "%g, tolerance %g, lambda %g)", max_iter, gap, tol, lambda);
    if (W)
        memcpy(W, w, p * p * sizeof *W);
    if (Theta) {
        for (size_t j = 0; j < p; j++) {
            const double *b = B + j * p;
            double tjj = theta_diag(w, B, p, j);
            Theta[j * p + j] = tjj;
            for (size_t k = 0; k < p; k++)
                if (k != j)
                    Theta[k * p + j] = -b[k] * tjj;
        }
        for (size_t i = 0; i < p; i++)
            for (size_t j = i + 1; j < p; j++) {
                double t = 0.5 * (Theta[i * p + j] + Theta[j * p + i]);
                Theta[i * p + j] = Theta[j * p + i] = t;
            }
    }
    return BRACT_OK;
}
