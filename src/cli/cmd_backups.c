/* The scheduled-backup commands that look at BACKUP_DIR: list, prune, status, and schedule and
 * config (the service layer gathers the data: src/service/inventory.h; this file prints). */
#include "cli/commands.h"
#include "cli/config.h"
#include "common/text.h"
#include "sched/daemon.h"
#include "sched/slices.h"
#include "service/backup.h"
#include "service/inventory.h"

#include <stdlib.h>
#include <string.h>

/* Each backup's status: its problem, "delete" (prune), "ok" when verified now, else
 * "unchecked" (only the size was compared with the manifest); the Node service's backups (no
 * manifest) say "legacy/unchecked" and "legacy/ok". */
static const char *backup_status(const mb_backup_t *b, const bool *keep, char *const *verified)
{
   if (!b->complete) {
      return b->problem;
   }
   if (keep && !keep[0]) {
      return "delete";
   }
   if (!verified) {
      return b->legacy ? "legacy/unchecked" : "unchecked";
   }
   if (*verified) {
      return *verified;
   }
   return b->legacy ? "legacy/ok" : "ok";
}

/* The oplog slices of dir as restorable windows (restore --to-time), one per chain: text lines
 * after the backups' table, or the "windows" array of the JSON output. */
static void print_windows(const mb_catalog_t *cat, const mb_slices_t *sl, bson_t *json)
{
   mb_slice_chain_t *c = NULL;
   mb_oplog_ts_t *ends = NULL, start;
   int nc, ne = mb_slices_backup_ends(cat, &ends);
   bson_t arr, item;
   char t1[24], t2[24], i1[32], i2[32];

   mb_slices_chains(sl->items, sl->n, &c, &nc);
   if (json) {
      BSON_APPEND_ARRAY_BEGIN(json, "windows", &arr);
   } else if (nc > 0) {
      printf("\n%-23s %-45s %7s %12s %s\n", "OPLOG CHAIN", "RESTORABLE WINDOW (UTC)", "SLICES",
             "BYTES", "TIMESTAMPS");
   }
   for (int i = 0; i < nc; i++) {
      bool ok = mb_slices_window(&c[i], ends, ne, &start);
      if (json) {
         mb_text_array_begin_document(&arr, (uint32_t) i, &item);
         BSON_APPEND_UTF8(&item, "chain", c[i].id);
         BSON_APPEND_BOOL(&item, "restorable", ok);
         if (ok) {
            BSON_APPEND_UTF8(&item, "start", mb_oplog_ts_format(start, t1, sizeof t1));
            BSON_APPEND_UTF8(&item, "start_time", mb_oplog_ts_iso(start, i1, sizeof i1));
         } else {
            BSON_APPEND_NULL(&item, "start");
            BSON_APPEND_NULL(&item, "start_time");
         }
         BSON_APPEND_UTF8(&item, "end", mb_oplog_ts_format(c[i].to, t2, sizeof t2));
         BSON_APPEND_UTF8(&item, "end_time", mb_oplog_ts_iso(c[i].to, i2, sizeof i2));
         BSON_APPEND_UTF8(&item, "chain_from", mb_oplog_ts_format(c[i].from, t1, sizeof t1));
         BSON_APPEND_INT32(&item, "slices", c[i].count);
         BSON_APPEND_INT64(&item, "bytes", (int64_t) c[i].bytes);
         bson_append_document_end(&arr, &item);
         continue;
      }
      char range[96];
      if (ok) {
         snprintf(range, sizeof range, "%s .. %s", mb_oplog_ts_iso(start, i1, sizeof i1),
                  mb_oplog_ts_iso(c[i].to, i2, sizeof i2));
      } else {
         snprintf(range, sizeof range, "none (no backup's oplog end in it)");
      }
      printf("%-23s %-45s %7d %12llu %s .. %s\n", c[i].id, range, c[i].count,
             (unsigned long long) c[i].bytes, ok ? mb_oplog_ts_format(start, t1, sizeof t1) : "-",
             mb_oplog_ts_format(c[i].to, t2, sizeof t2));
   }
   if (json) {
      bson_append_array_end(json, &arr);
   }
   bson_free(c);
   bson_free(ends);
}

