#include "common/text.h"

#include <bson/bson.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (1-4), or 0 when s does not start one. */
static size_t utf8_len(const unsigned char *s, unsigned *cp)
{
   size_t n;
   unsigned c = s[0], min;

   if (c < 0x80) {
      *cp = c;
      return 1;
   }
   if (c >= 0xc2 && c <= 0xdf) {
      n = 2;
      min = 0x80;
   } else if (c >= 0xe0 && c <= 0xef) {
      n = 3;
      min = 0x800;
   } else if (c >= 0xf0 && c <= 0xf4) {
      n = 4;
      min = 0x10000;
   } else {
      return 0;
   }
   c &= 0x7fu >> n; /* the payload bits of the lead byte */
   for (size_t i = 1; i < n; i++) {
      if ((s[i] & 0xc0) != 0x80) { /* also stops at the NUL */
         return 0;
      }
      c = c << 6 | (s[i] & 0x3f);
   }
   if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
      return 0;
   }
   *cp = c;
   return n;
}

/* The next piece of the escaped text: either an escape written into esc, or n bytes of s. */
static size_t next_piece(const char *s, char esc[8], const char **piece, size_t *consumed)
{
   const unsigned char *u = (const unsigned char *) s;
   unsigned cp = 0;
   size_t n = utf8_len(u, &cp);

   if (n == 0 || cp < 0x20 || cp == 0x7f) {
      snprintf(esc, 8, "\\x%02x", u[0]);
      *piece = esc;
      *consumed = 1;
      return 4;
   }
   if (cp >= 0x80 && cp <= 0x9f) {
      snprintf(esc, 8, "\\u%04x", cp);
      *piece = esc;
      *consumed = n;
      return 6;
   }
   *piece = s;
   *consumed = n;
   return n;
}

char *mb_text_escape(const char *s, char *out, size_t size)
{
   size_t used = 0;

   while (*s) {
      char esc[8];
      const char *piece;
      size_t consumed, len = next_piece(s, esc, &piece, &consumed);
      if (used + len >= size) {
         break;
      }
      memcpy(out + used, piece, len);
      used += len;
      s += consumed;
   }
   out[used] = '\0';
   return out;
}

char *mb_text_escape_dup(const char *s)
{
   size_t size = 6 * strlen(s) + 1; /* at most 6 bytes of escape per input byte */
   return mb_text_escape(s, bson_malloc(size), size);
}

void mb_text_fputs(FILE *f, const char *s)
{
   while (*s) {
      char esc[8];
      const char *piece;
      size_t consumed, len = next_piece(s, esc, &piece, &consumed);
      fwrite(piece, 1, len, f);
      s += consumed;
   }
}
