/* One mongobak per backup directory: an flock(2) on BACKUP_DIR/.mongobak.lock holding the
 * owner's pid. The kernel releases it when the owner dies, so a stale lock file never blocks. */
#ifndef MB_SCHED_LOCK_H
#define MB_SCHED_LOCK_H

#include "common/error.h"

typedef struct mb_lock mb_lock_t;

/* Take the lock of dir or fail with LOCKED, naming the holder's pid. */
MB_MUST_CHECK bool mb_lock_acquire(const char *dir, mb_lock_t **out, mb_error_t *err);
void mb_lock_release(mb_lock_t *l);

#endif
