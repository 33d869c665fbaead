/* Restore's namespace map: --ns-include/--ns-exclude selection and --ns-from/--ns-to renames in
 * mongorestore's two pattern forms ('*' wildcards and named $VAR$ placeholders), with escapes,
 * dots inside names, the last-pair-wins rule and the exact usage errors. */
#include "restore/nsmap.h"

#include "testutil.h"

#define MAX_LIST 4
#define NO_INC "not matched by --ns-include"
#define EXCL "excluded by --ns-exclude"

typedef struct {
   const char *inc[MAX_LIST], *exc[MAX_LIST]; /* NULL-terminated */
   const char *ns;
   const char *why; /* NULL: selected */
} select_case_t;

static int list_len(const char *const *v)
{
   int n = 0;
   while (n < MAX_LIST && v[n]) {
      n++;
   }
   return n;
}

static void test_selection(void **state)
{
   static const select_case_t cases[] = {
       {{NULL}, {NULL}, "db.c", NULL},
       {{NULL}, {NULL}, "a.b.c", NULL},
       {{"db.*"}, {NULL}, "db.c", NULL},
       {{"db.*"}, {NULL}, "db.a.b", NULL},
       {{"db.*"}, {NULL}, "other.c", NO_INC},
       {{"db.*"}, {NULL}, "db2.c", NO_INC},
       {{"a.*", "b.*"}, {NULL}, "b.x", NULL},
       {{"a.*", "b.*"}, {NULL}, "c.x", NO_INC},
       {{NULL}, {"db.secret"}, "db.secret", EXCL},
       {{NULL}, {"db.secret"}, "db.secrets", NULL},
       {{NULL}, {"x.*", "db.secret"}, "db.secret", EXCL},
       /* the include is judged first, then every exclude */
       {{"db.*"}, {"db.s*"}, "db.sx", EXCL},
       {{"db.*"}, {"db.s*"}, "db.x", NULL},
       {{"db.*"}, {"db.s*"}, "o.sx", NO_INC},
       {{"db.c"}, {"db.c"}, "db.c", EXCL},
       /* an escaped '*' is a literal star */
       {{"db.a\\*"}, {NULL}, "db.a*", NULL},
       {{"db.a\\*"}, {NULL}, "db.ab", NO_INC},
       /* a dot in a database name is only a character */
       {{"a.b.*"}, {NULL}, "a.b.c", NULL},
       {{"a.b.*"}, {NULL}, "a.bc", NO_INC},
       {{"*.system.js"}, {NULL}, "shop.system.js", NULL},
   };
   (void) state;

   for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
      const select_case_t *c = &cases[i];
      mb_rnsmap_t *m = NULL;
      mb_error_t err;
      const char *why = NULL;
      bool sel;
      assert_true(mb_rnsmap_new(c->inc, list_len(c->inc), c->exc, list_len(c->exc), NULL, NULL, 0,
                                &m, &err));
      sel = mb_rnsmap_selected(m, c->ns, &why);
      if (sel != (c->why == NULL)) {
         fail_msg("case %zu (%s): selected %d, want %d", i, c->ns, sel, c->why == NULL);
      }
      if (c->why) {
         assert_string_equal(why, c->why);
      }
      /* no rename rule: the archive's own names */
      assert_null(mb_rnsmap_rename(m, c->ns));
      mb_rnsmap_destroy(m);
   }
}

typedef struct {
   const char *from[MAX_LIST], *to[MAX_LIST]; /* pairs in command-line order, NULL-terminated */
   const char *ns;
   const char *want; /* NULL: no rule matches */
} rename_case_t;

