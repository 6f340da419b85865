/* The RDM engine: designs, plans, per-thread workspaces and the compute
 * call (see bract/rdm.h).  All dissimilarities come from Gram or cross
 * products of whitened pattern matrices (CBLAS dsyrk/dgemm); the noise
 * covariance is factored by LAPACK (dpotrf) and applied by triangular
 * solves, never by an explicit inverse. */
#include "base/internal.h"
#include "base/strmap_internal.h"
#include "rsa/rsa_internal.h"

#include <math.h>
#include <string.h>

#include <cblas.h>
#include <lapacke.h>

/* ---- designs ---- */

void bract_rdm_design_free(bract_rdm_design *d)
{
    if (!d)
        return;
    for (size_t c = 0; c < d->ncond; c++)
        free(d->cond[c]);
    for (size_t r = 0; r < d->nrun; r++)
        free(d->run[r]);
    free(d->cond);
    free(d->run);
    free(d->obs_cond);
    free(d->obs_run);
    free(d->obs_nvol);
    free(d->vol_obs);
    free(d->vol_run);
    free(d);
}

static int label_missing(const char *s) { return !s || bract_table_label_missing(s); }

static int cmp_str_ptr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int bract_rdm_design_from_labels(const char *const *cond, const char *const *run, size_t nvol,
                             const bract_rdm_design_opts *o, bract_rdm_design **out)
{
    *out = NULL;
    bract_rdm_design_opts defaults = {0};
    if (!o)
        o = &defaults;
    bract_rdm_design *d = bract_xcalloc(1, sizeof *d, "a design");
    if (!d)
        return BRACT_ENOMEM;
    d->nvol = nvol;
    d->has_run = run != NULL;
    bract_strmap cm = {0}, rm = {0}, ex = {0};
    size_t *vcond = bract_xmalloc(nvol ? nvol : 1, sizeof *vcond, "a design");
    d->vol_obs = bract_xmalloc(nvol ? nvol : 1, sizeof *d->vol_obs, "a design");
    d->vol_run = bract_xmalloc(nvol ? nvol : 1, sizeof *d->vol_run, "a design");
    d->cond = bract_xcalloc(nvol ? nvol : 1, sizeof *d->cond, "a design");
    d->run = bract_xcalloc(nvol ? nvol : 1, sizeof *d->run, "a design");
    int rc = BRACT_ENOMEM;
    if (!vcond || !d->vol_obs || !d->vol_run || !d->cond || !d->run ||
        bract_strmap_init(&cm, 64) || bract_strmap_init(&rm, 16) ||
        bract_strmap_init(&ex, o->nexclude))
        goto fail;
    for (size_t k = 0; k < o->nexclude; k++)
        if (bract_strmap_put(&ex, o->exclude[k], strlen(o->exclude[k]), k, NULL))
            goto fail;
    /* runs and conditions in order of first appearance */
    for (size_t v = 0; v < nvol; v++) {
        const char *r = run ? run[v] : "1";
        if (label_missing(r)) {
            rc = bract_error(BRACT_EDATA, "volume %zu has no run label", v + 1);
            goto fail;
        }
        long e;
        if (bract_strmap_put(&rm, r, strlen(r), d->nrun, &e))
            goto fail;
        if (e < 0) {
            if (!(d->run[d->nrun] = bract_xstrdup(r)))
                goto fail;
            e = (long)d->nrun++;
        }
        d->vol_run[v] = (size_t)e;
        const char *c = cond[v];
        if (label_missing(c) || !*c || bract_strmap_get(&ex, c, strlen(c)) >= 0) {
            d->vol_obs[v] = -1;
            d->nexcluded++;
            continue;
        }
        if (bract_strmap_put(&cm, c, strlen(c), d->ncond, &e))
            goto fail;
        if (e < 0) {
            if (!(d->cond[d->ncond] = bract_xstrdup(c)))
                goto fail;
            e = (long)d->ncond++;
        }
        vcond[v] = (size_t)e;
        d->vol_obs[v] = 0;
    }
    if (d->ncond == 0) {
        rc = bract_error(BRACT_EDATA, "no conditions: every volume is left out");
        goto fail;
    }
    if (o->order == BRACT_ORDER_SORTED) {
        /* renumber conditions by sorted label */
        char **sorted = bract_xmalloc(d->ncond, sizeof *sorted, "a design");
        size_t *newidx = bract_xmalloc(d->ncond, sizeof *newidx, "a design");
        if (!sorted || !newidx) {
            free(sorted);
            free(newidx);
            goto fail;
        }
        memcpy(sorted, d->cond, d->ncond * sizeof *sorted);
        qsort(sorted, d->ncond, sizeof *sorted, cmp_str_ptr);
        for (size_t c = 0; c < d->ncond; c++) {
            long old = bract_strmap_get(&cm, sorted[c], strlen(sorted[c]));
            newidx[old] = c;
        }
        for (size_t v = 0; v < nvol; v++)
            if (d->vol_obs[v] >= 0)
                vcond[v] = newidx[vcond[v]];
        memcpy(d->cond, sorted, d->ncond * sizeof *sorted);
        free(sorted);
        free(newidx);
    }
    /* rows: (run, condition) pairs present, ordered by run then condition */
    {
        size_t ncell = d->nrun * d->ncond;
        long *cell = bract_xmalloc(ncell, sizeof *cell, "a design");
        if (!cell)
            goto fail;
        for (size_t k = 0; k < ncell; k++)
            cell[k] = -1;
        for (size_t v = 0; v < nvol; v++)
            if (d->vol_obs[v] >= 0)
                cell[d->vol_run[v] * d->ncond + vcond[v]] = 0;
        for (size_t k = 0; k < ncell; k++)
            if (cell[k] >= 0)
                cell[k] = (long)d->nobs++;
        d->obs_cond = bract_xmalloc(d->nobs, sizeof *d->obs_cond, "a design");
        d->obs_run = bract_xmalloc(d->nobs, sizeof *d->obs_run, "a design");
        d->obs_nvol = bract_xcalloc(d->nobs, sizeof *d->obs_nvol, "a design");
        if (!d->obs_cond || !d->obs_run || !d->obs_nvol) {
            free(cell);
            goto fail;
        }
        for (size_t k = 0; k < ncell; k++)
            if (cell[k] >= 0) {
                d->obs_run[cell[k]] = k / d->ncond;
                d->obs_cond[cell[k]] = k % d->ncond;
            }
        for (size_t v = 0; v < nvol; v++)
            if (d->vol_obs[v] >= 0) {
                d->vol_obs[v] = cell[d->vol_run[v] * d->ncond + vcond[v]];
                d->obs_nvol[d->vol_obs[v]]++;
            }
        free(cell);
    }
    bract_strmap_free(&cm);
    bract_strmap_free(&rm);
    bract_strmap_free(&ex);
    free(vcond);
    *out = d;
    return BRACT_OK;
fail:
    if (rc == BRACT_ENOMEM && !*bract_last_error())
        bract_error(BRACT_ENOMEM, "out of memory building a design");
    bract_strmap_free(&cm);
    bract_strmap_free(&rm);
    bract_strmap_free(&ex);
    free(vcond);
    bract_rdm_design_free(d);
    return rc;
}

