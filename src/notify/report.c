#include "notify/report.h"

#include "common/log.h"
#include "common/text.h"
#include "common/tz.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A copy of s with every registered secret masked; NULL stays NULL. */
static char *masked_copy(const char *s)
{
   size_t n;
   char *c;

   if (!s) {
      return NULL;
   }
   n = strlen(s) + 1;
   c = bson_malloc(n);
   memcpy(c, s, n);
   mb_log_mask_secrets(c, n);
   return c;
}

static void replace(char **field, const char *value)
{
   bson_free(*field);
   *field = masked_copy(value);
}

void mb_report_new(mb_report_t **out)
{
   mb_report_t *r = bson_malloc0(sizeof *r);
   char host[256];

   if (gethostname(host, sizeof host) != 0) {
      snprintf(host, sizeof host, "localhost");
   }
   host[sizeof host - 1] = '\0';
   r->host = bson_strdup(host);
   r->timezone = bson_strdup("UTC");
   *out = r;
}

void mb_report_destroy(mb_report_t *r)
{
   if (!r) {
      return;
   }
   mb_ns_stats_array_destroy(r->ns, r->nns);
   bson_free(r->stage);
   bson_free(r->error);
   bson_free(r->host);
   bson_free(r->timezone);
   bson_free(r->archive);
   bson_free(r->compression);
   bson_free(r->stats.oldest_name);
   bson_free(r->stats.newest_name);
   bson_free(r);
}

void mb_report_set_failure(mb_report_t *r, const char *stage, const char *message)
{
   r->status = MB_REPORT_FAILURE;
   replace(&r->stage, stage);
   replace(&r->error, message);
}

void mb_report_set_archive(mb_report_t *r, const char *name, uint64_t bytes,
                           const char *compression)
{
   const char *base = name ? strrchr(name, '/') : NULL;

   replace(&r->archive, base ? base + 1 : name);
   r->archive_bytes = bytes;
   replace(&r->compression, compression);
}

void mb_report_set_timezone(mb_report_t *r, const char *tz)
{
   replace(&r->timezone, tz && *tz ? tz : "UTC");
}

void mb_report_add_ns(mb_report_t *r, const char *db, const char *collection, uint64_t documents,
                      uint64_t bytes, double seconds)
{
   mb_ns_stats_t *n;

   r->ns = bson_realloc(r->ns, (r->nns + 1) * sizeof *r->ns);
   n = &r->ns[r->nns++];
   memset(n, 0, sizeof *n);
   n->db = masked_copy(db ? db : "");
   n->collection = masked_copy(collection ? collection : "");
   n->docs = documents;
   n->bytes = bytes;
   n->seconds = seconds;
}

void mb_report_set_namespaces(mb_report_t *r, const mb_ns_stats_t *ns, size_t n)
{
   mb_ns_stats_array_destroy(r->ns, r->nns);
   r->ns = mb_ns_stats_array_copy(ns, n);
   r->nns = n;
   for (size_t i = 0; i < n; i++) { /* names are a server's: they may quote a secret */
      replace(&r->ns[i].db, ns[i].db ? ns[i].db : "");
      replace(&r->ns[i].collection, ns[i].collection ? ns[i].collection : "");
   }
}

void mb_report_set_stats_range(mb_report_t *r, const char *oldest, int64_t oldest_time,
                               const char *newest, int64_t newest_time)
{
   replace(&r->stats.oldest_name, oldest);
   replace(&r->stats.newest_name, newest);
   r->stats.oldest_time = oldest ? oldest_time : 0;
   r->stats.newest_time = newest ? newest_time : 0;
}

void mb_report_sample(bool failure, const char *tz, mb_report_t **out)
{
   mb_report_t *r;
   int64_t now = (int64_t) time(NULL);

   mb_report_new(&r);
   r->test = true;
   mb_report_set_timezone(r, tz);
   r->started = now - 42;
   r->finished = now;
   r->duration = 41.75;
   mb_report_add_ns(r, "shop", "orders", 120000, 48000000, 21.5);
   mb_report_add_ns(r, "shop", "customers", 5300, 2120000, 3.25);
   mb_report_add_ns(r, "analytics", "events", 880000, 176000000, 16.0);
   for (size_t i = 0; i < r->nns; i++) {
      r->documents += r->ns[i].docs;
      r->bytes_in += r->ns[i].bytes;
   }
   r->stats.present = true;
   r->stats.total_backups = 7;
   r->stats.storage_bytes = 7ull * 52000000ull;
   mb_report_set_stats_range(r, "backup-2024-01-01-00-00-00.archive.zst", 1704067200,
                             "backup-2024-01-07-00-00-00.archive.zst", 1704585600);
   r->stats.successes = 41;
   r->stats.failures = 1;
   r->stats.last_duration = 40.5;
   r->stats.average_duration = 39.0;
   if (failure) {
      mb_report_set_failure(r, "dump",
                            "the server went away during the dump of shop.orders (sample report)");
      r->duration = 12.5;
      r->started = now - 13;
   } else {
      mb_report_set_archive(r, "backup-2024-01-08-00-00-00.archive.zst", 52000000, "zstd");
      r->bytes_out = r->archive_bytes;
   }
   *out = r;
}

