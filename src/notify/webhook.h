/* The generic webhook (the report as JSON, mb_report_to_json) and healthcheck pings in the
 * healthchecks.io convention (URL, URL/start, URL/fail). */
#ifndef MB_NOTIFY_WEBHOOK_H
#define MB_NOTIFY_WEBHOOK_H

#include "common/http.h"
#include "notify/notify.h"

/* Post json (taken: masked in place, so that no secret leaves in a body, then freed) to url as
 * application/json with c's timeouts and retries; channel names the service in errors. */
MB_MUST_CHECK bool mb_webhook_post_json(const mb_notify_config_t *c, const char *channel,
                                        const char *url, char *json, mb_http_outcome_t *o,
                                        mb_error_t *err);

/* Post the report's JSON to c->webhook_url. */
MB_MUST_CHECK bool mb_webhook_send(const mb_notify_config_t *c, const mb_report_t *r,
                                   mb_http_outcome_t *o, mb_error_t *err);

/* The URL of a ping: base for "success", base/start, base/fail (no doubled '/'), made for the
 * caller (bson_free); NULL for an unknown event. */
char *mb_healthcheck_url(const char *base, const char *event);

/* Ping c->healthcheck_url for event with body (may be NULL) as text/plain. */
MB_MUST_CHECK bool mb_healthcheck_ping(const mb_notify_config_t *c, const char *event,
                                       const char *body, mb_http_outcome_t *o, mb_error_t *err);

#endif
