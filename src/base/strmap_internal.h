/* Private: a string -> index hash map (open addressing, FNV-1a), for
 * condition labels, embedding look-ups and LSA vocabularies.  Keys are
 * byte strings of a given length (UTF-8 or anything else); the map keeps its
 * own copies.  Never installed. */
#ifndef BRACT_STRMAP_INTERNAL_H
#define BRACT_STRMAP_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    char **key;     /* cap slots, NULL = empty; each NUL-terminated */
    size_t *klen;
    size_t *val;
    uint64_t *hash;
    size_t cap, n;
} bract_strmap;

/* An empty map sized for about `hint` keys.  BRACT_ENOMEM on failure. */
int bract_strmap_init(bract_strmap *m, size_t hint);
void bract_strmap_free(bract_strmap *m);

uint64_t bract_strmap_hash(const char *s, size_t len);

/* The value of key s[0..len), or -1. */
long bract_strmap_get(const bract_strmap *m, const char *s, size_t len);
/* The same with a hash computed by bract_strmap_hash. */
long bract_strmap_get_h(const bract_strmap *m, const char *s, size_t len, uint64_t h);

/* Insert s -> val unless present.  *existing (may be NULL) receives the
 * value already stored, or -1 when the key was added.  BRACT_ENOMEM. */
int bract_strmap_put(bract_strmap *m, const char *s, size_t len, size_t val, long *existing);

#endif
