/* Masking by parsing. A connection string is split into scheme, user-info, hosts and options
 * without trusting it to be well formed: the user-info ends at the last '@' followed by
 * something shaped like a host when the string is ambiguous (a raw '@', '?', '#' or '/' in a
 * password), so that the worst case masks too much, never too little. */
#include "common/redact.h"

#include "common/buf.h"

#include <bson/bson.h>
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Forms remembered at most (each secret and each of its pieces adds up to six). */
#define MAX_FORMS 4096
/* A cut-off beginning of a secret this long or longer is masked at the end of a text. */
#define TAIL_MIN 4
/* Path segments of URLs this long or longer are taken for tokens. */
#define TOKEN_MIN 16
/* Pieces of a secret (split where the driver splits a connection string: a raw '@' in a
 * password makes the rest a host name, which the driver shows in lower case) this long or
 * longer are remembered too. */
#define PIECE_MIN 4
#define PIECE_SEPARATORS "@:/?#&,;="
#define NPOS ((size_t) -1)

/* Secrets are compared without regard to case: the driver lower-cases host names. */
static bool same(const char *a, const char *b, size_t n)
{
   return strncasecmp(a, b, n) == 0;
}

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static char *g_forms[MAX_FORMS]; /* longest first, so that a longer secret wins */
static size_t g_lens[MAX_FORMS];
static int g_nforms;
static bool g_full;

/* Output being built, with a ceiling; a text that cannot be built is replaced by the mask. */
typedef struct {
   mb_buf_t b;
   bool failed;
} out_t;

static void out_init(out_t *o, size_t input_len)
{
   mb_buf_init(&o->b, 4 * input_len + 256);
   o->failed = false;
}

static void put(out_t *o, const char *p, size_t n)
{
   if (!o->failed && !mb_buf_append(&o->b, p, n, NULL)) {
      o->failed = true;
   }
}

static void puts_(out_t *o, const char *s)
{
   put(o, s, strlen(s));
}

static char *finish(out_t *o)
{
   char *r;

   put(o, "", 1);
   r = bson_strdup(o->failed ? MB_REDACT_MASK : (const char *) o->b.data);
   mb_buf_destroy(&o->b);
   return r;
}

/* ---- the registry ---- */

static void add_form(const char *s, size_t len)
{
   int pos;

   if (len == 0) {
      return;
   }
   pthread_mutex_lock(&g_lock);
   for (pos = 0; pos < g_nforms && g_lens[pos] >= len; pos++) {
      if (g_lens[pos] == len && same(g_forms[pos], s, len)) {
         goto done; /* known */
      }
   }
   if (g_nforms < MAX_FORMS) {
      memmove(g_forms + pos + 1, g_forms + pos, (size_t) (g_nforms - pos) * sizeof *g_forms);
      memmove(g_lens + pos + 1, g_lens + pos, (size_t) (g_nforms - pos) * sizeof *g_lens);
      g_forms[pos] = bson_strndup(s, len);
      g_lens[pos] = len;
      g_nforms++;
   } else if (!g_full) {
      g_full = true; /* thousands of secrets: not a configuration anyone writes, but say so */
      fputs("mongobak: warning: too many secrets to remember; later ones are not masked\n", stderr);
   }
done:
   pthread_mutex_unlock(&g_lock);
}

static int hexval(char c)
{
   return c >= '0' && c <= '9'   ? c - '0'
          : c >= 'a' && c <= 'f' ? c - 'a' + 10
          : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                 : -1;
}

static char *pct_decode(const char *s, size_t len)
{
   char *d = bson_malloc(len + 1);
   size_t o = 0;

   for (size_t i = 0; i < len; i++) {
      if (s[i] == '%' && i + 2 < len && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
         d[o++] = (char) (hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
         i += 2;
      } else {
         d[o++] = s[i];
      }
   }
   d[o] = '\0';
   return d;
}

/* Matched without regard to case, so "%2f" too. */
static char *pct_encode(const char *s)
{
   const char *hex = "0123456789ABCDEF";
   size_t len = strlen(s), o = 0;
   char *e = bson_malloc(3 * len + 1);

   for (size_t i = 0; i < len; i++) {
      unsigned char c = (unsigned char) s[i];
      if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
         e[o++] = (char) c;
      } else {
         e[o++] = '%';
         e[o++] = hex[c >> 4];
         e[o++] = hex[c & 15];
      }
   }
   e[o] = '\0';
   return e;
}

