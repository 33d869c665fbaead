/* Notification settings: defaults, every validation message exactly, secrets registered. */
#include "common/log.h"
#include "notify/notify.h"

#include "testutil.h"

#include <unistd.h>

static void load_ok(const char **kv, mb_notify_config_t *c)
{
   mb_error_t err;

   if (!mb_notify_config_load(c, kv_lookup, kv, &err)) {
      fail_msg("load failed: %s", err.message);
   }
}

static void load_fails(const char **kv, const char *want)
{
   mb_notify_config_t c;
   mb_error_t err;

   assert_false(mb_notify_config_load(&c, kv_lookup, kv, &err));
   assert_error(&err, MB_EXIT_USAGE, want);
   mb_notify_config_clear(&c);
}

#define EMAIL_OK "ENABLE_EMAIL_NOTIFICATIONS", "true", "SMTP_HOST", "mail.example.com"

static void test_defaults(void **state)
{
   const char *kv[] = {NULL};
   mb_notify_config_t c;
   char buf[256];
   (void) state;

   load_ok(kv, &c);
   assert_false(mb_notify_any_enabled(&c));
   assert_int_equal(c.connect_timeout_ms, 10000);
   assert_int_equal(c.timeout_ms, 60000);
   assert_int_equal(c.retries, 3);
   mb_notify_config_summary(&c, buf, sizeof buf);
   assert_string_equal(buf, "none");
   mb_notify_config_clear(&c);
   mb_notify_config_clear(NULL);
}

static void test_full_email(void **state)
{
   const char *kv[] = {EMAIL_OK,
                       "SMTP_SECURE",
                       "TRUE",
                       "SMTP_USER",
                       "backup@example.com",
                       "SMTP_PASS",
                       "pa55-w0rd-xyz",
                       "NOTIFICATION_EMAILS",
                       " ops@example.com, Team <team@example.org> ,,",
                       "ENABLE_DISCORD_NOTIFICATIONS",
                       "yes",
                       "DISCORD_WEBHOOK_URL",
                       "https://discord.com/api/webhooks/123/T0kenT0ken",
                       "WEBHOOK_URL",
                       "https://hooks.example.com/services/T000/B000/abcdefghijklmnopqrstuvwx",
                       "HEALTHCHECK_URL",
                       "https://hc-ping.com/0c4d1a35-8f4a-4a7e-9d7c-2a3b4c5d6e7f",
                       "NOTIFY_TIMEOUT",
                       "2.5",
                       "NOTIFY_RETRIES",
                       "0",
                       "EMAIL_SUBJECT",
                       "{{status}} on {{host}}",
                       NULL};
   mb_notify_config_t c;
   char buf[512];
   (void) state;

   load_ok(kv, &c);
   assert_true(c.email && c.smtp_secure && !c.smtp_allow_insecure);
   assert_int_equal(c.smtp_port, 465);
   assert_string_equal(c.smtp_from, "backup@example.com");
   assert_int_equal(c.nemails, 2);
   assert_string_equal(c.emails[0], "ops@example.com");
   assert_string_equal(c.emails[1], "team@example.org");
   assert_string_equal(c.subject_template, "{{status}} on {{host}}");
   assert_int_equal(c.timeout_ms, 2500);
   assert_int_equal(c.retries, 0);
   for (int i = 0; i < MB_NOTIFY_NCHANNELS; i++) {
      assert_true(mb_notify_enabled(&c, (mb_notify_channel_t) i));
   }
   mb_notify_config_summary(&c, buf, sizeof buf);
   assert_string_equal(buf, "email to 2 recipients via mail.example.com:465 (implicit TLS), "
                            "discord, webhook https://hooks.example.com/***, "
                            "healthcheck https://hc-ping.com/***");
   /* the secrets are registered for masking */
   snprintf(buf, sizeof buf,
            "pw pa55-w0rd-xyz token T0kenT0ken slack abcdefghijklmnopqrstuvwx "
            "hc 0c4d1a35-8f4a-4a7e-9d7c-2a3b4c5d6e7f services");
   mb_log_mask_secrets(buf, sizeof buf);
   assert_string_equal(buf, "pw *** token *** slack *** hc *** services");
   mb_notify_config_clear(&c);
}

