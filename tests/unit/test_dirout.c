/* mongodump's directory layout: file names (Go's url.QueryEscape, the SHA-1 form of long names),
 * the writer's files and its publish rules, and the directory read back as an archive. */
#include "archive/dirout.h"
#include "archive/dirsource.h"
#include "archive/reader.h"

#include "testutil.h"

#include <sys/stat.h>
#include <unistd.h>

static char g_dir[64];

static int setup(void **state)
{
   (void) state;
   return tmpdir_make(g_dir, sizeof g_dir, "dirout") ? 0 : -1;
}

static int teardown(void **state)
{
   (void) state;
   return tmpdir_remove(g_dir);
}

static void expect_escape(const char *name, const char *want)
{
   char *got = NULL, *back;
   mb_error_t err;

   assert_true(mb_dirout_escape(name, &got, &err));
   assert_string_equal(got, want);
   if (strlen(want) <= 238 && !strstr(want, "%24")) {
      back = mb_dirout_unescape(got);
      assert_non_null(back);
      assert_string_equal(back, name);
      bson_free(back);
   }
   bson_free(got);
}

static void test_escape(void **state)
{
   char *longname = bson_malloc(301), *want;
   (void) state;

   expect_escape("people", "people");
   expect_escape("dotted.name.coll", "dotted.name.coll");
   expect_escape("a b/c%d$\xc3\xa9~-_.", "a+b%2Fc%25d%24%C3%A9~-_.");
   expect_escape("$admin.system.users", "%24admin.system.users");
   /* longer than 238 escaped bytes: the first 208, "%24", base64url(SHA-1) without padding */
   memset(longname, 'a', 300);
   longname[300] = '\0';
   want = bson_strdup_printf("%.208s%%24AD7xup6p8vTas6IATlBcqKTn5aM", longname);
   expect_escape(longname, want);
   bson_free(want);
   bson_free(longname);
}

static void test_unescape_invalid(void **state)
{
   (void) state;
   assert_null(mb_dirout_unescape("a%zz"));
   assert_null(mb_dirout_unescape("a%2"));
   assert_null(mb_dirout_unescape("a%00b"));
}

static const uint8_t two_docs[] = {
    /* {_id: 1}, {_id: 2} (int32) */
    0x0e, 0, 0, 0, 0x10, '_', 'i', 'd', 0, 1, 0, 0, 0, 0,
    0x0e, 0, 0, 0, 0x10, '_', 'i', 'd', 0, 2, 0, 0, 0, 0,
};

static void write_dump(const char *path, mb_compress_t c, bool overwrite, mb_exit_t want)
{
   mb_dirout_opts_t o = {
       .path = path, .overwrite = overwrite, .compress = c, .level = 6, .tool_version = "test"};
   mb_dirout_t *d = NULL;
   mb_error_t err;
   int c1, v;

   if (want != MB_EXIT_OK) {
      assert_false(mb_dirout_new(&o, &d, &err));
      assert_int_equal(mb_error_exit_code(&err), want);
      return;
   }
   assert_true(mb_dirout_new(&o, &d, &err));
   mb_dirout_set_source(d, "7.0.14", NULL);
   assert_true(mb_dirout_add_namespace(
       d, "test", "c d", "{\"indexes\":[],\"collectionName\":\"c d\"}", "collection", &c1, &err));
   assert_true(
       mb_dirout_add_namespace(d, "test", "v",
                               "{\"options\":{\"viewOn\":\"c d\",\"pipeline\":[]},\"indexes\":[],"
                               "\"collectionName\":\"v\",\"type\":\"view\"}",
                               "view", &v, &err));
   assert_true(mb_dirout_write(d, c1, two_docs, sizeof two_docs, &err));
   assert_true(mb_dirout_end_namespace(d, v, &err));
   assert_true(mb_dirout_end_namespace(d, c1, &err));
   assert_true(mb_dirout_finish(d, &err));
   mb_dirout_destroy(d);
}

