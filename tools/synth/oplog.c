/* --oplog: a replica set's oplog, local.oplog.rs, in the formats MongoDB 6/7 writes, so that
 * mongodump --oplog and mongobak dump --oplog can be run against the same entries and compared.
 *
 * The entries are fixed (a built-in set, or a file of BSON documents); the last ones are hidden
 * when the server starts and revealed once the server has sent --oplog-reveal-after replies with
 * collection documents: a dump notes the newest visible entry before it reads the first
 * collection, so the revealed ones are the writes that happened while it ran. With
 * --oplog-rollover the reveal also drops every entry before the first revealed one, as a capped
 * oplog that rolled over during the dump. {synthOplog: "reveal" | "rollover" | "reset"} does the
 * same on demand (reset: back to the start state).
 *
 * Queries served on local.oplog.rs: find with a filter of conditions on ts ($gte, $gt, $lte, $lt,
 * a timestamp, and $and of those), sort {$natural: 1 | -1}, limit, batchSize, an inclusion
 * projection, in batches of up to 16 MiB and getMore (--oplog-fill makes an oplog of several
 * batches). config.transactions answers
 * the open transaction of --oplog-open-txn (state inProgress, its startOpTime the first entry of
 * the transaction) until the reveal commits it. */
#include "server.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TS_BASE 1796000000u /* 2026-11-30T00:53:20Z: the built-in entries' seconds */
#define WALL_MS ((int64_t) TS_BASE * 1000)
#define TERM 1
#define MAX_ENTRY_BYTES (16u << 20)
#define MAX_BATCH_BYTES (16u << 20) /* a batch stops after the entry that crosses this */
#define MAX_OPLOG_CURSORS 64
#define CURSOR_BASE 0x6f706c6f67000000ll /* "oplog" in the ids of the oplog's cursors */

struct syn_oplog {
   bson_t **entries; /* in oplog order */
   uint32_t *ts_t, *ts_i;
   size_t n, cap;
   size_t hidden_from; /* entries [hidden_from, n) are hidden until the reveal */
   size_t open_txn;    /* index of the open transaction's first entry; n when none */
   pthread_mutex_t lock;
   int state; /* 0: start; 1: revealed; 2: rolled over (revealed, older entries gone) */
   bool forced;
   /* open cursors of finds with more than one batch: the matching entries' indexes, in order */
   struct {
      int64_t id;
      size_t *idx, n, pos;
      bson_t proj;
   } cursors[MAX_OPLOG_CURSORS];
   int64_t next_cursor;
};

/* ---- building the built-in entries ---- */

typedef struct {
   syn_oplog_t *log;
   const char *db;
   uint64_t seed;
   uint32_t next_i;
} builder_t;

static void push_entry(syn_oplog_t *log, bson_t *doc)
{
   bson_iter_t it;

   if (log->n == log->cap) {
      log->cap = log->cap ? log->cap * 2 : 64;
      log->entries = realloc(log->entries, log->cap * sizeof *log->entries);
      log->ts_t = realloc(log->ts_t, log->cap * sizeof *log->ts_t);
      log->ts_i = realloc(log->ts_i, log->cap * sizeof *log->ts_i);
      if (!log->entries || !log->ts_t || !log->ts_i) {
         fprintf(stderr, "mongobak-synth: out of memory for the oplog\n");
         abort();
      }
   }
   log->entries[log->n] = doc;
   log->ts_t[log->n] = log->ts_i[log->n] = 0;
   if (bson_iter_init_find(&it, doc, "ts") && BSON_ITER_HOLDS_TIMESTAMP(&it)) {
      bson_iter_timestamp(&it, &log->ts_t[log->n], &log->ts_i[log->n]);
   }
   log->n++;
}

/* A deterministic UUID (subtype 4) named by k, from the seed. */
static void append_uuid(bson_t *b, const char *key, uint64_t seed, uint64_t k)
{
   uint8_t u[16];
   uint64_t x = seed * 0x9e3779b97f4a7c15ull + k * 0xbf58476d1ce4e5b9ull + 1;

   for (int j = 0; j < 16; j++) {
      x ^= x >> 31;
      x *= 0x94d049bb133111ebull;
      u[j] = (uint8_t) (x >> 56);
   }
   u[6] = (uint8_t) ((u[6] & 0x0f) | 0x40);
   u[8] = (uint8_t) ((u[8] & 0x3f) | 0x80);
   bson_append_binary(b, key, -1, BSON_SUBTYPE_UUID, u, 16);
}

/* A logical session id as a driver's session writes it: {id: UUID, uid: SHA-256 of the user}. */
static void append_lsid(bson_t *b, uint64_t seed, uint64_t k)
{
   bson_t l;
   uint8_t uid[32];

   for (int j = 0; j < 32; j++) {
      uid[j] = (uint8_t) (0xe3 + j * 7);
   }
   BSON_APPEND_DOCUMENT_BEGIN(b, "lsid", &l);
   append_uuid(&l, "id", seed, 1000 + k);
   bson_append_binary(&l, "uid", -1, BSON_SUBTYPE_BINARY, uid, 32);
   bson_append_document_end(b, &l);
}

/* The common tail of an entry: ts, t, v, wall (as MongoDB orders them). */
static void append_tail(builder_t *bl, bson_t *e, uint32_t *i_out)
{
   uint32_t i = ++bl->next_i;

   bson_append_timestamp(e, "ts", 2, TS_BASE, i);
   BSON_APPEND_INT64(e, "t", TERM);
   BSON_APPEND_INT64(e, "v", 2);
   BSON_APPEND_DATE_TIME(e, "wall", WALL_MS + i);
   if (i_out) {
      *i_out = i;
   }
}

/* The collection UUID of db.coll (ui), named by a small number per collection. */
static uint64_t coll_ui(const char *coll)
{
   return 100 + syn_name_hash(coll) % 1000;
}

