/* Version, initialisation and thread settings. */
#include "base/internal.h"

#include <pthread.h>
#include <stdio.h>

#include <cblas.h>
#include <fftw3.h>
#include <json.h>
#include <lapacke.h>
#include <nifti2_io.h>
#include <omp.h>
#include <zlib.h>
#ifdef BRACT_HAVE_HDF5
#include <hdf5.h>
#endif

const char *bract_version(void) { return BRACT_VERSION; }

static char build_info[1024];
static pthread_once_t build_info_once = PTHREAD_ONCE_INIT;

/* What each library says of itself at run time (the linked library, not
 * the headers); nifticlib and cminpack report no version. */
static void make_build_info(void)
{
    lapack_int major = 0, minor = 0, patch = 0;
    LAPACKE_ilaver(&major, &minor, &patch);
    char hdf5[64] = "HDF5: no (built without it)";
#ifdef BRACT_HAVE_HDF5
    unsigned hmaj = 0, hmin = 0, hrel = 0;
    if (H5get_libversion(&hmaj, &hmin, &hrel) >= 0)
        snprintf(hdf5, sizeof hdf5, "HDF5 %u.%u.%u", hmaj, hmin, hrel);
#endif
    const char *blas = openblas_get_config();
#if _OPENMP >= 202011
    const char *openmp = "5.1";
#elif _OPENMP >= 201811
    const char *openmp = "5.0";
#elif _OPENMP >= 201511
    const char *openmp = "4.5";
#else
    const char *openmp = "yes";
#endif
    snprintf(build_info, sizeof build_info,
             "nifticlib (NIfTI-1 and NIfTI-2 I/O; it reports no version)\n"
             "zlib %s\n"
             "json-c %s\n"
             "%s\n" /* OpenBLAS: version and configuration */
             "LAPACK %d.%d.%d (LAPACKE)\n"
             "FFTW %s\n"
             "cminpack (it reports no version)\n"
             "%s\n"
             "MPI: %s\n"
             "OpenMP: %s\n",
             zlibVersion(), json_c_version(), blas ? blas : "OpenBLAS", (int)major, (int)minor,
             (int)patch, fftw_version, hdf5,
#ifdef BRACT_HAVE_MPI
             "yes",
#else
             "no",
#endif
             openmp);
}

const char *bract_build_info(void)
{
    pthread_once(&build_info_once, make_build_info);
    return build_info;
}

void bract_init(void)
{
    nifti_set_debug_level(0);
    openblas_set_num_threads(1);
}

int bract_set_threads(int n)
{
    if (n < 1)
        n = omp_get_num_procs();
    omp_set_num_threads(n);
    return n;
}

int bract_get_threads(void) { return omp_get_max_threads(); }
