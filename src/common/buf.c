#include "common/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mb_buf_init(mb_buf_t *b, size_t max)
{
   memset(b, 0, sizeof *b);
   b->max = max;
}

bool mb_buf_reserve(mb_buf_t *b, size_t extra, mb_error_t *err)
{
   size_t need, cap;
   uint8_t *p;

   if (extra > b->max - b->len) {
      mb_error_set(err, MB_EXIT_FAILURE, "buffer limit of %zu bytes exceeded", b->max);
      return false;
   }
   need = b->len + extra;
   if (need <= b->cap) {
      return true;
   }
   cap = b->cap ? b->cap : 256;
   while (cap < need) {
      cap = cap > b->max / 2 ? b->max : cap * 2;
   }
   p = realloc(b->data, cap);
   if (!p) {
      mb_error_set(err, MB_EXIT_FAILURE, "out of memory growing a buffer to %zu bytes", cap);
      return false;
   }
   b->data = p;
   b->cap = cap;
   return true;
}

bool mb_buf_append(mb_buf_t *b, const void *data, size_t len, mb_error_t *err)
{
   if (!mb_buf_reserve(b, len, err)) {
      return false;
   }
   if (len) {
      memcpy(b->data + b->len, data, len);
   }
   b->len += len;
   return true;
}

bool mb_buf_printf(mb_buf_t *b, mb_error_t *err, const char *fmt, ...)
{
   va_list ap;
   int n;

   va_start(ap, fmt);
   n = vsnprintf(NULL, 0, fmt, ap);
   va_end(ap);
   if (n < 0 || !mb_buf_reserve(b, (size_t) n + 1, err)) {
      return false;
   }
   va_start(ap, fmt);
   vsnprintf((char *) b->data + b->len, (size_t) n + 1, fmt, ap);
   va_end(ap);
   b->len += (size_t) n;
   return true;
}

void mb_buf_reset(mb_buf_t *b)
{
   b->len = 0;
}

void mb_buf_destroy(mb_buf_t *b)
{
   if (b) {
      free(b->data);
      memset(b, 0, sizeof *b);
   }
}
