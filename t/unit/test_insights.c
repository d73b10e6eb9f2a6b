/* Spending insights: the robust rule, recurrence, the forecast. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "north_check.h"
#include "north_insights.h"


static int64_t
day(const char *s)
{
    int64_t  d;

    assert_int_equal(north_date_parse(s, &d), 0);
    return d;
}


/* charges from "YYYY-MM-DD:cents" strings */
static size_t
charges(north_insights_charge_t *c, const char *const *spec)
{
    size_t  n;
    char    date[11];

    for (n = 0; spec[n]; n++) {
        memcpy(date, spec[n], 10);
        date[10] = '\0';
        c[n].day = day(date);
        c[n].cents = strtoll(spec[n] + 11, NULL, 10);
    }

    return n;
}


static void
test_anomaly(void **state)
{
    int64_t                   h[6] = { 40000, 42000, 39000, 41000, 43000,
                                       200000 };
    north_insights_anomaly_t  a;

    (void) state;

    /*
     * Groceries: 390, 400, 410, 420, 430 and one $2,000 month. The median
     * is (410 + 420) / 2 = 415; the deviations 25, 15, 5, 5, 15, 1,585
     * have the median 15, so 3 x 1.4826 x 15 = 66.72; 20% of 415 is 83,
     * which is more: unusual above 498. The outlier moved nothing (a mean
     * and standard deviation would put the line above $1,400).
     */
    assert_int_equal(north_insights_anomaly(h, 6, 50000, 5000, &a), 0);
    assert_int_equal(a.median_cents, 41500);
    assert_int_equal(a.mad_cents, 1500);
    assert_int_equal(a.threshold_cents, 41500 + 8300);
    assert_int_equal(a.unusual, 1);

    assert_int_equal(north_insights_anomaly(h, 6, 49800, 5000, &a), 0);
    assert_int_equal(a.unusual, 0);

    /* small amounts: the $50 minimum decides (coffee 10, 12, 11 -> 11) */
    h[0] = 1000; h[1] = 1200; h[2] = 1100;
    assert_int_equal(north_insights_anomaly(h, 3, 5000, 5000, &a), 0);
    assert_int_equal(a.threshold_cents, 6100);
    assert_int_equal(a.unusual, 0);

    /* a volatile category: MAD wins (100, 300, 500, 700, 900 -> 500,
     * MAD 200, 3 x 1.4826 x 200 = 889.56) */
    h[0] = 10000; h[1] = 30000; h[2] = 50000; h[3] = 70000; h[4] = 90000;
    assert_int_equal(north_insights_anomaly(h, 5, 130000, 5000, &a), 0);
    assert_int_equal(a.threshold_cents, 50000 + 88956);
    assert_int_equal(a.unusual, 0);

    /* too little history to judge */
    assert_int_equal(north_insights_anomaly(h, 2, 900000, 5000, &a), -1);
}


static void
test_monthly_irregular_days_and_february(void **state)
{
    north_insights_charge_t     c[16];
    north_insights_recurring_t  r;
    size_t                      n;

    static const char *const  spec[] = {
        "2025-10-31:1699", "2025-11-30:1699", "2025-12-29:1699",
        "2026-01-31:1699", "2026-02-28:1699", "2026-03-31:1699",
        "2026-04-30:1699", NULL
    };

    (void) state;

    /* the last day of each month, a weekend early in December: monthly */
    n = charges(c, spec);
    assert_int_equal(north_insights_recurring(c, n, day("2026-05-10"), &r), 0);
    assert_int_equal(r.period, NORTH_INSIGHTS_MONTHLY);
    assert_int_equal(r.amount_cents, 1699);
    assert_int_equal(r.increase_day, -1);
    assert_int_equal(r.next_day, day("2026-05-30"));
    assert_int_equal(r.ended, 0);
    assert_string_equal(north_insights_period_name(r.period), "monthly");

    /* the 31st steps to February's last day, in a leap year too */
    assert_int_equal(north_insights_step(NORTH_INSIGHTS_MONTHLY,
                                         day("2028-01-31"), 31),
                     day("2028-02-29"));
    assert_int_equal(north_insights_step(NORTH_INSIGHTS_MONTHLY,
                                         day("2026-12-15"), 15),
                     day("2027-01-15"));
    assert_int_equal(north_insights_step(NORTH_INSIGHTS_YEARLY,
                                         day("2028-02-29"), 29),
                     day("2029-02-28"));

    /* nothing since April 30: past May 30 + 10 days it has ended */
    assert_int_equal(north_insights_recurring(c, n, day("2026-06-10"), &r), 0);
    assert_int_equal(r.ended, 1);
}


