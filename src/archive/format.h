/* Constants and small rules of the mongodump archive format shared by the writer and the
 * reader (docs/archive-format.md §2). */
#ifndef MB_ARCHIVE_FORMAT_H
#define MB_ARCHIVE_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MB_ARCHIVE_MAGIC 0x8199e26du
#define MB_ARCHIVE_TERMINATOR 0xffffffffu
#define MB_ARCHIVE_MIN_BSON 5u
#define MB_ARCHIVE_MAX_BSON (16u * 1024u * 1024u)
#define MB_ARCHIVE_FORMAT_VERSION "0.1"
/* The deepest nesting a document may have (the document itself is level 1; every embedded
 * document, array or code-with-scope scope adds one). MongoDB stores documents up to its
 * maxBSONDepth parameter minus 20 levels (default 200, at most 1000), so no server ever held a
 * deeper one; libbson's validation and JSON conversion recurse once per level. */
#define MB_ARCHIVE_MAX_DEPTH 1000

typedef enum {
   MB_NS_REGULAR = 0,
   MB_NS_SPECIAL, /* users, roles and auth version: restored before regular namespaces */
   MB_NS_OPLOG    /* db "" collection "oplog": always last */
} mb_ns_kind_t;

/* Classify a prelude namespace. */
mb_ns_kind_t mb_archive_ns_kind(const char *db, const char *collection);

/* Why restore never restores a prelude namespace (static text), or NULL when it does unless
 * filtered out: the oplog, a namespace without database, the auth schema version,
 * system.profile, other names starting with '$'. */
const char *mb_archive_skip_reason(const char *db, const char *collection);

/* Whether db is a database name as mongorestore accepts it: at most 63 bytes, none of
 * / \ . space " $ (docs/archive-format.md §2.4). The empty name (the oplog's) is accepted. */
bool mb_archive_valid_db_name(const char *db);

/* Parse "X.Y.Z" with an optional "-..." or "+..." suffix as mongorestore does; false otherwise. */
bool mb_archive_parse_version(const char *s, int *major, int *minor, int *patch);

/* The collection name a prelude entry's data blocks use: "system.buckets.<c>" for a timeseries
 * entry from a server older than 8.3 (or of unknown version), else the name itself.
 * Returns a new string (bson_free). */
char *mb_archive_data_collection(const char *collection, const char *type,
                                 const char *server_version);

/* Whether the BSON document doc[0..len) nests at most max_depth levels (1..MB_ARCHIVE_MAX_DEPTH).
 * Walks the document with an explicit stack, never recursing, so that any input is safe to
 * give it. It does not validate: on malformed BSON it stops where it cannot go on and returns
 * true (as far as it could see, the document is not too deep). */
bool mb_archive_depth_ok(const uint8_t *doc, size_t len, int max_depth);

#endif
