/* Oplog entries into ordinary operations (restore/oplog.h): each entry kind from hand-written
 * BSON: inserts (as upserts), deletes, $v:1 updates, full replacements, $v:2 diffs with nested
 * sub-diffs and array diffs (updates by index, sub-diffs of elements, truncation), the commands
 * (create, drop, createIndexes, commitIndexBuild, dropIndexes, renameCollection, applyOps),
 * skipped entries, namespace filters and renames, and the exact errors. */
#include "restore/oplog.h"
#include "restore/replay.h"

#include "testutil.h"

#define MAX_OUT 8

typedef struct {
   char *out[MAX_OUT];
   int n;
} sink_t;

static const char *kind_name(mb_roplog_kind_t k)
{
   switch (k) {
   case MB_ROPLOG_REPLACE:
      return "REPLACE";
   case MB_ROPLOG_UPDATE:
      return "UPDATE";
   case MB_ROPLOG_DELETE:
      return "DELETE";
   case MB_ROPLOG_COMMAND:
      return "COMMAND";
   case MB_ROPLOG_TRUNCATE:
      return "TRUNCATE";
   }
   return "?";
}

static bool collect(void *user_data, const mb_roplog_action_t *a, mb_error_t *err)
{
   sink_t *s = user_data;
   char *f = a->filter ? bson_as_relaxed_extended_json(a->filter, NULL) : NULL;
   char *d = a->doc ? bson_as_relaxed_extended_json(a->doc, NULL) : NULL;
   char codes[64] = "";

   (void) err;
   for (int i = 0; i < MB_ROPLOG_MAX_OK_CODES && a->ok_codes[i]; i++) {
      size_t used = strlen(codes);
      snprintf(codes + used, sizeof codes - used, " %d", a->ok_codes[i]);
   }
   assert_true(s->n < MAX_OUT);
   s->out[s->n++] = bson_strdup_printf(
       "%s %s%s%s%s%s%s%s%s", kind_name(a->kind), a->db, a->coll ? "." : "", a->coll ? a->coll : "",
       f ? " filter=" : "", f ? f : "", d ? " doc=" : "", d ? d : "", a->upsert ? " upsert" : "");
   if (codes[0]) {
      char *t = bson_strdup_printf("%s ok:%s", s->out[s->n - 1], codes);
      bson_free(s->out[s->n - 1]);
      s->out[s->n - 1] = t;
   }
   bson_free(f);
   bson_free(d);
   return true;
}

static void sink_clear(sink_t *s)
{
   for (int i = 0; i < s->n; i++) {
      bson_free(s->out[i]);
   }
   s->n = 0;
}

/* Translate the entry written as relaxed Extended JSON; return whether it succeeded. */
static bool run(const char *json, const mb_rnsmap_t *map, sink_t *s, uint64_t *skipped,
                mb_error_t *err)
{
   bson_error_t je;
   bson_t *b = bson_new_from_json((const uint8_t *) json, -1, &je);
   bool ok;

   if (!b) {
      fail_msg("bad test JSON %s: %s", json, je.message);
   }
   ok = mb_roplog_translate(bson_get_data(b), b->len, map, collect, s, skipped, err);
   bson_destroy(b);
   return ok;
}

/* Expect exactly the given outputs (NULL-terminated) and skipped count. */
static void expect(const char *json, const mb_rnsmap_t *map, uint64_t want_skipped, ...)
{
   sink_t s = {0};
   uint64_t skipped = 0;
   mb_error_t err;
   va_list ap;
   const char *want;
   int i = 0;

   if (!run(json, map, &s, &skipped, &err)) {
      fail_msg("%s: %s", json, err.message);
   }
   va_start(ap, want_skipped);
   while ((want = va_arg(ap, const char *)) != NULL) {
      if (i >= s.n) {
         fail_msg("%s: missing output %s", json, want);
      }
      assert_string_equal(s.out[i], want);
      i++;
   }
   va_end(ap);
   assert_int_equal(i, s.n);
   assert_int_equal(skipped, want_skipped);
   sink_clear(&s);
}

