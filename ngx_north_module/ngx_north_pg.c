/*
 * North async PostgreSQL pool: libpq in non-blocking mode, each socket
 * wrapped as an ngx_connection_t, statements prepared once per connection.
 */

#include "ngx_north_pg.h"
#include "ngx_north_trace.h"
#include "ngx_north_sentry.h"
#include "ngx_north_dns.h"
#include "ngx_north_json.h"
#include "ngx_north_jwt.h"
#include "ngx_north_metrics.h"
#include "north_check.h"


#define NGX_HTTP_NORTH_PG_DOWN        0
#define NGX_HTTP_NORTH_PG_CONNECTING  1
#define NGX_HTTP_NORTH_PG_IDLE        2
#define NGX_HTTP_NORTH_PG_QUERYING    3
#define NGX_HTTP_NORTH_PG_LISTENING   4     /* the listener, once connected */


/*
 * An op sent on a connection, until PostgreSQL answers its Sync. A link is
 * in pipeline mode: each op is its own Bind/Execute/Sync (its own
 * transaction), sent while earlier ones run, and its results come in order.
 */
typedef struct {
    ngx_http_north_pg_op_t      *op;        /* NULL once detached */
    ngx_http_north_pg_stmt_t    *stmt;
    ngx_msec_t                   sent;      /* its timeout runs from here */
    unsigned                     preparing:1;  /* its PREPARE answers first */
    unsigned                     request:1;    /* a request's, not a job's */
} ngx_http_north_pg_slot_t;


typedef struct {
    ngx_http_north_pg_pool_t    *pool;
    PGconn                      *pg;
    ngx_connection_t            *c;
    ngx_uint_t                   state;
    ngx_http_north_pg_slot_t     slots[NGX_HTTP_NORTH_PG_PIPELINE];
    ngx_uint_t                   head;      /* the oldest slot in flight */
    ngx_uint_t                   depth;     /* slots in flight */
    ngx_uint_t                   jobs;      /* of them, not a request's */
    PGresult                    *res;       /* the head's, being collected */
    ngx_event_t                  timer;     /* connect or query timeout */
    ngx_event_t                  retry;     /* reconnect after backoff */
    ngx_msec_t                   backoff;
    ngx_msec_t                   attempted;
    ngx_uint_t                   failed;    /* since the last connect */
    uint64_t                     prepared[NGX_HTTP_NORTH_PG_MAX_STMTS / 64];
    unsigned                     listener:1;   /* LISTENs, runs no query */
    unsigned                     announced:1;  /* its LISTENs answered */
} ngx_http_north_pg_conn_t;


struct ngx_http_north_pg_pool_s {
    ngx_http_north_main_conf_t  *mcf;
    ngx_log_t                   *log;
    ngx_http_north_dns_t         dns;       /* the DSN's host name */
    u_char                       hostaddr[NGX_SOCKADDR_STRLEN + 1];
    ngx_http_north_pg_conn_t    *conns;
    ngx_uint_t                   nconns;
    ngx_http_north_pg_conn_t    *listener;  /* NULL without channels */
    ngx_queue_t                  waiting;
    ngx_uint_t                   nwaiting;
};


typedef struct {
    ngx_http_request_t          *request;
    ngx_http_north_pg_done_pt    done;
    void                        *data;
    int                          rows;      /* checked before done */
} ngx_http_north_pg_request_t;


static void ngx_http_north_pg_connect(ngx_http_north_pg_conn_t *pc);
static ngx_int_t ngx_http_north_pg_wrap(ngx_http_north_pg_conn_t *pc);
static void ngx_http_north_pg_want(ngx_http_north_pg_conn_t *pc,
    ngx_uint_t read, ngx_uint_t write);
static void ngx_http_north_pg_event(ngx_event_t *ev);
static void ngx_http_north_pg_connect_poll(ngx_http_north_pg_conn_t *pc);
static void ngx_http_north_pg_conn_init(ngx_http_north_pg_pool_t *pg,
    ngx_http_north_pg_conn_t *pc);
static void ngx_http_north_pg_moved(void *data, struct sockaddr *sa,
    socklen_t socklen);
static void ngx_http_north_pg_conn_exit(ngx_http_north_pg_conn_t *pc);
static void ngx_http_north_pg_listen(ngx_http_north_pg_conn_t *pc);
static void ngx_http_north_pg_notified(ngx_http_north_pg_conn_t *pc,
    ngx_uint_t write);
static ngx_uint_t ngx_http_north_pg_room(ngx_http_north_pg_conn_t *pc);
static void ngx_http_north_pg_ready(ngx_http_north_pg_conn_t *pc);
static void ngx_http_north_pg_run(ngx_http_north_pg_conn_t *pc,
    ngx_http_north_pg_op_t *op);
static void ngx_http_north_pg_flush(ngx_http_north_pg_conn_t *pc);
static void ngx_http_north_pg_read(ngx_http_north_pg_conn_t *pc);
static void ngx_http_north_pg_complete(ngx_http_north_pg_conn_t *pc);
static ngx_uint_t ngx_http_north_pg_timed_out(PGresult *res);
static void ngx_http_north_pg_timeout(ngx_event_t *ev);
static void ngx_http_north_pg_retry(ngx_event_t *ev);
static void ngx_http_north_pg_fail(ngx_http_north_pg_conn_t *pc,
    const char *what, ngx_int_t status);
static void ngx_http_north_pg_close(ngx_http_north_pg_conn_t *pc);
static ngx_uint_t ngx_http_north_pg_live(ngx_http_north_pg_pool_t *pg);
static void ngx_http_north_pg_fail_waiters(ngx_http_north_pg_pool_t *pg,
    ngx_int_t status);
static ngx_http_north_pg_op_t *ngx_http_north_pg_dequeue(
    ngx_http_north_pg_pool_t *pg);
static void ngx_http_north_pg_wait_timeout(ngx_event_t *ev);
static void ngx_http_north_pg_cancel(void *data);
static void ngx_http_north_pg_request_handler(ngx_http_north_pg_op_t *op,
    PGresult *res, ngx_int_t status);
static ngx_int_t ngx_http_north_pg_request(ngx_http_request_t *r,
    ngx_http_north_pg_stmt_t *stmt, const char **values, int rows,
    ngx_http_north_pg_done_pt done, void *data);
static ngx_int_t ngx_http_north_pg_continue(ngx_http_north_pg_request_t *pr,
    PGresult *res, ngx_int_t status);


static ngx_uint_t  ngx_http_north_pg_nstmts;


#define ngx_http_north_pg_up(st)                                             \
    ((st) >= NGX_HTTP_NORTH_PG_IDLE)
#define ngx_http_north_pg_busy(st)                                           \
    ((st) == NGX_HTTP_NORTH_PG_QUERYING)


/* Moves pc to state, keeping the open and busy gauges of the metrics. */

