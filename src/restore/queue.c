#include "restore/queue.h"
#include "archive/format.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FREE_CHUNKS 4

typedef struct {
   mb_rchunk_t *head, *tail;
   int active; /* workers on it now */
   bool begun, preparing, prepared, failed, ended, abandoned, finishing;
} qns_t;

struct mb_rqueue {
   pthread_mutex_t mu;
   pthread_cond_t work;     /* a task may be available, or the queue closed/cancelled */
   pthread_cond_t not_full; /* waiting bytes went down */
   qns_t *ns;
   int nns;
   int *live; /* begun namespaces that may still have tasks */
   int nlive, cursor;
   size_t waiting, max_queued, chunk_bytes;
   int max_per_ns;
   bool closed, cancelled;
   mb_rchunk_t *free_list;
   int nfree;
};

mb_rqueue_t *mb_rqueue_new(int nns, size_t max_queued, int max_per_ns, size_t chunk_bytes)
{
   mb_rqueue_t *q = bson_malloc0(sizeof *q);

   pthread_mutex_init(&q->mu, NULL);
   pthread_cond_init(&q->work, NULL);
   pthread_cond_init(&q->not_full, NULL);
   q->ns = bson_malloc0(sizeof *q->ns * (size_t) (nns + 1));
   q->live = bson_malloc0(sizeof *q->live * (size_t) (nns + 1));
   q->nns = nns;
   q->max_queued = max_queued;
   q->max_per_ns = max_per_ns > 0 ? max_per_ns : 1;
   q->chunk_bytes = chunk_bytes;
   return q;
}

static void chunk_destroy(mb_rchunk_t *c)
{
   if (c) {
      mb_buf_destroy(&c->buf);
      bson_free(c);
   }
}

/* Recycle a chunk; the caller holds the lock. */
static void recycle_locked(mb_rqueue_t *q, mb_rchunk_t *c)
{
   if (!c) {
      return;
   }
   if (q->nfree >= MAX_FREE_CHUNKS || c->buf.cap > q->chunk_bytes) {
      chunk_destroy(c);
      return;
   }
   mb_buf_reset(&c->buf);
   c->ndocs = 0;
   c->next = q->free_list;
   q->free_list = c;
   q->nfree++;
}

mb_rchunk_t *mb_rqueue_chunk(mb_rqueue_t *q)
{
   mb_rchunk_t *c;

   pthread_mutex_lock(&q->mu);
   c = q->free_list;
   if (c) {
      q->free_list = c->next;
      q->nfree--;
   }
   pthread_mutex_unlock(&q->mu);
   if (!c) {
      c = bson_malloc0(sizeof *c);
      mb_buf_init(&c->buf, q->chunk_bytes + MB_ARCHIVE_MAX_BSON);
   }
   c->next = NULL;
   return c;
}

void mb_rqueue_chunk_free(mb_rqueue_t *q, mb_rchunk_t *c)
{
   pthread_mutex_lock(&q->mu);
   recycle_locked(q, c);
   pthread_mutex_unlock(&q->mu);
}

/* Drop a namespace's waiting chunks; lock held. */
static void drop_chunks_locked(mb_rqueue_t *q, qns_t *n)
{
   while (n->head) {
      mb_rchunk_t *c = n->head;
      n->head = c->next;
      q->waiting -= c->buf.len;
      recycle_locked(q, c);
   }
   n->tail = NULL;
   pthread_cond_broadcast(&q->not_full);
}

void mb_rqueue_begin(mb_rqueue_t *q, int ns)
{
   pthread_mutex_lock(&q->mu);
   if (!q->ns[ns].begun) {
      q->ns[ns].begun = true;
      q->live[q->nlive++] = ns;
      pthread_cond_signal(&q->work);
   }
   pthread_mutex_unlock(&q->mu);
}

bool mb_rqueue_push(mb_rqueue_t *q, int ns, mb_rchunk_t *c)
{
   qns_t *n = &q->ns[ns];
   bool ok;

   pthread_mutex_lock(&q->mu);
   while (!q->cancelled && q->waiting > 0 && q->waiting + c->buf.len > q->max_queued) {
      pthread_cond_wait(&q->not_full, &q->mu);
   }
   ok = !q->cancelled;
   if (!ok || n->failed || n->abandoned) {
      recycle_locked(q, c);
   } else {
      c->next = NULL;
      if (n->tail) {
         n->tail->next = c;
      } else {
         n->head = c;
      }
      n->tail = c;
      q->waiting += c->buf.len;
      pthread_cond_signal(&q->work);
   }
   pthread_mutex_unlock(&q->mu);
   return ok;
}

void mb_rqueue_end(mb_rqueue_t *q, int ns)
{
   pthread_mutex_lock(&q->mu);
   q->ns[ns].ended = true;
   pthread_cond_broadcast(&q->work);
   pthread_mutex_unlock(&q->mu);
}

