#include "common/file.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_PARTIALS 8

/* Partial files that a signal must remove; read by the handler, so plain fixed storage. A slot
 * is FREE, FILLING (claimed by one thread, its path being written) or SET (the handler may read
 * the path); lock-free atomics, so safe in the handler and between threads. */
enum { SLOT_FREE, SLOT_FILLING, SLOT_SET };
static char g_partials[MAX_PARTIALS][4096];
static atomic_int g_partial_used[MAX_PARTIALS];
static_assert(ATOMIC_INT_LOCK_FREE == 2, "the signal handler needs lock-free atomic_int");

static int partial_register(const char *path)
{
   for (int i = 0; i < MAX_PARTIALS; i++) {
      int expected = SLOT_FREE;
      if (atomic_compare_exchange_strong(&g_partial_used[i], &expected, SLOT_FILLING)) {
         snprintf(g_partials[i], sizeof g_partials[i], "%s", path);
         atomic_store(&g_partial_used[i], SLOT_SET);
         return i;
      }
   }
   return -1;
}

static void partial_forget(int slot)
{
   if (slot >= 0) {
      atomic_store(&g_partial_used[slot], SLOT_FREE);
   }
}

static void on_signal(int sig)
{
   (void) sig;
   for (int i = 0; i < MAX_PARTIALS; i++) {
      if (atomic_load(&g_partial_used[i]) == SLOT_SET) {
         unlink(g_partials[i]);
      }
   }
   _exit(130);
}

void mb_file_install_signal_cleanup(void)
{
   struct sigaction sa;

   memset(&sa, 0, sizeof sa);
   sa.sa_handler = on_signal;
   sigemptyset(&sa.sa_mask);
   sigaction(SIGINT, &sa, NULL);
   sigaction(SIGTERM, &sa, NULL);
   sigaction(SIGHUP, &sa, NULL);
   signal(SIGPIPE, SIG_IGN);
}

typedef struct {
   mb_sink_t base;
   int fd;
   bool owns_fd;
   bool committed;
   unsigned flags;
   int slot;      /* partial registry slot, -1 when writing directly */
   char *path;    /* final name */
   char *partial; /* NULL when writing directly */
} file_sink_t;

/* Whether an existing non-regular file at the final name is written directly. */
typedef enum {
   DIRECT_FOLLOW, /* what path leads to, through symlinks (/dev/stdout): paths users type */
   DIRECT_SELF,   /* only a FIFO or device that is itself at path; a symlink is a name */
   DIRECT_NEVER   /* never: names mongobak made */
} direct_t;

static void kernel_random(uint8_t *buf, size_t len)
{
   static unsigned counter;
   size_t got = 0;

   while (got < len) {
      ssize_t n = getrandom(buf + got, len - got, 0);
      if (n < 0 && errno == EINTR) {
         continue;
      }
      if (n <= 0) {
         break;
      }
      got += (size_t) n;
   }
   /* without getrandom the exclusive create still protects us; the name is only less secret */
   for (size_t i = got; i < len; i++) {
      buf[i] = (uint8_t) ((unsigned) getpid() * 2654435761u + (unsigned) time(NULL) + ++counter +
                          (unsigned) i * 40503u);
   }
}

static void (*g_random)(uint8_t *buf, size_t len) = kernel_random;

void mb_file_set_random(void (*fill)(uint8_t *buf, size_t len))
{
   g_random = fill ? fill : kernel_random;
}

static void create_error(mb_error_t *err, const char *path, int e)
{
   mb_error_set(err, MB_EXIT_IO, "cannot create '%s': %s%s", path, strerror(e),
                e == ENOENT   ? "; does the directory exist?"
                : e == EACCES ? "; check the directory's permissions"
                              : "");
}

