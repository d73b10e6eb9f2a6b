/*
 * Canadian tax and registered-account room in integer cents. The tables
 * below are sql/0020_tax.sql's for the cases used; each expected figure is
 * worked out by hand in the comment above it (amounts in dollars, each line
 * rounded to the cent). Every jurisdiction's data is checked end to end,
 * through the database, in t/tax.t.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "north_check.h"
#include "north_format.h"
#include "north_tax.h"


#define D(dollars)  ((int64_t) (dollars) * 100)

static const north_tax_table_t  ca2025 = {
    { { 0, 1450 }, { D(57375), 2050 }, { D(114750), 2600 },
      { D(177882), 2900 }, { D(253414), 3300 } }, 5,
    D(16129), D(14538), D(177882), D(253414), 1450, 0,
    { { 0, 0 } }, 0, { { 0, 0, 0, 0 } }, 0
};

static const north_tax_table_t  ca2026 = {
    { { 0, 1400 }, { D(58523), 2050 }, { D(117045), 2600 },
      { D(181440), 2900 }, { D(258482), 3300 } }, 5,
    D(16452), D(14829), D(181440), D(258482), 1400, 0,
    { { 0, 0 } }, 0, { { 0, 0, 0, 0 } }, 0
};

#define ON_PREMIUM                                                          \
    { { D(20000), 0, 600, D(300) }, { D(36000), D(300), 600, D(450) },     \
      { D(48000), D(450), 2500, D(600) }, { D(72000), D(600), 2500, D(750) },\
      { D(200000), D(750), 2500, D(900) } }, 5

static const north_tax_table_t  on2025 = {
    { { 0, 505 }, { D(52886), 915 }, { D(105775), 1116 }, { D(150000), 1216 },
      { D(220000), 1316 } }, 5,
    D(12747), D(12747), 0, 0, 505, 0,
    { { D(5710), 2000 }, { D(7307), 3600 } }, 2, ON_PREMIUM
};

static const north_tax_table_t  on2026 = {
    { { 0, 505 }, { D(53891), 915 }, { D(107785), 1116 }, { D(150000), 1216 },
      { D(220000), 1316 } }, 5,
    D(12989), D(12989), 0, 0, 505, 0,
    { { D(5818), 2000 }, { D(7446), 3600 } }, 2, ON_PREMIUM
};

static const north_tax_table_t  qc2025 = {
    { { 0, 1400 }, { D(53255), 1900 }, { D(106495), 2400 },
      { D(129590), 2575 } }, 4,
    D(18571), D(18571), 0, 0, 1400, 1650,
    { { 0, 0 } }, 0, { { 0, 0, 0, 0 } }, 0
};

static const north_tax_table_t  mb2026 = {
    { { 0, 1080 }, { D(47000), 1275 }, { D(100000), 1740 } }, 3,
    D(15780), 0, D(200000), D(400000), 1080, 0,
    { { 0, 0 } }, 0, { { 0, 0, 0, 0 } }, 0
};

static const north_tax_table_t  yt2025 = {
    { { 0, 640 }, { D(57375), 900 }, { D(114750), 1090 }, { D(177882), 1280 },
      { D(500000), 1500 } }, 5,
    D(16129), D(14538), D(177882), D(253414), 640, 0,
    { { 0, 0 } }, 0, { { 0, 0, 0, 0 } }, 0
};


static int64_t
day(const char *s)
{
    int64_t  d;

    assert_int_equal(north_date_parse(s, &d), 0);
    return d;
}


static void
test_ontario(void **state)
{
    north_tax_out_t  o;

    (void) state;

    /*
     * 2026, $60,000.
     * federal 14% x 58,523 + 20.5% x 1,477 = 8,193.22 + 302.79 = 8,496.01,
     *   less 14% x BPA 16,452 = 2,303.28: 6,192.73
     * Ontario 5.05% x 53,891 + 9.15% x 6,109 = 2,721.50 + 558.97 = 3,280.47,
     *   less 5.05% x BPA 12,989 = 655.94: 2,624.53; no surtax (under
     *   5,818); health premium 450 + 25% x 12,000 = 3,450, at most 600
     * total 6,192.73 + 2,624.53 + 600 = 9,417.26
     */
    assert_int_equal(north_tax_compute(&ca2026, &on2026, D(60000), &o), 0);
    assert_int_equal(o.federal_basic_cents, 849601);
    assert_int_equal(o.federal_credits_cents, 230328);
    assert_int_equal(o.federal_cents, 619273);
    assert_int_equal(o.provincial_basic_cents, 328047);
    assert_int_equal(o.provincial_credits_cents, 65594);
    assert_int_equal(o.surtax_cents, 0);
    assert_int_equal(o.premium_cents, 60000);
    assert_int_equal(o.provincial_cents, 322453);
    assert_int_equal(o.total_cents, 941726);

    /* the next $100: 20.5% federal + 9.15% Ontario, the premium capped */
    assert_int_equal(north_tax_marginal_bp(&ca2026, &on2026, D(60000)), 2965);

    /*
     * 2025, $250,000: the federal BPA phased, both surtax tiers, the top
     * premium.
     * federal BPA 16,129 - (16,129 - 14,538) x (250,000 - 177,882)
     *   / (253,414 - 177,882) = 16,129 - 1,519.09 = 14,609.91
     * federal 14.5% x 57,375 + 20.5% x 57,375 + 26% x 63,132 + 29% x 72,118
     *   = 8,319.38 + 11,761.88 + 16,414.32 + 20,914.22 = 57,409.79 (exact
     *   sum 57,409.795, rounded once), less 14.5% x 14,609.91 = 2,118.44:
     *   55,291.35
     * Ontario 5.05% x 52,886 + 9.15% x 52,889 + 11.16% x 44,225
     *   + 12.16% x 70,000 + 13.16% x 30,000 = 24,905.60, less 5.05% x 12,747
     *   = 643.72: 24,261.88
     * surtax 20% x (24,261.88 - 5,710) + 36% x (24,261.88 - 7,307)
     *   = 3,710.376 + 6,103.7568 = 9,814.13
     * premium 750 + 25% x 50,000, at most 900: 900
     * total 55,291.35 + 24,261.88 + 9,814.13 + 900 = 90,267.36
     */
    assert_int_equal(north_tax_compute(&ca2025, &on2025, D(250000), &o), 0);
    assert_int_equal(o.federal_bpa_cents, 1460991);
    assert_int_equal(o.federal_basic_cents, 5740979);
    assert_int_equal(o.federal_cents, 5529135);
    assert_int_equal(o.provincial_basic_cents, 2490560);
    assert_int_equal(o.surtax_cents, 981413);
    assert_int_equal(o.premium_cents, 90000);
    assert_int_equal(o.total_cents, 9026736);

    /*
     * $15,000 in 2026: federal 14% x 15,000 = 2,100 < credit 2,303.28: 0;
     * Ontario 5.05% x 15,000 = 757.50 - 655.94 = 101.56; no premium
     */
    assert_int_equal(north_tax_compute(&ca2026, &on2026, D(15000), &o), 0);
    assert_int_equal(o.federal_cents, 0);
    assert_int_equal(o.total_cents, 10156);

    assert_int_equal(north_tax_compute(&ca2026, &on2026, 0, &o), 0);
    assert_int_equal(o.total_cents, 0);
}


