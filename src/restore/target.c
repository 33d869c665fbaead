#include "restore/target.h"
#include "archive/format.h"
#include "common/client.h"
#include "common/log.h"
#include "common/parse.h"

#include <string.h>

#define CODE_NAMESPACE_NOT_FOUND 26
#define CODE_COMMAND_NOT_FOUND 59

bool mb_rtarget_error_is_fatal(const mb_error_t *e)
{
   mb_exit_t code = mb_error_exit_code(e);
   return code == MB_EXIT_CONNECT || code == MB_EXIT_AUTH;
}

/* server_version >= maj.min.pat; an unparseable version counts as new. */
static bool server_at_least(const char *v, int maj, int min, int pat)
{
   int a, b, c;

   if (!v || !mb_archive_parse_version(v, &a, &b, &c)) {
      return true;
   }
   return a != maj ? a > maj : b != min ? b > min : c >= pat;
}

static bool run_command(mongoc_client_t *cl, const char *db, const bson_t *cmd, bson_t *reply,
                        bson_error_t *e)
{
   mongoc_database_t *d = mongoc_client_get_database(cl, db);
   bson_t tmp;
   bool ok = mongoc_database_write_command_with_opts(d, cmd, NULL, reply ? reply : &tmp, e);

   if (!reply) {
      bson_destroy(&tmp);
   }
   mongoc_database_destroy(d);
   return ok;
}

static bool drop_target(mongoc_client_t *cl, const mb_rplan_ns_t *p, mb_error_t *err)
{
   bson_t cmd = BSON_INITIALIZER;
   bson_error_t e;
   bool ok;

   if (strncmp(p->dst_coll, "system.", 7) == 0) {
      return true;
   }
   BSON_APPEND_UTF8(&cmd, "drop", p->dst_coll);
   ok = run_command(cl, p->dst_db, &cmd, NULL, &e) || e.code == CODE_NAMESPACE_NOT_FOUND;
   if (!ok) {
      mb_client_error(err, &e, "dropping '%s'", p->dst_ns);
   }
   bson_destroy(&cmd);
   return ok;
}

/* {create: coll, <options>} with mongorestore's adjustments of autoIndexId and
 * recordIdsReplicated for the target's version. */
static void build_create(const mb_rplan_ns_t *p, const char *server_version, bson_t *cmd)
{
   bool new82 = server_at_least(server_version, 8, 2, 0);
   bool new40 = server_at_least(server_version, 4, 0, 0);
   bson_iter_t it;

   BSON_APPEND_UTF8(cmd, "create", p->dst_coll);
   bson_iter_init(&it, &p->options);
   while (bson_iter_next(&it)) {
      const char *k = bson_iter_key(&it);
      if (strcmp(k, "recordIdsReplicated") == 0 || (strcmp(k, "autoIndexId") == 0 && new82)) {
         continue;
      }
      if (strcmp(k, "autoIndexId") == 0 && new40 && strcmp(p->dst_db, "local") != 0) {
         BSON_APPEND_BOOL(cmd, "autoIndexId", true);
         continue;
      }
      bson_append_iter(cmd, k, -1, &it);
   }
}

/* Create through applyOps so that the collection keeps the archive's UUID (--preserve-uuid). */
static void wrap_apply_ops(const mb_rplan_ns_t *p, const bson_t *create, bson_t *cmd)
{
   uint8_t uuid[16];
   bson_t ops, op;
   char ns[300];

   for (int i = 0; i < 16; i++) {
      char hex[3] = {p->uuid[2 * i], p->uuid[2 * i + 1], '\0'};
      long v;
      uuid[i] = mb_parse_long(hex, 16, 0, 255, &v) ? (uint8_t) v : 0;
   }
   snprintf(ns, sizeof ns, "%s.$cmd", p->dst_db);
   BSON_APPEND_ARRAY_BEGIN(cmd, "applyOps", &ops);
   BSON_APPEND_DOCUMENT_BEGIN(&ops, "0", &op);
   BSON_APPEND_UTF8(&op, "op", "c");
   BSON_APPEND_UTF8(&op, "ns", ns);
   BSON_APPEND_BINARY(&op, "ui", BSON_SUBTYPE_UUID, uuid, 16);
   BSON_APPEND_DOCUMENT(&op, "o", create);
   bson_append_document_end(&ops, &op);
   bson_append_array_end(cmd, &ops);
}

