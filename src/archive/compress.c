#include "archive/compress.h"
#include "common/readahead.h"

#include <isa-l/igzip_lib.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#define GZ_BLOCK (4u << 20)   /* input bytes per gzip member */
#define IN_CHUNK (256u << 10) /* compressed bytes read at once */
#define RA_CHUNK (1u << 20)   /* decompressed bytes per read-ahead chunk */
#define RA_DEPTH 4            /* chunks decompressed ahead of the reader */

static const char *names[] = {"none", "gzip", "zstd"};

bool mb_compress_parse(const char *s, mb_compress_t *out)
{
   for (int i = 0; i < 3; i++) {
      if (strcmp(s, names[i]) == 0) {
         *out = (mb_compress_t) i;
         return true;
      }
   }
   return false;
}

const char *mb_compress_name(mb_compress_t c)
{
   return names[c];
}

const char *mb_compress_extension(mb_compress_t c)
{
   return c == MB_COMPRESS_GZIP ? ".gz" : c == MB_COMPRESS_ZSTD ? ".zst" : "";
}

int mb_compress_default_level(mb_compress_t c)
{
   return c == MB_COMPRESS_GZIP ? 3 : c == MB_COMPRESS_ZSTD ? 3 : 0;
}

bool mb_compress_level_valid(mb_compress_t c, int level)
{
   switch (c) {
   case MB_COMPRESS_GZIP:
      return level >= 1 && level <= 9;
   case MB_COMPRESS_ZSTD:
      return level >= 1 && level <= ZSTD_maxCLevel();
   default:
      return level == 0;
   }
}

static bool oom(mb_error_t *err)
{
   mb_error_set(err, MB_EXIT_FAILURE, "out of memory");
   return false;
}

/* ---- zstd sink ---- */

typedef struct {
   mb_sink_t base;
   mb_sink_t *down;
   ZSTD_CCtx *cctx;
   uint8_t *out;
   size_t out_cap;
} zstd_sink_t;

static bool zstd_pump(zstd_sink_t *z, const void *data, size_t len, ZSTD_EndDirective mode,
                      mb_error_t *err)
{
   ZSTD_inBuffer in = {data, len, 0};
   size_t left;

   do {
      ZSTD_outBuffer out = {z->out, z->out_cap, 0};
      left = ZSTD_compressStream2(z->cctx, &out, &in, mode);
      if (ZSTD_isError(left)) {
         mb_error_set(err, MB_EXIT_FAILURE, "zstd compression failed: %s", ZSTD_getErrorName(left));
         return false;
      }
      if (!mb_sink_write(z->down, z->out, out.pos, err)) {
         return false;
      }
   } while (mode == ZSTD_e_end ? left != 0 : in.pos < in.size);
   return true;
}

static bool zstd_write(mb_sink_t *s, const void *data, size_t len, mb_error_t *err)
{
   return zstd_pump((zstd_sink_t *) s, data, len, ZSTD_e_continue, err);
}

static bool zstd_close(mb_sink_t *s, mb_error_t *err)
{
   zstd_sink_t *z = (zstd_sink_t *) s;
   return zstd_pump(z, NULL, 0, ZSTD_e_end, err) && mb_sink_close(z->down, err);
}

static void zstd_destroy(mb_sink_t *s)
{
   zstd_sink_t *z = (zstd_sink_t *) s;
   ZSTD_freeCCtx(z->cctx);
   mb_sink_destroy(z->down);
   free(z->out);
   free(z);
}

static bool zstd_sink_new(int level, int threads, mb_sink_t *down, mb_sink_t **out, mb_error_t *err)
{
   static const mb_sink_t ops = {.write = zstd_write, .close = zstd_close, .destroy = zstd_destroy};
   zstd_sink_t *z = mb_sink_alloc(sizeof *z, &ops, err);

   if (!z) {
      mb_sink_destroy(down);
      return false;
   }
   z->down = down;
   z->out_cap = ZSTD_CStreamOutSize();
   z->out = malloc(z->out_cap);
   z->cctx = ZSTD_createCCtx();
   if (!z->out || !z->cctx) {
      zstd_destroy(&z->base);
      return oom(err);
   }
   ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_compressionLevel, level);
   ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_checksumFlag, 1);
   if (threads > 1) {
      /* fails harmlessly on a libzstd built without threads: compression stays single-threaded */
      ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_nbWorkers, threads);
   }
   *out = &z->base;
   return true;
}

/* ---- gzip sink: one gzip member per GZ_BLOCK of input, compressed by worker threads ---- */

