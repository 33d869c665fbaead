/* The restore engine (docs/architecture.md §2): reads an archive (ours or mongodump's), plans what
 * to restore (filters, renames, metadata), then, on one thread, demultiplexes the documents into
 * per-namespace queues served by a pool of insert workers (unordered bulk inserts, one pooled
 * client each); every namespace is created with its options before its data and gets its
 * indexes after it; users and roles come last. Memory is bounded by the queue cap, whatever the
 * archive's size. */
#ifndef MB_RESTORE_RESTORE_H
#define MB_RESTORE_RESTORE_H

#include "common/oplogts.h"
#include "common/stream.h"
#include "restore/replay.h"

#include <stdio.h>

typedef struct {
   uint64_t input_bytes; /* bytes read from the input (compressed) */
   uint64_t input_size;  /* the input's size when known (a regular file), else 0 */
   uint64_t docs_read, docs_restored;
   int ns_done, ns_total;
   double seconds;
   const char *current; /* "db.coll" of the last document read (borrowed), or NULL */
   bool final;          /* last call, after everything */
} mb_restore_progress_t;

typedef void (*mb_restore_progress_fn)(void *user_data, const mb_restore_progress_t *p);

typedef struct {
   const char *uri;
   int jobs; /* insert workers */
   bool drop, no_index_restore, preserve_uuid, dry_run, stop_on_error;
   const char *const *includes, *const *excludes, *const *froms, *const *tos;
   int n_includes, n_excludes, n_renames;
   mb_source_t *raw;    /* borrowed: the underlying input, for byte counts (may be NULL) */
   uint64_t input_size; /* 0 when unknown */
   bool oplog_replay;   /* apply the archive's oplog after the collections (restore/replay.h) */
   const mb_oplog_ts_t *oplog_limit; /* NULL, or: apply only the entries older than this */
   const mb_oplog_ts_t *oplog_after; /* NULL, or: apply only the entries newer than this */
   mb_restore_progress_fn progress;  /* called on the reading thread, at most 5 times a second */
   void *progress_user_data;
} mb_restore_opts_t;

typedef enum {
   MB_RNS_OK = 0,      /* every document restored, indexes built */
   MB_RNS_PARTIAL,     /* restored, but some documents or indexes failed (see duplicates, failed) */
   MB_RNS_FAILED,      /* nothing restored: the collection could not be created, users refused */
   MB_RNS_INCOMPLETE,  /* the restore stopped before this namespace was done */
   MB_RNS_NOT_REACHED, /* the restore stopped before this namespace appeared in the archive */
   MB_RNS_SKIPPED,     /* not restored on purpose (filters, oplog, ...): see note */
   MB_RNS_CHECKED      /* --dry-run: read completely and checked, would be restored */
} mb_rns_status_t;

typedef struct {
   char *src_ns; /* as in the archive */
   char *dst_ns; /* target, NULL when skipped */
   char *type;   /* "collection", "view", "timeseries", "users", "roles", ... */
   mb_rns_status_t status;
   char *note;    /* why skipped, or the first error; NULL when none */
   bool filtered; /* skipped by --ns-include/--ns-exclude */
   bool created;  /* the target was created (not found existing) */
   uint64_t docs_read, bytes_read, docs_restored, duplicates, failed;
   int indexes, indexes_built, indexes_failed;
} mb_restore_ns_report_t;

typedef struct {
   mb_restore_ns_report_t *ns;
   int nns;
   bool dry_run;
   char *archive_version, *archive_server_version, *archive_tool_version;
   char *target;                /* the URI with its password masked; NULL for a dry run */
   char *target_server_version; /* NULL for a dry run */
   uint64_t input_bytes, archive_bytes;
   uint64_t docs_read;     /* every document read from the archive */
   uint64_t docs_selected; /* those of the namespaces not skipped */
   uint64_t docs_restored, duplicates, failed;
   int indexes_built, indexes_failed;
   int count[MB_RNS_CHECKED + 1]; /* namespaces per status */
   double seconds;
   char **warnings; /* NULL-terminated */
   /* --oplog-replay */
   bool oplog_replay;
   mb_rreplay_stats_t oplog; /* the replay's figures, all zero without a replay */
} mb_restore_report_t;

/* Restore the archive read from src (borrowed; already decompressing). *report is made for
 * the caller (mb_restore_report_destroy) whenever the prelude was read and the plan made, also
 * when the restore fails afterwards, so that the caller can show what was and was not restored.
 * Errors: NOT_ARCHIVE / CORRUPT / IO from the archive (CRC mismatches name the namespace),
 * USAGE for bad options (renames, --preserve-uuid), CONNECT / AUTH at connection,
 * SERVER when the server goes away or fails during the restore, PARTIAL when it finished but
 * some documents, indexes, collections or users failed (or --stop-on-error stopped it). */
MB_MUST_CHECK bool mb_restore_run(const mb_restore_opts_t *o, mb_source_t *src,
                                  mb_restore_report_t **report, mb_error_t *err);

void mb_restore_report_destroy(mb_restore_report_t *r);

/* "ok", "partial", "failed", "incomplete", "not reached", "skipped", "checked". */
const char *mb_restore_status_name(mb_rns_status_t s);

/* The summary for people: one line per namespace (filtered-out ones only counted) and totals. */
void mb_restore_report_print_text(FILE *f, const mb_restore_report_t *r);

/* The summary as one JSON object on one line. r may be NULL (the archive could not be read);
 * failure: the error that ended the run, or NULL. archive and compression describe the input. */
void mb_restore_report_print_json(FILE *f, const mb_restore_report_t *r, const char *archive,
                                  const char *compression, const mb_error_t *failure);

#endif