/* As libbson writes a string in JSON. */
static char *json_escape(const char *s)
{
   size_t len = strlen(s), o = 0;
   char *e = bson_malloc(6 * len + 1);

   for (size_t i = 0; i < len; i++) {
      unsigned char c = (unsigned char) s[i];
      const char *esc = c == '"'    ? "\\\""
                        : c == '\\' ? "\\\\"
                        : c == '\b' ? "\\b"
                        : c == '\f' ? "\\f"
                        : c == '\n' ? "\\n"
                        : c == '\r' ? "\\r"
                        : c == '\t' ? "\\t"
                                    : NULL;
      if (esc) {
         memcpy(e + o, esc, strlen(esc));
         o += strlen(esc);
      } else if (c < 0x20) {
         o += (size_t) snprintf(e + o, 7, "\\u%04x", c);
      } else {
         e[o++] = (char) c;
      }
   }
   e[o] = '\0';
   return e;
}

static void add_forms_of(const char *s)
{
   char *f[2] = {pct_encode(s), json_escape(s)};

   add_form(s, strlen(s));
   for (int i = 0; i < 2; i++) {
      add_form(f[i], strlen(f[i]));
      bson_free(f[i]);
   }
}

static void add_whole(const char *s, size_t len)
{
   char *raw, *dec;

   if (!s || len == 0) {
      return;
   }
   raw = bson_strndup(s, len);
   dec = pct_decode(s, len);
   add_forms_of(raw);
   if (strcmp(dec, raw) != 0) {
      add_forms_of(dec);
   }
   bson_free(raw);
   bson_free(dec);
}

/* A secret, and its pieces between separators. */
static void add_secret_n(const char *s, size_t len)
{
   add_whole(s, len);
   for (size_t i = 0; s && i < len;) {
      size_t n = 0;
      while (i + n < len && !strchr(PIECE_SEPARATORS, s[i + n])) {
         n++;
      }
      if (n >= PIECE_MIN && n < len) {
         add_whole(s + i, n);
      }
      i += n + 1;
   }
}

void mb_redact_add_secret(const char *secret)
{
   if (secret) {
      add_whole(secret, strlen(secret)); /* pieces only where a connection string cuts them */
   }
}

void mb_redact_reset(void)
{
   pthread_mutex_lock(&g_lock);
   for (int i = 0; i < g_nforms; i++) {
      bson_free(g_forms[i]);
   }
   g_nforms = 0;
   pthread_mutex_unlock(&g_lock);
}

/* ---- parsing a connection string or URL ---- */

typedef struct {
   const char *s;
   size_t n;
   size_t auth;  /* start of the authority (after the scheme and its separators) */
   bool exact;   /* the scheme ended with "://" */
   bool http;    /* http or https */
   bool mongodb; /* mongodb or mongodb+srv, or no recognisable scheme */
   size_t at;    /* the '@' that ends the user-info, or NPOS */
   size_t colon; /* the ':' between user and password, or NPOS */
} uri_t;

static bool scheme_char(char c)
{
   return isalnum((unsigned char) c) || c == '+' || c == '-' || c == '.';
}

static bool host_char(char c)
{
   return isalnum((unsigned char) c) || (c && strchr("._~%:,[]-", c));
}

static bool is_scheme(const char *s, size_t n, const char *name)
{
   return n == strlen(name) && strncasecmp(s, name, n) == 0;
}

/* The '@' is followed by hosts, then the end or '/', '?', '#'. */
static bool host_follows(const uri_t *u, size_t at)
{
   size_t i = at + 1;

   while (i < u->n && host_char(u->s[i])) {
      i++;
   }
   return i > at + 1 && (i == u->n || strchr("/?#", u->s[i]));
}

static void find_scheme(uri_t *u)
{
   static const char *known[] = {"mongodb+srv", "mongodb", "https", "http"};
   const char *sep = strstr(u->s, "://");
   size_t k = 0, name = 0;

   if (sep && sep > u->s && (size_t) (sep - u->s) + 3 <= u->n && isalpha((unsigned char) u->s[0])) {
      while (k < (size_t) (sep - u->s) && scheme_char(u->s[k])) {
         k++;
      }
      if (k == (size_t) (sep - u->s)) {
         u->auth = k + 3;
         u->exact = true;
         name = k;
      }
   }
   for (int i = 0; !u->exact && i < 4; i++) {
      size_t len = strlen(known[i]);
      /* a malformed scheme: "mongodb:/", "mongodb//", "mongodb:" */
      if (u->n > len && strncasecmp(u->s, known[i], len) == 0 && strchr(":/", u->s[len])) {
         name = len;
         u->auth = len;
         while (u->auth < u->n && (u->s[u->auth] == ':' || u->s[u->auth] == '/')) {
            u->auth++;
         }
         break;
      }
   }
   u->http = is_scheme(u->s, name, "http") || is_scheme(u->s, name, "https");
   u->mongodb =
       name == 0 || is_scheme(u->s, name, "mongodb") || is_scheme(u->s, name, "mongodb+srv");
}

