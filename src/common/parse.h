/* Checked parsing of the values people type: whole numbers with a range, sizes with units,
 * durations in seconds, booleans. Every parser takes the whole string (no leading blanks, no
 * trailing text) and, on failure, fills err (USAGE) with one line naming what was parsed and the
 * accepted form: "NOTIFY_RETRIES must be a whole number from 0 to 10, not 'x'". The _form
 * functions write that accepted form alone ("a whole number from 0 to 10"), for callers that
 * word the line themselves. */
#ifndef MB_COMMON_PARSE_H
#define MB_COMMON_PARSE_H

#include "common/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A number in base 10 or 16 (digits only, an optional sign in base 10) in [min, max]; no message.
 * The building block of the others, and of parsers of fixed formats (a file name's sequence,
 * a port in host:port, hex digits). */
MB_MUST_CHECK bool mb_parse_long(const char *s, int base, long min, long max, long *out);

/* A decimal number, as strtod reads it, in [min, max]; no message. */
MB_MUST_CHECK bool mb_parse_double(const char *s, double min, double max, double *out);

/* A whole number in [min, max]. noun is the word of the form ("a whole number", "a port
 * number"); NULL means "a whole number". */
MB_MUST_CHECK bool mb_parse_int(const char *name, const char *s, const char *noun, long min,
                                long max, long *out, mb_error_t *err);
void mb_parse_int_form(const char *noun, long min, long max, char *buf, size_t size);

/* A number of seconds (decimals allowed) in [min, max], returned in milliseconds, rounded. */
MB_MUST_CHECK bool mb_parse_seconds(const char *name, const char *s, double min, double max,
                                    long *ms, mb_error_t *err);
void mb_parse_seconds_form(double min, double max, char *buf, size_t size);

/* A size: a number with an optional unit k, M, G or T (powers of 1024, also KiB, MB...). */
MB_MUST_CHECK bool mb_parse_size(const char *name, const char *s, int64_t *out, mb_error_t *err);
#define MB_PARSE_SIZE_FORM "a size like 512M or 2G"

/* true, 1, yes, on / false, 0, no, off, in any case. */
MB_MUST_CHECK bool mb_parse_bool(const char *name, const char *s, bool *out, mb_error_t *err);
#define MB_PARSE_BOOL_FORM "true or false"

#endif
