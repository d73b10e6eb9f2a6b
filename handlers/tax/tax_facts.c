/*
 * The tax service's reading of north.tax_facts: the document into C
 * (tax tables, account limits, movements), and the warnings and amounts
 * the answers write in the request's language.
 */

#include "ngx_north.h"
#include "ngx_north_pg.h"
#include "ngx_north_json.h"
#include "north_check.h"
#include "north_format.h"
#include "north_tax.h"
#include "tax.h"


static int north_tax_table(json_t *j, north_tax_table_t *t);


/*
 * Reads north.tax_facts into tf. NGX_DECLINED to go on; otherwise what to
 * return: a year North has no figures for is a 422.
 */

ngx_int_t
north_tax_facts(ngx_http_request_t *r, PGresult *res, north_tax_facts_t *tf)
{
    size_t         i;
    json_t        *facts, *y;
    ngx_int_t      rc;
    u_char         detail[128], *p;

    facts = ngx_http_north_pg_document(r, res, 0);
    if (facts == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = north_tax_facts_read(r, facts, tf);
    if (rc != NGX_DECLINED || tf->known) {
        return rc;
    }

    p = ngx_cpymem(detail, tf->fr ? "North a les chiffres de "
                                  : "North has the figures of ",
                   tf->fr ? sizeof("North a les chiffres de ") - 1
                          : sizeof("North has the figures of ") - 1);

    json_array_foreach(json_object_get(facts, "years"), i, y) {
        if (p < detail + sizeof(detail) - 16) {
            p = ngx_sprintf(p, "%s%L", i ? ", " : "",
                            (int64_t) json_integer_value(y));
        }
    }

    *p = '\0';

    return ngx_http_north_problem(r, NGX_HTTP_NORTH_UNPROCESSABLE,
                                  "unsupported-year",
                                  "No tax figures for that year",
                                  (char *) detail, NULL);
}


ngx_int_t
north_tax_facts_read(ngx_http_request_t *r, json_t *facts,
    north_tax_facts_t *tf)
{
    size_t   i;
    json_t  *y;

    ngx_memzero(tf, sizeof(north_tax_facts_t));

    tf->facts = facts;
    tf->warnings = json_array();

    if (tf->warnings == NULL
        || ngx_http_north_json_keep(r->pool, tf->warnings) != NGX_OK)
    {
        json_decref(tf->warnings);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    tf->pool = r->pool;
    tf->profile = json_object_get(tf->facts, "profile");
    tf->year = (int) north_tax_int(tf->facts, "year");
    tf->fr = ngx_http_north_french(r);

    if (!json_is_object(tf->profile)
        || north_date_parse(json_string_value(json_object_get(tf->facts,
                                                              "today")),
                            &tf->today) != 0)
    {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "north tax: north.tax_facts has no profile or today");
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    json_array_foreach(json_object_get(tf->facts, "years"), i, y) {
        if (json_integer_value(y) == tf->year) {
            tf->known = 1;
        }
    }

    if (tf->known && json_is_object(json_object_get(tf->facts, "provincial"))) {
        if (north_tax_table(json_object_get(tf->facts, "federal"), &tf->fed)
            != 0
            || north_tax_table(json_object_get(tf->facts, "provincial"),
                               &tf->prov) != 0)
        {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "north tax: the figures of %d are not a table",
                          tf->year);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        tf->rules = 1;
    }

    return NGX_DECLINED;
}


/* north.tax_rules_json's shape into t; -1 when it is not one */

static int
north_tax_table(json_t *j, north_tax_table_t *t)
{
    size_t   i;
    json_t  *a, *e;

    ngx_memzero(t, sizeof(north_tax_table_t));

    if (!json_is_object(j)) {
        return -1;
    }

    a = json_object_get(j, "brackets");
    if (!json_is_array(a) || json_array_size(a) > NORTH_TAX_BRACKETS_MAX) {
        return -1;
    }

    json_array_foreach(a, i, e) {
        t->brackets[i].over_cents = json_integer_value(json_array_get(e, 0));
        t->brackets[i].rate_bp = json_integer_value(json_array_get(e, 1));
    }

    t->nbrackets = json_array_size(a);

    a = json_object_get(j, "surtax");
    if (!json_is_array(a) || json_array_size(a) > NORTH_TAX_SURTAX_MAX) {
        return -1;
    }

    json_array_foreach(a, i, e) {
        t->surtax[i].over_cents = json_integer_value(json_array_get(e, 0));
        t->surtax[i].rate_bp = json_integer_value(json_array_get(e, 1));
    }

    t->nsurtax = json_array_size(a);

    a = json_object_get(j, "premium");
    if (!json_is_array(a) || json_array_size(a) > NORTH_TAX_PREMIUM_MAX) {
        return -1;
    }

    json_array_foreach(a, i, e) {
        t->premium[i].over_cents = json_integer_value(json_array_get(e, 0));
        t->premium[i].base_cents = json_integer_value(json_array_get(e, 1));
        t->premium[i].rate_bp = json_integer_value(json_array_get(e, 2));
        t->premium[i].max_cents = json_integer_value(json_array_get(e, 3));
    }

    t->npremium = json_array_size(a);

    t->bpa_cents = north_tax_int(j, "bpa");
    t->bpa_min_cents = north_tax_int(j, "bpa_min");
    t->credit_rate_bp = north_tax_int(j, "credit_rate");
    t->federal_abatement_bp = north_tax_int(j, "abatement");

    a = json_object_get(j, "phase");
    if (json_is_array(a)) {
        t->bpa_phase_from_cents = json_integer_value(json_array_get(a, 0));
        t->bpa_phase_to_cents = json_integer_value(json_array_get(a, 1));
    }

    return north_tax_check(t);
}


/* a registered account's limits and movements into in */

int
north_tax_room_of(north_tax_facts_t *tf, const char *kind,
    north_tax_room_in_t *in)
{
    size_t    i;
    json_t   *limits, *annual;
    int64_t  *a;

    ngx_memzero(in, sizeof(north_tax_room_in_t));

    limits = json_object_get(json_object_get(tf->facts, "limits"), kind);
    annual = json_object_get(limits, "annual");

    if (!json_is_array(annual) || json_array_size(annual) == 0) {
        return -1;
    }

    a = ngx_palloc(tf->pool, json_array_size(annual) * sizeof(int64_t));
    if (a == NULL) {
        return -1;
    }

    for (i = 0; i < json_array_size(annual); i++) {
        a[i] = json_integer_value(json_array_get(annual, i));
    }

    in->limits = a;
    in->nlimits = (int) json_array_size(annual);
    in->limits_from = (int) north_tax_int(limits, "from");
    in->carry_max_cents = north_tax_int(limits, "carry_max");
    in->lifetime_cents = north_tax_int(limits, "lifetime");
    in->year = tf->year;
    in->today = tf->today;

    in->moves = north_tax_moves(tf, kind, &in->nmoves);

    return in->moves == NULL && in->nmoves ? -1 : 0;
}


/* the movements of kind's accounts: [["2026-03-02", cents], ...] */

north_tax_move_t *
north_tax_moves(north_tax_facts_t *tf, const char *kind, size_t *n)
{
    size_t             i;
    json_t            *list, *e;
    north_tax_move_t  *moves;

    list = json_object_get(json_object_get(tf->facts, "moves"), kind);
    *n = json_array_size(list);

    if (*n == 0) {
        return NULL;
    }

    moves = ngx_palloc(tf->pool, *n * sizeof(north_tax_move_t));
    if (moves == NULL) {
        return NULL;
    }

    json_array_foreach(list, i, e) {
        if (north_date_parse(json_string_value(json_array_get(e, 0)),
                             &moves[i].day) != 0)
        {
            return NULL;
        }

        moves[i].cents = json_integer_value(json_array_get(e, 1));
    }

    return moves;
}


/* an integer member, or -1 when absent or null */

json_int_t
north_tax_int(json_t *object, const char *key)
{
    json_t  *v;

    v = json_object_get(object, key);

    return json_is_integer(v) ? json_integer_value(v) : -1;
}


json_int_t
north_tax_accounts(north_tax_facts_t *tf, const char *kind)
{
    json_int_t  n;

    n = north_tax_int(json_object_get(tf->facts, "accounts"), kind);

    return n < 0 ? 0 : n;
}


/* a warning: code, the message in the request's language, its figures */

void
north_tax_warn(north_tax_facts_t *tf, const char *code, json_t *figures,
    const char *en, const char *fr, ...)
{
    char     text[NORTH_TAX_TEXT_LEN];
    va_list  args;

    va_start(args, fr);
    vsnprintf(text, sizeof(text), tf->fr ? fr : en, args);
    va_end(args);

    json_array_append_new(tf->warnings,
                          json_pack("{s:s, s:s, s:o}", "code", code,
                                    "message", text, "figures",
                                    figures ? figures : json_object()));
}


char *
north_tax_money_text(north_tax_facts_t *tf, int64_t cents, char *buf)
{
    north_money_text(cents, (int) tf->fr, buf, NORTH_TAX_MONEY_LEN);

    return buf;
}


