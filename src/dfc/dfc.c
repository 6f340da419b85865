/* Sliding-window dynamic functional connectivity (see bract/dfc.h). */
#include "base/internal.h"

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
    bract_dfc_opts p;
    size_t nt, nreg, npairs, nwin;
    double *w;       /* GAUSSIAN: window weights (L); GIFT: the base taper (nt) */
    int incremental; /* RECT with a step small enough for running updates */
};

static const char *const window_names[] = {"rect", "gaussian", "gift"};
static const char *const estimator_names[] = {"pearson", "ledoit-wolf", "glasso",
                                              "glasso-partial"};

const char *bract_dfc_window_name(bract_dfc_window t)
{
    return (int)t >= 0 && t <= BRACT_WINDOW_GIFT ? window_names[t] : "unknown";
}

int bract_dfc_window_parse(const char *s, bract_dfc_window *out)
{
    int i;
    int rc = bract_name_lookup(s, window_names, BRACT_WINDOW_GIFT + 1, "taper", &i);
    if (rc == BRACT_OK)
        *out = (bract_dfc_window)i;
    return rc;
}

const char *bract_dfc_estimator_name(bract_dfc_estimator e)
{
    return (int)e >= 0 && e <= BRACT_FC_GLASSO_PARTIAL ? estimator_names[e] : "unknown";
}

int bract_dfc_estimator_parse(const char *s, bract_dfc_estimator *out)
{
    int i;
    int rc = bract_name_lookup(s, estimator_names, BRACT_FC_GLASSO_PARTIAL + 1,
                               "connectivity estimator", &i);
    if (rc == BRACT_OK)
        *out = (bract_dfc_estimator)i;
    return rc;
}

void bract_dfc_opts_defaults(bract_dfc_opts *p)
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

