/*
 * Insights API: findings about the user's own spending, each with the
 * figures it stands on, in the user's language: a category unusually high
 * this month or last, recurring charges and subscriptions (a price
 * increase, an end), the month's pace, and the next 30 days of cash.
 * PostgreSQL gathers the facts (north.insights_facts, one statement); the
 * arithmetic is north_insights.c's. Only dismissals are stored.
 */

#include "ngx_north.h"
#include "ngx_north_pg.h"
#include "ngx_north_json.h"
#include "ngx_north_jwt.h"
#include "ngx_north_jobs.h"
#include "north_check.h"
#include "north_format.h"
#include "north_insights.h"
#include "insights.h"


#define NORTH_INSIGHTS_MONTHS        7       /* this month and six before */
#define NORTH_INSIGHTS_MIN_CENTS     5000    /* $50: less is noise */
#define NORTH_INSIGHTS_PACE_PCT      10      /* off pace by 10% ... */
#define NORTH_INSIGHTS_ENDED_DAYS    90      /* an end shown this long */
#define NORTH_INSIGHTS_RAISE_DAYS    120     /* an increase shown this long */
#define NORTH_INSIGHTS_FORECAST_DAYS 30
#define NORTH_INSIGHTS_GROUPS_MAX    8
#define NORTH_INSIGHTS_CHARGES_MAX   64



/* a category's spending this month and the six before (ago 0..6) */
typedef struct {
    const char                  *category;
    int64_t                      spent[NORTH_INSIGHTS_MONTHS];
    int64_t                      to_day[NORTH_INSIGHTS_MONTHS];
} north_insights_months_t;

typedef enum {
    NORTH_INSIGHTS_WARNING = 0,
    NORTH_INSIGHTS_NOTICE,
    NORTH_INSIGHTS_INFO
} north_insights_severity_e;


static ngx_int_t north_insights_list(ngx_http_request_t *r);
static ngx_int_t north_insights_listed(ngx_http_request_t *r, void *data,
    PGresult *res, ngx_int_t status);
static ngx_int_t north_insights_dismiss(ngx_http_request_t *r);
static ngx_int_t north_insights_dismissing(ngx_http_request_t *r,
    void *data, PGresult *res, ngx_int_t status);
static ngx_int_t north_insights_dismissed(ngx_http_request_t *r,
    void *data, PGresult *res, ngx_int_t status);
static ngx_int_t north_insights_query(ngx_http_request_t *r,
    ngx_http_north_pg_done_pt done, void *data);
static json_t *north_insights_find(ngx_http_request_t *r, PGresult *res,
    north_insights_t *in);
static void north_insights_unusual(north_insights_t *in);
static void north_insights_unusual_one(north_insights_t *in,
    const char *category, const int64_t *values, int months,
    ngx_uint_t closed);
static void north_insights_recurrences(north_insights_t *in);
static void north_insights_series(north_insights_t *in, json_t *s);
static void north_insights_charge(north_insights_t *in, json_t *s,
    size_t group, const north_insights_recurring_t *rc);
static void north_insights_pace(north_insights_t *in);
static void north_insights_cash(north_insights_t *in);
static int north_insights_history(north_insights_t *in);
static void north_insights_add(north_insights_t *in,
    north_insights_severity_e severity, const char *kind,
    const char *subject, int64_t magnitude, json_t *figures,
    const char *title, const char *body);
static const char *north_insights_category(north_insights_t *in,
    const char *id);
static char *north_insights_date(north_insights_t *in, int64_t day,
    char *buf);
static ngx_uint_t north_insights_changed(int64_t before, int64_t now);
static ngx_int_t north_insights_not_found(ngx_http_request_t *r);


static const char *const  north_insights_severities[] = {
    "warning", "notice", "info"
};


static ngx_http_north_pg_stmt_t  north_insights_facts_stmt =
    ngx_http_north_pg_stmt("north_insights_facts",
        "select north.insights_facts($1)::text", 1, 1);

static ngx_http_north_pg_stmt_t  north_insights_dismiss_stmt =
    ngx_http_north_pg_stmt("north_insights_dismiss",
        "select north.insight_dismiss($1, $2, $3::bigint)", 3, 1);


/* GET /v1/insights */

static ngx_int_t
north_insights_list(ngx_http_request_t *r)
{
    return north_insights_query(r, north_insights_listed, NULL);
}


