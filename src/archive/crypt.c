#include "archive/crypt.h"
#include "common/textfile.h"

#include <sodium.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The header, little-endian (docs/encryption-format.md). */
#define MAGIC "MBENC\0"
#define MAGIC_LEN 6
#define VERSION 1
#define KDF_RAW 0
#define KDF_ARGON2ID 1
#define OFF_CHUNK 8
#define OFF_KEY_ID 12
#define KEY_ID_LEN 16
#define OFF_OPS 28
#define OFF_MEM 36
#define OFF_SALT 44
#define OFF_SS 60
#define CHUNK_MIN 1024u
#define CHUNK_MAX (16u << 20)
#define OPS_MAX 64u
#define MEM_MAX ((uint64_t) 4 << 30)
#define KEY_LEN crypto_secretstream_xchacha20poly1305_KEYBYTES
#define ABYTES crypto_secretstream_xchacha20poly1305_ABYTES
#define TAG_FINAL crypto_secretstream_xchacha20poly1305_TAG_FINAL
#define TAG_MESSAGE crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
#define KEY_FILE_MAX 4096

_Static_assert(OFF_SS + crypto_secretstream_xchacha20poly1305_HEADERBYTES == MB_CRYPT_HEADER_BYTES,
               "header layout");
_Static_assert(crypto_pwhash_argon2id_SALTBYTES == 16, "salt size");

struct mb_crypt_key {
   bool passphrase;
   unsigned char *key; /* KEY_LEN: the key file's key, or the last derived one (cache) */
   char *pass;         /* the passphrase (locked memory) */
   size_t pass_len;
   uint64_t opslimit, memlimit; /* for new files */
   bool derived;                /* key holds the derivation of (salt, ops, mem) */
   uint8_t salt[16];
   uint64_t ops, mem;
};

bool mb_crypt_init(mb_error_t *err)
{
   if (sodium_init() < 0) {
      mb_error_set(err, MB_EXIT_FAILURE, "cannot initialise libsodium");
      return false;
   }
   return true;
}

static void put_u32(uint8_t *p, uint32_t v)
{
   for (int i = 0; i < 4; i++) {
      p[i] = (uint8_t) (v >> (8 * i));
   }
}

static void put_u64(uint8_t *p, uint64_t v)
{
   for (int i = 0; i < 8; i++) {
      p[i] = (uint8_t) (v >> (8 * i));
   }
}

