/* Sliding-window dynamic functional connectivity (see bract/dfc.h). */
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cblas.h>
#include <omp.h>

/* Below this many regions the work inside one window is too small to share
 * between threads. */
#define PAR_MIN_REGIONS 48
/* Column tiles of the Gram matrix: fixed, so that every entry is computed
 * by the same BLAS call whatever the number of threads. */
#define TILE 64
/* A window whose cross-product diagonal (volumes x variance, the series
 * being scaled to unit variance) falls below this fraction of its length is
 * recomputed exactly rather than trusted to the running update. */
#define LOW_VARIANCE 1e-2

struct bract_dfc_plan {
    bract_dfc_params p;
    size_t nt, nreg, npairs, nwin;
    double *w;       /* GAUSSIAN: window weights (L); GIFT: the base taper (nt) */
    int incremental; /* RECT with a step small enough for running updates */
};

void bract_dfc_params_default(bract_dfc_params *p)
{
    memset(p, 0, sizeof *p);
    p->window_type = BRACT_WINDOW_RECT;
    p->step = 1;
    p->alpha = 3;
    p->estimator = BRACT_FC_PEARSON;
    p->block = 256;
}

/* MATLAB's round: half away from zero. */
static long mround(double x) { return (long)(x < 0 ? -floor(-x + 0.5) : floor(x + 0.5)); }

/* GIFT's compute_sliding_window: the base taper of length nt. */
static int gift_taper(size_t nt, double alpha, size_t wsize, double *c)
{
    size_t n2 = nt + (nt % 2), m = n2 / 2;
    long w = mround((double)wsize / 2.0);
    if ((long)m < w)
        return bract_error(BRACT_EINVAL, "GIFT window of %zu volumes does not fit in %zu",
                           wsize, nt);
    double *g = bract_xmalloc(n2, sizeof *g, "a taper");
    double *full = bract_xcalloc(2 * n2, sizeof *full, "a taper");
    if (!g || !full) {
        free(g);
        free(full);
        return BRACT_ENOMEM;
    }
    for (size_t x = 0; x < n2; x++) {
        double d = (double)x - (double)m;
        g[x] = exp(-d * d / (2 * alpha * alpha));
    }
    /* b: ones at 0-based m-w .. m+w-1; conv(g, b) of length 2 n2 - 1 */
    size_t b0 = m - (size_t)w, b1 = m + (size_t)w; /* [b0, b1) */
    for (size_t i = 0; i + 1 < 2 * n2; i++) {
        double s = 0;
        for (size_t j = b0; j < b1; j++)
            if (i >= j && i - j < n2)
                s += g[i - j];
        full[i] = s;
    }
    double mx = 0;
    for (size_t i = 0; i + 1 < 2 * n2; i++)
        mx = fmax(mx, full[i]);
    /* keep 1-based m+1 .. end-m+1, i.e. 0-based m .., first nt samples */
    for (size_t t = 0; t < nt; t++)
        c[t] = full[m + t] / mx;
    free(g);
    free(full);
    return BRACT_OK;
}

