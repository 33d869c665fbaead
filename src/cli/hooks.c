/* Notification hooks of a scheduled run: the run and the statistics become a
 * report that goes to every enabled channel (src/notify); the healthcheck gets
 * its "start" ping here and its success/fail ping from mb_notify_send. */
#include "cli/commands.h"
#include "cli/config.h"
#include "common/log.h"
#include "notify/notify.h"

#include <string.h>
#include <time.h>

/* Loaded once per process; the hooks have no user data of their own (job->user_data is
 * the dump's). */
static mb_notify_config_t g_notify;
static const char *g_timezone;

static void report_of(const mb_run_t *run, const mb_stats_t *stats, mb_report_t **out)
{
   mb_report_t *r;

   mb_report_new(&r);
   mb_report_set_timezone(r, g_timezone);
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

static void on_report(void *user_data, const mb_run_t *run, const mb_stats_t *stats)
{
   mb_report_t *r = NULL;
   mb_notify_result_t res;

   (void) user_data;
   report_of(run, stats, &r);
   mb_notify_send(&g_notify, r, &res); /* logs each channel's outcome; never fails the run */
   mb_report_destroy(r);
}

static void on_ping(void *user_data, const char *what)
{
   (void) user_data;
   if (strcmp(what, "start") == 0) {
      mb_notify_ping(&g_notify, "start", NULL);
   }
}

bool mb_cli_notify_check(const mb_config_t *config, mb_error_t *err)
{
   mb_notify_config_t c;
   bool ok;

   mb_notify_config_init(&c);
   ok = mb_notify_config_load(&c, mb_config_getter, (void *) config, err);
   mb_notify_config_clear(&c);
   return ok;
}

void mb_cli_notify_failure(const mb_config_t *config, const char *stage, const mb_error_t *err)
{
   mb_notify_config_t c;
   mb_notify_result_t res;
   mb_report_t *r = NULL;
   mb_error_t e;
   time_t now = time(NULL);

   mb_notify_config_init(&c);
   if (mb_notify_config_load(&c, mb_config_getter, (void *) config, &e) &&
       mb_notify_any_enabled(&c)) {
      mb_report_new(&r);
      mb_report_set_timezone(r, mb_config_get(config, "TIMEZONE"));
      mb_report_set_failure(r, stage, err->message);
      r->started = (int64_t) now;
      r->finished = (int64_t) now;
      mb_notify_send(&c, r, &res); /* the healthcheck channel sends the fail ping */
      mb_report_destroy(r);
   }
   mb_notify_config_clear(&c);
}

bool mb_cli_notify_hooks(const mb_config_t *config, mb_job_t *job, mb_error_t *err)
{
   char summary[1024];

   mb_notify_config_clear(&g_notify);
   if (!mb_notify_config_load(&g_notify, mb_config_getter, (void *) config, err)) {
      return false;
   }
   g_timezone = mb_config_get(config, "TIMEZONE");
   if (!mb_notify_any_enabled(&g_notify)) {
      job->report = NULL;
      job->ping = NULL;
      return true;
   }
   mb_notify_config_summary(&g_notify, summary, sizeof summary);
   mb_log(MB_LOG_INFO, "notifications: %s", summary);
   job->report = on_report;
   job->ping = on_ping;
   return true;
}
