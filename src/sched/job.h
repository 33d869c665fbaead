/* One scheduled backup run, exactly as `mongobak backup` and the daemon do it: archive into
 * BACKUP_DIR under its final name (through .partial), verify it and hash it, write its manifest,
 * update the statistics, apply retention (only after a success), notify. The scheduler does not
 * know how a dump is made: the caller gives a dump function. */
#ifndef MB_SCHED_JOB_H
#define MB_SCHED_JOB_H

#include "sched/retention.h"
#include "sched/state.h"

#include <stdatomic.h>

/* Make the archive at path; fill run's figures (docs, bson_bytes, ns, server_version, uri);
 * stop promptly with an error when *cancel becomes non-zero. */
typedef bool (*mb_job_dump_fn)(void *user_data, const char *path, const atomic_int *cancel,
                               mb_run_t *run, mb_error_t *err);
/* Send the report of a finished run (never fails the run). */
typedef void (*mb_job_report_fn)(void *user_data, const mb_run_t *run, const mb_stats_t *stats);
/* A lifecycle ping: "start", "success" or "fail" (healthchecks). */
typedef void (*mb_job_ping_fn)(void *user_data, const char *what);

typedef struct {
   const char *dir;
   const char *extension;   /* ".zst", ".gz" or "" */
   const char *compression; /* name for the manifest */
   long timeout_ms;         /* 0: none */
   mb_retention_t retention;
   mb_job_dump_fn dump;
   mb_job_report_fn report;
   mb_job_ping_fn ping;
   void *user_data;
   const atomic_int *stop;   /* set by a signal handler: cancel the run */
   time_t (*now)(void);      /* injectable clock; NULL = time() */
   const char *metrics_file; /* Prometheus text file written after each run, or NULL */
} mb_job_t;

/* Run once; the caller holds the directory lock. Returns run->ok; run is filled either way. */
bool mb_job_run(const mb_job_t *j, mb_run_t *run);

/* Apply retention at now (also used by `mongobak prune`): deletes unless dry_run, never the
 * backup named protect (may be NULL); warns once when backups are dated after now. Fills the
 * catalog it judged and keep[] (allocated, free()). Returns the number deleted (or to delete),
 * -1 on error. */
int mb_job_prune(const char *dir, const mb_retention_t *r, time_t now, const char *protect,
                 bool dry_run, mb_catalog_t *cat, bool **keep, mb_error_t *err);

#endif
