/* Intrinsic timescales: estimators, fits (cminpack), parametric bootstrap. */
#include "timescale/timescale_internal.h"

#include <math.h>
#include <omp.h>
#include <string.h>

#include <cminpack.h>
#include "bract/tsv.h"

#define LN10 2.302585092994045684

/* ---- names and flags ---- */

static const char *const method_names[] = {"exp", "exp-offset-free", "integral",
                                           "e-fold", "ar1", "knee", NULL};

const char *bract_timescale_method_name(bract_timescale_method method)
{
    return (int)method >= 0 && method <= BRACT_TAU_KNEE ? method_names[method] : "unknown";
}

int bract_timescale_method_parse(const char *s, bract_timescale_method *out)
{
    int i;
    int rc = bract_name_lookup(s, method_names, BRACT_TAU_KNEE + 1, "timescale method", &i);
    if (rc == BRACT_OK)
        *out = (bract_timescale_method)i;
    return rc;
}

static const struct {
    unsigned bit;
    const char *name;
} flag_names[] = {{BRACT_TAU_CONSTANT, "constant"},
                  {BRACT_TAU_NONFINITE, "nonfinite"},
                  {BRACT_TAU_NEG_LAG1, "negative_lag1"},
                  {BRACT_TAU_NO_DECAY, "no_decay"},
                  {BRACT_TAU_NOT_CONVERGED, "not_converged"},
                  {BRACT_TAU_OUT_OF_RANGE, "out_of_range"},
                  {BRACT_TAU_TRUNCATED, "truncated"},
                  {BRACT_TAU_BOOT_FAILED, "bootstrap_failed"}};

char *bract_timescale_flags_string(unsigned flags, char *buf, size_t n)
{
    if (n == 0)
        return buf;
    buf[0] = '\0';
    if (!flags) {
        snprintf(buf, n, "ok");
        return buf;
    }
    size_t k = 0;
    for (size_t i = 0; i < sizeof flag_names / sizeof *flag_names; i++)
        if (flags & flag_names[i].bit) {
            int w = snprintf(buf + k, n - k, "%s%s", k ? "," : "", flag_names[i].name);
            if (w < 0 || (size_t)w >= n - k)
                break;
            k += (size_t)w;
        }
    return buf;
}

void bract_timescale_opts_defaults(bract_timescale_opts *o)
{
    memset(o, 0, sizeof *o);
    o->method = BRACT_TAU_EXP;
    o->acf_norm = BRACT_ACF_BIASED;
    o->min_lag = 1;
    o->seed = 1;
}

/* ---- Levenberg-Marquardt through cminpack ---- */

/* One thread's fit workspace: up to mmax residuals, 3 parameters. */
typedef struct {
    size_t mmax;
    double *fvec, *fjac, *wa4, *e, *y;
    double diag[3], qtf[3], wa1[3], wa2[3], wa3[3];
    int ipvt[3];
} fitws;

static int fitws_init(fitws *f, size_t mmax)
{
    memset(f, 0, sizeof *f);
    f->mmax = mmax;
    f->fvec = bract_xmalloc(mmax, sizeof *f->fvec, "fit workspace");
    f->fjac = bract_xmalloc(mmax * 3, sizeof *f->fjac, "fit workspace");
    f->wa4 = bract_xmalloc(mmax, sizeof *f->wa4, "fit workspace");
    f->e = bract_xmalloc(mmax, sizeof *f->e, "fit workspace");
    f->y = bract_xmalloc(mmax, sizeof *f->y, "fit workspace");
    return f->fvec && f->fjac && f->wa4 && f->e && f->y ? BRACT_OK : BRACT_ENOMEM;
}

static void fitws_clear(fitws *f)
{
    free(f->fvec);
    free(f->fjac);
    free(f->wa4);
    free(f->e);
    free(f->y);
    memset(f, 0, sizeof *f);
}

/* Run lmder; 1 if it ended normally (info 1-4: a tolerance was met; 6-8:
 * the tolerances are too small for any further reduction, i.e. at the
 * optimum within machine precision). */
static int lm_run(fitws *f, cminpack_funcder_mn fcn, void *ctx, int m, int n, double *x)
{
    int nfev = 0, njev = 0;
    int info = lmder(fcn, ctx, m, n, x, f->fvec, f->fjac, m, 1e-15, 1e-15, 0.0, 200 * (n + 1),
                     f->diag, 1, 100.0, 0, &nfev, &njev, f->ipvt, f->qtf, f->wa1, f->wa2, f->wa3,
                     f->wa4);
    return (info >= 1 && info <= 4) || (info >= 6 && info <= 8);
}

/* R^2 (1 - SSE / SST) and RMSE of the residuals fvec of a fit to y (m
 * points); returns the SSE. */
static double fit_quality(const double *fvec, const double *y, size_t m, double *r2,
                          double *rmse)
{
    double sse = 0, sy = 0, sst = 0;
    for (size_t i = 0; i < m; i++) {
        sse += fvec[i] * fvec[i];
        sy += y[i];
    }
    double my = sy / (double)m;
    for (size_t i = 0; i < m; i++)
        sst += (y[i] - my) * (y[i] - my);
    *r2 = sst > 0 ? 1.0 - sse / sst : NAN;
    *rmse = sqrt(sse / (double)m);
    return sse;
}

