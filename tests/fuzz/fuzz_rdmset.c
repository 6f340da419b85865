/* Fuzz the long-form TSV RDM set reader; a set that reads is written back
 * and must read back the same (names, conditions, dissimilarities), up to
 * the writer's documented rule for tabs and line breaks in labels. */
#include "fuzz.h"

#include <math.h>

static void fz_setup(void) {}

static int same_double(double a, double b)
{
    return (isnan(a) && isnan(b)) || a == b;
}

/* 1 if a and b are the same once written: the TSV writer turns a tab or
 * line break inside a cell into a space (bract/table.h). */
static int same_written(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = (*a == '\t' || *a == '\n' || *a == '\r') ? ' ' : *a;
        char y = (*b == '\t' || *b == '\n' || *b == '\r') ? ' ' : *b;
        if (x != y)
            return 0;
    }
    return *a == *b;
}

/* 1 if two labels of the set become one once written (the documented
 * limit of that rule, not a finding): such sets are not written. */
static int labels_collide(const bract_rdmset *s)
{
    for (size_t k = 0; k < s->nrdm; k++) {
        for (size_t q = 0; q < k; q++)
            if (same_written(s->rdm[k].name, s->rdm[q].name))
                return 1;
        for (size_t i = 0; i < s->rdm[k].n; i++)
            for (size_t j = 0; j < i; j++)
                if (same_written(s->rdm[k].cond[i], s->rdm[k].cond[j]))
                    return 1;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_reset();
    const char *p = fz_write(fz_is_gzip(data, size) ? "r.tsv.gz" : "r.tsv", data, size);
    bract_rdmset *s = NULL;
    if (bract_rdmset_read(p, &s))
        return 0;
    if (labels_collide(s)) {
        bract_rdmset_free(s);
        return 0;
    }
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
        if (!same_written(x->name, y->name) || x->n != y->n)
            abort();
        for (size_t i = 0; i < x->n; i++)
            if (!same_written(x->cond[i], y->cond[i]))
                abort();
        for (size_t q = 0; q < bract_npairs(x->n); q++)
            if (!same_double(x->d[q], y->d[q]))
                abort();
    }
    bract_rdmset_free(b);
    bract_rdmset_free(s);
    return 0;
}
