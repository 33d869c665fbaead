/* HTTP POST with a bounded retry policy, shared by the Discord, webhook and healthcheck
 * channels (and by storage drivers that speak HTTP): HTTP 429 waits for retry_after (JSON body) or
 * Retry-After (header); 5xx and network errors are retried with exponential backoff; everything
 * fits in one deadline. */
#ifndef MB_COMMON_HTTP_H
#define MB_COMMON_HTTP_H

#include "common/buf.h"
#include "common/error.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
   long connect_timeout_ms; /* per attempt */
   long timeout_ms;         /* the whole call: every attempt and every wait */
   int retries;             /* attempts after the first (429, 5xx, network errors) */
   long backoff_ms;         /* first wait; doubles after each retry */
} mb_http_policy_t;

typedef struct {
   int attempts;
   long status; /* last HTTP status; 0 when no response came */
} mb_http_outcome_t;

/* POST body (len bytes of content_type) to url. what names the channel in log lines
 * ("discord"). True on a 2xx answer. Errors (code FAILURE) are one line without the URL:
 * "HTTP 500 Internal Server Error after 4 attempts: <start of body>", "cannot connect: ...",
 * "no answer within 5.0 s", "rate limited (HTTP 429) for 120.0 s, more than the 3.2 s left". */
MB_MUST_CHECK bool mb_http_post(const char *what, const char *url, const char *content_type,
                                const char *body, size_t len, const mb_http_policy_t *p,
                                mb_http_outcome_t *o, mb_error_t *err);

/* One request, one attempt (the caller decides about retries): what storage drivers that speak
 * HTTP need beyond mb_http_post. */
typedef size_t (*mb_http_data_fn)(const void *data, size_t len, void *user_data);

typedef struct {
   const char *method;         /* "GET", "PUT", "POST", "HEAD", "DELETE" */
   const char *url;            /* already percent-encoded */
   const char *const *headers; /* "Name: value" lines, NULL-terminated; may be NULL */
   const void *body;           /* sent with PUT and POST (body_len bytes; may be 0) */
   size_t body_len;
   const char *aws_sigv4;   /* CURLOPT_AWS_SIGV4 ("aws:amz:REGION:s3"), or NULL */
   const char *userpwd;     /* "user:password" for the signature, or NULL (borrowed) */
   long connect_timeout_ms; /* 0: libcurl's default */
   long timeout_ms;         /* the whole request; 0: none */
   long stall_ms;           /* abort when less than 1 byte/s moved for this long; 0: never */
   mb_http_data_fn on_data; /* the answer's body for 2xx answers; NULL: kept in the result */
   void *user_data;
   size_t max_body; /* how much of a kept body to keep (the rest is dropped) */
} mb_http_request_t;

typedef struct {
   long status;     /* 0 when no answer came */
   mb_buf_t body;   /* the kept body (non-2xx answers always, 2xx without on_data) */
   char etag[128];  /* the ETag header, quotes included; "" when absent */
   uint64_t length; /* Content-Length; has_length tells whether it came */
   bool has_length;
   char last_modified[64];
   double retry_after; /* seconds from Retry-After; -1 when absent */
   bool timed_out;     /* the attempt ended on timeout_ms or stall_ms */
   bool aborted;       /* on_data returned less than it was given */
} mb_http_result_t;

/* Send rq once. True when an answer came (whatever its status: judge r->status); false (code
 * FAILURE, "cannot connect: ...", "no answer within 5.0 s", "connection dropped: ...") when none
 * came or the transfer broke. r is initialised here and cleared with mb_http_result_clear. */
MB_MUST_CHECK bool mb_http_send(const mb_http_request_t *rq, mb_http_result_t *r, mb_error_t *err);
void mb_http_result_clear(mb_http_result_t *r);

/* The URL reduced to what may be logged (scheme and authority, then "/" and three asterisks; no
 * user-info). */
void mb_http_redact_url(const char *url, char *out, size_t size);

/* Milliseconds on the monotonic clock. */
long long mb_http_now_ms(void);

#endif
