/* Synthetic switching-connectivity data (see bract/dfcsim.h). */
#include "base/internal.h"

#include <math.h>
#include <string.h>

#include <lapacke.h>

/* Random streams of the simulation: substream tags. */
#define SIM_STATES 0x44000000u
#define SIM_SEQUENCE 0x44100000u
#define SIM_SWITCHING 0x44200000u
#define SIM_NULL 0x44300000u
#define SIM_VOXELS 0x44400000u

void bract_dfcsim_opts_defaults(bract_dfcsim_opts *p)
{
    p->nreg = 16;
    p->nstates = 3;
    p->nmodules = 3;
    p->nt = 1200;
    p->dwell = 120;
    p->rho = 0.6;
    p->phi = 0.5;
    p->seed = 1;
}

static int check_params(const bract_dfcsim_opts *p)
{
    if (p->nreg < 2)
        return bract_error(BRACT_EINVAL, "at least 2 regions are needed (got %zu)", p->nreg);
    if (p->nstates < 1)
        return bract_error(BRACT_EINVAL, "at least 1 state is needed");
    if (p->nmodules < 1 || p->nmodules > p->nreg)
        return bract_error(BRACT_EINVAL, "%zu modules for %zu regions (expected 1 to %zu)",
                           p->nmodules, p->nreg, p->nreg);
    if (!(p->rho >= 0 && p->rho < 1))
        return bract_error(BRACT_EINVAL, "rho must be in [0, 1) (got %g)", p->rho);
    if (!(p->phi > -1 && p->phi < 1))
        return bract_error(BRACT_EINVAL, "phi must be in (-1, 1) (got %g)", p->phi);
    if (!(p->dwell >= 1) || !isfinite(p->dwell))
        return bract_error(BRACT_EINVAL, "the mean dwell time must be at least 1 volume "
                           "(got %g)", p->dwell);
    if (p->nt < 2)
        return bract_error(BRACT_EINVAL, "at least 2 volumes are needed (got %zu)", p->nt);
    return BRACT_OK;
}

void bract_dfcsim_states_free(bract_dfcsim_states *s)
{
    if (!s)
        return;
    free(s->corr);
    free(s->module);
    free(s);
}

int bract_dfcsim_states_new(const bract_dfcsim_opts *p, bract_dfcsim_states **out)
{
    *out = NULL;
    int rc = check_params(p);
    if (rc)
        return rc;
    size_t n = p->nreg, K = p->nstates, M = p->nmodules;
    bract_dfcsim_states *s = bract_xcalloc(1, sizeof *s, "simulated states");
    if (!s)
        return BRACT_ENOMEM;
    s->nreg = n;
    s->nstates = K;
    s->nmodules = M;
    s->corr = bract_xmalloc(K * n * n, sizeof *s->corr, "simulated states");
    s->module = bract_xmalloc(K * n, sizeof *s->module, "simulated states");
    size_t *perm = bract_xmalloc(n, sizeof *perm, "a permutation");
    if (!s->corr || !s->module || !perm) {
        free(perm);
        bract_dfcsim_states_free(s);
        return BRACT_ENOMEM;
    }
    bract_rng rng;
    for (size_t k = 0; k < K; k++) {
        size_t *mk = s->module + k * n;
        /* a partition unlike the earlier states' (ARI < 0.5), if one can be
         * found (with one module every partition is the same) */
        for (uint32_t attempt = 0; attempt < 1000; attempt++) {
            bract_rng_init(&rng, p->seed, k, SIM_STATES | attempt);
            bract_rng_permutation(&rng, perm, n);
            for (size_t j = 0; j < n; j++)
                mk[perm[j]] = j % M;
            int distinct = 1;
            for (size_t k2 = 0; k2 < k && distinct; k2++)
                if (bract_kmeans_adjusted_rand(mk, s->module + k2 * n, n) >= 0.5)
                    distinct = 0;
            if (distinct || M == 1)
                break;
        }
        double *c = s->corr + k * n * n;
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++)
                c[i * n + j] = i == j ? 1.0 : mk[i] == mk[j] ? p->rho : 0.0;
    }
    free(perm);
    *out = s;
    return BRACT_OK;
}

void bract_dfcsim_subject_free(bract_dfcsim_subject *s)
{
    if (!s)
        return;
    free(s->x);
    free(s->null);
    free(s->state);
    free(s->seg_start);
    free(s->seg_len);
    free(s->seg_state);
    free(s->avg_cov);
    free(s);
}

