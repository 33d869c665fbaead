#include "common/confvars.h"

#include "common/parse.h"

#include <string.h>

#define V "0.1.0"

/* clang-format off */
const mb_confvar_t mb_confvars[] = {
    {"MONGODB_URI", MB_CONFVAR_URI, 0, 0, NULL, NULL, NULL, "uri", true, V,
     "connection string of the deployment to back up; its password and secret options are never "
     "printed"},
    {"BACKUP_DIR", MB_CONFVAR_PATH, 0, 0, NULL, NULL, "./backups", "backup-dir", false, V,
     "directory of the backups (created 0700; files 0600)"},
    {"MAX_BACKUPS", MB_CONFVAR_INT, 1, 100000, NULL, NULL, "7", "max-backups", false, V,
     "complete backups kept by retention (the newest one is never deleted)"},
    {"CRON_SCHEDULE", MB_CONFVAR_CRON, 0, 0, NULL, NULL, "0 0 * * *", "schedule", false, V,
     "cron expression, 5 fields or 6 with seconds first; ranges, steps, lists, names, @daily etc."},
    {"TIMEZONE", MB_CONFVAR_ZONE, 0, 0, NULL, NULL, "UTC", "timezone", false, V,
     "IANA time zone of the schedule (e.g. Europe/Berlin); an unknown zone is an error"},
    {"BACKUP_TIMEOUT", MB_CONFVAR_INT, 0, 7.0 * 24 * 3600 * 1000, NULL, NULL, "1800000", NULL,
     false, V,
     "milliseconds after which the dump is killed, whatever the server does (no archive is left; "
     "counted as a failure; 0: none)"},
    {"ENABLE_COMPRESSION", MB_CONFVAR_BOOL, 0, 0, NULL, NULL, "false", NULL, false, V,
     "true = gzip (as the service mongobak replaces); overridden by COMPRESSION"},
    {"COMPRESSION", MB_CONFVAR_ENUM, 0, 0, NULL, "none, gzip or zstd", NULL, "compress", false, V,
     "compression of the archives (zstd recommended); overrides ENABLE_COMPRESSION"},
    {"COMPRESSION_LEVEL", MB_CONFVAR_INT, 1, 19, NULL, NULL, NULL, NULL, false, V,
     "compression level (zstd 1-19, default 3; gzip 1-9, default 6)"},
    {"BACKUP_JOBS", MB_CONFVAR_INT, 1, 64, NULL, NULL, "4", "jobs", false, V,
     "collections dumped in parallel"},
    {"KEEP_DAILY", MB_CONFVAR_INT, 0, 100000, NULL, NULL, "0", NULL, false, V,
     "also keep the newest backup of this many recent days"},
    {"KEEP_WEEKLY", MB_CONFVAR_INT, 0, 100000, NULL, NULL, "0", NULL, false, V,
     "also keep the newest backup of this many recent ISO weeks"},
    {"KEEP_MONTHLY", MB_CONFVAR_INT, 0, 100000, NULL, NULL, "0", NULL, false, V,
     "also keep the newest backup of this many recent months"},
    {"STATUS_INTERVAL", MB_CONFVAR_INT, 0, 7 * 24 * 3600, NULL, NULL, "3600", NULL, false, V,
     "seconds between the daemon's status lines"},
    {"METRICS_FILE", MB_CONFVAR_PATH, 0, 0, NULL, NULL, NULL, NULL, false, V,
     "Prometheus text file written after every run (node_exporter textfile collector)"},
    {"METRICS_ADDR", MB_CONFVAR_ADDR, 0, 0, NULL, NULL, NULL, NULL, false, V,
     "daemon: serve /metrics and /healthz over HTTP on HOST:PORT (e.g. 127.0.0.1:9216); at most "
     "64 connections and an eighth of the descriptor limit, a quarter of that per client "
     "address, idle ones closed after 10 s"},
    {"LOG_LEVEL", MB_CONFVAR_ENUM, 0, 0, NULL, "error, warn, info or debug", "info", NULL, false,
     V, "the least severe messages logged"},
    {"LOG_FORMAT", MB_CONFVAR_ENUM, 0, 0, NULL, "text or json", "text", NULL, false, V,
     "json for one JSON object per log line"},
    {"ENABLE_EMAIL_NOTIFICATIONS", MB_CONFVAR_BOOL, 0, 0, NULL, NULL, "false", NULL, false, V,
     "send an email after every run"},
    {"SMTP_HOST", MB_CONFVAR_STRING, 0, 0, NULL, NULL, NULL, NULL, false, V,
     "SMTP server (required for email)"},
    {"SMTP_PORT", MB_CONFVAR_INT, 1, 65535, "a port number", NULL, NULL, NULL, false, V,
     "SMTP port (default 587, or 465 with SMTP_SECURE=true)"},
    {"SMTP_SECURE", MB_CONFVAR_BOOL, 0, 0, NULL, NULL, "false", NULL, false, V,
     "true: implicit TLS; false: STARTTLS when offered"},
    {"SMTP_USER", MB_CONFVAR_STRING, 0, 0, NULL, NULL, NULL, NULL, false, V, "SMTP user name"},
    {"SMTP_PASS", MB_CONFVAR_STRING, 0, 0, NULL, NULL, NULL, NULL, true, V,
     "SMTP password (required with SMTP_USER)"},
    {"SMTP_FROM", MB_CONFVAR_STRING, 0, 0, NULL, NULL, NULL, NULL, false, V,
     "sender address (default SMTP_USER)"},
    {"SMTP_ALLOW_INSECURE", MB_CONFVAR_BOOL, 0, 0, NULL, NULL, "false", NULL, false, V,
     "allow credentials without TLS"},
    {"SMTP_CA_FILE", MB_CONFVAR_PATH, 0, 0, NULL, NULL, NULL, NULL, false, V,
     "CA certificates for a private SMTP server"},
    {"NOTIFICATION_EMAILS", MB_CONFVAR_EMAILS, 0, 0, NULL, NULL, NULL, NULL, false, V,
     "comma-separated recipients (required for email)"},
    {"EMAIL_TEMPLATE_TEXT", MB_CONFVAR_PATH, 0, 0, NULL, NULL, NULL, NULL, false, V,
     "file overriding the plain-text email template"},
    {"EMAIL_TEMPLATE_HTML", MB_CONFVAR_PATH, 0, 0, NULL, NULL, NULL, NULL, false, V,
     "file overriding the HTML email template"},
    {"EMAIL_SUBJECT", MB_CONFVAR_STRING, 0, 0, NULL, NULL, NULL, NULL, false, V,
     "template of the email subject ({{placeholders}})"},
    {"ENABLE_DISCORD_NOTIFICATIONS", MB_CONFVAR_BOOL, 0, 0, NULL, NULL, "false", NULL, false, V,
     "post to Discord after every run"},
    {"DISCORD_WEBHOOK_URL", MB_CONFVAR_URL, 0, 0, NULL, NULL, NULL, NULL, true, V,
     "Discord webhook URL (required for Discord)"},
    {"WEBHOOK_URL", MB_CONFVAR_URL, 0, 0, NULL, NULL, NULL, NULL, true, V,
     "generic webhook receiving the report as JSON (enabled when set)"},
    {"HEALTHCHECK_URL", MB_CONFVAR_URL, 0, 0, NULL, NULL, NULL, NULL, true, V,
     "healthchecks.io-style ping URL: start, success, fail (enabled when set)"},
    {"NOTIFY_TIMEOUT", MB_CONFVAR_SECONDS, 0.1, 3600, NULL, NULL, "60", NULL, false, V,
     "seconds one notification channel may take, retries included"},
    {"NOTIFY_CONNECT_TIMEOUT", MB_CONFVAR_SECONDS, 0.1, 300, NULL, NULL, "10", NULL, false, V,
     "seconds to connect to a notification server"},
    {"NOTIFY_RETRIES", MB_CONFVAR_INT, 0, 10, NULL, NULL, "3", NULL, false, V,
     "retries of a webhook after 429, 5xx or network errors"},
    {NULL, MB_CONFVAR_STRING, 0, 0, NULL, NULL, NULL, NULL, false, NULL, NULL},
};
/* clang-format on */

