/* mongobak-synth's server state, connections and command handlers. */
#ifndef SYN_SERVER_H
#define SYN_SERVER_H

#include "gen.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sys/uio.h>

#define SYN_MAX_MESSAGE 48000000       /* maxMessageSizeBytes */
#define SYN_OVERSIZE_BYTES (56u << 20) /* --oversize-reply: documents of a reply over the limit */
#define SYN_MAX_OVERSIZE 8
#define SYN_TPAGES 8        /* prebuilt pages one connection holds */
#define SYN_TPAGES_SPARE 48 /* prebuilt pages kept between connections */
#define SYN_MAX_SEQ 4       /* document sequences per OP_MSG */
#define SYN_MAX_APPLIED 32  /* kinds of applyOps operations counted */

typedef struct {
   int64_t id;
   const syn_coll_t *coll;
   bool id_order;      /* positions are _id-order indexes; else natural positions */
   bool ids_only;      /* projection {_id: 1} */
   bool busy;          /* a getMore is being served */
   uint64_t pos, end;  /* next position and the end of the range */
   int64_t limit_left; /* -1: no limit */
   double send_after;  /* --cursor-mbps: monotonic time before which no next batch is sent */
} syn_cursor_t;

typedef struct syn_oplog syn_oplog_t;

typedef struct {
   char db[64];
   uint64_t seed;
   int port;
   /* --replset: hello answers as the primary of this replica set ("" : a standalone) */
   char replset[64];
   /* --oplog (oplog.c): local.oplog.rs; NULL without it */
   syn_oplog_t *oplog;
   uint64_t oplog_reveal_after; /* data replies before the hidden entries appear; 0: never */
   bool oplog_rollover;         /* the reveal also drops the entries before the hidden ones */
   bool oplog_open_txn;         /* config.transactions holds an open transaction until then */
   syn_pool_t pools[SYN_NPROFILES];
   syn_coll_t *colls;
   int ncolls;
   bool log;
   bool refuse_splitvector;
   double cursor_bps; /* > 0: each cursor's batches flow at most this fast (bytes/s) */
   /* --oversize-reply: these data replies (find/getMore, counted from 1 over the server) ignore
    * batchSize and the 16 MiB cap, as FerretDB and other servers without a cap do */
   uint64_t oversize_lo[SYN_MAX_OVERSIZE], oversize_hi[SYN_MAX_OVERSIZE];
   int noversize;
   /* --vanish-after: once this many data replies went out, natural-order cursors opened later
    * start one document later, as if the first document had been deleted; 0: never */
   uint64_t vanish_after;
   atomic_uint_fast64_t data_replies;
   atomic_int next_conn;
   pthread_mutex_t lock; /* guards the cursor table and the spare pages */
   syn_cursor_t **cursors;
   int ncursors, cursors_cap;
   atomic_uint_fast64_t next_cursor;
   struct syn_tpage *spare[SYN_TPAGES_SPARE]; /* oldest first */
   int nspare;
   int *coll_slots; /* open-addressing index of colls by name (-1: empty) */
   size_t coll_slots_cap;
   /* Writes (create, insert, createIndexes, drop): namespaces written to, counted, never
    * stored; see writes.c */
   pthread_mutex_t wlock;
   struct syn_wns **wns; /* open-addressing table of written namespaces (NULL: empty) */
   size_t wns_cap, nwns;
   bool validate_full; /* --validate-writes full: bson_validate every document */
   /* applyOps (oplog.c): operations applied per kind ("i", "u", "d", "n", "c:<command>"),
    * counted under wlock, never applied */
   struct {
      char kind[48];
      uint64_t n;
   } applied[SYN_MAX_APPLIED];
   int napplied;
} syn_server_t;

typedef struct {
   uint8_t *data;
   size_t len, cap;
} syn_buf_t;

/* One page of a pool as array elements; a connection holding it writes its _ids in place.
 * Connections hand their pages back to the server when they close, so the next connection
 * reuses them without rebuilding. */
typedef struct syn_tpage {
   const syn_pool_t *pool;
   syn_id_t id;
   int page;
   uint8_t *elems;
   size_t len;
   uint32_t *id_off;
} syn_tpage_t;

typedef struct {
   syn_server_t *srv;
   int fd, id;
   syn_buf_t in, out, batch;
   struct iovec iov[3]; /* the reply's body document, in pieces */
   int niov;
   size_t body_len;
   syn_tpage_t *tpages[SYN_TPAGES];
   int tpage_next;
   /* The OP_MSG kind-1 sections (document sequences) of the message being served */
   struct {
      const char *id;
      const uint8_t *data;
      size_t len;
   } seq[SYN_MAX_SEQ];
   int nseq;
} syn_conn_t;

/* Grow b to hold at least n bytes; aborts on out of memory (a benchmark instrument). */
void syn_buf_reserve(syn_buf_t *b, size_t n);

