/* bract rsa: compare neural RDMs with model RDMs, with inference per subject
 * and across subjects. */
#include "cli/cli.h"
#include "cli/paths.h"
#include "bract/outputs.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "Usage: bract rsa --neural RDMS.tsv... --model MODEL.tsv... -o RESULTS.tsv [options]\n"
    "\n"
    "Compare neural RDMs with model RDMs and test the match.  Each --neural file\n"
    "is one subject; its RDMs are regions, matched by name across subjects.\n"
    "Every RDM of the --model files is a model.  Conditions are matched by label.\n"
    "A file name may be followed by more file names (shell globs work).\n"
    "\n"
    "Inputs and output:\n"
    "  -n, --neural FILE...    neural RDM sets, one per subject\n"
    "  -m, --model FILE...     model RDM sets\n"
    "      --control FILE...   RDM sets regressed out of every comparison (partial\n"
    "                          pearson or spearman)\n"
    "  -o, --output FILE       results table (TSV), with FILE's sidecar (.json)\n"
    "\n"
    "Comparison:\n"
    "      --method M          spearman, pearson, kendall, tau-a, rho-a, cosine,\n"
    "                          corr_cov or cosine_cov [spearman]\n"
    "      --partial           regress the other models (and --control) out of each\n"
    "                          model and of the neural RDM\n"
    "      --nan POLICY        missing pairs: 'match' (they must coincide in neural\n"
    "                          and model RDMs, as rsatoolbox) or 'model' (pairs the\n"
    "                          models miss are ignored in the neural RDMs) [match]\n"
    "      --common-conditions compare on the models' conditions: conditions of the\n"
    "                          neural RDMs that the models lack (words without a\n"
    "                          vector, say) are left out, with a warning\n"
    "\n"
    "Inference:\n"
    "      --permutations N    condition-label permutations per subject [10000];\n"
    "                          0: no permutation test\n"
    "      --bootstrap N       bootstrap samples over conditions for intervals [0]\n"
    "      --ci LEVEL          confidence level of the intervals [0.95]\n"
    "      --alternative A     greater, less or two-sided [greater]\n"
    "      --group             statistics across subjects (2 or more --neural files):\n"
    "                          group test, noise ceiling, pairwise model comparisons\n"
    "      --group-test T      t (on Fisher z), wilcoxon or signflip [t]\n"
    "      --flips N           sign flips of the signflip test [10000]\n"
    "      --no-fisher         group tests on r instead of Fisher z = atanh(r)\n"
    "      --no-pairwise       no pairwise model comparisons\n"
    "\n" CLI_COMMON_HELP;

enum {
    OPT_CONTROL = OPT_FIRST_CMD,
    OPT_METHOD,
    OPT_PARTIAL,
    OPT_NAN,
    OPT_COMMON,
    OPT_PERMUTATIONS,
    OPT_BOOTSTRAP,
    OPT_CI,
    OPT_ALTERNATIVE,
    OPT_GROUP,
    OPT_GROUP_TEST,
    OPT_FLIPS,
    OPT_NO_FISHER,
    OPT_NO_PAIRWISE
};

typedef struct {
    size_t n, cap;
    char **v;
} strlist;

static int strlist_add(strlist *l, char *s)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 8;
        char **v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return -1;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = s;
    return 0;
}

static int all_distinct(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (strcmp(v[i], v[j]) == 0)
                return 0;
    return 1;
}

static const char *alt_name(bract_alternative a)
{
    return a == BRACT_ALT_GREATER ? "greater" : a == BRACT_ALT_LESS ? "less" : "two-sided";
}

typedef struct {
    strlist neural, model, control;
    bract_rdmset **nsets, **msets, **csets;
    char **subj_names;
    char **model_names, **model_files, **control_files;
    const bract_rdm **models, **controls;
    size_t nmodels, ncontrols;
} inputs;

