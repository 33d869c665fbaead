#include "bsoncmp.h"
#include "server.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define DEFAULT_FIRST_BATCH 101
#define SERVER_VERSION "7.0.0"
#define WIRE_VERSION 21
#define MAX_CURSORS 100000

typedef struct {
   const char *name;
   void (*fn)(syn_conn_t *c, const char *db, const bson_t *cmd);
} handler_t;

void syn_buf_reserve(syn_buf_t *b, size_t n)
{
   uint8_t *p;

   if (n <= b->cap) {
      return;
   }
   p = realloc(b->data, n);
   if (!p) {
      fprintf(stderr, "mongobak-synth: out of memory (%zu bytes)\n", n);
      abort();
   }
   b->data = p;
   b->cap = n;
}

/* BSON is little-endian, and so is every platform this tool targets. */
static void put_le32(uint8_t *out, uint32_t v)
{
   memcpy(out, &v, 4);
}

/* The reply is one document, copied to c->out. */
void syn_reply_doc(syn_conn_t *c, const bson_t *doc)
{
   syn_buf_reserve(&c->out, doc->len);
   memcpy(c->out.data, bson_get_data(doc), doc->len);
   c->iov[0].iov_base = c->out.data;
   c->iov[0].iov_len = doc->len;
   c->niov = 1;
   c->body_len = doc->len;
}

void syn_reply_error(syn_conn_t *c, int code, const char *code_name, const char *fmt, ...)
{
   bson_t r = BSON_INITIALIZER;
   char msg[512];
   va_list ap;

   va_start(ap, fmt);
   vsnprintf(msg, sizeof msg, fmt, ap);
   va_end(ap);
   BSON_APPEND_DOUBLE(&r, "ok", 0.0);
   BSON_APPEND_UTF8(&r, "errmsg", msg);
   BSON_APPEND_INT32(&r, "code", code);
   BSON_APPEND_UTF8(&r, "codeName", code_name);
   syn_reply_doc(c, &r);
   bson_destroy(&r);
   if (c->srv->log) {
      fprintf(stderr, "mongobak-synth: conn %d: error %d: %s\n", c->id, code, msg);
   }
}

/* Finish r with ok: 1, send it and destroy it. */
void syn_reply_ok(syn_conn_t *c, bson_t *r)
{
   BSON_APPEND_DOUBLE(r, "ok", 1.0);
   syn_reply_doc(c, r);
   bson_destroy(r);
}

const syn_coll_t *syn_find_coll(const syn_server_t *s, const char *db, const char *name)
{
   size_t mask = s->coll_slots_cap - 1, k;

   if (strcmp(db, s->db) != 0 || s->coll_slots_cap == 0) {
      return NULL;
   }
   /* the index built by synth.c: 10,000 collections are looked up without a linear scan */
   for (k = syn_name_hash(name) & mask; s->coll_slots[k] >= 0; k = (k + 1) & mask) {
      if (strcmp(s->colls[s->coll_slots[k]].name, name) == 0) {
         return &s->colls[s->coll_slots[k]];
      }
   }
   return NULL;
}

/* The string value of the command's first field ("" when it is not a string). */
static const char *cmd_arg(const bson_t *cmd)
{
   bson_iter_t it;

   if (bson_iter_init(&it, cmd) && bson_iter_next(&it) && BSON_ITER_HOLDS_UTF8(&it)) {
      return bson_iter_utf8(&it, NULL);
   }
   return "";
}

/* An optional document field: false when present and not a document; *out views it (empty
 * when absent). */
static bool opt_doc(const bson_t *cmd, const char *key, bson_t *out)
{
   bson_iter_t it;
   uint32_t len;
   const uint8_t *data;

   bson_init(out);
   if (!bson_iter_init_find(&it, cmd, key)) {
      return true;
   }
   if (!BSON_ITER_HOLDS_DOCUMENT(&it)) {
      return false;
   }
   bson_iter_document(&it, &len, &data);
   bson_init_static(out, data, len);
   return true;
}

static int64_t opt_int(const bson_t *cmd, const char *key, int64_t dflt)
{
   bson_iter_t it;

   if (bson_iter_init_find(&it, cmd, key) && BSON_ITER_HOLDS_NUMBER(&it)) {
      return bson_iter_as_int64(&it);
   }
   return dflt;
}

static bool opt_bool(const bson_t *cmd, const char *key)
{
   bson_iter_t it;
   return bson_iter_init_find(&it, cmd, key) && bson_iter_as_bool(&it);
}

/* doc is exactly {key: 1} (any number type). */
static bool is_key_one(const bson_t *doc, const char *key)
{
   bson_iter_t it;

   return bson_count_keys(doc) == 1 && bson_iter_init_find(&it, doc, key) &&
          BSON_ITER_HOLDS_NUMBER(&it) && bson_iter_as_int64(&it) == 1;
}

/* ---- handshake and server information ---- */

/* --replset: the fields of a replica set's primary, as mongod answers hello/isMaster. */
static void append_replset(const syn_server_t *s, bson_t *r)
{
   bson_t a, w, op;
   bson_oid_t election;
   char me[64];
   uint32_t t, i;

   snprintf(me, sizeof me, "127.0.0.1:%d", s->port);
   BSON_APPEND_ARRAY_BEGIN(r, "hosts", &a);
   BSON_APPEND_UTF8(&a, "0", me);
   bson_append_array_end(r, &a);
   BSON_APPEND_UTF8(r, "setName", s->replset);
   BSON_APPEND_INT32(r, "setVersion", 1);
   BSON_APPEND_BOOL(r, "secondary", false);
   BSON_APPEND_UTF8(r, "primary", me);
   BSON_APPEND_UTF8(r, "me", me);
   bson_oid_init_from_string(&election, "7fffffff0000000000000001");
   BSON_APPEND_OID(r, "electionId", &election);
   t = i = 0;
   if (s->oplog) {
      syn_oplog_newest((syn_server_t *) s, &t, &i);
   }
   BSON_APPEND_DOCUMENT_BEGIN(r, "lastWrite", &w);
   BSON_APPEND_DOCUMENT_BEGIN(&w, "opTime", &op);
   bson_append_timestamp(&op, "ts", 2, t, i);
   BSON_APPEND_INT64(&op, "t", 1);
   bson_append_document_end(&w, &op);
   BSON_APPEND_DATE_TIME(&w, "lastWriteDate", (int64_t) t * 1000);
   bson_append_document_end(r, &w);
}

