#include "archive/reader.h"
#include "archive/crc64.h"
#include "archive/metadata.h"
#include "common/buf.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define READ_CHUNK (1u << 20)
#define MAX_WARNINGS 8
#define MONGORESTORE_WORKERS 4 /* mongorestore's default --numParallelCollections */

/* Who owns the document next_item reads, for its messages: a namespace index, or these. */
enum { IN_BLOCK_HEADER = -1, IN_PRELUDE = -2 };

typedef enum { ST_HEADER, ST_SEGMENT, ST_AFTER_EOF, ST_DONE } state_t;

struct mb_archive_reader {
   mb_source_t *src;
   mb_archive_reader_opts_t opts;
   mb_archive_prelude_t prelude;
   mb_archive_ns_t *ns;
   int nns;
   int cap;         /* allocated entries of ns */
   int *by_data;    /* namespace indices sorted by (db, data collection, index) */
   int current;     /* namespace of the open segment, or of the last EOF header */
   int last_lookup; /* cache for header lookups */
   int open_regular, max_open, most_open;
   int interleave_warning; /* index of the warning about it, -1 until there is one */
   bool oplog_seen, oplog_warned;
   state_t state;
   mb_buf_t buf; /* unconsumed input is buf.data[pos .. buf.len) */
   size_t pos;
   uint64_t offset; /* stream offset of buf.data[pos] */
   char *warnings[MAX_WARNINGS + 1];
   int nwarnings;
};

static const char *type_name(bson_type_t t)
{
   switch (t) {
   case BSON_TYPE_DOUBLE:
      return "double";
   case BSON_TYPE_UTF8:
      return "string";
   case BSON_TYPE_DOCUMENT:
      return "document";
   case BSON_TYPE_ARRAY:
      return "array";
   case BSON_TYPE_BINARY:
      return "binary";
   case BSON_TYPE_BOOL:
      return "bool";
   case BSON_TYPE_NULL:
      return "null";
   case BSON_TYPE_INT32:
      return "int32";
   case BSON_TYPE_INT64:
      return "int64";
   default:
      return "other";
   }
}

static void warn(mb_archive_reader_t *r, const char *fmt, ...) BSON_GNUC_PRINTF(2, 3);

static void warn(mb_archive_reader_t *r, const char *fmt, ...)
{
   va_list ap;

   if (r->nwarnings < MAX_WARNINGS) {
      va_start(ap, fmt);
      r->warnings[r->nwarnings++] = bson_strdupv_printf(fmt, ap);
      va_end(ap);
   }
}

static bool corrupt(mb_error_t *err, uint64_t offset, const char *fmt, const char *a, const char *b)
{
   char detail[400];
   snprintf(detail, sizeof detail, fmt, a, b);
   mb_error_set(err, MB_EXIT_CORRUPT, "corrupt archive at byte %llu: %s",
                (unsigned long long) offset, detail);
   return false;
}

/* Make n bytes available at buf.data + pos; *avail says how many are (fewer only at end). */
static bool fill(mb_archive_reader_t *r, size_t n, size_t *avail, mb_error_t *err)
{
   while (r->buf.len - r->pos < n) {
      size_t got;
      if (r->pos > 0 && r->pos == r->buf.len) {
         r->buf.len = r->pos = 0;
      } else if (r->pos > (1u << 20)) {
         memmove(r->buf.data, r->buf.data + r->pos, r->buf.len - r->pos);
         r->buf.len -= r->pos;
         r->pos = 0;
      }
      if (!mb_buf_reserve(&r->buf, BSON_MAX(n - (r->buf.len - r->pos), READ_CHUNK), err)) {
         return false;
      }
      if (!mb_source_read(r->src, r->buf.data + r->buf.len, r->buf.cap - r->buf.len, &got, err)) {
         return false;
      }
      if (got == 0) {
         break;
      }
      r->buf.len += got;
   }
   *avail = r->buf.len - r->pos;
   return true;
}

static void consume(mb_archive_reader_t *r, size_t n)
{
   r->pos += n;
   r->offset += n;
}

static const char *ns_name(const mb_archive_reader_t *r, int i, char *out, size_t size)
{
   if (i < 0) {
      snprintf(out, size, "(none)");
   } else {
      snprintf(out, size, "%s.%s", r->ns[i].db, r->ns[i].data_collection);
   }
   return out;
}

typedef enum { ITEM_END, ITEM_TERMINATOR, ITEM_DOC } item_t;

