/*
 * Recommendations API: ranked next actions built from the insights, the
 * year's tax facts and the goals, each explained with the figures it
 * stands on. Only data under the analytics consent is read; without it the
 * answer is a 403 naming the purpose. Never advice to buy a product.
 * PostgreSQL gathers the facts (north.recommendation_facts, one statement).
 */

#include "ngx_north.h"
#include "ngx_north_pg.h"
#include "ngx_north_json.h"
#include "ngx_north_jwt.h"
#include "ngx_north_jobs.h"
#include "north_check.h"
#include "north_format.h"
#include "north_goal.h"
#include "north_insights.h"
#include "north_tax.h"
#include "insights.h"
#include "tax.h"


#define NORTH_RECS_FUND_MONTHS   3
#define NORTH_RECS_CARD_RATE_BP  2099      /* a common card's 20.99% */
#define NORTH_RECS_RRSP_FROM_BP  3000      /* an RRSP pays from 30% */
#define NORTH_RECS_SNOOZE_DAYS   366


/* what the rules read, once */
typedef struct {
    north_insights_t             in;
    north_tax_facts_t            tf;
    json_t                      *facts;
    json_t                      *found;       /* the insights */
    json_t                      *recs;
    int64_t                      liquid;
    int64_t                      spending;    /* a month's, on average */
    int64_t                      spare;       /* above the fund; >= 0 */
    int64_t                      owed;        /* on credit cards */
} north_recs_t;

/* POST .../dismiss: the id and the day a snooze ends (NULL: for good) */
typedef struct {
    const char                  *id;
    const char                  *until;
} north_recs_dismiss_t;


static ngx_int_t north_recs_list(ngx_http_request_t *r);
static ngx_int_t north_recs_listed(ngx_http_request_t *r, void *data,
    PGresult *res, ngx_int_t status);
static ngx_int_t north_recs_dismiss(ngx_http_request_t *r);
static ngx_int_t north_recs_dismiss_body(ngx_http_request_t *r,
    json_t *body);
static ngx_int_t north_recs_dismiss_run(ngx_http_request_t *r,
    north_recs_dismiss_t *d);
static ngx_int_t north_recs_dismissing(ngx_http_request_t *r, void *data,
    PGresult *res, ngx_int_t status);
static ngx_int_t north_recs_dismissed(ngx_http_request_t *r, void *data,
    PGresult *res, ngx_int_t status);
static ngx_int_t north_recs_build(ngx_http_request_t *r, PGresult *res,
    north_recs_t *rc);
static void north_recs_fund(north_recs_t *rc);
static void north_recs_cards(north_recs_t *rc);
static void north_recs_tfsa(north_recs_t *rc);
static void north_recs_rrsp(north_recs_t *rc);
static void north_recs_subscriptions(north_recs_t *rc);
static void north_recs_goals(north_recs_t *rc);
static void north_recs_add(north_recs_t *rc, const char *rule,
    const char *subject, int score, json_t *figures, const char *title,
    const char *why, const char *action);
static char *north_recs_rate(north_recs_t *rc, int32_t bp, char *buf);
static int north_recs_by_score(const void *a, const void *b);
static ngx_int_t north_recs_consent(ngx_http_request_t *r);


static ngx_http_north_pg_stmt_t  north_recs_facts_stmt =
    ngx_http_north_pg_stmt("north_recs_facts",
        "select north.recommendation_facts($1)::text", 1, 1);

static ngx_http_north_pg_stmt_t  north_recs_dismiss_stmt =
    ngx_http_north_pg_stmt("north_recs_dismiss",
        "select north.recommendation_dismiss($1, $2, $3::date)", 3, 1);


/* GET /v1/recommendations */

static ngx_int_t
north_recs_list(ngx_http_request_t *r)
{
    const char  *values[1];

    values[0] = ngx_http_north_caller(r);
    if (values[0] == NULL) {
        return NGX_HTTP_UNAUTHORIZED;
    }

    return ngx_http_north_pg_query(r, &north_recs_facts_stmt, values,
                                   north_recs_listed, NULL);
}


