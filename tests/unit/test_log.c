/* Logging: URI password masking, registered secrets, line formats. */
#include "common/log.h"

#include "testutil.h"

#include <regex.h>
#include <unistd.h>

static void check_mask_uri(const char *uri, const char *want)
{
   char out[512];
   mb_log_mask_uri(uri, out, sizeof out);
   assert_string_equal(out, want);
}

static void test_mask_uri(void **state)
{
   (void) state;
   check_mask_uri("mongodb://user:secret@localhost:27017/admin",
                  "mongodb://user:***@localhost:27017/admin");
   check_mask_uri("mongodb+srv://u:p@cluster0.example.net/?retryWrites=true",
                  "mongodb+srv://u:***@cluster0.example.net/?retryWrites=true");
   check_mask_uri("mongodb://u:p%40ss@h1:1,h2:2/db?replicaSet=rs",
                  "mongodb://u:***@h1:1,h2:2/db?replicaSet=rs");
   check_mask_uri("https://bot:tok3n@hooks.example.com/x", "https://bot:***@hooks.example.com/***");
   check_mask_uri("http://a:b@h", "http://a:***@h");
   /* a password holding ':' or an unescaped '@' or '/' is masked whole */
   check_mask_uri("mongodb://user:pa:ss@host/", "mongodb://user:***@host/");
   check_mask_uri("mongodb://user:p@ss@host/", "mongodb://user:***@host/");
   check_mask_uri("mongodb://user:pa/ss@host/", "mongodb://user:***@host/");
   /* nothing to mask */
   check_mask_uri("mongodb://localhost:27017/db", "mongodb://localhost:27017/db");
   check_mask_uri("mongodb://user@localhost:27017/db", "mongodb://user@localhost:27017/db");
   check_mask_uri("mongodb://localhost", "mongodb://localhost");
   check_mask_uri("not a uri", "not a uri");
   check_mask_uri("", "");
}

static void test_mask_uri_small_output(void **state)
{
   char out[16];
   (void) state;

   mb_log_mask_uri("mongodb://user:secret@localhost:27017/admin", out, sizeof out);
   assert_int_equal(strlen(out), sizeof out - 1);
   assert_null(strstr(out, "secret"));
   assert_null(strstr(out, "sec"));
   mb_log_mask_uri("mongodb://u:topsecretpassword@h/", out, sizeof out);
   assert_null(strstr(out, "topsecret"));
   mb_log_mask_uri("mongodb://u:topsecretpassword@h/", out, 1);
   assert_string_equal(out, "");
}

static void test_mask_secrets(void **state)
{
   char s[128];
   (void) state;

   mb_log_add_secret("hunter2");
   mb_log_add_secret("");
   mb_log_add_secret(NULL);
   mb_log_add_secret("xy");
   snprintf(s, sizeof s, "password hunter2 and hunter2hunter2!");
   mb_log_mask_secrets(s, sizeof s);
   assert_string_equal(s, "password *** and ******!");
   /* a short secret still becomes "***" when there is room ... */
   snprintf(s, sizeof s, "a xy b");
   mb_log_mask_secrets(s, sizeof s);
   assert_string_equal(s, "a *** b");
   /* ... and is starred out in place when there is not */
   memcpy(s, "-xy", 4);
   mb_log_mask_secrets(s, 4);
   assert_string_equal(s, "-**");
   snprintf(s, sizeof s, "nothing secret here");
   mb_log_mask_secrets(s, sizeof s);
   assert_string_equal(s, "nothing secret here");
}

/* Run fn with stderr sent to a temporary file; return what it wrote (caller frees). */
static char *capture_stderr(void (*fn)(void))
{
   char path[] = "/tmp/mb-test-log-XXXXXX";
   int fd = mkstemp(path), saved;
   char *text;
   off_t size;

   assert_true(fd >= 0);
   unlink(path);
   fflush(stderr);
   saved = dup(STDERR_FILENO);
   assert_true(saved >= 0);
   assert_true(dup2(fd, STDERR_FILENO) >= 0);
   fn();
   assert_true(dup2(saved, STDERR_FILENO) >= 0);
   close(saved);
   size = lseek(fd, 0, SEEK_END);
   assert_true(size >= 0);
   text = calloc(1, (size_t) size + 1);
   assert_non_null(text);
   assert_int_equal(pread(fd, text, (size_t) size, 0), size);
   close(fd);
   return text;
}