/* The document at buf.data + pos nests too deep: say whose it is. */
static bool too_deep(mb_archive_reader_t *r, int owner, mb_error_t *err)
{
   char what[700], num[16];

   if (owner >= 0) {
      char name[600];
      snprintf(what, sizeof what, "a document of namespace '%s'",
               ns_name(r, owner, name, sizeof name));
   } else {
      snprintf(what, sizeof what, "%s",
               owner == IN_PRELUDE ? "a prelude document" : "a namespace header");
   }
   snprintf(num, sizeof num, "%d", MB_ARCHIVE_MAX_DEPTH);
   return corrupt(err, r->offset,
                  "%s is nested more than %s levels deep: no MongoDB server stores such a "
                  "document, so mongobak neither reads it further nor sends it to a server",
                  what, num);
}

/* Where the reader is, for messages (made only when one is needed). */
static const char *where_text(mb_archive_reader_t *r, int owner, char *out, size_t size)
{
   char name[600];

   if (owner == IN_PRELUDE) {
      return "inside the prelude";
   }
   if (owner == IN_BLOCK_HEADER) {
      return "where a block header should start";
   }
   snprintf(out, size, "%s '%s'",
            r->state == ST_SEGMENT ? "inside a segment of" : "after the EOF header of",
            ns_name(r, owner, name, sizeof name));
   return out;
}

/* Read the next item: clean end of stream (only if end_ok), a terminator, or a whole BSON
 * document left at buf.data + pos (not consumed), checked not to nest too deep. owner says
 * whose document it would be (a namespace index, IN_PRELUDE or IN_BLOCK_HEADER). */
static bool next_item(mb_archive_reader_t *r, bool end_ok, int owner, item_t *item, uint32_t *len,
                      mb_error_t *err)
{
   char where[700];
   size_t avail;
   uint32_t v;

   if (!fill(r, 4, &avail, err)) {
      return false;
   }
   if (avail == 0 && end_ok) {
      *item = ITEM_END;
      return true;
   }
   if (avail < 4) {
      return corrupt(err, r->offset, "archive is truncated: the stream ends %s",
                     where_text(r, owner, where, sizeof where), NULL);
   }
   memcpy(&v, r->buf.data + r->pos, 4);
   v = BSON_UINT32_FROM_LE(v);
   if (v == MB_ARCHIVE_TERMINATOR) {
      consume(r, 4);
      *item = ITEM_TERMINATOR;
      return true;
   }
   if (v < MB_ARCHIVE_MIN_BSON || v > MB_ARCHIVE_MAX_BSON) {
      char num[32];
      snprintf(num, sizeof num, "%u", v);
      return corrupt(err, r->offset, "%s is neither a valid bson length nor an archive terminator",
                     num, NULL);
   }
   if (!fill(r, v, &avail, err)) {
      return false;
   }
   if (avail < v) {
      return corrupt(err, r->offset, "archive is truncated: the stream ends inside a document %s",
                     where_text(r, owner, where, sizeof where), NULL);
   }
   if (r->buf.data[r->pos + v - 1] != 0) {
      char num[64];
      snprintf(num, sizeof num, "size: %u, byte: %u", v, r->buf.data[r->pos + v - 1]);
      return corrupt(err, r->offset, "bson (%s) doesn't end with a null byte", num, NULL);
   }
   if (!mb_archive_depth_ok(r->buf.data + r->pos, v, MB_ARCHIVE_MAX_DEPTH)) {
      return too_deep(r, owner, err);
   }
   *len = v;
   *item = ITEM_DOC;
   return true;
}

static bool read_magic(mb_archive_reader_t *r, mb_error_t *err)
{
   size_t avail;
   uint32_t v;

   if (!fill(r, 4, &avail, err)) {
      return false;
   }
   if (avail < 4) {
      mb_error_set(err, MB_EXIT_NOT_ARCHIVE,
                   "not a mongodump archive: the stream has only %zu bytes", avail);
      return false;
   }
   memcpy(&v, r->buf.data + r->pos, 4);
   if (BSON_UINT32_FROM_LE(v) != MB_ARCHIVE_MAGIC) {
      const uint8_t *p = r->buf.data + r->pos;
      mb_error_set(err, MB_EXIT_NOT_ARCHIVE,
                   "not a mongodump archive: it starts with %02x %02x %02x %02x, not the magic "
                   "number 6d e2 99 81",
                   p[0], p[1], p[2], p[3]);
      return false;
   }
   consume(r, 4);
   return true;
}

