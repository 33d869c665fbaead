/* mongobak-dbcompare: tells whether two databases hold the same collections, options, indexes and
 * documents (a multiset of raw BSON, so order does not matter but every byte does).
 *
 *   mongobak-dbcompare URI_A DB_A URI_B DB_B [--no-indexes] [--ignore-collection NAME]...
 *
 * Exit status: 0 identical, 1 different, 2 usage or server error.
 */
#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mongoc/mongoc.h>

#define PROG "mongobak-dbcompare"
#define USAGE "usage: " PROG " URI_A DB_A URI_B DB_B [--no-indexes] [--ignore-collection NAME]..."
#define JSON_MAX 300
/* ceilings: test data is a few MB, so these only stop a runaway comparison */
#define DOC_BYTES_MAX ((size_t) 1 << 30)
#define DOC_COUNT_MAX ((size_t) 1 << 24)
#define LIST_MAX 100000
#define REASON_MAX 4096

typedef struct {
   char what[256];
   bson_error_t error;
} failure_t;

typedef struct {
   const char *label;
   const char *db;
   mongoc_client_t *client;
} side_t;

/* a named BSON document: a listCollections entry or an index spec */
typedef struct {
   char *name;
   bson_t *doc;
} entry_t;

typedef struct {
   entry_t *items;
   size_t n;
   size_t cap;
} list_t;

typedef struct {
   const uint8_t *data;
   uint32_t len;
} raw_t;

/* every document of one collection, copied into one buffer */
typedef struct {
   uint8_t *buf;
   size_t len;
   size_t cap;
   size_t *offsets;
   raw_t *docs;
   size_t n;
   size_t ncap;
} docs_t;

typedef struct {
   char text[REASON_MAX];
   size_t len;
} reason_t;

typedef struct {
   side_t a;
   side_t b;
   bool no_indexes;
   const char **ignored;
   size_t nignored;
} options_t;

static bool fail(failure_t *f, const bson_error_t *error, const char *doing, const side_t *side,
                 const char *coll)
{
   snprintf(f->what, sizeof f->what, "%s %s %s%s%s", doing, side->label, side->db, coll ? "." : "",
            coll ? coll : "");
   if (error) {
      f->error = *error;
   } else {
      bson_set_error(&f->error, 0, 0, "limit exceeded");
   }
   return false;
}

static void reason_add(reason_t *r, const char *fmt, ...) BSON_GNUC_PRINTF(2, 3);

/* Appends to the reason, "; "-separated; text past REASON_MAX is cut. */
static void reason_add(reason_t *r, const char *fmt, ...)
{
   va_list ap;
   int n;

   if (r->len && r->len + 2 < sizeof r->text) {
      memcpy(r->text + r->len, "; ", 3);
      r->len += 2;
   }
   va_start(ap, fmt);
   n = vsnprintf(r->text + r->len, sizeof r->text - r->len, fmt, ap);
   va_end(ap);
   if (n > 0) {
      r->len += (size_t) n;
   }
   if (r->len >= sizeof r->text) {
      r->len = sizeof r->text - 1;
   }
}

/* Canonical extended JSON of raw BSON, cut to JSON_MAX bytes on a UTF-8 boundary with "...". */
static void to_json(const uint8_t *data, uint32_t len, char *out, size_t cap)
{
   bson_t doc;
   char *json = NULL;
   size_t n, cut;

   assert(cap > JSON_MAX + 4);
   if (!bson_init_static(&doc, data, len) || !(json = bson_as_canonical_extended_json(&doc, &n))) {
      snprintf(out, cap, "<invalid BSON, %" PRIu32 " bytes>", len);
      return;
   }
   if (n <= JSON_MAX) {
      memcpy(out, json, n + 1);
   } else {
      cut = JSON_MAX;
      while (cut > 0 && ((unsigned char) json[cut] & 0xC0) == 0x80) {
         cut--;
      }
      memcpy(out, json, cut);
      memcpy(out + cut, "...", 4);
   }
   bson_free(json);
}

static void bson_to_json(const bson_t *doc, char *out, size_t cap)
{
   to_json(bson_get_data(doc), doc->len, out, cap);
}

static void list_destroy(list_t *l)
{
   size_t i;

   for (i = 0; i < l->n; i++) {
      bson_free(l->items[i].name);
      bson_destroy(l->items[i].doc);
   }
   free(l->items);
   memset(l, 0, sizeof *l);
}

