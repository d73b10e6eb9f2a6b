/*
 * Canadian income tax and registered-account room in integer cents (see
 * north_tax.h for the rules and the rounding). Pure: no nginx header.
 */

#include <string.h>

#include "north_check.h"
#include "north_tax.h"


#define NORTH_TAX_BP  10000                 /* a rate's unit: 1/10000 */

/* the RRSP's new room: 18% of the prior year's earned income */
#define NORTH_TAX_RRSP_EARNED_BP  1800

/* an excess in a registered account costs 1% a month */
#define NORTH_TAX_EXCESS_BP       100


static int64_t north_tax_round(int64_t cents_bp);
static int64_t north_tax_brackets(const north_tax_table_t *t, int64_t income);
static int64_t north_tax_bpa(const north_tax_table_t *t, int64_t income);
static int64_t north_tax_premium(const north_tax_table_t *t, int64_t income);
static int64_t north_tax_total(const north_tax_table_t *fed,
    const north_tax_table_t *prov, int64_t income);
static int north_tax_year_of(int64_t day);


/* an amount in cents times a rate in 1/10000, to the cent, half up */

static int64_t
north_tax_round(int64_t cents_bp)
{
    return (cents_bp + NORTH_TAX_BP / 2) / NORTH_TAX_BP;
}


int
north_tax_check(const north_tax_table_t *t)
{
    unsigned  i;

    if (t->nbrackets == 0 || t->nbrackets > NORTH_TAX_BRACKETS_MAX
        || t->brackets[0].over_cents != 0
        || t->nsurtax > NORTH_TAX_SURTAX_MAX
        || t->npremium > NORTH_TAX_PREMIUM_MAX
        || t->bpa_min_cents < 0 || t->bpa_min_cents > t->bpa_cents
        || t->bpa_phase_to_cents < t->bpa_phase_from_cents
        || t->credit_rate_bp <= 0 || t->credit_rate_bp > NORTH_TAX_BP
        || t->federal_abatement_bp < 0
        || t->federal_abatement_bp > NORTH_TAX_BP)
    {
        return -1;
    }

    for (i = 0; i < t->nbrackets; i++) {
        if (t->brackets[i].rate_bp <= 0 || t->brackets[i].rate_bp > NORTH_TAX_BP
            || (i > 0
                && t->brackets[i].over_cents <= t->brackets[i - 1].over_cents))
        {
            return -1;
        }
    }

    for (i = 1; i < t->nsurtax; i++) {
        if (t->surtax[i].over_cents <= t->surtax[i - 1].over_cents) {
            return -1;
        }
    }

    for (i = 1; i < t->npremium; i++) {
        if (t->premium[i].over_cents <= t->premium[i - 1].over_cents) {
            return -1;
        }
    }

    return 0;
}


/* each bracket's rate on the part of income inside it */

static int64_t
north_tax_brackets(const north_tax_table_t *t, int64_t income)
{
    int64_t   sum, top;
    unsigned  i;

    sum = 0;

    for (i = 0; i < t->nbrackets && income > t->brackets[i].over_cents; i++) {
        top = (i + 1 < t->nbrackets && income > t->brackets[i + 1].over_cents)
              ? t->brackets[i + 1].over_cents : income;
        sum += (top - t->brackets[i].over_cents) * t->brackets[i].rate_bp;
    }

    return north_tax_round(sum);
}


/* the basic personal amount, less the phase-out income has reached */

static int64_t
north_tax_bpa(const north_tax_table_t *t, int64_t income)
{
    int64_t  span, num;

    span = t->bpa_phase_to_cents - t->bpa_phase_from_cents;

    if (span == 0 || income <= t->bpa_phase_from_cents) {
        return t->bpa_cents;
    }

    if (income >= t->bpa_phase_to_cents) {
        return t->bpa_min_cents;
    }

    num = (t->bpa_cents - t->bpa_min_cents)
          * (income - t->bpa_phase_from_cents);

    return t->bpa_cents - (2 * num + span) / (2 * span);
}


/* the band income is in: its base and rate, at most its maximum */

static int64_t
north_tax_premium(const north_tax_table_t *t, int64_t income)
{
    int64_t                     p;
    const north_tax_premium_t  *band;
    unsigned                    i;

    band = NULL;

    for (i = 0; i < t->npremium && income > t->premium[i].over_cents; i++) {
        band = &t->premium[i];
    }

    if (band == NULL) {
        return 0;
    }

    p = band->base_cents
        + north_tax_round((income - band->over_cents) * band->rate_bp);

    return p < band->max_cents ? p : band->max_cents;
}


