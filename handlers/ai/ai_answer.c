/*
 * The assistant's answers, in English or French, each figure taken from
 * north.ai_facts's document (the analytics, goals, insights and tax
 * services' own figures) and listed in "figures" with the period it
 * covers; words around them are North's, never a model's.
 */

#include "ngx_north.h"
#include "ngx_north_json.h"
#include "north_check.h"
#include "north_format.h"
#include "north_category.h"
#include "north_goal.h"
#include "north_afford.h"
#include "ai.h"
#include "insights.h"
#include "tax.h"


#define NORTH_AI_MONEY_LEN  48


static ngx_int_t north_ai_total(north_ai_t *a, json_t *facts);
static ngx_int_t north_ai_compare(north_ai_t *a, json_t *facts);
static ngx_int_t north_ai_top(north_ai_t *a, json_t *facts);
static ngx_int_t north_ai_largest(north_ai_t *a, json_t *facts);
static ngx_int_t north_ai_balance(north_ai_t *a, json_t *facts);
static ngx_int_t north_ai_net_worth(north_ai_t *a, json_t *facts);
static ngx_int_t north_ai_subscriptions(ngx_http_request_t *r, north_ai_t *a,
    json_t *facts);
static ngx_int_t north_ai_goals(north_ai_t *a, json_t *facts);
static ngx_int_t north_ai_room(ngx_http_request_t *r, north_ai_t *a,
    json_t *facts);
static ngx_int_t north_ai_afford(ngx_http_request_t *r, north_ai_t *a,
    json_t *facts);
static int64_t north_ai_goal_monthly(json_t *row, north_goal_in_t *in,
    north_goal_out_t *out);
static void north_ai_say(north_ai_t *a, const char *fmt, ...);
static const char *north_ai_money(north_ai_t *a, int64_t cents, char *buf);
static const char *north_ai_day(north_ai_t *a, int64_t day, char *buf);
static void north_ai_span(north_ai_t *a, int64_t start, int64_t end);
static void north_ai_subject(north_ai_t *a);
static void north_ai_figures_span(north_ai_t *a, const char *start,
    const char *end, int64_t from, int64_t to);


ngx_int_t
north_ai_compose(ngx_http_request_t *r, north_ai_t *a, json_t *facts)
{
    a->len = 0;
    a->answer[0] = '\0';
    a->figures = json_object();

    if (a->figures == NULL || ngx_http_north_json_keep(r->pool, a->figures)
                              != NGX_OK)
    {
        return NGX_ERROR;
    }

    switch (a->q.intent) {

    case NORTH_AI_SPENDING:
    case NORTH_AI_INCOME:
        return north_ai_total(a, facts);

    case NORTH_AI_COMPARE:
        return north_ai_compare(a, facts);

    case NORTH_AI_TOP:
        return north_ai_top(a, facts);

    case NORTH_AI_LARGEST:
        return north_ai_largest(a, facts);

    case NORTH_AI_BALANCE:
        return north_ai_balance(a, facts);

    case NORTH_AI_NET_WORTH:
        return north_ai_net_worth(a, facts);

    case NORTH_AI_SUBSCRIPTIONS:
        return north_ai_subscriptions(r, a, facts);

    case NORTH_AI_GOAL:
        return north_ai_goals(a, facts);

    case NORTH_AI_ROOM:
        return north_ai_room(r, a, facts);

    case NORTH_AI_AFFORD:
        return north_ai_afford(r, a, facts);

    default:
        return NGX_ERROR;
    }
}


/* "You spent $412.50 on Groceries from October 1 to 31 (42 transactions)." */

static ngx_int_t
north_ai_total(north_ai_t *a, json_t *facts)
{
    char        m[NORTH_AI_MONEY_LEN];
    int64_t     cents, n;
    ngx_uint_t  income;

    income = a->q.intent == NORTH_AI_INCOME;
    cents = json_integer_value(json_object_get(facts, "cents"));
    n = json_integer_value(json_object_get(facts, "count"));

    if (income) {
        north_ai_say(a, a->q.fr ? "Vous avez reçu %s" : "You received %s",
                     north_ai_money(a, cents, m));
    } else {
        north_ai_say(a, a->q.fr ? "Vous avez dépensé %s" : "You spent %s",
                     north_ai_money(a, cents, m));
    }

    north_ai_subject(a);
    north_ai_span(a, a->q.start, a->q.end);
    north_ai_say(a, a->q.fr ? " (%L transaction%s)." : " (%L transaction%s).",
                 n, n == 1 ? "" : "s");

    json_object_set_new(a->figures, income ? "income_cents" : "spent_cents",
                        json_integer(cents));
    json_object_set_new(a->figures, "transactions", json_integer(n));
    north_ai_figures_span(a, "start", "end", a->q.start, a->q.end);

    return NGX_OK;
}


/* two periods of the same spending */

