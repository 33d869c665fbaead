/* The scheduled-backup commands: backup, daemon, list, prune, schedule, config. */
#include "cli/commands.h"
#include "cli/config.h"
#include "common/client.h"
#include "common/file.h"
#include "common/log.h"
#include "common/subproc.h"
#include "common/textfile.h"
#include "dump/dump.h"
#include "sched/daemon.h"
#include "sched/httpd.h"
#include "sched/lock.h"

#include <assert.h>
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Shared by the signal handler, the run's watchdog thread and the HTTP thread: lock-free C11
 * atomics (async-signal-safe, and race-free between threads). g_stop holds the signal. */
static atomic_int g_stop;
static _Atomic(time_t) g_next_run;
static_assert(ATOMIC_INT_LOCK_FREE == 2, "the signal handler needs lock-free atomic_int");

static void on_stop(int sig)
{
   atomic_store(&g_stop, sig);
}

/* SIGTERM, SIGINT and SIGHUP all stop mongobak (a running backup is cancelled cleanly). SIGHUP
 * does not reload: a configuration that changes under a running daemon would be validated only
 * half-way (the lock, the directory, the metrics port); restart to apply a new one. */
static void catch_stop_signals(void)
{
   struct sigaction sa;
   int sigs[] = {SIGTERM, SIGINT, SIGHUP};

   memset(&sa, 0, sizeof sa);
   sa.sa_handler = on_stop;
   sigemptyset(&sa.sa_mask);
   for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) {
      sigaction(sigs[i], &sa, NULL);
   }
}

/* Say which signal stopped us (the handler itself cannot log). */
static void log_stop_signal(const char *cmd)
{
   int sig = atomic_load(&g_stop);
   const char *name = sig == SIGHUP ? "SIGHUP" : sig == SIGINT ? "SIGINT" : "SIGTERM";

   if (sig != 0) {
      mb_log(MB_LOG_INFO, "%s: %s received: stopped%s", cmd, name,
             sig == SIGHUP ? " (SIGHUP stops mongobak like SIGTERM; it does not reload the "
                             "configuration: restart mongobak to apply a new one)"
                           : "");
   }
}

typedef struct {
   mb_config_t *config;
   mb_backup_settings_t s;
   mb_lock_t *lock;
   mb_log_level_t log_level; /* as configured, for the dump's child process */
   bool log_json;
} ctx_t;

static void ctx_clear(ctx_t *c)
{
   mb_lock_release(c->lock);
   mb_config_destroy(c->config);
   memset(c, 0, sizeof *c);
}

/* What backup and daemon refuse before they touch anything, and so what `config` refuses too:
 * every value (the schedule must fire, the zone must be a zone file), and with need_uri
 * MONGODB_URI, the notification settings and METRICS_ADDR. */
static bool validate(const mb_config_t *config, bool need_uri, mb_backup_settings_t *s,
                     mb_error_t *err)
{
   const char *addr = mb_config_get(config, "METRICS_ADDR");

   if (!mb_config_settings(config, need_uri, stderr, s, err)) {
      return false;
   }
   return !need_uri ||
          (mb_cli_notify_check(config, err) && (!addr || mb_httpd_check_addr(addr, err)));
}

/* Load and validate the configuration, set up logging, and for commands that write, create the
 * backup directory (0700) and take its lock. A run that cannot start because of the directory
 * is still reported to the notification channels. */
static bool setup(const char *cmd, const mb_args_t *args, bool need_uri, bool lock, ctx_t *c,
                  int *rc)
{
   mb_error_t err;
   mb_log_level_t lvl = MB_LOG_INFO;
   const char *fmt;

   memset(c, 0, sizeof *c);
   if (!mb_config_load(args, &c->config, &err) || !validate(c->config, need_uri, &c->s, &err)) {
      goto fail;
   }
   mb_log_level_parse(mb_config_get(c->config, "LOG_LEVEL"), &lvl);
   fmt = mb_config_get(c->config, "LOG_FORMAT");
   if (!mb_args_get(args, "log-level") && !mb_args_get(args, "log-format")) {
      mb_log_configure(lvl, fmt && strcmp(fmt, "json") == 0);
   } else {
      lvl = MB_LOG_INFO; /* the flags were checked and applied by the command line */
      mb_log_level_parse(mb_args_get(args, "log-level"), &lvl);
      fmt = mb_args_get(args, "log-format");
   }
   c->log_level = lvl;
   c->log_json = fmt && strcmp(fmt, "json") == 0;
   if (lock && mkdir(c->s.dir, 0700) != 0 && errno != EEXIST) {
      mb_error_errno(&err, errno, "cannot create the backup directory '%s'", c->s.dir);
      goto unusable;
   }
   if (lock && !mb_lock_acquire(c->s.dir, &c->lock, &err)) {
      goto unusable;
   }
   return true;
unusable:
   if (need_uri) {
      mb_cli_notify_failure(c->config, "lock", &err);
   }
fail:
   *rc = mb_cli_fail(cmd, &err);
   ctx_clear(c);
   return false;
}