static void find_userinfo(uri_t *u)
{
   size_t end = u->auth, ats = 0, at = NPOS, last = NPOS;

   while (end < u->n && !strchr("/?#", u->s[end])) {
      end++;
   }
   for (size_t i = u->auth; i < u->n; i++) {
      if (u->s[i] == '@') {
         ats++;
         last = i;
         at = i < end ? i : at;
      }
   }
   if (ats != 1 || at == NPOS) {
      /* ambiguous: the last '@' followed by hosts, else the last '@' */
      at = last;
      for (size_t i = u->n; ats && i-- > u->auth;) {
         if (u->s[i] == '@' && host_follows(u, i)) {
            at = i;
            break;
         }
      }
   }
   u->at = at;
   u->colon = NPOS;
   if (at == NPOS) {
      return;
   }
   for (size_t i = u->auth; i < at; i++) {
      if (u->s[i] == ':') {
         u->colon = i;
         break;
      }
   }
   /* "host/?appName=a@b": without a password, text holding a path or an option is no
    * user name */
   if (u->colon == NPOS && u->exact) {
      for (size_t i = u->auth; i < at; i++) {
         if (strchr("/?#=&", u->s[i])) {
            u->at = NPOS;
            return;
         }
      }
   }
}

static void parse(const char *s, size_t n, uri_t *u)
{
   memset(u, 0, sizeof *u);
   u->s = s;
   u->n = n;
   find_scheme(u);
   find_userinfo(u);
}

/* Where the hosts begin (after the user-info). */
static size_t hosts_start(const uri_t *u)
{
   return u->at == NPOS ? u->auth : u->at + 1;
}

/* The value of a secret option runs to the next "&key=" (a raw '&' in a password does not end
 * it) or the end. */
static size_t secret_value_end(const char *s, size_t i, size_t n)
{
   for (; i < n; i++) {
      if (s[i] == '&') {
         size_t k = i + 1;
         while (k < n && (isalnum((unsigned char) s[k]) || strchr("_.-", s[k]))) {
            k++;
         }
         if (k > i + 1 && k < n && s[k] == '=') {
            return i;
         }
      }
   }
   return n;
}

bool mb_redact_secret_option(const char *key, size_t len)
{
   static const char *words[] = {"password", "passwd", "pwd", "secret", "token"};
   char lower[64];

   if (len == 0 || len >= sizeof lower) {
      return len >= sizeof lower; /* an absurdly long key: mask its value */
   }
   for (size_t i = 0; i < len; i++) {
      lower[i] = (char) tolower((unsigned char) key[i]);
   }
   lower[len] = '\0';
   if (strcmp(lower, "authmechanismproperties") == 0) {
      return true;
   }
   for (size_t i = 0; i < sizeof words / sizeof *words; i++) {
      if (strstr(lower, words[i])) {
         return true;
      }
   }
   return false;
}

typedef void (*option_fn)(const char *key, size_t klen, const char *val, size_t vlen, bool secret,
                          void *payload);

/* Each option "key=value" of the query that starts at q ('?'). */
static void each_option(const uri_t *u, size_t q, option_fn fn, void *payload)
{
   size_t i = q + 1;

   while (i <= u->n && q < u->n) {
      size_t end = i, eq = NPOS, vend;
      bool secret;
      while (end < u->n && u->s[end] != '&') {
         eq = eq == NPOS && u->s[end] == '=' ? end : eq;
         end++;
      }
      secret = eq != NPOS && mb_redact_secret_option(u->s + i, eq - i);
      vend = secret ? secret_value_end(u->s, eq + 1, u->n) : end;
      fn(u->s + i, (eq == NPOS ? end : eq) - i, eq == NPOS ? NULL : u->s + eq + 1,
         eq == NPOS ? 0 : vend - eq - 1, secret, payload);
      if (vend >= u->n) {
         break;
      }
      i = vend + 1;
   }
}

/* ---- showing ---- */

typedef struct {
   out_t *o;
   bool first;
} show_t;

