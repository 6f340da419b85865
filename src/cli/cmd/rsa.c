/* bract rsa: compare neural RDMs with model RDMs, with inference per subject
 * and across subjects (the library's bract_rsa_run). */
#include "cli/cli.h"
#include "cli/paths.h"
#include "cli/cmd/rdm.h"
#include "bract/outputs.h"
#include "bract/sidecar.h"
#include "bract/tsv.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

CLI_ENUM_PARSER(bract_compare_method, bract_compare_method_parse)
CLI_ENUM_PARSER(bract_compare_nan, bract_compare_nan_parse)
CLI_ENUM_PARSER(bract_stats_alternative, bract_stats_alternative_parse)
CLI_ENUM_PARSER(bract_rsa_group_test, bract_rsa_group_test_parse)

typedef struct {
    cli_strlist neural, model, control;
    const char *out;
    int partial;
    bract_rsa_opts o;
} args;

static const cli_opt options[] = {
    CLI_GROUP("Inputs and output:"),
    CLI_LIST(0, "neural", args, neural, "FILE...", "neural RDM sets, one per subject",
             .flags = CLI_REQUIRED),
    CLI_LIST(0, "model", args, model, "FILE...", "model RDM sets", .flags = CLI_REQUIRED),
    CLI_LIST(0, "control", args, control, "FILE...",
             "RDM sets regressed out of every comparison (partial\npearson or spearman)"),
    CLI_STRING('o', "output", args, out, "FILE", "results table (TSV), with FILE's sidecar (.json)",
               .flags = CLI_REQUIRED),
    CLI_GROUP("Comparison:"),
    CLI_ENUM(0, "method", args, o.method, bract_compare_method, "M",
             "spearman, pearson (also corr), kendall (also tau-b),\n"
             "tau-a, rho-a, cosine, corr_cov or cosine_cov [spearman]"),
    CLI_FLAG(0, "partial", args, partial,
             "regress the other models (and --control) out of each\nmodel and of the neural RDM"),
    CLI_ENUM(0, "nan", args, o.nan_policy, bract_compare_nan, "POLICY",
             "missing pairs: 'match' (they must coincide in neural\n"
             "and model RDMs, as rsatoolbox) or 'model' (pairs the\n"
             "models miss are ignored in the neural RDMs) [match]"),
    CLI_FLAG(0, "allow-negative", args, o.allow_negative,
             "accept negative neural dissimilarities (refused\n"
             "unless the RDMs are crossnobis: by their HDF5 measure\n"
             "or their TSV's sidecar)"),
    CLI_FLAG(0, "common-conditions", args, o.common_conditions,
             "compare on the models' conditions: conditions of the\n"
             "neural RDMs that the models lack (words without a\n"
             "vector, say) are left out, with a warning"),
    CLI_GROUP("Inference:"),
    CLI_SIZE(0, "permutations", args, o.permutations, 0, 4294967295.0, "N",
             "condition-label permutations per subject [10000];\n0: no permutation test"),
    CLI_SIZE(0, "bootstrap", args, o.bootstrap, 0, 1e8, "N",
             "bootstrap samples over conditions for intervals [0]"),
    CLI_DOUBLE(0, "ci", args, o.ci_level, 0.5, 0.9999, "LEVEL",
               "confidence level of the intervals [0.95]"),
    CLI_ENUM(0, "alternative", args, o.alternative, bract_stats_alternative, "A",
             "greater, less or two-sided [greater]"),
    CLI_FLAG(0, "group", args, o.group,
             "statistics across subjects (2 or more --neural files):\n"
             "group test, noise ceiling, pairwise model comparisons"),
    CLI_ENUM(0, "group-test", args, o.group_test, bract_rsa_group_test, "T",
             "t (on Fisher z), wilcoxon or signflip [t]"),
    CLI_SIZE(0, "flips", args, o.group_permutations, 1, 4294967295.0, "N",
             "sign flips of the signflip test [10000]"),
    CLI_FLAG_OFF(0, "no-fisher", args, o.fisher, "group tests on r instead of Fisher z = atanh(r)"),
    CLI_FLAG_OFF(0, "no-pairwise", args, o.pairwise, "no pairwise model comparisons"),
    CLI_END};

