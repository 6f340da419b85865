/* Unit tests of bract/simrsa.h: determinism (seed, threads), the truth it
 * records, the SNR it plants, the whole-brain sphere, errors; event-related
 * runs: their events, confounds, noise, and the amplitudes a GLM recovers. */
#include "testutil.h"

#include <math.h>

#include <lapacke.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

START_TEST(deterministic)
{
    bract_simrsa_opts o;
    bract_simrsa_opts_defaults(&o);
    o.subjects = 2;
    bract_simrsa *a, *b;
    ck_assert_int_eq(bract_simrsa_new(&o, &a), 0);
    ck_assert_int_eq(bract_simrsa_new(&o, &b), 0);
    ck_assert_int_eq(memcmp(a->embedding, b->embedding, a->nwords * a->dims * sizeof(double)), 0);
    ck_assert_str_eq(a->corpus, b->corpus);
    for (size_t w = 0; w < a->nwords; w++)
        for (size_t v = w + 1; v < a->nwords; v++)
            ck_assert_str_ne(a->words[w], a->words[v]);
    bract_volume *p1, *p2;
    omp_set_num_threads(1);
    ck_assert_int_eq(bract_simrsa_subject(a, 1, &p1), 0);
    omp_set_num_threads(2);
    ck_assert_int_eq(bract_simrsa_subject(b, 1, &p2), 0);
    ck_assert_int_eq(memcmp(p1->data, p2->data, p1->nvox * (size_t)p1->nt * sizeof(float)), 0);
    ck_assert_int_eq((int)p1->nt, 120);
    bract_volume *p0;
    ck_assert_int_eq(bract_simrsa_subject(a, 0, &p0), 0);
    ck_assert(memcmp(p0->data, p1->data, p1->nvox * sizeof(float)) != 0); /* subjects differ */
    bract_volume_free(p0);
    bract_volume_free(p1);
    bract_volume_free(p2);
    bract_simrsa_free(b);
    o.seed = 2;
    ck_assert_int_eq(bract_simrsa_new(&o, &b), 0);
    ck_assert(memcmp(a->embedding, b->embedding, a->nwords * a->dims * sizeof(double)) != 0);
    bract_simrsa_free(a);
    bract_simrsa_free(b);
}
END_TEST

START_TEST(truth_and_design)
{
    bract_simrsa_opts o;
    bract_simrsa_opts_defaults(&o);
    bract_simrsa *d;
    ck_assert_int_eq(bract_simrsa_new(&o, &d), 0);
    size_t total = 0, sig = 0, eff = 0;
    for (size_t g = 0; g < d->nregions; g++) {
        total += d->region_voxels[g];
        sig += (size_t)d->region_signal[g];
        eff += d->region_effect[g];
        ck_assert_int_eq((int)d->region_effect[g],
                         d->region_signal[g] ? (int)d->region_voxels[g] : 0);
    }
    ck_assert_int_eq((int)total, (int)d->nmask);
    ck_assert_int_eq((int)sig, 2);
    ck_assert_int_eq((int)eff, (int)d->neffect);
    size_t nt = 0, nm = 0;
    for (size_t i = 0; i < d->mask->nvox; i++) {
        nm += bract_volume_get(d->mask, i) != 0;
        nt += bract_volume_get(d->truth, i) != 0;
        if (bract_volume_get(d->truth, i) != 0) {
            size_t g = (size_t)bract_volume_get(d->atlas, i) - 1;
            ck_assert(d->region_signal[g]);
        }
    }
    ck_assert_int_eq((int)nm, (int)d->nmask);
    ck_assert_int_eq((int)nt, (int)d->neffect);
    /* every word once per run */
    for (size_t run = 1; run <= o.runs; run++)
        for (size_t w = 0; w < d->nwords; w++) {
            int c = 0;
            for (size_t t = 0; t < d->nvol; t++)
                c += d->vol_run[t] == run && d->vol_word[t] == w;
            ck_assert_int_eq(c, 1);
        }
    /* corpus: o.documents lines of o.doc_length known words */
    size_t lines = 0, tokens = 0;
    for (const char *p = d->corpus; *p; p++) {
        lines += *p == '\n';
        tokens += *p == ' ' || *p == '\n';
    }
    ck_assert_int_eq((int)lines, 400);
    ck_assert_int_eq((int)tokens, 400 * 24);
    char first[16];
    ck_assert_int_eq(sscanf(d->corpus, "%15s", first), 1);
    int known = 0;
    for (size_t w = 0; w < d->nwords; w++)
        known |= strcmp(first, d->words[w]) == 0;
    ck_assert(known);
    bract_simrsa_free(d);
}
END_TEST

