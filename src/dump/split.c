#include "dump/split.h"

#include <stdlib.h>
#include <string.h>

static void add_bound(mb_split_t *s, const bson_value_t *v)
{
   bson_t **b = realloc(s->bounds, (size_t) (s->nbounds + 1) * sizeof *b);

   if (!b) {
      return;
   }
   s->bounds = b;
   b[s->nbounds] = bson_new();
   bson_append_value(b[s->nbounds], "_id", 3, v);
   s->nbounds++;
}

static bool by_split_vector(mongoc_client_t *client, const char *db, const char *coll,
                            int64_t size_bytes, int ranges, mb_split_t *s)
{
   bson_t *cmd, reply;
   bson_iter_t it, keys, id;
   char *ns = bson_strdup_printf("%s.%s", db, coll);
   int64_t chunk = size_bytes / ranges > 1024 * 1024 ? size_bytes / ranges : 1024 * 1024;
   bool ok;

   cmd = BCON_NEW("splitVector", BCON_UTF8(ns), "keyPattern", "{", "_id", BCON_INT32(1), "}",
                  "maxChunkSizeBytes", BCON_INT64(chunk));
   ok = mongoc_client_command_simple(client, db, cmd, NULL, &reply, NULL) &&
        bson_iter_init_find(&it, &reply, "splitKeys") && bson_iter_recurse(&it, &keys);
   while (ok && bson_iter_next(&keys)) {
      if (bson_iter_recurse(&keys, &id) && bson_iter_find(&id, "_id")) {
         add_bound(s, bson_iter_value(&id));
      }
   }
   bson_destroy(&reply);
   bson_destroy(cmd);
   bson_free(ns);
   return ok;
}

static bool by_bucket_auto(mongoc_client_t *client, const char *db, const char *coll, int ranges,
                           mb_split_t *s)
{
   mongoc_collection_t *c = mongoc_client_get_collection(client, db, coll);
   bson_t *pipeline =
       BCON_NEW("pipeline", "[", "{", "$sample", "{", "size", BCON_INT32(ranges * 50), "}", "}",
                "{", "$bucketAuto", "{", "groupBy", BCON_UTF8("$_id"), "buckets",
                BCON_INT32(ranges), "}", "}", "]");
   mongoc_cursor_t *cur = mongoc_collection_aggregate(c, MONGOC_QUERY_NONE, pipeline, NULL, NULL);
   const bson_t *doc;
   bool first = true, ok;

   while (mongoc_cursor_next(cur, &doc)) {
      bson_iter_t it, min;
      if (!first && bson_iter_init_find(&it, doc, "_id") && bson_iter_recurse(&it, &min) &&
          bson_iter_find(&min, "min")) {
         add_bound(s, bson_iter_value(&min));
      }
      first = false;
   }
   ok = !mongoc_cursor_error(cur, NULL);
   mongoc_cursor_destroy(cur);
   bson_destroy(pipeline);
   mongoc_collection_destroy(c);
   return ok;
}

void mb_split_find(mongoc_client_t *client, const char *db, const char *coll, int64_t size_bytes,
                   int ranges, mb_split_t *s)
{
   memset(s, 0, sizeof *s);
   if (by_split_vector(client, db, coll, size_bytes, ranges, s) && s->nbounds > 0) {
      s->method = MB_SPLIT_MINMAX;
      s->how = "splitVector";
      return;
   }
   mb_split_clear(s);
   if (by_bucket_auto(client, db, coll, ranges, s) && s->nbounds > 0) {
      s->method = MB_SPLIT_MINMAX;
      s->how = "$sample + $bucketAuto";
      return;
   }
   mb_split_clear(s);
   s->how = "this server has neither splitVector nor $sample + $bucketAuto";
}

void mb_split_clear(mb_split_t *s)
{
   for (int i = 0; i < s->nbounds; i++) {
      bson_destroy(s->bounds[i]);
   }
   free(s->bounds);
   s->bounds = NULL;
   s->nbounds = 0;
   s->method = MB_SPLIT_NONE;
}