bool mb_file_create_temp(const char *path, char **temp, int *fd, mb_error_t *err)
{
   static const char letters[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
   uint8_t rnd[6];
   char suffix[sizeof rnd + 1];
   struct stat st;

   for (int attempt = 0; attempt < 100; attempt++) {
      char *name;
      int e;
      g_random(rnd, sizeof rnd);
      for (size_t i = 0; i < sizeof rnd; i++) {
         suffix[i] = letters[rnd[i] % (sizeof letters - 1)];
      }
      suffix[sizeof rnd] = '\0';
      name = bson_strdup_printf("%s.%s.partial", path, suffix);
      *fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (*fd >= 0) {
         *temp = name;
         return true;
      }
      e = errno;
      if (e == EEXIST && lstat(name, &st) == 0 && !S_ISREG(st.st_mode)) {
         mb_error_set(err, MB_EXIT_IO,
                      "refusing to write through '%s': a %s is planted where mongobak creates "
                      "its temporary file; remove it and check who can write to that directory",
                      name, S_ISLNK(st.st_mode) ? "symbolic link" : "non-regular file");
         bson_free(name);
         return false;
      }
      bson_free(name);
      if (e != EEXIST) {
         create_error(err, path, e);
         return false;
      }
   }
   mb_error_set(err, MB_EXIT_IO,
                "cannot create a temporary file for '%s': 100 random names were taken; remove "
                "the '.partial' files beside it",
                path);
   return false;
}

char *mb_file_numbered_name(const char *path, int n)
{
   const char *base = strrchr(path, '/'), *dot;

   base = base ? base + 1 : path;
   dot = *base ? strchr(base + 1, '.') : NULL; /* a hidden file's own dot is not its extension */
   if (!dot) {
      dot = path + strlen(path);
   }
   return bson_strdup_printf("%.*s-%d%s", (int) (dot - path), path, n, dot);
}

static bool fsync_dir_of(const char *path, mb_error_t *err)
{
   char *copy = bson_strdup(path);
   const char *dir = dirname(copy);
   int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
   bool ok = true;

   if (fd < 0 || fsync(fd) != 0) {
      mb_error_errno(err, errno, "cannot sync directory '%s'", dir);
      ok = false;
   }
   if (fd >= 0) {
      close(fd);
   }
   bson_free(copy);
   return ok;
}

static void exists_error(mb_error_t *err, const char *path, unsigned flags)
{
   if (flags & MB_FILE_OWN_NAME) {
      mb_error_set(err, MB_EXIT_EXISTS,
                   "'%s' already exists and was not made by this run; refusing to replace it "
                   "(remove it)",
                   path);
   } else {
      mb_error_set(err, MB_EXIT_EXISTS,
                   "'%s' already exists; refusing to replace it (give --overwrite to replace it, "
                   "or choose another name)",
                   path);
   }
}

static bool unsupported(int e)
{
   return e == EINVAL || e == ENOSYS || e == ENOTSUP || e == EOPNOTSUPP || e == EPERM;
}

/* Rename that fails with EEXIST instead of replacing: renameat2(RENAME_NOREPLACE), or
 * link+unlink where the file system lacks it (NFS); both atomic. A file system with neither
 * (vfat) gets a check before the rename, which is the best it allows. */
static int rename_noreplace(const char *from, const char *to)
{
   struct stat st;

   if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0) {
      return 0;
   }
   if (!unsupported(errno) || errno == EPERM) {
      return -1;
   }
   if (link(from, to) == 0) {
      unlink(from);
      return 0;
   }
   if (!unsupported(errno)) {
      return -1;
   }
   if (lstat(to, &st) == 0) {
      errno = EEXIST;
      return -1;
   }
   return rename(from, to);
}

bool mb_file_publish(const char *temp, const char *path, unsigned flags, char **final,
                     mb_error_t *err)
{
   int last = (flags & MB_FILE_UNIQUE) ? 999 : 0, e = 0;
   char *name = NULL;

   if (!(flags & (MB_FILE_NO_REPLACE | MB_FILE_UNIQUE))) {
      if (rename(temp, path) != 0) {
         mb_error_errno(err, errno, "cannot rename '%s' to '%s'", temp, path);
         return false;
      }
      name = bson_strdup(path);
   }
   for (int n = 0; !name && n <= last; n++) {
      name = n ? mb_file_numbered_name(path, n) : bson_strdup(path);
      if (rename_noreplace(temp, name) != 0) {
         e = errno;
         bson_free(name);
         name = NULL;
         if (e != EEXIST) {
            break;
         }
      }
   }
   if (!name && e == EEXIST && (flags & MB_FILE_UNIQUE)) {
      mb_error_set(err, MB_EXIT_EXISTS,
                   "'%s' and its numbered names up to -%d already exist; choose another name", path,
                   last);
      return false;
   }
   if (!name && e == EEXIST) {
      exists_error(err, path, flags);
      return false;
   }
   if (!name) {
      mb_error_errno(err, e, "cannot rename '%s' to '%s'", temp, path);
      return false;
   }
   if (!fsync_dir_of(name, err)) {
      bson_free(name);
      return false;
   }
   if (final) {
      *final = name;
   } else {
      bson_free(name);
   }
   return true;
}

