#include "restore/plan.h"
#include "archive/metadata.h"
#include "common/text.h"

#include <stdlib.h>
#include <string.h>

static bool bad_meta(mb_error_t *err, const mb_rplan_ns_t *p, const char *what)
{
   mb_error_set(err, MB_EXIT_CORRUPT, "the metadata of namespace '%s' in the archive %s", p->src_ns,
                what);
   return false;
}

/* A spec as createIndexes wants it: without "v" and "ns" (mongorestore drops both), and with an
 * explicit simple collation when the collection has a non-simple default one. */
static void clean_index_spec(const bson_t *spec, bool add_simple_collation, bson_t *out)
{
   bson_iter_t it;
   bool has_collation = false;

   bson_iter_init(&it, spec);
   while (bson_iter_next(&it)) {
      const char *k = bson_iter_key(&it);
      if (strcmp(k, "v") == 0 || strcmp(k, "ns") == 0) {
         continue;
      }
      has_collation |= strcmp(k, "collation") == 0;
      bson_append_iter(out, k, -1, &it);
   }
   if (add_simple_collation && !has_collation) {
      bson_t c;
      BSON_APPEND_DOCUMENT_BEGIN(out, "collation", &c);
      BSON_APPEND_UTF8(&c, "locale", "simple");
      bson_append_document_end(out, &c);
   }
}

static bool non_simple_collation(const bson_t *options)
{
   bson_iter_t it, loc;

   return bson_iter_init_find(&it, options, "collation") && BSON_ITER_HOLDS_DOCUMENT(&it) &&
          bson_iter_recurse(&it, &loc) && bson_iter_find(&loc, "locale") &&
          BSON_ITER_HOLDS_UTF8(&loc) && strcmp(bson_iter_utf8(&loc, NULL), "simple") != 0;
}

static bool take_index(mb_rplan_ns_t *p, const bson_iter_t *el, bool simple, mb_error_t *err)
{
   const uint8_t *data;
   uint32_t len;
   bson_t spec, clean;
   bson_iter_t name;

   if (!BSON_ITER_HOLDS_DOCUMENT(el)) {
      return bad_meta(err, p, "has an index that is not a document");
   }
   bson_iter_document(el, &len, &data);
   if (!bson_init_static(&spec, data, len)) {
      return bad_meta(err, p, "has an index that is not valid BSON");
   }
   if (!bson_iter_init_find(&name, &spec, "name") || !BSON_ITER_HOLDS_UTF8(&name)) {
      return true; /* mongorestore drops specs without a name too */
   }
   if (strcmp(bson_iter_utf8(&name, NULL), "_id_") == 0) {
      bson_destroy(&p->id_index);
      bson_copy_to(&spec, &p->id_index);
      return true;
   }
   mb_text_array_begin_document(&p->indexes, (uint32_t) p->nindexes++, &clean);
   clean_index_spec(&spec, simple, &clean);
   bson_append_document_end(&p->indexes, &clean);
   return true;
}

static bool take_indexes(mb_rplan_ns_t *p, const bson_iter_t *it, mb_error_t *err)
{
   bool simple = non_simple_collation(&p->options);
   bson_iter_t el;

   if (BSON_ITER_HOLDS_NULL(it)) {
      return true; /* the parser let only null or an array through */
   }
   if (!BSON_ITER_HOLDS_ARRAY(it) || !bson_iter_recurse(it, &el)) {
      return bad_meta(err, p, "has 'indexes' that is not an array");
   }
   while (bson_iter_next(&el)) {
      if (!take_index(p, &el, simple, err)) {
         return false;
      }
   }
   return true;
}

/* uuid: a string (checked by the parser) of 32 hex digits, else ignored as mongorestore does
 * without --preserveUUID. */
