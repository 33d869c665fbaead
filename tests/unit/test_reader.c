/* Archive reader: every check mongorestore makes (docs/archive-format.md §2, §4), with the
 * exact messages and exit codes, on hand-built archives and on real mongodump output. */
#include "archive/compress.h"
#include "archive/crc64.h"
#include "archive/reader.h"
#include "archive/verify.h"
#include "archive/writer.h"
#include "common/file.h"

#include "testutil.h"

#include <stdarg.h>
#include <unistd.h>

/* ---- building archives by hand ---- */

static void put_bson(bytes_t *b, const bson_t *d)
{
   bytes_put(b, bson_get_data(d), d->len);
}

static void put_term(bytes_t *b)
{
   bytes_put_u32(b, 0xffffffffu);
}

static void put_header(bytes_t *b, int32_t concurrent, const char *server_version)
{
   bson_t h = BSON_INITIALIZER;
   BSON_APPEND_INT32(&h, "concurrent_collections", concurrent);
   BSON_APPEND_UTF8(&h, "version", "0.1");
   BSON_APPEND_UTF8(&h, "server_version", server_version);
   BSON_APPEND_UTF8(&h, "tool_version", "100.10.0");
   put_bson(b, &h);
   bson_destroy(&h);
}

/* "db.coll" -> db and coll; ".oplog" is the oplog (db ""). */
static void split_ns(const char *ns, char *db, char *coll)
{
   const char *dot = strchr(ns, '.');
   assert_non_null(dot);
   snprintf(db, 64, "%.*s", (int) (dot - ns), ns);
   snprintf(coll, 64, "%s", dot + 1);
}

static void put_entry(bytes_t *b, const char *ns, const char *type)
{
   bson_t m = BSON_INITIALIZER;
   char db[64], coll[64];
   split_ns(ns, db, coll);
   BSON_APPEND_UTF8(&m, "db", db);
   BSON_APPEND_UTF8(&m, "collection", coll);
   BSON_APPEND_UTF8(&m, "metadata", "");
   BSON_APPEND_INT32(&m, "size", 0);
   BSON_APPEND_UTF8(&m, "type", type);
   put_bson(b, &m);
   bson_destroy(&m);
}

/* Magic, header and one "collection" entry per name, then the prelude terminator. */
static void put_prelude(bytes_t *b, int32_t concurrent, const char *const *names, int n)
{
   bytes_put_hex(b, V_MAGIC);
   put_header(b, concurrent, "7.0.14");
   for (int i = 0; i < n; i++) {
      put_entry(b, names[i], "collection");
   }
   put_term(b);
}

static void put_ns_header(bytes_t *b, const char *ns, bool eof, uint64_t crc)
{
   bson_t h = BSON_INITIALIZER;
   char db[64], coll[64];
   split_ns(ns, db, coll);
   BSON_APPEND_UTF8(&h, "db", db);
   BSON_APPEND_UTF8(&h, "collection", coll);
   BSON_APPEND_BOOL(&h, "EOF", eof);
   BSON_APPEND_INT64(&h, "CRC", (int64_t) crc);
   put_bson(b, &h);
   bson_destroy(&h);
}

/* {_id: id}, folded into *crc. */
static void put_doc(bytes_t *b, int32_t id, uint64_t *crc)
{
   bson_t d = BSON_INITIALIZER;
   BSON_APPEND_INT32(&d, "_id", id);
   put_bson(b, &d);
   *crc = mb_crc64_update(*crc, bson_get_data(&d), d.len);
   bson_destroy(&d);
}

/* A segment of n documents {_id: from..from+n-1} and its terminator. */
static void put_segment(bytes_t *b, const char *ns, int32_t from, int n, uint64_t *crc)
{
   put_ns_header(b, ns, false, 0);
   for (int i = 0; i < n; i++) {
      put_doc(b, from + i, crc);
   }
   put_term(b);
}

static void put_eof(bytes_t *b, const char *ns, uint64_t crc)
{
   put_ns_header(b, ns, true, crc);
   put_term(b);
}

/* A whole namespace: one segment with n documents and its EOF block. */
static void put_namespace(bytes_t *b, const char *ns, int n)
{
   uint64_t crc = 0;
   put_segment(b, ns, 1, n, &crc);
   put_eof(b, ns, crc);
}

/* ---- reading ---- */

typedef struct {
   int begins, docs, ends, events;
   char order[512]; /* "B0 D0 D0 E0 ..." */
} trace_t;

static void trace_add(trace_t *t, const mb_archive_event_t *ev)
{
   static const char kinds[] = "BDEX";
   size_t used = strlen(t->order);
   t->events++;
   t->begins += ev->kind == MB_ARCHIVE_EV_NS_BEGIN;
   t->docs += ev->kind == MB_ARCHIVE_EV_DOCUMENT;
   t->ends += ev->kind == MB_ARCHIVE_EV_NS_END;
   if (ev->kind != MB_ARCHIVE_EV_END && used + 8 < sizeof t->order) {
      snprintf(t->order + used, sizeof t->order - used, "%s%c%d", used ? " " : "", kinds[ev->kind],
               ev->ns);
   }
}

/* Read src to the end; false with err at the first problem. */
static bool read_source(mb_source_t *src, bool validate, trace_t *t, mb_error_t *err)
{
   mb_archive_reader_opts_t opts = {validate};
   mb_archive_reader_t *r = NULL;
   mb_archive_event_t ev;
   bool ok = false;
   trace_t dummy;

   if (!t) {
      t = &dummy;
   }
   memset(t, 0, sizeof *t);
   if (!mb_archive_reader_open(src, &opts, &r, err)) {
      return false;
   }
   for (;;) {
      if (!mb_archive_reader_next(r, &ev, err)) {
         goto done;
      }
      trace_add(t, &ev);
      if (ev.kind == MB_ARCHIVE_EV_END) {
         break;
      }
   }
   ok = true;
done:
   mb_archive_reader_destroy(r);
   return ok;
}

static bool read_bytes(const uint8_t *p, size_t n, bool validate, trace_t *t, mb_error_t *err)
{
   mb_source_t *src = NULL;
   bool ok;

   assert_true(mb_mem_source_new(p, n, &src, err));
   ok = read_source(src, validate, t, err);
   mb_source_destroy(src);
   return ok;
}

/* The archive must fail with this code and exactly this message. */
static void expect_error(const bytes_t *b, mb_exit_t code, const char *want)
{
   mb_error_t err;
   memset(&err, 0, sizeof err);
   if (read_bytes(b->data, b->len, true, NULL, &err)) {
      fail_msg("archive accepted, expected: %s", want);
   }
   assert_error(&err, code, want);
}

/* The archive must fail with CORRUPT and "corrupt archive at byte <at>: <detail>". */
static void expect_corrupt(const bytes_t *b, size_t at, const char *detail)
{
   char want[600];
   snprintf(want, sizeof want, "corrupt archive at byte %zu: %s", at, detail);
   expect_error(b, MB_EXIT_CORRUPT, want);
}

static void expect_ok(const bytes_t *b, trace_t *t)
{
   mb_error_t err;
   if (!read_bytes(b->data, b->len, true, t, &err)) {
      fail_msg("archive refused: %s", err.message);
   }
}

/* The archive must read to its end with these events and exactly these warnings (a
 * NULL-terminated list of strings). */
static void expect_warnings(const bytes_t *b, const char *order, ...)
{
   mb_source_t *src = NULL;
   mb_archive_reader_t *r = NULL;
   mb_archive_reader_opts_t opts = {true};
   mb_archive_event_t ev;
   mb_error_t err;
   const char *const *w;
   const char *want;
   trace_t t;
   va_list ap;
   int i = 0;

   memset(&t, 0, sizeof t);
   assert_true(mb_mem_source_new(b->data, b->len, &src, &err));
   if (!mb_archive_reader_open(src, &opts, &r, &err)) {
      fail_msg("archive refused: %s", err.message);
   }
   do {
      if (!mb_archive_reader_next(r, &ev, &err)) {
         fail_msg("archive refused: %s", err.message);
      }
      trace_add(&t, &ev);
   } while (ev.kind != MB_ARCHIVE_EV_END);
   assert_string_equal(t.order, order);
   w = mb_archive_reader_warnings(r);
   va_start(ap, order);
   while ((want = va_arg(ap, const char *)) != NULL) {
      assert_non_null(w[i]);
      assert_string_equal(w[i], want);
      i++;
   }
   va_end(ap);
   assert_null(w[i]);
   mb_archive_reader_destroy(r);
   mb_source_destroy(src);
}

/* A source handing out at most step bytes per read. */
typedef struct {
   mb_source_t base;
   const uint8_t *p;
   size_t len, pos, step;
} trickle_t;

static bool trickle_read(mb_source_t *s, void *buf, size_t cap, size_t *got, mb_error_t *err)
{
   trickle_t *t = (trickle_t *) s;
   size_t n = t->len - t->pos;
   (void) err;
   n = n < cap ? n : cap;
   n = n < t->step ? n : t->step;
   memcpy(buf, t->p + t->pos, n);
   t->pos += n;
   *got = n;
   return true;
}

static void trickle_destroy(mb_source_t *s)
{
   (void) s;
}

static trickle_t trickle(const uint8_t *p, size_t len, size_t step)
{
   trickle_t t = {{trickle_read, trickle_destroy, 0}, p, len, 0, step};
   return t;
}

/* ---- the §9.3 archive ---- */