const mb_confvar_t *mb_confvar_find(const char *name)
{
   for (const mb_confvar_t *v = mb_confvars; name && v->name; v++) {
      if (strcmp(v->name, name) == 0) {
         return v;
      }
   }
   return NULL;
}

/* Levenshtein distance of two short names (longer ones count as far apart). */
static size_t distance(const char *a, const char *b)
{
   size_t la = strlen(a), lb = strlen(b), row[64];

   if (la >= 64 || lb >= 64) {
      return (size_t) -1;
   }
   for (size_t j = 0; j <= lb; j++) {
      row[j] = j;
   }
   for (size_t i = 1; i <= la; i++) {
      size_t diag = row[0];
      row[0] = i;
      for (size_t j = 1; j <= lb; j++) {
         size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);
         best = up + 1 < best ? up + 1 : best;
         best = row[j - 1] + 1 < best ? row[j - 1] + 1 : best;
         diag = up;
         row[j] = best;
      }
   }
   return row[lb];
}

const char *mb_confvar_nearest(const char *name)
{
   size_t n = strlen(name), limit = n / 3 > 2 ? n / 3 : 2, best = limit + 1;
   const char *found = NULL;

   for (const mb_confvar_t *v = mb_confvars; v->name; v++) {
      size_t d = distance(name, v->name);
      if (d < best) {
         best = d;
         found = v->name;
      }
   }
   return found;
}