int bract_rdm_design_read(const char *path, const bract_rdm_design_opts *o, bract_rdm_design **out)
{
    *out = NULL;
    bract_table *t;
    int rc = bract_table_read(path, &t);
    if (rc)
        return rc;
    size_t cc;
    if ((rc = bract_table_require(t, "condition", &cc))) {
        bract_table_free(t);
        return rc;
    }
    long rcol = bract_table_find(t, "run");
    if (t->nrows == 0) {
        bract_table_free(t);
        return bract_error(BRACT_EDATA, "%s: no rows (one row per volume expected)", path);
    }
    const char **cond = bract_xmalloc(t->nrows, sizeof *cond, "conditions");
    const char **run = rcol >= 0 ? bract_xmalloc(t->nrows, sizeof *run, "runs") : NULL;
    if (!cond || (rcol >= 0 && !run)) {
        free(cond);
        free(run);
        bract_table_free(t);
        return BRACT_ENOMEM;
    }
    for (size_t r = 0; r < t->nrows; r++) {
        cond[r] = bract_table_cell(t, r, cc);
        if (run) {
            run[r] = bract_table_cell(t, r, (size_t)rcol);
            if (bract_table_label_missing(run[r])) {
                rc = bract_error(BRACT_EFORMAT, "%s:%zu: column %ld ('run'): expected a run "
                                 "label, found '%s'", path, t->line[r], rcol + 1, run[r]);
                break;
            }
        }
    }
    if (!rc) {
        rc = bract_rdm_design_from_labels(cond, run, t->nrows, o, out);
        if (rc)
            bract_error_context(rc, "%s", path);
    }
    free(cond);
    free(run);
    bract_table_free(t);
    return rc;
}

long bract_rdm_design_row(const bract_rdm_design *d, size_t r, size_t c)
{
    /* rows are sorted by (run, condition): binary search */
    size_t lo = 0, hi = d->nobs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        size_t kr = d->obs_run[mid], kc = d->obs_cond[mid];
        if (kr < r || (kr == r && kc < c))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < d->nobs && d->obs_run[lo] == r && d->obs_cond[lo] == c ? (long)lo : -1;
}

/* ---- names ---- */

static const char *const method_names[] = {"euclidean", "correlation", "cosine", "mahalanobis",
                                           "crossnobis", NULL};
static const char *const noise_names[] = {"shrinkage_diag", "shrinkage_eye", "diag", "full",
                                          "identity", NULL};

const char *bract_rdm_method_name(bract_rdm_method m)
{
    return (unsigned)m < 5 ? method_names[m] : "unknown";
}

const char *bract_rdm_measure_name(const bract_rdm_opts *o)
{
    switch (o->method) {
    case BRACT_RDM_EUCLIDEAN: return o->plain ? "euclidean" : "squared euclidean";
    case BRACT_RDM_MAHALANOBIS: return "squared mahalanobis";
    default: return bract_rdm_method_name(o->method);
    }
}

