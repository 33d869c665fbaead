#include "notify/discord.h"

#include "common/text.h"
#include "notify/webhook.h"

#include <stdio.h>
#include <string.h>

#define MAX_TITLE 256
#define MAX_DESCRIPTION 4096
#define MAX_FIELD_NAME 256
#define MAX_FIELD_VALUE 1024
#define MAX_FIELDS 25
#define SLOWEST 3

typedef struct {
   bson_t fields;
   int n;
} fields_t;

/* Append s, cut to at most max characters (code points) with "…" at the end when cut. */
static void append_cut(bson_t *b, const char *key, const char *s, size_t max)
{
   size_t chars = 0, i = 0, keep = 0;

   for (; s[i]; i++) {
      if (((unsigned char) s[i] & 0xC0) != 0x80) {
         if (chars == max - 1) {
            keep = i; /* where "…" would go */
         }
         chars++;
      }
   }
   if (chars <= max) {
      bson_append_utf8(b, key, -1, s, -1);
   } else {
      char *cut = bson_strdup_printf("%.*s\xe2\x80\xa6", (int) keep, s);
      bson_append_utf8(b, key, -1, cut, -1);
      bson_free(cut);
   }
}

static void field(fields_t *f, const char *name, const char *value, bool inl)
{
   bson_t d;

   if (f->n >= MAX_FIELDS || !value || !*value) {
      return;
   }
   mb_text_array_begin_document(&f->fields, (uint32_t) f->n++, &d);
   append_cut(&d, "name", name, MAX_FIELD_NAME);
   append_cut(&d, "value", value, MAX_FIELD_VALUE);
   BSON_APPEND_BOOL(&d, "inline", inl);
   bson_append_document_end(&f->fields, &d);
}

/* t in UTC, and in the report's zone on a second line unless that is UTC. */
static void format_time(const mb_report_t *r, int64_t t, char *v, size_t size)
{
   char utc[64], local[128];

   mb_report_format_utc(t, utc, sizeof utc);
   if (strcmp(r->timezone, "UTC") != 0) {
      mb_report_format_local(t, r->timezone, local, sizeof local);
      snprintf(v, size, "%s\n%s", utc, local);
   } else {
      snprintf(v, size, "%s", utc);
   }
}

static void time_fields(fields_t *f, const mb_report_t *r)
{
   char v[256], dur[32];

   format_time(r, r->started, v, sizeof v);
   field(f, "Started", v, true);
   format_time(r, r->finished, v, sizeof v);
   field(f, "Finished", v, true);
   mb_report_format_duration(r->duration, dur, sizeof dur);
   field(f, "Duration", dur, true);
}

/* "name\n(time)" of the oldest or newest backup; nothing when there is none. */
static void backup_field(fields_t *f, const mb_report_t *r, const char *title, const char *name,
                         int64_t t)
{
   char v[700], when[256];

   if (!name) {
      return;
   }
   format_time(r, t, when, sizeof when);
   snprintf(v, sizeof v, "%s\n%s", name, when);
   field(f, title, v, false);
}

static void success_fields(fields_t *f, const mb_report_t *r)
{
   char v[1100], a[32], b[32];
   size_t idx[SLOWEST], n = mb_report_slowest(r, idx, SLOWEST), o = 0;

   field(f, "Archive", r->archive ? r->archive : "(none)", false);
   mb_report_format_bytes(r->archive_bytes, a, sizeof a);
   if (mb_report_ratio(r) > 0) {
      snprintf(v, sizeof v, "%s (%s, ratio %.2f)", a, r->compression ? r->compression : "none",
               mb_report_ratio(r));
   } else {
      snprintf(v, sizeof v, "%s (%s)", a, r->compression ? r->compression : "none");
   }
   field(f, "Size", v, true);
   mb_report_format_bytes(r->bytes_in, a, sizeof a);
   snprintf(v, sizeof v, "%s of BSON", a);
   field(f, "Data read", v, true);
   mb_report_format_count(r->documents, a, sizeof a);
   snprintf(v, sizeof v, "%s in %zu collections", a, r->nns);
   field(f, "Documents", v, true);
   v[0] = '\0';
   for (size_t i = 0; i < n && o < sizeof v; i++) {
      const mb_ns_stats_t *ns = &r->ns[idx[i]];
      mb_report_format_duration(ns->seconds, a, sizeof a);
      mb_report_format_bytes(ns->bytes, b, sizeof b);
      o += (size_t) snprintf(v + o, sizeof v - o, "%s%s.%s: %s (%s)", i ? "\n" : "", ns->db,
                             ns->collection, a, b);
   }
   field(f, "Slowest collections", v, false);
}

