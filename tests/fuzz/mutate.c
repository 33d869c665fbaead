/* Mutation test of the archive reader (issue 9): mutate real archives (mongodump's, and
 * mongobak's plain, gzip and zstd forms) N times and read each one completely, in process.
 * Every mutant must be either rejected with a CORRUPT or NOT_ARCHIVE error and a message, or
 * accepted with exactly the original's namespaces and documents (a mutation that changed only
 * what the format does not protect: the prelude's metadata text, ignored header fields). A
 * crash, a sanitizer report, a hang (alarm) or an accepted mutant with other documents fails.
 *   mutate N SEED ARCHIVE...      (exit 0 and a summary line when every mutant behaved) */
#include "archive/compress.h"
#include "archive/reader.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

typedef struct {
   unsigned char digest[32]; /* over namespaces and documents in stream order */
   bool ok;
   bool metadata_differs;
} outcome_t;

static uint64_t rng_state;

static uint64_t rnd(void)
{
   rng_state ^= rng_state << 13;
   rng_state ^= rng_state >> 7;
   rng_state ^= rng_state << 17;
   return rng_state;
}

static void on_alarm(int sig)
{
   (void) sig;
   static const char msg[] = "FAIL: a mutant made the reader hang\n";
   (void) !write(2, msg, sizeof msg - 1);
   _exit(3);
}

/* Read data completely; the digest covers what restore would act on. */
static outcome_t read_all(const uint8_t *data, size_t len, char *prelude, size_t psize)
{
   mb_archive_reader_opts_t opts = {.validate_bson = true};
   mb_source_t *mem = NULL, *src = NULL;
   mb_archive_reader_t *r = NULL;
   mb_archive_event_t ev;
   mb_compress_t kind;
   mb_error_t err;
   outcome_t o = {{0}, false, false};
   EVP_MD_CTX *md = EVP_MD_CTX_new();
   size_t used = 0;

   EVP_DigestInit_ex(md, EVP_sha256(), NULL);
   if (!mb_mem_source_new(data, len, &mem, &err) ||
       !mb_decompress_source_new(mem, &src, &kind, &err) ||
       !mb_archive_reader_open(src, &opts, &r, &err)) {
      goto done;
   }
   for (int i = 0; i < mb_archive_reader_ns_count(r); i++) {
      const mb_archive_ns_t *n = mb_archive_reader_ns(r, i);
      used += (size_t) snprintf(prelude + used, used < psize ? psize - used : 0, "%s|%s|%s|%s\n",
                                n->db, n->collection, n->type, n->metadata);
   }
   for (;;) {
      if (!mb_archive_reader_next(r, &ev, &err)) {
         goto done;
      }
      if (ev.kind == MB_ARCHIVE_EV_END) {
         o.ok = true;
         break;
      }
      const mb_archive_ns_t *n = mb_archive_reader_ns(r, ev.ns);
      EVP_DigestUpdate(md, n->db, strlen(n->db) + 1);
      EVP_DigestUpdate(md, n->data_collection, strlen(n->data_collection) + 1);
      EVP_DigestUpdate(md, &ev.kind, sizeof ev.kind);
      if (ev.kind == MB_ARCHIVE_EV_DOCUMENT) {
         EVP_DigestUpdate(md, ev.data, ev.len);
      }
   }
done:
   if (!o.ok &&
       (err.domain != MB_ERROR_DOMAIN ||
        (err.code != MB_EXIT_CORRUPT && err.code != MB_EXIT_NOT_ARCHIVE) || !err.message[0])) {
      fprintf(stderr, "FAIL: rejected without a clear error (domain %u code %u): %s\n", err.domain,
              err.code, err.message);
      exit(2);
   }
   EVP_DigestFinal_ex(md, o.digest, NULL);
   EVP_MD_CTX_free(md);
   mb_archive_reader_destroy(r);
   mb_source_destroy(src);
   return o;
}

