/* UTF-8 text helpers (see text.h). */
#include "base/internal.h"
#include "base/text_internal.h"

#include <locale.h>
#include <pthread.h>
#include <string.h>
#include <wctype.h>

static locale_t utf8_locale;
static pthread_once_t utf8_once = PTHREAD_ONCE_INIT;

static void utf8_init(void)
{
    utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

static locale_t loc(void)
{
    pthread_once(&utf8_once, utf8_init);
    return utf8_locale;
}

size_t bract_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned c = s[0];
    size_t len;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xE0) == 0xC0) {
        len = 2, v = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3, v = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4, v = c & 0x07, min = 0x10000;
    } else {
        *cp = 0xFFFFFFFFu;
        return 1;
    }
    if (len > n) {
        *cp = 0xFFFFFFFFu;
        return 1;
    }
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *cp = 0xFFFFFFFFu;
            return 1;
        }
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
        *cp = 0xFFFFFFFFu;
        return 1;
    }
    *cp = v;
    return len;
}

static size_t encode(uint32_t v, char *out)
{
    unsigned char *o = (unsigned char *)out;
    if (v < 0x80) {
        o[0] = (unsigned char)v;
        return 1;
    }
    if (v < 0x800) {
        o[0] = (unsigned char)(0xC0 | (v >> 6));
        o[1] = (unsigned char)(0x80 | (v & 0x3F));
        return 2;
    }
    if (v < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (v >> 12));
        o[1] = (unsigned char)(0x80 | ((v >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (v & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (v >> 18));
    o[1] = (unsigned char)(0x80 | ((v >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((v >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (v & 0x3F));
    return 4;
}

size_t bract_utf8_lower(const char *s, size_t n, char *out)
{
    const unsigned char *u = (const unsigned char *)s;
    locale_t l = loc();
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        if (u[i] < 0x80) {
            out[k++] = (char)(u[i] >= 'A' && u[i] <= 'Z' ? u[i] + 32 : u[i]);
            i++;
            continue;
        }
        uint32_t cp;
        size_t len = bract_utf8_decode(u + i, n - i, &cp);
        if (cp == 0xFFFFFFFFu || !l) {
            memcpy(out + k, s + i, len);
            k += len;
        } else {
            uint32_t lc = (uint32_t)towlower_l((wint_t)cp, l);
            k += encode(lc <= 0x10FFFF ? lc : cp, out + k);
        }
        i += len;
    }
    out[k] = '\0';
    return k;
}

int bract_utf8_is_word(uint32_t cp)
{
    if (cp < 0x80)
        return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9');
    if (cp == 0xFFFFFFFFu)
        return 1;
    locale_t l = loc();
    return l ? iswalnum_l((wint_t)cp, l) != 0 : 1;
}
