/* NIfTI volumes through nifticlib: reading with scaling, float32 writing,
 * grid checks, masks and label atlases. */
#define _DEFAULT_SOURCE /* madvise(MADV_HUGEPAGE) */
#include "base/internal.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <zlib.h>

#include <nifti2_io.h>
#include "bract/atlas.h"
#include "bract/mask.h"

static pthread_once_t nifti_once = PTHREAD_ONCE_INIT;
static void nifti_quiet(void) { nifti_set_debug_level(0); }

/* ---- raw header checks: clear messages before nifticlib sees the file ---- */

static uint16_t swap16(uint16_t x) { return (uint16_t)((x >> 8) | (x << 8)); }
static uint32_t swap32(uint32_t x)
{
    return (x >> 24) | ((x >> 8) & 0xff00u) | ((x << 8) & 0xff0000u) | (x << 24);
}
static uint64_t swap64(uint64_t x)
{
    return ((uint64_t)swap32((uint32_t)x) << 32) | swap32((uint32_t)(x >> 32));
}

static int is_analyze_pair(const char *path)
{
    return bract_ends_with(path, ".hdr") || bract_ends_with(path, ".hdr.gz") ||
           bract_ends_with(path, ".img") || bract_ends_with(path, ".img.gz");
}

/* What bract takes from the raw header bytes rather than from nifticlib,
 * which replaces a voxel size or TR of 0 or NaN by 1 (F6). */
typedef struct {
    int version;      /* 1, 2, or 0 for ANALYZE 7.5 */
    int64_t dim[8];
    double pixdim[8];
} raw_header;

/* a * b into *out, or 0 when the product does not fit in int64 (and, on a
 * 32-bit system, in size_t) */
static int mul_ok(int64_t a, int64_t b, int64_t *out)
{
    int64_t r;
    if (__builtin_mul_overflow(a, b, &r) || (uint64_t)r > (uint64_t)SIZE_MAX)
        return 0;
    *out = r;
    return 1;
}

/* Check size, magic and dimensions from the raw header bytes: every
 * dimension >= 1, and the voxels and bytes they describe countable (no
 * overflow) before nifticlib or bract multiplies them (F1). */
static int precheck_header(const char *path, raw_header *raw)
{
    char hpath[4096];
    snprintf(hpath, sizeof hpath, "%s", path);
    size_t n = strlen(hpath);
    if (bract_ends_with(hpath, ".img"))
        memcpy(hpath + n - 4, ".hdr", 4);
    else if (bract_ends_with(hpath, ".img.gz"))
        memcpy(hpath + n - 7, ".hdr.gz", 7);

    struct stat st;
    if (stat(hpath, &st) != 0)
        return bract_error(BRACT_EIO, "%s: cannot open: %s", hpath, strerror(errno));
    if (S_ISDIR(st.st_mode))
        return bract_error(BRACT_EIO, "%s: is a directory, expected a NIfTI file", hpath);
    if (!S_ISREG(st.st_mode)) /* a FIFO would block here, and is read twice */
        return bract_error(BRACT_EIO, "%s: not a regular file (a pipe or device); NIfTI files "
                           "are read from disk", hpath);
    gzFile f = gzopen(hpath, "rb");
    if (!f)
        return bract_error(BRACT_EIO, "%s: cannot open: %s", hpath, strerror(errno));
    unsigned char h[540];
    int got = gzread(f, h, sizeof h);
    gzclose(f);
    if (got < 0)
        return bract_error(BRACT_EFORMAT, "%s: not a NIfTI file: unreadable or corrupt gzip data",
                           hpath);
    if (got < 4)
        return bract_error(BRACT_EFORMAT,
                           "%s: not a NIfTI file: only %d bytes (a NIfTI header has 348 or 540)",
                           hpath, got);
    uint32_t sz;
    memcpy(&sz, h, 4);
    int swap = 0;
    if (sz != 348 && sz != 540) {
        if (swap32(sz) == 348 || swap32(sz) == 540) {
            swap = 1;
            sz = swap32(sz);
        } else {
            return bract_error(BRACT_EFORMAT,
                               "%s: not a NIfTI file: the first 4 bytes give a header size of "
                               "%u (expected 348 for NIfTI-1 or 540 for NIfTI-2)",
                               hpath, sz);
        }
    }
    if ((uint32_t)got < sz)
        return bract_error(BRACT_EFORMAT,
                           "%s: truncated header: %d bytes, expected %u", hpath, got, sz);
    int64_t *dim = raw->dim;
    double *pixdim = raw->pixdim;
    int16_t datatype;
    if (sz == 348) {
        const char *m = (const char *)h + 344;
        if (memcmp(m, "n+1", 4) == 0 || memcmp(m, "ni1", 4) == 0) {
            raw->version = 1;
        } else if (is_analyze_pair(path)) {
            raw->version = 0; /* ANALYZE 7.5 .hdr/.img */
        } else {
            char shown[20];
            size_t k = 0;
            for (int i = 0; i < 4 && m[i] && k + 5 < sizeof shown; i++) {
                unsigned char c = (unsigned char)m[i];
                if (c >= 32 && c < 127)
                    shown[k++] = (char)c;
                else
                    k += (size_t)snprintf(shown + k, sizeof shown - k, "\\x%02x", c);
            }
            shown[k] = '\0';
            return bract_error(BRACT_EFORMAT,
                               "%s: not a NIfTI file: bad magic \"%s\" at byte 344 "
                               "(expected \"n+1\" for a .nii file)",
                               hpath, shown);
        }
        for (int i = 0; i < 8; i++) {
            uint16_t d;
            memcpy(&d, h + 40 + 2 * i, 2);
            dim[i] = (int16_t)(swap ? swap16(d) : d);
            uint32_t u;
            float fl;
            memcpy(&u, h + 76 + 4 * i, 4);
            if (swap)
                u = swap32(u);
            memcpy(&fl, &u, 4);
            pixdim[i] = fl;
        }
        uint16_t d;
        memcpy(&d, h + 70, 2);
        datatype = (int16_t)(swap ? swap16(d) : d);
    } else {
        const char *m = (const char *)h + 4;
        if (memcmp(m, "n+2", 4) != 0 && memcmp(m, "ni2", 4) != 0)
            return bract_error(BRACT_EFORMAT,
                               "%s: not a NIfTI file: header size 540 but bad magic at byte 4 "
                               "(expected \"n+2\")",
                               hpath);
        raw->version = 2;
        for (int i = 0; i < 8; i++) {
            uint64_t d;
            memcpy(&d, h + 16 + 8 * i, 8);
            dim[i] = (int64_t)(swap ? swap64(d) : d);
            memcpy(&d, h + 104 + 8 * i, 8);
            if (swap)
                d = swap64(d);
            memcpy(&pixdim[i], &d, 8);
        }
        uint16_t d;
        memcpy(&d, h + 12, 2);
        datatype = (int16_t)(swap ? swap16(d) : d);
    }
    if (dim[0] < 1 || dim[0] > 7)
        return bract_error(BRACT_EFORMAT,
                           "%s: bad header: dim[0] = %lld (the number of dimensions must be "
                           "1 to 7)",
                           hpath, (long long)dim[0]);
    for (int i = 1; i <= dim[0]; i++)
        if (dim[i] < 1)
            return bract_error(BRACT_EFORMAT,
                               "%s: bad header: dim[%d] = %lld (every dimension must be at "
                               "least 1)",
                               hpath, i, (long long)dim[i]);
    for (int i = 5; i <= dim[0]; i++)
        if (dim[i] > 1)
            return bract_error(BRACT_EFORMAT,
                               "%s: %lld-D image (dim[%d] = %lld): bract reads 3-D volumes and "
                               "4-D series",
                               hpath, (long long)dim[0], i, (long long)dim[i]);
    /* voxels, then bytes: each product checked before it is formed */
    int64_t nvox = 1, bytes;
    int nbyper = 0, swapsize = 0;
    nifti_datatype_sizes(datatype, &nbyper, &swapsize);
    int ok = 1;
    for (int i = 1; i <= dim[0] && i <= 4 && ok; i++)
        ok = mul_ok(nvox, dim[i], &nvox);
    if (ok)
        ok = mul_ok(nvox, nbyper > 0 ? nbyper : 1, &bytes);
    if (!ok) {
        char shape[128];
        size_t k = 0;
        for (int i = 1; i <= dim[0] && i <= 4 && k < sizeof shape; i++)
            k += (size_t)snprintf(shape + k, sizeof shape - k, "%s%lld", i > 1 ? " x " : "",
                                  (long long)dim[i]);
        return bract_error(BRACT_EFORMAT,
                           "%s: bad header: the dimensions %s overflow (their product of "
                           "voxels or bytes exceeds 2^63)",
                           hpath, shape);
    }
    return BRACT_OK;
}

