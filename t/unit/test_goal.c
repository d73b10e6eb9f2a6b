/* Goal progress in integer cents and whole days. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "north_check.h"
#include "north_goal.h"


static int64_t
day(const char *s)
{
    int64_t  d;

    assert_int_equal(north_date_parse(s, &d), 0);
    return d;
}


static void
test_dates(void **state)
{
    int       y;
    unsigned  m, d;
    int64_t   t, n;

    (void) state;

    assert_int_equal(day("1970-01-01"), 0);
    assert_int_equal(day("2000-03-01") - day("2000-02-28"), 2);
    assert_int_equal(day("2100-03-01") - day("2100-02-28"), 1);
    assert_int_equal(day("2026-11-25"), 20782);

    for (t = day("1900-01-01"); t < day("2400-12-31"); t += 37) {
        north_date_civil(t, &y, &m, &d);
        assert_int_equal(north_date_days(y, m, d), t);
    }

    assert_int_equal(north_date_parse("2026-02-29", &n), -1);
    assert_int_equal(north_date_parse("2028-02-29", &n), 0);
    assert_int_equal(north_date_parse("2026-13-01", &n), -1);
    assert_int_equal(north_date_parse("2026-04-31", &n), -1);
    assert_int_equal(north_date_parse("2026-4-30", &n), -1);
    assert_int_equal(north_date_parse("2026-04-300", &n), -1);
    assert_int_equal(north_date_parse("1899-12-31", &n), -1);
    assert_int_equal(north_date_parse("", &n), -1);
}


static void
test_percent_and_milestones(void **state)
{
    north_goal_in_t   in = { 0, 1000000, 0, -1, 0, 90 };
    north_goal_out_t  out;

    (void) state;

    in.today = day("2026-11-25");

    in.saved_cents = 249999;
    assert_int_equal(north_goal_progress(&in, &out), 0);
    assert_int_equal(out.percent, 24);
    assert_int_equal(out.milestones, 0);
    assert_int_equal(out.remaining_cents, 750001);

    in.saved_cents = 250000;
    north_goal_progress(&in, &out);
    assert_int_equal(out.percent, 25);
    assert_int_equal(out.milestones, 1);

    in.saved_cents = 999999;
    north_goal_progress(&in, &out);
    assert_int_equal(out.percent, 99);
    assert_int_equal(out.milestones, 7);
    assert_int_equal(out.remaining_cents, 1);

    in.saved_cents = 1200000;
    north_goal_progress(&in, &out);
    assert_int_equal(out.percent, 100);
    assert_int_equal(out.milestones, 15);
    assert_int_equal(out.remaining_cents, 0);
    assert_int_equal(out.status, NORTH_GOAL_ACHIEVED);
    assert_int_equal(out.projected_date, in.today);

    /* an account overdrawn: nothing saved, not less than nothing */
    in.saved_cents = -5000;
    north_goal_progress(&in, &out);
    assert_int_equal(out.percent, 0);
    assert_int_equal(out.milestones, 0);
    assert_int_equal(out.remaining_cents, 1005000);

    /* odd targets floor, never round up to a milestone */
    in.target_cents = 3;
    in.saved_cents = 2;
    north_goal_progress(&in, &out);
    assert_int_equal(out.percent, 66);
    assert_int_equal(out.milestones, 3);

    in.target_cents = 0;
    assert_int_equal(north_goal_progress(&in, &out), -1);
    in.target_cents = 100;
    in.pace_days = 0;
    assert_int_equal(north_goal_progress(&in, &out), -1);
}


static void
test_monthly(void **state)
{
    north_goal_in_t   in = { 0, 1200000, 0, 0, 0, 90 };
    north_goal_out_t  out;

    (void) state;

    /* $12,000 over 365 days: 365 / 30.436875 = 11.99 months */
    in.today = day("2026-01-01");
    in.target_date = day("2027-01-01");
    north_goal_progress(&in, &out);
    assert_int_equal(out.monthly_cents, 100067);

    /* over 400 years of days, exactly 4800 months: $1,000 a month */
    in.target_cents = 480000000;
    in.target_date = in.today + 146097;
    north_goal_progress(&in, &out);
    assert_int_equal(out.monthly_cents, 100000);
    in.target_cents = 1200000;

    /* 30 days left: a little more than the whole remainder */
    in.target_date = in.today + 30;
    north_goal_progress(&in, &out);
    assert_int_equal(out.monthly_cents, (1200000LL * 146097 + 30 * 4800 - 1)
                                        / (30 * 4800));
    assert_int_equal(out.monthly_cents, 1217475);

    /* due today or past: everything, now */
    in.target_date = in.today;
    north_goal_progress(&in, &out);
    assert_int_equal(out.monthly_cents, 1200000);
    in.target_date = in.today - 10;
    north_goal_progress(&in, &out);
    assert_int_equal(out.monthly_cents, 1200000);

    /* rounds up: one cent more than the exact share, never less */
    in.target_cents = 100;
    in.target_date = in.today + 365;
    north_goal_progress(&in, &out);
    assert_int_equal(out.monthly_cents, 9);

    /* no date, no monthly amount */
    in.target_date = -1;
    north_goal_progress(&in, &out);
    assert_int_equal(out.monthly_cents, -1);

    /* reached: nothing more to put in */
    in.saved_cents = 100;
    in.target_date = in.today + 365;
    north_goal_progress(&in, &out);
    assert_int_equal(out.monthly_cents, 0);
}


