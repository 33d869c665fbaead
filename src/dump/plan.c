#include "dump/plan.h"
#include "common/client.h"
#include "common/nsmatch.h"

#include <stdlib.h>
#include <string.h>

static const char *config_kept[] = {"chunks", "collections", "databases", "settings",
                                    "shards", "tags",        "version",   NULL};
static const char *admin_special[] = {"system.users", "system.roles", "system.version", NULL};

static bool in_list(const char *s, const char *const *list)
{
   for (; list && *list; list++) {
      if (strcmp(s, *list) == 0) {
         return true;
      }
   }
   return false;
}

void mb_plan_compact_json(char *json)
{
   char *w = json;
   bool in_str = false, esc = false;

   for (const char *r = json; *r; r++) {
      if (in_str) {
         *w++ = *r;
         if (esc) {
            esc = false;
         } else if (*r == '\\') {
            esc = true;
         } else if (*r == '"') {
            in_str = false;
         }
      } else if (*r == '"') {
         in_str = true;
         *w++ = *r;
      } else if (*r != ' ' && *r != '\n' && *r != '\t' && *r != '\r') {
         *w++ = *r;
      }
   }
   *w = '\0';
}

char *mb_plan_metadata_json(const bson_t *options, const bson_t *indexes_array,
                            const bson_value_t *uuid, const char *name, const char *type)
{
   bson_t doc = BSON_INITIALIZER;
   char *json;

   if (options && !bson_empty(options)) {
      BSON_APPEND_DOCUMENT(&doc, "options", options);
   }
   if (indexes_array) {
      BSON_APPEND_ARRAY(&doc, "indexes", indexes_array);
   } else {
      bson_t empty = BSON_INITIALIZER;
      BSON_APPEND_ARRAY(&doc, "indexes", &empty);
      bson_destroy(&empty);
   }
   if (uuid && uuid->value_type == BSON_TYPE_BINARY &&
       uuid->value.v_binary.subtype == BSON_SUBTYPE_UUID && uuid->value.v_binary.data_len == 16) {
      char hex[33];
      for (int i = 0; i < 16; i++) {
         snprintf(hex + 2 * i, 3, "%02x", uuid->value.v_binary.data[i]);
      }
      BSON_APPEND_UTF8(&doc, "uuid", hex);
   }
   BSON_APPEND_UTF8(&doc, "collectionName", name);
   if (type && *type) {
      BSON_APPEND_UTF8(&doc, "type", type);
   }
   json = bson_as_canonical_extended_json(&doc, NULL);
   bson_destroy(&doc);
   mb_plan_compact_json(json);
   return json;
}

static void plan_warn(mb_plan_t *p, const char *msg)
{
   p->warnings = bson_realloc(p->warnings, (size_t) (p->nwarnings + 2) * sizeof *p->warnings);
   p->warnings[p->nwarnings++] = bson_strdup(msg);
   p->warnings[p->nwarnings] = NULL;
}

static mb_plan_ns_t *plan_add(mb_plan_t *p)
{
   mb_plan_ns_t *n = realloc(p->ns, (size_t) (p->nns + 1) * sizeof *n);
   if (!n) {
      return NULL;
   }
   p->ns = n;
   n = &p->ns[p->nns++];
   memset(n, 0, sizeof *n);
   return n;
}

/* listIndexes of db.coll as a BSON array (made for the caller). */
static bool list_indexes(mongoc_database_t *db, const char *coll, bson_t *out, mb_error_t *err)
{
   mongoc_collection_t *c = mongoc_database_get_collection(db, coll);
   mongoc_cursor_t *cur = mongoc_collection_find_indexes_with_opts(c, NULL);
   const bson_t *doc;
   bson_error_t e;
   char key[16];
   uint32_t i = 0;
   bool ok = true;

   bson_init(out);
   while (mongoc_cursor_next(cur, &doc)) {
      const char *k;
      bson_uint32_to_string(i++, &k, key, sizeof key);
      BSON_APPEND_DOCUMENT(out, k, doc);
   }
   if (mongoc_cursor_error(cur, &e)) {
      mb_client_error(err, &e, "listIndexes on '%s.%s' failed", mongoc_database_get_name(db), coll);
      ok = false;
   }
   mongoc_cursor_destroy(cur);
   mongoc_collection_destroy(c);
   return ok;
}

/* Size and count for ordering, average size for batch sizes; failures only cost the ordering
 * and a first batch of mongodump's size. */
