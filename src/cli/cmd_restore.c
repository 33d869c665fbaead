/* mongobak restore: options to the restore engine, progress on a terminal, the summary. */
#include "cli/commands.h"
#include "archive/dirsource.h"
#include "cli/config.h"
#include "cli/connect.h"
#include "cli/progress.h"
#include "restore/restore.h"
#include "sched/catalog.h"
#include "sched/slices.h"
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

/* restore --to-time: what BACKUP_DIR holds (the complete backups with an oplog, the slices) and
 * the plan to reach point. */
typedef struct {
   mb_catalog_t cat;
   mb_slices_t slices;
   const mb_backup_t **backups; /* the complete ones with an oplog end */
   mb_oplog_ts_t *ends;
   int nb;
   mb_slice_plan_t plan;
} pitr_t;

static void pitr_clear(pitr_t *p)
{
   mb_catalog_clear(&p->cat);
   mb_slices_clear(&p->slices);
   bson_free(p->backups);
   bson_free(p->ends);
}

static bool pitr_plan(const char *dir, mb_oplog_ts_t point, pitr_t *p, mb_error_t *err)
{
   memset(p, 0, sizeof *p);
   if (!mb_catalog_scan(dir, &p->cat, err) || !mb_slices_scan(dir, &p->slices, err)) {
      return false;
   }
   p->backups = bson_malloc0(sizeof *p->backups * (size_t) (p->cat.n + 1));
   p->ends = bson_malloc0(sizeof *p->ends * (size_t) (p->cat.n + 1));
   for (int i = 0; i < p->cat.n; i++) {
      if (p->cat.items[i].complete && p->cat.items[i].has_oplog) {
         p->backups[p->nb] = &p->cat.items[i];
         p->ends[p->nb++] = p->cat.items[i].oplog_end;
      }
   }
   return mb_slices_plan(p->slices.items, p->slices.n, p->ends, p->nb, point, &p->plan, err);
}

static void print_plan(const pitr_t *p, mb_oplog_ts_t point, bool json)
{
   const mb_backup_t *b = p->backups[p->plan.backup];
   char t1[24], t2[24], i1[32];
   bson_t out = BSON_INITIALIZER, arr;

   if (json) {
      BSON_APPEND_UTF8(&out, "point", mb_oplog_ts_format(point, t1, sizeof t1));
      BSON_APPEND_UTF8(&out, "backup", b->path);
      BSON_APPEND_UTF8(&out, "backup_oplog_end", mb_oplog_ts_format(b->oplog_end, t1, sizeof t1));
      BSON_APPEND_ARRAY_BEGIN(&out, "slices", &arr);
      for (int i = 0; i < p->plan.count; i++) {
         char key[16];
         snprintf(key, sizeof key, "%d", i);
         BSON_APPEND_UTF8(&arr, key, p->slices.items[p->plan.first + i].path);
      }
      bson_append_array_end(&out, &arr);
      mb_cli_print_json(stdout, &out);
      bson_destroy(&out);
      return;
   }
   printf("restore to   %s (%s)\n", mb_oplog_ts_format(point, t1, sizeof t1),
          mb_oplog_ts_iso(point, i1, sizeof i1));
   printf("backup       %s (oplog end %s)\n", b->path,
          mb_oplog_ts_format(b->oplog_end, t1, sizeof t1));
   for (int i = 0; i < p->plan.count; i++) {
      const mb_slice_t *s = &p->slices.items[p->plan.first + i];
      printf("slice        %s (%s .. %s, %llu entries)\n", s->path,
             mb_oplog_ts_format(s->first, t1, sizeof t1),
             mb_oplog_ts_format(s->last, t2, sizeof t2), (unsigned long long) s->entries);
   }
   bson_destroy(&out);
}

/* One archive of the plan restored (a slice: its oplog only, the entries after after). */
static bool restore_one(const mb_restore_opts_t *base, const char *path, mb_crypt_key_t *key,
                        const mb_oplog_ts_t *after, mb_restore_report_t **report, mb_error_t *err)
{
   mb_restore_opts_t o = *base;
   mb_source_t *src = NULL, *raw = NULL;
   mb_compress_t kind;
   bool ok = mb_cli_open_archive(path, key, true, &src, &raw, &kind, NULL, err);

   *report = NULL;
   if (ok) {
      o.raw = raw;
      o.input_size = input_size(path);
      o.oplog_after = after;
      if (after) {
         o.drop = false; /* a slice holds no collection; nothing to drop */
      }
      ok = mb_restore_run(&o, src, report, err);
   }
   if (!ok) {
      mb_error_prefix(err, "%s", path);
   }
   mb_source_destroy(src);
   return ok;
}

