/* The progress line of dump and restore: exact lines for given figures and times (percentages,
 * sizes, the smoothed rate and ETA across a change of speed, long names cut to the width). */
#include "cli/progress.h"

#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#define MB 1000000u

static const char *line(const mb_progress_t *p, const mb_progress_view_t *v, int width)
{
   static char out[1024];

   mb_progress_format(p, v, width, out, sizeof out);
   return out;
}

/* Feed samples every 0.25 s from `from` (excluded) to `to` (included) at `rate` bytes/s,
 * starting from *bytes; the view ends at `to`. */
static void run(mb_progress_t *p, mb_progress_view_t *v, double from, double to, uint64_t rate)
{
   for (double t = from + 0.25; t <= to + 1e-9; t += 0.25) {
      v->seconds = t;
      v->bytes += rate / 4;
      mb_progress_sample(p, t, v->bytes);
   }
}

static void test_first_second(void **state)
{
   mb_progress_t p;
   mb_progress_view_t v = {.verb = "dump",
                           .seconds = 0.5,
                           .bytes = 5 * MB,
                           .total = 100 * MB,
                           .count = 3,
                           .name = "shop.big",
                           .name_bytes = 5 * MB,
                           .name_total = 80 * MB,
                           .others = 1};

   (void) state;
   mb_progress_init(&p);
   mb_progress_sample(&p, v.seconds, v.bytes);
   /* no rate yet: too early to tell */
   assert_string_equal(line(&p, &v, 80),
                       "dump   5%  5.0/100.0 MB  -- MB/s  ETA --  coll 0/3  shop.big 6% +1");
   v.seconds = 1.0;
   v.bytes = 12 * MB;
   v.name_bytes = 12 * MB;
   mb_progress_sample(&p, v.seconds, v.bytes);
   assert_string_equal(line(&p, &v, 80),
                       "dump  12%  12.0/100.0 MB  12.0 MB/s  ETA 0:07  coll 0/3  shop.big 15% +1");
}

static void test_steady_then_faster(void **state)
{
   mb_progress_t p;
   mb_progress_view_t v = {
       .verb = "dump", .total = 600 * MB, .done = 1, .count = 2, .name = "shop.big"};

   (void) state;
   mb_progress_init(&p);
   run(&p, &v, 0, 10, 10 * MB);
   assert_string_equal(line(&p, &v, 80),
                       "dump  16%  100.0/600.0 MB  10.0 MB/s  ETA 0:50  coll 1/2  shop.big");
   /* four times faster: the ETA moves towards the new speed over seconds, not in one jump to
    * 0:12 (what the last second's rate alone would say) */
   run(&p, &v, 10, 11, 40 * MB);
   assert_string_equal(line(&p, &v, 80),
                       "dump  23%  140.0/600.0 MB  12.8 MB/s  ETA 0:36  coll 1/2  shop.big");
   /* a sample closer than MB_PROGRESS_MIN_DT to the previous one changes nothing */
   mb_progress_sample(&p, 11.1, v.bytes + 4 * MB);
   assert_string_equal(line(&p, &v, 80),
                       "dump  23%  140.0/600.0 MB  12.8 MB/s  ETA 0:36  coll 1/2  shop.big");
   run(&p, &v, 11, 20, 40 * MB);
   assert_string_equal(line(&p, &v, 80),
                       "dump  83%  500.0/600.0 MB  28.8 MB/s  ETA 0:03  coll 1/2  shop.big");
}

/* The ETA never goes up while the speed only goes up, and never swings back. */
static void test_eta_monotonic(void **state)
{
   mb_progress_t p;
   mb_progress_view_t v = {.verb = "dump", .total = 2000 * MB};
   int last = 1 << 30;

   (void) state;
   mb_progress_init(&p);
   run(&p, &v, 0, 5, 10 * MB);
   for (double t = 5; t < 30; t += 0.25) {
      const char *s, *eta;
      int m, sec;
      run(&p, &v, t, t + 0.25, 40 * MB);
      s = line(&p, &v, 200);
      eta = strstr(s, "ETA ");
      assert_non_null(eta);
      assert_int_equal(sscanf(eta, "ETA %d:%d", &m, &sec), 2);
      assert_true(m * 60 + sec <= last);
      last = m * 60 + sec;
   }
}