/* ---- conversion ---- */

const char *bract_volume_datatype_name(int dt)
{
    switch (dt) {
    case DT_UINT8: return "UINT8";
    case DT_INT8: return "INT8";
    case DT_INT16: return "INT16";
    case DT_UINT16: return "UINT16";
    case DT_INT32: return "INT32";
    case DT_UINT32: return "UINT32";
    case DT_INT64: return "INT64";
    case DT_UINT64: return "UINT64";
    case DT_FLOAT32: return "FLOAT32";
    case DT_FLOAT64: return "FLOAT64";
    case DT_FLOAT128: return "FLOAT128";
    case DT_COMPLEX64: return "COMPLEX64";
    case DT_COMPLEX128: return "COMPLEX128";
    case DT_COMPLEX256: return "COMPLEX256";
    case DT_RGB24: return "RGB24";
    case DT_RGBA32: return "RGBA32";
    case DT_BINARY: return "BINARY";
    default: return "UNKNOWN";
    }
}

const char *bract_volume_intent_name(int code)
{
    if (code == 0)
        return "NONE";
    const char *s = nifti_intent_string(code);
    /* nifticlib returns prose ("Correlation statistic"); give the code name. */
    switch (code) {
    case NIFTI_INTENT_CORREL: return "CORREL";
    case NIFTI_INTENT_TTEST: return "TTEST";
    case NIFTI_INTENT_FTEST: return "FTEST";
    case NIFTI_INTENT_ZSCORE: return "ZSCORE";
    case NIFTI_INTENT_CHISQ: return "CHISQ";
    case NIFTI_INTENT_PVAL: return "PVAL";
    case NIFTI_INTENT_LOGPVAL: return "LOGPVAL";
    case NIFTI_INTENT_LOG10PVAL: return "LOG10PVAL";
    case NIFTI_INTENT_ESTIMATE: return "ESTIMATE";
    case NIFTI_INTENT_LABEL: return "LABEL";
    case NIFTI_INTENT_NEURONAME: return "NEURONAME";
    case NIFTI_INTENT_SYMMATRIX: return "SYMMATRIX";
    case NIFTI_INTENT_VECTOR: return "VECTOR";
    default: return s ? s : "UNKNOWN";
    }
}

/* Defined with the stream reader below: the one place voxel bytes are read
 * and converted (nifticlib's loader would turn NaN and infinity into 0). */
static int read_all_volumes(bract_volume *v, const char *path);

static double unit_to_mm(int units)
{
    switch (units) {
    case NIFTI_UNITS_METER: return 1000.0;
    case NIFTI_UNITS_MICRON: return 0.001;
    default: return 1.0; /* mm, or unknown: assume mm as every reader does */
    }
}

/* NIfTI-1 stores voxel sizes, TR and the sform in float32: 0.72 s is held as
 * 0.72000002861...  Give the double nearest the shortest decimal that maps to
 * the same float, which is what the writer meant (nibabel prints 0.72 too). */
static double f32_decimal(double x)
{
    float f = (float)x;
    if ((double)f != x || !isfinite(x))
        return x; /* not a float32 value: keep it */
    char buf[32];
    for (int p = 1; p <= 9; p++) {
        snprintf(buf, sizeof buf, "%.*g", p, x);
        double d = strtod(buf, NULL);
        if ((float)d == f)
            return d;
    }
    return x;
}

/* Fill the public fields from a nifticlib header. */
static void fill_from_nim(bract_volume *v, const nifti_image *nim)
{
    v->nx = nim->nx > 0 ? nim->nx : 1;
    v->ny = nim->dim[0] >= 2 && nim->ny > 0 ? nim->ny : 1;
    v->nz = nim->dim[0] >= 3 && nim->nz > 0 ? nim->nz : 1;
    v->nt = nim->dim[0] >= 4 && nim->nt > 0 ? nim->nt : 1;
    v->ndim = v->nt > 1 ? 4 : 3;
    v->nvox = (size_t)(v->nx * v->ny * v->nz);
    double s = unit_to_mm(nim->xyz_units);
    v->vox_mm[0] = fabs(nim->dx) * s;
    v->vox_mm[1] = nim->dim[0] >= 2 ? fabs(nim->dy) * s : 1.0;
    v->vox_mm[2] = nim->dim[0] >= 3 ? fabs(nim->dz) * s : 1.0;
    v->tr = 0.0;
    if (nim->dim[0] >= 4 && nim->nt > 1 && isfinite(nim->dt) && nim->dt > 0) {
        switch (nim->time_units) {
        case NIFTI_UNITS_MSEC: v->tr = nim->dt / 1000.0; break;
        case NIFTI_UNITS_USEC: v->tr = nim->dt / 1e6; break;
        case NIFTI_UNITS_HZ:
        case NIFTI_UNITS_PPM:
        case NIFTI_UNITS_RADS: v->tr = 0.0; break;
        default: v->tr = nim->dt; break; /* seconds, or unknown: seconds */
        }
    }
    v->datatype = nim->datatype;
    v->scl_slope = nim->scl_slope;
    v->scl_inter = nim->scl_inter;
    v->scaled = nim->scl_slope != 0.0 && isfinite(nim->scl_slope);
    v->intent_code = nim->intent_code;
    v->intent_p[0] = nim->intent_p1;
    v->intent_p[1] = nim->intent_p2;
    v->intent_p[2] = nim->intent_p3;
    memcpy(v->intent_name, nim->intent_name, 16);
    v->intent_name[16] = '\0';
    memcpy(v->descrip, nim->descrip, 80);
    v->descrip[80] = '\0';
    v->qform_code = nim->qform_code;
    v->sform_code = nim->sform_code;
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) {
            double r = i < 3 ? s : 1.0;
            v->qform[i][j] = nim->qto_xyz.m[i][j] * r;
            v->sform[i][j] = nim->sto_xyz.m[i][j] * r;
        }
    if (v->nifti_version < 2) {
        for (int i = 0; i < 3; i++) {
            v->vox_mm[i] = f32_decimal(v->vox_mm[i]);
            for (int j = 0; j < 4; j++)
                v->sform[i][j] = f32_decimal(v->sform[i][j]);
        }
        v->tr = f32_decimal(v->tr);
    }
    double(*a)[4] = nim->sform_code > 0 ? v->sform : v->qform;
    memcpy(v->affine, a, sizeof v->affine);
    if (nim->sform_code <= 0 && nim->qform_code <= 0) {
        /* NIfTI "method 1": voxel size only. */
        memset(v->affine, 0, sizeof v->affine);
        for (int i = 0; i < 3; i++)
            v->affine[i][i] = v->vox_mm[i];
        v->affine[3][3] = 1.0;
    }
}

