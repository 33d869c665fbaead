#include "common/tz.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define ZONEINFO "/usr/share/zoneinfo/"

/* Guards TZ and the C library's zone state (tzset); held for every conversion. */
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;

static bool is_zone_file(const char *path)
{
   struct stat st;
   char magic[4];
   FILE *f;
   bool ok;

   if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || !(f = fopen(path, "rb"))) {
      return false;
   }
   ok = fread(magic, 1, sizeof magic, f) == sizeof magic && memcmp(magic, "TZif", 4) == 0;
   fclose(f);
   return ok;
}

bool mb_tz_valid(const char *zone)
{
   char path[512];

   if (!zone || !*zone || strstr(zone, "..") || zone[0] == '/') {
      return false;
   }
   if (strcmp(zone, "UTC") == 0) {
      return true; /* no tzdata needed */
   }
   if ((size_t) snprintf(path, sizeof path, ZONEINFO "%s", zone) >= sizeof path) {
      return false;
   }
   return is_zone_file(path);
}

bool mb_tz_set_default(const char *zone)
{
   if (!mb_tz_valid(zone)) {
      return false;
   }
   pthread_mutex_lock(&g_lock);
   setenv("TZ", zone, 1);
   tzset();
   pthread_mutex_unlock(&g_lock);
   return true;
}

/* Under g_lock: switch to zone (NULL: stay), returning what to restore (owned, or NULL). */
static char *enter(const char *zone, bool *had)
{
   const char *old;
   char *saved = NULL;

   *had = false;
   if (!zone) {
      return NULL;
   }
   old = getenv("TZ");
   *had = old != NULL;
   saved = old ? strdup(old) : NULL;
   setenv("TZ", zone, 1);
   tzset();
   return saved;
}

static void leave(const char *zone, char *saved, bool had)
{
   if (!zone) {
      return;
   }
   if (had && saved) {
      setenv("TZ", saved, 1);
   } else {
      unsetenv("TZ");
   }
   tzset();
   free(saved);
}

bool mb_tz_localtime(const char *zone, time_t t, struct tm *out)
{
   bool had, ok;
   char *saved;

   pthread_mutex_lock(&g_lock);
   saved = enter(zone, &had);
   ok = localtime_r(&t, out) != NULL;
   leave(zone, saved, had);
   pthread_mutex_unlock(&g_lock);
   return ok;
}

bool mb_tz_mktime(const char *zone, struct tm *tm, time_t *out)
{
   bool had;
   char *saved;

   pthread_mutex_lock(&g_lock);
   saved = enter(zone, &had);
   *out = mktime(tm);
   leave(zone, saved, had);
   pthread_mutex_unlock(&g_lock);
   return *out != (time_t) -1;
}

void mb_tz_format(const char *zone, time_t t, const char *fmt, char *buf, size_t size)
{
   struct tm tm;
   bool had;
   char *saved;

   if (size == 0) {
      return;
   }
   buf[0] = '\0';
   pthread_mutex_lock(&g_lock);
   saved = enter(zone, &had);
   /* %Z reads the zone's abbreviation: format before TZ goes back */
   if (localtime_r(&t, &tm) && strftime(buf, size, fmt, &tm) == 0) {
      buf[0] = '\0';
   }
   leave(zone, saved, had);
   pthread_mutex_unlock(&g_lock);
}
