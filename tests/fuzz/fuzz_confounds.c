/* Fuzz the GLM's confounds reader (bract_nuisance_new) as bract glm calls
 * it on fMRIPrep's desc-confounds_timeseries.tsv and its JSON sidecar.
 * Byte 0 picks the strategies (a bit each: motion6, motion24, wm_csf,
 * global, acompcor, scrub) and demeaning; byte 1 the column patterns, the
 * number of aCompCor components and the scrub thresholds.  The rest is the
 * table, then, after a 0xFF byte (never in a valid UTF-8 table), the JSON
 * sidecar; without one the sidecar is absent. */
#include "fuzz.h"

static void fz_setup(void) {}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    fz_reset();
    unsigned a = data[0], b = data[1];
    data += 2;
    size -= 2;
    const uint8_t *sep = memchr(data, 0xFF, size);
    size_t tlen = sep ? (size_t)(sep - data) : size;
    const char *tsv = fz_write("c_desc-confounds_timeseries.tsv", data, tlen);
    const char *json = fz_path("c_desc-confounds_timeseries.json");
    if (sep)
        fz_write("c_desc-confounds_timeseries.json", sep + 1, size - tlen - 1);
    else
        remove(json);
    static const bract_nuisance_strategy all[6] = {
        BRACT_NUISANCE_MOTION6, BRACT_NUISANCE_MOTION24, BRACT_NUISANCE_WM_CSF,
        BRACT_NUISANCE_GLOBAL,  BRACT_NUISANCE_ACOMPCOR, BRACT_NUISANCE_SCRUB};
    bract_nuisance_strategy st[6];
    size_t nst = 0;
    for (int k = 0; k < 6; k++)
        if (a & (1u << k))
            st[nst++] = all[k];
    static const char *const pats[4][2] = {
        {"trans_*", "rot_?"}, {"csf", "white_matter"}, {"*", NULL}, {"[", "cosine*"}};
    size_t np = (b & 3) == 2 ? 1 : 2;
    bract_nuisance_opts o;
    bract_nuisance_opts_defaults(&o);
    o.strategies = st;
    o.nstrategies = nst;
    o.columns = (b & 4) ? pats[b & 3] : NULL;
    o.ncolumns = (b & 4) ? np : 0;
    o.demean = (a >> 6) & 1;
    o.n_compcor = (b >> 3) & 3;
    o.fd_threshold = (b & 32) ? 0.5 : 0.2;
    o.std_dvars_threshold = (b & 64) ? 1.5 : 3;
    o.scrub_segment = (b & 128) ? 1 : 5;
    bract_nuisance *c = NULL;
    if (bract_nuisance_new(tsv, &o, &c) == 0) {
        /* every number and name is readable */
        volatile double sum = 0;
        for (size_t i = 0; i < c->nrows * c->ncols; i++)
            sum += c->x[i];
        for (size_t j = 0; j < c->ncols; j++)
            sum += (double)strlen(c->name[j]);
        for (size_t j = 0; j < c->nfilled; j++)
            sum += (double)strlen(c->filled[j]);
        for (size_t i = 0; i < c->nrows; i++)
            sum += c->keep[i];
        (void)sum;
        bract_nuisance_free(c);
    }
    return 0;
}
