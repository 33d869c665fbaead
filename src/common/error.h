/* Errors: one caller-owned object per failing call, shaped exactly like bson_error_t so that
 * driver errors pass through unchanged. Our codes are the process exit codes (README, man page). */
#ifndef MB_COMMON_ERROR_H
#define MB_COMMON_ERROR_H

#include <bson/bson.h>
#include <stdarg.h>
#include <stdbool.h>

typedef bson_error_t mb_error_t;

/* On every function whose result says whether it failed (bool + mb_error_t, or an error
 * status): ignoring it is a compile error under -Werror (docs/architecture.md, conventions). */
#define MB_MUST_CHECK __attribute__((warn_unused_result))

/* Our error domain; libbson/libmongoc use small numbers, so this never collides. */
#define MB_ERROR_DOMAIN 0x6d62u

/* Exit codes. Every error that reaches main() maps to exactly one of these. */
typedef enum {
   MB_EXIT_OK = 0,
   MB_EXIT_FAILURE = 1,      /* an unexpected internal failure */
   MB_EXIT_USAGE = 2,        /* bad command line, option value or configuration */
   MB_EXIT_CORRUPT = 3,      /* archive corrupt or truncated: framing, BSON, CRC */
   MB_EXIT_NOT_ARCHIVE = 4,  /* input is not an archive, or its compression is unknown */
   MB_EXIT_IO = 5,           /* a local file could not be opened, read or written (disk full) */
   MB_EXIT_CONNECT = 6,      /* server unreachable (a malformed URI is USAGE) */
   MB_EXIT_AUTH = 7,         /* authentication or authorization failed */
   MB_EXIT_SERVER = 8,       /* the server failed or went away during the operation */
   MB_EXIT_PARTIAL = 9,      /* the operation finished, but some items failed */
   MB_EXIT_TIMEOUT = 10,     /* the run exceeded its time limit */
   MB_EXIT_NOTHING = 11,     /* the selection matched nothing; no archive was written */
   MB_EXIT_LOCKED = 12,      /* another mongobak holds the backup directory's lock */
   MB_EXIT_EXISTS = 13,      /* the output file exists and may not be replaced (--overwrite) */
   MB_EXIT_INTERRUPTED = 130 /* stopped by SIGINT/SIGTERM; nothing left under a final name */
} mb_exit_t;

/* Fill err (may be NULL) with our domain, the exit code and a printf-style one-line message. */
void mb_error_set(mb_error_t *err, mb_exit_t code, const char *fmt, ...) BSON_GNUC_PRINTF(3, 4);

/* Put context in front of an existing message: "<context>: <old message>". The code is kept. */
void mb_error_prefix(mb_error_t *err, const char *fmt, ...) BSON_GNUC_PRINTF(2, 3);
/* mb_error_prefix with its arguments as a va_list, for functions taking a format of their own. */
void mb_error_vprefix(mb_error_t *err, const char *fmt, va_list ap) BSON_GNUC_PRINTF(2, 0);

/* Replace the code of an error (used where a layer knows better, e.g. a read error that is
 * really a truncated archive). */
void mb_error_recode(mb_error_t *err, mb_exit_t code);

/* The exit code for an error: ours map one-to-one; driver errors are classified by domain and
 * server code (unreachable -> CONNECT, auth -> AUTH, anything else from a server -> SERVER). */
mb_exit_t mb_error_exit_code(const mb_error_t *err);

/* Set err from errno with "<what>: <strerror>", code IO. */
void mb_error_errno(mb_error_t *err, int errnum, const char *fmt, ...) BSON_GNUC_PRINTF(3, 4);

#endif
