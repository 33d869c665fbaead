/* The restore engine's moving parts, shared by restore.c (setup and report) and engine.c (the
 * reading thread and the insert workers). Internal to src/restore. */
#ifndef MB_RESTORE_ENGINE_H
#define MB_RESTORE_ENGINE_H

#include "archive/reader.h"
#include "common/client.h"
#include "restore/plan.h"
#include "restore/queue.h"
#include "restore/replay.h"
#include "restore/restore.h"
#include "restore/target.h"
#include "restore/users.h"

#include <pthread.h>

/* What happened to one namespace. */
typedef struct {
   mb_rchunk_t *chunk; /* being filled by the reading thread */
   bool begun, ended;  /* reading thread only: its first header / its EOF block (CRC good) */
   /* the rest is guarded by the engine's mutex */
   bool prepared, created, create_failed, finished;
   uint64_t restored, duplicates, failed;
   int indexes_built, indexes_failed;
   char note[MB_RTARGET_NOTE_MAX];
} mb_rengine_ns_t;

typedef struct {
   const mb_restore_opts_t *o;
   mb_archive_reader_t *reader;
   mb_rplan_t *plan;
   mb_rengine_ns_t *st; /* one per plan namespace */
   mb_client_t *client; /* NULL for a dry run */
   mb_rqueue_t *q;      /* NULL for a dry run */
   mb_rusers_t *users;
   mb_rnsmap_t *map;           /* the filters and renames, also for the oplog's entries */
   mb_rreplay_t *replay;       /* --oplog-replay, from the oplog's first header on */
   mongoc_client_t *replay_cl; /* popped from the pool for the replay */
   mb_rtarget_opts_t topts;
   pthread_t *threads;
   int nthreads;
   pthread_mutex_t mu; /* guards the fields below and the namespaces' shared fields */
   bool have_fatal;
   mb_error_t fatal;
   uint64_t restored;
   int ns_done;
   /* reading thread only */
   uint64_t docs_read;
   const char *current; /* the namespace of the last document read (progress) */
   int ns_total;
   double t0, last_progress;
} mb_rengine_t;

/* Seconds on the monotonic clock. */
double mb_rengine_now(void);

/* Record the first fatal error and cancel the queues (any thread). */
void mb_rengine_fatal(mb_rengine_t *e, const mb_error_t *err);

/* Read the whole archive and restore it: start the workers (unless a dry run), demultiplex,
 * wait for the workers, restore users and roles. On an archive error the namespaces read
 * completely are still finished. Fails with the first fatal error or the archive's error. */
MB_MUST_CHECK bool mb_rengine_stream(mb_rengine_t *e, mb_error_t *err);

/* The report of a run that got as far as its plan (report.c). Made for the caller. */
mb_restore_report_t *mb_restore_report_build(const mb_rengine_t *e);

#endif