static void test_vector_508_events(void **state)
{
   bytes_t b = {0};
   mb_source_t *src = NULL;
   mb_archive_reader_t *r = NULL;
   mb_archive_event_t ev;
   mb_archive_reader_opts_t opts = {true};
   mb_error_t err;
   const mb_archive_prelude_t *p;
   const mb_archive_ns_t *n;
   (void) state;

   vector_508(&b);
   assert_true(mb_mem_source_new(b.data, b.len, &src, &err));
   assert_true(mb_archive_reader_open(src, &opts, &r, &err));
   p = mb_archive_reader_prelude(r);
   assert_int_equal(p->concurrent_collections, 4);
   assert_string_equal(p->version, "0.1");
   assert_string_equal(p->server_version, "7.0.14");
   assert_string_equal(p->tool_version, "100.10.0");
   assert_null(mb_archive_reader_warnings(r)[0]);
   assert_int_equal(mb_archive_reader_ns_count(r), 1);
   assert_int_equal(mb_archive_reader_offset(r), 0x16a);
   n = mb_archive_reader_ns(r, 0);
   assert_string_equal(n->db, "test");
   assert_string_equal(n->collection, "c");
   assert_string_equal(n->data_collection, "c");
   assert_string_equal(n->metadata, V_META_JSON);
   assert_string_equal(n->type, "collection");
   assert_true(n->has_type);
   assert_int_equal(n->kind, MB_NS_REGULAR);
   assert_int_equal(n->state, MB_NS_STATE_UNOPENED);

   assert_true(mb_archive_reader_next(r, &ev, &err));
   assert_int_equal(ev.kind, MB_ARCHIVE_EV_NS_BEGIN);
   assert_int_equal(ev.ns, 0);
   assert_int_equal(ev.offset, 0x16a);
   assert_int_equal(n->state, MB_NS_STATE_OPEN);
   assert_true(mb_archive_reader_next(r, &ev, &err));
   assert_int_equal(ev.kind, MB_ARCHIVE_EV_DOCUMENT);
   assert_int_equal(ev.ns, 0);
   assert_int_equal(ev.offset, 0x1a1);
   assert_int_equal(ev.len, 14);
   assert_memory_equal(ev.data, b.data + 0x1a1, 14);
   assert_true(mb_archive_reader_next(r, &ev, &err));
   assert_int_equal(ev.kind, MB_ARCHIVE_EV_DOCUMENT);
   assert_int_equal(ev.offset, 0x1af);
   assert_memory_equal(ev.data, b.data + 0x1af, 14);
   assert_true(mb_archive_reader_next(r, &ev, &err));
   assert_int_equal(ev.kind, MB_ARCHIVE_EV_NS_END);
   assert_int_equal(ev.ns, 0);
   assert_int_equal(ev.offset, 0x1f8);
   assert_int_equal(n->state, MB_NS_STATE_CLOSED);
   assert_int_equal(n->docs, 2);
   assert_int_equal(n->bytes, 28);
   assert_int_equal(n->segments, 1);
   assert_true(n->crc == 0x0F51DD249EE42E7Dull);
   assert_true(n->stored_crc == 0x0F51DD249EE42E7Dull);
   for (int i = 0; i < 3; i++) {
      assert_true(mb_archive_reader_next(r, &ev, &err));
      assert_int_equal(ev.kind, MB_ARCHIVE_EV_END);
      assert_int_equal(ev.ns, -1);
      assert_int_equal(ev.offset, 508);
   }
   assert_int_equal(mb_archive_reader_offset(r), 508);
   mb_archive_reader_destroy(r);
   mb_source_destroy(src);
   bytes_free(&b);
}

static void test_vector_508_in_small_reads(void **state)
{
   bytes_t b = {0};
   mb_error_t err;
   trace_t t;
   (void) state;

   vector_508(&b);
   for (size_t step = 1; step <= 17; step++) {
      trickle_t src = trickle(b.data, b.len, step);
      if (!read_source(&src.base, true, &t, &err)) {
         fail_msg("step %zu: %s", step, err.message);
      }
      assert_string_equal(t.order, "B0 D0 D0 E0");
   }
   bytes_free(&b);
}

/* Every proper prefix fails as truncated (or as not an archive below 4 bytes); never succeeds. */
static void test_truncation_at_every_offset(void **state)
{
   bytes_t b = {0};
   mb_error_t err;
   trace_t t;
   (void) state;

   vector_508(&b);
   for (size_t len = 0; len < b.len; len++) {
      uint8_t *copy = malloc(len ? len : 1); /* exact size: ASan catches any over-read */
      assert_non_null(copy);
      memcpy(copy, b.data, len);
      memset(&err, 0, sizeof err);
      if (read_bytes(copy, len, true, &t, &err)) {
         fail_msg("a prefix of %zu bytes was accepted", len);
      }
      assert_int_equal(err.domain, MB_ERROR_DOMAIN);
      if (len < 4) {
         char want[80];
         snprintf(want, sizeof want, "not a mongodump archive: the stream has only %zu bytes", len);
         assert_error(&err, MB_EXIT_NOT_ARCHIVE, want);
      } else {
         assert_int_equal(err.code, MB_EXIT_CORRUPT);
         if (!strstr(err.message, "truncated")) {
            fail_msg("prefix %zu: %s", len, err.message);
         }
         assert_true(strncmp(err.message, "corrupt archive at byte ", 24) == 0);
      }
      free(copy);
   }
   assert_true(read_bytes(b.data, b.len, true, &t, &err));
   bytes_free(&b);
}

static void test_truncation_messages(void **state)
{
   /* vector_508 cut to len bytes fails at byte at */
   static const struct {
      size_t len, at;
      const char *detail;
   } cases[] = {
       {4, 4, "archive is truncated: the stream ends inside the prelude"},
       {10, 4, "archive is truncated: the stream ends inside a document inside the prelude"},
       {0x16a, 0x16a, "archive is truncated: it ended before all collections were seen (test.c)"},
       {0x16c, 0x16a, "archive is truncated: the stream ends where a block header should start"},
       {0x1a1, 0x1a1, "archive is truncated: the stream ends inside a segment of 'test.c'"},
       {0x1a5, 0x1a1,
        "archive is truncated: the stream ends inside a document inside a segment of 'test.c'"},
       {0x1c1, 0x1c1, "archive is truncated: it ended but namespaces were unfinished (test.c)"},
       {0x1f8, 0x1f8, "archive is truncated: the stream ends after the EOF header of 'test.c'"},
   };
   bytes_t b = {0};
   (void) state;

   vector_508(&b);
   for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
      b.len = cases[i].len;
      expect_corrupt(&b, cases[i].at, cases[i].detail);
   }
   bytes_free(&b);
}

/* ---- magic and prelude ---- */

static void test_bad_magic(void **state)
{
   bytes_t b = {0};
   (void) state;

   vector_508(&b);
   b.data[0] = 0x6c;
   expect_error(&b, MB_EXIT_NOT_ARCHIVE,
                "not a mongodump archive: it starts with 6c e2 99 81, not the magic number 6d e2 "
                "99 81");
   b.len = 0;
   bytes_put(&b, "{\"a\":1}", 7);
   expect_error(&b, MB_EXIT_NOT_ARCHIVE,
                "not a mongodump archive: it starts with 7b 22 61 22, not the magic number 6d e2 "
                "99 81");
   /* byte-swapped magic */
   b.len = 0;
   bytes_put_hex(&b, "8199e26d" V_HEADER V_TERM);
   expect_error(&b, MB_EXIT_NOT_ARCHIVE,
                "not a mongodump archive: it starts with 81 99 e2 6d, not the magic number 6d e2 "
                "99 81");
   bytes_free(&b);
}

static void test_short_stream(void **state)
{
   bytes_t b = {0};
   (void) state;

   expect_error(&b, MB_EXIT_NOT_ARCHIVE, "not a mongodump archive: the stream has only 0 bytes");
   bytes_put_hex(&b, "6de299");
   expect_error(&b, MB_EXIT_NOT_ARCHIVE, "not a mongodump archive: the stream has only 3 bytes");
   bytes_free(&b);
}

static void test_prelude_without_header(void **state)
{
   bytes_t b = {0};
   (void) state;

   bytes_put_hex(&b, V_MAGIC V_TERM);
   expect_corrupt(&b, 4, "the prelude has no header document");
   bytes_free(&b);
}

/* A document from canonical Extended JSON (every BSON type spelled out), for the tables. */
static bson_t *doc_from_json(const char *json)
{
   bson_error_t e;
   bson_t *d = bson_new_from_json((const uint8_t *) json, -1, &e);

   if (!d) {
      fail_msg("bad test JSON %s: %s", json, e.message);
   }
   return d;
}

typedef struct {
   const char *json; /* the document */
   const char *detail;
} doc_case_t;

static void test_prelude_header_field_types(void **state)
{
   static const doc_case_t cases[] = {
       {"{\"concurrent_collections\": \"4\"}",
        "prelude header field 'concurrent_collections' has type string"},
       {"{\"concurrent_collections\": {\"$numberDouble\": \"4.5\"}}",
        "prelude header field 'concurrent_collections' has type double"},
       {"{\"concurrent_collections\": {\"$numberInt\": \"-1\"}}",
        "prelude header field 'concurrent_collections' has type int32"},
       {"{\"concurrent_collections\": {\"$numberLong\": \"1099511627776\"}}",
        "prelude header field 'concurrent_collections' has type int64"},
       {"{\"concurrent_collections\": {\"$numberDouble\": \"1e300\"}}",
        "prelude header field 'concurrent_collections' has type double"},
       {"{\"concurrent_collections\": {\"$numberDouble\": \"NaN\"}}",
        "prelude header field 'concurrent_collections' has type double"},
       {"{\"concurrent_collections\": {\"$numberInt\": \"4\"}, \"server_version\": "
        "{\"$numberInt\": "
        "\"7\"}}",
        "prelude header field 'server_version' has type int32"},
       {"{\"tool_version\": {}}", "prelude header field 'tool_version' has type document"},
       {"{\"version\": []}", "prelude header field 'version' has type array"},
   };
   (void) state;

   for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
      bytes_t b = {0};
      bson_t *h = doc_from_json(cases[i].json);
      bytes_put_hex(&b, V_MAGIC);
      put_bson(&b, h);
      put_term(&b);
      expect_corrupt(&b, 4, cases[i].detail);
      bson_destroy(h);
      bytes_free(&b);
   }
}

/* What Go's decoder accepts: integers as int64/double/bool/null, strings as symbol/null,
 * unknown keys skipped. */
