/* The report's JSON (generic webhook), the Discord payload, URLs and the formatting helpers. */
#include "common/log.h"
#include "notify/discord.h"
#include "notify/report.h"
#include "notify/webhook.h"

#include "testutil.h"

static bson_t *parse(const char *json)
{
   bson_error_t e;
   bson_t *b = bson_new_from_json((const uint8_t *) json, -1, &e);

   if (!b) {
      fail_msg("not JSON (%s): %s", e.message, json);
   }
   return b;
}

static const char *str_at(const bson_t *b, const char *path)
{
   bson_iter_t it, f;

   assert_true(bson_iter_init(&it, b));
   if (!bson_iter_find_descendant(&it, path, &f)) {
      fail_msg("no %s", path);
   }
   if (!BSON_ITER_HOLDS_UTF8(&f)) {
      fail_msg("%s is not a string", path);
   }
   return bson_iter_utf8(&f, NULL);
}

static double num_at(const bson_t *b, const char *path)
{
   bson_iter_t it, f;

   assert_true(bson_iter_init(&it, b));
   if (!bson_iter_find_descendant(&it, path, &f) || !BSON_ITER_HOLDS_NUMBER(&f)) {
      fail_msg("no number at %s", path);
   }
   return bson_iter_as_double(&f);
}

static bool is_null_at(const bson_t *b, const char *path)
{
   bson_iter_t it, f;

   assert_true(bson_iter_init(&it, b));
   return bson_iter_find_descendant(&it, path, &f) && BSON_ITER_HOLDS_NULL(&f);
}

static void test_report_json_success(void **state)
{
   mb_report_t *r = NULL;
   char *json;
   bson_t *b;
   (void) state;

   mb_report_sample(false, "UTC", &r);
   r->started = 1704067200;
   r->finished = 1704067242;
   json = mb_report_to_json(r);
   b = parse(json);
   assert_string_equal(str_at(b, "status"), "success");
   assert_true(is_null_at(b, "stage"));
   assert_true(is_null_at(b, "error"));
   assert_string_equal(str_at(b, "started_at"), "2024-01-01T00:00:00Z");
   assert_string_equal(str_at(b, "finished_at"), "2024-01-01T00:00:42Z");
   assert_string_equal(str_at(b, "finished_local"), "2024-01-01 00:00:42 UTC");
   assert_string_equal(str_at(b, "archive.name"), "backup-2024-01-08-00-00-00.archive.zst");
   assert_true(num_at(b, "archive.size") == 52000000);
   assert_string_equal(str_at(b, "archive.compression"), "zstd");
   assert_true(num_at(b, "archive.bytes_in") == 226120000);
   assert_true(num_at(b, "documents") == 1005300);
   assert_true(num_at(b, "duration_seconds") == 41.75);
   assert_string_equal(str_at(b, "namespaces.0.db"), "shop");
   assert_string_equal(str_at(b, "namespaces.2.collection"), "events");
   assert_true(num_at(b, "namespaces.1.documents") == 5300);
   assert_true(num_at(b, "namespaces.1.seconds") == 3.25);
   /* slowest first */
   assert_string_equal(str_at(b, "slowest.0.collection"), "orders");
   assert_string_equal(str_at(b, "slowest.1.collection"), "events");
   assert_string_equal(str_at(b, "slowest.2.collection"), "customers");
   assert_true(num_at(b, "statistics.total_backups") == 7);
   assert_true(num_at(b, "statistics.failures") == 1);
   assert_true(num_at(b, "statistics.success_rate") > 97.61 &&
               num_at(b, "statistics.success_rate") < 97.62);
   assert_string_equal(str_at(b, "statistics.oldest_time"), "2024-01-01T00:00:00Z");
   assert_non_null(strstr(str_at(b, "text"), "[test] backup succeeded on "));
   assert_true(bson_has_field(b, "host"));
   bson_destroy(b);
   bson_free(json);
   mb_report_destroy(r);
}

static void test_report_json_failure_and_secrets(void **state)
{
   mb_report_t *r = NULL;
   char *json;
   bson_t *b;
   (void) state;

   mb_log_add_secret("Sup3rS3cretT0ken");
   mb_report_new(&r);
   mb_report_set_failure(r, "connect", "cannot reach mongodb://u:Sup3rS3cretT0ken@h/");
   json = mb_report_to_json(r);
   assert_null(strstr(json, "Sup3rS3cretT0ken"));
   b = parse(json);
   assert_string_equal(str_at(b, "status"), "failure");
   assert_string_equal(str_at(b, "stage"), "connect");
   assert_string_equal(str_at(b, "error"), "cannot reach mongodb://u:***@h/");
   assert_true(is_null_at(b, "archive.name"));
   assert_true(is_null_at(b, "statistics"));
   assert_true(is_null_at(b, "started_at"));
   bson_destroy(b);
   bson_free(json);
   mb_report_destroy(r);
}