/* Integers as Go's decoder accepts them for the prelude. */
static bool get_int(const bson_iter_t *it, int64_t *out)
{
   switch (bson_iter_type(it)) {
   case BSON_TYPE_INT32:
   case BSON_TYPE_INT64:
   case BSON_TYPE_BOOL:
      *out = bson_iter_as_int64(it);
      return true;
   case BSON_TYPE_DOUBLE: {
      double d = bson_iter_double(it);
      *out = d >= -9e18 && d <= 9e18 ? (int64_t) d : 0; /* NaN and huge values: no UB */
      return (double) *out == d;
   }
   case BSON_TYPE_NULL:
      *out = 0;
      return true;
   default:
      return false;
   }
}

static bool get_str(const bson_iter_t *it, char **out)
{
   uint32_t len;
   const char *s;

   switch (bson_iter_type(it)) {
   case BSON_TYPE_UTF8:
      s = bson_iter_utf8(it, &len);
      break;
   case BSON_TYPE_SYMBOL:
      s = bson_iter_symbol(it, &len);
      break;
   case BSON_TYPE_NULL:
      s = "";
      len = 0;
      break;
   default:
      return false;
   }
   bson_free(*out);
   *out = bson_strndup(s, len);
   return true;
}

static bool bad_field(mb_error_t *err, uint64_t off, const char *what, const bson_iter_t *it)
{
   char detail[200];
   snprintf(detail, sizeof detail, "%s field '%s' has type %s", what, bson_iter_key(it),
            type_name(bson_iter_type(it)));
   return corrupt(err, off, "%s", detail, NULL);
}

static bool parse_header(mb_archive_reader_t *r, const bson_t *b, uint64_t off, mb_error_t *err)
{
   mb_archive_prelude_t *p = &r->prelude;
   bson_iter_t it;
   int64_t v;
   int a, c, d;

   p->version = bson_strdup("");
   p->server_version = bson_strdup("");
   p->tool_version = bson_strdup("");
   if (!bson_validate(b, BSON_VALIDATE_NONE, NULL) || !bson_iter_init(&it, b)) {
      return corrupt(err, off, "the prelude header is not valid BSON", NULL, NULL);
   }
   while (bson_iter_next(&it)) {
      const char *k = bson_iter_key(&it);
      if (strcmp(k, "concurrent_collections") == 0) {
         if (!get_int(&it, &v) || v < 0 || v > INT32_MAX) {
            return bad_field(err, off, "prelude header", &it);
         }
         p->concurrent_collections = (int32_t) v;
      } else if ((strcmp(k, "version") == 0 && !get_str(&it, &p->version)) ||
                 (strcmp(k, "server_version") == 0 && !get_str(&it, &p->server_version)) ||
                 (strcmp(k, "tool_version") == 0 && !get_str(&it, &p->tool_version))) {
         return bad_field(err, off, "prelude header", &it);
      }
   }
   if (!mb_archive_parse_version(p->server_version, &a, &c, &d)) {
      warn(r,
           "server_version '%s' does not parse as X.Y.Z: mongorestore 100.16 and later refuse "
           "this archive",
           p->server_version);
   }
   /* mongorestore runs max(--numParallelCollections, concurrent_collections) workers */
   r->max_open = BSON_MAX(p->concurrent_collections, MONGORESTORE_WORKERS);
   return true;
}

static void free_ns(mb_archive_ns_t *n)
{
   if (n->data_collection != n->collection) {
      bson_free(n->data_collection);
   }
   bson_free(n->db);
   bson_free(n->collection);
   bson_free(n->metadata);
   bson_free(n->meta_error);
   bson_free(n->type);
}

/* Room for one more entry: geometric growth, up to MB_ARCHIVE_MAX_NAMESPACES. */
static bool grow(mb_archive_reader_t *r, uint64_t off, mb_error_t *err)
{
   int cap = r->cap ? r->cap * 2 : 64;
   void *p;

   if (r->nns < r->cap) {
      return true;
   }
   if (r->nns >= MB_ARCHIVE_MAX_NAMESPACES) {
      char num[16];
      snprintf(num, sizeof num, "%d", MB_ARCHIVE_MAX_NAMESPACES);
      return corrupt(err, off,
                     "the prelude lists more than %s namespaces, more than mongobak reads", num,
                     NULL);
   }
   cap = cap < MB_ARCHIVE_MAX_NAMESPACES ? cap : MB_ARCHIVE_MAX_NAMESPACES;
   p = realloc(r->ns, (size_t) cap * sizeof *r->ns);
   if (!p) {
      mb_error_set(err, MB_EXIT_FAILURE, "out of memory reading a prelude of %d namespaces",
                   r->nns);
      return false;
   }
   r->ns = p;
   r->cap = cap;
   return true;
}