static void cmd_hello(syn_conn_t *c, const char *db, const bson_t *cmd)
{
   bson_t r = BSON_INITIALIZER;
   bson_iter_t it;
   bool hello =
       bson_iter_init(&it, cmd) && bson_iter_next(&it) && strcmp(bson_iter_key(&it), "hello") == 0;

   (void) db;
   BSON_APPEND_BOOL(&r, "helloOk", true);
   BSON_APPEND_BOOL(&r, hello ? "isWritablePrimary" : "ismaster", true);
   BSON_APPEND_INT32(&r, "maxBsonObjectSize", 16 * 1024 * 1024);
   BSON_APPEND_INT32(&r, "maxMessageSizeBytes", SYN_MAX_MESSAGE);
   BSON_APPEND_INT32(&r, "maxWriteBatchSize", 100000);
   BSON_APPEND_DATE_TIME(&r, "localTime", (int64_t) time(NULL) * 1000);
   BSON_APPEND_INT32(&r, "logicalSessionTimeoutMinutes", 30);
   BSON_APPEND_INT32(&r, "connectionId", c->id);
   BSON_APPEND_INT32(&r, "minWireVersion", 0);
   BSON_APPEND_INT32(&r, "maxWireVersion", WIRE_VERSION);
   BSON_APPEND_BOOL(&r, "readOnly", false);
   if (c->srv->replset[0]) {
      append_replset(c->srv, &r);
   }
   syn_reply_ok(c, &r);
}

static void cmd_build_info(syn_conn_t *c, const char *db, const bson_t *cmd)
{
   bson_t r = BSON_INITIALIZER, a;

   (void) db;
   (void) cmd;
   BSON_APPEND_UTF8(&r, "version", SERVER_VERSION);
   BSON_APPEND_UTF8(&r, "gitVersion", "mongobak-synth: a benchmark instrument, not a database");
   BSON_APPEND_ARRAY_BEGIN(&r, "versionArray", &a);
   BSON_APPEND_INT32(&a, "0", 7);
   BSON_APPEND_INT32(&a, "1", 0);
   BSON_APPEND_INT32(&a, "2", 0);
   BSON_APPEND_INT32(&a, "3", 0);
   bson_append_array_end(&r, &a);
   BSON_APPEND_ARRAY_BEGIN(&r, "modules", &a);
   bson_append_array_end(&r, &a);
   BSON_APPEND_UTF8(&r, "sysInfo", "deprecated");
   BSON_APPEND_INT32(&r, "bits", 64);
   BSON_APPEND_BOOL(&r, "debug", false);
   BSON_APPEND_INT32(&r, "maxBsonObjectSize", 16 * 1024 * 1024);
   BSON_APPEND_ARRAY_BEGIN(&r, "storageEngines", &a);
   BSON_APPEND_UTF8(&a, "0", "synthetic");
   bson_append_array_end(&r, &a);
   syn_reply_ok(c, &r);
}

static void cmd_ok(syn_conn_t *c, const char *db, const bson_t *cmd)
{
   bson_t r = BSON_INITIALIZER;

   (void) db;
   (void) cmd;
   syn_reply_ok(c, &r);
}

/* Atlas proxy probe: a plain server does not know it. */
static void cmd_not_found(syn_conn_t *c, const char *db, const bson_t *cmd)
{
   bson_iter_t it;

   (void) db;
   bson_iter_init(&it, cmd);
   bson_iter_next(&it);
   syn_reply_error(c, 59, "CommandNotFound", "no such command: '%s'", bson_iter_key(&it));
}

static uint64_t total_bytes(const syn_server_t *s)
{
   uint64_t total = 0;

   for (int i = 0; i < s->ncolls; i++) {
      total += s->colls[i].nbytes;
   }
   return total;
}

static void cmd_list_databases(syn_conn_t *c, const char *db, const bson_t *cmd)
{
   const syn_server_t *s = c->srv;
   bson_t r = BSON_INITIALIZER, a, d;
   bool name_only = opt_bool(cmd, "nameOnly");
   uint32_t n;
   char key[16];
   const char *k;

   (void) db;
   BSON_APPEND_ARRAY_BEGIN(&r, "databases", &a);
   BSON_APPEND_DOCUMENT_BEGIN(&a, "0", &d);
   BSON_APPEND_UTF8(&d, "name", s->db);
   if (!name_only) {
      BSON_APPEND_INT64(&d, "sizeOnDisk", (int64_t) total_bytes(s));
      BSON_APPEND_BOOL(&d, "empty", s->ncolls == 0);
   }
   bson_append_document_end(&a, &d);
   n = syn_written_dbs(c->srv, s->db, &a, 1);
   if (s->oplog) {
      bson_uint32_to_string(n, &k, key, sizeof key);
      BSON_APPEND_DOCUMENT_BEGIN(&a, k, &d);
      BSON_APPEND_UTF8(&d, "name", "local");
      if (!name_only) {
         BSON_APPEND_INT64(&d, "sizeOnDisk", 1 << 20);
         BSON_APPEND_BOOL(&d, "empty", false);
      }
      bson_append_document_end(&a, &d);
   }
   bson_append_array_end(&r, &a);
   if (!name_only) {
      BSON_APPEND_INT64(&r, "totalSize", (int64_t) total_bytes(s));
   }
   syn_reply_ok(c, &r);
}

/* {cursor: {id: 0, ns, firstBatch: [...]}, ok: 1} around a finished array. */
static void reply_small_cursor(syn_conn_t *c, const char *ns, const bson_t *batch)
{
   bson_t r = BSON_INITIALIZER, cur;

   BSON_APPEND_DOCUMENT_BEGIN(&r, "cursor", &cur);
   BSON_APPEND_INT64(&cur, "id", 0);
   BSON_APPEND_UTF8(&cur, "ns", ns);
   BSON_APPEND_ARRAY(&cur, "firstBatch", batch);
   bson_append_document_end(&r, &cur);
   syn_reply_ok(c, &r);
}

void syn_append_id_index(bson_t *out, const char *key)
{
   bson_t sub, k;

   BSON_APPEND_DOCUMENT_BEGIN(out, key, &sub);
   BSON_APPEND_INT32(&sub, "v", 2);
   BSON_APPEND_DOCUMENT_BEGIN(&sub, "key", &k);
   BSON_APPEND_INT32(&k, "_id", 1);
   bson_append_document_end(&sub, &k);
   BSON_APPEND_UTF8(&sub, "name", "_id_");
   bson_append_document_end(out, &sub);
}

static void coll_info(bson_t *out, const syn_coll_t *coll, bool name_only)
{
   bson_t sub;

   BSON_APPEND_UTF8(out, "name", coll->name);
   BSON_APPEND_UTF8(out, "type", "collection");
   if (name_only) {
      return;
   }
   BSON_APPEND_DOCUMENT_BEGIN(out, "options", &sub);
   bson_append_document_end(out, &sub);
   BSON_APPEND_DOCUMENT_BEGIN(out, "info", &sub);
   BSON_APPEND_BOOL(&sub, "readOnly", false);
   BSON_APPEND_BINARY(&sub, "uuid", BSON_SUBTYPE_UUID, coll->uuid, 16);
   bson_append_document_end(out, &sub);
   syn_append_id_index(out, "idIndex");
}

