#include "common/log.h"
#include "common/text.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_SECRETS 16

static mb_log_level_t g_level = MB_LOG_INFO;
static bool g_json;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static char *g_secrets[MAX_SECRETS];
static int g_nsecrets;

static const char *level_names[] = {"error", "warn", "info", "debug"};

void mb_log_configure(mb_log_level_t level, bool json)
{
   g_level = level;
   g_json = json;
}

bool mb_log_level_parse(const char *s, mb_log_level_t *out)
{
   for (int i = 0; i < 4; i++) {
      if (strcmp(s, level_names[i]) == 0) {
         *out = (mb_log_level_t) i;
         return true;
      }
   }
   return false;
}

void mb_log_add_secret(const char *secret)
{
   if (!secret || !*secret) {
      return;
   }
   pthread_mutex_lock(&g_lock);
   if (g_nsecrets < MAX_SECRETS) {
      g_secrets[g_nsecrets++] = bson_strdup(secret);
   }
   pthread_mutex_unlock(&g_lock);
}

void mb_log_mask_secrets(char *s, size_t size)
{
   pthread_mutex_lock(&g_lock);
   for (int i = 0; i < g_nsecrets; i++) {
      size_t slen = strlen(g_secrets[i]);
      char *from = s, *p;
      /* search on after each replacement: a secret like "***" must not match its own mask */
      while ((p = strstr(from, g_secrets[i])) != NULL) {
         size_t tail = strlen(p + slen) + 1;
         if (slen >= 3) {
            memcpy(p, "***", 3);
            memmove(p + 3, p + slen, tail);
            from = p + 3;
         } else if ((size_t) (p - s) + 3 + tail <= size) {
            memmove(p + 3, p + slen, tail);
            memcpy(p, "***", 3);
            from = p + 3;
         } else {
            memset(p, '*', slen);
            from = p + slen;
         }
      }
   }
   pthread_mutex_unlock(&g_lock);
}

void mb_log_mask_uri(const char *uri, char *out, size_t size)
{
   const char *authority = strstr(uri, "://");
   const char *at = NULL, *colon;
   size_t alen;

   snprintf(out, size, "%s", uri);
   if (!authority) {
      return;
   }
   authority += 3;
   /* the user-info ends at the last '@' before the options ('?'): a password may hold a raw
    * '/', an option value (appname=a@b) may hold an '@' */
   alen = strcspn(authority, "?#");
   for (const char *p = authority; p < authority + alen; p++) {
      at = *p == '@' ? p : at;
   }
   if (!at) {
      return;
   }
   colon = memchr(authority, ':', (size_t) (at - authority));
   if (!colon) {
      return;
   }
   snprintf(out, size, "%.*s***%s", (int) (colon + 1 - uri), uri, at);
}

static void timestamp(char *buf, size_t size)
{
   struct timespec ts;
   struct tm tm;

   clock_gettime(CLOCK_REALTIME, &ts);
   gmtime_r(&ts.tv_sec, &tm);
   size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
   snprintf(buf + n, size - n, ".%03dZ", (int) (ts.tv_nsec / 1000000) % 1000);
}

void mb_log(mb_log_level_t level, const char *fmt, ...)
{
   char msg[2048], line[4096], ts[40], raw[2048];
   va_list ap;
   int n;

   if (level > g_level) {
      return;
   }
   va_start(ap, fmt);
   vsnprintf(raw, sizeof raw, fmt, ap);
   va_end(ap);
   mb_log_mask_secrets(raw, sizeof raw);
   mb_text_escape(raw, msg, sizeof msg); /* names from archives and servers: no raw controls */
   timestamp(ts, sizeof ts);
   if (g_json) {
      bson_t doc = BSON_INITIALIZER;
      char *json;
      BSON_APPEND_UTF8(&doc, "time", ts);
      BSON_APPEND_UTF8(&doc, "level", level_names[level]);
      BSON_APPEND_UTF8(&doc, "msg", msg);
      json = bson_as_relaxed_extended_json(&doc, NULL);
      n = snprintf(line, sizeof line, "%s\n", json ? json : "{}");
      bson_free(json);
      bson_destroy(&doc);
   } else {
      n = snprintf(line, sizeof line, "%s %-5s %s\n", ts, level_names[level], msg);
   }
   if (n > (int) sizeof line - 1) {
      n = (int) sizeof line - 1;
      line[n - 1] = '\n';
   }
   if (write(STDERR_FILENO, line, (size_t) n) < 0) {
      /* nowhere left to report a failing stderr */
   }
}
