/* First-level design matrices, as nilearn's make_first_level_design_matrix
 * (bract/glm.h). */
#include "glm/glm_internal.h"

#include <ctype.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "bract/tsv.h"

/* ---- enums ---- */

static int lower_eq(const char *a, const char *b)
{
    while (*a && *b && tolower((unsigned char)*a) == tolower((unsigned char)*b))
        a++, b++;
    return !*a && !*b;
}

int bract_glm_drift_parse(const char *s, bract_glm_drift *out)
{
    if (lower_eq(s, "cosine"))
        *out = BRACT_GLM_DRIFT_COSINE;
    else if (lower_eq(s, "polynomial"))
        *out = BRACT_GLM_DRIFT_POLYNOMIAL;
    else if (lower_eq(s, "none") || lower_eq(s, "None"))
        *out = BRACT_GLM_DRIFT_NONE;
    else
        return bract_error(BRACT_EINVAL, "unknown drift model '%s': expected cosine, polynomial "
                           "or none", s);
    return BRACT_OK;
}

const char *bract_glm_drift_name(bract_glm_drift d)
{
    switch (d) {
    case BRACT_GLM_DRIFT_COSINE: return "cosine";
    case BRACT_GLM_DRIFT_POLYNOMIAL: return "polynomial";
    case BRACT_GLM_DRIFT_NONE: return "none";
    }
    return "unknown";
}

static const char *const kind_names[] = {"task", "confound", "drift", "constant"};

int bract_glm_column_kind_parse(const char *s, bract_glm_column_kind *out)
{
    for (int i = 0; i < 4; i++)
        if (lower_eq(s, kind_names[i])) {
            *out = (bract_glm_column_kind)i;
            return BRACT_OK;
        }
    return bract_error(BRACT_EINVAL, "unknown column kind '%s': expected task, confound, drift "
                       "or constant", s);
}

const char *bract_glm_column_kind_name(bract_glm_column_kind k)
{
    return (int)k >= 0 && (int)k < 4 ? kind_names[k] : "unknown";
}

void bract_glm_design_opts_defaults(bract_glm_design_opts *o)
{
    bract_hrf_opts_defaults(&o->hrf);
    o->drift = BRACT_GLM_DRIFT_COSINE;
    o->high_pass = 0.01;
    o->drift_order = 1;
    o->slice_time_ref = 0.0;
}

void bract_glm_frame_times(size_t n, double tr, double slice_time_ref, double *ft)
{
    double start = slice_time_ref * tr;
    double end = ((double)n - 1 + slice_time_ref) * tr;
    if (n == 1) {
        ft[0] = start;
        return;
    }
    double step = (end - start) / (double)(n - 1);
    for (size_t i = 0; i + 1 < n; i++)
        ft[i] = (double)i * step + start;
    ft[n - 1] = end;
}

void bract_glm_design_free(bract_glm_design *d)
{
    if (!d)
        return;
    if (d->name)
        for (size_t j = 0; j < d->ncol; j++)
            free(d->name[j]);
    if (d->cond)
        for (size_t c = 0; c < d->ncond; c++)
            free(d->cond[c]);
    free(d->name);
    free(d->cond);
    free(d->cond_nevents);
    free(d->kind);
    free(d->x);
    free(d->frame_times);
    free(d->row_volume);
    free(d);
}

long bract_glm_design_find(const bract_glm_design *d, const char *name)
{
    for (size_t j = 0; j < d->ncol; j++)
        if (strcmp(d->name[j], name) == 0)
            return (long)j;
    return -1;
}