/* ---- exponential fits ---- */

typedef struct {
    const double *t, *y;
    double *e;
    int offset;
} exp_ctx;

/* x = (A, u = ln tau[, C]); model A exp(-t / tau) + C. */
static int exp_fcn(void *pv, int m, int n, const double *x, double *fvec, double *fjac,
                   int ldfjac, int iflag)
{
    const exp_ctx *c = pv;
    double a = x[0], u = x[1], off = c->offset ? x[2] : 0.0;
    if (!isfinite(a) || !isfinite(u) || !isfinite(off) || u > 700 || u < -700)
        return -1;
    double inv = exp(-u);
    for (int i = 0; i < m; i++)
        c->e[i] = exp(-c->t[i] * inv);
    if (iflag == 1 || iflag == 0) {
        for (int i = 0; i < m; i++)
            fvec[i] = a * c->e[i] + off - c->y[i];
    } else {
        for (int i = 0; i < m; i++) {
            fjac[i] = c->e[i];
            fjac[i + ldfjac] = a * c->e[i] * c->t[i] * inv;
            if (n == 3)
                fjac[i + 2 * ldfjac] = 1.0;
        }
    }
    return 0;
}

/* Linear least squares for A (and C) at a fixed tau; returns the SSE. */
static double exp_profile(const double *t, const double *y, size_t m, int offset, double tau,
                          double *e, double *a, double *cc)
{
    double se = 0, see = 0, sy = 0, sey = 0;
    for (size_t i = 0; i < m; i++) {
        e[i] = exp(-t[i] / tau);
        se += e[i];
        see += e[i] * e[i];
        sy += y[i];
        sey += e[i] * y[i];
    }
    double A, C = 0;
    if (offset) {
        double det = see * (double)m - se * se;
        if (!(fabs(det) > 1e-12 * see * (double)m))
            return INFINITY;
        A = (sey * (double)m - se * sy) / det;
        C = (see * sy - se * sey) / det;
    } else {
        if (!(see > 0))
            return INFINITY;
        A = sey / see;
    }
    double sse = 0;
    for (size_t i = 0; i < m; i++) {
        double r = A * e[i] + C - y[i];
        sse += r * r;
    }
    *a = A;
    *cc = C;
    return sse;
}

#define EXP_GRID 24

static int exp_fit_ws(fitws *f, const double *t, const double *y, size_t m, int offset,
                      double tau_lo, double tau_hi, bract_timescale_expfit *out)
{
    memset(out, 0, sizeof *out);
    out->amplitude = out->tau = out->offset = out->r2 = out->rmse = NAN;
    double best = INFINITY, x[3] = {0, 0, 0};
    double lstep = log(tau_hi / tau_lo) / (EXP_GRID - 1);
    for (int g = 0; g < EXP_GRID; g++) {
        double tau = tau_lo * exp(lstep * g), a = 0, cc = 0;
        double sse = exp_profile(t, y, m, offset, tau, f->e, &a, &cc);
        if (sse < best) {
            best = sse;
            x[0] = a;
            x[1] = log(tau);
            x[2] = cc;
        }
    }
    if (!isfinite(best))
        return BRACT_ENUMERIC;
    exp_ctx c = {t, y, f->e, offset};
    int n = offset ? 3 : 2;
    int ok = lm_run(f, exp_fcn, &c, (int)m, n, x);
    int bad = exp_fcn(&c, (int)m, n, x, f->fvec, NULL, (int)m, 1);
    double sse = bad ? NAN : fit_quality(f->fvec, y, m, &out->r2, &out->rmse);
    out->amplitude = x[0];
    out->tau = exp(x[1]);
    out->offset = offset ? x[2] / x[0] : 0.0;
    out->converged = ok && isfinite(sse) && isfinite(out->tau) && isfinite(x[0]);
    return out->converged ? BRACT_OK : BRACT_ENUMERIC;
}

int bract_timescale_exp_fit(const double *t, const double *y, size_t m, int with_offset, double tau_lo,
                  double tau_hi, bract_timescale_expfit *out)
{
    memset(out, 0, sizeof *out);
    size_t need = with_offset ? 3 : 2;
    if (m < need || m > 100000000)
        return bract_error(BRACT_EINVAL, "an exponential fit%s needs at least %zu points, got %zu",
                           with_offset ? " with offset" : "", need, m);
    if (!(tau_lo > 0) || !(tau_hi > tau_lo) || !isfinite(tau_hi))
        return bract_error(BRACT_EINVAL, "bad tau range [%g, %g] for the exponential fit",
                           tau_lo, tau_hi);
    for (size_t i = 0; i < m; i++)
        if (!isfinite(t[i]) || !isfinite(y[i]))
            return bract_error(BRACT_EDATA, "non-finite value at point %zu of the fit", i);
    fitws f;
    if (fitws_init(&f, m)) {
        fitws_clear(&f);
        return BRACT_ENOMEM;
    }
    int rc = exp_fit_ws(&f, t, y, m, with_offset, tau_lo, tau_hi, out);
    fitws_clear(&f);
    if (rc)
        return bract_error(rc, "the exponential fit did not converge");
    return BRACT_OK;
}

/* ---- knee fit ---- */