START_TEST(snr_planted)
{
    /* with 40 runs, the variance across words of the run-averaged pattern
     * is snr + 1/40 per effect voxel on average (the noise is N(0, 1) per
     * volume); outside the effect it is 1/40.  Tolerance: 10 % (sampling
     * over 60 words and a few hundred voxels). */
    bract_simrsa_opts o;
    bract_simrsa_opts_defaults(&o);
    o.runs = 40;
    o.snr = 0.5;
    o.subjects = 1;
    bract_simrsa *d;
    ck_assert_int_eq(bract_simrsa_new(&o, &d), 0);
    bract_volume *p;
    ck_assert_int_eq(bract_simrsa_subject(d, 0, &p), 0);
    size_t W = d->nwords, nvox = p->nvox;
    double *m = malloc(W * sizeof *m);
    double veff = 0, vnull = 0;
    size_t neff = 0, nnull = 0;
    for (size_t i = 0; i < nvox; i++) {
        if (bract_volume_get(d->mask, i) == 0)
            continue;
        memset(m, 0, W * sizeof *m);
        for (size_t t = 0; t < d->nvol; t++)
            m[d->vol_word[t]] += bract_volume_get(p, i + nvox * t) / (double)o.runs;
        double v = bract_stats_var(m, W, 0);
        if (bract_volume_get(d->truth, i) != 0) {
            veff += v;
            neff++;
        } else {
            vnull += v;
            nnull++;
        }
    }
    veff /= (double)neff;
    vnull /= (double)nnull;
    ck_assert_msg(fabs(veff - (0.5 + 1.0 / 40)) < 0.1 * (0.5 + 1.0 / 40), "effect variance %g",
                  veff);
    ck_assert_msg(fabs(vnull - 1.0 / 40) < 0.1 / 40, "noise variance %g", vnull);
    /* outside the brain: zeros */
    for (size_t i = 0; i < nvox; i++)
        if (bract_volume_get(d->mask, i) == 0)
            ck_assert_double_eq(bract_volume_get(p, i), 0);
    free(m);
    bract_volume_free(p);
    bract_simrsa_free(d);
}
END_TEST

START_TEST(whole_brain_sphere)
{
    /* 64 x 64 x 40 at 3 mm: about 60,000 brain voxels; a 9 mm sphere holds
     * the 123 voxels within 3 voxels (notes/rsa.md section 8, <= r) */
    bract_simrsa_opts o;
    bract_simrsa_opts_defaults(&o);
    o.grid[0] = 64;
    o.grid[1] = 64;
    o.grid[2] = 40;
    o.regions = 48;
    o.subjects = 1;
    o.effect = BRACT_SIMRSA_SPHERE;
    o.documents = 0;
    bract_simrsa *d;
    ck_assert_int_eq(bract_simrsa_new(&o, &d), 0);
    ck_assert_msg(d->nmask > 55000 && d->nmask < 65000, "%zu brain voxels", d->nmask);
    ck_assert_int_eq((int)d->neffect, 123);
    for (size_t g = 0; g < d->nregions; g++)
        ck_assert(d->region_voxels[g] > 300); /* balanced regions */
    bract_volume *p;
    ck_assert_int_eq(bract_simrsa_subject(d, 0, &p), 0);
    ck_assert_int_eq((int)p->nt, 120);
    bract_volume_free(p);
    bract_simrsa_free(d);
    /* an explicit centre outside the brain */
    o.center[0] = 0;
    o.center[1] = 0;
    o.center[2] = 0;
    ck_assert_int_eq(bract_simrsa_new(&o, &d), BRACT_EINVAL);
    ck_assert_error_has("the sphere centre (0, 0, 0) is outside the brain");
}
END_TEST

START_TEST(bad_options)
{
    bract_simrsa_opts o;
    bract_simrsa *d;
    bract_simrsa_opts_defaults(&o);
    o.signal_regions = 9;
    ck_assert_int_eq(bract_simrsa_new(&o, &d), BRACT_EINVAL);
    ck_assert_error_has("9 signal regions but only 8 regions");
    bract_simrsa_opts_defaults(&o);
    o.grid[0] = o.grid[1] = o.grid[2] = 3;
    o.regions = 20;
    ck_assert_int_eq(bract_simrsa_new(&o, &d), BRACT_EINVAL);
    ck_assert_error_has("too few for 20 regions");
    bract_simrsa_opts_defaults(&o);
    o.words = 2;
    ck_assert_int_eq(bract_simrsa_new(&o, &d), BRACT_EINVAL);
    ck_assert_error_has("words must be 3 to 100000");
}
END_TEST


/* ---- event-related runs ---- */

/* A small event-related design: 8 words, 2 runs, 3 regions on 10x10x8. */
static void small_bold_opts(bract_simrsa_opts *o)
{
    bract_simrsa_opts_defaults(o);
    o->subjects = 2;
    o->words = 8;
    o->categories = 2;
    o->dims = 5;
    o->regions = 3;
    o->signal_regions = 1;
    o->grid[0] = o->grid[1] = 10;
    o->grid[2] = 8;
    o->documents = 0;
    o->snr = 0.5;
}

START_TEST(run_deterministic)
{
    bract_simrsa_opts o;
    small_bold_opts(&o);
    bract_simrsa *d;
    ck_assert_int_eq(bract_simrsa_new(&o, &d), 0);
    /* 6 + 7 x 4 + 1 + 16 = 51 s: 26 volumes of 2 s */
    ck_assert_int_eq((int)d->run_volumes, 26);
    bract_simrsa_run *a, *b, *c;
    bract_set_threads(1);
    ck_assert_int_eq(bract_simrsa_run_new(d, 1, 1, &a), 0);
    bract_set_threads(2);
    ck_assert_int_eq(bract_simrsa_run_new(d, 1, 1, &b), 0);
    ck_assert_int_eq(bract_simrsa_run_new(d, 1, 0, &c), 0);
    size_t nv = a->bold->nvox * a->nvol;
    ck_assert_int_eq((int)a->bold->nt, 26);
    ck_assert_double_eq(a->bold->tr, 2);
    ck_assert_int_eq(memcmp(a->bold->data, b->bold->data, nv * sizeof(float)), 0);
    ck_assert_int_eq(memcmp(a->confounds, b->confounds,
                            a->nvol * a->nconfounds * sizeof(double)), 0);
    ck_assert_int_eq(memcmp(a->event_word, b->event_word, 8 * sizeof(size_t)), 0);
    /* runs differ: their order, onsets and noise */
    ck_assert(memcmp(a->bold->data, c->bold->data, nv * sizeof(float)) != 0);
    int same_onsets = 1;
    for (size_t k = 1; k < 8; k++)
        same_onsets &= a->events->ev[k].onset == c->events->ev[k].onset;
    ck_assert(!same_onsets);
    bract_simrsa_run_free(a);
    bract_simrsa_run_free(b);
    bract_simrsa_run_free(c);
    bract_simrsa_free(d);
    bract_set_threads(0);
}
END_TEST