static void inputs_free(inputs *in)
{
    for (size_t i = 0; i < in->neural.n; i++) {
        if (in->nsets)
            bract_rdmset_free(in->nsets[i]);
        if (in->subj_names)
            free(in->subj_names[i]);
    }
    for (size_t i = 0; i < in->model.n; i++)
        if (in->msets)
            bract_rdmset_free(in->msets[i]);
    for (size_t i = 0; i < in->control.n; i++)
        if (in->csets)
            bract_rdmset_free(in->csets[i]);
    for (size_t i = 0; i < in->nmodels; i++)
        free(in->model_names ? in->model_names[i] : NULL);
    free(in->nsets);
    free(in->msets);
    free(in->csets);
    free(in->subj_names);
    free(in->model_names);
    free(in->model_files);
    free(in->control_files);
    free(in->models);
    free(in->controls);
    free(in->neural.v);
    free(in->model.v);
    free(in->control.v);
}

/* Read every file; name subjects and models. */
static int read_inputs(const cli_ctx *c, inputs *in)
{
    size_t S = in->neural.n;
    in->nsets = calloc(S, sizeof *in->nsets);
    in->msets = calloc(in->model.n, sizeof *in->msets);
    in->csets = calloc(in->control.n + 1, sizeof *in->csets);
    in->subj_names = calloc(S, sizeof *in->subj_names);
    if (!in->nsets || !in->msets || !in->csets || !in->subj_names)
        return cli_error(c, "out of memory");
    for (size_t i = 0; i < S; i++) {
        cli_log(c, "reading %s", in->neural.v[i]);
        if (bract_rdmset_read(in->neural.v[i], &in->nsets[i]))
            return cli_fail(c);
        if (!(in->subj_names[i] = cli_file_stem(in->neural.v[i])))
            return cli_error(c, "out of memory");
    }
    if (!all_distinct(in->subj_names, S)) /* sub-01/rdms.tsv, sub-02/rdms.tsv: the paths */
        for (size_t i = 0; i < S; i++) {
            free(in->subj_names[i]);
            if (!(in->subj_names[i] = strdup(in->neural.v[i])))
                return cli_error(c, "out of memory");
        }
    for (size_t i = 0; i < in->model.n; i++) {
        cli_log(c, "reading %s", in->model.v[i]);
        if (bract_rdmset_read(in->model.v[i], &in->msets[i]))
            return cli_fail(c);
        in->nmodels += in->msets[i]->nrdm;
    }
    for (size_t i = 0; i < in->control.n; i++) {
        if (bract_rdmset_read(in->control.v[i], &in->csets[i]))
            return cli_fail(c);
        in->ncontrols += in->csets[i]->nrdm;
    }
    size_t K = in->nmodels;
    in->models = calloc(K, sizeof *in->models);
    in->model_names = calloc(K, sizeof *in->model_names);
    in->model_files = calloc(K, sizeof *in->model_files);
    in->controls = calloc(in->ncontrols + 1, sizeof *in->controls);
    in->control_files = calloc(in->ncontrols + 1, sizeof *in->control_files);
    if (!in->models || !in->model_names || !in->model_files || !in->controls ||
        !in->control_files)
        return cli_error(c, "out of memory");
    size_t k = 0;
    for (size_t i = 0; i < in->model.n; i++)
        for (size_t j = 0; j < in->msets[i]->nrdm; j++, k++) {
            in->models[k] = &in->msets[i]->rdm[j];
            in->model_files[k] = in->model.v[i];
        }
    k = 0;
    for (size_t i = 0; i < in->control.n; i++)
        for (size_t j = 0; j < in->csets[i]->nrdm; j++, k++) {
            in->controls[k] = &in->csets[i]->rdm[j];
            in->control_files[k] = in->control.v[i];
        }
    /* model names: the RDM's own, or "<file stem>:<name>" when it is not
     * unique among the models */
    for (size_t m = 0; m < K; m++) {
        int dup = 0;
        for (size_t m2 = 0; m2 < K; m2++)
            dup |= m2 != m && strcmp(in->models[m]->name, in->models[m2]->name) == 0;
        if (!dup) {
            in->model_names[m] = strdup(in->models[m]->name);
        } else {
            char *st = cli_file_stem(in->model_files[m]);
            size_t len = (st ? strlen(st) : 0) + strlen(in->models[m]->name) + 2;
            in->model_names[m] = malloc(len);
            if (st && in->model_names[m])
                snprintf(in->model_names[m], len, "%s:%s", st, in->models[m]->name);
            free(st);
        }
        if (!in->model_names[m])
            return cli_error(c, "out of memory");
    }
    for (size_t m = 0; m < K; m++)
        for (size_t m2 = m + 1; m2 < K; m2++)
            if (strcmp(in->model_names[m], in->model_names[m2]) == 0)
                return cli_error(c, "two model RDMs are called '%s' (in %s and %s)",
                                 in->model_names[m], in->model_files[m], in->model_files[m2]);
    return CLI_OK;
}