/* listCollections filters: {} or {name: "x"} and/or {type: "collection"}. */
bool syn_filter_matches(const bson_t *filter, const char *name, bool *supported)
{
   bson_iter_t it;
   bool match = true;

   *supported = true;
   bson_iter_init(&it, filter);
   while (bson_iter_next(&it)) {
      const char *k = bson_iter_key(&it);
      if (!BSON_ITER_HOLDS_UTF8(&it) || (strcmp(k, "name") != 0 && strcmp(k, "type") != 0)) {
         *supported = false;
         return false;
      }
      match = match &&
              strcmp(bson_iter_utf8(&it, NULL), strcmp(k, "name") == 0 ? name : "collection") == 0;
   }
   return match;
}

static void cmd_list_collections(syn_conn_t *c, const char *db, const bson_t *cmd)
{
   const syn_server_t *s = c->srv;
   bson_t filter, batch = BSON_INITIALIZER, doc;
   char ns[128], key[16];
   const char *k;
   uint32_t n = 0;
   bool supported = true;

   if (!opt_doc(cmd, "filter", &filter)) {
      syn_reply_error(c, 14, "TypeMismatch", "filter must be a document");
      goto done;
   }
   for (int i = 0; strcmp(db, s->db) == 0 && i < s->ncolls; i++) {
      if (!syn_filter_matches(&filter, s->colls[i].name, &supported)) {
         if (!supported) {
            break;
         }
         continue;
      }
      bson_uint32_to_string(n++, &k, key, sizeof key);
      BSON_APPEND_DOCUMENT_BEGIN(&batch, k, &doc);
      coll_info(&doc, &s->colls[i], opt_bool(cmd, "nameOnly"));
      bson_append_document_end(&batch, &doc);
   }
   if (supported) {
      n = syn_list_written(c->srv, db, &filter, opt_bool(cmd, "nameOnly"), &batch, n);
      syn_oplog_list(c->srv, db, &filter, opt_bool(cmd, "nameOnly"), &batch, &n);
   } else {
      syn_reply_error(c, 2, "BadValue",
                      "mongobak-synth supports listCollections filters on name and type only");
      goto done;
   }
   snprintf(ns, sizeof ns, "%s.$cmd.listCollections", db);
   reply_small_cursor(c, ns, &batch);
done:
   bson_destroy(&batch);
}

static void cmd_list_indexes(syn_conn_t *c, const char *db, const bson_t *cmd)
{
   const syn_coll_t *coll = syn_find_coll(c->srv, db, cmd_arg(cmd));
   bson_t batch = BSON_INITIALIZER;
   char ns[300];

   if (!coll && syn_written_indexes(c->srv, db, cmd_arg(cmd), &batch)) {
      snprintf(ns, sizeof ns, "%s.$cmd.listIndexes.%s", db, cmd_arg(cmd));
      reply_small_cursor(c, ns, &batch);
   } else if (!coll) {
      syn_reply_error(c, 26, "NamespaceNotFound", "ns does not exist: %s.%s", db, cmd_arg(cmd));
   } else {
      syn_append_id_index(&batch, "0");
      snprintf(ns, sizeof ns, "%s.$cmd.listIndexes.%s", db, coll->name);
      reply_small_cursor(c, ns, &batch);
   }
   bson_destroy(&batch);
}

static void cmd_count(syn_conn_t *c, const char *db, const bson_t *cmd)
{
   const syn_coll_t *coll = syn_find_coll(c->srv, db, cmd_arg(cmd));
   bson_t r = BSON_INITIALIZER, query;
   uint64_t n = 0, bytes;

   if (!opt_doc(cmd, "query", &query) || !bson_empty(&query)) {
      syn_reply_error(c, 2, "BadValue", "mongobak-synth counts whole collections only (no query)");
      bson_destroy(&r);
      return;
   }
   if (coll) {
      n = coll->ndocs;
   } else if (!syn_written_count(c->srv, db, cmd_arg(cmd), &n, &bytes)) {
      n = 0;
   }
   BSON_APPEND_INT64(&r, "n", (int64_t) n);
   syn_reply_ok(c, &r);
}

static void append_sizes(bson_t *r, const syn_coll_t *coll)
{
   BSON_APPEND_INT64(r, "size", (int64_t) coll->nbytes);
   BSON_APPEND_INT64(r, "count", (int64_t) coll->ndocs);
   BSON_APPEND_INT64(r, "avgObjSize", coll->ndocs ? (int64_t) (coll->nbytes / coll->ndocs) : 0);
   BSON_APPEND_INT64(r, "storageSize", (int64_t) coll->nbytes);
   BSON_APPEND_BOOL(r, "capped", false);
   BSON_APPEND_INT32(r, "nindexes", 1);
   BSON_APPEND_INT64(r, "totalIndexSize", (int64_t) coll->ndocs * 16);
}

static void cmd_coll_stats(syn_conn_t *c, const char *db, const bson_t *cmd)
{
   const syn_coll_t *coll = syn_find_coll(c->srv, db, cmd_arg(cmd));
   bson_t r = BSON_INITIALIZER;

   if (!coll) {
      bson_destroy(&r);
      syn_reply_error(c, 26, "NamespaceNotFound", "ns not found: %s.%s", db, cmd_arg(cmd));
      return;
   }
   BSON_APPEND_UTF8(&r, "ns", coll->ns);
   append_sizes(&r, coll);
   BSON_APPEND_INT32(&r, "scaleFactor", 1);
   syn_reply_ok(c, &r);
}

static void cmd_db_stats(syn_conn_t *c, const char *db, const bson_t *cmd)
{
   const syn_server_t *s = c->srv;
   bson_t r = BSON_INITIALIZER;
   bool ours = strcmp(db, s->db) == 0;
   uint64_t docs = 0;

   (void) cmd;
   for (int i = 0; ours && i < s->ncolls; i++) {
      docs += s->colls[i].ndocs;
   }
   BSON_APPEND_UTF8(&r, "db", db);
   BSON_APPEND_INT32(&r, "collections", ours ? s->ncolls : 0);
   BSON_APPEND_INT32(&r, "views", 0);
   BSON_APPEND_INT64(&r, "objects", (int64_t) docs);
   BSON_APPEND_INT64(&r, "dataSize", ours ? (int64_t) total_bytes(s) : 0);
   syn_reply_ok(c, &r);
}

/* ---- _id order ---- */

/* The first _id-order index in [0, n) whose _id is >= v. */
static uint64_t lower_bound(const syn_coll_t *coll, const bson_value_t *v)
{
   uint64_t lo = 0, hi = coll->ndocs;
   uint8_t buf[SYN_ID_ELEM_MAX + 8];

   while (lo < hi) {
      uint64_t mid = lo + (hi - lo) / 2;
      bson_t doc;
      bson_iter_t it;
      syn_id_doc(coll, mid, &doc, buf);
      bson_iter_init(&it, &doc);
      bson_iter_next(&it);
      if (syn_bson_cmp(bson_iter_value(&it), v) < 0) {
         lo = mid + 1;
      } else {
         hi = mid;
      }
   }
   return lo;
}

