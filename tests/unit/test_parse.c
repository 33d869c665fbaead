/* The value parsers of common/parse: accepted forms, ranges, exact error lines. */
#include "common/parse.h"

#include "testutil.h"

static void test_long(void **state)
{
   long v = 0;

   (void) state;
   assert_true(mb_parse_long("42", 10, 0, 100, &v));
   assert_int_equal(v, 42);
   assert_true(mb_parse_long("-7", 10, -10, 10, &v));
   assert_int_equal(v, -7);
   assert_true(mb_parse_long("+7", 10, 0, 10, &v));
   assert_true(mb_parse_long("ff", 16, 0, 255, &v));
   assert_int_equal(v, 255);
   const char *bad[] = {"", " 5", "5 ", "5x", "0x10", "101", "-1", "99999999999999999999", NULL};
   for (int i = 0; bad[i]; i++) {
      assert_false(mb_parse_long(bad[i], 10, 0, 100, &v));
   }
   assert_false(mb_parse_long(NULL, 10, 0, 100, &v));
   assert_false(mb_parse_long("-1", 16, -10, 100, &v));
   assert_false(mb_parse_long("g", 16, 0, 100, &v));
}

static void test_int_and_seconds(void **state)
{
   mb_error_t err;
   long v = 0;

   (void) state;
   assert_true(mb_parse_int("--jobs", "8", NULL, 1, 64, &v, &err));
   assert_int_equal(v, 8);
   assert_false(mb_parse_int("--jobs", "100", NULL, 1, 64, &v, &err));
   assert_string_equal(err.message, "--jobs must be a whole number from 1 to 64, not '100'");
   assert_int_equal(err.code, MB_EXIT_USAGE);
   assert_false(mb_parse_int("SMTP_PORT", "x", "a port number", 1, 65535, &v, &err));
   assert_string_equal(err.message, "SMTP_PORT must be a port number from 1 to 65535, not 'x'");
   assert_true(mb_parse_seconds("NOTIFY_TIMEOUT", "1.5", 0.1, 3600, &v, &err));
   assert_int_equal(v, 1500);
   assert_true(mb_parse_seconds("NOTIFY_TIMEOUT", "60", 0.1, 3600, &v, &err));
   assert_int_equal(v, 60000);
   assert_false(mb_parse_seconds("NOTIFY_TIMEOUT", "0", 0.1, 3600, &v, &err));
   assert_string_equal(err.message,
                       "NOTIFY_TIMEOUT must be a number of seconds from 0.1 to 3600, not '0'");
   assert_false(mb_parse_seconds("NOTIFY_TIMEOUT", "nan", 0.1, 3600, &v, &err));
   assert_false(mb_parse_seconds("NOTIFY_TIMEOUT", "inf", 0.1, 3600, &v, &err));
}

static void test_size(void **state)
{
   static const struct {
      const char *in;
      int64_t want;
   } ok[] = {{"0", 0},          {"512", 512},       {"1k", 1024},        {"512M", 512ll << 20},
             {"2G", 2ll << 30}, {"2GB", 2ll << 30}, {"2GiB", 2ll << 30}, {"1.5m", 3ll << 19},
             {"1T", 1ll << 40}};
   const char *bad[] = {"", "M", "512B", "5 M", "-1M", "1X", "1MiBB", "1e30", NULL};
   mb_error_t err;
   int64_t v;

   (void) state;
   for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
      assert_true(mb_parse_size("--x", ok[i].in, &v, &err));
      assert_int_equal(v, ok[i].want);
   }
   for (int i = 0; bad[i]; i++) {
      assert_false(mb_parse_size("--split-size", bad[i], &v, &err));
   }
   assert_string_equal(err.message, "--split-size must be a size like 512M or 2G, not '1e30'");
}

static void test_bool(void **state)
{
   const char *yes[] = {"true", "TRUE", "1", "yes", "On", NULL};
   const char *no[] = {"false", "0", "No", "off", NULL};
   mb_error_t err;
   bool b;

   (void) state;
   for (int i = 0; yes[i]; i++) {
      assert_true(mb_parse_bool("X", yes[i], &b, &err));
      assert_true(b);
   }
   for (int i = 0; no[i]; i++) {
      assert_true(mb_parse_bool("X", no[i], &b, &err));
      assert_false(b);
   }
   assert_false(mb_parse_bool("SMTP_SECURE", "maybe", &b, &err));
   assert_string_equal(err.message, "SMTP_SECURE must be true or false, not 'maybe'");
   assert_false(mb_parse_bool("SMTP_SECURE", "", &b, &err));
}

int main(void)
{
   const struct CMUnitTest tests[] = {
       cmocka_unit_test(test_long),
       cmocka_unit_test(test_int_and_seconds),
       cmocka_unit_test(test_size),
       cmocka_unit_test(test_bool),
   };
   return cmocka_run_group_tests(tests, NULL, NULL);
}
