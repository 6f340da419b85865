/* Fuzz the embedding readers through bract_embed_lookup: the first
 * byte picks the format (auto, word2vec text, word2vec binary, GloVe, TSV)
 * and lowercasing; the rest is the table (gzip detected by content). */
#include "fuzz.h"

static void fz_setup(void) {}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    fz_reset();
    static const char *words[10] = {"cat", "dog", "fish", "bird", "car",
                                    "bus", "apple", "Pear", "\xe7\x8c\xab", "extra9"};
    bract_embed_opts o = {(bract_embed_format)(data[0] % 5), (data[0] >> 3) & 1};
    const char *p = fz_write("e.txt", data + 1, size - 1);
    bract_embedding *e = NULL;
    if (bract_embed_lookup(p, words, 10, &o, &e) == 0)
        bract_embed_free(e);
    return 0;
}
