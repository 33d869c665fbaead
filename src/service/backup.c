#include "service/backup.h"
#include "archive/verify.h"
#include "common/client.h"
#include "common/log.h"
#include "sched/metrics.h"
#include "sched/slices.h"
#include "storage/repo.h"
#include "storage/s3.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* What the steps of one run share. */
typedef struct {
   const mb_backup_service_t *b;
   char *tmp;         /* the archive until it is verified and has its manifest */
   atomic_int cancel; /* 1: timeout, 2: stop */
   atomic_int done;
   struct timespec started, dump_started;
} step_t;

static double elapsed(const struct timespec *since)
{
   struct timespec now;
   clock_gettime(CLOCK_MONOTONIC, &now);
   return (double) (now.tv_sec - since->tv_sec) + (double) (now.tv_nsec - since->tv_nsec) / 1e9;
}

/* Remove a run's temporary archive (a failed step's leftover); a failure to do so is logged,
 * the next run's sweep removes it. */
static void discard(const char *tmp)
{
   mb_error_t err;

   if (!mb_catalog_discard(tmp, &err)) {
      mb_log(MB_LOG_WARN, "%s", err.message);
   }
}

static time_t backup_now(const mb_backup_service_t *b)
{
   return b->now ? b->now() : time(NULL);
}

/* The lock of an s3:// BACKUP_DIR is a local file: it keeps two runs on this host apart; two
 * hosts must not share one prefix (README, "Off-site backups"). Its directory is
 * $XDG_STATE_HOME/mongobak/<the URL, '/' and ':' as '_'> (~/.local/state when unset), 0700. */
static bool lock_s3(const char *url, mb_lock_t **lock, mb_error_t *err)
{
   const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
   char *base = state && *state
                    ? bson_strdup_printf("%s/mongobak", state)
                    : bson_strdup_printf("%s/.local/state/mongobak", home && *home ? home : "/tmp");
   char *dir = bson_strdup_printf("%s/%s", base, url), *p = dir + strlen(base) + 1;
   bool ok;

   for (; *p; p++) {
      *p = *p == '/' || *p == ':' ? '_' : *p;
   }
   for (char *q = dir + 1; *q; q++) { /* mkdir -p, 0700 */
      if (*q == '/') {
         *q = '\0';
         (void) mkdir(dir, 0700);
         *q = '/';
      }
   }
   if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
      mb_error_errno(err, errno, "cannot create the lock directory '%s' of '%s'", dir, url);
      ok = false;
   } else {
      ok = mb_lock_acquire(dir, lock, err);
   }
   bson_free(dir);
   bson_free(base);
   return ok;
}

bool mb_backup_prepare(const char *dir, mb_notify_get_fn get, void *user_data, mb_lock_t **lock,
                       mb_error_t *err)
{
   *lock = NULL;
   mb_repo_t *repo = NULL;

   if (mb_repo_open(dir, MB_REPO_CREATE, &repo, err)) {
      mb_repo_destroy(repo);
      if (mb_repo_is_s3(dir) ? lock_s3(dir, lock, err) : mb_lock_acquire(dir, lock, err)) {
         return true;
      }
   }
   if (get) {
      mb_hooks_failed_to_start(get, user_data, "lock", err);
   }
   return false;
}

bool mb_backup_connect(const char *uri, const char *context, mb_error_t *err)
{
   mb_client_t *probe = NULL;

   if (!mb_client_connect(uri, "mongobak daemon", 1, &probe, err)) {
      return false;
   }
   mb_log(MB_LOG_INFO, "connected to %s (server %s); %s", mb_client_display_uri(probe),
          mb_client_server_version(probe), context);
   mb_client_destroy(probe);
   return true;
}

/* Mark the run as started in the statistics, so that it counts even if it is killed outright;
 * a mark left by such a run is counted as a failure now. */
