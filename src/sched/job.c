#include "sched/job.h"
#include "archive/verify.h"
#include "common/log.h"
#include "sched/metrics.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct {
   const mb_job_t *job;
   const char *tmp;   /* the archive until it is verified and has its manifest */
   atomic_int cancel; /* 1: timeout, 2: stop */
   atomic_int done;
   struct timespec started;
} watch_t;

static double elapsed(const struct timespec *since)
{
   struct timespec now;
   clock_gettime(CLOCK_MONOTONIC, &now);
   return (double) (now.tv_sec - since->tv_sec) + (double) (now.tv_nsec - since->tv_nsec) / 1e9;
}

/* Sets cancel when the run exceeds its time limit or the daemon is told to stop. */
static void *watcher(void *arg)
{
   watch_t *w = arg;

   while (!atomic_load(&w->done)) {
      if (w->job->stop && atomic_load(w->job->stop)) {
         atomic_store(&w->cancel, 2);
      } else if (w->job->timeout_ms > 0 &&
                 elapsed(&w->started) * 1000 > (double) w->job->timeout_ms) {
         atomic_store(&w->cancel, 1);
      }
      usleep(50 * 1000);
   }
   return NULL;
}

static time_t job_now(const mb_job_t *j)
{
   return j->now ? j->now() : time(NULL);
}

static bool dump_and_verify(const mb_job_t *j, mb_run_t *run, watch_t *w)
{
   mb_archive_check_t check;
   struct timespec t0;
   mb_error_t err;
   pthread_t th;
   bool ok;

   clock_gettime(CLOCK_MONOTONIC, &w->started);
   pthread_create(&th, NULL, watcher, w);
   ok = j->dump(j->user_data, w->tmp, &w->cancel, run, &err);
   atomic_store(&w->done, 1);
   pthread_join(th, NULL);
   run->dump_seconds = elapsed(&w->started);
   if (!ok) {
      /* a stop signal may also have reached the dump process itself, before the watcher saw it */
      if (!atomic_load(&w->cancel) && j->stop && atomic_load(j->stop)) {
         atomic_store(&w->cancel, 2);
      }
      if (atomic_load(&w->cancel) == 1) {
         mb_error_set(&err, MB_EXIT_TIMEOUT,
                      "the backup exceeded BACKUP_TIMEOUT (%ld ms) and was cancelled",
                      j->timeout_ms);
      } else if (atomic_load(&w->cancel) == 2) {
         mb_error_set(&err, MB_EXIT_INTERRUPTED,
                      "the backup was cancelled because mongobak is stopping");
      }
      mb_run_fail(run, "dump", (int) mb_error_exit_code(&err), err.message);
      unlink(w->tmp);
      mb_catalog_remove_partials(j->dir); /* a killed dump leaves its .partial file */
      return false;
   }
   clock_gettime(CLOCK_MONOTONIC, &t0);
   if (!mb_archive_verify_file(w->tmp, &check, &err)) {
      mb_error_prefix(&err, "the new archive '%s' does not verify", run->archive);
      mb_run_fail(run, "verify", (int) mb_error_exit_code(&err), err.message);
      unlink(w->tmp);
      return false;
   }
   run->verify_seconds = elapsed(&t0);
   memcpy(run->sha256, check.sha256, sizeof run->sha256);
   run->archive_bytes = check.file_bytes;
   return true;
}

static void retention(const mb_job_t *j, mb_run_t *run)
{
   mb_catalog_t cat;
   bool *keep = NULL;
   mb_error_t err;
   /* the archive this run just published is never its own retention's victim */
   int n = mb_job_prune(j->dir, &j->retention, job_now(j), run->archive, false, &cat, &keep, &err);

   if (n < 0) {
      mb_log(MB_LOG_ERROR, "retention: %s", err.message);
      mb_run_fail(run, "retention", (int) mb_error_exit_code(&err), err.message);
   } else {
      run->deleted = n;
   }
   free(keep);
   mb_catalog_clear(&cat);
}