/* The scheduler's dump runs in a child process (this binary, MB_DUMP_CHILD_COMMAND), so that
 * BACKUP_TIMEOUT and a stop are hard: whatever the dump blocks in (a socket read from a paused
 * server, name resolution, a TLS handshake), the watchdog's cancel kills the child with SIGKILL
 * and the run ends within 100 ms. The settings go to the child on its stdin (no secret in argv
 * or the environment) and its report comes back on its stdout, both as JSON; its log lines go
 * to our stderr. */
static bool job_dump_input(const ctx_t *c, const char *path, bson_t *in)
{
   /* without a time limit a stalled server still ends the run, at the socket timeout */
   long socket_ms = c->s.timeout_ms <= 0 || c->s.timeout_ms > 300000 ? 300000
                    : c->s.timeout_ms < 5000                         ? 5000
                                                                     : c->s.timeout_ms;

   return BSON_APPEND_UTF8(in, "uri", c->s.uri) && BSON_APPEND_UTF8(in, "output", path) &&
          BSON_APPEND_INT32(in, "compress", (int32_t) c->s.compress) &&
          BSON_APPEND_INT32(in, "level", c->s.level) && BSON_APPEND_INT32(in, "jobs", c->s.jobs) &&
          BSON_APPEND_INT32(in, "threads", (int32_t) sysconf(_SC_NPROCESSORS_ONLN)) &&
          BSON_APPEND_INT32(in, "socket_timeout_ms", (int32_t) socket_ms) &&
          BSON_APPEND_INT32(in, "log_level", (int32_t) c->log_level) &&
          BSON_APPEND_BOOL(in, "log_json", c->log_json);
}

static int64_t get_int(const bson_t *doc, const char *key)
{
   bson_iter_t it;
   return bson_iter_init_find(&it, doc, key) && BSON_ITER_HOLDS_NUMBER(&it)
              ? bson_iter_as_int64(&it)
              : 0;
}

static const char *get_str(const bson_t *doc, const char *key)
{
   bson_iter_t it;
   return bson_iter_init_find(&it, doc, key) && BSON_ITER_HOLDS_UTF8(&it)
              ? bson_iter_utf8(&it, NULL)
              : "";
}

/* The child's report -> run; or its error. */
static bool job_dump_output(const mb_buf_t *out, int status, mb_run_t *run, mb_error_t *err)
{
   bson_t doc;
   bson_iter_t it;
   bson_error_t e;
   size_t n = 0;
   bool ok = true;

   if (out->len == 0 ||
       !bson_init_from_json(&doc, (const char *) out->data, (ssize_t) out->len, &e)) {
      if (WIFSIGNALED(status)) {
         mb_error_set(err, MB_EXIT_FAILURE, "the dump process died of signal %d (%s)",
                      WTERMSIG(status), strsignal(WTERMSIG(status)));
      } else {
         mb_error_set(err, MB_EXIT_FAILURE,
                      "the dump process ended with exit code %d and no "
                      "report",
                      WIFEXITED(status) ? WEXITSTATUS(status) : -1);
      }
      return false;
   }
   if (!bson_iter_init_find(&it, &doc, "ok") || !bson_iter_as_bool(&it)) {
      int64_t code = get_int(&doc, "code");
      mb_error_set(err, code > 0 && code < 256 ? (mb_exit_t) code : MB_EXIT_FAILURE, "%s",
                   get_str(&doc, "message"));
      ok = false;
   } else {
      run->docs = (uint64_t) get_int(&doc, "docs");
      run->bson_bytes = (uint64_t) get_int(&doc, "bytes_in");
      run->server_version = bson_strdup(get_str(&doc, "server_version"));
      ok = mb_ns_stats_array_from_bson(&doc, "ns", &run->ns, &n, err);
      run->nns = (int) n;
   }
   bson_destroy(&doc);
   return ok;
}

