#include "common/confvars.h"

#include "common/parse.h"

#include <string.h>

#define V "0.1.0"

/* clang-format off */
const mb_confvar_t mb_confvars[] = {
    {.name = "MONGODB_URI", .type = MB_CONFVAR_URI, .flag = "uri", .secret = true, .since = V,
     .help = "connection string of the deployment to back up; its password and secret options "
             "are never printed"},
    {.name = "BACKUP_DIR", .type = MB_CONFVAR_PATH, .def = "./backups", .flag = "backup-dir",
     .since = V,
     .help = "directory of the backups (created 0700; files 0600)"},
    {.name = "MAX_BACKUPS", .type = MB_CONFVAR_INT, .min = 1, .max = 100000, .def = "7",
     .flag = "max-backups", .since = V,
     .help = "complete backups kept by retention (the newest one is never deleted)"},
    {.name = "CRON_SCHEDULE", .type = MB_CONFVAR_CRON, .def = "0 0 * * *", .flag = "schedule",
     .since = V,
     .help = "cron expression, 5 fields or 6 with seconds first; ranges, steps, lists, names, "
             "@daily etc."},
    {.name = "TIMEZONE", .type = MB_CONFVAR_ZONE, .def = "UTC", .flag = "timezone", .since = V,
     .help = "IANA time zone of the schedule (e.g. Europe/Berlin); an unknown zone is an error"},
    {.name = "BACKUP_TIMEOUT", .type = MB_CONFVAR_INT, .min = 0, .max = 7.0 * 24 * 3600 * 1000,
     .def = "1800000", .since = V,
     .help = "milliseconds after which the dump is killed, whatever the server does (no archive "
             "is left; counted as a failure; 0: none)"},
    {.name = "BACKUP_RETRIES", .type = MB_CONFVAR_INT, .min = 0, .max = 10, .def = "0",
     .since = V,
     .help = "attempts after a failed run (dump, verify or publish), each logged; one "
             "notification at the end"},
    {.name = "BACKUP_RETRY_DELAY", .type = MB_CONFVAR_INT, .min = 0, .max = 86400, .def = "60",
     .since = V,
     .help = "seconds between the attempts of BACKUP_RETRIES"},
    {.name = "ENABLE_COMPRESSION", .type = MB_CONFVAR_BOOL, .def = "false", .since = V,
     .help = "true = gzip (as the service mongobak replaces); overridden by COMPRESSION"},
    {.name = "COMPRESSION", .type = MB_CONFVAR_ENUM, .choices = "none, gzip or zstd",
     .flag = "compress", .since = V,
     .help = "compression of the archives (zstd recommended); overrides ENABLE_COMPRESSION"},
    {.name = "COMPRESSION_LEVEL", .type = MB_CONFVAR_INT, .min = 1, .max = 19, .since = V,
     .help = "compression level (zstd 1-19, default 3; gzip 1-9, default 3: 1-3 ISA-L igzip, 4-9 zlib)"},
    {.name = "BACKUP_JOBS", .type = MB_CONFVAR_INT, .min = 1, .max = 64, .def = "4", .flag = "jobs",
     .since = V,
     .help = "collections dumped in parallel"},
    {.name = "ENCRYPTION_KEY_FILE", .type = MB_CONFVAR_PATH, .flag = "encrypt-key-file",
     .since = V,
     .help = "key file from 'mongobak keygen': every archive written is encrypted with it "
             "(name suffix .enc) and encrypted archives are read with it; without the key the "
             "backups cannot be read"},
    {.name = "ENCRYPTION_PASSPHRASE", .type = MB_CONFVAR_STRING, .secret = true, .since = V,
     .help = "instead of a key file: a passphrase, from which each archive's key is derived "
             "(Argon2id, 256 MiB, a salt per archive); also as ENCRYPTION_PASSPHRASE_FILE"},
    {.name = "BACKUP_OPLOG", .type = MB_CONFVAR_BOOL, .def = "false", .since = V,
     .help = "true: point-in-time backups, as dump --oplog (the oplog written during the dump is "
             "stored last; needs local.oplog.rs: a replica set member)"},
    {.name = "OPLOG_ARCHIVE", .type = MB_CONFVAR_BOOL, .def = "false", .since = V,
     .help = "daemon: true tails the oplog between backups into slices beside them (continuous "
             "point-in-time recovery, restore --to-time); implies BACKUP_OPLOG=true; needs "
             "local.oplog.rs"},
    {.name = "OPLOG_SLICE", .type = MB_CONFVAR_INT, .min = 1, .max = 86400, .def = "600",
     .since = V,
     .help = "seconds an oplog slice covers at most (OPLOG_ARCHIVE)"},
    {.name = "OPLOG_SLICE_MB", .type = MB_CONFVAR_INT, .min = 1, .max = 1024, .def = "64",
     .since = V,
     .help = "uncompressed MB an oplog slice holds at most (OPLOG_ARCHIVE; held in memory "
             "until written)"},
    {.name = "KEEP_DAILY", .type = MB_CONFVAR_INT, .min = 0, .max = 100000, .def = "0", .since = V,
     .help = "also keep the newest backup of this many recent days"},
    {.name = "KEEP_WEEKLY", .type = MB_CONFVAR_INT, .min = 0, .max = 100000, .def = "0",
     .since = V,
     .help = "also keep the newest backup of this many recent ISO weeks"},
    {.name = "KEEP_MONTHLY", .type = MB_CONFVAR_INT, .min = 0, .max = 100000, .def = "0",
     .since = V,
     .help = "also keep the newest backup of this many recent months"},
    {.name = "STATUS_INTERVAL", .type = MB_CONFVAR_INT, .min = 0, .max = 7 * 24 * 3600,
     .def = "3600", .since = V,
     .help = "seconds between the daemon's status lines"},
    {.name = "METRICS_FILE", .type = MB_CONFVAR_PATH, .since = V,
     .help = "Prometheus text file written after every run (node_exporter textfile collector)"},
    {.name = "METRICS_ADDR", .type = MB_CONFVAR_ADDR, .since = V,
     .help = "daemon: serve /metrics and /healthz over HTTP on HOST:PORT (e.g. 127.0.0.1:9216); "
             "at most 64 connections and an eighth of the descriptor limit, a quarter of that "
             "per client address, idle ones closed after 10 s"},
    {.name = "LOG_LEVEL", .type = MB_CONFVAR_ENUM, .choices = "error, warn, info or debug",
     .def = "info", .since = V,
     .help = "the least severe messages logged"},
    {.name = "LOG_FORMAT", .type = MB_CONFVAR_ENUM, .choices = "text or json", .def = "text",
     .since = V,
     .help = "json for one JSON object per log line"},
    {.name = "ENABLE_EMAIL_NOTIFICATIONS", .type = MB_CONFVAR_BOOL, .def = "false", .since = V,
     .help = "send an email after every run"},
    {.name = "SMTP_HOST", .type = MB_CONFVAR_STRING, .since = V,
     .help = "SMTP server (required for email)"},
    {.name = "SMTP_PORT", .type = MB_CONFVAR_INT, .min = 1, .max = 65535, .noun = "a port number",
     .since = V,
     .help = "SMTP port (default 587, or 465 with SMTP_SECURE=true)"},
    {.name = "SMTP_SECURE", .type = MB_CONFVAR_BOOL, .def = "false", .since = V,
     .help = "true: implicit TLS; false: STARTTLS when offered"},
    {.name = "SMTP_USER", .type = MB_CONFVAR_STRING, .since = V,
     .help = "SMTP user name"},
    {.name = "SMTP_PASS", .type = MB_CONFVAR_STRING, .secret = true, .since = V,
     .help = "SMTP password (required with SMTP_USER)"},
    {.name = "SMTP_FROM", .type = MB_CONFVAR_STRING, .since = V,
     .help = "sender address (default SMTP_USER)"},
    {.name = "SMTP_ALLOW_INSECURE", .type = MB_CONFVAR_BOOL, .def = "false", .since = V,
     .help = "allow credentials without TLS"},
    {.name = "SMTP_CA_FILE", .type = MB_CONFVAR_PATH, .since = V,
     .help = "CA certificates for a private SMTP server"},
    {.name = "NOTIFICATION_EMAILS", .type = MB_CONFVAR_EMAILS, .since = V,
     .help = "comma-separated recipients (required for email)"},
    {.name = "EMAIL_TEMPLATE_TEXT", .type = MB_CONFVAR_PATH, .since = V,
     .help = "file overriding the plain-text email template"},
    {.name = "EMAIL_TEMPLATE_HTML", .type = MB_CONFVAR_PATH, .since = V,
     .help = "file overriding the HTML email template"},
    {.name = "EMAIL_SUBJECT", .type = MB_CONFVAR_STRING, .since = V,
     .help = "template of the email subject ({{placeholders}})"},
    {.name = "ENABLE_DISCORD_NOTIFICATIONS", .type = MB_CONFVAR_BOOL, .def = "false", .since = V,
     .help = "post to Discord after every run"},
    {.name = "DISCORD_WEBHOOK_URL", .type = MB_CONFVAR_URL, .secret = true, .since = V,
     .help = "Discord webhook URL (required for Discord)"},
    {.name = "WEBHOOK_URL", .type = MB_CONFVAR_URL, .secret = true, .since = V,
     .help = "generic webhook receiving the report as JSON (enabled when set)"},
    {.name = "HEALTHCHECK_URL", .type = MB_CONFVAR_URL, .secret = true, .since = V,
     .help = "healthchecks.io-style ping URL: start, success, fail (enabled when set)"},
    {.name = "NOTIFY_ON", .type = MB_CONFVAR_ENUM, .choices = "always or failure",
     .def = "always", .since = V,
     .help = "failure: email, Discord and the webhook hear only of failed runs (the healthcheck "
             "still pings every run)"},
    {.name = "NOTIFY_TIMEOUT", .type = MB_CONFVAR_SECONDS, .min = 0.1, .max = 3600, .def = "60",
     .since = V,
     .help = "seconds one notification channel may take, retries included"},
    {.name = "NOTIFY_CONNECT_TIMEOUT", .type = MB_CONFVAR_SECONDS, .min = 0.1, .max = 300,
     .def = "10", .since = V,
     .help = "seconds to connect to a notification server"},
    {.name = "NOTIFY_RETRIES", .type = MB_CONFVAR_INT, .min = 0, .max = 10, .def = "3", .since = V,
     .help = "retries of a webhook after 429, 5xx or network errors"},
    {.name = "AWS_ACCESS_KEY_ID", .type = MB_CONFVAR_STRING, .since = V,
     .help = "access key of s3:// locations (BACKUP_DIR, --archive, restore/verify/inspect)"},
    {.name = "AWS_SECRET_ACCESS_KEY", .type = MB_CONFVAR_STRING, .secret = true, .since = V,
     .help = "secret key of s3:// locations"},
    {.name = "AWS_SESSION_TOKEN", .type = MB_CONFVAR_STRING, .secret = true, .since = V,
     .help = "session token of temporary S3 credentials (sent as x-amz-security-token)"},
    {.name = "AWS_PROFILE", .type = MB_CONFVAR_STRING, .since = V,
     .help = "profile of the AWS shared credentials file (AWS_SHARED_CREDENTIALS_FILE, default "
             "~/.aws/credentials) used when AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY are unset; "
             "unset: [default]"},
    {.name = "AWS_REGION", .type = MB_CONFVAR_STRING, .def = "us-east-1", .since = V,
     .help = "region the S3 requests are signed for (R2: auto)"},
    {.name = "AWS_ENDPOINT_URL", .type = MB_CONFVAR_URL, .since = V,
     .help = "endpoint of an S3-compatible service (MinIO, R2, B2, Ceph, SeaweedFS); unset: AWS"},
    {.name = "S3_FORCE_PATH_STYLE", .type = MB_CONFVAR_BOOL, .since = V,
     .help = "true: ENDPOINT/BUCKET/KEY URLs; false: BUCKET.ENDPOINT/KEY; unset: path-style "
             "with AWS_ENDPOINT_URL, virtual-hosted on AWS"},
    {.name = "S3_TIMEOUT", .type = MB_CONFVAR_SECONDS, .min = 1, .max = 3600, .def = "60",
     .since = V, .help = "seconds an S3 request may go without moving a byte before it is retried"},
    {.name = "S3_RETRIES", .type = MB_CONFVAR_INT, .min = 0, .max = 20, .def = "5", .since = V,
     .help = "retries of an S3 request after 5xx, 429/SlowDown, timeouts and dropped connections "
             "(exponential backoff from 0.2 s)"},
    {.name = "S3_PARTS_IN_FLIGHT", .type = MB_CONFVAR_INT, .min = 1, .max = 16, .def = "3",
     .since = V,
     .help = "parts of a multipart upload sent at once (each part 8 MiB or more), and 8 MiB "
             "buffers read ahead by restore, verify, inspect and cat"},
    {.name = NULL},
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

/* Parse s by v's type into out (a long, or a bool for BOOL); out is written only on success. */
static bool parse(const mb_confvar_t *v, const char *s, void *out, mb_error_t *err)
{
   switch (v->type) {
   case MB_CONFVAR_INT:
      return mb_parse_int(v->name, s, v->noun, (long) v->min, (long) v->max, out, err);
   case MB_CONFVAR_SECONDS:
      return mb_parse_seconds(v->name, s, v->min, v->max, out, err);
   case MB_CONFVAR_BOOL:
      return mb_parse_bool(v->name, s, out, err);
   default:
      BSON_ASSERT(false && "not a typed variable");
      return false;
   }
}

/* The value of name, which must have this type (the table is the contract: a programming
 * error otherwise), else its default; on a bad value *out keeps the default. */
static bool typed(mb_confvar_get_fn get, void *user_data, const char *name, mb_confvar_type_t type,
                  void *out, mb_error_t *err)
{
   const mb_confvar_t *v = mb_confvar_find(name);
   const char *s;

   BSON_ASSERT(v && v->type == type);
   s = raw(get, user_data, v);
   BSON_ASSERT(!v->def || parse(v, v->def, out, err));
   return !s || s == v->def || parse(v, s, out, err);
}

bool mb_confvar_int(mb_confvar_get_fn get, void *user_data, const char *name, long *out,
                    mb_error_t *err)
{
   *out = 0;
   return typed(get, user_data, name, MB_CONFVAR_INT, out, err);
}

bool mb_confvar_bool(mb_confvar_get_fn get, void *user_data, const char *name, bool *out,
                     mb_error_t *err)
{
   *out = false;
   return typed(get, user_data, name, MB_CONFVAR_BOOL, out, err);
}

bool mb_confvar_ms(mb_confvar_get_fn get, void *user_data, const char *name, long *out,
                   mb_error_t *err)
{
   *out = 0;
   return typed(get, user_data, name, MB_CONFVAR_SECONDS, out, err);
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
