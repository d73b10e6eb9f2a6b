/*
 * Spending insights in integer cents and whole days: the robust test of a
 * month's spending against the user's own history (median and median
 * absolute deviation), the detection of recurring charges and income
 * (weekly, biweekly, monthly, yearly; a skipped period, a price increase,
 * an end), and the 30-day cash-flow forecast they give. Pure: no nginx
 * header.
 */

#ifndef NORTH_INSIGHTS_H
#define NORTH_INSIGHTS_H

#include <stddef.h>
#include <stdint.h>


/* the median of v (n > 0), which is sorted in place */
int64_t north_insights_median(int64_t *v, size_t n);


/*
 * Unusual: current above median + max(3 x 1.4826 x MAD, 20% of the median,
 * min_cents). history: the same measure for earlier periods (3 at least).
 */

typedef struct {
    int64_t              median_cents;
    int64_t              mad_cents;
    int64_t              threshold_cents;
    int                  unusual;
} north_insights_anomaly_t;

/* -1 when there are fewer than 3 periods of history */
int north_insights_anomaly(const int64_t *history, size_t n, int64_t current,
    int64_t min_cents, north_insights_anomaly_t *out);


typedef enum {
    NORTH_INSIGHTS_NONE = 0,
    NORTH_INSIGHTS_WEEKLY,
    NORTH_INSIGHTS_BIWEEKLY,
    NORTH_INSIGHTS_MONTHLY,
    NORTH_INSIGHTS_YEARLY
} north_insights_period_e;

typedef struct {
    int64_t              day;             /* days since 1970-01-01 */
    int64_t              cents;           /* > 0: the charge's size */
} north_insights_charge_t;

typedef struct {
    north_insights_period_e  period;
    size_t               count;
    int64_t              first_day;
    int64_t              last_day;
    int64_t              amount_cents;    /* the latest amount */
    int64_t              previous_cents;  /* before an increase, else 0 */
    int64_t              increase_day;    /* first at the new amount; -1 */
    int64_t              next_day;        /* expected next */
    int                  ended;           /* next_day passed, with grace */
} north_insights_recurring_t;

/*
 * Splits charges (one merchant, one direction) into groups of like
 * amounts: sorted by amount, a new group starts where an amount is more
 * than 30% above the group's smallest. Each group is then sorted by day.
 * Writes each group's first index into starts (at most max); returns the
 * number of groups.
 */
size_t north_insights_groups(north_insights_charge_t *c, size_t n,
    size_t *starts, size_t max);

/*
 * Whether charges (sorted by day) recur. Every interval must be one period
 * or two (a skipped one) within its tolerance: weekly 7 +- 1 days,
 * biweekly 14 +- 2, monthly 26 to 35 days (a calendar month, whatever the
 * day of month), yearly 365 +- 10. Three charges at least (two for
 * yearly). 0 with out filled, -1 when they do not recur.
 */
int north_insights_recurring(const north_insights_charge_t *c, size_t n,
    int64_t today, north_insights_recurring_t *out);

/* the next day of a recurrence after day (monthly: same day of month,
 * clamped to the month's end) */
int64_t north_insights_step(north_insights_period_e period, int64_t day,
    unsigned day_of_month);

const char *north_insights_period_name(north_insights_period_e period);


/* the cash-flow forecast: balance, then each flow on its day */

typedef struct {
    north_insights_period_e  period;
    int64_t              next_day;
    unsigned             day_of_month;
    int64_t              cents;           /* > 0 in, < 0 out */
} north_insights_flow_t;

typedef struct {
    int64_t              end_cents;
    int64_t              in_cents;
    int64_t              out_cents;       /* > 0 */
    int64_t              lowest_cents;
    int64_t              lowest_day;
} north_insights_forecast_t;

#define NORTH_INSIGHTS_FORECAST_MAX  800     /* days */

/* days: at most NORTH_INSIGHTS_FORECAST_MAX */
void north_insights_forecast(int64_t balance_cents, int64_t today,
    unsigned days, const north_insights_flow_t *flows, size_t n,
    north_insights_forecast_t *out);


/* a finding's stable id: kind-<16 hex digits of subject's FNV-1a> */
#define NORTH_INSIGHTS_ID_LEN  64

void north_insights_id(const char *kind, const char *subject, char *id);


#endif /* NORTH_INSIGHTS_H */
