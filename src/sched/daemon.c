#include "sched/daemon.h"
#include "common/log.h"
#include "common/tz.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static time_t real_now(void *user_data)
{
   (void) user_data;
   return time(NULL);
}

static void real_sleep_until(void *user_data, time_t t, const atomic_int *stop)
{
   (void) user_data;
   /* short naps so that a stop request is seen within 200 ms */
   while ((!stop || !atomic_load(stop)) && time(NULL) < t) {
      struct timespec ts = {0, 200 * 1000 * 1000};
      nanosleep(&ts, NULL);
   }
}

static const mb_clock_t real_clock = {real_now, real_sleep_until, NULL};

void mb_daemon_format_time(time_t t, char *buf, size_t size)
{
   mb_tz_format(NULL, t, "%Y-%m-%d %H:%M:%S %Z", buf, size);
}

static void status_line(const mb_daemon_t *d, time_t next, long runs, bool running)
{
   mb_state_t st;
   mb_catalog_t cat;
   mb_stats_t stats;
   char when[64], line[600];

   mb_state_load_stats(d->dir, &st, &cat, &stats);
   mb_daemon_format_time(next, when, sizeof when);
   snprintf(line, sizeof line,
            "status: next run %s; last run %s; %d backups using %.1f MB; %llu runs, %llu ok, "
            "%llu failed (%.1f%% success); %ld runs since start%s",
            running ? "after the running backup" : when,
            st.last_status && *st.last_status ? st.last_status : "none", stats.backups,
            (double) stats.bytes_used / 1e6, (unsigned long long) stats.runs,
            (unsigned long long) stats.successes, (unsigned long long) stats.failures,
            stats.success_rate, runs, running ? "; a backup is running" : "");
   mb_log(MB_LOG_INFO, "%s", line);
   if (d->on_status) {
      d->on_status(d->status_user_data, line);
   }
   mb_catalog_clear(&cat);
   mb_state_clear(&st);
}

/* Log the slots of the schedule after due (the slot just run) and up to now, which the run
 * outlasted: they are skipped, not queued. At most 1000 are counted. */
static void log_skipped(const mb_daemon_t *d, time_t due, time_t now)
{
   time_t t = due, first = 0;
   char when[64];
   mb_error_t err;
   long n = 0;

   while (n < 1000 && mb_cron_next(d->cron, t, &t, &err) && t <= now) {
      first = n++ ? first : t;
   }
   if (n > 0) {
      mb_daemon_format_time(first, when, sizeof when);
      mb_log(MB_LOG_WARN,
             "skipped %s%ld scheduled run%s (the first at %s): the previous run was still going",
             n == 1000 ? "at least " : "", n, n == 1 ? "" : "s", when);
   }
}

/* The status lines while a run goes on (real clock only: an injected clock belongs to the
 * thread that runs the loop). */
typedef struct {
   const mb_daemon_t *d;
   long runs;
   time_t next_status; /* read back by the loop after the join */
   atomic_int done;
} during_t;

static void *status_during_run(void *user_data)
{
   during_t *w = user_data;

   while (!atomic_load(&w->done)) {
      time_t now = time(NULL);
      struct timespec nap = {0, 100 * 1000 * 1000};
      if (now >= w->next_status) {
         status_line(w->d, 0, w->runs, true);
         w->next_status +=
             w->d->status_interval * ((now - w->next_status) / w->d->status_interval + 1);
      }
      nanosleep(&nap, NULL);
   }
   return NULL;
}

/* d->run, with the status lines going on during it. */
static void run_with_status(const mb_daemon_t *d, long runs, time_t *next_status)
{
   during_t w = {.d = d, .runs = runs, .next_status = *next_status};
   pthread_t th;
   bool started =
       d->clock == NULL && *next_status && pthread_create(&th, NULL, status_during_run, &w) == 0;

   d->run(d->run_user_data);
   if (started) {
      atomic_store(&w.done, 1);
      pthread_join(th, NULL);
      *next_status = w.next_status;
   }
}

static bool stopping(const mb_daemon_t *d, long runs)
{
   return (d->stop && atomic_load(d->stop)) || (d->max_runs > 0 && runs >= d->max_runs);
}

long mb_daemon_run(const mb_daemon_t *d, mb_error_t *err)
{
   const mb_clock_t *clk = d->clock ? d->clock : &real_clock;
   time_t now = clk->now(clk->user_data), next, next_status;
   char when[64];
   long runs = 0;

   if (!mb_cron_next(d->cron, now, &next, err)) {
      return -1;
   }
   next_status = d->status_interval > 0 ? now + d->status_interval : 0;
   if (d->next_run) {
      atomic_store(d->next_run, next);
   }
   mb_daemon_format_time(next, when, sizeof when);
   mb_log(MB_LOG_INFO, "daemon started; first run at %s", when);
   while (!stopping(d, runs)) {
      now = clk->now(clk->user_data);
      if (next_status && now >= next_status) {
         status_line(d, next, runs, false);
         next_status += d->status_interval * ((now - next_status) / d->status_interval + 1);
      }
      bool asked = d->run_now && atomic_exchange(d->run_now, 0) != 0;
      if (now >= next || asked) {
         time_t due = asked && now < next ? now : next;
         if (asked) {
            mb_log(MB_LOG_INFO, "a backup was asked for at once (oplog archive)");
         }
         run_with_status(d, runs, &next_status);
         runs++;
         /* slots that passed during the run are skipped, not queued */
         now = clk->now(clk->user_data);
         log_skipped(d, due, now);
         if (!mb_cron_next(d->cron, now, &next, err)) {
            return -1;
         }
         if (d->next_run) {
            atomic_store(d->next_run, next);
         }
         mb_daemon_format_time(next, when, sizeof when);
         mb_log(MB_LOG_INFO, "next run at %s", when);
         continue;
      }
      time_t until = next_status && next_status < next ? next_status : next;
      if (d->run_now && until > now + 1) {
         until = now + 1; /* a request for a run is seen within a second */
      }
      clk->sleep_until(clk->user_data, until, d->stop);
   }
   mb_log(MB_LOG_INFO, "daemon stopped after %ld runs", runs);
   return runs;
}
