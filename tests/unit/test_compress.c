/* Compression filters: round trips, interoperability with gzip/zstd tools, detection of other
 * formats, truncated and damaged streams. */
#include "archive/compress.h"

#include "testutil.h"

#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#define MIB (1024u * 1024u)

static char g_dir[64];

static int setup(void **state)
{
   (void) state;
   return tmpdir_make(g_dir, sizeof g_dir, "compress") ? 0 : -1;
}

static int teardown(void **state)
{
   (void) state;
   return tmpdir_remove(g_dir);
}

/* Deterministic data that compresses somewhat: runs of text between random bytes. */
static uint8_t *make_data(size_t n)
{
   uint8_t *p = malloc(n ? n : 1);
   uint32_t x = 2463534242u;
   static const char text[] = "{\"_id\":12345,\"name\":\"mongobak\",\"tags\":[\"a\",\"b\"]}";

   assert_non_null(p);
   for (size_t i = 0; i < n;) {
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      if (x & 1) {
         size_t k = sizeof text - 1 < n - i ? sizeof text - 1 : n - i;
         memcpy(p + i, text, k);
         i += k;
      } else {
         p[i++] = (uint8_t) (x >> 8);
      }
   }
   return p;
}

/* The gzip level compress_mem uses when > 0 (else the default). */
static int g_level;

/* Compress data through mb_compress_sink_new into memory; returns a malloc'd copy. */
static uint8_t *compress_mem(mb_compress_t c, int threads, const uint8_t *data, size_t n,
                             size_t *out_len)
{
   mb_sink_t *mem = NULL, *s = NULL;
   mb_error_t err;
   const uint8_t *p;
   uint8_t *copy;
   size_t pos = 0, step = 1;

   assert_true(mb_mem_sink_new(64 * MIB, &mem, &err));
   assert_true(mb_compress_sink_new(c, g_level > 0 ? g_level : mb_compress_default_level(c),
                                    threads, mem, &s, &err));
   if (c == MB_COMPRESS_NONE) {
      assert_ptr_equal(s, mem);
   }
   /* uneven writes, some far bigger than a gzip member */
   while (pos < n) {
      size_t k = step < n - pos ? step : n - pos;
      if (!mb_sink_write(s, data + pos, k, &err)) {
         fail_msg("%s", err.message);
      }
      pos += k;
      step = step * 7 + 13;
      if (step > 6 * MIB) {
         step = 1;
      }
   }
   if (!mb_sink_close(s, &err)) {
      fail_msg("%s", err.message);
   }
   assert_int_equal(s->bytes_in, n);
   p = mb_mem_sink_data(mem, out_len);
   copy = malloc(*out_len ? *out_len : 1);
   assert_non_null(copy);
   if (*out_len) {
      memcpy(copy, p, *out_len);
   }
   mb_sink_destroy(s);
   return copy;
}

/* Decompress through mb_decompress_source_new, reading with varying capacities. */
static bool decompress_mem(const uint8_t *z, size_t zlen, size_t max_cap, mb_compress_t *kind,
                           bytes_t *out, mb_error_t *err)
{
   mb_source_t *mem = NULL, *src = NULL;
   uint8_t *buf = malloc(max_cap);
   size_t got, cap = 1;
   bool ok = false;

   assert_non_null(buf);
   out->len = 0;
   assert_true(mb_mem_source_new(z, zlen, &mem, err));
   if (!mb_decompress_source_new(mem, &src, kind, err)) {
      goto done;
   }
   for (;;) {
      if (!mb_source_read(src, buf, cap, &got, err)) {
         goto done;
      }
      if (got == 0) {
         break;
      }
      assert_true(got <= cap);
      bytes_put(out, buf, got);
      cap = cap * 3 + 1 > max_cap ? max_cap : cap * 3 + 1;
   }
   ok = true;
done:
   mb_source_destroy(src);
   free(buf);
   return ok;
}