static void
test_quebec_manitoba_yukon(void **state)
{
    north_tax_out_t  o;

    (void) state;

    /*
     * Quebec 2025, $150,000.
     * federal 14.5% x 57,375 + 20.5% x 57,375 + 26% x 35,250 = 29,246.25,
     *   less 14.5% x 16,129 = 2,338.71: 26,907.54; abatement 16.5% of it
     *   = 4,439.74: 22,467.80
     * Quebec 14% x 53,255 + 19% x 53,240 + 24% x 23,095 + 25.75% x 20,410
     *   = 28,369.68, less 14% x 18,571 = 2,599.94: 25,769.74
     * total 48,237.54
     */
    assert_int_equal(north_tax_compute(&ca2025, &qc2025, D(150000), &o), 0);
    assert_int_equal(o.federal_abatement_cents, 443974);
    assert_int_equal(o.federal_cents, 2246780);
    assert_int_equal(o.provincial_cents, 2576974);
    assert_int_equal(o.total_cents, 4823754);

    /*
     * Manitoba 2026, $250,000: the provincial BPA halfway to 0.
     * federal BPA 16,452 - 1,623 x 68,560 / 77,042 = 16,452 - 1,444.31
     *   = 15,007.69; federal 56,815.33 - 14% x 15,007.69 (2,101.08)
     *   = 54,714.25
     * Manitoba BPA 15,780 x (1 - 50,000 / 200,000) = 11,835;
     *   10.8% x 47,000 + 12.75% x 53,000 + 17.4% x 150,000 = 37,933.50,
     *   less 10.8% x 11,835 = 1,278.18: 36,655.32
     * total 91,369.57
     */
    assert_int_equal(north_tax_compute(&ca2026, &mb2026, D(250000), &o), 0);
    assert_int_equal(o.federal_bpa_cents, 1500769);
    assert_int_equal(o.provincial_bpa_cents, 1183500);
    assert_int_equal(o.total_cents, 9136957);

    /* past $400,000, Manitoba's BPA is 0 */
    assert_int_equal(north_tax_compute(&ca2026, &mb2026, D(450000), &o), 0);
    assert_int_equal(o.provincial_bpa_cents, 0);
    assert_int_equal(o.provincial_credits_cents, 0);

    /*
     * Yukon 2025, $200,000: its BPA phased as the federal one, 15,663.11.
     * Yukon 6.4% x 57,375 + 9% x 57,375 + 10.9% x 63,132 + 12.8% x 22,118
     *   = 18,548.24, less 6.4% x 15,663.11 = 1,002.44: 17,545.80
     * federal 42,909.79 - 2,271.15 = 40,638.64; total 58,184.44
     */
    assert_int_equal(north_tax_compute(&ca2025, &yt2025, D(200000), &o), 0);
    assert_int_equal(o.provincial_bpa_cents, 1566311);
    assert_int_equal(o.provincial_cents, 1754580);
    assert_int_equal(o.total_cents, 5818444);
}