/* A bound {_id: v} (min, max, splitVector bounds) as an _id-order index; dflt when absent. */
static bool id_bound(const syn_coll_t *coll, const bson_t *cmd, const char *key, uint64_t dflt,
                     uint64_t *out, bool *present)
{
   bson_t b;
   bson_iter_t it;

   *out = dflt;
   if (!opt_doc(cmd, key, &b)) {
      return false;
   }
   *present = !bson_empty(&b) || *present;
   if (bson_empty(&b)) {
      return true;
   }
   if (bson_count_keys(&b) != 1 || !bson_iter_init_find(&it, &b, "_id")) {
      return false;
   }
   *out = lower_bound(coll, bson_iter_value(&it));
   return true;
}

static void append_id(bson_t *out, const char *key, const syn_coll_t *coll, uint64_t i)
{
   uint8_t buf[SYN_ID_ELEM_MAX + 8];
   bson_t doc;

   syn_id_doc(coll, i, &doc, buf);
   BSON_APPEND_DOCUMENT(out, key, &doc);
}

/* The bare _id value of document i, under key. */
static void append_id_value(bson_t *out, const char *key, const syn_coll_t *coll, uint64_t i)
{
   uint8_t buf[SYN_ID_ELEM_MAX + 8];
   bson_t doc;
   bson_iter_t it;

   syn_id_doc(coll, i, &doc, buf);
   bson_iter_init(&it, &doc);
   bson_iter_next(&it);
   bson_append_value(out, key, -1, bson_iter_value(&it));
}

static void cmd_split_vector(syn_conn_t *c, const char *db, const bson_t *cmd)
{
   const char *ns = cmd_arg(cmd), *dot = strchr(ns, '.');
   const syn_coll_t *coll = NULL;
   bson_t r = BSON_INITIALIZER, keys, kp;
   int64_t max_bytes = opt_int(cmd, "maxChunkSizeBytes", opt_int(cmd, "maxChunkSize", 0) << 20);
   int64_t max_objs = opt_int(cmd, "maxChunkObjects", 0),
           max_points = opt_int(cmd, "maxSplitPoints", 0);
   uint64_t lo, hi, step, n = 0;
   bool bounded = false;
   char key[16], name[120];
   const char *k;

   (void) db;
   if (c->srv->refuse_splitvector) {
      syn_reply_error(c, 13, "Unauthorized",
                      "not authorized on admin to execute command { splitVector: \"%s\" }", ns);
      goto done;
   }
   if (dot && (size_t) (dot - ns) < sizeof name) {
      snprintf(name, sizeof name, "%.*s", (int) (dot - ns), ns);
      coll = syn_find_coll(c->srv, name, dot + 1);
   }
   if (!coll) {
      syn_reply_error(c, 26, "NamespaceNotFound", "ns not found: %s", ns);
      goto done;
   }
   if (!opt_doc(cmd, "keyPattern", &kp) || !is_key_one(&kp, "_id")) {
      syn_reply_error(c, 2, "BadValue",
                      "couldn't find index over splitting key (mongobak-synth: only {_id: 1})");
      goto done;
   }
   if (!id_bound(coll, cmd, "min", 0, &lo, &bounded) ||
       !id_bound(coll, cmd, "max", coll->ndocs, &hi, &bounded)) {
      syn_reply_error(c, 2, "BadValue", "min and max must be {_id: value}");
      goto done;
   }
   if (!opt_bool(cmd, "force") && max_bytes <= 0) {
      syn_reply_error(
          c, 2, "BadValue",
          "need to specify the desired max chunk size (maxChunkSize or maxChunkSizeBytes)");
      goto done;
   }
   BSON_APPEND_ARRAY_BEGIN(&r, "splitKeys", &keys);
   if (opt_bool(cmd, "force")) {
      if (hi - lo > 1) {
         append_id(&keys, "0", coll, lo + (hi - lo) / 2);
      }
   } else if (coll->ndocs > 0 && coll->nbytes >= (uint64_t) max_bytes) {
      /* as mongod: split every half a chunk's worth of average-size documents */
      uint64_t avg = coll->nbytes / coll->ndocs;
      step = (uint64_t) max_bytes / (2 * (avg ? avg : 1));
      if (max_objs > 0 && (uint64_t) max_objs < step) {
         step = (uint64_t) max_objs;
      }
      step = step ? step : 1;
      for (uint64_t i = lo + step; i < hi && (max_points <= 0 || (int64_t) n < max_points);
           i += step) {
         bson_uint32_to_string((uint32_t) n++, &k, key, sizeof key);
         append_id(&keys, k, coll, i);
      }
   }
   bson_append_array_end(&r, &keys);
   syn_reply_ok(c, &r);
   return;
done:
   bson_destroy(&r);
}

/* ---- aggregate: $collStats, and $sample + $bucketAuto on _id (splitting without
 * splitVector) ---- */

static bool stage(const bson_t *pipeline, uint32_t idx, const char *name, bson_t *out)
{
   char key[16];
   const char *k;
   bson_iter_t it, st;
   uint32_t len;
   const uint8_t *data;

   bson_uint32_to_string(idx, &k, key, sizeof key);
   if (!bson_iter_init_find(&it, pipeline, k) || !BSON_ITER_HOLDS_DOCUMENT(&it) ||
       !bson_iter_recurse(&it, &st) || !bson_iter_next(&st) ||
       strcmp(bson_iter_key(&st), name) != 0 || !BSON_ITER_HOLDS_DOCUMENT(&st)) {
      return false;
   }
   bson_iter_document(&st, &len, &data);
   return bson_init_static(out, data, len);
}

static void agg_coll_stats(syn_conn_t *c, const syn_coll_t *coll)
{
   bson_t batch = BSON_INITIALIZER, doc, ss;

   BSON_APPEND_DOCUMENT_BEGIN(&batch, "0", &doc);
   BSON_APPEND_UTF8(&doc, "ns", coll->ns);
   BSON_APPEND_DOCUMENT_BEGIN(&doc, "storageStats", &ss);
   append_sizes(&ss, coll);
   bson_append_document_end(&doc, &ss);
   BSON_APPEND_INT64(&doc, "count", (int64_t) coll->ndocs);
   bson_append_document_end(&batch, &doc);
   reply_small_cursor(c, coll->ns, &batch);
   bson_destroy(&batch);
}