START_TEST(run_events_and_confounds)
{
    bract_simrsa_opts o;
    small_bold_opts(&o);
    bract_simrsa *d;
    ck_assert_int_eq(bract_simrsa_new(&o, &d), 0);
    bract_simrsa_run *r;
    ck_assert_int_eq(bract_simrsa_run_new(d, 0, 0, &r), 0);
    /* every word once; onsets from 6 s, 2 to 4 s apart, 1 ms steps */
    const bract_events *ev = r->events;
    ck_assert_int_eq((int)ev->n, 8);
    int seen[8] = {0};
    for (size_t k = 0; k < 8; k++) {
        seen[r->event_word[k]]++;
        ck_assert_str_eq(ev->ev[k].label, d->words[r->event_word[k]]);
        ck_assert_double_eq(ev->ev[k].duration, 1);
        ck_assert_int_eq((int)ev->ev[k].line, (int)k + 2);
        double ms = ev->ev[k].onset * 1000;
        ck_assert_double_eq_tol(ms, round(ms), 1e-6);
        if (k) {
            double gap = ev->ev[k].onset - ev->ev[k - 1].onset;
            ck_assert_msg(gap >= 2 - 1e-3 && gap <= 4 + 1e-3, "gap %g", gap);
        }
    }
    ck_assert_double_eq(ev->ev[0].onset, 6);
    for (int w = 0; w < 8; w++)
        ck_assert_int_eq(seen[w], 1);
    /* fMRIPrep's columns */
    ck_assert_int_eq((int)r->nconfounds, 28);
    ck_assert_str_eq(r->confound_names[0], "global_signal");
    ck_assert_str_eq(r->confound_names[3], "framewise_displacement");
    ck_assert_str_eq(r->confound_names[4], "trans_x");
    ck_assert_str_eq(r->confound_names[5], "trans_x_derivative1");
    ck_assert_str_eq(r->confound_names[27], "rot_z_derivative1_power2");
    const size_t C = r->nconfounds, n = r->nvol, nvox = r->bold->nvox;
    const float *y = r->bold->data;
    for (size_t j = 0; j < C; j++) {
        int na = strstr(r->confound_names[j], "derivative1") != NULL || j == 1 || j == 2 ||
                 j == 3;
        ck_assert_msg(isnan(r->confounds[j]) == na, "%s row 0", r->confound_names[j]);
    }
    for (size_t t = 1; t < n; t++) {
        const double *c = r->confounds + t * C, *p = c - C;
        double fd = 0, g = 0, dv = 0;
        for (int k = 0; k < 6; k++) {
            double x = c[4 + 4 * k], dx = x - p[4 + 4 * k];
            ck_assert_double_eq_tol(c[5 + 4 * k], dx, 1e-15);
            ck_assert_double_eq_tol(c[6 + 4 * k], x * x, 1e-15);
            ck_assert_double_eq_tol(c[7 + 4 * k], dx * dx, 1e-15);
            fd += fabs(dx) * (k < 3 ? 1 : 50);
        }
        ck_assert_double_eq_tol(c[3], fd, 1e-12);
        for (size_t e = 0; e < d->nmask; e++) {
            size_t i = d->brain[e];
            g += y[i + nvox * t];
            dv += ((double)y[i + nvox * t] - y[i + nvox * (t - 1)]) *
                  ((double)y[i + nvox * t] - y[i + nvox * (t - 1)]);
        }
        ck_assert_double_eq_tol(c[0], g / (double)d->nmask, 1e-9);
        ck_assert_double_eq_tol(c[2], sqrt(dv / (double)d->nmask), 1e-9);
        /* std_dvars: DVARS over the expected sd of a difference (~ sqrt 2 x 1.2) */
        ck_assert(c[1] > 0.2 && c[1] < 5);
    }
    /* outside the brain: 0 */
    for (size_t i = 0; i < nvox; i++)
        if (bract_volume_get(d->mask, i) == 0)
            ck_assert_float_eq(y[i], 0);
    bract_simrsa_run_free(r);
    bract_simrsa_free(d);
}
END_TEST

