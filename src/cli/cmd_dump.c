/* mongobak dump: options -> mb_dump_run -> progress and summary. */
#include "cli/commands.h"
#include "common/file.h"
#include "common/log.h"
#include "common/text.h"
#include "dump/dump.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct {
   bool tty;
   double last;
} progress_state_t;

static void on_progress(const mb_dump_progress_t *p, void *user_data)
{
   progress_state_t *st = user_data;
   double mb = (double) p->bytes / 1e6, rate = p->seconds > 0 ? mb / p->seconds : 0;
   char eta[32] = "";

   if (!st->tty || p->seconds - st->last < 1.0) {
      return;
   }
   st->last = p->seconds;
   if (p->bytes_expected > p->bytes && rate > 0) {
      double left = ((double) (p->bytes_expected - p->bytes) / 1e6) / rate;
      snprintf(eta, sizeof eta, ", ETA %d:%02d", (int) left / 60, (int) left % 60);
   }
   fprintf(stderr, "\r\033[Kdump: %d/%d collections, %llu documents, %.1f MB, %.1f MB/s%s%s%s",
           p->ns_done, p->ns_total, (unsigned long long) p->docs, mb, rate, eta,
           p->current ? " | " : "", p->current ? p->current : "");
}

/* dump-<UTC time>.archive[.ext], in dir when given. */
static char *default_output(const char *dir, mb_compress_t c)
{
   char ts[32];
   time_t now = time(NULL);
   struct tm tm;

   gmtime_r(&now, &tm);
   strftime(ts, sizeof ts, "%Y%m%dT%H%M%SZ", &tm);
   return bson_strdup_printf("%s%sdump-%s.archive%s", dir ? dir : "",
                             dir && *dir && dir[strlen(dir) - 1] != '/' ? "/" : "", ts,
                             mb_compress_extension(c));
}

/* The values of a repeatable option as a NULL-terminated array (made for the caller). */
static const char **pattern_list(const mb_args_t *a, const char *name)
{
   int n = mb_args_count(a, name);
   const char **v = bson_malloc0((size_t) (n + 1) * sizeof *v);

   for (int i = 0; i < n; i++) {
      v[i] = mb_args_nth(a, name, i);
   }
   return v;
}

static bool read_options(const mb_args_t *a, mb_dump_opts_t *o, bson_t **query, mb_error_t *err)
{
   const char *s;
   long v;
   bson_error_t je;
   struct stat st;

   o->select.db = mb_args_get(a, "db");
   o->select.collection = mb_args_get(a, "collection");
   o->select.include = pattern_list(a, "ns-include");
   o->select.exclude = pattern_list(a, "ns-exclude");
   o->select.views_as_collections = mb_args_flag(a, "views-as-collections");
   o->select.dump_users_and_roles = mb_args_flag(a, "dump-users-and-roles");
   if (o->select.collection && !o->select.db) {
      mb_error_set(err, MB_EXIT_USAGE, "--collection needs --db");
      return false;
   }
   if (o->select.dump_users_and_roles && (!o->select.db || o->select.collection)) {
      mb_error_set(err, MB_EXIT_USAGE, "--dump-users-and-roles needs --db and no --collection");
      return false;
   }
   if ((s = mb_args_get(a, "query")) != NULL) {
      if (!o->select.collection) {
         mb_error_set(err, MB_EXIT_USAGE, "--query needs --collection");
         return false;
      }
      *query = bson_new_from_json((const uint8_t *) s, -1, &je);
      if (!*query) {
         mb_error_set(err, MB_EXIT_USAGE, "--query is not valid Extended JSON: %s", je.message);
         return false;
      }
      o->select.query = *query;
   }
   s = mb_args_get(a, "compress");
   if (s && !mb_compress_parse(s, &o->compress)) {
      mb_error_set(err, MB_EXIT_USAGE, "--compress must be zstd, gzip or none, not '%s'", s);
      return false;
   }
   if (!s) {
      /* a directory is mongodump's: plain unless told otherwise */
      o->compress = mb_args_get(a, "out") ? MB_COMPRESS_NONE : MB_COMPRESS_ZSTD;
   }
   if (!mb_args_int(a, "level", mb_compress_default_level(o->compress), 0, 22, &v, err)) {
      return false;
   }
   if (!mb_compress_level_valid(o->compress, (int) v)) {
      mb_error_set(err, MB_EXIT_USAGE, "--level %ld is not valid for %s (zstd: 1-19, gzip: 1-9)", v,
                   mb_compress_name(o->compress));
      return false;
   }
   o->level = (int) v;
   if (!mb_args_int(a, "jobs", 4, 1, 64, &v, err)) {
      return false;
   }
   o->jobs = (int) v;
   if (!mb_args_size(a, "split-threshold", 256ll << 20, &o->select.split_threshold, err)) {
      return false;
   }
   if (!mb_args_flag(a, "split")) {
      o->select.split_threshold = 0;
   }
   o->select.split_ranges = 2 * o->jobs;
   if (!mb_args_int(a, "compress-threads", sysconf(_SC_NPROCESSORS_ONLN), 1, 256, &v, err)) {
      return false;
   }
   o->compress_threads = (int) v;
   if ((s = mb_args_get(a, "out")) != NULL) {
      if (mb_args_get(a, "archive")) {
         mb_error_set(err, MB_EXIT_USAGE, "--out and --archive exclude each other");
         return false;
      }
      if (strcmp(s, "-") == 0) {
         mb_error_set(err, MB_EXIT_USAGE,
                      "--out - (BSON on stdout) is not supported; stream an archive with "
                      "--archive -");
         return false;
      }
      o->output = bson_strdup(s);
      o->output_dir = true;
      o->output_flags = mb_args_flag(a, "overwrite") ? MB_FILE_REPLACE : MB_FILE_NO_REPLACE;
      return true;
   }
   s = mb_args_get(a, "archive");
   if (!s || (stat(s, &st) == 0 && S_ISDIR(st.st_mode))) {
      /* a generated name never replaces anything: a dump of the same second gets "-N" */
      o->output = default_output(s, o->compress);
      o->output_flags = MB_FILE_UNIQUE;
   } else {
      o->output = bson_strdup(s);
      o->output_flags = mb_args_flag(a, "overwrite") ? MB_FILE_REPLACE : MB_FILE_NO_REPLACE;
   }
   return true;
}

