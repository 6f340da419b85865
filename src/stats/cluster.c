/* Neighbourhood graphs of voxels and connected clusters at a threshold. */
#include "stats/cluster_internal.h"

#include <math.h>
#include <string.h>

const char *bract_cluster_connectivity_name(bract_cluster_connectivity c)
{
    switch (c) {
    case BRACT_CONN_FACES: return "6";
    case BRACT_CONN_EDGES: return "18";
    case BRACT_CONN_CORNERS: return "26";
    default: return "unknown";
    }
}

int bract_cluster_connectivity_parse(const char *s, bract_cluster_connectivity *out)
{
    static const bract_cluster_connectivity all[] = {BRACT_CONN_FACES, BRACT_CONN_EDGES,
                                             BRACT_CONN_CORNERS};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        if (strcmp(s, bract_cluster_connectivity_name(all[i])) == 0) {
            *out = all[i];
            return BRACT_OK;
        }
    return bract_error(BRACT_EINVAL, "unknown connectivity '%s' (expected one of 6, 18, 26)", s);
}

/* Offsets (dx, dy, dz) of the 26 neighbours, ordered so that the first 6
 * share a face, the next 12 an edge and the last 8 a corner. */
static void neighbour_offsets(int conn, int off[26][3], int *m)
{
    int k = 0;
    for (int pass = 1; pass <= 3; pass++)
        for (int dz = -1; dz <= 1; dz++)
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++) {
                    int nz = (dx != 0) + (dy != 0) + (dz != 0);
                    if (nz != pass)
                        continue;
                    if ((conn == 6 && nz > 1) || (conn == 18 && nz > 2))
                        continue;
                    off[k][0] = dx;
                    off[k][1] = dy;
                    off[k][2] = dz;
                    k++;
                }
    *m = k;
}

int bract_cluster_graph_new(int64_t nx, int64_t ny, int64_t nz, const size_t *index, size_t n,
                          int connectivity, bract_cluster_graph **out)
{
    *out = NULL;
    if (connectivity != 6 && connectivity != 18 && connectivity != 26)
        return bract_error(BRACT_EINVAL, "connectivity must be 6, 18 or 26 (got %d)",
                           connectivity);
    if (nx < 1 || ny < 1 || nz < 1)
        return bract_error(BRACT_EINVAL, "grid dimensions must be positive (got %lldx%lldx%lld)",
                           (long long)nx, (long long)ny, (long long)nz);
    if (n >= UF_NONE)
        return bract_error(BRACT_EINVAL, "too many voxels for a cluster graph (%zu)", n);
    size_t nvox = (size_t)(nx * ny * nz);
    for (size_t i = 0; i < n; i++)
        if (index[i] >= nvox || (i > 0 && index[i] <= index[i - 1]))
            return bract_error(BRACT_EINVAL,
                               "cluster graph: voxel indices must be strictly ascending and "
                               "inside the %zu-voxel grid (item %zu is %zu)",
                               nvox, i + 1, index[i]);
    int off[26][3], m;
    neighbour_offsets(connectivity, off, &m);

    bract_cluster_graph *g = bract_xcalloc(1, sizeof *g, "a cluster graph");
    uint32_t *node = bract_xmalloc(nvox, sizeof *node, "a voxel lookup table");
    if (!g || !node) {
        free(g);
        free(node);
        return BRACT_ENOMEM;
    }
    g->n = n;
    g->connectivity = connectivity;
    g->off = bract_xmalloc(n + 1, sizeof *g->off, "cluster graph offsets");
    if (!g->off)
        goto nomem;
    for (size_t v = 0; v < nvox; v++)
        node[v] = UF_NONE;
    for (size_t i = 0; i < n; i++)
        node[index[i]] = (uint32_t)i;

    /* two passes: count, then fill (neighbours ascending by node number,
     * which is the order of spatial index, so sort each short list) */
    for (int pass = 0; pass < 2; pass++) {
        size_t e = 0;
        for (size_t i = 0; i < n; i++) {
            if (pass == 0)
                g->off[i] = e;
            int64_t v = (int64_t)index[i];
            int64_t x = v % nx, y = (v / nx) % ny, z = v / (nx * ny);
            uint32_t list[26];
            int cnt = 0;
            for (int k = 0; k < m; k++) {
                int64_t a = x + off[k][0], b = y + off[k][1], c = z + off[k][2];
                if (a < 0 || a >= nx || b < 0 || b >= ny || c < 0 || c >= nz)
                    continue;
                uint32_t u = node[a + nx * (b + ny * c)];
                if (u != UF_NONE)
                    list[cnt++] = u;
            }
            if (pass == 1) {
                for (int s = 1; s < cnt; s++) /* insertion sort of <= 26 */
                    for (int t = s; t > 0 && list[t - 1] > list[t]; t--) {
                        uint32_t tmp = list[t];
                        list[t] = list[t - 1];
                        list[t - 1] = tmp;
                    }
                memcpy(g->nbr + g->off[i], list, (size_t)cnt * sizeof *list);
            }
            e += (size_t)cnt;
        }
        if (pass == 0) {
            g->off[n] = e;
            g->nbr = bract_xmalloc(e ? e : 1, sizeof *g->nbr, "cluster graph edges");
            if (!g->nbr)
                goto nomem;
        }
    }
    free(node);
    /* the padded grid: no bounds checks in the sweep */
    int64_t px = nx + 2, py = ny + 2, pz = nz + 2;
    g->gsize = (size_t)(px * py * pz);
    if (g->gsize >= UF_NONE) {
        bract_cluster_graph_free(g);
        return bract_error(BRACT_EINVAL, "grid too large for a cluster graph (%lldx%lldx%lld)",
                           (long long)nx, (long long)ny, (long long)nz);
    }
    g->gpos = bract_xmalloc(n ? n : 1, sizeof *g->gpos, "cluster graph positions");
    if (!g->gpos) {
        bract_cluster_graph_free(g);
        return BRACT_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        int64_t v = (int64_t)index[i];
        int64_t x = v % nx, y = (v / nx) % ny, z = v / (nx * ny);
        g->gpos[i] = (size_t)((x + 1) + px * ((y + 1) + py * (z + 1)));
    }
    g->ngoff = m;
    for (int k = 0; k < m; k++)
        g->goff[k] = (long)off[k][0] + (long)px * ((long)off[k][1] + (long)py * (long)off[k][2]);
    *out = g;
    return BRACT_OK;
nomem:
    free(node);
    bract_cluster_graph_free(g);
    return BRACT_ENOMEM;
}

