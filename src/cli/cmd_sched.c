/* The scheduled-backup commands that run backups: backup and daemon (the service layer makes
 * each run: src/service/backup.h), and the setup every scheduled-backup command shares. */
#include "cli/commands.h"
#include "cli/config.h"
#include "common/log.h"
#include "sched/daemon.h"
#include "sched/httpd.h"
#include "service/backup.h"
#include "service/oplogarch.h"
#include "storage/s3.h"

#include <assert.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>

/* Shared by the signal handler, the run's watchdog thread and the HTTP thread: lock-free C11
 * atomics (async-signal-safe, and race-free between threads). g_stop holds the signal. */
static atomic_int g_stop;
static _Atomic(time_t) g_next_run;
static atomic_int g_run_now; /* the oplog archive asks for a backup at once (a gap) */
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

void mb_cli_sched_clear(mb_cli_sched_t *c)
{
   mb_crypt_key_destroy(c->key);
   bson_free(c->passphrase);
   mb_lock_release(c->lock);
   mb_config_destroy(c->config);
   memset(c, 0, sizeof *c);
}

bool mb_cli_sched_validate(const mb_config_t *config, bool need_uri, mb_backup_settings_t *s,
                           mb_error_t *err)
{
   const char *addr = mb_config_get(config, "METRICS_ADDR");

   const char *key_file = NULL;
   char *passphrase = NULL;
   mb_crypt_key_t *key = NULL;
   bool ok;

   if (!mb_config_settings(config, need_uri, stderr, s, err)) {
      return false;
   }
   /* a key file that is not one fails here, not at the first backup */
   ok = mb_config_encryption(config, NULL, &key_file, &passphrase, err) &&
        mb_config_crypt_key(key_file, passphrase, &key, err);
   mb_crypt_key_destroy(key);
   bson_free(passphrase);
   if (!ok) {
      return false;
   }
   return !need_uri || (mb_hooks_check(mb_config_getter, (void *) config, err) &&
                        (!addr || mb_httpd_check_addr(addr, err)));
}

bool mb_cli_sched_setup(const char *cmd, const mb_args_t *args, bool need_uri, bool lock,
                        mb_cli_sched_t *c, int *rc)
{
   mb_error_t err;
   mb_log_level_t lvl = MB_LOG_INFO;
   const char *fmt;

   memset(c, 0, sizeof *c);
   if (!mb_config_load(args, &c->config, &err) ||
       !mb_repo_s3_configure(mb_config_getter, c->config, &err)) {
      goto fail;
   }
   fmt = mb_config_get(c->config, "LOG_FORMAT");
   if (!mb_args_get(args, "log-format") && fmt && strcmp(fmt, "json") == 0) {
      mb_log_configure(lvl, true); /* the configuration's problems are JSON lines too */
   }
   if (!mb_cli_sched_validate(c->config, need_uri, &c->s, &err) ||
       !mb_config_encryption(c->config, args, &c->key_file, &c->passphrase, &err) ||
       !mb_config_crypt_key(c->key_file, c->passphrase, &c->key, &err)) {
      goto fail;
   }
   mb_log_level_parse(mb_config_get(c->config, "LOG_LEVEL"), &lvl);
   fmt = mb_config_get(c->config, "LOG_FORMAT");
   if (!mb_args_get(args, "log-level") && !mb_args_get(args, "log-format")) {
      mb_log_configure(lvl, fmt && strcmp(fmt, "json") == 0);
   } else {
      lvl = MB_LOG_INFO; /* the flags were checked and applied by the command line */
      if (mb_args_get(args, "log-level")) { /* only --log-format given: the level stays info */
         mb_log_level_parse(mb_args_get(args, "log-level"), &lvl);
      }
      fmt = mb_args_get(args, "log-format");
   }
   c->log_level = lvl;
   c->log_json = fmt && strcmp(fmt, "json") == 0;
   if (lock && !mb_backup_prepare(c->s.dir, need_uri ? mb_config_getter : NULL, c->config, &c->lock,
                                  &err)) {
      goto fail;
   }
   return true;
fail:
   *rc = mb_cli_fail(cmd, &err);
   mb_cli_sched_clear(c);
   return false;
}

int mb_cmd_dump_child(void)
{
   return mb_child_dump_main();
}

/* The service of c: the dump in a child process, the notification hooks. */
typedef struct {
   mb_child_dump_t child;
   mb_hooks_t hooks;
   mb_backup_service_t backup;
   char extension[16]; /* ".zst.enc" */
} service_t;

static bool service_init(const mb_cli_sched_t *c, service_t *sv, mb_error_t *err)
{
   memset(sv, 0, sizeof *sv);
   sv->child = (mb_child_dump_t){.uri = c->s.uri,
                                 .compress = c->s.compress,
                                 .level = c->s.level,
                                 .jobs = c->s.jobs,
                                 .oplog = c->s.oplog,
                                 .timeout_ms = c->s.timeout_ms,
                                 .log_level = c->log_level,
                                 .log_json = c->log_json,
                                 .key_file = c->key_file,
                                 .passphrase = c->passphrase};
   snprintf(sv->extension, sizeof sv->extension, "%s%s", mb_compress_extension(c->s.compress),
            c->key ? MB_CRYPT_EXTENSION : "");
   sv->backup = (mb_backup_service_t){.dir = c->s.dir,
                                      .extension = sv->extension,
                                      .key = c->key,
                                      .compression = mb_compress_name(c->s.compress),
                                      .timeout_ms = c->s.timeout_ms,
                                      .retries = c->s.retries,
                                      .retry_delay_ms = c->s.retry_delay_ms,
                                      .retention = c->s.retention,
                                      .dump = mb_child_dump,
                                      .dump_user_data = &sv->child,
                                      .hooks = &sv->hooks,
                                      .stop = &g_stop,
                                      .metrics_file = mb_config_get(c->config, "METRICS_FILE")};
   return mb_hooks_load(&sv->hooks, mb_config_getter, c->config, err);
}

