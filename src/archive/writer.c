#include "archive/writer.h"
#include "archive/crc64.h"
#include "archive/format.h"
#include "common/buf.h"

#include <stdlib.h>
#include <string.h>

#define OUT_BUFFER (1u << 20)
#define DIRECT_WRITE (256u << 10) /* document runs this large bypass the output buffer */

typedef enum { NS_UNOPENED, NS_OPEN, NS_CLOSED } ns_state_t;

typedef struct {
   char *db;
   char *collection;      /* prelude name */
   char *data_collection; /* name used in block headers */
   char *metadata;
   char *type;
   mb_ns_kind_t kind;
   ns_state_t state;
   uint64_t crc, docs, bytes;
} ns_t;

struct mb_archive_writer {
   mb_sink_t *sink;
   char *server_version;
   char *tool_version;
   int32_t concurrent;
   ns_t *ns;
   int nns, cap;
   int current; /* namespace whose segment is open, -1 when none */
   int open_regular;
   bool begun, regular_seen, oplog_seen;
   mb_buf_t out;
};

static bool flush(mb_archive_writer_t *w, mb_error_t *err)
{
   bool ok = mb_sink_write(w->sink, w->out.data, w->out.len, err);
   mb_buf_reset(&w->out);
   return ok;
}

static bool emit(mb_archive_writer_t *w, const void *data, size_t len, mb_error_t *err)
{
   if (w->out.len + len > OUT_BUFFER && !flush(w, err)) {
      return false;
   }
   if (len >= DIRECT_WRITE) {
      return flush(w, err) && mb_sink_write(w->sink, data, len, err);
   }
   return mb_buf_append(&w->out, data, len, err);
}

static bool emit_terminator(mb_archive_writer_t *w, mb_error_t *err)
{
   static const uint8_t term[4] = {0xff, 0xff, 0xff, 0xff};
   return emit(w, term, 4, err);
}

static bool emit_bson(mb_archive_writer_t *w, const bson_t *b, mb_error_t *err)
{
   return emit(w, bson_get_data(b), b->len, err);
}

bool mb_archive_writer_new(mb_sink_t *sink, const mb_archive_header_t *hdr,
                           mb_archive_writer_t **out, mb_error_t *err)
{
   mb_archive_writer_t *w;
   int a, b, c;

   if (hdr->concurrent_collections < 1) {
      mb_error_set(err, MB_EXIT_USAGE, "concurrent_collections must be at least 1, not %d",
                   (int) hdr->concurrent_collections);
      return false;
   }
   if (!hdr->server_version || !mb_archive_parse_version(hdr->server_version, &a, &b, &c)) {
      mb_error_set(err, MB_EXIT_USAGE,
                   "server version '%s' does not parse as X.Y.Z; mongorestore would refuse the "
                   "archive",
                   hdr->server_version ? hdr->server_version : "(null)");
      return false;
   }
   w = calloc(1, sizeof *w);
   if (!w) {
      mb_error_set(err, MB_EXIT_FAILURE, "out of memory");
      return false;
   }
   w->sink = sink;
   w->concurrent = hdr->concurrent_collections;
   w->server_version = bson_strdup(hdr->server_version);
   w->tool_version = bson_strdup(hdr->tool_version ? hdr->tool_version : "");
   w->current = -1;
   mb_buf_init(&w->out, OUT_BUFFER + DIRECT_WRITE);
   *out = w;
   return true;
}

bool mb_archive_writer_add_namespace(mb_archive_writer_t *w, const char *db, const char *collection,
                                     const char *metadata, const char *type, int *id,
                                     mb_error_t *err)
{
   ns_t *n;

   BSON_ASSERT(!w->begun);
   if (collection[0] == '\0') {
      mb_error_set(err, MB_EXIT_USAGE, "namespace in database '%s' has an empty collection name",
                   db);
      return false;
   }
   for (int i = 0; i < w->nns; i++) {
      if (strcmp(w->ns[i].db, db) == 0 && strcmp(w->ns[i].collection, collection) == 0) {
         mb_error_set(err, MB_EXIT_USAGE, "namespace '%s.%s' declared twice", db, collection);
         return false;
      }
   }
   if (w->nns == w->cap) {
      int cap = w->cap ? w->cap * 2 : 16;
      ns_t *p = realloc(w->ns, (size_t) cap * sizeof *p);
      if (!p) {
         mb_error_set(err, MB_EXIT_FAILURE, "out of memory");
         return false;
      }
      w->ns = p;
      w->cap = cap;
   }
   n = &w->ns[w->nns];
   memset(n, 0, sizeof *n);
   n->db = bson_strdup(db);
   n->collection = bson_strdup(collection);
   n->metadata = bson_strdup(metadata ? metadata : "");
   n->type = bson_strdup(type ? type : "");
   n->data_collection = mb_archive_data_collection(collection, type, w->server_version);
   n->kind = mb_archive_ns_kind(db, collection);
   *id = w->nns++;
   return true;
}

