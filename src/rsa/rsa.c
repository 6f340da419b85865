/* Region RSA across subjects: condition matching, comparison, permutation
 * and bootstrap per subject, group tests, noise ceiling, pairwise model
 * comparisons, FDR (see rsa.h). */
#include "base/internal.h"
#include "rsa/rsa_internal.h"

#include <math.h>
#include <string.h>

#include <omp.h>

static const char *const group_test_names[] = {"t", "wilcoxon", "signflip", NULL};

const char *bract_rsa_group_test_name(bract_rsa_group_test t)
{
    return (unsigned)t <= BRACT_GROUP_SIGNFLIP ? group_test_names[t] : "unknown";
}

int bract_rsa_group_test_parse(const char *s, bract_rsa_group_test *out)
{
    int v;
    int rc = bract_enum_lookup("group test", s, group_test_names, &v);
    if (rc == BRACT_OK)
        *out = (bract_rsa_group_test)v;
    return rc;
}

void bract_rsa_opts_defaults(bract_rsa_opts *o)
{
    memset(o, 0, sizeof *o);
    o->method = BRACT_CMP_SPEARMAN;
    o->partial = BRACT_PARTIAL_NONE;
    o->nan_policy = BRACT_NAN_MATCH;
    o->permutations = 10000;
    o->bootstrap = 0;
    o->ci_level = 0.95;
    o->alternative = BRACT_ALT_GREATER;
    o->group = 0;
    o->group_test = BRACT_GROUP_T;
    o->group_permutations = 10000;
    o->fisher = 1;
    o->pairwise = 1;
    o->seed = 1;
}

int bract_rsa_signflip_test(const double *x, size_t n, size_t nflips, uint64_t seed, uint64_t stream,
                        bract_stats_alternative alt, double *mean, double *p, size_t *nused)
{
    *mean = *p = NAN;
    *nused = 0;
    if (n == 0)
        return bract_error(BRACT_EDATA, "a sign-flip test needs at least 1 value");
    if (nflips == 0 || nflips > UINT32_MAX)
        return bract_error(BRACT_EINVAL, "a sign-flip test needs 1 to %u flips",
                           (unsigned)UINT32_MAX);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return bract_error(BRACT_EDATA, "a sign-flip test got a non-finite value (item %zu)",
                               i + 1);
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += x[i];
    double obs = s / (double)n;
    int exhaustive = n < 63 && ((uint64_t)1 << n) - 1 <= nflips;
    size_t N = exhaustive ? (size_t)(((uint64_t)1 << n) - 1) : nflips;
    size_t ge = 0;
    for (size_t b = 1; b <= N; b++) {
        bract_rng r;
        bract_rng_init(&r, seed, stream, (uint32_t)b);
        double t = 0;
        for (size_t i = 0; i < n; i++) {
            int neg = exhaustive ? (int)((b >> i) & 1) : (int)(bract_rng_u32(&r) & 1);
            t += neg ? -x[i] : x[i];
        }
        ge += (size_t)bract_null_reaches(t / (double)n, obs, alt);
    }
    *mean = obs;
    *p = (double)(ge + 1) / (double)(N + 1);
    *nused = N;
    return BRACT_OK;
}

/* ------------------------------------------------------------------ */

void bract_rsa_result_free(bract_rsa_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nregions; i++)
        free(r->regions ? r->regions[i] : NULL);
    for (size_t i = 0; i < r->nmodels; i++)
        free(r->models ? r->models[i] : NULL);
    for (size_t i = 0; i < r->nsubjects; i++)
        free(r->subjects ? r->subjects[i] : NULL);
    free(r->regions);
    free(r->models);
    free(r->subjects);
    free(r->rows);
    free(r);
}

/* Condition labels of the first model, sorted for lookup. */
typedef struct {
    const char *s;
    size_t i;
} label_ref;

typedef struct {
    size_t n;
    char *const *label;
    label_ref *sorted; /* the labels in strcmp order */
} labelset;

static int cmp_label_ref(const void *a, const void *b)
{
    return strcmp(((const label_ref *)a)->s, ((const label_ref *)b)->s);
}