static void
test_skipped_month_and_price_increase(void **state)
{
    north_insights_charge_t     c[16];
    north_insights_recurring_t  r;
    size_t                      n;

    static const char *const  skipped[] = {
        "2026-01-05:5500", "2026-02-05:5500", "2026-04-06:5500",
        "2026-05-05:5500", "2026-06-04:5500", NULL
    };

    static const char *const  raised[] = {
        "2026-01-12:1699", "2026-02-12:1699", "2026-03-12:1699",
        "2026-04-13:1899", "2026-05-12:1899", NULL
    };

    static const char *const  noise[] = {
        "2026-01-03:4500", "2026-01-19:5200", "2026-03-02:4800",
        "2026-03-09:5100", "2026-04-28:4700", NULL
    };

    (void) state;

    /* March missed: still monthly */
    n = charges(c, skipped);
    assert_int_equal(north_insights_recurring(c, n, day("2026-06-10"), &r), 0);
    assert_int_equal(r.period, NORTH_INSIGHTS_MONTHLY);
    assert_int_equal(r.next_day, day("2026-07-04"));

    /* 16.99 three times, then 18.99: an increase from April 13 */
    n = charges(c, raised);
    assert_int_equal(north_insights_recurring(c, n, day("2026-05-20"), &r), 0);
    assert_int_equal(r.amount_cents, 1899);
    assert_int_equal(r.previous_cents, 1699);
    assert_int_equal(r.increase_day, day("2026-04-13"));

    /* groceries on no schedule */
    n = charges(c, noise);
    assert_int_equal(north_insights_recurring(c, n, day("2026-05-20"), &r), -1);
}


static void
test_two_subscriptions_one_merchant(void **state)
{
    size_t                      n, g, starts[8];
    north_insights_charge_t     c[16];
    north_insights_recurring_t  r;

    static const char *const  spec[] = {
        "2026-01-03:299", "2026-01-17:1399", "2026-02-03:299",
        "2026-02-17:1399", "2026-03-03:299", "2026-03-17:1399",
        "2026-04-03:299", "2026-04-17:1399", NULL
    };

    (void) state;

    /* iCloud at 2.99 on the 3rd, a TV plan at 13.99 on the 17th */
    n = charges(c, spec);
    g = north_insights_groups(c, n, starts, 8);
    assert_int_equal(g, 2);
    assert_int_equal(starts[1], 4);

    assert_int_equal(north_insights_recurring(c, 4, day("2026-04-20"), &r), 0);
    assert_int_equal(r.amount_cents, 299);
    assert_int_equal(r.next_day, day("2026-05-03"));

    assert_int_equal(north_insights_recurring(c + 4, 4, day("2026-04-20"), &r),
                     0);
    assert_int_equal(r.amount_cents, 1399);
    assert_int_equal(r.next_day, day("2026-05-17"));

    /* taken together they are no schedule */
    n = charges(c, spec);
    assert_int_equal(north_insights_recurring(c, n, day("2026-04-20"), &r), -1);
}