/* {op, ns, ui, o, [o2]} of a CRUD entry, nested (applyOps) or top-level. */
static void append_crud(builder_t *bl, bson_t *e, const char *op, const char *coll, const bson_t *o,
                        const bson_t *o2)
{
   char ns[200];

   snprintf(ns, sizeof ns, "%s.%s", bl->db, coll);
   BSON_APPEND_UTF8(e, "op", op);
   BSON_APPEND_UTF8(e, "ns", ns);
   append_uuid(e, "ui", bl->seed, coll_ui(coll));
   BSON_APPEND_DOCUMENT(e, "o", o);
   if (o2) {
      BSON_APPEND_DOCUMENT(e, "o2", o2);
   }
}

static bson_t *id_doc(int64_t id)
{
   bson_t *d = bson_new();
   BSON_APPEND_INT64(d, "_id", id);
   return d;
}

/* A top-level CRUD entry; o and o2 are consumed. */
static void crud(builder_t *bl, const char *op, const char *coll, bson_t *o, bson_t *o2)
{
   bson_t *e = bson_new();

   append_crud(bl, e, op, coll, o, o2);
   append_tail(bl, e, NULL);
   push_entry(bl->log, e);
   bson_destroy(o);
   if (o2) {
      bson_destroy(o2);
   }
}

static void insert(builder_t *bl, const char *coll, bson_t *doc)
{
   bson_iter_t it;
   bson_t *o2 = bson_new();

   if (bson_iter_init_find(&it, doc, "_id")) {
      bson_append_iter(o2, "_id", 3, &it);
   }
   crud(bl, "i", coll, doc, o2);
}

/* A command entry on db.$cmd (or admin.$cmd); o consumed; ui of coll when given. */
static void command(builder_t *bl, const char *db, const char *ui_coll, bson_t *o, bson_t *o2)
{
   bson_t *e = bson_new();
   char ns[200];

   snprintf(ns, sizeof ns, "%s.$cmd", db);
   BSON_APPEND_UTF8(e, "op", "c");
   BSON_APPEND_UTF8(e, "ns", ns);
   if (ui_coll) {
      append_uuid(e, "ui", bl->seed, coll_ui(ui_coll));
   }
   BSON_APPEND_DOCUMENT(e, "o", o);
   if (o2) {
      BSON_APPEND_DOCUMENT(e, "o2", o2);
      bson_destroy(o2);
   }
   append_tail(bl, e, NULL);
   push_entry(bl->log, e);
   bson_destroy(o);
}

static void noop(builder_t *bl, const char *msg)
{
   bson_t *e = bson_new(), o;

   BSON_APPEND_UTF8(e, "op", "n");
   BSON_APPEND_UTF8(e, "ns", "");
   BSON_APPEND_DOCUMENT_BEGIN(e, "o", &o);
   BSON_APPEND_UTF8(&o, "msg", msg);
   bson_append_document_end(e, &o);
   append_tail(bl, e, NULL);
   push_entry(bl->log, e);
}

static void append_id_index_spec(bson_t *b, const char *key)
{
   syn_append_id_index(b, key);
}

static void create(builder_t *bl, const char *coll)
{
   bson_t *o = bson_new();

   BSON_APPEND_UTF8(o, "create", coll);
   append_id_index_spec(o, "idIndex");
   command(bl, bl->db, coll, o, NULL);
}

/* {v: 2, key: {field: 1}, name: "field_1"} */
static void append_index_spec(bson_t *b, const char *key, const char *field)
{
   bson_t s, k;
   char name[64];

   snprintf(name, sizeof name, "%s_1", field);
   BSON_APPEND_DOCUMENT_BEGIN(b, key, &s);
   BSON_APPEND_INT32(&s, "v", 2);
   BSON_APPEND_DOCUMENT_BEGIN(&s, "key", &k);
   BSON_APPEND_INT32(&k, field, 1);
   bson_append_document_end(&s, &k);
   BSON_APPEND_UTF8(&s, "name", name);
   bson_append_document_end(b, &s);
}

/* A transaction's applyOps entry: ops (an array of nested entries) consumed; prev_i 0 for the
 * first entry of a transaction (prevOpTime {ts: 0:0, t: -1}); flag (or NULL): "partialTxn" or
 * "prepare", set true. */
static uint32_t apply_ops(builder_t *bl, uint64_t session, int64_t txn, bson_t *ops,
                          uint32_t prev_i, const char *flag)
{
   bson_t *e = bson_new(), o, prev;
   uint32_t i;

   append_lsid(e, bl->seed, session);
   BSON_APPEND_INT64(e, "txnNumber", txn);
   BSON_APPEND_UTF8(e, "op", "c");
   BSON_APPEND_UTF8(e, "ns", "admin.$cmd");
   BSON_APPEND_DOCUMENT_BEGIN(e, "o", &o);
   BSON_APPEND_ARRAY(&o, "applyOps", ops);
   if (flag) {
      BSON_APPEND_BOOL(&o, flag, true);
   }
   bson_append_document_end(e, &o);
   append_tail(bl, e, &i);
   BSON_APPEND_DOCUMENT_BEGIN(e, "prevOpTime", &prev);
   bson_append_timestamp(&prev, "ts", 2, prev_i ? TS_BASE : 0, prev_i);
   BSON_APPEND_INT64(&prev, "t", prev_i ? TERM : -1);
   bson_append_document_end(e, &prev);
   push_entry(bl->log, e);
   bson_destroy(ops);
   return i;
}

/* The commitTransaction (commit) or abortTransaction entry of a prepared transaction whose
 * prepare entry is at prepared_i. */