/* Voxel size and TR from the raw header (F6): nifticlib turned 0 or NaN
 * into 1.  A voxel size of 0 or NaN along a dimension of the image is an
 * error; a TR of 0 or NaN means the TR is unknown (commands then ask for
 * --tr), and the header kept for writing says so too. */
static int check_raw_sizes(const char *path, const raw_header *raw, bract_volume *v,
                           nifti_image *nim)
{
    for (int i = 1; i <= 3 && i <= raw->dim[0]; i++) {
        double p = raw->pixdim[i];
        if (p == 0 || !isfinite(p))
            return bract_error(BRACT_EFORMAT,
                               "%s: bad header: the voxel size pixdim[%d] is %g (a voxel size "
                               "must be a finite number other than 0)",
                               path, i, p);
    }
    if (raw->dim[0] >= 4) {
        double p = raw->pixdim[4];
        if (p == 0 || !isfinite(p)) {
            v->tr = 0.0;
            nim->dt = nim->pixdim[4] = 0.0;
        }
    }
    return BRACT_OK;
}

int bract_volume_read(const char *path, unsigned flags, bract_volume **out)
{
    *out = NULL;
    pthread_once(&nifti_once, nifti_quiet);
    raw_header raw;
    int rc = precheck_header(path, &raw);
    if (rc)
        return rc;
    nifti_image *nim = nifti_image_read(path, 0);
    if (!nim)
        return bract_error(BRACT_EFORMAT, "%s: nifticlib could not read the header", path);
    bract_volume *v = bract_xcalloc(1, sizeof *v, "a volume");
    if (!v) {
        nifti_image_free(nim);
        return BRACT_ENOMEM;
    }
    v->path = bract_xstrdup(path);
    if (!v->path) {
        free(v);
        nifti_image_free(nim);
        return BRACT_ENOMEM;
    }
    v->nifti_version = raw.version;
    v->compressed = nim->iname && bract_ends_with(nim->iname, ".gz");
    fill_from_nim(v, nim);
    v->storage = (flags & BRACT_VOL_FLOAT32) ? BRACT_F32 : BRACT_F64;

    if ((rc = check_raw_sizes(path, &raw, v, nim)))
        goto fail;

    /* precheck_header made sure that this product does not overflow */
    int64_t need = nim->nvox * (int64_t)nim->nbyper;
    if (nim->iname_offset < 0 || nim->iname_offset > INT64_MAX - need) {
        rc = bract_error(BRACT_EFORMAT, "%s: bad header: the voxel data start at byte %lld",
                         path, (long long)nim->iname_offset);
        goto fail;
    }
    if (v->compressed && nim->iname) {
        /* deflate cannot expand a byte into more than 1032: a gzip file
         * cannot hold more than about 1032 times its size, so a header that
         * claims more is refused before anything is allocated */
        int64_t fsize = nifti_get_filesize(nim->iname);
        if (fsize >= 0 && fsize <= (INT64_MAX - 4096) / 1032 &&
            nim->iname_offset + need > fsize * 1032 + 4096) {
            rc = bract_error(BRACT_EFORMAT,
                             "%s: the header describes %lld x %lld x %lld x %lld %s voxels "
                             "(%lld bytes) but a gzip file of %lld bytes can hold at most "
                             "%lld bytes",
                             path, (long long)v->nx, (long long)v->ny, (long long)v->nz,
                             (long long)v->nt, bract_volume_datatype_name(nim->datatype),
                             (long long)need, (long long)fsize, (long long)(fsize * 1032 + 4096));
            goto fail;
        }
    }
    if (!v->compressed && nim->iname) {
        /* cheap for uncompressed files, so checked even for headers only */
        int64_t fsize = nifti_get_filesize(nim->iname);
        if (fsize >= 0 && fsize < nim->iname_offset + need) {
            rc = bract_error(BRACT_EFORMAT,
                             "%s: truncated: the header describes %lld x %lld x %lld x %lld "
                             "%s voxels (%lld bytes from byte %lld) but the file has %lld "
                             "bytes",
                             path, (long long)v->nx, (long long)v->ny, (long long)v->nz,
                             (long long)v->nt, bract_volume_datatype_name(nim->datatype),
                             (long long)need, (long long)nim->iname_offset, (long long)fsize);
            goto fail;
        }
    }
    if (!(flags & BRACT_VOL_HEADER_ONLY)) {
        v->priv = nim;
        rc = read_all_volumes(v, path);
        v->priv = NULL;
        if (rc)
            goto fail;
    }
    v->priv = nim;
    if (v->tr > 100.0)
        bract_warn("%s: TR of %g s in the header looks like milliseconds stored as seconds",
                   path, v->tr);
    *out = v;
    return BRACT_OK;
fail:
    nifti_image_free(nim);
    free(v->data);
    free(v->path);
    free(v);
    return rc;
}

void bract_volume_free(bract_volume *v)
{
    if (!v)
        return;
    if (v->priv)
        nifti_image_free(v->priv);
    free(v->data);
    free(v->path);
    free(v);
}

static int alloc_data(bract_volume *v, int storage)
{
    v->storage = storage == BRACT_F32 ? BRACT_F32 : BRACT_F64;
    size_t esz = v->storage == BRACT_F32 ? sizeof(float) : sizeof(double);
    v->data = bract_xcalloc(v->nvox * (size_t)v->nt, esz, "voxel data");
    return v->data ? BRACT_OK : BRACT_ENOMEM;
}

int bract_volume_new_like(const bract_volume *ref, int64_t nt, int storage, bract_volume **out)
{
    *out = NULL;
    if (nt < 1)
        return bract_error(BRACT_EINVAL, "a volume needs at least 1 time point (got %lld)",
                           (long long)nt);
    bract_volume *v = bract_xcalloc(1, sizeof *v, "a volume");
    if (!v)
        return BRACT_ENOMEM;
    *v = *ref;
    v->path = NULL;
    v->data = NULL;
    v->priv = NULL;
    v->nt = nt;
    v->ndim = nt > 1 ? 4 : 3;
    v->datatype = DT_FLOAT32;
    v->scl_slope = 1.0;
    v->scl_inter = 0.0;
    v->scaled = 0;
    v->intent_code = 0;
    memset(v->intent_p, 0, sizeof v->intent_p);
    v->intent_name[0] = v->descrip[0] = '\0';
    if (ref->priv) {
        v->priv = nifti_copy_nim_info(ref->priv);
        if (!v->priv) {
            free(v);
            return bract_error(BRACT_ENOMEM, "out of memory copying a NIfTI header");
        }
    }
    if (alloc_data(v, storage)) {
        bract_volume_free(v);
        return BRACT_ENOMEM;
    }
    *out = v;
    return BRACT_OK;
}

