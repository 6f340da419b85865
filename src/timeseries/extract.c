/* Region means of a streamed 4-D series (see bract/extract.h). */
#include "base/internal.h"

#include <math.h>
#include <string.h>

void bract_extract_info_free(bract_extract_info *info)
{
    if (!info)
        return;
    free(info->region_nvox);
    free(info->region_label);
    info->region_nvox = NULL;
    info->region_label = NULL;
}

/* Sums over the voxels with region[i] >= 0 and !bad[i], one volume. */
static void add_volume(const double *x, const int *vreg, const size_t *vox, size_t nv,
                       const unsigned char *skip, double *sum)
{
    for (size_t q = 0; q < nv; q++)
        if (!skip || !skip[q])
            sum[vreg[q]] += x[vox[q]];
}

int bract_extract(const char *data, const char *atlas, const char *labels_tsv, const char *mask,
                  double tr, bract_tseries **out, bract_extract_info *info,
                  const bract_progress *progress)
{
    *out = NULL;
    bract_extract_info inf;
    memset(&inf, 0, sizeof inf);
    bract_volume *hdr = NULL, *mgeom = NULL, *ahdr = NULL, *ageom = NULL;
    bract_volume_stream *st = NULL;
    bract_mask *m = NULL;
    bract_atlas *a = NULL;
    bract_tseries *ts = NULL;
    size_t *vox = NULL;
    int *vreg = NULL;
    unsigned char *bad = NULL;
    double *vol = NULL;
    int rc = bract_volume_stream_open(data, &hdr, &st);
    if (rc)
        goto done;
    if (mask) {
        if ((rc = bract_mask_read(mask, &m, &mgeom)) ||
            (rc = bract_volume_same_grid(hdr, mgeom, 1e-3)))
            goto done;
    }
    if ((rc = bract_volume_read(atlas, BRACT_VOL_HEADER_ONLY, &ahdr)) ||
        (rc = bract_volume_same_grid(hdr, ahdr, 1e-3)) ||
        (rc = bract_atlas_read(atlas, labels_tsv, m, &a, &ageom)))
        goto done;
    size_t nreg = a->nregions, nt = (size_t)hdr->nt, nvox = hdr->nvox;
    inf.nvox_data = nvox;
    inf.nvol = nt;
    inf.tr_header = hdr->tr;
    inf.regions = nreg;
    /* atlas voxels in ascending order with their region */
    size_t nv = 0;
    for (size_t r = 0; r < nreg; r++)
        nv += a->nvox[r];
    vox = bract_xmalloc(nv ? nv : 1, sizeof *vox, "atlas voxels");
    vreg = bract_xmalloc(nv ? nv : 1, sizeof *vreg, "atlas voxels");
    bad = bract_xcalloc(nv ? nv : 1, 1, "atlas voxels");
    vol = bract_xmalloc(nvox, sizeof *vol, "one volume");
    ts = bract_tseries_alloc(nt, nreg);
    inf.region_nvox = bract_xcalloc(nreg ? nreg : 1, sizeof *inf.region_nvox, "region sizes");
    inf.region_label = bract_xcalloc(nreg ? nreg : 1, sizeof *inf.region_label, "region labels");
    double *sum = bract_xcalloc(nreg ? nreg : 1, sizeof *sum, "region sums");
    if (!vox || !vreg || !bad || !vol || !ts || !inf.region_nvox || !inf.region_label || !sum) {
        free(sum);
        rc = BRACT_ENOMEM;
        goto done;
    }
    {
        /* merge the regions' ascending voxel lists into one ascending list */
        int *map = bract_xmalloc(nvox, sizeof *map, "voxel map");
        if (!map) {
            free(sum);
            rc = BRACT_ENOMEM;
            goto done;
        }
        for (size_t i = 0; i < nvox; i++)
            map[i] = -1;
        for (size_t r = 0; r < nreg; r++)
            for (size_t k = 0; k < a->nvox[r]; k++)
                map[a->voxels[r][k]] = (int)r;
        size_t q = 0;
        for (size_t i = 0; i < nvox; i++)
            if (map[i] >= 0) {
                vox[q] = i;
                vreg[q++] = map[i];
            }
        free(map);
    }
    for (size_t r = 0; r < nreg; r++) {
        char *nm = bract_xstrdup(a->name[r]);
        if (!nm) {
            free(sum);
            rc = BRACT_ENOMEM;
            goto done;
        }
        free(ts->name[r]);
        ts->name[r] = nm;
        inf.region_label[r] = a->label[r];
    }
    /* pass 1: sums of the voxels that have been finite so far */
    size_t nbad = 0;
    for (size_t t = 0; t < nt; t++) {
        if ((rc = bract_volume_stream_read(st, 1, BRACT_F64, vol))) {
            free(sum);
            goto done;
        }
        for (size_t q = 0; q < nv; q++)
            if (!bad[q] && !isfinite(vol[vox[q]])) {
                bad[q] = 1;
                nbad++;
            }
        memset(sum, 0, nreg * sizeof *sum);
        add_volume(vol, vreg, vox, nv, nbad ? bad : NULL, sum);
        for (size_t r = 0; r < nreg; r++)
            ts->x[r * nt + t] = sum[r];
        bract_progress_report(progress, t + 1, nt);
    }
    /* voxels used per region */
    for (size_t q = 0; q < nv; q++)
        if (!bad[q])
            inf.region_nvox[vreg[q]]++;
    if (nbad) {
        /* pass 2: the regions that lost voxels are summed again without them,
         * in the same order, so the result is what a direct computation
         * over the remaining voxels gives */
        unsigned char *redo = bract_xcalloc(nreg, 1, "regions");
        size_t *lost = bract_xcalloc(nreg, sizeof *lost, "regions");
        if (!redo || !lost) {
            free(redo);
            free(lost);
            free(sum);
            rc = BRACT_ENOMEM;
            goto done;
        }
        for (size_t q = 0; q < nv; q++)
            if (bad[q]) {
                redo[vreg[q]] = 1;
                lost[vreg[q]]++;
            }
        for (size_t r = 0; r < nreg; r++)
            if (lost[r])
                bract_warn("region %s: %zu of %zu voxels have NaN or infinite values and are "
                           "left out of its mean",
                           a->name[r], lost[r], a->nvox[r]);
        free(lost);
        bract_volume_stream_close(st);
        bract_volume *h2 = NULL;
        st = NULL;
        rc = bract_volume_stream_open(data, &h2, &st);
        bract_volume_free(h2);
        if (rc) {
            free(redo);
            free(sum);
            goto done;
        }
        for (size_t t = 0; t < nt; t++) {
            if ((rc = bract_volume_stream_read(st, 1, BRACT_F64, vol))) {
                free(redo);
                free(sum);
                goto done;
            }
            memset(sum, 0, nreg * sizeof *sum);
            add_volume(vol, vreg, vox, nv, bad, sum);
            for (size_t r = 0; r < nreg; r++)
                if (redo[r])
                    ts->x[r * nt + t] = sum[r];
            bract_progress_report(progress, t + 1, nt);
        }
        free(redo);
    }
    free(sum);
    inf.voxels_nonfinite = nbad;
    inf.voxels_used = nv - nbad;
    for (size_t r = 0; r < nreg; r++) {
        double *x = ts->x + r * nt;
        size_t n = inf.region_nvox[r];
        if (n == 0) {
            if (a->nvox[r] == 0)
                inf.regions_empty++; /* the atlas reader has warned */
            else {
                inf.regions_nonfinite++;
                bract_warn("region %s has no finite voxel: written as n/a", a->name[r]);
            }
            for (size_t t = 0; t < nt; t++)
                x[t] = NAN;
            continue;
        }
        int constant = 1;
        for (size_t t = 0; t < nt; t++) {
            x[t] /= (double)n;
            if (x[t] != x[0])
                constant = 0;
        }
        if (constant && nt > 1) {
            inf.regions_constant++;
            bract_warn("region %s is constant over the %zu volumes (value %g): written as n/a",
                       a->name[r], nt, x[0]);
            for (size_t t = 0; t < nt; t++)
                x[t] = NAN;
        }
    }
    ts->tr = tr > 0 ? tr : hdr->tr;
    *out = ts;
    ts = NULL;
done:
    bract_volume_stream_close(st);
    bract_volume_free(hdr);
    bract_volume_free(mgeom);
    bract_volume_free(ahdr);
    bract_volume_free(ageom);
    bract_mask_free(m);
    bract_atlas_free(a);
    bract_tseries_free(ts);
    free(vox);
    free(vreg);
    free(bad);
    free(vol);
    if (info && rc == BRACT_OK)
        *info = inf;
    else
        bract_extract_info_free(&inf);
    return rc;
}