static size_t mutate(uint8_t *b, size_t len, size_t cap)
{
   int k = 1 + (int) (rnd() % 3);

   while (k-- > 0 && len > 0) {
      size_t at = rnd() % len;
      switch (rnd() % 6) {
      case 0:
         b[at] ^= (uint8_t) (1u << (rnd() % 8));
         break; /* flip a bit */
      case 1:
         b[at] = (uint8_t) rnd();
         break; /* set a byte */
      case 2:
         len = at;
         break; /* truncate */
      case 3:
         memmove(b + at, b + at + 1, len - at - 1);
         len--;
         break; /* delete a byte */
      case 4:   /* insert a byte */
         if (len < cap) {
            memmove(b + at + 1, b + at, len - at);
            b[at] = (uint8_t) rnd();
            len++;
         }
         break;
      default: { /* overwrite 4 bytes */
         uint32_t v = (uint32_t) rnd() % 3 == 0 ? 0xffffffffu : (uint32_t) rnd() % 64;
         if (at + 4 <= len) {
            memcpy(b + at, &v, 4);
         }
      }
      }
   }
   return len;
}

static uint8_t *load(const char *path, size_t *len)
{
   FILE *f = fopen(path, "rb");
   uint8_t *b;
   long n;

   if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET) != 0) {
      fprintf(stderr, "cannot read %s\n", path);
      exit(2);
   }
   b = malloc((size_t) n + 64);
   if (!b || fread(b, 1, (size_t) n, f) != (size_t) n) {
      exit(2);
   }
   fclose(f);
   *len = (size_t) n;
   return b;
}

int main(int argc, char **argv)
{
   long n = argc > 2 ? strtol(argv[1], NULL, 10) : 0;
   long rejected = 0, same = 0, metadata = 0;
   int nfiles = argc - 3;
   static char p0[1 << 16], p1[1 << 16]; /* prelude texts: original, mutant */
   uint8_t **files;
   size_t *lens;
   outcome_t *orig;
   char **prelude;

   if (argc < 4 || n <= 0) {
      fprintf(stderr, "usage: mutate N SEED ARCHIVE...\n");
      return 2;
   }
   rng_state = (uint64_t) strtoull(argv[2], NULL, 10) | 1;
   signal(SIGALRM, on_alarm);
   files = calloc((size_t) nfiles, sizeof *files);
   lens = calloc((size_t) nfiles, sizeof *lens);
   orig = calloc((size_t) nfiles, sizeof *orig);
   prelude = calloc((size_t) nfiles, sizeof *prelude);
   for (int f = 0; f < nfiles; f++) {
      files[f] = load(argv[3 + f], &lens[f]);
      orig[f] = read_all(files[f], lens[f], p0, sizeof p0);
      prelude[f] = strdup(p0);
      if (!orig[f].ok) {
         fprintf(stderr, "FAIL: %s is not sound to begin with\n", argv[3 + f]);
         return 2;
      }
   }
   for (long i = 0; i < n; i++) {
      int f = (int) (i % nfiles);
      uint8_t *m = malloc(lens[f] + 64);
      size_t mlen;
      outcome_t b;
      memcpy(m, files[f], lens[f]);
      mlen = mutate(m, lens[f], lens[f] + 64);
      alarm(20);
      b = read_all(m, mlen, p1, sizeof p1);
      alarm(0);
      if (!b.ok) {
         rejected++;
      } else if (memcmp(orig[f].digest, b.digest, sizeof b.digest) != 0) {
         fprintf(stderr, "FAIL: mutant %ld of %s accepted with other documents\n", i, argv[3 + f]);
         if (getenv("MUTATE_DUMP")) {
            FILE *out = fopen(getenv("MUTATE_DUMP"), "wb");
            fwrite(m, 1, mlen, out);
            fclose(out);
         }
         return 1;
      } else if (strcmp(prelude[f], p1) != 0) {
         metadata++; /* only the unprotected prelude text changed */
      } else {
         same++;
      }
      free(m);
   }
   for (int f = 0; f < nfiles; f++) {
      free(files[f]);
      free(prelude[f]);
   }
   free(prelude);
   free(files);
   free(lens);
   free(orig);
   printf("%ld mutants of %d archives: %ld rejected clearly, %ld accepted with identical "
          "contents, %ld accepted with only prelude metadata changed (no checksum in the format "
          "covers it)\n",
          n, nfiles, rejected, same, metadata);
   printf("%ld passed, 0 failed\n", n);
   return 0;
}
