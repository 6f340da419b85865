/* bract rdm model: the RDM of word vectors looked up in an embedding table
 * (the library computes it: bract_embed_rdm). */
#include "cli/cli.h"
#include "cli/cmd/rdm.h"
#include "cli/paths.h"
#include "bract/outputs.h"

#include <stdlib.h>
#include <string.h>

#include <json.h>

CLI_ENUM_PARSER(bract_embed_format, bract_embed_format_parse)
CLI_ENUM_PARSER(bract_rdm_method, bract_rdm_method_parse)

typedef struct {
    const char *emb, *conds, *words, *name, *out;
    bract_embed_opts eo;
    cli_cond_args cond;
    bract_rdm_opts ro;
    int allow;
} args;

static const cli_opt options[] = {
    CLI_GROUP("Options:"),
    CLI_STRING(0, "embeddings", args, emb, "FILE", "the embedding table", .flags = CLI_REQUIRED),
    CLI_ENUM(0, "format", args, eo.format, bract_embed_format, "NAME",
             "auto, word2vec, word2vec-bin, glove or tsv [auto]"),
    CLI_STRING('c', "conditions", args, conds, "FILE",
               "conditions TSV: its condition column gives the words,\n"
               "each once, in the order of bract rdm neural"),
    CLI_STRING(0, "words", args, words, "FILE", "a word list instead: one word per line"),
    CLI_COND_OPTIONS(args, cond),
    CLI_ENUM(0, "method", args, ro.method, bract_rdm_method, "NAME",
             "cosine, correlation or euclidean [cosine]"),
    CLI_FLAG(0, "plain", args, ro.plain, "euclidean: |x_i - x_j|, not |x_i - x_j|^2 / dimensions"),
    CLI_FLAG(0, "lowercase", args, eo.lowercase, "lowercase both the words and the table's words"),
    CLI_FLAG(0, "allow-missing", args, allow,
             "drop words missing from the table (with a warning)\ninstead of failing"),
    CLI_STRING(0, "name", args, name, "NAME", "name of the RDM [the embedding file name]"),
    CLI_RDMSET_OUTPUT(args, out),
    CLI_END};

const cli_spec cli_spec_rdm_model = {
    "rdm model",
    "Usage: bract rdm model --embeddings FILE (--conditions CONDS.tsv | --words FILE)\n"
    "                       -o MODEL.tsv [options]",
    "The RDM of the conditions' word vectors: each condition label is looked up\n"
    "in an embedding table (word2vec text or binary, GloVe, TSV; gzipped or not).",
    options, NULL};

static int check_args(const cli_ctx *c, const args *a)
{
    if (!a->conds == !a->words)
        return cli_usage_error(c, "give either --conditions or --words");
    if (a->words && (a->cond.exclude.n || a->cond.sorted))
        return cli_usage_error(c, "--exclude and --sort-conditions apply to --conditions");
    if (a->ro.plain && a->ro.method != BRACT_RDM_EUCLIDEAN)
        return cli_usage_error(c, "--plain applies to --method euclidean");
    if (bract_rdm_needs_noise(&a->ro))
        return cli_usage_error(c,
                               "--method %s needs a noise estimate, which word vectors do "
                               "not have",
                               bract_rdm_method_name(a->ro.method));
    return 0;
}

/* The words: the conditions of a conditions table (*d keeps them), or a
 * word list (*text keeps them, *words is the caller's). */
static int read_words(const args *a, bract_rdm_design **d, char ***words, size_t *n, char **text)
{
    if (a->conds) {
        bract_rdm_design_opts dopts = cli_cond_design_opts(&a->cond);
        if (bract_rdm_design_read(a->conds, &dopts, d))
            return -1;
        *words = (*d)->cond;
        *n = (*d)->ncond;
        return 0;
    }
    return cli_read_word_list(a->words, words, n, text);
}

/* Words missing from the table: an error unless --allow-missing (then a
 * warning), listing every one in condition order.  0 to go on. */
static int missing_words(const cli_ctx *c, const args *a, const bract_embedding *e)
{
    size_t nw = e->nwords, cap = 256;
    for (size_t i = 0; i < nw; i++)
        if (!e->found[i])
            cap += strlen(e->word[i]) + 4;
    char *list = malloc(cap);
    if (!list)
        return cli_error(c, "out of memory");
    size_t len = 0;
    for (size_t i = 0; i < nw; i++)
        if (!e->found[i])
            len += (size_t)snprintf(list + len, cap - len, "%s%s", len ? ", " : "", e->word[i]);
    int rc = 0;
    if (!a->allow)
        rc =
            cli_error(c, "%s: %zu of %zu word%s not in the table: %s%s", a->emb, e->nmissing, nw,
                      nw == 1 ? " is" : "s are", list,
                      a->eo.lowercase ? "" : " (try --lowercase, or --allow-missing to drop them)");
    else if (!c->quiet)
        fprintf(stderr, "bract rdm model: warning: %zu word%s not in %s, dropped: %s\n",
                e->nmissing, e->nmissing == 1 ? "" : "s", a->emb, list);
    free(list);
    return rc;
}