static void test_sizes_and_eta_forms(void **state)
{
   mb_progress_t p;
   mb_progress_view_t v = {.verb = "restore", .bytes = 1234567890, .total = 3333000000u};

   (void) state;
   mb_progress_init(&p);
   p.rate = 500000; /* 0.5 MB/s: 4198 s left */
   assert_string_equal(line(&p, &v, 80), "restore  37%  1.23/3.33 GB  0.5 MB/s  ETA 1:09:57");
   /* beyond the server's estimate: 99 %, and no ETA rather than a wrong one */
   v.bytes = 3400000000u;
   assert_string_equal(line(&p, &v, 80), "restore  99%  3.40/3.33 GB  0.5 MB/s  ETA --");
   /* unknown total (stdin): no percentage, no ETA */
   v.total = 0;
   v.bytes = 12345678;
   assert_string_equal(line(&p, &v, 80), "restore  12.3 MB  0.5 MB/s  ETA --");
   /* stalled */
   p.rate = 0;
   v.total = 20 * MB;
   assert_string_equal(line(&p, &v, 80), "restore  61%  12.3/20.0 MB  0.0 MB/s  ETA --");
   /* more than 100 hours left is not an estimate worth showing */
   p.rate = 10;
   assert_string_equal(line(&p, &v, 80), "restore  61%  12.3/20.0 MB  0.0 MB/s  ETA --");
}

static void test_width(void **state)
{
   mb_progress_t p;
   mb_progress_view_t v = {.verb = "dump",
                           .bytes = 50 * MB,
                           .total = 100 * MB,
                           .done = 2,
                           .count = 12,
                           .name = "analytics_production.events_by_customer_and_day_2026_archive",
                           .name_bytes = 10 * MB,
                           .name_total = 40 * MB,
                           .others = 3};
   const char *s;

   (void) state;
   mb_progress_init(&p);
   p.rate = 25 * MB;
   /* wide enough: the whole name */
   assert_string_equal(line(&p, &v, 200),
                       "dump  50%  50.0/100.0 MB  25.0 MB/s  ETA 0:02  coll 2/12  "
                       "analytics_production.events_by_customer_and_day_2026_archive 25% +3");
   /* 80 columns: the name loses its middle, the line has 79 */
   s = line(&p, &v, 80);
   assert_string_equal(s, "dump  50%  50.0/100.0 MB  25.0 MB/s  ETA 0:02  coll 2/12  "
                          "analyt...chive 25% +3");
   assert_int_equal(strlen(s), 79);
   /* too narrow for 8 columns of name: no name */
   assert_string_equal(line(&p, &v, 70),
                       "dump  50%  50.0/100.0 MB  25.0 MB/s  ETA 0:02  coll 2/12");
   /* narrower than the figures: cut */
   assert_string_equal(line(&p, &v, 21), "dump  50%  50.0/100.");
   assert_string_equal(line(&p, &v, 0), "");
   /* a short name fits in fewer than 8 columns */
   v.name = "a.b";
   v.name_total = 0;
   v.others = 0;
   assert_string_equal(line(&p, &v, 62),
                       "dump  50%  50.0/100.0 MB  25.0 MB/s  ETA 0:02  coll 2/12  a.b");
   /* a UTF-8 name is cut between characters, counted in characters */
   v.name = "d\xc3\xa9j\xc3\xa0.\xc3\xa9t\xc3\xa9\xc3\xa9t\xc3\xa9\xc3\xa9t\xc3\xa9";
   s = line(&p, &v, 69);
   assert_string_equal(s, "dump  50%  50.0/100.0 MB  25.0 MB/s  ETA 0:02  coll 2/12  "
                          "d\xc3\xa9j\xc3\xa0...\xc3\xa9t\xc3\xa9");
}

static void test_draw_and_clear(void **state)
{
   mb_progress_t p;
   mb_progress_view_t v = {.verb = "dump", .bytes = MB, .total = 10 * MB};
   char *mem = NULL;
   size_t len = 0;
   FILE *f = open_memstream(&mem, &len);

   (void) state;
   mb_progress_init(&p);
   mb_progress_clear(&p, f); /* nothing drawn: nothing to erase */
   v.seconds = 0.1;
   mb_progress_draw(&p, &v, 80, f);
   v.seconds = 0.2; /* within MB_PROGRESS_INTERVAL: not drawn */
   v.bytes = 2 * MB;
   mb_progress_draw(&p, &v, 80, f);
   v.seconds = 0.4;
   mb_progress_draw(&p, &v, 80, f);
   mb_progress_clear(&p, f);
   mb_progress_clear(&p, f);
   fclose(f);
   assert_string_equal(mem, "\rdump  10%  1.0/10.0 MB  -- MB/s  ETA --\033[K"
                            "\rdump  20%  2.0/10.0 MB  -- MB/s  ETA --\033[K"
                            "\r\033[K");
   free(mem);
}

int main(void)
{
   const struct CMUnitTest tests[] = {
       cmocka_unit_test(test_first_second),  cmocka_unit_test(test_steady_then_faster),
       cmocka_unit_test(test_eta_monotonic), cmocka_unit_test(test_sizes_and_eta_forms),
       cmocka_unit_test(test_width),         cmocka_unit_test(test_draw_and_clear),
   };
   return cmocka_run_group_tests(tests, NULL, NULL);
}
