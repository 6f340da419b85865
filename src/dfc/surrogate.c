/* Phase-randomised multivariate surrogates and the dFC null tests
 * (see bract/surrogate.h). */
#include "base/internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <fftw3.h>
#include <omp.h>

/* Random streams of surrogates: substream tag. */
#define SURROGATE_SUBSTREAM 0x53000000u
/* Surrogates are computed in batches (one thread team per batch: on a busy
 * machine every team's barrier can cost a scheduler slice), then their
 * statistics are summed in surrogate order, so the batch size changes
 * memory use, never the numbers.  A batch's edge statistics take at most
 * about BATCH_BYTES. */
#define BATCH_BYTES ((size_t)32 << 20)

struct bract_surrogate_plan {
    size_t nt, nreg, nf;
    fftw_complex *X;  /* nreg x nf spectra */
    fftw_plan inv;    /* nreg c2r transforms of length nt */
};

struct bract_surrogate_ws {
    fftw_complex *Y;
    double *y;
};

int bract_surrogate_plan_new(const double *x, size_t nt, size_t nreg, bract_surrogate_plan **out)
{
    *out = NULL;
    if (nt < 4 || nreg < 1)
        return bract_error(BRACT_EINVAL, "surrogates need at least 4 volumes and 1 region");
    bract_surrogate_plan *p = bract_xcalloc(1, sizeof *p, "a surrogate plan");
    if (!p)
        return BRACT_ENOMEM;
    p->nt = nt;
    p->nreg = nreg;
    p->nf = nt / 2 + 1;
    p->X = fftw_malloc(sizeof(fftw_complex) * nreg * p->nf);
    double *in = fftw_malloc(sizeof(double) * nreg * nt);
    if (!p->X || !in) {
        fftw_free(in);
        bract_surrogate_plan_free(p);
        return bract_error(BRACT_ENOMEM, "out of memory for surrogate spectra");
    }
    int n = (int)nt;
    fftw_plan fwd = fftw_plan_many_dft_r2c(1, &n, (int)nreg, in, NULL, 1, n, p->X, NULL, 1,
                                           (int)p->nf, FFTW_ESTIMATE);
    p->inv = fftw_plan_many_dft_c2r(1, &n, (int)nreg, p->X, NULL, 1, (int)p->nf, in, NULL, 1, n,
                                    FFTW_ESTIMATE);
    if (!fwd || !p->inv) {
        if (fwd)
            fftw_destroy_plan(fwd);
        fftw_free(in);
        bract_surrogate_plan_free(p);
        return bract_error(BRACT_ENUMERIC, "FFTW could not plan transforms of length %zu", nt);
    }
    memcpy(in, x, sizeof(double) * nreg * nt);
    fftw_execute(fwd);
    fftw_destroy_plan(fwd);
    fftw_free(in);
    *out = p;
    return BRACT_OK;
}

void bract_surrogate_plan_free(bract_surrogate_plan *p)
{
    if (!p)
        return;
    if (p->inv)
        fftw_destroy_plan(p->inv);
    fftw_free(p->X);
    free(p);
}

static bract_surrogate_ws *surrogate_ws_alloc(const bract_surrogate_plan *p)
{
    bract_surrogate_ws *w = bract_xcalloc(1, sizeof *w, "a surrogate workspace");
    if (!w)
        return NULL;
    /* fftw_malloc: the alignment the plan was made with */
    w->Y = fftw_malloc(sizeof(fftw_complex) * p->nreg * p->nf);
    w->y = fftw_malloc(sizeof(double) * p->nreg * p->nt);
    if (!w->Y || !w->y) {
        bract_surrogate_ws_free(w);
        bract_error(BRACT_ENOMEM, "out of memory for a surrogate workspace");
        return NULL;
    }
    return w;
}

int bract_surrogate_ws_new(const bract_surrogate_plan *p, bract_surrogate_ws **out)
{
    *out = surrogate_ws_alloc(p);
    return *out ? BRACT_OK : BRACT_ENOMEM;
}

void bract_surrogate_ws_free(bract_surrogate_ws *w)
{
    if (!w)
        return;
    fftw_free(w->Y);
    fftw_free(w->y);
    free(w);
}

