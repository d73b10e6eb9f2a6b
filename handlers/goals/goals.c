/*
 * Goals API: savings and debt payoff goals, tracked by a linked account or
 * by contributions. PostgreSQL keeps the goals and sums what was saved
 * (north.goal_rows); progress is computed here by north_goal.c, and the
 * milestones it finds reached are recorded once each before the answer.
 */

#include "ngx_north.h"
#include "ngx_north_pg.h"
#include "ngx_north_json.h"
#include "ngx_north_jwt.h"
#include "ngx_north_jobs.h"
#include "north_check.h"
#include "north_format.h"
#include "north_goal.h"


#define NORTH_GOALS_CENTS_MAX  100000000000000LL        /* $1 trillion */


/* what a request answers with once its goals are read */
typedef struct {
    ngx_uint_t                   status;      /* 200 or 201 */
    ngx_uint_t                   one;         /* a goal, not a list */
    json_t                      *answer;
} north_goals_ctx_t;


static ngx_int_t north_goals_list(ngx_http_request_t *r);
static ngx_int_t north_goals_create(ngx_http_request_t *r, json_t *body);
static ngx_int_t north_goals_created(ngx_http_request_t *r, void *data,
    PGresult *res, ngx_int_t status);
static ngx_int_t north_goals_goal(ngx_http_request_t *r);
static ngx_int_t north_goals_update(ngx_http_request_t *r, json_t *body);
static ngx_int_t north_goals_updated(ngx_http_request_t *r, void *data,
    PGresult *res, ngx_int_t status);
static ngx_int_t north_goals_deleted(ngx_http_request_t *r, void *data,
    PGresult *res, ngx_int_t status);
static ngx_int_t north_goals_contribution(ngx_http_request_t *r);
static ngx_int_t north_goals_contribute(ngx_http_request_t *r,
    json_t *body);
static ngx_int_t north_goals_contributed(ngx_http_request_t *r, void *data,
    PGresult *res, ngx_int_t status);
static void north_goals_date_field(ngx_http_north_fields_t *f,
    const char *name);
static ngx_int_t north_goals_read(ngx_http_request_t *r, const char *goal,
    ngx_uint_t status);
static ngx_int_t north_goals_rows(ngx_http_request_t *r, void *data,
    PGresult *res, ngx_int_t status);
static json_t *north_goals_progress(ngx_http_request_t *r, PGresult *res,
    int row, json_t *ids, json_t *pcts);
static char *north_goals_array(ngx_pool_t *pool, json_t *a);
static ngx_int_t north_goals_recorded(ngx_http_request_t *r, void *data,
    PGresult *res, ngx_int_t status);
static ngx_int_t north_goals_send(ngx_http_request_t *r,
    north_goals_ctx_t *ctx);
static json_t *north_goals_date(int64_t days);
static ngx_int_t north_goals_query(ngx_http_request_t *r,
    ngx_uint_t from_end, ngx_http_north_pg_stmt_t *stmt, const char *extra,
    ngx_http_north_pg_done_pt done);
static ngx_int_t north_goals_not_found(ngx_http_request_t *r);


static const char *const  north_goals_kinds[] = {
    "savings", "debt_payoff", NULL
};

static const char *const  north_goals_purposes[] = {
    "emergency_fund", "vacation", "down_payment", "retirement", "education",
    "car", "wedding", "home_renovation", "credit_card", "student_loan",
    "loan", "line_of_credit", "mortgage", "other", NULL
};


static ngx_http_north_pg_stmt_t  north_goals_rows_stmt =
    ngx_http_north_pg_stmt_rows("north_goals_rows",
        "select goal::text, saved, target, today, target_date, pace,"
        " pace_days, milestones::text"
        " from north.goal_rows($1, $2::uuid)", 2, 8);

static ngx_http_north_pg_stmt_t  north_goals_create_stmt =
    ngx_http_north_pg_stmt("north_goals_create",
        "select status, id from north.goal_create($1, $2::jsonb)", 2, 2);

