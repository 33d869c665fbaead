/* The metadata of a prelude entry (docs/archive-format.md §3): Extended JSON that
 * restore turns into collection options, index specs and a UUID. One parser, so that verify,
 * restore and restore --dry-run judge it alike, and alike with mongorestore where they can. */
#ifndef MB_ARCHIVE_METADATA_H
#define MB_ARCHIVE_METADATA_H

#include <bson/bson.h>
#include <stdbool.h>

/* Parse json (not empty) into out (initialised here; bson_destroy it in every case).
 * Returns false, with what is wrong in problem ("is not valid Extended JSON: ...", "has
 * 'options' that is not a document", ...), when restore cannot use it: not JSON, or
 * 'options', 'indexes', an index or 'uuid' of the wrong type (mongorestore refuses these too).
 * On success, refusal is "" or says why mongorestore refuses metadata that mongobak restores:
 * a relaxed or legacy $date (mongorestore reads canonical Extended JSON only), or a
 * 'collectionName', index 'key' or 'partialFilterExpression' of the wrong type. */
bool mb_archive_metadata_parse(const char *json, bson_t *out, char *problem, size_t problem_size,
                               char *refusal, size_t refusal_size);

#endif
