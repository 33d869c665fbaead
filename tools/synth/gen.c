#include "gen.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NWORDS 8192
#define ZIPF_S 1.1
#define TEXT_MAX (64 * 1024)
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* splitmix64: tiny, fast and the same on every platform */
typedef struct {
   uint64_t s;
} rng_t;

static char words[NWORDS][16];
static double zipf_cdf[NWORDS];
static bool words_ready;

static const char *const profile_names[] = {"small", "medium", "large", "mixed", "alltypes"};
static const char *const id_names[] = {"oid", "uuid", "mixed"};

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
    "Zürich", "São Paulo", "Kraków",  "東京",  "Reykjavík", "Montréal", "Berlin",
    "Lima",   "Oslo",      "Nairobi", "Perth", "Toronto",   "Madrid",   "Hanoi",
};
static const char *const countries[] = {"CH", "BR", "PL", "JP", "IS", "CA", "DE",
                                        "PE", "NO", "KE", "AU", "ES", "VN", "US"};
static const char *const events[] = {"created",  "paid",     "shipped",   "delivered",
                                     "returned", "refunded", "cancelled", "reviewed"};

static uint64_t mix64(uint64_t z)
{
   z += UINT64_C(0x9E3779B97F4A7C15);
   z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
   z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
   return z ^ (z >> 31);
}

static uint64_t rnd(rng_t *r)
{
   r->s += UINT64_C(0x9E3779B97F4A7C15);
   return mix64(r->s);
}

static uint64_t rnd_below(rng_t *r, uint64_t n)
{
   return n ? rnd(r) % n : 0;
}

static int64_t rnd_range(rng_t *r, int64_t lo, int64_t hi)
{
   return lo + (int64_t) rnd_below(r, (uint64_t) (hi - lo + 1));
}

static double rnd_unit(rng_t *r)
{
   return (double) (rnd(r) >> 11) * 0x1p-53;
}

static const char *pick(rng_t *r, const char *const *list, size_t n)
{
   return list[rnd_below(r, n)];
}

static void put_be(uint8_t *out, uint64_t v, int nbytes)
{
   for (int k = nbytes - 1; k >= 0; k--) {
      out[k] = (uint8_t) v;
      v >>= 8;
   }
}

static void put_le32(uint8_t *out, uint32_t v)
{
   out[0] = (uint8_t) v;
   out[1] = (uint8_t) (v >> 8);
   out[2] = (uint8_t) (v >> 16);
   out[3] = (uint8_t) (v >> 24);
}

/* Words of English-like letters and lengths, the same on every run whatever the seed, drawn
 * with a Zipf law (as in real text): deflate and zstd then see the match lengths and hash-chain
 * depths of real text, at real text's speed. */
static void make_words(void)
{
   static const char letters[] = "etaoinshrdlcumwfgypbvkjxqz";
   static const double letter_freq[] = {12.7, 9.1, 8.2, 7.5, 7.0,  6.7,  6.3, 6.1, 6.0,
                                        4.3,  4.0, 2.8, 2.8, 2.4,  2.4,  2.2, 2.0, 2.0,
                                        1.9,  1.5, 1.0, 0.8, 0.15, 0.15, 0.1, 0.07};
   static const int lengths[] = {2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 5, 6, 6, 7, 7, 8, 9, 10, 11, 12};
   double total = 0, acc = 0;
   rng_t r = {42};

   for (size_t k = 0; k < NELEM(letter_freq); k++) {
      total += letter_freq[k];
   }
   for (int w = 0; w < NWORDS; w++) {
      int n = lengths[rnd_below(&r, NELEM(lengths))];
      for (int k = 0; k < n; k++) {
         double u = rnd_unit(&r) * total, c = 0;
         size_t l = 0;
         while (l + 1 < NELEM(letter_freq) && (c += letter_freq[l]) < u) {
            l++;
         }
         words[w][k] = letters[l];
      }
      words[w][n] = '\0';
   }
   for (int w = 0; w < NWORDS; w++) {
      zipf_cdf[w] = (acc += pow(w + 1, -ZIPF_S));
   }
   for (int w = 0; w < NWORDS; w++) {
      zipf_cdf[w] /= acc;
   }
   words_ready = true;
}

