/* The scheduler with an injected clock: a month of daily runs in Europe/Berlin (across the DST
 * change) with retention, hourly status lines, statistics; retention rules on hand-made
 * catalogs; the catalog's names and completeness rules. Real files in a temporary directory. */
#include "archive/writer.h"
#include "common/file.h"
#include "common/log.h"
#include "common/tz.h"
#include "sched/daemon.h"
#include "service/backup.h"
#include "testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmocka.h>

static time_t g_now;
static int g_status_lines;
static char g_dir[256];

static time_t fake_now(void *user_data)
{
   (void) user_data;
   return g_now;
}

static time_t fake_now_job(void)
{
   return g_now;
}

static void fake_sleep(void *user_data, time_t t, const atomic_int *stop)
{
   (void) user_data;
   (void) stop;
   if (t > g_now) {
      g_now = t;
   }
}

/* The backup service of the tests: uncompressed archives in g_dir made by dump, at most 7 kept,
 * clock now. */
static mb_backup_service_t test_job(mb_backup_dump_fn dump, time_t (*now)(void))
{
   return (mb_backup_service_t){.dir = g_dir,
                                .extension = "",
                                .compression = "none",
                                .dump = dump,
                                .now = now,
                                .retention = {.max_backups = 7}};
}

/* A real, tiny archive: one namespace with one document. */
static bool write_tiny_archive(const char *path, const char *tool_version, mb_error_t *err)
{
   mb_archive_header_t h = {1, "7.0.0", tool_version};
   mb_archive_writer_t *w = NULL;
   mb_sink_t *s = NULL;
   bson_t *doc = BCON_NEW("_id", BCON_INT32(1));
   int id;
   bool ok;

   ok = mb_file_sink_open(path, &s, err) && mb_archive_writer_new(s, &h, &w, err) &&
        mb_archive_writer_add_namespace(w, "db", "c", "", "collection", &id, err) &&
        mb_archive_writer_begin(w, err) &&
        mb_archive_writer_write(w, id, bson_get_data(doc), doc->len, err) &&
        mb_archive_writer_end_namespace(w, id, err) && mb_archive_writer_finish(w, err) &&
        mb_sink_close(s, err);
   mb_archive_writer_destroy(w);
   mb_sink_destroy(s);
   bson_destroy(doc);
   return ok;
}

static bool tiny_dump(void *user_data, const char *path, const atomic_int *cancel, mb_run_t *run,
                      mb_error_t *err)
{
   bool ok = write_tiny_archive(path, "test", err);

   (void) user_data;
   (void) cancel;
   run->docs = 1;
   g_now += 60; /* a dump takes a minute of fake time */
   return ok;
}

static void on_status(void *user_data, const char *line)
{
   (void) user_data;
   (void) line;
   g_status_lines++;
}

static int setup_dir(void **state)
{
   (void) state;
   assert_true(tmpdir_make(g_dir, sizeof g_dir, "sched"));
   return 0;
}

static int remove_dir(void **state)
{
   (void) state;
   return tmpdir_remove(g_dir);
}

