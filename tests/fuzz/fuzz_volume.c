/* Fuzz the NIfTI readers: bract_volume_read (double and float storage),
 * bract_mask_read, bract_atlas_read (alone and within its mask) and the
 * volume stream, chosen by the first byte; the rest is the file, named
 * .nii.gz when it starts like gzip, else .nii. */
#include "fuzz.h"
#include "bract/atlas.h"
#include "bract/mask.h"

static void fz_setup(void) {}

static void use_volume(const bract_volume *v)
{
    bract_volume_stats st;
    if (v->data)
        bract_volume_summary(v, &st);
    char ax[4];
    bract_volume_axcodes(v, ax);
    double xyz[3];
    bract_volume_voxel_mm(v, (double)(v->nx - 1), (double)(v->ny - 1), (double)(v->nz - 1), xyz);
    bract_volume_same_grid(v, v, 1e-3);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    fz_reset();
    int mode = data[0] % 6;
    const char *p = fz_write(fz_is_gzip(data + 1, size - 1) ? "v.nii.gz" : "v.nii", data + 1,
                             size - 1);
    bract_volume *v = NULL;
    bract_mask *m = NULL;
    bract_atlas *a = NULL;
    switch (mode) {
    case 0:
    case 1:
        if (bract_volume_read(p, mode ? BRACT_VOL_FLOAT32 : 0, &v) == 0)
            use_volume(v);
        break;
    case 2:
        if (bract_mask_read(p, &m, &v) == 0)
            use_volume(v);
        break;
    case 3:
        bract_atlas_read(p, NULL, NULL, &a, NULL);
        break;
    case 4:
        if (bract_mask_read(p, &m, NULL) == 0)
            bract_atlas_read(p, NULL, m, &a, &v);
        break;
    default: {
        bract_volume_stream *s = NULL;
        if (bract_volume_stream_open(p, &v, &s) == 0) {
            float *buf = malloc(v->nvox * sizeof *buf);
            if (!buf)
                abort();
            for (int64_t t = 0; t < v->nt; t++)
                if (bract_volume_stream_read(s, 1, BRACT_F32, buf))
                    break;
            free(buf);
            bract_volume_stream_close(s);
        }
        break;
    }
    }
    if (a && a->nregions)
        bract_atlas_find(a, a->name[0]);
    bract_atlas_free(a);
    bract_mask_free(m);
    bract_volume_free(v);
    return 0;
}
