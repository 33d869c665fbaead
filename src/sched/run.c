#include "sched/run.h"
#include "common/redact.h"

#include <bson/bson.h>
#include <string.h>

void mb_run_clear(mb_run_t *r)
{
   mb_ns_stats_array_destroy(r->ns, (size_t) r->nns);
   bson_free(r->stage);
   bson_free(r->error);
   bson_free(r->archive);
   bson_free(r->path);
   bson_free(r->compression);
   bson_free(r->server_version);
   bson_free(r->uri);
   memset(r, 0, sizeof *r);
}

void mb_run_fail(mb_run_t *r, const char *stage, int exit_code, const char *message)
{
   if (r->error) {
      return;
   }
   r->ok = false;
   r->exit_code = exit_code;
   r->stage = bson_strdup(stage);
   r->error = mb_redact_dup(message ? message : ""); /* it goes to the state file and reports */
}
