/* Whole small text files (secrets given as NAME_FILE, templates): read completely or refused,
 * never cut short. */
#include "common/textfile.h"

#include "testutil.h"

#include <unistd.h>

static char g_dir[64];

/* A file of n bytes: a URI whose last option comes after byte 8,191. */
static char *long_uri(size_t n)
{
   const char *head = "mongodb://u:p@h/?appName=", *tail = "&tls=true";
   char *s = calloc(1, n + 1);

   assert_non_null(s);
   memset(s, 'a', n);
   memcpy(s, head, strlen(head));
   memcpy(s + n - strlen(tail), tail, strlen(tail));
   return s;
}

static void test_read_whole(void **state)
{
   char path[256], *uri = long_uri(10000), *got = NULL;
   size_t len = 0;
   mb_error_t err;
   (void) state;

   snprintf(path, sizeof path, "%s/uri", g_dir);
   file_put(path, uri, 10000);
   assert_true(mb_textfile_read(path, MB_TEXTFILE_SECRET_MAX, &got, &len, &err));
   assert_int_equal(len, 10000);
   assert_string_equal(got, uri);
   assert_string_equal(got + len - 9, "&tls=true");
   bson_free(got);
   free(uri);
}

static void test_limit(void **state)
{
   char path[256], want[512], *data = long_uri(MB_TEXTFILE_SECRET_MAX + 1), *got = NULL;
   mb_error_t err;
   (void) state;

   snprintf(path, sizeof path, "%s/big", g_dir);
   /* exactly at the limit: read */
   file_put(path, data, MB_TEXTFILE_SECRET_MAX);
   assert_true(mb_textfile_read(path, MB_TEXTFILE_SECRET_MAX, &got, NULL, &err));
   assert_int_equal(strlen(got), MB_TEXTFILE_SECRET_MAX);
   bson_free(got);
   /* one byte more: refused, nothing returned */
   file_put(path, data, MB_TEXTFILE_SECRET_MAX + 1);
   got = (char *) "untouched";
   assert_false(mb_textfile_read(path, MB_TEXTFILE_SECRET_MAX, &got, NULL, &err));
   assert_null(got);
   snprintf(want, sizeof want, "'%s' is larger than the limit of 65536 bytes", path);
   assert_string_equal(err.message, want);
   assert_int_equal(mb_error_exit_code(&err), MB_EXIT_USAGE);
   free(data);
}

static void test_errors(void **state)
{
   char path[256], want[512], *got = NULL;
   mb_error_t err;
   size_t len = 7;
   (void) state;

   snprintf(path, sizeof path, "%s/none", g_dir);
   assert_false(mb_textfile_read(path, 100, &got, NULL, &err));
   snprintf(want, sizeof want, "cannot read '%s': No such file or directory", path);
   assert_string_equal(err.message, want);
   assert_int_equal(mb_error_exit_code(&err), MB_EXIT_IO);
   assert_false(mb_textfile_read(g_dir, 100, &got, NULL, &err));
   snprintf(want, sizeof want, "cannot read '%s': Is a directory", g_dir);
   assert_string_equal(err.message, want);
   snprintf(path, sizeof path, "%s/nul", g_dir);
   file_put(path, "abc\0def", 7);
   assert_false(mb_textfile_read(path, 100, &got, NULL, &err));
   snprintf(want, sizeof want, "'%s' holds a NUL byte; is it a text file?", path);
   assert_string_equal(err.message, want);
   snprintf(path, sizeof path, "%s/empty", g_dir);
   file_put(path, "", 0);
   assert_true(mb_textfile_read(path, 100, &got, &len, &err));
   assert_string_equal(got, "");
   assert_int_equal(len, 0);
   bson_free(got);
}

static int setup(void **state)
{
   (void) state;
   return tmpdir_make(g_dir, sizeof g_dir, "textfile") ? 0 : -1;
}

static int teardown(void **state)
{
   (void) state;
   return tmpdir_remove(g_dir);
}

int main(void)
{
   const struct CMUnitTest tests[] = {
       cmocka_unit_test(test_read_whole),
       cmocka_unit_test(test_limit),
       cmocka_unit_test(test_errors),
   };
   return cmocka_run_group_tests(tests, setup, teardown);
}
