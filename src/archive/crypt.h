/* Client-side encryption at rest, as stream filters: the sink encrypts what the compressor
 * writes, the source decrypts before the decompressor reads. libsodium's
 * crypto_secretstream_xchacha20poly1305 in fixed-size chunks, the last one tagged FINAL so
 * that a truncated file is detected. The bytes are described in docs/encryption-format.md.
 *
 * A key is either 32 random bytes from a key file (`mongobak keygen`) or a passphrase, from
 * which every file's key is derived with Argon2id and a salt of its own, the parameters stored
 * in the file. Every failure to decrypt (no key, another key, a flipped byte, a truncated file)
 * is CORRUPT (exit code 3) with one line naming the file. */
#ifndef MB_ARCHIVE_CRYPT_H
#define MB_ARCHIVE_CRYPT_H

#include "common/stream.h"

/* The suffix of an encrypted archive's name, after the compression's: x.archive.zst.enc. */
#define MB_CRYPT_EXTENSION ".enc"
/* Plaintext bytes per secretstream message. */
#define MB_CRYPT_CHUNK (64u * 1024)
/* Size of the file header (magic .. secretstream header). */
#define MB_CRYPT_HEADER_BYTES 84u
/* Characters of a key id in hex, with its terminating NUL. */
#define MB_CRYPT_KEY_ID_HEX 33u

typedef struct mb_crypt_key mb_crypt_key_t;

/* Initialise libsodium once per process (thread-safe, idempotent). FAILURE when it cannot. */
MB_MUST_CHECK bool mb_crypt_init(mb_error_t *err);

/* Write a new random key to path: mode 0600, created exclusively (an existing file is EXISTS,
 * exit code 13), synced. The file is text: one comment line, then the key in base64. id_hex
 * receives the key's id (hex, MB_CRYPT_KEY_ID_HEX bytes) when not NULL. IO on a write error. */
MB_MUST_CHECK bool mb_crypt_keygen(const char *path, char *id_hex, mb_error_t *err);

/* Read a key file written by mb_crypt_keygen (comment lines and blank lines ignored, exactly
 * one base64 line of 32 bytes). USAGE naming the file when it is not one; IO when it cannot be
 * read. Made for the caller (mb_crypt_key_destroy); the key lives in locked memory. */
MB_MUST_CHECK bool mb_crypt_key_load(const char *path, mb_crypt_key_t **out, mb_error_t *err);

/* A key from a passphrase (len bytes, at least 1). Files written with it derive their key with
 * Argon2id (opslimit 3, memlimit 256 MiB unless mb_crypt_key_set_limits says otherwise) and a
 * random salt. USAGE when the passphrase is empty. */
MB_MUST_CHECK bool mb_crypt_key_from_passphrase(const char *pass, size_t len, mb_crypt_key_t **out,
                                                mb_error_t *err);

/* Argon2id parameters for the files written with a passphrase key (tests use small ones). */
void mb_crypt_key_set_limits(mb_crypt_key_t *k, uint64_t opslimit, uint64_t memlimit);

/* The id of a key file's key (hex); "" for a passphrase, whose id is per file. */
void mb_crypt_key_id(const mb_crypt_key_t *k, char *id_hex);

void mb_crypt_key_destroy(mb_crypt_key_t *k);

/* An encrypting filter in front of down (which it takes over, also on failure). A passphrase
 * key derives the file's key here. The key must outlive the sink. */
MB_MUST_CHECK bool mb_crypt_sink_new(mb_crypt_key_t *key, mb_sink_t *down, mb_sink_t **out,
                                     mb_error_t *err);

/* Whether the first n bytes of a file are an encrypted archive's magic. */
bool mb_crypt_detect(const void *head, size_t n);

/* Look at the first bytes of down (taken over, also on failure). Encrypted: *out decrypts it
 * with key (NULL: CORRUPT "NAME is encrypted: give ..."), after checking the header and that
 * the key is the file's (CORRUPT naming both key ids otherwise); *encrypted is true. Not
 * encrypted: *out gives down's bytes unchanged. name is only for messages. Reads of *out fail
 * with CORRUPT on a chunk that fails authentication, a missing final chunk (truncation) or
 * bytes after it. The key must outlive the source. */
MB_MUST_CHECK bool mb_crypt_source_open(mb_source_t *down, mb_crypt_key_t *key, const char *name,
                                        mb_source_t **out, bool *encrypted, mb_error_t *err);

/* Read src (a source of mb_crypt_source_open, taken over) to its end, discarding the
 * plaintext: authenticates every chunk and the final tag before anything is used. Errors as
 * the source's reads. */
MB_MUST_CHECK bool mb_crypt_drain(mb_source_t *src, mb_error_t *err);

#endif