/* Count gzip members with zlib, checking each decodes and all together give want. */
static int gzip_members(const uint8_t *z, size_t zlen, const uint8_t *want, size_t want_len)
{
   z_stream zs;
   uint8_t *out = malloc(want_len + 1);
   size_t out_len = 0;
   int members = 0;

   assert_non_null(out);
   memset(&zs, 0, sizeof zs);
   assert_int_equal(inflateInit2(&zs, 16 + MAX_WBITS), Z_OK);
   zs.next_in = (uint8_t *) z;
   zs.avail_in = (uInt) zlen;
   while (zs.avail_in > 0) {
      int rc;
      zs.next_out = out + out_len;
      zs.avail_out = (uInt) (want_len + 1 - out_len);
      rc = inflate(&zs, Z_FINISH);
      out_len = (size_t) (zs.next_out - out);
      assert_int_equal(rc, Z_STREAM_END);
      members++;
      assert_int_equal(inflateReset(&zs), Z_OK);
   }
   inflateEnd(&zs);
   assert_int_equal(out_len, want_len);
   if (want_len) {
      assert_memory_equal(out, want, want_len);
   }
   free(out);
   return members;
}

/* zlib's gzip file reader (gzread) reads every member. */
static void check_gzread(const uint8_t *z, size_t zlen, const uint8_t *want, size_t want_len)
{
   char path[128];
   gzFile g;
   uint8_t *out = malloc(want_len + 16);
   size_t total = 0;
   int n;

   assert_non_null(out);
   snprintf(path, sizeof path, "%s/gzread.gz", g_dir);
   file_put(path, z, zlen);
   g = gzopen(path, "rb");
   assert_non_null(g);
   while ((n = gzread(g, out + total, (unsigned) (want_len + 16 - total))) > 0) {
      total += (size_t) n;
   }
   assert_int_equal(n, 0);
   gzclose(g);
   assert_int_equal(total, want_len);
   if (want_len) {
      assert_memory_equal(out, want, want_len);
   }
   free(out);
   unlink(path);
}

/* The command-line tool decompresses our output to the same bytes. */
static void check_tool(const char *tool, const char *ext, const uint8_t *z, size_t zlen,
                       const uint8_t *want, size_t want_len)
{
   char in[128], out[128], cmd[400];
   uint8_t *got;
   size_t got_len;

   snprintf(in, sizeof in, "%s/tool%s", g_dir, ext);
   snprintf(out, sizeof out, "%s/tool.out", g_dir);
   file_put(in, z, zlen);
   snprintf(cmd, sizeof cmd, "%s -dc '%s' > '%s'", tool, in, out);
   if (system(cmd) != 0) {
      fail_msg("'%s' failed", cmd);
   }
   got = file_get(out, &got_len);
   assert_int_equal(got_len, want_len);
   if (want_len) {
      assert_memory_equal(got, want, want_len);
   }
   free(got);
   unlink(in);
   unlink(out);
}

static void round_trip(mb_compress_t c, int threads, size_t n)
{
   uint8_t *data = make_data(n), *z;
   size_t zlen;
   bytes_t out = {0};
   mb_compress_t kind = (mb_compress_t) -1;
   mb_error_t err;

   z = compress_mem(c, threads, data, n, &zlen);
   if (!decompress_mem(z, zlen, 300000, &kind, &out, &err)) {
      fail_msg("%s/%d threads/%zu bytes: %s", mb_compress_name(c), threads, n, err.message);
   }
   assert_int_equal(kind, c);
   assert_int_equal(out.len, n);
   if (n) {
      assert_memory_equal(out.data, data, n);
   }
   if (c == MB_COMPRESS_NONE) {
      assert_int_equal(zlen, n);
   } else if (c == MB_COMPRESS_GZIP) {
      /* one independent member per 4 MiB of input (and one for an empty stream) */
      size_t members = n == 0 ? 1 : (n + 4 * MIB - 1) / (4 * MIB);
      assert_int_equal(gzip_members(z, zlen, data, n), members);
      check_gzread(z, zlen, data, n);
      if (n > 8 * MIB) {
         check_tool("gzip", ".gz", z, zlen, data, n);
      }
   } else {
      assert_true(ZSTD_findFrameCompressedSize(z, zlen) <= zlen);
      if (n > 8 * MIB || n == 0) {
         check_tool("zstd -q", ".zst", z, zlen, data, n);
      }
   }
   bytes_free(&out);
   free(z);
   free(data);
}