static long find_label(const labelset *L, const char *s)
{
    size_t lo = 0, hi = L->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(L->sorted[mid].s, s);
        if (c == 0)
            return (long)L->sorted[mid].i;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

/* map[i] = position among the models' conditions of condition i of r; an
 * error listing the differences otherwise.  seen holds L->n flags.  With
 * allow_extra (a neural RDM under common_conditions), conditions the
 * models lack map to SIZE_MAX and *nextra counts them (their names go to
 * *extra_names, which the caller frees); the models' conditions must all
 * be there still. */
static int cond_map(const labelset *L, const bract_rdm *r, const char *file, const char *what,
                    size_t *map, unsigned char *seen, int allow_extra, size_t *nextra,
                    char **extra_names)
{
    memset(seen, 0, L->n);
    size_t extra = 0;
    bract_buf msg = {0};
    for (size_t i = 0; i < r->n; i++) {
        long k = find_label(L, r->cond[i]);
        if (k < 0) {
            if (extra < 5)
                bract_buf_printf(&msg, "%s'%s'", extra ? ", " : "", r->cond[i]);
            extra++;
            map[i] = SIZE_MAX;
            continue;
        }
        map[i] = (size_t)k;
        seen[k] = 1;
    }
    size_t missing = 0;
    for (size_t k = 0; k < L->n; k++)
        missing += !seen[k];
    if (!missing && (!extra || allow_extra)) {
        if (nextra)
            *nextra = extra;
        if (extra && extra_names) {
            if (extra > 5)
                bract_buf_printf(&msg, ", ...");
            *extra_names = msg.data;
        } else
            bract_buf_free(&msg);
        return BRACT_OK;
    }
    bract_buf out = {0};
    bract_buf_printf(&out,
                     "%s: %s '%s' does not have the conditions of the models (%zu conditions, "
                     "the models %zu)",
                     file, what, r->name, r->n, L->n);
    if (extra)
        bract_buf_printf(&out, "; not in the models: %s%s (%zu in all)", msg.data,
                         extra > 5 ? ", ..." : "", extra);
    if (extra && !missing && strcmp(what, "RDM") == 0) /* a neural RDM */
        bract_buf_printf(&out, "; compare on the models' conditions only "
                               "(--common-conditions), or leave them out of the neural RDMs "
                               "(bract rdm neural --exclude)");
    if (missing) {
        bract_buf_printf(&out, "; missing: ");
        size_t shown = 0;
        for (size_t k = 0; k < L->n && shown < 5; k++)
            if (!seen[k])
                bract_buf_printf(&out, "%s'%s'", shown++ ? ", " : "", L->label[k]);
        bract_buf_printf(&out, "%s (%zu in all)", missing > 5 ? ", ..." : "", missing);
    }
    int rc = bract_error(BRACT_EDATA, "%s", out.data ? out.data : "conditions differ");
    bract_buf_free(&msg);
    bract_buf_free(&out);
    return rc;
}

/* Put r's dissimilarities into the models' condition order (n
 * conditions); r's conditions mapped to SIZE_MAX are left out. */
static void reorder(const bract_rdm *r, const size_t *map, size_t n, double *out)
{
    size_t q = 0;
    for (size_t i = 0; i < r->n; i++)
        for (size_t j = i + 1; j < r->n; j++, q++) {
            size_t a = map[i], b = map[j];
            if (a == SIZE_MAX || b == SIZE_MAX)
                continue;
            out[a < b ? bract_pair_index(n, a, b) : bract_pair_index(n, b, a)] = r->d[q];
        }
}

/* Progress of a sub-task mapped onto the whole run. */
typedef struct {
    const bract_progress *outer;
    size_t base, total;
} progress_map;

static void progress_inner(void *ctx, size_t done, size_t total)
{
    (void)total;
    progress_map *m = ctx;
    bract_progress_report(m->outer, m->base + done, m->total);
}

/* Percentile interval of the finite values among x[0..n) (sorted in
 * place). */
static void percentile_ci(double *x, size_t n, double level, double *lo, double *hi)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i]))
            x[m++] = x[i];
    size_t *idx = bract_xmalloc(2 * (m ? m : 1), sizeof *idx, "a bootstrap interval");
    double *s = bract_xmalloc(m ? m : 1, sizeof *s, "a bootstrap interval");
    *lo = *hi = NAN;
    if (idx && s && m) {
        bract_stats_argsort(x, m, idx, idx + m);
        for (size_t i = 0; i < m; i++)
            s[i] = x[idx[i]];
        *lo = bract_stats_quantile(s, m, (1 - level) / 2);
        *hi = bract_stats_quantile(s, m, (1 + level) / 2);
    }
    free(idx);
    free(s);
}

typedef struct {
    const bract_rsa_input *in;
    const bract_rsa_opts *o;
    bract_rsa_result *res;
    size_t n, np, S, G, K, nplans;
    labelset L;
    double *models;        /* K x np in the models' condition order */
    double *controls;      /* nc x np */
    size_t *plan_of;       /* K: plan of each model */
    size_t *slot;          /* K: position of the model within its plan */
    bract_compare_plan **plans;
    size_t *plan_k;        /* models per plan */
    size_t **plan_models;  /* their indices */
    progress_map pm;
    bract_progress inner; /* reports into pm */
    /* the run (bract_rsa_run) */
    int pairwise;         /* pairwise model rows */
    size_t npair;         /* K (K - 1) / 2 */
    size_t unit;          /* progress units per subject, region and plan */
    double *X;            /* S x np: the subjects' RDMs of the current region */
    double *boot;         /* S x K x bootstrap values (model-major per subject) */
    double *rv;           /* S x K: the subjects' values */
    double *work, *work2; /* scratch */
    size_t *map;          /* condition map of a neural RDM */
    unsigned char *seen;
    unsigned char *bad;  /* S: the subject's RDM of the region is left out */
    const double **sub;  /* S: RDMs for the noise ceiling */
    bract_rsa_row *grp;  /* the group rows of res */
    bract_rsa_row *subr; /* the subject rows of res */
} rsa_ctx;

static const char *subj_file(const rsa_ctx *c, size_t s)
{
    const bract_rsa_input *in = c->in;
    return in->subject_files ? in->subject_files[s] : in->subject_names[s];
}

/* "FILE:LINE" of the pair (a, b) of RDM `rdm` in `file` (just FILE when the
 * line is unknown: HDF5, or no file). */
static void pair_place(char *buf, size_t cap, const char *file, const char *rdm, const char *a,
                       const char *b)
{
    size_t line = 0;
    if (file)
        bract_rdmset_pair_line(file, rdm, a, b, &line);
    if (line)
        snprintf(buf, cap, "%s:%zu", file, line);
    else
        snprintf(buf, cap, "%s", file ? file : rdm);
}

