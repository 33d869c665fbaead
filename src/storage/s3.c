#include "storage/s3.h"

#include "common/buf.h"
#include "common/file.h"
#include "common/http.h"
#include "common/log.h"
#include "storage/driver.h"
#include "storage/s3xml.h"

#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PART_MIN (8u << 20) /* first part size; doubles every PART_GROWTH parts */
#define PART_GROWTH 1000
#define PARTS_MAX 10000
#define READ_CHUNK (8u << 20) /* bytes per ranged GET */
#define ANSWER_MAX (4u << 20) /* XML answers we keep (a 1,000-key page is ~300 KB) */
#define BACKOFF_MS 200
#define BACKOFF_MAX_MS 10000
#define UNIQUE_MAX 1000

/* What every request needs, shared (reference-counted) by a repository and the sinks and
 * sources it made, which outlive it. */
typedef struct {
   atomic_int refs;
   char *bucket;
   char *base;    /* the URL of the bucket, without a trailing '/' */
   char *sigv4;   /* "aws:amz:REGION:s3" */
   char *userpwd; /* "KEY:SECRET" */
   char *token;   /* "x-amz-security-token: ..." or NULL */
   long stall_ms;
   int retries;
   int in_flight;
} conn_t;

typedef struct {
   mb_repo_t base;
   conn_t *conn;
   char *prefix; /* "" or "dir/" */
} s3_repo_t;

/* The settings of mb_repo_s3_configure (process-wide, read at each open). */
static struct {
   pthread_mutex_t mu;
   bool set;
   char *access_key, *secret_key, *token, *region, *endpoint;
   int path_style; /* -1: path-style with an endpoint, virtual-hosted without */
   long stall_ms;
   int retries, in_flight;
} g_cfg = {.mu = PTHREAD_MUTEX_INITIALIZER, .path_style = -1};

/* ---------------------------------------------------------------- settings */

const char *const mb_repo_s3_settings[] = {
    "AWS_ACCESS_KEY_ID",  "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",  "AWS_REGION",
    "AWS_ENDPOINT_URL",   "S3_FORCE_PATH_STYLE",
    "S3_TIMEOUT",         "S3_RETRIES",
    "S3_PARTS_IN_FLIGHT", NULL,
};

static char *g_raw[sizeof mb_repo_s3_settings / sizeof *mb_repo_s3_settings];

void mb_repo_s3_export(bson_t *doc)
{
   pthread_mutex_lock(&g_cfg.mu);
   for (int i = 0; mb_repo_s3_settings[i]; i++) {
      if (g_raw[i]) {
         BSON_APPEND_UTF8(doc, mb_repo_s3_settings[i], g_raw[i]);
      }
   }
   pthread_mutex_unlock(&g_cfg.mu);
}

static const char *env_get(const char *name, void *user_data)
{
   const char *v = getenv(name);

   (void) user_data;
   return v && *v ? v : NULL;
}

static char *dup_or_null(const char *s)
{
   return s && *s ? bson_strdup(s) : NULL;
}

/* The [profile] section of the AWS shared credentials file (AWS_SHARED_CREDENTIALS_FILE, else
 * ~/.aws/credentials): fills the keys still unset. A missing file or section is no error. */
static void read_profile(const char *profile, char **key, char **secret, char **token)
{
   const char *file = getenv("AWS_SHARED_CREDENTIALS_FILE"), *home = getenv("HOME");
   char *path = file && *file ? bson_strdup(file)
                              : bson_strdup_printf("%s/.aws/credentials", home ? home : "");
   char line[1024];
   bool in = false;
   FILE *f = fopen(path, "r");

   bson_free(path);
   if (!f) {
      return;
   }
   while (fgets(line, sizeof line, f)) {
      char *k = line + strspn(line, " \t"), *eq, *v, *end;
      k[strcspn(k, "\r\n")] = '\0';
      if (*k == '[') {
         end = strchr(k, ']');
         in = end && (size_t) (end - k - 1) == strlen(profile) &&
              strncmp(k + 1, profile, strlen(profile)) == 0;
         continue;
      }
      if (!in || *k == '#' || *k == ';' || !(eq = strchr(k, '='))) {
         continue;
      }
      for (end = eq; end > k && (end[-1] == ' ' || end[-1] == '\t'); end--) {
      }
      *end = '\0';
      v = eq + 1 + strspn(eq + 1, " \t");
      for (end = v + strlen(v); end > v && (end[-1] == ' ' || end[-1] == '\t'); end--) {
      }
      *end = '\0';
      if (!*v) {
         continue;
      }
      if (strcmp(k, "aws_access_key_id") == 0 && !*key) {
         *key = bson_strdup(v);
      } else if (strcmp(k, "aws_secret_access_key") == 0 && !*secret) {
         *secret = bson_strdup(v);
         mb_log_add_secret(v);
      } else if (strcmp(k, "aws_session_token") == 0 && !*token) {
         *token = bson_strdup(v);
         mb_log_add_secret(v);
      }
   }
   fclose(f);
}

bool mb_repo_s3_configure(mb_confvar_get_fn get, void *user_data, mb_error_t *err)
{
   long stall = 0, retries = 0, in_flight = 0;
   bool path_style = false, ok;
   const char *ps;

   get = get ? get : env_get;
   ok = mb_confvar_ms(get, user_data, "S3_TIMEOUT", &stall, err) &&
        mb_confvar_int(get, user_data, "S3_RETRIES", &retries, err) &&
        mb_confvar_int(get, user_data, "S3_PARTS_IN_FLIGHT", &in_flight, err);
   ps = get("S3_FORCE_PATH_STYLE", user_data);
   ok = ok && (!ps || mb_confvar_bool(get, user_data, "S3_FORCE_PATH_STYLE", &path_style, err));
   if (!ok) {
      return false;
   }
   pthread_mutex_lock(&g_cfg.mu);
   bson_free(g_cfg.access_key);
   bson_free(g_cfg.secret_key);
   bson_free(g_cfg.token);
   bson_free(g_cfg.region);
   bson_free(g_cfg.endpoint);
   g_cfg.access_key = dup_or_null(get("AWS_ACCESS_KEY_ID", user_data));
   g_cfg.secret_key = dup_or_null(get("AWS_SECRET_ACCESS_KEY", user_data));
   g_cfg.token = dup_or_null(get("AWS_SESSION_TOKEN", user_data));
   if (!g_cfg.access_key || !g_cfg.secret_key) {
      const char *profile = get("AWS_PROFILE", user_data);
      read_profile(profile ? profile : "default", &g_cfg.access_key, &g_cfg.secret_key,
                   &g_cfg.token);
   }
   g_cfg.region = bson_strdup(mb_confvar_str(get, user_data, "AWS_REGION"));
   g_cfg.endpoint = dup_or_null(get("AWS_ENDPOINT_URL", user_data));
   g_cfg.path_style = ps ? path_style : -1;
   g_cfg.stall_ms = stall;
   g_cfg.retries = (int) retries;
   g_cfg.in_flight = (int) in_flight;
   g_cfg.set = true;
   for (int i = 0; mb_repo_s3_settings[i]; i++) {
      bson_free(g_raw[i]);
      g_raw[i] = dup_or_null(get(mb_repo_s3_settings[i], user_data));
   }
   pthread_mutex_unlock(&g_cfg.mu);
   return true;
}

bool mb_repo_is_s3(const char *location)
{
   return strncmp(location, "s3://", 5) == 0;
}

/* ---------------------------------------------------------------- URLs and requests */