static void
ngx_http_north_pg_state(ngx_http_north_pg_conn_t *pc, ngx_uint_t state)
{
    if (ngx_http_north_pg_up(state) != ngx_http_north_pg_up(pc->state)) {
        ngx_http_north_metric_add(NGX_HTTP_NORTH_M_PG_OPEN,
                                  ngx_http_north_pg_up(state) ? 1 : -1);
    }

    if (ngx_http_north_pg_busy(state) != ngx_http_north_pg_busy(pc->state)) {
        ngx_http_north_metric_add(NGX_HTTP_NORTH_M_PG_BUSY,
                                  ngx_http_north_pg_busy(state) ? 1 : -1);
    }

    pc->state = state;
}


ngx_int_t
ngx_http_north_pg_init_process(ngx_cycle_t *cycle,
    ngx_http_north_main_conf_t *mcf)
{
    ngx_uint_t                 i;
    ngx_http_north_pg_pool_t  *pg;
    ngx_http_north_pg_conn_t  *pc;

    pg = ngx_pcalloc(cycle->pool, sizeof(ngx_http_north_pg_pool_t));
    if (pg == NULL) {
        return NGX_ERROR;
    }

    pg->conns = ngx_pcalloc(cycle->pool,
                            mcf->pg_pool_size * sizeof(ngx_http_north_pg_conn_t));
    if (pg->conns == NULL) {
        return NGX_ERROR;
    }

    pg->mcf = mcf;
    pg->log = cycle->log;
    pg->nconns = mcf->pg_pool_size;
    ngx_queue_init(&pg->waiting);

    mcf->pg = pg;

    if (mcf->database_hostaddr >= 0) {
        ngx_http_north_dns_init(&pg->dns, cycle, &mcf->database_host,
            ((char **) mcf->database_vals->elts)[mcf->database_hostaddr],
            ngx_http_north_pg_moved, pg);
    }

    for (i = 0; i < pg->nconns; i++) {
        ngx_http_north_pg_conn_init(pg, &pg->conns[i]);
    }

    if (ngx_http_north_pg_channels[0].channel != NULL) {
        pc = ngx_pcalloc(cycle->pool, sizeof(ngx_http_north_pg_conn_t));
        if (pc == NULL) {
            return NGX_ERROR;
        }

        pc->listener = 1;
        pg->listener = pc;
        ngx_http_north_pg_conn_init(pg, pc);
    }

    return NGX_OK;
}


/*
 * The DSN's host moved (a fail-over): connections opened from now on go to
 * its new address; those open to the old one end as their links fail.
 */

static void
ngx_http_north_pg_moved(void *data, struct sockaddr *sa, socklen_t socklen)
{
    ngx_http_north_pg_pool_t  *pg = data;

    size_t  n;

    n = ngx_sock_ntop(sa, socklen, pg->hostaddr, NGX_SOCKADDR_STRLEN, 0);
    pg->hostaddr[n] = '\0';

    ((char **) pg->mcf->database_vals->elts)[pg->mcf->database_hostaddr] =
        (char *) pg->hostaddr;
}


static void
ngx_http_north_pg_conn_init(ngx_http_north_pg_pool_t *pg,
    ngx_http_north_pg_conn_t *pc)
{
    pc->pool = pg;

    pc->timer.handler = ngx_http_north_pg_timeout;
    pc->timer.data = pc;
    pc->timer.log = pg->log;

    pc->retry.handler = ngx_http_north_pg_retry;
    pc->retry.data = pc;
    pc->retry.log = pg->log;
    pc->retry.cancelable = 1;

    ngx_http_north_pg_connect(pc);
}


void
ngx_http_north_pg_exit_process(ngx_http_north_main_conf_t *mcf)
{
    ngx_uint_t                 i;
    ngx_http_north_pg_pool_t  *pg;

    pg = mcf->pg;

    if (pg == NULL) {
        return;
    }

    for (i = 0; i < pg->nconns; i++) {
        ngx_http_north_pg_conn_exit(&pg->conns[i]);
    }

    if (pg->listener != NULL) {
        ngx_http_north_pg_conn_exit(pg->listener);
    }

    ngx_http_north_dns_done(&pg->dns);
    mcf->pg = NULL;
}


/* A connection closed for good: no reconnect is pending. */

static void
ngx_http_north_pg_conn_exit(ngx_http_north_pg_conn_t *pc)
{
    if (pc->retry.timer_set) {
        ngx_del_timer(&pc->retry);
    }

    ngx_http_north_pg_close(pc);
}


static void
ngx_http_north_pg_connect(ngx_http_north_pg_conn_t *pc)
{
    ngx_http_north_main_conf_t  *mcf;

    mcf = pc->pool->mcf;
    pc->attempted = ngx_current_msec;

    pc->pg = PQconnectStartParams((const char *const *) mcf->database_keys->elts,
                                  (const char *const *) mcf->database_vals->elts,
                                  0);

    if (pc->pg == NULL || PQstatus(pc->pg) == CONNECTION_BAD) {
        ngx_http_north_pg_fail(pc, "PQconnectStartParams()",
                               NGX_HTTP_NORTH_PG_UNAVAILABLE);
        return;
    }

    if (PQsetnonblocking(pc->pg, 1) != 0) {
        ngx_http_north_pg_fail(pc, "PQsetnonblocking()",
                               NGX_HTTP_NORTH_PG_UNAVAILABLE);
        return;
    }

    if (ngx_http_north_pg_wrap(pc) != NGX_OK) {
        ngx_http_north_pg_fail(pc, "ngx_get_connection()",
                               NGX_HTTP_NORTH_PG_UNAVAILABLE);
        return;
    }

    ngx_http_north_pg_state(pc, NGX_HTTP_NORTH_PG_CONNECTING);

    /* the retry timer may hold the worker open on exit, this one not */
    pc->timer.cancelable = 1;
    ngx_add_timer(&pc->timer, mcf->pg_connect_timeout);

    /* libpq: after PQconnectStart, act as if polling asked for writing */
    ngx_http_north_pg_want(pc, 0, 1);
}


/* Puts libpq's current socket under an ngx_connection_t of our own. */

static ngx_int_t
ngx_http_north_pg_wrap(ngx_http_north_pg_conn_t *pc)
{
    ngx_socket_t       fd;
    ngx_connection_t  *c;

    fd = PQsocket(pc->pg);

    if (pc->c != NULL) {
        if (pc->c->fd == fd) {
            return NGX_OK;
        }

        /* libpq moved to a new socket (another host or SSL fallback) */
        ngx_http_north_pg_want(pc, 0, 0);
        ngx_free_connection(pc->c);
        pc->c->fd = (ngx_socket_t) -1;
        pc->c = NULL;
    }

    if (fd == (ngx_socket_t) -1) {
        return NGX_ERROR;
    }

    c = ngx_get_connection(fd, pc->pool->log);
    if (c == NULL) {
        return NGX_ERROR;
    }

    c->data = pc;
    c->read->handler = ngx_http_north_pg_event;
    c->write->handler = ngx_http_north_pg_event;
    c->read->log = pc->pool->log;
    c->write->log = pc->pool->log;
    c->log = pc->pool->log;

    pc->c = c;

    return NGX_OK;
}


