/* The configuration table: every default valid for its type, typed getters (empty = unset),
 * exact messages, nearest names for unknown keys. */
#include "common/confvars.h"

#include "testutil.h"

static void test_table(void **state)
{
   mb_error_t err;

   (void) state;
   for (const mb_confvar_t *v = mb_confvars; v->name; v++) {
      long n;
      bool b;
      assert_non_null(v->help);
      assert_non_null(v->since);
      assert_ptr_equal(mb_confvar_find(v->name), v);
      if (v->type == MB_CONFVAR_INT) {
         assert_true(mb_confvar_int(NULL, NULL, v->name, &n, &err));
      } else if (v->type == MB_CONFVAR_BOOL) {
         assert_true(mb_confvar_bool(NULL, NULL, v->name, &b, &err));
      } else if (v->type == MB_CONFVAR_SECONDS) {
         assert_true(mb_confvar_ms(NULL, NULL, v->name, &n, &err));
      }
   }
   assert_null(mb_confvar_find("NO_SUCH"));
}

static void test_typed(void **state)
{
   const char *kv[] = {"MAX_BACKUPS", "",   "BACKUP_JOBS", "100", "NOTIFY_TIMEOUT", "2.5",
                       "SMTP_SECURE", "On", "SMTP_PORT",   "x",   "SMTP_HOST",      "",
                       NULL};
   mb_error_t err;
   long n;
   bool b;

   (void) state;
   assert_true(mb_confvar_int(kv_lookup, kv, "MAX_BACKUPS", &n, &err)); /* empty: the default */
   assert_int_equal(n, 7);
   assert_false(mb_confvar_int(kv_lookup, kv, "BACKUP_JOBS", &n, &err));
   assert_string_equal(err.message, "BACKUP_JOBS must be a whole number from 1 to 64, not '100'");
   assert_int_equal(n, 4);
   assert_true(mb_confvar_ms(kv_lookup, kv, "NOTIFY_TIMEOUT", &n, &err));
   assert_int_equal(n, 2500);
   assert_true(mb_confvar_ms(kv_lookup, kv, "NOTIFY_CONNECT_TIMEOUT", &n, &err));
   assert_int_equal(n, 10000);
   assert_true(mb_confvar_bool(kv_lookup, kv, "SMTP_SECURE", &b, &err));
   assert_true(b);
   assert_false(mb_confvar_int(kv_lookup, kv, "SMTP_PORT", &n, &err));
   assert_string_equal(err.message, "SMTP_PORT must be a port number from 1 to 65535, not 'x'");
   assert_null(mb_confvar_str(kv_lookup, kv, "SMTP_HOST"));
   assert_string_equal(mb_confvar_str(kv_lookup, kv, "TIMEZONE"), "UTC");
}

static void test_nearest(void **state)
{
   char form[128];

   (void) state;
   assert_string_equal(mb_confvar_nearest("MAX_BACKUP"), "MAX_BACKUPS");
   assert_string_equal(mb_confvar_nearest("TIME_ZONE"), "TIMEZONE");
   assert_string_equal(mb_confvar_nearest("SMTP_PASSWORD"), "SMTP_PASS");
   assert_string_equal(mb_confvar_nearest("NOTIFY_RETRY"), "NOTIFY_RETRIES");
   assert_null(mb_confvar_nearest("PATH"));
   assert_null(mb_confvar_nearest("COMPOSE_PROJECT_NAME"));
   mb_confvar_form(mb_confvar_find("COMPRESSION"), form, sizeof form);
   assert_string_equal(form, "none, gzip or zstd");
   mb_confvar_form(mb_confvar_find("NOTIFY_TIMEOUT"), form, sizeof form);
   assert_string_equal(form, "a number of seconds from 0.1 to 3600");
}

int main(void)
{
   const struct CMUnitTest tests[] = {
       cmocka_unit_test(test_table),
       cmocka_unit_test(test_typed),
       cmocka_unit_test(test_nearest),
   };
   return cmocka_run_group_tests(tests, NULL, NULL);
}
