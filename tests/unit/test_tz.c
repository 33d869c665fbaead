/* Time zones: validation, conversion and formatting in a named zone, also from two threads
 * at once (each conversion swaps TZ under the module's lock). */
#include "common/tz.h"

#include "testutil.h"

#include <pthread.h>
#include <string.h>

#define SUMMER 1719835200 /* 2024-07-01 12:00:00 UTC */
#define WINTER 1704110400 /* 2024-01-01 12:00:00 UTC */
#define ROUNDS 2000

static void test_valid(void **state)
{
   (void) state;
   assert_true(mb_tz_valid("UTC"));
   assert_true(mb_tz_valid("Europe/Paris"));
   assert_true(mb_tz_valid("America/New_York"));
   assert_false(mb_tz_valid(NULL));
   assert_false(mb_tz_valid(""));
   assert_false(mb_tz_valid("Mars/Olympus"));
   assert_false(mb_tz_valid("zone.tab")); /* a table of the zone folder, not a zone */
   assert_false(mb_tz_valid("../../etc/passwd"));
   assert_false(mb_tz_valid("/usr/share/zoneinfo/UTC"));
   assert_false(mb_tz_valid("Europe"));
}

static void test_convert(void **state)
{
   struct tm tm;
   time_t t;
   char buf[64];

   (void) state;
   assert_true(mb_tz_localtime("Europe/Paris", SUMMER, &tm));
   assert_int_equal(tm.tm_hour, 14);
   assert_int_equal(tm.tm_isdst, 1);
   memset(&tm, 0, sizeof tm);
   tm.tm_year = 124;
   tm.tm_mon = 0;
   tm.tm_mday = 1;
   tm.tm_hour = 7;
   tm.tm_isdst = -1;
   assert_true(mb_tz_mktime("America/New_York", &tm, &t));
   assert_int_equal(t, WINTER);
   mb_tz_format("UTC", SUMMER, "%Y-%m-%d %H:%M:%S %Z", buf, sizeof buf);
   assert_string_equal(buf, "2024-07-01 12:00:00 UTC");
   assert_true(mb_tz_set_default("Europe/Paris"));
   mb_tz_format(NULL, WINTER, "%H:%M %Z", buf, sizeof buf);
   assert_string_equal(buf, "13:00 CET");
   assert_false(mb_tz_set_default("Mars/Olympus"));
   mb_tz_format(NULL, WINTER, "%H:%M %Z", buf, sizeof buf); /* unchanged */
   assert_string_equal(buf, "13:00 CET");
   assert_true(mb_tz_set_default("UTC"));
}

typedef struct {
   const char *zone;
   const char *summer, *winter;
   int bad;
} worker_t;

static void *work(void *arg)
{
   worker_t *w = arg;
   char buf[64];
   struct tm tm;

   for (int i = 0; i < ROUNDS; i++) {
      mb_tz_format(w->zone, SUMMER, "%Y-%m-%d %H:%M:%S %Z", buf, sizeof buf);
      w->bad += strcmp(buf, w->summer) != 0;
      mb_tz_format(w->zone, WINTER, "%Y-%m-%d %H:%M:%S %Z", buf, sizeof buf);
      w->bad += strcmp(buf, w->winter) != 0;
      w->bad += !mb_tz_localtime(w->zone, SUMMER, &tm) || strcmp(tm.tm_zone, "") == 0;
   }
   return NULL;
}

static void test_two_threads(void **state)
{
   worker_t w[2] = {
       {"Europe/Paris", "2024-07-01 14:00:00 CEST", "2024-01-01 13:00:00 CET", 0},
       {"America/New_York", "2024-07-01 08:00:00 EDT", "2024-01-01 07:00:00 EST", 0},
   };
   pthread_t t[2];
   char buf[64];

   (void) state;
   assert_true(mb_tz_set_default("UTC"));
   for (int i = 0; i < 2; i++) {
      assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
   }
   for (int i = 0; i < ROUNDS; i++) { /* the process zone, meanwhile, stays UTC */
      mb_tz_format(NULL, SUMMER, "%H:%M %Z", buf, sizeof buf);
      assert_string_equal(buf, "12:00 UTC");
   }
   for (int i = 0; i < 2; i++) {
      pthread_join(t[i], NULL);
      assert_int_equal(w[i].bad, 0);
   }
}

int main(void)
{
   const struct CMUnitTest tests[] = {
       cmocka_unit_test(test_valid),
       cmocka_unit_test(test_convert),
       cmocka_unit_test(test_two_threads),
   };
   return cmocka_run_group_tests(tests, NULL, NULL);
}