static void expect_error(const char *json, mb_exit_t code, const char *message)
{
   sink_t s = {0};
   uint64_t skipped = 0;
   mb_error_t err;

   assert_false(run(json, NULL, &s, &skipped, &err));
   assert_int_equal(mb_error_exit_code(&err), code);
   assert_string_equal(err.message, message);
   sink_clear(&s);
}

static void test_crud(void **state)
{
   (void) state;
   expect("{\"op\": \"i\", \"ns\": \"shop.a\", \"ts\": {\"$timestamp\": {\"t\": 5, \"i\": 1}}, "
          "\"o\": {\"_id\": 7, \"v\": \"x\"}}",
          NULL, 0,
          "REPLACE shop.a filter={ \"_id\" : 7 } doc={ \"_id\" : 7, \"v\" : \"x\" } upsert", NULL);
   expect("{\"op\": \"d\", \"ns\": \"shop.a\", \"o\": {\"_id\": 7}}", NULL, 0,
          "DELETE shop.a filter={ \"_id\" : 7 }", NULL);
   /* $v:1 as FerretDB writes every update: the whole new document (with _id) under $set, also
    * after an $unset (the field is then absent): a replacement, or the removed field would stay */
   expect(
       "{\"op\": \"u\", \"ns\": \"shop.a\", \"o\": {\"$v\": 1, \"$set\": {\"_id\": 1, \"x\": 5}}, "
       "\"o2\": {\"_id\": 1}}",
       NULL, 0, "REPLACE shop.a filter={ \"_id\" : 1 } doc={ \"_id\" : 1, \"x\" : 5 } upsert",
       NULL);
   expect("{\"op\": \"u\", \"ns\": \"shop.a\", \"o\": {\"$v\": 1, \"$set\": {\"x\": 5}}, "
          "\"o2\": {\"_id\": 1}}",
          NULL, 0, "UPDATE shop.a filter={ \"_id\" : 1 } doc={ \"$set\" : { \"x\" : 5 } } upsert",
          NULL);
   expect("{\"op\": \"u\", \"ns\": \"shop.a\", \"o\": {\"$set\": {\"a\": 1}, \"$unset\": {\"b\": "
          "true}}, \"o2\": {\"_id\": 1}}",
          NULL, 0,
          "UPDATE shop.a filter={ \"_id\" : 1 } doc={ \"$set\" : { \"a\" : 1 }, \"$unset\" : { "
          "\"b\" : true } } upsert",
          NULL);
   /* a full replacement */
   expect(
       "{\"op\": \"u\", \"ns\": \"shop.a\", \"o\": {\"_id\": 1, \"y\": 2}, \"o2\": {\"_id\": 1}}",
       NULL, 0, "REPLACE shop.a filter={ \"_id\" : 1 } doc={ \"_id\" : 1, \"y\" : 2 } upsert",
       NULL);
   /* a collection name with dots: the database ends at the first one */
   expect("{\"op\": \"d\", \"ns\": \"shop.a.b\", \"o\": {\"_id\": 1}}", NULL, 0,
          "DELETE shop.a.b filter={ \"_id\" : 1 }", NULL);
}

