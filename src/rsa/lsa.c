/* Latent semantic analysis (see bract/lsa.h): tokenising, the sparse
 * term-document matrix, log-entropy weighting and the truncated SVD through
 * LAPACK (Gram eigen-decomposition or block subspace iteration). */
#include "base/internal.h"
#include "base/strmap_internal.h"
#include "base/text_internal.h"
#include "rsa/rsa_internal.h"

#include <math.h>
#include <string.h>

#include <cblas.h>
#include <lapacke.h>
#include "bract/tsv.h"

/* ---- names ---- */

static const char *const weighting_names[] = {"log-entropy", "count", NULL};
static const char *const solver_names[] = {"auto", "exact", "iterative", NULL};

const char *bract_lsa_weighting_name(bract_lsa_weighting w)
{
    return (unsigned)w <= BRACT_LSA_COUNT ? weighting_names[w] : "unknown";
}

int bract_lsa_weighting_parse(const char *s, bract_lsa_weighting *out)
{
    int v;
    int rc = bract_enum_lookup("LSA weighting", s, weighting_names, &v);
    if (rc == BRACT_OK)
        *out = (bract_lsa_weighting)v;
    return rc;
}

const char *bract_lsa_solver_name(bract_lsa_solver s)
{
    return (unsigned)s <= BRACT_LSA_ITERATIVE ? solver_names[s] : "unknown";
}

int bract_lsa_solver_parse(const char *s, bract_lsa_solver *out)
{
    int v;
    int rc = bract_enum_lookup("LSA solver", s, solver_names, &v);
    if (rc == BRACT_OK)
        *out = (bract_lsa_solver)v;
    return rc;
}

/* ---- growable arrays ---- */

/* The array v (n elements used, *cap allocated, `size` bytes each) with
 * room for one more: v itself or a larger copy; NULL when out of memory (v
 * is then still valid). */
static void *grow(void *v, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return v;
    size_t nc = *cap ? 2 * *cap : 1024;
    void *p = bract_xrealloc(v, nc, size, "a corpus index");
    if (p)
        *cap = nc;
    return p;
}

typedef struct {
    uint32_t *v;
    size_t n, cap;
} u32vec;

static int u32_push(u32vec *a, uint32_t x)
{
    uint32_t *p = grow(a->v, a->n, &a->cap, sizeof *p);
    if (!p)
        return BRACT_ENOMEM;
    a->v = p;
    a->v[a->n++] = x;
    return BRACT_OK;
}

typedef struct {
    size_t *v;
    size_t n, cap;
} szvec;

static int sz_push(szvec *a, size_t x)
{
    size_t *p = grow(a->v, a->n, &a->cap, sizeof *p);
    if (!p)
        return BRACT_ENOMEM;
    a->v = p;
    a->v[a->n++] = x;
    return BRACT_OK;
}

/* ---- the corpus ---- */

typedef struct {
    const bract_lsa_opts *o;
    bract_strmap terms;   /* term -> id (order of first appearance) */
    bract_strmap stop;
    szvec count, df;      /* per id */
    szvec docptr;         /* document d's entries: [docptr[d], docptr[d+1]) */
    u32vec ent_term, ent_tf;
    u32vec scratch;       /* ids of the current document */
    char *low;            /* lowercasing buffer */
    size_t lowcap;
    size_t ntokens, nstopped, nshort;
} corpus;

static void corpus_free(corpus *c)
{
    bract_strmap_free(&c->terms);
    bract_strmap_free(&c->stop);
    free(c->count.v);
    free(c->df.v);
    free(c->docptr.v);
    free(c->ent_term.v);
    free(c->ent_tf.v);
    free(c->scratch.v);
    free(c->low);
}

static int lower_into(corpus *c, const char *s, size_t n, const char **out, size_t *len)
{
    if (c->o->keep_case) {
        *out = s;
        *len = n;
        return BRACT_OK;
    }
    if (2 * n + 4 > c->lowcap) {
        size_t cap = 2 * n + 64;
        char *b = bract_xrealloc(c->low, cap, 1, "a word buffer");
        if (!b)
            return BRACT_ENOMEM;
        c->low = b;
        c->lowcap = cap;
    }
    *len = bract_utf8_lower(s, n, c->low);
    *out = c->low;
    return BRACT_OK;
}