static void mark_started(const mb_backup_service_t *b, const mb_run_t *run)
{
   mb_error_t err;
   time_t killed;
   char when[32];
   struct tm tm;

   if (!mb_state_begin(b->dir, run->start, &killed, &err)) {
      mb_log(MB_LOG_ERROR, "cannot save the statistics: %s", err.message);
      return;
   }
   if (killed) {
      gmtime_r(&killed, &tm);
      strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
      mb_log(MB_LOG_WARN, "the run started at %s never finished (killed); counted as failed", when);
   }
}

/* The run's name and files; the leftovers of an interrupted run removed; the start recorded
 * and announced. */
static void step_begin(step_t *s, mb_run_t *run)
{
   const mb_backup_service_t *b = s->b;

   memset(run, 0, sizeof *run);
   clock_gettime(CLOCK_MONOTONIC, &s->started);
   run->ok = true;
   run->start = backup_now(b);
   run->compression = bson_strdup(b->compression);
   run->archive = mb_catalog_name(run->start, b->extension);
   run->path = bson_strdup_printf("%s/%s", b->dir, run->archive);
   /* a storage without rename (S3) writes the final name at once: its commit is atomic */
   s->tmp =
       mb_repo_is_s3(b->dir) ? bson_strdup(run->path) : mb_catalog_temp_path(b->dir, run->archive);
   mb_catalog_remove_partials(b->dir);
   mb_catalog_abort_uploads(b->dir, run->start); /* the lock is held: none of them is running */
   mb_log(MB_LOG_INFO, "backup started: %s", run->path);
   mark_started(b, run);
   if (b->hooks) {
      mb_hooks_started(b->hooks);
   }
}

/* Sets cancel when the run exceeds its time limit or the service is told to stop. */
static void *watchdog(void *arg)
{
   step_t *s = arg;

   while (!atomic_load(&s->done)) {
      if (s->b->stop && atomic_load(s->b->stop)) {
         atomic_store(&s->cancel, 2);
      } else if (s->b->timeout_ms > 0 &&
                 elapsed(&s->dump_started) * 1000 > (double) s->b->timeout_ms) {
         atomic_store(&s->cancel, 1);
      }
      usleep(50 * 1000);
   }
   return NULL;
}

static bool step_dump(step_t *s, mb_run_t *run)
{
   const mb_backup_service_t *b = s->b;
   mb_error_t err;
   pthread_t th;
   bool ok;

   atomic_store(&s->cancel, 0);
   atomic_store(&s->done, 0);
   clock_gettime(CLOCK_MONOTONIC, &s->dump_started);
   pthread_create(&th, NULL, watchdog, s);
   ok = b->dump(b->dump_user_data, s->tmp, &s->cancel, run, &err);
   atomic_store(&s->done, 1);
   pthread_join(th, NULL);
   run->dump_seconds = elapsed(&s->dump_started);
   if (ok) {
      return true;
   }
   /* a stop signal may also have reached the dump process itself, before the watchdog saw it */
   if (!atomic_load(&s->cancel) && b->stop && atomic_load(b->stop)) {
      atomic_store(&s->cancel, 2);
   }
   if (atomic_load(&s->cancel) == 1) {
      mb_error_set(&err, MB_EXIT_TIMEOUT,
                   "the backup exceeded BACKUP_TIMEOUT (%ld ms) and was cancelled", b->timeout_ms);
   } else if (atomic_load(&s->cancel) == 2) {
      mb_error_set(&err, MB_EXIT_INTERRUPTED,
                   "the backup was cancelled because mongobak is stopping");
      run->cancelled = true;
   }
   mb_run_fail(run, "dump", (int) mb_error_exit_code(&err), err.message);
   if (mb_error_exit_code(&err) != MB_EXIT_EXISTS) { /* S3: the name is another run's object */
      discard(s->tmp);
   }
   mb_catalog_remove_partials(b->dir); /* a killed dump leaves its .partial file */
   return false;
}