static void test_starttls_summary(void **state)
{
   const char *kv[] = {EMAIL_OK,
                       "SMTP_FROM",
                       "Backups <b@example.com>",
                       "NOTIFICATION_EMAILS",
                       "a@example.com",
                       "SMTP_USER",
                       "u",
                       "SMTP_PASS",
                       "p4ssw0rd-long",
                       NULL};
   const char *kv2[] = {EMAIL_OK,        "SMTP_FROM", "b@example.com", "NOTIFICATION_EMAILS",
                        "a@example.com", NULL};
   mb_notify_config_t c;
   char buf[256];
   (void) state;

   load_ok(kv, &c);
   assert_int_equal(c.smtp_port, 587);
   mb_notify_config_summary(&c, buf, sizeof buf);
   assert_string_equal(buf, "email to 1 recipient via mail.example.com:587 (STARTTLS required)");
   mb_notify_config_clear(&c);
   load_ok(kv2, &c);
   mb_notify_config_summary(&c, buf, sizeof buf);
   assert_string_equal(buf,
                       "email to 1 recipient via mail.example.com:587 (STARTTLS when offered)");
   mb_notify_config_clear(&c);
}

static void test_email_problems(void **state)
{
   (void) state;
   load_fails(
       (const char *[]){"ENABLE_EMAIL_NOTIFICATIONS", "true", "SMTP_FROM", "b@example.com", NULL},
       "SMTP_HOST is required when ENABLE_EMAIL_NOTIFICATIONS=true; NOTIFICATION_EMAILS "
       "(comma-separated addresses) is required when ENABLE_EMAIL_NOTIFICATIONS=true");
   load_fails((const char *[]){EMAIL_OK, "NOTIFICATION_EMAILS", "ops@example.com, nobody",
                               "SMTP_FROM", "b@example.com", NULL},
              "NOTIFICATION_EMAILS: 'nobody' is not an email address");
   load_fails(
       (const char *[]){EMAIL_OK, "NOTIFICATION_EMAILS", " , ", "SMTP_FROM", "b@example.com", NULL},
       "NOTIFICATION_EMAILS holds no address");
   load_fails((const char *[]){EMAIL_OK, "NOTIFICATION_EMAILS", "a@example.com", "SMTP_USER",
                               "b@example.com", NULL},
              "SMTP_PASS (or SMTP_PASS_FILE) is required when SMTP_USER is set");
   load_fails((const char *[]){EMAIL_OK, "NOTIFICATION_EMAILS", "a@example.com", "SMTP_PASS",
                               "xpassword-long", "SMTP_FROM", "b@example.com", NULL},
              "SMTP_USER is required when SMTP_PASS is set");
   load_fails((const char *[]){EMAIL_OK, "NOTIFICATION_EMAILS", "a@example.com", "SMTP_USER",
                               "apikey", "SMTP_PASS", "xpassword-long", NULL},
              "SMTP_FROM (the sender address) is required when SMTP_USER is not an email "
              "address");
   load_fails((const char *[]){EMAIL_OK, "NOTIFICATION_EMAILS", "a@example.com", "SMTP_FROM",
                               "Backups <nope>", NULL},
              "SMTP_FROM: 'Backups <nope>' is not an email address");
   load_fails((const char *[]){EMAIL_OK, "NOTIFICATION_EMAILS", "a@example.com", "SMTP_FROM",
                               "b@example.com", "SMTP_CA_FILE", "/nonexistent/ca.pem", NULL},
              "SMTP_CA_FILE: cannot read '/nonexistent/ca.pem': No such file or directory");
}

static void test_value_problems(void **state)
{
   (void) state;
   load_fails((const char *[]){"ENABLE_EMAIL_NOTIFICATIONS", "maybe", NULL},
              "ENABLE_EMAIL_NOTIFICATIONS must be true or false, not 'maybe'");
   load_fails((const char *[]){"SMTP_PORT", "70000", NULL},
              "SMTP_PORT must be a port number from 1 to 65535, not '70000'");
   load_fails((const char *[]){"SMTP_PORT", "25x", NULL},
              "SMTP_PORT must be a port number from 1 to 65535, not '25x'");
   load_fails((const char *[]){"NOTIFY_TIMEOUT", "0", NULL},
              "NOTIFY_TIMEOUT must be a number of seconds from 0.1 to 3600, not '0'");
   load_fails((const char *[]){"NOTIFY_CONNECT_TIMEOUT", "soon", NULL},
              "NOTIFY_CONNECT_TIMEOUT must be a number of seconds from 0.1 to 300, not 'soon'");
   load_fails((const char *[]){"NOTIFY_RETRIES", "11", NULL},
              "NOTIFY_RETRIES must be a whole number from 0 to 10, not '11'");
   load_fails((const char *[]){"ENABLE_DISCORD_NOTIFICATIONS", "true", NULL},
              "DISCORD_WEBHOOK_URL is required when ENABLE_DISCORD_NOTIFICATIONS=true");
   /* the value of a URL is never shown: it holds a token */
   load_fails((const char *[]){"ENABLE_DISCORD_NOTIFICATIONS", "true", "DISCORD_WEBHOOK_URL",
                               "discord.com/api/webhooks/1/s3cr3tdiscordtoken", NULL},
              "DISCORD_WEBHOOK_URL must be an http:// or https:// URL without blanks");
   load_fails((const char *[]){"WEBHOOK_URL", "ftp://x/y", "HEALTHCHECK_URL", "http://a b", NULL},
              "WEBHOOK_URL must be an http:// or https:// URL without blanks; HEALTHCHECK_URL "
              "must be an http:// or https:// URL without blanks");
}

