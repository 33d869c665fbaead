#include "sched/state.h"
#include "common/log.h"
#include "common/redact.h"
#include "storage/repo.h"

#include <stdio.h>
#include <string.h>

#define STATE_FILE ".mongobak-state.json"
#define STATE_MAX (1u << 20)

static void get_str(const bson_t *doc, const char *key, char **out)
{
   bson_iter_t it;
   if (bson_iter_init_find(&it, doc, key) && BSON_ITER_HOLDS_UTF8(&it)) {
      *out = bson_strdup(bson_iter_utf8(&it, NULL));
   }
}

static double get_num(const bson_t *doc, const char *key)
{
   bson_iter_t it;
   return bson_iter_init_find(&it, doc, key) && BSON_ITER_HOLDS_NUMBER(&it)
              ? bson_iter_as_double(&it)
              : 0;
}

bool mb_state_load(const char *dir, mb_state_t *s, mb_error_t *err)
{
   mb_repo_t *repo = NULL;
   char *path = NULL;
   mb_error_t e;
   bson_t doc = BSON_INITIALIZER;
   bool ok, exists = false, unreadable;

   memset(s, 0, sizeof *s);
   ok = mb_repo_open(dir, 0, &repo, err);
   if (!ok || !mb_repo_stat(repo, STATE_FILE, NULL, &exists, &e) || !exists) {
      goto out; /* as before: what cannot be seen is a fresh state */
   }
   path = mb_repo_path(repo, STATE_FILE);
   if (!mb_repo_read_json(repo, STATE_FILE, STATE_MAX, &doc, &unreadable, &e)) {
      mb_error_set(err, MB_EXIT_IO,
                   "the state file '%s' is damaged (%s); move it away to start new statistics",
                   path, unreadable ? "unreadable" : e.message);
      ok = false;
   } else {
      s->runs = (uint64_t) get_num(&doc, "runs");
      s->successes = (uint64_t) get_num(&doc, "successes");
      s->failures = (uint64_t) get_num(&doc, "failures");
      s->last_seconds = get_num(&doc, "last_seconds");
      s->success_seconds = get_num(&doc, "success_seconds");
      s->last_run = (time_t) get_num(&doc, "last_run");
      s->last_success = (time_t) get_num(&doc, "last_success");
      s->last_failure = (time_t) get_num(&doc, "last_failure");
      s->running = (time_t) get_num(&doc, "running");
      get_str(&doc, "last_status", &s->last_status);
      get_str(&doc, "last_error", &s->last_error);
      if (s->last_error) { /* written by an older mongobak, or before a secret was known */
         char *m = mb_redact_dup(s->last_error);
         bson_free(s->last_error);
         s->last_error = m;
      }
      get_str(&doc, "last_archive", &s->last_archive);
   }
out:
   bson_destroy(&doc);
   bson_free(path);
   mb_repo_destroy(repo);
   return ok;
}

bool mb_state_save(const char *dir, const mb_state_t *s, mb_error_t *err)
{
   bson_t doc = BSON_INITIALIZER;
   mb_repo_t *repo = NULL;
   char *json, *masked;
   size_t len;
   bool ok;

   BSON_APPEND_INT32(&doc, "version", 1);
   BSON_APPEND_INT64(&doc, "runs", (int64_t) s->runs);
   BSON_APPEND_INT64(&doc, "successes", (int64_t) s->successes);
   BSON_APPEND_INT64(&doc, "failures", (int64_t) s->failures);
   BSON_APPEND_DOUBLE(&doc, "last_seconds", s->last_seconds);
   BSON_APPEND_DOUBLE(&doc, "success_seconds", s->success_seconds);
   BSON_APPEND_INT64(&doc, "last_run", (int64_t) s->last_run);
   BSON_APPEND_INT64(&doc, "last_success", (int64_t) s->last_success);
   BSON_APPEND_INT64(&doc, "last_failure", (int64_t) s->last_failure);
   BSON_APPEND_UTF8(&doc, "last_status", s->last_status ? s->last_status : "");
   BSON_APPEND_UTF8(&doc, "last_error", s->last_error ? s->last_error : "");
   BSON_APPEND_UTF8(&doc, "last_archive", s->last_archive ? s->last_archive : "");
   if (s->running) {
      BSON_APPEND_INT64(&doc, "running", (int64_t) s->running);
   }
   json = bson_as_relaxed_extended_json(&doc, &len);
   masked = mb_redact_dup(json);
   ok = mb_repo_open(dir, 0, &repo, err) &&
        mb_repo_write_all(repo, STATE_FILE, MB_REPO_OWN_NAME, masked, strlen(masked), err);
   mb_repo_destroy(repo);
   bson_free(masked);
   bson_free(json);
   bson_destroy(&doc);
   return ok;
}

