/* The restore plan: targets exactly the archive's (db, collection) unless a rename applies;
 * metadata judged by the archive's one parser. */
#include "archive/reader.h"
#include "restore/plan.h"

#include "testutil.h"

typedef struct {
   bytes_t bytes;
   mb_source_t *src;
   mb_archive_reader_t *reader;
   mb_rnsmap_t *map;
   mb_rplan_t *plan;
} fixture_t;

/* The prelude of entries (db, collection, metadata) ... NULL; the plan with the given
 * renames (from, to pairs; NULL when none) and excludes. */
static bool plan(fixture_t *f, const char *const *entries, const char *const *renames,
                 const char *exclude, mb_error_t *err)
{
   const char *froms[4], *tos[4];
   int n = 0;

   memset(f, 0, sizeof *f);
   bytes_put_hex(&f->bytes, V_MAGIC V_HEADER);
   for (int i = 0; entries[i]; i += 3) {
      bytes_put_prelude_entry(&f->bytes, entries[i], entries[i + 1], entries[i + 2]);
   }
   bytes_put_u32(&f->bytes, 0xffffffffu);
   for (; renames && renames[2 * n]; n++) {
      froms[n] = renames[2 * n];
      tos[n] = renames[2 * n + 1];
   }
   assert_true(mb_mem_source_new(f->bytes.data, f->bytes.len, &f->src, err));
   assert_true(mb_archive_reader_open(f->src, NULL, &f->reader, err));
   assert_true(mb_rnsmap_new(NULL, 0, &exclude, exclude ? 1 : 0, froms, tos, n, &f->map, err));
   return mb_rplan_build(f->reader, f->map, &f->plan, err);
}

static void fixture_free(fixture_t *f)
{
   mb_rplan_destroy(f->plan);
   mb_rnsmap_destroy(f->map);
   mb_archive_reader_destroy(f->reader);
   mb_source_destroy(f->src);
   bytes_free(&f->bytes);
}

static void expect_target(const mb_rplan_ns_t *p, const char *ns, const char *db, const char *coll)
{
   assert_int_equal(p->action, MB_RPLAN_RESTORE);
   assert_string_equal(p->dst_ns, ns);
   assert_string_equal(p->dst_db, db);
   assert_string_equal(p->dst_coll, coll);
   assert_string_equal(p->dst_data_coll, coll);
}

/* db "a.b" + collection "c" was restored into db "a", collection "b.c" */
static void test_dotted_names(void **state)
{
   static const char *const entries[] = {"a.b", "c", "", "x", "y.z", "", "p", "q", "", NULL};
   static const char *const renames[] = {"a.b.*", "n.*", "p.q", "r.s.t", NULL};
   fixture_t f;
   mb_error_t err;
   (void) state;

   assert_true(plan(&f, entries, NULL, NULL, &err));
   expect_target(&f.plan->ns[0], "a.b.c", "a.b", "c");
   expect_target(&f.plan->ns[1], "x.y.z", "x", "y.z");
   expect_target(&f.plan->ns[2], "p.q", "p", "q");
   fixture_free(&f);

   /* a rename gives "db.coll", split at its first dot as mongorestore does */
   assert_true(plan(&f, entries, renames, NULL, &err));
   expect_target(&f.plan->ns[0], "n.c", "n", "c");
   expect_target(&f.plan->ns[1], "x.y.z", "x", "y.z");
   expect_target(&f.plan->ns[2], "r.s.t", "r", "s.t");
   fixture_free(&f);
}

static void test_bad_rename_target(void **state)
{
   static const char *const entries[] = {"x", "y", "", NULL};
   static const char *const to_space[] = {"x.*", "b d.*", NULL};
   static const char *const to_empty[] = {"x.*", ".*", NULL};
   static const char *const to_nocoll[] = {"x.y", "z", NULL};
   fixture_t f;
   mb_error_t err;
   (void) state;

   assert_false(plan(&f, entries, to_space, NULL, &err));
   assert_error(&err, MB_EXIT_USAGE,
                "'x.y' would be restored as 'b d.y': invalid database name (1 to 63 bytes, none "
                "of /\\. \"$)");
   fixture_free(&f);
   assert_false(plan(&f, entries, to_empty, NULL, &err));
   assert_error(&err, MB_EXIT_USAGE,
                "'x.y' would be restored as '.y': invalid database name (1 to 63 bytes, none of "
                "/\\. \"$)");
   fixture_free(&f);
   assert_false(plan(&f, entries, to_nocoll, NULL, &err));
   assert_error(&err, MB_EXIT_USAGE,
                "'x.y' would be restored as 'z': invalid collection name (empty or starting with "
                "'$')");
   fixture_free(&f);
}

/* The metadata as mongorestore reads it: null uuid and options are fine; what restore cannot
 * use stops it, unless the namespace is not selected. */
static void test_metadata(void **state)
{
   static const char *const fine[] = {
       "d",
       "c",
       "{\"options\":null,\"uuid\":null,\"indexes\":null}",
       "d",
       "u",
       "{\"uuid\":\"0123456789ABCDEF0123456789abcdef\",\"indexes\":[{\"v\":2,"
       "\"key\":{\"_id\":1},\"name\":\"_id_\"},{\"key\":{\"k\":1},\"name\":\"k_1\","
       "\"v\":2,\"ns\":\"old.u\"}]}",
       NULL};
   static const char *const bad[] = {"d", "c", "", "d", "bad", "{\"uuid\":5}", NULL};
   fixture_t f;
   mb_error_t err;
   char *spec;
   (void) state;

   assert_true(plan(&f, fine, NULL, NULL, &err));
   assert_string_equal(f.plan->ns[0].uuid, "");
   assert_int_equal(f.plan->ns[0].nindexes, 0);
   assert_string_equal(f.plan->ns[1].uuid, "0123456789abcdef0123456789abcdef");
   assert_int_equal(f.plan->ns[1].nindexes, 1);
   spec = bson_as_relaxed_extended_json(&f.plan->ns[1].indexes, NULL);
   assert_string_equal(spec, "{ \"0\" : { \"key\" : { \"k\" : 1 }, \"name\" : \"k_1\" } }");
   bson_free(spec);
   fixture_free(&f);

   assert_false(plan(&f, bad, NULL, NULL, &err));
   assert_error(&err, MB_EXIT_CORRUPT,
                "the metadata of namespace 'd.bad' in the archive has a 'uuid' that is not a "
                "string");
   fixture_free(&f);
   assert_true(plan(&f, bad, NULL, "d.bad", &err));
   assert_int_equal(f.plan->ns[1].action, MB_RPLAN_SKIP);
   assert_true(f.plan->ns[1].filtered);
   fixture_free(&f);
}

int main(void)
{
   const struct CMUnitTest tests[] = {
       cmocka_unit_test(test_dotted_names),
       cmocka_unit_test(test_bad_rename_target),
       cmocka_unit_test(test_metadata),
   };
   return cmocka_run_group_tests(tests, NULL, NULL);
}
