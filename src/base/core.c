/* Version, initialisation and thread settings. */
#include "base/internal.h"

#include <stdio.h>

#include <cblas.h>
#include <json.h>
#include <nifti2_io.h>
#include <omp.h>
#include <zlib.h>

const char *bract_version(void) { return BRACT_VERSION; }

const char *bract_build_info(void)
{
    return "nifticlib " "3 (nifti2_io)" "\n"
           "zlib " ZLIB_VERSION "\n"
           "json-c " JSON_C_VERSION "\n"
#ifdef BRACT_HAVE_MPI
           "MPI: yes\n"
#else
           "MPI: no\n"
#endif
           "OpenMP: " 
#if _OPENMP >= 201511
           "4.5"
#else
           "yes"
#endif
           "\n";
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
