/* Prometheus text-format metrics of the last run and the statistics, written atomically after
 * every run to METRICS_FILE (for node_exporter's textfile collector). */
#ifndef MB_SCHED_METRICS_H
#define MB_SCHED_METRICS_H

#include "sched/state.h"

/* Render into a new string (bson_free). */
char *mb_metrics_render(const mb_state_t *st, const mb_stats_t *stats, const mb_run_t *last);

MB_MUST_CHECK bool mb_metrics_write(const char *path, const mb_state_t *st, const mb_stats_t *stats,
                                    const mb_run_t *last, mb_error_t *err);

#endif