/* The method's convention in words, for the sidecar. */
static const char *convention(const bract_rdm_opts *ro)
{
    switch (ro->method) {
    case BRACT_RDM_COSINE: return "1 - cosine similarity";
    case BRACT_RDM_CORRELATION: return "1 - Pearson r across dimensions";
    default:
        return ro->plain ? "plain Euclidean distance |x_i - x_j| (scipy, CoSMoMVPA)"
                         : "squared Euclidean distance divided by the number of dimensions "
                           "(rsatoolbox)";
    }
}

static void fill_sidecar(bract_sidecar *sc, const args *a, const bract_embedding *e, size_t nnan)
{
    bract_sidecar_param_str(sc, "method", bract_rdm_method_name(a->ro.method));
    bract_sidecar_param_str(sc, "convention", convention(&a->ro));
    bract_sidecar_param_str(sc, "format", bract_embed_format_name(e->format));
    bract_sidecar_param_bool(sc, "lowercase", a->eo.lowercase);
    bract_sidecar_param_bool(sc, "allow_missing", a->allow);
    bract_sidecar_param_str(sc, "condition_order", cli_cond_order(&a->cond));
    bract_sidecar_input(sc, "embeddings", a->emb);
    bract_sidecar_input(sc, a->conds ? "conditions" : "words", a->conds ? a->conds : a->words);
    bract_sidecar_count(sc, "words", (int64_t)e->nwords);
    bract_sidecar_count(sc, "words_found", (int64_t)(e->nwords - e->nmissing));
    bract_sidecar_count(sc, "excluded_words", (int64_t)e->nmissing);
    bract_sidecar_count(sc, "dimensions", (int64_t)e->dim);
    bract_sidecar_count(sc, "table_entries", (int64_t)e->nentries);
    bract_sidecar_count(sc, "table_duplicates", (int64_t)e->nduplicates);
    bract_sidecar_count(sc, "nan_dissimilarities", (int64_t)nnan);
    json_object *m = json_object_new_array();
    for (size_t i = 0; i < e->nwords; i++)
        if (!e->found[i])
            json_object_array_add(m, json_object_new_string(e->word[i]));
    bract_sidecar_set_json(sc, "MissingWords", json_object_to_json_string(m));
    json_object_put(m);
}

/* The model RDM of the words found in e, written with its sidecar. */
static int write_model(cli_ctx *c, const args *a, const bract_embedding *e)
{
    char *defname = cli_file_stem(a->emb);
    if (!defname)
        return cli_error(c, "out of memory");
    bract_rdmset *set;
    size_t nnan;
    int rc = bract_embed_rdm(e, &a->ro, a->name ? a->name : defname, &set, &nnan);
    free(defname);
    if (rc) {
        if (rc == BRACT_EDATA)
            bract_error_context(rc, "%s", a->emb);
        return cli_fail(c);
    }
    if (nnan)
        bract_warn("%zu dissimilarit%s left n/a: a word's vector is zero (cosine) or constant "
                   "(correlation)",
                   nnan, nnan == 1 ? "y" : "ies");
    cli_warnings(c);
    rc = bract_rdmset_write(set, a->out, c->force);
    bract_rdmset_free(set);
    if (rc)
        return cli_fail(c);
    bract_sidecar *sc = cli_sidecar(c);
    if (sc)
        fill_sidecar(sc, a, e, nnan);
    int status = cli_sidecar_finish(c, sc, a->out);
    bract_sidecar_free(sc);
    return status == CLI_OK ? CLI_OK : CLI_DATA_ERROR;
}

static int rdm_model(cli_ctx *c, const args *a)
{
    const char *in[] = {a->emb, a->conds ? a->conds : a->words};
    if (bract_output_not_input(a->out, in, 2) || bract_output_check(a->out, c->force))
        return cli_fail(c);
    bract_rdm_design *d = NULL;
    char **words = NULL, *wtext = NULL;
    size_t nw = 0;
    bract_embedding *e = NULL;
    int status = CLI_DATA_ERROR;
    if (read_words(a, &d, &words, &nw, &wtext))
        cli_fail(c);
    else {
        cli_log(c, "looking up %zu words in %s", nw, a->emb);
        if (bract_embed_lookup(a->emb, (const char *const *)words, nw, &a->eo, &e))
            cli_fail(c);
    }
    if (e) {
        cli_log(c, "%s table: %zu entries of %zu dimensions; %zu of %zu words found",
                bract_embed_format_name(e->format), e->nentries, e->dim, nw - e->nmissing, nw);
        if (!(e->nmissing && missing_words(c, a, e)))
            status = write_model(c, a, e);
    }
    bract_embed_free(e);
    bract_rdm_design_free(d);
    if (!a->conds)
        free(words);
    free(wtext);
    return status;
}

int main_rdm_model(int argc, char **argv)
{
    cli_ctx c;
    cli_ctx_init(&c, BRACT_CMD_RDM_MODEL, NULL);
    args a = {0};
    a.ro.method = BRACT_RDM_COSINE;
    int status = cli_parse(&c, &cli_spec_rdm_model, &a, argc, argv);
    if (status == CLI_CONTINUE && !(status = check_args(&c, &a))) {
        cli_apply(&c);
        status = rdm_model(&c, &a);
    }
    cli_args_free(&cli_spec_rdm_model, &a);
    return status;
}
