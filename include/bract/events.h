/* bract/events.h: BIDS events files and the volumes they label.
 *
 * A BIDS events.tsv lists what happened when during one run: columns
 * `onset` and `duration` in seconds from the first volume, and a label
 * column (`trial_type` by default; any column, such as one holding the
 * word shown).  RSA and the searchlight want one condition label per
 * volume (a conditions table); this module makes it.
 *
 * Volume i of a run with repetition time TR is taken at the reference time
 *     t_i = i TR + (middle ? TR / 2 : 0) - shift
 * (shift: a hemodynamic delay in seconds, so that a volume is labelled by
 * what was shown `shift` seconds before it).  An event with duration d > 0
 * labels the volumes with onset <= t_i < onset + d (a block: Haxby 2001's
 * 9 volumes of 2.5 s per 22.5 s block); an event with duration 0 (an
 * impulse, as in event-related designs) labels the one volume with
 * t_i <= onset < t_i + TR.  Two events with different labels on one volume
 * are an error naming both lines; a missing label ("n/a" or
 * empty; "NA" and "nan" are labels) skips the event. */
#ifndef BRACT_EVENTS_H
#define BRACT_EVENTS_H

#include <stddef.h>

#include "bract/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    double onset, duration; /* seconds */
    char *label;
    size_t line;            /* in the file, 1-based */
    double modulation;      /* the `modulation` column (a parametric amplitude, as
                               nilearn's design matrices use it), 1 without one */
} bract_event;

typedef struct {
    char *path;
    size_t n;
    bract_event *ev;        /* in file order; events with a missing label left out */
    size_t nskipped;        /* events whose label is missing */
} bract_events;

/* Read an events table; `column` names the label column (NULL:
 * "trial_type").  onset must be a number; duration a number >= 0 or
 * missing (read as 0); `modulation`, when the file has that column, a
 * finite number.  Errors name file, line and column.  *out is owned by the
 * caller (bract_events_free). */
BRACT_API int bract_events_read(const char *path, const char *column, bract_events **out);

BRACT_API void bract_events_free(bract_events *e);

typedef struct {
    double tr;     /* seconds, > 0 */
    double shift;  /* seconds (may be negative) */
    int middle;    /* 1: a volume's time is the middle of its acquisition */
} bract_events_timing;

/* Label nvol volumes: label[i] points to an event's label (owned by e) or
 * is NULL for a volume no event covers.  *nlabelled counts the labelled
 * volumes, *nlate the events that begin after the last volume (and label
 * nothing); either may be NULL. */
BRACT_API int bract_events_label_volumes(const bract_events *e, size_t nvol,
                                         const bract_events_timing *t, const char **label,
                                         size_t *nlabelled, size_t *nlate);

#ifdef __cplusplus
}
#endif
#endif
