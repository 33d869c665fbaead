#include "sched/retention.h"

#include "common/parse.h"
#include "common/tz.h"

#include <stdlib.h>
#include <string.h>

typedef enum { PERIOD_DAY, PERIOD_WEEK, PERIOD_MONTH } period_t;

/* A number that is equal for two times in the same local day / ISO week / month. */
static long period_key(time_t t, period_t p)
{
   struct tm tm;
   char buf[16];
   long week;

   if (!mb_tz_localtime(NULL, t, &tm)) {
      return 0;
   }
   switch (p) {
   case PERIOD_DAY:
      return (tm.tm_year + 1900L) * 1000 + tm.tm_yday;
   case PERIOD_WEEK:
      strftime(buf, sizeof buf, "%G%V", &tm);
      return mb_parse_long(buf, 10, 0, 99999999, &week) ? week : 0;
   default:
      return (tm.tm_year + 1900L) * 100 + tm.tm_mon;
   }
}

/* A complete backup that is judged: not named after now (0: none is). */
static bool judged(const mb_backup_t *b, time_t now)
{
   return b->complete && (now == 0 || b->time <= now);
}

/* Keep the newest complete backup of each of the `count` most recent periods. */
static void keep_periods(const mb_catalog_t *c, time_t now, bool *keep, period_t p, int count)
{
   long last = -1;
   int seen = 0;

   for (int i = 0; i < c->n && seen < count; i++) {
      long k;
      if (!judged(&c->items[i], now)) {
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

int mb_retention_plan_at(const mb_retention_t *r, const mb_catalog_t *c, time_t now,
                         const char *protect, bool *keep, int *future)
{
   int kept = 0, deleted = 0;

   if (future) {
      *future = 0;
   }
   for (int i = 0; i < c->n; i++) {
      const mb_backup_t *b = &c->items[i];
      /* incomplete backups are not ours to judge, nor are future-dated ones: keep them */
      keep[i] = !judged(b, now) || (protect && b->name && strcmp(b->name, protect) == 0);
      if (future && b->complete && !judged(b, now)) {
         (*future)++;
      }
   }
   for (int i = 0; i < c->n; i++) {
      if (judged(&c->items[i], now) && kept < (r->max_backups > 0 ? r->max_backups : 1)) {
         keep[i] = true;
         kept++;
      }
   }
   keep_periods(c, now, keep, PERIOD_DAY, r->keep_daily);
   keep_periods(c, now, keep, PERIOD_WEEK, r->keep_weekly);
   keep_periods(c, now, keep, PERIOD_MONTH, r->keep_monthly);
   for (int i = 0; i < c->n; i++) {
      deleted += c->items[i].complete && !keep[i];
   }
   return deleted;
}

int mb_retention_plan(const mb_retention_t *r, const mb_catalog_t *c, bool *keep)
{
   return mb_retention_plan_at(r, c, 0, NULL, keep, NULL);
}
