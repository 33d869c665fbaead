/* Statistics that survive restarts, in BACKUP_DIR/.mongobak-state.json, and the figures every
 * report carries (the catalog's backups plus the run counters). */
#ifndef MB_SCHED_STATE_H
#define MB_SCHED_STATE_H

#include "sched/catalog.h"

typedef struct {
   uint64_t runs, successes, failures;
   double last_seconds, success_seconds; /* last run; sum over successful runs */
   time_t last_run, last_success, last_failure;
   char *last_status; /* "ok" or "failed" */
   char *last_error;
   char *last_archive;
   time_t running; /* start of a run in progress; left set by a run that was killed */
} mb_state_t;

typedef struct {
   int backups; /* complete backups */
   uint64_t bytes_used;
   time_t oldest, newest;
   char *oldest_name, *newest_name; /* borrowed from the catalog */
   uint64_t runs, successes, failures;
   double success_rate; /* percent of runs, 0 when none */
   double last_seconds, average_seconds;
} mb_stats_t;

/* Load dir's state; a missing file is a fresh state. A damaged file is an error (IO). */
MB_MUST_CHECK bool mb_state_load(const char *dir, mb_state_t *s, mb_error_t *err);
MB_MUST_CHECK bool mb_state_save(const char *dir, const mb_state_t *s, mb_error_t *err);
/* Count a finished run (and clear the running mark). A cancelled run (mongobak stopped during
 * it) is no run of the statistics: neither a success nor a failure, nor the last run (status,
 * /metrics and /healthz keep showing the last run that finished); only its mark is cleared. */
void mb_state_record(mb_state_t *s, const mb_run_t *run);
/* Mark a run as started at start: saved before it dumps, so that a run killed outright (SIGKILL,
 * power loss) is still counted. A mark left by such a run is first recorded as a failed run
 * (stage "interrupted"), once; *killed tells its start time (0 when there was none). */
MB_MUST_CHECK bool mb_state_begin(const char *dir, time_t start, time_t *killed, mb_error_t *err);
void mb_state_clear(mb_state_t *s);

/* Combine the counters with the catalog's complete backups. */
void mb_state_stats(const mb_state_t *s, const mb_catalog_t *c, mb_stats_t *out);

/* The figures of dir, for displays that never fail (the daemon's status line, /metrics): st is
 * loaded (zeroed when it cannot be read), cat scanned (empty, with a warning logged, when the
 * backups cannot be listed) and out combined from both. The caller clears st and cat. */
void mb_state_load_stats(const char *dir, mb_state_t *st, mb_catalog_t *cat, mb_stats_t *out);

#endif
