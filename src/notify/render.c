#include "notify/render.h"

#include "common/log.h"

#include <stdio.h>
#include <string.h>

#define RENDER_MAX (4u << 20) /* a rendered template never exceeds 4 MiB */
#define SLOWEST 5

const char mb_render_default_subject[] =
    "{{#test}}[test] {{/test}}mongobak: backup {{#success}}succeeded{{/success}}"
    "{{#failure}}FAILED at {{stage}}{{/failure}} on {{host}}"
    "{{#success}} ({{archive_size}}, {{duration}}){{/success}}";

const char mb_render_default_text[] =
    "{{title}} on {{host}}\n"
    "\n"
    "{{#test}}\n"
    "This is a test message sent by 'mongobak notify --test'; the figures are samples.\n"
    "\n"
    "{{/test}}\n"
    "Status:      {{status}}\n"
    "{{#failure}}\n"
    "Stage:       {{stage}}\n"
    "Error:       {{error}}\n"
    "{{/failure}}\n"
    "Started:     {{started_utc}}{{#local}} / {{started_local}}{{/local}}\n"
    "Finished:    {{finished_utc}}{{#local}} / {{finished_local}}{{/local}}\n"
    "Duration:    {{duration}}\n"
    "{{#success}}\n"
    "Archive:     {{archive}}\n"
    "Size:        {{archive_size}} ({{compression}}{{#ratio}}, ratio {{ratio}}{{/ratio}})\n"
    "Data read:   {{bytes_in}} of BSON\n"
    "Documents:   {{documents}} in {{collections}} collections\n"
    "{{/success}}\n"
    "{{#has_namespaces}}\n"
    "\n"
    "Collections:\n"
    "{{/has_namespaces}}\n"
    "{{#namespaces}}\n"
    "  {{namespace}}: {{documents}} documents, {{size}}, {{duration}}\n"
    "{{/namespaces}}\n"
    "{{#slowest}}\n"
    "{{#first}}\n"
    "\n"
    "Slowest collections:\n"
    "{{/first}}\n"
    "  {{namespace}}: {{duration}}\n"
    "{{/slowest}}\n"
    "{{#statistics}}\n"
    "\n"
    "Statistics\n"
    "Backups kept:     {{total_backups}} ({{storage_used}})\n"
    "Oldest:           {{oldest_backup}} ({{oldest_time}})\n"
    "Newest:           {{newest_backup}} ({{newest_time}})\n"
    "Runs:             {{successes}} succeeded, {{failures}} failed "
    "(success rate {{success_rate}})\n"
    "Last duration:    {{last_duration}}, average {{average_duration}}\n"
    "{{/statistics}}\n"
    "\n"
    "-- \n"
    "mongobak {{version}}\n";

const char mb_render_default_html[] =
    "<!DOCTYPE html>\n"
    "<html><head><meta charset=\"utf-8\"><title>{{title}}</title></head>\n"
    "<body style=\"font-family:Helvetica,Arial,sans-serif;color:#222;margin:0;padding:16px\">\n"
    "<div style=\"border-left:6px solid {{color}};padding:8px 16px;max-width:720px\">\n"
    "<h2 style=\"margin:0 0 8px 0;color:{{color}}\">{{title}} on {{host}}</h2>\n"
    "{{#test}}\n"
    "<p><em>This is a test message sent by <code>mongobak notify --test</code>; the figures are "
    "samples.</em></p>\n"
    "{{/test}}\n"
    "<table style=\"border-collapse:collapse\" cellpadding=\"4\">\n"
    "{{#failure}}\n"
    "<tr><th align=\"left\">Stage</th><td>{{stage}}</td></tr>\n"
    "<tr><th align=\"left\">Error</th><td><code>{{error}}</code></td></tr>\n"
    "{{/failure}}\n"
    "<tr><th align=\"left\">Started</th><td>{{started_utc}}{{#local}}<br>{{started_local}}"
    "{{/local}}</td></tr>\n"
    "<tr><th align=\"left\">Finished</th><td>{{finished_utc}}{{#local}}<br>{{finished_local}}"
    "{{/local}}</td></tr>\n"
    "<tr><th align=\"left\">Duration</th><td>{{duration}}</td></tr>\n"
    "{{#success}}\n"
    "<tr><th align=\"left\">Archive</th><td>{{archive}}</td></tr>\n"
    "<tr><th align=\"left\">Size</th><td>{{archive_size}} ({{compression}}{{#ratio}}, ratio "
    "{{ratio}}{{/ratio}})</td></tr>\n"
    "<tr><th align=\"left\">Data read</th><td>{{bytes_in}} of BSON</td></tr>\n"
    "<tr><th align=\"left\">Documents</th><td>{{documents}} in {{collections}} collections"
    "</td></tr>\n"
    "{{/success}}\n"
    "</table>\n"
    "{{#has_namespaces}}\n"
    "<h3>Collections</h3>\n"
    "<table style=\"border-collapse:collapse\" cellpadding=\"4\" border=\"1\">\n"
    "<tr><th align=\"left\">Namespace</th><th align=\"right\">Documents</th>"
    "<th align=\"right\">Size</th><th align=\"right\">Time</th></tr>\n"
    "{{#namespaces}}\n"
    "<tr><td>{{namespace}}</td><td align=\"right\">{{documents}}</td>"
    "<td align=\"right\">{{size}}</td><td align=\"right\">{{duration}}</td></tr>\n"
    "{{/namespaces}}\n"
    "</table>\n"
    "{{/has_namespaces}}\n"
    "{{#statistics}}\n"
    "<h3>Statistics</h3>\n"
    "<table style=\"border-collapse:collapse\" cellpadding=\"4\">\n"
    "<tr><th align=\"left\">Backups kept</th><td>{{total_backups}} ({{storage_used}})</td></tr>\n"
    "<tr><th align=\"left\">Oldest</th><td>{{oldest_backup}} ({{oldest_time}})</td></tr>\n"
    "<tr><th align=\"left\">Newest</th><td>{{newest_backup}} ({{newest_time}})</td></tr>\n"
    "<tr><th align=\"left\">Runs</th><td>{{successes}} succeeded, {{failures}} failed "
    "(success rate {{success_rate}})</td></tr>\n"
    "<tr><th align=\"left\">Durations</th><td>last {{last_duration}}, average "
    "{{average_duration}}</td></tr>\n"
    "</table>\n"
    "{{/statistics}}\n"
    "<p style=\"color:#888;font-size:12px\">mongobak {{version}}</p>\n"
    "</div>\n"
    "</body></html>\n";

