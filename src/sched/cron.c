/* Cron expressions. Fields become bitsets; the next run is searched among naive wall-clock
 * tuples (calendar arithmetic with timegm/gmtime_r, which know no time zone, so DST cannot break
 * the carries) and only a matching tuple is mapped to an instant in the local zone. */
#include "sched/cron.h"

#include "common/tz.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { F_SEC, F_MIN, F_HOUR, F_DOM, F_MON, F_DOW, F_COUNT };

/* How far ahead mb_cron_next looks before it says "never matches". */
#define SEARCH_YEARS 30
/* The part of a long expression repeated in messages. */
#define ECHO_MAX 100

struct mb_cron {
   uint64_t mask[F_COUNT];  /* bit v set: value v matches (day-of-week 7 folded into 0) */
   bool dom_star, dow_star; /* the field is '*' or '?': it does not take part in the OR rule */
   bool has_seconds;
   char *expr;
};

typedef struct {
   const char *name;
   int min, max; /* values accepted */
   int star_max; /* last value of '*' and of 'a/n' (day-of-week: 6, 7 is Sunday again) */
   const char *const *names; /* three-letter names of min, min+1, ..., or NULL */
   int names_n;
   const char *names_hint;
} field_t;

static const char *const month_names[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                          "jul", "aug", "sep", "oct", "nov", "dec"};
static const char *const day_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

static const field_t fields[F_COUNT] = {
    {"second", 0, 59, 59, NULL, 0, NULL},
    {"minute", 0, 59, 59, NULL, 0, NULL},
    {"hour", 0, 23, 23, NULL, 0, NULL},
    {"day-of-month", 1, 31, 31, NULL, 0, NULL},
    {"month", 1, 12, 12, month_names, 12, "jan-dec"},
    {"day-of-week", 0, 7, 6, day_names, 7, "sun-sat"},
};

