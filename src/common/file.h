/* Files: durable output (write a temporary file, fsync, publish it under its final name, fsync
 * the directory) and input, both as streams; "-" means stdout/stdin. Temporary files are created
 * exclusively under unpredictable names and removed on failure and on signals. */
#ifndef MB_COMMON_FILE_H
#define MB_COMMON_FILE_H

#include "common/stream.h"

/* How a file gets its final name (flags, combine with |). */
enum {
   MB_FILE_REPLACE = 0,         /* replace whatever is at the final name */
   MB_FILE_NO_REPLACE = 1 << 0, /* refuse (EXISTS) when the final name exists: checked when
                                   opening, and again atomically when publishing */
   MB_FILE_UNIQUE = 1 << 1,     /* when the final name exists, publish as "<stem>-N<.ext>"
                                   (mb_file_numbered_name) instead, checked atomically; what
                                   exists is never written through */
   MB_FILE_OWN_NAME = 1 << 2,   /* a name mongobak made (in a directory others may write to):
                                   whatever is there (a symlink, a FIFO, a device) is never
                                   written through; it is replaced or counts as existing */
};

/* Open path for writing. A regular (or new) path is written as a temporary file beside it
 * (mb_file_create_temp) and published under path by mb_sink_close (mb_file_publish, replacing
 * what is there); destroy before a successful close removes the temporary file. A path that
 * exists and is not a regular file (/dev/null, a FIFO, also through a symlink such as
 * /dev/stdout) is written directly; "-" is stdout. Errors (code IO) name the path and say what
 * to do. */
MB_MUST_CHECK bool mb_file_sink_open(const char *path, mb_sink_t **out, mb_error_t *err);

/* The same with flags (MB_FILE_*). Without MB_FILE_OWN_NAME an existing non-regular path is
 * written directly as above; with MB_FILE_NO_REPLACE an existing regular file (or symlink) fails
 * at once with EXISTS. */
MB_MUST_CHECK bool mb_file_sink_open_mode(const char *path, unsigned flags, mb_sink_t **out,
                                          mb_error_t *err);

/* The final name of a sink made by mb_file_sink_open*: after a successful close, the name it was
 * published under (numbered with MB_FILE_UNIQUE). Borrowed, valid until the sink is destroyed. */
const char *mb_file_sink_path(const mb_sink_t *s);

/* Create a new empty file "<path>.<6 random letters or digits>.partial" with
 * O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC, mode 0600, retrying with another name when a regular file
 * already has the name. A symlink or other non-regular file found at the name is refused (IO),
 * never written through. *temp (bson_free) and *fd (close) are made for the caller. */
MB_MUST_CHECK bool mb_file_create_temp(const char *path, char **temp, int *fd, mb_error_t *err);

/* Give the synced temporary file temp its final name path, then fsync the directory.
 * MB_FILE_REPLACE: rename. MB_FILE_NO_REPLACE: renameat2(RENAME_NOREPLACE) (or link+unlink where
 * the file system lacks it); an existing name fails with EXISTS and temp stays. MB_FILE_UNIQUE:
 * path, else path numbered 1, 2, ... up to 999. *final (may be NULL) gets the name used
 * (bson_free). */
MB_MUST_CHECK bool mb_file_publish(const char *temp, const char *path, unsigned flags, char **final,
                                   mb_error_t *err);

/* path with "-n" before the first '.' of its file name: "d/dump-X.archive.zst", 2 ->
 * "d/dump-X-2.archive.zst" (made for the caller). */
char *mb_file_numbered_name(const char *path, int n);

/* Open path for reading; "-" is stdin. */
MB_MUST_CHECK bool mb_file_source_open(const char *path, mb_source_t **out, mb_error_t *err);

/* The same from byte offset on (stdin only from 0). */
MB_MUST_CHECK bool mb_file_source_open_at(const char *path, uint64_t offset, mb_source_t **out,
                                          mb_error_t *err);

/* Install SIGINT/SIGTERM/SIGHUP handlers that remove every open temporary file and exit with
 * MB_EXIT_INTERRUPTED (130). Call once at startup. */
void mb_file_install_signal_cleanup(void);

/* Write a whole small file atomically (temporary file + fsync + rename). A symlink at path is
 * replaced, never followed; a FIFO or device that is itself at path is written directly. */
MB_MUST_CHECK bool mb_file_write_atomic(const char *path, const void *data, size_t len,
                                        mb_error_t *err);

/* The same with flags (MB_FILE_*): manifests use MB_FILE_NO_REPLACE | MB_FILE_OWN_NAME. */
MB_MUST_CHECK bool mb_file_write_atomic_mode(const char *path, const void *data, size_t len,
                                             unsigned flags, mb_error_t *err);

/* Tests only: the source of the random letters of temporary names (NULL: the kernel's). */
void mb_file_set_random(void (*fill)(uint8_t *buf, size_t len));

#endif