int bract_rdm_method_parse(const char *name, bract_rdm_method *out)
{
    int v;
    int rc = bract_enum_lookup("RDM method", name, method_names, &v);
    if (rc == BRACT_OK)
        *out = (bract_rdm_method)v;
    return rc;
}

const char *bract_rdm_noise_method_name(bract_rdm_noise_method m)
{
    return (unsigned)m < 5 ? noise_names[m] : "unknown";
}

int bract_rdm_noise_method_parse(const char *name, bract_rdm_noise_method *out)
{
    int v;
    int rc = bract_enum_lookup("noise method", name, noise_names, &v);
    if (rc == BRACT_OK)
        *out = (bract_rdm_noise_method)v;
    return rc;
}

int bract_enum_lookup(const char *what, const char *s, const char *const *names, int *v)
{
    if (!s)
        s = "";
    for (int i = 0; names[i]; i++)
        if (strcmp(s, names[i]) == 0) {
            *v = i;
            return BRACT_OK;
        }
    bract_buf list = {0};
    for (int i = 0; names[i]; i++)
        bract_buf_printf(&list, "%s%s", i ? ", " : "", names[i]);
    int rc = bract_error(BRACT_EINVAL, "unknown %s '%s' (expected one of %s)", what, s,
                         list.data ? list.data : "");
    bract_buf_free(&list);
    return rc;
}

int bract_rdm_needs_noise(const bract_rdm_opts *o)
{
    return o->method == BRACT_RDM_MAHALANOBIS || o->method == BRACT_RDM_CROSSNOBIS;
}

/* ---- plans and workspaces ---- */

struct bract_rdm_plan {
    bract_rdm_opts opts;
    size_t ncond, nobs, nrun, max_vox, max_res;
    size_t *obs_cond;
    size_t *cond_ptr;  /* rows of condition c: cond_rows[cond_ptr[c] .. cond_ptr[c+1]) */
    size_t *cond_rows;
    double *cond_w;    /* 1 / (rows of each condition) */
    size_t nrep;       /* rows per condition when balanced, else 0 */
    double pattern_dof;/* dof of residuals made from the patterns */
    int cov_room;      /* workspace holds a P x P matrix */
};

struct bract_rdm_ws {
    const bract_rdm_plan *plan;
    double *xc;    /* nobs x P: the patterns, centred and whitened */
    double *b;     /* ncond x P: condition patterns; crossnobis: sum over runs */
    double *a;     /* ncond x P: crossnobis training patterns */
    double *g;     /* ncond x ncond: Gram or cross-validated kernel */
    double *res;   /* rres x P: residuals */
    double *cov;   /* P x P (column-major lower): covariance or precision factor */
    double *vec;   /* P: variances or column means */
    double *rowv;  /* ncond: row flags / norms */
    size_t rres;
};

void bract_rdm_plan_free(bract_rdm_plan *p)
{
    if (!p)
        return;
    free(p->obs_cond);
    free(p->cond_ptr);
    free(p->cond_rows);
    free(p->cond_w);
    free(p);
}

size_t bract_rdm_plan_ncond(const bract_rdm_plan *p) { return p->ncond; }
size_t bract_rdm_plan_nobs(const bract_rdm_plan *p) { return p->nobs; }

