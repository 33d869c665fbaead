#include "restore/engine.h"
#include "common/client.h"
#include "common/log.h"

#include <pthread.h>
#include <string.h>
#include <time.h>

/* A batch is one unordered bulk insert of up to 4 MiB (or one larger document) and 100,000
 * documents, well within the server's 16 MiB / 100,000 limits: measured on FerretDB, 4 MiB
 * batches restore as fast as 16 MiB ones with 2.5 times less memory. The reader blocks while
 * QUEUE_MAX_BYTES wait in the queues, so memory stays near
 * (open namespaces + 2 x jobs + 8) x 4 MiB whatever the archive's size. */
#define CHUNK_MAX_BYTES (4u * 1024u * 1024u)
#define CHUNK_MAX_DOCS 100000u
#define QUEUE_MAX_BYTES (16u * 1024u * 1024u)
/* Inserts into one collection run one batch at a time (mongorestore's default too): on FerretDB
 * (SQLite) concurrent batches into one database only contend for its write lock, measured
 * 10-20 % slower; the workers still serve several collections side by side. */
#define MAX_WORKERS_PER_NS 1
#define PROGRESS_INTERVAL 0.2

double mb_rengine_now(void)
{
   struct timespec ts;
   clock_gettime(CLOCK_MONOTONIC, &ts);
   return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* The first fatal error wins; everything stops. Lock not held. */
void mb_rengine_fatal(mb_rengine_t *e, const mb_error_t *err)
{
   pthread_mutex_lock(&e->mu);
   if (!e->have_fatal) {
      e->fatal = *err;
      e->have_fatal = true;
   }
   pthread_mutex_unlock(&e->mu);
   if (e->q) {
      mb_rqueue_cancel(e->q);
   }
}

/* A fatal error of a worker: a lost connection is the server going away mid-restore. */
static void worker_fatal(mb_rengine_t *e, mb_error_t *err)
{
   if (mb_error_exit_code(err) == MB_EXIT_CONNECT) {
      mb_error_prefix(err, "the server went away during the restore");
      mb_error_recode(err, MB_EXIT_SERVER);
   }
   mb_rengine_fatal(e, err);
}

static void set_note(mb_rengine_ns_t *s, const char *msg)
{
   if (!s->note[0] && msg && msg[0]) {
      bson_strncpy(s->note, msg, sizeof s->note);
   }
}

static bool task_prepare(mb_rengine_t *e, mongoc_client_t *cl, int ns)
{
   mb_rengine_ns_t *s = &e->st[ns];
   mb_error_t err;
   bool created;

   if (mb_rtarget_prepare(cl, &e->plan->ns[ns], &e->topts, &created, &err)) {
      pthread_mutex_lock(&e->mu);
      s->created = created;
      s->prepared = true;
      pthread_mutex_unlock(&e->mu);
      return true;
   }
   if (mb_rtarget_error_is_fatal(&err)) {
      worker_fatal(e, &err);
      return false;
   }
   mb_log(MB_LOG_DEBUG, "%s", err.message);
   pthread_mutex_lock(&e->mu);
   s->create_failed = true;
   set_note(s, err.message);
   pthread_mutex_unlock(&e->mu);
   if (e->o->stop_on_error) {
      mb_error_prefix(&err, "stopped at the first error (--stop-on-error)");
      mb_rengine_fatal(e, &err);
   }
   return false;
}

static void stop_on_insert_error(mb_rengine_t *e, int ns, const mb_rinsert_result_t *res)
{
   mb_error_t err;

   mb_error_set(&err, MB_EXIT_PARTIAL,
                "stopped at the first document that failed to insert (--stop-on-error): "
                "'%s': %s",
                e->plan->ns[ns].dst_ns, res->note);
   mb_rengine_fatal(e, &err);
}

static void task_insert(mb_rengine_t *e, mongoc_client_t *cl, int ns, const mb_rchunk_t *c)
{
   mb_rengine_ns_t *s = &e->st[ns];
   mb_rinsert_result_t res;
   mb_error_t err;

   if (!mb_rtarget_insert(cl, &e->plan->ns[ns], c->buf.data, c->buf.len, c->ndocs, &res, &err)) {
      worker_fatal(e, &err);
      return;
   }
   pthread_mutex_lock(&e->mu);
   s->restored += res.inserted;
   s->duplicates += res.duplicates;
   s->failed += res.failed;
   e->restored += res.inserted;
   set_note(s, res.note);
   pthread_mutex_unlock(&e->mu);
   if (res.duplicates + res.failed > 0 && e->o->stop_on_error) {
      stop_on_insert_error(e, ns, &res);
   }
}

static void task_finish(mb_rengine_t *e, mongoc_client_t *cl, int ns)
{
   const mb_rplan_ns_t *p = &e->plan->ns[ns];
   mb_rengine_ns_t *s = &e->st[ns];
   char note[MB_RTARGET_NOTE_MAX] = "";
   int built = 0, failed = 0;
   mb_error_t err;

   if (!e->o->no_index_restore && !mb_rtarget_indexes(cl, p, &e->topts, !s->created, &built,
                                                      &failed, note, sizeof note, &err)) {
      worker_fatal(e, &err);
      return;
   }
   if (failed) {
      mb_log(MB_LOG_DEBUG, "'%s': %d of %d indexes could not be built: %s", p->dst_ns, failed,
             p->nindexes, note);
   }
   pthread_mutex_lock(&e->mu);
   s->indexes_built = built;
   s->indexes_failed = failed;
   s->finished = true;
   e->ns_done++;
   set_note(s, note);
   pthread_mutex_unlock(&e->mu);
}

static void *worker_main(void *arg)
{
   mb_rengine_t *e = arg;
   mongoc_client_pool_t *pool = mb_client_pool(e->client);
   mongoc_client_t *cl = mongoc_client_pool_pop(pool);
   mb_rtask_t t;

   while (mb_rqueue_take(e->q, &t)) {
      bool ok = true;
      switch (t.kind) {
      case MB_RTASK_PREPARE:
         ok = task_prepare(e, cl, t.ns);
         break;
      case MB_RTASK_INSERT:
         task_insert(e, cl, t.ns, t.chunk);
         break;
      case MB_RTASK_FINISH:
         task_finish(e, cl, t.ns);
         break;
      }
      mb_rqueue_done(e->q, &t, ok);
   }
   mongoc_client_pool_push(pool, cl);
   return NULL;
}

static bool start_workers(mb_rengine_t *e, mb_error_t *err)
{
   e->q = mb_rqueue_new(e->plan->nns, QUEUE_MAX_BYTES, MAX_WORKERS_PER_NS, CHUNK_MAX_BYTES);
   e->threads = bson_malloc0(sizeof *e->threads * (size_t) e->o->jobs);
   for (int i = 0; i < e->o->jobs; i++) {
      int rc = pthread_create(&e->threads[i], NULL, worker_main, e);
      if (rc != 0) {
         mb_error_errno(err, rc, "starting an insert worker");
         mb_error_recode(err, MB_EXIT_FAILURE);
         mb_rengine_fatal(e, err);
         return false;
      }
      e->nthreads++;
   }
   return true;
}

static void join_workers(mb_rengine_t *e)
{
   if (e->q) {
      mb_rqueue_close(e->q);
   }
   for (int i = 0; i < e->nthreads; i++) {
      pthread_join(e->threads[i], NULL);
   }
   e->nthreads = 0;
}

/* Send the reader's partial chunk of ns to the workers; false when cancelled. */
static bool flush_chunk(mb_rengine_t *e, int ns)
{
   mb_rchunk_t *c = e->st[ns].chunk;

   e->st[ns].chunk = NULL;
   if (!c || c->ndocs == 0) {
      mb_rqueue_chunk_free(e->q, c);
      return true;
   }
   return mb_rqueue_push(e->q, ns, c);
}

/* The oplog's first header (--oplog-replay): every collection was read, so wait for the workers
 * to restore and index them all; then the replay runs on this thread, entry by entry. */
static bool replay_begin(mb_rengine_t *e, mb_error_t *err)
{
   if (e->replay) {
      return true;
   }
   if (!e->o->dry_run) {
      join_workers(e);
      if (e->have_fatal) {
         *err = e->fatal;
         return false;
      }
      e->replay_cl = mongoc_client_pool_pop(mb_client_pool(e->client));
   }
   e->replay = mb_rreplay_new(e->replay_cl, e->map, e->o->oplog_limit);
   if (e->o->oplog_after) {
      mb_rreplay_set_after(e->replay, *e->o->oplog_after);
   }
   mb_log(MB_LOG_INFO, "replaying the oplog%s", e->o->dry_run ? " (dry run: translated only)" : "");
   return true;
}

static bool replay_document(mb_rengine_t *e, const mb_archive_event_t *ev, mb_error_t *err)
{
   if (!mb_rreplay_entry(e->replay, ev->data, ev->len, err)) {
      mb_rengine_ns_t *s = &e->st[ev->ns];
      pthread_mutex_lock(&e->mu);
      set_note(s, err->message);
      s->create_failed = true; /* reported as failed */
      pthread_mutex_unlock(&e->mu);
      return false;
   }
   pthread_mutex_lock(&e->mu);
   e->st[ev->ns].restored = mb_rreplay_stats(e->replay)->applied;
   pthread_mutex_unlock(&e->mu);
   return true;
}

static bool on_document(mb_rengine_t *e, const mb_archive_event_t *ev, mb_error_t *err)
{
   const mb_rplan_ns_t *p;

   BSON_ASSERT(e->plan->ns && ev->ns >= 0 && ev->ns < e->plan->nns);
   p = &e->plan->ns[ev->ns];
   mb_rengine_ns_t *s = &e->st[ev->ns];

   e->docs_read++;
   e->current = p->src_ns;
   if (p->action == MB_RPLAN_OPLOG) {
      return replay_document(e, ev, err);
   }
   if (p->action == MB_RPLAN_USERS && !e->o->dry_run) {
      return mb_rusers_add(e->users, e->plan, ev->ns, ev->data, ev->len, err);
   }
   if (p->action != MB_RPLAN_RESTORE || e->o->dry_run) {
      return true;
   }
   if (s->chunk &&
       (s->chunk->ndocs >= CHUNK_MAX_DOCS || s->chunk->buf.len + ev->len > CHUNK_MAX_BYTES) &&
       !flush_chunk(e, ev->ns)) {
      return false;
   }
   if (!s->chunk) {
      s->chunk = mb_rqueue_chunk(e->q);
   }
   if (!mb_buf_append(&s->chunk->buf, ev->data, ev->len, err)) {
      return false;
   }
   s->chunk->ndocs++;
   return true;
}

/* The oplog's EOF block (its CRC checked): an oplog without entries still waited for the
 * collections; the namespace is done. */
static bool replay_end(mb_rengine_t *e, int ns, mb_error_t *err)
{
   char ts[24], note[MB_RTARGET_NOTE_MAX];
   const mb_rreplay_stats_t *st;

   if (!replay_begin(e, err)) {
      return false;
   }
   st = mb_rreplay_stats(e->replay);
   snprintf(note, sizeof note,
            "%llu entries: %llu applied (%llu operations), %llu skipped, %llu at or after the "
            "limit; restored to %s",
            (unsigned long long) st->entries, (unsigned long long) st->applied,
            (unsigned long long) st->ops, (unsigned long long) st->skipped,
            (unsigned long long) st->after_limit,
            st->any ? mb_oplog_ts_format(st->last, ts, sizeof ts) : "the collections' state");
   mb_log(MB_LOG_INFO, "oplog replay: %s", note);
   pthread_mutex_lock(&e->mu);
   set_note(&e->st[ns], note);
   e->st[ns].finished = true;
   pthread_mutex_unlock(&e->mu);
   return true;
}

static bool on_event(mb_rengine_t *e, const mb_archive_event_t *ev, mb_error_t *err)
{
   const mb_rplan_ns_t *p = ev->ns >= 0 ? &e->plan->ns[ev->ns] : NULL;
   bool live = p && p->action == MB_RPLAN_RESTORE && !e->o->dry_run;

   switch (ev->kind) {
   case MB_ARCHIVE_EV_DOCUMENT:
      return on_document(e, ev, err);
   case MB_ARCHIVE_EV_NS_BEGIN:
      e->st[ev->ns].begun = true;
      if (p && p->action == MB_RPLAN_OPLOG) {
         return replay_begin(e, err);
      }
      if (live && e->replay) {
         mb_error_set(err, MB_EXIT_CORRUPT,
                      "namespace '%s' comes after the oplog: --oplog-replay needs the oplog last "
                      "(as mongorestore does); restore without --oplog-replay",
                      p->src_ns);
         return false;
      }
      if (live) {
         mb_rqueue_begin(e->q, ev->ns);
      }
      return true;
   case MB_ARCHIVE_EV_NS_END:
      e->st[ev->ns].ended = true;
      if (p && p->action == MB_RPLAN_OPLOG) {
         return replay_end(e, ev->ns, err);
      }
      if (live) {
         bool ok = flush_chunk(e, ev->ns);
         mb_rqueue_end(e->q, ev->ns);
         return ok;
      }
      return true;
   case MB_ARCHIVE_EV_END:
      return true;
   }
   return true;
}

static void progress(mb_rengine_t *e, bool final)
{
   mb_restore_progress_t p;
   double now = mb_rengine_now();

   if (!e->o->progress || (!final && now - e->last_progress < PROGRESS_INTERVAL)) {
      return;
   }
   e->last_progress = now;
   memset(&p, 0, sizeof p);
   p.input_bytes = e->o->raw ? e->o->raw->bytes_out : 0;
   p.input_size = e->o->input_size;
   p.docs_read = e->docs_read;
   pthread_mutex_lock(&e->mu);
   p.docs_restored = e->restored;
   p.ns_done = e->ns_done;
   pthread_mutex_unlock(&e->mu);
   p.ns_total = e->ns_total;
   p.seconds = now - e->t0;
   p.current = final ? NULL : e->current;
   p.final = final;
   e->o->progress(e->o->progress_user_data, &p);
}

/* Read the archive to its end. Returns false on an archive error (err) or when the restore
 * was cancelled by a fatal error (*cancelled; the error is e->fatal). */
static bool pump(mb_rengine_t *e, bool *cancelled, mb_error_t *err)
{
   mb_archive_event_t ev;

   *cancelled = false;
   for (;;) {
      if (!mb_archive_reader_next(e->reader, &ev, err)) {
         return false;
      }
      if (!on_event(e, &ev, err)) {
         *cancelled = e->q && mb_rqueue_cancelled(e->q);
         return false;
      }
      if (ev.kind == MB_ARCHIVE_EV_END) {
         return true;
      }
      if (ev.kind != MB_ARCHIVE_EV_DOCUMENT || (e->docs_read & 1023) == 0) {
         if (e->q && mb_rqueue_cancelled(e->q)) {
            *cancelled = true;
            return false;
         }
         progress(e, false);
      }
   }
}

/* After an archive error: namespaces not read to their end get no more data and no indexes;
 * those read completely (their CRC checked) are finished by the workers. */
static void abandon_unfinished(mb_rengine_t *e)
{
   for (int i = 0; i < e->plan->nns; i++) {
      if (e->st[i].begun && !e->st[i].ended && e->plan->ns[i].action == MB_RPLAN_RESTORE) {
         mb_rqueue_chunk_free(e->q, e->st[i].chunk);
         e->st[i].chunk = NULL;
         mb_rqueue_abandon(e->q, i);
         pthread_mutex_lock(&e->mu);
         set_note(&e->st[i], "the archive failed before this namespace's end: its documents "
                             "were not all restored and its indexes were not built");
         pthread_mutex_unlock(&e->mu);
      }
   }
}

static void users_result(void *user_data, int ns, const mb_rinsert_result_t *res)
{
   mb_rengine_t *e = user_data;
   mb_rengine_ns_t *s = &e->st[ns];

   s->restored = res->inserted;
   s->duplicates = res->duplicates;
   s->failed = res->failed;
   s->finished = true;
   set_note(s, res->note);
   if (res->failed + res->duplicates > 0) {
      mb_log(MB_LOG_DEBUG, "users and roles of '%s': %s", e->plan->ns[ns].src_ns, res->note);
   }
}

static bool restore_users(mb_rengine_t *e, mb_error_t *err)
{
   mongoc_client_pool_t *pool = mb_client_pool(e->client);
   mongoc_client_t *cl = mongoc_client_pool_pop(pool);
   bool ok = mb_rusers_restore(e->users, cl, e->o->drop, users_result, e, err);

   mongoc_client_pool_push(pool, cl);
   if (!ok) {
      worker_fatal(e, err);
      return false;
   }
   for (int i = 0; i < e->plan->nns; i++) {
      if (e->plan->ns[i].action == MB_RPLAN_USERS && e->plan->ns[i].src->docs == 0) {
         e->st[i].finished = true; /* nothing to restore */
      }
   }
   return true;
}

bool mb_rengine_stream(mb_rengine_t *e, mb_error_t *err)
{
   bool cancelled = false, ok;

   if (!e->o->dry_run && !start_workers(e, err)) {
      join_workers(e);
      return false;
   }
   ok = pump(e, &cancelled, err);
   if (!ok && !cancelled && e->q) {
      abandon_unfinished(e);
   }
   join_workers(e);
   if (ok && !e->o->dry_run && !e->have_fatal) {
      ok = restore_users(e, err);
   }
   progress(e, true);
   if (e->have_fatal) {
      *err = e->fatal;
      return false;
   }
   return ok;
}