/* The motion columns of a run as a GLM confounds set (motion6). */
static bract_nuisance *motion6(const bract_simrsa_run *r)
{
    bract_nuisance *c = calloc(1, sizeof *c);
    c->nrows = r->nvol;
    c->ncols = 6;
    c->name = calloc(6, sizeof *c->name);
    c->x = malloc(r->nvol * 6 * sizeof *c->x);
    c->keep = malloc(r->nvol);
    memset(c->keep, 1, r->nvol);
    c->nkept = r->nvol;
    c->demeaned = 1;
    for (int k = 0; k < 6; k++) {
        size_t j = 4 + 4 * (size_t)k;
        c->name[k] = strdup(r->confound_names[j]);
        double mean = 0;
        for (size_t t = 0; t < r->nvol; t++)
            mean += r->confounds[t * r->nconfounds + j] / (double)r->nvol;
        for (size_t t = 0; t < r->nvol; t++)
            c->x[t * 6 + (size_t)k] = r->confounds[t * r->nconfounds + j] - mean;
    }
    return c;
}

/* Voxel-major float series of the brain voxels (as bract_glm_fit_new takes them). */
static float *brain_series(const bract_simrsa *d, const bract_simrsa_run *r)
{
    const size_t n = r->nvol, nvox = r->bold->nvox;
    float *y = malloc(d->nmask * n * sizeof *y);
    const float *b = r->bold->data;
    for (size_t e = 0; e < d->nmask; e++)
        for (size_t t = 0; t < n; t++)
            y[e * n + t] = b[d->brain[e] + nvox * t];
    return y;
}

START_TEST(glm_recovers_amplitudes)
{
    /* no noise, no drift: the OLS betas of the GLM (the same HRF, the
     * motion confounds, nilearn's cosine drift and constant) are the
     * planted amplitudes, up to the float32 storage of the BOLD (baseline 0,
     * so 1e-6 of the series' size) */
    bract_simrsa_opts o;
    small_bold_opts(&o);
    o.bold.noise_sd = 0;
    o.bold.drift_sd = 0;
    o.bold.baseline = 0;
    o.bold.motion_mm = 0.2;
    bract_init();
    bract_simrsa *d;
    ck_assert_int_eq(bract_simrsa_new(&o, &d), 0);
    double *amp;
    ck_assert_int_eq(bract_simrsa_amplitudes(d, 1, &amp), 0);
    bract_simrsa_run *r;
    ck_assert_int_eq(bract_simrsa_run_new(d, 1, 1, &r), 0);
    bract_nuisance *conf = motion6(r);
    bract_glm_design_opts dopts;
    bract_glm_design_opts_defaults(&dopts);
    bract_glm_design *des;
    ck_assert_msg(bract_glm_design_new(r->events, r->nvol, r->tr, conf, &dopts, &des) == 0, "%s",
                  bract_last_error());
    bract_glm_fit_opts fo;
    bract_glm_fit_opts_defaults(&fo);
    fo.noise = BRACT_GLM_NOISE_OLS;
    float *y = brain_series(d, r);
    bract_glm_fit *f;
    ck_assert_int_eq(bract_glm_fit_new(des, y, r->nvol, d->nmask, &fo, NULL, &f), 0);
    const size_t W = d->nwords;
    size_t neff = 0, nbad = 0;
    double worst = 0, big = 0;
    for (size_t e = 0; e < d->nmask; e++) {
        if (f->bad[e]) { /* constant voxels (no effect, no motion loading) cannot occur */
            nbad++;
            continue;
        }
        neff += bract_volume_get(d->truth, d->brain[e]) != 0;
        for (size_t w = 0; w < W; w++) {
            long j = bract_glm_design_find(des, d->words[w]);
            ck_assert_int_ge(j, 0);
            double b = f->beta[e * des->ncol + (size_t)j], a = amp[e * W + w];
            worst = fabs(b - a) > worst ? fabs(b - a) : worst;
            big = fabs(a) > big ? fabs(a) : big;
        }
    }
    ck_assert_int_eq((int)nbad, 0);
    ck_assert_int_eq((int)neff, (int)d->neffect);
    ck_assert(big > 0.1);
    printf("event-related GLM: largest |beta - amplitude| %.3g (largest amplitude %.3g)\n", worst, big);
    ck_assert_msg(worst < 1e-5, "largest |beta - amplitude| %g (largest amplitude %g)", worst,
                  big);
    /* the amplitudes: variance snr across words, averaged over the effect */
    double v = 0;
    for (size_t e = 0; e < d->nmask; e++)
        if (bract_volume_get(d->truth, d->brain[e]) != 0)
            v += bract_stats_var(amp + e * W, W, 0) / (double)d->neffect;
    ck_assert_double_eq_tol(v, 0.5, 1e-9);
    free(y);
    free(amp);
    bract_glm_fit_free(f);
    bract_glm_design_free(des);
    bract_nuisance_free(conf);
    bract_simrsa_run_free(r);
    bract_simrsa_free(d);
}
END_TEST

