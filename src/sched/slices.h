/* The oplog slices of continuous point-in-time recovery (OPLOG_ARCHIVE): archives in BACKUP_DIR
 * beside the backups, each holding only the oplog namespace (db "", collection "oplog", as dump
 * --oplog writes it), named oplog-YYYY-MM-DD-HH-mm-ss-<I>.archive[.zst|.gz][.enc] after the UTC
 * time and increment of its last entry (names sort by time), with a manifest
 * "<name>.manifest.json": "kind": "oplog-slice", "from" (exclusive: the previous slice's
 * "last", or the chain's start), "first" and "last" (inclusive), "entries", "size", "sha256",
 * "compression", "chain" (an id, new at each chain start or gap), "status": "ok".
 *
 * A chain is a run of slices of one chain id, each one's "from" the previous one's "last": it
 * holds every oplog entry after its first "from" up to its last "last". A backup whose oplog end
 * E lies in a chain (from <= E < last of one of its slices) restores to any point from E to the
 * chain's end: the restorable window. The functions on arrays below are pure (unit tested). */
#ifndef MB_SCHED_SLICES_H
#define MB_SCHED_SLICES_H

#include "archive/compress.h"
#include "archive/crypt.h"
#include "common/error.h"
#include "common/oplogts.h"
#include "sched/catalog.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct {
   char *name, *path;
   mb_oplog_ts_t from, first, last;
   uint64_t entries, size;
   char *sha256, *compression, *chain;
   bool complete; /* its manifest parses, says ok and its archive has the recorded size */
} mb_slice_t;

typedef struct {
   mb_slice_t *items; /* oldest first (by "last") */
   int n;
} mb_slices_t;

/* The name of a slice whose last entry is last, with ext (".zst", ".gz.enc", ...); bson_free. */
char *mb_slices_name(mb_oplog_ts_t last, const char *ext);

/* Every slice of dir (complete or not), oldest first. IO when dir cannot be listed. */
MB_MUST_CHECK bool mb_slices_scan(const char *dir, mb_slices_t *out, mb_error_t *err);
void mb_slices_clear(mb_slices_t *s);

/* What a slice is written with (everything borrowed). */
typedef struct {
   const char *dir;
   const char *extension; /* ".zst", ".gz" or "", then ".enc" when key */
   mb_compress_t compress;
   int level;
   mb_crypt_key_t *key;        /* NULL: not encrypted */
   const char *server_version; /* the archive header's, X.Y.Z */
   const char *chain;
} mb_slice_spec_t;

/* Write one slice of n entries (len bytes of whole BSON documents, oldest first) from (exclusive)
 * first to last: the archive through the repository (its name appears whole or not at all),
 * read back and hashed, then its manifest. *out describes it (mb_slice_clear). EXISTS when the
 * name is taken; the archive's or the manifest's error otherwise (nothing is left then). */
MB_MUST_CHECK bool mb_slices_write(const mb_slice_spec_t *spec, const uint8_t *docs, size_t len,
                                   uint64_t n, mb_oplog_ts_t from, mb_oplog_ts_t first,
                                   mb_oplog_ts_t last, mb_slice_t *out, mb_error_t *err);

void mb_slice_clear(mb_slice_t *s);

/* Delete a slice: its archive, then its manifest. */
MB_MUST_CHECK bool mb_slices_delete(const mb_slice_t *s, mb_error_t *err);

/* Remove the temporary files "oplog-*.partial" a killed daemon left while writing a slice; only
 * when no slice is being written (the archive's start). Returns how many were removed. */
int mb_slices_remove_partials(const char *dir);

/* A new chain id ("YYYYMMDDTHHMMSSZ-xxxxxx": the time it started and random hex); bson_free. */
char *mb_slices_new_chain_id(void);

/* ---- pure functions on the complete slices, oldest first ---- */

/* One chain: slices [first, first + count) of the array. */
typedef struct {
   int first, count;
   mb_oplog_ts_t from, to; /* from (exclusive) the first's "from" to the last's "last" */
   uint64_t bytes;         /* the slices' sizes */
   const char *id;         /* borrowed from the slices */
} mb_slice_chain_t;

/* Split the complete slices s[0..n) into chains (incomplete ones are skipped; they break a
 * chain). *out made for the caller (bson_free; NULL when *nout is 0). */
void mb_slices_chains(const mb_slice_t *s, int n, mb_slice_chain_t **out, int *nout);

/* The restorable window of a chain given the oplog ends of the complete backups (ends[0..nends)):
 * *start = the oldest end E with from <= E < to; false when no backup lies in the chain. */
bool mb_slices_window(const mb_slice_chain_t *c, const mb_oplog_ts_t *ends, int nends,
                      mb_oplog_ts_t *start);

/* The plan of a restore to point (inclusive): backup index into ends (the newest E <= point
 * that a chain carries up to point: from E, through slices whose last >= point; or E == point
 * with no slice), and the slices to replay, s[first..first+count). */
typedef struct {
   int backup;
   int first, count;
} mb_slice_plan_t;

/* False (USAGE, one line naming the restorable windows, or saying there are none) when no backup
 * and chain reach point. */
MB_MUST_CHECK bool mb_slices_plan(const mb_slice_t *s, int n, const mb_oplog_ts_t *ends, int nends,
                                  mb_oplog_ts_t point, mb_slice_plan_t *plan, mb_error_t *err);

/* Retention: keep[i] false for the complete slices whose "last" <= the oldest of ends (the kept
 * backups' oplog ends); every slice is kept when nends is 0. Returns how many are not kept. */
int mb_slices_retain(const mb_slice_t *s, int n, const mb_oplog_ts_t *ends, int nends, bool *keep);

/* The oplog ends of the complete backups of cat that have one: *ends (bson_free; NULL when none)
 * and their count. */
int mb_slices_backup_ends(const mb_catalog_t *cat, mb_oplog_ts_t **ends);

/* The windows as text for messages: "T1 .. T2 (ISO1 .. ISO2)[, ...]" or "none" (bson_free). */
char *mb_slices_windows_text(const mb_slice_t *s, int n, const mb_oplog_ts_t *ends, int nends);

#endif
