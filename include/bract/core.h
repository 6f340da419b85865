/* bract/core.h: version, start-up and threads. */
#ifndef BRACT_CORE_H
#define BRACT_CORE_H

#include "bract/error.h"
#include "bract/version.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The library's version string, e.g. "0.1.0": the BRACT_VERSION of the
 * library actually linked (bract/version.h has the one compiled against). */
BRACT_API const char *bract_version(void);

/* The libraries libbract runs with, one per line, each with the version it
 * reports at run time (nifticlib and cminpack report none): nifticlib,
 * zlib, json-c, OpenBLAS (its configuration string), LAPACK, FFTW,
 * cminpack, HDF5 (or "HDF5: no" in a build without it), MPI, OpenMP.  The
 * figures library's cairo and pango are not listed. */
BRACT_API const char *bract_build_info(void);

/* Once, before any threads: silence nifticlib's own messages and make BLAS
 * single-threaded (bract parallelises above BLAS with OpenMP; a threaded
 * BLAS inside workers oversubscribes the cores and makes eigen-solvers
 * differ bitwise between runs). */
BRACT_API void bract_init(void);

/* Number of OpenMP threads for bract's parallel stages (n < 1: all cores).
 * Returns the number in effect. */
BRACT_API int bract_set_threads(int n);
BRACT_API int bract_get_threads(void);

#ifdef __cplusplus
}
#endif
#endif