static void test_renames(void **state)
{
   static const rename_case_t cases[] = {
       /* literal pairs match the whole namespace only */
       {{"a.b"}, {"c.d"}, "a.b", "c.d"},
       {{"a.b"}, {"c.d"}, "a.bc", NULL},
       {{"a.b"}, {"c.d"}, "xa.b", NULL},
       /* '*' matches any run, dots and nothing included */
       {{"db.*"}, {"new.*"}, "db.c", "new.c"},
       {{"db.*"}, {"new.*"}, "db.a.b", "new.a.b"},
       {{"db.*"}, {"new.*"}, "db.", "new."},
       {{"db.*"}, {"new.*"}, "db2.c", NULL},
       {{"*.c"}, {"*.d"}, "a.b.c", "a.b.d"},
       {{"*.c"}, {"*.d"}, "a.b.cc", NULL},
       /* several '*' are matched in order, each as short as possible */
       {{"*.*"}, {"*_copy.*"}, "a.b.c", "a_copy.b.c"},
       {{"*.x.*"}, {"*.*"}, "a.x.x.b", "a.x.b"},
       {{"p*q.*"}, {"r*.*"}, "pabq.c", "rab.c"},
       /* named variables, reordered and reused in 'to' */
       {{"$db$.$coll$"}, {"$coll$.$db$"}, "shop.orders", "orders.shop"},
       {{"$db$.$coll$"}, {"$coll$.$db$"}, "a.b.c", "b.c.a"},
       {{"$x$.c"}, {"$x$.$x$"}, "a.c", "a.a"},
       {{"$x$.c"}, {"lit.c"}, "anything.c", "lit.c"},
       {{"$a$.$b$"}, {"$b$"}, "nodot", NULL},
       /* escapes: "\*" is a literal star, "\\" a backslash; any other backslash is dropped */
       {{"a.\\*"}, {"b.\\*"}, "a.*", "b.*"},
       {{"a.\\*"}, {"b.\\*"}, "a.x", NULL},
       {{"a\\\\*"}, {"b*"}, "a\\x", "bx"},
       {{"a\\.b"}, {"c.d"}, "a.b", "c.d"},
       {{"*"}, {"x\\y.*"}, "q", "xy.q"},
       /* variables take whole UTF-8 characters */
       {{"d.*"}, {"e.*"}, "d.\xe6\x97\xa5\xe6\x9c\xac", "e.\xe6\x97\xa5\xe6\x9c\xac"},
       {{"*\xc3\xa9.c"}, {"*.c"}, "\xc3\xa9\xc3\xa9.c", "\xc3\xa9.c"},
       /* the last pair given wins */
       {{"a.*", "a.b"}, {"x.*", "y.z"}, "a.b", "y.z"},
       {{"a.*", "a.b"}, {"x.*", "y.z"}, "a.c", "x.c"},
       {{"a.b", "a.*"}, {"y.z", "x.*"}, "a.b", "x.b"},
       {{"a.b", "c.*"}, {"y.z", "x.*"}, "a.b", "y.z"},
   };
   (void) state;

   for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
      const rename_case_t *c = &cases[i];
      mb_rnsmap_t *m = NULL;
      mb_error_t err;
      const char *why = NULL;
      char *got;
      if (!mb_rnsmap_new(NULL, 0, NULL, 0, c->from, c->to, list_len(c->from), &m, &err)) {
         fail_msg("case %zu: %s", i, err.message);
      }
      got = mb_rnsmap_rename(m, c->ns);
      if (c->want == NULL ? got != NULL : got == NULL || strcmp(got, c->want) != 0) {
         fail_msg("case %zu: '%s' renamed to '%s', want '%s'", i, c->ns, got ? got : "(none)",
                  c->want ? c->want : "(none)");
      }
      /* renames do not select */
      assert_true(mb_rnsmap_selected(m, c->ns, &why));
      bson_free(got);
      mb_rnsmap_destroy(m);
   }
}

typedef struct {
   const char *from[MAX_LIST], *to[MAX_LIST];
   const char *msg;
} bad_case_t;