typedef struct {
    const double *f, *lnf, *y;
    double chi_fixed; /* > 0: chi is not a parameter */
} knee_ctx;

/* x = (b, v = ln f_k[, chi]); model b - log10(exp(chi v) + f^chi). */
static int knee_fcn(void *pv, int m, int n, const double *x, double *fvec, double *fjac,
                    int ldfjac, int iflag)
{
    const knee_ctx *c = pv;
    double b = x[0], v = x[1], chi = n == 3 ? x[2] : c->chi_fixed;
    if (!isfinite(b) || !isfinite(v) || !(chi > 1e-3) || chi > 50 || fabs(chi * v) > 600)
        return -1;
    double kn = exp(chi * v);
    for (int i = 0; i < m; i++) {
        double fc = exp(chi * c->lnf[i]);
        double u = kn + fc;
        if (iflag == 1 || iflag == 0) {
            fvec[i] = b - log10(u) - c->y[i];
        } else {
            fjac[i] = 1.0;
            fjac[i + ldfjac] = -chi * kn / (u * LN10);
            if (n == 3)
                fjac[i + 2 * ldfjac] = -(v * kn + c->lnf[i] * fc) / (u * LN10);
        }
    }
    return 0;
}

typedef struct {
    double fk, chi, b, r2, rmse;
    int converged;
} kneefit;

#define KNEE_GRID 20

static int knee_fit_ws(fitws *f, const double *fx, const double *lnf, const double *y, size_t m,
                       double chi_fixed, kneefit *out)
{
    static const double chis[] = {1.0, 2.0, 3.0};
    size_t nchi = chi_fixed > 0 ? 1 : sizeof chis / sizeof *chis;
    double best = INFINITY, x[3] = {0, 0, 0};
    double llo = lnf[0], lhi = lnf[m - 1];
    double *fc = f->fvec; /* f^chi, free until the fit */
    for (size_t ci = 0; ci < nchi; ci++) {
        double chi = chi_fixed > 0 ? chi_fixed : chis[ci];
        for (size_t i = 0; i < m; i++)
            fc[i] = exp(chi * lnf[i]);
        for (int g = 0; g < KNEE_GRID; g++) {
            double v = llo + (lhi - llo) * g / (KNEE_GRID - 1);
            double kn = exp(chi * v), sb = 0;
            for (size_t i = 0; i < m; i++) {
                f->e[i] = log10(kn + fc[i]);
                sb += y[i] + f->e[i];
            }
            double b = sb / (double)m, sse = 0;
            for (size_t i = 0; i < m; i++) {
                double r = b - f->e[i] - y[i];
                sse += r * r;
            }
            if (sse < best) {
                best = sse;
                x[0] = b;
                x[1] = v;
                x[2] = chi;
            }
        }
    }
    knee_ctx c = {fx, lnf, y, chi_fixed};
    int n = chi_fixed > 0 ? 2 : 3;
    int ok = isfinite(best) && lm_run(f, knee_fcn, &c, (int)m, n, x);
    int bad = knee_fcn(&c, (int)m, n, x, f->fvec, NULL, (int)m, 1);
    out->r2 = out->rmse = NAN;
    double sse = bad ? NAN : fit_quality(f->fvec, y, m, &out->r2, &out->rmse);
    out->b = x[0];
    out->fk = exp(x[1]);
    out->chi = n == 3 ? x[2] : chi_fixed;
    out->converged = ok && isfinite(sse) && isfinite(out->fk);
    return out->converged ? BRACT_OK : BRACT_ENUMERIC;
}

int bract_timescale_knee_fit(const double *f, const double *psd, size_t m, double exponent,
                   bract_timescale_kneefit *out)
{
    memset(out, 0, sizeof *out);
    out->offset = out->knee = out->knee_hz = out->exponent = out->r2 = out->rmse = NAN;
    size_t need = exponent > 0 ? 3 : 4;
    if (m < need || m > 100000000)
        return bract_error(BRACT_EINVAL, "a knee fit needs at least %zu frequencies, got %zu",
                           need, m);
    if (exponent < 0 || !isfinite(exponent))
        return bract_error(BRACT_EINVAL, "the knee exponent must be positive (or 0 to fit it)");
    for (size_t i = 0; i < m; i++) {
        if (!(f[i] > 0) || !isfinite(f[i]) || (i > 0 && !(f[i] > f[i - 1])))
            return bract_error(BRACT_EINVAL,
                               "knee fit: frequencies must be positive and ascending (point %zu)",
                               i);
        if (!(psd[i] > 0) || !isfinite(psd[i]))
            return bract_error(BRACT_EDATA, "knee fit: the power at point %zu is not positive",
                               i);
    }
    fitws fw;
    double *lnf = bract_xmalloc(m, sizeof *lnf, "frequencies");
    int rc = lnf ? fitws_init(&fw, m) : BRACT_ENOMEM;
    if (!rc) {
        for (size_t i = 0; i < m; i++) {
            lnf[i] = log(f[i]);
            fw.y[i] = log10(psd[i]);
        }
        kneefit kf;
        rc = knee_fit_ws(&fw, f, lnf, fw.y, m, exponent, &kf);
        out->offset = kf.b;
        out->knee_hz = kf.fk;
        out->exponent = kf.chi;
        out->knee = pow(kf.fk, kf.chi);
        out->r2 = kf.r2;
        out->rmse = kf.rmse;
        out->converged = kf.converged;
        if (rc)
            rc = bract_error(rc, "the knee fit did not converge");
    }
    if (lnf)
        fitws_clear(&fw);
    free(lnf);
    return rc;
}

