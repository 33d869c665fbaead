#include "restore/replay.h"
#include "common/client.h"
#include "restore/oplog.h"

#include <string.h>

struct mb_rreplay {
   mongoc_client_t *cl;
   const mb_rnsmap_t *map;
   bool has_limit;
   mb_oplog_ts_t limit;
   bool has_after;
   mb_oplog_ts_t after;
   mb_rreplay_stats_t st;
   uint64_t ops_of_entry;
   /* The applyOps entries of a transaction not ended yet (partialTxn: true, or a prepared
    * transaction's, prepare: true), held until the entry that ends it (its last applyOps, or
    * commitTransaction; abortTransaction drops them), as mongorestore holds them: a limit before
    * that entry leaves the whole transaction out, never a part of it. Counted as skipped while
    * held. */
   bson_t **held;
   size_t nheld, held_cap;
};

mb_rreplay_t *mb_rreplay_new(mongoc_client_t *cl, const mb_rnsmap_t *map,
                             const mb_oplog_ts_t *limit)
{
   mb_rreplay_t *r = bson_malloc0(sizeof *r);

   r->cl = cl;
   r->map = map;
   if (limit) {
      r->has_limit = true;
      r->limit = *limit;
   }
   return r;
}

static void drop_held(mb_rreplay_t *r)
{
   for (size_t i = 0; i < r->nheld; i++) {
      bson_destroy(r->held[i]);
   }
   r->nheld = 0;
}

void mb_rreplay_set_after(mb_rreplay_t *r, mb_oplog_ts_t after)
{
   r->has_after = true;
   r->after = after;
}

void mb_rreplay_destroy(mb_rreplay_t *r)
{
   if (!r) {
      return;
   }
   drop_held(r);
   bson_free(r->held);
   bson_free(r);
}

const mb_rreplay_stats_t *mb_rreplay_stats(const mb_rreplay_t *r)
{
   return &r->st;
}

static bool code_ok(const mb_roplog_action_t *a, uint32_t code)
{
   for (int i = 0; i < MB_ROPLOG_MAX_OK_CODES && a->ok_codes[i]; i++) {
      if ((uint32_t) a->ok_codes[i] == code) {
         return true;
      }
   }
   return false;
}

/* The first n elements of the array at it, as an array under path in set. */
static void array_prefix(bson_t *set, const char *path, bson_iter_t *it, int64_t n)
{
   bson_iter_t el;
   bson_t arr;
   int64_t i = 0;

   BSON_APPEND_ARRAY_BEGIN(set, path, &arr);
   if (bson_iter_recurse(it, &el)) {
      while (i < n && bson_iter_next(&el)) {
         char key[24];
         const char *k;
         bson_uint32_to_string((uint32_t) i++, &k, key, sizeof key);
         bson_append_iter(&arr, k, -1, &el);
      }
   }
   bson_append_array_end(set, &arr);
}

/* TRUNCATE: read the document, set each array to its first n elements. A document or an array
 * that is not there any more is left alone (a later entry removed it). */
static bool truncate_arrays(mongoc_collection_t *coll, const mb_roplog_action_t *a,
                            bson_error_t *de)
{
   mongoc_cursor_t *cur = mongoc_collection_find_with_opts(coll, a->filter, NULL, NULL);
   bson_t set = BSON_INITIALIZER, update = BSON_INITIALIZER;
   const bson_t *doc;
   bson_iter_t want, at;
   bool ok = true;

   if (mongoc_cursor_next(cur, &doc) && bson_iter_init(&want, a->doc)) {
      while (bson_iter_next(&want)) {
         const char *path = bson_iter_key(&want);
         if (bson_iter_init(&at, doc) && bson_iter_find_descendant(&at, path, &at) &&
             BSON_ITER_HOLDS_ARRAY(&at)) {
            array_prefix(&set, path, &at, bson_iter_as_int64(&want));
         }
      }
   }
   if (mongoc_cursor_error(cur, de)) {
      ok = false;
   } else if (!bson_empty(&set)) {
      BSON_APPEND_DOCUMENT(&update, "$set", &set);
      ok = mongoc_collection_update_one(coll, a->filter, &update, NULL, NULL, de);
   }
   mongoc_cursor_destroy(cur);
   bson_destroy(&set);
   bson_destroy(&update);
   return ok;
}

