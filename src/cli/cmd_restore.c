/* mongobak restore: options to the restore engine, progress on a terminal, the summary. */
#include "cli/commands.h"
#include "archive/dirsource.h"
#include "cli/connect.h"
#include "cli/progress.h"
#include "restore/restore.h"
#include "storage/s3.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_URI "mongodb://localhost:27017"
#define MAX_JOBS 64

/* The values of a repeatable option (borrowed strings; the array is freed by the caller). */
static const char **values_of(const mb_args_t *args, const char *name, int *n)
{
   const char **v;

   *n = mb_args_count(args, name);
   v = bson_malloc0(sizeof *v * (size_t) (*n + 1));
   for (int i = 0; i < *n; i++) {
      v[i] = mb_args_nth(args, name, i);
   }
   return v;
}

static bool read_options(const mb_args_t *args, mb_restore_opts_t *o, mb_error_t *err)
{
   const char **pos;
   int nfrom, nto;
   long jobs;

   if (mb_args_positional(args, &pos) > 1) {
      mb_error_set(err, MB_EXIT_USAGE, "unexpected argument '%s'; give one directory", pos[1]);
      return false;
   }
   if (!mb_args_int(args, "jobs", 4, 1, MAX_JOBS, &jobs, err)) {
      return false;
   }
   o->jobs = (int) jobs;
   o->drop = mb_args_flag(args, "drop");
   o->no_index_restore = mb_args_flag(args, "no-index-restore");
   o->preserve_uuid = mb_args_flag(args, "preserve-uuid");
   o->dry_run = mb_args_flag(args, "dry-run");
   o->stop_on_error = mb_args_flag(args, "stop-on-error");
   o->oplog_replay = mb_args_flag(args, "oplog-replay");
   if (mb_args_get(args, "oplog-limit")) {
      static mb_oplog_ts_t limit; /* the options live for the whole command */
      if (!o->oplog_replay) {
         mb_error_set(err, MB_EXIT_USAGE, "--oplog-limit needs --oplog-replay");
         return false;
      }
      if (!mb_oplog_ts_parse("--oplog-limit", mb_args_get(args, "oplog-limit"), &limit, err)) {
         return false;
      }
      o->oplog_limit = &limit;
   }
   o->includes = values_of(args, "ns-include", &o->n_includes);
   o->excludes = values_of(args, "ns-exclude", &o->n_excludes);
   o->froms = values_of(args, "ns-from", &nfrom);
   o->tos = values_of(args, "ns-to", &nto);
   o->n_renames = nfrom;
   if (nfrom != nto) {
      mb_error_set(err, MB_EXIT_USAGE,
                   "--ns-from and --ns-to come in pairs: %d --ns-from but %d --ns-to", nfrom, nto);
      return false;
   }
   return true;
}

/* The input: --archive FILE, or a mongodump directory (DIR as mongorestore takes it, or --dir),
 * or stdin. */
static bool input_path(const mb_args_t *args, const char **path, mb_error_t *err)
{
   const char **pos, *archive = mb_args_get(args, "archive"), *dir = mb_args_get(args, "dir");
   int npos = mb_args_positional(args, &pos);

   if (npos > 0 && dir) {
      mb_error_set(err, MB_EXIT_USAGE, "give the directory once: '%s' or --dir %s", pos[0], dir);
      return false;
   }
   dir = npos > 0 ? pos[0] : dir; /* the positional argument or --dir, one at most */
   bool is_dir = dir && mb_dirsource_is_dir(dir);

   if (dir && npos > 0 && !archive && !is_dir) {
      /* restore FILE and restore s3://b/k: the archive, as verify and inspect take it */
      struct stat st;
      if (mb_repo_is_s3(dir) || (stat(dir, &st) == 0 && !S_ISDIR(st.st_mode))) {
         *path = dir;
         return true;
      }
   }
   if (dir && archive) {
      mb_error_set(err, MB_EXIT_USAGE, "--archive and a directory (%s) exclude each other", dir);
      return false;
   }
   if (dir && !is_dir) {
      mb_error_set(err, MB_EXIT_USAGE,
                   "%s: no such directory or archive: give an archive (FILE or s3://BUCKET/KEY) or "
                   "mongodump's --out directory",
                   dir);
      return false;
   }
   if (dir && mb_args_flag(args, "oplog-replay")) {
      mb_error_set(err, MB_EXIT_USAGE,
                   "--oplog-replay reads the oplog of an archive; a directory's oplog.bson is not "
                   "read: dump with --oplog --archive");
      return false;
   }
   *path = dir ? dir : archive ? archive : "-";
   return true;
}

