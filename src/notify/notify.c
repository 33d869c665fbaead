#include "notify/notify.h"

#include "common/confvars.h"
#include "common/log.h"
#include "common/redact.h"
#include "common/textfile.h"
#include "notify/discord.h"
#include "notify/email.h"
#include "notify/mime.h"
#include "notify/render.h"
#include "notify/webhook.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define TEMPLATE_MAX (1u << 20)

static const char *channel_names[MB_NOTIFY_NCHANNELS] = {"email", "discord", "webhook",
                                                         "healthcheck"};

typedef struct {
   mb_notify_get_fn get;
   void *user_data;
   char problems[1024];
} loader_t;

const char *mb_notify_channel_name(mb_notify_channel_t ch)
{
   return ch < MB_NOTIFY_NCHANNELS ? channel_names[ch] : "unknown";
}

void mb_notify_config_init(mb_notify_config_t *c)
{
   long retries = 0;
   mb_error_t e;

   memset(c, 0, sizeof *c);
   /* the defaults are the table's (common/confvars); a getter of nothing reads them */
   (void) !mb_confvar_ms(NULL, NULL, "NOTIFY_CONNECT_TIMEOUT", &c->connect_timeout_ms, &e);
   (void) !mb_confvar_ms(NULL, NULL, "NOTIFY_TIMEOUT", &c->timeout_ms, &e);
   (void) !mb_confvar_int(NULL, NULL, "NOTIFY_RETRIES", &retries, &e);
   c->retries = (int) retries;
   c->backoff_ms = 1000;
}

void mb_notify_config_clear(mb_notify_config_t *c)
{
   if (!c) {
      return;
   }
   bson_free(c->smtp_host);
   bson_free(c->smtp_user);
   bson_free(c->smtp_pass);
   bson_free(c->smtp_from);
   bson_free(c->smtp_ca_file);
   for (size_t i = 0; i < c->nemails; i++) {
      bson_free(c->emails[i]);
   }
   bson_free(c->emails);
   bson_free(c->subject_template);
   bson_free(c->text_template);
   bson_free(c->html_template);
   bson_free(c->discord_url);
   bson_free(c->webhook_url);
   bson_free(c->healthcheck_url);
   mb_notify_config_init(c);
}

static void problem(loader_t *l, const char *fmt, ...) BSON_GNUC_PRINTF(2, 3);

static void problem(loader_t *l, const char *fmt, ...)
{
   size_t n = strlen(l->problems);
   va_list ap;

   if (n && n + 2 < sizeof l->problems) {
      memcpy(l->problems + n, "; ", 3);
      n += 2;
   }
   va_start(ap, fmt);
   vsnprintf(l->problems + n, sizeof l->problems - n, fmt, ap);
   va_end(ap);
}

/* The value of name, NULL when unset or empty. */
static const char *get(const loader_t *l, const char *name)
{
   return mb_confvar_str(l->get, l->user_data, name);
}

static char *get_copy(const loader_t *l, const char *name)
{
   const char *v = get(l, name);

   return v ? bson_strdup(v) : NULL;
}

/* Typed values, parsed by the table's rules; a problem names the variable and its form. */
static void note(loader_t *l, bool ok, const mb_error_t *e)
{
   if (!ok) {
      problem(l, "%s", e->message);
   }
}

static bool get_bool(loader_t *l, const char *name)
{
   mb_error_t e;
   bool b;

   note(l, mb_confvar_bool(l->get, l->user_data, name, &b, &e), &e);
   return b;
}

static long get_ms(loader_t *l, const char *name)
{
   mb_error_t e;
   long ms;

   note(l, mb_confvar_ms(l->get, l->user_data, name, &ms, &e), &e);
   return ms;
}

/* A whole number; unset_value when it is unset and has no default. */
static long get_long(loader_t *l, const char *name, long unset_value)
{
   mb_error_t e;
   long n;

   note(l, mb_confvar_int(l->get, l->user_data, name, &n, &e), &e);
   return get(l, name) ? n : unset_value;
}

/* Register the parts of a URL that grant access (mb_redact_add_uri: user-info, query values,
 * long path segments) and the token of a Discord webhook (its last path segment). */
static void register_url_secrets(const char *url, bool discord)
{
   size_t end = strcspn(url, "?#"), n = 0;

   mb_redact_add_uri(url);
   while (discord && n < end && url[end - n - 1] != '/') {
      n++;
   }
   if (n && strstr(url, "://") && strstr(url, "://") + 3 < url + end - n) {
      char *tok = bson_strndup(url + end - n, n);
      mb_redact_add_secret(tok);
      bson_free(tok);
   }
}