static void test_prelude_header_lenient(void **state)
{
   bytes_t b = {0};
   bson_t h = BSON_INITIALIZER;
   mb_source_t *src = NULL;
   mb_archive_reader_t *r = NULL;
   mb_error_t err;
   const mb_archive_prelude_t *p;
   const char *const *warnings;
   trace_t t;
   (void) state;

   bytes_put_hex(&b, V_MAGIC);
   BSON_APPEND_DOUBLE(&h, "concurrent_collections", 2.0);
   BSON_APPEND_SYMBOL(&h, "server_version", "unknown");
   BSON_APPEND_NULL(&h, "tool_version");
   BSON_APPEND_UTF8(&h, "something_new", "ignored");
   put_bson(&b, &h);
   put_entry(&b, "test.c", "collection");
   put_term(&b);
   put_namespace(&b, "test.c", 3);
   assert_true(mb_mem_source_new(b.data, b.len, &src, &err));
   assert_true(mb_archive_reader_open(src, NULL, &r, &err));
   p = mb_archive_reader_prelude(r);
   assert_int_equal(p->concurrent_collections, 2);
   assert_string_equal(p->server_version, "unknown");
   assert_string_equal(p->tool_version, "");
   assert_string_equal(p->version, "");
   warnings = mb_archive_reader_warnings(r);
   assert_non_null(warnings[0]);
   assert_string_equal(warnings[0],
                       "server_version 'unknown' does not parse as X.Y.Z: mongorestore "
                       "100.16 and later refuse this archive");
   assert_null(warnings[1]);
   mb_archive_reader_destroy(r);
   mb_source_destroy(src);
   expect_ok(&b, &t);
   assert_string_equal(t.order, "B0 D0 D0 D0 E0");

   /* int64, bool and null counts; a missing concurrent_collections is 0 */
   bson_reinit(&h);
   b.len = 0;
   bytes_put_hex(&b, V_MAGIC);
   BSON_APPEND_INT64(&h, "concurrent_collections", 3);
   put_bson(&b, &h);
   put_term(&b);
   assert_true(mb_mem_source_new(b.data, b.len, &src, &err));
   assert_true(mb_archive_reader_open(src, NULL, &r, &err));
   assert_int_equal(mb_archive_reader_prelude(r)->concurrent_collections, 3);
   assert_string_equal(mb_archive_reader_prelude(r)->server_version, "");
   assert_non_null(mb_archive_reader_warnings(r)[0]);
   mb_archive_reader_destroy(r);
   mb_source_destroy(src);

   bson_reinit(&h);
   b.len = 0;
   bytes_put_hex(&b, V_MAGIC);
   BSON_APPEND_UTF8(&h, "server_version", "4.0.2");
   put_bson(&b, &h);
   put_term(&b);
   assert_true(mb_mem_source_new(b.data, b.len, &src, &err));
   assert_true(mb_archive_reader_open(src, NULL, &r, &err));
   assert_int_equal(mb_archive_reader_prelude(r)->concurrent_collections, 0);
   assert_null(mb_archive_reader_warnings(r)[0]);
   mb_archive_reader_destroy(r);
   mb_source_destroy(src);
   bson_destroy(&h);
   bytes_free(&b);
}

static void test_prelude_entry_field_types(void **state)
{
   static const doc_case_t cases[] = {
       {"{\"db\": {\"$numberInt\": \"1\"}, \"collection\": \"c\"}",
        "prelude entry field 'db' has type int32"},
       {"{\"db\": \"test\", \"collection\": true}",
        "prelude entry field 'collection' has type bool"},
       {"{\"db\": \"test\", \"collection\": \"c\", \"metadata\": {}}",
        "prelude entry field 'metadata' has type document"},
       {"{\"db\": \"test\", \"collection\": \"c\", \"size\": \"0\"}",
        "prelude entry field 'size' has type string"},
       {"{\"db\": \"test\", \"collection\": \"c\", \"type\": {\"$numberInt\": \"1\"}}",
        "prelude entry field 'type' has type int32"},
       {"{\"db\": \"test\", \"metadata\": \"\"}",
        "a prelude entry of database 'test' has no collection name"},
   };
   (void) state;

   for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
      bytes_t b = {0};
      bson_t *m = doc_from_json(cases[i].json);
      size_t at;
      bytes_put_hex(&b, V_MAGIC V_HEADER);
      put_entry(&b, "test.ok", "collection");
      at = b.len;
      put_bson(&b, m);
      put_term(&b);
      expect_corrupt(&b, at, cases[i].detail);
      bson_destroy(m);
      bytes_free(&b);
   }
}

/* Old tools: no type key, size as int64; any prelude order; timeseries bucket names. */
static void test_prelude_entries_lenient(void **state)
{
   bytes_t b = {0};
   bson_t m = BSON_INITIALIZER;
   mb_source_t *src = NULL;
   mb_archive_reader_t *r = NULL;
   mb_error_t err;
   const mb_archive_ns_t *n;
   trace_t t;
   uint64_t crc = 0;
   size_t at;
   (void) state;

   bytes_put_hex(&b, V_MAGIC);
   put_header(&b, 4, "7.0.14");
   BSON_APPEND_UTF8(&m, "db", "test");
   BSON_APPEND_UTF8(&m, "collection", "old");
   BSON_APPEND_UTF8(&m, "metadata", "{\"options\":{},\"indexes\":[]}");
   BSON_APPEND_INT64(&m, "size", 12345);
   put_bson(&b, &m);
   put_entry(&b, "test.ts", "timeseries");
   put_entry(&b, ".oplog", "");
   put_entry(&b, "admin.system.users", "");
   put_term(&b);
   put_namespace(&b, "admin.system.users", 1);
   put_namespace(&b, "test.old", 2);
   put_segment(&b, "test.system.buckets.ts", 1, 2, &crc);
   put_eof(&b, "test.system.buckets.ts", crc);
   put_namespace(&b, ".oplog", 1);

   assert_true(mb_mem_source_new(b.data, b.len, &src, &err));
   assert_true(mb_archive_reader_open(src, NULL, &r, &err));
   assert_int_equal(mb_archive_reader_ns_count(r), 4);
   n = mb_archive_reader_ns(r, 0);
   assert_string_equal(n->collection, "old");
   assert_false(n->has_type);
   assert_string_equal(n->type, "");
   assert_string_equal(n->metadata, "{\"options\":{},\"indexes\":[]}");
   n = mb_archive_reader_ns(r, 1);
   assert_string_equal(n->collection, "ts");
   assert_string_equal(n->data_collection, "system.buckets.ts");
   assert_int_equal(n->kind, MB_NS_REGULAR);
   n = mb_archive_reader_ns(r, 2);
   assert_string_equal(n->db, "");
   assert_string_equal(n->collection, "oplog");
   assert_true(n->has_type);
   assert_int_equal(n->kind, MB_NS_OPLOG);
   assert_int_equal(mb_archive_reader_ns(r, 3)->kind, MB_NS_SPECIAL);
   mb_archive_reader_destroy(r);
   mb_source_destroy(src);
   expect_ok(&b, &t);
   assert_string_equal(t.order, "B3 D3 E3 B0 D0 D0 E0 B1 D1 D1 E1 B2 D2 E2");

   /* from 8.3 on, timeseries data uses the collection's own name */
   b.len = 0;
   bytes_put_hex(&b, V_MAGIC);
   put_header(&b, 4, "8.3.0");
   put_entry(&b, "test.ts", "timeseries");
   put_term(&b);
   put_namespace(&b, "test.ts", 1);
   expect_ok(&b, &t);
   assert_string_equal(t.order, "B0 D0 E0");
   b.len = 0;
   bytes_put_hex(&b, V_MAGIC);
   put_header(&b, 4, "8.3.0");
   put_entry(&b, "test.ts", "timeseries");
   put_term(&b);
   at = b.len;
   put_namespace(&b, "test.system.buckets.ts", 1);
   expect_corrupt(&b, at, "namespace 'test.system.buckets.ts' is not in the prelude");
   bson_destroy(&m);
   bytes_free(&b);
}

/* ---- framing ---- */

static void test_consecutive_terminators(void **state)
{
   static const char *const names[] = {"test.c"};
   bytes_t b = {0};
   size_t at;
   uint64_t crc = 0;
   (void) state;

   put_prelude(&b, 4, names, 1);
   at = b.len;
   put_term(&b);
   put_namespace(&b, "test.c", 1);
   expect_corrupt(&b, at, "consecutive terminators / headerless blocks are not allowed");

   b.len = 0;
   put_prelude(&b, 4, names, 1);
   put_segment(&b, "test.c", 1, 1, &crc);
   at = b.len;
   put_term(&b);
   put_eof(&b, "test.c", crc);
   expect_corrupt(&b, at, "consecutive terminators / headerless blocks are not allowed");

   /* a trailing terminator after the last block */
   b.len = 0;
   put_prelude(&b, 4, names, 1);
   put_namespace(&b, "test.c", 1);
   at = b.len;
   put_term(&b);
   expect_corrupt(&b, at, "consecutive terminators / headerless blocks are not allowed");
   bytes_free(&b);
}

static void test_bad_document_length(void **state)
{
   static const char *const names[] = {"test.c"};
   static const uint32_t bad[] = {0, 1, 4, 16777217, 0x7fffffff, 0xfffffffe};
   bytes_t b = {0};
   size_t at;
   uint64_t crc = 0;
   char detail[120];
   (void) state;

   for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
      b.len = 0;
      put_prelude(&b, 4, names, 1);
      put_ns_header(&b, "test.c", false, 0);
      put_doc(&b, 1, &crc);
      at = b.len;
      bytes_put_u32(&b, bad[i]);
      bytes_put_hex(&b, "0000000000000000");
      snprintf(detail, sizeof detail, "%u is neither a valid bson length nor an archive terminator",
               bad[i]);
      expect_corrupt(&b, at, detail);
   }
   /* in the prelude and where a header should be */
   b.len = 0;
   bytes_put_hex(&b, V_MAGIC "04000000");
   expect_corrupt(&b, 4, "4 is neither a valid bson length nor an archive terminator");
   b.len = 0;
   put_prelude(&b, 4, names, 1);
   at = b.len;
   bytes_put_u32(&b, 16777217);
   expect_corrupt(&b, at, "16777217 is neither a valid bson length nor an archive terminator");
   /* 5 is the smallest valid length */
   b.len = 0;
   put_prelude(&b, 4, names, 1);
   put_ns_header(&b, "test.c", false, 0);
   bytes_put_hex(&b, "0500000000");
   put_term(&b);
   put_eof(&b, "test.c", mb_crc64_update(0, "\x05\x00\x00\x00\x00", 5));
   expect_ok(&b, NULL);
   bytes_free(&b);
}

static void test_missing_trailing_nul(void **state)
{
   bytes_t b = {0};
   (void) state;

   vector_508(&b);
   b.data[0x1a1 + 13] = 0x01;
   expect_corrupt(&b, 0x1a1, "bson (size: 14, byte: 1) doesn't end with a null byte");
   b.data[0x1a1 + 13] = 0x00;
   b.data[0x16a + 0x36] = 0xff; /* the segment header's own NUL */
   expect_corrupt(&b, 0x16a, "bson (size: 55, byte: 255) doesn't end with a null byte");
   bytes_free(&b);
   vector_508(&b);
   b.data[4 + 103] = 0x07; /* the prelude header's */
   expect_corrupt(&b, 4, "bson (size: 104, byte: 7) doesn't end with a null byte");
   bytes_free(&b);
}

/* ---- namespace headers ---- */

