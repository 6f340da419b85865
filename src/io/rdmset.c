/* RDM sets: long-form TSV reading and writing (HDF5: rdmset_h5.c). */
#include "base/internal.h"

#include <math.h>
#include <string.h>
#include <sys/stat.h>

#include <json.h>

#include "bract/tsv.h"

int bract_rdmset_new(size_t nrdm, bract_rdmset **out)
{
    *out = NULL;
    bract_rdmset *s = bract_xcalloc(1, sizeof *s, "an RDM set");
    if (!s)
        return BRACT_ENOMEM;
    s->rdm = bract_xcalloc(nrdm ? nrdm : 1, sizeof *s->rdm, "an RDM set");
    if (!s->rdm) {
        free(s);
        return BRACT_ENOMEM;
    }
    s->nrdm = nrdm;
    *out = s;
    return BRACT_OK;
}

int bract_rdmset_init_rdm(bract_rdmset *s, size_t k, const char *name, size_t n,
                          const char *const *cond)
{
    bract_rdm *r = &s->rdm[k];
    if (n < 2)
        return bract_error(BRACT_EINVAL, "RDM '%s' needs at least 2 conditions (got %zu)", name, n);
    r->name = bract_xstrdup(name);
    r->cond = bract_xcalloc(n, sizeof *r->cond, "RDM condition labels");
    r->d = bract_xmalloc(bract_npairs(n), sizeof *r->d, "an RDM");
    if (!r->name || !r->cond || !r->d)
        return BRACT_ENOMEM;
    r->n = n;
    for (size_t i = 0; i < n; i++)
        if (!(r->cond[i] = bract_xstrdup(cond[i])))
            return BRACT_ENOMEM;
    for (size_t p = 0; p < bract_npairs(n); p++)
        r->d[p] = NAN;
    return BRACT_OK;
}

void bract_rdmset_free(bract_rdmset *s)
{
    if (!s)
        return;
    for (size_t k = 0; k < s->nrdm; k++) {
        bract_rdm *r = &s->rdm[k];
        if (r->cond)
            for (size_t i = 0; i < r->n; i++)
                free(r->cond[i]);
        free(r->cond);
        free(r->name);
        free(r->d);
    }
    free(s->rdm);
    free(s->measure);
    free(s);
}

int bract_rdmset_set_measure(bract_rdmset *s, const char *measure)
{
    char *m = NULL;
    if (measure && !(m = bract_xstrdup(measure)))
        return BRACT_ENOMEM;
    free(s->measure);
    s->measure = m;
    return BRACT_OK;
}

long bract_rdmset_find(const bract_rdmset *s, const char *name)
{
    for (size_t k = 0; k < s->nrdm; k++)
        if (strcmp(s->rdm[k].name, name) == 0)
            return (long)k;
    return -1;
}

/* Labels of one RDM: a table of first-appearance order plus an open-address
 * hash from label to position, so reading an RDM of n conditions costs
 * O(n^2) pairs and not O(n^3) string comparisons. */
typedef struct {
    char **label;  /* in order of first appearance */
    size_t n;
    long *slot;    /* hash slots: position + 1, or 0 for empty */
    size_t mask;   /* nslots - 1 (a power of two) */
} label_index;

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static long label_find(const label_index *x, const char *label)
{
    for (size_t k = fnv1a(label) & x->mask;; k = (k + 1) & x->mask) {
        long p = x->slot[k];
        if (p == 0)
            return -1;
        if (strcmp(x->label[p - 1], label) == 0)
            return p - 1;
    }
}

static void label_add(label_index *x, char *label)
{
    size_t k = fnv1a(label) & x->mask;
    while (x->slot[k])
        k = (k + 1) & x->mask;
    x->label[x->n] = label;
    x->slot[k] = (long)++x->n;
}

/* "crossnobis" when the sidecar of the TSV at `path` says its method is
 * crossnobis, else NULL (no sidecar, or one that does not say). */
static const char *sidecar_measure(const char *path)
{
    char *sc = bract_sidecar_path(path), *text = NULL;
    size_t len;
    struct stat st;
    const char *m = NULL;
    if (sc && stat(sc, &st) == 0 && S_ISREG(st.st_mode) &&
        bract_read_file(sc, &text, &len) == BRACT_OK) {
        json_object *o = json_tokener_parse(text), *p, *v;
        if (o && json_object_is_type(o, json_type_object) &&
            json_object_object_get_ex(o, "Parameters", &p) &&
            json_object_is_type(p, json_type_object) &&
            json_object_object_get_ex(p, "method", &v) && json_object_is_type(v, json_type_string) &&
            strcmp(json_object_get_string(v), "crossnobis") == 0)
            m = "crossnobis";
        json_object_put(o);
    }
    free(text);
    free(sc);
    bract_clear_error(); /* a sidecar that cannot be read only leaves no measure */
    return m;
}

