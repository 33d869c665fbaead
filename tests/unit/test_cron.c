/* Cron: syntax, next-time computation across month and year ends, leap years and DST
 * transitions in two zones, and the exact error messages. Times are compared as local
 * "YYYY-MM-DD HH:MM:SS ZZZ" strings so that every expectation shows the wall clock and the
 * offset in use. */
#include "sched/cron.h"

#include "testutil.h"

#include <time.h>

static void set_tz(const char *tz)
{
   assert_int_equal(setenv("TZ", tz, 1), 0);
   tzset();
}

/* "YYYY-MM-DD HH:MM:SS" as a UTC instant. */
static time_t utc(const char *s)
{
   struct tm tm = {0};

   assert_int_equal(sscanf(s, "%d-%d-%d %d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                           &tm.tm_hour, &tm.tm_min, &tm.tm_sec),
                    6);
   tm.tm_year -= 1900;
   tm.tm_mon -= 1;
   return timegm(&tm);
}

/* "YYYY-MM-DD HH:MM:SS" as an instant in the local zone (not for a repeated or skipped time). */
static time_t local(const char *s)
{
   struct tm tm = {0};

   assert_int_equal(sscanf(s, "%d-%d-%d %d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                           &tm.tm_hour, &tm.tm_min, &tm.tm_sec),
                    6);
   tm.tm_year -= 1900;
   tm.tm_mon -= 1;
   tm.tm_isdst = -1;
   return mktime(&tm);
}

static const char *show(time_t t, char *buf, size_t size)
{
   struct tm tm;

   assert_non_null(localtime_r(&t, &tm));
   assert_true(strftime(buf, size, "%Y-%m-%d %H:%M:%S %Z", &tm) > 0);
   return buf;
}

static mb_cron_t *parse_ok(const char *expr)
{
   mb_cron_t *c = NULL;
   mb_error_t err;

   if (!mb_cron_parse(expr, &c, &err)) {
      fail_msg("'%s' did not parse: %s", expr, err.message);
   }
   assert_non_null(c);
   return c;
}

/* The runs of expr after `after`, one by one, must be exactly want[0..n-1] (local times). */
static void expect_runs_from(const char *expr, time_t after, const char *const *want, int n)
{
   mb_cron_t *c = parse_ok(expr);
   mb_error_t err;
   char buf[64];

   for (int i = 0; i < n; i++) {
      time_t next;
      if (!mb_cron_next(c, after, &next, &err)) {
         fail_msg("'%s' run %d: %s", expr, i, err.message);
      }
      assert_true(next > after);
      if (strcmp(show(next, buf, sizeof buf), want[i]) != 0) {
         fail_msg("'%s' run %d after %lld: got '%s', want '%s'", expr, i, (long long) after, buf,
                  want[i]);
      }
      after = next;
   }
   mb_cron_destroy(c);
}

#define EXPECT_RUNS(expr, after, ...)                                                              \
   do {                                                                                            \
      static const char *const want_[] = {__VA_ARGS__};                                            \
      expect_runs_from((expr), (after), want_, (int) (sizeof want_ / sizeof want_[0]));            \
   } while (0)

#define MAX_RUNS_CASE 13

/* expr's runs after `after` (UTC), one by one: want[] up to its first NULL (local times). */
typedef struct {
   const char *expr, *after;
   const char *want[MAX_RUNS_CASE];
} runs_case_t;

static void expect_runs_table(const runs_case_t *cases, size_t n)
{
   for (size_t i = 0; i < n; i++) {
      int k = 0;
      while (k < MAX_RUNS_CASE && cases[i].want[k]) {
         k++;
      }
      expect_runs_from(cases[i].expr, utc(cases[i].after), cases[i].want, k);
   }
}

static void expect_parse_error(const char *expr, const char *msg)
{
   mb_cron_t *c = (mb_cron_t *) 1;
   mb_error_t err;

   if (mb_cron_parse(expr, &c, &err)) {
      fail_msg("'%s' parsed, want error '%s'", expr, msg);
   }
   assert_null(c);
   assert_error(&err, MB_EXIT_USAGE, msg);
}

static void test_steps_ranges_lists(void **state)
{
   static const runs_case_t cases[] = {
       {"*/15 * * * *",
        "2026-05-10 10:07:13",
        {"2026-05-10 10:15:00 UTC", "2026-05-10 10:30:00 UTC", "2026-05-10 10:45:00 UTC",
         "2026-05-10 11:00:00 UTC"}},
       {"5-10/2 * * * *",
        "2026-05-10 10:07:00",
        {"2026-05-10 10:09:00 UTC", "2026-05-10 11:05:00 UTC", "2026-05-10 11:07:00 UTC"}},
       {"10/20 * * * *",
        "2026-05-10 10:00:00",
        {"2026-05-10 10:10:00 UTC", "2026-05-10 10:30:00 UTC", "2026-05-10 10:50:00 UTC",
         "2026-05-10 11:10:00 UTC"}},
       {"1,2,5-6,58 * * * *",
        "2026-05-10 10:00:00",
        {"2026-05-10 10:01:00 UTC", "2026-05-10 10:02:00 UTC", "2026-05-10 10:05:00 UTC",
         "2026-05-10 10:06:00 UTC", "2026-05-10 10:58:00 UTC", "2026-05-10 11:01:00 UTC"}},
       {"0 */6 * * *",
        "2026-05-10 10:00:00",
        {"2026-05-10 12:00:00 UTC", "2026-05-10 18:00:00 UTC", "2026-05-11 00:00:00 UTC"}},
       {"0 9-17/4 * * *",
        "2026-05-10 10:00:00",
        {"2026-05-10 13:00:00 UTC", "2026-05-10 17:00:00 UTC", "2026-05-11 09:00:00 UTC"}},
       /* a single value with a step runs to the end of the field */
       {"0 0 25/3 * *",
        "2026-05-10 10:00:00",
        {"2026-05-25 00:00:00 UTC", "2026-05-28 00:00:00 UTC", "2026-05-31 00:00:00 UTC",
         "2026-06-25 00:00:00 UTC"}},
       /* the whole expression is matched: exact minute, hour, day and month */
       {"30 4 1 7 *",
        "2026-05-10 10:00:00",
        {"2026-07-01 04:30:00 UTC", "2027-07-01 04:30:00 UTC"}},
       /* tabs and surrounding blanks */
       {" \t0\t12  * * *\n", "2026-05-10 10:00:00", {"2026-05-10 12:00:00 UTC"}},
       {"* * * * *", "2026-05-10 10:00:00", {"2026-05-10 10:01:00 UTC", "2026-05-10 10:02:00 UTC"}},
       /* a five-field expression runs at :00 even when `after` is in the middle of a minute */
       {"* * * * *", "2026-05-10 10:00:59", {"2026-05-10 10:01:00 UTC"}},
   };
   (void) state;
   set_tz("UTC");
   expect_runs_table(cases, sizeof cases / sizeof cases[0]);
}

static void test_names(void **state)
{
   static const runs_case_t cases[] = {
       /* 2026-05-10 is a Sunday */
       {"0 0 1 JAN,jul,Oct *",
        "2026-05-10 10:00:00",
        {"2026-07-01 00:00:00 UTC", "2026-10-01 00:00:00 UTC", "2027-01-01 00:00:00 UTC"}},
       {"0 0 1 feb-apr/2 *",
        "2026-05-10 10:00:00",
        {"2027-02-01 00:00:00 UTC", "2027-04-01 00:00:00 UTC", "2028-02-01 00:00:00 UTC"}},
       {"0 8 * * MON-fri",
        "2026-05-08 10:00:00",
        {"2026-05-11 08:00:00 UTC", "2026-05-12 08:00:00 UTC", "2026-05-13 08:00:00 UTC",
         "2026-05-14 08:00:00 UTC", "2026-05-15 08:00:00 UTC", "2026-05-18 08:00:00 UTC"}},
       {"0 8 * * sun",
        "2026-05-08 10:00:00",
        {"2026-05-10 08:00:00 UTC", "2026-05-17 08:00:00 UTC"}},
       /* 7 is Sunday too, alone and at the end of a range */
       {"0 8 * * 7", "2026-05-08 10:00:00", {"2026-05-10 08:00:00 UTC", "2026-05-17 08:00:00 UTC"}},
       {"0 8 * * 5-7",
        "2026-05-10 10:00:00",
        {"2026-05-15 08:00:00 UTC", "2026-05-16 08:00:00 UTC", "2026-05-17 08:00:00 UTC",
         "2026-05-22 08:00:00 UTC"}},
       /* '*' over the days of the week is 0-6: Sunday is not run twice */
       {"0 8 * * */2",
        "2026-05-09 10:00:00",
        {"2026-05-10 08:00:00 UTC", "2026-05-12 08:00:00 UTC", "2026-05-14 08:00:00 UTC",
         "2026-05-16 08:00:00 UTC", "2026-05-17 08:00:00 UTC"}},
   };
   (void) state;
   set_tz("UTC");
   expect_runs_table(cases, sizeof cases / sizeof cases[0]);
}

static void test_month_ends(void **state)
{
   static const runs_case_t cases[] = {
       {"0 12 31 * *",
        "2026-01-01 00:00:00",
        {"2026-01-31 12:00:00 UTC", "2026-03-31 12:00:00 UTC", "2026-05-31 12:00:00 UTC",
         "2026-07-31 12:00:00 UTC", "2026-08-31 12:00:00 UTC", "2026-10-31 12:00:00 UTC",
         "2026-12-31 12:00:00 UTC", "2027-01-31 12:00:00 UTC"}},
       {"0 0 30 * *",
        "2026-01-30 00:00:00",
        {"2026-03-30 00:00:00 UTC", "2026-04-30 00:00:00 UTC"}},
       {"59 23 * * *", "2026-04-30 23:59:00", {"2026-05-01 23:59:00 UTC"}},
       {"0 0 * * *", "2026-02-28 12:00:00", {"2026-03-01 00:00:00 UTC"}},
       {"0 0 * * *", "2028-02-28 12:00:00", {"2028-02-29 00:00:00 UTC", "2028-03-01 00:00:00 UTC"}},
   };
   (void) state;
   set_tz("UTC");
   expect_runs_table(cases, sizeof cases / sizeof cases[0]);
}

static void test_leap_years(void **state)
{
   static const runs_case_t cases[] = {
       {"0 0 29 2 *",
        "2026-03-01 00:00:00",
        {"2028-02-29 00:00:00 UTC", "2032-02-29 00:00:00 UTC", "2036-02-29 00:00:00 UTC"}},
       {"0 0 29 2 *", "2028-02-29 00:00:00", {"2032-02-29 00:00:00 UTC"}},
       /* 2100 is not a leap year */
       {"0 0 29 2 *", "2096-03-01 00:00:00", {"2104-02-29 00:00:00 UTC"}},
       {"0 0 29 feb *",
        "2000-01-01 00:00:00",
        {"2000-02-29 00:00:00 UTC", "2004-02-29 00:00:00 UTC"}},
   };
   (void) state;
   set_tz("UTC");
   expect_runs_table(cases, sizeof cases / sizeof cases[0]);
}

static void test_year_end(void **state)
{
   static const runs_case_t cases[] = {
       {"0 0 1 1 *", "2026-12-31 23:59:00", {"2027-01-01 00:00:00 UTC", "2028-01-01 00:00:00 UTC"}},
       {"59 23 31 12 *", "2026-12-31 23:59:00", {"2027-12-31 23:59:00 UTC"}},
       {"* * * * *", "2026-12-31 23:59:30", {"2027-01-01 00:00:00 UTC"}},
       {"* * * * * *", "2026-12-31 23:59:59", {"2027-01-01 00:00:00 UTC"}},
       {"0 0 * * mon", "2026-12-30 00:00:00", {"2027-01-04 00:00:00 UTC"}},
   };
   (void) state;
   set_tz("UTC");
   expect_runs_table(cases, sizeof cases / sizeof cases[0]);
}

static void test_day_or_rule(void **state)
{
   static const runs_case_t cases[] = {
       /* every 13th and every Friday; 2026-02-13 and 2026-03-13 are both, and run once */
       {"0 0 13 * 5",
        "2026-02-01 00:00:00",
        {"2026-02-06 00:00:00 UTC", "2026-02-13 00:00:00 UTC", "2026-02-20 00:00:00 UTC",
         "2026-02-27 00:00:00 UTC", "2026-03-06 00:00:00 UTC", "2026-03-13 00:00:00 UTC",
         "2026-03-20 00:00:00 UTC", "2026-03-27 00:00:00 UTC", "2026-04-03 00:00:00 UTC",
         "2026-04-10 00:00:00 UTC", "2026-04-13 00:00:00 UTC", "2026-04-17 00:00:00 UTC"}},
       {"0 0 13 * *",
        "2026-02-01 00:00:00",
        {"2026-02-13 00:00:00 UTC", "2026-03-13 00:00:00 UTC"}},
       {"0 0 * * fri",
        "2026-02-01 00:00:00",
        {"2026-02-06 00:00:00 UTC", "2026-02-13 00:00:00 UTC", "2026-02-20 00:00:00 UTC"}},
       /* '?' is unrestricted like '*' */
       {"0 0 ? * 5", "2026-02-01 00:00:00", {"2026-02-06 00:00:00 UTC", "2026-02-13 00:00:00 UTC"}},
       {"0 0 13 * ?",
        "2026-02-01 00:00:00",
        {"2026-02-13 00:00:00 UTC", "2026-03-13 00:00:00 UTC"}},
       /* only a bare '*' is unrestricted: "*\/1" takes part in the OR, so every day matches */
       {"0 0 */1 * 5",
        "2026-02-01 00:00:00",
        {"2026-02-02 00:00:00 UTC", "2026-02-03 00:00:00 UTC"}},
       {"0 0 1-7 * mon",
        "2026-02-08 00:00:00",
        {"2026-02-09 00:00:00 UTC", "2026-02-16 00:00:00 UTC", "2026-02-23 00:00:00 UTC",
         "2026-03-01 00:00:00 UTC", "2026-03-02 00:00:00 UTC", "2026-03-03 00:00:00 UTC"}},
   };
   (void) state;
   set_tz("UTC");
   expect_runs_table(cases, sizeof cases / sizeof cases[0]);
}

static void test_seconds(void **state)
{
   static const runs_case_t cases[] = {
       {"*/20 * * * * *",
        "2026-05-10 10:00:05",
        {"2026-05-10 10:00:20 UTC", "2026-05-10 10:00:40 UTC", "2026-05-10 10:01:00 UTC"}},
       {"* * * * * *",
        "2026-05-10 10:00:05",
        {"2026-05-10 10:00:06 UTC", "2026-05-10 10:00:07 UTC"}},
       {"30 0 0 * * *", "2026-05-10 00:00:30", {"2026-05-11 00:00:30 UTC"}},
       {"0,30 59 23 31 dec *",
        "2026-12-31 23:59:00",
        {"2026-12-31 23:59:30 UTC", "2027-12-31 23:59:00 UTC"}},
   };
   mb_cron_t *c;

   (void) state;
   set_tz("UTC");
   expect_runs_table(cases, sizeof cases / sizeof cases[0]);
   c = parse_ok("*/5 * * * * *");
   assert_true(mb_cron_has_seconds(c));
   mb_cron_destroy(c);
   c = parse_ok("* * * * *");
   assert_false(mb_cron_has_seconds(c));
   mb_cron_destroy(c);
}

static void test_macros(void **state)
{
   static const runs_case_t cases[] = {
       {"@yearly", "2026-05-10 10:00:00", {"2027-01-01 00:00:00 UTC", "2028-01-01 00:00:00 UTC"}},
       {"@annually", "2026-05-10 10:00:00", {"2027-01-01 00:00:00 UTC"}},
       {"@monthly", "2026-05-10 10:00:00", {"2026-06-01 00:00:00 UTC", "2026-07-01 00:00:00 UTC"}},
       {"@weekly", "2026-05-10 10:00:00", {"2026-05-17 00:00:00 UTC", "2026-05-24 00:00:00 UTC"}},
       {"@daily", "2026-05-10 10:00:00", {"2026-05-11 00:00:00 UTC"}},
       {"@midnight", "2026-05-10 10:00:00", {"2026-05-11 00:00:00 UTC"}},
       {"@hourly", "2026-05-10 10:00:00", {"2026-05-10 11:00:00 UTC", "2026-05-10 12:00:00 UTC"}},
       {"  @HOURLY\t", "2026-05-10 10:00:00", {"2026-05-10 11:00:00 UTC"}},
   };
   mb_cron_t *c;

   (void) state;
   set_tz("UTC");
   expect_runs_table(cases, sizeof cases / sizeof cases[0]);
   c = parse_ok("@daily");
   assert_false(mb_cron_has_seconds(c));
   mb_cron_destroy(c);
}

static void test_dst_new_york_spring(void **state)
{
   (void) state;
   set_tz("America/New_York");
   /* 2026-03-08 02:00 EST -> 03:00 EDT: 02:30 does not exist and runs once, at 03:00 EDT */
   EXPECT_RUNS("30 2 * * *", local("2026-03-07 03:00:00"), "2026-03-08 03:00:00 EDT",
               "2026-03-09 02:30:00 EDT", "2026-03-10 02:30:00 EDT");
   EXPECT_RUNS("0 30 2 * * *", local("2026-03-07 03:00:00"), "2026-03-08 03:00:00 EDT",
               "2026-03-09 02:30:00 EDT");
   /* the skipped 02:00 and the real 03:00 fall on the same instant: one run */
   EXPECT_RUNS("0 2,3 * * *", local("2026-03-07 04:00:00"), "2026-03-08 03:00:00 EDT",
               "2026-03-09 02:00:00 EDT", "2026-03-09 03:00:00 EDT");
   /* every 15 minutes: every valid instant once, the gap collapses into its end */
   EXPECT_RUNS("*/15 * * * *", local("2026-03-08 01:00:00"), "2026-03-08 01:15:00 EST",
               "2026-03-08 01:30:00 EST", "2026-03-08 01:45:00 EST", "2026-03-08 03:00:00 EDT",
               "2026-03-08 03:15:00 EDT", "2026-03-08 03:30:00 EDT");
   EXPECT_RUNS("0 * * * *", local("2026-03-08 00:30:00"), "2026-03-08 01:00:00 EST",
               "2026-03-08 03:00:00 EDT", "2026-03-08 04:00:00 EDT");
   EXPECT_RUNS("59 59 1 * * *", local("2026-03-08 00:00:00"), "2026-03-08 01:59:59 EST",
               "2026-03-09 01:59:59 EDT");
   EXPECT_RUNS("* * * * * *", utc("2026-03-08 06:59:58"), "2026-03-08 01:59:59 EST",
               "2026-03-08 03:00:00 EDT", "2026-03-08 03:00:01 EDT");
}

static void test_dst_new_york_fall(void **state)
{
   (void) state;
   set_tz("America/New_York");
   /* 2026-11-01 02:00 EDT -> 01:00 EST: 01:30 happens twice and runs once, the first time */
   EXPECT_RUNS("30 1 * * *", local("2026-10-31 12:00:00"), "2026-11-01 01:30:00 EDT",
               "2026-11-02 01:30:00 EST", "2026-11-03 01:30:00 EST");
   /* started in the second 01:00-01:59 (01:10 EST): 01:30 already had its run */
   EXPECT_RUNS("30 1 * * *", utc("2026-11-01 06:10:00"), "2026-11-02 01:30:00 EST");
   EXPECT_RUNS("*/15 * * * *", utc("2026-11-01 06:10:00"), "2026-11-01 02:00:00 EST");
   /* started in the first 01:00-01:59 (01:10 EDT) */
   EXPECT_RUNS("30 1 * * *", utc("2026-11-01 05:10:00"), "2026-11-01 01:30:00 EDT",
               "2026-11-02 01:30:00 EST");
   EXPECT_RUNS("*/15 * * * *", utc("2026-11-01 04:50:00"), "2026-11-01 01:00:00 EDT",
               "2026-11-01 01:15:00 EDT", "2026-11-01 01:30:00 EDT", "2026-11-01 01:45:00 EDT",
               "2026-11-01 02:00:00 EST", "2026-11-01 02:15:00 EST");
   EXPECT_RUNS("0 * * * *", utc("2026-11-01 04:30:00"), "2026-11-01 01:00:00 EDT",
               "2026-11-01 02:00:00 EST", "2026-11-01 03:00:00 EST");
   EXPECT_RUNS("* * * * * *", utc("2026-11-01 05:59:58"), "2026-11-01 01:59:59 EDT",
               "2026-11-01 02:00:00 EST", "2026-11-01 02:00:01 EST");
}

static void test_dst_berlin(void **state)
{
   (void) state;
   set_tz("Europe/Berlin");
   /* 2026-03-29 02:00 CET -> 03:00 CEST */
   EXPECT_RUNS("30 2 * * *", local("2026-03-28 12:00:00"), "2026-03-29 03:00:00 CEST",
               "2026-03-30 02:30:00 CEST");
   EXPECT_RUNS("*/15 * * * *", local("2026-03-29 01:20:00"), "2026-03-29 01:30:00 CET",
               "2026-03-29 01:45:00 CET", "2026-03-29 03:00:00 CEST", "2026-03-29 03:15:00 CEST");
   /* 2026-10-25 03:00 CEST -> 02:00 CET: 02:00-02:59 twice */
   EXPECT_RUNS("30 2 * * *", local("2026-10-24 12:00:00"), "2026-10-25 02:30:00 CEST",
               "2026-10-26 02:30:00 CET");
   EXPECT_RUNS("*/15 * * * *", utc("2026-10-24 23:40:00"), "2026-10-25 01:45:00 CEST",
               "2026-10-25 02:00:00 CEST", "2026-10-25 02:15:00 CEST", "2026-10-25 02:30:00 CEST",
               "2026-10-25 02:45:00 CEST", "2026-10-25 03:00:00 CET", "2026-10-25 03:15:00 CET");
   EXPECT_RUNS("0 3 * * *", local("2026-10-24 12:00:00"), "2026-10-25 03:00:00 CET",
               "2026-10-26 03:00:00 CET");
}

/* Every 15 minutes for a week around a transition, against brute force: the runs are exactly
 * the quarter-hour instants whose wall clock did not show an hour earlier (a repeated time
 * runs once), in order; a time swallowed by a gap adds nothing, as the gap ends on a quarter
 * hour that runs anyway. */
static void check_quarter_hours(const char *tz, const char *from_utc, int want_runs)
{
   enum { MAX_RUNS = 7 * 96 + 8 };
   mb_cron_t *c = parse_ok("*/15 * * * *");
   time_t t = utc(from_utc), end = t + 7 * 86400, next, runs[MAX_RUNS];
   mb_error_t err;
   int n = 0, k = 0;

   set_tz(tz);
   for (;;) {
      assert_true(mb_cron_next(c, t, &next, &err));
      assert_true(next > t);
      if (next > end) {
         break;
      }
      assert_true(n < MAX_RUNS);
      runs[n++] = next;
      t = next;
   }
   for (time_t q = utc(from_utc) + 900; q <= end; q += 900) {
      struct tm a, b;
      time_t earlier = q - 3600;
      assert_non_null(localtime_r(&q, &a));
      assert_non_null(localtime_r(&earlier, &b));
      if (timegm(&a) == timegm(&b)) {
         continue; /* the second occurrence of a repeated wall-clock time */
      }
      assert_true(k < n);
      if (runs[k] != q) {
         char got[64], want[64];
         fail_msg("%s: run %d is %s, want %s", tz, k, show(runs[k], got, sizeof got),
                  show(q, want, sizeof want));
      }
      k++;
   }
   assert_int_equal(k, n);
   assert_int_equal(n, want_runs);
   mb_cron_destroy(c);
}

static void test_dst_quarter_hours(void **state)
{
   (void) state;
   /* spring: every real quarter hour runs; fall: the repeated hour's four run once */
   check_quarter_hours("America/New_York", "2026-03-05 00:00:00", 7 * 96);
   check_quarter_hours("America/New_York", "2026-10-29 00:00:00", 7 * 96 - 4);
   check_quarter_hours("Europe/Berlin", "2026-03-26 00:00:00", 7 * 96);
   check_quarter_hours("Europe/Berlin", "2026-10-22 00:00:00", 7 * 96 - 4);
}

static void test_utc(void **state)
{
   static const runs_case_t cases[] = {
       {"0 0 * * *", "2026-03-07 12:00:00", {"2026-03-08 00:00:00 UTC", "2026-03-09 00:00:00 UTC"}},
       {"30 2 * * *", "2026-03-08 00:00:00", {"2026-03-08 02:30:00 UTC"}},
       {"30 1 * * *",
        "2026-11-01 00:00:00",
        {"2026-11-01 01:30:00 UTC", "2026-11-02 01:30:00 UTC"}},
   };
   (void) state;
   set_tz("UTC");
   expect_runs_table(cases, sizeof cases / sizeof cases[0]);
}

static double now_ms(void)
{
   struct timespec ts;

   clock_gettime(CLOCK_MONOTONIC, &ts);
   return (double) ts.tv_sec * 1e3 + (double) ts.tv_nsec / 1e6;
}

/* A month of daily runs (through the spring transition) with 31 calls, computed quickly. */
static void test_month_of_daily_runs(void **state)
{
   mb_cron_t *c;
   mb_error_t err;
   time_t t, next;
   char buf[64], want[64];
   double start;

   (void) state;
   set_tz("America/New_York");
   c = parse_ok("0 3 * * *");
   t = local("2026-02-28 12:00:00");
   start = now_ms();
   for (int day = 1; day <= 31; day++) {
      assert_true(mb_cron_next(c, t, &next, &err));
      snprintf(want, sizeof want, "2026-03-%02d 03:00:00 %s", day, day < 8 ? "EST" : "EDT");
      assert_string_equal(show(next, buf, sizeof buf), want);
      assert_int_equal(next - t, day == 1 ? 15 * 3600 : day == 8 ? 23 * 3600 : 24 * 3600);
      t = next;
   }
   assert_true(now_ms() - start < 100.0);
   mb_cron_destroy(c);
}

static void test_never_matches(void **state)
{
   mb_cron_t *c;
   mb_error_t err;
   time_t next;

   (void) state;
   set_tz("UTC");
   c = parse_ok("0 0 30 2 *");
   assert_false(mb_cron_next(c, utc("2026-01-01 00:00:00"), &next, &err));
   assert_error(&err, MB_EXIT_USAGE,
                "cron expression '0 0 30 2 *': never matches (no run in the next 30 years)");
   mb_cron_destroy(c);
   c = parse_ok("0 0 31 apr,jun,sep,nov *");
   assert_false(mb_cron_next(c, utc("2026-01-01 00:00:00"), &next, &err));
   assert_error(&err, MB_EXIT_USAGE,
                "cron expression '0 0 31 apr,jun,sep,nov *': never matches (no run in the next "
                "30 years)");
   /* times the calendar cannot hold */
   assert_false(mb_cron_next(c, (time_t) INT64_MAX, &next, &err));
   assert_error(&err, MB_EXIT_USAGE, "cron: time 9223372036854775807 is outside the years 1-9999");
   mb_cron_destroy(c);
   /* the day after 2100-02-28 is 03-01: no Feb 29 within reach from 2097 until 2104 */
   c = parse_ok("0 0 29 2 *");
   assert_true(mb_cron_next(c, utc("2097-01-01 00:00:00"), &next, &err));
   assert_int_equal(next, utc("2104-02-29 00:00:00"));
   mb_cron_destroy(c);
}

static void test_errors(void **state)
{
   /* each message is "cron expression 'EXPR': DETAIL", EXPR as shown (control characters as
    * '?') */
   static const struct {
      const char *expr, *shown; /* shown: NULL when the same as expr */
      const char *detail;
   } cases[] = {
       {"0 25 * * *", NULL, "hour field (column 3): 25 is out of range 0-23"},
       {"0 0 * *", NULL, "expected 5 or 6 fields, found 4"},
       {"", NULL, "expected 5 or 6 fields, found 0"},
       {"  ", NULL, "expected 5 or 6 fields, found 0"},
       {"0 0 0 * * * 2026", NULL, "expected 5 or 6 fields, found 7"},
       {"60 * * * * *", NULL, "second field (column 1): 60 is out of range 0-59"},
       {"0 60 * * * *", NULL, "minute field (column 3): 60 is out of range 0-59"},
       {"0 0 0 * *", NULL, "day-of-month field (column 5): 0 is out of range 1-31"},
       {"0 0 1-32 * *", NULL, "day-of-month field (column 7): 32 is out of range 1-31"},
       {"0 0 * 13 *", NULL, "month field (column 7): 13 is out of range 1-12"},
       {"0 0 * * 8", NULL, "day-of-week field (column 9): 8 is out of range 0-7"},
       {"99999999999999999999 * * * *", NULL,
        "minute field (column 1): 99999999999999999999 is out of range 0-59"},
       {"0 0 * foo *", NULL, "month field (column 7): unknown name 'foo' (use jan-dec)"},
       {"0 0 * * mon-funday", NULL,
        "day-of-week field (column 13): unknown name 'funday' (use sun-sat)"},
       {"0 0 * * jan", NULL, "day-of-week field (column 9): unknown name 'jan' (use sun-sat)"},
       {"x * * * *", NULL, "minute field (column 1): 'x' is not a number"},
       {"*/0 * * * *", NULL, "minute field (column 3): step 0 is out of range 1-60"},
       {"0 0 * */13 *", NULL, "month field (column 9): step 13 is out of range 1-12"},
       {"*/ * * * *", NULL, "minute field (column 3): missing step after '/'"},
       {"*/x * * * *", NULL, "minute field (column 3): step 'x' is not a number"},
       {"*/5x * * * *", NULL, "minute field (column 4): unexpected character 'x'"},
       {"0 0 1,,2 * *", NULL, "day-of-month field (column 7): empty list item"},
       {"0 0 ,1 * *", NULL, "day-of-month field (column 5): empty list item"},
       {"0 0 1, * *", NULL, "day-of-month field (column 7): empty list item"},
       {"0 0 * * 5-1", NULL, "day-of-week field (column 9): range 5-1 is reversed"},
       {"0 0 * * sat-sun", NULL, "day-of-week field (column 9): range sat-sun is reversed"},
       {"0 0 1,20-10/2 * *", NULL, "day-of-month field (column 7): range 20-10 is reversed"},
       {"5- * * * *", NULL, "minute field (column 3): missing value after '-'"},
       {"1-* * * * *", NULL, "minute field (column 3): unexpected character '*'"},
       {"1-2-3 * * * *", NULL, "minute field (column 4): unexpected character '-'"},
       {"*-5 * * * *", NULL, "minute field (column 2): unexpected character '-'"},
       {"0 0 * * 1#2", NULL, "day-of-week field (column 10): unexpected character '#'"},
       {"0 0 L * *", NULL, "day-of-month field (column 5): 'L' is not a number"},
       {"? * * * *", NULL,
        "minute field (column 1): '?' is only allowed alone, in day-of-month or day-of-week"},
       {"0 0 ?/2 * *", NULL,
        "day-of-month field (column 5): '?' is only allowed alone, in day-of-month or day-of-week"},
       {"0 0 * * 1\x01", "0 0 * * 1?", "day-of-week field (column 10): unexpected character 0x01"},
       {"@sometimes", NULL,
        "unknown macro '@sometimes' (use @yearly, @annually, @monthly, @weekly, @daily, @midnight "
        "or @hourly)"},
       {"@daily 5", NULL,
        "unknown macro '@daily 5' (use @yearly, @annually, @monthly, @weekly, @daily, @midnight or "
        "@hourly)"},
       {"@reboot", NULL,
        "unknown macro '@reboot' (use @yearly, @annually, @monthly, @weekly, @daily, @midnight or "
        "@hourly)"},
       /* columns count from the first byte, leading blanks included */
       {"  0 24 * * *", NULL, "hour field (column 5): 24 is out of range 0-23"},
   };
   (void) state;

   for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
      char want[512];
      snprintf(want, sizeof want, "cron expression '%s': %s",
               cases[i].shown ? cases[i].shown : cases[i].expr, cases[i].detail);
      expect_parse_error(cases[i].expr, want);
   }
}

/* A long expression is cut in the message, which still says where the error is. */
static void test_error_long_expression(void **state)
{
   char expr[400], want[600];

   (void) state;
   memset(expr, ' ', sizeof expr);
   memcpy(expr + 300, "0 0 * * 9", 10);
   snprintf(want, sizeof want,
            "cron expression '%.100s...': day-of-week field (column 309): 9 is out of range 0-7",
            expr);
   expect_parse_error(expr, want);
}

int main(void)
{
   const struct CMUnitTest tests[] = {
       cmocka_unit_test(test_steps_ranges_lists),
       cmocka_unit_test(test_names),
       cmocka_unit_test(test_month_ends),
       cmocka_unit_test(test_leap_years),
       cmocka_unit_test(test_year_end),
       cmocka_unit_test(test_day_or_rule),
       cmocka_unit_test(test_seconds),
       cmocka_unit_test(test_macros),
       cmocka_unit_test(test_dst_new_york_spring),
       cmocka_unit_test(test_dst_new_york_fall),
       cmocka_unit_test(test_dst_berlin),
       cmocka_unit_test(test_dst_quarter_hours),
       cmocka_unit_test(test_utc),
       cmocka_unit_test(test_month_of_daily_runs),
       cmocka_unit_test(test_never_matches),
       cmocka_unit_test(test_errors),
       cmocka_unit_test(test_error_long_expression),
   };

   return cmocka_run_group_tests(tests, NULL, NULL);
}
