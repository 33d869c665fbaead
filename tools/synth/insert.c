/* mongobak-insert: the bare insert loop, the ceiling a restore is measured against (as
 * mongobak-drain is the dump's). It reads an uncompressed archive (a file, or - for stdin: pipe a
 * compressed one through zstd -dc or gzip -dc) in one thread, gathers each namespace's documents
 * into chunks of CHUNK bytes, and JOBS threads insert the chunks with libmongoc unordered bulk
 * inserts (no validation), into the archive's namespaces or into database DB. No collection is
 * created beforehand, no index built, no checksum checked: inserting is all it does. Prints one
 * JSON line: namespaces, documents, bytes, seconds, MB/s.
 *
 *   mongobak-insert --uri URI --archive FILE|- [--jobs N] [--chunk BYTES] [--db DB]
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mongoc/mongoc.h>

#define USAGE                                                                                      \
   "usage: mongobak-insert --uri URI --archive FILE|- [--jobs N] [--chunk BYTES] [--db DB]\n"
#define MAGIC 0x8199e26du
#define TERMINATOR 0xffffffffu
#define MAX_DOC (16u << 20)
#define NAME_MAX_LEN 256

typedef struct {
   char db[NAME_MAX_LEN], coll[NAME_MAX_LEN];
   struct chunk *pending;
} ns_t;

typedef struct chunk {
   int ns;
   uint8_t *data;
   size_t len, cap;
   uint64_t docs;
} chunk_t;

typedef struct {
   mongoc_client_pool_t *pool;
   const char *target_db;
   ns_t *ns;
   int nns, ns_cap;
   int *slots; /* open addressing over ns (-1: empty) */
   size_t slots_cap;
   size_t chunk_bytes;
   /* the queue of full chunks, from the reader to the inserters */
   pthread_mutex_t lock;
   pthread_cond_t can_take, can_put;
   chunk_t **queue;
   int qcap, qhead, qlen;
   bool reading_done, failed;
   uint64_t docs, bytes;
} loop_t;

static void die(const char *msg)
{
   fprintf(stderr, "mongobak-insert: %s\n", msg);
   exit(1);
}

static void *xrealloc(void *p, size_t n)
{
   p = realloc(p, n);
   if (!p) {
      die("out of memory");
   }
   return p;
}