int bract_rdm_plan_new(const bract_rdm_design *d, const bract_rdm_opts *o, size_t max_vox,
                       size_t max_res, bract_rdm_plan **out)
{
    *out = NULL;
    if ((unsigned)o->method > BRACT_RDM_CROSSNOBIS || (unsigned)o->noise > BRACT_NOISE_IDENTITY)
        return bract_error(BRACT_EINVAL, "unknown RDM method or noise estimator");
    if (d->ncond < 2)
        return bract_error(BRACT_EDATA, "an RDM needs at least 2 conditions, the design has %zu",
                           d->ncond);
    if (max_vox < 1)
        return bract_error(BRACT_EINVAL, "an RDM needs at least 1 voxel");
    bract_rdm_plan *p = bract_xcalloc(1, sizeof *p, "an RDM plan");
    if (!p)
        return BRACT_ENOMEM;
    p->opts = *o;
    p->ncond = d->ncond;
    p->nobs = d->nobs;
    p->nrun = d->nrun;
    p->max_vox = max_vox;
    p->max_res = max_res;
    p->obs_cond = bract_xmalloc(d->nobs, sizeof *p->obs_cond, "an RDM plan");
    p->cond_w = bract_xcalloc(d->ncond, sizeof *p->cond_w, "an RDM plan");
    p->cond_ptr = bract_xcalloc(d->ncond + 1, sizeof *p->cond_ptr, "an RDM plan");
    p->cond_rows = bract_xmalloc(d->nobs ? d->nobs : 1, sizeof *p->cond_rows, "an RDM plan");
    if (!p->obs_cond || !p->cond_w || !p->cond_ptr || !p->cond_rows) {
        bract_rdm_plan_free(p);
        return BRACT_ENOMEM;
    }
    memcpy(p->obs_cond, d->obs_cond, d->nobs * sizeof *p->obs_cond);
    for (size_t k = 0; k < d->nobs; k++) {
        p->cond_w[d->obs_cond[k]] += 1;
        p->cond_ptr[d->obs_cond[k] + 1]++;
    }
    for (size_t c = 0; c < d->ncond; c++)
        p->cond_ptr[c + 1] += p->cond_ptr[c];
    {
        size_t *fill = bract_xmalloc(d->ncond, sizeof *fill, "an RDM plan");
        if (!fill) {
            bract_rdm_plan_free(p);
            return BRACT_ENOMEM;
        }
        memcpy(fill, p->cond_ptr, d->ncond * sizeof *fill);
        for (size_t k = 0; k < d->nobs; k++)
            p->cond_rows[fill[d->obs_cond[k]]++] = k;
        free(fill);
    }
    p->nrep = (size_t)p->cond_w[0];
    for (size_t c = 0; c < d->ncond; c++) {
        if (p->cond_w[c] != (double)p->nrep)
            p->nrep = 0;
        p->cond_w[c] = 1.0 / p->cond_w[c];
    }
    int rc = BRACT_OK;
    if (o->method == BRACT_RDM_CROSSNOBIS) {
        if (d->nrun < 2)
            rc = bract_error(BRACT_EDATA, "crossnobis needs at least 2 runs, the design has %zu%s",
                             d->nrun, d->has_run ? "" : " (no run column)");
        for (size_t r = 0; !rc && r < d->nrun; r++) {
            size_t have = 0;
            long missing = -1;
            for (size_t c = 0; c < d->ncond; c++) {
                if (bract_rdm_design_row(d, r, c) >= 0)
                    have++;
                else if (missing < 0)
                    missing = (long)c;
            }
            if (have == 1)
                rc = bract_error(BRACT_EDATA, "run %s has only 1 condition; crossnobis needs "
                                 "every condition in every run", d->run[r]);
            else if (have < d->ncond)
                rc = bract_error(BRACT_EDATA, "run %s lacks condition '%s' (%zu of %zu "
                                 "conditions); crossnobis needs every condition in every run",
                                 d->run[r], d->cond[missing], have, d->ncond);
        }
    }
    if (!rc && bract_rdm_needs_noise(o) && o->noise != BRACT_NOISE_IDENTITY && max_res == 0 &&
        !o->precision_given) {
        /* residuals from the patterns */
        if (o->dof_rule == BRACT_DOF_RSATOOLBOX) {
            if (!p->nrep)
                rc = bract_error(BRACT_EDATA, "the rsatoolbox dof rule needs every condition "
                                 "repeated equally often (a balanced design)");
            else
                p->pattern_dof = (double)((d->ncond - 1) * p->nrep);
        } else {
            p->pattern_dof = (double)d->nobs - (double)d->ncond;
        }
        if (!rc && p->pattern_dof <= 0)
            rc = bract_error(BRACT_EDATA, "%s needs a noise estimate: the %zu pattern rows of %zu "
                             "conditions leave no residual degrees of freedom (give residuals, "
                             "or repeat conditions over runs)",
                             bract_rdm_method_name(o->method), d->nobs, d->ncond);
    }
    if (rc) {
        bract_rdm_plan_free(p);
        return rc;
    }
    p->cov_room = bract_rdm_needs_noise(o) &&
                  (o->precision_given || o->noise == BRACT_NOISE_FULL ||
                   o->noise == BRACT_NOISE_SHRINKAGE_DIAG || o->noise == BRACT_NOISE_SHRINKAGE_EYE);
    *out = p;
    return BRACT_OK;
}

void bract_rdm_ws_free(bract_rdm_ws *w)
{
    if (!w)
        return;
    free(w->xc);
    free(w->b);
    free(w->a);
    free(w->g);
    free(w->res);
    free(w->cov);
    free(w->vec);
    free(w->rowv);
    free(w);
}

int bract_rdm_ws_new(const bract_rdm_plan *p, bract_rdm_ws **out)
{
    *out = NULL;
    bract_rdm_ws *w = bract_xcalloc(1, sizeof *w, "an RDM workspace");
    if (!w)
        return BRACT_ENOMEM;
    w->plan = p;
    size_t P = p->max_vox, n = p->ncond;
    int noise = bract_rdm_needs_noise(&p->opts) && p->opts.noise != BRACT_NOISE_IDENTITY &&
                !p->opts.precision_given;
    w->rres = noise ? (p->max_res > p->nobs ? p->max_res : p->nobs) : 0;
    w->xc = bract_xmalloc(p->nobs * P, sizeof *w->xc, "an RDM workspace");
    w->b = bract_xmalloc(n * P, sizeof *w->b, "an RDM workspace");
    w->a = bract_xmalloc(n * P, sizeof *w->a, "an RDM workspace");
    w->g = bract_xmalloc(n * n, sizeof *w->g, "an RDM workspace");
    w->vec = bract_xmalloc(P, sizeof *w->vec, "an RDM workspace");
    w->rowv = bract_xmalloc(n, sizeof *w->rowv, "an RDM workspace");
    if (w->rres)
        w->res = bract_xmalloc(w->rres * P, sizeof *w->res, "an RDM workspace (residuals)");
    if (p->cov_room)
        w->cov = bract_xmalloc(P * P, sizeof *w->cov, "an RDM workspace (noise covariance)");
    if (!w->xc || !w->b || !w->a || !w->g || !w->vec || !w->rowv || (w->rres && !w->res) ||
        (p->cov_room && !w->cov)) {
        bract_rdm_ws_free(w);
        return BRACT_ENOMEM;
    }
    *out = w;
    return BRACT_OK;
}