static const char *word(rng_t *r)
{
   double u = rnd_unit(r);
   int lo = 0, hi = NWORDS - 1;

   while (lo < hi) {
      int mid = (lo + hi) / 2;
      if (zipf_cdf[mid] < u) {
         lo = mid + 1;
      } else {
         hi = mid;
      }
   }
   return words[lo];
}

/* Exactly len bytes of ASCII words and spaces. */
static void make_text(rng_t *r, char *buf, size_t len)
{
   size_t n = 0;

   while (n < len) {
      const char *w = word(r);
      size_t wl = strlen(w);
      if (n) {
         buf[n++] = ' ';
      }
      if (wl > len - n) {
         wl = len - n;
      }
      memcpy(buf + n, w, wl);
      n += wl;
   }
}

static void append_words(bson_t *b, const char *key, rng_t *r, int nwords)
{
   char buf[256];
   size_t n = 0;

   for (int k = 0; k < nwords; k++) {
      const char *w = word(r);
      size_t wl = strlen(w);
      if (n + wl + 2 > sizeof buf) {
         break;
      }
      if (n) {
         buf[n++] = ' ';
      }
      memcpy(buf + n, w, wl);
      n += wl;
   }
   bson_append_utf8(b, key, -1, buf, (int) n);
}

/* Never BSON_APPEND_UTF8 (b, k, f ()): the macro evaluates its value twice. */
static void put_str(bson_t *b, const char *key, const char *s)
{
   bson_append_utf8(b, key, -1, s, -1);
}

static int64_t rnd_date(rng_t *r)
{
   return rnd_range(r, INT64_C(1420070400000), INT64_C(1767225600000)); /* 2015..2026 */
}

static void fields_small(bson_t *b, rng_t *r)
{
   char name[96];
   const char *first = pick(r, first_names, NELEM(first_names));
   const char *last = pick(r, last_names, NELEM(last_names));

   /* (one rng call per statement: argument evaluation order is unspecified in C) */
   snprintf(name, sizeof name, "%s %s", first, last);
   put_str(b, "name", name);
   BSON_APPEND_INT32(b, "age", (int32_t) rnd_range(r, 18, 90));
   BSON_APPEND_DOUBLE(b, "score", floor(rnd_unit(r) * 100000.0) / 100.0);
   BSON_APPEND_BOOL(b, "active", rnd_below(r, 4) != 0);
   BSON_APPEND_DATE_TIME(b, "created", rnd_date(r));
   put_str(b, "city", pick(r, cities, NELEM(cities)));
}

static void fields_medium(bson_t *b, rng_t *r)
{
   bson_t sub;
   char buf[128], key[16];
   const char *k;
   uint8_t hash[16];
   const char *w;
   unsigned num;
   int n;

   fields_small(b, r);
   w = word(r);
   num = (unsigned) rnd_below(r, 100000);
   snprintf(buf, sizeof buf, "%s.%u@example.com", w, num);
   put_str(b, "email", buf);
   BSON_APPEND_DOCUMENT_BEGIN(b, "address", &sub);
   num = (unsigned) rnd_range(r, 1, 9999);
   w = word(r);
   snprintf(buf, sizeof buf, "%u %s street", num, w);
   put_str(&sub, "street", buf);
   put_str(&sub, "city", pick(r, cities, NELEM(cities)));
   snprintf(buf, sizeof buf, "%05u", (unsigned) rnd_below(r, 100000));
   put_str(&sub, "zip", buf);
   put_str(&sub, "country", pick(r, countries, NELEM(countries)));
   bson_append_document_end(b, &sub);
   BSON_APPEND_ARRAY_BEGIN(b, "tags", &sub);
   n = (int) rnd_range(r, 2, 6);
   for (int t = 0; t < n; t++) {
      bson_uint32_to_string((uint32_t) t, &k, key, sizeof key);
      put_str(&sub, k, word(r));
   }
   bson_append_array_end(b, &sub);
   BSON_APPEND_ARRAY_BEGIN(b, "ratings", &sub);
   n = (int) rnd_range(r, 3, 8);
   for (int t = 0; t < n; t++) {
      bson_uint32_to_string((uint32_t) t, &k, key, sizeof key);
      BSON_APPEND_INT32(&sub, k, (int32_t) rnd_range(r, 1, 5));
   }
   bson_append_array_end(b, &sub);
   BSON_APPEND_INT64(b, "views", (int64_t) rnd_below(r, 10000000));
   for (size_t h = 0; h < sizeof hash; h++) {
      hash[h] = (uint8_t) rnd(r);
   }
   BSON_APPEND_BINARY(b, "hash", BSON_SUBTYPE_BINARY, hash, sizeof hash);
   BSON_APPEND_DATE_TIME(b, "updated", rnd_date(r));
   if (rnd_below(r, 3) == 0) {
      BSON_APPEND_NULL(b, "deleted");
   }
}