int bract_dfc_plan_new(size_t nt, size_t nreg, const bract_dfc_opts *p, bract_dfc_plan **out)
{
    *out = NULL;
    size_t L = p->window;
    if ((int)p->window_type < BRACT_WINDOW_RECT || p->window_type > BRACT_WINDOW_GIFT)
        return bract_error(BRACT_EINVAL, "unknown window type %d", (int)p->window_type);
    if ((int)p->estimator < BRACT_FC_PEARSON || p->estimator > BRACT_FC_GLASSO_PARTIAL)
        return bract_error(BRACT_EINVAL, "unknown connectivity estimator %d", (int)p->estimator);
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

/* ---- the engine ----
 *
 * Windows are computed in chunks.  Within a chunk every thread walks through
 * all its windows on its own, for a fixed set of rows of the cross-product
 * matrix (whole tile-rows, dealt out cyclically); the O(regions) quantities
 * every row needs (the running mean, the update vectors, the diagonal) are
 * computed by every thread alike, so threads meet only once per chunk, not
 * once per window (on a busy machine each meeting can cost a scheduler
 * slice).  Every matrix entry is computed by the same arithmetic whichever
 * thread owns it, so the numbers do not depend on the number of threads. */

/* Memory for one chunk of windows (their condensed values), about: more
 * windows per meeting of the threads, but beyond the cache the values are
 * written out and read back from memory.  16 MB (28 windows of 400
 * regions): on a machine busier than its cores every meeting can cost a
 * scheduler slice of spinning, and 4 MB chunks took twice as long end to
 * end.  One thread uses chunks too: the sink receives them as blocks
 * (bract_dfc_run_blocks). */
#define CHUNK_BYTES ((size_t)16 << 20)

typedef struct {
    double *m, *q, *d; /* running mean and the rank-2 update vectors */
    double *diag;      /* centred sums of squares of every region */
    double *isd;       /* 1 / sqrt(diag) */
    double *Y;         /* a direct window's centred (weighted) rows */
    unsigned char *flat; /* region constant in a direct window */
} tstate;

typedef struct {
    const bract_dfc_plan *pl;
    size_t N, L, npairs, yrows, ntr; /* ntr: tile-rows */
    const double *z;   /* nt x N, time-major: scaled (and for RECT/GAUSSIAN centred) */
    double *C;         /* N x N, upper triangle: centred cross products (off-diagonal) */
    int nthreads;
    tstate *ts;
    size_t chunk;
    double *fc;        /* chunk x npairs */
    double *cm, *cdiag;/* chunk x N: each window's mean and diagonal (Ledoit-Wolf) */
    /* the first window of the chunk that failed (identical in every thread) */
    size_t bad_k, bad_region;
    int bad;
} engine;

static const char *region_name(const char *const *names, size_t i, char *buf, size_t n)
{
    if (names)
        return names[i];
    snprintf(buf, n, "%zu", i + 1);
    return buf;
}

/* Columns of window k, centred (and weighted) into t->Y; means, diagonal
 * and constancy of every region. */
static void window_columns(const engine *e, tstate *t, size_t k)
{
    const bract_dfc_plan *pl = e->pl;
    size_t N = e->N, L = e->L, s = k * pl->p.step;
    const double *z = e->z;
    double *Y = t->Y;
    long sh = pl->p.window_type == BRACT_WINDOW_GIFT ? gift_shift(pl, k) : 0;
    double wsum = 0;
    if (pl->p.window_type == BRACT_WINDOW_GAUSSIAN)
        for (size_t j = 0; j < L; j++)
            wsum += pl->w[j];
    for (size_t i = 0; i < N; i++) {
        double sum = 0, mu, ss = 0;
        int flat = 1;
        if (pl->p.window_type == BRACT_WINDOW_GIFT) {
            size_t n = pl->nt;
            for (size_t u = 0; u < n; u++) {
                double v = z[u * N + i] * gift_weight(pl, sh, u);
                Y[u * N + i] = v;
                sum += v;
                flat &= v == Y[i];
            }
            mu = sum / (double)n;
            for (size_t u = 0; u < n; u++) {
                Y[u * N + i] -= mu;
                ss += Y[u * N + i] * Y[u * N + i];
            }
        } else if (pl->p.window_type == BRACT_WINDOW_GAUSSIAN) {
            const double *w = pl->w;
            for (size_t u = 0; u < L; u++) {
                sum += w[u] * z[(s + u) * N + i];
                flat &= z[(s + u) * N + i] == z[s * N + i];
            }
            mu = sum / wsum;
            for (size_t u = 0; u < L; u++) {
                double v = sqrt(w[u]) * (z[(s + u) * N + i] - mu);
                Y[u * N + i] = v;
                ss += v * v;
            }
        } else {
            for (size_t u = 0; u < L; u++) {
                sum += z[(s + u) * N + i];
                flat &= z[(s + u) * N + i] == z[s * N + i];
            }
            mu = sum / (double)L;
            for (size_t u = 0; u < L; u++) {
                double v = z[(s + u) * N + i] - mu;
                Y[u * N + i] = v;
                ss += v * v;
            }
        }
        t->m[i] = mu;
        t->diag[i] = ss;
        t->flat[i] = (unsigned char)flat;
    }
}

/* Tile-row a (rows a*TILE ..) of C = Y'Y, by fixed column tiles. */
static void gram_tilerow(const engine *e, const tstate *t, size_t a)
{
    size_t N = e->N, n = e->yrows, r0 = a * TILE, na = r0 + TILE <= N ? TILE : N - r0;
    for (size_t c0 = r0; c0 < N; c0 += TILE) {
        size_t nb = c0 + TILE <= N ? TILE : N - c0;
        if (c0 == r0)
            cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)na, (int)n, 1.0, t->Y + r0,
                        (int)N, 0.0, e->C + r0 * N + r0, (int)N);
        else
            cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)na, (int)nb, (int)n, 1.0,
                        t->Y + r0, (int)N, t->Y + c0, (int)N, 0.0, e->C + r0 * N + c0, (int)N);
    }
}

