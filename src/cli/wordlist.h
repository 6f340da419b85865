/* Word lists for the command line (conditions as words, stop words). */
#ifndef BRACT_CLI_WORDLIST_H
#define BRACT_CLI_WORDLIST_H

#include <stddef.h>

/* The words of a UTF-8 file, one per line: surrounding blanks trimmed, blank
 * lines skipped, a byte-order mark skipped, repeats kept once (first).
 * *words points into *text; the caller frees both.  Returns a BRACT status
 * with the message set. */
int cli_read_word_list(const char *path, char ***words, size_t *n, char **text);

#endif
