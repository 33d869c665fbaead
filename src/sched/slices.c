#include "sched/slices.h"
#include "archive/writer.h"
#include "common/buf.h"
#include "common/log.h"
#include "common/text.h"
#include "sched/catalog.h"
#include "storage/repo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MANIFEST_SUFFIX ".manifest.json"
#define MANIFEST_MAX (1u << 20)
#define PIECE_BYTES (4u << 20)

char *mb_slices_name(mb_oplog_ts_t last, const char *ext)
{
   time_t t = (time_t) last.t;
   struct tm tm;
   char ts[32];

   gmtime_r(&t, &tm);
   strftime(ts, sizeof ts, "%Y-%m-%d-%H-%M-%S", &tm);
   return bson_strdup_printf("oplog-%s-%u.archive%s", ts, (unsigned) last.i, ext);
}

/* oplog-YYYY-MM-DD-HH-mm-ss-<I>.archive[.zst|.gz][.enc] (not a manifest, not a temporary). */
static bool slice_name(const char *name)
{
   int y, mo, d, h, mi, s, n = 0;
   unsigned inc;
   const char *rest;

   if (sscanf(name, "oplog-%4d-%2d-%2d-%2d-%2d-%2d-%u%n", &y, &mo, &d, &h, &mi, &s, &inc, &n) !=
           7 ||
       n == 0) {
      return false;
   }
   rest = name + n;
   if (strncmp(rest, ".archive", 8) != 0) {
      return false;
   }
   rest += 8;
   if (strncmp(rest, ".zst", 4) == 0 || strncmp(rest, ".gz", 3) == 0) {
      rest += rest[1] == 'z' ? 4 : 3;
   }
   return !*rest || strcmp(rest, MB_CRYPT_EXTENSION) == 0;
}

static bool get_ts(const bson_t *doc, const char *key, mb_oplog_ts_t *ts)
{
   bson_iter_t it;

   return bson_iter_init_find(&it, doc, key) && BSON_ITER_HOLDS_UTF8(&it) &&
          mb_oplog_ts_parse(key, bson_iter_utf8(&it, NULL), ts, NULL);
}

static void read_slice_manifest(mb_repo_t *repo, mb_slice_t *s)
{
   char *mname = bson_strdup_printf("%s%s", s->name, MANIFEST_SUFFIX);
   bson_t doc = BSON_INITIALIZER;
   mb_repo_entry_t st;
   bool unreadable, exists = false, ok;
   char *kind = NULL, *status = NULL;
   mb_error_t e;

   ok = mb_repo_read_json(repo, mname, MANIFEST_MAX, &doc, &unreadable, &e);
   if (ok) {
      kind = mb_text_get_utf8_dup(&doc, "kind");
      status = mb_text_get_utf8_dup(&doc, "status");
      s->entries = mb_text_get_u64(&doc, "entries");
      s->size = mb_text_get_u64(&doc, "size");
      s->sha256 = mb_text_get_utf8_dup(&doc, "sha256");
      s->compression = mb_text_get_utf8_dup(&doc, "compression");
      s->chain = mb_text_get_utf8_dup(&doc, "chain");
      s->complete = kind && strcmp(kind, "oplog-slice") == 0 && status &&
                    strcmp(status, "ok") == 0 && s->chain && get_ts(&doc, "from", &s->from) &&
                    get_ts(&doc, "first", &s->first) && get_ts(&doc, "last", &s->last) &&
                    mb_repo_stat(repo, s->name, &st, &exists, &e) && exists && st.size == s->size;
   }
   bson_free(kind);
   bson_free(status);
   bson_destroy(&doc);
   bson_free(mname);
}

typedef struct {
   mb_repo_t *repo;
   mb_slices_t *out;
} scan_t;