static bool create_target(mongoc_client_t *cl, const mb_rplan_ns_t *p, const mb_rtarget_opts_t *o,
                          mb_error_t *err)
{
   bson_t create = BSON_INITIALIZER, cmd = BSON_INITIALIZER;
   bool with_uuid = o->preserve_uuid && p->uuid[0] && !p->is_view;
   bson_error_t e;
   bool ok;

   build_create(p, o->server_version, &create);
   if (o->preserve_uuid && !with_uuid && !p->is_view) {
      mb_log(MB_LOG_WARN, "--preserve-uuid: the archive has no UUID for '%s'; it gets a new one",
             p->src_ns);
   }
   if (with_uuid) {
      if (!bson_empty(&p->id_index)) {
         BSON_APPEND_DOCUMENT(&create, "idIndex", &p->id_index);
      }
      wrap_apply_ops(p, &create, &cmd);
   }
   ok = run_command(cl, with_uuid ? "admin" : p->dst_db, with_uuid ? &cmd : &create, NULL, &e);
   if (!ok) {
      mb_client_error(err, &e, "creating %s '%s'", p->is_view ? "view" : "collection", p->dst_ns);
   }
   bson_destroy(&create);
   bson_destroy(&cmd);
   return ok;
}

bool mb_rtarget_prepare(mongoc_client_t *cl, const mb_rplan_ns_t *p, const mb_rtarget_opts_t *o,
                        bool *created, mb_error_t *err)
{
   mongoc_database_t *db = NULL;
   bson_error_t e;
   bool exists = false, ok = false;

   *created = false;
   if (o->drop && !drop_target(cl, p, err)) {
      return false;
   }
   memset(&e, 0, sizeof e);
   db = mongoc_client_get_database(cl, p->dst_db);
   exists = mongoc_database_has_collection(db, p->dst_coll, &e);
   if (!exists && e.code != 0) {
      mb_client_error(err, &e, "checking whether '%s' exists", p->dst_ns);
      goto cleanup;
   }
   if (!exists) {
      if (!create_target(cl, p, o, err)) {
         goto cleanup;
      }
      *created = true;
   }
   ok = true;
cleanup:
   mongoc_database_destroy(db);
   return ok;
}

static bool is_duplicate(int64_t code)
{
   return code == 11000 || code == 11001 || code == 12582;
}

static void note_once(mb_rinsert_result_t *res, const char *msg)
{
   if (!res->note[0]) {
      bson_strncpy(res->note, msg, sizeof res->note);
   }
}

/* Count nInserted and each writeErrors entry; true when the reply has write errors. */
static bool count_reply(const bson_t *reply, mb_rinsert_result_t *res)
{
   bson_iter_t it, arr, we;
   bool any = false;

   if (bson_iter_init_find(&it, reply, "nInserted")) {
      res->inserted += (uint64_t) bson_iter_as_int64(&it);
   }
   if (!bson_iter_init_find(&it, reply, "writeErrors") || !BSON_ITER_HOLDS_ARRAY(&it) ||
       !bson_iter_recurse(&it, &arr)) {
      return false;
   }
   while (bson_iter_next(&arr)) {
      int64_t code = 0;
      const char *msg = "unknown write error";
      any = true;
      if (BSON_ITER_HOLDS_DOCUMENT(&arr) && bson_iter_recurse(&arr, &we)) {
         while (bson_iter_next(&we)) {
            if (strcmp(bson_iter_key(&we), "code") == 0) {
               code = bson_iter_as_int64(&we);
            } else if (strcmp(bson_iter_key(&we), "errmsg") == 0 && BSON_ITER_HOLDS_UTF8(&we)) {
               msg = bson_iter_utf8(&we, NULL);
            }
         }
      }
      if (is_duplicate(code)) {
         res->duplicates++;
      } else {
         res->failed++;
      }
      note_once(res, msg);
   }
   return any;
}

static void queue_docs(mongoc_bulk_operation_t *bulk, const uint8_t *docs, size_t len,
                       mb_rinsert_result_t *res)
{
   bson_t opts = BSON_INITIALIZER;
   bson_error_t e;

   BSON_APPEND_BOOL(&opts, "validate", false);
   for (size_t off = 0; off + 4 <= len;) {
      uint32_t n;
      bson_t doc;
      memcpy(&n, docs + off, 4);
      n = BSON_UINT32_FROM_LE(n);
      if (!bson_init_static(&doc, docs + off, n) ||
          !mongoc_bulk_operation_insert_with_opts(bulk, &doc, &opts, &e)) {
         res->failed++;
         note_once(res, "a document could not be queued for insertion");
      }
      off += n;
   }
   bson_destroy(&opts);
}