/* The model that misses pair q, blamed for a neural value there (F17). */
static int model_misses(const rsa_ctx *c, size_t s, const char *region, size_t q, const char *a,
                        const char *b)
{
    size_t m = 0;
    while (m + 1 < c->K && !isnan(c->models[m * c->np + q]))
        m++;
    const char *mfile = c->in->model_files ? c->in->model_files[m] : NULL;
    char where[4200];
    pair_place(where, sizeof where, mfile, c->in->models[m]->name, a, b);
    return bract_error(BRACT_EDATA,
                       "%s: model '%s' has no value for the pair (%s, %s), which RDM '%s' of %s "
                       "has: missing pairs must coincide (rsatoolbox's rule; the model-mask "
                       "policy ignores such values)",
                       where, c->in->models[m]->name, a, b, region, subj_file(c, s));
}

/* Check the neural RDM's values: defined where the models are, missing where
 * they all are (the match policy), never negative unless crossnobis. */
static int check_pairs(const rsa_ctx *c, size_t s, const char *region, const double *x)
{
    size_t n = c->n, q = 0;
    const char *measure = c->in->neural[s]->measure;
    int may_be_negative = c->o->allow_negative || (measure && strcmp(measure, "crossnobis") == 0);
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++, q++) {
            double v = x[q];
            int used = 0, missing_in_models = 1;
            for (size_t m = 0; m < c->K; m++)
                if (!isnan(c->models[m * c->np + q]))
                    used = 1, missing_in_models = 0;
            const char *a = c->L.label[i], *b = c->L.label[j];
            char where[4200];
            if (used && !isfinite(v)) {
                pair_place(where, sizeof where, subj_file(c, s), region, a, b);
                return bract_error(BRACT_EDATA,
                                   "%s: RDM '%s' has %s for the pair (%s, %s), which the models "
                                   "have",
                                   where, region, isnan(v) ? "no value" : "a non-finite value",
                                   a, b);
            }
            if (v < -1e-12 && !may_be_negative) { /* below rounding */
                pair_place(where, sizeof where, subj_file(c, s), region, a, b);
                return bract_error(BRACT_EDATA,
                                   "%s: RDM '%s' has the negative dissimilarity %g for the pair "
                                   "(%s, %s) (expected >= 0; only crossnobis RDMs may be "
                                   "negative, known by an HDF5 measure or the TSV's sidecar; "
                                   "values that are not distances: --allow-negative)",
                                   where, region, v, a, b);
            }
            if (c->o->nan_policy == BRACT_NAN_MATCH && missing_in_models && !isnan(v))
                return model_misses(c, s, region, q, a, b);
        }
    return BRACT_OK;
}

