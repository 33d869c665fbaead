#include "common/log.h"
#include "common/redact.h"
#include "common/text.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static mb_log_level_t g_level = MB_LOG_INFO;
static bool g_json;
static atomic_bool g_transient;

static const char *level_names[] = {"error", "warn", "info", "debug"};

void mb_log_configure(mb_log_level_t level, bool json)
{
   g_level = level;
   g_json = json;
}

bool mb_log_json_enabled(void)
{
   return g_json;
}

void mb_log_set_json(void)
{
   g_json = true;
}

void mb_log_set_transient_line(bool on)
{
   atomic_store(&g_transient, on);
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
   mb_redact_add_secret(secret);
}

void mb_log_mask_secrets(char *s, size_t size)
{
   mb_redact_text(s, size);
}

void mb_log_mask_uri(const char *uri, char *out, size_t size)
{
   mb_redact_uri(uri, out, size);
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
   char msg[2048], line[4096], ts[40], *full, *masked;
   va_list ap;
   int n;

   if (level > g_level) {
      return;
   }
   /* masked before it is cut to size: a cut must not leave half a secret */
   va_start(ap, fmt);
   full = bson_strdupv_printf(fmt, ap);
   va_end(ap);
   masked = mb_redact_dup(full);
   mb_text_escape(masked, msg, sizeof msg); /* names from archives and servers: no raw controls */
   bson_free(full);
   bson_free(masked);
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
      n = snprintf(line, sizeof line, "%s%s %-5s %s\n", atomic_load(&g_transient) ? "\r\033[K" : "",
                   ts, level_names[level], msg);
   }
   if (n > (int) sizeof line - 1) {
      n = (int) sizeof line - 1;
      line[n - 1] = '\n';
   }
   if (write(STDERR_FILENO, line, (size_t) n) < 0) {
      /* nowhere left to report a failing stderr */
   }
}