static bool job_dump(void *user_data, const char *path, const atomic_int *cancel, mb_run_t *run,
                     mb_error_t *err)
{
   const ctx_t *c = user_data;
   char arg0[4096] = "mongobak", arg1[] = MB_DUMP_CHILD_COMMAND;
   char *argv[] = {arg0, arg1, NULL};
   ssize_t n = readlink("/proc/self/exe", arg0, sizeof arg0 - 1); /* for ps: our own path */
   bson_t in = BSON_INITIALIZER;
   char *json = NULL, masked[2048];
   size_t len = 0;
   mb_buf_t out;
   int status = 0;
   bool ok = false;

   if (n > 0) {
      arg0[n] = '\0';
   }
   mb_buf_init(&out, (size_t) 256 << 20);
   mb_log_mask_uri(c->s.uri, masked, sizeof masked);
   run->uri = bson_strdup(masked);
   if (!job_dump_input(c, path, &in) || !(json = bson_as_relaxed_extended_json(&in, &len))) {
      mb_error_set(err, MB_EXIT_FAILURE, "cannot encode the dump's settings");
      goto cleanup;
   }
   if (!mb_subproc_run(argv, json, len, cancel, &out, &status, err)) {
      mb_error_prefix(err, "the dump process");
      goto cleanup;
   }
   if (cancel && atomic_load(cancel)) {
      mb_error_set(err, MB_EXIT_TIMEOUT, "the dump was cancelled");
      goto cleanup;
   }
   ok = job_dump_output(&out, status, run, err);
cleanup:
   bson_free(json);
   bson_destroy(&in);
   mb_buf_destroy(&out);
   return ok;
}

static void child_report(const mb_dump_report_t *r, bson_t *out)
{
   BSON_APPEND_BOOL(out, "ok", true);
   BSON_APPEND_INT64(out, "docs", (int64_t) r->docs);
   BSON_APPEND_INT64(out, "bytes_in", (int64_t) r->bytes_in);
   BSON_APPEND_UTF8(out, "server_version", r->server_version ? r->server_version : "");
   mb_ns_stats_append_array(out, "ns", r->ns, (size_t) r->nns,
                            MB_NS_STATS_TYPE | MB_NS_STATS_CRC | MB_NS_STATS_SECONDS);
}

/* The child's side: settings on stdin, the dump, its report (or error) on stdout. */
int mb_cmd_dump_child(void)
{
   mb_dump_opts_t o;
   mb_dump_report_t *r = NULL;
   mb_error_t err;
   bson_t doc = BSON_INITIALIZER, out = BSON_INITIALIZER;
   bson_error_t e;
   mongoc_uri_t *uri = NULL;
   char *json, *in = NULL;
   size_t in_len = 0;
   bool ok = false;

   memset(&o, 0, sizeof o);
   memset(&err, 0, sizeof err);
   if (!mb_textfile_read("/dev/stdin", (size_t) 1 << 20, &in, &in_len, &err)) {
      goto report;
   }
   bson_destroy(&doc);
   if (!bson_init_from_json(&doc, in, (ssize_t) in_len, &e)) {
      bson_init(&doc);
      mb_error_set(&err, MB_EXIT_FAILURE, "the dump's settings are not JSON: %s", e.message);
      goto report;
   }
   mb_log_configure((mb_log_level_t) get_int(&doc, "log_level"), get_int(&doc, "log_json") != 0);
   o.uri = get_str(&doc, "uri");
   if ((uri = mongoc_uri_new(o.uri)) != NULL) {
      mb_log_add_secret(mongoc_uri_get_password(uri));
   }
   o.output = get_str(&doc, "output");
   o.output_flags = MB_FILE_NO_REPLACE | MB_FILE_OWN_NAME; /* never through a planted file */
   o.compress = (mb_compress_t) get_int(&doc, "compress");
   o.level = (int) get_int(&doc, "level");
   o.jobs = (int) get_int(&doc, "jobs");
   o.compress_threads = (int) get_int(&doc, "threads");
   o.socket_timeout_ms = (int) get_int(&doc, "socket_timeout_ms");
   ok = mb_dump_run(&o, NULL, NULL, &r, &err);
report:
   if (ok) {
      child_report(r, &out);
   } else {
      BSON_APPEND_BOOL(&out, "ok", false);
      BSON_APPEND_INT32(&out, "code", (int32_t) mb_error_exit_code(&err));
      BSON_APPEND_UTF8(&out, "message", err.message);
   }
   json = bson_as_relaxed_extended_json(&out, NULL);
   if (json) {
      fputs(json, stdout);
   }
   fflush(stdout);
   bson_free(json);
   mb_dump_report_destroy(r);
   mongoc_uri_destroy(uri);
   bson_destroy(&out);
   bson_destroy(&doc);
   bson_free(in);
   return ok ? MB_EXIT_OK : (int) mb_error_exit_code(&err);
}

