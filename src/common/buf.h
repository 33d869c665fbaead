/* Growable byte buffer with a ceiling: every growth is checked against max. */
#ifndef MB_COMMON_BUF_H
#define MB_COMMON_BUF_H

#include "common/error.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
   uint8_t *data;
   size_t len;
   size_t cap;
   size_t max; /* the buffer never grows beyond this many bytes */
} mb_buf_t;

/* Start empty with the given ceiling. No allocation until the first append. */
void mb_buf_init(mb_buf_t *b, size_t max);

/* Make room for extra more bytes; fails (code FAILURE) past the ceiling or out of memory. */
MB_MUST_CHECK bool mb_buf_reserve(mb_buf_t *b, size_t extra, mb_error_t *err);

/* Append len bytes; fails like mb_buf_reserve. */
MB_MUST_CHECK bool mb_buf_append(mb_buf_t *b, const void *data, size_t len, mb_error_t *err);

/* Append a printf-formatted string (without its NUL). */
MB_MUST_CHECK bool mb_buf_printf(mb_buf_t *b, mb_error_t *err, const char *fmt, ...)
    BSON_GNUC_PRINTF(3, 4);

/* Forget the contents, keep the memory. */
void mb_buf_reset(mb_buf_t *b);

/* Free the memory; b may be NULL. */
void mb_buf_destroy(mb_buf_t *b);

#endif
