#include "cli/config.h"
#include "common/dotenv.h"
#include "common/log.h"
#include "common/parse.h"
#include "common/redact.h"
#include "common/textfile.h"
#include "common/tz.h"
#include "sched/cron.h"

#include <mongoc/mongoc.h>

#include <errno.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const mb_config_var_t mb_config_vars[] = {
    {"MONGODB_URI", NULL, "uri", true, "connection string of the deployment to back up"},
    {"BACKUP_DIR", "./backups", "backup-dir", false, "directory of the backups (created 0700)"},
    {"MAX_BACKUPS", "7", "max-backups", false, "complete backups kept by retention (>= 1)"},
    {"CRON_SCHEDULE", "0 0 * * *", "schedule", false,
     "cron expression, 5 fields or 6 with seconds first"},
    {"TIMEZONE", "UTC", "timezone", false, "IANA time zone of the schedule (e.g. Europe/Berlin)"},
    {"BACKUP_TIMEOUT", "1800000", NULL, false,
     "milliseconds after which the dump is killed, whatever the server does (0: none)"},
    {"ENABLE_COMPRESSION", "false", NULL, false,
     "true = gzip (as the service mongobak replaces); overridden by COMPRESSION"},
    {"COMPRESSION", NULL, "compress", false, "none, gzip or zstd (recommended)"},
    {"COMPRESSION_LEVEL", NULL, NULL, false, "compression level (zstd 1-19, gzip 1-9)"},
    {"BACKUP_JOBS", "4", "jobs", false, "collections dumped in parallel"},
    {"KEEP_DAILY", "0", NULL, false, "also keep the newest backup of this many recent days"},
    {"KEEP_WEEKLY", "0", NULL, false, "also keep the newest backup of this many recent weeks"},
    {"KEEP_MONTHLY", "0", NULL, false, "also keep the newest backup of this many recent months"},
    {"STATUS_INTERVAL", "3600", NULL, false, "seconds between the daemon's status lines"},
    {"METRICS_FILE", NULL, NULL, false,
     "Prometheus text file written after every run (node_exporter textfile collector)"},
    {"METRICS_ADDR", NULL, NULL, false,
     "daemon: serve /metrics and /healthz over HTTP on HOST:PORT (e.g. 127.0.0.1:9216); at most "
     "64 connections"},
    {"LOG_LEVEL", "info", NULL, false, "error, warn, info or debug"},
    {"LOG_FORMAT", "text", NULL, false, "text or json"},
    {"ENABLE_EMAIL_NOTIFICATIONS", "false", NULL, false, "send an email after every run"},
    {"SMTP_HOST", NULL, NULL, false, "SMTP server"},
    {"SMTP_PORT", NULL, NULL, false, "SMTP port (default 587, or 465 with SMTP_SECURE=true)"},
    {"SMTP_SECURE", "false", NULL, false, "true: implicit TLS; false: STARTTLS when offered"},
    {"SMTP_USER", NULL, NULL, false, "SMTP user name"},
    {"SMTP_PASS", NULL, NULL, true, "SMTP password"},
    {"SMTP_FROM", NULL, NULL, false, "sender address (default SMTP_USER)"},
    {"SMTP_ALLOW_INSECURE", "false", NULL, false, "allow credentials without TLS"},
    {"SMTP_CA_FILE", NULL, NULL, false, "CA certificates for a private SMTP server"},
    {"NOTIFICATION_EMAILS", NULL, NULL, false, "comma-separated recipients"},
    {"EMAIL_TEMPLATE_TEXT", NULL, NULL, false, "file overriding the plain-text email template"},
    {"EMAIL_TEMPLATE_HTML", NULL, NULL, false, "file overriding the HTML email template"},
    {"EMAIL_SUBJECT", NULL, NULL, false, "template of the email subject ({{placeholders}})"},
    {"ENABLE_DISCORD_NOTIFICATIONS", "false", NULL, false, "post to Discord after every run"},
    {"DISCORD_WEBHOOK_URL", NULL, NULL, true, "Discord webhook URL"},
    {"WEBHOOK_URL", NULL, NULL, true, "generic webhook receiving the report as JSON"},
    {"HEALTHCHECK_URL", NULL, NULL, true, "healthchecks.io-style ping URL (start, success, fail)"},
    {"NOTIFY_TIMEOUT", "60", NULL, false,
     "seconds one notification channel may take, retries included"},
    {"NOTIFY_CONNECT_TIMEOUT", "10", NULL, false, "seconds to connect to a notification server"},
    {"NOTIFY_RETRIES", "3", NULL, false, "retries of a webhook after 429, 5xx or network errors"},
    {NULL, NULL, NULL, false, NULL},
};

typedef struct {
   char *value;
   char *source;
} slot_t;

struct mb_config {
   slot_t *slots; /* one per mb_config_vars entry */
   int n;
};