static bool file_write(mb_sink_t *s, const void *data, size_t len, mb_error_t *err)
{
   file_sink_t *f = (file_sink_t *) s;
   const uint8_t *p = data;

   while (len > 0) {
      ssize_t n = write(f->fd, p, len);
      if (n < 0 && errno == EINTR) {
         continue;
      }
      if (n < 0) {
         int e = errno;
         mb_error_set(err, MB_EXIT_IO, "cannot write '%s': %s%s", f->path, strerror(e),
                      e == ENOSPC ? "; free some space or choose another directory" : "");
         return false;
      }
      p += n;
      len -= (size_t) n;
   }
   return true;
}

static bool file_close(mb_sink_t *s, mb_error_t *err)
{
   file_sink_t *f = (file_sink_t *) s;
   char *final = NULL;

   if (!f->partial) {
      f->committed = true;
      return true;
   }
   if (fsync(f->fd) != 0) {
      mb_error_errno(err, errno, "cannot sync '%s'", f->path);
      return false;
   }
   if (close(f->fd) != 0) {
      f->fd = -1;
      mb_error_errno(err, errno, "cannot close '%s'", f->path);
      return false;
   }
   f->fd = -1;
   if (!mb_file_publish(f->partial, f->path, f->flags, &final, err)) {
      return false;
   }
   f->committed = true;
   partial_forget(f->slot);
   f->slot = -1;
   bson_free(f->path);
   f->path = final;
   return true;
}

static void file_destroy(mb_sink_t *s)
{
   file_sink_t *f = (file_sink_t *) s;

   if (f->owns_fd && f->fd >= 0) {
      close(f->fd);
   }
   if (!f->committed && f->partial) {
      unlink(f->partial);
   }
   partial_forget(f->slot);
   bson_free(f->path);
   bson_free(f->partial);
   free(f);
}

/* Whether path is to be written directly (an existing FIFO or device), by the rule direct. */
static bool writes_directly(const char *path, direct_t direct, const struct stat *lst, bool have_l)
{
   struct stat st;

   if (!have_l || direct == DIRECT_NEVER) {
      return false;
   }
   if (direct == DIRECT_SELF || !S_ISLNK(lst->st_mode)) {
      return !S_ISREG(lst->st_mode) && !S_ISLNK(lst->st_mode) && !S_ISDIR(lst->st_mode);
   }
   return stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode);
}

static bool is_directory(const char *path, direct_t direct, const struct stat *lst, bool have_l)
{
   struct stat st;

   if (!have_l) {
      return false;
   }
   if (direct == DIRECT_FOLLOW && S_ISLNK(lst->st_mode)) {
      return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
   }
   return S_ISDIR(lst->st_mode);
}

static bool sink_open(const char *path, unsigned flags, direct_t direct, mb_sink_t **out,
                      mb_error_t *err)
{
   static const mb_sink_t ops = {.write = file_write, .close = file_close, .destroy = file_destroy};
   file_sink_t *f = mb_sink_alloc(sizeof *f, &ops, err);
   struct stat lst;
   bool have_l;

   if (!f) {
      return false;
   }
   f->slot = -1;
   f->fd = -1;
   f->flags = flags;
   f->path = bson_strdup(path);
   if (flags & (MB_FILE_OWN_NAME | MB_FILE_UNIQUE)) {
      direct = DIRECT_NEVER; /* a generated name: what is there is someone else's */
   }
   have_l = strcmp(path, "-") != 0 && lstat(path, &lst) == 0;
   if (strcmp(path, "-") == 0) {
      f->fd = STDOUT_FILENO;
   } else if (!(flags & MB_FILE_UNIQUE) && is_directory(path, direct, &lst, have_l)) {
      mb_error_set(err, MB_EXIT_IO, "cannot write '%s': it is a directory; give a file name", path);
      goto fail;
   } else if (writes_directly(path, direct, &lst, have_l)) {
      f->owns_fd = true;
      f->fd =
          open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY | (direct == DIRECT_SELF ? O_NOFOLLOW : 0));
      if (f->fd < 0) {
         mb_error_errno(err, errno, "cannot open '%s' for writing", path);
         goto fail;
      }
   } else if (have_l && (flags & MB_FILE_NO_REPLACE) && !(flags & MB_FILE_UNIQUE)) {
      exists_error(err, path, flags);
      goto fail;
   } else {
      f->owns_fd = true;
      if (!mb_file_create_temp(path, &f->partial, &f->fd, err)) {
         goto fail;
      }
      f->slot = partial_register(f->partial);
   }
   *out = &f->base;
   return true;
