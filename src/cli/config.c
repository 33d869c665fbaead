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

typedef struct {
   char *value;
   char *source;
} slot_t;

struct mb_config {
   slot_t *slots; /* one per mb_confvars entry */
   int n;
};

static int var_index(const char *name)
{
   for (int i = 0; mb_confvars[i].name; i++) {
      if (strcmp(mb_confvars[i].name, name) == 0) {
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

/* A value given at one level: empty counts as not given (the next level applies). */
static const char *given(const char *v)
{
   return v && *v ? v : NULL;
}

static bool resolve(mb_config_t *c, int i, const mb_args_t *args, const mb_dotenv_t *env,
                    const char *envname, mb_error_t *err)
{
   const mb_confvar_t *v = &mb_confvars[i];
   slot_t *s = &c->slots[i];
   char fname[128], src[160];
   const char *flagv = given(v->flag ? mb_args_get(args, v->flag) : NULL);
   const char *envv = given(getenv(v->name)), *envf;
   const char *dv = NULL, *df = NULL;
   int line = 0;

   snprintf(fname, sizeof fname, "%s_FILE", v->name);
   envf = given(getenv(fname));
   if (flagv && !(envv && strcmp(envv, flagv) == 0)) {
      snprintf(src, sizeof src, "flag --%s", v->flag);
      return take(s, v->name, flagv, NULL, src, err);
   }
   if (envv || envf) {
      return take(s, v->name, envv, envf, "environment", err);
   }
   for (int k = 0; env && k < env->n; k++) { /* a key given twice: the last wins */
      const mb_dotenv_entry_t *e = &env->entries[k];
      if (strcmp(e->key, v->name) == 0) {
         dv = given(e->value);
         line = dv || df ? e->line : line;
      } else if (strcmp(e->key, fname) == 0) {
         df = given(e->value);
         line = dv || df ? e->line : line;
      }
   }
   if (dv || df) {
      snprintf(src, sizeof src, "%s line %d", envname, line);
      return take(s, v->name, dv, df, src, err);
   }
   if (v->def) {
      s->value = bson_strdup(v->def);
      s->source = bson_strdup("default");
   }
   return true;
}

/* One warning per .env key that names no variable (NAME_FILE counts as NAME), with the nearest
 * known name. Only the .env file: the environment holds many variables of other programs. */
static void warn_unknown(const mb_dotenv_t *env, const char *envname, bool json)
{
   for (int k = 0; env && k < env->n; k++) {
      const char *key = env->entries[k].key, *near;
      size_t n = strlen(key);
      char base[128];
      bool dup = false;

      snprintf(base, sizeof base, "%.*s",
               (int) (n > 5 && strcmp(key + n - 5, "_FILE") == 0 ? n - 5 : n), key);
      if (mb_confvar_find(base) || mb_confvar_find(key)) {
         continue;
      }
      for (int j = 0; j < k && !dup; j++) {
         dup = strcmp(env->entries[j].key, key) == 0;
      }
      if (dup) {
         continue;
      }
      near = mb_confvar_nearest(base);
      if (json) { /* LOG_FORMAT=json: every line on stderr is JSON */
         mb_log_set_json();
         mb_log(MB_LOG_WARN, "%s line %d: unknown variable %s%s%s%s", envname, env->entries[k].line,
                key, near ? " (did you mean " : "", near ? near : "",
                near ? (strcmp(base, key) != 0 ? "_FILE?)" : "?)") : "");
         continue;
      }
      fprintf(stderr, "warning: %s line %d: unknown variable %s%s%s%s\n", envname,
              env->entries[k].line, key, near ? " (did you mean " : "", near ? near : "",
              near ? (strcmp(base, key) != 0 ? "_FILE?)" : "?)") : "");
   }
}

/* Secrets are masked in every output from now on: the secrets of a URI or URL (found by
 * parsing, also when it is malformed), any other secret value whole. */
static void register_secret(const mb_confvar_t *v, const char *value)
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
   bool ok, loaded;

   while (c && mb_confvars[c->n].name) {
      c->n++;
   }
   if (!c || !(c->slots = calloc((size_t) c->n, sizeof *c->slots))) {
      free(c);
      mb_error_set(err, MB_EXIT_FAILURE, "out of memory");
      return false;
   }
   ok = load_dotenv(args, &env, &envname, err);
   loaded = ok;
   for (int i = 0; ok && i < c->n; i++) {
      ok = resolve(c, i, args, env, envname, err);
   }
   if (loaded) { /* after resolving: LOG_FORMAT=json makes the warnings JSON lines */
      const char *fmt = mb_args_get(args, "log-format"),
                 *v = ok ? mb_config_get(c, "LOG_FORMAT") : NULL;
      warn_unknown(env, envname, fmt ? strcmp(fmt, "json") == 0 : v && strcmp(v, "json") == 0);
   }
   for (int i = 0; ok && i < c->n; i++) {
      register_secret(&mb_confvars[i], c->slots[i].value);
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
static void display(const mb_confvar_t *v, const char *value, char *out, size_t size)
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

/* Whether BACKUP_OPLOG is on only because OPLOG_ARCHIVE=true implies it. */
static bool oplog_implied(const mb_config_t *c)
{
   mb_error_t e;
   bool archive = false, oplog = false;

   return mb_confvar_bool(mb_config_getter, (void *) c, "OPLOG_ARCHIVE", &archive, &e) && archive &&
          mb_confvar_bool(mb_config_getter, (void *) c, "BACKUP_OPLOG", &oplog, &e) && !oplog;
}

void mb_config_print(const mb_config_t *c, FILE *f, bool json)
{
   bson_t doc = BSON_INITIALIZER, item;
   char shown[2048];
   bool implied = oplog_implied(c);

   for (int i = 0; i < c->n; i++) {
      const mb_confvar_t *v = &mb_confvars[i];
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
         if (implied && strcmp(v->name, "BACKUP_OPLOG") == 0) {
            BSON_APPEND_UTF8(&item, "effective", "true (implied by OPLOG_ARCHIVE=true)");
         }
         bson_append_document_end(&doc, &item);
      } else if (implied && strcmp(v->name, "BACKUP_OPLOG") == 0) {
         fprintf(f, "%-29s %-40s %s; true: implied by OPLOG_ARCHIVE=true\n", v->name, shown,
                 mb_config_source(c, v->name));
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

   display(&mb_confvars[i], v, shown, sizeof shown);
   snprintf(line, sizeof line, "config: %s = '%s' (%s): %s", name, shown,
            mb_config_source(k->c, name), what);
   mb_redact_text(line, sizeof line);
   if (k->f == stderr && mb_log_json_enabled()) {
      mb_log(MB_LOG_ERROR, "%s", line); /* LOG_FORMAT=json: every line on stderr is JSON */
   } else {
      fprintf(k->f, "%s\n", line);
   }
   k->problems++;
}

static void problem_form(check_t *k, const char *name)
{
   char what[160], form[128];

   mb_confvar_form(mb_confvar_find(name), form, sizeof form);
   snprintf(what, sizeof what, "must be %s", form);
   problem(k, name, what);
}

/* A whole number within the table's range; a problem (and the table's minimum) otherwise. */
static long check_int(check_t *k, const char *name)
{
   const mb_confvar_t *v = mb_confvar_find(name);
   mb_error_t e;
   long n;

   if (!mb_config_get(k->c, name) ||
       !mb_confvar_int(mb_config_getter, (void *) k->c, name, &n, &e)) {
      problem_form(k, name);
      return (long) v->min;
   }
   return n;
}

static bool check_bool(check_t *k, const char *name)
{
   mb_error_t e;
   bool b;

   if (!mb_confvar_bool(mb_config_getter, (void *) k->c, name, &b, &e)) {
      problem_form(k, name);
   }
   return b;
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
      problem_form(k, "COMPRESSION");
   }
   s->level = mb_compress_default_level(s->compress);
   if (mb_config_get(k->c, "COMPRESSION_LEVEL") && s->compress != MB_COMPRESS_NONE) {
      level = check_int(k, "COMPRESSION_LEVEL");
      if (s->compress == MB_COMPRESS_GZIP && level > 9) { /* the table's range is zstd's */
         problem(k, "COMPRESSION_LEVEL", "must be a whole number from 1 to 9");
         level = 1;
      }
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
   s->retention.max_backups = (int) check_int(&k, "MAX_BACKUPS");
   s->retention.keep_daily = (int) check_int(&k, "KEEP_DAILY");
   s->retention.keep_weekly = (int) check_int(&k, "KEEP_WEEKLY");
   s->retention.keep_monthly = (int) check_int(&k, "KEEP_MONTHLY");
   s->timeout_ms = check_int(&k, "BACKUP_TIMEOUT");
   s->jobs = (int) check_int(&k, "BACKUP_JOBS");
   s->oplog = check_bool(&k, "BACKUP_OPLOG");
   s->oplog_archive = check_bool(&k, "OPLOG_ARCHIVE");
   s->oplog = s->oplog || s->oplog_archive; /* the slices start at a backup's oplog end */
   s->oplog_slice = (int) check_int(&k, "OPLOG_SLICE");
   s->oplog_slice_bytes = (uint64_t) check_int(&k, "OPLOG_SLICE_MB") << 20;
   s->status_interval = (int) check_int(&k, "STATUS_INTERVAL");
   s->retries = (int) check_int(&k, "BACKUP_RETRIES");
   s->retry_delay_ms = check_int(&k, "BACKUP_RETRY_DELAY") * 1000;
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
      problem_form(&k, "LOG_LEVEL");
   }
   v = mb_config_get(c, "LOG_FORMAT");
   if (v && strcmp(v, "text") != 0 && strcmp(v, "json") != 0) {
      problem_form(&k, "LOG_FORMAT");
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
      register_secret(&mb_confvars[i], c.slots[i].value);
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

bool mb_config_encryption(const mb_config_t *c, const mb_args_t *args, const char **key_file,
                          char **passphrase, mb_error_t *err)
{
   const char *pf = args ? given(mb_args_get(args, "passphrase-file")) : NULL;
   const char *p = mb_config_get(c, "ENCRYPTION_PASSPHRASE");

   *key_file = mb_config_get(c, "ENCRYPTION_KEY_FILE");
   *passphrase = NULL;
   if (pf) {
      if (!read_secret_file(pf, passphrase, err)) {
         mb_error_prefix(err, "--passphrase-file");
         return false;
      }
      mb_redact_add_secret(*passphrase);
   } else if (p) {
      *passphrase = bson_strdup(p);
   }
   if (*key_file && *passphrase) {
      bson_free(*passphrase);
      *passphrase = NULL;
      mb_error_set(err, MB_EXIT_USAGE,
                   "give either an encryption key file (ENCRYPTION_KEY_FILE, --encrypt-key-file) "
                   "or a passphrase (ENCRYPTION_PASSPHRASE, --passphrase-file), not both");
      return false;
   }
   return true;
}

bool mb_config_crypt_key(const char *key_file, const char *passphrase, mb_crypt_key_t **out,
                         mb_error_t *err)
{
   *out = NULL;
   if (key_file) {
      if (!mb_crypt_key_load(key_file, out, err)) {
         mb_error_prefix(err, "encryption key file (ENCRYPTION_KEY_FILE, --encrypt-key-file)");
         return false;
      }
      return true;
   }
   if (passphrase) {
      return mb_crypt_key_from_passphrase(passphrase, strlen(passphrase), out, err);
   }
   return true;
}