static ngx_int_t
north_ai_compare(north_ai_t *a, json_t *facts)
{
    char     m1[NORTH_AI_MONEY_LEN], m2[NORTH_AI_MONEY_LEN];
    char     m3[NORTH_AI_MONEY_LEN], pct[32];
    json_t  *now, *then;
    int64_t  c1, c2, d;

    now = json_object_get(facts, "now");
    then = json_object_get(facts, "then");
    c1 = json_integer_value(json_array_get(now, 0));
    c2 = json_integer_value(json_array_get(then, 0));
    d = c1 - c2;

    north_ai_say(a, a->q.fr ? "Vous avez dépensé %s" : "You spent %s",
                 north_ai_money(a, c1, m1));
    north_ai_subject(a);
    north_ai_span(a, a->q.start, a->q.end);
    north_ai_say(a, a->q.fr ? ", contre %s" : ", against %s",
                 north_ai_money(a, c2, m2));
    north_ai_span(a, a->q.start2, a->q.end2);

    pct[0] = '\0';

    if (c2 > 0) {
        /* one decimal, half away from zero */
        int64_t  t = (d * 1000 + (d >= 0 ? c2 / 2 : -c2 / 2)) / c2;

        snprintf(pct, sizeof(pct), a->q.fr ? " (%s%lld,%lld %%)"
                                           : " (%s%lld.%lld%%)",
                 t >= 0 ? "+" : "-", (long long) (t < 0 ? -t : t) / 10,
                 (long long) (t < 0 ? -t : t) % 10);

        json_object_set_new(a->figures, "change_percent",
                            json_real((double) t / 10));
    }

    if (d == 0) {
        north_ai_say(a, a->q.fr ? " : autant." : ": the same.");

    } else {
        north_ai_say(a, a->q.fr ? " : %s de %s%s." : ": %s %s%s.",
                     north_ai_money(a, d < 0 ? -d : d, m3),
                     d > 0 ? (a->q.fr ? "plus" : "more")
                           : (a->q.fr ? "moins" : "less"), pct);
    }

    json_object_set_new(a->figures, "spent_cents", json_integer(c1));
    json_object_set_new(a->figures, "transactions",
                        json_integer(json_integer_value(json_array_get(now,
                                                                       1))));
    north_ai_figures_span(a, "start", "end", a->q.start, a->q.end);
    json_object_set_new(a->figures, "versus_spent_cents", json_integer(c2));
    json_object_set_new(a->figures, "versus_transactions",
                        json_integer(json_integer_value(json_array_get(then,
                                                                       1))));
    north_ai_figures_span(a, "versus_start", "versus_end", a->q.start2,
                          a->q.end2);
    json_object_set_new(a->figures, "change_cents", json_integer(d));

    return NGX_OK;
}


static ngx_int_t
north_ai_top(north_ai_t *a, json_t *facts)
{
    char     m[NORTH_AI_MONEY_LEN];
    size_t   i;
    json_t  *items, *e, *list;

    items = json_object_get(facts, "items");
    list = json_array();

    if (json_array_size(items) == 0) {
        north_ai_say(a, a->q.fr ? "Aucune dépense" : "No spending");
        north_ai_span(a, a->q.start, a->q.end);
        north_ai_say(a, ".");

    } else {
        north_ai_say(a, a->q.by_merchant
                        ? (a->q.fr ? "Vos principaux marchands"
                                   : "Your top merchants")
                        : (a->q.fr ? "Vos principales catégories"
                                   : "Your top categories"));
        north_ai_span(a, a->q.start, a->q.end);
        north_ai_say(a, a->q.fr ? " :" : ":");
    }

    json_array_foreach(items, i, e) {
        north_ai_say(a, "%s %uz. %s %s", i ? (a->q.fr ? " ;" : ";") : "",
                     i + 1, json_string_value(json_array_get(e, 1)),
                     north_ai_money(a, json_integer_value(json_array_get(e, 2)),
                                    m));

        json_array_append_new(list,
            json_pack("{s:O, s:O, s:O, s:O}",
                      a->q.by_merchant ? "merchant" : "category",
                      json_array_get(e, 0), "name", json_array_get(e, 1),
                      "spent_cents", json_array_get(e, 2),
                      "transactions", json_array_get(e, 3)));
    }

    if (json_array_size(items) != 0) {
        north_ai_say(a, a->q.fr ? ", sur %s au total." : ", of %s in all.",
                     north_ai_money(a, json_integer_value(
                                           json_object_get(facts, "total")),
                                    m));
    }

    json_object_set_new(a->figures, "items", list);
    json_object_set(a->figures, "spent_cents", json_object_get(facts, "total"));
    north_ai_figures_span(a, "start", "end", a->q.start, a->q.end);

    return NGX_OK;
}