static int var_index(const char *name)
{
   for (int i = 0; mb_config_vars[i].name; i++) {
      if (strcmp(mb_config_vars[i].name, name) == 0) {
         return i;
      }
   }
   return -1;
}

/* A secret read from NAME_FILE: the whole file (refused above MB_TEXTFILE_SECRET_MAX, never
 * cut), without the trailing newline. */
static bool read_secret_file(const char *path, char **out, mb_error_t *err)
{
   size_t n;

   if (!mb_textfile_read(path, MB_TEXTFILE_SECRET_MAX, out, &n, err)) {
      return false;
   }
   while (n > 0 && ((*out)[n - 1] == '\n' || (*out)[n - 1] == '\r')) {
      (*out)[--n] = '\0';
   }
   return true;
}

/* One source level: NAME, else NAME_FILE. */
static bool take(slot_t *s, const char *name, const char *v, const char *vfile, const char *src,
                 mb_error_t *err)
{
   if (v) {
      s->value = bson_strdup(v);
      s->source = bson_strdup(src);
      return true;
   }
   if (vfile) {
      if (!read_secret_file(vfile, &s->value, err)) {
         mb_error_prefix(err, "%s_FILE (%s)", name, src);
         return false;
      }
      s->source = bson_strdup_printf("file %s", vfile);
   }
   return true;
}

static bool load_dotenv(const mb_args_t *args, mb_dotenv_t **env, char **name, mb_error_t *err)
{
   const char *path = mb_args_get(args, "env-file");

   *env = NULL;
   *name = NULL;
   if (!path && access(".env", F_OK) == 0) {
      path = ".env";
   }
   if (!path) {
      return true;
   }
   *name = bson_strdup(path);
   return mb_dotenv_load(path, env, err);
}

static bool resolve(mb_config_t *c, int i, const mb_args_t *args, const mb_dotenv_t *env,
                    const char *envname, mb_error_t *err)
{
   const mb_config_var_t *v = &mb_config_vars[i];
   slot_t *s = &c->slots[i];
   char fname[128], src[160];
   const char *flagv = v->flag ? mb_args_get(args, v->flag) : NULL;
   const char *envv = getenv(v->name);
   int line = 0;

   snprintf(fname, sizeof fname, "%s_FILE", v->name);
   if (flagv && !(envv && strcmp(envv, flagv) == 0)) {
      snprintf(src, sizeof src, "flag --%s", v->flag);
      return take(s, v->name, flagv, NULL, src, err);
   }
   if (envv || getenv(fname)) {
      if (!take(s, v->name, envv, getenv(fname), "environment", err)) {
         return false;
      }
      return true;
   }
   if (env && (mb_dotenv_get(env, v->name) || mb_dotenv_get(env, fname))) {
      for (int k = 0; k < env->n; k++) {
         if (strcmp(env->entries[k].key, v->name) == 0 || strcmp(env->entries[k].key, fname) == 0) {
            line = env->entries[k].line;
         }
      }
      snprintf(src, sizeof src, "%s line %d", envname, line);
      return take(s, v->name, mb_dotenv_get(env, v->name), mb_dotenv_get(env, fname), src, err);
   }
   if (v->def) {
      s->value = bson_strdup(v->def);
      s->source = bson_strdup("default");
   }
   return true;
}

/* Secrets are masked in every output from now on: the secrets of a URI or URL (found by
 * parsing, also when it is malformed), any other secret value whole. */
static void register_secret(const mb_config_var_t *v, const char *value)
{
   if (!v->secret || !value) {
      return;
   }
   if (strcmp(v->name, "MONGODB_URI") == 0 || strstr(value, "://")) {
      mb_redact_add_uri(value);
   } else {
      mb_redact_add_secret(value);
   }
}

bool mb_config_load(const mb_args_t *args, mb_config_t **out, mb_error_t *err)
{
   mb_config_t *c = calloc(1, sizeof *c);
   mb_dotenv_t *env = NULL;
   char *envname = NULL;
   bool ok;

   while (c && mb_config_vars[c->n].name) {
      c->n++;
   }
   if (!c || !(c->slots = calloc((size_t) c->n, sizeof *c->slots))) {
      free(c);
      mb_error_set(err, MB_EXIT_FAILURE, "out of memory");
      return false;
   }
   ok = load_dotenv(args, &env, &envname, err);
   for (int i = 0; ok && i < c->n; i++) {
      ok = resolve(c, i, args, env, envname, err);
   }
   for (int i = 0; ok && i < c->n; i++) {
      register_secret(&mb_config_vars[i], c->slots[i].value);
   }
   mb_dotenv_destroy(env);
   bson_free(envname);
   if (!ok) {
      mb_config_destroy(c);
      return false;
   }
   *out = c;
   return true;
}

