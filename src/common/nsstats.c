#include "common/nsstats.h"
#include "common/text.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

void mb_ns_stats_clear(mb_ns_stats_t *ns)
{
   bson_free(ns->db);
   bson_free(ns->collection);
   bson_free(ns->type);
   memset(ns, 0, sizeof *ns);
}

void mb_ns_stats_array_destroy(mb_ns_stats_t *ns, size_t n)
{
   for (size_t i = 0; ns && i < n; i++) {
      mb_ns_stats_clear(&ns[i]);
   }
   bson_free(ns);
}

mb_ns_stats_t *mb_ns_stats_array_copy(const mb_ns_stats_t *ns, size_t n)
{
   mb_ns_stats_t *out;

   if (n == 0) {
      return NULL;
   }
   out = bson_malloc0(n * sizeof *out);
   for (size_t i = 0; i < n; i++) {
      out[i] = ns[i];
      out[i].db = bson_strdup(ns[i].db);
      out[i].collection = bson_strdup(ns[i].collection);
      out[i].type = bson_strdup(ns[i].type);
   }
   return out;
}

double mb_ns_stats_round_seconds(double seconds)
{
   double ms = seconds * 1000.0;

   if (!(ms > -9e15 && ms < 9e15)) { /* NaN, or beyond what an int64 holds exactly */
      return seconds;
   }
   return (double) (int64_t) (ms + (ms < 0 ? -0.5 : 0.5)) / 1000.0;
}

void mb_ns_stats_append(const mb_ns_stats_t *ns, unsigned fields, bson_t *doc)
{
   char crc[24];

   snprintf(crc, sizeof crc, "0x%016" PRIx64, ns->crc);
   BSON_APPEND_UTF8(doc, "db", ns->db ? ns->db : "");
   BSON_APPEND_UTF8(doc, "collection", ns->collection ? ns->collection : "");
   if (fields & MB_NS_STATS_TYPE) {
      BSON_APPEND_UTF8(doc, "type", ns->type ? ns->type : "");
   }
   BSON_APPEND_INT64(doc, "documents", (int64_t) ns->docs);
   BSON_APPEND_INT64(doc, "bytes", (int64_t) ns->bytes);
   if (fields & MB_NS_STATS_CRC) {
      BSON_APPEND_UTF8(doc, "crc", crc);
   }
   if (fields & MB_NS_STATS_CRC64) {
      BSON_APPEND_UTF8(doc, "crc64", crc);
   }
   if (fields & MB_NS_STATS_SECONDS) {
      BSON_APPEND_DOUBLE(doc, "seconds", mb_ns_stats_round_seconds(ns->seconds));
   }
   if (ns->oplog) {
      char ts[24], iso[32];
      BSON_APPEND_UTF8(doc, "oplog_start", mb_oplog_ts_format(ns->oplog_start, ts, sizeof ts));
      BSON_APPEND_UTF8(doc, "oplog_end", mb_oplog_ts_format(ns->oplog_end, ts, sizeof ts));
      BSON_APPEND_UTF8(doc, "point_in_time", mb_oplog_ts_iso(ns->oplog_end, iso, sizeof iso));
   }
}

void mb_ns_stats_append_array(bson_t *doc, const char *key, const mb_ns_stats_t *ns, size_t n,
                              unsigned fields)
{
   bson_t arr, item;

   BSON_APPEND_ARRAY_BEGIN(doc, key, &arr);
   for (size_t i = 0; i < n; i++) {
      mb_text_array_begin_document(&arr, (uint32_t) i, &item);
      mb_ns_stats_append(&ns[i], fields, &item);
      bson_append_document_end(&arr, &item);
   }
   bson_append_array_end(doc, &arr);
}