static ngx_int_t
north_recs_listed(ngx_http_request_t *r, void *data, PGresult *res,
    ngx_int_t status)
{
    u_char         as_of[16];
    json_t        *answer, *e, *dismissed, *d;
    size_t         i, j;
    ngx_int_t      rc;
    north_recs_t  *recs;

    recs = ngx_palloc(r->pool, sizeof(north_recs_t));
    if (recs == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = north_recs_build(r, res, recs);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    dismissed = json_object_get(recs->facts, "dismissed");
    answer = json_array();

    json_array_foreach(recs->recs, i, e) {
        json_array_foreach(dismissed, j, d) {
            if (ngx_strcmp(json_string_value(d),
                           json_string_value(json_object_get(e, "id"))) == 0)
            {
                break;
            }
        }

        if (j == json_array_size(dismissed)) {
            json_array_append(answer, e);
        }
    }

    ngx_sprintf(as_of, "%s%Z",
                json_string_value(json_object_get(recs->in.facts, "today")));

    return ngx_http_north_json_send(r, NGX_HTTP_OK,
                                    json_pack("{s:s, s:o}",
                                              "as_of", (char *) as_of,
                                              "recommendations", answer));
}


/* POST /v1/recommendations/{id}/dismiss, no body or {"until": day} */

static ngx_int_t
north_recs_dismiss(ngx_http_request_t *r)
{
    ngx_int_t  rc;

    if (r->headers_in.content_length_n <= 0 && !r->headers_in.chunked) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return north_recs_dismiss_run(r, NULL);
    }

    return ngx_http_north_json_read(r, north_recs_dismiss_body);
}