/* Move the rectangular window one volume on: volume `out` leaves, `in`
 * enters.  With a = x - m, b = y - m (old mean m) and delta = x - y, the
 * centred cross products change by a a' - b b' - delta delta'/L =
 * 1/2 (q delta' + delta q'), q = a + b - delta/L.  Sets t->q (halved) and
 * t->d, moves the mean and the diagonal; rows follow in row_update or,
 * fused with the correlations, in row_correlations. */
static void slide_prepare(const engine *e, tstate *t, size_t out, size_t in)
{
    size_t N = e->N;
    double L = (double)e->L;
    const double *y = e->z + out * N, *x = e->z + in * N;
    for (size_t i = 0; i < N; i++) {
        double di = x[i] - y[i];
        t->q[i] = 0.5 * (x[i] + y[i] - 2 * t->m[i] - di / L);
        t->d[i] = di;
        t->m[i] += di / L;
        t->diag[i] += t->q[i] * di + di * t->q[i];
    }
}

static void row_update(const engine *e, const tstate *t, size_t i)
{
    size_t N = e->N;
    const double *q = t->q, *d = t->d;
    double qi = q[i], di = d[i], *row = e->C + i * N;
    for (size_t j = i + 1; j < N; j++)
        row[j] += qi * d[j] + di * q[j];
}

/* Row i of the correlations into fc; with `fused`, the pending rank-2
 * update of the row is applied on the way (one pass over the matrix). */
