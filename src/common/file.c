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
#include <sys/stat.h>
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
   int slot;      /* partial registry slot, -1 when writing directly */
   char *path;    /* final name */
   char *partial; /* NULL when writing directly */
} file_sink_t;

static bool fsync_dir_of(const char *path, mb_error_t *err)
{
   char *copy = bson_strdup(path);
   const char *dir = dirname(copy);
   int fd = open(dir, O_RDONLY | O_DIRECTORY);
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
         mb_error_set(err, MB_EXIT_IO, "cannot write '%s': %s%s", f->partial ? f->partial : f->path,
                      strerror(e),
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

   if (!f->partial) {
      f->committed = true;
      return true;
   }
   if (fsync(f->fd) != 0) {
      mb_error_errno(err, errno, "cannot sync '%s'", f->partial);
      return false;
   }
   if (close(f->fd) != 0) {
      f->fd = -1;
      mb_error_errno(err, errno, "cannot close '%s'", f->partial);
      return false;
   }
   f->fd = -1;
   if (rename(f->partial, f->path) != 0) {
      mb_error_errno(err, errno, "cannot rename '%s' to '%s'", f->partial, f->path);
      return false;
   }
   f->committed = true;
   partial_forget(f->slot);
   f->slot = -1;
   return fsync_dir_of(f->path, err);
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

bool mb_file_sink_open(const char *path, mb_sink_t **out, mb_error_t *err)
{
   file_sink_t *f = calloc(1, sizeof *f);
   struct stat st;

   if (!f) {
      mb_error_set(err, MB_EXIT_FAILURE, "out of memory");
      return false;
   }
   f->base.write = file_write;
   f->base.close = file_close;
   f->base.destroy = file_destroy;
   f->slot = -1;
   f->path = bson_strdup(path);
   if (strcmp(path, "-") == 0) {
      f->fd = STDOUT_FILENO;
   } else if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
      if (S_ISDIR(st.st_mode)) {
         mb_error_set(err, MB_EXIT_IO, "cannot write '%s': it is a directory; give a file name",
                      path);
         goto fail;
      }
      f->owns_fd = true;
      f->fd = open(path, O_WRONLY | O_CLOEXEC);
      if (f->fd < 0) {
         mb_error_errno(err, errno, "cannot open '%s' for writing", path);
         goto fail;
      }
   } else {
      f->owns_fd = true;
      f->partial = bson_strdup_printf("%s.partial", path);
      f->fd = open(f->partial, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      if (f->fd < 0) {
         int e = errno;
         mb_error_set(err, MB_EXIT_IO, "cannot create '%s': %s%s", f->partial, strerror(e),
                      e == ENOENT   ? "; does the directory exist?"
                      : e == EACCES ? "; check the directory's permissions"
                                    : "");
         goto fail;
      }
      f->slot = partial_register(f->partial);
   }
   *out = &f->base;
   return true;
fail:
   f->fd = -1;
   file_destroy(&f->base);
   return false;
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

bool mb_file_source_open(const char *path, mb_source_t **out, mb_error_t *err)
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
      posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
   }
   f = calloc(1, sizeof *f);
   if (!f) {
      if (fd > STDERR_FILENO) {
         close(fd);
      }
      mb_error_set(err, MB_EXIT_FAILURE, "out of memory");
      return false;
   }
   f->base.read = filesrc_read;
   f->base.destroy = filesrc_destroy;
   f->fd = fd;
   f->path = bson_strdup(strcmp(path, "-") == 0 ? "<stdin>" : path);
   *out = &f->base;
   return true;
}

bool mb_file_write_atomic(const char *path, const void *data, size_t len, mb_error_t *err)
{
   mb_sink_t *s = NULL;
   bool ok = mb_file_sink_open(path, &s, err) && mb_sink_write(s, data, len, err) &&
             mb_sink_close(s, err);

   mb_sink_destroy(s);
   return ok;
}
