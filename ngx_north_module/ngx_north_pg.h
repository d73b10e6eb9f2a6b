/*
 * North async PostgreSQL: a per-worker pool of non-blocking libpq
 * connections driven by nginx events (docs/architecture.md).
 */

#ifndef _NGX_NORTH_PG_H_INCLUDED_
#define _NGX_NORTH_PG_H_INCLUDED_


#include "ngx_north.h"
#include <libpq-fe.h>
#include <jansson.h>


#define NGX_HTTP_NORTH_PG_MAX_STMTS   512
#define NGX_HTTP_NORTH_PG_PIPELINE    64    /* most ops in flight on a link */


/*
 * A statement is prepared once per connection, on its first use there.
 * ncols is the shape of its rows: a result with rows of another number of
 * columns never reaches a continuation (it ends as
 * NGX_HTTP_NORTH_PG_MISSHAPEN, with an alert), so a continuation may read
 * columns 0 .. ncols - 1 of any row by position.
 *
 * rows is how many rows a request's continuation expects, and the platform
 * checks it before calling one (ngx_http_north_pg_query and its kin): an
 * outage is answered 503, an SQL error or another count 500, and the
 * continuation is called only with res holding those rows, status NGX_OK.
 *
 *     ngx_http_north_pg_stmt        exactly one row
 *     ngx_http_north_pg_stmt_rows   any number of rows
 *     ngx_http_north_pg_stmt_raw    no check: the continuation sees every
 *                                   outcome, res NULL included (a probe that
 *                                   reports an outage)
 *
 * A background job's handler (ngx_http_north_pg_send) always sees every
 * outcome.
 */
typedef struct {
    const char                  *name;
    const char                  *sql;
    int                          nparams;
    int                          ncols;
    int                          rows;
    ngx_uint_t                   index;     /* assigned on first use */
} ngx_http_north_pg_stmt_t;

#define NGX_HTTP_NORTH_PG_ANY_ROWS    -1
#define NGX_HTTP_NORTH_PG_RAW         -2

#define ngx_http_north_pg_stmt(name, sql, nparams, ncols)                    \
    { name, sql, nparams, ncols, 1, 0 }

#define ngx_http_north_pg_stmt_rows(name, sql, nparams, ncols)               \
    { name, sql, nparams, ncols, NGX_HTTP_NORTH_PG_ANY_ROWS, 0 }

#define ngx_http_north_pg_stmt_raw(name, sql, nparams, ncols)                \
    { name, sql, nparams, ncols, NGX_HTTP_NORTH_PG_RAW, 0 }


/*
 * How a query ended: NGX_OK with a result (which may be an SQL error:
 * look at PQresultStatus), or no result and one of these.
 */
#define NGX_HTTP_NORTH_PG_UNAVAILABLE  1   /* no connection could be had */
#define NGX_HTTP_NORTH_PG_TIMEDOUT     2   /* waited or ran too long */
#define NGX_HTTP_NORTH_PG_FAILED       3   /* connection lost mid-query */
#define NGX_HTTP_NORTH_PG_BUSY         4   /* wait queue full */
#define NGX_HTTP_NORTH_PG_MISSHAPEN    5   /* rows not of the stmt's ncols */


typedef struct ngx_http_north_pg_op_s  ngx_http_north_pg_op_t;

/*
 * Request-scoped continuation; the result is cleared after it returns.
 * Unless the statement is raw, res holds the rows the statement promises.
 */
typedef ngx_int_t (*ngx_http_north_pg_done_pt)(ngx_http_request_t *r,
    void *data, PGresult *res, ngx_int_t status);

/* Pool-scoped callback, for background jobs with no request. */
typedef void (*ngx_http_north_pg_handler_pt)(ngx_http_north_pg_op_t *op,
    PGresult *res, ngx_int_t status);


struct ngx_http_north_pg_op_s {
    ngx_http_north_pg_stmt_t    *stmt;
    const char                 **values;
    ngx_http_north_pg_handler_pt handler;
    void                        *data;

    ngx_http_north_pg_pool_t    *pool;
    void                        *slot;      /* in a link's pipeline, or NULL */
    ngx_queue_t                  queue;     /* in the wait queue */
    ngx_event_t                  wait;      /* wait-queue timeout */
    ngx_msec_t                   queued;    /* when it began to wait */
    unsigned                     waiting:1;
};


/*
 * The channels a worker LISTENs on (handlers/services.c), each with what
 * to call with a notification's payload. The pool keeps one connection of
 * its own for them, never lent to a query; each time that link is
 * (re)established every handler is called with NULL: notifications sent
 * while it was down are lost, and its listeners look again.
 */
typedef void (*ngx_http_north_pg_notify_pt)(const char *payload);

typedef struct {
    const char                  *channel;
    ngx_http_north_pg_notify_pt  handler;
} ngx_http_north_pg_channel_t;

extern ngx_http_north_pg_channel_t  ngx_http_north_pg_channels[];


ngx_int_t ngx_http_north_pg_init_process(ngx_cycle_t *cycle,
    ngx_http_north_main_conf_t *mcf);
void ngx_http_north_pg_exit_process(ngx_http_north_main_conf_t *mcf);

/*
 * Runs stmt with text parameters (NULL for SQL NULL) copied into pool; the
 * op is cancelled when pool is destroyed. NGX_OK when the handler will be
 * called; else NGX_ERROR or a status (UNAVAILABLE, BUSY) and no call.
 */