static bool make_job(ctx_t *c, mb_job_t *j, mb_error_t *err)
{
   memset(j, 0, sizeof *j);
   j->dir = c->s.dir;
   j->extension = mb_compress_extension(c->s.compress);
   j->compression = mb_compress_name(c->s.compress);
   j->timeout_ms = c->s.timeout_ms;
   j->retention = c->s.retention;
   j->dump = job_dump;
   j->user_data = c;
   j->stop = &g_stop;
   j->metrics_file = mb_config_get(c->config, "METRICS_FILE");
   return mb_cli_notify_hooks(c->config, j, err);
}

int mb_cmd_backup(const mb_args_t *args)
{
   ctx_t c;
   mb_job_t j;
   mb_run_t run;
   mb_error_t err;
   int rc;

   if (!setup("backup", args, true, true, &c, &rc)) {
      return rc;
   }
   if (!make_job(&c, &j, &err)) {
      rc = mb_cli_fail("backup", &err);
      ctx_clear(&c);
      return rc;
   }
   catch_stop_signals();
   if (mb_job_run(&j, &run)) {
      printf("backup %s: %llu documents, %llu bytes, %.1f s, sha256 %s\n", run.path,
             (unsigned long long) run.docs, (unsigned long long) run.archive_bytes, run.seconds,
             run.sha256);
      rc = MB_EXIT_OK;
   } else {
      fprintf(stderr, "mongobak backup: error: %s failed: %s\n", run.stage, run.error);
      rc = run.exit_code ? run.exit_code : MB_EXIT_FAILURE;
   }
   log_stop_signal("backup");
   mb_run_clear(&run);
   ctx_clear(&c);
   return rc;
}

int mb_cmd_daemon(const mb_args_t *args)
{
   ctx_t c;
   mb_job_t j;
   mb_daemon_t d;
   mb_httpd_t *httpd = NULL;
   mb_cron_t *cron = NULL;
   mb_client_t *probe = NULL;
   mb_error_t err;
   long runs;
   int rc;

   if (!setup("daemon", args, true, true, &c, &rc)) {
      return rc;
   }
   /* a daemon that cannot reach its server says so now, not at the first run */
   if (!mb_client_connect(c.s.uri, "mongobak daemon", 1, &probe, &err) ||
       !mb_cron_parse(c.s.cron, &cron, &err)) {
      mb_cli_notify_failure(c.config, "connect", &err);
      mb_client_destroy(probe);
      rc = mb_cli_fail("daemon", &err);
      ctx_clear(&c);
      return rc;
   }
   mb_log(MB_LOG_INFO, "connected to %s (server %s); backups in %s, schedule '%s' (%s)",
          mb_client_display_uri(probe), mb_client_server_version(probe), c.s.dir, c.s.cron,
          c.s.timezone);
   mb_client_destroy(probe);
   mb_catalog_remove_partials(c.s.dir);
   if (!make_job(&c, &j, &err)) {
      mb_cron_destroy(cron);
      rc = mb_cli_fail("daemon", &err);
      ctx_clear(&c);
      return rc;
   }
   memset(&d, 0, sizeof d);
   d.cron = cron;
   d.job = &j;
   d.status_interval = c.s.status_interval;
   d.stop = &g_stop;
   d.next_run = &g_next_run;
   catch_stop_signals();
   if (mb_config_get(c.config, "METRICS_ADDR") &&
       !mb_httpd_start(mb_config_get(c.config, "METRICS_ADDR"), c.s.dir, &g_next_run, &httpd,
                       &err)) {
      rc = mb_cli_fail("daemon", &err);
   } else {
      runs = mb_daemon_run(&d, &err);
      rc = runs < 0 ? mb_cli_fail("daemon", &err) : MB_EXIT_OK;
      log_stop_signal("daemon");
   }
   mb_httpd_stop(httpd);
   mb_cron_destroy(cron);
   ctx_clear(&c);
   return rc;
}

