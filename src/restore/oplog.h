/* Oplog entries into ordinary operations (restore --oplog-replay): what one entry of an
 * archive's oplog does, as inserts, updates, deletes and commands any server accepts (FerretDB
 * has no applyOps). Pure translation: it never talks to a server, so every entry format is unit
 * tested from hand-written BSON (tests/unit/test_roplog.c); restore/replay.c executes the result.
 *
 * What each entry becomes (idempotent, as applyOps applies an oplog: a dump with --oplog may
 * hold a document that its oplog inserts again):
 *   i  -> REPLACE {_id} with the document, upsert
 *   d  -> DELETE the one document matching o ({_id}, plus a shard key when present)
 *   u  -> UPDATE o2 with o's operators ($v 1 or none: $set/$unset as given, except FerretDB's
 *         {$v: 1, $set: <whole document with _id>}, a REPLACE; $v 2: the diff as
 *         $set/$unset of dotted paths, array truncations first as TRUNCATE), or
 *         REPLACE o2 with o when o is a whole document; upsert, as applyOps' alwaysUpsert
 *   c  -> COMMAND: create, drop, createIndexes (and commitIndexBuild) as createIndexes with
 *         indexes: [...], dropIndexes (deleteIndexes, dropIndex), renameCollection (on admin,
 *         both names mapped), applyOps (each nested entry, in order); startIndexBuild,
 *         abortIndexBuild, dbCheck and dropDatabase (logged after a drop of each of its
 *         collections) are skipped; anything else is an error
 *   n, and entries of local.* and config.*, are skipped.
 * A transaction's applyOps with partialTxn or prepare is translated as it is given; the replay
 * (restore/replay.h) holds those until the transaction's end and passes prepared ones without
 * "prepare" (given with it, this refuses them).
 * Namespaces go through the restore's map: not selected -> skipped; renamed -> the target. */
#ifndef MB_RESTORE_OPLOG_H
#define MB_RESTORE_OPLOG_H

#include "common/error.h"
#include "restore/nsmap.h"

#include <bson/bson.h>

typedef enum {
   MB_ROPLOG_REPLACE, /* replace (upsert) the document matching filter by doc */
   MB_ROPLOG_UPDATE,  /* update the document matching filter with the operators doc (upsert) */
   MB_ROPLOG_DELETE,  /* delete the one document matching filter */
   MB_ROPLOG_COMMAND, /* run doc on database db */
   MB_ROPLOG_TRUNCATE /* shorten the arrays of the document matching filter: doc is {path: n}
                       * (the replay reads the array and sets its first n elements: FerretDB
                       * ignores $push's $slice and has no pipeline updates) */
} mb_roplog_kind_t;

#define MB_ROPLOG_NKINDS 5 /* the number of kinds above */

/* The kind's name in reports: "replace", "update", "delete", "command", "truncate". */
const char *mb_roplog_kind_name(mb_roplog_kind_t kind);

/* Server error codes a COMMAND may answer that mean its effect is already there (a create of
 * an existing collection, a drop of a missing one): the replay takes them as success. */
#define MB_ROPLOG_MAX_OK_CODES 4

typedef struct {
   mb_roplog_kind_t kind;
   const char *db, *coll; /* target; coll is NULL for a COMMAND */
   const bson_t *filter;  /* REPLACE, UPDATE, DELETE */
   const bson_t *doc;     /* the document, the update operators, or the command */
   bool upsert;
   int ok_codes[MB_ROPLOG_MAX_OK_CODES]; /* COMMAND: codes taken as success; 0 ends the list */
} mb_roplog_action_t;

/* Called once per operation, in order; everything it is given is borrowed for the call. */
typedef bool (*mb_roplog_emit_fn)(void *user_data, const mb_roplog_action_t *a, mb_error_t *err);

/* Translate one oplog entry (len bytes of BSON) into zero or more operations given to emit.
 * map (NULL: every namespace, unrenamed) selects and renames namespaces. *skipped counts the
 * entries (nested ones included) that did nothing on purpose. Errors: CORRUPT for an entry that
 * is not an oplog entry (no op, ns, o; an ill-typed field), USAGE for an entry mongobak cannot
 * replay (a prepared transaction, an unknown command), or emit's error. */
MB_MUST_CHECK bool mb_roplog_translate(const uint8_t *entry, size_t len, const mb_rnsmap_t *map,
                                       mb_roplog_emit_fn emit, void *user_data, uint64_t *skipped,
                                       mb_error_t *err);

/* Convert a $v:2 "diff" document into update operators ($set, $unset of dotted paths) appended
 * to update, and array truncations {path: new length} appended to truncate (to be applied
 * first); either stays empty when the diff has none. CORRUPT for a malformed diff. */
MB_MUST_CHECK bool mb_roplog_diff_to_update(const bson_t *diff, bson_t *update, bson_t *truncate,
                                            mb_error_t *err);

#endif