/* Takes ownership of doc, also on failure. */
static bool list_add(list_t *l, const char *name, bson_t *doc)
{
   if (l->n == l->cap) {
      size_t cap = l->cap ? l->cap * 2 : 16;
      entry_t *items = cap <= LIST_MAX ? realloc(l->items, cap * sizeof *items) : NULL;

      if (!items) {
         bson_destroy(doc);
         return false;
      }
      l->items = items;
      l->cap = cap;
   }
   l->items[l->n].name = bson_strdup(name);
   l->items[l->n].doc = doc;
   l->n++;
   return true;
}

static int entry_cmp(const void *x, const void *y)
{
   return strcmp(((const entry_t *) x)->name, ((const entry_t *) y)->name);
}

static const entry_t *list_find(const list_t *l, const char *name)
{
   entry_t key = {(char *) name, NULL};

   return l->n ? bsearch(&key, l->items, l->n, sizeof key, entry_cmp) : NULL;
}

static const char *name_of(const bson_t *doc)
{
   bson_iter_t it;

   if (bson_iter_init_find(&it, doc, "name") && BSON_ITER_HOLDS_UTF8(&it)) {
      return bson_iter_utf8(&it, NULL);
   }
   return NULL;
}

/* Drains a cursor of named documents into l (sorted by name); strip lists fields to drop. */
static bool drain_named(mongoc_cursor_t *cursor, list_t *l, const char *const *strip,
                        bson_error_t *error)
{
   const bson_t *doc;
   const char *name;

   while (mongoc_cursor_next(cursor, &doc)) {
      bson_t *copy = bson_new();

      name = name_of(doc);
      if (!name) {
         bson_destroy(copy);
         bson_set_error(error, 0, 0, "the server listed an entry without a name");
         return false;
      }
      if (strip) {
         bson_copy_to_excluding_noinit(doc, copy, strip[0], strip[1], NULL);
      } else {
         bson_concat(copy, doc);
      }
      if (!list_add(l, name, copy)) {
         bson_set_error(error, 0, 0, "more than %d entries", LIST_MAX);
         return false;
      }
   }
   if (mongoc_cursor_error(cursor, error)) {
      return false;
   }
   if (l->n > 1) {
      qsort(l->items, l->n, sizeof *l->items, entry_cmp);
   }
   return true;
}

static bool list_collections(const side_t *s, list_t *out, failure_t *f)
{
   mongoc_database_t *db = mongoc_client_get_database(s->client, s->db);
   mongoc_cursor_t *cursor = mongoc_database_find_collections_with_opts(db, NULL);
   bson_error_t error;
   bool ok = drain_named(cursor, out, NULL, &error);

   mongoc_cursor_destroy(cursor);
   mongoc_database_destroy(db);
   return ok || fail(f, &error, "listing collections of", s, NULL);
}

static bool list_indexes(const side_t *s, const char *coll, list_t *out, failure_t *f)
{
   static const char *const strip[] = {"ns", "v"};
   mongoc_collection_t *c = mongoc_client_get_collection(s->client, s->db, coll);
   mongoc_cursor_t *cursor = mongoc_collection_find_indexes_with_opts(c, NULL);
   bson_error_t error;
   bool ok = drain_named(cursor, out, strip, &error);

   mongoc_cursor_destroy(cursor);
   mongoc_collection_destroy(c);
   return ok || fail(f, &error, "listing indexes of", s, coll);
}

static void docs_destroy(docs_t *d)
{
   free(d->buf);
   free(d->offsets);
   free(d->docs);
   memset(d, 0, sizeof *d);
}

static bool docs_add(docs_t *d, const bson_t *doc)
{
   if (d->n == d->ncap) {
      size_t cap = d->ncap ? d->ncap * 2 : 256;
      size_t *offsets = cap <= DOC_COUNT_MAX ? realloc(d->offsets, cap * sizeof *offsets) : NULL;

      if (!offsets) {
         return false;
      }
      d->offsets = offsets;
      d->ncap = cap;
   }
   if (doc->len > d->cap - d->len) {
      size_t cap = d->cap ? d->cap : 1 << 20;
      uint8_t *buf;

      while (cap - d->len < doc->len && cap <= DOC_BYTES_MAX) {
         cap *= 2;
      }
      buf = cap <= DOC_BYTES_MAX ? realloc(d->buf, cap) : NULL;
      if (!buf) {
         return false;
      }
      d->buf = buf;
      d->cap = cap;
   }
   memcpy(d->buf + d->len, bson_get_data(doc), doc->len);
   d->offsets[d->n++] = d->len;
   d->len += doc->len;
   return true;
}