static void print_backups(const mb_catalog_t *cat, const bool *keep, char *const *verified,
                          const mb_slices_t *slices, bool json)
{
   bson_t out = BSON_INITIALIZER, arr, item;
   char when[64];

   if (!json) {
      printf("%-42s %-25s %12s %12s %-5s %s\n", "BACKUP", "TIME", "BYTES", "DOCUMENTS", "COMP",
             "STATUS");
   }
   BSON_APPEND_ARRAY_BEGIN(&out, "backups", &arr);
   for (int i = 0; i < cat->n; i++) {
      const mb_backup_t *b = &cat->items[i];
      const char *status = backup_status(b, keep ? &keep[i] : NULL, verified ? &verified[i] : NULL);
      mb_daemon_format_time(b->time, when, sizeof when);
      if (!json) {
         printf("%-42s %-25s %12llu %12llu %-5s %s\n", b->name, when, (unsigned long long) b->size,
                (unsigned long long) b->docs, b->compression ? b->compression : "?", status);
         continue;
      }
      mb_text_array_begin_document(&arr, (uint32_t) i, &item);
      BSON_APPEND_UTF8(&item, "name", b->name);
      BSON_APPEND_UTF8(&item, "path", b->path);
      BSON_APPEND_TIME_T(&item, "time", b->time);
      BSON_APPEND_INT64(&item, "size", (int64_t) b->size);
      BSON_APPEND_INT64(&item, "documents", (int64_t) b->docs);
      BSON_APPEND_UTF8(&item, "compression", b->compression ? b->compression : "");
      BSON_APPEND_UTF8(&item, "sha256", b->sha256 ? b->sha256 : "");
      BSON_APPEND_BOOL(&item, "complete", b->complete);
      BSON_APPEND_BOOL(&item, "legacy", b->legacy);
      BSON_APPEND_BOOL(&item, "verified", b->complete && verified && !verified[i]);
      BSON_APPEND_UTF8(&item, "status", status);
      bson_append_document_end(&arr, &item);
   }
   bson_append_array_end(&out, &arr);
   if (slices) {
      print_windows(cat, slices, json ? &out : NULL);
   }
   if (json) {
      mb_cli_print_json(stdout, &out);
   }
   bson_destroy(&out);
}

int mb_cmd_list(const mb_args_t *args)
{
   mb_cli_sched_t c;
   mb_catalog_t cat;
   mb_slices_t slices = {0};
   char **verified = NULL;
   mb_error_t err;
   int rc, bad = 0;

   if (!mb_cli_sched_setup("list", args, false, false, &c, &rc)) {
      return rc;
   }
   if (!mb_catalog_scan(c.s.dir, &cat, &err) || !mb_slices_scan(c.s.dir, &slices, &err)) {
      rc = mb_cli_fail("list", &err);
   } else {
      if (mb_args_flag(args, "verify")) {
         bad = mb_inventory_verify(&cat, c.key, &verified);
      }
      print_backups(&cat, NULL, verified, &slices, mb_args_flag(args, "json"));
      rc = MB_EXIT_OK;
      if (bad > 0) {
         mb_error_set(&err, MB_EXIT_CORRUPT,
                      "%d of %d backup%s in '%s' did not verify (see the STATUS column)", bad,
                      cat.n, cat.n == 1 ? "" : "s", c.s.dir);
         rc = mb_cli_fail("list", &err);
      }
      mb_inventory_verified_free(verified, cat.n);
   }
   mb_catalog_clear(&cat);
   mb_slices_clear(&slices);
   mb_cli_sched_clear(&c);
   return rc;
}

int mb_cmd_prune(const mb_args_t *args)
{
   mb_cli_sched_t c;
   mb_catalog_t cat = {0};
   bool *keep = NULL, dry = mb_args_flag(args, "dry-run");
   mb_error_t err;
   int rc, n;

   if (!mb_cli_sched_setup("prune", args, false, !dry, &c, &rc)) {
      return rc;
   }
   n = mb_backup_prune(c.s.dir, &c.s.retention, time(NULL), NULL, dry, &cat, &keep, &err);
   if (n < 0) {
      rc = mb_cli_fail("prune", &err);
   } else {
      print_backups(&cat, keep, NULL, NULL, mb_args_flag(args, "json"));
      if (!mb_args_flag(args, "json")) {
         printf("%s %d backup%s (MAX_BACKUPS %d)\n", dry ? "would delete" : "deleted", n,
                n == 1 ? "" : "s", c.s.retention.max_backups);
      }
      rc = MB_EXIT_OK;
   }
   free(keep);
   mb_catalog_clear(&cat);
   mb_cli_sched_clear(&c);
   return rc;
}