static char *get_url(loader_t *l, const char *name, bool discord)
{
   const char *v = get(l, name);

   if (!v) {
      return NULL;
   }
   register_url_secrets(v, discord);
   if ((strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0) || strpbrk(v, " \t\r\n")) {
      /* the value itself is not shown: it holds a token */
      problem(l, "%s must be an http:// or https:// URL without blanks", name);
      return NULL;
   }
   return bson_strdup(v);
}

static char *read_file(loader_t *l, const char *name, const char *path)
{
   char *data = NULL;
   mb_error_t e;

   if (!mb_textfile_read(path, TEMPLATE_MAX, &data, NULL, &e)) {
      problem(l, "%s: %s", name, e.message);
   }
   return data;
}

static char *load_template(loader_t *l, const char *name, bool html, bool is_file)
{
   const char *v = get(l, name);
   char *t;
   mb_error_t e;

   if (!v) {
      return NULL;
   }
   t = is_file ? read_file(l, name, v) : bson_strdup(v);
   if (t && !mb_render_validate(t, html, &e)) {
      problem(l, "%s%s%s%s: %s", name, is_file ? " '" : "", is_file ? v : "", is_file ? "'" : "",
              e.message);
      bson_free(t);
      t = NULL;
   }
   return t;
}

static void load_recipients(loader_t *l, mb_notify_config_t *c, const char *list)
{
   const char *p = list;

   while (*p) {
      size_t n = strcspn(p, ",");
      char *item = bson_strndup(p, n), name[256], addr[320];
      const char *s = item + strspn(item, " \t");
      size_t len = strlen(s);
      mb_error_t e;
      while (len && (s[len - 1] == ' ' || s[len - 1] == '\t')) {
         item[(size_t) (s - item) + --len] = '\0';
      }
      if (*s) {
         if (mb_mime_parse_mailbox(s, name, sizeof name, addr, sizeof addr, &e)) {
            c->emails = bson_realloc(c->emails, (c->nemails + 1) * sizeof *c->emails);
            c->emails[c->nemails++] = bson_strdup(addr);
         } else {
            problem(l, "NOTIFICATION_EMAILS: %s", e.message);
         }
      }
      bson_free(item);
      p += n + (p[n] == ',');
   }
   if (c->nemails == 0) {
      problem(l, "NOTIFICATION_EMAILS holds no address");
   }
}

static void load_sender(loader_t *l, mb_notify_config_t *c)
{
   char name[256], addr[320];
   mb_error_t e;

   c->smtp_from = get_copy(l, "SMTP_FROM");
   if (!c->smtp_from && c->smtp_user && strchr(c->smtp_user, '@')) {
      c->smtp_from = bson_strdup(c->smtp_user);
   }
   if (!c->smtp_from) {
      problem(l, "SMTP_FROM (the sender address) is required when SMTP_USER is not an email "
                 "address");
   } else if (!mb_mime_parse_mailbox(c->smtp_from, name, sizeof name, addr, sizeof addr, &e)) {
      problem(l, "SMTP_FROM: %s", e.message);
   }
}

static void load_email(loader_t *l, mb_notify_config_t *c)
{
   const char *v;

   c->smtp_host = get_copy(l, "SMTP_HOST");
   c->smtp_secure = get_bool(l, "SMTP_SECURE");
   c->smtp_allow_insecure = get_bool(l, "SMTP_ALLOW_INSECURE");
   c->smtp_port = get_long(l, "SMTP_PORT", c->smtp_secure ? 465 : 587);
   c->smtp_user = get_copy(l, "SMTP_USER");
   c->smtp_ca_file = get_copy(l, "SMTP_CA_FILE");
   if (!c->email) {
      return;
   }
   if (!c->smtp_host) {
      problem(l, "SMTP_HOST is required when ENABLE_EMAIL_NOTIFICATIONS=true");
   }
   if ((v = get(l, "NOTIFICATION_EMAILS"))) {
      load_recipients(l, c, v);
   } else {
      problem(l, "NOTIFICATION_EMAILS (comma-separated addresses) is required when "
                 "ENABLE_EMAIL_NOTIFICATIONS=true");
   }
   if (c->smtp_user && !c->smtp_pass) {
      problem(l, "SMTP_PASS (or SMTP_PASS_FILE) is required when SMTP_USER is set");
   } else if (c->smtp_pass && !c->smtp_user) {
      problem(l, "SMTP_USER is required when SMTP_PASS is set");
   }
   load_sender(l, c);
   if (c->smtp_ca_file && access(c->smtp_ca_file, R_OK) != 0) {
      problem(l, "SMTP_CA_FILE: cannot read '%s': %s", c->smtp_ca_file, strerror(errno));
   }
   c->subject_template = load_template(l, "EMAIL_SUBJECT", false, false);
   c->text_template = load_template(l, "EMAIL_TEMPLATE_TEXT", false, true);
   c->html_template = load_template(l, "EMAIL_TEMPLATE_HTML", true, true);
}

