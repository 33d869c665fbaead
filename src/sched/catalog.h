/* The backups in BACKUP_DIR: backup-YYYY-MM-DD-HH-mm-ss.archive[.zst|.gz] (UTC time of the
 * start) with a manifest "<archive>.manifest.json" beside each. A backup is complete when its
 * manifest parses, says "ok" and records the archive's size. */
#ifndef MB_SCHED_CATALOG_H
#define MB_SCHED_CATALOG_H

#include "common/error.h"
#include "sched/run.h"

typedef struct {
   char *name; /* archive file name */
   char *path;
   time_t time; /* from the name, UTC */
   uint64_t size;
   uint64_t docs;
   char *compression;
   char *sha256;
   bool complete;
   char *problem; /* why not complete */
} mb_backup_t;

typedef struct {
   mb_backup_t *items; /* newest first */
   int n;
} mb_catalog_t;

/* The archive name for a run starting at t (UTC) with the given extension (".zst", ...). */
char *mb_catalog_name(time_t t, const char *ext);

/* Scan dir. Only names of our pattern are listed; others are ignored. */
bool mb_catalog_scan(const char *dir, mb_catalog_t *out, mb_error_t *err);
void mb_catalog_clear(mb_catalog_t *c);

/* Write the manifest of a successful run atomically (0600). */
bool mb_catalog_write_manifest(const mb_run_t *run, mb_error_t *err);

/* Delete a backup: the archive, then its manifest. */
bool mb_catalog_delete(const mb_backup_t *b, mb_error_t *err);

/* Where a run writes its archive until it is verified: "<dir>/.<name>.unverified" (made for
 * the caller). */
char *mb_catalog_temp_path(const char *dir, const char *name);

/* Give a verified archive its final name: rename, then fsync the directory. */
bool mb_catalog_commit(const char *tmp, const char *final, mb_error_t *err);

/* Remove what crashed runs leave: "*.partial", ".backup-*.unverified" files and manifests whose
 * archive does not exist. Returns how many files were removed. */
int mb_catalog_remove_partials(const char *dir);

/* Only the orphan manifests (after a failed rename). */
int mb_catalog_remove_orphans(const char *dir);

#endif
