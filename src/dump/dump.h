/* The dump engine: planner -> N readers -> bounded block queue -> one archive writer ->
 * compressor -> output file (docs/architecture.md §2). Memory is bounded by block size x pool
 * depth. */
#ifndef MB_DUMP_DUMP_H
#define MB_DUMP_DUMP_H

#include "archive/compress.h"
#include "archive/crypt.h"
#include "common/nsstats.h"
#include "dump/plan.h"

#include <stdatomic.h>

typedef struct {
   const char *uri;
   mb_plan_opts_t select;
   const char *output;    /* file path (or storage URL), "-" for stdout; never NULL */
   unsigned output_flags; /* MB_REPO_* (storage/repo.h): 0 replaces an existing file */
   bool output_dir;       /* output is a directory in mongodump's --out layout (archive/dirout.h);
                           * MB_FILE_REPLACE in output_flags replaces a non-empty one */
   mb_compress_t compress;
   int level;
   int compress_threads;
   int jobs;                 /* reader threads, also the archive's concurrent_collections */
   const atomic_int *cancel; /* optional: set non-zero to stop the dump (timeouts) */
   int socket_timeout_ms;    /* 0: the URI's or the driver's default */
   mb_crypt_key_t *encrypt;  /* encrypt the archive after compression with it (not --out) */
   bool oplog; /* point in time (dump/oplog.h): the oplog written during the dump, last; needs
                * local.oplog.rs, a whole-server archive (no --db, no --out) */
} mb_dump_opts_t;

typedef struct {
   char *output; /* the name the archive was published under (numbered with MB_FILE_UNIQUE) */
   char *server_version;
   mb_ns_stats_t *ns; /* in dump order; with --oplog the oplog last (ns[nns - 1].oplog) */
   int nns;
   char **warnings; /* NULL-terminated */
   uint64_t docs, bytes_in, bytes_out;
   double seconds;
} mb_dump_report_t;

/* One namespace being read, as the progress callback sees it. */
typedef struct {
   const char *db, *collection;
   uint64_t bytes;          /* BSON bytes read so far (advances inside the collection) */
   uint64_t bytes_expected; /* the server's estimate from planning (collStats), 0 when unknown */
} mb_dump_progress_ns_t;

/* Live figures, handed to the progress callback about 4 times a second (main thread). The
 * byte counts are those the readers published (at least every MB_DUMP_PROGRESS_GRAIN bytes
 * of a collection and at the end of each cursor). Everything is borrowed for the call. */
typedef struct {
   int ns_done, ns_total;
   uint64_t docs, bytes, bytes_expected;
   const char *current; /* a namespace being read (its collection name), or NULL */
   double seconds;
   const mb_dump_progress_ns_t *reading; /* the namespaces being read, in dump order */
   int nreading;
} mb_dump_progress_t;

#define MB_DUMP_PROGRESS_GRAIN (1u << 20)

typedef void (*mb_dump_progress_fn)(const mb_dump_progress_t *p, void *user_data);

/* Run one dump. On success the archive is complete and durable under report->output and *report
 * is made for the caller. On failure nothing is left under the final name; the error says what
 * failed, on what (namespace, file), with the code of its class (CONNECT, AUTH, SERVER, IO...).
 * A selection that matches nothing fails with MB_EXIT_NOTHING and writes no file. With
 * opts->oplog: USAGE when the server has no oplog, SERVER when it rolled over during the dump. */
MB_MUST_CHECK bool mb_dump_run(const mb_dump_opts_t *opts, mb_dump_progress_fn progress,
                               void *user_data, mb_dump_report_t **report, mb_error_t *err);

void mb_dump_report_destroy(mb_dump_report_t *r);

#endif