static void conn_release(conn_t *c)
{
   if (!c || atomic_fetch_sub(&c->refs, 1) != 1) {
      return;
   }
   bson_free(c->bucket);
   bson_free(c->base);
   bson_free(c->sigv4);
   bson_free(c->userpwd);
   bson_free(c->token);
   bson_free(c);
}

static conn_t *conn_ref(conn_t *c)
{
   atomic_fetch_add(&c->refs, 1);
   return c;
}

/* Append to a buffer whose ceiling (64 KiB) holds any URL we make: keys are at most 1,024
 * bytes, so the append cannot fail. */
static void add(mb_buf_t *b, const void *data, size_t len)
{
   (void) !mb_buf_append(b, data, len, NULL);
}

/* Append s percent-encoded (RFC 3986 unreserved kept; '/' kept when keep_slash). */
static void encode(mb_buf_t *b, const char *s, bool keep_slash)
{
   static const char hex[] = "0123456789ABCDEF";

   for (; *s; s++) {
      unsigned char c = (unsigned char) *s;
      if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
         add(b, s, 1);
      } else {
         char e[3] = {'%', hex[c >> 4], hex[c & 15]};
         add(b, e, 3);
      }
   }
}

/* The URL of key (NULL: the bucket itself) followed by query (already encoded, may be NULL). */
static char *url_of(const conn_t *c, const char *key, const char *query)
{
   mb_buf_t b;
   char *out;

   mb_buf_init(&b, 64u << 10);
   add(&b, c->base, strlen(c->base));
   add(&b, "/", 1);
   if (key) {
      encode(&b, key, true);
   }
   if (query) {
      add(&b, "?", 1);
      add(&b, query, strlen(query));
   }
   out = bson_strndup(b.data ? (const char *) b.data : "", b.len);
   mb_buf_destroy(&b);
   return out;
}

static char *query_value(const char *v)
{
   mb_buf_t b;
   char *out;

   mb_buf_init(&b, 64u << 10);
   encode(&b, v, false);
   out = bson_strndup(b.data ? (const char *) b.data : "", b.len);
   mb_buf_destroy(&b);
   return out;
}

static void sleep_ms(long ms)
{
   struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

   while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
   }
}

static void payload_sha256(const void *data, size_t len, char *hdr, size_t size)
{
   static const char hex[] = "0123456789abcdef";
   unsigned char md[EVP_MAX_MD_SIZE];
   unsigned int mdlen = 0;
   int n = snprintf(hdr, size, "x-amz-content-sha256: ");

   EVP_Digest(data ? data : "", len, md, &mdlen, EVP_sha256(), NULL);
   for (unsigned int i = 0; i < mdlen && (size_t) n + 2 < size; i++) {
      hdr[n++] = hex[md[i] >> 4];
      hdr[n++] = hex[md[i] & 15];
   }
   hdr[n] = '\0';
}

typedef struct {
   const char *method;
   const char *key;   /* NULL: the bucket */
   const char *query; /* encoded, sorted by name; NULL: none */
   const char *const *headers;
   const void *body;
   size_t len;
   mb_http_data_fn on_data;
   void *user_data;
   /* called before each retry (a resumed GET moves its Range); may be NULL */
   void (*before_retry)(void *user_data);
} call_t;

static bool retryable(const mb_http_result_t *r, bool answered)
{
   if (!answered) {
      return !r->aborted;
   }
   return r->status >= 500 || r->status == 429;
}

/* Send with retries: true when an answer came (any status: the caller judges it, r holds it);
 * false with err ("<reason>") when every attempt failed to get one. */
static bool call(const conn_t *c, const call_t *k, mb_http_result_t *r, mb_error_t *err)
{
   const char *hdrs[9] = {0};
   char sha[96];
   mb_http_request_t rq = {0};
   long backoff = BACKOFF_MS;
   char *url = url_of(c, k->key, k->query);
   int n = 0;
   bool answered = false;

   for (const char *const *h = k->headers; h && *h && n < 6; h++) {
      hdrs[n++] = *h;
   }
   if (c->token) {
      hdrs[n++] = c->token;
   }
   /* the payload's hash, signed: libcurl 7.88 leaves it out of a PUT's signature otherwise */
   payload_sha256(k->body, k->body ? k->len : 0, sha, sizeof sha);
   hdrs[n++] = sha;
   rq = (mb_http_request_t){.method = k->method,
                            .url = url,
                            .headers = hdrs,
                            .body = k->body,
                            .body_len = k->len,
                            .aws_sigv4 = c->sigv4,
                            .userpwd = c->userpwd,
                            .connect_timeout_ms = 10000,
                            .stall_ms = c->stall_ms,
                            .on_data = k->on_data,
                            .user_data = k->user_data,
                            .max_body = ANSWER_MAX};
   for (int attempt = 0;; attempt++) {
      answered = mb_http_send(&rq, r, err);
      if (!retryable(r, answered) || attempt >= c->retries) {
         break;
      }
      if (answered) {
         mb_error_set(err, MB_EXIT_IO, "HTTP %ld", r->status);
      }
      mb_log(MB_LOG_WARN, "s3: %s s3://%s/%s: attempt %d failed (%s); retrying in %.1f s",
             k->method, c->bucket, k->key ? k->key : "", attempt + 1, err->message,
             (double) backoff / 1000.0);
      sleep_ms(r->retry_after >= 0 && r->retry_after * 1000 < BACKOFF_MAX_MS
                   ? (long) (r->retry_after * 1000)
                   : backoff);
      backoff = backoff * 2 < BACKOFF_MAX_MS ? backoff * 2 : BACKOFF_MAX_MS;
      mb_http_result_clear(r);
      if (k->before_retry) {
         k->before_retry(k->user_data);
      }
   }
   bson_free(url);
   return answered;
}

/* The one-line error of a failed request: "S3 PUT s3://b/k: 403 SignatureDoesNotMatch: ...". */
static void fail(const conn_t *c, const char *method, const char *key, const mb_http_result_t *r,
                 bool answered, mb_error_t *err)
{
   char *code = NULL, *msg = NULL;
   const char *hint = "", *what;
   mb_exit_t ec = MB_EXIT_IO;
   char status[32];

   if (!answered) {
      mb_error_prefix(err, "S3 %s s3://%s/%s", method, c->bucket, key ? key : "");
      if (!r->aborted) {
         size_t n = strlen(err->message);
         snprintf(err->message + n, sizeof err->message - n, "; check AWS_ENDPOINT_URL");
      }
      mb_error_recode(err, MB_EXIT_IO);
      return;
   }
   if (r->body.len) {
      code = mb_s3xml_text((const char *) r->body.data, r->body.len, "Code");
      msg = mb_s3xml_text((const char *) r->body.data, r->body.len, "Message");
   }
   what = code ? code : r->status == 404 ? "Not Found" : r->status == 403 ? "Forbidden" : "";
   if (code && strcmp(code, "SignatureDoesNotMatch") == 0) {
      hint = ": check AWS_SECRET_ACCESS_KEY";
      ec = MB_EXIT_AUTH;
   } else if (code && strcmp(code, "InvalidAccessKeyId") == 0) {
      hint = ": check AWS_ACCESS_KEY_ID";
      ec = MB_EXIT_AUTH;
   } else if (r->status == 403) {
      hint = code && strcmp(code, "AccessDenied") != 0
                 ? ""
                 : ": check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and the key's permissions";
      ec = MB_EXIT_AUTH;
   } else if (code && strcmp(code, "NoSuchBucket") == 0) {
      hint = ": create the bucket or fix the URL";
   } else if (r->status == 412) {
      ec = MB_EXIT_EXISTS;
   }
   snprintf(status, sizeof status, "%ld", r->status);
   mb_error_set(err, ec, "S3 %s s3://%s/%s: %s %s%s%s%s", method, c->bucket, key ? key : "", status,
                what, msg && code && strcmp(msg, code) != 0 ? " (" : "",
                msg && code && strcmp(msg, code) != 0 ? msg : "",
                msg && code && strcmp(msg, code) != 0 ? ")" : "");
   {
      size_t n = strlen(err->message);
      snprintf(err->message + n, sizeof err->message - n, "%s", hint);
   }
   bson_free(code);
   bson_free(msg);
}