static void stats_fields(fields_t *f, const mb_report_t *r)
{
   const mb_report_stats_t *s = &r->stats;
   char v[600], a[32], b[32];
   double rate = mb_report_success_rate(r);

   if (!s->present) {
      return;
   }
   mb_report_format_count(s->total_backups, a, sizeof a);
   mb_report_format_bytes(s->storage_bytes, b, sizeof b);
   snprintf(v, sizeof v, "%s (%s)", a, b);
   field(f, "Backups kept", v, true);
   if (rate >= 0) {
      snprintf(v, sizeof v, "%.1f%% (%llu of %llu runs)", rate, (unsigned long long) s->successes,
               (unsigned long long) (s->successes + s->failures));
      field(f, "Success rate", v, true);
   }
   mb_report_format_count(s->successes, a, sizeof a);
   mb_report_format_count(s->failures, b, sizeof b);
   snprintf(v, sizeof v, "%s succeeded, %s failed", a, b);
   field(f, "Runs", v, true);
   mb_report_format_duration(s->last_duration, a, sizeof a);
   mb_report_format_duration(s->average_duration, b, sizeof b);
   snprintf(v, sizeof v, "last %s, average %s", a, b);
   field(f, "Durations", v, true);
   backup_field(f, r, "Oldest backup", s->oldest_name, s->oldest_time);
   backup_field(f, r, "Newest backup", s->newest_name, s->newest_time);
}

char *mb_discord_payload(const mb_report_t *r)
{
   bool ok = r->status == MB_REPORT_SUCCESS;
   bson_t doc = BSON_INITIALIZER, embeds, embed, sub, empty;
   fields_t f = {.n = 0};
   char title[300], ts[40], footer[300];
   char *json;

   snprintf(title, sizeof title, "%s%s Backup %s", r->test ? "[test] " : "",
            ok ? "\xe2\x9c\x85" : "\xe2\x9d\x8c", ok ? "succeeded" : "FAILED");
   BSON_APPEND_ARRAY_BEGIN(&doc, "embeds", &embeds);
   BSON_APPEND_DOCUMENT_BEGIN(&embeds, "0", &embed);
   append_cut(&embed, "title", title, MAX_TITLE);
   if (!ok) {
      append_cut(&embed, "description", r->error ? r->error : "unknown error", MAX_DESCRIPTION);
   }
   BSON_APPEND_INT32(&embed, "color", ok ? MB_DISCORD_GREEN : MB_DISCORD_RED);
   mb_report_format_iso(r->finished, ts, sizeof ts);
   BSON_APPEND_UTF8(&embed, "timestamp", ts);
   bson_append_array_begin(&embed, "fields", -1, &f.fields);
   field(&f, "Status", ok ? "success" : "failure", true);
   field(&f, "Host", r->host, true);
   if (!ok) {
      field(&f, "Stage", r->stage ? r->stage : "unknown", true);
   }
   time_fields(&f, r);
   if (ok) {
      success_fields(&f, r);
   }
   stats_fields(&f, r);
   bson_append_array_end(&embed, &f.fields);
   BSON_APPEND_DOCUMENT_BEGIN(&embed, "footer", &sub);
   snprintf(footer, sizeof footer, "mongobak %s", MONGOBAK_VERSION);
   BSON_APPEND_UTF8(&sub, "text", footer);
   bson_append_document_end(&embed, &sub);
   bson_append_document_end(&embeds, &embed);
   bson_append_array_end(&doc, &embeds);
   /* an error message must never ping @everyone */
   BSON_APPEND_DOCUMENT_BEGIN(&doc, "allowed_mentions", &sub);
   BSON_APPEND_ARRAY_BEGIN(&sub, "parse", &empty);
   bson_append_array_end(&sub, &empty);
   bson_append_document_end(&doc, &sub);
   json = bson_as_relaxed_extended_json(&doc, NULL);
   bson_destroy(&doc);
   return json;
}

bool mb_discord_send(const mb_notify_config_t *c, const mb_report_t *r, mb_http_outcome_t *o,
                     mb_error_t *err)
{
   return mb_webhook_post_json(c, "discord", c->discord_url, mb_discord_payload(r), o, err);
}