/* Each backup's status: its problem, "delete" (prune), "ok" when verified now, else
 * "unchecked" (only the size was compared with the manifest). */
static const char *backup_status(const mb_backup_t *b, const bool *keep, char *const *verified)
{
   if (!b->complete) {
      return b->problem;
   }
   if (keep && !keep[0]) {
      return "delete";
   }
   if (!verified) {
      return "unchecked";
   }
   return *verified ? *verified : "ok";
}

static void print_backups(const mb_catalog_t *cat, const bool *keep, char *const *verified,
                          bool json)
{
   bson_t out = BSON_INITIALIZER, arr, item;
   char when[64], key[16];

   if (!json) {
      printf("%-42s %-25s %12s %12s %-5s %s\n", "BACKUP", "TIME", "BYTES", "DOCUMENTS", "COMP",
             "STATUS");
   }
   BSON_APPEND_ARRAY_BEGIN(&out, "backups", &arr);
   for (int i = 0; i < cat->n; i++) {
      const mb_backup_t *b = &cat->items[i];
      const char *status = backup_status(b, keep ? &keep[i] : NULL, verified ? &verified[i] : NULL);
      const char *k;
      mb_daemon_format_time(b->time, when, sizeof when);
      if (!json) {
         printf("%-42s %-25s %12llu %12llu %-5s %s\n", b->name, when, (unsigned long long) b->size,
                (unsigned long long) b->docs, b->compression ? b->compression : "?", status);
         continue;
      }
      bson_uint32_to_string((uint32_t) i, &k, key, sizeof key);
      BSON_APPEND_DOCUMENT_BEGIN(&arr, k, &item);
      BSON_APPEND_UTF8(&item, "name", b->name);
      BSON_APPEND_UTF8(&item, "path", b->path);
      BSON_APPEND_TIME_T(&item, "time", b->time);
      BSON_APPEND_INT64(&item, "size", (int64_t) b->size);
      BSON_APPEND_INT64(&item, "documents", (int64_t) b->docs);
      BSON_APPEND_UTF8(&item, "compression", b->compression ? b->compression : "");
      BSON_APPEND_UTF8(&item, "sha256", b->sha256 ? b->sha256 : "");
      BSON_APPEND_BOOL(&item, "complete", b->complete);
      BSON_APPEND_BOOL(&item, "verified", b->complete && verified && !verified[i]);
      BSON_APPEND_UTF8(&item, "status", status);
      bson_append_document_end(&arr, &item);
   }
   bson_append_array_end(&out, &arr);
   if (json) {
      char *s = bson_as_relaxed_extended_json(&out, NULL);
      printf("%s\n", s);
      bson_free(s);
   }
   bson_destroy(&out);
}

/* list --verify: verify and hash every complete backup; verified[i] is NULL when backup i is
 * sound, else its problem. Returns how many backups are not sound (incomplete ones included). */
static int verify_backups(const mb_catalog_t *cat, char ***verified)
{
   int bad = 0;

   *verified = bson_malloc0((size_t) (cat->n + 1) * sizeof **verified);
   for (int i = 0; i < cat->n; i++) {
      if (!cat->items[i].complete) {
         bad++;
      } else if (!mb_catalog_verify(&cat->items[i], &(*verified)[i])) {
         bad++;
      }
   }
   return bad;
}

int mb_cmd_list(const mb_args_t *args)
{
   ctx_t c;
   mb_catalog_t cat;
   char **verified = NULL;
   mb_error_t err;
   int rc, bad = 0;

   if (!setup("list", args, false, false, &c, &rc)) {
      return rc;
   }
   if (!mb_catalog_scan(c.s.dir, &cat, &err)) {
      rc = mb_cli_fail("list", &err);
   } else {
      if (mb_args_flag(args, "verify")) {
         bad = verify_backups(&cat, &verified);
      }
      print_backups(&cat, NULL, verified, mb_args_flag(args, "json"));
      rc = MB_EXIT_OK;
      if (bad > 0) {
         mb_error_set(&err, MB_EXIT_CORRUPT,
                      "%d of %d backup%s in '%s' did not verify (see the STATUS column)", bad,
                      cat.n, cat.n == 1 ? "" : "s", c.s.dir);
         rc = mb_cli_fail("list", &err);
      }
      for (int i = 0; verified && i < cat.n; i++) {
         bson_free(verified[i]);
      }
      bson_free(verified);
      mb_catalog_clear(&cat);
   }
   ctx_clear(&c);
   return rc;
}

