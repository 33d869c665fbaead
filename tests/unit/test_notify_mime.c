/* MIME building: exact headers and parts, RFC 2047 subjects, quoted-printable, mailboxes, and
 * the email built from a report. */
#include "notify/email.h"
#include "notify/mime.h"

#include "testutil.h"

#include <ctype.h>

static char *build(const mb_mime_msg_t *m)
{
   mb_error_t err;
   mb_buf_t b;
   char *s;

   mb_buf_init(&b, 1 << 20);
   if (!mb_mime_build(m, &b, &err)) {
      fail_msg("mb_mime_build: %s", err.message);
   }
   assert_true(mb_buf_append(&b, "", 1, NULL));
   s = bson_strdup((const char *) b.data);
   mb_buf_destroy(&b);
   return s;
}

static void test_exact_message(void **state)
{
   const char *to[] = {"ops@example.com", "dba@example.org"};
   mb_mime_msg_t m = {"Backups <backup@example.com>",
                      to,
                      2,
                      "mongobak: backup succeeded on db1",
                      "Status: success\nSize: 1.5 MB\n",
                      "<p>Status: <b>success</b></p>\n",
                      1704067200,
                      "<1704067200.00ff@example.com>",
                      "=_mongobak_0123"};
   char *s;
   (void) state;

   s = build(&m);
   assert_string_equal(s, "Date: Mon, 01 Jan 2024 00:00:00 +0000\r\n"
                          "From: Backups <backup@example.com>\r\n"
                          "To: ops@example.com, dba@example.org\r\n"
                          "Subject: mongobak: backup succeeded on db1\r\n"
                          "Message-ID: <1704067200.00ff@example.com>\r\n"
                          "MIME-Version: 1.0\r\n"
                          "Content-Type: multipart/alternative;\r\n"
                          " boundary=\"=_mongobak_0123\"\r\n"
                          "Auto-Submitted: auto-generated\r\n"
                          "X-Mailer: mongobak " MONGOBAK_VERSION "\r\n"
                          "\r\n"
                          "This is a multi-part message in MIME format.\r\n"
                          "\r\n"
                          "--=_mongobak_0123\r\n"
                          "Content-Type: text/plain; charset=utf-8\r\n"
                          "Content-Transfer-Encoding: quoted-printable\r\n"
                          "\r\n"
                          "Status: success\r\n"
                          "Size: 1.5 MB\r\n"
                          "\r\n"
                          "--=_mongobak_0123\r\n"
                          "Content-Type: text/html; charset=utf-8\r\n"
                          "Content-Transfer-Encoding: quoted-printable\r\n"
                          "\r\n"
                          "<p>Status: <b>success</b></p>\r\n"
                          "\r\n"
                          "--=_mongobak_0123--\r\n");
   bson_free(s);
}

static void test_encoded_subject_and_sender(void **state)
{
   const char *to[] = {"ops@example.com"};
   mb_mime_msg_t m = {"Sauvegardes Hôte <backup@example.com>",
                      to,
                      1,
                      "Sauvegarde réussie — hôte ünïcödé très long sujet pour tester le pliage",
                      "t",
                      "h",
                      1704067200,
                      "<x@example.com>",
                      "=_b"};
   char *s;
   (void) state;

   s = build(&m);
   assert_non_null(
       strstr(s, "\r\nSubject: =?UTF-8?B?U2F1dmVnYXJkZSByw6l1c3NpZSDigJQgaMO0dGUgw7xuw69jw7Zk?=\r\n"
                 " =?UTF-8?B?w6kgdHLDqHMgbG9uZyBzdWpldCBwb3VyIHRlc3RlciBsZSBwbGlh?=\r\n"
                 " =?UTF-8?B?Z2U=?=\r\n"));
   assert_non_null(
       strstr(s, "\r\nFrom: =?UTF-8?B?U2F1dmVnYXJkZXMgSMO0dGU=?= <backup@example.com>\r\n"));
   bson_free(s);
}

static void test_header_folding_and_quoting(void **state)
{
   const char *to[] = {"a-very-long-recipient-address-number-one@example.com",
                       "a-very-long-recipient-address-number-two@example.com"};
   mb_mime_msg_t m = {"\"Ops, Backups\" <b@example.com>",
                      to,
                      2,
                      "word word word word word word word word word word word word word word word",
                      "t",
                      "h",
                      0,
                      "<x@example.com>",
                      "=_b"};
   char *s;
   (void) state;

   s = build(&m);
   assert_non_null(strstr(s, "\r\nFrom: \"Ops, Backups\" <b@example.com>\r\n"));
   assert_non_null(strstr(s, "\r\nTo: a-very-long-recipient-address-number-one@example.com,\r\n"
                             " a-very-long-recipient-address-number-two@example.com\r\n"));
   assert_non_null(strstr(s, "\r\nSubject: word word word word word word word word word word "
                             "word word word word\r\n word\r\n"));
   assert_non_null(strstr(s, "Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n"));
   bson_free(s);
}

