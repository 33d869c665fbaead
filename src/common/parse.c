#include "common/parse.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

bool mb_parse_long(const char *s, int base, long min, long max, long *out)
{
   const char *digits = base == 16 ? "0123456789abcdefABCDEF" : "0123456789";
   const char *p = s && base != 16 && (*s == '-' || *s == '+') ? s + 1 : s;
   char *end;
   long v;

   if (!p || !*p || strspn(p, digits) != strlen(p)) {
      return false;
   }
   errno = 0;
   v = strtol(s, &end, base);
   if (errno || *end || v < min || v > max) {
      return false;
   }
   *out = v;
   return true;
}

bool mb_parse_double(const char *s, double min, double max, double *out)
{
   char *end;
   double v;

   if (!s || !*s || strchr(" \t\r\n\f\v", *s)) {
      return false;
   }
   errno = 0;
   v = strtod(s, &end);
   if (errno || end == s || *end || !(v >= min && v <= max)) {
      return false;
   }
   *out = v;
   return true;
}

void mb_parse_int_form(const char *noun, long min, long max, char *buf, size_t size)
{
   snprintf(buf, size, "%s from %ld to %ld", noun ? noun : "a whole number", min, max);
}

static bool fail(const char *name, const char *s, const char *form, mb_error_t *err)
{
   mb_error_set(err, MB_EXIT_USAGE, "%s must be %s, not '%s'", name, form, s ? s : "");
   return false;
}

bool mb_parse_int(const char *name, const char *s, const char *noun, long min, long max, long *out,
                  mb_error_t *err)
{
   char form[128];

   if (mb_parse_long(s, 10, min, max, out)) {
      return true;
   }
   mb_parse_int_form(noun, min, max, form, sizeof form);
   return fail(name, s, form, err);
}

void mb_parse_seconds_form(double min, double max, char *buf, size_t size)
{
   snprintf(buf, size, "a number of seconds from %g to %g", min, max);
}

bool mb_parse_seconds(const char *name, const char *s, double min, double max, long *ms,
                      mb_error_t *err)
{
   char form[128];
   double v;

   if (mb_parse_double(s, min, max, &v)) {
      *ms = (long) (v * 1000.0 + 0.5);
      return true;
   }
   mb_parse_seconds_form(min, max, form, sizeof form);
   return fail(name, s, form, err);
}

bool mb_parse_size(const char *name, const char *s, int64_t *out, mb_error_t *err)
{
   static const char *units = "kmgt";
   char num[64];
   size_t n;
   double v, mult = 1;
   const char *u;

   if (!s) {
      return fail(name, s, MB_PARSE_SIZE_FORM, err);
   }
   n = strlen(s);

   /* the unit: one letter, optionally followed by "B" or "iB" */
   if (n >= 3 && strcmp(s + n - 2, "iB") == 0) {
      n -= 2;
   } else if (n >= 2 && s[n - 1] == 'B') {
      n--;
   }
   if (n >= 1 && (u = strchr(units, s[n - 1] | 0x20)) && strchr("kKmMgGtT", s[n - 1])) {
      mult = (double) (1ull << (10 * (1 + (u - units))));
      n--;
   } else if (n != strlen(s)) {
      return fail(name, s, MB_PARSE_SIZE_FORM, err); /* "B" alone is no unit */
   }
   if (n >= sizeof num) {
      return fail(name, s, MB_PARSE_SIZE_FORM, err);
   }
   memcpy(num, s, n);
   num[n] = '\0';
   if (!mb_parse_double(num, 0, 9.0e18, &v) || v * mult > 9.0e18) {
      return fail(name, s, MB_PARSE_SIZE_FORM, err);
   }
   *out = (int64_t) (v * mult);
   return true;
}

bool mb_parse_bool(const char *name, const char *s, bool *out, mb_error_t *err)
{
   static const char *yes[] = {"true", "1", "yes", "on"}, *no[] = {"false", "0", "no", "off"};

   for (int i = 0; s && i < 4; i++) {
      if (strcasecmp(s, yes[i]) == 0) {
         *out = true;
         return true;
      }
      if (strcasecmp(s, no[i]) == 0) {
         *out = false;
         return true;
      }
   }
   return fail(name, s, MB_PARSE_BOOL_FORM, err);
}