static void test_month_of_daily_runs(void **state)
{
   mb_cron_t *cron = NULL;
   mb_error_t err;
   mb_clock_t clk = {fake_now, fake_sleep, NULL};
   mb_backup_service_t job = test_job(tiny_dump, fake_now_job);
   mb_daemon_t d = {.dir = g_dir,
                    .run = mb_backup_run_once,
                    .run_user_data = &job,
                    .clock = &clk,
                    .status_interval = 3600,
                    .max_runs = 31,
                    .on_status = on_status};
   mb_catalog_t cat;
   mb_state_t st;
   struct tm tm;
   char when[64];

   (void) state;
   job.retention.keep_weekly = 4;
   mb_log_configure(MB_LOG_WARN, false);
   setenv("TZ", "Europe/Berlin", 1);
   tzset();
   assert_true(mb_cron_parse("0 3 * * *", &cron, &err));
   d.cron = cron;
   g_now = 1772323200; /* 2026-03-01 00:00:00 UTC */
   g_status_lines = 0;
   assert_int_equal(mb_daemon_run(&d, &err), 31);
   /* 31 runs at 03:00 Berlin time, from March 1 to 31, across the DST change of March 29 */
   localtime_r(&g_now, &tm);
   strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
   assert_string_equal(when, "2026-03-31 03:01");
   assert_true(g_status_lines >= 29 * 24 && g_status_lines <= 31 * 24);
   assert_true(mb_catalog_scan(g_dir, &cat, &err));
   /* the 7 newest (25th-31st) + the newest of each of the 4 newest ISO weeks (22nd, 15th) */
   assert_int_equal(cat.n, 9);
   for (int i = 0; i < cat.n; i++) {
      assert_true(cat.items[i].complete);
   }
   gmtime_r(&cat.items[0].time, &tm);
   strftime(when, sizeof when, "%Y-%m-%d-%H-%M", &tm);
   assert_string_equal(when, "2026-03-31-01-00"); /* 03:00 CEST is 01:00 UTC */
   gmtime_r(&cat.items[cat.n - 1].time, &tm);
   strftime(when, sizeof when, "%Y-%m-%d-%H-%M", &tm);
   /* weeks 14, 13 (both within the 7), 12 (Sunday 22nd) and 11 (Sunday 15th), 03:00 CET */
   assert_string_equal(when, "2026-03-15-02-00");
   assert_true(mb_state_load(g_dir, &st, &err));
   assert_int_equal(st.runs, 31);
   assert_int_equal(st.successes, 31);
   assert_int_equal(st.failures, 0);
   assert_string_equal(st.last_status, "ok");
   mb_state_clear(&st);
   mb_catalog_clear(&cat);
   mb_cron_destroy(cron);
}

static mb_catalog_t make_catalog(const time_t *times, int n)
{
   mb_catalog_t c = {calloc((size_t) n, sizeof(mb_backup_t)), n};
   for (int i = 0; i < n; i++) {
      c.items[i].time = times[i];
      c.items[i].complete = true;
   }
   return c;
}

static void test_retention_keeps_newest(void **state)
{
   time_t t[5] = {5000000, 4000000, 3000000, 2000000, 1000000};
   mb_catalog_t c = make_catalog(t, 5);
   mb_retention_t r = {.max_backups = 2};
   bool keep[5];

   (void) state;
   setenv("TZ", "UTC", 1);
   tzset();
   assert_int_equal(mb_retention_plan(&r, &c, keep), 3);
   assert_true(keep[0] && keep[1] && !keep[2] && !keep[3] && !keep[4]);
   /* incomplete backups are neither counted nor deleted */
   c.items[0].complete = false;
   assert_int_equal(mb_retention_plan(&r, &c, keep), 2);
   assert_true(keep[0] && keep[1] && keep[2] && !keep[3] && !keep[4]);
   /* MAX_BACKUPS below 1 still keeps the newest good one */
   r.max_backups = 0;
   assert_int_equal(mb_retention_plan(&r, &c, keep), 3);
   assert_true(keep[1] && !keep[2]);
   free(c.items);
}

static void test_retention_gfs(void **state)
{
   /* one backup a day at noon for 70 days, newest first */
   time_t t[70];
   mb_catalog_t c;
   mb_retention_t r = {.max_backups = 3, .keep_daily = 5, .keep_monthly = 3};
   bool keep[70];
   int kept = 0;

   (void) state;
   setenv("TZ", "UTC", 1);
   tzset();
   for (int i = 0; i < 70; i++) {
      t[i] = 1772366400 + (time_t) (69 - i) * 86400; /* from 2026-03-01 12:00 UTC */
   }
   c = make_catalog(t, 70);
   assert_int_equal(mb_retention_plan(&r, &c, keep), 70 - 7);
   for (int i = 0; i < 70; i++) {
      kept += keep[i];
   }
   /* newest 5 days (covers the 3 newest), + newest of May, April, March (May's is item 0) */
   assert_int_equal(kept, 7);
   assert_true(keep[0] && keep[4] && !keep[5]);
   free(c.items);
}

