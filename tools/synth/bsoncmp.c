#include "bsoncmp.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int canonical(bson_type_t t)
{
   switch (t) {
   case BSON_TYPE_MINKEY:
      return -1;
   case BSON_TYPE_NULL:
   case BSON_TYPE_UNDEFINED:
      return 5;
   case BSON_TYPE_DOUBLE:
   case BSON_TYPE_INT32:
   case BSON_TYPE_INT64:
   case BSON_TYPE_DECIMAL128:
      return 10;
   case BSON_TYPE_UTF8:
   case BSON_TYPE_SYMBOL:
      return 15;
   case BSON_TYPE_DOCUMENT:
      return 20;
   case BSON_TYPE_ARRAY:
      return 25;
   case BSON_TYPE_BINARY:
      return 30;
   case BSON_TYPE_OID:
      return 35;
   case BSON_TYPE_BOOL:
      return 40;
   case BSON_TYPE_DATE_TIME:
      return 45;
   case BSON_TYPE_TIMESTAMP:
      return 47;
   case BSON_TYPE_REGEX:
      return 50;
   case BSON_TYPE_DBPOINTER:
      return 55;
   case BSON_TYPE_CODE:
      return 60;
   case BSON_TYPE_CODEWSCOPE:
      return 65;
   case BSON_TYPE_MAXKEY:
      return 127;
   default:
      return 0;
   }
}

static int sign(long double d)
{
   return d < 0 ? -1 : d > 0 ? 1 : 0;
}

static long double as_number(const bson_value_t *v, bool *nan)
{
   char s[BSON_DECIMAL128_STRING];

   *nan = false;
   switch (v->value_type) {
   case BSON_TYPE_INT32:
      return v->value.v_int32;
   case BSON_TYPE_INT64:
      return (long double) v->value.v_int64; /* exact: x86 long double has 64 mantissa bits */
   case BSON_TYPE_DOUBLE:
      *nan = isnan(v->value.v_double);
      return v->value.v_double;
   default:
      bson_decimal128_to_string(&v->value.v_decimal128, s);
      *nan = strstr(s, "NaN") != NULL;
      return strtold(s, NULL);
   }
}

static int cmp_numbers(const bson_value_t *a, const bson_value_t *b)
{
   bool an, bn;
   long double x = as_number(a, &an), y = as_number(b, &bn);

   if (an || bn) {
      return (int) bn - (int) an; /* NaN sorts before every number */
   }
   return sign(x - y);
}

static int cmp_bytes(const void *a, size_t alen, const void *b, size_t blen)
{
   int c = memcmp(a, b, alen < blen ? alen : blen);
   return c ? c : (alen < blen ? -1 : alen > blen ? 1 : 0);
}

int syn_bson_cmp_docs(const uint8_t *a, uint32_t alen, const uint8_t *b, uint32_t blen)
{
   bson_iter_t ia, ib;
   bool ha, hb;

   if (!bson_iter_init_from_data(&ia, a, alen) || !bson_iter_init_from_data(&ib, b, blen)) {
      return cmp_bytes(a, alen, b, blen);
   }
   for (;;) {
      int c;
      ha = bson_iter_next(&ia);
      hb = bson_iter_next(&ib);
      if (!ha || !hb) {
         return (int) ha - (int) hb;
      }
      c = canonical(bson_iter_type(&ia)) - canonical(bson_iter_type(&ib));
      if (c) {
         return c;
      }
      c = strcmp(bson_iter_key(&ia), bson_iter_key(&ib));
      if (c) {
         return c;
      }
      c = syn_bson_cmp(bson_iter_value(&ia), bson_iter_value(&ib));
      if (c) {
         return c;
      }
   }
}

static int cmp_same_kind(const bson_value_t *a, const bson_value_t *b)
{
   switch (a->value_type) {
   case BSON_TYPE_UTF8:
      return cmp_bytes(a->value.v_utf8.str, a->value.v_utf8.len, b->value.v_utf8.str,
                       b->value.v_utf8.len);
   case BSON_TYPE_DOCUMENT:
   case BSON_TYPE_ARRAY:
      return syn_bson_cmp_docs(a->value.v_doc.data, a->value.v_doc.data_len, b->value.v_doc.data,
                               b->value.v_doc.data_len);
   case BSON_TYPE_BINARY:
      if (a->value.v_binary.data_len != b->value.v_binary.data_len) {
         return a->value.v_binary.data_len < b->value.v_binary.data_len ? -1 : 1;
      }
      if (a->value.v_binary.subtype != b->value.v_binary.subtype) {
         return a->value.v_binary.subtype < b->value.v_binary.subtype ? -1 : 1;
      }
      return memcmp(a->value.v_binary.data, b->value.v_binary.data, a->value.v_binary.data_len);
   case BSON_TYPE_OID:
      return memcmp(a->value.v_oid.bytes, b->value.v_oid.bytes, 12);
   case BSON_TYPE_BOOL:
      return (int) a->value.v_bool - (int) b->value.v_bool;
   case BSON_TYPE_DATE_TIME:
      return a->value.v_datetime < b->value.v_datetime ? -1
                                                       : a->value.v_datetime > b->value.v_datetime;
   case BSON_TYPE_TIMESTAMP: {
      uint64_t x = (uint64_t) a->value.v_timestamp.timestamp << 32 | a->value.v_timestamp.increment;
      uint64_t y = (uint64_t) b->value.v_timestamp.timestamp << 32 | b->value.v_timestamp.increment;
      return x < y ? -1 : x > y;
   }
   case BSON_TYPE_REGEX: {
      int c = strcmp(a->value.v_regex.regex, b->value.v_regex.regex);
      return c ? c : strcmp(a->value.v_regex.options, b->value.v_regex.options);
   }
   case BSON_TYPE_CODE:
      return cmp_bytes(a->value.v_code.code, a->value.v_code.code_len, b->value.v_code.code,
                       b->value.v_code.code_len);
   default:
      return 0;
   }
}

/* Strings and symbols compare together, as text. */
static void as_text(const bson_value_t *v, const char **s, size_t *len)
{
   if (v->value_type == BSON_TYPE_SYMBOL) {
      *s = v->value.v_symbol.symbol;
      *len = v->value.v_symbol.len;
   } else {
      *s = v->value.v_utf8.str;
      *len = v->value.v_utf8.len;
   }
}

int syn_bson_cmp(const bson_value_t *a, const bson_value_t *b)
{
   int ca = canonical(a->value_type), cb = canonical(b->value_type);

   if (ca != cb) {
      return ca < cb ? -1 : 1;
   }
   if (ca == 10) {
      return cmp_numbers(a, b);
   }
   if (ca == 15) {
      const char *x, *y;
      size_t xl, yl;
      as_text(a, &x, &xl);
      as_text(b, &y, &yl);
      return cmp_bytes(x, xl, y, yl);
   }
   if (a->value_type != b->value_type) {
      return 0; /* null and undefined */
   }
   return cmp_same_kind(a, b);
}
