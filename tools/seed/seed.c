/* mongobak-seed: fills a database with a deterministic dataset of every BSON type FerretDB 1.24
 * accepts, for the dump/restore tests. Every value, ObjectIds and dates included,
 * comes from a fixed-seed PRNG or a counter, so two runs write the same bytes.
 *
 *   mongobak-seed --uri URI --db DB [--big-mib N]
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mongoc/mongoc.h>

#define PROG "mongobak-seed"
#define USAGE "usage: " PROG " --uri URI --db DB [--big-mib N]"
#define MIB (1024 * 1024)
#define BIG_MIB_DEFAULT 3
#define BIG_MIB_MAX 1024
/* a bulk write is executed once this many bytes are queued, so --big-mib never piles up */
#define FLUSH_BYTES (16 * MIB)
#define TEXT_MAX (64 * 1024)
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* splitmix64: tiny, fast and the same on every platform */
typedef struct {
   uint64_t state;
} rng_t;

typedef struct {
   mongoc_client_t *client;
   const char *db;
   char other_db[128];
   int big_mib;
   int ncolls;
   uint64_t ndocs;
   uint64_t nbytes;
   char what[256];
   bson_error_t error;
} seed_t;

typedef struct {
   seed_t *seed;
   mongoc_collection_t *coll;
   mongoc_bulk_operation_t *bulk;
   const char *db;
   const char *name;
   bool counted;
   uint64_t queued_bytes;
} batch_t;

typedef void (*family_fn)(bson_t *doc, const char *key, rng_t *r, uint32_t form);

static const char *const words[] = {
    "alpha",
    "backup",
    "cluster",
    "durable",
    "échelle",
    "façade",
    "naïve",
    "Straße",
    "über",
    "東京",
    "データ",
    "oplog",
    "replica",
    "shard",
    "snapshot",
    "restore",
    "café",
    "библиотека",
    "δεδομένα",
    "🙂",
    "日本語",
    "crème",
    "señal",
    "archive",
    "index",
    "journal",
    "ångström",
    "Ølberg",
    "zebra",
    "quartz",
    "😀🎉👍🏽",
    "héllo wörld",
};

static const char *const first_names[] = {
    "Ada",  "José",  "Zoë",   "Łukasz", "太郎",  "Søren",  "Anaïs", "Grace",  "Ivan",
    "Маша", "Chloé", "Björn", "Amélie", "Noah",  "Emma",   "Liam",  "Olivia", "Mateo",
    "Yuki", "Priya", "Omar",  "Fatima", "Kenji", "Ingrid", "Pablo", "Nadia",  "Elif",
};

static const char *const last_names[] = {
    "Lovelace", "García", "Müller",  "Kowalski", "山田",   "Østergaard", "Dubois", "Hopper",
    "Petrov",   "Smith",  "Nguyen",  "O'Brien",  "Rossi",  "Johansson",  "Kim",    "Novák",
    "Silva",    "Yılmaz", "Schmidt", "Tanaka",   "Haddad", "Fernández",  "Brown",  "Öztürk",
};

static const char *const cities[] = {
    "Zürich", "São Paulo", "Kraków", "東京", "Reykjavík", "Montréal", "Berlin", "Lima", "Oslo",
};

static uint64_t rng_next(rng_t *r)
{
   uint64_t z = (r->state += UINT64_C(0x9E3779B97F4A7C15));

   z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
   z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
   return z ^ (z >> 31);
}

static uint32_t rng_below(rng_t *r, uint32_t n)
{
   return (uint32_t) (rng_next(r) % n);
}

static int64_t rng_range(rng_t *r, int64_t lo, int64_t hi)
{
   return lo + (int64_t) (rng_next(r) % (uint64_t) (hi - lo + 1));
}

/* finite, never NaN and never -0.0, which FerretDB refuses or rewrites */
static double rng_double(rng_t *r, double lo, double hi)
{
   double d = lo + (double) (rng_next(r) >> 11) * 0x1p-53 * (hi - lo);

   return d == 0.0 ? 0.0 : d;
}

static void rng_bytes(rng_t *r, uint8_t *buf, size_t len)
{
   size_t i;
   uint64_t v = 0;

   for (i = 0; i < len; i++) {
      if (i % 8 == 0) {
         v = rng_next(r);
      }
      buf[i] = (uint8_t) (v >> (8 * (i % 8)));
   }
}

static void rng_oid(rng_t *r, bson_oid_t *oid)
{
   uint8_t data[12];

   rng_bytes(r, data, sizeof data);
   bson_oid_init_from_data(oid, data);
}

static const char *pick(rng_t *r, const char *const *list, size_t n)
{
   return list[rng_below(r, (uint32_t) n)];
}

/* Fills buf with whole words until it holds at least target bytes or cap would be exceeded;
 * returns the length. Words are never split, so the text stays valid UTF-8. */