/*
 * Level-triggered interest: libpq buffers what it reads, so an
 * edge-triggered event could leave bytes unseen in the socket.
 */

static void
ngx_http_north_pg_want(ngx_http_north_pg_conn_t *pc, ngx_uint_t read,
    ngx_uint_t write)
{
    ngx_connection_t  *c;

    c = pc->c;

    if (read && !c->read->active) {
        ngx_add_event(c->read, NGX_READ_EVENT, NGX_LEVEL_EVENT);

    } else if (!read && c->read->active) {
        ngx_del_event(c->read, NGX_READ_EVENT, 0);
    }

    if (write && !c->write->active) {
        ngx_add_event(c->write, NGX_WRITE_EVENT, NGX_LEVEL_EVENT);

    } else if (!write && c->write->active) {
        ngx_del_event(c->write, NGX_WRITE_EVENT, 0);
    }
}


static void
ngx_http_north_pg_event(ngx_event_t *ev)
{
    ngx_connection_t          *c;
    ngx_http_north_pg_conn_t  *pc;

    c = ev->data;
    pc = c->data;

    if (c->close) {
        /* ngx_close_idle_connections() on reload or shutdown */
        ngx_http_north_pg_close(pc);
        return;
    }

    switch (pc->state) {

    case NGX_HTTP_NORTH_PG_CONNECTING:
        ngx_http_north_pg_connect_poll(pc);
        return;

    case NGX_HTTP_NORTH_PG_QUERYING:
        if (ev->write) {
            ngx_http_north_pg_flush(pc);
            return;
        }

        ngx_http_north_pg_read(pc);
        return;

    case NGX_HTTP_NORTH_PG_LISTENING:
        ngx_http_north_pg_notified(pc, ev->write);
        return;

    case NGX_HTTP_NORTH_PG_IDLE:
        /* notices, or the server closing an idle connection */
        if (!PQconsumeInput(pc->pg)) {
            ngx_http_north_pg_fail(pc, "PQconsumeInput()",
                                   NGX_HTTP_NORTH_PG_FAILED);
            return;
        }

        while (!PQisBusy(pc->pg)) {
            PGresult *res = PQgetResult(pc->pg);

            if (res == NULL) {
                break;
            }

            PQclear(res);
        }

        return;
    }
}


static void
ngx_http_north_pg_connect_poll(ngx_http_north_pg_conn_t *pc)
{
    PostgresPollingStatusType  rc;

    rc = PQconnectPoll(pc->pg);

    if (rc == PGRES_POLLING_FAILED) {
        ngx_http_north_pg_fail(pc, "PQconnectPoll()",
                               NGX_HTTP_NORTH_PG_UNAVAILABLE);
        return;
    }

    if (ngx_http_north_pg_wrap(pc) != NGX_OK) {
        ngx_http_north_pg_fail(pc, "PQsocket()", NGX_HTTP_NORTH_PG_UNAVAILABLE);
        return;
    }

    switch (rc) {

    case PGRES_POLLING_READING:
        ngx_http_north_pg_want(pc, 1, 0);
        return;

    case PGRES_POLLING_WRITING:
        ngx_http_north_pg_want(pc, 0, 1);
        return;

    default: /* PGRES_POLLING_OK */
        break;
    }

    if (pc->timer.timer_set) {
        ngx_del_timer(&pc->timer);
    }

    ngx_log_error((pc->backoff ? NGX_LOG_NOTICE : NGX_LOG_INFO),
                  pc->pool->log, 0,
                  "north pg: connected to \"%s\" (server %d)",
                  PQhost(pc->pg), PQserverVersion(pc->pg));

    if (pc->failed) {
        ngx_http_north_metric_add(NGX_HTTP_NORTH_M_PG_RECONNECTS, 1);
        ngx_http_north_event("link", json_pack("{s:s, s:s, s:s}",
                                               "store", "postgresql",
                                               "state", "up",
                                               "host", PQhost(pc->pg)));
        pc->failed = 0;
    }

    if (pc->listener) {
        ngx_http_north_pg_listen(pc);
        return;
    }

    if (PQenterPipelineMode(pc->pg) != 1) {
        ngx_http_north_pg_fail(pc, "PQenterPipelineMode()",
                               NGX_HTTP_NORTH_PG_UNAVAILABLE);
        return;
    }

    pc->backoff = 0;
    ngx_memzero(pc->prepared, sizeof(pc->prepared));
    ngx_http_north_pg_want(pc, 1, 0);
    ngx_http_north_pg_state(pc, NGX_HTTP_NORTH_PG_IDLE);
    pc->c->idle = 1;
    ngx_http_north_pg_ready(pc);
}


/* The listener, connected: one LISTEN a channel, in one query. */

static void
ngx_http_north_pg_listen(ngx_http_north_pg_conn_t *pc)
{
    u_char                       *sql, *p;
    size_t                        len;
    ngx_http_north_pg_channel_t  *ch;

    len = 1;

    for (ch = ngx_http_north_pg_channels; ch->channel; ch++) {
        len += sizeof("LISTEN \"\";") + ngx_strlen(ch->channel);
    }

    sql = ngx_alloc(len, pc->pool->log);
    if (sql == NULL) {
        ngx_http_north_pg_fail(pc, "ngx_alloc()", NGX_HTTP_NORTH_PG_FAILED);
        return;
    }

    p = sql;

    /* the channels are the services' own names: no quote within */
    for (ch = ngx_http_north_pg_channels; ch->channel; ch++) {
        p = ngx_sprintf(p, "LISTEN \"%s\";", ch->channel);
    }

    *p = '\0';

    pc->announced = 0;

    if (!PQsendQuery(pc->pg, (char *) sql)) {
        ngx_free(sql);
        ngx_http_north_pg_fail(pc, "PQsendQuery(LISTEN)",
                               NGX_HTTP_NORTH_PG_FAILED);
        return;
    }

    ngx_free(sql);

    pc->backoff = 0;
    ngx_http_north_pg_state(pc, NGX_HTTP_NORTH_PG_LISTENING);

    /* closed on reload or shutdown like an idle connection */
    pc->c->idle = 1;
    ngx_http_north_pg_notified(pc, 1);
}


/*
 * The listener's events: what it has to send flushed, the LISTENs'
 * results read (their end announced to every channel's handler with NULL),
 * then each notification handed to its channel's handler.
 */