bool mb_notify_config_load(mb_notify_config_t *c, mb_notify_get_fn getter, void *user_data,
                           mb_error_t *err)
{
   loader_t l = {getter, user_data, ""};
   const char *v;

   mb_notify_config_init(c);
   /* secrets first, so that no later message can show them */
   c->smtp_pass = get_copy(&l, "SMTP_PASS");
   mb_log_add_secret(c->smtp_pass);
   c->email = get_bool(&l, "ENABLE_EMAIL_NOTIFICATIONS");
   c->discord = get_bool(&l, "ENABLE_DISCORD_NOTIFICATIONS");
   c->discord_url = get_url(&l, "DISCORD_WEBHOOK_URL", true);
   c->webhook_url = get_url(&l, "WEBHOOK_URL", false);
   c->healthcheck_url = get_url(&l, "HEALTHCHECK_URL", false);
   load_email(&l, c);
   if (c->discord && !c->discord_url && !get(&l, "DISCORD_WEBHOOK_URL")) {
      problem(&l, "DISCORD_WEBHOOK_URL is required when ENABLE_DISCORD_NOTIFICATIONS=true");
   }
   v = get(&l, "NOTIFY_ON");
   c->failures_only = v && strcmp(v, "failure") == 0;
   if (v && !c->failures_only && strcmp(v, "always") != 0) {
      problem(&l, "NOTIFY_ON must be always or failure, not '%s'", v);
   }
   c->connect_timeout_ms = get_ms(&l, "NOTIFY_CONNECT_TIMEOUT");
   c->timeout_ms = get_ms(&l, "NOTIFY_TIMEOUT");
   c->retries = (int) get_long(&l, "NOTIFY_RETRIES", 0);
   if (l.problems[0]) {
      mb_error_set(err, MB_EXIT_USAGE, "%s", l.problems);
      return false;
   }
   return true;
}

bool mb_notify_enabled(const mb_notify_config_t *c, mb_notify_channel_t ch)
{
   switch (ch) {
   case MB_NOTIFY_EMAIL:
      return c->email;
   case MB_NOTIFY_DISCORD:
      return c->discord && c->discord_url;
   case MB_NOTIFY_WEBHOOK:
      return c->webhook_url != NULL;
   case MB_NOTIFY_HEALTHCHECK:
      return c->healthcheck_url != NULL;
   default:
      return false;
   }
}

bool mb_notify_any_enabled(const mb_notify_config_t *c)
{
   for (int i = 0; i < MB_NOTIFY_NCHANNELS; i++) {
      if (mb_notify_enabled(c, (mb_notify_channel_t) i)) {
         return true;
      }
   }
   return false;
}

void mb_notify_config_summary(const mb_notify_config_t *c, char *buf, size_t size)
{
   char url[300];
   size_t o = 0;

   buf[0] = '\0';
#define ADD(...)                                                                                   \
   (o += (size_t) snprintf(buf + o, o < size ? size - o : 0, __VA_ARGS__), o = o < size ? o : size)
   if (c->email) {
      ADD("email to %zu recipient%s via %s:%ld (%s)", c->nemails, c->nemails == 1 ? "" : "s",
          c->smtp_host, c->smtp_port,
          c->smtp_secure                            ? "implicit TLS"
          : c->smtp_user && !c->smtp_allow_insecure ? "STARTTLS required"
                                                    : "STARTTLS when offered");
   }
   if (mb_notify_enabled(c, MB_NOTIFY_DISCORD)) {
      ADD("%sdiscord", o ? ", " : "");
   }
   if (c->webhook_url) {
      mb_http_redact_url(c->webhook_url, url, sizeof url);
      ADD("%swebhook %s", o ? ", " : "", url);
   }
   if (c->healthcheck_url) {
      mb_http_redact_url(c->healthcheck_url, url, sizeof url);
      ADD("%shealthcheck %s", o ? ", " : "", url);
   }
   if (!o) {
      ADD("none");
   }
#undef ADD
   mb_log_mask_secrets(buf, size);
}

