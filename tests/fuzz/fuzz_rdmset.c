/* Fuzz the long-form TSV RDM set reader; a set that reads is written back
 * and must read back the same (names, conditions, dissimilarities). */
#include "fuzz.h"

#include <math.h>

static void fz_setup(void) {}

static int same_double(double a, double b)
{
    return (isnan(a) && isnan(b)) || a == b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_reset();
    const char *p = fz_write(fz_is_gzip(data, size) ? "r.tsv.gz" : "r.tsv", data, size);
    bract_rdmset *s = NULL;
    if (bract_rdmset_read(p, &s))
        return 0;
    const char *w = fz_path("w.tsv");
    if (bract_rdmset_write(s, w, 1))
        abort();
    bract_rdmset *b = NULL;
    if (bract_rdmset_read(w, &b)) {
        fprintf(stderr, "re-reading a written RDM set failed: %s\n", bract_last_error());
        abort();
    }
    if (b->nrdm != s->nrdm)
        abort();
    for (size_t k = 0; k < s->nrdm; k++) {
        const bract_rdm *x = &s->rdm[k], *y = &b->rdm[k];
        if (strcmp(x->name, y->name) || x->n != y->n)
            abort();
        for (size_t i = 0; i < x->n; i++)
            if (strcmp(x->cond[i], y->cond[i]))
                abort();
        for (size_t q = 0; q < bract_npairs(x->n); q++)
            if (!same_double(x->d[q], y->d[q]))
                abort();
    }
    bract_rdmset_free(b);
    bract_rdmset_free(s);
    return 0;
}