static void set_bytes(mb_tpl_vars_t *v, const char *name, uint64_t n)
{
   char buf[32];

   mb_report_format_bytes(n, buf, sizeof buf);
   mb_tpl_vars_set(v, name, buf);
}

static void set_count(mb_tpl_vars_t *v, const char *name, uint64_t n)
{
   char buf[32];

   mb_report_format_count(n, buf, sizeof buf);
   mb_tpl_vars_set(v, name, buf);
}

static void set_duration(mb_tpl_vars_t *v, const char *name, double s)
{
   char buf[32];

   mb_report_format_duration(s, buf, sizeof buf);
   mb_tpl_vars_set(v, name, buf);
}

static void set_ns(mb_tpl_vars_t *item, const mb_ns_stats_t *n)
{
   mb_tpl_vars_set(item, "db", n->db);
   mb_tpl_vars_set(item, "collection", n->collection);
   mb_tpl_vars_setf(item, "namespace", "%s.%s", n->db, n->collection);
   set_count(item, "documents", n->docs);
   set_bytes(item, "size", n->bytes);
   mb_tpl_vars_setf(item, "bytes", "%llu", (unsigned long long) n->bytes);
   set_duration(item, "duration", n->seconds);
   mb_tpl_vars_setf(item, "seconds", "%.3f", n->seconds);
}

static void set_times(mb_tpl_vars_t *v, const mb_report_t *r)
{
   char buf[128];

   mb_report_format_utc(r->started, buf, sizeof buf);
   mb_tpl_vars_set(v, "started_utc", buf);
   mb_report_format_utc(r->finished, buf, sizeof buf);
   mb_tpl_vars_set(v, "finished_utc", buf);
   mb_report_format_local(r->started, r->timezone, buf, sizeof buf);
   mb_tpl_vars_set(v, "started_local", buf);
   mb_report_format_local(r->finished, r->timezone, buf, sizeof buf);
   mb_tpl_vars_set(v, "finished_local", buf);
   mb_report_format_iso(r->started, buf, sizeof buf);
   mb_tpl_vars_set(v, "started_iso", buf);
   mb_report_format_iso(r->finished, buf, sizeof buf);
   mb_tpl_vars_set(v, "finished_iso", buf);
   mb_tpl_vars_set(v, "timezone", r->timezone);
   mb_tpl_vars_set(v, "local", strcmp(r->timezone, "UTC") != 0 ? "true" : "");
   set_duration(v, "duration", r->duration);
   mb_tpl_vars_setf(v, "duration_seconds", "%.1f", r->duration);
}

static void set_archive(mb_tpl_vars_t *v, const mb_report_t *r)
{
   double ratio = mb_report_ratio(r);

   mb_tpl_vars_set(v, "archive", r->archive ? r->archive : "");
   set_bytes(v, "archive_size", r->archive_bytes);
   mb_tpl_vars_setf(v, "archive_bytes", "%llu", (unsigned long long) r->archive_bytes);
   mb_tpl_vars_set(v, "compression", r->compression ? r->compression : "none");
   set_bytes(v, "bytes_in", r->bytes_in);
   set_bytes(v, "bytes_out", r->bytes_out);
   if (ratio > 0) {
      mb_tpl_vars_setf(v, "ratio", "%.2f", ratio);
   } else {
      mb_tpl_vars_set(v, "ratio", "");
   }
   set_count(v, "documents", r->documents);
   mb_tpl_vars_setf(v, "collections", "%zu", r->nns);
}

