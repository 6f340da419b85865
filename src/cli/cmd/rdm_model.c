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
    const char *emb, *conds, *words, *name, *out, *word_map;
    cli_strlist word; /* --word LABEL=WORD... */
    bract_embed_opts eo;
    cli_cond_args cond;
    bract_rdm_opts ro;
    int common; /* --common-conditions (--allow-missing, its 0.1 spelling) */
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
    CLI_LIST(0, "word", args, word, "LABEL=WORD...",
             "condition LABEL takes WORD's vector (a label that is\n"
             "not a word: scrambledpix=scissors); LABEL= leaves it out"),
    CLI_STRING(0, "word-map", args, word_map, "FILE",
               "a table of such pairs: columns label, word (n/a\n"
               "leaves the label out); --word wins over it"),
    CLI_ENUM(0, "method", args, ro.method, bract_rdm_method, "NAME",
             "cosine, correlation or euclidean [cosine]"),
    CLI_FLAG(0, "plain", args, ro.plain, "euclidean: |x_i - x_j|, not |x_i - x_j|^2 / dimensions"),
    CLI_FLAG(0, "lowercase", args, eo.lowercase, "lowercase both the words and the table's words"),
    CLI_FLAG(0, "common-conditions", args, common,
             "keep the conditions whose words the table has: the\n"
             "others are dropped with a warning, not an error"),
    CLI_FLAG(0, "allow-missing", args, common, "the 0.1 name of --common-conditions",
             .flags = CLI_HIDDEN),
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
    for (size_t i = 0; i < a->word.n; i++) {
        const char *w = a->word.v[i], *eq = strchr(w, '=');
        if (!eq || eq == w)
            return cli_usage_error(c, "--word: '%s' is not LABEL=WORD", w);
        for (size_t j = 0; j < i; j++)
            if (strncmp(a->word.v[j], w, (size_t)(eq - w) + 1) == 0)
                return cli_usage_error(c, "--word: '%.*s' is given twice", (int)(eq - w), w);
    }
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

/* ---- labels that are not words: --word-map, --word ---- */

/* Which word each condition label looks up: the rows of --word-map, then
 * the --word pairs over them.  word[i] NULL: label i is left out. */
typedef struct {
    size_t n;
    char **label, **word; /* owned */
    size_t *line;         /* line in the map file; 0: from --word */
    const char **opt;     /* the --word argument it came from, or NULL */
} wordmap;

static void wordmap_free(wordmap *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->label[i]);
        free(m->word[i]);
    }
    free(m->label);
    free(m->word);
    free(m->line);
    free(m->opt);
    memset(m, 0, sizeof *m);
}

static long wordmap_find(const wordmap *m, const char *label)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->label[i], label) == 0)
            return (long)i;
    return -1;
}

/* Set label -> word (word NULL or n/a: left out), replacing an earlier
 * entry of the label; the arrays have room for every entry.  0, or
 * BRACT_ENOMEM with a message. */
static int wordmap_set(wordmap *m, const char *label, size_t llen, const char *word, size_t line,
                       const char *opt)
{
    int keep = word && !bract_table_label_missing(word);
    char *l = strndup(label, llen), *w = keep ? strdup(word) : NULL;
    if (!l || (keep && !w)) {
        free(l);
        free(w);
        return bract_error(BRACT_ENOMEM, "out of memory");
    }
    long k = wordmap_find(m, l);
    size_t i = k >= 0 ? (size_t)k : m->n++;
    if (k >= 0) {
        free(m->label[i]);
        free(m->word[i]);
    }
    m->label[i] = l;
    m->word[i] = w;
    m->line[i] = line;
    m->opt[i] = opt;
    return 0;
}

/* The map of a->word_map and a->word.  0, or the error recorded. */
static int wordmap_read(const args *a, wordmap *m)
{
    memset(m, 0, sizeof *m);
    bract_table *t = NULL;
    if (a->word_map && bract_table_read(a->word_map, &t))
        return -1;
    size_t cl = 0, cw = 0;
    if (t && (bract_table_require(t, "label", &cl) || bract_table_require(t, "word", &cw))) {
        bract_table_free(t);
        return -1;
    }
    size_t cap = (t ? t->nrows : 0) + a->word.n + 1;
    m->label = calloc(cap, sizeof *m->label);
    m->word = calloc(cap, sizeof *m->word);
    m->line = calloc(cap, sizeof *m->line);
    m->opt = calloc(cap, sizeof *m->opt);
    int rc =
        m->label && m->word && m->line && m->opt ? 0 : bract_error(BRACT_ENOMEM, "out of memory");
    for (size_t r = 0; t && r < t->nrows && !rc; r++) {
        const char *l = bract_table_cell(t, r, cl);
        if (bract_table_label_missing(l)) {
            rc = bract_error(BRACT_EFORMAT, "%s:%zu: a row without a label", t->path, t->line[r]);
            break;
        }
        long k = wordmap_find(m, l);
        if (k >= 0) {
            rc = bract_error(BRACT_EFORMAT, "%s:%zu: label '%s' again (first on line %zu)", t->path,
                             t->line[r], l, m->line[k]);
            break;
        }
        rc = wordmap_set(m, l, strlen(l), bract_table_cell(t, r, cw), t->line[r], NULL);
    }
    for (size_t i = 0; i < a->word.n && !rc; i++) {
        const char *w = a->word.v[i], *eq = strchr(w, '='); /* checked in check_args */
        rc = wordmap_set(m, w, (size_t)(eq - w), eq[1] ? eq + 1 : NULL, 0, w);
    }
    bract_table_free(t);
    if (rc)
        wordmap_free(m);
    return rc;
}

