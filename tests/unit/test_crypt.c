/* Encryption filters: round trips at the chunk boundaries, key files, passphrases (Argon2id with
 * small parameters), and every way a file can be unreadable: no key, another key, each byte
 * flipped, truncation at every chunk boundary, bytes appended. */
#include "archive/crypt.h"

#include "testutil.h"

#include <sys/stat.h>
#include <unistd.h>

#define CHUNK MB_CRYPT_CHUNK
#define ABYTES 17u /* crypto_secretstream_xchacha20poly1305_ABYTES */
#define HDR MB_CRYPT_HEADER_BYTES

static char g_dir[64];
static char g_keyfile[128], g_keyfile2[128];

static int setup(void **state)
{
   mb_error_t err;

   (void) state;
   if (!tmpdir_make(g_dir, sizeof g_dir, "crypt")) {
      return -1;
   }
   snprintf(g_keyfile, sizeof g_keyfile, "%s/a.key", g_dir);
   snprintf(g_keyfile2, sizeof g_keyfile2, "%s/b.key", g_dir);
   return mb_crypt_keygen(g_keyfile, NULL, &err) && mb_crypt_keygen(g_keyfile2, NULL, &err) ? 0
                                                                                            : -1;
}

static int teardown(void **state)
{
   (void) state;
   return tmpdir_remove(g_dir);
}

static mb_crypt_key_t *load(const char *path)
{
   mb_crypt_key_t *k = NULL;
   mb_error_t err;

   assert_true(mb_crypt_key_load(path, &k, &err));
   return k;
}

static mb_crypt_key_t *pass_key(const char *pass)
{
   mb_crypt_key_t *k = NULL;
   mb_error_t err;

   assert_true(mb_crypt_key_from_passphrase(pass, strlen(pass), &k, &err));
   mb_crypt_key_set_limits(k, 1, 8192); /* Argon2id's minimum: fast tests */
   return k;
}

static uint8_t *pattern(size_t n)
{
   uint8_t *p = malloc(n ? n : 1);

   assert_non_null(p);
   for (size_t i = 0; i < n; i++) {
      p[i] = (uint8_t) (i * 7 + (i >> 11));
   }
   return p;
}

/* Encrypt n bytes of data written step bytes at a time; the file's bytes go to out. */
static void encrypt_mem(mb_crypt_key_t *k, const uint8_t *data, size_t n, size_t step, bytes_t *out)
{
   mb_sink_t *mem = NULL, *s = NULL;
   const uint8_t *p;
   mb_error_t err;
   size_t len;

   assert_true(mb_mem_sink_new(SIZE_MAX, &mem, &err));
   assert_true(mb_crypt_sink_new(k, mem, &s, &err));
   for (size_t i = 0; i < n; i += step) {
      assert_true(mb_sink_write(s, data + i, n - i < step ? n - i : step, &err));
   }
   assert_true(mb_sink_close(s, &err));
   p = mb_mem_sink_data(mem, &len);
   bytes_put(out, p, len);
   mb_sink_destroy(s);
}

/* Decrypt (or pass through) n bytes; the plaintext goes to out. */
static bool decrypt_mem(mb_crypt_key_t *k, const uint8_t *data, size_t n, bytes_t *out,
                        bool *encrypted, mb_error_t *err)
{
   mb_source_t *mem = NULL, *src = NULL;
   uint8_t buf[10000];
   size_t got;
   bool ok;

   assert_true(mb_mem_source_new(data, n, &mem, err));
   if (!mb_crypt_source_open(mem, k, "x.enc", &src, encrypted, err)) {
      return false;
   }
   while ((ok = mb_source_read(src, buf, sizeof buf, &got, err)) && got > 0) {
      bytes_put(out, buf, got);
   }
   mb_source_destroy(src);
   return ok;
}

static void round_trip(mb_crypt_key_t *k, size_t n, size_t step)
{
   uint8_t *data = pattern(n);
   bytes_t enc = {0}, dec = {0};
   size_t chunks = n / CHUNK + 1; /* the last one (FINAL) holds 0 .. CHUNK bytes */
   bool encrypted = false;
   mb_error_t err;

   if (n > 0 && n % CHUNK == 0) {
      chunks--;
   }
   encrypt_mem(k, data, n, step, &enc);
   assert_int_equal(enc.len, HDR + n + chunks * ABYTES);
   assert_memory_equal(enc.data, "MBENC\0", 6);
   assert_true(decrypt_mem(k, enc.data, enc.len, &dec, &encrypted, &err));
   assert_true(encrypted);
   assert_int_equal(dec.len, n);
   if (n) {
      assert_memory_equal(dec.data, data, n);
   }
   bytes_free(&enc);
   bytes_free(&dec);
   free(data);
}