static ngx_int_t
north_ai_largest(north_ai_t *a, json_t *facts)
{
    char         m[NORTH_AI_MONEY_LEN], d[64];
    size_t       i;
    json_t      *items, *e, *list;
    int64_t      day;

    items = json_object_get(facts, "items");
    list = json_array();

    north_ai_say(a, json_array_size(items)
                    ? (a->q.fr ? "Vos plus grosses dépenses"
                               : "Your largest purchases")
                    : (a->q.fr ? "Aucune dépense" : "No purchases"));
    north_ai_subject(a);
    north_ai_span(a, a->q.start, a->q.end);
    north_ai_say(a, json_array_size(items) ? (a->q.fr ? " :" : ":") : ".");

    json_array_foreach(items, i, e) {
        if (north_date_parse(json_string_value(json_array_get(e, 1)), &day)
            != 0)
        {
            return NGX_ERROR;
        }

        north_ai_say(a, a->q.fr ? "%s %s chez %s le %s" : "%s %s at %s on %s",
                     i ? (a->q.fr ? " ;" : ";") : "",
                     north_ai_money(a, json_integer_value(json_array_get(e, 3)),
                                    m),
                     json_string_value(json_array_get(e, 2)),
                     north_ai_day(a, day, d));

        json_array_append_new(list,
            json_pack("{s:O, s:O, s:O, s:O, s:O}",
                      "transaction_id", json_array_get(e, 0),
                      "date", json_array_get(e, 1),
                      "name", json_array_get(e, 2),
                      "spent_cents", json_array_get(e, 3),
                      "category", json_array_get(e, 4)));
    }

    if (json_array_size(items)) {
        north_ai_say(a, ".");
    }

    json_object_set_new(a->figures, "transactions", list);
    north_ai_figures_span(a, "start", "end", a->q.start, a->q.end);

    return NGX_OK;
}


/* an account's balance; a debt is what is owed */

static ngx_int_t
north_ai_balance(north_ai_t *a, json_t *facts)
{
    char         m[NORTH_AI_MONEY_LEN];
    size_t       i, n;
    json_t      *accounts, *e, *list;
    int64_t      cents, assets, owed;
    ngx_uint_t   debt;

    accounts = json_object_get(facts, "accounts");
    n = json_array_size(accounts);
    list = json_array();
    assets = 0;
    owed = 0;

    if (n == 0) {
        north_ai_say(a, a->q.fr ? "Aucun compte ne correspond."
                                : "No account matches.");
    }

    json_array_foreach(accounts, i, e) {
        cents = json_integer_value(json_array_get(e, 3));
        debt = json_is_true(json_array_get(e, 4));

        if (debt) {
            owed += cents;
        } else {
            assets += cents;
        }

        north_ai_say(a, debt ? (a->q.fr ? "%s%s : vous devez %s."
                                        : "%s%s: you owe %s.")
                             : (a->q.fr ? "%s%s : %s." : "%s%s: %s."),
                     i ? " " : "", json_string_value(json_array_get(e, 1)),
                     north_ai_money(a, cents, m));

        json_array_append_new(list,
            json_pack("{s:O, s:O, s:O, s:O, s:b}",
                      "account_id", json_array_get(e, 0),
                      "name", json_array_get(e, 1),
                      "kind", json_array_get(e, 2),
                      "balance_cents", json_array_get(e, 3),
                      "owed", (int) debt));
    }

    if (n > 1) {
        north_ai_say(a, a->q.fr ? " En tout : %s d'avoirs" : " In all: %s held",
                     north_ai_money(a, assets, m));
        north_ai_say(a, a->q.fr ? ", %s de dettes." : ", %s owed.",
                     north_ai_money(a, owed, m));
    }

    json_object_set_new(a->figures, "accounts", list);
    json_object_set_new(a->figures, "held_cents", json_integer(assets));
    json_object_set_new(a->figures, "owed_cents", json_integer(owed));

    return NGX_OK;
}


static ngx_int_t
north_ai_net_worth(north_ai_t *a, json_t *facts)
{
    char     m1[NORTH_AI_MONEY_LEN], m2[NORTH_AI_MONEY_LEN];
    char     m3[NORTH_AI_MONEY_LEN], d[64];
    int64_t  now, then;

    now = json_integer_value(json_object_get(facts, "now"));

    north_ai_say(a, a->q.fr ? "Votre valeur nette est de %s (avoirs %s, "
                              "dettes %s)."
                            : "Your net worth is %s (assets %s, debts %s).",
                 north_ai_money(a, now, m1),
                 north_ai_money(a, json_integer_value(
                                       json_object_get(facts, "assets")), m2),
                 north_ai_money(a, json_integer_value(
                                       json_object_get(facts, "liabilities")),
                                m3));

    json_object_set_new(a->figures, "net_worth_cents", json_integer(now));
    json_object_set(a->figures, "assets_cents",
                    json_object_get(facts, "assets"));
    json_object_set(a->figures, "liabilities_cents",
                    json_object_get(facts, "liabilities"));

    if (a->q.start >= 0 && json_is_integer(json_object_get(facts, "then"))) {
        then = json_integer_value(json_object_get(facts, "then"));

        north_ai_say(a, a->q.fr ? " Le %s, elle était de %s : %s %s."
                                : " On %s it was %s: %s %s.",
                     north_ai_day(a, a->q.start, d),
                     north_ai_money(a, then, m1),
                     now >= then ? (a->q.fr ? "en hausse de" : "up")
                                 : (a->q.fr ? "en baisse de" : "down"),
                     north_ai_money(a, now >= then ? now - then : then - now,
                                    m2));

        json_object_set_new(a->figures, "then_cents", json_integer(then));
        json_object_set_new(a->figures, "change_cents",
                            json_integer(now - then));
        north_ai_figures_span(a, "start", "end", a->q.start,
                              a->ctx.today);

    } else if (a->q.start >= 0) {
        north_ai_say(a, a->q.fr ? " North n'a pas d'historique avant "
                                  "aujourd'hui."
                                : " North has no history before today.");
    }

    return NGX_OK;
}


