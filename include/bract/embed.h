/* bract/embed.h: word vectors looked up in embedding tables.
 *
 * Formats (plain or gzipped, detected by content):
 *   word2vec       text: a header line "COUNT DIM", then "word v1 ... vDIM" per line
 *   word2vec-bin   binary: the same header line, then per word the word's bytes,
 *                  a space, DIM little-endian float32 values and (usually) a newline
 *   glove          text without a header: "word v1 ... vDIM" per line
 *   tsv            a header row (first column the word, e.g. `word d0 d1 ...`), then
 *                  tab-separated rows; words may contain spaces
 * In the text formats fields are separated by spaces or tabs (tsv: tabs), so
 * words cannot contain them; line ends may be LF or CRLF.
 *
 * The table is streamed: only the vectors of the words asked for are kept,
 * so a table of millions of words costs memory for the wanted words only.
 * Every line is still checked: a wrong number of values, a value that is not
 * a number, a header that disagrees with the lines, or a truncated binary
 * record is an error naming the file and the line (binary: the record and
 * byte offset).  Sizes a header declares are checked before anything of
 * that size is allocated: the word2vec dimensions against line 2 (text) or
 * the first record (binary) and, for an uncompressed file, against its
 * size; a TSV header row against its first data row; the read buffer grows
 * only with the data actually read.  A word2vec line 2 made of a word and
 * numbers is read as text (auto-detection), so a header whose dimensions
 * disagree with it is named as such, not taken for binary.  Words are compared as UTF-8 bytes; with `lowercase` both
 * sides are lowercased first (Unicode simple case mapping).  When a word
 * occurs more than once, the first occurrence is used.
 *
 * Threads: the functions keep no state between calls (the byte-class table
 * they share is constant), so any number of threads may look up words at
 * the same time, each with its own bract_embedding; an embedding is
 * read-only after the look-up and may be shared. */
#ifndef BRACT_EMBED_H
#define BRACT_EMBED_H

#include <stddef.h>

#include "bract/error.h"
#include "bract/rdm.h"
#include "bract/rdmset.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    BRACT_EMB_AUTO = 0,
    BRACT_EMB_WORD2VEC = 1,
    BRACT_EMB_WORD2VEC_BIN = 2,
    BRACT_EMB_GLOVE = 3,
    BRACT_EMB_TSV = 4
} bract_embed_format;

/* "auto", "word2vec", "word2vec-bin", "glove", "tsv" ("unknown" out of
 * range). */
BRACT_API const char *bract_embed_format_name(bract_embed_format f);

/* The format named `name` in *out: 0, or BRACT_EINVAL with "unknown
 * embedding format 'x' (expected one of ...)". */
BRACT_API int bract_embed_format_parse(const char *name, bract_embed_format *out);

typedef struct {
    bract_embed_format format;
    int lowercase;
} bract_embed_opts;

typedef struct {
    size_t nwords;        /* the words asked for, in the order given */
    char **word;
    size_t dim;           /* dimensions of the table */
    double *vec;          /* nwords x dim; NaN rows for words not found */
    unsigned char *found; /* 1 if the word was found */
    size_t nmissing;
    size_t nentries;      /* entries read from the table */
    size_t nduplicates;   /* entries that repeated a wanted word already found */
    bract_embed_format format; /* the format read (never AUTO) */
} bract_embedding;

/* Look up `words` (n, UTF-8) in the table `path`.  Missing words are not an
 * error here (see found/nmissing).  Owned by the caller
 * (bract_embed_free).  o may be NULL (auto format, exact case). */
BRACT_API int bract_embed_lookup(const char *path, const char *const *words, size_t n,
                                     const bract_embed_opts *o, bract_embedding **out);

BRACT_API void bract_embed_free(bract_embedding *e);

/* The model RDM of the vectors of e (bract rdm model): the words found are
 * the conditions, in e's order (words not found are left out), and the
 * dimensions play the part of voxels in bract/rdm.h's formulas (euclidean,
 * correlation or cosine; a method that needs a noise estimate is refused).
 * *out is a set of one RDM called `name`, its measure set from o (free with
 * bract_rdmset_free); *nnan (may be NULL) receives the number of pairs left
 * NaN: a word whose vector is zero (cosine) or constant (correlation).
 * Errors: fewer than 2 words found. */
BRACT_API int bract_embed_rdm(const bract_embedding *e, const bract_rdm_opts *o, const char *name,
                              bract_rdmset **out, size_t *nnan);

/* bract_embed_rdm with conditions that are not the words looked up:
 * labels[i] (e->nwords of them; labels or labels[i] NULL: the word itself)
 * names the condition whose vector is word i's, so that a condition label
 * without a vector of its own (Haxby's "scrambledpix") takes another word's
 * (bract rdm model --word LABEL=WORD).  Two labels may look up one word. */
BRACT_API int bract_embed_rdm_labels(const bract_embedding *e, const char *const *labels,
                                     const bract_rdm_opts *o, const char *name,
                                     bract_rdmset **out, size_t *nnan);

#ifdef __cplusplus
}
#endif
#endif
