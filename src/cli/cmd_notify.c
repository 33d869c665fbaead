/* mongobak notify --test: send a sample report to every enabled channel and say which worked. */
#include "cli/commands.h"
#include "cli/config.h"
#include "common/log.h"
#include "notify/notify.h"

static int send_test(const mb_notify_config_t *c, const char *tz, bool failure)
{
   mb_report_t *r = NULL;
   mb_notify_result_t res;

   mb_report_sample(failure, tz, &r);
   mb_notify_send(c, r, &res);
   for (int i = 0; i < MB_NOTIFY_NCHANNELS; i++) {
      const mb_notify_outcome_t *o = &res.channel[i];
      if (!o->enabled) {
         continue;
      }
      if (o->ok) {
         printf("%-12s ok (%.1f s)\n", mb_notify_channel_name((mb_notify_channel_t) i), o->seconds);
      } else {
         printf("%-12s failed: %s\n", mb_notify_channel_name((mb_notify_channel_t) i), o->error);
      }
   }
   mb_report_destroy(r);
   return res.failed ? MB_EXIT_PARTIAL : MB_EXIT_OK;
}

int mb_cmd_notify(const mb_args_t *args)
{
   mb_config_t *cfg = NULL;
   mb_notify_config_t c;
   mb_error_t err;
   char summary[1024];
   bool failure = mb_args_flag(args, "failure");
   int rc;

   mb_notify_config_init(&c);
   if (!mb_args_flag(args, "test")) {
      mb_error_set(&err, MB_EXIT_USAGE, "nothing to do: use 'mongobak notify --test'");
      rc = mb_cli_fail("notify", &err);
      goto cleanup;
   }
   if (!mb_config_load(args, &cfg, &err) ||
       !mb_notify_config_load(&c, mb_config_getter, cfg, &err)) {
      rc = mb_cli_fail("notify", &err);
      goto cleanup;
   }
   if (!mb_notify_any_enabled(&c)) {
      mb_error_set(&err, MB_EXIT_USAGE,
                   "no notification channel is enabled; set ENABLE_EMAIL_NOTIFICATIONS=true, "
                   "ENABLE_DISCORD_NOTIFICATIONS=true, WEBHOOK_URL or HEALTHCHECK_URL");
      rc = mb_cli_fail("notify", &err);
      goto cleanup;
   }
   mb_notify_config_summary(&c, summary, sizeof summary);
   mb_log(MB_LOG_INFO, "notify: sending a test %s report to %s", failure ? "failure" : "success",
          summary);
   rc = send_test(&c, mb_config_get(cfg, "TIMEZONE"), failure);
cleanup:
   mb_notify_config_clear(&c);
   mb_config_destroy(cfg);
   return rc;
}