static void set(char **field, const char *v)
{
   bson_free(*field);
   *field = bson_strdup(v ? v : "");
}

void mb_state_record(mb_state_t *s, const mb_run_t *run)
{
   if (run->cancelled) {
      s->running = 0; /* the last run stays the last one that finished */
      return;
   }
   s->runs++;
   s->running = 0;
   s->last_run = run->start;
   s->last_seconds = run->seconds;
   set(&s->last_status, run->ok ? "ok" : "failed");
   set(&s->last_error, run->ok ? "" : run->error);
   if (run->ok) {
      s->successes++;
      s->success_seconds += run->seconds;
      s->last_success = run->start;
      set(&s->last_archive, run->archive);
   } else {
      s->failures++;
      s->last_failure = run->start;
   }
}

bool mb_state_begin(const char *dir, time_t start, time_t *killed, mb_error_t *err)
{
   mb_state_t s;
   bool ok;

   *killed = 0;
   if (!mb_state_load(dir, &s, err)) {
      return false;
   }
   if (s.running) {
      mb_run_t lost;
      struct tm tm;
      char when[32], msg[160];

      memset(&lost, 0, sizeof lost);
      gmtime_r(&s.running, &tm);
      strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
      snprintf(msg, sizeof msg,
               "the run started at %s never finished (mongobak was killed or the machine stopped)",
               when);
      lost.start = s.running;
      mb_run_fail(&lost, "interrupted", MB_EXIT_INTERRUPTED, msg);
      *killed = s.running;
      mb_state_record(&s, &lost);
      mb_run_clear(&lost);
   }
   s.running = start;
   ok = mb_state_save(dir, &s, err);
   mb_state_clear(&s);
   return ok;
}

void mb_state_clear(mb_state_t *s)
{
   bson_free(s->last_status);
   bson_free(s->last_error);
   bson_free(s->last_archive);
   memset(s, 0, sizeof *s);
}

void mb_state_stats(const mb_state_t *s, const mb_catalog_t *c, mb_stats_t *out)
{
   memset(out, 0, sizeof *out);
   for (int i = 0; i < c->n; i++) {
      const mb_backup_t *b = &c->items[i];
      if (!b->complete) {
         continue;
      }
      if (out->backups == 0) {
         out->newest = b->time;
         out->newest_name = b->name;
      }
      out->oldest = b->time;
      out->oldest_name = b->name;
      out->backups++;
      out->bytes_used += b->size;
   }
   out->runs = s->runs;
   out->successes = s->successes;
   out->failures = s->failures;
   out->success_rate = s->runs ? 100.0 * (double) s->successes / (double) s->runs : 0;
   out->last_seconds = s->last_seconds;
   out->average_seconds = s->successes ? s->success_seconds / (double) s->successes : 0;
}

void mb_state_load_stats(const char *dir, mb_state_t *st, mb_catalog_t *cat, mb_stats_t *out)
{
   mb_error_t err;

   memset(cat, 0, sizeof *cat);
   if (!mb_state_load(dir, st, &err)) {
      memset(st, 0, sizeof *st);
   }
   if (!mb_catalog_scan(dir, cat, &err)) {
      mb_log(MB_LOG_WARN, "cannot list the backups: %s", err.message);
      mb_catalog_clear(cat);
   }
   mb_state_stats(st, cat, out);
}
