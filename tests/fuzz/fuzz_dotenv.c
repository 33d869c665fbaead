/* libFuzzer target: arbitrary bytes as a .env file. A rejected file must fail with USAGE and
 * "fuzz.env:<line>: ..."; an accepted one must hold valid keys with lines in file order, and
 * its values must survive a round trip: written back as KEY="escaped value" and parsed again,
 * they come back byte for byte. */
#include "common/dotenv.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_error(const mb_error_t *err)
{
   if (err->domain != MB_ERROR_DOMAIN || err->code != MB_EXIT_USAGE ||
       strncmp(err->message, "fuzz.env:", 9) != 0 || err->message[9] < '1' ||
       err->message[9] > '9') {
      abort();
   }
}

/* KEY="value" lines for every entry, escaping what double quotes need. */
static char *write_back(const mb_dotenv_t *e, size_t *len)
{
   size_t cap = 1;
   char *out, *p;

   for (int i = 0; i < e->n; i++) {
      cap += strlen(e->entries[i].key) + 2 * strlen(e->entries[i].value) + 4;
   }
   if (!(out = malloc(cap))) {
      abort();
   }
   p = out;
   for (int i = 0; i < e->n; i++) {
      size_t k = strlen(e->entries[i].key);
      memcpy(p, e->entries[i].key, k);
      p += k;
      *p++ = '=';
      *p++ = '"';
      for (const char *v = e->entries[i].value; *v; v++) {
         if (*v == '\\' || *v == '"') {
            *p++ = '\\';
            *p++ = *v;
         } else if (*v == '\n') {
            *p++ = '\\';
            *p++ = 'n';
         } else if (*v == '\r') {
            *p++ = '\\';
            *p++ = 'r';
         } else {
            *p++ = *v;
         }
      }
      *p++ = '"';
      *p++ = '\n';
   }
   *len = (size_t) (p - out);
   return out;
}

static void check_entries(const mb_dotenv_t *e)
{
   mb_dotenv_t *again = NULL;
   mb_error_t err;
   size_t len;
   char *text;

   for (int i = 0; i < e->n; i++) {
      const char *k = e->entries[i].key;
      if (!k[0] ||
          strspn(k, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") !=
              strlen(k) ||
          (k[0] >= '0' && k[0] <= '9') || k[0] == '.' || k[0] == '-' || !e->entries[i].value ||
          (i > 0 && e->entries[i].line <= e->entries[i - 1].line) || e->entries[i].line < 1 ||
          !mb_dotenv_get(e, k)) {
         abort();
      }
   }
   text = write_back(e, &len);
   if (!mb_dotenv_parse(text, len, "again.env", &again, &err) || again->n != e->n) {
      abort();
   }
   for (int i = 0; i < e->n; i++) {
      if (strcmp(again->entries[i].key, e->entries[i].key) != 0 ||
          strcmp(again->entries[i].value, e->entries[i].value) != 0) {
         abort();
      }
   }
   mb_dotenv_destroy(again);
   free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
   mb_dotenv_t *e = NULL;
   mb_error_t err;

   if (!mb_dotenv_parse((const char *) data, size, "fuzz.env", &e, &err)) {
      check_error(&err);
      if (e) {
         abort();
      }
      return 0;
   }
   check_entries(e);
   mb_dotenv_destroy(e);
   return 0;
}