static const size_t g_sizes[] = {0, 1, 4 * MIB - 1, 4 * MIB, 9 * MIB + 3};

static void round_trips(mb_compress_t c)
{
   for (int threads = 1; threads <= 3; threads += 2) {
      for (size_t i = 0; i < sizeof g_sizes / sizeof g_sizes[0]; i++) {
         round_trip(c, threads, g_sizes[i]);
      }
   }
}

static void test_round_trip_none(void **state)
{
   (void) state;
   round_trips(MB_COMPRESS_NONE);
}

static void test_round_trip_gzip(void **state)
{
   (void) state;
   round_trips(MB_COMPRESS_GZIP);
}

static void test_round_trip_zstd(void **state)
{
   (void) state;
   round_trips(MB_COMPRESS_ZSTD);
}

/* Parallel gzip output does not depend on the number of threads. */
static void test_gzip_deterministic(void **state)
{
   size_t n = 9 * MIB + 3, l1, l3;
   uint8_t *data = make_data(n);
   uint8_t *z1 = compress_mem(MB_COMPRESS_GZIP, 1, data, n, &l1);
   uint8_t *z3 = compress_mem(MB_COMPRESS_GZIP, 3, data, n, &l3);
   (void) state;

   assert_int_equal(l1, l3);
   assert_memory_equal(z1, z3, l1);
   free(z1);
   free(z3);
   free(data);
}

/* Streams written by the tools themselves: gzip with a file name, concatenated zstd frames,
 * a zstd frame without checksum read in small pieces. */
static void test_foreign_streams(void **state)
{
   size_t n = 3 * MIB + 17, zlen, zlen2;
   uint8_t *data = make_data(n), *z;
   char in[128], cmd[300];
   bytes_t out = {0}, cat = {0};
   mb_compress_t kind;
   mb_error_t err;
   (void) state;

   snprintf(in, sizeof in, "%s/named", g_dir);
   file_put(in, data, n);
   snprintf(cmd, sizeof cmd, "gzip -k -9 '%s' && zstd -q -k '%s'", in, in);
   assert_int_equal(system(cmd), 0);
   snprintf(in, sizeof in, "%s/named.gz", g_dir);
   z = file_get(in, &zlen);
   assert_true(z[3] & 0x08); /* FNAME set */
   assert_true(decompress_mem(z, zlen, 65536, &kind, &out, &err));
   assert_int_equal(kind, MB_COMPRESS_GZIP);
   assert_int_equal(out.len, n);
   assert_memory_equal(out.data, data, n);
   free(z);

   snprintf(in, sizeof in, "%s/named.zst", g_dir);
   z = file_get(in, &zlen);
   bytes_put(&cat, z, zlen);
   bytes_put(&cat, z, zlen);
   free(z);
   assert_true(decompress_mem(cat.data, cat.len, 65536, &kind, &out, &err));
   assert_int_equal(kind, MB_COMPRESS_ZSTD);
   assert_int_equal(out.len, 2 * n);
   assert_memory_equal(out.data, data, n);
   assert_memory_equal(out.data + n, data, n);

   /* a frame without checksum (ZSTD_compress's default) */
   cat.len = 0;
   zlen2 = ZSTD_compressBound(n);
   z = malloc(zlen2);
   assert_non_null(z);
   zlen2 = ZSTD_compress(z, zlen2, data, n, 1);
   assert_false(ZSTD_isError(zlen2));
   for (size_t cap = 1000; cap <= 1000000; cap *= 10) {
      if (!decompress_mem(z, zlen2, cap, &kind, &out, &err)) {
         fail_msg("zstd frame without checksum, reads of up to %zu bytes: %s", cap, err.message);
      }
      assert_int_equal(out.len, n);
      assert_memory_equal(out.data, data, n);
   }
   free(z);
   bytes_free(&cat);
   bytes_free(&out);
   free(data);
}

