/* Region means of a streamed 4-D series (see bract/extract.h). */
#include "base/internal.h"

#include <math.h>
#include <string.h>
#include "bract/atlas.h"
#include "bract/mask.h"

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

/* One extraction: the inputs, the atlas voxels in ascending order with
 * their region, the sums. */
typedef struct {
    const char *data;
    const bract_progress *progress;
    bract_volume *hdr, *mgeom, *ahdr, *ageom;
    bract_volume_stream *st;
    bract_mask *m;
    bract_atlas *a;
    bract_tseries *ts;
    size_t nreg, nt, nvox, nv, nbad;
    size_t *vox;        /* nv atlas voxels, ascending */
    int *vreg;          /* their regions */
    unsigned char *bad; /* voxels with a non-finite value so far */
    double *vol, *sum;  /* one volume; the region sums of one volume */
    bract_extract_info inf;
} extract_job;

static void job_free(extract_job *j)
{
    bract_volume_stream_close(j->st);
    bract_volume_free(j->hdr);
    bract_volume_free(j->mgeom);
    bract_volume_free(j->ahdr);
    bract_volume_free(j->ageom);
    bract_mask_free(j->m);
    bract_atlas_free(j->a);
    bract_tseries_free(j->ts);
    free(j->vox);
    free(j->vreg);
    free(j->bad);
    free(j->vol);
    free(j->sum);
}

/* The series (streamed), the mask and the atlas, on one grid. */
static int job_open(extract_job *j, const char *atlas, const char *labels_tsv, const char *mask)
{
    int rc = bract_volume_stream_open(j->data, &j->hdr, &j->st);
    if (rc)
        return rc;
    if (mask && ((rc = bract_mask_read(mask, &j->m, &j->mgeom)) ||
                 (rc = bract_volume_same_grid(j->hdr, j->mgeom, 1e-3))))
        return rc;
    if ((rc = bract_volume_read(atlas, BRACT_VOL_HEADER_ONLY, &j->ahdr)) ||
        (rc = bract_volume_same_grid(j->hdr, j->ahdr, 1e-3)) ||
        (rc = bract_atlas_read(atlas, labels_tsv, j->m, &j->a, &j->ageom)))
        return rc;
    j->nreg = j->a->nregions;
    j->nt = (size_t)j->hdr->nt;
    j->nvox = j->hdr->nvox;
    j->inf.nvox_data = j->nvox;
    j->inf.nvol = j->nt;
    j->inf.tr_header = j->hdr->tr;
    j->inf.regions = j->nreg;
    return BRACT_OK;
}

/* The buffers, the output's names, and the regions' ascending voxel lists
 * merged into one ascending list. */
static int job_prepare(extract_job *j)
{
    size_t nreg = j->nreg, nvox = j->nvox, nv = 0;
    const bract_atlas *a = j->a;
    for (size_t r = 0; r < nreg; r++)
        nv += a->nvox[r];
    j->nv = nv;
    j->vox = bract_xmalloc(nv ? nv : 1, sizeof *j->vox, "atlas voxels");
    j->vreg = bract_xmalloc(nv ? nv : 1, sizeof *j->vreg, "atlas voxels");
    j->bad = bract_xcalloc(nv ? nv : 1, 1, "atlas voxels");
    j->vol = bract_xmalloc(nvox, sizeof *j->vol, "one volume");
    bract_tseries_new(j->nt, nreg, &j->ts);
    j->inf.region_nvox = bract_xcalloc(nreg ? nreg : 1, sizeof *j->inf.region_nvox,
                                       "region sizes");
    j->inf.region_label = bract_xcalloc(nreg ? nreg : 1, sizeof *j->inf.region_label,
                                        "region labels");
    j->sum = bract_xcalloc(nreg ? nreg : 1, sizeof *j->sum, "region sums");
    int *map = bract_xmalloc(nvox, sizeof *map, "voxel map");
    if (!j->vox || !j->vreg || !j->bad || !j->vol || !j->ts || !j->inf.region_nvox ||
        !j->inf.region_label || !j->sum || !map) {
        free(map);
        return BRACT_ENOMEM;
    }
    for (size_t i = 0; i < nvox; i++)
        map[i] = -1;
    for (size_t r = 0; r < nreg; r++)
        for (size_t k = 0; k < a->nvox[r]; k++)
            map[a->voxels[r][k]] = (int)r;
    size_t q = 0;
    for (size_t i = 0; i < nvox; i++)
        if (map[i] >= 0) {
            j->vox[q] = i;
            j->vreg[q++] = map[i];
        }
    free(map);
    for (size_t r = 0; r < nreg; r++) {
        char *nm = bract_xstrdup(a->name[r]);
        if (!nm)
            return BRACT_ENOMEM;
        free(j->ts->name[r]);
        j->ts->name[r] = nm;
        j->inf.region_label[r] = a->label[r];
    }
    return BRACT_OK;
}