static ngx_int_t
north_insights_listed(ngx_http_request_t *r, void *data, PGresult *res,
    ngx_int_t status)
{
    u_char             as_of[16];
    json_t            *list, *dismissed, *e, *answer;
    size_t             i;
    north_insights_t  *in;

    in = ngx_palloc(r->pool, sizeof(north_insights_t));
    if (in == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    list = north_insights_find(r, res, in);
    if (list == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* a dismissed finding stays hidden until it changes materially */
    dismissed = json_object_get(in->facts, "dismissed");
    answer = json_array();

    json_array_foreach(list, i, e) {
        json_t  *was;

        was = json_object_get(dismissed,
                              json_string_value(json_object_get(e, "id")));

        if (was == NULL
            || north_insights_changed(json_integer_value(was),
                                      json_integer_value(
                                          json_object_get(e, "magnitude"))))
        {
            json_object_del(e, "magnitude");
            json_array_append(answer, e);
        }
    }

    json_decref(list);

    ngx_sprintf(as_of, "%s%Z",
                json_string_value(json_object_get(in->facts, "today")));

    return ngx_http_north_json_send(r, NGX_HTTP_OK,
                                    json_pack("{s:s, s:o}",
                                              "as_of", (char *) as_of,
                                              "insights", answer));
}


/* POST /v1/insights/{id}/dismiss */

static ngx_int_t
north_insights_dismiss(ngx_http_request_t *r)
{
    ngx_int_t   rc;
    ngx_str_t   id;
    ngx_uint_t  i;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    ngx_http_north_path_segment(r, 1, &id);

    /* the shape north_insights_id writes: kind-16 hex digits */
    if (id.len < 18 || id.len >= NORTH_INSIGHTS_ID_LEN
        || id.data[id.len - 17] != '-')
    {
        return north_insights_not_found(r);
    }

    for (i = 0; i < id.len; i++) {
        if (!((id.data[i] >= 'a' && id.data[i] <= 'z') || id.data[i] == '-'
              || (i >= id.len - 16 && id.data[i] >= '0' && id.data[i] <= '9')))
        {
            return north_insights_not_found(r);
        }
    }

    return north_insights_query(r, north_insights_dismissing,
                                ngx_http_north_strdup(r->pool, &id));
}


static ngx_int_t
north_insights_dismissing(ngx_http_request_t *r, void *data, PGresult *res,
    ngx_int_t status)
{
    u_char            *m;
    json_t            *list, *e;
    size_t             i;
    const char        *id = data;
    north_insights_t  *in;

    struct {
        const char  *user, *id, *magnitude;
    } p;

    in = ngx_palloc(r->pool, sizeof(north_insights_t));
    m = ngx_pnalloc(r->pool, NGX_INT64_LEN + 1);

    if (id == NULL || in == NULL || m == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    list = north_insights_find(r, res, in);
    if (list == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p.magnitude = NULL;

    json_array_foreach(list, i, e) {
        if (ngx_strcmp(json_string_value(json_object_get(e, "id")), id) == 0) {
            ngx_sprintf(m, "%L%Z", (int64_t) json_integer_value(
                                       json_object_get(e, "magnitude")));
            p.magnitude = (char *) m;
            break;
        }
    }

    json_decref(list);

    if (p.magnitude == NULL) {
        return north_insights_not_found(r);
    }

    p.user = ngx_http_north_caller(r);
    p.id = id;

    return ngx_http_north_pg_query_named(r, &north_insights_dismiss_stmt, &p,
                                         north_insights_dismissed, NULL);
}


static ngx_int_t
north_insights_dismissed(ngx_http_request_t *r, void *data, PGresult *res,
    ngx_int_t status)
{
    return ngx_http_north_json_send_text(r, NGX_HTTP_NO_CONTENT, NULL, 0);
}


static ngx_int_t
north_insights_query(ngx_http_request_t *r, ngx_http_north_pg_done_pt done,
    void *data)
{
    const char  *values[1];

    values[0] = ngx_http_north_caller(r);
    if (values[0] == NULL) {
        return NGX_HTTP_UNAUTHORIZED;
    }

    return ngx_http_north_pg_query(r, &north_insights_facts_stmt, values,
                                   done, data);
}


/* the facts of res, kept by the pool, and what is found in them */

static json_t *
north_insights_find(ngx_http_request_t *r, PGresult *res,
    north_insights_t *in)
{
    json_t  *facts;

    facts = ngx_http_north_pg_document(r, res, 0);

    return facts ? north_insights_findings(r, facts, in) : NULL;
}


/*
 * Everything found in north.insights_facts's document, most severe first,
 * each with its "magnitude" (what a dismissal remembers); NULL on failure.
 */

json_t *
north_insights_findings(ngx_http_request_t *r, json_t *facts,
    north_insights_t *in)
{
    size_t   i;
    json_t  *all;

    ngx_memzero(in, sizeof(north_insights_t));

    in->facts = facts;
    in->fr = ngx_http_north_french(r);
    in->since = -1;

    if (north_date_parse(json_string_value(json_object_get(in->facts,
                                                           "today")),
                         &in->today) != 0)
    {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "north insights: the facts have no today");
        return NULL;
    }

    if (json_is_string(json_object_get(in->facts, "since"))
        && north_date_parse(json_string_value(json_object_get(in->facts,
                                                              "since")),
                            &in->since) != 0)
    {
        in->since = -1;
    }

    for (i = 0; i < 3; i++) {
        in->found[i] = json_array();
    }

    north_insights_unusual(in);
    north_insights_recurrences(in);
    north_insights_pace(in);
    north_insights_cash(in);

    all = in->found[0];

    for (i = 1; i < 3; i++) {
        json_array_extend(all, in->found[i]);
        json_decref(in->found[i]);
    }

    return all;
}


/*
 * Unusual spending: each category this month so far against the same days
 * of the months before, and last month whole against the months before
 * it. Only months after the first transaction's count.
 */

static void
north_insights_unusual(north_insights_t *in)
{
    int                       ago, months;
    size_t                    i, j, n, ncat;
    json_t                   *rows, *row;
    const char               *cat;
    north_insights_months_t  *m;

    rows = json_object_get(in->facts, "months");
    n = json_array_size(rows);
    months = north_insights_history(in);

    if (months < 3 || n == 0) {
        return;
    }

    m = calloc(n, sizeof(north_insights_months_t));
    if (m == NULL) {
        return;
    }

    /* one m for each category, in the order they first come */
    ncat = 0;

    for (i = 0; i < n; i++) {
        row = json_array_get(rows, i);
        cat = json_string_value(json_array_get(row, 0));

        for (j = 0; j < ncat && ngx_strcmp(cat, m[j].category) != 0; j++) {
            /* void */
        }

        if (j == ncat) {
            m[ncat++].category = cat;
        }

        ago = (int) json_integer_value(json_array_get(row, 1));

        if (ago >= 0 && ago < NORTH_INSIGHTS_MONTHS) {
            m[j].spent[ago] = json_integer_value(json_array_get(row, 2));
            m[j].to_day[ago] = json_integer_value(json_array_get(row, 3));
        }
    }

    for (j = 0; j < ncat; j++) {
        north_insights_unusual_one(in, m[j].category, m[j].to_day, months, 0);

        if (months >= 4) {
            north_insights_unusual_one(in, m[j].category, m[j].spent + 1,
                                       months - 1, 1);
        }
    }

    free(m);
}


/* values[0] against values[1..months]: this month so far, or a closed one */

static void
north_insights_unusual_one(north_insights_t *in, const char *category,
    const int64_t *values, int months, ngx_uint_t closed)
{
    int                       y;
    char                      subject[96], title[NORTH_INSIGHTS_TEXT_LEN];
    char                      body[NORTH_INSIGHTS_TEXT_LEN];
    char                      a[NORTH_INSIGHTS_MONEY_LEN];
    char                      b[NORTH_INSIGHTS_MONEY_LEN];
    unsigned                  mo, d;
    const char               *name;
    north_insights_anomaly_t  an;

    static const char *const  en[] = {
        "January", "February", "March", "April", "May", "June", "July",
        "August", "September", "October", "November", "December"
    };

    static const char *const  fr[] = {
        "janvier", "février", "mars", "avril", "mai", "juin", "juillet",
        "août", "septembre", "octobre", "novembre", "décembre"
    };

    if (north_insights_anomaly(values + 1, months, values[0],
                               NORTH_INSIGHTS_MIN_CENTS, &an) != 0
        || !an.unusual)
    {
        return;
    }

    north_date_civil(in->today, &y, &mo, &d);

    if (closed) {
        mo = mo == 1 ? 12 : mo - 1;
        y = mo == 12 ? y - 1 : y;
    }

    snprintf(subject, sizeof(subject), "%s:%04d-%02u:%s", category, y, mo,
             closed ? "month" : "so-far");

    name = north_insights_category(in, category);

    snprintf(title, sizeof(title),
             in->fr ? "%s : plus que d'habitude" : "%s: more than usual",
             name);

    if (closed) {
        snprintf(body, sizeof(body),
                 in->fr ? "En %s, vous avez dépensé %s en %s, contre %s "
                          "d'habitude par mois."
                        : "In %s you spent %s on %s, against a typical %s "
                          "a month.",
                 in->fr ? fr[mo - 1] : en[mo - 1],
                 north_insights_money(in, values[0], a), name,
                 north_insights_money(in, an.median_cents, b));

    } else {
        snprintf(body, sizeof(body),
                 in->fr ? "Vous avez dépensé %s en %s jusqu'ici ce mois-ci, "
                          "contre %s d'habitude à cette date."
                        : "You have spent %s on %s so far this month, "
                          "against a typical %s by this day.",
                 north_insights_money(in, values[0], a), name,
                 north_insights_money(in, an.median_cents, b));
    }

    north_insights_add(in,
                       values[0] >= 2 * an.median_cents
                       ? NORTH_INSIGHTS_WARNING : NORTH_INSIGHTS_NOTICE,
                       "unusual-spending", subject, values[0],
                       json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:i}",
                                 "category", category,
                                 "period", closed ? "last_month" : "so_far",
                                 "amount_cents", values[0],
                                 "typical_cents", an.median_cents,
                                 "deviation_cents", an.mad_cents,
                                 "threshold_cents", an.threshold_cents,
                                 "months_compared", months),
                       title, body);
}


/* how many whole months of history there are before this one, up to 6 */

static int
north_insights_history(north_insights_t *in)
{
    int       y, sy, n;
    unsigned  m, sm, d;

    if (in->since < 0) {
        return 0;
    }

    north_date_civil(in->today, &y, &m, &d);
    north_date_civil(in->since, &sy, &sm, &d);

    /* the first month counts only when it began on its first day */
    n = (y * 12 + (int) m) - (sy * 12 + (int) sm) - (d > 1);

    return n < 0 ? 0 : n > NORTH_INSIGHTS_MONTHS - 1
                   ? NORTH_INSIGHTS_MONTHS - 1 : n;
}


/* recurring charges and income, by merchant and groups of like amounts */

static void
north_insights_recurrences(north_insights_t *in)
{
    size_t   i;
    json_t  *s;

    json_array_foreach(json_object_get(in->facts, "series"), i, s) {
        north_insights_series(in, s);
    }
}


static void
north_insights_series(north_insights_t *in, json_t *s)
{
    int                         y;
    size_t                      i, n, g, ngroups, starts[NORTH_INSIGHTS_GROUPS_MAX];
    json_t                     *list, *e;
    unsigned                    m, d;
    north_insights_charge_t     c[NORTH_INSIGHTS_CHARGES_MAX];
    north_insights_recurring_t  rc;

    list = json_array_get(s, 4);
    n = 0;

    json_array_foreach(list, i, e) {
        if (n == NORTH_INSIGHTS_CHARGES_MAX
            || north_date_parse(json_string_value(json_array_get(e, 0)),
                                &c[n].day) != 0)
        {
            continue;
        }

        c[n++].cents = json_integer_value(json_array_get(e, 1));
    }

    ngroups = north_insights_groups(c, n, starts, NORTH_INSIGHTS_GROUPS_MAX);

    for (g = 0; g < ngroups; g++) {
        i = (g + 1 < ngroups ? starts[g + 1] : n) - starts[g];

        if (north_insights_recurring(&c[starts[g]], i, in->today, &rc) != 0) {
            continue;
        }

        if (!rc.ended && in->nflows < NORTH_INSIGHTS_FLOWS_MAX) {
            north_date_civil(rc.last_day, &y, &m, &d);
            in->flows[in->nflows].period = rc.period;
            in->flows[in->nflows].next_day = rc.next_day;
            in->flows[in->nflows].day_of_month = d;
            in->flows[in->nflows].cents = json_is_true(json_array_get(s, 1))
                                          ? rc.amount_cents
                                          : -rc.amount_cents;
            in->nflows++;
        }

        if (!json_is_true(json_array_get(s, 1))) {
            north_insights_charge(in, s, g, &rc);
        }
    }
}


/* a recurring charge, and its price increase */

static void
north_insights_charge(north_insights_t *in, json_t *s, size_t group,
    const north_insights_recurring_t *rc)
{
    char         subject[160], title[NORTH_INSIGHTS_TEXT_LEN];
    char         body[NORTH_INSIGHTS_TEXT_LEN];
    char         a[NORTH_INSIGHTS_MONEY_LEN], b[NORTH_INSIGHTS_MONEY_LEN];
    char         c[NORTH_INSIGHTS_MONEY_LEN];
    char         next[64], last[64], when[64], next_iso[16], last_iso[16];
    int64_t      per_year;
    const char  *label, *period;

    static const char *const  fr_periods[] = {
        "", "par semaine", "aux deux semaines", "par mois", "par année"
    };

    static const char *const  en_periods[] = {
        "", "weekly", "every two weeks", "monthly", "yearly"
    };

    static const int  per[] = { 0, 52, 26, 12, 1 };

    if (rc->ended && in->today > rc->next_day + NORTH_INSIGHTS_ENDED_DAYS) {
        return;
    }

    label = json_string_value(json_array_get(s, 2));
    period = in->fr ? fr_periods[rc->period] : en_periods[rc->period];

    snprintf(subject, sizeof(subject), "%s:%zu",
             json_string_value(json_array_get(s, 0)), group);

    snprintf(title, sizeof(title), in->fr ? "%s : %s %s" : "%s: %s %s",
             label, north_insights_money(in, rc->amount_cents, a), period);

    north_insights_date(in, rc->next_day, next);
    north_insights_date(in, rc->last_day, last);

    if (rc->ended) {
        snprintf(body, sizeof(body),
                 in->fr ? "Aucun prélèvement depuis le %s : il semble avoir "
                          "pris fin."
                        : "No charge since %s: it seems to have ended.",
                 last);

    } else {
        snprintf(body, sizeof(body),
                 in->fr ? "Prochain prélèvement prévu vers le %s."
                        : "Next expected around %s.",
                 next);
    }

    north_insights_add(in, NORTH_INSIGHTS_INFO, "recurring-charge", subject,
                       rc->amount_cents,
                       json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:I, s:s?}",
                                 "merchant", label,
                                 "category",
                                 json_string_value(json_array_get(s, 3)),
                                 "period",
                                 north_insights_period_name(rc->period),
                                 "amount_cents", rc->amount_cents,
                                 "last_date", north_date_iso(rc->last_day,
                                                                 last_iso),
                                 "status", rc->ended ? "ended" : "active",
                                 "count", (json_int_t) rc->count,
                                 "next_date",
                                 rc->ended ? NULL
                                 : north_date_iso(rc->next_day,
                                                      next_iso)),
                       title, body);

    if (rc->increase_day < 0 || rc->ended
        || in->today > rc->increase_day + NORTH_INSIGHTS_RAISE_DAYS)
    {
        return;
    }

    per_year = (rc->amount_cents - rc->previous_cents) * per[rc->period];

    snprintf(subject, sizeof(subject), "%s:%zu:%lld",
             json_string_value(json_array_get(s, 0)), group,
             (long long) rc->increase_day);

    snprintf(title, sizeof(title),
             in->fr ? "%s passe à %s" : "%s went up to %s", label,
             north_insights_money(in, rc->amount_cents, a));

    snprintf(body, sizeof(body),
             in->fr ? "C'était %s jusqu'au %s : %s de plus par année."
                    : "It was %s until %s: %s more a year.",
             north_insights_money(in, rc->previous_cents, b),
             north_insights_date(in, rc->increase_day - 1, when),
             north_insights_money(in, per_year, c));

    north_insights_add(in, NORTH_INSIGHTS_NOTICE, "price-increase", subject,
                       rc->amount_cents,
                       json_pack("{s:s, s:I, s:I, s:I, s:s}",
                                 "merchant", label,
                                 "previous_cents", rc->previous_cents,
                                 "amount_cents", rc->amount_cents,
                                 "yearly_increase_cents", per_year,
                                 "period",
                                 north_insights_period_name(rc->period)),
                       title, body);
}


