#include "dump/dump.h"
#include "archive/dirout.h"
#include "archive/format.h"
#include "archive/writer.h"
#include "dump/batch.h"
#include "dump/oplog.h"
#include "common/client.h"
#include "common/log.h"
#include "storage/repo.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BLOCK_SIZE (4u << 20) /* documents are copied into blocks of this size */

typedef struct block {
   struct block *next;
   int ns;         /* plan index; -1 marks the end of the stream for the writer */
   bool task_done; /* the reader finished this namespace's task with this block */
   uint8_t *data;
   size_t len, cap;
   uint64_t ndocs; /* whole documents in data, each checked by the reader (append_doc) */
} block_t;

typedef struct {
   block_t *head, *tail;
   pthread_cond_t cond;
} fifo_t;

typedef struct {
   uint64_t first_ns, last_ns; /* monotonic nanoseconds of first block and EOF */
   atomic_int tasks_left;
   atomic_int readers;         /* tasks of this namespace being read now (progress) */
   atomic_uint_fast64_t bytes; /* BSON bytes read, published by the readers (progress) */
} ns_run_t;

typedef struct {
   const mb_dump_opts_t *o;
   mb_plan_t *plan;
   mb_client_t *client;
   mb_archive_writer_t *writer; /* the archive, or */
   mb_dirout_t *dir;            /* the directory (--out) */
   int *ids;                    /* writer namespace id per plan index */
   ns_run_t *run;
   pthread_mutex_t lock; /* guards everything below and both fifos */
   fifo_t free_blocks, full_blocks;
   block_t *all_blocks;
   int nblocks;
   int next_task, specials_left, readers_left, ns_done;
   const char *current;
   pthread_cond_t changed; /* tasks, readers_left */
   atomic_bool failed;     /* also read without the lock by the readers' loops */
   mb_error_t err;
   atomic_uint_fast64_t docs, bytes;
   mb_dump_progress_ns_t *reading; /* the progress callback's view, main thread only */
   /* --oplog (main thread only) */
   int oplog_id;
   mb_oplog_ts_t oplog_start, oplog_end;
   uint64_t oplog_first_ns, oplog_last_ns;
} engine_t;

