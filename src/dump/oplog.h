/* The oplog of a point-in-time dump (dump --oplog, docs/archive-format.md §2.7): the newest
 * entry's timestamp before the first collection is read, and afterwards every entry from there to
 * the newest one, copied byte for byte, as mongodump --oplog copies them. The oplog is
 * local.oplog.rs; a server without that collection has no oplog (a standalone mongod, FerretDB
 * until it is created as a capped collection). */
#ifndef MB_DUMP_OPLOG_H
#define MB_DUMP_OPLOG_H

#include "common/error.h"
#include "common/oplogts.h"

#include <mongoc/mongoc.h>

/* Called with raw oplog entries (len bytes of whole BSON documents, in oplog order). */
typedef bool (*mb_oplog_write_fn)(void *user_data, const uint8_t *docs, size_t len,
                                  mb_error_t *err);

/* The newest entry's timestamp; *empty when the oplog holds no entry yet (*ts is then 0:0).
 * Fails with USAGE when the server has no local.oplog.rs, with the driver's error otherwise. */
MB_MUST_CHECK bool mb_oplog_newest(mongoc_client_t *c, mb_oplog_ts_t *ts, bool *empty,
                                   mb_error_t *err);

/* Where the copy of a point-in-time dump starts, as mongodump --oplog: the oplog entry where the
 * oldest transaction still open (config.transactions: prepared or inProgress) started, else the
 * newest entry (mb_oplog_newest), so that every entry of a transaction committed during the
 * dump is in the archive. Errors as mb_oplog_newest, or the driver's reading
 * config.transactions. */
MB_MUST_CHECK bool mb_oplog_start(mongoc_client_t *c, mb_oplog_ts_t *ts, bool *empty,
                                  mb_error_t *err);
/* The oldest entry's timestamp; *empty when the oplog holds no entry (*ts is then 0:0). Errors
 * as the driver's (the caller knows the oplog exists). */
MB_MUST_CHECK bool mb_oplog_oldest(mongoc_client_t *c, mb_oplog_ts_t *ts, bool *empty,
                                   mb_error_t *err);

/* Check that the entry at start is still in the oplog (its oldest entry is not newer): fails
 * with SERVER ("the oplog rolled over") when it is gone. An empty start (0:0) passes. */
MB_MUST_CHECK bool mb_oplog_check_start(mongoc_client_t *c, mb_oplog_ts_t start, mb_error_t *err);

/* Copy every entry with start <= ts <= end to write, in blocks of about 4 MiB; *count receives
 * the number of entries. The bytes are the server's, never decoded. */
MB_MUST_CHECK bool mb_oplog_copy(mongoc_client_t *c, mb_oplog_ts_t start, mb_oplog_ts_t end,
                                 mb_oplog_write_fn write, void *user_data, uint64_t *count,
                                 mb_error_t *err);

/* Check the entries a point-in-time dump copied (len bytes of whole BSON documents) as
 * mongodump --oplog does: an entry that makes the archive restore to no single point fails the
 * dump with SERVER: a renameCollection or importCollection (a collection renamed or imported
 * while the dump ran may be missing from it), a write to admin.system.version, a timeseries
 * format conversion, the start of a resharding (config.reshardingOperations and its local
 * collections created). The caller's copy of the oplog is not affected; a dump again later
 * succeeds. */
MB_MUST_CHECK bool mb_oplog_check_entries(const uint8_t *docs, size_t len, mb_error_t *err);

#endif