bool mb_archive_writer_begin(mb_archive_writer_t *w, mb_error_t *err)
{
   static const uint8_t magic[4] = {0x6d, 0xe2, 0x99, 0x81};
   bson_t h = BSON_INITIALIZER;
   bool ok;

   BSON_ASSERT(!w->begun);
   w->begun = true;
   BSON_APPEND_INT32(&h, "concurrent_collections", w->concurrent);
   BSON_APPEND_UTF8(&h, "version", MB_ARCHIVE_FORMAT_VERSION);
   BSON_APPEND_UTF8(&h, "server_version", w->server_version);
   BSON_APPEND_UTF8(&h, "tool_version", w->tool_version);
   ok = emit(w, magic, 4, err) && emit_bson(w, &h, err);
   bson_destroy(&h);
   for (int i = 0; ok && i < w->nns; i++) {
      bson_t m = BSON_INITIALIZER;
      BSON_APPEND_UTF8(&m, "db", w->ns[i].db);
      BSON_APPEND_UTF8(&m, "collection", w->ns[i].collection);
      BSON_APPEND_UTF8(&m, "metadata", w->ns[i].metadata);
      BSON_APPEND_INT32(&m, "size", 0);
      BSON_APPEND_UTF8(&m, "type", w->ns[i].type);
      ok = emit_bson(w, &m, err);
      bson_destroy(&m);
   }
   return ok && emit_terminator(w, err);
}

static bool emit_header(mb_archive_writer_t *w, const ns_t *n, bool eof, mb_error_t *err)
{
   bson_t h = BSON_INITIALIZER;
   bool ok;

   BSON_APPEND_UTF8(&h, "db", n->db);
   BSON_APPEND_UTF8(&h, "collection", n->data_collection);
   BSON_APPEND_BOOL(&h, "EOF", eof);
   BSON_APPEND_INT64(&h, "CRC", eof ? (int64_t) n->crc : 0);
   ok = emit_bson(w, &h, err);
   bson_destroy(&h);
   return ok;
}

/* The ordering rules mongorestore depends on, checked when a namespace opens. */
static bool check_open(mb_archive_writer_t *w, const ns_t *n, mb_error_t *err)
{
   if (w->oplog_seen) {
      mb_error_set(err, MB_EXIT_USAGE, "namespace '%s.%s' written after the oplog", n->db,
                   n->collection);
      return false;
   }
   if (n->kind == MB_NS_SPECIAL && w->regular_seen) {
      mb_error_set(err, MB_EXIT_USAGE,
                   "special namespace '%s.%s' must be written before regular namespaces", n->db,
                   n->collection);
      return false;
   }
   if (n->kind == MB_NS_OPLOG && w->open_regular > 0) {
      mb_error_set(err, MB_EXIT_USAGE, "the oplog must be written after every other namespace");
      return false;
   }
   if (n->kind == MB_NS_REGULAR && w->open_regular >= w->concurrent) {
      mb_error_set(err, MB_EXIT_USAGE,
                   "opening '%s.%s' would leave more than %d namespaces open at once "
                   "(mongorestore would hang)",
                   n->db, n->collection, (int) w->concurrent);
      return false;
   }
   return true;
}

static bool switch_to(mb_archive_writer_t *w, int id, mb_error_t *err)
{
   ns_t *n = &w->ns[id];

   if (w->current == id) {
      return true;
   }
   if (n->state == NS_CLOSED) {
      mb_error_set(err, MB_EXIT_USAGE, "namespace '%s.%s' written after its end", n->db,
                   n->collection);
      return false;
   }
   if (n->state == NS_UNOPENED) {
      if (!check_open(w, n, err)) {
         return false;
      }
      n->state = NS_OPEN;
      w->regular_seen |= n->kind == MB_NS_REGULAR;
      w->oplog_seen |= n->kind == MB_NS_OPLOG;
      w->open_regular += n->kind == MB_NS_REGULAR;
   }
   if (w->current >= 0 && !emit_terminator(w, err)) {
      return false;
   }
   w->current = id;
   return emit_header(w, n, false, err);
}

