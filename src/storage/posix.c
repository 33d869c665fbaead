#include "storage/posix.h"
#include "storage/driver.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The file name of name in r, in path (PATH_MAX bytes): "<dir>/<name>", or name itself in the
 * current directory's repository. IO when it does not fit. */
static bool join(const mb_repo_t *r, const char *name, char *path, mb_error_t *err)
{
   int n = r->url[0] ? snprintf(path, PATH_MAX, "%s/%s", r->url, name)
                     : snprintf(path, PATH_MAX, "%s", name);

   if (n < 0 || n >= PATH_MAX) {
      mb_error_set(err, MB_EXIT_IO, "cannot use '%s/%s': the path is longer than %d bytes", r->url,
                   name, PATH_MAX - 1);
      return false;
   }
   return true;
}

static bool posix_list(mb_repo_t *r, const char *prefix, mb_repo_list_fn fn, void *user_data,
                       mb_error_t *err)
{
   DIR *d = opendir(r->url);
   struct dirent *de;
   size_t plen = strlen(prefix);

   if (!d) {
      mb_error_errno(err, errno, "cannot read the backup directory '%s'", r->url);
      return false;
   }
   while ((de = readdir(d)) != NULL) {
      mb_repo_entry_t e = {.name = de->d_name};
      struct stat st;
      if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
          strncmp(de->d_name, prefix, plen) != 0) {
         continue;
      }
      if (fstatat(dirfd(d), de->d_name, &st, 0) == 0) {
         e.size = (uint64_t) st.st_size;
         e.mtime = st.st_mtime;
         e.regular = S_ISREG(st.st_mode);
      }
      if (!fn(&e, user_data)) {
         break;
      }
   }
   closedir(d);
   return true;
}

static bool posix_create(mb_repo_t *r, const char *name, unsigned flags, mb_sink_t **out,
                         mb_error_t *err)
{
   char path[PATH_MAX];

   return join(r, name, path, err) && mb_file_sink_open_mode(path, flags, out, err);
}

static const char *posix_sink_name(const mb_repo_t *r, const mb_sink_t *s)
{
   const char *path = mb_file_sink_path(s);
   const char *name = mb_repo_name_of(r, path);

   return name ? name : path;
}

static bool posix_put(mb_repo_t *r, const char *name, unsigned flags, const void *data, size_t len,
                      mb_error_t *err)
{
   char path[PATH_MAX];

   return join(r, name, path, err) && mb_file_write_atomic_mode(path, data, len, flags, err);
}

static bool posix_open_read(mb_repo_t *r, const char *name, uint64_t offset, mb_source_t **out,
                            mb_error_t *err)
{
   char path[PATH_MAX];

   return join(r, name, path, err) && mb_file_source_open_at(path, offset, out, err);
}

/* Follows symbolic links, as the callers' stat(2) and access(2) did. */
static bool posix_stat(mb_repo_t *r, const char *name, mb_repo_entry_t *out, bool *exists,
                       mb_error_t *err)
{
   char path[PATH_MAX];
   struct stat st;

   if (!join(r, name, path, err)) {
      return false;
   }
   if (stat(path, &st) != 0) {
      if (errno == ENOENT || errno == ENOTDIR) {
         return true;
      }
      mb_error_errno(err, errno, "cannot stat '%s'", path);
      return false;
   }
   *exists = true;
   *out = (mb_repo_entry_t){.name = name,
                            .size = (uint64_t) st.st_size,
                            .mtime = st.st_mtime,
                            .regular = S_ISREG(st.st_mode)};
   return true;
}

static bool posix_remove(mb_repo_t *r, const char *name, mb_error_t *err)
{
   char path[PATH_MAX];

   if (!join(r, name, path, err)) {
      return false;
   }
   if (unlink(path) != 0 && errno != ENOENT) {
      mb_error_errno(err, errno, "cannot delete '%s'", path);
      return false;
   }
   return true;
}

static bool posix_rename(mb_repo_t *r, const char *from, const char *to, unsigned flags,
                         char **final, mb_error_t *err)
{
   char src[PATH_MAX], dst[PATH_MAX], *used = NULL;
   bool ok = join(r, from, src, err) && join(r, to, dst, err) &&
             mb_file_publish(src, dst, flags, final ? &used : NULL, err);

   if (ok && final) {
      const char *name = mb_repo_name_of(r, used);
      *final = bson_strdup(name ? name : used);
   }
   bson_free(used);
   return ok;
}

static void posix_destroy(mb_repo_t *r)
{
   free(r);
}

static const mb_repo_ops_t g_posix_ops = {
    .scheme = "file",
    .list = posix_list,
    .create = posix_create,
    .sink_name = posix_sink_name,
    .put = posix_put,
    .open_read = posix_open_read,
    .stat = posix_stat,
    .remove = posix_remove,
    .rename = posix_rename,
    .destroy = posix_destroy,
};

bool mb_repo_posix_open(const char *dir, unsigned flags, mb_repo_t **out, mb_error_t *err)
{
   mb_repo_t *r;

   if ((flags & MB_REPO_CREATE) && dir[0] && mkdir(dir, 0700) != 0 && errno != EEXIST) {
      mb_error_errno(err, errno, "cannot create the backup directory '%s'", dir);
      return false;
   }
   r = calloc(1, sizeof *r);
   if (!r) {
      mb_error_set(err, MB_EXIT_FAILURE, "out of memory");
      return false;
   }
   r->ops = &g_posix_ops;
   r->url = bson_strdup(dir);
   *out = r;
   return true;
}
