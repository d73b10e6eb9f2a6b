/*
 * Health probes: /healthz touches nothing; /readyz makes one real round
 * trip to PostgreSQL and one to Redis through the async layer.
 */

#include "ngx_north.h"
#include "ngx_north_pg.h"
#include "ngx_north_redis.h"
#include "ngx_north_json.h"


typedef struct {
    ngx_uint_t     pending;
    const char    *postgresql;     /* "ok" or what went wrong */
    const char    *redis;
} north_health_ready_t;


static ngx_int_t north_health_ready_pg(ngx_http_request_t *r, void *data,
    PGresult *res, ngx_int_t status);
static ngx_int_t north_health_ready_redis(ngx_http_request_t *r, void *data,
    redisReply *reply, ngx_int_t status);
static ngx_int_t north_health_ready_done(ngx_http_request_t *r,
    north_health_ready_t *rd);


static ngx_http_north_pg_stmt_t  north_health_ping =
    ngx_http_north_pg_stmt_raw("north_health_ping", "select 1", 0, 1);


static ngx_int_t
north_health_live(ngx_http_request_t *r)
{
    static u_char  ok[] = "{\"status\":\"ok\"}";

    return ngx_http_north_json_send_text(r, NGX_HTTP_OK, ok, sizeof(ok) - 1);
}


static ngx_int_t
north_health_ready(ngx_http_request_t *r)
{
    ngx_int_t              rc;
    north_health_ready_t  *rd;

    static const char  *ping[] = { "PING" };
    static size_t       ping_len[] = { 4 };

    rd = ngx_pcalloc(r->pool, sizeof(north_health_ready_t));
    if (rd == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* both checks run at once; each answer counts down */
    rd->pending = 2;

    rc = ngx_http_north_redis_query(r, 1, ping, ping_len,
                                    north_health_ready_redis, rd);
    if (rc != NGX_DONE) {
        return rc;
    }

    return ngx_http_north_pg_query(r, &north_health_ping, NULL,
                                   north_health_ready_pg, rd);
}


static ngx_int_t
north_health_ready_pg(ngx_http_request_t *r, void *data, PGresult *res,
    ngx_int_t status)
{
    north_health_ready_t  *rd = data;

    if (res == NULL) {
        rd->postgresql = ngx_http_north_pg_status_text(status);

    } else if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        rd->postgresql = "the database answered with an error";

    } else {
        rd->postgresql = "ok";
    }

    return north_health_ready_done(r, rd);
}


static ngx_int_t
north_health_ready_redis(ngx_http_request_t *r, void *data, redisReply *reply,
    ngx_int_t status)
{
    north_health_ready_t  *rd = data;

    if (reply == NULL) {
        rd->redis = ngx_http_north_redis_status_text(status);

    } else if (reply->type != REDIS_REPLY_STATUS
               || ngx_strcmp(reply->str, "PONG") != 0)
    {
        rd->redis = "redis answered with an error";

    } else {
        rd->redis = "ok";
    }

    return north_health_ready_done(r, rd);
}


static ngx_int_t
north_health_ready_done(ngx_http_request_t *r, north_health_ready_t *rd)
{
    u_char      *detail;
    ngx_uint_t   pg_ok, redis_ok;

    if (--rd->pending) {
        return NGX_DONE;
    }

    pg_ok = ngx_strcmp(rd->postgresql, "ok") == 0;
    redis_ok = ngx_strcmp(rd->redis, "ok") == 0;

    if (pg_ok && redis_ok) {
        return ngx_http_north_json_send(r, NGX_HTTP_OK,
                   json_pack("{s:s, s:{s:s, s:s}}", "status", "ready",
                             "checks", "postgresql", "ok", "redis", "ok"));
    }

    detail = ngx_pnalloc(r->pool, 256);
    if (detail == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (!pg_ok && !redis_ok) {
        ngx_snprintf(detail, 255, "postgresql: %s; redis: %s%Z",
                     rd->postgresql, rd->redis);

    } else if (!pg_ok) {
        ngx_snprintf(detail, 255, "postgresql: %s%Z", rd->postgresql);

    } else {
        ngx_snprintf(detail, 255, "redis: %s%Z", rd->redis);
    }

    return ngx_http_north_problem(r, NGX_HTTP_SERVICE_UNAVAILABLE, "not-ready",
                                  "Not ready", (char *) detail, NULL);
}


ngx_http_north_route_t  north_health_routes[] = {

    { ngx_string("health.live"), NGX_HTTP_GET, north_health_live },

    { ngx_string("health.ready"), NGX_HTTP_GET, north_health_ready },

    { ngx_null_string, 0, NULL }
};