/* Check that docs holds whole documents of sane length ending in NUL; count them. */
static bool check_docs(const ns_t *n, const uint8_t *docs, size_t len, uint64_t *count,
                       mb_error_t *err)
{
   size_t pos = 0;
   uint64_t k = 0;

   while (pos < len) {
      uint32_t dl;
      if (len - pos < 4) {
         goto bad;
      }
      memcpy(&dl, docs + pos, 4);
      dl = BSON_UINT32_FROM_LE(dl);
      if (dl > MB_ARCHIVE_MAX_BSON) {
         mb_error_set(err, MB_EXIT_CORRUPT,
                      "document of %u bytes in '%s.%s' exceeds the 16 MiB BSON limit", dl, n->db,
                      n->collection);
         return false;
      }
      if (dl < MB_ARCHIVE_MIN_BSON || dl > len - pos || docs[pos + dl - 1] != 0) {
         goto bad;
      }
      pos += dl;
      k++;
   }
   *count = k;
   return true;
bad:
   mb_error_set(err, MB_EXIT_CORRUPT, "malformed BSON document at byte %zu of a write to '%s.%s'",
                pos, n->db, n->collection);
   return false;
}

bool mb_archive_writer_write_checked(mb_archive_writer_t *w, int id, const uint8_t *docs,
                                     size_t len, uint64_t ndocs, mb_error_t *err)
{
   ns_t *n;

   BSON_ASSERT(w->begun && id >= 0 && id < w->nns);
   n = &w->ns[id];
   if (!switch_to(w, id, err)) {
      return false;
   }
   n->crc = mb_crc64_update(n->crc, docs, len);
   n->docs += ndocs;
   n->bytes += len;
   return emit(w, docs, len, err);
}

bool mb_archive_writer_write(mb_archive_writer_t *w, int id, const uint8_t *docs, size_t len,
                             mb_error_t *err)
{
   uint64_t count;

   BSON_ASSERT(w->begun && id >= 0 && id < w->nns);
   return check_docs(&w->ns[id], docs, len, &count, err) &&
          mb_archive_writer_write_checked(w, id, docs, len, count, err);
}

bool mb_archive_writer_end_namespace(mb_archive_writer_t *w, int id, mb_error_t *err)
{
   ns_t *n;

   BSON_ASSERT(w->begun && id >= 0 && id < w->nns);
   n = &w->ns[id];
   if (n->state == NS_CLOSED) {
      mb_error_set(err, MB_EXIT_USAGE, "namespace '%s.%s' ended twice", n->db, n->collection);
      return false;
   }
   if (n->state == NS_UNOPENED && !switch_to(w, id, err)) {
      return false;
   }
   if (w->current >= 0 && !emit_terminator(w, err)) {
      return false;
   }
   w->current = -1;
   n->state = NS_CLOSED;
   w->open_regular -= n->kind == MB_NS_REGULAR;
   return emit_header(w, n, true, err) && emit_terminator(w, err);
}

bool mb_archive_writer_finish(mb_archive_writer_t *w, mb_error_t *err)
{
   for (int i = 0; i < w->nns; i++) {
      if (w->ns[i].state != NS_CLOSED) {
         mb_error_set(err, MB_EXIT_USAGE, "namespace '%s.%s' was never ended", w->ns[i].db,
                      w->ns[i].collection);
         return false;
      }
   }
   return flush(w, err);
}

void mb_archive_writer_ns_stats(const mb_archive_writer_t *w, int id, uint64_t *docs,
                                uint64_t *bytes, uint64_t *crc)
{
   BSON_ASSERT(id >= 0 && id < w->nns);
   *docs = w->ns[id].docs;
   *bytes = w->ns[id].bytes;
   *crc = w->ns[id].crc;
}

void mb_archive_writer_destroy(mb_archive_writer_t *w)
{
   if (!w) {
      return;
   }
   for (int i = 0; i < w->nns; i++) {
      bson_free(w->ns[i].db);
      bson_free(w->ns[i].collection);
      bson_free(w->ns[i].data_collection);
      bson_free(w->ns[i].metadata);
      bson_free(w->ns[i].type);
   }
   free(w->ns);
   bson_free(w->server_version);
   bson_free(w->tool_version);
   mb_buf_destroy(&w->out);
   free(w);
}