/* call + judge: true on 2xx; else err is the one line of fail(). */
static bool request(const conn_t *c, const call_t *k, mb_http_result_t *r, mb_error_t *err)
{
   bool answered = call(c, k, r, err);

   if (answered && r->status >= 200 && r->status < 300) {
      return true;
   }
   fail(c, k->method, k->key, r, answered, err);
   return false;
}

static void content_md5(const void *data, size_t len, char *hdr, size_t size)
{
   unsigned char md[EVP_MAX_MD_SIZE];
   unsigned int mdlen = 0;
   unsigned char b64[64];

   EVP_Digest(data, len, md, &mdlen, EVP_md5(), NULL);
   EVP_EncodeBlock(b64, md, (int) mdlen);
   snprintf(hdr, size, "Content-MD5: %s", (const char *) b64);
}

/* ---------------------------------------------------------------- the repository */

static char *key_of(const s3_repo_t *r, const char *name)
{
   return bson_strdup_printf("%s%s", r->prefix, name);
}

typedef struct {
   const s3_repo_t *r;
   mb_repo_list_fn fn;
   void *user_data;
} list_t;

static bool list_item(const mb_s3xml_item_t *it, void *user_data)
{
   list_t *l = user_data;
   const char *name = it->key + strlen(l->r->prefix);
   mb_repo_entry_t e = {.name = name, .size = it->size, .mtime = it->mtime, .regular = true};

   if (strncmp(it->key, l->r->prefix, strlen(l->r->prefix)) != 0 || !*name) {
      return true;
   }
   return l->fn(&e, l->user_data);
}

static bool s3_list(mb_repo_t *base, const char *prefix, mb_repo_list_fn fn, void *user_data,
                    mb_error_t *err)
{
   s3_repo_t *r = (s3_repo_t *) base;
   list_t l = {r, fn, user_data};
   char *full = key_of(r, prefix), *eprefix = query_value(full), *token = NULL;
   bool ok = true, stopped = false;

   do {
      mb_http_result_t res = {0};
      char *etoken = token ? query_value(token) : NULL;
      char *q =
          bson_strdup_printf("%s%s%slist-type=2&prefix=%s", etoken ? "continuation-token=" : "",
                             etoken ? etoken : "", etoken ? "&" : "", eprefix);
      call_t k = {.method = "GET", .query = q};
      ok = request(r->conn, &k, &res, err);
      bson_free(token);
      token = NULL;
      if (ok) {
         ok = mb_s3xml_list((const char *) res.body.data, res.body.len, list_item, &l, &stopped,
                            &token, err);
         if (!ok) {
            mb_error_prefix(err, "S3 GET s3://%s/?prefix=%s", r->conn->bucket, full);
         }
      }
      mb_http_result_clear(&res);
      bson_free(q);
      bson_free(etoken);
   } while (ok && token && !stopped);
   bson_free(token);
   bson_free(eprefix);
   bson_free(full);
   return ok;
}

/* HEAD key: *exists, and its size/mtime in e. */
static bool head(const conn_t *c, const char *key, mb_repo_entry_t *e, bool *exists,
                 mb_error_t *err)
{
   mb_http_result_t res = {0};
   call_t k = {.method = "HEAD", .key = key};
   bool answered = call(c, &k, &res, err), ok = false;

   *exists = false;
   if (answered && res.status == 404) {
      ok = true;
   } else if (answered && res.status >= 200 && res.status < 300) {
      struct tm tm = {0};
      *exists = true;
      e->size = res.has_length ? res.length : 0;
      e->regular = true;
      if (strptime(res.last_modified, "%a, %d %b %Y %H:%M:%S GMT", &tm)) {
         e->mtime = timegm(&tm);
      }
      ok = true;
   } else {
      fail(c, "HEAD", key, &res, answered, err);
   }
   mb_http_result_clear(&res);
   return ok;
}

static bool s3_stat(mb_repo_t *base, const char *name, mb_repo_entry_t *out, bool *exists,
                    mb_error_t *err)
{
   s3_repo_t *r = (s3_repo_t *) base;
   char *key = key_of(r, name);
   bool ok = head(r->conn, key, out, exists, err);

   out->name = name;
   bson_free(key);
   return ok;
}

static bool s3_remove(mb_repo_t *base, const char *name, mb_error_t *err)
{
   s3_repo_t *r = (s3_repo_t *) base;
   mb_http_result_t res = {0};
   char *key = key_of(r, name);
   call_t k = {.method = "DELETE", .key = key};
   bool answered = call(r->conn, &k, &res, err);
   bool ok = answered && ((res.status >= 200 && res.status < 300) || res.status == 404);

   if (!ok) {
      fail(r->conn, "DELETE", key, &res, answered, err);
   }
   mb_http_result_clear(&res);
   bson_free(key);
   return ok;
}

/* PUT a whole object (If-None-Match: * with no_replace). */
static bool put_object(const conn_t *c, const char *key, bool no_replace, const void *data,
                       size_t len, mb_error_t *err)
{
   mb_http_result_t res = {0};
   char md5[64];
   const char *hdrs[] = {md5, "Content-Type: application/octet-stream",
                         no_replace ? "If-None-Match: *" : NULL, NULL};
   call_t k = {.method = "PUT", .key = key, .headers = hdrs, .body = data, .len = len};
   bool ok;

   content_md5(data, len, md5, sizeof md5);
   ok = request(c, &k, &res, err);
   mb_http_result_clear(&res);
   return ok;
}

/* The name to write for flags: name itself, or with MB_REPO_UNIQUE the first free "-N" name;
 * EXISTS for MB_REPO_NO_REPLACE when name exists. */
static bool pick_name(s3_repo_t *r, const char *name, unsigned flags, char **out, mb_error_t *err)
{
   mb_repo_entry_t e;
   bool exists = false;

   *out = NULL;
   if (!(flags & (MB_REPO_NO_REPLACE | MB_REPO_UNIQUE))) {
      *out = bson_strdup(name);
      return true;
   }
   for (int n = 1; n <= UNIQUE_MAX; n++) {
      char *cand = n == 1 ? bson_strdup(name) : mb_file_numbered_name(name, n);
      char *key = key_of(r, cand);
      bool ok = head(r->conn, key, &e, &exists, err);
      bson_free(key);
      if (!ok || !exists) {
         *out = ok ? cand : NULL;
         if (!ok) {
            bson_free(cand);
         }
         return ok;
      }
      bson_free(cand);
      if (!(flags & MB_REPO_UNIQUE)) {
         mb_error_set(err, MB_EXIT_EXISTS,
                      "'s3://%s/%s%s' exists; choose another name or allow replacing it",
                      r->conn->bucket, r->prefix, name);
         return false;
      }
   }
   mb_error_set(err, MB_EXIT_IO, "'s3://%s/%s%s' and its numbered names up to -%d exist",
                r->conn->bucket, r->prefix, name, UNIQUE_MAX);
   return false;
}