/* ---- trial-wise events (LSA) ---- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int bract_glm_events_trialwise(const bract_events *ev, bract_events **out)
{
    *out = NULL;
    bract_events *e = bract_xcalloc(1, sizeof *e, "events");
    if (!e)
        return BRACT_ENOMEM;
    e->path = bract_xstrdup(ev->path ? ev->path : "(events)");
    e->ev = bract_xcalloc(ev->n ? ev->n : 1, sizeof *e->ev, "events");
    if (!e->path || !e->ev) {
        bract_events_free(e);
        return BRACT_ENOMEM;
    }
    for (size_t k = 0; k < ev->n; k++) {
        size_t count = 1;
        for (size_t j = 0; j < k; j++)
            count += strcmp(ev->ev[j].label, ev->ev[k].label) == 0;
        bract_buf b = {0};
        if (bract_buf_printf(&b, "%s__%03zu", ev->ev[k].label, count)) {
            bract_buf_free(&b);
            bract_events_free(e);
            return BRACT_ENOMEM;
        }
        e->ev[k] = ev->ev[k];
        e->ev[k].label = b.data;
        e->n++;
    }
    e->nskipped = ev->nskipped;
    *out = e;
    return BRACT_OK;
}

/* ---- drifts ---- */

/* nilearn's orthogonalize on the columns of m (n x k, stride ld): each
 * column minus its projection on the previous ones. */
static void orthogonalize(double *m, size_t n, size_t k, size_t ld)
{
    for (size_t b = 1; b < k; b++)
        for (size_t j = 0; j < b; j++) {
            double dot = 0, nn = 0;
            for (size_t i = 0; i < n; i++) {
                dot += m[i * ld + b] * m[i * ld + j];
                nn += m[i * ld + j] * m[i * ld + j];
            }
            if (nn > 0)
                for (size_t i = 0; i < n; i++)
                    m[i * ld + b] -= dot / nn * m[i * ld + j];
        }
}

/* Number of drift columns (constant included). */
static size_t drift_ncols(const bract_glm_design_opts *o, const double *ft, size_t n)
{
    switch (o->drift) {
    case BRACT_GLM_DRIFT_COSINE: {
        double dt = (ft[n - 1] - ft[0]) / (double)(n - 1);
        double k = floor(2.0 * (double)n * o->high_pass * dt);
        size_t order = k < 0 ? 0 : (size_t)k;
        if (order > n - 1)
            order = n - 1;
        return order + 1;
    }
    case BRACT_GLM_DRIFT_POLYNOMIAL: return (size_t)o->drift_order + 1;
    case BRACT_GLM_DRIFT_NONE: return 1;
    }
    return 1;
}

/* The drift columns (the last is the constant) into x (n rows, stride ld). */
static int make_drift(const bract_glm_design_opts *o, const double *ft, size_t n, double *x,
                      size_t ld, size_t k)
{
    if (o->drift == BRACT_GLM_DRIFT_COSINE) {
        const double pi = 3.14159265358979323846;
        double norm = sqrt(2.0 / (double)n);
        for (size_t c = 1; c < k; c++)
            for (size_t i = 0; i < n; i++)
                x[i * ld + c - 1] = norm * cos((pi / (double)n) * ((double)i + 0.5) * (double)c);
        for (size_t i = 0; i < n; i++)
            x[i * ld + k - 1] = 1.0;
        return BRACT_OK;
    }
    if (o->drift == BRACT_GLM_DRIFT_NONE) {
        for (size_t i = 0; i < n; i++)
            x[i * ld] = 1.0;
        return BRACT_OK;
    }
    /* polynomial: (f / f_max)^p, p = 0..order, orthogonalised, constant last */
    double *pol = bract_xmalloc(n * k, sizeof *pol, "polynomial drifts");
    if (!pol)
        return BRACT_ENOMEM;
    double tmax = ft[0];
    for (size_t i = 1; i < n; i++)
        if (ft[i] > tmax)
            tmax = ft[i];
    for (size_t i = 0; i < n; i++) {
        double u = ft[i] / tmax;
        for (size_t p = 0; p < k; p++)
            pol[i * k + p] = p == 0 ? 1.0 : p == 1 ? u : p == 2 ? u * u : pow(u, (double)p);
    }
    orthogonalize(pol, n, k, k);
    for (size_t i = 0; i < n; i++) {
        for (size_t p = 1; p < k; p++)
            x[i * ld + p - 1] = pol[i * k + p];
        x[i * ld + k - 1] = pol[i * k];
    }
    free(pol);
    return BRACT_OK;
}

