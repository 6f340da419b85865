/* BIDS-derivatives datasets: the dataset_description.json of an output
 * root (the pipeline runner's, bract bids', the demo's). */
#ifndef BRACT_CLI_DERIVATIVES_H
#define BRACT_CLI_DERIVATIVES_H

#include <stddef.h>

/* The BIDS version the files bract writes follow. */
#define CLI_BIDS_VERSION "1.8.0"

/* Where bract's code is found, for GeneratedBy's CodeURL: BIDS makes the
 * field optional, and the project has no public address yet, so it is
 * written only when a build names one (make CPPFLAGS=-DBRACT_CODE_URL=...). */

/* Write root/dataset_description.json (root is made if missing): Name,
 * BIDSVersion, DatasetType "derivative", GeneratedBy (bract, its version
 * and CodeURL) and SourceDatasets (a file:// URL per directory of `sources`, with the
 * DOI its own dataset_description.json gives).  The Name is "bract
 * derivatives of" the first source's Name (or directory name).  A file
 * written by something else is left as it is; bract's own is replaced
 * when it would change.  Returns 0 or a BRACT_E* status with a message in
 * the library's error slot. */
int cli_derivatives_describe(const char *root, const char *const *sources, size_t nsources);

/* The text of a dataset_description.json: Name, BIDSVersion, DatasetType
 * (`type`: "raw" or "derivative") and GeneratedBy (bract, its version,
 * CodeURL and `how`, its Description), with a final newline.  Caller
 * frees; NULL when out of memory. */
char *cli_bids_description(const char *name, const char *type, const char *how);

/* The Name of the BIDS dataset at dir (its dataset_description.json), or
 * NULL when it has none; caller frees. */
char *cli_bids_dataset_name(const char *dir);

#endif