/* ---- noise estimation ---- */


/* Sum of squares of each column of the n x P row-major x into v[P]. */
static void col_sumsq(const double *x, size_t ld, size_t n, size_t P, double *v)
{
    for (size_t j = 0; j < P; j++)
        v[j] = 0;
    for (size_t i = 0; i < n; i++) {
        const double *r = x + i * ld;
        for (size_t j = 0; j < P; j++)
            v[j] += r[j] * r[j];
    }
}

/* Subtract the column means of rows x rows P (stride ld). */
static void centre_columns(double *x, size_t ld, size_t rows, size_t P, double *tmp)
{
    memset(tmp, 0, P * sizeof *tmp);
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < P; j++)
            tmp[j] += x[i * ld + j];
    for (size_t j = 0; j < P; j++)
        tmp[j] /= (double)rows;
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < P; j++)
            x[i * ld + j] -= tmp[j];
}

/* Estimate the covariance of residuals res (n x P, stride ld, column means
 * zero) with `dof` degrees of freedom.  When the estimate is diagonal,
 * var[P] receives it and *diag = 1; otherwise cov (P x P, column-major,
 * lower triangle) receives it and *diag = 0.  *lambda: the shrinkage. */
static int cov_estimate(bract_rdm_noise_method m, const double *res, size_t ld, size_t n, size_t P,
                        double dof, double *cov, double *var, int *diag, double *lambda)
{
    *lambda = NAN;
    *diag = 0;
    if (!(dof > 0))
        return bract_error(BRACT_EDATA, "the noise estimate has %g degrees of freedom", dof);
    col_sumsq(res, ld, n, P, var);
    for (size_t j = 0; j < P; j++)
        if (!(var[j] > 0))
            return bract_error(BRACT_EDATA, "voxel %zu of %zu has zero residual variance: the "
                               "noise covariance is singular", j + 1, P);
    if (m == BRACT_NOISE_DIAG) {
        for (size_t j = 0; j < P; j++)
            var[j] /= dof;
        *diag = 1;
        return BRACT_OK;
    }
    /* S = X'X (lower triangle, column-major: X is P x n column-major) */
    cblas_dsyrk(CblasColMajor, CblasLower, CblasNoTrans, (int)P, (int)n, 1.0, res, (int)ld, 0.0,
                cov, (int)P);
    const double nn = (double)n;
    double lam = 0;
    if (m == BRACT_NOISE_FULL) {
        for (size_t j = 0; j < P; j++)
            for (size_t i = j; i < P; i++)
                cov[j * P + i] /= dof;
        return BRACT_OK;
    }
    if (m == BRACT_NOISE_SHRINKAGE_DIAG) {
        /* Schaefer-Strimmer with rsatoolbox's normalisation:
         * r_jk = S_jk dof / sqrt(S_jj S_kk) / (n-1), r2_jk = Q_jk dof^2 / (S_jj S_kk) / (n-1)
         * with Q = (X o X)'(X o X), V = n / dof^2 (r2 - r^2); sums over j != k in a
         * fixed order (sum_jk Q_jk/(S_jj S_kk) from the rows, without forming Q). */
        double sum_r = 0; /* sum_{j!=k} S_jk^2 / (S_jj S_kk) */
        for (size_t j = 0; j < P; j++)
            for (size_t i = j + 1; i < P; i++) {
                double s = cov[j * P + i];
                sum_r += 2 * s * s / (cov[i * P + i] * cov[j * P + j]);
            }
        double sum_q = 0; /* sum_{j!=k} Q_jk / (S_jj S_kk) */
        for (size_t i = 0; i < n; i++) {
            const double *r = res + i * ld;
            double s1 = 0, s2 = 0;
            for (size_t j = 0; j < P; j++) {
                double q = r[j] * r[j] / cov[j * P + j];
                s1 += q;
                s2 += q * q;
            }
            sum_q += s1 * s1 - s2;
        }
        double nm1 = nn - 1;
        double rbar2 = sum_r * dof * dof / (nm1 * nm1);
        double vsum = nn / (dof * dof) * (sum_q * dof * dof / nm1 - rbar2);
        lam = rbar2 > 0 ? vsum / rbar2 : 1.0; /* one voxel: nothing to shrink */
        if (isnan(lam) || lam > 1)
            lam = 1;
        if (lam < 0)
            lam = 0;
        for (size_t j = 0; j < P; j++) {
            cov[j * P + j] /= dof;
            for (size_t i = j + 1; i < P; i++)
                cov[j * P + i] *= (1 - lam) / dof;
        }
    } else { /* shrinkage_eye (Ledoit-Wolf 2004) */
        double tr = 0;
        for (size_t j = 0; j < P; j++)
            tr += cov[j * P + j] / nn;
        double mu = tr / (double)P;
        double fro2 = 0, d2 = 0; /* |s|_F^2 and |s - mu I|_F^2, s = X'X / n */
        for (size_t j = 0; j < P; j++) {
            double sj = cov[j * P + j] / nn;
            fro2 += sj * sj;
            d2 += (sj - mu) * (sj - mu);
            for (size_t i = j + 1; i < P; i++) {
                double s = cov[j * P + i] / nn;
                fro2 += 2 * s * s;
                d2 += 2 * s * s;
            }
        }
        double q = 0; /* sum_i (sum_j x_ij^2)^2 = sum_jk sum_i (x_ij x_ik)^2 */
        for (size_t i = 0; i < n; i++) {
            const double *r = res + i * ld;
            double s1 = 0;
            for (size_t j = 0; j < P; j++)
                s1 += r[j] * r[j];
            q += s1 * s1;
        }
        double b2 = (q / nn - fro2) / nn;
        if (b2 > d2)
            b2 = d2;
        lam = d2 > 0 ? b2 / d2 : 0.0;
        double scale = nn / dof;
        for (size_t j = 0; j < P; j++) {
            cov[j * P + j] = (lam * mu + (1 - lam) * cov[j * P + j] / nn) * scale;
            for (size_t i = j + 1; i < P; i++)
                cov[j * P + i] = (1 - lam) * cov[j * P + i] / nn * scale;
        }
    }
    *lambda = lam;
    if (lam == 1) {
        for (size_t j = 0; j < P; j++)
            var[j] = cov[j * P + j];
        *diag = 1;
    }
    return BRACT_OK;
}

