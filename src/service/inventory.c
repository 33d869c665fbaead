#include "service/inventory.h"
#include "sched/cron.h"

#include <string.h>

/* Whether the catalog lists the archive name (status names no file that is gone). */
static bool in_catalog(const mb_catalog_t *cat, const char *name)
{
   for (int i = 0; i < cat->n; i++) {
      if (strcmp(cat->items[i].name, name) == 0) {
         return true;
      }
   }
   return false;
}

bool mb_inventory_status(const char *dir, const char *cron, mb_inventory_status_t *out,
                         mb_error_t *err)
{
   mb_cron_t *c = NULL;
   mb_error_t ignored;
   bool ok;

   memset(out, 0, sizeof *out);
   ok = mb_state_load(dir, &out->state, err) && mb_cron_parse(cron, &c, err) &&
        mb_cron_next(c, time(NULL), &out->next, err);
   mb_cron_destroy(c);
   if (!ok) {
      mb_state_clear(&out->state);
      return false;
   }
   if (!mb_catalog_scan(dir, &out->catalog, &ignored)) {
      mb_catalog_clear(&out->catalog); /* a directory not created yet has none */
   }
   mb_state_stats(&out->state, &out->catalog, &out->stats);
   if (out->state.last_archive && *out->state.last_archive &&
       !in_catalog(&out->catalog, out->state.last_archive)) {
      bson_free(out->state.last_archive);
      out->state.last_archive = NULL;
      out->gone = true;
   }
   return true;
}

void mb_inventory_status_clear(mb_inventory_status_t *s)
{
   mb_catalog_clear(&s->catalog);
   mb_state_clear(&s->state);
   memset(s, 0, sizeof *s);
}

int mb_inventory_verify(const mb_catalog_t *cat, mb_crypt_key_t *key, char ***verified)
{
   int bad = 0;

   *verified = bson_malloc0((size_t) (cat->n + 1) * sizeof **verified);
   for (int i = 0; i < cat->n; i++) {
      if (!cat->items[i].complete) {
         bad++;
      } else if (!mb_catalog_verify(&cat->items[i], key, &(*verified)[i])) {
         bad++;
      }
   }
   return bad;
}

void mb_inventory_verified_free(char **verified, int n)
{
   for (int i = 0; verified && i < n; i++) {
      bson_free(verified[i]);
   }
   bson_free(verified);
}
