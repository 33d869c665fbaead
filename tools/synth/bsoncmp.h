/* BSON value comparison in MongoDB's order (the order of an index on _id): MinKey, null,
 * numbers (compared by value across int32, int64, double and decimal128; NaN first), strings
 * and symbols (bytewise), documents, arrays, binary (length, subtype, bytes), ObjectId, bool,
 * date, timestamp, regex, DBPointer, code, code with scope, MaxKey. No collation. */
#ifndef SYN_BSONCMP_H
#define SYN_BSONCMP_H

#include <bson/bson.h>

/* <0, 0 or >0 as a sorts before, with or after b. */
int syn_bson_cmp(const bson_value_t *a, const bson_value_t *b);

/* Compare two documents field by field (type order, then name, then value). */
int syn_bson_cmp_docs(const uint8_t *a, uint32_t alen, const uint8_t *b, uint32_t blen);

#endif