void bract_surrogate_draw(const bract_surrogate_plan *p, uint64_t seed, uint64_t index,
                          double *out, bract_surrogate_ws *w)
{
    size_t nt = p->nt, nf = p->nf, nreg = p->nreg;
    bract_rng rng;
    bract_rng_init(&rng, seed, index, SURROGATE_SUBSTREAM);
    /* frequencies 1 .. nf-1, but not the Nyquist term of an even length */
    size_t last = nt % 2 == 0 ? nf - 1 : nf;
    for (size_t r = 0; r < nreg; r++) {
        w->Y[r * nf][0] = p->X[r * nf][0];
        w->Y[r * nf][1] = p->X[r * nf][1];
        if (last < nf) {
            w->Y[r * nf + nf - 1][0] = p->X[r * nf + nf - 1][0];
            w->Y[r * nf + nf - 1][1] = p->X[r * nf + nf - 1][1];
        }
    }
    for (size_t f = 1; f < last; f++) {
        double phi = 6.283185307179586476925 * bract_rng_uniform(&rng);
        double c = cos(phi), s = sin(phi);
        for (size_t r = 0; r < nreg; r++) {
            double re = p->X[r * nf + f][0], im = p->X[r * nf + f][1];
            w->Y[r * nf + f][0] = re * c - im * s;
            w->Y[r * nf + f][1] = re * s + im * c;
        }
    }
    fftw_execute_dft_c2r(p->inv, w->Y, w->y);
    double scale = 1.0 / (double)nt;
    for (size_t i = 0; i < nt * nreg; i++)
        out[i] = w->y[i] * scale;
}

/* ---- the test ---- */

typedef struct {
    size_t npairs;
    bract_dfc_stats *st;
    float *win; /* all windows, for the switch test (or NULL) */
} stat_sink;

static int stat_window(void *ctx, size_t k, const double *fc)
{
    stat_sink *s = ctx;
    bract_dfc_stats_add(s->st, fc, NULL, NULL);
    if (s->win)
        for (size_t e = 0; e < s->npairs; e++)
            s->win[k * s->npairs + e] = (float)fc[e];
    return BRACT_OK;
}

/* State switches of one series' windows clustered alone. */
static int stat_switches(const stat_sink *s, const bract_kmeans_opts *kp, double *switches)
{
    bract_kmeans_result *km;
    size_t nwin = bract_dfc_stats_count(s->st);
    int rc = bract_kmeans(s->win, nwin, s->npairs, kp, &km, NULL);
    if (rc)
        return rc;
    size_t nt;
    rc = bract_states_stats(km->label, nwin, km->k, NULL, NULL, &nt, NULL);
    bract_kmeans_result_free(km);
    *switches = (double)nt;
    return rc;
}

void bract_surrogate_result_free(bract_surrogate_result *r)
{
    if (!r)
        return;
    free(r->edge_std);
    free(r->edge_null_mean);
    free(r->edge_p);
    free(r->edge_p_fdr);
    free(r);
}

/* One test: the observed statistics, one sink, workspace and series per
 * thread, the surrogate statistics of a batch. */
typedef struct {
    const bract_dfc_plan *plan;
    const double *x;
    const char *const *names;
    const bract_surrogate_opts *p;
    size_t nt, nreg, npairs, nsurr, batch;
    int nthreads;
    bract_surrogate_plan *sp;
    bract_surrogate_result *res;
    stat_sink *sinks;
    bract_surrogate_ws **works;
    double **series;
    double *bsd;       /* batch x npairs: edge sds of a batch of surrogates */
    double *fcvar, *sw; /* nsurr: FC variance and state switches of each surrogate */
    size_t *ge;        /* npairs: surrogates whose edge sd reaches the observed one */
    int *bstatus;
    char (*bmsg)[512];
} surr_test;

static void test_free(surr_test *t)
{
    bract_surrogate_plan_free(t->sp);
    for (int i = 0; t->sinks && i < t->nthreads; i++) {
        bract_dfc_stats_free(t->sinks[i].st);
        free(t->sinks[i].win);
    }
    free(t->sinks);
    for (int i = 0; t->works && i < t->nthreads; i++)
        bract_surrogate_ws_free(t->works[i]);
    free(t->works);
    for (int i = 0; t->series && i < t->nthreads; i++)
        free(t->series[i]);
    free(t->series);
    free(t->bsd);
    free(t->fcvar);
    free(t->sw);
    free(t->ge);
    free(t->bstatus);
    free(t->bmsg);
}

