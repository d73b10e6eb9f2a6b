/*
 * Affordability (north_afford.h): two runs of the insights' cash-flow
 * forecast, one with the purchase as one more flow.
 */

#include <string.h>

#include "north_check.h"
#include "north_afford.h"


int
north_afford(const north_afford_in_t *in, north_afford_out_t *out)
{
    int                        y;
    size_t                     n;
    unsigned                   m, d;
    int64_t                    days, first;
    north_insights_flow_t      flows[NORTH_AFFORD_FLOWS_MAX + 2];
    north_insights_forecast_t  without, with;

    memset(out, 0, sizeof(north_afford_out_t));

    if (in->amount_cents <= 0 || in->date < in->today
        || in->date > in->today + NORTH_AFFORD_AHEAD_DAYS
        || in->buffer_cents < 0)
    {
        return -1;
    }

    n = in->nflows < NORTH_AFFORD_FLOWS_MAX ? in->nflows
                                            : NORTH_AFFORD_FLOWS_MAX;
    memcpy(flows, in->flows, n * sizeof(north_insights_flow_t));

    /* the goals' planned contributions leave on each 1st */
    if (in->goals_cents > 0) {
        north_date_civil(in->today, &y, &m, &d);
        first = north_date_days(y + (m == 12), m % 12 + 1, 1);

        flows[n].period = NORTH_INSIGHTS_MONTHLY;
        flows[n].next_day = first;
        flows[n].day_of_month = 1;
        flows[n].cents = -in->goals_cents;
        n++;
    }

    days = in->date - in->today
           + (in->monthly ? NORTH_AFFORD_MONTHLY_DAYS : NORTH_AFFORD_AFTER_DAYS);
    out->horizon = in->today + days;

    north_insights_forecast(in->balance_cents, in->today, (unsigned) days,
                            flows, n, &without);

    north_date_civil(in->date, &y, &m, &d);
    flows[n].period = in->monthly ? NORTH_INSIGHTS_MONTHLY
                                  : NORTH_INSIGHTS_NONE;
    flows[n].next_day = in->date;
    flows[n].day_of_month = d;
    flows[n].cents = -in->amount_cents;

    north_insights_forecast(in->balance_cents, in->today, (unsigned) days,
                            flows, n + 1, &with);

    out->lowest_cents = without.lowest_cents;
    out->lowest_day = without.lowest_day;
    out->lowest_with_cents = with.lowest_cents;
    out->lowest_with_day = with.lowest_day;
    out->end_cents = without.end_cents;
    out->end_with_cents = with.end_cents;
    out->income_cents = without.in_cents;
    out->bills_cents = without.out_cents;

    out->verdict = with.lowest_cents < 0 ? NORTH_AFFORD_NO
                   : with.lowest_cents < in->buffer_cents ? NORTH_AFFORD_TIGHT
                   : NORTH_AFFORD_YES;

    /* the purchase's own dip below the buffer: savings would cover it */
    out->shortfall_cents =
        (in->buffer_cents > with.lowest_cents
         ? in->buffer_cents - with.lowest_cents : 0)
        - (in->buffer_cents > without.lowest_cents
           ? in->buffer_cents - without.lowest_cents : 0);

    if (out->shortfall_cents > in->amount_cents) {
        out->shortfall_cents = in->amount_cents;
    }

    if (in->monthly && out->shortfall_cents > 0) {
        out->shortfall_cents = in->amount_cents;
    }

    return 0;
}


int64_t
north_afford_delay(int64_t shortfall_cents, int monthly, int64_t pace_cents,
    int64_t pace_days, int64_t remaining_cents)
{
    int64_t  month;

    if (shortfall_cents <= 0 || remaining_cents <= 0) {
        return 0;
    }

    if (pace_cents <= 0 || pace_days <= 0) {
        return -1;
    }

    if (!monthly) {
        /* the days of saving it equals, rounded up */
        return (shortfall_cents * pace_days + pace_cents - 1) / pace_cents;
    }

    /* a month's saving less the commitment: the time left grows */
    month = pace_cents * 30 / pace_days;

    if (month <= shortfall_cents) {
        return -1;
    }

    return (remaining_cents * 30 + month - shortfall_cents - 1)
           / (month - shortfall_cents)
           - (remaining_cents * 30 + month - 1) / month;
}


const char *
north_afford_verdict_name(north_afford_verdict_e verdict)
{
    static const char *const  names[] = { "yes", "tight", "no" };

    return names[verdict];
}
