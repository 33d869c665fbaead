#include "sched/catalog.h"
#include "archive/compress.h"
#include "archive/format.h"
#include "archive/reader.h"
#include "archive/verify.h"
#include "common/log.h"
#include "common/parse.h"
#include "common/redact.h"
#include "common/text.h"
#include "common/tz.h"
#include "storage/repo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MANIFEST_SUFFIX ".manifest.json"
#define MANIFEST_MAX (256u << 20) /* namespaces x a few hundred bytes, with room to spare */

char *mb_catalog_name(time_t t, const char *ext)
{
   struct tm tm;
   char ts[32];

   gmtime_r(&t, &tm);
   strftime(ts, sizeof ts, "%Y-%m-%d-%H-%M-%S", &tm);
   return bson_strdup_printf("backup-%s.archive%s", ts, ext);
}

/* backup-YYYY-MM-DD-HH-mm-ss[-N].archive[.zst|.gz][.enc] -> its UTC time and N (0 when absent);
 * false for other names. */
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
   if (strncmp(rest, ".zst", 4) == 0 || strncmp(rest, ".gz", 3) == 0) {
      rest += rest[1] == 'z' ? 4 : 3;
   }
   if (*rest && strcmp(rest, MB_CRYPT_EXTENSION) != 0) {
      return false;
   }
   tm.tm_year -= 1900;
   tm.tm_mon -= 1;
   *t = timegm(&tm);
   return true;
}

/* Whether name could be a backup of the Node service: not numbered, ".archive" or ".archive.gz". */
static bool legacy_name(const char *name, int seq)
{
   size_t n = strlen(name);
   return seq == 0 && ((n > 8 && strcmp(name + n - 8, ".archive") == 0) ||
                       (n > 11 && strcmp(name + n - 11, ".archive.gz") == 0));
}

/* Whether the first bytes of name are what mongodump writes: the archive's magic number, or
 * gzip's (--archive --gzip). */
static bool mongodump_bytes(mb_repo_t *repo, const char *name, bool gzip)
{
   mb_source_t *src = NULL;
   uint8_t head[4];
   size_t got = 0;
   mb_error_t err;
   bool ok = mb_repo_open_read(repo, name, 0, &src, &err) &&
             mb_source_read_full(src, head, sizeof head, &got, &err) && got == sizeof head;

   mb_source_destroy(src);
   if (!ok) {
      return false;
   }
   if (gzip) {
      return head[0] == 0x1f && head[1] == 0x8b;
   }
   return ((uint32_t) head[0] | (uint32_t) head[1] << 8 | (uint32_t) head[2] << 16 |
           (uint32_t) head[3] << 24) == MB_ARCHIVE_MAGIC;
}

/* Whether the archive name's prelude says mongobak wrote it (its tool_version): then it is no
 * backup of the Node service (mongodump's versions are bare numbers) but one of ours whose run
 * was killed between the archive and its manifest. False when the prelude cannot be read. */
static bool written_by_mongobak(mb_repo_t *repo, const char *name)
{
   mb_source_t *raw = NULL, *src = NULL;
   mb_archive_reader_t *r = NULL;
   mb_archive_reader_opts_t opts = {0};
   mb_compress_t kind;
   mb_error_t err;
   bool ours = false;

   if (mb_repo_open_read(repo, name, 0, &raw, &err) &&
       mb_decompress_source_new(raw, &src, &kind, &err) &&
       mb_archive_reader_open(src, &opts, &r, &err)) {
      ours = strncmp(mb_archive_reader_prelude(r)->tool_version, "mongobak ", 9) == 0;
   }
   mb_archive_reader_destroy(r);
   mb_source_destroy(src);
   return ours;
}

/* A backup without manifest whose name and first bytes are the Node service's (mongodump
 * --archive [--gzip]): complete and legacy, its time read from the name in the process zone
 * (TIMEZONE, as the service wrote it). False (b untouched) when it is not one or cannot be
 * dated. */
static bool read_legacy(mb_repo_t *repo, mb_backup_t *b)
{
   bool gzip = strcmp(b->name + strlen(b->name) - 3, ".gz") == 0, exists = false;
   mb_repo_entry_t st;
   mb_error_t err;
   struct tm tm;
   time_t t;

   if (!legacy_name(b->name, b->seq) || !mb_repo_stat(repo, b->name, &st, &exists, &err) ||
       !exists || !st.regular || !mongodump_bytes(repo, b->name, gzip) ||
       written_by_mongobak(repo, b->name)) {
      return false;
   }
   /* the name's fields are those of parse_name's UTC reading; read them again as local time */
   gmtime_r(&b->time, &tm);
   tm.tm_isdst = -1;
   if (!mb_tz_mktime(NULL, &tm, &t)) {
      return false;
   }
   b->time = t;
   b->size = st.size;
   b->compression = bson_strdup(gzip ? "gzip" : "none");
   b->legacy = true;
   b->complete = true;
   return true;
}