/* ---- the design ---- */

static int check_opts(const bract_glm_design_opts *o, size_t nvol, double tr)
{
    if (!(tr > 0) || !isfinite(tr))
        return bract_error(BRACT_EINVAL, "the repetition time must be > 0 s (got %g)", tr);
    if (nvol < 2)
        return bract_error(BRACT_EDATA, "a run needs at least 2 volumes (got %zu)", nvol);
    if (!(o->slice_time_ref >= 0 && o->slice_time_ref <= 1))
        return bract_error(BRACT_EINVAL, "the slice time reference is a fraction of the TR in "
                           "[0, 1] (got %g)", o->slice_time_ref);
    if (o->drift == BRACT_GLM_DRIFT_COSINE && !(o->high_pass > 0 && isfinite(o->high_pass)))
        return bract_error(BRACT_EINVAL, "the cosine drift needs a high-pass cut-off > 0 Hz "
                           "(got %g)", o->high_pass);
    if (o->drift == BRACT_GLM_DRIFT_POLYNOMIAL && (o->drift_order < 0 || o->drift_order > 100))
        return bract_error(BRACT_EINVAL, "the polynomial drift order must be in 0..100 (got %d)",
                           o->drift_order);
    if ((int)o->drift < 0 || (int)o->drift > 2)
        return bract_error(BRACT_EINVAL, "unknown drift model %d", (int)o->drift);
    return BRACT_OK;
}

/* Conditions: the distinct labels, sorted. */
static int design_conditions(bract_glm_design *d, const bract_events *ev, size_t nev)
{
    if (!nev)
        return BRACT_OK;
    const char **labs = bract_xmalloc(nev, sizeof *labs, "labels");
    if (!labs)
        return BRACT_ENOMEM;
    for (size_t k = 0; k < nev; k++)
        labs[k] = ev->ev[k].label;
    qsort(labs, nev, sizeof *labs, cmp_str);
    size_t nc = 0;
    for (size_t k = 0; k < nev; k++)
        if (k == 0 || strcmp(labs[k], labs[k - 1]) != 0)
            labs[nc++] = labs[k];
    int rc = BRACT_OK;
    d->cond = bract_xcalloc(nc, sizeof *d->cond, "conditions");
    d->cond_nevents = bract_xcalloc(nc, sizeof *d->cond_nevents, "conditions");
    if (!d->cond || !d->cond_nevents)
        rc = BRACT_ENOMEM;
    for (size_t c = 0; c < nc && !rc; c++)
        if (!(d->cond[c] = bract_xstrdup(labs[c])))
            rc = BRACT_ENOMEM;
    if (!rc)
        d->ncond = nc;
    free(labs);
    return rc;
}

/* Every event inside the run, and the run longer than its HRF. */
static int design_check_events(const bract_glm_design *d, const bract_events *ev,
                               const char *evname, const bract_hrf_plan *plan,
                               const bract_glm_design_opts *o)
{
    const size_t nvol = d->nvol;
    const double tr = d->tr, run_end = (double)nvol * tr;
    double ks = bract_hrf_plan_kernel_seconds(plan);
    if (run_end <= ks)
        return bract_error(BRACT_EDATA, "%s: the run (%zu volumes x %g s = %g s) is not longer "
                           "than its %s HRF (%g s)", evname, nvol, tr, run_end,
                           bract_hrf_model_name(o->hrf.model), ks);
    double first = d->frame_times[0] + o->hrf.min_onset;
    for (size_t k = 0; k < ev->n; k++) {
        const bract_event *e = &ev->ev[k];
        if (e->onset < first || e->onset >= run_end)
            return bract_error(BRACT_EDATA, "%s:%zu: event '%s' at %g s is outside the run "
                               "(onsets from %g s, before the end of the last of %zu volumes "
                               "at %g s)", evname, e->line, e->label, e->onset, first, nvol,
                               run_end);
    }
    return BRACT_OK;
}