static bool run_action(void *user_data, const mb_roplog_action_t *a, mb_error_t *err)
{
   mb_rreplay_t *r = user_data;
   mongoc_collection_t *coll = NULL;
   bson_t opts = BSON_INITIALIZER, reply;
   bson_error_t de;
   bool ok;

   r->ops_of_entry++;
   if ((unsigned) a->kind < MB_ROPLOG_NKINDS) {
      r->st.ops_by_kind[a->kind]++;
   }
   if (!r->cl) {
      bson_destroy(&opts);
      return true; /* a dry run */
   }
   if (a->kind != MB_ROPLOG_COMMAND) {
      coll = mongoc_client_get_collection(r->cl, a->db, a->coll);
   }
   if (a->upsert) {
      BSON_APPEND_BOOL(&opts, "upsert", true);
   }
   switch (a->kind) {
   case MB_ROPLOG_REPLACE:
      ok = mongoc_collection_replace_one(coll, a->filter, a->doc, &opts, &reply, &de);
      break;
   case MB_ROPLOG_UPDATE:
      ok = mongoc_collection_update_one(coll, a->filter, a->doc, &opts, &reply, &de);
      break;
   case MB_ROPLOG_DELETE:
      ok = mongoc_collection_delete_one(coll, a->filter, NULL, &reply, &de);
      break;
   case MB_ROPLOG_TRUNCATE:
      bson_init(&reply);
      ok = truncate_arrays(coll, a, &de);
      break;
   default:
      ok = mongoc_client_command_simple(r->cl, a->db, a->doc, NULL, &reply, &de) ||
           code_ok(a, de.code);
      break;
   }
   bson_destroy(&reply);
   bson_destroy(&opts);
   mongoc_collection_destroy(coll);
   if (!ok) {
      mb_client_error(err, &de, "%s on '%s%s%s'",
                      a->kind == MB_ROPLOG_COMMAND    ? "a command"
                      : a->kind == MB_ROPLOG_TRUNCATE ? "an array truncation"
                      : a->kind == MB_ROPLOG_DELETE   ? "a delete"
                      : a->kind == MB_ROPLOG_REPLACE  ? "an upsert"
                                                      : "an update",
                      a->db, a->coll ? "." : "", a->coll ? a->coll : "");
   }
   return ok;
}

typedef enum {
   TXN_NONE,    /* not an entry of a transaction's own */
   TXN_PART,    /* applyOps with partialTxn: true: more of the transaction follows */
   TXN_PREPARE, /* applyOps with prepare: true: applied by a later commitTransaction */
   TXN_LAST,    /* applyOps that ends (commits) its transaction */
   TXN_COMMIT,  /* commitTransaction of a prepared transaction */
   TXN_ABORT    /* abortTransaction of a prepared transaction */
} txn_kind_t;

/* What entry b is to a transaction; *lsid / *txn identify the transaction (lsid's bytes,
 * txnNumber). */
static txn_kind_t txn_entry(const bson_t *b, const uint8_t **lsid, uint32_t *lsid_len, int64_t *txn)
{
   bson_iter_t it, o;
   txn_kind_t kind;

   *lsid = NULL;
   *lsid_len = 0;
   *txn = -1;
   if (!bson_iter_init_find(&it, b, "op") || !BSON_ITER_HOLDS_UTF8(&it) ||
       strcmp(bson_iter_utf8(&it, NULL), "c") != 0 || !bson_iter_init_find(&it, b, "o") ||
       !BSON_ITER_HOLDS_DOCUMENT(&it) || !bson_iter_recurse(&it, &o) || !bson_iter_next(&o)) {
      return TXN_NONE;
   }
   if (strcmp(bson_iter_key(&o), "commitTransaction") == 0) {
      kind = TXN_COMMIT;
   } else if (strcmp(bson_iter_key(&o), "abortTransaction") == 0) {
      kind = TXN_ABORT;
   } else if (bson_iter_recurse(&it, &o) && bson_iter_find(&o, "applyOps")) {
      kind = TXN_LAST;
      if (bson_iter_recurse(&it, &o) && bson_iter_find(&o, "partialTxn") && bson_iter_as_bool(&o)) {
         kind = TXN_PART;
      } else if (bson_iter_recurse(&it, &o) && bson_iter_find(&o, "prepare") &&
                 bson_iter_as_bool(&o)) {
         kind = TXN_PREPARE;
      }
   } else {
      return TXN_NONE;
   }
   if (bson_iter_init_find(&it, b, "lsid") && BSON_ITER_HOLDS_DOCUMENT(&it)) {
      bson_iter_document(&it, lsid_len, lsid);
   }
   if (bson_iter_init_find(&it, b, "txnNumber") && BSON_ITER_HOLDS_NUMBER(&it)) {
      *txn = bson_iter_as_int64(&it);
   }
   return kind;
}

