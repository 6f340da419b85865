/* Unit tests of bract/simrsa.h: determinism (seed, threads), the truth it
 * records, the SNR it plants, the whole-brain sphere, errors. */
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
    return s;
}

int main(void) { return tu_run(simrsa_suite()); }
