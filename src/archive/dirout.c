#include "archive/dirout.h"
#include "archive/crc64.h"
#include "archive/format.h"
#include "common/file.h"
#include "common/text.h"

#include <bson/bson.h>
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_ESCAPED 238 /* mongodump: 255 minus the longest extension, ".metadata.json.gz" */
#define TRUNCATED 208

typedef struct {
   char *file; /* relative to the root: "db/coll.bson[.gz]"; NULL for a view */
   mb_sink_t *sink;
   uint64_t docs, bytes, crc, bytes_out;
} dir_ns_t;

struct mb_dirout {
   mb_dirout_opts_t o;
   char *path, *temp;
   const char *server_version, *prelude_db;
   bool published;
   dir_ns_t *ns;
   int nns, cap;
   uint64_t bytes_out;
};

static bool unreserved(unsigned char c)
{
   return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_' || c == '.' || c == '~';
}

bool mb_dirout_escape(const char *collection, char **out, mb_error_t *err)
{
   static const char hex[] = "0123456789ABCDEF";
   bson_string_t *s = bson_string_new(NULL);
   unsigned char digest[SHA_DIGEST_LENGTH];
   char b64[4 * ((SHA_DIGEST_LENGTH + 2) / 3) + 1];
   char *e;

   for (const unsigned char *p = (const unsigned char *) collection; *p; p++) {
      if (unreserved(*p)) {
         bson_string_append_c(s, (char) *p);
      } else if (*p == ' ') {
         bson_string_append_c(s, '+');
      } else {
         bson_string_append_c(s, '%');
         bson_string_append_c(s, hex[*p >> 4]);
         bson_string_append_c(s, hex[*p & 15]);
      }
   }
   e = bson_string_free(s, false);
   if (strlen(e) > MAX_ESCAPED) {
      /* as mongodump: the first 208 bytes, "%24", the unpadded base64url SHA-1 of the name */
      SHA1((const unsigned char *) collection, strlen(collection), digest);
      EVP_EncodeBlock((unsigned char *) b64, digest, SHA_DIGEST_LENGTH);
      for (char *p = b64; *p; p++) {
         *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
         if (*p == '=') {
            *p = '\0';
            break;
         }
      }
      e[TRUNCATED] = '\0';
      *out = bson_strdup_printf("%s%%24%s", e, b64);
      bson_free(e);
      (void) err;
      return true;
   }
   *out = e;
   return true;
}

static int hexval(char c)
{
   return c >= '0' && c <= '9'   ? c - '0'
          : c >= 'a' && c <= 'f' ? c - 'a' + 10
          : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                 : -1;
}

char *mb_dirout_unescape(const char *name)
{
   char *out = bson_malloc(strlen(name) + 1), *q = out;

   for (const char *p = name; *p; p++) {
      if (*p == '+') {
         *q++ = ' ';
      } else if (*p == '%') {
         int hi = hexval(p[1]), lo = hi < 0 ? -1 : hexval(p[2]);
         if (lo < 0 || (hi == 0 && lo == 0)) {
            bson_free(out);
            return NULL;
         }
         *q++ = (char) (hi * 16 + lo);
         p += 2;
      } else {
         *q++ = *p;
      }
   }
   *q = '\0';
   return out;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
   (void) st;
   (void) ftw;
   return (flag == FTW_DP ? rmdir(path) : unlink(path)) == 0 || errno == ENOENT ? 0 : -1;
}

bool mb_dirout_remove_tree(const char *path, mb_error_t *err)
{
   if (nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS) != 0 && errno != ENOENT) {
      mb_error_errno(err, errno, "cannot remove %s", path);
      return false;
   }
   return true;
}

/* 1: path is a non-empty directory or not a directory; 0: absent or empty; -1: error */
static int occupied(const char *path)
{
   struct stat st;
   int n = 0;
   DIR *d;
   struct dirent *de;

   if (lstat(path, &st) != 0) {
      return errno == ENOENT ? 0 : -1;
   }
   if (!S_ISDIR(st.st_mode) || !(d = opendir(path))) {
      return 1;
   }
   while ((de = readdir(d)) != NULL) {
      n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
   }
   closedir(d);
   return n > 0;
}

