/* Archive writer: the mongodump --archive format, enforcing the rules mongorestore depends on
 * (docs/archive-format.md §2). Not thread-safe: one writer thread. */
#ifndef MB_ARCHIVE_WRITER_H
#define MB_ARCHIVE_WRITER_H

#include "common/stream.h"

typedef struct mb_archive_writer mb_archive_writer_t;

typedef struct {
   int32_t concurrent_collections; /* >= 1: namespaces that may be open at once */
   const char *server_version;     /* must parse as X.Y.Z (mongorestore >= 100.16 requires it) */
   const char *tool_version;
} mb_archive_header_t;

/* Make a writer on sink (borrowed; it must outlive the writer). Fails (USAGE) when the header is
 * invalid. */
MB_MUST_CHECK bool mb_archive_writer_new(mb_sink_t *sink, const mb_archive_header_t *hdr,
                                         mb_archive_writer_t **out, mb_error_t *err);

/* Declare one prelude namespace before mb_archive_writer_begin. metadata is the canonical
 * Extended JSON text ("" for none); type is listCollections' type ("" for oplog and
 * $admin.* entries). *id receives the namespace's id for the calls below. */
MB_MUST_CHECK bool mb_archive_writer_add_namespace(mb_archive_writer_t *w, const char *db,
                                                   const char *collection, const char *metadata,
                                                   const char *type, int *id, mb_error_t *err);

/* Write the magic and the prelude. */
MB_MUST_CHECK bool mb_archive_writer_begin(mb_archive_writer_t *w, mb_error_t *err);

/* Append whole BSON documents (concatenated, len bytes) to namespace id, opening a segment as
 * needed. Each document is checked for a sane length and trailing NUL (CORRUPT), the ordering
 * rules (special first, oplog last, at most concurrent_collections open) are enforced (USAGE). */
MB_MUST_CHECK bool mb_archive_writer_write(mb_archive_writer_t *w, int id, const uint8_t *docs,
                                           size_t len, mb_error_t *err);

/* The same for documents the caller has already checked as mb_archive_writer_write would (each
 * of MB_ARCHIVE_MIN_BSON to MB_ARCHIVE_MAX_BSON bytes, within len, ending in NUL) and counted:
 * ndocs. The documents are not walked again (the dump's readers check each one while copying it
 * out of the reply); only the ordering rules are enforced. */
MB_MUST_CHECK bool mb_archive_writer_write_checked(mb_archive_writer_t *w, int id,
                                                   const uint8_t *docs, size_t len, uint64_t ndocs,
                                                   mb_error_t *err);

/* Close namespace id: its EOF block with the CRC of every document written to it. A namespace
 * with no document gets an empty segment first, as mongodump writes it. */
MB_MUST_CHECK bool mb_archive_writer_end_namespace(mb_archive_writer_t *w, int id, mb_error_t *err);

/* Check that every namespace was closed and flush everything to the sink (does not close it). */
MB_MUST_CHECK bool mb_archive_writer_finish(mb_archive_writer_t *w, mb_error_t *err);

/* Figures of namespace id so far. */
void mb_archive_writer_ns_stats(const mb_archive_writer_t *w, int id, uint64_t *docs,
                                uint64_t *bytes, uint64_t *crc);

/* Free; w may be NULL. */
void mb_archive_writer_destroy(mb_archive_writer_t *w);

#endif
