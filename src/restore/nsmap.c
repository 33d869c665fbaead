#include "restore/nsmap.h"
#include "common/nsmatch.h"

#include <string.h>

#define MAX_VARS 32

typedef struct {
   int var; /* variable number, or -1 for a literal */
   char *lit;
   size_t len;
} part_t;

typedef struct {
   part_t *from, *to;
   int nfrom, nto, nvars;
} rule_t;

struct mb_rnsmap {
   char **inc, **exc;
   int ninc, nexc;
   rule_t *rules; /* in reverse command-line order: the last pair given wins */
   int nrules;
};

static int count_char(const char *s, char c)
{
   int n = 0;
   for (; *s; s++) {
      n += *s == c;
   }
   return n;
}

static int count_stars(const char *s)
{
   int n = 0;
   for (; *s; s++) {
      if (*s == '\\' && s[1]) {
         s++;
      } else {
         n += *s == '*';
      }
   }
   return n;
}

/* The '*' form as the '$' form: each unescaped '*' becomes $<n>$ (numbered in order, so the
 * n-th '*' of 'to' takes what the n-th '*' of 'from' matched); "\*" and "\\" become literal
 * characters and any other backslash is dropped (mongorestore's Unescape). */
static char *stars_to_vars(const char *in)
{
   size_t cap = strlen(in) * 5 + 1, o = 0;
   char *out = bson_malloc(cap);
   int n = 0;

   for (const char *s = in; *s; s++) {
      if (*s == '\\') {
         if (s[1] == '\\' || s[1] == '*') {
            out[o++] = *++s;
         }
      } else if (*s == '*') {
         o += (size_t) snprintf(out + o, cap - o, "$%d$", ++n);
      } else {
         out[o++] = *s;
      }
   }
   out[o] = '\0';
   return out;
}

static void add_part(part_t **parts, int *n, int var, const char *lit, size_t len)
{
   part_t *p;

   if (var < 0 && *n > 0 && (*parts)[*n - 1].var < 0) {
      p = &(*parts)[*n - 1]; /* extend the previous literal */
      p->lit = bson_realloc(p->lit, p->len + len + 1);
      memcpy(p->lit + p->len, lit, len);
      p->len += len;
      p->lit[p->len] = '\0';
      return;
   }
   *parts = bson_realloc(*parts, (size_t) (*n + 1) * sizeof **parts);
   p = &(*parts)[(*n)++];
   p->var = var;
   p->len = var < 0 ? len : 0;
   p->lit = var < 0 ? bson_strndup(lit, len) : NULL;
}

static int find_var(char **names, int n, const char *name)
{
   for (int i = 0; i < n; i++) {
      if (strcmp(names[i], name) == 0) {
         return i;
      }
   }
   return -1;
}

/* Parse the '$' form. For 'from' (define), each $NAME$ adds a variable to names; for 'to' each
 * must already be there. */
static bool parse_side(const char *s, bool define, char **names, int *nnames, part_t **parts,
                       int *nparts, const char **problem)
{
   while (*s) {
      const char *close;
      char *name;
      int v;
      if (*s != '$') {
         add_part(parts, nparts, -1, s, 1);
         s++;
         continue;
      }
      close = strchr(s + 1, '$');
      if (!close) {
         *problem = "extraneous '$'";
         return false;
      }
      name = bson_strndup(s + 1, (size_t) (close - s - 1));
      v = find_var(names, *nnames, name);
      if (define && (v >= 0 || *nnames >= MAX_VARS)) {
         *problem =
             v >= 0 ? "a variable is used more than once in --ns-from" : "too many variables";
         bson_free(name);
         return false;
      }
      if (!define && v < 0) {
         *problem = "--ns-to uses a variable that --ns-from does not define";
         bson_free(name);
         return false;
      }
      if (define) {
         v = *nnames;
         names[(*nnames)++] = name;
      } else {
         bson_free(name);
      }
      add_part(parts, nparts, v, NULL, 0);
      s = close + 1;
   }
   return true;
}

static void rule_free(rule_t *r)
{
   for (int i = 0; i < r->nfrom; i++) {
      bson_free(r->from[i].lit);
   }
   for (int i = 0; i < r->nto; i++) {
      bson_free(r->to[i].lit);
   }
   bson_free(r->from);
   bson_free(r->to);
}

static bool rule_parse(const char *from, const char *to, rule_t *r, mb_error_t *err)
{
   const char *problem = NULL;
   char *f = NULL, *t = NULL, *names[MAX_VARS];
   int nnames = 0;
   bool ok = false;

   memset(r, 0, sizeof *r);
   if (strchr(from, '$')) {
      if (count_char(from, '$') % 2 || count_char(to, '$') % 2) {
         problem = "odd number of '$'";
         goto cleanup;
      }
      f = bson_strdup(from);
      t = bson_strdup(to);
   } else {
      if (count_stars(from) != count_stars(to)) {
         problem = "different numbers of '*'";
         goto cleanup;
      }
      f = stars_to_vars(from);
      t = stars_to_vars(to);
   }
   ok = parse_side(f, true, names, &nnames, &r->from, &r->nfrom, &problem) &&
        parse_side(t, false, names, &nnames, &r->to, &r->nto, &problem);
   r->nvars = nnames;
cleanup:
   if (!ok) {
      mb_error_set(err, MB_EXIT_USAGE, "bad rename --ns-from '%s' --ns-to '%s': %s", from, to,
                   problem);
      rule_free(r);
   }
   for (int i = 0; i < nnames; i++) {
      bson_free(names[i]);
   }
   bson_free(f);
   bson_free(t);
   return ok;
}

