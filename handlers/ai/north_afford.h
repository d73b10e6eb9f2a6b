/*
 * Affordability: the liquid balance projected day by day, with and without
 * a purchase (once, or every month), from the user's recurring income and
 * bills and planned goal contributions; the verdict against a buffer, and
 * what covering the purchase from savings would cost each goal. Integer
 * cents and whole days. Pure: no nginx header.
 */

#ifndef NORTH_AFFORD_H
#define NORTH_AFFORD_H

#include <stddef.h>
#include <stdint.h>

#include "north_insights.h"


#define NORTH_AFFORD_AFTER_DAYS    30     /* a one-off: a month after it */
#define NORTH_AFFORD_MONTHLY_DAYS  365    /* a commitment: a year of it */
#define NORTH_AFFORD_AHEAD_DAYS    365    /* the latest date asked about */
#define NORTH_AFFORD_FLOWS_MAX     300

typedef enum {
    NORTH_AFFORD_YES = 0,
    NORTH_AFFORD_TIGHT,          /* the buffer would be dipped into */
    NORTH_AFFORD_NO              /* the balance would go below zero */
} north_afford_verdict_e;

typedef struct {
    int64_t              today;
    int64_t              balance_cents;   /* liquid now */
    int64_t              buffer_cents;    /* >= 0 */
    const north_insights_flow_t  *flows;  /* recurring income and bills */
    size_t               nflows;
    int64_t              goals_cents;     /* planned a month, on the 1st */
    int64_t              amount_cents;    /* > 0 */
    int64_t              date;            /* >= today */
    int                  monthly;
} north_afford_in_t;

typedef struct {
    north_afford_verdict_e  verdict;
    int64_t              horizon;         /* the last day projected */
    int64_t              lowest_cents;    /* without the purchase */
    int64_t              lowest_day;
    int64_t              lowest_with_cents;
    int64_t              lowest_with_day;
    int64_t              end_cents;       /* on the horizon, without */
    int64_t              end_with_cents;
    int64_t              income_cents;    /* expected until the horizon */
    int64_t              bills_cents;     /* > 0 */
    int64_t              shortfall_cents; /* what savings would cover */
} north_afford_out_t;

/* 0, or -1 when in is not a question (amount, date) */
int north_afford(const north_afford_in_t *in, north_afford_out_t *out);

/*
 * What covering shortfall_cents from a goal saving pace_cents over
 * pace_days costs it: the days of saving it equals (a one-off), or, for a
 * monthly amount, the pace left. -1: the goal would no longer progress.
 */
int64_t north_afford_delay(int64_t shortfall_cents, int monthly,
    int64_t pace_cents, int64_t pace_days, int64_t remaining_cents);

const char *north_afford_verdict_name(north_afford_verdict_e verdict);


#endif /* NORTH_AFFORD_H */
