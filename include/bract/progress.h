/* bract/progress.h: how long-running library functions report progress.
 *
 * The library never prints: a function that can run for more than a moment
 * takes an optional bract_progress and calls fn(ctx, done, total) from the
 * thread that called it (never from worker threads), as often as it likes.
 * The command-line tool draws the bar. */
#ifndef BRACT_PROGRESS_H
#define BRACT_PROGRESS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef void (*bract_progress_fn)(void *ctx, size_t done, size_t total);

typedef struct {
    bract_progress_fn fn;
    void *ctx;
} bract_progress;

static inline void bract_progress_report(const bract_progress *p, size_t done, size_t total)
{
    if (p && p->fn)
        p->fn(p->ctx, done, total);
}

#ifdef __cplusplus
}
#endif
#endif
