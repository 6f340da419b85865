/* bract lsa: latent semantic analysis word vectors from a text corpus. */
#include "cli/cli.h"
#include "cli/opts.h"
#include "cli/paths.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>
#include "bract/tsv.h"

CLI_ENUM_PARSER(bract_lsa_weighting, bract_lsa_weighting_parse)
CLI_ENUM_PARSER(bract_lsa_solver, bract_lsa_solver_parse)

typedef struct {
    cli_strlist corpus, stopfiles;
    const char *out;
    bract_lsa_opts o;
} args;

static const cli_opt options[] = {
    CLI_GROUP("Options:"),
    CLI_LIST(0, "corpus", args, corpus, "FILE...",
             "UTF-8 text, plain or gzipped (repeat or list files)", .flags = CLI_REQUIRED),
    CLI_SIZE(0, "dims", args, o.dims, 1, 100000, "K", "dimensions of the vectors",
             .flags = CLI_REQUIRED),
    CLI_FLAG(0, "doc-per-file", args, o.doc_per_file,
             "each file is one document [each non-blank line]"),
    CLI_LIST(0, "stop-words", args, stopfiles, "FILE...",
             "words to leave out, one per line (repeatable)"),
    CLI_SIZE(0, "min-count", args, o.min_count, 1, 1e19, "N",
             "fewest occurrences of a term in the corpus [1]"),
    CLI_SIZE(0, "min-docs", args, o.min_docs, 1, 1e19, "N",
             "fewest documents a term occurs in [1]"),
    CLI_SIZE(0, "max-vocab", args, o.max_vocab, 1, 1e19, "N",
             "keep the N most frequent terms [all]"),
    CLI_SIZE(0, "min-length", args, o.min_length, 1, 1000, "N",
             "shortest token, in characters [1]"),
    CLI_FLAG(0, "keep-case", args, o.keep_case, "do not lowercase"),
    CLI_ENUM(0, "weighting", args, o.weighting, bract_lsa_weighting, "NAME",
             "log-entropy or count [log-entropy]"),
    CLI_ENUM(0, "solver", args, o.solver, bract_lsa_solver, "NAME",
             "auto, exact or iterative [auto]"),
    CLI_DOUBLE(0, "tolerance", args, o.tolerance, 1e-15, 0.1, "X",
               "iterative: relative residual to reach [1e-10]"),
    CLI_FLAG(0, "unscaled", args, o.unscaled, "write U_k, not U_k S_k"),
    CLI_STRING('o', "output", args, out, "FILE",
               "embedding TSV: word, d0, d1, ... (a JSON sidecar\n"
               "next to it holds the singular values)",
               .flags = CLI_REQUIRED),
    CLI_END};

const cli_spec cli_spec_lsa = {
    "lsa", "Usage: bract lsa --corpus FILE... --dims K -o VECTORS.tsv [options]",
    "Word vectors by latent semantic analysis: term-document counts, log-entropy\n"
    "weighting and a truncated SVD (LAPACK); the output is an embedding table\n"
    "that bract rdm model reads.",
    options, NULL};

/* The stop words of every --stop-words file (*stop points into texts[]). */
typedef struct {
    char **stop, **texts;
    size_t nstop;
} stop_words;

static void stop_words_free(stop_words *s, size_t nfiles)
{
    for (size_t f = 0; s->texts && f < nfiles; f++)
        free(s->texts[f]);
    free(s->texts);
    free(s->stop);
}

static int read_stop_words(const cli_strlist *files, stop_words *s)
{
    s->texts = calloc(files->n ? files->n : 1, sizeof *s->texts);
    if (!s->texts)
        return bract_error(BRACT_ENOMEM, "out of memory");
    for (size_t f = 0; f < files->n; f++) {
        char **w;
        size_t n;
        int rc = cli_read_word_list(files->v[f], &w, &n, &s->texts[f]);
        if (rc)
            return rc;
        char **all = realloc(s->stop, (s->nstop + n) * sizeof *all);
        if (!all) {
            free(w);
            return bract_error(BRACT_ENOMEM, "out of memory");
        }
        s->stop = all;
        memcpy(s->stop + s->nstop, w, n * sizeof *w);
        s->nstop += n;
        free(w);
    }
    return BRACT_OK;
}

