/* bract rdm model: the RDM of word vectors looked up in an embedding table. */
#include "cli/cli.h"
#include "cli/cmd/rdm.h"
#include "cli/paths.h"
#include "bract/outputs.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

const char cli_rdm_model_usage[] =
    "Usage: bract rdm model --embeddings FILE (--conditions CONDS.tsv | --words FILE)\n"
    "                       -o MODEL.tsv [options]\n"
    "\n"
    "The RDM of the conditions' word vectors: each condition label is looked up\n"
    "in an embedding table (word2vec text or binary, GloVe, TSV; gzipped or not).\n"
    "\n"
    "Options:\n"
    "      --embeddings FILE     the embedding table\n"
    "      --format NAME         auto, word2vec, word2vec-bin, glove or tsv [auto]\n"
    "      --conditions FILE     conditions TSV: its condition column gives the words,\n"
    "                            each once, in the order of bract rdm neural\n"
    "      --words FILE          a word list instead: one word per line\n"
    "      --exclude LABEL       leave out a condition (repeatable, e.g. rest)\n"
    "      --sort-conditions     order conditions by label, not by first appearance\n"
    "      --method NAME         cosine, correlation or euclidean [cosine]\n"
    "      --plain               euclidean: |x_i - x_j|, not |x_i - x_j|^2 / dimensions\n"
    "      --lowercase           lowercase both the words and the table's words\n"
    "      --allow-missing       drop words missing from the table (with a warning)\n"
    "                            instead of failing\n"
    "      --name NAME           name of the RDM [the embedding file name]\n"
    "  -o, --output FILE         RDM set, long-form TSV, or HDF5 that rsatoolbox's\n"
    "                            load_rdm reads when FILE ends in .h5 or .hdf5\n"
    "                            (a JSON sidecar next to it)\n"
    "\n" CLI_COMMON_HELP;

enum {
    OPT_EMB = OPT_FIRST_CMD,
    OPT_FORMAT,
    OPT_CONDITIONS,
    OPT_WORDS,
    OPT_EXCLUDE,
    OPT_SORT,
    OPT_METHOD,
    OPT_PLAIN,
    OPT_LOWER,
    OPT_ALLOW,
    OPT_NAME
};