static void test_header_injection(void **state)
{
   const char *to[] = {"ops@example.com"};
   mb_mime_msg_t m = {"b@example.com",   to,   1, "hi\r\nBcc: evil@example.com", "t", "h", 0,
                      "<x@example.com>", "=_b"};
   mb_error_t err;
   mb_buf_t b;
   (void) state;

   mb_buf_init(&b, 1 << 20);
   assert_false(mb_mime_build(&m, &b, &err));
   assert_error(&err, MB_EXIT_USAGE, "a header value holds a line break");
   mb_buf_destroy(&b);
}

static void check_qp(const char *in, const char *want)
{
   mb_error_t err;
   mb_buf_t b;

   mb_buf_init(&b, 1 << 20);
   assert_true(mb_mime_append_qp(&b, in, &err));
   assert_true(mb_buf_append(&b, "", 1, NULL));
   assert_string_equal((const char *) b.data, want);
   mb_buf_destroy(&b);
}

static void test_quoted_printable(void **state)
{
   char longline[200], want[260];
   (void) state;

   check_qp("a=b", "a=3Db");
   check_qp("caf\xc3\xa9", "caf=C3=A9");
   check_qp("trailing  \nnext\t\n", "trailing =20\r\nnext=09\r\n");
   check_qp("crlf\r\nkept", "crlf\r\nkept");
   check_qp("end ", "end=20");
   memset(longline, 'x', 100);
   longline[100] = '\0';
   /* 75 characters and a soft break, then the other 25 */
   snprintf(want, sizeof want, "%.75s=\r\n%.25s", longline, longline);
   check_qp(longline, want);
   memset(longline, 'x', 76);
   longline[76] = '\0';
   check_qp(longline, longline); /* exactly 76 fit on the last line */
   /* an encoded unit is never split */
   memset(longline, 'x', 73);
   snprintf(longline + 73, sizeof longline - 73, "=");
   snprintf(want, sizeof want, "%.73s=3D", longline);
   check_qp(longline, want); /* 76 characters: fits as the last unit of a line */
   snprintf(longline + 73, sizeof longline - 73, "==");
   snprintf(want, sizeof want, "%.73s=\r\n=3D=3D", longline);
   check_qp(longline, want);
   memset(longline, 'x', 74);
   snprintf(longline + 74, sizeof longline - 74, "=");
   snprintf(want, sizeof want, "%.74s=\r\n=3D", longline);
   check_qp(longline, want);
}

static void check_mailbox(const char *in, const char *name, const char *addr)
{
   char n[256], a[320];
   mb_error_t err;

   if (!mb_mime_parse_mailbox(in, n, sizeof n, a, sizeof a, &err)) {
      fail_msg("'%s': %s", in, err.message);
   }
   assert_string_equal(n, name);
   assert_string_equal(a, addr);
}

static void check_bad_mailbox(const char *in, const char *msg)
{
   char n[256], a[320];
   mb_error_t err;

   assert_false(mb_mime_parse_mailbox(in, n, sizeof n, a, sizeof a, &err));
   assert_error(&err, MB_EXIT_USAGE, msg);
}

static void test_mailboxes(void **state)
{
   (void) state;
   check_mailbox("a@b.c", "", "a@b.c");
   check_mailbox("  a@b.c ", "", "a@b.c");
   check_mailbox("Backups <a@b.c>", "Backups", "a@b.c");
   check_mailbox("\"Ops, Team\" <a@b.c>", "Ops, Team", "a@b.c");
   check_bad_mailbox("nobody", "'nobody' is not an email address");
   check_bad_mailbox("a@b@c", "'a@b@c' is not an email address");
   check_bad_mailbox("@b.c", "'@b.c' is not an email address");
   check_bad_mailbox("a b@c.d", "'a b@c.d' is not an email address");
   check_bad_mailbox("X <a@b.c", "'X <a@b.c' is not an email address ('<' without '>' last)");
   check_bad_mailbox("X <a@b.c> y", "'X <a@b.c> y' is not an email address ('<' without '>' last)");
}

