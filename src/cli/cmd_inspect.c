/* mongobak inspect: print an archive's prelude for humans, or as JSON. */
#include "cli/commands.h"
#include "common/text.h"

#include <string.h>

/* Parse a namespace's metadata text; NULL when empty or unparseable (*bad set then). */
static bson_t *parse_metadata(const char *text, bool *bad)
{
   bson_error_t e;
   bson_t *b;

   *bad = false;
   if (!text[0]) {
      return NULL;
   }
   b = bson_new_from_json((const uint8_t *) text, -1, &e);
   *bad = b == NULL;
   return b;
}

static void print_value_json(const bson_iter_t *it)
{
   bson_t tmp = BSON_INITIALIZER;
   char *json;
   size_t len;

   bson_append_iter(&tmp, "v", 1, it);
   json = mb_text_json(&tmp, &len);
   /* { "v" : VALUE } -> VALUE */
   if (len >= 10 && strncmp(json, "{ \"v\" : ", 8) == 0) {
      json[len - 2] = '\0';
      mb_text_fputs(stdout, json + 8);
   } else {
      mb_text_fputs(stdout, json);
   }
   bson_free(json);
   bson_destroy(&tmp);
}

static void print_name(const char *db, const char *coll)
{
   mb_text_fputs(stdout, db);
   putchar('.');
   mb_text_fputs(stdout, coll);
}

static void print_ns_text(const mb_archive_ns_t *ns)
{
   bool bad;
   bson_t *meta = parse_metadata(ns->metadata, &bad);
   bson_iter_t it, idx;

   putchar('\n');
   print_name(ns->db, ns->collection);
   fputs("  (", stdout);
   mb_text_fputs(stdout, ns->type[0] ? ns->type : ns->has_type ? "no type" : "no type key");
   fputs(")\n", stdout);
   if (strcmp(ns->data_collection, ns->collection) != 0) {
      fputs("  data in    ", stdout);
      print_name(ns->db, ns->data_collection);
      putchar('\n');
   }
   if (bad) {
      char shown[201];
      printf("  metadata   unparseable: %s\n", mb_text_escape(ns->metadata, shown, sizeof shown));
   }
   if (!meta) {
      if (!bad) {
         printf("  metadata   none\n");
      }
      return;
   }
   if (bson_iter_init_find(&it, meta, "uuid")) {
      printf("  uuid       ");
      print_value_json(&it);
      putchar('\n');
   }
   if (bson_iter_init_find(&it, meta, "options")) {
      printf("  options    ");
      print_value_json(&it);
      putchar('\n');
   }
   if (bson_iter_init_find(&it, meta, "indexes") && BSON_ITER_HOLDS_ARRAY(&it) &&
       bson_iter_recurse(&it, &idx)) {
      while (bson_iter_next(&idx)) {
         bson_iter_t f;
         printf("  index      ");
         if (bson_iter_recurse(&idx, &f) && bson_iter_find(&f, "name") &&
             BSON_ITER_HOLDS_UTF8(&f)) {
            mb_text_fputs(stdout, bson_iter_utf8(&f, NULL));
            putchar(' ');
         }
         print_value_json(&idx);
         putchar('\n');
      }
   }
   bson_destroy(meta);
}

static void append_ns_json(bson_t *arr, int i, const mb_archive_ns_t *ns)
{
   bson_t item;
   bool bad;
   bson_t *meta = parse_metadata(ns->metadata, &bad);
   bson_iter_t it;

   mb_text_array_begin_document(arr, (uint32_t) i, &item);
   BSON_APPEND_UTF8(&item, "db", ns->db);
   BSON_APPEND_UTF8(&item, "collection", ns->collection);
   BSON_APPEND_UTF8(&item, "data_collection", ns->data_collection);
   mb_text_append_utf8_or_null(&item, "type", ns->has_type ? ns->type : NULL);
   BSON_APPEND_UTF8(&item, "metadata", ns->metadata);
   BSON_APPEND_BOOL(&item, "metadata_valid", !bad);
   if (meta && bson_iter_init_find(&it, meta, "uuid")) {
      bson_append_iter(&item, "uuid", -1, &it);
   }
   if (meta && bson_iter_init_find(&it, meta, "options")) {
      bson_append_iter(&item, "options", -1, &it);
   }
   if (meta && bson_iter_init_find(&it, meta, "indexes")) {
      bson_append_iter(&item, "indexes", -1, &it);
   }
   bson_append_document_end(arr, &item);
   bson_destroy(meta);
}

int mb_cmd_inspect(const mb_args_t *args)
{
   mb_archive_reader_t *r = NULL;
   mb_source_t *src = NULL, *raw = NULL;
   mb_crypt_key_t *key = NULL;
   bool encrypted = false;
   mb_compress_t kind = MB_COMPRESS_NONE;
   const mb_archive_prelude_t *p;
   mb_error_t err;
   const char **pos;
   int n;

   if (mb_args_positional(args, &pos) != 1) {
      mb_error_set(&err, MB_EXIT_USAGE, "give exactly one archive file (or - for stdin)");
      return mb_cli_fail("inspect", &err);
   }
   if (!mb_cli_crypt_key(args, &key, &err) ||
       !mb_cli_open_archive(pos[0], key, false, &src, &raw, &kind, &encrypted, &err) ||
       !mb_archive_reader_open(src, NULL, &r, &err)) {
      mb_source_destroy(src);
      mb_crypt_key_destroy(key);
      return mb_cli_fail("inspect", &err);
   }
   p = mb_archive_reader_prelude(r);
   n = mb_archive_reader_ns_count(r);
   if (mb_args_flag(args, "json")) {
      bson_t out = BSON_INITIALIZER, arr;
      BSON_APPEND_UTF8(&out, "file", pos[0]);
      BSON_APPEND_UTF8(&out, "compression", mb_compress_name(kind));
      BSON_APPEND_BOOL(&out, "encrypted", encrypted);
      mb_archive_prelude_append(p, "header", &out);
      BSON_APPEND_ARRAY_BEGIN(&out, "namespaces", &arr);
      for (int i = 0; i < n; i++) {
         append_ns_json(&arr, i, mb_archive_reader_ns(r, i));
      }
      bson_append_array_end(&out, &arr);
      mb_text_append_strings(&out, "warnings", mb_archive_reader_warnings(r));
      mb_cli_print_json(stdout, &out);
      bson_destroy(&out);
   } else {
      char v[3][128];
      printf("archive      %s (%s%s)\n", pos[0], mb_compress_name(kind),
             encrypted ? ", encrypted" : "");
      printf("format       %s, server %s, tool %s, concurrent_collections %d\n",
             mb_text_escape(p->version, v[0], sizeof v[0]),
             mb_text_escape(p->server_version, v[1], sizeof v[1]),
             mb_text_escape(p->tool_version, v[2], sizeof v[2]), (int) p->concurrent_collections);
      printf("namespaces   %d\n", n);
      for (int i = 0; i < n; i++) {
         print_ns_text(mb_archive_reader_ns(r, i));
      }
      if (mb_archive_reader_warnings(r)[0]) {
         putchar('\n');
      }
      for (const char *const *w = mb_archive_reader_warnings(r); *w; w++) {
         fputs("warning: ", stdout);
         mb_text_fputs(stdout, *w);
         putchar('\n');
      }
   }
   mb_archive_reader_destroy(r);
   mb_source_destroy(src);
   mb_crypt_key_destroy(key);
   return MB_EXIT_OK;
}