static int setup_models(rsa_ctx *c)
{
    const bract_rsa_input *in = c->in;
    const bract_rsa_opts *o = c->o;
    const bract_rdm *m0 = in->models[0];
    size_t n = m0->n, np = bract_npairs(n), K = in->nmodels;
    c->n = n;
    c->np = np;
    c->K = K;
    c->L.n = n;
    c->L.label = m0->cond;
    c->L.sorted = bract_xmalloc(n, sizeof *c->L.sorted, "condition labels");
    size_t nc = o->partial == BRACT_PARTIAL_NONE ? 0 : in->ncontrols;
    c->models = bract_xmalloc(K * np, sizeof *c->models, "model RDMs");
    c->controls = bract_xmalloc(nc * np + 1, sizeof *c->controls, "control RDMs");
    c->plan_of = bract_xmalloc(K, sizeof *c->plan_of, "plans");
    c->slot = bract_xmalloc(K, sizeof *c->slot, "plans");
    /* the map has a slot per condition of the largest RDM mapped */
    size_t maxn = n;
    for (size_t m = 0; m < K + nc; m++) {
        const bract_rdm *r = m < K ? in->models[m] : in->controls[m - K];
        maxn = r->n > maxn ? r->n : maxn;
    }
    size_t *map = bract_xmalloc(maxn, sizeof *map, "a condition map");
    unsigned char *seen = bract_xmalloc(n, 1, "a condition map");
    int rc = BRACT_OK;
    if (!c->L.sorted || !c->models || !c->controls || !c->plan_of || !c->slot || !map || !seen) {
        rc = BRACT_ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        c->L.sorted[i].s = m0->cond[i];
        c->L.sorted[i].i = i;
    }
    qsort(c->L.sorted, n, sizeof *c->L.sorted, cmp_label_ref);
    for (size_t m = 0; m < K + nc; m++) {
        const bract_rdm *r = m < K ? in->models[m] : in->controls[m - K];
        const char *file = m < K ? (in->model_files ? in->model_files[m] : "models")
                                 : (in->control_files ? in->control_files[m - K] : "controls");
        const char *what = m < K ? "model RDM" : "control RDM";
        if ((rc = cond_map(&c->L, r, file, what, map, seen, 0, NULL, NULL)))
            goto done;
        double *dst = m < K ? c->models + m * np : c->controls + (m - K) * np;
        reorder(r, map, n, dst);
        /* a constant model says nothing: name it here */
        double first = NAN;
        int constant = 1;
        for (size_t q = 0; q < np && constant; q++) {
            if (isnan(dst[q]))
                continue;
            if (isnan(first))
                first = dst[q];
            else if (dst[q] != first)
                constant = 0;
        }
        if (constant) {
            rc = bract_error(BRACT_EDATA,
                             "%s: %s '%s' is constant: a comparison with it is undefined", file,
                             what, r->name);
            goto done;
        }
    }
    /* plans: all models together when they miss the same pairs (always with
     * a partial setting or rsatoolbox's missing-pair rule), else one plan
     * per set of models with equal missing pairs */
    int same = 1;
    for (size_t m = 1; m < K && same; m++)
        for (size_t q = 0; q < np && same; q++)
            same = isnan(c->models[q]) == isnan(c->models[m * np + q]);
    if (!same && (o->partial != BRACT_PARTIAL_NONE || o->nan_policy == BRACT_NAN_MATCH)) {
        rc = bract_error(BRACT_EDATA,
                         "the model RDMs miss different pairs of conditions: %s needs them to "
                         "miss the same pairs",
                         o->partial != BRACT_PARTIAL_NONE ? "partial correlation"
                                                          : "rsatoolbox's missing-pair rule");
        goto done;
    }
    c->nplans = 0;
    for (size_t m = 0; m < K; m++) {
        size_t pl = c->nplans;
        for (size_t m2 = 0; m2 < m; m2++) {
            int eq = 1;
            for (size_t q = 0; q < np && eq; q++)
                eq = isnan(c->models[m2 * np + q]) == isnan(c->models[m * np + q]);
            if (eq) {
                pl = c->plan_of[m2];
                break;
            }
        }
        c->plan_of[m] = pl;
        if (pl == c->nplans)
            c->nplans++;
    }
    c->plans = bract_xcalloc(c->nplans, sizeof *c->plans, "plans");
    c->plan_k = bract_xcalloc(c->nplans, sizeof *c->plan_k, "plans");
    c->plan_models = bract_xcalloc(c->nplans, sizeof *c->plan_models, "plans");
    if (!c->plans || !c->plan_k || !c->plan_models) {
        rc = BRACT_ENOMEM;
        goto done;
    }
    for (size_t pl = 0; pl < c->nplans; pl++) {
        size_t k = 0;
        if (!(c->plan_models[pl] = bract_xmalloc(K, sizeof **c->plan_models, "plans"))) {
            rc = BRACT_ENOMEM;
            goto done;
        }
        const double **mv = (const double **)bract_xmalloc(K, sizeof *mv, "plans");
        const double **cv = (const double **)bract_xmalloc(nc + 1, sizeof *cv, "plans");
        if (!mv || !cv) {
            free(mv);
            free(cv);
            rc = BRACT_ENOMEM;
            goto done;
        }
        for (size_t m = 0; m < K; m++)
            if (c->plan_of[m] == pl) {
                c->slot[m] = k;
                c->plan_models[pl][k] = m;
                mv[k++] = c->models + m * np;
            }
        c->plan_k[pl] = k;
        for (size_t i = 0; i < nc; i++)
            cv[i] = c->controls + i * np;
        bract_compare_opts co = {o->method, o->partial, o->nan_policy};
        rc = bract_compare_plan_new(&co, n, k, mv, nc, cv, &c->plans[pl]);
        free(mv);
        free(cv);
        if (rc) {
            bract_error_context(rc, "comparing with the models");
            goto done;
        }
    }
done:
    free(map);
    free(seen);
    return rc;
}

static void ctx_free(rsa_ctx *c)
{
    free(c->X);
    free(c->boot);
    free(c->rv);
    free(c->work);
    free(c->work2);
    free(c->map);
    free(c->seen);
    free(c->bad);
    free(c->sub);
    free(c->L.sorted);
    free(c->models);
    free(c->controls);
    free(c->plan_of);
    free(c->slot);
    for (size_t pl = 0; pl < c->nplans; pl++) {
        if (c->plans)
            bract_compare_plan_free(c->plans[pl]);
        if (c->plan_models)
            free(c->plan_models[pl]);
    }
    free(c->plans);
    free(c->plan_k);
    free(c->plan_models);
}

/* The group test of values v[0..m) (two-sided for pairwise rows). */
static void group_test(const rsa_ctx *c, const double *v, size_t m, bract_stats_alternative alt,
                       bract_rsa_row *row)
{
    const bract_rsa_opts *o = c->o;
    row->stat = row->df = row->p = NAN;
    row->ci_low = row->ci_high = NAN;
    if (m < 2)
        return;
    int rc;
    double mean = bract_stats_mean(v, m), sd = sqrt(bract_stats_var(v, m, 1));
    switch (o->group_test) {
    case BRACT_GROUP_WILCOXON:
        row->test = "wilcoxon";
        rc = bract_stats_wilcoxon(v, m, alt, &row->stat, &row->p);
        break;
    case BRACT_GROUP_SIGNFLIP:
        row->test = "signflip";
        rc = bract_rsa_signflip_test(v, m, o->group_permutations, o->seed, BRACT_STREAM_SIGNFLIP, alt,
                                 &row->stat, &row->p, &row->nsamples);
        break;
    default:
        row->test = "t";
        rc = bract_stats_ttest_1samp(v, m, 0, alt, &row->stat, &row->p);
        if (!rc)
            row->df = (double)(m - 1);
        break;
    }
    if (rc) {
        bract_warn("%s", bract_last_error());
        row->p = NAN;
    }
    if (sd > 0) {
        double h = bract_stats_t_ppf((1 + o->ci_level) / 2, (double)(m - 1)) * sd / sqrt((double)m);
        row->ci_low = mean - h;
        row->ci_high = mean + h;
    }
}

/* A group row from the per-subject values rv (subject-major, K per
 * subject) of model a, minus those of model b for a pairwise row (b !=
 * BRACT_RSA_NONE).  work holds S values. */