static bool add_ns(mb_archive_reader_t *r, const bson_t *b, uint64_t off, mb_error_t *err)
{
   mb_archive_ns_t n;
   bson_iter_t it;
   int64_t v;

   memset(&n, 0, sizeof n);
   n.db = bson_strdup("");
   n.collection = bson_strdup("");
   n.metadata = bson_strdup("");
   n.type = bson_strdup("");
   if (!bson_validate(b, BSON_VALIDATE_NONE, NULL) || !bson_iter_init(&it, b)) {
      corrupt(err, off, "a prelude entry is not valid BSON", NULL, NULL);
      goto fail;
   }
   while (bson_iter_next(&it)) {
      const char *k = bson_iter_key(&it);
      bool bad = (strcmp(k, "db") == 0 && !get_str(&it, &n.db)) ||
                 (strcmp(k, "collection") == 0 && !get_str(&it, &n.collection)) ||
                 (strcmp(k, "metadata") == 0 && !get_str(&it, &n.metadata)) ||
                 (strcmp(k, "size") == 0 && !get_int(&it, &v));
      if (strcmp(k, "type") == 0) {
         n.has_type = true;
         bad = bad || !get_str(&it, &n.type);
      }
      if (bad) {
         bad_field(err, off, "prelude entry", &it);
         goto fail;
      }
   }
   if (n.collection[0] == '\0') {
      corrupt(err, off, "a prelude entry of database '%s' has no collection name", n.db, NULL);
      goto fail;
   }
   if (!grow(r, off, err)) {
      goto fail;
   }
   n.data_collection = mb_archive_data_collection(n.collection, n.type, r->prelude.server_version);
   if (strcmp(n.data_collection, n.collection) == 0) {
      bson_free(n.data_collection); /* most entries: share the name */
      n.data_collection = n.collection;
   }
   n.kind = mb_archive_ns_kind(n.db, n.collection);
   r->ns[r->nns++] = n;
   return true;
fail:
   free_ns(&n);
   return false;
}

typedef struct {
   const mb_archive_reader_t *r;
   bool by_data; /* compare data collections, not prelude names */
} sort_ctx_t;

/* Order of (db, collection or data collection), then prelude index, so that among entries of
 * one name the first comes first. */
static int cmp_ns(const void *a, const void *b, void *arg)
{
   const sort_ctx_t *ctx = arg;
   int i = *(const int *) a, j = *(const int *) b;
   const mb_archive_ns_t *x = &ctx->r->ns[i], *y = &ctx->r->ns[j];
   int c = strcmp(x->db, y->db);

   if (c == 0) {
      c = ctx->by_data ? strcmp(x->data_collection, y->data_collection)
                       : strcmp(x->collection, y->collection);
   }
   return c != 0 ? c : (i > j) - (i < j);
}

/* Indices of every entry in that order (made for the caller, free). */
static int *sorted_indices(const mb_archive_reader_t *r, bool by_data, mb_error_t *err)
{
   sort_ctx_t ctx = {r, by_data};
   int *idx = malloc(sizeof *idx * (size_t) (r->nns + 1));

   if (!idx) {
      mb_error_set(err, MB_EXIT_FAILURE, "out of memory indexing %d namespaces", r->nns);
      return NULL;
   }
   for (int i = 0; i < r->nns; i++) {
      idx[i] = i;
   }
   qsort_r(idx, (size_t) r->nns, sizeof *idx, cmp_ns, &ctx);
   return idx;
}

/* Keep the first entry of each (db, collection), as mongorestore does, with a warning. */
static bool drop_duplicates(mb_archive_reader_t *r, mb_error_t *err)
{
   int *idx = sorted_indices(r, false, err);
   bool *dup = NULL;
   int kept = 0;

   if (!idx || !(dup = calloc((size_t) r->nns + 1, sizeof *dup))) {
      free(idx);
      mb_error_set(err, MB_EXIT_FAILURE, "out of memory indexing %d namespaces", r->nns);
      return false;
   }
   for (int k = 1; k < r->nns; k++) {
      const mb_archive_ns_t *x = &r->ns[idx[k - 1]], *y = &r->ns[idx[k]];
      if (strcmp(x->db, y->db) == 0 && strcmp(x->collection, y->collection) == 0) {
         if (!dup[idx[k - 1]]) {
            warn(r,
                 "namespace '%s.%s' appears more than once in the prelude: its first entry is "
                 "used, as mongorestore does",
                 y->db, y->collection);
         }
         dup[idx[k]] = true;
      }
   }
   for (int i = 0; i < r->nns; i++) {
      if (dup[i]) {
         free_ns(&r->ns[i]);
      } else {
         r->ns[kept++] = r->ns[i];
      }
   }
   r->nns = kept;
   free(dup);
   free(idx);
   return true;
}