/* the month's spending so far against the same days of earlier months */

static void
north_insights_pace(north_insights_t *in)
{
    int                       ago, months, y;
    char                      subject[16], body[NORTH_INSIGHTS_TEXT_LEN];
    char                      a[NORTH_INSIGHTS_MONEY_LEN];
    char                      b[NORTH_INSIGHTS_MONEY_LEN];
    char                      c[NORTH_INSIGHTS_MONEY_LEN];
    size_t                    i;
    json_t                   *row;
    int64_t                   to_day[NORTH_INSIGHTS_MONTHS];
    int64_t                   spent[NORTH_INSIGHTS_MONTHS];
    int64_t                   typical, whole;
    unsigned                  m, d;
    const char               *title, *state;
    north_insights_severity_e  severity;

    months = north_insights_history(in);
    if (months < 3) {
        return;
    }

    ngx_memzero(to_day, sizeof(to_day));
    ngx_memzero(spent, sizeof(spent));

    json_array_foreach(json_object_get(in->facts, "months"), i, row) {
        ago = (int) json_integer_value(json_array_get(row, 1));

        if (ago >= 0 && ago < NORTH_INSIGHTS_MONTHS) {
            spent[ago] += json_integer_value(json_array_get(row, 2));
            to_day[ago] += json_integer_value(json_array_get(row, 3));
        }
    }

    typical = north_insights_median(to_day + 1, months);
    whole = north_insights_median(spent + 1, months);

    if (to_day[0] * 100 > typical * (100 + NORTH_INSIGHTS_PACE_PCT)
        && to_day[0] - typical >= NORTH_INSIGHTS_MIN_CENTS)
    {
        state = "ahead";
        severity = NORTH_INSIGHTS_NOTICE;
        title = in->fr ? "Vous dépensez plus vite que d'habitude ce mois-ci"
                       : "You are spending faster than usual this month";

    } else if (to_day[0] * 100 < typical * (100 - NORTH_INSIGHTS_PACE_PCT)
               && typical - to_day[0] >= NORTH_INSIGHTS_MIN_CENTS)
    {
        state = "behind";
        severity = NORTH_INSIGHTS_INFO;
        title = in->fr ? "Vous dépensez moins que d'habitude ce mois-ci"
                       : "You are spending less than usual this month";

    } else {
        state = "on_pace";
        severity = NORTH_INSIGHTS_INFO;
        title = in->fr ? "Vos dépenses suivent leur rythme habituel"
                       : "Your spending is on its usual pace";
    }

    north_date_civil(in->today, &y, &m, &d);
    snprintf(subject, sizeof(subject), "%04d-%02u", y, m);

    snprintf(body, sizeof(body),
             in->fr ? "%s jusqu'ici, contre %s d'habitude à cette date et "
                      "%s pour un mois entier."
                    : "%s so far, against a typical %s by this day and %s "
                      "in a whole month.",
             north_insights_money(in, to_day[0], a),
             north_insights_money(in, typical, b),
             north_insights_money(in, whole, c));

    north_insights_add(in, severity, "month-pace", subject, to_day[0],
                       json_pack("{s:s, s:I, s:I, s:I, s:i, s:i}",
                                 "state", state,
                                 "so_far_cents", to_day[0],
                                 "typical_so_far_cents", typical,
                                 "typical_month_cents", whole,
                                 "day", (int) d,
                                 "months_compared", months),
                       title, body);
}


