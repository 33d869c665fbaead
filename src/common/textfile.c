#include "common/textfile.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

bool mb_textfile_read(const char *path, size_t max, char **out, size_t *len, mb_error_t *err)
{
   char *data = NULL;
   size_t n = 0;
   bool ok = false;
   int fd;

   *out = NULL;
   fd = open(path, O_RDONLY | O_CLOEXEC);
   if (fd < 0) {
      mb_error_errno(err, errno, "cannot read '%s'", path);
      return false;
   }
   /* one byte more than allowed tells a file at the limit from a larger one */
   data = bson_malloc(max + 2);
   while (n <= max) {
      ssize_t r = read(fd, data + n, max + 1 - n);
      if (r < 0 && errno == EINTR) {
         continue;
      }
      if (r < 0) {
         mb_error_errno(err, errno, "cannot read '%s'", path);
         goto cleanup;
      }
      if (r == 0) {
         break;
      }
      n += (size_t) r;
   }
   if (n > max) {
      mb_error_set(err, MB_EXIT_USAGE, "'%s' is larger than the limit of %zu bytes", path, max);
      goto cleanup;
   }
   if (memchr(data, '\0', n)) {
      mb_error_set(err, MB_EXIT_USAGE, "'%s' holds a NUL byte; is it a text file?", path);
      goto cleanup;
   }
   data[n] = '\0';
   *out = data;
   data = NULL;
   if (len) {
      *len = n;
   }
   ok = true;
cleanup:
   bson_free(data);
   close(fd);
   return ok;
}