int bract_volume_new(const int64_t dims[4], const double vox_mm[3], const double affine[4][4],
                     double tr, int storage, bract_volume **out)
{
    *out = NULL;
    for (int i = 0; i < 4; i++)
        if (dims[i] < 1)
            return bract_error(BRACT_EINVAL, "volume dimension %d is %lld (must be >= 1)", i + 1,
                               (long long)dims[i]);
    bract_volume *v = bract_xcalloc(1, sizeof *v, "a volume");
    if (!v)
        return BRACT_ENOMEM;
    v->nifti_version = 1;
    v->nx = dims[0];
    v->ny = dims[1];
    v->nz = dims[2];
    v->nt = dims[3];
    v->ndim = v->nt > 1 ? 4 : 3;
    int64_t nvox, nall;
    if (!mul_ok(v->nx, v->ny, &nvox) || !mul_ok(nvox, v->nz, &nvox) || !mul_ok(nvox, v->nt, &nall) ||
        !mul_ok(nall, 8, &nall)) {
        free(v);
        return bract_error(BRACT_EINVAL, "a volume of %lld x %lld x %lld x %lld voxels is too large",
                           (long long)dims[0], (long long)dims[1], (long long)dims[2],
                           (long long)dims[3]);
    }
    v->nvox = (size_t)nvox;
    memcpy(v->vox_mm, vox_mm, sizeof v->vox_mm);
    v->tr = tr;
    v->datatype = DT_FLOAT32;
    v->scl_slope = 1.0;
    if (affine) {
        memcpy(v->affine, affine, sizeof v->affine);
    } else {
        for (int i = 0; i < 3; i++)
            v->affine[i][i] = vox_mm[i];
        v->affine[3][3] = 1.0;
    }
    memcpy(v->sform, v->affine, sizeof v->sform);
    memcpy(v->qform, v->affine, sizeof v->qform);
    v->sform_code = v->qform_code = NIFTI_XFORM_ALIGNED_ANAT;
    if (alloc_data(v, storage)) {
        bract_volume_free(v);
        return BRACT_ENOMEM;
    }
    *out = v;
    return BRACT_OK;
}

/* A nifticlib header for writing v's grid as float32. */
static nifti_image *header_for_write(const bract_volume *v)
{
    nifti_image *nim;
    if (v->priv) {
        nim = nifti_copy_nim_info(v->priv);
        if (!nim)
            return NULL;
        nifti_free_extensions(nim);
        nim->dim[0] = v->nt > 1 ? 4 : 3;
        nim->dim[1] = v->nx;
        nim->dim[2] = v->ny;
        nim->dim[3] = v->nz;
        nim->dim[4] = v->nt;
        for (int i = 5; i < 8; i++)
            nim->dim[i] = 1;
        if (!(nim->pixdim[4] > 0) || !isfinite(nim->pixdim[4])) {
            /* the source had no TR: the caller's (in the header's time
             * unit), else none for a series (0: "unknown" to bract) */
            if (v->tr > 0) {
                double scale = nim->time_units == NIFTI_UNITS_MSEC   ? 1e3
                               : nim->time_units == NIFTI_UNITS_USEC ? 1e6
                                                                     : 1.0;
                if (scale == 1.0)
                    nim->time_units = NIFTI_UNITS_SEC;
                nim->pixdim[4] = v->tr * scale;
            } else {
                nim->pixdim[4] = v->nt > 1 ? 0.0 : 1.0;
            }
        }
        if (nifti_update_dims_from_array(nim) != 0) {
            nifti_image_free(nim);
            return NULL;
        }
    } else {
        int64_t dims[8] = {v->nt > 1 ? 4 : 3, v->nx, v->ny, v->nz, v->nt, 1, 1, 1};
        nim = nifti_make_new_nim(dims, DT_FLOAT32, 0);
        if (!nim)
            return NULL;
        nim->dx = nim->pixdim[1] = v->vox_mm[0];
        nim->dy = nim->pixdim[2] = v->vox_mm[1];
        nim->dz = nim->pixdim[3] = v->vox_mm[2];
        nim->dt = nim->pixdim[4] = v->tr > 0 ? v->tr : 1.0;
        nim->xyz_units = NIFTI_UNITS_MM;
        nim->time_units = NIFTI_UNITS_SEC;
        nifti_dmat44 m;
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
                m.m[i][j] = v->affine[i][j];
        nim->sform_code = v->sform_code > 0 ? v->sform_code : NIFTI_XFORM_ALIGNED_ANAT;
        nim->sto_xyz = m;
        nim->sto_ijk = nifti_dmat44_inverse(m);
        nim->qform_code = v->qform_code > 0 ? v->qform_code : NIFTI_XFORM_ALIGNED_ANAT;
        double dx, dy, dz;
        nifti_dmat44_to_quatern(m, &nim->quatern_b, &nim->quatern_c, &nim->quatern_d,
                                &nim->qoffset_x, &nim->qoffset_y, &nim->qoffset_z, &dx, &dy, &dz,
                                &nim->qfac);
        nim->qto_xyz = nifti_quatern_to_dmat44(nim->quatern_b, nim->quatern_c, nim->quatern_d,
                                               nim->qoffset_x, nim->qoffset_y, nim->qoffset_z,
                                               v->vox_mm[0], v->vox_mm[1], v->vox_mm[2],
                                               nim->qfac);
        nim->qto_ijk = nifti_dmat44_inverse(nim->qto_xyz);
    }
    nim->datatype = DT_FLOAT32;
    nifti_datatype_sizes(nim->datatype, &nim->nbyper, &nim->swapsize);
    nim->scl_slope = 1.0;
    nim->scl_inter = 0.0;
    nim->cal_min = nim->cal_max = 0.0;
    nim->nifti_type = NIFTI_FTYPE_NIFTI1_1;
    return nim;
}

/* 1 if nim's dimensions fit a NIfTI-1 header (16-bit). */
static int fits_nifti1(const nifti_image *nim)
{
    for (int i = 0; i < 8; i++)
        if (nim->dim[i] > 32767)
            return 0;
    return 1;
}

/* Write nim (float32 data, no extensions) as a single-file NIfTI-2.
 * nifticlib 3.0.1 does this only as a fallback from NIfTI-1, announced on
 * stderr (F20), and cannot be asked for it directly (a NIFTI2_1 type gives
 * a 64-byte file); the header comes from nifticlib, the bytes from here. */
static int write_nifti2_file(nifti_image *nim, const char *tmp, int gz)
{
    nifti_2_header h;
    nim->nifti_type = NIFTI_FTYPE_NIFTI2_1;
    nim->iname_offset = (int64_t)sizeof h + 4;
    if (nifti_convert_nim2n2hdr(nim, &h) != 0)
        return 0;
    memcpy(h.magic, "n+2\0\r\n\032\n", 8);
    h.vox_offset = (int64_t)sizeof h + 4;
    for (int i = (int)h.dim[0] + 1; i < 8; i++)
        h.dim[i] = 1; /* nifticlib leaves unused dims at 0 */
    const unsigned char ext[4] = {0, 0, 0, 0};
    size_t bytes = (size_t)nim->nvox * (size_t)nim->nbyper;
    int ok;
    if (gz) {
        gzFile f = gzopen(tmp, "wb6");
        ok = f != NULL;
        if (ok) {
            ok = gzwrite(f, &h, (unsigned)sizeof h) == (int)sizeof h &&
                 gzwrite(f, ext, 4) == 4;
            const char *p = nim->data;
            for (size_t done = 0; ok && done < bytes;) {
                unsigned n = bytes - done > (1u << 30) ? (1u << 30) : (unsigned)(bytes - done);
                ok = gzwrite(f, p + done, n) == (int)n;
                done += n;
            }
            ok = gzclose(f) == Z_OK && ok;
        }
    } else {
        FILE *f = fopen(tmp, "wb");
        ok = f != NULL;
        if (ok) {
            ok = fwrite(&h, sizeof h, 1, f) == 1 && fwrite(ext, 1, 4, f) == 4 &&
                 fwrite(nim->data, 1, bytes, f) == bytes;
            ok = fclose(f) == 0 && ok;
        }
    }
    return ok;
}