/* the recurring charges the insights service finds */

static ngx_int_t
north_ai_subscriptions(ngx_http_request_t *r, north_ai_t *a, json_t *facts)
{
    char               m[NORTH_AI_MONEY_LEN];
    size_t             i, n;
    json_t            *found, *e, *f, *list;
    int64_t            cents, monthly, total;
    const char        *period;
    north_insights_t  *in;

    static const char *const  en[] = { "weekly", "every two weeks", "monthly",
                                       "yearly" };
    static const char *const  fr[] = { "par semaine", "aux deux semaines",
                                       "par mois", "par année" };
    static const char *const  names[] = { "weekly", "biweekly", "monthly",
                                          "yearly" };

    in = ngx_palloc(r->pool, sizeof(north_insights_t));
    if (in == NULL) {
        return NGX_ERROR;
    }

    found = north_insights_findings(r, json_object_get(facts, "insights"),
                                    in);
    if (found == NULL) {
        return NGX_ERROR;
    }

    list = json_array();
    total = 0;
    n = 0;

    json_array_foreach(found, i, e) {
        f = json_object_get(e, "figures");

        if (ngx_strcmp(json_string_value(json_object_get(e, "kind")),
                       "recurring-charge") != 0
            || ngx_strcmp(json_string_value(json_object_get(f, "status")),
                          "active") != 0)
        {
            continue;
        }

        cents = json_integer_value(json_object_get(f, "amount_cents"));
        period = json_string_value(json_object_get(f, "period"));

        /* a month's worth, for the total */
        monthly = ngx_strcmp(period, "weekly") == 0 ? cents * 52 / 12
                  : ngx_strcmp(period, "biweekly") == 0 ? cents * 26 / 12
                  : ngx_strcmp(period, "yearly") == 0 ? cents / 12
                  : cents;
        total += monthly;

        json_array_append_new(list,
            json_pack("{s:O, s:O, s:O, s:O, s:O?, s:I}",
                      "merchant", json_object_get(f, "merchant"),
                      "category", json_object_get(f, "category"),
                      "period", json_object_get(f, "period"),
                      "amount_cents", json_object_get(f, "amount_cents"),
                      "next_date", json_object_get(f, "next_date"),
                      "monthly_cents", monthly));
        n++;
    }

    json_decref(found);

    if (n == 0) {
        north_ai_say(a, a->q.fr ? "Aucun prélèvement récurrent trouvé dans "
                                  "vos transactions."
                                : "No recurring charge found in your "
                                  "transactions.");

    } else {
        north_ai_money(a, total, m);

        if (a->q.fr) {
            north_ai_say(a, "%uz prélèvement%s récurrent%s, environ %s par "
                         "mois :", n, n > 1 ? "s" : "", n > 1 ? "s" : "", m);
        } else {
            north_ai_say(a, "%uz recurring charge%s, about %s a month:",
                         n, n > 1 ? "s" : "", m);
        }
    }

    json_array_foreach(list, i, e) {
        size_t  k;

        period = json_string_value(json_object_get(e, "period"));

        for (k = 0; k < 4 && ngx_strcmp(names[k], period) != 0; k++) {
            /* void */
        }

        north_ai_say(a, "%s %s %s %s", i ? (a->q.fr ? " ;" : ";") : "",
                     json_string_value(json_object_get(e, "merchant")),
                     north_ai_money(a, json_integer_value(
                                        json_object_get(e, "amount_cents")),
                                    m),
                     k < 4 ? (a->q.fr ? fr[k] : en[k]) : period);
    }

    if (n) {
        north_ai_say(a, ".");
    }

    if (a->q.account >= 0 || a->q.account_kind) {
        north_ai_say(a, a->q.fr ? " (Recherchés dans tous vos comptes.)"
                                : " (Found across all your accounts.)");
    }

    json_object_set_new(a->figures, "charges", list);
    json_object_set_new(a->figures, "monthly_cents", json_integer(total));

    return NGX_OK;
}


/* a goal's progress as the goals service computes it */