int bract_dfc_plan_new(size_t nt, size_t nreg, const bract_dfc_params *p, bract_dfc_plan **out)
{
    *out = NULL;
    size_t L = p->window;
    if (p->window_type < BRACT_WINDOW_RECT || p->window_type > BRACT_WINDOW_GIFT)
        return bract_error(BRACT_EINVAL, "unknown window type %d", p->window_type);
    if (p->estimator < BRACT_FC_PEARSON || p->estimator > BRACT_FC_GLASSO_PARTIAL)
        return bract_error(BRACT_EINVAL, "unknown connectivity estimator %d", p->estimator);
    if (L < 3)
        return bract_error(BRACT_EINVAL, "a window of %zu volume%s: a windowed correlation "
                           "needs at least 3 volumes", L, L == 1 ? "" : "s");
    if (p->step < 1)
        return bract_error(BRACT_EINVAL, "the step between windows must be at least 1 volume");
    if (nreg < 2)
        return bract_error(BRACT_EDATA, "%zu region%s: connectivity needs at least 2", nreg,
                           nreg == 1 ? "" : "s");
    if (p->window_type == BRACT_WINDOW_GIFT ? nt <= L : nt < L)
        return bract_error(BRACT_EDATA, "%zu volumes are fewer than the window of %zu%s", nt, L,
                           p->window_type == BRACT_WINDOW_GIFT
                               ? " plus one (GIFT windows: volumes - window)"
                               : "");
    if (p->window_type == BRACT_WINDOW_GAUSSIAN && !(p->sigma > 0 && isfinite(p->sigma)))
        return bract_error(BRACT_EINVAL, "the Gaussian taper needs a positive sigma (got %g)",
                           p->sigma);
    if (p->window_type == BRACT_WINDOW_GIFT && !(p->alpha > 0 && isfinite(p->alpha)))
        return bract_error(BRACT_EINVAL, "the GIFT taper needs a positive alpha (got %g)",
                           p->alpha);
    if (p->estimator == BRACT_FC_LEDOIT_WOLF && p->window_type != BRACT_WINDOW_RECT)
        return bract_error(BRACT_EINVAL, "Ledoit-Wolf shrinkage is defined for rectangular "
                           "windows only");
    if ((p->estimator == BRACT_FC_GLASSO || p->estimator == BRACT_FC_GLASSO_PARTIAL) &&
        !(p->lambda > 0 && isfinite(p->lambda)))
        return bract_error(BRACT_EINVAL, "the graphical lasso needs a positive lambda (got %g)",
                           p->lambda);
    bract_dfc_plan *pl = bract_xcalloc(1, sizeof *pl, "a dFC plan");
    if (!pl)
        return BRACT_ENOMEM;
    pl->p = *p;
    if (pl->p.block < 1)
        pl->p.block = 256;
    pl->nt = nt;
    pl->nreg = nreg;
    pl->npairs = nreg * (nreg - 1) / 2;
    if (p->window_type == BRACT_WINDOW_GIFT)
        pl->nwin = (nt - L - 1) / p->step + 1;
    else
        pl->nwin = (nt - L) / p->step + 1;
    /* Running updates cost 2 x step rank-1 terms per window against L for a
     * fresh Gram matrix, whose BLAS kernel is several times faster per term. */
    pl->incremental = p->window_type == BRACT_WINDOW_RECT && 8 * p->step <= L;
    int rc = BRACT_OK;
    if (p->window_type == BRACT_WINDOW_GAUSSIAN) {
        if (!(pl->w = bract_xmalloc(L, sizeof *pl->w, "window weights")))
            rc = BRACT_ENOMEM;
        else
            for (size_t j = 0; j < L; j++) {
                double d = (double)j - 0.5 * (double)(L - 1);
                pl->w[j] = exp(-d * d / (2 * p->sigma * p->sigma));
            }
    } else if (p->window_type == BRACT_WINDOW_GIFT) {
        if (!(pl->w = bract_xmalloc(nt, sizeof *pl->w, "a taper")))
            rc = BRACT_ENOMEM;
        else
            rc = gift_taper(nt, p->alpha, L, pl->w);
    }
    if (rc) {
        bract_dfc_plan_free(pl);
        return rc;
    }
    *out = pl;
    return BRACT_OK;
}

void bract_dfc_plan_free(bract_dfc_plan *plan)
{
    if (!plan)
        return;
    free(plan->w);
    free(plan);
}

size_t bract_dfc_nwindows(const bract_dfc_plan *plan) { return plan->nwin; }
size_t bract_dfc_npairs(const bract_dfc_plan *plan) { return plan->npairs; }
size_t bract_dfc_nvolumes(const bract_dfc_plan *plan) { return plan->nt; }
size_t bract_dfc_nregions(const bract_dfc_plan *plan) { return plan->nreg; }

/* GIFT: circular shift of the base taper for window k. */
static long gift_shift(const bract_dfc_plan *pl, size_t k)
{
    long i = (long)(k * pl->p.step) + 1;
    return mround(-(double)pl->nt / 2.0) + mround((double)pl->p.window / 2.0) + i;
}

static double gift_weight(const bract_dfc_plan *pl, long shift, size_t t)
{
    long n = (long)pl->nt, j = ((long)t - shift) % n;
    if (j < 0)
        j += n;
    return pl->w[j];
}

void bract_dfc_window_span(const bract_dfc_plan *plan, size_t k, size_t *first, size_t *last)
{
    size_t s = k * plan->p.step;
    if (plan->p.window_type == BRACT_WINDOW_GIFT) {
        /* the rectangle of 2 round(L/2) ones, starting one volume after s */
        size_t len = 2 * (size_t)mround((double)plan->p.window / 2.0);
        *first = s + 1;
        *last = s + len < plan->nt ? s + len : plan->nt - 1;
    } else {
        *first = s;
        *last = s + plan->p.window - 1;
    }
}

