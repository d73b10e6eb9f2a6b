/*
 * Analytics API: net worth with its history, spending by category for a
 * period, the category tree and the user's categorisation rules, and the
 * manual assets and liabilities that count in net worth. PostgreSQL
 * renders each answer (the _json functions of sql/functions); this file
 * checks input.
 */

#include "ngx_north.h"
#include "ngx_north_pg.h"
#include "ngx_north_cache.h"
#include "ngx_north_json.h"
#include "ngx_north_jwt.h"
#include "ngx_north_jobs.h"
#include "north_check.h"
#include "north_category.h"


/* no one keeps more than this many houses, cars and loans by hand */
#define NORTH_ANALYTICS_MANUAL_MAX  "100"

#define NORTH_ANALYTICS_CENTS_MAX   100000000000000LL    /* $1 trillion */


static ngx_int_t north_analytics_net_worth(ngx_http_request_t *r);
static ngx_int_t north_analytics_spending(ngx_http_request_t *r);
static ngx_int_t north_analytics_categories(ngx_http_request_t *r);
static ngx_int_t north_analytics_rules(ngx_http_request_t *r);
static ngx_int_t north_analytics_rule(ngx_http_request_t *r);
static ngx_int_t north_analytics_rule_deleted(ngx_http_request_t *r,
    void *data, PGresult *res, ngx_int_t status);
static ngx_int_t north_analytics_manual_items(ngx_http_request_t *r);
static ngx_int_t north_analytics_manual_create(ngx_http_request_t *r,
    json_t *body);
static ngx_int_t north_analytics_manual_created(ngx_http_request_t *r,
    void *data, PGresult *res, ngx_int_t status);
static ngx_int_t north_analytics_manual_item(ngx_http_request_t *r);
static ngx_int_t north_analytics_manual_update(ngx_http_request_t *r,
    json_t *body);
static ngx_int_t north_analytics_manual_done(ngx_http_request_t *r,
    void *data, PGresult *res, ngx_int_t status);
static ngx_int_t north_analytics_written(ngx_http_request_t *r,
    ngx_uint_t status, PGresult *res);
static ngx_int_t north_analytics_manual_fields(ngx_http_request_t *r,
    json_t *body, ngx_uint_t create);
static ngx_int_t north_analytics_item_query(ngx_http_request_t *r,
    ngx_http_north_pg_stmt_t *stmt, const char *json,
    ngx_http_north_pg_done_pt done);
static ngx_int_t north_analytics_choice(ngx_http_request_t *r,
    ngx_http_north_fields_t *f, const char *name, const char *const *allowed,
    const char *message, const char **value);
static ngx_int_t north_analytics_not_found(ngx_http_request_t *r,
    const char *what);


/* the first of each is the default */
static const char *const  north_analytics_ranges[] = {
    "1m", "3m", "1y", "all", NULL
};

static const char *const  north_analytics_periods[] = {
    "month", "week", "year", NULL
};

static const char *const  north_analytics_manual_types[] = {
    "real_estate", "vehicle", "cash", "investment", "valuables",
    "other_asset", "mortgage", "loan", "line_of_credit", "credit_card",
    "other_liability", NULL
};

static const char *const  north_analytics_currencies[] = {
    "CAD", "USD", NULL
};


static ngx_http_north_pg_stmt_t  north_analytics_net_worth_stmt =
    ngx_http_north_pg_stmt("north_analytics_net_worth",
        "select north.net_worth_json($1, $2)::text", 2, 1);

static ngx_http_north_pg_stmt_t  north_analytics_spending_stmt =
    ngx_http_north_pg_stmt("north_analytics_spending",
        "select north.spending_json($1, $2,"
        " coalesce($3::date, north.user_today($1)), $4::boolean)::text", 4, 1);

static ngx_http_north_pg_stmt_t  north_analytics_categories_stmt =
    ngx_http_north_pg_stmt("north_analytics_categories",
        "select north.categories_json($1::boolean)::text", 1, 1);

static ngx_http_north_pg_stmt_t  north_analytics_rules_stmt =
    ngx_http_north_pg_stmt("north_analytics_rules",
        "select north.category_user_rules_json($1)::text", 1, 1);