static uint32_t get_u32(const uint8_t *p)
{
   return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

static uint64_t get_u64(const uint8_t *p)
{
   uint64_t v = 0;
   for (int i = 7; i >= 0; i--) {
      v = v << 8 | p[i];
   }
   return v;
}

/* The key id: a keyed BLAKE2b of a fixed text, so it names the key without revealing it. */
static void key_id(const unsigned char *key, uint8_t id[KEY_ID_LEN])
{
   static const char text[] = "mongobak key id v1";
   crypto_generichash(id, KEY_ID_LEN, (const unsigned char *) text, sizeof text - 1, key, KEY_LEN);
}

static void id_hex(const uint8_t id[KEY_ID_LEN], char *hex)
{
   sodium_bin2hex(hex, MB_CRYPT_KEY_ID_HEX, id, KEY_ID_LEN);
}

static bool oom(mb_error_t *err)
{
   mb_error_set(err, MB_EXIT_FAILURE, "out of memory");
   return false;
}

static mb_crypt_key_t *key_alloc(mb_error_t *err)
{
   mb_crypt_key_t *k;

   if (!mb_crypt_init(err)) {
      return NULL;
   }
   k = calloc(1, sizeof *k);
   if (!k || !(k->key = sodium_malloc(KEY_LEN))) {
      free(k);
      oom(err);
      return NULL;
   }
   k->opslimit = crypto_pwhash_argon2id_OPSLIMIT_MODERATE;
   k->memlimit = crypto_pwhash_argon2id_MEMLIMIT_MODERATE;
   return k;
}

void mb_crypt_key_destroy(mb_crypt_key_t *k)
{
   if (!k) {
      return;
   }
   sodium_free(k->key);
   sodium_free(k->pass);
   free(k);
}

bool mb_crypt_keygen(const char *path, char *id_out, mb_error_t *err)
{
   unsigned char key[KEY_LEN];
   uint8_t id[KEY_ID_LEN];
   char hex[MB_CRYPT_KEY_ID_HEX],
       b64[sodium_base64_ENCODED_LEN(KEY_LEN, sodium_base64_VARIANT_ORIGINAL)];
   char text[512];
   int fd, n;
   bool ok;

   if (!mb_crypt_init(err)) {
      return false;
   }
   crypto_secretstream_xchacha20poly1305_keygen(key);
   key_id(key, id);
   id_hex(id, hex);
   sodium_bin2base64(b64, sizeof b64, key, KEY_LEN, sodium_base64_VARIANT_ORIGINAL);
   n = snprintf(text, sizeof text,
                "# mongobak encryption key, id %s: keep it secret, and keep a copy apart from "
                "the backups (without it they cannot be read)\n%s\n",
                hex, b64);
   sodium_memzero(key, sizeof key);
   sodium_memzero(b64, sizeof b64);
   fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
   if (fd < 0) {
      sodium_memzero(text, sizeof text);
      if (errno == EEXIST) {
         mb_error_set(err, MB_EXIT_EXISTS,
                      "'%s' exists: mongobak keygen never replaces a key file (the backups "
                      "written with it would be lost); choose another name",
                      path);
      } else {
         mb_error_errno(err, errno, "cannot create '%s'", path);
      }
      return false;
   }
   ok = write(fd, text, (size_t) n) == n && fsync(fd) == 0;
   if (!ok) {
      mb_error_errno(err, errno ? errno : EIO, "cannot write '%s'", path);
   }
   sodium_memzero(text, sizeof text);
   if (close(fd) != 0 && ok) {
      mb_error_errno(err, errno, "cannot write '%s'", path);
      ok = false;
   }
   if (!ok) {
      unlink(path);
      return false;
   }
   if (id_out) {
      memcpy(id_out, hex, MB_CRYPT_KEY_ID_HEX);
   }
   return true;
}

/* The one base64 line of a key file's text (comments and blank lines skipped). */
static bool parse_key_text(char *text, unsigned char *key, const char *path, mb_error_t *err)
{
   char *line = text, *found = NULL, *next;
   size_t bin_len = 0;
   const char *end = NULL;

   for (; line && *line; line = next) {
      next = strchr(line, '\n');
      if (next) {
         *next++ = '\0';
      }
      line += strspn(line, " \t\r");
      for (size_t n = strlen(line); n > 0 && strchr(" \t\r", line[n - 1]); n--) {
         line[n - 1] = '\0';
      }
      if (*line == '\0' || *line == '#') {
         continue;
      }
      if (found) {
         found = NULL;
         break;
      }
      found = line;
   }
   if (!found ||
       sodium_base642bin(key, KEY_LEN, found, strlen(found), NULL, &bin_len, &end,
                         sodium_base64_VARIANT_ORIGINAL) != 0 ||
       bin_len != KEY_LEN || *end != '\0') {
      mb_error_set(err, MB_EXIT_USAGE,
                   "'%s' is not a mongobak key file (one line of 32 bytes in base64, as "
                   "'mongobak keygen' writes)",
                   path);
      return false;
   }
   return true;
}

bool mb_crypt_key_load(const char *path, mb_crypt_key_t **out, mb_error_t *err)
{
   mb_crypt_key_t *k = key_alloc(err);
   char *text = NULL;
   size_t len = 0;
   bool ok;

   if (!k) {
      return false;
   }
   ok = mb_textfile_read(path, KEY_FILE_MAX, &text, &len, err) &&
        parse_key_text(text, k->key, path, err);
   if (text) {
      sodium_memzero(text, len);
      bson_free(text);
   }
   if (!ok) {
      mb_crypt_key_destroy(k);
      return false;
   }
   *out = k;
   return true;
}

bool mb_crypt_key_from_passphrase(const char *pass, size_t len, mb_crypt_key_t **out,
                                  mb_error_t *err)
{
   mb_crypt_key_t *k;

   if (len == 0) {
      mb_error_set(err, MB_EXIT_USAGE, "the encryption passphrase is empty");
      return false;
   }
   if (!(k = key_alloc(err))) {
      return false;
   }
   if (!(k->pass = sodium_malloc(len))) {
      mb_crypt_key_destroy(k);
      return oom(err);
   }
   memcpy(k->pass, pass, len);
   k->pass_len = len;
   k->passphrase = true;
   *out = k;
   return true;
}

void mb_crypt_key_set_limits(mb_crypt_key_t *k, uint64_t opslimit, uint64_t memlimit)
{
   k->opslimit = opslimit;
   k->memlimit = memlimit;
}

void mb_crypt_key_id(const mb_crypt_key_t *k, char *hex)
{
   uint8_t id[KEY_ID_LEN];

   if (k->passphrase) {
      hex[0] = '\0';
      return;
   }
   key_id(k->key, id);
   id_hex(id, hex);
}

/* The passphrase's key for (salt, ops, mem), derived once and kept for the next file. */
static bool derive(mb_crypt_key_t *k, const uint8_t salt[16], uint64_t ops, uint64_t mem,
                   mb_error_t *err)
{
   if (k->derived && memcmp(k->salt, salt, 16) == 0 && k->ops == ops && k->mem == mem) {
      return true;
   }
   k->derived = false;
   if (crypto_pwhash(k->key, KEY_LEN, k->pass, k->pass_len, salt, ops, (size_t) mem,
                     crypto_pwhash_ALG_ARGON2ID13) != 0) {
      mb_error_set(err, MB_EXIT_FAILURE,
                   "cannot derive the key from the passphrase (Argon2id, %llu MiB): out of memory",
                   (unsigned long long) (mem >> 20));
      return false;
   }
   memcpy(k->salt, salt, 16);
   k->ops = ops;
   k->mem = mem;
   k->derived = true;
   return true;
}

/* ---- the encrypting sink ---- */

typedef struct {
   mb_sink_t base;
   mb_sink_t *down;
   crypto_secretstream_xchacha20poly1305_state st;
   uint8_t header[MB_CRYPT_HEADER_BYTES];
   bool first;
   uint8_t *plain; /* MB_CRYPT_CHUNK */
   size_t len;
   uint8_t *out; /* MB_CRYPT_CHUNK + ABYTES */
} csink_t;

/* One message; the first carries the file header as additional data. */
static bool push(csink_t *c, unsigned char tag, mb_error_t *err)
{
   unsigned long long n = 0;

   crypto_secretstream_xchacha20poly1305_push(&c->st, c->out, &n, c->plain, c->len,
                                              c->first ? c->header : NULL,
                                              c->first ? sizeof c->header : 0, tag);
   c->first = false;
   c->len = 0;
   return mb_sink_write(c->down, c->out, (size_t) n, err);
}

static bool csink_write(mb_sink_t *s, const void *data, size_t len, mb_error_t *err)
{
   csink_t *c = (csink_t *) s;
   const uint8_t *p = data;

   while (len > 0) {
      size_t take;
      /* a full chunk is pushed only when more data follows: the last one is tagged FINAL */
      if (c->len == MB_CRYPT_CHUNK && !push(c, TAG_MESSAGE, err)) {
         return false;
      }
      take = MB_CRYPT_CHUNK - c->len < len ? MB_CRYPT_CHUNK - c->len : len;
      memcpy(c->plain + c->len, p, take);
      c->len += take;
      p += take;
      len -= take;
   }
   return true;
}

static bool csink_close(mb_sink_t *s, mb_error_t *err)
{
   csink_t *c = (csink_t *) s;
   return push(c, TAG_FINAL, err) && mb_sink_close(c->down, err);
}

static void csink_destroy(mb_sink_t *s)
{
   csink_t *c = (csink_t *) s;

   mb_sink_destroy(c->down);
   sodium_memzero(&c->st, sizeof c->st);
   if (c->plain) {
      sodium_memzero(c->plain, MB_CRYPT_CHUNK);
   }
   free(c->plain);
   free(c->out);
   free(c);
}

/* The header of a new file; for a passphrase, derives its key with a new salt. */
static bool make_header(mb_crypt_key_t *key, uint8_t *h, mb_error_t *err)
{
   uint8_t salt[16];

   memset(h, 0, MB_CRYPT_HEADER_BYTES);
   memcpy(h, MAGIC, MAGIC_LEN);
   h[6] = VERSION;
   h[7] = key->passphrase ? KDF_ARGON2ID : KDF_RAW;
   put_u32(h + OFF_CHUNK, MB_CRYPT_CHUNK);
   if (key->passphrase) {
      randombytes_buf(salt, sizeof salt);
      if (!derive(key, salt, key->opslimit, key->memlimit, err)) {
         return false;
      }
      put_u64(h + OFF_OPS, key->opslimit);
      put_u64(h + OFF_MEM, key->memlimit);
      memcpy(h + OFF_SALT, salt, sizeof salt);
   }
   key_id(key->key, h + OFF_KEY_ID);
   return true;
}

bool mb_crypt_sink_new(mb_crypt_key_t *key, mb_sink_t *down, mb_sink_t **out, mb_error_t *err)
{
   static const mb_sink_t ops = {
       .write = csink_write, .close = csink_close, .destroy = csink_destroy};
   csink_t *c = mb_sink_alloc(sizeof *c, &ops, err);

   if (!c) {
      mb_sink_destroy(down);
      return false;
   }
   c->down = down;
   c->first = true;
   if (!(c->plain = malloc(MB_CRYPT_CHUNK)) || !(c->out = malloc(MB_CRYPT_CHUNK + ABYTES))) {
      csink_destroy(&c->base);
      return oom(err);
   }
   if (!make_header(key, c->header, err)) {
      csink_destroy(&c->base);
      return false;
   }
   crypto_secretstream_xchacha20poly1305_init_push(&c->st, c->header + OFF_SS, key->key);
   if (!mb_sink_write(down, c->header, sizeof c->header, err)) {
      csink_destroy(&c->base);
      return false;
   }
   *out = &c->base;
   return true;
}

/* ---- reading ---- */

bool mb_crypt_detect(const void *head, size_t n)
{
   return n >= MAGIC_LEN && memcmp(head, MAGIC, MAGIC_LEN) == 0;
}

/* The first bytes read for detection, then the rest of down. */
typedef struct {
   mb_source_t base;
   mb_source_t *down;
   uint8_t head[MB_CRYPT_HEADER_BYTES];
   size_t len, pos;
   bool eof; /* down ended within the first bytes: never read again (a terminal's ^D is once) */
} replay_t;

static bool replay_read(mb_source_t *s, void *buf, size_t cap, size_t *got, mb_error_t *err)
{
   replay_t *r = (replay_t *) s;

   if (r->pos < r->len) {
      *got = r->len - r->pos < cap ? r->len - r->pos : cap;
      memcpy(buf, r->head + r->pos, *got);
      r->pos += *got;
      return true;
   }
   if (r->eof) {
      *got = 0;
      return true;
   }
   return mb_source_read(r->down, buf, cap, got, err);
}

static void replay_destroy(mb_source_t *s)
{
   replay_t *r = (replay_t *) s;
   mb_source_destroy(r->down);
   free(r);
}

typedef struct {
   mb_source_t base;
   mb_source_t *down;
   crypto_secretstream_xchacha20poly1305_state st;
   uint8_t header[MB_CRYPT_HEADER_BYTES];
   uint32_t chunk;
   uint8_t *in;    /* chunk + ABYTES */
   uint8_t *plain; /* chunk */
   size_t plen, ppos;
   bool first, done;
   uint64_t index;  /* of the next message */
   uint64_t offset; /* of the next message in the file */
   char *name;
} csrc_t;

/* The next message into plain; FINAL ends the stream and must be the file's last bytes. */
static bool pull(csrc_t *c, mb_error_t *err)
{
   unsigned long long n = 0;
   unsigned char tag = 0;
   size_t full = (size_t) c->chunk + ABYTES, got = 0, extra = 0;
   uint8_t probe;

   if (!mb_source_read_full(c->down, c->in, full, &got, err)) {
      return false;
   }
   if (got == 0) {
      mb_error_set(err, MB_EXIT_CORRUPT,
                   "%s: the encrypted archive is truncated: it ends after %llu bytes without "
                   "its final chunk",
                   c->name, (unsigned long long) c->offset);
      return false;
   }
   if (got < ABYTES || crypto_secretstream_xchacha20poly1305_pull(
                           &c->st, c->plain, &n, &tag, c->in, got, c->first ? c->header : NULL,
                           c->first ? sizeof c->header : 0) != 0) {
      mb_error_set(err, MB_EXIT_CORRUPT,
                   got < full ? "%s: the encrypted archive is truncated or corrupt: its last "
                                "chunk (%llu, at byte %llu) fails authentication"
                              : "%s: chunk %llu of the encrypted archive (at byte %llu) fails "
                                "authentication: the file is corrupt or was altered",
                   c->name, (unsigned long long) c->index, (unsigned long long) c->offset);
      return false;
   }
   c->first = false;
   c->index++;
   c->offset += got;
   c->plen = (size_t) n;
   c->ppos = 0;
   if (tag != TAG_FINAL) {
      if (got < full) {
         mb_error_set(err, MB_EXIT_CORRUPT,
                      "%s: the encrypted archive is truncated: it ends after %llu bytes without "
                      "its final chunk",
                      c->name, (unsigned long long) c->offset);
         return false;
      }
      return true;
   }
   c->done = true;
   if (!mb_source_read_full(c->down, &probe, 1, &extra, err)) {
      return false;
   }
   if (extra > 0) {
      mb_error_set(err, MB_EXIT_CORRUPT,
                   "%s: bytes follow the final chunk of the encrypted archive (at byte %llu): "
                   "the file was altered",
                   c->name, (unsigned long long) c->offset);
      return false;
   }
   return true;
}

static bool csrc_read(mb_source_t *s, void *buf, size_t cap, size_t *got, mb_error_t *err)
{
   csrc_t *c = (csrc_t *) s;

   *got = 0;
   while (c->ppos == c->plen) {
      if (c->done) {
         return true;
      }
      if (!pull(c, err)) {
         return false;
      }
   }
   *got = c->plen - c->ppos < cap ? c->plen - c->ppos : cap;
   memcpy(buf, c->plain + c->ppos, *got);
   c->ppos += *got;
   return true;
}

static void csrc_destroy(mb_source_t *s)
{
   csrc_t *c = (csrc_t *) s;

   mb_source_destroy(c->down);
   sodium_memzero(&c->st, sizeof c->st);
   if (c->plain) {
      sodium_memzero(c->plain, c->chunk);
   }
   free(c->plain);
   free(c->in);
   bson_free(c->name);
   free(c);
}

/* The header's fields against the key: the right kind of key, the same key id. */
static bool check_key(const uint8_t *h, mb_crypt_key_t *key, const char *name, mb_error_t *err)
{
   uint8_t id[KEY_ID_LEN];
   char want[MB_CRYPT_KEY_ID_HEX], have[MB_CRYPT_KEY_ID_HEX];
   uint64_t ops = get_u64(h + OFF_OPS), mem = get_u64(h + OFF_MEM);

   id_hex(h + OFF_KEY_ID, want);
   if (!key) {
      mb_error_set(err, MB_EXIT_CORRUPT,
                   h[7] == KDF_RAW
                       ? "%s is encrypted: give --encrypt-key-file or ENCRYPTION_KEY_FILE (the "
                         "key with id %s)"
                       : "%s is encrypted with a passphrase: give --passphrase-file or "
                         "ENCRYPTION_PASSPHRASE%s",
                   name, h[7] == KDF_RAW ? want : "");
      return false;
   }
   if (h[7] == KDF_RAW && key->passphrase) {
      mb_error_set(err, MB_EXIT_CORRUPT,
                   "%s is encrypted with a key file (key id %s), not a passphrase: give "
                   "--encrypt-key-file or ENCRYPTION_KEY_FILE",
                   name, want);
      return false;
   }
   if (h[7] == KDF_ARGON2ID && !key->passphrase) {
      mb_error_set(err, MB_EXIT_CORRUPT,
                   "%s is encrypted with a passphrase, not a key file: give --passphrase-file "
                   "or ENCRYPTION_PASSPHRASE",
                   name);
      return false;
   }
   if (h[7] == KDF_ARGON2ID) {
      if (ops < crypto_pwhash_argon2id_OPSLIMIT_MIN || ops > OPS_MAX ||
          mem < crypto_pwhash_argon2id_MEMLIMIT_MIN || mem > MEM_MAX) {
         mb_error_set(err, MB_EXIT_CORRUPT,
                      "%s: the encryption header's Argon2id parameters (opslimit %llu, memlimit "
                      "%llu) are out of range: the file is corrupt",
                      name, (unsigned long long) ops, (unsigned long long) mem);
         return false;
      }
      if (!derive(key, h + OFF_SALT, ops, mem, err)) {
         return false;
      }
   }
   key_id(key->key, id);
   if (sodium_memcmp(id, h + OFF_KEY_ID, KEY_ID_LEN) != 0) {
      id_hex(id, have);
      if (key->passphrase) {
         mb_error_set(err, MB_EXIT_CORRUPT,
                      "%s: wrong passphrase (or the encryption header is corrupt)", name);
      } else {
         mb_error_set(err, MB_EXIT_CORRUPT,
                      "%s is encrypted with another key (key id %s; this key is %s): give the "
                      "key file it was written with",
                      name, want, have);
      }
      return false;
   }
   return true;
}

static bool open_decrypt(mb_source_t *down, const uint8_t *h, mb_crypt_key_t *key, const char *name,
                         mb_source_t **out, mb_error_t *err)
{
   static const mb_source_t ops = {.read = csrc_read, .destroy = csrc_destroy};
   csrc_t *c;
   uint32_t chunk = get_u32(h + OFF_CHUNK);

   if (h[6] != VERSION || (h[7] != KDF_RAW && h[7] != KDF_ARGON2ID)) {
      mb_error_set(err, MB_EXIT_CORRUPT,
                   "%s: encryption format %u with key derivation %u is not known to this "
                   "mongobak (written by a newer version, or corrupt)",
                   name, h[6], h[7]);
      mb_source_destroy(down);
      return false;
   }
   if (chunk < CHUNK_MIN || chunk > CHUNK_MAX) {
      mb_error_set(err, MB_EXIT_CORRUPT,
                   "%s: the encryption header's chunk size %u is out of range: the file is "
                   "corrupt",
                   name, chunk);
      mb_source_destroy(down);
      return false;
   }
   if (!check_key(h, key, name, err)) {
      mb_source_destroy(down);
      return false;
   }
   if (!(c = mb_source_alloc(sizeof *c, &ops, err))) {
      mb_source_destroy(down);
      return false;
   }
   c->down = down;
   c->chunk = chunk;
   c->first = true;
   c->offset = MB_CRYPT_HEADER_BYTES;
   c->name = bson_strdup(name);
   memcpy(c->header, h, MB_CRYPT_HEADER_BYTES);
   if (!(c->in = malloc((size_t) chunk + ABYTES)) || !(c->plain = malloc(chunk))) {
      csrc_destroy(&c->base);
      return oom(err);
   }
   if (crypto_secretstream_xchacha20poly1305_init_pull(&c->st, h + OFF_SS, key->key) != 0) {
      mb_error_set(err, MB_EXIT_CORRUPT, "%s: the encryption header is corrupt", name);
      csrc_destroy(&c->base);
      return false;
   }
   *out = &c->base;
   return true;
}

bool mb_crypt_source_open(mb_source_t *down, mb_crypt_key_t *key, const char *name,
                          mb_source_t **out, bool *encrypted, mb_error_t *err)
{
   static const mb_source_t ops = {.read = replay_read, .destroy = replay_destroy};
   uint8_t h[MB_CRYPT_HEADER_BYTES];
   size_t got = 0;
   replay_t *r;

   *encrypted = false;
   if (!mb_crypt_init(err) || !mb_source_read_full(down, h, sizeof h, &got, err)) {
      mb_source_destroy(down);
      return false;
   }
   if (mb_crypt_detect(h, got)) {
      *encrypted = true;
      if (got < sizeof h) {
         mb_error_set(err, MB_EXIT_CORRUPT,
                      "%s: the encrypted archive is truncated: its header has %zu of %u bytes",
                      name, got, MB_CRYPT_HEADER_BYTES);
         mb_source_destroy(down);
         return false;
      }
      return open_decrypt(down, h, key, name, out, err);
   }
   if (!(r = mb_source_alloc(sizeof *r, &ops, err))) {
      mb_source_destroy(down);
      return false;
   }
   r->down = down;
   memcpy(r->head, h, got);
   r->len = got;
   r->eof = got < sizeof h;
   *out = &r->base;
   return true;
}

bool mb_crypt_drain(mb_source_t *src, mb_error_t *err)
{
   uint8_t buf[16 * 1024];
   size_t got = 0;
   bool ok;

   while ((ok = mb_source_read(src, buf, sizeof buf, &got, err)) && got > 0) {
   }
   sodium_memzero(buf, sizeof buf);
   mb_source_destroy(src);
   return ok;
}