static bool s3_put(mb_repo_t *base, const char *name, unsigned flags, const void *data, size_t len,
                   mb_error_t *err)
{
   s3_repo_t *r = (s3_repo_t *) base;
   char *key = key_of(r, name);
   bool ok = put_object(r->conn, key, flags & MB_REPO_NO_REPLACE, data, len, err);

   bson_free(key);
   return ok;
}

/* ---------------------------------------------------------------- reading */

/* A GET of an object: the first 8 MiB by a ranged GET when the source is opened (a missing
 * object fails the open; a small object, a manifest, is read whole by it), with If-Match on its
 * ETag from then on so that every byte comes from the same object; then the rest by ONE
 * streaming GET (Range: bytes=N-) run by a thread of its own, which fills S3_PARTS_IN_FLIGHT
 * slots of 8 MiB in order ahead of read() and waits for a free slot when the reader is behind.
 * A dropped connection resumes from the last byte received. One stream, not ranges in parallel:
 * measured on SeaweedFS, a ranged GET deep in an object costs 0.28 s before its first byte and
 * four parallel ranges read 268 MB in 2.3 s where one stream takes 1.2 s. Memory is slots x 8 MiB.
 */
enum { SLOT_FREE, SLOT_FETCHING, SLOT_READY };

typedef struct src src_t;

typedef struct {
   src_t *src;
   uint8_t *buf;
   size_t len;     /* bytes fetched into buf */
   size_t want;    /* bytes of the range */
   uint64_t start; /* the range's offset in the object */
   uint64_t chunk; /* the chunk this slot holds or waits for */
   int state;
   char range[96];
} slot_t;

struct src {
   mb_source_t base;
   conn_t *conn;
   char *key;
   char if_match[160];
   uint64_t size;    /* the object's size (0 until known: one range only) */
   uint64_t nchunks; /* chunks after the first */
   uint64_t cur;     /* the chunk read() hands out */
   uint64_t first_start;
   size_t off;      /* handed out of the first range, then of the current slot */
   bool first_done; /* the first range handed out */
   slot_t first;
   slot_t *slots;
   int nslots;
   /* the streaming thread's own: */
   uint64_t filled; /* chunks complete */
   slot_t *fill;    /* the slot being filled, NULL between two */
   char range[96];
   /* under mu: */
   bool failed;
   mb_error_t fail_err; /* handed out after the chunks filled before it */
   pthread_t thread;
   bool started;
   pthread_mutex_t mu;
   pthread_cond_t cv;
   atomic_bool stop;
   bool sync_ok; /* mu and cv initialised */
};

static size_t src_on_data(const void *data, size_t len, void *user_data)
{
   slot_t *sl = user_data;
   size_t room = READ_CHUNK - sl->len, n = len < room ? len : room;

   if (atomic_load(&sl->src->stop)) {
      return 0; /* the source is being destroyed: abort the transfer */
   }
   memcpy(sl->buf + sl->len, data, n);
   sl->len += n;
   return n;
}

static void src_set_range(slot_t *sl)
{
   snprintf(sl->range, sizeof sl->range, "Range: bytes=%llu-%llu",
            (unsigned long long) (sl->start + sl->len),
            (unsigned long long) (sl->start + READ_CHUNK - 1));
}

/* A dropped connection resumes from the last byte received. */
static void src_before_retry(void *user_data)
{
   src_set_range(user_data);
}

/* Fetch the range at sl->start into sl->buf; *eof when the object ends within it. */
static bool src_fetch(src_t *s, slot_t *sl, bool *eof, mb_error_t *err)
{
   mb_http_result_t res = {0};
   const char *hdrs[] = {sl->range, s->if_match[0] ? s->if_match : NULL, NULL};
   call_t k = {.method = "GET",
               .key = s->key,
               .headers = hdrs,
               .on_data = src_on_data,
               .user_data = sl,
               .before_retry = src_before_retry};
   bool answered, ok = false;

   sl->len = 0;
   *eof = false;
   src_set_range(sl);
   answered = call(s->conn, &k, &res, err);
   if (!answered && res.aborted && !atomic_load(&s->stop)) {
      answered = true; /* the chunk is full: the server sent more than was asked */
      res.status = 206;
   }
   if (answered && res.status == 416) {
      *eof = true;
      ok = true;
   } else if (answered && (res.status == 206 || (res.status == 200 && sl->start == 0))) {
      if (!s->if_match[0] && res.etag[0]) {
         snprintf(s->if_match, sizeof s->if_match, "If-Match: %s", res.etag);
      }
      *eof = sl->len < READ_CHUNK || res.status == 200;
      ok = true;
   } else if (answered && res.status == 200) {
      mb_error_set(err, MB_EXIT_IO, "S3 GET s3://%s/%s: the server ignored the Range header",
                   s->conn->bucket, s->key);
   } else if (answered && res.status == 412) {
      mb_error_set(err, MB_EXIT_IO,
                   "S3 GET s3://%s/%s: the object was replaced while being read; read it again",
                   s->conn->bucket, s->key);
   } else if (atomic_load(&s->stop)) {
      mb_error_set(err, MB_EXIT_IO, "S3 GET s3://%s/%s: stopped", s->conn->bucket, s->key);
   } else {
      fail(s->conn, "GET", s->key, &res, answered, err);
   }
   mb_http_result_clear(&res);
   return ok;
}

/* The streaming GET's data: into the slot being filled; a full slot is marked ready and the next
 * one waited for (the reader frees it). Returns less than len to abort the transfer: the source
 * is being destroyed, or the object holds more than its size said. */
static size_t stream_on_data(const void *data, size_t len, void *user_data)
{
   src_t *s = user_data;
   size_t done = 0;

   while (done < len) {
      slot_t *sl = s->fill;
      size_t n;
      if (atomic_load(&s->stop) || (!sl && s->filled >= s->nchunks)) {
         return done;
      }
      if (!sl) {
         sl = &s->slots[s->filled % (uint64_t) s->nslots];
         pthread_mutex_lock(&s->mu);
         while (!atomic_load(&s->stop) && !(sl->chunk == s->filled && sl->state == SLOT_FREE)) {
            pthread_cond_wait(&s->cv, &s->mu);
         }
         sl->state = SLOT_FETCHING;
         pthread_mutex_unlock(&s->mu);
         if (atomic_load(&s->stop)) {
            return done;
         }
         sl->len = 0;
         sl->start = s->first_start + (s->filled + 1) * (uint64_t) READ_CHUNK;
         sl->want = s->size - sl->start < READ_CHUNK ? (size_t) (s->size - sl->start) : READ_CHUNK;
         s->fill = sl;
      }
      n = len - done < sl->want - sl->len ? len - done : sl->want - sl->len;
      memcpy(sl->buf + sl->len, (const uint8_t *) data + done, n);
      sl->len += n;
      done += n;
      if (sl->len == sl->want) {
         pthread_mutex_lock(&s->mu);
         sl->state = SLOT_READY;
         s->filled++;
         pthread_cond_broadcast(&s->cv);
         pthread_mutex_unlock(&s->mu);
         s->fill = NULL;
      }
   }
   return len;
}

