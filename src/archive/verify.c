#include "archive/verify.h"
#include "archive/reader.h"
#include "common/file.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

/* A source filter that hashes everything read through it. */
typedef struct {
   mb_source_t base;
   mb_source_t *down;
   EVP_MD_CTX *md;
} hash_source_t;

static bool hash_read(mb_source_t *s, void *buf, size_t cap, size_t *got, mb_error_t *err)
{
   hash_source_t *h = (hash_source_t *) s;

   if (!mb_source_read(h->down, buf, cap, got, err)) {
      return false;
   }
   EVP_DigestUpdate(h->md, buf, *got);
   return true;
}

static void hash_destroy(mb_source_t *s)
{
   hash_source_t *h = (hash_source_t *) s;
   mb_source_destroy(h->down);
   EVP_MD_CTX_free(h->md);
   free(h);
}

static bool drain(mb_source_t *src, mb_archive_check_t *out, mb_error_t *err)
{
   mb_archive_reader_opts_t opts = {.validate_bson = true};
   mb_archive_reader_t *r = NULL;
   mb_archive_event_t ev;
   bool ok =
       mb_archive_reader_open(src, &opts, &r, err) && mb_archive_reader_check_metadata(r, err);

   while (ok && (ok = mb_archive_reader_next(r, &ev, err)) && ev.kind != MB_ARCHIVE_EV_END) {
      out->docs += ev.kind == MB_ARCHIVE_EV_DOCUMENT;
   }
   if (ok) {
      out->namespaces = mb_archive_reader_ns_count(r);
      out->archive_bytes = mb_archive_reader_offset(r);
   }
   mb_archive_reader_destroy(r);
   return ok;
}

bool mb_archive_verify_file(const char *path, mb_archive_check_t *out, mb_error_t *err)
{
   mb_source_t *file = NULL;

   memset(out, 0, sizeof *out);
   return mb_file_source_open(path, &file, err) &&
          mb_archive_verify_source(file, NULL, path, out, err);
}

bool mb_archive_verify_source(mb_source_t *file, mb_crypt_key_t *key, const char *name,
                              mb_archive_check_t *out, mb_error_t *err)
{
   hash_source_t *h = calloc(1, sizeof *h);
   mb_source_t *src = NULL, *plain = NULL;
   unsigned char md[EVP_MAX_MD_SIZE];
   unsigned int mdlen = 0;
   char buf[64 * 1024];
   size_t got;
   bool ok;

   memset(out, 0, sizeof *out);
   if (h) {
      h->base.read = hash_read;
      h->base.destroy = hash_destroy;
      h->down = file;
   }
   if (!h || !(h->md = EVP_MD_CTX_new()) || !EVP_DigestInit_ex(h->md, EVP_sha256(), NULL)) {
      mb_source_destroy(h ? &h->base : file);
      mb_error_set(err, MB_EXIT_FAILURE, "cannot start SHA-256");
      return false;
   }
   ok = mb_crypt_source_open(&h->base, key, name, &plain, &out->encrypted, err) &&
        mb_decompress_source_new(plain, &src, &out->compression, err) && drain(src, out, err);
   /* the decryption authenticates its final chunk only when read to the end */
   while (ok && out->encrypted && (ok = mb_source_read(plain, buf, sizeof buf, &got, err)) &&
          got > 0) {
   }
   /* hash whatever follows the archive too: the digest is of the whole file */
   while (ok && (ok = mb_source_read(&h->base, buf, sizeof buf, &got, err)) && got > 0) {
   }
   if (ok) {
      EVP_DigestFinal_ex(h->md, md, &mdlen);
      for (unsigned int i = 0; i < mdlen; i++) {
         snprintf(out->sha256 + 2 * i, 3, "%02x", md[i]);
      }
      out->file_bytes = file->bytes_out;
   }
   mb_source_destroy(src); /* on failure the filter already destroyed what it owned */
   return ok;
}