static size_t make_text(rng_t *r, char *buf, size_t cap, size_t target)
{
   size_t len = 0;

   while (len < target) {
      const char *w = pick(r, words, NELEM(words));
      size_t wl = strlen(w);

      if (len + wl + 2 > cap) {
         break;
      }
      if (len) {
         buf[len++] = ' ';
      }
      memcpy(buf + len, w, wl);
      len += wl;
   }
   buf[len] = '\0';
   return len;
}

static void append_text(bson_t *doc, const char *key, rng_t *r, size_t target)
{
   char buf[4096];
   size_t len = make_text(r, buf, sizeof buf, target);

   bson_append_utf8(doc, key, -1, buf, (int) len);
}

static void fam_double(bson_t *doc, const char *key, rng_t *r, uint32_t form)
{
   static const double fixed[] = {0.0,
                                  1.0,
                                  -1.5,
                                  3.141592653589793,
                                  1e308,
                                  -2.2250738585072014e-308,
                                  4.9406564584124654e-324,
                                  9007199254740993.0,
                                  0.1,
                                  1.7976931348623157e308};

   if (form % 12 < NELEM(fixed)) {
      bson_append_double(doc, key, -1, fixed[form % 12]);
   } else {
      bson_append_double(doc, key, -1, rng_double(r, -1e6, 1e6));
   }
}

static void fam_string(bson_t *doc, const char *key, rng_t *r, uint32_t form)
{
   static const char *const fixed[] = {
       "",
       "plain ascii",
       "héllo wörld",
       "日本語",
       "emoji 😀🎉👍🏽 🇯🇵 👨‍👩‍👧",
       "line\nbreak\ttab \"quote\" \\backslash /slash",
       "\x01\x1f control \x7f",
       "Ελληνικά русский العربية עברית हिन्दी",
       "e\xcc\x81 combining vs \xc3\xa9 precomposed",
       "{\"looks\": \"like json\", \"$oid\": \"0\"}",
   };

   if (form % 12 < NELEM(fixed)) {
      bson_append_utf8(doc, key, -1, fixed[form % 12], -1);
   } else {
      append_text(doc, key, r, form % 12 == 10 ? 40 : 1500);
   }
}

static void fam_binary(bson_t *doc, const char *key, rng_t *r, uint32_t form)
{
   static const bson_subtype_t subtypes[] = {BSON_SUBTYPE_BINARY, BSON_SUBTYPE_UUID,
                                             BSON_SUBTYPE_MD5, BSON_SUBTYPE_USER,
                                             BSON_SUBTYPE_BINARY};
   uint8_t data[300];
   bson_subtype_t st = subtypes[form % NELEM(subtypes)];
   uint32_t len;

   if (st == BSON_SUBTYPE_UUID || st == BSON_SUBTYPE_MD5) {
      len = 16;
   } else if (form % NELEM(subtypes) == 4) {
      len = form % 3 == 0 ? 0 : (uint32_t) sizeof data;
   } else {
      len = 1 + rng_below(r, 64);
   }
   rng_bytes(r, data, len);
   bson_append_binary(doc, key, -1, st, data, len);
}

static void fam_oid(bson_t *doc, const char *key, rng_t *r, uint32_t form)
{
   uint8_t data[12];
   bson_oid_t oid;

   if (form % 6 == 0 || form % 6 == 1) {
      memset(data, form % 6 == 0 ? 0x00 : 0xff, sizeof data);
      bson_oid_init_from_data(&oid, data);
   } else {
      rng_oid(r, &oid);
   }
   bson_append_oid(doc, key, -1, &oid);
}

static void fam_bool(bson_t *doc, const char *key, rng_t *r, uint32_t form)
{
   (void) r;
   bson_append_bool(doc, key, -1, form % 2 == 0);
}

static void fam_date(bson_t *doc, const char *key, rng_t *r, uint32_t form)
{
   static const int64_t fixed[] = {
       0,                      /* the epoch */
       -1,                     /* one millisecond before it */
       -1577923200000,         /* 1920-01-01 */
       -62135596800000,        /* 0001-01-01 */
       253402300799999,        /* 9999-12-31T23:59:59.999Z */
       951782400000,           /* 2000-02-29 */
       INT64_C(1700000000123), /* with milliseconds */
   };

   if (form % 9 < NELEM(fixed)) {
      bson_append_date_time(doc, key, -1, fixed[form % 9]);
   } else {
      bson_append_date_time(doc, key, -1,
                            rng_range(r, INT64_C(-2208988800000), INT64_C(4102444800000)));
   }
}

static void fam_null(bson_t *doc, const char *key, rng_t *r, uint32_t form)
{
   (void) r;
   (void) form;
   bson_append_null(doc, key, -1);
}

static void fam_regex(bson_t *doc, const char *key, rng_t *r, uint32_t form)
{
   static const char *const fixed[][2] = {
       {"^abc", ""}, {"h.llo\\s+w", "i"},    {"^line$", "ms"}, {"日本", "u"}, {"a|b|(c)", "imsx"},
       {"", ""},     {"\\d{3}-\\d{4}", "x"}, {"[/\\\\]", "l"},
   };

   (void) r;
   bson_append_regex(doc, key, -1, fixed[form % NELEM(fixed)][0], fixed[form % NELEM(fixed)][1]);
}