static const struct {
   const char *name;
   const char *expansion;
} macros[] = {
    {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
    {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
    {"@hourly", "0 * * * *"},
};

/* Where a field is being parsed, for messages. */
typedef struct {
   const char *expr; /* the whole expression as given: columns count from its first byte */
   const field_t *f;
   mb_error_t *err;
} pctx_t;

static bool is_digit(char ch)
{
   return ch >= '0' && ch <= '9';
}

static bool is_alpha(char ch)
{
   return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static bool is_space(char ch)
{
   return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f';
}

/* The expression for a message: at most ECHO_MAX bytes, control bytes shown as '?' so that the
 * message stays one line and columns still line up. */
static void echo_expr(const char *expr, char *out, size_t size)
{
   size_t n = strlen(expr), i;
   bool cut = n > ECHO_MAX;

   if (cut) {
      n = ECHO_MAX;
   }
   for (i = 0; i < n && i + 1 < size; i++) {
      unsigned char ch = (unsigned char) expr[i];
      out[i] = ch < 0x20 || ch == 0x7f ? '?' : (char) ch;
   }
   out[i] = '\0';
   if (cut) {
      bson_strncpy(out + i, "...", size - i);
   }
}

static void fail_expr(mb_error_t *err, const char *expr, const char *detail)
{
   char echo[ECHO_MAX + 4];

   echo_expr(expr, echo, sizeof echo);
   mb_error_set(err, MB_EXIT_USAGE, "cron expression '%s': %s", echo, detail);
}

/* Fail with a message naming the field and the column of `at`. Always returns false. */
static bool fail_at(const pctx_t *p, const char *at, const char *fmt, ...) BSON_GNUC_PRINTF(3, 4);

static bool fail_at(const pctx_t *p, const char *at, const char *fmt, ...)
{
   char what[256], detail[320];
   va_list ap;

   va_start(ap, fmt);
   vsnprintf(what, sizeof what, fmt, ap);
   va_end(ap);
   snprintf(detail, sizeof detail, "%s field (column %d): %s", p->f->name, (int) (at - p->expr) + 1,
            what);
   fail_expr(p->err, p->expr, detail);
   return false;
}

/* "'x'" for a printable character, "0x0a" for anything else. */
static const char *describe_char(char ch, char *buf, size_t size)
{
   unsigned char u = (unsigned char) ch;

   if (u > 0x20 && u < 0x7f) {
      snprintf(buf, size, "'%c'", ch);
   } else {
      snprintf(buf, size, "0x%02x", u);
   }
   return buf;
}

static bool fail_unexpected(const pctx_t *p, const char *at)
{
   char buf[8];

   return fail_at(p, at, "unexpected character %s", describe_char(*at, buf, sizeof buf));
}

/* A number or a name starting at s: its value in *v, the byte after it in *next. s is either
 * the start of a non-empty item or follows a '-'. */
static bool parse_value(const pctx_t *p, const char *s, const char *end, int *v, const char **next)
{
   const field_t *f = p->f;
   const char *q = s;

   if (q < end && is_digit(*q)) {
      long n = 0;
      while (q < end && is_digit(*q)) {
         n = n < 1000000 ? n * 10 + (*q - '0') : n; /* big enough to be out of range */
         q++;
      }
      if (n < f->min || n > f->max) {
         return fail_at(p, s, "%.*s is out of range %d-%d", (int) (q - s), s, f->min, f->max);
      }
      *v = (int) n;
      *next = q;
      return true;
   }
   if (q < end && is_alpha(*q)) {
      while (q < end && is_alpha(*q)) {
         q++;
      }
      if (!f->names) {
         return fail_at(p, s, "'%.*s' is not a number", (int) (q - s), s);
      }
      for (int i = 0; q - s == 3 && i < f->names_n; i++) {
         if (strncasecmp(s, f->names[i], 3) == 0) {
            *v = f->min + i;
            *next = q;
            return true;
         }
      }
      return fail_at(p, s, "unknown name '%.*s' (use %s)", (int) (q - s), s, f->names_hint);
   }
   if (q == end) {
      return fail_at(p, s, "missing value after '%c'", s[-1]);
   }
   return fail_unexpected(p, q);
}

/* The "/n" of a list item, at s (which is '/'). */
static bool parse_step(const pctx_t *p, const char *s, const char *end, int *step)
{
   const field_t *f = p->f;
   const char *q = s + 1;
   int span = f->star_max - f->min + 1;
   long n = 0;

   if (q == end) {
      return fail_at(p, q, "missing step after '/'");
   }
   if (!is_digit(*q)) {
      return fail_at(p, q, "step '%.*s' is not a number", (int) (end - q), q);
   }
   while (q < end && is_digit(*q)) {
      n = n < 1000000 ? n * 10 + (*q - '0') : n;
      q++;
   }
   if (q != end) {
      return fail_unexpected(p, q);
   }
   if (n < 1 || n > span) {
      return fail_at(p, s + 1, "step %.*s is out of range 1-%d", (int) (end - s - 1), s + 1, span);
   }
   *step = (int) n;
   return true;
}

/* One list item: '*', 'v', 'a-b', each optionally followed by '/n'. */
static bool parse_item(const pctx_t *p, const char *s, const char *end, uint64_t *mask)
{
   const field_t *f = p->f;
   const char *q = s;
   int lo, hi, step = 1;

   if (s == end) {
      return fail_at(p, s, "empty list item");
   }
   if (*q == '*') {
      lo = f->min;
      hi = f->star_max;
      q++;
   } else if (*q == '?') {
      return fail_at(p, q, "'?' is only allowed alone, in day-of-month or day-of-week");
   } else {
      if (!parse_value(p, q, end, &lo, &q)) {
         return false;
      }
      hi = lo;
      if (q < end && *q == '-') {
         if (!parse_value(p, q + 1, end, &hi, &q)) {
            return false;
         }
         if (lo > hi) {
            return fail_at(p, s, "range %.*s is reversed", (int) (q - s), s);
         }
      } else if (q < end && *q == '/') {
         hi = lo > f->star_max ? lo : f->star_max;
      }
   }
   if (q < end && *q == '/') {
      if (!parse_step(p, q, end, &step)) {
         return false;
      }
      q = end;
   }
   if (q != end) {
      return fail_unexpected(p, q);
   }
   for (int v = lo; v <= hi; v += step) {
      *mask |= UINT64_C(1) << v;
   }
   return true;
}

/* A whole field: a comma-separated list of items, or '?' alone in a day field. */
static bool parse_field(const pctx_t *p, const char *s, const char *end, uint64_t *mask, bool *star)
{
   bool day_field = p->f == &fields[F_DOM] || p->f == &fields[F_DOW];

   *mask = 0;
   *star = end - s == 1 && (*s == '*' || (*s == '?' && day_field));
   if (*star && *s == '?') {
      for (int v = p->f->min; v <= p->f->star_max; v++) {
         *mask |= UINT64_C(1) << v;
      }
      return true;
   }
   for (;;) {
      const char *comma = memchr(s, ',', (size_t) (end - s));
      const char *item_end = comma ? comma : end;
      if (!parse_item(p, s, item_end, mask)) {
         return false;
      }
      if (!comma) {
         return true;
      }
      s = comma + 1;
   }
}

/* Split text into whitespace-separated fields: starts and ends of the first 6, and the count. */
static int split_fields(const char *text, const char *start[6], const char *stop[6])
{
   const char *q = text;
   int n = 0;

   for (;;) {
      while (*q && is_space(*q)) {
         q++;
      }
      if (!*q) {
         return n;
      }
      if (n < 6) {
         start[n] = q;
      }
      while (*q && !is_space(*q)) {
         q++;
      }
      if (n < 6) {
         stop[n] = q;
      }
      n++;
   }
}

/* Parse the fields of expr (5 or 6 of them) into c. */
static bool parse_fields(mb_cron_t *c, const char *expr, mb_error_t *err)
{
   const char *start[6], *stop[6];
   int n = split_fields(expr, start, stop);
   int first;

   if (n != 5 && n != 6) {
      char detail[64];
      snprintf(detail, sizeof detail, "expected 5 or 6 fields, found %d", n);
      fail_expr(err, expr, detail);
      return false;
   }
   c->has_seconds = n == 6;
   first = c->has_seconds ? F_SEC : F_MIN;
   c->mask[F_SEC] = 1; /* five fields: at :00 */
   for (int i = first; i < F_COUNT; i++) {
      pctx_t p = {expr, &fields[i], err};
      bool star;
      if (!parse_field(&p, start[i - first], stop[i - first], &c->mask[i], &star)) {
         return false;
      }
      if (i == F_DOM) {
         c->dom_star = star;
      } else if (i == F_DOW) {
         c->dow_star = star;
      }
   }
   if (c->mask[F_DOW] & (UINT64_C(1) << 7)) {
      c->mask[F_DOW] = (c->mask[F_DOW] & ~(UINT64_C(1) << 7)) | 1;
   }
   return true;
}

/* expr without surrounding whitespace starts with '@': expand the macro. */
static bool parse_macro(mb_cron_t *c, const char *expr, const char *s, mb_error_t *err)
{
   const char *e = s + strlen(s);

   while (e > s && is_space(e[-1])) {
      e--;
   }
   for (size_t i = 0; i < sizeof macros / sizeof macros[0]; i++) {
      if ((size_t) (e - s) == strlen(macros[i].name) &&
          strncasecmp(s, macros[i].name, (size_t) (e - s)) == 0) {
         return parse_fields(c, macros[i].expansion, err);
      }
   }
   {
      char detail[200];
      snprintf(detail, sizeof detail,
               "unknown macro '%.*s' (use @yearly, @annually, @monthly, @weekly, @daily, "
               "@midnight or @hourly)",
               (int) (e - s > 40 ? 40 : e - s), s);
      fail_expr(err, expr, detail);
   }
   return false;
}

bool mb_cron_parse(const char *expr, mb_cron_t **out, mb_error_t *err)
{
   mb_cron_t *c = calloc(1, sizeof *c);
   const char *s = expr;
   bool ok = false;

   *out = NULL;
   if (!c || !(c->expr = strdup(expr))) {
      mb_error_set(err, MB_EXIT_FAILURE, "out of memory");
      goto cleanup;
   }
   while (is_space(*s)) {
      s++;
   }
   if (*s == '@' ? !parse_macro(c, expr, s, err) : !parse_fields(c, expr, err)) {
      goto cleanup;
   }
   *out = c;
   c = NULL;
   ok = true;
cleanup:
   mb_cron_destroy(c);
   return ok;
}

bool mb_cron_has_seconds(const mb_cron_t *c)
{
   return c->has_seconds;
}

void mb_cron_destroy(mb_cron_t *c)
{
   if (c) {
      free(c->expr);
      free(c);
   }
}

/* The lowest set bit of mask at or above from, or -1. */
static int next_bit(uint64_t mask, int from)
{
   uint64_t m = from > 63 ? 0 : mask & (~UINT64_C(0) << from);

   return m ? __builtin_ctzll(m) : -1;
}

/* A naive wall-clock tuple (fields as in struct tm, any may overflow) as seconds. */
static time_t naive(int year, int mon, int mday, int hour, int min, int sec)
{
   struct tm tm = {0};

   tm.tm_year = year;
   tm.tm_mon = mon;
   tm.tm_mday = mday;
   tm.tm_hour = hour;
   tm.tm_min = min;
   tm.tm_sec = sec;
   return timegm(&tm);
}

static bool day_matches(const mb_cron_t *c, const struct tm *tm)
{
   bool dom = (c->mask[F_DOM] >> tm->tm_mday) & 1;
   bool dow = (c->mask[F_DOW] >> tm->tm_wday) & 1;

   return c->dom_star || c->dow_star ? dom && dow : dom || dow;
}

/* The first naive time >= t whose tuple matches, if it is not after limit. */
static bool find_tuple(const mb_cron_t *c, time_t t, time_t limit, time_t *found)
{
   for (;;) {
      struct tm tm;
      int y, mo, d, h, mi, s;
      if (t > limit || !gmtime_r(&t, &tm)) {
         return false;
      }
      y = tm.tm_year;
      mo = next_bit(c->mask[F_MON], tm.tm_mon + 1);
      if (mo != tm.tm_mon + 1) {
         t = mo < 0 ? naive(y + 1, 0, 1, 0, 0, 0) : naive(y, mo - 1, 1, 0, 0, 0);
         continue;
      }
      d = tm.tm_mday;
      h = day_matches(c, &tm) ? next_bit(c->mask[F_HOUR], tm.tm_hour) : -1;
      if (h != tm.tm_hour) {
         t = h < 0 ? naive(y, tm.tm_mon, d + 1, 0, 0, 0) : naive(y, tm.tm_mon, d, h, 0, 0);
         continue;
      }
      mi = next_bit(c->mask[F_MIN], tm.tm_min);
      if (mi != tm.tm_min) {
         t = mi < 0 ? naive(y, tm.tm_mon, d, h + 1, 0, 0) : naive(y, tm.tm_mon, d, h, mi, 0);
         continue;
      }
      s = next_bit(c->mask[F_SEC], tm.tm_sec);
      if (s != tm.tm_sec) {
         t = s < 0 ? naive(y, tm.tm_mon, d, h, mi + 1, 0) : naive(y, tm.tm_mon, d, h, mi, s);
         continue;
      }
      *found = t;
      return true;
   }
}

/* The local wall clock of instant t as a naive time, or false when out of range. */
static bool wall_of(const char *zone, time_t t, time_t *w)
{
   struct tm tm;

   if (!mb_tz_localtime(zone, t, &tm)) {
      return false;
   }
   *w = timegm(&tm);
   return true;
}

/* The first instant of the DST gap that swallows naive tuple n: the first instant whose wall
 * clock is later than n. Any instant has its wall clock within a day of its UTC time, so
 * n - 48 h is before the gap and n + 48 h after it, and every place where the wall clock goes
 * from before n to after n is a jump over n, as n never shows on the clock. */
static bool gap_end(const char *zone, time_t n, time_t *out)
{
   time_t lo = n - 48 * 3600, hi = n + 48 * 3600, w;

   if (!wall_of(zone, lo, &w) || w >= n || !wall_of(zone, hi, &w) || w <= n) {
      return false;
   }
   while (hi - lo > 1) {
      time_t mid = lo + (hi - lo) / 2;
      if (!wall_of(zone, mid, &w)) {
         return false;
      }
      if (w > n) {
         hi = mid;
      } else {
         lo = mid;
      }
   }
   *out = hi;
   return true;
}

/* The instant at which naive tuple n runs, if it is after `after`: its first occurrence in the
 * local zone (a repeated wall-clock time runs once, so none when that one is past), or the end
 * of the DST gap that swallows it. */
static bool tuple_instant(const char *zone, time_t n, time_t after, time_t *out)
{
   struct tm want;
   bool valid = false;
   time_t first = 0;

   gmtime_r(&n, &want);
   for (int isdst = 0; isdst <= 1; isdst++) {
      struct tm tm = want, got;
      time_t x;
      tm.tm_isdst = isdst;
      if (mb_tz_mktime(zone, &tm, &x) && mb_tz_localtime(zone, x, &got) &&
          got.tm_year == want.tm_year && got.tm_mon == want.tm_mon && got.tm_mday == want.tm_mday &&
          got.tm_hour == want.tm_hour && got.tm_min == want.tm_min && got.tm_sec == want.tm_sec &&
          (!valid || x < first)) {
         first = x;
         valid = true;
      }
   }
   if (!valid && !gap_end(zone, n, &first)) {
      return false;
   }
   *out = first;
   return first > after;
}

bool mb_cron_next_in(const mb_cron_t *c, const char *zone, time_t after, time_t *next,
                     mb_error_t *err)
{
   struct tm tm;
   time_t w, limit, n;

   if (!mb_tz_localtime(zone, after, &tm) || tm.tm_year < 1 - 1900 || tm.tm_year > 9999 - 1900) {
      mb_error_set(err, MB_EXIT_USAGE, "cron: time %lld is outside the years 1-9999",
                   (long long) after);
      return false;
   }
   w = naive(tm.tm_year, tm.tm_mon, tm.tm_mday, tm.tm_hour, tm.tm_min,
             c->has_seconds ? tm.tm_sec + 1 : 60);
   limit = naive(tm.tm_year + SEARCH_YEARS, tm.tm_mon, tm.tm_mday, tm.tm_hour, tm.tm_min, 0);
   while (find_tuple(c, w, limit, &n)) {
      if (tuple_instant(zone, n, after, next)) {
         return true;
      }
      w = n + 1;
   }
   {
      char detail[64];
      snprintf(detail, sizeof detail, "never matches (no run in the next %d years)", SEARCH_YEARS);
      fail_expr(err, c->expr, detail);
   }
   return false;
}

bool mb_cron_next(const mb_cron_t *c, time_t after, time_t *next, mb_error_t *err)
{
   return mb_cron_next_in(c, NULL, after, next, err);
}