/* p-values as people write them: 0.003, 2.1e-05. */
static const char *fmt_p(char *buf, size_t n, double p)
{
    if (isnan(p))
        snprintf(buf, n, "n/a");
    else if (p >= 0.001)
        snprintf(buf, n, "%.3f", p);
    else
        snprintf(buf, n, "%.1e", p);
    return buf;
}

/* A readable summary of the results on stdout: the group rows of single
 * models (or, with one subject, the subject rows), significant ones marked. */
static void print_summary(const bract_rsa_result *res, const char *method, double alpha)
{
    int group = res->nrows > 0 && res->rows[0].level == BRACT_RSA_GROUP;
    size_t w = 6, wm = 5;
    for (size_t i = 0; i < res->nregions; i++)
        w = strlen(res->regions[i]) > w ? strlen(res->regions[i]) : w;
    for (size_t m = 0; m < res->nmodels; m++)
        wm = strlen(res->models[m]) > wm ? strlen(res->models[m]) : wm;
    printf("%zu subject%s, %zu region%s x %zu model%s, %s; %s\n", res->nsubjects,
           res->nsubjects == 1 ? "" : "s", res->nregions, res->nregions == 1 ? "" : "s",
           res->nmodels, res->nmodels == 1 ? "" : "s", method,
           group ? "group test of the subjects' values" : "condition-label permutation test");
    printf("%-*s  %-*s  %8s  %9s  %9s    %s\n", (int)w, "region", (int)wm, "model",
           group ? "mean r" : "r", "p", "p_FDR", group ? "noise ceiling" : "");
    size_t nsig = 0, nshown = 0;
    for (size_t i = 0; i < res->nrows; i++) {
        const bract_rsa_row *r = &res->rows[i];
        if (r->model_b != BRACT_RSA_NONE || (group && r->level != BRACT_RSA_GROUP) ||
            (!group && r->subject != 0))
            continue;
        char p1[32], p2[32], nc[64] = "";
        if (group && !isnan(r->noise_lower))
            snprintf(nc, sizeof nc, "%.3f to %.3f", r->noise_lower, r->noise_upper);
        int sig = r->p_fdr < alpha;
        nsig += sig;
        nshown++;
        printf("%-*s  %-*s  %8.3f  %9s  %9s%s %s\n", (int)w, res->regions[r->region], (int)wm,
               res->models[r->model], r->r, fmt_p(p1, sizeof p1, r->p),
               fmt_p(p2, sizeof p2, r->p_fdr), sig ? " *" : "  ", nc);
    }
    printf("* p_FDR < %g: %zu of %zu region-model pairs\n", alpha, nsig, nshown);
}

static int write_results(const cli_ctx *c, const bract_rsa_result *res, const char *out,
                         const char *method_label)
{
    static const char *const cols[] = {"level",   "subject", "rdm",     "model",   "model_b",
                                       "method",  "n_subjects", "n_pairs", "r",   "z",
                                       "test",    "stat",    "df",      "p",       "p_fdr",
                                       "ci_low",  "ci_high", "noise_lower", "noise_upper",
                                       "n_samples"};
    bract_tsv_writer *w;
    if (bract_tsv_open(out, c->force, sizeof cols / sizeof cols[0], cols, &w))
        return cli_fail(c);
    for (size_t i = 0; i < res->nrows; i++) {
        const bract_rsa_row *r = &res->rows[i];
        bract_tsv_str(w, r->level == BRACT_RSA_GROUP ? "group" : "subject");
        bract_tsv_str(w, r->subject == BRACT_RSA_NONE ? "n/a" : res->subjects[r->subject]);
        bract_tsv_str(w, res->regions[r->region]);
        bract_tsv_str(w, res->models[r->model]);
        bract_tsv_str(w, r->model_b == BRACT_RSA_NONE ? "n/a" : res->models[r->model_b]);
        bract_tsv_str(w, method_label);
        bract_tsv_long(w, (long long)r->nsubjects);
        bract_tsv_long(w, (long long)r->npairs);
        bract_tsv_double(w, r->r);
        bract_tsv_double(w, r->z);
        bract_tsv_str(w, r->test ? r->test : "n/a");
        bract_tsv_double(w, r->stat);
        bract_tsv_double(w, r->df);
        bract_tsv_double(w, r->p);
        bract_tsv_double(w, r->p_fdr);
        bract_tsv_double(w, r->ci_low);
        bract_tsv_double(w, r->ci_high);
        bract_tsv_double(w, r->noise_lower);
        bract_tsv_double(w, r->noise_upper);
        bract_tsv_long(w, (long long)r->nsamples);
        bract_tsv_end_row(w);
    }
    if (bract_tsv_commit(w))
        return cli_fail(c);
    return CLI_OK;
}

