/* The figures of one dumped namespace: the one model that the dump's report, a scheduled run,
 * its manifest and the notification report all hold (as arrays), with its one BSON writer and
 * reader and its one text table. A new per-namespace field is one edit here and in nsstats.c. */
#ifndef MB_COMMON_NSSTATS_H
#define MB_COMMON_NSSTATS_H

#include "common/error.h"
#include "common/oplogts.h"

#include <bson/bson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct {
   char *db, *collection;
   char *type; /* "collection", "view", "timeseries"; NULL when unknown */
   uint64_t docs;
   uint64_t bytes; /* BSON bytes */
   uint64_t crc;   /* CRC-64 of the namespace's documents */
   double seconds; /* time spent reading it */
   bool oplog;     /* the oplog of dump --oplog: db "", collection "oplog", with its range */
   mb_oplog_ts_t oplog_start, oplog_end; /* the archive restores to the point oplog_end */
} mb_ns_stats_t;

/* The fields a record carries besides "db", "collection", "documents" and "bytes" (each
 * consumer shows what its users already parse); an oplog record always carries "oplog_start" and
 * "oplog_end" ("T:I") and "point_in_time" (oplog_end's UTC time). */
enum {
   MB_NS_STATS_TYPE = 1u << 0,    /* "type" */
   MB_NS_STATS_CRC = 1u << 1,     /* "crc": "0x" and 16 hex digits */
   MB_NS_STATS_CRC64 = 1u << 2,   /* the same under the manifest's name, "crc64" */
   MB_NS_STATS_SECONDS = 1u << 3, /* "seconds", rounded to the millisecond */
};

/* Free the strings ns holds and zero it. */
void mb_ns_stats_clear(mb_ns_stats_t *ns);

/* Free an array of n records and the strings they hold; ns may be NULL. */
void mb_ns_stats_array_destroy(mb_ns_stats_t *ns, size_t n);

/* A deep copy of an array of n records, made for the caller (mb_ns_stats_array_destroy); NULL
 * when n is 0. */
mb_ns_stats_t *mb_ns_stats_array_copy(const mb_ns_stats_t *ns, size_t n);

/* Append ns's fields (those selected by fields, MB_NS_STATS_*) to the open document doc. */
void mb_ns_stats_append(const mb_ns_stats_t *ns, unsigned fields, bson_t *doc);

/* Append an array under key holding one document per record. */
void mb_ns_stats_append_array(bson_t *doc, const char *key, const mb_ns_stats_t *ns, size_t n,
                              unsigned fields);

/* Read one record back from doc (any of the fields above; "crc" or "crc64" as written, or as a
 * number). Missing fields stay zero or NULL; *ns is filled for the caller (mb_ns_stats_clear). */
void mb_ns_stats_from_bson(const bson_t *doc, mb_ns_stats_t *ns);

/* Read the array under key of doc: *ns (mb_ns_stats_array_destroy) and *n. An absent key gives
 * no records; an element that is not a document is an error. */
MB_MUST_CHECK bool mb_ns_stats_array_from_bson(const bson_t *doc, const char *key,
                                               mb_ns_stats_t **ns, size_t *n, mb_error_t *err);

/* The human table: a header line, then "db.collection  documents  bytes  seconds" per record. */
void mb_ns_stats_print_table(FILE *f, const mb_ns_stats_t *ns, size_t n);

/* seconds rounded to the millisecond: how durations are written in JSON. */
double mb_ns_stats_round_seconds(double seconds);

#endif