/* What mongorestore refuses in an entry that mongobak reads (warnings), and whether restore
 * can use its metadata (meta_error). */
static void check_entry(mb_archive_reader_t *r, mb_archive_ns_t *n)
{
   char problem[400], refusal[200];
   bson_t meta;

   if (n->db[0] == '\0' && n->kind != MB_NS_OPLOG) {
      warn(r,
           "namespace '.%s' has no database name: mongobak does not restore it, and mongorestore "
           "refuses this archive unless --nsExclude leaves it out",
           n->collection);
   } else if (!mb_archive_valid_db_name(n->db)) {
      warn(r,
           "database name '%s' is not valid in MongoDB (at most 63 bytes, none of / \\ . space "
           "\" $): mongorestore refuses this archive, and servers refuse to create '%s' in it",
           n->db, n->collection);
   }
   if (!n->metadata[0] || n->kind != MB_NS_REGULAR ||
       mb_archive_skip_reason(n->db, n->collection)) {
      return; /* restore never reads this metadata */
   }
   if (!mb_archive_metadata_parse(n->metadata, &meta, problem, sizeof problem, refusal,
                                  sizeof refusal)) {
      n->meta_error = bson_strdup_printf("the metadata of namespace '%s.%s' in the archive %s",
                                         n->db, n->collection, problem);
   } else if (refusal[0]) {
      warn(r,
           "mongorestore refuses namespace '%s.%s' (and so this archive, unless --nsExclude "
           "leaves it out): its metadata %s",
           n->db, n->collection, refusal);
   }
   bson_destroy(&meta);
}

/* After the prelude: duplicates dropped, entries checked, the lookup index built. */
static bool index_prelude(mb_archive_reader_t *r, mb_error_t *err)
{
   if (!drop_duplicates(r, err)) {
      return false;
   }
   for (int i = 0; i < r->nns; i++) {
      check_entry(r, &r->ns[i]);
   }
   r->by_data = sorted_indices(r, true, err);
   return r->by_data != NULL;
}

static bool read_prelude(mb_archive_reader_t *r, mb_error_t *err)
{
   item_t item;
   uint32_t len;
   bool first = true;

   for (;;) {
      uint64_t off = r->offset;
      bson_t b;
      bool ok;
      if (!next_item(r, false, IN_PRELUDE, &item, &len, err)) {
         return false;
      }
      if (item == ITEM_TERMINATOR) {
         if (first) {
            return corrupt(err, off, "the prelude has no header document", NULL, NULL);
         }
         return index_prelude(r, err);
      }
      if (!bson_init_static(&b, r->buf.data + r->pos, len)) {
         return corrupt(err, off, "a prelude document is not valid BSON", NULL, NULL);
      }
      ok = first ? parse_header(r, &b, off, err) : add_ns(r, &b, off, err);
      consume(r, len);
      if (!ok) {
         return false;
      }
      first = false;
   }
}

bool mb_archive_reader_open(mb_source_t *src, const mb_archive_reader_opts_t *opts,
                            mb_archive_reader_t **out, mb_error_t *err)
{
   mb_archive_reader_t *r = calloc(1, sizeof *r);

   if (!r) {
      mb_error_set(err, MB_EXIT_FAILURE, "out of memory");
      return false;
   }
   r->src = src;
   if (opts) {
      r->opts = *opts;
   }
   r->current = -1;
   r->interleave_warning = -1;
   mb_buf_init(&r->buf, MB_ARCHIVE_MAX_BSON + 2 * READ_CHUNK);
   if (!read_magic(r, err) || !read_prelude(r, err)) {
      mb_archive_reader_destroy(r);
      return false;
   }
   r->state = ST_HEADER;
   *out = r;
   return true;
}

static bool is_ns(const mb_archive_ns_t *n, const char *db, const char *coll)
{
   return strcmp(n->db, db) == 0 && strcmp(n->data_collection, coll) == 0;
}

/* The first prelude entry whose data namespace is db.coll, or -1: a binary search of the
 * sorted index (the previous answer is tried first, as headers mostly repeat it). */