static ngx_http_north_pg_stmt_t  north_analytics_rule_delete_stmt =
    ngx_http_north_pg_stmt("north_analytics_rule_delete",
        "select north.category_rule_delete($1, $2::uuid)", 2, 1);

#define NORTH_ANALYTICS_KIND                                                  \
    "case when $3::jsonb->>'type' in ('mortgage', 'loan', 'line_of_credit',"  \
    " 'credit_card', 'other_liability') then 'liability' else 'asset' end"

static ngx_http_north_pg_stmt_t  north_analytics_manual_list_stmt =
    ngx_http_north_pg_stmt("north_analytics_manual_list",
        "select json_build_object('items', coalesce(json_agg("
        " north.manual_item_json(m) order by m.created_at, m.id), '[]'))::text"
        " from north.manual_items m where m.user_id = $1", 1, 1);

static ngx_http_north_pg_stmt_t  north_analytics_manual_create_stmt =
    ngx_http_north_pg_stmt_rows("north_analytics_manual_create",
        "insert into north.manual_items as m (user_id, name, kind, type,"
        " value_cents, currency, notes)"
        " select $1, $3::jsonb->>'name', " NORTH_ANALYTICS_KIND ","
        " $3::jsonb->>'type', ($3::jsonb->>'value_cents')::bigint,"
        " coalesce($3::jsonb->>'currency', 'CAD'), $3::jsonb->>'notes'"
        " where $2::uuid is null and (select count(*) from north.manual_items"
        "       where user_id = $1) < " NORTH_ANALYTICS_MANUAL_MAX
        " returning north.manual_item_json(m)::text", 3, 1);

static ngx_http_north_pg_stmt_t  north_analytics_manual_get_stmt =
    ngx_http_north_pg_stmt_rows("north_analytics_manual_get",
        "select north.manual_item_json(m)::text from north.manual_items m"
        " where m.user_id = $1 and m.id = $2::uuid", 2, 1);

static ngx_http_north_pg_stmt_t  north_analytics_manual_update_stmt =
    ngx_http_north_pg_stmt_rows("north_analytics_manual_update",
        "update north.manual_items m set"
        " name = coalesce($3::jsonb->>'name', m.name),"
        " type = coalesce($3::jsonb->>'type', m.type),"
        " kind = case when $3::jsonb ? 'type' then " NORTH_ANALYTICS_KIND
        "        else m.kind end,"
        " value_cents = coalesce(($3::jsonb->>'value_cents')::bigint,"
        "                        m.value_cents),"
        " currency = coalesce($3::jsonb->>'currency', m.currency),"
        " notes = case when $3::jsonb ? 'notes' then $3::jsonb->>'notes'"
        "         else m.notes end,"
        " updated_at = now()"
        " where m.user_id = $1 and m.id = $2::uuid"
        " returning north.manual_item_json(m)::text", 3, 1);

static ngx_http_north_pg_stmt_t  north_analytics_manual_delete_stmt =
    ngx_http_north_pg_stmt_rows("north_analytics_manual_delete",
        "delete from north.manual_items m"
        " where m.user_id = $1 and m.id = $2::uuid returning null", 2, 1);


/* GET /v1/analytics/net-worth?range=1m|3m|1y|all */

