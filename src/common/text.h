/* Text from untrusted input (names and strings from an archive, server messages) made safe for
 * a terminal: control characters never reach a human's screen raw. */
#ifndef MB_COMMON_TEXT_H
#define MB_COMMON_TEXT_H

#include <bson/bson.h>
#include <stddef.h>
#include <stdio.h>

/* Copy s into out (size > 0; always NUL-terminated) with every C0 control character and DEL
 * written as \xHH, every C1 control character (U+0080-U+009F) as \u00HH and every byte that is
 * not part of valid UTF-8 as \xHH; everything else, backslashes included, is copied as it is.
 * When out is too small the copy ends before the first character that does not fit, never
 * inside an escape or a UTF-8 sequence. Returns out. */
char *mb_text_escape(const char *s, char *out, size_t size);

/* The escaped form of s as a new string (bson_free). */
char *mb_text_escape_dup(const char *s);

/* Write s escaped as above to f. */
void mb_text_fputs(FILE *f, const char *s);

/* s as a new string (bson_free) with only its bytes that are not valid UTF-8 written as \xHH:
 * text for JSON, whose encoder escapes control characters itself. */
char *mb_text_utf8_dup(const char *s);

/* The relaxed Extended JSON of b, made for the caller (bson_free), never NULL: where b holds
 * strings or keys that are not valid UTF-8 (names from an archive), on which
 * bson_as_relaxed_extended_json fails, their bad bytes are written as \xHH. Doubles are
 * written as the shortest text that reads back the same (21.5, not 21.500000000000000000). *len
 * (may be NULL) gets the length. */
char *mb_text_json(const bson_t *b, size_t *len);

/* Begin the document at index i of the array arr (its key is i in decimal); end it with
 * bson_append_document_end(arr, doc). */
void mb_text_array_begin_document(bson_t *arr, uint32_t i, bson_t *doc);

/* Append v to doc under key as a string, or as null when v is NULL. */
void mb_text_append_utf8_or_null(bson_t *doc, const char *key, const char *v);

/* Append the NULL-terminated list strs (NULL: none) to doc as an array of strings under key. */
void mb_text_append_strings(bson_t *doc, const char *key, const char *const *strs);

/* The string under key in doc, copied (bson_free), or NULL when it is missing or not a string. */
char *mb_text_get_utf8_dup(const bson_t *doc, const char *key);

/* The number under key in doc as an unsigned integer, or 0 when it is missing or not a number. */
uint64_t mb_text_get_u64(const bson_t *doc, const char *key);

#endif