int
north_tax_compute(const north_tax_table_t *fed, const north_tax_table_t *prov,
    int64_t income_cents, north_tax_out_t *out)
{
    int64_t   tax, sur;
    unsigned  i;

    if (income_cents < 0 || north_tax_check(fed) != 0
        || north_tax_check(prov) != 0)
    {
        return -1;
    }

    memset(out, 0, sizeof(north_tax_out_t));
    out->income_cents = income_cents;

    out->federal_basic_cents = north_tax_brackets(fed, income_cents);
    out->federal_bpa_cents = north_tax_bpa(fed, income_cents);
    out->federal_credits_cents = north_tax_round(out->federal_bpa_cents
                                                 * fed->credit_rate_bp);

    tax = out->federal_basic_cents - out->federal_credits_cents;
    if (tax < 0) {
        tax = 0;
    }

    /* Quebec's abatement is the province's figure, on basic federal tax */
    out->federal_abatement_cents = north_tax_round(tax
                                                   * prov->federal_abatement_bp);
    out->federal_cents = tax - out->federal_abatement_cents;

    out->provincial_basic_cents = north_tax_brackets(prov, income_cents);
    out->provincial_bpa_cents = north_tax_bpa(prov, income_cents);
    out->provincial_credits_cents = north_tax_round(out->provincial_bpa_cents
                                                    * prov->credit_rate_bp);

    tax = out->provincial_basic_cents - out->provincial_credits_cents;
    if (tax < 0) {
        tax = 0;
    }

    sur = 0;

    for (i = 0; i < prov->nsurtax && tax > prov->surtax[i].over_cents; i++) {
        sur += (tax - prov->surtax[i].over_cents) * prov->surtax[i].rate_bp;
    }

    out->surtax_cents = north_tax_round(sur);
    out->premium_cents = north_tax_premium(prov, income_cents);
    out->provincial_cents = tax + out->surtax_cents + out->premium_cents;
    out->total_cents = out->federal_cents + out->provincial_cents;

    return 0;
}


static int64_t
north_tax_total(const north_tax_table_t *fed, const north_tax_table_t *prov,
    int64_t income)
{
    north_tax_out_t  out;

    if (north_tax_compute(fed, prov, income, &out) != 0) {
        return 0;
    }

    return out.total_cents;
}


/* $100 more, in cents of tax, is the rate in hundredths of a percent */

int32_t
north_tax_marginal_bp(const north_tax_table_t *fed,
    const north_tax_table_t *prov, int64_t income_cents)
{
    return (int32_t) (north_tax_total(fed, prov, income_cents + 10000)
                      - north_tax_total(fed, prov, income_cents));
}


static int
north_tax_year_of(int64_t day)
{
    int       y;
    unsigned  m, d;

    north_date_civil(day, &y, &m, &d);

    return y;
}