static int test_alloc(surr_test *t)
{
    size_t npairs = t->npairs, nsurr = t->nsurr, nthreads = (size_t)t->nthreads;
    t->res = bract_xcalloc(1, sizeof *t->res, "a test result");
    t->sinks = bract_xcalloc(nthreads, sizeof *t->sinks, "test statistics");
    t->works = bract_xcalloc(nthreads, sizeof *t->works, "workspaces");
    t->series = bract_xcalloc(nthreads, sizeof *t->series, "surrogate series");
    size_t batch = BATCH_BYTES / (npairs * sizeof(double));
    t->batch = batch = batch < 16 ? 16 : batch > 1024 ? 1024 : batch;
    t->bsd = bract_xmalloc(batch * npairs, sizeof *t->bsd, "surrogate statistics");
    t->fcvar = bract_xmalloc(nsurr, sizeof *t->fcvar, "surrogate statistics");
    t->sw = bract_xmalloc(nsurr, sizeof *t->sw, "surrogate statistics");
    t->ge = bract_xcalloc(npairs, sizeof *t->ge, "exceedance counts");
    t->bstatus = bract_xcalloc(batch, sizeof *t->bstatus, "statuses");
    t->bmsg = bract_xcalloc(batch, sizeof *t->bmsg, "messages");
    if (!t->res || !t->sinks || !t->works || !t->series || !t->bsd || !t->fcvar || !t->sw ||
        !t->ge || !t->bstatus || !t->bmsg)
        return BRACT_ENOMEM;
    bract_surrogate_result *res = t->res;
    res->npairs = npairs;
    res->surrogates = nsurr;
    res->edge_std = bract_xmalloc(npairs, sizeof(double), "edge statistics");
    res->edge_null_mean = bract_xcalloc(npairs, sizeof(double), "edge statistics");
    res->edge_p = bract_xmalloc(npairs, sizeof(double), "edge statistics");
    res->edge_p_fdr = bract_xmalloc(npairs, sizeof(double), "edge statistics");
    if (!res->edge_std || !res->edge_null_mean || !res->edge_p || !res->edge_p_fdr)
        return BRACT_ENOMEM;
    size_t nwin = bract_dfc_nwindows(t->plan);
    for (size_t i = 0; i < nthreads; i++) {
        stat_sink *k = &t->sinks[i];
        k->npairs = npairs;
        bract_dfc_stats_new(t->nreg, &k->st);
        t->series[i] = bract_xmalloc(t->nt * t->nreg, sizeof(double), "a surrogate");
        if (t->p->states)
            k->win = bract_xmalloc(nwin * npairs, sizeof(float), "windows");
        if (!k->st || !t->series[i] || (t->p->states && !k->win))
            return BRACT_ENOMEM;
    }
    return BRACT_OK;
}

/* The observed statistics, then the surrogate plan and workspaces. */
static int test_observed(surr_test *t)
{
    bract_surrogate_result *res = t->res;
    int rc = bract_dfc_run(t->plan, t->x, t->names, stat_window, &t->sinks[0], NULL);
    if (rc)
        return rc;
    res->fcvar = bract_dfc_stats_result(t->sinks[0].st, NULL, res->edge_std, NULL, NULL, NULL);
    res->switches = NAN;
    if (t->p->states && (rc = stat_switches(&t->sinks[0], t->p->states, &res->switches)))
        return rc;
    if ((rc = bract_surrogate_plan_new(t->x, t->nt, t->nreg, &t->sp)))
        return rc;
    for (int i = 0; i < t->nthreads; i++)
        if (bract_surrogate_ws_new(t->sp, &t->works[i]))
            return BRACT_ENOMEM;
    return BRACT_OK;
}

/* Surrogate s (slot b of the batch) on the calling thread. */
static void test_one(surr_test *t, size_t b, size_t s)
{
    int th = omp_get_thread_num();
    const bract_surrogate_opts *p = t->p;
    stat_sink *k = &t->sinks[th];
    bract_surrogate_draw(t->sp, p->seed, p->first_stream + s, t->series[th], t->works[th]);
    bract_dfc_stats_reset(k->st);
    t->bstatus[b] = bract_dfc_run(t->plan, t->series[th], t->names, stat_window, k, NULL);
    if (t->bstatus[b]) {
        snprintf(t->bmsg[b], sizeof t->bmsg[b], "surrogate %zu: %s", s + 1, bract_last_error());
        return;
    }
    t->fcvar[s] = bract_dfc_stats_result(k->st, NULL, t->bsd + b * t->npairs, NULL, NULL, NULL);
    t->sw[s] = NAN;
    if (p->states && (t->bstatus[b] = stat_switches(k, p->states, &t->sw[s])))
        snprintf(t->bmsg[b], sizeof t->bmsg[b], "surrogate %zu: %s", s + 1, bract_last_error());
}