static bool exists(const char *dir, const char *rel)
{
   char p[512];
   snprintf(p, sizeof p, "%s/%s", dir, rel);
   return access(p, F_OK) == 0;
}

static void read_back(const char *path)
{
   mb_source_t *src = NULL;
   mb_archive_reader_t *r = NULL;
   mb_archive_reader_opts_t ro = {.validate_bson = true};
   mb_archive_event_t ev;
   mb_error_t err;
   int docs = 0;

   assert_true(mb_dirsource_is_dir(path));
   assert_true(mb_dirsource_open(path, &src, &err));
   assert_true(mb_archive_reader_open(src, &ro, &r, &err));
   assert_string_equal(mb_archive_reader_prelude(r)->server_version, "7.0.14");
   assert_int_equal(mb_archive_reader_ns_count(r), 2);
   assert_string_equal(mb_archive_reader_ns(r, 0)->collection, "c d");
   assert_string_equal(mb_archive_reader_ns(r, 1)->type, "view");
   do {
      assert_true(mb_archive_reader_next(r, &ev, &err));
      docs += ev.kind == MB_ARCHIVE_EV_DOCUMENT;
   } while (ev.kind != MB_ARCHIVE_EV_END);
   assert_int_equal(docs, 2);
   assert_int_equal(mb_archive_reader_ns(r, 0)->crc, mb_archive_reader_ns(r, 0)->stored_crc);
   mb_archive_reader_destroy(r);
   mb_source_destroy(src);
}

static void test_plain_round_trip(void **state)
{
   char out[128];
   (void) state;

   snprintf(out, sizeof out, "%s/plain", g_dir);
   write_dump(out, MB_COMPRESS_NONE, false, MB_EXIT_OK);
   assert_true(exists(out, "test/c+d.bson"));
   assert_true(exists(out, "test/c+d.metadata.json"));
   assert_true(exists(out, "test/v.metadata.json"));
   assert_false(exists(out, "test/v.bson")); /* a view has no data file, as mongodump */
   assert_true(exists(out, "prelude.json"));
   read_back(out);
   /* an existing non-empty directory: EXISTS, unless overwrite */
   write_dump(out, MB_COMPRESS_NONE, false, MB_EXIT_EXISTS);
   write_dump(out, MB_COMPRESS_GZIP, true, MB_EXIT_OK);
   assert_true(exists(out, "test/c+d.bson.gz"));
   assert_false(exists(out, "test/c+d.bson"));
   read_back(out);
}

static void test_gzip_and_refusals(void **state)
{
   char out[128];
   mb_source_t *src = NULL;
   mb_error_t err;
   (void) state;

   snprintf(out, sizeof out, "%s/gz", g_dir);
   write_dump(out, MB_COMPRESS_GZIP, false, MB_EXIT_OK);
   assert_true(exists(out, "test/c+d.metadata.json.gz"));
   assert_true(exists(out, "prelude.json.gz"));
   read_back(out);
   snprintf(out, sizeof out, "%s/z", g_dir);
   write_dump(out, MB_COMPRESS_ZSTD, false, MB_EXIT_USAGE);
   assert_false(exists(out, ""));
   /* an empty directory becomes the dump; one without a database is not a dump */
   assert_int_equal(mkdir(out, 0700), 0);
   assert_false(mb_dirsource_open(out, &src, &err));
   assert_int_equal(mb_error_exit_code(&err), MB_EXIT_NOT_ARCHIVE);
   write_dump(out, MB_COMPRESS_NONE, false, MB_EXIT_OK);
   read_back(out);
}

int main(void)
{
   const struct CMUnitTest tests[] = {
       cmocka_unit_test(test_escape),
       cmocka_unit_test(test_unescape_invalid),
       cmocka_unit_test(test_plain_round_trip),
       cmocka_unit_test(test_gzip_and_refusals),
   };
   return cmocka_run_group_tests(tests, setup, teardown);
}