static ngx_http_north_pg_stmt_t  north_goals_update_stmt =
    ngx_http_north_pg_stmt("north_goals_update",
        "select north.goal_update($1, $2::uuid, $3::jsonb)", 3, 1);

static ngx_http_north_pg_stmt_t  north_goals_delete_stmt =
    ngx_http_north_pg_stmt_rows("north_goals_delete",
        "delete from north.goals where user_id = $1 and id = $2::uuid"
        " returning id", 2, 1);

static ngx_http_north_pg_stmt_t  north_goals_contribute_stmt =
    ngx_http_north_pg_stmt("north_goals_contribute",
        "select status, id from north.goal_contribute($1, $2::uuid,"
        " ($3::jsonb->>'amount_cents')::bigint, ($3::jsonb->>'date')::date,"
        " $3::jsonb->>'note')", 3, 2);

static ngx_http_north_pg_stmt_t  north_goals_record_stmt =
    ngx_http_north_pg_stmt("north_goals_record",
        "select north.goal_milestones_record($1, $2::uuid[], $3::int[])", 3, 1);


/* GET, POST /v1/goals */

static ngx_int_t
north_goals_list(ngx_http_request_t *r)
{
    if (r->method == NGX_HTTP_POST) {
        return ngx_http_north_json_read(r, north_goals_create);
    }

    return north_goals_read(r, NULL, NGX_HTTP_OK);
}