START_TEST(run_noise_is_ar1)
{
    /* noise alone (no signal, drift or motion): around the baseline, the
     * variance is noise_sd^2 and the lag-1 autocorrelation ar1, averaged over
     * ~600 voxels x 200 volumes (tolerances: 5 sampling sd and the O(1/n)
     * bias of the sample autocorrelation) */
    bract_simrsa_opts o;
    small_bold_opts(&o);
    o.snr = 0;
    o.bold.drift_sd = 0;
    o.bold.motion_effect = 0;
    o.bold.noise_sd = 2;
    o.bold.ar1 = 0.4;
    o.bold.volumes = 200;
    bract_simrsa *d;
    ck_assert_int_eq(bract_simrsa_new(&o, &d), 0);
    bract_simrsa_run *r;
    ck_assert_int_eq(bract_simrsa_run_new(d, 0, 0, &r), 0);
    const size_t n = r->nvol, nvox = r->bold->nvox;
    const float *y = r->bold->data;
    double var = 0, rho = 0;
    for (size_t e = 0; e < d->nmask; e++) {
        size_t i = d->brain[e];
        double s0 = 0, s1 = 0;
        for (size_t t = 0; t < n; t++) {
            double x = y[i + nvox * t] - 100.0;
            s0 += x * x;
            if (t)
                s1 += x * (y[i + nvox * (t - 1)] - 100.0);
        }
        var += s0 / (double)n / (double)d->nmask;
        rho += s1 / s0 / (double)d->nmask;
    }
    ck_assert_msg(fabs(var - 4) < 0.1, "noise variance %g", var);
    ck_assert_msg(fabs(rho - 0.4) < 0.03, "lag-1 autocorrelation %g", rho);
    bract_simrsa_run_free(r);
    bract_simrsa_free(d);
}
END_TEST

START_TEST(run_truth_for_denoising)
{
    /* --evoked shifts every word's amplitude in the effect voxels;
     * --hrf-variability gives effect voxels their own inverse-logit HRF
     * (glover's kernel without it); --structured-noise adds time courses
     * shared by voxels; all identical for any number of threads */
    bract_simrsa_opts o;
    small_bold_opts(&o);
    bract_simrsa *d0, *d1;
    ck_assert_int_eq(bract_simrsa_new(&o, &d0), 0);
    o.bold.evoked = 2.5;
    o.bold.hrf_variability = 1;
    o.bold.structured_noise = 3;
    ck_assert_int_eq(bract_simrsa_new(&o, &d1), 0);
    double *a0, *a1;
    ck_assert_int_eq(bract_simrsa_amplitudes(d0, 0, &a0), 0);
    ck_assert_int_eq(bract_simrsa_amplitudes(d1, 0, &a1), 0);
    size_t neff = 0;
    for (size_t e = 0; e < d0->nmask; e++) {
        int eff = bract_volume_get(d0->truth, d0->brain[e]) != 0;
        neff += eff;
        for (size_t w = 0; w < d0->nwords; w++)
            ck_assert(fabs(a1[e * d0->nwords + w] - a0[e * d0->nwords + w] - (eff ? 2.5 : 0)) <
                      1e-12);
    }
    ck_assert_uint_gt(neff, 10);
    free(a0);
    free(a1);
    /* HRFs: glover without variability; with it, per voxel, peaks spread */
    double *g, *k;
    size_t ng, nk;
    ck_assert_int_eq(bract_hrf_kernel(BRACT_HRF_GLOVER, 0, 0, 2.0, 50, &g, &ng), 0);
    ck_assert_int_eq(bract_simrsa_voxel_hrf(d0, 0, d0->brain[0], 2.0, 50, &k, &nk), 0);
    ck_assert_uint_eq(nk, ng);
    ck_assert(memcmp(g, k, ng * sizeof *g) == 0);
    free(k);
    double gmax = 0, lo = 1e9, hi = 0;
    for (size_t i = 0; i < ng; i++)
        gmax = fmax(gmax, g[i]);
    for (size_t e = 0; e < d1->nmask; e++) {
        ck_assert_int_eq(bract_simrsa_voxel_hrf(d1, 0, d1->brain[e], 2.0, 50, &k, &nk), 0);
        size_t b = 0;
        for (size_t i = 1; i < nk; i++)
            b = k[i] > k[b] ? i : b;
        ck_assert(fabs(k[b] - gmax) < 1e-12 * gmax);
        lo = fmin(lo, (double)b * 0.04);
        hi = fmax(hi, (double)b * 0.04);
        free(k);
    }
    ck_assert_msg(lo < 4.5 && hi > 6, "peak times %g to %g s", lo, hi);
    free(g);
    /* runs: deterministic; shared noise raises the correlation of voxels
     * without effect */
    bract_simrsa_run *r0, *r1, *r2;
    bract_set_threads(1);
    ck_assert_int_eq(bract_simrsa_run_new(d1, 1, 0, &r1), 0);
    bract_set_threads(2);
    ck_assert_int_eq(bract_simrsa_run_new(d1, 1, 0, &r2), 0);
    bract_set_threads(0);
    ck_assert_int_eq(memcmp(r1->bold->data, r2->bold->data,
                            r1->bold->nvox * r1->nvol * sizeof(float)), 0);
    ck_assert_int_eq(bract_simrsa_run_new(d0, 1, 0, &r0), 0);
    /* without effect, the two runs differ by the shared noise alone: a
     * voxels x volumes matrix of rank 3 */
    {
        const size_t nv = r0->bold->nvox, n = r0->nvol;
        size_t m = 0;
        double *D = malloc(60 * n * sizeof *D);
        for (size_t e = 0; e < d0->nmask && m < 60; e++) {
            size_t i = d0->brain[e];
            if (bract_volume_get(d0->truth, i))
                continue;
            for (size_t t = 0; t < n; t++)
                D[m * n + t] = (double)((const float *)r1->bold->data)[i + nv * t] -
                               (double)((const float *)r0->bold->data)[i + nv * t];
            m++;
        }
        size_t q = m < n ? m : n;
        double sv[64], *u = malloc(m * q * sizeof *u), *vt = malloc(q * n * sizeof *vt);
        ck_assert_int_eq(LAPACKE_dgesdd(LAPACK_ROW_MAJOR, 'S', (lapack_int)m, (lapack_int)n, D,
                                        (lapack_int)n, sv, u, (lapack_int)q, vt, (lapack_int)n),
                         0);
        free(u);
        free(vt);
        ck_assert_msg(sv[2] > 0.1 * sv[0] && sv[3] < 1e-4 * sv[0], "singular values %g %g %g "
                      "%g", sv[0], sv[1], sv[2], sv[3]);
        free(D);
    }
    bract_simrsa_run_free(r0);
    bract_simrsa_run_free(r1);
    bract_simrsa_run_free(r2);
    bract_simrsa_free(d0);
    bract_simrsa_free(d1);
    /* bad values */
    small_bold_opts(&o);
    o.bold.hrf_variability = -1;
    ck_assert_int_eq(bract_simrsa_new(&o, &d0), BRACT_EINVAL);
    ck_assert_error_has("the HRF variability 0 to 10");
}
END_TEST

