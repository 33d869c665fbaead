/* Templating of the email bodies: values, escaping, sections, standalone lines, exact errors. */
#include "notify/template.h"

#include "testutil.h"

static mb_tpl_vars_t *sample_vars(void)
{
   mb_tpl_vars_t *v, *item;

   mb_tpl_vars_new(&v);
   mb_tpl_vars_set(v, "host", "db1");
   mb_tpl_vars_set(v, "html", "<b>a & \"b\"</b>");
   mb_tpl_vars_set(v, "yes", "true");
   mb_tpl_vars_set(v, "no", "");
   mb_tpl_vars_setf(v, "n", "%d items", 2);
   item = mb_tpl_vars_add_item(v, "list");
   mb_tpl_vars_set(item, "name", "a.b");
   item = mb_tpl_vars_add_item(v, "list");
   mb_tpl_vars_set(item, "name", "c.d");
   mb_tpl_vars_set(item, "host", "inner");
   mb_tpl_vars_list(v, "empty");
   return v;
}

/* Render and compare; the result must be exactly want. */
static void check(const char *tpl, bool html, const char *want)
{
   mb_tpl_vars_t *v = sample_vars();
   mb_error_t err;
   mb_buf_t b;

   mb_buf_init(&b, 1 << 20);
   if (!mb_tpl_render(tpl, v, html, true, &b, &err)) {
      fail_msg("render of '%s' failed: %s", tpl, err.message);
   }
   assert_true(mb_buf_append(&b, "", 1, NULL));
   assert_string_equal((const char *) b.data, want);
   mb_buf_destroy(&b);
   mb_tpl_vars_destroy(v);
}

static void check_error(const char *tpl, bool strict, const char *want)
{
   mb_tpl_vars_t *v = sample_vars();
   mb_error_t err;
   mb_buf_t b;

   mb_buf_init(&b, 1 << 20);
   assert_false(mb_tpl_render(tpl, v, false, strict, &b, &err));
   assert_error(&err, MB_EXIT_USAGE, want);
   mb_buf_destroy(&b);
   mb_tpl_vars_destroy(v);
}

static void test_values(void **state)
{
   (void) state;
   check("", false, "");
   check("no tags", false, "no tags");
   check("host {{host}}!", false, "host db1!");
   check("{{ host }}|{{n}}", false, "db1|2 items");
   check("{{html}}", false, "<b>a & \"b\"</b>");
   check("{{html}}", true, "&lt;b&gt;a &amp; &quot;b&quot;&lt;/b&gt;");
   check("{{{html}}}", true, "<b>a & \"b\"</b>");
   check("{{&html}}", true, "<b>a & \"b\"</b>");
   check("a {single} b } {", false, "a {single} b } {");
   check("x{{! a comment }}y", false, "xy");
}

static void test_sections(void **state)
{
   (void) state;
   check("{{#list}}[{{name}}@{{host}}]{{/list}}", false, "[a.b@db1][c.d@inner]");
   check("{{#yes}}Y{{/yes}}{{#no}}N{{/no}}", false, "Y");
   check("{{^yes}}Y{{/yes}}{{^no}}N{{/no}}", false, "N");
   check("{{#empty}}E{{/empty}}{{^empty}}none{{/empty}}", false, "none");
   check("{{#list}}{{#yes}}{{name}} {{/yes}}{{/list}}", false, "a.b c.d ");
}

static void test_standalone_lines(void **state)
{
   (void) state;
   check("a\n{{#list}}\n- {{name}}\n{{/list}}\nb\n", false, "a\n- a.b\n- c.d\nb\n");
   check("a\n  {{#no}}  \nhidden\n  {{/no}}\nb", false, "a\nb");
   check("a\r\n{{#yes}}\r\nshown\r\n{{/yes}}\r\n", false, "a\r\nshown\r\n");
   check("{{! comment }}\nline\n", false, "line\n");
   /* a variable alone on its line keeps the line */
   check("{{host}}\nx", false, "db1\nx");
   /* a section tag with text beside it is not standalone */
   check("a {{#yes}}b{{/yes}}\n", false, "a b\n");
}

static void test_errors(void **state)
{
   (void) state;
   check_error("line 1\n{{#list}}\nunclosed", true, "line 2: {{#list}} is never closed");
   check_error("{{#list}}{{/yes}}", true, "line 1: {{/yes}} does not close an open section");
   check_error("ok\n\n{{/list}}", true, "line 3: {{/list}} does not close an open section");
   check_error("a {{host", true, "line 1: a tag opened with '{{' is never closed");
   check_error("{{{host}}", true, "line 1: a tag opened with '{{{' is never closed");
   check_error("x {{ }} y", true, "line 1: empty or malformed tag '{{ }}'");
   check_error("one\ntwo {{nosuch}}", true, "line 2: unknown placeholder {{nosuch}}");
   check_error("{{#nosuch}}x{{/nosuch}}", true, "line 1: unknown placeholder {{nosuch}}");
}

static void test_lenient(void **state)
{
   mb_tpl_vars_t *v = sample_vars();
   mb_error_t err;
   mb_buf_t b;
   (void) state;

   mb_buf_init(&b, 1 << 20);
   assert_true(mb_tpl_render("[{{nosuch}}]{{#nosuch}}x{{/nosuch}}", v, false, false, &b, &err));
   assert_int_equal(b.len, 2);
   assert_memory_equal(b.data, "[]", 2);
   mb_buf_destroy(&b);
   mb_tpl_vars_destroy(v);
   assert_true(mb_tpl_check("{{#a}}{{b}}{{/a}}", &err));
   assert_false(mb_tpl_check("{{#a}}", &err));
}

static void test_ceiling(void **state)
{
   mb_tpl_vars_t *v = sample_vars();
   mb_error_t err;
   mb_buf_t b;
   (void) state;

   mb_buf_init(&b, 8);
   assert_false(mb_tpl_render("{{html}}{{html}}", v, false, true, &b, &err));
   assert_int_equal(err.code, MB_EXIT_FAILURE);
   mb_buf_destroy(&b);
   mb_tpl_vars_destroy(v);
}

int main(void)
{
   const struct CMUnitTest tests[] = {
       cmocka_unit_test(test_values),           cmocka_unit_test(test_sections),
       cmocka_unit_test(test_standalone_lines), cmocka_unit_test(test_errors),
       cmocka_unit_test(test_lenient),          cmocka_unit_test(test_ceiling),
   };
   return cmocka_run_group_tests(tests, NULL, NULL);
}