static void group_row(const rsa_ctx *c, bract_rsa_row *w, size_t region, size_t a, size_t b,
                      const double *rv, const unsigned char *bad, double *work, size_t npairs)
{
    const bract_rsa_opts *o = c->o;
    size_t K = c->K, cnt = 0;
    int pair = b != BRACT_RSA_NONE, zok = 1;
    double sr = 0, sz = 0;
    w->level = BRACT_RSA_GROUP;
    w->region = region;
    w->model = a;
    w->model_b = b;
    w->npairs = npairs;
    for (size_t s = 0; s < c->S; s++) {
        double ra = rv[s * K + a], rb = pair ? rv[s * K + b] : 0;
        if (isnan(ra) || isnan(rb) || bad[s])
            continue;
        double z = bract_stats_fisher_z(ra) - (pair ? bract_stats_fisher_z(rb) : 0);
        zok &= isfinite(z) != 0;
        work[cnt++] = o->fisher ? z : ra - rb;
        sr += ra - rb;
        sz += z;
    }
    w->nsubjects = cnt;
    if (cnt == 0)
        return;
    w->r = sr / (double)cnt;
    w->z = zok ? sz / (double)cnt : NAN;
    if (o->fisher && !zok) {
        if (!pair)
            bract_warn("region '%s', model '%s': a subject's value is +-1, whose Fisher z is "
                       "infinite: no group test (test r itself instead)",
                       c->in->neural[0]->rdm[region].name,
                       c->in->model_names ? c->in->model_names[a] : c->in->models[a]->name);
        return;
    }
    group_test(c, work, cnt, pair ? BRACT_ALT_TWO_SIDED : o->alternative, w);
    if (o->fisher && !pair) { /* the interval of the mean z, as r */
        w->ci_low = tanh(w->ci_low);
        w->ci_high = tanh(w->ci_high);
    }
}

static int check_input(const bract_rsa_input *in, const bract_rsa_opts *o)
{
    if (in->nsubjects == 0)
        return bract_error(BRACT_EINVAL, "no neural RDM set");
    if (in->nmodels == 0)
        return bract_error(BRACT_EINVAL, "no model RDM");
    if (o->group && in->nsubjects < 2)
        return bract_error(BRACT_EINVAL,
                           "group statistics need at least 2 subjects (neural RDM sets), got 1");
    if (!(o->ci_level > 0 && o->ci_level < 1))
        return bract_error(BRACT_EINVAL, "the confidence level must be between 0 and 1");
    return BRACT_OK;
}

/* Regions: those of the first subject, in every subject, and nothing else. */
static int check_regions(const rsa_ctx *c)
{
    const bract_rsa_input *in = c->in;
    const bract_rdmset *first = in->neural[0];
    for (size_t s = 1; s < c->S; s++) {
        for (size_t g = 0; g < c->G; g++)
            if (bract_rdmset_find(in->neural[s], first->rdm[g].name) < 0)
                return bract_error(BRACT_EDATA,
                                   "%s has no RDM '%s', which %s has (regions are matched by "
                                   "name across subjects)",
                                   subj_file(c, s), first->rdm[g].name, subj_file(c, 0));
        for (size_t g = 0; g < in->neural[s]->nrdm; g++)
            if (bract_rdmset_find(first, in->neural[s]->rdm[g].name) < 0)
                return bract_error(BRACT_EDATA,
                                   "%s: RDM '%s' is not a region of %s (regions are matched by "
                                   "name across subjects)",
                                   subj_file(c, s), in->neural[s]->rdm[g].name, subj_file(c, 0));
    }
    return BRACT_OK;
}

/* The scratch memory of the run. */
static int alloc_run(rsa_ctx *c)
{
    const bract_rsa_opts *o = c->o;
    size_t S = c->S, K = c->K, n = c->n;
    c->X = bract_xmalloc(S * c->np, sizeof *c->X, "neural RDMs");
    c->boot =
        o->bootstrap ? bract_xmalloc(S * K * o->bootstrap, sizeof *c->boot, "bootstrap") : NULL;
    c->rv = bract_xmalloc(S * K, sizeof *c->rv, "values");
    c->work = bract_xmalloc(S + K + o->bootstrap + 1, sizeof *c->work, "values");
    c->work2 = bract_xmalloc(S + K + 1, sizeof *c->work2, "values");
    size_t maxn = n; /* a map slot per condition of the largest neural RDM */
    for (size_t s = 0; s < S; s++)
        for (size_t g = 0; g < c->in->neural[s]->nrdm; g++)
            maxn = c->in->neural[s]->rdm[g].n > maxn ? c->in->neural[s]->rdm[g].n : maxn;
    c->map = bract_xmalloc(maxn, sizeof *c->map, "a condition map");
    c->seen = bract_xmalloc(n, 1, "a condition map");
    c->bad = bract_xmalloc(S, 1, "flags");
    c->sub = (const double **)bract_xmalloc(S, sizeof *c->sub, "values");
    if (!c->X || (o->bootstrap && !c->boot) || !c->rv || !c->work || !c->work2 || !c->map ||
        !c->seen || !c->bad || !c->sub)
        return BRACT_ENOMEM;
    return BRACT_OK;
}