int main_rsa(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"neural", required_argument, NULL, 'n'},
        {"model", required_argument, NULL, 'm'},
        {"control", required_argument, NULL, OPT_CONTROL},
        {"output", required_argument, NULL, 'o'},
        {"method", required_argument, NULL, OPT_METHOD},
        {"partial", no_argument, NULL, OPT_PARTIAL},
        {"nan", required_argument, NULL, OPT_NAN},
        {"common-conditions", no_argument, NULL, OPT_COMMON},
        {"permutations", required_argument, NULL, OPT_PERMUTATIONS},
        {"bootstrap", required_argument, NULL, OPT_BOOTSTRAP},
        {"ci", required_argument, NULL, OPT_CI},
        {"alternative", required_argument, NULL, OPT_ALTERNATIVE},
        {"group", no_argument, NULL, OPT_GROUP},
        {"group-test", required_argument, NULL, OPT_GROUP_TEST},
        {"flips", required_argument, NULL, OPT_FLIPS},
        {"no-fisher", no_argument, NULL, OPT_NO_FISHER},
        {"no-pairwise", no_argument, NULL, OPT_NO_PAIRWISE},
        CLI_COMMON_LONGOPTS,
        {NULL, 0, NULL, 0}};
    static const char *const methods[] = {"spearman", "pearson", "kendall",    "tau-a", "rho-a",
                                          "cosine",   "corr_cov", "cosine_cov", NULL};
    static const char *const nans[] = {"match", "model", NULL};
    static const char *const alts[] = {"greater", "less", "two-sided", NULL};
    static const char *const gtests[] = {"t", "wilcoxon", "signflip", NULL};
    cli_ctx c;
    cli_ctx_init(&c, BRACT_CMD_RSA, usage_text);
    bract_rsa_opts o;
    bract_rsa_opts_default(&o);
    inputs in;
    memset(&in, 0, sizeof in);
    strlist *list = NULL; /* where bare file names go */
    const char *out = NULL;
    int partial = 0, opt, rc = CLI_USAGE;
    long v;
    double d;
    while ((opt = getopt_long(argc, argv, "-:n:m:o:h@:", longopts, NULL)) != -1) {
        int k = cli_common_option(&c, opt, optarg);
        if (k == 2) {
            inputs_free(&in);
            return CLI_OK;
        }
        if (k < 0)
            goto usage;
        if (k)
            continue;
        int i;
        switch (opt) {
        case 1:
            if (!list) {
                cli_usage_error(&c, "'%s': give --neural, --model or --control before file names",
                                optarg);
                goto usage;
            }
            strlist_add(list, optarg);
            break;
        case 'n': strlist_add(list = &in.neural, optarg); break;
        case 'm': strlist_add(list = &in.model, optarg); break;
        case OPT_CONTROL: strlist_add(list = &in.control, optarg); break;
        case 'o': out = optarg; list = NULL; break;
        case OPT_METHOD:
            if ((i = cli_parse_choice(&c, "--method", optarg, methods)) < 0)
                goto usage;
            o.method = (bract_cmp_method)i;
            break;
        case OPT_PARTIAL: partial = 1; break;
        case OPT_COMMON: o.common_conditions = 1; break;
        case OPT_NAN:
            if ((i = cli_parse_choice(&c, "--nan", optarg, nans)) < 0)
                goto usage;
            o.nan_policy = i ? BRACT_NAN_MODEL_MASK : BRACT_NAN_MATCH;
            break;
        case OPT_PERMUTATIONS:
            if (cli_parse_long(&c, "--permutations", optarg, 0, 4294967295L, &v))
                goto usage;
            o.permutations = (size_t)v;
            break;
        case OPT_BOOTSTRAP:
            if (cli_parse_long(&c, "--bootstrap", optarg, 0, 100000000L, &v))
                goto usage;
            o.bootstrap = (size_t)v;
            break;
        case OPT_CI:
            if (cli_parse_double(&c, "--ci", optarg, 0.5, 0.9999, &d))
                goto usage;
            o.ci_level = d;
            break;
        case OPT_ALTERNATIVE:
            if ((i = cli_parse_choice(&c, "--alternative", optarg, alts)) < 0)
                goto usage;
            o.alternative = i == 0 ? BRACT_ALT_GREATER : i == 1 ? BRACT_ALT_LESS
                                                                : BRACT_ALT_TWO_SIDED;
            break;
        case OPT_GROUP: o.group = 1; break;
        case OPT_GROUP_TEST:
            if ((i = cli_parse_choice(&c, "--group-test", optarg, gtests)) < 0)
                goto usage;
            o.group_test = (bract_group_test)i;
            break;
        case OPT_FLIPS:
            if (cli_parse_long(&c, "--flips", optarg, 1, 4294967295L, &v))
                goto usage;
            o.group_permutations = (size_t)v;
            break;
        case OPT_NO_FISHER: o.fisher = 0; break;
        case OPT_NO_PAIRWISE: o.pairwise = 0; break;
        case ':':
            cli_usage_error(&c, "option %s needs a value", argv[optind - 1]);
            goto usage;
        default:
            cli_usage_error(&c, "unknown option %s", argv[optind - 1]);
            goto usage;
        }
    }
    if (argc == 1) {
        fputs(usage_text, stdout);
        goto usage;
    }
    if (!in.neural.n) {
        cli_usage_error(&c, "no --neural RDM set given");
        goto usage;
    }
    if (!in.model.n) {
        cli_usage_error(&c, "no --model RDM set given");
        goto usage;
    }
    if (!out) {
        cli_usage_error(&c, "no output given (-o RESULTS.tsv)");
        goto usage;
    }
    if ((partial || in.control.n) && o.method != BRACT_CMP_PEARSON &&
        o.method != BRACT_CMP_SPEARMAN) {
        cli_usage_error(&c, "%s needs --method pearson or spearman (not %s)",
                        partial ? "--partial" : "--control", bract_cmp_method_name(o.method));
        goto usage;
    }
    if (o.group && in.neural.n < 2) {
        cli_usage_error(&c, "--group needs at least 2 --neural files (subjects)");
        goto usage;
    }
    o.partial = partial ? BRACT_PARTIAL_OTHERS
                : in.control.n ? BRACT_PARTIAL_CONTROLS
                               : BRACT_PARTIAL_NONE;
    o.seed = c.seed;
    cli_apply(&c);

    /* outputs: refuse early, never over an input */
    rc = CLI_DATA_ERROR;
    char *side = bract_sidecar_path(out);
    {
        size_t ni = in.neural.n + in.model.n + in.control.n, k = 0;
        const char **all = malloc((ni + 1) * sizeof *all);
        if (!all) {
            free(side);
            rc = cli_error(&c, "out of memory");
            goto done;
        }
        for (size_t i = 0; i < in.neural.n; i++)
            all[k++] = in.neural.v[i];
        for (size_t i = 0; i < in.model.n; i++)
            all[k++] = in.model.v[i];
        for (size_t i = 0; i < in.control.n; i++)
            all[k++] = in.control.v[i];
        int bad = bract_output_not_input(out, all, ni) ||
                  (side && bract_output_not_input(side, all, ni)) ||
                  bract_output_check(out, c.force) ||
                  (side && bract_output_check(side, c.force));
        free(all);
        if (bad) {
            free(side);
            rc = cli_fail(&c);
            goto done;
        }
    }
    free(side);
    if ((rc = read_inputs(&c, &in)))
        goto done;
    bract_rsa_input ri = {in.neural.n,
                          (const char *const *)in.subj_names,
                          (const char *const *)in.neural.v,
                          (const bract_rdmset *const *)in.nsets,
                          in.nmodels,
                          in.models,
                          (const char *const *)in.model_names,
                          (const char *const *)in.model_files,
                          in.ncontrols,
                          in.controls,
                          (const char *const *)in.control_files};
    cli_log(&c, "%zu subject%s, %zu model%s, %s", ri.nsubjects, ri.nsubjects == 1 ? "" : "s",
            ri.nmodels, ri.nmodels == 1 ? "" : "s", bract_cmp_method_name(o.method));
    cli_bar bar;
    cli_bar_start(&bar, &c, "rsa");
    bract_progress prog = cli_bar_progress(&bar);
    o.progress = &prog;
    bract_rsa_result *res;
    int lrc = bract_rsa_run(&ri, &o, &res);
    cli_bar_finish(&bar);
    if (lrc) {
        rc = cli_fail(&c);
        goto done;
    }
    cli_warnings(&c);
    char method_label[64];
    snprintf(method_label, sizeof method_label, "%s%s",
             o.partial != BRACT_PARTIAL_NONE ? "partial " : "", bract_cmp_method_name(o.method));
    if ((rc = write_results(&c, res, out, method_label))) {
        bract_rsa_result_free(res);
        goto done;
    }
    bract_sidecar *s = cli_sidecar(&c);
    if (s) {
        bract_sidecar_param_str(s, "method", bract_cmp_method_name(o.method));
        bract_sidecar_param_str(s, "partial", o.partial == BRACT_PARTIAL_OTHERS ? "other models"
                                              : o.partial == BRACT_PARTIAL_CONTROLS ? "controls"
                                                                                    : "none");
        bract_sidecar_param_str(s, "nan", o.nan_policy == BRACT_NAN_MATCH ? "match" : "model");
        bract_sidecar_param_bool(s, "common_conditions", o.common_conditions);
        bract_sidecar_param_int(s, "permutations", (int64_t)o.permutations);
        bract_sidecar_param_int(s, "bootstrap", (int64_t)o.bootstrap);
        bract_sidecar_param_num(s, "ci", o.ci_level);
        bract_sidecar_param_str(s, "alternative", alt_name(o.alternative));
        bract_sidecar_param_bool(s, "group", o.group);
        bract_sidecar_param_str(s, "group_test", gtests[o.group_test]);
        bract_sidecar_param_int(s, "flips", (int64_t)o.group_permutations);
        bract_sidecar_param_bool(s, "fisher", o.fisher);
        bract_sidecar_param_bool(s, "pairwise", o.pairwise);
        bract_sidecar_param_int(s, "seed", (int64_t)o.seed);
        for (size_t i = 0; i < in.neural.n; i++)
            bract_sidecar_input(s, "neural", in.neural.v[i]);
        for (size_t i = 0; i < in.model.n; i++)
            bract_sidecar_input(s, "model", in.model.v[i]);
        for (size_t i = 0; i < in.control.n; i++)
            bract_sidecar_input(s, "control", in.control.v[i]);
        bract_sidecar_count(s, "subjects", (int64_t)res->nsubjects);
        bract_sidecar_count(s, "regions", (int64_t)res->nregions);
        bract_sidecar_count(s, "models", (int64_t)res->nmodels);
        bract_sidecar_count(s, "conditions", (int64_t)res->nconditions);
        bract_sidecar_count(s, "excluded_rdms", (int64_t)res->excluded);
        bract_sidecar_count(s, "rows", (int64_t)res->nrows);
    }
    rc = cli_sidecar_finish(&c, s, out);
    bract_sidecar_free(s);
    if (!rc && !c.quiet && strcmp(out, "-") != 0)
        print_summary(res, method_label, 0.05);
    bract_rsa_result_free(res);
done:
    inputs_free(&in);
    return rc;
usage:
    inputs_free(&in);
    return CLI_USAGE;
}
