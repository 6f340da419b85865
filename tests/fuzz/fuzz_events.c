/* Fuzz the BIDS events reader (bract_events_read on trial_type, or on the
 * column the first byte names) and the labelling of 64 volumes of 2 s. */
#include "fuzz.h"

static void fz_setup(void) {}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    fz_reset();
    static const char *cols[4] = {"trial_type", "condition", "stim_file", "onset"};
    const char *p = fz_write(fz_is_gzip(data + 1, size - 1) ? "e.tsv.gz" : "e.tsv", data + 1,
                             size - 1);
    bract_events *e = NULL;
    if (bract_events_read(p, cols[data[0] % 4], &e))
        return 0;
    const char *label[64];
    size_t nl, nlate;
    bract_events_timing tm = {2.0, (data[0] >> 2) % 3 == 0 ? 0.0 : 1.5, (data[0] >> 4) & 1};
    bract_events_label_volumes(e, 64, &tm, label, &nl, &nlate);
    bract_events_free(e);
    return 0;
}