static void test_diff_v2(void **state)
{
   (void) state;
   /* top-level update, insert, delete sections and a nested object sub-diff */
   expect("{\"op\": \"u\", \"ns\": \"d.c\", \"o2\": {\"_id\": 1}, \"o\": {\"$v\": 2, \"diff\": "
          "{\"d\": {\"gone\": false}, \"u\": {\"a\": 10}, \"i\": {\"new\": \"n\"}, "
          "\"sp\": {\"u\": {\"q\": 1}, \"sr\": {\"d\": {\"z\": false}, \"i\": {\"w\": [1]}}}}}}",
          NULL, 0,
          "UPDATE d.c filter={ \"_id\" : 1 } doc={ \"$set\" : { \"a\" : 10, \"new\" : \"n\", "
          "\"p.q\" : 1, \"p.r.w\" : [ 1 ] }, \"$unset\" : { \"gone\" : \"\", \"p.r.z\" : \"\" } } "
          "upsert",
          NULL);
   /* array diffs: an element replaced, an element's sub-diff, a nested array, and growth */
   expect("{\"op\": \"u\", \"ns\": \"d.c\", \"o2\": {\"_id\": 1}, \"o\": {\"$v\": 2, \"diff\": "
          "{\"sarr\": {\"a\": true, \"u0\": \"first\", \"s2\": {\"u\": {\"k\": 3}}, "
          "\"s3\": {\"a\": true, \"u1\": 9}, \"u5\": {\"x\": 1}}}}}",
          NULL, 0,
          "UPDATE d.c filter={ \"_id\" : 1 } doc={ \"$set\" : { \"arr.0\" : \"first\", "
          "\"arr.2.k\" : 3, \"arr.3.1\" : 9, \"arr.5\" : { \"x\" : 1 } } } upsert",
          NULL);
   /* a shrinking array: the truncation first, then the element updates */
   expect("{\"op\": \"u\", \"ns\": \"d.c\", \"o2\": {\"_id\": 1}, \"o\": {\"$v\": 2, \"diff\": "
          "{\"so\": {\"sarr\": {\"a\": true, \"l\": 2, \"u1\": \"b\"}}}}}",
          NULL, 0, "TRUNCATE d.c filter={ \"_id\" : 1 } doc={ \"o.arr\" : 2 }",
          "UPDATE d.c filter={ \"_id\" : 1 } doc={ \"$set\" : { \"o.arr.1\" : \"b\" } } upsert",
          NULL);
   /* an empty diff changes nothing: skipped */
   expect(
       "{\"op\": \"u\", \"ns\": \"d.c\", \"o2\": {\"_id\": 1}, \"o\": {\"$v\": 2, \"diff\": {}}}",
       NULL, 1, NULL);
   expect_error("{\"op\": \"u\", \"ns\": \"d.c\", \"o2\": {\"_id\": 1}, \"o\": {\"$v\": 2, "
                "\"diff\": {\"sa\": {\"a\": true, \"x1\": 1}}}}",
                MB_EXIT_CORRUPT,
                "malformed $v:2 update diff at 'a': an unknown key in an array diff");
   expect_error("{\"op\": \"u\", \"ns\": \"d.c\", \"o2\": {\"_id\": 1}, \"o\": {\"$v\": 2, "
                "\"diff\": {\"q\": {}}}}",
                MB_EXIT_CORRUPT,
                "malformed $v:2 update diff at '(top)': an unknown key in an object diff");
   expect_error("{\"op\": \"u\", \"ns\": \"d.c\", \"o2\": {\"_id\": 1}, \"o\": {\"$v\": 2}}",
                MB_EXIT_CORRUPT, "an oplog update ($v: 2) of 'd.c' has no 'diff'");
}