/* the next 30 days of cash from the liquid balance and what recurs */

static void
north_insights_cash(north_insights_t *in)
{
    char                       body[NORTH_INSIGHTS_TEXT_LEN];
    char                       a[NORTH_INSIGHTS_MONEY_LEN];
    char                       b[NORTH_INSIGHTS_MONEY_LEN];
    char                       c[NORTH_INSIGHTS_MONEY_LEN];
    char                       e[NORTH_INSIGHTS_MONEY_LEN];
    char                       f[NORTH_INSIGHTS_MONEY_LEN];
    char                       low[64], end[64], iso[16];
    json_t                    *liquid;
    int64_t                    balance;
    north_insights_forecast_t  fc;

    liquid = json_object_get(in->facts, "liquid");

    if (json_integer_value(json_array_get(liquid, 0)) == 0) {
        return;
    }

    balance = json_integer_value(json_array_get(liquid, 1));

    north_insights_forecast(balance, in->today, NORTH_INSIGHTS_FORECAST_DAYS,
                            in->flows, in->nflows, &fc);

    north_insights_date(in, fc.lowest_day, low);
    north_insights_date(in, in->today + NORTH_INSIGHTS_FORECAST_DAYS, end);

    snprintf(body, sizeof(body),
             in->fr ? "De %s aujourd'hui, les revenus prévus de %s et les "
                      "factures de %s laissent environ %s le %s ; le point "
                      "le plus bas est %s le %s."
                    : "From %s today, expected income of %s and bills of "
                      "%s leave about %s on %s; the lowest point is %s on "
                      "%s.",
             north_insights_money(in, balance, a),
             north_insights_money(in, fc.in_cents, b),
             north_insights_money(in, fc.out_cents, c),
             north_insights_money(in, fc.end_cents, e), end,
             north_insights_money(in, fc.lowest_cents, f), low);

    north_insights_add(in,
                       fc.lowest_cents < 0 ? NORTH_INSIGHTS_WARNING
                                           : NORTH_INSIGHTS_INFO,
                       "cash-flow", "next-30-days", fc.lowest_cents,
                       json_pack("{s:I, s:I, s:I, s:I, s:I, s:s, s:i}",
                                 "balance_cents", balance,
                                 "income_cents", fc.in_cents,
                                 "bills_cents", fc.out_cents,
                                 "end_cents", fc.end_cents,
                                 "lowest_cents", fc.lowest_cents,
                                 "lowest_date",
                                 north_date_iso(fc.lowest_day, iso),
                                 "days", NORTH_INSIGHTS_FORECAST_DAYS),
                       fc.lowest_cents < 0
                       ? (in->fr ? "Votre solde pourrait passer sous zéro"
                                 : "Your balance may go below zero")
                       : (in->fr ? "Votre encaisse des 30 prochains jours"
                                 : "Your cash over the next 30 days"),
                       body);
}


