/* Private helpers shared by the library's modules; never installed. */
#ifndef BRACT_INTERNAL_H
#define BRACT_INTERNAL_H

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700
#endif

#include "bract/bract.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* Allocation that records "out of memory (what, bytes)" in the error slot;
 * the caller returns BRACT_ENOMEM when the result is NULL. */
void *bract_xmalloc(size_t n, size_t size, const char *what);
void *bract_xcalloc(size_t n, size_t size, const char *what);
void *bract_xrealloc(void *p, size_t n, size_t size, const char *what);
char *bract_xstrdup(const char *s);

/* 1 if s ends with suffix (case-insensitive for ASCII). */
int bract_ends_with(const char *s, const char *suffix);

/* The index of s in names[0..n-1] (NULL entries are skipped) in *out, or
 * BRACT_EINVAL with "unknown WHAT 's' (expected one of a, b, c)": the
 * common body of the bract_<enum>_parse functions. */
int bract_name_lookup(const char *s, const char *const *names, size_t n, const char *what,
                      int *out);

/* Growable byte buffer. */
typedef struct {
    char *data;
    size_t len, cap;
} bract_buf;
int bract_buf_reserve(bract_buf *b, size_t extra);
int bract_buf_append(bract_buf *b, const void *p, size_t n);
int bract_buf_printf(bract_buf *b, const char *fmt, ...) BRACT_FORMAT(2, 3);
void bract_buf_free(bract_buf *b);

/* Read a whole file, transparently gunzipping .gz content (by magic, not
 * name).  On success *data is NUL-terminated and owned by the caller. */
int bract_read_file(const char *path, char **data, size_t *len);

/* RDM sets as HDF5 in rsatoolbox's layout (rdmset_h5.c); bract_rdmset_read
 * and bract_rdmset_write dispatch to them. */
int bract_rdmset_read_hdf5(const char *path, bract_rdmset **out);
int bract_rdmset_write_hdf5(const bract_rdmset *s, const char *path, int force);

#endif
