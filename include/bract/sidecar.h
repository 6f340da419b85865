/* bract/sidecar.h: JSON sidecars that record how an output was made.
 *
 * Every output file gets "<name>.json" (BIDS-derivatives style) holding the
 * tool and version, the command line, the parameters, the inputs, counts of
 * excluded voxels/regions/words and the wall time.  Pipelines read the
 * parameters back to decide whether a step is up to date. */
#ifndef BRACT_SIDECAR_H
#define BRACT_SIDECAR_H

#include <stdint.h>

#include "bract/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bract_sidecar bract_sidecar;

/* A new sidecar for `command` (e.g. "rdm neural"); NULL when out of memory. */
BRACT_API bract_sidecar *bract_sidecar_new(const char *command);
BRACT_API void bract_sidecar_free(bract_sidecar *s);

BRACT_API void bract_sidecar_cmdline(bract_sidecar *s, int argc, char **argv);
BRACT_API void bract_sidecar_param_str(bract_sidecar *s, const char *key, const char *val);
BRACT_API void bract_sidecar_param_num(bract_sidecar *s, const char *key, double val);
BRACT_API void bract_sidecar_param_int(bract_sidecar *s, const char *key, int64_t val);
BRACT_API void bract_sidecar_param_bool(bract_sidecar *s, const char *key, int val);
/* An input file under a role ("data", "mask", ...); repeated roles make a list. */
BRACT_API void bract_sidecar_input(bract_sidecar *s, const char *role, const char *path);
/* A count ("excluded_voxels", ...). */
BRACT_API void bract_sidecar_count(bract_sidecar *s, const char *key, int64_t n);
/* Free-form top-level values. */
BRACT_API void bract_sidecar_set_str(bract_sidecar *s, const char *key, const char *val);
BRACT_API void bract_sidecar_set_num(bract_sidecar *s, const char *key, double val);
/* A top-level value given as JSON text (an object or array built elsewhere). */
BRACT_API int bract_sidecar_set_json(bract_sidecar *s, const char *key, const char *json);
BRACT_API void bract_sidecar_wall_time(bract_sidecar *s, double seconds);

/* argv joined into one shell-quoted string (words made only of letters,
 * digits and -_./=:,+@% stay bare; others are single-quoted).  This is the
 * "CommandLine" of a sidecar.  Caller frees. */
BRACT_API char *bract_sidecar_shell_join(int argc, char *const *argv);

/* The sidecar as JSON text (caller frees). */
BRACT_API char *bract_sidecar_to_string(const bract_sidecar *s);

/* Write the sidecar of `output_path` (bract_sidecar_path) atomically. */
BRACT_API int bract_sidecar_write(const bract_sidecar *s, const char *output_path, int force);

/* How an output in directory `out_dir` records the input `path` (in a
 * table or a sidecar), so that two output roots that hold the same work
 * compare byte-equal: relative to `out_dir` (with "../" steps as needed)
 * when the input lies under `out_dir` or under the output root that holds
 * it (the nearest directory at or above `out_dir` with a
 * dataset_description.json, as the pipeline runner and bract bids write);
 * otherwise `path` as given (also when either does not exist).  Caller
 * frees; NULL when out of memory. */
BRACT_API char *bract_sidecar_path_for_record(const char *path, const char *out_dir);

/* Read the "Parameters" object of a sidecar file as canonical JSON text (keys
 * sorted), for comparing runs.  Caller frees. */
BRACT_API int bract_sidecar_read_params(const char *sidecar_path, char **params_json);

/* The sidecar name of an output: the name without its extension (.nii.gz,
 * .nii, .tsv.gz, .tsv, .csv, .npy, .h5, .html, .png, .svg, ...) plus ".json".
 * Returns a string owned by the caller, or NULL for "-". */
BRACT_API char *bract_sidecar_path(const char *output_path);

#ifdef __cplusplus
}
#endif
#endif