/* "crc" or "crc64": "0x..." as written, or a number. */
static uint64_t get_crc(const bson_t *doc)
{
   const char *keys[] = {"crc", "crc64"};
   bson_iter_t it;

   for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
      if (!bson_iter_init_find(&it, doc, keys[i])) {
         continue;
      }
      if (BSON_ITER_HOLDS_UTF8(&it)) {
         return (uint64_t) strtoull(bson_iter_utf8(&it, NULL), NULL, 16);
      }
      if (BSON_ITER_HOLDS_NUMBER(&it)) {
         return (uint64_t) bson_iter_as_int64(&it);
      }
   }
   return 0;
}

void mb_ns_stats_from_bson(const bson_t *doc, mb_ns_stats_t *ns)
{
   bson_iter_t it;

   memset(ns, 0, sizeof *ns);
   ns->db = mb_text_get_utf8_dup(doc, "db");
   ns->collection = mb_text_get_utf8_dup(doc, "collection");
   ns->type = mb_text_get_utf8_dup(doc, "type");
   ns->docs = mb_text_get_u64(doc, "documents");
   ns->bytes = mb_text_get_u64(doc, "bytes");
   ns->crc = get_crc(doc);
   if (bson_iter_init_find(&it, doc, "seconds") && BSON_ITER_HOLDS_NUMBER(&it)) {
      ns->seconds = bson_iter_as_double(&it);
   }
   if (bson_iter_init_find(&it, doc, "oplog_end") && BSON_ITER_HOLDS_UTF8(&it) &&
       mb_oplog_ts_parse("oplog_end", bson_iter_utf8(&it, NULL), &ns->oplog_end, NULL)) {
      ns->oplog = true;
      if (bson_iter_init_find(&it, doc, "oplog_start") && BSON_ITER_HOLDS_UTF8(&it) &&
          !mb_oplog_ts_parse("oplog_start", bson_iter_utf8(&it, NULL), &ns->oplog_start, NULL)) {
         memset(&ns->oplog_start, 0, sizeof ns->oplog_start);
      }
   }
}

bool mb_ns_stats_array_from_bson(const bson_t *doc, const char *key, mb_ns_stats_t **ns, size_t *n,
                                 mb_error_t *err)
{
   bson_iter_t it, a;
   size_t count = 0;

   *ns = NULL;
   *n = 0;
   if (!bson_iter_init_find(&it, doc, key)) {
      return true;
   }
   if (!BSON_ITER_HOLDS_ARRAY(&it) || !bson_iter_recurse(&it, &a)) {
      mb_error_set(err, MB_EXIT_FAILURE, "'%s' is not an array of namespaces", key);
      return false;
   }
   while (bson_iter_next(&a)) {
      count++;
   }
   *ns = bson_malloc0((count + 1) * sizeof **ns);
   bson_iter_recurse(&it, &a);
   while (bson_iter_next(&a)) {
      const uint8_t *data;
      uint32_t len;
      bson_t item;
      if (!BSON_ITER_HOLDS_DOCUMENT(&a)) {
         mb_error_set(err, MB_EXIT_FAILURE, "an element of '%s' is not a document", key);
         mb_ns_stats_array_destroy(*ns, *n);
         *ns = NULL;
         *n = 0;
         return false;
      }
      bson_iter_document(&a, &len, &data);
      if (bson_init_static(&item, data, len)) {
         mb_ns_stats_from_bson(&item, &(*ns)[(*n)++]);
      }
   }
   return true;
}

void mb_ns_stats_print_table(FILE *f, const mb_ns_stats_t *ns, size_t n)
{
   fprintf(f, "%-40s %12s %14s %8s\n", "NAMESPACE", "DOCUMENTS", "BYTES", "SECONDS");
   for (size_t i = 0; i < n; i++) {
      char name[512], ts[24];
      if (ns[i].oplog) {
         snprintf(name, sizeof name, "oplog (to %s)",
                  mb_oplog_ts_format(ns[i].oplog_end, ts, sizeof ts));
      } else {
         snprintf(name, sizeof name, "%s.%s", ns[i].db, ns[i].collection);
      }
      fprintf(f, "%-40s %12llu %14llu %8.2f\n", name, (unsigned long long) ns[i].docs,
              (unsigned long long) ns[i].bytes, ns[i].seconds);
   }
}