/* A copy of entry b to hold, without o's "prepare" (applied at the commit, it is an ordinary
 * applyOps then). */
static bson_t *held_copy(const bson_t *b)
{
   bson_t *out = bson_new(), o;
   bson_iter_t it, f;

   bson_iter_init(&it, b);
   while (bson_iter_next(&it)) {
      if (strcmp(bson_iter_key(&it), "o") != 0 || !BSON_ITER_HOLDS_DOCUMENT(&it) ||
          !bson_iter_recurse(&it, &f)) {
         bson_append_iter(out, NULL, 0, &it);
         continue;
      }
      BSON_APPEND_DOCUMENT_BEGIN(out, "o", &o);
      while (bson_iter_next(&f)) {
         if (strcmp(bson_iter_key(&f), "prepare") != 0) {
            bson_append_iter(&o, NULL, 0, &f);
         }
      }
      bson_append_document_end(out, &o);
   }
   return out;
}

/* Keep a transaction's entry until the entry that ends it; counted as skipped while held. */
static void hold(mb_rreplay_t *r, const bson_t *b)
{
   if (r->nheld == r->held_cap) {
      r->held_cap = r->held_cap ? r->held_cap * 2 : 8;
      r->held = bson_realloc(r->held, r->held_cap * sizeof *r->held);
   }
   r->held[r->nheld++] = held_copy(b);
   r->st.skipped++;
}

static bool same_txn(const bson_t *held, const uint8_t *lsid, uint32_t lsid_len, int64_t txn)
{
   const uint8_t *hl;
   uint32_t hl_len;
   int64_t ht;

   return txn_entry(held, &hl, &hl_len, &ht) != TXN_NONE && ht == txn && hl_len == lsid_len &&
          (lsid_len == 0 || memcmp(hl, lsid, lsid_len) == 0);
}

/* Whether an entry of the transaction (lsid, txn) is held. */
static bool holds_txn(const mb_rreplay_t *r, const uint8_t *lsid, uint32_t lsid_len, int64_t txn)
{
   for (size_t i = 0; i < r->nheld; i++) {
      if (same_txn(r->held[i], lsid, lsid_len, txn)) {
         return true;
      }
   }
   return false;
}

/* The entry's prevOpTime.ts: where the previous entry of its transaction is; 0:0 (as MongoDB
 * writes it for a transaction's first entry) when it has none. */
static mb_oplog_ts_t prev_op_ts(const bson_t *b)
{
   mb_oplog_ts_t ts = {0, 0};
   bson_iter_t it;

   if (bson_iter_init(&it, b) && bson_iter_find_descendant(&it, "prevOpTime.ts", &it) &&
       BSON_ITER_HOLDS_TIMESTAMP(&it)) {
      bson_iter_timestamp(&it, &ts.t, &ts.i);
   }
   return ts;
}

/* Translate and run one entry; false with err prefixed by its timestamp and namespace. */
static bool apply_entry(mb_rreplay_t *r, const bson_t *b, mb_oplog_ts_t ts, const char *ns,
                        mb_error_t *err)
{
   uint64_t skipped = 0;
   char buf[24];

   r->ops_of_entry = 0;
   if (!mb_roplog_translate(bson_get_data(b), b->len, r->map, run_action, r, &skipped, err)) {
      mb_error_prefix(err, "oplog entry %s (%s)", mb_oplog_ts_format(ts, buf, sizeof buf), ns);
      return false;
   }
   r->st.skipped += skipped;
   r->st.ops += r->ops_of_entry;
   if (r->ops_of_entry > 0) {
      r->st.applied++;
   }
   return true;
}

