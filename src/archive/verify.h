/* Verify an archive file completely in one pass and compute the SHA-256 of its bytes, as the
 * scheduler does after every backup before it counts the backup as good. */
#ifndef MB_ARCHIVE_VERIFY_H
#define MB_ARCHIVE_VERIFY_H

#include "archive/compress.h"
#include "archive/crypt.h"

typedef struct {
   char sha256[65];     /* hex of the file's bytes */
   uint64_t file_bytes; /* bytes of the file */
   uint64_t archive_bytes;
   uint64_t docs;
   int namespaces;
   mb_compress_t compression;
   bool encrypted;
} mb_archive_check_t;

/* Read path through the archive reader (BSON validation on, metadata checked as restore
 * checks it) and hash it. CORRUPT / NOT_ARCHIVE / IO errors as the reader reports them. */
MB_MUST_CHECK bool mb_archive_verify_file(const char *path, mb_archive_check_t *out,
                                          mb_error_t *err);

/* The same on a source (a file, an object of a storage driver), which it takes over. An
 * encrypted archive (archive/crypt.h) is decrypted with key (NULL: CORRUPT, "NAME is encrypted:
 * give ..."; name is only for messages); the SHA-256 is of the stored, encrypted bytes. */
MB_MUST_CHECK bool mb_archive_verify_source(mb_source_t *file, mb_crypt_key_t *key,
                                            const char *name, mb_archive_check_t *out,
                                            mb_error_t *err);

#endif