static void fields_large(bson_t *b, rng_t *r)
{
   bson_t arr, item;
   char key[16], sku[32];
   const char *k;
   int n;

   fields_medium(b, r);
   BSON_APPEND_ARRAY_BEGIN(b, "items", &arr);
   n = (int) rnd_range(r, 20, 120);
   for (int t = 0; t < n; t++) {
      bson_uint32_to_string((uint32_t) t, &k, key, sizeof key);
      BSON_APPEND_DOCUMENT_BEGIN(&arr, k, &item);
      snprintf(sku, sizeof sku, "SKU-%06u", (unsigned) rnd_below(r, 1000000));
      BSON_APPEND_UTF8(&item, "sku", sku);
      BSON_APPEND_INT32(&item, "qty", (int32_t) rnd_range(r, 1, 20));
      BSON_APPEND_DOUBLE(&item, "price", floor(rnd_unit(r) * 50000.0) / 100.0);
      append_words(&item, "title", r, (int) rnd_range(r, 2, 5));
      bson_append_document_end(&arr, &item);
   }
   bson_append_array_end(b, &arr);
   BSON_APPEND_ARRAY_BEGIN(b, "history", &arr);
   n = (int) rnd_range(r, 5, 40);
   for (int t = 0; t < n; t++) {
      bson_uint32_to_string((uint32_t) t, &k, key, sizeof key);
      BSON_APPEND_DOCUMENT_BEGIN(&arr, k, &item);
      BSON_APPEND_DATE_TIME(&item, "at", rnd_date(r));
      put_str(&item, "event", pick(r, events, NELEM(events)));
      bson_append_document_end(&arr, &item);
   }
   bson_append_array_end(b, &arr);
}

static void append_deep(bson_t *b, const char *key, int depth)
{
   bson_t sub;

   BSON_APPEND_DOCUMENT_BEGIN(b, key, &sub);
   if (depth > 0) {
      append_deep(&sub, "d", depth - 1);
   } else {
      BSON_APPEND_UTF8(&sub, "bottom", "here");
   }
   bson_append_document_end(b, &sub);
}

static void append_decimal(bson_t *b, const char *key, const char *s)
{
   bson_decimal128_t d;

   bson_decimal128_from_string(s, &d);
   BSON_APPEND_DECIMAL128(b, key, &d);
}