static void end_prepared(builder_t *bl, uint64_t session, int64_t txn, uint32_t prepared_i,
                         bool commit)
{
   bson_t *e = bson_new(), o, prev;

   append_lsid(e, bl->seed, session);
   BSON_APPEND_INT64(e, "txnNumber", txn);
   BSON_APPEND_UTF8(e, "op", "c");
   BSON_APPEND_UTF8(e, "ns", "admin.$cmd");
   BSON_APPEND_DOCUMENT_BEGIN(e, "o", &o);
   BSON_APPEND_INT32(&o, commit ? "commitTransaction" : "abortTransaction", 1);
   if (commit) {
      bson_append_timestamp(&o, "commitTimestamp", -1, TS_BASE, bl->next_i + 1);
   }
   bson_append_document_end(e, &o);
   append_tail(bl, e, NULL);
   BSON_APPEND_DOCUMENT_BEGIN(e, "prevOpTime", &prev);
   bson_append_timestamp(&prev, "ts", 2, TS_BASE, prepared_i);
   BSON_APPEND_INT64(&prev, "t", TERM);
   bson_append_document_end(e, &prev);
   push_entry(bl->log, e);
}

/* Element key of an applyOps array: a nested CRUD entry; o and o2 consumed. */
static void nested(builder_t *bl, bson_t *arr, uint32_t *n, const char *op, const char *coll,
                   bson_t *o, bson_t *o2)
{
   char key[16];
   const char *k;
   bson_t e;

   bson_uint32_to_string((*n)++, &k, key, sizeof key);
   BSON_APPEND_DOCUMENT_BEGIN(arr, k, &e);
   append_crud(bl, &e, op, coll, o, o2);
   bson_append_document_end(arr, &e);
   bson_destroy(o);
   if (o2) {
      bson_destroy(o2);
   }
}

/* An update in the $v: 2 diff format: o {$v: 2, diff}, o2 {_id}. */
static void diff_update(builder_t *bl, const char *coll, int64_t id, bson_t *diff)
{
   bson_t *o = bson_new();

   BSON_APPEND_INT32(o, "$v", 2);
   BSON_APPEND_DOCUMENT(o, "diff", diff);
   bson_destroy(diff);
   crud(bl, "u", coll, o, id_doc(id));
}

static bson_t *json(const char *s)
{
   bson_error_t e;
   bson_t *b = bson_new_from_json((const uint8_t *) s, -1, &e);

   if (!b) {
      fprintf(stderr, "mongobak-synth: built-in oplog JSON: %s: %s\n", e.message, s);
      abort();
   }
   return b;
}

/* The built-in oplog: the entries a replica set writes, in the kinds a replay must translate.
 * Phase 1 (visible at start) ends with the open transaction's first entry and a no-op; phase 2
 * (revealed during a dump) holds every other kind. */
/* --oplog-fill: n inserts of about 1 KB into db.fill (written while the dump runs). */
static void fill(builder_t *bl, uint64_t n)
{
   char pad[1001];

   for (uint64_t k = 0; k < n; k++) {
      bson_t *doc = bson_new();
      for (int j = 0; j < 1000; j++) {
         pad[j] = (char) ('a' + (k * 7 + (uint64_t) j * 13) % 26);
      }
      pad[1000] = '\0';
      BSON_APPEND_INT64(doc, "_id", (int64_t) (1000000 + k));
      BSON_APPEND_UTF8(doc, "pad", pad);
      insert(bl, "fill", doc);
   }
}

