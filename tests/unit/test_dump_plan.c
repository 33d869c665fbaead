/* The dump planner's pure decisions: which names are selected and enumerated (mongodump's
 * defaults), the dump order, when a collection is split, and the metadata text. */
#include "dump/plan.h"

#include "testutil.h"

#define MAX_PATTERNS 4

typedef struct {
   const char *include[MAX_PATTERNS], *exclude[MAX_PATTERNS]; /* NULL-terminated */
   bool no_lists;                                             /* include = exclude = NULL */
   const char *db, *coll;
   bool want;
} select_case_t;

static void test_selected(void **state)
{
   static const select_case_t cases[] = {
       {{NULL}, {NULL}, true, "db", "c", true},
       {{NULL}, {NULL}, false, "db", "c", true}, /* empty lists select everything too */
       {{"db.*"}, {NULL}, false, "db", "c", true},
       {{"db.*"}, {NULL}, false, "db", "a.b", true},
       {{"db.*"}, {NULL}, false, "dbx", "c", false},
       {{"x.*", "db.c"}, {NULL}, false, "db", "c", true},
       {{"x.*", "db.c"}, {NULL}, false, "db", "d", false},
       {{NULL}, {"db.secret*"}, false, "db", "secret_2", false},
       {{NULL}, {"db.secret*"}, false, "db", "public", true},
       {{"db.*"}, {"*.tmp"}, false, "db", "tmp", false},
       {{"db.*"}, {"*.tmp"}, false, "db", "tmpx", true},
       /* the namespace is db + "." + coll: a dotted database matches as a whole */
       {{"a.b.*"}, {NULL}, false, "a.b", "c", true},
       {{"a.b.*"}, {NULL}, false, "a", "b.c", true},
       {{"db.a\\*"}, {NULL}, false, "db", "a*", true},
       {{"db.a\\*"}, {NULL}, false, "db", "ab", false},
   };
   (void) state;

   for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
      const select_case_t *c = &cases[i];
      mb_plan_opts_t o = {0};
      if (!c->no_lists) {
         o.include = c->include;
         o.exclude = c->exclude;
      }
      if (mb_plan_selected(&o, c->db, c->coll) != c->want) {
         fail_msg("case %zu: %s.%s selected %d", i, c->db, c->coll, !c->want);
      }
   }
}

typedef struct {
   const char *db, *coll;
   bool db_given, want;
} enum_case_t;

static void test_enumerable(void **state)
{
   static const enum_case_t cases[] = {
       {"db", "c", false, true},
       {"db", "c", true, true},
       /* system collections: only system.js */
       {"db", "system.js", false, true},
       {"db", "system.views", false, false},
       {"db", "system.profile", true, false},
       {"admin", "system.users", false, false},
       {"db", "system", false, true},
       {"db", "systemx.y", false, true},
       /* names with '$' are internal */
       {"db", "a$b", false, false},
       {"db", "$cmd", true, false},
       /* config: only the cluster's own collections, unless --db config */
       {"config", "chunks", false, true},
       {"config", "collections", false, true},
       {"config", "databases", false, true},
       {"config", "settings", false, true},
       {"config", "shards", false, true},
       {"config", "tags", false, true},
       {"config", "version", false, true},
       {"config", "mine", false, false},
       {"config", "system.js", false, false},
       {"config", "mine", true, true},
       {"config", "system.sessions", true, false},
       {"configx", "mine", false, true},
   };
   (void) state;

   for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
      const enum_case_t *c = &cases[i];
      if (mb_plan_enumerable(c->db, c->coll, c->db_given) != c->want) {
         fail_msg("case %zu: %s.%s (db given %d) enumerable %d", i, c->db, c->coll, c->db_given,
                  !c->want);
      }
   }
}

static mb_plan_ns_t ns(const char *name, mb_ns_kind_t kind, bool read_data, int64_t size,
                       int64_t count)
{
   mb_plan_ns_t n;

   memset(&n, 0, sizeof n);
   n.collection = (char *) name;
   n.type = (char *) (read_data ? "collection" : "view");
   n.kind = kind;
   n.read_data = read_data;
   n.size_bytes = size;
   n.count = count;
   return n;
}