void bract_dfc_window_weights(const bract_dfc_plan *plan, size_t k, double *w)
{
    size_t s = k * plan->p.step, L = plan->p.window;
    for (size_t t = 0; t < plan->nt; t++) {
        if (plan->p.window_type == BRACT_WINDOW_GIFT)
            w[t] = gift_weight(plan, gift_shift(plan, k), t);
        else if (t < s || t >= s + L)
            w[t] = 0;
        else
            w[t] = plan->p.window_type == BRACT_WINDOW_GAUSSIAN ? plan->w[t - s] : 1.0;
    }
}

size_t bract_dfc_bad_regions(const double *x, size_t nt, size_t nreg, const char *const *names,
                             unsigned char *bad)
{
    size_t nbad = 0;
    for (size_t r = 0; r < nreg; r++) {
        const double *xr = x + r * nt;
        char nb[32];
        const char *nm = names ? names[r] : (snprintf(nb, sizeof nb, "%zu", r + 1), nb);
        bad[r] = 0;
        size_t nonfinite = 0;
        for (size_t t = 0; t < nt; t++)
            if (!isfinite(xr[t]))
                nonfinite++;
        if (nonfinite) {
            bad[r] = 1;
            bract_warn("region %s has %zu missing or non-finite value%s: excluded", nm,
                       nonfinite, nonfinite == 1 ? "" : "s");
        } else {
            int constant = 1;
            for (size_t t = 1; t < nt && constant; t++)
                if (xr[t] != xr[0])
                    constant = 0;
            if (constant) {
                bad[r] = 1;
                bract_warn("region %s is constant: excluded", nm);
            }
        }
        nbad += bad[r];
    }
    return nbad;
}

/* ---- the engine ---- */

typedef struct {
    const bract_dfc_plan *pl;
    size_t N, L;
    double *z;     /* nt x N, time-major: scaled (and for RECT/GAUSSIAN centred) series */
    double *Y;     /* rows of the current window (centred, weighted): up to nt x N */
    double *C;     /* N x N; upper triangle = centred cross products of the window */
    double *m;     /* N: mean of the current window (running for RECT) */
    double *q, *d; /* N: rank-2 update vectors */
    double *isd;   /* N: 1 / sqrt(C_ii) */
    unsigned char *flat; /* N: 1 if the region's values in the current window are all equal */
    size_t ntiles;
    size_t (*tiles)[2];
    int par;
    const char *const *names;
} engine;

static const char *region_name(const engine *e, size_t i, char *buf, size_t n)
{
    if (e->names)
        return e->names[i];
    snprintf(buf, n, "%zu", i + 1);
    return buf;
}

/* Run fn(e, i, arg) for i < n: on the engine's threads when it has them,
 * otherwise as a plain loop (no OpenMP region: surrogate tests call the
 * engine thousands of times on small problems). */
typedef void (*item_fn)(engine *e, size_t i, void *arg);

static void for_items(engine *e, size_t n, item_fn fn, void *arg)
{
    if (e->par) {
#pragma omp parallel for schedule(dynamic, 1)
        for (size_t i = 0; i < n; i++)
            fn(e, i, arg);
    } else {
        for (size_t i = 0; i < n; i++)
            fn(e, i, arg);
    }
}

/* One tile of the upper triangle of C = Y'Y (Y of *(size_t *)arg rows). */
static void gram_tile(engine *e, size_t t, void *arg)
{
    size_t N = e->N, n = *(const size_t *)arg;
    size_t a = e->tiles[t][0], b = e->tiles[t][1];
    size_t na = (a + TILE <= N ? TILE : N - a), nb = (b + TILE <= N ? TILE : N - b);
    if (a == b)
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)na, (int)n, 1.0, e->Y + a,
                    (int)N, 0.0, e->C + a * N + a, (int)N);
    else
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)na, (int)nb, (int)n, 1.0,
                    e->Y + a, (int)N, e->Y + b, (int)N, 0.0, e->C + a * N + b, (int)N);
}