static void
test_tables_checked(void **state)
{
    north_tax_table_t  t;
    north_tax_out_t    o;

    (void) state;

    assert_int_equal(north_tax_compute(&ca2026, &on2026, -1, &o), -1);

    t = on2026;
    t.nbrackets = 0;
    assert_int_equal(north_tax_check(&t), -1);

    t = on2026;
    t.brackets[2].over_cents = t.brackets[1].over_cents;
    assert_int_equal(north_tax_check(&t), -1);
    assert_int_equal(north_tax_compute(&ca2026, &t, D(1000), &o), -1);

    t = on2026;
    t.brackets[0].over_cents = 1;
    assert_int_equal(north_tax_check(&t), -1);

    t = on2026;
    t.nbrackets = NORTH_TAX_BRACKETS_MAX + 1;
    assert_int_equal(north_tax_check(&t), -1);

    assert_int_equal(north_tax_check(&mb2026), 0);
}


static const int64_t  tfsa_limits[] = {    /* 2009 .. 2026 */
    D(5000), D(5000), D(5000), D(5000), D(5500), D(5500), D(10000), D(5500),
    D(5500), D(5500), D(6000), D(6000), D(6000), D(6000), D(6500), D(7000),
    D(7000), D(7000)
};


static void
test_tfsa(void **state)
{
    north_tax_room_in_t   in;
    north_tax_room_out_t  out;
    north_tax_move_t      moves[4];

    (void) state;

    memset(&in, 0, sizeof(in));
    in.first_year = 2009;
    in.year = 2026;
    in.today = day("2026-06-10");
    in.limits = tfsa_limits;
    in.limits_from = 2009;
    in.nlimits = 18;
    in.readd_withdrawals = 1;
    in.carry_max_cents = -1;
    in.lifetime_cents = -1;

    /* 18 and resident since 2009, nothing contributed: the $109,000 */
    assert_int_equal(north_tax_room(&in, &out), 0);
    assert_int_equal(out.room_jan1_cents, D(109000));
    assert_int_equal(out.remaining_cents, D(109000));
    assert_int_equal(out.new_room_cents, D(7000));

    /*
     * $7,000 in and $2,000 out in 2025: January 2026 has
     * 109,000 - 7,000 + 2,000 = 104,000; $1,000 in this year leaves 103,000
     */
    moves[0].day = day("2025-02-03"); moves[0].cents = D(7000);
    moves[1].day = day("2025-09-30"); moves[1].cents = -D(2000);
    moves[2].day = day("2026-01-15"); moves[2].cents = D(1000);
    in.moves = moves;
    in.nmoves = 3;
    assert_int_equal(north_tax_room(&in, &out), 0);
    assert_int_equal(out.room_jan1_cents, D(104000));
    assert_int_equal(out.contributed_cents, D(1000));
    assert_int_equal(out.remaining_cents, D(103000));
    assert_int_equal(out.cost_cents, 0);

    /* turned 18 in 2020: 6,000 x 3 + 6,500 + 7,000 x 3 = 45,500 */
    in.first_year = 2020;
    in.nmoves = 0;
    assert_int_equal(north_tax_room(&in, &out), 0);
    assert_int_equal(out.room_jan1_cents, D(45500));

    /*
     * CRA says $7,000 at January 1; $10,000 goes in on March 15 and $1,000
     * comes out on May 20, seen on June 10. The excess is 3,000 in March,
     * April and May (its highest), 2,000 in June: 1% a month is
     * 30 + 30 + 30 + 20 = $110. The withdrawal cured the excess, so none of
     * it comes back next year.
     */
    in.known_year = 2026;
    in.known_room_cents = D(7000);
    moves[0].day = day("2026-03-15"); moves[0].cents = D(10000);
    moves[1].day = day("2026-05-20"); moves[1].cents = -D(1000);
    in.nmoves = 2;
    assert_int_equal(north_tax_room(&in, &out), 0);
    assert_int_equal(out.room_jan1_cents, D(7000));
    assert_int_equal(out.remaining_cents, 0);
    assert_int_equal(out.excess_cents, D(2000));
    assert_int_equal(out.excess_max_cents, D(3000));
    assert_int_equal(out.months_charged, 4);
    assert_int_equal(out.cost_cents, D(110));
    assert_int_equal(out.readd_next_cents, 0);

    /* a year without a limit */
    in.year = 2027;
    assert_int_equal(north_tax_room(&in, &out), -1);

    /* moves out of order */
    in.year = 2026;
    moves[1].day = day("2026-01-01");
    assert_int_equal(north_tax_room(&in, &out), -1);
}