static void build_builtin(syn_oplog_t *log, const char *db, uint64_t seed, bool rename,
                          uint64_t nfill)
{
   builder_t bl = {.log = log, .db = db, .seed = seed};
   bson_t *o, *ops, arr;
   uint32_t n, first;

   noop(&bl, "initiating set");
   create(&bl, "k");
   insert(&bl, "k",
          json("{\"_id\": {\"$numberLong\": \"1\"}, \"a\": 1, \"o\": {\"p\": 1, "
               "\"arr\": [1, 2, 3, 4]}, \"gone\": true}"));
   insert(&bl, "k", json("{\"_id\": {\"$numberLong\": \"2\"}, \"x\": \"old\"}"));
   insert(&bl, "k", json("{\"_id\": {\"$numberLong\": \"3\"}}"));
   /* the open transaction: its first applyOps (partialTxn), committed in phase 2 */
   ops = bson_new();
   n = 0;
   nested(&bl, ops, &n, "i", "k", json("{\"_id\": {\"$numberLong\": \"20\"}, \"txn\": 1}"),
          id_doc(20));
   nested(&bl, ops, &n, "i", "k", json("{\"_id\": {\"$numberLong\": \"21\"}, \"txn\": 1}"),
          id_doc(21));
   log->open_txn = log->n;
   first = apply_ops(&bl, 1, 5, ops, 0, "partialTxn");
   noop(&bl, "periodic noop");
   log->hidden_from = log->n;

   /* phase 2: written while a dump runs */
   insert(&bl, "k", json("{\"_id\": {\"$numberLong\": \"4\"}, \"s\": \"new\"}"));
   diff_update(&bl, "k", 1,
               json("{\"d\": {\"gone\": false}, \"u\": {\"a\": 2}, \"i\": {\"n\": \"new\"}, "
                    "\"so\": {\"u\": {\"p\": 5}, \"sarr\": {\"a\": true, \"l\": 3, \"u1\": 20, "
                    "\"u2\": {\"z\": 1}}}}"));
   crud(&bl, "u", "k", json("{\"_id\": {\"$numberLong\": \"2\"}, \"y\": \"replaced\"}"), id_doc(2));
   crud(&bl, "d", "k", id_doc(3), NULL);
   create(&bl, "made");
   o = bson_new();
   BSON_APPEND_UTF8(o, "createIndexes", "made");
   BSON_APPEND_INT32(o, "v", 2);
   BSON_APPEND_DOCUMENT(o, "key", json("{\"q\": 1}"));
   BSON_APPEND_UTF8(o, "name", "q_1");
   command(&bl, db, "made", o, NULL);
   /* a two-phase index build on a collection with documents */
   for (int phase = 0; phase < 2; phase++) {
      o = bson_new();
      BSON_APPEND_UTF8(o, phase ? "commitIndexBuild" : "startIndexBuild", "k");
      append_uuid(o, "indexBuildUUID", seed, 7);
      BSON_APPEND_ARRAY_BEGIN(o, "indexes", &arr);
      append_index_spec(&arr, "0", "a");
      bson_append_array_end(o, &arr);
      command(&bl, db, "k", o, NULL);
   }
   /* the open transaction's commit: the last applyOps of its chain */
   ops = bson_new();
   n = 0;
   nested(&bl, ops, &n, "i", "k", json("{\"_id\": {\"$numberLong\": \"22\"}, \"txn\": 1}"),
          id_doc(22));
   o = json("{\"$v\": 2, \"diff\": {\"i\": {\"t\": 1}}}");
   nested(&bl, ops, &n, "u", "k", o, id_doc(20));
   apply_ops(&bl, 1, 5, ops, first, NULL);
   /* a transaction of one applyOps entry */
   ops = bson_new();
   n = 0;
   nested(&bl, ops, &n, "i", "made", json("{\"_id\": {\"$numberLong\": \"10\"}, \"q\": 1}"),
          id_doc(10));
   nested(&bl, ops, &n, "i", "made", json("{\"_id\": {\"$numberLong\": \"11\"}, \"q\": 2}"),
          id_doc(11));
   nested(&bl, ops, &n, "d", "k", id_doc(4), NULL);
   apply_ops(&bl, 2, 1, ops, 0, NULL);
   /* prepared transactions (a shard's part of a cross-shard transaction): one committed, one
    * aborted */
   for (int k = 0; k < 2; k++) {
      uint32_t prepared;
      ops = bson_new();
      n = 0;
      nested(&bl, ops, &n, "i", "made",
             json(k ? "{\"_id\": {\"$numberLong\": \"13\"}, \"q\": 3}"
                    : "{\"_id\": {\"$numberLong\": \"12\"}, \"q\": 3}"),
             id_doc(k ? 13 : 12));
      prepared = apply_ops(&bl, 3 + (uint64_t) k, 1, ops, 0, "prepare");
      end_prepared(&bl, 3 + (uint64_t) k, 1, prepared, k == 0);
   }
   o = bson_new();
   BSON_APPEND_UTF8(o, "dropIndexes", "made");
   BSON_APPEND_UTF8(o, "index", "q_1");
   bson_t *o2 = bson_new();
   append_index_spec(o2, "spec", "q");
   {
      /* o2 is the dropped index's spec itself, not under a key */
      bson_iter_t it;
      const uint8_t *data;
      uint32_t len;
      bson_iter_init_find(&it, o2, "spec");
      bson_iter_document(&it, &len, &data);
      bson_t *spec = bson_new_from_data(data, len);
      bson_destroy(o2);
      o2 = spec;
   }
   command(&bl, db, "made", o, o2);
   if (rename) {
      o = bson_new();
      char from[200], to[200];
      snprintf(from, sizeof from, "%s.made", db);
      snprintf(to, sizeof to, "%s.moved", db);
      BSON_APPEND_UTF8(o, "renameCollection", from);
      BSON_APPEND_UTF8(o, "to", to);
      BSON_APPEND_BOOL(o, "stayTemp", false);
      command(&bl, db, "made", o, NULL);
   }
   create(&bl, "dropme");
   o = bson_new();
   BSON_APPEND_UTF8(o, "drop", "dropme");
   command(&bl, db, "dropme", o, json("{\"numRecords\": {\"$numberLong\": \"0\"}}"));
   /* a database dropped: each collection's drop, then dropDatabase (as MongoDB 4.2+ logs it) */
   o = bson_new();
   BSON_APPEND_UTF8(o, "create", "x");
   append_id_index_spec(o, "idIndex");
   command(&bl, "gone", "x", o, NULL);
   o = bson_new();
   BSON_APPEND_UTF8(o, "drop", "x");
   command(&bl, "gone", "x", o, json("{\"numRecords\": {\"$numberLong\": \"0\"}}"));
   o = bson_new();
   BSON_APPEND_INT32(o, "dropDatabase", 1);
   command(&bl, "gone", NULL, o, NULL);
   /* a session's record in config.system.sessions (skipped by a replay) */
   o = json("{\"$v\": 2, \"diff\": {\"u\": {\"lastUse\": {\"$date\": 1796000000000}}}}");
   {
      bson_t *e = bson_new(), *key = bson_new(), id;
      BSON_APPEND_UTF8(e, "op", "u");
      BSON_APPEND_UTF8(e, "ns", "config.system.sessions");
      append_uuid(e, "ui", seed, 9);
      BSON_APPEND_DOCUMENT(e, "o", o);
      BSON_APPEND_DOCUMENT_BEGIN(key, "_id", &id);
      append_uuid(&id, "id", seed, 1001);
      bson_append_document_end(key, &id);
      BSON_APPEND_DOCUMENT(e, "o2", key);
      append_tail(&bl, e, NULL);
      push_entry(log, e);
      bson_destroy(key);
      bson_destroy(o);
   }
   fill(&bl, nfill);
   noop(&bl, "periodic noop");
}

/* A file of BSON documents, every one visible; the last `hidden` of them hidden at start. */
static void load_file(syn_oplog_t *log, const char *path)
{
   bson_reader_t *r;
   const bson_t *doc;
   bson_error_t e;
   bool eof = false;

   r = bson_reader_new_from_file(path, &e);
   if (!r) {
      fprintf(stderr, "mongobak-synth: --oplog %s: %s\n", path, e.message);
      exit(2);
   }
   while ((doc = bson_reader_read(r, &eof)) != NULL) {
      push_entry(log, bson_copy(doc));
   }
   bson_reader_destroy(r);
   if (!eof) {
      fprintf(stderr, "mongobak-synth: --oplog %s: not a file of BSON documents\n", path);
      exit(2);
   }
}