/* The task columns of every condition into full (nvol x p). */
static int design_task(bract_glm_design *d, const bract_events *ev, bract_hrf_plan *plan,
                       const bract_glm_design_opts *o, double *full)
{
    const size_t nev = ev ? ev->n : 0, p = d->ncol;
    double *on = NULL, *dur = NULL, *amp = NULL;
    if (nev) {
        if (!(on = bract_xmalloc(3 * nev, sizeof *on, "events")))
            return BRACT_ENOMEM;
        dur = on + nev;
        amp = dur + nev;
    }
    int rc = BRACT_OK;
    for (size_t c = 0; c < d->ncond && !rc; c++) {
        size_t m = 0;
        for (size_t k = 0; k < nev; k++)
            if (strcmp(ev->ev[k].label, d->cond[c]) == 0) {
                on[m] = ev->ev[k].onset;
                dur[m] = ev->ev[k].duration;
                amp[m] = ev->ev[k].modulation;
                m++;
            }
        d->cond_nevents[c] = m;
        if ((rc = bract_hrf_plan_regressors(plan, on, dur, amp, m, full + c * d->nbasis, p)))
            break;
        for (size_t b = 0; b < d->nbasis && !rc; b++) {
            size_t j = c * d->nbasis + b;
            d->kind[j] = BRACT_GLM_COL_TASK;
            if (!(d->name[j] = bract_hrf_column_name(o->hrf.model, d->cond[c], b,
                                                     o->hrf.fir_delays)))
                rc = BRACT_ENOMEM;
        }
    }
    free(on);
    return rc;
}

/* The confound columns, then the drift columns (the last one the
 * constant) after the task's, and no name twice. */
static int design_nuisance(bract_glm_design *d, const bract_nuisance *conf,
                           const bract_glm_design_opts *o, size_t ntask, size_t ndrift,
                           const char *evname, double *full)
{
    const size_t nvol = d->nvol, p = d->ncol, nconf = conf ? conf->ncols : 0;
    for (size_t j = 0; j < nconf; j++) {
        size_t col = ntask + j;
        d->kind[col] = BRACT_GLM_COL_CONFOUND;
        if (!(d->name[col] = bract_xstrdup(conf->name[j])))
            return BRACT_ENOMEM;
        for (size_t i = 0; i < nvol; i++)
            full[i * p + col] = conf->x[i * nconf + j];
    }
    int rc = make_drift(o, d->frame_times, nvol, full + ntask + nconf, p, ndrift);
    if (rc)
        return rc;
    for (size_t j = 0; j < ndrift; j++) {
        size_t col = ntask + nconf + j;
        bract_buf b = {0};
        int last = j + 1 == ndrift;
        d->kind[col] = last ? BRACT_GLM_COL_CONSTANT : BRACT_GLM_COL_DRIFT;
        if (last ? bract_buf_printf(&b, "constant") : bract_buf_printf(&b, "drift_%zu", j + 1)) {
            bract_buf_free(&b);
            return BRACT_ENOMEM;
        }
        d->name[col] = b.data;
    }
    for (size_t j = 0; j < p; j++)
        for (size_t k = 0; k < j; k++)
            if (strcmp(d->name[j], d->name[k]) == 0)
                return bract_error(BRACT_EDATA, "%s: two design columns are named '%s' (a "
                                   "condition and a confound, or a confound given twice)",
                                   conf ? conf->path : evname, d->name[j]);
    return BRACT_OK;
}

