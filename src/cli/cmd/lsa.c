/* bract lsa: latent semantic analysis word vectors from a text corpus. */
#include "cli/cli.h"
#include "cli/paths.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

static const char usage_text[] =
    "Usage: bract lsa --corpus FILE... --dims K -o VECTORS.tsv [options]\n"
    "\n"
    "Word vectors by latent semantic analysis: term-document counts, log-entropy\n"
    "weighting and a truncated SVD (LAPACK); the output is an embedding table\n"
    "that bract rdm model reads.\n"
    "\n"
    "Options:\n"
    "      --corpus FILE...      UTF-8 text, plain or gzipped (repeat or list files)\n"
    "      --dims K              dimensions of the vectors\n"
    "      --doc-per-file        each file is one document [each non-blank line]\n"
    "      --stop-words FILE     words to leave out, one per line (repeatable)\n"
    "      --min-count N         fewest occurrences of a term in the corpus [1]\n"
    "      --min-docs N          fewest documents a term occurs in [1]\n"
    "      --max-vocab N         keep the N most frequent terms [all]\n"
    "      --min-length N        shortest token, in characters [1]\n"
    "      --keep-case           do not lowercase\n"
    "      --weighting NAME      log-entropy or count [log-entropy]\n"
    "      --solver NAME         auto, exact or iterative [auto]\n"
    "      --tolerance X         iterative: relative residual to reach [1e-10]\n"
    "      --unscaled            write U_k, not U_k S_k\n"
    "  -o, --output FILE         embedding TSV: word, d0, d1, ... (a JSON sidecar\n"
    "                            next to it holds the singular values)\n"
    "\n" CLI_COMMON_HELP;

enum {
    OPT_CORPUS = OPT_FIRST_CMD,
    OPT_DIMS,
    OPT_PERFILE,
    OPT_STOP,
    OPT_MINCOUNT,
    OPT_MINDOCS,
    OPT_MAXVOCAB,
    OPT_MINLEN,
    OPT_KEEPCASE,
    OPT_WEIGHT,
    OPT_SOLVER,
    OPT_TOL,
    OPT_UNSCALED
};