int mb_cmd_backup(const mb_args_t *args)
{
   mb_cli_sched_t c;
   service_t sv;
   mb_run_t run;
   mb_error_t err;
   int rc;

   if (!mb_cli_sched_setup("backup", args, true, true, &c, &rc)) {
      return rc;
   }
   if (!service_init(&c, &sv, &err)) {
      rc = mb_cli_fail("backup", &err);
   } else {
      catch_stop_signals();
      if (mb_backup_run(&sv.backup, &run)) {
         printf("backup %s: %llu documents, %llu bytes, %.1f s, sha256 %s\n", run.path,
                (unsigned long long) run.docs, (unsigned long long) run.archive_bytes, run.seconds,
                run.sha256);
         rc = MB_EXIT_OK;
      } else {
         mb_error_set(&err,
                      run.cancelled   ? MB_EXIT_INTERRUPTED
                      : run.exit_code ? (mb_exit_t) run.exit_code
                                      : MB_EXIT_FAILURE,
                      "%s %s: %s", run.stage, run.cancelled ? "cancelled" : "failed", run.error);
         rc = mb_cli_fail("backup", &err);
      }
      log_stop_signal("backup");
      mb_run_clear(&run);
   }
   mb_hooks_clear(&sv.hooks);
   mb_cli_sched_clear(&c);
   return rc;
}

static int daemon_loop(const mb_cli_sched_t *c, service_t *sv, mb_cron_t *cron)
{
   mb_daemon_t d = {.cron = cron,
                    .dir = c->s.dir,
                    .run = mb_backup_run_once,
                    .run_user_data = &sv->backup,
                    .status_interval = c->s.status_interval,
                    .stop = &g_stop,
                    .next_run = &g_next_run,
                    .run_now = c->s.oplog_archive ? &g_run_now : NULL};
   mb_oplogarch_opts_t ao = {.uri = c->s.uri,
                             .dir = c->s.dir,
                             .extension = sv->extension,
                             .compress = c->s.compress,
                             .level = c->s.level,
                             .key = NULL, /* below */
                             .slice_seconds = c->s.oplog_slice,
                             .slice_bytes = c->s.oplog_slice_bytes,
                             .hooks = &sv->hooks,
                             .run_now = &g_run_now,
                             .stop = &g_stop};
   const char *addr = mb_config_get(c->config, "METRICS_ADDR");
   mb_httpd_t *httpd = NULL;
   mb_oplogarch_t *arch = NULL;
   mb_error_t err;
   int rc;

   catch_stop_signals();
   /* a key of its own: a passphrase key caches its last derivation, so it is not shared with the
    * runs' verify step */
   if (c->s.oplog_archive && (!mb_config_crypt_key(c->key_file, c->passphrase, &ao.key, &err) ||
                              !mb_oplogarch_start(&ao, &arch, &err))) {
      rc = mb_cli_fail("daemon", &err);
   } else if (addr && !mb_httpd_start(addr, c->s.dir, &g_next_run, &httpd, &err)) {
      rc = mb_cli_fail("daemon", &err);
   } else {
      rc = mb_daemon_run(&d, &err) < 0 ? mb_cli_fail("daemon", &err) : MB_EXIT_OK;
      log_stop_signal("daemon");
   }
   mb_oplogarch_stop(arch); /* its open slice is written first */
   mb_crypt_key_destroy(ao.key);
   mb_httpd_stop(httpd);
   return rc;
}

int mb_cmd_daemon(const mb_args_t *args)
{
   mb_cli_sched_t c;
   service_t sv;
   mb_cron_t *cron = NULL;
   mb_error_t err;
   char context[1024];
   int rc;

   if (!mb_cli_sched_setup("daemon", args, true, true, &c, &rc)) {
      return rc;
   }
   snprintf(context, sizeof context, "backups in %s, schedule '%s' (%s)", c.s.dir, c.s.cron,
            c.s.timezone);
   memset(&sv, 0, sizeof sv);
   /* a daemon that cannot reach its server says so now, not at the first run */
   if (!mb_backup_connect(c.s.uri, context, &err) || !mb_cron_parse(c.s.cron, &cron, &err)) {
      mb_hooks_failed_to_start(mb_config_getter, c.config, "connect", &err);
      rc = mb_cli_fail("daemon", &err);
   } else {
      mb_catalog_remove_partials(c.s.dir);
      rc = service_init(&c, &sv, &err) ? daemon_loop(&c, &sv, cron) : mb_cli_fail("daemon", &err);
   }
   mb_hooks_clear(&sv.hooks);
   mb_cron_destroy(cron);
   mb_cli_sched_clear(&c);
   return rc;
}