static int add_token(corpus *c, const char *s, size_t n, size_t ncp)
{
    size_t minlen = c->o->min_length ? c->o->min_length : 1;
    if (ncp < minlen) {
        c->nshort++;
        return BRACT_OK;
    }
    const char *w;
    size_t len;
    int rc = lower_into(c, s, n, &w, &len);
    if (rc)
        return rc;
    if (c->stop.n && bract_strmap_get(&c->stop, w, len) >= 0) {
        c->nstopped++;
        return BRACT_OK;
    }
    long id;
    if ((rc = bract_strmap_put(&c->terms, w, len, c->count.n, &id)))
        return rc;
    if (id < 0) {
        id = (long)c->count.n;
        if (c->count.n >= 0xFFFFFFFFu)
            return bract_error(BRACT_EDATA, "more than 4294967295 distinct terms");
        if (sz_push(&c->count, 0) || sz_push(&c->df, 0))
            return BRACT_ENOMEM;
    }
    c->count.v[id]++;
    c->ntokens++;
    return u32_push(&c->scratch, (uint32_t)id);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Tokenise one document and append its (term, count) entries. */
static int add_document(corpus *c, const char *s, size_t n)
{
    c->scratch.n = 0;
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, b = 0, ncp = 0;
    int in = 0, rc;
    while (i < n) {
        uint32_t cp;
        size_t l = bract_utf8_decode(u + i, n - i, &cp);
        if (bract_utf8_is_word(cp)) {
            if (!in) {
                in = 1;
                b = i;
                ncp = 0;
            }
            ncp++;
        } else if (in) {
            in = 0;
            if ((rc = add_token(c, s + b, i - b, ncp)))
                return rc;
        }
        i += l;
    }
    if (in && (rc = add_token(c, s + b, n - b, ncp)))
        return rc;
    qsort(c->scratch.v, c->scratch.n, sizeof *c->scratch.v, cmp_u32);
    for (size_t k = 0; k < c->scratch.n;) {
        size_t e = k;
        while (e < c->scratch.n && c->scratch.v[e] == c->scratch.v[k])
            e++;
        if (u32_push(&c->ent_term, c->scratch.v[k]) || u32_push(&c->ent_tf, (uint32_t)(e - k)))
            return BRACT_ENOMEM;
        c->df.v[c->scratch.v[k]]++;
        k = e;
    }
    return sz_push(&c->docptr, c->ent_term.n);
}

static int blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\f' && s[i] != '\v')
            return 0;
    return 1;
}

/* A corpus is UTF-8 text: a NUL byte or a byte that is not UTF-8 is an
 * error naming the file, the byte offset (in the decompressed text) and the
 * line, before any of it is tokenised (F21: binary garbage made a corpus). */
static int check_corpus_text(const char *path, const char *text, size_t len)
{
    const unsigned char *u = (const unsigned char *)text;
    size_t line = 1;
    for (size_t i = 0; i < len;) {
        if (u[i] == '\n')
            line++;
        if (u[i] == 0)
            return bract_error(BRACT_EFORMAT, "%s: byte offset %zu (line %zu): a NUL byte: binary "
                               "data, not a text corpus", path, i, line);
        size_t n = 1;
        if (u[i] >= 0x80) {
            uint32_t cp;
            n = bract_utf8_decode(u + i, len - i, &cp);
            if (cp == 0xFFFFFFFFu)
                return bract_error(BRACT_EFORMAT, "%s: byte offset %zu (line %zu): 0x%02x is not "
                                   "UTF-8: a corpus must be UTF-8 text (convert with iconv)",
                                   path, i, line, u[i]);
        }
        i += n;
    }
    return BRACT_OK;
}

