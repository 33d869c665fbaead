/* .env parsing, modelled on the dotenv npm package and python-dotenv. Line ends are "\n",
 * "\r\n" or a lone "\r" (inside a quoted value each becomes "\n"); a UTF-8 BOM at the start is
 * skipped. Values are never echoed in messages: a malformed line may hold a secret. */
#include "common/dotenv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* A .env file larger than this is refused by mb_dotenv_load. */
#define DOTENV_MAX_FILE (1u << 20)
/* The part of a bad key repeated in messages. */
#define KEY_ECHO_MAX 40

typedef struct {
   const char *s;
   size_t len, pos;
   int line;
   const char *name;
   mb_error_t *err;
} cursor_t;

/* A value being built. */
typedef struct {
   char *data;
   size_t len, cap;
} str_t;

static bool fail_line(const cursor_t *c, int line, const char *fmt, ...) BSON_GNUC_PRINTF(3, 4);

static bool fail_line(const cursor_t *c, int line, const char *fmt, ...)
{
   char what[256];
   va_list ap;

   va_start(ap, fmt);
   vsnprintf(what, sizeof what, fmt, ap);
   va_end(ap);
   mb_error_set(c->err, MB_EXIT_USAGE, "%s:%d: %s", c->name, line, what);
   return false;
}

static bool fail_oom(const cursor_t *c)
{
   mb_error_set(c->err, MB_EXIT_FAILURE, "out of memory");
   return false;
}

static bool is_blank(char ch)
{
   return ch == ' ' || ch == '\t';
}

static bool at_end(const cursor_t *c)
{
   return c->pos >= c->len;
}

static bool at_eol(const cursor_t *c)
{
   return at_end(c) || c->s[c->pos] == '\n' || c->s[c->pos] == '\r';
}

/* Step over the line end at the cursor (if any) and count the line. */
static void skip_eol(cursor_t *c)
{
   if (at_end(c)) {
      return;
   }
   if (c->s[c->pos] == '\r' && c->pos + 1 < c->len && c->s[c->pos + 1] == '\n') {
      c->pos++;
   }
   c->pos++;
   c->line++;
}

static void skip_blanks(cursor_t *c)
{
   while (!at_end(c) && is_blank(c->s[c->pos])) {
      c->pos++;
   }
}

static void skip_to_eol(cursor_t *c)
{
   while (!at_eol(c)) {
      c->pos++;
   }
}

static bool str_put(str_t *v, const char *p, size_t n)
{
   if (v->len + n + 1 > v->cap) {
      size_t cap = v->cap ? v->cap : 32;
      char *d;
      while (cap < v->len + n + 1) {
         cap *= 2;
      }
      if (!(d = realloc(v->data, cap))) {
         return false;
      }
      v->data = d;
      v->cap = cap;
   }
   memcpy(v->data + v->len, p, n);
   v->len += n;
   v->data[v->len] = '\0';
   return true;
}

static bool valid_key(const char *k, size_t n)
{
   if (n == 0 || !((k[0] >= 'A' && k[0] <= 'Z') || (k[0] >= 'a' && k[0] <= 'z') || k[0] == '_')) {
      return false;
   }
   for (size_t i = 1; i < n; i++) {
      char ch = k[i];
      if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
            ch == '_' || ch == '.' || ch == '-')) {
         return false;
      }
   }
   return true;
}