static void
test_tfsa_excess_into_next_year(void **state)
{
    static const int64_t  limits[] = { D(7000), D(7000) };  /* 2025, 2026 */

    north_tax_room_in_t   in;
    north_tax_room_out_t  out;
    north_tax_move_t      moves[2];

    (void) state;

    /*
     * 2025's room is 7,000; 9,000 goes in in November: an excess of 2,000
     * for November and December. On January 1 2026 the new 7,000 first
     * cures it: 5,000 of room, no excess, no cost in 2026.
     */
    memset(&in, 0, sizeof(in));
    in.first_year = 2025;
    in.year = 2025;
    in.today = day("2026-03-01");
    in.limits = limits;
    in.limits_from = 2025;
    in.nlimits = 2;
    in.readd_withdrawals = 1;
    in.carry_max_cents = -1;
    in.lifetime_cents = -1;
    moves[0].day = day("2025-11-04"); moves[0].cents = D(9000);
    in.moves = moves;
    in.nmoves = 1;

    assert_int_equal(north_tax_room(&in, &out), 0);
    assert_int_equal(out.excess_cents, D(2000));
    assert_int_equal(out.cost_cents, D(40));

    in.year = 2026;
    assert_int_equal(north_tax_room(&in, &out), 0);
    assert_int_equal(out.room_jan1_cents, D(5000));
    assert_int_equal(out.excess_cents, 0);
    assert_int_equal(out.cost_cents, 0);
}


