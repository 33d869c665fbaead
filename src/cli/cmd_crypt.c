/* mongobak keygen and mongobak cat: the encryption key, and the plain archive for runbooks that
 * use the real mongorestore (docs/encryption-format.md). */
#include "cli/commands.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

int mb_cmd_keygen(const mb_args_t *args)
{
   char id[MB_CRYPT_KEY_ID_HEX];
   const char **pos;
   mb_error_t err;

   if (mb_args_positional(args, &pos) != 1) {
      mb_error_set(&err, MB_EXIT_USAGE, "give exactly one FILE to write the new key to");
      return mb_cli_fail("keygen", &err);
   }
   if (!mb_crypt_keygen(pos[0], id, &err)) {
      return mb_cli_fail("keygen", &err);
   }
   printf("keygen: wrote a new key to %s (mode 0600), key id %s\n"
          "keygen: keep a copy apart from the backups: without it they cannot be read\n",
          pos[0], id);
   return MB_EXIT_OK;
}

/* Copy src to stdout to its end; the decryption authenticates the final chunk there. */
static bool copy_out(mb_source_t *src, mb_error_t *err)
{
   char buf[64 * 1024];
   size_t got = 0;

   while (mb_source_read(src, buf, sizeof buf, &got, err)) {
      if (got == 0) {
         if (fflush(stdout) != 0) {
            mb_error_errno(err, errno, "cannot write to stdout");
            return false;
         }
         return true;
      }
      if (fwrite(buf, 1, got, stdout) != got) {
         mb_error_errno(err, errno, "cannot write to stdout");
         return false;
      }
   }
   return false;
}

int mb_cmd_cat(const mb_args_t *args)
{
   mb_crypt_key_t *key = NULL;
   mb_source_t *src = NULL, *raw = NULL, *plain = NULL;
   mb_compress_t kind = MB_COMPRESS_NONE;
   const char **pos;
   mb_error_t err;
   bool ok, encrypted = false;
   int rc = MB_EXIT_OK;

   if (mb_args_positional(args, &pos) != 1) {
      mb_error_set(&err, MB_EXIT_USAGE, "give exactly one archive FILE");
      return mb_cli_fail("cat", &err);
   }
   if (isatty(STDOUT_FILENO)) {
      mb_error_set(&err, MB_EXIT_USAGE,
                   "stdout is a terminal: redirect it to a file or a pipe (mongobak cat FILE "
                   "--decompress | mongorestore --archive)");
      return mb_cli_fail("cat", &err);
   }
   ok = mb_cli_crypt_key(args, &key, &err);
   if (ok && mb_args_flag(args, "decompress")) {
      ok = mb_cli_open_archive(pos[0], key, true, &src, &raw, &kind, &encrypted, &err) &&
           copy_out(src, &err);
   } else if (ok) { /* as stored, only decrypted */
      ok = mb_cli_open_decrypted(pos[0], key, true, &plain, &raw, &encrypted, &err) &&
           copy_out(plain, &err);
   }
   if (!ok) {
      rc = mb_cli_fail("cat", &err);
   }
   mb_source_destroy(plain);
   mb_source_destroy(src);
   mb_crypt_key_destroy(key);
   return rc;
}