static char **copy_list(const char *const *v, int n)
{
   char **out = bson_malloc0(sizeof *out * (size_t) (n + 1));
   for (int i = 0; i < n; i++) {
      out[i] = bson_strdup(v[i]);
   }
   return out;
}

bool mb_rnsmap_new(const char *const *includes, int n_includes, const char *const *excludes,
                   int n_excludes, const char *const *froms, const char *const *tos, int n_renames,
                   mb_rnsmap_t **out, mb_error_t *err)
{
   mb_rnsmap_t *m = bson_malloc0(sizeof *m);

   m->inc = copy_list(includes, n_includes);
   m->ninc = n_includes;
   m->exc = copy_list(excludes, n_excludes);
   m->nexc = n_excludes;
   m->rules = bson_malloc0(sizeof *m->rules * (size_t) (n_renames + 1));
   for (int i = n_renames - 1; i >= 0; i--) {
      if (!rule_parse(froms[i], tos[i], &m->rules[m->nrules], err)) {
         mb_rnsmap_destroy(m);
         return false;
      }
      m->nrules++;
   }
   *out = m;
   return true;
}

bool mb_rnsmap_selected(const mb_rnsmap_t *m, const char *ns, const char **why)
{
   bool included = m->ninc == 0;

   for (int i = 0; i < m->ninc && !included; i++) {
      included = mb_ns_match(m->inc[i], ns);
   }
   if (!included) {
      *why = "not matched by --ns-include";
      return false;
   }
   for (int i = 0; i < m->nexc; i++) {
      if (mb_ns_match(m->exc[i], ns)) {
         *why = "excluded by --ns-exclude";
         return false;
      }
   }
   return true;
}

/* Next position in s after pos, stepping over a whole UTF-8 character. */
static size_t next_char(const char *s, size_t len, size_t pos)
{
   pos++;
   while (pos < len && ((unsigned char) s[pos] & 0xC0) == 0x80) {
      pos++;
   }
   return pos;
}

/* Anchored match of parts[i..] against s[pos..len), each variable as short as possible (the
 * lazy (.*?) groups of mongorestore's regular expressions). caps[2v], caps[2v+1]: start, length. */
static bool match_from(const rule_t *r, int i, const char *s, size_t len, size_t pos, size_t *caps)
{
   const part_t *p;

   if (i == r->nfrom) {
      return pos == len;
   }
   p = &r->from[i];
   if (p->var < 0) {
      return len - pos >= p->len && memcmp(s + pos, p->lit, p->len) == 0 &&
             match_from(r, i + 1, s, len, pos + p->len, caps);
   }
   for (size_t end = pos;; end = next_char(s, len, end)) {
      if (match_from(r, i + 1, s, len, end, caps)) {
         caps[2 * p->var] = pos;
         caps[2 * p->var + 1] = end - pos;
         return true;
      }
      if (end >= len) {
         return false;
      }
   }
}

static char *substitute(const rule_t *r, const char *s, const size_t *caps)
{
   size_t n = 1, o = 0;
   char *out;

   for (int i = 0; i < r->nto; i++) {
      n += r->to[i].var < 0 ? r->to[i].len : caps[2 * r->to[i].var + 1];
   }
   out = bson_malloc(n);
   for (int i = 0; i < r->nto; i++) {
      const part_t *p = &r->to[i];
      const char *src = p->var < 0 ? p->lit : s + caps[2 * p->var];
      size_t len = p->var < 0 ? p->len : caps[2 * p->var + 1];
      memcpy(out + o, src, len);
      o += len;
   }
   out[o] = '\0';
   return out;
}

char *mb_rnsmap_rename(const mb_rnsmap_t *m, const char *ns)
{
   size_t caps[2 * MAX_VARS];
   size_t len = strlen(ns);

   for (int i = 0; i < m->nrules; i++) {
      memset(caps, 0, sizeof caps);
      if (match_from(&m->rules[i], 0, ns, len, 0, caps)) {
         return substitute(&m->rules[i], ns, caps);
      }
   }
   return NULL;
}

void mb_rnsmap_destroy(mb_rnsmap_t *m)
{
   if (!m) {
      return;
   }
   for (int i = 0; i < m->ninc; i++) {
      bson_free(m->inc[i]);
   }
   for (int i = 0; i < m->nexc; i++) {
      bson_free(m->exc[i]);
   }
   for (int i = 0; i < m->nrules; i++) {
      rule_free(&m->rules[i]);
   }
   bson_free(m->inc);
   bson_free(m->exc);
   bson_free(m->rules);
   bson_free(m);
}
