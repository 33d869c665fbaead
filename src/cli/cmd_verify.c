/* mongobak verify: read a whole archive and check everything mongorestore checks. */
#include "cli/commands.h"
#include "common/text.h"

#include <string.h>

static const char *ns_status(const mb_archive_ns_t *n)
{
   switch (n->state) {
   case MB_NS_STATE_CLOSED:
      return "ok";
   case MB_NS_STATE_OPEN:
      return "incomplete";
   default:
      return "not reached";
   }
}

static void print_text(const char *path, mb_compress_t kind, const mb_archive_reader_t *r,
                       uint64_t raw_bytes, bool quiet, const mb_error_t *failure)
{
   const mb_archive_prelude_t *p = r ? mb_archive_reader_prelude(r) : NULL;
   const char *const *w;
   uint64_t docs = 0, bytes = 0;
   int n = r ? mb_archive_reader_ns_count(r) : 0, nwarnings = 0;

   for (int i = 0; i < n; i++) {
      docs += mb_archive_reader_ns(r, i)->docs;
      bytes += mb_archive_reader_ns(r, i)->bytes;
   }
   if (!quiet && p) {
      char v[3][128];
      printf("archive      %s\n", path);
      printf("compression  %s, %llu bytes read, %llu bytes of archive stream\n",
             mb_compress_name(kind), (unsigned long long) raw_bytes,
             (unsigned long long) mb_archive_reader_offset(r));
      printf("format       %s, server %s, tool %s, concurrent_collections %d\n\n",
             mb_text_escape(p->version, v[0], sizeof v[0]),
             mb_text_escape(p->server_version, v[1], sizeof v[1]),
             mb_text_escape(p->tool_version, v[2], sizeof v[2]), (int) p->concurrent_collections);
      printf("%-40s %12s %14s %-18s %s\n", "NAMESPACE", "DOCUMENTS", "BYTES", "CRC-64", "STATUS");
      for (int i = 0; i < n; i++) {
         const mb_archive_ns_t *ns = mb_archive_reader_ns(r, i);
         char name[512], shown[512];
         snprintf(name, sizeof name, "%s.%s", ns->db, ns->collection);
         printf("%-40s %12llu %14llu 0x%016llx %s\n", mb_text_escape(name, shown, sizeof shown),
                (unsigned long long) ns->docs, (unsigned long long) ns->bytes,
                (unsigned long long) ns->crc, ns_status(ns));
      }
      putchar('\n');
   }
   for (w = r ? mb_archive_reader_warnings(r) : NULL; w && *w; w++) {
      fputs("warning: ", stdout);
      mb_text_fputs(stdout, *w);
      putchar('\n');
      nwarnings++;
   }
   if (failure) {
      /* the details are the error line on stderr */
      printf("verdict: %s (exit %d)\n",
             mb_error_exit_code(failure) == MB_EXIT_NOT_ARCHIVE ? "NOT AN ARCHIVE"
             : mb_error_exit_code(failure) == MB_EXIT_CORRUPT   ? "CORRUPT"
                                                                : "FAILED",
             (int) mb_error_exit_code(failure));
   } else {
      printf("verdict: OK: %d namespaces, %llu documents, %llu bytes; every CRC matches%s\n", n,
             (unsigned long long) docs, (unsigned long long) bytes,
             nwarnings ? "; see the warnings above" : "");
   }
}