/* Whitening applied to pattern rows. */
enum { WHITEN_NONE, WHITEN_DIAG, WHITEN_COV_CHOL, WHITEN_PREC_CHOL };

/* Estimate and factor: *kind receives WHITEN_DIAG or WHITEN_COV_CHOL. */
static int estimate_noise(bract_rdm_noise_method m, const double *res, size_t ld, size_t n, size_t P,
                          double dof, double *cov, double *var, int *kind, double *lambda)
{
    int diag;
    int rc = cov_estimate(m, res, ld, n, P, dof, cov, var, &diag, lambda);
    if (rc)
        return rc;
    if (diag) {
        *kind = WHITEN_DIAG;
        return BRACT_OK;
    }
    /* keep the diagonal: a pivot that is a tiny fraction of it means that
     * voxel adds no independent variance (rank deficiency seen through
     * rounding), which dpotrf alone does not always catch */
    for (size_t j = 0; j < P; j++)
        var[j] = cov[j * P + j];
    int bad = LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'L', (lapack_int)P, cov, (lapack_int)P) != 0;
    for (size_t j = 0; !bad && j < P; j++)
        bad = !(cov[j * P + j] * cov[j * P + j] > 1e-12 * var[j]);
    if (bad)
        return bract_error(BRACT_ENUMERIC, "the %s noise covariance of %zu voxels from %zu "
                           "residual rows (dof %g) is not positive definite%s",
                           bract_rdm_noise_method_name(m), P, n, dof,
                           m == BRACT_NOISE_FULL ? "; use a shrinkage estimator" : "");
    *kind = WHITEN_COV_CHOL;
    return BRACT_OK;
}

/* Whiten `rows` pattern rows of y (stride ld) in place. */
static void whiten(int kind, const double *cov, const double *var, size_t P, double *y,
                   size_t ld, size_t rows)
{
    if (kind == WHITEN_DIAG) {
        for (size_t j = 0; j < P; j++) {
            double s = 1 / sqrt(var[j]);
            for (size_t i = 0; i < rows; i++)
                y[i * ld + j] *= s;
        }
    } else if (kind == WHITEN_COV_CHOL) { /* y <- y L^-T, C = L L' */
        cblas_dtrsm(CblasColMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, (int)P,
                    (int)rows, 1.0, cov, (int)P, y, (int)ld);
    } else if (kind == WHITEN_PREC_CHOL) { /* y <- y L, precision = L L' */
        cblas_dtrmm(CblasColMajor, CblasLeft, CblasLower, CblasTrans, CblasNonUnit, (int)P,
                    (int)rows, 1.0, cov, (int)P, y, (int)ld);
    }
}

int bract_rdm_noise_covariance(bract_rdm_noise_method m, const double *resid, size_t ldr, size_t nres,
                           size_t nvox, double dof, double *cov, double *shrinkage)
{
    const size_t P = nvox;
    *shrinkage = NAN;
    if (nres < 2 || P < 1)
        return bract_error(BRACT_EINVAL, "a noise covariance needs at least 2 residual rows");
    if (dof <= 0)
        dof = (double)nres - 1;
    double *x = bract_xmalloc(nres * P, sizeof *x, "residuals");
    double *c = bract_xmalloc(P * P, sizeof *c, "a covariance");
    double *var = bract_xmalloc(P, sizeof *var, "variances");
    int rc = BRACT_ENOMEM;
    if (!x || !c || !var)
        goto done;
    for (size_t i = 0; i < nres; i++)
        memcpy(x + i * P, resid + i * ldr, P * sizeof *x);
    centre_columns(x, P, nres, P, var);
    memset(cov, 0, P * P * sizeof *cov);
    if (m == BRACT_NOISE_IDENTITY) {
        for (size_t j = 0; j < P; j++)
            cov[j * P + j] = 1;
        rc = BRACT_OK;
        goto done;
    }
    int diag;
    if ((rc = cov_estimate(m, x, P, nres, P, dof, c, var, &diag, shrinkage)))
        goto done;
    for (size_t j = 0; j < P; j++) {
        if (diag) {
            cov[j * P + j] = var[j];
            continue;
        }
        for (size_t i = j; i < P; i++)
            cov[i * P + j] = cov[j * P + i] = c[j * P + i];
    }
done:
    free(x);
    free(c);
    free(var);
    return rc;
}