static void collection_size(mongoc_database_t *db, const char *coll, mb_plan_ns_t *n)
{
   bson_t cmd = BSON_INITIALIZER, reply;
   bson_iter_t it;

   BSON_APPEND_UTF8(&cmd, "collStats", coll);
   if (mongoc_database_command_simple(db, &cmd, NULL, &reply, NULL)) {
      if (bson_iter_init_find(&it, &reply, "size") && BSON_ITER_HOLDS_NUMBER(&it)) {
         n->size_bytes = bson_iter_as_int64(&it);
      }
      if (bson_iter_init_find(&it, &reply, "count") && BSON_ITER_HOLDS_NUMBER(&it)) {
         n->count = bson_iter_as_int64(&it);
      }
      if (bson_iter_init_find(&it, &reply, "avgObjSize") && BSON_ITER_HOLDS_NUMBER(&it)) {
         n->avg_obj_size = bson_iter_as_int64(&it);
      } else if (n->count > 0) {
         n->avg_obj_size = n->size_bytes / n->count;
      }
   }
   bson_destroy(&reply);
   bson_destroy(&cmd);
}

bool mb_plan_selected(const mb_plan_opts_t *o, const char *db, const char *coll)
{
   char ns[1024];

   snprintf(ns, sizeof ns, "%s.%s", db, coll);
   if (o->include && o->include[0]) {
      bool any = false;
      for (const char *const *p = o->include; *p && !any; p++) {
         any = mb_ns_match(*p, ns);
      }
      if (!any) {
         return false;
      }
   }
   for (const char *const *p = o->exclude; p && *p; p++) {
      if (mb_ns_match(*p, ns)) {
         return false;
      }
   }
   return true;
}

bool mb_plan_enumerable(const char *db, const char *coll, bool db_given)
{
   if (strcmp(db, "config") == 0 && !db_given) {
      return in_list(coll, config_kept);
   }
   if (strncmp(coll, "system.", 7) == 0) {
      return strcmp(coll, "system.js") == 0;
   }
   return strchr(coll, '$') == NULL;
}

typedef struct {
   const char *name, *type;
   bson_t options;
   const bson_value_t *uuid;
} coll_info_t;

static bool add_collection(mb_plan_t *p, const mb_plan_opts_t *o, mongoc_database_t *db,
                           const coll_info_t *ci, mb_error_t *err)
{
   const char *dbname = mongoc_database_get_name(db);
   bool is_view = strcmp(ci->type, "view") == 0;
   bool is_ts = strcmp(ci->type, "timeseries") == 0;
   bson_t options = BSON_INITIALIZER, indexes = BSON_INITIALIZER;
   mb_plan_ns_t *n;
   bool ok = true;

   bson_copy_to_excluding_noinit(&ci->options, &options, o->views_as_collections ? "viewOn" : "",
                                 o->views_as_collections ? "pipeline" : "", NULL);
   if (!is_view && !o->views_as_collections && !list_indexes(db, ci->name, &indexes, err)) {
      ok = false;
      goto done;
   }
   n = plan_add(p);
   if (!n) {
      mb_error_set(err, MB_EXIT_FAILURE, "out of memory");
      ok = false;
      goto done;
   }
   n->db = bson_strdup(dbname);
   n->collection = bson_strdup(ci->name);
   n->type = bson_strdup(ci->type);
   n->metadata = mb_plan_metadata_json(&options, &indexes, ci->uuid, ci->name, ci->type);
   n->source_db = bson_strdup(dbname);
   n->source_collection =
       is_ts ? bson_strdup_printf("system.buckets.%s", ci->name) : bson_strdup(ci->name);
   n->read_data = !is_view || o->views_as_collections;
   n->natural_hint = !is_view && !o->query;
   n->filter = o->query ? bson_copy(o->query) : NULL;
   n->kind = mb_archive_ns_kind(n->db, n->collection);
   {
      bson_iter_t it;
      n->capped = bson_iter_init_find(&it, &ci->options, "capped") && bson_iter_as_bool(&it);
   }
   if (n->read_data && !is_view) {
      collection_size(db, n->source_collection, n);
   }
done:
   bson_destroy(&options);
   bson_destroy(&indexes);
   return ok;
}