int main_lsa(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"corpus", required_argument, NULL, OPT_CORPUS},
        {"dims", required_argument, NULL, OPT_DIMS},
        {"doc-per-file", no_argument, NULL, OPT_PERFILE},
        {"stop-words", required_argument, NULL, OPT_STOP},
        {"min-count", required_argument, NULL, OPT_MINCOUNT},
        {"min-docs", required_argument, NULL, OPT_MINDOCS},
        {"max-vocab", required_argument, NULL, OPT_MAXVOCAB},
        {"min-length", required_argument, NULL, OPT_MINLEN},
        {"keep-case", no_argument, NULL, OPT_KEEPCASE},
        {"weighting", required_argument, NULL, OPT_WEIGHT},
        {"solver", required_argument, NULL, OPT_SOLVER},
        {"tolerance", required_argument, NULL, OPT_TOL},
        {"unscaled", no_argument, NULL, OPT_UNSCALED},
        {"output", required_argument, NULL, 'o'},
        CLI_COMMON_LONGOPTS,
        {NULL, 0, NULL, 0}};
    static const char *const weights[] = {"log-entropy", "count", NULL};
    static const char *const solvers[] = {"auto", "exact", "iterative", NULL};
    cli_ctx c;
    cli_ctx_init(&c, "lsa", usage_text);
    cli_strlist corpus = {0}, stopfiles = {0};
    const char *out = NULL;
    bract_lsa_opts o = {0};
    long v;
    int opt, k, status = CLI_USAGE;
    while ((opt = getopt_long(argc, argv, ":o:h@:", longopts, NULL)) != -1) {
        if ((k = cli_common_option(&c, opt, optarg)) == 2) {
            status = CLI_OK;
            goto out;
        }
        if (k < 0)
            goto out;
        if (k)
            continue;
        switch (opt) {
        case OPT_CORPUS:
            if (cli_strlist_push(&corpus, optarg))
                goto oom;
            break;
        case OPT_DIMS:
            if (cli_parse_long(&c, "--dims", optarg, 1, 100000, &v))
                goto out;
            o.dims = (size_t)v;
            break;
        case OPT_PERFILE: o.doc_per_file = 1; break;
        case OPT_STOP:
            if (cli_strlist_push(&stopfiles, optarg))
                goto oom;
            break;
        case OPT_MINCOUNT:
            if (cli_parse_long(&c, "--min-count", optarg, 1, __LONG_MAX__, &v))
                goto out;
            o.min_count = (size_t)v;
            break;
        case OPT_MINDOCS:
            if (cli_parse_long(&c, "--min-docs", optarg, 1, __LONG_MAX__, &v))
                goto out;
            o.min_docs = (size_t)v;
            break;
        case OPT_MAXVOCAB:
            if (cli_parse_long(&c, "--max-vocab", optarg, 1, __LONG_MAX__, &v))
                goto out;
            o.max_vocab = (size_t)v;
            break;
        case OPT_MINLEN:
            if (cli_parse_long(&c, "--min-length", optarg, 1, 1000, &v))
                goto out;
            o.min_length = (size_t)v;
            break;
        case OPT_KEEPCASE: o.keep_case = 1; break;
        case OPT_WEIGHT:
            if ((k = cli_parse_choice(&c, "--weighting", optarg, weights)) < 0)
                goto out;
            o.weighting = k;
            break;
        case OPT_SOLVER:
            if ((k = cli_parse_choice(&c, "--solver", optarg, solvers)) < 0)
                goto out;
            o.solver = k;
            break;
        case OPT_TOL:
            if (cli_parse_double(&c, "--tolerance", optarg, 1e-15, 0.1, &o.tolerance))
                goto out;
            break;
        case OPT_UNSCALED: o.unscaled = 1; break;
        case 'o': out = optarg; break;
        case ':': cli_usage_error(&c, "option %s needs a value", argv[optind - 1]); goto out;
        default: cli_usage_error(&c, "unknown option %s", argv[optind - 1]); goto out;
        }
    }
    for (int i = optind; i < argc; i++) /* --corpus a.txt b.txt ... */
        if (cli_strlist_push(&corpus, argv[i]))
            goto oom;
    if (corpus.n == 0) {
        cli_usage_error(&c, "no --corpus given");
        goto out;
    }
    if (o.dims == 0) {
        cli_usage_error(&c, "no --dims given");
        goto out;
    }
    if (!out) {
        cli_usage_error(&c, "no output given (-o VECTORS.tsv)");
        goto out;
    }
    cli_apply(&c);
    o.seed = c.seed;
    status = CLI_DATA_ERROR;

    char **stop = NULL, **texts = NULL;
    size_t nstop = 0;
    bract_lsa *l = NULL;
    {
        cli_strlist in = {0};
        for (size_t i = 0; i < corpus.n; i++)
            cli_strlist_push(&in, corpus.v[i]);
        for (size_t i = 0; i < stopfiles.n; i++)
            cli_strlist_push(&in, stopfiles.v[i]);
        int rc = bract_output_not_input(out, in.v, in.n);
        free(in.v);
        if (rc || bract_output_check(out, c.force))
            goto fail;
    }
    texts = calloc(stopfiles.n ? stopfiles.n : 1, sizeof *texts);
    if (!texts)
        goto oom2;
    for (size_t f = 0; f < stopfiles.n; f++) {
        char **w;
        size_t n;
        if (cli_read_word_list(stopfiles.v[f], &w, &n, &texts[f]))
            goto fail;
        char **all = realloc(stop, (nstop + n) * sizeof *all);
        if (!all) {
            free(w);
            goto oom2;
        }
        stop = all;
        memcpy(stop + nstop, w, n * sizeof *w);
        nstop += n;
        free(w);
    }
    o.stop = (const char *const *)stop;
    o.nstop = nstop;
    cli_log(&c, "reading %zu corpus file%s", corpus.n, corpus.n == 1 ? "" : "s");
    cli_bar bar;
    cli_bar_start(&bar, &c, "LSA");
    bract_progress pr = cli_bar_progress(&bar);
    int rc = bract_lsa_build(corpus.v, corpus.n, &o, &pr, &l);
    cli_bar_finish(&bar);
    if (rc)
        goto fail;
    cli_warnings(&c);
    cli_log(&c, "%zu documents, %zu tokens, %zu terms of %zu; %s SVD%s", l->ndocs, l->ntokens,
            l->nterms, l->ntypes, l->solver == BRACT_LSA_EXACT ? "exact" : "iterative",
            l->solver == BRACT_LSA_EXACT ? "" : " (see the sidecar for its iterations)");
    if (bract_lsa_write(l, out, c.force))
        goto fail;
    bract_sidecar *sc = cli_sidecar(&c);
    if (sc) {
        bract_sidecar_param_int(sc, "dims", (int64_t)o.dims);
        bract_sidecar_param_str(sc, "documents", o.doc_per_file ? "one per file"
                                                                : "one per non-blank line");
        bract_sidecar_param_str(sc, "weighting",
                                o.weighting == BRACT_LSA_COUNT
                                    ? "raw counts"
                                    : "log-entropy: ln(1 + tf) (1 + sum_j p ln p / ln N)");
        bract_sidecar_param_str(sc, "vectors", o.unscaled ? "U_k" : "U_k S_k");
        bract_sidecar_param_str(sc, "solver",
                                l->solver == BRACT_LSA_EXACT ? "exact" : "iterative");
        bract_sidecar_param_bool(sc, "lowercase", !o.keep_case);
        bract_sidecar_param_int(sc, "min_count", o.min_count ? (int64_t)o.min_count : 1);
        bract_sidecar_param_int(sc, "min_docs", o.min_docs ? (int64_t)o.min_docs : 1);
        bract_sidecar_param_int(sc, "max_vocab", (int64_t)o.max_vocab);
        bract_sidecar_param_int(sc, "min_length", o.min_length ? (int64_t)o.min_length : 1);
        if (l->solver != BRACT_LSA_EXACT) {
            bract_sidecar_param_int(sc, "seed", (int64_t)c.seed);
            bract_sidecar_param_num(sc, "tolerance", o.tolerance > 0 ? o.tolerance : 1e-10);
        }
        for (size_t i = 0; i < corpus.n; i++)
            bract_sidecar_input(sc, "corpus", corpus.v[i]);
        for (size_t i = 0; i < stopfiles.n; i++)
            bract_sidecar_input(sc, "stop_words", stopfiles.v[i]);
        bract_sidecar_count(sc, "documents", (int64_t)l->ndocs);
        bract_sidecar_count(sc, "empty_documents", (int64_t)l->nempty);
        bract_sidecar_count(sc, "tokens", (int64_t)l->ntokens);
        bract_sidecar_count(sc, "stop_word_tokens", (int64_t)l->nstopped);
        bract_sidecar_count(sc, "short_tokens", (int64_t)l->nshort);
        bract_sidecar_count(sc, "distinct_terms", (int64_t)l->ntypes);
        bract_sidecar_count(sc, "terms", (int64_t)l->nterms);
        bract_sidecar_count(sc, "excluded_terms", (int64_t)(l->ntypes - l->nterms));
        if (l->solver != BRACT_LSA_EXACT) {
            bract_sidecar_count(sc, "iterations", (int64_t)l->iterations);
            bract_sidecar_set_num(sc, "RelativeResidual", l->residual);
        }
        json_object *sv = json_object_new_array();
        for (size_t d = 0; d < l->dims; d++) {
            char buf[32];
            json_object_array_add(sv, json_object_new_double_s(l->sv[d],
                                                               bract_format_double(buf, l->sv[d])));
        }
        bract_sidecar_set_json(sc, "SingularValues", json_object_to_json_string(sv));
        json_object_put(sv);
    }
    if (cli_sidecar_finish(&c, sc, out) == CLI_OK)
        status = CLI_OK;
    bract_sidecar_free(sc);
    goto done;
oom2:
    bract_error(BRACT_ENOMEM, "out of memory");
fail:
    cli_fail(&c);
done:
    bract_lsa_free(l);
    for (size_t f = 0; texts && f < stopfiles.n; f++)
        free(texts[f]);
    free(texts);
    free(stop);
out:
    free(corpus.v);
    free(stopfiles.v);
    return status;
oom:
    cli_error(&c, "out of memory");
    status = CLI_DATA_ERROR;
    goto out;
}