static bool check_target(const mb_dirout_opts_t *o, mb_error_t *err)
{
   struct stat st;
   int occ = occupied(o->path);

   if (occ < 0) {
      mb_error_errno(err, errno, "cannot use %s", o->path);
      return false;
   }
   if (occ && lstat(o->path, &st) == 0 && !S_ISDIR(st.st_mode)) {
      mb_error_set(err, MB_EXIT_EXISTS, "%s exists and is not a directory; choose another --out",
                   o->path);
      return false;
   }
   if (occ && !o->overwrite) {
      mb_error_set(err, MB_EXIT_EXISTS,
                   "%s exists and is not empty; give --overwrite to replace it or choose another "
                   "--out",
                   o->path);
      return false;
   }
   return true;
}

bool mb_dirout_new(const mb_dirout_opts_t *o, mb_dirout_t **out, mb_error_t *err)
{
   mb_dirout_t *d;
   char *temp;
   int fd;

   *out = NULL;
   if (o->compress == MB_COMPRESS_ZSTD) {
      mb_error_set(err, MB_EXIT_USAGE,
                   "--out writes mongodump's directory layout, plain or gzip; zstd is for "
                   "--archive only (give --compress gzip or none)");
      return false;
   }
   if (!check_target(o, err)) {
      return false;
   }
   /* a unique name beside DIR: the temporary file's name becomes a directory */
   if (!mb_file_create_temp(o->path, &temp, &fd, err)) {
      mb_error_prefix(err, "cannot create a temporary directory beside %s", o->path);
      return false;
   }
   close(fd);
   if (unlink(temp) != 0 || mkdir(temp, 0700) != 0) {
      mb_error_errno(err, errno, "cannot create the temporary directory %s", temp);
      bson_free(temp);
      return false;
   }
   d = bson_malloc0(sizeof *d);
   d->o = *o;
   d->path = bson_strdup(o->path);
   d->temp = temp;
   *out = d;
   return true;
}

void mb_dirout_set_source(mb_dirout_t *d, const char *server_version, const char *db)
{
   d->server_version = server_version;
   d->prelude_db = db;
}

static char *sub(const mb_dirout_t *d, const char *rel)
{
   return bson_strdup_printf("%s/%s", d->temp, rel);
}

static bool make_db_dir(mb_dirout_t *d, const char *db, mb_error_t *err)
{
   char *p = bson_strdup_printf("%s/%s", d->temp, db);
   bool ok = mkdir(p, 0755) == 0 || errno == EEXIST;

   if (!ok) {
      mb_error_errno(err, errno, "cannot create %s", p);
   }
   bson_free(p);
   return ok;
}

/* Write a whole small file (rel) through the compressor. */
static bool write_file(mb_dirout_t *d, const char *rel, const char *data, size_t len,
                       mb_error_t *err)
{
   char *p = bson_strdup_printf("%s%s", rel, mb_compress_extension(d->o.compress));
   char *full = sub(d, p);
   mb_sink_t *f = NULL, *s = NULL;
   bool ok = mb_file_sink_open_mode(full, MB_FILE_NO_REPLACE, &f, err) &&
             mb_compress_sink_new(d->o.compress, d->o.level, 1, f, &s, err) &&
             mb_sink_write(s, data, len, err) && mb_sink_close(s, err);

   if (ok) {
      d->bytes_out += f->bytes_in;
   }
   mb_sink_destroy(s);
   bson_free(full);
   bson_free(p);
   return ok;
}

