/* Contrasts of fitted GLMs: expressions, t and F statistics, fixed effects
 * over runs (bract/glm.h). */
#include "glm/glm_internal.h"

#include <ctype.h>
#include <math.h>
#include <string.h>

#include <lapacke.h>

int bract_glm_stat_parse(const char *s, bract_glm_stat *out)
{
    if ((s[0] == 't' || s[0] == 'T') && !s[1])
        *out = BRACT_GLM_STAT_T;
    else if ((s[0] == 'f' || s[0] == 'F') && !s[1])
        *out = BRACT_GLM_STAT_F;
    else
        return bract_error(BRACT_EINVAL, "unknown statistic '%s': expected t or F", s);
    return BRACT_OK;
}

const char *bract_glm_stat_name(bract_glm_stat s)
{
    return s == BRACT_GLM_STAT_T ? "t" : s == BRACT_GLM_STAT_F ? "F" : "unknown";
}

/* ---- expressions ---- */

typedef struct {
    const char *expr, *s;      /* the whole expression and the cursor */
    const char *const *names;
    size_t ncol;
    int rc;
} parser;

typedef struct {
    int vec;       /* 1: a combination of columns, 0: a number */
    double num;
    double *v;     /* ncol values when vec */
} value;

static void skip_ws(parser *p)
{
    while (*p->s == ' ' || *p->s == '\t')
        p->s++;
}

static int perr(parser *p, const char *what)
{
    if (!p->rc) {
        if (*p->s)
            p->rc = bract_error(BRACT_EINVAL, "contrast '%s': %s at character %d ('%s')",
                                p->expr, what, (int)(p->s - p->expr) + 1, p->s);
        else
            p->rc = bract_error(BRACT_EINVAL, "contrast '%s': %s at the end", p->expr, what);
    }
    return p->rc;
}

static int is_name_char(unsigned char ch, int first)
{
    return ch == '_' || isalpha(ch) || ch >= 0x80 || (!first && isdigit(ch));
}

static void val_free(value *a)
{
    free(a->v);
    a->v = NULL;
}

static int expr_sum(parser *p, value *out);

static int lookup(parser *p, const char *name, size_t len, value *out)
{
    for (size_t j = 0; j < p->ncol; j++)
        if (strlen(p->names[j]) == len && memcmp(p->names[j], name, len) == 0) {
            out->vec = 1;
            out->v = bract_xcalloc(p->ncol, sizeof *out->v, "a contrast");
            if (!out->v)
                return p->rc = BRACT_ENOMEM;
            out->v[j] = 1.0;
            return BRACT_OK;
        }
    bract_buf b = {0};
    for (size_t j = 0; j < p->ncol && j < 60; j++)
        bract_buf_printf(&b, "%s%s", j ? ", " : "", p->names[j]);
    if (p->ncol > 60)
        bract_buf_printf(&b, ", ... (%zu in all)", p->ncol);
    p->rc = bract_error(BRACT_EINVAL, "contrast '%s': unknown condition '%.*s' (the design's "
                        "columns are: %s)", p->expr, (int)len, name, b.data ? b.data : "");
    bract_buf_free(&b);
    return p->rc;
}

static int primary(parser *p, value *out)
{
    skip_ws(p);
    unsigned char ch = (unsigned char)*p->s;
    memset(out, 0, sizeof *out);
    if (ch == '(') {
        p->s++;
        if (expr_sum(p, out))
            return p->rc;
        skip_ws(p);
        if (*p->s != ')') {
            val_free(out);
            return perr(p, "expected ')'");
        }
        p->s++;
        return BRACT_OK;
    }
    if (isdigit(ch) || (ch == '.' && isdigit((unsigned char)p->s[1]))) {
        char *end;
        out->num = strtod(p->s, &end);
        p->s = end;
        return BRACT_OK;
    }
    if (ch == '`') {
        const char *a = ++p->s;
        while (*p->s && *p->s != '`')
            p->s++;
        if (!*p->s)
            return perr(p, "unterminated `name`");
        size_t len = (size_t)(p->s - a);
        p->s++;
        return lookup(p, a, len, out);
    }
    if (is_name_char(ch, 1)) {
        const char *a = p->s;
        while (is_name_char((unsigned char)*p->s, 0))
            p->s++;
        return lookup(p, a, (size_t)(p->s - a), out);
    }
    return perr(p, "expected a condition name, a number or '('");
}