static void show_option(const char *key, size_t klen, const char *val, size_t vlen, bool secret,
                        void *payload)
{
   show_t *sh = payload;
   out_t *o = sh->o;

   if (!sh->first) {
      put(o, "&", 1);
   }
   sh->first = false;
   put(o, key, klen);
   if (val) {
      put(o, "=", 1);
      if (secret) {
         puts_(o, MB_REDACT_MASK);
      } else {
         put(o, val, vlen);
      }
   }
}

/* full: how a value is shown (an http URL shows only scheme and host); otherwise only
 * passwords and secret options are masked (for URLs found in free text). */
static void show(const uri_t *u, bool full, out_t *o)
{
   size_t h = hosts_start(u), q;

   put(o, u->s, u->auth);
   if (u->at != NPOS) {
      if (u->colon != NPOS) {
         put(o, u->s + u->auth, u->colon + 1 - u->auth);
         puts_(o, MB_REDACT_MASK);
      } else if ((u->http && full) || !u->exact) {
         puts_(o, MB_REDACT_MASK); /* a token as user name, or a malformed string */
      } else {
         put(o, u->s + u->auth, u->at - u->auth);
      }
      put(o, "@", 1);
   }
   if (u->http && full) {
      q = h;
      while (q < u->n && !strchr("/?#", u->s[q])) {
         q++;
      }
      put(o, u->s + h, q - h);
      if (q < u->n) {
         puts_(o, "/" MB_REDACT_MASK);
      }
      return;
   }
   q = h;
   while (q < u->n && u->s[q] != '?') {
      q++;
   }
   put(o, u->s + h, q - h);
   if (q < u->n) {
      show_t sh = {o, true};
      put(o, "?", 1);
      each_option(u, q, show_option, &sh);
   }
}

/* ---- registering ---- */

static void add_option(const char *key, size_t klen, const char *val, size_t vlen, bool secret,
                       void *payload)
{
   bool http = *(const bool *) payload;
   bool props = klen == strlen("authMechanismProperties") &&
                strncasecmp(key, "authMechanismProperties", klen) == 0;

   if (!val || !(secret || http)) {
      return;
   }
   if (!props) {
      add_secret_n(val, vlen);
      return;
   }
   /* "SERVICE_NAME:mongodb,AWS_SESSION_TOKEN:<token>": the whole, and the values of the
    * secret properties (not "mongodb") */
   add_whole(val, vlen);
   for (size_t i = 0; i < vlen;) {
      size_t n = 0, colon = NPOS;
      while (i + n < vlen && val[i + n] != ',') {
         colon = colon == NPOS && val[i + n] == ':' ? n : colon;
         n++;
      }
      if (colon != NPOS && mb_redact_secret_option(val + i, colon)) {
         add_whole(val + i, n);
         add_secret_n(val + i + colon + 1, n - colon - 1);
      }
      i += n + 1;
   }
}

/* The password as mongoc cuts it (up to the first '@', split at the first ':'): it shows that
 * one in "Password "..." must not have unescaped chars". */
static void add_driver_password(const uri_t *u)
{
   size_t slash = u->auth;
   const char *at, *colon;

   while (slash < u->n && u->s[slash] != '/') {
      slash++;
   }
   at = memchr(u->s + u->auth, '@', slash - u->auth);
   if (!at) {
      return;
   }
   colon = memchr(u->s + u->auth, ':', (size_t) (at - u->s) - u->auth);
   if (colon && memchr(colon + 1, ':', (size_t) (at - colon - 1))) {
      add_secret_n(colon + 1, (size_t) (at - colon - 1));
   }
}

/* The password of the authority (up to the last '@' before the first '/', '?' or '#'), with its
 * pieces: where the string is ambiguous the user-info shown is longer. */
static void add_authority_password(const uri_t *u)
{
   size_t end = u->auth, at = NPOS, colon = NPOS;

   while (end < u->n && !strchr("/?#", u->s[end])) {
      at = u->s[end] == '@' ? end : at;
      end++;
   }
   for (size_t i = u->auth; at != NPOS && i < at && colon == NPOS; i++) {
      colon = u->s[i] == ':' ? i : NPOS;
   }
   if (colon != NPOS) {
      add_secret_n(u->s + colon + 1, at - colon - 1);
   }
}

static void add_path_tokens(const uri_t *u)
{
   size_t i = hosts_start(u);

   while (i < u->n && !strchr("/?#", u->s[i])) {
      i++;
   }
   while (i < u->n && u->s[i] == '/') {
      size_t n = 0;
      i++;
      while (i + n < u->n && !strchr("/?#", u->s[i + n])) {
         n++;
      }
      if (n >= TOKEN_MIN) {
         add_secret_n(u->s + i, n);
      }
      i += n;
   }
}