static int read_corpus(corpus *c, const char *const *paths, size_t npaths,
                       const bract_progress *prog)
{
    for (size_t f = 0; f < npaths; f++) {
        char *text;
        size_t len;
        int rc = bract_read_file(paths[f], &text, &len);
        if (rc)
            return rc;
        if ((rc = check_corpus_text(paths[f], text, len))) {
            free(text);
            return rc;
        }
        size_t off = 0;
        if (len >= 3 && (unsigned char)text[0] == 0xEF && (unsigned char)text[1] == 0xBB &&
            (unsigned char)text[2] == 0xBF)
            off = 3;
        if (c->o->doc_per_file) {
            rc = add_document(c, text + off, len - off);
        } else {
            for (size_t i = off; i < len && !rc;) {
                const char *nl = memchr(text + i, '\n', len - i);
                size_t e = nl ? (size_t)(nl - text) : len;
                if (!blank(text + i, e - i))
                    rc = add_document(c, text + i, e - i);
                i = e + 1;
            }
        }
        free(text);
        if (rc)
            return rc;
        bract_progress_report(prog, f + 1, npaths + 1);
    }
    return BRACT_OK;
}

/* ---- sparse matrices ---- */

typedef struct {
    size_t nrow, ncol, nnz;
    size_t *ptr;   /* nrow + 1 */
    uint32_t *idx; /* column of each entry, ascending within a row */
    double *val;
} csr;

static void csr_free(csr *a)
{
    free(a->ptr);
    free(a->idx);
    free(a->val);
}

static int csr_alloc(csr *a, size_t nrow, size_t ncol, size_t nnz)
{
    a->nrow = nrow;
    a->ncol = ncol;
    a->nnz = nnz;
    a->ptr = bract_xcalloc(nrow + 1, sizeof *a->ptr, "a sparse matrix");
    a->idx = bract_xmalloc(nnz ? nnz : 1, sizeof *a->idx, "a sparse matrix");
    a->val = bract_xmalloc(nnz ? nnz : 1, sizeof *a->val, "a sparse matrix");
    if (!a->ptr || !a->idx || !a->val) {
        csr_free(a);
        return BRACT_ENOMEM;
    }
    return BRACT_OK;
}

/* The transpose (columns ascending within each row, so deterministic). */
static int csr_transpose(const csr *a, csr *t)
{
    int rc = csr_alloc(t, a->ncol, a->nrow, a->nnz);
    if (rc)
        return rc;
    for (size_t k = 0; k < a->nnz; k++)
        t->ptr[a->idx[k] + 1]++;
    for (size_t r = 0; r < t->nrow; r++)
        t->ptr[r + 1] += t->ptr[r];
    size_t *fill = bract_xmalloc(t->nrow + 1, sizeof *fill, "a sparse matrix");
    if (!fill) {
        csr_free(t);
        return BRACT_ENOMEM;
    }
    memcpy(fill, t->ptr, (t->nrow + 1) * sizeof *fill);
    for (size_t r = 0; r < a->nrow; r++)
        for (size_t k = a->ptr[r]; k < a->ptr[r + 1]; k++) {
            size_t q = fill[a->idx[k]]++;
            t->idx[q] = (uint32_t)r;
            t->val[q] = a->val[k];
        }
    free(fill);
    return BRACT_OK;
}

/* y = A x for blocks of b vectors stored row by row: x is ncol x b and
 * y nrow x b, row-major, so that each nonzero adds one contiguous row. */
static void csr_mul(const csr *a, const double *x, size_t b, double *y)
{
#pragma omp parallel for schedule(static)
    for (size_t r = 0; r < a->nrow; r++) {
        double *restrict yr = y + r * b;
        for (size_t c = 0; c < b; c++)
            yr[c] = 0;
        for (size_t k = a->ptr[r]; k < a->ptr[r + 1]; k++) {
            const double v = a->val[k];
            const double *restrict xr = x + (size_t)a->idx[k] * b;
            /* element-wise (no reduction), so SIMD changes no bits */
#pragma omp simd
            for (size_t c = 0; c < b; c++)
                yr[c] += v * xr[c];
        }
    }
}

/* The lower triangle of G = A A' (nrow x nrow, column-major) from the
 * columns of A given as rows of At (each an entry list). */
static void gram_from_transpose(const csr *at, size_t n, double *g)
{
    memset(g, 0, n * n * sizeof *g);
    for (size_t r = 0; r < at->nrow; r++)
        for (size_t p = at->ptr[r]; p < at->ptr[r + 1]; p++) {
            size_t i = at->idx[p];
            double vi = at->val[p];
            for (size_t q = at->ptr[r]; q <= p; q++) /* idx ascending: idx[q] <= i */
                g[at->idx[q] * n + i] += vi * at->val[q];
        }
}