static void fields_alltypes_scalars(bson_t *b, rng_t *r)
{
   bson_oid_t oid;
   uint8_t bytes[32];
   char num[64];
   uint32_t t;

   BSON_APPEND_DOUBLE(b, "double", rnd_unit(r) * 1e6 - 5e5);
   BSON_APPEND_DOUBLE(b, "nan", NAN);
   BSON_APPEND_DOUBLE(b, "inf", INFINITY);
   BSON_APPEND_DOUBLE(b, "ninf", -INFINITY);
   BSON_APPEND_DOUBLE(b, "negzero", -0.0);
   BSON_APPEND_DOUBLE(b, "tiny", 4.9406564584124654e-324);
   BSON_APPEND_UTF8(b, "string", "héllo wörld ✓ 𝄞 東京");
   BSON_APPEND_UTF8(b, "empty_string", "");
   BSON_APPEND_UNDEFINED(b, "undefined");
   for (size_t k = 0; k < sizeof bytes; k++) {
      bytes[k] = (uint8_t) rnd(r);
   }
   bson_oid_init_from_data(&oid, bytes);
   BSON_APPEND_OID(b, "oid", &oid);
   BSON_APPEND_BOOL(b, "true", true);
   BSON_APPEND_BOOL(b, "false", false);
   BSON_APPEND_DATE_TIME(b, "date", rnd_date(r));
   BSON_APPEND_DATE_TIME(b, "date_1900", INT64_C(-2208988800000));
   BSON_APPEND_DATE_TIME(b, "date_9999", INT64_C(253402300799999));
   BSON_APPEND_NULL(b, "null");
   BSON_APPEND_REGEX(b, "regex", "^a.*b[0-9]+$", "imsx");
   BSON_APPEND_REGEX(b, "regex_plain", "x", "");
   bson_append_dbpointer(b, "dbpointer", -1, "db.coll", &oid);
   BSON_APPEND_CODE(b, "code", "function () { return 1; }");
   BSON_APPEND_SYMBOL(b, "symbol", "sym");
   BSON_APPEND_INT32(b, "int32", (int32_t) rnd(r));
   BSON_APPEND_INT32(b, "int32_min", INT32_MIN);
   BSON_APPEND_INT32(b, "int32_max", INT32_MAX);
   t = (uint32_t) rnd(r);
   BSON_APPEND_TIMESTAMP(b, "timestamp", t, (uint32_t) rnd(r));
   BSON_APPEND_TIMESTAMP(b, "timestamp_1", 1, 1);
   BSON_APPEND_INT64(b, "int64", (int64_t) rnd(r));
   BSON_APPEND_INT64(b, "int64_min", INT64_MIN);
   BSON_APPEND_INT64(b, "int64_max", INT64_MAX);
   t = (uint32_t) rnd_below(r, 100000);
   snprintf(num, sizeof num, "%u.%04u", (unsigned) t, (unsigned) rnd_below(r, 10000));
   append_decimal(b, "decimal", num);
   append_decimal(b, "decimal_nan", "NaN");
   append_decimal(b, "decimal_inf", "-Infinity");
   append_decimal(b, "decimal_negzero", "-0");
   append_decimal(b, "decimal_max", "9.999999999999999999999999999999999E+6144");
   BSON_APPEND_MINKEY(b, "minkey");
   BSON_APPEND_MAXKEY(b, "maxkey");
}

static void fields_alltypes_nested(bson_t *b, rng_t *r)
{
   static const bson_subtype_t subtypes[] = {
       BSON_SUBTYPE_BINARY,          BSON_SUBTYPE_FUNCTION, BSON_SUBTYPE_BINARY_DEPRECATED,
       BSON_SUBTYPE_UUID_DEPRECATED, BSON_SUBTYPE_UUID,     BSON_SUBTYPE_MD5,
       BSON_SUBTYPE_ENCRYPTED,       (bson_subtype_t) 7,    BSON_SUBTYPE_USER};
   bson_t sub, sub2, sub3, scope;
   uint8_t bytes[16];
   char key[32];

   BSON_APPEND_DOCUMENT_BEGIN(b, "document", &sub);
   BSON_APPEND_INT32(&sub, "a", (int32_t) rnd_below(r, 1000));
   BSON_APPEND_UTF8(&sub, "ü€ key", "unicode key");
   bson_append_document_end(b, &sub);
   BSON_APPEND_DOCUMENT_BEGIN(b, "empty_document", &sub);
   bson_append_document_end(b, &sub);
   BSON_APPEND_ARRAY_BEGIN(b, "array", &sub);
   BSON_APPEND_INT32(&sub, "0", 1);
   BSON_APPEND_UTF8(&sub, "1", "two");
   BSON_APPEND_DOUBLE(&sub, "2", 3.0);
   BSON_APPEND_NULL(&sub, "3");
   bson_append_array_end(b, &sub);
   BSON_APPEND_ARRAY_BEGIN(b, "nested_arrays", &sub); /* [[1, [2, [3, []]]], []] */
   BSON_APPEND_ARRAY_BEGIN(&sub, "0", &sub2);
   BSON_APPEND_INT32(&sub2, "0", 1);
   BSON_APPEND_ARRAY_BEGIN(&sub2, "1", &sub3);
   BSON_APPEND_INT32(&sub3, "0", 2);
   BSON_APPEND_ARRAY_BEGIN(&sub3, "1", &scope);
   BSON_APPEND_INT32(&scope, "0", 3);
   bson_append_array_end(&sub3, &scope);
   bson_append_array_end(&sub2, &sub3);
   bson_append_array_end(&sub, &sub2);
   BSON_APPEND_ARRAY_BEGIN(&sub, "1", &sub2);
   bson_append_array_end(&sub, &sub2);
   bson_append_array_end(b, &sub);
   BSON_APPEND_ARRAY_BEGIN(b, "empty_array", &sub);
   bson_append_array_end(b, &sub);
   for (size_t s = 0; s < NELEM(subtypes); s++) {
      size_t n = (subtypes[s] == BSON_SUBTYPE_UUID || subtypes[s] == BSON_SUBTYPE_UUID_DEPRECATED ||
                  subtypes[s] == BSON_SUBTYPE_MD5)
                     ? 16
                     : rnd_below(r, sizeof bytes + 1);
      for (size_t k = 0; k < n; k++) {
         bytes[k] = (uint8_t) rnd(r);
      }
      snprintf(key, sizeof key, "binary_%u", (unsigned) subtypes[s]);
      bson_append_binary(b, key, -1, subtypes[s], bytes, (uint32_t) n);
   }
   bson_init(&scope);
   BSON_APPEND_INT32(&scope, "x", (int32_t) rnd_below(r, 100));
   BSON_APPEND_CODE_WITH_SCOPE(b, "code_with_scope", "function () { return x; }", &scope);
   bson_destroy(&scope);
   append_deep(b, "deep", 40);
}