void bract_rdmset_pair_line(const char *path, const char *rdm, const char *a, const char *b,
                            size_t *line)
{
    *line = 0;
    bract_table *t = NULL;
    size_t cr, ca, cb;
    if (bract_rdmset_is_hdf5(path) || bract_table_read(path, &t) ||
        bract_table_require(t, "rdm", &cr) || bract_table_require(t, "condition_a", &ca) ||
        bract_table_require(t, "condition_b", &cb)) {
        bract_table_free(t);
        bract_clear_error();
        return;
    }
    for (size_t r = 0; r < t->nrows && !*line; r++) {
        const char *x = bract_table_cell(t, r, ca), *y = bract_table_cell(t, r, cb);
        if (strcmp(bract_table_cell(t, r, cr), rdm) == 0 &&
            ((strcmp(x, a) == 0 && strcmp(y, b) == 0) || (strcmp(x, b) == 0 && strcmp(y, a) == 0)))
            *line = t->line[r];
    }
    bract_table_free(t);
}

int bract_rdmset_read(const char *path, bract_rdmset **out)
{
    *out = NULL;
    if (bract_rdmset_is_hdf5(path))
        return bract_rdmset_read_hdf5(path, out);
    bract_table *t;
    int rc = bract_table_read(path, &t);
    if (rc)
        return rc;
    size_t cr, ca, cb, cd;
    if ((rc = bract_table_require(t, "rdm", &cr)) || (rc = bract_table_require(t, "condition_a", &ca)) ||
        (rc = bract_table_require(t, "condition_b", &cb)) ||
        (rc = bract_table_require(t, "dissimilarity", &cd))) {
        bract_table_free(t);
        return bract_error_context(rc, "not an RDM set (long form: rdm, condition_a, "
                                   "condition_b, dissimilarity)");
    }
    if (t->nrows == 0) {
        bract_table_free(t);
        return bract_error(BRACT_EFORMAT, "%s: an RDM set with no rows", path);
    }
    /* RDMs in order of first appearance; rows of each must be contiguous */
    size_t nrdm = 0;
    for (size_t r = 0; r < t->nrows; r++)
        if (r == 0 || strcmp(bract_table_cell(t, r, cr), bract_table_cell(t, r - 1, cr)) != 0)
            nrdm++;
    size_t *first = bract_xmalloc(nrdm + 1, sizeof *first, "RDM rows");
    bract_rdmset *s = NULL;
    bract_rdmset_new(nrdm, &s);
    char **labels = bract_xmalloc(2 * t->nrows + 2, sizeof *labels, "condition labels");
    size_t nslots = 16;
    while (nslots < 4 * t->nrows + 4)
        nslots *= 2;
    long *slots = bract_xmalloc(nslots, sizeof *slots, "condition labels");
    label_index ix = {labels, 0, slots, nslots - 1};
    size_t *rowof = NULL;
    if (!first || !s || !labels || !slots) {
        rc = BRACT_ENOMEM;
        goto done;
    }
    nrdm = 0;
    for (size_t r = 0; r < t->nrows; r++)
        if (r == 0 || strcmp(bract_table_cell(t, r, cr), bract_table_cell(t, r - 1, cr)) != 0) {
            const char *nm = bract_table_cell(t, r, cr);
            for (size_t k = 0; k < nrdm; k++)
                if (strcmp(bract_table_cell(t, first[k], cr), nm) == 0) {
                    rc = bract_error(BRACT_EFORMAT,
                                     "%s:%zu: rows of RDM '%s' are not together (it also starts "
                                     "at line %zu)",
                                     path, t->line[r], nm, t->line[first[k]]);
                    goto done;
                }
            first[nrdm++] = r;
        }
    first[nrdm] = t->nrows;
    for (size_t k = 0; k < nrdm; k++) {
        size_t r0 = first[k], r1 = first[k + 1];
        const char *nm = bract_table_cell(t, r0, cr);
        /* a fresh index for this RDM: empty the slots it will use */
        size_t used = 16;
        while (used < 4 * (r1 - r0) + 4)
            used *= 2;
        ix.n = 0;
        ix.mask = used - 1;
        memset(slots, 0, used * sizeof *slots);
        for (size_t r = r0; r < r1; r++) {
            const char *a = bract_table_cell(t, r, ca), *b = bract_table_cell(t, r, cb);
            if (strcmp(a, b) == 0) {
                rc = bract_error(BRACT_EFORMAT,
                                 "%s:%zu: RDM '%s' pairs condition '%s' with itself", path,
                                 t->line[r], nm, a);
                goto done;
            }
            if (label_find(&ix, a) < 0)
                label_add(&ix, (char *)a);
            if (label_find(&ix, b) < 0)
                label_add(&ix, (char *)b);
        }
        size_t n = ix.n, np = bract_npairs(n);
        if (r1 - r0 != np) {
            rc = bract_error(BRACT_EFORMAT,
                             "%s:%zu: RDM '%s' has %zu rows but its %zu conditions make %zu "
                             "pairs: every pair must be listed once",
                             path, t->line[r0], nm, r1 - r0, n, np);
            goto done;
        }
        if ((rc = bract_rdmset_init_rdm(s, k, nm, n, (const char *const *)labels)))
            goto done;
        free(rowof);
        rowof = bract_xcalloc(np, sizeof *rowof, "RDM rows");
        if (!rowof) {
            rc = BRACT_ENOMEM;
            goto done;
        }
        for (size_t r = r0; r < r1; r++) {
            long i = label_find(&ix, bract_table_cell(t, r, ca));
            long j = label_find(&ix, bract_table_cell(t, r, cb));
            if (i > j) {
                long x = i;
                i = j;
                j = x;
            }
            size_t p = bract_pair_index(n, (size_t)i, (size_t)j);
            if (rowof[p]) {
                rc = bract_error(BRACT_EFORMAT,
                                 "%s:%zu: RDM '%s' lists the pair (%s, %s) twice (also line %zu)",
                                 path, t->line[r], nm, labels[i], labels[j], t->line[rowof[p] - 1]);
                goto done;
            }
            rowof[p] = r + 1;
            if ((rc = bract_table_double(t, r, cd, &s->rdm[k].d[p])))
                goto done;
        }
    }
    const char *m = sidecar_measure(path);
    if (m && (rc = bract_rdmset_set_measure(s, m)))
        goto done;
    *out = s;
    s = NULL;
done:
    free(rowof);
    free(slots);
    free(labels);
    free(first);
    bract_rdmset_free(s);
    bract_table_free(t);
    return rc;
}