static void test_order(void **state)
{
   mb_plan_ns_t v[] = {
       ns("small", MB_NS_REGULAR, true, 10, 1),      ns("view1", MB_NS_REGULAR, false, 0, 0),
       ns("big", MB_NS_REGULAR, true, 1000, 5),      ns("users", MB_NS_SPECIAL, true, 1, 1),
       ns("mid_fewer", MB_NS_REGULAR, true, 500, 2), ns("mid_more", MB_NS_REGULAR, true, 500, 9),
       ns("empty", MB_NS_REGULAR, true, 0, 0),       ns("view2", MB_NS_REGULAR, false, 99, 0),
   };
   static const char *const want[] = {"users",    "view",      "view",  "big",
                                      "mid_more", "mid_fewer", "small", "empty"};
   (void) state;

   qsort(v, sizeof v / sizeof v[0], sizeof v[0], mb_plan_ns_order);
   for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
      if (strncmp(v[i].collection, want[i], strlen(want[i])) != 0) {
         fail_msg("position %zu: %s, want %s", i, v[i].collection, want[i]);
      }
   }
   {
      /* the comparator itself: specials are equal among themselves whatever their size, so are
       * two views of the same size; sizes break ties before counts */
      mb_plan_ns_t s1 = ns("s1", MB_NS_SPECIAL, true, 1, 1),
                   s2 = ns("s2", MB_NS_SPECIAL, true, 9, 9);
      mb_plan_ns_t a = ns("a", MB_NS_REGULAR, true, 7, 3), b = ns("b", MB_NS_REGULAR, true, 7, 3);
      mb_plan_ns_t c = ns("c", MB_NS_REGULAR, true, 8, 1);
      assert_int_equal(mb_plan_ns_order(&s1, &s2), 0);
      assert_int_equal(mb_plan_ns_order(&a, &b), 0);
      assert_true(mb_plan_ns_order(&c, &a) < 0);
      assert_true(mb_plan_ns_order(&a, &c) > 0);
      assert_true(mb_plan_ns_order(&s2, &c) < 0);
   }
}

typedef struct {
   const char *what;
   int64_t threshold;
   int ranges;
   bool read_data, capped;
   mb_ns_kind_t kind;
   const char *type;
   int64_t size;
   bool want;
} split_case_t;

static void test_splittable(void **state)
{
   static const split_case_t cases[] = {
       {"at the threshold", 100, 4, true, false, MB_NS_REGULAR, "collection", 100, true},
       {"over it", 100, 2, true, false, MB_NS_REGULAR, "collection", 5000, true},
       {"under it", 100, 4, true, false, MB_NS_REGULAR, "collection", 99, false},
       {"splitting off", 0, 4, true, false, MB_NS_REGULAR, "collection", 5000, false},
       {"one range", 100, 1, true, false, MB_NS_REGULAR, "collection", 5000, false},
       {"capped", 100, 4, true, true, MB_NS_REGULAR, "collection", 5000, false},
       {"a view", 100, 4, false, false, MB_NS_REGULAR, "view", 5000, false},
       {"a view as a collection", 100, 4, true, false, MB_NS_REGULAR, "view", 5000, false},
       {"timeseries", 100, 4, true, false, MB_NS_REGULAR, "timeseries", 5000, false},
       {"users", 100, 4, true, false, MB_NS_SPECIAL, "collection", 5000, false},
       {"no data read", 100, 4, false, false, MB_NS_REGULAR, "collection", 5000, false},
   };
   (void) state;

   for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
      const split_case_t *c = &cases[i];
      mb_plan_opts_t o = {0};
      mb_plan_ns_t n = ns("c", c->kind, c->read_data, c->size, 1);
      o.split_threshold = c->threshold;
      o.split_ranges = c->ranges;
      n.capped = c->capped;
      n.type = (char *) c->type;
      if (mb_plan_splittable(&n, &o) != c->want) {
         fail_msg("%s: splittable %d", c->what, !c->want);
      }
   }
}