static void row_correlations(const engine *e, const tstate *t, size_t i, int fused, double *fc)
{
    size_t N = e->N;
    double *row = e->C + i * N, *o = fc + bract_pair_index(N, i, i + 1);
    const double *isd = t->isd;
    double si = isd[i];
    if (fused) {
        const double *q = t->q, *d = t->d;
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

/* The region with the smallest sum of squares (0 for a flat one). */
static double min_diag(const engine *e, const tstate *t, size_t *which)
{
    double mn = INFINITY;
    for (size_t i = 0; i < e->N; i++) {
        double v = t->flat[i] ? 0.0 : t->diag[i];
        if (v < mn) {
            mn = v;
            *which = i;
        }
    }
    return mn;
}

/* One thread's share of windows k0 .. k0+nk-1: its tile-rows, every window. */
static void chunk_thread(engine *e, int tid, int nth, size_t k0, size_t nk)
{
    const bract_dfc_plan *pl = e->pl;
    tstate *t = &e->ts[tid];
    size_t N = e->N, L = e->L;
    for (size_t kk = 0; kk < nk; kk++) {
        size_t k = k0 + kk;
        int direct = !pl->incremental || k % pl->p.block == 0, fused = 0;
        if (!direct) {
            size_t s0 = (k - 1) * pl->p.step, which;
            memset(t->flat, 0, N); /* a flat window shows as low variance: see below */
            for (size_t j = 0; j < pl->p.step; j++) {
                slide_prepare(e, t, s0 + j, s0 + j + L);
                if (j + 1 < pl->p.step)
                    for (size_t a = (size_t)tid; a < e->ntr; a += (size_t)nth)
                        for (size_t i = a * TILE; i < N && i < (a + 1) * TILE; i++)
                            row_update(e, t, i);
            }
            /* every thread sees the same diagonal and decides alike */
            if (min_diag(e, t, &which) < LOW_VARIANCE * (double)L)
                direct = 1;
            else
                fused = 1;
        }
        if (direct) {
            window_columns(e, t, k);
            for (size_t a = (size_t)tid; a < e->ntr; a += (size_t)nth)
                gram_tilerow(e, t, a);
        }
        size_t which = 0;
        if (!(min_diag(e, t, &which) > 0)) {
            if (tid == 0) {
                e->bad = 1;
                e->bad_k = k;
                e->bad_region = which;
            }
            return; /* every thread stops at the same window */
        }
        for (size_t i = 0; i < N; i++)
            t->isd[i] = 1.0 / sqrt(t->diag[i]);
        double *fc = e->fc + kk * e->npairs;
        for (size_t a = (size_t)tid; a < e->ntr; a += (size_t)nth)
            for (size_t i = a * TILE; i < N && i < (a + 1) * TILE; i++)
                row_correlations(e, t, i, fused, fc);
        if (tid == 0) {
            memcpy(e->cm + kk * N, t->m, N * sizeof *t->m);
            memcpy(e->cdiag + kk * N, t->diag, N * sizeof *t->diag);
        }
    }
}

/* nilearn's correlation with scikit-learn's Ledoit-Wolf shrinkage: the
 * window z-scored with ddof 1 has S = X'X/n = mu R, mu = (n-1)/n; the
 * shrinkage is min(beta, delta)/delta with beta = (sum_k |x_k|^4 / n -
 * |S|_F^2) / (p n) and delta = |S - mu I|_F^2 / p; the shrunk matrix
 * rescaled to a correlation is (1 - shrinkage) R off the diagonal.  m and
 * diag: the window's means and centred sums of squares. */
static void ledoit_wolf(const engine *e, size_t k, const double *m, const double *diag,
                        double *fc, double *isd)
{
    size_t N = e->N, L = e->L, s = k * e->pl->p.step, npairs = e->npairs;
    double n = (double)L, p = (double)N, mu = (n - 1) / n;
    for (size_t i = 0; i < N; i++) /* 1 / sample sd of each region in the window */
        isd[i] = sqrt((n - 1) / diag[i]);
    double b4 = 0;
    for (size_t t = 0; t < L; t++) {
        const double *zt = e->z + (s + t) * N;
        double ss = 0;
        for (size_t i = 0; i < N; i++) {
            double v = (zt[i] - m[i]) * isd[i];
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

/* Graphical lasso of the windows of a chunk, in place, windows shared
 * among threads (each window by one thread). */
static int glasso_chunk(const engine *e, double *fc, size_t nk, size_t k0, double *mats,
                        bract_glasso_ws **works)
{
    size_t N = e->N, P = N * N, npairs = e->npairs;
    const bract_dfc_opts *p = &e->pl->p;
    int *st = bract_xcalloc(nk, sizeof *st, "glasso status");
    char(*msg)[512] = bract_xcalloc(nk, sizeof *msg, "glasso messages");
    if (!st || !msg) {
        free(st);
        free(msg);
        return BRACT_ENOMEM;
    }
#pragma omp parallel for schedule(dynamic, 1) num_threads(e->nthreads) if (e->nthreads > 1)
    for (size_t b = 0; b < nk; b++) {
        int tid = omp_get_thread_num();
        double *S = mats + (size_t)tid * 3 * P, *W = S + P, *Th = W + P;
        double *v = fc + b * npairs;
        for (size_t i = 0; i < N; i++) {
            S[i * N + i] = 1;
            for (size_t j = i + 1; j < N; j++)
                S[i * N + j] = S[j * N + i] = v[bract_pair_index(N, i, j)];
        }
        st[b] = bract_glasso(S, N, p->lambda, 1e-8, 1000, W, Th, NULL, works[tid]);
        if (st[b]) {
            snprintf(msg[b], sizeof msg[b], "window %zu: %s", k0 + b + 1, bract_last_error());
            continue;
        }
        for (size_t i = 0; i < N; i++)
            for (size_t j = i + 1; j < N; j++)
                v[bract_pair_index(N, i, j)] =
                    p->estimator == BRACT_FC_GLASSO
                        ? W[i * N + j] / sqrt(W[i * N + i] * W[j * N + j])
                        : -Th[i * N + j] / sqrt(Th[i * N + i] * Th[j * N + j]);
    }
    int rc = BRACT_OK;
    for (size_t b = 0; b < nk && !rc; b++)
        if (st[b])
            rc = bract_error(st[b], "%s", msg[b]);
    free(st);
    free(msg);
    return rc;
}

static void engine_free(engine *e)
{
    if (e->ts)
        for (int t = 0; t < e->nthreads; t++) {
            free(e->ts[t].m);
            free(e->ts[t].q);
            free(e->ts[t].d);
            free(e->ts[t].diag);
            free(e->ts[t].isd);
            free(e->ts[t].Y);
            free(e->ts[t].flat);
        }
    free(e->ts);
    free((double *)e->z);
    free(e->C);
    free(e->fc);
    free(e->cm);
    free(e->cdiag);
}

/* The series scaled to unit variance, time-major; centred too except for
 * GIFT, whose taper-times-data correlation depends on the data's mean. */
static int scale_series(const bract_dfc_plan *pl, const double *x, const char *const *names,
                        double *z)
{
    size_t N = pl->nreg, nt = pl->nt;
    for (size_t i = 0; i < N; i++) {
        const double *xi = x + i * nt;
        char nb[32];
        for (size_t t = 0; t < nt; t++)
            if (!isfinite(xi[t]))
                return bract_error(BRACT_EDATA, "region %s: volume %zu is not a finite number",
                                   region_name(names, i, nb, sizeof nb), t + 1);
        double mu = 0, ss = 0;
        for (size_t t = 0; t < nt; t++)
            mu += xi[t];
        mu /= (double)nt;
        for (size_t t = 0; t < nt; t++)
            ss += (xi[t] - mu) * (xi[t] - mu);
        double sd = sqrt(ss / (double)nt);
        if (!(sd > 0))
            return bract_error(BRACT_EDATA, "region %s is constant: its correlations are "
                               "undefined", region_name(names, i, nb, sizeof nb));
        double shift = pl->p.window_type == BRACT_WINDOW_GIFT ? 0 : mu;
        for (size_t t = 0; t < nt; t++)
            z[t * N + i] = (xi[t] - shift) / sd;
    }
    return BRACT_OK;
}

static int engine_init(engine *e, const bract_dfc_plan *pl)
{
    size_t N = pl->nreg, nt = pl->nt;
    memset(e, 0, sizeof *e);
    e->pl = pl;
    e->N = N;
    e->L = pl->p.window;
    e->npairs = pl->npairs;
    e->yrows = pl->p.window_type == BRACT_WINDOW_GIFT ? nt : e->L;
    e->ntr = (N + TILE - 1) / TILE;
    int par = N >= PAR_MIN_REGIONS && !omp_in_parallel();
    e->nthreads = omp_in_parallel() ? 1 : bract_get_threads();
    int nth = par ? e->nthreads : 1;
    if ((size_t)nth > e->ntr) /* no more threads than tile-rows */
        nth = (int)e->ntr;
    size_t chunk = CHUNK_BYTES / (e->npairs * sizeof(double));
    e->chunk = chunk < 1 ? 1 : chunk > 256 ? 256 : chunk;
    if (e->chunk > 4) /* whole fours for bract_dfc_stats_add_block */
        e->chunk = (e->chunk + 3) / 4 * 4;
    e->z = bract_xmalloc(nt * N, sizeof *e->z, "the scaled series");
    e->C = bract_xcalloc(N * N, sizeof *e->C, "a cross-product matrix");
    e->fc = bract_xmalloc(e->chunk * e->npairs, sizeof *e->fc, "a chunk of windows");
    e->cm = bract_xmalloc(e->chunk * N, sizeof *e->cm, "window means");
    e->cdiag = bract_xmalloc(e->chunk * N, sizeof *e->cdiag, "window variances");
    e->ts = bract_xcalloc((size_t)e->nthreads, sizeof *e->ts, "thread states");
    if (!e->z || !e->C || !e->fc || !e->cm || !e->cdiag || !e->ts)
        return BRACT_ENOMEM;
    for (int t = 0; t < e->nthreads; t++) {
        tstate *s = &e->ts[t];
        s->m = bract_xmalloc(N, sizeof *s->m, "window means");
        s->q = bract_xmalloc(N, sizeof *s->q, "update vectors");
        s->d = bract_xmalloc(N, sizeof *s->d, "update vectors");
        s->diag = bract_xmalloc(N, sizeof *s->diag, "window variances");
        s->isd = bract_xmalloc(N, sizeof *s->isd, "window scales");
        s->Y = bract_xmalloc(e->yrows * N, sizeof *s->Y, "a window");
        s->flat = bract_xcalloc(N, 1, "window flags");
        if (!s->m || !s->q || !s->d || !s->diag || !s->isd || !s->Y || !s->flat)
            return BRACT_ENOMEM;
    }
    return nth;
}

int bract_dfc_run_blocks(const bract_dfc_plan *pl, const double *x, const char *const *names,
                         bract_dfc_block_sink sink, void *ctx, const bract_progress *progress)
{
    engine e;
    int nth = engine_init(&e, pl);
    int rc = nth < 0 ? nth : BRACT_OK;
    size_t N = e.N, npairs = e.npairs;
    int glasso = pl->p.estimator == BRACT_FC_GLASSO || pl->p.estimator == BRACT_FC_GLASSO_PARTIAL;
    double *mats = NULL;
    bract_glasso_ws **works = NULL;
    if (!rc && glasso) {
        mats = bract_xmalloc((size_t)e.nthreads * 3 * N * N, sizeof *mats, "glasso matrices");
        works = bract_xcalloc((size_t)e.nthreads, sizeof *works, "glasso workspaces");
        if (!mats || !works)
            rc = BRACT_ENOMEM;
        for (int t = 0; !rc && t < e.nthreads; t++)
            if (bract_glasso_ws_new(N, &works[t]))
                rc = BRACT_ENOMEM;
    }
    if (!rc)
        rc = scale_series(pl, x, names, (double *)e.z);
    for (size_t k0 = 0; !rc && k0 < pl->nwin; k0 += e.chunk) {
        size_t nk = pl->nwin - k0 < e.chunk ? pl->nwin - k0 : e.chunk;
        if (nth > 1) {
#pragma omp parallel num_threads(nth)
            chunk_thread(&e, omp_get_thread_num(), omp_get_num_threads(), k0, nk);
        } else {
            chunk_thread(&e, 0, 1, k0, nk);
        }
        size_t done = nk;
        if (e.bad) {
            done = e.bad_k - k0;
            size_t first, last;
            char nb[32];
            bract_dfc_window_span(pl, e.bad_k, &first, &last);
            rc = bract_error(BRACT_EDATA, "region %s has no variance in window %zu (volumes "
                             "%zu-%zu): its windowed correlation is undefined",
                             region_name(names, e.bad_region, nb, sizeof nb), e.bad_k + 1,
                             first + 1, last + 1);
        }
        if (pl->p.estimator == BRACT_FC_LEDOIT_WOLF)
            for (size_t kk = 0; kk < done; kk++)
                ledoit_wolf(&e, k0 + kk, e.cm + kk * N, e.cdiag + kk * N,
                            e.fc + kk * npairs, e.ts[0].isd);
        if (glasso && done) {
            int grc = glasso_chunk(&e, e.fc, done, k0, mats, works);
            if (grc) {
                rc = grc;
                done = 0;
            }
        }
        if (pl->p.fisher)
            for (size_t j = 0; j < done * npairs; j++)
                e.fc[j] = fisher(e.fc[j], pl->p.window_type == BRACT_WINDOW_GIFT);
        if (done) {
            int src = sink(ctx, k0, done, e.fc);
            if (src)
                rc = src;
            else
                bract_progress_report(progress, k0 + done, pl->nwin);
        }
    }
    engine_free(&e);
    free(mats);
    if (works)
        for (int t = 0; t < e.nthreads; t++)
            bract_glasso_ws_free(works[t]);
    free(works);
    return rc;
}

/* bract_dfc_run on top of the blocks: one window at a time. */
typedef struct {
    bract_dfc_sink sink;
    void *ctx;
    size_t npairs;
} one_ctx;

static int one_sink(void *ctx, size_t k0, size_t n, const double *fc)
{
    one_ctx *o = ctx;
    for (size_t k = 0; k < n; k++) {
        int rc = o->sink(o->ctx, k0 + k, fc + k * o->npairs);
        if (rc)
            return rc;
    }
    return BRACT_OK;
}

int bract_dfc_run(const bract_dfc_plan *pl, const double *x, const char *const *names,
                  bract_dfc_sink sink, void *ctx, const bract_progress *progress)
{
    one_ctx o = {sink, ctx, pl->npairs};
    return bract_dfc_run_blocks(pl, x, names, one_sink, &o, progress);
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
    double *block;         /* scratch: a block's strengths (cap windows) */
    size_t cap;
};

static bract_dfc_stats *dfc_stats_alloc(size_t nreg)
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

int bract_dfc_stats_new(size_t nreg, bract_dfc_stats **out)
{
    *out = dfc_stats_alloc(nreg);
    return *out ? BRACT_OK : BRACT_ENOMEM;
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
    free(s->block);
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

/* One window's mean and sd over edges (either may be NULL), and its
 * regions' strengths (sums of their edges, into str). */
static void moments1(size_t n, size_t np, const double *fc, double *wmean, double *wsd,
                     double *str)
{
    if (wmean || wsd) {
        double sum = 0;
        for (size_t e = 0; e < np; e++)
            sum += fc[e];
        double m = sum / (double)np, ss = 0;
        for (size_t e = 0; e < np; e++)
            ss += (fc[e] - m) * (fc[e] - m);
        if (wmean)
            *wmean = m;
        if (wsd)
            *wsd = np > 1 ? sqrt(ss / (double)(np - 1)) : NAN;
    }
    memset(str, 0, n * sizeof *str);
    for (size_t i = 0, e = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++, e++) {
            str[i] += fc[e];
            str[j] += fc[e];
        }
}

/* moments1 of four consecutive windows at once: each window's sums in the
 * same order as alone (the same numbers to the last bit), but four
 * independent chains of additions side by side keep the adder busy where
 * one chain waits on each addition. */
static void moments4(size_t n, size_t np, const double *fc, double *wmean, double *wsd,
                     double *str)
{
    const double *f0 = fc, *f1 = fc + np, *f2 = fc + 2 * np, *f3 = fc + 3 * np;
    double *s0 = str, *s1 = str + n, *s2 = str + 2 * n, *s3 = str + 3 * n;
    memset(str, 0, 4 * n * sizeof *str);
    /* the sums over edges and the strengths in one pass: the pairs in
     * condensed order are the edges in order */
    double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    for (size_t i = 0, e = 0; i < n; i++) {
        /* str[i] holds its edges with the earlier regions; this row's are
         * added onto it one by one, as in moments1 */
        double b0 = s0[i], b1 = s1[i], b2 = s2[i], b3 = s3[i];
        for (size_t j = i + 1; j < n; j++, e++) {
            a0 += f0[e];
            a1 += f1[e];
            a2 += f2[e];
            a3 += f3[e];
            b0 += f0[e];
            b1 += f1[e];
            b2 += f2[e];
            b3 += f3[e];
            s0[j] += f0[e];
            s1[j] += f1[e];
            s2[j] += f2[e];
            s3[j] += f3[e];
        }
        s0[i] = b0;
        s1[i] = b1;
        s2[i] = b2;
        s3[i] = b3;
    }
    if (!wmean && !wsd)
        return;
    double m[4] = {a0 / (double)np, a1 / (double)np, a2 / (double)np, a3 / (double)np};
    double m0 = m[0], m1 = m[1], m2 = m[2], m3 = m[3];
    a0 = a1 = a2 = a3 = 0;
    for (size_t e = 0; e < np; e++) {
        a0 += (f0[e] - m0) * (f0[e] - m0);
        a1 += (f1[e] - m1) * (f1[e] - m1);
        a2 += (f2[e] - m2) * (f2[e] - m2);
        a3 += (f3[e] - m3) * (f3[e] - m3);
    }
    double ss[4] = {a0, a1, a2, a3};
    for (int w = 0; w < 4; w++) {
        if (wmean)
            wmean[w] = m[w];
        if (wsd)
            wsd[w] = np > 1 ? sqrt(ss[w] / (double)(np - 1)) : NAN;
    }
}

/* Welford updates of edges e0..e1-1 by nk windows, the first being window
 * count0 + 1. */
static void edge_updates(bract_dfc_stats *s, const double *fc, size_t nk, size_t count0,
                         size_t e0, size_t e1)
{
    double *mean = s->mean, *m2 = s->m2;
    for (size_t k = 0; k < nk; k++) {
        const double *v = fc + k * s->npairs;
        double inv = 1.0 / (double)(count0 + k + 1);
        for (size_t e = e0; e < e1; e++) {
            double d = v[e] - mean[e];
            mean[e] += d * inv;
            m2[e] += d * (v[e] - mean[e]);
        }
    }
}

static void strength_update(bract_dfc_stats *s, const double *str)
{
    size_t n = s->nreg;
    double inv = 1.0 / (double)s->count;
    for (size_t i = 0; i < n; i++) {
        double v = str[i] / (double)(n - 1), d = v - s->smean[i];
        s->smean[i] += d * inv;
        s->sm2[i] += d * (v - s->smean[i]);
    }
}

void bract_dfc_stats_add(bract_dfc_stats *s, const double *fc, double *wmean, double *wsd)
{
    moments1(s->nreg, s->npairs, fc, wmean, wsd, s->strength);
    edge_updates(s, fc, 1, s->count, 0, s->npairs);
    s->count++;
    strength_update(s, s->strength);
}

/* Edges per task of the parallel Welford updates. */
#define EDGE_SLICE 4096

int bract_dfc_stats_add_block(bract_dfc_stats *s, const double *fc, size_t nk, double *wmean,
                              double *wsd)
{
    size_t n = s->nreg, np = s->npairs;
    if (nk > s->cap) {
        double *t = bract_xmalloc(nk * n, sizeof *t, "window strengths");
        if (!t)
            return BRACT_ENOMEM;
        free(s->block);
        s->block = t;
        s->cap = nk;
    }
    int nth = omp_in_parallel() || nk * np < 65536 ? 1 : bract_get_threads();
    size_t nslice = (np + EDGE_SLICE - 1) / EDGE_SLICE, count0 = s->count;
    /* windows among threads for their moments, then edges for the updates:
     * each number is computed by the same arithmetic as one window at a
     * time, whatever the number of threads */
    size_t nquad = nk / 4, ngroups = nquad + nk % 4; /* fours, then single windows */
#pragma omp parallel num_threads(nth) if (nth > 1)
    {
        /* the two loops touch different memory: no barrier between them
         * (on a busy machine each meeting of the threads can cost a
         * scheduler slice) */
#pragma omp for schedule(dynamic, 1) nowait
        for (size_t q = 0; q < ngroups; q++) {
            size_t k = q < nquad ? 4 * q : 4 * nquad + (q - nquad);
            double *wm = wmean ? &wmean[k] : NULL, *ws = wsd ? &wsd[k] : NULL;
            if (q < nquad)
                moments4(n, np, fc + k * np, wm, ws, s->block + k * n);
            else
                moments1(n, np, fc + k * np, wm, ws, s->block + k * n);
        }
#pragma omp for schedule(dynamic, 1)
        for (size_t q = 0; q < nslice; q++) {
            size_t e0 = q * EDGE_SLICE, e1 = e0 + EDGE_SLICE < np ? e0 + EDGE_SLICE : np;
            edge_updates(s, fc, nk, count0, e0, e1);
        }
    }
    for (size_t k = 0; k < nk; k++) {
        s->count++;
        strength_update(s, s->block + k * n);
    }
    return BRACT_OK;
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