static void fields_alltypes(bson_t *b, rng_t *r)
{
   fields_alltypes_scalars(b, r);
   fields_alltypes_nested(b, r);
}

/* Target document size (with a UUID _id) for one slot. */
static uint32_t target_size(syn_profile_t p, rng_t *r, syn_profile_t *actual)
{
   if (p == SYN_MIXED) {
      uint64_t u = rnd_below(r, 100);
      p = u < 70 ? SYN_SMALL : u < 95 ? SYN_MEDIUM : SYN_LARGE;
   }
   *actual = p;
   switch (p) {
   case SYN_SMALL:
      return (uint32_t) rnd_range(r, 110, 190);
   case SYN_MEDIUM:
      return (uint32_t) rnd_range(r, 900, 2100);
   case SYN_LARGE:
      return (uint32_t) rnd_range(r, 20000, 40000);
   default:
      return (uint32_t) rnd_range(r, 1500, 1900);
   }
}

/* One body into b (reinitialised), its padding text sized so that the document with a UUID _id
 * has the target size when the fields leave room for it. */
static void make_body(syn_profile_t profile, uint64_t seed, int page, uint32_t slot, bson_t *b,
                      char *text)
{
   rng_t r = {mix64(seed ^ mix64(((uint64_t) profile << 56) ^ ((uint64_t) page << 40) ^ slot))};
   syn_profile_t p;
   uint32_t target = target_size(profile, &r, &p);
   int64_t pad;

   bson_reinit(b);
   switch (p) {
   case SYN_SMALL:
      fields_small(b, &r);
      break;
   case SYN_MEDIUM:
      fields_medium(b, &r);
      break;
   case SYN_LARGE:
      fields_large(b, &r);
      break;
   default:
      fields_alltypes(b, &r);
      break;
   }
   /* a UUID-_id document is b->len + SYN_ID_MAX_FIXED; "text" costs 11 bytes + its length */
   pad = (int64_t) target - (int64_t) b->len - SYN_ID_MAX_FIXED - 11;
   if (pad > TEXT_MAX) {
      pad = TEXT_MAX;
   }
   if (pad >= 0) {
      make_text(&r, text, (size_t) pad);
      bson_append_utf8(b, "text", 4, text, (int) pad);
   }
}

static uint32_t digits(uint32_t k)
{
   uint32_t n = 1;
   while (k >= 10) {
      k /= 10;
      n++;
   }
   return n;
}