static void test_commands(void **state)
{
   (void) state;
   expect("{\"op\": \"c\", \"ns\": \"d.$cmd\", \"o\": {\"create\": \"c\", \"capped\": true, "
          "\"size\": 4096}}",
          NULL, 0,
          "COMMAND d doc={ \"create\" : \"c\", \"capped\" : true, \"size\" : 4096 } ok: 48", NULL);
   expect("{\"op\": \"c\", \"ns\": \"d.$cmd\", \"o\": {\"drop\": \"c\"}}", NULL, 0,
          "COMMAND d doc={ \"drop\" : \"c\" } ok: 26", NULL);
   expect("{\"op\": \"c\", \"ns\": \"d.$cmd\", \"o\": {\"createIndexes\": \"c\", \"v\": 2, "
          "\"key\": {\"a\": 1}, \"name\": \"a_1\"}}",
          NULL, 0,
          "COMMAND d doc={ \"createIndexes\" : \"c\", \"indexes\" : [ { \"key\" : { "
          "\"a\" : 1 }, \"name\" : \"a_1\" } ] } ok: 85 86",
          NULL);
   expect("{\"op\": \"c\", \"ns\": \"d.$cmd\", \"o\": {\"commitIndexBuild\": \"c\", "
          "\"indexes\": [{\"v\": 2, \"key\": {\"b\": -1}, \"name\": \"b_-1\"}]}}",
          NULL, 0,
          "COMMAND d doc={ \"createIndexes\" : \"c\", \"indexes\" : [ { \"key\" : { "
          "\"b\" : -1 }, \"name\" : \"b_-1\" } ] } ok: 85 86",
          NULL);
   expect(
       "{\"op\": \"c\", \"ns\": \"d.$cmd\", \"o\": {\"dropIndexes\": \"c\", \"index\": \"a_1\"}}",
       NULL, 0, "COMMAND d doc={ \"dropIndexes\" : \"c\", \"index\" : \"a_1\" } ok: 26 27", NULL);
   expect(
       "{\"op\": \"c\", \"ns\": \"d.$cmd\", \"o\": {\"deleteIndexes\": \"c\", \"index\": \"a_1\"}}",
       NULL, 0, "COMMAND d doc={ \"dropIndexes\" : \"c\", \"index\" : \"a_1\" } ok: 26 27", NULL);
   expect("{\"op\": \"c\", \"ns\": \"admin.$cmd\", \"o\": {\"renameCollection\": \"d.a\", "
          "\"to\": \"d.b\", \"stayTemp\": false}}",
          NULL, 0, "COMMAND admin doc={ \"renameCollection\" : \"d.a\", \"to\" : \"d.b\" } ok: 26",
          NULL);
   expect("{\"op\": \"c\", \"ns\": \"d.$cmd\", \"o\": {\"startIndexBuild\": \"c\"}}", NULL, 1,
          NULL);
   expect_error("{\"op\": \"c\", \"ns\": \"d.$cmd\", \"o\": {\"collMod\": \"c\"}}", MB_EXIT_USAGE,
                "the oplog holds a 'collMod' command on 'd', which mongobak does not replay; "
                "restore with --oplog-limit before it");
}

static void test_apply_ops(void **state)
{
   (void) state;
   /* a transaction's batch: each nested entry in order, local.* skipped */
   expect("{\"op\": \"c\", \"ns\": \"admin.$cmd\", \"o\": {\"applyOps\": ["
          "{\"op\": \"i\", \"ns\": \"d.c\", \"o\": {\"_id\": 1}},"
          "{\"op\": \"u\", \"ns\": \"d.c\", \"o2\": {\"_id\": 1}, \"o\": {\"$v\": 2, \"diff\": "
          "{\"i\": {\"f\": 1}}}},"
          "{\"op\": \"i\", \"ns\": \"local.x\", \"o\": {\"_id\": 1}},"
          "{\"op\": \"d\", \"ns\": \"d.c\", \"o\": {\"_id\": 2}}]}, \"lsid\": {\"id\": 1}, "
          "\"txnNumber\": 3}",
          NULL, 1, "REPLACE d.c filter={ \"_id\" : 1 } doc={ \"_id\" : 1 } upsert",
          "UPDATE d.c filter={ \"_id\" : 1 } doc={ \"$set\" : { \"f\" : 1 } } upsert",
          "DELETE d.c filter={ \"_id\" : 2 }", NULL);
   expect_error("{\"op\": \"c\", \"ns\": \"admin.$cmd\", \"o\": {\"applyOps\": [], \"prepare\": "
                "true}}",
                MB_EXIT_USAGE,
                "the oplog holds a prepared transaction (applyOps with prepare: true), which "
                "mongobak does not replay; restore with --oplog-limit before it");
}

