/*
 * Canadian income tax and registered-account room, in integer cents: the
 * tax of a year's taxable income in one province (federal and provincial
 * brackets, basic personal amounts, Quebec's abatement, Ontario's surtax
 * and health premium), the marginal rate, and the room of a TFSA, an RRSP
 * or an FHSA from the account's movements. The figures come from data
 * (sql/0020_tax.sql); this file only computes. Pure: no nginx header.
 *
 * Rounding: each line of the return (basic tax, credits, abatement,
 * surtax, premium) is computed exactly in hundredths of a cent-percent and
 * rounded once, half up, to the cent; a phased basic personal amount is
 * rounded the same way.
 */

#ifndef NORTH_TAX_H
#define NORTH_TAX_H

#include <stddef.h>
#include <stdint.h>


#define NORTH_TAX_BRACKETS_MAX  10
#define NORTH_TAX_SURTAX_MAX    4
#define NORTH_TAX_PREMIUM_MAX   8


typedef struct {
    int64_t              over_cents;      /* the rate applies above this */
    int32_t              rate_bp;         /* hundredths of a percent */
} north_tax_rate_t;

typedef struct {
    int64_t              over_cents;
    int64_t              base_cents;
    int32_t              rate_bp;
    int64_t              max_cents;
} north_tax_premium_t;

/* one jurisdiction's figures for one year */
typedef struct {
    north_tax_rate_t     brackets[NORTH_TAX_BRACKETS_MAX];
    unsigned             nbrackets;       /* >= 1, the first over 0 */
    int64_t              bpa_cents;
    int64_t              bpa_min_cents;
    int64_t              bpa_phase_from_cents;   /* both 0: no phase */
    int64_t              bpa_phase_to_cents;
    int32_t              credit_rate_bp;
    int32_t              federal_abatement_bp;   /* of basic federal tax */
    north_tax_rate_t     surtax[NORTH_TAX_SURTAX_MAX];  /* on the tax */
    unsigned             nsurtax;
    north_tax_premium_t  premium[NORTH_TAX_PREMIUM_MAX];
    unsigned             npremium;
} north_tax_table_t;

typedef struct {
    int64_t              income_cents;    /* taxable, >= 0 */
    int64_t              federal_basic_cents;
    int64_t              federal_bpa_cents;
    int64_t              federal_credits_cents;
    int64_t              federal_abatement_cents;
    int64_t              federal_cents;   /* basic - credits - abatement */
    int64_t              provincial_basic_cents;
    int64_t              provincial_bpa_cents;
    int64_t              provincial_credits_cents;
    int64_t              surtax_cents;
    int64_t              premium_cents;
    int64_t              provincial_cents;
    int64_t              total_cents;
} north_tax_out_t;

/* -1 when a table is not one (no bracket, brackets out of order) */
int north_tax_check(const north_tax_table_t *t);

/* The tax on income_cents of a resident of prov; -1 on bad input. */
int north_tax_compute(const north_tax_table_t *fed,
    const north_tax_table_t *prov, int64_t income_cents, north_tax_out_t *out);

/* The tax on the next $100 of income, in hundredths of a percent. */
int32_t north_tax_marginal_bp(const north_tax_table_t *fed,
    const north_tax_table_t *prov, int64_t income_cents);


/*
 * Room in a registered account. Moves are the account's contributions
 * (cents > 0) and withdrawals (cents < 0) by day (days since 1970-01-01),
 * in order. Each year from first_year gives annual room; a TFSA adds back
 * the year's withdrawals the next January 1 (less what cured an excess);
 * an FHSA carries at most carry_max of unused room into the next year and
 * never passes its lifetime limit. An excess costs 1% a month of the
 * highest excess in the month, for each month up to today.
 */

typedef struct {
    int64_t              day;
    int64_t              cents;
} north_tax_move_t;

typedef struct {
    int                  first_year;      /* room begins */
    int                  year;            /* the year asked, >= first_year */
    int64_t              today;           /* days; later months not charged */
    const int64_t       *limits;          /* annual room by year ... */
    int                  limits_from;     /* ... limits[0] is this year's */
    int                  nlimits;
    int                  readd_withdrawals;
    int64_t              carry_max_cents; /* -1: no cap */
    int64_t              lifetime_cents;  /* -1: none */
    int                  known_year;      /* a room given for Jan 1 of this
                                             year (CRA's); 0: none */
    int64_t              known_room_cents;
    const north_tax_move_t  *moves;
    size_t               nmoves;
} north_tax_room_in_t;

typedef struct {
    int64_t              room_jan1_cents; /* unused room at January 1 */
    int64_t              new_room_cents;  /* of it, the year's own */
    int64_t              contributed_cents;   /* in the year */
    int64_t              withdrawn_cents;
    int64_t              remaining_cents; /* room left now, >= 0 */
    int64_t              excess_cents;    /* over-contributed now, >= 0 */
    int64_t              excess_max_cents;    /* highest in the year */
    int64_t              cost_cents;      /* the year's 1%-a-month tax */
    unsigned             months_charged;
    int64_t              lifetime_contributed_cents;
    int64_t              readd_next_cents;    /* room back next January */
} north_tax_room_out_t;

/* -1 when a year in first_year..year has no limit or the input is bad */
int north_tax_room(const north_tax_room_in_t *in, north_tax_room_out_t *out);


/*
 * RRSP: the deduction room a year's contributions count against. They are
 * the contributions from day 61 of the year to day 60 of the next (the
 * first 60 days of a year are counted for the year before, the year they
 * are usually deducted for). The room is the Notice of Assessment's figure
 * when known, else this year's new room estimated from the prior year's
 * earned income: 18%, at most the dollar limit, less the pension
 * adjustment (unused room carried forward is unknown then).
 */

typedef struct {
    int                  year;
    int64_t              today;
    int64_t              dollar_limit_cents;
    int64_t              noa_limit_cents;     /* -1: not known */
    int64_t              earned_income_cents; /* prior year; -1: not known */
    int64_t              pension_adjustment_cents;
    int64_t              buffer_cents;        /* $2,000 */
    const north_tax_move_t  *moves;
    size_t               nmoves;
} north_tax_rrsp_in_t;

typedef enum {
    NORTH_TAX_RRSP_NOA = 0,
    NORTH_TAX_RRSP_ESTIMATE,
    NORTH_TAX_RRSP_UNKNOWN
} north_tax_rrsp_basis_e;

typedef struct {
    north_tax_rrsp_basis_e  basis;
    int64_t              room_cents;          /* -1 when unknown */
    int64_t              contributed_cents;   /* counted for the year */
    int64_t              first_60_days_cents; /* of it, made next year */
    int64_t              remaining_cents;     /* -1 when unknown */
    int64_t              excess_cents;        /* over the room */
    int64_t              penalized_cents;     /* over room + buffer */
    int64_t              monthly_cost_cents;
} north_tax_rrsp_out_t;

int north_tax_rrsp(const north_tax_rrsp_in_t *in, north_tax_rrsp_out_t *out);

const char *north_tax_rrsp_basis_name(north_tax_rrsp_basis_e basis);


#endif /* NORTH_TAX_H */