static bool plan_database(mb_plan_t *p, const mb_plan_opts_t *o, mongoc_client_t *client,
                          const char *dbname, bool specials_only, mb_error_t *err)
{
   mongoc_database_t *db = mongoc_client_get_database(client, dbname);
   bson_t opts = BSON_INITIALIZER, filter;
   mongoc_cursor_t *cur;
   const bson_t *info;
   bson_error_t e;
   bool ok = true;

   if (o->collection) {
      BSON_APPEND_DOCUMENT_BEGIN(&opts, "filter", &filter);
      BSON_APPEND_UTF8(&filter, "name", o->collection);
      bson_append_document_end(&opts, &filter);
   }
   cur = mongoc_database_find_collections_with_opts(db, &opts);
   while (ok && mongoc_cursor_next(cur, &info)) {
      coll_info_t ci = {"", "collection", BSON_INITIALIZER, NULL};
      bson_iter_t it, sub;
      bool special;
      if (bson_iter_init_find(&it, info, "name") && BSON_ITER_HOLDS_UTF8(&it)) {
         ci.name = bson_iter_utf8(&it, NULL);
      }
      if (bson_iter_init_find(&it, info, "type") && BSON_ITER_HOLDS_UTF8(&it)) {
         ci.type = bson_iter_utf8(&it, NULL);
      }
      special = strcmp(dbname, "admin") == 0 && in_list(ci.name, admin_special);
      if (specials_only
              ? !special
              : (!o->collection && (special || !mb_plan_enumerable(dbname, ci.name, o->db))) ||
                    !mb_plan_selected(o, dbname, ci.name) ||
                    (o->views_as_collections && strcmp(ci.type, "view") != 0)) {
         continue;
      }
      if (bson_iter_init_find(&it, info, "options") && BSON_ITER_HOLDS_DOCUMENT(&it)) {
         uint32_t len;
         const uint8_t *data;
         bson_iter_document(&it, &len, &data);
         bson_destroy(&ci.options);
         bson_init_static(&ci.options, data, len);
      }
      if (bson_iter_init_find(&it, info, "info") && BSON_ITER_HOLDS_DOCUMENT(&it) &&
          bson_iter_recurse(&it, &sub) && bson_iter_find(&sub, "uuid")) {
         ci.uuid = bson_iter_value(&sub);
      }
      ok = add_collection(p, o, db, &ci, err);
   }
   if (ok && mongoc_cursor_error(cur, &e)) {
      mb_client_error(err, &e, "listCollections on database '%s' failed", dbname);
      ok = false;
   }
   mongoc_cursor_destroy(cur);
   mongoc_database_destroy(db);
   bson_destroy(&opts);
   return ok;
}

/* --dump-users-and-roles --db D: D.$admin.system.{users,roles,version} from admin. */
static bool plan_users_and_roles(mb_plan_t *p, const char *dbname, mb_error_t *err)
{
   for (int i = 0; admin_special[i]; i++) {
      mb_plan_ns_t *n = plan_add(p);
      if (!n) {
         mb_error_set(err, MB_EXIT_FAILURE, "out of memory");
         return false;
      }
      n->db = bson_strdup(dbname);
      n->collection = bson_strdup_printf("$admin.%s", admin_special[i]);
      n->type = bson_strdup("");
      n->metadata = bson_strdup("");
      n->source_db = bson_strdup("admin");
      n->source_collection = bson_strdup(admin_special[i]);
      n->read_data = true;
      n->kind = MB_NS_SPECIAL;
      if (strcmp(admin_special[i], "system.version") != 0) {
         n->filter = BCON_NEW("db", BCON_UTF8(dbname));
      }
   }
   return true;
}

int mb_plan_ns_order(const void *a, const void *b)
{
   const mb_plan_ns_t *x = a, *y = b;
   int rank_x = x->kind == MB_NS_SPECIAL ? 0 : !x->read_data ? 1 : 2;
   int rank_y = y->kind == MB_NS_SPECIAL ? 0 : !y->read_data ? 1 : 2;

   if (rank_x != rank_y) {
      return rank_x - rank_y;
   }
   if (rank_x == 0) {
      return 0;
   }
   if (x->size_bytes != y->size_bytes) {
      return x->size_bytes > y->size_bytes ? -1 : 1;
   }
   return x->count != y->count ? (x->count > y->count ? -1 : 1) : 0;
}

bool mb_plan_splittable(const mb_plan_ns_t *n, const mb_plan_opts_t *o)
{
   return o->split_threshold > 0 && o->split_ranges > 1 && n->read_data &&
          n->kind == MB_NS_REGULAR && strcmp(n->type, "collection") == 0 && !n->capped &&
          n->size_bytes >= o->split_threshold;
}