int bract_volume_write(const bract_volume *v, const char *path,
                       const bract_volume_write_opts *opts)
{
    pthread_once(&nifti_once, nifti_quiet);
    bract_volume_write_opts none = {0};
    if (!opts)
        opts = &none;
    if (!v->data)
        return bract_error(BRACT_EINVAL, "%s: no voxel data to write", path);
    if (!bract_ends_with(path, ".nii") && !bract_ends_with(path, ".nii.gz"))
        return bract_error(BRACT_EINVAL, "%s: output volumes must end in .nii or .nii.gz", path);
    bract_output *of;
    int rc = bract_output_open(path, opts->force, &of);
    if (rc)
        return rc;
    nifti_image *nim = header_for_write(v);
    if (!nim) {
        bract_output_abort(of);
        return bract_error(BRACT_ENOMEM, "%s: cannot build a NIfTI header", path);
    }
    size_t n = v->nvox * (size_t)v->nt;
    float *buf = bract_xmalloc(n, sizeof(float), "output voxels");
    if (!buf) {
        nifti_image_free(nim);
        bract_output_abort(of);
        return BRACT_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        buf[i] = (float)bract_volume_get(v, i);
    nim->data = buf;
    nim->intent_code = opts->intent_code;
    nim->intent_p1 = opts->intent_p[0];
    nim->intent_p2 = opts->intent_p[1];
    nim->intent_p3 = opts->intent_p[2];
    memset(nim->intent_name, 0, sizeof nim->intent_name);
    if (opts->intent_name)
        snprintf(nim->intent_name, sizeof nim->intent_name, "%s", opts->intent_name);
    memset(nim->descrip, 0, sizeof nim->descrip);
    snprintf(nim->descrip, sizeof nim->descrip, "%s",
             opts->descrip ? opts->descrip : "bract " BRACT_VERSION);

    const char *tmp = bract_output_tmppath(of);
    if (nifti_set_filenames(nim, tmp, 0, 1) != 0) {
        nifti_image_free(nim);
        bract_output_abort(of);
        return bract_error(BRACT_EIO, "%s: nifticlib rejected the file name %s", path, tmp);
    }
    errno = 0;
    if (fits_nifti1(nim))
        nifti_image_write(nim); /* returns void in nifticlib 3.0.1: verify below */
    else
        (void)write_nifti2_file(nim, tmp, bract_ends_with(path, ".gz")); /* verified below */
    int64_t expect_bytes = (int64_t)n * 4;
    nifti_image_free(nim);

    nifti_image *chk = nifti_image_read(tmp, 0);
    int ok = chk && chk->nx == v->nx && chk->nvox == (int64_t)n && chk->datatype == DT_FLOAT32;
    if (ok && !bract_ends_with(path, ".gz")) {
        int64_t fs = nifti_get_filesize(tmp);
        ok = fs >= chk->iname_offset + expect_bytes;
    }
    if (chk)
        nifti_image_free(chk);
    if (!ok) {
        bract_output_abort(of);
        return bract_error(BRACT_EIO, "%s: writing the volume failed (disk full or not writable?)",
                           path);
    }
    return bract_output_commit(of);
}

static const char *vol_name(const bract_volume *v) { return v->path ? v->path : "(in memory)"; }

int bract_volume_same_grid(const bract_volume *a, const bract_volume *b, double tol_mm)
{
    if (a->nx != b->nx || a->ny != b->ny || a->nz != b->nz)
        return bract_error(BRACT_EDATA,
                           "%s and %s are on different grids: %lldx%lldx%lld voxels vs "
                           "%lldx%lldx%lld",
                           vol_name(a), vol_name(b), (long long)a->nx, (long long)a->ny,
                           (long long)a->nz, (long long)b->nx, (long long)b->ny,
                           (long long)b->nz);
    double worst = 0;
    int wi = 0, wj = 0;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 4; j++) {
            double d = fabs(a->affine[i][j] - b->affine[i][j]);
            if (!(d <= worst)) {
                worst = d;
                wi = i;
                wj = j;
            }
        }
    if (!(worst <= tol_mm))
        return bract_error(BRACT_EDATA,
                           "%s and %s are on different grids: their voxel-to-mm affines differ "
                           "by %.6g mm at row %d, column %d (%.6g vs %.6g; tolerance %g mm)",
                           vol_name(a), vol_name(b), worst, wi + 1, wj + 1, a->affine[wi][wj],
                           b->affine[wi][wj], tol_mm);
    return BRACT_OK;
}

void bract_volume_voxel_mm(const bract_volume *v, double i, double j, double k, double xyz[3])
{
    for (int r = 0; r < 3; r++)
        xyz[r] = v->affine[r][0] * i + v->affine[r][1] * j + v->affine[r][2] * k + v->affine[r][3];
}

void bract_volume_axcodes(const bract_volume *v, char out[4])
{
    static const char pos[3] = {'R', 'A', 'S'}, neg[3] = {'L', 'P', 'I'};
    for (int j = 0; j < 3; j++) {
        int best = 0;
        for (int i = 1; i < 3; i++)
            if (fabs(v->affine[i][j]) > fabs(v->affine[best][j]))
                best = i;
        out[j] = v->affine[best][j] >= 0 ? pos[best] : neg[best];
    }
    out[3] = '\0';
}

int bract_volume_summary(const bract_volume *v, bract_volume_stats *st)
{
    if (!v->data)
        return bract_error(BRACT_EINVAL, "%s: no voxel data read", vol_name(v));
    size_t n = v->nvox * (size_t)v->nt, nf = 0;
    double lo = INFINITY, hi = -INFINITY, sum = 0;
    st->nonzero = st->nonfinite = 0;
    for (size_t i = 0; i < n; i++) {
        double x = bract_volume_get(v, i);
        if (!isfinite(x)) {
            st->nonfinite++;
            continue;
        }
        nf++;
        sum += x;
        if (x < lo)
            lo = x;
        if (x > hi)
            hi = x;
        st->nonzero += x != 0;
    }
    st->min = nf ? lo : NAN;
    st->max = nf ? hi : NAN;
    st->mean = nf ? sum / (double)nf : NAN;
    return BRACT_OK;
}

int bract_volume_gather(const bract_volume *v, const size_t *vox, size_t n, int layout,
                        double *out)
{
    if (!v->data)
        return bract_error(BRACT_EINVAL, "%s: no voxel data read", vol_name(v));
    size_t nt = (size_t)v->nt;
    for (size_t j = 0; j < n; j++) {
        if (vox[j] >= v->nvox)
            return bract_error(BRACT_EINVAL, "voxel index %zu outside %s", vox[j], vol_name(v));
        for (size_t t = 0; t < nt; t++) {
            double x = bract_volume_get(v, vox[j] + v->nvox * t);
            if (layout == BRACT_VOXEL_ROWS)
                out[j * nt + t] = x;
            else
                out[t * n + j] = x;
        }
    }
    return BRACT_OK;
}