/* A run killed outright leaves its mark; the next run counts it as failed, exactly once. */
static void test_killed_run_counted(void **state)
{
   mb_backup_service_t job = test_job(tiny_dump, fake_now_job);
   mb_state_t st;
   mb_run_t run;
   mb_error_t err;
   time_t killed;

   (void) state;
   g_now = 1790000000;
   assert_true(mb_state_begin(g_dir, g_now, &killed, &err));
   assert_int_equal(killed, 0);
   /* ... and the process dies here: nothing else is written */
   assert_true(mb_state_load(g_dir, &st, &err));
   assert_int_equal(st.runs, 0);
   assert_int_equal(st.running, 1790000000);
   mb_state_clear(&st);
   g_now += 3600;
   assert_true(mb_backup_run(&job, &run));
   mb_run_clear(&run);
   assert_true(mb_state_load(g_dir, &st, &err));
   assert_int_equal(st.runs, 2);
   assert_int_equal(st.failures, 1);
   assert_int_equal(st.successes, 1);
   assert_int_equal(st.last_failure, 1790000000);
   assert_int_equal(st.running, 0);
   assert_string_equal(st.last_status, "ok");
   mb_state_clear(&st);
   g_now += 3600;
   assert_true(mb_backup_run(&job, &run));
   mb_run_clear(&run);
   assert_true(mb_state_load(g_dir, &st, &err));
   assert_int_equal(st.runs, 3);
   assert_int_equal(st.failures, 1);
   mb_state_clear(&st);
}

static void test_catalog_names(void **state)
{
   char *name = mb_catalog_name(1795668663, ".zst");
   mb_catalog_t cat;
   mb_error_t err;
   char path[400];
   FILE *f;

   (void) state;
   assert_string_equal(name, "backup-2026-11-26-04-51-03.archive.zst");
   /* an archive without a manifest is listed as incomplete; foreign names are ignored */
   snprintf(path, sizeof path, "%s/%s", g_dir, name);
   f = fopen(path, "w");
   assert_non_null(f);
   fclose(f);
   snprintf(path, sizeof path, "%s/notes.txt", g_dir);
   f = fopen(path, "w");
   assert_non_null(f);
   fclose(f);
   assert_true(mb_catalog_scan(g_dir, &cat, &err));
   assert_int_equal(cat.n, 1);
   assert_false(cat.items[0].complete);
   assert_string_equal(
       cat.items[0].problem,
       "no manifest (a run killed before it, or a foreign file): check it with verify");
   mb_catalog_clear(&cat);
   bson_free(name);
}

static void test_retention_future_dated(void **state)
{
   /* newest first: one named in 2099 (a clock that was ahead, a file copied in), then the backup
    * the run just wrote (now), then two older ones */
   time_t now = 1796284800, t[4] = {4070908800, 1796284800, 1796198400, 1796112000};
   mb_catalog_t c = make_catalog(t, 4);
   mb_retention_t r = {.max_backups = 1};
   bool keep[4];
   int future = -1;

   (void) state;
   setenv("TZ", "UTC", 1);
   tzset();
   c.items[1].name = "backup-2026-12-03-00-00-00.archive.zst";
   /* judged without a clock (as before): the future one takes the only slot */
   assert_int_equal(mb_retention_plan(&r, &c, keep), 3);
   assert_true(keep[0] && !keep[1]);
   /* at now: kept outside MAX_BACKUPS, counted; the present one stays */
   assert_int_equal(mb_retention_plan_at(&r, &c, now, NULL, keep, &future), 2);
   assert_int_equal(future, 1);
   assert_true(keep[0] && keep[1] && !keep[2] && !keep[3]);
   /* the run's own archive is kept even where a rule would drop it (a clock set back) */
   c.items[2].name = "backup-y.archive";
   c.items[3].name = "backup-z.archive";
   assert_int_equal(mb_retention_plan_at(&r, &c, now, "backup-z.archive", keep, NULL), 1);
   assert_true(keep[0] && keep[1] && !keep[2] && keep[3]);
   free(c.items);
}