static void expect_read_error(const uint8_t *z, size_t zlen, mb_exit_t code, const char *want)
{
   bytes_t out = {0};
   mb_compress_t kind;
   mb_error_t err;

   memset(&err, 0, sizeof err);
   if (decompress_mem(z, zlen, 65536, &kind, &out, &err)) {
      fail_msg("%zu bytes accepted, expected: %s", zlen, want);
   }
   assert_error(&err, code, want);
   bytes_free(&out);
}

static void test_other_compressors(void **state)
{
   static const struct {
      const char *bytes;
      size_t len;
      const char *msg;
   } cases[] = {
       {"\xfd\x37\x7a\x58\x5a\x00\x00\x04", 8,
        "the input is compressed with xz, which mongobak does not read; decompress it first (xz "
        "-dc FILE | mongobak ... -)"},
       {"BZh91AY&SY", 10,
        "the input is compressed with bzip2, which mongobak does not read; decompress it first "
        "(bzip2 -dc FILE | mongobak ... -)"},
       {"\x04\x22\x4d\x18\x64\x40", 6,
        "the input is compressed with lz4, which mongobak does not read; decompress it first (lz4 "
        "-dc FILE | mongobak ... -)"},
       {"PK\x03\x04\x14\x00", 6,
        "the input is compressed with zip, which mongobak does not read; decompress it first "
        "(unzip -p FILE | mongobak ... -)"},
   };
   (void) state;

   for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
      expect_read_error((const uint8_t *) cases[i].bytes, cases[i].len, MB_EXIT_NOT_ARCHIVE,
                        cases[i].msg);
   }
}

/* Real xz and bzip2 output, as a user would hand it over. */
static void test_other_compressors_real(void **state)
{
   static const char *const tools[][3] = {{"xz", ".xz", "xz"}, {"bzip2", ".bz2", "bzip2"}};
   uint8_t *data = make_data(1000), *z;
   char in[128], cmd[300], want[200];
   size_t zlen;
   (void) state;

   for (int i = 0; i < 2; i++) {
      snprintf(in, sizeof in, "%s/plain", g_dir);
      file_put(in, data, 1000);
      snprintf(cmd, sizeof cmd, "command -v %s >/dev/null && %s -f '%s'", tools[i][0], tools[i][0],
               in);
      if (system(cmd) != 0) {
         continue; /* tool not installed */
      }
      snprintf(in, sizeof in, "%s/plain%s", g_dir, tools[i][1]);
      z = file_get(in, &zlen);
      snprintf(want, sizeof want,
               "the input is compressed with %s, which mongobak does not read; decompress it "
               "first (%s -dc FILE | mongobak ... -)",
               tools[i][2], tools[i][2]);
      expect_read_error(z, zlen, MB_EXIT_NOT_ARCHIVE, want);
      free(z);
      unlink(in);
   }
   free(data);
}

static void test_plain_passthrough(void **state)
{
   bytes_t out = {0};
   mb_compress_t kind;
   mb_error_t err;
   (void) state;

   /* short inputs and ones that start like nothing known are handed through untouched */
   assert_true(decompress_mem((const uint8_t *) "", 0, 10, &kind, &out, &err));
   assert_int_equal(kind, MB_COMPRESS_NONE);
   assert_int_equal(out.len, 0);
   assert_true(decompress_mem((const uint8_t *) "\x1f", 1, 10, &kind, &out, &err));
   assert_int_equal(kind, MB_COMPRESS_NONE);
   assert_int_equal(out.len, 1);
   assert_true(decompress_mem((const uint8_t *) "\x6d\xe2\x99\x81xyzw", 8, 3, &kind, &out, &err));
   assert_int_equal(kind, MB_COMPRESS_NONE);
   assert_int_equal(out.len, 8);
   assert_memory_equal(out.data, "\x6d\xe2\x99\x81xyzw", 8);
   bytes_free(&out);
}