static void set_namespaces(mb_tpl_vars_t *v, const mb_report_t *r)
{
   size_t idx[SLOWEST], n = mb_report_slowest(r, idx, SLOWEST);

   mb_tpl_vars_list(v, "namespaces");
   mb_tpl_vars_list(v, "slowest");
   mb_tpl_vars_set(v, "has_namespaces", r->nns ? "true" : "");
   for (size_t i = 0; i < r->nns; i++) {
      set_ns(mb_tpl_vars_add_item(v, "namespaces"), &r->ns[i]);
   }
   for (size_t i = 0; i < n; i++) {
      mb_tpl_vars_t *item = mb_tpl_vars_add_item(v, "slowest");
      set_ns(item, &r->ns[idx[i]]);
      mb_tpl_vars_set(item, "first", i == 0 ? "true" : "");
   }
}

static void set_stats(mb_tpl_vars_t *v, const mb_report_t *r)
{
   const mb_report_stats_t *s = &r->stats;
   double rate = mb_report_success_rate(r);
   char buf[64];

   mb_tpl_vars_set(v, "statistics", s->present ? "true" : "");
   set_count(v, "total_backups", s->total_backups);
   set_bytes(v, "storage_used", s->storage_bytes);
   mb_tpl_vars_set(v, "oldest_backup", s->oldest_name ? s->oldest_name : "none");
   mb_tpl_vars_set(v, "newest_backup", s->newest_name ? s->newest_name : "none");
   mb_report_format_utc(s->oldest_time, buf, sizeof buf);
   mb_tpl_vars_set(v, "oldest_time", s->oldest_name ? buf : "");
   mb_report_format_utc(s->newest_time, buf, sizeof buf);
   mb_tpl_vars_set(v, "newest_time", s->newest_name ? buf : "");
   set_count(v, "successes", s->successes);
   set_count(v, "failures", s->failures);
   if (rate >= 0) {
      mb_tpl_vars_setf(v, "success_rate", "%.1f%%", rate);
   } else {
      mb_tpl_vars_set(v, "success_rate", "n/a");
   }
   set_duration(v, "last_duration", s->last_duration);
   set_duration(v, "average_duration", s->average_duration);
}

void mb_render_vars(const mb_report_t *r, mb_tpl_vars_t **out)
{
   bool ok = r->status == MB_REPORT_SUCCESS;
   mb_tpl_vars_t *v;

   mb_tpl_vars_new(&v);
   mb_tpl_vars_setf(v, "title", "%sBackup %s", r->test ? "[test] " : "",
                    ok ? "succeeded" : "FAILED");
   mb_tpl_vars_set(v, "status", ok ? "success" : "failure");
   mb_tpl_vars_set(v, "success", ok ? "true" : "");
   mb_tpl_vars_set(v, "failure", ok ? "" : "true");
   mb_tpl_vars_set(v, "test", r->test ? "true" : "");
   mb_tpl_vars_set(v, "color", ok ? "#2ECC71" : "#E74C3C");
   mb_tpl_vars_set(v, "host", r->host);
   mb_tpl_vars_set(v, "stage", ok ? "" : r->stage ? r->stage : "unknown");
   mb_tpl_vars_set(v, "error", ok ? "" : r->error ? r->error : "unknown error");
   mb_tpl_vars_set(v, "version", MONGOBAK_VERSION);
   set_times(v, r);
   set_archive(v, r);
   set_namespaces(v, r);
   set_stats(v, r);
   *out = v;
}

/* Line breaks become spaces; leading and trailing blanks go. */
static void one_line(char *s)
{
   size_t n, start = 0;

   for (char *p = s; *p; p++) {
      if (*p == '\r' || *p == '\n' || *p == '\t') {
         *p = ' ';
      }
   }
   n = strlen(s);
   while (n && s[n - 1] == ' ') {
      s[--n] = '\0';
   }
   while (s[start] == ' ') {
      start++;
   }
   memmove(s, s + start, n - start + 1);
}

bool mb_render_template(const mb_report_t *r, const char *tpl, bool html, bool one, char **out,
                        mb_error_t *err)
{
   mb_tpl_vars_t *v = NULL;
   mb_buf_t b;
   bool ok = false;

   mb_buf_init(&b, RENDER_MAX);
   mb_render_vars(r, &v);
   if (!mb_tpl_render(tpl, v, html, true, &b, err) || !mb_buf_append(&b, "", 1, err)) {
      goto cleanup;
   }
   mb_log_mask_secrets((char *) b.data, b.len);
   if (one) {
      one_line((char *) b.data);
   }
   *out = bson_strdup((const char *) b.data);
   ok = true;
cleanup:
   mb_tpl_vars_destroy(v);
   mb_buf_destroy(&b);
   return ok;
}

bool mb_render_validate(const char *tpl, bool html, mb_error_t *err)
{
   bool ok = true;

   for (int failure = 0; failure < 2 && ok; failure++) {
      mb_report_t *r = NULL;
      char *s = NULL;
      mb_report_sample(failure, "UTC", &r);
      ok = mb_render_template(r, tpl, html, false, &s, err);
      bson_free(s);
      mb_report_destroy(r);
   }
   return ok;
}