/* ---- masks ---- */

int bract_mask_from_volume(const bract_volume *v, bract_mask **out)
{
    *out = NULL;
    if (!v->data)
        return bract_error(BRACT_EINVAL, "%s: mask volume has no data", vol_name(v));
    if (v->nt > 1)
        return bract_error(BRACT_EDATA, "%s: a mask must be 3-D, this file has %lld volumes",
                           vol_name(v), (long long)v->nt);
    bract_mask *m = bract_xcalloc(1, sizeof *m, "a mask");
    if (!m)
        return BRACT_ENOMEM;
    m->nx = v->nx;
    m->ny = v->ny;
    m->nz = v->nz;
    size_t n = 0;
    for (size_t i = 0; i < v->nvox; i++) {
        double x = bract_volume_get(v, i);
        n += isfinite(x) && x != 0.0;
    }
    m->index = bract_xmalloc(n, sizeof *m->index, "mask indices");
    if (!m->index) {
        free(m);
        return BRACT_ENOMEM;
    }
    m->n = 0;
    for (size_t i = 0; i < v->nvox; i++) {
        double x = bract_volume_get(v, i);
        if (isfinite(x) && x != 0.0)
            m->index[m->n++] = i;
    }
    if (m->n == 0)
        bract_warn("%s: the mask is empty (no nonzero voxel)", vol_name(v));
    *out = m;
    return BRACT_OK;
}

int bract_mask_varying(const bract_volume *v, bract_mask **out, size_t *nconstant)
{
    *out = NULL;
    if (nconstant)
        *nconstant = 0;
    if (!v->data)
        return bract_error(BRACT_EINVAL, "%s: the series has no data", vol_name(v));
    bract_mask *m = bract_xcalloc(1, sizeof *m, "a mask");
    if (!m)
        return BRACT_ENOMEM;
    m->nx = v->nx;
    m->ny = v->ny;
    m->nz = v->nz;
    m->index = bract_xmalloc(v->nvox ? v->nvox : 1, sizeof *m->index, "mask indices");
    if (!m->index) {
        free(m);
        return BRACT_ENOMEM;
    }
    size_t nt = v->nt > 1 ? (size_t)v->nt : 1, background = 0;
    for (size_t j = 0; j < v->nvox; j++) {
        double x0 = bract_volume_get(v, j);
        int varies = !isfinite(x0);
        for (size_t t = 1; t < nt && !varies; t++) {
            double xt = bract_volume_get(v, j + v->nvox * t);
            varies = xt != x0 || !isfinite(xt);
        }
        if (varies)
            m->index[m->n++] = j;
        else
            background++;
    }
    if (nconstant)
        *nconstant = background;
    *out = m;
    return BRACT_OK;
}

int bract_mask_read(const char *path, bract_mask **out, bract_volume **geom)
{
    *out = NULL;
    if (geom)
        *geom = NULL;
    bract_volume *v;
    int rc = bract_volume_read(path, BRACT_VOL_FLOAT32, &v);
    if (rc)
        return rc;
    rc = bract_mask_from_volume(v, out);
    if (rc || !geom) {
        bract_volume_free(v);
        return rc;
    }
    free(v->data);
    v->data = NULL;
    *geom = v;
    return BRACT_OK;
}

void bract_mask_free(bract_mask *m)
{
    if (!m)
        return;
    free(m->index);
    free(m);
}