static int unary(parser *p, value *out)
{
    skip_ws(p);
    if (*p->s == '-' || *p->s == '+') {
        int neg = *p->s == '-';
        p->s++;
        if (unary(p, out))
            return p->rc;
        if (neg) {
            if (out->vec)
                for (size_t j = 0; j < p->ncol; j++)
                    out->v[j] = -out->v[j];
            else
                out->num = -out->num;
        }
        return BRACT_OK;
    }
    if (primary(p, out))
        return p->rc;
    skip_ws(p);
    if (p->s[0] == '*' && p->s[1] == '*') {
        val_free(out);
        return perr(p, "powers are not linear");
    }
    return BRACT_OK;
}

static int expr_prod(parser *p, value *out)
{
    if (unary(p, out))
        return p->rc;
    for (;;) {
        skip_ws(p);
        char op = *p->s;
        if (op != '*' && op != '/')
            return BRACT_OK;
        const char *at = p->s++;
        value b;
        if (unary(p, &b)) {
            val_free(out);
            return p->rc;
        }
        if (op == '*') {
            if (out->vec && b.vec) {
                val_free(out);
                val_free(&b);
                p->s = at;
                return perr(p, "a product of two conditions is not linear");
            }
            if (b.vec) { /* number * combination */
                for (size_t j = 0; j < p->ncol; j++)
                    b.v[j] = out->num * b.v[j];
                *out = b;
            } else if (out->vec) {
                for (size_t j = 0; j < p->ncol; j++)
                    out->v[j] = out->v[j] * b.num;
            } else {
                out->num *= b.num;
            }
        } else {
            if (b.vec) {
                val_free(out);
                val_free(&b);
                p->s = at;
                return perr(p, "division by a condition is not linear");
            }
            if (out->vec)
                for (size_t j = 0; j < p->ncol; j++)
                    out->v[j] = out->v[j] / b.num;
            else
                out->num /= b.num;
        }
    }
}

static int expr_sum(parser *p, value *out)
{
    if (expr_prod(p, out))
        return p->rc;
    for (;;) {
        skip_ws(p);
        char op = *p->s;
        if (op != '+' && op != '-')
            return BRACT_OK;
        const char *at = p->s++;
        value b;
        if (expr_prod(p, &b)) {
            val_free(out);
            return p->rc;
        }
        if (out->vec != b.vec) {
            val_free(out);
            val_free(&b);
            p->s = at;
            return perr(p, "a number added to a condition (write 2*a, not a+2)");
        }
        if (out->vec) {
            for (size_t j = 0; j < p->ncol; j++)
                out->v[j] = op == '+' ? out->v[j] + b.v[j] : out->v[j] - b.v[j];
            val_free(&b);
        } else {
            out->num = op == '+' ? out->num + b.num : out->num - b.num;
        }
    }
}

int bract_glm_contrast_vector(const char *expr, const char *const *names, size_t ncol,
                              double *out)
{
    for (size_t j = 0; j < ncol; j++)
        out[j] = 0;
    /* a column name alone, whatever its characters (nilearn checks this first) */
    for (size_t j = 0; j < ncol; j++)
        if (strcmp(expr, names[j]) == 0) {
            out[j] = 1.0;
            return BRACT_OK;
        }
    parser p = {expr, expr, names, ncol, 0};
    value v;
    if (expr_sum(&p, &v))
        return p.rc;
    skip_ws(&p);
    if (*p.s) {
        val_free(&v);
        return perr(&p, "unexpected text");
    }
    if (!v.vec)
        return bract_error(BRACT_EINVAL, "contrast '%s' names no condition", expr);
    int finite = 1;
    for (size_t j = 0; j < ncol; j++) {
        out[j] = v.v[j];
        finite &= isfinite(out[j]) != 0;
    }
    val_free(&v);
    if (!finite)
        return bract_error(BRACT_EINVAL, "contrast '%s' has a non-finite weight (a division by "
                           "zero?)", expr);
    return BRACT_OK;
}