static void test_round_trip_boundaries(void **state)
{
   static const size_t sizes[] = {0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 5};
   mb_crypt_key_t *k = load(g_keyfile);

   (void) state;
   for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
      round_trip(k, sizes[i], 1000);
      round_trip(k, sizes[i], 4 * CHUNK);
   }
   mb_crypt_key_destroy(k);
}

static void test_plain_passes_through(void **state)
{
   static const char *inputs[] = {"", "ab", "MBENx and more bytes than a header has, surely...",
                                  "MBENC"};
   mb_crypt_key_t *k = load(g_keyfile);
   mb_error_t err;

   (void) state;
   for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
      bytes_t out = {0};
      bool encrypted = true;
      assert_true(decrypt_mem(i % 2 ? NULL : k, (const uint8_t *) inputs[i], strlen(inputs[i]),
                              &out, &encrypted, &err));
      assert_false(encrypted);
      assert_int_equal(out.len, strlen(inputs[i]));
      if (out.len) {
         assert_memory_equal(out.data, inputs[i], out.len);
      }
      bytes_free(&out);
   }
   mb_crypt_key_destroy(k);
}

static void test_no_key_and_wrong_key(void **state)
{
   mb_crypt_key_t *a = load(g_keyfile), *b = load(g_keyfile2), *p = pass_key("secret");
   char ida[MB_CRYPT_KEY_ID_HEX], idb[MB_CRYPT_KEY_ID_HEX], want[256];
   bytes_t enc = {0}, out = {0};
   bool encrypted = false;
   mb_error_t err;

   (void) state;
   mb_crypt_key_id(a, ida);
   mb_crypt_key_id(b, idb);
   assert_int_equal(strlen(ida), 32);
   assert_string_not_equal(ida, idb);
   encrypt_mem(a, (const uint8_t *) "hello", 5, 5, &enc);

   assert_false(decrypt_mem(NULL, enc.data, enc.len, &out, &encrypted, &err));
   assert_true(encrypted);
   snprintf(want, sizeof want,
            "x.enc is encrypted: give --encrypt-key-file or ENCRYPTION_KEY_FILE (the key with "
            "id %s)",
            ida);
   assert_error(&err, MB_EXIT_CORRUPT, want);

   assert_false(decrypt_mem(b, enc.data, enc.len, &out, &encrypted, &err));
   snprintf(want, sizeof want,
            "x.enc is encrypted with another key (key id %s; this key is %s): give the key file "
            "it was written with",
            ida, idb);
   assert_error(&err, MB_EXIT_CORRUPT, want);

   assert_false(decrypt_mem(p, enc.data, enc.len, &out, &encrypted, &err));
   assert_error_has(&err, MB_EXIT_CORRUPT, "not a passphrase");
   assert_int_equal(out.len, 0);
   bytes_free(&enc);
   mb_crypt_key_destroy(a);
   mb_crypt_key_destroy(b);
   mb_crypt_key_destroy(p);
}

/* Every single-byte change of a small file is refused, before or while reading. */
static void test_each_byte_flipped(void **state)
{
   mb_crypt_key_t *k = load(g_keyfile);
   uint8_t *data = pattern(100);
   bytes_t enc = {0};
   mb_error_t err;

   (void) state;
   encrypt_mem(k, data, 100, 100, &enc);
   assert_int_equal(enc.len, HDR + 100 + ABYTES);
   for (size_t i = 6; i < enc.len; i++) { /* the magic: test_flipped_magic_is_plain */
      bytes_t out = {0};
      bool encrypted = false;
      enc.data[i] ^= 0x01;
      if (decrypt_mem(k, enc.data, enc.len, &out, &encrypted, &err)) {
         fail_msg("byte %zu flipped was not detected", i);
      }
      assert_int_equal(err.code, MB_EXIT_CORRUPT);
      assert_int_equal(out.len, 0);
      enc.data[i] ^= 0x01;
      bytes_free(&out);
   }
   bytes_free(&enc);
   free(data);
   mb_crypt_key_destroy(k);
}

/* A flipped magic byte is not an encrypted file any more: passed through, never decrypted. */
static void test_flipped_magic_is_plain(void **state)
{
   mb_crypt_key_t *k = load(g_keyfile);
   bytes_t enc = {0}, out = {0};
   bool encrypted = true;
   mb_error_t err;

   (void) state;
   encrypt_mem(k, (const uint8_t *) "x", 1, 1, &enc);
   enc.data[0] ^= 1;
   assert_true(decrypt_mem(k, enc.data, enc.len, &out, &encrypted, &err));
   assert_false(encrypted);
   assert_int_equal(out.len, enc.len);
   bytes_free(&enc);
   bytes_free(&out);
   mb_crypt_key_destroy(k);
}

