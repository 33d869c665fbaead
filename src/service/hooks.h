/* The notification step of a scheduled backup: a finished run and the statistics become a report
 * that goes to every enabled channel (src/notify); the healthcheck gets its "start" ping when the
 * run begins and its success/fail ping from mb_notify_send. */
#ifndef MB_SERVICE_HOOKS_H
#define MB_SERVICE_HOOKS_H

#include "notify/notify.h"
#include "sched/state.h"

/* The notification settings of one backup service (owned by it: no globals). */
typedef struct {
   mb_notify_config_t config;
   char *timezone; /* TIMEZONE, the zone the reports show local times in */
   bool enabled;   /* some channel is configured */
} mb_hooks_t;

/* Load the channels' settings through get (the configuration's getter) and the zone; logs which
 * channels are enabled. Fails on an invalid setting (the error names it). Clear h either way. */
MB_MUST_CHECK bool mb_hooks_load(mb_hooks_t *h, mb_notify_get_fn get, void *user_data,
                                 mb_error_t *err);

void mb_hooks_clear(mb_hooks_t *h);

/* Check the notification settings as mb_hooks_load reads them (same errors), without logging. */
MB_MUST_CHECK bool mb_hooks_check(mb_notify_get_fn get, void *user_data, mb_error_t *err);

/* The run has started: the healthcheck's "start" ping. */
void mb_hooks_started(const mb_hooks_t *h);

/* The run has ended: its report to every channel (each outcome logged; never fails the run). */
void mb_hooks_finished(const mb_hooks_t *h, const mb_run_t *run, const mb_stats_t *stats);

/* Report a failure outside a run (stage "oplog gap": the daemon's oplog archive lost entries) to
 * every channel, with the healthcheck's fail ping. Never fails; callable from any thread. */
void mb_hooks_alert(const mb_hooks_t *h, const char *stage, const char *message);

/* Report a run that failed before it could start (BACKUP_DIR unusable, locked, server down at
 * the daemon's start) at stage to every channel, with the healthcheck's fail ping. Never fails. */
void mb_hooks_failed_to_start(mb_notify_get_fn get, void *user_data, const char *stage,
                              const mb_error_t *err);

#endif
