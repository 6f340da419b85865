/* Multilayer and layer-wise modularity maximisation, flexibility
 * (see bract/community.h). */
#include "base/internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Random streams of community detection: substream tag in the high bits. */
#define COMMUNITY_SUBSTREAM 0x43000000u
/* Passes of local moving per level, and levels, at most. */
#define MAX_PASSES 1000
#define MAX_LEVELS 100

void bract_community_modularity_opts_defaults(bract_community_modularity_opts *p)
{
    p->gamma = 1;
    p->omega = 1;
    p->seed = 1;
    p->run = 0;
}

static double pos(float a) { return a > 0 ? (double)a : 0.0; }

/* Level 0: the layers themselves, B given implicitly. */
typedef struct {
    const float *A;  /* nlayers x npairs */
    size_t n, T, npairs;
    double gamma, omega;
    double *k;       /* T x n strengths */
    double *inv2m;   /* T: 1 / (2 m_l), 0 for an empty layer */
    size_t *off;     /* n: condensed index of pair (i, i+1) */
} layered;

/* Higher levels: B explicit, symmetric, rows without the diagonal. */
typedef struct {
    size_t nn;
    size_t *start;   /* nn + 1 */
    size_t *col;
    double *val;
    double *diag;
} sgraph;

static void sgraph_free(sgraph *g)
{
    if (!g)
        return;
    free(g->start);
    free(g->col);
    free(g->val);
    free(g->diag);
    free(g);
}

typedef struct {
    double *acc;     /* per community */
    size_t *touched; /* communities with acc != 0 touched, in first-touch order */
    size_t ntouched;
    unsigned char *seen;
} accum;

static inline void acc_add(accum *a, size_t c, double v)
{
    if (!a->seen[c]) {
        a->seen[c] = 1;
        a->touched[a->ntouched++] = c;
    }
    a->acc[c] += v;
}

static void acc_reset(accum *a)
{
    for (size_t t = 0; t < a->ntouched; t++) {
        a->acc[a->touched[t]] = 0;
        a->seen[a->touched[t]] = 0;
    }
    a->ntouched = 0;
}

/* Row u of B (without the diagonal) into acc by community; returns the sum
 * of absolute entries (the scale of the row's rounding errors). */
static double row_layered(const layered *L, size_t u, const size_t *comm, accum *a)
{
    size_t n = L->n, l = u / n, i = u % n;
    const float *A = L->A + l * L->npairs;
    const double *k = L->k + l * n;
    double gk = L->gamma * k[i] * L->inv2m[l], scale = 0;
    const size_t *cl = comm + l * n;
    for (size_t j = 0; j < i; j++) {
        double b = pos(A[L->off[j] + (i - j - 1)]) - gk * k[j];
        acc_add(a, cl[j], b);
        scale += fabs(b);
    }
    for (size_t j = i + 1; j < n; j++) {
        double b = pos(A[L->off[i] + (j - i - 1)]) - gk * k[j];
        acc_add(a, cl[j], b);
        scale += fabs(b);
    }
    if (l > 0) {
        acc_add(a, comm[u - n], L->omega);
        scale += L->omega;
    }
    if (l + 1 < L->T) {
        acc_add(a, comm[u + n], L->omega);
        scale += L->omega;
    }
    return scale;
}

static double diag_layered(const layered *L, size_t u)
{
    size_t n = L->n, l = u / n, i = u % n;
    double ki = L->k[l * n + i];
    return -L->gamma * ki * ki * L->inv2m[l];
}

static double row_sgraph(const sgraph *g, size_t u, const size_t *comm, accum *a)
{
    double scale = 0;
    for (size_t e = g->start[u]; e < g->start[u + 1]; e++) {
        acc_add(a, comm[g->col[e]], g->val[e]);
        scale += fabs(g->val[e]);
    }
    return scale;
}

typedef struct {
    const layered *L; /* level 0, or NULL */
    const sgraph *G;  /* higher levels */
    size_t nn;
} level;