syn_oplog_t *syn_oplog_new(const char *spec, const char *db, uint64_t seed, long hidden,
                           uint64_t nfill)
{
   syn_oplog_t *log = calloc(1, sizeof *log);

   if (!log) {
      abort();
   }
   pthread_mutex_init(&log->lock, NULL);
   log->open_txn = (size_t) -1;
   if (strcmp(spec, "builtin") == 0 || strcmp(spec, "builtin-rename") == 0) {
      build_builtin(log, db, seed, strcmp(spec, "builtin-rename") == 0, nfill);
   } else {
      load_file(log, spec);
      log->hidden_from = log->n;
   }
   if (hidden >= 0) {
      log->hidden_from = (size_t) hidden < log->n ? log->n - (size_t) hidden : 0;
   }
   if (log->open_txn >= log->hidden_from) {
      log->open_txn = (size_t) -1;
   }
   return log;
}

/* ---- serving ---- */

/* The visible range [*lo, *hi) now. */
static void visible(syn_server_t *s, size_t *lo, size_t *hi, int *state)
{
   syn_oplog_t *log = s->oplog;

   pthread_mutex_lock(&log->lock);
   if (!log->forced && log->state == 0 && s->oplog_reveal_after > 0 &&
       (uint64_t) atomic_load(&s->data_replies) >= s->oplog_reveal_after) {
      log->state = s->oplog_rollover ? 2 : 1;
   }
   *state = log->state;
   pthread_mutex_unlock(&log->lock);
   *lo = *state == 2 ? log->hidden_from : 0;
   *hi = *state == 0 ? log->hidden_from : log->n;
}

typedef struct {
   bool has_lo, lo_strict, has_hi, hi_strict;
   uint32_t lo_t, lo_i, hi_t, hi_i;
} ts_range_t;

static int ts_cmp(uint32_t at, uint32_t ai, uint32_t bt, uint32_t bi)
{
   if (at != bt) {
      return at < bt ? -1 : 1;
   }
   return ai < bi ? -1 : ai > bi ? 1 : 0;
}

static void narrow(ts_range_t *r, bool lower, bool strict, uint32_t t, uint32_t i)
{
   if (lower) {
      if (!r->has_lo || ts_cmp(t, i, r->lo_t, r->lo_i) > 0 ||
          (ts_cmp(t, i, r->lo_t, r->lo_i) == 0 && strict)) {
         r->has_lo = true;
         r->lo_t = t;
         r->lo_i = i;
         r->lo_strict = strict;
      }
   } else if (!r->has_hi || ts_cmp(t, i, r->hi_t, r->hi_i) < 0 ||
              (ts_cmp(t, i, r->hi_t, r->hi_i) == 0 && strict)) {
      r->has_hi = true;
      r->hi_t = t;
      r->hi_i = i;
      r->hi_strict = strict;
   }
}

/* {ts: COND} and {$and: [...]} into r; false for anything else. */
static bool parse_filter(const bson_t *f, ts_range_t *r)
{
   bson_iter_t it, sub;
   uint32_t t, i;

   if (!bson_iter_init(&it, f)) {
      return false;
   }
   while (bson_iter_next(&it)) {
      const char *k = bson_iter_key(&it);
      if (strcmp(k, "$and") == 0 && BSON_ITER_HOLDS_ARRAY(&it) && bson_iter_recurse(&it, &sub)) {
         while (bson_iter_next(&sub)) {
            bson_t d;
            const uint8_t *data;
            uint32_t len;
            if (!BSON_ITER_HOLDS_DOCUMENT(&sub)) {
               return false;
            }
            bson_iter_document(&sub, &len, &data);
            if (!bson_init_static(&d, data, len) || !parse_filter(&d, r)) {
               return false;
            }
         }
      } else if (strcmp(k, "ts") == 0 && BSON_ITER_HOLDS_TIMESTAMP(&it)) {
         bson_iter_timestamp(&it, &t, &i);
         narrow(r, true, false, t, i);
         narrow(r, false, false, t, i);
      } else if (strcmp(k, "ts") == 0 && BSON_ITER_HOLDS_DOCUMENT(&it) &&
                 bson_iter_recurse(&it, &sub)) {
         while (bson_iter_next(&sub)) {
            const char *op = bson_iter_key(&sub);
            if (!BSON_ITER_HOLDS_TIMESTAMP(&sub)) {
               return false;
            }
            bson_iter_timestamp(&sub, &t, &i);
            if (strcmp(op, "$gte") == 0 || strcmp(op, "$gt") == 0) {
               narrow(r, true, op[3] == '\0', t, i);
            } else if (strcmp(op, "$lte") == 0 || strcmp(op, "$lt") == 0) {
               narrow(r, false, op[3] == '\0', t, i);
            } else {
               return false;
            }
         }
      } else {
         return false;
      }
   }
   return true;
}

static bool in_range(const ts_range_t *r, uint32_t t, uint32_t i)
{
   int c;

   if (r->has_lo && ((c = ts_cmp(t, i, r->lo_t, r->lo_i)) < 0 || (c == 0 && r->lo_strict))) {
      return false;
   }
   if (r->has_hi && ((c = ts_cmp(t, i, r->hi_t, r->hi_i)) > 0 || (c == 0 && r->hi_strict))) {
      return false;
   }
   return true;
}

static bool get_doc(const bson_t *cmd, const char *key, bson_t *out, bool *present)
{
   bson_iter_t it;
   const uint8_t *data;
   uint32_t len;

   *present = false;
   bson_init(out);
   if (!bson_iter_init_find(&it, cmd, key)) {
      return true;
   }
   if (!BSON_ITER_HOLDS_DOCUMENT(&it)) {
      return false;
   }
   bson_iter_document(&it, &len, &data);
   *present = true;
   return bson_init_static(out, data, len);
}

