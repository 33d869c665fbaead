/* The oplog slices' pure logic (sched/slices.h): chains, restorable windows, the plan of restore
 * --to-time, the retention choice; and the --to-time point parser (common/oplogts.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "sched/slices.h"

#include <string.h>

static mb_oplog_ts_t ts(uint32_t t, uint32_t i)
{
   return (mb_oplog_ts_t){t, i};
}

static mb_slice_t slice(const char *chain, mb_oplog_ts_t from, mb_oplog_ts_t last, uint64_t size)
{
   mb_slice_t s;

   memset(&s, 0, sizeof s);
   s.chain = (char *) chain;
   s.from = from;
   s.first = ts(from.t, from.i + 1);
   s.last = last;
   s.size = size;
   s.complete = true;
   return s;
}

/* chain A: (100:0, 110:5], (110:5, 120:1], (120:1, 130:9]; a gap; chain B: (200:0, 210:0],
 * (210:0, 220:0] */
static void fixture(mb_slice_t *s)
{
   s[0] = slice("A", ts(100, 0), ts(110, 5), 10);
   s[1] = slice("A", ts(110, 5), ts(120, 1), 20);
   s[2] = slice("A", ts(120, 1), ts(130, 9), 30);
   s[3] = slice("B", ts(200, 0), ts(210, 0), 40);
   s[4] = slice("B", ts(210, 0), ts(220, 0), 50);
}

static void test_chains(void **state)
{
   mb_slice_t s[5];
   mb_slice_chain_t *c;
   int n;

   (void) state;
   fixture(s);
   mb_slices_chains(s, 5, &c, &n);
   assert_int_equal(n, 2);
   assert_int_equal(c[0].first, 0);
   assert_int_equal(c[0].count, 3);
   assert_int_equal(c[0].bytes, 60);
   assert_int_equal(mb_oplog_ts_cmp(c[0].from, ts(100, 0)), 0);
   assert_int_equal(mb_oplog_ts_cmp(c[0].to, ts(130, 9)), 0);
   assert_int_equal(c[1].first, 3);
   assert_int_equal(c[1].count, 2);
   bson_free(c);

   /* a slice missing in the middle (its manifest lost) breaks the chain: from != last */
   s[1].complete = false;
   mb_slices_chains(s, 5, &c, &n);
   assert_int_equal(n, 3);
   assert_int_equal(c[0].count, 1);
   assert_int_equal(c[1].first, 2);
   bson_free(c);
   /* the same chain id but not contiguous */
   fixture(s);
   s[2].from = ts(120, 2);
   mb_slices_chains(s, 5, &c, &n);
   assert_int_equal(n, 3);
   bson_free(c);
}

static void test_window(void **state)
{
   mb_slice_t s[5];
   mb_slice_chain_t *c;
   mb_oplog_ts_t ends[] = {ts(90, 0), ts(105, 0), ts(125, 0), ts(130, 9), ts(215, 0)}, start;
   char *text;
   int n;

   (void) state;
   fixture(s);
   mb_slices_chains(s, 5, &c, &n);
   assert_true(
       mb_slices_window(&c[0], ends, 5, &start)); /* 90 is before the chain; 130:9 its end */
   assert_int_equal(mb_oplog_ts_cmp(start, ts(105, 0)), 0);
   assert_true(mb_slices_window(&c[1], ends, 5, &start));
   assert_int_equal(mb_oplog_ts_cmp(start, ts(215, 0)), 0);
   assert_false(mb_slices_window(&c[1], ends, 3, &start));
   /* the chain's own start is covered (from <= E) */
   ends[0] = ts(100, 0);
   assert_true(mb_slices_window(&c[0], ends, 5, &start));
   assert_int_equal(mb_oplog_ts_cmp(start, ts(100, 0)), 0);
   bson_free(c);
   text = mb_slices_windows_text(s, 5, ends, 3);
   assert_string_equal(text, "100:0 .. 130:9 (1970-01-01T00:01:40Z .. 1970-01-01T00:02:10Z)");
   bson_free(text);
   text = mb_slices_windows_text(s, 5, ends, 0);
   assert_string_equal(text, "none");
   bson_free(text);
}

