/* Cron schedules: 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first;
 * '*', ranges, steps, lists, month and weekday names, @yearly @annually @monthly @weekly @daily
 * @midnight @hourly; the classic rule that a day matches when day-of-month OR day-of-week
 * matches if both are restricted. Times are evaluated in the process's local time zone (TZ):
 * a run whose wall-clock time falls in a DST gap happens once, at the first valid instant after
 * the gap; a wall-clock time that occurs twice (the repeated hour) runs once, at its first
 * occurrence. */
#ifndef MB_SCHED_CRON_H
#define MB_SCHED_CRON_H

#include "common/error.h"

#include <time.h>

typedef struct mb_cron mb_cron_t;

/* Parse expr. A bad expression fails with USAGE and a message that says where:
 * "cron expression '0 25 * * *': hour field (column 3): 25 is out of range 0-23". */
MB_MUST_CHECK bool mb_cron_parse(const char *expr, mb_cron_t **out, mb_error_t *err);

/* The first run instant strictly after `after` (UTC seconds), in the process zone. False (with
 * USAGE "... never matches") when no time in the next 30 years matches (e.g. "0 0 30 2 *"). */
MB_MUST_CHECK bool mb_cron_next(const mb_cron_t *c, time_t after, time_t *next, mb_error_t *err);

/* The same in a named zone (common/tz; NULL: the process zone, as mb_cron_next), safe to call
 * from any thread. */
MB_MUST_CHECK bool mb_cron_next_in(const mb_cron_t *c, const char *zone, time_t after, time_t *next,
                                   mb_error_t *err);

/* True when the expression has a seconds field. */
bool mb_cron_has_seconds(const mb_cron_t *c);

void mb_cron_destroy(mb_cron_t *c);

#endif