/* An inclusion projection of e into out (every field when proj is empty). */
static void project(const bson_t *e, const bson_t *proj, bson_t *out)
{
   bson_iter_t it, p;

   bson_init(out);
   if (bson_empty(proj)) {
      bson_concat(out, e);
      return;
   }
   bson_iter_init(&it, e);
   while (bson_iter_next(&it)) {
      if (bson_iter_init_find(&p, proj, bson_iter_key(&it)) && bson_iter_as_bool(&p)) {
         bson_append_iter(out, NULL, 0, &it);
      }
   }
}

static void reply_batch(syn_conn_t *c, const char *ns, const bson_t *batch, bool first, int64_t id)
{
   bson_t r = BSON_INITIALIZER, cur;

   BSON_APPEND_DOCUMENT_BEGIN(&r, "cursor", &cur);
   BSON_APPEND_ARRAY(&cur, first ? "firstBatch" : "nextBatch", batch);
   BSON_APPEND_INT64(&cur, "id", id);
   BSON_APPEND_UTF8(&cur, "ns", ns);
   bson_append_document_end(&r, &cur);
   syn_reply_ok(c, &r);
}

/* The entries idx[*pos..n) into batch: at most max (0: no limit) and up to the first to cross
 * 16 MiB; advances *pos. */
static void fill_batch(const syn_oplog_t *log, const size_t *idx, size_t n, size_t *pos,
                       int64_t max, const bson_t *proj, bson_t *batch)
{
   size_t bytes = 0;
   uint32_t k = 0;

   while (*pos < n && (max <= 0 || k < (uint64_t) max) && bytes < MAX_BATCH_BYTES) {
      bson_t one;
      char key[16];
      const char *kk;
      project(log->entries[idx[*pos]], proj, &one);
      bytes += one.len;
      bson_uint32_to_string(k++, &kk, key, sizeof key);
      BSON_APPEND_DOCUMENT(batch, kk, &one);
      bson_destroy(&one);
      (*pos)++;
   }
}

static void find_oplog(syn_conn_t *c, const bson_t *cmd)
{
   syn_oplog_t *log = c->srv->oplog;
   bson_t filter, sort, proj, batch = BSON_INITIALIZER;
   ts_range_t r = {0};
   bson_iter_t it;
   bool present, backward = false, single;
   int64_t limit = 0, batch_size = 101, id = 0;
   size_t lo, hi, *idx = NULL, n = 0, pos = 0;
   int state;

   if (!get_doc(cmd, "filter", &filter, &present) || !parse_filter(&filter, &r) ||
       !get_doc(cmd, "sort", &sort, &present) || !get_doc(cmd, "projection", &proj, &present)) {
      syn_reply_error(c, 2, "BadValue",
                      "mongobak-synth serves local.oplog.rs with filters on ts ($gte, $gt, $lte, "
                      "$lt, $and), sort {$natural: 1|-1} and inclusion projections only");
      goto done;
   }
   if (!bson_empty(&sort)) {
      if (bson_count_keys(&sort) != 1 || !bson_iter_init_find(&it, &sort, "$natural") ||
          !BSON_ITER_HOLDS_NUMBER(&it)) {
         syn_reply_error(c, 2, "BadValue", "mongobak-synth sorts the oplog by $natural only");
         goto done;
      }
      backward = bson_iter_as_int64(&it) < 0;
   }
   if (bson_iter_init_find(&it, cmd, "limit") && BSON_ITER_HOLDS_NUMBER(&it)) {
      limit = bson_iter_as_int64(&it);
   }
   if (bson_iter_init_find(&it, cmd, "batchSize") && BSON_ITER_HOLDS_NUMBER(&it)) {
      batch_size = bson_iter_as_int64(&it);
   }
   single = bson_iter_init_find(&it, cmd, "singleBatch") && bson_iter_as_bool(&it);
   visible(c->srv, &lo, &hi, &state);
   idx = malloc((hi - lo + 1) * sizeof *idx);
   if (!idx) {
      abort();
   }
   for (size_t k = 0; k < hi - lo && (limit <= 0 || n < (uint64_t) limit); k++) {
      size_t x = backward ? hi - 1 - k : lo + k;
      if (in_range(&r, log->ts_t[x], log->ts_i[x])) {
         idx[n++] = x;
      }
   }
   fill_batch(log, idx, n, &pos,
              limit > 0 && (batch_size <= 0 || limit < batch_size) ? limit : batch_size, &proj,
              &batch);
   if (pos < n && !single) {
      int slot = -1;
      pthread_mutex_lock(&log->lock);
      for (int k = 0; k < MAX_OPLOG_CURSORS && slot < 0; k++) {
         if (log->cursors[k].id == 0) {
            slot = k;
         }
      }
      if (slot >= 0) {
         id = CURSOR_BASE + ++log->next_cursor;
         log->cursors[slot].id = id;
         log->cursors[slot].idx = idx;
         log->cursors[slot].n = n;
         log->cursors[slot].pos = pos;
         bson_init(&log->cursors[slot].proj);
         bson_concat(&log->cursors[slot].proj, &proj);
         idx = NULL;
      }
      pthread_mutex_unlock(&log->lock);
      if (slot < 0) {
         syn_reply_error(c, 2, "BadValue", "mongobak-synth: too many open oplog cursors");
         goto done;
      }
   }
   reply_batch(c, "local.oplog.rs", &batch, true, id);
done:
   free(idx);
   bson_destroy(&batch);
}