static ngx_int_t
north_recs_dismiss_body(ngx_http_request_t *r, json_t *body)
{
    int64_t                   day, today;
    ngx_str_t                 until;
    north_recs_dismiss_t     *d;
    ngx_http_north_fields_t   f;

    static const char *const  fields[] = { "until", NULL };

    d = ngx_pcalloc(r->pool, sizeof(north_recs_dismiss_t));

    if (d == NULL || ngx_http_north_fields_init(&f, r, body) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_north_fields_only(&f, fields);

    if (ngx_http_north_field_string(&f, "until", 0, 10, 10, &until)
        == NGX_OK)
    {
        today = ngx_time() / 86400;

        if (north_date_parse((char *) until.data, &day) != 0
            || day <= today || day > today + NORTH_RECS_SNOOZE_DAYS)
        {
            ngx_http_north_fields_error(&f, "until",
                                        "must be a date (YYYY-MM-DD) "
                                        "within the next year");
        }

        d->until = (char *) until.data;
    }

    if (ngx_http_north_fields_failed(&f)) {
        return ngx_http_north_fields_problem(r, &f);
    }

    return north_recs_dismiss_run(r, d);
}


static ngx_int_t
north_recs_dismiss_run(ngx_http_request_t *r, north_recs_dismiss_t *d)
{
    ngx_str_t    id;
    const char  *values[1];

    if (d == NULL) {
        d = ngx_pcalloc(r->pool, sizeof(north_recs_dismiss_t));
        if (d == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    ngx_http_north_path_segment(r, 1, &id);
    d->id = ngx_http_north_strdup(r->pool, &id);
    values[0] = ngx_http_north_caller(r);

    if (d->id == NULL || values[0] == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_north_pg_query(r, &north_recs_facts_stmt, values,
                                   north_recs_dismissing, d);
}


/* a recommendation the user is shown now, or 404 */

static ngx_int_t
north_recs_dismissing(ngx_http_request_t *r, void *data, PGresult *res,
    ngx_int_t status)
{
    json_t                *e;
    size_t                 i;
    ngx_int_t              rc;
    north_recs_t          *recs;
    north_recs_dismiss_t  *d = data;

    struct {
        const char  *user, *id, *until;
    } p;

    recs = ngx_palloc(r->pool, sizeof(north_recs_t));
    if (recs == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = north_recs_build(r, res, recs);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    json_array_foreach(recs->recs, i, e) {
        if (ngx_strcmp(json_string_value(json_object_get(e, "id")), d->id)
            == 0)
        {
            p.user = ngx_http_north_caller(r);
            p.id = d->id;
            p.until = d->until;

            return ngx_http_north_pg_query_named(r, &north_recs_dismiss_stmt,
                                                 &p, north_recs_dismissed,
                                                 NULL);
        }
    }

    return ngx_http_north_problem(r, NGX_HTTP_NOT_FOUND, "not-found",
                                  "Not found", "no such recommendation",
                                  NULL);
}


static ngx_int_t
north_recs_dismissed(ngx_http_request_t *r, void *data, PGresult *res,
    ngx_int_t status)
{
    return ngx_http_north_json_send_text(r, NGX_HTTP_NO_CONTENT, NULL, 0);
}


/*
 * Every recommendation, best first, into rc->recs. NGX_DECLINED to go on;
 * otherwise what to return (403 without the analytics consent).
 */

static ngx_int_t
north_recs_build(ngx_http_request_t *r, PGresult *res, north_recs_t *rc)
{
    int           months, k;
    size_t        i, n;
    json_t       *row, *sorted[64];
    ngx_int_t     rv;

    ngx_memzero(rc, sizeof(north_recs_t));

    rc->facts = ngx_http_north_pg_document(r, res, 0);
    if (rc->facts == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (!json_is_true(json_object_get(rc->facts, "consent"))) {
        return north_recs_consent(r);
    }

    rc->found = north_insights_findings(r, json_object_get(rc->facts,
                                                           "insights"),
                                        &rc->in);
    if (rc->found == NULL
        || ngx_http_north_json_keep(r->pool, rc->found) != NGX_OK)
    {
        json_decref(rc->found);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rv = north_tax_facts_read(r, json_object_get(rc->facts, "tax"), &rc->tf);
    if (rv != NGX_DECLINED) {
        return rv;
    }

    rc->recs = json_array();
    if (rc->recs == NULL
        || ngx_http_north_json_keep(r->pool, rc->recs) != NGX_OK)
    {
        json_decref(rc->recs);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc->liquid = json_integer_value(json_array_get(
                     json_object_get(rc->in.facts, "liquid"), 1));

    /* a month's spending: the mean of the whole months there are */
    months = 0;

    for (k = 1; k < 7; k++) {
        int64_t  spent = 0;

        json_array_foreach(json_object_get(rc->in.facts, "months"), i, row) {
            if (json_integer_value(json_array_get(row, 1)) == k) {
                spent += json_integer_value(json_array_get(row, 2));
            }
        }

        if (spent > 0) {
            rc->spending += spent;
            months++;
        }
    }

    rc->spending = months ? rc->spending / months : 0;

    if (rc->spending > 0
        && rc->liquid > NORTH_RECS_FUND_MONTHS * rc->spending)
    {
        rc->spare = rc->liquid - NORTH_RECS_FUND_MONTHS * rc->spending;
    }

    json_array_foreach(json_object_get(rc->facts, "cards"), i, row) {
        rc->owed += json_integer_value(json_array_get(row, 1));
    }

    north_recs_fund(rc);
    north_recs_cards(rc);
    north_recs_tfsa(rc);
    north_recs_rrsp(rc);
    north_recs_subscriptions(rc);
    north_recs_goals(rc);

    /* best first; equal scores keep the rules' order */
    n = json_array_size(rc->recs);
    if (n > 64) {
        n = 64;
    }

    for (i = 0; i < n; i++) {
        sorted[i] = json_incref(json_array_get(rc->recs, i));
        json_object_set_new(sorted[i], "order", json_integer((json_int_t) i));
    }

    qsort(sorted, n, sizeof(json_t *), north_recs_by_score);
    json_array_clear(rc->recs);

    for (i = 0; i < n; i++) {
        json_object_del(sorted[i], "order");
        json_array_append_new(rc->recs, sorted[i]);
    }

    return NGX_DECLINED;
}


/* liquid savings below three months of spending */

static void
north_recs_fund(north_recs_t *rc)
{
    char     why[NORTH_INSIGHTS_TEXT_LEN], action[NORTH_INSIGHTS_TEXT_LEN];
    char     a[NORTH_INSIGHTS_MONEY_LEN], b[NORTH_INSIGHTS_MONEY_LEN];
    char     c[NORTH_INSIGHTS_MONEY_LEN], d[NORTH_INSIGHTS_MONEY_LEN];
    int64_t  target, tenths, monthly;
    int      fr = (int) rc->in.fr;

    target = NORTH_RECS_FUND_MONTHS * rc->spending;

    if (rc->spending == 0 || rc->liquid >= target) {
        return;
    }

    tenths = rc->liquid > 0 ? rc->liquid * 10 / rc->spending : 0;
    monthly = (target - (rc->liquid > 0 ? rc->liquid : 0) + 11) / 12;

    snprintf(why, sizeof(why),
             fr ? "Vos comptes chèques et d'épargne contiennent %s, soit "
                  "%lld,%lld mois de vos dépenses moyennes de %s par mois. "
                  "Trois mois représentent %s."
                : "Your chequing and savings hold %s: %lld.%lld months of "
                  "your average spending of %s a month. Three months is %s.",
             north_insights_money(&rc->in, rc->liquid, a),
             (long long) (tenths / 10), (long long) (tenths % 10),
             north_insights_money(&rc->in, rc->spending, b),
             north_insights_money(&rc->in, target, c));

    snprintf(action, sizeof(action),
             fr ? "Mettez de côté %s par mois pendant un an."
                : "Set aside %s a month for a year.",
             north_insights_money(&rc->in, monthly, d));

    north_recs_add(rc, "emergency-fund", "fund",
                   60 + (int) (30 * (target - rc->liquid) / target),
                   json_pack("{s:I, s:I, s:I, s:I}",
                             "liquid_cents", rc->liquid,
                             "monthly_spending_cents", rc->spending,
                             "target_cents", target,
                             "monthly_cents", monthly),
                   fr ? "Constituez un fonds d'urgence"
                      : "Build an emergency fund",
                   why, action);
}


/* the card that owes most, before any saving */

static void
north_recs_cards(north_recs_t *rc)
{
    char         why[NORTH_INSIGHTS_TEXT_LEN], action[NORTH_INSIGHTS_TEXT_LEN];
    char         a[NORTH_INSIGHTS_MONEY_LEN], b[NORTH_INSIGHTS_MONEY_LEN];
    char         c[NORTH_INSIGHTS_MONEY_LEN], rate[16];
    json_t      *card;
    int64_t      owed, interest, pay;
    const char  *name;
    int          fr = (int) rc->in.fr;

    card = json_array_get(json_object_get(rc->facts, "cards"), 0);
    if (card == NULL) {
        return;
    }

    name = json_string_value(json_array_get(card, 0));
    owed = json_integer_value(json_array_get(card, 1));
    interest = (owed * NORTH_RECS_CARD_RATE_BP + 5000) / 10000;
    pay = rc->spare < owed ? rc->spare : owed;

    snprintf(why, sizeof(why),
             fr ? "Votre carte %s doit %s. Les cartes de crédit exigent "
                  "souvent environ %s par année (près de %s sur ce solde), "
                  "bien plus que ce que rapporte l'épargne."
                : "Your %s owes %s. Credit cards commonly charge about %s a "
                  "year (about %s on this balance), far more than savings "
                  "earn.",
             name, north_insights_money(&rc->in, owed, a),
             north_recs_rate(rc, NORTH_RECS_CARD_RATE_BP, rate),
             north_insights_money(&rc->in, interest, b));

    if (pay > 0) {
        snprintf(action, sizeof(action),
                 fr ? "Remboursez-en %s maintenant avec l'épargne au-delà de "
                      "votre fonds d'urgence."
                    : "Pay %s of it now from the savings above your "
                      "emergency fund.",
                 north_insights_money(&rc->in, pay, c));

    } else {
        snprintf(action, sizeof(action), "%s",
                 fr ? "Payez plus que le minimum chaque mois avant "
                      "d'épargner davantage."
                    : "Pay more than the minimum each month before saving "
                      "more.");
    }

    north_recs_add(rc, "pay-credit-card", name, pay > 0 ? 85 : 65,
                   json_pack("{s:s, s:I, s:i, s:I, s:I}",
                             "account", name, "balance_cents", owed,
                             "assumed_rate_bp", NORTH_RECS_CARD_RATE_BP,
                             "yearly_interest_cents", interest,
                             "pay_now_cents", pay),
                   fr ? "Remboursez d'abord votre carte de crédit"
                      : "Pay down your credit card first",
                   why, action);
}


/* cash above the fund, no card debt, TFSA room this year */

static void
north_recs_tfsa(north_recs_t *rc)
{
    char     why[NORTH_INSIGHTS_TEXT_LEN], action[NORTH_INSIGHTS_TEXT_LEN];
    char     a[NORTH_INSIGHTS_MONEY_LEN], b[NORTH_INSIGHTS_MONEY_LEN];
    char     c[NORTH_INSIGHTS_MONEY_LEN];
    json_t  *tfsa, *room;
    int64_t  amount;
    int      fr = (int) rc->in.fr;

    if (rc->spare <= 0 || rc->owed > 0 || !rc->tf.known) {
        return;
    }

    tfsa = north_tax_tfsa(&rc->tf);
    room = json_object_get(tfsa, "remaining_cents");

    if (!json_is_integer(room) || json_integer_value(room) <= 0) {
        json_decref(tfsa);
        return;
    }

    amount = rc->spare < json_integer_value(room)
             ? rc->spare : json_integer_value(room);

    snprintf(why, sizeof(why),
             fr ? "Vous détenez %s de plus que trois mois de dépenses, et "
                  "il vous reste %s de droits au CELI cette année."
                : "You hold %s more than three months of spending, and have "
                  "%s of TFSA room left this year.",
             north_insights_money(&rc->in, rc->spare, a),
             north_insights_money(&rc->in, json_integer_value(room), b));

    snprintf(action, sizeof(action),
             fr ? "Versez %s dans votre CELI : sa croissance est libre "
                  "d'impôt."
                : "Move %s to your TFSA: its growth is tax-free.",
             north_insights_money(&rc->in, amount, c));

    north_recs_add(rc, "use-tfsa-room", "tfsa", 55,
                   json_pack("{s:I, s:O, s:I}",
                             "spare_cents", rc->spare,
                             "tfsa_room_cents", room,
                             "amount_cents", amount),
                   fr ? "Utilisez vos droits au CELI"
                      : "Use your TFSA room",
                   why, action);

    json_decref(tfsa);
}


/* RRSP or TFSA, by the marginal rate now */

static void
north_recs_rrsp(north_recs_t *rc)
{
    char        why[NORTH_INSIGHTS_TEXT_LEN], rate[16];
    char        a[NORTH_INSIGHTS_MONEY_LEN];
    int32_t     bp;
    json_int_t  income;
    int         fr = (int) rc->in.fr, rrsp;

    income = north_tax_int(json_object_get(rc->tf.profile, "in_effect"),
                           "annual_income_cents");

    if (!rc->tf.rules || income <= 0) {
        return;
    }

    bp = north_tax_marginal_bp(&rc->tf.fed, &rc->tf.prov, income);
    rrsp = bp >= NORTH_RECS_RRSP_FROM_BP;

    north_recs_rate(rc, bp, rate);

    if (rrsp) {
        snprintf(why, sizeof(why),
                 fr ? "À votre taux marginal de %s, 1 000 $ versés dans un "
                      "REER réduisent l'impôt de cette année d'environ %s. "
                      "Les retraits seront imposés plus tard : le REER "
                      "l'emporte si votre taux à la retraite est plus bas."
                    : "At your marginal rate of %s, $1,000 in an RRSP "
                      "lowers this year's tax by about %s. Withdrawals are "
                      "taxed later: the RRSP wins when your rate in "
                      "retirement is lower.",
                 rate, north_insights_money(&rc->in, (int64_t) bp * 10, a));

    } else {
        snprintf(why, sizeof(why),
                 fr ? "À votre taux marginal de %s, une déduction REER "
                      "rapporte peu maintenant (environ %s par tranche de "
                      "1 000 $) ; un CELI offre la même croissance à l'abri "
                      "de l'impôt, et ses retraits ne sont jamais imposés."
                    : "At your marginal rate of %s, an RRSP deduction saves "
                      "little now (about %s for each $1,000); a TFSA grows "
                      "as tax-free and its withdrawals are never taxed.",
                 rate, north_insights_money(&rc->in, (int64_t) bp * 10, a));
    }

    north_recs_add(rc, "rrsp-or-tfsa", rrsp ? "rrsp" : "tfsa", 45,
                   json_pack("{s:s, s:i, s:I, s:I}",
                             "choice", rrsp ? "rrsp" : "tfsa",
                             "marginal_rate_bp", (int) bp,
                             "refund_per_1000_cents", (json_int_t) bp * 10,
                             "income_cents", income),
                   rrsp ? (fr ? "Un REER convient à votre taux d'imposition"
                              : "An RRSP suits your tax rate")
                        : (fr ? "Un CELI convient à votre taux d'imposition"
                              : "A TFSA suits your tax rate"),
                   why,
                   rrsp ? (fr ? "Privilégiez le REER pour votre épargne "
                                "retraite."
                              : "Favour the RRSP for retirement savings.")
                        : (fr ? "Privilégiez le CELI pour votre épargne "
                                "retraite."
                              : "Favour the TFSA for retirement savings."));
}


/* each subscription whose price rose */

static void
north_recs_subscriptions(north_recs_t *rc)
{
    char         title[NORTH_INSIGHTS_TEXT_LEN];
    char         action[NORTH_INSIGHTS_TEXT_LEN];
    char         a[NORTH_INSIGHTS_MONEY_LEN];
    size_t       i;
    json_t      *e, *fig;
    const char  *name;
    int          fr = (int) rc->in.fr;

    json_array_foreach(rc->found, i, e) {
        if (ngx_strcmp(json_string_value(json_object_get(e, "kind")),
                       "price-increase") != 0)
        {
            continue;
        }

        fig = json_object_get(e, "figures");
        name = json_string_value(json_object_get(fig, "merchant"));

        snprintf(title, sizeof(title), fr ? "Réexaminez %s" : "Review %s",
                 name);
        snprintf(action, sizeof(action),
                 fr ? "Vérifiez si %s vaut encore %s."
                    : "Check whether %s is still worth %s.",
                 name,
                 north_insights_money(&rc->in,
                                      json_integer_value(json_object_get(
                                          fig, "amount_cents")), a));

        north_recs_add(rc, "review-subscription",
                       json_string_value(json_object_get(e, "id")), 40,
                       json_deep_copy(fig), title,
                       json_string_value(json_object_get(e, "body")),
                       action);
    }
}


/* each goal behind schedule, with the monthly amount that catches up */

static void
north_recs_goals(north_recs_t *rc)
{
    char              title[NORTH_INSIGHTS_TEXT_LEN];
    char              why[NORTH_INSIGHTS_TEXT_LEN];
    char              action[NORTH_INSIGHTS_TEXT_LEN];
    char              a[NORTH_INSIGHTS_MONEY_LEN], b[NORTH_INSIGHTS_MONEY_LEN];
    char              when[64];
    size_t            i;
    json_t           *row, *goal;
    const char       *name, *id;
    north_goal_in_t   in;
    north_goal_out_t  out;
    int               fr = (int) rc->in.fr;

    json_array_foreach(json_object_get(rc->facts, "goals"), i, row) {
        goal = json_array_get(row, 0);
        name = json_string_value(json_object_get(goal, "name"));
        id = json_string_value(json_object_get(goal, "id"));

        if (name == NULL || id == NULL
            || north_goal_read(row, &in, &out) != 0
            || out.status != NORTH_GOAL_BEHIND || out.monthly_cents <= 0)
        {
            continue;
        }

        north_date_text(in.target_date, fr, when, sizeof(when));

        snprintf(title, sizeof(title),
                 fr ? "Rattrapez votre objectif %s" : "Catch up on %s", name);
        snprintf(why, sizeof(why),
                 fr ? "%s prend du retard : il reste %s à épargner d'ici le "
                      "%s."
                    : "%s is behind schedule: %s to go by %s.",
                 name, north_insights_money(&rc->in, out.remaining_cents, a),
                 when);
        snprintf(action, sizeof(action),
                 fr ? "Versez-y %s par mois." : "Put %s a month toward it.",
                 north_insights_money(&rc->in, out.monthly_cents, b));

        north_recs_add(rc, "goal-behind", id, 70,
                       json_pack("{s:s, s:I, s:I, s:s}",
                                 "goal_id", id,
                                 "remaining_cents", out.remaining_cents,
                                 "monthly_cents", out.monthly_cents,
                                 "target_date",
                                 json_string_value(json_array_get(row, 4))),
                       title, why, action);
    }
}


static void
north_recs_add(north_recs_t *rc, const char *rule, const char *subject,
    int score, json_t *figures, const char *title, const char *why,
    const char *action)
{
    char  id[NORTH_INSIGHTS_ID_LEN];

    north_insights_id(rule, subject, id);

    json_array_append_new(rc->recs,
                          json_pack("{s:s, s:s, s:i, s:s, s:s, s:s, s:o}",
                                    "id", id, "rule", rule, "score", score,
                                    "title", title, "why", why,
                                    "action", action,
                                    "figures", figures ? figures
                                                       : json_object()));
}


/* 2099 as "20.99%" or "20,99 %" */

static char *
north_recs_rate(north_recs_t *rc, int32_t bp, char *buf)
{
    snprintf(buf, 16, rc->in.fr ? "%d,%02d\xc2\xa0%%" : "%d.%02d%%",
             (int) (bp / 100), (int) (bp % 100));

    return buf;
}


static int
north_recs_by_score(const void *a, const void *b)
{
    json_t      *x = *(json_t *const *) a, *y = *(json_t *const *) b;
    json_int_t   sx, sy;

    sx = json_integer_value(json_object_get(x, "score"));
    sy = json_integer_value(json_object_get(y, "score"));

    if (sx != sy) {
        return sx > sy ? -1 : 1;
    }

    return json_integer_value(json_object_get(x, "order"))
           < json_integer_value(json_object_get(y, "order")) ? -1 : 1;
}


static ngx_int_t
north_recs_consent(ngx_http_request_t *r)
{
    return ngx_http_north_consent_problem(r, "analytics",
                                          "recommendations read your data "
                                          "under the analytics consent: "
                                          "grant it with PUT "
                                          "/v1/privacy/consents/analytics");
}


/* what the user holds here, for the export and the erasure */
ngx_http_north_privacy_part_t  north_recommendations_privacy[] = {
    ngx_http_north_privacy_table("recommendation_dismissals",
                                 "north.recommendation_dismissals",
                                 "recommendation_id", "text"),
    { NULL, NULL, NULL, NULL }
};


ngx_http_north_route_t  north_recommendations_routes[] = {

    { ngx_string("recommendations.list"), NGX_HTTP_GET,
      north_recs_list },

    { ngx_string("recommendations.dismiss"), NGX_HTTP_POST,
      north_recs_dismiss },

    { ngx_null_string, 0, NULL }
};