static void agg_buckets(syn_conn_t *c, const syn_coll_t *coll, int64_t sample, int64_t buckets)
{
   bson_t batch = BSON_INITIALIZER, doc, id;
   uint64_t n = coll->ndocs, nb = buckets < 1 ? 1 : (uint64_t) buckets;
   char key[16];
   const char *k;
   uint32_t out = 0;

   if (sample > 0 && (uint64_t) sample < n) {
      n = (uint64_t) sample; /* a sample of that size: buckets cover it evenly */
   }
   nb = nb > n ? n : nb;
   for (uint64_t b = 0; b < nb; b++) {
      uint64_t lo = b * coll->ndocs / nb, hi = (b + 1) * coll->ndocs / nb;
      bson_uint32_to_string(out++, &k, key, sizeof key);
      BSON_APPEND_DOCUMENT_BEGIN(&batch, k, &doc);
      BSON_APPEND_DOCUMENT_BEGIN(&doc, "_id", &id);
      append_id_value(&id, "min", coll, lo);
      append_id_value(&id, "max", coll, b + 1 < nb ? hi : coll->ndocs - 1);
      bson_append_document_end(&doc, &id);
      BSON_APPEND_INT64(&doc, "count", (int64_t) ((b + 1) * n / nb - b * n / nb));
      bson_append_document_end(&batch, &doc);
   }
   reply_small_cursor(c, coll->ns, &batch);
   bson_destroy(&batch);
}

static void cmd_aggregate(syn_conn_t *c, const char *db, const bson_t *cmd)
{
   const syn_coll_t *coll = syn_find_coll(c->srv, db, cmd_arg(cmd));
   bson_iter_t it;
   bson_t pipeline, s1, s2;
   uint32_t len;
   const uint8_t *data;
   bson_iter_t gb;

   if (!coll || !bson_iter_init_find(&it, cmd, "pipeline") || !BSON_ITER_HOLDS_ARRAY(&it)) {
      syn_reply_error(c, 26, "NamespaceNotFound",
                      "mongobak-synth: aggregate needs an existing collection and a pipeline");
      return;
   }
   bson_iter_array(&it, &len, &data);
   bson_init_static(&pipeline, data, len);
   if (bson_count_keys(&pipeline) == 1 && stage(&pipeline, 0, "$collStats", &s1)) {
      agg_coll_stats(c, coll);
      return;
   }
   if (bson_count_keys(&pipeline) == 2 && stage(&pipeline, 0, "$sample", &s1) &&
       stage(&pipeline, 1, "$bucketAuto", &s2) && bson_iter_init_find(&gb, &s2, "groupBy") &&
       BSON_ITER_HOLDS_UTF8(&gb) && strcmp(bson_iter_utf8(&gb, NULL), "$_id") == 0) {
      agg_buckets(c, coll, opt_int(&s1, "size", 0), opt_int(&s2, "buckets", 1));
      return;
   }
   syn_reply_error(c, 2, "BadValue",
                   "mongobak-synth supports only [{$collStats}] and [{$sample}, {$bucketAuto: "
                   "{groupBy: \"$_id\"}}]");
}

/* ---- cursors ---- */

/* Store a copy of cur in the cursor table and return its new id (0 when the table is full). */
static int64_t cursor_register(syn_server_t *s, syn_cursor_t *cur)
{
   syn_cursor_t *copy = malloc(sizeof *copy);
   int64_t id = 0;

   if (!copy) {
      return 0;
   }
   pthread_mutex_lock(&s->lock);
   if (s->ncursors == s->cursors_cap && s->ncursors < MAX_CURSORS) {
      int cap = s->cursors_cap ? 2 * s->cursors_cap : 64;
      syn_cursor_t **p = realloc(s->cursors, (size_t) cap * sizeof *p);
      if (p) {
         s->cursors = p;
         s->cursors_cap = cap;
      }
   }
   if (s->ncursors < s->cursors_cap) {
      id = (int64_t) atomic_fetch_add(&s->next_cursor, 1);
      *copy = *cur;
      copy->id = id;
      copy->busy = false;
      s->cursors[s->ncursors++] = copy;
   }
   pthread_mutex_unlock(&s->lock);
   if (!id) {
      free(copy);
   }
   return id;
}

static int cursor_find_locked(const syn_server_t *s, int64_t id)
{
   for (int k = 0; k < s->ncursors; k++) {
      if (s->cursors[k]->id == id) {
         return k;
      }
   }
   return -1;
}

/* Take a cursor for a getMore: NULL when unknown; *busy when another getMore holds it. */
static syn_cursor_t *cursor_take(syn_server_t *s, int64_t id, bool *busy)
{
   syn_cursor_t *cur = NULL;
   int k;

   *busy = false;
   pthread_mutex_lock(&s->lock);
   k = cursor_find_locked(s, id);
   if (k >= 0 && s->cursors[k]->busy) {
      *busy = true;
   } else if (k >= 0) {
      cur = s->cursors[k];
      cur->busy = true;
   }
   pthread_mutex_unlock(&s->lock);
   return cur;
}

/* Remove a cursor from the table and free it; false when unknown. */
static bool cursor_remove(syn_server_t *s, int64_t id)
{
   syn_cursor_t *cur = NULL;
   int k;

   pthread_mutex_lock(&s->lock);
   k = cursor_find_locked(s, id);
   if (k >= 0) {
      cur = s->cursors[k];
      s->cursors[k] = s->cursors[--s->ncursors];
   }
   pthread_mutex_unlock(&s->lock);
   free(cur);
   return cur != NULL;
}

static void cursor_release(syn_server_t *s, syn_cursor_t *cur)
{
   pthread_mutex_lock(&s->lock);
   cur->busy = false;
   pthread_mutex_unlock(&s->lock);
}

/* ---- batches ---- */

static uint32_t digits10(uint32_t k)
{
   uint32_t n = 1;

   for (; k >= 10; k /= 10) {
      n++;
   }
   return n;
}

static uint32_t put_key(uint8_t *out, uint32_t k)
{
   char tmp[12];
   uint32_t n = 0, len;

   do {
      tmp[n++] = (char) ('0' + k % 10);
      k /= 10;
   } while (k);
   for (len = 0; len < n; len++) {
      out[len] = (uint8_t) tmp[n - 1 - len];
   }
   out[n] = 0;
   return n + 1;
}

static uint64_t cursor_index(const syn_cursor_t *cur, uint64_t pos)
{
   return cur->id_order ? pos : syn_natural_index(cur->coll, pos);
}

/* Documents the next batch may hold at most (batch_size < 0: no count limit). */
static uint64_t batch_cap(const syn_cursor_t *cur, int64_t batch_size)
{
   uint64_t n = cur->end - cur->pos;

   if (batch_size >= 0 && (uint64_t) batch_size < n) {
      n = (uint64_t) batch_size;
   }
   if (cur->limit_left >= 0 && (uint64_t) cur->limit_left < n) {
      n = (uint64_t) cur->limit_left;
   }
   return n;
}

typedef struct {
   const uint8_t *elems;
   size_t len;
   uint64_t n;
} batch_t;

static void tpage_free(syn_tpage_t *tp)
{
   if (tp) {
      free(tp->elems);
      free(tp->id_off);
      free(tp);
   }
}