static void take_uuid(mb_rplan_ns_t *p, const bson_iter_t *it)
{
   const char *s;
   uint32_t len;

   if (!BSON_ITER_HOLDS_UTF8(it)) {
      return;
   }
   s = bson_iter_utf8(it, &len);
   if (len == 32 && strspn(s, "0123456789abcdefABCDEF") == 32) {
      for (int i = 0; i < 32; i++) {
         p->uuid[i] = (char) (s[i] >= 'A' && s[i] <= 'F' ? s[i] - 'A' + 'a' : s[i]);
      }
      p->uuid[32] = '\0';
   }
}

/* The metadata through the archive's one parser: what verify judges is what restore uses. */
static bool parse_metadata(mb_rplan_ns_t *p, mb_error_t *err)
{
   char problem[400], refusal[200];
   bson_t meta;
   bson_iter_t it;
   bool ok = false;

   if (!p->src->metadata[0]) {
      return true;
   }
   if (!mb_archive_metadata_parse(p->src->metadata, &meta, problem, sizeof problem, refusal,
                                  sizeof refusal)) {
      mb_error_set(err, MB_EXIT_CORRUPT, "the metadata of namespace '%s' in the archive %s",
                   p->src_ns, problem);
      goto cleanup;
   }
   if (bson_iter_init_find(&it, &meta, "options") && BSON_ITER_HOLDS_DOCUMENT(&it)) {
      const uint8_t *data;
      uint32_t len;
      bson_t opts;
      bson_iter_document(&it, &len, &data);
      if (bson_init_static(&opts, data, len)) {
         bson_concat(&p->options, &opts);
      }
   }
   if (bson_iter_init_find(&it, &meta, "indexes") && !take_indexes(p, &it, err)) {
      goto cleanup;
   }
   if (bson_iter_init_find(&it, &meta, "uuid")) {
      take_uuid(p, &it);
   }
   p->is_view = bson_has_field(&p->options, "viewOn");
   p->is_timeseries = bson_has_field(&p->options, "timeseries");
   ok = true;
cleanup:
   bson_destroy(&meta);
   return ok;
}

/* A target a rename rule made: "db.coll" split at its first '.', as mongorestore does, and
 * checked, since the user chose it. */
static bool renamed_target(mb_rplan_ns_t *p, char *renamed, mb_error_t *err)
{
   const char *dot = strchr(renamed, '.');

   p->dst_ns = renamed;
   p->dst_db = bson_strndup(renamed, dot ? (size_t) (dot - renamed) : strlen(renamed));
   p->dst_coll = bson_strdup(dot ? dot + 1 : "");
   if (!mb_archive_valid_db_name(p->dst_db) || !p->dst_db[0]) {
      mb_error_set(err, MB_EXIT_USAGE,
                   "'%s' would be restored as '%s': invalid database name (1 to 63 bytes, none "
                   "of /\\. \"$)",
                   p->src_ns, p->dst_ns);
      return false;
   }
   if (!p->dst_coll[0] || p->dst_coll[0] == '$') {
      mb_error_set(err, MB_EXIT_USAGE,
                   "'%s' would be restored as '%s': invalid collection name (empty or starting "
                   "with '$')",
                   p->src_ns, p->dst_ns);
      return false;
   }
   return true;
}

/* Without a rename, the target is exactly the archive's (db, collection), whatever dots they
 * hold: "a.b" + "c" goes to database "a.b" (which the server may refuse), never to "a" +
 * "b.c". */
static bool set_target(mb_rplan_ns_t *p, const mb_rnsmap_t *map, mb_error_t *err)
{
   char *renamed = mb_rnsmap_rename(map, p->src_ns);
   const char *data_prefix;

   if (renamed) {
      if (!renamed_target(p, renamed, err)) {
         return false;
      }
   } else {
      p->dst_ns = bson_strdup(p->src_ns);
      p->dst_db = bson_strdup(p->src->db);
      p->dst_coll = bson_strdup(p->src->collection);
   }
   /* old timeseries: documents go to system.buckets.<renamed X> */
   data_prefix = strcmp(p->src->data_collection, p->src->collection) != 0 ? "system.buckets." : "";
   p->dst_data_coll = bson_strdup_printf("%s%s", data_prefix, p->dst_coll);
   return true;
}