static int raw_cmp(const void *x, const void *y)
{
   const raw_t *a = x, *b = y;
   int c = memcmp(a->data, b->data, a->len < b->len ? a->len : b->len);

   if (c) {
      return c;
   }
   return a->len < b->len ? -1 : a->len > b->len;
}

/* Reads every document of the collection and sorts them as byte strings. */
static bool read_docs(const side_t *s, const char *coll, docs_t *d, failure_t *f)
{
   mongoc_collection_t *c = mongoc_client_get_collection(s->client, s->db, coll);
   bson_t filter = BSON_INITIALIZER;
   mongoc_cursor_t *cursor = mongoc_collection_find_with_opts(c, &filter, NULL, NULL);
   const bson_t *doc;
   bson_error_t error;
   bool ok = true;
   size_t i;

   while (ok && mongoc_cursor_next(cursor, &doc)) {
      ok = docs_add(d, doc);
   }
   if (!ok) {
      fail(f, NULL, "reading (over the memory ceiling)", s, coll);
   } else if (mongoc_cursor_error(cursor, &error)) {
      ok = fail(f, &error, "reading", s, coll);
   } else if (d->n && !(d->docs = malloc(d->n * sizeof *d->docs))) {
      ok = fail(f, NULL, "sorting (out of memory)", s, coll);
   } else {
      for (i = 0; i < d->n; i++) {
         d->docs[i].data = d->buf + d->offsets[i];
         memcpy(&d->docs[i].len, d->buf + d->offsets[i], 4);
         d->docs[i].len = BSON_UINT32_FROM_LE(d->docs[i].len);
      }
      if (d->n) {
         qsort(d->docs, d->n, sizeof *d->docs, raw_cmp);
      }
   }
   mongoc_cursor_destroy(cursor);
   bson_destroy(&filter);
   mongoc_collection_destroy(c);
   return ok;
}

static const char *type_of(const bson_t *info)
{
   bson_iter_t it;

   if (bson_iter_init_find(&it, info, "type") && BSON_ITER_HOLDS_UTF8(&it)) {
      return bson_iter_utf8(&it, NULL);
   }
   return "collection";
}

/* the listCollections "options" document, or an empty one */
static void options_of(const bson_t *info, bson_t *out)
{
   bson_iter_t it;
   const uint8_t *data;
   uint32_t len;

   if (bson_iter_init_find(&it, info, "options") && BSON_ITER_HOLDS_DOCUMENT(&it)) {
      bson_iter_document(&it, &len, &data);
      if (bson_init_static(out, data, len)) {
         return;
      }
   }
   bson_init(out);
}

static bool same_bson(const bson_t *x, const bson_t *y)
{
   return x->len == y->len && memcmp(bson_get_data(x), bson_get_data(y), x->len) == 0;
}

static void compare_options(const bson_t *info_a, const bson_t *info_b, reason_t *r)
{
   bson_t oa, ob;
   char ja[JSON_MAX + 8], jb[JSON_MAX + 8];

   if (strcmp(type_of(info_a), type_of(info_b)) != 0) {
      reason_add(r, "type differs: A=%s B=%s", type_of(info_a), type_of(info_b));
   }
   options_of(info_a, &oa);
   options_of(info_b, &ob);
   if (!same_bson(&oa, &ob)) {
      bson_to_json(&oa, ja, sizeof ja);
      bson_to_json(&ob, jb, sizeof jb);
      reason_add(r, "options differ: A=%s B=%s", ja, jb);
   }
   bson_destroy(&oa);
   bson_destroy(&ob);
}

/* Names in x but not in y, as one comma-separated reason prefixed by what. */
static void missing_names(const list_t *x, const list_t *y, const char *what, reason_t *r)
{
   char names[1024];
   size_t i, len = 0;

   names[0] = '\0';
   for (i = 0; i < x->n; i++) {
      if (!list_find(y, x->items[i].name) && len < sizeof names) {
         int n =
             snprintf(names + len, sizeof names - len, "%s%s", len ? ", " : "", x->items[i].name);
         len += n > 0 ? (size_t) n : 0;
      }
   }
   if (len) {
      reason_add(r, "%s: %s", what, names);
   }
}