/* ---- atlases ---- */

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static long find_label(const int *labels, size_t n, int x)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (labels[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && labels[lo] == x ? (long)lo : -1;
}

void bract_atlas_free(bract_atlas *a)
{
    if (!a)
        return;
    for (size_t r = 0; r < a->nregions; r++) {
        if (a->name)
            free(a->name[r]);
        if (a->voxels)
            free(a->voxels[r]);
    }
    free(a->name);
    free(a->voxels);
    free(a->nvox);
    free(a->label);
    free(a);
}

/* Read index/name pairs; labels sorted ascending with names alongside. */
static int read_label_names(const char *tsv, int **labels, char ***names, size_t *n)
{
    bract_table *t;
    int rc = bract_table_read(tsv, &t);
    if (rc)
        return rc;
    size_t ci, cn;
    if ((rc = bract_table_require(t, "index", &ci)) || (rc = bract_table_require(t, "name", &cn))) {
        bract_table_free(t);
        return rc;
    }
    int *lab = bract_xmalloc(t->nrows, sizeof *lab, "atlas labels");
    char **nm = bract_xcalloc(t->nrows, sizeof *nm, "atlas label names");
    size_t *order = bract_xmalloc(t->nrows, sizeof *order, "atlas labels");
    if (!lab || !nm || !order) {
        rc = BRACT_ENOMEM;
        goto done;
    }
    for (size_t r = 0; r < t->nrows; r++) {
        long x;
        if ((rc = bract_table_long(t, r, ci, &x)))
            goto done;
        if (x < 0 || x > 2147483647L) {
            rc = bract_error(BRACT_EFORMAT, "%s:%zu: label index %ld out of range", tsv,
                             t->line[r], x);
            goto done;
        }
        lab[r] = (int)x;
        const char *s = bract_table_cell(t, r, cn);
        if (bract_table_label_missing(s)) {
            rc = bract_error(BRACT_EFORMAT, "%s:%zu: label %ld has no name", tsv, t->line[r], x);
            goto done;
        }
        if (!(nm[r] = bract_xstrdup(s))) {
            rc = BRACT_ENOMEM;
            goto done;
        }
    }
    /* sort by label (insertion sort on indices: label tables are small) */
    for (size_t r = 0; r < t->nrows; r++)
        order[r] = r;
    for (size_t i = 1; i < t->nrows; i++) {
        size_t k = order[i], j = i;
        while (j > 0 && lab[order[j - 1]] > lab[k]) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = k;
    }
    for (size_t i = 1; i < t->nrows; i++)
        if (lab[order[i]] == lab[order[i - 1]]) {
            rc = bract_error(BRACT_EFORMAT, "%s:%zu: label %d is listed twice (also line %zu)",
                             tsv, t->line[order[i]], lab[order[i]], t->line[order[i - 1]]);
            goto done;
        }
    {
        int *sl = bract_xmalloc(t->nrows, sizeof *sl, "atlas labels");
        char **sn = bract_xmalloc(t->nrows, sizeof *sn, "atlas label names");
        if (!sl || !sn) {
            free(sl);
            free(sn);
            rc = BRACT_ENOMEM;
            goto done;
        }
        for (size_t i = 0; i < t->nrows; i++) {
            sl[i] = lab[order[i]];
            sn[i] = nm[order[i]];
        }
        free(lab);
        free(nm);
        lab = sl;
        nm = sn;
    }
    *labels = lab;
    *names = nm;
    *n = t->nrows;
    lab = NULL;
    nm = NULL;
done:
    if (nm)
        for (size_t r = 0; r < t->nrows; r++)
            free(nm[r]);
    free(nm);
    free(lab);
    free(order);
    bract_table_free(t);
    return rc;
}

int bract_atlas_from_volume(const bract_volume *v, const char *labels_tsv, const bract_mask *mask,
                            bract_atlas **out)
{
    *out = NULL;
    if (!v->data)
        return bract_error(BRACT_EINVAL, "%s: atlas volume has no data", vol_name(v));
    if (v->nt > 1)
        return bract_error(BRACT_EDATA, "%s: an atlas must be a 3-D label image, this file has "
                           "%lld volumes", vol_name(v), (long long)v->nt);
    if (mask && (mask->nx != v->nx || mask->ny != v->ny || mask->nz != v->nz))
        return bract_error(BRACT_EDATA, "%s: the mask has a different grid", vol_name(v));
    size_t nv = mask ? mask->n : v->nvox;
    int *vals = bract_xmalloc(nv ? nv : 1, sizeof *vals, "atlas labels");
    if (!vals)
        return BRACT_ENOMEM;
    size_t nl = 0;
    for (size_t q = 0; q < nv; q++) {
        size_t i = mask ? mask->index[q] : q;
        double x = bract_volume_get(v, i);
        if (!isfinite(x) || x < 0 || x != floor(x) || x > 2147483647.0) {
            size_t xi = i % (size_t)v->nx, yi = (i / (size_t)v->nx) % (size_t)v->ny,
                   zi = i / ((size_t)v->nx * (size_t)v->ny);
            free(vals);
            return bract_error(BRACT_EFORMAT,
                               "%s: voxel (%zu,%zu,%zu) has label %g; an atlas holds "
                               "non-negative integer labels",
                               vol_name(v), xi, yi, zi, x);
        }
        if (x != 0)
            vals[nl++] = (int)x;
    }
    qsort(vals, nl, sizeof *vals, cmp_int);
    size_t nu = 0;
    for (size_t q = 0; q < nl; q++)
        if (nu == 0 || vals[nu - 1] != vals[q])
            vals[nu++] = vals[q];

    int *labels = NULL;
    char **names = NULL;
    size_t nlab = 0;
    int rc;
    if (labels_tsv) {
        if ((rc = read_label_names(labels_tsv, &labels, &names, &nlab))) {
            free(vals);
            return rc;
        }
        /* label 0 in a labels TSV is the background: drop it */
        if (nlab && labels[0] == 0) {
            free(names[0]);
            memmove(labels, labels + 1, (nlab - 1) * sizeof *labels);
            memmove(names, names + 1, (nlab - 1) * sizeof *names);
            nlab--;
        }
        for (size_t q = 0; q < nu; q++)
            if (find_label(labels, nlab, vals[q]) < 0) {
                rc = bract_error(BRACT_EDATA,
                                 "%s: label %d is in the atlas but not in the labels file %s",
                                 vol_name(v), vals[q], labels_tsv);
                for (size_t r = 0; r < nlab; r++)
                    free(names[r]);
                free(names);
                free(labels);
                free(vals);
                return rc;
            }
    } else {
        labels = vals;
        vals = NULL;
        nlab = nu;
        names = bract_xcalloc(nlab, sizeof *names, "atlas label names");
        if (!names) {
            free(labels);
            return BRACT_ENOMEM;
        }
        for (size_t r = 0; r < nlab; r++) {
            char buf[32];
            snprintf(buf, sizeof buf, "%d", labels[r]);
            if (!(names[r] = bract_xstrdup(buf))) {
                for (size_t q = 0; q < r; q++)
                    free(names[q]);
                free(names);
                free(labels);
                return BRACT_ENOMEM;
            }
        }
    }
    free(vals);

    bract_atlas *a = bract_xcalloc(1, sizeof *a, "an atlas");
    if (!a) {
        for (size_t r = 0; r < nlab; r++)
            free(names[r]);
        free(names);
        free(labels);
        return BRACT_ENOMEM;
    }
    a->nx = v->nx;
    a->ny = v->ny;
    a->nz = v->nz;
    a->nregions = nlab;
    a->label = labels;
    a->name = names;
    a->nvox = bract_xcalloc(nlab, sizeof *a->nvox, "atlas region sizes");
    a->voxels = bract_xcalloc(nlab, sizeof *a->voxels, "atlas region voxels");
    if (!a->nvox || !a->voxels) {
        bract_atlas_free(a);
        return BRACT_ENOMEM;
    }
    for (size_t q = 0; q < nv; q++) {
        size_t i = mask ? mask->index[q] : q;
        int x = (int)bract_volume_get(v, i);
        if (x)
            a->nvox[find_label(labels, nlab, x)]++;
    }
    for (size_t r = 0; r < nlab; r++) {
        a->voxels[r] = bract_xmalloc(a->nvox[r] ? a->nvox[r] : 1, sizeof(size_t), "region voxels");
        if (!a->voxels[r]) {
            bract_atlas_free(a);
            return BRACT_ENOMEM;
        }
        if (a->nvox[r] == 0)
            bract_warn("%s: region %s (label %d) has no voxels%s", vol_name(v), names[r],
                       labels[r], mask ? " inside the mask" : "");
        a->nvox[r] = 0;
    }
    for (size_t q = 0; q < nv; q++) {
        size_t i = mask ? mask->index[q] : q;
        int x = (int)bract_volume_get(v, i);
        if (x) {
            long r = find_label(labels, nlab, x);
            a->voxels[r][a->nvox[r]++] = i;
        }
    }
    *out = a;
    return BRACT_OK;
}

int bract_atlas_read(const char *path, const char *labels_tsv, const bract_mask *mask,
                     bract_atlas **out, bract_volume **geom)
{
    *out = NULL;
    if (geom)
        *geom = NULL;
    bract_volume *v;
    int rc = bract_volume_read(path, 0, &v);
    if (rc)
        return rc;
    rc = bract_atlas_from_volume(v, labels_tsv, mask, out);
    if (rc || !geom) {
        bract_volume_free(v);
        return rc;
    }
    free(v->data);
    v->data = NULL;
    *geom = v;
    return BRACT_OK;
}

long bract_atlas_find(const bract_atlas *a, const char *name)
{
    for (size_t r = 0; r < a->nregions; r++)
        if (strcmp(a->name[r], name) == 0)
            return (long)r;
    char *end;
    long x = strtol(name, &end, 10);
    if (*name && !*end)
        for (size_t r = 0; r < a->nregions; r++)
            if (a->label[r] == x)
                return (long)r;
    return -1;
}

/* ---- streaming reads that keep non-finite values ---- */

struct bract_volume_stream {
    char *path;
    gzFile f;
    size_t nvox, nt, next; /* voxels per volume, volumes, next volume */
    int datatype, nbyper, swapsize, swap;
    int scale;
    double slope, inter;
    unsigned char *buf; /* one volume of raw bytes */
};

void bract_volume_stream_close(bract_volume_stream *s)
{
    if (!s)
        return;
    if (s->f)
        gzclose(s->f);
    free(s->buf);
    free(s->path);
    free(s);
}

size_t bract_volume_stream_tell(const bract_volume_stream *s) { return s->next; }

/* A stream over the voxel data of the header-only volume v (v->priv). */
static int stream_on(const char *path, const bract_volume *v, bract_volume_stream **out)
{
    *out = NULL;
    const nifti_image *nim = v->priv;
    switch (nim->datatype) {
    case DT_UINT8: case DT_INT8: case DT_INT16: case DT_UINT16: case DT_INT32:
    case DT_UINT32: case DT_INT64: case DT_UINT64: case DT_FLOAT32: case DT_FLOAT64:
        break;
    default:
        return bract_error(BRACT_EFORMAT,
                           "%s: datatype %s is not supported (expected an integer, FLOAT32 or "
                           "FLOAT64 type)",
                           path, bract_volume_datatype_name(nim->datatype));
    }
    bract_volume_stream *s = bract_xcalloc(1, sizeof *s, "a volume stream");
    if (!s)
        return BRACT_ENOMEM;
    int rc;
    s->path = bract_xstrdup(path);
    s->nvox = v->nvox;
    s->nt = (size_t)v->nt;
    s->datatype = nim->datatype;
    s->nbyper = nim->nbyper;
    s->swapsize = nim->swapsize;
    s->swap = nim->byteorder != nifti_short_order() && nim->swapsize > 1;
    s->scale = nim->scl_slope != 0.0 && isfinite(nim->scl_slope);
    s->slope = nim->scl_slope;
    s->inter = s->scale && isfinite(nim->scl_inter) ? nim->scl_inter : 0.0;
    s->buf = bract_xmalloc(s->nvox, (size_t)s->nbyper, "one volume of voxel data");
    if (!s->path || !s->buf) {
        bract_volume_stream_close(s);
        return BRACT_ENOMEM;
    }
    const char *iname = nim->iname ? nim->iname : path;
    s->f = gzopen(iname, "rb"); /* reads uncompressed files as they are */
    if (!s->f) {
        rc = bract_error(BRACT_EIO, "%s: cannot open: %s", iname, strerror(errno));
        goto fail;
    }
    gzbuffer(s->f, 1u << 15); /* zlib inflates large reads straight into place; its own buffers stay small */
    if (gzseek(s->f, (z_off_t)nim->iname_offset, SEEK_SET) != (z_off_t)nim->iname_offset) {
        rc = bract_error(BRACT_EFORMAT, "%s: truncated: the voxel data should start at byte %lld",
                         iname, (long long)nim->iname_offset);
        goto fail;
    }
    *out = s;
    return BRACT_OK;
fail:
    bract_volume_stream_close(s);
    return rc;
}

int bract_volume_stream_open(const char *path, bract_volume **hdr, bract_volume_stream **out)
{
    *out = NULL;
    *hdr = NULL;
    bract_volume *v;
    int rc = bract_volume_read(path, BRACT_VOL_HEADER_ONLY, &v);
    if (rc)
        return rc;
    if ((rc = stream_on(path, v, out))) {
        bract_volume_free(v);
        return rc;
    }
    *hdr = v;
    return BRACT_OK;
}

/* Read exactly `bytes` bytes of the stream into dst, in pieces gzread
 * accepts; volume k0 + 1 of the series names the place in messages. */
static int stream_bytes(bract_volume_stream *s, unsigned char *dst, size_t bytes, size_t k0)
{
    size_t got = 0;
    while (got < bytes) {
        size_t want = bytes - got;
        if (want > (1u << 30))
            want = 1u << 30;
        int r = gzread(s->f, dst + got, (unsigned)want);
        if (r <= 0) {
            int zerr;
            const char *m = gzerror(s->f, &zerr);
            size_t vbytes = s->nvox * (size_t)s->nbyper;
            return bract_error(BRACT_EFORMAT,
                               "%s: truncated or corrupt: volume %zu of %zu could not be read "
                               "(%s)",
                               s->path, k0 + (vbytes ? got / vbytes : 0) + 1, s->nt,
                               r < 0 && zerr != Z_OK ? m : "end of file");
        }
        got += (size_t)r;
    }
    return BRACT_OK;
}

int bract_volume_stream_read(bract_volume_stream *s, size_t nvol, int storage, void *out)
{
    if (nvol > s->nt - s->next)
        return bract_error(BRACT_EINVAL, "%s: asked for volumes %zu to %zu of a series of %zu",
                           s->path, s->next + 1, s->next + nvol, s->nt);
    size_t bytes = s->nvox * (size_t)s->nbyper;
    /* values stored as they will be held: straight into out, no copy */
    if (!s->swap && !s->scale &&
        ((s->datatype == DT_FLOAT32 && storage == BRACT_F32) ||
         (s->datatype == DT_FLOAT64 && storage != BRACT_F32))) {
        int rc = stream_bytes(s, out, nvol * bytes, s->next);
        if (!rc)
            s->next += nvol;
        return rc;
    }
    for (size_t k = 0; k < nvol; k++, s->next++) {
        int rc = stream_bytes(s, s->buf, bytes, s->next);
        if (rc)
            return rc;
        if (s->swap)
            nifti_swap_Nbytes((int64_t)(bytes / (size_t)s->swapsize), s->swapsize, s->buf);
        size_t n = s->nvox, off = k * n;
        double slope = s->slope, inter = s->inter;
        int scale = s->scale;
#define STREAM_CONVERT_TO(D, T)                                                     \
    do {                                                                            \
        const T *src_ = (const T *)(const void *)s->buf;                            \
        D *d_ = (D *)out + off;                                                     \
        if (scale)                                                                  \
            for (size_t i = 0; i < n; i++)                                          \
                d_[i] = (D)((double)src_[i] * slope + inter);                       \
        else                                                                        \
            for (size_t i = 0; i < n; i++)                                          \
                d_[i] = (D)(double)src_[i];                                         \
    } while (0)
#define STREAM_CONVERT(T)                                                           \
    do {                                                                            \
        if (storage == BRACT_F32)                                                   \
            STREAM_CONVERT_TO(float, T);                                            \
        else                                                                        \
            STREAM_CONVERT_TO(double, T);                                           \
    } while (0)
        switch (s->datatype) {
        case DT_UINT8: STREAM_CONVERT(uint8_t); break;
        case DT_INT8: STREAM_CONVERT(int8_t); break;
        case DT_INT16: STREAM_CONVERT(int16_t); break;
        case DT_UINT16: STREAM_CONVERT(uint16_t); break;
        case DT_INT32: STREAM_CONVERT(int32_t); break;
        case DT_UINT32: STREAM_CONVERT(uint32_t); break;
        case DT_INT64: STREAM_CONVERT(int64_t); break;
        case DT_UINT64: STREAM_CONVERT(uint64_t); break;
        case DT_FLOAT32: STREAM_CONVERT(float); break;
        default: STREAM_CONVERT(double); break;
        }
#undef STREAM_CONVERT
#undef STREAM_CONVERT_TO
    }
    return BRACT_OK;
}

/* Memory for a whole series: above 32 MB in transparent huge pages where
 * the system offers them (a 4-D image of hundreds of MB otherwise costs a
 * page fault per 4 KB as it is read).  Freed with free(). */
static void *series_alloc(size_t n, size_t size, const char *what)
{
    const size_t huge = (size_t)2 << 20;
    if (size && n > SIZE_MAX / size)
        return bract_xmalloc(n, size, what); /* the error */
    size_t bytes = n * size;
    void *p = NULL;
    if (bytes < ((size_t)32 << 20) || posix_memalign(&p, huge, bytes) != 0)
        return bract_xmalloc(n, size, what);
#ifdef MADV_HUGEPAGE
    madvise(p, bytes / huge * huge, MADV_HUGEPAGE); /* advice: failure is harmless */
#endif
    return p;
}

static int read_all_volumes(bract_volume *v, const char *path)
{
    bract_volume_stream *s;
    int rc = stream_on(path, v, &s);
    if (rc)
        return rc;
    size_t esz = v->storage == BRACT_F32 ? sizeof(float) : sizeof(double);
    v->data = series_alloc(v->nvox * (size_t)v->nt, esz, "voxel data");
    if (!v->data)
        rc = bract_error_context(BRACT_ENOMEM, "%s", path);
    else
        rc = bract_volume_stream_read(s, (size_t)v->nt, v->storage, v->data);
    bract_volume_stream_close(s);
    if (rc) {
        free(v->data);
        v->data = NULL;
    }
    return rc;
}