static void fam_int32(bson_t *doc, const char *key, rng_t *r, uint32_t form)
{
   static const int32_t fixed[] = {0, 1, -1, INT32_MAX, INT32_MIN, 42};

   if (form % 8 < NELEM(fixed)) {
      bson_append_int32(doc, key, -1, fixed[form % 8]);
   } else {
      bson_append_int32(doc, key, -1, (int32_t) rng_range(r, INT32_MIN, INT32_MAX));
   }
}

/* never Timestamp(0, 0): MongoDB replaces that with the current time in top-level fields */
static void fam_timestamp(bson_t *doc, const char *key, rng_t *r, uint32_t form)
{
   static const uint32_t fixed[][2] = {{1, 1}, {UINT32_MAX, UINT32_MAX}, {1700000000, 7}, {0, 1}};

   if (form % 6 < NELEM(fixed)) {
      bson_append_timestamp(doc, key, -1, fixed[form % 6][0], fixed[form % 6][1]);
   } else {
      bson_append_timestamp(doc, key, -1, 1 + rng_below(r, UINT32_MAX), rng_below(r, 1000));
   }
}

static void fam_int64(bson_t *doc, const char *key, rng_t *r, uint32_t form)
{
   static const int64_t fixed[] = {0,
                                   INT64_MAX,
                                   INT64_MIN,
                                   (INT64_C(1) << 53) + 1,
                                   -(INT64_C(1) << 53) - 1,
                                   INT64_C(4294967296)};

   if (form % 8 < NELEM(fixed)) {
      bson_append_int64(doc, key, -1, fixed[form % 8]);
   } else {
      bson_append_int64(doc, key, -1, (int64_t) rng_next(r));
   }
}

static const family_fn scalars[] = {fam_double, fam_string,    fam_binary, fam_oid,
                                    fam_bool,   fam_date,      fam_null,   fam_regex,
                                    fam_int32,  fam_timestamp, fam_int64};

static void append_random_scalar(bson_t *doc, const char *key, rng_t *r)
{
   scalars[rng_below(r, NELEM(scalars))](doc, key, r, rng_below(r, 1000));
}

/* A document nested depth levels deep, with scalars, an array of documents holding arrays, and
 * the next level at each level. */
static void append_nested(bson_t *doc, const char *key, rng_t *r, uint32_t depth)
{
   bson_t child, list, item, inner;
   char k[16];
   const char *ik;
   uint32_t i, n = rng_below(r, 3);

   bson_append_document_begin(doc, key, -1, &child);
   bson_append_int32(&child, "depth", -1, (int32_t) depth);
   append_text(&child, "name", r, 12);
   append_random_scalar(&child, "value", r);
   bson_append_array_begin(&child, "list", -1, &list);
   for (i = 0; i < n; i++) {
      bson_uint32_to_string(i, &ik, k, sizeof k);
      bson_append_document_begin(&list, ik, -1, &item);
      bson_append_int32(&item, "i", -1, (int32_t) i);
      bson_append_array_begin(&item, "tags", -1, &inner);
      bson_append_utf8(&inner, "0", -1, pick(r, words, NELEM(words)), -1);
      append_random_scalar(&inner, "1", r);
      bson_append_array_end(&item, &inner);
      bson_append_document_end(&list, &item);
   }
   bson_append_array_end(&child, &list);
   if (depth > 0) {
      append_nested(&child, "child", r, depth - 1);
   }
   bson_append_document_end(doc, &child);
}

static void fam_document(bson_t *doc, const char *key, rng_t *r, uint32_t form)
{
   bson_t child;

   if (form % 7 == 0) {
      bson_append_document_begin(doc, key, -1, &child);
      bson_append_document_end(doc, &child);
   } else {
      append_nested(doc, key, r, form % 7);
   }
}

