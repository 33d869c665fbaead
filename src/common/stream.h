/* Streams: a small sink/source interface plus filters (compression, counting), so that dump,
 * restore and verify share one I/O path. Implementations embed the struct as their first member. */
#ifndef MB_COMMON_STREAM_H
#define MB_COMMON_STREAM_H

#include "common/error.h"

#include <stddef.h>
#include <stdint.h>

typedef struct mb_sink mb_sink_t;
typedef struct mb_source mb_source_t;

struct mb_sink {
   /* Write all len bytes or fail. */
   bool (*write)(mb_sink_t *s, const void *data, size_t len, mb_error_t *err);
   /* Flush and make durable; a file sink renames its partial file to the final name here.
    * A filter closes its downstream sink too. */
   bool (*close)(mb_sink_t *s, mb_error_t *err);
   /* Free; when close did not succeed, the output is discarded (partial file removed). */
   void (*destroy)(mb_sink_t *s);
   uint64_t bytes_in; /* bytes given to write(), counted by mb_sink_write */
};

struct mb_source {
   /* Read up to cap bytes; *got == 0 means end of stream. */
   bool (*read)(mb_source_t *s, void *buf, size_t cap, size_t *got, mb_error_t *err);
   void (*destroy)(mb_source_t *s);
   _Atomic uint64_t
       bytes_out; /* bytes handed out by read(), counted by mb_source_read; atomic:
                   * progress displays read it from another thread (common/readahead.h) */
};

MB_MUST_CHECK bool mb_sink_write(mb_sink_t *s, const void *data, size_t len, mb_error_t *err);
MB_MUST_CHECK bool mb_sink_close(mb_sink_t *s, mb_error_t *err);
void mb_sink_destroy(mb_sink_t *s);

MB_MUST_CHECK bool mb_source_read(mb_source_t *s, void *buf, size_t cap, size_t *got,
                                  mb_error_t *err);
/* Read exactly len bytes unless the stream ends first; *got tells how many arrived. */
MB_MUST_CHECK bool mb_source_read_full(mb_source_t *s, void *buf, size_t len, size_t *got,
                                       mb_error_t *err);
void mb_source_destroy(mb_source_t *s);

/* For implementations: a zeroed struct of size bytes (mb_sink_t / mb_source_t first) with the
 * operations of ops; NULL with err set (FAILURE, "out of memory") when memory is short. Its
 * destroy frees it with free(). */
void *mb_sink_alloc(size_t size, const mb_sink_t *ops, mb_error_t *err);
void *mb_source_alloc(size_t size, const mb_source_t *ops, mb_error_t *err);

/* A sink that appends to a caller-owned mb_buf_t-like memory area (tests, small outputs).
 * Made for the caller; the memory (*data, *len) stays valid until mb_sink_destroy. */
MB_MUST_CHECK bool mb_mem_sink_new(size_t max, mb_sink_t **out, mb_error_t *err);
const uint8_t *mb_mem_sink_data(mb_sink_t *s, size_t *len);

/* A source over borrowed memory (data must outlive the source). */
MB_MUST_CHECK bool mb_mem_source_new(const void *data, size_t len, mb_source_t **out,
                                     mb_error_t *err);

#endif
