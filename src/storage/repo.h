/* A backup repository: where archives, their manifests and the state file live, behind one small
 * interface (list, create-for-write with an atomic commit or an abort, open-for-read as a stream,
 * stat, remove, rename) so that callers never know the backend. Each backend is one driver
 * (storage/driver.h); mb_repo_open picks it by the URL's scheme: "s3://" (storage/s3.c), else
 * a POSIX directory (storage/posix.c), anything that is not a known scheme being a path.
 *
 * Names are relative to the repository ("backup-2026-01-01-00-00-00.archive.zst",
 * ".mongobak-state.json"). Writing: mb_repo_create gives an mb_sink_t; mb_sink_close commits (the
 * object appears whole under its final name, or not at all), mb_sink_destroy before a successful
 * close aborts (nothing is left, not even a temporary). Reading: mb_repo_open_read gives an
 * mb_source_t from a byte offset (so a dropped connection can resume). Sinks and sources hold
 * what they need: they stay usable after mb_repo_destroy. */
#ifndef MB_STORAGE_REPO_H
#define MB_STORAGE_REPO_H

#include "common/file.h"
#include "common/stream.h"

#include <time.h>

typedef struct mb_repo mb_repo_t;

/* How a written object gets its final name (combine with |); the same values as MB_FILE_*. */
enum {
   MB_REPO_REPLACE = MB_FILE_REPLACE,       /* replace what is there */
   MB_REPO_NO_REPLACE = MB_FILE_NO_REPLACE, /* refuse (EXISTS) when the name exists, atomically */
   MB_REPO_UNIQUE = MB_FILE_UNIQUE,         /* when the name exists use "<stem>-N<.ext>" */
   MB_REPO_OWN_NAME = MB_FILE_OWN_NAME,     /* a name mongobak made: never write through what is
                                               there (a planted link, FIFO or device) */
};

/* mb_repo_open flags. */
enum {
   MB_REPO_CREATE = 1 << 0, /* create the repository when missing (a directory: mode 0700) */
};

typedef struct {
   const char *name; /* relative to the repository; borrowed (valid during the call) */
   uint64_t size;
   time_t mtime;
   bool regular; /* a plain file or object; false for a directory, a device, a dangling link */
} mb_repo_entry_t;

/* Called once per listed entry, in no particular order; false stops the listing early. */
typedef bool (*mb_repo_list_fn)(const mb_repo_entry_t *entry, void *user_data);

/* Open the repository at url_or_path: a known scheme ("s3://") picks its
 * driver, anything else is a POSIX directory. Nothing is checked before the first operation,
 * unless MB_REPO_CREATE (IO: "cannot create the backup directory '...'"). *out is made for the
 * caller (mb_repo_destroy). */
MB_MUST_CHECK bool mb_repo_open(const char *url_or_path, unsigned flags, mb_repo_t **out,
                                mb_error_t *err);

/* The repository holding the single object location (a path or URL a user typed, such as an
 * archive to write or read) and its name there (bson_free). A POSIX path keeps its exact text as
 * the name, so "-" (stdin/stdout), "/dev/stdout" and FIFOs behave as common/file.h says. */
MB_MUST_CHECK bool mb_repo_locate(const char *location, mb_repo_t **out, char **name,
                                  mb_error_t *err);

void mb_repo_destroy(mb_repo_t *r);

/* The repository's URL or path as it was given (borrowed). */
const char *mb_repo_url(const mb_repo_t *r);

/* Where name is, for messages: "<url>/<name>" (made for the caller, bson_free). */
char *mb_repo_path(const mb_repo_t *r, const char *name);

/* The name inside r of path (as mb_repo_path makes it), or NULL when path is not in r
 * (borrowed: points into path). */
const char *mb_repo_name_of(const mb_repo_t *r, const char *path);

/* Call fn for every entry of the repository whose name starts with prefix ("" for all);
 * pagination, if any, is the driver's business. IO when the repository cannot be read. */