static void
ngx_http_north_pg_notified(ngx_http_north_pg_conn_t *pc, ngx_uint_t write)
{
    int                           rc;
    PGresult                     *res;
    PGnotify                     *n;
    ngx_http_north_pg_channel_t  *ch;

    if (write) {
        rc = PQflush(pc->pg);

        if (rc < 0) {
            ngx_http_north_pg_fail(pc, "PQflush()", NGX_HTTP_NORTH_PG_FAILED);
            return;
        }

        ngx_http_north_pg_want(pc, 1, rc == 1);

        if (rc == 1) {
            return;
        }
    }

    if (!PQconsumeInput(pc->pg)) {
        ngx_http_north_pg_fail(pc, "PQconsumeInput()",
                               NGX_HTTP_NORTH_PG_FAILED);
        return;
    }

    while (!pc->announced && !PQisBusy(pc->pg)) {
        res = PQgetResult(pc->pg);

        if (res == NULL) {
            pc->announced = 1;

            for (ch = ngx_http_north_pg_channels; ch->channel; ch++) {
                ch->handler(NULL);
            }

            break;
        }

        rc = (PQresultStatus(res) == PGRES_COMMAND_OK);
        PQclear(res);

        if (!rc) {
            ngx_http_north_pg_fail(pc, "LISTEN", NGX_HTTP_NORTH_PG_FAILED);
            return;
        }
    }

    while (pc->state == NGX_HTTP_NORTH_PG_LISTENING
           && (n = PQnotifies(pc->pg)) != NULL)
    {
        for (ch = ngx_http_north_pg_channels; ch->channel; ch++) {
            if (ngx_strcmp(ch->channel, n->relname) == 0) {
                ch->handler(n->extra);
                break;
            }
        }

        PQfreemem(n);
    }
}


/*
 * An op may join pc's pipeline: pc is idle, or runs fewer than the
 * pipeline's depth of requests' ops and no job's (a job's statement may run
 * long: no request waits behind one).
 */

static ngx_uint_t
ngx_http_north_pg_room(ngx_http_north_pg_conn_t *pc)
{
    return pc->state == NGX_HTTP_NORTH_PG_IDLE
           || (pc->state == NGX_HTTP_NORTH_PG_QUERYING
               && pc->jobs == 0
               && pc->depth < pc->pool->mcf->pg_pipeline);
}


/* pc has room: give it the oldest waiters it may take, or let it rest. */

static void
ngx_http_north_pg_ready(ngx_http_north_pg_conn_t *pc)
{
    ngx_http_north_pg_op_t    *op;
    ngx_http_north_pg_pool_t  *pg;

    pg = pc->pool;

    if ((ngx_exiting || ngx_terminate || ngx_quit)
        && pc->depth == 0 && ngx_queue_empty(&pg->waiting))
    {
        /* never keep a pooled connection in a worker that is leaving */
        ngx_http_north_pg_close(pc);
        return;
    }

    while (ngx_http_north_pg_room(pc)
           && (op = ngx_http_north_pg_dequeue(pg)) != NULL)
    {
        ngx_http_north_pg_run(pc, op);
    }
}