static void test_bad_renames(void **state)
{
   static const bad_case_t cases[] = {
       {{"a.$x"}, {"b.$x$"}, "bad rename --ns-from 'a.$x' --ns-to 'b.$x$': odd number of '$'"},
       {{"$x$.c"}, {"$x"}, "bad rename --ns-from '$x$.c' --ns-to '$x': odd number of '$'"},
       {{"$x$.$x$"},
        {"$x$"},
        "bad rename --ns-from '$x$.$x$' --ns-to '$x$': a variable is used more than once in "
        "--ns-from"},
       {{"$x$.c"},
        {"$y$.c"},
        "bad rename --ns-from '$x$.c' --ns-to '$y$.c': --ns-to uses a variable that --ns-from "
        "does not define"},
       {{"a.*"}, {"b.c"}, "bad rename --ns-from 'a.*' --ns-to 'b.c': different numbers of '*'"},
       {{"a.b"}, {"*.c"}, "bad rename --ns-from 'a.b' --ns-to '*.c': different numbers of '*'"},
       {{"a.\\*"}, {"b.*"}, "bad rename --ns-from 'a.\\*' --ns-to 'b.*': different numbers of '*'"},
       {{"a.b"}, {"a.$"}, "bad rename --ns-from 'a.b' --ns-to 'a.$': extraneous '$'"},
       /* a '$' in 'to' of the '*' form is still read as a variable */
       {{"a.*"},
        {"$v$.*"},
        "bad rename --ns-from 'a.*' --ns-to '$v$.*': --ns-to uses a variable that --ns-from "
        "does not define"},
       /* a bad pair anywhere fails the whole map */
       {{"a.*", "b.*", "c.*"},
        {"x.*", "y", "z.*"},
        "bad rename --ns-from 'b.*' --ns-to 'y': different numbers of '*'"},
   };
   (void) state;

   for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
      mb_rnsmap_t *m = NULL;
      mb_error_t err;
      memset(&err, 0, sizeof err);
      if (mb_rnsmap_new(NULL, 0, NULL, 0, cases[i].from, cases[i].to, list_len(cases[i].from), &m,
                        &err)) {
         fail_msg("case %zu: accepted", i);
      }
      assert_null(m);
      assert_error(&err, MB_EXIT_USAGE, cases[i].msg);
   }
}

/* At most 32 variables in one pattern. */
static void test_too_many_variables(void **state)
{
   char from[512], to[16];
   const char *froms[1] = {from}, *tos[1] = {to};
   size_t o = 0;
   mb_rnsmap_t *m = NULL;
   mb_error_t err;
   (void) state;

   for (int i = 0; i < 32; i++) {
      o += (size_t) snprintf(from + o, sizeof from - o, "$v%d$", i);
   }
   snprintf(to, sizeof to, "$v31$");
   assert_true(mb_rnsmap_new(NULL, 0, NULL, 0, froms, tos, 1, &m, &err));
   mb_rnsmap_destroy(m);
   m = NULL;
   snprintf(from + o, sizeof from - o, "$v32$");
   assert_false(mb_rnsmap_new(NULL, 0, NULL, 0, froms, tos, 1, &m, &err));
   assert_error_has(&err, MB_EXIT_USAGE, ": too many variables");
}

/* The option arrays are borrowed for the call only. */
static void test_options_copied(void **state)
{
   char inc[] = "db.*", exc[] = "db.x", from[] = "db.*", to[] = "n.*";
   const char *incs[] = {inc}, *excs[] = {exc}, *froms[] = {from}, *tos[] = {to};
   mb_rnsmap_t *m = NULL;
   mb_error_t err;
   const char *why = NULL;
   char *got;
   (void) state;

   assert_true(mb_rnsmap_new(incs, 1, excs, 1, froms, tos, 1, &m, &err));
   memset(inc, 'z', sizeof inc - 1);
   memset(exc, 'z', sizeof exc - 1);
   memset(from, 'z', sizeof from - 1);
   memset(to, 'z', sizeof to - 1);
   assert_true(mb_rnsmap_selected(m, "db.c", &why));
   assert_false(mb_rnsmap_selected(m, "db.x", &why));
   assert_string_equal(why, "excluded by --ns-exclude");
   got = mb_rnsmap_rename(m, "db.c");
   assert_string_equal(got, "n.c");
   bson_free(got);
   mb_rnsmap_destroy(m);
   mb_rnsmap_destroy(NULL);
}

int main(void)
{
   const struct CMUnitTest tests[] = {
       cmocka_unit_test(test_selection),      cmocka_unit_test(test_renames),
       cmocka_unit_test(test_bad_renames),    cmocka_unit_test(test_too_many_variables),
       cmocka_unit_test(test_options_copied),
   };
   return cmocka_run_group_tests(tests, NULL, NULL);
}