static bool matches(const char *text, const char *pattern)
{
   regex_t re;
   bool ok;

   assert_int_equal(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
   ok = regexec(&re, text, 0, NULL, 0) == 0;
   regfree(&re);
   return ok;
}

static void log_text_lines(void)
{
   mb_log_configure(MB_LOG_INFO, false);
   mb_log(MB_LOG_INFO, "connected to %s as %s", "db1", "s3cr3t-token");
   mb_log(MB_LOG_WARN, "slow");
   mb_log(MB_LOG_DEBUG, "dropped");
   mb_log(MB_LOG_ERROR, "failed");
}

static void test_text_lines(void **state)
{
   char *out;
   (void) state;

   mb_log_add_secret("s3cr3t-token");
   out = capture_stderr(log_text_lines);
   assert_null(strstr(out, "s3cr3t"));
   assert_null(strstr(out, "dropped"));
   if (!matches(out, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z info  "
                     "connected to db1 as \\*\\*\\*\n"
                     "[0-9T:.-]+Z warn  slow\n"
                     "[0-9T:.-]+Z error failed\n$")) {
      fail_msg("unexpected log output:\n%s", out);
   }
   free(out);
}

static void log_json_line(void)
{
   mb_log_configure(MB_LOG_DEBUG, true);
   mb_log(MB_LOG_DEBUG, "quote \" and token s3cr3t-token");
   mb_log_configure(MB_LOG_INFO, false);
}

static void test_json_lines(void **state)
{
   char *out, *nl;
   bson_t *doc;
   bson_error_t berr;
   bson_iter_t it;
   (void) state;

   mb_log_add_secret("s3cr3t-token");
   out = capture_stderr(log_json_line);
   nl = strchr(out, '\n');
   assert_non_null(nl);
   assert_string_equal(nl + 1, "");
   *nl = '\0';
   doc = bson_new_from_json((const uint8_t *) out, -1, &berr);
   if (!doc) {
      fail_msg("not JSON: %s (%s)", out, berr.message);
   }
   assert_true(bson_iter_init_find(&it, doc, "level"));
   assert_string_equal(bson_iter_utf8(&it, NULL), "debug");
   assert_true(bson_iter_init_find(&it, doc, "msg"));
   assert_string_equal(bson_iter_utf8(&it, NULL), "quote \" and token ***");
   assert_true(bson_iter_init_find(&it, doc, "time"));
   assert_true(matches(bson_iter_utf8(&it, NULL),
                       "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$"));
   bson_destroy(doc);
   free(out);
}

static void log_long_line(void)
{
   char big[3000];
   memset(big, 'x', sizeof big - 1);
   big[sizeof big - 1] = '\0';
   mb_log_configure(MB_LOG_INFO, false);
   mb_log(MB_LOG_INFO, "%s", big);
}

static void test_long_line_is_one_line(void **state)
{
   char *out;
   size_t n;
   (void) state;

   out = capture_stderr(log_long_line);
   n = strlen(out);
   assert_true(n > 2000);
   assert_int_equal(out[n - 1], '\n');
   assert_ptr_equal(strchr(out, '\n'), out + n - 1);
   free(out);
}

static void log_over_progress(void)
{
   mb_log_configure(MB_LOG_INFO, false);
   mb_log_set_transient_line(true);
   mb_log(MB_LOG_WARN, "over");
   mb_log_set_transient_line(false);
   mb_log(MB_LOG_WARN, "plain");
}

/* A log line written while a progress line is on the terminal erases it first. */
static void test_transient_line(void **state)
{
   char *out;
   (void) state;

   out = capture_stderr(log_over_progress);
   if (!matches(out, "^\r\033\[K[0-9T:.-]+Z warn  over\n[0-9T:.-]+Z warn  plain\n$")) {
      fail_msg("unexpected log output:\n%s", out);
   }
   free(out);
}

static void test_level_parse(void **state)
{
   mb_log_level_t l = MB_LOG_INFO;
   (void) state;

   assert_true(mb_log_level_parse("error", &l));
   assert_int_equal(l, MB_LOG_ERROR);
   assert_true(mb_log_level_parse("warn", &l));
   assert_int_equal(l, MB_LOG_WARN);
   assert_true(mb_log_level_parse("info", &l));
   assert_int_equal(l, MB_LOG_INFO);
   assert_true(mb_log_level_parse("debug", &l));
   assert_int_equal(l, MB_LOG_DEBUG);
   assert_false(mb_log_level_parse("verbose", &l));
   assert_false(mb_log_level_parse("", &l));
   assert_false(mb_log_level_parse("INFO", &l));
   assert_int_equal(l, MB_LOG_DEBUG);
}

int main(void)
{
   const struct CMUnitTest tests[] = {
       cmocka_unit_test(test_mask_uri),     cmocka_unit_test(test_mask_uri_small_output),
       cmocka_unit_test(test_mask_secrets), cmocka_unit_test(test_text_lines),
       cmocka_unit_test(test_json_lines),   cmocka_unit_test(test_long_line_is_one_line),
       cmocka_unit_test(test_level_parse),  cmocka_unit_test(test_transient_line),
   };
   return cmocka_run_group_tests(tests, NULL, NULL);
}