bool syn_oplog_get_more(syn_conn_t *c, int64_t id, const bson_t *cmd)
{
   syn_oplog_t *log = c->srv->oplog;
   bson_t batch = BSON_INITIALIZER;
   bson_iter_t it;
   int64_t batch_size = 0, next = 0;
   int slot = -1;

   if (!log || id <= CURSOR_BASE || id > CURSOR_BASE + (1ll << 24)) {
      bson_destroy(&batch);
      return false;
   }
   if (bson_iter_init_find(&it, cmd, "batchSize") && BSON_ITER_HOLDS_NUMBER(&it)) {
      batch_size = bson_iter_as_int64(&it);
   }
   pthread_mutex_lock(&log->lock);
   for (int k = 0; k < MAX_OPLOG_CURSORS && slot < 0; k++) {
      if (log->cursors[k].id == id) {
         slot = k;
      }
   }
   if (slot >= 0) {
      fill_batch(log, log->cursors[slot].idx, log->cursors[slot].n, &log->cursors[slot].pos,
                 batch_size, &log->cursors[slot].proj, &batch);
      next = id;
      if (log->cursors[slot].pos >= log->cursors[slot].n) {
         free(log->cursors[slot].idx);
         bson_destroy(&log->cursors[slot].proj);
         log->cursors[slot].id = 0;
         next = 0;
      }
   }
   pthread_mutex_unlock(&log->lock);
   if (slot < 0) {
      syn_reply_error(c, 43, "CursorNotFound", "cursor id %" PRId64 " not found", id);
   } else {
      reply_batch(c, "local.oplog.rs", &batch, false, next);
   }
   bson_destroy(&batch);
   return true;
}

/* config.transactions: the open transaction (inProgress) until the reveal. */
static void find_transactions(syn_conn_t *c)
{
   syn_oplog_t *log = c->srv->oplog;
   bson_t batch = BSON_INITIALIZER, row, op;
   size_t lo, hi;
   int state;

   visible(c->srv, &lo, &hi, &state);
   if (c->srv->oplog_open_txn && state == 0 && log->open_txn < log->n) {
      size_t x = log->open_txn;
      BSON_APPEND_DOCUMENT_BEGIN(&batch, "0", &row);
      {
         bson_t id;
         uint8_t uid[32];
         for (int j = 0; j < 32; j++) {
            uid[j] = (uint8_t) (0xe3 + j * 7);
         }
         BSON_APPEND_DOCUMENT_BEGIN(&row, "_id", &id);
         append_uuid(&id, "id", c->srv->seed, 1001);
         bson_append_binary(&id, "uid", -1, BSON_SUBTYPE_BINARY, uid, 32);
         bson_append_document_end(&row, &id);
      }
      BSON_APPEND_INT64(&row, "txnNum", 5);
      BSON_APPEND_DOCUMENT_BEGIN(&row, "lastWriteOpTime", &op);
      bson_append_timestamp(&op, "ts", 2, log->ts_t[x], log->ts_i[x]);
      BSON_APPEND_INT64(&op, "t", TERM);
      bson_append_document_end(&row, &op);
      BSON_APPEND_DATE_TIME(&row, "lastWriteDate", WALL_MS + log->ts_i[x]);
      BSON_APPEND_UTF8(&row, "state", "inProgress");
      BSON_APPEND_DOCUMENT_BEGIN(&row, "startOpTime", &op);
      bson_append_timestamp(&op, "ts", 2, log->ts_t[x], log->ts_i[x]);
      BSON_APPEND_INT64(&op, "t", TERM);
      bson_append_document_end(&row, &op);
      bson_append_document_end(&batch, &row);
   }
   reply_batch(c, "config.transactions", &batch, true, 0);
   bson_destroy(&batch);
}

bool syn_oplog_find(syn_conn_t *c, const char *db, const char *coll, const bson_t *cmd)
{
   if (!c->srv->oplog) {
      return false;
   }
   if (strcmp(db, "local") == 0 && strcmp(coll, "oplog.rs") == 0) {
      find_oplog(c, cmd);
      return true;
   }
   if (strcmp(db, "config") == 0 && strcmp(coll, "transactions") == 0) {
      find_transactions(c);
      return true;
   }
   return false;
}

void syn_oplog_newest(syn_server_t *s, uint32_t *t, uint32_t *i)
{
   size_t lo, hi;
   int state;

   *t = *i = 0;
   visible(s, &lo, &hi, &state);
   if (hi > lo) {
      *t = s->oplog->ts_t[hi - 1];
      *i = s->oplog->ts_i[hi - 1];
   }
}

void syn_cmd_synth_oplog(syn_conn_t *c, const char *db, const bson_t *cmd)
{
   syn_oplog_t *log = c->srv->oplog;
   bson_iter_t it;
   const char *what = "";
   bson_t r = BSON_INITIALIZER;
   size_t lo, hi;
   int state;

   (void) db;
   if (bson_iter_init(&it, cmd) && bson_iter_next(&it) && BSON_ITER_HOLDS_UTF8(&it)) {
      what = bson_iter_utf8(&it, NULL);
   }
   if (!log) {
      bson_destroy(&r);
      syn_reply_error(c, 2, "BadValue", "mongobak-synth was started without --oplog");
      return;
   }
   pthread_mutex_lock(&log->lock);
   if (strcmp(what, "reveal") == 0) {
      log->state = 1;
      log->forced = true;
   } else if (strcmp(what, "rollover") == 0) {
      log->state = 2;
      log->forced = true;
   } else if (strcmp(what, "reset") == 0) {
      log->state = 0;
      log->forced = false;
      atomic_store(&c->srv->data_replies, 0);
   } else if (strcmp(what, "status") != 0) {
      pthread_mutex_unlock(&log->lock);
      bson_destroy(&r);
      syn_reply_error(c, 2, "BadValue", "synthOplog: reveal, rollover, reset or status");
      return;
   }
   pthread_mutex_unlock(&log->lock);
   visible(c->srv, &lo, &hi, &state);
   BSON_APPEND_INT32(&r, "state", state);
   BSON_APPEND_INT64(&r, "oldest", (int64_t) lo);
   BSON_APPEND_INT64(&r, "visible", (int64_t) (hi - lo));
   BSON_APPEND_INT64(&r, "entries", (int64_t) log->n);
   syn_reply_ok(c, &r);
}