/* Column i of the centred (weighted) window k into Y, its mean into m. */
static void window_column(engine *e, size_t i, void *arg)
{
    const bract_dfc_plan *pl = e->pl;
    size_t k = *(const size_t *)arg, N = e->N, L = e->L, s = k * pl->p.step;
    const double *z = e->z;
    double *Y = e->Y, sum = 0, mu;
    int flat = 1;
    if (pl->p.window_type == BRACT_WINDOW_GIFT) {
        size_t n = pl->nt;
        long sh = gift_shift(pl, k);
        for (size_t t = 0; t < n; t++) {
            double u = z[t * N + i] * gift_weight(pl, sh, t);
            Y[t * N + i] = u;
            sum += u;
            flat &= u == Y[i];
        }
        mu = sum / (double)n;
        for (size_t t = 0; t < n; t++)
            Y[t * N + i] -= mu;
    } else if (pl->p.window_type == BRACT_WINDOW_GAUSSIAN) {
        const double *w = pl->w;
        double wsum = 0;
        for (size_t t = 0; t < L; t++) {
            wsum += w[t];
            sum += w[t] * z[(s + t) * N + i];
            flat &= z[(s + t) * N + i] == z[s * N + i];
        }
        mu = sum / wsum;
        for (size_t t = 0; t < L; t++)
            Y[t * N + i] = sqrt(w[t]) * (z[(s + t) * N + i] - mu);
    } else {
        for (size_t t = 0; t < L; t++) {
            sum += z[(s + t) * N + i];
            flat &= z[(s + t) * N + i] == z[s * N + i];
        }
        mu = sum / (double)L;
        for (size_t t = 0; t < L; t++)
            Y[t * N + i] = z[(s + t) * N + i] - mu;
    }
    e->m[i] = mu;
    e->flat[i] = (unsigned char)flat;
}

/* Exact cross products of window k (two-pass centring), by fixed column
 * tiles so that every entry comes from the same BLAS call whatever the
 * number of threads. */
static void direct_window(engine *e, size_t k)
{
    size_t n = e->pl->p.window_type == BRACT_WINDOW_GIFT ? e->pl->nt : e->L;
    for_items(e, e->N, window_column, &k);
    for_items(e, e->ntiles, gram_tile, &n);
}

/* Move the rectangular window one volume on: volume `out` leaves, `in`
 * enters.  With a = x - m, b = y - m (old mean m) and delta = x - y, the
 * centred cross products change by a a' - b b' - delta delta'/L =
 * 1/2 (q delta' + delta q'), q = a + b - delta/L.  Sets e->q (halved) and
 * e->d, moves the mean and updates the diagonal; the off-diagonal part is
 * left to offdiag_update (or to the fused pass in correlations). */
static void slide_prepare(engine *e, size_t out, size_t in)
{
    size_t N = e->N;
    double L = (double)e->L;
    const double *y = e->z + out * N, *x = e->z + in * N;
    double *q = e->q, *d = e->d, *m = e->m, *C = e->C;
    for (size_t i = 0; i < N; i++) {
        double di = x[i] - y[i];
        q[i] = 0.5 * (x[i] + y[i] - 2 * m[i] - di / L);
        d[i] = di;
        m[i] += di / L;
        C[i * N + i] += q[i] * di + di * q[i];
    }
}

static void offdiag_row(engine *e, size_t i, void *arg)
{
    (void)arg;
    size_t N = e->N;
    const double *q = e->q, *d = e->d;
    double qi = q[i], di = d[i], *row = e->C + i * N;
    for (size_t j = i + 1; j < N; j++)
        row[j] += qi * d[j] + di * q[j];
}

static void offdiag_update(engine *e) { for_items(e, e->N, offdiag_row, NULL); }

/* The smallest diagonal entry, relative to the window length. */
static double min_diag(const engine *e, size_t *which)
{
    double mn = INFINITY;
    for (size_t i = 0; i < e->N; i++) {
        double v = e->flat[i] ? 0.0 : e->C[i * e->N + i];
        if (v < mn) {
            mn = v;
            *which = i;
        }
    }
    return mn;
}

typedef struct {
    double *fc;
    int fused;
} corr_job;

/* Row i of the correlations; with `fused`, the pending off-diagonal update
 * of slide_prepare is applied on the way (one pass over the matrix). */
