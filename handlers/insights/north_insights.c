/*
 * Spending insights' arithmetic (see north_insights.h). Pure: no nginx
 * header.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "north_check.h"
#include "north_insights.h"


#define NORTH_INSIGHTS_GROUP_PCT     130   /* a group spans 30% of amounts */
#define NORTH_INSIGHTS_SAME_PCT      1     /* within 1%: the same price */
#define NORTH_INSIGHTS_RAISE_PCT     2     /* an increase: 2% and ... */
#define NORTH_INSIGHTS_RAISE_MIN     50    /* ... 50 cents at least */


typedef struct {
    north_insights_period_e  period;
    int64_t              days;            /* one period */
    int64_t              tolerance;
    int64_t              grace;           /* after next_day: ended */
    size_t               min_count;
} north_insights_rule_t;


static const north_insights_rule_t  north_insights_rules[] = {
    { NORTH_INSIGHTS_WEEKLY, 7, 1, 4, 3 },
    { NORTH_INSIGHTS_BIWEEKLY, 14, 2, 7, 3 },
    { NORTH_INSIGHTS_MONTHLY, 30, 4, 10, 3 },
    { NORTH_INSIGHTS_YEARLY, 365, 10, 30, 2 },
};


static int north_insights_cmp(const void *a, const void *b);
static int north_insights_by_amount(const void *a, const void *b);
static int north_insights_by_day(const void *a, const void *b);
static int north_insights_fits(const north_insights_rule_t *rule,
    int64_t interval);


static int
north_insights_cmp(const void *a, const void *b)
{
    int64_t  x = *(const int64_t *) a, y = *(const int64_t *) b;

    return x < y ? -1 : x > y;
}


int64_t
north_insights_median(int64_t *v, size_t n)
{
    qsort(v, n, sizeof(int64_t), north_insights_cmp);

    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}


int
north_insights_anomaly(const int64_t *history, size_t n, int64_t current,
    int64_t min_cents, north_insights_anomaly_t *out)
{
    size_t   i;
    int64_t  v[64], gap, g;

    memset(out, 0, sizeof(north_insights_anomaly_t));

    if (n < 3 || n > 64) {
        return -1;
    }

    memcpy(v, history, n * sizeof(int64_t));
    out->median_cents = north_insights_median(v, n);

    for (i = 0; i < n; i++) {
        v[i] = history[i] > out->median_cents
               ? history[i] - out->median_cents
               : out->median_cents - history[i];
    }

    out->mad_cents = north_insights_median(v, n);

    /* 1.4826 x MAD estimates a standard deviation; three of them */
    gap = (out->mad_cents * 44478 + 5000) / 10000;

    g = out->median_cents / 5;
    if (g > gap) {
        gap = g;
    }

    if (min_cents > gap) {
        gap = min_cents;
    }

    out->threshold_cents = out->median_cents + gap;
    out->unusual = current > out->threshold_cents;

    return 0;
}


static int
north_insights_by_amount(const void *a, const void *b)
{
    const north_insights_charge_t  *x = a, *y = b;

    return x->cents < y->cents ? -1 : x->cents > y->cents ? 1
           : x->day < y->day ? -1 : x->day > y->day;
}


static int
north_insights_by_day(const void *a, const void *b)
{
    const north_insights_charge_t  *x = a, *y = b;

    return x->day < y->day ? -1 : x->day > y->day ? 1
           : x->cents < y->cents ? -1 : x->cents > y->cents;
}


size_t
north_insights_groups(north_insights_charge_t *c, size_t n, size_t *starts,
    size_t max)
{
    size_t  i, g, from;

    if (n == 0 || max == 0) {
        return 0;
    }

    qsort(c, n, sizeof(north_insights_charge_t), north_insights_by_amount);

    g = 0;
    from = 0;
    starts[g++] = 0;

    for (i = 1; i <= n; i++) {
        if (i < n && c[i].cents * 100
                     <= c[from].cents * NORTH_INSIGHTS_GROUP_PCT)
        {
            continue;
        }

        qsort(&c[from], i - from, sizeof(north_insights_charge_t),
              north_insights_by_day);

        if (i < n) {
            if (g == max) {
                qsort(&c[i], n - i, sizeof(north_insights_charge_t),
                      north_insights_by_day);
                break;
            }

            starts[g++] = i;
            from = i;
        }
    }

    return g;
}


/* one period, or two when one was skipped, within the tolerance */

static int
north_insights_fits(const north_insights_rule_t *rule, int64_t interval)
{
    int64_t  k;

    if (rule->period == NORTH_INSIGHTS_MONTHLY) {
        return (interval >= 26 && interval <= 35)
               || (interval >= 54 && interval <= 66);
    }

    for (k = 1; k <= 2; k++) {
        if (interval >= k * rule->days - k * rule->tolerance
            && interval <= k * rule->days + k * rule->tolerance)
        {
            return 1;
        }
    }

    return 0;
}


