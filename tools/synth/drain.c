/* mongobak-drain: the bare cursor-drain loop, the ceiling a dumper is measured against. It lists
 * the collections of one database and reads each with one libmongoc cursor (find {}, batchSize
 * 1,000,000, hint {$natural: 1}), JOBS collections at a time, and does nothing with the
 * documents but count them and their bytes. Prints one JSON line.
 *
 *   mongobak-drain --uri URI --db DB [--jobs N]
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mongoc/mongoc.h>

#define USAGE "usage: mongobak-drain --uri URI --db DB [--jobs N]\n"
#define BATCH_SIZE 1000000

typedef struct {
   mongoc_client_pool_t *pool;
   const char *db;
   char **names;
   int nnames;
   atomic_int next;
   atomic_uint_fast64_t docs, bytes;
   atomic_bool failed;
} drain_t;

static double now(void)
{
   struct timespec ts;
   clock_gettime(CLOCK_MONOTONIC, &ts);
   return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void drain_one(drain_t *d, mongoc_client_t *client, const char *name)
{
   mongoc_collection_t *coll = mongoc_client_get_collection(client, d->db, name);
   bson_t filter = BSON_INITIALIZER, opts = BSON_INITIALIZER, hint;
   mongoc_cursor_t *cur;
   const bson_t *doc;
   bson_error_t e;
   uint64_t docs = 0, bytes = 0;

   BSON_APPEND_INT32(&opts, "batchSize", BATCH_SIZE);
   BSON_APPEND_DOCUMENT_BEGIN(&opts, "hint", &hint);
   BSON_APPEND_INT32(&hint, "$natural", 1);
   bson_append_document_end(&opts, &hint);
   cur = mongoc_collection_find_with_opts(coll, &filter, &opts, NULL);
   while (mongoc_cursor_next(cur, &doc)) {
      docs++;
      bytes += doc->len;
   }
   if (mongoc_cursor_error(cur, &e)) {
      fprintf(stderr, "mongobak-drain: %s.%s: %s\n", d->db, name, e.message);
      atomic_store(&d->failed, true);
   }
   atomic_fetch_add(&d->docs, docs);
   atomic_fetch_add(&d->bytes, bytes);
   mongoc_cursor_destroy(cur);
   mongoc_collection_destroy(coll);
   bson_destroy(&filter);
   bson_destroy(&opts);
}

static void *worker(void *arg)
{
   drain_t *d = arg;
   mongoc_client_t *client = mongoc_client_pool_pop(d->pool);
   int k;

   while ((k = atomic_fetch_add(&d->next, 1)) < d->nnames) {
      drain_one(d, client, d->names[k]);
   }
   mongoc_client_pool_push(d->pool, client);
   return NULL;
}

static bool list_names(drain_t *d)
{
   mongoc_client_t *client = mongoc_client_pool_pop(d->pool);
   mongoc_database_t *db = mongoc_client_get_database(client, d->db);
   bson_error_t e;

   d->names = mongoc_database_get_collection_names_with_opts(db, NULL, &e);
   if (!d->names) {
      fprintf(stderr, "mongobak-drain: listCollections: %s\n", e.message);
   }
   for (d->nnames = 0; d->names && d->names[d->nnames]; d->nnames++) {
   }
   mongoc_database_destroy(db);
   mongoc_client_pool_push(d->pool, client);
   return d->names != NULL;
}

int main(int argc, char **argv)
{
   const char *uri_s = NULL;
   drain_t d = {.db = NULL};
   mongoc_uri_t *uri;
   bson_error_t e;
   pthread_t *threads;
   int jobs = 4;
   double t0, t1;
   char *end;

   for (int k = 1; k < argc; k++) {
      if (strcmp(argv[k], "--uri") == 0 && k + 1 < argc) {
         uri_s = argv[++k];
      } else if (strcmp(argv[k], "--db") == 0 && k + 1 < argc) {
         d.db = argv[++k];
      } else if (strcmp(argv[k], "--jobs") == 0 && k + 1 < argc) {
         jobs = (int) strtol(argv[++k], &end, 10);
         if (*end || jobs < 1 || jobs > 256) {
            fputs(USAGE, stderr);
            return 2;
         }
      } else {
         fputs(USAGE, stderr);
         return 2;
      }
   }
   if (!uri_s || !d.db) {
      fputs(USAGE, stderr);
      return 2;
   }
   mongoc_init();
   uri = mongoc_uri_new_with_error(uri_s, &e);
   if (!uri) {
      fprintf(stderr, "mongobak-drain: %s\n", e.message);
      return 2;
   }
   d.pool = mongoc_client_pool_new(uri);
   mongoc_client_pool_max_size(d.pool, (uint32_t) jobs + 1);
   t0 = now();
   if (!list_names(&d)) {
      return 1;
   }
   threads = calloc((size_t) jobs, sizeof *threads);
   for (int k = 0; k < jobs; k++) {
      pthread_create(&threads[k], NULL, worker, &d);
   }
   for (int k = 0; k < jobs; k++) {
      pthread_join(threads[k], NULL);
   }
   t1 = now();
   printf("{\"collections\":%d,\"docs\":%" PRIu64 ",\"bytes\":%" PRIu64
          ",\"seconds\":%.3f,\"mb_per_s\":%.1f}\n",
          d.nnames, (uint64_t) atomic_load(&d.docs), (uint64_t) atomic_load(&d.bytes), t1 - t0,
          (double) atomic_load(&d.bytes) / 1e6 / (t1 - t0));
   free(threads);
   bson_strfreev(d.names);
   mongoc_client_pool_destroy(d.pool);
   mongoc_uri_destroy(uri);
   mongoc_cleanup();
   return atomic_load(&d.failed) ? 1 : 0;
}
