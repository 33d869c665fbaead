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

int main(void)
{
   const struct CMUnitTest tests[] = {
       cmocka_unit_test(test_ns_kind),
       cmocka_unit_test(test_parse_version),
       cmocka_unit_test(test_data_collection),
   };
   return cmocka_run_group_tests(tests, NULL, NULL);
}
