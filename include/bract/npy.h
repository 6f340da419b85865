/* bract/npy.h: NumPy .npy arrays (format version 1.0), written as a stream.
 *
 * A writer knows the shape when it opens the file, writes the header, then
 * takes rows one after another: a matrix of thousands of rows never needs to
 * be in memory.  The file is little-endian float32 ('<f4'), C order,
 * 2-D (rows x cols), readable by numpy.load.  It is written atomically (a
 * temporary file renamed into place by commit), like every bract output.
 * The reader accepts '<f4' and '<f8' arrays of one or two dimensions in C
 * order and returns doubles. */
#ifndef BRACT_NPY_H
#define BRACT_NPY_H

#include <stddef.h>

#include "bract/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bract_npy_writer bract_npy_writer;

/* Start a float32 array of nrows x ncols at `path` (refused if it exists
 * and !force).  *out is freed by commit or abort. */
BRACT_API int bract_npy_open(const char *path, int force, size_t nrows, size_t ncols,
                             bract_npy_writer **out);

/* Append one row of ncols values, converted to float32. */
BRACT_API int bract_npy_write_row(bract_npy_writer *w, const double *row);

/* Append n rows of float32 values (n * ncols, row-major). */
BRACT_API int bract_npy_write_f32(bract_npy_writer *w, const float *rows, size_t n);

/* Finish: BRACT_OK only when exactly nrows rows were written and the file
 * is in place.  Frees w whatever the outcome. */
BRACT_API int bract_npy_commit(bract_npy_writer *w);

/* Remove the temporary file and free w (NULL allowed). */
BRACT_API void bract_npy_abort(bract_npy_writer *w);

/* Read a 1-D or 2-D '<f4'/'<f8' array.  A 1-D array of n values gives
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