static bool run_plan(const pitr_t *p, mb_restore_opts_t *o, mb_crypt_key_t *key,
                     mb_oplog_ts_t point, bool json, bool quiet, mb_error_t *err)
{
   const mb_backup_t *b = p->backups[p->plan.backup];
   mb_oplog_ts_t limit = mb_oplog_ts_next(point), reached = b->oplog_end;
   mb_restore_report_t *r = NULL;
   uint64_t applied = 0;
   char t1[24], i1[32];
   bool ok;

   o->oplog_replay = true;
   o->oplog_limit = &limit;
   ok = restore_one(o, b->path, key, NULL, &r, err);
   if (r && !json && !quiet) {
      mb_restore_report_print_text(stdout, r);
   }
   if (r && r->oplog.any) {
      reached = r->oplog.last;
   }
   mb_restore_report_destroy(r);
   for (int i = 0; ok && i < p->plan.count; i++) {
      const mb_slice_t *s = &p->slices.items[p->plan.first + i];
      ok = restore_one(o, s->path, key, &b->oplog_end, &r, err);
      if (r) {
         applied += r->oplog.applied;
         if (!json && !quiet) {
            printf("slice %s: %llu entries, %llu applied\n", s->name,
                   (unsigned long long) r->oplog.entries, (unsigned long long) r->oplog.applied);
         }
         if (r->oplog.any && mb_oplog_ts_cmp(r->oplog.last, reached) > 0) {
            reached = r->oplog.last;
         }
      }
      mb_restore_report_destroy(r);
   }
   if (ok && json) {
      bson_t out = BSON_INITIALIZER;
      BSON_APPEND_UTF8(&out, "backup", b->path);
      BSON_APPEND_INT32(&out, "slices", p->plan.count);
      BSON_APPEND_INT64(&out, "slice_entries_applied", (int64_t) applied);
      BSON_APPEND_UTF8(&out, "restored_to", mb_oplog_ts_format(reached, t1, sizeof t1));
      BSON_APPEND_UTF8(&out, "restored_to_time", mb_oplog_ts_iso(reached, i1, sizeof i1));
      mb_cli_print_json(stdout, &out);
      bson_destroy(&out);
   } else if (ok && !quiet) {
      printf("restored to %s (%s): backup %s and %d oplog slice%s\n",
             mb_oplog_ts_format(reached, t1, sizeof t1), mb_oplog_ts_iso(reached, i1, sizeof i1),
             b->name, p->plan.count, p->plan.count == 1 ? "" : "s");
   }
   o->oplog_limit = NULL; /* it pointed at this frame */
   return ok;
}

/* restore --to-time WHEN: the newest backup before WHEN, its oplog, then the slices up to WHEN
 * (sched/slices.h); nothing is written to the server unless the whole plan is found. */
static int restore_to_time(const mb_args_t *args, const char *when)
{
   mb_restore_opts_t o;
   mb_config_t *config = NULL;
   mb_crypt_key_t *key = NULL;
   mb_oplog_ts_t point;
   mb_error_t err;
   const char **pos, *dir;
   char *uri = NULL;
   bool json = mb_args_flag(args, "json"), ok;
   pitr_t p;
   int rc = MB_EXIT_OK;

   memset(&o, 0, sizeof o);
   memset(&p, 0, sizeof p);
   if (mb_args_get(args, "archive") || mb_args_get(args, "dir") ||
       mb_args_positional(args, &pos) > 0 || mb_args_flag(args, "oplog-replay") ||
       mb_args_get(args, "oplog-limit")) {
      mb_error_set(&err, MB_EXIT_USAGE,
                   "--to-time reads the backups and oplog slices of BACKUP_DIR (--backup-dir): "
                   "not with an archive, a directory, --oplog-replay or --oplog-limit");
      return mb_cli_fail("restore", &err);
   }
   ok = mb_oplog_ts_parse_point("--to-time", when, &point, &err) &&
        mb_config_load(args, &config, &err) &&
        mb_repo_s3_configure(mb_config_getter, config, &err) && /* BACKUP_DIR=s3://... */
        read_options(args, &o, &err) && mb_cli_crypt_key(args, &key, &err);
   dir = ok ? mb_config_get(config, "BACKUP_DIR") : NULL;
   if (ok && !pitr_plan(dir ? dir : "./backups", point, &p, &err)) {
      mb_error_prefix(&err, "--to-time %s", when);
      ok = false;
   }
   if (ok && o.dry_run) {
      print_plan(&p, point, json);
   } else if (ok) {
      ok = mb_connect_uri(args, DEFAULT_URI, &uri, &err);
      o.uri = uri;
      ok = ok && run_plan(&p, &o, key, point, json, mb_args_flag(args, "quiet"), &err);
   }
   if (!ok) {
      rc = mb_cli_fail("restore", &err);
   }
   fflush(stdout);
   pitr_clear(&p);
   free_options(&o);
   mb_crypt_key_destroy(key);
   mb_config_destroy(config);
   bson_free(uri);
   return rc;
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

   if (mb_args_get(args, "to-time")) {
      return restore_to_time(args, mb_args_get(args, "to-time"));
   }
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