static void
test_fhsa(void **state)
{
    static const int64_t  limits[] = {          /* 2023 .. 2028 */
        D(8000), D(8000), D(8000), D(8000), D(8000), D(8000)
    };

    north_tax_room_in_t   in;
    north_tax_room_out_t  out;
    north_tax_move_t      moves[5];
    int                   i;

    (void) state;

    memset(&in, 0, sizeof(in));
    in.first_year = 2023;
    in.year = 2026;
    in.today = day("2026-11-30");
    in.limits = limits;
    in.limits_from = 2023;
    in.nlimits = 6;
    in.carry_max_cents = D(8000);
    in.lifetime_cents = D(40000);

    /*
     * Opened 2023, 5,000 in 2023, 8,000 in 2024, nothing in 2025.
     * 2024: 8,000 + 3,000 carried = 11,000, 3,000 unused;
     * 2025: 8,000 + 3,000 = 11,000, all unused, of which 8,000 carries;
     * 2026: 8,000 + 8,000 = 16,000 (the lifetime left, 27,000, is more)
     */
    moves[0].day = day("2023-06-01"); moves[0].cents = D(5000);
    moves[1].day = day("2024-06-01"); moves[1].cents = D(8000);
    in.moves = moves;
    in.nmoves = 2;
    assert_int_equal(north_tax_room(&in, &out), 0);
    assert_int_equal(out.room_jan1_cents, D(16000));
    assert_int_equal(out.lifetime_contributed_cents, D(13000));

    /* 8,000 every year from 2023: by 2028 the $40,000 is used up */
    for (i = 0; i < 5; i++) {
        moves[i].day = north_date_days(2023 + i, 3, 1);
        moves[i].cents = D(8000);
    }

    in.nmoves = 5;
    in.year = 2027;
    in.today = day("2027-12-31");
    assert_int_equal(north_tax_room(&in, &out), 0);
    assert_int_equal(out.room_jan1_cents, D(8000));
    assert_int_equal(out.remaining_cents, 0);

    in.year = 2028;
    in.today = day("2028-06-01");
    assert_int_equal(north_tax_room(&in, &out), 0);
    assert_int_equal(out.room_jan1_cents, 0);
    assert_int_equal(out.lifetime_contributed_cents, D(40000));

    /* withdrawals never come back as FHSA room */
    moves[0].day = day("2023-03-01"); moves[0].cents = D(8000);
    moves[1].day = day("2023-09-01"); moves[1].cents = -D(8000);
    in.nmoves = 2;
    in.year = 2024;
    in.today = day("2024-06-01");
    assert_int_equal(north_tax_room(&in, &out), 0);
    assert_int_equal(out.room_jan1_cents, D(8000));
}


