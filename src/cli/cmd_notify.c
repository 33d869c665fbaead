/* mongobak notify --test: send a sample report to every enabled channel and say which worked. */
#include "cli/commands.h"
#include "common/log.h"
#include "notify/notify.h"

#include <stdlib.h>

/* The configuration as the environment gives it. To be replaced by the configuration module's
 * getter (flags > env > .env > defaults, *_FILE resolved) once it exists. */
static const char *env_get(const char *name, void *ud)
{
   (void) ud;
   return getenv(name);
}

static int send_test(const mb_notify_config_t *c, bool failure)
{
   mb_report_t *r = NULL;
   mb_notify_result_t res;
   const char *tz = getenv("TIMEZONE");

   mb_report_sample(failure, tz, &r);
   mb_notify_send(c, r, &res);
   for (int i = 0; i < MB_NOTIFY_NCHANNELS; i++) {
      const mb_notify_outcome_t *o = &res.channel[i];
      if (!o->enabled) {
         continue;
      }
      if (o->ok) {
         printf("%-12s ok (%.1f s)\n", mb_notify_channel_name((mb_notify_channel_t) i),
                o->seconds);
      } else {
         printf("%-12s failed: %s\n", mb_notify_channel_name((mb_notify_channel_t) i), o->error);
      }
   }
   mb_report_destroy(r);
   return res.failed ? MB_EXIT_PARTIAL : MB_EXIT_OK;
}

int mb_cmd_notify(const mb_args_t *args)
{
   mb_notify_config_t c;
   mb_error_t err;
   char summary[1024];
   int rc;

   if (!mb_args_flag(args, "test")) {
      mb_error_set(&err, MB_EXIT_USAGE, "nothing to do: use 'mongobak notify --test'");
      return mb_cli_fail("notify", &err);
   }
   if (!mb_notify_config_load(&c, env_get, NULL, &err)) {
      mb_notify_config_cleanup(&c);
      return mb_cli_fail("notify", &err);
   }
   if (!mb_notify_any_enabled(&c)) {
      mb_notify_config_cleanup(&c);
      mb_error_set(&err, MB_EXIT_USAGE,
                   "no notification channel is enabled; set ENABLE_EMAIL_NOTIFICATIONS=true, "
                   "ENABLE_DISCORD_NOTIFICATIONS=true, WEBHOOK_URL or HEALTHCHECK_URL");
      return mb_cli_fail("notify", &err);
   }
   mb_notify_config_summary(&c, summary, sizeof summary);
   mb_log(MB_LOG_INFO, "notify: sending a test %s report to %s",
          mb_args_flag(args, "failure") ? "failure" : "success", summary);
   rc = send_test(&c, mb_args_flag(args, "failure"));
   mb_notify_config_cleanup(&c);
   return rc;
}
