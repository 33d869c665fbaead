/* mongobak-synth's writes: create, insert, createIndexes, drop, dropDatabase and synthStats.
 * Nothing is stored but counts: each namespace written to keeps its documents and BSON bytes,
 * the invalid documents it was sent, its indexes and its create options, so that a restore can
 * be measured against a server that costs almost nothing and checked to have delivered every
 * document (synthStats, or --stats-on-exit). Each inserted document's framing is checked (its
 * length, its terminating byte and a walk of its top-level elements; with --validate-writes full,
 * bson_validate of the whole document); an insert with a bad document fails whole with InvalidBSON
 * and counts it, without counting the others. */
#include "server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NS_MAX 256
#define MAX_DBS 64

typedef struct syn_wns {
   char ns[NS_MAX]; /* db.coll */
   size_t dblen;
   bool live; /* false once dropped (entries are never removed from the table) */
   uint64_t docs, bytes, invalid, inserts;
   bson_t options; /* create's options */
   bson_t indexes; /* createIndexes' specs, as an array */
   uint32_t nindexes;
   uint8_t uuid[16];
} syn_wns_t;

static void abort_oom(void)
{
   fprintf(stderr, "mongobak-synth: out of memory\n");
   abort();
}

static const char *coll_of(const syn_wns_t *w)
{
   return w->ns + w->dblen + 1;
}

/* The slot of ns in the table (its entry or the empty slot where it would go). Locked. */
static size_t wns_slot(const syn_server_t *s, const char *ns)
{
   size_t mask = s->wns_cap - 1, k;

   for (k = syn_name_hash(ns) & mask; s->wns[k] && strcmp(s->wns[k]->ns, ns) != 0;
        k = (k + 1) & mask) {
   }
   return k;
}

static void wns_grow(syn_server_t *s)
{
   syn_wns_t **old = s->wns;
   size_t old_cap = s->wns_cap;

   s->wns_cap = old_cap ? old_cap * 2 : 64;
   s->wns = calloc(s->wns_cap, sizeof *s->wns);
   if (!s->wns) {
      abort_oom();
   }
   for (size_t k = 0; k < old_cap; k++) {
      if (old[k]) {
         s->wns[wns_slot(s, old[k]->ns)] = old[k];
      }
   }
   free(old);
}

/* The entry of db.coll; created (live, empty) when create is set, else NULL when absent or
 * dropped. Locked. */
static syn_wns_t *wns_get(syn_server_t *s, const char *db, const char *coll, bool create)
{
   char ns[NS_MAX];
   syn_wns_t *w;
   size_t k;

   if ((size_t) snprintf(ns, sizeof ns, "%s.%s", db, coll) >= sizeof ns) {
      return NULL;
   }
   if (s->wns_cap && s->wns[k = wns_slot(s, ns)]) {
      w = s->wns[k];
      if (!w->live && create) {
         w->live = true;
      }
      return w->live ? w : NULL;
   }
   if (!create) {
      return NULL;
   }
   if ((s->nwns + 1) * 2 > s->wns_cap) {
      wns_grow(s);
   }
   w = calloc(1, sizeof *w);
   if (!w) {
      abort_oom();
   }
   snprintf(w->ns, sizeof w->ns, "%s", ns);
   w->dblen = strlen(db);
   w->live = true;
   bson_init(&w->options);
   bson_init(&w->indexes);
   for (int b = 0; b < 16; b++) {
      w->uuid[b] = (uint8_t) (syn_name_hash(ns) >> (8 * (b % 8)) ^ (uint64_t) b * 131);
   }
   w->uuid[6] = (uint8_t) ((w->uuid[6] & 0x0f) | 0x40);
   w->uuid[8] = (uint8_t) ((w->uuid[8] & 0x3f) | 0x80);
   s->wns[wns_slot(s, ns)] = w;
   s->nwns++;
   return w;
}

/* Forget what a dropped namespace held. Locked. */
static void wns_reset(syn_wns_t *w)
{
   w->live = false;
   w->docs = w->bytes = w->invalid = w->inserts = 0;
   w->nindexes = 0;
   bson_reinit(&w->options);
   bson_reinit(&w->indexes);
}

static const char *first_utf8(const bson_t *cmd)
{
   bson_iter_t it;

   if (bson_iter_init(&it, cmd) && bson_iter_next(&it) && BSON_ITER_HOLDS_UTF8(&it)) {
      return bson_iter_utf8(&it, NULL);
   }
   return NULL;
}