static double row_of(const level *lv, size_t u, const size_t *comm, accum *a)
{
    return lv->L ? row_layered(lv->L, u, comm, a) : row_sgraph(lv->G, u, comm, a);
}

/* Louvain local moving on one level.  comm starts as singletons, or as
 * `init` (numbers below nn); returns the number of moves (0: the level is
 * optimal as it is). */
static size_t local_moving(const level *lv, size_t *comm, size_t *size, size_t *freelist,
                           size_t *order, accum *a, bract_rng *rng, const size_t *init)
{
    size_t nn = lv->nn, nfree = 0, total = 0;
    for (size_t u = 0; u < nn; u++) {
        comm[u] = init ? init[u] : u;
        size[u] = init ? 0 : 1;
    }
    if (init) {
        for (size_t u = 0; u < nn; u++)
            size[comm[u]]++;
        for (size_t c = nn; c-- > 0;)
            if (size[c] == 0)
                freelist[nfree++] = c;
    }
    for (int pass = 0; pass < MAX_PASSES; pass++) {
        bract_rng_permutation(rng, order, nn);
        size_t moves = 0;
        for (size_t t = 0; t < nn; t++) {
            size_t u = order[t], c = comm[u];
            double scale = row_of(lv, u, comm, a);
            double tol = 1e-12 * scale;
            double stay = a->seen[c] ? a->acc[c] : 0.0, bestg = stay;
            size_t best = c;
            for (size_t q = 0; q < a->ntouched; q++) {
                size_t d = a->touched[q];
                if (d != c && a->acc[d] > bestg + tol) {
                    bestg = a->acc[d];
                    best = d;
                }
            }
            acc_reset(a);
            /* alone in a new community: gain 0 */
            if (size[c] > 1 && bestg < -tol && nfree > 0) {
                best = freelist[--nfree];
                bestg = 0;
            }
            if (best == c)
                continue;
            size[c]--;
            if (size[c] == 0)
                freelist[nfree++] = c;
            size[best]++;
            comm[u] = best;
            moves++;
        }
        total += moves;
        if (moves == 0)
            break;
    }
    return total;
}

/* Renumber comm[0..nn-1] to 0..nc-1 in order of first appearance. */
static size_t renumber(size_t *comm, size_t nn, size_t *map)
{
    for (size_t u = 0; u < nn; u++)
        map[u] = SIZE_MAX;
    size_t nc = 0;
    for (size_t u = 0; u < nn; u++) {
        if (map[comm[u]] == SIZE_MAX)
            map[comm[u]] = nc++;
        comm[u] = map[comm[u]];
    }
    return nc;
}

/* The graph of communities: B summed over members. */
static sgraph *aggregate(const level *lv, const size_t *comm, size_t nc, accum *a)
{
    size_t nn = lv->nn;
    sgraph *g = bract_xcalloc(1, sizeof *g, "a community graph");
    size_t *cstart = bract_xcalloc(nc + 1, sizeof *cstart, "community members");
    size_t *members = bract_xmalloc(nn, sizeof *members, "community members");
    if (!g || !cstart || !members)
        goto fail;
    g->nn = nc;
    g->start = bract_xcalloc(nc + 1, sizeof *g->start, "a community graph");
    g->diag = bract_xcalloc(nc, sizeof *g->diag, "a community graph");
    if (!g->start || !g->diag)
        goto fail;
    for (size_t u = 0; u < nn; u++)
        cstart[comm[u] + 1]++;
    for (size_t c = 0; c < nc; c++)
        cstart[c + 1] += cstart[c];
    {
        size_t *fill = bract_xmalloc(nc, sizeof *fill, "community members");
        if (!fill)
            goto fail;
        memcpy(fill, cstart, nc * sizeof *fill);
        for (size_t u = 0; u < nn; u++)
            members[fill[comm[u]]++] = u;
        free(fill);
    }
    size_t cap = 0, ne = 0;
    for (size_t c = 0; c < nc; c++) {
        double d = 0;
        for (size_t m = cstart[c]; m < cstart[c + 1]; m++) {
            size_t u = members[m];
            row_of(lv, u, comm, a);
            d += lv->L ? diag_layered(lv->L, u) : lv->G->diag[u];
        }
        /* the row: entries to other communities; within-community entries
         * go to the diagonal */
        if (ne + a->ntouched > cap) {
            size_t ncap = cap ? 2 * cap : 1024;
            while (ncap < ne + a->ntouched)
                ncap *= 2;
            size_t *col = bract_xrealloc(g->col, ncap, sizeof *col, "a community graph");
            if (!col) {
                acc_reset(a);
                goto fail;
            }
            g->col = col;
            double *val = bract_xrealloc(g->val, ncap, sizeof *val, "a community graph");
            if (!val) {
                acc_reset(a);
                goto fail;
            }
            g->val = val;
            cap = ncap;
        }
        for (size_t q = 0; q < a->ntouched; q++) {
            size_t d2 = a->touched[q];
            if (d2 == c) {
                d += a->acc[d2];
            } else {
                g->col[ne] = d2;
                g->val[ne] = a->acc[d2];
                ne++;
            }
        }
        acc_reset(a);
        g->diag[c] = d;
        g->start[c + 1] = ne;
    }
    free(cstart);
    free(members);
    return g;
fail:
    free(cstart);
    free(members);
    sgraph_free(g);
    return NULL;
}