const cli_spec cli_spec_rsa = {
    "rsa", "Usage: bract rsa --neural RDMS.tsv... --model MODEL.tsv... -o RESULTS.tsv [options]",
    "Compare neural RDMs with model RDMs and test the match.  Each --neural file\n"
    "is one subject; its RDMs are regions, matched by name across subjects.\n"
    "Every RDM of the --model files is a model.  Conditions are matched by label.\n"
    "A file name may be followed by more file names (shell globs work).",
    options, NULL};

/* One run: the arguments, the inputs read, the result. */
typedef struct {
    cli_ctx c;
    args a;
    bract_rdmset **nsets; /* one per subject */
    char **subj_names;
    cli_models m;
    bract_rsa_result *res;
} run;

static void run_free(run *r)
{
    for (size_t i = 0; i < r->a.neural.n; i++) {
        if (r->nsets)
            bract_rdmset_free(r->nsets[i]);
        if (r->subj_names)
            free(r->subj_names[i]);
    }
    free(r->nsets);
    free(r->subj_names);
    cli_models_free(&r->m);
    bract_rsa_result_free(r->res);
    cli_args_free(&cli_spec_rsa, &r->a);
}

static int check_args(run *r)
{
    const cli_ctx *c = &r->c;
    args *a = &r->a;
    bract_rsa_opts *o = &a->o;
    if ((a->partial || a->control.n) && o->method != BRACT_CMP_PEARSON &&
        o->method != BRACT_CMP_SPEARMAN)
        return cli_usage_error(c, "%s needs --method pearson or spearman (not %s)",
                               a->partial ? "--partial" : "--control",
                               bract_compare_method_name(o->method));
    if (o->group && a->neural.n < 2)
        return cli_usage_error(c, "--group needs at least 2 --neural files (subjects)");
    o->partial = a->partial     ? BRACT_PARTIAL_OTHERS
                 : a->control.n ? BRACT_PARTIAL_CONTROLS
                                : BRACT_PARTIAL_NONE;
    o->seed = c->seed;
    return 0;
}

/* The results table and its sidecar are neither inputs nor existing files
 * (without --force). */
static int check_outputs(const run *r)
{
    const args *a = &r->a;
    cli_strlist all = {0};
    const cli_strlist *lists[] = {&a->neural, &a->model, &a->control};
    for (int l = 0; l < 3; l++)
        for (size_t i = 0; i < lists[l]->n; i++)
            cli_strlist_push(&all, lists[l]->v[i]);
    char *side = bract_sidecar_path(a->out);
    int bad = bract_output_not_input(a->out, all.v, all.n) ||
              (side && bract_output_not_input(side, all.v, all.n)) ||
              bract_output_check(a->out, r->c.force) ||
              (side && bract_output_check(side, r->c.force));
    free(side);
    cli_strlist_free(&all);
    return bad;
}

static int all_distinct(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (strcmp(v[i], v[j]) == 0)
                return 0;
    return 1;
}

/* The subjects' RDM sets, named by their file stems (or their paths when
 * the stems are not distinct: sub-01/rdms.tsv, sub-02/rdms.tsv). */
