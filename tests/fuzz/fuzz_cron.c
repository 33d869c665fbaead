/* libFuzzer target: arbitrary bytes as a cron expression. A rejected expression must fail with
 * USAGE and a message naming it; an accepted one is asked for its next runs from fixed instants
 * (around both DST transitions and a leap day) in America/New_York and UTC. Every run must be
 * strictly later than the one before, on a whole minute for five fields, the same when asked
 * from any instant in between, and the search may only end with "never matches". */
#include "sched/cron.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_error(const mb_error_t *err, const char *must_contain)
{
   if (err->domain != MB_ERROR_DOMAIN || err->code != MB_EXIT_USAGE ||
       strncmp(err->message, "cron expression '", 17) != 0 || !strstr(err->message, must_contain)) {
      abort();
   }
}

static bool same_next(const mb_cron_t *c, time_t from, time_t want)
{
   mb_error_t err;
   time_t next;

   return mb_cron_next(c, from, &next, &err) && next == want;
}

static void walk(const mb_cron_t *c, time_t t)
{
   for (int i = 0; i < 3; i++) {
      mb_error_t err;
      time_t next;
      struct tm tm;
      if (!mb_cron_next(c, t, &next, &err)) {
         check_error(&err, "never matches");
         return;
      }
      if (next <= t || !localtime_r(&next, &tm) || (!mb_cron_has_seconds(c) && tm.tm_sec != 0)) {
         abort();
      }
      /* the run after any instant in [t, next) is next: nothing in between was skipped */
      if (next - t > 1 &&
          (!same_next(c, next - 1, next) || !same_next(c, t + (next - t) / 2, next))) {
         abort();
      }
      t = next;
   }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
   static const char *const zones[] = {"America/New_York", "UTC"};
   static const time_t starts[] = {
       1772949600, /* 2026-03-08 06:00:00 UTC, 01:00 EST, an hour before the gap */
       1793509200, /* 2026-11-01 05:00:00 UTC, 01:00 EDT, the first of the repeated hours */
       1793512800, /* 2026-11-01 06:00:00 UTC, 01:00 EST, the second */
       1709121600, /* 2024-02-28 12:00:00 UTC */
   };
   char *expr = malloc(size + 1);
   mb_cron_t *c = NULL;
   mb_error_t err;

   if (!expr) {
      return 0;
   }
   memcpy(expr, data, size);
   expr[size] = '\0';
   if (!mb_cron_parse(expr, &c, &err)) {
      check_error(&err, "");
      if (c) {
         abort();
      }
      free(expr);
      return 0;
   }
   for (size_t z = 0; z < sizeof zones / sizeof zones[0]; z++) {
      setenv("TZ", zones[z], 1);
      tzset();
      for (size_t s = 0; s < sizeof starts / sizeof starts[0]; s++) {
         walk(c, starts[s]);
      }
   }
   mb_cron_destroy(c);
   free(expr);
   return 0;
}