static void test_namespace_header_strictness(void **state)
{
   static const char *const names[] = {"test.c"};
   static const doc_case_t cases[] = {
       {"{\"db\": \"test\", \"collection\": \"c\", \"EOF\": false, \"CRC\": {\"$numberInt\": "
        "\"0\"}}",
        "namespace header field 'CRC' must be int64, not int32"},
       {"{\"db\": \"test\", \"collection\": \"c\", \"EOF\": false, \"CRC\": {\"$numberLong\": "
        "\"0\"}, "
        "\"x\": {\"$numberInt\": \"1\"}}",
        "namespace header has unknown field 'x'"},
       {"{\"db\": {\"$numberInt\": \"1\"}, \"collection\": \"c\"}",
        "namespace header field 'db' must be string, not int32"},
       {"{\"db\": \"test\", \"collection\": {\"$symbol\": \"c\"}}",
        "namespace header field 'collection' must be string, not other"},
       {"{\"db\": \"test\", \"collection\": \"c\", \"EOF\": {\"$numberInt\": \"0\"}}",
        "namespace header field 'EOF' must be bool, not int32"},
       {"{\"db\": \"test\", \"EOF\": false, \"CRC\": {\"$numberLong\": \"0\"}}",
        "collection header is missing a collection name"},
       {"{}", "collection header is missing a collection name"},
   };
   (void) state;

   for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
      bytes_t b = {0};
      bson_t *h = doc_from_json(cases[i].json);
      size_t at;
      put_prelude(&b, 4, names, 1);
      at = b.len;
      put_bson(&b, h);
      put_term(&b);
      put_eof(&b, "test.c", 0);
      expect_corrupt(&b, at, cases[i].detail);
      bson_destroy(h);
      bytes_free(&b);
   }
}

/* Header documents are decoded fully: damage after the last known key is not skipped. */
static void append_bad_string(bytes_t *b, const bson_t *d)
{
   /* d's elements, then a string element claiming 0x7fffffff bytes, then the final NUL */
   static const uint8_t bad[] = {0x02, 'z', 0, 0xff, 0xff, 0xff, 0x7f, 0};
   uint32_t total = d->len + (uint32_t) sizeof bad;
   bytes_put_u32(b, total);
   bytes_put(b, bson_get_data(d) + 4, d->len - 5);
   bytes_put(b, bad, sizeof bad);
   bytes_put(b, "", 1);
}

static void test_damaged_header_documents(void **state)
{
   static const char *const names[] = {"test.c"};
   bytes_t b = {0};
   bson_t h = BSON_INITIALIZER;
   size_t at;
   (void) state;

   put_prelude(&b, 4, names, 1);
   at = b.len;
   BSON_APPEND_UTF8(&h, "db", "test");
   BSON_APPEND_UTF8(&h, "collection", "c");
   BSON_APPEND_BOOL(&h, "EOF", true);
   BSON_APPEND_INT64(&h, "CRC", 0);
   append_bad_string(&b, &h);
   put_term(&b);
   expect_corrupt(&b, at, "a namespace header is not valid BSON");

   bson_reinit(&h);
   b.len = 0;
   bytes_put_hex(&b, V_MAGIC);
   BSON_APPEND_INT32(&h, "concurrent_collections", 4);
   BSON_APPEND_UTF8(&h, "server_version", "7.0.14");
   append_bad_string(&b, &h);
   put_term(&b);
   expect_corrupt(&b, 4, "the prelude header is not valid BSON");

   bson_reinit(&h);
   b.len = 0;
   bytes_put_hex(&b, V_MAGIC V_HEADER);
   at = b.len;
   BSON_APPEND_UTF8(&h, "db", "test");
   BSON_APPEND_UTF8(&h, "collection", "c");
   append_bad_string(&b, &h);
   put_term(&b);
   put_eof(&b, "test.c", 0);
   expect_corrupt(&b, at, "a prelude entry is not valid BSON");
   bson_destroy(&h);
   bytes_free(&b);
}

/* Missing db/EOF/CRC keys default to ""/false/0 as in mongorestore. */
static void test_namespace_header_defaults(void **state)
{
   static const char *const names[] = {".oplog"};
   bytes_t b = {0};
   bson_t h = BSON_INITIALIZER;
   trace_t t;
   (void) state;

   put_prelude(&b, 4, names, 1);
   BSON_APPEND_UTF8(&h, "collection", "oplog");
   put_bson(&b, &h);
   put_term(&b);
   put_eof(&b, ".oplog", 0);
   expect_ok(&b, &t);
   assert_string_equal(t.order, "B0 E0");
   bson_destroy(&h);
   bytes_free(&b);
}

/* ---- CRC ---- */

static void test_crc_mismatch(void **state)
{
   bytes_t b = {0};
   char detail[200];
   uint64_t crc;
   (void) state;

   vector_508(&b);
   b.data[0x1a1 + 9] = 0x03; /* doc 1 becomes {_id: 3} */
   crc = mb_crc64_update(0, b.data + 0x1a1, 28);
   snprintf(detail, sizeof detail, "CRC mismatch for namespace 'test.c', %llu!=1103906533036797565",
            (unsigned long long) crc);
   expect_corrupt(&b, 0x1c1, detail);
   bytes_free(&b);

   /* off by one in the stored value */
   vector_508(&b);
   b.data[0x1c1 + 0x2e] = 0x7e;
   expect_corrupt(&b, 0x1c1,
                  "CRC mismatch for namespace 'test.c', 1103906533036797565!=1103906533036797566");
   bytes_free(&b);

   /* a negative int64 is the uint64 bit pattern */
   vector_508(&b);
   memset(b.data + 0x1c1 + 0x2e, 0xff, 8);
   expect_corrupt(&b, 0x1c1,
                  "CRC mismatch for namespace 'test.c', 1103906533036797565!=18446744073709551615");
   bytes_free(&b);
}

/* The CRC runs over every segment of a namespace; the CRC of non-EOF headers is ignored. */
static void test_crc_across_segments(void **state)
{
   static const char *const names[] = {"test.a", "test.b"};
   bytes_t b = {0};
   uint64_t ca = 0, cb = 0;
   trace_t t;
   (void) state;

   put_prelude(&b, 4, names, 2);
   put_segment(&b, "test.a", 1, 2, &ca);
   put_segment(&b, "test.b", 1, 1, &cb);
   put_ns_header(&b, "test.a", false, 0x1234);
   put_doc(&b, 3, &ca);
   put_term(&b);
   put_segment(&b, "test.a", 4, 0, &ca);
   put_eof(&b, "test.b", cb);
   put_eof(&b, "test.a", ca);
   expect_ok(&b, &t);
   assert_string_equal(t.order, "B0 D0 D0 B1 D1 D0 E1 E0");
   bytes_free(&b);
}

/* ---- namespace order and state ---- */

static void test_reopen_after_eof(void **state)
{
   static const char *const names[] = {"test.c"};
   bytes_t b = {0};
   size_t at;
   (void) state;

   put_prelude(&b, 4, names, 1);
   put_namespace(&b, "test.c", 1);
   at = b.len;
   put_namespace(&b, "test.c", 0);
   expect_corrupt(&b, at, "namespace header for already closed namespace 'test.c'");
   /* a second EOF block too */
   b.len = 0;
   put_prelude(&b, 4, names, 1);
   put_namespace(&b, "test.c", 0);
   at = b.len;
   put_eof(&b, "test.c", 0);
   expect_corrupt(&b, at, "namespace header for already closed namespace 'test.c'");
   bytes_free(&b);
}

static void test_namespace_not_in_prelude(void **state)
{
   static const char *const names[] = {"test.c"};
   bytes_t b = {0};
   size_t at;
   (void) state;

   put_prelude(&b, 4, names, 1);
   put_namespace(&b, "test.c", 1);
   at = b.len;
   put_namespace(&b, "test.d", 1);
   expect_corrupt(&b, at, "namespace 'test.d' is not in the prelude");
   b.len = 0;
   put_prelude(&b, 4, names, 1);
   at = b.len;
   put_namespace(&b, "other.c", 1);
   expect_corrupt(&b, at, "namespace 'other.c' is not in the prelude");
   bytes_free(&b);
}

static void test_prelude_namespace_never_seen(void **state)
{
   static const char *const names[] = {"test.c", "test.d", "test.e"};
   bytes_t b = {0};
   (void) state;

   put_prelude(&b, 4, names, 3);
   put_namespace(&b, "test.d", 1);
   expect_corrupt(&b, b.len,
                  "archive is truncated: it ended before all collections were seen (test.c, "
                  "test.e)");
   bytes_free(&b);
}

static void test_namespace_unfinished(void **state)
{
   static const char *const names[] = {"test.c", "test.d", "test.e"};
   bytes_t b = {0};
   uint64_t crc = 0;
   (void) state;

   put_prelude(&b, 4, names, 3);
   put_segment(&b, "test.c", 1, 1, &crc);
   put_segment(&b, "test.e", 1, 1, &crc);
   expect_corrupt(&b, b.len,
                  "archive is truncated: it ended but namespaces were unfinished (test.c, test.e)");
   bytes_free(&b);
}

static void test_data_after_eof_header(void **state)
{
   static const char *const names[] = {"test.c"};
   bytes_t b = {0};
   uint64_t crc = 0;
   size_t at;
   (void) state;

   put_prelude(&b, 4, names, 1);
   put_segment(&b, "test.c", 1, 1, &crc);
   put_ns_header(&b, "test.c", true, crc);
   at = b.len;
   put_doc(&b, 2, &crc);
   put_term(&b);
   expect_corrupt(&b, at,
                  "collection data without a collection header (after the EOF header of "
                  "'test.c')");
   bytes_free(&b);
}

/* Open a segment of each of n namespaces test.a, test.b, ... without closing them. */
static void put_open_segments(bytes_t *b, int n)
{
   for (int i = 0; i < n; i++) {
      char ns[16];
      uint64_t c = 0;
      snprintf(ns, sizeof ns, "test.%c", 'a' + i);
      put_segment(b, ns, 1, 1, &c);
   }
}

static void put_lettered_prelude(bytes_t *b, int32_t concurrent, int n)
{
   static const char *const names[] = {"test.a", "test.b", "test.c", "test.d",
                                       "test.e", "test.f", "test.g", "test.h"};
   put_prelude(b, concurrent, names, n);
}

/* mongorestore runs max(--numParallelCollections (default 4), concurrent_collections)
 * workers, one per open namespace: up to that many open at once are restored (with a warning
 * beyond concurrent_collections), one more hangs it. */
