/* Helpers shared by the Check unit tests. */
#ifndef BRACT_TESTUTIL_H
#define BRACT_TESTUTIL_H

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <check.h>
#include <stddef.h>

#include "bract/bract.h"

/* Test data root (the tests run from the top of the tree). */
#define TESTDATA "testdata"
#define REFDATA "testdata/reference"

/* A fresh temporary directory (removed by tu_rmtree). */
char *tu_tmpdir(void);
void tu_rmtree(const char *dir);
/* dir + "/" + name, malloc'd. */
char *tu_join(const char *dir, const char *name);
int tu_exists(const char *path);
/* Whole file as a NUL-terminated string (NULL if unreadable). */
char *tu_slurp(const char *path);
void tu_write(const char *path, const char *text);
/* Number of entries in dir other than . and .. */
int tu_count_entries(const char *dir);
/* 1 if `hay` contains `needle` (and prints both otherwise, for diagnosis). */
int tu_contains(const char *hay, const char *needle);

/* Assert that the last library error contains `needle`. */
#define ck_assert_error_has(needle)                                                   \
    ck_assert_msg(tu_contains(bract_last_error(), (needle)),                         \
                  "error message \"%s\" lacks \"%s\"", bract_last_error(), (needle))

/* Run one suite, print Check's summary, return the exit status for main(). */
int tu_run(Suite *s);

#endif