static void
test_rrsp(void **state)
{
    north_tax_rrsp_in_t   in;
    north_tax_rrsp_out_t  out;
    north_tax_move_t      moves[6];

    (void) state;

    /*
     * For 2026: March 1 2026 is day 60 (counted for 2025), March 2 day 61;
     * February 20 2027 is within 2027's first 60 days (counted for 2026),
     * March 10 2027 is not. 2026 counts 5,000 + 3,000 = 8,000.
     */
    moves[0].day = day("2026-03-01"); moves[0].cents = D(4000);
    moves[1].day = day("2026-03-02"); moves[1].cents = D(5000);
    moves[2].day = day("2026-07-01"); moves[2].cents = -D(1000);
    moves[3].day = day("2027-02-20"); moves[3].cents = D(3000);
    moves[4].day = day("2027-03-10"); moves[4].cents = D(6000);

    memset(&in, 0, sizeof(in));
    in.year = 2026;
    in.today = day("2026-11-30");
    in.dollar_limit_cents = D(33810);
    in.noa_limit_cents = -1;
    in.earned_income_cents = D(100000);
    in.pension_adjustment_cents = D(2000);
    in.buffer_cents = D(2000);
    in.moves = moves;
    in.nmoves = 5;

    /* estimated: 18% x 100,000 = 18,000 (under 33,810), less PA 2,000 */
    assert_int_equal(north_tax_rrsp(&in, &out), 0);
    assert_int_equal(out.basis, NORTH_TAX_RRSP_ESTIMATE);
    assert_int_equal(out.room_cents, D(16000));
    assert_int_equal(out.contributed_cents, D(8000));
    assert_int_equal(out.first_60_days_cents, D(3000));
    assert_int_equal(out.remaining_cents, D(8000));
    assert_int_equal(out.penalized_cents, 0);

    /* 18% of $250,000 is 45,000: the dollar limit, 33,810, less PA */
    in.earned_income_cents = D(250000);
    assert_int_equal(north_tax_rrsp(&in, &out), 0);
    assert_int_equal(out.room_cents, D(31810));

    /* the NOA says 5,000: 3,000 over, 1,000 past the buffer, $10 a month */
    in.noa_limit_cents = D(5000);
    assert_int_equal(north_tax_rrsp(&in, &out), 0);
    assert_int_equal(out.basis, NORTH_TAX_RRSP_NOA);
    assert_int_equal(out.excess_cents, D(3000));
    assert_int_equal(out.penalized_cents, D(1000));
    assert_int_equal(out.monthly_cost_cents, D(10));
    assert_int_equal(out.remaining_cents, 0);

    /* in a leap year day 60 is February 29 */
    moves[0].day = day("2028-02-29"); moves[0].cents = D(1000);
    moves[1].day = day("2028-03-01"); moves[1].cents = D(2000);
    in.nmoves = 2;
    in.year = 2027;
    assert_int_equal(north_tax_rrsp(&in, &out), 0);
    assert_int_equal(out.contributed_cents, D(1000));

    /* nothing known */
    in.noa_limit_cents = -1;
    in.earned_income_cents = -1;
    assert_int_equal(north_tax_rrsp(&in, &out), 0);
    assert_int_equal(out.basis, NORTH_TAX_RRSP_UNKNOWN);
    assert_int_equal(out.room_cents, -1);
    assert_string_equal(north_tax_rrsp_basis_name(out.basis), "unknown");
}


static void
test_money(void **state)
{
    char  buf[64];

    (void) state;

    north_money_text(123456, 0, buf, sizeof(buf));
    assert_string_equal(buf, "$1,234.56");
    north_money_text(123456, 1, buf, sizeof(buf));
    assert_string_equal(buf, "1\xc2\xa0" "234,56\xc2\xa0$");
    north_money_text(-5, 0, buf, sizeof(buf));
    assert_string_equal(buf, "-$0.05");
    north_money_text(0, 1, buf, sizeof(buf));
    assert_string_equal(buf, "0,00\xc2\xa0$");
    north_money_text(-100000000000000LL, 0, buf, sizeof(buf));
    assert_string_equal(buf, "-$1,000,000,000,000.00");
    north_money_text(INT64_MIN, 1, buf, sizeof(buf));
    assert_string_equal(buf, "-92\xc2\xa0" "233\xc2\xa0" "720\xc2\xa0"
                        "368\xc2\xa0" "547\xc2\xa0" "758,08\xc2\xa0$");
    assert_int_equal(north_money_text(1, 0, buf, 8), 0);
    assert_string_equal(buf, "");

    north_date_text(day("2026-03-02"), 0, buf, sizeof(buf));
    assert_string_equal(buf, "March 2, 2026");
    north_date_text(day("2027-03-01"), 1, buf, sizeof(buf));
    assert_string_equal(buf, "1er mars 2027");
    north_date_text(day("2025-02-14"), 1, buf, sizeof(buf));
    assert_string_equal(buf, "14 f\xc3\xa9vrier 2025");
    assert_int_equal(north_date_text(day("2025-12-31"), 0, buf, 10), 0);
    assert_string_equal(north_date_iso(day("2028-02-29"), buf), "2028-02-29");
    assert_string_equal(north_date_iso(day("2026-11-05"), buf), "2026-11-05");
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_ontario),
        cmocka_unit_test(test_quebec_manitoba_yukon),
        cmocka_unit_test(test_tables_checked),
        cmocka_unit_test(test_tfsa),
        cmocka_unit_test(test_tfsa_excess_into_next_year),
        cmocka_unit_test(test_fhsa),
        cmocka_unit_test(test_rrsp),
        cmocka_unit_test(test_money),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
