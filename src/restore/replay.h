/* The oplog replay of restore --oplog-replay: each entry of the archive's oplog namespace, in
 * order, translated (restore/oplog.h) and run on the target, until the --oplog-limit timestamp
 * (excluded, as mongorestore --oplogLimit). A transaction written in several applyOps entries
 * (partialTxn: true) runs when its last entry comes, a prepared one (prepare: true) when its
 * commitTransaction comes (never when aborted), as mongorestore applies them: a limit before
 * that entry leaves the whole transaction out. Runs on the restore's reading thread, after every
 * collection was restored and indexed. */
#ifndef MB_RESTORE_REPLAY_H
#define MB_RESTORE_REPLAY_H

#include "common/oplogts.h"
#include "restore/nsmap.h"
#include "restore/oplog.h"

#include <mongoc/mongoc.h>

typedef struct mb_rreplay mb_rreplay_t;

typedef struct {
   uint64_t entries;     /* entries read */
   uint64_t applied;     /* entries that ran at least one operation */
   uint64_t skipped;     /* entries (nested ones included) that did nothing on purpose, and
                          * the held entries of a transaction not ended yet */
   uint64_t after_limit; /* entries at or after the limit, not applied (with the held entries
                          * of a transaction that ends there) */
   uint64_t not_after;   /* entries at or before the lower bound (mb_rreplay_set_after) */
   uint64_t ops;         /* operations run on the server */
   uint64_t ops_by_kind[MB_ROPLOG_NKINDS]; /* of those, per mb_roplog_kind_t */
   bool any;                               /* last is set */
   mb_oplog_ts_t last; /* the newest entry applied: the point in time restored */
} mb_rreplay_stats_t;

/* A replay on client cl (borrowed; NULL: only translate and check, for --dry-run) through map
 * (borrowed; NULL for none); limit NULL: no limit. Made for the caller (mb_rreplay_destroy). */
mb_rreplay_t *mb_rreplay_new(mongoc_client_t *cl, const mb_rnsmap_t *map,
                             const mb_oplog_ts_t *limit);

/* Skip the entries with ts <= after (restore --to-time: a slice's entries that the backup
 * already holds); they are counted in not_after. */
void mb_rreplay_set_after(mb_rreplay_t *r, mb_oplog_ts_t after);

/* Replay one entry (len bytes of BSON). Errors: CORRUPT or USAGE from the translation, the
 * server's error (classified by mb_error_exit_code) for an operation that failed; each names
 * the entry's timestamp and namespace. */
MB_MUST_CHECK bool mb_rreplay_entry(mb_rreplay_t *r, const uint8_t *data, size_t len,
                                    mb_error_t *err);

const mb_rreplay_stats_t *mb_rreplay_stats(const mb_rreplay_t *r);

void mb_rreplay_destroy(mb_rreplay_t *r);

#endif