void mb_config_destroy(mb_config_t *c)
{
   if (!c) {
      return;
   }
   for (int i = 0; i < c->n; i++) {
      bson_free(c->slots[i].value);
      bson_free(c->slots[i].source);
   }
   free(c->slots);
   free(c);
}

const char *mb_config_get(const mb_config_t *c, const char *name)
{
   int i = var_index(name);
   return i >= 0 ? c->slots[i].value : NULL;
}

const char *mb_config_source(const mb_config_t *c, const char *name)
{
   int i = var_index(name);
   return i >= 0 && c->slots[i].source ? c->slots[i].source : "unset";
}

const char *mb_config_getter(const char *name, void *user_data)
{
   return mb_config_get(user_data, name);
}

/* How a value is shown: secrets masked (a URI keeps its user and host). */
static void display(const mb_config_var_t *v, const char *value, char *out, size_t size)
{
   if (!value) {
      snprintf(out, size, "(unset)");
   } else if (!v->secret) {
      snprintf(out, size, "%s", value);
   } else if (strcmp(v->name, "MONGODB_URI") == 0 || strstr(value, "://")) {
      mb_redact_uri(value, out, size);
   } else {
      snprintf(out, size, "***");
   }
}

void mb_config_print(const mb_config_t *c, FILE *f, bool json)
{
   bson_t doc = BSON_INITIALIZER, item;
   char shown[2048];

   for (int i = 0; i < c->n; i++) {
      const mb_config_var_t *v = &mb_config_vars[i];
      display(v, c->slots[i].value, shown, sizeof shown);
      mb_redact_text(shown, sizeof shown); /* registered secrets in any value */
      if (json) {
         BSON_APPEND_DOCUMENT_BEGIN(&doc, v->name, &item);
         if (c->slots[i].value) {
            BSON_APPEND_UTF8(&item, "value", shown);
         } else {
            BSON_APPEND_NULL(&item, "value");
         }
         BSON_APPEND_UTF8(&item, "source", mb_config_source(c, v->name));
         bson_append_document_end(&doc, &item);
      } else {
         fprintf(f, "%-29s %-40s %s\n", v->name, shown, mb_config_source(c, v->name));
      }
   }
   if (json) {
      char *s = bson_as_relaxed_extended_json(&doc, NULL), *m = mb_redact_dup(s);
      fprintf(f, "%s\n", m);
      bson_free(m);
      bson_free(s);
   }
   bson_destroy(&doc);
}

typedef struct {
   const mb_config_t *c;
   FILE *f;
   int problems;
} check_t;

static void problem(check_t *k, const char *name, const char *what)
{
   const char *v = mb_config_get(k->c, name);
   int i = var_index(name);
   char shown[600], line[1400];

   display(&mb_config_vars[i], v, shown, sizeof shown);
   snprintf(line, sizeof line, "config: %s = '%s' (%s): %s", name, shown,
            mb_config_source(k->c, name), what);
   mb_redact_text(line, sizeof line);
   fprintf(k->f, "%s\n", line);
   k->problems++;
}

static long check_int(check_t *k, const char *name, long min, long max)
{
   const char *v = mb_config_get(k->c, name);
   char what[120], form[100];
   long n;

   if (!v || !mb_parse_long(v, 10, min, max, &n)) {
      mb_parse_int_form(NULL, min, max, form, sizeof form);
      snprintf(what, sizeof what, "must be %s", form);
      problem(k, name, what);
      return min;
   }
   return n;
}

static bool check_bool(check_t *k, const char *name)
{
   const char *v = mb_config_get(k->c, name);
   static const char *yes[] = {"true", "1", "yes", "on", NULL},
                     *no[] = {"false", "0", "no", "off", "", NULL};

   for (int i = 0; v && yes[i]; i++) {
      if (strcasecmp(v, yes[i]) == 0) {
         return true;
      }
   }
   for (int i = 0; v && no[i]; i++) {
      if (strcasecmp(v, no[i]) == 0) {
         return false;
      }
   }
   if (v) {
      problem(k, name, "must be true or false");
   }
   return false;
}

static void check_zone(check_t *k, mb_backup_settings_t *s)
{
   s->timezone = mb_config_get(k->c, "TIMEZONE");
   if (!mb_tz_set_default(s->timezone)) {
      problem(k, "TIMEZONE",
              "is not a known time zone; use an IANA name such as Europe/Berlin "
              "or America/New_York (package tzdata)");
   }
}

