#include "restore/restore.h"
#include "common/log.h"
#include "restore/engine.h"

#include <string.h>

static bool check_options(const mb_restore_opts_t *o, mb_error_t *err)
{
   if (o->jobs < 1) {
      mb_error_set(err, MB_EXIT_USAGE, "--jobs must be at least 1");
      return false;
   }
   if (o->preserve_uuid && !o->drop) {
      mb_error_set(err, MB_EXIT_USAGE,
                   "--preserve-uuid needs --drop (a collection keeps its UUID only when it is "
                   "created anew, as with mongorestore)");
      return false;
   }
   return true;
}

static bool check_preserve_uuid(mb_rengine_t *e, mb_error_t *err)
{
   mongoc_client_pool_t *pool = mb_client_pool(e->client);
   mongoc_client_t *cl = mongoc_client_pool_pop(pool);
   bool has = false, ok = mb_rtarget_has_apply_ops(cl, &has, err);

   mongoc_client_pool_push(pool, cl);
   if (ok && !has) {
      mb_error_set(err, MB_EXIT_USAGE,
                   "--preserve-uuid needs the applyOps command, which the server at %s does not "
                   "have (FerretDB has none); restore without --preserve-uuid",
                   mb_client_display_uri(e->client));
      ok = false;
   }
   return ok;
}

static bool connect_target(mb_rengine_t *e, mb_error_t *err)
{
   if (!mb_client_connect(e->o->uri, "mongobak restore", e->o->jobs + 1, &e->client, err)) {
      return false;
   }
   e->topts.drop = e->o->drop;
   e->topts.preserve_uuid = e->o->preserve_uuid;
   e->topts.server_version = mb_client_server_version(e->client);
   mb_log(MB_LOG_DEBUG, "restoring into %s (server %s)", mb_client_display_uri(e->client),
          e->topts.server_version);
   return !e->o->preserve_uuid || check_preserve_uuid(e, err);
}

static void log_versions(const mb_rengine_t *e)
{
   const mb_archive_prelude_t *p = mb_archive_reader_prelude(e->reader);
   int amaj, amin, apat, tmaj, tmin, tpat;

   if (!e->client || !mb_archive_parse_version(p->server_version, &amaj, &amin, &apat) ||
       !mb_archive_parse_version(e->topts.server_version, &tmaj, &tmin, &tpat)) {
      return;
   }
   if (amaj != tmaj || amin != tmin) {
      mb_log(MB_LOG_WARN,
             "the archive comes from server %s and the target runs %s: restoring across "
             "versions may fail on options or indexes the target does not know",
             p->server_version, e->topts.server_version);
   }
}

static void append_count(char *out, size_t size, uint64_t n, const char *what)
{
   size_t used = strlen(out);

   if (n > 0 && used < size) {
      snprintf(out + used, size - used, "%s%llu %s", used ? ", " : "", (unsigned long long) n,
               what);
   }
}

/* After a complete run: PARTIAL when anything failed. */
static bool check_failures(const mb_rengine_t *e, mb_error_t *err)
{
   uint64_t dups = 0, failed = 0, ns_failed = 0, idx_failed = 0;
   char what[400] = "";

   for (int i = 0; i < e->plan->nns; i++) {
      dups += e->st[i].duplicates;
      failed += e->st[i].failed;
      ns_failed += e->st[i].create_failed;
      idx_failed += (uint64_t) e->st[i].indexes_failed;
   }
   append_count(what, sizeof what, dups, "documents with a duplicate key");
   append_count(what, sizeof what, failed, "documents refused by the server");
   append_count(what, sizeof what, ns_failed, "collections or views not created");
   append_count(what, sizeof what, idx_failed, "indexes not built");
   if (!what[0]) {
      return true;
   }
   mb_error_set(err, MB_EXIT_PARTIAL, "the restore finished with failures: %s", what);
   return false;
}

static bool open_and_plan(mb_rengine_t *e, mb_source_t *src, mb_error_t *err)
{
   const mb_restore_opts_t *o = e->o;
   mb_archive_reader_opts_t ropts = {.validate_bson = o->dry_run};
   bool ok;

   if (!mb_rnsmap_new(o->includes, o->n_includes, o->excludes, o->n_excludes, o->froms, o->tos,
                      o->n_renames, &e->map, err)) {
      return false;
   }
   ok = mb_archive_reader_open(src, &ropts, &e->reader, err) &&
        mb_rplan_build(e->reader, e->map, &e->plan, err);
   if (!ok) {
      return false;
   }
   for (int i = 0; o->oplog_replay && i < e->plan->nns; i++) {
      mb_rplan_ns_t *p = &e->plan->ns[i];
      if (p->src->kind == MB_NS_OPLOG) {
         p->action = MB_RPLAN_OPLOG;
         p->skip_reason = NULL;
         p->dst_ns = bson_strdup("(replayed)");
      }
   }
   e->st = bson_malloc0(sizeof *e->st * (size_t) (e->plan->nns + 1));
   for (int i = 0; i < e->plan->nns; i++) {
      e->ns_total += e->plan->ns[i].action == MB_RPLAN_RESTORE;
   }
   return true;
}

static void engine_cleanup(mb_rengine_t *e)
{
   for (int i = 0; e->q && e->st && i < e->plan->nns; i++) {
      mb_rqueue_chunk_free(e->q, e->st[i].chunk);
   }
   mb_rqueue_destroy(e->q);
   mb_rusers_destroy(e->users);
   mb_rreplay_destroy(e->replay);
   if (e->replay_cl) {
      mongoc_client_pool_push(mb_client_pool(e->client), e->replay_cl);
   }
   mb_rnsmap_destroy(e->map);
   mb_client_destroy(e->client);
   bson_free(e->threads);
   bson_free(e->st);
   mb_rplan_destroy(e->plan);
   mb_archive_reader_destroy(e->reader);
   pthread_mutex_destroy(&e->mu);
}

bool mb_restore_run(const mb_restore_opts_t *o, mb_source_t *src, mb_restore_report_t **report,
                    mb_error_t *err)
{
   mb_rengine_t e;
   bool ok = false;

   memset(&e, 0, sizeof e);
   pthread_mutex_init(&e.mu, NULL);
   e.o = o;
   e.t0 = e.last_progress = mb_rengine_now();
   e.users = mb_rusers_new();
   *report = NULL;
   if (!check_options(o, err) || !open_and_plan(&e, src, err)) {
      goto cleanup;
   }
   if (o->dry_run || connect_target(&e, err)) {
      log_versions(&e);
      ok = mb_rengine_stream(&e, err) && check_failures(&e, err);
   }
   *report = mb_restore_report_build(&e);
cleanup:
   engine_cleanup(&e);
   return ok;
}