/* ---- compute ---- */

/* Condensed dissimilarities from a Gram matrix g (n x n, row-major, upper
 * triangle): g_ii + g_jj - 2 g_ij, scaled. */
static void gram_to_rdm(const double *g, size_t n, double scale, int plain, double *d)
{
    size_t p = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            double v = g[i * n + i] + g[j * n + j] - 2 * g[i * n + j];
            if (plain)
                d[p++] = sqrt(v > 0 ? v : 0);
            else
                d[p++] = v * scale;
        }
}

/* Sum and sum of squares of x[0..n) in a fixed order (four interleaved
 * partial sums, so that the loop pipelines; the same bits on every run). */
static double sum4(const double *x, size_t n)
{
    double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    size_t j = 0;
    for (; j + 4 <= n; j += 4) {
        a0 += x[j];
        a1 += x[j + 1];
        a2 += x[j + 2];
        a3 += x[j + 3];
    }
    for (; j < n; j++)
        a0 += x[j];
    return (a0 + a1) + (a2 + a3);
}

static double sumsq4(const double *x, size_t n)
{
    double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    size_t j = 0;
    for (; j + 4 <= n; j += 4) {
        a0 += x[j] * x[j];
        a1 += x[j + 1] * x[j + 1];
        a2 += x[j + 2] * x[j + 2];
        a3 += x[j + 3] * x[j + 3];
    }
    for (; j < n; j++)
        a0 += x[j] * x[j];
    return (a0 + a1) + (a2 + a3);
}

/* Condition means of the rows of x (nobs x P, stride ld) into b (ncond x P),
 * each condition's rows summed in row order; with colmean, also the mean of
 * the condition patterns of each voxel. */
static void condition_means(const bract_rdm_plan *p, const double *x, size_t ld, size_t P,
                            double *b, double *colmean)
{
    for (size_t c = 0; c < p->ncond; c++) {
        double *bc = b + c * P;
        const size_t *rows = p->cond_rows + p->cond_ptr[c];
        size_t nr = p->cond_ptr[c + 1] - p->cond_ptr[c];
        memcpy(bc, x + rows[0] * ld, P * sizeof *bc);
        for (size_t q = 1; q < nr; q++) {
            const double *r = x + rows[q] * ld;
            for (size_t j = 0; j < P; j++)
                bc[j] += r[j];
        }
        if (nr > 1)
            for (size_t j = 0; j < P; j++)
                bc[j] *= p->cond_w[c];
        if (colmean) {
            if (c == 0)
                memcpy(colmean, bc, P * sizeof *colmean);
            else
                for (size_t j = 0; j < P; j++)
                    colmean[j] += bc[j];
        }
    }
    if (colmean)
        for (size_t j = 0; j < P; j++)
            colmean[j] /= (double)p->ncond;
}

