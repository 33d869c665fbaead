/* The email channel: the report rendered through the templates into a MIME message, sent with
 * libcurl's SMTP client. */
#ifndef MB_NOTIFY_EMAIL_H
#define MB_NOTIFY_EMAIL_H

#include "common/buf.h"
#include "notify/notify.h"

/* Append the whole message for r to out: headers for c's sender and recipients, the subject and
 * both parts from c's templates (or the built-in ones). now, message_id and boundary are
 * parameters so that tests get exact output. */
MB_MUST_CHECK bool mb_email_build(const mb_notify_config_t *c, const mb_report_t *r, int64_t now,
                                  const char *message_id, const char *boundary, mb_buf_t *out,
                                  mb_error_t *err);

/* Build and send the message. Errors (code FAILURE) are one line that says what to change
 * where that is known (certificate, STARTTLS, authentication). */
MB_MUST_CHECK bool mb_email_send(const mb_notify_config_t *c, const mb_report_t *r,
                                 mb_error_t *err);

#endif
