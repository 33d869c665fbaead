/* The backups in BACKUP_DIR as `list --verify` and `status` see them (the data; src/cli prints). */
#ifndef MB_SERVICE_INVENTORY_H
#define MB_SERVICE_INVENTORY_H

#include "sched/state.h"

typedef struct {
   mb_state_t state;     /* state.last_archive is NULL when that archive is gone */
   mb_catalog_t catalog; /* what stats point into */
   mb_stats_t stats;
   time_t next; /* the next scheduled run */
   bool gone;   /* the last run's archive has been deleted since */
} mb_inventory_status_t;

/* The state file, the catalog and the statistics of dir, and the next run of the schedule cron.
 * A directory not created yet has no backups. Fails on an unreadable state file or a schedule
 * that never fires. *out is filled for the caller (mb_inventory_status_clear) on success. */
MB_MUST_CHECK bool mb_inventory_status(const char *dir, const char *cron,
                                       mb_inventory_status_t *out, mb_error_t *err);

void mb_inventory_status_clear(mb_inventory_status_t *s);

/* Verify and hash every complete backup of cat (encrypted ones decrypted with key, NULL: none):
 * (*verified)[i] is NULL when backup i is sound, else its problem (made for the caller:
 * mb_inventory_verified_free). Returns how many backups are not sound (incomplete ones
 * included). */
int mb_inventory_verify(const mb_catalog_t *cat, mb_crypt_key_t *key, char ***verified);

void mb_inventory_verified_free(char **verified, int n);

#endif