static void test_skips_and_map(void **state)
{
   const char *inc[] = {"shop.*"}, *from[] = {"shop.a"}, *to[] = {"store.b"};
   mb_rnsmap_t *map;
   mb_error_t err;

   (void) state;
   expect("{\"op\": \"n\", \"ns\": \"\", \"o\": {\"msg\": \"periodic noop\"}}", NULL, 1, NULL);
   expect("{\"op\": \"i\", \"ns\": \"config.system.sessions\", \"o\": {\"_id\": 1}}", NULL, 1,
          NULL);
   assert_true(mb_rnsmap_new(inc, 1, NULL, 0, from, to, 1, &map, &err));
   expect("{\"op\": \"i\", \"ns\": \"shop.a\", \"o\": {\"_id\": 1}}", map, 0,
          "REPLACE store.b filter={ \"_id\" : 1 } doc={ \"_id\" : 1 } upsert", NULL);
   expect("{\"op\": \"i\", \"ns\": \"other.a\", \"o\": {\"_id\": 1}}", map, 1, NULL);
   expect("{\"op\": \"c\", \"ns\": \"shop.$cmd\", \"o\": {\"drop\": \"a\"}}", map, 0,
          "COMMAND store doc={ \"drop\" : \"b\" } ok: 26", NULL);
   expect("{\"op\": \"c\", \"ns\": \"admin.$cmd\", \"o\": {\"renameCollection\": \"shop.a\", "
          "\"to\": \"shop.z\", \"dropTarget\": true}}",
          map, 0,
          "COMMAND admin doc={ \"renameCollection\" : \"store.b\", \"to\" : \"shop.z\", "
          "\"dropTarget\" : true } ok: 26",
          NULL);
   expect("{\"op\": \"c\", \"ns\": \"admin.$cmd\", \"o\": {\"renameCollection\": \"other.a\", "
          "\"to\": \"shop.z\"}}",
          map, 1, NULL);
   mb_rnsmap_destroy(map);
}

/* Entries exactly as MongoDB 6/7 writes them (the synthetic server's built-in oplog,
 * tools/synth/oplog.c): ui, o2 on inserts, a drop's o2 {numRecords}, a dropIndexes' o2 (the
 * dropped spec), create's idIndex; a dropped database: each collection's drop, then a
 * dropDatabase entry, which changes nothing more (skipped, as the collections' drops did the
 * work; dropping the whole target database would also remove what the filters left out), and
 * dbCheck (a consistency check, no data) skipped. */
static void test_real_formats(void **state)
{
   (void) state;
   expect("{\"op\": \"i\", \"ns\": \"bench.k\", \"ui\": {\"$uuid\": "
          "\"0b8f6d2c-3a1e-4c5d-9e7f-1a2b3c4d5e6f\"}, \"o\": {\"_id\": 4, \"s\": \"new\"}, "
          "\"o2\": {\"_id\": 4}, \"ts\": {\"$timestamp\": {\"t\": 1796000000, \"i\": 8}}, \"t\": "
          "1, \"v\": 2, \"wall\": {\"$date\": 1796000000008}}",
          NULL, 0,
          "REPLACE bench.k filter={ \"_id\" : 4 } doc={ \"_id\" : 4, \"s\" : \"new\" } upsert",
          NULL);
   expect("{\"op\": \"c\", \"ns\": \"bench.$cmd\", \"o\": {\"create\": \"made\", \"idIndex\": "
          "{\"v\": 2, \"key\": {\"_id\": 1}, \"name\": \"_id_\"}}}",
          NULL, 0,
          "COMMAND bench doc={ \"create\" : \"made\", \"idIndex\" : { \"v\" : 2, \"key\" : { "
          "\"_id\" : 1 }, \"name\" : \"_id_\" } } ok: 48",
          NULL);
   expect("{\"op\": \"c\", \"ns\": \"bench.$cmd\", \"o\": {\"drop\": \"dropme\"}, \"o2\": "
          "{\"numRecords\": 0}}",
          NULL, 0, "COMMAND bench doc={ \"drop\" : \"dropme\" } ok: 26", NULL);
   expect("{\"op\": \"c\", \"ns\": \"bench.$cmd\", \"o\": {\"dropIndexes\": \"made\", \"index\": "
          "\"q_1\"}, \"o2\": {\"v\": 2, \"key\": {\"q\": 1}, \"name\": \"q_1\"}}",
          NULL, 0,
          "COMMAND bench doc={ \"dropIndexes\" : \"made\", \"index\" : \"q_1\" } ok: 26 27", NULL);
   expect("{\"op\": \"c\", \"ns\": \"gone.$cmd\", \"o\": {\"dropDatabase\": 1}, \"ts\": "
          "{\"$timestamp\": {\"t\": 1796000000, \"i\": 23}}, \"t\": 1, \"v\": 2}",
          NULL, 1, NULL);
   expect("{\"op\": \"c\", \"ns\": \"bench.$cmd\", \"o\": {\"dbCheck\": \"k\", \"type\": "
          "\"batch\"}}",
          NULL, 1, NULL);
}

