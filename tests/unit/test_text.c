/* Escaping untrusted text for terminals: control characters, C1 controls, invalid UTF-8. */
#include "common/log.h"
#include "common/nsstats.h"
#include "common/text.h"

#include "testutil.h"

#include <bson/bson.h>
#include <unistd.h>

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

/* The relaxed JSON of documents with text that is not UTF-8, where libbson gives NULL. */
static void test_json(void **state)
{
   bson_t b = BSON_INITIALIZER, sub;
   char *json;
   size_t len = 0;
   (void) state;

   BSON_APPEND_UTF8(&b, "ok", "caf\xc3\xa9 \x1b");
   BSON_APPEND_UTF8(&b, "bad\xff", "x\xfe\x9by");
   BSON_APPEND_ARRAY_BEGIN(&b, "list", &sub);
   BSON_APPEND_UTF8(&sub, "0", "\xc0");
   BSON_APPEND_INT32(&sub, "1", 7);
   bson_append_array_end(&b, &sub);
   assert_null(bson_as_relaxed_extended_json(&b, NULL));
   json = mb_text_json(&b, &len);
   assert_string_equal(json, "{ \"ok\" : \"caf\xc3\xa9 \\u001b\", \"bad\\\\xff\" : "
                             "\"x\\\\xfe\\\\x9by\", \"list\" : [ \"\\\\xc0\", 7 ] }");
   assert_int_equal(len, strlen(json));
   bson_free(json);
   bson_reinit(&b);
   BSON_APPEND_UTF8(&b, "fine", "text");
   json = mb_text_json(&b, NULL);
   assert_string_equal(json, "{ \"fine\" : \"text\" }");
   bson_free(json);
   bson_destroy(&b);
}

/* A log line never carries a raw control character: a name cannot forge or recolour lines. */
static void test_log_line(void **state)
{
   char path[] = "/tmp/mbtextXXXXXX", buf[512];
   int fd = mkstemp(path), saved = dup(STDERR_FILENO);
   ssize_t n;
   (void) state;

   assert_true(fd >= 0 && saved >= 0);
   assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
   mb_log(MB_LOG_WARN, "restoring '%s'", "ev\x1b[31mil\nfake line\xff");
   assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
   close(saved);
   n = pread(fd, buf, sizeof buf - 1, 0);
   assert_true(n > 0);
   buf[n] = '\0';
   assert_non_null(strstr(buf, " warn  restoring 'ev\\x1b[31mil\\x0afake line\\xff'\n"));
   assert_ptr_equal(strchr(buf, '\n'), buf + n - 1);
   close(fd);
   unlink(path);
}

/* Durations are rounded to the millisecond, numbers written in their shortest form, and a
 * namespace's record reads back as it was written. */
static void test_ns_stats_json(void **state)
{
   mb_ns_stats_t in = {.db = "shop",
                       .collection = "orders",
                       .type = "collection",
                       .docs = 120000,
                       .bytes = 48000000,
                       .crc = 0xfedcba9876543210ULL,
                       .seconds = 20.209049662};
   mb_ns_stats_t *back = NULL;
   mb_error_t err;
   bson_t doc = BSON_INITIALIZER;
   size_t n = 0;
   char *json;
   (void) state;

   mb_ns_stats_append_array(&doc, "ns", &in, 1,
                            MB_NS_STATS_TYPE | MB_NS_STATS_CRC | MB_NS_STATS_SECONDS);
   BSON_APPEND_DOUBLE(&doc, "ratio", 0.1);
   BSON_APPEND_DOUBLE(&doc, "whole", 100.0);
   BSON_APPEND_DOUBLE(&doc, "big", 1000.0);
   BSON_APPEND_DOUBLE(&doc, "small", 1e-7);
   json = mb_text_json(&doc, NULL);
   assert_string_equal(json, "{ \"ns\" : [ { \"db\" : \"shop\", \"collection\" : \"orders\", "
                             "\"type\" : \"collection\", \"documents\" : 120000, \"bytes\" : "
                             "48000000, \"crc\" : \"0xfedcba9876543210\", \"seconds\" : 20.209 } "
                             "], \"ratio\" : 0.1, \"whole\" : 100.0, \"big\" : 1000.0, \"small\" : "
                             "1e-07 }");
   assert_true(mb_ns_stats_array_from_bson(&doc, "ns", &back, &n, &err));
   assert_int_equal(n, 1);
   assert_string_equal(back[0].collection, "orders");
   assert_string_equal(back[0].type, "collection");
   assert_true(back[0].docs == 120000 && back[0].bytes == 48000000);
   assert_true(back[0].crc == 0xfedcba9876543210ULL && back[0].seconds == 20.209);
   mb_ns_stats_array_destroy(back, n);
   bson_free(json);
   bson_destroy(&doc);
}

int main(void)
{
   const struct CMUnitTest tests[] = {
       cmocka_unit_test(test_escapes),       cmocka_unit_test(test_truncation),
       cmocka_unit_test(test_json),          cmocka_unit_test(test_log_line),
       cmocka_unit_test(test_ns_stats_json),
   };
   return cmocka_run_group_tests(tests, NULL, NULL);
}