/* Rows: the kept volumes; then residual dof and full rank. */
static int design_rows(bract_glm_design *d, const bract_nuisance *conf, const double *full,
                       const char *evname)
{
    const size_t nvol = d->nvol, p = d->ncol;
    size_t nrow = 0;
    for (size_t i = 0; i < nvol; i++)
        nrow += !conf || conf->keep[i];
    d->nrow = nrow;
    d->row_volume = bract_xmalloc(nrow ? nrow : 1, sizeof *d->row_volume, "design rows");
    d->x = bract_xmalloc(nrow * p, sizeof *d->x, "a design");
    if (!d->row_volume || !d->x)
        return BRACT_ENOMEM;
    for (size_t i = 0, r = 0; i < nvol; i++)
        if (!conf || conf->keep[i]) {
            d->row_volume[r] = i;
            memcpy(d->x + r * p, full + i * p, p * sizeof *d->x);
            r++;
        }
    if (nrow <= p)
        return bract_error(BRACT_EDATA, "%s: the design has %zu columns but only %zu %s: no "
                           "residual degrees of freedom", evname, p, nrow,
                           nrow == nvol ? "volumes" : "uncensored volumes");
    size_t rank;
    int rc = bract_glmi_pinv(d->x, nrow, p, NULL, &rank, NULL, NULL);
    if (rc)
        return rc;
    if (rank < p)
        return bract_glmi_collinear_error(d->x, nrow, p, (const char *const *)d->name, evname);
    return BRACT_OK;
}

int bract_glm_design_new(const bract_events *ev, size_t nvol, double tr,
                         const bract_nuisance *conf, const bract_glm_design_opts *o,
                         bract_glm_design **out)
{
    *out = NULL;
    int rc = check_opts(o, nvol, tr);
    if (rc)
        return rc;
    const char *evname = ev && ev->path ? ev->path : "events";
    if (conf && conf->nrows != nvol)
        return bract_error(BRACT_EDATA, "%s: %zu rows, but the run has %zu volumes: a confounds "
                           "table needs one row per volume", conf->path, conf->nrows, nvol);
    bract_glm_design *d = bract_xcalloc(1, sizeof *d, "a design");
    if (!d)
        return BRACT_ENOMEM;
    bract_hrf_plan *plan = NULL;
    double *full = NULL;
    d->nvol = nvol;
    d->tr = tr;
    d->frame_times = bract_xmalloc(nvol, sizeof *d->frame_times, "frame times");
    if (!d->frame_times) {
        rc = BRACT_ENOMEM;
        goto done;
    }
    bract_glm_frame_times(nvol, tr, o->slice_time_ref, d->frame_times);
    const size_t nev = ev ? ev->n : 0;
    if ((rc = design_conditions(d, ev, nev)) ||
        (rc = bract_hrf_plan_new(&o->hrf, d->frame_times, nvol, &plan)))
        goto done;
    d->nbasis = bract_hrf_plan_nbasis(plan);
    if (nev && (rc = design_check_events(d, ev, evname, plan, o)))
        goto done;
    /* columns: task, confounds, drift */
    const size_t ntask = d->ncond * d->nbasis, nconf = conf ? conf->ncols : 0;
    const size_t ndrift = drift_ncols(o, d->frame_times, nvol);
    d->ncol = ntask + nconf + ndrift;
    d->name = bract_xcalloc(d->ncol, sizeof *d->name, "column names");
    d->kind = bract_xcalloc(d->ncol, sizeof *d->kind, "column kinds");
    full = bract_xcalloc(nvol * d->ncol, sizeof *full, "a design");
    if (!d->name || !d->kind || !full) {
        rc = BRACT_ENOMEM;
        goto done;
    }
    if ((rc = design_task(d, ev, plan, o, full)) ||
        (rc = design_nuisance(d, conf, o, ntask, ndrift, evname, full)) ||
        (rc = design_rows(d, conf, full, evname)))
        goto done;
    *out = d;
    d = NULL;
done:
    bract_hrf_plan_free(plan);
    free(full);
    bract_glm_design_free(d);
    return rc;
}

int bract_glm_design_write(const bract_glm_design *d, const char *path, int force)
{
    bract_tsv_writer *w;
    int rc = bract_tsv_open(path, force, d->ncol, (const char *const *)d->name, &w);
    if (rc)
        return rc;
    for (size_t i = 0; i < d->nrow; i++) {
        for (size_t j = 0; j < d->ncol; j++)
            bract_tsv_double(w, d->x[i * d->ncol + j]);
        bract_tsv_end_row(w);
    }
    return bract_tsv_commit(w);
}