ngx_int_t
ngx_http_north_pg_send(ngx_http_north_pg_pool_t *pg, ngx_pool_t *pool,
    ngx_http_north_pg_stmt_t *stmt, const char **values,
    ngx_http_north_pg_handler_pt handler, void *data)
{
    int                        i;
    size_t                     len;
    ngx_uint_t                 n, kicked;
    ngx_pool_cleanup_t        *cln;
    ngx_http_north_pg_op_t    *op;
    ngx_http_north_pg_conn_t  *pc, *best;

    if (pg == NULL) {
        return NGX_HTTP_NORTH_PG_UNAVAILABLE;
    }

    if (stmt->index == 0) {
        if (ngx_http_north_pg_nstmts + 1 >= NGX_HTTP_NORTH_PG_MAX_STMTS) {
            ngx_log_error(NGX_LOG_ALERT, pg->log, 0,
                          "north pg: more than %d statements",
                          NGX_HTTP_NORTH_PG_MAX_STMTS - 1);
            return NGX_ERROR;
        }

        stmt->index = ++ngx_http_north_pg_nstmts;
    }

    op = ngx_pcalloc(pool, sizeof(ngx_http_north_pg_op_t));
    if (op == NULL) {
        return NGX_ERROR;
    }

    if (stmt->nparams) {
        op->values = ngx_palloc(pool, stmt->nparams * sizeof(char *));
        if (op->values == NULL) {
            return NGX_ERROR;
        }

        for (i = 0; i < stmt->nparams; i++) {
            if (values[i] == NULL) {
                op->values[i] = NULL;
                continue;
            }

            len = ngx_strlen(values[i]) + 1;
            op->values[i] = ngx_pnalloc(pool, len);
            if (op->values[i] == NULL) {
                return NGX_ERROR;
            }

            ngx_memcpy((char *) op->values[i], values[i], len);
        }
    }

    cln = ngx_pool_cleanup_add(pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    op->stmt = stmt;
    op->handler = handler;
    op->data = data;
    op->pool = pg;

    cln->handler = ngx_http_north_pg_cancel;
    cln->data = op;

    /* an idle connection, else the shortest pipeline with room */
    best = NULL;
    kicked = 0;

    for (n = 0; n < pg->nconns; n++) {
        pc = &pg->conns[n];

        if (pc->state == NGX_HTTP_NORTH_PG_IDLE) {
            best = pc;
            break;
        }

        if (ngx_http_north_pg_room(pc)
            && (best == NULL || pc->depth < best->depth))
        {
            best = pc;
        }
    }

    if (best) {
        ngx_http_north_pg_run(best, op);
        return NGX_OK;
    }

    if (!ngx_http_north_pg_live(pg)) {

        /* the database was down: try now rather than at the next backoff */
        for (n = 0; n < pg->nconns; n++) {
            pc = &pg->conns[n];

            if (pc->state == NGX_HTTP_NORTH_PG_DOWN
                && ngx_current_msec - pc->attempted
                   >= NGX_HTTP_NORTH_BACKOFF_MIN)
            {
                if (pc->retry.timer_set) {
                    ngx_del_timer(&pc->retry);
                }

                ngx_http_north_pg_connect(pc);
                kicked = 1;
                break;
            }
        }

        if (!kicked || !ngx_http_north_pg_live(pg)) {
            cln->handler = NULL;
            return NGX_HTTP_NORTH_PG_UNAVAILABLE;
        }
    }

    if (pg->nwaiting >= pg->mcf->pg_queue_size) {
        cln->handler = NULL;
        return NGX_HTTP_NORTH_PG_BUSY;
    }

    op->queued = ngx_current_msec;
    op->waiting = 1;
    ngx_queue_insert_tail(&pg->waiting, &op->queue);
    pg->nwaiting++;
    ngx_http_north_metric_add(NGX_HTTP_NORTH_M_PG_WAITING, 1);

    op->wait.handler = ngx_http_north_pg_wait_timeout;
    op->wait.data = op;
    op->wait.log = pg->log;
    ngx_add_timer(&op->wait, pg->mcf->pg_query_timeout);

    return NGX_OK;
}


/* Sends op on pc, behind what runs there: PREPARE first on its first use. */

static void
ngx_http_north_pg_run(ngx_http_north_pg_conn_t *pc, ngx_http_north_pg_op_t *op)
{
    int                        rc;
    uint64_t                   bit;
    ngx_http_north_pg_slot_t  *slot;
    ngx_http_north_pg_stmt_t  *stmt;

    stmt = op->stmt;
    bit = (uint64_t) 1 << (stmt->index % 64);

    slot = &pc->slots[(pc->head + pc->depth) % NGX_HTTP_NORTH_PG_PIPELINE];
    slot->op = op;
    slot->stmt = stmt;
    slot->sent = ngx_current_msec;
    slot->preparing = !(pc->prepared[stmt->index / 64] & bit);
    slot->request = (op->handler == ngx_http_north_pg_request_handler);

    if (pc->depth) {
        ngx_http_north_metric_add(NGX_HTTP_NORTH_M_PG_PIPELINED, 1);
    }

    pc->depth++;
    pc->jobs += !slot->request;
    op->slot = slot;

    ngx_http_north_pg_state(pc, NGX_HTTP_NORTH_PG_QUERYING);
    pc->c->idle = 0;

    rc = 1;

    if (slot->preparing) {
        /* the ops sent after this one find the statement there */
        pc->prepared[stmt->index / 64] |= bit;
        rc = PQsendPrepare(pc->pg, stmt->name, stmt->sql, stmt->nparams, NULL);
    }

    if (rc == 1) {
        rc = PQsendQueryPrepared(pc->pg, stmt->name, stmt->nparams,
                                 op->values, NULL, NULL, 0);
    }

    if (rc == 1) {
        rc = PQpipelineSync(pc->pg);
    }

    if (rc != 1) {
        ngx_http_north_pg_fail(pc, "PQsendQueryPrepared()",
                               NGX_HTTP_NORTH_PG_FAILED);
        return;
    }

    if (!pc->timer.timer_set) {
        /* a query in flight keeps a leaving worker until it is answered */
        pc->timer.cancelable = 0;
        ngx_add_timer(&pc->timer, pc->pool->mcf->pg_query_timeout);
    }

    ngx_http_north_pg_flush(pc);
}


static void
ngx_http_north_pg_flush(ngx_http_north_pg_conn_t *pc)
{
    switch (PQflush(pc->pg)) {

    case 0:
        ngx_http_north_pg_want(pc, 1, 0);
        return;

    case 1:
        ngx_http_north_pg_want(pc, 1, 1);
        return;

    default:
        ngx_http_north_pg_fail(pc, "PQflush()", NGX_HTTP_NORTH_PG_FAILED);
    }
}


/*
 * Takes what PostgreSQL answered, in order: each op's results end with a
 * NULL, then its Sync's PGRES_PIPELINE_SYNC completes the op.
 */

static void
ngx_http_north_pg_read(ngx_http_north_pg_conn_t *pc)
{
    PGresult                  *res;
    ngx_uint_t                 nulls;
    ngx_http_north_pg_slot_t  *slot;

    if (!PQconsumeInput(pc->pg)) {
        ngx_http_north_pg_fail(pc, "PQconsumeInput()",
                               NGX_HTTP_NORTH_PG_FAILED);
        return;
    }

    nulls = 0;

    while (pc->depth && !PQisBusy(pc->pg)) {

        res = PQgetResult(pc->pg);

        if (res == NULL) {
            /* the end of a statement's results; two: libpq has no more */
            if (++nulls == 2) {
                ngx_log_error(NGX_LOG_ALERT, pc->pool->log, 0,
                              "north pg: %ui ops in flight, none in libpq",
                              pc->depth);
                ngx_http_north_pg_fail(pc, "pipeline",
                                       NGX_HTTP_NORTH_PG_FAILED);
                return;
            }

            continue;
        }

        nulls = 0;

        if (PQresultStatus(res) == PGRES_PIPELINE_SYNC) {
            PQclear(res);
            ngx_http_north_pg_complete(pc);
            continue;
        }

        slot = &pc->slots[pc->head];

        if (slot->preparing) {
            slot->preparing = 0;

            if (PQresultStatus(res) == PGRES_COMMAND_OK) {
                PQclear(res);
                continue;
            }

            /* refused: its op gets the error, a later use prepares again */
            pc->prepared[slot->stmt->index / 64] &=
                ~((uint64_t) 1 << (slot->stmt->index % 64));
        }

        /* keep the first error, else the last result */
        if (pc->res != NULL) {
            if (PQresultStatus(pc->res) == PGRES_FATAL_ERROR) {
                PQclear(res);
                continue;
            }

            PQclear(pc->res);
        }

        pc->res = res;
    }
}


/* The head op is answered: hand its result on and take the next waiter. */

static void
ngx_http_north_pg_complete(ngx_http_north_pg_conn_t *pc)
{
    PGresult                  *res;
    ngx_msec_t                 elapsed;
    ngx_http_north_pg_op_t    *op;
    ngx_http_north_pg_slot_t  *slot;
    ngx_http_north_pg_stmt_t  *stmt;

    res = pc->res;
    pc->res = NULL;

    slot = &pc->slots[pc->head];
    op = slot->op;
    stmt = slot->stmt;
    pc->jobs -= !slot->request;
    ngx_memzero(slot, sizeof(ngx_http_north_pg_slot_t));

    pc->head = (pc->head + 1) % NGX_HTTP_NORTH_PG_PIPELINE;
    pc->depth--;

    if (pc->timer.timer_set) {
        ngx_del_timer(&pc->timer);
    }

    if (pc->depth) {
        /* the next op's time runs from when it was sent */
        elapsed = ngx_current_msec - pc->slots[pc->head].sent;

        ngx_add_timer(&pc->timer,
                      elapsed < pc->pool->mcf->pg_query_timeout
                      ? pc->pool->mcf->pg_query_timeout - elapsed : 1);

    } else if (PQtransactionStatus(pc->pg) != PQTRANS_IDLE) {
        /* a statement left a transaction open: never hand that on */
        ngx_log_error(NGX_LOG_ERR, pc->pool->log, 0,
                      "north pg: connection not idle after \"%s\", closed",
                      stmt->name);
        ngx_http_north_pg_close(pc);
        ngx_http_north_pg_connect(pc);

    } else {
        ngx_http_north_pg_state(pc, NGX_HTTP_NORTH_PG_IDLE);
        pc->c->idle = 1;
    }

    if (op != NULL) {
        op->slot = NULL;

        if (res != NULL && ngx_http_north_pg_timed_out(res)) {
            ngx_log_error(NGX_LOG_ERR, pc->pool->log, 0,
                          "north pg: \"%s\" stopped by statement_timeout",
                          stmt->name);
            op->handler(op, NULL, NGX_HTTP_NORTH_PG_TIMEDOUT);

        } else if (res == NULL) {
            op->handler(op, NULL, NGX_HTTP_NORTH_PG_FAILED);

        } else if (PQresultStatus(res) == PGRES_TUPLES_OK
                   && PQnfields(res) != stmt->ncols)
        {
            ngx_log_error(NGX_LOG_ALERT, pc->pool->log, 0,
                          "north pg: \"%s\" answered rows of %d columns,"
                          " not %d", stmt->name, PQnfields(res), stmt->ncols);
            op->handler(op, NULL, NGX_HTTP_NORTH_PG_MISSHAPEN);

        } else {
            op->handler(op, res, NGX_OK);
        }
    }

    if (res != NULL) {
        PQclear(res);
    }

    /* the handler may have sent more here, or lost the connection */
    if (pc->state >= NGX_HTTP_NORTH_PG_IDLE) {
        ngx_http_north_pg_ready(pc);
    }
}


/* The server's statement_timeout (SQLSTATE 57014) is our timeout too. */

static ngx_uint_t
ngx_http_north_pg_timed_out(PGresult *res)
{
    char  *state;

    if (PQresultStatus(res) != PGRES_FATAL_ERROR) {
        return 0;
    }

    state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

    return state != NULL && ngx_strcmp(state, "57014") == 0;
}


static void
ngx_http_north_pg_timeout(ngx_event_t *ev)
{
    ngx_http_north_pg_conn_t  *pc;

    pc = ev->data;

    if (pc->state == NGX_HTTP_NORTH_PG_CONNECTING) {
        ngx_http_north_pg_fail(pc, "connect timed out",
                               NGX_HTTP_NORTH_PG_UNAVAILABLE);
        return;
    }

    /*
     * PQcancel() would block the worker: close the connection instead;
     * statement_timeout, set on connect, stops the query on the server.
     */
    ngx_http_north_pg_fail(pc, "query timed out", NGX_HTTP_NORTH_PG_TIMEDOUT);
}


static void
ngx_http_north_pg_retry(ngx_event_t *ev)
{
    ngx_http_north_pg_conn_t  *pc;

    pc = ev->data;

    if (pc->state == NGX_HTTP_NORTH_PG_DOWN) {
        ngx_http_north_pg_connect(pc);
    }
}


/*
 * Ends the connection's work, closes it and arranges a reconnect: at once
 * after a lost query, with backoff after a refusal. The oldest op gets
 * status; those behind it in the pipeline were lost with the link.
 */

static void
ngx_http_north_pg_fail(ngx_http_north_pg_conn_t *pc, const char *what,
    ngx_int_t status)
{
    ngx_uint_t                 i, n, connecting;
    ngx_http_north_pg_op_t    *op;
    ngx_http_north_pg_pool_t  *pg;
    ngx_http_north_pg_slot_t  *slot, lost[NGX_HTTP_NORTH_PG_PIPELINE];

    pg = pc->pool;
    connecting = (pc->state == NGX_HTTP_NORTH_PG_CONNECTING
                  || pc->state == NGX_HTTP_NORTH_PG_DOWN);

    ngx_http_north_metric_add(NGX_HTTP_NORTH_M_PG_ERRORS, 1);
    pc->failed = 1;

    /* a fail-over may have moved the host: the resolver is asked again */
    ngx_http_north_dns_ask(&pg->dns);

    ngx_log_error((connecting && pc->backoff ? NGX_LOG_INFO : NGX_LOG_ERR),
                  pg->log, 0, "north pg: %s failed: %s", what,
                  pc->pg ? PQerrorMessage(pc->pg) : "out of memory");

    /* a link lost, or the first refusal of a run of them */
    if (!connecting || pc->backoff == 0) {
        ngx_http_north_event("link", json_pack("{s:s, s:s, s:s}",
                             "store", "postgresql",
                             "state", connecting ? "refused" : "lost",
                             "why", what));
    }

    /* the ops move here: a handler that cancels another op finds it */
    n = pc->depth;

    for (i = 0; i < n; i++) {
        slot = &pc->slots[(pc->head + i) % NGX_HTTP_NORTH_PG_PIPELINE];
        lost[i] = *slot;
        slot->op = NULL;

        if (lost[i].op != NULL) {
            lost[i].op->slot = &lost[i];
        }
    }

    ngx_http_north_pg_close(pc);
    ngx_http_north_reconnect(&pc->retry, &pc->backoff, connecting);

    /* the handlers may queue new work: the pool is consistent by now */

    for (i = 0; i < n; i++) {
        op = lost[i].op;

        if (op != NULL) {
            lost[i].op = NULL;
            op->slot = NULL;
            op->handler(op, NULL, i == 0 ? status : NGX_HTTP_NORTH_PG_FAILED);
        }
    }

    if (!ngx_http_north_pg_live(pg)) {
        ngx_http_north_pg_fail_waiters(pg, NGX_HTTP_NORTH_PG_UNAVAILABLE);
    }
}


static void
ngx_http_north_pg_close(ngx_http_north_pg_conn_t *pc)
{
    ngx_uint_t         i;
    ngx_connection_t  *c;

    if (pc->timer.timer_set) {
        ngx_del_timer(&pc->timer);
    }

    c = pc->c;

    if (c != NULL) {
        if (c->read->posted) {
            ngx_delete_posted_event(c->read);
        }

        if (c->write->posted) {
            ngx_delete_posted_event(c->write);
        }

        /* libpq owns the socket and closes it in PQfinish() */
        if (c->read->active) {
            ngx_del_event(c->read, NGX_READ_EVENT, NGX_CLOSE_EVENT);
        }

        if (c->write->active) {
            ngx_del_event(c->write, NGX_WRITE_EVENT, NGX_CLOSE_EVENT);
        }

        ngx_free_connection(c);
        c->fd = (ngx_socket_t) -1;
        pc->c = NULL;
    }

    if (pc->res != NULL) {
        PQclear(pc->res);
        pc->res = NULL;
    }

    if (pc->pg != NULL) {
        PQfinish(pc->pg);
        pc->pg = NULL;
    }

    /* ops still here are forgotten: ngx_http_north_pg_fail took its own */
    for (i = 0; i < pc->depth; i++) {
        if (pc->slots[(pc->head + i) % NGX_HTTP_NORTH_PG_PIPELINE].op) {
            pc->slots[(pc->head + i) % NGX_HTTP_NORTH_PG_PIPELINE].op->slot
                = NULL;
        }
    }

    ngx_memzero(pc->slots, sizeof(pc->slots));
    pc->head = 0;
    pc->depth = 0;
    pc->jobs = 0;
    ngx_http_north_pg_state(pc, NGX_HTTP_NORTH_PG_DOWN);
}


/* Whether any connection is up or on its way up. */

static ngx_uint_t
ngx_http_north_pg_live(ngx_http_north_pg_pool_t *pg)
{
    ngx_uint_t  n;

    for (n = 0; n < pg->nconns; n++) {
        if (pg->conns[n].state != NGX_HTTP_NORTH_PG_DOWN) {
            return 1;
        }
    }

    return 0;
}


static void
ngx_http_north_pg_fail_waiters(ngx_http_north_pg_pool_t *pg, ngx_int_t status)
{
    ngx_http_north_pg_op_t  *op;

    while ((op = ngx_http_north_pg_dequeue(pg)) != NULL) {
        op->handler(op, NULL, status);
    }
}


/* The oldest waiting op, out of the queue, or NULL. */

static ngx_http_north_pg_op_t *
ngx_http_north_pg_dequeue(ngx_http_north_pg_pool_t *pg)
{
    ngx_queue_t             *q;
    ngx_http_north_pg_op_t  *op;

    if (ngx_queue_empty(&pg->waiting)) {
        return NULL;
    }

    q = ngx_queue_head(&pg->waiting);
    ngx_queue_remove(q);
    pg->nwaiting--;
    ngx_http_north_metric_add(NGX_HTTP_NORTH_M_PG_WAITING, -1);

    op = ngx_queue_data(q, ngx_http_north_pg_op_t, queue);
    op->waiting = 0;

    ngx_http_north_metric_add(NGX_HTTP_NORTH_M_PG_WAITED, 1);
    ngx_http_north_metric_add(NGX_HTTP_NORTH_M_PG_WAIT_MS,
                              ngx_current_msec - op->queued);

    if (op->wait.timer_set) {
        ngx_del_timer(&op->wait);
    }

    return op;
}


static void
ngx_http_north_pg_wait_timeout(ngx_event_t *ev)
{
    ngx_http_north_pg_op_t  *op;

    op = ev->data;

    ngx_log_error(NGX_LOG_ERR, op->pool->log, 0,
                  "north pg: \"%s\" waited %M ms for a connection",
                  op->stmt->name, op->pool->mcf->pg_query_timeout);

    ngx_queue_remove(&op->queue);
    op->pool->nwaiting--;
    op->waiting = 0;
    ngx_http_north_metric_add(NGX_HTTP_NORTH_M_PG_WAITING, -1);
    ngx_http_north_metric_add(NGX_HTTP_NORTH_M_PG_ERRORS, 1);

    op->handler(op, NULL, NGX_HTTP_NORTH_PG_TIMEDOUT);
}


/* The op's pool is going away: forget it wherever it stands. */

static void
ngx_http_north_pg_cancel(void *data)
{
    ngx_http_north_pg_op_t  *op = data;

    ngx_http_north_pg_slot_t  *slot;

    if (op->waiting) {
        ngx_queue_remove(&op->queue);
        op->pool->nwaiting--;
        op->waiting = 0;
        ngx_http_north_metric_add(NGX_HTTP_NORTH_M_PG_WAITING, -1);

        if (op->wait.timer_set) {
            ngx_del_timer(&op->wait);
        }
    }

    slot = op->slot;

    if (slot != NULL) {
        /* the connection finishes the query and discards its result */
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, op->pool->log, 0,
                       "north pg: \"%s\" detached", op->stmt->name);
        slot->op = NULL;
        op->slot = NULL;
    }
}