START_TEST(run_bad_options)
{
    bract_simrsa_opts o;
    bract_simrsa *d;
    small_bold_opts(&o);
    o.bold.volumes = 17; /* 34 s; the last event may end at 6 + 7 x 4 + 1 = 35 s */
    ck_assert_int_eq(bract_simrsa_new(&o, &d), BRACT_EINVAL);
    ck_assert_error_has("17 volumes of 2 s (34 s) are too few for 8 words: the last event may "
                        "end at 35 s");
    small_bold_opts(&o);
    o.bold.hrf = BRACT_HRF_FIR;
    ck_assert_int_eq(bract_simrsa_new(&o, &d), BRACT_EINVAL);
    ck_assert_error_has("the simulated response is glover or spm, not fir");
    small_bold_opts(&o);
    o.bold.isi_min = 5;
    ck_assert_int_eq(bract_simrsa_new(&o, &d), BRACT_EINVAL);
    ck_assert_error_has("(got 5 to 4)");
    small_bold_opts(&o);
    o.bold.ar1 = 1;
    ck_assert_int_eq(bract_simrsa_new(&o, &d), BRACT_EINVAL);
    ck_assert_error_has("AR(1) coefficient must be 0 to 0.999");
    /* pattern volumes of many words: the default run length is no limit */
    bract_simrsa_opts_defaults(&o);
    o.words = 60000;
    o.documents = 0;
    ck_assert_int_eq(bract_simrsa_new(&o, &d), 0);
    ck_assert_int_eq((int)d->run_volumes, 120010); /* (6 + 59999 x 4 + 1 + 16) / 2 */
    bract_simrsa_free(d);
    small_bold_opts(&o);
    o.bold.volumes = 1;
    ck_assert_int_eq(bract_simrsa_new(&o, &d), BRACT_EINVAL);
    ck_assert_error_has("runs of 1 volumes: expected 2 to 1000000");
    small_bold_opts(&o);
    ck_assert_int_eq(bract_simrsa_new(&o, &d), 0);
    bract_simrsa_run *r;
    ck_assert_int_eq(bract_simrsa_run_new(d, 0, 2, &r), BRACT_EINVAL);
    ck_assert_error_has("subject 1 of 2, run 3 of 2");
    bract_simrsa_free(d);
    bract_simrsa_effect e;
    ck_assert_int_eq(bract_simrsa_effect_parse("sphere", &e), 0);
    ck_assert_int_eq(e, BRACT_SIMRSA_SPHERE);
    ck_assert_str_eq(bract_simrsa_effect_name(BRACT_SIMRSA_REGIONS), "regions");
    ck_assert_int_eq(bract_simrsa_effect_parse("cube", &e), BRACT_EINVAL);
    ck_assert_error_has("unknown effect 'cube' (expected one of regions, sphere)");
}
END_TEST

/* ---- the event-related chain under the null ---- */

/* One subject through the chain that pipelines/word-rsa-events.ini runs:
 * per run bract glm's model (glover, cosine drift, motion6 confounds,
 * AR(1), whitened residuals); per region the crossnobis RDM of the runs'
 * word betas with the precision and dof of those residuals. */