static pthread_once_t g_curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
   curl_global_init(CURL_GLOBAL_DEFAULT);
}

typedef struct {
   const mb_notify_config_t *c;
   const mb_report_t *r;
   mb_notify_channel_t ch;
   mb_notify_outcome_t *out;
} job_t;

static bool send_channel(const job_t *j, int *attempts, mb_error_t *err)
{
   mb_http_outcome_t o = {0, 0};
   char summary[1024];
   bool ok = false;

   switch (j->ch) {
   case MB_NOTIFY_EMAIL:
      o.attempts = 1;
      ok = mb_email_send(j->c, j->r, err);
      break;
   case MB_NOTIFY_DISCORD:
      ok = mb_discord_send(j->c, j->r, &o, err);
      break;
   case MB_NOTIFY_WEBHOOK:
      ok = mb_webhook_send(j->c, j->r, &o, err);
      break;
   case MB_NOTIFY_HEALTHCHECK:
      mb_report_summary(j->r, summary, sizeof summary);
      ok = mb_healthcheck_ping(j->c, j->r->status == MB_REPORT_SUCCESS ? "success" : "fail",
                               summary, &o, err);
      break;
   default:
      mb_error_set(err, MB_EXIT_FAILURE, "unknown channel");
      break;
   }
   *attempts = o.attempts;
   return ok;
}

static void *run_job(void *arg)
{
   job_t *j = arg;
   long long t0 = mb_http_now_ms();
   const char *name = mb_notify_channel_name(j->ch);
   mb_error_t err = {0};

   j->out->ok = send_channel(j, &j->out->attempts, &err);
   j->out->seconds = (double) (mb_http_now_ms() - t0) / 1000.0;
   if (j->out->ok) {
      mb_log(MB_LOG_INFO, "notify: %s: sent in %.1f s", name, j->out->seconds);
   } else {
      snprintf(j->out->error, sizeof j->out->error, "%s", err.message);
      mb_log_mask_secrets(j->out->error, sizeof j->out->error);
      mb_log(MB_LOG_ERROR, "notify: %s: not sent (after %.1f s): %s", name, j->out->seconds,
             j->out->error);
   }
   return NULL;
}

void mb_notify_send(const mb_notify_config_t *c, const mb_report_t *r, mb_notify_result_t *out)
{
   job_t jobs[MB_NOTIFY_NCHANNELS];
   pthread_t tids[MB_NOTIFY_NCHANNELS];
   bool started[MB_NOTIFY_NCHANNELS] = {false};

   memset(out, 0, sizeof *out);
   pthread_once(&g_curl_once, curl_init_once);
   for (int i = 0; i < MB_NOTIFY_NCHANNELS; i++) {
      mb_notify_channel_t ch = (mb_notify_channel_t) i;
      if (!mb_notify_enabled(c, ch) || (c->failures_only && r->status == MB_REPORT_SUCCESS &&
                                        !r->test && ch != MB_NOTIFY_HEALTHCHECK)) {
         continue; /* NOTIFY_ON=failure: the healthcheck still hears of every run */
      }
      out->channel[i].enabled = true;
      out->enabled++;
      jobs[i] = (job_t){c, r, ch, &out->channel[i]};
      started[i] = pthread_create(&tids[i], NULL, run_job, &jobs[i]) == 0;
      if (!started[i]) {
         run_job(&jobs[i]); /* no thread to spare: send it here */
      }
   }
   for (int i = 0; i < MB_NOTIFY_NCHANNELS; i++) {
      if (started[i]) {
         pthread_join(tids[i], NULL);
      }
      if (out->channel[i].enabled && !out->channel[i].ok) {
         out->failed++;
      }
   }
}

bool mb_notify_ping(const mb_notify_config_t *c, const char *event, const char *body)
{
   mb_http_outcome_t o;
   mb_error_t err = {0};
   char msg[sizeof err.message];

   if (!c->healthcheck_url) {
      return true;
   }
   pthread_once(&g_curl_once, curl_init_once);
   if (mb_healthcheck_ping(c, event, body, &o, &err)) {
      mb_log(MB_LOG_DEBUG, "notify: healthcheck: %s ping sent", event);
      return true;
   }
   snprintf(msg, sizeof msg, "%s", err.message);
   mb_log_mask_secrets(msg, sizeof msg);
   mb_log(MB_LOG_ERROR, "notify: healthcheck: %s ping not sent: %s", event, msg);
   return false;
}
