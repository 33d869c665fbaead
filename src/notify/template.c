#include "notify/template.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct entry {
   char *name;
   char *value;           /* scalars */
   mb_tpl_vars_t **items; /* lists */
   size_t nitems;
   bool is_list;
} entry_t;

struct mb_tpl_vars {
   const mb_tpl_vars_t *parent;
   entry_t *e;
   size_t n;
};

typedef enum { T_TEXT, T_VAR, T_RAW, T_SECTION, T_INVERTED, T_CLOSE } tok_type_t;

typedef struct {
   tok_type_t type;
   const char *p; /* text, or the name */
   size_t len;
   int line;
   size_t match; /* sections: index of the closing token */
} tok_t;

typedef struct {
   tok_t *t;
   size_t n, cap;
} toks_t;

void mb_tpl_vars_new(mb_tpl_vars_t **out)
{
   *out = bson_malloc0(sizeof **out);
}

void mb_tpl_vars_destroy(mb_tpl_vars_t *v)
{
   if (!v) {
      return;
   }
   for (size_t i = 0; i < v->n; i++) {
      bson_free(v->e[i].name);
      bson_free(v->e[i].value);
      for (size_t j = 0; j < v->e[i].nitems; j++) {
         mb_tpl_vars_destroy(v->e[i].items[j]);
      }
      bson_free(v->e[i].items);
   }
   bson_free(v->e);
   bson_free(v);
}

static entry_t *find_local(const mb_tpl_vars_t *v, const char *name, size_t len)
{
   for (size_t i = 0; i < v->n; i++) {
      if (strlen(v->e[i].name) == len && memcmp(v->e[i].name, name, len) == 0) {
         return &v->e[i];
      }
   }
   return NULL;
}

static entry_t *lookup(const mb_tpl_vars_t *v, const char *name, size_t len)
{
   for (; v; v = v->parent) {
      entry_t *e = find_local(v, name, len);
      if (e) {
         return e;
      }
   }
   return NULL;
}

static entry_t *get_entry(mb_tpl_vars_t *v, const char *name)
{
   entry_t *e = find_local(v, name, strlen(name));

   if (e) {
      return e;
   }
   v->e = bson_realloc(v->e, (v->n + 1) * sizeof *v->e);
   e = &v->e[v->n++];
   memset(e, 0, sizeof *e);
   e->name = bson_strdup(name);
   return e;
}

void mb_tpl_vars_set(mb_tpl_vars_t *v, const char *name, const char *value)
{
   entry_t *e = get_entry(v, name);

   bson_free(e->value);
   e->value = bson_strdup(value ? value : "");
}

void mb_tpl_vars_setf(mb_tpl_vars_t *v, const char *name, const char *fmt, ...)
{
   entry_t *e = get_entry(v, name);
   va_list ap;

   bson_free(e->value);
   va_start(ap, fmt);
   e->value = bson_strdupv_printf(fmt, ap);
   va_end(ap);
}

void mb_tpl_vars_list(mb_tpl_vars_t *v, const char *name)
{
   get_entry(v, name)->is_list = true;
}

mb_tpl_vars_t *mb_tpl_vars_add_item(mb_tpl_vars_t *v, const char *name)
{
   entry_t *e = get_entry(v, name);
   mb_tpl_vars_t *item;

   e->is_list = true;
   mb_tpl_vars_new(&item);
   item->parent = v;
   e->items = bson_realloc(e->items, (e->nitems + 1) * sizeof *e->items);
   e->items[e->nitems++] = item;
   return item;
}

static void push(toks_t *ts, tok_type_t type, const char *p, size_t len, int line)
{
   if (ts->n == ts->cap) {
      ts->cap = ts->cap ? ts->cap * 2 : 32;
      ts->t = bson_realloc(ts->t, ts->cap * sizeof *ts->t);
   }
   ts->t[ts->n++] = (tok_t){type, p, len, line, 0};
}

static int line_of(const char *start, const char *p)
{
   int line = 1;

   for (; start < p; start++) {
      line += *start == '\n';
   }
   return line;
}

/* A tag that is alone on its line: only blanks between the line start and open, and between
 * close and the end of the line. *line_start and *next say what to drop. */
