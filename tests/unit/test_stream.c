/* Stream interface and the memory sink/source. */
#include "common/readahead.h"
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

/* The read-ahead source hands out exactly the bytes below, whatever the sizes asked. */
static void test_readahead_same_bytes(void **state)
{
   enum { N = 100003 };
   uint8_t *data = malloc(N), *back = malloc(N);
   mb_source_t *mem = NULL, *ra = NULL;
   mb_error_t err;
   size_t total = 0, got, cap = 1;
   (void) state;

   for (size_t i = 0; i < N; i++) {
      data[i] = (uint8_t) (i * 7 + i / 251);
   }
   assert_true(mb_mem_source_new(data, N, &mem, &err));
   assert_true(mb_readahead_source_new(mem, 4096, 3, &ra, &err));
   do {
      assert_true(mb_source_read(ra, back + total, cap < N - total ? cap : N - total, &got, &err));
      total += got;
      cap = cap * 3 + 1 > 20000 ? 1 : cap * 3 + 1; /* reads across chunk edges */
   } while (got > 0 && total < N);
   assert_true(mb_source_read(ra, back, 16, &got, &err));
   assert_int_equal(got, 0);
   assert_int_equal(total, N);
   assert_memory_equal(back, data, N);
   assert_int_equal(mem->bytes_out, N);
   mb_source_destroy(ra); /* destroys mem */
   free(data);
   free(back);
}

/* An error below arrives after the bytes read before it, with its own text; destroying before
 * the end (the thread waiting for room) neither hangs nor leaks. */
static void test_readahead_error_and_early_destroy(void **state)
{
   drip_t d = {{drip_read, drip_destroy, 0}, 5};
   static const char text[] = "0123456789abcdefghij";
   mb_source_t *ra = NULL, *mem = NULL;
   mb_error_t err;
   char buf[8];
   size_t got;
   (void) state;

   assert_true(mb_readahead_source_new(&d.base, 2, 2, &ra, &err));
   for (int i = 0; i < 5; i++) {
      assert_true(mb_source_read(ra, buf, 1, &got, &err));
      assert_int_equal(got, 1);
      assert_int_equal(buf[0], 'x');
   }
   assert_false(mb_source_read(ra, buf, 8, &got, &err));
   assert_error(&err, MB_EXIT_IO, "injected read failure");
   mb_source_destroy(ra);

   assert_true(mb_mem_source_new(text, 20, &mem, &err));
   assert_true(mb_readahead_source_new(mem, 2, 2, &ra, &err));
   assert_true(mb_source_read(ra, buf, 1, &got, &err));
   assert_int_equal(buf[0], '0');
   mb_source_destroy(ra);
}

int main(void)
{
   const struct CMUnitTest tests[] = {
       cmocka_unit_test(test_mem_sink),
       cmocka_unit_test(test_mem_source),
       cmocka_unit_test(test_read_full_short_reads_and_errors),
       cmocka_unit_test(test_readahead_same_bytes),
       cmocka_unit_test(test_readahead_error_and_early_destroy),
   };
   return cmocka_run_group_tests(tests, NULL, NULL);
}
