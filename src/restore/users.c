#include "restore/users.h"
#include "common/buf.h"
#include "common/client.h"

#include <string.h>

#define USERS_MAX_BYTES (64u * 1024u * 1024u)
#define CODE_COMMAND_NOT_FOUND 59

typedef struct {
   int ns;
   bool roles;  /* system.roles, else system.users */
   char *scope; /* "" for admin.system.*, D for D.$admin.system.* */
   mb_buf_t docs;
   uint32_t ndocs;
} group_t;

struct mb_rusers {
   group_t *g;
   int n;
   size_t total;
};

mb_rusers_t *mb_rusers_new(void)
{
   return bson_malloc0(sizeof(mb_rusers_t));
}

static group_t *group_for(mb_rusers_t *u, const mb_rplan_t *plan, int ns)
{
   const mb_archive_ns_t *src = plan->ns[ns].src;
   group_t *g;

   for (int i = 0; i < u->n; i++) {
      if (u->g[i].ns == ns) {
         return &u->g[i];
      }
   }
   u->g = bson_realloc(u->g, sizeof *u->g * (size_t) (u->n + 1));
   g = &u->g[u->n++];
   memset(g, 0, sizeof *g);
   g->ns = ns;
   g->roles = strstr(src->collection, "system.roles") != NULL;
   g->scope = bson_strdup(src->collection[0] == '$' ? src->db : "");
   mb_buf_init(&g->docs, USERS_MAX_BYTES);
   return g;
}

bool mb_rusers_add(mb_rusers_t *u, const mb_rplan_t *plan, int ns, const uint8_t *doc, uint32_t len,
                   mb_error_t *err)
{
   group_t *g = group_for(u, plan, ns);

   if (u->total + len > USERS_MAX_BYTES) {
      mb_error_set(err, MB_EXIT_FAILURE,
                   "the users and roles in the archive exceed %u MiB; restore them separately",
                   USERS_MAX_BYTES >> 20);
      return false;
   }
   if (!mb_buf_append(&g->docs, doc, len, err)) {
      return false;
   }
   u->total += len;
   g->ndocs++;
   return true;
}

static void drop_coll(mongoc_client_t *cl, const char *coll)
{
   bson_t cmd = BSON_INITIALIZER;
   bson_error_t e;

   BSON_APPEND_UTF8(&cmd, "drop", coll);
   (void) mb_rtarget_command(cl, "admin", &cmd, &e); /* absent is fine */
   bson_destroy(&cmd);
}

/* mongorestore's way. *unsupported: the server has no _mergeAuthzCollections. */
static bool merge(mongoc_client_t *cl, const group_t *g, bool drop, mb_rinsert_result_t *res,
                  bool *unsupported, mb_error_t *err)
{
   const char *temp = g->roles ? "temproles" : "tempusers";
   char full[32];
   bson_t cmd = BSON_INITIALIZER;
   bson_error_t e;
   bool ok = false;

   *unsupported = false;
   drop_coll(cl, temp);
   if (!mb_rtarget_insert_into(cl, "admin", temp, false, g->docs.data, g->docs.len, g->ndocs, res,
                               err)) {
      goto cleanup;
   }
   snprintf(full, sizeof full, "admin.%s", temp);
   BSON_APPEND_INT32(&cmd, "_mergeAuthzCollections", 1);
   BSON_APPEND_UTF8(&cmd, g->roles ? "tempRolesCollection" : "tempUsersCollection", full);
   BSON_APPEND_BOOL(&cmd, "drop", drop);
   BSON_APPEND_UTF8(&cmd, "db", g->scope);
   ok = mb_rtarget_command(cl, "admin", &cmd, &e);
   if (!ok && mb_rtarget_error_is_fatal(&e)) {
      mb_client_error(err, &e, "merging users and roles");
      goto cleanup;
   }
   if (!ok) {
      *unsupported = e.code == CODE_COMMAND_NOT_FOUND;
      res->failed = g->ndocs;
      res->inserted = 0;
      snprintf(res->note, sizeof res->note, "_mergeAuthzCollections: %.250s", e.message);
   }
   ok = true;
cleanup:
   drop_coll(cl, temp);
   bson_destroy(&cmd);
   return ok;
}

static bool restore_group(mongoc_client_t *cl, const group_t *g, bool drop,
                          mb_rinsert_result_t *res, mb_error_t *err)
{
   bool unsupported;

   if (!merge(cl, g, drop, res, &unsupported, err)) {
      return false;
   }
   if (!unsupported) {
      return true;
   }
   /* no _mergeAuthzCollections (FerretDB keeps users in a plain collection) */
   return mb_rtarget_insert_into(cl, "admin", g->roles ? "system.roles" : "system.users", drop,
                                 g->docs.data, g->docs.len, g->ndocs, res, err);
}

bool mb_rusers_restore(mb_rusers_t *u, mongoc_client_t *cl, bool drop, mb_rusers_result_fn fn,
                       void *user_data, mb_error_t *err)
{
   /* users before roles, as mongorestore */
   for (int pass = 0; pass < 2; pass++) {
      for (int i = 0; i < u->n; i++) {
         mb_rinsert_result_t res;
         if (u->g[i].roles != (pass == 1) || u->g[i].ndocs == 0) {
            continue;
         }
         if (!restore_group(cl, &u->g[i], drop, &res, err)) {
            return false;
         }
         fn(user_data, u->g[i].ns, &res);
      }
   }
   return true;
}

void mb_rusers_destroy(mb_rusers_t *u)
{
   if (!u) {
      return;
   }
   for (int i = 0; i < u->n; i++) {
      bson_free(u->g[i].scope);
      mb_buf_destroy(&u->g[i].docs);
   }
   bson_free(u->g);
   bson_free(u);
}
