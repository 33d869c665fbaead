/* Byte-bounded batch sizes (dump/batch.h): from the average document size, the first batch at
 * most 101, the observed average when larger, halving after an oversized reply. */
#include "dump/batch.h"

#include "testutil.h"

#include <mongoc/mongoc.h>

static void test_from_average(void **state)
{
   mb_batch_t b;

   (void) state;
   mb_batch_init(&b, 100000); /* FerretDB's 600 x 100 KB: 41 documents, 4.1 MB a reply */
   assert_int_equal(mb_batch_first(&b), 41);
   for (int i = 0; i < 1000; i++) {
      assert_int_equal(mb_batch_count(&b, 100000), 0);
   }
   assert_int_equal(b.asked, 41);

   mb_batch_init(&b, 1500); /* medium documents: 101 first, then 2796 */
   assert_int_equal(mb_batch_first(&b), MB_BATCH_FIRST);
   assert_int_equal(mb_batch_count(&b, 1500), 2796);
   assert_int_equal(mb_batch_count(&b, 1500), 0);

   mb_batch_init(&b, 1); /* tiny: a bounded count all the same */
   mb_batch_first(&b);
   assert_int_equal(mb_batch_count(&b, 1), MB_BATCH_MAX);

   mb_batch_init(&b, 16 << 20); /* larger than the target: one at a time */
   assert_int_equal(mb_batch_first(&b), 1);
   assert_int_equal(mb_batch_count(&b, 16 << 20), 0);
}

static void test_unknown_average(void **state)
{
   mb_batch_t b;

   (void) state;
   mb_batch_init(&b, 0); /* views, no collStats: mongodump's first batch, then what was seen */
   assert_int_equal(mb_batch_first(&b), MB_BATCH_FIRST);
   assert_int_equal(mb_batch_count(&b, 2048), 2048);
   assert_int_equal(mb_batch_count(&b, 2048), 0);
}

static void test_observed_larger(void **state)
{
   mb_batch_t b;
   uint32_t n = 0, last = 0;

   (void) state;
   /* the planner's average is far too small (compressed storage sizes): the documents seen
    * decide from the first one on */
   mb_batch_init(&b, 100);
   assert_int_equal(mb_batch_first(&b), MB_BATCH_FIRST);
   assert_int_equal(mb_batch_count(&b, 100000), 41);
   /* a smaller observed average never goes below the planner's */
   mb_batch_init(&b, 4096);
   mb_batch_first(&b);
   for (int i = 0; i < 5000; i++) {
      if ((n = mb_batch_count(&b, 10)) != 0) {
         last = n;
      }
   }
   assert_int_equal(last, 1024);
   assert_int_equal(b.asked, 1024);
}

static void test_slack(void **state)
{
   mb_batch_t b;

   (void) state;
   mb_batch_init(&b, 1000);
   mb_batch_first(&b);
   assert_int_equal(mb_batch_count(&b, 1000), 4194);
   /* documents a little larger: within an eighth, no new batch size */
   for (int i = 0; i < 63; i++) {
      assert_int_equal(mb_batch_count(&b, 1100), 0);
   }
   /* much larger ones: the 4 MiB hold */
   for (int i = 0; i < 64; i++) {
      mb_batch_count(&b, 4000);
   }
   assert_true(b.asked < 2000);
   assert_true((uint64_t) b.asked * (b.bytes / b.docs) <= MB_BATCH_TARGET_BYTES);
}

static void test_shrink(void **state)
{
   mb_batch_t b;
   uint32_t seen[16];
   int n = 0;

   (void) state;
   mb_batch_init(&b, 0);
   assert_int_equal(mb_batch_first(&b), 101);
   while (mb_batch_shrink(&b)) {
      seen[n++] = b.cap;
      assert_int_equal(mb_batch_first(&b), b.cap); /* a reopened cursor asks no more */
   }
   assert_int_equal(n, 6);
   assert_int_equal(seen[0], 50);
   assert_int_equal(seen[1], 25);
   assert_int_equal(seen[2], 12);
   assert_int_equal(seen[5], 1);
   assert_false(mb_batch_shrink(&b));

   /* the cap holds whatever the documents are */
   mb_batch_init(&b, 10);
   mb_batch_first(&b);
   mb_batch_count(&b, 10);
   assert_int_equal(b.asked, 419430);
   assert_true(mb_batch_shrink(&b));
   for (int i = 0; i < 10000; i++) {
      mb_batch_count(&b, 10);
   }
   assert_int_equal(b.asked, 209715);
}

static void test_oversized(void **state)
{
   bson_error_t e;

   (void) state;
   bson_set_error(&e, MONGOC_ERROR_PROTOCOL, MONGOC_ERROR_PROTOCOL_INVALID_REPLY,
                  "Failed to send \"getMore\" command with database \"x\": Message size 60019205 "
                  "is not within expected range 16-48000000 bytes");
   assert_true(mb_batch_oversized(&e));
   bson_set_error(&e, MONGOC_ERROR_PROTOCOL, MONGOC_ERROR_PROTOCOL_INVALID_REPLY,
                  "message size 60019205 is not within expected range 16-48000000 bytes");
   assert_true(mb_batch_oversized(&e)); /* newer drivers: lower case */
   bson_set_error(&e, MONGOC_ERROR_PROTOCOL, MONGOC_ERROR_PROTOCOL_INVALID_REPLY,
                  "Malformed message from server");
   assert_false(mb_batch_oversized(&e));
   bson_set_error(&e, MONGOC_ERROR_STREAM, MONGOC_ERROR_STREAM_SOCKET,
                  "Failed to read 4 bytes: socket error or timeout");
   assert_false(mb_batch_oversized(&e));
}

int main(void)
{
   const struct CMUnitTest tests[] = {
       cmocka_unit_test(test_from_average),    cmocka_unit_test(test_unknown_average),
       cmocka_unit_test(test_observed_larger), cmocka_unit_test(test_slack),
       cmocka_unit_test(test_shrink),          cmocka_unit_test(test_oversized),
   };
   return cmocka_run_group_tests(tests, NULL, NULL);
}
