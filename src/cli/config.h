/* Configuration of the scheduled-backup commands (backup, daemon, list, prune, schedule, config,
 * notify): the names of the service mongobak replaces. Sources, highest first:
 * command-line flags, the environment, a .env file (--env-file, default ./.env when present),
 * defaults. NAME_FILE reads a secret from a file (at the same precedence as NAME). The
 * variables, their types and defaults are common/confvars' table; an empty value is unset at its
 * level (the next source, else the default, applies). */
#ifndef MB_CLI_CONFIG_H
#define MB_CLI_CONFIG_H

#include "archive/compress.h"
#include "archive/crypt.h"
#include "cli/options.h"
#include "common/confvars.h"
#include "sched/retention.h"

#include <stdio.h>

typedef struct mb_config mb_config_t;

/* Gather every variable from args, the environment and the .env file. Fails (USAGE) on a
 * malformed .env line or an unreadable *_FILE, naming the file and line. */
MB_MUST_CHECK bool mb_config_load(const mb_args_t *args, mb_config_t **out, mb_error_t *err);
void mb_config_destroy(mb_config_t *c);

/* Effective value (NULL when unset) and where it came from ("default", "environment",
 * "flag --x", ".env line 3", "file /run/secrets/x"). */
const char *mb_config_get(const mb_config_t *c, const char *name);
const char *mb_config_source(const mb_config_t *c, const char *name);

/* MONGODB_URI as backup reads it, for dump and restore: --uri, the environment
 * (MONGODB_URI, MONGODB_URI_FILE), the .env file (--env-file, default ./.env when present), else
 * def; its secrets registered for masking. *uri is made for the caller (bson_free). Fails like
 * mb_config_load. */
MB_MUST_CHECK bool mb_config_uri(const mb_args_t *args, const char *def, char **uri,
                                 mb_error_t *err);

/* The encryption settings: ENCRYPTION_KEY_FILE (--encrypt-key-file; *key_file borrowed from c,
 * or NULL), the passphrase from --passphrase-file (args may be NULL) or
 * ENCRYPTION_PASSPHRASE(_FILE)
 * (*passphrase made for the caller, bson_free, registered for masking; or NULL). USAGE when both
 * a key file and a passphrase are given; IO when --passphrase-file cannot be read. */
MB_MUST_CHECK bool mb_config_encryption(const mb_config_t *c, const mb_args_t *args,
                                        const char **key_file, char **passphrase, mb_error_t *err);

/* The key of those settings (*out NULL when both are NULL; else made for the caller). Fails as
 * mb_crypt_key_load. */
MB_MUST_CHECK bool mb_config_crypt_key(const char *key_file, const char *passphrase,
                                       mb_crypt_key_t **out, mb_error_t *err);

/* A getter shaped for other modules' loaders: user_data is the mb_config_t. */
const char *mb_config_getter(const char *name, void *user_data);

/* Print every variable with its value (secrets masked) and source; JSON with json. */
void mb_config_print(const mb_config_t *c, FILE *f, bool json);

/* The validated settings of a scheduled backup. */
typedef struct {
   const char *uri;
   const char *dir;
   const char *cron;
   const char *timezone;
   long timeout_ms;
   mb_compress_t compress;
   int level;
   int jobs;
   bool oplog;                 /* BACKUP_OPLOG (true also with OPLOG_ARCHIVE) */
   bool oplog_archive;         /* OPLOG_ARCHIVE */
   int oplog_slice;            /* OPLOG_SLICE, seconds */
   uint64_t oplog_slice_bytes; /* OPLOG_SLICE_MB, in bytes */
   int status_interval;
   mb_retention_t retention;
   int retries;         /* BACKUP_RETRIES */
   long retry_delay_ms; /* BACKUP_RETRY_DELAY */
} mb_backup_settings_t;

/* Validate every value; each problem is printed as one line on f ("config: ..."), and err says
 * how many there were (USAGE). need_uri: MONGODB_URI must be set. Also applies TIMEZONE to the
 * process (TZ) after checking that the zone exists. */
MB_MUST_CHECK bool mb_config_settings(const mb_config_t *c, bool need_uri, FILE *f,
                                      mb_backup_settings_t *s, mb_error_t *err);

#endif