fail:
   file_destroy(&f->base);
   return false;
}

bool mb_file_sink_open(const char *path, mb_sink_t **out, mb_error_t *err)
{
   return sink_open(path, MB_FILE_REPLACE, DIRECT_FOLLOW, out, err);
}

bool mb_file_sink_open_mode(const char *path, unsigned flags, mb_sink_t **out, mb_error_t *err)
{
   return sink_open(path, flags, DIRECT_FOLLOW, out, err);
}

const char *mb_file_sink_path(const mb_sink_t *s)
{
   return ((const file_sink_t *) s)->path;
}

typedef struct {
   mb_source_t base;
   int fd;
   char *path;
} file_source_t;

static bool filesrc_read(mb_source_t *s, void *buf, size_t cap, size_t *got, mb_error_t *err)
{
   file_source_t *f = (file_source_t *) s;
   ssize_t n;

   do {
      n = read(f->fd, buf, cap);
   } while (n < 0 && errno == EINTR);
   if (n < 0) {
      mb_error_errno(err, errno, "cannot read '%s'", f->path);
      return false;
   }
   *got = (size_t) n;
   return true;
}

static void filesrc_destroy(mb_source_t *s)
{
   file_source_t *f = (file_source_t *) s;

   if (f->fd > STDERR_FILENO) {
      close(f->fd);
   }
   bson_free(f->path);
   free(f);
}

static const mb_source_t g_filesrc_ops = {.read = filesrc_read, .destroy = filesrc_destroy};

bool mb_file_source_open(const char *path, mb_source_t **out, mb_error_t *err)
{
   return mb_file_source_open_at(path, 0, out, err);
}

bool mb_file_source_open_at(const char *path, uint64_t offset, mb_source_t **out, mb_error_t *err)
{
   file_source_t *f;
   struct stat st;
   int fd = STDIN_FILENO;

   if (strcmp(path, "-") != 0) {
      fd = open(path, O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
         mb_error_errno(err, errno, "cannot open '%s'", path);
         return false;
      }
      if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
         close(fd);
         mb_error_set(err, MB_EXIT_IO, "cannot read '%s': it is a directory; give an archive file",
                      path);
         return false;
      }
      if (offset > 0 && lseek(fd, (off_t) offset, SEEK_SET) < 0) {
         mb_error_errno(err, errno, "cannot seek '%s' to byte %llu", path,
                        (unsigned long long) offset);
         close(fd);
         return false;
      }
      posix_fadvise(fd, (off_t) offset, 0, POSIX_FADV_SEQUENTIAL);
   } else if (offset > 0) {
      mb_error_set(err, MB_EXIT_IO, "cannot read <stdin> from byte %llu: it is a stream",
                   (unsigned long long) offset);
      return false;
   }
   f = mb_source_alloc(sizeof *f, &g_filesrc_ops, err);
   if (!f) {
      if (fd > STDERR_FILENO) {
         close(fd);
      }
      return false;
   }
   f->fd = fd;
   f->path = bson_strdup(strcmp(path, "-") == 0 ? "<stdin>" : path);
   *out = &f->base;
   return true;
}

bool mb_file_write_atomic_mode(const char *path, const void *data, size_t len, unsigned flags,
                               mb_error_t *err)
{
   mb_sink_t *s = NULL;
   bool ok = sink_open(path, flags, DIRECT_SELF, &s, err) && mb_sink_write(s, data, len, err) &&
             mb_sink_close(s, err);

   mb_sink_destroy(s);
   return ok;
}

bool mb_file_write_atomic(const char *path, const void *data, size_t len, mb_error_t *err)
{
   return mb_file_write_atomic_mode(path, data, len, MB_FILE_REPLACE, err);
}