/* Whether name exists in repo with size bytes. */
static bool has_size(mb_repo_t *repo, const char *name, uint64_t size)
{
   mb_repo_entry_t st;
   mb_error_t err;
   bool exists;

   return mb_repo_stat(repo, name, &st, &exists, &err) && exists && st.size == size;
}

/* The oplog record of a manifest's "namespaces", if any: the point the backup restores to. */
static void read_oplog_end(const bson_t *doc, mb_backup_t *b)
{
   mb_ns_stats_t *ns = NULL;
   size_t n = 0;
   mb_error_t err;

   if (!mb_ns_stats_array_from_bson(doc, "namespaces", &ns, &n, &err)) {
      return;
   }
   for (size_t i = 0; i < n; i++) {
      if (ns[i].oplog) {
         b->has_oplog = true;
         b->oplog_end = ns[i].oplog_end;
      }
   }
   mb_ns_stats_array_destroy(ns, n);
}

static void read_manifest(mb_repo_t *repo, mb_backup_t *b)
{
   char *mpath = bson_strdup_printf("%s%s", b->name, MANIFEST_SUFFIX);
   mb_error_t e;
   bson_t doc = BSON_INITIALIZER;
   bson_iter_t it;
   bool unreadable;

   if (!mb_repo_read_json(repo, mpath, MANIFEST_MAX, &doc, &unreadable, &e)) {
      bool exists = true;
      if (unreadable && mb_repo_stat(repo, mpath, NULL, &exists, &e) && !exists &&
          read_legacy(repo, b)) {
         goto out;
      }
      b->problem = bson_strdup(
          unreadable && !exists
              ? "no manifest (a run killed before it, or a foreign file): check it with verify"
              : "no readable manifest (an interrupted or foreign run)");
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
   read_oplog_end(&doc, b);
   if (!bson_iter_init_find(&it, &doc, "status") || !BSON_ITER_HOLDS_UTF8(&it) ||
       strcmp(bson_iter_utf8(&it, NULL), "ok") != 0) {
      b->problem = bson_strdup("the manifest does not say ok");
   } else if (!has_size(repo, b->name, b->size)) {
      b->problem = bson_strdup("the archive's size differs from its manifest");
   } else {
      b->complete = true;
   }
out:
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

typedef struct {
   mb_repo_t *repo;
   mb_catalog_t *cat;
} scan_t;

static bool scan_entry(const mb_repo_entry_t *e, void *user_data)
{
   scan_t *s = user_data;
   mb_backup_t *items, *b;
   time_t t;
   int seq;

   if (!parse_name(e->name, &t, &seq)) {
      return true;
   }
   items = realloc(s->cat->items, (size_t) (s->cat->n + 1) * sizeof *items);
   if (!items) {
      return false;
   }
   s->cat->items = items;
   b = &items[s->cat->n++];
   memset(b, 0, sizeof *b);
   b->name = bson_strdup(e->name);
   b->path = mb_repo_path(s->repo, e->name);
   b->time = t;
   b->seq = seq;
   return true;
}

bool mb_catalog_scan(const char *dir, mb_catalog_t *out, mb_error_t *err)
{
   scan_t s = {.cat = out};
   bool ok;

   memset(out, 0, sizeof *out);
   ok = mb_repo_open(dir, 0, &s.repo, err) && mb_repo_list(s.repo, "backup-", scan_entry, &s, err);
   for (int i = 0; ok && i < out->n; i++) {
      read_manifest(s.repo, &out->items[i]);
   }
   if (ok && out->n > 1) {
      qsort(out->items, (size_t) out->n, sizeof *out->items, newest_first);
   }
   mb_repo_destroy(s.repo);
   return ok;
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

/* Write the manifest of the archive at path, never replacing an existing one (EXISTS). */
static bool store_manifest(const char *path, const char *json, mb_error_t *err)
{
   mb_repo_t *repo = NULL;
   char *name = NULL, *mname;
   bool ok = mb_repo_locate(path, &repo, &name, err);

   mname = ok ? bson_strdup_printf("%s%s", name, MANIFEST_SUFFIX) : NULL;
   ok = ok && mb_repo_write_all(repo, mname, MB_REPO_NO_REPLACE | MB_REPO_OWN_NAME, json,
                                strlen(json), err);
   bson_free(mname);
   bson_free(name);
   mb_repo_destroy(repo);
   return ok;
}

/* The manifest of run, beside run->path; never replaces an existing one (EXISTS). */
static bool write_manifest(const mb_run_t *run, mb_error_t *err)
{
   bson_t doc = BSON_INITIALIZER;
   char start[32], end[32], *json, *masked;
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
   ok = store_manifest(run->path, masked, err);
   bson_free(masked);
   bson_free(json);
   bson_destroy(&doc);
   return ok;
}

bool mb_catalog_delete(const mb_backup_t *b, mb_error_t *err)
{
   mb_repo_t *repo = NULL;
   char *name = NULL, *mname = NULL;
   bool ok = mb_repo_locate(b->path, &repo, &name, err);

   /* the archive first: a crash in between leaves an orphan manifest, which the next run
    * removes, never an archive without its manifest */
   if (ok) {
      mname = bson_strdup_printf("%s%s", name, MANIFEST_SUFFIX);
      ok = mb_repo_remove(repo, name, err) && mb_repo_remove(repo, mname, err);
   }
   bson_free(mname);
   bson_free(name);
   mb_repo_destroy(repo);
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

/* Publish tmp (a name in repo) under base or its first free numbered name, manifest first. */
static bool publish_in(mb_repo_t *repo, mb_run_t *run, const char *tmp, const char *base,
                       mb_error_t *err)
{
   bool ok = false;

   if (strcmp(tmp, base) == 0) {
      /* a storage without rename (S3): the archive was written under its final name, which
       * holds only a complete object; its manifest follows */
      set_name(run, mb_repo_path(repo, base));
      return write_manifest(run, err);
   }
   for (int n = 0; n < 1000 && !ok; n++) {
      char *name = n ? mb_file_numbered_name(base, n) : bson_strdup(base), *mname;
      set_name(run, mb_repo_path(repo, name));
      if (!write_manifest(run, err)) {
         bson_free(name);
         if (mb_error_exit_code(err) == MB_EXIT_EXISTS) {
            continue; /* the name is taken (a backup of the same second, or a planted file) */
         }
         break;
      }
      ok = mb_repo_rename(repo, tmp, name, MB_REPO_NO_REPLACE, NULL, err);
      if (!ok) {
         mb_error_t again;
         mname = bson_strdup_printf("%s%s", name, MANIFEST_SUFFIX);
         if (!mb_repo_remove(repo, mname, &again)) {
            mb_log(MB_LOG_WARN, "%s (the next run removes it)", again.message);
         }
         bson_free(mname);
      }
      bson_free(name);
      if (!ok && mb_error_exit_code(err) != MB_EXIT_EXISTS) {
         break;
      }
   }
   return ok;
}

bool mb_catalog_publish(mb_run_t *run, const char *tmp, mb_error_t *err)
{
   char *path = bson_strdup(run->path), *base = NULL;
   mb_repo_t *repo = NULL;
   const char *tmp_name;
   bool ok = mb_repo_locate(path, &repo, &base, err);

   tmp_name = ok ? mb_repo_name_of(repo, tmp) : NULL;
   if (ok && !tmp_name) {
      mb_error_set(err, MB_EXIT_FAILURE, "'%s' is not in the repository of '%s'", tmp, path);
      ok = false;
   }
   ok = ok && publish_in(repo, run, tmp_name, base, err);
   if (!ok && mb_error_exit_code(err) == MB_EXIT_EXISTS) {
      mb_error_set(err, MB_EXIT_EXISTS,
                   "'%s' and its numbered names up to -999 already exist; clean up the backup "
                   "directory",
                   path);
   }
   mb_repo_destroy(repo);
   bson_free(base);
   bson_free(path);
   return ok;
}

bool mb_catalog_verify(const mb_backup_t *b, mb_crypt_key_t *key, char **problem)
{
   mb_archive_check_t check;
   mb_error_t err;

   *problem = NULL;
   if (!mb_catalog_check(b->path, key, &check, &err)) {
      *problem = bson_strdup_printf("corrupt: %s", err.message);
   } else if (b->legacy) {
      /* no manifest to compare with: the archive reads to its end, every block checked */
      if (check.file_bytes != b->size) {
         *problem = bson_strdup("the archive's size changed while it was read");
      }
   } else if (!b->sha256 || strcmp(check.sha256, b->sha256) != 0) {
      *problem =
          bson_strdup_printf("sha256 mismatch: the archive hashes to %s, its manifest says %s",
                             check.sha256, b->sha256 ? b->sha256 : "nothing");
   } else if (check.file_bytes != b->size) {
      *problem = bson_strdup("the archive's size differs from its manifest");
   }
   return *problem == NULL;
}

bool mb_catalog_check(const char *path, mb_crypt_key_t *key, mb_archive_check_t *out,
                      mb_error_t *err)
{
   mb_repo_t *repo = NULL;
   mb_source_t *src = NULL;
   char *name = NULL;
   bool ok = mb_repo_locate(path, &repo, &name, err) &&
             mb_repo_open_read(repo, name, 0, &src, err) &&
             mb_archive_verify_source(src, key, path, out, err);

   bson_free(name);
   mb_repo_destroy(repo);
   return ok;
}

bool mb_catalog_discard(const char *path, mb_error_t *err)
{
   mb_repo_t *repo = NULL;
   char *name = NULL;
   bool ok = mb_repo_locate(path, &repo, &name, err) && mb_repo_remove(repo, name, err);

   bson_free(name);
   mb_repo_destroy(repo);
   return ok;
}

static bool has_suffix(const char *s, const char *suffix)
{
   size_t a = strlen(s), b = strlen(suffix);
   return a > b && strcmp(s + a - b, suffix) == 0;
}

/* A leftover of a crashed run: a partial or unverified file, or a manifest without archive. */
static bool leftover(mb_repo_t *repo, const char *name, bool orphans_only)
{
   if (has_suffix(name, MANIFEST_SUFFIX) &&
       (strncmp(name, "backup-", 7) == 0 || strncmp(name, "oplog-", 6) == 0)) {
      char *archive = bson_strndup(name, strlen(name) - strlen(MANIFEST_SUFFIX));
      mb_error_t err;
      bool exists = false, ok = mb_repo_stat(repo, archive, NULL, &exists, &err);
      bson_free(archive);
      return !ok || !exists;
   }
   if (orphans_only) {
      return false;
   }
   /* temporary files are "<final name>.<random>.partial" (not those of oplog slices: the
    * daemon's archive thread may be writing one while a run sweeps) */
   return (strncmp(name, "backup-", 7) == 0 && has_suffix(name, ".partial")) ||
          (strncmp(name, ".backup-", 8) == 0 &&
           (has_suffix(name, ".unverified") || has_suffix(name, ".partial"))) ||
          (strncmp(name, ".mongobak-state.json.", 21) == 0 && has_suffix(name, ".partial"));
}

typedef struct {
   mb_repo_t *repo;
   bool orphans_only;
   int removed;
} sweep_t;

static bool sweep_entry(const mb_repo_entry_t *e, void *user_data)
{
   sweep_t *s = user_data;
   mb_error_t err;

   if (leftover(s->repo, e->name, s->orphans_only) && mb_repo_remove(s->repo, e->name, &err)) {
      char *p = mb_repo_path(s->repo, e->name);
      mb_log(MB_LOG_INFO, "removed '%s' left by an interrupted run", p);
      bson_free(p);
      s->removed++;
   }
   return true;
}

static int remove_leftovers(const char *dir, bool orphans_only)
{
   sweep_t s = {.orphans_only = orphans_only};
   mb_error_t err;

   /* a directory that cannot be read has nothing to sweep; the run says why when it writes */
   if (mb_repo_open(dir, 0, &s.repo, &err) && !mb_repo_list(s.repo, "", sweep_entry, &s, &err)) {
      mb_log(MB_LOG_DEBUG, "no leftovers removed: %s", err.message);
   }
   mb_repo_destroy(s.repo);
   return s.removed;
}

int mb_catalog_remove_partials(const char *dir)
{
   return remove_leftovers(dir, false);
}

int mb_catalog_remove_orphans(const char *dir)
{
   return remove_leftovers(dir, true);
}

/* A backup archive's upload begun before *user_data (a time_t). */
static bool stale_upload(const mb_repo_upload_t *u, void *user_data)
{
   time_t before = *(const time_t *) user_data, t;
   int seq;

   return parse_name(u->name, &t, &seq) && u->started > 0 && u->started < before;
}

int mb_catalog_abort_uploads(const char *dir, time_t before)
{
   mb_repo_t *repo = NULL;
   mb_error_t err;
   int n = 0;

   if (!mb_repo_open(dir, 0, &repo, &err) ||
       !mb_repo_abort_uploads(repo, "backup-", stale_upload, &before, &n, &err)) {
      mb_log(MB_LOG_WARN, "unfinished uploads of killed runs not aborted: %s", err.message);
   }
   mb_repo_destroy(repo);
   return n;
}
