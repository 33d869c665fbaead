/* Archive writer: the byte vectors and the ordering rules of docs/archive-format.md §5, §2.7. */
#include "archive/crc64.h"
#include "archive/reader.h"
#include "archive/writer.h"

#include "testutil.h"

/* SHA-256 (FIPS 180-4), enough to check the §9.3 digest without another dependency. */
static uint32_t ror(uint32_t x, int n)
{
   return (x >> n) | (x << (32 - n));
}

static void sha256_block(uint32_t h[8], const uint8_t *p)
{
   static const uint32_t k[64] = {
       0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
       0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
       0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
       0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
       0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
       0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
       0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
       0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
       0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
       0xc67178f2};
   uint32_t w[64], a[8];

   for (int i = 0; i < 16; i++) {
      w[i] = (uint32_t) p[4 * i] << 24 | (uint32_t) p[4 * i + 1] << 16 |
             (uint32_t) p[4 * i + 2] << 8 | p[4 * i + 3];
   }
   for (int i = 16; i < 64; i++) {
      uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
      uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
   }
   memcpy(a, h, sizeof a);
   for (int i = 0; i < 64; i++) {
      uint32_t t1 = a[7] + (ror(a[4], 6) ^ ror(a[4], 11) ^ ror(a[4], 25)) +
                    ((a[4] & a[5]) ^ (~a[4] & a[6])) + k[i] + w[i];
      uint32_t t2 = (ror(a[0], 2) ^ ror(a[0], 13) ^ ror(a[0], 22)) +
                    ((a[0] & a[1]) ^ (a[0] & a[2]) ^ (a[1] & a[2]));
      memmove(a + 1, a, 7 * sizeof a[0]);
      a[4] += t1;
      a[0] = t1 + t2;
   }
   for (int i = 0; i < 8; i++) {
      h[i] += a[i];
   }
}

static void sha256_hex(const uint8_t *data, size_t len, char out[65])
{
   uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
   uint8_t tail[128] = {0}, digest[32];
   size_t full = len / 64 * 64, rest = len - full, tail_len = rest < 56 ? 64 : 128;
   uint64_t bits = (uint64_t) len * 8;

   for (size_t i = 0; i < full; i += 64) {
      sha256_block(h, data + i);
   }
   memcpy(tail, data + full, rest);
   tail[rest] = 0x80;
   for (int i = 0; i < 8; i++) {
      tail[tail_len - 1 - (size_t) i] = (uint8_t) (bits >> (8 * i));
   }
   for (size_t i = 0; i < tail_len; i += 64) {
      sha256_block(h, tail + i);
   }
   for (int i = 0; i < 8; i++) {
      digest[4 * i] = (uint8_t) (h[i] >> 24);
      digest[4 * i + 1] = (uint8_t) (h[i] >> 16);
      digest[4 * i + 2] = (uint8_t) (h[i] >> 8);
      digest[4 * i + 3] = (uint8_t) h[i];
   }
   to_hex(digest, 32, out);
}

