/* The daemon's HTTP endpoint (METRICS_ADDR, libmicrohttpd): GET /metrics answers the Prometheus
 * text of mb_metrics_render from BACKUP_DIR's state plus the next scheduled run; GET /healthz
 * answers 200 with a small JSON status while the daemon runs. Its connections are capped (an
 * eighth of the descriptor limit, at most 64; a quarter of that per client address; idle ones
 * closed after 10 s) so that no number of clients can take the descriptors the backups need. */
#ifndef MB_SCHED_HTTPD_H
#define MB_SCHED_HTTPD_H

#include "common/error.h"

#include <stdatomic.h>
#include <time.h>

typedef struct mb_httpd mb_httpd_t;

/* Listen on addr ("127.0.0.1:9216", ":9216" for every address, "[::1]:9216"). next_run is read
 * on every request (the daemon updates it). USAGE for a malformed address, IO when the port
 * cannot be bound. */
MB_MUST_CHECK bool mb_httpd_start(const char *addr, const char *backup_dir,
                                  const _Atomic(time_t) *next_run, mb_httpd_t **out,
                                  mb_error_t *err);
void mb_httpd_stop(mb_httpd_t *h);

/* Check addr the way mb_httpd_start reads it (USAGE with the same message), without binding. */
MB_MUST_CHECK bool mb_httpd_check_addr(const char *addr, mb_error_t *err);

#endif
