/* Small helpers shared by the unit tests: a growable byte string, hex decoding, error
 * assertions, temporary directories and whole files, failing sinks and sources, and the test
 * vectors of docs/archive-format.md §5. Header-only (static inline) so that each test stays one
 * program. */
#ifndef MB_TESTS_TESTUTIL_H
#define MB_TESTS_TESTUTIL_H

#include "common/error.h"
#include "common/stream.h"

#include <bson/bson.h>

#include <ftw.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

typedef struct {
   uint8_t *data;
   size_t len, cap;
} bytes_t;

static inline void bytes_put(bytes_t *b, const void *p, size_t n)
{
   if (b->len + n > b->cap) {
      size_t cap = b->cap ? b->cap : 256;
      while (cap < b->len + n) {
         cap *= 2;
      }
      b->data = realloc(b->data, cap);
      assert_non_null(b->data);
      b->cap = cap;
   }
   if (n) {
      memcpy(b->data + b->len, p, n);
   }
   b->len += n;
}

static inline void bytes_put_u32(bytes_t *b, uint32_t v)
{
   uint8_t le[4] = {(uint8_t) v, (uint8_t) (v >> 8), (uint8_t) (v >> 16), (uint8_t) (v >> 24)};
   bytes_put(b, le, 4);
}

/* A prelude entry {db, collection, metadata, size: 0, type} appended to b. */
static inline void bytes_put_prelude_entry_typed(bytes_t *b, const char *db, const char *coll,
                                                 const char *metadata, const char *type)
{
   bson_t m = BSON_INITIALIZER;
   BSON_APPEND_UTF8(&m, "db", db);
   BSON_APPEND_UTF8(&m, "collection", coll);
   BSON_APPEND_UTF8(&m, "metadata", metadata);
   BSON_APPEND_INT32(&m, "size", 0);
   BSON_APPEND_UTF8(&m, "type", type);
   bytes_put(b, bson_get_data(&m), m.len);
   bson_destroy(&m);
}

/* A prelude entry {db, collection, metadata, size: 0, type: "collection"} appended to b. */
static inline void bytes_put_prelude_entry(bytes_t *b, const char *db, const char *coll,
                                           const char *metadata)
{
   bytes_put_prelude_entry_typed(b, db, coll, metadata, "collection");
}

static inline void bytes_free(bytes_t *b)
{
   free(b->data);
   memset(b, 0, sizeof *b);
}

static inline int hex_nibble(char c)
{
   if (c >= '0' && c <= '9') {
      return c - '0';
   }
   if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
   }
   if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
   }
   fail_msg("bad hex digit '%c'", c);
   return 0;
}

/* Append the bytes spelled by hex (whitespace ignored). */
static inline void bytes_put_hex(bytes_t *b, const char *hex)
{
   while (*hex) {
      uint8_t v;
      if (*hex == ' ' || *hex == '\n') {
         hex++;
         continue;
      }
      assert_true(hex[1] != '\0');
      v = (uint8_t) (hex_nibble(hex[0]) << 4 | hex_nibble(hex[1]));
      bytes_put(b, &v, 1);
      hex += 2;
   }
}

/* Lower-case hex of n bytes into out (2n+1 bytes). */
static inline void to_hex(const uint8_t *p, size_t n, char *out)
{
   for (size_t i = 0; i < n; i++) {
      snprintf(out + 2 * i, 3, "%02x", p[i]);
   }
   out[2 * n] = '\0';
}

/* ---- configuration getters ---- */

/* A getter over name, value pairs (user_data: a NULL-terminated const char *[]). */
static inline const char *kv_lookup(const char *name, void *user_data)
{
   const char **kv = user_data;

   for (; kv[0]; kv += 2) {
      if (strcmp(kv[0], name) == 0) {
         return kv[1];
      }
   }
   return NULL;
}

/* ---- temporary directories and whole files ---- */

/* Make a fresh directory /tmp/mb-test-NAME-XXXXXX; its path goes to dir (size bytes). */
static inline bool tmpdir_make(char *dir, size_t size, const char *name)
{
   int n = snprintf(dir, size, "/tmp/mb-test-%s-XXXXXX", name);
   return n > 0 && (size_t) n < size && mkdtemp(dir) != NULL;
}

