/* bract/npy.h: NumPy .npy arrays (format version 1.0), written as a stream.
 *
 * A writer knows the shape when it opens the file, writes the header, then
 * takes rows one after another: a matrix of thousands of rows never needs to
 * be in memory.  The file is little-endian float32 ('<f4'; or float16
 * '<f2', float64 '<f8'), C order, 2-D (rows x cols), readable by
 * numpy.load.  Rows are converted into blocks of 1 MB that go to the file
 * in one write each; for a file of more than four blocks the writes are
 * made by a thread of the writer's own, from a ring of up to 16 blocks, so
 * that the kernel's copy overlaps the caller's next rows (the bytes are
 * the same, in order; a failed write is reported by the next call or by
 * commit).  It is written atomically (a temporary file renamed into place
 * by commit), like every bract output.
 *
 * Thread safety: a writer belongs to one thread at a time (its own thread
 * only writes the blocks handed to it); commit and abort end that thread.
 * The reader
 * accepts '<f4', '<f8' and '<f2' arrays of one or two dimensions in C
 * order and returns doubles. */
#ifndef BRACT_NPY_H
#define BRACT_NPY_H

#include <stddef.h>
#include <stdint.h>

#include "bract/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bract_npy_writer bract_npy_writer;

/* The type of the values in the file. */
typedef enum {
    BRACT_NPY_F4 = 0, /* '<f4', float32 (round to nearest) */
    BRACT_NPY_F2 = 1, /* '<f2', IEEE half (round to nearest, ties to even, as numpy's
                         astype(np.float16) of the doubles; beyond 65504: infinity) */
    BRACT_NPY_F8 = 2  /* '<f8', the doubles as they are */
} bract_npy_dtype;

/* Start a float32 array of nrows x ncols at `path` (refused if it exists
 * and !force).  *out is freed by commit or abort. */
BRACT_API int bract_npy_open(const char *path, int force, size_t nrows, size_t ncols,
                             bract_npy_writer **out);

/* Start an array of another type (BRACT_EINVAL for an unknown one). */
BRACT_API int bract_npy_open_dtype(const char *path, int force, size_t nrows, size_t ncols,
                                   bract_npy_dtype dtype, bract_npy_writer **out);

/* Append one row of ncols values, converted to the file's type. */
BRACT_API int bract_npy_write_row(bract_npy_writer *w, const double *row);

/* Append n rows (n * ncols values, row-major), converted to the file's type. */
BRACT_API int bract_npy_write_rows(bract_npy_writer *w, const double *rows, size_t n);

/* Append n rows of float32 values (n * ncols, row-major), converted to the
 * file's type. */
BRACT_API int bract_npy_write_f32(bract_npy_writer *w, const float *rows, size_t n);

/* Finish: BRACT_OK only when exactly nrows rows were written and the file
 * is in place.  Frees w whatever the outcome. */
BRACT_API int bract_npy_commit(bract_npy_writer *w);

/* Remove the temporary file and free w (NULL allowed). */
BRACT_API void bract_npy_abort(bract_npy_writer *w);

/* IEEE half precision from a double (round to nearest, ties to even; NaN
 * stays NaN, beyond the largest half infinity) and back (exact). */
BRACT_API uint16_t bract_npy_half_from_double(double d);
BRACT_API double bract_npy_half_to_double(uint16_t h);

/* Read a 1-D or 2-D '<f4'/'<f8'/'<f2' array.  A 1-D array of n values gives
 * nrows = n, ncols = 1.  *data (nrows * ncols doubles, row-major) is owned
 * by the caller.  Errors name the file and what is not supported. */
BRACT_API int bract_npy_read(const char *path, size_t *nrows, size_t *ncols, double **data);

/* The shape of a .npy file from its header alone (for bract info): rows,
 * columns (1 for a 1-D array), *ndim (1 or 2) and *value_bytes (4 or 8),
 * with the same checks as bract_npy_read (type, C order, a shape the file's
 * size can hold) and the same messages. */
BRACT_API int bract_npy_describe(const char *path, size_t *nrows, size_t *ncols, int *ndim,
                                 int *value_bytes);

#ifdef __cplusplus
}
#endif
#endif