static void print_json(const char *path, mb_compress_t kind, const mb_archive_reader_t *r,
                       uint64_t raw_bytes, const mb_error_t *failure)
{
   bson_t out = BSON_INITIALIZER, arr, item;
   uint64_t docs = 0, bytes = 0;
   int n = r ? mb_archive_reader_ns_count(r) : 0;

   BSON_APPEND_UTF8(&out, "file", path);
   BSON_APPEND_BOOL(&out, "sound", failure == NULL);
   BSON_APPEND_INT32(&out, "exit_code", failure ? (int32_t) mb_error_exit_code(failure) : 0);
   mb_text_append_utf8_or_null(&out, "error", failure ? failure->message : NULL);
   BSON_APPEND_UTF8(&out, "compression", mb_compress_name(kind));
   BSON_APPEND_INT64(&out, "compressed_bytes", (int64_t) raw_bytes);
   BSON_APPEND_INT64(&out, "archive_bytes", r ? (int64_t) mb_archive_reader_offset(r) : 0);
   if (r) {
      mb_archive_prelude_append(mb_archive_reader_prelude(r), "header", &out);
   }
   BSON_APPEND_ARRAY_BEGIN(&out, "namespaces", &arr);
   for (int i = 0; i < n; i++) {
      const mb_archive_ns_t *ns = mb_archive_reader_ns(r, i);
      mb_ns_stats_t stats = {.db = ns->db,
                             .collection = ns->collection,
                             .type = ns->type,
                             .docs = ns->docs,
                             .bytes = ns->bytes,
                             .crc = ns->crc}; /* borrowed strings */
      mb_text_array_begin_document(&arr, (uint32_t) i, &item);
      mb_ns_stats_append(&stats, MB_NS_STATS_TYPE | MB_NS_STATS_CRC, &item);
      BSON_APPEND_UTF8(&item, "status", ns_status(ns));
      bson_append_document_end(&arr, &item);
      docs += ns->docs;
      bytes += ns->bytes;
   }
   bson_append_array_end(&out, &arr);
   BSON_APPEND_INT64(&out, "documents", (int64_t) docs);
   BSON_APPEND_INT64(&out, "bytes", (int64_t) bytes);
   mb_text_append_strings(&out, "warnings", r ? mb_archive_reader_warnings(r) : NULL);
   mb_cli_print_json(stdout, &out);
   bson_destroy(&out);
}

int mb_cmd_verify(const mb_args_t *args)
{
   mb_archive_reader_opts_t opts = {.validate_bson = true};
   mb_archive_reader_t *r = NULL;
   mb_source_t *src = NULL, *raw = NULL;
   mb_crypt_key_t *key = NULL;
   mb_compress_t kind = MB_COMPRESS_NONE;
   mb_archive_event_t ev;
   mb_error_t err;
   const char **pos;
   bool ok, encrypted = false;
   char tail[4096];
   size_t got = 0;
   int rc = MB_EXIT_OK;

   if (mb_args_positional(args, &pos) != 1) {
      mb_error_set(&err, MB_EXIT_USAGE, "give exactly one archive file (or - for stdin)");
      return mb_cli_fail("verify", &err);
   }
   /* the metadata first: restore refuses it before it reads any data */
   ok = mb_cli_crypt_key(args, &key, &err) &&
        mb_cli_open_archive(pos[0], key, false, &src, &raw, &kind, &encrypted, &err) &&
        mb_archive_reader_open(src, &opts, &r, &err) && mb_archive_reader_check_metadata(r, &err);
   while (ok) {
      ok = mb_archive_reader_next(r, &ev, &err);
      if (ok && ev.kind == MB_ARCHIVE_EV_END) {
         break;
      }
   }
   /* an encrypted file's last chunk (and its final tag) is checked at its end */
   while (ok && encrypted && (ok = mb_source_read(src, tail, sizeof tail, &got, &err)) && got > 0) {
   }
   if (!ok && !src && !r &&
       (encrypted || mb_error_exit_code(&err) == MB_EXIT_IO ||
        mb_error_exit_code(&err) == MB_EXIT_USAGE)) {
      mb_crypt_key_destroy(key);
      return mb_cli_fail("verify", &err); /* the file could not be opened: nothing to report */
   }
   if (mb_args_flag(args, "json")) {
      print_json(pos[0], kind, r, raw ? raw->bytes_out : 0, ok ? NULL : &err);
   } else {
      print_text(pos[0], kind, r, raw ? raw->bytes_out : 0, mb_args_flag(args, "quiet"),
                 ok ? NULL : &err);
   }
   if (!ok) {
      rc = mb_cli_fail("verify", &err);
   }
   mb_archive_reader_destroy(r);
   mb_source_destroy(src);
   mb_crypt_key_destroy(key);
   return rc;
}