static ngx_int_t
north_ai_goals(north_ai_t *a, json_t *facts)
{
    char              m1[NORTH_AI_MONEY_LEN], m2[NORTH_AI_MONEY_LEN];
    char              d[64], iso[16];
    size_t            i;
    json_t           *row, *list;
    const char       *name;
    north_goal_in_t   in;
    north_goal_out_t  out;

    list = json_array();

    if (json_array_size(json_object_get(facts, "goals")) == 0) {
        north_ai_say(a, a->q.fr ? "Vous n'avez pas encore d'objectif."
                                : "You have no goal yet.");
    }

    json_array_foreach(json_object_get(facts, "goals"), i, row) {
        name = json_string_value(json_object_get(json_array_get(row, 0),
                                                 "name"));

        if (name == NULL || north_ai_goal_monthly(row, &in, &out) < -1) {
            return NGX_ERROR;
        }

        north_ai_say(a, a->q.fr ? "%s%s : %s sur %s (%ui %%)"
                                : "%s%s: %s of %s (%ui%%)",
                     i ? " " : "", name,
                     north_ai_money(a, in.saved_cents, m1),
                     north_ai_money(a, in.target_cents, m2),
                     (ngx_uint_t) out.percent);

        if (out.status == NORTH_GOAL_ACHIEVED) {
            north_ai_say(a, a->q.fr ? ", atteint." : ", reached.");

        } else if (out.monthly_cents >= 0) {
            north_ai_say(a, out.status == NORTH_GOAL_ON_TRACK
                            ? (a->q.fr ? ", en bonne voie ; %s par mois "
                                         "l'atteint d'ici le %s."
                                       : ", on track; %s a month reaches it "
                                         "by %s.")
                            : (a->q.fr ? ", en retard ; il faut %s par mois "
                                         "pour l'atteindre d'ici le %s."
                                       : ", behind; it takes %s a month to "
                                         "reach it by %s."),
                         north_ai_money(a, out.monthly_cents, m1),
                         north_ai_day(a, in.target_date, d));

        } else if (out.projected_date >= 0) {
            north_ai_say(a, a->q.fr ? " ; à votre rythme, atteint vers le %s."
                                    : "; at your pace, reached around %s.",
                         north_ai_day(a, out.projected_date, d));

        } else {
            north_ai_say(a, a->q.fr ? " ; il n'avance pas ces 90 derniers "
                                      "jours."
                                    : "; it has not moved in the last 90 "
                                      "days.");
        }

        json_array_append_new(list,
            json_pack("{s:O, s:s, s:I, s:I, s:i, s:I, s:o, s:s?, s:s}",
                      "goal_id", json_object_get(json_array_get(row, 0), "id"),
                      "name", name,
                      "saved_cents", (json_int_t) in.saved_cents,
                      "target_cents", (json_int_t) in.target_cents,
                      "percent", (int) out.percent,
                      "remaining_cents", (json_int_t) out.remaining_cents,
                      "monthly_cents", out.monthly_cents < 0
                                       ? json_null()
                                       : json_integer(out.monthly_cents),
                      "projected_date", out.projected_date < 0 ? NULL
                          : north_date_iso(out.projected_date, iso),
                      "status", north_goal_status_name(out.status)));
    }

    json_object_set_new(a->figures, "goals", list);

    return NGX_OK;
}


/*
 * A goal row's progress into in and out (north_goal_read); the monthly
 * amount it plans (to its target date, else its recent pace); -2 when the
 * row is not one.
 */

static int64_t
north_ai_goal_monthly(json_t *row, north_goal_in_t *in, north_goal_out_t *out)
{
    if (north_goal_read(row, in, out) != 0) {
        return -2;
    }

    if (out->status == NORTH_GOAL_ACHIEVED) {
        return 0;
    }

    if (out->monthly_cents >= 0) {
        return out->monthly_cents;
    }

    return in->pace_cents > 0 ? in->pace_cents * 30 / in->pace_days : 0;
}


/* registered-account room, as GET /v1/tax/summary computes it */