static void correlation_row(engine *e, size_t i, void *arg)
{
    const corr_job *job = arg;
    size_t N = e->N;
    double *row = e->C + i * N, *o = job->fc + bract_pair_index(N, i, i + 1);
    double si = e->isd[i];
    const double *isd = e->isd;
    if (job->fused) {
        const double *q = e->q, *d = e->d;
        double qi = q[i], di = d[i];
        for (size_t j = i + 1; j < N; j++) {
            double c = row[j] + (qi * d[j] + di * q[j]);
            row[j] = c;
            double r = c * si * isd[j];
            o[j - i - 1] = r > 1 ? 1 : r < -1 ? -1 : r;
        }
    } else {
        for (size_t j = i + 1; j < N; j++) {
            double r = row[j] * si * isd[j];
            o[j - i - 1] = r > 1 ? 1 : r < -1 ? -1 : r;
        }
    }
}

/* Correlations of the current window into fc (condensed).  With `fused`,
 * the pending off-diagonal update of slide_prepare is applied on the way
 * (one pass over the matrix instead of two). */
static int correlations(engine *e, size_t k, double *fc, int fused)
{
    size_t N = e->N, which = 0;
    double mn = min_diag(e, &which);
    if (!(mn > 0)) {
        size_t first, last;
        bract_dfc_window_span(e->pl, k, &first, &last);
        char nb[32];
        return bract_error(BRACT_EDATA, "region %s has no variance in window %zu (volumes "
                           "%zu-%zu): its windowed correlation is undefined",
                           region_name(e, which, nb, sizeof nb), k + 1, first + 1, last + 1);
    }
    for (size_t i = 0; i < N; i++)
        e->isd[i] = 1.0 / sqrt(e->C[i * N + i]);
    corr_job job = {fc, fused};
    for_items(e, N, correlation_row, &job);
    return BRACT_OK;
}

/* nilearn's correlation with scikit-learn's Ledoit-Wolf shrinkage: the
 * window z-scored with ddof 1 has S = X'X/n = mu R, mu = (n-1)/n; the
 * shrinkage is min(beta, delta)/delta with beta = (sum_k |x_k|^4 / n -
 * |S|_F^2) / (p n) and delta = |S - mu I|_F^2 / p; the shrunk matrix
 * rescaled to a correlation is (1 - shrinkage) R off the diagonal. */
static void ledoit_wolf(engine *e, size_t k, double *fc, size_t npairs)
{
    size_t N = e->N, L = e->L, s = k * e->pl->p.step;
    double n = (double)L, p = (double)N, mu = (n - 1) / n;
    double *isd = e->q; /* 1 / sample sd of each region in the window */
    for (size_t i = 0; i < N; i++)
        isd[i] = sqrt((n - 1) / e->C[i * N + i]);
    double b4 = 0;
    for (size_t t = 0; t < L; t++) {
        const double *zt = e->z + (s + t) * N;
        double ss = 0;
        for (size_t i = 0; i < N; i++) {
            double v = (zt[i] - e->m[i]) * isd[i];
            ss += v * v;
        }
        b4 += ss * ss;
    }
    double r2 = 0;
    for (size_t j = 0; j < npairs; j++)
        r2 += fc[j] * fc[j];
    double fro = mu * mu * (p + 2 * r2);
    double beta = (b4 / n - fro) / (p * n);
    double delta = mu * mu * 2 * r2 / p;
    if (beta > delta)
        beta = delta;
    double shrink = beta == 0 ? 0 : beta / delta;
    for (size_t j = 0; j < npairs; j++)
        fc[j] *= 1 - shrink;
}

static double fisher(double r, int gift)
{
    if (gift)
        return 0.5 * (log(1e-8 + 1 + r) - log(1e-8 + 1 - r));
    const double lim = 1 - 1e-15;
    return atanh(r > lim ? lim : r < -lim ? -lim : r);
}

typedef struct {
    int status;
    char msg[512];
} slot_status;

