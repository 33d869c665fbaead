#include "archive/format.h"

#include <bson/bson.h>
#include <ctype.h>
#include <string.h>

mb_ns_kind_t mb_archive_ns_kind(const char *db, const char *collection)
{
   static const char *special[] = {"system.users", "system.roles", "system.version"};

   if (db[0] == '\0' && strcmp(collection, "oplog") == 0) {
      return MB_NS_OPLOG;
   }
   for (int i = 0; i < 3; i++) {
      if ((strcmp(db, "admin") == 0 && strcmp(collection, special[i]) == 0) ||
          (strncmp(collection, "$admin.", 7) == 0 && strcmp(collection + 7, special[i]) == 0)) {
         return MB_NS_SPECIAL;
      }
   }
   return MB_NS_REGULAR;
}

const char *mb_archive_skip_reason(const char *db, const char *collection)
{
   mb_ns_kind_t kind = mb_archive_ns_kind(db, collection);

   if (kind == MB_NS_OPLOG) {
      return "oplog: not replayed (restore with --oplog-replay to apply it)";
   }
   if (db[0] == '\0') {
      return "no database name: not restored (mongorestore refuses the archive unless it is "
             "excluded)";
   }
   if (strcmp(collection, "system.version") == 0 ||
       strcmp(collection, "$admin.system.version") == 0) {
      return "authorization schema version: not restored";
   }
   if (strcmp(collection, "system.profile") == 0) {
      return "system.profile: the server does not accept inserts into it";
   }
   if (collection[0] == '$' && kind != MB_NS_SPECIAL) {
      return "special collection name starting with '$': not restored";
   }
   return NULL;
}

bool mb_archive_valid_db_name(const char *db)
{
   return strlen(db) <= 63 && !strpbrk(db, "/\\. \"$");
}

static bool parse_num(const char **p, const char *end, int *out)
{
   long v = 0;
   const char *s = *p;

   if (s >= end || !isdigit((unsigned char) *s)) {
      return false;
   }
   while (s < end && isdigit((unsigned char) *s)) {
      v = v * 10 + (*s - '0');
      if (v > 1000000) {
         return false;
      }
      s++;
   }
   *out = (int) v;
   *p = s;
   return true;
}

bool mb_archive_parse_version(const char *s, int *major, int *minor, int *patch)
{
   const char *end = s + strcspn(s, "-+");
   const char *p = s;

   if (!parse_num(&p, end, major) || p >= end || *p++ != '.' || !parse_num(&p, end, minor) ||
       p >= end || *p++ != '.' || !parse_num(&p, end, patch)) {
      return false;
   }
   return p == end;
}

char *mb_archive_data_collection(const char *collection, const char *type,
                                 const char *server_version)
{
   int maj = 0, min = 0, pat = 0;

   if (type && strcmp(type, "timeseries") == 0) {
      bool new_server =
          mb_archive_parse_version(server_version ? server_version : "", &maj, &min, &pat) &&
          (maj > 8 || (maj == 8 && min >= 3));
      if (!new_server) {
         return bson_strdup_printf("system.buckets.%s", collection);
      }
   }
   return bson_strdup(collection);
}

static uint32_t le32(const uint8_t *p)
{
   return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

/* Bytes of the value of an element of type t at doc[v..end) that holds no nested document;
 * 0 when the value does not fit (a value of 0 bytes, like null, is reported as SIZE_MAX). */
static size_t value_size(uint8_t t, const uint8_t *doc, size_t v, size_t end)
{
   size_t room = end - v, n;
   const uint8_t *nul;

   switch (t) {
   case 0x06: /* undefined */
   case 0x0a: /* null */
   case 0x7f: /* maxkey */
   case 0xff: /* minkey */
      return SIZE_MAX;
   case 0x08: /* bool */
      n = 1;
      break;
   case 0x10: /* int32 */
      n = 4;
      break;
   case 0x01: /* double */
   case 0x09: /* date */
   case 0x11: /* timestamp */
   case 0x12: /* int64 */
      n = 8;
      break;
   case 0x07: /* ObjectId */
      n = 12;
      break;
   case 0x13: /* decimal128 */
      n = 16;
      break;
   case 0x02: /* string */
   case 0x0d: /* code */
   case 0x0e: /* symbol */
      n = room < 4 ? 0 : 4 + (size_t) le32(doc + v);
      break;
   case 0x05: /* binary: length, subtype, bytes */
      n = room < 4 ? 0 : 5 + (size_t) le32(doc + v);
      break;
   case 0x0c: /* DBPointer: string, ObjectId */
      n = room < 4 ? 0 : 16 + (size_t) le32(doc + v);
      break;
   case 0x0b: /* regular expression: two C strings */
      nul = memchr(doc + v, 0, room);
      nul = nul ? memchr(nul + 1, 0, (size_t) (doc + end - nul - 1)) : NULL;
      n = nul ? (size_t) (nul + 1 - (doc + v)) : 0;
      break;
   default:
      return 0;
   }
   return n > 0 && n <= room ? n : 0;
}

/* Start of the nested document held by the element of type t at doc[v..end) (a document, an
 * array, or the scope of a code-with-scope), its length in *len; 0 when it does not fit. */
static size_t nested_doc(uint8_t t, const uint8_t *doc, size_t v, size_t end, size_t *len)
{
   size_t room = end - v, start = v;

   if (room < 5) {
      return 0;
   }
   if (t == 0x0f) { /* total length, string, scope document filling the rest */
      size_t total = le32(doc + v), slen;
      if (room < 14 || total < 14 || total > room) {
         return 0;
      }
      slen = le32(doc + v + 4);
      if (slen < 1 || slen > total - 13) {
         return 0;
      }
      start = v + 8 + slen;
      room = v + total - start;
      if (le32(doc + start) != room) {
         return 0;
      }
   }
   *len = le32(doc + start);
   return *len >= 5 && *len <= end - start ? start : 0;
}

bool mb_archive_depth_ok(const uint8_t *doc, size_t len, int max_depth)
{
   size_t ends[MB_ARCHIVE_MAX_DEPTH]; /* offset of each open document's terminating NUL */
   size_t pos = 4;
   int depth = 1;

   BSON_ASSERT(max_depth >= 1 && max_depth <= MB_ARCHIVE_MAX_DEPTH);
   if (len < 5 || le32(doc) != len || doc[len - 1] != 0) {
      return true;
   }
   ends[0] = len - 1;
   while (depth > 0) {
      size_t end = ends[depth - 1], v, n, inner;
      const uint8_t *nul;
      uint8_t t;
      if (pos == end) { /* this document is done: go on after it in its parent */
         pos = end + 1;
         depth--;
         continue;
      }
      t = doc[pos];
      nul = pos < end ? memchr(doc + pos + 1, 0, end - pos - 1) : NULL;
      if (t == 0 || !nul) {
         return true; /* malformed: not this function's business */
      }
      v = (size_t) (nul + 1 - doc);
      if (t == 0x03 || t == 0x04 || t == 0x0f) {
         inner = nested_doc(t, doc, v, end, &n);
         if (inner == 0) {
            return true;
         }
         if (depth == max_depth) {
            return false;
         }
         ends[depth++] = inner + n - 1;
         pos = inner + 4;
         /* a code-with-scope ends with its scope, so the parent goes on right after it */
         continue;
      }
      n = value_size(t, doc, v, end);
      if (n == 0) {
         return true;
      }
      pos = v + (n == SIZE_MAX ? 0 : n);
   }
   return true;
}
