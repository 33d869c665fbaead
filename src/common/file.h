/* Files: durable output (write "<name>.partial", fsync, rename, fsync the directory) and input,
 * both as streams; "-" means stdout/stdin. Partial files are removed on failure and on signals. */
#ifndef MB_COMMON_FILE_H
#define MB_COMMON_FILE_H

#include "common/stream.h"

/* Open path for writing. A regular (or new) path is written as "<path>.partial" and renamed to
 * path by mb_sink_close; destroy before a successful close removes the partial file. A path
 * that exists and is not a regular file (/dev/null, a FIFO) is written directly; "-" is stdout.
 * Errors (code IO) name the path and say what to do. */
bool mb_file_sink_open(const char *path, mb_sink_t **out, mb_error_t *err);

/* Open path for reading; "-" is stdin. */
bool mb_file_source_open(const char *path, mb_source_t **out, mb_error_t *err);

/* Install SIGINT/SIGTERM/SIGHUP handlers that remove every open partial file and exit with
 * MB_EXIT_INTERRUPTED (130). Call once at startup. */
void mb_file_install_signal_cleanup(void);

/* Write a whole small file atomically (partial + fsync + rename). */
bool mb_file_write_atomic(const char *path, const void *data, size_t len, mb_error_t *err);

#endif
