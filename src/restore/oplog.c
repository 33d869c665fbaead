#include "restore/oplog.h"

#include <string.h>

#define MAX_PATH 4096 /* a dotted path longer than this is not a real document's */

const char *mb_roplog_kind_name(mb_roplog_kind_t kind)
{
   static const char *const names[MB_ROPLOG_NKINDS] = {"replace", "update", "delete", "command",
                                                       "truncate"};
   return (unsigned) kind < MB_ROPLOG_NKINDS ? names[kind] : "?";
}

/* ---- $v: 2 diffs ---------------------------------------------------------------------- */

typedef struct {
   bson_t set, unset, push;
   mb_error_t *err;
} diff_t;

static bool bad_diff(diff_t *d, const char *path, const char *what)
{
   mb_error_set(d->err, MB_EXIT_CORRUPT, "malformed $v:2 update diff at '%s': %s",
                path[0] ? path : "(top)", what);
   return false;
}

/* prefix + "." + key (or key at the top) into buf. */
static bool join_path(diff_t *d, const char *prefix, const char *key, char *buf, size_t size)
{
   int n = prefix[0] ? snprintf(buf, size, "%s.%s", prefix, key) : snprintf(buf, size, "%s", key);

   if (n < 0 || (size_t) n >= size) {
      return bad_diff(d, prefix, "the field path is too long");
   }
   return true;
}

static bool diff_node(diff_t *d, const bson_iter_t *sub, const char *path);

static bool diff_section(diff_t *d, bson_iter_t *it, const char *prefix, bson_t *into, bool unset)
{
   bson_iter_t f;
   char path[MAX_PATH];

   if (!BSON_ITER_HOLDS_DOCUMENT(it) || !bson_iter_recurse(it, &f)) {
      return bad_diff(d, prefix, "a section that is not a document");
   }
   while (bson_iter_next(&f)) {
      if (!join_path(d, prefix, bson_iter_key(&f), path, sizeof path)) {
         return false;
      }
      if (unset ? !bson_append_utf8(into, path, -1, "", 0)
                : !bson_append_iter(into, path, -1, &f)) {
         return bad_diff(d, prefix, "cannot build the update");
      }
   }
   return true;
}

static bool diff_object(diff_t *d, bson_iter_t *it, const char *prefix)
{
   char path[MAX_PATH];

   while (bson_iter_next(it)) {
      const char *k = bson_iter_key(it);
      bool ok;
      if (strcmp(k, "d") == 0) {
         ok = diff_section(d, it, prefix, &d->unset, true);
      } else if (strcmp(k, "u") == 0 || strcmp(k, "i") == 0) {
         ok = diff_section(d, it, prefix, &d->set, false);
      } else if (k[0] == 's' && k[1]) {
         ok = join_path(d, prefix, k + 1, path, sizeof path) && diff_node(d, it, path);
      } else {
         ok = bad_diff(d, prefix, "an unknown key in an object diff");
      }
      if (!ok) {
         return false;
      }
   }
   return true;
}

static bool is_index(const char *s)
{
   if (!*s) {
      return false;
   }
   for (; *s; s++) {
      if (*s < '0' || *s > '9') {
         return false;
      }
   }
   return true;
}

static bool diff_array(diff_t *d, bson_iter_t *it, const char *prefix)
{
   char path[MAX_PATH];

   while (bson_iter_next(it)) {
      const char *k = bson_iter_key(it);
      bool ok = true;
      if (strcmp(k, "a") == 0) {
         continue;
      }
      if (strcmp(k, "l") == 0) {
         if (!BSON_ITER_HOLDS_NUMBER(it) || bson_iter_as_int64(it) < 0) {
            return bad_diff(d, prefix, "an array length 'l' that is not a number");
         }
         BSON_APPEND_INT64(&d->push, prefix, bson_iter_as_int64(it));
      } else if ((k[0] == 'u' || k[0] == 's') && is_index(k + 1)) {
         ok = join_path(d, prefix, k + 1, path, sizeof path) &&
              (k[0] == 'u' ? bson_append_iter(&d->set, path, -1, it) || bad_diff(d, path, "set")
                           : diff_node(d, it, path));
      } else {
         ok = bad_diff(d, prefix, "an unknown key in an array diff");
      }
      if (!ok) {
         return false;
      }
   }
   return true;
}