int main_rdm_model(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"embeddings", required_argument, NULL, OPT_EMB},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"conditions", required_argument, NULL, OPT_CONDITIONS},
        {"words", required_argument, NULL, OPT_WORDS},
        {"exclude", required_argument, NULL, OPT_EXCLUDE},
        {"sort-conditions", no_argument, NULL, OPT_SORT},
        {"method", required_argument, NULL, OPT_METHOD},
        {"plain", no_argument, NULL, OPT_PLAIN},
        {"lowercase", no_argument, NULL, OPT_LOWER},
        {"allow-missing", no_argument, NULL, OPT_ALLOW},
        {"name", required_argument, NULL, OPT_NAME},
        {"output", required_argument, NULL, 'o'},
        CLI_COMMON_LONGOPTS,
        {NULL, 0, NULL, 0}};
    static const char *const formats[] = {"auto", "word2vec", "word2vec-bin", "glove", "tsv",
                                          NULL};
    static const char *const methods[] = {"cosine", "correlation", "euclidean", NULL};
    static const bract_rdm_method method_of[] = {BRACT_RDM_COSINE, BRACT_RDM_CORRELATION,
                                                 BRACT_RDM_EUCLIDEAN};
    cli_ctx c;
    cli_ctx_init(&c, BRACT_CMD_RDM_MODEL, cli_rdm_model_usage);
    const char *emb = NULL, *conds = NULL, *wordfile = NULL, *out = NULL, *name = NULL;
    cli_strlist exclude = {0};
    bract_embed_opts eo = {0};
    bract_rdm_opts ro = {.method = BRACT_RDM_COSINE};
    int sorted = 0, allow = 0, opt, k, status = CLI_USAGE;
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
        case OPT_EMB: emb = optarg; break;
        case OPT_FORMAT:
            if ((k = cli_parse_choice(&c, "--format", optarg, formats)) < 0)
                goto out;
            eo.format = (bract_emb_format)k;
            break;
        case OPT_CONDITIONS: conds = optarg; break;
        case OPT_WORDS: wordfile = optarg; break;
        case OPT_EXCLUDE:
            if (cli_strlist_push(&exclude, optarg)) {
                cli_error(&c, "out of memory");
                status = CLI_DATA_ERROR;
                goto out;
            }
            break;
        case OPT_SORT: sorted = 1; break;
        case OPT_METHOD:
            if ((k = cli_parse_choice(&c, "--method", optarg, methods)) < 0)
                goto out;
            ro.method = method_of[k];
            break;
        case OPT_PLAIN: ro.plain = 1; break;
        case OPT_LOWER: eo.lowercase = 1; break;
        case OPT_ALLOW: allow = 1; break;
        case OPT_NAME: name = optarg; break;
        case 'o': out = optarg; break;
        case ':': cli_usage_error(&c, "option %s needs a value", argv[optind - 1]); goto out;
        default: cli_usage_error(&c, "unknown option %s", argv[optind - 1]); goto out;
        }
    }
    if (optind < argc) {
        cli_usage_error(&c, "unexpected argument '%s'", argv[optind]);
        goto out;
    }
    if (!emb) {
        cli_usage_error(&c, "no --embeddings given");
        goto out;
    }
    if (!conds == !wordfile) {
        cli_usage_error(&c, "give either --conditions or --words");
        goto out;
    }
    if (wordfile && (exclude.n || sorted)) {
        cli_usage_error(&c, "--exclude and --sort-conditions apply to --conditions");
        goto out;
    }
    if (!out) {
        cli_usage_error(&c, "no output given (-o MODEL.tsv)");
        goto out;
    }
    if (ro.plain && ro.method != BRACT_RDM_EUCLIDEAN) {
        cli_usage_error(&c, "--plain applies to --method euclidean");
        goto out;
    }
    cli_apply(&c);
    status = CLI_DATA_ERROR;
    {
        const char *in[] = {emb, conds ? conds : wordfile};
        if (bract_output_not_input(out, in, 2) || bract_output_check(out, c.force)) {
            cli_fail(&c);
            goto out;
        }
    }

    bract_design *d = NULL, *dk = NULL;
    char **words = NULL, *wtext = NULL, *defname = NULL;
    size_t nw = 0;
    bract_embedding *e = NULL;
    bract_rdmset *set = NULL;
    bract_rdm_plan *plan = NULL;
    bract_rdm_ws *ws = NULL;
    double *x = NULL;
    const char **kept = NULL;
    if (conds) {
        bract_design_opts dopts = {.order = sorted ? BRACT_ORDER_SORTED : BRACT_ORDER_FIRST,
                                   .exclude = exclude.v, .nexclude = exclude.n};
        if (bract_design_read(conds, &dopts, &d))
            goto fail;
        words = d->cond;
        nw = d->ncond;
    } else if (cli_read_word_list(wordfile, &words, &nw, &wtext)) {
        goto fail;
    }
    cli_log(&c, "looking up %zu words in %s", nw, emb);
    if (bract_embedding_lookup(emb, (const char *const *)words, nw, &eo, &e))
        goto fail;
    cli_log(&c, "%s table: %zu entries of %zu dimensions; %zu of %zu words found",
            bract_emb_format_name(e->format), e->nentries, e->dim, nw - e->nmissing, nw);
    if (e->nmissing) {
        /* every missing word, in condition order */
        size_t cap = 256;
        for (size_t i = 0; i < nw; i++)
            if (!e->found[i])
                cap += strlen(words[i]) + 4;
        char *list = malloc(cap);
        if (!list) {
            bract_error(BRACT_ENOMEM, "out of memory");
            goto fail;
        }
        size_t len = 0;
        for (size_t i = 0; i < nw; i++)
            if (!e->found[i])
                len += (size_t)snprintf(list + len, cap - len, "%s%s", len ? ", " : "",
                                        words[i]);
        if (!allow) {
            cli_error(&c, "%s: %zu of %zu word%s not in the table: %s%s", emb, e->nmissing, nw,
                      nw == 1 ? " is" : "s are", list,
                      eo.lowercase ? "" : " (try --lowercase, or --allow-missing to drop them)");
            free(list);
            goto done;
        }
        if (!c.quiet)
            fprintf(stderr, "bract rdm model: warning: %zu word%s not in %s, dropped: %s\n",
                    e->nmissing, e->nmissing == 1 ? "" : "s", emb, list);
        free(list);
    }
    size_t nk = nw - e->nmissing;
    if (nk < 2) {
        bract_error(BRACT_EDATA, "%zu word%s found in %s; an RDM needs at least 2", nk,
                    nk == 1 ? "" : "s", emb);
        goto fail;
    }
    kept = malloc(nk * sizeof *kept);
    x = malloc(nk * e->dim * sizeof *x);
    if (!kept || !x) {
        bract_error(BRACT_ENOMEM, "out of memory");
        goto fail;
    }
    for (size_t i = 0, q = 0; i < nw; i++)
        if (e->found[i]) {
            kept[q] = words[i];
            memcpy(x + q * e->dim, e->vec + i * e->dim, e->dim * sizeof *x);
            q++;
        }
    if (bract_design_from_labels(kept, NULL, nk, NULL, &dk))
        goto fail;
    defname = cli_file_stem(emb);
    set = bract_rdmset_alloc(1);
    if (!set || !defname) {
        bract_error(BRACT_ENOMEM, "out of memory");
        goto fail;
    }
    if (bract_rdmset_init_rdm(set, 0, name ? name : defname, nk, kept) ||
        bract_rdmset_set_measure(set, bract_rdm_measure_name(&ro)))
        goto fail;
    bract_rdm_info info;
    if (bract_rdm_plan_new(dk, &ro, e->dim, 0, &plan) || bract_rdm_ws_new(plan, &ws) ||
        bract_rdm_compute(plan, ws, x, e->dim, e->dim, NULL, set->rdm[0].d, &info))
        goto fail;
    if (info.nnan)
        bract_warn("%zu dissimilarit%s left n/a: a word's vector is zero (cosine) or constant "
                   "(correlation)", info.nnan, info.nnan == 1 ? "y" : "ies");
    cli_warnings(&c);
    if (bract_rdmset_write(set, out, c.force))
        goto fail;
    {
        bract_sidecar *sc = cli_sidecar(&c);
        if (sc) {
            bract_sidecar_param_str(sc, "method", bract_rdm_method_name(ro.method));
            bract_sidecar_param_str(
                sc, "convention",
                ro.method == BRACT_RDM_COSINE        ? "1 - cosine similarity"
                : ro.method == BRACT_RDM_CORRELATION ? "1 - Pearson r across dimensions"
                : ro.plain ? "plain Euclidean distance |x_i - x_j| (scipy, CoSMoMVPA)"
                           : "squared Euclidean distance divided by the number of dimensions "
                             "(rsatoolbox)");
            bract_sidecar_param_str(sc, "format", bract_emb_format_name(e->format));
            bract_sidecar_param_bool(sc, "lowercase", eo.lowercase);
            bract_sidecar_param_bool(sc, "allow_missing", allow);
            bract_sidecar_param_str(sc, "condition_order",
                                    sorted ? "sorted by label" : "first appearance");
            bract_sidecar_input(sc, "embeddings", emb);
            bract_sidecar_input(sc, conds ? "conditions" : "words", conds ? conds : wordfile);
            bract_sidecar_count(sc, "words", (int64_t)nw);
            bract_sidecar_count(sc, "words_found", (int64_t)nk);
            bract_sidecar_count(sc, "excluded_words", (int64_t)e->nmissing);
            bract_sidecar_count(sc, "dimensions", (int64_t)e->dim);
            bract_sidecar_count(sc, "table_entries", (int64_t)e->nentries);
            bract_sidecar_count(sc, "table_duplicates", (int64_t)e->nduplicates);
            bract_sidecar_count(sc, "nan_dissimilarities", (int64_t)info.nnan);
            json_object *m = json_object_new_array();
            for (size_t i = 0; i < nw; i++)
                if (!e->found[i])
                    json_object_array_add(m, json_object_new_string(words[i]));
            bract_sidecar_set_json(sc, "MissingWords", json_object_to_json_string(m));
            json_object_put(m);
        }
        if (cli_sidecar_finish(&c, sc, out) != CLI_OK) {
            bract_sidecar_free(sc);
            goto done;
        }
        bract_sidecar_free(sc);
    }
    status = CLI_OK;
    goto done;
fail:
    cli_fail(&c);
done:
    bract_rdm_ws_free(ws);
    bract_rdm_plan_free(plan);
    bract_rdmset_free(set);
    bract_embedding_free(e);
    bract_design_free(dk);
    bract_design_free(d);
    if (!conds)
        free(words);
    free(wtext);
    free(defname);
    free(kept);
    free(x);
out:
    free(exclude.v);
    return status;
}