/* The result: names, and every row with its values undefined. */
static int new_result(rsa_ctx *c, size_t nrows, bract_rsa_result **out)
{
    const bract_rsa_input *in = c->in;
    size_t G = c->G, K = c->K, S = c->S;
    bract_rsa_result *res = bract_xcalloc(1, sizeof *res, "RSA results");
    *out = res;
    if (!res)
        return BRACT_ENOMEM;
    res->nrows = nrows;
    res->rows = bract_xcalloc(nrows ? nrows : 1, sizeof *res->rows, "RSA results");
    res->regions = bract_xcalloc(G, sizeof *res->regions, "names");
    res->models = bract_xcalloc(K, sizeof *res->models, "names");
    res->subjects = bract_xcalloc(S, sizeof *res->subjects, "names");
    if (!res->rows || !res->regions || !res->models || !res->subjects)
        return BRACT_ENOMEM;
    res->nregions = G;
    res->nmodels = K;
    res->nsubjects = S;
    res->nconditions = c->n;
    for (size_t g = 0; g < G; g++)
        if (!(res->regions[g] = bract_xstrdup(in->neural[0]->rdm[g].name)))
            return BRACT_ENOMEM;
    for (size_t m = 0; m < K; m++)
        if (!(res->models[m] =
                  bract_xstrdup(in->model_names ? in->model_names[m] : in->models[m]->name)))
            return BRACT_ENOMEM;
    for (size_t s = 0; s < S; s++)
        if (!(res->subjects[s] = bract_xstrdup(in->subject_names[s])))
            return BRACT_ENOMEM;
    for (size_t r = 0; r < nrows; r++) {
        bract_rsa_row *w = &res->rows[r];
        w->model_b = BRACT_RSA_NONE;
        w->subject = BRACT_RSA_NONE;
        w->r = w->z = w->stat = w->df = w->p = w->p_fdr = NAN;
        w->ci_low = w->ci_high = w->noise_lower = w->noise_upper = NAN;
    }
    return BRACT_OK;
}

/* Every subject's RDM of region g in the models' condition order (X). */
static int load_region(rsa_ctx *c, size_t g, const char *region)
{
    const bract_rsa_opts *o = c->o;
    for (size_t s = 0; s < c->S; s++) {
        const bract_rdmset *set = c->in->neural[s];
        const bract_rdm *r = &set->rdm[bract_rdmset_find(set, region)];
        size_t nextra = 0;
        char *extra = NULL;
        int rc = cond_map(&c->L, r, subj_file(c, s), "RDM", c->map, c->seen, o->common_conditions,
                          &nextra, &extra);
        if (rc)
            return rc;
        if (nextra && g == 0) /* once per subject: its regions share conditions */
            bract_warn("%s: %zu condition%s the models lack left out of its RDMs: %s",
                       subj_file(c, s), nextra, nextra == 1 ? "" : "s", extra);
        free(extra);
        reorder(r, c->map, c->n, c->X + s * c->np);
        if ((rc = check_pairs(c, s, region, c->X + s * c->np)))
            return rc;
        c->bad[s] = 0;
    }
    return BRACT_OK;
}

/* The values of every subject against the models of plan pl (rv), subjects
 * in parallel; a subject whose values are all undefined is left out of
 * the group (bad). */
static int compare_region(rsa_ctx *c, size_t pl, const char *region)
{
    bract_compare_plan *P = c->plans[pl];
    size_t kp = c->plan_k[pl], S = c->S, K = c->K, np = c->np;
    const size_t *pm = c->plan_models[pl];
    const double *X = c->X;
    double *rv = c->rv;
    int err = 0;
#pragma omp parallel
    {
        bract_compare_ws *w = NULL;
        bract_compare_ws_new(P, &w);
        double *tmp = bract_xmalloc(kp, sizeof *tmp, "values");
        if (!w || !tmp) {
#pragma omp atomic write
            err = 1;
        }
#pragma omp for schedule(dynamic, 1)
        for (size_t s = 0; s < S; s++) {
            if (!w || !tmp)
                continue;
            if (bract_compare_run(P, w, X + s * np, tmp)) {
#pragma omp atomic write
                err = 2;
                continue;
            }
            for (size_t k = 0; k < kp; k++)
                rv[s * K + pm[k]] = tmp[k];
        }
        free(tmp);
        bract_compare_ws_free(w);
    }
    if (err)
        return err == 1 ? BRACT_ENOMEM
                        : bract_error(BRACT_EDATA, "comparing region '%s' failed", region);
    for (size_t s = 0; s < S; s++) {
        int undefined = 1;
        for (size_t k = 0; k < kp; k++)
            undefined &= isnan(rv[s * K + pm[k]]);
        if (undefined && !c->bad[s]) {
            c->bad[s] = 1;
            c->res->excluded++;
            bract_warn("%s: RDM '%s' is constant over the pairs compared: its comparison "
                       "is undefined and it is left out of the group statistics",
                       subj_file(c, s), region);
        }
    }
    return BRACT_OK;
}

/* Subject s, region g, plan pl: the rows with their values, the
 * permutation test and the bootstrap samples. */