/* Where the stream goes on: the next byte not yet received. */
static void stream_set_range(void *user_data)
{
   src_t *s = user_data;
   uint64_t pos =
       s->first_start + (s->filled + 1) * (uint64_t) READ_CHUNK + (s->fill ? s->fill->len : 0);

   snprintf(s->range, sizeof s->range, "Range: bytes=%llu-", (unsigned long long) pos);
}

static void *src_streamer(void *user_data)
{
   src_t *s = user_data;
   mb_http_result_t res = {0};
   mb_error_t e = {0};
   const char *hdrs[] = {s->range, s->if_match[0] ? s->if_match : NULL, NULL};
   call_t k = {.method = "GET",
               .key = s->key,
               .headers = hdrs,
               .on_data = stream_on_data,
               .user_data = s,
               .before_retry = stream_set_range};
   bool answered, ok;

   stream_set_range(s);
   answered = call(s->conn, &k, &res, &e);
   ok = answered && res.status == 206 && s->filled == s->nchunks;
   if (atomic_load(&s->stop)) {
      ok = true; /* nobody reads any more */
   } else if (((answered && res.status == 206) || (!answered && res.aborted)) && !ok) {
      uint64_t pos =
          s->first_start + (s->filled + 1) * (uint64_t) READ_CHUNK + (s->fill ? s->fill->len : 0);
      mb_error_set(&e, MB_EXIT_IO,
                   "S3 GET s3://%s/%s: the object %s at offset %llu where its size is %llu (it "
                   "changed while being read?); read it again",
                   s->conn->bucket, s->key, res.aborted ? "goes on" : "ends",
                   (unsigned long long) pos, (unsigned long long) s->size);
   } else if (answered && res.status == 412) {
      mb_error_set(&e, MB_EXIT_IO,
                   "S3 GET s3://%s/%s: the object was replaced while being read; read it again",
                   s->conn->bucket, s->key);
   } else if (!ok) {
      fail(s->conn, "GET", s->key, &res, answered, &e);
   }
   mb_http_result_clear(&res);
   pthread_mutex_lock(&s->mu);
   if (!ok) {
      s->fail_err = e;
      s->failed = true;
   }
   pthread_cond_broadcast(&s->cv);
   pthread_mutex_unlock(&s->mu);
   return NULL;
}

static bool src_read(mb_source_t *base, void *buf, size_t cap, size_t *got, mb_error_t *err)
{
   src_t *s = (src_t *) base;
   slot_t *sl;
   size_t n;

   *got = 0;
   if (!s->first_done) { /* the first range, fetched at the open */
      n = s->first.len - s->off < cap ? s->first.len - s->off : cap;
      memcpy(buf, s->first.buf + s->off, n);
      s->off += n;
      *got = n;
      if (s->off == s->first.len) {
         s->first_done = true;
         s->off = 0;
      }
      if (n > 0) {
         return true;
      }
   }
   if (s->cur >= s->nchunks) {
      return true; /* the end */
   }
   sl = &s->slots[s->cur % (uint64_t) s->nslots];
   pthread_mutex_lock(&s->mu);
   while (!(sl->chunk == s->cur && sl->state == SLOT_READY) && !s->failed) {
      pthread_cond_wait(&s->cv, &s->mu);
   }
   if (!(sl->chunk == s->cur && sl->state == SLOT_READY)) {
      *err = s->fail_err;
      pthread_mutex_unlock(&s->mu);
      return false;
   }
   pthread_mutex_unlock(&s->mu);
   n = sl->len - s->off < cap ? sl->len - s->off : cap;
   memcpy(buf, sl->buf + s->off, n);
   s->off += n;
   *got = n;
   if (s->off == sl->len) { /* done with this range: its slot takes the range nslots later */
      pthread_mutex_lock(&s->mu);
      sl->state = SLOT_FREE;
      sl->chunk += (uint64_t) s->nslots;
      s->cur++;
      s->off = 0;
      pthread_cond_broadcast(&s->cv);
      pthread_mutex_unlock(&s->mu);
   }
   return true;
}

static void src_destroy(mb_source_t *base)
{
   src_t *s = (src_t *) base;

   atomic_store(&s->stop, true);
   if (s->sync_ok) {
      pthread_mutex_lock(&s->mu);
      pthread_cond_broadcast(&s->cv);
      pthread_mutex_unlock(&s->mu);
   }
   if (s->started) {
      pthread_join(s->thread, NULL);
   }
   if (s->sync_ok) {
      pthread_mutex_destroy(&s->mu);
      pthread_cond_destroy(&s->cv);
   }
   for (int i = 0; s->slots && i < s->nslots; i++) {
      free(s->slots[i].buf);
   }
   free(s->slots);
   free(s->first.buf);
   conn_release(s->conn);
   bson_free(s->key);
   free(s);
}

/* After the first range: the object's size, the slots and the streaming thread. */
static bool src_start_readers(src_t *s, mb_error_t *err)
{
   mb_repo_entry_t e = {0};
   bool exists;
   uint64_t rest;

   if (!head(s->conn, s->key, &e, &exists, err)) {
      return false;
   }
   if (!exists || e.size < s->first_start + s->first.len) {
      mb_error_set(err, MB_EXIT_IO,
                   "S3 GET s3://%s/%s: the object changed while being read; read it again",
                   s->conn->bucket, s->key);
      return false;
   }
   s->size = e.size;
   rest = s->size - s->first_start - s->first.len;
   s->nchunks = (rest + READ_CHUNK - 1) / READ_CHUNK;
   if (s->nchunks == 0) {
      return true;
   }
   s->nslots = s->conn->in_flight > 0 ? s->conn->in_flight : 1;
   if ((uint64_t) s->nslots > s->nchunks) {
      s->nslots = (int) s->nchunks;
   }
   if (pthread_mutex_init(&s->mu, NULL) != 0 || pthread_cond_init(&s->cv, NULL) != 0) {
      mb_error_set(err, MB_EXIT_FAILURE, "cannot initialise a lock");
      return false;
   }
   s->sync_ok = true;
   s->slots = calloc((size_t) s->nslots, sizeof *s->slots);
   if (!s->slots) {
      mb_error_set(err, MB_EXIT_FAILURE, "out of memory");
      return false;
   }
   for (int i = 0; i < s->nslots; i++) {
      s->slots[i] = (slot_t){.src = s, .chunk = (uint64_t) i, .buf = malloc(READ_CHUNK)};
      if (!s->slots[i].buf) {
         mb_error_set(err, MB_EXIT_FAILURE, "out of memory");
         return false;
      }
   }
   if (pthread_create(&s->thread, NULL, src_streamer, s) != 0) {
      mb_error_set(err, MB_EXIT_FAILURE, "cannot start a reader thread");
      return false;
   }
   s->started = true;
   return true;
}

static bool s3_open_read(mb_repo_t *base, const char *name, uint64_t offset, mb_source_t **out,
                         mb_error_t *err)
{
   static const mb_source_t ops = {.read = src_read, .destroy = src_destroy};
   s3_repo_t *r = (s3_repo_t *) base;
   src_t *s = mb_source_alloc(sizeof *s, &ops, err);
   bool eof;

   if (!s) {
      return false;
   }
   atomic_init(&s->stop, false);
   s->conn = conn_ref(r->conn);
   s->key = key_of(r, name);
   s->first_start = offset;
   s->first = (slot_t){.src = s, .start = offset, .buf = malloc(READ_CHUNK)};
   if (!s->first.buf) {
      mb_error_set(err, MB_EXIT_FAILURE, "out of memory");
      src_destroy(&s->base);
      return false;
   }
   /* the first range now, so that a missing object fails the open */
   if (!src_fetch(s, &s->first, &eof, err) || (!eof && !src_start_readers(s, err))) {
      src_destroy(&s->base);
      return false;
   }
   *out = &s->base;
   return true;
}