/* ---- simulation ---- */

void bract_timescale_ar1_simulate(double phi, size_t n, bract_rng *r, double *out)
{
    if (n == 0)
        return;
    double s = sqrt(1.0 - phi * phi);
    out[0] = bract_rng_normal(r);
    for (size_t t = 1; t < n; t++)
        out[t] = phi * out[t - 1] + s * bract_rng_normal(r);
}

/* ---- plans ---- */

struct bract_timescale_plan {
    bract_timescale_opts o;
    size_t nt, L;
    bract_acf_plan *acf;
    /* exp fits: lags min_lag..L */
    size_t nfit;
    double *tlag;
    /* knee: Welch bins first..last */
    int have_welch;
    bract_welch_plan welch;
    size_t kfirst, nk;
    double *kf, *klnf;
    double tau_lo, tau_hi;
};

struct bract_timescale_ws {
    bract_acf_ws *aw;
    double *acf;
    bract_welch_work ww;
    double *psd;
    double *sim, *slow;
    double *boot;
    fitws fit;
};

const bract_timescale_opts *bract_timescale_plan_opts(const bract_timescale_plan *p) { return &p->o; }

void bract_timescale_plan_range(const bract_timescale_plan *p, double *lo, double *hi)
{
    *lo = p->tau_lo;
    *hi = p->tau_hi;
}

int bract_timescale_plan_new(size_t nt, const bract_timescale_opts *opts, bract_timescale_plan **out)
{
    *out = NULL;
    bract_timescale_opts o = *opts;
    if ((int)o.method < 0 || o.method > BRACT_TAU_KNEE)
        return bract_error(BRACT_EINVAL, "unknown timescale method %d", (int)o.method);
    if (!(o.tr > 0) || !isfinite(o.tr))
        return bract_error(BRACT_EINVAL,
                           "the repetition time must be a positive number of seconds, got %g",
                           o.tr);
    if (nt < 3)
        return bract_error(BRACT_EINVAL,
                           "a timescale needs series of at least 3 samples, got %zu", nt);
    if (o.max_lag == 0)
        o.max_lag = bract_acf_default_lags(nt);
    if (o.max_lag >= nt)
        return bract_error(BRACT_EINVAL,
                           "the series have %zu samples, shorter than the maximum lag %zu + 1 "
                           "(give a maximum lag of at most %zu)",
                           nt, o.max_lag, nt - 1);
    int is_exp = o.method == BRACT_TAU_EXP || o.method == BRACT_TAU_EXP_OFFSET_FREE;
    size_t npar = o.method == BRACT_TAU_EXP ? 3 : 2;
    if (is_exp && (o.min_lag > o.max_lag || o.max_lag - o.min_lag + 1 < npar + 1))
        return bract_error(BRACT_EINVAL,
                           "the %s fit needs at least %zu lags, but lags %zu to %zu are %zu",
                           bract_timescale_method_name(o.method), npar + 1, o.min_lag, o.max_lag,
                           o.min_lag > o.max_lag ? 0 : o.max_lag - o.min_lag + 1);
    if (o.bias_correct && o.bootstrap == 0)
        return bract_error(BRACT_EINVAL, "bias correction needs bootstrap series (bootstrap > 0)");
    if (o.bootstrap > 1000000)
        return bract_error(BRACT_EINVAL, "at most 1000000 bootstrap series, got %zu",
                           o.bootstrap);
    if (o.boot_offset && o.method != BRACT_TAU_EXP)
        return bract_error(BRACT_EINVAL, "the bootstrap offset needs the exp method (its B)");
    if (o.knee_exponent < 0 || !isfinite(o.knee_exponent))
        return bract_error(BRACT_EINVAL, "the knee exponent must be positive (or 0 to fit it)");
    if (o.knee_fmax < 0 || !isfinite(o.knee_fmax))
        return bract_error(BRACT_EINVAL, "the knee band limit must be positive (or 0: Nyquist)");

    bract_timescale_plan *p = bract_xcalloc(1, sizeof *p, "timescale plan");
    if (!p)
        return BRACT_ENOMEM;
    p->nt = nt;
    p->L = o.max_lag;
    int rc = bract_acf_plan_new(nt, o.max_lag, o.acf_norm, &p->acf);
    if (rc)
        goto fail;
    p->tau_lo = o.tr / 10;
    p->tau_hi = 10.0 * (double)o.max_lag * o.tr;
    if (is_exp) {
        p->nfit = o.max_lag - o.min_lag + 1;
        p->tlag = bract_xmalloc(p->nfit, sizeof *p->tlag, "lags");
        if (!p->tlag) {
            rc = BRACT_ENOMEM;
            goto fail;
        }
        for (size_t k = 0; k < p->nfit; k++)
            p->tlag[k] = (double)(o.min_lag + k) * o.tr;
    }
    if (o.method == BRACT_TAU_KNEE) {
        if (o.welch_segment == 0) {
            size_t s = 8 * o.max_lag > 256 ? 8 * o.max_lag : 256;
            o.welch_segment = s < nt ? s : nt;
        }
        if (o.welch_segment < 16 || o.welch_segment > nt) {
            rc = bract_error(BRACT_EINVAL,
                             "the knee method needs a Welch segment of 16 to %zu samples (the "
                             "series length), got %zu",
                             nt, o.welch_segment);
            goto fail;
        }
        if ((rc = bract_welch_plan_init(&p->welch, nt, 1.0 / o.tr, o.welch_segment)))
            goto fail;
        p->have_welch = 1;
        /* bins 1 .. the last below Nyquist (and at most knee_fmax) */
        p->kfirst = 1;
        p->nk = (o.welch_segment - 1) / 2;
        if (o.knee_fmax > 0) {
            size_t nk = 0;
            while (nk < p->nk && (double)(nk + 1) / ((double)o.welch_segment * o.tr) <=
                                     o.knee_fmax * (1 + 1e-12))
                nk++;
            p->nk = nk;
        }
        if (p->nk < 4) {
            rc = bract_error(BRACT_EINVAL,
                             "the knee fit needs at least 4 frequencies, but the band up to %g Hz "
                             "holds %zu with Welch segments of %zu samples",
                             o.knee_fmax > 0 ? o.knee_fmax : 0.5 / o.tr, p->nk,
                             o.welch_segment);
            goto fail;
        }
        p->kf = bract_xmalloc(p->nk, sizeof *p->kf, "frequencies");
        p->klnf = bract_xmalloc(p->nk, sizeof *p->klnf, "frequencies");
        if (!p->kf || !p->klnf) {
            rc = BRACT_ENOMEM;
            goto fail;
        }
        for (size_t j = 0; j < p->nk; j++) {
            double fr = (double)(p->kfirst + j) / ((double)o.welch_segment * o.tr);
            p->kf[j] = o.knee_plain_axis ? fr : sin(M_PI * fr * o.tr) / (M_PI * o.tr);
            p->klnf[j] = log(p->kf[j]);
        }
        p->tau_lo = 1.0 / (2 * M_PI * p->kf[p->nk - 1]);
        p->tau_hi = 1.0 / (2 * M_PI * p->kf[0]);
    }
    p->o = o;
    *out = p;
    return BRACT_OK;
fail:
    bract_timescale_plan_free(p);
    return rc;
}

