/* Commands: the table of subcommands and the entry point main() calls. */
#ifndef MB_CLI_COMMANDS_H
#define MB_CLI_COMMANDS_H

#include "archive/compress.h"
#include "archive/reader.h"
#include "cli/config.h"
#include "cli/options.h"
#include "sched/job.h"

/* Run mongobak with argv; returns the process exit code. */
int mb_cli_main(int argc, char **argv);

/* Print "mongobak CMD: error: <message>" on stderr and return the error's exit code. */
int mb_cli_fail(const char *cmd, const mb_error_t *err);

/* Open an archive for reading (file or "-"), decompressing as detected. *src is made for the
 * caller (mb_source_destroy); *raw is the underlying file source (borrowed, for byte counts). */
bool mb_cli_open_archive(const char *path, mb_source_t **src, mb_source_t **raw,
                         mb_compress_t *kind, mb_error_t *err);

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

/* The internal command that runs a scheduled dump in a child process (not in --help): settings
 * as JSON on stdin, the report as JSON on stdout. */
#define MB_DUMP_CHILD_COMMAND "__scheduled-dump"
int mb_cmd_dump_child(void);

/* Plug the configured notification channels into a scheduled job (report and pings). */
bool mb_cli_notify_hooks(const mb_config_t *config, mb_job_t *job, mb_error_t *err);
/* Check the notification settings as mb_cli_notify_hooks reads them (same errors). */
bool mb_cli_notify_check(const mb_config_t *config, mb_error_t *err);
/* Report a run that failed before it could start (BACKUP_DIR unusable, locked, server down at
 * the daemon's start) to every channel, with the healthcheck's fail ping. Never fails. */
void mb_cli_notify_failure(const mb_config_t *config, const char *stage, const mb_error_t *err);
int mb_cmd_inspect(const mb_args_t *args);
int mb_cmd_notify(const mb_args_t *args);

#endif