static inline int tmpdir_remove_one(const char *path, const struct stat *st, int flag,
                                    struct FTW *ftw)
{
   (void) st;
   (void) flag;
   (void) ftw;
   return remove(path);
}

/* Remove dir and everything in it (symbolic links are removed, never followed); 0 on success. */
static inline int tmpdir_remove(const char *dir)
{
   return nftw(dir, tmpdir_remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Write len bytes to path (created or truncated), or fail the test. */
static inline void file_put(const char *path, const void *data, size_t len)
{
   FILE *f = fopen(path, "wb");

   assert_non_null(f);
   assert_int_equal(fwrite(data, 1, len, f), len);
   assert_int_equal(fclose(f), 0);
}

/* Write the string text to path (created or truncated), or fail the test. */
static inline void file_put_text(const char *path, const char *text)
{
   file_put(path, text, strlen(text));
}

/* The whole content of path (malloc'd, with a NUL after the *len bytes), or fail the test. */
static inline void *file_get(const char *path, size_t *len)
{
   FILE *f = fopen(path, "rb");
   bytes_t b = {0};
   uint8_t buf[65536];
   size_t k;

   assert_non_null(f);
   while ((k = fread(buf, 1, sizeof buf, f)) > 0) {
      bytes_put(&b, buf, k);
   }
   assert_int_equal(ferror(f), 0);
   fclose(f);
   *len = b.len;
   bytes_put(&b, "", 1);
   return b.data;
}

/* ---- streams that fail on purpose ---- */

/* A sink that takes `left` bytes, then fails every write with MB_EXIT_IO and `message`; close
 * succeeds. Made on the heap by failing_sink_new (destroy frees it and counts in *destroyed),
 * or on the stack by failing_sink_init (destroy only counts). */
typedef struct {
   mb_sink_t base;
   size_t left;
   const char *message;
   int *destroyed; /* NULL: not counted */
   bool on_heap;
} failing_sink_t;

static inline bool failing_sink_write(mb_sink_t *s, const void *data, size_t len, mb_error_t *err)
{
   failing_sink_t *f = (failing_sink_t *) s;
   (void) data;
   if (len > f->left) {
      mb_error_set(err, MB_EXIT_IO, "%s", f->message);
      return false;
   }
   f->left -= len;
   return true;
}

static inline bool failing_sink_close(mb_sink_t *s, mb_error_t *err)
{
   (void) s;
   (void) err;
   return true;
}

static inline void failing_sink_destroy(mb_sink_t *s)
{
   failing_sink_t *f = (failing_sink_t *) s;
   if (f->destroyed) {
      (*f->destroyed)++;
   }
   if (f->on_heap) {
      free(f);
   }
}

static inline void failing_sink_init(failing_sink_t *f, size_t left, const char *message)
{
   memset(f, 0, sizeof *f);
   f->base.write = failing_sink_write;
   f->base.close = failing_sink_close;
   f->base.destroy = failing_sink_destroy;
   f->left = left;
   f->message = message;
}

static inline mb_sink_t *failing_sink_new(size_t left, const char *message, int *destroyed)
{
   failing_sink_t *f = malloc(sizeof *f);

   assert_non_null(f);
   failing_sink_init(f, left, message);
   f->destroyed = destroyed;
   f->on_heap = true;
   return &f->base;
}

/* A source that hands out len bytes of p, then fails with MB_EXIT_IO and `message` instead of
 * reporting the end of the stream. On the stack; destroy does nothing. */
typedef struct {
   mb_source_t base;
   const uint8_t *p;
   size_t len, pos;
   const char *message;
} failing_source_t;

static inline bool failing_source_read(mb_source_t *s, void *buf, size_t cap, size_t *got,
                                       mb_error_t *err)
{
   failing_source_t *f = (failing_source_t *) s;
   size_t n = f->len - f->pos < cap ? f->len - f->pos : cap;
   if (n == 0) {
      mb_error_set(err, MB_EXIT_IO, "%s", f->message);
      return false;
   }
   memcpy(buf, f->p + f->pos, n);
   f->pos += n;
   *got = n;
   return true;
}

static inline void failing_source_destroy(mb_source_t *s)
{
   (void) s;
}

static inline void failing_source_init(failing_source_t *f, const uint8_t *p, size_t len,
                                       const char *message)
{
   memset(f, 0, sizeof *f);
   f->base.read = failing_source_read;
   f->base.destroy = failing_source_destroy;
   f->p = p;
   f->len = len;
   f->message = message;
}

/* An error of our domain with this exit code and exactly this message. */
#define assert_error(err, want_code, want_msg)                                                     \
   do {                                                                                            \
      assert_int_equal((err)->domain, MB_ERROR_DOMAIN);                                            \
      assert_int_equal((err)->code, (want_code));                                                  \
      assert_string_equal((err)->message, (want_msg));                                             \
   } while (0)

/* An error of our domain with this exit code whose message contains want_part. */
#define assert_error_has(err, want_code, want_part)                                                \
   do {                                                                                            \
      assert_int_equal((err)->domain, MB_ERROR_DOMAIN);                                            \
      assert_int_equal((err)->code, (want_code));                                                  \
      if (!strstr((err)->message, (want_part))) {                                                  \
         fail_msg("error message '%s' does not contain '%s'", (err)->message, (want_part));        \
      }                                                                                            \
   } while (0)

/* docs/archive-format.md §5: the prelude header document of the empty archive and the pieces of the
 * one-collection archive. */
#define V_MAGIC "6de29981"
#define V_TERM "ffffffff"
#define V_HEADER                                                                                   \
   "6800000010636f6e63757272656e745f636f6c6c656374696f6e7300040000000276657273696f6e0004000000302" \
   "e3100027365727665725f76657273696f6e0007000000372e302e31340002746f6f6c5f76657273696f6e00090000" \
   "003130302e31302e300000"
#define V_META_JSON                                                                                \
   "{\"indexes\":[{\"v\":{\"$numberInt\":\"2\"},\"key\":{\"_id\":{\"$numberInt\":\"1\"}},"         \
   "\"name\":\"_id_\"}],\"uuid\":\"0123456789abcdef0123456789abcdef\",\"collectionName\":\"c\","   \
   "\"type\":\"collection\"}"
#define V_META_PREFIX                                                                              \
   "fa0000000264620005000000746573740002636f6c6c656374696f6e00020000006300026d657461646174610"     \
   "0a9000000"
#define V_META_SUFFIX "001073697a6500000000000274797065000b000000636f6c6c656374696f6e0000"
#define V_SEG_HEADER                                                                               \
   "370000000264620005000000746573740002636f6c6c656374696f6e0002000000630008454f460000124352430"   \
   "0000000000000000000"
#define V_DOC1 "0e000000105f6964000100000000"
#define V_DOC2 "0e000000105f6964000200000000"
#define V_EOF_HEADER                                                                               \
   "370000000264620005000000746573740002636f6c6c656374696f6e0002000000630008454f4600011243524300"  \
   "7d2ee49e24dd510f00"
#define V_EMPTY_SEG_HEADER                                                                         \
   "3b0000000264620005000000746573740002636f6c6c656374696f6e0006000000656d7074790008454f46000012"  \
   "43524300000000000000000000"
#define V_EMPTY_EOF_HEADER                                                                         \
   "3b0000000264620005000000746573740002636f6c6c656374696f6e0006000000656d7074790008454f46000112"  \
   "43524300000000000000000000"
#define V_SHA256 "f0cd7c2d6e5b9b8dc3dc7724f95e24828fdd47be8e536bdb3a0e611e7a93e949"

/* The 508-byte archive of §9.3, assembled from the hex of the document. */
static inline void vector_508(bytes_t *b)
{
   bytes_put_hex(b, V_MAGIC V_HEADER V_META_PREFIX);
   bytes_put(b, V_META_JSON, strlen(V_META_JSON));
   bytes_put_hex(b, V_META_SUFFIX V_TERM V_SEG_HEADER V_DOC1 V_DOC2 V_TERM V_EOF_HEADER V_TERM);
   assert_int_equal(b->len, 508);
}

#endif