void bract_timescale_plan_free(bract_timescale_plan *p)
{
    if (!p)
        return;
    bract_acf_plan_free(p->acf);
    free(p->tlag);
    if (p->have_welch)
        bract_welch_plan_clear(&p->welch);
    free(p->kf);
    free(p->klnf);
    free(p);
}

int bract_timescale_ws_new(const bract_timescale_plan *p, bract_timescale_ws **out)
{
    *out = NULL;
    bract_timescale_ws *w = bract_xcalloc(1, sizeof *w, "timescale workspace");
    if (!w)
        return BRACT_ENOMEM;
    int rc = bract_acf_ws_new(p->acf, &w->aw);
    size_t mmax = p->L + 1 > p->nk ? p->L + 1 : p->nk;
    if (!rc)
        rc = fitws_init(&w->fit, mmax);
    if (!rc && p->have_welch) {
        rc = bract_welch_work_init(&w->ww, &p->welch);
        if (!rc && !(w->psd = bract_xmalloc(p->welch.nfreq, sizeof *w->psd, "spectrum")))
            rc = BRACT_ENOMEM;
    }
    if (!rc) {
        w->acf = bract_xmalloc(p->L + 1, sizeof *w->acf, "ACF");
        w->sim = bract_xmalloc(p->nt, sizeof *w->sim, "simulated series");
        w->slow = bract_xmalloc(p->nt, sizeof *w->slow, "simulated series");
        w->boot = bract_xmalloc(p->o.bootstrap ? p->o.bootstrap : 1, sizeof *w->boot,
                                "bootstrap estimates");
        if (!w->acf || !w->sim || !w->slow || !w->boot)
            rc = BRACT_ENOMEM;
    }
    if (rc) {
        bract_timescale_ws_free(w);
        return rc;
    }
    *out = w;
    return BRACT_OK;
}

void bract_timescale_ws_free(bract_timescale_ws *w)
{
    if (!w)
        return;
    bract_acf_ws_free(w->aw);
    free(w->acf);
    bract_welch_work_clear(&w->ww);
    free(w->psd);
    free(w->sim);
    free(w->slow);
    free(w->boot);
    fitws_clear(&w->fit);
    free(w);
}

/* ---- estimators ---- */

static void result_init(bract_timescale_result *r)
{
    r->tau_s = r->se_s = r->r2 = r->rmse = r->tau_raw_s = r->bias_s = NAN;
    r->amplitude = r->offset = r->knee_hz = r->exponent = r->rho1 = NAN;
    r->lags_summed = 0;
    r->boot_ok = 0;
    r->flags = 0;
}