/* A spare page: the one built for (pool, id, page) if any, else the oldest, else a new one. */
static syn_tpage_t *tpage_spare(syn_server_t *s, const syn_coll_t *coll, int page)
{
   syn_tpage_t *tp = NULL;
   int k, pick = -1;

   pthread_mutex_lock(&s->lock);
   for (k = 0; k < s->nspare && pick < 0; k++) {
      tp = s->spare[k];
      if (tp->pool == coll->pool && tp->id == coll->id && tp->page == page) {
         pick = k;
      }
   }
   if (pick < 0 && s->nspare > 0) {
      pick = 0;
   }
   tp = pick >= 0 ? s->spare[pick] : NULL;
   if (pick >= 0) {
      memmove(s->spare + pick, s->spare + pick + 1,
              (size_t) (s->nspare - pick - 1) * sizeof *s->spare);
      s->nspare--;
   }
   pthread_mutex_unlock(&s->lock);
   if (!tp && (tp = calloc(1, sizeof *tp)) != NULL) {
      tp->elems = malloc(SYN_BATCH_BYTES);
      tp->page = -1;
   }
   if (!tp || !tp->elems) {
      fprintf(stderr, "mongobak-synth: out of memory for a prebuilt page\n");
      abort();
   }
   return tp;
}

static void tpage_return(syn_server_t *s, syn_tpage_t *tp)
{
   syn_tpage_t *drop = NULL;

   pthread_mutex_lock(&s->lock);
   if (s->nspare == SYN_TPAGES_SPARE) {
      drop = s->spare[0];
      memmove(s->spare, s->spare + 1, (size_t) (s->nspare - 1) * sizeof *s->spare);
      s->nspare--;
   }
   s->spare[s->nspare++] = tp;
   pthread_mutex_unlock(&s->lock);
   tpage_free(drop);
}

static syn_tpage_t *tpage_get(syn_conn_t *c, const syn_coll_t *coll, int page)
{
   syn_tpage_t *tp;

   for (int t = 0; t < SYN_TPAGES; t++) {
      tp = c->tpages[t];
      if (tp && tp->pool == coll->pool && tp->id == coll->id && tp->page == page) {
         return tp;
      }
   }
   if (c->tpages[c->tpage_next]) {
      tpage_return(c->srv, c->tpages[c->tpage_next]);
   }
   tp = c->tpages[c->tpage_next] = tpage_spare(c->srv, coll, page);
   c->tpage_next = (c->tpage_next + 1) % SYN_TPAGES;
   if (tp->pool == coll->pool && tp->id == coll->id && tp->page == page) {
      return tp;
   }
   free(tp->id_off);
   tp->id_off = malloc(coll->pool->ndocs[page] * sizeof *tp->id_off);
   if (!tp->id_off) {
      fprintf(stderr, "mongobak-synth: out of memory for a prebuilt page\n");
      abort();
   }
   tp->len = syn_page_elements(coll->pool, page, coll->id, tp->elems, tp->id_off);
   tp->pool = coll->pool;
   tp->id = coll->id;
   tp->page = page;
   return tp;
}

/* Fast path: the batch is one whole prebuilt page; only the _ids are written. */
static bool fill_page(syn_conn_t *c, const syn_cursor_t *cur, uint64_t cap, batch_t *b)
{
   const syn_coll_t *coll = cur->coll;
   syn_tpage_t *tp;
   syn_slot_t s;
   uint32_t d;

   if (coll->id == SYN_ID_MIXED || cur->ids_only) {
      return false;
   }
   s = syn_slot(coll, cur->pos); /* fixed _ids: natural order is _id order */
   d = coll->pool->ndocs[s.page];
   if (s.slot != 0 || cap < d) {
      return false;
   }
   tp = tpage_get(c, coll, s.page);
   for (uint32_t k = 0; k < d; k++) {
      syn_id_value(coll, cur->pos + k, tp->elems + tp->id_off[k]);
   }
   b->elems = tp->elems;
   b->len = tp->len;
   b->n = d;
   return true;
}

/* Slow path: documents written one by one, up to a page boundary (so that the next batch can
 * take the fast path) or the reply size limit; an oversized reply (--oversize-reply) ignores
 * both and stops at SYN_OVERSIZE_BYTES. */
static void fill_docs(syn_conn_t *c, const syn_cursor_t *cur, uint64_t cap, bool oversize,
                      batch_t *b)
{
   const syn_coll_t *coll = cur->coll;
   bool fixed = coll->id != SYN_ID_MIXED && !oversize;
   size_t bytes = 0, limit = oversize ? SYN_OVERSIZE_BYTES : SYN_BATCH_BYTES;
   uint64_t k;

   syn_buf_reserve(&c->batch, limit + (1u << 20));
   for (k = 0; k < cap; k++) {
      uint64_t i = cursor_index(cur, cur->pos + k);
      uint32_t dlen = cur->ids_only ? SYN_ID_ELEM_MAX + 5 : syn_doc_len(coll, i);
      size_t elem = 2 + digits10((uint32_t) k) + dlen;
      uint8_t *out;
      if (k > 0 && ((fixed && syn_slot(coll, i).slot == 0) || bytes + elem > limit)) {
         break;
      }
      syn_buf_reserve(&c->batch, bytes + elem);
      out = c->batch.data + bytes;
      out[0] = BSON_TYPE_DOCUMENT;
      bytes += 1 + put_key(out + 1, (uint32_t) k);
      if (cur->ids_only) {
         bson_t doc;
         syn_id_doc(coll, i, &doc, c->batch.data + bytes);
         bytes += doc.len;
      } else {
         bytes += syn_doc_write(coll, i, c->batch.data + bytes);
      }
   }
   b->elems = c->batch.data;
   b->len = bytes;
   b->n = k;
}