/* Feed entries (relaxed Extended JSON) to a dry-run replay with an optional limit (T:I). */
static mb_rreplay_t *replay_from(const char *const *entries, int n, const mb_oplog_ts_t *after,
                                 const mb_oplog_ts_t *limit)
{
   mb_rreplay_t *r = mb_rreplay_new(NULL, NULL, limit);
   mb_error_t err;

   if (after) {
      mb_rreplay_set_after(r, *after);
   }

   for (int i = 0; i < n; i++) {
      bson_error_t je;
      bson_t *b = bson_new_from_json((const uint8_t *) entries[i], -1, &je);
      if (!b) {
         fail_msg("bad test JSON %s: %s", entries[i], je.message);
      }
      if (!mb_rreplay_entry(r, bson_get_data(b), b->len, &err)) {
         fail_msg("%s: %s", entries[i], err.message);
      }
      bson_destroy(b);
   }
   return r;
}

static mb_rreplay_t *replay(const char *const *entries, int n, const mb_oplog_ts_t *limit)
{
   return replay_from(entries, n, NULL, limit);
}

/* A transaction written in several applyOps entries (partialTxn: true, then the last one, as
 * MongoDB 4.2+ writes a large transaction; another session's transaction between them): its
 * operations run when its last entry comes, all together; with a limit before that entry none of
 * them runs (mongorestore holds them the same way), never a part of the transaction. */
static void test_partial_txn(void **state)
{
#define TXN(i, partial, session, ops)                                                              \
   "{\"lsid\": {\"id\": " #session "}, \"txnNumber\": 5, \"op\": \"c\", \"ns\": \"admin.$cmd\", "  \
   "\"o\": {\"applyOps\": [" ops "]" partial "}, \"ts\": {\"$timestamp\": {\"t\": 100, \"i\": " #i \
   "}}}"
#define INS(id) "{\"op\": \"i\", \"ns\": \"d.c\", \"o\": {\"_id\": " #id "}}"
   static const char *const entries[] = {
       TXN(1, ", \"partialTxn\": true", 1, INS(1) "," INS(2)),
       TXN(2, ", \"partialTxn\": true", 1, INS(3)),
       TXN(3, "", 2, INS(9)),
       "{\"op\": \"n\", \"ns\": \"\", \"o\": {\"msg\": \"periodic noop\"}, \"ts\": "
       "{\"$timestamp\": "
       "{\"t\": 100, \"i\": 4}}}",
       TXN(5, "", 1, INS(4)),
   };
   mb_oplog_ts_t at5 = {100, 5}, at3 = {100, 3};
   mb_rreplay_t *r;
   const mb_rreplay_stats_t *st;

   (void) state;
   r = replay(entries, 5, NULL);
   st = mb_rreplay_stats(r);
   assert_int_equal(st->entries, 5);
   assert_int_equal(st->ops, 5);
   assert_int_equal(st->ops_by_kind[MB_ROPLOG_REPLACE], 5);
   assert_int_equal(st->applied, 4);
   assert_int_equal(st->skipped, 1);
   assert_int_equal(st->last.i, 5);
   mb_rreplay_destroy(r);
   /* the limit at the transaction's last entry: none of its 4 operations, the other session's
    * one runs */
   r = replay(entries, 5, &at5);
   st = mb_rreplay_stats(r);
   assert_int_equal(st->ops, 1);
   assert_int_equal(st->applied, 1);
   assert_int_equal(st->skipped, 1);
   assert_int_equal(st->after_limit, 3);
   assert_int_equal(st->last.i, 4);
   mb_rreplay_destroy(r);
   r = replay(entries, 5, &at3);
   st = mb_rreplay_stats(r);
   assert_int_equal(st->ops, 0);
   assert_int_equal(st->after_limit, 5);
   mb_rreplay_destroy(r);
   /* a lower bound (restore --to-time: a slice replayed after a backup's end) between the
    * transaction's parts and its last entry: the restored data lack the whole transaction, so
    * its parts before the bound still run with its last entry (4 operations); the other
    * session's transaction, ended before the bound, is in the data and does not run again */
   r = replay_from(entries, 5, &at3, NULL);
   st = mb_rreplay_stats(r);
   assert_int_equal(st->ops, 4);
   assert_int_equal(st->applied, 3);
   assert_int_equal(st->not_after, 1);
   assert_int_equal(st->skipped, 1);
   assert_int_equal(st->last.i, 5);
   mb_rreplay_destroy(r);
   /* a bound after the transaction's end: nothing runs, nothing is left held */
   r = replay_from(entries, 5, &at5, NULL);
   st = mb_rreplay_stats(r);
   assert_int_equal(st->ops, 0);
   assert_int_equal(st->not_after, 5);
   assert_int_equal(st->skipped, 0);
   mb_rreplay_destroy(r);
#undef TXN
#undef INS
}