/* ---------------------------------------------------------------- writing */

typedef struct part {
   struct part *next;
   int number;
   uint8_t *data;
   size_t len;
} part_t;

typedef struct {
   mb_sink_t base;
   conn_t *conn;
   char *key;
   char *name;
   bool no_replace;
   part_t *cur; /* the part being filled */
   size_t cur_cap;
   int parts; /* parts made so far */
   char *upload_id;
   /* the workers' queue */
   pthread_mutex_t mu;
   pthread_cond_t cv;
   pthread_t *workers;
   int nworkers;
   part_t *head, *tail;
   int queued;
   bool done;   /* no more parts will come */
   bool failed; /* a part failed: err holds why */
   mb_error_t part_err;
   char **etags; /* by part number - 1 */
   int etags_cap;
   bool committed;
} sink_t;

static size_t part_size(int number)
{
   int doublings = (number - 1) / PART_GROWTH;

   return (size_t) PART_MIN << (doublings < 9 ? doublings : 9);
}

static part_t *part_new(int number, size_t cap)
{
   part_t *p = calloc(1, sizeof *p);

   if (p) {
      p->number = number;
      p->data = malloc(cap);
      if (!p->data) {
         free(p);
         p = NULL;
      }
   }
   return p;
}

static void part_free(part_t *p)
{
   if (p) {
      free(p->data);
      free(p);
   }
}

static bool upload_part(sink_t *s, const part_t *p, char **etag, mb_error_t *err)
{
   mb_http_result_t res = {0};
   char md5[64], *id = query_value(s->upload_id);
   char *q = bson_strdup_printf("partNumber=%d&uploadId=%s", p->number, id);
   const char *hdrs[] = {md5, NULL};
   call_t k = {
       .method = "PUT", .key = s->key, .query = q, .headers = hdrs, .body = p->data, .len = p->len};
   bool ok;

   content_md5(p->data, p->len, md5, sizeof md5);
   ok = request(s->conn, &k, &res, err);
   if (ok && !res.etag[0]) {
      mb_error_set(err, MB_EXIT_IO, "S3 PUT s3://%s/%s part %d: no ETag in the answer",
                   s->conn->bucket, s->key, p->number);
      ok = false;
   }
   if (ok) {
      *etag = bson_strdup(res.etag);
   } else {
      mb_error_prefix(err, "part %d", p->number);
   }
   mb_http_result_clear(&res);
   bson_free(q);
   bson_free(id);
   return ok;
}

static void *worker(void *user_data)
{
   sink_t *s = user_data;

   for (;;) {
      part_t *p;
      char *etag = NULL;
      mb_error_t e = {0};
      bool ok;

      pthread_mutex_lock(&s->mu);
      while (!s->head && !s->done && !s->failed) {
         pthread_cond_wait(&s->cv, &s->mu);
      }
      if (!s->head || s->failed) {
         pthread_mutex_unlock(&s->mu);
         return NULL;
      }
      p = s->head;
      s->head = p->next;
      if (!s->head) {
         s->tail = NULL;
      }
      s->queued--;
      pthread_cond_broadcast(&s->cv);
      pthread_mutex_unlock(&s->mu);

      ok = upload_part(s, p, &etag, &e);
      pthread_mutex_lock(&s->mu);
      if (ok) {
         s->etags[p->number - 1] = etag;
      } else if (!s->failed) {
         s->failed = true;
         s->part_err = e;
      }
      pthread_cond_broadcast(&s->cv);
      pthread_mutex_unlock(&s->mu);
      part_free(p);
   }
}

static void abort_upload(const conn_t *c, const char *key, const char *upload_id);

typedef bool (*upload_want_fn)(const mb_s3xml_item_t *it, void *user_data);

/* The uploads of one page of ListMultipartUploads to abort. */
typedef struct {
   upload_want_fn want;
   void *user_data;
   char **keys, **ids;
   int n, cap;
} doomed_t;

static bool collect_upload(const mb_s3xml_item_t *it, void *user_data)
{
   doomed_t *d = user_data;

   if (!*it->upload_id || !d->want(it, d->user_data)) {
      return true;
   }
   if (d->n == d->cap) {
      d->cap = d->cap ? 2 * d->cap : 16;
      d->keys = bson_realloc(d->keys, sizeof *d->keys * (size_t) d->cap);
      d->ids = bson_realloc(d->ids, sizeof *d->ids * (size_t) d->cap);
   }
   d->keys[d->n] = bson_strdup(it->key);
   d->ids[d->n++] = bson_strdup(it->upload_id);
   return true;
}

/* The query of ListMultipartUploads under eprefix (encoded) from marker ("KEY\nUPLOAD-ID", or
 * NULL for the first page); the parameters in order, as SigV4 signs them. */
static char *uploads_query(const char *eprefix, const char *marker)
{
   const char *nl = marker ? strchr(marker, '\n') : NULL;
   char *key, *ekey, *eid, *q;

   if (!nl) {
      return bson_strdup_printf("prefix=%s&uploads=", eprefix);
   }
   key = bson_strndup(marker, (size_t) (nl - marker));
   ekey = query_value(key);
   eid = query_value(nl + 1);
   q = *eid ? bson_strdup_printf("key-marker=%s&prefix=%s&upload-id-marker=%s&uploads=", ekey,
                                 eprefix, eid)
            : bson_strdup_printf("key-marker=%s&prefix=%s&uploads=", ekey, eprefix);
   bson_free(eid);
   bson_free(ekey);
   bson_free(key);
   return q;
}

/* Abort the multipart uploads of the keys starting with key_prefix that want accepts, every page
 * of ListMultipartUploads (key-marker, upload-id-marker); *aborted counts them. */
static bool abort_uploads(const conn_t *c, const char *key_prefix, upload_want_fn want,
                          void *user_data, int *aborted, mb_error_t *err)
{
   char *eprefix = query_value(key_prefix), *next = NULL;
   bool ok, stopped = false;

   *aborted = 0;
   do {
      mb_http_result_t res = {0};
      doomed_t d = {.want = want, .user_data = user_data};
      char *q = uploads_query(eprefix, next);
      call_t k = {.method = "GET", .query = q};

      bson_free(next);
      next = NULL;
      ok = request(c, &k, &res, err);
      if (ok && !mb_s3xml_list((const char *) res.body.data, res.body.len, collect_upload, &d,
                               &stopped, &next, err)) {
         mb_error_prefix(err, "S3 GET s3://%s/?uploads&prefix=%s", c->bucket, key_prefix);
         ok = false;
      }
      for (int i = 0; i < d.n; i++) {
         mb_log(MB_LOG_INFO,
                "s3: aborting the unfinished upload of s3://%s/%s left by a killed run", c->bucket,
                d.keys[i]);
         abort_upload(c, d.keys[i], d.ids[i]);
         bson_free(d.keys[i]);
         bson_free(d.ids[i]);
      }
      *aborted += d.n;
      bson_free(d.keys);
      bson_free(d.ids);
      mb_http_result_clear(&res);
      bson_free(q);
   } while (ok && next);
   bson_free(next);
   bson_free(eprefix);
   return ok;
}

static bool same_key(const mb_s3xml_item_t *it, void *user_data)
{
   return strcmp(it->key, user_data) == 0;
}