int
north_insights_recurring(const north_insights_charge_t *c, size_t n,
    int64_t today, north_insights_recurring_t *out)
{
    int                           y;
    size_t                        i, j, r, singles;
    int64_t                       last, before[64];
    unsigned                      m, d;
    const north_insights_rule_t  *rule;

    memset(out, 0, sizeof(north_insights_recurring_t));
    out->increase_day = -1;

    if (n < 2) {
        return -1;
    }

    rule = NULL;

    for (r = 0; r < sizeof(north_insights_rules) / sizeof(north_insights_rules[0]);
         r++)
    {
        if (n < north_insights_rules[r].min_count) {
            continue;
        }

        singles = 0;

        for (i = 1; i < n; i++) {
            if (!north_insights_fits(&north_insights_rules[r],
                                     c[i].day - c[i - 1].day))
            {
                break;
            }

            /* a skipped period is allowed, not a pattern of them */
            if (c[i].day - c[i - 1].day
                <= north_insights_rules[r].days
                   + north_insights_rules[r].tolerance
                   + (north_insights_rules[r].period
                      == NORTH_INSIGHTS_MONTHLY ? 1 : 0))
            {
                singles++;
            }
        }

        if (i == n && singles * 2 >= n - 1) {
            rule = &north_insights_rules[r];
            break;
        }
    }

    if (rule == NULL) {
        return -1;
    }

    out->period = rule->period;
    out->count = n;
    out->first_day = c[0].day;
    out->last_day = c[n - 1].day;

    /* the trailing run at the latest price, and what came before it */
    last = c[n - 1].cents;
    out->amount_cents = last;

    for (j = n - 1; j > 0; j--) {
        if ((c[j - 1].cents > last ? c[j - 1].cents - last
                                   : last - c[j - 1].cents) * 100
            > last * NORTH_INSIGHTS_SAME_PCT)
        {
            break;
        }
    }

    if (j >= 2 && j <= 64) {
        for (i = 0; i < j; i++) {
            before[i] = c[i].cents;
        }

        out->previous_cents = north_insights_median(before, j);

        if (last * 100 > out->previous_cents * (100 + NORTH_INSIGHTS_RAISE_PCT)
            && last - out->previous_cents >= NORTH_INSIGHTS_RAISE_MIN)
        {
            out->previous_cents = c[j - 1].cents;
            out->increase_day = c[j].day;

        } else {
            out->previous_cents = 0;
        }
    }

    north_date_civil(out->last_day, &y, &m, &d);
    out->next_day = north_insights_step(rule->period, out->last_day, d);
    out->ended = today > out->next_day + rule->grace;

    return 0;
}


int64_t
north_insights_step(north_insights_period_e period, int64_t day,
    unsigned day_of_month)
{
    int       y;
    unsigned  m, d, last;

    static const unsigned  days_in[] = {
        31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
    };

    switch (period) {

    case NORTH_INSIGHTS_WEEKLY:
        return day + 7;

    case NORTH_INSIGHTS_BIWEEKLY:
        return day + 14;

    case NORTH_INSIGHTS_YEARLY:
    case NORTH_INSIGHTS_MONTHLY:
        north_date_civil(day, &y, &m, &d);

        if (period == NORTH_INSIGHTS_YEARLY) {
            y++;

        } else if (++m == 13) {
            m = 1;
            y++;
        }

        last = days_in[m - 1]
               + (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));

        return north_date_days(y, m,
                               day_of_month < last ? day_of_month : last);

    default:
        return day;
    }
}


const char *
north_insights_period_name(north_insights_period_e period)
{
    static const char *const  names[] = {
        "none", "weekly", "biweekly", "monthly", "yearly"
    };

    return names[period];
}


void
north_insights_forecast(int64_t balance_cents, int64_t today, unsigned days,
    const north_insights_flow_t *flows, size_t n,
    north_insights_forecast_t *out)
{
    size_t    i;
    int64_t   day, t, delta[NORTH_INSIGHTS_FORECAST_MAX + 1];
    unsigned  k;

    memset(out, 0, sizeof(north_insights_forecast_t));
    memset(delta, 0, sizeof(delta));

    if (days > NORTH_INSIGHTS_FORECAST_MAX) {
        days = NORTH_INSIGHTS_FORECAST_MAX;
    }

    for (i = 0; i < n; i++) {
        day = flows[i].next_day;

        /* a flow already late is expected tomorrow */
        if (day <= today) {
            day = today + 1;
        }

        while (day <= today + days) {
            delta[day - today] += flows[i].cents;

            if (flows[i].cents > 0) {
                out->in_cents += flows[i].cents;

            } else {
                out->out_cents -= flows[i].cents;
            }

            t = north_insights_step(flows[i].period, day,
                                    flows[i].day_of_month);
            if (t <= day) {
                break;
            }

            day = t;
        }
    }

    out->lowest_cents = balance_cents;
    out->lowest_day = today;

    for (k = 1; k <= days; k++) {
        balance_cents += delta[k];

        if (balance_cents < out->lowest_cents) {
            out->lowest_cents = balance_cents;
            out->lowest_day = today + k;
        }
    }

    out->end_cents = balance_cents;
}


void
north_insights_id(const char *kind, const char *subject, char *id)
{
    uint64_t              h;
    const unsigned char  *p;

    h = 0xcbf29ce484222325ULL;

    for (p = (const unsigned char *) subject; *p; p++) {
        h ^= *p;
        h *= 0x100000001b3ULL;
    }

    snprintf(id, NORTH_INSIGHTS_ID_LEN, "%.40s-%016llx", kind,
             (unsigned long long) h);
}
