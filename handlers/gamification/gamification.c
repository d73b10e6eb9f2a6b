/*
 * Gamification API: points, levels, achievements and streaks. PostgreSQL
 * holds the rules and does the arithmetic (sql/0015_gamification.sql and
 * its functions): points are awarded for the other services' domain events
 * by the consumer north.gamification_events, which the job runner feeds,
 * and for the daily check-in here. Nothing of one user is shown to another.
 */

#include "ngx_north.h"
#include "ngx_north_pg.h"
#include "ngx_north_json.h"
#include "ngx_north_jwt.h"
#include "ngx_north_jobs.h"


#define NORTH_GAMIFICATION_LEDGER_MAX  100      /* entries a page */


static ngx_int_t north_gamification_summary(ngx_http_request_t *r);
static ngx_int_t north_gamification_ledger(ngx_http_request_t *r);
static ngx_int_t north_gamification_achievements(ngx_http_request_t *r);
static ngx_int_t north_gamification_checkin(ngx_http_request_t *r);
static ngx_int_t north_gamification_checkin_body(ngx_http_request_t *r,
    json_t *body);
static ngx_int_t north_gamification_checkin_run(ngx_http_request_t *r);
static ngx_int_t north_gamification_checked_in(ngx_http_request_t *r,
    void *data, PGresult *res, ngx_int_t status);
static ngx_int_t north_gamification_read(ngx_http_request_t *r,
    ngx_http_north_pg_stmt_t *stmt);
static const char *north_gamification_fr(ngx_http_request_t *r);


static ngx_http_north_pg_stmt_t  north_gamification_summary_stmt =
    ngx_http_north_pg_stmt("north_gamification_summary",
        "select north.gamification_json($1, $2::boolean)::text", 2, 1);

static ngx_http_north_pg_stmt_t  north_gamification_achievements_stmt =
    ngx_http_north_pg_stmt("north_gamification_achievements",
        "select north.achievements_json($1, $2::boolean)::text", 2, 1);

static ngx_http_north_pg_stmt_t  north_gamification_ledger_stmt =
    ngx_http_north_pg_stmt("north_gamification_ledger",
        "select north.points_ledger_json($1, $2::bigint, $3::int,"
        " $4::boolean)::text", 4, 1);

static ngx_http_north_pg_stmt_t  north_gamification_checkin_stmt =
    ngx_http_north_pg_stmt("north_gamification_checkin",
        "select status, body::text"
        " from north.gamification_checkin($1, $2::boolean)", 2, 2);


/* GET /v1/gamification */

static ngx_int_t
north_gamification_summary(ngx_http_request_t *r)
{
    return north_gamification_read(r, &north_gamification_summary_stmt);
}


/* GET /v1/gamification/achievements */

static ngx_int_t
north_gamification_achievements(ngx_http_request_t *r)
{
    return north_gamification_read(r, &north_gamification_achievements_stmt);
}


/* GET /v1/gamification/ledger?limit=&cursor= */

static ngx_int_t
north_gamification_ledger(ngx_http_request_t *r)
{
    return ngx_http_north_pg_query_page(r, &north_gamification_ledger_stmt,
                                        NORTH_GAMIFICATION_LEDGER_MAX,
                                        ngx_http_north_cursor_id,
                                        north_gamification_fr(r));
}


/*
 * POST /v1/gamification/check-in: no body, or {} (a member is refused by
 * name). The day is the server's, in the profile's zone.
 */

static ngx_int_t
north_gamification_checkin(ngx_http_request_t *r)
{
    ngx_int_t  rc;

    if (r->headers_in.content_length_n <= 0 && !r->headers_in.chunked) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return north_gamification_checkin_run(r);
    }

    return ngx_http_north_json_read(r, north_gamification_checkin_body);
}


static ngx_int_t
north_gamification_checkin_body(ngx_http_request_t *r, json_t *body)
{
    ngx_http_north_fields_t  f;

    static const char *const  fields[] = { NULL };

    if (ngx_http_north_fields_init(&f, r, body) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_north_fields_only(&f, fields);

    if (ngx_http_north_fields_failed(&f)) {
        return ngx_http_north_fields_problem(r, &f);
    }

    return north_gamification_checkin_run(r);
}


static ngx_int_t
north_gamification_checkin_run(ngx_http_request_t *r)
{
    struct {
        const char  *user, *fr;
    } p;

    p.user = ngx_http_north_caller(r);
    if (p.user == NULL) {
        return NGX_HTTP_UNAUTHORIZED;
    }

    p.fr = north_gamification_fr(r);

    return ngx_http_north_pg_query_named(r, &north_gamification_checkin_stmt,
                                         &p, north_gamification_checked_in,
                                         NULL);
}


/* a new day is 201; the same day again 200, already_checked_in true */

static ngx_int_t
north_gamification_checked_in(ngx_http_request_t *r, void *data,
    PGresult *res, ngx_int_t status)
{
    return ngx_http_north_pg_json(r,
                                  ngx_strcmp(PQgetvalue(res, 0, 0), "new") == 0
                                  ? NGX_HTTP_CREATED : NGX_HTTP_OK,
                                  res, 1);
}


/* stmt for the caller, in the request's language: its JSON is the answer */

static ngx_int_t
north_gamification_read(ngx_http_request_t *r, ngx_http_north_pg_stmt_t *stmt)
{
    const char  *values[2];

    values[0] = ngx_http_north_caller(r);
    if (values[0] == NULL) {
        return NGX_HTTP_UNAUTHORIZED;
    }

    values[1] = north_gamification_fr(r);

    return ngx_http_north_pg_query(r, stmt, values,
                                   ngx_http_north_pg_json_done, NULL);
}


static const char *
north_gamification_fr(ngx_http_request_t *r)
{
    return ngx_http_north_french(r) ? "true" : "false";
}


/* what the user holds here, for the export and the erasure */
ngx_http_north_privacy_part_t  north_gamification_privacy[] = {
    ngx_http_north_privacy_table("points_ledger", "north.points_ledger",
                                 "id", "bigint"),
    ngx_http_north_privacy_table("points_totals", "north.points_totals",
                                 "user_id", "uuid"),
    ngx_http_north_privacy_table("achievements", "north.user_achievements",
                                 "achievement", "text"),
    ngx_http_north_privacy_table("checkins", "north.checkins", "day", "date"),
    ngx_http_north_privacy_table("streaks", "north.streaks", "kind", "text"),
    { NULL, NULL, NULL, NULL }
};


ngx_http_north_route_t  north_gamification_routes[] = {

    { ngx_string("gamification.summary"), NGX_HTTP_GET,
      north_gamification_summary },

    { ngx_string("gamification.ledger"), NGX_HTTP_GET,
      north_gamification_ledger },

    { ngx_string("gamification.achievements"), NGX_HTTP_GET,
      north_gamification_achievements },

    { ngx_string("gamification.checkin"), NGX_HTTP_POST,
      north_gamification_checkin },

    { ngx_null_string, 0, NULL }
};
