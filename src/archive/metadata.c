#include "archive/metadata.h"

#include "common/parse.h"

#include <string.h>

/* Decode the JSON string starting at s (after its opening quote) into out (up to size-1
 * characters; longer strings are cut, which is enough to compare them with short keys).
 * Returns the position after the closing quote, or NULL at the end of the text. */
static const char *json_string(const char *s, char *out, size_t size)
{
   size_t n = 0;

   while (*s && *s != '"') {
      char c = *s++;
      if (c == '\\' && *s == 'u' && strspn(s + 1, "0123456789abcdefABCDEF") >= 4) {
         char hex[5] = {s[1], s[2], s[3], s[4], '\0'};
         long v;
         c = mb_parse_long(hex, 16, 0, 0xffff, &v) && v < 0x80 ? (char) v : '?';
         s += 5;
      } else if (c == '\\' && *s) {
         c = *s++;
      }
      if (n + 1 < size) {
         out[n++] = c;
      }
   }
   out[n] = '\0';
   return *s ? s + 1 : NULL;
}

static const char *skip_space(const char *s)
{
   return s + strspn(s, " \t\r\n");
}

/* Whether the JSON text has a "$date" whose value is not an object: the relaxed
 * {"$date": "2024-01-01T00:00:00Z"} or legacy {"$date": 1700000000000} forms, which the
 * Extended JSON parser of mongorestore refuses (it reads canonical Extended JSON only). */
static bool has_noncanonical_date(const char *json)
{
   const char *s = json;

   while ((s = strchr(s, '"')) != NULL) {
      char key[8];
      s = json_string(s + 1, key, sizeof key);
      if (!s) {
         return false;
      }
      s = skip_space(s);
      if (*s == ':' && strcmp(key, "$date") == 0 && *skip_space(s + 1) != '{') {
         return true;
      }
   }
   return false;
}

static bool fail(char *problem, size_t size, const char *what)
{
   snprintf(problem, size, "%s", what);
   return false;
}

/* Whether the field key of the document at it is absent, null or of type want. */
static bool typed_or_null(const bson_iter_t *it, const char *key, bson_type_t want)
{
   bson_iter_t f;

   if (!bson_iter_recurse(it, &f) || !bson_iter_find(&f, key)) {
      return true;
   }
   return BSON_ITER_HOLDS_NULL(&f) || bson_iter_type(&f) == want;
}

static bool check_indexes(const bson_iter_t *it, char *problem, size_t psize, const char **refusal)
{
   bson_iter_t el;

   if (BSON_ITER_HOLDS_NULL(it)) {
      return true;
   }
   if (!BSON_ITER_HOLDS_ARRAY(it) || !bson_iter_recurse(it, &el)) {
      return fail(problem, psize, "has 'indexes' that is not an array");
   }
   while (bson_iter_next(&el)) {
      if (!BSON_ITER_HOLDS_DOCUMENT(&el)) {
         return fail(problem, psize, "has an index that is not a document");
      }
      if (!*refusal && !typed_or_null(&el, "key", BSON_TYPE_DOCUMENT)) {
         *refusal = "has an index 'key' that is not a document";
      }
      if (!*refusal && !typed_or_null(&el, "partialFilterExpression", BSON_TYPE_DOCUMENT)) {
         *refusal = "has an index 'partialFilterExpression' that is not a document";
      }
   }
   return true;
}

bool mb_archive_metadata_parse(const char *json, bson_t *out, char *problem, size_t problem_size,
                               char *refusal, size_t refusal_size)
{
   const char *refused = NULL;
   bson_error_t e;
   bson_iter_t it;

   refusal[0] = problem[0] = '\0';
   if (!bson_init_from_json(out, json, -1, &e)) {
      bson_init(out);
      snprintf(problem, problem_size, "is not valid Extended JSON: %s", e.message);
      return false;
   }
   if (bson_iter_init_find(&it, out, "options") && !BSON_ITER_HOLDS_NULL(&it) &&
       !BSON_ITER_HOLDS_DOCUMENT(&it)) {
      return fail(problem, problem_size, "has 'options' that is not a document");
   }
   if (bson_iter_init_find(&it, out, "indexes") &&
       !check_indexes(&it, problem, problem_size, &refused)) {
      return false;
   }
   if (bson_iter_init_find(&it, out, "uuid") && !BSON_ITER_HOLDS_NULL(&it) &&
       !BSON_ITER_HOLDS_UTF8(&it)) {
      return fail(problem, problem_size, "has a 'uuid' that is not a string");
   }
   if (!refused && bson_iter_init_find(&it, out, "collectionName") && !BSON_ITER_HOLDS_NULL(&it) &&
       !BSON_ITER_HOLDS_UTF8(&it)) {
      refused = "has a 'collectionName' that is not a string";
   }
   if (!refused && has_noncanonical_date(json)) {
      refused = "has a relaxed or legacy $date (mongorestore reads only the canonical "
                "{\"$date\":{\"$numberLong\":...}})";
   }
   snprintf(refusal, refusal_size, "%s", refused ? refused : "");
   return true;
}