static void
test_weekly_biweekly_yearly(void **state)
{
    size_t                      n;
    north_insights_charge_t     c[16];
    north_insights_recurring_t  r;

    static const char *const  pay[] = {      /* every second Friday */
        "2026-01-09:250000", "2026-01-23:250000", "2026-02-06:250000",
        "2026-02-20:250000", "2026-03-06:250000", NULL
    };

    static const char *const  weekly[] = {
        "2026-03-02:1200", "2026-03-09:1250", "2026-03-17:1200",
        "2026-03-23:1200", NULL
    };

    static const char *const  yearly[] = {
        "2025-03-14:9900", "2026-03-16:9900", NULL
    };

    (void) state;

    n = charges(c, pay);
    assert_int_equal(north_insights_recurring(c, n, day("2026-03-10"), &r), 0);
    assert_int_equal(r.period, NORTH_INSIGHTS_BIWEEKLY);
    assert_int_equal(r.next_day, day("2026-03-20"));

    n = charges(c, weekly);
    assert_int_equal(north_insights_recurring(c, n, day("2026-03-25"), &r), 0);
    assert_int_equal(r.period, NORTH_INSIGHTS_WEEKLY);

    n = charges(c, yearly);
    assert_int_equal(north_insights_recurring(c, n, day("2026-04-01"), &r), 0);
    assert_int_equal(r.period, NORTH_INSIGHTS_YEARLY);
    assert_int_equal(r.next_day, day("2027-03-16"));
}


static void
test_forecast(void **state)
{
    north_insights_flow_t      f[3];
    north_insights_forecast_t  o;

    (void) state;

    /*
     * From $1,000 on June 1: rent of $1,800 on the 1st (next July 1), pay
     * of $2,500 every second Friday from June 5 (the 5th and the 19th; July
     * 3 is past the 30 days), a phone bill of $80 on the 10th. The balance
     * goes 1,000 -> 3,500 (5th) -> 3,420 (10th) -> 5,920 (19th) -> 4,120
     * (July 1): the lowest is today's $1,000.
     */
    f[0].period = NORTH_INSIGHTS_MONTHLY;
    f[0].next_day = day("2026-07-01"); f[0].day_of_month = 1;
    f[0].cents = -180000;
    f[1].period = NORTH_INSIGHTS_BIWEEKLY;
    f[1].next_day = day("2026-06-05"); f[1].day_of_month = 5;
    f[1].cents = 250000;
    f[2].period = NORTH_INSIGHTS_MONTHLY;
    f[2].next_day = day("2026-06-10"); f[2].day_of_month = 10;
    f[2].cents = -8000;

    north_insights_forecast(100000, day("2026-06-01"), 30, f, 3, &o);
    assert_int_equal(o.in_cents, 500000);
    assert_int_equal(o.out_cents, 188000);
    assert_int_equal(o.end_cents, 412000);
    assert_int_equal(o.lowest_cents, 100000);
    assert_int_equal(o.lowest_day, day("2026-06-01"));

    /* the pay a week later (12th): the phone bill of the 10th takes the
     * $1,000 to $920 first */
    f[1].next_day = day("2026-06-12");
    north_insights_forecast(100000, day("2026-06-01"), 30, f, 3, &o);
    assert_int_equal(o.lowest_cents, 92000);
    assert_int_equal(o.lowest_day, day("2026-06-10"));

    /* a bill already late counts tomorrow */
    f[2].next_day = day("2026-05-28");
    north_insights_forecast(100000, day("2026-06-01"), 30, f, 3, &o);
    assert_int_equal(o.lowest_day, day("2026-06-02"));
}


static void
test_ids(void **state)
{
    char  a[NORTH_INSIGHTS_ID_LEN], b[NORTH_INSIGHTS_ID_LEN];

    (void) state;

    north_insights_id("unusual-spending", "groceries:2026-11", a);
    north_insights_id("unusual-spending", "groceries:2026-11", b);
    assert_string_equal(a, b);
    assert_int_equal(strlen(a), sizeof("unusual-spending-") - 1 + 16);

    north_insights_id("unusual-spending", "groceries:2026-12", b);
    assert_string_not_equal(a, b);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_anomaly),
        cmocka_unit_test(test_monthly_irregular_days_and_february),
        cmocka_unit_test(test_skipped_month_and_price_increase),
        cmocka_unit_test(test_two_subscriptions_one_merchant),
        cmocka_unit_test(test_weekly_biweekly_yearly),
        cmocka_unit_test(test_forecast),
        cmocka_unit_test(test_ids),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
