#include "storage/repo.h"
#include "storage/driver.h"
#include "storage/posix.h"
#include "storage/s3.h"

#include <string.h>

/* The drivers of URLs, by scheme: an object store adds its row ({"s3://", mb_repo_s3_open}).
 * Anything else, unknown schemes included, is a POSIX path as before. */
static const struct {
   const char *prefix;
   bool (*open)(const char *url, unsigned flags, mb_repo_t **out, mb_error_t *err);
} g_url_drivers[] = {
    {"s3://", mb_repo_s3_open},
    {NULL, NULL},
};

static int url_driver(const char *location)
{
   for (int i = 0; g_url_drivers[i].prefix; i++) {
      if (strncmp(location, g_url_drivers[i].prefix, strlen(g_url_drivers[i].prefix)) == 0) {
         return i;
      }
   }
   return -1;
}

static bool open_driver(const char *url, unsigned flags, mb_repo_t **out, mb_error_t *err)
{
   int i = url_driver(url);

   return i >= 0 ? g_url_drivers[i].open(url, flags, out, err)
                 : mb_repo_posix_open(url, flags, out, err);
}

bool mb_repo_open(const char *url_or_path, unsigned flags, mb_repo_t **out, mb_error_t *err)
{
   *out = NULL;
   return open_driver(url_or_path, flags, out, err);
}

bool mb_repo_locate(const char *location, mb_repo_t **out, char **name, mb_error_t *err)
{
   const char *slash = strrchr(location, '/');
   char *root;
   bool ok;

   *out = NULL;
   *name = NULL;
   /* a URL splits at its last '/': "s3://bucket/prefix/key" is "key" in "s3://bucket/prefix" */
   if (url_driver(location) < 0 || !slash) {
      ok = mb_repo_posix_open("", 0, out, err);
      *name = ok ? bson_strdup(location) : NULL;
      return ok;
   }
   root = bson_strndup(location, (size_t) (slash - location));
   ok = open_driver(root, 0, out, err);
   *name = ok ? bson_strdup(slash + 1) : NULL;
   bson_free(root);
   return ok;
}

void mb_repo_destroy(mb_repo_t *r)
{
   char *url;

   if (!r) {
      return;
   }
   url = r->url;
   r->ops->destroy(r);
   bson_free(url);
}

const char *mb_repo_url(const mb_repo_t *r)
{
   return r->url;
}

char *mb_repo_path(const mb_repo_t *r, const char *name)
{
   return r->url[0] ? bson_strdup_printf("%s/%s", r->url, name) : bson_strdup(name);
}

const char *mb_repo_name_of(const mb_repo_t *r, const char *path)
{
   size_t n = strlen(r->url);

   if (n == 0) {
      return path;
   }
   return strncmp(path, r->url, n) == 0 && path[n] == '/' && path[n + 1] ? path + n + 1 : NULL;
}

bool mb_repo_list(mb_repo_t *r, const char *prefix, mb_repo_list_fn fn, void *user_data,
                  mb_error_t *err)
{
   return r->ops->list(r, prefix ? prefix : "", fn, user_data, err);
}

bool mb_repo_create(mb_repo_t *r, const char *name, unsigned flags, mb_sink_t **out,
                    mb_error_t *err)
{
   *out = NULL;
   return r->ops->create(r, name, flags, out, err);
}

const char *mb_repo_sink_name(const mb_repo_t *r, const mb_sink_t *s)
{
   return r->ops->sink_name(r, s);
}

bool mb_repo_open_read(mb_repo_t *r, const char *name, uint64_t offset, mb_source_t **out,
                       mb_error_t *err)
{
   *out = NULL;
   return r->ops->open_read(r, name, offset, out, err);
}

bool mb_repo_stat(mb_repo_t *r, const char *name, mb_repo_entry_t *out, bool *exists,
                  mb_error_t *err)
{
   mb_repo_entry_t ignored;

   *exists = false;
   return r->ops->stat(r, name, out ? out : &ignored, exists, err);
}

bool mb_repo_remove(mb_repo_t *r, const char *name, mb_error_t *err)
{
   return r->ops->remove(r, name, err);
}

bool mb_repo_rename(mb_repo_t *r, const char *from, const char *to, unsigned flags, char **final,
                    mb_error_t *err)
{
   if (final) {
      *final = NULL;
   }
   if (!r->ops->rename) {
      mb_error_set(err, MB_EXIT_FAILURE, "cannot rename '%s' in '%s': %s storage has no rename",
                   from, r->url, r->ops->scheme);
      return false;
   }
   return r->ops->rename(r, from, to, flags, final, err);
}

bool mb_repo_abort_uploads(mb_repo_t *r, const char *prefix, mb_repo_upload_fn fn, void *user_data,
                           int *aborted, mb_error_t *err)
{
   int n = 0;
   bool ok = !r->ops->abort_uploads || r->ops->abort_uploads(r, prefix, fn, user_data, &n, err);

   if (aborted) {
      *aborted = n;
   }
   return ok;
}

bool mb_repo_read_all(mb_repo_t *r, const char *name, size_t max, char **data, size_t *len,
                      mb_error_t *err)
{
   mb_source_t *src = NULL;
   size_t cap = 4096, used = 0, got = 0;
   char *buf = NULL;
   bool ok = false;

   *data = NULL;
   *len = 0;
   if (!mb_repo_open_read(r, name, 0, &src, err)) {
      return false;
   }
   cap = cap < max ? cap : max;
   buf = bson_malloc(cap + 1);
   do {
      if (used == cap) {
         if (cap >= max) {
            char *path = mb_repo_path(r, name);
            mb_error_set(err, MB_EXIT_IO, "cannot read '%s': larger than %zu bytes", path, max);
            bson_free(path);
            goto cleanup;
         }
         cap = cap * 2 < max ? cap * 2 : max;
         buf = bson_realloc(buf, cap + 1);
      }
      if (!mb_source_read(src, buf + used, cap - used, &got, err)) {
         goto cleanup;
      }
      used += got;
   } while (got > 0);
   buf[used] = '\0';
   *data = buf;
   *len = used;
   buf = NULL;
   ok = true;
cleanup:
   bson_free(buf);
   mb_source_destroy(src);
   return ok;
}

bool mb_repo_write_all(mb_repo_t *r, const char *name, unsigned flags, const void *data, size_t len,
                       mb_error_t *err)
{
   return r->ops->put(r, name, flags, data, len, err);
}

bool mb_repo_read_json(mb_repo_t *r, const char *name, size_t max, bson_t *doc, bool *unreadable,
                       mb_error_t *err)
{
   bson_json_reader_t *jr;
   bson_error_t e = {0};
   char *data = NULL;
   size_t len = 0;
   int rc;

   *unreadable = !mb_repo_read_all(r, name, max, &data, &len, err);
   if (*unreadable) {
      return false;
   }
   jr = bson_json_data_reader_new(false, 0);
   bson_json_data_reader_ingest(jr, (const uint8_t *) data, len);
   rc = bson_json_reader_read(jr, doc, &e);
   bson_json_reader_destroy(jr);
   bson_free(data);
   if (rc != 1) {
      mb_error_set(err, MB_EXIT_IO, "%s", rc == 0 ? "no JSON document" : e.message);
   }
   return rc == 1;
}
