/* bract/output.h: atomic output files.
 *
 * Every output is written to a temporary file in the target directory and
 * renamed over the final name only when complete, so a killed run leaves the
 * old file (or none), never a half-written one.  Temporary names are
 * ".<stem>.bract-XXXXXX<ext>" (hidden, same extension so that writers that
 * choose compression by name keep working).  An existing output is refused
 * unless `force`; the path "-" means standard output (no temporary). */
#ifndef BRACT_OUTPUT_H
#define BRACT_OUTPUT_H

#include <stdio.h>

#include "bract/error.h"
#include "bract/sidecar.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bract_output bract_output;

/* BRACT_EEXIST if `path` exists and !force, where a symbolic link, even a
 * dangling one, exists (lstat): with force the link is replaced, never
 * written through.  The same for its sidecar (bract_sidecar_path; not for
 * a .json path, which is a sidecar itself), except that a sidecar bract
 * wrote there (GeneratedBy bract) is replaced as before: x.h5 after x.tsv
 * share x.json.  A user's file or a link there is refused without force.  BRACT_EIO if `path` is a directory
 * or a link to one, or if its directory does not exist or is not
 * writable. */
BRACT_API int bract_output_check(const char *path, int force);

/* BRACT_EINVAL if `out` names the same file as one of the inputs (by
 * device and inode, so links and ./ spellings are caught). */
BRACT_API int bract_output_not_input(const char *out, const char *const *inputs, size_t n);

/* Remove the temporary files a killed writer of `path` left in its
 * directory (".<stem>.bract-XXXXXX<ext>", as above), leaving those a live
 * writer holds: a writer keeps a lock (flock) on its temporary until it is
 * renamed or removed, and a killed process loses it.  bract_output_open
 * calls it for its path, so the next run of a command cleans up after a
 * killed one. */
BRACT_API void bract_output_clean(const char *path);

/* The same for every temporary (".NAME.bract-XXXXXX.EXT") in directory
 * `dir`: inside a directory output, for outputs a rerun may not write. */
BRACT_API void bract_output_clean_dir(const char *dir);

/* 1 when `path` is what an interrupted run left of a set of outputs whose
 * primary output, written last, is `primary`: nothing is at `primary` (not
 * even a link), and `path` is a regular file with a sidecar bract wrote
 * (bract_sidecar_path).  Such a file may be replaced without force; a
 * user's file, or one whose set is complete, may not. */
BRACT_API int bract_output_leftover(const char *path, const char *primary);

/* Remove `path` and its sidecar when bract_output_leftover says they are
 * what an interrupted run left: a rerun of a multi-output command calls it
 * for every output but the primary before checking them, so a partial set
 * does not block it.  1 when removed. */
BRACT_API int bract_output_drop_leftover(const char *path, const char *primary);

/* Create the temporary file for `path`, first removing the temporaries a
 * killed writer of it left (bract_output_clean).  *out is freed by commit
 * or abort. */
BRACT_API int bract_output_open(const char *path, int force, bract_output **out);

/* The temporary file's name (for writers that open by name, like nifticlib). */
BRACT_API const char *bract_output_tmppath(const bract_output *o);

/* A stdio stream on the temporary file (opened on first call). */
BRACT_API FILE *bract_output_stream(bract_output *o);

/* Flush, close and rename into place.  Frees o whatever the outcome; on
 * failure the temporary file is removed. */
BRACT_API int bract_output_commit(bract_output *o);

/* Remove the temporary file and free o.  NULL is allowed. */
BRACT_API void bract_output_abort(bract_output *o);

/* Write `len` bytes to `path` atomically. */
BRACT_API int bract_output_write_atomic(const char *path, const void *data, size_t len, int force);

/* Make directory `dir` and any missing parents (mkdir -p).  *created (may
 * be NULL) becomes 1 when `dir` itself was made by this call, so a command
 * that fails can remove what it made.  An existing path that is not a
 * directory is an error naming it. */
BRACT_API int bract_output_make_dir(const char *dir, int *created);

#ifdef __cplusplus
}
#endif
#endif
