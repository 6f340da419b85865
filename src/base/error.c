/* Per-thread error message and warning queue (see bract/error.h). */
#include "base/internal.h"
#include "base/text_internal.h"

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

/* ---- making a message safe to print and short enough to keep ---- */

/* 1 if the code point must not reach a terminal raw: C1 controls and the
 * bidirectional overrides and isolates (which reorder what is shown). */
static int hidden_cp(uint32_t cp)
{
    return (cp >= 0x80 && cp <= 0x9F) || (cp >= 0x202A && cp <= 0x202E) ||
           (cp >= 0x2066 && cp <= 0x2069);
}

/* Escape src[0..n) into dst (room for 4n + 1): printable ASCII and valid
 * UTF-8 stay, every other byte becomes \xNN (F11: a cell "\x1b]0;..."
 * from a data file must not set the terminal's title).  Returns the
 * length. */
static size_t escape_text(const char *src, size_t n, char *dst)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)src;
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        size_t len = 1;
        int esc;
        if (u[i] >= 0x20 && u[i] < 0x7F) {
            esc = 0;
        } else if (u[i] < 0x80) {
            esc = 1;
        } else {
            uint32_t cp;
            len = bract_utf8_decode(u + i, n - i, &cp);
            esc = cp == 0xFFFFFFFFu || hidden_cp(cp);
        }
        for (size_t j = 0; j < len; j++) {
            if (esc) {
                dst[k++] = '\\';
                dst[k++] = 'x';
                dst[k++] = hex[u[i + j] >> 4];
                dst[k++] = hex[u[i + j] & 15];
            } else {
                dst[k++] = (char)u[i + j];
            }
        }
        i += len;
    }
    dst[k] = '\0';
    return k;
}

/* Shorten s (length n) in place by cutting the middle out of its longest
 * words (runs without spaces: paths) until every word has at most 512
 * bytes and the text fits cap bytes with its NUL, so that a path of 64 KiB
 * leaves room for the reason after it (F12).
 * Returns the new length; truncates only when no long word is left. */
static size_t shorten_text(char *s, size_t n, size_t cap)
{
    const size_t minword = 80;   /* a word is kept at least this long */
    const size_t maxword = 512;  /* and at most this long (paths are shorter) */
    for (;;) {
        size_t best = 0, bestlen = 0;
        for (size_t i = 0; i < n;) {
            if (s[i] == ' ') {
                i++;
                continue;
            }
            size_t j = i;
            while (j < n && s[j] != ' ')
                j++;
            if (j - i > bestlen) {
                best = i;
                bestlen = j - i;
            }
            i = j;
        }
        size_t excess = n + 1 > cap ? n + 1 - cap : 0;
        if (bestlen <= minword || (excess == 0 && bestlen <= maxword))
            break;
        size_t want = bestlen > excess + minword ? bestlen - excess : minword;
        if (want > maxword)
            want = maxword;
        size_t keep = want - 3, head = keep / 2, tail = keep - head;
        size_t cut0 = best + head, cut1 = best + bestlen - tail;
        while (cut0 > best && ((unsigned char)s[cut0] & 0xC0) == 0x80)
            cut0--; /* never inside a UTF-8 sequence */
        while (cut1 < best + bestlen && ((unsigned char)s[cut1] & 0xC0) == 0x80)
            cut1++;
        memcpy(s + cut0, "...", 3);
        memmove(s + cut0 + 3, s + cut1, n - cut1 + 1);
        n = n - (cut1 - cut0) + 3;
    }
    if (n + 1 > cap) {
        n = cap - 1;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
        s[n] = '\0';
    }
    return n;
}

/* Format, escape and shorten into dst[cap]. */
static void put_message(char *dst, size_t cap, const char *fmt, va_list ap)
{
    char small[1024], *text = small;
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    if (n < 0) {
        va_end(ap2);
        snprintf(dst, cap, "(bad message format)");
        return;
    }
    if ((size_t)n >= sizeof small) {
        char *big = malloc((size_t)n + 1);
        if (big) {
            vsnprintf(big, (size_t)n + 1, fmt, ap2);
            text = big;
        } else {
            n = (int)sizeof small - 1; /* out of memory: keep what fits */
        }
    }
    va_end(ap2);
    char esc_small[4 * sizeof small + 1], *esc = esc_small;
    if ((size_t)n > sizeof small) {
        esc = malloc(4 * (size_t)n + 1);
        if (!esc) {
            esc = esc_small;
            n = (int)sizeof small;
        }
    }
    size_t len = escape_text(text, (size_t)n, esc);
    len = shorten_text(esc, len, cap);
    memcpy(dst, esc, len + 1);
    if (esc != esc_small)
        free(esc);
    if (text != small)
        free(text);
}

static void put_message_f(char *dst, size_t cap, const char *fmt, ...) BRACT_FORMAT(3, 4);
static void put_message_f(char *dst, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    put_message(dst, cap, fmt, ap);
    va_end(ap);
}

int bract_error(int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    put_message(slot.msg, sizeof slot.msg, fmt, ap);
    va_end(ap);
    return status;
}

int bract_error_context(int status, const char *fmt, ...)
{
    char old[MSG_LEN];
    memcpy(old, slot.msg, sizeof old);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *prefix = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (prefix) {
        va_start(ap, fmt);
        vsnprintf(prefix, (size_t)n + 1, fmt, ap);
        va_end(ap);
        put_message_f(slot.msg, sizeof slot.msg, "%s: %s", prefix, old);
        free(prefix);
    } else {
        put_message_f(slot.msg, sizeof slot.msg, "%s", old);
    }
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
    put_message(slot.warn[slot.nwarn], sizeof slot.warn[0], fmt, ap);
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
