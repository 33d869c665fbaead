/* What restore does on the target server for one namespace: drop and create the collection or
 * view, insert a chunk of documents with an unordered bulk write, build the indexes. Each call
 * uses the caller's client (one per thread). Errors that concern one operation (the server
 * refused it) are told apart from fatal ones (connection lost, not authorized) with
 * mb_rtarget_error_is_fatal. */
#ifndef MB_RESTORE_TARGET_H
#define MB_RESTORE_TARGET_H

#include "restore/plan.h"

#include <mongoc/mongoc.h>

#define MB_RTARGET_NOTE_MAX 300

typedef struct {
   bool drop;          /* drop the target first */
   bool preserve_uuid; /* create through applyOps with the archive's UUID */
   const char *server_version;
} mb_rtarget_opts_t;

/* Outcome of one bulk insert. Document-level failures do not fail the call. */
typedef struct {
   uint64_t inserted, duplicates, failed;
   char note[MB_RTARGET_NOTE_MAX]; /* first error message ("" when none) */
} mb_rinsert_result_t;

/* Drop the target when o->drop (never a system.* collection, as mongorestore), then create it
 * with the archive's options (or as a view) unless it exists. *created tells which. */
MB_MUST_CHECK bool mb_rtarget_prepare(mongoc_client_t *cl, const mb_rplan_ns_t *p,
                                      const mb_rtarget_opts_t *o, bool *created, mb_error_t *err);

/* Insert ndocs raw BSON documents (len bytes, back to back) into the target's data collection
 * as one unordered bulk write, without client-side validation, so that every document is
 * restored exactly as stored. Duplicate keys and other per-document errors are counted in
 * *res; the call fails only when the batch as a whole failed. */
MB_MUST_CHECK bool mb_rtarget_insert(mongoc_client_t *cl, const mb_rplan_ns_t *p,
                                     const uint8_t *docs, size_t len, uint32_t ndocs,
                                     mb_rinsert_result_t *res, mb_error_t *err);

/* The same for any collection; with replace, each document replaces (upsert) the one with its
 * _id instead of being inserted. */
MB_MUST_CHECK bool mb_rtarget_insert_into(mongoc_client_t *cl, const char *db, const char *coll,
                                          bool replace, const uint8_t *docs, size_t len,
                                          uint32_t ndocs, mb_rinsert_result_t *res,
                                          mb_error_t *err);

/* Run a write command on db; false with e filled when it failed (refused or fatal). */
bool mb_rtarget_command(mongoc_client_t *cl, const char *db, const bson_t *cmd, bson_error_t *e);

/* Build the plan's indexes with one createIndexes; if the server refuses it, each index is
 * tried alone so that the others are built. When the collection existed before (existed), an
 * index whose name it already has is left as it is (and counted as built). *built and *failed
 * count them; note gets the first refusal. Fails only on a fatal error. */
MB_MUST_CHECK bool mb_rtarget_indexes(mongoc_client_t *cl, const mb_rplan_ns_t *p,
                                      const mb_rtarget_opts_t *o, bool existed, int *built,
                                      int *failed, char *note, size_t note_size, mb_error_t *err);

/* Whether the server supports applyOps (needed by --preserve-uuid). Fails on a fatal error. */
MB_MUST_CHECK bool mb_rtarget_has_apply_ops(mongoc_client_t *cl, bool *has, mb_error_t *err);

/* A fatal error: the connection is gone or we are not allowed; a refused operation is not. */
MB_MUST_CHECK bool mb_rtarget_error_is_fatal(const mb_error_t *e);

#endif