bool mb_dirout_add_namespace(mb_dirout_t *d, const char *db, const char *collection,
                             const char *metadata, const char *type, int *id, mb_error_t *err)
{
   dir_ns_t *n;
   char *name = NULL, *data = NULL, *rel = NULL;
   bool ok = false;

   if (!db[0]) {
      mb_error_set(err, MB_EXIT_USAGE, "--out cannot hold the namespace %s without a database",
                   collection);
      return false;
   }
   if (d->nns == d->cap) {
      d->cap = d->cap ? 2 * d->cap : 16;
      d->ns = bson_realloc(d->ns, (size_t) d->cap * sizeof *d->ns);
   }
   n = &d->ns[d->nns];
   memset(n, 0, sizeof *n);
   if (!make_db_dir(d, db, err)) {
      return false;
   }
   if (collection[0] == '$') {
      /* --dump-users-and-roles: DB/$admin.system.users.bson, no metadata, as mongodump */
      n->file =
          bson_strdup_printf("%s/%s.bson%s", db, collection, mb_compress_extension(d->o.compress));
      *id = d->nns++;
      return true;
   }
   if (!mb_dirout_escape(collection, &name, err)) {
      return false;
   }
   if (strcmp(type, "view") != 0) {
      char *dc = mb_archive_data_collection(collection, type, d->server_version);
      if (!mb_dirout_escape(dc, &data, err)) {
         bson_free(dc);
         goto done;
      }
      bson_free(dc);
      n->file = bson_strdup_printf("%s/%s.bson%s", db, data, mb_compress_extension(d->o.compress));
   }
   if (metadata[0]) {
      rel = bson_strdup_printf("%s/%s.metadata.json", db, name);
      if (!write_file(d, rel, metadata, strlen(metadata), err)) {
         goto done;
      }
   }
   *id = d->nns++;
   ok = true;
done:
   if (!ok) {
      bson_free(n->file);
      n->file = NULL;
   }
   bson_free(rel);
   bson_free(data);
   bson_free(name);
   return ok;
}

static bool open_ns(mb_dirout_t *d, dir_ns_t *n, mb_error_t *err)
{
   char *full = sub(d, n->file);
   mb_sink_t *f = NULL;
   bool ok = mb_file_sink_open_mode(full, MB_FILE_NO_REPLACE, &f, err) &&
             mb_compress_sink_new(d->o.compress, d->o.level, 1, f, &n->sink, err);

   bson_free(full);
   return ok;
}

bool mb_dirout_write_checked(mb_dirout_t *d, int id, const uint8_t *docs, size_t len,
                             uint64_t ndocs, mb_error_t *err)
{
   dir_ns_t *n = &d->ns[id];

   if (!n->file) {
      mb_error_set(err, MB_EXIT_USAGE, "documents for a view in a directory dump");
      return false;
   }
   if (!n->sink && !open_ns(d, n, err)) {
      return false;
   }
   n->docs += ndocs;
   n->bytes += len;
   n->crc = mb_crc64_update(n->crc, docs, len);
   return mb_sink_write(n->sink, docs, len, err);
}

bool mb_dirout_write(mb_dirout_t *d, int id, const uint8_t *docs, size_t len, mb_error_t *err)
{
   const char *file = d->ns[id].file ? d->ns[id].file : "a view";
   size_t off = 0;
   uint64_t k = 0;

   while (off < len) {
      uint32_t l;
      if (len - off < 5) {
         mb_error_set(err, MB_EXIT_CORRUPT, "a truncated document for %s", file);
         return false;
      }
      memcpy(&l, docs + off, 4);
      l = BSON_UINT32_FROM_LE(l);
      if (l < MB_ARCHIVE_MIN_BSON || l > len - off || docs[off + l - 1] != 0) {
         mb_error_set(err, MB_EXIT_CORRUPT, "a malformed document for %s", file);
         return false;
      }
      k++;
      off += l;
   }
   return mb_dirout_write_checked(d, id, docs, len, k, err);
}

bool mb_dirout_end_namespace(mb_dirout_t *d, int id, mb_error_t *err)
{
   dir_ns_t *n = &d->ns[id];
   mb_sink_t *f;
   bool ok;

   if (!n->file) {
      return true;
   }
   if (!n->sink && !open_ns(d, n, err)) {
      return false;
   }
   ok = mb_sink_close(n->sink, err);
   f = n->sink;
   n->bytes_out = ok ? f->bytes_in : 0; /* the compressor's input; refined below for files */
   if (ok) {
      struct stat st;
      char *full = sub(d, n->file);
      if (stat(full, &st) == 0) {
         n->bytes_out = (uint64_t) st.st_size;
      }
      bson_free(full);
      d->bytes_out += n->bytes_out;
   }
   mb_sink_destroy(n->sink);
   n->sink = NULL;
   return ok;
}