static void test_plan(void **state)
{
   mb_slice_t s[5];
   mb_oplog_ts_t ends[] = {ts(105, 0), ts(125, 0), ts(205, 0)};
   mb_slice_plan_t p;
   mb_error_t err;

   (void) state;
   fixture(s);
   /* inside the first slice after backup 0's end: backup 0 and slice 0 */
   assert_true(mb_slices_plan(s, 5, ends, 3, ts(108, 3), &p, &err));
   assert_int_equal(p.backup, 0);
   assert_int_equal(p.first, 0);
   assert_int_equal(p.count, 1);
   /* later in chain A: the newest backup before it (125:0) and the slice carrying it */
   assert_true(mb_slices_plan(s, 5, ends, 3, ts(129, 0), &p, &err));
   assert_int_equal(p.backup, 1);
   assert_int_equal(p.first, 2);
   assert_int_equal(p.count, 1);
   /* from backup 0 across slices: a point before backup 1's end */
   assert_true(mb_slices_plan(s, 5, ends, 3, ts(124, 0), &p, &err));
   assert_int_equal(p.backup, 0);
   assert_int_equal(p.first, 0);
   assert_int_equal(p.count, 3);
   /* the chain's very last entry is reachable; one past it is not */
   assert_true(mb_slices_plan(s, 5, ends, 3, ts(130, 9), &p, &err));
   assert_int_equal(p.count, 1);
   assert_false(mb_slices_plan(s, 5, ends, 3, ts(130, 10), &p, &err));
   assert_int_equal(err.code, MB_EXIT_USAGE);
   assert_non_null(strstr(err.message, "the restorable windows are: 105:0 .. 130:9 "));
   assert_non_null(strstr(err.message, ", 205:0 .. 220:0 "));
   /* a whole second (ISO time) at the end of the chain: its last entry is in that second, later
    * entries of the second might exist: not reachable */
   assert_false(mb_slices_plan(s, 5, ends, 3, ts(130, UINT32_MAX), &p, &err));
   /* in the gap between the chains: backup 1's chain ends at 130:9 */
   assert_false(mb_slices_plan(s, 5, ends, 3, ts(150, 0), &p, &err));
   /* before any backup */
   assert_false(mb_slices_plan(s, 5, ends, 3, ts(101, 0), &p, &err));
   /* exactly a backup's end: that backup, no slice */
   assert_true(mb_slices_plan(s, 5, ends, 3, ts(125, 0), &p, &err));
   assert_int_equal(p.backup, 1);
   assert_int_equal(p.count, 0);
   /* chain B from backup 2 */
   assert_true(mb_slices_plan(s, 5, ends, 3, ts(219, UINT32_MAX), &p, &err));
   assert_int_equal(p.backup, 2);
   assert_int_equal(p.first, 3);
   assert_int_equal(p.count, 2);
   /* the newest backup is not in a chain (OPLOG_ARCHIVE was off then): an older one that is */
   ends[1] = ts(135, 0);
   assert_true(mb_slices_plan(s, 5, ends, 3, ts(129, 0), &p, &err));
   assert_int_equal(p.backup, 0);
   assert_int_equal(p.count, 3);
   assert_false(mb_slices_plan(s, 5, ends, 3, ts(140, 0), &p, &err));
   /* a broken chain: the slice 1 incomplete */
   s[1].complete = false;
   assert_false(mb_slices_plan(s, 5, ends, 3, ts(129, 0), &p, &err));
   assert_true(mb_slices_plan(s, 5, ends, 3, ts(109, 0), &p, &err));
   /* no backup with an oplog at all */
   assert_false(mb_slices_plan(s, 5, ends, 0, ts(109, 0), &p, &err));
   assert_non_null(strstr(err.message, "the restorable windows are: none"));
}

static void test_retain(void **state)
{
   mb_slice_t s[5];
   mb_oplog_ts_t ends[] = {ts(125, 0), ts(215, 0)};
   bool keep[5];

   (void) state;
   fixture(s);
   /* E_min = 125:0: slices whose last <= 125:0 go; the one carrying 125:0 stays */
   assert_int_equal(mb_slices_retain(s, 5, ends, 2, keep), 2);
   assert_false(keep[0]);
   assert_false(keep[1]);
   assert_true(keep[2]);
   assert_true(keep[3] && keep[4]);
   /* last == E_min: not needed (the next slice starts from it) */
   ends[0] = ts(120, 1);
   assert_int_equal(mb_slices_retain(s, 5, ends, 2, keep), 2);
   assert_false(keep[1]);
   /* no kept backup with an oplog: nothing deleted */
   assert_int_equal(mb_slices_retain(s, 5, ends, 0, keep), 0);
   assert_true(keep[0] && keep[1] && keep[2] && keep[3] && keep[4]);
   /* an incomplete slice is never deleted here */
   s[0].complete = false;
   ends[0] = ts(300, 0);
   assert_int_equal(mb_slices_retain(s, 5, ends, 1, keep), 4);
   assert_true(keep[0]);
}

static void test_point(void **state)
{
   mb_oplog_ts_t p;
   mb_error_t err;

   (void) state;
   assert_true(mb_oplog_ts_parse_point("--to-time", "2026-12-03T10:15:00Z", &p, &err));
   assert_int_equal(p.t, 1796292900u);
   assert_int_equal(p.i, UINT32_MAX);
   assert_true(mb_oplog_ts_parse_point("--to-time", "1796292900:7", &p, &err));
   assert_int_equal(p.t, 1796292900u);
   assert_int_equal(p.i, 7);
   assert_true(mb_oplog_ts_parse_point("--to-time", "1796292900", &p, &err));
   assert_int_equal(p.i, UINT32_MAX);
   p = mb_oplog_ts_next(ts(5, UINT32_MAX));
   assert_int_equal(mb_oplog_ts_cmp(p, ts(6, 0)), 0);
   p = mb_oplog_ts_next(ts(5, 3));
   assert_int_equal(mb_oplog_ts_cmp(p, ts(5, 4)), 0);
   const char *bad[] = {"2026-02-30T10:15:00Z",
                        "2026-12-03T10:15:00",
                        "2026-12-03 10:15:00Z",
                        "yesterday",
                        "",
                        "12:x",
                        "2026-12-03T10:15:00+01:00"};
   for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
      assert_false(mb_oplog_ts_parse_point("--to-time", bad[i], &p, &err));
      assert_int_equal(err.code, MB_EXIT_USAGE);
      assert_non_null(strstr(err.message, "is not a point in time"));
   }
}

int main(void)
{
   const struct CMUnitTest tests[] = {
       cmocka_unit_test(test_chains), cmocka_unit_test(test_window), cmocka_unit_test(test_plan),
       cmocka_unit_test(test_retain), cmocka_unit_test(test_point),
   };
   return cmocka_run_group_tests(tests, NULL, NULL);
}
