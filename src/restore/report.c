#include "common/redact.h"
#include "restore/engine.h"
#include "common/text.h"

#include <string.h>

static const char *const status_names[] = {"ok",          "partial", "failed", "incomplete",
                                           "not reached", "skipped", "checked"};

const char *mb_restore_status_name(mb_rns_status_t s)
{
   return status_names[s];
}

static const char *type_of(const mb_rplan_ns_t *p)
{
   if (p->action == MB_RPLAN_USERS) {
      return strstr(p->src->collection, "system.roles") ? "roles" : "users";
   }
   if (p->src->kind == MB_NS_OPLOG) {
      return "oplog";
   }
   if (p->is_view) {
      return "view";
   }
   if (p->is_timeseries) {
      return "timeseries";
   }
   return p->src->type[0] ? p->src->type : "collection";
}

static mb_rns_status_t reached_status(const mb_archive_ns_t *src)
{
   return src->state == MB_NS_STATE_UNOPENED ? MB_RNS_NOT_REACHED : MB_RNS_INCOMPLETE;
}

static mb_rns_status_t status_of(const mb_rengine_t *e, int i)
{
   const mb_rplan_ns_t *p = &e->plan->ns[i];
   const mb_rengine_ns_t *s = &e->st[i];
   bool failures = s->failed + s->duplicates + (uint64_t) s->indexes_failed > 0;

   if (p->action == MB_RPLAN_SKIP) {
      return MB_RNS_SKIPPED;
   }
   if (e->o->dry_run) {
      return p->src->state == MB_NS_STATE_CLOSED ? MB_RNS_CHECKED : reached_status(p->src);
   }
   if (s->create_failed) {
      return MB_RNS_FAILED;
   }
   if (!s->finished) {
      return reached_status(p->src);
   }
   if (p->action == MB_RPLAN_USERS && s->restored == 0 && s->failed > 0) {
      return MB_RNS_FAILED;
   }
   return failures ? MB_RNS_PARTIAL : MB_RNS_OK;
}

static void ns_report(const mb_rengine_t *e, int i, mb_restore_ns_report_t *r)
{
   const mb_rplan_ns_t *p = &e->plan->ns[i];
   const mb_rengine_ns_t *s = &e->st[i];

   r->src_ns = bson_strdup(p->src_ns);
   r->dst_ns = p->dst_ns ? bson_strdup(p->dst_ns) : NULL;
   r->type = bson_strdup(type_of(p));
   r->status = status_of(e, i);
   r->note = p->skip_reason ? bson_strdup(p->skip_reason)
             : s->note[0]   ? bson_strdup(s->note)
                            : NULL;
   r->filtered = p->filtered;
   r->created = s->created;
   r->docs_read = p->src->docs;
   r->bytes_read = p->src->bytes;
   r->docs_restored = s->restored;
   r->duplicates = s->duplicates;
   r->failed = s->failed;
   r->indexes = p->nindexes;
   r->indexes_built = s->indexes_built;
   r->indexes_failed = s->indexes_failed;
}

static void copy_warnings(const mb_rengine_t *e, mb_restore_report_t *r)
{
   const char *const *w = mb_archive_reader_warnings(e->reader);
   int n = 0;

   while (w[n]) {
      n++;
   }
   r->warnings = bson_malloc0(sizeof *r->warnings * (size_t) (n + 1));
   for (int i = 0; i < n; i++) {
      r->warnings[i] = bson_strdup(w[i]);
   }
}