/* never an array directly inside an array: FerretDB refuses that */
static void fam_array(bson_t *doc, const char *key, rng_t *r, uint32_t form)
{
   bson_t arr, item, inner;
   char k[16];
   const char *ik;
   uint32_t i, n;

   bson_append_array_begin(doc, key, -1, &arr);
   switch (form % 7) {
   case 0: /* empty */
      break;
   case 1:
      for (i = 0; i < 3; i++) {
         bson_uint32_to_string(i, &ik, k, sizeof k);
         bson_append_int32(&arr, ik, -1, (int32_t) i + 1);
      }
      break;
   case 2: /* one element of every scalar type */
      for (i = 0; i < NELEM(scalars); i++) {
         bson_uint32_to_string(i, &ik, k, sizeof k);
         scalars[i](&arr, ik, r, rng_below(r, 1000));
      }
      break;
   case 3: /* documents holding arrays */
      for (i = 0; i < 3; i++) {
         bson_uint32_to_string(i, &ik, k, sizeof k);
         bson_append_document_begin(&arr, ik, -1, &item);
         bson_append_array_begin(&item, "a", -1, &inner);
         if (i > 0) {
            bson_append_int64(&inner, "0", -1, (int64_t) i);
            bson_append_utf8(&inner, "1", -1, "x", -1);
         }
         bson_append_array_end(&item, &inner);
         bson_append_document_end(&arr, &item);
      }
      break;
   case 4:
      for (i = 0; i < 6; i++) {
         bson_uint32_to_string(i, &ik, k, sizeof k);
         bson_append_utf8(&arr, ik, -1, pick(r, words, NELEM(words)), -1);
      }
      break;
   case 5:
      n = 20 + rng_below(r, 40);
      for (i = 0; i < n; i++) {
         bson_uint32_to_string(i, &ik, k, sizeof k);
         bson_append_int64(&arr, ik, -1, (int64_t) rng_next(r));
      }
      break;
   default:
      for (i = 0; i < 5; i++) {
         bson_uint32_to_string(i, &ik, k, sizeof k);
         fam_binary(&arr, ik, r, i);
      }
      break;
   }
   bson_append_array_end(doc, &arr);
}

static void types_id(bson_t *doc, rng_t *r, uint32_t i)
{
   bson_t child;
   char s[32];

   switch (i % 10) {
   case 6:
      bson_append_int32(doc, "_id", -1, (int32_t) i);
      break;
   case 7:
      bson_append_int64(doc, "_id", -1, (INT64_C(1) << 40) + i);
      break;
   case 8:
      snprintf(s, sizeof s, "id-%03" PRIu32, i);
      bson_append_utf8(doc, "_id", -1, s, -1);
      break;
   case 9:
      if (i % 20 == 19) {
         bson_append_double(doc, "_id", -1, i + 0.5);
         break;
      }
      bson_append_document_begin(doc, "_id", -1, &child);
      bson_append_int32(&child, "a", -1, (int32_t) i);
      bson_append_utf8(&child, "b", -1, "compound", -1);
      bson_append_document_end(doc, &child);
      break;
   default:
      fam_oid(doc, "_id", r, 2);
      break;
   }
}

/* Every type in a form chosen by i; field order rotates with i, because dumps must keep it. */
static void types_doc(bson_t *doc, rng_t *r, uint32_t i)
{
   static const struct {
      const char *key;
      family_fn fn;
   } fams[] = {
       {"double", fam_double}, {"string", fam_string}, {"doc", fam_document}, {"array", fam_array},
       {"bin", fam_binary},    {"oid", fam_oid},       {"bool", fam_bool},    {"date", fam_date},
       {"null", fam_null},     {"regex", fam_regex},   {"int32", fam_int32},  {"ts", fam_timestamp},
       {"int64", fam_int64},
   };
   uint32_t k, start = i % 3 == 0 ? i % NELEM(fams) : 0;

   types_id(doc, r, i);
   bson_append_int32(doc, "i", -1, (int32_t) i);
   for (k = 0; k < NELEM(fams); k++) {
      uint32_t f = (start + k) % NELEM(fams);

      fams[f].fn(doc, fams[f].key, r, i);
   }
   if (i % 10 == 0) {
      fam_array(doc, "every_type", r, 2);
   }
   if (i % 25 == 0) {
      append_nested(doc, "deep", r, 12);
   }
   if (i % 50 == 7) {
      bson_append_int32(doc, "ключ", -1, (int32_t) i);
      bson_append_utf8(doc, "名前", -1, "値", -1);
      bson_append_bool(doc, "emoji_😀", -1, true);
      bson_append_utf8(doc, "key with spaces", -1, "v", -1);
      bson_append_utf8(doc, "price$usd", -1, "dollar inside a key", -1);
   }
}