/* Apply (or, abort: drop) the held entries of one transaction. */
static bool apply_held(mb_rreplay_t *r, const uint8_t *lsid, uint32_t lsid_len, int64_t txn,
                       bool abort, mb_error_t *err)
{
   size_t kept = 0;
   bool ok = true;

   for (size_t i = 0; i < r->nheld; i++) {
      bson_t *h = r->held[i];
      bson_iter_t it;
      mb_oplog_ts_t ts = {0, 0};
      if (!ok || !same_txn(h, lsid, lsid_len, txn)) {
         r->held[kept++] = h;
         continue;
      }
      if (bson_iter_init_find(&it, h, "ts") && BSON_ITER_HOLDS_TIMESTAMP(&it)) {
         bson_iter_timestamp(&it, &ts.t, &ts.i);
      }
      if (!abort) {
         r->st.skipped--; /* counted as skipped while held */
         ok = apply_entry(r, h, ts, "admin.$cmd", err);
      }
      bson_destroy(h);
   }
   r->nheld = kept;
   return ok;
}

bool mb_rreplay_entry(mb_rreplay_t *r, const uint8_t *data, size_t len, mb_error_t *err)
{
   bson_t b;
   bson_iter_t it;
   mb_oplog_ts_t ts = {0, 0};
   const char *ns = "?";
   const uint8_t *lsid;
   uint32_t lsid_len;
   int64_t txn;
   txn_kind_t kind;

   r->st.entries++;
   if (!bson_init_static(&b, data, len)) {
      mb_error_set(err, MB_EXIT_CORRUPT, "oplog entry %llu is not a BSON document",
                   (unsigned long long) r->st.entries);
      return false;
   }
   if (bson_iter_init_find(&it, &b, "ts") && BSON_ITER_HOLDS_TIMESTAMP(&it)) {
      bson_iter_timestamp(&it, &ts.t, &ts.i);
   }
   if (bson_iter_init_find(&it, &b, "ns") && BSON_ITER_HOLDS_UTF8(&it)) {
      ns = bson_iter_utf8(&it, NULL);
   }
   /* as mongorestore: the entries from the limit on are not applied */
   if (r->st.after_limit > 0 || (r->has_limit && mb_oplog_ts_cmp(ts, r->limit) >= 0)) {
      /* a transaction that ends at or after the limit is left out whole */
      r->st.skipped -= r->nheld;
      r->st.after_limit += r->nheld + 1;
      drop_held(r);
      return true;
   }
   kind = txn_entry(&b, &lsid, &lsid_len, &txn);
   if (r->has_after && mb_oplog_ts_cmp(ts, r->after) <= 0) {
      /* at or before the lower bound: in the data restored already, except the parts of a
       * transaction that ends after it, which must then run whole: held as after the bound, and
       * forgotten (counted before the bound) when their transaction ends before it */
      if (kind == TXN_PART || kind == TXN_PREPARE) {
         hold(r, &b);
         return true;
      }
      r->st.not_after++;
      if (kind != TXN_NONE && r->nheld > 0) {
         size_t before = r->nheld;
         if (!apply_held(r, lsid, lsid_len, txn, true, err)) {
            return false;
         }
         r->st.skipped -= before - r->nheld;
         r->st.not_after += before - r->nheld;
      }
      return true;
   }
   if (kind == TXN_PART || kind == TXN_PREPARE) {
      hold(r, &b);
      return true;
   }
   if ((kind == TXN_LAST || kind == TXN_COMMIT) && !holds_txn(r, lsid, lsid_len, txn)) {
      mb_oplog_ts_t prev = prev_op_ts(&b);
      if (prev.t != 0 || prev.i != 0) {
         char buf[24], pbuf[24];
         mb_error_set(err, MB_EXIT_CORRUPT,
                      "oplog entry %s (%s): the transaction it ends has an earlier entry (%s) "
                      "that is not among the entries read, so it cannot be applied whole; restore "
                      "an earlier backup, or stop the replay before it (--oplog-limit %s)",
                      mb_oplog_ts_format(ts, buf, sizeof buf), ns,
                      mb_oplog_ts_format(prev, pbuf, sizeof pbuf), buf);
         return false;
      }
   }
   if (kind != TXN_NONE && r->nheld > 0 &&
       !apply_held(r, lsid, lsid_len, txn, kind == TXN_ABORT, err)) {
      return false;
   }
   if (kind == TXN_COMMIT || kind == TXN_ABORT) {
      r->st.skipped++; /* the entry itself changes nothing */
      r->st.last = ts;
      r->st.any = true;
      return true;
   }
   if (!apply_entry(r, &b, ts, ns, err)) {
      return false;
   }
   r->st.last = ts;
   r->st.any = true;
   return true;
}
