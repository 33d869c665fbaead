/* A report rendered for people: the template variables, the built-in email templates and the
 * rendering of an email's subject, text and HTML. docs/notifications.md lists the variables. */
#ifndef MB_NOTIFY_RENDER_H
#define MB_NOTIFY_RENDER_H

#include "notify/report.h"
#include "notify/template.h"

/* Built-in templates (used when EMAIL_SUBJECT / EMAIL_TEMPLATE_TEXT / EMAIL_TEMPLATE_HTML are
 * not set). */
extern const char mb_render_default_subject[];
extern const char mb_render_default_text[];
extern const char mb_render_default_html[];

/* The template variables of a report, made for the caller (mb_tpl_vars_destroy). */
void mb_render_vars(const mb_report_t *r, mb_tpl_vars_t **out);

/* Render one template for r (strict: unknown placeholders are errors), NUL-terminated and
 * with every registered secret masked; *out is made for the caller (bson_free). A subject
 * (html false, one_line true) has its line breaks turned into spaces and is trimmed. */
MB_MUST_CHECK bool mb_render_template(const mb_report_t *r, const char *tpl, bool html,
                                      bool one_line, char **out, mb_error_t *err);

/* Check that a user template renders against the sample reports (success and failure) without
 * syntax errors or unknown placeholders; errors (USAGE) say the line and the problem. */
MB_MUST_CHECK bool mb_render_validate(const char *tpl, bool html, mb_error_t *err);

#endif
