/* The dump planner: what to dump, in which order, with which metadata. Runs on the main thread
 * before any data is read: listDatabases, listCollections, listIndexes and collection sizes,
 * filtered the way mongodump filters by default and by the user's selection. */
#ifndef MB_DUMP_PLAN_H
#define MB_DUMP_PLAN_H

#include "archive/format.h"
#include "common/error.h"
#include "dump/split.h"

#include <mongoc/mongoc.h>

typedef struct {
   const char *db;             /* NULL: every database */
   const char *collection;     /* NULL: every collection (needs db) */
   const char *const *include; /* "db.coll" patterns with '*'; NULL-terminated or NULL */
   const char *const *exclude;
   const bson_t *query; /* filter for the one --collection, or NULL */
   bool views_as_collections;
   bool dump_users_and_roles; /* needs db */
   int64_t split_threshold;   /* split regular collections at least this large; 0: never */
   int split_ranges;          /* ranges per split collection */
} mb_plan_opts_t;

/* One namespace of the archive and how to read it. */
typedef struct {
   char *db, *collection;               /* prelude names */
   char *type;                          /* listCollections type; "" for $admin.* entries */
   char *metadata;                      /* canonical Extended JSON, "" for none */
   char *source_db, *source_collection; /* where the documents come from */
   bson_t *filter;                      /* NULL: every document */
   bool natural_hint;                   /* hint {$natural: 1} (whole collections, not views) */
   bool read_data;                      /* false for views stored as views: an empty namespace */
   mb_ns_kind_t kind;
   int64_t size_bytes;   /* estimated, for ordering and ETA (0 when unknown) */
   int64_t count;        /* estimated documents */
   int64_t avg_obj_size; /* collStats avgObjSize, for batch sizes (0 when unknown) */
   bool capped;
   int ntasks;            /* tasks (ranges) that read it */
   const char *split_how; /* how it was split, or why not; NULL when not considered */
} mb_plan_ns_t;

/* One unit of reading: a whole namespace, or one _id range of it. */
typedef struct {
   int ns;
   mb_split_method_t method;
   bson_t *lo, *hi; /* {_id: value} bounds; NULL for an open end */
} mb_plan_task_t;

typedef struct {
   mb_plan_ns_t *ns; /* in dump order: special namespaces first, then views, then largest first */
   int nns;
   mb_plan_task_t *tasks; /* in reading order; the ranges of a namespace are consecutive */
   int ntasks;
   char **warnings; /* NULL-terminated, e.g. a --db that does not exist */
   int nwarnings;
} mb_plan_t;

/* Build the plan with client. Driver errors are wrapped with what was being listed. */
MB_MUST_CHECK bool mb_plan_build(mongoc_client_t *client, const mb_plan_opts_t *opts,
                                 mb_plan_t **out, mb_error_t *err);
void mb_plan_destroy(mb_plan_t *p);

/* The metadata text mongodump writes for a collection: compact canonical Extended JSON of
 * {options (if non-empty), indexes, uuid (if a UUID), collectionName, type (if non-empty)}.
 * Returns a new string (bson_free). Exposed for tests. */
char *mb_plan_metadata_json(const bson_t *options, const bson_t *indexes_array,
                            const bson_value_t *uuid, const char *name, const char *type);

/* Remove the whitespace libbson puts between JSON tokens (not inside strings), in place. */
void mb_plan_compact_json(char *json);

/* The pure decisions of the planner, exposed for tests. */
/* Whether db.coll passes the include patterns (none: every name) and no exclude pattern. */
bool mb_plan_selected(const mb_plan_opts_t *o, const char *db, const char *coll);
/* mongodump's default filter for names found by enumeration (no --collection): config keeps
 * its cluster collections only (unless --db config), system.* only system.js, no '$' names. */
bool mb_plan_enumerable(const char *db, const char *coll, bool db_given);
/* qsort order of the namespaces: special ones first (equal among themselves), then views (no
 * data), then largest first by size, then by count. */
int mb_plan_ns_order(const void *a, const void *b);
/* Whether n is split into _id ranges: a regular, non-capped collection with data at least
 * split_threshold bytes, when splitting is on (threshold > 0, more than one range). */
bool mb_plan_splittable(const mb_plan_ns_t *n, const mb_plan_opts_t *o);

#endif