static int subject_tests(rsa_ctx *c, size_t g, size_t pl, size_t s)
{
    const bract_rsa_opts *o = c->o;
    bract_compare_plan *P = c->plans[pl];
    size_t kp = c->plan_k[pl], K = c->K, G = c->G, np = c->np;
    const size_t *pm = c->plan_models[pl];
    size_t base = ((g * c->S + s) * c->nplans + pl) * c->unit;
    double *pv = c->work2, *obs = c->work;
    for (size_t k = 0; k < kp; k++) {
        bract_rsa_row *w = &c->subr[(s * G + g) * K + pm[k]];
        w->level = BRACT_RSA_SUBJECT;
        w->subject = s;
        w->region = g;
        w->model = pm[k];
        w->nsubjects = 1;
        w->npairs = bract_compare_plan_npairs(P);
        w->r = c->rv[s * K + pm[k]];
        w->z = bract_stats_fisher_z(w->r);
    }
    int rc;
    if (o->permutations && !c->bad[s]) {
        bract_perm_opts po = {o->permutations, o->seed, BRACT_STREAM_PERMUTATION + s,
                              o->alternative, o->progress ? &c->inner : NULL};
        c->pm.base = base;
        size_t used;
        if ((rc = bract_compare_permtest(P, c->X + s * np, &po, obs, pv, &used, NULL)))
            return rc;
        for (size_t k = 0; k < kp; k++) {
            bract_rsa_row *w = &c->subr[(s * G + g) * K + pm[k]];
            w->p = pv[k];
            w->test = "permutation";
            w->nsamples = used;
        }
    }
    if (o->bootstrap && !c->bad[s]) {
        size_t B = o->bootstrap;
        double *bs = c->boot + s * K * B; /* model-major: bs[m * B + b] */
        double *tmp = bract_xmalloc(B * kp, sizeof *tmp, "bootstrap values");
        if (!tmp)
            return BRACT_ENOMEM;
        c->pm.base = base + o->permutations;
        rc = bract_compare_bootstrap(P, c->X + s * np, B, o->seed, BRACT_STREAM_BOOTSTRAP + s,
                                 o->progress ? &c->inner : NULL, tmp);
        if (!rc)
            for (size_t k = 0; k < kp; k++)
                for (size_t b = 0; b < B; b++)
                    bs[pm[k] * B + b] = tmp[b * kp + k];
        free(tmp);
        if (rc)
            return rc;
    }
    c->pm.base = base + c->unit;
    bract_progress_report(o->progress, c->pm.base, c->pm.total);
    return BRACT_OK;
}

/* The pairwise row of models a - b for subject s from its bootstrap
 * samples bs: rsatoolbox's bootstrap_pair_tests, 2 min(q, 1 - q) with q the
 * share of samples where a < b among those not tied, then
 * (N - 1)/N p + 1/N; tmp holds B values. */
static void bootstrap_pair_row(const rsa_ctx *c, bract_rsa_row *w, size_t s, size_t g, size_t a,
                               size_t b2, const double *bs, double *tmp)
{
    size_t K = c->K, B = c->o->bootstrap;
    const double *rv = c->rv;
    w->level = BRACT_RSA_SUBJECT;
    w->subject = s;
    w->region = g;
    w->model = a;
    w->model_b = b2;
    w->nsubjects = 1;
    w->npairs = c->subr[(s * c->G + g) * K + a].npairs;
    w->r = rv[s * K + a] - rv[s * K + b2];
    w->z = bract_stats_fisher_z(rv[s * K + a]) - bract_stats_fisher_z(rv[s * K + b2]);
    size_t less = 0, tie = 0, valid = 0;
    for (size_t b = 0; b < B; b++) {
        double x = bs[a * B + b], y = bs[b2 * B + b];
        if (isnan(x) || isnan(y))
            continue;
        tmp[valid++] = x - y;
        less += x < y;
        tie += x == y;
    }
    if (valid > tie) {
        double q = (double)less / (double)(valid - tie);
        double pp = 2 * (q < 1 - q ? q : 1 - q);
        double N = (double)valid;
        w->p = (N - 1) / N * pp + 1 / N;
        w->test = "bootstrap";
        w->nsamples = valid;
    }
    percentile_ci(tmp, valid, c->o->ci_level, &w->ci_low, &w->ci_high);
}

/* Bootstrap intervals and pairwise bootstrap tests of region g, per
 * subject. */
static void bootstrap_rows(rsa_ctx *c, size_t g)
{
    const bract_rsa_opts *o = c->o;
    size_t B = o->bootstrap, K = c->K, G = c->G, S = c->S;
    for (size_t s = 0; s < S; s++) {
        if (c->bad[s])
            continue;
        double *bs = c->boot + s * K * B;
        double *tmp = c->work;
        for (size_t m = 0; m < K; m++) {
            bract_rsa_row *w = &c->subr[(s * G + g) * K + m];
            memcpy(tmp, bs + m * B, B * sizeof *tmp);
            percentile_ci(tmp, B, o->ci_level, &w->ci_low, &w->ci_high);
            if (!o->permutations)
                w->nsamples = B;
        }
        if (!c->pairwise)
            continue;
        size_t pi = 0;
        for (size_t a = 0; a < K; a++)
            for (size_t b2 = a + 1; b2 < K; b2++, pi++)
                bootstrap_pair_row(c, &c->subr[S * G * K + (s * G + g) * c->npair + pi], s, g, a,
                                   b2, bs, tmp);
    }
}

/* The noise ceiling of region g per plan (the pairs its models use). */
static int noise_ceiling_rows(rsa_ctx *c, size_t g, const char *region)
{
    size_t np = c->np;
    for (size_t pl = 0; pl < c->nplans; pl++) {
        size_t cnt = 0;
        for (size_t s = 0; s < c->S; s++)
            if (!c->bad[s])
                c->sub[cnt++] = c->X + s * np;
        if (cnt < 2)
            continue;
        unsigned char *use = bract_xmalloc(np, 1, "pair flags");
        if (!use)
            return BRACT_ENOMEM;
        const double *m0 = c->models + c->plan_models[pl][0] * np;
        for (size_t q = 0; q < np; q++)
            use[q] = !isnan(m0[q]);
        double lo, up;
        int rc = bract_compare_noise_ceiling(c->o->method, c->n, cnt, c->sub, use, &lo, &up);
        free(use);
        if (rc)
            return bract_error_context(rc, "noise ceiling of region '%s'", region);
        for (size_t k = 0; k < c->plan_k[pl]; k++) {
            bract_rsa_row *w = &c->grp[g * c->K + c->plan_models[pl][k]];
            w->noise_lower = lo;
            w->noise_upper = up;
        }
    }
    return BRACT_OK;
}

