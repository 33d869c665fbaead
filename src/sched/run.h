/* One backup run as the scheduler sees it: what the job function reports, what the manifest,
 * the state file and the notifications are made from. */
#ifndef MB_SCHED_RUN_H
#define MB_SCHED_RUN_H

#include "common/nsstats.h"

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

typedef struct {
   bool ok;
   int exit_code;
   char *stage; /* where it failed: "lock", "connect", "dump", "verify", "manifest", "retention" */
   char *error;
   time_t start, end;
   double seconds, dump_seconds, verify_seconds;
   char *archive; /* file name (no directory) */
   char *path;    /* full path */
   uint64_t archive_bytes, bson_bytes, docs;
   char *compression;
   char *server_version;
   char *uri; /* masked */
   char sha256[65];
   mb_ns_stats_t *ns; /* from the dump's report */
   int nns;
   int deleted;    /* backups removed by retention after this run */
   bool cancelled; /* stopped because mongobak is stopping (SIGTERM): not a failure */
} mb_run_t;

/* Free everything a run holds and zero it. */
void mb_run_clear(mb_run_t *r);

/* Record a failure (first one wins): stage and message are copied. */
void mb_run_fail(mb_run_t *r, const char *stage, int exit_code, const char *message);

#endif