int mb_cmd_schedule(const mb_args_t *args)
{
   mb_cli_sched_t c;
   mb_cron_t *cron = NULL;
   mb_error_t err;
   time_t t = time(NULL);
   long n;
   int rc;

   if (!mb_cli_sched_setup("schedule", args, false, false, &c, &rc)) {
      return rc;
   }
   if (!mb_args_int(args, "next", 5, 1, 1000, &n, &err) || !mb_cron_parse(c.s.cron, &cron, &err)) {
      rc = mb_cli_fail("schedule", &err);
      mb_cli_sched_clear(&c);
      return rc;
   }
   printf("schedule '%s' in %s:\n", c.s.cron, c.s.timezone);
   rc = MB_EXIT_OK;
   for (long i = 0; i < n; i++) {
      char local[64], utc[64];
      struct tm tm;
      if (!mb_cron_next(cron, t, &t, &err)) {
         rc = mb_cli_fail("schedule", &err);
         break;
      }
      mb_daemon_format_time(t, local, sizeof local);
      gmtime_r(&t, &tm);
      strftime(utc, sizeof utc, "%Y-%m-%dT%H:%M:%SZ", &tm);
      printf("  %s  (%s)\n", local, utc);
   }
   mb_cron_destroy(cron);
   mb_cli_sched_clear(&c);
   return rc;
}

int mb_cmd_config(const mb_args_t *args)
{
   mb_cli_sched_t c;
   mb_error_t err;
   int rc = MB_EXIT_OK;

   memset(&c, 0, sizeof c);
   if (!mb_config_load(args, &c.config, &err)) {
      return mb_cli_fail("config", &err);
   }
   mb_config_print(c.config, stdout, mb_args_flag(args, "json"));
   if (!mb_cli_sched_validate(c.config, true, &c.s, &err)) {
      rc = mb_cli_fail("config", &err);
   }
   mb_cli_sched_clear(&c);
   return rc;
}

static void status_json(const mb_state_t *st, const mb_stats_t *stats, time_t next, bool gone,
                        const mb_oplog_ts_t *point)
{
   bson_t out = BSON_INITIALIZER;
   char t[24], iso[32];

   BSON_APPEND_UTF8(&out, "last_status", st->last_status ? st->last_status : "none");
   BSON_APPEND_UTF8(&out, "last_error", st->last_error ? st->last_error : "");
   BSON_APPEND_UTF8(&out, "last_archive", st->last_archive ? st->last_archive : "");
   BSON_APPEND_BOOL(&out, "last_archive_deleted", gone);
   BSON_APPEND_INT64(&out, "last_run", (int64_t) st->last_run);
   BSON_APPEND_INT64(&out, "last_success", (int64_t) st->last_success);
   BSON_APPEND_INT64(&out, "next_run", (int64_t) next);
   BSON_APPEND_INT32(&out, "backups", stats->backups);
   BSON_APPEND_INT64(&out, "bytes_used", (int64_t) stats->bytes_used);
   BSON_APPEND_UTF8(&out, "oldest", stats->oldest_name ? stats->oldest_name : "");
   BSON_APPEND_UTF8(&out, "newest", stats->newest_name ? stats->newest_name : "");
   BSON_APPEND_INT64(&out, "runs", (int64_t) stats->runs);
   BSON_APPEND_INT64(&out, "successes", (int64_t) stats->successes);
   BSON_APPEND_INT64(&out, "failures", (int64_t) stats->failures);
   BSON_APPEND_DOUBLE(&out, "success_rate", stats->success_rate);
   BSON_APPEND_DOUBLE(&out, "last_seconds", mb_ns_stats_round_seconds(stats->last_seconds));
   BSON_APPEND_DOUBLE(&out, "average_seconds", mb_ns_stats_round_seconds(stats->average_seconds));
   if (point) {
      BSON_APPEND_UTF8(&out, "restorable_until", mb_oplog_ts_format(*point, t, sizeof t));
      BSON_APPEND_UTF8(&out, "restorable_until_time", mb_oplog_ts_iso(*point, iso, sizeof iso));
   } else {
      BSON_APPEND_NULL(&out, "restorable_until");
      BSON_APPEND_NULL(&out, "restorable_until_time");
   }
   mb_cli_print_json(stdout, &out);
   bson_destroy(&out);
}