int bract_rdm_compute(const bract_rdm_plan *p, bract_rdm_ws *w, const double *x, size_t ldx,
                      size_t nvox, const bract_rdm_noise *noise, double *d, bract_rdm_info *info)
{
    bract_rdm_info dummy;
    if (!info)
        info = &dummy;
    info->shrinkage = NAN;
    info->dof = NAN;
    info->nres = 0;
    info->nnan = 0;
    const size_t P = nvox, n = p->ncond, N = p->nobs;
    if (P < 1 || P > p->max_vox)
        return bract_error(BRACT_EINVAL, "%zu voxels: the RDM plan takes 1 to %zu", P,
                           p->max_vox);
    if (ldx < P)
        return bract_error(BRACT_EINVAL, "row stride %zu is less than the %zu voxels", ldx, P);
    const bract_rdm_opts *o = &p->opts;
    const int method = o->method;
    /* the condition patterns straight from x; the Euclidean-type methods
     * subtract each voxel's mean over conditions (mahalanobis below, crossnobis
     * over all rows): distances do not change, accuracy does */
    int centre = method == BRACT_RDM_EUCLIDEAN;
    condition_means(p, x, ldx, P, w->b, centre ? w->vec : NULL);

    if (method == BRACT_RDM_CORRELATION || method == BRACT_RDM_COSINE) {
        for (size_t c = 0; c < n; c++) {
            double *r = w->b + c * P;
            if (method == BRACT_RDM_CORRELATION) {
                double m = sum4(r, P) / (double)P;
                for (size_t j = 0; j < P; j++)
                    r[j] -= m;
            }
            double ss = sumsq4(r, P);
            w->rowv[c] = ss > 0 ? 1 / sqrt(ss) : 0; /* the norm enters at the end */
        }
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, (int)n, (int)P, 1.0, w->b, (int)P,
                    0.0, w->g, (int)n);
        size_t q = 0;
        for (size_t i = 0; i < n; i++)
            for (size_t j = i + 1; j < n; j++, q++) {
                if (w->rowv[i] == 0 || w->rowv[j] == 0) {
                    d[q] = NAN;
                    info->nnan++;
                } else {
                    d[q] = 1 - w->g[i * n + j] * w->rowv[i] * w->rowv[j];
                }
            }
        return BRACT_OK;
    }
    if (method == BRACT_RDM_EUCLIDEAN) {
        for (size_t c = 0; c < n; c++)
            for (size_t j = 0; j < P; j++)
                w->b[c * P + j] -= w->vec[j];
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, (int)n, (int)P, 1.0, w->b, (int)P,
                    0.0, w->g, (int)n);
        gram_to_rdm(w->g, n, 1.0 / (double)P, o->plain, d);
        return BRACT_OK;
    }

    /* mahalanobis, crossnobis: whitening */
    int kind = WHITEN_NONE;
    if (noise && noise->prec) {
        if (!p->opts.precision_given)
            return bract_error(BRACT_EINVAL, "a given precision needs a plan made with "
                               "precision_given");
        for (size_t i = 0; i < P; i++)
            for (size_t j = 0; j <= i; j++)
                w->cov[j * P + i] = noise->prec[i * noise->ldp + j];
        if (LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'L', (lapack_int)P, w->cov, (lapack_int)P))
            return bract_error(BRACT_ENUMERIC, "the given precision matrix is not positive "
                               "definite");
        kind = WHITEN_PREC_CHOL;
    } else if (o->precision_given) {
        return bract_error(BRACT_EINVAL, "the RDM plan expects a precision matrix");
    } else if (o->noise != BRACT_NOISE_IDENTITY) {
        const double *res;
        size_t nres, ldr;
        double dof;
        if (noise && noise->resid) {
            if (noise->nres > w->rres)
                return bract_error(BRACT_EINVAL, "%zu residual rows: the RDM plan takes up to %zu",
                                   noise->nres, w->rres);
            if (noise->nres < 2)
                return bract_error(BRACT_EDATA, "a noise estimate needs at least 2 residual "
                                   "rows, got %zu", noise->nres);
            nres = noise->nres;
            for (size_t k = 0; k < nres; k++)
                memcpy(w->res + k * P, noise->resid + k * noise->ldr, P * sizeof *w->res);
            centre_columns(w->res, P, nres, P, w->vec);
            dof = o->noise_dof > 0 ? o->noise_dof : (double)nres - 1;
        } else {
            if (p->pattern_dof <= 0)
                return bract_error(BRACT_EINVAL, "the RDM plan was made for given residuals");
            nres = N;
            for (size_t k = 0; k < N; k++) {
                const double *bc = w->b + p->obs_cond[k] * P;
                const double *xk = x + k * ldx;
                for (size_t j = 0; j < P; j++)
                    w->res[k * P + j] = xk[j] - bc[j];
            }
            dof = p->pattern_dof;
        }
        res = w->res;
        ldr = P;
        info->nres = nres;
        info->dof = dof;
        int rc = estimate_noise(o->noise, res, ldr, nres, P, dof, w->cov, w->vec, &kind,
                                &info->shrinkage);
        if (rc)
            return rc;
    }

    if (method == BRACT_RDM_MAHALANOBIS) {
        /* vec was overwritten by the noise estimate: centre from b itself */
        centre_columns(w->b, P, n, P, w->a);
        whiten(kind, w->cov, w->vec, P, w->b, P, n);
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, (int)n, (int)P, 1.0, w->b, (int)P,
                    0.0, w->g, (int)n);
        gram_to_rdm(w->g, n, 1.0 / (double)P, 0, d);
        return BRACT_OK;
    }

    /* crossnobis: rows are grouped by run, conditions in order within each */
    const size_t M = p->nrun;
    for (size_t k = 0; k < N; k++)
        memcpy(w->xc + k * P, x + k * ldx, P * sizeof *w->xc);
    centre_columns(w->xc, P, N, P, w->a);
    whiten(kind, w->cov, w->vec, P, w->xc, P, N);
    memset(w->b, 0, n * P * sizeof *w->b);
    for (size_t m = 0; m < M; m++)
        for (size_t k = 0; k < n * P; k++)
            w->b[k] += w->xc[m * n * P + k];
    for (size_t m = 0; m < M; m++) {
        const double *t = w->xc + m * n * P;
        for (size_t k = 0; k < n * P; k++)
            w->a[k] = (w->b[k] - t[k]) / (double)(M - 1);
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)n, (int)P, 1.0, w->a,
                    (int)P, t, (int)P, m ? 1.0 : 0.0, w->g, (int)n);
    }
    double scale = 1.0 / ((double)M * (double)P);
    size_t q = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            d[q++] = (w->g[i * n + i] + w->g[j * n + j] - w->g[i * n + j] - w->g[j * n + i]) *
                     scale;
    return BRACT_OK;
}
