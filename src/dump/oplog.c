#include "dump/oplog.h"
#include "common/buf.h"
#include "common/client.h"

#include <string.h>

#define OPLOG_DB "local"
#define OPLOG_COLL "oplog.rs"
#define BLOCK_BYTES (4u << 20)

static bool has_oplog(mongoc_client_t *c, bool *has, mb_error_t *err)
{
   mongoc_database_t *db = mongoc_client_get_database(c, OPLOG_DB);
   bson_t opts = BSON_INITIALIZER, filter;
   bson_error_t de;
   char **names;

   BSON_APPEND_DOCUMENT_BEGIN(&opts, "filter", &filter);
   BSON_APPEND_UTF8(&filter, "name", OPLOG_COLL);
   bson_append_document_end(&opts, &filter);
   names = mongoc_database_get_collection_names_with_opts(db, &opts, &de);
   bson_destroy(&opts);
   mongoc_database_destroy(db);
   if (!names) {
      mb_client_error(err, &de, "listing the collections of database '%s'", OPLOG_DB);
      return false;
   }
   *has = names[0] != NULL;
   bson_strfreev(names);
   return true;
}

/* The timestamp of the first entry in natural order (dir 1) or the last (dir -1). */
static bool edge_ts(mongoc_client_t *c, int dir, mb_oplog_ts_t *ts, bool *empty, mb_error_t *err)
{
   mongoc_collection_t *coll = mongoc_client_get_collection(c, OPLOG_DB, OPLOG_COLL);
   bson_t filter = BSON_INITIALIZER, opts = BSON_INITIALIZER, sort, proj;
   const bson_t *doc;
   bson_error_t de;
   bson_iter_t it;
   bool ok = true;

   BSON_APPEND_DOCUMENT_BEGIN(&opts, "sort", &sort);
   BSON_APPEND_INT32(&sort, "$natural", dir);
   bson_append_document_end(&opts, &sort);
   BSON_APPEND_DOCUMENT_BEGIN(&opts, "projection", &proj);
   BSON_APPEND_INT32(&proj, "ts", 1);
   bson_append_document_end(&opts, &proj);
   BSON_APPEND_INT64(&opts, "limit", 1);
   mongoc_cursor_t *cur = mongoc_collection_find_with_opts(coll, &filter, &opts, NULL);
   *empty = true;
   memset(ts, 0, sizeof *ts);
   if (mongoc_cursor_next(cur, &doc)) {
      *empty = false;
      if (!bson_iter_init_find(&it, doc, "ts") || !BSON_ITER_HOLDS_TIMESTAMP(&it)) {
         mb_error_set(err, MB_EXIT_SERVER,
                      "an entry of %s.%s has no timestamp 'ts': this is not an oplog", OPLOG_DB,
                      OPLOG_COLL);
         ok = false;
      } else {
         bson_iter_timestamp(&it, &ts->t, &ts->i);
      }
   }
   if (ok && mongoc_cursor_error(cur, &de)) {
      mb_client_error(err, &de, "reading the oplog %s.%s", OPLOG_DB, OPLOG_COLL);
      ok = false;
   }
   mongoc_cursor_destroy(cur);
   mongoc_collection_destroy(coll);
   bson_destroy(&filter);
   bson_destroy(&opts);
   return ok;
}

bool mb_oplog_newest(mongoc_client_t *c, mb_oplog_ts_t *ts, bool *empty, mb_error_t *err)
{
   bool has = false;

   if (!has_oplog(c, &has, err)) {
      return false;
   }
   if (!has) {
      mb_error_set(err, MB_EXIT_USAGE,
                   "--oplog: the server has no oplog (no collection %s.%s): a point-in-time dump "
                   "needs a replica set member (a standalone mongod has none; FerretDB writes "
                   "one once %s.%s is created as a capped collection); dump without --oplog",
                   OPLOG_DB, OPLOG_COLL, OPLOG_DB, OPLOG_COLL);
      return false;
   }
   return edge_ts(c, -1, ts, empty, err);
}