static bool scan_entry(const mb_repo_entry_t *e, void *user_data)
{
   scan_t *sc = user_data;
   mb_slice_t *items;

   if (!slice_name(e->name)) {
      return true;
   }
   items = realloc(sc->out->items, (size_t) (sc->out->n + 1) * sizeof *items);
   if (!items) {
      return false;
   }
   sc->out->items = items;
   memset(&items[sc->out->n], 0, sizeof *items);
   items[sc->out->n].name = bson_strdup(e->name);
   items[sc->out->n].path = mb_repo_path(sc->repo, e->name);
   sc->out->n++;
   return true;
}

static int oldest_first(const void *a, const void *b)
{
   const mb_slice_t *x = a, *y = b;
   int c = mb_oplog_ts_cmp(x->last, y->last);

   return c ? c : strcmp(x->name, y->name);
}

bool mb_slices_scan(const char *dir, mb_slices_t *out, mb_error_t *err)
{
   scan_t sc = {.out = out};
   bool ok;

   memset(out, 0, sizeof *out);
   ok =
       mb_repo_open(dir, 0, &sc.repo, err) && mb_repo_list(sc.repo, "oplog-", scan_entry, &sc, err);
   for (int i = 0; ok && i < out->n; i++) {
      read_slice_manifest(sc.repo, &out->items[i]);
   }
   if (ok && out->n > 1) {
      qsort(out->items, (size_t) out->n, sizeof *out->items, oldest_first);
   }
   mb_repo_destroy(sc.repo);
   return ok;
}

void mb_slice_clear(mb_slice_t *s)
{
   bson_free(s->name);
   bson_free(s->path);
   bson_free(s->sha256);
   bson_free(s->compression);
   bson_free(s->chain);
   memset(s, 0, sizeof *s);
}

void mb_slices_clear(mb_slices_t *s)
{
   for (int i = 0; i < s->n; i++) {
      mb_slice_clear(&s->items[i]);
   }
   free(s->items);
   memset(s, 0, sizeof *s);
}

typedef struct {
   mb_repo_t *repo;
   int removed;
} sweep_t;

static bool sweep_entry(const mb_repo_entry_t *e, void *user_data)
{
   sweep_t *sw = user_data;
   size_t n = strlen(e->name);
   mb_error_t err;

   if (n > 8 && strcmp(e->name + n - 8, ".partial") == 0 &&
       mb_repo_remove(sw->repo, e->name, &err)) {
      mb_log(MB_LOG_INFO, "removed '%s' left by an interrupted oplog archive", e->name);
      sw->removed++;
   }
   return true;
}

int mb_slices_remove_partials(const char *dir)
{
   sweep_t sw = {0};
   mb_error_t err;

   if (mb_repo_open(dir, 0, &sw.repo, &err) &&
       !mb_repo_list(sw.repo, "oplog-", sweep_entry, &sw, &err)) {
      mb_log(MB_LOG_DEBUG, "no oplog leftovers removed: %s", err.message);
   }
   mb_repo_destroy(sw.repo);
   return sw.removed;
}

char *mb_slices_new_chain_id(void)
{
   time_t now = time(NULL);
   struct tm tm;
   char ts[32], hex[25];
   bson_oid_t oid;

   gmtime_r(&now, &tm);
   strftime(ts, sizeof ts, "%Y%m%dT%H%M%SZ", &tm);
   bson_oid_init(&oid, NULL);
   bson_oid_to_string(&oid, hex);
   return bson_strdup_printf("%s-%s", ts, hex + 18);
}

/* The entries as pieces of whole documents of about 4 MiB, into namespace id. */
static bool write_entries(mb_archive_writer_t *w, int id, const uint8_t *docs, size_t len,
                          mb_error_t *err)
{
   size_t pos = 0;

   while (pos < len) {
      size_t end = pos;
      while (end < len && (end == pos || end - pos < PIECE_BYTES)) {
         uint32_t n;
         if (len - end < 4) {
            break;
         }
         memcpy(&n, docs + end, 4);
         n = BSON_UINT32_FROM_LE(n);
         if (n < 5 || n > len - end) {
            break;
         }
         end += n;
      }
      if (end == pos) {
         mb_error_set(err, MB_EXIT_CORRUPT, "an oplog entry of the slice is not a BSON document");
         return false;
      }
      if (!mb_archive_writer_write(w, id, docs + pos, end - pos, err)) {
         return false;
      }
      pos = end;
   }
   return true;
}