ngx_int_t
ngx_http_north_pg_query(ngx_http_request_t *r, ngx_http_north_pg_stmt_t *stmt,
    const char **values, ngx_http_north_pg_done_pt done, void *data)
{
    return ngx_http_north_pg_request(r, stmt, values, stmt->rows, done,
                                     data);
}


ngx_int_t
ngx_http_north_pg_stream(ngx_http_request_t *r, ngx_http_north_pg_stmt_t *stmt,
    const char **values, ngx_http_north_pg_done_pt done, void *data)
{
    return ngx_http_north_pg_request(r, stmt, values, NGX_HTTP_NORTH_PG_RAW,
                                     done, data);
}


static ngx_int_t
ngx_http_north_pg_request(ngx_http_request_t *r,
    ngx_http_north_pg_stmt_t *stmt, const char **values, int rows,
    ngx_http_north_pg_done_pt done, void *data)
{
    ngx_int_t                     rc;
    ngx_http_north_pg_request_t  *pr;
    ngx_http_north_main_conf_t   *mcf;

    mcf = ngx_http_get_module_main_conf(r, ngx_http_north_module);

    pr = ngx_palloc(r->pool, sizeof(ngx_http_north_pg_request_t));
    if (pr == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    pr->request = r;
    pr->done = done;
    pr->data = data;
    pr->rows = rows;

    rc = ngx_http_north_pg_send(mcf->pg, r->pool, stmt, values,
                                ngx_http_north_pg_request_handler, pr);

    if (rc == NGX_OK) {
        ngx_http_north_wait_begin(r, NGX_HTTP_NORTH_WAIT_PG);
        ngx_http_north_async_begin(r);
        return NGX_DONE;
    }

    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_north_pg_continue(pr, NULL, rc);
}


ngx_int_t
ngx_http_north_pg_query_sized(ngx_http_request_t *r,
    ngx_http_north_pg_stmt_t *stmt, const char **values, size_t size,
    ngx_http_north_pg_done_pt done, void *data)
{
    if (size != stmt->nparams * sizeof(const char *)) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "north pg: statement \"%s\" takes %d parameters, "
                      "given %uz", stmt->name, stmt->nparams,
                      size / sizeof(const char *));
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_north_pg_query(r, stmt, values, done, data);
}