mb_restore_report_t *mb_restore_report_build(const mb_rengine_t *e)
{
   const mb_archive_prelude_t *pre = mb_archive_reader_prelude(e->reader);
   mb_restore_report_t *r = bson_malloc0(sizeof *r);

   r->nns = e->plan->nns;
   r->ns = bson_malloc0(sizeof *r->ns * (size_t) (r->nns + 1));
   r->dry_run = e->o->dry_run;
   r->archive_version = bson_strdup(pre->version);
   r->archive_server_version = bson_strdup(pre->server_version);
   r->archive_tool_version = bson_strdup(pre->tool_version);
   r->target = e->client ? bson_strdup(mb_client_display_uri(e->client)) : NULL;
   r->target_server_version = e->client ? bson_strdup(e->topts.server_version) : NULL;
   r->input_bytes = e->o->raw ? e->o->raw->bytes_out : 0;
   r->archive_bytes = mb_archive_reader_offset(e->reader);
   for (int i = 0; i < r->nns; i++) {
      mb_restore_ns_report_t *n = &r->ns[i];
      ns_report(e, i, n);
      r->count[n->status]++;
      if (e->plan->ns[i].action == MB_RPLAN_OPLOG) {
         continue; /* entries, not documents: the oplog_* figures below */
      }
      r->docs_read += n->docs_read;
      r->docs_selected += n->status == MB_RNS_SKIPPED ? 0 : n->docs_read;
      r->docs_restored += n->docs_restored;
      r->duplicates += n->duplicates;
      r->failed += n->failed;
      r->indexes_built += n->indexes_built;
      r->indexes_failed += n->indexes_failed;
   }
   r->oplog_replay = e->o->oplog_replay;
   if (e->replay) {
      r->oplog = *mb_rreplay_stats(e->replay);
   }
   r->seconds = mb_rengine_now() - e->t0;
   copy_warnings(e, r);
   return r;
}

void mb_restore_report_destroy(mb_restore_report_t *r)
{
   if (!r) {
      return;
   }
   for (int i = 0; i < r->nns; i++) {
      bson_free(r->ns[i].src_ns);
      bson_free(r->ns[i].dst_ns);
      bson_free(r->ns[i].type);
      bson_free(r->ns[i].note);
   }
   bson_strfreev(r->warnings);
   bson_free(r->ns);
   bson_free(r->archive_version);
   bson_free(r->archive_server_version);
   bson_free(r->archive_tool_version);
   bson_free(r->target);
   bson_free(r->target_server_version);
   bson_free(r);
}

/* s (escaped for the terminal) left-aligned in width columns, counting characters rather than
 * UTF-8 bytes. */
static void print_padded(FILE *f, const char *s, int width)
{
   char *shown = mb_text_escape_dup(s);
   int chars = 0;

   for (const char *p = shown; *p; p++) {
      chars += ((unsigned char) *p & 0xC0) != 0x80;
   }
   fprintf(f, "%s%*s ", shown, chars < width ? width - chars : 0, "");
   bson_free(shown);
}

static void print_ns_line(FILE *f, const mb_restore_report_t *r, const mb_restore_ns_report_t *n)
{
   uint64_t docs = r->dry_run ? n->docs_read : n->docs_restored;

   print_padded(f, n->src_ns, 32);
   print_padded(f, n->dst_ns ? n->dst_ns : "-", 32);
   fprintf(f, "%10llu %8llu %8llu %7d  %s\n", (unsigned long long) docs,
           (unsigned long long) n->duplicates, (unsigned long long) n->failed,
           r->dry_run ? n->indexes : n->indexes_built, mb_restore_status_name(n->status));
   if (n->note) {
      fputs("    ", f);
      mb_text_fputs(f, n->note);
      fputc('\n', f);
   }
}

static void print_totals(FILE *f, const mb_restore_report_t *r, int filtered)
{
   char counts[256] = "";
   size_t used = 0;

   for (int s = 0; s <= MB_RNS_CHECKED; s++) {
      if (r->count[s] && used < sizeof counts) {
         used += (size_t) snprintf(counts + used, sizeof counts - used, "%s%d %s", used ? ", " : "",
                                   r->count[s], status_names[s]);
      }
   }
   if (filtered) {
      fprintf(f, "(not listed: %d namespace%s not selected by --ns-include/--ns-exclude)\n",
              filtered, filtered == 1 ? "" : "s");
   }
   if (r->dry_run) {
      fprintf(f,
              "dry run: %d namespaces (%s); %llu documents, %llu bytes read and checked; "
              "nothing was written; %.1f s\n",
              r->nns, counts, (unsigned long long) r->docs_read,
              (unsigned long long) r->archive_bytes, r->seconds);
      return;
   }
   if (r->oplog_replay) {
      char ts[24];
      fprintf(f,
              "oplog: %llu entries applied, %llu skipped, %llu at or after the limit; restored "
              "to %s\n",
              (unsigned long long) r->oplog.applied, (unsigned long long) r->oplog.skipped,
              (unsigned long long) r->oplog.after_limit,
              r->oplog.any ? mb_oplog_ts_format(r->oplog.last, ts, sizeof ts)
                           : "the collections' state (no entry applied)");
   }
   fprintf(f,
           "%d namespaces (%s); %llu documents read, %llu restored, %llu failed (%llu "
           "duplicate keys); %d indexes built, %d failed; %.1f s\n",
           r->nns, counts, (unsigned long long) r->docs_selected,
           (unsigned long long) r->docs_restored, (unsigned long long) (r->failed + r->duplicates),
           (unsigned long long) r->duplicates, r->indexes_built, r->indexes_failed, r->seconds);
}