static bool plan_one(mb_rplan_ns_t *p, const mb_archive_ns_t *ns, const mb_rnsmap_t *map,
                     mb_error_t *err)
{
   const char *why = NULL;

   p->src = ns;
   p->src_ns = bson_strdup_printf("%s.%s", ns->db, ns->collection);
   bson_init(&p->options);
   bson_init(&p->indexes);
   bson_init(&p->id_index);
   p->skip_reason = mb_archive_skip_reason(ns->db, ns->collection);
   if (!p->skip_reason && !mb_rnsmap_selected(map, p->src_ns, &why)) {
      p->skip_reason = why;
      p->filtered = true;
   }
   if (p->skip_reason) {
      p->action = MB_RPLAN_SKIP;
      return true;
   }
   if (ns->kind == MB_NS_SPECIAL) {
      p->action = MB_RPLAN_USERS;
      p->dst_ns = bson_strdup_printf("admin.%s", strstr(ns->collection, "system."));
      return true;
   }
   p->action = MB_RPLAN_RESTORE;
   return parse_metadata(p, err) && set_target(p, map, err);
}

static int cmp_target(const void *a, const void *b)
{
   const mb_rplan_ns_t *x = *(mb_rplan_ns_t *const *) a, *y = *(mb_rplan_ns_t *const *) b;
   return strcmp(x->dst_ns, y->dst_ns);
}

static bool check_unique_targets(const mb_rplan_t *plan, mb_error_t *err)
{
   mb_rplan_ns_t **v = bson_malloc0(sizeof *v * (size_t) (plan->nns + 1));
   int n = 0;
   bool ok = true;

   for (int i = 0; i < plan->nns; i++) {
      if (plan->ns[i].action == MB_RPLAN_RESTORE) {
         v[n++] = &plan->ns[i];
      }
   }
   qsort(v, (size_t) n, sizeof *v, cmp_target);
   for (int i = 1; i < n && ok; i++) {
      if (strcmp(v[i - 1]->dst_ns, v[i]->dst_ns) == 0) {
         mb_error_set(err, MB_EXIT_USAGE,
                      "'%s' and '%s' would both be restored into '%s'; change --ns-from/--ns-to",
                      v[i - 1]->src_ns, v[i]->src_ns, v[i]->dst_ns);
         ok = false;
      }
   }
   bson_free(v);
   return ok;
}

bool mb_rplan_build(const mb_archive_reader_t *r, const mb_rnsmap_t *map, mb_rplan_t **out,
                    mb_error_t *err)
{
   mb_rplan_t *p = bson_malloc0(sizeof *p);
   int n = mb_archive_reader_ns_count(r);

   p->ns = bson_malloc0(sizeof *p->ns * (size_t) (n + 1));
   for (int i = 0; i < n; i++) {
      p->nns++;
      if (!plan_one(&p->ns[i], mb_archive_reader_ns(r, i), map, err)) {
         mb_rplan_destroy(p);
         return false;
      }
   }
   if (!check_unique_targets(p, err)) {
      mb_rplan_destroy(p);
      return false;
   }
   *out = p;
   return true;
}

void mb_rplan_destroy(mb_rplan_t *p)
{
   if (!p) {
      return;
   }
   for (int i = 0; i < p->nns; i++) {
      mb_rplan_ns_t *n = &p->ns[i];
      bson_free(n->src_ns);
      bson_free(n->dst_ns);
      bson_free(n->dst_db);
      bson_free(n->dst_coll);
      bson_free(n->dst_data_coll);
      bson_destroy(&n->options);
      bson_destroy(&n->indexes);
      bson_destroy(&n->id_index);
   }
   bson_free(p->ns);
   bson_free(p);
}