typedef enum { SLOT_FREE, SLOT_PENDING, SLOT_RUNNING, SLOT_DONE } slot_state_t;

typedef struct {
   uint8_t *in, *out;
   uint8_t *isal_buf; /* ISA-L's working memory for levels 1-3 */
   size_t in_len, out_len, out_cap;
   _Atomic(slot_state_t) state; /* read without the lock by the writing thread */
   bool ok;
} slot_t;

typedef struct {
   mb_sink_t base;
   mb_sink_t *down;
   int level, nthreads, nslots;
   slot_t *slots;
   int fill, oldest; /* slot being filled; oldest slot submitted and not yet written */
   pthread_t *threads;
   pthread_mutex_t lock;
   pthread_cond_t work, done;
   bool stop;
} gz_sink_t;

/* Levels 1-3: ISA-L igzip (several times faster than zlib, a slightly larger output);
 * 4-9: zlib. Both write one complete gzip member. */
static bool deflate_member_isal(int level, slot_t *sl)
{
   struct isal_zstream zs;

   isal_deflate_init(&zs);
   zs.level = (uint32_t) level;
   zs.level_buf = sl->isal_buf;
   zs.level_buf_size = ISAL_DEF_LVL3_DEFAULT;
   zs.gzip_flag = IGZIP_GZIP;
   zs.end_of_stream = 1;
   zs.flush = NO_FLUSH;
   zs.next_in = sl->in;
   zs.avail_in = (uint32_t) sl->in_len;
   zs.next_out = sl->out;
   zs.avail_out = (uint32_t) sl->out_cap;
   if (isal_deflate(&zs) != COMP_OK || zs.internal_state.state != ZSTATE_END) {
      return false;
   }
   sl->out_len = sl->out_cap - zs.avail_out;
   return true;
}

