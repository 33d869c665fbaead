#include "cli/progress.h"
#include "common/log.h"

#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define MIN_NAME_COLUMNS 8
#define MAX_ETA_SECONDS (100.0 * 3600)

void mb_progress_init(mb_progress_t *p)
{
   p->t = 0;
   p->bytes = 0;
   p->rate = -1;
   p->last_draw = -1;
}

void mb_progress_sample(mb_progress_t *p, double seconds, uint64_t bytes)
{
   double dt = seconds - p->t, recent;

   if (dt < MB_PROGRESS_MIN_DT || (p->rate < 0 && seconds < MB_PROGRESS_FIRST)) {
      return;
   }
   recent = bytes > p->bytes ? (double) (bytes - p->bytes) / dt : 0;
   if (p->rate < 0) {
      p->rate = recent;
   } else {
      p->rate += (recent - p->rate) * dt / (MB_PROGRESS_TAU + dt);
   }
   p->t = seconds;
   p->bytes = bytes;
}

/* Columns of a UTF-8 string: its bytes that start a character. */
static size_t columns(const char *s, size_t len)
{
   size_t n = 0;

   for (size_t i = 0; i < len; i++) {
      n += ((unsigned char) s[i] & 0xC0) != 0x80;
   }
   return n;
}

/* Bytes of s's first `cols` characters (s has at least that many). */
static size_t head_bytes(const char *s, size_t cols)
{
   size_t i = 0;

   for (; cols > 0; cols--) {
      i++;
      while (((unsigned char) s[i] & 0xC0) == 0x80) {
         i++;
      }
   }
   return i;
}

static int capped_percent(uint64_t part, uint64_t whole)
{
   uint64_t pct = part >= whole ? 100 : part * 100 / whole;

   return pct > 99 ? 99 : (int) pct;
}

/* "1.23/3.33 GB" or "12.3/45.6 MB" (the unit of the larger number), or "12.3 MB". */
static void format_bytes(char *out, size_t size, uint64_t bytes, uint64_t total)
{
   bool gb = (total > bytes ? total : bytes) >= 1000000000u;
   double div = gb ? 1e9 : 1e6;
   int prec = gb ? 2 : 1;

   if (total > 0) {
      snprintf(out, size, "%.*f/%.*f %s", prec, (double) bytes / div, prec, (double) total / div,
               gb ? "GB" : "MB");
   } else {
      snprintf(out, size, "%.*f %s", prec, (double) bytes / div, gb ? "GB" : "MB");
   }
}

static void format_eta(char *out, size_t size, const mb_progress_t *p, const mb_progress_view_t *v)
{
   double left;
   unsigned s;

   if (p->rate <= 0 || v->total == 0 || v->bytes >= v->total ||
       (left = (double) (v->total - v->bytes) / p->rate) >= MAX_ETA_SECONDS) {
      snprintf(out, size, "ETA --");
      return;
   }
   s = (unsigned) (left + 0.5);
   if (s >= 3600) {
      snprintf(out, size, "ETA %u:%02u:%02u", s / 3600, s / 60 % 60, s % 60);
   } else {
      snprintf(out, size, "ETA %u:%02u", s / 60, s % 60);
   }
}

/* Append " NAME[ NN%][ +N]" to out (holding `used` columns) when at least MIN_NAME_COLUMNS are
 * left for the name within `room` columns; a longer name loses its middle. */
static void append_name(char *out, size_t size, size_t used, size_t room,
                        const mb_progress_view_t *v)
{
   char tail[48] = "", pct[8] = "";
   size_t len = strlen(v->name), cols = columns(v->name, len), fixed, have, keep, front, back;
   size_t at = strlen(out);

   if (v->name_total > 0) {
      snprintf(pct, sizeof pct, " %d%%", capped_percent(v->name_bytes, v->name_total));
   }
   snprintf(tail, sizeof tail, "%s%s", pct, v->others > 0 ? " +" : "");
   if (v->others > 0) {
      snprintf(tail + strlen(tail), sizeof tail - strlen(tail), "%d", v->others);
   }
   fixed = used + 2 + strlen(tail);
   if (fixed + (cols < MIN_NAME_COLUMNS ? cols : MIN_NAME_COLUMNS) > room) {
      return;
   }
   have = room - fixed;
   if (cols <= have) {
      snprintf(out + at, size - at, "  %s%s", v->name, tail);
      return;
   }
   keep = have - 3; /* the "..." */
   front = (keep + 1) / 2;
   back = keep - front;
   snprintf(out + at, size - at, "  %.*s...%s%s", (int) head_bytes(v->name, front), v->name,
            v->name + head_bytes(v->name, cols - back), tail);
}

void mb_progress_format(const mb_progress_t *p, const mb_progress_view_t *v, int width, char *out,
                        size_t size)
{
   char bytes[48], rate[32], eta[32], pct[16] = "", coll[40] = "";
   size_t room = width > 1 ? (size_t) width - 1 : 0, used;

   format_bytes(bytes, sizeof bytes, v->bytes, v->total);
   if (p->rate >= 0) {
      snprintf(rate, sizeof rate, "%.1f MB/s", p->rate / 1e6);
   } else {
      snprintf(rate, sizeof rate, "-- MB/s");
   }
   format_eta(eta, sizeof eta, p, v);
   if (v->total > 0) {
      snprintf(pct, sizeof pct, " %3d%%", capped_percent(v->bytes, v->total));
   }
   if (v->count > 0) {
      snprintf(coll, sizeof coll, "  coll %d/%d", v->done, v->count);
   }
   snprintf(out, size, "%s%s  %s  %s  %s%s", v->verb, pct, bytes, rate, eta, coll);
   used = columns(out, strlen(out));
   if (used > room) {
      out[head_bytes(out, room)] = '\0';
      return;
   }
   if (v->name && *v->name) {
      append_name(out, size, used, room, v);
   }
}

void mb_progress_draw(mb_progress_t *p, const mb_progress_view_t *v, int width, FILE *f)
{
   char line[1024];

   mb_progress_sample(p, v->seconds, v->bytes);
   if (p->last_draw >= 0 && v->seconds - p->last_draw < MB_PROGRESS_INTERVAL) {
      return;
   }
   p->last_draw = v->seconds;
   mb_progress_format(p, v, width, line, sizeof line);
   fprintf(f, "\r%s\033[K", line);
   fflush(f);
   mb_log_set_transient_line(true);
}

void mb_progress_clear(mb_progress_t *p, FILE *f)
{
   if (p->last_draw >= 0) {
      fputs("\r\033[K", f);
      fflush(f);
      p->last_draw = -1;
      mb_log_set_transient_line(false);
   }
}

bool mb_progress_wanted(bool quiet)
{
   return !quiet && !mb_log_json_enabled() && isatty(STDERR_FILENO);
}

int mb_progress_width(void)
{
   struct winsize ws;

   if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
      return ws.ws_col;
   }
   return 80;
}
