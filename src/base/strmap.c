/* Private string -> index hash map (see strmap.h). */
#include "base/internal.h"
#include "base/strmap_internal.h"

#include <string.h>

uint64_t bract_strmap_hash(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static int alloc_slots(bract_strmap *m, size_t cap)
{
    m->key = bract_xcalloc(cap, sizeof *m->key, "a hash table");
    m->klen = bract_xmalloc(cap, sizeof *m->klen, "a hash table");
    m->val = bract_xmalloc(cap, sizeof *m->val, "a hash table");
    m->hash = bract_xmalloc(cap, sizeof *m->hash, "a hash table");
    if (!m->key || !m->klen || !m->val || !m->hash) {
        free(m->key);
        free(m->klen);
        free(m->val);
        free(m->hash);
        m->key = NULL;
        return BRACT_ENOMEM;
    }
    m->cap = cap;
    return BRACT_OK;
}

int bract_strmap_init(bract_strmap *m, size_t hint)
{
    memset(m, 0, sizeof *m);
    size_t cap = 16;
    while (cap < 2 * hint + 2)
        cap *= 2;
    return alloc_slots(m, cap);
}

void bract_strmap_free(bract_strmap *m)
{
    if (!m->key)
        return;
    for (size_t i = 0; i < m->cap; i++)
        free(m->key[i]);
    free(m->key);
    free(m->klen);
    free(m->val);
    free(m->hash);
    memset(m, 0, sizeof *m);
}

long bract_strmap_get_h(const bract_strmap *m, const char *s, size_t len, uint64_t h)
{
    size_t mask = m->cap - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        if (!m->key[i])
            return -1;
        if (m->hash[i] == h && m->klen[i] == len && memcmp(m->key[i], s, len) == 0)
            return (long)m->val[i];
    }
}

long bract_strmap_get(const bract_strmap *m, const char *s, size_t len)
{
    return bract_strmap_get_h(m, s, len, bract_strmap_hash(s, len));
}

static void place(bract_strmap *m, char *key, size_t len, size_t val, uint64_t h)
{
    size_t mask = m->cap - 1, i = (size_t)h & mask;
    while (m->key[i])
        i = (i + 1) & mask;
    m->key[i] = key;
    m->klen[i] = len;
    m->val[i] = val;
    m->hash[i] = h;
}

int bract_strmap_put(bract_strmap *m, const char *s, size_t len, size_t val, long *existing)
{
    uint64_t h = bract_strmap_hash(s, len);
    long v = bract_strmap_get_h(m, s, len, h);
    if (existing)
        *existing = v;
    if (v >= 0)
        return BRACT_OK;
    if (2 * (m->n + 1) > m->cap) {
        bract_strmap old = *m;
        if (alloc_slots(m, old.cap * 2)) {
            *m = old;
            return BRACT_ENOMEM;
        }
        m->n = old.n;
        for (size_t i = 0; i < old.cap; i++)
            if (old.key[i])
                place(m, old.key[i], old.klen[i], old.val[i], old.hash[i]);
        free(old.key);
        free(old.klen);
        free(old.val);
        free(old.hash);
    }
    char *k = bract_xmalloc(len + 1, 1, "a hash key");
    if (!k)
        return BRACT_ENOMEM;
    memcpy(k, s, len);
    k[len] = '\0';
    place(m, k, len, val, h);
    m->n++;
    return BRACT_OK;
}