/* The last entry of a transaction whose earlier entries were not read (its prevOpTime points
 * before the entries replayed: a replay from a bound, or an oplog copied from the middle of the
 * transaction) is refused with one line, never applied as a part of the transaction. */
static void test_txn_missing_first_part(void **state)
{
   static const char last[] =
       "{\"lsid\": {\"id\": 1}, \"txnNumber\": 5, \"op\": \"c\", \"ns\": \"admin.$cmd\", \"o\": "
       "{\"applyOps\": [{\"op\": \"i\", \"ns\": \"d.c\", \"o\": {\"_id\": 4}}]}, \"prevOpTime\": "
       "{\"ts\": {\"$timestamp\": {\"t\": 100, \"i\": 2}}, \"t\": 1}, \"ts\": {\"$timestamp\": "
       "{\"t\": 100, \"i\": 5}}}";
   static const char first[] =
       "{\"lsid\": {\"id\": 1}, \"txnNumber\": 5, \"op\": \"c\", \"ns\": \"admin.$cmd\", \"o\": "
       "{\"applyOps\": [{\"op\": \"i\", \"ns\": \"d.c\", \"o\": {\"_id\": 3}}], \"partialTxn\": "
       "true}, \"prevOpTime\": {\"ts\": {\"$timestamp\": {\"t\": 0, \"i\": 0}}, \"t\": -1}, "
       "\"ts\": "
       "{\"$timestamp\": {\"t\": 100, \"i\": 2}}}";
   bson_error_t je;
   bson_t *l = bson_new_from_json((const uint8_t *) last, -1, &je);
   bson_t *f = bson_new_from_json((const uint8_t *) first, -1, &je);
   mb_rreplay_t *r = mb_rreplay_new(NULL, NULL, NULL);
   mb_error_t err;
   (void) state;

   assert_non_null(l);
   assert_non_null(f);
   assert_false(mb_rreplay_entry(r, bson_get_data(l), l->len, &err));
   assert_error(&err, MB_EXIT_CORRUPT,
                "oplog entry 100:5 (admin.$cmd): the transaction it ends has an earlier entry "
                "(100:2) that is not among the entries read, so it cannot be applied whole; "
                "restore an earlier backup, or stop the replay before it (--oplog-limit 100:5)");
   assert_int_equal(mb_rreplay_stats(r)->ops, 0);
   mb_rreplay_destroy(r);
   /* with its first entry read, the transaction runs whole */
   r = mb_rreplay_new(NULL, NULL, NULL);
   assert_true(mb_rreplay_entry(r, bson_get_data(f), f->len, &err));
   assert_true(mb_rreplay_entry(r, bson_get_data(l), l->len, &err));
   assert_int_equal(mb_rreplay_stats(r)->ops, 2);
   mb_rreplay_destroy(r);
   bson_destroy(l);
   bson_destroy(f);
}