/* The words to look up for the conditions `cond` (n): look[q] the word,
 * lab[q] the condition (NULL when it is the word itself), *nlook of them;
 * conditions mapped to nothing are left out (left[], *nleft).  A --word
 * label that is not a condition is an error (a map file may hold labels of
 * other studies).  0, or the error recorded. */
static int apply_wordmap(const args *a, const wordmap *m, char *const *cond, size_t n,
                         const char **look, const char **lab, const char **left, size_t *nlook,
                         size_t *nleft)
{
    for (size_t i = 0; i < m->n; i++) {
        if (!m->opt[i])
            continue;
        size_t k = 0;
        while (k < n && strcmp(cond[k], m->label[i]) != 0)
            k++;
        if (k == n)
            return bract_error(BRACT_EDATA, "--word %s: '%s' is not a condition of %s", m->opt[i],
                               m->label[i], a->conds ? a->conds : a->words);
    }
    *nlook = *nleft = 0;
    for (size_t k = 0; k < n; k++) {
        long i = wordmap_find(m, cond[k]);
        if (i >= 0 && !m->word[i]) {
            left[(*nleft)++] = cond[k];
            continue;
        }
        look[*nlook] = i >= 0 ? m->word[i] : cond[k];
        lab[*nlook] = i >= 0 ? cond[k] : NULL;
        (*nlook)++;
    }
    return 0;
}

/* Words missing from the table: an error unless --common-conditions (then a
 * warning), listing every one in condition order (a word looked up for
 * another label as "word (for label)").  0 to go on. */