/* Fill one page with the bodies that fit in a reply (as UUID-_id documents). */
static bool build_page(syn_pool_t *pool, uint64_t seed, int p, bson_t *b, char *text)
{
   size_t cap = 1u << 16, used = 0, body_bytes = 0;
   uint32_t k = 0;

   pool->body[p] = malloc(SYN_BATCH_BYTES);
   pool->off[p] = malloc(cap * sizeof(uint32_t));
   if (!pool->body[p] || !pool->off[p]) {
      return false;
   }
   for (;; k++) {
      uint32_t blen, elem;
      make_body(pool->profile, seed, p, k, b, text);
      blen = b->len - 5;
      elem = 2 + digits(k) + 4 + SYN_ID_MAX_FIXED + blen + 1;
      if (k > 0 && used + elem > SYN_BATCH_BYTES) {
         break;
      }
      if (k + 2 > cap) {
         uint32_t *o = realloc(pool->off[p], 2 * cap * sizeof(uint32_t));
         if (!o) {
            return false;
         }
         pool->off[p] = o;
         cap *= 2;
      }
      pool->off[p][k] = (uint32_t) body_bytes;
      memcpy(pool->body[p] + body_bytes, bson_get_data(b) + 4, blen);
      body_bytes += blen;
      used += elem;
   }
   pool->off[p][k] = (uint32_t) body_bytes;
   pool->ndocs[p] = k;
   return true;
}

bool syn_pool_build(syn_profile_t profile, uint64_t seed, int npages, syn_pool_t *out)
{
   bson_t b = BSON_INITIALIZER;
   char *text = malloc(TEXT_MAX);
   bool ok = text != NULL;

   if (!words_ready) {
      make_words();
   }
   memset(out, 0, sizeof *out);
   out->profile = profile;
   out->npages = npages;
   out->ndocs = calloc((size_t) npages, sizeof *out->ndocs);
   out->body = calloc((size_t) npages, sizeof *out->body);
   out->off = calloc((size_t) npages, sizeof *out->off);
   out->start = calloc((size_t) npages, sizeof *out->start);
   ok = ok && out->ndocs && out->body && out->off && out->start;
   for (int p = 0; ok && p < npages; p++) {
      ok = build_page(out, seed, p, &b, text);
      if (ok) {
         out->start[p] = out->cycle_docs;
         out->cycle_docs += out->ndocs[p];
         out->cycle_bytes += out->off[p][out->ndocs[p]];
      }
   }
   bson_destroy(&b);
   free(text);
   return ok;
}

void syn_pool_free(syn_pool_t *pool)
{
   for (int p = 0; pool->body && p < pool->npages; p++) {
      free(pool->body[p]);
      free(pool->off[p]);
   }
   free(pool->body);
   free(pool->off);
   free(pool->ndocs);
   free(pool->start);
   memset(pool, 0, sizeof *pool);
}

const char *syn_profile_name(syn_profile_t p)
{
   return profile_names[p];
}

bool syn_profile_parse(const char *s, syn_profile_t *out)
{
   for (int p = 0; p < SYN_NPROFILES; p++) {
      if (strcmp(s, profile_names[p]) == 0) {
         *out = (syn_profile_t) p;
         return true;
      }
   }
   return false;
}

const char *syn_id_name(syn_id_t t)
{
   return id_names[t];
}

bool syn_id_parse(const char *s, syn_id_t *out)
{
   for (int t = 0; t < (int) NELEM(id_names); t++) {
      if (strcmp(s, id_names[t]) == 0) {
         *out = (syn_id_t) t;
         return true;
      }
   }
   return false;
}

uint32_t syn_profile_mean_size(syn_profile_t p)
{
   static const uint32_t mean[] = {150, 1500, 30000, 1980, 1700};
   return mean[p];
}

static uint64_t gcd(uint64_t a, uint64_t b)
{
   while (b) {
      uint64_t t = a % b;
      a = b;
      b = t;
   }
   return a;
}

/* Body bytes of cycle positions [0, x) of a pool, over any number of cycles. */
static uint64_t body_prefix(const syn_pool_t *pool, uint64_t x)
{
   uint64_t bytes = (x / pool->cycle_docs) * pool->cycle_bytes, q = x % pool->cycle_docs;

   for (int p = 0; p < pool->npages; p++) {
      if (q < pool->start[p] + pool->ndocs[p]) {
         return bytes + pool->off[p][q - pool->start[p]];
      }
      bytes += pool->off[p][pool->ndocs[p]];
   }
   return bytes;
}