static void test_metadata_json(void **state)
{
   static const uint8_t id[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
   bson_t *options = BCON_NEW("capped", BCON_BOOL(true), "size", BCON_INT32(4096));
   bson_t *indexes = BCON_NEW("0", "{", "v", BCON_INT32(2), "key", "{", "_id", BCON_INT32(1), "}",
                              "name", BCON_UTF8("_id_"), "}");
   bson_t empty = BSON_INITIALIZER;
   bson_value_t uuid = {0}, old_uuid, short_uuid, text_uuid;
   char *json;
   (void) state;

   uuid.value_type = BSON_TYPE_BINARY;
   uuid.value.v_binary.subtype = BSON_SUBTYPE_UUID;
   uuid.value.v_binary.data = (uint8_t *) id;
   uuid.value.v_binary.data_len = 16;
   old_uuid = uuid;
   old_uuid.value.v_binary.subtype = BSON_SUBTYPE_UUID_DEPRECATED;
   short_uuid = uuid;
   short_uuid.value.v_binary.data_len = 15;
   memset(&text_uuid, 0, sizeof text_uuid);
   text_uuid.value_type = BSON_TYPE_UTF8;
   text_uuid.value.v_utf8.str = (char *) "00010203040506070809";
   text_uuid.value.v_utf8.len = 20;

   json = mb_plan_metadata_json(options, indexes, &uuid, "c", "collection");
   assert_string_equal(json,
                       "{\"options\":{\"capped\":true,\"size\":{\"$numberInt\":\"4096\"}},"
                       "\"indexes\":[{\"v\":{\"$numberInt\":\"2\"},\"key\":{\"_id\":{"
                       "\"$numberInt\":\"1\"}},\"name\":\"_id_\"}],"
                       "\"uuid\":\"000102030405060708090a0b0c0d0e0f\",\"collectionName\":\"c\","
                       "\"type\":\"collection\"}");
   bson_free(json);
   /* no options, no indexes (a view), no type ($admin entries), no usable UUID */
   json = mb_plan_metadata_json(NULL, NULL, NULL, "v", NULL);
   assert_string_equal(json, "{\"indexes\":[],\"collectionName\":\"v\"}");
   bson_free(json);
   json = mb_plan_metadata_json(&empty, &empty, &old_uuid, "v", "");
   assert_string_equal(json, "{\"indexes\":[],\"collectionName\":\"v\"}");
   bson_free(json);
   json = mb_plan_metadata_json(NULL, NULL, &short_uuid, "v", "view");
   assert_string_equal(json, "{\"indexes\":[],\"collectionName\":\"v\",\"type\":\"view\"}");
   bson_free(json);
   json = mb_plan_metadata_json(NULL, NULL, &text_uuid, "v", NULL);
   assert_string_equal(json, "{\"indexes\":[],\"collectionName\":\"v\"}");
   bson_free(json);
   /* spaces and quotes inside names are kept */
   json = mb_plan_metadata_json(NULL, NULL, NULL, "a b \"c\" : d", NULL);
   assert_string_equal(json, "{\"indexes\":[],\"collectionName\":\"a b \\\"c\\\" : d\"}");
   bson_free(json);
   bson_destroy(options);
   bson_destroy(indexes);
}

static void test_compact_json(void **state)
{
   static const char *const cases[][2] = {
       {"", ""},
       {"{ \"a\" : 1 }", "{\"a\":1}"},
       {"\t{\n\"a\"\r:\t[ 1, 2 ] }\n", "{\"a\":[1,2]}"},
       {"{ \"a b\" : \"c  d\" }", "{\"a b\":\"c  d\"}"},
       {"{ \"a\\\" b\" : \" x \" }", "{\"a\\\" b\":\" x \"}"},
       {"{ \"a\\\\\" : \" x \" }", "{\"a\\\\\":\" x \"}"},
       {"{ \"\\\\\\\" \" : 1 }", "{\"\\\\\\\" \":1}"},
   };
   (void) state;

   for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
      char buf[64];
      snprintf(buf, sizeof buf, "%s", cases[i][0]);
      mb_plan_compact_json(buf);
      assert_string_equal(buf, cases[i][1]);
   }
}

int main(void)
{
   const struct CMUnitTest tests[] = {
       cmocka_unit_test(test_selected),      cmocka_unit_test(test_enumerable),
       cmocka_unit_test(test_order),         cmocka_unit_test(test_splittable),
       cmocka_unit_test(test_metadata_json), cmocka_unit_test(test_compact_json),
   };
   return cmocka_run_group_tests(tests, NULL, NULL);
}