static void status_text(const mb_state_t *st, const mb_stats_t *stats, time_t next, bool gone)
{
   char a[64] = "never", b[64] = "never", n[64];

   if (st->last_run) {
      mb_daemon_format_time(st->last_run, a, sizeof a);
   }
   if (st->last_success) {
      mb_daemon_format_time(st->last_success, b, sizeof b);
   }
   mb_daemon_format_time(next, n, sizeof n);
   printf("last run      %s (%s)%s%s\n", a, st->last_status ? st->last_status : "none",
          st->last_error && *st->last_error ? ": " : "", st->last_error ? st->last_error : "");
   printf("last success  %s %s\n", b,
          gone ? "(its archive has been deleted since)"
               : (st->last_archive ? st->last_archive : ""));
   printf("next run      %s\n", n);
   printf("backups       %d using %.1f MB, oldest %s, newest %s\n", stats->backups,
          (double) stats->bytes_used / 1e6, stats->oldest_name ? stats->oldest_name : "-",
          stats->newest_name ? stats->newest_name : "-");
   printf(
       "runs          %llu: %llu ok, %llu failed (%.1f%% success); last %.1f s, average %.1f s\n",
       (unsigned long long) stats->runs, (unsigned long long) stats->successes,
       (unsigned long long) stats->failures, stats->success_rate, stats->last_seconds,
       stats->average_seconds);
}

/* The newest point restore --to-time reaches (the end of a restorable window); false when
 * there is none (no slices, or no backup's oplog end in a chain) or dir cannot be read. */
static bool newest_point(const char *dir, mb_oplog_ts_t *point)
{
   mb_catalog_t cat;
   mb_slices_t sl = {0};
   mb_slice_chain_t *c = NULL;
   mb_oplog_ts_t *ends = NULL, start;
   mb_error_t err;
   int nc = 0, ne = 0;
   bool any = false;

   if (mb_catalog_scan(dir, &cat, &err) && mb_slices_scan(dir, &sl, &err)) {
      ne = mb_slices_backup_ends(&cat, &ends);
      mb_slices_chains(sl.items, sl.n, &c, &nc);
   }
   for (int i = 0; i < nc; i++) {
      if (mb_slices_window(&c[i], ends, ne, &start) &&
          (!any || mb_oplog_ts_cmp(c[i].to, *point) > 0)) {
         *point = c[i].to;
         any = true;
      }
   }
   bson_free(c);
   bson_free(ends);
   mb_slices_clear(&sl);
   mb_catalog_clear(&cat);
   return any;
}

int mb_cmd_status(const mb_args_t *args)
{
   mb_cli_sched_t c;
   mb_inventory_status_t st;
   mb_oplog_ts_t point = {0, 0};
   bool has_point;
   mb_error_t err;
   int rc;

   if (!mb_cli_sched_setup("status", args, false, false, &c, &rc)) {
      return rc;
   }
   if (!mb_inventory_status(c.s.dir, c.s.cron, &st, &err)) {
      mb_cli_sched_clear(&c);
      return mb_cli_fail("status", &err);
   }
   has_point = newest_point(c.s.dir, &point);
   if (mb_args_flag(args, "json")) {
      status_json(&st.state, &st.stats, st.next, st.gone, has_point ? &point : NULL);
   } else {
      status_text(&st.state, &st.stats, st.next, st.gone);
      char t[24], iso[32];
      if (has_point) {
         printf("point in time restorable up to %s (%s) with restore --to-time\n",
                mb_oplog_ts_iso(point, iso, sizeof iso), mb_oplog_ts_format(point, t, sizeof t));
      } else {
         printf("point in time none (no oplog slices after a backup: OPLOG_ARCHIVE)\n");
      }
   }
   mb_inventory_status_clear(&st);
   mb_cli_sched_clear(&c);
   return MB_EXIT_OK;
}
