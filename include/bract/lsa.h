/* bract/lsa.h: latent semantic analysis word vectors from a text corpus.
 *
 * Documents are the non-blank lines of the corpus files (or each whole
 * file).  Text is UTF-8; a token is a maximal run of letters and digits
 * (Unicode classes from glibc's C.UTF-8 data; every other character
 * separates tokens, so apostrophes and hyphens split words, and text
 * without spaces such as Chinese must be segmented beforehand).  Tokens are
 * lowercased unless asked not to; tokens shorter than `min_length` code
 * points and stop words are dropped.  The vocabulary keeps the terms with at
 * least `min_count` occurrences in at least `min_docs` documents, then the
 * `max_vocab` most frequent (ties: first appearance).
 *
 * The terms x documents matrix A holds, for log-entropy weighting (Dumais
 * 1991), a_ij = ln(1 + tf_ij) * g_i with g_i = 1 + sum_j p_ij ln p_ij / ln N,
 * p_ij = tf_ij / sum_j tf_ij and N the number of documents (gensim's
 * LogEntropyModel divides by ln(N + 1) instead); or the raw counts tf_ij.
 * A's truncated SVD A ~ U_k S_k V_k' gives the term vectors U_k S_k (the
 * rows of Deerwester et al.'s T S), or U_k with `unscaled`.  Each dimension's
 * sign makes its largest-magnitude term coordinate positive (the first, on
 * ties), so results are reproducible.
 *
 * Solvers.  exact: the eigen-decomposition (LAPACK dsyevr, top k only) of
 * the Gram matrix of the smaller side, A A' (terms) or A'A (documents),
 * built from the sparse matrix; memory s^2 doubles and time O(s^3) for
 * s = min(terms, documents).  iterative: block subspace iteration with
 * Rayleigh-Ritz (LAPACK dgeqrf/dorgqr/dsyevr) on the sparse matrix, started
 * from a Gaussian block drawn from `seed`, block size k + max(k, 10), until
 * the residual |A A' u - s^2 u| of each of the top k Ritz pairs is below
 * `tolerance` (default 1e-10) times s_1^2 (at most 300 iterations);
 * memory O((terms + documents) block).  auto: exact when
 * s <= 2000, else iterative. */
#ifndef BRACT_LSA_H
#define BRACT_LSA_H

#include <stddef.h>
#include <stdint.h>

#include "bract/error.h"
#include "bract/progress.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { BRACT_LSA_LOG_ENTROPY = 0, BRACT_LSA_COUNT = 1 } bract_lsa_weighting;
typedef enum { BRACT_LSA_AUTO = 0, BRACT_LSA_EXACT = 1, BRACT_LSA_ITERATIVE = 2 } bract_lsa_solver;

/* "log-entropy", "count"; "auto", "exact", "iterative" ("unknown" out of
 * range), and back: 0, or BRACT_EINVAL with "unknown LSA weighting 'x'
 * (expected one of ...)" ("unknown LSA solver"). */
BRACT_API const char *bract_lsa_weighting_name(bract_lsa_weighting w);
BRACT_API int bract_lsa_weighting_parse(const char *s, bract_lsa_weighting *out);
BRACT_API const char *bract_lsa_solver_name(bract_lsa_solver s);
BRACT_API int bract_lsa_solver_parse(const char *s, bract_lsa_solver *out);

typedef struct {
    size_t dims;              /* k */
    int doc_per_file;         /* each file is one document */
    int keep_case;            /* do not lowercase */
    size_t min_length;        /* shortest token in code points (0 means 1) */
    size_t min_count;         /* fewest occurrences of a term (0 means 1) */
    size_t min_docs;          /* fewest documents of a term (0 means 1) */
    size_t max_vocab;         /* most terms kept (0: all) */
    const char *const *stop;  /* stop words (compared after lowercasing) */
    size_t nstop;
    bract_lsa_weighting weighting;
    bract_lsa_solver solver;
    int unscaled;             /* write U_k, not U_k S_k */
    uint64_t seed;            /* start of the iterative solver */
    double tolerance;         /* iterative: stop below this relative residual (0: 1e-10) */
} bract_lsa_opts;

typedef struct {
    size_t nterms, ndocs, dims;
    char **term;              /* vocabulary, most frequent first */
    size_t *count;            /* occurrences of each term */
    size_t *df;               /* documents of each term */
    double *vec;              /* nterms x dims term vectors */
    double *sv;               /* dims singular values, descending */
    size_t ntokens;           /* tokens read (after stop words and min_length) */
    size_t nstopped;          /* tokens dropped as stop words */
    size_t nshort;            /* tokens dropped as too short */
    size_t ntypes;            /* distinct terms before the vocabulary limits */
    size_t nempty;            /* documents without a vocabulary term */
    bract_lsa_solver solver;  /* the solver used (never AUTO) */
    size_t iterations;        /* iterative solver: iterations run */
    double residual;          /* iterative: last relative change of the values */
} bract_lsa;

/* Read the corpus files (plain or gzipped) and compute the term vectors.
 * Errors: unreadable files, a file that is not UTF-8 text (a NUL byte or
 * an invalid sequence: file, byte offset and line named), fewer than 2 documents, an empty vocabulary,
 * dims above min(terms, documents).  Owned by the caller (bract_lsa_free). */
BRACT_API int bract_lsa_build(const char *const *paths, size_t npaths, const bract_lsa_opts *o,
                              const bract_progress *prog, bract_lsa **out);

BRACT_API void bract_lsa_free(bract_lsa *l);

/* Write the term vectors as an embedding TSV: columns word, d0, d1, ...
 * (atomic; "-" is standard output). */
BRACT_API int bract_lsa_write(const bract_lsa *l, const char *path, int force);

#ifdef __cplusplus
}
#endif
#endif
