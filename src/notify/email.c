#include "notify/email.h"

#include "common/log.h"
#include "notify/mime.h"
#include "notify/render.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MESSAGE_MAX (16u << 20)

typedef struct {
   const uint8_t *p;
   size_t left;
} reader_t;

typedef struct {
   char *subject, *text, *html;
} rendered_t;

static void rendered_free(rendered_t *m)
{
   bson_free(m->subject);
   bson_free(m->text);
   bson_free(m->html);
}

static bool render_all(const mb_notify_config_t *c, const mb_report_t *r, rendered_t *m,
                       mb_error_t *err)
{
   const char *subject = c->subject_template ? c->subject_template : mb_render_default_subject;
   const char *text = c->text_template ? c->text_template : mb_render_default_text;
   const char *html = c->html_template ? c->html_template : mb_render_default_html;

   if (!mb_render_template(r, subject, false, true, &m->subject, err)) {
      mb_error_prefix(err, "EMAIL_SUBJECT");
      return false;
   }
   if (!mb_render_template(r, text, false, false, &m->text, err)) {
      mb_error_prefix(err, "text template");
      return false;
   }
   if (!mb_render_template(r, html, true, false, &m->html, err)) {
      mb_error_prefix(err, "HTML template");
      return false;
   }
   return true;
}

/* The domain of the sender's address, for the Message-ID. */
static void sender_domain(const char *from, char *out, size_t size)
{
   char name[256], addr[320];
   const char *at;

   if (!mb_mime_parse_mailbox(from, name, sizeof name, addr, sizeof addr, NULL) ||
       !(at = strchr(addr, '@'))) {
      snprintf(out, size, "localhost");
      return;
   }
   snprintf(out, size, "%s", at + 1);
}

bool mb_email_build(const mb_notify_config_t *c, const mb_report_t *r, int64_t now,
                    const char *message_id, const char *boundary, mb_buf_t *out, mb_error_t *err)
{
   rendered_t m = {0};
   mb_mime_msg_t msg;
   bool ok;

   if (!render_all(c, r, &m, err)) {
      rendered_free(&m);
      return false;
   }
   msg = (mb_mime_msg_t){c->smtp_from, (const char *const *) c->emails,
                         c->nemails,   m.subject,
                         m.text,       m.html,
                         now,          message_id,
                         boundary};
   ok = mb_mime_build(&msg, out, err);
   rendered_free(&m);
   return ok;
}

static size_t on_read(char *buf, size_t size, size_t n, void *user_data)
{
   reader_t *rd = user_data;
   size_t len = size * n < rd->left ? size * n : rd->left;

   memcpy(buf, rd->p, len);
   rd->p += len;
   rd->left -= len;
   return len;
}