int bract_rdmset_write(const bract_rdmset *s, const char *path, int force)
{
    static const char *const cols[] = {"rdm", "condition_a", "condition_b", "dissimilarity"};
    if (bract_rdmset_path_is_hdf5(path))
        return bract_rdmset_write_hdf5(s, path, force);
    bract_tsv_writer *w;
    int rc = bract_tsv_open(path, force, 4, cols, &w);
    if (rc)
        return rc;
    for (size_t k = 0; k < s->nrdm; k++) {
        const bract_rdm *r = &s->rdm[k];
        size_t p = 0;
        for (size_t i = 0; i < r->n; i++)
            for (size_t j = i + 1; j < r->n; j++, p++) {
                bract_tsv_str(w, r->name);
                bract_tsv_str(w, r->cond[i]);
                bract_tsv_str(w, r->cond[j]);
                bract_tsv_double(w, r->d[p]);
                bract_tsv_end_row(w);
            }
    }
    return bract_tsv_commit(w);
}

/* ---- HDF5 detection (no libhdf5 needed) ---- */

static const unsigned char h5_signature[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};

int bract_rdmset_path_is_hdf5(const char *path)
{
    return bract_ends_with(path, ".h5") || bract_ends_with(path, ".hdf5");
}

/* 1 if the path is named as HDF5, or if the file starts with the HDF5
 * signature (a superblock at offset 0, where h5py and the HDF5 library put
 * it by default). */
int bract_rdmset_is_hdf5(const char *path)
{
    if (bract_rdmset_path_is_hdf5(path))
        return 1;
    if (strcmp(path, "-") == 0)
        return 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    unsigned char b[8];
    int yes = fread(b, 1, 8, f) == 8 && memcmp(b, h5_signature, 8) == 0;
    fclose(f);
    return yes;
}

#ifndef BRACT_HAVE_HDF5
/* Built with make HDF5=0: HDF5 RDM sets are recognised, and refused with a
 * message that says how to get them. */
static int no_hdf5(const char *path)
{
    return bract_error(BRACT_EINVAL,
                       "%s: an HDF5 RDM set, but this bract was built without HDF5 support "
                       "(rebuild with make HDF5=1 and libhdf5-dev installed, or use TSV)",
                       path);
}

int bract_rdmset_read_hdf5(const char *path, bract_rdmset **out)
{
    *out = NULL;
    return no_hdf5(path);
}

int bract_rdmset_write_hdf5(const bract_rdmset *s, const char *path, int force)
{
    (void)s;
    (void)force;
    return no_hdf5(path);
}
#endif
