#include "common/readahead.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
   uint8_t *buf;
   size_t len, pos;
} slot_t;

typedef struct {
   mb_source_t base;
   mb_source_t *down;
   size_t chunk;
   int depth;
   slot_t *slots;
   pthread_t thread;
   bool started;
   pthread_mutex_t lock;
   pthread_cond_t data, space;
   /* under lock */
   int head, tail, filled; /* the consumer reads slots[head]; the thread fills slots[tail] */
   bool eof, failed, stop;
   mb_error_t error; /* down's error, handed out after the data read before it */
} ra_t;

static void *ra_thread(void *user_data)
{
   ra_t *r = user_data;

   pthread_mutex_lock(&r->lock);
   for (;;) {
      slot_t *s;
      mb_error_t e = {0};
      size_t got = 0;
      bool ok;

      while (!r->stop && r->filled == r->depth) {
         pthread_cond_wait(&r->space, &r->lock);
      }
      if (r->stop) {
         break;
      }
      /* slots[tail] is not handed out (filled < depth): only this thread touches it */
      s = &r->slots[r->tail];
      pthread_mutex_unlock(&r->lock);
      ok = mb_source_read_full(r->down, s->buf, r->chunk, &got, &e);
      pthread_mutex_lock(&r->lock);
      s->len = got;
      s->pos = 0;
      if (got > 0) {
         r->tail = (r->tail + 1) % r->depth;
         r->filled++;
      }
      if (!ok) {
         r->error = e;
         r->failed = true;
      } else if (got < r->chunk) {
         r->eof = true; /* a short full read is the end of the stream */
      }
      pthread_cond_broadcast(&r->data);
      if (r->failed || r->eof) {
         break;
      }
   }
   pthread_mutex_unlock(&r->lock);
   return NULL;
}

static bool ra_read(mb_source_t *base, void *buf, size_t cap, size_t *got, mb_error_t *err)
{
   ra_t *r = (ra_t *) base;
   slot_t *s;
   size_t n;

   pthread_mutex_lock(&r->lock);
   while (r->filled == 0 && !r->eof && !r->failed) {
      pthread_cond_wait(&r->data, &r->lock);
   }
   if (r->filled == 0) {
      bool failed = r->failed;
      if (failed) {
         *err = r->error;
      }
      pthread_mutex_unlock(&r->lock);
      *got = 0;
      return !failed;
   }
   s = &r->slots[r->head]; /* handed out: the thread does not touch it until released */
   pthread_mutex_unlock(&r->lock);
   n = s->len - s->pos < cap ? s->len - s->pos : cap;
   memcpy(buf, s->buf + s->pos, n);
   s->pos += n;
   if (s->pos == s->len) {
      pthread_mutex_lock(&r->lock);
      r->head = (r->head + 1) % r->depth;
      r->filled--;
      pthread_cond_signal(&r->space);
      pthread_mutex_unlock(&r->lock);
   }
   *got = n;
   return true;
}

static void ra_destroy(mb_source_t *base)
{
   ra_t *r = (ra_t *) base;

   if (r->started) {
      pthread_mutex_lock(&r->lock);
      r->stop = true;
      pthread_cond_broadcast(&r->space);
      pthread_mutex_unlock(&r->lock);
      pthread_join(r->thread, NULL);
   }
   mb_source_destroy(r->down);
   for (int i = 0; r->slots && i < r->depth; i++) {
      free(r->slots[i].buf);
   }
   free(r->slots);
   pthread_mutex_destroy(&r->lock);
   pthread_cond_destroy(&r->data);
   pthread_cond_destroy(&r->space);
   free(r);
}

bool mb_readahead_source_new(mb_source_t *down, size_t chunk, int depth, mb_source_t **out,
                             mb_error_t *err)
{
   static const mb_source_t ops = {.read = ra_read, .destroy = ra_destroy};
   ra_t *r = mb_source_alloc(sizeof *r, &ops, err);

   if (!r) {
      mb_source_destroy(down);
      return false;
   }
   r->down = down;
   r->chunk = chunk;
   r->depth = depth;
   pthread_mutex_init(&r->lock, NULL);
   pthread_cond_init(&r->data, NULL);
   pthread_cond_init(&r->space, NULL);
   r->slots = calloc((size_t) depth, sizeof *r->slots);
   for (int i = 0; r->slots && i < depth; i++) {
      if (!(r->slots[i].buf = malloc(chunk))) {
         break;
      }
   }
   if (depth < 1 || !r->slots || !r->slots[depth - 1].buf) {
      ra_destroy(&r->base);
      mb_error_set(err, MB_EXIT_FAILURE, "out of memory");
      return false;
   }
   if (pthread_create(&r->thread, NULL, ra_thread, r) != 0) {
      ra_destroy(&r->base);
      mb_error_set(err, MB_EXIT_FAILURE, "cannot start the read-ahead thread");
      return false;
   }
   r->started = true;
   *out = &r->base;
   return true;
}
