#include "sched/lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

struct mb_lock {
   int fd;
};

bool mb_lock_acquire(const char *dir, mb_lock_t **out, mb_error_t *err)
{
   char path[4096], pid[32] = "";
   mb_lock_t *l;
   struct stat st;
   int fd;
   ssize_t n;

   snprintf(path, sizeof path, "%s/.mongobak.lock", dir);
   /* never through a symlink, never into a FIFO or device, never into a file linked elsewhere:
    * the pid written below would truncate whatever a planted link points to */
   fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0600);
   if (fd < 0 && errno == ELOOP) {
      mb_error_set(err, MB_EXIT_IO,
                   "refusing to use the lock file '%s': it is a symbolic link; remove it and "
                   "check who can write to the backup directory",
                   path);
      return false;
   }
   if (fd < 0) {
      mb_error_errno(err, errno, "cannot open the lock file '%s'", path);
      return false;
   }
   if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1) {
      close(fd);
      mb_error_set(err, MB_EXIT_IO,
                   "refusing to use the lock file '%s': it is not a regular file of its own (a "
                   "FIFO, a device or a hard link); remove it and check who can write to the "
                   "backup directory",
                   path);
      return false;
   }
   if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
      n = pread(fd, pid, sizeof pid - 1, 0);
      pid[n > 0 ? n : 0] = '\0';
      pid[strcspn(pid, "\n")] = '\0';
      close(fd);
      mb_error_set(err, MB_EXIT_LOCKED,
                   "another mongobak (pid %s) is using the backup directory '%s'; stop it or "
                   "choose another BACKUP_DIR",
                   pid[0] ? pid : "unknown", dir);
      return false;
   }
   n = snprintf(pid, sizeof pid, "%ld\n", (long) getpid());
   if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t) n, 0) != n) {
      /* the pid is informational only */
   }
   l = malloc(sizeof *l);
   if (!l) {
      close(fd);
      mb_error_set(err, MB_EXIT_FAILURE, "out of memory");
      return false;
   }
   l->fd = fd;
   *out = l;
   return true;
}

void mb_lock_release(mb_lock_t *l)
{
   if (l) {
      close(l->fd); /* releases the flock */
      free(l);
   }
}
