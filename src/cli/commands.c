#include "cli/commands.h"
#include "archive/dirsource.h"
#include "common/text.h"
#include "common/client.h"
#include "common/confvars.h"
#include "common/file.h"
#include "common/log.h"
#include "cli/config.h"
#include "storage/repo.h"
#include "storage/s3.h"

#include <stdlib.h>
#include <string.h>

static const mb_command_t commands[] = {
    {"dump", "[OPTIONS]", "back up a deployment into one mongodump-compatible archive",
     "Reads every selected collection through libmongoc cursors (raw BSON, never decoded), "
     "several collections in parallel, and writes one archive in the mongodump --archive format "
     "that the real mongorestore --archive restores unchanged (with --gzip for gzip; through "
     "'zstd -dc' for zstd): 'mongobak dump -h HOST --archive x.archive' writes what 'mongodump "
     "-h HOST --archive=x.archive' writes. The archive is written as NAME.XXXXXX.partial (created "
     "exclusively), "
     "synced and renamed to NAME only when complete; on any failure or signal the partial file "
     "is removed. An existing --archive file is never replaced without --overwrite (exit 13); a "
     "generated name that exists (a dump of the same second) gets a -N suffix. Skips what "
     "mongodump skips by default: the local database, config (but for its sharding "
     "collections) and system.* collections other than system.js; views are stored as views. "
     "With --out DIR it writes mongodump's directory layout instead (plain or gzip), built "
     "beside DIR and renamed to it when complete; mongorestore DIR restores it. "
     "When stderr is a terminal a progress line is redrawn in place (percentage of the sizes "
     "planned, bytes, smoothed rate, ETA, the collection being read); never when stderr is not "
     "a terminal (cron logs stay clean), with --quiet or with LOG_FORMAT=json. "
     "Exit codes: 0 done; 2 a bad option, a malformed connection string, an --archive name "
     "contradicting --compress, --archive - on a terminal, or --out with zstd; 5 the archive could "
     "not be "
     "written; 6 the server is unreachable; 7 authentication failed; 8 the server failed during "
     "the dump; 11 the selection matched nothing; 13 the --archive file or a non-empty --out "
     "directory exists; 130 "
     "interrupted.",
     mb_cmd_dump},
    {"restore", "[OPTIONS] [--archive PATH|-|ARCHIVE|DIR]",
     "restore an archive or a dump directory written by mongobak or mongodump",
     "Reads an archive (uncompressed, gzip or zstd, detected from the first bytes), or a "
     "directory written by mongodump --out or mongobak dump --out (given as DIR or --dir DIR, "
     "plain or gzip), and restores "
     "it through libmongoc: creates each collection with its options and each view, inserts the "
     "documents with unordered bulk inserts by several workers, checks every namespace's CRC-64, "
     "then builds the indexes. Without --drop, existing documents stay and duplicate keys are "
     "counted and reported per collection. The archive is --archive PATH or the argument (a file "
     "or s3://BUCKET/KEY); without either it is read from stdin. "
     "When stderr is a terminal a progress line is redrawn in place (bytes of the input read, "
     "rate, ETA, the namespace being read), as for dump. "
     "An encrypted archive (.enc) is decrypted with --encrypt-key-file or ENCRYPTION_KEY_FILE "
     "(or the passphrase), after it has been read once to its end and authenticated: a wrong "
     "key, a flipped byte or a truncated file restores nothing (exit 3). "
     "Exit codes: 0 done; 2 a bad option or a malformed connection string; 3 the archive is "
     "corrupt or truncated; 4 it is not an archive; 5 it could not be read; 6 the server is "
     "unreachable; 7 authentication failed; 8 the server failed during the restore; 9 some "
     "documents, indexes or collections failed (duplicate keys without --drop); 130 "
     "interrupted.",
     mb_cmd_restore},
    {"verify", "[OPTIONS] FILE|-", "check an archive completely and print what it holds",
     "Reads the whole archive (uncompressed, gzip or zstd, detected from the first bytes; "
     "decrypted with the key when encrypted) and "
     "checks what mongorestore checks: the magic number, the prelude, every block header, the "
     "framing of every document, every document's BSON, the CRC-64 of every namespace, that no "
     "namespace is reopened or missing, and that the stream is not truncated; also that no "
     "document nests deeper than 1000 levels and that the metadata of every namespace is what "
     "restore can use. Warns where mongorestore would refuse or hang on what mongobak reads. "
     "Prints each namespace's documents, bytes, CRC and status (names with control characters "
     "escaped), then a one-line verdict. Exit 0 when the archive is sound, 3 when it is "
     "corrupt or truncated, 4 when it is not an archive.",
     mb_cmd_verify},
    {"inspect", "[OPTIONS] FILE|-",
     "print an archive's prelude: versions, namespaces, options, indexes",
     "Reads only the prelude (the archive's table of contents) and prints the format and server "
     "versions, then every namespace with its type, UUID, options and indexes as stored by the "
     "dumper, and warnings about what mongorestore would refuse. With --json the metadata "
     "text of each namespace is included verbatim.",
     mb_cmd_inspect},
    {"keygen", "FILE", "write a new random encryption key file",
     "Writes 32 random bytes (libsodium) to FILE as one base64 line under a comment line, "
     "mode 0600, created exclusively: an existing FILE is never replaced (exit 13). Prints the "
     "key's id, which encrypted archives record so that a wrong key is named as such. Give the "
     "file as ENCRYPTION_KEY_FILE or --encrypt-key-file: every archive mongobak writes is then "
     "encrypted (XChaCha20-Poly1305 after compression, name suffix .enc; "
     "docs/encryption-format.md). "
     "Keep a copy apart from the backups: without the key they cannot be read by anyone.",
     mb_cmd_keygen},
    {"cat", "[OPTIONS] FILE",
     "write an archive decrypted (and with --decompress uncompressed) to stdout",
     "For runbooks that use the real mongorestore: 'mongobak cat FILE --decompress | mongorestore "
     "--archive' restores an encrypted, zstd-compressed backup. An encrypted FILE is first read "
     "to its end and authenticated, so that nothing is written when it is corrupt, truncated or "
     "was written with another key. Without --decompress the archive is written as stored (gzip "
     "or zstd), only decrypted. A terminal stdout is refused (exit 2). Exit codes: 0 done; 2 a "
     "bad option or a terminal stdout; 3 corrupt, truncated, encrypted without the key or with "
     "another key; 4 not an archive (--decompress); 5 it could not be read or stdout not written.",
     mb_cmd_cat},
    {"backup", "[OPTIONS]", "one scheduled-style backup now: archive, manifest, retention",
     "Runs exactly what the daemon runs at each scheduled time, configured like the daemon "
     "(environment, .env, flags): dumps MONGODB_URI into BACKUP_DIR as "
     "backup-YYYY-MM-DD-HH-mm-ss.archive[.zst|.gz] (UTC start time; -N added when that name "
     "exists, never replacing it) through a .partial file, "
     "verifies the new archive completely and hashes it, writes "
     "<archive>.manifest.json beside it, updates the statistics in "
     "BACKUP_DIR/.mongobak-state.json, "
     "applies retention (only after a success) and sends the notifications. For system cron and "
     "Kubernetes CronJobs. BACKUP_TIMEOUT kills a dump that takes too long (the dump runs in a "
     "child process, so the limit holds whatever the server does). SIGTERM, SIGINT or SIGHUP "
     "cancels the run cleanly (exit 130). A run killed outright is counted as failed by the "
     "next run; a run that cannot start (BACKUP_DIR unusable or locked) is still notified.",
     mb_cmd_backup},
    {"daemon", "[OPTIONS]", "run backups on CRON_SCHEDULE in TIMEZONE until stopped",
     "Validates the configuration, checks that the server answers, takes the lock of BACKUP_DIR "
     "(a second mongobak on the same directory refuses to start) and runs a backup at every "
     "time of CRON_SCHEDULE in TIMEZONE, one at a time: a run still going at the next time "
     "makes that time be skipped. Logs a status line every STATUS_INTERVAL seconds. SIGTERM or "
     "SIGINT stops scheduling, cancels a running backup cleanly (no archive is left) and exits 0; "
     "so does SIGHUP (it does not reload: restart to apply a new configuration).",
     mb_cmd_daemon},
    {"list", "[OPTIONS]", "list the backups in BACKUP_DIR",
     "Shows each backup with its time, size, documents, compression and status: unchecked when "
     "its manifest is valid and records the archive's size, otherwise what is wrong. With "
     "--verify every archive is read completely and its SHA-256 compared with the manifest: ok, "
     "or what is wrong, and exit code 3 unless every backup is sound.",
     mb_cmd_list},
    {"prune", "[OPTIONS]", "apply retention to BACKUP_DIR now",
     "Keeps the newest MAX_BACKUPS complete backups (and with KEEP_DAILY, KEEP_WEEKLY, "
     "KEEP_MONTHLY the newest of each recent day, week, month) and deletes the other complete "
     "ones; never the newest. Incomplete backups are listed but neither counted nor deleted; "
     "backups named after the present (a clock that was ahead, a copied file) are kept, take no "
     "MAX_BACKUPS place and are warned about.",
     mb_cmd_prune},
    {"status", "[OPTIONS]", "print the scheduled backups' state: last and next run, statistics",
     "Reads BACKUP_DIR/.mongobak-state.json and the backups in BACKUP_DIR: the last run and its "
     "result, the last success (its archive, unless deleted since), the next scheduled time, "
     "the number and size of the complete "
     "backups, and the run counters with the success rate and durations. --json for machines.",
     mb_cmd_status},
    {"schedule", "[OPTIONS]", "print the next run times of CRON_SCHEDULE",
     "Prints the next --next times of CRON_SCHEDULE in TIMEZONE and in UTC, so that an "
     "expression can be checked before the daemon uses it.",
     mb_cmd_schedule},
    {"config", "[OPTIONS]", "print the effective configuration, secrets masked",
     "Prints every configuration variable with its value and where it came from (flag, "
     "environment, .env line, file, default), then validates them exactly as backup and daemon "
     "do (a schedule that never fires, a zone that is not a zone file, METRICS_ADDR, the "
     "notification settings, MONGODB_URI); exit 2 with one line per problem when something is "
     "wrong.",
     mb_cmd_config},
    {"notify", "--test [--failure]", "send a test report to every enabled notification channel",
     "Reads the notification settings like backup and daemon do (flags, environment, .env: "
     "ENABLE_EMAIL_NOTIFICATIONS, SMTP_*, "
     "NOTIFICATION_EMAILS, ENABLE_DISCORD_NOTIFICATIONS, DISCORD_WEBHOOK_URL, WEBHOOK_URL, "
     "HEALTHCHECK_URL, NOTIFY_TIMEOUT; see docs/notifications.md), sends a sample report to every "
     "enabled channel and prints one line per channel: ok, or failed with the reason. Exit 0 when "
     "every enabled channel succeeded, 9 when one failed, 2 when none is enabled or the settings "
     "are wrong.",
     mb_cmd_notify},
    {"help", "[COMMAND]", "show help for a command",
     "Without a command, lists the commands and exit codes. 'mongobak help --man' prints the man "
     "page, 'mongobak help --env-example' a .env file listing every configuration variable with "
     "its default, 'mongobak help --config-table' the same variables as a Markdown table.",
     NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static const mb_command_t *find_command(const char *name)
{
   for (const mb_command_t *c = commands; c->name; c++) {
      if (strcmp(c->name, name) == 0) {
         return c;
      }
   }
   return NULL;
}

/* "help" takes a command name, "--man", "--env-example" or "--config-table" as a word, so it
 * is not parsed like the others. */
static int run_help(int argc, char **argv)
{
   const mb_command_t *c = argc > 2 ? find_command(argv[2]) : NULL;

   if (argc > 2 && strcmp(argv[2], "--man") == 0) {
      mb_man_print(stdout, commands);
      return MB_EXIT_OK;
   }
   if (argc > 2 && strcmp(argv[2], "--env-example") == 0) {
      mb_confvar_print_env_example(stdout);
      return MB_EXIT_OK;
   }
   if (argc > 2 && strcmp(argv[2], "--config-table") == 0) {
      mb_confvar_print_markdown(stdout);
      return MB_EXIT_OK;
   }
   if (argc > 2 && !c) {
      fprintf(stderr, "mongobak help: error: no command '%s'; run 'mongobak help' for the list\n",
              argv[2]);
      return MB_EXIT_USAGE;
   }
   mb_help_print(stdout, commands, c);
   return MB_EXIT_OK;
}

int mb_cli_fail(const char *cmd, const mb_error_t *err)
{
   char msg[sizeof err->message];

   snprintf(msg, sizeof msg, "%s", err->message);
   mb_log_mask_secrets(msg, sizeof msg);
   if (mb_log_json_enabled()) { /* LOG_FORMAT=json: every line on stderr is JSON */
      mb_log(MB_LOG_ERROR, "mongobak %s: error: %s", cmd, msg);
      return (int) mb_error_exit_code(err);
   }
   /* names from an archive or a server may hold control characters: one line, always */
   fprintf(stderr, "mongobak %s: error: ", cmd);
   mb_text_fputs(stderr, msg);
   fputc('\n', stderr);
   return (int) mb_error_exit_code(err);
}

/* Read the encrypted archive at path once to its end (authenticating every chunk and the final
 * tag), discarding what it holds. */
static bool authenticate(const char *path, mb_crypt_key_t *key, mb_error_t *err)
{
   mb_source_t *file = NULL, *plain = NULL;
   mb_repo_t *repo = NULL;
   char *name = NULL;
   bool ok, encrypted = false;

   if (strcmp(path, "-") == 0) {
      mb_error_set(err, MB_EXIT_USAGE,
                   "an encrypted archive on stdin cannot be authenticated before it is used: "
                   "give its file name instead of -");
      return false;
   }
   ok = mb_repo_locate(path, &repo, &name, err) && mb_repo_open_read(repo, name, 0, &file, err) &&
        mb_crypt_source_open(file, key, path, &plain, &encrypted, err) &&
        mb_crypt_drain(plain, err);
   bson_free(name);
   mb_repo_destroy(repo);
   return ok;
}

bool mb_cli_open_decrypted(const char *path, mb_crypt_key_t *key, bool auth, mb_source_t **plain,
                           mb_source_t **raw, bool *encrypted, mb_error_t *err)
{
   mb_source_t *file = NULL;
   mb_repo_t *repo = NULL;
   char *name = NULL;
   bool ok;

   *encrypted = false;
   ok = mb_repo_locate(path, &repo, &name, err) && mb_repo_open_read(repo, name, 0, &file, err);
   bson_free(name);
   mb_repo_destroy(repo);
   if (!ok) {
      return false;
   }
   *raw = file;
   /* the header (and the key) is checked before the whole file is read for authentication */
   if (!mb_crypt_source_open(file, key, path, plain, encrypted, err)) {
      return false;
   }
   if (*encrypted && auth && !authenticate(path, key, err)) {
      mb_source_destroy(*plain);
      *plain = NULL;
      return false;
   }
   return true;
}

bool mb_cli_open_archive(const char *path, mb_crypt_key_t *key, bool auth, mb_source_t **src,
                         mb_source_t **raw, mb_compress_t *kind, bool *encrypted, mb_error_t *err)
{
   mb_source_t *plain = NULL;
   bool enc = false, ok;

   if (encrypted) {
      *encrypted = false;
   }
   if (mb_dirsource_is_dir(path)) { /* mongodump's --out directory, read as the archive it holds */
      *kind = MB_COMPRESS_NONE;
      ok = mb_dirsource_open(path, src, err);
      *raw = ok ? *src : NULL;
      return ok;
   }
   ok = mb_cli_open_decrypted(path, key, auth, &plain, raw, &enc, err);
   if (encrypted) {
      *encrypted = enc;
   }
   return ok && mb_decompress_source_new(plain, src, kind, err);
}

bool mb_cli_crypt_key(const mb_args_t *args, mb_crypt_key_t **key, mb_error_t *err)
{
   mb_config_t *config = NULL;
   const char *key_file = NULL;
   char *passphrase = NULL;
   bool ok = mb_config_load(args, &config, err) &&
             mb_config_encryption(config, args, &key_file, &passphrase, err) &&
             mb_config_crypt_key(key_file, passphrase, key, err);

   bson_free(passphrase);
   mb_config_destroy(config);
   return ok;
}

void mb_cli_print_json(FILE *f, const bson_t *doc)
{
   char *json = mb_text_json(doc, NULL);

   fprintf(f, "%s\n", json);
   bson_free(json);
}

void mb_cli_json_string(FILE *f, const char *s)
{
   bson_t b = BSON_INITIALIZER;
   char *json;
   size_t len;

   BSON_APPEND_UTF8(&b, "s", s);
   json = mb_text_json(&b, &len);
   /* {"s" : "..."} -> the value part */
   fprintf(f, "%.*s", (int) (len - 9), json + 7);
   bson_free(json);
   bson_destroy(&b);
}

static bool setup_logging(const mb_args_t *args, mb_error_t *err)
{
   const char *lvl = mb_args_get(args, "log-level");
   const char *fmt = mb_args_get(args, "log-format");
   mb_log_level_t level = MB_LOG_INFO;

   if (lvl && !mb_log_level_parse(lvl, &level)) {
      mb_error_set(err, MB_EXIT_USAGE, "--log-level must be error, warn, info or debug, not '%s'",
                   lvl);
      return false;
   }
   if (fmt && strcmp(fmt, "text") != 0 && strcmp(fmt, "json") != 0) {
      mb_error_set(err, MB_EXIT_USAGE, "--log-format must be text or json, not '%s'", fmt);
      return false;
   }
   mb_log_configure(level, fmt && strcmp(fmt, "json") == 0);
   return true;
}

/* An s3:// location on the command line: the S3 settings come from the whole configuration
 * (flags, environment, .env, *_FILE), as for BACKUP_DIR. */
static bool configure_storage(const mb_args_t *args, int argc, char **argv, mb_error_t *err)
{
   mb_config_t *c = NULL;
   bool ok;

   for (int i = 2; i < argc; i++) {
      if (strstr(argv[i], "s3://")) {
         ok = mb_config_load(args, &c, err) && mb_repo_s3_configure(mb_config_getter, c, err);
         mb_config_destroy(c);
         return ok;
      }
   }
   return true;
}

int mb_cli_main(int argc, char **argv)
{
   const mb_command_t *cmd;
   mb_args_t *args = NULL;
   mb_error_t err;
   int rc;

   if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
      mb_help_print(argc < 2 ? stderr : stdout, commands, NULL);
      return argc < 2 ? MB_EXIT_USAGE : MB_EXIT_OK;
   }
   if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
      printf("mongobak %s (libmongoc %s, archive format %s)\n", MONGOBAK_VERSION, BSON_VERSION_S,
             "0.1");
      return MB_EXIT_OK;
   }
   if (strcmp(argv[1], MB_DUMP_CHILD_COMMAND) == 0) {
      mb_file_install_signal_cleanup();
      mb_client_global_init();
      rc = mb_cmd_dump_child();
      mb_client_global_cleanup();
      return rc;
   }
   cmd = find_command(argv[1]);
   if (!cmd) {
      fprintf(stderr, "mongobak: error: unknown command '%s'; run 'mongobak --help' for the list\n",
              argv[1]);
      return MB_EXIT_USAGE;
   }
   if (!cmd->run) {
      return run_help(argc, argv);
   }
   if (!mb_args_parse(cmd, argc - 2, argv + 2, &args, &err) || !setup_logging(args, &err) ||
       !configure_storage(args, argc, argv, &err)) {
      mb_args_destroy(args);
      return mb_cli_fail(cmd->name, &err);
   }
   if (mb_args_flag(args, "help")) {
      mb_help_print(stdout, commands, cmd);
      rc = MB_EXIT_OK;
   } else {
      mb_file_install_signal_cleanup();
      mb_client_global_init();
      rc = cmd->run(args);
      mb_client_global_cleanup();
   }
   mb_args_destroy(args);
   return rc;
}