/* The startOpTime.ts of the oldest open transaction; *found false when none is open. */
static bool open_txn_start(mongoc_client_t *c, mb_oplog_ts_t *ts, bool *found, mb_error_t *err)
{
   mongoc_collection_t *coll = mongoc_client_get_collection(c, "config", "transactions");
   mongoc_read_concern_t *rc = mongoc_read_concern_new();
   bson_t filter = BSON_INITIALIZER, opts = BSON_INITIALIZER, d, a;
   const bson_t *doc;
   bson_error_t de;
   bson_iter_t it;
   mongoc_cursor_t *cur;
   bool ok = true;

   *found = false;
   BSON_APPEND_DOCUMENT_BEGIN(&filter, "state", &d);
   BSON_APPEND_ARRAY_BEGIN(&d, "$in", &a);
   BSON_APPEND_UTF8(&a, "0", "prepared");
   BSON_APPEND_UTF8(&a, "1", "inProgress");
   bson_append_array_end(&d, &a);
   bson_append_document_end(&filter, &d);
   BSON_APPEND_DOCUMENT_BEGIN(&opts, "sort", &d);
   BSON_APPEND_INT32(&d, "startOpTime", 1);
   bson_append_document_end(&opts, &d);
   BSON_APPEND_INT64(&opts, "limit", 1);
   mongoc_read_concern_set_level(rc, MONGOC_READ_CONCERN_LEVEL_LOCAL);
   mongoc_read_concern_append(rc, &opts);
   cur = mongoc_collection_find_with_opts(coll, &filter, &opts, NULL);
   if (mongoc_cursor_next(cur, &doc)) {
      if (!bson_iter_init(&it, doc) || !bson_iter_find_descendant(&it, "startOpTime.ts", &it) ||
          !BSON_ITER_HOLDS_TIMESTAMP(&it)) {
         mb_error_set(err, MB_EXIT_SERVER,
                      "an open transaction in config.transactions has no timestamp "
                      "'startOpTime.ts', so the oplog copy cannot start where it began; dump "
                      "again once no transaction is open");
         ok = false;
      } else {
         bson_iter_timestamp(&it, &ts->t, &ts->i);
         *found = true;
      }
   }
   if (ok && mongoc_cursor_error(cur, &de)) {
      mb_client_error(err, &de, "reading the open transactions (config.transactions)");
      ok = false;
   }
   mongoc_cursor_destroy(cur);
   mongoc_read_concern_destroy(rc);
   mongoc_collection_destroy(coll);
   bson_destroy(&filter);
   bson_destroy(&opts);
   return ok;
}

bool mb_oplog_start(mongoc_client_t *c, mb_oplog_ts_t *ts, bool *empty, mb_error_t *err)
{
   mb_oplog_ts_t txn;
   bool found;

   if (!mb_oplog_newest(c, ts, empty, err) || !open_txn_start(c, &txn, &found, err)) {
      return false;
   }
   if (found) {
      *ts = txn;
      *empty = false;
   }
   return true;
}

bool mb_oplog_oldest(mongoc_client_t *c, mb_oplog_ts_t *ts, bool *empty, mb_error_t *err)
{
   return edge_ts(c, 1, ts, empty, err);
}

bool mb_oplog_check_start(mongoc_client_t *c, mb_oplog_ts_t start, mb_error_t *err)
{
   mb_oplog_ts_t oldest;
   bool empty;
   char a[24], b[24];

   if (start.t == 0 && start.i == 0) {
      return true;
   }
   if (!edge_ts(c, 1, &oldest, &empty, err)) {
      return false;
   }
   if (empty || mb_oplog_ts_cmp(oldest, start) > 0) {
      mb_error_set(err, MB_EXIT_SERVER,
                   "the oplog rolled over during the dump: its entry %s (the dump's start) is gone "
                   "(the oldest is %s), so the archive cannot restore to one point in time; "
                   "enlarge the oplog or dump faster (--jobs), then dump again",
                   mb_oplog_ts_format(start, a, sizeof a),
                   empty ? "none" : mb_oplog_ts_format(oldest, b, sizeof b));
      return false;
   }
   return true;
}

static void append_ts(bson_t *doc, const char *key, mb_oplog_ts_t ts)
{
   bson_append_timestamp(doc, key, -1, ts.t, ts.i);
}