/* Queue each document as an upsert replacing the document with its _id. */
static void queue_replacements(mongoc_bulk_operation_t *bulk, const uint8_t *docs, size_t len,
                               mb_rinsert_result_t *res)
{
   bson_t opts = BSON_INITIALIZER;
   bson_error_t e;

   BSON_APPEND_BOOL(&opts, "validate", false);
   BSON_APPEND_BOOL(&opts, "upsert", true);
   for (size_t off = 0; off + 4 <= len;) {
      uint32_t n;
      bson_t doc, sel = BSON_INITIALIZER;
      bson_iter_t id;
      memcpy(&n, docs + off, 4);
      n = BSON_UINT32_FROM_LE(n);
      if (!bson_init_static(&doc, docs + off, n) || !bson_iter_init_find(&id, &doc, "_id") ||
          !bson_append_iter(&sel, "_id", 3, &id) ||
          !mongoc_bulk_operation_replace_one_with_opts(bulk, &sel, &doc, &opts, &e)) {
         res->failed++;
         note_once(res, "a document without _id could not be queued for replacement");
      }
      bson_destroy(&sel);
      off += n;
   }
   bson_destroy(&opts);
}

/* Replacements count as restored whether they inserted (upsert) or replaced a document. */
static void count_replaced(const bson_t *reply, mb_rinsert_result_t *res)
{
   bson_iter_t it;

   if (bson_iter_init_find(&it, reply, "nUpserted")) {
      res->inserted += (uint64_t) bson_iter_as_int64(&it);
   }
   if (bson_iter_init_find(&it, reply, "nMatched")) {
      res->inserted += (uint64_t) bson_iter_as_int64(&it);
   }
}

bool mb_rtarget_insert_into(mongoc_client_t *cl, const char *db, const char *coll, bool replace,
                            const uint8_t *docs, size_t len, uint32_t ndocs,
                            mb_rinsert_result_t *res, mb_error_t *err)
{
   mongoc_collection_t *c = mongoc_client_get_collection(cl, db, coll);
   bson_t opts = BSON_INITIALIZER, reply;
   mongoc_bulk_operation_t *bulk;
   bson_error_t e;
   bool ok;

   memset(res, 0, sizeof *res);
   BSON_APPEND_BOOL(&opts, "ordered", false);
   bulk = mongoc_collection_create_bulk_operation_with_opts(c, &opts);
   (replace ? queue_replacements : queue_docs)(bulk, docs, len, res);
   ok = mongoc_bulk_operation_execute(bulk, &reply, &e) != 0;
   if (replace) {
      count_replaced(&reply, res);
   }
   if (!count_reply(&reply, res) && !ok) {
      if (mb_rtarget_error_is_fatal(&e)) {
         mb_client_error(err, &e, "inserting into '%s.%s'", db, coll);
      } else {
         /* the server refused the batch as a whole */
         res->failed += ndocs - res->inserted - res->failed;
         note_once(res, e.message);
         ok = true;
      }
   } else {
      ok = true;
   }
   bson_destroy(&reply);
   bson_destroy(&opts);
   mongoc_bulk_operation_destroy(bulk);
   mongoc_collection_destroy(c);
   return ok;
}

bool mb_rtarget_insert(mongoc_client_t *cl, const mb_rplan_ns_t *p, const uint8_t *docs, size_t len,
                       uint32_t ndocs, mb_rinsert_result_t *res, mb_error_t *err)
{
   return mb_rtarget_insert_into(cl, p->dst_db, p->dst_data_coll, false, docs, len, ndocs, res,
                                 err);
}

/* Run a command; true when it worked. A refused command fills e and returns false too. */
bool mb_rtarget_command(mongoc_client_t *cl, const char *db, const bson_t *cmd, bson_error_t *e)
{
   return run_command(cl, db, cmd, NULL, e);
}

static bool create_indexes(mongoc_client_t *cl, const mb_rplan_ns_t *p, const mb_rtarget_opts_t *o,
                           const bson_t *specs, bson_error_t *e)
{
   bson_t cmd = BSON_INITIALIZER;
   bool ok;

   BSON_APPEND_UTF8(&cmd, "createIndexes", p->dst_coll);
   BSON_APPEND_ARRAY(&cmd, "indexes", specs);
   if (server_at_least(o->server_version, 4, 1, 9)) {
      BSON_APPEND_BOOL(&cmd, "ignoreUnknownIndexOptions", true);
   }
   ok = run_command(cl, p->dst_db, &cmd, NULL, e);
   bson_destroy(&cmd);
   return ok;
}

static const char *spec_name(const bson_iter_t *spec)
{
   bson_iter_t it;

   if (bson_iter_recurse(spec, &it) && bson_iter_find(&it, "name") && BSON_ITER_HOLDS_UTF8(&it)) {
      return bson_iter_utf8(&it, NULL);
   }
   return "?";
}