static int count_fields(const bson_t *b)
{
   bson_iter_t it, f, arr;
   int n = 0;

   assert_true(bson_iter_init(&it, b));
   assert_true(bson_iter_find_descendant(&it, "embeds.0.fields", &f));
   assert_true(bson_iter_recurse(&f, &arr));
   while (bson_iter_next(&arr)) {
      n++;
   }
   return n;
}

/* The value of the embed field called name. */
static const char *field_value(const bson_t *b, const char *name)
{
   char path[64];

   for (int i = 0; i < count_fields(b); i++) {
      snprintf(path, sizeof path, "embeds.0.fields.%d.name", i);
      if (strcmp(str_at(b, path), name) == 0) {
         snprintf(path, sizeof path, "embeds.0.fields.%d.value", i);
         return str_at(b, path);
      }
   }
   fail_msg("no field %s", name);
   return NULL;
}

static void test_discord_success(void **state)
{
   mb_report_t *r = NULL;
   char *json;
   bson_t *b;
   (void) state;

   mb_report_sample(false, "Europe/Paris", &r);
   r->started = 1704067200;
   r->finished = 1704067242;
   json = mb_discord_payload(r);
   b = parse(json);
   assert_true(num_at(b, "embeds.0.color") == 0x2ECC71);
   assert_string_equal(str_at(b, "embeds.0.title"), "[test] \xe2\x9c\x85 Backup succeeded");
   assert_string_equal(str_at(b, "embeds.0.timestamp"), "2024-01-01T00:00:42Z");
   assert_string_equal(field_value(b, "Status"), "success");
   assert_string_equal(field_value(b, "Archive"), "backup-2024-01-08-00-00-00.archive.zst");
   assert_string_equal(field_value(b, "Size"), "52.0 MB (zstd, ratio 4.35)");
   assert_string_equal(field_value(b, "Documents"), "1,005,300 in 3 collections");
   assert_string_equal(field_value(b, "Duration"), "41.8 s");
   assert_string_equal(field_value(b, "Started"),
                       "2024-01-01 00:00:00 UTC\n2024-01-01 01:00:00 CET (Europe/Paris)");
   assert_string_equal(field_value(b, "Slowest collections"),
                       "shop.orders: 21.5 s (48.0 MB)\nanalytics.events: 16.0 s (176 MB)\n"
                       "shop.customers: 3.2 s (2.12 MB)");
   assert_string_equal(field_value(b, "Backups kept"), "7 (364 MB)");
   assert_string_equal(field_value(b, "Success rate"), "97.6% (41 of 42 runs)");
   /* what the email carries (as the service's messages did): the finish time, the data read,
    * the oldest backup, every statistic */
   assert_string_equal(field_value(b, "Finished"),
                       "2024-01-01 00:00:42 UTC\n2024-01-01 01:00:42 CET (Europe/Paris)");
   assert_string_equal(field_value(b, "Runs"), "41 succeeded, 1 failed");
   assert_string_equal(field_value(b, "Durations"), "last 40.5 s, average 39.0 s");
   assert_non_null(strstr(field_value(b, "Data read"), " of BSON"));
   assert_non_null(strstr(field_value(b, "Oldest backup"), "backup-"));
   assert_non_null(strstr(field_value(b, "Oldest backup"), " UTC\n"));
   assert_non_null(strstr(field_value(b, "Newest backup"), "backup-"));
   assert_string_equal(str_at(b, "embeds.0.footer.text"), "mongobak " MONGOBAK_VERSION);
   assert_true(bson_has_field(b, "allowed_mentions.parse"));
   bson_destroy(b);
   bson_free(json);
   mb_report_destroy(r);
}

static void test_discord_failure_and_limits(void **state)
{
   mb_report_t *r = NULL;
   char *json, *err = bson_malloc(5001);
   bson_t *b;
   const char *desc;
   size_t chars = 0;
   (void) state;

   memset(err, 'e', 5000);
   memcpy(err + 4090, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 8); /* UTF-8 at the cut */
   err[5000] = '\0';
   mb_report_new(&r);
   mb_report_set_failure(r, "dump", err);
   json = mb_discord_payload(r);
   b = parse(json);
   assert_true(num_at(b, "embeds.0.color") == 0xE74C3C);
   assert_string_equal(str_at(b, "embeds.0.title"), "\xe2\x9d\x8c Backup FAILED");
   assert_string_equal(field_value(b, "Stage"), "dump");
   assert_string_equal(field_value(b, "Status"), "failure");
   desc = str_at(b, "embeds.0.description");
   for (const char *p = desc; *p; p++) {
      chars += ((unsigned char) *p & 0xC0) != 0x80;
   }
   assert_int_equal(chars, 4096);
   assert_string_equal(desc + strlen(desc) - 3, "\xe2\x80\xa6");
   assert_true(bson_utf8_validate(desc, strlen(desc), false));
   bson_destroy(b);
   bson_free(json);
   bson_free(err);
   mb_report_destroy(r);
}

