/* The daemon's continuous oplog archive (OPLOG_ARCHIVE=true): one thread of the daemon process,
 * with its own client, tails the oplog (dump/oplogtail.h) and writes it in slices
 * (sched/slices.h) beside the backups: a slice is closed when it has covered slice_seconds since
 * its first entry, when it holds slice_bytes, and when the daemon stops. An interval without
 * entries writes nothing (the next slice's "from" is the last one's "last").
 *
 * It resumes the chain of the newest slice when that slice's last entry is still in the oplog;
 * with no slice it starts a new chain at the newest entry. A gap (the resume point gone at start,
 * or lost while tailing) is logged as an error, notified (stage "oplog gap"), starts a new chain
 * at the newest entry and asks the daemon loop for a full backup at once (*run_now = 1). */
#ifndef MB_SERVICE_OPLOGARCH_H
#define MB_SERVICE_OPLOGARCH_H

#include "archive/compress.h"
#include "archive/crypt.h"
#include "service/hooks.h"

#include <stdatomic.h>

typedef struct {
   const char *uri, *dir;
   const char *extension; /* as the backups': ".zst", ".gz" or "", then ".enc" */
   mb_compress_t compress;
   int level;
   mb_crypt_key_t *key;     /* NULL: not encrypted */
   int slice_seconds;       /* OPLOG_SLICE */
   uint64_t slice_bytes;    /* OPLOG_SLICE_MB in bytes */
   const mb_hooks_t *hooks; /* may be NULL */
   atomic_int *run_now;     /* set to 1 at a gap; may be NULL */
   const atomic_int *stop;  /* the process's stop flag: close the open slice and end */
} mb_oplogarch_opts_t;

typedef struct mb_oplogarch mb_oplogarch_t;

/* Connect, find where to resume, start the thread. USAGE ("OPLOG_ARCHIVE=true: the server has no
 * oplog ...") for a server without local.oplog.rs; CONNECT/AUTH and the driver's errors
 * otherwise. o and what it points to must outlive the archive. *out: mb_oplogarch_stop. */
MB_MUST_CHECK bool mb_oplogarch_start(const mb_oplogarch_opts_t *o, mb_oplogarch_t **out,
                                      mb_error_t *err);

/* Stop the thread (the open slice is written first) and free a; a may be NULL. */
void mb_oplogarch_stop(mb_oplogarch_t *a);

#endif
