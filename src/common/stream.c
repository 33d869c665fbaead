#include "common/stream.h"
#include "common/buf.h"

#include <stdlib.h>
#include <string.h>

bool mb_sink_write(mb_sink_t *s, const void *data, size_t len, mb_error_t *err)
{
   if (len == 0) {
      return true;
   }
   s->bytes_in += len;
   return s->write(s, data, len, err);
}

bool mb_sink_close(mb_sink_t *s, mb_error_t *err)
{
   return s->close(s, err);
}

void mb_sink_destroy(mb_sink_t *s)
{
   if (s) {
      s->destroy(s);
   }
}

bool mb_source_read(mb_source_t *s, void *buf, size_t cap, size_t *got, mb_error_t *err)
{
   *got = 0;
   if (!s->read(s, buf, cap, got, err)) {
      return false;
   }
   s->bytes_out += *got;
   return true;
}

bool mb_source_read_full(mb_source_t *s, void *buf, size_t len, size_t *got, mb_error_t *err)
{
   size_t total = 0, n;

   while (total < len) {
      if (!mb_source_read(s, (uint8_t *) buf + total, len - total, &n, err)) {
         *got = total;
         return false;
      }
      if (n == 0) {
         break;
      }
      total += n;
   }
   *got = total;
   return true;
}

void mb_source_destroy(mb_source_t *s)
{
   if (s) {
      s->destroy(s);
   }
}

static void *alloc_or_fail(size_t size, mb_error_t *err)
{
   void *p = calloc(1, size);

   if (!p) {
      mb_error_set(err, MB_EXIT_FAILURE, "out of memory");
   }
   return p;
}

void *mb_sink_alloc(size_t size, const mb_sink_t *ops, mb_error_t *err)
{
   mb_sink_t *s = alloc_or_fail(size, err);

   if (s) {
      s->write = ops->write;
      s->close = ops->close;
      s->destroy = ops->destroy;
   }
   return s;
}

void *mb_source_alloc(size_t size, const mb_source_t *ops, mb_error_t *err)
{
   mb_source_t *s = alloc_or_fail(size, err);

   if (s) {
      s->read = ops->read;
      s->destroy = ops->destroy;
   }
   return s;
}

typedef struct {
   mb_sink_t base;
   mb_buf_t buf;
} mem_sink_t;

static bool mem_write(mb_sink_t *s, const void *data, size_t len, mb_error_t *err)
{
   return mb_buf_append(&((mem_sink_t *) s)->buf, data, len, err);
}

static bool mem_close(mb_sink_t *s, mb_error_t *err)
{
   (void) s;
   (void) err;
   return true;
}

static void mem_destroy(mb_sink_t *s)
{
   mb_buf_destroy(&((mem_sink_t *) s)->buf);
   free(s);
}

bool mb_mem_sink_new(size_t max, mb_sink_t **out, mb_error_t *err)
{
   static const mb_sink_t ops = {.write = mem_write, .close = mem_close, .destroy = mem_destroy};
   mem_sink_t *m = mb_sink_alloc(sizeof *m, &ops, err);

   if (!m) {
      return false;
   }
   mb_buf_init(&m->buf, max);
   *out = &m->base;
   return true;
}

const uint8_t *mb_mem_sink_data(mb_sink_t *s, size_t *len)
{
   mem_sink_t *m = (mem_sink_t *) s;
   *len = m->buf.len;
   return m->buf.data;
}

typedef struct {
   mb_source_t base;
   const uint8_t *data;
   size_t len, pos;
} mem_source_t;

static bool memsrc_read(mb_source_t *s, void *buf, size_t cap, size_t *got, mb_error_t *err)
{
   mem_source_t *m = (mem_source_t *) s;
   size_t n = m->len - m->pos < cap ? m->len - m->pos : cap;

   (void) err;
   if (n) {
      memcpy(buf, m->data + m->pos, n);
   }
   m->pos += n;
   *got = n;
   return true;
}

static void memsrc_destroy(mb_source_t *s)
{
   free(s);
}

bool mb_mem_source_new(const void *data, size_t len, mb_source_t **out, mb_error_t *err)
{
   static const mb_source_t ops = {.read = memsrc_read, .destroy = memsrc_destroy};
   mem_source_t *m = mb_source_alloc(sizeof *m, &ops, err);

   if (!m) {
      return false;
   }
   m->data = data;
   m->len = len;
   *out = &m->base;
   return true;
}