MB_MUST_CHECK bool mb_repo_list(mb_repo_t *r, const char *prefix, mb_repo_list_fn fn,
                                void *user_data, mb_error_t *err);

/* Start writing name (flags MB_REPO_*): commit with mb_sink_close, abort with mb_sink_destroy.
 * MB_REPO_NO_REPLACE fails at once (EXISTS) when name exists, and again atomically at commit. */
MB_MUST_CHECK bool mb_repo_create(mb_repo_t *r, const char *name, unsigned flags, mb_sink_t **out,
                                  mb_error_t *err);

/* The final name of a sink made by mb_repo_create on r: after a successful close, the name it
 * was committed under (numbered with MB_REPO_UNIQUE). Borrowed, valid until the sink's destroy. */
const char *mb_repo_sink_name(const mb_repo_t *r, const mb_sink_t *s);

/* Read name from byte offset on (0: the whole). IO when it cannot be opened. */
MB_MUST_CHECK bool mb_repo_open_read(mb_repo_t *r, const char *name, uint64_t offset,
                                     mb_source_t **out, mb_error_t *err);

/* Whether name exists (*exists) and, when it does, its entry (out may be NULL; out->name is
 * name). A missing name is not an error. */
MB_MUST_CHECK bool mb_repo_stat(mb_repo_t *r, const char *name, mb_repo_entry_t *out, bool *exists,
                                mb_error_t *err);

/* Remove name; a missing name is not an error (IO: "cannot delete '...'"). */
MB_MUST_CHECK bool mb_repo_remove(mb_repo_t *r, const char *name, mb_error_t *err);

/* Give the committed object from the final name to (flags MB_REPO_* as for mb_repo_create; with
 * MB_REPO_NO_REPLACE an existing to fails with EXISTS and from stays). *final (may be NULL) gets
 * the name used (bson_free). FAILURE when the driver cannot rename. */
MB_MUST_CHECK bool mb_repo_rename(mb_repo_t *r, const char *from, const char *to, unsigned flags,
                                  char **final, mb_error_t *err);

/* An unfinished write left in a repository: an S3 multipart upload never completed nor aborted
 * (its process was killed). */
typedef struct {
   const char *name; /* relative to the repository; borrowed (valid during the call) */
   time_t started;   /* when the store began it, by the store's clock; 0 when it does not say */
} mb_repo_upload_t;

/* Whether to abort the unfinished write u. */
typedef bool (*mb_repo_upload_fn)(const mb_repo_upload_t *u, void *user_data);

/* Abort every unfinished write of a name starting with prefix that fn accepts, following every
 * page of the store's listing; *aborted (may be NULL) counts the writes aborted. A POSIX
 * directory has none (its temporaries are files, swept by name). IO when the listing fails; an
 * abort that fails is logged and skipped. */
MB_MUST_CHECK bool mb_repo_abort_uploads(mb_repo_t *r, const char *prefix, mb_repo_upload_fn fn,
                                         void *user_data, int *aborted, mb_error_t *err);

/* Read the whole of a small object (less than max bytes, else IO) into *data (NUL-terminated,
 * bson_free) and *len. */
MB_MUST_CHECK bool mb_repo_read_all(mb_repo_t *r, const char *name, size_t max, char **data,
                                    size_t *len, mb_error_t *err);

/* Read name (at most max bytes) and parse its first JSON document into doc (initialised by the
 * caller). Fails with *unreadable set when name cannot be read (err says why), with it clear when
 * it holds no JSON document (err: the parser's message, code IO). */
MB_MUST_CHECK bool mb_repo_read_json(mb_repo_t *r, const char *name, size_t max, bson_t *doc,
                                     bool *unreadable, mb_error_t *err);

/* Write a whole small object atomically, as one create-write-commit. */
MB_MUST_CHECK bool mb_repo_write_all(mb_repo_t *r, const char *name, unsigned flags,
                                     const void *data, size_t len, mb_error_t *err);

#endif