/* R^2 and RMSE of exp(-k TR / tau) against the ACF at lags 1..L. */
static void implied_quality(const bract_timescale_plan *p, const double *acf, double tau,
                            bract_timescale_result *r)
{
    size_t L = p->L;
    double s = 0, sse = 0, sst = 0;
    for (size_t k = 1; k <= L; k++)
        s += acf[k];
    double m = s / (double)L;
    for (size_t k = 1; k <= L; k++) {
        double d = exp(-(double)k * p->o.tr / tau) - acf[k];
        sse += d * d;
        sst += (acf[k] - m) * (acf[k] - m);
    }
    r->r2 = sst > 0 ? 1.0 - sse / sst : NAN;
    r->rmse = sqrt(sse / (double)L);
}

static void check_range(const bract_timescale_plan *p, bract_timescale_result *r)
{
    if (!(r->tau_s >= p->tau_lo && r->tau_s <= p->tau_hi))
        r->flags |= BRACT_TAU_OUT_OF_RANGE;
}

static void from_acf(const bract_timescale_plan *p, bract_timescale_ws *w, const double *acf,
                     bract_timescale_result *r)
{
    const bract_timescale_opts *o = &p->o;
    size_t L = p->L;
    double tr = o->tr;
    r->rho1 = acf[1];
    if (!(acf[1] > 0)) {
        r->flags |= BRACT_TAU_NEG_LAG1;
        return;
    }
    switch (o->method) {
    case BRACT_TAU_EXP:
    case BRACT_TAU_EXP_OFFSET_FREE: {
        int off = o->method == BRACT_TAU_EXP;
        bract_timescale_expfit fit;
        exp_fit_ws(&w->fit, p->tlag, acf + o->min_lag, p->nfit, off, p->tau_lo, p->tau_hi, &fit);
        r->amplitude = fit.amplitude;
        r->offset = off ? fit.offset : NAN;
        r->r2 = fit.r2;
        r->rmse = fit.rmse;
        if (!fit.converged) {
            r->flags |= BRACT_TAU_NOT_CONVERGED;
            if (fit.tau > p->tau_hi) /* ran off along the tau-B valley: no decay resolved */
                r->flags |= BRACT_TAU_OUT_OF_RANGE;
            return;
        }
        if (!(fit.amplitude > 0)) {
            r->flags |= BRACT_TAU_NO_DECAY;
            return;
        }
        r->tau_s = fit.tau;
        check_range(p, r);
        return;
    }
    case BRACT_TAU_INTEGRAL: {
        size_t K = 0;
        double s = 0;
        while (K < L && acf[K + 1] > 0) {
            K++;
            s += acf[K];
        }
        r->lags_summed = K;
        if (K == L)
            r->flags |= BRACT_TAU_TRUNCATED;
        r->tau_s = tr * s;
        break;
    }
    case BRACT_TAU_EFOLD: {
        const double thr = exp(-1.0);
        size_t k = 1;
        while (k <= L && !(acf[k] < thr))
            k++;
        if (k > L) {
            r->flags |= BRACT_TAU_NO_DECAY;
            return;
        }
        double a = acf[k - 1], b = acf[k], lag;
        if (b > 0) /* linear in log(rho): exact for an exponential */
            lag = (double)(k - 1) + (log(a) + 1.0) / (log(a) - log(b));
        else
            lag = (double)(k - 1) + (a - thr) / (a - b);
        r->tau_s = tr * lag;
        break;
    }
    case BRACT_TAU_AR1:
        if (!(acf[1] < 1)) {
            r->flags |= BRACT_TAU_NO_DECAY;
            return;
        }
        r->tau_s = -tr / log(acf[1]);
        check_range(p, r);
        break;
    default:
        return;
    }
    if (!(r->flags & BRACT_TAU_FATAL))
        implied_quality(p, acf, r->tau_s, r);
}

static void from_spectrum(const bract_timescale_plan *p, bract_timescale_ws *w, const double *x,
                          bract_timescale_result *r)
{
    bract_welch_exec(&p->welch, &w->ww, x, w->psd);
    double *y = w->fit.y;
    for (size_t j = 0; j < p->nk; j++) {
        double v = w->psd[p->kfirst + j];
        if (!(v > 0) || !isfinite(v)) {
            r->flags |= BRACT_TAU_NO_DECAY;
            return;
        }
        y[j] = log10(v);
    }
    kneefit kf;
    knee_fit_ws(&w->fit, p->kf, p->klnf, y, p->nk, p->o.knee_exponent, &kf);
    r->knee_hz = kf.fk;
    r->exponent = kf.chi;
    r->r2 = kf.r2;
    r->rmse = kf.rmse;
    if (!kf.converged) {
        r->flags |= BRACT_TAU_NOT_CONVERGED;
        return;
    }
    r->tau_s = 1.0 / (2 * M_PI * kf.fk);
    check_range(p, r);
}

/* Estimate without bootstrap; the ACF is left in w->acf. */
static void estimate_plain(const bract_timescale_plan *p, bract_timescale_ws *w, const double *x,
                           bract_timescale_result *r)
{
    result_init(r);
    if (bract_acf_compute(p->acf, w->aw, x, w->acf)) {
        int nonfinite = 0;
        for (size_t t = 0; t < p->nt && !nonfinite; t++)
            nonfinite = !isfinite(x[t]);
        r->flags |= nonfinite ? BRACT_TAU_NONFINITE : BRACT_TAU_CONSTANT;
        return;
    }
    r->rho1 = w->acf[1];
    if (p->o.method == BRACT_TAU_KNEE)
        from_spectrum(p, w, x, r);
    else
        from_acf(p, w, w->acf, r);
    if (r->flags & BRACT_TAU_FATAL)
        r->tau_s = NAN;
    r->tau_raw_s = r->tau_s;
}

