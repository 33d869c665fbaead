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

/* An entry of a prelude built by build() */
typedef struct {
   const char *db, *coll, *type, *metadata;
} entry_t;

/* The plan of a prelude of n entries with includes, excludes (NULL-terminated, or NULL) and
 * renames (from, to pairs, NULL-terminated, or NULL). */
static bool build(fixture_t *f, const entry_t *entries, int n, const char *const *includes,
                  const char *const *excludes, const char *const *renames, mb_error_t *err)
{
   const char *froms[4], *tos[4];
   int ninc = 0, nexc = 0, nren = 0;

   memset(f, 0, sizeof *f);
   bytes_put_hex(&f->bytes, V_MAGIC V_HEADER);
   for (int i = 0; i < n; i++) {
      bytes_put_prelude_entry_typed(&f->bytes, entries[i].db, entries[i].coll, entries[i].metadata,
                                    entries[i].type);
   }
   bytes_put_u32(&f->bytes, 0xffffffffu);
   while (includes && includes[ninc]) {
      ninc++;
   }
   while (excludes && excludes[nexc]) {
      nexc++;
   }
   for (; renames && renames[2 * nren]; nren++) {
      froms[nren] = renames[2 * nren];
      tos[nren] = renames[2 * nren + 1];
   }
   assert_true(mb_mem_source_new(f->bytes.data, f->bytes.len, &f->src, err));
   assert_true(mb_archive_reader_open(f->src, NULL, &f->reader, err));
   assert_true(mb_rnsmap_new(includes, ninc, excludes, nexc, froms, tos, nren, &f->map, err));
   return mb_rplan_build(f->reader, f->map, &f->plan, err);
}

static void expect_skip(const mb_rplan_ns_t *p, const char *src_ns, const char *reason,
                        bool filtered)
{
   assert_int_equal(p->action, MB_RPLAN_SKIP);
   assert_string_equal(p->src_ns, src_ns);
   assert_string_equal(p->skip_reason, reason);
   assert_int_equal(p->filtered, filtered);
   assert_null(p->dst_ns);
}

/* Users and roles (from admin or a --dump-users-and-roles database) are buffered for admin;
 * what restore cannot restore is skipped with its reason, never an error. */
static void test_users_and_skips(void **state)
{
   static const entry_t entries[] = {
       {"admin", "system.users", "", ""},
       {"admin", "system.roles", "", ""},
       {"admin", "system.version", "", ""},
       {"shop", "$admin.system.users", "", ""},
       {"shop", "$admin.system.roles", "", ""},
       {"shop", "$admin.system.version", "", ""},
       {"shop", "system.profile", "collection", ""},
       {"shop", "$cmd", "collection", ""},
       {"", "oplog", "", ""},
       {"shop", "orders", "collection", ""},
   };
   static const char *const exclude_admin[] = {"admin.*", NULL};
   fixture_t f;
   mb_error_t err;
   (void) state;

   assert_true(build(&f, entries, 10, NULL, NULL, NULL, &err));
   assert_int_equal(f.plan->nns, 10);
   assert_int_equal(f.plan->ns[0].action, MB_RPLAN_USERS);
   assert_string_equal(f.plan->ns[0].dst_ns, "admin.system.users");
   assert_int_equal(f.plan->ns[1].action, MB_RPLAN_USERS);
   assert_string_equal(f.plan->ns[1].dst_ns, "admin.system.roles");
   expect_skip(&f.plan->ns[2], "admin.system.version", "authorization schema version: not restored",
               false);
   assert_int_equal(f.plan->ns[3].action, MB_RPLAN_USERS);
   assert_string_equal(f.plan->ns[3].dst_ns, "admin.system.users");
   assert_int_equal(f.plan->ns[4].action, MB_RPLAN_USERS);
   assert_string_equal(f.plan->ns[4].dst_ns, "admin.system.roles");
   expect_skip(&f.plan->ns[5], "shop.$admin.system.version",
               "authorization schema version: not restored", false);
   expect_skip(&f.plan->ns[6], "shop.system.profile",
               "system.profile: the server does not accept inserts into it", false);
   expect_skip(&f.plan->ns[7], "shop.$cmd",
               "special collection name starting with '$': not restored", false);
   expect_skip(&f.plan->ns[8], ".oplog",
               "oplog: not replayed (restore with --oplog-replay to apply it)", false);
   expect_target(&f.plan->ns[9], "shop.orders", "shop", "orders");
   fixture_free(&f);

   /* users are selected by their archive name like any namespace */
   assert_true(build(&f, entries, 10, NULL, exclude_admin, NULL, &err));
   expect_skip(&f.plan->ns[0], "admin.system.users", "excluded by --ns-exclude", true);
   expect_skip(&f.plan->ns[1], "admin.system.roles", "excluded by --ns-exclude", true);
   /* the archive's own reason comes first */
   expect_skip(&f.plan->ns[2], "admin.system.version", "authorization schema version: not restored",
               false);
   assert_int_equal(f.plan->ns[3].action, MB_RPLAN_USERS);
   fixture_free(&f);
}

static void test_include_filter(void **state)
{
   static const entry_t entries[] = {
       {"shop", "a", "collection", ""},
       {"other", "b", "collection", "{\"uuid\":5}"}, /* unusable, but not selected */
       {"shop", "c.d", "collection", ""},
   };
   static const char *const include_shop[] = {"shop.*", NULL};
   static const char *const rename_shop[] = {"shop.*", "sold.*", NULL};
   fixture_t f;
   mb_error_t err;
   (void) state;

   assert_true(build(&f, entries, 3, include_shop, NULL, rename_shop, &err));
   expect_target(&f.plan->ns[0], "sold.a", "sold", "a");
   expect_skip(&f.plan->ns[1], "other.b", "not matched by --ns-include", true);
   expect_target(&f.plan->ns[2], "sold.c.d", "sold", "c.d");
   fixture_free(&f);
}

