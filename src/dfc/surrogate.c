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

struct bract_surrogate_work {
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

bract_surrogate_work *bract_surrogate_work_new(const bract_surrogate_plan *p)
{
    bract_surrogate_work *w = bract_xcalloc(1, sizeof *w, "a surrogate workspace");
    if (!w)
        return NULL;
    /* fftw_malloc: the alignment the plan was made with */
    w->Y = fftw_malloc(sizeof(fftw_complex) * p->nreg * p->nf);
    w->y = fftw_malloc(sizeof(double) * p->nreg * p->nt);
    if (!w->Y || !w->y) {
        bract_surrogate_work_free(w);
        bract_error(BRACT_ENOMEM, "out of memory for a surrogate workspace");
        return NULL;
    }
    return w;
}

void bract_surrogate_work_free(bract_surrogate_work *w)
{
    if (!w)
        return;
    fftw_free(w->Y);
    fftw_free(w->y);
    free(w);
}

void bract_surrogate_draw(const bract_surrogate_plan *p, uint64_t seed, uint64_t index,
                          double *out, bract_surrogate_work *w)
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
static int stat_switches(const stat_sink *s, const bract_kmeans_params *kp, double *switches)
{
    bract_kmeans_result *km;
    size_t nwin = bract_dfc_stats_count(s->st);
    int rc = bract_kmeans(s->win, nwin, s->npairs, kp, &km, NULL);
    if (rc)
        return rc;
    size_t nt;
    rc = bract_state_stats(km->label, nwin, km->k, NULL, NULL, &nt, NULL);
    bract_kmeans_result_free(km);
    *switches = (double)nt;
    return rc;
}

void bract_dfc_test_result_free(bract_dfc_test_result *r)
{
    if (!r)
        return;
    free(r->edge_std);
    free(r->edge_null_mean);
    free(r->edge_p);
    free(r->edge_p_fdr);
    free(r);
}

int bract_dfc_surrogate_test(const bract_dfc_plan *plan, const double *x,
                             const char *const *names, const bract_dfc_test_params *p,
                             bract_dfc_test_result **out, const bract_progress *progress)
{
    *out = NULL;
    if (p->surrogates < 1)
        return bract_error(BRACT_EINVAL, "the surrogate test needs at least 1 surrogate");
    size_t nt = bract_dfc_nvolumes(plan), nreg = bract_dfc_nregions(plan);
    size_t npairs = bract_dfc_npairs(plan), nsurr = p->surrogates;
    int nthreads = bract_get_threads();
    bract_surrogate_plan *sp = NULL;
    bract_dfc_test_result *res = bract_xcalloc(1, sizeof *res, "a test result");
    stat_sink *sinks = bract_xcalloc((size_t)nthreads, sizeof *sinks, "test statistics");
    bract_surrogate_work **works = bract_xcalloc((size_t)nthreads, sizeof *works, "workspaces");
    double **series = bract_xcalloc((size_t)nthreads, sizeof *series, "surrogate series");
    size_t batch = BATCH_BYTES / (npairs * sizeof(double));
    batch = batch < 16 ? 16 : batch > 1024 ? 1024 : batch;
    double *bsd = bract_xmalloc(batch * npairs, sizeof *bsd, "surrogate statistics");
    double *fcvar = bract_xmalloc(nsurr, sizeof *fcvar, "surrogate statistics");
    double *sw = bract_xmalloc(nsurr, sizeof *sw, "surrogate statistics");
    size_t *ge = bract_xcalloc(npairs, sizeof *ge, "exceedance counts");
    size_t *work = bract_xmalloc(2 * npairs, sizeof *work, "FDR");
    int *bstatus = bract_xcalloc(batch, sizeof *bstatus, "statuses");
    char(*bmsg)[512] = bract_xcalloc(batch, sizeof *bmsg, "messages");
    int rc = BRACT_OK;
    if (!res || !sinks || !works || !series || !bsd || !fcvar || !sw || !ge || !work ||
        !bstatus || !bmsg) {
        rc = BRACT_ENOMEM;
        goto done;
    }
    res->npairs = npairs;
    res->surrogates = nsurr;
    res->edge_std = bract_xmalloc(npairs, sizeof(double), "edge statistics");
    res->edge_null_mean = bract_xcalloc(npairs, sizeof(double), "edge statistics");
    res->edge_p = bract_xmalloc(npairs, sizeof(double), "edge statistics");
    res->edge_p_fdr = bract_xmalloc(npairs, sizeof(double), "edge statistics");
    if (!res->edge_std || !res->edge_null_mean || !res->edge_p || !res->edge_p_fdr) {
        rc = BRACT_ENOMEM;
        goto done;
    }
    size_t nwin = bract_dfc_nwindows(plan);
    for (int t = 0; t < nthreads; t++) {
        sinks[t].npairs = npairs;
        sinks[t].st = bract_dfc_stats_new(nreg);
        series[t] = bract_xmalloc(nt * nreg, sizeof(double), "a surrogate");
        if (p->states)
            sinks[t].win = bract_xmalloc(nwin * npairs, sizeof(float), "windows");
        if (!sinks[t].st || !series[t] || (p->states && !sinks[t].win)) {
            rc = BRACT_ENOMEM;
            goto done;
        }
    }
    /* observed */
    if ((rc = bract_dfc_run(plan, x, names, stat_window, &sinks[0], NULL)))
        goto done;
    res->fcvar = bract_dfc_stats_result(sinks[0].st, NULL, res->edge_std, NULL, NULL, NULL);
    res->switches = NAN;
    if (p->states && (rc = stat_switches(&sinks[0], p->states, &res->switches)))
        goto done;
    if ((rc = bract_surrogate_plan_new(x, nt, nreg, &sp)))
        goto done;
    for (int t = 0; t < nthreads; t++)
        if (!(works[t] = bract_surrogate_work_new(sp))) {
            rc = BRACT_ENOMEM;
            goto done;
        }
    for (size_t b0 = 0; b0 < nsurr && !rc; b0 += batch) {
        size_t nb = nsurr - b0 < batch ? nsurr - b0 : batch;
#pragma omp parallel for schedule(dynamic, 1)
        for (size_t b = 0; b < nb; b++) {
            int t = omp_get_thread_num();
            size_t s = b0 + b;
            bract_surrogate_draw(sp, p->seed, p->first_stream + s, series[t], works[t]);
            bract_dfc_stats_reset(sinks[t].st);
            bstatus[b] = bract_dfc_run(plan, series[t], names, stat_window, &sinks[t], NULL);
            if (bstatus[b]) {
                snprintf(bmsg[b], sizeof bmsg[b], "surrogate %zu: %s", s + 1,
                         bract_last_error());
                continue;
            }
            fcvar[s] = bract_dfc_stats_result(sinks[t].st, NULL, bsd + b * npairs, NULL, NULL,
                                              NULL);
            sw[s] = NAN;
            if (p->states && (bstatus[b] = stat_switches(&sinks[t], p->states, &sw[s])))
                snprintf(bmsg[b], sizeof bmsg[b], "surrogate %zu: %s", s + 1,
                         bract_last_error());
        }
        for (size_t b = 0; b < nb; b++)
            if (bstatus[b]) {
                rc = bract_error(bstatus[b], "%s", bmsg[b]);
                break;
            }
        /* sums in surrogate order */
        for (size_t b = 0; b < nb && !rc; b++)
            for (size_t e = 0; e < npairs; e++) {
                double v = bsd[b * npairs + e];
                res->edge_null_mean[e] += v;
                ge[e] += v >= res->edge_std[e];
            }
        bract_progress_report(progress, b0 + nb, nsurr);
    }
    if (rc)
        goto done;
    for (size_t e = 0; e < npairs; e++) {
        res->edge_null_mean[e] /= (double)nsurr;
        res->edge_p[e] = (1.0 + (double)ge[e]) / (1.0 + (double)nsurr);
    }
    bract_fdr_bh(res->edge_p, npairs, res->edge_p_fdr, work);
    size_t fge = 0, sge = 0, sle = 0;
    double fm = 0, fss = 0, sm = 0, sss = 0;
    for (size_t s = 0; s < nsurr; s++) {
        fge += fcvar[s] >= res->fcvar;
        fm += fcvar[s];
        if (p->states) {
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
    if (p->states) {
        res->switches_null_mean = sm;
        res->switches_null_sd = nsurr > 1 ? sqrt(sss / (double)(nsurr - 1)) : NAN;
        double pg = (1.0 + (double)sge) / den, pl = (1.0 + (double)sle) / den;
        res->switches_p = fmin(1.0, 2 * fmin(pg, pl));
    } else {
        res->switches_null_mean = res->switches_null_sd = res->switches_p = NAN;
    }
done:
    bract_surrogate_plan_free(sp);
    if (sinks)
        for (int t = 0; t < nthreads; t++) {
            bract_dfc_stats_free(sinks[t].st);
            free(sinks[t].win);
        }
    free(sinks);
    if (works)
        for (int t = 0; t < nthreads; t++)
            bract_surrogate_work_free(works[t]);
    free(works);
    if (series)
        for (int t = 0; t < nthreads; t++)
            free(series[t]);
    free(series);
    free(bsd);
    free(fcvar);
    free(sw);
    free(ge);
    free(work);
    free(bstatus);
    free(bmsg);
    if (rc) {
        bract_dfc_test_result_free(res);
        return rc;
    }
    *out = res;
    return BRACT_OK;
}
