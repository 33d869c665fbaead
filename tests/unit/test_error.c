/* Error objects and the exit-code mapping. */
#include "common/error.h"

#include "testutil.h"

#include <errno.h>

static void test_set_prefix_recode(void **state)
{
   mb_error_t err;
   (void) state;

   memset(&err, 0, sizeof err);
   mb_error_set(&err, MB_EXIT_CORRUPT, "bad %s at %d", "thing", 7);
   assert_error(&err, MB_EXIT_CORRUPT, "bad thing at 7");
   assert_int_equal(mb_error_exit_code(&err), MB_EXIT_CORRUPT);
   mb_error_prefix(&err, "reading '%s'", "x.archive");
   assert_error(&err, MB_EXIT_CORRUPT, "reading 'x.archive': bad thing at 7");
   mb_error_recode(&err, MB_EXIT_IO);
   assert_error(&err, MB_EXIT_IO, "reading 'x.archive': bad thing at 7");
   mb_error_set(NULL, MB_EXIT_IO, "ignored");
   mb_error_prefix(NULL, "ignored");
   mb_error_recode(NULL, MB_EXIT_IO);
}

static void test_long_messages_are_cut(void **state)
{
   mb_error_t err;
   char big[1000];
   (void) state;

   memset(big, 'x', sizeof big - 1);
   big[sizeof big - 1] = '\0';
   mb_error_set(&err, MB_EXIT_FAILURE, "%s", big);
   assert_int_equal(strlen(err.message), sizeof err.message - 1);
   mb_error_prefix(&err, "ctx");
   assert_int_equal(strlen(err.message), sizeof err.message - 1);
   assert_memory_equal(err.message, "ctx: xxx", 8);
}

static void test_errno(void **state)
{
   mb_error_t err;
   char want[300];
   (void) state;

   mb_error_errno(&err, ENOENT, "cannot open '%s'", "/nope");
   snprintf(want, sizeof want, "cannot open '/nope': %s", strerror(ENOENT));
   assert_error(&err, MB_EXIT_IO, want);
}

static void test_driver_errors(void **state)
{
   bson_error_t e;
   (void) state;

   memset(&e, 0, sizeof e);
   e.domain = 15; /* server selection */
   assert_int_equal(mb_error_exit_code(&e), MB_EXIT_CONNECT);
   e.domain = 2; /* stream */
   assert_int_equal(mb_error_exit_code(&e), MB_EXIT_CONNECT);
   e.domain = 7; /* sasl */
   assert_int_equal(mb_error_exit_code(&e), MB_EXIT_AUTH);
   e.domain = 14; /* scram */
   assert_int_equal(mb_error_exit_code(&e), MB_EXIT_AUTH);
   e.domain = 1; /* client */
   e.code = 11;
   assert_int_equal(mb_error_exit_code(&e), MB_EXIT_AUTH);
   e.code = 3;
   assert_int_equal(mb_error_exit_code(&e), MB_EXIT_CONNECT);
   e.domain = 11; /* server */
   e.code = 18;
   assert_int_equal(mb_error_exit_code(&e), MB_EXIT_AUTH);
   e.code = 13;
   assert_int_equal(mb_error_exit_code(&e), MB_EXIT_AUTH);
   e.code = 11000;
   assert_int_equal(mb_error_exit_code(&e), MB_EXIT_SERVER);
}

int main(void)
{
   const struct CMUnitTest tests[] = {
       cmocka_unit_test(test_set_prefix_recode),
       cmocka_unit_test(test_long_messages_are_cut),
       cmocka_unit_test(test_errno),
       cmocka_unit_test(test_driver_errors),
   };
   return cmocka_run_group_tests(tests, NULL, NULL);
}