/* ---- the SVD ---- */

/* Orthonormalise the columns of y (m x b, row-major). */
static int orthonormalise(double *y, size_t m, size_t b, double *tau)
{
    if (LAPACKE_dgeqrf(LAPACK_ROW_MAJOR, (lapack_int)m, (lapack_int)b, y, (lapack_int)b, tau) ||
        LAPACKE_dorgqr(LAPACK_ROW_MAJOR, (lapack_int)m, (lapack_int)b, (lapack_int)b, y,
                       (lapack_int)b, tau))
        return bract_error(BRACT_ENUMERIC, "QR factorisation failed");
    return BRACT_OK;
}

/* Top k eigenpairs of the symmetric n x n g (lower, column-major):
 * values descending into w[k], vectors into z (n x k, column-major). */
static int top_eigen(double *g, size_t n, size_t k, double *w, double *z)
{
    lapack_int found;
    double *wa = bract_xmalloc(n, sizeof *wa, "eigenvalues");
    double *za = bract_xmalloc(n * k, sizeof *za, "eigenvectors");
    lapack_int *sup = bract_xmalloc(2 * k, sizeof *sup, "eigenvectors");
    if (!wa || !za || !sup) {
        free(wa);
        free(za);
        free(sup);
        return BRACT_ENOMEM;
    }
    lapack_int info = LAPACKE_dsyevr(LAPACK_COL_MAJOR, 'V', 'I', 'L', (lapack_int)n, g,
                                     (lapack_int)n, 0, 0, (lapack_int)(n - k + 1), (lapack_int)n,
                                     0.0, &found, wa, za, (lapack_int)n, sup);
    int rc = BRACT_OK;
    if (info != 0 || (size_t)found != k)
        rc = bract_error(BRACT_ENUMERIC, "the eigen-decomposition failed (LAPACK dsyevr info %d)",
                         (int)info);
    else
        for (size_t c = 0; c < k; c++) { /* ascending -> descending */
            w[c] = wa[k - 1 - c];
            memcpy(z + c * n, za + (k - 1 - c) * n, n * sizeof *z);
        }
    free(wa);
    free(za);
    free(sup);
    return rc;
}

/* Exact: U (m x k, row-major) and s[k] from the Gram matrix of the
 * smaller side. */
static int svd_exact(const csr *a, const csr *at, size_t k, double *u, double *s)
{
    size_t m = a->nrow, n = a->ncol;
    int terms_side = m <= n;
    size_t g_n = terms_side ? m : n;
    double *g = bract_xmalloc(g_n * g_n, sizeof *g, "a Gram matrix");
    double *z = bract_xmalloc(g_n * k, sizeof *z, "eigenvectors");
    double *zr = bract_xmalloc(g_n * k, sizeof *zr, "eigenvectors");
    double *w = bract_xmalloc(k, sizeof *w, "eigenvalues");
    int rc = BRACT_ENOMEM;
    if (!g || !z || !zr || !w)
        goto done;
    /* A A' from the documents (rows of A'), A'A from the terms (rows of A) */
    gram_from_transpose(terms_side ? at : a, g_n, g);
    if ((rc = top_eigen(g, g_n, k, w, z)))
        goto done;
    for (size_t c = 0; c < k; c++)
        s[c] = w[c] > 0 ? sqrt(w[c]) : 0;
    for (size_t i = 0; i < g_n; i++) /* eigenvectors row by row */
        for (size_t c = 0; c < k; c++)
            zr[i * k + c] = z[c * g_n + i];
    if (terms_side) {
        memcpy(u, zr, m * k * sizeof *u);
    } else { /* U = A V / s */
        csr_mul(a, zr, k, u);
        for (size_t i = 0; i < m; i++)
            for (size_t c = 0; c < k; c++)
                u[i * k + c] = s[c] > 0 ? u[i * k + c] / s[c] : 0;
    }
done:
    free(g);
    free(z);
    free(zr);
    free(w);
    return rc;
}

