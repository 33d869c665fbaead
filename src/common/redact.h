/* Secrets in output: connection strings and URLs are masked by parsing them (also when they are
 * malformed), and every secret found is remembered, in every form it can take (as written,
 * percent-decoded, percent-encoded, JSON-escaped), so that any later text that holds it (a
 * driver message, an error, a JSON document) can be masked before it leaves the process.
 * The log module (common/log.h) masks every line through this one. */
#ifndef MB_COMMON_REDACT_H
#define MB_COMMON_REDACT_H

#include <stdbool.h>
#include <stddef.h>

/* What a masked secret is replaced by. */
#define MB_REDACT_MASK "***"

/* Remember one secret (a password, a token): every later mb_redact_text masks it, and its
 * percent-decoded, percent-encoded and JSON-escaped forms, without regard to case. Copied;
 * NULL and "" are ignored. Thread-safe. */
void mb_redact_add_secret(const char *secret);

/* Remember every secret of a MongoDB connection string or of a URL, found by parsing (a
 * malformed string included): the password of the user-info (for http(s), the user name too
 * when there is no password), the values of secret options (any key holding "password",
 * "passwd", "pwd", "secret" or "token", and authMechanismProperties, case-insensitively), and
 * for http(s) every query value and every path segment of 16 characters or more. Passwords and
 * option values are remembered in pieces too (4 characters or more between '@', ':', '/', '?',
 * '#', '&', ',', ';', '='), as the driver may show a piece alone. */
void mb_redact_add_uri(const char *uri);

/* True when an option of that name holds a secret (see mb_redact_add_uri). */
bool mb_redact_secret_option(const char *key, size_t len);

/* Copy uri into out (size bytes, always NUL-terminated) as it may be shown. A MongoDB
 * connection string keeps its scheme, user, hosts, database and options, with "***" for the
 * password and for the values of secret options; an http(s) URL keeps its scheme and host,
 * with "***" for the password (for the whole user-info when it has no password) and for
 * everything after the host. Malformed strings are masked too: the user-info ends at the last
 * '@' that is followed by something shaped like a host, so that a raw '@', ':', '/', '?' or
 * '#' in a password never ends it early. Registered secrets are masked as well. */
void mb_redact_uri(const char *uri, char *out, size_t size);

/* Mask, in place, every registered secret in s (NUL-terminated, capacity size) and the
 * password of every connection string or URL found in it ("scheme://user:pass@host", or a
 * malformed "mongodb:/user:pass@host"); a text cut short in the middle of a secret has the
 * cut-off beginning (4 characters or more) masked too. The result is cut to size - 1. */
void mb_redact_text(char *s, size_t size);

/* A masked copy of s (as mb_redact_text, never cut), made for the caller (bson_free); NULL
 * for NULL. */
char *mb_redact_dup(const char *s);

/* Forget every registered secret (tests). */
void mb_redact_reset(void);

#endif