/* After the batch was refused: each index alone. */
static bool indexes_one_by_one(mongoc_client_t *cl, const mb_rplan_ns_t *p,
                               const mb_rtarget_opts_t *o, const bson_t *specs, int *built,
                               int *failed, char *note, size_t note_size, mb_error_t *err)
{
   bson_iter_t it;
   bson_error_t e;

   bson_iter_init(&it, specs);
   while (bson_iter_next(&it)) {
      bson_t one = BSON_INITIALIZER;
      bool ok;
      bson_append_iter(&one, "0", 1, &it);
      ok = create_indexes(cl, p, o, &one, &e);
      bson_destroy(&one);
      if (ok) {
         (*built)++;
         continue;
      }
      if (mb_rtarget_error_is_fatal(&e)) {
         mb_client_error(err, &e, "building the indexes of '%s'", p->dst_ns);
         return false;
      }
      (*failed)++;
      if (!note[0]) {
         snprintf(note, note_size, "index '%s': %s", spec_name(&it), e.message);
      }
   }
   return true;
}

/* Names of the indexes the collection has now (it existed before the restore). */
static bool existing_index_names(mongoc_client_t *cl, const mb_rplan_ns_t *p, bson_t *names,
                                 mb_error_t *err)
{
   mongoc_collection_t *coll = mongoc_client_get_collection(cl, p->dst_db, p->dst_coll);
   mongoc_cursor_t *cur = mongoc_collection_find_indexes_with_opts(coll, NULL);
   const bson_t *doc;
   bson_error_t e;
   bson_iter_t it;
   bool ok = true;

   while (mongoc_cursor_next(cur, &doc)) {
      if (bson_iter_init_find(&it, doc, "name") && BSON_ITER_HOLDS_UTF8(&it)) {
         BSON_APPEND_BOOL(names, bson_iter_utf8(&it, NULL), true);
      }
   }
   if (mongoc_cursor_error(cur, &e) && mb_rtarget_error_is_fatal(&e)) {
      mb_client_error(err, &e, "listing the indexes of '%s'", p->dst_ns);
      ok = false;
   }
   mongoc_cursor_destroy(cur);
   mongoc_collection_destroy(coll);
   return ok;
}

/* The specs to build: all, or those whose name the collection does not have yet. */
static bool missing_specs(mongoc_client_t *cl, const mb_rplan_ns_t *p, bool existed, bson_t *specs,
                          int *present, mb_error_t *err)
{
   bson_t names = BSON_INITIALIZER;
   bson_iter_t it, found;
   int n = 0;

   *present = 0;
   if (existed && !existing_index_names(cl, p, &names, err)) {
      bson_destroy(&names);
      return false;
   }
   bson_iter_init(&it, &p->indexes);
   while (bson_iter_next(&it)) {
      char key[16];
      const char *k;
      if (bson_iter_init_find(&found, &names, spec_name(&it))) {
         (*present)++;
         continue;
      }
      bson_uint32_to_string((uint32_t) n++, &k, key, sizeof key);
      bson_append_iter(specs, k, -1, &it);
   }
   bson_destroy(&names);
   return true;
}

bool mb_rtarget_indexes(mongoc_client_t *cl, const mb_rplan_ns_t *p, const mb_rtarget_opts_t *o,
                        bool existed, int *built, int *failed, char *note, size_t note_size,
                        mb_error_t *err)
{
   bson_t specs = BSON_INITIALIZER;
   bson_error_t e;
   int present;
   bool ok = false;

   *built = *failed = 0;
   if (p->nindexes == 0) {
      ok = true;
   } else if (missing_specs(cl, p, existed, &specs, &present, err)) {
      *built = present;
      if (bson_empty(&specs) || create_indexes(cl, p, o, &specs, &e)) {
         *built = p->nindexes;
         ok = true;
      } else if (mb_rtarget_error_is_fatal(&e)) {
         mb_client_error(err, &e, "building the indexes of '%s'", p->dst_ns);
      } else {
         ok = indexes_one_by_one(cl, p, o, &specs, built, failed, note, note_size, err);
      }
   }
   bson_destroy(&specs);
   return ok;
}

bool mb_rtarget_has_apply_ops(mongoc_client_t *cl, bool *has, mb_error_t *err)
{
   bson_t cmd = BSON_INITIALIZER, ops;
   bson_error_t e;
   bool ok = true;

   BSON_APPEND_ARRAY_BEGIN(&cmd, "applyOps", &ops);
   bson_append_array_end(&cmd, &ops);
   *has = run_command(cl, "admin", &cmd, NULL, &e);
   if (!*has && mb_rtarget_error_is_fatal(&e)) {
      mb_client_error(err, &e, "checking for applyOps");
      ok = false;
   }
   bson_destroy(&cmd);
   return ok;
}