int bract_timescale_from_acf(const bract_timescale_plan *p, bract_timescale_ws *w, const double *acf,
                       bract_timescale_result *r)
{
    if (p->o.method == BRACT_TAU_KNEE)
        return bract_error(BRACT_EINVAL, "the knee method needs the series, not its ACF");
    result_init(r);
    for (size_t k = 0; k <= p->L; k++)
        if (!isfinite(acf[k])) {
            r->flags |= BRACT_TAU_NONFINITE;
            return BRACT_OK;
        }
    from_acf(p, w, acf, r);
    if (r->flags & BRACT_TAU_FATAL)
        r->tau_s = NAN;
    r->tau_raw_s = r->tau_s;
    return BRACT_OK;
}

/* ---- parametric bootstrap ---- */

/* Mean and SD of the estimates from `B` series simulated with timescale
 * tau (common random numbers: sample b always uses stream (seed, item,
 * b)).  Returns the number of series that gave an estimate. */
static size_t boot_eval(const bract_timescale_plan *p, bract_timescale_ws *w, uint64_t item, double tau,
                        double offset_b, double *mean, double *sd)
{
    const bract_timescale_opts *o = &p->o;
    double phi = exp(-o->tr / tau);
    double phi_slow = exp(-1.0 / (double)p->nt); /* tau_slow = series duration */
    double sslow = offset_b > 0 ? sqrt(offset_b) : 0;
    size_t ok = 0;
    for (size_t b = 0; b < o->bootstrap; b++) {
        bract_rng r;
        bract_rng_init(&r, o->seed, item, (uint32_t)b);
        bract_timescale_ar1_simulate(phi, p->nt, &r, w->sim);
        if (sslow > 0) {
            bract_timescale_ar1_simulate(phi_slow, p->nt, &r, w->slow);
            for (size_t t = 0; t < p->nt; t++)
                w->sim[t] += sslow * w->slow[t];
        }
        bract_timescale_result e;
        estimate_plain(p, w, w->sim, &e);
        if (isfinite(e.tau_s))
            w->boot[ok++] = e.tau_s;
    }
    double s = 0, ss = 0;
    for (size_t i = 0; i < ok; i++)
        s += w->boot[i];
    *mean = ok ? s / (double)ok : NAN;
    for (size_t i = 0; i < ok; i++)
        ss += (w->boot[i] - *mean) * (w->boot[i] - *mean);
    *sd = ok > 1 ? sqrt(ss / (double)(ok - 1)) : NAN;
    return ok;
}

#define BOOT_MAXEVAL 40
#define BOOT_RTOL 1e-3

static void bootstrap(const bract_timescale_plan *p, bract_timescale_ws *w, uint64_t item,
                      bract_timescale_result *r)
{
    const bract_timescale_opts *o = &p->o;
    double that = r->tau_raw_s;
    double off = o->boot_offset && isfinite(r->offset) ? r->offset : 0;
    double mean, sd;
    size_t ok = boot_eval(p, w, item, that, off, &mean, &sd);
    size_t need = (o->bootstrap + 1) / 2;
    if (!o->bias_correct) {
        r->boot_ok = ok;
        r->se_s = sd;
        if (ok < need)
            r->flags |= BRACT_TAU_BOOT_FAILED;
        return;
    }
    /* Find tau whose simulated estimates average the observed one: fixed
     * point tau <- tau * that / mean(tau), kept inside a bracket [lo, hi]
     * (mean(lo) < that < mean(hi)) and bisected in log tau when a step
     * leaves it. */
    double lo = 0, hi = INFINITY, tau = that;
    double bound_lo = p->tau_lo, bound_hi = p->tau_hi;
    int found = 0;
    for (int it = 0; it < BOOT_MAXEVAL; it++) {
        if (ok < need || !isfinite(mean))
            break;
        if (fabs(mean - that) <= BOOT_RTOL * that) {
            found = 1;
            break;
        }
        if (mean < that)
            lo = tau;
        else
            hi = tau;
        if (isfinite(hi) && lo > 0 && hi / lo - 1 <= BOOT_RTOL) {
            found = 1;
            break;
        }
        double next = tau * that / mean;
        if (!(next > lo && next < hi))
            next = lo > 0 && isfinite(hi) ? sqrt(lo * hi) : (mean < that ? tau * 2 : tau / 2);
        if (next > bound_hi || next < bound_lo)
            break; /* no tau in the measurable range reproduces the estimate */
        tau = next;
        ok = boot_eval(p, w, item, tau, off, &mean, &sd);
    }
    r->boot_ok = ok;
    if (!found || ok < need) {
        r->flags |= BRACT_TAU_BOOT_FAILED;
        r->tau_s = NAN;
        return;
    }
    r->tau_s = tau;
    r->bias_s = that - tau;
    /* delta method with the bias map taken as proportional near tau */
    r->se_s = sd * tau / that;
}