static bool add_task(mb_plan_t *p, int ns, mb_split_method_t m, const bson_t *lo, const bson_t *hi)
{
   mb_plan_task_t *t = realloc(p->tasks, (size_t) (p->ntasks + 1) * sizeof *t);

   if (!t) {
      return false;
   }
   p->tasks = t;
   t = &p->tasks[p->ntasks++];
   t->ns = ns;
   t->method = m;
   t->lo = lo ? bson_copy(lo) : NULL;
   t->hi = hi ? bson_copy(hi) : NULL;
   p->ns[ns].ntasks++;
   return true;
}

/* One task per namespace, or one per _id range for a collection over the split threshold. */
static bool make_tasks(mb_plan_t *p, const mb_plan_opts_t *o, mongoc_client_t *client)
{
   for (int i = 0; i < p->nns; i++) {
      mb_plan_ns_t *n = &p->ns[i];
      mb_split_t s = {0};
      bool ok = true;
      if (mb_plan_splittable(n, o)) {
         mb_split_find(client, n->source_db, n->source_collection, n->size_bytes, o->split_ranges,
                       &s);
         n->split_how = s.how;
      }
      if (s.nbounds == 0) {
         ok = add_task(p, i, MB_SPLIT_NONE, NULL, NULL);
      }
      for (int k = 0; ok && k <= s.nbounds && s.nbounds > 0; k++) {
         ok = add_task(p, i, s.method, k > 0 ? s.bounds[k - 1] : NULL,
                       k < s.nbounds ? s.bounds[k] : NULL);
      }
      mb_split_clear(&s);
      if (!ok) {
         return false;
      }
   }
   return true;
}

static bool list_database_names(mongoc_client_t *client, const mb_plan_opts_t *o, char ***names,
                                mb_error_t *err)
{
   bson_error_t e;

   if (o->db) {
      *names = bson_malloc0(2 * sizeof(char *));
      (*names)[0] = bson_strdup(o->db);
      return true;
   }
   *names = mongoc_client_get_database_names_with_opts(client, NULL, &e);
   if (!*names) {
      mb_client_error(err, &e, "listDatabases failed");
      return false;
   }
   return true;
}

bool mb_plan_build(mongoc_client_t *client, const mb_plan_opts_t *o, mb_plan_t **out,
                   mb_error_t *err)
{
   mb_plan_t *p = calloc(1, sizeof *p);
   char **names = NULL, msg[600];
   bool ok;
   int before;

   if (!p) {
      mb_error_set(err, MB_EXIT_FAILURE, "out of memory");
      return false;
   }
   ok = list_database_names(client, o, &names, err);
   /* users, roles and the auth version of a full or admin dump come first, as in mongodump */
   if (ok && !o->collection && (!o->db || strcmp(o->db, "admin") == 0)) {
      ok = plan_database(p, o, client, "admin", true, err);
   }
   for (int i = 0; ok && names[i]; i++) {
      if ((!o->db &&
           (strcmp(names[i], "local") == 0 || strncmp(names[i], "__mdb_internal", 14) == 0))) {
         continue;
      }
      before = p->nns;
      ok = plan_database(p, o, client, names[i], false, err);
      if (ok && o->db && p->nns == before) {
         snprintf(msg, sizeof msg,
                  o->collection ? "namespace '%s.%s' does not exist"
                                : "database '%s' does not exist or has no collections%s",
                  o->db, o->collection ? o->collection : "");
         plan_warn(p, msg);
      }
   }
   if (ok && o->dump_users_and_roles) {
      ok = plan_users_and_roles(p, o->db, err);
   }
   bson_strfreev(names);
   if (!ok) {
      mb_plan_destroy(p);
      return false;
   }
   if (p->nns > 1) {
      qsort(p->ns, (size_t) p->nns, sizeof *p->ns, mb_plan_ns_order);
   }
   if (!make_tasks(p, o, client)) {
      mb_plan_destroy(p);
      mb_error_set(err, MB_EXIT_FAILURE, "out of memory");
      return false;
   }
   *out = p;
   return true;
}

void mb_plan_destroy(mb_plan_t *p)
{
   if (!p) {
      return;
   }
   for (int i = 0; i < p->nns; i++) {
      mb_plan_ns_t *n = &p->ns[i];
      bson_free(n->db);
      bson_free(n->collection);
      bson_free(n->type);
      bson_free(n->metadata);
      bson_free(n->source_db);
      bson_free(n->source_collection);
      bson_destroy(n->filter);
   }
   free(p->ns);
   for (int i = 0; i < p->ntasks; i++) {
      bson_destroy(p->tasks[i].lo);
      bson_destroy(p->tasks[i].hi);
   }
   free(p->tasks);
   bson_strfreev(p->warnings);
   free(p);
}