void syn_coll_init(syn_coll_t *c, const char *db)
{
   const syn_pool_t *pool = c->pool;
   uint64_t h = mix64(c->seed ^ mix64((uint64_t) c->index + 1));

   snprintf(c->ns, sizeof c->ns, "%s.%s", db, c->name);
   put_be(c->uuid, h, 8);
   put_be(c->uuid + 8, mix64(h), 8);
   c->uuid[6] = (uint8_t) ((c->uuid[6] & 0x0f) | 0x40);
   c->uuid[8] = (uint8_t) ((c->uuid[8] & 0x3f) | 0x80);
   /* collections start at different places of the pool, so that small collections do not
    * all hold the same documents (a compressor would see through that) */
   c->first_slot = mix64(h ^ UINT64_C(0x5bd1e995)) % pool->cycle_docs;
   c->perm_a = 1;
   c->perm_b = 0;
   if (c->id == SYN_ID_MIXED && c->ndocs > 1) {
      c->perm_a = (h | 1) % c->ndocs;
      while (c->perm_a == 0 || gcd(c->perm_a, c->ndocs) != 1) {
         c->perm_a = (c->perm_a + 1) % c->ndocs;
      }
      c->perm_b = mix64(h) % c->ndocs;
   }
   if (c->id == SYN_ID_MIXED) {
      c->nbytes = 0;
      for (uint64_t i = 0; i < c->ndocs; i++) {
         c->nbytes += syn_doc_len(c, i);
      }
   } else {
      c->nbytes = body_prefix(pool, c->first_slot + c->ndocs) - body_prefix(pool, c->first_slot) +
                  c->ndocs * (4 + syn_id_elem_len(c->id) + 1);
   }
}

uint64_t syn_natural_index(const syn_coll_t *c, uint64_t p)
{
   if (c->perm_a == 1 && c->perm_b == 0) {
      return p;
   }
   return (uint64_t) (((unsigned __int128) p * c->perm_a + c->perm_b) % c->ndocs);
}

syn_slot_t syn_slot(const syn_coll_t *c, uint64_t i)
{
   const syn_pool_t *pool = c->pool;
   uint64_t q = (c->first_slot + i) % pool->cycle_docs;
   syn_slot_t s = {0, 0};

   for (int p = pool->npages - 1; p >= 0; p--) {
      if (q >= pool->start[p]) {
         s.page = p;
         s.slot = (uint32_t) (q - pool->start[p]);
         break;
      }
   }
   return s;
}

uint32_t syn_id_elem_len(syn_id_t t)
{
   return t == SYN_ID_UUID ? SYN_ID_MAX_FIXED : 17;
}

uint32_t syn_id_value_off(syn_id_t t)
{
   (void) t;
   return 5; /* type and "_id" */
}

static void oid_value(const syn_coll_t *c, uint64_t i, uint8_t *out)
{
   put_be(out, 0x60000000u + (mix64(c->seed) & 0x0fffffffu), 4);
   put_be(out + 4, (uint64_t) c->index, 2);
   put_be(out + 6, i, 6);
}

void syn_id_value(const syn_coll_t *c, uint64_t i, uint8_t *out)
{
   if (c->id == SYN_ID_UUID) {
      /* binary length and subtype, then bytes that grow with i and a hash tail */
      put_le32(out, 16);
      out[4] = BSON_SUBTYPE_UUID;
      put_be(out + 5, mix64(c->seed ^ (uint64_t) c->index) & 0xffff, 2);
      put_be(out + 7, i, 6);
      put_be(out + 13, mix64(c->seed ^ ((uint64_t) c->index << 48) ^ i), 8);
   } else {
      oid_value(c, i, out);
   }
}

/* The constant part of a fixed-size _id value (a UUID's length and subtype), zeros elsewhere. */
static void id_placeholder(syn_id_t t, uint8_t *out)
{
   memset(out, 0, syn_id_elem_len(t) - 5);
   if (t == SYN_ID_UUID) {
      put_le32(out, 16);
      out[4] = BSON_SUBTYPE_UUID;
   }
}

static uint32_t elem_head(uint8_t *out, uint8_t type)
{
   out[0] = type;
   memcpy(out + 1, "_id", 4);
   return 5;
}

/* Mixed _ids in BSON order: numbers (int32, int64, double; negatives too), then strings, then
 * documents {a: n}, then ObjectIds. */