ngx_int_t ngx_http_north_pg_send(ngx_http_north_pg_pool_t *pg,
    ngx_pool_t *pool, ngx_http_north_pg_stmt_t *stmt, const char **values,
    ngx_http_north_pg_handler_pt handler, void *data);

/*
 * Runs stmt for r, holding a reference until done returns; done's return
 * code finalizes r. Returns NGX_DONE, or an HTTP status to finalize with.
 */
ngx_int_t ngx_http_north_pg_query(ngx_http_request_t *r,
    ngx_http_north_pg_stmt_t *stmt, const char **values,
    ngx_http_north_pg_done_pt done, void *data);

/*
 * The same for a continuation that sees every outcome whatever the
 * statement promises: one that has begun a streamed answer and must end it
 * itself (the privacy export's pages).
 */
ngx_int_t ngx_http_north_pg_stream(ngx_http_request_t *r,
    ngx_http_north_pg_stmt_t *stmt, const char **values,
    ngx_http_north_pg_done_pt done, void *data);

/*
 * The same with the parameters by name: params points to a struct whose
 * members are all `const char *`, in the order of $1, $2, ... (nested
 * structs of them too), so that no caller counts positions:
 *
 *     struct { const char *email, *code; north_auth_device_t device; } p;
 *     p.email = ...;
 *     return ngx_http_north_pg_query_named(r, &stmt, &p, done, ctx);
 *
 * A struct of another size than the statement's parameters is refused
 * with an alert and a 500 before anything is sent.
 */
#define ngx_http_north_pg_query_named(r, stmt, params, done, data)           \
    ngx_http_north_pg_query_sized(r, stmt, (const char **) (void *) (params),\
                                  sizeof(*(params)), done, data)

ngx_int_t ngx_http_north_pg_query_sized(ngx_http_request_t *r,
    ngx_http_north_pg_stmt_t *stmt, const char **values, size_t size,
    ngx_http_north_pg_done_pt done, void *data);

/*
 * stmt run for the signed-in caller: $1 their user id, $2 the UUID from_end
 * segments from the URI's end (/goals/{id}/contributions: 1), $3 extra when
 * stmt takes it. NGX_DECLINED, nothing sent, when that segment is no UUID:
 * the caller answers its own 404.
 */
ngx_int_t ngx_http_north_pg_query_path(ngx_http_request_t *r,
    ngx_uint_t from_end, ngx_http_north_pg_stmt_t *stmt, const char *extra,
    ngx_http_north_pg_done_pt done, void *data);

/*
 * A page of the caller's list, its one row a JSON text: ?limit= (1 to max,
 * 50 when absent) and ?cursor= (which check accepts) are read, then stmt
 * runs with $1 the caller, $2 the cursor (NULL: the first page), $3 the
 * limit and, when it takes a fourth, $4 extra. A bad argument is answered
 * 400, naming it.
 */
ngx_int_t ngx_http_north_pg_query_page(ngx_http_request_t *r,
    ngx_http_north_pg_stmt_t *stmt, ngx_uint_t max,
    ngx_uint_t (*check)(ngx_str_t *cursor), const char *extra);

/* Cursor checks for it: a row's positive integer id; a row's UUID. */
ngx_uint_t ngx_http_north_cursor_id(ngx_str_t *cursor);
ngx_uint_t ngx_http_north_cursor_uuid(ngx_str_t *cursor);

/* A problem+json 503 (500 when misshapen) for an operation with no result. */
ngx_int_t ngx_http_north_pg_problem(ngx_http_request_t *r, ngx_int_t status);

const char *ngx_http_north_pg_status_text(ngx_int_t status);

/*
 * Why an operation gave no rows, for a log line or a job's error:
 * PostgreSQL's message when it answered (res), else the pool's status.
 */
const char *ngx_http_north_pg_why(PGresult *res, ngx_int_t status);

/*
 * The check made before a continuation, for a raw statement's own use:
 * NGX_DECLINED when res holds rows (exactly rows of them, unless rows is
 * NGX_HTTP_NORTH_PG_ANY_ROWS); else the request is answered (503 without a result, 500 for an SQL
 * error or another count) and this returns the code to finalize with.
 */
ngx_int_t ngx_http_north_pg_result(ngx_http_request_t *r, PGresult *res,
    ngx_int_t status, int rows);

/* Column col of res's first row, copied NUL-terminated into r->pool. */
ngx_int_t ngx_http_north_pg_copy(ngx_http_request_t *r, PGresult *res,
    int col, ngx_str_t *s);

/*
 * Column col of res's first row parsed as JSON, kept by r->pool (which
 * drops it); NULL, with an alert, when it is none.
 */
json_t *ngx_http_north_pg_document(ngx_http_request_t *r, PGresult *res,
    int col);

/* Sends column col of res's first row, a JSON text PostgreSQL rendered. */
ngx_int_t ngx_http_north_pg_json(ngx_http_request_t *r, ngx_uint_t status,
    PGresult *res, int col);

/*
 * A continuation for a statement that renders one row: its last column,
 * a JSON text, is sent with the status data holds (NULL: 200).
 */
ngx_int_t ngx_http_north_pg_json_done(ngx_http_request_t *r, void *data,
    PGresult *res, ngx_int_t status);

/* Logs an unexpected SQL error of r's statement; the 500 to answer. */
ngx_int_t ngx_http_north_pg_error(ngx_http_request_t *r, PGresult *res);

/* SQLSTATE of an error result ("" when none), e.g. "23505". */
const char *ngx_http_north_pg_sqlstate(PGresult *res);


#endif /* _NGX_NORTH_PG_H_INCLUDED_ */