/* A sub-diff: an array diff when it holds "a": true, else an object diff. */
static bool diff_node(diff_t *d, const bson_iter_t *sub, const char *path)
{
   bson_iter_t it, a;

   if (!BSON_ITER_HOLDS_DOCUMENT(sub) || !bson_iter_recurse(sub, &it)) {
      return bad_diff(d, path, "a sub-diff that is not a document");
   }
   a = it;
   if (bson_iter_find(&a, "a") && BSON_ITER_HOLDS_BOOL(&a) && bson_iter_bool(&a)) {
      return diff_array(d, &it, path);
   }
   return diff_object(d, &it, path);
}

bool mb_roplog_diff_to_update(const bson_t *diff, bson_t *update, bson_t *truncate, mb_error_t *err)
{
   diff_t d = {.err = err};
   bson_iter_t it;
   bool ok;

   bson_init(&d.set);
   bson_init(&d.unset);
   bson_init(&d.push);
   ok = bson_iter_init(&it, diff) && diff_object(&d, &it, "");
   if (ok && !bson_empty(&d.set)) {
      BSON_APPEND_DOCUMENT(update, "$set", &d.set);
   }
   if (ok && !bson_empty(&d.unset)) {
      BSON_APPEND_DOCUMENT(update, "$unset", &d.unset);
   }
   if (ok && !bson_empty(&d.push)) {
      bson_concat(truncate, &d.push);
   }
   bson_destroy(&d.set);
   bson_destroy(&d.unset);
   bson_destroy(&d.push);
   return ok;
}

/* ---- entries -------------------------------------------------------------------------- */

typedef struct {
   const mb_rnsmap_t *map;
   mb_roplog_emit_fn emit;
   void *user_data;
   uint64_t *skipped;
   mb_error_t *err;
} tctx_t;

typedef struct {
   const char *op, *ns;
   bson_t o, o2;
   bool has_o2;
   char *db, *coll; /* ns split at its first '.' */
} entry_t;

static void entry_clear(entry_t *e)
{
   bson_free(e->db);
   bson_free(e->coll);
}

static bool get_doc(const bson_t *b, const char *key, bson_t *out, bool *found)
{
   bson_iter_t it;
   const uint8_t *data;
   uint32_t len;

   *found = false;
   if (!bson_iter_init_find(&it, b, key)) {
      return true;
   }
   if (!BSON_ITER_HOLDS_DOCUMENT(&it)) {
      return false;
   }
   bson_iter_document(&it, &len, &data);
   *found = bson_init_static(out, data, len);
   return *found;
}

static bool get_str(const bson_t *b, const char *key, const char **out)
{
   bson_iter_t it;

   if (!bson_iter_init_find(&it, b, key) || !BSON_ITER_HOLDS_UTF8(&it)) {
      return false;
   }
   *out = bson_iter_utf8(&it, NULL);
   return true;
}

static bool parse_entry(const bson_t *b, entry_t *e, mb_error_t *err)
{
   bool has_o = false;
   const char *dot;

   memset(e, 0, sizeof *e);
   if (!get_str(b, "op", &e->op) || !get_str(b, "ns", &e->ns) || !get_doc(b, "o", &e->o, &has_o) ||
       !has_o || !get_doc(b, "o2", &e->o2, &e->has_o2)) {
      mb_error_set(err, MB_EXIT_CORRUPT,
                   "an oplog entry lacks a string 'op' and 'ns' or a document 'o' (or has an "
                   "'o2' that is not a document)");
      return false;
   }
   dot = strchr(e->ns, '.');
   e->db = dot ? bson_strndup(e->ns, (size_t) (dot - e->ns)) : bson_strdup(e->ns);
   e->coll = bson_strdup(dot ? dot + 1 : "");
   return true;
}

/* The target of db.coll: false when the entry must be skipped (local, config, filtered out). */
static bool map_ns(const tctx_t *t, const char *db, const char *coll, char **ddb, char **dcoll)
{
   char *ns, *renamed;
   const char *why, *dot;
   bool selected;

   *ddb = *dcoll = NULL;
   if (strcmp(db, "local") == 0 || strcmp(db, "config") == 0 || !coll[0]) {
      return false;
   }
   ns = bson_strdup_printf("%s.%s", db, coll);
   selected = !t->map || mb_rnsmap_selected(t->map, ns, &why);
   renamed = selected && t->map ? mb_rnsmap_rename(t->map, ns) : NULL;
   bson_free(ns);
   if (!selected) {
      return false;
   }
   if (renamed && (dot = strchr(renamed, '.')) != NULL) {
      *ddb = bson_strndup(renamed, (size_t) (dot - renamed));
      *dcoll = bson_strdup(dot + 1);
   } else {
      *ddb = bson_strdup(db);
      *dcoll = bson_strdup(coll);
   }
   bson_free(renamed);
   return true;
}

