/* Retention: which complete backups to keep. Keep the newest max_backups; with GFS rules also
 * the newest backup of each of the keep_daily most recent days, keep_weekly ISO weeks and
 * keep_monthly months that have backups (days, weeks and months in the local zone). The newest
 * complete backup is always kept. Incomplete backups are neither counted nor deleted here, nor
 * are backups named after the present (a clock that was ahead, a file copied in): they would
 * otherwise outrank, and push out, the backup just written. */
#ifndef MB_SCHED_RETENTION_H
#define MB_SCHED_RETENTION_H

#include "sched/catalog.h"

typedef struct {
   int max_backups; /* >= 1 */
   int keep_daily, keep_weekly, keep_monthly;
} mb_retention_t;

/* Fill keep[i] (true = keep) for every item of the catalog (newest first). Returns how many
 * complete backups would be deleted. */
int mb_retention_plan(const mb_retention_t *r, const mb_catalog_t *c, bool *keep);

/* The same, judged at now: complete backups named after now are kept, take no MAX_BACKUPS slot
 * and are counted in *future (may be NULL); the backup named protect (the archive the run just
 * published; may be NULL) is always kept. now == 0 makes no backup future-dated. */
int mb_retention_plan_at(const mb_retention_t *r, const mb_catalog_t *c, time_t now,
                         const char *protect, bool *keep, int *future);

#endif