void syn_oplog_list(syn_server_t *s, const char *db, const bson_t *filter, bool name_only,
                    bson_t *batch, uint32_t *n)
{
   bson_t d, opts;
   bool supported;
   char key[16];
   const char *k;

   if (!s->oplog || strcmp(db, "local") != 0 ||
       !syn_filter_matches(filter, "oplog.rs", &supported)) {
      return;
   }
   bson_uint32_to_string((*n)++, &k, key, sizeof key);
   BSON_APPEND_DOCUMENT_BEGIN(batch, k, &d);
   BSON_APPEND_UTF8(&d, "name", "oplog.rs");
   BSON_APPEND_UTF8(&d, "type", "collection");
   if (!name_only) {
      BSON_APPEND_DOCUMENT_BEGIN(&d, "options", &opts);
      BSON_APPEND_BOOL(&opts, "capped", true);
      BSON_APPEND_INT64(&opts, "size", 990 << 20);
      BSON_APPEND_BOOL(&opts, "autoIndexId", false);
      bson_append_document_end(&d, &opts);
      BSON_APPEND_DOCUMENT_BEGIN(&d, "info", &opts);
      BSON_APPEND_BOOL(&opts, "readOnly", false);
      append_uuid(&opts, "uuid", s->seed, 3);
      bson_append_document_end(&d, &opts);
   }
   bson_append_document_end(batch, &d);
}

/* ---- applyOps (a target for mongorestore --oplogReplay) ---- */

static void count_applied(syn_server_t *s, const char *kind)
{
   int k;

   for (k = 0; k < s->napplied; k++) {
      if (strcmp(s->applied[k].kind, kind) == 0) {
         break;
      }
   }
   if (k == s->napplied) {
      if (s->napplied == SYN_MAX_APPLIED) {
         k = SYN_MAX_APPLIED - 1; /* the last slot takes every further kind */
      } else {
         snprintf(s->applied[k].kind, sizeof s->applied[k].kind, "%s", kind);
         s->applied[k].n = 0;
         s->napplied++;
      }
   }
   s->applied[k].n++;
}

/* Count the operations of an applyOps array; false for an element that is not an entry. */
static bool count_ops(syn_server_t *s, bson_iter_t *ops, uint32_t *n)
{
   while (bson_iter_next(ops)) {
      bson_t e, o;
      bson_iter_t it, sub;
      const uint8_t *data;
      uint32_t len;
      const char *op;
      char kind[48];
      bool found;
      if (!BSON_ITER_HOLDS_DOCUMENT(ops)) {
         return false;
      }
      bson_iter_document(ops, &len, &data);
      if (!bson_init_static(&e, data, len) || !bson_iter_init_find(&it, &e, "op") ||
          !BSON_ITER_HOLDS_UTF8(&it)) {
         return false;
      }
      op = bson_iter_utf8(&it, NULL);
      if (strcmp(op, "c") == 0 && get_doc(&e, "o", &o, &found) && found &&
          bson_iter_init(&sub, &o) && bson_iter_next(&sub)) {
         if (strcmp(bson_iter_key(&sub), "applyOps") == 0 && BSON_ITER_HOLDS_ARRAY(&sub)) {
            bson_iter_t nested;
            if (!bson_iter_recurse(&sub, &nested) || !count_ops(s, &nested, n)) {
               return false;
            }
            continue;
         }
         snprintf(kind, sizeof kind, "c:%s", bson_iter_key(&sub));
      } else {
         snprintf(kind, sizeof kind, "%s", op);
      }
      count_applied(s, kind);
      (*n)++;
   }
   return true;
}

void syn_cmd_apply_ops(syn_conn_t *c, const char *db, const bson_t *cmd)
{
   syn_server_t *s = c->srv;
   bson_iter_t it, ops;
   bson_t r = BSON_INITIALIZER, results;
   uint32_t n = 0;
   bool ok;

   (void) db;
   if (!bson_iter_init_find(&it, cmd, "applyOps") || !BSON_ITER_HOLDS_ARRAY(&it) ||
       !bson_iter_recurse(&it, &ops)) {
      bson_destroy(&r);
      syn_reply_error(c, 14, "TypeMismatch", "applyOps must be an array of oplog entries");
      return;
   }
   pthread_mutex_lock(&s->wlock);
   ok = count_ops(s, &ops, &n);
   pthread_mutex_unlock(&s->wlock);
   if (!ok) {
      bson_destroy(&r);
      syn_reply_error(c, 2, "BadValue", "applyOps: an element is not an oplog entry with 'op'");
      return;
   }
   BSON_APPEND_INT32(&r, "applied", (int32_t) n);
   BSON_APPEND_ARRAY_BEGIN(&r, "results", &results);
   for (uint32_t k = 0; k < n; k++) {
      char key[16];
      const char *kk;
      bson_uint32_to_string(k, &kk, key, sizeof key);
      BSON_APPEND_BOOL(&results, kk, true);
   }
   bson_append_array_end(&r, &results);
   syn_reply_ok(c, &r);
}

void syn_applied_stats(syn_server_t *s, bson_t *out, bool reset)
{
   bson_t d;

   BSON_APPEND_DOCUMENT_BEGIN(out, "applyOps", &d);
   for (int k = 0; k < s->napplied; k++) {
      BSON_APPEND_INT64(&d, s->applied[k].kind, (int64_t) s->applied[k].n);
   }
   bson_append_document_end(out, &d);
   if (reset) {
      s->napplied = 0;
   }
}