static int lookup(mb_archive_reader_t *r, const char *db, const char *coll)
{
   int lo = 0, hi = r->nns;

   if (r->last_lookup < r->nns && is_ns(&r->ns[r->last_lookup], db, coll)) {
      return r->last_lookup;
   }
   while (lo < hi) { /* first position whose key is >= (db, coll) */
      int mid = lo + (hi - lo) / 2;
      const mb_archive_ns_t *n = &r->ns[r->by_data[mid]];
      int c = strcmp(n->db, db);
      c = c != 0 ? c : strcmp(n->data_collection, coll);
      if (c < 0) {
         lo = mid + 1;
      } else {
         hi = mid;
      }
   }
   if (lo < r->nns && is_ns(&r->ns[r->by_data[lo]], db, coll)) {
      r->last_lookup = r->by_data[lo];
      return r->last_lookup;
   }
   return -1;
}

/* Decode a namespace header strictly: exactly db/collection/EOF/CRC with string/string/bool/
 * int64, as mongorestore's NamespaceHeader.UnmarshalBSON. */
static bool decode_ns_header(const bson_t *b, uint64_t off, const char **db, const char **coll,
                             bool *eof, uint64_t *crc, mb_error_t *err)
{
   bson_iter_t it;

   *db = *coll = "";
   *eof = false;
   *crc = 0;
   if (!bson_validate(b, BSON_VALIDATE_NONE, NULL) || !bson_iter_init(&it, b)) {
      return corrupt(err, off, "a namespace header is not valid BSON", NULL, NULL);
   }
   while (bson_iter_next(&it)) {
      const char *k = bson_iter_key(&it);
      bson_type_t t = bson_iter_type(&it);
      bson_type_t want;
      if (strcmp(k, "db") == 0 || strcmp(k, "collection") == 0) {
         want = BSON_TYPE_UTF8;
      } else if (strcmp(k, "EOF") == 0) {
         want = BSON_TYPE_BOOL;
      } else if (strcmp(k, "CRC") == 0) {
         want = BSON_TYPE_INT64;
      } else {
         return corrupt(err, off, "namespace header has unknown field '%s'", k, NULL);
      }
      if (t != want) {
         char detail[160];
         snprintf(detail, sizeof detail, "namespace header field '%s' must be %s, not %s", k,
                  type_name(want), type_name(t));
         return corrupt(err, off, "%s", detail, NULL);
      }
      if (strcmp(k, "db") == 0) {
         *db = bson_iter_utf8(&it, NULL);
      } else if (strcmp(k, "collection") == 0) {
         *coll = bson_iter_utf8(&it, NULL);
      } else if (strcmp(k, "EOF") == 0) {
         *eof = bson_iter_bool(&it);
      } else {
         *crc = (uint64_t) bson_iter_int64(&it);
      }
   }
   if (**coll == '\0') {
      return corrupt(err, off, "collection header is missing a collection name", NULL, NULL);
   }
   return true;
}

/* More regular namespaces open at once than concurrent_collections: mongorestore restores it
 * with its default workers; keep one warning that says how many. */
static void note_interleave(mb_archive_reader_t *r)
{
   int cc = r->prelude.concurrent_collections;
   char *w;

   if (cc <= 0 || r->open_regular <= cc || r->open_regular <= r->most_open) {
      return;
   }
   r->most_open = r->open_regular;
   w = bson_strdup_printf(
       "up to %d namespaces are open at once, more than concurrent_collections (%d): "
       "mongorestore restores this archive with its default %d restore workers, but hangs "
       "with --numParallelCollections below %d",
       r->open_regular, cc, MONGORESTORE_WORKERS, r->open_regular);
   if (r->interleave_warning >= 0) {
      bson_free(r->warnings[r->interleave_warning]);
      r->warnings[r->interleave_warning] = w;
   } else if (r->nwarnings < MAX_WARNINGS) {
      r->interleave_warning = r->nwarnings;
      r->warnings[r->nwarnings++] = w;
   } else {
      bson_free(w);
   }
}

static bool open_ns(mb_archive_reader_t *r, int i, uint64_t off, mb_error_t *err)
{
   mb_archive_ns_t *n = &r->ns[i];
   char name[600];

   if (r->oplog_seen && n->kind != MB_NS_OPLOG && !r->oplog_warned) {
      warn(r,
           "namespace '%s' comes after the oplog: mongorestore restores this archive, but "
           "fails or hangs on it with --oplogReplay, which needs the oplog last",
           ns_name(r, i, name, sizeof name));
      r->oplog_warned = true;
   }
   if (n->kind == MB_NS_REGULAR && r->open_regular >= r->max_open) {
      char nums[200];
      snprintf(nums, sizeof nums,
               "%d namespaces open at once, more than mongorestore's %d restore workers (the "
               "larger of concurrent_collections %d and its default %d)",
               r->open_regular + 1, r->max_open, (int) r->prelude.concurrent_collections,
               MONGORESTORE_WORKERS);
      return corrupt(err, off, "opening '%s' makes %s: mongorestore would hang",
                     ns_name(r, i, name, sizeof name), nums);
   }
   n->state = MB_NS_STATE_OPEN;
   r->open_regular += n->kind == MB_NS_REGULAR;
   r->oplog_seen |= n->kind == MB_NS_OPLOG;
   note_interleave(r);
   return true;
}