static bool standalone(const char *tpl, const char *open, const char *close,
                       const char **line_start, const char **next)
{
   const char *a = open, *b = close;

   while (a > tpl && (a[-1] == ' ' || a[-1] == '\t')) {
      a--;
   }
   if (a > tpl && a[-1] != '\n') {
      return false;
   }
   while (*b == ' ' || *b == '\t') {
      b++;
   }
   if (*b == '\r' && b[1] == '\n') {
      b += 2;
   } else if (*b == '\n') {
      b++;
   } else if (*b != '\0') {
      return false;
   }
   *line_start = a;
   *next = b;
   return true;
}

static void trim(const char **p, size_t *len)
{
   while (*len && (**p == ' ' || **p == '\t')) {
      (*p)++;
      (*len)--;
   }
   while (*len && ((*p)[*len - 1] == ' ' || (*p)[*len - 1] == '\t')) {
      (*len)--;
   }
}

/* One tag starting at open ("{{"); fills the token and returns the text after it, or NULL
 * on a syntax error. */
static const char *read_tag(const char *tpl, const char *open, tok_t *tok, mb_error_t *err)
{
   bool triple = open[2] == '{';
   const char *body = open + (triple ? 3 : 2);
   const char *end = strstr(body, triple ? "}}}" : "}}");
   char sigil = *body;

   tok->line = line_of(tpl, open);
   if (!end) {
      mb_error_set(err, MB_EXIT_USAGE, "line %d: a tag opened with '%s' is never closed", tok->line,
                   triple ? "{{{" : "{{");
      return NULL;
   }
   tok->type = triple ? T_RAW : T_VAR;
   if (!triple && (sigil == '#' || sigil == '^' || sigil == '/' || sigil == '!' || sigil == '&')) {
      tok->type = sigil == '#'   ? T_SECTION
                  : sigil == '^' ? T_INVERTED
                  : sigil == '/' ? T_CLOSE
                  : sigil == '&' ? T_RAW
                                 : T_TEXT;
      body++;
   }
   tok->p = body;
   tok->len = (size_t) (end - body);
   if (sigil == '!' && !triple) {
      tok->len = 0; /* a comment: an empty text token */
   } else {
      trim(&tok->p, &tok->len);
      if (tok->len == 0 || memchr(tok->p, '{', tok->len) || memchr(tok->p, '}', tok->len)) {
         mb_error_set(err, MB_EXIT_USAGE, "line %d: empty or malformed tag '%.*s'", tok->line,
                      (int) (end + (triple ? 3 : 2) - open), open);
         return NULL;
      }
   }
   return end + (triple ? 3 : 2);
}

static bool tokenize(const char *tpl, toks_t *ts, mb_error_t *err)
{
   const char *p = tpl;

   while (*p) {
      const char *open = strstr(p, "{{"), *after, *ls, *next;
      tok_t tok;

      if (!open) {
         push(ts, T_TEXT, p, strlen(p), 0);
         break;
      }
      if (!(after = read_tag(tpl, open, &tok, err))) {
         return false;
      }
      if ((tok.type == T_SECTION || tok.type == T_INVERTED || tok.type == T_CLOSE ||
           (tok.type == T_TEXT && tok.len == 0)) &&
          standalone(tpl, open, after, &ls, &next)) {
         push(ts, T_TEXT, p, (size_t) (ls - p), 0);
         after = next;
      } else {
         push(ts, T_TEXT, p, (size_t) (open - p), 0);
      }
      if (tok.type != T_TEXT) {
         push(ts, tok.type, tok.p, tok.len, tok.line);
      }
      p = after;
   }
   return true;
}