static void people_doc(bson_t *doc, rng_t *r, uint32_t i)
{
   bson_t addr, geo, phones, phone, tags, prefs;
   bson_oid_t oid;
   char s[128], k[16];
   const char *ik;
   uint32_t j, n;

   rng_oid(r, &oid);
   bson_append_oid(doc, "_id", -1, &oid);
   bson_append_utf8(doc, "firstName", -1, pick(r, first_names, NELEM(first_names)), -1);
   bson_append_utf8(doc, "lastName", -1, pick(r, last_names, NELEM(last_names)), -1);
   snprintf(s, sizeof s, "user%05" PRIu32 "@example.com", i);
   bson_append_utf8(doc, "email", -1, s, -1);
   bson_append_int32(doc, "age", -1, (int32_t) rng_range(r, 18, 90));
   bson_append_date_time(doc, "created", -1, 1420070400000 + rng_range(r, 0, 315360000000));
   bson_append_document_begin(doc, "address", -1, &addr);
   snprintf(s, sizeof s, "%" PRIu32 " %s Street", 1 + rng_below(r, 999),
            pick(r, words, NELEM(words)));
   bson_append_utf8(&addr, "street", -1, s, -1);
   bson_append_utf8(&addr, "city", -1, pick(r, cities, NELEM(cities)), -1);
   snprintf(s, sizeof s, "%05" PRIu32, rng_below(r, 100000));
   bson_append_utf8(&addr, "zip", -1, s, -1);
   bson_append_document_begin(&addr, "geo", -1, &geo);
   bson_append_double(&geo, "lat", -1, rng_double(r, -90, 90));
   bson_append_double(&geo, "lng", -1, rng_double(r, -180, 180));
   bson_append_document_end(&addr, &geo);
   bson_append_document_end(doc, &addr);
   bson_append_array_begin(doc, "phones", -1, &phones);
   n = 1 + rng_below(r, 3);
   for (j = 0; j < n; j++) {
      bson_uint32_to_string(j, &ik, k, sizeof k);
      bson_append_document_begin(&phones, ik, -1, &phone);
      bson_append_utf8(&phone, "type", -1, j == 0 ? "mobile" : j == 1 ? "home" : "work", -1);
      snprintf(s, sizeof s, "+1-555-%04" PRIu32, rng_below(r, 10000));
      bson_append_utf8(&phone, "number", -1, s, -1);
      bson_append_document_end(&phones, &phone);
   }
   bson_append_array_end(doc, &phones);
   bson_append_array_begin(doc, "tags", -1, &tags);
   n = rng_below(r, 4);
   for (j = 0; j < n; j++) {
      bson_uint32_to_string(j, &ik, k, sizeof k);
      bson_append_utf8(&tags, ik, -1, pick(r, words, NELEM(words)), -1);
   }
   bson_append_array_end(doc, &tags);
   bson_append_bool(doc, "active", -1, rng_below(r, 4) != 0);
   bson_append_double(doc, "score", -1, rng_double(r, 0, 100));
   bson_append_int64(doc, "balanceCents", -1, rng_range(r, -1000000, 100000000000));
   append_text(doc, "bio", r, 10 + rng_below(r, 40));
   if (rng_below(r, 5) == 0) {
      bson_append_null(doc, "lastLogin", -1);
   } else {
      bson_append_date_time(doc, "lastLogin", -1, 1600000000000 + rng_range(r, 0, 100000000000));
   }
   bson_append_document_begin(doc, "prefs", -1, &prefs);
   bson_append_bool(&prefs, "newsletter", -1, rng_below(r, 2) == 0);
   bson_append_utf8(&prefs, "theme", -1, rng_below(r, 2) ? "dark" : "light", -1);
   bson_append_utf8(&prefs, "lang", -1, rng_below(r, 3) ? "en" : "日本語", -1);
   bson_append_document_end(doc, &prefs);
}

/* Returns false only when the text buffer cannot be allocated. */
static bool big_doc(bson_t *doc, rng_t *r, uint32_t id, size_t target)
{
   enum { PART = 32 * 1024 };
   bson_t meta, parts, part;
   char k[16];
   const char *ik;
   char *text = NULL;
   uint8_t *data = NULL;
   uint32_t j, nparts = (uint32_t) ((target + 2 * PART - 1) / (2 * PART));
   size_t len;
   bool ok = false;

   text = malloc(PART + 64);
   data = malloc(PART);
   if (!text || !data) {
      goto cleanup;
   }
   bson_append_int32(doc, "_id", -1, (int32_t) id);
   snprintf(k, sizeof k, "big-%" PRIu32, id);
   bson_append_utf8(doc, "label", -1, k, -1);
   bson_append_date_time(doc, "created", -1, 1600000000000 + (int64_t) id * 86400000);
   bson_append_document_begin(doc, "meta", -1, &meta);
   bson_append_int64(&meta, "targetBytes", -1, (int64_t) target);
   bson_append_int32(&meta, "parts", -1, (int32_t) nparts);
   bson_append_document_end(doc, &meta);
   bson_append_array_begin(doc, "parts", -1, &parts);
   for (j = 0; j < nparts; j++) {
      bson_uint32_to_string(j, &ik, k, sizeof k);
      bson_append_document_begin(&parts, ik, -1, &part);
      bson_append_int32(&part, "n", -1, (int32_t) j);
      len = make_text(r, text, PART + 64, PART);
      bson_append_utf8(&part, "text", -1, text, (int) len);
      rng_bytes(r, data, PART);
      bson_append_binary(&part, "data", -1, j % 4 == 3 ? BSON_SUBTYPE_USER : BSON_SUBTYPE_BINARY,
                         data, PART);
      bson_append_document_end(&parts, &part);
   }
   bson_append_array_end(doc, &parts);
   ok = true;
cleanup:
   free(text);
   free(data);
   return ok;
}