/* The archive: magic, prelude with the oplog namespace only, its entries, EOF. */
static bool write_archive(const mb_slice_spec_t *spec, mb_repo_t *repo, const char *name,
                          const uint8_t *docs, size_t len, mb_error_t *err)
{
   mb_archive_header_t hdr = {.concurrent_collections = 1,
                              .server_version = spec->server_version,
                              .tool_version = "mongobak " MONGOBAK_VERSION};
   mb_archive_writer_t *w = NULL;
   mb_sink_t *file = NULL, *sink = NULL;
   int id;
   bool ok = false;

   if (!mb_repo_create(repo, name, MB_REPO_NO_REPLACE | MB_REPO_OWN_NAME, &file, err)) {
      return false;
   }
   sink = file;
   if (spec->key && !mb_crypt_sink_new(spec->key, file, &sink, err)) {
      return false; /* the filter destroyed file */
   }
   if (!mb_compress_sink_new(spec->compress, spec->level, 1, sink, &sink, err)) {
      return false;
   }
   ok = mb_archive_writer_new(sink, &hdr, &w, err) &&
        mb_archive_writer_add_namespace(w, "", "oplog", "", "", &id, err) &&
        mb_archive_writer_begin(w, err) && write_entries(w, id, docs, len, err) &&
        mb_archive_writer_end_namespace(w, id, err) && mb_archive_writer_finish(w, err) &&
        mb_sink_close(sink, err);
   mb_archive_writer_destroy(w);
   mb_sink_destroy(sink);
   return ok;
}

static void append_ts(bson_t *doc, const char *key, mb_oplog_ts_t ts)
{
   char buf[24];
   BSON_APPEND_UTF8(doc, key, mb_oplog_ts_format(ts, buf, sizeof buf));
}

static bool write_slice_manifest(mb_repo_t *repo, const mb_slice_t *s, mb_error_t *err)
{
   bson_t doc = BSON_INITIALIZER;
   char iso[32], *json, *mname = bson_strdup_printf("%s%s", s->name, MANIFEST_SUFFIX);
   size_t jlen;
   bool ok;

   BSON_APPEND_UTF8(&doc, "kind", "oplog-slice");
   BSON_APPEND_UTF8(&doc, "status", "ok");
   BSON_APPEND_UTF8(&doc, "archive", s->name);
   append_ts(&doc, "from", s->from);
   append_ts(&doc, "first", s->first);
   append_ts(&doc, "last", s->last);
   BSON_APPEND_UTF8(&doc, "first_time", mb_oplog_ts_iso(s->first, iso, sizeof iso));
   BSON_APPEND_UTF8(&doc, "last_time", mb_oplog_ts_iso(s->last, iso, sizeof iso));
   BSON_APPEND_INT64(&doc, "entries", (int64_t) s->entries);
   BSON_APPEND_INT64(&doc, "size", (int64_t) s->size);
   BSON_APPEND_UTF8(&doc, "sha256", s->sha256);
   BSON_APPEND_UTF8(&doc, "compression", s->compression);
   BSON_APPEND_UTF8(&doc, "chain", s->chain);
   BSON_APPEND_UTF8(&doc, "format", "mongodump archive 0.1");
   BSON_APPEND_UTF8(&doc, "mongobak_version", MONGOBAK_VERSION);
   json = mb_text_json(&doc, &jlen);
   ok = mb_repo_write_all(repo, mname, MB_REPO_NO_REPLACE | MB_REPO_OWN_NAME, json, jlen, err);
   bson_free(json);
   bson_free(mname);
   bson_destroy(&doc);
   return ok;
}