/* Graphical lasso of a batch of windows' correlations, in place. */
static int glasso_batch(engine *e, double *batch, size_t nb, size_t first_k,
                        bract_glasso_work **works, double *mats, int nthreads)
{
    size_t N = e->N, P = N * N, npairs = N * (N - 1) / 2;
    const bract_dfc_params *p = &e->pl->p;
    slot_status *st = bract_xcalloc(nb, sizeof *st, "glasso status");
    if (!st)
        return BRACT_ENOMEM;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nthreads) if (nthreads > 1)
    for (size_t b = 0; b < nb; b++) {
        int tid = omp_get_thread_num();
        double *S = mats + (size_t)tid * 3 * P, *W = S + P, *Th = W + P;
        double *fc = batch + b * npairs;
        for (size_t i = 0; i < N; i++) {
            S[i * N + i] = 1;
            for (size_t j = i + 1; j < N; j++)
                S[i * N + j] = S[j * N + i] = fc[bract_pair_index(N, i, j)];
        }
        int rc = bract_glasso(S, N, p->lambda, 1e-8, 1000, W, Th, NULL, works[tid]);
        if (rc) {
            st[b].status = rc;
            snprintf(st[b].msg, sizeof st[b].msg, "window %zu: %s", first_k + b + 1,
                     bract_last_error());
            continue;
        }
        for (size_t i = 0; i < N; i++)
            for (size_t j = i + 1; j < N; j++) {
                double v;
                if (p->estimator == BRACT_FC_GLASSO)
                    v = W[i * N + j] / sqrt(W[i * N + i] * W[j * N + j]);
                else
                    v = -Th[i * N + j] / sqrt(Th[i * N + i] * Th[j * N + j]);
                fc[bract_pair_index(N, i, j)] = v;
            }
    }
    int rc = BRACT_OK;
    for (size_t b = 0; b < nb && !rc; b++)
        if (st[b].status)
            rc = bract_error(st[b].status, "%s", st[b].msg);
    free(st);
    return rc;
}

static void engine_free(engine *e)
{
    free(e->z);
    free(e->Y);
    free(e->C);
    free(e->m);
    free(e->q);
    free(e->d);
    free(e->isd);
    free(e->flat);
    free(e->tiles);
}

