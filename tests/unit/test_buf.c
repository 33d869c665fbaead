/* Growable buffer with a ceiling. */
#include "common/buf.h"

#include "testutil.h"

static void test_append_and_reset(void **state)
{
   mb_buf_t b;
   mb_error_t err;
   (void) state;

   mb_buf_init(&b, 1 << 20);
   assert_null(b.data);
   assert_int_equal(b.len, 0);
   assert_int_equal(b.max, 1 << 20);
   assert_true(mb_buf_append(&b, "hello", 5, &err));
   assert_true(mb_buf_append(&b, NULL, 0, &err));
   assert_true(mb_buf_append(&b, " world", 6, &err));
   assert_int_equal(b.len, 11);
   assert_memory_equal(b.data, "hello world", 11);
   assert_true(b.cap >= 11);
   mb_buf_reset(&b);
   assert_int_equal(b.len, 0);
   assert_non_null(b.data);
   assert_true(mb_buf_printf(&b, &err, "%s=%d", "x", 42));
   assert_int_equal(b.len, 4);
   assert_memory_equal(b.data, "x=42", 4);
   assert_true(mb_buf_printf(&b, &err, "%05u", 7u));
   assert_int_equal(b.len, 9);
   assert_memory_equal(b.data, "x=4200007", 9);
   mb_buf_destroy(&b);
   assert_null(b.data);
   assert_int_equal(b.len, 0);
   mb_buf_destroy(NULL);
}

static void test_growth_keeps_contents(void **state)
{
   mb_buf_t b;
   mb_error_t err;
   (void) state;

   mb_buf_init(&b, 100000);
   for (int i = 0; i < 10000; i++) {
      uint8_t v = (uint8_t) i;
      assert_true(mb_buf_append(&b, &v, 1, &err));
   }
   for (int i = 0; i < 10000; i++) {
      assert_int_equal(b.data[i], (uint8_t) i);
   }
   assert_true(b.cap <= b.max);
   mb_buf_destroy(&b);
}

static void test_ceiling(void **state)
{
   mb_buf_t b;
   mb_error_t err;
   (void) state;

   mb_buf_init(&b, 10);
   assert_true(mb_buf_append(&b, "0123456789", 10, &err));
   memset(&err, 0, sizeof err);
   assert_false(mb_buf_append(&b, "x", 1, &err));
   assert_error(&err, MB_EXIT_FAILURE, "buffer limit of 10 bytes exceeded");
   assert_int_equal(b.len, 10);
   assert_memory_equal(b.data, "0123456789", 10);
   assert_false(mb_buf_reserve(&b, 1, &err));
   assert_true(mb_buf_reserve(&b, 0, &err));
   mb_buf_reset(&b);
   assert_true(mb_buf_reserve(&b, 10, &err));
   assert_false(mb_buf_reserve(&b, 11, &err));
   assert_error(&err, MB_EXIT_FAILURE, "buffer limit of 10 bytes exceeded");
   /* a huge request must not wrap around */
   assert_false(mb_buf_reserve(&b, SIZE_MAX, &err));
   assert_false(mb_buf_printf(&b, &err, "%s", "01234567890"));
   assert_error(&err, MB_EXIT_FAILURE, "buffer limit of 10 bytes exceeded");
   assert_int_equal(b.len, 0);
   /* a NULL error object is allowed */
   assert_false(mb_buf_append(&b, "01234567890", 11, NULL));
   mb_buf_destroy(&b);
}

static void test_ceiling_after_growth(void **state)
{
   mb_buf_t b;
   mb_error_t err;
   uint8_t chunk[1000];
   size_t total = 0;
   (void) state;

   memset(chunk, 'a', sizeof chunk);
   mb_buf_init(&b, 4500);
   while (mb_buf_append(&b, chunk, sizeof chunk, &err)) {
      total += sizeof chunk;
   }
   assert_int_equal(total, 4000);
   assert_int_equal(b.len, 4000);
   assert_true(b.cap <= 4500);
   assert_error(&err, MB_EXIT_FAILURE, "buffer limit of 4500 bytes exceeded");
   assert_true(mb_buf_append(&b, chunk, 500, &err));
   assert_int_equal(b.len, 4500);
   assert_false(mb_buf_append(&b, chunk, 1, &err));
   mb_buf_destroy(&b);
}

int main(void)
{
   const struct CMUnitTest tests[] = {
       cmocka_unit_test(test_append_and_reset),
       cmocka_unit_test(test_growth_keeps_contents),
       cmocka_unit_test(test_ceiling),
       cmocka_unit_test(test_ceiling_after_growth),
   };
   return cmocka_run_group_tests(tests, NULL, NULL);
}