bool mb_slices_write(const mb_slice_spec_t *spec, const uint8_t *docs, size_t len, uint64_t n,
                     mb_oplog_ts_t from, mb_oplog_ts_t first, mb_oplog_ts_t last, mb_slice_t *out,
                     mb_error_t *err)
{
   mb_repo_t *repo = NULL;
   mb_archive_check_t check;
   mb_error_t again;
   bool ok;

   memset(out, 0, sizeof *out);
   out->name = mb_slices_name(last, spec->extension);
   out->from = from;
   out->first = first;
   out->last = last;
   out->entries = n;
   out->chain = bson_strdup(spec->chain);
   out->compression = bson_strdup(mb_compress_name(spec->compress));
   ok = mb_repo_open(spec->dir, 0, &repo, err);
   if (ok) {
      out->path = mb_repo_path(repo, out->name);
      ok = write_archive(spec, repo, out->name, docs, len, err);
   }
   if (!ok) {
      goto done;
   }
   /* read back (every block checked, decrypted) and hashed, as a backup's verify step */
   ok = mb_catalog_check(out->path, spec->key, &check, err);
   if (ok) {
      out->sha256 = bson_strdup(check.sha256);
      out->size = check.file_bytes;
      ok = write_slice_manifest(repo, out, err);
   }
   if (!ok && !mb_repo_remove(repo, out->name, &again)) {
      mb_error_prefix(err, "%s (and '%s' could not be removed)", again.message, out->path);
   }
   out->complete = ok;
done:
   if (!ok) {
      mb_error_prefix(err, "oplog slice '%s'", out->name);
   }
   mb_repo_destroy(repo);
   return ok;
}

bool mb_slices_delete(const mb_slice_t *s, mb_error_t *err)
{
   mb_repo_t *repo = NULL;
   char *name = NULL, *mname = NULL;
   bool ok = mb_repo_locate(s->path, &repo, &name, err);

   if (ok) { /* the archive first: a crash in between leaves an orphan manifest, swept later */
      mname = bson_strdup_printf("%s%s", name, MANIFEST_SUFFIX);
      ok = mb_repo_remove(repo, name, err) && mb_repo_remove(repo, mname, err);
   }
   bson_free(mname);
   bson_free(name);
   mb_repo_destroy(repo);
   return ok;
}

/* ---- pure functions ---- */

void mb_slices_chains(const mb_slice_t *s, int n, mb_slice_chain_t **out, int *nout)
{
   mb_slice_chain_t *c = NULL, *cur = NULL;

   *nout = 0;
   for (int i = 0; i < n; i++) {
      if (!s[i].complete) {
         cur = NULL;
         continue;
      }
      if (!cur || strcmp(cur->id, s[i].chain) != 0 || mb_oplog_ts_cmp(cur->to, s[i].from) != 0) {
         c = bson_realloc(c, sizeof *c * (size_t) (*nout + 1));
         cur = &c[(*nout)++];
         *cur = (mb_slice_chain_t){.first = i, .from = s[i].from, .id = s[i].chain};
      }
      cur->count = i - cur->first + 1;
      cur->to = s[i].last;
      cur->bytes += s[i].size;
   }
   *out = c;
}

bool mb_slices_window(const mb_slice_chain_t *c, const mb_oplog_ts_t *ends, int nends,
                      mb_oplog_ts_t *start)
{
   bool any = false;

   for (int i = 0; i < nends; i++) {
      if (mb_oplog_ts_cmp(c->from, ends[i]) <= 0 && mb_oplog_ts_cmp(ends[i], c->to) < 0 &&
          (!any || mb_oplog_ts_cmp(ends[i], *start) < 0)) {
         *start = ends[i];
         any = true;
      }
   }
   return any;
}

