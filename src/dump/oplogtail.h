/* Tailing the oplog (the daemon's continuous archive, OPLOG_ARCHIVE): every entry newer than a
 * resume point, in order, as the server's raw BSON (only "ts" is read). A tailable awaitData
 * cursor on local.oplog.rs with {ts: {$gt: last}}; when the server ends the cursor (an empty
 * answer, or a server such as FerretDB that does not keep tailable cursors open) the query is
 * made again from the last entry read. A gap, the resume point gone from the oplog before the
 * entries after it were read, is reported as such: after each query's first answer the oldest
 * entry still present must not be newer than the point the query resumed from, and the
 * server's CappedPositionLost ends the tail the same way. */
#ifndef MB_DUMP_OPLOGTAIL_H
#define MB_DUMP_OPLOGTAIL_H

#include "common/error.h"
#include "common/oplogts.h"

#include <mongoc/mongoc.h>

typedef struct mb_oplog_tail mb_oplog_tail_t;

/* A tail of the oplog on c (borrowed, used by this tail only) after from (exclusive; 0:0: from
 * the first entry); await_ms is how long one mb_oplog_tail_next waits for an entry. Made for the
 * caller (mb_oplog_tail_destroy). Nothing is asked of the server before the first next. */
mb_oplog_tail_t *mb_oplog_tail_new(mongoc_client_t *c, mb_oplog_ts_t from, int await_ms);

/* The next entry: *doc (borrowed until the next call or the destroy) and its *ts, or *doc NULL
 * when none came within await_ms. Fails with *gap set (SERVER: "the oplog rolled over ...")
 * when entries after the resume point are gone, with the driver's error otherwise (*gap
 * clear); the tail can be destroyed only, then. */
MB_MUST_CHECK bool mb_oplog_tail_next(mb_oplog_tail_t *t, const bson_t **doc, mb_oplog_ts_t *ts,
                                      bool *gap, mb_error_t *err);

/* The newest entry handed out (the resume point when none was). */
mb_oplog_ts_t mb_oplog_tail_last(const mb_oplog_tail_t *t);

void mb_oplog_tail_destroy(mb_oplog_tail_t *t);

#endif