static void
north_insights_add(north_insights_t *in, north_insights_severity_e severity,
    const char *kind, const char *subject, int64_t magnitude, json_t *figures,
    const char *title, const char *body)
{
    char  id[NORTH_INSIGHTS_ID_LEN];

    north_insights_id(kind, subject, id);

    json_array_append_new(in->found[severity],
                          json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:I}",
                                    "id", id, "kind", kind,
                                    "severity",
                                    north_insights_severities[severity],
                                    "title", title, "body", body,
                                    "figures", figures ? figures
                                                       : json_object(),
                                    "magnitude", (json_int_t) magnitude));
}


static const char *
north_insights_category(north_insights_t *in, const char *id)
{
    const char  *name;

    name = json_string_value(json_array_get(
               json_object_get(json_object_get(in->facts, "categories"), id),
               in->fr ? 1 : 0));

    return name ? name : id;
}


char *
north_insights_money(north_insights_t *in, int64_t cents, char *buf)
{
    north_money_text(cents, (int) in->fr, buf, NORTH_INSIGHTS_MONEY_LEN);

    return buf;
}


static char *
north_insights_date(north_insights_t *in, int64_t day, char *buf)
{
    north_date_text(day, (int) in->fr, buf, 64);

    return buf;
}


/* by a quarter, and $10, or more */

static ngx_uint_t
north_insights_changed(int64_t before, int64_t now)
{
    int64_t  d, b;

    d = now > before ? now - before : before - now;
    b = before < 0 ? -before : before;

    return d * 4 > b && d >= 1000;
}


static ngx_int_t
north_insights_not_found(ngx_http_request_t *r)
{
    return ngx_http_north_problem(r, NGX_HTTP_NOT_FOUND, "not-found",
                                  "Not found", "no such insight", NULL);
}


/* what the user holds here, for the export and the erasure */
ngx_http_north_privacy_part_t  north_insights_privacy[] = {
    ngx_http_north_privacy_table("insight_dismissals",
                                 "north.insight_dismissals", "insight_id",
                                 "text"),
    { NULL, NULL, NULL, NULL }
};


ngx_http_north_route_t  north_insights_routes[] = {

    { ngx_string("insights.list"), NGX_HTTP_GET,
      north_insights_list },

    { ngx_string("insights.dismiss"), NGX_HTTP_POST,
      north_insights_dismiss },

    { ngx_null_string, 0, NULL }
};