static bool emit(const tctx_t *t, mb_roplog_kind_t kind, const char *db, const char *coll,
                 const bson_t *filter, const bson_t *doc, const int *ok_codes)
{
   mb_roplog_action_t a = {.kind = kind,
                           .db = db,
                           .coll = coll,
                           .filter = filter,
                           .doc = doc,
                           .upsert = kind == MB_ROPLOG_REPLACE || kind == MB_ROPLOG_UPDATE};

   for (int i = 0; ok_codes && ok_codes[i] && i < MB_ROPLOG_MAX_OK_CODES; i++) {
      a.ok_codes[i] = ok_codes[i];
   }
   return t->emit(t->user_data, &a, t->err);
}

static bool crud_insert(const tctx_t *t, const entry_t *e, const char *db, const char *coll)
{
   bson_iter_t id;
   bson_t filter = BSON_INITIALIZER;
   bool ok;

   if (!bson_iter_init_find(&id, &e->o, "_id")) {
      mb_error_set(t->err, MB_EXIT_CORRUPT, "an oplog insert into '%s' has no _id", e->ns);
      bson_destroy(&filter);
      return false;
   }
   bson_append_iter(&filter, "_id", 3, &id);
   ok = emit(t, MB_ROPLOG_REPLACE, db, coll, &filter, &e->o, NULL);
   bson_destroy(&filter);
   return ok;
}

/* FerretDB's form of every update: {$v: 1, $set: <the whole new document, _id included>} (a
 * field removed by $unset is simply absent). MongoDB never logs _id in a $set, so a $set holding
 * _id is that form, and the document it holds replaces the old one; applying it as a $set would
 * keep the removed fields. *doc receives the new document (borrowed from o). */
static bool ferretdb_whole(const bson_t *o, bson_t *doc)
{
   bson_iter_t it;
   bool found = false;

   bson_iter_init(&it, o);
   while (bson_iter_next(&it)) {
      const char *k = bson_iter_key(&it);
      if (strcmp(k, "$v") != 0 && strcmp(k, "$set") != 0) {
         return false;
      }
   }
   if (!get_doc(o, "$set", doc, &found) || !found) {
      return false;
   }
   return bson_iter_init_find(&it, doc, "_id");
}

/* o's update operators without "$v"; *whole when o is a replacement document. */
static void update_kind(const bson_t *o, bool *whole, int *version)
{
   bson_iter_t it;

   *whole = true;
   *version = 1;
   bson_iter_init(&it, o);
   while (bson_iter_next(&it)) {
      const char *k = bson_iter_key(&it);
      if (k[0] == '$') {
         *whole = false;
      }
      if (strcmp(k, "$v") == 0 && BSON_ITER_HOLDS_NUMBER(&it)) {
         *version = (int) bson_iter_as_int64(&it);
      }
   }
}

static bool crud_update(const tctx_t *t, const entry_t *e, const char *db, const char *coll)
{
   bson_t update = BSON_INITIALIZER, truncate = BSON_INITIALIZER, diff;
   bson_iter_t it;
   bool whole, found = false, ok = true;
   int version;

   if (!e->has_o2) {
      mb_error_set(t->err, MB_EXIT_CORRUPT, "an oplog update of '%s' has no 'o2' (its _id)", e->ns);
      return false;
   }
   update_kind(&e->o, &whole, &version);
   if (whole) {
      ok = emit(t, MB_ROPLOG_REPLACE, db, coll, &e->o2, &e->o, NULL);
      goto done;
   }
   if (version == 1 && ferretdb_whole(&e->o, &diff)) {
      ok = emit(t, MB_ROPLOG_REPLACE, db, coll, &e->o2, &diff, NULL);
      goto done;
   }
   if (version == 2) {
      if (!get_doc(&e->o, "diff", &diff, &found) || !found) {
         mb_error_set(t->err, MB_EXIT_CORRUPT, "an oplog update ($v: 2) of '%s' has no 'diff'",
                      e->ns);
         ok = false;
         goto done;
      }
      ok = mb_roplog_diff_to_update(&diff, &update, &truncate, t->err);
   } else {
      bson_iter_init(&it, &e->o);
      while (bson_iter_next(&it)) {
         if (strcmp(bson_iter_key(&it), "$v") != 0) {
            bson_append_iter(&update, NULL, 0, &it);
         }
      }
   }
   if (ok && !bson_empty(&truncate)) {
      ok = emit(t, MB_ROPLOG_TRUNCATE, db, coll, &e->o2, &truncate, NULL);
   }
   if (ok && !bson_empty(&update)) {
      ok = emit(t, MB_ROPLOG_UPDATE, db, coll, &e->o2, &update, NULL);
   } else if (ok && bson_empty(&truncate)) {
      (*t->skipped)++; /* an update that changed nothing */
   }
done:
   bson_destroy(&update);
   bson_destroy(&truncate);
   return ok;
}

