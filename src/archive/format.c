#include "archive/format.h"

#include <bson/bson.h>
#include <ctype.h>
#include <string.h>

mb_ns_kind_t mb_archive_ns_kind(const char *db, const char *collection)
{
   static const char *special[] = {"system.users", "system.roles", "system.version"};

   if (db[0] == '\0' && strcmp(collection, "oplog") == 0) {
      return MB_NS_OPLOG;
   }
   for (int i = 0; i < 3; i++) {
      if ((strcmp(db, "admin") == 0 && strcmp(collection, special[i]) == 0) ||
          (strncmp(collection, "$admin.", 7) == 0 && strcmp(collection + 7, special[i]) == 0)) {
         return MB_NS_SPECIAL;
      }
   }
   return MB_NS_REGULAR;
}

static bool parse_num(const char **p, const char *end, int *out)
{
   long v = 0;
   const char *s = *p;

   if (s >= end || !isdigit((unsigned char) *s)) {
      return false;
   }
   while (s < end && isdigit((unsigned char) *s)) {
      v = v * 10 + (*s - '0');
      if (v > 1000000) {
         return false;
      }
      s++;
   }
   *out = (int) v;
   *p = s;
   return true;
}

bool mb_archive_parse_version(const char *s, int *major, int *minor, int *patch)
{
   const char *end = s + strcspn(s, "-+");
   const char *p = s;

   if (!parse_num(&p, end, major) || p >= end || *p++ != '.' || !parse_num(&p, end, minor) ||
       p >= end || *p++ != '.' || !parse_num(&p, end, patch)) {
      return false;
   }
   return p == end;
}

char *mb_archive_data_collection(const char *collection, const char *type,
                                 const char *server_version)
{
   int maj = 0, min = 0, pat = 0;

   if (type && strcmp(type, "timeseries") == 0) {
      bool new_server =
          mb_archive_parse_version(server_version ? server_version : "", &maj, &min, &pat) &&
          (maj > 8 || (maj == 8 && min >= 3));
      if (!new_server) {
         return bson_strdup_printf("system.buckets.%s", collection);
      }
   }
   return bson_strdup(collection);
}
