#include "restore/replay.h"
#include "common/client.h"
#include "restore/oplog.h"

#include <string.h>

struct mb_rreplay {
   mongoc_client_t *cl;
   const mb_rnsmap_t *map;
   bool has_limit;
   mb_oplog_ts_t limit;
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
                      a->kind == MB_ROPLOG_COMMAND   ? "a command"
                      : a->kind == MB_ROPLOG_DELETE  ? "a delete"
                      : a->kind == MB_ROPLOG_REPLACE ? "an upsert"
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