static void test_sha256_itself(void **state)
{
   char hex[65];
   (void) state;

   sha256_hex((const uint8_t *) "", 0, hex);
   assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
   sha256_hex((const uint8_t *) "abc", 3, hex);
   assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
   sha256_hex((const uint8_t *) "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
              hex);
   assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

/* A writer over a memory sink with the §9.2 header. */
typedef struct {
   mb_sink_t *sink;
   mb_archive_writer_t *w;
} fixture_t;

static void fixture_open(fixture_t *f, int32_t concurrent)
{
   mb_archive_header_t hdr = {concurrent, "7.0.14", "100.10.0"};
   mb_error_t err;

   assert_true(mb_mem_sink_new(64u << 20, &f->sink, &err));
   if (!mb_archive_writer_new(f->sink, &hdr, &f->w, &err)) {
      fail_msg("%s", err.message);
   }
}

static const uint8_t *fixture_bytes(fixture_t *f, size_t *len)
{
   return mb_mem_sink_data(f->sink, len);
}

static void fixture_close(fixture_t *f)
{
   mb_archive_writer_destroy(f->w);
   mb_sink_destroy(f->sink);
}

static int add_ns(fixture_t *f, const char *db, const char *coll)
{
   mb_error_t err;
   int id = -1;
   if (!mb_archive_writer_add_namespace(f->w, db, coll, "", "collection", &id, &err)) {
      fail_msg("%s", err.message);
   }
   return id;
}

static void begin(fixture_t *f)
{
   mb_error_t err;
   if (!mb_archive_writer_begin(f->w, &err)) {
      fail_msg("%s", err.message);
   }
}

static bool write_doc(fixture_t *f, int id, int32_t value, mb_error_t *err)
{
   bson_t d = BSON_INITIALIZER;
   bool ok;
   BSON_APPEND_INT32(&d, "_id", value);
   ok = mb_archive_writer_write(f->w, id, bson_get_data(&d), d.len, err);
   bson_destroy(&d);
   return ok;
}

static void test_minimal_archive(void **state)
{
   fixture_t f;
   mb_error_t err;
   bytes_t want = {0};
   const uint8_t *got;
   size_t len;
   (void) state;

   fixture_open(&f, 4);
   begin(&f);
   assert_true(mb_archive_writer_finish(f.w, &err));
   got = fixture_bytes(&f, &len);
   bytes_put_hex(&want, V_MAGIC V_HEADER V_TERM);
   assert_int_equal(want.len, 112);
   assert_int_equal(len, 112);
   assert_memory_equal(got, want.data, 112);
   bytes_free(&want);
   fixture_close(&f);
}

static void test_vector_508(void **state)
{
   fixture_t f;
   mb_error_t err;
   bytes_t want = {0}, docs = {0};
   const uint8_t *got;
   size_t len;
   uint64_t ndocs, nbytes, crc;
   char sha[65];
   int id = -1;
   (void) state;

   vector_508(&want);
   sha256_hex(want.data, want.len, sha);
   assert_string_equal(sha, V_SHA256);

   fixture_open(&f, 4);
   assert_true(
       mb_archive_writer_add_namespace(f.w, "test", "c", V_META_JSON, "collection", &id, &err));
   assert_int_equal(id, 0);
   begin(&f);
   bytes_put_hex(&docs, V_DOC1 V_DOC2);
   assert_true(mb_archive_writer_write(f.w, id, docs.data, 14, &err));
   assert_true(mb_archive_writer_write(f.w, id, docs.data + 14, 14, &err));
   mb_archive_writer_ns_stats(f.w, id, &ndocs, &nbytes, &crc);
   assert_int_equal(ndocs, 2);
   assert_int_equal(nbytes, 28);
   assert_true(crc == 0x0F51DD249EE42E7Dull);
   assert_true(mb_archive_writer_end_namespace(f.w, id, &err));
   assert_true(mb_archive_writer_finish(f.w, &err));
   got = fixture_bytes(&f, &len);
   assert_int_equal(len, 508);
   assert_memory_equal(got, want.data, 508);
   sha256_hex(got, len, sha);
   assert_string_equal(sha, V_SHA256);
   fixture_close(&f);

   /* both documents in one write give the same bytes */
   fixture_open(&f, 4);
   assert_true(
       mb_archive_writer_add_namespace(f.w, "test", "c", V_META_JSON, "collection", &id, &err));
   begin(&f);
   assert_true(mb_archive_writer_write(f.w, id, docs.data, 28, &err));
   assert_true(mb_archive_writer_end_namespace(f.w, id, &err));
   assert_true(mb_archive_writer_finish(f.w, &err));
   got = fixture_bytes(&f, &len);
   assert_int_equal(len, 508);
   assert_memory_equal(got, want.data, 508);
   fixture_close(&f);

   /* documents checked and counted by the caller: the same bytes, the count as given, and the
    * ordering rules still enforced */
   fixture_open(&f, 4);
   assert_true(
       mb_archive_writer_add_namespace(f.w, "test", "c", V_META_JSON, "collection", &id, &err));
   begin(&f);
   assert_true(mb_archive_writer_write_checked(f.w, id, docs.data, 28, 2, &err));
   mb_archive_writer_ns_stats(f.w, id, &ndocs, &nbytes, &crc);
   assert_int_equal(ndocs, 2);
   assert_int_equal(nbytes, 28);
   assert_true(crc == 0x0F51DD249EE42E7Dull);
   assert_true(mb_archive_writer_end_namespace(f.w, id, &err));
   assert_false(mb_archive_writer_write_checked(f.w, id, docs.data, 14, 1, &err));
   assert_int_equal(mb_error_exit_code(&err), MB_EXIT_USAGE);
   assert_non_null(strstr(err.message, "written after its end"));
   assert_true(mb_archive_writer_finish(f.w, &err));
   got = fixture_bytes(&f, &len);
   assert_int_equal(len, 508);
   assert_memory_equal(got, want.data, 508);
   fixture_close(&f);
   bytes_free(&want);
   bytes_free(&docs);
}

static void test_empty_collection(void **state)
{
   fixture_t f;
   mb_error_t err;
   bytes_t want = {0};
   const uint8_t *got;
   size_t len;
   uint64_t ndocs, nbytes, crc;
   int id;
   (void) state;

   fixture_open(&f, 4);
   id = add_ns(&f, "test", "empty");
   begin(&f);
   assert_true(mb_archive_writer_end_namespace(f.w, id, &err));
   assert_true(mb_archive_writer_finish(f.w, &err));
   mb_archive_writer_ns_stats(f.w, id, &ndocs, &nbytes, &crc);
   assert_int_equal(ndocs, 0);
   assert_int_equal(nbytes, 0);
   assert_true(crc == 0);
   got = fixture_bytes(&f, &len);
   bytes_put_hex(&want, V_TERM V_EMPTY_SEG_HEADER V_TERM V_EMPTY_EOF_HEADER V_TERM);
   assert_true(len > want.len);
   /* the prelude ends with its terminator, then the empty segment and the EOF block */
   assert_memory_equal(got + len - want.len, want.data, want.len);
   bytes_free(&want);
   fixture_close(&f);
}

/* Interleaved namespaces: a terminator closes the open segment before another header, and an
 * EOF block of a namespace whose segment is not the open one ends the other segment first. */
static void test_interleaving_layout(void **state)
{
   fixture_t f;
   mb_error_t err;
   bytes_t want = {0};
   const uint8_t *got;
   size_t len;
   int a, b;
   (void) state;

   fixture_open(&f, 4);
   a = add_ns(&f, "test", "c");
   b = add_ns(&f, "test", "empty");
   begin(&f);
   assert_true(write_doc(&f, a, 1, &err));
   assert_true(mb_archive_writer_end_namespace(f.w, b, &err));
   assert_true(write_doc(&f, a, 2, &err));
   assert_true(mb_archive_writer_end_namespace(f.w, a, &err));
   assert_true(mb_archive_writer_finish(f.w, &err));
   got = fixture_bytes(&f, &len);

   bytes_put_hex(&want, V_SEG_HEADER V_DOC1 V_TERM V_EMPTY_SEG_HEADER V_TERM V_EMPTY_EOF_HEADER
                            V_TERM V_SEG_HEADER V_DOC2 V_TERM V_EOF_HEADER V_TERM);
   /* magic, header, two 82- and 86-byte entries, terminator, then the blocks */
   assert_int_equal(len, 4 + 104 + 82 + 86 + 4 + want.len);
   assert_memory_equal(got + len - want.len - 4, "\xff\xff\xff\xff", 4);
   assert_memory_equal(got + len - want.len, want.data, want.len);
   bytes_free(&want);
   fixture_close(&f);
}

static void test_header_rules(void **state)
{
   mb_sink_t *sink = NULL;
   mb_archive_writer_t *w = NULL;
   mb_error_t err;
   mb_archive_header_t hdr = {4, "unknown", "x"};
   (void) state;

   assert_true(mb_mem_sink_new(1 << 20, &sink, &err));
   assert_false(mb_archive_writer_new(sink, &hdr, &w, &err));
   assert_error(&err, MB_EXIT_USAGE,
                "server version 'unknown' does not parse as X.Y.Z; mongorestore would refuse the "
                "archive");
   hdr.server_version = "7.0";
   assert_false(mb_archive_writer_new(sink, &hdr, &w, &err));
   assert_error(&err, MB_EXIT_USAGE,
                "server version '7.0' does not parse as X.Y.Z; mongorestore would refuse the "
                "archive");
   hdr.server_version = NULL;
   assert_false(mb_archive_writer_new(sink, &hdr, &w, &err));
   assert_error(&err, MB_EXIT_USAGE,
                "server version '(null)' does not parse as X.Y.Z; mongorestore would refuse the "
                "archive");
   hdr.server_version = "7.0.14";
   hdr.concurrent_collections = 0;
   assert_false(mb_archive_writer_new(sink, &hdr, &w, &err));
   assert_error(&err, MB_EXIT_USAGE, "concurrent_collections must be at least 1, not 0");
   hdr.concurrent_collections = 1;
   hdr.server_version = "8.0.0-rc3";
   hdr.tool_version = NULL;
   assert_true(mb_archive_writer_new(sink, &hdr, &w, &err));
   mb_archive_writer_destroy(w);
   mb_archive_writer_destroy(NULL);
   mb_sink_destroy(sink);
}

static void test_declaration_rules(void **state)
{
   fixture_t f;
   mb_error_t err;
   int id;
   (void) state;

   fixture_open(&f, 4);
   add_ns(&f, "test", "c");
   assert_false(mb_archive_writer_add_namespace(f.w, "test", "c", "", "", &id, &err));
   assert_error(&err, MB_EXIT_USAGE, "namespace 'test.c' declared twice");
   assert_false(mb_archive_writer_add_namespace(f.w, "test", "", "", "", &id, &err));
   assert_error(&err, MB_EXIT_USAGE, "namespace in database 'test' has an empty collection name");
   /* same collection name in another database is a different namespace */
   assert_true(mb_archive_writer_add_namespace(f.w, "other", "c", NULL, NULL, &id, &err));
   assert_int_equal(id, 1);
   fixture_close(&f);
}

static void test_special_after_regular(void **state)
{
   fixture_t f;
   mb_error_t err;
   int reg, users;
   (void) state;

   fixture_open(&f, 4);
   reg = add_ns(&f, "test", "c");
   users = add_ns(&f, "admin", "system.users");
   begin(&f);
   assert_true(write_doc(&f, reg, 1, &err));
   assert_false(write_doc(&f, users, 1, &err));
   assert_error(&err, MB_EXIT_USAGE,
                "special namespace 'admin.system.users' must be written before regular namespaces");
   /* still refused once the regular namespace is closed, and on end_namespace too */
   assert_true(mb_archive_writer_end_namespace(f.w, reg, &err));
   assert_false(mb_archive_writer_end_namespace(f.w, users, &err));
   assert_error(&err, MB_EXIT_USAGE,
                "special namespace 'admin.system.users' must be written before regular namespaces");
   fixture_close(&f);

   /* the right order is fine, $admin.* entries are special too */
   fixture_open(&f, 4);
   users = add_ns(&f, "db", "$admin.system.users");
   reg = add_ns(&f, "db", "c");
   begin(&f);
   assert_true(write_doc(&f, users, 1, &err));
   assert_true(mb_archive_writer_end_namespace(f.w, users, &err));
   assert_true(write_doc(&f, reg, 1, &err));
   assert_true(mb_archive_writer_end_namespace(f.w, reg, &err));
   assert_true(mb_archive_writer_finish(f.w, &err));
   fixture_close(&f);
}

static void test_oplog_last(void **state)
{
   fixture_t f;
   mb_error_t err;
   int reg, reg2, oplog;
   (void) state;

   fixture_open(&f, 4);
   reg = add_ns(&f, "test", "c");
   reg2 = add_ns(&f, "test", "d");
   oplog = add_ns(&f, "", "oplog");
   begin(&f);
   assert_true(write_doc(&f, reg, 1, &err));
   assert_false(write_doc(&f, oplog, 1, &err));
   assert_error(&err, MB_EXIT_USAGE, "the oplog must be written after every other namespace");
   assert_true(mb_archive_writer_end_namespace(f.w, reg, &err));
   assert_true(write_doc(&f, oplog, 1, &err));
   assert_false(write_doc(&f, reg2, 1, &err));
   assert_error(&err, MB_EXIT_USAGE, "namespace 'test.d' written after the oplog");
   assert_false(mb_archive_writer_end_namespace(f.w, reg2, &err));
   assert_error(&err, MB_EXIT_USAGE, "namespace 'test.d' written after the oplog");
   fixture_close(&f);
}

static void test_concurrency_limit(void **state)
{
   fixture_t f;
   mb_error_t err;
   int a, b, c, users;
   (void) state;

   fixture_open(&f, 2);
   users = add_ns(&f, "admin", "system.version");
   a = add_ns(&f, "test", "a");
   b = add_ns(&f, "test", "b");
   c = add_ns(&f, "test", "c");
   begin(&f);
   assert_true(write_doc(&f, users, 1, &err)); /* special: does not count */
   assert_true(write_doc(&f, a, 1, &err));
   assert_true(write_doc(&f, b, 1, &err));
   assert_false(write_doc(&f, c, 1, &err));
   assert_error(&err, MB_EXIT_USAGE,
                "opening 'test.c' would leave more than 2 namespaces open at once (mongorestore "
                "would hang)");
   assert_false(mb_archive_writer_end_namespace(f.w, c, &err));
   assert_error(&err, MB_EXIT_USAGE,
                "opening 'test.c' would leave more than 2 namespaces open at once (mongorestore "
                "would hang)");
   /* writing more to an open namespace is fine; closing one makes room */
   assert_true(write_doc(&f, a, 2, &err));
   assert_true(mb_archive_writer_end_namespace(f.w, a, &err));
   assert_true(write_doc(&f, c, 1, &err));
   assert_true(mb_archive_writer_end_namespace(f.w, b, &err));
   assert_true(mb_archive_writer_end_namespace(f.w, c, &err));
   assert_true(mb_archive_writer_end_namespace(f.w, users, &err));
   assert_true(mb_archive_writer_finish(f.w, &err));
   fixture_close(&f);
}

static void test_end_rules(void **state)
{
   fixture_t f;
   mb_error_t err;
   int a, b;
   (void) state;

   fixture_open(&f, 4);
   a = add_ns(&f, "test", "c");
   b = add_ns(&f, "test", "d");
   begin(&f);
   assert_true(write_doc(&f, a, 1, &err));
   assert_true(mb_archive_writer_end_namespace(f.w, a, &err));
   assert_false(write_doc(&f, a, 2, &err));
   assert_error(&err, MB_EXIT_USAGE, "namespace 'test.c' written after its end");
   assert_false(mb_archive_writer_end_namespace(f.w, a, &err));
   assert_error(&err, MB_EXIT_USAGE, "namespace 'test.c' ended twice");
   assert_false(mb_archive_writer_finish(f.w, &err));
   assert_error(&err, MB_EXIT_USAGE, "namespace 'test.d' was never ended");
   assert_true(write_doc(&f, b, 1, &err));
   assert_false(mb_archive_writer_finish(f.w, &err));
   assert_error(&err, MB_EXIT_USAGE, "namespace 'test.d' was never ended");
   assert_true(mb_archive_writer_end_namespace(f.w, b, &err));
   assert_true(mb_archive_writer_finish(f.w, &err));
   fixture_close(&f);
}

static void test_document_checks(void **state)
{
   fixture_t f;
   mb_error_t err;
   bytes_t docs = {0};
   uint64_t n, bytes, crc;
   int id;
   (void) state;

   fixture_open(&f, 4);
   id = add_ns(&f, "test", "c");
   begin(&f);
   /* only the length prefix is needed to refuse a document over 16 MiB */
   bytes_put_u32(&docs, 16u * 1024 * 1024 + 1);
   bytes_put_hex(&docs, "0000000000");
   assert_false(mb_archive_writer_write(f.w, id, docs.data, docs.len, &err));
   assert_error(&err, MB_EXIT_CORRUPT,
                "document of 16777217 bytes in 'test.c' exceeds the 16 MiB BSON limit");
   docs.len = 0;
   bytes_put_hex(&docs, "0e0000");
   assert_false(mb_archive_writer_write(f.w, id, docs.data, docs.len, &err));
   assert_error(&err, MB_EXIT_CORRUPT, "malformed BSON document at byte 0 of a write to 'test.c'");
   docs.len = 0;
   bytes_put_hex(&docs, "0e000000105f6964000100000001"); /* no trailing NUL */
   assert_false(mb_archive_writer_write(f.w, id, docs.data, docs.len, &err));
   assert_error(&err, MB_EXIT_CORRUPT, "malformed BSON document at byte 0 of a write to 'test.c'");
   docs.len = 0;
   bytes_put_hex(&docs, V_DOC1 "0e000000105f69640002000000"); /* second one cut short */
   assert_false(mb_archive_writer_write(f.w, id, docs.data, docs.len, &err));
   assert_error(&err, MB_EXIT_CORRUPT, "malformed BSON document at byte 14 of a write to 'test.c'");
   docs.len = 0;
   bytes_put_hex(&docs, V_DOC1 "04000000");
   assert_false(mb_archive_writer_write(f.w, id, docs.data, docs.len, &err));
   assert_error(&err, MB_EXIT_CORRUPT, "malformed BSON document at byte 14 of a write to 'test.c'");
   /* nothing of a refused write was counted or written */
   mb_archive_writer_ns_stats(f.w, id, &n, &bytes, &crc);
   assert_int_equal(n, 0);
   assert_int_equal(bytes, 0);
   assert_true(crc == 0);
   docs.len = 0;
   bytes_put_hex(&docs, V_DOC1 V_DOC2);
   assert_true(mb_archive_writer_write(f.w, id, docs.data, docs.len, &err));
   mb_archive_writer_ns_stats(f.w, id, &n, &bytes, &crc);
   assert_int_equal(n, 2);
   assert_true(crc == 0x0F51DD249EE42E7Dull);
   bytes_free(&docs);
   fixture_close(&f);
}

/* A document of exactly 16 MiB is allowed and round-trips through the reader. */
static void test_max_document(void **state)
{
   fixture_t f;
   mb_error_t err;
   bson_t d = BSON_INITIALIZER;
   size_t len;
   const uint8_t *got;
   uint32_t payload;
   uint8_t *blob;
   mb_source_t *src = NULL;
   mb_archive_reader_t *r = NULL;
   mb_archive_event_t ev;
   mb_archive_reader_opts_t opts = {true};
   int id;
   (void) state;

   /* {_id: int32, b: binary} sized to 16 MiB exactly */
   payload = MB_ARCHIVE_MAX_BSON - 22;
   blob = calloc(1, payload);
   assert_non_null(blob);
   blob[0] = 0xab;
   BSON_APPEND_INT32(&d, "_id", 1);
   BSON_APPEND_BINARY(&d, "b", BSON_SUBTYPE_BINARY, blob, payload);
   assert_int_equal(d.len, MB_ARCHIVE_MAX_BSON);

   fixture_open(&f, 4);
   id = add_ns(&f, "test", "big");
   begin(&f);
   assert_true(mb_archive_writer_write(f.w, id, bson_get_data(&d), d.len, &err));
   assert_true(mb_archive_writer_end_namespace(f.w, id, &err));
   assert_true(mb_archive_writer_finish(f.w, &err));
   got = fixture_bytes(&f, &len);

   assert_true(mb_mem_source_new(got, len, &src, &err));
   assert_true(mb_archive_reader_open(src, &opts, &r, &err));
   assert_true(mb_archive_reader_next(r, &ev, &err));
   assert_int_equal(ev.kind, MB_ARCHIVE_EV_NS_BEGIN);
   if (!mb_archive_reader_next(r, &ev, &err)) {
      fail_msg("%s", err.message);
   }
   assert_int_equal(ev.kind, MB_ARCHIVE_EV_DOCUMENT);
   assert_int_equal(ev.len, MB_ARCHIVE_MAX_BSON);
   assert_memory_equal(ev.data, bson_get_data(&d), d.len);
   assert_true(mb_archive_reader_next(r, &ev, &err));
   assert_int_equal(ev.kind, MB_ARCHIVE_EV_NS_END);
   assert_true(mb_archive_reader_next(r, &ev, &err));
   assert_int_equal(ev.kind, MB_ARCHIVE_EV_END);
   mb_archive_reader_destroy(r);
   mb_source_destroy(src);
   fixture_close(&f);
   bson_destroy(&d);
   free(blob);
}

/* A sink that fails after a given number of bytes: the writer passes its error on unchanged. */
static void test_sink_failure_propagates(void **state)
{
   failing_sink_t sink;
   mb_archive_header_t hdr = {4, "7.0.14", "t"};
   mb_archive_writer_t *w = NULL;
   mb_error_t err;
   uint8_t *docs;
   size_t n = 300u << 10; /* large enough to be written directly, past the buffer */
   int id;
   (void) state;

   docs = calloc(1, n);
   assert_non_null(docs);
   docs[0] = (uint8_t) n;
   docs[1] = (uint8_t) (n >> 8);
   docs[2] = (uint8_t) (n >> 16); /* only the framing of documents is checked */
   failing_sink_init(&sink, 1000, "injected: no space left on device");
   assert_true(mb_archive_writer_new(&sink.base, &hdr, &w, &err));
   assert_true(mb_archive_writer_add_namespace(w, "test", "c", "", "", &id, &err));
   assert_true(mb_archive_writer_begin(w, &err));
   assert_false(mb_archive_writer_write(w, id, docs, n, &err));
   assert_error(&err, MB_EXIT_IO, "injected: no space left on device");
   mb_archive_writer_destroy(w);

   /* small writes are buffered: the failure shows at finish */
   sink.left = 10;
   assert_true(mb_archive_writer_new(&sink.base, &hdr, &w, &err));
   assert_true(mb_archive_writer_begin(w, &err));
   assert_false(mb_archive_writer_finish(w, &err));
   assert_error(&err, MB_EXIT_IO, "injected: no space left on device");
   mb_archive_writer_destroy(w);
   free(docs);
}

/* One document holding the types FerretDB cannot store, written and read back verbatim. */
static void test_rare_types_round_trip(void **state)
{
   fixture_t f;
   mb_error_t err;
   bson_t d = BSON_INITIALIZER, scope = BSON_INITIALIZER;
   bson_decimal128_t dec;
   bson_oid_t oid;
   const uint8_t *got;
   size_t len;
   mb_source_t *src = NULL;
   mb_archive_reader_t *r = NULL;
   mb_archive_event_t ev;
   mb_archive_reader_opts_t opts = {true};
   bson_t seen;
   bson_iter_t it;
   int id, ndocs = 0;
   uint64_t wdocs, wbytes, wcrc;
   (void) state;

   assert_true(bson_decimal128_from_string("1234567890.123456789012345678901234", &dec));
   bson_oid_init_from_string(&oid, "0123456789abcdef01234567");
   BSON_APPEND_INT32(&d, "_id", 1);
   BSON_APPEND_DECIMAL128(&d, "dec", &dec);
   BSON_APPEND_MINKEY(&d, "min");
   BSON_APPEND_MAXKEY(&d, "max");
   BSON_APPEND_CODE(&d, "code", "function () { return 1; }");
   BSON_APPEND_INT32(&scope, "x", 7);
   BSON_APPEND_CODE_WITH_SCOPE(&d, "cws", "function () { return x; }", &scope);
   BSON_APPEND_UNDEFINED(&d, "undef");
   BSON_APPEND_SYMBOL(&d, "sym", "symbol");
   BSON_APPEND_DBPOINTER(&d, "dbp", "db.coll", &oid);
   BSON_APPEND_REGEX(&d, "re", "^a.*b$", "im");
   BSON_APPEND_TIMESTAMP(&d, "ts", 1700000000, 7);

   fixture_open(&f, 4);
   id = add_ns(&f, "test", "types");
   begin(&f);
   assert_true(mb_archive_writer_write(f.w, id, bson_get_data(&d), d.len, &err));
   assert_true(mb_archive_writer_end_namespace(f.w, id, &err));
   assert_true(mb_archive_writer_finish(f.w, &err));
   mb_archive_writer_ns_stats(f.w, id, &wdocs, &wbytes, &wcrc);
   assert_true(wcrc == mb_crc64_update(0, bson_get_data(&d), d.len));
   got = fixture_bytes(&f, &len);

   assert_true(mb_mem_source_new(got, len, &src, &err));
   assert_true(mb_archive_reader_open(src, &opts, &r, &err));
   for (;;) {
      if (!mb_archive_reader_next(r, &ev, &err)) {
         fail_msg("%s", err.message);
      }
      if (ev.kind == MB_ARCHIVE_EV_END) {
         break;
      }
      if (ev.kind != MB_ARCHIVE_EV_DOCUMENT) {
         continue;
      }
      ndocs++;
      assert_int_equal(ev.len, d.len);
      assert_memory_equal(ev.data, bson_get_data(&d), d.len);
      assert_true(bson_init_static(&seen, ev.data, ev.len));
      assert_true(bson_iter_init_find(&it, &seen, "dec"));
      assert_int_equal(bson_iter_type(&it), BSON_TYPE_DECIMAL128);
      assert_true(bson_iter_init_find(&it, &seen, "min"));
      assert_int_equal(bson_iter_type(&it), BSON_TYPE_MINKEY);
      assert_true(bson_iter_init_find(&it, &seen, "max"));
      assert_int_equal(bson_iter_type(&it), BSON_TYPE_MAXKEY);
      assert_true(bson_iter_init_find(&it, &seen, "code"));
      assert_int_equal(bson_iter_type(&it), BSON_TYPE_CODE);
      assert_true(bson_iter_init_find(&it, &seen, "cws"));
      assert_int_equal(bson_iter_type(&it), BSON_TYPE_CODEWSCOPE);
   }
   assert_int_equal(ndocs, 1);
   assert_true(mb_archive_reader_ns(r, 0)->crc == wcrc);
   assert_true(mb_archive_reader_ns(r, 0)->stored_crc == wcrc);
   mb_archive_reader_destroy(r);
   mb_source_destroy(src);
   fixture_close(&f);
   bson_destroy(&d);
   bson_destroy(&scope);
}

/* Timeseries entries keep their name in the prelude and use the bucket name for data before
 * 8.3; special and oplog entries are written as given. */
static void test_prelude_entries(void **state)
{
   fixture_t f;
   mb_error_t err;
   const uint8_t *got;
   size_t len;
   mb_source_t *src = NULL;
   mb_archive_reader_t *r = NULL;
   mb_archive_event_t ev;
   int ts;
   (void) state;

   fixture_open(&f, 4);
   assert_true(mb_archive_writer_add_namespace(f.w, "db", "ts", "{}", "timeseries", &ts, &err));
   begin(&f);
   assert_true(write_doc(&f, ts, 1, &err));
   assert_true(mb_archive_writer_end_namespace(f.w, ts, &err));
   assert_true(mb_archive_writer_finish(f.w, &err));
   got = fixture_bytes(&f, &len);
   assert_non_null(memmem(got, len, "system.buckets.ts", 17));

   assert_true(mb_mem_source_new(got, len, &src, &err));
   assert_true(mb_archive_reader_open(src, NULL, &r, &err));
   assert_int_equal(mb_archive_reader_ns_count(r), 1);
   assert_string_equal(mb_archive_reader_ns(r, 0)->collection, "ts");
   assert_string_equal(mb_archive_reader_ns(r, 0)->data_collection, "system.buckets.ts");
   assert_string_equal(mb_archive_reader_ns(r, 0)->type, "timeseries");
   assert_string_equal(mb_archive_reader_ns(r, 0)->metadata, "{}");
   do {
      if (!mb_archive_reader_next(r, &ev, &err)) {
         fail_msg("%s", err.message);
      }
   } while (ev.kind != MB_ARCHIVE_EV_END);
   assert_int_equal(mb_archive_reader_ns(r, 0)->docs, 1);
   mb_archive_reader_destroy(r);
   mb_source_destroy(src);
   fixture_close(&f);
}

int main(void)
{
   const struct CMUnitTest tests[] = {
       cmocka_unit_test(test_sha256_itself),
       cmocka_unit_test(test_minimal_archive),
       cmocka_unit_test(test_vector_508),
       cmocka_unit_test(test_empty_collection),
       cmocka_unit_test(test_interleaving_layout),
       cmocka_unit_test(test_header_rules),
       cmocka_unit_test(test_declaration_rules),
       cmocka_unit_test(test_special_after_regular),
       cmocka_unit_test(test_oplog_last),
       cmocka_unit_test(test_concurrency_limit),
       cmocka_unit_test(test_end_rules),
       cmocka_unit_test(test_document_checks),
       cmocka_unit_test(test_max_document),
       cmocka_unit_test(test_sink_failure_propagates),
       cmocka_unit_test(test_rare_types_round_trip),
       cmocka_unit_test(test_prelude_entries),
   };
   return cmocka_run_group_tests(tests, NULL, NULL);
}
