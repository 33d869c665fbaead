/* Escaping untrusted text for terminals: control characters, C1 controls, invalid UTF-8. */
#include "common/text.h"

#include "testutil.h"

#include <bson/bson.h>

static void check(const char *in, const char *want)
{
   char out[256];
   char *dup = mb_text_escape_dup(in);
   char *mem = NULL;
   size_t memlen = 0;
   FILE *f = open_memstream(&mem, &memlen);

   assert_string_equal(mb_text_escape(in, out, sizeof out), want);
   assert_string_equal(dup, want);
   mb_text_fputs(f, in);
   fclose(f);
   assert_string_equal(mem, want);
   bson_free(dup);
   free(mem);
}

static void test_escapes(void **state)
{
   (void) state;
   check("plain.name", "plain.name");
   check("", "");
   check("ev\x1b[31mil", "ev\\x1b[31mil");
   check("a\nb\rc\td\a", "a\\x0ab\\x0dc\\x09d\\x07");
   check("del\x7f", "del\\x7f");
   check("back\\slash \"quoted\"", "back\\slash \"quoted\"");
   /* valid UTF-8 stays, C1 controls (U+009B is CSI) are escaped as code points */
   check("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
   check("\xc2\x9b"
         "31m",
         "\\u009b31m");
   check("\xc2\x85", "\\u0085");
   /* invalid UTF-8: a lone 8-bit CSI, a truncated sequence, an overlong, a surrogate */
   check("\x9b"
         "2J",
         "\\x9b2J");
   check("a\xe2\x82", "a\\xe2\\x82");
   check("\xc0\xaf", "\\xc0\\xaf");
   check("\xed\xa0\x80", "\\xed\\xa0\\x80");
   check("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80");
}

static void test_truncation(void **state)
{
   char out[8];
   (void) state;

   /* never cut inside an escape or a UTF-8 sequence */
   assert_string_equal(mb_text_escape("abcdefghij", out, sizeof out), "abcdefg");
   assert_string_equal(mb_text_escape("abcd\x1b", out, sizeof out), "abcd");
   assert_string_equal(mb_text_escape("abc\x1b", out, sizeof out), "abc\\x1b");
   assert_string_equal(mb_text_escape("abcdef\xc3\xa9", out, sizeof out), "abcdef");
   assert_string_equal(mb_text_escape("abcde\xc3\xa9", out, sizeof out), "abcde\xc3\xa9");
   assert_string_equal(mb_text_escape("x", out, 1), "");
}

int main(void)
{
   const struct CMUnitTest tests[] = {
       cmocka_unit_test(test_escapes),
       cmocka_unit_test(test_truncation),
   };
   return cmocka_run_group_tests(tests, NULL, NULL);
}