/* Abort unfinished uploads of key left by a killed process (best effort). */
static void abort_leftovers(sink_t *s)
{
   mb_error_t e = {0};
   int n;

   if (!abort_uploads(s->conn, s->key, same_key, s->key, &n, &e)) {
      mb_log(MB_LOG_DEBUG, "s3: unfinished uploads of s3://%s/%s not listed: %s", s->conn->bucket,
             s->key, e.message);
   }
}

static bool start_upload(sink_t *s, mb_error_t *err)
{
   mb_http_result_t res = {0};
   call_t k = {.method = "POST", .key = s->key, .query = "uploads="};
   bool ok;

   abort_leftovers(s);
   ok = request(s->conn, &k, &res, err);
   if (ok) {
      s->upload_id = mb_s3xml_text((const char *) res.body.data, res.body.len, "UploadId");
      if (!s->upload_id || !*s->upload_id) {
         mb_error_set(err, MB_EXIT_IO, "S3 POST s3://%s/%s?uploads: no UploadId in the answer",
                      s->conn->bucket, s->key);
         ok = false;
      }
   }
   mb_http_result_clear(&res);
   if (!ok) {
      return false;
   }
   s->etags_cap = PARTS_MAX;
   s->etags = calloc((size_t) s->etags_cap, sizeof *s->etags);
   s->workers = calloc((size_t) s->nworkers, sizeof *s->workers);
   if (!s->etags || !s->workers) {
      mb_error_set(err, MB_EXIT_FAILURE, "out of memory");
      return false;
   }
   for (int i = 0; i < s->nworkers; i++) {
      if (pthread_create(&s->workers[i], NULL, worker, s) != 0) {
         s->nworkers = i;
         mb_error_set(err, MB_EXIT_FAILURE, "cannot start an upload thread");
         return false;
      }
   }
   return true;
}

/* Hand the current part to the workers (waiting while the queue is full). */
static bool enqueue(sink_t *s, mb_error_t *err)
{
   part_t *p = s->cur;

   if (!s->upload_id && !start_upload(s, err)) {
      return false;
   }
   s->cur = NULL;
   pthread_mutex_lock(&s->mu);
   while (s->queued >= 1 && !s->failed) {
      pthread_cond_wait(&s->cv, &s->mu);
   }
   if (s->failed) {
      *err = s->part_err;
      pthread_mutex_unlock(&s->mu);
      part_free(p);
      return false;
   }
   if (s->tail) {
      s->tail->next = p;
   } else {
      s->head = p;
   }
   s->tail = p;
   s->queued++;
   pthread_cond_broadcast(&s->cv);
   pthread_mutex_unlock(&s->mu);
   return true;
}

static bool sink_write(mb_sink_t *base, const void *data, size_t len, mb_error_t *err)
{
   sink_t *s = (sink_t *) base;
   const uint8_t *d = data;

   while (len > 0) {
      size_t n;
      if (!s->cur) {
         if (s->parts >= PARTS_MAX) {
            mb_error_set(err, MB_EXIT_IO, "S3 PUT s3://%s/%s: larger than %d parts allow",
                         s->conn->bucket, s->key, PARTS_MAX);
            return false;
         }
         s->cur_cap = part_size(s->parts + 1);
         s->cur = part_new(++s->parts, s->cur_cap);
         if (!s->cur) {
            mb_error_set(err, MB_EXIT_FAILURE, "out of memory for a %zu-byte upload part",
                         s->cur_cap);
            return false;
         }
      }
      n = s->cur_cap - s->cur->len < len ? s->cur_cap - s->cur->len : len;
      memcpy(s->cur->data + s->cur->len, d, n);
      s->cur->len += n;
      d += n;
      len -= n;
      if (s->cur->len == s->cur_cap && !enqueue(s, err)) {
         return false;
      }
   }
   return true;
}

/* Stop the workers: after the queue drains (done) or at once (failed). */
static void join_workers(sink_t *s, bool drain)
{
   pthread_mutex_lock(&s->mu);
   s->done = true;
   if (!drain && !s->failed) {
      s->failed = true;
      mb_error_set(&s->part_err, MB_EXIT_INTERRUPTED, "upload abandoned");
   }
   pthread_cond_broadcast(&s->cv);
   pthread_mutex_unlock(&s->mu);
   for (int i = 0; i < s->nworkers; i++) {
      pthread_join(s->workers[i], NULL);
   }
   s->nworkers = 0;
}

static bool complete(sink_t *s, mb_error_t *err)
{
   mb_http_result_t res = {0};
   mb_buf_t xml;
   char *id = query_value(s->upload_id), *q = bson_strdup_printf("uploadId=%s", id), *code;
   const char *hdrs[] = {"Content-Type: application/xml", s->no_replace ? "If-None-Match: *" : NULL,
                         NULL};
   call_t k = {.method = "POST", .key = s->key, .query = q, .headers = hdrs};
   bool ok;

   mb_buf_init(&xml, (size_t) PARTS_MAX * 200 + 256);
   ok = mb_buf_printf(&xml, err, "<CompleteMultipartUpload>");
   for (int i = 0; ok && i < s->parts; i++) {
      ok = mb_buf_printf(&xml, err, "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>",
                         i + 1, s->etags[i]);
   }
   ok = ok && mb_buf_printf(&xml, err, "</CompleteMultipartUpload>");
   if (ok) {
      k.body = xml.data;
      k.len = xml.len;
      ok = request(s->conn, &k, &res, err);
   }
   /* a 200 answer can still carry an <Error> */
   if (ok && res.body.len &&
       (code = mb_s3xml_text((const char *) res.body.data, res.body.len, "Code")) != NULL) {
      mb_error_set(err, MB_EXIT_IO, "S3 POST s3://%s/%s?uploadId: %s", s->conn->bucket, s->key,
                   code);
      bson_free(code);
      ok = false;
   }
   mb_http_result_clear(&res);
   mb_buf_destroy(&xml);
   bson_free(q);
   bson_free(id);
   return ok;
}

static bool sink_close(mb_sink_t *base, mb_error_t *err)
{
   sink_t *s = (sink_t *) base;

   if (!s->upload_id) {
      /* shorter than one part: one PUT */
      bool ok =
          put_object(s->conn, s->key, s->no_replace, s->cur ? (const void *) s->cur->data : "",
                     s->cur ? s->cur->len : 0, err);
      s->committed = ok;
      return ok;
   }
   if (s->cur && s->cur->len > 0 && !enqueue(s, err)) {
      return false;
   }
   if (s->cur) { /* an empty last part is not sent */
      part_free(s->cur);
      s->cur = NULL;
      s->parts--;
   }
   join_workers(s, true);
   if (s->failed) {
      *err = s->part_err;
      return false;
   }
   s->committed = complete(s, err);
   return s->committed;
}

static void abort_upload(const conn_t *c, const char *key, const char *upload_id)
{
   mb_http_result_t res = {0};
   char *id = query_value(upload_id), *q = bson_strdup_printf("uploadId=%s", id);
   call_t k = {.method = "DELETE", .key = key, .query = q};
   mb_error_t e = {0};

   if (!request(c, &k, &res, &e) && res.status != 404) {
      mb_log(MB_LOG_WARN,
             "s3: cannot abort the unfinished upload of s3://%s/%s (%s); the next "
             "upload of that name aborts it",
             c->bucket, key, e.message);
   }
   mb_http_result_clear(&res);
   bson_free(q);
   bson_free(id);
}

