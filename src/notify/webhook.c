#include "notify/webhook.h"

#include "common/log.h"

#include <string.h>

static mb_http_policy_t policy(const mb_notify_config_t *c)
{
   return (mb_http_policy_t){c->connect_timeout_ms, c->timeout_ms, c->retries, c->backoff_ms};
}

bool mb_webhook_post_json(const mb_notify_config_t *c, const char *channel, const char *url,
                          char *json, mb_http_outcome_t *o, mb_error_t *err)
{
   mb_http_policy_t p = policy(c);
   bool ok;

   mb_log_mask_secrets(json, strlen(json) + 1);
   ok = mb_http_post(channel, url, "application/json", json, strlen(json), &p, o, err);
   bson_free(json);
   return ok;
}

bool mb_webhook_send(const mb_notify_config_t *c, const mb_report_t *r, mb_http_outcome_t *o,
                     mb_error_t *err)
{
   return mb_webhook_post_json(c, "webhook", c->webhook_url, mb_report_to_json(r), o, err);
}

char *mb_healthcheck_url(const char *base, const char *event)
{
   size_t n = strlen(base);
   const char *q = strchr(base, '?');
   const char *suffix;

   if (strcmp(event, "success") == 0) {
      return bson_strdup(base);
   }
   if (strcmp(event, "start") == 0) {
      suffix = "start";
   } else if (strcmp(event, "fail") == 0) {
      suffix = "fail";
   } else {
      return NULL;
   }
   /* the event goes at the end of the path, before any query string */
   if (q) {
      n = (size_t) (q - base);
   }
   return bson_strdup_printf("%.*s%s%s%s", (int) n, base, n && base[n - 1] == '/' ? "" : "/",
                             suffix, q ? q : "");
}

bool mb_healthcheck_ping(const mb_notify_config_t *c, const char *event, const char *body,
                         mb_http_outcome_t *o, mb_error_t *err)
{
   mb_http_policy_t p = policy(c);
   char *url = mb_healthcheck_url(c->healthcheck_url, event);
   char *text = bson_strdup(body ? body : "");
   bool ok;

   if (!url) {
      mb_error_set(err, MB_EXIT_FAILURE, "unknown healthcheck event '%s'", event);
      bson_free(text);
      return false;
   }
   mb_log_mask_secrets(text, strlen(text) + 1);
   ok = mb_http_post("healthcheck", url, "text/plain; charset=utf-8", text, strlen(text), &p, o,
                     err);
   bson_free(url);
   bson_free(text);
   return ok;
}