size_t mb_report_slowest(const mb_report_t *r, size_t *idx, size_t max)
{
   size_t n = 0;

   /* insertion into a short sorted list: max is small */
   for (size_t i = 0; i < r->nns; i++) {
      size_t pos = n;
      while (pos > 0 && r->ns[idx[pos - 1]].seconds < r->ns[i].seconds) {
         pos--;
      }
      if (pos >= max) {
         continue;
      }
      if (n < max) {
         n++;
      }
      memmove(idx + pos + 1, idx + pos, (n - 1 - pos) * sizeof *idx);
      idx[pos] = i;
   }
   return n;
}

double mb_report_success_rate(const mb_report_t *r)
{
   uint64_t runs = r->stats.successes + r->stats.failures;

   return runs ? 100.0 * (double) r->stats.successes / (double) runs : -1.0;
}

double mb_report_ratio(const mb_report_t *r)
{
   return r->bytes_out ? (double) r->bytes_in / (double) r->bytes_out : 0.0;
}

static void append_time(bson_t *b, const char *key, int64_t t)
{
   char buf[40];

   if (t > 0) {
      mb_report_format_iso(t, buf, sizeof buf);
      bson_append_utf8(b, key, -1, buf, -1);
   } else {
      bson_append_null(b, key, -1);
   }
}

static void append_ns(bson_t *b, const char *key, const mb_ns_stats_t *n)
{
   bson_t d;

   bson_append_document_begin(b, key, -1, &d);
   mb_ns_stats_append(n, MB_NS_STATS_SECONDS, &d);
   bson_append_document_end(b, &d);
}

static void append_namespaces(const mb_report_t *r, bson_t *out)
{
   bson_t arr;
   char key[16];
   const char *k;
   size_t idx[5], n;

   mb_ns_stats_append_array(out, "namespaces", r->ns, r->nns, MB_NS_STATS_SECONDS);
   n = mb_report_slowest(r, idx, 5);
   BSON_APPEND_ARRAY_BEGIN(out, "slowest", &arr);
   for (size_t i = 0; i < n; i++) {
      bson_uint32_to_string((uint32_t) i, &k, key, sizeof key);
      append_ns(&arr, k, &r->ns[idx[i]]);
   }
   bson_append_array_end(out, &arr);
}

static void append_stats(const mb_report_t *r, bson_t *out)
{
   const mb_report_stats_t *s = &r->stats;
   double rate = mb_report_success_rate(r);
   bson_t d;

   if (!s->present) {
      BSON_APPEND_NULL(out, "statistics");
      return;
   }
   BSON_APPEND_DOCUMENT_BEGIN(out, "statistics", &d);
   BSON_APPEND_INT64(&d, "total_backups", (int64_t) s->total_backups);
   BSON_APPEND_INT64(&d, "storage_bytes", (int64_t) s->storage_bytes);
   mb_text_append_utf8_or_null(&d, "oldest_backup", s->oldest_name);
   append_time(&d, "oldest_time", s->oldest_name ? s->oldest_time : 0);
   mb_text_append_utf8_or_null(&d, "newest_backup", s->newest_name);
   append_time(&d, "newest_time", s->newest_name ? s->newest_time : 0);
   BSON_APPEND_INT64(&d, "successes", (int64_t) s->successes);
   BSON_APPEND_INT64(&d, "failures", (int64_t) s->failures);
   if (rate >= 0) {
      BSON_APPEND_DOUBLE(&d, "success_rate", rate);
   } else {
      BSON_APPEND_NULL(&d, "success_rate");
   }
   BSON_APPEND_DOUBLE(&d, "last_duration_seconds", mb_ns_stats_round_seconds(s->last_duration));
   BSON_APPEND_DOUBLE(&d, "average_duration_seconds",
                      mb_ns_stats_round_seconds(s->average_duration));
   bson_append_document_end(out, &d);
}

void mb_report_to_bson(const mb_report_t *r, bson_t *out)
{
   char summary[1024], local[128];
   bson_t d;

   bson_init(out);
   mb_report_summary(r, summary, sizeof summary);
   BSON_APPEND_UTF8(out, "text", summary); /* what Slack-compatible receivers show */
   BSON_APPEND_UTF8(out, "tool", "mongobak");
   BSON_APPEND_UTF8(out, "version", MONGOBAK_VERSION);
   BSON_APPEND_BOOL(out, "test", r->test);
   BSON_APPEND_UTF8(out, "status", r->status == MB_REPORT_SUCCESS ? "success" : "failure");
   mb_text_append_utf8_or_null(out, "stage", r->status == MB_REPORT_FAILURE ? r->stage : NULL);
   mb_text_append_utf8_or_null(out, "error", r->status == MB_REPORT_FAILURE ? r->error : NULL);
   BSON_APPEND_UTF8(out, "host", r->host);
   append_time(out, "started_at", r->started);
   append_time(out, "finished_at", r->finished);
   BSON_APPEND_UTF8(out, "timezone", r->timezone);
   mb_report_format_local(r->finished, r->timezone, local, sizeof local);
   BSON_APPEND_UTF8(out, "finished_local", local);
   BSON_APPEND_DOUBLE(out, "duration_seconds", mb_ns_stats_round_seconds(r->duration));
   BSON_APPEND_DOCUMENT_BEGIN(out, "archive", &d);
   mb_text_append_utf8_or_null(&d, "name", r->archive);
   BSON_APPEND_INT64(&d, "size", (int64_t) r->archive_bytes);
   mb_text_append_utf8_or_null(&d, "compression", r->compression);
   BSON_APPEND_INT64(&d, "bytes_in", (int64_t) r->bytes_in);
   BSON_APPEND_INT64(&d, "bytes_out", (int64_t) r->bytes_out);
   BSON_APPEND_DOUBLE(&d, "ratio", mb_report_ratio(r));
   bson_append_document_end(out, &d);
   BSON_APPEND_INT64(out, "documents", (int64_t) r->documents);
   append_namespaces(r, out);
   append_stats(r, out);
}