static double now(void)
{
   struct timespec ts;
   clock_gettime(CLOCK_MONOTONIC, &ts);
   return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static uint64_t fnv(const char *a, const char *b)
{
   uint64_t h = 14695981039346656037ull;
   for (; *a; a++) {
      h = (h ^ (uint8_t) *a) * 1099511628211ull;
   }
   h = (h ^ '.') * 1099511628211ull;
   for (; *b; b++) {
      h = (h ^ (uint8_t) *b) * 1099511628211ull;
   }
   return h;
}

static void index_grow(loop_t *l)
{
   l->slots_cap = l->slots_cap ? l->slots_cap * 2 : 64;
   l->slots = xrealloc(l->slots, l->slots_cap * sizeof *l->slots);
   memset(l->slots, 0xff, l->slots_cap * sizeof *l->slots);
   for (int k = 0; k < l->nns; k++) {
      size_t h = fnv(l->ns[k].db, l->ns[k].coll) & (l->slots_cap - 1);
      while (l->slots[h] >= 0) {
         h = (h + 1) & (l->slots_cap - 1);
      }
      l->slots[h] = k;
   }
}

/* The index of namespace db.coll, added when new. */
static int ns_index(loop_t *l, const char *db, const char *coll)
{
   size_t h;

   if ((size_t) (l->nns + 1) * 2 > l->slots_cap) {
      index_grow(l);
   }
   for (h = fnv(db, coll) & (l->slots_cap - 1); l->slots[h] >= 0;
        h = (h + 1) & (l->slots_cap - 1)) {
      const ns_t *n = &l->ns[l->slots[h]];
      if (strcmp(n->db, db) == 0 && strcmp(n->coll, coll) == 0) {
         return l->slots[h];
      }
   }
   if (l->nns == l->ns_cap) {
      l->ns_cap = l->ns_cap ? l->ns_cap * 2 : 16;
      l->ns = xrealloc(l->ns, (size_t) l->ns_cap * sizeof *l->ns);
   }
   snprintf(l->ns[l->nns].db, NAME_MAX_LEN, "%s", db);
   snprintf(l->ns[l->nns].coll, NAME_MAX_LEN, "%s", coll);
   l->ns[l->nns].pending = NULL;
   l->slots[h] = l->nns;
   return l->nns++;
}

/* Hand a chunk to the inserters (waits while the queue is full). */
static void put(loop_t *l, chunk_t *c)
{
   pthread_mutex_lock(&l->lock);
   while (l->qlen == l->qcap) {
      pthread_cond_wait(&l->can_put, &l->lock);
   }
   l->queue[(l->qhead + l->qlen++) % l->qcap] = c;
   pthread_cond_signal(&l->can_take);
   pthread_mutex_unlock(&l->lock);
}

static chunk_t *take(loop_t *l)
{
   chunk_t *c = NULL;

   pthread_mutex_lock(&l->lock);
   while (l->qlen == 0 && !l->reading_done) {
      pthread_cond_wait(&l->can_take, &l->lock);
   }
   if (l->qlen > 0) {
      c = l->queue[l->qhead];
      l->qhead = (l->qhead + 1) % l->qcap;
      l->qlen--;
      pthread_cond_signal(&l->can_put);
   }
   pthread_mutex_unlock(&l->lock);
   return c;
}

static void flush_ns(loop_t *l, int k)
{
   if (l->ns[k].pending && l->ns[k].pending->docs) {
      put(l, l->ns[k].pending);
   } else if (l->ns[k].pending) {
      free(l->ns[k].pending->data);
      free(l->ns[k].pending);
   }
   l->ns[k].pending = NULL;
}

static bool read_u32(FILE *f, uint32_t *v)
{
   uint8_t b[4];

   if (fread(b, 1, 4, f) != 4) {
      return false;
   }
   *v = (uint32_t) b[0] | (uint32_t) b[1] << 8 | (uint32_t) b[2] << 16 | (uint32_t) b[3] << 24;
   return true;
}

/* The rest of a document whose length len was read: into buf at off (grown as needed). */
static void read_doc(FILE *f, uint32_t len, uint8_t **buf, size_t *cap, size_t off)
{
   if (len < 5 || len > MAX_DOC) {
      die("bad document length in the archive (not an uncompressed archive?)");
   }
   if (off + len > *cap) {
      *cap = (off + len) * 2;
      *buf = xrealloc(*buf, *cap);
   }
   memcpy(*buf + off, &len, 4);
   if (fread(*buf + off + 4, 1, len - 4, f) != len - 4) {
      die("the archive ends inside a document");
   }
}

static const char *utf8_field(const bson_t *b, const char *key)
{
   bson_iter_t it;
   return bson_iter_init_find(&it, b, key) && BSON_ITER_HOLDS_UTF8(&it) ? bson_iter_utf8(&it, NULL)
                                                                        : NULL;
}

/* The reader: prelude, then blocks (a header, documents, a terminator). */
static void read_archive(loop_t *l, FILE *f)
{
   uint8_t *hbuf = NULL;
   size_t hcap = 0;
   uint32_t v;
   bson_t h;
   bson_iter_t it;

   if (!read_u32(f, &v) || v != MAGIC) {
      die("not an uncompressed mongodump archive (bad magic): decompress it first (zstd -dc, "
          "gzip -dc) and pass --archive -");
   }
   while (read_u32(f, &v) && v != TERMINATOR) { /* prelude header and entries */
      read_doc(f, v, &hbuf, &hcap, 0);
   }
   while (read_u32(f, &v)) {
      const char *db, *coll;
      chunk_t *c;
      int k;
      read_doc(f, v, &hbuf, &hcap, 0);
      if (!bson_init_static(&h, hbuf, v) || !(db = utf8_field(&h, "db")) ||
          !(coll = utf8_field(&h, "collection"))) {
         die("a block header without db and collection");
      }
      k = ns_index(l, l->target_db ? l->target_db : db, coll);
      if (bson_iter_init_find(&it, &h, "EOF") && bson_iter_as_bool(&it)) {
         flush_ns(l, k);
         if (!read_u32(f, &v) || v != TERMINATOR) {
            die("an EOF block without its terminator");
         }
         continue;
      }
      while (read_u32(f, &v) && v != TERMINATOR) {
         if (!(c = l->ns[k].pending)) {
            c = l->ns[k].pending = calloc(1, sizeof *c);
            if (!c) {
               die("out of memory");
            }
            c->ns = k;
         }
         read_doc(f, v, &c->data, &c->cap, c->len);
         c->len += v;
         c->docs++;
         if (c->len >= l->chunk_bytes) {
            flush_ns(l, k);
         }
      }
   }
   for (int k = 0; k < l->nns; k++) {
      flush_ns(l, k);
   }
   free(hbuf);
}

static bool insert_chunk(loop_t *l, mongoc_client_t *client, const chunk_t *c)
{
   mongoc_collection_t *coll =
       mongoc_client_get_collection(client, l->ns[c->ns].db, l->ns[c->ns].coll);
   bson_t bopts = BSON_INITIALIZER, iopts = BSON_INITIALIZER, reply, doc;
   mongoc_bulk_operation_t *bulk;
   bson_error_t e = {.message = "a document of the archive is not BSON"};
   bool ok = true;

   bson_init(&reply);
   BSON_APPEND_BOOL(&bopts, "ordered", false);
   BSON_APPEND_BOOL(&iopts, "validate", false);
   bulk = mongoc_collection_create_bulk_operation_with_opts(coll, &bopts);
   for (size_t off = 0; off < c->len && ok;) {
      uint32_t len;
      memcpy(&len, c->data + off, 4);
      ok = bson_init_static(&doc, c->data + off, len) &&
           mongoc_bulk_operation_insert_with_opts(bulk, &doc, &iopts, &e);
      off += len;
   }
   if (ok) {
      ok = mongoc_bulk_operation_execute(bulk, &reply, &e) != 0;
   }
   if (!ok) {
      fprintf(stderr, "mongobak-insert: %s.%s: %s\n", l->ns[c->ns].db, l->ns[c->ns].coll,
              e.message);
   }
   bson_destroy(&reply);
   mongoc_bulk_operation_destroy(bulk);
   mongoc_collection_destroy(coll);
   bson_destroy(&bopts);
   bson_destroy(&iopts);
   return ok;
}

static void *inserter(void *arg)
{
   loop_t *l = arg;
   mongoc_client_t *client = mongoc_client_pool_pop(l->pool);
   chunk_t *c;

   while ((c = take(l))) {
      bool ok = insert_chunk(l, client, c);
      pthread_mutex_lock(&l->lock);
      if (ok) {
         l->docs += c->docs;
         l->bytes += c->len;
      } else {
         l->failed = true;
      }
      pthread_mutex_unlock(&l->lock);
      free(c->data);
      free(c);
   }
   mongoc_client_pool_push(l->pool, client);
   return NULL;
}

static long parse_long(const char *s, long lo, long hi)
{
   char *end;
   long v = strtol(s, &end, 10);

   if (*end || end == s || v < lo || v > hi) {
      fputs(USAGE, stderr);
      exit(2);
   }
   return v;
}

int main(int argc, char **argv)
{
   const char *uri_s = NULL, *path = NULL;
   loop_t l = {.chunk_bytes = 8u << 20};
   mongoc_uri_t *uri;
   bson_error_t e;
   pthread_t *threads;
   int jobs = 4;
   double t0, t1;
   FILE *f;

   for (int k = 1; k < argc; k++) {
      if (strcmp(argv[k], "--uri") == 0 && k + 1 < argc) {
         uri_s = argv[++k];
      } else if (strcmp(argv[k], "--archive") == 0 && k + 1 < argc) {
         path = argv[++k];
      } else if (strcmp(argv[k], "--db") == 0 && k + 1 < argc) {
         l.target_db = argv[++k];
      } else if (strcmp(argv[k], "--jobs") == 0 && k + 1 < argc) {
         jobs = (int) parse_long(argv[++k], 1, 256);
      } else if (strcmp(argv[k], "--chunk") == 0 && k + 1 < argc) {
         l.chunk_bytes = (size_t) parse_long(argv[++k], 1, 1L << 30);
      } else {
         fputs(USAGE, stderr);
         return 2;
      }
   }
   if (!uri_s || !path) {
      fputs(USAGE, stderr);
      return 2;
   }
   f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
   if (!f) {
      perror(path);
      return 1;
   }
   setvbuf(f, NULL, _IOFBF, 1u << 20);
   mongoc_init();
   uri = mongoc_uri_new_with_error(uri_s, &e);
   if (!uri) {
      fprintf(stderr, "mongobak-insert: %s\n", e.message);
      return 2;
   }
   l.pool = mongoc_client_pool_new(uri);
   mongoc_client_pool_max_size(l.pool, (uint32_t) jobs);
   l.qcap = 2 * jobs;
   l.queue = calloc((size_t) l.qcap, sizeof *l.queue);
   threads = calloc((size_t) jobs, sizeof *threads);
   if (!l.queue || !threads) {
      die("out of memory");
   }
   pthread_mutex_init(&l.lock, NULL);
   pthread_cond_init(&l.can_take, NULL);
   pthread_cond_init(&l.can_put, NULL);
   t0 = now();
   for (int k = 0; k < jobs; k++) {
      if (pthread_create(&threads[k], NULL, inserter, &l) != 0) {
         die("cannot start a thread");
      }
   }
   read_archive(&l, f);
   pthread_mutex_lock(&l.lock);
   l.reading_done = true;
   pthread_cond_broadcast(&l.can_take);
   pthread_mutex_unlock(&l.lock);
   for (int k = 0; k < jobs; k++) {
      pthread_join(threads[k], NULL);
   }
   t1 = now();
   printf("{\"namespaces\":%d,\"docs\":%" PRIu64 ",\"bytes\":%" PRIu64
          ",\"seconds\":%.3f,\"mb_per_s\":%.1f}\n",
          l.nns, l.docs, l.bytes, t1 - t0, (double) l.bytes / 1e6 / (t1 - t0));
   if (f != stdin) {
      fclose(f);
   }
   free(threads);
   free(l.queue);
   free(l.ns);
   free(l.slots);
   mongoc_client_pool_destroy(l.pool);
   mongoc_uri_destroy(uri);
   mongoc_cleanup();
   return l.failed ? 1 : 0;
}
