/* Byte-bounded cursor batches (issue 13 §7). mongod cuts every find/getMore reply at 16 MiB
 * whatever batchSize asks for; compatible servers (FerretDB, ...) may not, and libmongoc refuses
 * a reply over the server's maxMessageSizeBytes (48 MB) with "Message size N is not within
 * expected range". So batchSize is counted in documents to fill about MB_BATCH_TARGET_BYTES:
 * from the collection's average document size (collStats), or the average seen so far on the
 * cursor when that is larger; the first batch is at most mongodump's 101 documents. After an
 * oversized reply the caller reopens the cursor where it stopped with half the batch size. */
#ifndef MB_DUMP_BATCH_H
#define MB_DUMP_BATCH_H

#include <bson/bson.h>
#include <stdbool.h>
#include <stdint.h>

#define MB_BATCH_TARGET_BYTES (4u << 20)
#define MB_BATCH_FIRST 101    /* the server default, as mongodump asks: a sample before sizing */
#define MB_BATCH_MAX 1000000u /* tiny documents: still a bounded count */

typedef struct {
   int64_t avg_hint; /* bytes per document from the planner; <= 0 unknown */
   uint64_t docs, bytes;
   uint32_t cap;   /* after an oversized reply: never ask more; 0 none */
   uint32_t asked; /* the batch size of the next request, as set on the cursor */
} mb_batch_t;

/* Start sizing one read; avg_obj_size <= 0 when unknown (views, no collStats). */
void mb_batch_init(mb_batch_t *b, int64_t avg_obj_size);

/* The batch size for the first request of a cursor (find): at most MB_BATCH_FIRST. */
uint32_t mb_batch_first(mb_batch_t *b);

/* Count one document of len bytes. Returns the batch size the next getMore should ask for when
 * it differs from b->asked by more than an eighth (or exceeds the cap), else 0; the caller sets
 * it on the cursor (mongoc_cursor_set_batch_size), and b->asked records it. */
uint32_t mb_batch_count(mb_batch_t *b, uint32_t len);

/* The error is libmongoc refusing a reply larger than the server's maxMessageSizeBytes. */
bool mb_batch_oversized(const bson_error_t *e);

/* After an oversized reply: cap every later request at half of what was asked. Returns false
 * when a batch of one document was already too large (nothing smaller to ask for). */
bool mb_batch_shrink(mb_batch_t *b);

#endif
