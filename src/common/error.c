#include "common/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* libmongoc's domains and the server codes we classify, as numbers so that the common layer
 * does not depend on libmongoc (values from mongoc-error.h, stable since 1.0). */
enum {
   DRV_DOMAIN_CLIENT = 1,
   DRV_DOMAIN_STREAM = 2,
   DRV_DOMAIN_SASL = 7,
   DRV_DOMAIN_SCRAM = 14,
   DRV_DOMAIN_SERVER_SELECTION = 15,
   DRV_CODE_CLIENT_AUTHENTICATE = 11,
   SRV_CODE_UNAUTHORIZED = 13,
   SRV_CODE_AUTH_FAILED = 18,
};

static void vset(mb_error_t *err, const char *fmt, va_list ap)
{
   vsnprintf(err->message, sizeof err->message, fmt, ap);
}

void mb_error_set(mb_error_t *err, mb_exit_t code, const char *fmt, ...)
{
   va_list ap;

   if (!err) {
      return;
   }
   err->domain = MB_ERROR_DOMAIN;
   err->code = (uint32_t) code;
   va_start(ap, fmt);
   vset(err, fmt, ap);
   va_end(ap);
}

void mb_error_prefix(mb_error_t *err, const char *fmt, ...)
{
   va_list ap;

   va_start(ap, fmt);
   mb_error_vprefix(err, fmt, ap);
   va_end(ap);
}

void mb_error_vprefix(mb_error_t *err, const char *fmt, va_list ap)
{
   char prefix[256];
   char old[sizeof err->message];

   if (!err) {
      return;
   }
   vsnprintf(prefix, sizeof prefix, fmt, ap);
   memcpy(old, err->message, sizeof old);
   {
      size_t n = strlen(prefix);
      if (n + 2 < sizeof err->message) {
         memcpy(err->message, prefix, n);
         memcpy(err->message + n, ": ", 2);
         bson_strncpy(err->message + n + 2, old, sizeof err->message - n - 2);
      }
   }
}

void mb_error_recode(mb_error_t *err, mb_exit_t code)
{
   if (err) {
      err->domain = MB_ERROR_DOMAIN;
      err->code = (uint32_t) code;
   }
}

void mb_error_errno(mb_error_t *err, int errnum, const char *fmt, ...)
{
   char what[400];
   va_list ap;

   va_start(ap, fmt);
   vsnprintf(what, sizeof what, fmt, ap);
   va_end(ap);
   mb_error_set(err, MB_EXIT_IO, "%s: %s", what, strerror(errnum));
}

mb_exit_t mb_error_exit_code(const mb_error_t *err)
{
   if (err->domain == MB_ERROR_DOMAIN) {
      return (mb_exit_t) err->code;
   }
   switch (err->domain) {
   case DRV_DOMAIN_SERVER_SELECTION:
   case DRV_DOMAIN_STREAM:
      return MB_EXIT_CONNECT;
   case DRV_DOMAIN_SASL:
   case DRV_DOMAIN_SCRAM:
      return MB_EXIT_AUTH;
   case DRV_DOMAIN_CLIENT:
      return err->code == DRV_CODE_CLIENT_AUTHENTICATE ? MB_EXIT_AUTH : MB_EXIT_CONNECT;
   default:
      break;
   }
   if (err->code == SRV_CODE_UNAUTHORIZED || err->code == SRV_CODE_AUTH_FAILED) {
      return MB_EXIT_AUTH;
   }
   return MB_EXIT_SERVER;
}