/* Run one command (its first key names it) against database db and leave the reply's body
 * document in c->iov / c->niov / c->body_len. */
void syn_command(syn_conn_t *c, const char *db, const bson_t *cmd);

/* FNV-1a of a name, for the tables of collections and written namespaces. */
static inline uint64_t syn_name_hash(const char *name)
{
   uint64_t h = 14695981039346656037ull;
   for (; *name; name++) {
      h = (h ^ (uint8_t) *name) * 1099511628211ull;
   }
   return h;
}

/* The generated collection db.name, or NULL. */
const syn_coll_t *syn_find_coll(const syn_server_t *s, const char *db, const char *name);

/* {v: 2, key: {_id: 1}, name: "_id_"} as out's field key. */
void syn_append_id_index(bson_t *out, const char *key);
/* listCollections filters: {} or name and/or type (strings); *supported false otherwise. */
bool syn_filter_matches(const bson_t *filter, const char *name, bool *supported);

/* ---- writes.c ---- */

/* Reply helpers shared by commands.c and writes.c. */
void syn_reply_doc(syn_conn_t *c, const bson_t *doc);
void syn_reply_ok(syn_conn_t *c, bson_t *r);
void syn_reply_error(syn_conn_t *c, int code, const char *code_name, const char *fmt, ...)
    BSON_GNUC_PRINTF(4, 5);

void syn_cmd_create(syn_conn_t *c, const char *db, const bson_t *cmd);
void syn_cmd_insert(syn_conn_t *c, const char *db, const bson_t *cmd);
void syn_cmd_create_indexes(syn_conn_t *c, const char *db, const bson_t *cmd);
void syn_cmd_drop(syn_conn_t *c, const char *db, const bson_t *cmd);
void syn_cmd_drop_database(syn_conn_t *c, const char *db, const bson_t *cmd);
void syn_cmd_stats(syn_conn_t *c, const char *db, const bson_t *cmd);

/* Append the written (live) collections of db to a listCollections batch from key n on, skipping
 * names the generator serves; returns the next key. */
uint32_t syn_list_written(syn_server_t *s, const char *db, const bson_t *filter, bool name_only,
                          bson_t *batch, uint32_t n);
/* The listIndexes batch of a written collection; false when db.name was not written. */
bool syn_written_indexes(syn_server_t *s, const char *db, const char *name, bson_t *batch);
/* Documents counted in a written collection; false when db.name was not written. */
bool syn_written_count(syn_server_t *s, const char *db, const char *name, uint64_t *docs,
                       uint64_t *bytes);
/* Append the names of the databases with written collections other than skip to array a from
 * key n on; returns the next key. */
uint32_t syn_written_dbs(syn_server_t *s, const char *skip, bson_t *a, uint32_t n);
/* The write statistics (per namespace documents, bytes, invalid documents, indexes) into out;
 * with reset, forget every written namespace. */
void syn_write_stats(syn_server_t *s, bson_t *out, bool reset);

/* ---- oplog.c ---- */

/* The oplog from spec ("builtin", "builtin-rename" or a file of BSON entries) for database db;
 * hidden >= 0: the last `hidden` entries are hidden at start (default: the built-in's second
 * phase, none of a file's). Exits on a file that cannot be read. */
syn_oplog_t *syn_oplog_new(const char *spec, const char *db, uint64_t seed, long hidden,
                           uint64_t nfill);
/* getMore of an oplog cursor: true when id is one (served), false to look elsewhere. */
bool syn_oplog_get_more(syn_conn_t *c, int64_t id, const bson_t *cmd);
/* find on local.oplog.rs or config.transactions: true when served. */
bool syn_oplog_find(syn_conn_t *c, const char *db, const char *coll, const bson_t *cmd);
/* The newest visible entry's timestamp (0:0 when none). */
void syn_oplog_newest(syn_server_t *s, uint32_t *t, uint32_t *i);
/* {synthOplog: "reveal" | "rollover" | "reset" | "status"} */
void syn_cmd_synth_oplog(syn_conn_t *c, const char *db, const bson_t *cmd);
/* applyOps: each operation counted by kind (nested applyOps recursed), none applied. */
void syn_cmd_apply_ops(syn_conn_t *c, const char *db, const bson_t *cmd);
/* The applyOps counts as out's document "applyOps" ({kind: n}); with reset, forget them. The
 * caller holds wlock. */
void syn_applied_stats(syn_server_t *s, bson_t *out, bool reset);

/* local.oplog.rs in a listCollections batch of database local (from key *n on). */
void syn_oplog_list(syn_server_t *s, const char *db, const bson_t *filter, bool name_only,
                    bson_t *batch, uint32_t *n);

/* Free a connection's buffers; its prebuilt pages go back to the server. */
void syn_conn_free(syn_conn_t *c);

#endif