/* ---- statistics ---- */

void bract_glm_contrast_free(bract_glm_contrast *c)
{
    if (!c)
        return;
    free(c->effect);
    free(c->variance);
    free(c->value);
    free(c->p);
    free(c->z);
    free(c);
}

double bract_glm_z_from_p(double p, double q)
{
    if (isnan(p) || isnan(q))
        return NAN;
    const double lo = 1e-300, hi = 1.0 - 1e-16;
    p = p < lo ? lo : p > hi ? hi : p;
    double z = bract_stats_norm_isf(p);
    if (z < 0) {
        q = q < lo ? lo : q > hi ? hi : q;
        z = bract_stats_norm_ppf(q);
    }
    return z;
}

/* S = inv(M)^(1/2) for a symmetric positive definite q x q M (in place). */
static int inv_sqrt_sym(double *M, size_t q)
{
    double *w = bract_xmalloc(q + q * q, sizeof *w, "an eigen-decomposition");
    if (!w)
        return BRACT_ENOMEM;
    double *V = w + q;
    memcpy(V, M, q * q * sizeof *V);
    lapack_int info = LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'V', 'U', (lapack_int)q, V, (lapack_int)q, w);
    int rc = BRACT_OK;
    if (info != 0 || !(w[0] > 0)) {
        rc = bract_error(BRACT_ENUMERIC, "the F contrast's covariance is not positive definite "
                         "(are its rows linearly dependent?)");
    } else {
        for (size_t i = 0; i < q; i++)
            for (size_t j = 0; j < q; j++) {
                double s = 0;
                for (size_t k = 0; k < q; k++)
                    s += V[i * q + k] * V[j * q + k] / sqrt(w[k]);
                M[i * q + j] = s;
            }
    }
    free(w);
    return rc;
}

