/* Cron's next run in a named zone (common/tz), from two threads in two zones at once, while
 * the process zone stays UTC. */
#include "common/tz.h"
#include "sched/cron.h"

#include "testutil.h"

#include <pthread.h>

#define ROUNDS 200

typedef struct {
   const char *zone;
   const char *want; /* the next 03:30 after 2024-03-30 12:00 UTC, local */
   int bad;
} worker_t;

static void *work(void *arg)
{
   worker_t *w = arg;
   mb_cron_t *c = NULL;
   mb_error_t err;
   char buf[64];
   time_t next;

   if (!mb_cron_parse("30 3 * * *", &c, &err)) {
      w->bad = ROUNDS;
      return NULL;
   }
   for (int i = 0; i < ROUNDS; i++) {
      if (!mb_cron_next_in(c, w->zone, 1711800000, &next, &err)) {
         w->bad++;
         continue;
      }
      mb_tz_format(w->zone, next, "%Y-%m-%d %H:%M:%S %Z", buf, sizeof buf);
      w->bad += strcmp(buf, w->want) != 0;
   }
   mb_cron_destroy(c);
   return NULL;
}

static void test_two_zones(void **state)
{
   /* Paris moves to summer time that night (03:30 CEST exists); New York already has */
   worker_t w[2] = {{"Europe/Paris", "2024-03-31 03:30:00 CEST", 0},
                    {"America/New_York", "2024-03-31 03:30:00 EDT", 0}};
   pthread_t t[2];
   mb_cron_t *c = NULL;
   mb_error_t err;
   time_t next;

   (void) state;
   assert_true(mb_tz_set_default("UTC"));
   for (int i = 0; i < 2; i++) {
      assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
   }
   assert_true(mb_cron_parse("30 3 * * *", &c, &err));
   for (int i = 0; i < ROUNDS; i++) {
      assert_true(mb_cron_next(c, 1711800000, &next, &err));
      assert_int_equal(next, 1711855800); /* 2024-03-31 03:30 UTC */
   }
   mb_cron_destroy(c);
   for (int i = 0; i < 2; i++) {
      pthread_join(t[i], NULL);
      assert_int_equal(w[i].bad, 0);
   }
}

int main(void)
{
   const struct CMUnitTest tests[] = {
       cmocka_unit_test(test_two_zones),
   };
   return cmocka_run_group_tests(tests, NULL, NULL);
}
