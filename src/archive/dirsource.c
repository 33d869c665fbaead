#include "archive/dirsource.h"
#include "archive/compress.h"
#include "archive/crc64.h"
#include "archive/dirout.h"
#include "archive/format.h"
#include "common/buf.h"
#include "common/file.h"

#include <bson/bson.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PRELUDE_MAX (64u << 10)

typedef struct {
   char *db, *collection, *type, *metadata;
   char *bson_path; /* NULL: no data (a view) */
   mb_ns_kind_t kind;
   bool dropped; /* system.buckets.X joined to its timeseries X */
} dns_t;

typedef struct {
   mb_source_t base;
   char *dir;
   dns_t *ns;
   int nns, cap, next;
   mb_buf_t pend; /* bytes to hand out before anything else */
   size_t pend_pos;
   mb_source_t *file; /* the .bson being streamed */
   int cur;           /* its namespace */
   uint64_t crc;
   uint8_t lenbuf[4]; /* the length of the document being crossed */
   int lenhave;
   uint64_t remaining; /* bytes of that document still to come */
   char *server_version;
} dsrc_t;

bool mb_dirsource_is_dir(const char *path)
{
   struct stat st;
   return strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool ends_with(const char *s, const char *suffix, size_t *stem)
{
   size_t n = strlen(s), m = strlen(suffix);

   if (n <= m || strcmp(s + n - m, suffix) != 0) {
      return false;
   }
   *stem = n - m;
   return true;
}

/* Open path for reading, decompressing what its first bytes say is compressed (.gz files). */
static bool open_file(const char *path, mb_source_t **out, mb_error_t *err)
{
   mb_source_t *raw;
   mb_compress_t kind;

   if (!mb_file_source_open(path, &raw, err)) {
      return false;
   }
   if (!mb_decompress_source_new(raw, out, &kind, err)) {
      mb_error_prefix(err, "%s", path);
      return false;
   }
   return true;
}

static bool slurp(const char *path, char **out, mb_error_t *err)
{
   mb_source_t *s;
   mb_buf_t b;
   size_t got;
   bool ok = true;

   if (!open_file(path, &s, err)) {
      return false;
   }
   mb_buf_init(&b, PRELUDE_MAX * 1024); /* metadata can be large: many indexes */
   do {
      ok = mb_buf_reserve(&b, 65536, err) &&
           mb_source_read(s, b.data + b.len, b.cap - b.len - 1, &got, err);
      b.len += ok ? got : 0;
   } while (ok && got > 0);
   mb_source_destroy(s);
   if (!ok) {
      mb_error_prefix(err, "%s", path);
      mb_buf_destroy(&b);
      return false;
   }
   b.data[b.len] = '\0';
   *out = (char *) b.data;
   return true;
}

static dns_t *find_or_add(dsrc_t *d, const char *db, const char *stem)
{
   for (int i = 0; i < d->nns; i++) {
      if (strcmp(d->ns[i].db, db) == 0 && strcmp(d->ns[i].collection, stem) == 0) {
         return &d->ns[i];
      }
   }
   if (d->nns == d->cap) {
      d->cap = d->cap ? 2 * d->cap : 32;
      d->ns = bson_realloc(d->ns, (size_t) d->cap * sizeof *d->ns);
   }
   memset(&d->ns[d->nns], 0, sizeof d->ns[0]);
   d->ns[d->nns].db = bson_strdup(db);
   d->ns[d->nns].collection = bson_strdup(stem); /* the file stem until resolved */
   return &d->ns[d->nns++];
}

static int cmp_names(const void *a, const void *b)
{
   return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The sorted entries of dir (bson_strfreev), or NULL with err set. */
static char **list_dir(const char *dir, mb_error_t *err)
{
   DIR *dp = opendir(dir);
   struct dirent *de;
   char **v = NULL;
   size_t n = 0;

   if (!dp) {
      mb_error_errno(err, errno, "cannot read the directory %s", dir);
      return NULL;
   }
   v = bson_malloc0(sizeof *v);
   while ((de = readdir(dp)) != NULL) {
      if (de->d_name[0] == '.') {
         continue;
      }
      v = bson_realloc(v, (n + 2) * sizeof *v);
      v[n++] = bson_strdup(de->d_name);
      v[n] = NULL;
   }
   closedir(dp);
   qsort(v, n, sizeof *v, cmp_names);
   return v;
}

static bool scan_db(dsrc_t *d, const char *db, mb_error_t *err)
{
   char *path = bson_strdup_printf("%s/%s", d->dir, db);
   char **files = list_dir(path, err);
   bool ok = files != NULL;

   for (int i = 0; ok && files[i]; i++) {
      const char *f = files[i];
      char *full = bson_strdup_printf("%s/%s", path, f), *stem;
      size_t n = strlen(f), k;
      bool gz = ends_with(f, ".gz", &k), meta;

      n = gz ? k : n;
      stem = bson_strndup(f, n);
      meta = ends_with(stem, ".metadata.json", &k);
      if (meta || ends_with(stem, ".bson", &k)) {
         dns_t *e;
         stem[k] = '\0';
         e = find_or_add(d, db, stem);
         if (meta) {
            bson_free(e->metadata);
            ok = slurp(full, &e->metadata, err);
         } else {
            bson_free(e->bson_path);
            e->bson_path = bson_strdup(full);
         }
      }
      bson_free(stem);
      bson_free(full);
   }
   bson_strfreev(files);
   bson_free(path);
   return ok;
}

/* Name, type and kind of each entry from its metadata or its file name; timeseries buckets
 * joined to their collection. */
static void resolve(dsrc_t *d)
{
   for (int i = 0; i < d->nns; i++) {
      dns_t *e = &d->ns[i];
      bson_t m;
      bson_iter_t it;
      bson_error_t je;
      char *name = NULL;

      if (e->metadata && bson_init_from_json(&m, e->metadata, -1, &je)) {
         if (bson_iter_init_find(&it, &m, "collectionName") && BSON_ITER_HOLDS_UTF8(&it)) {
            name = bson_strdup(bson_iter_utf8(&it, NULL));
         }
         if (bson_iter_init_find(&it, &m, "type") && BSON_ITER_HOLDS_UTF8(&it)) {
            e->type = bson_strdup(bson_iter_utf8(&it, NULL));
         }
         bson_destroy(&m);
      }
      if (!name) {
         /* $admin.system.users of a --dump-users-and-roles dump is not escaped */
         name = e->collection[0] == '$' ? bson_strdup(e->collection)
                                        : mb_dirout_unescape(e->collection);
      }
      if (name) {
         bson_free(e->collection);
         e->collection = name;
      }
      if (!e->type) {
         e->type = bson_strdup(e->collection[0] == '$' ? "" : "collection");
      }
      if (!e->metadata) {
         e->metadata = bson_strdup("");
      }
      e->kind = mb_archive_ns_kind(e->db, e->collection);
   }
   /* system.buckets.X.bson holds the data of the timeseries X (servers before 8.3) */
   for (int i = 0; i < d->nns; i++) {
      dns_t *e = &d->ns[i];
      if (strcmp(e->type, "timeseries") != 0 || e->bson_path) {
         continue;
      }
      for (int j = 0; j < d->nns; j++) {
         dns_t *b = &d->ns[j];
         if (j != i && !b->metadata[0] && strcmp(b->db, e->db) == 0 &&
             strncmp(b->collection, "system.buckets.", 15) == 0 &&
             strcmp(b->collection + 15, e->collection) == 0) {
            e->bson_path = b->bson_path;
            b->bson_path = NULL;
            b->dropped = true;
         }
      }
   }
}

static int cmp_ns(const void *a, const void *b)
{
   const dns_t *x = a, *y = b;
   int c;

   if ((x->kind == MB_NS_SPECIAL) != (y->kind == MB_NS_SPECIAL)) {
      return x->kind == MB_NS_SPECIAL ? -1 : 1;
   }
   c = strcmp(x->db, y->db);
   return c ? c : strcmp(x->collection, y->collection);
}

static void ns_clear(dns_t *e)
{
   bson_free(e->db);
   bson_free(e->collection);
   bson_free(e->type);
   bson_free(e->metadata);
   bson_free(e->bson_path);
}

static bool append_doc(dsrc_t *d, const bson_t *b, mb_error_t *err)
{
   return mb_buf_append(&d->pend, bson_get_data(b), b->len, err);
}

static bool append_u32(dsrc_t *d, uint32_t v, mb_error_t *err)
{
   uint32_t le = BSON_UINT32_TO_LE(v);
   return mb_buf_append(&d->pend, &le, 4, err);
}

static bool build_prelude(dsrc_t *d, mb_error_t *err)
{
   bson_t h = BSON_INITIALIZER;
   bool ok;

   BCON_APPEND(&h, "concurrent_collections", BCON_INT32(1), "version",
               BCON_UTF8(MB_ARCHIVE_FORMAT_VERSION), "server_version", BCON_UTF8(d->server_version),
               "tool_version", BCON_UTF8("mongodump directory"));
   ok = append_u32(d, MB_ARCHIVE_MAGIC, err) && append_doc(d, &h, err);
   bson_destroy(&h);
   for (int i = 0; ok && i < d->nns; i++) {
      bson_t e = BSON_INITIALIZER;
      BCON_APPEND(&e, "db", BCON_UTF8(d->ns[i].db), "collection", BCON_UTF8(d->ns[i].collection),
                  "metadata", BCON_UTF8(d->ns[i].metadata), "size", BCON_INT32(0), "type",
                  BCON_UTF8(d->ns[i].type));
      ok = append_doc(d, &e, err);
      bson_destroy(&e);
   }
   return ok && append_u32(d, MB_ARCHIVE_TERMINATOR, err);
}

static bool append_header(dsrc_t *d, int i, bool eof, uint64_t crc, mb_error_t *err)
{
   bson_t h = BSON_INITIALIZER;
   char *dc = mb_archive_data_collection(d->ns[i].collection, d->ns[i].type, d->server_version);
   bool ok;

   BCON_APPEND(&h, "db", BCON_UTF8(d->ns[i].db), "collection", BCON_UTF8(dc), "EOF", BCON_BOOL(eof),
               "CRC", BCON_INT64((int64_t) crc));
   ok = append_doc(d, &h, err);
   bson_destroy(&h);
   bson_free(dc);
   return ok;
}

/* Follow the document boundaries of the bytes of a .bson file, so that a file that ends inside a
 * document, or holds a length no document has, is reported on the file rather than on the
 * archive stream it becomes. */
static bool track(dsrc_t *d, const uint8_t *p, size_t n, mb_error_t *err)
{
   while (n > 0) {
      if (d->remaining > 0) {
         size_t k = d->remaining < n ? (size_t) d->remaining : n;
         d->remaining -= k;
         p += k;
         n -= k;
         continue;
      }
      d->lenbuf[d->lenhave++] = *p++;
      n--;
      if (d->lenhave == 4) {
         uint32_t len;
         memcpy(&len, d->lenbuf, 4);
         len = BSON_UINT32_FROM_LE(len);
         d->lenhave = 0;
         if (len < MB_ARCHIVE_MIN_BSON || len > MB_ARCHIVE_MAX_BSON) {
            mb_error_set(err, MB_EXIT_CORRUPT,
                         "%s: a document length of %u bytes; the file is not a mongodump .bson "
                         "file or is damaged",
                         d->ns[d->cur].bson_path, len);
            return false;
         }
         d->remaining = len - 4;
      }
   }
   return true;
}

/* Queue the next namespace's opening (its segment header; a view's whole empty segment and EOF),
 * or nothing at the end. */
static bool next_ns(dsrc_t *d, mb_error_t *err)
{
   while (d->next < d->nns) {
      int i = d->next++;
      if (!append_header(d, i, false, 0, err)) {
         return false;
      }
      if (!d->ns[i].bson_path) {
         return append_u32(d, MB_ARCHIVE_TERMINATOR, err) && append_header(d, i, true, 0, err) &&
                append_u32(d, MB_ARCHIVE_TERMINATOR, err);
      }
      d->cur = i;
      d->crc = 0;
      d->lenhave = 0;
      d->remaining = 0;
      return open_file(d->ns[i].bson_path, &d->file, err);
   }
   return true;
}

static bool dsrc_read(mb_source_t *s, void *buf, size_t cap, size_t *got, mb_error_t *err)
{
   dsrc_t *d = (dsrc_t *) s;

   *got = 0;
   for (;;) {
      if (d->pend_pos < d->pend.len) {
         size_t n = d->pend.len - d->pend_pos < cap ? d->pend.len - d->pend_pos : cap;
         memcpy(buf, d->pend.data + d->pend_pos, n);
         d->pend_pos += n;
         *got = n;
         return true;
      }
      mb_buf_reset(&d->pend);
      d->pend_pos = 0;
      if (d->file) {
         size_t n;
         if (!mb_source_read(d->file, buf, cap, &n, err)) {
            mb_error_prefix(err, "%s", d->ns[d->cur].bson_path);
            return false;
         }
         if (n > 0) {
            if (!track(d, buf, n, err)) {
               return false;
            }
            d->crc = mb_crc64_update(d->crc, buf, n);
            *got = n;
            return true;
         }
         mb_source_destroy(d->file);
         d->file = NULL;
         if (d->lenhave || d->remaining) {
            mb_error_set(err, MB_EXIT_CORRUPT, "%s ends inside a document: the file is truncated",
                         d->ns[d->cur].bson_path);
            return false;
         }
         if (!append_u32(d, MB_ARCHIVE_TERMINATOR, err) ||
             !append_header(d, d->cur, true, d->crc, err) ||
             !append_u32(d, MB_ARCHIVE_TERMINATOR, err)) {
            return false;
         }
         continue;
      }
      if (d->next >= d->nns) {
         return true; /* the end */
      }
      if (!next_ns(d, err)) {
         return false;
      }
   }
}

static void dsrc_destroy(mb_source_t *s)
{
   dsrc_t *d = (dsrc_t *) s;

   mb_source_destroy(d->file);
   for (int i = 0; i < d->nns; i++) {
      ns_clear(&d->ns[i]);
   }
   bson_free(d->ns);
   mb_buf_destroy(&d->pend);
   bson_free(d->dir);
   bson_free(d->server_version);
   free(d);
}

/* ServerVersion of prelude.json[.gz] in dir, or in a database directory (a --db dump). */
static void read_prelude(dsrc_t *d, char **dbs)
{
   static const char *names[] = {"prelude.json", "prelude.json.gz"};
   mb_error_t ignored;

   for (int i = -1; !d->server_version && (i < 0 || dbs[i]); i++) {
      for (int k = 0; k < 2 && !d->server_version; k++) {
         char *p = i < 0 ? bson_strdup_printf("%s/%s", d->dir, names[k])
                         : bson_strdup_printf("%s/%s/%s", d->dir, dbs[i], names[k]);
         char *json = NULL;
         bson_t b;
         bson_iter_t it;
         if (access(p, R_OK) == 0 && slurp(p, &json, &ignored) &&
             bson_init_from_json(&b, json, -1, NULL)) {
            if (bson_iter_init_find(&it, &b, "ServerVersion") && BSON_ITER_HOLDS_UTF8(&it)) {
               d->server_version = bson_strdup(bson_iter_utf8(&it, NULL));
            }
            bson_destroy(&b);
         }
         bson_free(json);
         bson_free(p);
      }
   }
   if (!d->server_version) {
      d->server_version = bson_strdup("0.0.0");
   }
}

bool mb_dirsource_open(const char *dir, mb_source_t **out, mb_error_t *err)
{
   static const mb_source_t ops = {.read = dsrc_read, .destroy = dsrc_destroy};
   dsrc_t *d = mb_source_alloc(sizeof *d, &ops, err);
   char **entries = NULL, **dbs = NULL;
   size_t ndbs = 0, nentries = 0;
   int kept = 0;
   bool ok = false;

   if (!d) {
      return false;
   }
   d->dir = bson_strdup(dir);
   mb_buf_init(&d->pend, SIZE_MAX / 2);
   if (!(entries = list_dir(dir, err))) {
      goto done;
   }
   while (entries[nentries]) {
      nentries++;
   }
   dbs = bson_malloc0(sizeof *dbs * (nentries + 1));
   for (int i = 0; entries[i]; i++) {
      char *p = bson_strdup_printf("%s/%s", dir, entries[i]);
      if (mb_dirsource_is_dir(p) && mb_archive_valid_db_name(entries[i]) && entries[i][0]) {
         dbs[ndbs++] = entries[i];
      }
      bson_free(p);
   }
   read_prelude(d, dbs);
   for (size_t i = 0; i < ndbs; i++) {
      if (!scan_db(d, dbs[i], err)) {
         goto done;
      }
   }
   resolve(d);
   for (int i = 0; i < d->nns; i++) {
      if (d->ns[i].dropped) {
         ns_clear(&d->ns[i]);
      } else {
         d->ns[kept++] = d->ns[i];
      }
   }
   d->nns = kept;
   if (d->nns == 0) {
      mb_error_set(err, MB_EXIT_NOT_ARCHIVE,
                   "%s is not a mongodump directory: no <db>/<collection>.bson or .metadata.json "
                   "in it",
                   dir);
      goto done;
   }
   qsort(d->ns, (size_t) d->nns, sizeof *d->ns, cmp_ns);
   ok = build_prelude(d, err);
done:
   bson_free(dbs);
   bson_strfreev(entries);
   if (!ok) {
      dsrc_destroy(&d->base);
      return false;
   }
   *out = &d->base;
   return true;
}
