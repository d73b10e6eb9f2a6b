/* The sync engine's texts: hybrid logical clocks and cursors. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "north_sync.h"


static int
hlc(const char *s, char *out)
{
    return north_sync_hlc_normalise(s, strlen(s), out);
}


static void
test_hlc(void **state)
{
    char  out[NORTH_SYNC_HLC_LEN + 1];

    (void) state;

    assert_int_equal(hlc("2026-11-30T14:05:09.123Z-00aF-0123456789ABCDEF",
                         out), 0);
    assert_string_equal(out, "2026-11-30T14:05:09.123Z-00AF-0123456789abcdef");

    assert_int_equal(hlc("2028-02-29T23:59:59.999Z-FFFF-ffffffffffffffff",
                         out), 0);

    /* not a real time, or not the format */
    assert_int_equal(hlc("2026-02-29T00:00:00.000Z-0000-0000000000000000",
                         out), -1);
    assert_int_equal(hlc("2026-11-30T24:00:00.000Z-0000-0000000000000000",
                         out), -1);
    assert_int_equal(hlc("2026-11-30T12:60:00.000Z-0000-0000000000000000",
                         out), -1);
    assert_int_equal(hlc("2026-11-30T12:00:60.000Z-0000-0000000000000000",
                         out), -1);
    assert_int_equal(hlc("2026-11-30 12:00:00.000Z-0000-0000000000000000",
                         out), -1);
    assert_int_equal(hlc("2026-11-30T12:00:00.000Z-000G-0000000000000000",
                         out), -1);
    assert_int_equal(hlc("2026-11-30T12:00:00.000Z-0000-000000000000000g",
                         out), -1);
    assert_int_equal(hlc("2026-11-30T12:00:00.000Z-0000-00000000000000000",
                         out), -1);
    assert_int_equal(hlc("2026-11-30T12:00:00.00Z-0000-00000000000000000",
                         out), -1);
    assert_int_equal(hlc("2026-11-30T12:00:00.000+0000-000000000000000000",
                         out), -1);
    assert_int_equal(hlc("", out), -1);
}


/* normalised clocks order as their times, then counters, then nodes */
static void
test_hlc_order(void **state)
{
    char  a[NORTH_SYNC_HLC_LEN + 1], b[NORTH_SYNC_HLC_LEN + 1];

    (void) state;

    assert_int_equal(hlc("2026-11-30T14:05:09.123Z-000f-aaaaaaaaaaaaaaaa",
                         a), 0);
    assert_int_equal(hlc("2026-11-30T14:05:09.123Z-00A0-AAAAAAAAAAAAAAAA",
                         b), 0);
    assert_true(strcmp(a, b) < 0);

    assert_int_equal(hlc("2026-11-30T14:05:09.999Z-FFFF-ffffffffffffffff",
                         a), 0);
    assert_int_equal(hlc("2026-11-30T14:05:10.000Z-0000-0000000000000000",
                         b), 0);
    assert_true(strcmp(a, b) < 0);
}


static void
round_trip(const north_sync_cursor_t *c)
{
    char                 text[NORTH_SYNC_CURSOR_LEN + 1];
    size_t               len;
    north_sync_cursor_t  back;

    len = north_sync_cursor_format(c, text);
    assert_true(len > 0 && len <= NORTH_SYNC_CURSOR_LEN);
    assert_int_equal(north_sync_cursor_parse(text, len, &back), 0);
    assert_int_equal(back.full, c->full);
    assert_true(back.xid == c->xid);
    assert_true(back.seq == c->seq);
    assert_string_equal(back.entity, c->entity);
    assert_string_equal(back.id, c->id);
}


static void
test_cursor(void **state)
{
    north_sync_cursor_t  c;

    (void) state;

    memset(&c, 0, sizeof(c));
    round_trip(&c);

    c.xid = UINT64_MAX;
    c.seq = 999999999999999999LL;
    round_trip(&c);

    memset(&c, 0, sizeof(c));
    c.full = 1;
    c.xid = 1234;
    strcpy(c.entity, "goal_contribution");
    strcpy(c.id, "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0");
    round_trip(&c);
}


static int
parse(const char *s)
{
    north_sync_cursor_t  c;

    return north_sync_cursor_parse(s, strlen(s), &c);
}


static void
test_cursor_bad(void **state)
{
    (void) state;

    assert_int_equal(parse("d.10.5"), 0);
    assert_int_equal(parse("f.10.goal.0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"),
                     0);

    assert_int_equal(parse(""), -1);
    assert_int_equal(parse("d.10"), -1);
    assert_int_equal(parse("d.10."), -1);
    assert_int_equal(parse("d..5"), -1);
    assert_int_equal(parse("d.010.5"), -1);
    assert_int_equal(parse("d.10.05"), -1);
    assert_int_equal(parse("d.10.-5"), -1);
    assert_int_equal(parse("d.1x.5"), -1);
    assert_int_equal(parse("d.18446744073709551616.5"), -1);
    assert_int_equal(parse("d.10.1234567890123456789"), -1);
    assert_int_equal(parse("x.10.5"), -1);
    assert_int_equal(parse("f.10."), -1);
    assert_int_equal(parse("f.10.goal"), -1);
    assert_int_equal(parse("f.10.Goal.0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"),
                     -1);
    assert_int_equal(parse("f.10.goal.0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f"),
                     -1);
    assert_int_equal(parse("f.10.goal.0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0x"),
                     -1);
    assert_int_equal(parse("f.10.abcdefghijklmnopqrstuvwxyzabcdefg."
                           "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"), -1);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_hlc),
        cmocka_unit_test(test_hlc_order),
        cmocka_unit_test(test_cursor),
        cmocka_unit_test(test_cursor_bad),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