void bract_timescale_estimate(const bract_timescale_plan *p, bract_timescale_ws *w, const double *x,
                        uint64_t item, bract_timescale_result *res, double *acf)
{
    estimate_plain(p, w, x, res);
    if (acf)
        memcpy(acf, w->acf, (p->L + 1) * sizeof *acf);
    if (p->o.bootstrap > 0 && !(res->flags & BRACT_TAU_FATAL))
        bootstrap(p, w, item, res);
}

int bract_timescale_run(const bract_timescale_plan *p, size_t n, bract_series_fn get, void *ctx,
                  bract_timescale_result *res, double *acf, const bract_progress *prog)
{
    int nth = omp_get_max_threads();
    if ((size_t)nth > n)
        nth = n > 0 ? (int)n : 1;
    bract_timescale_ws **ws = bract_xcalloc((size_t)nth, sizeof *ws, "workspaces");
    double *buf = bract_xmalloc((size_t)nth * p->nt, sizeof *buf, "series buffers");
    int rc = ws && buf ? BRACT_OK : BRACT_ENOMEM;
    for (int t = 0; t < nth && !rc; t++)
        rc = bract_timescale_ws_new(p, &ws[t]);
    if (!rc) {
        size_t done = 0, L1 = p->L + 1;
#pragma omp parallel num_threads(nth)
        {
            int tid = omp_get_thread_num();
            double *x = buf + (size_t)tid * p->nt;
#pragma omp for schedule(dynamic, 4)
            for (size_t i = 0; i < n; i++) {
                get(ctx, i, x);
                bract_timescale_estimate(p, ws[tid], x, (uint64_t)i, &res[i], acf ? acf + i * L1 : NULL);
                size_t d;
#pragma omp atomic capture
                d = ++done;
                if (tid == 0)
                    bract_progress_report(prog, d, n);
            }
        }
        bract_progress_report(prog, n, n);
    }
    if (ws)
        for (int t = 0; t < nth; t++)
            bract_timescale_ws_free(ws[t]);
    free(ws);
    free(buf);
    return rc;
}

/* ---- tables ---- */

int bract_timescale_write_tsv(const char *path, int force, const bract_timescale_plan *p,
                        const char *const *names, const bract_timescale_result *res, size_t n)
{
    const bract_timescale_opts *o = &p->o;
    const char *cols[16];
    size_t nc = 0;
    static const char *const base[] = {"region", "tau_s", "se_s", "r2", "rmse", "rho1", "flags"};
    for (size_t i = 0; i < 7; i++)
        cols[nc++] = base[i];
    int boot = o->bootstrap > 0, corr = o->bias_correct;
    if (corr) {
        cols[nc++] = "tau_uncorrected_s";
        cols[nc++] = "bias_s";
    }
    if (boot)
        cols[nc++] = "boot_ok";
    switch (o->method) {
    case BRACT_TAU_EXP:
        cols[nc++] = "amplitude";
        cols[nc++] = "offset";
        break;
    case BRACT_TAU_EXP_OFFSET_FREE: cols[nc++] = "amplitude"; break;
    case BRACT_TAU_INTEGRAL: cols[nc++] = "lags_summed"; break;
    case BRACT_TAU_KNEE:
        cols[nc++] = "knee_hz";
        cols[nc++] = "exponent";
        break;
    default: break;
    }
    bract_tsv_writer *w;
    int rc = bract_tsv_open(path, force, nc, cols, &w);
    if (rc)
        return rc;
    char fl[128];
    for (size_t i = 0; i < n; i++) {
        const bract_timescale_result *r = &res[i];
        bract_tsv_str(w, names[i]);
        bract_tsv_double(w, r->tau_s);
        bract_tsv_double(w, r->se_s);
        bract_tsv_double(w, r->r2);
        bract_tsv_double(w, r->rmse);
        bract_tsv_double(w, r->rho1);
        bract_tsv_str(w, bract_timescale_flags_string(r->flags, fl, sizeof fl));
        if (corr) {
            bract_tsv_double(w, r->tau_raw_s);
            bract_tsv_double(w, r->bias_s);
        }
        if (boot)
            bract_tsv_long(w, (long long)r->boot_ok);
        switch (o->method) {
        case BRACT_TAU_EXP:
            bract_tsv_double(w, r->amplitude);
            bract_tsv_double(w, r->offset);
            break;
        case BRACT_TAU_EXP_OFFSET_FREE: bract_tsv_double(w, r->amplitude); break;
        case BRACT_TAU_INTEGRAL:
            if (isfinite(r->tau_s))
                bract_tsv_long(w, (long long)r->lags_summed);
            else
                bract_tsv_double(w, NAN);
            break;
        case BRACT_TAU_KNEE:
            bract_tsv_double(w, r->knee_hz);
            bract_tsv_double(w, r->exponent);
            break;
        default: break;
        }
        bract_tsv_end_row(w);
    }
    return bract_tsv_commit(w);
}

int bract_acf_write_tsv(const char *path, int force, const char *const *names, const double *acf,
                        size_t n, size_t max_lag)
{
    bract_tsv_writer *w;
    int rc = bract_tsv_open(path, force, n, names, &w);
    if (rc)
        return rc;
    for (size_t k = 0; k <= max_lag; k++) {
        for (size_t i = 0; i < n; i++)
            bract_tsv_double(w, acf[i * (max_lag + 1) + k]);
        bract_tsv_end_row(w);
    }
    return bract_tsv_commit(w);
}