static void touch(const char *name)
{
   char path[400];
   FILE *f;

   snprintf(path, sizeof path, "%s/%s", g_dir, name);
   f = fopen(path, "w");
   assert_non_null(f);
   fclose(f);
}

static void test_catalog_numbered_names(void **state)
{
   mb_catalog_t cat;
   mb_error_t err;

   (void) state;
   touch("backup-2026-11-26-04-51-03.archive.zst");
   touch("backup-2026-11-26-04-51-03-2.archive.zst");
   touch("backup-2026-11-26-04-51-03-10.archive.zst");
   touch("backup-2026-11-26-04-51-03-1.archive.zst");
   touch("backup-2026-11-26-04-51-02.archive.zst");
   /* not ours: -0, over 999, no digits, junk after */
   touch("backup-2026-11-26-04-51-03-0.archive.zst");
   touch("backup-2026-11-26-04-51-03-1000.archive.zst");
   touch("backup-2026-11-26-04-51-03-.archive.zst");
   touch("backup-2026-11-26-04-51-03-1.archive.zst.manifest.json.Ab12Cd.partial");
   assert_true(mb_catalog_scan(g_dir, &cat, &err));
   assert_int_equal(cat.n, 5);
   assert_string_equal(cat.items[0].name, "backup-2026-11-26-04-51-03-10.archive.zst");
   assert_int_equal(cat.items[0].seq, 10);
   assert_string_equal(cat.items[1].name, "backup-2026-11-26-04-51-03-2.archive.zst");
   assert_string_equal(cat.items[2].name, "backup-2026-11-26-04-51-03-1.archive.zst");
   assert_string_equal(cat.items[3].name, "backup-2026-11-26-04-51-03.archive.zst");
   assert_int_equal(cat.items[3].seq, 0);
   assert_string_equal(cat.items[4].name, "backup-2026-11-26-04-51-02.archive.zst");
   assert_int_equal(cat.items[0].time, cat.items[3].time);
   mb_catalog_clear(&cat);
   /* the temporary file of a crashed run is a leftover; the numbered archives are not */
   assert_int_equal(mb_catalog_remove_partials(g_dir), 1);
}

/* Encrypted backups (archive/crypt.h) are listed with their ".enc" names; ".enc" alone or twice,
 * or before the compression's suffix, is not ours. */
static void test_catalog_encrypted_names(void **state)
{
   static const char *ours[] = {"backup-2026-12-03-00-00-03.archive.zst.enc",
                                "backup-2026-12-03-00-00-02-2.archive.gz.enc",
                                "backup-2026-12-03-00-00-01.archive.enc"};
   static const char *not_ours[] = {"backup-2026-12-03-00-00-04.archive.enc.zst",
                                    "backup-2026-12-03-00-00-05.archive.zst.enc.enc",
                                    "backup-2026-12-03-00-00-06.archive.zst.en"};
   char dir[64], path[200];
   mb_catalog_t cat;
   mb_error_t err;

   (void) state;
   assert_true(tmpdir_make(dir, sizeof dir, "catalog-enc"));
   for (size_t i = 0; i < 3; i++) {
      snprintf(path, sizeof path, "%s/%s", dir, ours[i]);
      file_put_text(path, "");
      snprintf(path, sizeof path, "%s/%s", dir, not_ours[i]);
      file_put_text(path, "");
   }
   assert_true(mb_catalog_scan(dir, &cat, &err));
   assert_int_equal(cat.n, 3);
   for (int i = 0; i < 3; i++) {
      assert_string_equal(cat.items[i].name, ours[i]);
      assert_false(cat.items[i].complete); /* no manifest */
   }
   assert_int_equal(cat.items[1].seq, 2);
   mb_catalog_clear(&cat);
   assert_int_equal(tmpdir_remove(dir), 0);
}