static ngx_int_t
north_goals_create(ngx_http_request_t *r, json_t *body)
{
    json_int_t                  cents;
    const char                 *kind, *account, *values[2];
    ngx_http_north_fields_t     f;

    static const char *const  fields[] = {
        "name", "kind", "purpose", "target_cents", "target_date",
        "account_id", NULL
    };

    values[0] = ngx_http_north_caller(r);

    if (values[0] == NULL
        || ngx_http_north_fields_init(&f, r, body) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_north_fields_only(&f, fields);
    (void) ngx_http_north_field_string(&f, "name", 1, 1, 100, NULL);
    kind = ngx_http_north_field_enum(&f, "kind", 1, north_goals_kinds);
    (void) ngx_http_north_field_enum(&f, "purpose", 0, north_goals_purposes);
    account = ngx_http_north_field_uuid(&f, "account_id", 0);

    /* a debt on an account is, by default, what it owes today */
    (void) ngx_http_north_field_integer(&f, "target_cents",
                                        kind == NULL
                                        || ngx_strcmp(kind, "savings") == 0
                                        || account == NULL,
                                        1, NORTH_GOALS_CENTS_MAX, &cents);

    north_goals_date_field(&f, "target_date");

    if (ngx_http_north_fields_failed(&f)) {
        return ngx_http_north_fields_problem(r, &f);
    }

    values[1] = ngx_http_north_json_text(r->pool, body);
    if (values[1] == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_north_pg_query(r, &north_goals_create_stmt, values,
                                   north_goals_created, NULL);
}


static ngx_int_t
north_goals_created(ngx_http_request_t *r, void *data, PGresult *res,
    ngx_int_t status)
{
    const char  *st;

    st = PQgetvalue(res, 0, 0);

    if (ngx_strcmp(st, "no_account") == 0) {
        return ngx_http_north_problem(r, NGX_HTTP_NORTH_UNPROCESSABLE,
                                      "no-such-account", "No such account",
                                      "account_id names none of your "
                                      "accounts", NULL);
    }

    if (ngx_strcmp(st, "wrong_account") == 0) {
        return ngx_http_north_problem(r, NGX_HTTP_NORTH_UNPROCESSABLE,
                                      "wrong-account-kind",
                                      "Wrong kind of account",
                                      "a savings goal tracks an asset "
                                      "account, a debt payoff goal a credit "
                                      "card or loan", NULL);
    }

    /* its domain event is handed on now, not at the next tick */
    ngx_http_north_jobs_wake();

    return north_goals_read(r, PQgetvalue(res, 0, 1), NGX_HTTP_CREATED);
}


/* GET, PATCH, DELETE /v1/goals/{id} */

static ngx_int_t
north_goals_goal(ngx_http_request_t *r)
{
    ngx_str_t  goal;

    switch (r->method) {

    case NGX_HTTP_PATCH:
        return ngx_http_north_json_read(r, north_goals_update);

    case NGX_HTTP_DELETE:
        return north_goals_query(r, 0, &north_goals_delete_stmt, NULL,
                                 north_goals_deleted);

    default:
        if (ngx_http_north_path_uuid(r, 0, &goal) != NGX_OK) {
            return north_goals_not_found(r);
        }

        return north_goals_read(r, ngx_http_north_strdup(r->pool, &goal),
                                NGX_HTTP_OK);
    }
}


static ngx_int_t
north_goals_update(ngx_http_request_t *r, json_t *body)
{
    char                     *json;
    json_int_t                cents;
    ngx_http_north_fields_t   f;

    static const char *const  fields[] = {
        "name", "purpose", "target_cents", "target_date", NULL
    };

    if (ngx_http_north_fields_init(&f, r, body) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_north_fields_only(&f, fields);
    (void) ngx_http_north_field_string(&f, "name", 0, 1, 100, NULL);
    (void) ngx_http_north_field_enum(&f, "purpose", 0, north_goals_purposes);
    (void) ngx_http_north_field_integer(&f, "target_cents", 0, 1,
                                        NORTH_GOALS_CENTS_MAX, &cents);

    north_goals_date_field(&f, "target_date");

    if (json_object_size(body) == 0) {
        ngx_http_north_fields_error(&f, "name",
                                    "name, purpose, target_cents or "
                                    "target_date is required");
    }

    if (ngx_http_north_fields_failed(&f)) {
        return ngx_http_north_fields_problem(r, &f);
    }

    json = ngx_http_north_json_text(r->pool, body);
    if (json == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return north_goals_query(r, 0, &north_goals_update_stmt, json,
                             north_goals_updated);
}


static ngx_int_t
north_goals_updated(ngx_http_request_t *r, void *data, PGresult *res,
    ngx_int_t status)
{
    ngx_str_t  goal;

    if (*PQgetvalue(res, 0, 0) != 't') {
        return north_goals_not_found(r);
    }

    (void) ngx_http_north_path_uuid(r, 0, &goal);

    return north_goals_read(r, ngx_http_north_strdup(r->pool, &goal),
                            NGX_HTTP_OK);
}


static ngx_int_t
north_goals_deleted(ngx_http_request_t *r, void *data, PGresult *res,
    ngx_int_t status)
{
    if (PQntuples(res) == 0) {
        return north_goals_not_found(r);
    }

    return ngx_http_north_json_send_text(r, NGX_HTTP_NO_CONTENT, NULL, 0);
}


/* POST /v1/goals/{id}/contributions: {"amount_cents", "date"?, "note"?} */

static ngx_int_t
north_goals_contribution(ngx_http_request_t *r)
{
    return ngx_http_north_json_read(r, north_goals_contribute);
}


static ngx_int_t
north_goals_contribute(ngx_http_request_t *r, json_t *body)
{
    char                     *json;
    json_int_t                cents;
    ngx_http_north_fields_t   f;

    static const char *const  fields[] = {
        "amount_cents", "date", "note", NULL
    };

    if (ngx_http_north_fields_init(&f, r, body) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_north_fields_only(&f, fields);

    /* negative: a withdrawal from what was set aside */
    if (ngx_http_north_field_integer(&f, "amount_cents", 1,
                                     -NORTH_GOALS_CENTS_MAX,
                                     NORTH_GOALS_CENTS_MAX, &cents)
        == NGX_OK && cents == 0)
    {
        ngx_http_north_fields_error(&f, "amount_cents", "must not be 0");
    }

    north_goals_date_field(&f, "date");

    (void) ngx_http_north_field_string(&f, "note", 0, 0, 500, NULL);

    if (ngx_http_north_fields_failed(&f)) {
        return ngx_http_north_fields_problem(r, &f);
    }

    json = ngx_http_north_json_text(r->pool, body);
    if (json == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return north_goals_query(r, 1, &north_goals_contribute_stmt, json,
                             north_goals_contributed);
}


static ngx_int_t
north_goals_contributed(ngx_http_request_t *r, void *data, PGresult *res,
    ngx_int_t status)
{
    ngx_str_t    goal;
    const char  *st;

    st = PQgetvalue(res, 0, 0);

    if (ngx_strcmp(st, "not_found") == 0) {
        return north_goals_not_found(r);
    }

    if (ngx_strcmp(st, "tracks_account") == 0) {
        return ngx_http_north_problem(r, NGX_HTTP_CONFLICT,
                                      "goal-tracks-account",
                                      "Goal follows its account",
                                      "this goal's progress is its account's "
                                      "balance; contributions are not "
                                      "recorded", NULL);
    }

    if (ngx_strcmp(st, "future") == 0) {
        return ngx_http_north_problem(r, NGX_HTTP_NORTH_UNPROCESSABLE,
                                      "future-contribution",
                                      "Contribution in the future",
                                      "a contribution's date is today or "
                                      "before", NULL);
    }

    (void) ngx_http_north_path_uuid(r, 1, &goal);

    /* its domain event is handed on now, not at the next tick */
    ngx_http_north_jobs_wake();

    return north_goals_read(r, ngx_http_north_strdup(r->pool, &goal),
                            NGX_HTTP_CREATED);
}


/* A member that is absent, null, or a real date "YYYY-MM-DD". */
static void
north_goals_date_field(ngx_http_north_fields_t *f, const char *name)
{
    int64_t     day;
    json_t     *v;
    ngx_str_t   date;

    v = json_object_get(f->object, name);

    if (v == NULL || json_is_null(v)) {
        return;
    }

    if (ngx_http_north_field_string(f, name, 0, 10, 10, &date) == NGX_OK
        && north_date_parse((char *) date.data, &day) != 0)
    {
        ngx_http_north_fields_error(f, name, "must be a date (YYYY-MM-DD)");
    }
}


/* Reads the user's goals (goal NULL) or one, to answer with status. */
static ngx_int_t
north_goals_read(ngx_http_request_t *r, const char *goal, ngx_uint_t status)
{
    const char                 *values[2];
    north_goals_ctx_t          *ctx;

    values[0] = ngx_http_north_caller(r);
    ctx = ngx_http_north_service(r, sizeof(north_goals_ctx_t));

    if (values[0] == NULL || ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->status = status;
    ctx->one = goal != NULL;

    values[1] = goal;

    return ngx_http_north_pg_query(r, &north_goals_rows_stmt, values,
                                   north_goals_rows, ctx);
}


/* Each goal's progress; milestones newly reached are recorded first. */
static ngx_int_t
north_goals_rows(ngx_http_request_t *r, void *data, PGresult *res,
    ngx_int_t status)
{
    int                         row, n;
    json_t                     *goals, *goal, *answer, *ids, *pcts;
    const char                 *values[3];
    north_goals_ctx_t          *ctx;

    ctx = data;

    n = PQntuples(res);

    if (ctx->one && n == 0) {
        return north_goals_not_found(r);
    }

    goals = json_array();
    ids = json_array();
    pcts = json_array();

    if (goals == NULL || ids == NULL || pcts == NULL) {
        goto failed;
    }

    for (row = 0; row < n; row++) {
        goal = north_goals_progress(r, res, row, ids, pcts);

        if (goal == NULL || json_array_append_new(goals, goal) != 0) {
            goto failed;
        }
    }

    answer = ctx->one ? json_incref(json_array_get(goals, 0))
                      : json_pack("{s:O}", "goals", goals);
    json_decref(goals);
    goals = NULL;

    if (answer == NULL
        || ngx_http_north_json_keep(r->pool, answer) != NGX_OK)
    {
        goto failed;
    }

    ctx->answer = answer;

    if (json_array_size(ids) == 0) {
        json_decref(ids);
        json_decref(pcts);
        return north_goals_send(r, ctx);
    }

    values[0] = ngx_http_north_caller(r);
    values[1] = north_goals_array(r->pool, ids);
    values[2] = north_goals_array(r->pool, pcts);
    json_decref(ids);
    json_decref(pcts);

    if (values[0] == NULL || values[1] == NULL || values[2] == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_north_pg_query(r, &north_goals_record_stmt, values,
                                   north_goals_recorded, ctx);

failed:

    json_decref(goals);
    json_decref(ids);
    json_decref(pcts);

    return NGX_HTTP_INTERNAL_SERVER_ERROR;
}


/*
 * One row of north.goal_rows as the API shows it: the goal with "progress"
 * and "milestones"; each milestone reached but not yet recorded is added
 * to ids and pcts, for the caller to record.
 */
static json_t *
north_goals_progress(ngx_http_request_t *r, PGresult *res, int row,
    json_t *ids, json_t *pcts)
{
    size_t            i;
    u_char            now[NGX_HTTP_NORTH_RFC3339_LEN + 1];
    json_t           *goal, *milestones, *m, *progress;
    unsigned          recorded, k;
    json_error_t      err;
    north_goal_in_t   in;
    north_goal_out_t  out;

    goal = json_loads(PQgetvalue(res, row, 0), 0, &err);
    milestones = json_loads(PQgetvalue(res, row, 7), 0, &err);

    if (goal == NULL || milestones == NULL) {
        goto failed;
    }

    in.saved_cents = strtoll(PQgetvalue(res, row, 1), NULL, 10);
    in.target_cents = strtoll(PQgetvalue(res, row, 2), NULL, 10);
    in.pace_cents = strtoll(PQgetvalue(res, row, 5), NULL, 10);
    in.pace_days = strtoll(PQgetvalue(res, row, 6), NULL, 10);
    in.target_date = -1;

    if (north_date_parse(PQgetvalue(res, row, 3), &in.today) != 0
        || (!PQgetisnull(res, row, 4)
            && north_date_parse(PQgetvalue(res, row, 4), &in.target_date)
               != 0)
        || north_goal_progress(&in, &out) != 0)
    {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "north goals: goal row %d does not add up", row);
        goto failed;
    }

    recorded = 0;

    json_array_foreach(milestones, i, m) {
        for (k = 0; k < NORTH_GOAL_MILESTONE_COUNT; k++) {
            if (json_integer_value(json_object_get(m, "percent"))
                == north_goal_milestones[k])
            {
                recorded |= 1u << k;
            }
        }
    }

    for (k = 0; k < NORTH_GOAL_MILESTONE_COUNT; k++) {
        if (!(out.milestones & (1u << k)) || (recorded & (1u << k))) {
            continue;
        }

        if (json_array_append(ids, json_object_get(goal, "id")) != 0
            || json_array_append_new(pcts,
                                   json_integer(north_goal_milestones[k]))
               != 0
            || json_array_append_new(milestones,
                   json_pack("{s:i, s:s}", "percent",
                             (int) north_goal_milestones[k], "reached_at",
                             ngx_http_north_rfc3339_now(now)))
               != 0)
        {
            goto failed;
        }
    }

    progress = json_pack("{s:I, s:I, s:i, s:I, s:o, s:o, s:s, s:I, s:I}",
                         "saved_cents", (json_int_t) in.saved_cents,
                         "target_cents", (json_int_t) in.target_cents,
                         "percent", (int) out.percent,
                         "remaining_cents", (json_int_t) out.remaining_cents,
                         "monthly_cents", out.monthly_cents < 0
                             ? json_null()
                             : json_integer(out.monthly_cents),
                         "projected_date",
                             north_goals_date(out.projected_date),
                         "status", north_goal_status_name(out.status),
                         "pace_cents", (json_int_t) in.pace_cents,
                         "pace_days", (json_int_t) in.pace_days);

    if (progress == NULL
        || json_object_set_new(goal, "progress", progress) != 0)
    {
        goto failed;
    }

    if (json_object_set_new(goal, "milestones", milestones) != 0) {
        milestones = NULL;
        goto failed;
    }

    return goal;

failed:

    json_decref(goal);
    json_decref(milestones);

    return NULL;
}


/* A JSON array as a PostgreSQL array literal: ["a",1] is {"a",1}. */
static char *
north_goals_array(ngx_pool_t *pool, json_t *a)
{
    char  *s;

    s = ngx_http_north_json_text(pool, a);

    if (s != NULL) {
        s[0] = '{';
        s[strlen(s) - 1] = '}';
    }

    return s;
}


static ngx_int_t
north_goals_recorded(ngx_http_request_t *r, void *data, PGresult *res,
    ngx_int_t status)
{
    /* the milestones' domain events are handed on now */
    ngx_http_north_jobs_wake();

    return north_goals_send(r, data);
}


/* the answer stays the pool's: the send takes a reference of its own */
static ngx_int_t
north_goals_send(ngx_http_request_t *r, north_goals_ctx_t *ctx)
{
    return ngx_http_north_json_send(r, ctx->status, json_incref(ctx->answer));
}


/* days as "YYYY-MM-DD", or null for -1 */
static json_t *
north_goals_date(int64_t days)
{
    char  buf[16];

    return days < 0 ? json_null() : json_string(north_date_iso(days, buf));
}


/* stmt with the caller, the goal from_end segments back, and extra */
static ngx_int_t
north_goals_query(ngx_http_request_t *r, ngx_uint_t from_end,
    ngx_http_north_pg_stmt_t *stmt, const char *extra,
    ngx_http_north_pg_done_pt done)
{
    ngx_int_t  rc;

    rc = ngx_http_north_pg_query_path(r, from_end, stmt, extra, done, NULL);

    return rc == NGX_DECLINED ? north_goals_not_found(r) : rc;
}


static ngx_int_t
north_goals_not_found(ngx_http_request_t *r)
{
    return ngx_http_north_problem(r, NGX_HTTP_NOT_FOUND, "not-found",
                                  "Not found", "no such goal", NULL);
}


/* what the user holds here, for the export and the erasure */

/* keyed by goal and percent: "uuid/25" */
static ngx_http_north_pg_stmt_t  north_goals_export_milestones =
    ngx_http_north_pg_stmt_rows("north_goals_export_milestones",
        "select m.goal_id::text || '/' || m.percent,"
        " north.json_times(to_jsonb(m))::text"
        " from north.goal_milestones m"
        " where m.user_id = $1 and ($2::text is null"
        "   or (m.goal_id, m.percent) > (split_part($2, '/', 1)::uuid,"
        "                                split_part($2, '/', 2)::int))"
        " order by m.goal_id, m.percent limit $3::int", 3, 2);

static ngx_http_north_pg_stmt_t  north_goals_erase_milestones =
    ngx_http_north_pg_stmt("north_goals_erase_milestones",
        "delete from north.goal_milestones where user_id = $1", 1, 0);


/* erased last part first: milestones and contributions before goals */
ngx_http_north_privacy_part_t  north_goals_privacy[] = {
    ngx_http_north_privacy_table("goals", "north.goals", "id", "uuid"),
    ngx_http_north_privacy_table("goal_contributions",
                                 "north.goal_contributions", "id", "uuid"),
    { "goal_milestones", "north.goal_milestones",
      &north_goals_export_milestones, &north_goals_erase_milestones },
    { NULL, NULL, NULL, NULL }
};


ngx_http_north_route_t  north_goals_routes[] = {

    { ngx_string("goals.list"), NGX_HTTP_GET|NGX_HTTP_POST,
      north_goals_list },

    { ngx_string("goals.goal"), NGX_HTTP_GET|NGX_HTTP_PATCH|NGX_HTTP_DELETE,
      north_goals_goal },

    { ngx_string("goals.contributions"), NGX_HTTP_POST,
      north_goals_contribution },

    { ngx_null_string, 0, NULL }
};