static bool compare_indexes(const options_t *o, const char *coll, reason_t *r, failure_t *f)
{
   list_t la = {0}, lb = {0};
   char ja[JSON_MAX + 8], jb[JSON_MAX + 8];
   const entry_t *eb;
   size_t i;
   bool ok = list_indexes(&o->a, coll, &la, f) && list_indexes(&o->b, coll, &lb, f);

   if (ok) {
      missing_names(&la, &lb, "indexes missing in B", r);
      missing_names(&lb, &la, "extra indexes in B", r);
      for (i = 0; i < la.n; i++) {
         eb = list_find(&lb, la.items[i].name);
         if (eb && !same_bson(la.items[i].doc, eb->doc)) {
            bson_to_json(la.items[i].doc, ja, sizeof ja);
            bson_to_json(eb->doc, jb, sizeof jb);
            reason_add(r, "index %s differs: A=%s B=%s", la.items[i].name, ja, jb);
         }
      }
   }
   list_destroy(&la);
   list_destroy(&lb);
   return ok;
}

/* Walks two sorted multisets; reports how many documents each side has that the other lacks,
 * and the first of them. */
static void compare_sorted(const docs_t *a, const docs_t *b, reason_t *r)
{
   size_t i = 0, j = 0, only_a = 0, only_b = 0;
   const raw_t *first_a = NULL, *first_b = NULL;
   char json[JSON_MAX + 8];
   int c;

   while (i < a->n || j < b->n) {
      c = i == a->n ? 1 : j == b->n ? -1 : raw_cmp(&a->docs[i], &b->docs[j]);
      if (c == 0) {
         i++, j++;
      } else if (c < 0) {
         first_a = first_a ? first_a : &a->docs[i];
         only_a++, i++;
      } else {
         first_b = first_b ? first_b : &b->docs[j];
         only_b++, j++;
      }
   }
   if (a->n != b->n) {
      reason_add(r, "count differs: A has %zu docs, B has %zu", a->n, b->n);
   }
   if (first_a) {
      to_json(first_a->data, first_a->len, json, sizeof json);
      reason_add(r, "%zu docs only in A, first: %s", only_a, json);
   }
   if (first_b) {
      to_json(first_b->data, first_b->len, json, sizeof json);
      reason_add(r, "%zu docs only in B, first: %s", only_b, json);
   }
}

/* Compares one collection present on both sides; prints its line and sets *same. */
static bool compare_collection(const options_t *o, const entry_t *ea, const entry_t *eb, bool *same,
                               failure_t *f)
{
   reason_t r = {{0}, 0};
   docs_t da = {0}, db = {0};
   bool ok;

   compare_options(ea->doc, eb->doc, &r);
   ok = (o->no_indexes || compare_indexes(o, ea->name, &r, f)) &&
        read_docs(&o->a, ea->name, &da, f) && read_docs(&o->b, ea->name, &db, f);
   if (ok) {
      compare_sorted(&da, &db, &r);
      *same = r.len == 0;
      if (*same) {
         printf("ok %s %zu docs\n", ea->name, da.n);
      } else {
         printf("DIFF %s: %s\n", ea->name, r.text);
      }
   }
   docs_destroy(&da);
   docs_destroy(&db);
   return ok;
}

static bool ignored(const options_t *o, const char *name)
{
   size_t i;

   for (i = 0; i < o->nignored; i++) {
      if (strcmp(o->ignored[i], name) == 0) {
         return true;
      }
   }
   return false;
}

/* Compares the union of both name lists in byte order; returns false on a server error. */
static bool compare_all(const options_t *o, const list_t *ca, const list_t *cb, size_t *total,
                        size_t *diffs, failure_t *f)
{
   const entry_t *e;
   size_t i = 0, j = 0;
   int c;
   bool same;

   while (i < ca->n || j < cb->n) {
      c = i == ca->n ? 1 : j == cb->n ? -1 : strcmp(ca->items[i].name, cb->items[j].name);
      e = c <= 0 ? &ca->items[i] : &cb->items[j];
      i += c <= 0;
      j += c >= 0;
      if (ignored(o, e->name)) {
         continue;
      }
      (*total)++;
      if (c != 0) {
         printf("DIFF %s: missing in %s\n", e->name, c < 0 ? "B" : "A");
         (*diffs)++;
      } else if (!compare_collection(o, e, &cb->items[j - 1], &same, f)) {
         return false;
      } else if (!same) {
         (*diffs)++;
      }
   }
   return true;
}