static bool step_verify(step_t *s, mb_run_t *run)
{
   mb_archive_check_t check;
   struct timespec t0;
   mb_error_t err;

   clock_gettime(CLOCK_MONOTONIC, &t0);
   if (!mb_catalog_check(s->tmp, s->b->key, &check, &err)) {
      mb_error_prefix(&err, "the new archive '%s' does not verify", run->archive);
      mb_run_fail(run, "verify", (int) mb_error_exit_code(&err), err.message);
      discard(s->tmp);
      return false;
   }
   run->verify_seconds = elapsed(&t0);
   memcpy(run->sha256, check.sha256, sizeof run->sha256);
   run->archive_bytes = check.file_bytes;
   return true;
}

/* The verified archive gets its manifest first, then its final name: a file under a final
 * name is always complete (a crash in between leaves only files the next run removes). */
static bool step_publish(step_t *s, mb_run_t *run)
{
   mb_error_t err;

   run->end = backup_now(s->b); /* the manifest's times */
   run->seconds = elapsed(&s->started);
   if (!mb_catalog_publish(run, s->tmp, &err)) {
      mb_run_fail(run, "manifest", (int) mb_error_exit_code(&err), err.message);
      discard(s->tmp);
      return false;
   }
   return true;
}

static void step_retention(const mb_backup_service_t *b, mb_run_t *run)
{
   mb_catalog_t cat;
   bool *keep = NULL;
   mb_error_t err;
   /* the archive this run just published is never its own retention's victim */
   int n = mb_backup_prune(b->dir, &b->retention, backup_now(b), run->archive, false, &cat, &keep,
                           &err);

   if (n < 0) {
      mb_log(MB_LOG_ERROR, "retention: %s", err.message);
      mb_run_fail(run, "retention", (int) mb_error_exit_code(&err), err.message);
   } else {
      run->deleted = n;
   }
   free(keep);
   mb_catalog_clear(&cat);
}

/* The oplog slices no kept backup needs: "last" <= the oldest oplog end of the kept backups
 * (none when no kept backup has an oplog); deleted (archive, then manifest) unless dry_run. */
static bool prune_slices(const char *dir, const mb_catalog_t *cat, const bool *keep, bool dry_run,
                         mb_error_t *err)
{
   mb_slices_t sl;
   mb_oplog_ts_t *ends = bson_malloc0(sizeof *ends * (size_t) (cat->n + 1));
   bool *skeep = NULL, ok;
   int ne = 0;

   for (int i = 0; i < cat->n; i++) {
      if (keep[i] && cat->items[i].complete && cat->items[i].has_oplog) {
         ends[ne++] = cat->items[i].oplog_end;
      }
   }
   ok = mb_slices_scan(dir, &sl, err);
   if (ok && sl.n > 0) {
      skeep = bson_malloc0(sizeof *skeep * (size_t) sl.n);
      mb_slices_retain(sl.items, sl.n, ends, ne, skeep);
   }
   for (int i = 0; ok && i < sl.n; i++) {
      if (skeep[i]) {
         continue;
      }
      if (!dry_run && !mb_slices_delete(&sl.items[i], err)) {
         ok = false;
         break;
      }
      mb_log(MB_LOG_INFO, "retention: %s oplog slice %s (before every kept backup's oplog end)",
             dry_run ? "would delete" : "deleted", sl.items[i].name);
   }
   bson_free(skeep);
   bson_free(ends);
   mb_slices_clear(&sl);
   return ok;
}

int mb_backup_prune(const char *dir, const mb_retention_t *r, time_t now, const char *protect,
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
   if (!prune_slices(dir, cat, *keep, dry_run, err)) {
      return -1;
   }
   return n;
}

/* The run in the state file and the metrics; stats are the statistics after it (with the
 * catalog they were made from, for the caller to clear). */
