/* Logging: one line per event on stderr, UTC timestamps, text or JSON lines, secrets masked. */
#ifndef MB_COMMON_LOG_H
#define MB_COMMON_LOG_H

#include <bson/bson.h>
#include <stdbool.h>
#include <stddef.h>

typedef enum { MB_LOG_ERROR = 0, MB_LOG_WARN, MB_LOG_INFO, MB_LOG_DEBUG } mb_log_level_t;

/* Configure once at startup (not thread-safe against concurrent logging). level: messages
 * above it are dropped; json: JSON lines instead of text. */
void mb_log_configure(mb_log_level_t level, bool json);

/* Whether log lines are JSON (LOG_FORMAT=json): then every line on stderr must be, the command's
 * final error line included. */
bool mb_log_json_enabled(void);

/* Switch to JSON lines, the level unchanged (LOG_FORMAT=json read from the configuration). */
void mb_log_set_json(void);

/* Whether a line is being redrawn in place on stderr (a progress line on a terminal): while it
 * is, every text log line first erases it ("\r", erase to the end of the line), so that the two
 * never share a line; the next redraw puts the progress line back below. Thread-safe. */
void mb_log_set_transient_line(bool on);

/* Parse "error|warn|info|debug"; false when unknown. */
bool mb_log_level_parse(const char *s, mb_log_level_t *out);

/* Register a secret (a password, a token): every later log line shows "***" in its place, also
 * percent-encoded, percent-decoded or JSON-escaped (mb_redact_add_secret). The string is copied;
 * empty strings are ignored. Thread-safe. */
void mb_log_add_secret(const char *secret);

/* Log one line, masked (mb_redact_text) before it is cut to its maximum length. Thread-safe;
 * the line is written with one write(2). */
void mb_log(mb_log_level_t level, const char *fmt, ...) BSON_GNUC_PRINTF(2, 3);

/* Copy uri into out (size bytes) masked as mb_redact_uri does (the password of the user-info,
 * found even in a malformed string, and secret options). Always NUL-terminates. */
void mb_log_mask_uri(const char *uri, char *out, size_t size);

/* Replace every registered secret in s (in place, NUL-terminated, capacity size) by "***", and
 * the password of every connection string or URL in it (mb_redact_text). */
void mb_log_mask_secrets(char *s, size_t size);

#endif