ngx_int_t
ngx_http_north_pg_query_path(ngx_http_request_t *r, ngx_uint_t from_end,
    ngx_http_north_pg_stmt_t *stmt, const char *extra,
    ngx_http_north_pg_done_pt done, void *data)
{
    ngx_str_t                   id;
    const char                 *values[3];
    ngx_http_north_identity_t  *caller;

    caller = ngx_http_north_jwt_identity(r);
    if (caller == NULL) {
        return NGX_HTTP_UNAUTHORIZED;
    }

    if (ngx_http_north_path_uuid(r, from_end, &id) != NGX_OK) {
        return NGX_DECLINED;
    }

    values[0] = (char *) caller->user_id.data;
    values[1] = ngx_http_north_strdup(r->pool, &id);
    values[2] = extra;

    if (values[1] == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_north_pg_query(r, stmt, values, done, data);
}


ngx_int_t
ngx_http_north_pg_query_page(ngx_http_request_t *r,
    ngx_http_north_pg_stmt_t *stmt, ngx_uint_t max,
    ngx_uint_t (*check)(ngx_str_t *cursor), const char *extra)
{
    u_char                     *p;
    ngx_int_t                   n;
    ngx_str_t                   v;
    const char                 *values[4];
    ngx_http_north_fields_t     f;
    ngx_http_north_identity_t  *id;

    id = ngx_http_north_jwt_identity(r);
    if (id == NULL) {
        return NGX_HTTP_UNAUTHORIZED;
    }

    if (ngx_http_north_fields_init(&f, r, NULL) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    values[0] = (char *) id->user_id.data;
    values[1] = NULL;
    values[2] = "50";
    values[3] = extra;

    if (ngx_http_arg(r, (u_char *) "limit", 5, &v) == NGX_OK) {
        n = ngx_atoi(v.data, v.len);

        if (n < 1 || (ngx_uint_t) n > max) {
            p = ngx_pnalloc(r->pool, sizeof("must be between 1 and ")
                                     + NGX_INT_T_LEN);
            if (p == NULL) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            ngx_sprintf(p, "must be between 1 and %ui%Z", max);
            ngx_http_north_fields_error(&f, "limit", (char *) p);

        } else {
            values[2] = ngx_http_north_strdup(r->pool, &v);
            if (values[2] == NULL) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }
        }
    }

    if (ngx_http_arg(r, (u_char *) "cursor", 6, &v) == NGX_OK) {
        if (!check(&v)) {
            ngx_http_north_fields_error(&f, "cursor",
                                        "is not a cursor this list gave");
        } else {
            values[1] = ngx_http_north_strdup(r->pool, &v);
            if (values[1] == NULL) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }
        }
    }

    if (ngx_http_north_fields_failed(&f)) {
        return ngx_http_north_fields_problem(r, &f);
    }

    return ngx_http_north_pg_query(r, stmt, values,
                                   ngx_http_north_pg_json_done, NULL);
}