/* The surrogates in batches drawn in parallel, summed in surrogate order. */
static int test_surrogates(surr_test *t, const bract_progress *progress)
{
    size_t npairs = t->npairs, nsurr = t->nsurr;
    bract_surrogate_result *res = t->res;
    int rc = BRACT_OK;
    for (size_t b0 = 0; b0 < nsurr && !rc; b0 += t->batch) {
        size_t nb = nsurr - b0 < t->batch ? nsurr - b0 : t->batch;
#pragma omp parallel for schedule(dynamic, 1)
        for (size_t b = 0; b < nb; b++)
            test_one(t, b, b0 + b);
        for (size_t b = 0; b < nb; b++)
            if (t->bstatus[b]) {
                rc = bract_error(t->bstatus[b], "%s", t->bmsg[b]);
                break;
            }
        for (size_t b = 0; b < nb && !rc; b++)
            for (size_t e = 0; e < npairs; e++) {
                double v = t->bsd[b * npairs + e];
                res->edge_null_mean[e] += v;
                t->ge[e] += v >= res->edge_std[e];
            }
        bract_progress_report(progress, b0 + nb, nsurr);
    }
    return rc;
}

/* p-values and null moments. */
static void test_summary(surr_test *t, size_t *work)
{
    size_t npairs = t->npairs, nsurr = t->nsurr;
    bract_surrogate_result *res = t->res;
    const double *fcvar = t->fcvar, *sw = t->sw;
    int states = t->p->states != NULL;
    for (size_t e = 0; e < npairs; e++) {
        res->edge_null_mean[e] /= (double)nsurr;
        res->edge_p[e] = (1.0 + (double)t->ge[e]) / (1.0 + (double)nsurr);
    }
    bract_stats_fdr_bh(res->edge_p, npairs, res->edge_p_fdr, work);
    size_t fge = 0, sge = 0, sle = 0;
    double fm = 0, fss = 0, sm = 0, sss = 0;
    for (size_t s = 0; s < nsurr; s++) {
        fge += fcvar[s] >= res->fcvar;
        fm += fcvar[s];
        if (states) {
            sge += sw[s] >= res->switches;
            sle += sw[s] <= res->switches;
            sm += sw[s];
        }
    }
    fm /= (double)nsurr;
    sm /= (double)nsurr;
    for (size_t s = 0; s < nsurr; s++) {
        fss += (fcvar[s] - fm) * (fcvar[s] - fm);
        sss += (sw[s] - sm) * (sw[s] - sm);
    }
    double den = 1.0 + (double)nsurr;
    res->fcvar_null_mean = fm;
    res->fcvar_null_sd = nsurr > 1 ? sqrt(fss / (double)(nsurr - 1)) : NAN;
    res->fcvar_p = (1.0 + (double)fge) / den;
    if (states) {
        res->switches_null_mean = sm;
        res->switches_null_sd = nsurr > 1 ? sqrt(sss / (double)(nsurr - 1)) : NAN;
        double pg = (1.0 + (double)sge) / den, pl = (1.0 + (double)sle) / den;
        res->switches_p = fmin(1.0, 2 * fmin(pg, pl));
    } else {
        res->switches_null_mean = res->switches_null_sd = res->switches_p = NAN;
    }
}

int bract_surrogate_test(const bract_dfc_plan *plan, const double *x,
                             const char *const *names, const bract_surrogate_opts *p,
                             bract_surrogate_result **out, const bract_progress *progress)
{
    *out = NULL;
    if (p->surrogates < 1)
        return bract_error(BRACT_EINVAL, "the surrogate test needs at least 1 surrogate");
    surr_test t;
    memset(&t, 0, sizeof t);
    t.plan = plan;
    t.x = x;
    t.names = names;
    t.p = p;
    t.nt = bract_dfc_nvolumes(plan);
    t.nreg = bract_dfc_nregions(plan);
    t.npairs = bract_dfc_npairs(plan);
    t.nsurr = p->surrogates;
    t.nthreads = bract_get_threads();
    size_t *work = bract_xmalloc(2 * t.npairs, sizeof *work, "FDR");
    int rc = work ? test_alloc(&t) : BRACT_ENOMEM;
    if (!rc && !(rc = test_observed(&t)) && !(rc = test_surrogates(&t, progress)))
        test_summary(&t, work);
    free(work);
    test_free(&t);
    if (rc) {
        bract_surrogate_result_free(t.res);
        return rc;
    }
    *out = t.res;
    return BRACT_OK;
}