static void test_urls(void **state)
{
   char buf[256], *u;
   (void) state;

   u = mb_healthcheck_url("https://hc-ping.com/abc", "start");
   assert_string_equal(u, "https://hc-ping.com/abc/start");
   bson_free(u);
   u = mb_healthcheck_url("https://hc-ping.com/abc/", "fail");
   assert_string_equal(u, "https://hc-ping.com/abc/fail");
   bson_free(u);
   u = mb_healthcheck_url("https://hc-ping.com/abc", "success");
   assert_string_equal(u, "https://hc-ping.com/abc");
   bson_free(u);
   u = mb_healthcheck_url("http://h/ping/x?rid=1", "fail");
   assert_string_equal(u, "http://h/ping/x/fail?rid=1");
   bson_free(u);
   assert_null(mb_healthcheck_url("http://h/x", "bogus"));
   mb_http_redact_url("https://discord.com/api/webhooks/1/tok", buf, sizeof buf);
   assert_string_equal(buf, "https://discord.com/***");
   mb_http_redact_url("http://user:pw@127.0.0.1:8080/x?y", buf, sizeof buf);
   assert_string_equal(buf, "http://127.0.0.1:8080/***");
   mb_http_redact_url("http://h:1", buf, sizeof buf);
   assert_string_equal(buf, "http://h:1");
}

static void test_formatting(void **state)
{
   char buf[64];
   (void) state;

   mb_report_format_bytes(0, buf, sizeof buf);
   assert_string_equal(buf, "0 B");
   mb_report_format_bytes(999, buf, sizeof buf);
   assert_string_equal(buf, "999 B");
   mb_report_format_bytes(1500, buf, sizeof buf);
   assert_string_equal(buf, "1.50 kB");
   mb_report_format_bytes(52000000, buf, sizeof buf);
   assert_string_equal(buf, "52.0 MB");
   mb_report_format_bytes(176000000, buf, sizeof buf);
   assert_string_equal(buf, "176 MB");
   mb_report_format_duration(0.25, buf, sizeof buf);
   assert_string_equal(buf, "250 ms");
   mb_report_format_duration(12.34, buf, sizeof buf);
   assert_string_equal(buf, "12.3 s");
   mb_report_format_duration(245, buf, sizeof buf);
   assert_string_equal(buf, "4 min 05 s");
   mb_report_format_duration(7380, buf, sizeof buf);
   assert_string_equal(buf, "2 h 03 min");
   mb_report_format_count(0, buf, sizeof buf);
   assert_string_equal(buf, "0");
   mb_report_format_count(999, buf, sizeof buf);
   assert_string_equal(buf, "999");
   mb_report_format_count(1234567, buf, sizeof buf);
   assert_string_equal(buf, "1,234,567");
   mb_report_format_local(1719835200, "America/New_York", buf, sizeof buf);
   assert_string_equal(buf, "2024-07-01 08:00:00 EDT (America/New_York)");
   mb_report_format_local(1719835200, "No/Such_Zone", buf, sizeof buf);
   assert_string_equal(buf, "2024-07-01 12:00:00 UTC");
   mb_report_format_local(1719835200, "../../etc/passwd", buf, sizeof buf);
   assert_string_equal(buf, "2024-07-01 12:00:00 UTC");
}

static void test_slowest(void **state)
{
   mb_report_t *r = NULL;
   size_t idx[2];
   (void) state;

   mb_report_new(&r);
   assert_int_equal(mb_report_slowest(r, idx, 2), 0);
   mb_report_add_ns(r, "d", "a", 1, 1, 1.0);
   mb_report_add_ns(r, "d", "b", 1, 1, 5.0);
   mb_report_add_ns(r, "d", "c", 1, 1, 3.0);
   mb_report_add_ns(r, "d", "e", 1, 1, 0.5);
   assert_int_equal(mb_report_slowest(r, idx, 2), 2);
   assert_int_equal(idx[0], 1);
   assert_int_equal(idx[1], 2);
   assert_true(mb_report_success_rate(r) < 0);
   mb_report_set_archive(r, "/var/backups/x.archive", 10, "none");
   assert_string_equal(r->archive, "x.archive");
   mb_report_destroy(r);
   mb_report_destroy(NULL);
}

int main(void)
{
   const struct CMUnitTest tests[] = {
       cmocka_unit_test(test_report_json_success),
       cmocka_unit_test(test_report_json_failure_and_secrets),
       cmocka_unit_test(test_discord_success),
       cmocka_unit_test(test_discord_failure_and_limits),
       cmocka_unit_test(test_urls),
       cmocka_unit_test(test_formatting),
       cmocka_unit_test(test_slowest),
   };
   return cmocka_run_group_tests(tests, NULL, NULL);
}