int
north_tax_room(const north_tax_room_in_t *in, north_tax_room_out_t *out)
{
    int       y, start;
    size_t    i;
    int64_t   room, excess, readd, lifetime, limit, top, month_max, end;
    unsigned  m;

    if (in->year < in->first_year || in->first_year < in->limits_from
        || in->year >= in->limits_from + in->nlimits)
    {
        return -1;
    }

    for (i = 1; i < in->nmoves; i++) {
        if (in->moves[i].day < in->moves[i - 1].day) {
            return -1;
        }
    }

    memset(out, 0, sizeof(north_tax_room_out_t));

    start = in->first_year;
    room = 0;

    if (in->known_year > in->first_year && in->known_year <= in->year) {
        start = in->known_year;
    }

    excess = 0;
    readd = 0;
    lifetime = 0;
    i = 0;

    /* before the room begins, only the lifetime counts */
    for ( /* void */ ; i < in->nmoves
                       && north_tax_year_of(in->moves[i].day) < start; i++)
    {
        if (in->moves[i].cents > 0) {
            lifetime += in->moves[i].cents;
        }
    }

    for (y = start; y <= in->year; y++) {
        limit = in->limits[y - in->limits_from];

        if (y == start && in->known_year == start) {
            room = in->known_room_cents;

        } else {
            if (in->carry_max_cents >= 0 && room > in->carry_max_cents) {
                room = in->carry_max_cents;
            }

            room += limit + readd;

            if (in->lifetime_cents >= 0) {
                top = in->lifetime_cents - lifetime;
                if (room > top) {
                    room = top > 0 ? top : 0;
                }
            }

            /* new room first cures an excess carried in */
            top = excess < room ? excess : room;
            excess -= top;
            room -= top;
        }

        readd = 0;

        if (y == in->year) {
            out->room_jan1_cents = room;
            out->new_room_cents = limit;
        }

        for (m = 1; m <= 12; m++) {
            end = north_date_days(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1);
            month_max = excess;

            for ( /* void */ ; i < in->nmoves && in->moves[i].day < end; i++) {
                if (in->moves[i].cents > 0) {
                    lifetime += in->moves[i].cents;

                    if (in->moves[i].cents <= room) {
                        room -= in->moves[i].cents;

                    } else {
                        excess += in->moves[i].cents - room;
                        room = 0;
                    }

                } else {
                    /* a withdrawal first cures an excess; the rest comes
                     * back as room next year where the account says so */
                    top = -in->moves[i].cents;
                    top = excess < top ? excess : top;
                    excess -= top;

                    if (in->readd_withdrawals) {
                        readd += -in->moves[i].cents - top;
                    }
                }

                if (y == in->year) {
                    if (in->moves[i].cents > 0) {
                        out->contributed_cents += in->moves[i].cents;

                    } else {
                        out->withdrawn_cents -= in->moves[i].cents;
                    }
                }

                if (excess > month_max) {
                    month_max = excess;
                }
            }

            if (y == in->year && north_date_days(y, m, 1) <= in->today) {
                if (month_max > out->excess_max_cents) {
                    out->excess_max_cents = month_max;
                }

                if (month_max > 0) {
                    out->cost_cents += north_tax_round(month_max
                                                       * NORTH_TAX_EXCESS_BP);
                    out->months_charged++;
                }
            }
        }
    }

    out->remaining_cents = room;
    out->excess_cents = excess;
    out->lifetime_contributed_cents = lifetime;
    out->readd_next_cents = readd;

    return 0;
}


int
north_tax_rrsp(const north_tax_rrsp_in_t *in, north_tax_rrsp_out_t *out)
{
    size_t   i;
    int64_t  from, next, to, room;

    memset(out, 0, sizeof(north_tax_rrsp_out_t));

    from = north_date_days(in->year, 1, 1) + 60;
    next = north_date_days(in->year + 1, 1, 1);
    to = next + 60;

    for (i = 0; i < in->nmoves; i++) {
        if (in->moves[i].cents <= 0
            || in->moves[i].day < from || in->moves[i].day >= to)
        {
            continue;
        }

        out->contributed_cents += in->moves[i].cents;

        if (in->moves[i].day >= next) {
            out->first_60_days_cents += in->moves[i].cents;
        }
    }

    if (in->noa_limit_cents >= 0) {
        out->basis = NORTH_TAX_RRSP_NOA;
        room = in->noa_limit_cents;

    } else if (in->earned_income_cents >= 0) {
        out->basis = NORTH_TAX_RRSP_ESTIMATE;
        room = north_tax_round(in->earned_income_cents
                               * NORTH_TAX_RRSP_EARNED_BP);
        if (room > in->dollar_limit_cents) {
            room = in->dollar_limit_cents;
        }

        room -= in->pension_adjustment_cents;
        if (room < 0) {
            room = 0;
        }

    } else {
        out->basis = NORTH_TAX_RRSP_UNKNOWN;
        out->room_cents = -1;
        out->remaining_cents = -1;
        return 0;
    }

    out->room_cents = room;
    out->remaining_cents = room > out->contributed_cents
                           ? room - out->contributed_cents : 0;
    out->excess_cents = out->contributed_cents > room
                        ? out->contributed_cents - room : 0;
    out->penalized_cents = out->excess_cents > in->buffer_cents
                           ? out->excess_cents - in->buffer_cents : 0;
    out->monthly_cost_cents = north_tax_round(out->penalized_cents
                                              * NORTH_TAX_EXCESS_BP);

    return 0;
}


const char *
north_tax_rrsp_basis_name(north_tax_rrsp_basis_e basis)
{
    static const char *const  names[] = {
        "notice_of_assessment", "estimate", "unknown"
    };

    return names[basis];
}