char *mb_slices_windows_text(const mb_slice_t *s, int n, const mb_oplog_ts_t *ends, int nends)
{
   mb_slice_chain_t *c = NULL;
   int nc;
   mb_buf_t b;
   mb_error_t err;
   char *text;

   mb_buf_init(&b, 1u << 20);
   mb_slices_chains(s, n, &c, &nc);
   for (int i = 0; i < nc; i++) {
      mb_oplog_ts_t start;
      char t1[24], t2[24], i1[32], i2[32];
      if (!mb_slices_window(&c[i], ends, nends, &start)) {
         continue;
      }
      if (!mb_buf_printf(
              &b, &err, "%s%s .. %s (%s .. %s)", b.len ? ", " : "",
              mb_oplog_ts_format(start, t1, sizeof t1), mb_oplog_ts_format(c[i].to, t2, sizeof t2),
              mb_oplog_ts_iso(start, i1, sizeof i1), mb_oplog_ts_iso(c[i].to, i2, sizeof i2))) {
         break;
      }
   }
   text = b.len ? bson_strndup((const char *) b.data, b.len) : bson_strdup("none");
   mb_buf_destroy(&b);
   bson_free(c);
   return text;
}

/* The first complete slice of chain c carrying e (from <= e < last), or -1. */
static int slice_of(const mb_slice_t *s, const mb_slice_chain_t *c, mb_oplog_ts_t e)
{
   for (int i = c->first; i < c->first + c->count; i++) {
      if (mb_oplog_ts_cmp(s[i].from, e) <= 0 && mb_oplog_ts_cmp(e, s[i].last) < 0) {
         return i;
      }
   }
   return -1;
}

bool mb_slices_plan(const mb_slice_t *s, int n, const mb_oplog_ts_t *ends, int nends,
                    mb_oplog_ts_t point, mb_slice_plan_t *plan, mb_error_t *err)
{
   mb_slice_chain_t *c = NULL;
   int nc, best = -1;
   char *windows;

   memset(plan, 0, sizeof *plan);
   mb_slices_chains(s, n, &c, &nc);
   for (int b = 0; b < nends; b++) {
      mb_slice_plan_t p = {.backup = b};
      if (mb_oplog_ts_cmp(ends[b], point) > 0 ||
          (best >= 0 && mb_oplog_ts_cmp(ends[b], ends[best]) <= 0)) {
         continue; /* after the point, or not newer than the one found */
      }
      if (mb_oplog_ts_cmp(ends[b], point) == 0) {
         best = b;
         *plan = p;
         continue;
      }
      for (int k = 0; k < nc; k++) {
         int i = slice_of(s, &c[k], ends[b]), j = i;
         while (i >= 0 && j < c[k].first + c[k].count && mb_oplog_ts_cmp(s[j].last, point) < 0) {
            j++;
         }
         if (i >= 0 && j < c[k].first + c[k].count) {
            best = b;
            p.first = i;
            p.count = j - i + 1;
            *plan = p;
            break;
         }
      }
   }
   bson_free(c);
   if (best >= 0) {
      return true;
   }
   windows = mb_slices_windows_text(s, n, ends, nends);
   mb_error_set(err, MB_EXIT_USAGE,
                "no full backup with an oplog and unbroken oplog slices reach that point; the "
                "restorable windows are: %s",
                windows);
   bson_free(windows);
   return false;
}

int mb_slices_retain(const mb_slice_t *s, int n, const mb_oplog_ts_t *ends, int nends, bool *keep)
{
   mb_oplog_ts_t min = {0, 0};
   int gone = 0;

   for (int i = 0; i < nends; i++) {
      if (i == 0 || mb_oplog_ts_cmp(ends[i], min) < 0) {
         min = ends[i];
      }
   }
   for (int i = 0; i < n; i++) {
      keep[i] = nends == 0 || !s[i].complete || mb_oplog_ts_cmp(s[i].last, min) > 0;
      gone += !keep[i];
   }
   return gone;
}

int mb_slices_backup_ends(const mb_catalog_t *cat, mb_oplog_ts_t **ends)
{
   int n = 0;

   *ends = NULL;
   for (int i = 0; i < cat->n; i++) {
      if (cat->items[i].complete && cat->items[i].has_oplog) {
         *ends = bson_realloc(*ends, sizeof **ends * (size_t) (n + 1));
         (*ends)[n++] = cat->items[i].oplog_end;
      }
   }
   return n;
}
