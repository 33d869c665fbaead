#include "common/http.h"

#include "common/buf.h"
#include "common/log.h"
#include "common/parse.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RESPONSE_MAX (64u << 10) /* we read at most 64 KiB of an answer */
#define EXCERPT 200

typedef struct {
   mb_buf_t body;
   double retry_after; /* seconds from the Retry-After header; -1 when absent */
} response_t;

typedef enum { A_OK, A_RETRY, A_FAIL } verdict_t;

typedef struct {
   verdict_t verdict;
   long wait_ms; /* A_RETRY: how long to wait; -1 = the backoff */
} attempt_t;

long long mb_http_now_ms(void)
{
   struct timespec ts;

   clock_gettime(CLOCK_MONOTONIC, &ts);
   return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
   struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

   while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
   }
}

void mb_http_redact_url(const char *url, char *out, size_t size)
{
   const char *s = strstr(url, "://"), *auth, *end, *at;

   if (!s) {
      snprintf(out, size, "***");
      return;
   }
   auth = s + 3;
   end = auth + strcspn(auth, "/?#");
   at = memchr(auth, '@', (size_t) (end - auth));
   if (at) {
      auth = at + 1;
   }
   snprintf(out, size, "%.*s%.*s%s", (int) (s + 3 - url), url, (int) (end - auth), auth,
            *end ? "/***" : "");
}

static size_t on_body(char *p, size_t size, size_t n, void *user_data)
{
   response_t *r = user_data;
   size_t len = size * n, room = r->body.max - r->body.len;

   /* keep what fits; the rest of a long answer is not needed */
   if (!mb_buf_append(&r->body, p, len < room ? len : room, NULL)) {
      return 0; /* cannot happen (at most room bytes); stops the transfer if it did */
   }
   return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *user_data)
{
   response_t *r = user_data;
   size_t len = size * n;

   if (len > 12 && strncasecmp(p, "Retry-After:", 12) == 0) {
      char val[64], *s = val;
      double v;
      snprintf(val, sizeof val, "%.*s", (int) (len - 12 < 63 ? len - 12 : 63), p + 12);
      s += strspn(s, " \t");
      s[strcspn(s, " \t\r\n")] = '\0';
      if (mb_parse_double(s, 0, 1e9, &v)) {
         r->retry_after = v;
      }
   }
   return len;
}

/* Discord puts the wait in the body: {"retry_after": 1.5, ...} (seconds). */
static double body_retry_after(const response_t *r)
{
   bson_t *doc;
   bson_iter_t it;
   double v = -1;

   if (r->body.len == 0) {
      return -1;
   }
   doc = bson_new_from_json(r->body.data, (ssize_t) r->body.len, NULL);
   if (doc && bson_iter_init_find(&it, doc, "retry_after") && BSON_ITER_HOLDS_NUMBER(&it)) {
      v = bson_iter_as_double(&it);
   }
   bson_destroy(doc);
   return v;
}

/* The start of the answer's body, printable and on one line. */
static void excerpt(const response_t *r, char *out, size_t size)
{
   size_t n = r->body.len < EXCERPT ? r->body.len : EXCERPT, o = 0;

   for (size_t i = 0; i < n && o + 1 < size; i++) {
      unsigned char c = r->body.data[i];
      out[o++] = c < 0x20 || c == 0x7f ? ' ' : (char) c;
   }
   out[o] = '\0';
}

static CURL *make_handle(const char *url, const char *body, size_t len, struct curl_slist *hdrs,
                         response_t *resp, long connect_ms, long total_ms, char *errbuf)
{
   CURL *h = curl_easy_init();

   if (!h) {
      return NULL;
   }
   curl_easy_setopt(h, CURLOPT_URL, url);
   curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
   curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
   curl_easy_setopt(h, CURLOPT_POST, 1L);
   curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
   curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) len);
   curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
   curl_easy_setopt(h, CURLOPT_USERAGENT, "mongobak/" MONGOBAK_VERSION);
   curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect_ms < total_ms ? connect_ms : total_ms);
   curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, total_ms);
   curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
   curl_easy_setopt(h, CURLOPT_WRITEDATA, resp);
   curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
   curl_easy_setopt(h, CURLOPT_HEADERDATA, resp);
   curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
   return h;
}

