/* The service layer: one scheduled backup run, as `mongobak backup` and every run of the daemon
 * make it, written as a list of steps in mb_backup_run, top to bottom:
 *
 *   prepare    BACKUP_DIR (0700) and its lock: mb_backup_prepare, once per process
 *   connect    the daemon reaches the server at its start (mb_backup_connect); a run's dump
 *              connects in its own process
 *   dump       into a hidden file, in a child process under a watchdog (BACKUP_TIMEOUT, stop)
 *   verify     read the new archive completely and hash it
 *   publish    its manifest, then its final name
 *              (dump to publish is one attempt: after a failure, up to `retries` more, each
 *              logged, retry_delay_ms apart; not after a stop; the run is recorded and
 *              notified once, with its last attempt's outcome)
 *   retention  delete what the rules no longer keep (only after a success)
 *   record     the state file and the metrics
 *   notify     the report to every channel
 *
 * Adding a step is one function here and one line in mb_backup_run: "upload each finished
 * backup to S3" is a step after publish (its failure recorded with mb_run_fail like the others),
 * with its code in a new module below this layer. The command line (src/cli) only parses
 * options, calls these functions and prints. */
#ifndef MB_SERVICE_BACKUP_H
#define MB_SERVICE_BACKUP_H

#include "archive/crypt.h"
#include "sched/lock.h"
#include "sched/retention.h"
#include "sched/state.h"
#include "service/hooks.h"

#include <stdatomic.h>

/* The dump step: make the archive at path; fill run's figures (docs, bson_bytes, ns,
 * server_version, uri); stop promptly with an error when *cancel becomes non-zero. The service
 * uses mb_child_dump (service/child.h); tests give a function of their own. */
typedef bool (*mb_backup_dump_fn)(void *user_data, const char *path, const atomic_int *cancel,
                                  mb_run_t *run, mb_error_t *err);

/* One backup service; every pointer is borrowed. */
typedef struct {
   const char *dir;
   const char *extension;   /* ".zst", ".gz" or "", then ".enc" when encrypted */
   mb_crypt_key_t *key;     /* the archives' key (the dump's, for the verify step), or NULL */
   const char *compression; /* name for the manifest */
   long timeout_ms;         /* 0: none */
   int retries;             /* further attempts after a failed dump, verify or publish */
   long retry_delay_ms;     /* between attempts (a stop ends the wait) */
   mb_retention_t retention;
   mb_backup_dump_fn dump;
   void *dump_user_data;
   const mb_hooks_t *hooks;  /* the notification step; NULL: none */
   const atomic_int *stop;   /* set by a signal handler: cancel the run */
   time_t (*now)(void);      /* injectable clock; NULL = time() */
   const char *metrics_file; /* Prometheus text file written after each run, or NULL */
} mb_backup_service_t;

/* The prepare step: create dir (0700) and take its lock (*lock for the caller,
 * mb_lock_release). When it fails and get is given, the failure is also reported to the
 * configured channels (stage "lock"). */
MB_MUST_CHECK bool mb_backup_prepare(const char *dir, mb_notify_get_fn get, void *user_data,
                                     mb_lock_t **lock, mb_error_t *err);

/* The connect step at a daemon's start: reach the server at uri once and log
 * "connected to URI (server VERSION); <context>". */
MB_MUST_CHECK bool mb_backup_connect(const char *uri, const char *context, mb_error_t *err);

/* One run; the caller holds the directory lock. Returns run->ok; run is filled either way
 * (mb_run_clear). */
bool mb_backup_run(const mb_backup_service_t *b, mb_run_t *run);

/* mb_backup_run for the daemon loop (user_data: the mb_backup_service_t); the run's record is
 * dropped. */
void mb_backup_run_once(void *user_data);

/* Apply retention at now (the retention step, and `mongobak prune`): deletes unless dry_run,
 * never the backup named protect (may be NULL); warns once when backups are dated after now.
 * Then the oplog slices (sched/slices.h) that end at or before the oldest kept backup's oplog
 * end (none when no kept backup has an oplog); each is logged, none counts in the number.
 * Fills the catalog it judged and keep[] (allocated, free()). Returns the number deleted (or to
 * delete), -1 on error. */
MB_MUST_CHECK int mb_backup_prune(const char *dir, const mb_retention_t *r, time_t now,
                                  const char *protect, bool dry_run, mb_catalog_t *cat, bool **keep,
                                  mb_error_t *err);

#endif