void mb_restore_report_print_text(FILE *f, const mb_restore_report_t *r)
{
   int filtered = 0;

   fprintf(f, "%-32s %-32s %10s %8s %8s %7s  %s\n", "NAMESPACE", "TARGET",
           r->dry_run ? "DOCUMENTS" : "RESTORED", "DUPKEYS", "FAILED", "INDEXES", "STATUS");
   for (int i = 0; i < r->nns; i++) {
      if (r->ns[i].filtered) {
         filtered++;
         continue;
      }
      print_ns_line(f, r, &r->ns[i]);
   }
   for (int i = 0; r->warnings[i]; i++) {
      fputs("warning: ", f);
      mb_text_fputs(f, r->warnings[i]);
      fputc('\n', f);
   }
   print_totals(f, r, filtered);
}

static void json_ns(bson_t *arr, int i, const mb_restore_ns_report_t *n)
{
   bson_t d;

   mb_text_array_begin_document(arr, (uint32_t) i, &d);
   BSON_APPEND_UTF8(&d, "source", n->src_ns);
   mb_text_append_utf8_or_null(&d, "target", n->dst_ns);
   BSON_APPEND_UTF8(&d, "type", n->type);
   BSON_APPEND_UTF8(&d, "status", mb_restore_status_name(n->status));
   mb_text_append_utf8_or_null(&d, "note", n->note);
   BSON_APPEND_BOOL(&d, "created", n->created);
   BSON_APPEND_INT64(&d, "documents_read", (int64_t) n->docs_read);
   BSON_APPEND_INT64(&d, "bytes_read", (int64_t) n->bytes_read);
   BSON_APPEND_INT64(&d, "documents_restored", (int64_t) n->docs_restored);
   BSON_APPEND_INT64(&d, "duplicates", (int64_t) n->duplicates);
   BSON_APPEND_INT64(&d, "failures", (int64_t) n->failed);
   BSON_APPEND_INT32(&d, "indexes", n->indexes);
   BSON_APPEND_INT32(&d, "indexes_built", n->indexes_built);
   BSON_APPEND_INT32(&d, "indexes_failed", n->indexes_failed);
   bson_append_document_end(arr, &d);
}