/* The group rows of region g: per model, the noise ceiling, pairwise. */
static int group_rows(rsa_ctx *c, size_t g, const char *region)
{
    size_t K = c->K;
    for (size_t m = 0; m < K; m++)
        group_row(c, &c->grp[g * K + m], g, m, BRACT_RSA_NONE, c->rv, c->bad, c->work,
                  c->subr[g * K + m].npairs);
    int rc;
    if (c->o->partial == BRACT_PARTIAL_NONE && (rc = noise_ceiling_rows(c, g, region)))
        return rc;
    if (!c->pairwise)
        return BRACT_OK;
    size_t pi = 0;
    for (size_t a = 0; a < K; a++)
        for (size_t b2 = a + 1; b2 < K; b2++, pi++)
            group_row(c, &c->grp[c->G * K + g * c->npair + pi], g, a, b2, c->rv, c->bad, c->work,
                      c->grp[g * K + a].npairs);
    return BRACT_OK;
}

/* Everything of region g. */
static int run_region(rsa_ctx *c, size_t g)
{
    const char *region = c->in->neural[0]->rdm[g].name;
    int rc = load_region(c, g, region);
    for (size_t pl = 0; pl < c->nplans && !rc; pl++) {
        rc = compare_region(c, pl, region);
        for (size_t s = 0; s < c->S && !rc; s++)
            rc = subject_tests(c, g, pl, s);
    }
    if (rc)
        return rc;
    if (c->o->bootstrap)
        bootstrap_rows(c, g);
    return c->o->group ? group_rows(c, g, region) : BRACT_OK;
}

/* FDR: within each subject and within the group, separately for the model
 * rows and the pairwise rows. */
static int apply_fdr(bract_rsa_result *res)
{
    size_t S = res->nsubjects;
    double *pp = bract_xmalloc(res->nrows + 1, sizeof *pp, "p-values");
    double *qq = bract_xmalloc(res->nrows + 1, sizeof *qq, "p-values");
    size_t *iw = bract_xmalloc(2 * res->nrows + 2, sizeof *iw, "p-values");
    size_t *which = bract_xmalloc(res->nrows + 1, sizeof *which, "p-values");
    int rc = pp && qq && iw && which ? BRACT_OK : BRACT_ENOMEM;
    for (size_t fam = 0; fam <= S && !rc; fam++) /* fam == S: the group */
        for (int pw = 0; pw < 2; pw++) {
            size_t m = 0;
            for (size_t r = 0; r < res->nrows; r++) {
                const bract_rsa_row *w = &res->rows[r];
                int in_fam = fam == S ? w->level == BRACT_RSA_GROUP
                                      : w->level == BRACT_RSA_SUBJECT && w->subject == fam;
                if (in_fam && (w->model_b != BRACT_RSA_NONE) == pw) {
                    pp[m] = w->p;
                    which[m++] = r;
                }
            }
            bract_stats_fdr_bh(pp, m, qq, iw);
            for (size_t i = 0; i < m; i++)
                res->rows[which[i]].p_fdr = qq[i];
        }
    free(pp);
    free(qq);
    free(iw);
    free(which);
    return rc;
}

int bract_rsa_run(const bract_rsa_input *in, const bract_rsa_opts *o, bract_rsa_result **out)
{
    *out = NULL;
    int rc = check_input(in, o);
    if (rc)
        return rc;
    rsa_ctx c;
    memset(&c, 0, sizeof c);
    c.in = in;
    c.o = o;
    c.S = in->nsubjects;
    c.G = in->neural[0]->nrdm;
    if (!(rc = setup_models(&c)) && !(rc = check_regions(&c)))
        rc = alloc_run(&c);
    size_t S = c.S, G = c.G, K = c.K;
    c.pairwise = o->pairwise && K >= 2;
    c.npair = K * (K - 1) / 2;
    size_t nsub_rows = S * G * K + (c.pairwise && o->bootstrap ? S * G * c.npair : 0);
    size_t ngrp_rows = o->group ? G * K + (c.pairwise ? G * c.npair : 0) : 0;
    if (!rc)
        rc = new_result(&c, nsub_rows + ngrp_rows, &c.res);
    if (!rc) {
        /* work units for the progress bar: per subject and region, the
         * permutations, the bootstrap samples and the comparison itself */
        c.unit = (o->permutations ? o->permutations : 0) + o->bootstrap + 1;
        c.pm.outer = o->progress;
        c.pm.total = S * G * c.unit * c.nplans;
        c.inner = (bract_progress){progress_inner, &c.pm};
        c.grp = c.res->rows;
        c.subr = c.res->rows + ngrp_rows;
    }
    for (size_t g = 0; g < G && !rc; g++)
        rc = run_region(&c, g);
    if (!rc && !(rc = apply_fdr(c.res))) {
        bract_progress_report(o->progress, c.pm.total, c.pm.total);
        *out = c.res;
        c.res = NULL;
    }
    bract_rsa_result_free(c.res);
    ctx_free(&c);
    return rc;
}
