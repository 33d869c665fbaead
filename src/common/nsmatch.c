#include "common/nsmatch.h"

#include <stddef.h>

bool mb_ns_match(const char *p, const char *s)
{
   const char *star = NULL, *resume = NULL;

   /* iterative wildcard matching with one backtrack point: linear in practice */
   while (*s) {
      if (*p == '*') {
         star = ++p;
         resume = s;
         continue;
      }
      if (*p == '\\' && p[1]) {
         if (p[1] == *s) {
            p += 2;
            s++;
            continue;
         }
      } else if (*p && *p == *s) {
         p++;
         s++;
         continue;
      }
      if (!star) {
         return false;
      }
      p = star;
      s = ++resume;
   }
   while (*p == '*') {
      p++;
   }
   return *p == '\0';
}
