/* The Discord channel: one embed per report, coloured by status (green 0x2ECC71 for success,
 * red 0xE74C3C for failure), posted to the webhook with the bounded retry policy of http.h. */
#ifndef MB_NOTIFY_DISCORD_H
#define MB_NOTIFY_DISCORD_H

#include "common/http.h"
#include "notify/notify.h"

#define MB_DISCORD_GREEN 0x2ECC71
#define MB_DISCORD_RED 0xE74C3C

/* The webhook's JSON body for r, made for the caller (bson_free). Discord's limits are kept:
 * title 256, description 4096, field names 256 and values 1024 characters, 25 fields. */
char *mb_discord_payload(const mb_report_t *r);

/* Post r to c->discord_url. */
MB_MUST_CHECK bool mb_discord_send(const mb_notify_config_t *c, const mb_report_t *r,
                                   mb_http_outcome_t *o, mb_error_t *err);

#endif
