/* Oplog timestamps (BSON Timestamp: seconds and an increment within the second): how dump
 * --oplog, restore --oplog-limit and the reports write and read them. */
#ifndef MB_COMMON_OPLOGTS_H
#define MB_COMMON_OPLOGTS_H

#include "common/error.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
   uint32_t t, i;
} mb_oplog_ts_t;

/* <0, 0, >0 as a is older than, equal to, newer than b. */
int mb_oplog_ts_cmp(mb_oplog_ts_t a, mb_oplog_ts_t b);

/* "T:I" into buf (24 bytes are always enough); returns buf. */
const char *mb_oplog_ts_format(mb_oplog_ts_t ts, char *buf, size_t size);

/* Parse "T:I", "T,I" or "T" (I = 0), as mongorestore's --oplogLimit takes it; USAGE naming
 * option on anything else. */
MB_MUST_CHECK bool mb_oplog_ts_parse(const char *option, const char *s, mb_oplog_ts_t *ts,
                                     mb_error_t *err);

/* Parse the point of restore --to-time into *point (inclusive: the entries with ts <= *point
 * are applied): "T:I" is that entry; "T" (seconds) and an ISO 8601 UTC time
 * ("2026-12-03T10:15:00Z") are every entry of that second (*point = T:4294967295). USAGE naming
 * option on anything else. */
MB_MUST_CHECK bool mb_oplog_ts_parse_point(const char *option, const char *s, mb_oplog_ts_t *point,
                                           mb_error_t *err);

/* The timestamp right after ts (the exclusive limit that applies every entry up to ts). */
mb_oplog_ts_t mb_oplog_ts_next(mb_oplog_ts_t ts);

/* The ISO 8601 UTC time of ts's seconds ("2026-12-03T10:15:00Z") into buf (at least 21
 * bytes); returns buf. */
const char *mb_oplog_ts_iso(mb_oplog_ts_t ts, char *buf, size_t size);

#endif