int bract_dfc_run(const bract_dfc_plan *pl, const double *x, const char *const *names,
                  bract_dfc_sink sink, void *ctx, const bract_progress *progress)
{
    size_t N = pl->nreg, nt = pl->nt, L = pl->p.window, npairs = pl->npairs;
    engine e;
    memset(&e, 0, sizeof e);
    e.pl = pl;
    e.N = N;
    e.L = L;
    e.names = names;
    e.par = N >= PAR_MIN_REGIONS && !omp_in_parallel() && bract_get_threads() > 1;
    /* scale each region to unit variance (and centre it, except for GIFT,
     * whose taper-times-data correlation depends on the data's mean) */
    for (size_t i = 0; i < N; i++) {
        const double *xi = x + i * nt;
        for (size_t t = 0; t < nt; t++)
            if (!isfinite(xi[t])) {
                char nb[32];
                return bract_error(BRACT_EDATA, "region %s: volume %zu is not a finite number",
                                   region_name(&e, i, nb, sizeof nb), t + 1);
            }
    }
    size_t yrows = pl->p.window_type == BRACT_WINDOW_GIFT ? nt : L;
    size_t nti = (N + TILE - 1) / TILE;
    e.z = bract_xmalloc(nt * N, sizeof *e.z, "the scaled series");
    e.Y = bract_xmalloc(yrows * N, sizeof *e.Y, "a window");
    e.C = bract_xcalloc(N * N, sizeof *e.C, "a cross-product matrix");
    e.m = bract_xmalloc(N, sizeof *e.m, "window means");
    e.q = bract_xmalloc(N, sizeof *e.q, "update vectors");
    e.d = bract_xmalloc(N, sizeof *e.d, "update vectors");
    e.isd = bract_xmalloc(N, sizeof *e.isd, "window scales");
    e.flat = bract_xcalloc(N, 1, "window flags");
    e.tiles = bract_xmalloc(nti * (nti + 1) / 2, sizeof *e.tiles, "tiles");
    double *fc = bract_xmalloc(npairs, sizeof *fc, "a window's connectivity");
    int glasso = pl->p.estimator == BRACT_FC_GLASSO || pl->p.estimator == BRACT_FC_GLASSO_PARTIAL;
    int nthreads = omp_in_parallel() ? 1 : bract_get_threads();
    size_t batch_cap = glasso ? (size_t)nthreads * 2 : 1;
    double *batch = glasso ? bract_xmalloc(batch_cap * npairs, sizeof *batch, "a batch") : NULL;
    double *mats = glasso ? bract_xmalloc((size_t)nthreads * 3 * N * N, sizeof *mats,
                                          "glasso matrices")
                          : NULL;
    bract_glasso_work **works =
        glasso ? bract_xcalloc((size_t)nthreads, sizeof *works, "glasso workspaces") : NULL;
    int rc = BRACT_OK;
    if (!e.z || !e.Y || !e.C || !e.m || !e.q || !e.d || !e.isd || !e.flat || !e.tiles || !fc ||
        (glasso && (!batch || !mats || !works)))
        rc = BRACT_ENOMEM;
    for (int t = 0; !rc && glasso && t < nthreads; t++)
        if (!(works[t] = bract_glasso_work_new(N)))
            rc = BRACT_ENOMEM;
    if (rc)
        goto done;
    e.ntiles = 0;
    for (size_t a = 0; a < nti; a++)
        for (size_t b = a; b < nti; b++) {
            e.tiles[e.ntiles][0] = a * TILE;
            e.tiles[e.ntiles][1] = b * TILE;
            e.ntiles++;
        }
    for (size_t i = 0; i < N; i++) {
        const double *xi = x + i * nt;
        double mu = 0, ss = 0;
        for (size_t t = 0; t < nt; t++)
            mu += xi[t];
        mu /= (double)nt;
        for (size_t t = 0; t < nt; t++)
            ss += (xi[t] - mu) * (xi[t] - mu);
        double sd = sqrt(ss / (double)nt);
        if (!(sd > 0)) {
            char nb[32];
            rc = bract_error(BRACT_EDATA, "region %s is constant: its correlations are "
                             "undefined", region_name(&e, i, nb, sizeof nb));
            goto done;
        }
        double shift = pl->p.window_type == BRACT_WINDOW_GIFT ? 0 : mu;
        for (size_t t = 0; t < nt; t++)
            e.z[t * N + i] = (xi[t] - shift) / sd;
    }
    size_t nb = 0, kb = 0;
    for (size_t k = 0; k < pl->nwin && !rc; k++) {
        int fused = 0;
        if (pl->incremental && k % pl->p.block != 0) {
            size_t s0 = (k - 1) * pl->p.step;
            memset(e.flat, 0, N); /* a flat window shows as low variance: see below */
            for (size_t j = 0; j < pl->p.step; j++) {
                slide_prepare(&e, s0 + j, s0 + j + L);
                if (j + 1 < pl->p.step)
                    offdiag_update(&e);
            }
            size_t which;
            if (min_diag(&e, &which) < LOW_VARIANCE * (double)L)
                direct_window(&e, k);
            else
                fused = 1;
        } else {
            direct_window(&e, k);
        }
        double *out = glasso ? batch + nb * npairs : fc;
        if ((rc = correlations(&e, k, out, fused)))
            break;
        if (pl->p.estimator == BRACT_FC_LEDOIT_WOLF)
            ledoit_wolf(&e, k, out, npairs);
        if (glasso) {
            if (nb == 0)
                kb = k;
            if (++nb < batch_cap && k + 1 < pl->nwin)
                continue;
            if ((rc = glasso_batch(&e, batch, nb, kb, works, mats, nthreads)))
                break;
        } else {
            nb = 1;
            kb = k;
        }
        for (size_t b = 0; b < nb && !rc; b++) {
            double *v = glasso ? batch + b * npairs : fc;
            if (pl->p.fisher)
                for (size_t j = 0; j < npairs; j++)
                    v[j] = fisher(v[j], pl->p.window_type == BRACT_WINDOW_GIFT);
            rc = sink(ctx, kb + b, v);
            bract_progress_report(progress, kb + b + 1, pl->nwin);
        }
        nb = 0;
    }
done:
    engine_free(&e);
    free(fc);
    free(batch);
    free(mats);
    if (works)
        for (int t = 0; t < nthreads; t++)
            bract_glasso_work_free(works[t]);
    free(works);
    return rc;
}

typedef struct {
    double *out;
    size_t npairs;
} all_ctx;

static int all_sink(void *ctx, size_t k, const double *fc)
{
    all_ctx *a = ctx;
    memcpy(a->out + k * a->npairs, fc, a->npairs * sizeof *fc);
    return BRACT_OK;
}

int bract_dfc_all(const bract_dfc_plan *plan, const double *x, const char *const *names,
                  double *out)
{
    all_ctx a = {out, plan->npairs};
    return bract_dfc_run(plan, x, names, all_sink, &a, NULL);
}

/* ---- streaming summaries ---- */

struct bract_dfc_stats {
    size_t nreg, npairs, count;
    double *mean, *m2;     /* per edge */
    double *smean, *sm2;   /* per region strength */
    double *strength;      /* scratch: this window's strengths */
};

