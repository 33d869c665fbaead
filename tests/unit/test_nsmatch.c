/* Namespace patterns: '*' matches any run (dots included), '\' escapes. */
#include "common/nsmatch.h"

#include "testutil.h"

static void test_literal(void **state)
{
   (void) state;
   assert_true(mb_ns_match("db.coll", "db.coll"));
   assert_false(mb_ns_match("db.coll", "db.col"));
   assert_false(mb_ns_match("db.col", "db.coll"));
   assert_false(mb_ns_match("db.coll", "DB.coll"));
   assert_true(mb_ns_match("", ""));
   assert_false(mb_ns_match("", "a"));
   assert_false(mb_ns_match("a", ""));
}

static void test_star(void **state)
{
   (void) state;
   assert_true(mb_ns_match("*", ""));
   assert_true(mb_ns_match("*", "anything.at.all"));
   assert_true(mb_ns_match("db.*", "db.c"));
   assert_true(mb_ns_match("db.*", "db.a.b"));
   assert_true(mb_ns_match("db.*", "db."));
   assert_false(mb_ns_match("db.*", "db2.c"));
   assert_false(mb_ns_match("db.*", "db"));
   assert_true(mb_ns_match("*.c", "db.c"));
   assert_true(mb_ns_match("*.c", "a.b.c"));
   assert_false(mb_ns_match("*.c", "db.cc"));
   assert_true(mb_ns_match("*.system.*", "admin.system.users"));
   assert_false(mb_ns_match("*.system.*", "admin.users"));
   assert_true(mb_ns_match("d*b.c*", "dxxb.cyy"));
   assert_true(mb_ns_match("a*b*c", "aXbYbZc"));
   assert_false(mb_ns_match("a*b*c", "aXbYbZ"));
   assert_true(mb_ns_match("**", "x"));
   assert_true(mb_ns_match("a**", "a"));
   /* backtracking: the first candidate for "*b" is not the right one */
   assert_true(mb_ns_match("*ab", "aab"));
   assert_true(mb_ns_match("*aab", "aaab"));
   assert_false(mb_ns_match("*aab", "aaba"));
}

static void test_escape(void **state)
{
   (void) state;
   assert_true(mb_ns_match("d\\*b.c", "d*b.c"));
   assert_false(mb_ns_match("d\\*b.c", "dxb.c"));
   assert_false(mb_ns_match("d\\*b.c", "db.c"));
   assert_true(mb_ns_match("a\\\\b", "a\\b"));
   assert_true(mb_ns_match("\\a", "a"));
   assert_true(mb_ns_match("db.\\*", "db.*"));
   assert_false(mb_ns_match("db.\\*", "db.x"));
   assert_true(mb_ns_match("*\\*", "abc*"));
   assert_false(mb_ns_match("*\\*", "abc"));
   /* a lone trailing backslash matches itself */
   assert_true(mb_ns_match("a\\", "a\\"));
   assert_false(mb_ns_match("a\\", "a"));
}

static void test_long_inputs(void **state)
{
   char s[4001], p[64];
   (void) state;

   memset(s, 'a', 4000);
   s[4000] = '\0';
   snprintf(p, sizeof p, "*a*a*a*b");
   assert_false(mb_ns_match(p, s));
   s[3999] = 'b';
   assert_true(mb_ns_match(p, s));
}

int main(void)
{
   const struct CMUnitTest tests[] = {
       cmocka_unit_test(test_literal),
       cmocka_unit_test(test_star),
       cmocka_unit_test(test_escape),
       cmocka_unit_test(test_long_inputs),
   };
   return cmocka_run_group_tests(tests, NULL, NULL);
}