static void test_too_many_open_namespaces(void **state)
{
   static const char *const names[] = {"test.a", "test.b", "test.c",
                                       "test.d", "test.e", "admin.system.users"};
   bytes_t b = {0};
   uint64_t crc = 0;
   size_t at;
   (void) state;

   /* concurrent_collections 1, four open at once: restored by mongorestore, with a warning */
   put_lettered_prelude(&b, 1, 4);
   put_open_segments(&b, 4);
   for (int i = 0; i < 4; i++) {
      char ns[16];
      snprintf(ns, sizeof ns, "test.%c", 'a' + i);
      put_eof(&b, ns, 0xf3ea61436a4459feull); /* the CRC of {_id: 1} (§9.3) */
   }
   expect_warnings(&b, "B0 D0 B1 D1 B2 D2 B3 D3 E0 E1 E2 E3",
                   "up to 4 namespaces are open at once, more than concurrent_collections (1): "
                   "mongorestore restores this archive with its default 4 restore workers, but "
                   "hangs with --numParallelCollections below 4",
                   NULL);

   /* a fifth hangs it */
   b.len = 0;
   put_lettered_prelude(&b, 1, 5);
   put_open_segments(&b, 4);
   at = b.len;
   put_segment(&b, "test.e", 1, 1, &crc);
   expect_corrupt(&b, at,
                  "opening 'test.e' makes 5 namespaces open at once, more than mongorestore's 4 "
                  "restore workers (the larger of concurrent_collections 1 and its default 4): "
                  "mongorestore would hang");

   /* concurrent_collections 0 (missing) means mongorestore's default of 4; special
    * namespaces are not counted */
   b.len = 0;
   put_prelude(&b, 0, names, 6);
   crc = 0;
   put_segment(&b, "admin.system.users", 1, 1, &crc);
   put_open_segments(&b, 4);
   at = b.len;
   put_segment(&b, "test.e", 1, 1, &crc);
   expect_corrupt(&b, at,
                  "opening 'test.e' makes 5 namespaces open at once, more than mongorestore's 4 "
                  "restore workers (the larger of concurrent_collections 0 and its default 4): "
                  "mongorestore would hang");

   /* a larger concurrent_collections raises the limit, without a warning up to it */
   b.len = 0;
   put_lettered_prelude(&b, 6, 7);
   put_open_segments(&b, 6);
   at = b.len;
   put_segment(&b, "test.g", 1, 1, &crc);
   expect_corrupt(&b, at,
                  "opening 'test.g' makes 7 namespaces open at once, more than mongorestore's 6 "
                  "restore workers (the larger of concurrent_collections 6 and its default 4): "
                  "mongorestore would hang");
   b.len = 0;
   put_lettered_prelude(&b, 6, 6);
   put_open_segments(&b, 6);
   for (int i = 0; i < 6; i++) {
      char ns[16];
      snprintf(ns, sizeof ns, "test.%c", 'a' + i);
      put_eof(&b, ns, 0xf3ea61436a4459feull);
   }
   expect_warnings(&b, "B0 D0 B1 D1 B2 D2 B3 D3 B4 D4 B5 D5 E0 E1 E2 E3 E4 E5", NULL);

   /* one after the other is fine, without a warning */
   b.len = 0;
   put_lettered_prelude(&b, 1, 2);
   put_namespace(&b, "test.a", 1);
   put_namespace(&b, "test.b", 1);
   expect_warnings(&b, "B0 D0 E0 B1 D1 E1", NULL);
   bytes_free(&b);
}

/* mongorestore restores an archive with the oplog not last (without --oplogReplay, it never
 * reads the oplog): accepted, with a warning. */
static void test_oplog_not_last(void **state)
{
   static const char *const names[] = {"test.c", ".oplog", "admin.system.version"};
   bytes_t b = {0};
   (void) state;

   put_prelude(&b, 4, names, 3);
   put_namespace(&b, "admin.system.version", 1);
   put_namespace(&b, ".oplog", 2);
   put_namespace(&b, "test.c", 1);
   expect_warnings(&b, "B2 D2 E2 B1 D1 D1 E1 B0 D0 E0",
                   "namespace 'test.c' comes after the oplog: mongorestore restores this "
                   "archive, but fails or hangs on it with --oplogReplay, which needs the oplog "
                   "last",
                   NULL);
   b.len = 0;
   put_prelude(&b, 4, names, 3);
   put_namespace(&b, ".oplog", 2);
   put_namespace(&b, "admin.system.version", 1);
   put_namespace(&b, "test.c", 1);
   expect_warnings(&b, "B1 D1 D1 E1 B2 D2 E2 B0 D0 E0",
                   "namespace 'admin.system.version' comes after the oplog: mongorestore "
                   "restores this archive, but fails or hangs on it with --oplogReplay, which "
                   "needs the oplog last",
                   NULL);
   b.len = 0;
   put_prelude(&b, 4, names, 3);
   put_namespace(&b, "admin.system.version", 1);
   put_namespace(&b, "test.c", 1);
   put_namespace(&b, ".oplog", 2);
   expect_warnings(&b, "B2 D2 E2 B0 D0 E0 B1 D1 D1 E1", NULL);
   bytes_free(&b);
}

/* EOF-only blocks and zero-document segments, as mongodump never writes but mongorestore
 * accepts. */
static void test_eof_only_and_empty_segments(void **state)
{
   static const char *const names[] = {"test.a", "test.b"};
   bytes_t b = {0};
   uint64_t crc = 0;
   size_t at;
   trace_t t;
   (void) state;

   put_prelude(&b, 4, names, 2);
   put_eof(&b, "test.a", 0);
   put_segment(&b, "test.b", 1, 0, &crc);
   put_segment(&b, "test.b", 1, 0, &crc);
   put_eof(&b, "test.b", 0);
   expect_ok(&b, &t);
   assert_string_equal(t.order, "B0 E0 B1 E1");

   /* an EOF-only block with a non-zero CRC is a mismatch */
   b.len = 0;
   put_prelude(&b, 4, names, 2);
   at = b.len;
   put_eof(&b, "test.a", 5);
   expect_corrupt(&b, at, "CRC mismatch for namespace 'test.a', 0!=5");
   bytes_free(&b);
}

/* ---- hostile preludes and documents ---- */

/* {a: {a: ... {} ...}}: `levels` levels in all, written without recursion. */
static void put_nested(bytes_t *b, int levels)
{
   for (int k = levels - 1; k >= 1; k--) {
      bytes_put_u32(b, (uint32_t) (5 + 8 * k));
      bytes_put(b,
                "\x03"
                "a",
                3);
   }
   bytes_put_hex(b, "0500000000");
   for (int k = 1; k < levels; k++) {
      bytes_put(b, "", 1);
   }
}

/* A document nested deeper than any server stores is refused where it starts, with its
 * namespace, before any recursive libbson function (or a server) sees it: with and without
 * validation (verify, restore --dry-run and restore read the same way). */
static void test_deep_document(void **state)
{
   static const char *const names[] = {"test.deep"};
   bytes_t b = {0}, doc = {0};
   uint64_t crc = 0;
   size_t at;
   mb_error_t err;
   trace_t t;
   (void) state;

   for (int validate = 0; validate < 2; validate++) {
      b.len = 0;
      put_prelude(&b, 4, names, 1);
      put_ns_header(&b, "test.deep", false, 0);
      put_doc(&b, 1, &crc);
      at = b.len;
      put_nested(&b, 10000);
      put_term(&b);
      put_eof(&b, "test.deep", 0);
      memset(&err, 0, sizeof err);
      assert_false(read_bytes(b.data, b.len, validate, &t, &err));
      assert_string_equal(t.order, "B0 D0");
      {
         char want[400];
         snprintf(want, sizeof want,
                  "corrupt archive at byte %zu: a document of namespace 'test.deep' is nested "
                  "more than 1000 levels deep: no MongoDB server stores such a document, so "
                  "mongobak neither reads it further nor sends it to a server",
                  at);
         assert_error(&err, MB_EXIT_CORRUPT, want);
      }
   }

   /* 1000 levels, the most a server can hold, are read and validated */
   bytes_put(&doc, "", 0);
   put_nested(&doc, 1000);
   b.len = 0;
   crc = 0;
   put_prelude(&b, 4, names, 1);
   put_ns_header(&b, "test.deep", false, 0);
   bytes_put(&b, doc.data, doc.len);
   put_term(&b);
   put_eof(&b, "test.deep", mb_crc64_update(0, doc.data, doc.len));
   expect_ok(&b, &t);
   assert_string_equal(t.order, "B0 D0 E0");

   /* in the prelude header, a prelude entry and a namespace header */
   b.len = 0;
   bytes_put_hex(&b, V_MAGIC);
   put_nested(&b, 2000);
   put_term(&b);
   expect_corrupt(&b, 4,
                  "a prelude document is nested more than 1000 levels deep: no MongoDB server "
                  "stores such a document, so mongobak neither reads it further nor sends it to "
                  "a server");
   b.len = 0;
   bytes_put_hex(&b, V_MAGIC V_HEADER);
   at = b.len;
   put_nested(&b, 1001);
   put_term(&b);
   expect_corrupt(&b, at,
                  "a prelude document is nested more than 1000 levels deep: no MongoDB server "
                  "stores such a document, so mongobak neither reads it further nor sends it to "
                  "a server");
   b.len = 0;
   put_prelude(&b, 4, names, 1);
   at = b.len;
   put_nested(&b, 5000);
   put_term(&b);
   expect_corrupt(&b, at,
                  "a namespace header is nested more than 1000 levels deep: no MongoDB server "
                  "stores such a document, so mongobak neither reads it further nor sends it to "
                  "a server");
   bytes_free(&doc);
   bytes_free(&b);
}

/* Open a reader on b (which must open), for prelude checks. */
static mb_archive_reader_t *open_bytes(const bytes_t *b, mb_source_t **src)
{
   mb_archive_reader_t *r = NULL;
   mb_error_t err;

   assert_true(mb_mem_source_new(b->data, b->len, src, &err));
   if (!mb_archive_reader_open(*src, NULL, &r, &err)) {
      fail_msg("archive refused: %s", err.message);
   }
   return r;
}

/* A namespace listed twice: the first entry is used (mongorestore builds the first one's
 * indexes, measured), with a warning. */
static void test_duplicate_prelude_namespace(void **state)
{
   bytes_t b = {0};
   mb_source_t *src = NULL;
   mb_archive_reader_t *r;
   (void) state;

   bytes_put_hex(&b, V_MAGIC V_HEADER);
   bytes_put_prelude_entry(&b, "test", "dup", "{\"indexes\":[],\"collectionName\":\"first\"}");
   bytes_put_prelude_entry(&b, "test", "other", "");
   bytes_put_prelude_entry(&b, "test", "dup", "{\"indexes\":[],\"collectionName\":\"second\"}");
   bytes_put_prelude_entry(&b, "test", "dup", "third");
   put_term(&b);
   r = open_bytes(&b, &src);
   assert_int_equal(mb_archive_reader_ns_count(r), 2);
   assert_string_equal(mb_archive_reader_ns(r, 0)->collection, "dup");
   assert_string_equal(mb_archive_reader_ns(r, 0)->metadata,
                       "{\"indexes\":[],\"collectionName\":\"first\"}");
   assert_string_equal(mb_archive_reader_ns(r, 1)->collection, "other");
   mb_archive_reader_destroy(r);
   mb_source_destroy(src);
   put_namespace(&b, "test.other", 1);
   put_namespace(&b, "test.dup", 2);
   expect_warnings(&b, "B1 D1 E1 B0 D0 D0 E0",
                   "namespace 'test.dup' appears more than once in the prelude: its first entry "
                   "is used, as mongorestore does",
                   NULL);
   bytes_free(&b);
}

