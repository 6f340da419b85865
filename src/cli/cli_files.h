/* File lists, file names and word lists for the command line (shared by
 * bract rdm and bract lsa). */
#ifndef BRACT_CLI_FILES_H
#define BRACT_CLI_FILES_H

#include <stddef.h>

/* A growable list of borrowed strings (argv entries). */
typedef struct {
    const char **v;
    size_t n;
} cli_strlist;

/* Append s; -1 when out of memory. */
int cli_strlist_push(cli_strlist *l, const char *s);

/* The file name without its directory and known extensions (.gz, .nii,
 * .tsv, .csv, .txt, .bin, .vec), e.g. "glove.6B" for
 * "data/glove.6B.txt.gz": default names of RDMs.  Caller frees; NULL when
 * out of memory. */
char *cli_file_stem(const char *path);

/* The words of a UTF-8 file, one per line: surrounding blanks trimmed, blank
 * lines skipped, a byte-order mark skipped, repeats kept once (first).
 * *words points into *text; the caller frees both.  Returns a BRACT status
 * with the message set. */
int cli_read_word_list(const char *path, char ***words, size_t *n, char **text);

#endif