bool mb_oplog_copy(mongoc_client_t *c, mb_oplog_ts_t start, mb_oplog_ts_t end,
                   mb_oplog_write_fn write, void *user_data, uint64_t *count, mb_error_t *err)
{
   mongoc_collection_t *coll = mongoc_client_get_collection(c, OPLOG_DB, OPLOG_COLL);
   bson_t filter = BSON_INITIALIZER, range;
   mb_buf_t buf;
   const bson_t *doc;
   bson_error_t de;
   mongoc_cursor_t *cur;
   bool ok = true;

   mb_buf_init(&buf, BLOCK_BYTES + (17u << 20)); /* a block plus one entry of 16 MiB and more */
   *count = 0;
   BSON_APPEND_DOCUMENT_BEGIN(&filter, "ts", &range);
   append_ts(&range, "$gte", start);
   append_ts(&range, "$lte", end);
   bson_append_document_end(&filter, &range);
   cur = mongoc_collection_find_with_opts(coll, &filter, NULL, NULL);
   while (ok && mongoc_cursor_next(cur, &doc)) {
      if (buf.len > 0 && buf.len + doc->len > BLOCK_BYTES) {
         ok = write(user_data, buf.data, buf.len, err);
         mb_buf_reset(&buf);
      }
      ok = ok && mb_buf_append(&buf, bson_get_data(doc), doc->len, err);
      (*count)++;
   }
   if (ok && mongoc_cursor_error(cur, &de)) {
      mb_client_error(err, &de, "reading the oplog %s.%s", OPLOG_DB, OPLOG_COLL);
      ok = false;
   }
   if (ok && buf.len > 0) {
      ok = write(user_data, buf.data, buf.len, err);
   }
   mongoc_cursor_destroy(cur);
   mongoc_collection_destroy(coll);
   bson_destroy(&filter);
   mb_buf_destroy(&buf);
   return ok;
}

/* Why entry e cannot be in a point-in-time archive (a static string), or NULL. */
static const char *unrestorable(const bson_t *e)
{
   static const char *const resharding[] = {"reshardingOperations",
                                            "localReshardingOperations.donor",
                                            "localReshardingOperations.recipient"};
   bson_iter_t it, o;
   const char *ns = NULL;

   if (bson_iter_init_find(&it, e, "ns") && BSON_ITER_HOLDS_UTF8(&it)) {
      ns = bson_iter_utf8(&it, NULL);
   }
   if (ns && strcmp(ns, "admin.system.version") == 0) {
      return "a write to admin.system.version (the feature compatibility version or the auth "
             "schema changed)";
   }
   if (!bson_iter_init_find(&it, e, "o") || !BSON_ITER_HOLDS_DOCUMENT(&it)) {
      return NULL;
   }
   if (bson_iter_recurse(&it, &o) && bson_iter_find(&o, "renameCollection")) {
      return "a renameCollection (a collection renamed while the dump ran may be missing from "
             "the archive)";
   }
   if (bson_iter_recurse(&it, &o) && bson_iter_find(&o, "importCollection")) {
      return "an importCollection";
   }
   if (bson_iter_recurse(&it, &o) && bson_iter_find(&o, "upgradeDowngradeViewlessTimeseries")) {
      return "a timeseries format conversion";
   }
   if (ns && strncmp(ns, "config.", 7) == 0 && bson_iter_recurse(&it, &o) &&
       bson_iter_find(&o, "create") && BSON_ITER_HOLDS_UTF8(&o)) {
      for (size_t k = 0; k < sizeof resharding / sizeof resharding[0]; k++) {
         if (strcmp(bson_iter_utf8(&o, NULL), resharding[k]) == 0) {
            return "the start of a resharding";
         }
      }
   }
   return NULL;
}

bool mb_oplog_check_entries(const uint8_t *docs, size_t len, mb_error_t *err)
{
   size_t off = 0;

   while (off + 5 <= len) {
      uint32_t n;
      bson_t e;
      bson_iter_t it;
      const char *why;
      mb_oplog_ts_t ts = {0, 0};
      char buf[24];
      memcpy(&n, docs + off, 4);
      n = BSON_UINT32_FROM_LE(n);
      if (n < 5 || n > len - off || !bson_init_static(&e, docs + off, n)) {
         mb_error_set(err, MB_EXIT_SERVER, "the server sent an oplog entry that is not BSON");
         return false;
      }
      if ((why = unrestorable(&e)) != NULL) {
         if (bson_iter_init_find(&it, &e, "ts") && BSON_ITER_HOLDS_TIMESTAMP(&it)) {
            bson_iter_timestamp(&it, &ts.t, &ts.i);
         }
         mb_error_set(err, MB_EXIT_SERVER,
                      "the oplog written during the dump holds %s at %s, so the archive cannot "
                      "restore to one point in time (mongodump --oplog refuses it too); dump "
                      "again when none runs",
                      why, mb_oplog_ts_format(ts, buf, sizeof buf));
         return false;
      }
      off += n;
   }
   return true;
}
