/* Fuzz JSON sidecars as the report and the pipeline read them
 * (bract_sidecar_read_params). */
#include "fuzz.h"

static void fz_setup(void) {}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_reset();
    const char *p = fz_write("s.json", data, size);
    char *params = NULL;
    if (bract_sidecar_read_params(p, &params) == 0)
        free(params);
    return 0;
}