static void test_truncation_and_trailing_bytes(void **state)
{
   mb_crypt_key_t *k = load(g_keyfile);
   size_t n = 3 * CHUNK + 10;
   uint8_t *data = pattern(n);
   bytes_t enc = {0};
   mb_error_t err;
   char want[200];

   (void) state;
   encrypt_mem(k, data, n, CHUNK, &enc);
   for (size_t c = 0; c <= 3; c++) {
      size_t cut = HDR + c * (CHUNK + ABYTES);
      bytes_t out = {0};
      bool encrypted = false;
      assert_false(decrypt_mem(k, enc.data, cut, &out, &encrypted, &err));
      snprintf(want, sizeof want,
               "x.enc: the encrypted archive is truncated: it ends after %zu bytes without its "
               "final chunk",
               cut);
      assert_error(&err, MB_EXIT_CORRUPT, want);
      assert_int_equal(out.len, c * CHUNK);
      bytes_free(&out);
      /* and one byte into the next chunk, and one byte short of the whole file */
      assert_false(decrypt_mem(k, enc.data, cut + 1, &out, &encrypted, &err));
      assert_error_has(&err, MB_EXIT_CORRUPT, "truncated or corrupt");
      bytes_free(&out);
   }
   for (size_t cut = 1; cut < HDR; cut += 20) {
      bytes_t out = {0};
      bool encrypted = false;
      assert_false(decrypt_mem(k, enc.data, cut < 6 ? 6 : cut, &out, &encrypted, &err));
      assert_error_has(&err, MB_EXIT_CORRUPT, "its header has");
   }
   {
      bytes_t out = {0};
      bool encrypted = false;
      assert_false(decrypt_mem(k, enc.data, enc.len - 1, &out, &encrypted, &err));
      assert_error_has(&err, MB_EXIT_CORRUPT, "truncated or corrupt");
      bytes_free(&out);
      bytes_put(&enc, "z", 1); /* read as part of the short final chunk */
      assert_false(decrypt_mem(k, enc.data, enc.len, &out, &encrypted, &err));
      assert_error_has(&err, MB_EXIT_CORRUPT, "truncated or corrupt");
      bytes_free(&out);
      /* a full final chunk, then a byte */
      enc.len = 0;
      encrypt_mem(k, data, CHUNK, CHUNK, &enc);
      bytes_put(&enc, "z", 1);
      assert_false(decrypt_mem(k, enc.data, enc.len, &out, &encrypted, &err));
      snprintf(want, sizeof want,
               "x.enc: bytes follow the final chunk of the encrypted archive (at byte %u): the "
               "file was altered",
               HDR + CHUNK + ABYTES);
      assert_error(&err, MB_EXIT_CORRUPT, want);
      bytes_free(&out);
   }
   bytes_free(&enc);
   free(data);
   mb_crypt_key_destroy(k);
}

static void test_passphrase(void **state)
{
   mb_crypt_key_t *p = pass_key("correct horse"), *q = pass_key("battery staple");
   mb_crypt_key_t *a = load(g_keyfile);
   uint8_t *data = pattern(CHUNK + 3);
   bytes_t e1 = {0}, e2 = {0}, out = {0};
   bool encrypted = false;
   mb_error_t err;
   char id[MB_CRYPT_KEY_ID_HEX];

   (void) state;
   mb_crypt_key_id(p, id);
   assert_string_equal(id, "");
   encrypt_mem(p, data, CHUNK + 3, 777, &e1);
   encrypt_mem(p, data, CHUNK + 3, 777, &e2);
   assert_int_equal(e1.data[7], 1);                         /* KDF: Argon2id */
   assert_memory_not_equal(e1.data + 44, e2.data + 44, 16); /* a salt per file */
   assert_true(decrypt_mem(p, e1.data, e1.len, &out, &encrypted, &err));
   assert_int_equal(out.len, CHUNK + 3);
   assert_memory_equal(out.data, data, CHUNK + 3);
   bytes_free(&out);

   assert_false(decrypt_mem(q, e1.data, e1.len, &out, &encrypted, &err));
   assert_error(&err, MB_EXIT_CORRUPT,
                "x.enc: wrong passphrase (or the encryption header is "
                "corrupt)");
   assert_false(decrypt_mem(a, e1.data, e1.len, &out, &encrypted, &err));
   assert_error(&err, MB_EXIT_CORRUPT,
                "x.enc is encrypted with a passphrase, not a key file: "
                "give --passphrase-file or ENCRYPTION_PASSPHRASE");
   assert_false(decrypt_mem(NULL, e1.data, e1.len, &out, &encrypted, &err));
   assert_error(&err, MB_EXIT_CORRUPT,
                "x.enc is encrypted with a passphrase: give "
                "--passphrase-file or ENCRYPTION_PASSPHRASE");
   /* parameters out of range are refused before any derivation */
   e1.data[36 + 7] = 0xff;
   assert_false(decrypt_mem(p, e1.data, e1.len, &out, &encrypted, &err));
   assert_error_has(&err, MB_EXIT_CORRUPT, "Argon2id parameters");
   assert_int_equal(out.len, 0);
   mb_crypt_key_destroy(q);
   q = NULL;
   assert_false(mb_crypt_key_from_passphrase("", 0, &q, &err));
   assert_null(q);
   assert_error(&err, MB_EXIT_USAGE, "the encryption passphrase is empty");
   bytes_free(&e1);
   bytes_free(&e2);
   free(data);
   mb_crypt_key_destroy(p);
   mb_crypt_key_destroy(a);
   mb_crypt_key_destroy(pass_key("x")); /* made and freed without use */
}

