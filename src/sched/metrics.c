#include "sched/metrics.h"
#include "common/file.h"
#include "common/redact.h"

static void metric(bson_string_t *b, const char *name, const char *type, const char *help, double v)
{
   bson_string_append_printf(b, "# HELP %s %s\n# TYPE %s %s\n%s %.17g\n", name, help, name, type,
                             name, v);
}

char *mb_metrics_render(const mb_state_t *st, const mb_stats_t *stats, const mb_run_t *last)
{
   bson_string_t *b = bson_string_new(NULL); /* grows as needed; cannot fail */

   metric(b, "mongobak_last_run_timestamp_seconds", "gauge", "Start of the last run.",
          (double) st->last_run);
   metric(b, "mongobak_last_success_timestamp_seconds", "gauge",
          "Start of the last successful run.", (double) st->last_success);
   metric(b, "mongobak_last_run_success", "gauge", "1 if the last run succeeded, else 0.",
          last && last->ok ? 1 : 0);
   metric(b, "mongobak_last_run_duration_seconds", "gauge", "Duration of the last run.",
          st->last_seconds);
   metric(b, "mongobak_last_backup_bytes", "gauge", "Size of the last run's archive.",
          last && last->ok ? (double) last->archive_bytes : 0);
   metric(b, "mongobak_last_backup_documents", "gauge", "Documents in the last run's archive.",
          last && last->ok ? (double) last->docs : 0);
   metric(b, "mongobak_runs_total", "counter", "Backup runs.", (double) st->runs);
   metric(b, "mongobak_successes_total", "counter", "Successful backup runs.",
          (double) st->successes);
   metric(b, "mongobak_failures_total", "counter", "Failed backup runs.", (double) st->failures);
   metric(b, "mongobak_backups", "gauge", "Complete backups in BACKUP_DIR.",
          (double) stats->backups);
   metric(b, "mongobak_backups_bytes", "gauge", "Bytes used by the complete backups.",
          (double) stats->bytes_used);
   return bson_string_free(b, false);
}

bool mb_metrics_write(const char *path, const mb_state_t *st, const mb_stats_t *stats,
                      const mb_run_t *last, mb_error_t *err)
{
   char *raw = mb_metrics_render(st, stats, last), *text = mb_redact_dup(raw);
   bool ok = mb_file_write_atomic(path, text, strlen(text), err);

   bson_free(raw);
   bson_free(text);
   return ok;
}