static bool on_header(mb_archive_reader_t *r, uint32_t len, mb_archive_event_t *ev, bool *emit,
                      mb_error_t *err)
{
   uint64_t off = r->offset, stored;
   const char *db, *coll;
   char name[600];
   bool eof;
   bson_t b;
   int i;
   mb_archive_ns_t *n;

   if (!bson_init_static(&b, r->buf.data + r->pos, len)) {
      return corrupt(err, off, "a namespace header is not valid BSON", NULL, NULL);
   }
   if (!decode_ns_header(&b, off, &db, &coll, &eof, &stored, err)) {
      return false;
   }
   i = lookup(r, db, coll);
   if (i < 0) {
      snprintf(name, sizeof name, "%s.%s", db, coll);
      consume(r, len);
      return corrupt(err, off, "namespace '%s' is not in the prelude", name, NULL);
   }
   consume(r, len);
   n = &r->ns[i];
   if (n->state == MB_NS_STATE_CLOSED) {
      return corrupt(err, off, "namespace header for already closed namespace '%s'",
                     ns_name(r, i, name, sizeof name), NULL);
   }
   *emit = false;
   if (n->state == MB_NS_STATE_UNOPENED) {
      if (!open_ns(r, i, off, err)) {
         return false;
      }
      *emit = true;
      ev->kind = MB_ARCHIVE_EV_NS_BEGIN;
      ev->ns = i;
      ev->offset = off;
   }
   r->current = i;
   if (!eof) {
      n->segments++;
      r->state = ST_SEGMENT;
      return true;
   }
   n->stored_crc = stored;
   if (stored != n->crc) {
      char nums[80];
      snprintf(nums, sizeof nums, "%llu!=%llu", (unsigned long long) n->crc,
               (unsigned long long) stored);
      return corrupt(err, off, "CRC mismatch for namespace '%s', %s",
                     ns_name(r, i, name, sizeof name), nums);
   }
   r->state = ST_AFTER_EOF;
   return true;
}

static bool end_of_stream(mb_archive_reader_t *r, mb_error_t *err)
{
   char list[400] = "";
   size_t used = 0;
   int unfinished = 0, unseen = 0;

   for (int pass = 0; pass < 2; pass++) {
      for (int i = 0; i < r->nns; i++) {
         mb_ns_state_t want = pass == 0 ? MB_NS_STATE_OPEN : MB_NS_STATE_UNOPENED;
         if (r->ns[i].state == want && used < sizeof list - 100) {
            char name[300];
            ns_name(r, i, name, sizeof name);
            used +=
                (size_t) snprintf(list + used, sizeof list - used, "%s%s", used ? ", " : "", name);
         }
         unfinished += pass == 0 && r->ns[i].state == MB_NS_STATE_OPEN;
         unseen += pass == 1 && r->ns[i].state == MB_NS_STATE_UNOPENED;
      }
      if (pass == 0 && unfinished) {
         return corrupt(err, r->offset,
                        "archive is truncated: it ended but namespaces were unfinished (%s)", list,
                        NULL);
      }
   }
   if (unseen) {
      return corrupt(err, r->offset,
                     "archive is truncated: it ended before all collections were seen (%s)", list,
                     NULL);
   }
   return true;
}

static bool on_document(mb_archive_reader_t *r, uint32_t len, mb_archive_event_t *ev,
                        mb_error_t *err)
{
   mb_archive_ns_t *n = &r->ns[r->current];
   const uint8_t *p = r->buf.data + r->pos;
   uint64_t off = r->offset;

   if (r->opts.validate_bson) {
      bson_t b;
      size_t at = 0;
      if (!bson_init_static(&b, p, len) || !bson_validate(&b, BSON_VALIDATE_NONE, &at)) {
         char name[600], where[64];
         ns_name(r, r->current, name, sizeof name);
         snprintf(where, sizeof where, "%zu", at);
         return corrupt(err, off,
                        "invalid BSON document in namespace '%s' (problem at byte %s of it)", name,
                        where);
      }
   }
   n->crc = mb_crc64_update(n->crc, p, len);
   n->docs++;
   n->bytes += len;
   consume(r, len);
   ev->kind = MB_ARCHIVE_EV_DOCUMENT;
   ev->ns = r->current;
   ev->data = p;
   ev->len = len;
   ev->offset = off;
   return true;
}