/* A run cancelled because mongobak stops is neither a run nor a failure: only the last status. */
static void test_cancelled_run_not_counted(void **state)
{
   mb_state_t st;
   mb_run_t run;

   (void) state;
   memset(&st, 0, sizeof st);
   memset(&run, 0, sizeof run);
   run.start = 1790000000;
   run.ok = true;
   mb_state_record(&st, &run); /* a run that succeeded */
   run.start += 3600;
   mb_run_fail(&run, "dump", MB_EXIT_INTERRUPTED, "cancelled");
   run.cancelled = true;
   st.running = run.start;
   mb_state_record(&st, &run);
   assert_int_equal(st.runs, 1);
   assert_int_equal(st.failures, 0);
   assert_int_equal(st.running, 0);
   assert_int_equal(st.last_run, 1790000000);
   assert_string_equal(st.last_status, "ok");
   run.cancelled = false;
   mb_state_record(&st, &run);
   assert_int_equal(st.runs, 2);
   assert_int_equal(st.failures, 1);
   assert_string_equal(st.last_status, "failed");
   mb_run_clear(&run);
   mb_state_clear(&st);
}

/* A run that outlasts the next slots makes them be skipped, and says so. */
static void test_skipped_slots_logged(void **state)
{
   mb_cron_t *cron = NULL;
   mb_error_t err;
   mb_clock_t clk = {fake_now, fake_sleep, NULL};
   mb_backup_service_t job = test_job(tiny_dump, fake_now_job);
   mb_daemon_t d = {.dir = g_dir,
                    .run = mb_backup_run_once,
                    .run_user_data = &job,
                    .clock = &clk,
                    .max_runs = 2};
   char path[400];
   char *text;
   size_t len;
   int saved, fd;

   (void) state;
   mb_log_configure(MB_LOG_WARN, false);
   setenv("TZ", "UTC", 1);
   tzset();
   assert_true(mb_cron_parse("*/30 * * * * *", &cron, &err)); /* a run takes 60 s */
   d.cron = cron;
   g_now = 1772323199;
   snprintf(path, sizeof path, "%s/stderr.txt", g_dir);
   fflush(stderr);
   saved = dup(2);
   fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
   assert_true(saved >= 0 && fd >= 0);
   dup2(fd, 2);
   close(fd);
   assert_int_equal(mb_daemon_run(&d, &err), 2);
   dup2(saved, 2);
   close(saved);
   text = file_get(path, &len);
   /* runs at 00:00:00 and 00:01:30; 00:00:30 and 00:01:00 skipped, then 00:02:00 */
   assert_non_null(strstr(text, "skipped 2 scheduled runs (the first at 2026-03-01 00:00:30 UTC): "
                                "the previous run was still going"));
   free(text);
   mb_cron_destroy(cron);
}

static int g_failures_left, g_dumps;

/* tiny_dump after g_failures_left failed attempts. */
static bool flaky_dump(void *user_data, const char *path, const atomic_int *cancel, mb_run_t *run,
                       mb_error_t *err)
{
   g_dumps++;
   if (g_failures_left > 0) {
      g_failures_left--;
      mb_error_set(err, MB_EXIT_SERVER, "the server went away");
      return false;
   }
   return tiny_dump(user_data, path, cancel, run, err);
}

