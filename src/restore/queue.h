/* The restore scheduler: per-namespace queues of document chunks, filled by the thread that
 * reads the archive and served by a pool of insert workers. For each namespace a worker first
 * runs PREPARE (drop/create), then INSERT tasks (at most max_per_ns at once), then FINISH
 * (indexes) once its data has ended and every chunk is inserted. The bytes waiting in the
 * queues are capped: the reader blocks while the cap is reached, so memory stays bounded
 * whatever the archive's size. Thread-safe. */
#ifndef MB_RESTORE_QUEUE_H
#define MB_RESTORE_QUEUE_H

#include "common/buf.h"

typedef struct mb_rchunk {
   mb_buf_t buf; /* raw BSON documents back to back */
   uint32_t ndocs;
   struct mb_rchunk *next;
} mb_rchunk_t;

typedef enum { MB_RTASK_PREPARE, MB_RTASK_INSERT, MB_RTASK_FINISH } mb_rtask_kind_t;

typedef struct {
   mb_rtask_kind_t kind;
   int ns;
   mb_rchunk_t *chunk; /* INSERT only; owned by the queue, valid until mb_rqueue_done */
} mb_rtask_t;

typedef struct mb_rqueue mb_rqueue_t;

/* nns namespaces (indexes 0..nns-1); at most max_queued bytes waiting (a single chunk larger
 * than that is still accepted when nothing waits); chunks normally hold up to chunk_bytes
 * (the reader's rule) and can take one more document of the largest size; only chunks of
 * that normal size are recycled. */
mb_rqueue_t *mb_rqueue_new(int nns, size_t max_queued, int max_per_ns, size_t chunk_bytes);

/* An empty chunk for the reader to fill (recycled when possible). */
mb_rchunk_t *mb_rqueue_chunk(mb_rqueue_t *q);
/* Give back a chunk that was not pushed. NULL is fine. */
void mb_rqueue_chunk_free(mb_rqueue_t *q, mb_rchunk_t *c);

/* The reader's side. begin: the namespace appeared (its PREPARE is scheduled). push: queue a
 * chunk (ownership passes to the queue); blocks while the cap is reached; false once the queue
 * is cancelled. A chunk for a namespace that failed or was abandoned is dropped. end: no more
 * data (its FINISH follows its data). abandon: drop its waiting chunks, no FINISH. close: no
 * more namespaces; workers return once everything is done. */
void mb_rqueue_begin(mb_rqueue_t *q, int ns);
bool mb_rqueue_push(mb_rqueue_t *q, int ns, mb_rchunk_t *c);
void mb_rqueue_end(mb_rqueue_t *q, int ns);
void mb_rqueue_abandon(mb_rqueue_t *q, int ns);
void mb_rqueue_close(mb_rqueue_t *q);

/* Stop everything now: waiting chunks are dropped, take returns false, push returns false. */
void mb_rqueue_cancel(mb_rqueue_t *q);
bool mb_rqueue_cancelled(mb_rqueue_t *q);

/* The workers' side. take: wait for the next task; false when there is nothing more to do
 * (closed and drained, or cancelled). done: the task finished; a PREPARE that failed (ok
 * false) makes the namespace drop its data and skip FINISH. */
bool mb_rqueue_take(mb_rqueue_t *q, mb_rtask_t *t);
void mb_rqueue_done(mb_rqueue_t *q, const mb_rtask_t *t, bool ok);

void mb_rqueue_destroy(mb_rqueue_t *q);

#endif
