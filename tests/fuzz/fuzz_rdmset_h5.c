/* Fuzz the HDF5 RDM set reader (rsatoolbox's layout).  libhdf5 itself is
 * not instrumented: what this finds inside it is reported upstream's, and
 * bract-rsa(1) says .h5 inputs must be trusted; what it finds in bract
 * (sizes, labels, the layout) is ours. */
#include "fuzz.h"

static void fz_setup(void) {}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_reset();
    const char *p = fz_write("r.h5", data, size);
    bract_rdmset *s = NULL;
    if (bract_rdmset_read(p, &s) == 0)
        bract_rdmset_free(s);
    return 0;
}