/* The collection a write command names (its first field); replies an error when none. */
static const char *target(syn_conn_t *c, const char *db, const bson_t *cmd)
{
   const char *coll = first_utf8(cmd);

   if (!coll || !*coll) {
      syn_reply_error(c, 73, "InvalidNamespace", "a collection name is required");
      return NULL;
   }
   if (strlen(db) + strlen(coll) + 2 > NS_MAX) {
      syn_reply_error(c, 73, "InvalidNamespace", "namespace too long: %s.%s", db, coll);
      return NULL;
   }
   return coll;
}

void syn_cmd_create(syn_conn_t *c, const char *db, const bson_t *cmd)
{
   syn_server_t *s = c->srv;
   const char *coll = target(c, db, cmd);
   bson_t r = BSON_INITIALIZER;
   bson_iter_t it;
   syn_wns_t *w;
   bool exists;

   if (!coll) {
      bson_destroy(&r);
      return;
   }
   pthread_mutex_lock(&s->wlock);
   exists = wns_get(s, db, coll, false) != NULL || syn_find_coll(s, db, coll) != NULL;
   if (!exists) {
      w = wns_get(s, db, coll, true);
      bson_iter_init(&it, cmd);
      bson_iter_next(&it); /* create: NAME */
      while (bson_iter_next(&it)) {
         const char *k = bson_iter_key(&it);
         if (strcmp(k, "$db") != 0 && strcmp(k, "lsid") != 0 && strcmp(k, "writeConcern") != 0 &&
             strcmp(k, "$clusterTime") != 0 && strcmp(k, "$readPreference") != 0) {
            bson_append_iter(&w->options, k, -1, &it);
         }
      }
   }
   pthread_mutex_unlock(&s->wlock);
   if (exists) {
      bson_destroy(&r);
      syn_reply_error(c, 48, "NamespaceExists", "Collection %s.%s already exists.", db, coll);
      return;
   }
   syn_reply_ok(c, &r);
}

/* Checks one document of an insert: its framing, or all of it with --validate-writes full. */
static bool doc_ok(const syn_server_t *s, const uint8_t *p, size_t avail, uint32_t *len)
{
   bson_t b;
   bson_iter_t it;
   size_t off;

   if (avail < 5) {
      return false;
   }
   memcpy(len, p, 4);
   if (*len < 5 || *len > avail || !bson_init_static(&b, p, *len)) {
      return false;
   }
   if (s->validate_full) {
      return bson_validate(&b, BSON_VALIDATE_NONE, &off);
   }
   if (!bson_iter_init(&it, &b)) {
      return false;
   }
   while (bson_iter_next(&it)) {
   }
   return it.err_off == 0;
}

void syn_cmd_insert(syn_conn_t *c, const char *db, const bson_t *cmd)
{
   syn_server_t *s = c->srv;
   const char *coll = target(c, db, cmd);
   bson_t r = BSON_INITIALIZER;
   bson_iter_t it, arr;
   uint64_t docs = 0, bytes = 0, bad = 0, bad_index = 0;
   uint32_t len;
   syn_wns_t *w;

   if (!coll) {
      bson_destroy(&r);
      return;
   }
   /* documents: an inline array, and/or OP_MSG document sequences named "documents" */
   if (bson_iter_init_find(&it, cmd, "documents")) {
      if (!BSON_ITER_HOLDS_ARRAY(&it) || !bson_iter_recurse(&it, &arr)) {
         bson_destroy(&r);
         syn_reply_error(c, 14, "TypeMismatch", "documents must be an array");
         return;
      }
      while (bson_iter_next(&arr)) {
         const uint8_t *data;
         if (!BSON_ITER_HOLDS_DOCUMENT(&arr)) {
            bad_index = bad ? bad_index : docs + bad;
            bad++;
            continue;
         }
         bson_iter_document(&arr, &len, &data);
         if (doc_ok(s, data, len, &len)) {
            docs++;
            bytes += len;
         } else {
            bad_index = bad ? bad_index : docs + bad;
            bad++;
         }
      }
   }
   for (int q = 0; q < c->nseq; q++) {
      const uint8_t *p = c->seq[q].data, *end = p + c->seq[q].len;
      if (strcmp(c->seq[q].id, "documents") != 0) {
         continue;
      }
      while (p < end) {
         if (!doc_ok(s, p, (size_t) (end - p), &len)) {
            bad_index = bad ? bad_index : docs + bad;
            bad++;
            break; /* the rest of the sequence cannot be framed */
         }
         docs++;
         bytes += len;
         p += len;
      }
   }
   pthread_mutex_lock(&s->wlock);
   w = wns_get(s, db, coll, true);
   w->inserts++;
   if (bad) {
      w->invalid += bad;
   } else {
      w->docs += docs;
      w->bytes += bytes;
   }
   pthread_mutex_unlock(&s->wlock);
   if (bad) {
      bson_destroy(&r);
      syn_reply_error(c, 22, "InvalidBSON",
                      "insert into %s.%s: document %llu (and %llu in all) has bad BSON framing", db,
                      coll, (unsigned long long) bad_index, (unsigned long long) bad);
      return;
   }
   BSON_APPEND_INT32(&r, "n", (int32_t) docs);
   syn_reply_ok(c, &r);
}

