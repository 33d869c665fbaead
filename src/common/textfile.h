/* Reading a whole small text file (a secret given as NAME_FILE, a template) at once, with a
 * ceiling: a file is read completely or refused, never cut short. */
#ifndef MB_COMMON_TEXTFILE_H
#define MB_COMMON_TEXTFILE_H

#include "common/error.h"

#include <stddef.h>

/* The largest secret file (NAME_FILE) mongobak reads: 64 KiB. */
#define MB_TEXTFILE_SECRET_MAX ((size_t) 64 << 10)

/* Read the whole file at path (a regular file, a FIFO, /dev/stdin...) into *out (NUL-terminated,
 * made for the caller, bson_free) and its length into *len (may be NULL). Fails with IO when it
 * cannot be opened or read ("cannot read '<path>': <reason>"), with USAGE when it holds more than
 * max bytes ("'<path>' is larger than <max> bytes") or a NUL byte ("'<path>' holds a NUL byte; is
 * it a text file?"). */
MB_MUST_CHECK bool mb_textfile_read(const char *path, size_t max, char **out, size_t *len,
                                    mb_error_t *err);

#endif