/* 200,000 namespaces (the prelude was quadratic: 40,000 took 11 s): every header finds its
 * namespace, in an order unlike the prelude's, and the reader says which one each event is. */
static void test_many_namespaces(void **state)
{
   enum { N = 200000 };
   bytes_t b = {0};
   mb_source_t *src = NULL;
   mb_archive_reader_t *r = NULL;
   mb_archive_event_t ev;
   mb_error_t err;
   int next_end = N - 1, events = 0;
   (void) state;

   bytes_put_hex(&b, V_MAGIC);
   put_header(&b, 4, "7.0.14");
   for (int i = 0; i < N; i++) {
      char coll[32];
      snprintf(coll, sizeof coll, "c%d", i);
      bytes_put_prelude_entry(&b, i % 2 ? "odd" : "even", coll, "");
   }
   put_term(&b);
   for (int i = N - 1; i >= 0; i--) { /* the data in reverse order */
      char ns[48];
      snprintf(ns, sizeof ns, "%s.c%d", i % 2 ? "odd" : "even", i);
      put_ns_header(&b, ns, false, 0);
      put_term(&b);
      put_eof(&b, ns, 0);
   }
   assert_true(mb_mem_source_new(b.data, b.len, &src, &err));
   assert_true(mb_archive_reader_open(src, NULL, &r, &err));
   assert_int_equal(mb_archive_reader_ns_count(r), N);
   for (;;) {
      if (!mb_archive_reader_next(r, &ev, &err)) {
         fail_msg("%s", err.message);
      }
      if (ev.kind == MB_ARCHIVE_EV_END) {
         break;
      }
      events++;
      assert_int_equal(ev.ns, next_end);
      if (ev.kind == MB_ARCHIVE_EV_NS_END) {
         next_end--;
      }
   }
   assert_int_equal(events, 2 * N);
   assert_int_equal(next_end, -1);
   assert_null(mb_archive_reader_warnings(r)[0]);
   mb_archive_reader_destroy(r);
   mb_source_destroy(src);
   bytes_free(&b);
}

/* The metadata is judged at open as restore judges it: what restore cannot use is an error
 * that verify reports (meta_error); what mongorestore refuses and mongobak restores is a
 * warning. Namespaces restore never restores are not judged. */
static void test_metadata_checks(void **state)
{
   bytes_t b = {0};
   mb_source_t *src = NULL;
   mb_archive_reader_t *r;
   mb_error_t err;
   const char *const *w;
   (void) state;

   bytes_put_hex(&b, V_MAGIC V_HEADER);
   bytes_put_prelude_entry(&b, "test", "good", "{\"indexes\":[],\"uuid\":null,\"options\":null}");
   bytes_put_prelude_entry(
       &b, "test", "relaxed",
       "{\"indexes\":[{\"v\":2,\"key\":{\"t\":1},\"name\":\"t_1\","
       "\"partialFilterExpression\":{\"t\":{\"$gt\":{\"$date\":\"2024-01-01T00:00:00Z\""
       "}}}}]}");
   bytes_put_prelude_entry(&b, "test", "legacy", "{\"x\" : { \"\\u0024date\" : 1700000000000 }}");
   bytes_put_prelude_entry(&b, "test", "canonical",
                           "{\"x\":{\"$date\":{\"$numberLong\":\"1\"}},\"s\":\"$date\"}");
   bytes_put_prelude_entry(&b, "test", "name", "{\"collectionName\":5}");
   bytes_put_prelude_entry(&b, "test", "key", "{\"indexes\":[{\"key\":1,\"name\":\"k\"}]}");
   bytes_put_prelude_entry(&b, "test", "opts", "{\"options\":[]}");
   bytes_put_prelude_entry(&b, "test", "bad", "{\"indexes\":[");
   bytes_put_prelude_entry(&b, "admin", "system.version", "not json");
   bytes_put_prelude_entry(&b, "", "stray", "");
   bytes_put_prelude_entry(&b, "a.b", "c", "");
   put_term(&b);
   r = open_bytes(&b, &src);
   assert_null(mb_archive_reader_ns(r, 0)->meta_error);
   assert_null(mb_archive_reader_ns(r, 1)->meta_error);
   assert_string_equal(mb_archive_reader_ns(r, 6)->meta_error,
                       "the metadata of namespace 'test.opts' in the archive has 'options' that "
                       "is not a document");
   assert_string_equal(mb_archive_reader_ns(r, 7)->meta_error,
                       "the metadata of namespace 'test.bad' in the archive is not valid "
                       "Extended JSON: Incomplete JSON");
   assert_null(mb_archive_reader_ns(r, 8)->meta_error);
   assert_false(mb_archive_reader_check_metadata(r, &err));
   assert_error(&err, MB_EXIT_CORRUPT,
                "the metadata of namespace 'test.opts' in the archive has 'options' that is not "
                "a document");
   w = mb_archive_reader_warnings(r);
   assert_string_equal(w[0], "mongorestore refuses namespace 'test.relaxed' (and so this archive, "
                             "unless --nsExclude leaves it out): its metadata has a relaxed or "
                             "legacy $date (mongorestore reads only the canonical "
                             "{\"$date\":{\"$numberLong\":...}})");
   assert_string_equal(w[1], "mongorestore refuses namespace 'test.legacy' (and so this archive, "
                             "unless --nsExclude leaves it out): its metadata has a relaxed or "
                             "legacy $date (mongorestore reads only the canonical "
                             "{\"$date\":{\"$numberLong\":...}})");
   assert_string_equal(w[2], "mongorestore refuses namespace 'test.name' (and so this archive, "
                             "unless --nsExclude leaves it out): its metadata has a "
                             "'collectionName' that is not a string");
   assert_string_equal(w[3], "mongorestore refuses namespace 'test.key' (and so this archive, "
                             "unless --nsExclude leaves it out): its metadata has an index 'key' "
                             "that is not a document");
   assert_string_equal(w[4], "namespace '.stray' has no database name: mongobak does not restore "
                             "it, and mongorestore refuses this archive unless --nsExclude "
                             "leaves it out");
   assert_string_equal(w[5], "database name 'a.b' is not valid in MongoDB (at most 63 bytes, "
                             "none of / \\ . space \" $): mongorestore refuses this archive, and "
                             "servers refuse to create 'c' in it");
   assert_null(w[6]);
   mb_archive_reader_destroy(r);
   mb_source_destroy(src);
   bytes_free(&b);
}

/* ---- documents ---- */

static void test_invalid_bson_document(void **state)
{
   static const char *const names[] = {"test.c"};
   /* length 12, trailing NUL, but a string element claiming 0x7fffffff bytes */
   static const uint8_t bad[12] = {0x0c, 0, 0, 0, 0x02, 'a', 0, 0xff, 0xff, 0xff, 0x7f, 0};
   bytes_t b = {0};
   size_t at;
   mb_error_t err;
   trace_t t;
   (void) state;

   put_prelude(&b, 4, names, 1);
   put_ns_header(&b, "test.c", false, 0);
   at = b.len;
   bytes_put(&b, bad, sizeof bad);
   put_term(&b);
   put_eof(&b, "test.c", mb_crc64_update(0, bad, sizeof bad));
   expect_corrupt(&b, at, "invalid BSON document in namespace 'test.c' (problem at byte 7 of it)");
   /* without validation the document passes: only framing and CRC are checked */
   if (!read_bytes(b.data, b.len, false, &t, &err)) {
      fail_msg("%s", err.message);
   }
   assert_string_equal(t.order, "B0 D0 E0");
   bytes_free(&b);
}

/* A 16 MiB document arriving in small reads (as from a pipe or a decompressor). */
static void test_max_document_in_small_reads(void **state)
{
   static const char *const names[] = {"test.big"};
   bytes_t b = {0};
   bson_t d = BSON_INITIALIZER;
   uint8_t *blob;
   uint32_t payload = MB_ARCHIVE_MAX_BSON - 22;
   uint64_t crc;
   mb_error_t err;
   trace_t t;
   (void) state;

   blob = calloc(1, payload);
   assert_non_null(blob);
   BSON_APPEND_INT32(&d, "_id", 1);
   BSON_APPEND_BINARY(&d, "b", BSON_SUBTYPE_BINARY, blob, payload);
   assert_int_equal(d.len, MB_ARCHIVE_MAX_BSON);
   crc = mb_crc64_update(0, bson_get_data(&d), d.len);
   put_prelude(&b, 4, names, 1);
   put_ns_header(&b, "test.big", false, 0);
   put_bson(&b, &d);
   put_bson(&b, &d);
   put_term(&b);
   put_eof(&b, "test.big", mb_crc64_update(crc, bson_get_data(&d), d.len));
   {
      trickle_t src = trickle(b.data, b.len, 64u << 10);
      if (!read_source(&src.base, true, &t, &err)) {
         fail_msg("%s", err.message);
      }
   }
   assert_string_equal(t.order, "B0 D0 D0 E0");
   expect_ok(&b, &t);
   bson_destroy(&d);
   free(blob);
   bytes_free(&b);
}

/* Read errors from the source come through unchanged. */
static void test_source_error_propagates(void **state)
{
   bytes_t b = {0};
   mb_error_t err;
   (void) state;

   vector_508(&b);
   for (size_t cut = 0; cut < b.len; cut += 50) {
      failing_source_t src;
      failing_source_init(&src, b.data, cut, "cannot read 'x.archive': Input/output error");
      assert_false(read_source(&src.base, true, NULL, &err));
      assert_error(&err, MB_EXIT_IO, "cannot read 'x.archive': Input/output error");
   }
   bytes_free(&b);
}

/* ---- real mongodump output ---- */

#define SHARED_TESTDATA MB_SHARED_DIR "/testdata/"

/* The real mongodump's archives come from ../shared, which is not part of the product: a clone
 * without it skips these tests (and says so) instead of failing them. */