/* The name we greet the server with (EHLO): this host's name when it is a plain DNS name. */
static void ehlo_name(char *buf, size_t size)
{
   if (gethostname(buf, size) != 0 || !*buf ||
       buf[strspn(buf, "abcdefghijklmnopqrstuvwxyz"
                       "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                       "0123456789.-")] != '\0') {
      snprintf(buf, size, "localhost");
   }
   buf[size - 1] = '\0';
}

/* What libcurl's error means for the user of SMTP_* settings. */
static void explain(const mb_notify_config_t *c, CURLcode rc, const char *errbuf, mb_error_t *err)
{
   const char *detail = *errbuf ? errbuf : curl_easy_strerror(rc);

   switch (rc) {
   case CURLE_USE_SSL_FAILED:
      mb_error_set(err, MB_EXIT_FAILURE,
                   "%s:%ld does not offer STARTTLS; refusing to send the SMTP password in clear "
                   "(use SMTP_SECURE=true if the port expects implicit TLS, or set "
                   "SMTP_ALLOW_INSECURE=true on a trusted network)",
                   c->smtp_host, c->smtp_port);
      break;
   case CURLE_PEER_FAILED_VERIFICATION:
      mb_error_set(err, MB_EXIT_FAILURE,
                   "the certificate of %s is not trusted (%s); set SMTP_CA_FILE to the CA that "
                   "signed it",
                   c->smtp_host, detail);
      break;
   case CURLE_SSL_CONNECT_ERROR:
      mb_error_set(err, MB_EXIT_FAILURE,
                   "TLS handshake with %s:%ld failed (%s); SMTP_SECURE=true is for implicit-TLS "
                   "ports such as 465, false for STARTTLS ports such as 587",
                   c->smtp_host, c->smtp_port, detail);
      break;
   case CURLE_LOGIN_DENIED:
      mb_error_set(err, MB_EXIT_FAILURE, "the SMTP server refused the login of '%s' (%s)",
                   c->smtp_user ? c->smtp_user : "", detail);
      break;
   case CURLE_OPERATION_TIMEDOUT:
      mb_error_set(err, MB_EXIT_FAILURE, "no answer from %s:%ld within the time limit (%s)",
                   c->smtp_host, c->smtp_port, detail);
      break;
   default:
      mb_error_set(err, MB_EXIT_FAILURE, "SMTP server %s:%ld: %s", c->smtp_host, c->smtp_port,
                   detail);
      break;
   }
}

/* How strongly TLS is required. Credentials are never sent in clear unless allowed:
 * CURLUSESSL_ALL makes libcurl fail before AUTH when the server does not offer STARTTLS. */
static long tls_level(const mb_notify_config_t *c)
{
   if (c->smtp_secure || (c->smtp_user && !c->smtp_allow_insecure)) {
      return (long) CURLUSESSL_ALL;
   }
   return (long) CURLUSESSL_TRY;
}

static CURL *smtp_handle(const mb_notify_config_t *c, struct curl_slist *rcpt, reader_t *rd,
                         char *errbuf, char *url, size_t url_size)
{
   char name[256], addr[320], from[330], ehlo[256];
   bool v6 = strchr(c->smtp_host, ':') != NULL;
   CURL *h = curl_easy_init();

   if (!h) {
      return NULL;
   }
   ehlo_name(ehlo, sizeof ehlo);
   snprintf(url, url_size, "%s://%s%s%s:%ld/%s", c->smtp_secure ? "smtps" : "smtp", v6 ? "[" : "",
            c->smtp_host, v6 ? "]" : "", c->smtp_port, ehlo);
   if (!mb_mime_parse_mailbox(c->smtp_from, name, sizeof name, addr, sizeof addr, NULL)) {
      bson_strncpy(addr, c->smtp_from, sizeof addr); /* checked at load: cannot happen */
   }
   snprintf(from, sizeof from, "<%s>", addr);
   curl_easy_setopt(h, CURLOPT_URL, url);
   curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
   curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
   curl_easy_setopt(h, CURLOPT_USE_SSL, tls_level(c));
   curl_easy_setopt(h, CURLOPT_MAIL_FROM, from);
   curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
   curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
   curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
   curl_easy_setopt(h, CURLOPT_READDATA, rd);
   curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t) rd->left);
   curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
   curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->timeout_ms);
   curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
   if (c->smtp_user) {
      curl_easy_setopt(h, CURLOPT_USERNAME, c->smtp_user);
      curl_easy_setopt(h, CURLOPT_PASSWORD, c->smtp_pass ? c->smtp_pass : "");
   }
   if (c->smtp_ca_file) {
      curl_easy_setopt(h, CURLOPT_CAINFO, c->smtp_ca_file);
   }
   return h;
}

bool mb_email_send(const mb_notify_config_t *c, const mb_report_t *r, mb_error_t *err)
{
   char msgid[400], boundary[64], domain[256], errbuf[CURL_ERROR_SIZE] = "", url[600];
   struct curl_slist *rcpt = NULL;
   int64_t now = (int64_t) time(NULL);
   reader_t rd;
   CURL *h = NULL;
   CURLcode rc;
   mb_buf_t msg;
   bool ok = false;

   mb_buf_init(&msg, MESSAGE_MAX);
   sender_domain(c->smtp_from, domain, sizeof domain);
   mb_mime_message_id(now, domain, msgid, sizeof msgid);
   mb_mime_boundary(boundary, sizeof boundary);
   if (!mb_email_build(c, r, now, msgid, boundary, &msg, err)) {
      goto cleanup;
   }
   for (size_t i = 0; i < c->nemails; i++) {
      char a[330];
      snprintf(a, sizeof a, "<%s>", c->emails[i]);
      rcpt = curl_slist_append(rcpt, a);
   }
   rd = (reader_t){msg.data, msg.len};
   if (!(h = smtp_handle(c, rcpt, &rd, errbuf, url, sizeof url))) {
      mb_error_set(err, MB_EXIT_FAILURE, "cannot start libcurl");
      goto cleanup;
   }
   rc = curl_easy_perform(h);
   if (rc != CURLE_OK) {
      explain(c, rc, errbuf, err);
      goto cleanup;
   }
   mb_log(MB_LOG_DEBUG, "email: message %s (%zu bytes) accepted by %s:%ld", msgid, msg.len,
          c->smtp_host, c->smtp_port);
   ok = true;
cleanup:
   curl_easy_cleanup(h);
   curl_slist_free_all(rcpt);
   mb_buf_destroy(&msg);
   return ok;
}
