/* HTTP POST with a bounded retry policy, shared by the Discord, webhook and healthcheck
 * channels (and by storage drivers that speak HTTP): HTTP 429 waits for retry_after (JSON body) or
 * Retry-After (header); 5xx and network errors are retried with exponential backoff; everything
 * fits in one deadline. */
#ifndef MB_COMMON_HTTP_H
#define MB_COMMON_HTTP_H

#include "common/error.h"

#include <stddef.h>

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

/* The URL reduced to what may be logged (scheme and authority, then "/" and three asterisks; no
 * user-info). */
void mb_http_redact_url(const char *url, char *out, size_t size);

/* Milliseconds on the monotonic clock. */
long long mb_http_now_ms(void);

#endif
