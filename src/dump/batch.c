#include "dump/batch.h"

#include <mongoc/mongoc.h>
#include <string.h>

void mb_batch_init(mb_batch_t *b, int64_t avg_obj_size)
{
   memset(b, 0, sizeof *b);
   b->avg_hint = avg_obj_size;
}

/* Documents of the larger of the planner's and the observed average size in the target bytes. */
static uint32_t wanted(const mb_batch_t *b)
{
   uint64_t avg = b->avg_hint > 0 ? (uint64_t) b->avg_hint : 0, n;

   if (b->docs > 0 && b->bytes / b->docs > avg) {
      avg = b->bytes / b->docs;
   }
   n = avg > 0 ? MB_BATCH_TARGET_BYTES / avg : MB_BATCH_FIRST;
   n = n < 1 ? 1 : n > MB_BATCH_MAX ? MB_BATCH_MAX : n;
   if (b->cap > 0 && n > b->cap) {
      n = b->cap;
   }
   return (uint32_t) n;
}

uint32_t mb_batch_first(mb_batch_t *b)
{
   uint32_t n = wanted(b);

   b->asked = n < MB_BATCH_FIRST ? n : MB_BATCH_FIRST;
   return b->asked;
}

uint32_t mb_batch_count(mb_batch_t *b, uint32_t len)
{
   uint32_t n, slack;

   b->docs++;
   b->bytes += len;
   /* often at first (the first batch may be small), then every 64 documents */
   if ((b->docs & (b->docs - 1)) != 0 && b->docs % 64 != 0) {
      return 0;
   }
   n = wanted(b);
   slack = b->asked / 8;
   if (n + slack >= b->asked && n <= b->asked + slack) {
      return 0;
   }
   b->asked = n;
   return n;
}

bool mb_batch_oversized(const bson_error_t *e)
{
   return e->domain == MONGOC_ERROR_PROTOCOL && e->code == MONGOC_ERROR_PROTOCOL_INVALID_REPLY &&
          strstr(e->message, "not within expected range") != NULL;
}

bool mb_batch_shrink(mb_batch_t *b)
{
   if (b->asked <= 1) {
      return false;
   }
   b->cap = b->asked / 2;
   b->asked = b->cap;
   return true;
}
