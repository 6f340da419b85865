/* Fuzz the TSV/CSV table parser and its typed accessors; then write the
 * table with the TSV writer and read it back, which must give the same
 * cells (the quoting rule of bract/table.h, both ways).  The first byte
 * picks the name (.tsv, .csv, .txt: the delimiter rule). */
#include "fuzz.h"
#include "bract/tsv.h"

static void fz_setup(void) {}

static const char *names[3] = {"t.tsv", "t.csv", "t.txt"};

/* What the writer makes of a cell: tabs and line breaks become spaces. */
static int same_written(const char *orig, const char *back)
{
    for (; *orig && *back; orig++, back++) {
        char c = (*orig == '\t' || *orig == '\n' || *orig == '\r') ? ' ' : *orig;
        if (c != *back)
            return 0;
    }
    return *orig == *back;
}

/* 1 if a and b are the same once both are written. */
static int same_both_written(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = (*a == '\t' || *a == '\n' || *a == '\r') ? ' ' : *a;
        char y = (*b == '\t' || *b == '\n' || *b == '\r') ? ' ' : *b;
        if (x != y)
            return 0;
    }
    return *a == *b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    fz_reset();
    const char *name = names[data[0] % 3];
    bract_table *t = NULL;
    if (bract_table_parse(name, (const char *)data + 1, size - 1, &t))
        return 0;
    size_t col;
    bract_table_require(t, "condition", &col);
    for (size_t r = 0; r < t->nrows; r++)
        for (size_t c = 0; c < t->ncols; c++) {
            double x;
            long l;
            bract_table_double(t, r, c, &x);
            bract_table_long(t, r, c, &l);
            bract_table_label_missing(bract_table_cell(t, r, c));
        }
    /* the round trip through the writer.  The writer turns tabs and line
     * breaks inside a cell into spaces (table.h), so two column names that
     * differ only there collide on re-reading ("appears twice"): that is the
     * documented rule, not a finding, and such tables are not written. */
    for (size_t c = 0; c < t->ncols; c++)
        for (size_t d = 0; d < c; d++)
            if (t->colname[c][0] && same_both_written(t->colname[c], t->colname[d])) {
                bract_table_free(t);
                return 0;
            }
    const char *out = fz_path("w.tsv");
    unlink(out);
    bract_tsv_writer *w;
    if (bract_tsv_open(out, 1, t->ncols, (const char *const *)t->colname, &w) == 0) {
        for (size_t r = 0; r < t->nrows; r++) {
            for (size_t c = 0; c < t->ncols; c++)
                bract_tsv_str(w, bract_table_cell(t, r, c));
            bract_tsv_end_row(w);
        }
        if (bract_tsv_commit(w))
            abort(); /* writing a table that was read must work */
        bract_table *b = NULL;
        if (bract_table_read(out, &b)) {
            fprintf(stderr, "re-reading a written table failed: %s\n", bract_last_error());
            abort();
        }
        if (b->nrows != t->nrows || b->ncols != t->ncols)
            abort();
        for (size_t c = 0; c < t->ncols; c++)
            if (!same_written(t->colname[c], b->colname[c]))
                abort();
        for (size_t r = 0; r < t->nrows; r++)
            for (size_t c = 0; c < t->ncols; c++)
                if (!same_written(bract_table_cell(t, r, c), bract_table_cell(b, r, c))) {
                    fprintf(stderr, "cell %zu,%zu: '%s' came back as '%s'\n", r, c,
                            bract_table_cell(t, r, c), bract_table_cell(b, r, c));
                    abort();
                }
        bract_table_free(b);
    }
    bract_table_free(t);
    return 0;
}