void mb_confvar_form(const mb_confvar_t *v, char *buf, size_t size)
{
   switch (v->type) {
   case MB_CONFVAR_INT:
      mb_parse_int_form(v->noun, (long) v->min, (long) v->max, buf, size);
      break;
   case MB_CONFVAR_SECONDS:
      mb_parse_seconds_form(v->min, v->max, buf, size);
      break;
   case MB_CONFVAR_BOOL:
      snprintf(buf, size, "%s", MB_PARSE_BOOL_FORM);
      break;
   case MB_CONFVAR_ENUM:
      snprintf(buf, size, "%s", v->choices);
      break;
   default:
      snprintf(buf, size, "%s", "");
      break;
   }
}

void mb_confvar_type_name(const mb_confvar_t *v, char *buf, size_t size)
{
   static const char *names[] = {
       "text",        "path", "integer",        "boolean",         "seconds",   "",
       "MongoDB URI", "URL",  "IANA time zone", "cron expression", "HOST:PORT", "email addresses"};

   switch (v->type) {
   case MB_CONFVAR_INT:
      snprintf(buf, size, "integer %ld-%ld", (long) v->min, (long) v->max);
      break;
   case MB_CONFVAR_SECONDS:
      snprintf(buf, size, "seconds %g-%g", v->min, v->max);
      break;
   case MB_CONFVAR_ENUM:
      snprintf(buf, size, "%s", v->choices);
      break;
   default:
      snprintf(buf, size, "%s", names[v->type]);
      break;
   }
}

/* The raw value: the getter's when set and not empty, else the default. */
static const char *raw(mb_confvar_get_fn get, void *user_data, const mb_confvar_t *v)
{
   const char *s = get ? get(v->name, user_data) : NULL;

   return s && *s ? s : v->def;
}

static const mb_confvar_t *typed(const char *name, mb_confvar_type_t type)
{
   const mb_confvar_t *v = mb_confvar_find(name);

   BSON_ASSERT(v && v->type == type); /* a programming error: the table is the contract */
   return v;
}