/* Whether the index array a already holds an index named name. */
static bool has_index(const bson_t *a, const char *name)
{
   bson_iter_t it, f;

   bson_iter_init(&it, a);
   while (bson_iter_next(&it)) {
      if (bson_iter_recurse(&it, &f) && bson_iter_find(&f, "name") && BSON_ITER_HOLDS_UTF8(&f) &&
          strcmp(bson_iter_utf8(&f, NULL), name) == 0) {
         return true;
      }
   }
   return false;
}

void syn_cmd_create_indexes(syn_conn_t *c, const char *db, const bson_t *cmd)
{
   syn_server_t *s = c->srv;
   const char *coll = target(c, db, cmd);
   bson_t r = BSON_INITIALIZER, spec;
   bson_iter_t it, arr, f;
   char key[16];
   const char *k;
   uint32_t before = 0, after = 0, len;
   const uint8_t *data;
   bool created = false, bad = false;
   syn_wns_t *w;

   if (!coll) {
      bson_destroy(&r);
      return;
   }
   if (!bson_iter_init_find(&it, cmd, "indexes") || !BSON_ITER_HOLDS_ARRAY(&it) ||
       !bson_iter_recurse(&it, &arr)) {
      bson_destroy(&r);
      syn_reply_error(c, 9, "FailedToParse", "createIndexes wants an indexes array");
      return;
   }
   pthread_mutex_lock(&s->wlock);
   if (!(w = wns_get(s, db, coll, false))) {
      created = syn_find_coll(s, db, coll) == NULL;
      w = wns_get(s, db, coll, true);
   }
   before = w->nindexes + 1;
   while (bson_iter_next(&arr)) {
      if (!BSON_ITER_HOLDS_DOCUMENT(&arr)) {
         bad = true;
         break;
      }
      bson_iter_document(&arr, &len, &data);
      if (!bson_init_static(&spec, data, len) || !bson_iter_init_find(&f, &spec, "name") ||
          !BSON_ITER_HOLDS_UTF8(&f) || !bson_iter_init_find(&f, &spec, "key") ||
          !BSON_ITER_HOLDS_DOCUMENT(&f)) {
         bad = true;
         break;
      }
      bson_iter_init_find(&f, &spec, "name");
      if (strcmp(bson_iter_utf8(&f, NULL), "_id_") == 0 ||
          has_index(&w->indexes, bson_iter_utf8(&f, NULL))) {
         continue;
      }
      bson_uint32_to_string(w->nindexes++, &k, key, sizeof key);
      BSON_APPEND_DOCUMENT(&w->indexes, k, &spec);
   }
   after = w->nindexes + 1;
   pthread_mutex_unlock(&s->wlock);
   if (bad) {
      bson_destroy(&r);
      syn_reply_error(c, 9, "FailedToParse", "every index needs a name and a key document");
      return;
   }
   BSON_APPEND_BOOL(&r, "createdCollectionAutomatically", created);
   BSON_APPEND_INT32(&r, "numIndexesBefore", (int32_t) before);
   BSON_APPEND_INT32(&r, "numIndexesAfter", (int32_t) after);
   syn_reply_ok(c, &r);
}