/* The key at the cursor, up to the '=' (which is consumed), without surrounding blanks. */
static bool parse_key(cursor_t *c, const char **key, size_t *key_len)
{
   size_t start = c->pos, end;

   while (!at_eol(c) && c->s[c->pos] != '=') {
      c->pos++;
   }
   if (at_eol(c)) {
      return fail_line(c, c->line, "missing '=' (expected KEY=VALUE)");
   }
   end = c->pos++;
   while (end > start && is_blank(c->s[end - 1])) {
      end--;
   }
   if (!valid_key(c->s + start, end - start)) {
      char echo[KEY_ECHO_MAX + 4];
      size_t n = end - start, i;
      for (i = 0; i < n && i < KEY_ECHO_MAX; i++) {
         unsigned char ch = (unsigned char) c->s[start + i];
         echo[i] = ch < 0x20 || ch == 0x7f ? '?' : (char) ch;
      }
      bson_strncpy(echo + i, n > KEY_ECHO_MAX ? "..." : "", sizeof echo - i);
      return fail_line(c, c->line,
                       "invalid key '%s' (use letters, digits, '_', '.' and '-', not starting "
                       "with a digit)",
                       echo);
   }
   *key = c->s + start;
   *key_len = end - start;
   return true;
}

/* A quoted value; the cursor is on the opening quote. Line ends inside become "\n". */
static bool parse_quoted(cursor_t *c, str_t *v)
{
   char quote = c->s[c->pos++];
   int start_line = c->line;

   for (;;) {
      char ch;
      if (at_end(c)) {
         return fail_line(c, start_line, "unterminated %s-quoted value",
                          quote == '"' ? "double" : "single");
      }
      ch = c->s[c->pos];
      if (ch == quote) {
         c->pos++;
         return true;
      }
      if (ch == '\n' || ch == '\r') {
         skip_eol(c);
         ch = '\n';
      } else if (ch == '\\' && quote == '"' && c->pos + 1 < c->len &&
                 strchr("nrt\"\\$", c->s[c->pos + 1])) {
         static const char from[] = "nrt\"\\$", to[] = "\n\r\t\"\\$";
         ch = to[strchr(from, c->s[c->pos + 1]) - from];
         c->pos += 2;
      } else {
         c->pos++;
      }
      if (!str_put(v, &ch, 1)) {
         return fail_oom(c);
      }
   }
}

/* An unquoted value: the rest of the line, up to a '#' that follows a blank, trimmed. The
 * cursor is after the blanks that follow '='; blank_before says whether there were any. */
static bool parse_unquoted(cursor_t *c, bool blank_before, str_t *v)
{
   size_t start = c->pos, end;

   while (!at_eol(c)) {
      if (c->s[c->pos] == '#' && (c->pos > start ? is_blank(c->s[c->pos - 1]) : blank_before)) {
         break;
      }
      c->pos++;
   }
   end = c->pos;
   skip_to_eol(c);
   while (end > start && is_blank(c->s[end - 1])) {
      end--;
   }
   return str_put(v, c->s + start, end - start) || fail_oom(c);
}

static bool add_entry(cursor_t *c, mb_dotenv_t *e, int *cap, const char *key, size_t key_len,
                      str_t *v, int line)
{
   mb_dotenv_entry_t *ent;

   if (e->n == *cap) {
      int ncap = *cap ? *cap * 2 : 16;
      mb_dotenv_entry_t *p = realloc(e->entries, (size_t) ncap * sizeof *p);
      if (!p) {
         return fail_oom(c);
      }
      e->entries = p;
      *cap = ncap;
   }
   if (!v->data && !str_put(v, "", 0)) {
      return fail_oom(c);
   }
   ent = &e->entries[e->n];
   BSON_ASSERT(key);
   if (!(ent->key = strndup(key, key_len))) {
      return fail_oom(c);
   }
   ent->value = v->data;
   ent->line = line;
   v->data = NULL;
   e->n++;
   return true;
}

