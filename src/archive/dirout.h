/* The directory output: mongodump's --out layout (docs/archive-format.md §6). DIR/<db>/<coll>.bson
 * holds the namespace's documents concatenated, DIR/<db>/<coll>.metadata.json the metadata JSON an
 * archive's prelude carries, DIR/prelude.json the server and tool versions; every file gets ".gz"
 * with gzip. The whole tree is written under a temporary name beside DIR and renamed to DIR by
 * mb_dirout_finish, so DIR never holds a half-written dump. Not thread-safe: one writer thread. */
#ifndef MB_ARCHIVE_DIROUT_H
#define MB_ARCHIVE_DIROUT_H

#include "archive/compress.h"
#include "common/error.h"

#include <stddef.h>
#include <stdint.h>

typedef struct mb_dirout mb_dirout_t;

typedef struct {
   const char *path;       /* the final directory */
   bool overwrite;         /* replace a non-empty DIR (else EXISTS) */
   mb_compress_t compress; /* NONE or GZIP (zstd is refused: USAGE) */
   int level;              /* gzip level */
   const char *tool_version;
} mb_dirout_opts_t;

/* The file name (without extension) mongodump gives collection: Go's url.QueryEscape of it
 * (A-Z a-z 0-9 - _ . ~ kept, space as '+', every other byte %XX). Made for the caller (bson_free).
 * An escaped name longer than 238 bytes becomes, as with mongodump, its first 208 bytes, "%24" and
 * the unpadded base64url SHA-1 of the name. Does not fail today; err is for names a future rule
 * refuses. */
MB_MUST_CHECK bool mb_dirout_escape(const char *collection, char **out, mb_error_t *err);

/* The reverse of mb_dirout_escape ('+' is a space, %XX a byte). NULL when the name is not a valid
 * escape. Made for the caller (bson_free). */
char *mb_dirout_unescape(const char *name);

/* Check the options and the final name (an existing non-empty DIR without overwrite: EXISTS) and
 * make the temporary directory. */
MB_MUST_CHECK bool mb_dirout_new(const mb_dirout_opts_t *opts, mb_dirout_t **out, mb_error_t *err);

/* What is known once connected (borrowed): the source's version (prelude.json, the timeseries
 * layout) and the one database dumped, if any (prelude.json then goes to DIR/<db>/, as
 * mongodump). Call before the first namespace. */
void mb_dirout_set_source(mb_dirout_t *d, const char *server_version, const char *db);

/* Declare one namespace (as mb_archive_writer_add_namespace) and write its metadata file. */
MB_MUST_CHECK bool mb_dirout_add_namespace(mb_dirout_t *d, const char *db, const char *collection,
                                           const char *metadata, const char *type, int *id,
                                           mb_error_t *err);

/* Append whole BSON documents to namespace id's .bson file (opened at the first call). */
MB_MUST_CHECK bool mb_dirout_write(mb_dirout_t *d, int id, const uint8_t *docs, size_t len,
                                   mb_error_t *err);

/* The same for ndocs documents the caller has already checked (as
 * mb_archive_writer_write_checked): they are not walked again. */
MB_MUST_CHECK bool mb_dirout_write_checked(mb_dirout_t *d, int id, const uint8_t *docs, size_t len,
                                           uint64_t ndocs, mb_error_t *err);

/* Close namespace id's file (an empty .bson file when nothing was written; none for a view). */
MB_MUST_CHECK bool mb_dirout_end_namespace(mb_dirout_t *d, int id, mb_error_t *err);

/* Write prelude.json and publish the directory under its final name. */
MB_MUST_CHECK bool mb_dirout_finish(mb_dirout_t *d, mb_error_t *err);

/* Figures of namespace id; bytes_out is what the files hold (compressed). */
void mb_dirout_ns_stats(const mb_dirout_t *d, int id, uint64_t *docs, uint64_t *bytes,
                        uint64_t *crc);
uint64_t mb_dirout_bytes_out(const mb_dirout_t *d);
const char *mb_dirout_path(const mb_dirout_t *d);

/* Free; removes the temporary directory unless mb_dirout_finish succeeded. d may be NULL. */
void mb_dirout_destroy(mb_dirout_t *d);

/* Remove the tree at path (files, directories; symlinks are removed, never followed). */
MB_MUST_CHECK bool mb_dirout_remove_tree(const char *path, mb_error_t *err);

#endif
