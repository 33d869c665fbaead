/* Stream interface and the memory sink/source. */
#include "common/stream.h"

#include "testutil.h"

static void test_mem_sink(void **state)
{
   mb_sink_t *s = NULL;
   mb_error_t err;
   const uint8_t *data;
   size_t len;
   (void) state;

   assert_true(mb_mem_sink_new(8, &s, &err));
   assert_true(mb_sink_write(s, "abc", 3, &err));
   assert_true(mb_sink_write(s, "", 0, &err));
   assert_true(mb_sink_write(s, "defgh", 5, &err));
   assert_int_equal(s->bytes_in, 8);
   assert_false(mb_sink_write(s, "i", 1, &err));
   assert_error(&err, MB_EXIT_FAILURE, "buffer limit of 8 bytes exceeded");
   data = mb_mem_sink_data(s, &len);
   assert_int_equal(len, 8);
   assert_memory_equal(data, "abcdefgh", 8);
   assert_true(mb_sink_close(s, &err));
   mb_sink_destroy(s);
   mb_sink_destroy(NULL);
}

static void test_mem_source(void **state)
{
   static const char text[] = "0123456789";
   mb_source_t *s = NULL;
   mb_error_t err;
   char buf[16];
   size_t got;
   (void) state;

   assert_true(mb_mem_source_new(text, 10, &s, &err));
   assert_true(mb_source_read(s, buf, 3, &got, &err));
   assert_int_equal(got, 3);
   assert_memory_equal(buf, "012", 3);
   assert_true(mb_source_read_full(s, buf, 16, &got, &err));
   assert_int_equal(got, 7);
   assert_memory_equal(buf, "3456789", 7);
   assert_true(mb_source_read(s, buf, 16, &got, &err));
   assert_int_equal(got, 0);
   assert_int_equal(s->bytes_out, 10);
   mb_source_destroy(s);
   mb_source_destroy(NULL);

   assert_true(mb_mem_source_new(NULL, 0, &s, &err));
   assert_true(mb_source_read(s, buf, 16, &got, &err));
   assert_int_equal(got, 0);
   mb_source_destroy(s);
}

/* A source that hands out one byte per read, then fails. */
typedef struct {
   mb_source_t base;
   int left;
} drip_t;

static bool drip_read(mb_source_t *s, void *buf, size_t cap, size_t *got, mb_error_t *err)
{
   drip_t *d = (drip_t *) s;
   (void) cap;
   if (d->left == 0) {
      mb_error_set(err, MB_EXIT_IO, "injected read failure");
      return false;
   }
   d->left--;
   *(uint8_t *) buf = 'x';
   *got = 1;
   return true;
}

static void drip_destroy(mb_source_t *s)
{
   (void) s;
}

static void test_read_full_short_reads_and_errors(void **state)
{
   drip_t d = {{drip_read, drip_destroy, 0}, 5};
   mb_error_t err;
   char buf[8];
   size_t got = 99;
   (void) state;

   assert_true(mb_source_read_full(&d.base, buf, 3, &got, &err));
   assert_int_equal(got, 3);
   assert_false(mb_source_read_full(&d.base, buf, 8, &got, &err));
   assert_int_equal(got, 2);
   assert_error(&err, MB_EXIT_IO, "injected read failure");
   assert_int_equal(d.base.bytes_out, 5);
}

int main(void)
{
   const struct CMUnitTest tests[] = {
       cmocka_unit_test(test_mem_sink),
       cmocka_unit_test(test_mem_source),
       cmocka_unit_test(test_read_full_short_reads_and_errors),
   };
   return cmocka_run_group_tests(tests, NULL, NULL);
}
