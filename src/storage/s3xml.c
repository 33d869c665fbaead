#include "storage/s3xml.h"

#include "common/buf.h"
#include "common/parse.h"

#include <expat.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#define TEXT_MAX 4096 /* an element's text we keep (keys are at most 1,024 bytes) */

/* The walk: the text of the element being read, the fields of the item being built. */
typedef struct {
   XML_Parser p;
   mb_buf_t text;
   int depth;
   int item_depth; /* depth of the open <Contents>/<Upload>, 0 when none */
   char *key, *upload_id, *next_token, *next_key, *next_upload;
   uint64_t size;
   time_t mtime;
   bool truncated;
   mb_s3xml_item_fn fn;
   void *user_data;
   bool stopped;
   /* mb_s3xml_text */
   const char *want;
   char *found;
} walk_t;

static const char *local_name(const char *name)
{
   const char *sep = strrchr(name, '|'); /* expat's namespace separator, if any */
   const char *colon = strrchr(name, ':');

   return sep ? sep + 1 : colon ? colon + 1 : name;
}

static char *text_dup(walk_t *w)
{
   return bson_strndup(w->text.data ? (const char *) w->text.data : "", w->text.len);
}

static void XMLCALL on_start(void *user_data, const XML_Char *name, const XML_Char **attrs)
{
   walk_t *w = user_data;
   const char *n = local_name(name);

   (void) attrs;
   w->depth++;
   mb_buf_reset(&w->text);
   if (w->fn && !w->item_depth && (strcmp(n, "Contents") == 0 || strcmp(n, "Upload") == 0)) {
      w->item_depth = w->depth;
      w->size = 0;
      w->mtime = 0;
   }
}

static void set(char **field, char *value)
{
   bson_free(*field);
   *field = value;
}

static void end_item(walk_t *w)
{
   mb_s3xml_item_t it = {w->key ? w->key : "", w->upload_id ? w->upload_id : "", w->size, w->mtime};

   w->item_depth = 0;
   if (!w->stopped && !w->fn(&it, w->user_data)) {
      w->stopped = true;
      XML_StopParser(w->p, XML_FALSE);
   }
   set(&w->key, NULL);
   set(&w->upload_id, NULL);
}

static void end_field(walk_t *w, const char *n)
{
   char *t = text_dup(w);
   double d;

   if (w->item_depth && w->depth == w->item_depth + 1) {
      if (strcmp(n, "Key") == 0) {
         set(&w->key, t);
         return;
      }
      if (strcmp(n, "UploadId") == 0) {
         set(&w->upload_id, t);
         return;
      }
      if (strcmp(n, "Size") == 0 && mb_parse_double(t, 0, 9e15, &d)) {
         w->size = (uint64_t) d;
      } else if (strcmp(n, "LastModified") == 0 || strcmp(n, "Initiated") == 0) {
         (void) mb_s3xml_time(t, &w->mtime);
      }
   } else if (!w->item_depth && w->depth == 2) {
      if (strcmp(n, "IsTruncated") == 0) {
         w->truncated = strcmp(t, "true") == 0;
      } else if (strcmp(n, "NextContinuationToken") == 0) {
         set(&w->next_token, t);
         return;
      } else if (strcmp(n, "NextKeyMarker") == 0) {
         set(&w->next_key, t);
         return;
      } else if (strcmp(n, "NextUploadIdMarker") == 0) {
         set(&w->next_upload, t);
         return;
      }
   }
   bson_free(t);
}

static void XMLCALL on_end(void *user_data, const XML_Char *name)
{
   walk_t *w = user_data;
   const char *n = local_name(name);

   if (w->want) {
      if (!w->found && strcmp(n, w->want) == 0) {
         w->found = text_dup(w);
      }
   } else if (w->item_depth && w->depth == w->item_depth) {
      end_item(w);
   } else {
      end_field(w, n);
   }
   mb_buf_reset(&w->text);
   w->depth--;
}

static void XMLCALL on_text(void *user_data, const XML_Char *s, int len)
{
   walk_t *w = user_data;
   size_t room = w->text.max - w->text.len;
   size_t n = (size_t) len < room ? (size_t) len : room;

   if (!mb_buf_append(&w->text, s, n, NULL)) {
      XML_StopParser(w->p, XML_FALSE);
   }
}

static bool walk(walk_t *w, const char *xml, size_t len, mb_error_t *err)
{
   enum XML_Status st;
   bool ok = true;

   mb_buf_init(&w->text, TEXT_MAX);
   w->p = XML_ParserCreate("UTF-8");
   if (!w->p) {
      mb_error_set(err, MB_EXIT_FAILURE, "out of memory");
      mb_buf_destroy(&w->text);
      return false;
   }
   XML_SetUserData(w->p, w);
   XML_SetElementHandler(w->p, on_start, on_end);
   XML_SetCharacterDataHandler(w->p, on_text);
   st = XML_Parse(w->p, xml, len > INT_MAX ? INT_MAX : (int) len, XML_TRUE);
   if (st == XML_STATUS_ERROR && !w->stopped) {
      mb_error_set(err, MB_EXIT_IO, "malformed XML answer (line %lu: %s)",
                   (unsigned long) XML_GetCurrentLineNumber(w->p),
                   XML_ErrorString(XML_GetErrorCode(w->p)));
      ok = false;
   }
   XML_ParserFree(w->p);
   mb_buf_destroy(&w->text);
   return ok;
}

bool mb_s3xml_list(const char *xml, size_t len, mb_s3xml_item_fn fn, void *user_data, bool *stopped,
                   char **next, mb_error_t *err)
{
   walk_t w = {.fn = fn, .user_data = user_data};
   bool ok = walk(&w, xml, len, err);

   *next = NULL;
   *stopped = w.stopped;
   if (ok && w.truncated && !w.stopped) {
      if (w.next_token) {
         *next = w.next_token;
         w.next_token = NULL;
      } else if (w.next_key) {
         *next = bson_strdup_printf("%s\n%s", w.next_key, w.next_upload ? w.next_upload : "");
      } else {
         mb_error_set(err, MB_EXIT_IO, "a truncated listing without a continuation token");
         ok = false;
      }
   }
   bson_free(w.key);
   bson_free(w.upload_id);
   bson_free(w.next_token);
   bson_free(w.next_key);
   bson_free(w.next_upload);
   return ok;
}

char *mb_s3xml_text(const char *xml, size_t len, const char *name)
{
   walk_t w = {.want = name};

   if (!walk(&w, xml, len, NULL)) {
      bson_free(w.found);
      return NULL;
   }
   return w.found;
}

bool mb_s3xml_time(const char *s, time_t *out)
{
   struct tm tm = {0};
   int y, mo, d, h, mi, sec, n = 0;
   time_t t;

   if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 || n != 19) {
      return false;
   }
   tm.tm_year = y - 1900;
   tm.tm_mon = mo - 1;
   tm.tm_mday = d;
   tm.tm_hour = h;
   tm.tm_min = mi;
   tm.tm_sec = sec;
   t = timegm(&tm);
   if (t == (time_t) -1) {
      return false;
   }
   *out = t;
   return true;
}
