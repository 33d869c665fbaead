/* The report of one backup run: what every notification channel shows. The scheduler fills it
 * (numbers directly, strings through the setters, which copy) and hands it to mb_notify_send.
 * Strings in a report never hold secrets: the setters mask every registered secret. */
#ifndef MB_NOTIFY_REPORT_H
#define MB_NOTIFY_REPORT_H

#include "common/buf.h"
#include "common/error.h"
#include "common/nsstats.h"

#include <bson/bson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { MB_REPORT_SUCCESS = 0, MB_REPORT_FAILURE = 1 } mb_report_status_t;

/* The state file's statistics, as they stand after this run. */
typedef struct {
   bool present;           /* false: the run has no statistics (e.g. `mongobak notify --test`) */
   uint64_t total_backups; /* complete backups kept in BACKUP_DIR */
   uint64_t storage_bytes; /* bytes those backups use */
   char *oldest_name;      /* NULL when there is none */
   int64_t oldest_time;    /* epoch seconds */
   char *newest_name;
   int64_t newest_time;
   uint64_t successes; /* runs recorded, all time */
   uint64_t failures;
   double last_duration;    /* seconds of the last successful run */
   double average_duration; /* seconds, over the successful runs recorded */
} mb_report_stats_t;

typedef struct {
   mb_report_status_t status;
   bool test;       /* a sample sent by `mongobak notify --test` */
   char *stage;     /* failures: "config", "connect", "dump", "verify", "retention", ... */
   char *error;     /* failures: the one-line error */
   char *host;      /* this machine's name (set by mb_report_new) */
   int64_t started; /* epoch seconds */
   int64_t finished;
   double duration; /* seconds (finer than finished - started) */
   char *timezone;  /* IANA zone name the times are shown in besides UTC ("UTC" by default) */
   char *archive;   /* archive file name (without directory); NULL when none was written */
   uint64_t archive_bytes; /* size of the archive file */
   uint64_t bytes_in;      /* BSON bytes read from the server */
   uint64_t bytes_out;     /* bytes written after compression (usually archive_bytes) */
   char *compression;      /* "zstd", "gzip" or "none" */
   uint64_t documents;
   mb_ns_stats_t *ns; /* in dump order */
   size_t nns;
   mb_report_stats_t stats;
} mb_report_t;

/* A new empty report (status success, host filled, timezone "UTC"), made for the caller. */
void mb_report_new(mb_report_t **out);

/* Free a report and every string it holds; r may be NULL. */
void mb_report_destroy(mb_report_t *r);

/* Mark the run failed at stage with a one-line message (both copied, secrets masked). */
void mb_report_set_failure(mb_report_t *r, const char *stage, const char *message);

/* Set the archive's file name (directory stripped), its size and its compression. */
void mb_report_set_archive(mb_report_t *r, const char *name, uint64_t bytes,
                           const char *compression);

/* Set the time zone the report shows local times in (copied). */
void mb_report_set_timezone(mb_report_t *r, const char *tz);

/* Add one namespace's figures (strings copied). */
void mb_report_add_ns(mb_report_t *r, const char *db, const char *collection, uint64_t documents,
                      uint64_t bytes, double seconds);

/* Set the namespaces (a copy of ns[0..n), names masked), replacing any added before. */
void mb_report_set_namespaces(mb_report_t *r, const mb_ns_stats_t *ns, size_t n);

/* Set the oldest and newest backups of the statistics (names copied; NULL for none). */
void mb_report_set_stats_range(mb_report_t *r, const char *oldest, int64_t oldest_time,
                               const char *newest, int64_t newest_time);

/* A sample report for tests: three namespaces and statistics; a failure at stage "dump" when
 * failure is true. Made for the caller. */
void mb_report_sample(bool failure, const char *tz, mb_report_t **out);

/* The indexes of the slowest namespaces (by seconds, at most max), slowest first. Returns how
 * many were written to idx. */
size_t mb_report_slowest(const mb_report_t *r, size_t *idx, size_t max);

/* successes / (successes + failures) in percent; -1 when no run is recorded. */
double mb_report_success_rate(const mb_report_t *r);

/* bytes_in / bytes_out; 0 when unknown. */
double mb_report_ratio(const mb_report_t *r);

/* The report as a BSON document (the generic webhook's JSON). out is initialised here and
 * owned by the caller (bson_destroy). */
void mb_report_to_bson(const mb_report_t *r, bson_t *out);

/* The report as relaxed extended JSON (plain JSON: numbers, strings, null); made for the caller
 * (bson_free). */
char *mb_report_to_json(const mb_report_t *r);

/* One line: "backup succeeded on HOST: ARCHIVE, 1.2 MB, 12 documents in 3.4 s" or
 * "backup FAILED on HOST at stage dump: ERROR". */
void mb_report_summary(const mb_report_t *r, char *buf, size_t size);

/* Formatting helpers shared by the channels. */

/* "2024-05-01 12:00:00 UTC" for t in UTC. */
void mb_report_format_utc(int64_t t, char *buf, size_t size);

/* "2024-05-01T12:00:00Z". */
void mb_report_format_iso(int64_t t, char *buf, size_t size);

/* "2024-05-01 14:00:00 CEST (Europe/Paris)" for t in zone tz (IANA name). The zone is applied
 * under a lock by setting TZ for the duration of the call; an unknown zone shows UTC. */
void mb_report_format_local(int64_t t, const char *tz, char *buf, size_t size);

/* "1.5 MB" (decimal units, as `ls -h --si`); "123 B" below 1 kB. */
void mb_report_format_bytes(uint64_t bytes, char *buf, size_t size);

/* "850 ms", "12.3 s", "4 min 05 s", "2 h 03 min". */
void mb_report_format_duration(double seconds, char *buf, size_t size);

/* "1,234,567". */
void mb_report_format_count(uint64_t n, char *buf, size_t size);

#endif
