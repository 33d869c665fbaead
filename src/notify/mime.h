/* Internet messages (RFC 5322 + MIME): a multipart/alternative email with a plain-text and an
 * HTML part, both UTF-8 and quoted-printable, CRLF line endings throughout. Dot-stuffing is
 * left to the SMTP client (libcurl does it). */
#ifndef MB_NOTIFY_MIME_H
#define MB_NOTIFY_MIME_H

#include "common/buf.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
   const char *from;      /* "addr@host" or "Display Name <addr@host>" */
   const char *const *to; /* bare addresses */
   size_t nto;
   const char *subject; /* UTF-8, one line */
   const char *text;    /* UTF-8, LF or CRLF line ends */
   const char *html;
   int64_t date;           /* epoch seconds, written in UTC */
   const char *message_id; /* "<id@domain>" */
   const char *boundary;   /* must not occur in either part: "=_" + random is safe with QP */
} mb_mime_msg_t;

/* Append the whole message to out. Fails (USAGE) when a header value holds a line break, or
 * (FAILURE) when out's ceiling is reached. */
MB_MUST_CHECK bool mb_mime_build(const mb_mime_msg_t *m, mb_buf_t *out, mb_error_t *err);

/* "Mon, 01 Jan 2024 00:00:00 +0000". */
void mb_mime_date(int64_t t, char *buf, size_t size);

/* "<1704067200.0123456789abcdef@domain>" with 64 random bits. */
void mb_mime_message_id(int64_t t, const char *domain, char *buf, size_t size);

/* "=_mongobak_" and 24 random hex digits. */
void mb_mime_boundary(char *buf, size_t size);

/* Split "Name <addr>" or "addr" into its parts (name may come back empty). Fails (USAGE) when
 * the address is not one addr-spec with an '@' and no blanks, brackets or line breaks. */
MB_MUST_CHECK bool mb_mime_parse_mailbox(const char *s, char *name, size_t name_size, char *addr,
                                         size_t addr_size, mb_error_t *err);

/* Append a header value: as is when it is printable ASCII (folded at blanks past 78 columns),
 * else as RFC 2047 "=?UTF-8?B?...?=" words of at most 75 characters, folded. used is the
 * length of the header line so far ("Subject: " = 9). */
MB_MUST_CHECK bool mb_mime_append_header_text(mb_buf_t *out, const char *s, size_t used,
                                              mb_error_t *err);

/* Append s as quoted-printable (RFC 2045 §6.7) with CRLF line breaks. */
MB_MUST_CHECK bool mb_mime_append_qp(mb_buf_t *out, const char *s, mb_error_t *err);

/* Base64 (RFC 4648) of n bytes into out (4 * ceil(n / 3) + 1 bytes). */
void mb_mime_base64(const void *data, size_t n, char *out);

#endif