static void free_options(mb_restore_opts_t *o)
{
   bson_free((void *) o->includes);
   bson_free((void *) o->excludes);
   bson_free((void *) o->froms);
   bson_free((void *) o->tos);
}

/* The progress line (cli/progress.h): the bytes read of the input (compressed, as stored)
 * against its size when it is a file, the namespace of the last document read. */
static void show_progress(void *user_data, const mb_restore_progress_t *p)
{
   mb_progress_t *st = user_data;
   mb_progress_view_t v = {.verb = "restore",
                           .seconds = p->seconds,
                           .bytes = p->input_bytes,
                           .total = p->input_size,
                           .done = p->ns_done,
                           .count = p->ns_total,
                           .name = p->current};

   if (p->final) {
      mb_progress_clear(st, stderr);
      return;
   }
   mb_progress_draw(st, &v, mb_progress_width(), stderr);
}

static uint64_t input_size(const char *path)
{
   struct stat st;

   if (strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
      return (uint64_t) st.st_size;
   }
   return 0;
}

int mb_cmd_restore(const mb_args_t *args)
{
   mb_restore_opts_t o;
   mb_restore_report_t *report = NULL;
   mb_source_t *src = NULL, *raw = NULL;
   mb_crypt_key_t *key = NULL;
   mb_compress_t kind = MB_COMPRESS_NONE;
   const char *path = "-";
   bool json = mb_args_flag(args, "json"), quiet = mb_args_flag(args, "quiet"), ok;
   mb_error_t err;
   mb_progress_t st;
   char *uri = NULL;
   int rc = MB_EXIT_OK;

   memset(&o, 0, sizeof o);
   mb_progress_init(&st);
   ok = input_path(args, &path, &err) && mb_connect_uri(args, DEFAULT_URI, &uri, &err) &&
        read_options(args, &o, &err);
   if (ok && strcmp(path, "-") == 0 && isatty(STDIN_FILENO) && !quiet) {
      /* otherwise a forgotten --archive looks like a hang */
      fprintf(stderr, "mongobak restore: waiting for the archive on stdin (a terminal); pipe one "
                      "in or give --archive FILE\n");
   }
   /* encrypted: authenticated to the end first, so that a bad file writes nothing */
   ok = ok && mb_cli_crypt_key(args, &key, &err) &&
        mb_cli_open_archive(path, key, true, &src, &raw, &kind, NULL, &err);
   o.uri = uri;
   if (ok) {
      o.raw = raw;
      o.input_size = input_size(path);
      o.progress = mb_progress_wanted(quiet) ? show_progress : NULL;
      o.progress_user_data = &st;
      ok = mb_restore_run(&o, src, &report, &err);
      mb_progress_clear(&st, stderr);
   }
   if (json) {
      mb_restore_report_print_json(stdout, report, path, src ? mb_compress_name(kind) : "unknown",
                                   ok ? NULL : &err);
   } else if (report && !quiet) {
      mb_restore_report_print_text(stdout, report);
   }
   fflush(stdout);
   if (!ok) {
      rc = mb_cli_fail("restore", &err);
   }
   mb_restore_report_destroy(report);
   mb_source_destroy(src);
   mb_crypt_key_destroy(key);
   free_options(&o);
   bson_free(uri);
   return rc;
}