/* Iterative: block subspace iteration on A A' with Rayleigh-Ritz; U (m x k)
 * row-major.  Blocks are row-major (a row per term or document). */
static int svd_iterative(const csr *a, const csr *at, size_t k, uint64_t seed, double tol,
                         double *u, double *s, size_t *iters, double *resid,
                         const bract_progress *prog)
{
    const size_t m = a->nrow, n = a->ncol, maxit = 300;
    size_t b = k + (k > 10 ? k : 10);
    if (b > m)
        b = m;
    if (b > n)
        b = n;
    double *q = bract_xmalloc(m * b, sizeof *q, "an SVD block");
    double *y = bract_xmalloc(m * b, sizeof *y, "an SVD block");
    double *z = bract_xmalloc(n * b, sizeof *z, "an SVD block");
    double *cm = bract_xmalloc(b * b, sizeof *cm, "an SVD block");
    double *wv = bract_xmalloc(b * b, sizeof *wv, "an SVD block");
    double *lam = bract_xmalloc(b, sizeof *lam, "an SVD block");
    double *tau = bract_xmalloc(b, sizeof *tau, "an SVD block");
    double *r = bract_xmalloc(m * k, sizeof *r, "an SVD block");
    int rc = BRACT_ENOMEM;
    if (!q || !y || !z || !cm || !wv || !lam || !tau || !r)
        goto done;
    bract_rng g;
    bract_rng_init(&g, seed, 0, 0);
    for (size_t i = 0; i < n * b; i++)
        z[i] = bract_rng_normal(&g);
    csr_mul(a, z, b, q);
    if ((rc = orthonormalise(q, m, b, tau)))
        goto done;
    *resid = INFINITY;
    for (size_t it = 1; it <= maxit; it++) {
        csr_mul(at, q, b, z);                      /* Z = A'Q (n x b) */
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)b, (int)n, 1.0, z, (int)b, 0.0,
                    cm, (int)b);                   /* C = Z'Z = Q'AA'Q */
        if ((rc = top_eigen(cm, b, b, lam, wv)))   /* row-major upper = column-major lower */
            goto done;
        csr_mul(a, z, b, y);                       /* Y = A A'Q (m x b) */
        /* Ritz vectors U = Q W_k and residuals Y W_k - U diag(lam); W is
         * column-major, i.e. W_k' row-major with stride b */
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)k, (int)b, 1.0, q,
                    (int)b, wv, (int)b, 0.0, u, (int)k);
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)k, (int)b, 1.0, y,
                    (int)b, wv, (int)b, 0.0, r, (int)k);
        double worst = 0;
        for (size_t c = 0; c < k; c++) {
            double ss = 0;
            for (size_t i = 0; i < m; i++) {
                double e = r[i * k + c] - lam[c] * u[i * k + c];
                ss += e * e;
            }
            if (sqrt(ss) > worst)
                worst = sqrt(ss);
        }
        *resid = lam[0] > 0 ? worst / lam[0] : 0;
        *iters = it;
        bract_progress_report(prog, it, maxit);
        if (*resid < tol)
            break;
        memcpy(q, y, m * b * sizeof *q);
        if ((rc = orthonormalise(q, m, b, tau)))
            goto done;
    }
    if (*resid >= tol)
        bract_warn("the iterative SVD stopped after %zu iterations with a relative residual of "
                   "%.2g (the top %zu vectors are approximate; try --solver exact)",
                   maxit, *resid, k);
    for (size_t c = 0; c < k; c++)
        s[c] = lam[c] > 0 ? sqrt(lam[c]) : 0;
    rc = BRACT_OK;
done:
    free(q);
    free(y);
    free(z);
    free(cm);
    free(wv);
    free(lam);
    free(tau);
    free(r);
    return rc;
}

/* ---- the whole ---- */

void bract_lsa_free(bract_lsa *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->nterms; i++)
        free(l->term[i]);
    free(l->term);
    free(l->count);
    free(l->df);
    free(l->vec);
    free(l->sv);
    free(l);
}

typedef struct {
    size_t count, id;
} term_rank;