static bract_rdmset *chain_subject(const bract_simrsa *d, size_t s)
{
    const size_t W = d->nwords, R = d->o.runs, nb = d->nmask, nobs = W * R;
    bract_glm_design *des[8];
    bract_glm_fit *fit[8];
    ck_assert(R <= 8);
    bract_glm_design_opts dopts;
    bract_glm_design_opts_defaults(&dopts);
    bract_glm_fit_opts fo;
    bract_glm_fit_opts_defaults(&fo);
    fo.keep_residuals = 1;
    size_t nres = 0;
    double dof = 0;
    for (size_t r = 0; r < R; r++) {
        bract_simrsa_run *run;
        ck_assert_int_eq(bract_simrsa_run_new(d, s, r, &run), 0);
        bract_nuisance *conf = motion6(run);
        ck_assert_msg(bract_glm_design_new(run->events, run->nvol, run->tr, conf, &dopts,
                                           &des[r]) == 0, "%s", bract_last_error());
        float *y = brain_series(d, run);
        ck_assert_int_eq(bract_glm_fit_new(des[r], y, run->nvol, nb, &fo, NULL, &fit[r]), 0);
        nres += des[r]->nrow;
        dof += fit[r]->dof;
        free(y);
        bract_nuisance_free(conf);
        bract_simrsa_run_free(run);
    }
    const char *cond[64], *runs[64];
    char runname[8][4];
    ck_assert(nobs <= 64);
    for (size_t r = 0; r < R; r++) {
        snprintf(runname[r], sizeof runname[r], "%zu", r + 1);
        for (size_t w = 0; w < W; w++) {
            cond[r * W + w] = d->words[w];
            runs[r * W + w] = runname[r];
        }
    }
    bract_rdm_design *dd;
    ck_assert_int_eq(bract_rdm_design_from_labels(cond, runs, nobs, NULL, &dd), 0);
    bract_rdm_opts ro = {0};
    ro.method = BRACT_RDM_CROSSNOBIS;
    ro.noise = BRACT_NOISE_SHRINKAGE_DIAG;
    ro.noise_dof = dof;
    bract_rdm_plan *plan;
    bract_rdm_ws *ws;
    ck_assert_int_eq(bract_rdm_plan_new(dd, &ro, nb, nres, &plan), 0);
    ck_assert_int_eq(bract_rdm_ws_new(plan, &ws), 0);
    double *x = malloc(nobs * nb * sizeof *x), *res = malloc(nres * nb * sizeof *res);
    bract_rdmset *set = NULL;
    bract_rdmset_new(d->nregions, &set);
    /* crossnobis values may be negative: bract_rsa_run knows by the measure */
    ck_assert_int_eq(bract_rdmset_set_measure(set, bract_rdm_measure_name(&ro)), 0);
    for (size_t g = 0; g < d->nregions; g++) {
        size_t P = 0;
        for (size_t e = 0; e < nb; e++) {
            if (bract_volume_get(d->atlas, d->brain[e]) != (double)(g + 1))
                continue;
            size_t t0 = 0;
            for (size_t r = 0; r < R; r++) {
                const bract_glm_fit *f = fit[r];
                for (size_t w = 0; w < W; w++) {
                    long j = bract_glm_design_find(des[r], d->words[w]);
                    x[(r * W + w) * nb + P] = f->beta[e * des[r]->ncol + (size_t)j];
                }
                for (size_t t = 0; t < des[r]->nrow; t++)
                    res[(t0 + t) * nb + P] = f->resid[e * des[r]->nrow + t];
                t0 += des[r]->nrow;
            }
            P++;
        }
        ck_assert_int_eq(bract_rdmset_init_rdm(set, g, d->region_names[g], W,
                                               (const char *const *)dd->cond), 0);
        bract_rdm_noise nz = {res, nb, nres, NULL, 0};
        ck_assert_msg(bract_rdm_compute(plan, ws, x, nb, P, &nz, set->rdm[g].d, NULL) == 0, "%s",
                      bract_last_error());
    }
    free(x);
    free(res);
    bract_rdm_ws_free(ws);
    bract_rdm_plan_free(plan);
    bract_rdm_design_free(dd);
    for (size_t r = 0; r < R; r++) {
        bract_glm_fit_free(fit[r]);
        bract_glm_design_free(des[r]);
    }
    return set;
}

/* The cosine RDM of the words' embedding vectors (the model). */
static bract_rdmset *embedding_rdm(const bract_simrsa *d)
{
    const size_t W = d->nwords, D = d->dims;
    bract_rdmset *m = NULL;
    bract_rdmset_new(1, &m);
    ck_assert_int_eq(bract_rdmset_init_rdm(m, 0, "embedding", W,
                                           (const char *const *)d->words), 0);
    for (size_t i = 0, q = 0; i < W; i++)
        for (size_t j = i + 1; j < W; j++, q++) {
            const double *a = d->embedding + i * D, *b = d->embedding + j * D;
            double ab = 0, aa = 0, bb = 0;
            for (size_t k = 0; k < D; k++) {
                ab += a[k] * b[k];
                aa += a[k] * a[k];
                bb += b[k] * b[k];
            }
            m->rdm[0].d[q] = 1 - ab / sqrt(aa * bb);
        }
    return m;
}

/* A study of `subjects` through the chain, then bract rsa's group rows
 * (Spearman, one-sided t test on Fisher z, FDR over regions): p and p_fdr
 * per region. */
static void chain_study(const bract_simrsa_opts *o, double *p, double *p_fdr, int *planted)
{
    bract_simrsa *d;
    ck_assert_int_eq(bract_simrsa_new(o, &d), 0);
    const size_t S = o->subjects;
    bract_rdmset *sets[16];
    const char *names[16];
    char nbuf[16][16];
    ck_assert(S <= 16);
    for (size_t s = 0; s < S; s++) {
        sets[s] = chain_subject(d, s);
        snprintf(nbuf[s], sizeof nbuf[s], "sub-%02zu", s + 1);
        names[s] = nbuf[s];
    }
    bract_rdmset *model = embedding_rdm(d);
    const bract_rdm *models[1] = {&model->rdm[0]};
    bract_rsa_input in = {0};
    in.nsubjects = S;
    in.subject_names = names;
    in.neural = (const bract_rdmset *const *)sets;
    in.nmodels = 1;
    in.models = models;
    bract_rsa_opts ro;
    bract_rsa_opts_defaults(&ro);
    ro.permutations = 0;
    ro.group = 1;
    ro.pairwise = 0;
    bract_rsa_result *res;
    ck_assert_msg(bract_rsa_run(&in, &ro, &res) == 0, "%s", bract_last_error());
    for (size_t k = 0; k < res->nrows; k++) {
        const bract_rsa_row *row = &res->rows[k];
        if (row->level != BRACT_RSA_GROUP)
            continue;
        long g = bract_rdmset_find(sets[0], res->regions[row->region]);
        p[g] = row->p;
        p_fdr[g] = row->p_fdr;
        planted[g] = d->region_signal[g];
    }
    bract_rsa_result_free(res);
    bract_rdmset_free(model);
    for (size_t s = 0; s < S; s++)
        bract_rdmset_free(sets[s]);
    bract_simrsa_free(d);
}