int mb_cmd_prune(const mb_args_t *args)
{
   ctx_t c;
   mb_catalog_t cat = {0};
   bool *keep = NULL, dry = mb_args_flag(args, "dry-run");
   mb_error_t err;
   int rc, n;

   if (!setup("prune", args, false, !dry, &c, &rc)) {
      return rc;
   }
   n = mb_job_prune(c.s.dir, &c.s.retention, time(NULL), NULL, dry, &cat, &keep, &err);
   if (n < 0) {
      rc = mb_cli_fail("prune", &err);
   } else {
      print_backups(&cat, keep, NULL, mb_args_flag(args, "json"));
      if (!mb_args_flag(args, "json")) {
         printf("%s %d backup%s (MAX_BACKUPS %d)\n", dry ? "would delete" : "deleted", n,
                n == 1 ? "" : "s", c.s.retention.max_backups);
      }
      rc = MB_EXIT_OK;
   }
   free(keep);
   mb_catalog_clear(&cat);
   ctx_clear(&c);
   return rc;
}

int mb_cmd_schedule(const mb_args_t *args)
{
   ctx_t c;
   mb_cron_t *cron = NULL;
   mb_error_t err;
   time_t t = time(NULL);
   long n;
   int rc;

   if (!setup("schedule", args, false, false, &c, &rc)) {
      return rc;
   }
   if (!mb_args_int(args, "next", 5, 1, 1000, &n, &err) || !mb_cron_parse(c.s.cron, &cron, &err)) {
      rc = mb_cli_fail("schedule", &err);
      ctx_clear(&c);
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
   ctx_clear(&c);
   return rc;
}

int mb_cmd_config(const mb_args_t *args)
{
   ctx_t c;
   mb_error_t err;
   int rc = MB_EXIT_OK;

   memset(&c, 0, sizeof c);
   if (!mb_config_load(args, &c.config, &err)) {
      return mb_cli_fail("config", &err);
   }
   mb_config_print(c.config, stdout, mb_args_flag(args, "json"));
   if (!validate(c.config, true, &c.s, &err)) {
      rc = mb_cli_fail("config", &err);
   }
   ctx_clear(&c);
   return rc;
}

/* Whether the catalog lists the archive name (status names no file that is gone). */
static bool in_catalog(const mb_catalog_t *cat, const char *name)
{
   for (int i = 0; i < cat->n; i++) {
      if (strcmp(cat->items[i].name, name) == 0) {
         return true;
      }
   }
   return false;
}

static void status_json(const mb_state_t *st, const mb_stats_t *stats, time_t next, bool gone)
{
   bson_t out = BSON_INITIALIZER;
   char *json;

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
   BSON_APPEND_DOUBLE(&out, "last_seconds", stats->last_seconds);
   BSON_APPEND_DOUBLE(&out, "average_seconds", stats->average_seconds);
   json = bson_as_relaxed_extended_json(&out, NULL);
   printf("%s\n", json);
   bson_free(json);
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

int mb_cmd_status(const mb_args_t *args)
{
   ctx_t c;
   mb_state_t st;
   mb_catalog_t cat = {0};
   mb_stats_t stats;
   mb_cron_t *cron = NULL;
   mb_error_t err;
   time_t next = 0;
   bool gone = false;
   int rc;

   if (!setup("status", args, false, false, &c, &rc)) {
      return rc;
   }
   if (!mb_state_load(c.s.dir, &st, &err) || !mb_cron_parse(c.s.cron, &cron, &err) ||
       !mb_cron_next(cron, time(NULL), &next, &err)) {
      mb_cron_destroy(cron);
      ctx_clear(&c);
      return mb_cli_fail("status", &err);
   }
   mb_catalog_scan(c.s.dir, &cat, &err); /* a directory not created yet has no backups */
   mb_state_stats(&st, &cat, &stats);
   if (st.last_archive && *st.last_archive && !in_catalog(&cat, st.last_archive)) {
      bson_free(st.last_archive);
      st.last_archive = NULL;
      gone = true;
   }
   if (mb_args_flag(args, "json")) {
      status_json(&st, &stats, next, gone);
   } else {
      status_text(&st, &stats, next, gone);
   }
   mb_catalog_clear(&cat);
   mb_state_clear(&st);
   mb_cron_destroy(cron);
   ctx_clear(&c);
   return MB_EXIT_OK;
}