static ngx_int_t
north_ai_room(ngx_http_request_t *r, north_ai_t *a, json_t *facts)
{
    char               m[NORTH_AI_MONEY_LEN];
    size_t             k;
    json_t            *rooms, *s, *left;
    ngx_int_t          rc;
    north_tax_facts_t  tf;

    static const char *const  kinds[] = { "tfsa", "rrsp", "fhsa" };
    static const char *const  en[] = { "TFSA", "RRSP", "FHSA" };
    static const char *const  fr[] = { "CELI", "REER", "CELIAPP" };

    rc = north_tax_facts_read(r, json_object_get(facts, "tax"), &tf);
    if (rc != NGX_DECLINED) {
        return NGX_ERROR;
    }

    rooms = north_tax_rooms(r, &tf);
    if (rooms == NULL || ngx_http_north_json_keep(r->pool, rooms) != NGX_OK) {
        return NGX_ERROR;
    }

    for (k = 0; k < 3; k++) {
        if (a->q.room && ngx_strcmp(a->q.room, kinds[k]) != 0) {
            continue;
        }

        s = json_object_get(rooms, kinds[k]);
        left = json_object_get(s, "remaining_cents");

        if (json_is_integer(left)) {
            north_ai_say(a, a->q.fr ? "%s%s : %s de droits restants en %d."
                                    : "%s%s: %s of room left in %d.",
                         a->len ? " " : "", a->q.fr ? fr[k] : en[k],
                         north_ai_money(a, json_integer_value(left), m),
                         tf.year);

        } else if (json_is_null(s)) {
            north_ai_say(a, a->q.fr ? "%sVous n'avez pas de %s."
                                    : "%sYou have no %s.",
                         a->len ? " " : "", a->q.fr ? fr[k] : en[k]);

        } else {
            north_ai_say(a, a->q.fr ? "%s%s : ajoutez à votre profil fiscal "
                                      "les données de votre avis de "
                                      "cotisation pour voir vos droits."
                                    : "%s%s: add your notice of assessment's "
                                      "figures to your tax profile to see "
                                      "your room.",
                         a->len ? " " : "", a->q.fr ? fr[k] : en[k]);
        }

        json_object_set(a->figures, kinds[k], s ? s : json_null());
    }

    json_object_set_new(a->figures, "year", json_integer(tf.year));

    return NGX_OK;
}


/*
 * Affordability: the liquid balance projected with and without the
 * purchase, against a buffer (a month of essential spending unless the
 * caller set one); what it would cost each goal if savings covered it.
 */

