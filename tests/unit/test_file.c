/* Durable files: "<name>.partial", rename on close, removal without close, direct writes to
 * devices and FIFOs, error texts (style.md rule 10). */
#include "common/file.h"

#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static char g_dir[64];

static int setup(void **state)
{
   (void) state;
   snprintf(g_dir, sizeof g_dir, "/tmp/mb-test-file-XXXXXX");
   return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown(void **state)
{
   char cmd[128];
   (void) state;
   snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
   return system(cmd) == 0 ? 0 : -1;
}

static void path_in_dir(char *out, size_t size, const char *name)
{
   snprintf(out, size, "%s/%s", g_dir, name);
}

static bool exists(const char *path)
{
   struct stat st;
   return stat(path, &st) == 0;
}

static char *slurp(const char *path, size_t *len)
{
   FILE *f = fopen(path, "rb");
   char *data;
   long n;

   assert_non_null(f);
   assert_int_equal(fseek(f, 0, SEEK_END), 0);
   n = ftell(f);
   rewind(f);
   data = malloc((size_t) n + 1);
   assert_non_null(data);
   assert_int_equal(fread(data, 1, (size_t) n, f), (size_t) n);
   data[n] = '\0';
   fclose(f);
   *len = (size_t) n;
   return data;
}

static void test_partial_then_rename(void **state)
{
   char path[128], partial[140];
   mb_sink_t *s = NULL;
   mb_error_t err;
   char *data;
   size_t len;
   (void) state;

   path_in_dir(path, sizeof path, "out.archive");
   snprintf(partial, sizeof partial, "%s.partial", path);
   assert_true(mb_file_sink_open(path, &s, &err));
   assert_true(exists(partial));
   assert_false(exists(path));
   assert_true(mb_sink_write(s, "hello ", 6, &err));
   assert_true(mb_sink_write(s, "world", 5, &err));
   assert_false(exists(path));
   data = slurp(partial, &len);
   assert_int_equal(len, 11);
   free(data);
   assert_true(mb_sink_close(s, &err));
   assert_true(exists(path));
   assert_false(exists(partial));
   mb_sink_destroy(s);
   /* destroy after a successful close keeps the file */
   assert_true(exists(path));
   data = slurp(path, &len);
   assert_int_equal(len, 11);
   assert_memory_equal(data, "hello world", 11);
   free(data);
}

static void test_overwrite_existing_only_on_close(void **state)
{
   char path[128];
   mb_sink_t *s = NULL;
   mb_error_t err;
   char *data;
   size_t len;
   (void) state;

   path_in_dir(path, sizeof path, "existing");
   assert_true(mb_file_write_atomic(path, "old", 3, &err));
   assert_true(mb_file_sink_open(path, &s, &err));
   assert_true(mb_sink_write(s, "new contents", 12, &err));
   data = slurp(path, &len);
   assert_int_equal(len, 3);
   assert_memory_equal(data, "old", 3);
   free(data);
   /* abandoned: the old file is untouched and the partial file is gone */
   mb_sink_destroy(s);
   data = slurp(path, &len);
   assert_memory_equal(data, "old", 3);
   free(data);
   assert_true(mb_file_sink_open(path, &s, &err));
   assert_true(mb_sink_write(s, "new contents", 12, &err));
   assert_true(mb_sink_close(s, &err));
   mb_sink_destroy(s);
   data = slurp(path, &len);
   assert_int_equal(len, 12);
   assert_memory_equal(data, "new contents", 12);
   free(data);
}

static void test_destroy_without_close_removes_partial(void **state)
{
   char path[128], partial[140];
   mb_sink_t *s = NULL;
   mb_error_t err;
   (void) state;

   path_in_dir(path, sizeof path, "abandoned");
   snprintf(partial, sizeof partial, "%s.partial", path);
   assert_true(mb_file_sink_open(path, &s, &err));
   assert_true(mb_sink_write(s, "data", 4, &err));
   assert_true(exists(partial));
   mb_sink_destroy(s);
   assert_false(exists(partial));
   assert_false(exists(path));
}

static void test_dev_null_written_directly(void **state)
{
   mb_sink_t *s = NULL;
   mb_error_t err;
   char buf[4096];
   (void) state;

   memset(buf, 'z', sizeof buf);
   assert_true(mb_file_sink_open("/dev/null", &s, &err));
   for (int i = 0; i < 100; i++) {
      assert_true(mb_sink_write(s, buf, sizeof buf, &err));
   }
   assert_int_equal(s->bytes_in, 100 * sizeof buf);
   assert_true(mb_sink_close(s, &err));
   mb_sink_destroy(s);
   assert_false(exists("/dev/null.partial"));
   assert_true(exists("/dev/null"));
   /* abandoning a direct write must not remove the device */
   assert_true(mb_file_sink_open("/dev/null", &s, &err));
   mb_sink_destroy(s);
   assert_true(exists("/dev/null"));
}

static void test_fifo_written_directly(void **state)
{
   char path[128], partial[140], buf[16];
   mb_sink_t *s = NULL;
   mb_error_t err;
   int rfd;
   (void) state;

   path_in_dir(path, sizeof path, "fifo");
   snprintf(partial, sizeof partial, "%s.partial", path);
   assert_int_equal(mkfifo(path, 0600), 0);
   rfd = open(path, O_RDONLY | O_NONBLOCK);
   assert_true(rfd >= 0);
   assert_true(mb_file_sink_open(path, &s, &err));
   assert_false(exists(partial));
   assert_true(mb_sink_write(s, "through", 7, &err));
   assert_true(mb_sink_close(s, &err));
   mb_sink_destroy(s);
   assert_int_equal(read(rfd, buf, sizeof buf), 7);
   assert_memory_equal(buf, "through", 7);
   close(rfd);
}

static void test_missing_directory(void **state)
{
   char path[128], want[300];
   mb_sink_t *s = NULL;
   mb_error_t err;
   (void) state;

   path_in_dir(path, sizeof path, "no/such/dir/out.archive");
   assert_false(mb_file_sink_open(path, &s, &err));
   assert_null(s);
   snprintf(want, sizeof want, "cannot create '%s.partial': %s; does the directory exist?", path,
            strerror(ENOENT));
   assert_error(&err, MB_EXIT_IO, want);
   assert_false(mb_file_write_atomic(path, "x", 1, &err));
   assert_error(&err, MB_EXIT_IO, want);
}

static void test_unwritable_directory(void **state)
{
   char dir[128], path[160], want[300];
   mb_sink_t *s = NULL;
   mb_error_t err;
   (void) state;

   if (geteuid() == 0) {
      skip(); /* root writes anywhere */
   }
   path_in_dir(dir, sizeof dir, "ro");
   assert_int_equal(mkdir(dir, 0500), 0);
   snprintf(path, sizeof path, "%s/out", dir);
   assert_false(mb_file_sink_open(path, &s, &err));
   snprintf(want, sizeof want, "cannot create '%s.partial': %s; check the directory's permissions",
            path, strerror(EACCES));
   assert_error(&err, MB_EXIT_IO, want);
}

static void test_directory_as_output(void **state)
{
   mb_sink_t *s = NULL;
   mb_error_t err;
   char want[200];
   (void) state;

   assert_false(mb_file_sink_open(g_dir, &s, &err));
   snprintf(want, sizeof want, "cannot write '%s': it is a directory; give a file name", g_dir);
   assert_error(&err, MB_EXIT_IO, want);
}

static void test_source(void **state)
{
   char path[128], want[300], buf[64];
   mb_source_t *src = NULL;
   mb_error_t err;
   size_t got;
   (void) state;

   path_in_dir(path, sizeof path, "input");
   assert_true(mb_file_write_atomic(path, "0123456789", 10, &err));
   assert_true(mb_file_source_open(path, &src, &err));
   assert_true(mb_source_read_full(src, buf, sizeof buf, &got, &err));
   assert_int_equal(got, 10);
   assert_memory_equal(buf, "0123456789", 10);
   assert_true(mb_source_read(src, buf, sizeof buf, &got, &err));
   assert_int_equal(got, 0);
   mb_source_destroy(src);

   path_in_dir(path, sizeof path, "missing");
   assert_false(mb_file_source_open(path, &src, &err));
   snprintf(want, sizeof want, "cannot open '%s': %s", path, strerror(ENOENT));
   assert_error(&err, MB_EXIT_IO, want);

   assert_false(mb_file_source_open(g_dir, &src, &err));
   snprintf(want, sizeof want, "cannot read '%s': it is a directory; give an archive file", g_dir);
   assert_error(&err, MB_EXIT_IO, want);
}

static void test_disk_full(void **state)
{
   mb_sink_t *s = NULL;
   mb_error_t err;
   char want[300];
   (void) state;

   if (!exists("/dev/full")) {
      skip();
   }
   assert_true(mb_file_sink_open("/dev/full", &s, &err));
   assert_false(mb_sink_write(s, "x", 1, &err));
   snprintf(want, sizeof want,
            "cannot write '/dev/full': %s; free some space or choose another directory",
            strerror(ENOSPC));
   assert_error(&err, MB_EXIT_IO, want);
   mb_sink_destroy(s);
   assert_true(exists("/dev/full"));
}

int main(void)
{
   const struct CMUnitTest tests[] = {
       cmocka_unit_test(test_partial_then_rename),
       cmocka_unit_test(test_overwrite_existing_only_on_close),
       cmocka_unit_test(test_destroy_without_close_removes_partial),
       cmocka_unit_test(test_dev_null_written_directly),
       cmocka_unit_test(test_fifo_written_directly),
       cmocka_unit_test(test_missing_directory),
       cmocka_unit_test(test_unwritable_directory),
       cmocka_unit_test(test_directory_as_output),
       cmocka_unit_test(test_source),
       cmocka_unit_test(test_disk_full),
   };
   return cmocka_run_group_tests(tests, setup, teardown);
}
