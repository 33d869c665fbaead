#include "common/http.h"

#include "common/buf.h"
#include "common/log.h"
#include "common/parse.h"

#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
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

typedef struct {
   const mb_http_request_t *rq;
   mb_http_result_t *r;
   CURL *h;
} send_t;

static long status_of(send_t *s)
{
   long status = 0;

   curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &status);
   return status;
}

static size_t send_on_body(char *p, size_t size, size_t n, void *user_data)
{
   send_t *s = user_data;
   size_t len = size * n, room;
   long status = status_of(s);

   if (s->rq->on_data && status >= 200 && status < 300) {
      size_t took = s->rq->on_data(p, len, s->rq->user_data);
      s->r->aborted = took != len;
      return took;
   }
   room = s->r->body.max - s->r->body.len;
   if (!mb_buf_append(&s->r->body, p, len < room ? len : room, NULL)) {
      return 0;
   }
   return len;
}

/* Copy a header's value (trimmed) into out when line is "name: value". */
static bool header_value(const char *line, size_t len, const char *name, char *out, size_t size)
{
   size_t n = strlen(name), vlen;
   const char *v;

   if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':') {
      return false;
   }
   v = line + n + 1;
   vlen = len - n - 1;
   while (vlen && (*v == ' ' || *v == '\t')) {
      v++;
      vlen--;
   }
   while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' ')) {
      vlen--;
   }
   snprintf(out, size, "%.*s", (int) (vlen < size ? vlen : size - 1), v);
   return true;
}

static size_t send_on_header(char *p, size_t size, size_t n, void *user_data)
{
   send_t *s = user_data;
   size_t len = size * n;
   char val[64];
   double d;
   long u;

   if (len > 5 && strncmp(p, "HTTP/", 5) == 0) {
      /* a new answer (after a 100 Continue or a redirect): forget the headers of the last */
      s->r->etag[0] = s->r->last_modified[0] = '\0';
      s->r->has_length = false;
      s->r->retry_after = -1;
      return len;
   }
   header_value(p, len, "ETag", s->r->etag, sizeof s->r->etag);
   header_value(p, len, "Last-Modified", s->r->last_modified, sizeof s->r->last_modified);
   if (header_value(p, len, "Content-Length", val, sizeof val) &&
       mb_parse_long(val, 10, 0, LONG_MAX, &u)) {
      s->r->length = (uint64_t) u;
      s->r->has_length = true;
   }
   if (header_value(p, len, "Retry-After", val, sizeof val) && mb_parse_double(val, 0, 1e9, &d)) {
      s->r->retry_after = d;
   }
   return len;
}

void mb_http_result_clear(mb_http_result_t *r)
{
   mb_buf_destroy(&r->body);
   memset(r, 0, sizeof *r);
   r->retry_after = -1;
}

static struct curl_slist *send_headers(const mb_http_request_t *rq)
{
   /* no "Expect:" to turn 100-continue off: libcurl 7.88 signs such an empty header (SigV4) but
    * does not send it, and every signature would fail */
   struct curl_slist *h = curl_slist_append(NULL, "Accept: */*");

   for (const char *const *p = rq->headers; p && *p && h; p++) {
      struct curl_slist *next = curl_slist_append(h, *p);
      if (!next) {
         curl_slist_free_all(h);
         return NULL;
      }
      h = next;
   }
   return h;
}

