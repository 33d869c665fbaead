#include "dump/oplogtail.h"
#include "common/client.h"
#include "dump/oplog.h"

#include <string.h>
#include <time.h>

#define CAPPED_POSITION_LOST 136

struct mb_oplog_tail {
   mongoc_client_t *c;
   mongoc_collection_t *coll;
   mongoc_cursor_t *cur;
   mb_oplog_ts_t last;  /* the newest entry handed out, or the resume point */
   mb_oplog_ts_t query; /* the point the open cursor's query resumed from */
   bool checked;        /* the open cursor's first answer was checked for a gap */
   int await_ms;
};

mb_oplog_tail_t *mb_oplog_tail_new(mongoc_client_t *c, mb_oplog_ts_t from, int await_ms)
{
   mb_oplog_tail_t *t = bson_malloc0(sizeof *t);

   t->c = c;
   t->coll = mongoc_client_get_collection(c, "local", "oplog.rs");
   t->last = from;
   t->await_ms = await_ms > 0 ? await_ms : 1000;
   return t;
}

void mb_oplog_tail_destroy(mb_oplog_tail_t *t)
{
   if (!t) {
      return;
   }
   mongoc_cursor_destroy(t->cur);
   mongoc_collection_destroy(t->coll);
   bson_free(t);
}

mb_oplog_ts_t mb_oplog_tail_last(const mb_oplog_tail_t *t)
{
   return t->last;
}

static void open_cursor(mb_oplog_tail_t *t)
{
   bson_t filter = BSON_INITIALIZER, range, opts = BSON_INITIALIZER;

   BSON_APPEND_DOCUMENT_BEGIN(&filter, "ts", &range);
   bson_append_timestamp(&range, "$gt", -1, t->last.t, t->last.i);
   bson_append_document_end(&filter, &range);
   BSON_APPEND_BOOL(&opts, "tailable", true);
   BSON_APPEND_BOOL(&opts, "awaitData", true);
   BSON_APPEND_INT64(&opts, "maxAwaitTimeMS", t->await_ms);
   t->cur = mongoc_collection_find_with_opts(t->coll, &filter, &opts, NULL);
   t->query = t->last;
   t->checked = false;
   bson_destroy(&filter);
   bson_destroy(&opts);
}

static bool gap_error(mb_error_t *err, mb_oplog_ts_t from, bool any, mb_oplog_ts_t oldest,
                      bool *gap)
{
   char a[24], b[24];

   *gap = true;
   mb_error_set(err, MB_EXIT_SERVER,
                "oplog gap: the oplog rolled over past %s, the last entry archived (its oldest "
                "entry is %s): the entries in between are lost; a new chain starts",
                mb_oplog_ts_format(from, a, sizeof a),
                any ? mb_oplog_ts_format(oldest, b, sizeof b) : "none");
   return false;
}

/* After the first answer of a query: the oldest entry must not be newer than the point it
 * resumed from (0:0, the very start, is never a gap). */
static bool check_gap(mb_oplog_tail_t *t, bool *gap, mb_error_t *err)
{
   mb_oplog_ts_t oldest;
   bool empty;

   t->checked = true;
   if (t->query.t == 0 && t->query.i == 0) {
      return true;
   }
   if (!mb_oplog_oldest(t->c, &oldest, &empty, err)) {
      return false;
   }
   if (!empty && mb_oplog_ts_cmp(oldest, t->query) > 0) {
      return gap_error(err, t->query, true, oldest, gap);
   }
   return true;
}

static void nap(int ms)
{
   struct timespec ts = {ms / 1000, (long) (ms % 1000) * 1000000L};
   nanosleep(&ts, NULL);
}

bool mb_oplog_tail_next(mb_oplog_tail_t *t, const bson_t **doc, mb_oplog_ts_t *ts, bool *gap,
                        mb_error_t *err)
{
   const bson_t *d = NULL;
   bson_error_t de;
   bson_iter_t it;
   bool got;

   *doc = NULL;
   *gap = false;
   if (!t->cur) {
      open_cursor(t);
   }
   got = mongoc_cursor_next(t->cur, &d);
   if (mongoc_cursor_error(t->cur, &de)) {
      if (de.code == CAPPED_POSITION_LOST) {
         mb_oplog_ts_t none = {0, 0};
         return gap_error(err, t->last, false, none, gap);
      }
      mb_client_error(err, &de, "tailing the oplog local.oplog.rs");
      return false;
   }
   if (!t->checked && !check_gap(t, gap, err)) {
      return false;
   }
   if (got) {
      if (!bson_iter_init_find(&it, d, "ts") || !BSON_ITER_HOLDS_TIMESTAMP(&it)) {
         mb_error_set(err, MB_EXIT_SERVER,
                      "an entry of local.oplog.rs has no timestamp 'ts': this is not an oplog");
         return false;
      }
      bson_iter_timestamp(&it, &ts->t, &ts->i);
      t->last = *ts;
      *doc = d;
      return true;
   }
   if (!mongoc_cursor_more(t->cur)) {
      /* the server ended the cursor: query again from the last entry, after a pause (a server
       * that keeps it open waits await_ms in the call above instead) */
      mongoc_cursor_destroy(t->cur);
      t->cur = NULL;
      nap(t->await_ms < 500 ? t->await_ms : 500);
   }
   return true;
}
