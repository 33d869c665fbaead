/* The repository interface on its POSIX driver: list (with a prefix), create then commit or
 * abort, read (whole and from an offset), stat, remove, rename; no-replace refused at open and
 * at commit, numbered names, nothing left by an abort, and a crashed writer's temporary file
 * never under a final name. */
#include "storage/posix.h"
#include "storage/repo.h"

#include "testutil.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char g_dir[64];

static int setup(void **state)
{
   (void) state;
   snprintf(g_dir, sizeof g_dir, "/tmp/mb-test-repo-XXXXXX");
   return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown(void **state)
{
   char cmd[128];
   (void) state;
   snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
   return system(cmd) == 0 ? 0 : -1;
}

static mb_repo_t *open_repo(void)
{
   mb_repo_t *r = NULL;
   mb_error_t err;

   assert_true(mb_repo_open(g_dir, 0, &r, &err));
   assert_string_equal(mb_repo_url(r), g_dir);
   return r;
}

/* The names in the repository, sorted, joined by spaces ("" when empty). */
typedef struct {
   char names[16][128];
   int n;
} listing_t;

static bool collect(const mb_repo_entry_t *e, void *user_data)
{
   listing_t *l = user_data;

   assert_true(l->n < 16);
   snprintf(l->names[l->n++], sizeof l->names[0], "%s", e->name);
   return true;
}

static int by_name(const void *a, const void *b)
{
   return strcmp(a, b);
}

static void list_names(mb_repo_t *r, const char *prefix, char *out, size_t size)
{
   listing_t l = {.n = 0};
   mb_error_t err;

   assert_true(mb_repo_list(r, prefix, collect, &l, &err));
   qsort(l.names, (size_t) l.n, sizeof l.names[0], by_name);
   out[0] = '\0';
   for (int i = 0; i < l.n; i++) {
      size_t used = strlen(out);
      snprintf(out + used, size - used, "%s%s", i ? " " : "", l.names[i]);
   }
}

static void put(mb_repo_t *r, const char *name, unsigned flags, const char *text)
{
   mb_error_t err;

   assert_true(mb_repo_write_all(r, name, flags, text, strlen(text), &err));
}

static void assert_content(mb_repo_t *r, const char *name, const char *text)
{
   char *data = NULL;
   size_t len = 0;
   mb_error_t err;

   assert_true(mb_repo_read_all(r, name, 1 << 20, &data, &len, &err));
   assert_int_equal(len, strlen(text));
   assert_string_equal(data, text);
   bson_free(data);
}

static void test_create_commit_list_stat_read(void **state)
{
   mb_repo_t *r = open_repo();
   mb_sink_t *s = NULL;
   mb_source_t *src = NULL;
   mb_repo_entry_t e;
   mb_error_t err;
   char names[512], buf[16];
   bool exists = true;
   size_t got;
   struct stat st;
   char *path;

   (void) state;
   assert_true(mb_repo_stat(r, "a.archive", &e, &exists, &err));
   assert_false(exists);
   assert_true(mb_repo_create(r, "a.archive", MB_REPO_NO_REPLACE, &s, &err));
   assert_true(mb_sink_write(s, "hello ", 6, &err));
   assert_true(mb_sink_write(s, "world", 5, &err));
   /* before the commit only a temporary exists, under another name */
   assert_true(mb_repo_stat(r, "a.archive", &e, &exists, &err));
   assert_false(exists);
   assert_true(mb_sink_close(s, &err));
   assert_string_equal(mb_repo_sink_name(r, s), "a.archive");
   mb_sink_destroy(s);

   list_names(r, "", names, sizeof names);
   assert_string_equal(names, "a.archive");
   assert_true(mb_repo_stat(r, "a.archive", &e, &exists, &err));
   assert_true(exists);
   assert_true(e.regular);
   assert_int_equal(e.size, 11);
   path = mb_repo_path(r, "a.archive");
   assert_int_equal(stat(path, &st), 0);
   assert_int_equal(st.st_mode & 0777, 0600);
   assert_ptr_equal(mb_repo_name_of(r, path), path + strlen(g_dir) + 1);
   assert_null(mb_repo_name_of(r, "/elsewhere/a.archive"));
   bson_free(path);

   assert_content(r, "a.archive", "hello world");
   assert_true(mb_repo_open_read(r, "a.archive", 6, &src, &err));
   assert_true(mb_source_read_full(src, buf, sizeof buf, &got, &err));
   assert_int_equal(got, 5);
   assert_memory_equal(buf, "world", 5);
   mb_source_destroy(src);
   mb_repo_destroy(r);
}

static void test_list_prefix_and_kinds(void **state)
{
   mb_repo_t *r = open_repo();
   listing_t l = {.n = 0};
   char names[512], *sub;
   mb_error_t err;

   (void) state;
   put(r, "backup-1.archive", MB_REPO_REPLACE, "1");
   put(r, "backup-2.archive", MB_REPO_REPLACE, "22");
   put(r, "other", MB_REPO_REPLACE, "x");
   sub = mb_repo_path(r, "backup-dir");
   assert_int_equal(mkdir(sub, 0700), 0);
   bson_free(sub);
   list_names(r, "backup-", names, sizeof names);
   assert_string_equal(names, "backup-1.archive backup-2.archive backup-dir");
   list_names(r, "", names, sizeof names);
   assert_string_equal(names, "backup-1.archive backup-2.archive backup-dir other");
   assert_true(mb_repo_list(r, "backup-dir", collect, &l, &err));
   assert_int_equal(l.n, 1);
   mb_repo_destroy(r);
}

static bool count_regular(const mb_repo_entry_t *e, void *user_data)
{
   if (e->regular) {
      (*(int *) user_data) += (int) e->size;
   }
   return true;
}

static void test_entry_sizes(void **state)
{
   mb_repo_t *r = open_repo();
   mb_error_t err;
   int bytes = 0;

   (void) state;
   put(r, "x", MB_REPO_REPLACE, "abc");
   put(r, "y", MB_REPO_REPLACE, "de");
   assert_true(mb_repo_list(r, "", count_regular, &bytes, &err));
   assert_int_equal(bytes, 5);
   mb_repo_destroy(r);
}

static void test_abort_leaves_nothing(void **state)
{
   mb_repo_t *r = open_repo();
   mb_sink_t *s = NULL;
   mb_error_t err;
   char names[512];

   (void) state;
   assert_true(mb_repo_create(r, "b.archive", MB_REPO_REPLACE, &s, &err));
   assert_true(mb_sink_write(s, "partial data", 12, &err));
   list_names(r, "", names, sizeof names);
   assert_non_null(strstr(names, ".partial")); /* the temporary, while writing */
   mb_sink_destroy(s);                         /* abort */
   list_names(r, "", names, sizeof names);
   assert_string_equal(names, "");
   mb_repo_destroy(r);
}

static void test_no_replace_refused(void **state)
{
   mb_repo_t *r = open_repo();
   mb_sink_t *s = NULL;
   mb_error_t err;
   char names[512], *path;

   (void) state;
   put(r, "c.archive", MB_REPO_REPLACE, "old");
   /* at open */
   assert_false(mb_repo_create(r, "c.archive", MB_REPO_NO_REPLACE | MB_REPO_OWN_NAME, &s, &err));
   assert_null(s);
   path = mb_repo_path(r, "c.archive");
   assert_error_has(&err, MB_EXIT_EXISTS, path);
   assert_error_has(&err, MB_EXIT_EXISTS, "already exists and was not made by this run");
   /* at commit: the name was taken while writing */
   assert_true(mb_repo_create(r, "d.archive", MB_REPO_NO_REPLACE, &s, &err));
   assert_true(mb_sink_write(s, "new", 3, &err));
   put(r, "d.archive", MB_REPO_REPLACE, "someone else's");
   assert_false(mb_sink_close(s, &err));
   assert_error_has(&err, MB_EXIT_EXISTS, "already exists; refusing to replace it");
   mb_sink_destroy(s);
   assert_content(r, "c.archive", "old");
   assert_content(r, "d.archive", "someone else's");
   list_names(r, "", names, sizeof names);
   assert_string_equal(names, "c.archive d.archive");
   bson_free(path);
   mb_repo_destroy(r);
}

static void test_unique_names(void **state)
{
   mb_repo_t *r = open_repo();
   mb_sink_t *s = NULL;
   mb_error_t err;

   (void) state;
   put(r, "e.archive.zst", MB_REPO_REPLACE, "first");
   assert_true(mb_repo_create(r, "e.archive.zst", MB_REPO_UNIQUE, &s, &err));
   assert_true(mb_sink_write(s, "second", 6, &err));
   assert_true(mb_sink_close(s, &err));
   assert_string_equal(mb_repo_sink_name(r, s), "e-1.archive.zst");
   mb_sink_destroy(s);
   assert_content(r, "e.archive.zst", "first");
   assert_content(r, "e-1.archive.zst", "second");
   mb_repo_destroy(r);
}

static void test_remove(void **state)
{
   mb_repo_t *r = open_repo();
   mb_error_t err;
   bool exists = true;
   char *sub, *msg;

   (void) state;
   put(r, "f", MB_REPO_REPLACE, "x");
   assert_true(mb_repo_remove(r, "f", &err));
   assert_true(mb_repo_stat(r, "f", NULL, &exists, &err));
   assert_false(exists);
   assert_true(mb_repo_remove(r, "f", &err)); /* missing: no error */
   sub = mb_repo_path(r, "g");
   assert_int_equal(mkdir(sub, 0700), 0);
   assert_false(mb_repo_remove(r, "g", &err));
   msg = bson_strdup_printf("cannot delete '%s': ", sub);
   assert_error_has(&err, MB_EXIT_IO, msg);
   bson_free(msg);
   bson_free(sub);
   mb_repo_destroy(r);
}

static void test_rename(void **state)
{
   mb_repo_t *r = open_repo();
   mb_error_t err;
   char *final = NULL, names[512];

   (void) state;
   put(r, ".h.unverified", MB_REPO_REPLACE, "verified bytes");
   put(r, "h.archive", MB_REPO_REPLACE, "taken");
   assert_false(mb_repo_rename(r, ".h.unverified", "h.archive", MB_REPO_NO_REPLACE, &final, &err));
   assert_int_equal(mb_error_exit_code(&err), MB_EXIT_EXISTS);
   assert_null(final);
   assert_true(mb_repo_rename(r, ".h.unverified", "h.archive", MB_REPO_UNIQUE, &final, &err));
   assert_string_equal(final, "h-1.archive");
   bson_free(final);
   list_names(r, "", names, sizeof names);
   assert_string_equal(names, "h-1.archive h.archive");
   assert_content(r, "h-1.archive", "verified bytes");
   mb_repo_destroy(r);
}

/* A writer killed outright (no commit, no abort, no signal handler) leaves its temporary file;
 * a new writer still commits the whole object under the final name, and the leftover keeps a
 * temporary's name. */
static void test_crash_then_commit(void **state)
{
   mb_repo_t *r = open_repo();
   mb_sink_t *s = NULL;
   mb_error_t err;
   listing_t l = {.n = 0};
   pid_t pid;
   int status, partials = 0;
   bool exists = true;

   (void) state;
   pid = fork();
   assert_true(pid >= 0);
   if (pid == 0) {
      if (!mb_repo_create(r, "i.archive", MB_REPO_NO_REPLACE | MB_REPO_OWN_NAME, &s, &err) ||
          !mb_sink_write(s, "half of it", 10, &err)) {
         _exit(1);
      }
      _exit(0); /* as if killed: neither close nor destroy */
   }
   assert_int_equal(waitpid(pid, &status, 0), pid);
   assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
   assert_true(mb_repo_stat(r, "i.archive", NULL, &exists, &err));
   assert_false(exists);

   assert_true(mb_repo_create(r, "i.archive", MB_REPO_NO_REPLACE | MB_REPO_OWN_NAME, &s, &err));
   assert_true(mb_sink_write(s, "the whole of it", 15, &err));
   assert_true(mb_sink_close(s, &err));
   mb_sink_destroy(s);
   assert_content(r, "i.archive", "the whole of it");
   assert_true(mb_repo_list(r, "", collect, &l, &err));
   assert_int_equal(l.n, 2);
   for (int i = 0; i < l.n; i++) {
      size_t n = strlen(l.names[i]);
      if (strcmp(l.names[i], "i.archive") != 0) {
         assert_true(n > 8 && strcmp(l.names[i] + n - 8, ".partial") == 0);
         assert_int_equal(strncmp(l.names[i], "i.archive.", 10), 0);
         partials++;
      }
   }
   assert_int_equal(partials, 1);
   mb_repo_destroy(r);
}

static void test_read_json(void **state)
{
   mb_repo_t *r = open_repo();
   bson_t doc = BSON_INITIALIZER;
   bson_iter_t it;
   mb_error_t err;
   bool unreadable = false;

   (void) state;
   put(r, "good.json", MB_REPO_REPLACE, "{\"status\": \"ok\", \"size\": 3}");
   put(r, "bad.json", MB_REPO_REPLACE, "{\"status\": ");
   assert_true(mb_repo_read_json(r, "good.json", 1 << 20, &doc, &unreadable, &err));
   assert_true(bson_iter_init_find(&it, &doc, "status"));
   assert_string_equal(bson_iter_utf8(&it, NULL), "ok");
   bson_reinit(&doc);
   assert_false(mb_repo_read_json(r, "bad.json", 1 << 20, &doc, &unreadable, &err));
   assert_false(unreadable);
   assert_int_equal(mb_error_exit_code(&err), MB_EXIT_IO);
   assert_false(mb_repo_read_json(r, "missing.json", 1 << 20, &doc, &unreadable, &err));
   assert_true(unreadable);
   assert_error_has(&err, MB_EXIT_IO, "cannot open '");
   assert_false(mb_repo_read_json(r, "good.json", 8, &doc, &unreadable, &err));
   assert_true(unreadable);
   assert_error_has(&err, MB_EXIT_IO, "larger than 8 bytes");
   bson_destroy(&doc);
   mb_repo_destroy(r);
}

static void test_missing_directory_and_create(void **state)
{
   mb_repo_t *r = NULL;
   mb_error_t err;
   listing_t l = {.n = 0};
   char *dir = bson_strdup_printf("%s/new", g_dir), *want;
   struct stat st;

   (void) state;
   assert_true(mb_repo_open(dir, 0, &r, &err)); /* nothing checked yet */
   assert_false(mb_repo_list(r, "", collect, &l, &err));
   want =
       bson_strdup_printf("cannot read the backup directory '%s': No such file or directory", dir);
   assert_error(&err, MB_EXIT_IO, want);
   bson_free(want);
   mb_repo_destroy(r);

   assert_true(mb_repo_open(dir, MB_REPO_CREATE, &r, &err));
   assert_int_equal(stat(dir, &st), 0);
   assert_true(S_ISDIR(st.st_mode));
   assert_int_equal(st.st_mode & 0777, 0700);
   assert_true(mb_repo_list(r, "", collect, &l, &err));
   assert_int_equal(l.n, 0);
   mb_repo_destroy(r);
   bson_free(dir);
}

/* A location a user typed keeps its exact text as the name of the current directory's
 * repository. */
static void test_locate_path(void **state)
{
   mb_repo_t *r = NULL;
   mb_sink_t *s = NULL;
   mb_error_t err;
   char *name = NULL, *loc = bson_strdup_printf("%s//j.archive", g_dir), *path;

   (void) state;
   assert_true(mb_repo_locate(loc, &r, &name, &err));
   assert_string_equal(name, loc);
   assert_string_equal(mb_repo_url(r), "");
   path = mb_repo_path(r, name);
   assert_string_equal(path, loc);
   assert_true(mb_repo_create(r, name, MB_REPO_REPLACE, &s, &err));
   assert_true(mb_sink_close(s, &err));
   assert_string_equal(mb_repo_sink_name(r, s), loc);
   mb_sink_destroy(s);
   bson_free(path);
   bson_free(name);
   bson_free(loc);
   mb_repo_destroy(r);
}

int main(void)
{
   const struct CMUnitTest tests[] = {
       cmocka_unit_test_setup_teardown(test_create_commit_list_stat_read, setup, teardown),
       cmocka_unit_test_setup_teardown(test_list_prefix_and_kinds, setup, teardown),
       cmocka_unit_test_setup_teardown(test_entry_sizes, setup, teardown),
       cmocka_unit_test_setup_teardown(test_abort_leaves_nothing, setup, teardown),
       cmocka_unit_test_setup_teardown(test_no_replace_refused, setup, teardown),
       cmocka_unit_test_setup_teardown(test_unique_names, setup, teardown),
       cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
       cmocka_unit_test_setup_teardown(test_rename, setup, teardown),
       cmocka_unit_test_setup_teardown(test_crash_then_commit, setup, teardown),
       cmocka_unit_test_setup_teardown(test_read_json, setup, teardown),
       cmocka_unit_test_setup_teardown(test_missing_directory_and_create, setup, teardown),
       cmocka_unit_test_setup_teardown(test_locate_path, setup, teardown),
   };
   return cmocka_run_group_tests(tests, NULL, NULL);
}
