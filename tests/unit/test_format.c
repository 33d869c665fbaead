/* Small rules of the archive format: namespace kinds, version parsing, data collections. */
#include "archive/format.h"

#include "testutil.h"

#include <bson/bson.h>

static void test_ns_kind(void **state)
{
   (void) state;
   assert_int_equal(mb_archive_ns_kind("", "oplog"), MB_NS_OPLOG);
   assert_int_equal(mb_archive_ns_kind("local", "oplog"), MB_NS_REGULAR);
   assert_int_equal(mb_archive_ns_kind("", "oplog.rs"), MB_NS_REGULAR);
   assert_int_equal(mb_archive_ns_kind("admin", "system.users"), MB_NS_SPECIAL);
   assert_int_equal(mb_archive_ns_kind("admin", "system.roles"), MB_NS_SPECIAL);
   assert_int_equal(mb_archive_ns_kind("admin", "system.version"), MB_NS_SPECIAL);
   assert_int_equal(mb_archive_ns_kind("admin", "system.js"), MB_NS_REGULAR);
   assert_int_equal(mb_archive_ns_kind("test", "system.users"), MB_NS_REGULAR);
   assert_int_equal(mb_archive_ns_kind("test", "$admin.system.users"), MB_NS_SPECIAL);
   assert_int_equal(mb_archive_ns_kind("test", "$admin.system.roles"), MB_NS_SPECIAL);
   assert_int_equal(mb_archive_ns_kind("test", "$admin.system.version"), MB_NS_SPECIAL);
   assert_int_equal(mb_archive_ns_kind("test", "$admin.other"), MB_NS_REGULAR);
   assert_int_equal(mb_archive_ns_kind("test", "c"), MB_NS_REGULAR);
}

static void test_parse_version(void **state)
{
   int a = -1, b = -1, c = -1;
   (void) state;

   assert_true(mb_archive_parse_version("7.0.14", &a, &b, &c));
   assert_int_equal(a, 7);
   assert_int_equal(b, 0);
   assert_int_equal(c, 14);
   assert_true(mb_archive_parse_version("8.3.0-rc1", &a, &b, &c));
   assert_int_equal(a, 8);
   assert_int_equal(b, 3);
   assert_int_equal(c, 0);
   assert_true(mb_archive_parse_version("4.4.1+abc", &a, &b, &c));
   assert_true(mb_archive_parse_version("4.4.1-x+y", &a, &b, &c));
   assert_true(mb_archive_parse_version("0.0.0", &a, &b, &c));
   assert_false(mb_archive_parse_version("unknown", &a, &b, &c));
   assert_false(mb_archive_parse_version("", &a, &b, &c));
   assert_false(mb_archive_parse_version("7.0", &a, &b, &c));
   assert_false(mb_archive_parse_version("7.0.", &a, &b, &c));
   assert_false(mb_archive_parse_version("7.0.1.2", &a, &b, &c));
   assert_false(mb_archive_parse_version("7..1", &a, &b, &c));
   assert_false(mb_archive_parse_version(".7.0.1", &a, &b, &c));
   assert_false(mb_archive_parse_version("7.0.1x", &a, &b, &c));
   assert_false(mb_archive_parse_version("-7.0.1", &a, &b, &c));
   assert_false(mb_archive_parse_version("7.0.99999999999999999999", &a, &b, &c));
}

static void check_data_collection(const char *coll, const char *type, const char *version,
                                  const char *want)
{
   char *got = mb_archive_data_collection(coll, type, version);
   assert_string_equal(got, want);
   bson_free(got);
}

static void test_data_collection(void **state)
{
   (void) state;
   check_data_collection("c", "collection", "7.0.14", "c");
   check_data_collection("c", "", "7.0.14", "c");
   check_data_collection("c", NULL, NULL, "c");
   check_data_collection("ts", "timeseries", "7.0.14", "system.buckets.ts");
   check_data_collection("ts", "timeseries", "8.2.9", "system.buckets.ts");
   check_data_collection("ts", "timeseries", "8.3.0", "ts");
   check_data_collection("ts", "timeseries", "8.3.0-rc0", "ts");
   check_data_collection("ts", "timeseries", "9.0.0", "ts");
   check_data_collection("ts", "timeseries", "unknown", "system.buckets.ts");
   check_data_collection("ts", "timeseries", NULL, "system.buckets.ts");
}

/* {a: {a: ... {leaf} ...}} with `levels` levels in all (the top document counts). */
static bson_t *nested(int levels, bool arrays, bool leaf_value)
{
   bson_t *doc = bson_new();
   if (leaf_value) {
      BSON_APPEND_INT32(doc, arrays ? "0" : "x", 1);
   }
   for (int i = 1; i < levels; i++) {
      bson_t *outer = bson_new();
      if (arrays) {
         BSON_APPEND_ARRAY(outer, "0", doc);
      } else {
         BSON_APPEND_DOCUMENT(outer, "a", doc);
      }
      bson_destroy(doc);
      doc = outer;
   }
   return doc;
}

static bool depth_ok(const bson_t *b, int max)
{
   return mb_archive_depth_ok(bson_get_data(b), b->len, max);
}