static ngx_int_t
north_ai_afford(ngx_http_request_t *r, north_ai_t *a, json_t *facts)
{
    char                 m1[NORTH_AI_MONEY_LEN], m2[NORTH_AI_MONEY_LEN];
    char                 d1[64], d2[64], iso[16], iso2[16], line[512];
    size_t               i;
    json_t              *found, *liquid, *row, *goals;
    int64_t              monthly, delay, goals_cents, projected;
    const char          *name;
    north_goal_in_t      gin;
    north_goal_out_t     gout;
    north_insights_t    *in;
    north_afford_in_t    ain;
    north_afford_out_t   out;

    in = ngx_palloc(r->pool, sizeof(north_insights_t));
    if (in == NULL) {
        return NGX_ERROR;
    }

    found = north_insights_findings(r, json_object_get(facts, "insights"),
                                    in);
    if (found == NULL) {
        return NGX_ERROR;
    }

    json_decref(found);

    liquid = json_object_get(in->facts, "liquid");

    /* the goals' planned contributions, a month */
    goals_cents = 0;

    json_array_foreach(json_object_get(facts, "goals"), i, row) {
        monthly = north_ai_goal_monthly(row, &gin, &gout);
        goals_cents += monthly > 0 ? monthly : 0;
    }

    ngx_memzero(&ain, sizeof(north_afford_in_t));
    ain.today = in->today;
    ain.balance_cents = json_integer_value(json_array_get(liquid, 1));
    ain.buffer_cents = a->buffer_cents >= 0
                       ? a->buffer_cents
                       : json_integer_value(json_object_get(facts,
                                                            "essential_cents"));
    ain.flows = in->flows;
    ain.nflows = in->nflows;
    ain.goals_cents = goals_cents;
    ain.amount_cents = a->q.amount_cents;
    ain.date = a->q.date >= 0 ? a->q.date : in->today;
    ain.monthly = a->q.monthly;

    if (north_afford(&ain, &out) != 0) {
        return NGX_DECLINED;            /* a date out of range */
    }

    a->q.date = ain.date;

    north_ai_money(a, ain.amount_cents, m1);
    north_ai_day(a, ain.date, d1);

    if (a->q.monthly) {
        snprintf(line, sizeof(line), a->q.fr ? "%s par mois dès le %s"
                                             : "%s a month from %s", m1, d1);
    } else {
        snprintf(line, sizeof(line), a->q.fr ? "%s le %s" : "%s on %s",
                 m1, d1);
    }

    switch (out.verdict) {

    case NORTH_AFFORD_YES:
        north_ai_say(a, a->q.fr ? "Oui : avec %s, votre solde le plus bas "
                                  "serait de %s le %s, au-dessus de votre "
                                  "coussin de %s."
                                : "Yes: with %s, your lowest balance would "
                                  "be %s on %s, above your %s buffer.",
                     line, north_ai_money(a, out.lowest_with_cents, m2),
                     north_ai_day(a, out.lowest_with_day, d2),
                     north_ai_money(a, ain.buffer_cents, m1));
        break;

    case NORTH_AFFORD_TIGHT:
        north_ai_say(a, a->q.fr ? "C'est serré : avec %s, votre solde "
                                  "descendrait à %s le %s, sous votre "
                                  "coussin de %s."
                                : "It's tight: with %s, your balance would "
                                  "dip to %s on %s, below your %s buffer.",
                     line, north_ai_money(a, out.lowest_with_cents, m2),
                     north_ai_day(a, out.lowest_with_day, d2),
                     north_ai_money(a, ain.buffer_cents, m1));
        break;

    default:
        north_ai_say(a, a->q.fr ? "Non : avec %s, votre solde passerait "
                                  "sous zéro, à %s le %s."
                                : "No: with %s, your balance would go below "
                                  "zero, to %s on %s.",
                     line, north_ai_money(a, out.lowest_with_cents, m2),
                     north_ai_day(a, out.lowest_with_day, d2));
    }

    /* the reasons, each a figure of the projection */
    a->reasons = json_array();
    if (a->reasons == NULL
        || ngx_http_north_json_keep(r->pool, a->reasons) != NGX_OK)
    {
        return NGX_ERROR;
    }

#define reason(en_, fr_, ...)                                                 \
    snprintf(line, sizeof(line), a->q.fr ? fr_ : en_, __VA_ARGS__);           \
    json_array_append_new(a->reasons, json_string(line))

    reason("Liquid balance today (chequing and savings): %s.",
           "Solde liquide aujourd'hui (chèques et épargne) : %s.",
           north_ai_money(a, ain.balance_cents, m1));
    reason("Expected income until %s: %s; expected bills: %s.",
           "Revenus prévus jusqu'au %s : %s ; factures prévues : %s.",
           north_ai_day(a, out.horizon, d1),
           north_ai_money(a, out.income_cents, m1),
           north_ai_money(a, out.bills_cents, m2));
    reason("Planned goal contributions: %s a month.",
           "Cotisations prévues à vos objectifs : %s par mois.",
           north_ai_money(a, goals_cents, m1));
    reason("Without it, the lowest point is %s on %s.",
           "Sans cet achat, le point le plus bas est %s le %s.",
           north_ai_money(a, out.lowest_cents, m1),
           north_ai_day(a, out.lowest_day, d1));
    reason(a->buffer_cents >= 0 ? "Buffer: %s, as asked."
                                : "Buffer: %s, a month of essential spending.",
           a->buffer_cents >= 0 ? "Coussin : %s, comme demandé."
                                : "Coussin : %s, un mois de dépenses "
                                  "essentielles.",
           north_ai_money(a, ain.buffer_cents, m1));

    /* what covering the dip from savings would cost each goal */
    goals = json_array();

    json_array_foreach(json_object_get(facts, "goals"), i, row) {
        if (north_ai_goal_monthly(row, &gin, &gout) < -1
            || gout.status == NORTH_GOAL_ACHIEVED)
        {
            continue;
        }

        name = json_string_value(json_object_get(json_array_get(row, 0),
                                                 "name"));
        delay = north_afford_delay(out.shortfall_cents, ain.monthly,
                                   gin.pace_cents, gin.pace_days,
                                   gout.remaining_cents);
        projected = gout.projected_date;

        if (delay > 0) {
            reason("%s would come %lld days later if savings covered it.",
                   "%s serait atteint %lld jours plus tard si l'épargne le "
                   "couvrait.", name, (long long) delay);
        } else if (delay < 0 && out.shortfall_cents > 0) {
            reason("%s would stop progressing if savings covered it.",
                   "%s cesserait d'avancer si l'épargne le couvrait.", name);
        }

        json_array_append_new(goals,
            json_pack("{s:O, s:s?, s:s?, s:o, s:s?}",
                      "goal_id", json_object_get(json_array_get(row, 0), "id"),
                      "name", name,
                      "projected_date", projected < 0 ? NULL
                          : north_date_iso(projected, iso),
                      "delay_days", delay < 0 ? json_null()
                                              : json_integer(delay),
                      "projected_date_with",
                      projected < 0 || delay < 0 ? NULL
                          : north_date_iso(projected + delay, iso2)));
    }

#undef reason

    json_object_set_new(a->figures, "verdict",
                        json_string(north_afford_verdict_name(out.verdict)));
    json_object_set_new(a->figures, "amount_cents",
                        json_integer(ain.amount_cents));
    json_object_set_new(a->figures, "date",
                        json_string(north_date_iso(ain.date, iso)));
    json_object_set_new(a->figures, "recurring",
                        json_string(ain.monthly ? "monthly" : "none"));
    json_object_set_new(a->figures, "balance_cents",
                        json_integer(ain.balance_cents));
    json_object_set_new(a->figures, "buffer_cents",
                        json_integer(ain.buffer_cents));
    json_object_set_new(a->figures, "lowest_balance_cents",
                        json_integer(out.lowest_with_cents));
    json_object_set_new(a->figures, "lowest_balance_date",
                        json_string(north_date_iso(out.lowest_with_day, iso)));
    json_object_set_new(a->figures, "lowest_without_cents",
                        json_integer(out.lowest_cents));
    json_object_set_new(a->figures, "lowest_without_date",
                        json_string(north_date_iso(out.lowest_day, iso)));
    json_object_set_new(a->figures, "end_balance_cents",
                        json_integer(out.end_with_cents));
    json_object_set_new(a->figures, "projected_to",
                        json_string(north_date_iso(out.horizon, iso)));
    json_object_set_new(a->figures, "income_cents",
                        json_integer(out.income_cents));
    json_object_set_new(a->figures, "bills_cents",
                        json_integer(out.bills_cents));
    json_object_set_new(a->figures, "goal_contributions_cents",
                        json_integer(goals_cents));
    json_object_set_new(a->figures, "shortfall_cents",
                        json_integer(out.shortfall_cents));
    json_object_set_new(a->figures, "goals", goals);

    return NGX_OK;
}


