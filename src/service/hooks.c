#include "service/hooks.h"
#include "common/log.h"

#include <string.h>
#include <time.h>

static void report_of(const mb_hooks_t *h, const mb_run_t *run, const mb_stats_t *stats,
                      mb_report_t **out)
{
   mb_report_t *r;

   mb_report_new(&r);
   mb_report_set_timezone(r, h->timezone);
   if (!run->ok) {
      mb_report_set_failure(r, run->stage, run->error);
   } else {
      mb_report_set_archive(r, run->archive, run->archive_bytes, run->compression);
   }
   r->started = (int64_t) run->start;
   r->finished = (int64_t) (run->end ? run->end : run->start + (time_t) run->seconds);
   r->duration = run->seconds;
   r->bytes_in = run->bson_bytes;
   r->bytes_out = run->ok ? run->archive_bytes : 0;
   r->documents = run->docs;
   mb_report_set_namespaces(r, run->ns, (size_t) run->nns);
   r->stats.present = true;
   r->stats.total_backups = (uint64_t) stats->backups;
   r->stats.storage_bytes = stats->bytes_used;
   mb_report_set_stats_range(r, stats->oldest_name, (int64_t) stats->oldest, stats->newest_name,
                             (int64_t) stats->newest);
   r->stats.successes = stats->successes;
   r->stats.failures = stats->failures;
   r->stats.last_duration = stats->last_seconds;
   r->stats.average_duration = stats->average_seconds;
   *out = r;
}

bool mb_hooks_load(mb_hooks_t *h, mb_notify_get_fn get, void *user_data, mb_error_t *err)
{
   char summary[1024];

   memset(h, 0, sizeof *h);
   mb_notify_config_init(&h->config);
   if (!mb_notify_config_load(&h->config, get, user_data, err)) {
      return false;
   }
   h->timezone = bson_strdup(get("TIMEZONE", user_data));
   h->enabled = mb_notify_any_enabled(&h->config);
   if (h->enabled) {
      mb_notify_config_summary(&h->config, summary, sizeof summary);
      mb_log(MB_LOG_INFO, "notifications: %s", summary);
   }
   return true;
}

void mb_hooks_clear(mb_hooks_t *h)
{
   mb_notify_config_clear(&h->config);
   bson_free(h->timezone);
   memset(h, 0, sizeof *h);
}

bool mb_hooks_check(mb_notify_get_fn get, void *user_data, mb_error_t *err)
{
   mb_notify_config_t c;
   bool ok;

   mb_notify_config_init(&c);
   ok = mb_notify_config_load(&c, get, user_data, err);
   mb_notify_config_clear(&c);
   return ok;
}

void mb_hooks_started(const mb_hooks_t *h)
{
   if (h->enabled) {
      mb_notify_ping(&h->config, "start", NULL);
   }
}

void mb_hooks_finished(const mb_hooks_t *h, const mb_run_t *run, const mb_stats_t *stats)
{
   mb_report_t *r = NULL;
   mb_notify_result_t res;

   if (!h->enabled) {
      return;
   }
   report_of(h, run, stats, &r);
   mb_notify_send(&h->config, r, &res); /* logs each channel's outcome; never fails the run */
   mb_report_destroy(r);
}

void mb_hooks_failed_to_start(mb_notify_get_fn get, void *user_data, const char *stage,
                              const mb_error_t *err)
{
   mb_notify_config_t c;
   mb_notify_result_t res;
   mb_report_t *r = NULL;
   mb_error_t e;
   time_t now = time(NULL);

   mb_notify_config_init(&c);
   if (mb_notify_config_load(&c, get, user_data, &e) && mb_notify_any_enabled(&c)) {
      mb_report_new(&r);
      mb_report_set_timezone(r, get("TIMEZONE", user_data));
      mb_report_set_failure(r, stage, err->message);
      r->started = (int64_t) now;
      r->finished = (int64_t) now;
      mb_notify_send(&c, r, &res); /* the healthcheck channel sends the fail ping */
      mb_report_destroy(r);
   }
   mb_notify_config_clear(&c);
}

void mb_hooks_alert(const mb_hooks_t *h, const char *stage, const char *message)
{
   mb_report_t *r = NULL;
   mb_notify_result_t res;
   time_t now = time(NULL);

   if (!h->enabled) {
      return;
   }
   mb_report_new(&r);
   mb_report_set_timezone(r, h->timezone);
   mb_report_set_failure(r, stage, message);
   r->started = (int64_t) now;
   r->finished = (int64_t) now;
   mb_notify_send(&h->config, r, &res);
   mb_report_destroy(r);
}