void syn_cmd_drop(syn_conn_t *c, const char *db, const bson_t *cmd)
{
   syn_server_t *s = c->srv;
   const char *coll = target(c, db, cmd);
   bson_t r = BSON_INITIALIZER;
   syn_wns_t *w;

   if (!coll) {
      bson_destroy(&r);
      return;
   }
   pthread_mutex_lock(&s->wlock);
   w = wns_get(s, db, coll, false);
   if (w) {
      wns_reset(w);
   }
   pthread_mutex_unlock(&s->wlock);
   /* like mongod 7: dropping a collection that does not exist succeeds; generated collections
    * cannot be dropped and stay */
   BSON_APPEND_UTF8(&r, "ns", w ? w->ns : "");
   BSON_APPEND_INT32(&r, "nIndexesWas", 1);
   syn_reply_ok(c, &r);
}

void syn_cmd_drop_database(syn_conn_t *c, const char *db, const bson_t *cmd)
{
   syn_server_t *s = c->srv;
   bson_t r = BSON_INITIALIZER;
   size_t dblen = strlen(db);

   (void) cmd;
   pthread_mutex_lock(&s->wlock);
   for (size_t k = 0; k < s->wns_cap; k++) {
      syn_wns_t *w = s->wns[k];
      if (w && w->live && w->dblen == dblen && memcmp(w->ns, db, dblen) == 0) {
         wns_reset(w);
      }
   }
   pthread_mutex_unlock(&s->wlock);
   BSON_APPEND_UTF8(&r, "dropped", db);
   syn_reply_ok(c, &r);
}

static bool in_db(const syn_wns_t *w, const char *db)
{
   return w && w->live && w->dblen == strlen(db) && memcmp(w->ns, db, w->dblen) == 0;
}

uint32_t syn_list_written(syn_server_t *s, const char *db, const bson_t *filter, bool name_only,
                          bson_t *batch, uint32_t n)
{
   char key[16];
   const char *k;
   bson_t doc, sub;
   bool supported;

   pthread_mutex_lock(&s->wlock);
   for (size_t i = 0; i < s->wns_cap; i++) {
      const syn_wns_t *w = s->wns[i];
      if (!in_db(w, db) || syn_find_coll(s, db, coll_of(w)) ||
          !syn_filter_matches(filter, coll_of(w), &supported)) {
         continue;
      }
      bson_uint32_to_string(n++, &k, key, sizeof key);
      BSON_APPEND_DOCUMENT_BEGIN(batch, k, &doc);
      BSON_APPEND_UTF8(&doc, "name", coll_of(w));
      BSON_APPEND_UTF8(&doc, "type", "collection");
      if (!name_only) {
         BSON_APPEND_DOCUMENT(&doc, "options", &w->options);
         BSON_APPEND_DOCUMENT_BEGIN(&doc, "info", &sub);
         BSON_APPEND_BOOL(&sub, "readOnly", false);
         BSON_APPEND_BINARY(&sub, "uuid", BSON_SUBTYPE_UUID, w->uuid, 16);
         bson_append_document_end(&doc, &sub);
         syn_append_id_index(&doc, "idIndex");
      }
      bson_append_document_end(batch, &doc);
   }
   pthread_mutex_unlock(&s->wlock);
   return n;
}

bool syn_written_indexes(syn_server_t *s, const char *db, const char *name, bson_t *batch)
{
   char key[16];
   const char *k;
   uint32_t n = 1;
   bson_iter_t it;
   syn_wns_t *w;

   pthread_mutex_lock(&s->wlock);
   w = wns_get(s, db, name, false);
   if (w) {
      syn_append_id_index(batch, "0");
      bson_iter_init(&it, &w->indexes);
      while (bson_iter_next(&it)) {
         bson_uint32_to_string(n++, &k, key, sizeof key);
         bson_append_iter(batch, k, -1, &it);
      }
   }
   pthread_mutex_unlock(&s->wlock);
   return w != NULL;
}

bool syn_written_count(syn_server_t *s, const char *db, const char *name, uint64_t *docs,
                       uint64_t *bytes)
{
   syn_wns_t *w;

   pthread_mutex_lock(&s->wlock);
   w = wns_get(s, db, name, false);
   if (w) {
      *docs = w->docs;
      *bytes = w->bytes;
   }
   pthread_mutex_unlock(&s->wlock);
   return w != NULL;
}

