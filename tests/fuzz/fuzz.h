/* Shared by the libFuzzer harnesses in tests/fuzz/ (see README.md there).
 *
 * The readers take paths, so every input is written to a file in a
 * private temporary directory made once per process and removed at exit.
 * Each harness defines LLVMFuzzerTestOneInput; LLVMFuzzerInitialize is
 * defined here (harnesses add to it through fz_setup, when they need a
 * scratch tree). */
#ifndef BRACT_FUZZ_H
#define BRACT_FUZZ_H

#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700
#endif

#include <ftw.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bract/bract.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fz_dir[512];

static int fz_rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static inline void fz_cleanup(void)
{
    if (fz_dir[0])
        nftw(fz_dir, fz_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The path of `name` in the scratch directory (a static buffer per slot:
 * up to 4 paths are valid at once). */
static inline const char *fz_path(const char *name)
{
    static char buf[4][1024];
    static int k;
    k = (k + 1) & 3;
    snprintf(buf[k], sizeof buf[k], "%s/%s", fz_dir, name);
    return buf[k];
}

/* Write the input to `name` in the scratch directory; its path. */
static inline const char *fz_write(const char *name, const uint8_t *data, size_t size)
{
    const char *p = fz_path(name);
    FILE *f = fopen(p, "wb");
    if (!f)
        abort();
    if (size && fwrite(data, 1, size, f) != size)
        abort();
    if (fclose(f) != 0)
        abort();
    return p;
}

/* 1 if the input starts like a gzip stream. */
static inline int fz_is_gzip(const uint8_t *data, size_t size)
{
    return size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
}

/* Take and drop warnings and the error message, so that every input starts
 * clean (and the warning queue is exercised). */
static inline void fz_reset(void)
{
    const char *const *w;
    bract_take_warnings(&w);
    bract_clear_error();
}

/* Optional per-harness setup, run once with the scratch directory made. */
static void fz_setup(void);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *base = getenv("TMPDIR");
    snprintf(fz_dir, sizeof fz_dir, "%s/bract-fuzz-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(fz_dir))
        abort();
    atexit(fz_cleanup);
    fz_setup();
    return 0;
}

#endif