/* Louvain on a layered level-0 graph; labels (per level-0 node, 0-based).
 * With `init` (0-based numbers below n T), level 0 starts from that
 * partition instead of singletons (GenLouvain's iterated mode). */
static int louvain(const layered *L, bract_rng *rng, size_t *labels, const size_t *init)
{
    size_t NT = L->n * L->T;
    size_t *comm = bract_xmalloc(NT, sizeof *comm, "communities");
    size_t *size = bract_xmalloc(NT, sizeof *size, "communities");
    size_t *freel = bract_xmalloc(NT, sizeof *freel, "communities");
    size_t *order = bract_xmalloc(NT, sizeof *order, "communities");
    size_t *map = bract_xmalloc(NT, sizeof *map, "communities");
    accum a = {bract_xcalloc(NT, sizeof(double), "communities"),
               bract_xmalloc(NT, sizeof(size_t), "communities"), 0,
               bract_xcalloc(NT, 1, "communities")};
    int rc = BRACT_OK;
    sgraph *G = NULL;
    if (!comm || !size || !freel || !order || !map || !a.acc || !a.touched || !a.seen) {
        rc = BRACT_ENOMEM;
        goto done;
    }
    for (size_t u = 0; u < NT; u++)
        labels[u] = u;
    level lv = {L, NULL, NT};
    for (int depth = 0; depth < MAX_LEVELS; depth++) {
        size_t moves = local_moving(&lv, comm, size, freel, order, &a, rng,
                                    depth == 0 ? init : NULL);
        size_t nc = renumber(comm, lv.nn, map);
        for (size_t u = 0; u < NT; u++)
            labels[u] = comm[labels[u]];
        if ((moves == 0 && (depth > 0 || !init)) || nc == lv.nn)
            break;
        sgraph *next = aggregate(&lv, comm, nc, &a);
        if (!next) {
            rc = BRACT_ENOMEM;
            goto done;
        }
        sgraph_free(G);
        G = next;
        lv.L = NULL;
        lv.G = G;
        lv.nn = nc;
    }
done:
    sgraph_free(G);
    free(comm);
    free(size);
    free(freel);
    free(order);
    free(map);
    free(a.acc);
    free(a.touched);
    free(a.seen);
    return rc;
}

/* GenLouvain's iterated mode: Louvain again from its own result until the
 * partition stops changing (a node moved early can then be moved back at
 * level 0, which plain Louvain never revisits). */
static int iterated_louvain(const layered *L, bract_rng *rng, size_t *labels)
{
    size_t NT = L->n * L->T;
    size_t *prev = bract_xmalloc(NT, sizeof *prev, "communities");
    if (!prev)
        return BRACT_ENOMEM;
    int rc = louvain(L, rng, labels, NULL);
    for (int it = 0; !rc && it < 50; it++) {
        memcpy(prev, labels, NT * sizeof *prev);
        if ((rc = louvain(L, rng, labels, prev)))
            break;
        if (memcmp(prev, labels, NT * sizeof *prev) == 0)
            break;
    }
    free(prev);
    return rc;
}

