/* bract/volume.h: NIfTI volumes (masks: bract/mask.h; atlases: bract/atlas.h).
 *
 * Reads NIfTI-1 and NIfTI-2 (.nii, .nii.gz, .hdr/.img) through nifticlib, in
 * any integer or real datatype, applying scl_slope/scl_inter (slope 0 or
 * non-finite means unscaled, as the standard says).  Data are kept in file
 * order, x fastest: value (i,j,k,t) is at i + nx*(j + ny*(k + nz*t)).
 * Writes float32 NIfTI with a reference volume's geometry, an intent code
 * and a description, atomically (temporary file, then rename). */
#ifndef BRACT_VOLUME_H
#define BRACT_VOLUME_H

#include <stddef.h>
#include <stdint.h>

#include "bract/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Storage of the voxel values in memory. */
enum { BRACT_F32 = 1, BRACT_F64 = 2 };

/* Intent codes (the NIfTI-1 NIFTI_INTENT_* values) used for bract maps. */
enum {
    BRACT_INTENT_NONE = 0,
    BRACT_INTENT_CORREL = 2,   /* p1 = degrees of freedom */
    BRACT_INTENT_TTEST = 3,    /* p1 = degrees of freedom */
    BRACT_INTENT_FTEST = 4,    /* p1, p2 = numerator and denominator degrees of freedom */
    BRACT_INTENT_ZSCORE = 5,
    BRACT_INTENT_PVAL = 22,
    BRACT_INTENT_LOG10PVAL = 24,
    BRACT_INTENT_ESTIMATE = 1001,
    BRACT_INTENT_LABEL = 1002
};

/* Flags for bract_volume_read(). */
#define BRACT_VOL_HEADER_ONLY 0x1u /* read the header, leave data NULL */
#define BRACT_VOL_FLOAT32 0x2u     /* store values as float (memory-light) */

typedef struct bract_volume {
    char *path;            /* the file read, or NULL for a volume made in memory */
    int nifti_version;     /* 1 or 2; 0 for an ANALYZE 7.5 header */
    int compressed;        /* 1 for gzip */
    int ndim;              /* 3 for a single volume, 4 for a series */
    int64_t nx, ny, nz, nt;/* nt = 1 for a 3-D volume */
    size_t nvox;           /* nx*ny*nz: voxels per volume */
    double vox_mm[3];      /* voxel size in millimetres */
    double tr;             /* repetition time in seconds; 0 if unknown */
    int datatype;          /* the file's NIfTI DT_* code */
    double scl_slope, scl_inter; /* as stored in the header */
    int scaled;            /* 1 if slope/intercept were applied */
    int intent_code;
    double intent_p[3];
    char intent_name[17];
    char descrip[81];
    int qform_code, sform_code;
    double qform[4][4], sform[4][4];
    double affine[4][4];   /* voxel -> mm: the sform if sform_code > 0, else the
                              qform if qform_code > 0, else diag(voxel size) */
    int storage;           /* BRACT_F32 or BRACT_F64 */
    void *data;            /* nvox * nt values, or NULL (header only) */
    void *priv;            /* the nifticlib header, for writing the geometry */
} bract_volume;

/* Read a NIfTI file.  On success *out is owned by the caller (free with
 * bract_volume_free).  Values are stored as double unless BRACT_VOL_FLOAT32.
 * NaN and infinite values are kept as stored (nifticlib's own loader would
 * make them 0).  Errors name the file and the problem: not NIfTI (bad size or magic),
 * truncated header or data, zero or negative dimensions, unsupported
 * datatype (complex, RGB), more than 4 dimensions. */
BRACT_API int bract_volume_read(const char *path, unsigned flags, bract_volume **out);

BRACT_API void bract_volume_free(bract_volume *v);

/* Value i of the data (any storage), as double. */
static inline double bract_volume_get(const bract_volume *v, size_t i)
{
    return v->storage == BRACT_F32 ? (double)((const float *)v->data)[i]
                                   : ((const double *)v->data)[i];
}

static inline void bract_volume_set(bract_volume *v, size_t i, double x)
{
    if (v->storage == BRACT_F32)
        ((float *)v->data)[i] = (float)x;
    else
        ((double *)v->data)[i] = x;
}

/* A new zero-filled volume with the grid (dims, voxel size, affines, TR) of
 * `ref` and `nt` volumes.  Owned by the caller. */
BRACT_API int bract_volume_new_like(const bract_volume *ref, int64_t nt, int storage,
                                    bract_volume **out);