uint32_t syn_written_dbs(syn_server_t *s, const char *skip, bson_t *a, uint32_t n)
{
   char dbs[MAX_DBS][NS_MAX], key[16];
   const char *k;
   int ndbs = 0;
   bson_t d;

   pthread_mutex_lock(&s->wlock);
   for (size_t i = 0; i < s->wns_cap && ndbs < MAX_DBS; i++) {
      const syn_wns_t *w = s->wns[i];
      bool seen = false;
      if (!w || !w->live) {
         continue;
      }
      for (int j = 0; j < ndbs && !seen; j++) {
         seen = strlen(dbs[j]) == w->dblen && memcmp(dbs[j], w->ns, w->dblen) == 0;
      }
      if (!seen && !(strlen(skip) == w->dblen && memcmp(skip, w->ns, w->dblen) == 0)) {
         snprintf(dbs[ndbs++], NS_MAX, "%.*s", (int) w->dblen, w->ns);
      }
   }
   pthread_mutex_unlock(&s->wlock);
   for (int j = 0; j < ndbs; j++) {
      bson_uint32_to_string(n++, &k, key, sizeof key);
      BSON_APPEND_DOCUMENT_BEGIN(a, k, &d);
      BSON_APPEND_UTF8(&d, "name", dbs[j]);
      BSON_APPEND_INT64(&d, "sizeOnDisk", 0);
      BSON_APPEND_BOOL(&d, "empty", false);
      bson_append_document_end(a, &d);
   }
   return n;
}

static int cmp_ns(const void *a, const void *b)
{
   return strcmp((*(syn_wns_t *const *) a)->ns, (*(syn_wns_t *const *) b)->ns);
}

void syn_write_stats(syn_server_t *s, bson_t *out, bool reset)
{
   uint64_t docs = 0, bytes = 0, invalid = 0;
   syn_wns_t **list;
   size_t n = 0;
   char key[16];
   const char *k;
   bson_t a, d;

   pthread_mutex_lock(&s->wlock);
   list = calloc(s->nwns ? s->nwns : 1, sizeof *list);
   if (!list) {
      abort_oom();
   }
   for (size_t i = 0; i < s->wns_cap; i++) {
      if (s->wns[i] && (s->wns[i]->live || s->wns[i]->invalid)) {
         list[n++] = s->wns[i];
      }
   }
   qsort(list, n, sizeof *list, cmp_ns);
   BSON_APPEND_ARRAY_BEGIN(out, "namespaces", &a);
   for (size_t i = 0; i < n; i++) {
      const syn_wns_t *w = list[i];
      bson_uint32_to_string((uint32_t) i, &k, key, sizeof key);
      BSON_APPEND_DOCUMENT_BEGIN(&a, k, &d);
      BSON_APPEND_UTF8(&d, "ns", w->ns);
      BSON_APPEND_INT64(&d, "docs", (int64_t) w->docs);
      BSON_APPEND_INT64(&d, "bytes", (int64_t) w->bytes);
      BSON_APPEND_INT64(&d, "invalid", (int64_t) w->invalid);
      BSON_APPEND_INT64(&d, "inserts", (int64_t) w->inserts);
      BSON_APPEND_INT32(&d, "indexes", (int32_t) w->nindexes + 1);
      bson_append_document_end(&a, &d);
      docs += w->docs;
      bytes += w->bytes;
      invalid += w->invalid;
   }
   bson_append_array_end(out, &a);
   BSON_APPEND_INT64(out, "docs", (int64_t) docs);
   BSON_APPEND_INT64(out, "bytes", (int64_t) bytes);
   BSON_APPEND_INT64(out, "invalid", (int64_t) invalid);
   syn_applied_stats(s, out, reset);
   if (reset) {
      for (size_t i = 0; i < s->wns_cap; i++) {
         if (s->wns[i]) {
            wns_reset(s->wns[i]);
         }
      }
   }
   pthread_mutex_unlock(&s->wlock);
   free(list);
}

void syn_cmd_stats(syn_conn_t *c, const char *db, const bson_t *cmd)
{
   bson_t r = BSON_INITIALIZER;
   bson_iter_t it;

   (void) db;
   syn_write_stats(c->srv, &r, bson_iter_init_find(&it, cmd, "reset") && bson_iter_as_bool(&it));
   syn_reply_ok(c, &r);
}
