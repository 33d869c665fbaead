#include "service/oplogarch.h"
#include "common/buf.h"
#include "common/client.h"
#include "common/log.h"
#include "dump/oplog.h"
#include "dump/oplogtail.h"
#include "sched/slices.h"

#include <pthread.h>
#include <string.h>
#include <time.h>

#define AWAIT_MS 1000
#define RETRY_SECONDS 5
#define DRAIN_SECONDS 10

struct mb_oplogarch {
   const mb_oplogarch_opts_t *o;
   mb_client_t *client;
   mongoc_client_t *mc; /* popped from client's pool, used by the thread only */
   pthread_t thread;
   atomic_int quit;
   char *chain;        /* the open chain's id */
   mb_oplog_ts_t from; /* the next slice's "from" */
   /* the open slice */
   mb_buf_t buf;
   uint64_t n;
   mb_oplog_ts_t first, last;
   double deadline; /* monotonic seconds at which it closes; 0: no entry yet */
};

static double mono(void)
{
   struct timespec ts;
   clock_gettime(CLOCK_MONOTONIC, &ts);
   return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static bool stopping(const mb_oplogarch_t *a)
{
   return atomic_load(&a->quit) || (a->o->stop && atomic_load(a->o->stop));
}

static void nap_seconds(const mb_oplogarch_t *a, int seconds)
{
   for (int i = 0; i < seconds * 10 && !stopping(a); i++) {
      struct timespec ts = {0, 100 * 1000 * 1000};
      nanosleep(&ts, NULL);
   }
}

static void new_chain(mb_oplogarch_t *a, mb_oplog_ts_t from)
{
   char t[24];

   bson_free(a->chain);
   a->chain = mb_slices_new_chain_id();
   a->from = from;
   mb_log(MB_LOG_INFO, "oplog archive: chain %s starts after %s", a->chain,
          mb_oplog_ts_format(from, t, sizeof t));
}

/* Write the open slice; on failure it stays open (retried RETRY_SECONDS later). */
static bool close_slice(mb_oplogarch_t *a)
{
   const mb_oplogarch_opts_t *o = a->o;
   mb_slice_spec_t spec = {.dir = o->dir,
                           .extension = o->extension,
                           .compress = o->compress,
                           .level = o->level,
                           .key = o->key,
                           .server_version = mb_client_server_version(a->client),
                           .chain = a->chain};
   mb_slice_t s;
   mb_error_t err;
   char t1[24], t2[24], t3[24];

   if (a->n == 0) {
      return true;
   }
   if (!mb_slices_write(&spec, a->buf.data, a->buf.len, a->n, a->from, a->first, a->last, &s,
                        &err)) {
      mb_log(MB_LOG_ERROR, "oplog archive: %s; retrying in %d s", err.message, RETRY_SECONDS);
      a->deadline = mono() + RETRY_SECONDS;
      return false;
   }
   mb_log(MB_LOG_INFO, "oplog slice %s: %llu entries from %s to %s (after %s), %llu bytes", s.name,
          (unsigned long long) s.entries, mb_oplog_ts_format(s.first, t1, sizeof t1),
          mb_oplog_ts_format(s.last, t2, sizeof t2), mb_oplog_ts_format(s.from, t3, sizeof t3),
          (unsigned long long) s.size);
   mb_slice_clear(&s);
   a->from = a->last;
   a->n = 0;
   a->deadline = 0;
   mb_buf_reset(&a->buf);
   return true;
}

static bool add_entry(mb_oplogarch_t *a, const bson_t *doc, mb_oplog_ts_t ts, mb_error_t *err)
{
   if (!mb_buf_append(&a->buf, bson_get_data(doc), doc->len, err)) {
      return false;
   }
   if (a->n++ == 0) {
      a->first = ts;
      a->deadline = mono() + a->o->slice_seconds;
   }
   a->last = ts;
   return true;
}

/* A gap: logged, notified, a new chain at the newest entry, a full backup asked for. */
static void gap(mb_oplogarch_t *a, const char *message)
{
   mb_oplog_ts_t newest = {0, 0};
   bool empty;
   mb_error_t err;

   mb_log(MB_LOG_ERROR, "%s; a full backup starts now", message);
   if (a->o->hooks) {
      mb_hooks_alert(a->o->hooks, "oplog gap", message);
   }
   if (!mb_oplog_newest(a->mc, &newest, &empty, &err)) {
      mb_log(MB_LOG_ERROR, "oplog archive: %s", err.message);
   }
   new_chain(a, newest);
   if (a->o->run_now) {
      atomic_store(a->o->run_now, 1);
   }
}

/* At stop: the entries written up to now are read into the open slice first (for at most
 * DRAIN_SECONDS), so that the last slice ends at the newest entry. */
static void drain(mb_oplogarch_t *a, mb_oplog_tail_t *tail)
{
   mb_oplog_ts_t newest, ts;
   const bson_t *doc;
   double until = mono() + DRAIN_SECONDS;
   bool empty, is_gap;
   mb_error_t err;

   if (!mb_oplog_newest(a->mc, &newest, &empty, &err)) {
      return;
   }
   while (!empty && mb_oplog_ts_cmp(mb_oplog_tail_last(tail), newest) < 0 && mono() < until &&
          a->buf.len < a->o->slice_bytes) {
      if (!mb_oplog_tail_next(tail, &doc, &ts, &is_gap, &err)) {
         return; /* the next start finds the gap or the error again */
      }
      if (doc && !add_entry(a, doc, ts, &err)) {
         return;
      }
   }
}

static void *archive_thread(void *user_data)
{
   mb_oplogarch_t *a = user_data;
   mb_oplog_tail_t *tail = mb_oplog_tail_new(a->mc, a->from, AWAIT_MS);
   const bson_t *doc;
   mb_oplog_ts_t ts;
   mb_error_t err;
   bool is_gap;

   while (!stopping(a)) {
      if (a->n > 0 && (a->buf.len >= a->o->slice_bytes || mono() >= a->deadline) &&
          !close_slice(a) && a->buf.len >= a->o->slice_bytes) {
         nap_seconds(a, 1); /* full and cannot be written: read nothing more until it is */
         continue;
      }
      if (mb_oplog_tail_next(tail, &doc, &ts, &is_gap, &err)) {
         if (!doc || add_entry(a, doc, ts, &err)) {
            continue;
         }
         /* an entry that cannot be kept: the chain must not go on without it */
         mb_error_prefix(&err, "oplog gap: an entry could not be archived");
         is_gap = true;
      }
      mb_oplog_tail_destroy(tail);
      if (is_gap) {
         close_slice(a); /* what was read before the gap is whole */
         a->n = 0;
         mb_buf_reset(&a->buf);
         gap(a, err.message);
      } else {
         mb_log(MB_LOG_ERROR, "oplog archive: %s; retrying in %d s", err.message, RETRY_SECONDS);
         nap_seconds(a, RETRY_SECONDS);
      }
      tail = mb_oplog_tail_new(a->mc, a->n > 0 ? a->last : a->from, AWAIT_MS);
   }
   drain(a, tail);
   mb_oplog_tail_destroy(tail);
   if (a->n > 0 && !close_slice(a)) {
      char t[24];
      mb_log(MB_LOG_ERROR,
             "oplog archive: the last %llu entries (after %s) were not written; the next start "
             "reads them again from the oplog",
             (unsigned long long) a->n, mb_oplog_ts_format(a->from, t, sizeof t));
   }
   return NULL;
}

/* Where to resume: the newest complete slice's chain when its last entry is still in the
 * oplog; otherwise a new chain at the newest entry (a gap when there was a slice). */
static bool resume(mb_oplogarch_t *a, mb_error_t *err)
{
   mb_slices_t all;
   mb_oplog_ts_t newest, oldest;
   const mb_slice_t *s = NULL;
   bool empty, oempty;
   char t1[24], t2[24], *msg;

   if (!mb_oplog_newest(a->mc, &newest, &empty, err)) {
      if (mb_error_exit_code(err) == MB_EXIT_USAGE) {
         mb_error_set(err, MB_EXIT_USAGE,
                      "OPLOG_ARCHIVE=true: the server has no oplog (no collection "
                      "local.oplog.rs): continuous point-in-time recovery needs a replica set "
                      "member; set OPLOG_ARCHIVE=false");
      }
      return false;
   }
   mb_slices_remove_partials(a->o->dir); /* no slice is being written yet */
   if (!mb_slices_scan(a->o->dir, &all, err) || !mb_oplog_oldest(a->mc, &oldest, &oempty, err)) {
      return false;
   }
   for (int i = all.n - 1; i >= 0 && !s; i--) {
      s = all.items[i].complete ? &all.items[i] : NULL;
   }
   if (s && (oempty || mb_oplog_ts_cmp(oldest, s->last) <= 0)) {
      a->chain = bson_strdup(s->chain);
      a->from = s->last;
      mb_log(MB_LOG_INFO, "oplog archive: chain %s resumes after %s (%s)", a->chain,
             mb_oplog_ts_format(s->last, t1, sizeof t1), s->name);
   } else if (s) {
      msg = bson_strdup_printf("oplog gap: the oplog rolled over past %s, the last entry "
                               "archived (%s; its oldest entry is %s): the entries in between "
                               "are lost; a new chain starts",
                               mb_oplog_ts_format(s->last, t1, sizeof t1), s->name,
                               mb_oplog_ts_format(oldest, t2, sizeof t2));
      gap(a, msg);
      bson_free(msg);
   } else {
      new_chain(a, newest);
   }
   mb_slices_clear(&all);
   return true;
}

bool mb_oplogarch_start(const mb_oplogarch_opts_t *o, mb_oplogarch_t **out, mb_error_t *err)
{
   mb_oplogarch_t *a = bson_malloc0(sizeof *a);

   *out = NULL;
   a->o = o;
   mb_buf_init(&a->buf, (size_t) o->slice_bytes + (17u << 20)); /* + one entry of 16 MiB */
   if (!mb_client_connect(o->uri, "mongobak oplog archive", 1, &a->client, err)) {
      goto fail;
   }
   a->mc = mongoc_client_pool_pop(mb_client_pool(a->client));
   if (!resume(a, err)) {
      goto fail;
   }
   if (pthread_create(&a->thread, NULL, archive_thread, a) != 0) {
      mb_error_set(err, MB_EXIT_FAILURE, "cannot start the oplog archive thread");
      goto fail;
   }
   *out = a;
   return true;
fail:
   if (a->mc) {
      mongoc_client_pool_push(mb_client_pool(a->client), a->mc);
   }
   mb_client_destroy(a->client);
   mb_buf_destroy(&a->buf);
   bson_free(a->chain);
   bson_free(a);
   return false;
}

void mb_oplogarch_stop(mb_oplogarch_t *a)
{
   if (!a) {
      return;
   }
   atomic_store(&a->quit, 1);
   pthread_join(a->thread, NULL);
   mongoc_client_pool_push(mb_client_pool(a->client), a->mc);
   mb_client_destroy(a->client);
   mb_buf_destroy(&a->buf);
   bson_free(a->chain);
   bson_free(a);
}