bool mb_confvar_int(mb_confvar_get_fn get, void *user_data, const char *name, long *out,
                    mb_error_t *err)
{
   const mb_confvar_t *v = typed(name, MB_CONFVAR_INT);
   const char *s = raw(get, user_data, v);
   long def = 0;

   BSON_ASSERT(!v->def || mb_parse_long(v->def, 10, (long) v->min, (long) v->max, &def));
   *out = def;
   if (!s || s == v->def) {
      return true;
   }
   if (!mb_parse_int(name, s, v->noun, (long) v->min, (long) v->max, out, err)) {
      *out = def;
      return false;
   }
   return true;
}

bool mb_confvar_bool(mb_confvar_get_fn get, void *user_data, const char *name, bool *out,
                     mb_error_t *err)
{
   const mb_confvar_t *v = typed(name, MB_CONFVAR_BOOL);
   const char *s = raw(get, user_data, v);
   bool def = false;

   BSON_ASSERT(!v->def || mb_parse_bool(name, v->def, &def, err));
   *out = def;
   if (!s || s == v->def) {
      return true;
   }
   if (!mb_parse_bool(name, s, out, err)) {
      *out = def;
      return false;
   }
   return true;
}

bool mb_confvar_ms(mb_confvar_get_fn get, void *user_data, const char *name, long *out,
                   mb_error_t *err)
{
   const mb_confvar_t *v = typed(name, MB_CONFVAR_SECONDS);
   const char *s = raw(get, user_data, v);
   long def = 0;

   BSON_ASSERT(!v->def || mb_parse_seconds(name, v->def, v->min, v->max, &def, err));
   *out = def;
   if (!s || s == v->def) {
      return true;
   }
   if (!mb_parse_seconds(name, s, v->min, v->max, out, err)) {
      *out = def;
      return false;
   }
   return true;
}

const char *mb_confvar_str(mb_confvar_get_fn get, void *user_data, const char *name)
{
   const mb_confvar_t *v = mb_confvar_find(name);

   BSON_ASSERT(v);
   return raw(get, user_data, v);
}

void mb_confvar_print_env_example(FILE *f)
{
   fputs("# mongobak configuration: every variable with its default. Copy to .env (or to the "
         "file\n"
         "# named by --env-file / systemd EnvironmentFile) and set what you need. Precedence:\n"
         "# command-line flags > environment > this file > defaults. Any secret NAME can also "
         "be\n"
         "# read from a file with NAME_FILE=/path (e.g. SMTP_PASS_FILE=/run/secrets/smtp).\n"
         "# An empty value (NAME=) means unset: the default applies.\n"
         "# Generated by 'mongobak help --env-example'; do not edit.\n",
         f);
   for (const mb_confvar_t *v = mb_confvars; v->name; v++) {
      const char *value = v->def ? v->def : "";
      bool quote = strchr(value, ' ') || strchr(value, '*');
      char type[128];

      mb_confvar_type_name(v, type, sizeof type);
      if (strcmp(v->name, "MONGODB_URI") == 0) {
         value = "mongodb://user:password@localhost:27017/?authSource=admin";
      }
      fprintf(f, "\n# %s (%s)\n%s%s=%s%s%s\n", v->help, type,
              !v->def && strcmp(v->name, "MONGODB_URI") != 0 ? "# " : "", v->name, quote ? "'" : "",
              value, quote ? "'" : "");
   }
}

void mb_confvar_print_markdown(FILE *f)
{
   fputs("| variable | type | default | meaning |\n|---|---|---|---|\n", f);
   for (const mb_confvar_t *v = mb_confvars; v->name; v++) {
      char type[128];

      mb_confvar_type_name(v, type, sizeof type);
      fprintf(f, "| `%s` | %s | %s%s%s | %s%s |\n", v->name, type, v->def ? "`" : "",
              v->def                                ? v->def
              : strcmp(v->name, "MONGODB_URI") == 0 ? "(required)"
                                                    : "",
              v->def ? "`" : "", v->help,
              v->secret && !strstr(v->help, "never printed") ? " (a secret: never printed)" : "");
   }
}
