/* Unit tests of bract/simrsa.h: determinism (seed, threads), the truth it
 * records, the SNR it plants, the whole-brain sphere, errors; event-related
 * runs: their events, confounds, noise, and the amplitudes a GLM recovers. */
#include "testutil.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

START_TEST(deterministic)
{
    bract_simrsa_opts o;
    bract_simrsa_opts_default(&o);
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
    bract_simrsa_opts_default(&o);
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
    bract_simrsa_opts_default(&o);
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
        double v = bract_var(m, W, 0);
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
    bract_simrsa_opts_default(&o);
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
    bract_simrsa_opts_default(&o);
    o.signal_regions = 9;
    ck_assert_int_eq(bract_simrsa_new(&o, &d), BRACT_EINVAL);
    ck_assert_error_has("9 signal regions but only 8 regions");
    bract_simrsa_opts_default(&o);
    o.grid[0] = o.grid[1] = o.grid[2] = 3;
    o.regions = 20;
    ck_assert_int_eq(bract_simrsa_new(&o, &d), BRACT_EINVAL);
    ck_assert_error_has("too few for 20 regions");
    bract_simrsa_opts_default(&o);
    o.words = 2;
    ck_assert_int_eq(bract_simrsa_new(&o, &d), BRACT_EINVAL);
    ck_assert_error_has("words must be 3 to 100000");
}
END_TEST


/* ---- event-related runs ---- */

/* A small event-related design: 8 words, 2 runs, 3 regions on 10x10x8. */
static void small_bold_opts(bract_simrsa_opts *o)
{
    bract_simrsa_opts_default(o);
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
            v += bract_var(amp + e * W, W, 0) / (double)d->neffect;
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
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(simrsa_suite()); }