static void sink_destroy(mb_sink_t *base)
{
   sink_t *s = (sink_t *) base;

   if (s->workers) {
      join_workers(s, false);
   }
   if (s->upload_id && !s->committed) {
      abort_upload(s->conn, s->key, s->upload_id);
   }
   while (s->head) {
      part_t *p = s->head;
      s->head = p->next;
      part_free(p);
   }
   part_free(s->cur);
   for (int i = 0; s->etags && i < s->etags_cap; i++) {
      bson_free(s->etags[i]);
   }
   free(s->etags);
   free(s->workers);
   pthread_mutex_destroy(&s->mu);
   pthread_cond_destroy(&s->cv);
   bson_free(s->upload_id);
   bson_free(s->key);
   bson_free(s->name);
   conn_release(s->conn);
   free(s);
}

/* Fail early (before a long dump) when the bucket is missing: some stores (SeaweedFS) would
 * create it on the first PUT instead. */
static bool bucket_exists(const conn_t *c, mb_error_t *err)
{
   mb_http_result_t res = {0};
   call_t k = {.method = "HEAD"};
   bool answered = call(c, &k, &res, err), ok = answered && res.status >= 200 && res.status < 300;

   if (answered && res.status == 404) {
      mb_error_set(err, MB_EXIT_IO,
                   "S3 HEAD s3://%s: 404 NoSuchBucket: create the bucket or fix the URL",
                   c->bucket);
   } else if (!ok) {
      fail(c, "HEAD", NULL, &res, answered, err);
   }
   mb_http_result_clear(&res);
   return ok;
}

static bool s3_create(mb_repo_t *base, const char *name, unsigned flags, mb_sink_t **out,
                      mb_error_t *err)
{
   static const mb_sink_t ops = {.write = sink_write, .close = sink_close, .destroy = sink_destroy};
   s3_repo_t *r = (s3_repo_t *) base;
   char *final = NULL;
   sink_t *s;

   if (!bucket_exists(r->conn, err) || !pick_name(r, name, flags, &final, err)) {
      return false;
   }
   s = mb_sink_alloc(sizeof *s, &ops, err);
   if (!s) {
      bson_free(final);
      return false;
   }
   pthread_mutex_init(&s->mu, NULL);
   pthread_cond_init(&s->cv, NULL);
   s->conn = conn_ref(r->conn);
   s->name = final;
   s->key = key_of(r, final);
   s->no_replace = flags & (MB_REPO_NO_REPLACE | MB_REPO_UNIQUE);
   s->nworkers = r->conn->in_flight;
   *out = &s->base;
   return true;
}

static const char *s3_sink_name(const mb_repo_t *r, const mb_sink_t *base)
{
   (void) r;
   return ((const sink_t *) base)->name;
}

static void s3_destroy(mb_repo_t *base)
{
   s3_repo_t *r = (s3_repo_t *) base;

   conn_release(r->conn);
   bson_free(r->prefix);
   free(r);
}

typedef struct {
   const s3_repo_t *r;
   mb_repo_upload_fn fn;
   void *user_data;
} upload_filter_t;

static bool repo_upload_wanted(const mb_s3xml_item_t *it, void *user_data)
{
   upload_filter_t *f = user_data;
   size_t np = strlen(f->r->prefix);
   mb_repo_upload_t u = {.name = it->key + np, .started = it->mtime};

   return strncmp(it->key, f->r->prefix, np) == 0 && *u.name && f->fn(&u, f->user_data);
}

static bool s3_abort_uploads(mb_repo_t *base, const char *prefix, mb_repo_upload_fn fn,
                             void *user_data, int *aborted, mb_error_t *err)
{
   s3_repo_t *r = (s3_repo_t *) base;
   upload_filter_t f = {r, fn, user_data};
   char *full = key_of(r, prefix);
   bool ok = abort_uploads(r->conn, full, repo_upload_wanted, &f, aborted, err);

   bson_free(full);
   return ok;
}

static const mb_repo_ops_t g_s3_ops = {
    .scheme = "s3",
    .list = s3_list,
    .create = s3_create,
    .sink_name = s3_sink_name,
    .put = s3_put,
    .open_read = s3_open_read,
    .stat = s3_stat,
    .remove = s3_remove,
    .rename = NULL,
    .abort_uploads = s3_abort_uploads,
    .destroy = s3_destroy,
};

/* The bucket's URL: "<endpoint>/<bucket>" (path-style) or "<scheme>://<bucket>.<host>"; AWS
 * itself without an endpoint. */
static char *bucket_url(const char *bucket)
{
   const char *ep = g_cfg.endpoint, *host;
   char *aws = NULL, *out;
   bool path = g_cfg.path_style >= 0 ? g_cfg.path_style : ep != NULL;
   size_t eplen;

   if (!ep) {
      aws = bson_strdup_printf("https://s3.%s.amazonaws.com", g_cfg.region);
      ep = aws;
   }
   eplen = strlen(ep);
   while (eplen && ep[eplen - 1] == '/') {
      eplen--;
   }
   host = strstr(ep, "://");
   host = host ? host + 3 : ep;
   out = path ? bson_strdup_printf("%.*s/%s", (int) eplen, ep, bucket)
              : bson_strdup_printf("%.*s%s.%.*s", (int) (host - ep), ep, bucket,
                                   (int) (eplen - (size_t) (host - ep)), host);
   bson_free(aws);
   return out;
}

bool mb_repo_s3_open(const char *url, unsigned flags, mb_repo_t **out, mb_error_t *err)
{
   const char *b = url + 5, *slash = strchr(b, '/');
   size_t blen = slash ? (size_t) (slash - b) : strlen(b);
   s3_repo_t *r;
   conn_t *c;
   mb_error_t ce = {0};

   (void) flags;
   if (blen == 0) {
      mb_error_set(err, MB_EXIT_USAGE, "'%s' names no bucket: write s3://BUCKET/PREFIX", url);
      return false;
   }
   if (!g_cfg.set && !mb_repo_s3_configure(NULL, NULL, &ce)) {
      *err = ce;
      return false;
   }
   r = calloc(1, sizeof *r);
   c = calloc(1, sizeof *c);
   if (!r || !c) {
      free(r);
      free(c);
      mb_error_set(err, MB_EXIT_FAILURE, "out of memory");
      return false;
   }
   atomic_init(&c->refs, 1);
   c->bucket = bson_strndup(b, blen);
   pthread_mutex_lock(&g_cfg.mu);
   c->base = bucket_url(c->bucket);
   c->sigv4 = bson_strdup_printf("aws:amz:%s:s3", g_cfg.region);
   c->userpwd = bson_strdup_printf("%s:%s", g_cfg.access_key ? g_cfg.access_key : "",
                                   g_cfg.secret_key ? g_cfg.secret_key : "");
   c->token = g_cfg.token ? bson_strdup_printf("x-amz-security-token: %s", g_cfg.token) : NULL;
   c->stall_ms = g_cfg.stall_ms;
   c->retries = g_cfg.retries;
   c->in_flight = g_cfg.in_flight;
   pthread_mutex_unlock(&g_cfg.mu);
   r->base.ops = &g_s3_ops;
   r->base.url = bson_strdup(url);
   r->conn = c;
   /* the prefix, always ending in '/' when not empty */
   if (slash && slash[1]) {
      size_t n = strlen(slash + 1);
      while (n && slash[1 + n - 1] == '/') {
         n--;
      }
      r->prefix = n ? bson_strdup_printf("%.*s/", (int) n, slash + 1) : bson_strdup("");
   } else {
      r->prefix = bson_strdup("");
   }
   *out = &r->base;
   return true;
}
