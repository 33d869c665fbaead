#include "common/oplogts.h"
#include "common/parse.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int mb_oplog_ts_cmp(mb_oplog_ts_t a, mb_oplog_ts_t b)
{
   if (a.t != b.t) {
      return a.t < b.t ? -1 : 1;
   }
   return a.i < b.i ? -1 : a.i > b.i ? 1 : 0;
}

const char *mb_oplog_ts_format(mb_oplog_ts_t ts, char *buf, size_t size)
{
   snprintf(buf, size, "%u:%u", (unsigned) ts.t, (unsigned) ts.i);
   return buf;
}

const char *mb_oplog_ts_iso(mb_oplog_ts_t ts, char *buf, size_t size)
{
   time_t t = (time_t) ts.t;
   struct tm tm;

   if (!gmtime_r(&t, &tm) || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
      snprintf(buf, size, "?");
   }
   return buf;
}

bool mb_oplog_ts_parse(const char *option, const char *s, mb_oplog_ts_t *ts, mb_error_t *err)
{
   char part[24];
   const char *sep = strpbrk(s, ":,");
   size_t n = sep ? (size_t) (sep - s) : strlen(s);
   long t = 0, i = 0;

   if (n == 0 || n >= sizeof part) {
      goto bad;
   }
   memcpy(part, s, n);
   part[n] = '\0';
   if (!mb_parse_long(part, 10, 0, (long) UINT32_MAX, &t) ||
       (sep && !mb_parse_long(sep + 1, 10, 0, (long) UINT32_MAX, &i))) {
      goto bad;
   }
   ts->t = (uint32_t) t;
   ts->i = (uint32_t) i;
   return true;
bad:
   mb_error_set(err, MB_EXIT_USAGE,
                "%s '%s' is not an oplog timestamp: give SECONDS[:INCREMENT] (as in the "
                "dump's summary, e.g. 1764756900:1)",
                option, s);
   return false;
}

mb_oplog_ts_t mb_oplog_ts_next(mb_oplog_ts_t ts)
{
   if (ts.i == UINT32_MAX) {
      ts.t++;
      ts.i = 0;
   } else {
      ts.i++;
   }
   return ts;
}

bool mb_oplog_ts_parse_point(const char *option, const char *s, mb_oplog_ts_t *point,
                             mb_error_t *err)
{
   struct tm tm;
   int n = 0;
   time_t t;

   memset(&tm, 0, sizeof tm);
   if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
              &tm.tm_min, &tm.tm_sec, &n) == 6 &&
       n > 0 && strcmp(s + n, "Z") == 0) {
      int mon = tm.tm_mon, mday = tm.tm_mday, hour = tm.tm_hour, min = tm.tm_min, sec = tm.tm_sec;
      tm.tm_year -= 1900;
      tm.tm_mon -= 1;
      t = timegm(&tm);
      /* timegm normalises 2026-02-30 into March: such a date is refused */
      if (t < 0 || t > (time_t) UINT32_MAX || tm.tm_mon != mon - 1 || tm.tm_mday != mday ||
          tm.tm_hour != hour || tm.tm_min != min || tm.tm_sec != sec) {
         goto bad;
      }
      point->t = (uint32_t) t;
      point->i = UINT32_MAX;
      return true;
   }
   if (strchr(s, 'T') || strchr(s, '-')) {
      goto bad;
   }
   if (!mb_oplog_ts_parse(option, s, point, NULL)) {
      goto bad;
   }
   if (!strpbrk(s, ":,")) {
      point->i = UINT32_MAX; /* seconds: the whole second */
   }
   return true;
bad:
   mb_error_set(err, MB_EXIT_USAGE,
                "%s '%s' is not a point in time: give a UTC time as 2026-12-03T10:15:00Z (every "
                "entry of that second included), or an oplog timestamp SECONDS[:INCREMENT]",
                option, s);
   return false;
}
