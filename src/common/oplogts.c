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