/* NOTIFY_ON=failure: a success reaches only the healthcheck; a failure and a test every channel */
static void test_notify_on_failure(void **state)
{
   const char *kv[] = {"WEBHOOK_URL", "http://127.0.0.1:1/hook", "NOTIFY_ON",
                       "failure",     "NOTIFY_RETRIES",          "0",
                       NULL};
   mb_notify_config_t c;
   mb_notify_result_t res;
   mb_report_t *r = NULL;
   (void) state;

   load_fails((const char *[]){"NOTIFY_ON", "sometimes", NULL},
              "NOTIFY_ON must be always or failure, not 'sometimes'");
   load_ok((const char *[]){"NOTIFY_ON", "always", NULL}, &c);
   assert_false(c.failures_only);
   mb_notify_config_clear(&c);
   load_ok(kv, &c);
   assert_true(c.failures_only);
   mb_log_configure(MB_LOG_ERROR, false);
   mb_report_sample(false, "UTC", &r);
   r->test = false;
   mb_notify_send(&c, r, &res);
   assert_int_equal(res.enabled, 0); /* the webhook is not tried */
   mb_report_destroy(r);
   mb_report_sample(true, "UTC", &r);
   r->test = false;
   mb_notify_send(&c, r, &res);
   assert_int_equal(res.enabled, 1); /* tried (and refused: nothing listens there) */
   mb_report_destroy(r);
   mb_notify_config_clear(&c);
}

static void test_templates(void **state)
{
   char dir[64], good[96], bad[96], msg[512];
   mb_notify_config_t c;
   (void) state;

   assert_true(tmpdir_make(dir, sizeof dir, "notify"));
   snprintf(good, sizeof good, "%s/good.txt", dir);
   snprintf(bad, sizeof bad, "%s/bad.html", dir);
   file_put_text(good, "{{title}}\n{{#namespaces}}{{namespace}} {{documents}}\n{{/namespaces}}");
   file_put_text(bad, "<p>\n{{titel}}</p>");
   load_ok((const char *[]){EMAIL_OK, "NOTIFICATION_EMAILS", "a@example.com", "SMTP_FROM",
                            "b@example.com", "EMAIL_TEMPLATE_TEXT", good, NULL},
           &c);
   assert_string_equal(c.text_template,
                       "{{title}}\n{{#namespaces}}{{namespace}} {{documents}}\n{{/namespaces}}");
   assert_null(c.html_template);
   mb_notify_config_clear(&c);
   snprintf(msg, sizeof msg, "EMAIL_TEMPLATE_HTML '%s': line 2: unknown placeholder {{titel}}",
            bad);
   load_fails((const char *[]){EMAIL_OK, "NOTIFICATION_EMAILS", "a@example.com", "SMTP_FROM",
                               "b@example.com", "EMAIL_TEMPLATE_HTML", bad, NULL},
              msg);
   unlink(good);
   snprintf(msg, sizeof msg,
            "EMAIL_TEMPLATE_TEXT: cannot read '%s/none': No such file or directory", dir);
   snprintf(good, sizeof good, "%s/none", dir);
   load_fails((const char *[]){EMAIL_OK, "NOTIFICATION_EMAILS", "a@example.com", "SMTP_FROM",
                               "b@example.com", "EMAIL_TEMPLATE_TEXT", good, NULL},
              msg);
   load_fails((const char *[]){EMAIL_OK, "NOTIFICATION_EMAILS", "a@example.com", "SMTP_FROM",
                               "b@example.com", "EMAIL_SUBJECT", "{{#success}}ok", NULL},
              "EMAIL_SUBJECT: line 1: {{#success}} is never closed");
   assert_int_equal(tmpdir_remove(dir), 0);
}

int main(void)
{
   const struct CMUnitTest tests[] = {
       cmocka_unit_test(test_defaults),          cmocka_unit_test(test_full_email),
       cmocka_unit_test(test_starttls_summary),  cmocka_unit_test(test_email_problems),
       cmocka_unit_test(test_value_problems),    cmocka_unit_test(test_templates),
       cmocka_unit_test(test_notify_on_failure),
   };
   return cmocka_run_group_tests(tests, NULL, NULL);
}