static void
test_projection_and_status(void **state)
{
    north_goal_in_t   in = { 100000, 1000000, 0, -1, 90000, 90 };
    north_goal_out_t  out;

    (void) state;

    in.today = day("2026-11-25");

    /* $900 in 90 days = $10 a day; $9,000 left: 900 days */
    north_goal_progress(&in, &out);
    assert_int_equal(out.projected_date, in.today + 900);
    assert_int_equal(out.status, NORTH_GOAL_ON_TRACK);

    /* a partial day rounds up */
    in.pace_cents = 90001;
    north_goal_progress(&in, &out);
    assert_int_equal(out.projected_date, in.today + 900);
    in.pace_cents = 89999;
    north_goal_progress(&in, &out);
    assert_int_equal(out.projected_date, in.today + 901);

    /* with a date: on track when the projection arrives by then */
    in.pace_cents = 90000;
    in.target_date = in.today + 900;
    north_goal_progress(&in, &out);
    assert_int_equal(out.status, NORTH_GOAL_ON_TRACK);
    in.target_date = in.today + 899;
    north_goal_progress(&in, &out);
    assert_int_equal(out.status, NORTH_GOAL_BEHIND);

    /* a younger goal's window is its age */
    in.pace_days = 9;
    north_goal_progress(&in, &out);
    assert_int_equal(out.projected_date, in.today + 90);

    /* no pace, or going backwards: no projection, behind */
    in.pace_cents = 0;
    north_goal_progress(&in, &out);
    assert_int_equal(out.projected_date, -1);
    assert_int_equal(out.status, NORTH_GOAL_BEHIND);
    in.pace_cents = -500;
    in.target_date = -1;
    north_goal_progress(&in, &out);
    assert_int_equal(out.projected_date, -1);
    assert_int_equal(out.status, NORTH_GOAL_BEHIND);

    /* a crawl beyond a hundred years is no projection */
    in.pace_cents = 1;
    in.pace_days = 90;
    north_goal_progress(&in, &out);
    assert_int_equal(out.projected_date, -1);

    /* large sums stay exact: $10 billion target */
    in.saved_cents = 0;
    in.target_cents = 1000000000000LL;
    in.pace_cents = 90000000000LL;
    in.target_date = in.today + 36500;
    north_goal_progress(&in, &out);
    assert_int_equal(out.projected_date, in.today + 1000);
    assert_true(out.monthly_cents > 0);
}


/* a row of north.goal_rows_json, and rows that are none */
static void
test_read(void **state)
{
    json_t            *row;
    north_goal_in_t    in;
    north_goal_out_t   out;

    row = json_loads("[{\"id\": \"g\"}, 25000, 100000, \"2026-11-18\","
                     " \"2027-05-18\", 9000, 90]", 0, NULL);
    assert_int_equal(north_goal_read(row, &in, &out), 0);
    assert_int_equal(in.saved_cents, 25000);
    assert_int_equal(in.target_cents, 100000);
    assert_int_equal(in.today, north_date_days(2026, 11, 18));
    assert_int_equal(in.target_date, north_date_days(2027, 5, 18));
    assert_int_equal(in.pace_cents, 9000);
    assert_int_equal(in.pace_days, 90);
    assert_int_equal(out.percent, 25);
    json_decref(row);

    /* no target date */
    row = json_loads("[{}, 0, 100, \"2026-11-18\", null, 0, 1]", 0, NULL);
    assert_int_equal(north_goal_read(row, &in, &out), 0);
    assert_int_equal(in.target_date, -1);
    json_decref(row);

    row = json_loads("[{}, 0, 100, \"2026-02-30\", null, 0, 1]", 0, NULL);
    assert_int_equal(north_goal_read(row, &in, &out), -1);
    json_decref(row);

    row = json_loads("[{}, 0, 100, \"2026-11-18\", \"soon\", 0, 1]", 0,
                     NULL);
    assert_int_equal(north_goal_read(row, &in, &out), -1);
    json_decref(row);

    row = json_loads("[{}, 0, 100]", 0, NULL);
    assert_int_equal(north_goal_read(row, &in, &out), -1);
    json_decref(row);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_percent_and_milestones),
        cmocka_unit_test(test_monthly),
        cmocka_unit_test(test_projection_and_status),
        cmocka_unit_test(test_read),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
