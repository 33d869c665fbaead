/* The restore plan: for every namespace of an archive's prelude, what restore does with it
 * (restore it under which name, buffer it as users/roles, or skip it and why) and its parsed
 * metadata (collection options, index specs, UUID). Built before anything is written, so that
 * bad options or unreadable metadata stop the restore before it touches the server. */
#ifndef MB_RESTORE_PLAN_H
#define MB_RESTORE_PLAN_H

#include "archive/reader.h"
#include "restore/nsmap.h"

typedef enum {
   MB_RPLAN_RESTORE = 0, /* a collection or view: create, insert, build indexes */
   MB_RPLAN_USERS,       /* admin.system.users/roles or D.$admin.system.users/roles */
   MB_RPLAN_SKIP,        /* read (and CRC-checked) but not restored; see skip_reason */
   MB_RPLAN_OPLOG        /* the oplog, replayed after everything else (--oplog-replay) */
} mb_rplan_action_t;

typedef struct {
   mb_rplan_action_t action;
   const mb_archive_ns_t *src; /* borrowed from the reader */
   char *src_ns;               /* "db.coll" as in the archive's prelude */
   char *dst_ns;               /* "db.coll" to restore into; NULL when skipped */
   char *dst_db, *dst_coll;    /* the archive's db and collection, or a renamed dst_ns split at
                                * its first '.' */
   char *dst_data_coll;        /* where documents go: system.buckets.X for old timeseries */
   const char *skip_reason;    /* static text for MB_RPLAN_SKIP */
   bool filtered;              /* skipped by --ns-include/--ns-exclude */
   bool is_view, is_timeseries;
   bson_t options;  /* metadata "options" (empty when none) */
   bson_t indexes;  /* metadata "indexes" as an array (empty when none) */
   bson_t id_index; /* the "_id_" spec, empty when the metadata has none */
   char uuid[33];   /* metadata "uuid" (32 lowercase hex digits) or "" */
   int nindexes;    /* index specs to build (all but _id_) */
} mb_rplan_ns_t;

typedef struct {
   mb_rplan_ns_t *ns; /* one per prelude entry, same order as the reader's */
   int nns;
} mb_rplan_t;

/* Build the plan for every prelude entry of r. Errors: CORRUPT when a namespace to restore has
 * metadata that is not Extended JSON or has ill-typed options/indexes/uuid; USAGE when a rename
 * gives an invalid target name or maps two namespaces to the same target. *out is made for the
 * caller (mb_rplan_destroy). */
MB_MUST_CHECK bool mb_rplan_build(const mb_archive_reader_t *r, const mb_rnsmap_t *map,
                                  mb_rplan_t **out, mb_error_t *err);

void mb_rplan_destroy(mb_rplan_t *p);

#endif
