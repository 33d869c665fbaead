/* libFuzzer target: arbitrary bytes through decompression detection and the archive reader
 * with full BSON validation, to the end of the stream or the first error, with the metadata
 * check verify makes and the escaping of names and warnings for terminals and JSON. Any
 * crash, leak or sanitizer report is a finding, and so is an error other than CORRUPT or
 * NOT_ARCHIVE: input from memory can only be damaged, never an I/O or internal failure. */
#include "archive/compress.h"
#include "archive/reader.h"
#include "common/text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Stop after this much uncompressed data: a compressed input can expand a thousandfold. */
#define MAX_UNCOMPRESSED (64u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_error(const mb_error_t *err)
{
   if (err->domain != MB_ERROR_DOMAIN ||
       (err->code != MB_EXIT_CORRUPT && err->code != MB_EXIT_NOT_ARCHIVE) ||
       err->message[0] == '\0') {
      abort();
   }
}

static void walk(mb_archive_reader_t *r)
{
   mb_archive_event_t ev;
   mb_error_t err;
   int n = mb_archive_reader_ns_count(r);

   for (;;) {
      if (!mb_archive_reader_next(r, &ev, &err)) {
         check_error(&err);
         return;
      }
      if (ev.kind == MB_ARCHIVE_EV_END) {
         /* a clean end means every namespace was closed with a matching CRC */
         for (int i = 0; i < n; i++) {
            const mb_archive_ns_t *ns = mb_archive_reader_ns(r, i);
            if (ns->state != MB_NS_STATE_CLOSED || ns->crc != ns->stored_crc) {
               abort();
            }
         }
         return;
      }
      if (ev.ns < 0 || ev.ns >= n) {
         abort();
      }
      if (ev.kind == MB_ARCHIVE_EV_DOCUMENT) {
         bson_t b;
         if (ev.len < 5 || !bson_init_static(&b, ev.data, ev.len) ||
             !bson_validate(&b, BSON_VALIDATE_NONE, NULL)) {
            abort(); /* validate_bson is on: only valid documents come out */
         }
      }
      if (mb_archive_reader_offset(r) > MAX_UNCOMPRESSED) {
         return;
      }
   }
}

/* What verify and inspect do with the prelude before printing it. */
static void check_prelude(mb_archive_reader_t *r)
{
   const char *const *w = mb_archive_reader_warnings(r);
   bson_t doc = BSON_INITIALIZER;
   mb_error_t err;
   char *s;

   if (!mb_archive_reader_check_metadata(r, &err)) {
      check_error(&err);
   }
   for (; *w; w++) {
      s = mb_text_escape_dup(*w);
      if (strpbrk(s, "\x1b\n\r\x7f")) {
         abort(); /* escaped text never holds a raw control character */
      }
      bson_free(s);
   }
   for (int i = 0; i < mb_archive_reader_ns_count(r) && i < 16; i++) {
      const mb_archive_ns_t *ns = mb_archive_reader_ns(r, i);
      BSON_APPEND_UTF8(&doc, "db", ns->db);
      BSON_APPEND_UTF8(&doc, "collection", ns->collection);
      BSON_APPEND_UTF8(&doc, "metadata", ns->metadata);
   }
   s = mb_text_json(&doc, NULL);
   if (!s) {
      abort();
   }
   bson_free(s);
   bson_destroy(&doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
   mb_source_t *mem = NULL, *src = NULL;
   mb_archive_reader_t *r = NULL;
   mb_archive_reader_opts_t opts = {true};
   mb_compress_t kind;
   mb_error_t err;

   if (!mb_mem_source_new(data, size, &mem, &err)) {
      return 0;
   }
   if (!mb_decompress_source_new(mem, &src, &kind, &err)) {
      check_error(&err);
      return 0;
   }
   if (mb_archive_reader_open(src, &opts, &r, &err)) {
      const mb_archive_prelude_t *p = mb_archive_reader_prelude(r);
      if (!p->version || !p->server_version || !p->tool_version) {
         abort();
      }
      check_prelude(r);
      walk(r);
      mb_archive_reader_destroy(r);
   } else {
      check_error(&err);
   }
   mb_source_destroy(src);
   return 0;
}