static uint64_t now_ns(void)
{
   struct timespec ts;
   clock_gettime(CLOCK_MONOTONIC, &ts);
   return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

/* Record the first failure and wake every thread so that all of them stop. */
static void fail(engine_t *e, const mb_error_t *err)
{
   pthread_mutex_lock(&e->lock);
   if (!atomic_load(&e->failed)) {
      atomic_store(&e->failed, true);
      e->err = *err;
   }
   pthread_cond_broadcast(&e->free_blocks.cond);
   pthread_cond_broadcast(&e->full_blocks.cond);
   pthread_cond_broadcast(&e->changed);
   pthread_mutex_unlock(&e->lock);
}

static void fifo_push_locked(fifo_t *f, block_t *b)
{
   b->next = NULL;
   if (f->tail) {
      f->tail->next = b;
   } else {
      f->head = b;
   }
   f->tail = b;
   pthread_cond_signal(&f->cond);
}

/* Pop a block, waiting while the fifo is empty; NULL once the dump failed. */
static block_t *fifo_pop(engine_t *e, fifo_t *f)
{
   block_t *b = NULL;

   pthread_mutex_lock(&e->lock);
   while (!e->failed && !f->head) {
      pthread_cond_wait(&f->cond, &e->lock);
   }
   if (!e->failed) {
      b = f->head;
      f->head = b->next;
      if (!f->head) {
         f->tail = NULL;
      }
   }
   pthread_mutex_unlock(&e->lock);
   return b;
}

static void fifo_push(engine_t *e, fifo_t *f, block_t *b)
{
   pthread_mutex_lock(&e->lock);
   fifo_push_locked(f, b);
   pthread_mutex_unlock(&e->lock);
}

static block_t *take_block(engine_t *e, int ns)
{
   block_t *b = fifo_pop(e, &e->free_blocks);
   if (b) {
      b->ns = ns;
      b->len = 0;
      b->ndocs = 0;
      b->task_done = false;
   }
   return b;
}

static bool alloc_blocks(engine_t *e, int n, mb_error_t *err)
{
   e->all_blocks = calloc((size_t) n, sizeof *e->all_blocks);
   if (!e->all_blocks) {
      goto oom;
   }
   e->nblocks = n;
   for (int i = 0; i < n; i++) {
      block_t *b = &e->all_blocks[i];
      b->cap = BLOCK_SIZE;
      b->data = malloc(BLOCK_SIZE);
      if (!b->data) {
         goto oom;
      }
      fifo_push_locked(&e->free_blocks, b);
   }
   return true;
oom:
   mb_error_set(err, MB_EXIT_FAILURE, "out of memory allocating %d blocks of %u bytes", n,
                BLOCK_SIZE);
   return false;
}

/* The next task for a reader: special namespaces first, and no regular namespace starts until
 * every special one has been read (mongorestore reads them before the others). -1: none left. */
static int next_task(engine_t *e)
{
   const mb_plan_task_t *tasks = e->plan->tasks;
   int t = -1;

   pthread_mutex_lock(&e->lock);
   while (!e->failed && e->next_task < e->plan->ntasks &&
          e->plan->ns[tasks[e->next_task].ns].kind != MB_NS_SPECIAL && e->specials_left > 0) {
      pthread_cond_wait(&e->changed, &e->lock);
   }
   if (!e->failed && e->next_task < e->plan->ntasks) {
      t = e->next_task++;
      e->current = e->plan->ns[tasks[t].ns].collection;
   }
   pthread_mutex_unlock(&e->lock);
   return t;
}

static void task_finished(engine_t *e, int ns)
{
   pthread_mutex_lock(&e->lock);
   if (e->plan->ns[ns].kind == MB_NS_SPECIAL) {
      e->specials_left--;
      pthread_cond_broadcast(&e->changed);
   }
   pthread_mutex_unlock(&e->lock);
}

/* The find for one task: a whole namespace ({$natural: 1}), or one _id range. A cursor reopened
 * after `done` documents starts at the last of them (last): from its _id for a range (min is
 * inclusive), by skipping the others in natural order. */
static mongoc_cursor_t *open_cursor(mongoc_client_t *client, const mb_plan_ns_t *n,
                                    const mb_plan_task_t *t, const bson_t *last, uint64_t done,
                                    uint32_t batch_size)
{
   mongoc_collection_t *coll =
       mongoc_client_get_collection(client, n->source_db, n->source_collection);
   bson_t opts = BSON_INITIALIZER, filter = BSON_INITIALIZER, hint, lo = BSON_INITIALIZER;
   bson_iter_t it;
   mongoc_cursor_t *cur;

   /* int64: mongoc_cursor_set_batch_size silently keeps a batchSize of any other type */
   BSON_APPEND_INT64(&opts, "batchSize", batch_size);
   if (n->natural_hint || t->method != MB_SPLIT_NONE) {
      BSON_APPEND_DOCUMENT_BEGIN(&opts, "hint", &hint);
      BSON_APPEND_INT32(&hint, t->method != MB_SPLIT_NONE ? "_id" : "$natural", 1);
      bson_append_document_end(&opts, &hint);
   }
   if (t->method == MB_SPLIT_MINMAX) {
      if (last && bson_iter_init_find(&it, last, "_id")) {
         bson_append_iter(&lo, "_id", 3, &it);
         BSON_APPEND_DOCUMENT(&opts, "min", &lo);
      } else if (t->lo) {
         BSON_APPEND_DOCUMENT(&opts, "min", t->lo);
      }
      if (t->hi) {
         BSON_APPEND_DOCUMENT(&opts, "max", t->hi);
      }
   } else if (last && done > 1) {
      BSON_APPEND_INT64(&opts, "skip", (int64_t) (done - 1));
   }
   if (n->filter) {
      bson_concat(&filter, n->filter);
   }
   cur = mongoc_collection_find_with_opts(coll, &filter, &opts, NULL);
   bson_destroy(&opts);
   bson_destroy(&filter);
   bson_destroy(&lo);
   mongoc_collection_destroy(coll);
   return cur;
}

/* Same _id (type and bytes), or the same bytes for documents without _id. */
static bool same_doc(const bson_t *a, const bson_t *b)
{
   bson_t x = BSON_INITIALIZER, y = BSON_INITIALIZER;
   bson_iter_t ia, ib;
   bool ha = bson_iter_init_find(&ia, a, "_id"), hb = bson_iter_init_find(&ib, b, "_id"), same;

   if (ha != hb) {
      return false;
   }
   if (!ha) {
      return a->len == b->len && memcmp(bson_get_data(a), bson_get_data(b), a->len) == 0;
   }
   same = bson_append_iter(&x, "_id", 3, &ia) && bson_append_iter(&y, "_id", 3, &ib) &&
          x.len == y.len && memcmp(bson_get_data(&x), bson_get_data(&y), x.len) == 0;
   bson_destroy(&x);
   bson_destroy(&y);
   return same;
}

/* Publish what a reader counted since it last did: a few atomic adds per MB_DUMP_PROGRESS_GRAIN
 * bytes, not per document, and no lock. */
static void publish(engine_t *e, int ns, uint64_t *docs, uint64_t *bytes)
{
   if (*docs) {
      atomic_fetch_add(&e->docs, *docs);
      atomic_fetch_add(&e->bytes, *bytes);
      atomic_fetch_add(&e->run[ns].bytes, *bytes);
      *docs = *bytes = 0;
   }
}

/* Copy one document into the reader's block, handing full blocks to the writer. This is the
 * dump's one check of a document's framing (the archive writer trusts the block's count): the
 * driver gives whole documents (bson_init_static), and their length and NUL terminator are read
 * here while they are in this core's cache. */
static bool append_doc(engine_t *e, block_t **bp, const mb_plan_ns_t *n, int t, const bson_t *doc)
{
   block_t *b = *bp;
   uint32_t len = doc->len;
   const uint8_t *data = bson_get_data(doc);

   if (len > MB_ARCHIVE_MAX_BSON || len < MB_ARCHIVE_MIN_BSON || data[len - 1] != 0) {
      mb_error_t err;
      if (len > MB_ARCHIVE_MAX_BSON) {
         mb_error_set(&err, MB_EXIT_CORRUPT,
                      "document of %u bytes in '%s.%s' exceeds the 16 MiB BSON limit", len, n->db,
                      n->collection);
      } else {
         mb_error_set(&err, MB_EXIT_CORRUPT, "malformed BSON document of %u bytes in '%s.%s'", len,
                      n->db, n->collection);
      }
      fail(e, &err);
      return false;
   }

   if (b->len + len > b->cap && b->len > 0) {
      fifo_push(e, &e->full_blocks, b);
      b = *bp = take_block(e, t);
      if (!b) {
         return false;
      }
   }
   if (len > b->cap) {
      uint8_t *p = realloc(b->data, len); /* one oversized document: this block grows */
      if (!p) {
         mb_error_t err;
         mb_error_set(&err, MB_EXIT_FAILURE, "out of memory for a document of %u bytes", len);
         fail(e, &err);
         return false;
      }
      b->data = p;
      b->cap = len;
   }
   memcpy(b->data + b->len, data, len);
   b->len += len;
   b->ndocs++;
   return true;
}

static void read_failed(engine_t *e, const mb_plan_ns_t *n, const bson_error_t *de)
{
   mb_error_t err;

   mb_client_error(&err, de, "reading '%s.%s' failed", n->db, n->collection);
   if (mb_error_exit_code(&err) == MB_EXIT_CONNECT) {
      mb_error_recode(&err, MB_EXIT_SERVER); /* it answered before: it went away */
      mb_error_prefix(&err, "the server went away");
   }
   fail(e, &err);
}

typedef enum { READ_DONE, READ_STOPPED, READ_OVERSIZED } read_end_t;

/* Drain one cursor into blocks. A reopened one (done > 0) starts with the last document already
 * read (last) or, in an _id range whose last document was deleted meanwhile, with the next one;
 * in natural order anything else means the collection changed, and the read fails rather than
 * lose or repeat a document. */
static read_end_t drain(engine_t *e, mongoc_cursor_t *cur, const mb_plan_task_t *task,
                        const bson_t *last, mb_batch_t *batch, block_t **bp, uint64_t *done,
                        uint32_t *last_len, bson_error_t *de)
{
   const mb_plan_ns_t *n = &e->plan->ns[task->ns];
   bool check_first = last != NULL, lost = false;
   const bson_t *doc;
   uint32_t size;
   uint64_t docs = 0, bytes = 0; /* not yet published */

   while (!atomic_load(&e->failed) && mongoc_cursor_next(cur, &doc)) {
      if (check_first) {
         check_first = false;
         if (same_doc(doc, last)) {
            continue;
         }
         if (task->method == MB_SPLIT_NONE) {
            lost = true;
            break;
         }
      }
      if (!append_doc(e, bp, n, task->ns, doc)) {
         return READ_STOPPED;
      }
      (*done)++;
      *last_len = doc->len;
      docs++;
      if ((bytes += doc->len) >= MB_DUMP_PROGRESS_GRAIN) {
         publish(e, task->ns, &docs, &bytes);
      }
      if ((size = mb_batch_count(batch, doc->len)) != 0) {
         mongoc_cursor_set_batch_size(cur, size);
      }
   }
   publish(e, task->ns, &docs, &bytes);
   if (!lost && mongoc_cursor_error(cur, de)) {
      return mb_batch_oversized(de) ? READ_OVERSIZED : READ_STOPPED;
   }
   if ((lost || (check_first && task->method == MB_SPLIT_NONE)) && !atomic_load(&e->failed)) {
      mb_error_t err;
      mb_error_set(&err, MB_EXIT_SERVER,
                   "reading '%s.%s' failed: the collection changed while the read was resumed "
                   "after document %llu (after a reply over the server's message size limit); "
                   "run the dump again",
                   n->db, n->collection, (unsigned long long) *done);
      fail(e, &err);
      return READ_STOPPED;
   }
   return READ_DONE;
}

/* Read a task's documents into blocks, in batches bounded in bytes (batch.h). After a reply
 * over the server's message size limit the cursor is reopened where it stopped, asking for half
 * as many documents, until a batch of one; every document is read exactly once. */
static bool read_docs(engine_t *e, mongoc_client_t *client, const mb_plan_task_t *task,
                      block_t **bp)
{
   const mb_plan_ns_t *n = &e->plan->ns[task->ns];
   mb_batch_t batch;
   uint64_t done = 0;
   uint32_t last_len = 0;
   bson_error_t de;

   mb_batch_init(&batch, n->avg_obj_size);
   for (;;) {
      bson_t last; /* the last document read: always in the current block */
      bool resume =
          done > 0 && bson_init_static(&last, (*bp)->data + (*bp)->len - last_len, last_len);
      mongoc_cursor_t *cur;
      read_end_t end;

      if (resume && task->method == MB_SPLIT_MINMAX && !bson_has_field(&last, "_id")) {
         mb_error_t err; /* not from an _id index: nothing to resume from */
         mb_error_set(&err, MB_EXIT_SERVER,
                      "reading '%s.%s' failed: a document of an _id range has no _id; run the "
                      "dump again without --split",
                      n->db, n->collection);
         fail(e, &err);
         return false;
      }
      cur = open_cursor(client, n, task, resume ? &last : NULL, done, mb_batch_first(&batch));
      end = drain(e, cur, task, resume ? &last : NULL, &batch, bp, &done, &last_len, &de);
      mongoc_cursor_destroy(cur);
      if (end == READ_DONE) {
         return true;
      }
      if (end == READ_STOPPED) {
         if (!atomic_load(&e->failed)) {
            read_failed(e, n, &de);
         }
         return false;
      }
      if (!mb_batch_shrink(&batch)) {
         mb_error_prefix(&de, "with batches of one document");
         read_failed(e, n, &de);
         return false;
      }
      mb_log(MB_LOG_WARN,
             "%s.%s: a reply was over the server's message size limit (%s); reading on after "
             "document %llu with batches of at most %u document%s",
             n->db, n->collection, de.message, (unsigned long long) done, batch.cap,
             batch.cap == 1 ? "" : "s");
   }
}

static void read_task(engine_t *e, mongoc_client_t *client, int t)
{
   const mb_plan_task_t *task = &e->plan->tasks[t];
   const mb_plan_ns_t *n = &e->plan->ns[task->ns];
   block_t *b = take_block(e, task->ns);

   if (!b) {
      return;
   }
   if (!e->run[task->ns].first_ns) {
      e->run[task->ns].first_ns = now_ns();
   }
   atomic_fetch_add(&e->run[task->ns].readers, 1);
   if (n->read_data && !read_docs(e, client, task, &b)) {
      goto out;
   }
   b->task_done = true;
   fifo_push(e, &e->full_blocks, b);
   b = NULL;
   task_finished(e, task->ns);
out:
   atomic_fetch_sub(&e->run[task->ns].readers, 1);
   if (b) {
      fifo_push(e, &e->free_blocks, b);
   }
}

static void *reader_main(void *arg)
{
   engine_t *e = arg;
   mongoc_client_t *client = mongoc_client_pool_pop(mb_client_pool(e->client));
   int t;

   while ((t = next_task(e)) >= 0) {
      read_task(e, client, t);
   }
   mongoc_client_pool_push(mb_client_pool(e->client), client);
   pthread_mutex_lock(&e->lock);
   e->readers_left--;
   pthread_cond_broadcast(&e->changed);
   pthread_mutex_unlock(&e->lock);
   return NULL;
}

/* The output: an archive stream or mongodump's directory layout; the same calls reach both. */
static bool out_add(engine_t *e, const mb_plan_ns_t *n, int *id, mb_error_t *err)
{
   return e->dir
              ? mb_dirout_add_namespace(e->dir, n->db, n->collection, n->metadata, n->type, id, err)
              : mb_archive_writer_add_namespace(e->writer, n->db, n->collection, n->metadata,
                                                n->type, id, err);
}

static bool out_write(engine_t *e, int id, const block_t *b, mb_error_t *err)
{
   return e->dir ? mb_dirout_write_checked(e->dir, id, b->data, b->len, b->ndocs, err)
                 : mb_archive_writer_write_checked(e->writer, id, b->data, b->len, b->ndocs, err);
}

static bool out_end(engine_t *e, int id, mb_error_t *err)
{
   return e->dir ? mb_dirout_end_namespace(e->dir, id, err)
                 : mb_archive_writer_end_namespace(e->writer, id, err);
}

static bool out_finish(engine_t *e, mb_error_t *err)
{
   return e->dir ? mb_dirout_finish(e->dir, err) : mb_archive_writer_finish(e->writer, err);
}

static void out_ns_stats(const engine_t *e, int id, uint64_t *docs, uint64_t *bytes, uint64_t *crc)
{
   if (e->dir) {
      mb_dirout_ns_stats(e->dir, id, docs, bytes, crc);
   } else {
      mb_archive_writer_ns_stats(e->writer, id, docs, bytes, crc);
   }
}

static bool write_block(engine_t *e, block_t *b, mb_error_t *err)
{
   ns_run_t *r = &e->run[b->ns];
   int id = e->ids[b->ns];

   if (b->len && !out_write(e, id, b, err)) {
      return false;
   }
   if (b->task_done && atomic_fetch_sub(&r->tasks_left, 1) == 1) {
      if (!out_end(e, id, err)) {
         return false;
      }
      r->last_ns = now_ns();
      pthread_mutex_lock(&e->lock);
      e->ns_done++;
      pthread_mutex_unlock(&e->lock);
   }
   return true;
}

static void *writer_main(void *arg)
{
   engine_t *e = arg;
   block_t *b;
   mb_error_t err;

   while ((b = fifo_pop(e, &e->full_blocks)) != NULL && b->ns >= 0) {
      bool ok = write_block(e, b, &err);
      if (b->cap > BLOCK_SIZE) {
         uint8_t *p = realloc(b->data, BLOCK_SIZE); /* give back an oversized block's memory */
         if (p) {
            b->data = p;
            b->cap = BLOCK_SIZE;
         }
      }
      fifo_push(e, &e->free_blocks, b);
      if (!ok) {
         fail(e, &err);
         break;
      }
   }
   return NULL;
}

/* The server's size of a namespace (collStats), 0 when unknown or filtered by a --query. */
static uint64_t expected_bytes(const mb_plan_ns_t *n)
{
   return n->size_bytes > 0 && !n->filter ? (uint64_t) n->size_bytes : 0;
}

static void report_progress(engine_t *e, uint64_t start, uint64_t expected,
                            mb_dump_progress_fn progress, void *user_data)
{
   mb_dump_progress_t p;

   pthread_mutex_lock(&e->lock);
   p.ns_done = e->ns_done;
   p.current = e->current;
   pthread_mutex_unlock(&e->lock);
   p.ns_total = e->plan->nns;
   p.docs = atomic_load(&e->docs);
   p.bytes = atomic_load(&e->bytes);
   p.bytes_expected = expected;
   p.reading = e->reading;
   p.nreading = 0;
   for (int i = 0; i < e->plan->nns; i++) {
      const mb_plan_ns_t *n = &e->plan->ns[i];
      if (atomic_load(&e->run[i].readers) > 0) {
         e->reading[p.nreading++] = (mb_dump_progress_ns_t){.db = n->db,
                                                            .collection = n->collection,
                                                            .bytes = atomic_load(&e->run[i].bytes),
                                                            .bytes_expected = expected_bytes(n)};
      }
   }
   p.seconds = (double) (now_ns() - start) / 1e9;
   progress(&p, user_data);
}

/* Wait for the readers, reporting progress and watching for cancellation. The bytes expected are
 * unknown (0) when a --query reads an unknown part of a collection (the users and roles of one
 * database, also filtered, are small enough to count as nothing). */
static void wait_readers(engine_t *e, uint64_t start, mb_dump_progress_fn progress, void *user_data)
{
   uint64_t expected = 0;

   for (int i = 0; i < e->plan->nns; i++) {
      const mb_plan_ns_t *n = &e->plan->ns[i];
      if (n->filter && n->kind != MB_NS_SPECIAL) {
         expected = 0;
         break;
      }
      expected += expected_bytes(n);
   }
   pthread_mutex_lock(&e->lock);
   while (e->readers_left > 0) {
      struct timespec ts;
      clock_gettime(CLOCK_REALTIME, &ts);
      ts.tv_nsec += 250000000;
      if (ts.tv_nsec >= 1000000000) {
         ts.tv_sec++;
         ts.tv_nsec -= 1000000000;
      }
      pthread_cond_timedwait(&e->changed, &e->lock, &ts);
      pthread_mutex_unlock(&e->lock);
      if (e->o->cancel && atomic_load(e->o->cancel)) {
         mb_error_t err;
         mb_error_set(&err, MB_EXIT_TIMEOUT, "the dump was cancelled (time limit reached)");
         fail(e, &err);
      }
      if (progress) {
         report_progress(e, start, expected, progress, user_data);
      }
      pthread_mutex_lock(&e->lock);
   }
   pthread_mutex_unlock(&e->lock);
}

static bool declare_namespaces(engine_t *e, mb_error_t *err)
{
   e->ids = calloc((size_t) e->plan->nns, sizeof *e->ids);
   e->run = calloc((size_t) e->plan->nns, sizeof *e->run);
   e->reading = calloc((size_t) e->plan->nns, sizeof *e->reading);
   if (!e->ids || !e->run || !e->reading) {
      mb_error_set(err, MB_EXIT_FAILURE, "out of memory");
      return false;
   }
   for (int i = 0; i < e->plan->nns; i++) {
      const mb_plan_ns_t *n = &e->plan->ns[i];
      atomic_init(&e->run[i].tasks_left, n->ntasks);
      atomic_init(&e->run[i].readers, 0);
      atomic_init(&e->run[i].bytes, 0);
      e->specials_left += n->kind == MB_NS_SPECIAL ? n->ntasks : 0;
      if (n->split_how) {
         mb_log(n->ntasks > 1 ? MB_LOG_INFO : MB_LOG_WARN, "%s.%s: %s%s (%d ranges)", n->db,
                n->collection, n->ntasks > 1 ? "split by " : "not split: ", n->split_how,
                n->ntasks);
      }
      if (!out_add(e, n, &e->ids[i], err)) {
         return false;
      }
   }
   if (e->o->oplog &&
       !mb_archive_writer_add_namespace(e->writer, "", "oplog", "", "", &e->oplog_id, err)) {
      return false;
   }
   return e->dir || mb_archive_writer_begin(e->writer, err);
}

static bool write_oplog(void *user_data, const uint8_t *docs, size_t len, mb_error_t *err)
{
   engine_t *e = user_data;
   return mb_oplog_check_entries(docs, len, err) &&
          mb_archive_writer_write(e->writer, e->oplog_id, docs, len, err);
}

/* Tests only (as mongodump's hidden --internalOnlySourceWritesDoneBarrier): with
 * MB_TEST_OPLOG_BARRIER=PATH the dump says so on stderr once every collection is read, and waits
 * (up to a minute) for PATH to exist before noting the end of the oplog, so that a test can stop
 * its writers at a known point. */
static bool test_barrier(mb_error_t *err)
{
   const char *path = getenv("MB_TEST_OPLOG_BARRIER");
   struct timespec pause = {0, 50 * 1000 * 1000};

   if (!path || !*path) {
      return true;
   }
   mb_log(MB_LOG_INFO, "oplog: collections read; waiting for the test barrier %s", path);
   for (int i = 0; i < 1200; i++) {
      if (access(path, F_OK) == 0) {
         return true;
      }
      nanosleep(&pause, NULL);
   }
   mb_error_set(err, MB_EXIT_TIMEOUT, "the test barrier %s did not appear within a minute", path);
   return false;
}

/* After every collection: the oplog from the start noted before the first one to the newest
 * entry now, as mongodump --oplog: the start is checked before and after the copy. */
static bool dump_oplog(engine_t *e, mb_error_t *err)
{
   mongoc_client_t *c = mongoc_client_pool_pop(mb_client_pool(e->client));
   uint64_t n = 0;
   bool empty, ok;
   char a[24], b[24];

   e->oplog_first_ns = now_ns();
   ok = test_barrier(err) && mb_oplog_newest(c, &e->oplog_end, &empty, err) &&
        mb_oplog_check_start(c, e->oplog_start, err) &&
        (empty || mb_oplog_copy(c, e->oplog_start, e->oplog_end, write_oplog, e, &n, err)) &&
        mb_archive_writer_end_namespace(e->writer, e->oplog_id, err) &&
        mb_oplog_check_start(c, e->oplog_start, err);
   mongoc_client_pool_push(mb_client_pool(e->client), c);
   e->oplog_last_ns = now_ns();
   if (ok) {
      mb_log(MB_LOG_INFO, "oplog: %llu entries from %s to %s", (unsigned long long) n,
             mb_oplog_ts_format(e->oplog_start, a, sizeof a),
             mb_oplog_ts_format(e->oplog_end, b, sizeof b));
   }
   return ok;
}

/* Before the first collection is read: where the oplog copy starts (the newest entry, or where
 * the oldest open transaction began, as mongodump). */
static bool oplog_begin(engine_t *e, mb_error_t *err)
{
   mongoc_client_t *c;
   bool empty, ok;

   if (!e->o->oplog) {
      return true;
   }
   if (e->o->output_dir || e->o->select.db) {
      mb_error_set(err, MB_EXIT_USAGE,
                   "--oplog needs an archive of the whole server, as with mongodump: not with "
                   "%s",
                   e->o->output_dir ? "--out" : "--db");
      return false;
   }
   c = mongoc_client_pool_pop(mb_client_pool(e->client));
   ok = mb_oplog_start(c, &e->oplog_start, &empty, err);
   mongoc_client_pool_push(mb_client_pool(e->client), c);
   return ok;
}

/* Start the writer and the readers, wait for all of them, and finish the archive stream. */
static bool pump(engine_t *e, mb_dump_progress_fn progress, void *user_data, uint64_t start,
                 mb_error_t *err)
{
   int jobs = e->o->jobs < e->plan->ntasks ? e->o->jobs : e->plan->ntasks;
   pthread_t writer, *readers = calloc((size_t) (jobs > 0 ? jobs : 1), sizeof *readers);
   block_t end = {.ns = -1};
   int started = 0;

   if (!readers || !alloc_blocks(e, 2 * jobs + 2, err)) {
      free(readers);
      return false;
   }
   pthread_create(&writer, NULL, writer_main, e);
   e->readers_left = jobs;
   for (; started < jobs; started++) {
      if (pthread_create(&readers[started], NULL, reader_main, e) != 0) {
         mb_error_set(err, MB_EXIT_FAILURE, "cannot start reader threads");
         fail(e, err);
         pthread_mutex_lock(&e->lock);
         e->readers_left -= jobs - started;
         pthread_mutex_unlock(&e->lock);
         break;
      }
   }
   wait_readers(e, start, progress, user_data);
   for (int i = 0; i < started; i++) {
      pthread_join(readers[i], NULL);
   }
   fifo_push(e, &e->full_blocks, &end);
   pthread_join(writer, NULL);
   free(readers);
   if (e->failed) {
      *err = e->err;
      return false;
   }
   return (!e->o->oplog || dump_oplog(e, err)) && out_finish(e, err);
}

static bool build_report(engine_t *e, const char *output, uint64_t bytes_out, uint64_t start,
                         mb_dump_report_t **out)
{
   mb_dump_report_t *r = calloc(1, sizeof *r);

   if (!r || !(r->ns = bson_malloc0(((size_t) e->plan->nns + 2) * sizeof *r->ns)) ||
       !(r->warnings = bson_malloc0(((size_t) e->plan->nwarnings + 1) * sizeof *r->warnings))) {
      mb_dump_report_destroy(r);
      return false;
   }
   r->output = bson_strdup(output);
   r->server_version = bson_strdup(mb_client_server_version(e->client));
   r->nns = e->plan->nns + (e->o->oplog ? 1 : 0);
   if (e->o->oplog) {
      mb_ns_stats_t *n = &r->ns[e->plan->nns];
      n->db = bson_strdup("");
      n->collection = bson_strdup("oplog");
      n->type = bson_strdup("oplog");
      out_ns_stats(e, e->oplog_id, &n->docs, &n->bytes, &n->crc);
      n->seconds = (double) (e->oplog_last_ns - e->oplog_first_ns) / 1e9;
      n->oplog = true;
      n->oplog_start = e->oplog_start;
      n->oplog_end = e->oplog_end;
      r->bytes_in += n->bytes;
   }
   for (int i = 0; i < e->plan->nns; i++) {
      mb_ns_stats_t *n = &r->ns[i];
      n->db = bson_strdup(e->plan->ns[i].db);
      n->collection = bson_strdup(e->plan->ns[i].collection);
      n->type = bson_strdup(e->plan->ns[i].type);
      out_ns_stats(e, e->ids[i], &n->docs, &n->bytes, &n->crc);
      n->seconds = (double) (e->run[i].last_ns - e->run[i].first_ns) / 1e9;
      r->docs += n->docs;
      r->bytes_in += n->bytes;
   }
   for (int i = 0; i < e->plan->nwarnings; i++) {
      r->warnings[i] = bson_strdup(e->plan->warnings[i]);
   }
   r->bytes_out = bytes_out;
   r->seconds = (double) (now_ns() - start) / 1e9;
   *out = r;
   return true;
}

static bool make_plan(engine_t *e, mb_error_t *err)
{
   mongoc_client_t *c = mongoc_client_pool_pop(mb_client_pool(e->client));
   mb_plan_opts_t select = e->o->select;
   bool ok;

   /* as mongodump: a database in the URI's path selects that database */
   if (!select.db && mb_client_uri_database(e->client)) {
      select.db = mb_client_uri_database(e->client);
   }
   ok = mb_plan_build(c, &select, &e->plan, err);
   if (!ok && mb_error_exit_code(err) == MB_EXIT_CONNECT) {
      mb_error_recode(err, MB_EXIT_SERVER); /* it answered the first round trip */
      mb_error_prefix(err, "the server went away");
   }

   mongoc_client_pool_push(mb_client_pool(e->client), c);
   if (ok && e->plan->nns == 0) {
      mb_error_set(err, MB_EXIT_NOTHING, "nothing to dump: %s; no archive written",
                   e->plan->nwarnings ? e->plan->warnings[0]
                                      : "the selection matched no collection");
      ok = false;
   }
   for (int i = 0; ok && i < e->plan->nwarnings; i++) {
      mb_log(MB_LOG_WARN, "%s", e->plan->warnings[i]);
   }
   return ok;
}

static void engine_destroy(engine_t *e)
{
   for (int i = 0; i < e->nblocks; i++) {
      free(e->all_blocks[i].data);
   }
   free(e->all_blocks);
   free(e->ids);
   free(e->run);
   free(e->reading);
   mb_archive_writer_destroy(e->writer);
   mb_dirout_destroy(e->dir);
   mb_plan_destroy(e->plan);
   mb_client_destroy(e->client);
   pthread_mutex_destroy(&e->lock);
   pthread_cond_destroy(&e->free_blocks.cond);
   pthread_cond_destroy(&e->full_blocks.cond);
   pthread_cond_destroy(&e->changed);
}

static bool open_dir(engine_t *e, mb_error_t *err)
{
   const mb_dump_opts_t *o = e->o;
   mb_dirout_opts_t d = {.path = o->output,
                         .overwrite = (o->output_flags & MB_FILE_NO_REPLACE) == 0,
                         .compress = o->compress,
                         .level = o->level,
                         .tool_version = MONGOBAK_VERSION};

   return mb_dirout_new(&d, &e->dir, err);
}

bool mb_dump_run(const mb_dump_opts_t *o, mb_dump_progress_fn progress, void *user_data,
                 mb_dump_report_t **report, mb_error_t *err)
{
   engine_t e = {.o = o};
   mb_repo_t *repo = NULL;
   char *name = NULL;
   mb_sink_t *file = NULL, *sink = NULL;
   uint64_t start = now_ns();
   bool ok = false;
   mb_archive_header_t hdr = {.concurrent_collections = o->jobs,
                              .tool_version = "mongobak " MONGOBAK_VERSION};

   pthread_mutex_init(&e.lock, NULL);
   pthread_cond_init(&e.free_blocks.cond, NULL);
   pthread_cond_init(&e.full_blocks.cond, NULL);
   pthread_cond_init(&e.changed, NULL);
   /* the output first: a wrong directory fails before the server is asked anything */
   if (o->output_dir) {
      ok = oplog_begin(&e, err) && open_dir(&e, err) &&
           mb_client_connect_ex(o->uri, "mongobak dump", o->jobs + 1, o->socket_timeout_ms,
                                &e.client, err) &&
           make_plan(&e, err);
      if (ok) {
         mb_dirout_set_source(e.dir, mb_client_server_version(e.client),
                              o->select.db ? o->select.db : mb_client_uri_database(e.client));
         ok = declare_namespaces(&e, err) && pump(&e, progress, user_data, start, err);
      }
      if (ok &&
          !build_report(&e, mb_dirout_path(e.dir), mb_dirout_bytes_out(e.dir), start, report)) {
         mb_error_set(err, MB_EXIT_FAILURE, "out of memory building the report");
         ok = false;
      }
      goto done;
   }
   if (!mb_repo_locate(o->output, &repo, &name, err) ||
       !mb_repo_create(repo, name, o->output_flags, &file, err)) {
      goto done;
   }
   sink = file; /* owned by the encryption or the compressor from here on */
   if (o->encrypt && !mb_crypt_sink_new(o->encrypt, file, &sink, err)) {
      sink = NULL;
      goto done;
   }
   if (!mb_compress_sink_new(o->compress, o->level, o->compress_threads, sink, &sink, err)) {
      sink = NULL;
      goto done;
   }
   if (!mb_client_connect_ex(o->uri, "mongobak dump", o->jobs + 1, o->socket_timeout_ms, &e.client,
                             err) ||
       !oplog_begin(&e, err) || !make_plan(&e, err)) {
      goto done;
   }
   hdr.server_version = mb_client_server_version(e.client);
   ok = mb_archive_writer_new(sink, &hdr, &e.writer, err) && declare_namespaces(&e, err) &&
        pump(&e, progress, user_data, start, err) && mb_sink_close(sink, err);
   if (ok) {
      char *shown = mb_repo_path(repo, mb_repo_sink_name(repo, file)); /* s3://b/k: whole */
      if (!build_report(&e, shown, file->bytes_in, start, report)) {
         mb_error_set(err, MB_EXIT_FAILURE, "out of memory building the report");
         ok = false;
      }
      bson_free(shown);
   }
done:
   mb_sink_destroy(sink);
   engine_destroy(&e);
   mb_repo_destroy(repo);
   bson_free(name);
   return ok;
}

void mb_dump_report_destroy(mb_dump_report_t *r)
{
   if (!r) {
      return;
   }
   bson_strfreev(r->warnings);
   mb_ns_stats_array_destroy(r->ns, (size_t) r->nns);
   bson_free(r->output);
   bson_free(r->server_version);
   free(r);
}