/* Most frequent first; ties by first appearance. */
static int cmp_rank(const void *a, const void *b)
{
    const term_rank *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

/* The state of one build. */
typedef struct {
    const bract_lsa_opts *o;
    corpus c;
    size_t ndocs, ntypes; /* documents, distinct terms read */
    size_t m;             /* terms of the vocabulary */
    size_t *order;        /* ntypes: vocabulary term i is term order[i] read */
    size_t *newid;        /* ntypes: vocabulary index of a term read, or -1 */
    size_t nempty;        /* documents without a vocabulary term */
    csr a, at;            /* A (terms x documents), A' */
    double *u;            /* m x dims: left singular vectors */
    bract_lsa *l;
} lsa_build;

static void build_free(lsa_build *b)
{
    if (b->l) {
        b->l->nterms = b->l->term ? b->l->nterms : 0;
        bract_lsa_free(b->l);
    }
    corpus_free(&b->c);
    csr_free(&b->a);
    csr_free(&b->at);
    free(b->order);
    free(b->newid);
    free(b->u);
}

/* The term map and the stop words (lowercased). */
static int corpus_start(corpus *c, const bract_lsa_opts *o)
{
    c->o = o;
    if (bract_strmap_init(&c->terms, 1024) || bract_strmap_init(&c->stop, o->nstop) ||
        sz_push(&c->docptr, 0))
        return BRACT_ENOMEM;
    for (size_t i = 0; i < o->nstop; i++) {
        const char *w;
        size_t len;
        if (lower_into(c, o->stop[i], strlen(o->stop[i]), &w, &len) ||
            bract_strmap_put(&c->stop, w, len, i, NULL))
            return BRACT_ENOMEM;
    }
    return BRACT_OK;
}

/* The vocabulary: the terms with min_count occurrences in min_docs
 * documents, most frequent first, at most max_vocab; order and newid. */
static int choose_vocabulary(lsa_build *b)
{
    const bract_lsa_opts *o = b->o;
    const corpus *c = &b->c;
    size_t ntypes = b->ntypes, ndocs = b->ndocs;
    size_t minc = o->min_count ? o->min_count : 1, mind = o->min_docs ? o->min_docs : 1;
    b->order = bract_xmalloc(ntypes ? ntypes : 1, sizeof *b->order, "the vocabulary");
    b->newid = bract_xmalloc(ntypes ? ntypes : 1, sizeof *b->newid, "the vocabulary");
    term_rank *rk = bract_xmalloc(ntypes ? ntypes : 1, sizeof *rk, "the vocabulary");
    if (!b->order || !b->newid || !rk) {
        free(rk);
        return BRACT_ENOMEM;
    }
    size_t m = 0;
    for (size_t t = 0; t < ntypes; t++)
        if (c->count.v[t] >= minc && c->df.v[t] >= mind) {
            rk[m].count = c->count.v[t];
            rk[m++].id = t;
        }
    qsort(rk, m, sizeof *rk, cmp_rank);
    for (size_t i = 0; i < m; i++)
        b->order[i] = rk[i].id;
    free(rk);
    if (o->max_vocab && m > o->max_vocab)
        m = o->max_vocab;
    if (m == 0)
        return bract_error(BRACT_EDATA,
                           "the vocabulary is empty: no term occurs %zu or more "
                           "times in %zu or more documents (%zu distinct terms, %zu tokens)",
                           minc, mind, ntypes, c->ntokens);
    size_t s_min = m < ndocs ? m : ndocs;
    if (o->dims > s_min)
        return bract_error(BRACT_EDATA,
                           "--dims %zu exceeds the %zu %s (the rank is at most "
                           "min(terms, documents) = %zu)",
                           o->dims, s_min, m <= ndocs ? "terms of the vocabulary" : "documents",
                           s_min);
    for (size_t t = 0; t < ntypes; t++)
        b->newid[t] = (size_t)-1;
    for (size_t i = 0; i < m; i++)
        b->newid[b->order[i]] = i;
    b->m = m;
    return BRACT_OK;
}

/* A' (documents x terms) of the vocabulary's counts, each document's
 * entries sorted by term. */
static int doc_term_matrix(lsa_build *b)
{
    const corpus *c = &b->c;
    csr *at = &b->at;
    const size_t *newid = b->newid;
    size_t nnz = 0;
    for (size_t e = 0; e < c->ent_term.n; e++)
        nnz += newid[c->ent_term.v[e]] != (size_t)-1;
    int rc = csr_alloc(at, b->ndocs, b->m, nnz);
    if (rc)
        return rc;
    size_t q = 0;
    for (size_t d = 0; d < b->ndocs; d++) {
        size_t start = q;
        for (size_t e = c->docptr.v[d]; e < c->docptr.v[d + 1]; e++) {
            size_t id = newid[c->ent_term.v[e]];
            if (id == (size_t)-1)
                continue;
            at->idx[q] = (uint32_t)id;
            at->val[q] = c->ent_tf.v[e];
            q++;
        }
        b->nempty += q == start;
        at->ptr[d + 1] = q;
        /* sort the document's entries by new term id (insertion: short lists) */
        for (size_t i = start + 1; i < q; i++) {
            uint32_t ti = at->idx[i];
            double vi = at->val[i];
            size_t j = i;
            while (j > start && at->idx[j - 1] > ti) {
                at->idx[j] = at->idx[j - 1];
                at->val[j] = at->val[j - 1];
                j--;
            }
            at->idx[j] = ti;
            at->val[j] = vi;
        }
    }
    return BRACT_OK;
}

/* Log-entropy weights of A' in place. */
static int weight_log_entropy(lsa_build *b)
{
    csr *at = &b->at;
    double *h = bract_xcalloc(b->m, sizeof *h, "term entropies");
    if (!h)
        return BRACT_ENOMEM;
    for (size_t k = 0; k < at->nnz; k++) {
        double p = at->val[k] / (double)b->c.count.v[b->order[at->idx[k]]];
        h[at->idx[k]] += p * log(p);
    }
    double ln_n = log((double)b->ndocs);
    for (size_t k = 0; k < at->nnz; k++)
        at->val[k] = log1p(at->val[k]) * (1 + h[at->idx[k]] / ln_n);
    free(h);
    return BRACT_OK;
}

/* The model without its vectors: counts and the terms' text. */
static int new_model(lsa_build *b)
{
    const corpus *c = &b->c;
    size_t m = b->m, k = b->o->dims;
    bract_lsa *l = b->l = bract_xcalloc(1, sizeof *l, "an LSA model");
    b->u = bract_xmalloc(m * k, sizeof *b->u, "term vectors");
    if (!l || !b->u)
        return BRACT_ENOMEM;
    l->sv = bract_xmalloc(k, sizeof *l->sv, "singular values");
    l->vec = bract_xmalloc(m * k, sizeof *l->vec, "term vectors");
    l->term = bract_xcalloc(m, sizeof *l->term, "the vocabulary");
    l->count = bract_xmalloc(m, sizeof *l->count, "the vocabulary");
    l->df = bract_xmalloc(m, sizeof *l->df, "the vocabulary");
    if (!l->sv || !l->vec || !l->term || !l->count || !l->df)
        return BRACT_ENOMEM;
    l->nterms = m;
    l->ndocs = b->ndocs;
    l->dims = k;
    l->ntokens = c->ntokens;
    l->nstopped = c->nstopped;
    l->nshort = c->nshort;
    l->ntypes = b->ntypes;
    l->nempty = b->nempty;
    for (size_t i = 0; i < m; i++) {
        l->count[i] = c->count.v[b->order[i]];
        l->df[i] = c->df.v[b->order[i]];
    }
    /* the terms' text, from the hash map's keys */
    for (size_t slot = 0; slot < c->terms.cap; slot++)
        if (c->terms.key[slot]) {
            size_t id = b->newid[c->terms.val[slot]];
            if (id != (size_t)-1 && !(l->term[id] = bract_xstrdup(c->terms.key[slot])))
                return BRACT_ENOMEM;
        }
    return BRACT_OK;
}

/* The truncated SVD, then the vectors: signs making the largest-magnitude
 * coordinate of each dimension positive, scaled by the singular values. */
static int solve(lsa_build *b, const bract_progress *prog)
{
    const bract_lsa_opts *o = b->o;
    bract_lsa *l = b->l;
    size_t m = b->m, k = o->dims, s_min = m < b->ndocs ? m : b->ndocs;
    double *u = b->u;
    l->solver = o->solver != BRACT_LSA_AUTO ? o->solver
                : s_min <= 2000            ? BRACT_LSA_EXACT
                                           : BRACT_LSA_ITERATIVE;
    int rc;
    if (l->solver == BRACT_LSA_EXACT)
        rc = svd_exact(&b->a, &b->at, k, u, l->sv);
    else
        rc = svd_iterative(&b->a, &b->at, k, o->seed, o->tolerance > 0 ? o->tolerance : 1e-10, u,
                           l->sv, &l->iterations, &l->residual, prog);
    if (rc)
        return rc;
    size_t nzero = 0;
    for (size_t d = 0; d < k; d++) {
        size_t best = 0;
        for (size_t i = 1; i < m; i++)
            if (fabs(u[i * k + d]) > fabs(u[best * k + d]))
                best = i;
        double sign = u[best * k + d] < 0 ? -1 : 1;
        int zero = !(l->sv[d] > 1e-12 * l->sv[0]);
        nzero += zero;
        for (size_t i = 0; i < m; i++)
            l->vec[i * k + d] = zero ? 0 : sign * u[i * k + d] * (o->unscaled ? 1 : l->sv[d]);
    }
    if (nzero)
        bract_warn("%zu of the %zu dimensions have a zero singular value (the weighted matrix "
                   "has rank %zu); their coordinates are 0", nzero, k, k - nzero);
    return BRACT_OK;
}

int bract_lsa_build(const char *const *paths, size_t npaths, const bract_lsa_opts *o,
                    const bract_progress *prog, bract_lsa **out)
{
    *out = NULL;
    if (o->dims < 1)
        return bract_error(BRACT_EINVAL, "LSA needs at least 1 dimension");
    if (npaths == 0)
        return bract_error(BRACT_EINVAL, "no corpus files");
    lsa_build b;
    memset(&b, 0, sizeof b);
    b.o = o;
    int rc = corpus_start(&b.c, o);
    if (!rc)
        rc = read_corpus(&b.c, paths, npaths, prog);
    b.ndocs = rc ? 0 : b.c.docptr.n - 1;
    b.ntypes = b.c.count.n;
    if (!rc && b.ndocs < 2)
        rc = bract_error(BRACT_EDATA, "the corpus has %zu document%s; LSA needs at least 2%s",
                         b.ndocs, b.ndocs == 1 ? "" : "s",
                         o->doc_per_file ? " (one per file)" : " (one per non-blank line)");
    if (!rc && !(rc = choose_vocabulary(&b)) && !(rc = doc_term_matrix(&b)) &&
        o->weighting == BRACT_LSA_LOG_ENTROPY)
        rc = weight_log_entropy(&b);
    if (!rc && !(rc = csr_transpose(&b.at, &b.a)) && !(rc = new_model(&b)))
        rc = solve(&b, prog);
    if (!rc) {
        bract_progress_report(prog, 1, 1);
        *out = b.l;
        b.l = NULL;
    }
    build_free(&b);
    return rc;
}

int bract_lsa_write(const bract_lsa *l, const char *path, int force)
{
    char **names = bract_xcalloc(l->dims + 1, sizeof *names, "column names");
    if (!names)
        return BRACT_ENOMEM;
    int rc = BRACT_ENOMEM;
    if (!(names[0] = bract_xstrdup("word")))
        goto done;
    for (size_t d = 0; d < l->dims; d++) {
        char buf[32];
        snprintf(buf, sizeof buf, "d%zu", d);
        if (!(names[d + 1] = bract_xstrdup(buf)))
            goto done;
    }
    bract_tsv_writer *w;
    if ((rc = bract_tsv_open(path, force, l->dims + 1, (const char *const *)names, &w)))
        goto done;
    for (size_t i = 0; i < l->nterms; i++) {
        bract_tsv_str(w, l->term[i]);
        for (size_t d = 0; d < l->dims; d++)
            bract_tsv_double(w, l->vec[i * l->dims + d]);
        bract_tsv_end_row(w);
    }
    rc = bract_tsv_commit(w);
done:
    for (size_t d = 0; d <= l->dims; d++)
        free(names[d]);
    free(names);
    return rc;
}
