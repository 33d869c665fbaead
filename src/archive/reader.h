/* Archive reader: a streaming parser of the mongodump --archive format that makes every check
 * mongorestore makes (docs/archive-format.md §2, §4) and reports the first
 * problem with its byte offset (in the uncompressed stream) and its namespace. */
#ifndef MB_ARCHIVE_READER_H
#define MB_ARCHIVE_READER_H

#include "archive/format.h"

/* The most namespaces a prelude may list: about 300 bytes of memory each. */
#define MB_ARCHIVE_MAX_NAMESPACES 5000000
#include "common/stream.h"

typedef struct mb_archive_reader mb_archive_reader_t;

typedef struct {
   int32_t concurrent_collections;
   char *version;
   char *server_version;
   char *tool_version;
} mb_archive_prelude_t;

typedef enum { MB_NS_STATE_UNOPENED = 0, MB_NS_STATE_OPEN, MB_NS_STATE_CLOSED } mb_ns_state_t;

/* One prelude entry and what the stream has shown of it so far. */
typedef struct {
   char *db;
   char *collection;      /* prelude name */
   char *data_collection; /* name in block headers (system.buckets.X for old timeseries) */
   char *metadata;        /* Extended JSON text, "" when none */
   char *meta_error;      /* why restore cannot use the metadata ("the metadata of namespace
                           * 'db.c' in the archive is not valid Extended JSON: ..."); NULL when
                           * it can, when there is none, or when the namespace is never restored */
   char *type;            /* "" when the entry has no type key (old tools) or an empty one */
   bool has_type;
   mb_ns_kind_t kind;
   mb_ns_state_t state;
   uint64_t docs, bytes, crc, stored_crc;
   uint64_t segments;
} mb_archive_ns_t;

typedef enum {
   MB_ARCHIVE_EV_NS_BEGIN, /* first segment of a namespace */
   MB_ARCHIVE_EV_DOCUMENT, /* one document; data valid until the next call */
   MB_ARCHIVE_EV_NS_END,   /* EOF block, CRC checked */
   MB_ARCHIVE_EV_END       /* clean end of the archive, every namespace closed */
} mb_archive_event_kind_t;

typedef struct {
   mb_archive_event_kind_t kind;
   int ns;              /* prelude index; -1 for END */
   const uint8_t *data; /* DOCUMENT: the raw BSON */
   uint32_t len;
   uint64_t offset; /* byte offset of the item in the uncompressed stream */
} mb_archive_event_t;

typedef struct {
   bool validate_bson; /* fully validate every document's BSON (verify does; restore may not) */
} mb_archive_reader_opts_t;

/* Read the magic and the prelude from src (borrowed). A namespace listed twice keeps its first
 * entry (as mongorestore), with a warning. Errors: NOT_ARCHIVE for a stream that is not an
 * archive, CORRUPT for a damaged prelude or one of more than MB_ARCHIVE_MAX_NAMESPACES
 * namespaces, IO from the source. */
MB_MUST_CHECK bool mb_archive_reader_open(mb_source_t *src, const mb_archive_reader_opts_t *opts,
                                          mb_archive_reader_t **out, mb_error_t *err);

const mb_archive_prelude_t *mb_archive_reader_prelude(const mb_archive_reader_t *r);

/* Append the archive header p to doc as a document under key: "concurrent_collections",
 * "version", "server_version", "tool_version" (what inspect and verify show). */
void mb_archive_prelude_append(const mb_archive_prelude_t *p, const char *key, bson_t *doc);
int mb_archive_reader_ns_count(const mb_archive_reader_t *r);
const mb_archive_ns_t *mb_archive_reader_ns(const mb_archive_reader_t *r, int i);

/* The first namespace that restore would restore by default (no filters) whose metadata it
 * cannot use, as a CORRUPT error (its meta_error); true when there is none. What verify
 * checks so that it refuses what restore refuses. */
MB_MUST_CHECK bool mb_archive_reader_check_metadata(const mb_archive_reader_t *r, mb_error_t *err);

/* Next event. After END, keeps returning END. Every document, of the prelude and of the data,
 * is first checked to nest at most MB_ARCHIVE_MAX_DEPTH levels (without recursion), so that no
 * recursive libbson function and no server ever sees a deeper one. Errors are CORRUPT
 * (framing, headers, CRC, order, nesting, truncation) or IO; the message names the offset
 * and, where known, the namespace. */
MB_MUST_CHECK bool mb_archive_reader_next(mb_archive_reader_t *r, mb_archive_event_t *ev,
                                          mb_error_t *err);

/* Bytes of the uncompressed stream consumed so far. */
uint64_t mb_archive_reader_offset(const mb_archive_reader_t *r);

/* Warnings found so far about what mongobak reads but mongorestore refuses or restores only
 * under conditions (an unparseable server_version, metadata with a relaxed $date, a namespace
 * without database name, more namespaces open at once than concurrent_collections, ...).
 * NULL-terminated, borrowed; the text is raw archive text (escape it for terminals). */
const char *const *mb_archive_reader_warnings(const mb_archive_reader_t *r);

void mb_archive_reader_destroy(mb_archive_reader_t *r);

#endif
