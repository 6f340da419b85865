/* Private: UTF-8 text helpers for embedding look-ups and LSA.
 *
 * Case folding and character classes come from glibc's C.UTF-8 locale
 * data (towlower_l, iswalnum_l on a locale object made once; the global
 * locale is never touched).  Where that locale does not exist, only ASCII
 * letters are folded and only ASCII letters and digits, plus every
 * non-ASCII character, count as word characters.  Invalid UTF-8 bytes are
 * kept as they are and count as word characters.  Never installed. */
#ifndef BRACT_TEXT_INTERNAL_H
#define BRACT_TEXT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* Decode one code point at s (n bytes available): its length in bytes
 * (1..4) and *cp; an invalid sequence gives length 1 and *cp = 0xFFFFFFFF. */
size_t bract_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/* Lowercase s[0..n) into out (room for 2n + 4 bytes); returns the length
 * written (out is NUL-terminated). */
size_t bract_utf8_lower(const char *s, size_t n, char *out);

/* 1 if the code point is a letter or digit (a word character). */
int bract_utf8_is_word(uint32_t cp);

#endif