static void test_keygen_files(void **state)
{
   char path[160], id[MB_CRYPT_KEY_ID_HEX], id2[MB_CRYPT_KEY_ID_HEX], want[300];
   mb_crypt_key_t *k = NULL;
   struct stat st;
   mb_error_t err;
   size_t len;
   char *text;

   (void) state;
   snprintf(path, sizeof path, "%s/new.key", g_dir);
   assert_true(mb_crypt_keygen(path, id, &err));
   assert_int_equal(stat(path, &st), 0);
   assert_int_equal(st.st_mode & 0777, 0600);
   text = file_get(path, &len);
   assert_non_null(strstr(text, id));
   assert_int_equal(text[0], '#');
   free(text);
   k = load(path);
   mb_crypt_key_id(k, id2);
   assert_string_equal(id, id2);
   mb_crypt_key_destroy(k);

   assert_false(mb_crypt_keygen(path, NULL, &err));
   assert_int_equal(err.code, MB_EXIT_EXISTS);
   snprintf(want, sizeof want, "'%s' exists: mongobak keygen never replaces a key file", path);
   assert_error_has(&err, MB_EXIT_EXISTS, want);

   file_put_text(path, "# a key\n\n  AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=  \r\n");
   k = load(path);
   mb_crypt_key_destroy(k);
   snprintf(want, sizeof want,
            "'%s' is not a mongobak key file (one line of 32 bytes in base64, as 'mongobak "
            "keygen' writes)",
            path);
   static const char *bad[] = {"", "# only a comment\n", "AAAA\n",
                               "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\nAAAA\n",
                               "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"};
   for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
      file_put_text(path, bad[i]);
      k = NULL;
      assert_false(mb_crypt_key_load(path, &k, &err));
      assert_null(k);
      assert_error(&err, MB_EXIT_USAGE, want);
   }
   snprintf(path, sizeof path, "%s/missing/x.key", g_dir);
   assert_false(mb_crypt_keygen(path, NULL, &err));
   assert_error_has(&err, MB_EXIT_IO, "cannot create");
   assert_false(mb_crypt_key_load(path, &k, &err));
   assert_int_equal(err.code, MB_EXIT_IO);
}

/* A failing file under the encrypting sink: the error passes through unchanged. */
static void test_write_error_passes_through(void **state)
{
   mb_crypt_key_t *k = load(g_keyfile);
   int destroyed = 0;
   mb_sink_t *s = NULL, *f = failing_sink_new(HDR + 10, "disk full", &destroyed);
   uint8_t *data = pattern(2 * CHUNK + 1);
   mb_error_t err;

   (void) state;
   assert_true(mb_crypt_sink_new(k, f, &s, &err));
   assert_false(mb_sink_write(s, data, 2 * CHUNK + 1, &err));
   assert_error(&err, MB_EXIT_IO, "disk full");
   mb_sink_destroy(s);
   assert_int_equal(destroyed, 1);
   free(data);
   mb_crypt_key_destroy(k);
}

int main(void)
{
   const struct CMUnitTest tests[] = {
       cmocka_unit_test(test_round_trip_boundaries),
       cmocka_unit_test(test_plain_passes_through),
       cmocka_unit_test(test_no_key_and_wrong_key),
       cmocka_unit_test(test_each_byte_flipped),
       cmocka_unit_test(test_flipped_magic_is_plain),
       cmocka_unit_test(test_truncation_and_trailing_bytes),
       cmocka_unit_test(test_passphrase),
       cmocka_unit_test(test_keygen_files),
       cmocka_unit_test(test_write_error_passes_through),
   };
   return cmocka_run_group_tests(tests, setup, teardown);
}
