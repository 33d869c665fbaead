/* A small Mustache-like templating for the email bodies and subject.
 *
 *   {{name}}                 the value, HTML-escaped when rendering HTML
 *   {{{name}}}               the value, never escaped
 *   {{#name}}...{{/name}}    a list: the body once per item (names resolve in the item first,
 *                            then outside); a value: the body once when it is not empty
 *   {{^name}}...{{/name}}    the body when name is empty, missing or an empty list
 *   {{! comment }}
 *
 * A section, inverted-section, closing or comment tag alone on its line removes the whole line,
 * so that text templates stay tidy. */
#ifndef MB_NOTIFY_TEMPLATE_H
#define MB_NOTIFY_TEMPLATE_H

#include "common/buf.h"
#include "common/error.h"

#include <stdbool.h>

typedef struct mb_tpl_vars mb_tpl_vars_t;

/* An empty set of variables, made for the caller. */
void mb_tpl_vars_new(mb_tpl_vars_t **out);

/* Free a set and all its lists' items; v may be NULL. */
void mb_tpl_vars_destroy(mb_tpl_vars_t *v);

/* Set name to a copy of value (NULL = ""), replacing an earlier value. */
void mb_tpl_vars_set(mb_tpl_vars_t *v, const char *name, const char *value);

/* Set name to a printf-formatted value. */
void mb_tpl_vars_setf(mb_tpl_vars_t *v, const char *name, const char *fmt, ...)
    BSON_GNUC_PRINTF(3, 4);

/* Declare the list name (empty until items are added). */
void mb_tpl_vars_list(mb_tpl_vars_t *v, const char *name);

/* Append an item to the list name (declared on first use) and return it; borrowed: it lives
 * as long as v. */
mb_tpl_vars_t *mb_tpl_vars_add_item(mb_tpl_vars_t *v, const char *name);

/* Check the syntax of tpl: balanced sections and closed tags. Errors (code USAGE) name the
 * line: "line 3: {{#namespaces}} is never closed". */
MB_MUST_CHECK bool mb_tpl_check(const char *tpl, mb_error_t *err);

/* Render tpl with v, appending to out. html: escape {{name}} values for HTML. strict: an
 * unknown name is an error ("line 2: unknown placeholder {{foo}}") instead of empty text.
 * Syntax errors are reported as by mb_tpl_check; buffer overflows with code FAILURE. */
MB_MUST_CHECK bool mb_tpl_render(const char *tpl, const mb_tpl_vars_t *v, bool html, bool strict,
                                 mb_buf_t *out, mb_error_t *err);

#endif