static void check_uri(check_t *k, bool need, mb_backup_settings_t *s)
{
   bson_error_t e;
   mongoc_uri_t *uri;
   char what[700];

   s->uri = mb_config_get(k->c, "MONGODB_URI");
   if (!s->uri) {
      if (need) {
         fprintf(k->f, "config: MONGODB_URI is not set; set it in the environment or in .env, or "
                       "give --uri\n");
         k->problems++;
      }
      return;
   }
   uri = mongoc_uri_new_with_error(s->uri, &e);
   if (!uri) {
      mb_redact_text(e.message, sizeof e.message);
      snprintf(what, sizeof what, "is not a valid MongoDB URI: %s", e.message);
      problem(k, "MONGODB_URI", what);
   }
   mongoc_uri_destroy(uri);
}

static void check_compression(check_t *k, mb_backup_settings_t *s)
{
   const char *v = mb_config_get(k->c, "COMPRESSION");
   long level;

   s->compress = check_bool(k, "ENABLE_COMPRESSION") ? MB_COMPRESS_GZIP : MB_COMPRESS_NONE;
   if (v && !mb_compress_parse(v, &s->compress)) {
      problem(k, "COMPRESSION", "must be none, gzip or zstd");
   }
   s->level = mb_compress_default_level(s->compress);
   if (mb_config_get(k->c, "COMPRESSION_LEVEL") && s->compress != MB_COMPRESS_NONE) {
      level = check_int(k, "COMPRESSION_LEVEL", 1, s->compress == MB_COMPRESS_GZIP ? 9 : 19);
      s->level = (int) level;
   }
}

bool mb_config_settings(const mb_config_t *c, bool need_uri, FILE *f, mb_backup_settings_t *s,
                        mb_error_t *err)
{
   check_t k = {c, f, 0};
   mb_cron_t *cron = NULL;
   mb_error_t ce;
   mb_log_level_t lvl;
   const char *v;
   time_t next;

   memset(s, 0, sizeof *s);
   check_uri(&k, need_uri, s);
   s->dir = mb_config_get(c, "BACKUP_DIR");
   if (!s->dir || !*s->dir) {
      problem(&k, "BACKUP_DIR", "must name a directory");
   }
   s->retention.max_backups = (int) check_int(&k, "MAX_BACKUPS", 1, 100000);
   s->retention.keep_daily = (int) check_int(&k, "KEEP_DAILY", 0, 100000);
   s->retention.keep_weekly = (int) check_int(&k, "KEEP_WEEKLY", 0, 100000);
   s->retention.keep_monthly = (int) check_int(&k, "KEEP_MONTHLY", 0, 100000);
   s->timeout_ms = check_int(&k, "BACKUP_TIMEOUT", 0, 7L * 24 * 3600 * 1000);
   s->jobs = (int) check_int(&k, "BACKUP_JOBS", 1, 64);
   s->status_interval = (int) check_int(&k, "STATUS_INTERVAL", 0, 7 * 24 * 3600);
   check_compression(&k, s);
   check_zone(&k, s);
   s->cron = mb_config_get(c, "CRON_SCHEDULE");
   /* a schedule that never fires (0 0 31 2 *) is refused here, by every command alike */
   if (!s->cron || !mb_cron_parse(s->cron, &cron, &ce) ||
       !mb_cron_next(cron, time(NULL), &next, &ce)) {
      problem(&k, "CRON_SCHEDULE", s->cron ? ce.message : "must be set");
   }
   mb_cron_destroy(cron);
   v = mb_config_get(c, "LOG_LEVEL");
   if (v && !mb_log_level_parse(v, &lvl)) {
      problem(&k, "LOG_LEVEL", "must be error, warn, info or debug");
   }
   v = mb_config_get(c, "LOG_FORMAT");
   if (v && strcmp(v, "text") != 0 && strcmp(v, "json") != 0) {
      problem(&k, "LOG_FORMAT", "must be text or json");
   }
   if (k.problems) {
      mb_error_set(err, MB_EXIT_USAGE,
                   "%d configuration problem%s (listed above); fix %s and retry", k.problems,
                   k.problems > 1 ? "s" : "", k.problems > 1 ? "them" : "it");
      return false;
   }
   return true;
}

bool mb_config_uri(const mb_args_t *args, const char *def, char **uri, mb_error_t *err)
{
   mb_config_t c = {0};
   mb_dotenv_t *env = NULL;
   char *envname = NULL;
   int i = var_index("MONGODB_URI");
   bool ok;

   *uri = NULL;
   c.n = i + 1;
   c.slots = bson_malloc0((size_t) c.n * sizeof *c.slots);
   ok = load_dotenv(args, &env, &envname, err) && resolve(&c, i, args, env, envname, err);
   if (ok) {
      register_secret(&mb_config_vars[i], c.slots[i].value);
      const char *v = c.slots[i].value;
      *uri = bson_strdup(v && *v ? v : def); /* MONGODB_URI= (empty) as before: the default */
   }
   bson_free(c.slots[i].value);
   bson_free(c.slots[i].source);
   bson_free(c.slots);
   mb_dotenv_destroy(env);
   bson_free(envname);
   return ok;
}
