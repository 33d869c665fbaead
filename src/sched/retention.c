#include "sched/retention.h"

#include <stdlib.h>
#include <string.h>

typedef enum { PERIOD_DAY, PERIOD_WEEK, PERIOD_MONTH } period_t;

/* A number that is equal for two times in the same local day / ISO week / month. */
static long period_key(time_t t, period_t p)
{
   struct tm tm;
   char buf[16];

   localtime_r(&t, &tm);
   switch (p) {
   case PERIOD_DAY:
      return (tm.tm_year + 1900L) * 1000 + tm.tm_yday;
   case PERIOD_WEEK:
      strftime(buf, sizeof buf, "%G%V", &tm);
      return strtol(buf, NULL, 10);
   default:
      return (tm.tm_year + 1900L) * 100 + tm.tm_mon;
   }
}

/* Keep the newest complete backup of each of the `count` most recent periods. */
static void keep_periods(const mb_catalog_t *c, bool *keep, period_t p, int count)
{
   long last = -1;
   int seen = 0;

   for (int i = 0; i < c->n && seen < count; i++) {
      long k;
      if (!c->items[i].complete) {
         continue;
      }
      k = period_key(c->items[i].time, p);
      if (k != last) {
         keep[i] = true; /* newest first: the first of a period is its newest */
         last = k;
         seen++;
      }
   }
}

int mb_retention_plan(const mb_retention_t *r, const mb_catalog_t *c, bool *keep)
{
   int kept = 0, deleted = 0;

   for (int i = 0; i < c->n; i++) {
      /* incomplete backups are not ours to judge: keep them */
      keep[i] = !c->items[i].complete;
   }
   for (int i = 0; i < c->n; i++) {
      if (c->items[i].complete && kept < (r->max_backups > 0 ? r->max_backups : 1)) {
         keep[i] = true;
         kept++;
      }
   }
   keep_periods(c, keep, PERIOD_DAY, r->keep_daily);
   keep_periods(c, keep, PERIOD_WEEK, r->keep_weekly);
   keep_periods(c, keep, PERIOD_MONTH, r->keep_monthly);
   for (int i = 0; i < c->n; i++) {
      deleted += c->items[i].complete && !keep[i];
   }
   return deleted;
}