static int layered_init(layered *L, const float *layers, size_t n, size_t T, double gamma,
                        double omega)
{
    memset(L, 0, sizeof *L);
    if (n < 2)
        return bract_error(BRACT_EDATA, "communities need at least 2 regions (got %zu)", n);
    if (T < 1)
        return bract_error(BRACT_EDATA, "communities need at least 1 window");
    if (!(gamma >= 0) || !(omega >= 0) || !isfinite(gamma) || !isfinite(omega))
        return bract_error(BRACT_EINVAL, "gamma and omega must be non-negative numbers");
    L->A = layers;
    L->n = n;
    L->T = T;
    L->npairs = n * (n - 1) / 2;
    L->gamma = gamma;
    L->omega = omega;
    for (size_t i = 0; i < T * L->npairs; i++)
        if (!isfinite(layers[i]))
            return bract_error(BRACT_EDATA, "window %zu, pair %zu: weight is not finite",
                               i / L->npairs + 1, i % L->npairs + 1);
    L->k = bract_xcalloc(T * n, sizeof *L->k, "strengths");
    L->inv2m = bract_xmalloc(T, sizeof *L->inv2m, "strengths");
    L->off = bract_xmalloc(n, sizeof *L->off, "pair offsets");
    if (!L->k || !L->inv2m || !L->off) {
        free(L->k);
        free(L->inv2m);
        free(L->off);
        return BRACT_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        L->off[i] = i + 1 < n ? bract_pair_index(n, i, i + 1) : 0;
    for (size_t l = 0; l < T; l++) {
        const float *A = layers + l * L->npairs;
        double *k = L->k + l * n, twom = 0;
        for (size_t i = 0; i < n; i++)
            for (size_t j = i + 1; j < n; j++) {
                double w = pos(A[L->off[i] + (j - i - 1)]);
                k[i] += w;
                k[j] += w;
            }
        for (size_t i = 0; i < n; i++)
            twom += k[i];
        L->inv2m[l] = twom > 0 ? 1.0 / twom : 0.0;
    }
    return BRACT_OK;
}

static void layered_free(layered *L)
{
    free(L->k);
    free(L->inv2m);
    free(L->off);
}

/* 1-based labels numbered by first appearance. */
static void first_appearance(size_t *labels, size_t nn)
{
    size_t mx = 0;
    for (size_t u = 0; u < nn; u++)
        if (labels[u] > mx)
            mx = labels[u];
    size_t *map = malloc((mx + 1) * sizeof *map);
    if (!map)
        return; /* keep the numbering; still a valid labelling */
    for (size_t c = 0; c <= mx; c++)
        map[c] = 0;
    size_t next = 0;
    for (size_t u = 0; u < nn; u++) {
        if (!map[labels[u]])
            map[labels[u]] = ++next;
        labels[u] = map[labels[u]];
    }
    free(map);
}

int bract_community_multilayer(const float *layers, size_t n, size_t nlayers,
                                 const bract_community_modularity_opts *p, size_t *labels, double *Q)
{
    layered L;
    int rc = layered_init(&L, layers, n, nlayers, p->gamma, p->omega);
    if (rc)
        return rc;
    bract_rng rng;
    bract_rng_init(&rng, p->seed, p->run, COMMUNITY_SUBSTREAM);
    rc = iterated_louvain(&L, &rng, labels);
    layered_free(&L);
    if (rc)
        return rc;
    first_appearance(labels, n * nlayers);
    if (Q)
        *Q = bract_community_modularity(layers, n, nlayers, p->gamma, p->omega, labels);
    return BRACT_OK;
}

int bract_community_layerwise(const float *layers, size_t n, size_t nlayers,
                                const bract_community_modularity_opts *p, size_t *labels, double *q)
{
    if (nlayers < 1)
        return bract_error(BRACT_EDATA, "communities need at least 1 window");
    size_t npairs = n * (n - 1) / 2;
    int rc = BRACT_OK;
    /* layer by layer: each its own stream */
    for (size_t l = 0; l < nlayers && !rc; l++) {
        layered L;
        if ((rc = layered_init(&L, layers + l * npairs, n, 1, p->gamma, 0)))
            break;
        bract_rng rng;
        bract_rng_init(&rng, p->seed, p->run, COMMUNITY_SUBSTREAM | 0x10000u | (uint32_t)l);
        rc = iterated_louvain(&L, &rng, labels + l * n);
        layered_free(&L);
        if (!rc && q) {
            for (size_t i = 0; i < n; i++)
                labels[l * n + i]++;
            q[l] = bract_community_modularity(layers + l * npairs, n, 1, p->gamma, 0,
                                               labels + l * n);
            for (size_t i = 0; i < n; i++)
                labels[l * n + i]--;
        }
    }
    if (rc)
        return rc;
    /* carry numbers from layer to layer by greatest overlap */
    size_t *ov = bract_xcalloc(n * n, sizeof *ov, "overlaps");
    size_t *assigned = bract_xmalloc(n, sizeof *assigned, "overlaps");
    unsigned char *used = bract_xmalloc(n + 1, 1, "overlaps");
    size_t *prevmap = bract_xmalloc(n, sizeof *prevmap, "overlaps");
    if (!ov || !assigned || !used || !prevmap) {
        free(ov);
        free(assigned);
        free(used);
        free(prevmap);
        return BRACT_ENOMEM;
    }
    size_t next = 0; /* labels so far: 1..next */
    /* layer 0: its own numbers 1..c */
    for (size_t i = 0; i < n; i++)
        if (labels[i] + 1 > next)
            next = labels[i] + 1;
    for (size_t i = 0; i < n; i++)
        labels[i] += 1;
    for (size_t l = 1; l < nlayers; l++) {
        size_t *cur = labels + l * n, *prev = labels + (l - 1) * n;
        /* previous labels, compacted to 0..np-1 */
        size_t np = 0;
        size_t *pl = bract_xmalloc(next + 1, sizeof *pl, "overlaps");
        if (!pl) {
            rc = BRACT_ENOMEM;
            break;
        }
        for (size_t c = 0; c <= next; c++)
            pl[c] = SIZE_MAX;
        for (size_t i = 0; i < n; i++)
            if (pl[prev[i]] == SIZE_MAX) {
                pl[prev[i]] = np;
                prevmap[np++] = prev[i];
            }
        size_t nc = 0;
        for (size_t i = 0; i < n; i++)
            if (cur[i] + 1 > nc)
                nc = cur[i] + 1;
        memset(ov, 0, n * n * sizeof *ov);
        for (size_t i = 0; i < n; i++)
            ov[cur[i] * n + pl[prev[i]]]++;
        free(pl);
        for (size_t c = 0; c < nc; c++)
            assigned[c] = SIZE_MAX;
        memset(used, 0, np);
        for (;;) { /* largest overlap first; ties to lower (current, previous) */
            size_t bc = 0, bp = 0, bo = 0;
            for (size_t c = 0; c < nc; c++) {
                if (assigned[c] != SIZE_MAX)
                    continue;
                for (size_t pp = 0; pp < np; pp++)
                    if (!used[pp] && ov[c * n + pp] > bo) {
                        bo = ov[c * n + pp];
                        bc = c;
                        bp = pp;
                    }
            }
            if (bo == 0)
                break;
            assigned[bc] = prevmap[bp];
            used[bp] = 1;
        }
        for (size_t c = 0; c < nc; c++)
            if (assigned[c] == SIZE_MAX)
                assigned[c] = ++next;
        for (size_t i = 0; i < n; i++)
            cur[i] = assigned[cur[i]];
    }
    free(ov);
    free(assigned);
    free(used);
    free(prevmap);
    if (rc)
        return rc;
    first_appearance(labels, n * nlayers);
    return BRACT_OK;
}

double bract_community_modularity(const float *layers, size_t n, size_t nlayers, double gamma,
                                   double omega, const size_t *labels)
{
    size_t npairs = n * (n - 1) / 2, mx = 0;
    for (size_t u = 0; u < n * nlayers; u++)
        if (labels[u] > mx)
            mx = labels[u];
    double *K = calloc(mx + 1, sizeof *K), *k = malloc(n * sizeof *k);
    if (!K || !k) {
        free(K);
        free(k);
        return NAN;
    }
    double twomu = 0, sum = 0;
    for (size_t l = 0; l < nlayers; l++) {
        const float *A = layers + l * npairs;
        const size_t *g = labels + l * n;
        double twom = 0, within = 0;
        for (size_t i = 0; i < n; i++)
            k[i] = 0;
        for (size_t i = 0, e = 0; i < n; i++)
            for (size_t j = i + 1; j < n; j++, e++) {
                double w = pos(A[e]);
                k[i] += w;
                k[j] += w;
                if (g[i] == g[j])
                    within += 2 * w;
            }
        for (size_t i = 0; i < n; i++) {
            twom += k[i];
            K[g[i]] += k[i];
        }
        double null = 0;
        for (size_t i = 0; i < n; i++)
            if (K[g[i]] != 0) {
                null += K[g[i]] * K[g[i]];
                K[g[i]] = 0; /* each community once */
            }
        twomu += twom;
        sum += within - (twom > 0 ? gamma * null / twom : 0);
        if (l + 1 < nlayers)
            for (size_t i = 0; i < n; i++)
                if (labels[l * n + i] == labels[(l + 1) * n + i])
                    sum += 2 * omega;
    }
    twomu += 2.0 * (double)n * (double)(nlayers - 1) * omega;
    free(K);
    free(k);
    return twomu > 0 ? sum / twomu : NAN;
}

int bract_community_flexibility(const size_t *labels, size_t n, size_t nlayers, double *flex)
{
    if (nlayers < 2)
        return bract_error(BRACT_EINVAL, "flexibility needs at least 2 windows (got %zu)",
                           nlayers);
    for (size_t i = 0; i < n; i++) {
        size_t ch = 0;
        for (size_t l = 1; l < nlayers; l++)
            ch += labels[l * n + i] != labels[(l - 1) * n + i];
        flex[i] = (double)ch / (double)(nlayers - 1);
    }
    return BRACT_OK;
}

/* ---- several optimisations ---- */

static const char *const method_names[] = {"multilayer", "layerwise"};

const char *bract_community_method_name(bract_community_method m)
{
    return (int)m >= 0 && m <= BRACT_COMMUNITY_LAYERWISE ? method_names[m] : "unknown";
}

int bract_community_method_parse(const char *s, bract_community_method *out)
{
    int i;
    int rc = bract_name_lookup(s, method_names, BRACT_COMMUNITY_LAYERWISE + 1,
                               "community method", &i);
    if (rc == BRACT_OK)
        *out = (bract_community_method)i;
    return rc;
}

void bract_community_opts_defaults(bract_community_opts *o)
{
    memset(o, 0, sizeof *o);
    o->method = BRACT_COMMUNITY_MULTILAYER;
    o->gamma = 1;
    o->omega = 1;
    o->runs = 10;
    o->seed = 1;
}

void bract_community_result_free(bract_community_result *r)
{
    if (!r)
        return;
    free(r->flexibility);
    free(r->labels);
    free(r);
}

/* The scratch of the runs: one block per run. */
typedef struct {
    size_t *labels; /* runs x nlayers x n */
    double *flex;   /* runs x n */
    double *Q;      /* runs */
    double *qlayer; /* runs x nlayers (layerwise) */
    int *status;    /* runs */
    char (*msg)[512];
} runs_scratch;

static void runs_scratch_free(runs_scratch *w)
{
    free(w->labels);
    free(w->flex);
    free(w->Q);
    free(w->qlayer);
    free(w->status);
    free(w->msg);
}

/* Optimisation i into the scratch; its status and message stay there. */
static void one_run(const float *layers, size_t n, size_t nl, const bract_community_opts *o,
                    size_t i, runs_scratch *w)
{
    bract_community_modularity_opts mp = {o->gamma, o->omega, o->seed, o->first_run + (uint64_t)i};
    size_t *lab = w->labels + i * nl * n;
    int st;
    if (o->method == BRACT_COMMUNITY_MULTILAYER) {
        st = bract_community_multilayer(layers, n, nl, &mp, lab, &w->Q[i]);
    } else {
        st = bract_community_layerwise(layers, n, nl, &mp, lab, w->qlayer + i * nl);
        double qs = 0;
        for (size_t l = 0; l < nl && !st; l++)
            qs += w->qlayer[i * nl + l];
        w->Q[i] = qs / (double)nl;
    }
    if (!st)
        st = bract_community_flexibility(lab, n, nl, w->flex + i * n);
    if (st)
        snprintf(w->msg[i], sizeof w->msg[i], "%s", bract_last_error());
    w->status[i] = st;
}

int bract_community_runs(const float *layers, size_t n, size_t nlayers,
                         const bract_community_opts *o, bract_community_result **out)
{
    *out = NULL;
    size_t nruns = o->runs, nl = nlayers;
    if (nruns == 0)
        return bract_error(BRACT_EINVAL, "communities: no optimisation run asked for");
    if ((int)o->method < 0 || o->method > BRACT_COMMUNITY_LAYERWISE)
        return bract_error(BRACT_EINVAL, "unknown community method %d", (int)o->method);
    runs_scratch w = {0};
    w.labels = bract_xmalloc(nruns * nl * n, sizeof *w.labels, "community labels");
    w.flex = bract_xmalloc(nruns * n, sizeof *w.flex, "flexibility");
    w.Q = bract_xmalloc(nruns, sizeof *w.Q, "modularity");
    w.qlayer = o->method == BRACT_COMMUNITY_LAYERWISE
                   ? bract_xmalloc(nruns * nl, sizeof *w.qlayer, "layer modularity")
                   : NULL;
    w.status = bract_xcalloc(nruns, sizeof *w.status, "run status");
    w.msg = bract_xcalloc(nruns, sizeof *w.msg, "run messages");
    bract_community_result *r = bract_xcalloc(1, sizeof *r, "communities");
    if (r) {
        r->flexibility = bract_xcalloc(n, sizeof *r->flexibility, "flexibility");
        r->labels = bract_xmalloc(nl * n, sizeof *r->labels, "community labels");
    }
    if (!w.labels || !w.flex || !w.Q || (o->method == BRACT_COMMUNITY_LAYERWISE && !w.qlayer) ||
        !w.status || !w.msg || !r || !r->flexibility || !r->labels) {
        runs_scratch_free(&w);
        bract_community_result_free(r);
        return BRACT_ENOMEM;
    }
#pragma omp parallel for schedule(dynamic, 1)
    for (size_t i = 0; i < nruns; i++)
        one_run(layers, n, nl, o, i, &w);
    for (size_t i = 0; i < nruns; i++)
        if (w.status[i]) {
            int rc = bract_error(w.status[i], "%s", w.msg[i]);
            runs_scratch_free(&w);
            bract_community_result_free(r);
            return rc;
        }
    r->n = n;
    r->nlayers = nl;
    r->runs = nruns;
    double qsum = 0;
    for (size_t i = 0; i < nruns; i++) { /* fixed order: the same sums for any threads */
        qsum += w.Q[i];
        if (w.Q[i] > w.Q[r->best])
            r->best = i;
        for (size_t j = 0; j < n; j++)
            r->flexibility[j] += w.flex[i * n + j];
    }
    for (size_t j = 0; j < n; j++)
        r->flexibility[j] /= (double)nruns;
    r->modularity = qsum / (double)nruns;
    memcpy(r->labels, w.labels + r->best * nl * n, nl * n * sizeof *r->labels);
    runs_scratch_free(&w);
    *out = r;
    return BRACT_OK;
}