bract_dfc_stats *bract_dfc_stats_new(size_t nreg)
{
    bract_dfc_stats *s = bract_xcalloc(1, sizeof *s, "window statistics");
    if (!s)
        return NULL;
    s->nreg = nreg;
    s->npairs = nreg * (nreg - 1) / 2;
    s->mean = bract_xcalloc(s->npairs, sizeof *s->mean, "window statistics");
    s->m2 = bract_xcalloc(s->npairs, sizeof *s->m2, "window statistics");
    s->smean = bract_xcalloc(nreg, sizeof *s->smean, "window statistics");
    s->sm2 = bract_xcalloc(nreg, sizeof *s->sm2, "window statistics");
    s->strength = bract_xcalloc(nreg, sizeof *s->strength, "window statistics");
    if (!s->mean || !s->m2 || !s->smean || !s->sm2 || !s->strength) {
        bract_dfc_stats_free(s);
        return NULL;
    }
    return s;
}

void bract_dfc_stats_free(bract_dfc_stats *s)
{
    if (!s)
        return;
    free(s->mean);
    free(s->m2);
    free(s->smean);
    free(s->sm2);
    free(s->strength);
    free(s);
}

void bract_dfc_stats_reset(bract_dfc_stats *s)
{
    s->count = 0;
    memset(s->mean, 0, s->npairs * sizeof *s->mean);
    memset(s->m2, 0, s->npairs * sizeof *s->m2);
    memset(s->smean, 0, s->nreg * sizeof *s->smean);
    memset(s->sm2, 0, s->nreg * sizeof *s->sm2);
}

size_t bract_dfc_stats_count(const bract_dfc_stats *s) { return s->count; }

void bract_dfc_stats_add(bract_dfc_stats *s, const double *fc, double *wmean, double *wsd)
{
    size_t n = s->nreg, np = s->npairs;
    s->count++;
    double inv = 1.0 / (double)s->count, sum = 0;
    for (size_t e = 0; e < np; e++) {
        double d = fc[e] - s->mean[e];
        s->mean[e] += d * inv;
        s->m2[e] += d * (fc[e] - s->mean[e]);
        sum += fc[e];
    }
    if (wmean || wsd) {
        double m = sum / (double)np, ss = 0;
        for (size_t e = 0; e < np; e++)
            ss += (fc[e] - m) * (fc[e] - m);
        if (wmean)
            *wmean = m;
        if (wsd)
            *wsd = np > 1 ? sqrt(ss / (double)(np - 1)) : NAN;
    }
    memset(s->strength, 0, n * sizeof *s->strength);
    for (size_t i = 0, e = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++, e++) {
            s->strength[i] += fc[e];
            s->strength[j] += fc[e];
        }
    for (size_t i = 0; i < n; i++) {
        double v = s->strength[i] / (double)(n - 1), d = v - s->smean[i];
        s->smean[i] += d * inv;
        s->sm2[i] += d * (v - s->smean[i]);
    }
}

double bract_dfc_stats_result(const bract_dfc_stats *s, double *edge_mean, double *edge_sd,
                              double *strength_mean, double *strength_sd, double *edge_sd_mean)
{
    size_t n = s->nreg, np = s->npairs;
    double den = s->count > 1 ? (double)(s->count - 1) : NAN, fcvar = 0;
    for (size_t e = 0; e < np; e++) {
        double var = s->m2[e] / den;
        fcvar += var;
        if (edge_mean)
            edge_mean[e] = s->count ? s->mean[e] : NAN;
        if (edge_sd)
            edge_sd[e] = sqrt(var);
    }
    for (size_t i = 0; i < n; i++) {
        if (strength_mean)
            strength_mean[i] = s->count ? s->smean[i] : NAN;
        if (strength_sd)
            strength_sd[i] = sqrt(s->sm2[i] / den);
    }
    if (edge_sd_mean) {
        for (size_t i = 0; i < n; i++)
            edge_sd_mean[i] = 0;
        for (size_t i = 0, e = 0; i < n; i++)
            for (size_t j = i + 1; j < n; j++, e++) {
                double sd = sqrt(s->m2[e] / den);
                edge_sd_mean[i] += sd;
                edge_sd_mean[j] += sd;
            }
        for (size_t i = 0; i < n; i++)
            edge_sd_mean[i] /= (double)(n - 1);
    }
    return fcvar / (double)np;
}
