/* bract/community.h: communities of regions across windows, and flexibility.
 *
 * Input: `nlayers` layers (windows) of the same n nodes (regions), each a
 * condensed vector of n(n-1)/2 weights (windows.npy rows); only positive
 * weights count (negative ones are set to 0, as Braun 2015 and Pedersen 2018
 * did).  In layer l, k_il = sum_j A_ijl and 2 m_l = sum_i k_il.
 *
 * Multilayer modularity (Mucha et al. 2010; GenLouvain's multiord with
 * ordinal coupling): node i in layer l is coupled to itself in layers l-1
 * and l+1 with weight omega, and
 *   Q = 1/(2 mu) sum_{ijlr} [(A_ijl - gamma k_il k_jl / (2 m_l)) delta_lr
 *                            + omega delta_ij C_lr] delta(g_il, g_jr),
 *   2 mu = sum_l 2 m_l + 2 n (nlayers - 1) omega.
 * (GenLouvain's multiord.m normalises with 2 n nlayers omega and returns Q
 * without the 1/(2 mu); bract uses the definition above.)  A layer with no
 * positive weight has no null-model term.
 *
 * Optimisation: a Louvain method on the modularity matrix B (Blondel et al.
 * 2008, generalised as GenLouvain does): nodes visited in a random order
 * (seeded), each moved to the community (or a new one) that raises Q most,
 * until no move helps; communities then become nodes and the procedure
 * repeats.  Layer-wise mode optimises each layer alone (ordinary modularity)
 * and then carries community numbers from layer to layer by greatest overlap
 * (largest overlaps first), so that a region keeps its number when its
 * community persists.
 *
 * Labels are 1-based and numbered in order of first appearance (layer by
 * layer, node by node).  Flexibility of node i = the fraction of the
 * nlayers - 1 consecutive pairs of layers in which its label changes
 * (Bassett et al. 2011; teneto; the T - 1 denominator). */
#ifndef BRACT_COMMUNITY_H
#define BRACT_COMMUNITY_H

#include <stddef.h>
#include <stdint.h>

#include "bract/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    double gamma;   /* resolution [1] */
    double omega;   /* coupling between consecutive layers [1] */
    uint64_t seed;
    uint64_t run;   /* optimisation number: its own random stream */
} bract_community_modularity_opts;

BRACT_API void bract_community_modularity_opts_defaults(bract_community_modularity_opts *p);

/* Multilayer communities: labels (nlayers x n, layer-major) and Q.
 * BRACT_EDATA for non-finite weights or fewer than 2 nodes. */
BRACT_API int bract_community_multilayer(const float *layers, size_t n, size_t nlayers,
                                           const bract_community_modularity_opts *p, size_t *labels,
                                           double *Q);

/* Each layer alone (omega unused), numbers carried by overlap; q (may be
 * NULL) receives each layer's modularity (nlayers values). */
BRACT_API int bract_community_layerwise(const float *layers, size_t n, size_t nlayers,
                                          const bract_community_modularity_opts *p, size_t *labels,
                                          double *q);

/* Q of a given labelling (nlayers x n), by the definition above. */
BRACT_API double bract_community_modularity(const float *layers, size_t n, size_t nlayers,
                                             double gamma, double omega, const size_t *labels);

/* flex[i] for each node from labels (nlayers x n).  BRACT_EINVAL for fewer
 * than 2 layers. */
BRACT_API int bract_community_flexibility(const size_t *labels, size_t n, size_t nlayers, double *flex);

/* ---- several optimisations of the same layers ---- */

/* Which optimisation bract_community_runs repeats. */
typedef enum {
    BRACT_COMMUNITY_MULTILAYER = 0, /* bract_community_multilayer */
    BRACT_COMMUNITY_LAYERWISE = 1   /* bract_community_layerwise */
} bract_community_method;

/* "multilayer", "layerwise" ("unknown" outside the enum). */
BRACT_API const char *bract_community_method_name(bract_community_method m);
/* The method named s into *out; BRACT_EINVAL ("unknown community method
 * 's' (expected one of multilayer, layerwise)") otherwise. */
BRACT_API int bract_community_method_parse(const char *s, bract_community_method *out);

typedef struct {
    bract_community_method method; /* [BRACT_COMMUNITY_MULTILAYER] */
    double gamma;       /* resolution [1] */
    double omega;       /* coupling of consecutive layers, multilayer only [1] */
    size_t runs;        /* optimisations [10] */
    uint64_t seed;      /* [1] */
    uint64_t first_run; /* run i uses the random stream of optimisation number
                           first_run + i (bract dfc: subject << 32) [0] */
} bract_community_opts;

BRACT_API void bract_community_opts_defaults(bract_community_opts *o);

typedef struct {
    size_t n, nlayers, runs;
    double *flexibility; /* n: each node's flexibility, the mean over the runs */
    double modularity;   /* the mean over the runs of Q (multilayer) or of the mean of
                            the layers' Q (layerwise) */
    size_t *labels;      /* nlayers x n: the labels of the run with the highest
                            modularity (the first of equals) */
    size_t best;         /* that run (0-based) */
} bract_community_result;

/* o->runs optimisations of the layers, run in parallel (OpenMP,
 * bract_set_threads), each from its own random stream; means are summed in
 * run order, so the result is the same for any number of threads.
 * Errors: those of the optimisation or of bract_community_flexibility (fewer than 2
 * layers), the first failing run's message; BRACT_EINVAL for no run.
 * *out is owned by the caller (bract_community_result_free). */
BRACT_API int bract_community_runs(const float *layers, size_t n, size_t nlayers,
                                   const bract_community_opts *o, bract_community_result **out);
BRACT_API void bract_community_result_free(bract_community_result *r);

#ifdef __cplusplus
}
#endif
#endif