static void send_setup(send_t *s, struct curl_slist *hdrs, char *errbuf)
{
   const mb_http_request_t *rq = s->rq;
   CURL *h = s->h;

   curl_easy_setopt(h, CURLOPT_URL, rq->url);
   curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
   curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
   curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
   curl_easy_setopt(h, CURLOPT_USERAGENT, "mongobak/" MONGOBAK_VERSION);
   curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
   curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, send_on_body);
   curl_easy_setopt(h, CURLOPT_WRITEDATA, s);
   curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, send_on_header);
   curl_easy_setopt(h, CURLOPT_HEADERDATA, s);
   if (strcmp(rq->method, "HEAD") == 0) {
      curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
   } else if (strcmp(rq->method, "PUT") == 0 || strcmp(rq->method, "POST") == 0) {
      curl_easy_setopt(h, CURLOPT_POST, 1L);
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, rq->body ? (const char *) rq->body : "");
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) rq->body_len);
      if (strcmp(rq->method, "PUT") == 0) {
         curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PUT");
      }
   } else if (strcmp(rq->method, "GET") != 0) {
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, rq->method);
   }
   if (rq->aws_sigv4) {
      curl_easy_setopt(h, CURLOPT_AWS_SIGV4, rq->aws_sigv4);
      curl_easy_setopt(h, CURLOPT_USERPWD, rq->userpwd ? rq->userpwd : ":");
   }
   if (rq->connect_timeout_ms > 0) {
      curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, rq->connect_timeout_ms);
   }
   if (rq->timeout_ms > 0) {
      curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, rq->timeout_ms);
   }
   if (rq->stall_ms > 0) {
      curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
      curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, (rq->stall_ms + 999) / 1000);
   }
}

static pthread_once_t g_curl_once = PTHREAD_ONCE_INIT;
/* Connections (and name lookups) kept between requests of mb_http_send, whichever thread sends:
 * an object store gets thousands of requests from one command. */
static CURLSH *g_share;
static pthread_mutex_t g_share_mu[CURL_LOCK_DATA_LAST];

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *user_data)
{
   (void) h;
   (void) access;
   (void) user_data;
   pthread_mutex_lock(&g_share_mu[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *user_data)
{
   (void) h;
   (void) user_data;
   pthread_mutex_unlock(&g_share_mu[data]);
}

static void curl_init_once(void)
{
   curl_global_init(CURL_GLOBAL_DEFAULT);
   for (int i = 0; i < CURL_LOCK_DATA_LAST; i++) {
      pthread_mutex_init(&g_share_mu[i], NULL);
   }
   g_share = curl_share_init();
   if (g_share) {
      curl_share_setopt(g_share, CURLSHOPT_LOCKFUNC, share_lock);
      curl_share_setopt(g_share, CURLSHOPT_UNLOCKFUNC, share_unlock);
      curl_share_setopt(g_share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
      curl_share_setopt(g_share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
   }
}

bool mb_http_send(const mb_http_request_t *rq, mb_http_result_t *r, mb_error_t *err)
{
   char errbuf[CURL_ERROR_SIZE] = "";
   send_t s = {rq, r, NULL};
   struct curl_slist *hdrs = NULL;
   long long t0 = mb_http_now_ms();
   CURLcode rc;
   bool ok = false;

   pthread_once(&g_curl_once, curl_init_once); /* several upload threads may be first */
   memset(r, 0, sizeof *r);
   r->retry_after = -1;
   mb_buf_init(&r->body, rq->max_body ? rq->max_body : RESPONSE_MAX);
   s.h = curl_easy_init();
   hdrs = send_headers(rq);
   if (!s.h || !hdrs) {
      mb_error_set(err, MB_EXIT_FAILURE, "cannot start libcurl");
      goto cleanup;
   }
   send_setup(&s, hdrs, errbuf);
   if (g_share) {
      curl_easy_setopt(s.h, CURLOPT_SHARE, g_share);
   }
   rc = curl_easy_perform(s.h);
   r->status = status_of(&s);
   if (rc == CURLE_OPERATION_TIMEDOUT) {
      r->timed_out = true;
      mb_error_set(err, MB_EXIT_FAILURE, "no progress within %.1f s",
                   (double) (mb_http_now_ms() - t0) / 1000.0);
   } else if (rc == CURLE_WRITE_ERROR && r->aborted) {
      mb_error_set(err, MB_EXIT_FAILURE, "transfer stopped by the receiver");
   } else if (rc != CURLE_OK) {
      mb_error_set(err, MB_EXIT_FAILURE, "%s: %s",
                   r->status ? "connection dropped" : "cannot connect",
                   *errbuf ? errbuf : curl_easy_strerror(rc));
   } else {
      ok = true;
   }
cleanup:
   curl_slist_free_all(hdrs);
   if (s.h) {
      curl_easy_cleanup(s.h);
   }
   return ok;
}