static void json_totals(bson_t *out, const mb_restore_report_t *r)
{
   bson_t t, c;

   BSON_APPEND_DOCUMENT_BEGIN(out, "totals", &t);
   BSON_APPEND_INT32(&t, "namespaces", r->nns);
   BSON_APPEND_DOCUMENT_BEGIN(&t, "by_status", &c);
   for (int s = 0; s <= MB_RNS_CHECKED; s++) {
      BSON_APPEND_INT32(&c, status_names[s], r->count[s]);
   }
   bson_append_document_end(&t, &c);
   BSON_APPEND_INT64(&t, "documents_read", (int64_t) r->docs_read);
   BSON_APPEND_INT64(&t, "documents_selected", (int64_t) r->docs_selected);
   BSON_APPEND_INT64(&t, "documents_restored", (int64_t) r->docs_restored);
   BSON_APPEND_INT64(&t, "duplicates", (int64_t) r->duplicates);
   BSON_APPEND_INT64(&t, "failures", (int64_t) r->failed);
   BSON_APPEND_INT32(&t, "indexes_built", r->indexes_built);
   BSON_APPEND_INT32(&t, "indexes_failed", r->indexes_failed);
   BSON_APPEND_INT64(&t, "input_bytes", (int64_t) r->input_bytes);
   BSON_APPEND_INT64(&t, "archive_bytes", (int64_t) r->archive_bytes);
   bson_append_document_end(out, &t);
   if (r->oplog_replay) {
      bson_t o, k;
      char ts[24];
      BSON_APPEND_DOCUMENT_BEGIN(out, "oplog", &o);
      BSON_APPEND_INT64(&o, "entries", (int64_t) r->oplog.entries);
      BSON_APPEND_INT64(&o, "applied", (int64_t) r->oplog.applied);
      BSON_APPEND_INT64(&o, "skipped", (int64_t) r->oplog.skipped);
      BSON_APPEND_INT64(&o, "after_limit", (int64_t) r->oplog.after_limit);
      BSON_APPEND_INT64(&o, "operations", (int64_t) r->oplog.ops);
      BSON_APPEND_DOCUMENT_BEGIN(&o, "operations_by_kind", &k);
      for (int i = 0; i < MB_ROPLOG_NKINDS; i++) {
         BSON_APPEND_INT64(&k, mb_roplog_kind_name((mb_roplog_kind_t) i),
                           (int64_t) r->oplog.ops_by_kind[i]);
      }
      bson_append_document_end(&o, &k);
      mb_text_append_utf8_or_null(&o, "restored_to",
                                  r->oplog.any ? mb_oplog_ts_format(r->oplog.last, ts, sizeof ts)
                                               : NULL);
      bson_append_document_end(out, &o);
   }
}

static void json_head(bson_t *out, const mb_restore_report_t *r, const char *archive,
                      const char *compression, const mb_error_t *failure)
{
   bson_t a;

   BSON_APPEND_BOOL(out, "ok", failure == NULL);
   BSON_APPEND_INT32(out, "exit_code", failure ? (int32_t) mb_error_exit_code(failure) : 0);
   mb_text_append_utf8_or_null(out, "error", failure ? failure->message : NULL);
   BSON_APPEND_BOOL(out, "dry_run", r ? r->dry_run : false);
   BSON_APPEND_DOCUMENT_BEGIN(out, "archive", &a);
   BSON_APPEND_UTF8(&a, "path", archive);
   BSON_APPEND_UTF8(&a, "compression", compression);
   mb_text_append_utf8_or_null(&a, "format_version", r ? r->archive_version : NULL);
   mb_text_append_utf8_or_null(&a, "server_version", r ? r->archive_server_version : NULL);
   mb_text_append_utf8_or_null(&a, "tool_version", r ? r->archive_tool_version : NULL);
   bson_append_document_end(out, &a);
   mb_text_append_utf8_or_null(out, "target", r ? r->target : NULL);
   mb_text_append_utf8_or_null(out, "target_server_version", r ? r->target_server_version : NULL);
}

void mb_restore_report_print_json(FILE *f, const mb_restore_report_t *r, const char *archive,
                                  const char *compression, const mb_error_t *failure)
{
   bson_t out = BSON_INITIALIZER, arr;
   char *json, *masked;

   json_head(&out, r, archive, compression, failure);
   BSON_APPEND_ARRAY_BEGIN(&out, "namespaces", &arr);
   for (int i = 0; r && i < r->nns; i++) {
      json_ns(&arr, i, &r->ns[i]);
   }
   bson_append_array_end(&out, &arr);
   if (r) {
      json_totals(&out, r);
   }
   mb_text_append_strings(&out, "warnings", r ? (const char *const *) r->warnings : NULL);
   BSON_APPEND_INT64(&out, "milliseconds", r ? (int64_t) (r->seconds * 1000.0) : 0);
   json = mb_text_json(&out, NULL);
   masked = mb_redact_dup(json); /* the target, the error: no secret in any form */
   fprintf(f, "%s\n", masked);
   bson_free(masked);
   bson_free(json);
   bson_destroy(&out);
}