/* Pass 1: sums of the voxels that have been finite so far. */
static int job_pass1(extract_job *j)
{
    size_t nreg = j->nreg, nt = j->nt;
    for (size_t t = 0; t < nt; t++) {
        int rc = bract_volume_stream_read(j->st, 1, BRACT_F64, j->vol);
        if (rc)
            return rc;
        for (size_t q = 0; q < j->nv; q++)
            if (!j->bad[q] && !isfinite(j->vol[j->vox[q]])) {
                j->bad[q] = 1;
                j->nbad++;
            }
        memset(j->sum, 0, nreg * sizeof *j->sum);
        add_volume(j->vol, j->vreg, j->vox, j->nv, j->nbad ? j->bad : NULL, j->sum);
        for (size_t r = 0; r < nreg; r++)
            j->ts->x[r * nt + t] = j->sum[r];
        bract_progress_report(j->progress, t + 1, nt);
    }
    /* voxels used per region */
    for (size_t q = 0; q < j->nv; q++)
        if (!j->bad[q])
            j->inf.region_nvox[j->vreg[q]]++;
    return BRACT_OK;
}

/* Pass 2: the regions that lost voxels are summed again without them, in
 * the same order, so the result is what a direct computation over the
 * remaining voxels gives. */
static int job_pass2(extract_job *j)
{
    size_t nreg = j->nreg, nt = j->nt;
    unsigned char *redo = bract_xcalloc(nreg, 1, "regions");
    size_t *lost = bract_xcalloc(nreg, sizeof *lost, "regions");
    if (!redo || !lost) {
        free(redo);
        free(lost);
        return BRACT_ENOMEM;
    }
    for (size_t q = 0; q < j->nv; q++)
        if (j->bad[q]) {
            redo[j->vreg[q]] = 1;
            lost[j->vreg[q]]++;
        }
    for (size_t r = 0; r < nreg; r++)
        if (lost[r])
            bract_warn("region %s: %zu of %zu voxels have NaN or infinite values and are "
                       "left out of its mean",
                       j->a->name[r], lost[r], j->a->nvox[r]);
    free(lost);
    bract_volume_stream_close(j->st);
    bract_volume *h2 = NULL;
    j->st = NULL;
    int rc = bract_volume_stream_open(j->data, &h2, &j->st);
    bract_volume_free(h2);
    for (size_t t = 0; t < nt && !rc; t++) {
        if ((rc = bract_volume_stream_read(j->st, 1, BRACT_F64, j->vol)))
            break;
        memset(j->sum, 0, nreg * sizeof *j->sum);
        add_volume(j->vol, j->vreg, j->vox, j->nv, j->bad, j->sum);
        for (size_t r = 0; r < nreg; r++)
            if (redo[r])
                j->ts->x[r * nt + t] = j->sum[r];
        bract_progress_report(j->progress, t + 1, nt);
    }
    free(redo);
    return rc;
}

/* Sums to means; empty, non-finite and constant regions to n/a. */
static void job_means(extract_job *j)
{
    size_t nt = j->nt;
    bract_extract_info *inf = &j->inf;
    const bract_atlas *a = j->a;
    inf->voxels_nonfinite = j->nbad;
    inf->voxels_used = j->nv - j->nbad;
    for (size_t r = 0; r < j->nreg; r++) {
        double *x = j->ts->x + r * nt;
        size_t n = inf->region_nvox[r];
        if (n == 0) {
            if (a->nvox[r] == 0)
                inf->regions_empty++; /* the atlas reader has warned */
            else {
                inf->regions_nonfinite++;
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
            inf->regions_constant++;
            bract_warn("region %s is constant over the %zu volumes (value %g): written as n/a",
                       a->name[r], nt, x[0]);
            for (size_t t = 0; t < nt; t++)
                x[t] = NAN;
        }
    }
}

int bract_extract(const char *data, const char *atlas, const char *labels_tsv, const char *mask,
                  double tr, bract_tseries **out, bract_extract_info *info,
                  const bract_progress *progress)
{
    *out = NULL;
    extract_job j;
    memset(&j, 0, sizeof j);
    j.data = data;
    j.progress = progress;
    int rc = job_open(&j, atlas, labels_tsv, mask);
    if (!rc && !(rc = job_prepare(&j)) && !(rc = job_pass1(&j)) &&
        !(rc = j.nbad ? job_pass2(&j) : BRACT_OK)) {
        job_means(&j);
        j.ts->tr = tr > 0 ? tr : j.hdr->tr;
        *out = j.ts;
        j.ts = NULL;
    }
    job_free(&j);
    if (info && rc == BRACT_OK)
        *info = j.inf;
    else
        bract_extract_info_free(&j.inf);
    return rc;
}