static void capped_doc(bson_t *doc, rng_t *r, uint32_t i)
{
   static const char *const levels[] = {"DEBUG", "INFO", "WARN", "ERROR"};
   bson_t ctx;
   bson_oid_t oid;
   char s[32];

   rng_oid(r, &oid);
   bson_append_oid(doc, "_id", -1, &oid);
   bson_append_int32(doc, "seq", -1, (int32_t) i);
   bson_append_date_time(doc, "ts", -1, 1700000000000 + (int64_t) i * 1000 + rng_below(r, 1000));
   bson_append_utf8(doc, "level", -1, pick(r, levels, NELEM(levels)), -1);
   append_text(doc, "msg", r, 60);
   bson_append_document_begin(doc, "ctx", -1, &ctx);
   snprintf(s, sizeof s, "node-%" PRIu32, rng_below(r, 8));
   bson_append_utf8(&ctx, "host", -1, s, -1);
   bson_append_int32(&ctx, "pid", -1, (int32_t) rng_range(r, 100, 65535));
   bson_append_timestamp(&ctx, "optime", -1, 1700000000 + i, 1 + rng_below(r, 10));
   bson_append_document_end(doc, &ctx);
}

static void dotted_doc(bson_t *doc, rng_t *r, uint32_t i)
{
   char s[32];

   snprintf(s, sizeof s, "d-%03" PRIu32, i);
   bson_append_utf8(doc, "_id", -1, s, -1);
   bson_append_int32(doc, "n", -1, (int32_t) i);
   bson_append_double(doc, "v", -1, rng_double(r, -1000, 1000));
   append_text(doc, "note", r, 30);
}

static void unicode_doc(bson_t *doc, rng_t *r, uint32_t i)
{
   bson_t child;
   bson_oid_t oid;

   rng_oid(r, &oid);
   bson_append_oid(doc, "_id", -1, &oid);
   bson_append_utf8(doc, "名前", -1, pick(r, first_names, NELEM(first_names)), -1);
   bson_append_int32(doc, "ключ", -1, (int32_t) i);
   bson_append_utf8(doc, "émoji", -1, "😀🎉👍🏽", -1);
   bson_append_document_begin(doc, "値", -1, &child);
   bson_append_int64(&child, "深さ", -1, (int64_t) rng_next(r));
   append_text(&child, "テキスト", r, 40);
   bson_append_document_end(doc, &child);
}

static void things_doc(bson_t *doc, rng_t *r, uint32_t i)
{
   char s[32];

   bson_append_int32(doc, "_id", -1, (int32_t) i);
   snprintf(s, sizeof s, "thing-%02" PRIu32, i);
   bson_append_utf8(doc, "name", -1, s, -1);
   bson_append_int64(doc, "qty", -1, rng_range(r, 0, 1000000));
   bson_append_double(doc, "price", -1, rng_double(r, 0.01, 999.99));
}

/* Records "<doing> <db>[.<coll>]" and the driver's error for main to print; returns false. */
static bool fail_driver(seed_t *s, const bson_error_t *error, const char *doing, const char *db,
                        const char *coll)
{
   snprintf(s->what, sizeof s->what, "%s %s%s%s", doing, db, coll ? "." : "", coll ? coll : "");
   if (error != &s->error) {
      memcpy(&s->error, error, sizeof s->error);
   }
   return false;
}

static void batch_open(seed_t *s, batch_t *b, const char *db, const char *name)
{
   memset(b, 0, sizeof *b);
   b->seed = s;
   b->db = db;
   b->name = name;
   b->counted = strcmp(db, s->db) == 0;
   b->coll = mongoc_client_get_collection(s->client, db, name);
   b->bulk = mongoc_collection_create_bulk_operation_with_opts(b->coll, NULL);
}

static bool batch_flush(batch_t *b)
{
   bson_t reply;
   bson_error_t error;
   uint32_t ok;

   if (b->queued_bytes == 0) {
      return true;
   }
   ok = mongoc_bulk_operation_execute(b->bulk, &reply, &error);
   bson_destroy(&reply);
   mongoc_bulk_operation_destroy(b->bulk);
   b->bulk = mongoc_collection_create_bulk_operation_with_opts(b->coll, NULL);
   b->queued_bytes = 0;
   if (!ok) {
      return fail_driver(b->seed, &error, "inserting into", b->db, b->name);
   }
   return true;
}

static bool batch_add(batch_t *b, const bson_t *doc)
{
   bson_error_t error;

   if (!mongoc_bulk_operation_insert_with_opts(b->bulk, doc, NULL, &error)) {
      return fail_driver(b->seed, &error, "queueing a document for", b->db, b->name);
   }
   b->queued_bytes += doc->len;
   if (b->counted) {
      b->seed->ndocs++;
      b->seed->nbytes += doc->len;
   }
   return b->queued_bytes < FLUSH_BYTES || batch_flush(b);
}

static void batch_destroy(batch_t *b)
{
   mongoc_bulk_operation_destroy(b->bulk);
   mongoc_collection_destroy(b->coll);
}

typedef void (*doc_fn)(bson_t *doc, rng_t *r, uint32_t i);

/* Inserts n documents made by fn; the PRNG is seeded per collection, so collections don't
 * depend on one another. */