static double now_s(void)
{
   struct timespec ts;
   clock_gettime(CLOCK_MONOTONIC, &ts);
   return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* --cursor-mbps: wait until the cursor's previous batch has "taken" its time, then book this
 * one's. A slow cursor, not a slow server: other cursors are not held back. */
static void pace(const syn_server_t *s, syn_cursor_t *cur, size_t bytes)
{
   double now = now_s(), wait = cur->send_after - now;
   struct timespec ts;

   if (s->cursor_bps <= 0) {
      return;
   }
   if (wait > 0) {
      ts.tv_sec = (time_t) wait;
      ts.tv_nsec = (long) ((wait - (double) ts.tv_sec) * 1e9);
      nanosleep(&ts, NULL);
      now = cur->send_after;
   }
   cur->send_after = now + (double) bytes / s->cursor_bps;
}

/* This data reply is one --oversize-reply asked for. */
static bool oversize_now(syn_conn_t *c)
{
   syn_server_t *s = c->srv;
   uint64_t n = (uint64_t) atomic_fetch_add(&s->data_replies, 1) + 1;

   for (int k = 0; k < s->noversize; k++) {
      if (s->oversize_lo[k] <= n && n <= s->oversize_hi[k]) {
         return true;
      }
   }
   return false;
}

/* Fill the next batch and advance the cursor; true when the cursor is exhausted. */
static bool next_batch(syn_conn_t *c, syn_cursor_t *cur, int64_t batch_size, batch_t *b)
{
   bool oversize = oversize_now(c);
   uint64_t cap = batch_cap(cur, oversize ? -1 : batch_size);

   b->elems = NULL;
   b->len = 0;
   b->n = 0;
   if (oversize) {
      fill_docs(c, cur, cap, true, b);
      fprintf(stderr,
              "mongobak-synth: conn %d: oversized reply: %" PRIu64 " documents, %zu bytes\n", c->id,
              b->n, b->len);
   } else if (cap > 0 && !fill_page(c, cur, cap, b)) {
      fill_docs(c, cur, cap, false, b);
   }
   cur->pos += b->n;
   if (cur->limit_left >= 0) {
      cur->limit_left -= (int64_t) b->n;
   }
   return cur->pos >= cur->end || cur->limit_left == 0;
}

/* {cursor: {firstBatch|nextBatch: [elements], id, ns}, ok: 1}: prefix and suffix in c->out,
 * the elements sent from where they are. */
static void reply_batch(syn_conn_t *c, bool first, int64_t id, const char *ns, const batch_t *b)
{
   const char *field = first ? "firstBatch" : "nextBatch";
   size_t flen = strlen(field), nslen = strlen(ns);
   uint32_t array_len = (uint32_t) (4 + b->len + 1);
   uint32_t cursor_len =
       (uint32_t) (4 + (1 + flen + 1 + array_len) + 12 + (1 + 3 + 4 + nslen + 1) + 1);
   uint32_t body_len = 4 + (1 + 7 + cursor_len) + 12 + 1;
   size_t pre = 4 + 1 + 7 + 4 + 1 + flen + 1 + 4;
   uint8_t *p;
   double one = 1.0;

   syn_buf_reserve(&c->out, pre + 64 + nslen);
   p = c->out.data;
   put_le32(p, body_len);
   p[4] = BSON_TYPE_DOCUMENT;
   memcpy(p + 5, "cursor", 7);
   put_le32(p + 12, cursor_len);
   p[16] = BSON_TYPE_ARRAY;
   memcpy(p + 17, field, flen + 1);
   put_le32(p + 17 + flen + 1, array_len);
   p += pre;
   *p++ = 0; /* end of the array */
   *p++ = BSON_TYPE_INT64;
   memcpy(p, "id", 3);
   memcpy(p + 3, &id, 8);
   p += 11;
   *p++ = BSON_TYPE_UTF8;
   memcpy(p, "ns", 3);
   put_le32(p + 3, (uint32_t) nslen + 1);
   memcpy(p + 7, ns, nslen + 1);
   p += 7 + nslen + 1;
   *p++ = 0; /* end of cursor */
   *p++ = BSON_TYPE_DOUBLE;
   memcpy(p, "ok", 3);
   memcpy(p + 3, &one, 8);
   p += 11;
   *p++ = 0;
   c->iov[0].iov_base = c->out.data;
   c->iov[0].iov_len = pre;
   c->iov[1].iov_base = (void *) b->elems;
   c->iov[1].iov_len = b->len;
   c->iov[2].iov_base = c->out.data + pre;
   c->iov[2].iov_len = (size_t) (p - (c->out.data + pre));
   c->niov = 3;
   c->body_len = body_len;
}

/* hint {_id: 1} / "_id_" orders by _id; {$natural: 1} or none by natural order. */
static bool parse_order(const bson_t *cmd, bool *id_order, bool *hinted_id)
{
   bson_iter_t it;
   bson_t hint, sort;

   *id_order = *hinted_id = false;
   if (bson_iter_init_find(&it, cmd, "hint")) {
      if (BSON_ITER_HOLDS_UTF8(&it)) {
         *hinted_id = strcmp(bson_iter_utf8(&it, NULL), "_id_") == 0;
         if (!*hinted_id) {
            return false;
         }
      } else if (opt_doc(cmd, "hint", &hint) && is_key_one(&hint, "_id")) {
         *hinted_id = true;
      } else if (!opt_doc(cmd, "hint", &hint) ||
                 !(bson_empty(&hint) || is_key_one(&hint, "$natural"))) {
         return false;
      }
   }
   if (!opt_doc(cmd, "sort", &sort)) {
      return false;
   }
   if (!bson_empty(&sort) && !is_key_one(&sort, "_id") && !is_key_one(&sort, "$natural")) {
      return false;
   }
   *id_order = *hinted_id || is_key_one(&sort, "_id");
   return true;
}

/* Projection: none, or {_id: 1} (only _ids). */
static bool parse_projection(const bson_t *cmd, bool *ids_only)
{
   bson_t proj;
   bson_iter_t it;

   *ids_only = false;
   if (!opt_doc(cmd, "projection", &proj)) {
      return false;
   }
   if (bson_empty(&proj)) {
      return true;
   }
   *ids_only = bson_count_keys(&proj) == 1 && bson_iter_init_find(&it, &proj, "_id") &&
               bson_iter_as_bool(&it);
   return *ids_only;
}

static bool find_range(syn_conn_t *c, const bson_t *cmd, bool hinted_id, syn_cursor_t *cur)
{
   bool bounded = false;
   int64_t skip = opt_int(cmd, "skip", 0);

   if (!id_bound(cur->coll, cmd, "min", 0, &cur->pos, &bounded) ||
       !id_bound(cur->coll, cmd, "max", cur->coll->ndocs, &cur->end, &bounded)) {
      syn_reply_error(c, 51174, "Location51174",
                      "min and max must be {_id: value} (the _id index)");
      return false;
   }
   if (bounded && !hinted_id) {
      syn_reply_error(c, 51173, "Location51173",
                      "When using min()/max() a hint of which index to use must be provided");
      return false;
   }
   if (!cur->id_order && !bounded && c->srv->vanish_after > 0 &&
       (uint64_t) atomic_load(&c->srv->data_replies) >= c->srv->vanish_after) {
      cur->pos++; /* --vanish-after: the first document was "deleted" */
   }
   if (cur->end < cur->pos) {
      cur->end = cur->pos;
   }
   if (skip > 0) {
      cur->pos += (uint64_t) skip < cur->end - cur->pos ? (uint64_t) skip : cur->end - cur->pos;
   }
   return true;
}

static void cmd_find(syn_conn_t *c, const char *db, const bson_t *cmd)
{
   const char *name = cmd_arg(cmd);
   syn_cursor_t cur = {.coll = syn_find_coll(c->srv, db, name), .limit_left = -1};
   int64_t batch_size = opt_int(cmd, "batchSize", DEFAULT_FIRST_BATCH);
   int64_t limit = opt_int(cmd, "limit", 0), id = 0;
   bson_t filter;
   bool hinted_id, done;
   batch_t b = {NULL, 0, 0};
   char ns[300];

   if (syn_oplog_find(c, db, name, cmd)) {
      return;
   }
   if (!opt_doc(cmd, "filter", &filter) || !bson_empty(&filter)) {
      syn_reply_error(c, 2, "BadValue",
                      "mongobak-synth serves whole collections only (empty filter)");
      return;
   }
   if (!parse_order(cmd, &cur.id_order, &hinted_id) || !parse_projection(cmd, &cur.ids_only)) {
      syn_reply_error(c, 2, "BadValue",
                      "mongobak-synth supports hint/sort {_id: 1} or {$natural: 1} and projection "
                      "{_id: 1} only");
      return;
   }
   if (batch_size < 0 || limit < 0) {
      syn_reply_error(c, 51024, "Location51024", "batchSize and limit must be non-negative");
      return;
   }
   if (!cur.coll) {
      snprintf(ns, sizeof ns, "%s.%s", db, name);
      reply_batch(c, true, 0, ns, &b); /* a missing collection is an empty one */
      return;
   }
   cur.end = cur.coll->ndocs;
   if (!find_range(c, cmd, hinted_id, &cur)) {
      return;
   }
   cur.limit_left = limit > 0 ? limit : -1;
   done = next_batch(c, &cur, batch_size, &b) || opt_bool(cmd, "singleBatch");
   pace(c->srv, &cur, b.len);
   if (!done && !(id = cursor_register(c->srv, &cur))) {
      syn_reply_error(c, 2, "BadValue", "mongobak-synth: too many open cursors");
      return;
   }
   reply_batch(c, true, id, cur.coll->ns, &b);
}

static void cmd_get_more(syn_conn_t *c, const char *db, const bson_t *cmd)
{
   syn_cursor_t *cur;
   bson_iter_t it;
   int64_t id;
   bool busy, done;
   batch_t b;
   const char *ns;

   (void) db;
   if (!bson_iter_init(&it, cmd) || !bson_iter_next(&it) || !BSON_ITER_HOLDS_INT64(&it)) {
      syn_reply_error(c, 14, "TypeMismatch", "getMore's cursor id must be a long");
      return;
   }
   id = bson_iter_int64(&it);
   if (syn_oplog_get_more(c, id, cmd)) {
      return;
   }
   cur = cursor_take(c->srv, id, &busy);
   if (!cur) {
      if (busy) {
         syn_reply_error(c, 292, "CursorInUse", "cursor id %" PRId64 " is already in use", id);
      } else {
         syn_reply_error(c, 43, "CursorNotFound", "cursor id %" PRId64 " not found", id);
      }
      return;
   }
   ns = cur->coll->ns;
   done =
       next_batch(c, cur, opt_int(cmd, "batchSize", 0) > 0 ? opt_int(cmd, "batchSize", 0) : -1, &b);
   pace(c->srv, cur, b.len);
   if (done) {
      cursor_remove(c->srv, id);
   } else {
      cursor_release(c->srv, cur);
   }
   reply_batch(c, false, done ? 0 : id, ns, &b);
}

static void cmd_kill_cursors(syn_conn_t *c, const char *db, const bson_t *cmd)
{
   bson_t r = BSON_INITIALIZER, killed, not_found, empty;
   bson_iter_t it, ids;
   char key[16];
   const char *k;
   uint32_t nk = 0, nn = 0;

   (void) db;
   BSON_APPEND_ARRAY_BEGIN(&r, "cursorsKilled", &killed);
   bson_init(&not_found);
   if (bson_iter_init_find(&it, cmd, "cursors") && BSON_ITER_HOLDS_ARRAY(&it) &&
       bson_iter_recurse(&it, &ids)) {
      while (bson_iter_next(&ids)) {
         int64_t id = bson_iter_as_int64(&ids);
         if (cursor_remove(c->srv, id)) {
            bson_uint32_to_string(nk++, &k, key, sizeof key);
            BSON_APPEND_INT64(&killed, k, id);
         } else {
            bson_uint32_to_string(nn++, &k, key, sizeof key);
            BSON_APPEND_INT64(&not_found, k, id);
         }
      }
   }
   bson_append_array_end(&r, &killed);
   BSON_APPEND_ARRAY(&r, "cursorsNotFound", &not_found);
   bson_init(&empty);
   BSON_APPEND_ARRAY(&r, "cursorsAlive", &empty);
   BSON_APPEND_ARRAY(&r, "cursorsUnknown", &empty);
   bson_destroy(&empty);
   bson_destroy(&not_found);
   syn_reply_ok(c, &r);
}

static const handler_t handlers[] = {
    {"hello", cmd_hello},
    {"isMaster", cmd_hello},
    {"ismaster", cmd_hello},
    {"buildInfo", cmd_build_info},
    {"buildinfo", cmd_build_info},
    {"ping", cmd_ok},
    {"endSessions", cmd_ok},
    {"whatsmyuri", cmd_ok},
    {"atlasVersion", cmd_not_found},
    {"listDatabases", cmd_list_databases},
    {"listCollections", cmd_list_collections},
    {"listIndexes", cmd_list_indexes},
    {"count", cmd_count},
    {"collStats", cmd_coll_stats},
    {"dbStats", cmd_db_stats},
    {"aggregate", cmd_aggregate},
    {"splitVector", cmd_split_vector},
    {"find", cmd_find},
    {"getMore", cmd_get_more},
    {"killCursors", cmd_kill_cursors},
    {"create", syn_cmd_create},
    {"insert", syn_cmd_insert},
    {"createIndexes", syn_cmd_create_indexes},
    {"drop", syn_cmd_drop},
    {"dropDatabase", syn_cmd_drop_database},
    {"synthStats", syn_cmd_stats},
    {"synthOplog", syn_cmd_synth_oplog},
    {"applyOps", syn_cmd_apply_ops},
};

void syn_command(syn_conn_t *c, const char *db, const bson_t *cmd)
{
   bson_iter_t it;
   const char *name = "";

   if (bson_iter_init(&it, cmd) && bson_iter_next(&it)) {
      name = bson_iter_key(&it);
   }
   if (c->srv->log) {
      char *json = bson_as_relaxed_extended_json(cmd, NULL);
      fprintf(stderr, "mongobak-synth: conn %d: %s: %.500s\n", c->id, db, json ? json : "?");
      bson_free(json);
   }
   for (size_t h = 0; h < sizeof handlers / sizeof handlers[0]; h++) {
      if (strcmp(name, handlers[h].name) == 0) {
         handlers[h].fn(c, db, cmd);
         return;
      }
   }
   fprintf(stderr, "mongobak-synth: conn %d: unsupported command '%s' (replied CommandNotFound)\n",
           c->id, name);
   syn_reply_error(c, 59, "CommandNotFound", "no such command: '%s'", name);
}

void syn_conn_free(syn_conn_t *c)
{
   free(c->in.data);
   free(c->out.data);
   free(c->batch.data);
   for (int t = 0; t < SYN_TPAGES; t++) {
      if (c->tpages[t]) {
         tpage_return(c->srv, c->tpages[t]);
      }
   }
}
