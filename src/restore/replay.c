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

void mb_rreplay_set_after(mb_rreplay_t *r, mb_oplog_ts_t after)
{
   r->has_after = true;
   r->after = after;
}

void mb_rreplay_destroy(mb_rreplay_t *r)
{
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

bool mb_rreplay_entry(mb_rreplay_t *r, const uint8_t *data, size_t len, mb_error_t *err)
{
   bson_t b;
   bson_iter_t it;
   mb_oplog_ts_t ts = {0, 0};
   uint64_t skipped = 0;
   char buf[24];
   const char *ns = "?";

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
   if (r->has_after && mb_oplog_ts_cmp(ts, r->after) <= 0) {
      r->st.not_after++;
      return true;
   }
   /* as mongorestore: the entries from the limit on are not applied */
   if (r->st.after_limit > 0 || (r->has_limit && mb_oplog_ts_cmp(ts, r->limit) >= 0)) {
      r->st.after_limit++;
      return true;
   }
   r->ops_of_entry = 0;
   if (!mb_roplog_translate(data, len, r->map, run_action, r, &skipped, err)) {
      mb_error_prefix(err, "oplog entry %s (%s)", mb_oplog_ts_format(ts, buf, sizeof buf), ns);
      return false;
   }
   r->st.skipped += skipped;
   r->st.ops += r->ops_of_entry;
   if (r->ops_of_entry > 0) {
      r->st.applied++;
   }
   r->st.last = ts;
   r->st.any = true;
   return true;
}
