/* The progress line of dump and restore on a terminal: one line on stderr, redrawn in place at
 * most 4 times a second, e.g.
 *    dump  37%  1.23/3.33 GB  85.3 MB/s  ETA 0:25  coll 3/12  bench.big 61% +2
 * (percentage of the expected bytes, bytes done/expected, the rate, the time left, collections
 * finished/in all, the collection being read with its own share read and how many others are
 * read at the same time). The rate is smoothed (an exponentially weighted moving average over
 * the last ~MB_PROGRESS_TAU seconds), so the ETA follows a change of speed without jumping with
 * every batch. The CLI draws it only when stderr is a terminal, without --quiet and with
 * LOG_FORMAT=text (mb_progress_wanted): a cron job's log never gets a progress line. The
 * formatting is a pure function of the state and the figures. */
#ifndef MB_CLI_PROGRESS_H
#define MB_CLI_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define MB_PROGRESS_INTERVAL 0.25 /* seconds between two lines drawn */
#define MB_PROGRESS_MIN_DT 0.2    /* samples closer than this are not taken into the rate */
#define MB_PROGRESS_FIRST 1.0     /* no rate (and no ETA) before this many seconds */
#define MB_PROGRESS_TAU 10.0      /* time constant of the smoothed rate, seconds */

typedef struct {
   double t;         /* seconds of the last sample taken into the rate */
   uint64_t bytes;   /* bytes done at that sample */
   double rate;      /* smoothed bytes per second; < 0 while unknown */
   double last_draw; /* seconds of the last line drawn; < 0 when none is on the screen */
} mb_progress_t;

/* The figures of one moment. */
typedef struct {
   const char *verb;                /* "dump", "restore" */
   double seconds;                  /* since the start */
   uint64_t bytes, total;           /* done so far; expected in all (0: unknown) */
   int done, count;                 /* collections finished; in all (0: not shown) */
   const char *name;                /* the namespace being read ("db.coll"), or NULL */
   uint64_t name_bytes, name_total; /* its bytes read; expected (0: no share shown) */
   int others;                      /* other namespaces being read at the same time */
} mb_progress_view_t;

void mb_progress_init(mb_progress_t *p);

/* Take the bytes done at `seconds` into the smoothed rate. The first rate is the average over
 * the first MB_PROGRESS_FIRST seconds or more; each later sample moves it towards the rate since
 * the previous one by dt / (MB_PROGRESS_TAU + dt). Samples less than MB_PROGRESS_MIN_DT after
 * the previous one are ignored (the next one covers them). */
void mb_progress_sample(mb_progress_t *p, double seconds, uint64_t bytes);

/* The line for v (no "\r", no newline) in out (size bytes, always NUL-terminated), at most
 * width - 1 columns: a long namespace name is shortened in its middle ("ab...yz"), dropped when
 * fewer than 8 columns are left for it. Percentages are capped at 99 % (the expected sizes are
 * the server's estimates); "ETA --" while the rate or the total is unknown or exceeded. */
void mb_progress_format(const mb_progress_t *p, const mb_progress_view_t *v, int width, char *out,
                        size_t size);

/* Sample v and, when MB_PROGRESS_INTERVAL passed since the last line, draw it on f in place of
 * the previous one ("\r", the line, erase to the end of the line), width columns wide. From then
 * on until mb_progress_clear, log lines erase it before they are written (common/log.h). */
void mb_progress_draw(mb_progress_t *p, const mb_progress_view_t *v, int width, FILE *f);

/* Erase the line drawn last, if any, so that what follows starts on a clean line. */
void mb_progress_clear(mb_progress_t *p, FILE *f);

/* Whether progress lines are drawn: stderr is a terminal, not quiet, LOG_FORMAT is not json. */
bool mb_progress_wanted(bool quiet);

/* The width of the terminal on stderr; 80 when it cannot be told. */
int mb_progress_width(void);

#endif