static bool connect_side(side_t *s, const char *uri_text, failure_t *f)
{
   mongoc_uri_t *uri;
   bson_error_t error;
   bson_t *ping = BCON_NEW("ping", BCON_INT32(1));
   bool ok = false;

   uri = mongoc_uri_new_with_error(uri_text, &error);
   if (!uri) {
      /* the driver's message does not repeat the URI, which may hold a password */
      fail(f, &error, "parsing the URI of", s, NULL);
   } else if (!(s->client = mongoc_client_new_from_uri_with_error(uri, &error))) {
      fail(f, &error, "creating a client for", s, NULL);
   } else {
      mongoc_client_set_error_api(s->client, MONGOC_ERROR_API_VERSION_2);
      mongoc_client_set_appname(s->client, PROG);
      ok = mongoc_client_command_simple(s->client, "admin", ping, NULL, NULL, &error) ||
           fail(f, &error, "connecting to", s, NULL);
   }
   bson_destroy(ping);
   mongoc_uri_destroy(uri);
   return ok;
}

/* Returns 0 to go on, or 1 + the exit code. */
static int parse_args(int argc, char **argv, options_t *o, const char **uris)
{
   int i, npos = 0;
   const char *pos[4];

   for (i = 1; i < argc; i++) {
      if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
         printf("%s\n", USAGE);
         return 1;
      } else if (strcmp(argv[i], "--no-indexes") == 0) {
         o->no_indexes = true;
      } else if (strcmp(argv[i], "--ignore-collection") == 0 && i + 1 < argc) {
         o->ignored[o->nignored++] = argv[++i];
      } else if (strncmp(argv[i], "--", 2) == 0 || npos == 4) {
         fprintf(stderr, PROG ": error: bad argument %s; " USAGE "\n", argv[i]);
         return 3;
      } else {
         pos[npos++] = argv[i];
      }
   }
   if (npos != 4) {
      fprintf(stderr, PROG ": error: 4 positional arguments needed; " USAGE "\n");
      return 3;
   }
   uris[0] = pos[0];
   o->a.db = pos[1];
   uris[1] = pos[2];
   o->b.db = pos[3];
   return 0;
}

/* FerretDB has no endSessions, and the driver warns about that when a client is destroyed */
static void log_handler(mongoc_log_level_t level, const char *domain, const char *message,
                        void *data)
{
   if (level == MONGOC_LOG_LEVEL_WARNING && strstr(message, "endSessions")) {
      return;
   }
   mongoc_log_default_handler(level, domain, message, data);
}

int main(int argc, char **argv)
{
   options_t o;
   const char *uris[2] = {NULL, NULL};
   list_t ca = {0}, cb = {0};
   failure_t f;
   size_t total = 0, diffs = 0;
   int rc;

   memset(&o, 0, sizeof o);
   o.a.label = "A";
   o.b.label = "B";
   o.ignored = calloc((size_t) argc, sizeof *o.ignored);
   if (!o.ignored) {
      fprintf(stderr, PROG ": error: out of memory\n");
      return 2;
   }
   rc = parse_args(argc, argv, &o, uris);
   if (rc) {
      free(o.ignored);
      return rc - 1;
   }
   rc = 2;
   mongoc_init();
   mongoc_log_set_handler(log_handler, NULL);
   if (connect_side(&o.a, uris[0], &f) && connect_side(&o.b, uris[1], &f) &&
       list_collections(&o.a, &ca, &f) && list_collections(&o.b, &cb, &f) &&
       compare_all(&o, &ca, &cb, &total, &diffs, &f)) {
      if (diffs) {
         printf("different: %zu of %zu collections\n", diffs, total);
         rc = 1;
      } else {
         printf("identical: %zu collections\n", total);
         rc = 0;
      }
   } else {
      fflush(stdout);
      fprintf(stderr, PROG ": error: %s: %s\n", f.what, f.error.message);
   }
   list_destroy(&ca);
   list_destroy(&cb);
   mongoc_client_destroy(o.a.client);
   mongoc_client_destroy(o.b.client);
   mongoc_cleanup();
   free(o.ignored);
   return rc;
}