void bract_cluster_graph_free(bract_cluster_graph *g)
{
    if (!g)
        return;
    free(g->off);
    free(g->nbr);
    free(g->gpos);
    free(g);
}

static bract_cluster_ws *cluster_ws_alloc(const bract_cluster_graph *g)
{
    bract_cluster_ws *ws = bract_xcalloc(1, sizeof *ws, "a cluster workspace");
    if (!ws)
        return NULL;
    size_t n = g->n ? g->n : 1, gn = g->gsize ? g->gsize : 1;
    ws->n = g->n;
    ws->gsize = g->gsize;
    /* gacc first (doubles), then the uint32 arrays */
    char *p = bract_xmalloc(1, gn * sizeof(double) + (5 * n + 3 * gn) * sizeof(uint32_t),
                            "a cluster workspace");
    if (!p) {
        free(ws);
        return NULL;
    }
    ws->block = p;
    ws->gacc = (double *)(void *)p;
    uint32_t *u = (uint32_t *)(void *)(p + gn * sizeof(double));
    uint32_t **arrays[] = {&ws->parent, &ws->size, &ws->aux, &ws->level, &ws->order};
    for (size_t i = 0; i < 5; i++, u += n)
        *arrays[i] = u;
    ws->gparent = u;
    ws->gsz = u + gn;
    ws->gtop = u + 2 * gn;
    for (size_t i = 0; i < gn; i++)
        ws->gparent[i] = UF_NONE; /* TFCE leaves it so after every call */
    return ws;
}

int bract_cluster_ws_new(const bract_cluster_graph *g, bract_cluster_ws **out)
{
    *out = cluster_ws_alloc(g);
    return *out ? BRACT_OK : BRACT_ENOMEM;
}

void bract_cluster_ws_free(bract_cluster_ws *ws)
{
    if (!ws)
        return;
    free(ws->block);
    free(ws->thr);
    free(ws->cum);
    free(ws->count);
    free(ws);
}

size_t bract_cluster_find(const bract_cluster_graph *g, const double *x, double thr, uint32_t *label,
                      size_t *size, size_t *max_size, bract_cluster_ws *ws)
{
    size_t n = g->n;
    uint32_t *parent = ws->parent, *sz = ws->size;
    for (size_t i = 0; i < n; i++) {
        parent[i] = x[i] >= thr ? (uint32_t)i : UF_NONE;
        sz[i] = 1;
    }
    /* every edge once, from its lower end; union by size */
    for (size_t i = 0; i < n; i++) {
        if (parent[i] == UF_NONE)
            continue;
        for (size_t e = g->off[i + 1]; e-- > g->off[i];) {
            uint32_t j = g->nbr[e];
            if (j <= i)
                break; /* the list is ascending: the rest are lower */
            if (parent[j] == UF_NONE)
                continue;
            uint32_t a = uf_find_halving(parent, (uint32_t)i), b = uf_find_halving(parent, j);
            if (a == b)
                continue;
            if (sz[a] < sz[b]) {
                uint32_t t = a;
                a = b;
                b = t;
            }
            parent[b] = a;
            sz[a] += sz[b];
        }
    }
    size_t ncl = 0, best = 0;
    if (!label && !size) { /* counts only: no labelling pass */
        for (size_t i = 0; i < n; i++)
            if (parent[i] == i) {
                ncl++;
                if (sz[i] > best)
                    best = sz[i];
            }
        if (max_size)
            *max_size = best;
        return ncl;
    }
    uint32_t *lab = ws->aux;
    /* labels in order of first node: a root's label is set when the first
     * of its nodes is met (roots are reset first) */
    for (size_t i = 0; i < n; i++)
        if (parent[i] != UF_NONE && parent[i] == i)
            lab[i] = 0;
    for (size_t i = 0; i < n; i++) {
        if (parent[i] == UF_NONE) {
            if (label)
                label[i] = 0;
            continue;
        }
        uint32_t r = uf_find_halving(parent, (uint32_t)i);
        if (lab[r] == 0) {
            lab[r] = (uint32_t)++ncl;
            if (size)
                size[ncl - 1] = sz[r];
            if (sz[r] > best)
                best = sz[r];
        }
        if (label)
            label[i] = lab[r];
    }
    if (max_size)
        *max_size = best;
    return ncl;
}
