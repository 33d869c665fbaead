/* Commands: the table of subcommands and the entry point main() calls. */
#ifndef MB_CLI_COMMANDS_H
#define MB_CLI_COMMANDS_H

#include "archive/compress.h"
#include "archive/reader.h"
#include "cli/config.h"
#include "cli/options.h"
#include "common/log.h"
#include "sched/lock.h"
#include "service/child.h"

/* Run mongobak with argv; returns the process exit code. */
int mb_cli_main(int argc, char **argv);

/* Print "mongobak CMD: error: <message>" on stderr and return the error's exit code. */
int mb_cli_fail(const char *cmd, const mb_error_t *err);

/* Open an archive for reading (file or "-"; a directory is mongodump's --out layout, read as an
 * archive by archive/dirsource.h), decrypting (with key; archive/crypt.h) and decompressing as
 * detected. With authenticate, an encrypted file is first read once to its end, so that a
 * wrong byte or a truncation is found before anything is used (restore, cat); an encrypted
 * stdin is then refused (USAGE). *src is made for the caller (mb_source_destroy); *raw is the
 * underlying file source (borrowed, for byte counts); *encrypted (may be NULL) says whether it
 * was encrypted: its last chunk is authenticated only when *src is read to its end. */
MB_MUST_CHECK bool mb_cli_open_archive(const char *path, mb_crypt_key_t *key, bool authenticate,
                                       mb_source_t **src, mb_source_t **raw, mb_compress_t *kind,
                                       bool *encrypted, mb_error_t *err);

/* The first half of mb_cli_open_archive for a file: *plain is its decrypted bytes (made for the
 * caller), still compressed as stored. */
MB_MUST_CHECK bool mb_cli_open_decrypted(const char *path, mb_crypt_key_t *key, bool authenticate,
                                         mb_source_t **plain, mb_source_t **raw, bool *encrypted,
                                         mb_error_t *err);

/* The encryption key of dump, restore, verify, inspect and cat: --encrypt-key-file,
 * --passphrase-file, ENCRYPTION_KEY_FILE, ENCRYPTION_PASSPHRASE(_FILE) from the environment or
 * the .env file. *key is NULL when none is configured; else made for the caller
 * (mb_crypt_key_destroy). USAGE when both a key file and a passphrase are given or the key file
 * is not one. */
MB_MUST_CHECK bool mb_cli_crypt_key(const mb_args_t *args, mb_crypt_key_t **key, mb_error_t *err);

/* Print doc as one line of JSON (mb_text_json) on f. */
void mb_cli_print_json(FILE *f, const bson_t *doc);

/* Print s as a JSON string literal (with quotes). */
void mb_cli_json_string(FILE *f, const char *s);

int mb_cmd_dump(const mb_args_t *args);
int mb_cmd_restore(const mb_args_t *args);
int mb_cmd_verify(const mb_args_t *args);
int mb_cmd_backup(const mb_args_t *args);
int mb_cmd_daemon(const mb_args_t *args);
int mb_cmd_list(const mb_args_t *args);
int mb_cmd_prune(const mb_args_t *args);
int mb_cmd_schedule(const mb_args_t *args);
int mb_cmd_config(const mb_args_t *args);
int mb_cmd_status(const mb_args_t *args);
int mb_cmd_keygen(const mb_args_t *args);
int mb_cmd_cat(const mb_args_t *args);

/* The internal command that runs a scheduled dump in a child process (MB_DUMP_CHILD_COMMAND,
 * not in --help): settings as JSON on stdin, the report as JSON on stdout. */
int mb_cmd_dump_child(void);

/* What the scheduled-backup commands share: the configuration, its validated settings, the
 * logging as configured (for the dump's child process) and, for commands that write, the lock. */
typedef struct {
   mb_config_t *config;
   mb_backup_settings_t s;
   mb_lock_t *lock;
   mb_log_level_t log_level;
   bool log_json;
   mb_crypt_key_t *key;  /* the archives' encryption key, or NULL */
   const char *key_file; /* ENCRYPTION_KEY_FILE (borrowed from config), or NULL */
   char *passphrase;     /* the encryption passphrase (bson_free), or NULL */
} mb_cli_sched_t;

/* Load and validate the configuration, set up logging, and with lock, prepare BACKUP_DIR (0700)
 * and take its lock (a failure there is reported to the channels when need_uri). On failure
 * the error is printed, *rc is the exit code and c is cleared. */
MB_MUST_CHECK bool mb_cli_sched_setup(const char *cmd, const mb_args_t *args, bool need_uri,
                                      bool lock, mb_cli_sched_t *c, int *rc);

/* What backup and daemon refuse before they touch anything, and so what `config` refuses too:
 * every value, and with need_uri MONGODB_URI, the notification settings and METRICS_ADDR. */
MB_MUST_CHECK bool mb_cli_sched_validate(const mb_config_t *config, bool need_uri,
                                         mb_backup_settings_t *s, mb_error_t *err);

void mb_cli_sched_clear(mb_cli_sched_t *c);
int mb_cmd_inspect(const mb_args_t *args);
int mb_cmd_notify(const mb_args_t *args);

#endif