static void test_duplicate_targets(void **state)
{
   static const entry_t entries[] = {
       {"a", "x", "collection", ""},
       {"b", "x", "collection", ""},
   };
   static const char *const both_to_c[] = {"a.*", "c.*", "b.*", "c.*", NULL};
   static const char *const onto_b[] = {"a.*", "b.*", NULL};
   static const char *const exclude_b[] = {"b.x", NULL};
   fixture_t f;
   mb_error_t err;
   (void) state;

   assert_false(build(&f, entries, 2, NULL, NULL, both_to_c, &err));
   assert_error(&err, MB_EXIT_USAGE,
                "'a.x' and 'b.x' would both be restored into 'c.x'; change --ns-from/--ns-to");
   fixture_free(&f);
   /* onto a namespace that keeps its own name */
   assert_false(build(&f, entries, 2, NULL, NULL, onto_b, &err));
   assert_error_has(&err, MB_EXIT_USAGE, "would both be restored into 'b.x'; change");
   fixture_free(&f);
   /* a skipped namespace takes no target */
   assert_true(build(&f, entries, 2, NULL, exclude_b, both_to_c, &err));
   expect_target(&f.plan->ns[0], "c.x", "c", "x");
   expect_skip(&f.plan->ns[1], "b.x", "excluded by --ns-exclude", true);
   fixture_free(&f);
}

/* Views, timeseries collections (documents into system.buckets.X for servers before 8.3, the
 * header's 7.0.14 here) and index specs as createIndexes wants them. */
static void test_views_timeseries_indexes(void **state)
{
   static const entry_t entries[] = {
       {"d", "v", "view",
        "{\"options\":{\"viewOn\":\"c\",\"pipeline\":[]},\"indexes\":[],\"collectionName\":\"v\","
        "\"type\":\"view\"}"},
       {"d", "ts", "timeseries",
        "{\"options\":{\"timeseries\":{\"timeField\":\"t\"}},\"indexes\":[],"
        "\"collectionName\":\"ts\",\"type\":\"timeseries\"}"},
       {"d", "fr", "collection",
        "{\"options\":{\"collation\":{\"locale\":\"fr\"}},\"indexes\":["
        "{\"v\":2,\"key\":{\"_id\":1},\"name\":\"_id_\",\"collation\":{\"locale\":\"fr\"}},"
        "{\"v\":2,\"key\":{\"k\":1},\"name\":\"k_1\",\"ns\":\"d.fr\"},"
        "{\"v\":2,\"key\":{\"j\":1},\"name\":\"j_1\",\"collation\":{\"locale\":\"en\"}},"
        "{\"v\":2,\"key\":{\"z\":1}}],\"uuid\":\"abc\"}"},
   };
   static const char *const renames[] = {"d.ts", "e.ts2", NULL};
   fixture_t f;
   mb_error_t err;
   char *json;
   (void) state;

   assert_true(build(&f, entries, 3, NULL, NULL, NULL, &err));
   assert_true(f.plan->ns[0].is_view);
   assert_false(f.plan->ns[0].is_timeseries);
   assert_int_equal(f.plan->ns[0].nindexes, 0);
   assert_string_equal(f.plan->ns[0].dst_data_coll, "v");
   assert_true(f.plan->ns[1].is_timeseries);
   assert_false(f.plan->ns[1].is_view);
   assert_string_equal(f.plan->ns[1].dst_coll, "ts");
   assert_string_equal(f.plan->ns[1].dst_data_coll, "system.buckets.ts");
   /* "v" and "ns" dropped; an explicit simple collation where the collection has another
    * default and the spec none; a spec without a name dropped; a short uuid ignored */
   assert_int_equal(f.plan->ns[2].nindexes, 2);
   json = bson_as_relaxed_extended_json(&f.plan->ns[2].indexes, NULL);
   assert_string_equal(json, "{ \"0\" : { \"key\" : { \"k\" : 1 }, \"name\" : \"k_1\", "
                             "\"collation\" : { \"locale\" : \"simple\" } }, \"1\" : { \"key\" : "
                             "{ \"j\" : 1 }, \"name\" : \"j_1\", \"collation\" : { \"locale\" : "
                             "\"en\" } } }");
   bson_free(json);
   json = bson_as_relaxed_extended_json(&f.plan->ns[2].id_index, NULL);
   assert_string_equal(json, "{ \"v\" : 2, \"key\" : { \"_id\" : 1 }, \"name\" : \"_id_\", "
                             "\"collation\" : { \"locale\" : \"fr\" } }");
   bson_free(json);
   assert_string_equal(f.plan->ns[2].uuid, "");
   fixture_free(&f);

   /* a renamed timeseries collection keeps its buckets beside it */
   assert_true(build(&f, entries, 3, NULL, NULL, renames, &err));
   expect_target(&f.plan->ns[0], "d.v", "d", "v");
   assert_string_equal(f.plan->ns[1].dst_ns, "e.ts2");
   assert_string_equal(f.plan->ns[1].dst_data_coll, "system.buckets.ts2");
   fixture_free(&f);
}

int main(void)
{
   const struct CMUnitTest tests[] = {
       cmocka_unit_test(test_dotted_names),
       cmocka_unit_test(test_bad_rename_target),
       cmocka_unit_test(test_metadata),
       cmocka_unit_test(test_users_and_skips),
       cmocka_unit_test(test_include_filter),
       cmocka_unit_test(test_duplicate_targets),
       cmocka_unit_test(test_views_timeseries_indexes),
   };
   return cmocka_run_group_tests(tests, NULL, NULL);
}