static bool translate_doc(const tctx_t *t, const bson_t *b);

static bool cmd_apply_ops(const tctx_t *t, const entry_t *e)
{
   bson_iter_t it, ops;
   bool ok = true;

   if (bson_iter_init_find(&it, &e->o, "prepare") && bson_iter_as_bool(&it)) {
      mb_error_set(t->err, MB_EXIT_USAGE,
                   "the oplog holds a prepared transaction (applyOps with prepare: true), which "
                   "mongobak does not replay; restore with --oplog-limit before it");
      return false;
   }
   if (!bson_iter_init_find(&it, &e->o, "applyOps") || !BSON_ITER_HOLDS_ARRAY(&it) ||
       !bson_iter_recurse(&it, &ops)) {
      mb_error_set(t->err, MB_EXIT_CORRUPT, "an oplog applyOps entry without an array of entries");
      return false;
   }
   while (ok && bson_iter_next(&ops)) {
      const uint8_t *data;
      uint32_t len;
      bson_t sub;
      if (!BSON_ITER_HOLDS_DOCUMENT(&ops)) {
         mb_error_set(t->err, MB_EXIT_CORRUPT, "an element of an oplog applyOps is no document");
         return false;
      }
      bson_iter_document(&ops, &len, &data);
      ok = bson_init_static(&sub, data, len) && translate_doc(t, &sub);
   }
   return ok;
}

/* A copy of o with its first field (the command name and collection) set to coll, and the
 * fields named in drop left out. */
static void rename_command(const bson_t *o, const char *name, const char *coll, bson_t *out,
                           const char *drop)
{
   bson_iter_t it;
   bool first = true;

   bson_init(out);
   bson_iter_init(&it, o);
   while (bson_iter_next(&it)) {
      if (first) {
         BSON_APPEND_UTF8(out, name, coll);
         first = false;
      } else if (!drop || strcmp(bson_iter_key(&it), drop) != 0) {
         bson_append_iter(out, NULL, 0, &it);
      }
   }
}

/* An index spec as createIndexes takes it: without "v" and "ns" (as mongorestore drops them). */
static bool spec_key_kept(const char *k)
{
   return strcmp(k, "v") != 0 && strcmp(k, "ns") != 0;
}

/* createIndexes' oplog form {createIndexes: c, <one spec>} -> {createIndexes: c, indexes: [spec]}
 * (without "v" and "ns"). */
static void create_indexes(const bson_t *o, const char *coll, bson_t *out)
{
   bson_iter_t it;
   bson_t arr, spec;
   bool first = true;

   bson_init(out);
   BSON_APPEND_UTF8(out, "createIndexes", coll);
   BSON_APPEND_ARRAY_BEGIN(out, "indexes", &arr);
   BSON_APPEND_DOCUMENT_BEGIN(&arr, "0", &spec);
   bson_iter_init(&it, o);
   while (bson_iter_next(&it)) {
      if (!first && spec_key_kept(bson_iter_key(&it))) {
         bson_append_iter(&spec, NULL, 0, &it);
      }
      first = false;
   }
   bson_append_document_end(&arr, &spec);
   bson_append_array_end(out, &arr);
}

