/* The daemon loop: make a run at every cron time (in the process's zone), never two at once
 * (runs are sequential; a run that overlaps later slots makes them be skipped, not queued, and
 * logged as skipped), log a status line every status_interval seconds (also while a run goes on,
 * with the real clock), and stop cleanly when *stop becomes non-zero. The clock is injectable so
 * that long horizons are tested without waiting. */
#ifndef MB_SCHED_DAEMON_H
#define MB_SCHED_DAEMON_H

#include "sched/cron.h"
#include "sched/state.h"

#include <stdatomic.h>

typedef struct {
   time_t (*now)(void *user_data);
   /* Sleep until t or until *stop; may return early (spurious wake-ups are fine). */
   void (*sleep_until)(void *user_data, time_t t, const atomic_int *stop);
   void *user_data;
} mb_clock_t;

typedef struct {
   const mb_cron_t *cron;
   const char *dir;              /* BACKUP_DIR, for the status line */
   void (*run)(void *user_data); /* one backup run (the service's mb_backup_run_once) */
   void *run_user_data;
   const mb_clock_t *clock; /* NULL: the real clock */
   int status_interval;     /* seconds; 0: never */
   const atomic_int *stop;
   long max_runs; /* stop after this many runs (tests); 0: no limit */
   /* Called with every status line (for tests and metrics); may be NULL. */
   void (*on_status)(void *user_data, const char *line);
   void *status_user_data;
   _Atomic(time_t) *next_run; /* if set, kept up to date with the next scheduled run */
   /* if set: another thread stores 1 to ask for a run at once (the oplog archive at a gap); it
    * starts within a second, or after the running one, never beside it; cleared when it starts */
   atomic_int *run_now;
} mb_daemon_t;

/* Run until *stop (or max_runs). Returns the number of runs made; -1 when the schedule never
 * matches (err set). */
long mb_daemon_run(const mb_daemon_t *d, mb_error_t *err);

/* "2026-11-26 05:00:00 UTC" style rendering of t in the local zone (for logs and `schedule`). */
void mb_daemon_format_time(time_t t, char *buf, size_t size);

#endif