static void step_record(const mb_backup_service_t *b, mb_run_t *run, mb_state_t *st,
                        mb_catalog_t *cat, mb_stats_t *stats)
{
   mb_error_t err;

   if (!mb_state_load(b->dir, st, &err)) {
      mb_log(MB_LOG_ERROR, "%s", err.message);
      memset(st, 0, sizeof *st);
   }
   mb_state_record(st, run);
   if (!mb_state_save(b->dir, st, &err)) {
      mb_log(MB_LOG_ERROR, "cannot save the statistics: %s", err.message);
   }
   if (!mb_catalog_scan(b->dir, cat, &err)) {
      mb_log(MB_LOG_ERROR, "%s", err.message);
   }
   mb_state_stats(st, cat, stats);
   /* a cancelled run leaves the metrics of the last run that finished */
   if (b->metrics_file && !run->cancelled &&
       !mb_metrics_write(b->metrics_file, st, stats, run, &err)) {
      mb_log(MB_LOG_ERROR, "cannot write the metrics: %s", err.message);
   }
   if (run->ok) {
      mb_log(MB_LOG_INFO,
             "backup %s: %llu documents, %llu bytes in %.1f s (%d deleted by retention)",
             run->archive, (unsigned long long) run->docs, (unsigned long long) run->archive_bytes,
             run->seconds, run->deleted);
   } else if (run->cancelled) {
      mb_log(MB_LOG_WARN, "backup cancelled at %s: %s (not counted as a failure)", run->stage,
             run->error);
   } else {
      mb_log(MB_LOG_ERROR, "backup failed at %s: %s", run->stage, run->error);
   }
}

static bool stopping(const mb_backup_service_t *b)
{
   return b->stop && atomic_load(b->stop);
}

/* After a failed attempt: whether to make another (logged), after the delay; the failure is
 * forgotten (the run is judged by its last attempt). */
static bool step_retry(const mb_backup_service_t *b, mb_run_t *run, int attempt)
{
   struct timespec t0;

   if (run->cancelled || attempt > b->retries || stopping(b)) {
      return false;
   }
   mb_log(MB_LOG_WARN, "backup attempt %d of %d failed at %s: %s; retrying in %.0f s", attempt,
          b->retries + 1, run->stage, run->error, (double) b->retry_delay_ms / 1000);
   clock_gettime(CLOCK_MONOTONIC, &t0);
   while (!stopping(b) && elapsed(&t0) * 1000 < (double) b->retry_delay_ms) {
      struct timespec nap = {0, 100 * 1000 * 1000};
      nanosleep(&nap, NULL);
   }
   if (stopping(b)) {
      return false;
   }
   bson_free(run->stage);
   bson_free(run->error);
   bson_free(run->server_version);
   bson_free(run->uri);
   mb_ns_stats_array_destroy(run->ns, (size_t) run->nns);
   run->stage = run->error = run->server_version = run->uri = NULL;
   run->ns = NULL;
   run->nns = 0;
   run->docs = run->bson_bytes = 0;
   run->ok = true;
   run->exit_code = 0;
   mb_log(MB_LOG_INFO, "backup attempt %d of %d: %s", attempt + 1, b->retries + 1, run->path);
   return true;
}

bool mb_backup_run(const mb_backup_service_t *b, mb_run_t *run)
{
   step_t s = {.b = b};
   mb_state_t st;
   mb_catalog_t cat = {0};
   mb_stats_t stats;
   int attempt = 1;

   step_begin(&s, run); /* name, leftovers removed, start recorded and pinged */
   do {
      if (step_dump(&s, run) &&    /* b->dump (a child process) under the watchdog */
          step_verify(&s, run) &&  /* read back completely, hashed */
          step_publish(&s, run)) { /* manifest, then the final name */
         step_retention(b, run);   /* only after a success */
         break;
      }
   } while (step_retry(b, run, attempt++)); /* BACKUP_RETRIES, BACKUP_RETRY_DELAY apart */
   run->end = backup_now(b);
   run->seconds = elapsed(&s.started);
   step_record(b, run, &st, &cat, &stats); /* state file, metrics, the log line */
   if (b->hooks && !run->cancelled) {
      mb_hooks_finished(b->hooks, run, &stats); /* notify; a cancelled run is no news */
   }
   mb_catalog_clear(&cat);
   mb_state_clear(&st);
   bson_free(s.tmp);
   return run->ok;
}

void mb_backup_run_once(void *user_data)
{
   mb_run_t run;

   mb_backup_run(user_data, &run);
   mb_run_clear(&run);
}