static void fill_sidecar(bract_sidecar *sc, const args *a, const bract_lsa *l, uint64_t seed)
{
    const bract_lsa_opts *o = &a->o;
    int exact = l->solver == BRACT_LSA_EXACT;
    bract_sidecar_param_int(sc, "dims", (int64_t)o->dims);
    bract_sidecar_param_str(sc, "documents",
                            o->doc_per_file ? "one per file" : "one per non-blank line");
    bract_sidecar_param_str(sc, "weighting",
                            o->weighting == BRACT_LSA_COUNT
                                ? "raw counts"
                                : "log-entropy: ln(1 + tf) (1 + sum_j p ln p / ln N)");
    bract_sidecar_param_str(sc, "vectors", o->unscaled ? "U_k" : "U_k S_k");
    bract_sidecar_param_str(sc, "solver", bract_lsa_solver_name(l->solver));
    bract_sidecar_param_bool(sc, "lowercase", !o->keep_case);
    bract_sidecar_param_int(sc, "min_count", o->min_count ? (int64_t)o->min_count : 1);
    bract_sidecar_param_int(sc, "min_docs", o->min_docs ? (int64_t)o->min_docs : 1);
    bract_sidecar_param_int(sc, "max_vocab", (int64_t)o->max_vocab);
    bract_sidecar_param_int(sc, "min_length", o->min_length ? (int64_t)o->min_length : 1);
    if (!exact) {
        bract_sidecar_param_int(sc, "seed", (int64_t)seed);
        bract_sidecar_param_num(sc, "tolerance", o->tolerance > 0 ? o->tolerance : 1e-10);
    }
    for (size_t i = 0; i < a->corpus.n; i++)
        bract_sidecar_input(sc, "corpus", a->corpus.v[i]);
    for (size_t i = 0; i < a->stopfiles.n; i++)
        bract_sidecar_input(sc, "stop_words", a->stopfiles.v[i]);
    bract_sidecar_count(sc, "documents", (int64_t)l->ndocs);
    bract_sidecar_count(sc, "empty_documents", (int64_t)l->nempty);
    bract_sidecar_count(sc, "tokens", (int64_t)l->ntokens);
    bract_sidecar_count(sc, "stop_word_tokens", (int64_t)l->nstopped);
    bract_sidecar_count(sc, "short_tokens", (int64_t)l->nshort);
    bract_sidecar_count(sc, "distinct_terms", (int64_t)l->ntypes);
    bract_sidecar_count(sc, "terms", (int64_t)l->nterms);
    bract_sidecar_count(sc, "excluded_terms", (int64_t)(l->ntypes - l->nterms));
    if (!exact) {
        bract_sidecar_count(sc, "iterations", (int64_t)l->iterations);
        bract_sidecar_set_num(sc, "RelativeResidual", l->residual);
    }
    json_object *sv = json_object_new_array();
    for (size_t d = 0; d < l->dims; d++) {
        char buf[32];
        json_object_array_add(
            sv, json_object_new_double_s(l->sv[d], bract_tsv_format_double(buf, l->sv[d])));
    }
    bract_sidecar_set_json(sc, "SingularValues", json_object_to_json_string(sv));
    json_object_put(sv);
}

/* The model and its outputs: the exit status. */
static int lsa(const cli_ctx *c, args *a)
{
    cli_strlist in = {0};
    for (size_t i = 0; i < a->corpus.n; i++)
        cli_strlist_push(&in, a->corpus.v[i]);
    for (size_t i = 0; i < a->stopfiles.n; i++)
        cli_strlist_push(&in, a->stopfiles.v[i]);
    int rc = bract_output_not_input(a->out, in.v, in.n);
    cli_strlist_free(&in);
    if (rc || bract_output_check(a->out, c->force))
        return cli_fail(c);
    stop_words sw = {0};
    bract_lsa *l = NULL;
    int status = CLI_DATA_ERROR;
    if (read_stop_words(&a->stopfiles, &sw)) {
        cli_fail(c);
        goto done;
    }
    a->o.stop = (const char *const *)sw.stop;
    a->o.nstop = sw.nstop;
    cli_log(c, "reading %zu corpus file%s", a->corpus.n, a->corpus.n == 1 ? "" : "s");
    cli_bar bar;
    cli_bar_start(&bar, c, "LSA");
    bract_progress pr = cli_bar_progress(&bar);
    rc = bract_lsa_build(a->corpus.v, a->corpus.n, &a->o, &pr, &l);
    cli_bar_finish(&bar);
    if (rc) {
        cli_fail(c);
        goto done;
    }
    cli_warnings(c);
    int exact = l->solver == BRACT_LSA_EXACT;
    cli_log(c, "%zu documents, %zu tokens, %zu terms of %zu; %s SVD%s", l->ndocs, l->ntokens,
            l->nterms, l->ntypes, bract_lsa_solver_name(l->solver),
            exact ? "" : " (see the sidecar for its iterations)");
    if (bract_lsa_write(l, a->out, c->force)) {
        cli_fail(c);
        goto done;
    }
    bract_sidecar *sc = cli_sidecar(c);
    if (sc)
        fill_sidecar(sc, a, l, c->seed);
    if (cli_sidecar_finish(c, sc, a->out) == CLI_OK)
        status = CLI_OK;
    bract_sidecar_free(sc);
done:
    bract_lsa_free(l);
    stop_words_free(&sw, a->stopfiles.n);
    return status;
}

int main_lsa(int argc, char **argv)
{
    cli_ctx c;
    cli_ctx_init(&c, "lsa", NULL);
    args a = {0};
    int status = cli_parse(&c, &cli_spec_lsa, &a, argc, argv);
    if (status == CLI_CONTINUE) {
        cli_apply(&c);
        a.o.seed = c.seed;
        status = lsa(&c, &a);
    }
    cli_args_free(&cli_spec_lsa, &a);
    return status;
}