static bool fill(seed_t *s, const char *db, const char *name, uint64_t seed, uint32_t n, doc_fn fn)
{
   batch_t b;
   rng_t r = {seed};
   uint32_t i;
   bool ok = true;

   batch_open(s, &b, db, name);
   for (i = 0; i < n && ok; i++) {
      bson_t doc = BSON_INITIALIZER;

      fn(&doc, &r, i);
      ok = batch_add(&b, &doc);
      bson_destroy(&doc);
   }
   ok = ok && batch_flush(&b);
   batch_destroy(&b);
   return ok;
}

/* sizes: one of 3 MiB + 256 KiB, then 1..4 MiB until about big_mib MiB; at least two documents */
static bool fill_big(seed_t *s)
{
   batch_t b;
   rng_t r = {0xB16B16};
   uint64_t total = 0, goal = (uint64_t) s->big_mib * MIB;
   uint32_t id;
   bool ok = true;

   batch_open(s, &b, s->db, "big");
   for (id = 0; ok && (id < 2 || total < goal); id++) {
      bson_t doc = BSON_INITIALIZER;
      uint64_t size = id == 0 ? 3 * MIB + MIB / 4 : (uint64_t) rng_range(&r, MIB, 4 * MIB);

      if (id > 0 && total >= goal) {
         size = MIB;
      } else if (id > 0 && goal - total < size) {
         size = goal - total < MIB ? MIB : goal - total;
      }
      if (!big_doc(&doc, &r, id, (size_t) size)) {
         snprintf(s->what, sizeof s->what, "building big document %" PRIu32, id);
         bson_set_error(&s->error, 0, 0, "out of memory");
         ok = false;
      } else {
         total += doc.len;
         ok = batch_add(&b, &doc);
      }
      bson_destroy(&doc);
   }
   ok = ok && batch_flush(&b);
   batch_destroy(&b);
   return ok;
}

static bool run_command(seed_t *s, const char *db_name, const char *coll, const bson_t *cmd,
                        const char *doing)
{
   mongoc_database_t *db = mongoc_client_get_database(s->client, db_name);
   bson_error_t error;
   bool ok = mongoc_database_write_command_with_opts(db, cmd, NULL, NULL, &error);

   mongoc_database_destroy(db);
   if (!ok) {
      return fail_driver(s, &error, doing, db_name, coll);
   }
   return true;
}

static bool drop_database(seed_t *s, const char *db_name)
{
   bson_t cmd = BSON_INITIALIZER;
   bool ok;

   BSON_APPEND_INT32(&cmd, "dropDatabase", 1);
   ok = run_command(s, db_name, NULL, &cmd, "dropping database");
   bson_destroy(&cmd);
   return ok;
}

static bool create_collection(seed_t *s, const char *name, const bson_t *opts)
{
   mongoc_database_t *db = mongoc_client_get_database(s->client, s->db);
   mongoc_collection_t *coll;
   bson_error_t error;

   coll = mongoc_database_create_collection(db, name, opts, &error);
   mongoc_database_destroy(db);
   if (!coll) {
      return fail_driver(s, &error, "creating collection", s->db, name);
   }
   mongoc_collection_destroy(coll);
   return true;
}

static void add_index(bson_t *indexes, const char *ik, const char *name, const bson_t *key,
                      bool unique)
{
   bson_t spec;

   bson_append_document_begin(indexes, ik, -1, &spec);
   BSON_APPEND_DOCUMENT(&spec, "key", key);
   BSON_APPEND_UTF8(&spec, "name", name);
   if (unique) {
      BSON_APPEND_BOOL(&spec, "unique", true);
   }
   bson_append_document_end(indexes, &spec);
}

static bool create_people_indexes(seed_t *s)
{
   bson_t cmd = BSON_INITIALIZER, indexes;
   bson_t *email = BCON_NEW("email", BCON_INT32(1));
   bson_t *name_age = BCON_NEW("lastName", BCON_INT32(1), "age", BCON_INT32(-1));
   bson_t *created = BCON_NEW("created", BCON_INT32(-1));
   bool ok;

   BSON_APPEND_UTF8(&cmd, "createIndexes", "people");
   bson_append_array_begin(&cmd, "indexes", -1, &indexes);
   add_index(&indexes, "0", "email_1", email, true);
   add_index(&indexes, "1", "lastName_1_age_-1", name_age, false);
   add_index(&indexes, "2", "created_-1", created, false);
   bson_append_array_end(&cmd, &indexes);
   ok = run_command(s, s->db, "people", &cmd, "creating indexes on");
   bson_destroy(&cmd);
   bson_destroy(email);
   bson_destroy(name_age);
   bson_destroy(created);
   return ok;
}

