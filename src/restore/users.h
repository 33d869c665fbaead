/* Users and roles (admin.system.users/roles of a full dump, D.$admin.system.users/roles of a
 * --dump-users-and-roles dump): buffered while the archive is read (they are small, and come
 * first), then restored after the collections, best effort:
 *   1. as mongorestore does: into admin.tempusers / admin.temproles, merged by the server's
 *      _mergeAuthzCollections (with drop: --drop), temp collection dropped afterwards;
 *   2. where the server has no _mergeAuthzCollections (FerretDB): written straight into
 *      admin.system.users / admin.system.roles (inserted, or with --drop replacing the
 *      documents with the same _id; users not in the archive are never removed). */
#ifndef MB_RESTORE_USERS_H
#define MB_RESTORE_USERS_H

#include "restore/target.h"

typedef struct mb_rusers mb_rusers_t;

/* Called once per namespace restored, with its outcome. */
typedef void (*mb_rusers_result_fn)(void *user_data, int ns, const mb_rinsert_result_t *res);

mb_rusers_t *mb_rusers_new(void);

/* Buffer one document of plan namespace ns (an MB_RPLAN_USERS entry). Fails (FAILURE) past
 * 64 MiB of users and roles. */
MB_MUST_CHECK bool mb_rusers_add(mb_rusers_t *u, const mb_rplan_t *plan, int ns, const uint8_t *doc,
                                 uint32_t len, mb_error_t *err);

/* Restore every buffered namespace. Refused operations are reported through fn; the call fails
 * only on a fatal error (connection lost, not authorized). */
MB_MUST_CHECK bool mb_rusers_restore(mb_rusers_t *u, mongoc_client_t *cl, bool drop,
                                     mb_rusers_result_fn fn, void *user_data, mb_error_t *err);

void mb_rusers_destroy(mb_rusers_t *u);

#endif