char *mb_report_to_json(const mb_report_t *r)
{
   bson_t b;
   char *json;

   mb_report_to_bson(r, &b);
   json = mb_text_json(&b, NULL);
   bson_destroy(&b);
   return json;
}

void mb_report_summary(const mb_report_t *r, char *buf, size_t size)
{
   char dur[32], bytes[32], docs[32];

   mb_report_format_duration(r->duration, dur, sizeof dur);
   if (r->status == MB_REPORT_FAILURE) {
      snprintf(buf, size, "%sbackup FAILED on %s at stage %s after %s: %s",
               r->test ? "[test] " : "", r->host, r->stage ? r->stage : "unknown", dur,
               r->error ? r->error : "unknown error");
      return;
   }
   mb_report_format_bytes(r->archive_bytes, bytes, sizeof bytes);
   mb_report_format_count(r->documents, docs, sizeof docs);
   snprintf(buf, size, "%sbackup succeeded on %s: %s, %s, %s documents in %s",
            r->test ? "[test] " : "", r->host, r->archive ? r->archive : "(no archive)", bytes,
            docs, dur);
}

/* t in UTC as date, sep, time and suffix: the two spellings below differ only there. */
static void format_gmt(int64_t t, char sep, const char *suffix, char *buf, size_t size)
{
   time_t tt = (time_t) t;
   struct tm tm;

   gmtime_r(&tt, &tm);
   snprintf(buf, size, "%04d-%02d-%02d%c%02d:%02d:%02d%s", tm.tm_year + 1900, tm.tm_mon + 1,
            tm.tm_mday, sep, tm.tm_hour, tm.tm_min, tm.tm_sec, suffix);
}

void mb_report_format_utc(int64_t t, char *buf, size_t size)
{
   format_gmt(t, ' ', " UTC", buf, size);
}

void mb_report_format_iso(int64_t t, char *buf, size_t size)
{
   format_gmt(t, 'T', "Z", buf, size);
}

void mb_report_format_local(int64_t t, const char *tz, char *buf, size_t size)
{
   char local[96];

   if (!tz || strcmp(tz, "UTC") == 0 || !mb_tz_valid(tz)) {
      mb_report_format_utc(t, buf, size);
      return;
   }
   mb_tz_format(tz, (time_t) t, "%Y-%m-%d %H:%M:%S %Z", local, sizeof local);
   snprintf(buf, size, "%s (%s)", local, tz);
}

void mb_report_format_bytes(uint64_t bytes, char *buf, size_t size)
{
   static const char *units[] = {"kB", "MB", "GB", "TB", "PB", "EB"};
   double v = (double) bytes;
   int u = -1;

   if (bytes < 1000) {
      snprintf(buf, size, "%llu B", (unsigned long long) bytes);
      return;
   }
   while (v >= 1000.0 && u < 5) {
      v /= 1000.0;
      u++;
   }
   snprintf(buf, size, v < 10 ? "%.2f %s" : v < 100 ? "%.1f %s" : "%.0f %s", v, units[u]);
}

void mb_report_format_duration(double seconds, char *buf, size_t size)
{
   long s;

   if (seconds < 0) {
      seconds = 0;
   }
   s = (long) (seconds + 0.5);
   if (seconds < 1.0) {
      snprintf(buf, size, "%d ms", (int) (seconds * 1000.0 + 0.5));
   } else if (seconds < 60.0) {
      snprintf(buf, size, "%.1f s", seconds);
   } else if (s < 3600) {
      snprintf(buf, size, "%ld min %02ld s", s / 60, s % 60);
   } else {
      snprintf(buf, size, "%ld h %02ld min", s / 3600, (s % 3600) / 60);
   }
}

void mb_report_format_count(uint64_t n, char *buf, size_t size)
{
   char digits[32], out[48];
   int len = snprintf(digits, sizeof digits, "%llu", (unsigned long long) n);
   int o = 0;

   for (int i = 0; i < len; i++) {
      if (i > 0 && (len - i) % 3 == 0) {
         out[o++] = ',';
      }
      out[o++] = digits[i];
   }
   out[o] = '\0';
   snprintf(buf, size, "%s", out);
}