static void test_depth_limits(void **state)
{
   (void) state;
   for (int arrays = 0; arrays < 2; arrays++) {
      bson_t *at = nested(MB_ARCHIVE_MAX_DEPTH, arrays, true);
      bson_t *over = nested(MB_ARCHIVE_MAX_DEPTH + 1, arrays, false);
      assert_true(depth_ok(at, MB_ARCHIVE_MAX_DEPTH));
      assert_false(depth_ok(over, MB_ARCHIVE_MAX_DEPTH));
      assert_false(depth_ok(at, MB_ARCHIVE_MAX_DEPTH - 1));
      assert_true(depth_ok(at, MB_ARCHIVE_MAX_DEPTH));
      bson_destroy(at);
      bson_destroy(over);
   }
   {
      bson_t *three = nested(3, false, true), *flat = bson_new();
      assert_true(depth_ok(three, 3));
      assert_false(depth_ok(three, 2));
      assert_true(depth_ok(flat, 1));
      bson_destroy(three);
      bson_destroy(flat);
   }
}

/* Every BSON type is stepped over; only documents, arrays and scopes nest. */
static void test_depth_all_types(void **state)
{
   bson_t *inner = nested(3, false, true), *deep = nested(4, true, false);
   bson_t doc = BSON_INITIALIZER, *scope = nested(2, false, true);
   bson_oid_t oid;
   bson_decimal128_t dec = {0, 0};
   (void) state;

   bson_oid_init_from_string(&oid, "0123456789abcdef01234567");
   BSON_APPEND_DOUBLE(&doc, "d", 1.5);
   BSON_APPEND_UTF8(&doc, "s", "str");
   BSON_APPEND_BINARY(&doc, "b", BSON_SUBTYPE_BINARY, (const uint8_t *) "\x03\x04", 2);
   BSON_APPEND_UNDEFINED(&doc, "u");
   BSON_APPEND_OID(&doc, "o", &oid);
   BSON_APPEND_BOOL(&doc, "t", true);
   BSON_APPEND_DATE_TIME(&doc, "dt", 5);
   BSON_APPEND_NULL(&doc, "n");
   BSON_APPEND_REGEX(&doc, "re", "a.*", "i");
   BSON_APPEND_DBPOINTER(&doc, "p", "db.c", &oid);
   BSON_APPEND_CODE(&doc, "c", "f()");
   BSON_APPEND_SYMBOL(&doc, "sy", "sym");
   BSON_APPEND_CODE_WITH_SCOPE(&doc, "cs", "g()", scope);
   BSON_APPEND_INT32(&doc, "i", 1);
   BSON_APPEND_TIMESTAMP(&doc, "ts", 1, 2);
   BSON_APPEND_INT64(&doc, "l", 3);
   BSON_APPEND_DECIMAL128(&doc, "dec", &dec);
   BSON_APPEND_MAXKEY(&doc, "max");
   BSON_APPEND_MINKEY(&doc, "min");
   BSON_APPEND_DOCUMENT(&doc, "sub", inner);
   BSON_APPEND_INT32(&doc, "after", 1);
   assert_true(depth_ok(&doc, 4));
   assert_false(depth_ok(&doc, 3));
   BSON_APPEND_ARRAY(&doc, "deep", deep);
   assert_true(depth_ok(&doc, 5));
   assert_false(depth_ok(&doc, 4));
   bson_destroy(inner);
   bson_destroy(deep);
   bson_destroy(scope);
   bson_destroy(&doc);
}

/* Code-with-scope nests too: libbson validates the scope by recursion. */
static void test_depth_code_with_scope(void **state)
{
   bson_t *doc = bson_new();
   (void) state;

   for (int i = 1; i < 50; i++) {
      bson_t *outer = bson_new();
      BSON_APPEND_CODE_WITH_SCOPE(outer, "f", "x", doc);
      bson_destroy(doc);
      doc = outer;
   }
   assert_true(depth_ok(doc, 50));
   assert_false(depth_ok(doc, 49));
   bson_destroy(doc);
}

/* Malformed input is never read out of bounds (ASan watches) and is left to validation. */
static void test_depth_malformed(void **state)
{
   bson_t *doc = nested(20, false, true);
   const uint8_t *data = bson_get_data(doc);
   uint8_t *copy = malloc(doc->len);
   (void) state;

   assert_non_null(copy);
   for (uint32_t cut = 0; cut < doc->len; cut++) {
      /* every prefix, with its own length claimed, in a buffer of exactly that size */
      uint8_t *p = malloc(cut ? cut : 1);
      memcpy(p, data, cut);
      if (cut >= 4) {
         p[0] = (uint8_t) cut;
         p[1] = p[2] = p[3] = 0;
      }
      (void) mb_archive_depth_ok(p, cut, 5);
      free(p);
   }
   for (uint32_t i = 0; i < doc->len; i++) {
      for (int bit = 0; bit < 8; bit++) {
         memcpy(copy, data, doc->len);
         copy[i] ^= (uint8_t) (1u << bit);
         (void) mb_archive_depth_ok(copy, doc->len, 5);
      }
   }
   assert_false(mb_archive_depth_ok(data, doc->len, 5));
   free(copy);
   bson_destroy(doc);
}

int main(void)
{
   const struct CMUnitTest tests[] = {
       cmocka_unit_test(test_ns_kind),         cmocka_unit_test(test_parse_version),
       cmocka_unit_test(test_data_collection), cmocka_unit_test(test_depth_limits),
       cmocka_unit_test(test_depth_all_types), cmocka_unit_test(test_depth_code_with_scope),
       cmocka_unit_test(test_depth_malformed),
   };
   return cmocka_run_group_tests(tests, NULL, NULL);
}
