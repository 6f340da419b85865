/* Per-thread error message and warning queue (see bract/error.h). */
#include "base/internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MSG_LEN 2048
#define MAX_WARN 64

typedef struct {
    char msg[MSG_LEN];
    char warn[MAX_WARN][512];
    const char *warn_ptr[MAX_WARN + 1];
    size_t nwarn;     /* queued */
    size_t ndropped;  /* beyond MAX_WARN */
    char dropped_msg[128];
} error_slot;

/* One slot per thread.  The library's other mutable state: per-thread
 * plot scratch (figures/plot.c), pthread_once initialisations (text.c,
 * volume.c, core.c), and the process-wide settings of bract_init() and
 * bract_set_threads() (core.h). */
static _Thread_local error_slot slot;

const char *bract_last_error(void) { return slot.msg; }

void bract_clear_error(void) { slot.msg[0] = '\0'; }

const char *bract_strerror(int status)
{
    switch (status) {
    case BRACT_OK: return "success";
    case BRACT_EINVAL: return "invalid argument";
    case BRACT_ENOMEM: return "out of memory";
    case BRACT_EIO: return "input/output error";
    case BRACT_EFORMAT: return "malformed file";
    case BRACT_EDATA: return "unusable or inconsistent data";
    case BRACT_EEXIST: return "output exists";
    case BRACT_ENUMERIC: return "numerical failure";
    case BRACT_EMPI: return "MPI failure";
    default: return "unknown error";
    }
}

int bract_error(int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(slot.msg, sizeof slot.msg, fmt, ap);
    va_end(ap);
    return status;
}

int bract_error_context(int status, const char *fmt, ...)
{
    char prefix[1024], old[MSG_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, slot.msg, sizeof old);
    snprintf(slot.msg, sizeof slot.msg, "%.1000s: %.1040s", prefix, old);
    return status;
}

void bract_warn(const char *fmt, ...)
{
    if (slot.nwarn >= MAX_WARN) {
        slot.ndropped++;
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(slot.warn[slot.nwarn], sizeof slot.warn[0], fmt, ap);
    va_end(ap);
    slot.nwarn++;
}

size_t bract_take_warnings(const char *const **msgs)
{
    size_t n = slot.nwarn;
    for (size_t i = 0; i < n; i++)
        slot.warn_ptr[i] = slot.warn[i];
    if (slot.ndropped) {
        snprintf(slot.dropped_msg, sizeof slot.dropped_msg,
                 "%zu further warnings not shown", slot.ndropped);
        slot.warn_ptr[n++] = slot.dropped_msg;
    }
    slot.nwarn = 0;
    slot.ndropped = 0;
    *msgs = slot.warn_ptr;
    return n;
}
