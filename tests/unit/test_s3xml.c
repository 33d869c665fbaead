/* The S3 answers the driver reads: ListObjectsV2 pages (keys, sizes, times, the continuation
 * token only when truncated), ListMultipartUploads, an early stop, an error's code and message,
 * malformed XML, and the S3 time format. */
#include "storage/s3xml.h"

#include "testutil.h"

typedef struct {
   char keys[8][64];
   uint64_t sizes[8];
   time_t mtimes[8];
   char ids[8][32];
   int n, stop_after;
} seen_t;

static bool on_item(const mb_s3xml_item_t *it, void *user_data)
{
   seen_t *s = user_data;

   snprintf(s->keys[s->n], sizeof s->keys[0], "%s", it->key);
   snprintf(s->ids[s->n], sizeof s->ids[0], "%s", it->upload_id);
   s->sizes[s->n] = it->size;
   s->mtimes[s->n] = it->mtime;
   s->n++;
   return s->n != s->stop_after;
}

static const char PAGE[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name>"
    "<Prefix>p/</Prefix><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys>"
    "<IsTruncated>true</IsTruncated>"
    "<Contents><Key>p/backup-1.archive</Key><LastModified>2026-12-03T16:34:24.000Z</LastModified>"
    "<ETag>\"x\"</ETag><Size>12345678901</Size><StorageClass>STANDARD</StorageClass></Contents>"
    "<Contents><Key>p/a&amp;b</Key><LastModified>1970-01-01T00:00:01Z</LastModified>"
    "<Size>0</Size></Contents>"
    "<NextContinuationToken>tok/+=</NextContinuationToken></ListBucketResult>";

static void test_list_page(void **state)
{
   seen_t s = {0};
   char *next = NULL;
   bool stopped = true;
   mb_error_t err;

   (void) state;
   assert_true(mb_s3xml_list(PAGE, strlen(PAGE), on_item, &s, &stopped, &next, &err));
   assert_false(stopped);
   assert_int_equal(s.n, 2);
   assert_string_equal(s.keys[0], "p/backup-1.archive");
   assert_true(s.sizes[0] == 12345678901ull);
   assert_int_equal(s.mtimes[0], 1796315664);
   assert_string_equal(s.keys[1], "p/a&b");
   assert_int_equal(s.mtimes[1], 1);
   assert_string_equal(next, "tok/+=");
   bson_free(next);
}

static void test_last_page_and_stop(void **state)
{
   static const char last[] = "<ListBucketResult><IsTruncated>false</IsTruncated>"
                              "<Contents><Key>k1</Key><Size>1</Size></Contents>"
                              "<Contents><Key>k2</Key><Size>2</Size></Contents>"
                              "</ListBucketResult>";
   seen_t s = {.stop_after = 1};
   char *next = (char *) "x";
   bool stopped = false;
   mb_error_t err;

   (void) state;
   assert_true(mb_s3xml_list(PAGE, strlen(PAGE), on_item, &s, &stopped, &next, &err));
   assert_true(stopped);
   assert_null(next);
   assert_int_equal(s.n, 1);
   s = (seen_t){0};
   assert_true(mb_s3xml_list(last, strlen(last), on_item, &s, &stopped, &next, &err));
   assert_false(stopped);
   assert_null(next);
   assert_int_equal(s.n, 2);
   assert_true(s.sizes[1] == 2);
}

static void test_uploads(void **state)
{
   static const char xml[] =
       "<ListMultipartUploadsResult><Bucket>b</Bucket><IsTruncated>false</IsTruncated>"
       "<Upload><Key>k</Key><UploadId>u1</UploadId><Initiated>2026-01-01T00:00:00Z</Initiated>"
       "</Upload><Upload><Key>k2</Key><UploadId>u2</UploadId></Upload>"
       "</ListMultipartUploadsResult>";
   seen_t s = {0};
   char *next = NULL;
   bool stopped;
   mb_error_t err;

   (void) state;
   assert_true(mb_s3xml_list(xml, strlen(xml), on_item, &s, &stopped, &next, &err));
   assert_int_equal(s.n, 2);
   assert_string_equal(s.keys[0], "k");
   assert_string_equal(s.ids[0], "u1");
   assert_int_equal(s.mtimes[0], 1767225600);
   assert_string_equal(s.ids[1], "u2");
}

static void test_text_and_malformed(void **state)
{
   static const char e[] = "<?xml version=\"1.0\"?><Error><Code>SignatureDoesNotMatch</Code>"
                           "<Message>The request signature we calculated does not match"
                           "</Message><Resource>/b/k</Resource></Error>";
   static const char bad[] = "<ListBucketResult><Contents><Key>k</Contents>";
   char *code = mb_s3xml_text(e, strlen(e), "Code"), *msg = mb_s3xml_text(e, strlen(e), "Message");
   seen_t s = {0};
   char *next = NULL;
   bool stopped;
   mb_error_t err;

   (void) state;
   assert_string_equal(code, "SignatureDoesNotMatch");
   assert_string_equal(msg, "The request signature we calculated does not match");
   assert_null(mb_s3xml_text(e, strlen(e), "UploadId"));
   assert_null(mb_s3xml_text(bad, strlen(bad), "Key"));
   assert_false(mb_s3xml_list(bad, strlen(bad), on_item, &s, &stopped, &next, &err));
   assert_int_equal(err.code, MB_EXIT_IO);
   assert_non_null(strstr(err.message, "malformed XML answer"));
   bson_free(code);
   bson_free(msg);
}

static void test_time(void **state)
{
   time_t t = 0;

   (void) state;
   assert_true(mb_s3xml_time("2000-02-29T12:00:00.123Z", &t));
   assert_int_equal(t, 951825600);
   assert_false(mb_s3xml_time("2000-02-29 12:00:00", &t));
   assert_false(mb_s3xml_time("yesterday", &t));
}

int main(void)
{
   const struct CMUnitTest tests[] = {
       cmocka_unit_test(test_list_page), cmocka_unit_test(test_last_page_and_stop),
       cmocka_unit_test(test_uploads),   cmocka_unit_test(test_text_and_malformed),
       cmocka_unit_test(test_time),
   };
   return cmocka_run_group_tests(tests, NULL, NULL);
}