static void print_summary(FILE *f, const mb_dump_report_t *r, mb_compress_t c)
{
   double mb = (double) r->bytes_in / 1e6;

   mb_ns_stats_print_table(f, r->ns, (size_t) r->nns);
   fprintf(f,
           "dumped %d collections, %llu documents, %.1f MB of BSON -> %.1f MB (%s) in %.2f s, "
           "%.1f MB/s: %s\n",
           r->nns, (unsigned long long) r->docs, mb, (double) r->bytes_out / 1e6,
           mb_compress_name(c), r->seconds, r->seconds > 0 ? mb / r->seconds : 0, r->output);
}

static void print_json(FILE *f, const mb_dump_report_t *r, mb_compress_t c)
{
   bson_t out = BSON_INITIALIZER;

   BSON_APPEND_UTF8(&out, "archive", r->output);
   BSON_APPEND_UTF8(&out, "compression", mb_compress_name(c));
   BSON_APPEND_UTF8(&out, "server_version", r->server_version);
   BSON_APPEND_INT32(&out, "collections", r->nns);
   BSON_APPEND_INT64(&out, "documents", (int64_t) r->docs);
   BSON_APPEND_INT64(&out, "bytes_in", (int64_t) r->bytes_in);
   BSON_APPEND_INT64(&out, "bytes_out", (int64_t) r->bytes_out);
   BSON_APPEND_DOUBLE(&out, "seconds", mb_ns_stats_round_seconds(r->seconds));
   BSON_APPEND_DOUBLE(&out, "mb_per_second",
                      r->seconds > 0 ? (double) r->bytes_in / 1e6 / r->seconds : 0);
   mb_ns_stats_append_array(&out, "namespaces", r->ns, (size_t) r->nns,
                            MB_NS_STATS_TYPE | MB_NS_STATS_CRC | MB_NS_STATS_SECONDS);
   mb_text_append_strings(&out, "warnings", (const char *const *) r->warnings);
   mb_cli_print_json(f, &out);
   bson_destroy(&out);
}

int mb_cmd_dump(const mb_args_t *args)
{
   mb_dump_opts_t o;
   mb_dump_report_t *r = NULL;
   progress_state_t st = {0};
   bson_t *query = NULL;
   mb_error_t err;
   const char **pos;
   bool quiet = mb_args_flag(args, "quiet");
   char *uri = NULL;
   int rc = MB_EXIT_OK;

   memset(&o, 0, sizeof o);
   if (mb_args_positional(args, &pos) > 0) {
      mb_error_set(&err, MB_EXIT_USAGE, "unexpected argument '%s'; the server is given with --uri",
                   pos[0]);
      return mb_cli_fail("dump", &err);
   }
   if (!mb_config_uri(args, "mongodb://localhost:27017", &uri, &err) ||
       !read_options(args, &o, &query, &err)) {
      rc = mb_cli_fail("dump", &err);
      goto done;
   }
   o.uri = uri;
   st.tty = !quiet && isatty(STDERR_FILENO);
   if (!mb_dump_run(&o, on_progress, &st, &r, &err)) {
      if (st.tty) {
         fprintf(stderr, "\r\033[K");
      }
      rc = mb_cli_fail("dump", &err);
      goto done;
   }
   if (st.tty) {
      fprintf(stderr, "\r\033[K");
   }
   if (!quiet) {
      /* the summary never mixes with an archive streamed to stdout */
      FILE *f = strcmp(o.output, "-") == 0 ? stderr : stdout;
      if (mb_args_flag(args, "json")) {
         print_json(f, r, o.compress);
      } else {
         print_summary(f, r, o.compress);
      }
   }
done:
   mb_dump_report_destroy(r);
   bson_destroy(query);
   bson_free((char *) o.output);
   bson_free((void *) o.select.include);
   bson_free((void *) o.select.exclude);
   bson_free(uri);
   return rc;
}