static void need_testdata(void)
{
   if (access(SHARED_TESTDATA "mongodump-alltypes.archive", R_OK) != 0 ||
       access(SHARED_TESTDATA "mongodump-alltypes.archive.gz", R_OK) != 0) {
      print_message("skipped: no %s (mongodump's test vectors, beside the clone)\n",
                    SHARED_TESTDATA);
      skip();
   }
}

typedef struct {
   int ndocs[2];
   uint64_t nbytes[2];
   uint32_t types; /* bit per BSON type of the "v" fields of db0.alltypes */
} alltypes_t;

static void read_alltypes(const char *path, mb_compress_t want_kind)
{
   mb_source_t *file = NULL, *src = NULL;
   mb_archive_reader_t *r = NULL;
   mb_archive_reader_opts_t opts = {true};
   mb_archive_event_t ev;
   mb_compress_t kind;
   mb_error_t err;
   int c0 = -1, at = -1;
   uint32_t types = 0;
   const mb_archive_prelude_t *p;

   if (!mb_file_source_open(path, &file, &err)) {
      fail_msg("%s", err.message);
   }
   assert_true(mb_decompress_source_new(file, &src, &kind, &err));
   assert_int_equal(kind, want_kind);
   if (!mb_archive_reader_open(src, &opts, &r, &err)) {
      fail_msg("%s", err.message);
   }
   p = mb_archive_reader_prelude(r);
   assert_int_equal(p->concurrent_collections, 4);
   assert_string_equal(p->version, "0.1");
   assert_string_equal(p->server_version, "7.0.0");
   assert_string_equal(p->tool_version, "100.x-ceo");
   assert_null(mb_archive_reader_warnings(r)[0]);
   assert_int_equal(mb_archive_reader_ns_count(r), 2);
   for (int i = 0; i < 2; i++) {
      const mb_archive_ns_t *n = mb_archive_reader_ns(r, i);
      bson_t *meta;
      bson_error_t berr;
      assert_string_equal(n->db, "db0");
      assert_string_equal(n->type, "collection");
      assert_int_equal(n->kind, MB_NS_REGULAR);
      meta = bson_new_from_json((const uint8_t *) n->metadata, -1, &berr);
      if (!meta) {
         fail_msg("metadata of %s is not JSON: %s", n->collection, berr.message);
      }
      assert_true(bson_has_field(meta, "indexes"));
      assert_true(bson_has_field(meta, "uuid"));
      bson_destroy(meta);
      if (strcmp(n->collection, "c0") == 0) {
         c0 = i;
      } else if (strcmp(n->collection, "alltypes") == 0) {
         at = i;
      }
   }
   assert_true(c0 >= 0 && at >= 0);
   for (;;) {
      if (!mb_archive_reader_next(r, &ev, &err)) {
         fail_msg("%s", err.message);
      }
      if (ev.kind == MB_ARCHIVE_EV_END) {
         break;
      }
      if (ev.kind == MB_ARCHIVE_EV_DOCUMENT) {
         bson_t d;
         bson_iter_t it;
         size_t off;
         assert_true(bson_init_static(&d, ev.data, ev.len));
         assert_true(bson_validate(&d, BSON_VALIDATE_NONE, &off));
         if (ev.ns == at && bson_iter_init_find(&it, &d, "v")) {
            if (bson_iter_type(&it) < 32) {
               types |= 1u << bson_iter_type(&it);
            }
         }
      }
      if (ev.kind == MB_ARCHIVE_EV_NS_END) {
         const mb_archive_ns_t *n = mb_archive_reader_ns(r, ev.ns);
         assert_true(n->crc == n->stored_crc);
      }
   }
   assert_int_equal(mb_archive_reader_ns(r, c0)->docs, 50);
   assert_int_equal(mb_archive_reader_ns(r, c0)->bytes, 15000);
   assert_int_equal(mb_archive_reader_ns(r, at)->docs, 22);
   assert_int_equal(mb_archive_reader_ns(r, at)->bytes, 1670);
   for (int i = 0; i < 2; i++) {
      assert_int_equal(mb_archive_reader_ns(r, i)->state, MB_NS_STATE_CLOSED);
      assert_true(mb_archive_reader_ns(r, i)->crc != 0);
   }
   {
      static const bson_type_t want[] = {
          BSON_TYPE_DOUBLE,    BSON_TYPE_UTF8,      BSON_TYPE_DOCUMENT,   BSON_TYPE_ARRAY,
          BSON_TYPE_BINARY,    BSON_TYPE_UNDEFINED, BSON_TYPE_OID,        BSON_TYPE_BOOL,
          BSON_TYPE_DATE_TIME, BSON_TYPE_NULL,      BSON_TYPE_REGEX,      BSON_TYPE_DBPOINTER,
          BSON_TYPE_CODE,      BSON_TYPE_SYMBOL,    BSON_TYPE_CODEWSCOPE, BSON_TYPE_INT32,
          BSON_TYPE_TIMESTAMP, BSON_TYPE_INT64,     BSON_TYPE_DECIMAL128};
      for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
         if (!(types & (1u << want[i]))) {
            fail_msg("no value of BSON type 0x%02x in db0.alltypes", want[i]);
         }
      }
   }
   mb_archive_reader_destroy(r);
   mb_source_destroy(src);
}

/* minKey (0xff) and maxKey (0x7f) do not fit the bit mask: look for them by name. */
static void check_min_max_keys(void)
{
   mb_source_t *src = NULL;
   mb_archive_reader_t *r = NULL;
   mb_archive_event_t ev;
   mb_error_t err;
   bool min = false, max = false;

   assert_true(mb_file_source_open(SHARED_TESTDATA "mongodump-alltypes.archive", &src, &err));
   assert_true(mb_archive_reader_open(src, NULL, &r, &err));
   do {
      assert_true(mb_archive_reader_next(r, &ev, &err));
      if (ev.kind == MB_ARCHIVE_EV_DOCUMENT) {
         bson_t d;
         bson_iter_t it;
         assert_true(bson_init_static(&d, ev.data, ev.len));
         if (bson_iter_init_find(&it, &d, "v")) {
            min |= bson_iter_type(&it) == BSON_TYPE_MINKEY;
            max |= bson_iter_type(&it) == BSON_TYPE_MAXKEY;
         }
      }
   } while (ev.kind != MB_ARCHIVE_EV_END);
   assert_true(min);
   assert_true(max);
   mb_archive_reader_destroy(r);
   mb_source_destroy(src);
}

static void test_real_mongodump_archive(void **state)
{
   (void) state;
   need_testdata();
   read_alltypes(SHARED_TESTDATA "mongodump-alltypes.archive", MB_COMPRESS_NONE);
   check_min_max_keys();
}

static void test_real_mongodump_archive_gzip(void **state)
{
   (void) state;
   need_testdata();
   read_alltypes(SHARED_TESTDATA "mongodump-alltypes.archive.gz", MB_COMPRESS_GZIP);
}

/* Any damage to a real archive is caught: flip one bit at a time over its body. */
static void test_real_archive_bit_flips(void **state)
{
   mb_source_t *src = NULL;
   mb_error_t err;
   bytes_t b = {0};
   uint8_t buf[4096];
   size_t got;
   int accepted = 0, refused = 0;
   (void) state;
   need_testdata();

   assert_true(mb_file_source_open(SHARED_TESTDATA "mongodump-alltypes.archive", &src, &err));
   do {
      assert_true(mb_source_read(src, buf, sizeof buf, &got, &err));
      bytes_put(&b, buf, got);
   } while (got > 0);
   mb_source_destroy(src);
   assert_int_equal(b.len, 17544);
   assert_true(read_bytes(b.data, b.len, true, NULL, &err));
   for (size_t i = 0; i < b.len; i += 7) {
      b.data[i] ^= 0x10;
      memset(&err, 0, sizeof err);
      if (read_bytes(b.data, b.len, true, NULL, &err)) {
         accepted++; /* e.g. inside metadata JSON text, which is not checked */
      } else {
         refused++;
         assert_int_equal(err.domain, MB_ERROR_DOMAIN);
         assert_true(err.code == MB_EXIT_CORRUPT || err.code == MB_EXIT_NOT_ARCHIVE);
      }
      b.data[i] ^= 0x10;
   }
   assert_true(refused > accepted);
   bytes_free(&b);
}

/* ---- our own every-type archive (tests/data, rewritten by tools/every-type-archive.sh) ---- */

#define EVERY_TYPE MB_TEST_DATA "/every_type.archive"

typedef struct {
   uint64_t docs[2], bytes[2], crc[2];
   uint32_t types;      /* bit per BSON type below 32 found in db0.alltypes, at any depth */
   uint32_t subtypes;   /* bit per binary subtype below 31, bit 31 for 128 (user) */
   bool minkey, maxkey; /* 0xff and 0x7f do not fit the mask */
   bytes_t stream;      /* every document, with its namespace, in stream order */
} every_type_t;

static void every_type_visit(bson_iter_t *it, every_type_t *e)
{
   while (bson_iter_next(it)) {
      bson_type_t t = bson_iter_type(it);
      bson_iter_t sub;
      if ((unsigned) t < 32) {
         e->types |= 1u << t;
      }
      e->minkey |= t == BSON_TYPE_MINKEY;
      e->maxkey |= t == BSON_TYPE_MAXKEY;
      if (t == BSON_TYPE_BINARY) {
         bson_subtype_t st;
         uint32_t len;
         const uint8_t *data;
         bson_iter_binary(it, &st, &len, &data);
         e->subtypes |= st == BSON_SUBTYPE_USER ? 1u << 31 : (unsigned) st < 31 ? 1u << st : 0;
      }
      if ((t == BSON_TYPE_DOCUMENT || t == BSON_TYPE_ARRAY) && bson_iter_recurse(it, &sub)) {
         every_type_visit(&sub, e);
      }
   }
}