static int read_neural(run *r)
{
    const cli_strlist *f = &r->a.neural;
    r->nsets = calloc(f->n, sizeof *r->nsets);
    r->subj_names = calloc(f->n, sizeof *r->subj_names);
    if (!r->nsets || !r->subj_names)
        return bract_error(BRACT_ENOMEM, "out of memory");
    for (size_t i = 0; i < f->n; i++) {
        cli_log(&r->c, "reading %s", f->v[i]);
        int rc = bract_rdmset_read(f->v[i], &r->nsets[i]);
        if (rc)
            return rc;
        if (!(r->subj_names[i] = cli_file_stem(f->v[i])))
            return bract_error(BRACT_ENOMEM, "out of memory");
    }
    if (!all_distinct(r->subj_names, f->n))
        for (size_t i = 0; i < f->n; i++) {
            free(r->subj_names[i]);
            if (!(r->subj_names[i] = strdup(f->v[i])))
                return bract_error(BRACT_ENOMEM, "out of memory");
        }
    return BRACT_OK;
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

static void fill_sidecar(bract_sidecar *s, const run *r)
{
    const args *a = &r->a;
    const bract_rsa_opts *o = &a->o;
    const bract_rsa_result *res = r->res;
    bract_sidecar_param_str(s, "method", bract_compare_method_name(o->method));
    bract_sidecar_param_str(s, "partial", cli_partial_words(o->partial));
    bract_sidecar_param_str(s, "nan", bract_compare_nan_name(o->nan_policy));
    if (o->allow_negative)
        bract_sidecar_param_bool(s, "allow_negative", 1);
    bract_sidecar_param_bool(s, "common_conditions", o->common_conditions);
    bract_sidecar_param_int(s, "permutations", (int64_t)o->permutations);
    bract_sidecar_param_int(s, "bootstrap", (int64_t)o->bootstrap);
    bract_sidecar_param_num(s, "ci", o->ci_level);
    bract_sidecar_param_str(s, "alternative", bract_stats_alternative_name(o->alternative));
    bract_sidecar_param_bool(s, "group", o->group);
    bract_sidecar_param_str(s, "group_test", bract_rsa_group_test_name(o->group_test));
    bract_sidecar_param_int(s, "flips", (int64_t)o->group_permutations);
    bract_sidecar_param_bool(s, "fisher", o->fisher);
    bract_sidecar_param_bool(s, "pairwise", o->pairwise);
    bract_sidecar_param_int(s, "seed", (int64_t)o->seed);
    const char *const keys[] = {"neural", "model", "control"};
    const cli_strlist *lists[] = {&a->neural, &a->model, &a->control};
    for (int l = 0; l < 3; l++)
        for (size_t i = 0; i < lists[l]->n; i++)
            bract_sidecar_input(s, keys[l], lists[l]->v[i]);
    bract_sidecar_count(s, "subjects", (int64_t)res->nsubjects);
    bract_sidecar_count(s, "regions", (int64_t)res->nregions);
    bract_sidecar_count(s, "models", (int64_t)res->nmodels);
    bract_sidecar_count(s, "conditions", (int64_t)res->nconditions);
    bract_sidecar_count(s, "excluded_rdms", (int64_t)res->excluded);
    bract_sidecar_count(s, "rows", (int64_t)res->nrows);
}

/* The analysis on the inputs read. */
static int analyse(run *r)
{
    bract_rsa_opts *o = &r->a.o;
    const cli_models *m = &r->m;
    bract_rsa_input ri = {r->a.neural.n,
                          (const char *const *)r->subj_names,
                          r->a.neural.v,
                          (const bract_rdmset *const *)r->nsets,
                          m->K,
                          m->rdm,
                          (const char *const *)m->name,
                          m->file,
                          m->nc,
                          m->ctl,
                          m->cfile};
    cli_log(&r->c, "%zu subject%s, %zu model%s, %s", ri.nsubjects, ri.nsubjects == 1 ? "" : "s",
            ri.nmodels, ri.nmodels == 1 ? "" : "s", bract_compare_method_name(o->method));
    cli_bar bar;
    cli_bar_start(&bar, &r->c, "rsa");
    bract_progress prog = cli_bar_progress(&bar);
    o->progress = &prog;
    int rc = bract_rsa_run(&ri, o, &r->res);
    o->progress = NULL;
    cli_bar_finish(&bar);
    return rc;
}

/* Read, analyse, write: the exit status. */
static int rsa(run *r)
{
    cli_ctx *c = &r->c;
    const char *out = r->a.out;
    if (check_outputs(r) || read_neural(r) ||
        cli_models_read(&r->m, c, &r->a.model, &r->a.control) || analyse(r))
        return cli_fail(c);
    cli_warnings(c);
    const bract_rsa_opts *o = &r->a.o;
    char method_label[64];
    snprintf(method_label, sizeof method_label, "%s%s",
             o->partial != BRACT_PARTIAL_NONE ? "partial " : "", bract_compare_method_name(o->method));
    int rc = write_results(c, r->res, out, method_label);
    if (rc)
        return rc;
    bract_sidecar *s = cli_sidecar(c);
    if (s)
        fill_sidecar(s, r);
    rc = cli_sidecar_finish(c, s, out);
    bract_sidecar_free(s);
    if (!rc && !c->quiet && strcmp(out, "-") != 0)
        print_summary(r->res, method_label, 0.05);
    return rc;
}

int main_rsa(int argc, char **argv)
{
    run r;
    memset(&r, 0, sizeof r);
    cli_ctx_init(&r.c, BRACT_CMD_RSA, NULL);
    bract_rsa_opts_defaults(&r.a.o);
    int status = cli_parse(&r.c, &cli_spec_rsa, &r.a, argc, argv);
    if (status == CLI_CONTINUE && !(status = check_args(&r))) {
        cli_apply(&r.c);
        status = rsa(&r);
    }
    run_free(&r);
    return status;
}