/* Lower Cholesky factor of an n x n matrix (row-major, copied). */
static int cholesky(const double *a, size_t n, double *l)
{
    memcpy(l, a, n * n * sizeof *l);
    if (LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', (lapack_int)n, l, (lapack_int)n) != 0)
        return bract_error(BRACT_ENUMERIC, "a simulated covariance is not positive definite");
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            l[i * n + j] = 0;
    return BRACT_OK;
}

/* AR(1) innovations of unit variance mixed by the factor of each volume. */
static void mix(const bract_dfcsim_opts *p, size_t subject, uint32_t tag,
                const double *factors, const size_t *which, double *x, double *e)
{
    size_t n = p->nreg, nt = p->nt;
    double a = sqrt(1 - p->phi * p->phi);
    bract_rng rng;
    bract_rng_init(&rng, p->seed, subject, tag);
    for (size_t t = 0; t < nt; t++) {
        for (size_t i = 0; i < n; i++) {
            double u = bract_rng_normal(&rng);
            e[i] = t == 0 ? u : p->phi * e[i] + a * u;
        }
        const double *L = factors + (which ? which[t] : 0) * n * n;
        for (size_t i = 0; i < n; i++) {
            double v = 0;
            for (size_t j = 0; j <= i; j++)
                v += L[i * n + j] * e[j];
            x[i * nt + t] = v;
        }
    }
}

int bract_dfcsim_subject_new(const bract_dfcsim_opts *p, const bract_dfcsim_states *st,
                             size_t subject, bract_dfcsim_subject **out)
{
    *out = NULL;
    int rc = check_params(p);
    if (rc)
        return rc;
    if (st->nreg != p->nreg || st->nstates != p->nstates)
        return bract_error(BRACT_EINVAL, "the states were made for other parameters");
    size_t n = p->nreg, nt = p->nt, K = p->nstates;
    bract_dfcsim_subject *s = bract_xcalloc(1, sizeof *s, "a simulated subject");
    if (!s)
        return BRACT_ENOMEM;
    s->nt = nt;
    s->nreg = n;
    s->x = bract_xmalloc(nt * n, sizeof *s->x, "a simulated series");
    s->null = bract_xmalloc(nt * n, sizeof *s->null, "a simulated series");
    s->state = bract_xmalloc(nt, sizeof *s->state, "a state sequence");
    s->seg_start = bract_xmalloc(nt, sizeof *s->seg_start, "segments");
    s->seg_len = bract_xmalloc(nt, sizeof *s->seg_len, "segments");
    s->seg_state = bract_xmalloc(nt, sizeof *s->seg_state, "segments");
    s->avg_cov = bract_xcalloc(n * n, sizeof *s->avg_cov, "a covariance");
    double *factors = bract_xmalloc(K * n * n, sizeof *factors, "Cholesky factors");
    double *e = bract_xmalloc(n, sizeof *e, "innovations");
    if (!s->x || !s->null || !s->state || !s->seg_start || !s->seg_len || !s->seg_state ||
        !s->avg_cov || !factors || !e) {
        rc = BRACT_ENOMEM;
        goto done;
    }
    /* the sequence of segments */
    bract_rng rng;
    bract_rng_init(&rng, p->seed, subject, SIM_SEQUENCE);
    size_t t = 0, cur = (size_t)bract_rng_below(&rng, K);
    while (t < nt) {
        double u = 0.5 + bract_rng_uniform(&rng);
        size_t len = (size_t)floor(p->dwell * u + 0.5);
        if (len < 1)
            len = 1;
        if (len > nt - t)
            len = nt - t;
        s->seg_start[s->nseg] = t;
        s->seg_len[s->nseg] = len;
        s->seg_state[s->nseg] = cur;
        s->nseg++;
        for (size_t j = 0; j < len; j++)
            s->state[t + j] = cur;
        t += len;
        if (K > 1) { /* uniform among the other states */
            size_t next = (size_t)bract_rng_below(&rng, K - 1);
            cur = next >= cur ? next + 1 : next;
        }
    }
    for (size_t k = 0; k < K && !rc; k++)
        rc = cholesky(st->corr + k * n * n, n, factors + k * n * n);
    if (rc)
        goto done;
    mix(p, subject, SIM_SWITCHING, factors, s->state, s->x, e);
    /* the null: average covariance over this subject's volumes */
    for (size_t k = 0; k < K; k++) {
        size_t cnt = 0;
        for (size_t v = 0; v < nt; v++)
            cnt += s->state[v] == k;
        double f = (double)cnt / (double)nt;
        for (size_t i = 0; i < n * n; i++)
            s->avg_cov[i] += f * st->corr[k * n * n + i];
    }
    if ((rc = cholesky(s->avg_cov, n, factors)))
        goto done;
    mix(p, subject, SIM_NULL, factors, NULL, s->null, e);
done:
    free(factors);
    free(e);
    if (rc) {
        bract_dfcsim_subject_free(s);
        return rc;
    }
    *out = s;
    return BRACT_OK;
}

int bract_dfcsim_volume(const bract_dfcsim_opts *p, const bract_dfcsim_subject *s,
                        size_t subject, double tr, double noise_sd, bract_volume **bold,
                        bract_volume **atlas)
{
    *bold = *atlas = NULL;
    if (!(noise_sd >= 0) || !isfinite(noise_sd))
        return bract_error(BRACT_EINVAL, "the voxel noise sd must be >= 0 (got %g)", noise_sd);
    size_t n = s->nreg, nt = s->nt;
    int64_t dims[4] = {(int64_t)(2 * n + 2), 4, 4, (int64_t)nt}, d3[4] = {dims[0], 4, 4, 1};
    const double vox[3] = {3, 3, 3};
    int rc = bract_volume_new(dims, vox, NULL, tr, BRACT_F32, bold);
    if (!rc)
        rc = bract_volume_new(d3, vox, NULL, 0, BRACT_F32, atlas);
    if (rc) {
        bract_volume_free(*bold);
        *bold = NULL;
        return rc;
    }
    size_t nx = (size_t)dims[0], nvox = (*bold)->nvox;
    bract_rng rng;
    bract_rng_init(&rng, p->seed, subject, SIM_VOXELS);
    for (size_t z = 1; z <= 2; z++)
        for (size_t y = 1; y <= 2; y++)
            for (size_t x = 1; x <= 2 * n; x++) {
                size_t v = x + nx * (y + 4 * z), r = (x - 1) / 2;
                bract_volume_set(*atlas, v, (double)(r + 1));
                for (size_t t = 0; t < nt; t++)
                    bract_volume_set(*bold, v + nvox * t,
                                     100.0 + s->x[r * nt + t] +
                                         noise_sd * bract_rng_normal(&rng));
            }
    return BRACT_OK;
}