/* commitIndexBuild {commitIndexBuild: c, indexBuildUUID, indexes: [...]} -> createIndexes. */
static bool commit_index_build(const tctx_t *t, const bson_t *o, const char *coll, bson_t *out)
{
   bson_iter_t it, specs, f;
   bson_t arr, spec;
   uint32_t n = 0;

   bson_init(out);
   if (!bson_iter_init_find(&it, o, "indexes") || !BSON_ITER_HOLDS_ARRAY(&it) ||
       !bson_iter_recurse(&it, &specs)) {
      mb_error_set(t->err, MB_EXIT_CORRUPT, "an oplog commitIndexBuild without 'indexes'");
      return false;
   }
   BSON_APPEND_UTF8(out, "createIndexes", coll);
   BSON_APPEND_ARRAY_BEGIN(out, "indexes", &arr);
   while (bson_iter_next(&specs)) {
      char key[16];
      const char *k;
      if (!BSON_ITER_HOLDS_DOCUMENT(&specs) || !bson_iter_recurse(&specs, &f)) {
         mb_error_set(t->err, MB_EXIT_CORRUPT,
                      "an index of an oplog commitIndexBuild is not a document");
         bson_append_array_end(out, &arr);
         return false;
      }
      bson_uint32_to_string(n++, &k, key, sizeof key);
      BSON_APPEND_DOCUMENT_BEGIN(&arr, k, &spec);
      while (bson_iter_next(&f)) {
         if (spec_key_kept(bson_iter_key(&f))) {
            bson_append_iter(&spec, NULL, 0, &f);
         }
      }
      bson_append_document_end(&arr, &spec);
   }
   bson_append_array_end(out, &arr);
   return true;
}

static bool cmd_rename(const tctx_t *t, const entry_t *e)
{
   const char *from = NULL, *to = NULL, *dot;
   char *fdb = NULL, *fcoll = NULL, *tdb = NULL, *tcoll = NULL, *sdb, *scoll, *tsdb, *tscoll;
   bson_t cmd = BSON_INITIALIZER;
   bson_iter_t it;
   bool ok = true;
   static const int ok_codes[] = {26, 0}; /* NamespaceNotFound: renamed already */

   if (!get_str(&e->o, "renameCollection", &from) || !get_str(&e->o, "to", &to) ||
       !(dot = strchr(from, '.')) || !strchr(to, '.')) {
      mb_error_set(t->err, MB_EXIT_CORRUPT, "an oplog renameCollection without 'db.coll' names");
      bson_destroy(&cmd);
      return false;
   }
   sdb = bson_strndup(from, (size_t) (dot - from));
   scoll = bson_strdup(dot + 1);
   dot = strchr(to, '.');
   tsdb = bson_strndup(to, (size_t) (dot - to));
   tscoll = bson_strdup(dot + 1);
   if (!map_ns(t, sdb, scoll, &fdb, &fcoll) || !map_ns(t, tsdb, tscoll, &tdb, &tcoll)) {
      (*t->skipped)++;
      goto done;
   }
   bson_free(sdb);
   bson_free(tsdb);
   sdb = bson_strdup_printf("%s.%s", fdb, fcoll);
   tsdb = bson_strdup_printf("%s.%s", tdb, tcoll);
   BSON_APPEND_UTF8(&cmd, "renameCollection", sdb);
   BSON_APPEND_UTF8(&cmd, "to", tsdb);
   if (bson_iter_init_find(&it, &e->o, "dropTarget") && !BSON_ITER_HOLDS_BINARY(&it)) {
      BSON_APPEND_BOOL(&cmd, "dropTarget", bson_iter_as_bool(&it));
   } else if (bson_iter_init_find(&it, &e->o, "dropTarget")) {
      BSON_APPEND_BOOL(&cmd, "dropTarget", true); /* the dropped target's UUID */
   }
   ok = emit(t, MB_ROPLOG_COMMAND, "admin", NULL, NULL, &cmd, ok_codes);
done:
   bson_free(sdb);
   bson_free(scoll);
   bson_free(tsdb);
   bson_free(tscoll);
   bson_free(fdb);
   bson_free(fcoll);
   bson_free(tdb);
   bson_free(tcoll);
   bson_destroy(&cmd);
   return ok;
}

