#include "sched/catalog.h"
#include "archive/verify.h"
#include "common/file.h"
#include "common/log.h"
#include "common/parse.h"
#include "common/redact.h"
#include "common/text.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MANIFEST_SUFFIX ".manifest.json"

char *mb_catalog_name(time_t t, const char *ext)
{
   struct tm tm;
   char ts[32];

   gmtime_r(&t, &tm);
   strftime(ts, sizeof ts, "%Y-%m-%d-%H-%M-%S", &tm);
   return bson_strdup_printf("backup-%s.archive%s", ts, ext);
}

/* backup-YYYY-MM-DD-HH-mm-ss[-N].archive[.zst|.gz] -> its UTC time and N (0 when absent); false
 * for other names. */
static bool parse_name(const char *name, time_t *t, int *seq)
{
   struct tm tm;
   int n = 0;
   const char *rest;

   memset(&tm, 0, sizeof tm);
   *seq = 0;
   if (sscanf(name, "backup-%4d-%2d-%2d-%2d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
              &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 ||
       n == 0) {
      return false;
   }
   rest = name + n;
   if (rest[0] == '-' && rest[1] >= '1' && rest[1] <= '9') {
      size_t nd = strspn(rest + 1, "0123456789");
      char digits[4] = "";
      long v;
      if (nd > 3 || !mb_parse_long(memcpy(digits, rest + 1, nd), 10, 1, 999, &v)) {
         return false;
      }
      *seq = (int) v;
      rest += 1 + nd;
   }
   if (strncmp(rest, ".archive", 8) != 0) {
      return false;
   }
   rest += 8;
   if (*rest && strcmp(rest, ".zst") != 0 && strcmp(rest, ".gz") != 0) {
      return false;
   }
   tm.tm_year -= 1900;
   tm.tm_mon -= 1;
   *t = timegm(&tm);
   return true;
}

static void read_manifest(mb_backup_t *b)
{
   char *mpath = bson_strdup_printf("%s%s", b->path, MANIFEST_SUFFIX);
   bson_json_reader_t *jr;
   bson_error_t e;
   bson_t doc = BSON_INITIALIZER;
   bson_iter_t it;
   struct stat st;
   int rc;

   jr = bson_json_reader_new_from_file(mpath, &e);
   rc = jr ? bson_json_reader_read(jr, &doc, &e) : -1;
   if (rc != 1) {
      b->problem = bson_strdup("no readable manifest (an interrupted or foreign run)");
      goto out;
   }
   if (bson_iter_init_find(&it, &doc, "size") && BSON_ITER_HOLDS_NUMBER(&it)) {
      b->size = (uint64_t) bson_iter_as_int64(&it);
   }
   if (bson_iter_init_find(&it, &doc, "documents") && BSON_ITER_HOLDS_NUMBER(&it)) {
      b->docs = (uint64_t) bson_iter_as_int64(&it);
   }
   if (bson_iter_init_find(&it, &doc, "compression") && BSON_ITER_HOLDS_UTF8(&it)) {
      b->compression = bson_strdup(bson_iter_utf8(&it, NULL));
   }
   if (bson_iter_init_find(&it, &doc, "sha256") && BSON_ITER_HOLDS_UTF8(&it)) {
      b->sha256 = bson_strdup(bson_iter_utf8(&it, NULL));
   }
   if (!bson_iter_init_find(&it, &doc, "status") || !BSON_ITER_HOLDS_UTF8(&it) ||
       strcmp(bson_iter_utf8(&it, NULL), "ok") != 0) {
      b->problem = bson_strdup("the manifest does not say ok");
   } else if (stat(b->path, &st) != 0 || (uint64_t) st.st_size != b->size) {
      b->problem = bson_strdup("the archive's size differs from its manifest");
   } else {
      b->complete = true;
   }
out:
   if (jr) {
      bson_json_reader_destroy(jr);
   }
   bson_destroy(&doc);
   bson_free(mpath);
}

static int newest_first(const void *a, const void *b)
{
   const mb_backup_t *x = a, *y = b;
   if (x->time != y->time) {
      return x->time > y->time ? -1 : 1;
   }
   return x->seq != y->seq ? (x->seq > y->seq ? -1 : 1) : strcmp(y->name, x->name);
}

bool mb_catalog_scan(const char *dir, mb_catalog_t *out, mb_error_t *err)
{
   DIR *d = opendir(dir);
   struct dirent *de;

   memset(out, 0, sizeof *out);
   if (!d) {
      mb_error_errno(err, errno, "cannot read the backup directory '%s'", dir);
      return false;
   }
   while ((de = readdir(d)) != NULL) {
      mb_backup_t *items, *b;
      time_t t;
      int seq;
      if (!parse_name(de->d_name, &t, &seq)) {
         continue;
      }
      items = realloc(out->items, (size_t) (out->n + 1) * sizeof *items);
      if (!items) {
         break;
      }
      out->items = items;
      b = &items[out->n++];
      memset(b, 0, sizeof *b);
      b->name = bson_strdup(de->d_name);
      b->path = bson_strdup_printf("%s/%s", dir, de->d_name);
      b->time = t;
      b->seq = seq;
      read_manifest(b);
   }
   closedir(d);
   if (out->n > 1) {
      qsort(out->items, (size_t) out->n, sizeof *out->items, newest_first);
   }
   return true;
}

void mb_catalog_clear(mb_catalog_t *c)
{
   for (int i = 0; i < c->n; i++) {
      bson_free(c->items[i].name);
      bson_free(c->items[i].path);
      bson_free(c->items[i].compression);
      bson_free(c->items[i].sha256);
      bson_free(c->items[i].problem);
   }
   free(c->items);
   memset(c, 0, sizeof *c);
}

static void iso_time(time_t t, char *buf, size_t size)
{
   struct tm tm;
   gmtime_r(&t, &tm);
   strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The manifest of run, beside run->path; never replaces an existing one (EXISTS). */
static bool write_manifest(const mb_run_t *run, mb_error_t *err)
{
   bson_t doc = BSON_INITIALIZER;
   char start[32], end[32], *json, *path, *masked;
   size_t len;
   bool ok;

   iso_time(run->start, start, sizeof start);
   iso_time(run->end, end, sizeof end);
   BSON_APPEND_UTF8(&doc, "status", "ok");
   BSON_APPEND_UTF8(&doc, "archive", run->archive);
   BSON_APPEND_INT64(&doc, "size", (int64_t) run->archive_bytes);
   BSON_APPEND_UTF8(&doc, "sha256", run->sha256);
   BSON_APPEND_UTF8(&doc, "compression", run->compression);
   BSON_APPEND_UTF8(&doc, "format", "mongodump archive 0.1");
   BSON_APPEND_UTF8(&doc, "started_at", start);
   BSON_APPEND_UTF8(&doc, "finished_at", end);
   BSON_APPEND_DOUBLE(&doc, "seconds", mb_ns_stats_round_seconds(run->seconds));
   BSON_APPEND_DOUBLE(&doc, "dump_seconds", mb_ns_stats_round_seconds(run->dump_seconds));
   BSON_APPEND_DOUBLE(&doc, "verify_seconds", mb_ns_stats_round_seconds(run->verify_seconds));
   BSON_APPEND_INT64(&doc, "documents", (int64_t) run->docs);
   BSON_APPEND_INT64(&doc, "bson_bytes", (int64_t) run->bson_bytes);
   BSON_APPEND_UTF8(&doc, "server_version", run->server_version ? run->server_version : "");
   BSON_APPEND_UTF8(&doc, "mongobak_version", MONGOBAK_VERSION);
   BSON_APPEND_UTF8(&doc, "source", run->uri ? run->uri : "");
   mb_ns_stats_append_array(&doc, "namespaces", run->ns, (size_t) run->nns,
                            MB_NS_STATS_TYPE | MB_NS_STATS_CRC64 | MB_NS_STATS_SECONDS);
   json = mb_text_json(&doc, &len);
   masked = mb_redact_dup(json); /* "source" and any other string: no secret, in any form */
   path = bson_strdup_printf("%s%s", run->path, MANIFEST_SUFFIX);
   ok = mb_file_write_atomic_mode(path, masked, strlen(masked),
                                  MB_FILE_NO_REPLACE | MB_FILE_OWN_NAME, err);
   bson_free(path);
   bson_free(masked);
   bson_free(json);
   bson_destroy(&doc);
   return ok;
}

bool mb_catalog_delete(const mb_backup_t *b, mb_error_t *err)
{
   char *mpath = bson_strdup_printf("%s%s", b->path, MANIFEST_SUFFIX);
   bool ok = true;

   /* the archive first: a crash in between leaves an orphan manifest, which the next run
    * removes, never an archive without its manifest */
   if (unlink(b->path) != 0 && errno != ENOENT) {
      mb_error_errno(err, errno, "cannot delete '%s'", b->path);
      ok = false;
   } else if (unlink(mpath) != 0 && errno != ENOENT) {
      mb_error_errno(err, errno, "cannot delete '%s'", mpath);
      ok = false;
   }
   bson_free(mpath);
   return ok;
}

char *mb_catalog_temp_path(const char *dir, const char *name)
{
   return bson_strdup_printf("%s/.%s.unverified", dir, name);
}

static void set_name(mb_run_t *run, char *path)
{
   const char *slash = strrchr(path, '/');

   bson_free(run->path);
   bson_free(run->archive);
   run->path = path;
   run->archive = bson_strdup(slash ? slash + 1 : path);
}

bool mb_catalog_publish(mb_run_t *run, const char *tmp, mb_error_t *err)
{
   char *base = bson_strdup(run->path), *mpath;
   bool ok = false;

   for (int n = 0; n < 1000 && !ok; n++) {
      set_name(run, n ? mb_file_numbered_name(base, n) : bson_strdup(base));
      if (!write_manifest(run, err)) {
         if (mb_error_exit_code(err) == MB_EXIT_EXISTS) {
            continue; /* the name is taken (a backup of the same second, or a planted file) */
         }
         break;
      }
      ok = mb_file_publish(tmp, run->path, MB_FILE_NO_REPLACE, NULL, err);
      if (!ok) {
         mpath = bson_strdup_printf("%s%s", run->path, MANIFEST_SUFFIX);
         unlink(mpath);
         bson_free(mpath);
         if (mb_error_exit_code(err) != MB_EXIT_EXISTS) {
            break;
         }
      }
   }
   if (!ok && mb_error_exit_code(err) == MB_EXIT_EXISTS) {
      mb_error_set(err, MB_EXIT_EXISTS,
                   "'%s' and its numbered names up to -999 already exist; clean up the backup "
                   "directory",
                   base);
   }
   bson_free(base);
   return ok;
}

bool mb_catalog_verify(const mb_backup_t *b, char **problem)
{
   mb_archive_check_t check;
   mb_error_t err;

   *problem = NULL;
   if (!mb_archive_verify_file(b->path, &check, &err)) {
      *problem = bson_strdup_printf("corrupt: %s", err.message);
   } else if (!b->sha256 || strcmp(check.sha256, b->sha256) != 0) {
      *problem =
          bson_strdup_printf("sha256 mismatch: the archive hashes to %s, its manifest says %s",
                             check.sha256, b->sha256 ? b->sha256 : "nothing");
   } else if (check.file_bytes != b->size) {
      *problem = bson_strdup("the archive's size differs from its manifest");
   }
   return *problem == NULL;
}

static bool has_suffix(const char *s, const char *suffix)
{
   size_t a = strlen(s), b = strlen(suffix);
   return a > b && strcmp(s + a - b, suffix) == 0;
}

/* A leftover of a crashed run: a partial or unverified file, or a manifest without archive. */
static bool leftover(const char *dir, const char *name, bool orphans_only)
{
   char path[4096];
   struct stat st;

   if (has_suffix(name, MANIFEST_SUFFIX) && strncmp(name, "backup-", 7) == 0) {
      snprintf(path, sizeof path, "%s/%.*s", dir, (int) (strlen(name) - strlen(MANIFEST_SUFFIX)),
               name);
      return stat(path, &st) != 0;
   }
   if (orphans_only) {
      return false;
   }
   /* temporary files are "<final name>.<random>.partial" */
   return (strncmp(name, "backup-", 7) == 0 && has_suffix(name, ".partial")) ||
          (strncmp(name, ".backup-", 8) == 0 &&
           (has_suffix(name, ".unverified") || has_suffix(name, ".partial"))) ||
          (strncmp(name, ".mongobak-state.json.", 21) == 0 && has_suffix(name, ".partial"));
}

static int remove_leftovers(const char *dir, bool orphans_only)
{
   DIR *d = opendir(dir);
   struct dirent *de;
   int n = 0;

   if (!d) {
      return 0;
   }
   while ((de = readdir(d)) != NULL) {
      if (leftover(dir, de->d_name, orphans_only)) {
         char *p = bson_strdup_printf("%s/%s", dir, de->d_name);
         if (unlink(p) == 0) {
            mb_log(MB_LOG_INFO, "removed '%s' left by an interrupted run", p);
            n++;
         }
         bson_free(p);
      }
   }
   closedir(d);
   return n;
}

int mb_catalog_remove_partials(const char *dir)
{
   return remove_leftovers(dir, false);
}

int mb_catalog_remove_orphans(const char *dir)
{
   return remove_leftovers(dir, true);
}