json_t *
north_ai_examples(ngx_uint_t fr)
{
    return fr ? json_pack("[s, s, s]",
                          "Combien j'ai dépensé en épicerie le mois dernier ?",
                          "Quelle est ma valeur nette ?",
                          "Puis-je me permettre un voyage de 1 500 $ en mars ?")
              : json_pack("[s, s, s]",
                          "How much did I spend on groceries last month?",
                          "What's my net worth?",
                          "Can I afford a $1,500 trip in March?");
}


/* " on Groceries and Restaurants at Costco with Visa Infinite" */

static void
north_ai_subject(north_ai_t *a)
{
    char                     name[NORTH_AI_NAME_MAX];
    size_t                   k;
    const north_category_t  *c;

    static const char *const  kinds_en[] = {
        "chequing accounts", "savings accounts", "credit cards",
        "lines of credit", "mortgages", "loans", "TFSAs", "RRSPs", "FHSAs",
        "investment accounts"
    };

    static const char *const  kinds_fr[] = {
        "comptes chèques", "comptes épargne", "cartes de crédit",
        "marges de crédit", "hypothèques", "prêts", "CELI", "REER",
        "CELIAPP", "comptes de placement"
    };

    for (k = 0; k < a->q.ncategories; k++) {
        c = north_category_find(a->q.categories[k]);

        north_ai_say(a, "%s%s",
                     k == 0 ? (a->q.fr ? " en " : " on ")
                     : k + 1 == a->q.ncategories ? (a->q.fr ? " et " : " and ")
                     : ", ",
                     a->q.fr ? c->name_fr : c->name_en);
    }

    if (a->q.merchant[0] != '\0') {
        /* the key's words, each capitalised */
        ngx_cpystrn((u_char *) name, (u_char *) a->q.merchant, sizeof(name));

        for (k = 0; name[k]; k++) {
            if (k == 0 || name[k - 1] == ' ') {
                name[k] = (char) ngx_toupper(name[k]);
            }
        }

        north_ai_say(a, a->q.fr ? " chez %s" : " at %s", name);
    }

    if (a->q.account >= 0) {
        north_ai_say(a, a->q.fr ? " avec %s" : " with %s",
                     a->ctx.accounts[a->q.account].name);

    } else if (a->q.account_kind) {
        for (k = 0; north_ai_account_kinds[k]; k++) {
            if (ngx_strcmp(north_ai_account_kinds[k], a->q.account_kind) == 0) {
                north_ai_say(a, a->q.fr ? " avec vos %s" : " with your %s",
                             a->q.fr ? kinds_fr[k] : kinds_en[k]);
            }
        }
    }
}


/* " from October 1, 2026 to October 31, 2026", " on March 2, 2026" */

static void
north_ai_span(north_ai_t *a, int64_t start, int64_t end)
{
    char  d1[64], d2[64];

    if (start == end) {
        north_ai_say(a, a->q.fr ? " le %s" : " on %s",
                     north_ai_day(a, start, d1));
        return;
    }

    north_ai_say(a, a->q.fr ? " du %s au %s" : " from %s to %s",
                 north_ai_day(a, start, d1), north_ai_day(a, end, d2));
}


static void
north_ai_figures_span(north_ai_t *a, const char *start, const char *end,
    int64_t from, int64_t to)
{
    char  iso[16];

    json_object_set_new(a->figures, start,
                        json_string(north_date_iso(from, iso)));
    json_object_set_new(a->figures, end, json_string(north_date_iso(to, iso)));
}


/* appends to the answer: nginx's formats (%s, %L, %uz, %ui, %d) */

static void
north_ai_say(north_ai_t *a, const char *fmt, ...)
{
    u_char   *p;
    va_list   args;

    va_start(args, fmt);
    p = ngx_vslprintf((u_char *) a->answer + a->len,
                      (u_char *) a->answer + NORTH_AI_TEXT_LEN - 1, fmt, args);
    va_end(args);

    a->len = p - (u_char *) a->answer;
    a->answer[a->len] = '\0';
}


static const char *
north_ai_money(north_ai_t *a, int64_t cents, char *buf)
{
    north_money_text(cents, a->q.fr, buf, NORTH_AI_MONEY_LEN);

    return buf;
}


static const char *
north_ai_day(north_ai_t *a, int64_t day, char *buf)
{
    north_date_text(day, a->q.fr, buf, 64);

    return buf;
}