/* A prepared transaction (applyOps with prepare: true, as a shard of a cluster writes a
 * cross-shard transaction) runs at its commitTransaction, an aborted one never; a limit at the
 * commit leaves it out (mongorestore applies them the same way). */
static void test_prepared_txn(void **state)
{
#define CMD(i, session, o)                                                                         \
   "{\"lsid\": {\"id\": " #session "}, \"txnNumber\": 5, \"op\": \"c\", \"ns\": \"admin.$cmd\", "  \
   "\"o\": " o ", \"ts\": {\"$timestamp\": {\"t\": 100, \"i\": " #i "}}}"
   static const char *const entries[] = {
       CMD(1, 1,
           "{\"applyOps\": [{\"op\": \"i\", \"ns\": \"d.c\", \"o\": {\"_id\": 1}}], "
           "\"prepare\": true}"),
       CMD(2, 2,
           "{\"applyOps\": [{\"op\": \"i\", \"ns\": \"d.c\", \"o\": {\"_id\": 2}}], "
           "\"prepare\": true}"),
       CMD(3, 1,
           "{\"commitTransaction\": 1, \"commitTimestamp\": {\"$timestamp\": {\"t\": 100, "
           "\"i\": 3}}}"),
       CMD(4, 2, "{\"abortTransaction\": 1}"),
   };
   mb_oplog_ts_t at3 = {100, 3};
   mb_rreplay_t *r;
   const mb_rreplay_stats_t *st;

   (void) state;
   r = replay(entries, 4, NULL);
   st = mb_rreplay_stats(r);
   assert_int_equal(st->ops, 1);
   assert_int_equal(st->ops_by_kind[MB_ROPLOG_REPLACE], 1);
   assert_int_equal(st->applied, 1);
   assert_int_equal(st->skipped, 3);
   assert_int_equal(st->last.i, 4);
   mb_rreplay_destroy(r);
   r = replay(entries, 4, &at3);
   st = mb_rreplay_stats(r);
   assert_int_equal(st->ops, 0);
   assert_int_equal(st->skipped, 0);
   assert_int_equal(st->after_limit, 4);
   mb_rreplay_destroy(r);
#undef CMD
}

static void test_malformed(void **state)
{
   (void) state;
   expect_error("{\"ns\": \"d.c\", \"o\": {}}", MB_EXIT_CORRUPT,
                "an oplog entry lacks a string 'op' and 'ns' or a document 'o' (or has an 'o2' "
                "that is not a document)");
   expect_error("{\"op\": \"i\", \"ns\": \"d.c\", \"o\": {\"v\": 1}}", MB_EXIT_CORRUPT,
                "an oplog insert into 'd.c' has no _id");
   expect_error("{\"op\": \"u\", \"ns\": \"d.c\", \"o\": {\"$set\": {\"v\": 1}}}", MB_EXIT_CORRUPT,
                "an oplog update of 'd.c' has no 'o2' (its _id)");
}

int main(void)
{
   const struct CMUnitTest tests[] = {
       cmocka_unit_test(test_crud),          cmocka_unit_test(test_diff_v2),
       cmocka_unit_test(test_commands),      cmocka_unit_test(test_apply_ops),
       cmocka_unit_test(test_skips_and_map), cmocka_unit_test(test_malformed),
       cmocka_unit_test(test_real_formats),  cmocka_unit_test(test_partial_txn),
       cmocka_unit_test(test_prepared_txn),  cmocka_unit_test(test_txn_missing_first_part),
   };
   return cmocka_run_group_tests(tests, NULL, NULL);
}
