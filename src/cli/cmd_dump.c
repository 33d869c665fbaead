/* mongobak dump: options -> mb_dump_run -> progress and summary. */
#include "cli/commands.h"
#include "cli/connect.h"
#include "cli/progress.h"
#include "common/file.h"
#include "common/log.h"
#include "common/text.h"
#include "common/textfile.h"
#include "dump/dump.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The progress line (cli/progress.h): the bytes of every collection against the server's
 * estimates, the first collection being read (dump order: the largest first) with its share. */
static void on_progress(const mb_dump_progress_t *p, void *user_data)
{
   mb_progress_t *st = user_data;
   char ns[512] = "";
   mb_progress_view_t v = {.verb = "dump",
                           .seconds = p->seconds,
                           .bytes = p->bytes,
                           .total = p->bytes_expected,
                           .done = p->ns_done,
                           .count = p->ns_total};

   if (p->nreading > 0) {
      snprintf(ns, sizeof ns, "%s.%s", p->reading[0].db, p->reading[0].collection);
      v.name = ns;
      v.name_bytes = p->reading[0].bytes;
      v.name_total = p->reading[0].bytes_expected;
      v.others = p->nreading - 1;
   }
   mb_progress_draw(st, &v, mb_progress_width(), stderr);
}

/* dump-<UTC time>.archive[.ext][.enc], in dir when given. */
static char *default_output(const char *dir, mb_compress_t c, bool enc)
{
   char ts[32];
   time_t now = time(NULL);
   struct tm tm;

   gmtime_r(&now, &tm);
   strftime(ts, sizeof ts, "%Y%m%dT%H%M%SZ", &tm);
   return bson_strdup_printf("%s%sdump-%s.archive%s%s", dir ? dir : "",
                             dir && *dir && dir[strlen(dir) - 1] != '/' ? "/" : "", ts,
                             mb_compress_extension(c), enc ? MB_CRYPT_EXTENSION : "");
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

/* --ns-exclude patterns, then --exclude-collection as "*.COLL" and
 * --exclude-collections-with-prefix as "*.PREFIX*" (made for the caller, bson_strfreev). */
static const char **exclusions(const mb_args_t *a)
{
   int ne = mb_args_count(a, "ns-exclude"), nc = mb_args_count(a, "exclude-collection");
   int np = mb_args_count(a, "exclude-collections-with-prefix"), k = 0;
   char **v = bson_malloc0((size_t) (ne + nc + np + 1) * sizeof *v);

   for (int i = 0; i < ne; i++) {
      v[k++] = bson_strdup(mb_args_nth(a, "ns-exclude", i));
   }
   for (int i = 0; i < nc; i++) {
      v[k++] = bson_strdup_printf("*.%s", mb_args_nth(a, "exclude-collection", i));
   }
   for (int i = 0; i < np; i++) {
      v[k++] = bson_strdup_printf("*.%s*", mb_args_nth(a, "exclude-collections-with-prefix", i));
   }
   return (const char **) v;
}

/* --query or the contents of --query-file (made for the caller, bson_free), NULL when none. */
static bool query_text(const mb_args_t *a, char **text, mb_error_t *err)
{
   const char *q = mb_args_get(a, "query"), *file = mb_args_get(a, "query-file");

   *text = NULL;
   if (q && file) {
      mb_error_set(err, MB_EXIT_USAGE, "--query and --query-file exclude each other");
      return false;
   }
   if (file) {
      return mb_textfile_read(file, (size_t) 16 << 20, text, NULL, err);
   }
   *text = q ? bson_strdup(q) : NULL;
   return true;
}

/* Whether path ends in ".enc": an encrypted archive's name (archive/crypt.h). */
static bool named_encrypted(const char *path)
{
   size_t n = strlen(path), e = strlen(MB_CRYPT_EXTENSION);
   return n > e && strcmp(path + n - e, MB_CRYPT_EXTENSION) == 0;
}

/* The compression an archive's name says (before ".enc"): .gz gzip, .zst zstd; false when it
 * says nothing. */
static bool named_compression(const char *path, mb_compress_t *c)
{
   size_t n = strlen(path) - (named_encrypted(path) ? strlen(MB_CRYPT_EXTENSION) : 0);

   if (n > 3 && strncmp(path + n - 3, ".gz", 3) == 0) {
      *c = MB_COMPRESS_GZIP;
      return true;
   }
   if (n > 4 && strncmp(path + n - 4, ".zst", 4) == 0) {
      *c = MB_COMPRESS_ZSTD;
      return true;
   }
   return false;
}

/* --archive and --compress. A file is what its name says: x.archive (and -) is written
 * uncompressed, as mongodump writes it, unless --compress says otherwise; x.gz is gzip, x.zst
 * zstd, and a --compress contradicting the name is refused. Without --archive (or with a
 * directory) the generated name is zstd unless --compress says otherwise, with its suffix. */
static bool output_and_compression(const mb_args_t *a, mb_dump_opts_t *o, mb_error_t *err)
{
   const char *kind = mb_args_get(a, "compress"), *path;
   mb_compress_t given = MB_COMPRESS_ZSTD, named;
   struct stat st;

   if (kind && !mb_compress_parse(kind, &given)) {
      mb_error_set(err, MB_EXIT_USAGE, "--compress must be zstd, gzip or none, not '%s'", kind);
      return false;
   }
   if ((path = mb_args_get(a, "out")) != NULL) {
      /* mongodump's directory layout: plain unless told otherwise */
      if (o->encrypt) {
         mb_error_set(err, MB_EXIT_USAGE,
                      "--out writes mongodump's plain directory layout, which is not encrypted; "
                      "with an encryption key, dump to an --archive");
         return false;
      }
      if (mb_args_get(a, "archive")) {
         mb_error_set(err, MB_EXIT_USAGE, "--out and --archive exclude each other");
         return false;
      }
      if (strcmp(path, "-") == 0) {
         mb_error_set(err, MB_EXIT_USAGE,
                      "--out - (BSON on stdout) is not supported; stream an archive with "
                      "--archive -");
         return false;
      }
      o->compress = kind ? given : MB_COMPRESS_NONE;
      o->output = bson_strdup(path);
      o->output_dir = true;
      o->output_flags = mb_args_flag(a, "overwrite") ? MB_FILE_REPLACE : MB_FILE_NO_REPLACE;
      return true;
   }
   path = mb_args_get(a, "archive");
   if (!path || (stat(path, &st) == 0 && S_ISDIR(st.st_mode))) {
      /* a generated name never replaces anything: a dump of the same second gets "-N" */
      o->compress = given;
      o->output = default_output(path, o->compress, o->encrypt != NULL);
      o->output_flags = MB_FILE_UNIQUE;
      return true;
   }
   if (named_compression(path, &named) && kind && named != given) {
      mb_error_set(err, MB_EXIT_USAGE,
                   "--archive '%s' names a %s file but --compress is %s; rename it or drop "
                   "--compress",
                   path, mb_compress_name(named), mb_compress_name(given));
      return false;
   }
   /* a name says what the file is; a device or a FIFO (/dev/null) has no such name */
   if (strcmp(path, "-") != 0 && !(stat(path, &st) == 0 && !S_ISREG(st.st_mode)) &&
       named_encrypted(path) != (o->encrypt != NULL)) {
      mb_error_set(err, MB_EXIT_USAGE,
                   o->encrypt ? "--archive '%s': with an encryption key the archive is encrypted "
                                "and its name must end in " MB_CRYPT_EXTENSION
                              : "--archive '%s' names an encrypted archive (" MB_CRYPT_EXTENSION
                                ") but no encryption key is given (--encrypt-key-file, "
                                "ENCRYPTION_KEY_FILE, --passphrase-file or ENCRYPTION_PASSPHRASE)",
                   path);
      return false;
   }
   o->compress = kind ? given : named_compression(path, &named) ? named : MB_COMPRESS_NONE;
   if (strcmp(path, "-") == 0 && isatty(STDOUT_FILENO)) {
      mb_error_set(err, MB_EXIT_USAGE,
                   "--archive - would write a binary archive to the terminal; redirect stdout "
                   "(> FILE, or | mongorestore --archive)");
      return false;
   }
   o->output = bson_strdup(path);
   o->output_flags = mb_args_flag(a, "overwrite") ? MB_FILE_REPLACE : MB_FILE_NO_REPLACE;
   return true;
}

static bool read_options(const mb_args_t *a, mb_dump_opts_t *o, bson_t **query, mb_error_t *err)
{
   char *text;
   long v;
   bson_error_t je;

   o->select.db = mb_args_get(a, "db");
   o->select.collection = mb_args_get(a, "collection");
   o->select.include = pattern_list(a, "ns-include");
   o->select.exclude = exclusions(a);
   o->select.views_as_collections = mb_args_flag(a, "views-as-collections");
   o->select.dump_users_and_roles = mb_args_flag(a, "dump-users-and-roles");
   o->oplog = mb_args_flag(a, "oplog");
   if (o->select.collection && !o->select.db) {
      mb_error_set(err, MB_EXIT_USAGE, "--collection needs --db");
      return false;
   }
   if (o->select.dump_users_and_roles && (!o->select.db || o->select.collection)) {
      mb_error_set(err, MB_EXIT_USAGE, "--dump-users-and-roles needs --db and no --collection");
      return false;
   }
   if (!query_text(a, &text, err)) {
      return false;
   }
   if (text) {
      if (!o->select.collection) {
         mb_error_set(err, MB_EXIT_USAGE, "--query needs --collection");
         bson_free(text);
         return false;
      }
      *query = bson_new_from_json((const uint8_t *) text, -1, &je);
      bson_free(text);
      if (!*query) {
         mb_error_set(err, MB_EXIT_USAGE, "--query is not valid Extended JSON: %s", je.message);
         return false;
      }
      o->select.query = *query;
   }
   if (!mb_cli_crypt_key(a, &o->encrypt, err) || !output_and_compression(a, o, err)) {
      return false;
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
   return true;
}

static const mb_ns_stats_t *oplog_of(const mb_dump_report_t *r)
{
   return r->nns > 0 && r->ns[r->nns - 1].oplog ? &r->ns[r->nns - 1] : NULL;
}

static void print_summary(FILE *f, const mb_dump_report_t *r, mb_compress_t c)
{
   double mb = (double) r->bytes_in / 1e6;
   const mb_ns_stats_t *op = oplog_of(r);
   char ts[24], iso[32];

   mb_ns_stats_print_table(f, r->ns, (size_t) r->nns);
   if (op) {
      fprintf(f, "point in time: %s (%s), %llu oplog entries\n",
              mb_oplog_ts_format(op->oplog_end, ts, sizeof ts),
              mb_oplog_ts_iso(op->oplog_end, iso, sizeof iso), (unsigned long long) op->docs);
   }
   fprintf(f,
           "dumped %d collections, %llu documents, %.1f MB of BSON -> %.1f MB (%s) in %.2f s, "
           "%.1f MB/s: %s\n",
           r->nns - (op ? 1 : 0), (unsigned long long) r->docs, mb, (double) r->bytes_out / 1e6,
           mb_compress_name(c), r->seconds, r->seconds > 0 ? mb / r->seconds : 0, r->output);
}

static void print_json(FILE *f, const mb_dump_report_t *r, mb_compress_t c)
{
   bson_t out = BSON_INITIALIZER;

   BSON_APPEND_UTF8(&out, "archive", r->output);
   BSON_APPEND_UTF8(&out, "compression", mb_compress_name(c));
   BSON_APPEND_UTF8(&out, "server_version", r->server_version);
   BSON_APPEND_INT32(&out, "collections", r->nns - (oplog_of(r) ? 1 : 0));
   if (oplog_of(r)) {
      char ts[24], iso[32];
      BSON_APPEND_UTF8(&out, "point_in_time",
                       mb_oplog_ts_iso(oplog_of(r)->oplog_end, iso, sizeof iso));
      BSON_APPEND_UTF8(&out, "oplog_end",
                       mb_oplog_ts_format(oplog_of(r)->oplog_end, ts, sizeof ts));
   }
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
   mb_progress_t st;
   bson_t *query = NULL;
   mb_error_t err;
   const char **pos;
   bool quiet = mb_args_flag(args, "quiet");
   char *uri = NULL;
   int rc = MB_EXIT_OK;

   memset(&o, 0, sizeof o);
   if (mb_args_positional(args, &pos) > 0) {
      mb_error_set(&err, MB_EXIT_USAGE,
                   "unexpected argument '%s'; the server is given with --uri or --host", pos[0]);
      return mb_cli_fail("dump", &err);
   }
   if (!mb_connect_uri(args, "mongodb://localhost:27017", &uri, &err) ||
       !read_options(args, &o, &query, &err)) {
      rc = mb_cli_fail("dump", &err);
      goto done;
   }
   o.uri = uri;
   mb_progress_init(&st);
   if (!mb_dump_run(&o, mb_progress_wanted(quiet) ? on_progress : NULL, &st, &r, &err)) {
      mb_progress_clear(&st, stderr);
      rc = mb_cli_fail("dump", &err);
      goto done;
   }
   mb_progress_clear(&st, stderr);
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
   bson_strfreev((char **) o.select.exclude);
   bson_free(uri);
   mb_crypt_key_destroy(o.encrypt);
   return rc;
}