static ngx_int_t
north_analytics_net_worth(ngx_http_request_t *r)
{
    time_t                      tm;
    ngx_tm_t                    gmt;
    ngx_str_t                   name;
    const char                 *range, *values[2];
    ngx_http_north_fields_t     f;
    ngx_http_north_identity_t  *id;

    id = ngx_http_north_jwt_identity(r);

    if (id == NULL || ngx_http_north_fields_init(&f, r, NULL) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (north_analytics_choice(r, &f, "range", north_analytics_ranges,
                               "must be 1m, 3m, 1y or all", &range)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_north_fields_failed(&f)) {
        return ngx_http_north_fields_problem(r, &f);
    }

    /* the entry of a range and of a day: a new day adds a point */
    tm = ngx_cached_time->sec;
    ngx_gmtime(tm, &gmt);

    name.data = ngx_pnalloc(r->pool, sizeof("net-worth::YYYY-MM-DD")
                                     + ngx_strlen(range));
    if (name.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    name.len = ngx_sprintf(name.data, "net-worth:%s:%4d-%02d-%02d%Z", range,
                           gmt.ngx_tm_year, gmt.ngx_tm_mon, gmt.ngx_tm_mday)
               - name.data - 1;

    values[0] = (char *) id->user_id.data;
    values[1] = range;

    return ngx_http_north_cache_json(r, &id->user_id, &name,
                                     &north_analytics_net_worth_stmt, values);
}


/* GET /v1/analytics/spending?period=week|month|year&date=YYYY-MM-DD */

static ngx_int_t
north_analytics_spending(ngx_http_request_t *r)
{
    int64_t                     day;
    ngx_int_t                   rc;
    ngx_str_t                   date;
    const char                 *values[4];
    ngx_http_north_fields_t     f;

    values[0] = ngx_http_north_caller(r);

    if (values[0] == NULL
        || ngx_http_north_fields_init(&f, r, NULL) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (north_analytics_choice(r, &f, "period", north_analytics_periods,
                               "must be week, month or year", &values[1])
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* the user's today when absent */
    rc = ngx_http_north_arg(r, "date", &date);
    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    values[2] = rc == NGX_OK ? (char *) date.data : NULL;

    if (rc == NGX_OK && north_date_parse(values[2], &day) != 0) {
        ngx_http_north_fields_error(&f, "date", "must be a date (YYYY-MM-DD)");
    }

    if (ngx_http_north_fields_failed(&f)) {
        return ngx_http_north_fields_problem(r, &f);
    }

    values[3] = ngx_http_north_french(r) ? "true" : "false";

    return ngx_http_north_pg_query(r, &north_analytics_spending_stmt,
                                   values, ngx_http_north_pg_json_done, NULL);
}


/* GET /v1/categories: the tree, in the request's language */

static ngx_int_t
north_analytics_categories(ngx_http_request_t *r)
{
    const char  *values[1];

    values[0] = ngx_http_north_french(r) ? "true" : "false";

    return ngx_http_north_pg_query(r, &north_analytics_categories_stmt,
                                   values, ngx_http_north_pg_json_done, NULL);
}


/* GET /v1/categories/rules */

static ngx_int_t
north_analytics_rules(ngx_http_request_t *r)
{
    const char                 *values[1];

    values[0] = ngx_http_north_caller(r);
    if (values[0] == NULL) {
        return NGX_HTTP_UNAUTHORIZED;
    }

    return ngx_http_north_pg_query(r, &north_analytics_rules_stmt, values,
                                   ngx_http_north_pg_json_done, NULL);
}


/* DELETE /v1/categories/rules/{id}: its transactions categorised again */

static ngx_int_t
north_analytics_rule(ngx_http_request_t *r)
{
    ngx_int_t  rc;

    rc = ngx_http_north_pg_query_path(r, 0, &north_analytics_rule_delete_stmt,
                                      NULL, north_analytics_rule_deleted,
                                      NULL);

    return rc == NGX_DECLINED ? north_analytics_not_found(r, "no such rule")
                              : rc;
}


static ngx_int_t
north_analytics_rule_deleted(ngx_http_request_t *r, void *data,
    PGresult *res, ngx_int_t status)
{
    if (PQgetisnull(res, 0, 0)) {
        return north_analytics_not_found(r, "no such rule");
    }

    return ngx_http_north_json_send_text(r, NGX_HTTP_NO_CONTENT, NULL, 0);
}


/* GET, POST /v1/analytics/manual-items */

static ngx_int_t
north_analytics_manual_items(ngx_http_request_t *r)
{
    const char                 *values[1];

    if (r->method == NGX_HTTP_POST) {
        return ngx_http_north_json_read(r, north_analytics_manual_create);
    }

    values[0] = ngx_http_north_caller(r);
    if (values[0] == NULL) {
        return NGX_HTTP_UNAUTHORIZED;
    }

    return ngx_http_north_pg_query(r, &north_analytics_manual_list_stmt,
                                   values, ngx_http_north_pg_json_done, NULL);
}


static ngx_int_t
north_analytics_manual_create(ngx_http_request_t *r, json_t *body)
{
    ngx_int_t                   rc;
    const char                 *values[3];

    values[0] = ngx_http_north_caller(r);
    if (values[0] == NULL) {
        return NGX_HTTP_UNAUTHORIZED;
    }

    rc = north_analytics_manual_fields(r, body, 1);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    values[1] = NULL;
    values[2] = ngx_http_north_json_text(r->pool, body);
    if (values[2] == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_north_pg_query(r, &north_analytics_manual_create_stmt,
                                   values, north_analytics_manual_created,
                                   NULL);
}


static ngx_int_t
north_analytics_manual_created(ngx_http_request_t *r, void *data,
    PGresult *res, ngx_int_t status)
{
    if (PQntuples(res) == 0) {
        return ngx_http_north_problem(r, NGX_HTTP_CONFLICT, "too-many-items",
                                      "Too many manual items",
                                      "at most " NORTH_ANALYTICS_MANUAL_MAX
                                      " assets and liabilities are kept by "
                                      "hand", NULL);
    }

    return north_analytics_written(r, NGX_HTTP_CREATED, res);
}


/* GET, PATCH, DELETE /v1/analytics/manual-items/{id} */

static ngx_int_t
north_analytics_manual_item(ngx_http_request_t *r)
{
    switch (r->method) {

    case NGX_HTTP_PATCH:
        return ngx_http_north_json_read(r, north_analytics_manual_update);

    case NGX_HTTP_DELETE:
        return north_analytics_item_query(r,
                                          &north_analytics_manual_delete_stmt,
                                          NULL, north_analytics_manual_done);

    default:
        return north_analytics_item_query(r, &north_analytics_manual_get_stmt,
                                          NULL, north_analytics_manual_done);
    }
}


static ngx_int_t
north_analytics_manual_update(ngx_http_request_t *r, json_t *body)
{
    char       *json;
    ngx_int_t   rc;

    rc = north_analytics_manual_fields(r, body, 0);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    json = ngx_http_north_json_text(r->pool, body);
    if (json == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return north_analytics_item_query(r, &north_analytics_manual_update_stmt,
                                      json, north_analytics_manual_done);
}


/* the item's JSON (GET, PATCH), a null (DELETE), or no row: 404 */
static ngx_int_t
north_analytics_manual_done(ngx_http_request_t *r, void *data,
    PGresult *res, ngx_int_t status)
{
    if (PQntuples(res) == 0) {
        return north_analytics_not_found(r, "no such manual item");
    }

    if (r->method == NGX_HTTP_GET) {
        return ngx_http_north_pg_json(r, NGX_HTTP_OK, res, 0);
    }

    return north_analytics_written(r, PQgetisnull(res, 0, 0)
                                      ? NGX_HTTP_NO_CONTENT : NGX_HTTP_OK,
                                   res);
}


/*
 * A manual item written (its JSON in res, none for a 204): answered once
 * the user's cached net worth is stale.
 */
static ngx_int_t
north_analytics_written(ngx_http_request_t *r, ngx_uint_t status,
    PGresult *res)
{
    ngx_str_t  text;

    ngx_str_null(&text);

    if (status != NGX_HTTP_NO_CONTENT
        && ngx_http_north_pg_copy(r, res, 0, &text) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_north_cache_send(r,
                                     &ngx_http_north_jwt_identity(r)->user_id,
                                     status, text.data, text.len);
}


/*
 * A manual item's members: all of them to create, any of them to change.
 * NGX_DECLINED when they are fine, else the problem sent.
 */
static ngx_int_t
north_analytics_manual_fields(ngx_http_request_t *r, json_t *body,
    ngx_uint_t create)
{
    json_int_t               cents;
    ngx_http_north_fields_t  f;

    static const char *const  fields[] = {
        "name", "type", "value_cents", "currency", "notes", NULL
    };

    if (ngx_http_north_fields_init(&f, r, body) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_north_fields_only(&f, fields);
    (void) ngx_http_north_field_string(&f, "name", create, 1, 100, NULL);
    (void) ngx_http_north_field_enum(&f, "type", create,
                                     north_analytics_manual_types);
    (void) ngx_http_north_field_integer(&f, "value_cents", create, 0,
                                        NORTH_ANALYTICS_CENTS_MAX, &cents);
    (void) ngx_http_north_field_enum(&f, "currency", 0,
                                     north_analytics_currencies);

    if (!json_is_null(json_object_get(body, "notes"))) {
        (void) ngx_http_north_field_string(&f, "notes", 0, 0, 1000, NULL);
    }

    if (!create && json_object_size(body) == 0) {
        ngx_http_north_fields_error(&f, "name",
                                    "name, type, value_cents, currency or "
                                    "notes is required");
    }

    if (ngx_http_north_fields_failed(&f)) {
        return ngx_http_north_fields_problem(r, &f);
    }

    return NGX_DECLINED;
}


/* stmt with the caller, the item the URI names and json; 404 for a bad id */
static ngx_int_t
north_analytics_item_query(ngx_http_request_t *r,
    ngx_http_north_pg_stmt_t *stmt, const char *json,
    ngx_http_north_pg_done_pt done)
{
    ngx_int_t  rc;

    rc = ngx_http_north_pg_query_path(r, 0, stmt, json, done, NULL);

    return rc == NGX_DECLINED
           ? north_analytics_not_found(r, "no such manual item") : rc;
}


/*
 * Query argument name, one of allowed (the first when it is absent), else
 * an error in f. NGX_ERROR only without memory.
 */
static ngx_int_t
north_analytics_choice(ngx_http_request_t *r, ngx_http_north_fields_t *f,
    const char *name, const char *const *allowed, const char *message,
    const char **value)
{
    ngx_int_t           rc;
    ngx_str_t           arg;
    const char *const  *a;

    rc = ngx_http_north_arg(r, name, &arg);

    if (rc != NGX_OK) {
        *value = allowed[0];
        return rc == NGX_DECLINED ? NGX_OK : NGX_ERROR;
    }

    for (a = allowed; *a; a++) {
        if (ngx_strcmp(arg.data, *a) == 0) {
            *value = *a;
            return NGX_OK;
        }
    }

    ngx_http_north_fields_error(f, name, message);

    return NGX_OK;
}


static ngx_int_t
north_analytics_not_found(ngx_http_request_t *r, const char *what)
{
    return ngx_http_north_problem(r, NGX_HTTP_NOT_FOUND, "not-found",
                                  "Not found", what, NULL);
}


/* what the user holds here, for the export and the erasure */

/* keyed by source and day: "uuid/YYYY-MM-DD" */
static ngx_http_north_pg_stmt_t  north_analytics_export_snapshots =
    ngx_http_north_pg_stmt_rows("north_analytics_export_snapshots",
        "select s.source_id::text || '/' || s.day::text,"
        " north.json_times(to_jsonb(s))::text"
        " from north.balance_snapshots s"
        " where s.user_id = $1 and ($2::text is null"
        "   or (s.source_id, s.day) > (split_part($2, '/', 1)::uuid,"
        "                              split_part($2, '/', 2)::date))"
        " order by s.source_id, s.day limit $3::int", 3, 2);

static ngx_http_north_pg_stmt_t  north_analytics_erase_snapshots =
    ngx_http_north_pg_stmt("north_analytics_erase_snapshots",
        "delete from north.balance_snapshots where user_id = $1", 1, 0);


ngx_http_north_privacy_part_t  north_analytics_privacy[] = {
    ngx_http_north_privacy_table("category_rules", "north.category_user_rules",
                                 "id", "uuid"),
    ngx_http_north_privacy_table("manual_items", "north.manual_items",
                                 "id", "uuid"),
    { "balance_snapshots", "north.balance_snapshots",
      &north_analytics_export_snapshots, &north_analytics_erase_snapshots },
    { NULL, NULL, NULL, NULL }
};


ngx_http_north_route_t  north_analytics_routes[] = {

    { ngx_string("analytics.net_worth"), NGX_HTTP_GET,
      north_analytics_net_worth },

    { ngx_string("analytics.spending"), NGX_HTTP_GET,
      north_analytics_spending },

    { ngx_string("analytics.categories"), NGX_HTTP_GET,
      north_analytics_categories },

    { ngx_string("analytics.rules"), NGX_HTTP_GET, north_analytics_rules },

    { ngx_string("analytics.rule"), NGX_HTTP_DELETE, north_analytics_rule },

    { ngx_string("analytics.manual_items"), NGX_HTTP_GET|NGX_HTTP_POST,
      north_analytics_manual_items },

    { ngx_string("analytics.manual_item"),
      NGX_HTTP_GET|NGX_HTTP_PATCH|NGX_HTTP_DELETE,
      north_analytics_manual_item },

    { ngx_null_string, 0, NULL }
};