static void test_truncated_gzip(void **state)
{
   size_t n = 200000, zlen;
   uint8_t *data = make_data(n);
   uint8_t *z = compress_mem(MB_COMPRESS_GZIP, 1, data, n, &zlen);
   const size_t cuts[] = {2, 3, 10, 11, 100, zlen / 2, zlen - 8, zlen - 4, zlen - 1};
   (void) state;

   for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
      expect_read_error(z, cuts[i], MB_EXIT_CORRUPT,
                        "corrupt archive: the gzip stream is truncated (the file was cut short)");
   }
   free(z);
   free(data);
}

static void test_truncated_zstd(void **state)
{
   size_t n = 200000, zlen;
   uint8_t *data = make_data(n);
   uint8_t *z = compress_mem(MB_COMPRESS_ZSTD, 1, data, n, &zlen);
   const size_t cuts[] = {4, 5, 6, 7, 100, zlen / 2, zlen - 4, zlen - 1};
   (void) state;

   for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
      expect_read_error(z, cuts[i], MB_EXIT_CORRUPT,
                        "corrupt archive: the zstd stream is truncated (the file was cut short)");
   }
   free(z);
   free(data);
}

static void test_gzip_trailing_garbage(void **state)
{
   size_t n = 100000, zlen;
   uint8_t *data = make_data(n);
   uint8_t *z = compress_mem(MB_COMPRESS_GZIP, 1, data, n, &zlen);
   bytes_t b = {0};
   (void) state;

   bytes_put(&b, z, zlen);
   bytes_put(&b, "garbage", 7);
   expect_read_error(b.data, b.len, MB_EXIT_CORRUPT,
                     "corrupt archive: unexpected bytes after the end of the gzip stream");
   b.len = zlen;
   bytes_put(&b, "\0\0\0\0", 4); /* zero padding, as tape or block devices add */
   expect_read_error(b.data, b.len, MB_EXIT_CORRUPT,
                     "corrupt archive: unexpected bytes after the end of the gzip stream");
   b.len = zlen;
   bytes_put(&b, "\x1f\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 12);
   expect_read_error(b.data, b.len, MB_EXIT_CORRUPT,
                     "corrupt archive: gzip data is damaged (incorrect header check)");
   b.len = zlen;
   bytes_put(&b, "\x1f\x8b\x08", 3); /* the start of another member */
   expect_read_error(b.data, b.len, MB_EXIT_CORRUPT,
                     "corrupt archive: the gzip stream is truncated (the file was cut short)");
   bytes_free(&b);
   free(z);
   free(data);
}

static void test_damaged_streams(void **state)
{
   size_t n = 100000, zlen;
   uint8_t *data = make_data(n);
   uint8_t *z = compress_mem(MB_COMPRESS_GZIP, 1, data, n, &zlen);
   bytes_t out = {0};
   mb_compress_t kind;
   mb_error_t err;
   (void) state;

   /* the CRC-32 in the gzip trailer */
   z[zlen - 6] ^= 0x01;
   expect_read_error(z, zlen, MB_EXIT_CORRUPT,
                     "corrupt archive: gzip data is damaged (incorrect data check)");
   z[zlen - 6] ^= 0x01;
   z[zlen - 2] ^= 0x01; /* the length in the trailer: ISA-L says "data check" for both */
   expect_read_error(z, zlen, MB_EXIT_CORRUPT,
                     "corrupt archive: gzip data is damaged (incorrect data check)");
   free(z);

   z = compress_mem(MB_COMPRESS_ZSTD, 1, data, n, &zlen);
   z[zlen - 2] ^= 0x01; /* the frame checksum */
   memset(&err, 0, sizeof err);
   assert_false(decompress_mem(z, zlen, 65536, &kind, &out, &err));
   assert_error_has(&err, MB_EXIT_CORRUPT, "corrupt archive: zstd data is damaged (");
   z[zlen - 2] ^= 0x01;
   /* trailing bytes after a zstd frame */
   {
      bytes_t b = {0};
      bytes_put(&b, z, zlen);
      bytes_put(&b, "garbage!", 8);
      memset(&err, 0, sizeof err);
      assert_false(decompress_mem(b.data, b.len, 65536, &kind, &out, &err));
      assert_error_has(&err, MB_EXIT_CORRUPT, "corrupt archive: zstd data is damaged (");
      bytes_free(&b);
   }
   /* damage in the middle of either stream never goes unnoticed */
   for (size_t i = 20; i < zlen - 20; i += zlen / 50) {
      z[i] ^= 0x55;
      memset(&err, 0, sizeof err);
      if (decompress_mem(z, zlen, 65536, &kind, &out, &err)) {
         fail_msg("zstd damage at byte %zu not detected", i);
      }
      assert_int_equal(err.code, MB_EXIT_CORRUPT);
      z[i] ^= 0x55;
   }
   free(z);
   bytes_free(&out);
   free(data);
}

/* A failing downstream sink: the error comes through, and the filter still frees it. */
static void test_downstream_failure(void **state)
{
   size_t n = 9 * MIB;
   uint8_t *data = make_data(n);
   (void) state;

   for (int c = MB_COMPRESS_GZIP; c <= MB_COMPRESS_ZSTD; c++) {
      for (int threads = 1; threads <= 3; threads += 2) {
         int destroyed = 0;
         mb_sink_t *f = failing_sink_new(1000, "injected: disk full", &destroyed);
         mb_sink_t *s = NULL;
         mb_error_t err;
         bool ok;
         assert_true(mb_compress_sink_new((mb_compress_t) c, 1, threads, f, &s, &err));
         ok = mb_sink_write(s, data, n, &err) && mb_sink_close(s, &err);
         assert_false(ok);
         assert_error(&err, MB_EXIT_IO, "injected: disk full");
         mb_sink_destroy(s);
         assert_int_equal(destroyed, 1);
      }
   }
   free(data);
}

/* Abandoning a compressing sink without close frees everything (ASan checks leaks). */
static void test_destroy_without_close(void **state)
{
   size_t n = 5 * MIB;
   uint8_t *data = make_data(n);
   (void) state;

   for (int c = MB_COMPRESS_GZIP; c <= MB_COMPRESS_ZSTD; c++) {
      for (int threads = 1; threads <= 4; threads += 3) {
         mb_sink_t *mem = NULL, *s = NULL;
         mb_error_t err;
         assert_true(mb_mem_sink_new(64 * MIB, &mem, &err));
         assert_true(mb_compress_sink_new((mb_compress_t) c, 1, threads, mem, &s, &err));
         assert_true(mb_sink_write(s, data, n, &err));
         mb_sink_destroy(s);
      }
   }
   free(data);
}

static void test_names_and_levels(void **state)
{
   mb_compress_t c = MB_COMPRESS_NONE;
   (void) state;

   assert_true(mb_compress_parse("gzip", &c));
   assert_int_equal(c, MB_COMPRESS_GZIP);
   assert_true(mb_compress_parse("zstd", &c));
   assert_int_equal(c, MB_COMPRESS_ZSTD);
   assert_true(mb_compress_parse("none", &c));
   assert_int_equal(c, MB_COMPRESS_NONE);
   assert_false(mb_compress_parse("xz", &c));
   assert_false(mb_compress_parse("", &c));
   assert_false(mb_compress_parse("GZIP", &c));
   assert_string_equal(mb_compress_name(MB_COMPRESS_NONE), "none");
   assert_string_equal(mb_compress_name(MB_COMPRESS_GZIP), "gzip");
   assert_string_equal(mb_compress_name(MB_COMPRESS_ZSTD), "zstd");
   assert_string_equal(mb_compress_extension(MB_COMPRESS_NONE), "");
   assert_string_equal(mb_compress_extension(MB_COMPRESS_GZIP), ".gz");
   assert_string_equal(mb_compress_extension(MB_COMPRESS_ZSTD), ".zst");
   assert_int_equal(mb_compress_default_level(MB_COMPRESS_GZIP), 3);
   assert_int_equal(mb_compress_default_level(MB_COMPRESS_ZSTD), 3);
   assert_int_equal(mb_compress_default_level(MB_COMPRESS_NONE), 0);
   assert_true(mb_compress_level_valid(MB_COMPRESS_GZIP, 1));
   assert_true(mb_compress_level_valid(MB_COMPRESS_GZIP, 9));
   assert_false(mb_compress_level_valid(MB_COMPRESS_GZIP, 0));
   assert_false(mb_compress_level_valid(MB_COMPRESS_GZIP, 10));
   assert_true(mb_compress_level_valid(MB_COMPRESS_ZSTD, 1));
   assert_true(mb_compress_level_valid(MB_COMPRESS_ZSTD, ZSTD_maxCLevel()));
   assert_false(mb_compress_level_valid(MB_COMPRESS_ZSTD, 0));
   assert_false(mb_compress_level_valid(MB_COMPRESS_ZSTD, ZSTD_maxCLevel() + 1));
   assert_true(mb_compress_level_valid(MB_COMPRESS_NONE, 0));
   assert_false(mb_compress_level_valid(MB_COMPRESS_NONE, 1));
}

/* Every gzip level: 1-3 through ISA-L igzip, 4-9 through zlib; all read back exactly. */
static void test_gzip_levels(void **state)
{
   static const int levels[] = {1, 2, 3, 4, 6, 9};
   size_t n = 5 * MIB + 77, zlen;
   uint8_t *data = malloc(n);
   mb_compress_t kind;
   mb_error_t err;

   (void) state;
   assert_non_null(data);
   for (size_t i = 0; i < n; i++) {
      data[i] = (uint8_t) ("archive of BSON documents "[i % 26] ^ (i % 251 == 0 ? (i >> 8) : 0));
   }
   for (size_t k = 0; k < sizeof levels / sizeof levels[0]; k++) {
      bytes_t out = {0};
      uint8_t *z;
      g_level = levels[k];
      z = compress_mem(MB_COMPRESS_GZIP, 2, data, n, &zlen);
      assert_true(zlen > 0 && zlen < n / 4);
      if (!decompress_mem(z, zlen, 100000, &kind, &out, &err)) {
         fail_msg("level %d: %s", levels[k], err.message);
      }
      assert_int_equal(kind, MB_COMPRESS_GZIP);
      assert_int_equal(out.len, n);
      assert_memory_equal(out.data, data, n);
      bytes_free(&out);
      free(z);
   }
   g_level = 0;
   free(data);
}

int main(void)
{
   const struct CMUnitTest tests[] = {
       cmocka_unit_test(test_gzip_levels),
       cmocka_unit_test(test_names_and_levels),
       cmocka_unit_test(test_round_trip_none),
       cmocka_unit_test(test_round_trip_gzip),
       cmocka_unit_test(test_round_trip_zstd),
       cmocka_unit_test(test_gzip_deterministic),
       cmocka_unit_test(test_foreign_streams),
       cmocka_unit_test(test_other_compressors),
       cmocka_unit_test(test_other_compressors_real),
       cmocka_unit_test(test_plain_passthrough),
       cmocka_unit_test(test_truncated_gzip),
       cmocka_unit_test(test_truncated_zstd),
       cmocka_unit_test(test_gzip_trailing_garbage),
       cmocka_unit_test(test_damaged_streams),
       cmocka_unit_test(test_downstream_failure),
       cmocka_unit_test(test_destroy_without_close),
   };
   return cmocka_run_group_tests(tests, setup, teardown);
}