static bool write_prelude(mb_dirout_t *d, mb_error_t *err)
{
   bson_t doc = BSON_INITIALIZER;
   char *json, *rel;
   size_t len;
   bool ok;

   BSON_APPEND_UTF8(&doc, "ServerVersion", d->server_version ? d->server_version : "");
   BSON_APPEND_UTF8(&doc, "ToolVersion", d->o.tool_version ? d->o.tool_version : "");
   json = mb_text_json(&doc, &len);
   rel = d->prelude_db ? bson_strdup_printf("%s/prelude.json", d->prelude_db)
                       : bson_strdup("prelude.json");
   ok =
       (!d->prelude_db || make_db_dir(d, d->prelude_db, err)) && write_file(d, rel, json, len, err);
   bson_free(rel);
   bson_free(json);
   bson_destroy(&doc);
   return ok;
}

bool mb_dirout_finish(mb_dirout_t *d, mb_error_t *err)
{
   char *old = NULL;
   int fd;
   bool ok = false;

   for (int i = 0; i < d->nns; i++) {
      if (d->ns[i].sink) {
         mb_error_set(err, MB_EXIT_USAGE, "%s was never closed", d->ns[i].file);
         return false;
      }
   }
   if (!write_prelude(d, err)) {
      return false;
   }
   if (rename(d->temp, d->path) == 0) {
      d->published = true;
      return true;
   }
   if (errno != ENOTEMPTY && errno != EEXIST) {
      mb_error_errno(err, errno, "cannot rename %s to %s", d->temp, d->path);
      return false;
   }
   if (!d->o.overwrite) {
      mb_error_set(err, MB_EXIT_EXISTS,
                   "%s appeared during the dump and is not empty; give --overwrite to replace it",
                   d->path);
      return false;
   }
   /* --overwrite: the old tree moves aside, the new one takes its name, the old one goes */
   if (!mb_file_create_temp(d->path, &old, &fd, err)) {
      return false;
   }
   close(fd);
   if (unlink(old) != 0 || rename(d->path, old) != 0) {
      mb_error_errno(err, errno, "cannot move %s aside", d->path);
      unlink(old);
      goto done;
   }
   if (rename(d->temp, d->path) != 0) {
      mb_error_errno(err, errno, "cannot rename %s to %s", d->temp, d->path);
      if (rename(old, d->path) != 0) {
         mb_error_prefix(err, "the previous dump is now %s", old);
      }
      goto done;
   }
   d->published = true;
   ok = mb_dirout_remove_tree(old, err);
done:
   bson_free(old);
   return ok;
}

void mb_dirout_ns_stats(const mb_dirout_t *d, int id, uint64_t *docs, uint64_t *bytes,
                        uint64_t *crc)
{
   *docs = d->ns[id].docs;
   *bytes = d->ns[id].bytes;
   *crc = d->ns[id].crc;
}

uint64_t mb_dirout_bytes_out(const mb_dirout_t *d)
{
   return d->bytes_out;
}

const char *mb_dirout_path(const mb_dirout_t *d)
{
   return d->path;
}

void mb_dirout_destroy(mb_dirout_t *d)
{
   mb_error_t ignored;

   if (!d) {
      return;
   }
   for (int i = 0; i < d->nns; i++) {
      mb_sink_destroy(d->ns[i].sink);
      bson_free(d->ns[i].file);
   }
   if (!d->published && !mb_dirout_remove_tree(d->temp, &ignored)) {
      /* nothing more to do: the next run's cleanup of temporaries removes it */
   }
   bson_free(d->ns);
   bson_free(d->path);
   bson_free(d->temp);
   bson_free(d);
}
