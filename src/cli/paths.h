/* File names and word lists for the command line. */
#ifndef BRACT_CLI_PATHS_H
#define BRACT_CLI_PATHS_H

#include <stddef.h>

#include "cli/opts.h"

/* The file name without its directory and known extensions (.gz, .nii,
 * .tsv, .csv, .txt, .bin, .vec), e.g. "glove.6B" for
 * "data/glove.6B.txt.gz": default names of RDMs.  Caller frees; NULL when
 * out of memory. */
char *cli_file_stem(const char *path);

/* 1 if path ends in one of the suffixes (a NULL-terminated list; case
 * matters). */
int cli_has_suffix(const char *path, const char *const *suffixes);

/* 1 if path names a table by its suffix (.tsv, .csv, .txt, gzipped or
 * not), and 1 if it names a NIfTI file (.nii, .nii.gz). */
int cli_is_table_name(const char *path);
int cli_is_nifti_name(const char *path);

/* The words of a UTF-8 file (gzipped or not), one per line: surrounding
 * blanks trimmed, blank lines skipped, a byte-order mark skipped, repeats
 * kept once (first).
 * *words points into *text; the caller frees both.  Returns a BRACT status
 * with the message set. */
int cli_read_word_list(const char *path, char ***words, size_t *n, char **text);

#endif
