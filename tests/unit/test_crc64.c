/* CRC-64/XZ as mongodump computes it (docs/archive-format.md §2.6). */
#include "archive/crc64.h"

#include "testutil.h"

/* The bitwise definition of §9.1, to check the fast implementation against. */
static uint64_t reference_crc(uint64_t crc, const uint8_t *p, size_t n)
{
   static uint64_t table[256];
   static int ready;

   if (!ready) {
      for (uint64_t i = 0; i < 256; i++) {
         uint64_t c = i;
         for (int k = 0; k < 8; k++) {
            c = (c & 1) ? (c >> 1) ^ 0xC96C5795D7870F42ull : c >> 1;
         }
         table[i] = c;
      }
      ready = 1;
   }
   crc = ~crc;
   for (size_t i = 0; i < n; i++) {
      crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
   }
   return ~crc;
}

static void test_vectors(void **state)
{
   (void) state;
   assert_true(mb_crc64_update(0, "", 0) == 0);
   assert_true(mb_crc64_update(0, NULL, 0) == 0);
   assert_true(mb_crc64_update(0, "a", 1) == 0x330284772E652B05ull);
   assert_true(mb_crc64_update(0, "123456789", 9) == 0x995DC9BBDF1939FAull);
}

static void test_archive_documents(void **state)
{
   bytes_t d = {0};
   (void) state;

   bytes_put_hex(&d, V_DOC1 V_DOC2);
   assert_true(mb_crc64_update(0, d.data, 14) == 0xF3EA61436A4459FEull);
   assert_true(mb_crc64_update(0, d.data, 28) == 0x0F51DD249EE42E7Dull);
   assert_true(mb_crc64_update(mb_crc64_update(0, d.data, 14), d.data + 14, 14) ==
               0x0F51DD249EE42E7Dull);
   /* stored as the int64 bit pattern */
   assert_true((int64_t) 0x0F51DD249EE42E7Dull == 1103906533036797565ll);
   bytes_free(&d);
}

static void test_piecewise_equals_one_shot(void **state)
{
   enum { N = 100003 };
   uint8_t *buf = malloc(N);
   uint64_t whole, crc;
   uint32_t x = 12345;
   (void) state;

   assert_non_null(buf);
   for (size_t i = 0; i < N; i++) {
      x = x * 1103515245u + 12345u;
      buf[i] = (uint8_t) (x >> 16);
   }
   whole = mb_crc64_update(0, buf, N);
   assert_true(whole == reference_crc(0, buf, N));
   /* every split point of a short prefix, and uneven pieces of the whole */
   for (size_t cut = 0; cut <= 300; cut++) {
      crc = mb_crc64_update(mb_crc64_update(0, buf, cut), buf + cut, 300 - cut);
      assert_true(crc == mb_crc64_update(0, buf, 300));
      assert_true(crc == reference_crc(0, buf, 300));
   }
   crc = 0;
   for (size_t pos = 0, step = 1; pos < N; pos += step, step = step * 3 % 4099 + 1) {
      size_t n = pos + step > N ? N - pos : step;
      crc = mb_crc64_update(crc, buf + pos, n);
   }
   assert_true(crc == whole);
   /* byte by byte */
   crc = 0;
   for (size_t i = 0; i < 4096; i++) {
      crc = mb_crc64_update(crc, buf + i, 1);
   }
   assert_true(crc == mb_crc64_update(0, buf, 4096));
   /* an empty update changes nothing */
   assert_true(mb_crc64_update(whole, buf, 0) == whole);
   free(buf);
}

int main(void)
{
   const struct CMUnitTest tests[] = {
       cmocka_unit_test(test_vectors),
       cmocka_unit_test(test_archive_documents),
       cmocka_unit_test(test_piecewise_equals_one_shot),
   };
   return cmocka_run_group_tests(tests, NULL, NULL);
}
