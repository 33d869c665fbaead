/* Durable files: exclusive temporary files "<name>.<random>.partial", publishing on close
 * (replace, no-replace, numbered), removal without close and on signals, planted symlinks never
 * followed, direct writes to devices and FIFOs, error texts. */
#include "common/file.h"

#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char g_dir[64];

static int setup(void **state)
{
   (void) state;
   return tmpdir_make(g_dir, sizeof g_dir, "file") ? 0 : -1;
}

static int teardown(void **state)
{
   (void) state;
   return tmpdir_remove(g_dir);
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

/* How many "<name>.XXXXXX.partial" files are in g_dir; the last one found goes to out. */
static int temps_of(const char *name, char *out, size_t size)
{
   DIR *d = opendir(g_dir);
   struct dirent *de;
   size_t n = strlen(name);
   int found = 0;

   assert_non_null(d);
   while ((de = readdir(d)) != NULL) {
      size_t len = strlen(de->d_name);
      if (len == n + 15 && strncmp(de->d_name, name, n) == 0 && de->d_name[n] == '.' &&
          strcmp(de->d_name + n + 7, ".partial") == 0) {
         if (out) {
            snprintf(out, size, "%s/%s", g_dir, de->d_name);
         }
         found++;
      }
   }
   closedir(d);
   return found;
}

static void test_partial_then_rename(void **state)
{
   char path[128], partial[256];
   mb_sink_t *s = NULL;
   mb_error_t err;
   char *data;
   size_t len;
   (void) state;

   path_in_dir(path, sizeof path, "out.archive");
   assert_true(mb_file_sink_open(path, &s, &err));
   assert_int_equal(temps_of("out.archive", partial, sizeof partial), 1);
   assert_true(exists(partial));
   assert_false(exists(path));
   assert_true(mb_sink_write(s, "hello ", 6, &err));
   assert_true(mb_sink_write(s, "world", 5, &err));
   assert_false(exists(path));
   data = file_get(partial, &len);
   assert_int_equal(len, 11);
   free(data);
   assert_true(mb_sink_close(s, &err));
   assert_true(exists(path));
   assert_false(exists(partial));
   mb_sink_destroy(s);
   /* destroy after a successful close keeps the file */
   assert_true(exists(path));
   data = file_get(path, &len);
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
   data = file_get(path, &len);
   assert_int_equal(len, 3);
   assert_memory_equal(data, "old", 3);
   free(data);
   /* abandoned: the old file is untouched and the partial file is gone */
   mb_sink_destroy(s);
   data = file_get(path, &len);
   assert_memory_equal(data, "old", 3);
   free(data);
   assert_true(mb_file_sink_open(path, &s, &err));
   assert_true(mb_sink_write(s, "new contents", 12, &err));
   assert_true(mb_sink_close(s, &err));
   mb_sink_destroy(s);
   data = file_get(path, &len);
   assert_int_equal(len, 12);
   assert_memory_equal(data, "new contents", 12);
   free(data);
}

static void test_destroy_without_close_removes_partial(void **state)
{
   char path[128], partial[256];
   mb_sink_t *s = NULL;
   mb_error_t err;
   (void) state;

   path_in_dir(path, sizeof path, "abandoned");
   assert_true(mb_file_sink_open(path, &s, &err));
   assert_true(mb_sink_write(s, "data", 4, &err));
   assert_int_equal(temps_of("abandoned", partial, sizeof partial), 1);
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
   char path[128], buf[16];
   mb_sink_t *s = NULL;
   mb_error_t err;
   int rfd;
   (void) state;

   path_in_dir(path, sizeof path, "fifo");
   assert_int_equal(mkfifo(path, 0600), 0);
   rfd = open(path, O_RDONLY | O_NONBLOCK);
   assert_true(rfd >= 0);
   assert_true(mb_file_sink_open(path, &s, &err));
   assert_int_equal(temps_of("fifo", NULL, 0), 0);
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
   snprintf(want, sizeof want, "cannot create '%s': %s; does the directory exist?", path,
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
   snprintf(want, sizeof want, "cannot create '%s': %s; check the directory's permissions", path,
            strerror(EACCES));
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

/* A random source that gives the same letters every time: "AAAAAA" (byte 0). */
static void fill_zero(uint8_t *buf, size_t len)
{
   memset(buf, 0, len);
}

/* "AAAAAA" on the first call, "BBBBBB" after. */
static int g_calls;
static void fill_a_then_b(uint8_t *buf, size_t len)
{
   memset(buf, g_calls++ == 0 ? 0 : 1, len);
}

static void assert_file_is(const char *path, const char *text)
{
   size_t len;
   char *data = file_get(path, &len);
   assert_int_equal(len, strlen(text));
   assert_memory_equal(data, text, len);
   free(data);
}

static void test_temp_is_exclusive_and_private(void **state)
{
   char path[128], *names[200];
   mb_error_t err;
   struct stat st;
   int fd;
   (void) state;

   path_in_dir(path, sizeof path, "t.json");
   for (int i = 0; i < 200; i++) {
      assert_true(mb_file_create_temp(path, &names[i], &fd, &err));
      assert_int_equal(fstat(fd, &st), 0);
      assert_true(S_ISREG(st.st_mode));
      assert_int_equal(st.st_mode & 07777, 0600);
      assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
      close(fd);
      assert_int_equal(strlen(names[i]), strlen(path) + 15);
      assert_memory_equal(names[i], path, strlen(path));
      for (int j = 0; j < i; j++) {
         assert_string_not_equal(names[i], names[j]);
      }
   }
   assert_int_equal(temps_of("t.json", NULL, 0), 200);
   for (int i = 0; i < 200; i++) {
      unlink(names[i]);
      bson_free(names[i]);
   }
}

static void test_temp_retries_a_taken_name(void **state)
{
   char path[128], taken[160], *name = NULL;
   mb_error_t err;
   int fd;
   (void) state;

   path_in_dir(path, sizeof path, "retry");
   snprintf(taken, sizeof taken, "%s.AAAAAA.partial", path);
   file_put_text(taken, "someone else's");
   g_calls = 0;
   mb_file_set_random(fill_a_then_b);
   assert_true(mb_file_create_temp(path, &name, &fd, &err));
   mb_file_set_random(NULL);
   close(fd);
   assert_int_equal(g_calls, 2);
   assert_true(strstr(name, ".BBBBBB.partial") != NULL);
   assert_file_is(taken, "someone else's");
   unlink(name);
   unlink(taken);
   bson_free(name);
   /* every name taken: a clear error after 100 tries */
   file_put_text(taken, "someone else's");
   mb_file_set_random(fill_zero);
   assert_false(mb_file_create_temp(path, &name, &fd, &err));
   mb_file_set_random(NULL);
   {
      char want[400];
      snprintf(want, sizeof want,
               "cannot create a temporary file for '%s': 100 random names were taken; remove "
               "the '.partial' files beside it",
               path);
      assert_error(&err, MB_EXIT_IO, want);
   }
   assert_file_is(taken, "someone else's");
}

static void test_temp_symlink_refused(void **state)
{
   char path[128], link_at[160], target[128], want[400];
   mb_sink_t *s = NULL;
   char *name = NULL;
   mb_error_t err;
   int fd = -1;
   (void) state;

   path_in_dir(path, sizeof path, "planted.json");
   path_in_dir(target, sizeof target, "victim");
   file_put_text(target, "precious");
   snprintf(link_at, sizeof link_at, "%s.AAAAAA.partial", path);
   assert_int_equal(symlink(target, link_at), 0);
   snprintf(want, sizeof want,
            "refusing to write through '%s': a symbolic link is planted where mongobak creates "
            "its temporary file; remove it and check who can write to that directory",
            link_at);
   mb_file_set_random(fill_zero);
   assert_false(mb_file_create_temp(path, &name, &fd, &err));
   assert_error(&err, MB_EXIT_IO, want);
   assert_false(mb_file_sink_open(path, &s, &err));
   assert_null(s);
   assert_error(&err, MB_EXIT_IO, want);
   assert_false(mb_file_write_atomic(path, "evil", 4, &err));
   assert_error(&err, MB_EXIT_IO, want);
   mb_file_set_random(NULL);
   assert_file_is(target, "precious");
   assert_false(exists(path));
   /* a FIFO planted there is refused the same way (it would block or leak the data) */
   unlink(link_at);
   assert_int_equal(mkfifo(link_at, 0600), 0);
   mb_file_set_random(fill_zero);
   assert_false(mb_file_write_atomic(path, "evil", 4, &err));
   mb_file_set_random(NULL);
   snprintf(want, sizeof want,
            "refusing to write through '%s': a non-regular file is planted where mongobak "
            "creates its temporary file; remove it and check who can write to that directory",
            link_at);
   assert_error(&err, MB_EXIT_IO, want);
}

/* The name the code wrote before random names: a link there is never followed. */
static void test_link_at_old_partial_name_ignored(void **state)
{
   char path[128], link_at[160], target[128];
   mb_error_t err;
   (void) state;

   path_in_dir(path, sizeof path, "metrics.prom");
   path_in_dir(target, sizeof target, "target");
   file_put_text(target, "precious");
   snprintf(link_at, sizeof link_at, "%s.partial", path);
   assert_int_equal(symlink(target, link_at), 0);
   assert_true(mb_file_write_atomic(path, "metrics", 7, &err));
   assert_file_is(target, "precious");
   assert_file_is(path, "metrics");
   assert_int_equal(temps_of("metrics.prom", NULL, 0), 0);
}

static void test_symlink_at_final_name_replaced_not_followed(void **state)
{
   char path[128], target[128];
   mb_error_t err;
   struct stat st;
   (void) state;

   path_in_dir(path, sizeof path, "state.json");
   path_in_dir(target, sizeof target, "elsewhere");
   file_put_text(target, "precious");
   assert_int_equal(symlink(target, path), 0);
   assert_true(mb_file_write_atomic(path, "{}", 2, &err));
   assert_int_equal(lstat(path, &st), 0);
   assert_true(S_ISREG(st.st_mode));
   assert_file_is(path, "{}");
   assert_file_is(target, "precious");
   /* a name mongobak made: a FIFO there is replaced, never written into */
   unlink(path);
   assert_int_equal(mkfifo(path, 0600), 0);
   assert_true(mb_file_write_atomic_mode(path, "{}", 2, MB_FILE_OWN_NAME, &err));
   assert_int_equal(lstat(path, &st), 0);
   assert_true(S_ISREG(st.st_mode));
}

static void test_no_replace(void **state)
{
   char path[128], want[400];
   mb_sink_t *s = NULL;
   mb_error_t err;
   (void) state;

   path_in_dir(path, sizeof path, "explicit.archive");
   file_put_text(path, "an earlier backup");
   snprintf(want, sizeof want,
            "'%s' already exists; refusing to replace it (give --overwrite to replace it, or "
            "choose another name)",
            path);
   assert_false(mb_file_sink_open_mode(path, MB_FILE_NO_REPLACE, &s, &err));
   assert_null(s);
   assert_error(&err, MB_EXIT_EXISTS, want);
   assert_int_equal(temps_of("explicit.archive", NULL, 0), 0);
   /* the name appears while the file is written: refused at publish time, atomically */
   unlink(path);
   assert_true(mb_file_sink_open_mode(path, MB_FILE_NO_REPLACE, &s, &err));
   assert_true(mb_sink_write(s, "mine", 4, &err));
   file_put_text(path, "theirs");
   assert_false(mb_sink_close(s, &err));
   assert_error(&err, MB_EXIT_EXISTS, want);
   mb_sink_destroy(s);
   assert_file_is(path, "theirs");
   assert_int_equal(temps_of("explicit.archive", NULL, 0), 0);
   /* a dangling symlink is a name too */
   unlink(path);
   assert_int_equal(symlink("/nonexistent/target", path), 0);
   assert_false(mb_file_sink_open_mode(path, MB_FILE_NO_REPLACE, &s, &err));
   assert_error(&err, MB_EXIT_EXISTS, want);
   unlink(path);
   /* free: written and published */
   assert_true(mb_file_sink_open_mode(path, MB_FILE_NO_REPLACE, &s, &err));
   assert_true(mb_sink_write(s, "mine", 4, &err));
   assert_true(mb_sink_close(s, &err));
   assert_string_equal(mb_file_sink_path(s), path);
   mb_sink_destroy(s);
   assert_file_is(path, "mine");
   /* an explicit name mongobak made says so */
   assert_false(
       mb_file_write_atomic_mode(path, "x", 1, MB_FILE_NO_REPLACE | MB_FILE_OWN_NAME, &err));
   snprintf(want, sizeof want,
            "'%s' already exists and was not made by this run; refusing to replace it (remove "
            "it)",
            path);
   assert_error(&err, MB_EXIT_EXISTS, want);
   assert_file_is(path, "mine");
}

static void test_unique_names(void **state)
{
   char path[128], one[160], two[160];
   mb_sink_t *a = NULL, *b = NULL, *c = NULL;
   mb_error_t err;
   (void) state;

   path_in_dir(path, sizeof path, "dump-20261203T081500Z.archive.zst");
   path_in_dir(one, sizeof one, "dump-20261203T081500Z-1.archive.zst");
   path_in_dir(two, sizeof two, "dump-20261203T081500Z-2.archive.zst");
   /* three writers of the same generated name at once: three files, nothing replaced */
   assert_true(mb_file_sink_open_mode(path, MB_FILE_UNIQUE, &a, &err));
   assert_true(mb_file_sink_open_mode(path, MB_FILE_UNIQUE, &b, &err));
   assert_true(mb_file_sink_open_mode(path, MB_FILE_UNIQUE, &c, &err));
   assert_true(mb_sink_write(a, "a", 1, &err) && mb_sink_write(b, "b", 1, &err) &&
               mb_sink_write(c, "c", 1, &err));
   assert_true(mb_sink_close(b, &err));
   assert_true(mb_sink_close(a, &err));
   assert_true(mb_sink_close(c, &err));
   assert_string_equal(mb_file_sink_path(b), path);
   assert_string_equal(mb_file_sink_path(a), one);
   assert_string_equal(mb_file_sink_path(c), two);
   mb_sink_destroy(a);
   mb_sink_destroy(b);
   mb_sink_destroy(c);
   assert_file_is(path, "b");
   assert_file_is(one, "a");
   assert_file_is(two, "c");
   /* a FIFO at a generated name is not written into: the name is numbered past it */
   unlink(path);
   assert_int_equal(mkfifo(path, 0600), 0);
   unlink(one);
   assert_true(mb_file_sink_open_mode(path, MB_FILE_UNIQUE, &a, &err));
   assert_true(mb_sink_write(a, "x", 1, &err));
   assert_true(mb_sink_close(a, &err));
   assert_string_equal(mb_file_sink_path(a), one);
   mb_sink_destroy(a);
}

static void test_numbered_name(void **state)
{
   const char *cases[][2] = {
       {"d/dump-X.archive.zst", "d/dump-X-2.archive.zst"},
       {"backup-2026-12-03-08-15-00.archive", "backup-2026-12-03-08-15-00-2.archive"},
       {"/a.b/plain", "/a.b/plain-2"},
       {"/x/.hidden", "/x/.hidden-2"},
       {"/x/.hidden.tar", "/x/.hidden-2.tar"},
   };
   (void) state;

   for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
      char *got = mb_file_numbered_name(cases[i][0], 2);
      assert_string_equal(got, cases[i][1]);
      bson_free(got);
   }
}

static void test_signal_removes_temp(void **state)
{
   char path[128];
   pid_t pid;
   int status;
   (void) state;

   path_in_dir(path, sizeof path, "interrupted");
   pid = fork();
   assert_true(pid >= 0);
   if (pid == 0) {
      mb_sink_t *s = NULL;
      mb_error_t err;
      mb_file_install_signal_cleanup();
      if (!mb_file_sink_open(path, &s, &err) || !mb_sink_write(s, "half", 4, &err)) {
         _exit(1);
      }
      raise(SIGTERM);
      _exit(2);
   }
   assert_int_equal(waitpid(pid, &status, 0), pid);
   assert_true(WIFEXITED(status));
   assert_int_equal(WEXITSTATUS(status), 130);
   assert_int_equal(temps_of("interrupted", NULL, 0), 0);
   assert_false(exists(path));
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
       cmocka_unit_test(test_temp_is_exclusive_and_private),
       cmocka_unit_test(test_temp_retries_a_taken_name),
       cmocka_unit_test(test_temp_symlink_refused),
       cmocka_unit_test(test_link_at_old_partial_name_ignored),
       cmocka_unit_test(test_symlink_at_final_name_replaced_not_followed),
       cmocka_unit_test(test_no_replace),
       cmocka_unit_test(test_unique_names),
       cmocka_unit_test(test_numbered_name),
       cmocka_unit_test(test_signal_removes_temp),
   };
   return cmocka_run_group_tests(tests, setup, teardown);
}
