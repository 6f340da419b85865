/* bract/error.h: status codes and the per-thread error slot.
 *
 * Every library function that can fail returns an int status: BRACT_OK (0)
 * on success or a negative BRACT_E* code, and records a message that says
 * what went wrong and where (file, line, column, voxel, region) and what was
 * expected.  The message lives in a thread-local slot: read it with
 * bract_last_error() on the thread that made the call.  Messages are safe
 * to print: bytes that are not printable ASCII or valid UTF-8 (control
 * characters, invalid sequences, C1 controls, bidirectional overrides),
 * which data files can put into a quoted label, appear as \xNN; and a
 * message longer than the slot (2047 bytes) is shortened by cutting the
 * middle out of its longest words, so that a very long path leaves room for
 * the reason.  Warnings (excluded
 * voxels, dropped words, ...) are queued in the same slot; the caller takes
 * them with bract_take_warnings().  The library never prints. */
#ifndef BRACT_ERROR_H
#define BRACT_ERROR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define BRACT_API __attribute__((__visibility__("default")))
#define BRACT_FORMAT(fmt, args) __attribute__((__format__(__printf__, fmt, args)))
#else
#define BRACT_API
#define BRACT_FORMAT(fmt, args)
#endif

enum {
    BRACT_OK = 0,
    BRACT_EINVAL = -1,   /* an argument is out of range or inconsistent */
    BRACT_ENOMEM = -2,   /* out of memory */
    BRACT_EIO = -3,      /* a file cannot be opened, read or written */
    BRACT_EFORMAT = -4,  /* a file is malformed */
    BRACT_EDATA = -5,    /* inputs disagree (grids, lengths, labels) or are unusable */
    BRACT_EEXIST = -6,   /* an output exists and --force was not given */
    BRACT_ENUMERIC = -7, /* a numerical procedure failed */
    BRACT_EMPI = -8      /* an MPI call failed */
};

/* The message recorded by the last failing call on this thread ("" if none). */
BRACT_API const char *bract_last_error(void);

/* A fixed description of a status code ("invalid argument", ...). */
BRACT_API const char *bract_strerror(int status);

/* Record a message for this thread and return `status`, so that a function
 * can `return bract_error(BRACT_EFORMAT, "%s:%zu: ...", ...)`. */
BRACT_API int bract_error(int status, const char *fmt, ...) BRACT_FORMAT(2, 3);

/* Prefix the current message with "<context>: " (for example a file name
 * known only to the caller) and return `status`. */
BRACT_API int bract_error_context(int status, const char *fmt, ...) BRACT_FORMAT(2, 3);

BRACT_API void bract_clear_error(void);

/* Queue a warning on this thread's slot.  At most 64 are kept; later ones
 * are counted and summarised. */
BRACT_API void bract_warn(const char *fmt, ...) BRACT_FORMAT(1, 2);

/* Take the queued warnings: returns their number and sets *msgs to an array
 * of strings valid until the next call on this thread. */
BRACT_API size_t bract_take_warnings(const char *const **msgs);

#ifdef __cplusplus
}
#endif
#endif
