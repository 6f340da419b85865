/* BIDS events files and the volumes they label (bract/events.h). */
#include "base/internal.h"

#include <math.h>
#include <string.h>

void bract_events_free(bract_events *e)
{
    if (!e)
        return;
    for (size_t i = 0; i < e->n; i++)
        free(e->ev[i].label);
    free(e->ev);
    free(e->path);
    free(e);
}

int bract_events_read(const char *path, const char *column, bract_events **out)
{
    *out = NULL;
    if (!column)
        column = "trial_type";
    bract_table *t;
    int rc = bract_table_read(path, &t);
    if (rc)
        return rc;
    size_t con, cdur, clab;
    long cmod = bract_table_find(t, "modulation");
    if ((rc = bract_table_require(t, "onset", &con)) ||
        (rc = bract_table_require(t, "duration", &cdur)) ||
        (rc = bract_table_require(t, column, &clab))) {
        bract_table_free(t);
        return bract_error_context(rc, "not a BIDS events file (onset, duration, %s)", column);
    }
    bract_events *e = bract_xcalloc(1, sizeof *e, "events");
    if (e) {
        e->path = bract_xstrdup(path);
        e->ev = bract_xcalloc(t->nrows ? t->nrows : 1, sizeof *e->ev, "events");
    }
    if (!e || !e->path || !e->ev) {
        bract_events_free(e);
        bract_table_free(t);
        return BRACT_ENOMEM;
    }
    for (size_t r = 0; r < t->nrows && !rc; r++) {
        const char *lab = bract_table_cell(t, r, clab);
        if (bract_table_label_missing(lab)) { /* "NA" may be a trial type */
            e->nskipped++;
            continue;
        }
        double on, dur;
        if ((rc = bract_table_double(t, r, con, &on)) ||
            (rc = bract_table_double(t, r, cdur, &dur)))
            break;
        if (!isfinite(on)) {
            rc = bract_error(BRACT_EFORMAT, "%s:%zu: column %zu ('onset'): expected a number, "
                             "found '%s'", path, t->line[r], con + 1,
                             bract_table_cell(t, r, con));
            break;
        }
        if (isnan(dur))
            dur = 0; /* BIDS: n/a for events without a meaningful duration */
        if (!(dur >= 0) || !isfinite(dur)) {
            rc = bract_error(BRACT_EFORMAT, "%s:%zu: column %zu ('duration'): expected a "
                             "duration >= 0 in seconds, found '%s'", path, t->line[r], cdur + 1,
                             bract_table_cell(t, r, cdur));
            break;
        }
        double mod = 1.0;
        if (cmod >= 0) {
            if ((rc = bract_table_double(t, r, (size_t)cmod, &mod)))
                break;
            if (!isfinite(mod)) {
                rc = bract_error(BRACT_EFORMAT, "%s:%zu: column %ld ('modulation'): expected a "
                                 "number, found '%s'", path, t->line[r], cmod + 1,
                                 bract_table_cell(t, r, (size_t)cmod));
                break;
            }
        }
        bract_event *ev = &e->ev[e->n];
        ev->modulation = mod;
        ev->onset = on;
        ev->duration = dur;
        ev->line = t->line[r];
        if (!(ev->label = bract_xstrdup(lab))) {
            rc = BRACT_ENOMEM;
            break;
        }
        e->n++;
    }
    bract_table_free(t);
    if (rc) {
        bract_events_free(e);
        return rc;
    }
    *out = e;
    return BRACT_OK;
}

static double vol_time(long i, double tr, double off) { return (double)i * tr + off; }

/* The smallest volume i (possibly negative) with t_i >= x. */
static long first_at_or_after(double x, double tr, double off)
{
    double g = ceil((x - off) / tr);
    if (g < -1e15 || g > 1e15)
        return g < 0 ? -(long)1e15 : (long)1e15;
    long i = (long)g;
    while (vol_time(i - 1, tr, off) >= x)
        i--;
    while (vol_time(i, tr, off) < x)
        i++;
    return i;
}

int bract_events_label_volumes(const bract_events *e, size_t nvol,
                               const bract_events_timing *t, const char **label,
                               size_t *nlabelled, size_t *nlate)
{
    if (!(t->tr > 0) || !isfinite(t->tr) || !isfinite(t->shift))
        return bract_error(BRACT_EINVAL, "the repetition time must be > 0 and the shift finite "
                           "(got %g and %g s)", t->tr, t->shift);
    size_t *from = bract_xcalloc(nvol ? nvol : 1, sizeof *from, "event lines");
    if (!from)
        return BRACT_ENOMEM;
    for (size_t i = 0; i < nvol; i++)
        label[i] = NULL;
    const double off = (t->middle ? t->tr / 2 : 0) - t->shift;
    size_t late = 0;
    int rc = BRACT_OK;
    for (size_t k = 0; k < e->n && !rc; k++) {
        const bract_event *ev = &e->ev[k];
        /* the volumes i with t_i = i TR + off in [onset, onset + d), or, for
         * an impulse, the last with t_i <= onset; the division guesses, the
         * comparisons in seconds decide (as the header states the rule) */
        double a = ev->onset, b = ev->onset + ev->duration;
        long first, last;
        if (ev->duration > 0) {
            first = first_at_or_after(a, t->tr, off);
            last = first_at_or_after(b, t->tr, off) - 1;
        } else {
            long i = first_at_or_after(a, t->tr, off);
            last = first = vol_time(i, t->tr, off) == a ? i : i - 1;
        }
        if (last < 0) /* before the first volume */
            continue;
        if (first < 0)
            first = 0;
        if (first > (long)nvol - 1 || last < first) {
            late += a - off >= (double)nvol * t->tr;
            continue;
        }
        if (last > (long)nvol - 1)
            last = (long)nvol - 1;
        for (size_t i = (size_t)first; i <= (size_t)last; i++) {
            if (label[i] && strcmp(label[i], ev->label) != 0) {
                rc = bract_error(BRACT_EDATA,
                                 "%s: lines %zu ('%s') and %zu ('%s') both cover volume %zu "
                                 "(t = %g s): events of different labels overlap",
                                 e->path, from[i], label[i], ev->line, ev->label, i,
                                 (double)i * t->tr + off);
                break;
            }
            label[i] = ev->label;
            from[i] = ev->line;
        }
    }
    free(from);
    if (rc)
        return rc;
    size_t n = 0;
    for (size_t i = 0; i < nvol; i++)
        n += label[i] != NULL;
    if (nlabelled)
        *nlabelled = n;
    if (nlate)
        *nlate = late;
    return BRACT_OK;
}
