/* Constants and small rules of the mongodump archive format shared by the writer and the
 * reader (../shared/docs/archive-format.md §2). */
#ifndef MB_ARCHIVE_FORMAT_H
#define MB_ARCHIVE_FORMAT_H

#include <stdbool.h>
#include <stdint.h>

#define MB_ARCHIVE_MAGIC 0x8199e26du
#define MB_ARCHIVE_TERMINATOR 0xffffffffu
#define MB_ARCHIVE_MIN_BSON 5u
#define MB_ARCHIVE_MAX_BSON (16u * 1024u * 1024u)
#define MB_ARCHIVE_FORMAT_VERSION "0.1"

typedef enum {
   MB_NS_REGULAR = 0,
   MB_NS_SPECIAL, /* users, roles and auth version: restored before regular namespaces */
   MB_NS_OPLOG    /* db "" collection "oplog": always last */
} mb_ns_kind_t;

/* Classify a prelude namespace. */
mb_ns_kind_t mb_archive_ns_kind(const char *db, const char *collection);

/* Parse "X.Y.Z" with an optional "-..." or "+..." suffix as mongorestore does; false otherwise. */
bool mb_archive_parse_version(const char *s, int *major, int *minor, int *patch);

/* The collection name a prelude entry's data blocks use: "system.buckets.<c>" for a timeseries
 * entry from a server older than 8.3 (or of unknown version), else the name itself.
 * Returns a new string (bson_free). */
char *mb_archive_data_collection(const char *collection, const char *type,
                                 const char *server_version);

#endif