void mb_redact_add_uri(const char *uri)
{
   uri_t u;
   size_t q;

   if (!uri || !*uri) {
      return;
   }
   parse(uri, strlen(uri), &u);
   /* whole: where the string is ambiguous this reading may hold hosts and options too, whose
    * pieces are no secrets */
   if (u.at != NPOS && u.colon != NPOS) {
      add_whole(uri + u.colon + 1, u.at - u.colon - 1);
   } else if (u.at != NPOS && (u.http || !u.exact)) {
      add_whole(uri + u.auth, u.at - u.auth);
   }
   if (u.mongodb) {
      add_driver_password(&u);
   }
   add_authority_password(&u);
   if (u.http) {
      add_path_tokens(&u);
   }
   q = hosts_start(&u);
   while (q < u.n && uri[q] != '?') {
      q++;
   }
   if (q < u.n) {
      each_option(&u, q, add_option, &u.http);
   }
}

/* ---- masking ---- */

/* Every registered form replaced, the longest first; a text that ends with the beginning of a
 * secret (cut short by a fixed-size buffer) has that beginning masked. */
static char *mask_registered(const char *s)
{
   size_t n = strlen(s), i = 0;
   out_t o;

   out_init(&o, n);
   pthread_mutex_lock(&g_lock);
   while (i < n) {
      size_t rest = n - i, hit = 0;
      for (int k = 0; k < g_nforms && !hit; k++) {
         if (g_lens[k] <= rest && same(g_forms[k], s + i, g_lens[k])) {
            hit = g_lens[k];
         } else if (g_lens[k] > rest && rest >= TAIL_MIN && same(g_forms[k], s + i, rest)) {
            hit = rest;
         }
      }
      if (hit) {
         puts_(&o, MB_REDACT_MASK);
         i += hit;
      } else {
         put(&o, s + i, 1);
         i++;
      }
   }
   pthread_mutex_unlock(&g_lock);
   return finish(&o);
}

static bool token_end(char c)
{
   return c == '\0' || isspace((unsigned char) c) || strchr("\"'<>`", c);
}

/* Where a connection string or URL starts at s[i] ("scheme://" or a malformed "mongodb:"),
 * the length of its scheme prefix to skip back, else NPOS. */
static size_t uri_start(const char *s, size_t i)
{
   size_t k = i;

   if (strncmp(s + i, "://", 3) == 0) {
      while (k > 0 && scheme_char(s[k - 1])) {
         k--;
      }
      return k < i ? k : NPOS;
   }
   if ((i == 0 || !scheme_char(s[i - 1])) && strncasecmp(s + i, "mongodb", 7) == 0 &&
       (s[i + 7] == ':' || s[i + 7] == '/' || strncmp(s + i + 7, "+srv", 4) == 0)) {
      return i;
   }
   return NPOS;
}

/* Every connection string or URL in s with its password and secret options masked. */
static char *mask_uris(const char *s)
{
   size_t n = strlen(s), i = 0, done = 0;
   out_t o;

   out_init(&o, n);
   while (i < n) {
      size_t start = uri_start(s, i), end;
      uri_t u;
      if (start == NPOS || start < done) {
         i++;
         continue;
      }
      end = i;
      while (!token_end(s[end])) {
         end++;
      }
      /* punctuation that follows a URI in a sentence ("at mongodb://h/: no server") */
      while (end > i && strchr(":,;.)", s[end - 1])) {
         end--;
      }
      put(&o, s + done, start - done);
      parse(s + start, end - start, &u);
      show(&u, false, &o);
      i = done = end;
   }
   put(&o, s + done, n - done);
   return finish(&o);
}

char *mb_redact_dup(const char *s)
{
   char *a, *b;

   if (!s) {
      return NULL;
   }
   a = mask_registered(s);
   b = mask_uris(a);
   bson_free(a);
   return b;
}

void mb_redact_text(char *s, size_t size)
{
   char *m;

   if (!s || size == 0) {
      return;
   }
   m = mb_redact_dup(s);
   bson_strncpy(s, m, size);
   bson_free(m);
}

void mb_redact_uri(const char *uri, char *out, size_t size)
{
   uri_t u;
   out_t o;
   char *shown, *masked;

   if (size == 0) {
      return;
   }
   uri = uri ? uri : "";
   parse(uri, strlen(uri), &u);
   out_init(&o, u.n);
   show(&u, true, &o);
   shown = finish(&o);
   masked = mask_registered(shown);
   bson_strncpy(out, masked, size);
   bson_free(shown);
   bson_free(masked);
}