static uint32_t mixed_id_elem(const syn_coll_t *c, uint64_t i, uint8_t *out)
{
   uint64_t n = c->ndocs, b1 = n / 4, b2 = n / 2, b3 = 3 * n / 4;
   uint32_t h;

   if (i < b1) {
      int64_t v = (int64_t) i - (int64_t) (b1 / 2);
      switch (i % 3) {
      case 0:
         h = elem_head(out, BSON_TYPE_INT32);
         put_le32(out + h, (uint32_t) (int32_t) v);
         return h + 4;
      case 1:
         h = elem_head(out, BSON_TYPE_INT64);
         memcpy(out + h, &v, 8);
         return h + 8;
      default: {
         double d = (double) v;
         h = elem_head(out, BSON_TYPE_DOUBLE);
         memcpy(out + h, &d, 8);
         return h + 8;
      }
      }
   }
   if (i < b2) {
      h = elem_head(out, BSON_TYPE_UTF8);
      put_le32(out + h, 12);
      snprintf((char *) out + h + 4, 12, "k%010llu", (unsigned long long) (i - b1));
      return h + 4 + 12;
   }
   if (i < b3) {
      h = elem_head(out, BSON_TYPE_DOCUMENT);
      put_le32(out + h, 12);
      out[h + 4] = BSON_TYPE_INT32;
      memcpy(out + h + 5, "a", 2);
      put_le32(out + h + 7, (uint32_t) (i - b2));
      out[h + 11] = 0;
      return h + 12;
   }
   h = elem_head(out, BSON_TYPE_OID);
   oid_value(c, i, out + h);
   return h + 12;
}

uint32_t syn_id_elem(const syn_coll_t *c, uint64_t i, uint8_t *out)
{
   if (c->id == SYN_ID_MIXED) {
      return mixed_id_elem(c, i, out);
   }
   elem_head(out, c->id == SYN_ID_UUID ? BSON_TYPE_BINARY : BSON_TYPE_OID);
   syn_id_value(c, i, out + 5);
   return syn_id_elem_len(c->id);
}

void syn_id_doc(const syn_coll_t *c, uint64_t i, bson_t *doc, uint8_t *out)
{
   uint32_t n = syn_id_elem(c, i, out + 4);

   out[4 + n] = 0;
   put_le32(out, n + 5);
   bson_init_static(doc, out, n + 5);
}

static const uint8_t *body_of(const syn_coll_t *c, uint64_t i, uint32_t *len)
{
   syn_slot_t s = syn_slot(c, i);
   const uint32_t *off = c->pool->off[s.page];

   *len = off[s.slot + 1] - off[s.slot];
   return c->pool->body[s.page] + off[s.slot];
}

uint32_t syn_doc_len(const syn_coll_t *c, uint64_t i)
{
   uint8_t id[SYN_ID_ELEM_MAX];
   uint32_t blen, ilen = c->id == SYN_ID_MIXED ? syn_id_elem(c, i, id) : syn_id_elem_len(c->id);

   body_of(c, i, &blen);
   return 4 + ilen + blen + 1;
}

uint32_t syn_doc_write(const syn_coll_t *c, uint64_t i, uint8_t *out)
{
   uint32_t blen, ilen = syn_id_elem(c, i, out + 4), len;
   const uint8_t *body = body_of(c, i, &blen);

   memcpy(out + 4 + ilen, body, blen);
   len = 4 + ilen + blen + 1;
   out[len - 1] = 0;
   put_le32(out, len);
   return len;
}

size_t syn_page_elements(const syn_pool_t *pool, int page, syn_id_t t, uint8_t *out,
                         uint32_t *id_off)
{
   const uint32_t *off = pool->off[page];
   uint32_t ilen = syn_id_elem_len(t);
   size_t n = 0;

   for (uint32_t k = 0; k < pool->ndocs[page]; k++) {
      uint32_t blen = off[k + 1] - off[k], dlen = 4 + ilen + blen + 1;
      out[n++] = BSON_TYPE_DOCUMENT;
      n += (size_t) snprintf((char *) out + n, 12, "%u", k) + 1;
      put_le32(out + n, dlen);
      elem_head(out + n + 4, t == SYN_ID_UUID ? BSON_TYPE_BINARY : BSON_TYPE_OID);
      id_off[k] = (uint32_t) (n + 4 + syn_id_value_off(t));
      id_placeholder(t, out + n + 4 + 5);
      memcpy(out + n + 4 + ilen, pool->body[page] + off[k], blen);
      n += dlen;
      out[n - 1] = 0;
   }
   return n;
}
