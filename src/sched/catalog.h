/* The backups in BACKUP_DIR: backup-YYYY-MM-DD-HH-mm-ss[-N].archive[.zst|.gz][.enc] (UTC time of
 * the start; -N when a backup of that second already existed; .enc when encrypted, archive/crypt.h)
 * with a manifest
 * "<archive>.manifest.json" beside each. A backup is complete when its manifest parses, says "ok"
 * and records the archive's size; only mb_catalog_verify checks its bytes.
 *
 * The backups of the Node.js service mongobak replaces are listed too ("legacy"): the same names,
 * unnumbered, ".archive" or ".archive.gz", written by mongodump --archive [--gzip], without
 * manifest. One is complete when its first bytes are mongodump's (the archive's magic, or gzip's)
 * and its name can be dated; the service named its files in its TIMEZONE, so their time is the
 * name read as a wall-clock time in TIMEZONE (the process zone, common/tz.h), where mongobak's
 * own names are UTC. A name that does not exist in that zone (a spring-forward gap) is normalised
 * as mktime does. Their documents are not counted (0) and they have no SHA-256: `list --verify`
 * reads them to the end. */
#ifndef MB_SCHED_CATALOG_H
#define MB_SCHED_CATALOG_H

#include "archive/verify.h"
#include "common/error.h"
#include "sched/run.h"

typedef struct {
   char *name; /* archive file name */
   char *path;
   time_t time; /* from the name, UTC */
   int seq;     /* N of a numbered name, 0 otherwise */
   uint64_t size;
   uint64_t docs;
   char *compression;
   char *sha256;
   bool complete;
   bool legacy;             /* the Node service's: no manifest, time in TIMEZONE (see above) */
   char *problem;           /* why not complete */
   bool has_oplog;          /* the manifest has an oplog record (BACKUP_OPLOG, dump --oplog) */
   mb_oplog_ts_t oplog_end; /* then: the point the archive restores to */
} mb_backup_t;

typedef struct {
   mb_backup_t *items; /* newest first */
   int n;
} mb_catalog_t;

/* The archive name for a run starting at t (UTC) with the given extension (".zst", ...). */
char *mb_catalog_name(time_t t, const char *ext);

/* Scan dir. Only names of our pattern are listed; others are ignored. */
MB_MUST_CHECK bool mb_catalog_scan(const char *dir, mb_catalog_t *out, mb_error_t *err);
void mb_catalog_clear(mb_catalog_t *c);

/* Publish the verified archive tmp of a successful run: its manifest (0600) first, then the
 * archive under run->path, neither ever replacing an existing file. When the name is taken (a
 * backup of the same second, a planted file), the next numbered name is used and run->path and
 * run->archive are updated. EXISTS when 999 numbered names are taken; IO otherwise. */
MB_MUST_CHECK bool mb_catalog_publish(mb_run_t *run, const char *tmp, mb_error_t *err);

/* Verify b's archive completely (decrypting an encrypted one with key, which may be NULL) and
 * compare its SHA-256 and size with the manifest. On a mismatch or a corrupt archive, *problem
 * says what (bson_free). */
bool mb_catalog_verify(const mb_backup_t *b, mb_crypt_key_t *key, char **problem);

/* Verify the archive at path (a backup or a run's temporary archive) completely and hash it,
 * reading through its repository (storage/repo.h). Errors as mb_archive_verify_file's. */
MB_MUST_CHECK bool mb_catalog_check(const char *path, mb_crypt_key_t *key, mb_archive_check_t *out,
                                    mb_error_t *err);

/* Remove the file or object at path (a run's temporary archive); a missing one is no error. */
MB_MUST_CHECK bool mb_catalog_discard(const char *path, mb_error_t *err);

/* Delete a backup: the archive, then its manifest. */
MB_MUST_CHECK bool mb_catalog_delete(const mb_backup_t *b, mb_error_t *err);

/* Where a run writes its archive until it is verified: "<dir>/.<name>.unverified" (made for
 * the caller). */
char *mb_catalog_temp_path(const char *dir, const char *name);

/* Remove what crashed runs leave: "backup-*.partial", ".backup-*.unverified[.*.partial]", state
 * temporary files and manifests whose archive does not exist. Returns how many were removed. */
int mb_catalog_remove_partials(const char *dir);

/* Abort the unfinished uploads of backup archives (S3 multipart uploads of dumps killed
 * outright) that the store began before `before`; one that the store does not date is left.
 * Call it holding the lock of dir with the start of the run: no dump of this host's is running
 * then (two hosts never share a prefix). Returns how many were aborted; a failure is logged. */
int mb_catalog_abort_uploads(const char *dir, time_t before);

/* Only the orphan manifests (after a failed rename). */
int mb_catalog_remove_orphans(const char *dir);

#endif