/* 8 subjects, 10 words in 2 runs of 30 volumes, 3 regions on 8x8x6. */
static void chain_opts(bract_simrsa_opts *o, uint64_t seed)
{
    bract_simrsa_opts_defaults(o);
    o->subjects = 8;
    o->words = 10;
    o->categories = 2;
    o->dims = 5;
    o->regions = 3;
    o->signal_regions = 0;
    o->grid[0] = o->grid[1] = 8;
    o->grid[2] = 6;
    o->documents = 0;
    o->seed = seed;
}

/* Binomial(n, q): the smallest k with P(X <= k) >= a (the a-quantile). */
static int binom_quantile(int n, double q, double a)
{
    double pk = pow(1 - q, n), cdf = pk;
    int k = 0;
    while (cdf < a && k < n) {
        pk *= (double)(n - k) / (double)(k + 1) * q / (1 - q);
        cdf += pk;
        k++;
    }
    return k;
}

START_TEST(null_chain_nominal_rate)
{
    /* 200 event-related studies without planted geometry: each region's
     * group test (8 subjects) rejects at alpha 0.05 as often as it should.
     * The count over 200 x 3 tests must lie within the central 99.9 % of
     * Binomial(600, 0.05) (regions of one study share the subjects'
     * designs but not their noise, so the tests are independent under the
     * null up to that).  One thread: the problems are tiny. */
    bract_init();
    bract_set_threads(1);
    const int nsim = 200, R = 3, n = nsim * R;
    int fp = 0, fp_fdr = 0;
    for (int k = 0; k < nsim; k++) {
        bract_simrsa_opts o;
        chain_opts(&o, (uint64_t)k + 1);
        double p[3], q[3];
        int planted[3], any = 0;
        chain_study(&o, p, q, planted);
        for (int g = 0; g < R; g++) {
            fp += p[g] < 0.05;
            any |= q[g] < 0.05;
        }
        fp_fdr += any;
    }
    int lo = binom_quantile(n, 0.05, 0.0005), hi = binom_quantile(n, 0.05, 0.9995);
    int hi_fdr = binom_quantile(nsim, 0.05, 0.9995);
    printf("null event-related studies: %d of %d region tests at p < 0.05 (expected %d, 99.9%% "
           "bounds %d to %d); %d of %d studies with a region after FDR (bound %d)\n", fp, n,
           n / 20, lo, hi, fp_fdr, nsim, hi_fdr);
    ck_assert_msg(fp >= lo && fp <= hi, "%d false positives in %d tests, outside [%d, %d]", fp,
                  n, lo, hi);
    /* under the global null, BH's FDR is the chance of any rejection: at
     * most alpha per study */
    ck_assert_int_le(fp_fdr, hi_fdr);
}
END_TEST

START_TEST(planted_chain_detected)
{
    /* the same studies with one region carrying the embedding's geometry
     * (SNR 3, the event-related default): that region comes out after FDR
     * in most of 20 studies, the others rarely */
    bract_init();
    bract_set_threads(1);
    int hit = 0, other = 0;
    for (int k = 0; k < 20; k++) {
        bract_simrsa_opts o;
        chain_opts(&o, (uint64_t)k + 1001);
        o.signal_regions = 1;
        o.snr = 3;
        double p[3], q[3];
        int planted[3];
        chain_study(&o, p, q, planted);
        for (int g = 0; g < 3; g++) {
            if (planted[g])
                hit += q[g] < 0.05;
            else
                other += q[g] < 0.05;
        }
    }
    printf("planted event-related studies: the planted region after FDR in %d of 20, a null "
           "region in %d of 40\n", hit, other);
    ck_assert_int_ge(hit, 16);
    ck_assert_int_le(other, 6);
}
END_TEST

static Suite *simrsa_suite(void)
{
    Suite *s = suite_create("simrsa");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, deterministic);
    tcase_add_test(tc, truth_and_design);
    tcase_add_test(tc, snr_planted);
    tcase_add_test(tc, whole_brain_sphere);
    tcase_add_test(tc, bad_options);
    suite_add_tcase(s, tc);
    tc = tcase_create("event-related");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, run_deterministic);
    tcase_add_test(tc, run_events_and_confounds);
    tcase_add_test(tc, glm_recovers_amplitudes);
    tcase_add_test(tc, run_noise_is_ar1);
    tcase_add_test(tc, run_bad_options);
    tcase_add_test(tc, run_truth_for_denoising);
    suite_add_tcase(s, tc);
    tc = tcase_create("chain");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, null_chain_nominal_rate);
    tcase_add_test(tc, planted_chain_detected);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(simrsa_suite()); }