static bool command(const tctx_t *t, const entry_t *e)
{
   static const int exists[] = {48, 0};          /* NamespaceExists */
   static const int missing[] = {26, 0};         /* NamespaceNotFound */
   static const int no_index[] = {26, 27, 0};    /* NamespaceNotFound, IndexNotFound */
   static const int index_there[] = {85, 86, 0}; /* IndexOptionsConflict, IndexKeySpecsConflict */
   bson_iter_t it;
   const char *name, *coll;
   char *db = NULL, *dcoll = NULL;
   bson_t cmd = BSON_INITIALIZER;
   const int *ok_codes = NULL;
   bool ok = true;

   if (!bson_iter_init(&it, &e->o) || !bson_iter_next(&it)) {
      mb_error_set(t->err, MB_EXIT_CORRUPT, "an oplog command entry with an empty 'o'");
      bson_destroy(&cmd);
      return false;
   }
   name = bson_iter_key(&it);
   if (strcmp(name, "applyOps") == 0) {
      bson_destroy(&cmd);
      return cmd_apply_ops(t, e);
   }
   if (strcmp(name, "renameCollection") == 0) {
      bson_destroy(&cmd);
      return cmd_rename(t, e);
   }
   /* dropDatabase comes after a drop entry of each of the database's collections (MongoDB
    * 4.2+), which did the work; dropping the whole target database would also remove what the
    * filters left out. dbCheck only checks. */
   if (strcmp(name, "startIndexBuild") == 0 || strcmp(name, "abortIndexBuild") == 0 ||
       strcmp(name, "dropDatabase") == 0 || strcmp(name, "dbCheck") == 0) {
      (*t->skipped)++;
      bson_destroy(&cmd);
      return true;
   }
   coll = BSON_ITER_HOLDS_UTF8(&it) ? bson_iter_utf8(&it, NULL) : NULL;
   if (!coll || !(strcmp(name, "create") == 0 || strcmp(name, "drop") == 0 ||
                  strcmp(name, "createIndexes") == 0 || strcmp(name, "commitIndexBuild") == 0 ||
                  strcmp(name, "dropIndexes") == 0 || strcmp(name, "deleteIndexes") == 0 ||
                  strcmp(name, "dropIndex") == 0 || strcmp(name, "deleteIndex") == 0)) {
      mb_error_set(t->err, MB_EXIT_USAGE,
                   "the oplog holds a '%s' command on '%s', which mongobak does not replay; "
                   "restore with --oplog-limit before it",
                   name, e->db);
      bson_destroy(&cmd);
      return false;
   }
   if (!map_ns(t, e->db, coll, &db, &dcoll)) {
      (*t->skipped)++;
      goto done;
   }
   bson_destroy(&cmd);
   if (strcmp(name, "create") == 0) {
      rename_command(&e->o, "create", dcoll, &cmd, NULL);
      ok_codes = exists;
   } else if (strcmp(name, "drop") == 0) {
      rename_command(&e->o, "drop", dcoll, &cmd, NULL);
      ok_codes = missing;
   } else if (strcmp(name, "createIndexes") == 0) {
      create_indexes(&e->o, dcoll, &cmd);
      ok_codes = index_there;
   } else if (strcmp(name, "commitIndexBuild") == 0) {
      ok = commit_index_build(t, &e->o, dcoll, &cmd);
      ok_codes = index_there;
   } else {
      rename_command(&e->o, "dropIndexes", dcoll, &cmd, NULL);
      ok_codes = no_index;
   }
   ok = ok && emit(t, MB_ROPLOG_COMMAND, db, NULL, NULL, &cmd, ok_codes);
done:
   bson_free(db);
   bson_free(dcoll);
   bson_destroy(&cmd);
   return ok;
}

static bool translate_doc(const tctx_t *t, const bson_t *b)
{
   entry_t e;
   char *db = NULL, *coll = NULL;
   bool ok = true;

   if (!parse_entry(b, &e, t->err)) {
      return false;
   }
   if (strcmp(e.op, "c") == 0) {
      ok = command(t, &e);
   } else if (strcmp(e.op, "i") != 0 && strcmp(e.op, "u") != 0 && strcmp(e.op, "d") != 0) {
      (*t->skipped)++; /* n (no-op), and the record-id bookkeeping entries */
   } else if (!map_ns(t, e.db, e.coll, &db, &coll)) {
      (*t->skipped)++;
   } else if (e.op[0] == 'i') {
      ok = crud_insert(t, &e, db, coll);
   } else if (e.op[0] == 'u') {
      ok = crud_update(t, &e, db, coll);
   } else {
      ok = emit(t, MB_ROPLOG_DELETE, db, coll, &e.o, NULL, NULL);
   }
   bson_free(db);
   bson_free(coll);
   entry_clear(&e);
   return ok;
}

bool mb_roplog_translate(const uint8_t *entry, size_t len, const mb_rnsmap_t *map,
                         mb_roplog_emit_fn emit_fn, void *user_data, uint64_t *skipped,
                         mb_error_t *err)
{
   tctx_t t = {.map = map, .emit = emit_fn, .user_data = user_data, .skipped = skipped, .err = err};
   bson_t b;

   if (!bson_init_static(&b, entry, len)) {
      mb_error_set(err, MB_EXIT_CORRUPT, "an oplog entry is not a BSON document");
      return false;
   }
   return translate_doc(&t, &b);
}