static int missing_words(const cli_ctx *c, const args *a, const bract_embedding *e,
                         const char *const *lab)
{
    size_t nw = e->nwords, cap = 256;
    for (size_t i = 0; i < nw; i++)
        if (!e->found[i])
            cap += strlen(e->word[i]) + (lab[i] ? strlen(lab[i]) + 8 : 0) + 4;
    char *list = malloc(cap);
    if (!list)
        return cli_error(c, "out of memory");
    size_t len = 0;
    for (size_t i = 0; i < nw; i++)
        if (!e->found[i])
            len +=
                (size_t)snprintf(list + len, cap - len, "%s%s%s%s%s", len ? ", " : "", e->word[i],
                                 lab[i] ? " (for " : "", lab[i] ? lab[i] : "", lab[i] ? ")" : "");
    int rc = 0;
    if (!a->common)
        rc = cli_error(c,
                       "%s: %zu of %zu word%s %s not in the table: %s (try %s--word LABEL=WORD "
                       "for a label that is not a word, %s--common-conditions to keep the words "
                       "the table has)",
                       a->emb, e->nmissing, nw, nw == 1 ? "" : "s", e->nmissing == 1 ? "is" : "are",
                       list, a->eo.lowercase ? "" : "--lowercase, ",
                       a->conds ? "--exclude LABEL to leave a condition out, or " : "or ");
    else if (!c->quiet)
        fprintf(stderr,
                "bract rdm model: warning: %zu word%s not in %s, dropped: %s (neural RDMs that "
                "keep %s need bract rsa --common-conditions)\n",
                e->nmissing, e->nmissing == 1 ? "" : "s", a->emb, list,
                e->nmissing == 1 ? "it" : "them");
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

/* What the labels that are not words became: {"label": "word" or null}. */
static void sidecar_word_map(bract_sidecar *sc, const char *const *lab, const bract_embedding *e,
                             const char *const *left, size_t nleft)
{
    json_object *o = json_object_new_object();
    for (size_t i = 0; i < e->nwords; i++)
        if (lab[i])
            json_object_object_add(o, lab[i], json_object_new_string(e->word[i]));
    for (size_t i = 0; i < nleft; i++)
        json_object_object_add(o, left[i], NULL);
    bract_sidecar_set_json(sc, "WordMap", json_object_to_json_string(o));
    json_object_put(o);
}

static void fill_sidecar(bract_sidecar *sc, const args *a, const bract_embedding *e, size_t nnan)
{
    bract_sidecar_param_str(sc, "method", bract_rdm_method_name(a->ro.method));
    bract_sidecar_param_str(sc, "convention", convention(&a->ro));
    bract_sidecar_param_str(sc, "format", bract_embed_format_name(e->format));
    bract_sidecar_param_bool(sc, "lowercase", a->eo.lowercase);
    bract_sidecar_param_bool(sc, "common_conditions", a->common);
    bract_sidecar_param_str(sc, "condition_order", cli_cond_order(&a->cond));
    bract_sidecar_input(sc, "embeddings", a->emb);
    bract_sidecar_input(sc, a->conds ? "conditions" : "words", a->conds ? a->conds : a->words);
    if (a->word_map)
        bract_sidecar_input(sc, "word_map", a->word_map);
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

/* The words looked up: look[q] for condition lab[q] (NULL: the word
 * itself); left[] the conditions left out by the word map. */
typedef struct {
    size_t n, nleft;
    const char **look, **lab, **left;
} lookups;

/* The model RDM of the words found in e, written with its sidecar. */
static int write_model(cli_ctx *c, const args *a, const bract_embedding *e, const lookups *L)
{
    char *defname = cli_file_stem(a->emb);
    if (!defname)
        return cli_error(c, "out of memory");
    bract_rdmset *set;
    size_t nnan;
    int rc = bract_embed_rdm_labels(e, L->lab, &a->ro, a->name ? a->name : defname, &set, &nnan);
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
    if (sc) {
        fill_sidecar(sc, a, e, nnan);
        bract_sidecar_count(sc, "left_out_conditions", (int64_t)L->nleft);
        if (a->word.n || a->word_map)
            sidecar_word_map(sc, L->lab, e, L->left, L->nleft);
    }
    int status = cli_sidecar_finish(c, sc, a->out);
    bract_sidecar_free(sc);
    return status == CLI_OK ? CLI_OK : CLI_DATA_ERROR;
}

/* The words to look up for the conditions (through the word map). */
static int plan_lookups(const args *a, char *const *cond, size_t n, lookups *L)
{
    wordmap m;
    if (wordmap_read(a, &m))
        return -1;
    L->look = calloc(n + 1, sizeof *L->look);
    L->lab = calloc(n + 1, sizeof *L->lab);
    L->left = calloc(n + 1, sizeof *L->left);
    int rc = L->look && L->lab && L->left ? 0 : bract_error(BRACT_ENOMEM, "out of memory");
    if (!rc)
        rc = apply_wordmap(a, &m, cond, n, L->look, L->lab, L->left, &L->n, &L->nleft);
    /* the words point into m: keep copies where they came from it */
    for (size_t q = 0; q < L->n && !rc; q++)
        if (L->lab[q] && !(L->look[q] = strdup(L->look[q])))
            rc = bract_error(BRACT_ENOMEM, "out of memory");
    wordmap_free(&m);
    return rc;
}

static void lookups_free(lookups *L)
{
    for (size_t q = 0; L->look && q < L->n; q++)
        if (L->lab[q])
            free((char *)L->look[q]);
    free(L->look);
    free(L->lab);
    free(L->left);
}

static int rdm_model(cli_ctx *c, const args *a)
{
    const char *in[] = {a->emb, a->conds ? a->conds : a->words, a->word_map};
    if (bract_output_not_input(a->out, in, a->word_map ? 3 : 2) ||
        bract_output_check(a->out, c->force))
        return cli_fail(c);
    bract_rdm_design *d = NULL;
    char **words = NULL, *wtext = NULL;
    size_t nw = 0;
    lookups L = {0};
    bract_embedding *e = NULL;
    int status = CLI_DATA_ERROR;
    if (read_words(a, &d, &words, &nw, &wtext) || plan_lookups(a, words, nw, &L))
        cli_fail(c);
    else {
        cli_log(c, "looking up %zu words in %s (%zu conditions left out by the word map)", L.n,
                a->emb, L.nleft);
        if (bract_embed_lookup(a->emb, L.look, L.n, &a->eo, &e))
            cli_fail(c);
    }
    if (e) {
        cli_log(c, "%s table: %zu entries of %zu dimensions; %zu of %zu words found",
                bract_embed_format_name(e->format), e->nentries, e->dim, L.n - e->nmissing, L.n);
        if (!(e->nmissing && missing_words(c, a, e, L.lab)))
            status = write_model(c, a, e, &L);
    }
    bract_embed_free(e);
    lookups_free(&L);
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