/* One KEY=VALUE assignment; the cursor is on its first non-blank character. */
static bool parse_assignment(cursor_t *c, mb_dotenv_t *e, int *cap)
{
   int line = c->line;
   const char *key = NULL;
   size_t key_len = 0, eq;
   str_t v = {0};
   bool ok = false;

   if (c->len - c->pos > 7 && memcmp(c->s + c->pos, "export", 6) == 0 &&
       is_blank(c->s[c->pos + 6])) {
      size_t save = c->pos;
      c->pos += 6;
      skip_blanks(c);
      if (!at_end(c) && c->s[c->pos] == '=') {
         c->pos = save; /* "export = value": a key named export */
      }
   }
   if (!parse_key(c, &key, &key_len)) {
      goto cleanup;
   }
   eq = c->pos;
   skip_blanks(c);
   if (!at_end(c) && (c->s[c->pos] == '"' || c->s[c->pos] == '\'')) {
      if (!parse_quoted(c, &v)) {
         goto cleanup;
      }
      skip_blanks(c);
      if (!at_eol(c) && c->s[c->pos] != '#') {
         fail_line(c, c->line, "unexpected text after the closing quote");
         goto cleanup;
      }
      skip_to_eol(c);
   } else if (!parse_unquoted(c, c->pos > eq, &v)) {
      goto cleanup;
   }
   ok = add_entry(c, e, cap, key, key_len, &v, line);
cleanup:
   free(v.data);
   return ok;
}

bool mb_dotenv_parse(const char *text, size_t len, const char *name, mb_dotenv_t **out,
                     mb_error_t *err)
{
   cursor_t c = {text, len, 0, 1, name ? name : ".env", err};
   mb_dotenv_t *e = calloc(1, sizeof *e);
   const char *nul = len ? memchr(text, '\0', len) : NULL;
   int cap = 0;
   bool ok = false;

   *out = NULL;
   if (!e) {
      fail_oom(&c);
      goto cleanup;
   }
   if (nul) {
      int line = 1;
      for (const char *p = text; p < nul; p++) {
         line += *p == '\n' || (*p == '\r' && (p + 1 == nul || p[1] != '\n'));
      }
      fail_line(&c, line, "unexpected NUL byte (is this a text file?)");
      goto cleanup;
   }
   if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
      c.pos = 3;
   }
   while (!at_end(&c)) {
      skip_blanks(&c);
      if (!at_eol(&c) && c.s[c.pos] != '#' && !parse_assignment(&c, e, &cap)) {
         goto cleanup;
      }
      skip_to_eol(&c);
      skip_eol(&c);
   }
   *out = e;
   e = NULL;
   ok = true;
cleanup:
   mb_dotenv_destroy(e);
   return ok;
}

bool mb_dotenv_load(const char *path, mb_dotenv_t **out, mb_error_t *err)
{
   FILE *f = NULL;
   char *buf = NULL;
   size_t n = 0;
   bool ok = false;

   *out = NULL;
   if (!(f = fopen(path, "rb"))) {
      mb_error_errno(err, errno, "cannot open '%s'", path);
      goto cleanup;
   }
   if (!(buf = malloc(DOTENV_MAX_FILE + 1))) {
      mb_error_set(err, MB_EXIT_FAILURE, "out of memory");
      goto cleanup;
   }
   n = fread(buf, 1, DOTENV_MAX_FILE + 1, f);
   if (ferror(f)) {
      mb_error_errno(err, errno, "cannot read '%s'", path);
      goto cleanup;
   }
   if (n > DOTENV_MAX_FILE) {
      mb_error_set(err, MB_EXIT_USAGE, "%s: larger than %u bytes; is this a .env file?", path,
                   DOTENV_MAX_FILE);
      goto cleanup;
   }
   ok = mb_dotenv_parse(buf, n, path, out, err);
cleanup:
   if (f) {
      fclose(f);
   }
   free(buf);
   return ok;
}

const char *mb_dotenv_get(const mb_dotenv_t *e, const char *key)
{
   for (int i = e->n - 1; i >= 0; i--) {
      if (strcmp(e->entries[i].key, key) == 0) {
         return e->entries[i].value;
      }
   }
   return NULL;
}

void mb_dotenv_destroy(mb_dotenv_t *e)
{
   if (!e) {
      return;
   }
   for (int i = 0; i < e->n; i++) {
      free(e->entries[i].key);
      free(e->entries[i].value);
   }
   free(e->entries);
   free(e);
}