/* Read src completely with BSON validation and check what the every-type archive holds. */
static void read_every_type(mb_source_t *src, every_type_t *e)
{
   mb_archive_reader_opts_t opts = {true};
   mb_archive_reader_t *r = NULL;
   mb_archive_event_t ev;
   mb_error_t err;
   const mb_archive_prelude_t *p;

   memset(e, 0, sizeof *e);
   if (!mb_archive_reader_open(src, &opts, &r, &err)) {
      fail_msg("%s", err.message);
   }
   p = mb_archive_reader_prelude(r);
   assert_int_equal(p->concurrent_collections, 4);
   assert_string_equal(p->version, "0.1");
   assert_string_equal(p->server_version, "7.0.0");
   assert_memory_equal(p->tool_version, "mongobak ", 9);
   assert_null(mb_archive_reader_warnings(r)[0]);
   assert_true(mb_archive_reader_check_metadata(r, &err));
   assert_int_equal(mb_archive_reader_ns_count(r), 2);
   assert_string_equal(mb_archive_reader_ns(r, 0)->collection, "alltypes");
   assert_string_equal(mb_archive_reader_ns(r, 1)->collection, "c0");
   do {
      if (!mb_archive_reader_next(r, &ev, &err)) {
         fail_msg("%s", err.message);
      }
      if (ev.kind == MB_ARCHIVE_EV_DOCUMENT) {
         bson_t d;
         bson_iter_t it;
         uint8_t ns = (uint8_t) ev.ns;
         assert_true(bson_init_static(&d, ev.data, ev.len));
         if (ev.ns == 0 && bson_iter_init(&it, &d)) {
            every_type_visit(&it, e);
         }
         bytes_put(&e->stream, &ns, 1);
         bytes_put(&e->stream, ev.data, ev.len);
      }
   } while (ev.kind != MB_ARCHIVE_EV_END);
   for (int i = 0; i < 2; i++) {
      const mb_archive_ns_t *n = mb_archive_reader_ns(r, i);
      assert_string_equal(n->db, "db0");
      assert_string_equal(n->type, "collection");
      assert_int_equal(n->kind, MB_NS_REGULAR);
      assert_int_equal(n->state, MB_NS_STATE_CLOSED);
      assert_true(n->crc == n->stored_crc);
      e->docs[i] = n->docs;
      e->bytes[i] = n->bytes;
      e->crc[i] = n->crc;
   }
   mb_archive_reader_destroy(r);
}

static void check_every_type(const every_type_t *e)
{
   static const bson_type_t want[] = {
       BSON_TYPE_DOUBLE,    BSON_TYPE_UTF8,      BSON_TYPE_DOCUMENT,   BSON_TYPE_ARRAY,
       BSON_TYPE_BINARY,    BSON_TYPE_UNDEFINED, BSON_TYPE_OID,        BSON_TYPE_BOOL,
       BSON_TYPE_DATE_TIME, BSON_TYPE_NULL,      BSON_TYPE_REGEX,      BSON_TYPE_DBPOINTER,
       BSON_TYPE_CODE,      BSON_TYPE_SYMBOL,    BSON_TYPE_CODEWSCOPE, BSON_TYPE_INT32,
       BSON_TYPE_TIMESTAMP, BSON_TYPE_INT64,     BSON_TYPE_DECIMAL128};

   for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
      if (!(e->types & (1u << want[i]))) {
         fail_msg("no value of BSON type 0x%02x in db0.alltypes", want[i]);
      }
   }
   assert_true(e->minkey);
   assert_true(e->maxkey);
   /* subtypes 0 (generic) to 7 and 128 (user defined) */
   assert_int_equal(e->subtypes, 0x800000ffu);
   assert_int_equal(e->docs[0], 4);
   assert_int_equal(e->bytes[0], 6639);
   assert_int_equal(e->docs[1], 6);
   assert_int_equal(e->bytes[1], 788);
}

static void test_every_type_archive(void **state)
{
   mb_source_t *file = NULL, *src = NULL;
   mb_compress_t kind;
   mb_error_t err;
   every_type_t plain, gz;
   (void) state;

   assert_true(mb_file_source_open(EVERY_TYPE, &src, &err));
   read_every_type(src, &plain);
   mb_source_destroy(src);
   check_every_type(&plain);

   assert_true(mb_file_source_open(EVERY_TYPE ".gz", &file, &err));
   assert_true(mb_decompress_source_new(file, &src, &kind, &err));
   assert_int_equal(kind, MB_COMPRESS_GZIP);
   read_every_type(src, &gz);
   mb_source_destroy(src);
   check_every_type(&gz);
   /* the same documents in the same order, and the same CRCs */
   assert_int_equal(gz.stream.len, plain.stream.len);
   assert_memory_equal(gz.stream.data, plain.stream.data, plain.stream.len);
   assert_memory_equal(gz.crc, plain.crc, sizeof plain.crc);
   bytes_free(&plain.stream);
   bytes_free(&gz.stream);
}

/* verify (the scheduler's check of every backup) accepts both forms. */
static void test_every_type_verifies(void **state)
{
   static const struct {
      const char *path;
      mb_compress_t kind;
      uint64_t file_bytes;
   } cases[] = {{EVERY_TYPE, MB_COMPRESS_NONE, 8306}, {EVERY_TYPE ".gz", MB_COMPRESS_GZIP, 2657}};
   (void) state;

   for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
      mb_archive_check_t c;
      mb_error_t err;
      if (!mb_archive_verify_file(cases[i].path, &c, &err)) {
         fail_msg("%s: %s", cases[i].path, err.message);
      }
      assert_int_equal(c.compression, cases[i].kind);
      assert_int_equal(c.file_bytes, cases[i].file_bytes);
      assert_int_equal(c.archive_bytes, 8306);
      assert_int_equal(c.docs, 10);
      assert_int_equal(c.namespaces, 2);
      assert_int_equal(strlen(c.sha256), 64);
   }
}

/* Read the archive and write what was read with the archive writer: the copy reads back with
 * the same documents and CRCs, and is byte for byte the archive mongobak dump wrote. */
static void test_every_type_round_trip(void **state)
{
   mb_source_t *src = NULL, *copy_src = NULL;
   mb_sink_t *sink = NULL;
   mb_archive_reader_t *r = NULL;
   mb_archive_writer_t *w = NULL;
   mb_archive_event_t ev;
   mb_error_t err;
   every_type_t orig, copy;
   bytes_t file = {0};
   const uint8_t *out;
   size_t out_len, got;
   uint8_t buf[4096];
   int ids[2];
   (void) state;

   assert_true(mb_file_source_open(EVERY_TYPE, &src, &err));
   do {
      assert_true(mb_source_read(src, buf, sizeof buf, &got, &err));
      bytes_put(&file, buf, got);
   } while (got > 0);
   mb_source_destroy(src);

   assert_true(mb_mem_source_new(file.data, file.len, &src, &err));
   assert_true(mb_archive_reader_open(src, NULL, &r, &err));
   assert_true(mb_mem_sink_new(1 << 20, &sink, &err));
   {
      const mb_archive_prelude_t *p = mb_archive_reader_prelude(r);
      mb_archive_header_t hdr = {p->concurrent_collections, p->server_version, p->tool_version};
      assert_true(mb_archive_writer_new(sink, &hdr, &w, &err));
   }
   for (int i = 0; i < 2; i++) {
      const mb_archive_ns_t *n = mb_archive_reader_ns(r, i);
      assert_true(mb_archive_writer_add_namespace(w, n->db, n->collection, n->metadata, n->type,
                                                  &ids[i], &err));
   }
   assert_true(mb_archive_writer_begin(w, &err));
   do {
      assert_true(mb_archive_reader_next(r, &ev, &err));
      if (ev.kind == MB_ARCHIVE_EV_DOCUMENT) {
         assert_true(mb_archive_writer_write(w, ids[ev.ns], ev.data, ev.len, &err));
      } else if (ev.kind == MB_ARCHIVE_EV_NS_END) {
         assert_true(mb_archive_writer_end_namespace(w, ids[ev.ns], &err));
      }
   } while (ev.kind != MB_ARCHIVE_EV_END);
   assert_true(mb_archive_writer_finish(w, &err));
   out = mb_mem_sink_data(sink, &out_len);

   mb_source_destroy(src);
   assert_true(mb_mem_source_new(file.data, file.len, &src, &err));
   read_every_type(src, &orig);
   assert_true(mb_mem_source_new(out, out_len, &copy_src, &err));
   read_every_type(copy_src, &copy);
   check_every_type(&copy);
   assert_int_equal(copy.stream.len, orig.stream.len);
   assert_memory_equal(copy.stream.data, orig.stream.data, orig.stream.len);
   assert_memory_equal(copy.crc, orig.crc, sizeof orig.crc);
   assert_int_equal(out_len, file.len);
   assert_memory_equal(out, file.data, file.len);

   bytes_free(&orig.stream);
   bytes_free(&copy.stream);
   mb_source_destroy(copy_src);
   mb_source_destroy(src);
   mb_archive_writer_destroy(w);
   mb_sink_destroy(sink);
   mb_archive_reader_destroy(r);
   bytes_free(&file);
}

int main(void)
{
   const struct CMUnitTest tests[] = {
       cmocka_unit_test(test_vector_508_events),
       cmocka_unit_test(test_vector_508_in_small_reads),
       cmocka_unit_test(test_truncation_at_every_offset),
       cmocka_unit_test(test_truncation_messages),
       cmocka_unit_test(test_bad_magic),
       cmocka_unit_test(test_short_stream),
       cmocka_unit_test(test_prelude_without_header),
       cmocka_unit_test(test_prelude_header_field_types),
       cmocka_unit_test(test_prelude_header_lenient),
       cmocka_unit_test(test_prelude_entry_field_types),
       cmocka_unit_test(test_prelude_entries_lenient),
       cmocka_unit_test(test_consecutive_terminators),
       cmocka_unit_test(test_bad_document_length),
       cmocka_unit_test(test_missing_trailing_nul),
       cmocka_unit_test(test_namespace_header_strictness),
       cmocka_unit_test(test_damaged_header_documents),
       cmocka_unit_test(test_namespace_header_defaults),
       cmocka_unit_test(test_crc_mismatch),
       cmocka_unit_test(test_crc_across_segments),
       cmocka_unit_test(test_reopen_after_eof),
       cmocka_unit_test(test_namespace_not_in_prelude),
       cmocka_unit_test(test_prelude_namespace_never_seen),
       cmocka_unit_test(test_namespace_unfinished),
       cmocka_unit_test(test_data_after_eof_header),
       cmocka_unit_test(test_too_many_open_namespaces),
       cmocka_unit_test(test_oplog_not_last),
       cmocka_unit_test(test_deep_document),
       cmocka_unit_test(test_duplicate_prelude_namespace),
       cmocka_unit_test(test_many_namespaces),
       cmocka_unit_test(test_metadata_checks),
       cmocka_unit_test(test_eof_only_and_empty_segments),
       cmocka_unit_test(test_invalid_bson_document),
       cmocka_unit_test(test_max_document_in_small_reads),
       cmocka_unit_test(test_source_error_propagates),
       cmocka_unit_test(test_real_mongodump_archive),
       cmocka_unit_test(test_real_mongodump_archive_gzip),
       cmocka_unit_test(test_real_archive_bit_flips),
       cmocka_unit_test(test_every_type_archive),
       cmocka_unit_test(test_every_type_verifies),
       cmocka_unit_test(test_every_type_round_trip),
   };
   return cmocka_run_group_tests(tests, NULL, NULL);
}