static bool deflate_member(int level, slot_t *sl)
{
   z_stream zs;
   bool ok;

   if (level <= ISAL_DEF_MAX_LEVEL) {
      return deflate_member_isal(level, sl);
   }
   memset(&zs, 0, sizeof zs);
   if (deflateInit2(&zs, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
      return false;
   }
   zs.next_in = sl->in;
   zs.avail_in = (uInt) sl->in_len;
   zs.next_out = sl->out;
   zs.avail_out = (uInt) sl->out_cap;
   ok = deflate(&zs, Z_FINISH) == Z_STREAM_END;
   sl->out_len = sl->out_cap - zs.avail_out;
   deflateEnd(&zs);
   return ok;
}

static void *gz_worker(void *arg)
{
   gz_sink_t *g = arg;

   pthread_mutex_lock(&g->lock);
   for (;;) {
      slot_t *sl = NULL;
      for (int k = 0; k < g->nslots && !sl; k++) {
         slot_t *c = &g->slots[(g->oldest + k) % g->nslots];
         sl = c->state == SLOT_PENDING ? c : NULL;
      }
      if (!sl) {
         if (g->stop) {
            break;
         }
         pthread_cond_wait(&g->work, &g->lock);
         continue;
      }
      sl->state = SLOT_RUNNING;
      pthread_mutex_unlock(&g->lock);
      sl->ok = deflate_member(g->level, sl);
      pthread_mutex_lock(&g->lock);
      sl->state = SLOT_DONE;
      pthread_cond_broadcast(&g->done);
   }
   pthread_mutex_unlock(&g->lock);
   return NULL;
}

/* Write the oldest submitted slot once it is compressed. */
static bool gz_drain_one(gz_sink_t *g, mb_error_t *err)
{
   slot_t *sl = &g->slots[g->oldest];
   bool ok;

   if (g->nthreads > 0) {
      pthread_mutex_lock(&g->lock);
      while (sl->state != SLOT_DONE) {
         pthread_cond_wait(&g->done, &g->lock);
      }
      pthread_mutex_unlock(&g->lock);
   } else {
      sl->ok = deflate_member(g->level, sl);
   }
   if (!sl->ok) {
      mb_error_set(err, MB_EXIT_FAILURE, "gzip compression failed");
      return false;
   }
   ok = mb_sink_write(g->down, sl->out, sl->out_len, err);
   if (g->nthreads > 0) {
      pthread_mutex_lock(&g->lock); /* the workers read oldest */
   }
   sl->state = SLOT_FREE;
   sl->in_len = 0;
   g->oldest = (g->oldest + 1) % g->nslots;
   if (g->nthreads > 0) {
      pthread_mutex_unlock(&g->lock);
   }
   return ok;
}

static bool gz_submit(gz_sink_t *g, mb_error_t *err)
{
   slot_t *sl = &g->slots[g->fill];

   pthread_mutex_lock(&g->lock);
   sl->state = SLOT_PENDING;
   pthread_cond_signal(&g->work);
   pthread_mutex_unlock(&g->lock);
   g->fill = (g->fill + 1) % g->nslots;
   /* the next slot to fill is free unless the ring is full: then write the oldest */
   if (g->slots[g->fill].state != SLOT_FREE) {
      return gz_drain_one(g, err);
   }
   return true;
}

static bool gz_write(mb_sink_t *s, const void *data, size_t len, mb_error_t *err)
{
   gz_sink_t *g = (gz_sink_t *) s;
   const uint8_t *p = data;

   while (len > 0) {
      slot_t *sl = &g->slots[g->fill];
      size_t n = GZ_BLOCK - sl->in_len < len ? GZ_BLOCK - sl->in_len : len;
      memcpy(sl->in + sl->in_len, p, n);
      sl->in_len += n;
      p += n;
      len -= n;
      if (sl->in_len == GZ_BLOCK && !gz_submit(g, err)) {
         return false;
      }
   }
   return true;
}

static bool gz_close(mb_sink_t *s, mb_error_t *err)
{
   gz_sink_t *g = (gz_sink_t *) s;
   bool wrote_any = false;

   for (int k = 0; k < g->nslots; k++) {
      wrote_any |= g->slots[k].state != SLOT_FREE;
   }
   /* an empty stream still gets one (empty) member so that the file is valid gzip */
   if ((g->slots[g->fill].in_len > 0 || (!wrote_any && g->base.bytes_in == 0)) &&
       !gz_submit(g, err)) {
      return false;
   }
   while (g->slots[g->oldest].state != SLOT_FREE) {
      if (!gz_drain_one(g, err)) {
         return false;
      }
   }
   return mb_sink_close(g->down, err);
}

static void gz_destroy(mb_sink_t *s)
{
   gz_sink_t *g = (gz_sink_t *) s;

   if (g->threads) {
      pthread_mutex_lock(&g->lock);
      g->stop = true;
      pthread_cond_broadcast(&g->work);
      pthread_mutex_unlock(&g->lock);
      for (int i = 0; i < g->nthreads; i++) {
         pthread_join(g->threads[i], NULL);
      }
      free(g->threads);
   }
   for (int i = 0; g->slots && i < g->nslots; i++) {
      free(g->slots[i].in);
      free(g->slots[i].out);
      free(g->slots[i].isal_buf);
   }
   free(g->slots);
   pthread_mutex_destroy(&g->lock);
   pthread_cond_destroy(&g->work);
   pthread_cond_destroy(&g->done);
   mb_sink_destroy(g->down);
   free(g);
}

static bool gz_sink_new(int level, int threads, mb_sink_t *down, mb_sink_t **out, mb_error_t *err)
{
   static const mb_sink_t ops = {.write = gz_write, .close = gz_close, .destroy = gz_destroy};
   gz_sink_t *g = mb_sink_alloc(sizeof *g, &ops, err);

   if (!g) {
      mb_sink_destroy(down);
      return false;
   }
   g->down = down;
   g->level = level;
   g->nthreads = threads > 1 ? threads : 0;
   g->nslots = g->nthreads > 0 ? 2 * g->nthreads : 1;
   pthread_mutex_init(&g->lock, NULL);
   pthread_cond_init(&g->work, NULL);
   pthread_cond_init(&g->done, NULL);
   g->slots = calloc((size_t) g->nslots, sizeof *g->slots);
   if (!g->slots) {
      gz_destroy(&g->base);
      return oom(err);
   }
   for (int i = 0; i < g->nslots; i++) {
      g->slots[i].out_cap = deflateBound(NULL, GZ_BLOCK) + GZ_BLOCK / 64 + 4096;
      g->slots[i].in = malloc(GZ_BLOCK);
      g->slots[i].out = malloc(g->slots[i].out_cap);
      g->slots[i].isal_buf = level <= ISAL_DEF_MAX_LEVEL ? malloc(ISAL_DEF_LVL3_DEFAULT) : NULL;
      if (!g->slots[i].in || !g->slots[i].out ||
          (level <= ISAL_DEF_MAX_LEVEL && !g->slots[i].isal_buf)) {
         gz_destroy(&g->base);
         return oom(err);
      }
   }
   if (g->nthreads > 0) {
      g->threads = calloc((size_t) g->nthreads, sizeof *g->threads);
      for (int i = 0; g->threads && i < g->nthreads; i++) {
         if (pthread_create(&g->threads[i], NULL, gz_worker, g) != 0) {
            g->nthreads = i;
            gz_destroy(&g->base);
            mb_error_set(err, MB_EXIT_FAILURE, "cannot start gzip compression threads");
            return false;
         }
      }
   }
   *out = &g->base;
   return true;
}

bool mb_compress_sink_new(mb_compress_t c, int level, int threads, mb_sink_t *down, mb_sink_t **out,
                          mb_error_t *err)
{
   switch (c) {
   case MB_COMPRESS_ZSTD:
      return zstd_sink_new(level, threads, down, out, err);
   case MB_COMPRESS_GZIP:
      return gz_sink_new(level, threads, down, out, err);
   default:
      *out = down;
      return true;
   }
}

/* ---- decompressing source ---- */

typedef struct {
   mb_source_t base;
   mb_source_t *down;
   mb_compress_t kind;
   uint8_t *in;
   size_t in_len, in_pos;
   bool in_eof;
   bool member_done;         /* gzip: between members; zstd: last frame complete */
   struct inflate_state *gz; /* ISA-L's inflate: about 3x zlib's speed, gzip wrapper checked */
   ZSTD_DCtx *dctx;
} dsrc_t;

static bool refill(dsrc_t *d, mb_error_t *err)
{
   size_t got;

   if (d->in_pos < d->in_len || d->in_eof) {
      return true;
   }
   if (!mb_source_read(d->down, d->in, IN_CHUNK, &got, err)) {
      return false;
   }
   d->in_pos = 0;
   d->in_len = got;
   d->in_eof = got == 0;
   return true;
}

static bool truncated(mb_error_t *err, const char *what)
{
   mb_error_set(err, MB_EXIT_CORRUPT,
                "corrupt archive: the %s stream is truncated (the file was cut short)", what);
   return false;
}

static const char *gz_problem(int rc)
{
   switch (rc) {
   case ISAL_INCORRECT_CHECKSUM: /* the trailer's CRC-32 or length */
      return "incorrect data check";
   case ISAL_INVALID_WRAPPER:
   case ISAL_UNSUPPORTED_METHOD:
      return "incorrect header check";
   default:
      return "invalid deflate data";
   }
}

static bool gz_read(dsrc_t *d, void *buf, size_t cap, size_t *got, mb_error_t *err)
{
   struct inflate_state *z = d->gz;

   z->next_out = buf;
   z->avail_out = (uint32_t) (cap > (1u << 30) ? (1u << 30) : cap);
   while (z->avail_out > 0) {
      bool produced = (void *) z->next_out != buf;
      int rc;
      if (produced && d->in_pos >= d->in_len) {
         break; /* hand out what we have rather than wait for more input */
      }
      if (!refill(d, err)) {
         return false;
      }
      if (d->in_eof) {
         if (!d->member_done) {
            return truncated(err, "gzip");
         }
         break;
      }
      if (d->member_done) {
         if (d->in[d->in_pos] != 0x1f) {
            mb_error_set(err, MB_EXIT_CORRUPT,
                         "corrupt archive: unexpected bytes after the end of the gzip stream");
            return false;
         }
         isal_inflate_reset(z);
         z->crc_flag = ISAL_GZIP;
         d->member_done = false;
      }
      z->next_in = d->in + d->in_pos;
      z->avail_in = (uint32_t) (d->in_len - d->in_pos);
      rc = isal_inflate(z);
      d->in_pos = d->in_len - z->avail_in;
      if (rc < 0) {
         mb_error_set(err, MB_EXIT_CORRUPT, "corrupt archive: gzip data is damaged (%s)",
                      gz_problem(rc));
         return false;
      }
      if (z->block_state == ISAL_BLOCK_FINISH) {
         d->member_done = true;
      }
   }
   *got = (size_t) ((uint8_t *) z->next_out - (uint8_t *) buf);
   return true;
}

static bool zstd_read(dsrc_t *d, void *buf, size_t cap, size_t *got, mb_error_t *err)
{
   ZSTD_outBuffer out = {buf, cap, 0};

   while (out.pos == 0) {
      ZSTD_inBuffer in;
      size_t rc;
      if (!refill(d, err)) {
         return false;
      }
      if (d->in_eof) {
         if (!d->member_done) {
            return truncated(err, "zstd");
         }
         break;
      }
      in.src = d->in + d->in_pos;
      in.size = d->in_len - d->in_pos;
      in.pos = 0;
      rc = ZSTD_decompressStream(d->dctx, &out, &in);
      d->in_pos += in.pos;
      if (ZSTD_isError(rc)) {
         mb_error_set(err, MB_EXIT_CORRUPT, "corrupt archive: zstd data is damaged (%s)",
                      ZSTD_getErrorName(rc));
         return false;
      }
      d->member_done = rc == 0;
   }
   *got = out.pos;
   return true;
}

static bool plain_read(dsrc_t *d, void *buf, size_t cap, size_t *got, mb_error_t *err)
{
   if (d->in_pos < d->in_len) {
      size_t n = d->in_len - d->in_pos < cap ? d->in_len - d->in_pos : cap;
      memcpy(buf, d->in + d->in_pos, n);
      d->in_pos += n;
      *got = n;
      return true;
   }
   return mb_source_read(d->down, buf, cap, got, err);
}

static bool dsrc_read(mb_source_t *s, void *buf, size_t cap, size_t *got, mb_error_t *err)
{
   dsrc_t *d = (dsrc_t *) s;

   *got = 0;
   switch (d->kind) {
   case MB_COMPRESS_GZIP:
      return gz_read(d, buf, cap, got, err);
   case MB_COMPRESS_ZSTD:
      return zstd_read(d, buf, cap, got, err);
   default:
      return plain_read(d, buf, cap, got, err);
   }
}

static void dsrc_destroy(mb_source_t *s)
{
   dsrc_t *d = (dsrc_t *) s;

   free(d->gz);
   ZSTD_freeDCtx(d->dctx);
   mb_source_destroy(d->down);
   free(d->in);
   free(d);
}

/* Other compressors users may have applied by hand: named, with the way out. */
static bool foreign(const uint8_t *p, size_t n, mb_error_t *err)
{
   static const struct {
      const char *magic;
      size_t len;
      const char *name, *tool;
   } known[] = {{"\xfd\x37\x7a\x58\x5a\x00", 6, "xz", "xz -dc"},
                {"BZh", 3, "bzip2", "bzip2 -dc"},
                {"\x04\x22\x4d\x18", 4, "lz4", "lz4 -dc"},
                {"PK\x03\x04", 4, "zip", "unzip -p"}};

   for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
      if (n >= known[i].len && memcmp(p, known[i].magic, known[i].len) == 0) {
         mb_error_set(err, MB_EXIT_NOT_ARCHIVE,
                      "the input is compressed with %s, which mongobak does not read; "
                      "decompress it first (%s FILE | mongobak ... -)",
                      known[i].name, known[i].tool);
         return true;
      }
   }
   return false;
}

