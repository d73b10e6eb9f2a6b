/*
 * A goal's progress (see north_goal.h). Months are the Gregorian average,
 * 146097 / 4800 days, so that amounts do not jump with February.
 */

#include <stddef.h>

#include "north_check.h"
#include "north_goal.h"


/* beyond this a pace never reaches the target, as far as anyone cares */
#define NORTH_GOAL_HORIZON_DAYS  (100 * 366)


const unsigned  north_goal_milestones[NORTH_GOAL_MILESTONE_COUNT] = {
    25, 50, 75, 100
};


int
north_goal_progress(const north_goal_in_t *in, north_goal_out_t *out)
{
    int64_t   remaining, left, need;
    unsigned  i;

    if (in->target_cents <= 0 || in->pace_days <= 0) {
        return -1;
    }

    remaining = in->target_cents - in->saved_cents;
    if (remaining < 0) {
        remaining = 0;
    }

    out->remaining_cents = remaining;

    if (in->saved_cents <= 0) {
        out->percent = 0;

    } else if (remaining == 0) {
        out->percent = 100;

    } else {
        out->percent = (unsigned) (in->saved_cents * 100 / in->target_cents);
    }

    out->milestones = 0;

    for (i = 0; i < NORTH_GOAL_MILESTONE_COUNT; i++) {
        if (in->saved_cents > 0
            && in->saved_cents * 100
               >= in->target_cents * (int64_t) north_goal_milestones[i])
        {
            out->milestones |= 1u << i;
        }
    }

    /* what each month must add to arrive on the date: all of it when due */
    if (in->target_date < 0) {
        out->monthly_cents = -1;

    } else {
        left = in->target_date - in->today;

        if (remaining == 0) {
            out->monthly_cents = 0;

        } else if (left <= 0) {
            out->monthly_cents = remaining;

        } else {
            out->monthly_cents = (remaining * 146097 + left * 4800 - 1)
                                 / (left * 4800);
        }
    }

    /* the pace so far, carried on */
    if (remaining == 0) {
        out->projected_date = in->today;

    } else if (in->pace_cents <= 0) {
        out->projected_date = -1;

    } else {
        need = (remaining * in->pace_days + in->pace_cents - 1)
               / in->pace_cents;
        out->projected_date = need > NORTH_GOAL_HORIZON_DAYS
                              ? -1 : in->today + need;
    }

    if (remaining == 0) {
        out->status = NORTH_GOAL_ACHIEVED;

    } else if (in->target_date >= 0) {
        out->status = out->projected_date >= 0
                      && out->projected_date <= in->target_date
                      ? NORTH_GOAL_ON_TRACK : NORTH_GOAL_BEHIND;

    } else {
        out->status = in->pace_cents > 0
                      ? NORTH_GOAL_ON_TRACK : NORTH_GOAL_BEHIND;
    }

    return 0;
}


const char *
north_goal_status_name(north_goal_status_e status)
{
    static const char *const  names[] = { "on_track", "behind", "achieved" };

    return names[status];
}


int
north_goal_read(json_t *row, north_goal_in_t *in, north_goal_out_t *out)
{
    json_t  *when;

    if (json_array_size(row) != 7) {
        return -1;
    }

    in->saved_cents = json_integer_value(json_array_get(row, 1));
    in->target_cents = json_integer_value(json_array_get(row, 2));
    in->pace_cents = json_integer_value(json_array_get(row, 5));
    in->pace_days = json_integer_value(json_array_get(row, 6));
    in->target_date = -1;

    when = json_array_get(row, 4);

    if (north_date_parse(json_string_value(json_array_get(row, 3)),
                         &in->today) != 0
        || (json_is_string(when)
            && north_date_parse(json_string_value(when), &in->target_date)
               != 0))
    {
        return -1;
    }

    return north_goal_progress(in, out);
}
