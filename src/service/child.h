/* The dump step of a scheduled backup, run in a child process (this binary with
 * MB_DUMP_CHILD_COMMAND) so that BACKUP_TIMEOUT and a stop are hard: whatever the dump blocks in
 * (a socket read from a paused server, name resolution, a TLS handshake), the run's cancel kills
 * the child with SIGKILL and the run ends within 100 ms. The settings go to the child on its
 * stdin (no secret in argv or the environment) and its report comes back on its stdout, both as
 * JSON; its log lines go to the parent's stderr. */
#ifndef MB_SERVICE_CHILD_H
#define MB_SERVICE_CHILD_H

#include "archive/compress.h"
#include "common/log.h"
#include "sched/run.h"

#include <stdatomic.h>

/* The internal command that runs a scheduled dump in a child process (not in --help). */
#define MB_DUMP_CHILD_COMMAND "__scheduled-dump"

/* What the child needs; strings borrowed. */
typedef struct {
   const char *uri;
   mb_compress_t compress;
   int level;
   int jobs;
   bool oplog;               /* BACKUP_OPLOG: dump --oplog */
   long timeout_ms;          /* BACKUP_TIMEOUT (0: none): sets the socket timeout */
   mb_log_level_t log_level; /* the child logs as the parent was configured */
   bool log_json;
   const char *key_file;   /* ENCRYPTION_KEY_FILE, or NULL */
   const char *passphrase; /* the encryption passphrase, or NULL (sent on the child's stdin) */
} mb_child_dump_t;

/* Dump into path in a child process; user_data is a const mb_child_dump_t. Fills run's figures
 * (docs, bson_bytes, ns, server_version, uri masked). Fails with the child's error, or TIMEOUT
 * when *cancel became non-zero (the child is killed). Shaped as mb_backup_dump_fn. */
MB_MUST_CHECK bool mb_child_dump(void *user_data, const char *path, const atomic_int *cancel,
                                 mb_run_t *run, mb_error_t *err);

/* The child's side: settings on stdin, the dump, its report (or error) on stdout. Returns the
 * process's exit code. */
int mb_child_dump_main(void);

#endif