bool mb_decompress_source_new(mb_source_t *down, mb_source_t **out, mb_compress_t *detected,
                              mb_error_t *err)
{
   static const mb_source_t ops = {.read = dsrc_read, .destroy = dsrc_destroy};
   dsrc_t *d = mb_source_alloc(sizeof *d, &ops, err);
   size_t got;

   if (!d) {
      mb_source_destroy(down);
      return false;
   }
   d->down = down;
   if (!(d->in = malloc(IN_CHUNK))) {
      dsrc_destroy(&d->base);
      return oom(err);
   }
   if (!mb_source_read_full(down, d->in, 6, &got, err)) {
      dsrc_destroy(&d->base);
      return false;
   }
   d->in_len = got;
   d->in_eof = got == 0;
   if (got >= 2 && d->in[0] == 0x1f && d->in[1] == 0x8b) {
      d->kind = MB_COMPRESS_GZIP;
      d->gz = malloc(sizeof *d->gz);
      if (d->gz) {
         isal_inflate_init(d->gz);
         d->gz->crc_flag = ISAL_GZIP;
      } else {
         dsrc_destroy(&d->base);
         return oom(err);
      }
   } else if (got >= 4 && memcmp(d->in, "\x28\xb5\x2f\xfd", 4) == 0) {
      d->kind = MB_COMPRESS_ZSTD;
      d->dctx = ZSTD_createDCtx();
      if (!d->dctx) {
         dsrc_destroy(&d->base);
         return oom(err);
      }
   } else if (foreign(d->in, got, err)) {
      dsrc_destroy(&d->base);
      return false;
   }
   *detected = d->kind;
   if (d->kind == MB_COMPRESS_NONE) {
      *out = &d->base;
      return true;
   }
   /* decompress in a thread of its own, ahead of the caller's parsing (common/readahead.h) */
   return mb_readahead_source_new(&d->base, RA_CHUNK, RA_DEPTH, out, err);
}
