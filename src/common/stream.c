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
   mem_sink_t *m = calloc(1, sizeof *m);

   if (!m) {
      mb_error_set(err, MB_EXIT_FAILURE, "out of memory");
      return false;
   }
   m->base.write = mem_write;
   m->base.close = mem_close;
   m->base.destroy = mem_destroy;
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
   mem_source_t *m = calloc(1, sizeof *m);

   if (!m) {
      mb_error_set(err, MB_EXIT_FAILURE, "out of memory");
      return false;
   }
   m->base.read = memsrc_read;
   m->base.destroy = memsrc_destroy;
   m->data = data;
   m->len = len;
   *out = &m->base;
   return true;
}