/* A new zero-filled volume with an explicit grid: dims, voxel size in mm and
 * a voxel-to-mm affine (NULL: diag(voxel size)).  Owned by the caller. */
BRACT_API int bract_volume_new(const int64_t dims[4], const double vox_mm[3],
                               const double affine[4][4], double tr, int storage,
                               bract_volume **out);

typedef struct {
    int intent_code;          /* BRACT_INTENT_* (or any NIfTI code) */
    double intent_p[3];
    const char *intent_name;  /* up to 15 characters, e.g. "Spearman rho" */
    const char *descrip;      /* up to 79 characters */
    int force;                /* overwrite an existing file */
} bract_volume_write_opts;

/* Write `v` as float32 NIfTI (.nii or .nii.gz by the name), scl_slope 1,
 * intercept 0, with the geometry of the volume it was read from or made
 * like.  The file appears complete or not at all.  An existing file is an
 * error (BRACT_EEXIST) unless opts->force.  opts may be NULL. */
BRACT_API int bract_volume_write(const bract_volume *v, const char *path,
                                 const bract_volume_write_opts *opts);

/* BRACT_OK if a and b share a grid: the same nx, ny, nz and affines that
 * agree within tol_mm (1e-3 is the usual).  Otherwise BRACT_EDATA with a
 * message naming both files and the mismatch. */
BRACT_API int bract_volume_same_grid(const bract_volume *a, const bract_volume *b,
                                     double tol_mm);

/* Millimetre coordinates of voxel (i,j,k) through v->affine. */
BRACT_API void bract_volume_voxel_mm(const bract_volume *v, double i, double j, double k,
                                     double xyz[3]);

/* Orientation of the voxel axes, e.g. "RAS" or "LPI": for each axis the
 * world direction it points to.  out needs 4 bytes. */
BRACT_API void bract_volume_axcodes(const bract_volume *v, char out[4]);

typedef struct {
    double min, max, mean;  /* over finite values */
    size_t nonzero;         /* finite, nonzero values */
    size_t nonfinite;       /* NaN or infinite */
} bract_volume_stats;

/* Summary of all values (every volume of a series). */
BRACT_API int bract_volume_summary(const bract_volume *v, bract_volume_stats *st);

/* "INT16", "FLOAT32", ... for a NIfTI datatype code. */
BRACT_API const char *bract_volume_datatype_name(int datatype);

/* "CORREL", "TTEST", ... for a NIfTI intent code ("NONE" for 0). */
BRACT_API const char *bract_volume_intent_name(int intent_code);

/* Layouts of bract_volume_gather()'s output. */
enum {
    BRACT_TIME_ROWS = 0,  /* out[t * nvox + j]: one row per volume (patterns) */
    BRACT_VOXEL_ROWS = 1  /* out[j * nt + t]: one row per voxel (time series) */
};

/* Copy the values of `n` voxels (spatial indices `vox`) in every volume into
 * out (nt * n doubles) in the given layout. */
BRACT_API int bract_volume_gather(const bract_volume *v, const size_t *vox, size_t n, int layout,
                                  double *out);

/* ---- streaming reads ----
 *
 * The voxel bytes are read by bract itself (plain or gzipped, byte-swapped
 * as needed, scaled by scl_slope/scl_inter), keeping NaN and infinity as
 * stored: nifticlib's loader would replace them by 0 and hide them from
 * bract's NaN policy.  bract_volume_read uses the same reader.  A stream
 * delivers the volumes of a series in order, so a
 * caller that reduces each volume (region means) never holds the series. */

typedef struct bract_volume_stream bract_volume_stream;

/* Open `path` for reading its volumes in order.  *hdr (owned by the caller,
 * free with bract_volume_free) is the header-only volume, for grid checks and
 * the TR.  The stream is freed by bract_volume_stream_close. */
BRACT_API int bract_volume_stream_open(const char *path, bract_volume **hdr,
                                       bract_volume_stream **out);

/* Read the next `nvol` volumes into out (nvol * nvox values, volume after
 * volume, x fastest), as float (BRACT_F32) or double (BRACT_F64).  Reading
 * past the last volume, or a file that ends early, is an error naming the
 * file and the volume. */
BRACT_API int bract_volume_stream_read(bract_volume_stream *s, size_t nvol, int storage,
                                       void *out);

/* Volumes read so far. */
BRACT_API size_t bract_volume_stream_tell(const bract_volume_stream *s);

BRACT_API void bract_volume_stream_close(bract_volume_stream *s);

#ifdef __cplusplus
}
#endif
#endif
