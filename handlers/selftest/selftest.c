/*
 * Self-test endpoints for the platform's own test suites: they exercise the
 * JSON layer, a slow (or failing) query, the thread pool and a worker's crash.
 * Never route them publicly.
 */

#include "ngx_north.h"
#include "ngx_north_pg.h"
#include "ngx_north_json.h"
#include "ngx_north_task.h"


typedef struct {
    uint64_t     rounds;
    uint64_t     result;
} north_selftest_spin_t;


static ngx_int_t north_selftest_echo_body(ngx_http_request_t *r,
    json_t *body);
static ngx_int_t north_selftest_sleep_done(ngx_http_request_t *r, void *data,
    PGresult *res, ngx_int_t status);
static void north_selftest_spin_work(void *data);
static ngx_int_t north_selftest_spin_done(ngx_http_request_t *r, void *data);
static ngx_int_t north_selftest_arg(ngx_http_request_t *r, char *name,
    size_t len, ngx_int_t max);


static ngx_http_north_pg_stmt_t  north_selftest_sleep_stmt =
    ngx_http_north_pg_stmt("north_selftest_sleep",
        "select $1::int as ms, pg_sleep($1::int / 1000.0)", 1, 2);


static ngx_int_t
north_selftest_echo(ngx_http_request_t *r)
{
    return ngx_http_north_json_read(r, north_selftest_echo_body);
}


static ngx_int_t
north_selftest_echo_body(ngx_http_request_t *r, json_t *body)
{
    json_int_t               count;
    ngx_http_north_fields_t  f;

    static const char *const  fields[] = {
        "name", "email", "id", "kind", "count", NULL
    };

    static const char *const  kinds[] = { "savings", "debt", NULL };

    if (ngx_http_north_fields_init(&f, r, body) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_north_fields_only(&f, fields);
    (void) ngx_http_north_field_string(&f, "name", 1, 1, 64, NULL);
    (void) ngx_http_north_field_email(&f, "email", 0);
    (void) ngx_http_north_field_uuid(&f, "id", 0);
    (void) ngx_http_north_field_enum(&f, "kind", 0, kinds);
    (void) ngx_http_north_field_integer(&f, "count", 0, 0, 1000, &count);

    if (ngx_http_north_fields_failed(&f)) {
        return ngx_http_north_fields_problem(r, &f);
    }

    return ngx_http_north_json_send(r, NGX_HTTP_OK, json_incref(body));
}


/*
 * GET ?ms=N: a query that takes N ms in PostgreSQL; with &fail=1, one that
 * PostgreSQL refuses (its parameter is no integer)
 */

static ngx_int_t
north_selftest_sleep(ngx_http_request_t *r)
{
    ngx_int_t    ms;
    ngx_str_t    fail;
    const char  *values[1];
    u_char       buf[NGX_INT_T_LEN + 1];

    ms = north_selftest_arg(r, "ms", 2, 60000);

    if (ms == NGX_ERROR) {
        return ngx_http_north_problem(r, NGX_HTTP_BAD_REQUEST,
                                      "validation-failed", "Invalid request",
                                      "ms must be an integer up to 60000",
                                      NULL);
    }

    ngx_sprintf(buf, "%i%Z", ms);
    values[0] = (char *) buf;

    /* ?fail: the statement fails; ?failwith=TEXT: its error names TEXT */
    if (ngx_http_arg(r, (u_char *) "fail", 4, &fail) == NGX_OK) {
        values[0] = "refused";
    }

    if (ngx_http_north_arg(r, "failwith", &fail) == NGX_OK && fail.len) {
        values[0] = (char *) fail.data;
    }

    return ngx_http_north_pg_query(r, &north_selftest_sleep_stmt, values,
                                   north_selftest_sleep_done, NULL);
}


static ngx_int_t
north_selftest_sleep_done(ngx_http_request_t *r, void *data, PGresult *res,
    ngx_int_t status)
{
    return ngx_http_north_json_send(r, NGX_HTTP_OK,
               json_pack("{s:i}", "slept_ms", atoi(PQgetvalue(res, 0, 0))));
}


/* GET ?rounds=N: N rounds of arithmetic in the thread pool */

static ngx_int_t
north_selftest_spin(ngx_http_request_t *r)
{
    ngx_int_t               rounds;
    north_selftest_spin_t  *spin;

    rounds = north_selftest_arg(r, "rounds", 6, 1000000000);

    if (rounds == NGX_ERROR) {
        return ngx_http_north_problem(r, NGX_HTTP_BAD_REQUEST,
                                      "validation-failed", "Invalid request",
                                      "rounds must be an integer up to 1e9",
                                      NULL);
    }

    spin = ngx_http_north_task_alloc(r, sizeof(north_selftest_spin_t));
    if (spin == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    spin->rounds = rounds;

    return ngx_http_north_task_post(r, spin, north_selftest_spin_work,
                                    north_selftest_spin_done);
}


static void
north_selftest_spin_work(void *data)
{
    uint64_t                i, x;
    north_selftest_spin_t  *spin = data;

    x = 0;

    for (i = 0; i < spin->rounds; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    }

    spin->result = x;
}


static ngx_int_t
north_selftest_spin_done(ngx_http_request_t *r, void *data)
{
    north_selftest_spin_t  *spin = data;

    u_char  hex[17];

    ngx_sprintf(hex, "%016xL%Z", spin->result);

    return ngx_http_north_json_send(r, NGX_HTTP_OK,
               json_pack("{s:I, s:s}", "rounds", (json_int_t) spin->rounds,
                         "result", (char *) hex));
}


static ngx_int_t
north_selftest_arg(ngx_http_request_t *r, char *name, size_t len,
    ngx_int_t max)
{
    ngx_int_t  n;
    ngx_str_t  value;

    if (ngx_http_arg(r, (u_char *) name, len, &value) != NGX_OK) {
        return 0;
    }

    n = ngx_atoi(value.data, value.len);

    return (n == NGX_ERROR || n > max) ? NGX_ERROR : n;
}


/* GET: the worker dies of SIGABRT, as a crash would end it */

static ngx_int_t
north_selftest_crash(ngx_http_request_t *r)
{
    ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                  "north selftest: crashing on purpose");

    (void) raise(SIGABRT);

    return NGX_HTTP_INTERNAL_SERVER_ERROR;
}


ngx_http_north_route_t  north_selftest_routes[] = {

    { ngx_string("selftest.echo"), NGX_HTTP_POST, north_selftest_echo },

    { ngx_string("selftest.sleep"), NGX_HTTP_GET, north_selftest_sleep },

    { ngx_string("selftest.spin"), NGX_HTTP_GET, north_selftest_spin },

    { ngx_string("selftest.crash"), NGX_HTTP_GET, north_selftest_crash },

    { ngx_null_string, 0, NULL }
};