static void test_helpers(void **state)
{
   char buf[128];
   (void) state;

   mb_mime_date(1709251199, buf, sizeof buf);
   assert_string_equal(buf, "Thu, 29 Feb 2024 23:59:59 +0000");
   mb_mime_message_id(42, "example.com", buf, sizeof buf);
   assert_int_equal(strlen(buf), strlen("<42.0123456789abcdef@example.com>"));
   assert_memory_equal(buf, "<42.", 4);
   mb_mime_boundary(buf, sizeof buf);
   assert_int_equal(strlen(buf), strlen("=_mongobak_") + 24);
   mb_mime_base64("", 0, buf);
   assert_string_equal(buf, "");
   mb_mime_base64("f", 1, buf);
   assert_string_equal(buf, "Zg==");
   mb_mime_base64("fo", 2, buf);
   assert_string_equal(buf, "Zm8=");
   mb_mime_base64("foobar", 6, buf);
   assert_string_equal(buf, "Zm9vYmFy");
}

/* Unfold the header lines of a message in place (up to the blank line). */
static void unfold_headers(char *s)
{
   char *end = strstr(s, "\r\n\r\n"), *p;

   while ((p = strstr(s, "\r\n ")) != NULL && p < end) {
      memmove(p, p + 2, strlen(p + 2) + 1);
      end -= 2;
   }
}

/* Undo quoted-printable (soft breaks and =XX) in place, for searching the parts. */
static void qp_decode(char *s)
{
   char *o = s;

   while (*s) {
      if (s[0] == '=' && s[1] == '\r' && s[2] == '\n') {
         s += 3;

      } else if (s[0] == '=' && isxdigit((unsigned char) s[1]) && isxdigit((unsigned char) s[2])) {
         *o++ = (char) (hex_nibble(s[1]) << 4 | hex_nibble(s[2]));
         s += 3;
      } else {
         *o++ = *s++;
      }
   }
   *o = '\0';
}

/* The email of a report: every part present and the figures in both. */
static void test_email_of_report(void **state)
{
   char *emails[] = {"ops@example.com"};
   mb_notify_config_t c;
   mb_report_t *r = NULL;
   mb_error_t err;
   mb_buf_t b;
   const char *s;
   (void) state;

   mb_notify_config_init(&c);
   c.smtp_from = "mongobak <backup@example.com>";
   c.emails = emails;
   c.nemails = 1;
   mb_report_sample(false, "UTC", &r);
   mb_buf_init(&b, 1 << 22);
   assert_true(mb_email_build(&c, r, 1704067200, "<id@example.com>", "=_mongobak_x", &b, &err));
   assert_true(mb_buf_append(&b, "", 1, NULL));
   for (size_t i = 0; i < b.len; i++) {
      if (b.data[i] == '\n' && (i == 0 || b.data[i - 1] != '\r')) {
         fail_msg("a bare LF at byte %zu", i);
      }
   }
   unfold_headers((char *) b.data);
   qp_decode((char *) b.data);
   s = (const char *) b.data;
   assert_non_null(strstr(s, "Subject: [test] mongobak: backup succeeded on "));
   assert_non_null(strstr(s, "(52.0 MB, 41.8 s)\r\n"));
   assert_non_null(strstr(s, "Content-Type: text/plain; charset=utf-8\r\n"));
   assert_non_null(strstr(s, "Content-Type: text/html; charset=utf-8\r\n"));
   assert_non_null(strstr(s, "Archive:     backup-2024-01-08-00-00-00.archive.zst\r\n"));
   assert_non_null(strstr(s, "  shop.orders: 120,000 documents, 48.0 MB, 21.5 s\r\n"));
   assert_non_null(strstr(s, "<td>shop.orders</td>"));
   assert_non_null(strstr(s, "Runs:             41 succeeded, 1 failed (success rate 97.6%)"));
   assert_non_null(
       strstr(s, "<h2 style=\"margin:0 0 8px 0;color:#2ECC71\">[test] Backup succeeded"));
   mb_buf_destroy(&b);
   mb_report_destroy(r);
}

int main(void)
{
   const struct CMUnitTest tests[] = {
       cmocka_unit_test(test_exact_message),
       cmocka_unit_test(test_encoded_subject_and_sender),
       cmocka_unit_test(test_header_folding_and_quoting),
       cmocka_unit_test(test_header_injection),
       cmocka_unit_test(test_quoted_printable),
       cmocka_unit_test(test_mailboxes),
       cmocka_unit_test(test_helpers),
       cmocka_unit_test(test_email_of_report),
   };
   return cmocka_run_group_tests(tests, NULL, NULL);
}