/* Pair every section with its closing tag. */
static bool match_sections(toks_t *ts, mb_error_t *err)
{
   size_t stack[32];
   int depth = 0;

   for (size_t i = 0; i < ts->n; i++) {
      tok_t *t = &ts->t[i];
      if (t->type == T_SECTION || t->type == T_INVERTED) {
         if (depth == (int) (sizeof stack / sizeof *stack)) {
            mb_error_set(err, MB_EXIT_USAGE, "line %d: sections nested too deeply", t->line);
            return false;
         }
         stack[depth++] = i;
      } else if (t->type == T_CLOSE) {
         tok_t *o = depth ? &ts->t[stack[depth - 1]] : NULL;
         if (!o || o->len != t->len || memcmp(o->p, t->p, t->len) != 0) {
            mb_error_set(err, MB_EXIT_USAGE, "line %d: {{/%.*s}} does not close an open section",
                         t->line, (int) t->len, t->p);
            return false;
         }
         o->match = i;
         depth--;
      }
   }
   if (depth) {
      tok_t *o = &ts->t[stack[depth - 1]];
      mb_error_set(err, MB_EXIT_USAGE, "line %d: {{%c%.*s}} is never closed", o->line,
                   o->type == T_SECTION ? '#' : '^', (int) o->len, o->p);
      return false;
   }
   return true;
}

static bool parse(const char *tpl, toks_t *ts, mb_error_t *err)
{
   return tokenize(tpl, ts, err) && match_sections(ts, err);
}

bool mb_tpl_check(const char *tpl, mb_error_t *err)
{
   toks_t ts = {0};
   bool ok = parse(tpl, &ts, err);

   bson_free(ts.t);
   return ok;
}

static bool append_html(mb_buf_t *out, const char *s, mb_error_t *err)
{
   for (; *s; s++) {
      const char *rep = *s == '&'    ? "&amp;"
                        : *s == '<'  ? "&lt;"
                        : *s == '>'  ? "&gt;"
                        : *s == '"'  ? "&quot;"
                        : *s == '\'' ? "&#39;"
                                     : NULL;
      if (!(rep ? mb_buf_append(out, rep, strlen(rep), err) : mb_buf_append(out, s, 1, err))) {
         return false;
      }
   }
   return true;
}

typedef struct {
   const toks_t *ts;
   bool html, strict;
   mb_buf_t *out;
   mb_error_t *err;
} render_t;

static bool unknown(const render_t *r, const tok_t *t)
{
   mb_error_set(r->err, MB_EXIT_USAGE, "line %d: unknown placeholder {{%.*s}}", t->line,
                (int) t->len, t->p);
   return false;
}

static bool render_range(const render_t *r, size_t from, size_t to, const mb_tpl_vars_t *v);

static bool render_section(const render_t *r, const tok_t *t, size_t i, const mb_tpl_vars_t *v)
{
   entry_t *e = lookup(v, t->p, t->len);
   bool empty;

   if (!e && r->strict) {
      return unknown(r, t);
   }
   empty = !e || (e->is_list ? e->nitems == 0 : !e->value || !*e->value);
   if (t->type == T_INVERTED || !e || !e->is_list) {
      return (t->type == T_INVERTED) == empty ? render_range(r, i + 1, t->match, v) : true;
   }
   for (size_t k = 0; k < e->nitems; k++) {
      if (!render_range(r, i + 1, t->match, e->items[k])) {
         return false;
      }
   }
   return true;
}

static bool render_range(const render_t *r, size_t from, size_t to, const mb_tpl_vars_t *v)
{
   for (size_t i = from; i < to; i++) {
      const tok_t *t = &r->ts->t[i];
      entry_t *e;

      switch (t->type) {
      case T_TEXT:
         if (!mb_buf_append(r->out, t->p, t->len, r->err)) {
            return false;
         }
         break;
      case T_VAR:
      case T_RAW:
         e = lookup(v, t->p, t->len);
         if (!e && r->strict) {
            return unknown(r, t);
         }
         if (e && e->value &&
             !(r->html && t->type == T_VAR
                   ? append_html(r->out, e->value, r->err)
                   : mb_buf_append(r->out, e->value, strlen(e->value), r->err))) {
            return false;
         }
         break;
      case T_SECTION:
      case T_INVERTED:
         if (!render_section(r, t, i, v)) {
            return false;
         }
         i = t->match;
         break;
      case T_CLOSE:
         break;
      }
   }
   return true;
}

bool mb_tpl_render(const char *tpl, const mb_tpl_vars_t *v, bool html, bool strict, mb_buf_t *out,
                   mb_error_t *err)
{
   toks_t ts = {0};
   render_t r = {&ts, html, strict, out, err};
   bool ok = parse(tpl, &ts, err) && render_range(&r, 0, ts.n, v);

   bson_free(ts.t);
   return ok;
}