bool mb_archive_reader_next(mb_archive_reader_t *r, mb_archive_event_t *ev, mb_error_t *err)
{
   char where[700];
   item_t item;
   uint32_t len;

   for (;;) {
      uint64_t off = r->offset;
      switch (r->state) {
      case ST_DONE:
         ev->kind = MB_ARCHIVE_EV_END;
         ev->ns = -1;
         ev->offset = r->offset;
         return true;
      case ST_HEADER:
         if (!next_item(r, true, IN_BLOCK_HEADER, &item, &len, err)) {
            return false;
         }
         if (item == ITEM_END) {
            if (!end_of_stream(r, err)) {
               return false;
            }
            r->state = ST_DONE;
            continue;
         }
         if (item == ITEM_TERMINATOR) {
            return corrupt(err, off, "consecutive terminators / headerless blocks are not allowed",
                           NULL, NULL);
         }
         {
            bool emit = false;
            if (!on_header(r, len, ev, &emit, err)) {
               return false;
            }
            if (emit) {
               return true;
            }
         }
         continue;
      case ST_SEGMENT:
         if (!next_item(r, false, r->current, &item, &len, err)) {
            return false;
         }
         if (item == ITEM_TERMINATOR) {
            r->state = ST_HEADER;
            continue;
         }
         return on_document(r, len, ev, err);
      case ST_AFTER_EOF:
         if (!next_item(r, false, r->current, &item, &len, err)) {
            return false;
         }
         if (item != ITEM_TERMINATOR) {
            return corrupt(err, off, "collection data without a collection header (%s)",
                           where_text(r, r->current, where, sizeof where), NULL);
         }
         r->ns[r->current].state = MB_NS_STATE_CLOSED;
         r->open_regular -= r->ns[r->current].kind == MB_NS_REGULAR;
         r->state = ST_HEADER;
         ev->kind = MB_ARCHIVE_EV_NS_END;
         ev->ns = r->current;
         ev->offset = off;
         return true;
      }
   }
}

bool mb_archive_reader_check_metadata(const mb_archive_reader_t *r, mb_error_t *err)
{
   for (int i = 0; i < r->nns; i++) {
      if (r->ns[i].meta_error) {
         mb_error_set(err, MB_EXIT_CORRUPT, "%s", r->ns[i].meta_error);
         return false;
      }
   }
   return true;
}

const mb_archive_prelude_t *mb_archive_reader_prelude(const mb_archive_reader_t *r)
{
   return &r->prelude;
}

int mb_archive_reader_ns_count(const mb_archive_reader_t *r)
{
   return r->nns;
}

const mb_archive_ns_t *mb_archive_reader_ns(const mb_archive_reader_t *r, int i)
{
   BSON_ASSERT(i >= 0 && i < r->nns);
   return &r->ns[i];
}

uint64_t mb_archive_reader_offset(const mb_archive_reader_t *r)
{
   return r->offset;
}

const char *const *mb_archive_reader_warnings(const mb_archive_reader_t *r)
{
   return (const char *const *) r->warnings;
}

void mb_archive_reader_destroy(mb_archive_reader_t *r)
{
   if (!r) {
      return;
   }
   for (int i = 0; i < r->nns; i++) {
      free_ns(&r->ns[i]);
   }
   free(r->ns);
   free(r->by_data);
   for (int i = 0; i < r->nwarnings; i++) {
      bson_free(r->warnings[i]);
   }
   bson_free(r->prelude.version);
   bson_free(r->prelude.server_version);
   bson_free(r->prelude.tool_version);
   mb_buf_destroy(&r->buf);
   free(r);
}

void mb_archive_prelude_append(const mb_archive_prelude_t *p, const char *key, bson_t *doc)
{
   bson_t h;

   BSON_APPEND_DOCUMENT_BEGIN(doc, key, &h);
   BSON_APPEND_INT32(&h, "concurrent_collections", p->concurrent_collections);
   BSON_APPEND_UTF8(&h, "version", p->version ? p->version : "");
   BSON_APPEND_UTF8(&h, "server_version", p->server_version ? p->server_version : "");
   BSON_APPEND_UTF8(&h, "tool_version", p->tool_version ? p->tool_version : "");
   bson_append_document_end(doc, &h);
}