int mb_job_prune(const char *dir, const mb_retention_t *r, time_t now, const char *protect,
                 bool dry_run, mb_catalog_t *cat, bool **keep, mb_error_t *err)
{
   int n, future = 0;

   *keep = NULL;
   if (!mb_catalog_scan(dir, cat, err)) {
      return -1;
   }
   *keep = calloc((size_t) cat->n + 1, sizeof **keep);
   if (!*keep) {
      mb_error_set(err, MB_EXIT_FAILURE, "out of memory");
      return -1;
   }
   n = mb_retention_plan_at(r, cat, now, protect, *keep, &future);
   for (int i = 0; future > 0 && i < cat->n; i++) {
      if (cat->items[i].complete && cat->items[i].time > now) {
         mb_log(MB_LOG_WARN,
                "retention: %d complete backup%s dated in the future (newest %s): the clock was "
                "ahead or %s copied in; kept, and not counted against MAX_BACKUPS",
                future, future == 1 ? " is" : "s are", cat->items[i].name,
                future == 1 ? "it was" : "they were");
         break;
      }
   }
   for (int i = 0; !dry_run && i < cat->n; i++) {
      if (!(*keep)[i] && cat->items[i].complete) {
         if (!mb_catalog_delete(&cat->items[i], err)) {
            return -1;
         }
         mb_log(MB_LOG_INFO, "retention: deleted %s", cat->items[i].name);
      }
   }
   return n;
}

static void finish(const mb_job_t *j, mb_run_t *run)
{
   mb_state_t st;
   mb_stats_t stats;
   mb_catalog_t cat = {0};
   mb_error_t err;

   if (!mb_state_load(j->dir, &st, &err)) {
      mb_log(MB_LOG_ERROR, "%s", err.message);
      memset(&st, 0, sizeof st);
   }
   mb_state_record(&st, run);
   if (!mb_state_save(j->dir, &st, &err)) {
      mb_log(MB_LOG_ERROR, "cannot save the statistics: %s", err.message);
   }
   if (!mb_catalog_scan(j->dir, &cat, &err)) {
      mb_log(MB_LOG_ERROR, "%s", err.message);
   }
   mb_state_stats(&st, &cat, &stats);
   if (j->metrics_file && !mb_metrics_write(j->metrics_file, &st, &stats, run, &err)) {
      mb_log(MB_LOG_ERROR, "cannot write the metrics: %s", err.message);
   }
   if (run->ok) {
      mb_log(MB_LOG_INFO,
             "backup %s: %llu documents, %llu bytes in %.1f s (%d deleted by retention)",
             run->archive, (unsigned long long) run->docs, (unsigned long long) run->archive_bytes,
             run->seconds, run->deleted);
   } else {
      mb_log(MB_LOG_ERROR, "backup failed at %s: %s", run->stage, run->error);
   }
   if (j->report) {
      j->report(j->user_data, run, &stats);
   }
   if (j->ping) {
      j->ping(j->user_data, run->ok ? "success" : "fail");
   }
   mb_catalog_clear(&cat);
   mb_state_clear(&st);
}

/* Mark the run as started in the statistics, so that it counts even if it is killed outright;
 * a mark left by such a run is counted as a failure now. */
static void begin(const mb_job_t *j, const mb_run_t *run)
{
   mb_error_t err;
   time_t killed;
   char when[32];
   struct tm tm;

   if (!mb_state_begin(j->dir, run->start, &killed, &err)) {
      mb_log(MB_LOG_ERROR, "cannot save the statistics: %s", err.message);
      return;
   }
   if (killed) {
      gmtime_r(&killed, &tm);
      strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
      mb_log(MB_LOG_WARN, "the run started at %s never finished (killed); counted as failed", when);
   }
}

/* The verified archive gets its manifest first, then its final name: a file under a final
 * name is always complete (a crash in between leaves only files the next run removes). */
static void publish(const mb_job_t *j, mb_run_t *run, const char *tmp)
{
   mb_error_t err;

   if (!mb_catalog_publish(run, tmp, &err)) {
      mb_run_fail(run, "manifest", (int) mb_error_exit_code(&err), err.message);
      unlink(tmp);
      return;
   }
   retention(j, run);
}

bool mb_job_run(const mb_job_t *j, mb_run_t *run)
{
   watch_t w = {.job = j};
   struct timespec t0;
   char *tmp;

   memset(run, 0, sizeof *run);
   clock_gettime(CLOCK_MONOTONIC, &t0);
   run->ok = true;
   run->start = job_now(j);
   run->compression = bson_strdup(j->compression);
   run->archive = mb_catalog_name(run->start, j->extension);
   run->path = bson_strdup_printf("%s/%s", j->dir, run->archive);
   tmp = mb_catalog_temp_path(j->dir, run->archive);
   w.tmp = tmp;
   mb_catalog_remove_partials(j->dir);
   begin(j, run);
   if (j->ping) {
      j->ping(j->user_data, "start");
   }
   if (dump_and_verify(j, run, &w)) {
      run->end = job_now(j);
      run->seconds = elapsed(&t0);
      publish(j, run, tmp);
   }
   run->end = job_now(j);
   run->seconds = elapsed(&t0);
   finish(j, run);
   bson_free(tmp);
   return run->ok;
}