int bract_glm_contrast_new(const bract_glm_design *const *designs,
                           const bract_glm_fit *const *fits, size_t nruns,
                           const char *const *exprs, size_t nexpr, bract_glm_stat stat,
                           bract_glm_contrast **out)
{
    *out = NULL;
    if (nruns == 0 || nexpr == 0)
        return bract_error(BRACT_EINVAL, "a contrast needs at least one run and one expression");
    if (stat == BRACT_GLM_STAT_T && nexpr > 1)
        return bract_error(BRACT_EINVAL, "a t contrast has one expression (got %zu): use an F "
                           "contrast", nexpr);
    const size_t nvox = fits[0]->nvox, q = nexpr;
    for (size_t r = 1; r < nruns; r++)
        if (fits[r]->nvox != nvox)
            return bract_error(BRACT_EINVAL, "run %zu has %zu voxels, run 1 %zu", r + 1,
                               fits[r]->nvox, nvox);
    bract_glm_contrast *c = bract_xcalloc(1, sizeof *c, "a contrast");
    if (!c)
        return BRACT_ENOMEM;
    const int isf = stat == BRACT_GLM_STAT_F;
    c->stat = stat;
    c->dim = q;
    c->nvox = nvox;
    c->effect = bract_xcalloc(q * nvox, sizeof *c->effect, "contrast effects");
    c->variance = bract_xcalloc(nvox, sizeof *c->variance, "contrast variances");
    c->value = bract_xmalloc(nvox, sizeof *c->value, "a statistic map");
    c->p = bract_xmalloc(nvox, sizeof *c->p, "a p map");
    c->z = bract_xmalloc(nvox, sizeof *c->z, "a z map");
    int rc = BRACT_OK;
    double *C = NULL, *M = NULL, *cb = NULL;
    if (!c->effect || !c->variance || !c->value || !c->p || !c->z) {
        rc = BRACT_ENOMEM;
        goto fail;
    }
    for (size_t r = 0; r < nruns && !rc; r++) {
        const bract_glm_design *d = designs[r];
        const bract_glm_fit *f = fits[r];
        const size_t p = d->ncol;
        free(C);
        C = bract_xmalloc(q * p, sizeof *C, "a contrast matrix");
        free(M);
        M = bract_xmalloc(f->nmodels * q * q, sizeof *M, "contrast covariances");
        free(cb);
        cb = bract_xmalloc(q, sizeof *cb, "a contrast");
        if (!C || !M || !cb) {
            rc = BRACT_ENOMEM;
            break;
        }
        for (size_t k = 0; k < q && !rc; k++)
            if ((rc = bract_glm_contrast_vector(exprs[k], (const char *const *)d->name, p,
                                                C + k * p)))
                bract_error_context(rc, "run %zu", r + 1);
        if (rc)
            break;
        int null = 1;
        for (size_t k = 0; k < q * p; k++)
            null &= C[k] == 0;
        if (null) {
            bract_warn("the contrast is null in run %zu: the run is left out of it", r + 1);
            continue;
        }
        /* per model: C cov C' (and, for F, its inverse square root) */
        for (size_t m = 0; m < f->nmodels && !rc; m++) {
            const double *cov = f->model_cov + m * p * p;
            for (size_t a = 0; a < q; a++)
                for (size_t b = 0; b < q; b++) {
                    double s = 0;
                    for (size_t i = 0; i < p; i++) {
                        double t = 0;
                        for (size_t j = 0; j < p; j++)
                            t += cov[i * p + j] * C[b * p + j];
                        s += C[a * p + i] * t;
                    }
                    M[m * q * q + a * q + b] = s;
                }
            if (isf)
                rc = inv_sqrt_sym(M + m * q * q, q);
        }
        if (rc)
            break;
        for (size_t v = 0; v < nvox; v++) {
            const double *beta = f->beta + v * p;
            const double *mm = M + f->voxel_model[v] * q * q;
            for (size_t k = 0; k < q; k++) {
                double s = 0;
                for (size_t j = 0; j < p; j++)
                    s += C[k * p + j] * beta[j];
                cb[k] = s;
            }
            if (!isf) {
                c->effect[v] += cb[0];
                c->variance[v] += mm[0] * f->sigma2[v];
            } else {
                for (size_t a = 0; a < q; a++) {
                    double s = 0;
                    for (size_t b = 0; b < q; b++)
                        s += mm[a * q + b] * cb[b];
                    c->effect[a * nvox + v] += s;
                }
                c->variance[v] += f->sigma2[v];
            }
        }
        c->dof += f->dof;
        c->nruns++;
    }
    if (!rc && c->nruns == 0)
        rc = bract_error(BRACT_EINVAL, "the contrast '%s' is null in every run", exprs[0]);
    if (rc)
        goto fail;
    /* fixed effects: times 1/runs (variance times its square) */
    const double s = 1.0 / (double)c->nruns, s2 = s * s;
    const double dof = c->dof < 1e10 ? c->dof : 1e10;
    for (size_t v = 0; v < nvox; v++) {
        c->variance[v] *= s2;
        double var = c->variance[v] > 1e-50 ? c->variance[v] : 1e-50;
        if (isnan(c->variance[v]))
            var = NAN;
        if (!isf) {
            c->effect[v] *= s;
            double t = c->effect[v] / sqrt(var);
            c->value[v] = t;
            c->p[v] = bract_stats_t_sf(t, dof);
            c->z[v] = bract_glm_z_from_p(c->p[v], bract_stats_t_cdf(t, dof));
        } else {
            double ss = 0;
            for (size_t k = 0; k < q; k++) {
                c->effect[k * nvox + v] *= s;
                ss += c->effect[k * nvox + v] * c->effect[k * nvox + v];
            }
            double F = ss / (double)q / var;
            c->value[v] = F;
            c->p[v] = bract_stats_f_sf(F, (double)q, dof);
            c->z[v] = bract_glm_z_from_p(c->p[v], bract_stats_f_cdf(F, (double)q, dof));
        }
    }
    free(C);
    free(M);
    free(cb);
    *out = c;
    return BRACT_OK;
fail:
    free(C);
    free(M);
    free(cb);
    bract_glm_contrast_free(c);
    return rc;
}
