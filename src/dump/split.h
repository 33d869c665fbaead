/* Splitting one large collection into _id ranges read in parallel (docs/architecture.md §2,
 * performance.md). Boundaries come from splitVector where permitted, else from $sample +
 * $bucketAuto; both are read with min/max + hint {_id: 1}, which is exact for every _id type.
 * Where neither is available (FerretDB), a collection whose smallest and largest _id have the same
 * BSON type class (so every _id has it: BSON orders types first) is cut at sorted-skip positions
 * and read with {_id: {$gte, $lt}}, which is exact for one type class. Otherwise it is not split.
 */
#ifndef MB_DUMP_SPLIT_H
#define MB_DUMP_SPLIT_H

#include "common/error.h"

#include <mongoc/mongoc.h>

typedef enum {
   MB_SPLIT_NONE = 0,
   MB_SPLIT_MINMAX /* read ranges with min/max + hint {_id: 1} */
} mb_split_method_t;

typedef struct {
   mb_split_method_t method;
   const char *how; /* "splitVector", "$bucketAuto", "sorted _id" or why not split */
   bson_t **bounds; /* nbounds documents {_id: value}, ascending */
   int nbounds;     /* ranges = nbounds + 1 */
} mb_split_t;

/* Find up to ranges-1 boundaries for db.coll (about size_bytes large). Never fails the dump:
 * when no method works, method is NONE and how says why. */
void mb_split_find(mongoc_client_t *client, const char *db, const char *coll, int64_t size_bytes,
                   int ranges, mb_split_t *out);

void mb_split_clear(mb_split_t *s);

#endif