/* BACKUP_RETRIES: a failed attempt is made again; the run counts once, by its last attempt. */
static void test_retries(void **state)
{
   mb_backup_service_t job = test_job(flaky_dump, fake_now_job);
   mb_catalog_t cat;
   mb_state_t st;
   mb_error_t err;
   mb_run_t run;

   (void) state;
   job.retries = 2;
   mb_log_configure(MB_LOG_ERROR, false);
   g_now = 1772323200;
   g_failures_left = 2;
   g_dumps = 0;
   assert_true(mb_backup_run(&job, &run));
   assert_int_equal(g_dumps, 3);
   assert_null(run.error);
   mb_run_clear(&run);
   g_now += 3600;
   g_failures_left = 3;
   g_dumps = 0;
   assert_false(mb_backup_run(&job, &run));
   assert_int_equal(g_dumps, 3);
   assert_string_equal(run.error, "the server went away");
   mb_run_clear(&run);
   assert_true(mb_state_load(g_dir, &st, &err));
   assert_int_equal(st.runs, 2);
   assert_int_equal(st.successes, 1);
   assert_int_equal(st.failures, 1);
   mb_state_clear(&st);
   assert_true(mb_catalog_scan(g_dir, &cat, &err));
   assert_int_equal(cat.n, 1);
   mb_catalog_clear(&cat);
}

static atomic_int g_running_lines;

static void on_status_running(void *user_data, const char *line)
{
   (void) user_data;
   if (strstr(line, "; a backup is running")) {
      atomic_fetch_add(&g_running_lines, 1);
   }
}

/* A real dump of 2.5 s. */
static bool slow_dump(void *user_data, const char *path, const atomic_int *cancel, mb_run_t *run,
                      mb_error_t *err)
{
   struct timespec t = {2, 500 * 1000 * 1000};

   nanosleep(&t, NULL);
   return tiny_dump(user_data, path, cancel, run, err);
}

static time_t real_now_job(void)
{
   return time(NULL);
}

/* The status line goes on while a backup runs (the real clock). */
static void test_status_during_run(void **state)
{
   mb_cron_t *cron = NULL;
   mb_error_t err;
   mb_backup_service_t job = test_job(slow_dump, real_now_job);
   mb_daemon_t d = {.dir = g_dir,
                    .run = mb_backup_run_once,
                    .run_user_data = &job,
                    .status_interval = 1,
                    .max_runs = 1,
                    .on_status = on_status_running};

   (void) state;
   mb_log_configure(MB_LOG_ERROR, false);
   assert_true(mb_cron_parse("* * * * * *", &cron, &err));
   d.cron = cron;
   atomic_store(&g_running_lines, 0);
   assert_int_equal(mb_daemon_run(&d, &err), 1);
   assert_true(atomic_load(&g_running_lines) >= 1);
   mb_cron_destroy(cron);
}

static void put(const char *name, const void *data, size_t len)
{
   char path[400];

   snprintf(path, sizeof path, "%s/%s", g_dir, name);
   file_put(path, data, len);
}