void mb_rqueue_abandon(mb_rqueue_t *q, int ns)
{
   pthread_mutex_lock(&q->mu);
   q->ns[ns].abandoned = true;
   drop_chunks_locked(q, &q->ns[ns]);
   pthread_cond_broadcast(&q->work);
   pthread_mutex_unlock(&q->mu);
}

void mb_rqueue_close(mb_rqueue_t *q)
{
   pthread_mutex_lock(&q->mu);
   q->closed = true;
   pthread_cond_broadcast(&q->work);
   pthread_mutex_unlock(&q->mu);
}

void mb_rqueue_cancel(mb_rqueue_t *q)
{
   pthread_mutex_lock(&q->mu);
   q->cancelled = true;
   for (int i = 0; i < q->nns; i++) {
      drop_chunks_locked(q, &q->ns[i]);
   }
   pthread_cond_broadcast(&q->work);
   pthread_cond_broadcast(&q->not_full);
   pthread_mutex_unlock(&q->mu);
}

bool mb_rqueue_cancelled(mb_rqueue_t *q)
{
   bool c;

   pthread_mutex_lock(&q->mu);
   c = q->cancelled;
   pthread_mutex_unlock(&q->mu);
   return c;
}

/* The task namespace n offers now, if any; lock held. *retire: it never will again. */
static bool offer_locked(mb_rqueue_t *q, int ns, mb_rtask_t *t, bool *retire)
{
   qns_t *n = &q->ns[ns];

   *retire = false;
   if (n->failed || n->abandoned) {
      *retire = n->active == 0;
      return false;
   }
   if (!n->prepared) {
      if (n->preparing) {
         return false;
      }
      n->preparing = true;
      t->kind = MB_RTASK_PREPARE;
   } else if (n->head && n->active < q->max_per_ns) {
      t->kind = MB_RTASK_INSERT;
      t->chunk = n->head;
      n->head = n->head->next;
      n->tail = n->head ? n->tail : NULL;
      q->waiting -= t->chunk->buf.len;
      pthread_cond_broadcast(&q->not_full);
   } else if (n->ended && !n->head && n->active == 0) {
      t->kind = MB_RTASK_FINISH;
      *retire = true;
   } else {
      return false;
   }
   t->ns = ns;
   n->active++;
   return true;
}

/* Find a task among the live namespaces, round robin; lock held. */
static bool find_task_locked(mb_rqueue_t *q, mb_rtask_t *t)
{
   int scanned = 0;

   while (scanned < q->nlive) {
      int slot = (q->cursor + scanned) % q->nlive;
      bool retire, got = offer_locked(q, q->live[slot], t, &retire);
      if (retire) {
         q->live[slot] = q->live[--q->nlive];
      } else {
         scanned++;
      }
      if (got) {
         q->cursor = q->nlive ? (slot + 1) % q->nlive : 0;
         return true;
      }
   }
   return false;
}

bool mb_rqueue_take(mb_rqueue_t *q, mb_rtask_t *t)
{
   bool got = false;

   memset(t, 0, sizeof *t);
   pthread_mutex_lock(&q->mu);
   while (!q->cancelled) {
      got = find_task_locked(q, t);
      if (got || (q->closed && q->nlive == 0)) {
         break;
      }
      pthread_cond_wait(&q->work, &q->mu);
   }
   pthread_mutex_unlock(&q->mu);
   return got;
}

void mb_rqueue_done(mb_rqueue_t *q, const mb_rtask_t *t, bool ok)
{
   qns_t *n = &q->ns[t->ns];

   pthread_mutex_lock(&q->mu);
   n->active--;
   if (t->kind == MB_RTASK_PREPARE) {
      n->preparing = false;
      n->prepared = ok;
      if (!ok) {
         n->failed = true;
         drop_chunks_locked(q, n);
      }
   }
   recycle_locked(q, t->chunk);
   pthread_cond_broadcast(&q->work);
   pthread_mutex_unlock(&q->mu);
}

void mb_rqueue_destroy(mb_rqueue_t *q)
{
   if (!q) {
      return;
   }
   for (int i = 0; i < q->nns; i++) {
      mb_rchunk_t *c = q->ns[i].head;
      while (c) {
         mb_rchunk_t *next = c->next;
         chunk_destroy(c);
         c = next;
      }
   }
   while (q->free_list) {
      mb_rchunk_t *c = q->free_list;
      q->free_list = c->next;
      chunk_destroy(c);
   }
   pthread_cond_destroy(&q->work);
   pthread_cond_destroy(&q->not_full);
   pthread_mutex_destroy(&q->mu);
   bson_free(q->ns);
   bson_free(q->live);
   bson_free(q);
}