/* Judge one attempt's result; fills err with why it did not succeed. */
static attempt_t judge(CURLcode rc, long status, const response_t *resp, const char *errbuf,
                       long spent_ms, mb_error_t *err)
{
   char ex[EXCERPT + 1];
   attempt_t a = {A_RETRY, -1};

   if (rc == CURLE_OPERATION_TIMEDOUT) {
      mb_error_set(err, MB_EXIT_FAILURE, "no answer within %.1f s", (double) spent_ms / 1000.0);
      return a;
   }
   if (rc != CURLE_OK) {
      mb_error_set(err, MB_EXIT_FAILURE, "cannot connect: %s",
                   *errbuf ? errbuf : curl_easy_strerror(rc));
      return a;
   }
   if (status >= 200 && status < 300) {
      a.verdict = A_OK;
      return a;
   }
   excerpt(resp, ex, sizeof ex);
   mb_error_set(err, MB_EXIT_FAILURE, "HTTP %ld%s%s", status, *ex ? ": " : "", ex);
   if (status == 429) {
      double s = body_retry_after(resp);
      s = s >= 0 ? s : resp->retry_after;
      a.wait_ms = s >= 0 ? (long) (s * 1000.0 + 0.5) : -1;
   } else if (status < 500) {
      a.verdict = A_FAIL; /* the request itself is wrong: retrying cannot help */
   }
   return a;
}

static attempt_t attempt(const char *url, const char *body, size_t len, struct curl_slist *hdrs,
                         long connect_ms, long total_ms, long *status, mb_error_t *err)
{
   char errbuf[CURL_ERROR_SIZE] = "";
   response_t resp = {.retry_after = -1};
   long long t0 = mb_http_now_ms();
   attempt_t a = {A_FAIL, -1};
   CURL *h;
   CURLcode rc;

   mb_buf_init(&resp.body, RESPONSE_MAX);
   h = make_handle(url, body, len, hdrs, &resp, connect_ms, total_ms, errbuf);
   if (!h) {
      mb_error_set(err, MB_EXIT_FAILURE, "cannot start libcurl");
      return a;
   }
   rc = curl_easy_perform(h);
   *status = 0;
   curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
   a = judge(rc, *status, &resp, errbuf, (long) (mb_http_now_ms() - t0), err);
   curl_easy_cleanup(h);
   mb_buf_destroy(&resp.body);
   return a;
}

bool mb_http_post(const char *what, const char *url, const char *content_type, const char *body,
                  size_t len, const mb_http_policy_t *p, mb_http_outcome_t *o, mb_error_t *err)
{
   long long deadline = mb_http_now_ms() + p->timeout_ms;
   long backoff = p->backoff_ms;
   struct curl_slist *hdrs = NULL;
   char ct[128];
   bool ok = false;

   snprintf(ct, sizeof ct, "Content-Type: %s", content_type);
   hdrs = curl_slist_append(hdrs, ct);
   hdrs = curl_slist_append(hdrs, "Expect:");
   o->attempts = 0;
   o->status = 0;
   for (;;) {
      long left = (long) (deadline - mb_http_now_ms()), wait;
      attempt_t a;

      if (left <= 0) {
         mb_error_set(err, MB_EXIT_FAILURE, "no time left to send (timeout %ld ms)", p->timeout_ms);
         break;
      }
      o->attempts++;
      a = attempt(url, body, len, hdrs, p->connect_timeout_ms, left, &o->status, err);
      if (a.verdict == A_OK) {
         ok = true;
         break;
      }
      if (a.verdict == A_FAIL || o->attempts > p->retries) {
         if (o->attempts > 1) {
            mb_error_prefix(err, "%d attempts, last", o->attempts);
         }
         break;
      }
      wait = a.wait_ms >= 0 ? a.wait_ms : backoff;
      left = (long) (deadline - mb_http_now_ms());
      if (wait >= left) {
         if (a.wait_ms >= 0) {
            mb_error_set(err, MB_EXIT_FAILURE,
                         "rate limited (HTTP 429) for %.1f s, more than the %.1f s left",
                         (double) a.wait_ms / 1000.0, (double) left / 1000.0);
         } else if (o->attempts > 1) {
            mb_error_prefix(err, "%d attempts, last", o->attempts);
         }
         break;
      }
      mb_log(MB_LOG_WARN, "notify: %s: attempt %d failed (%s); retrying in %.1f s", what,
             o->attempts, err->message, (double) wait / 1000.0);
      sleep_ms(wait);
      if (a.wait_ms < 0) {
         backoff *= 2;
      }
   }
   curl_slist_free_all(hdrs);
   return ok;
}