/* The Node service's backups: mongodump archives without manifest, named in its TIMEZONE. */
static void test_catalog_legacy(void **state)
{
   static const uint8_t magic[] = {0x6d, 0xe2, 0x99, 0x81, 0, 0, 0, 0};
   static const uint8_t gz[] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0};
   mb_retention_t r = {.max_backups = 2};
   mb_catalog_t cat;
   mb_error_t err;
   bool *keep = NULL;
   char path[400];
   int n;

   (void) state;
   assert_true(mb_tz_set_default("Europe/Paris"));
   put("backup-2026-07-01-12-00-00.archive", magic, sizeof magic);     /* 10:00 UTC */
   put("backup-2026-07-02-12-00-00.archive.gz", gz, sizeof gz);        /* 10:00 UTC */
   put("backup-2026-07-03-12-00-00.archive", "not mongodump", 13);     /* not an archive */
   put("backup-2026-07-04-12-00-00.archive.zst", magic, sizeof magic); /* never the service's */
   put("backup-2026-07-05-12-00-00-1.archive", magic, sizeof magic);   /* numbered: ours */
   /* ours, its run killed between the archive and its manifest (S3 commits the archive first) */
   snprintf(path, sizeof path, "%s/backup-2026-07-06-12-00-00.archive", g_dir);
   assert_true(write_tiny_archive(path, "mongobak 1.0.0", &err));
   assert_true(mb_catalog_scan(g_dir, &cat, &err));
   assert_int_equal(cat.n, 6);
   assert_string_equal(cat.items[5].name, "backup-2026-07-01-12-00-00.archive");
   assert_true(cat.items[5].legacy && cat.items[5].complete);
   assert_int_equal(cat.items[5].time, 1782900000); /* 2026-07-01T10:00:00Z */
   assert_int_equal(cat.items[5].size, sizeof magic);
   assert_string_equal(cat.items[5].compression, "none");
   assert_string_equal(cat.items[4].name, "backup-2026-07-02-12-00-00.archive.gz");
   assert_true(cat.items[4].legacy && cat.items[4].complete);
   assert_int_equal(cat.items[4].time, 1782900000 + 86400);
   assert_string_equal(cat.items[4].compression, "gzip");
   for (int i = 0; i < 4; i++) {
      assert_false(cat.items[i].legacy || cat.items[i].complete);
   }
   assert_string_equal(cat.items[0].name, "backup-2026-07-06-12-00-00.archive");
   assert_non_null(strstr(cat.items[0].problem, "no manifest"));
   mb_catalog_clear(&cat);
   /* counted by MAX_BACKUPS, the oldest pruned; what cannot be judged stays */
   n = mb_backup_prune(g_dir, &r, 0, NULL, false, &cat, &keep, &err);
   assert_int_equal(n, 0); /* two complete ones, MAX_BACKUPS 2 */
   free(keep);
   mb_catalog_clear(&cat);
   r.max_backups = 1;
   n = mb_backup_prune(g_dir, &r, 0, NULL, false, &cat, &keep, &err);
   assert_int_equal(n, 1);
   free(keep);
   mb_catalog_clear(&cat);
   assert_true(mb_catalog_scan(g_dir, &cat, &err));
   assert_int_equal(cat.n, 5); /* the archive without manifest is never retention's */
   assert_string_equal(cat.items[0].name, "backup-2026-07-06-12-00-00.archive");
   assert_string_equal(cat.items[4].name, "backup-2026-07-02-12-00-00.archive.gz");
   mb_catalog_clear(&cat);
   assert_true(mb_tz_set_default("UTC"));
}

int main(void)
{
   const struct CMUnitTest tests[] = {
       cmocka_unit_test_setup_teardown(test_month_of_daily_runs, setup_dir, remove_dir),
       cmocka_unit_test(test_retention_keeps_newest),
       cmocka_unit_test(test_retention_gfs),
       cmocka_unit_test_setup_teardown(test_catalog_names, setup_dir, remove_dir),
       cmocka_unit_test(test_retention_future_dated),
       cmocka_unit_test_setup_teardown(test_catalog_numbered_names, setup_dir, remove_dir),
       cmocka_unit_test(test_catalog_encrypted_names),
       cmocka_unit_test_setup_teardown(test_catalog_legacy, setup_dir, remove_dir),
       cmocka_unit_test(test_cancelled_run_not_counted),
       cmocka_unit_test_setup_teardown(test_status_during_run, setup_dir, remove_dir),
       cmocka_unit_test_setup_teardown(test_retries, setup_dir, remove_dir),
       cmocka_unit_test_setup_teardown(test_skipped_slots_logged, setup_dir, remove_dir),
       cmocka_unit_test_setup_teardown(test_killed_run_counted, setup_dir, remove_dir),
   };
   return cmocka_run_group_tests(tests, NULL, NULL);
}
