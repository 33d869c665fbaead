/* Notifications: after every run, one report to every enabled channel (email over SMTP, Discord
 * webhook, generic JSON webhook, healthcheck ping). The caller knows no channel: it loads the
 * configuration once, then calls mb_notify_ping("start") before a run and mb_notify_send after
 * it. Sending never fails the caller: each channel's outcome is returned and logged, and every
 * channel is bounded in time (they run in parallel, so one send takes at most about
 * timeout_ms). docs/notifications.md is the user's guide. */
#ifndef MB_NOTIFY_NOTIFY_H
#define MB_NOTIFY_NOTIFY_H

#include "common/error.h"
#include "notify/report.h"

#include <stdbool.h>
#include <stddef.h>

typedef enum {
   MB_NOTIFY_EMAIL = 0,
   MB_NOTIFY_DISCORD,
   MB_NOTIFY_WEBHOOK,
   MB_NOTIFY_HEALTHCHECK,
   MB_NOTIFY_NCHANNELS
} mb_notify_channel_t;

/* Every field is owned by the struct (mb_notify_config_clear frees them). Tests may set the
 * timing fields directly after loading. */
typedef struct {
   bool email;               /* ENABLE_EMAIL_NOTIFICATIONS */
   char *smtp_host;          /* SMTP_HOST */
   long smtp_port;           /* SMTP_PORT; default 465 with SMTP_SECURE, else 587 */
   bool smtp_secure;         /* SMTP_SECURE: implicit TLS (smtps://) */
   bool smtp_allow_insecure; /* SMTP_ALLOW_INSECURE: allow credentials without TLS */
   char *smtp_user;          /* SMTP_USER */
   char *smtp_pass;          /* SMTP_PASS (a secret) */
   char *smtp_from;          /* SMTP_FROM, or SMTP_USER when it is an address */
   char *smtp_ca_file;       /* SMTP_CA_FILE: CA bundle for the server's certificate */
   char **emails;            /* NOTIFICATION_EMAILS, bare addresses */
   size_t nemails;
   char *subject_template;  /* EMAIL_SUBJECT (a template string); NULL = built-in */
   char *text_template;     /* contents of the file EMAIL_TEMPLATE_TEXT; NULL = built-in */
   char *html_template;     /* contents of the file EMAIL_TEMPLATE_HTML; NULL = built-in */
   bool discord;            /* ENABLE_DISCORD_NOTIFICATIONS */
   char *discord_url;       /* DISCORD_WEBHOOK_URL (its token is a secret) */
   char *webhook_url;       /* WEBHOOK_URL: enabled when set */
   char *healthcheck_url;   /* HEALTHCHECK_URL: enabled when set */
   bool failures_only;      /* NOTIFY_ON=failure: a success reaches only the healthcheck */
   long connect_timeout_ms; /* NOTIFY_CONNECT_TIMEOUT (seconds), default 10 s */
   long timeout_ms;         /* NOTIFY_TIMEOUT (seconds): one channel, retries included; 60 s */
   int retries;             /* NOTIFY_RETRIES: HTTP retries after the first attempt; 3 */
   long backoff_ms;         /* first wait between HTTP retries, doubling; 1 s */
} mb_notify_config_t;

/* The configuration's getter: the value of a configuration name (flags > env > .env >
 * defaults, *_FILE variants resolved), or NULL when unset. An empty value counts as unset. */
typedef const char *(*mb_notify_get_fn)(const char *name, void *user_data);

/* Defaults: every channel off, timings as documented. */
void mb_notify_config_init(mb_notify_config_t *c);

/* Initialise c and fill it from get. Every secret is registered with mb_log_add_secret (the
 * SMTP password; the token part of webhook URLs). Template files are read and checked against
 * the sample reports. On error (code USAGE) the message lists every problem, separated by
 * "; ", each naming its variable: "SMTP_HOST is required when ENABLE_EMAIL_NOTIFICATIONS=true".
 * c is left initialised either way (cleanup it). */
MB_MUST_CHECK bool mb_notify_config_load(mb_notify_config_t *c, mb_notify_get_fn get,
                                         void *user_data, mb_error_t *err);

/* Free what c holds; c may be NULL. */
void mb_notify_config_clear(mb_notify_config_t *c);

/* Whether a channel is enabled, and whether any is. */
bool mb_notify_enabled(const mb_notify_config_t *c, mb_notify_channel_t ch);
bool mb_notify_any_enabled(const mb_notify_config_t *c);

/* "email", "discord", "webhook", "healthcheck". */
const char *mb_notify_channel_name(mb_notify_channel_t ch);

/* One line for a startup log, no secrets: "email to 2 recipients via smtp.example.com:587
 * (STARTTLS required), discord, webhook" (URLs reduced to their host) or "none". */
void mb_notify_config_summary(const mb_notify_config_t *c, char *buf, size_t size);

typedef struct {
   bool enabled;
   bool ok;
   int attempts;
   double seconds;
   char error[504]; /* when !ok: one line, secrets masked */
} mb_notify_outcome_t;

typedef struct {
   mb_notify_outcome_t channel[MB_NOTIFY_NCHANNELS];
   int enabled; /* channels tried */
   int failed;  /* channels that failed */
} mb_notify_result_t;

/* Send r to every enabled channel in parallel and wait for them all (with NOTIFY_ON=failure, a
 * successful run's report, not a test, goes only to the healthcheck). The healthcheck channel
 * pings URL (success) or URL/fail (failure) with the summary as body. Each outcome is logged
 * (info when sent, error with the reason when not) and returned in out. Never fails. */
void mb_notify_send(const mb_notify_config_t *c, const mb_report_t *r, mb_notify_result_t *out);

/* Healthcheck ping: event "start" -> URL/start, "success" -> URL, "fail" -> URL/fail, with body
 * (may be NULL) as text. Logs a failure with its reason; true when sent or when no
 * HEALTHCHECK_URL is set. */
bool mb_notify_ping(const mb_notify_config_t *c, const char *event, const char *body);

#endif