static bool seed_all(seed_t *s)
{
   bson_t *capped =
       BCON_NEW("capped", BCON_BOOL(true), "size", BCON_INT32(1048576), "max", BCON_INT32(1000));
   bool ok;

   ok = drop_database(s, s->db) && drop_database(s, s->other_db) &&
        fill(s, s->db, "types", 0x7E5E5, 200, types_doc) &&
        fill(s, s->db, "people", 0x9E0913, 2000, people_doc) && create_people_indexes(s) &&
        fill_big(s) && create_collection(s, "empty", NULL) &&
        create_collection(s, "capped_log", capped) &&
        fill(s, s->db, "capped_log", 0xCA99ED, 300, capped_doc) &&
        fill(s, s->db, "dotted.name.coll", 0xD077ED, 50, dotted_doc) &&
        fill(s, s->db, "ünïcödé_名前", 0x04100DE, 50, unicode_doc) &&
        fill(s, s->other_db, "things", 0x07E4, 30, things_doc);
   s->ncolls = 7;
   bson_destroy(capped);
   return ok;
}

/* FerretDB has no endSessions, and the driver warns about that when the client is destroyed */
static void log_handler(mongoc_log_level_t level, const char *domain, const char *message,
                        void *data)
{
   if (level == MONGOC_LOG_LEVEL_WARNING && strstr(message, "endSessions")) {
      return;
   }
   mongoc_log_default_handler(level, domain, message, data);
}

static bool parse_int(const char *text, int min, int max, int *out)
{
   char *end;
   long v;

   errno = 0;
   v = strtol(text, &end, 10);
   if (errno || end == text || *end || v < min || v > max) {
      return false;
   }
   *out = (int) v;
   return true;
}

/* Returns 0 to go on, or the exit code. */
static int parse_args(int argc, char **argv, const char **uri, seed_t *s)
{
   int i;

   for (i = 1; i < argc; i++) {
      const char *a = argv[i];

      if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
         printf("%s\n", USAGE);
         return -1;
      }
      if (i + 1 >= argc) {
         fprintf(stderr, PROG ": error: bad arguments: %s needs a value or is unknown; " USAGE "\n",
                 a);
         return 1;
      }
      if (strcmp(a, "--uri") == 0) {
         *uri = argv[++i];
      } else if (strcmp(a, "--db") == 0) {
         s->db = argv[++i];
      } else if (strcmp(a, "--big-mib") == 0) {
         if (!parse_int(argv[++i], 1, BIG_MIB_MAX, &s->big_mib)) {
            fprintf(stderr, PROG ": error: bad arguments: --big-mib wants 1..%d\n", BIG_MIB_MAX);
            return 1;
         }
      } else {
         fprintf(stderr, PROG ": error: bad arguments: unknown option %s; " USAGE "\n", a);
         return 1;
      }
   }
   if (!*uri || !s->db || !*s->db) {
      fprintf(stderr, PROG ": error: bad arguments: --uri and --db are required; " USAGE "\n");
      return 1;
   }
   if ((size_t) snprintf(s->other_db, sizeof s->other_db, "%s_other", s->db) >=
       sizeof s->other_db) {
      fprintf(stderr, PROG ": error: bad arguments: database name too long\n");
      return 1;
   }
   return 0;
}

int main(int argc, char **argv)
{
   seed_t s;
   const char *uri_text = NULL;
   mongoc_uri_t *uri = NULL;
   bson_error_t error;
   bson_t *ping = NULL;
   int rc;

   memset(&s, 0, sizeof s);
   s.big_mib = BIG_MIB_DEFAULT;
   rc = parse_args(argc, argv, &uri_text, &s);
   if (rc) {
      return rc < 0 ? 0 : rc;
   }
   rc = 1;
   mongoc_init();
   mongoc_log_set_handler(log_handler, NULL);
   uri = mongoc_uri_new_with_error(uri_text, &error);
   if (!uri) {
      /* the driver's message does not repeat the URI, which may hold a password */
      fprintf(stderr, PROG ": error: parsing --uri: %s\n", error.message);
      goto cleanup;
   }
   s.client = mongoc_client_new_from_uri_with_error(uri, &error);
   if (!s.client) {
      fprintf(stderr, PROG ": error: creating the client: %s\n", error.message);
      goto cleanup;
   }
   mongoc_client_set_error_api(s.client, MONGOC_ERROR_API_VERSION_2);
   mongoc_client_set_appname(s.client, PROG);
   ping = BCON_NEW("ping", BCON_INT32(1));
   if (!mongoc_client_command_simple(s.client, "admin", ping, NULL, NULL, &error)) {
      fprintf(stderr, PROG ": error: connecting to the server: %s\n", error.message);
      goto cleanup;
   }
   if (!seed_all(&s)) {
      fprintf(stderr, PROG ": error: %s: %s\n", s.what, s.error.message);
      goto cleanup;
   }
   printf("seeded %s: %d collections, %" PRIu64 " documents, %" PRIu64 " bytes\n", s.db, s.ncolls,
          s.ndocs, s.nbytes);
   rc = 0;
cleanup:
   bson_destroy(ping);
   mongoc_client_destroy(s.client);
   mongoc_uri_destroy(uri);
   mongoc_cleanup();
   return rc;
}