ngx_uint_t
ngx_http_north_cursor_id(ngx_str_t *cursor)
{
    return cursor->len > 0 && cursor->len <= 18
           && ngx_atoi(cursor->data, cursor->len) > 0;
}


ngx_uint_t
ngx_http_north_cursor_uuid(ngx_str_t *cursor)
{
    return north_check_uuid(cursor->data, cursor->len);
}


static void
ngx_http_north_pg_request_handler(ngx_http_north_pg_op_t *op, PGresult *res,
    ngx_int_t status)
{
    ngx_http_north_pg_request_t  *pr = op->data;

    ngx_http_north_wait_end(pr->request, NGX_HTTP_NORTH_WAIT_PG);
    ngx_http_north_async_end(pr->request,
                             ngx_http_north_pg_continue(pr, res, status));
}


static ngx_int_t
ngx_http_north_pg_continue(ngx_http_north_pg_request_t *pr, PGresult *res,
    ngx_int_t status)
{
    ngx_int_t  rc;

    if (pr->rows != NGX_HTTP_NORTH_PG_RAW) {
        rc = ngx_http_north_pg_result(pr->request, res, status, pr->rows);
        if (rc != NGX_DECLINED) {
            return rc;
        }
    }

    return pr->done(pr->request, pr->data, res, status);
}


const char *
ngx_http_north_pg_status_text(ngx_int_t status)
{
    switch (status) {
    case NGX_HTTP_NORTH_PG_UNAVAILABLE:
        return "the database is unavailable";
    case NGX_HTTP_NORTH_PG_TIMEDOUT:
        return "the database did not answer in time";
    case NGX_HTTP_NORTH_PG_BUSY:
        return "the database is overloaded";
    case NGX_HTTP_NORTH_PG_MISSHAPEN:
        return "the database answered in an unexpected shape";
    default:
        return "the database connection was lost";
    }
}


const char *
ngx_http_north_pg_why(PGresult *res, ngx_int_t status)
{
    return res ? PQresultErrorMessage(res)
               : ngx_http_north_pg_status_text(status);
}


ngx_int_t
ngx_http_north_pg_problem(ngx_http_request_t *r, ngx_int_t status)
{
    if (status == NGX_HTTP_NORTH_PG_MISSHAPEN) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_north_problem(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                  "database-unavailable",
                                  "Service temporarily unavailable",
                                  ngx_http_north_pg_status_text(status), NULL);
}


ngx_int_t
ngx_http_north_pg_result(ngx_http_request_t *r, PGresult *res,
    ngx_int_t status, int rows)
{
    if (res == NULL) {
        return ngx_http_north_pg_problem(r, status);
    }

    if (PQresultStatus(res) != PGRES_TUPLES_OK
        || (rows >= 0 && PQntuples(res) != rows))
    {
        return ngx_http_north_pg_error(r, res);
    }

    return NGX_DECLINED;
}


ngx_int_t
ngx_http_north_pg_copy(ngx_http_request_t *r, PGresult *res, int col,
    ngx_str_t *s)
{
    s->len = PQgetlength(res, 0, col);
    s->data = ngx_pnalloc(r->pool, s->len + 1);
    if (s->data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(s->data, PQgetvalue(res, 0, col), s->len + 1);

    return NGX_OK;
}


ngx_int_t
ngx_http_north_pg_json(ngx_http_request_t *r, ngx_uint_t status,
    PGresult *res, int col)
{
    ngx_str_t  text;

    /* the result is freed once the continuation returns */
    if (ngx_http_north_pg_copy(r, res, col, &text) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_north_json_send_text(r, status, text.data, text.len);
}


json_t *
ngx_http_north_pg_document(ngx_http_request_t *r, PGresult *res, int col)
{
    json_t        *doc;
    json_error_t   err;

    doc = json_loads(PQgetvalue(res, 0, col), 0, &err);

    if (doc == NULL) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "north pg: column %d is no JSON document: %s",
                      col, err.text);
        return NULL;
    }

    if (ngx_http_north_json_keep(r->pool, doc) != NGX_OK) {
        json_decref(doc);
        return NULL;
    }

    return doc;
}


ngx_int_t
ngx_http_north_pg_json_done(ngx_http_request_t *r, void *data, PGresult *res,
    ngx_int_t status)
{
    return ngx_http_north_pg_json(r, data ? (uintptr_t) data : NGX_HTTP_OK,
                                  res, PQnfields(res) - 1);
}


ngx_int_t
ngx_http_north_pg_error(ngx_http_request_t *r, PGresult *res)
{
    char  *msg;

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "north pg: %s %s", ngx_http_north_pg_sqlstate(res),
                  PQresultErrorMessage(res));

    /* the primary message only: no detail or context naming values */
    msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

    ngx_http_north_sentry_capture("postgresql.error", "error", r,
                                  "SQLSTATE %s: %s",
                                  ngx_http_north_pg_sqlstate(res),
                                  msg ? msg : "(no message)");

    return NGX_HTTP_INTERNAL_SERVER_ERROR;
}


const char *
ngx_http_north_pg_sqlstate(PGresult *res)
{
    char  *state;

    state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

    return state ? state : "";
}
