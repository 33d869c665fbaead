#include "common/text.h"

#include <bson/bson.h>
#include <stdlib.h>
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

/* The next piece of the escaped text: either an escape written into esc, or n bytes of s.
 * Only invalid UTF-8 is escaped unless controls. */
static size_t next_piece(const char *s, bool controls, char esc[8], const char **piece,
                         size_t *consumed)
{
   const unsigned char *u = (const unsigned char *) s;
   unsigned cp = 0;
   size_t n = utf8_len(u, &cp);

   if (n == 0 || (controls && (cp < 0x20 || cp == 0x7f))) {
      snprintf(esc, 8, "\\x%02x", u[0]);
      *piece = esc;
      *consumed = 1;
      return 4;
   }
   if (controls && cp >= 0x80 && cp <= 0x9f) {
      snprintf(esc, 8, "\\u%04x", cp);
      *piece = esc;
      *consumed = n;
      return 6;
   }
   *piece = s;
   *consumed = n;
   return n;
}

static char *escape(const char *s, bool controls, char *out, size_t size)
{
   size_t used = 0;

   while (*s) {
      char esc[8];
      const char *piece;
      size_t consumed, len = next_piece(s, controls, esc, &piece, &consumed);
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

char *mb_text_escape(const char *s, char *out, size_t size)
{
   return escape(s, true, out, size);
}

char *mb_text_escape_dup(const char *s)
{
   size_t size = 4 * strlen(s) + 1; /* at most 4 bytes of escape per input byte */
   return escape(s, true, bson_malloc(size), size);
}

char *mb_text_utf8_dup(const char *s)
{
   size_t size = 4 * strlen(s) + 1;
   return escape(s, false, bson_malloc(size), size);
}

void mb_text_fputs(FILE *f, const char *s)
{
   while (*s) {
      char esc[8];
      const char *piece;
      size_t consumed, len = next_piece(s, true, esc, &piece, &consumed);
      fwrite(piece, 1, len, f);
      s += consumed;
   }
}

#define MAX_JSON_DEPTH 200

static void append_repaired(bson_t *out, const bson_t *in, int depth);

/* One element of a document being repaired; its key already repaired. */
static void append_element(bson_t *out, const char *key, const bson_iter_t *it, int depth)
{
   const uint8_t *data;
   uint32_t len;
   bson_t sub, child;

   switch (bson_iter_type(it)) {
   case BSON_TYPE_UTF8: {
      char *v = mb_text_utf8_dup(bson_iter_utf8(it, NULL));
      BSON_APPEND_UTF8(out, key, v);
      bson_free(v);
      return;
   }
   case BSON_TYPE_DOCUMENT:
   case BSON_TYPE_ARRAY:
      if (BSON_ITER_HOLDS_DOCUMENT(it)) {
         bson_iter_document(it, &len, &data);
      } else {
         bson_iter_array(it, &len, &data);
      }
      if (depth >= MAX_JSON_DEPTH || !bson_init_static(&sub, data, len)) {
         BSON_APPEND_UTF8(out, key, "(not shown: nested too deep or not valid BSON)");
         return;
      }
      if (BSON_ITER_HOLDS_DOCUMENT(it)) {
         BSON_APPEND_DOCUMENT_BEGIN(out, key, &child);
         append_repaired(&child, &sub, depth + 1);
         bson_append_document_end(out, &child);
      } else {
         BSON_APPEND_ARRAY_BEGIN(out, key, &child);
         append_repaired(&child, &sub, depth + 1);
         bson_append_array_end(out, &child);
      }
      return;
   default:
      bson_append_iter(out, key, -1, it);
   }
}

static void append_repaired(bson_t *out, const bson_t *in, int depth)
{
   bson_iter_t it;

   if (!bson_iter_init(&it, in)) {
      return;
   }
   while (bson_iter_next(&it)) {
      char *key = mb_text_utf8_dup(bson_iter_key(&it));
      append_element(out, key, &it, depth);
      bson_free(key);
   }
}

/* libbson writes a double with 20 significant digits (0.1 as 0.10000000000000000555): write
 * each such number as the shortest text that reads back as the same double. */
static size_t shorten_number(char *tok, size_t n)
{
   char num[40], out[40];
   int int_digits;
   double v;

   if (n >= sizeof num || !memchr(tok, '.', n)) {
      return n;
   }
   memcpy(num, tok, n);
   num[n] = '\0';
   v = strtod(num, NULL);
   /* at least as many digits as the integer part has: 1000.5, never 1e+03 */
   int_digits = (int) strcspn(num, ".eE") - (num[0] == '-');
   if (strpbrk(num, "eE")) {
      int_digits = 1;
   }
   for (int prec = int_digits; prec <= 17; prec++) {
      int m = snprintf(out, sizeof out, "%.*g", prec, v);
      if (m > 0 && (size_t) m < sizeof out && strtod(out, NULL) == v) {
         if (!strpbrk(out, ".eEn") && (size_t) m + 2 < sizeof out) {
            memcpy(out + m, ".0", 3); /* still reads as a double */
            m += 2;
         }
         if ((size_t) m < n) {
            memcpy(tok, out, (size_t) m);
            return (size_t) m;
         }
         break;
      }
   }
   return n;
}

/* Shorten every number of json (outside strings) in place; returns the new length. */
static size_t shorten_numbers(char *json, size_t len)
{
   size_t r = 0, w = 0;
   bool in_str = false;

   while (r < len) {
      char c = json[r];
      if (in_str) {
         json[w++] = json[r++];
         if (c == '\\' && r < len) {
            json[w++] = json[r++];
         } else if (c == '"') {
            in_str = false;
         }
      } else if (c == '"') {
         in_str = true;
         json[w++] = json[r++];
      } else if (c == '-' || (c >= '0' && c <= '9')) {
         size_t start = r, n;
         while (r < len && strchr("+-.0123456789eE", json[r])) {
            r++;
         }
         memmove(json + w, json + start, r - start);
         n = shorten_number(json + w, r - start);
         w += n;
      } else {
         json[w++] = json[r++];
      }
   }
   json[w] = '\0';
   return w;
}

char *mb_text_json(const bson_t *b, size_t *len)
{
   size_t n = 0;
   char *json = bson_as_relaxed_extended_json(b, &n);

   if (!json) {
      bson_t fixed = BSON_INITIALIZER;
      append_repaired(&fixed, b, 0);
      json = bson_as_relaxed_extended_json(&fixed, &n);
      bson_destroy(&fixed);
   }
   if (!json) { /* a code, symbol or regular expression that is not UTF-8 either */
      json = bson_strdup("{ \"error\" : \"this document holds text that is not UTF-8\" }");
      n = strlen(json);
   }
   n = shorten_numbers(json, n);
   if (len) {
      *len = n;
   }
   return json;
}

void mb_text_array_begin_document(bson_t *arr, uint32_t i, bson_t *doc)
{
   char buf[16];
   const char *k;

   bson_uint32_to_string(i, &k, buf, sizeof buf);
   BSON_APPEND_DOCUMENT_BEGIN(arr, k, doc);
}

void mb_text_append_utf8_or_null(bson_t *doc, const char *key, const char *v)
{
   if (v) {
      BSON_APPEND_UTF8(doc, key, v);
   } else {
      BSON_APPEND_NULL(doc, key);
   }
}

void mb_text_append_strings(bson_t *doc, const char *key, const char *const *strs)
{
   bson_t arr;
   char buf[16];

   BSON_APPEND_ARRAY_BEGIN(doc, key, &arr);
   for (uint32_t i = 0; strs && strs[i]; i++) {
      const char *k;
      bson_uint32_to_string(i, &k, buf, sizeof buf);
      BSON_APPEND_UTF8(&arr, k, strs[i]);
   }
   bson_append_array_end(doc, &arr);
}

char *mb_text_get_utf8_dup(const bson_t *doc, const char *key)
{
   bson_iter_t it;

   return bson_iter_init_find(&it, doc, key) && BSON_ITER_HOLDS_UTF8(&it)
              ? bson_strdup(bson_iter_utf8(&it, NULL))
              : NULL;
}

uint64_t mb_text_get_u64(const bson_t *doc, const char *key)
{
   bson_iter_t it;

   return bson_iter_init_find(&it, doc, key) && BSON_ITER_HOLDS_NUMBER(&it)
              ? (uint64_t) bson_iter_as_int64(&it)
              : 0;
}
