/*
 * Sync in real time: GET /v1/sync/stream (server-sent events) and the long
 * poll of GET /v1/sync?wait=.
 *
 * The change log's trigger NOTIFYs the user's id on channel north_sync when
 * its transaction commits; the platform's pool listens on one connection a
 * worker and hands each notification here, where the worker's own waiters
 * of that user are found in a hash by user id. A stream then looks for the
 * newest change the feed would hand (north.sync_latest) and sends it as an
 * event "changes" whose id and data are its cursor: the app reads the feed
 * then, and a stream resumed with Last-Event-ID starts from it. A change
 * committed while an older transaction still runs is not yet handed: the
 * look says so (pending) and is made again shortly.
 *
 * A stream sends a comment every north_sync_heartbeat (25 s), ends after
 * north_sync_stream_life (1 h), when its session ends (channel
 * north_session, within a second of the revocation's commit), and when its
 * worker leaves on a reload or shutdown: the app reconnects.
 *
 * While a stream is open, on any node, its user's Redis key
 * north:{USER}:stream lives (set at each beat, for two beats): a Plaid sync
 * that brings new data to a user without one asks the push service for a
 * silent push instead (north_sync_away).
 */

#include "ngx_north.h"
#include "ngx_north_pg.h"
#include "ngx_north_redis.h"
#include "ngx_north_json.h"
#include "ngx_north_jwt.h"
#include "sync.h"


#define NORTH_SYNC_BUCKETS  1024        /* the worker's waiters by user */
#define NORTH_SYNC_UUID_LEN 36
#define NORTH_SYNC_SOON     100         /* ms: a pending change looked at */
#define NORTH_SYNC_RETRY    1000        /* ms: a look that failed, again */
#define NORTH_SYNC_TICK     1000        /* ms: a leaving worker noticed */
#define NORTH_SYNC_EVENT    (sizeof("id: \nevent: changes\ndata: "         \
                                    "{\"cursor\":\"\"}\n\n")              \
                             + 2 * 128)


typedef struct {
    ngx_msec_t                   heartbeat;
    ngx_msec_t                   life;
} north_sync_conf_t;


typedef struct {
    ngx_http_request_t          *request;
    ngx_queue_t                  queue;     /* in its user's bucket */
    u_char                       user[NORTH_SYNC_UUID_LEN];
    ngx_str_t                    session;
    north_sync_cursor_t          cursor;    /* the last one sent */
    ngx_event_t                  timer;     /* beat, end, or a look again */
    ngx_msec_t                   beat;      /* when the next beat is due */
    ngx_msec_t                   end;       /* the stream's, or the poll's */
    north_sync_wake_pt           wake;      /* a long poll's, else NULL */
    ngx_buf_t                    buf;       /* what is being sent */
    ngx_chain_t                  out;
    u_char                       text[NORTH_SYNC_EVENT];
    unsigned                     queued:1;  /* in its bucket */
    unsigned                     looking:1;
    unsigned                     missed:1;  /* notified while looking */
    unsigned                     soon:1;    /* the timer is a look */
} north_sync_waiter_t;


static ngx_int_t north_sync_stream(ngx_http_request_t *r);
static north_sync_waiter_t *north_sync_waiter(ngx_http_request_t *r,
    north_sync_waiter_t *w);
static void north_sync_enqueue(north_sync_waiter_t *w);
static void north_sync_dequeue(north_sync_waiter_t *w);
static void north_sync_look(north_sync_waiter_t *w);
static ngx_int_t north_sync_looked(ngx_http_request_t *r, void *data,
    PGresult *res, ngx_int_t status);
static void north_sync_soon(north_sync_waiter_t *w, ngx_msec_t ms);
static void north_sync_rest(north_sync_waiter_t *w);
static void north_sync_poke(north_sync_waiter_t *w);
static void north_sync_timer(ngx_event_t *ev);
static ngx_int_t north_sync_send(north_sync_waiter_t *w, u_char *text,
    size_t len);
static void north_sync_write(ngx_http_request_t *r);
static void north_sync_end(north_sync_waiter_t *w);
static void north_sync_cleanup(void *data);
static ngx_queue_t *north_sync_bucket(const u_char *user);
static void north_sync_tick(ngx_event_t *ev);
static void north_sync_present(north_sync_waiter_t *w);
static void north_sync_away_known(void *data, redisReply *reply,
    ngx_int_t status);
static void north_sync_pushed(ngx_http_north_pg_op_t *op, PGresult *res,
    ngx_int_t status);
static void *north_sync_create_main_conf(ngx_conf_t *cf);
static char *north_sync_init_main_conf(ngx_conf_t *cf, void *conf);


static ngx_command_t  north_sync_commands[] = {

    { ngx_string("north_sync_heartbeat"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(north_sync_conf_t, heartbeat),
      NULL },

    { ngx_string("north_sync_stream_life"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(north_sync_conf_t, life),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  north_sync_module_ctx = {
    NULL,                                  /* preconfiguration */
    NULL,                                  /* postconfiguration */

    north_sync_create_main_conf,           /* create main configuration */
    north_sync_init_main_conf,             /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    NULL,                                  /* create location configuration */
    NULL                                   /* merge location configuration */
};


ngx_module_t  ngx_http_north_sync_module = {
    NGX_MODULE_V1,
    &north_sync_module_ctx,                /* module context */
    north_sync_commands,                   /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


typedef struct {
    ngx_http_north_main_conf_t  *mcf;
    ngx_pool_t                  *pool;
    const char                  *user;
    void                       (*done)(void *data);
    void                        *data;
} north_sync_away_t;


static ngx_http_north_pg_stmt_t  north_sync_push_stmt =
    ngx_http_north_pg_stmt("north_sync_push",
        "select north.sync_push($1::uuid)", 1, 1);

static ngx_http_north_pg_stmt_t  north_sync_latest_stmt =
    ngx_http_north_pg_stmt_raw("north_sync_latest",
        "select xid::text, seq, pending"
        " from north.sync_latest($1, $2::xid8, $3::bigint)", 3, 3);


/* the worker's waiters, streams and long polls, by user */
static ngx_queue_t   north_sync_buckets[NORTH_SYNC_BUCKETS];
static ngx_uint_t    north_sync_waiters;
static ngx_event_t   north_sync_ticker;


/* GET /v1/sync/stream, Last-Event-ID: a cursor */

static ngx_int_t
north_sync_stream(ngx_http_request_t *r)
{
    ngx_int_t             rc;
    ngx_table_elt_t      *h;
    north_sync_waiter_t  *w;

    static ngx_str_t  last = ngx_string("Last-Event-ID");
    static ngx_str_t  no_store = ngx_string("no-store");
    static u_char     hello[] = "retry: 3000\n\n";

    w = north_sync_waiter(r, NULL);
    if (w == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* a resumed stream goes on from its last event; else from the start */
    h = ngx_http_north_header_in(r, &last);

    if (h != NULL
        && (north_sync_cursor_decode(&h->value, &w->cursor) != NGX_OK
            || w->cursor.full))
    {
        ngx_memzero(&w->cursor, sizeof(north_sync_cursor_t));
    }

    r->headers_out.status = NGX_HTTP_OK;
    ngx_str_set(&r->headers_out.content_type, "text/event-stream");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_length_n = -1;

    if (ngx_http_north_header_out(r, "Cache-Control", &no_store) == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_send_header(r);
    if (rc == NGX_ERROR || rc > NGX_OK) {
        return rc;
    }

    w->end = ngx_current_msec
             + ((north_sync_conf_t *) ngx_http_get_module_main_conf(r,
                    ngx_http_north_sync_module))->life;

    if (north_sync_send(w, hello, sizeof(hello) - 1) != NGX_OK) {
        return NGX_ERROR;
    }

    north_sync_present(w);

    r->main->count++;
    r->write_event_handler = north_sync_write;

    if (r->read_event_handler == ngx_http_block_reading) {
        r->read_event_handler = ngx_http_test_reading;
    }

    north_sync_look(w);

    return NGX_DONE;
}


/* ?wait=: see sync.h */
ngx_int_t
north_sync_wait(ngx_http_request_t *r, void **waiter, ngx_msec_t deadline,
    ngx_uint_t soon, north_sync_wake_pt wake)
{
    north_sync_waiter_t  *w;

    w = north_sync_waiter(r, *waiter);
    if (w == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    *waiter = w;
    w->wake = wake;
    w->end = deadline;

    if (r->read_event_handler == ngx_http_block_reading) {
        r->read_event_handler = ngx_http_test_reading;
    }

    /* the wait's own reference, dropped by wake's finalization */
    r->main->count++;

    w->soon = soon;
    ngx_add_timer(&w->timer, soon ? NORTH_SYNC_SOON
                  : ((ngx_msec_int_t) (deadline - ngx_current_msec) > 0
                     ? deadline - ngx_current_msec : 1));

    return NGX_DONE;
}


/* r's waiter (w, or a new one), entered in its user's bucket */
static north_sync_waiter_t *
north_sync_waiter(ngx_http_request_t *r, north_sync_waiter_t *w)
{
    ngx_uint_t                  i;
    ngx_pool_cleanup_t         *cln;
    north_sync_conf_t          *scf;
    ngx_http_north_identity_t  *id;

    if (w != NULL) {
        /* a long poll waiting again */
        north_sync_enqueue(w);
        return w;
    }

    id = ngx_http_north_jwt_identity(r);
    w = ngx_pcalloc(r->pool, sizeof(north_sync_waiter_t));
    cln = ngx_pool_cleanup_add(r->pool, 0);

    if (w == NULL || cln == NULL || id == NULL
        || id->user_id.len != NORTH_SYNC_UUID_LEN)
    {
        return NULL;
    }

    if (north_sync_ticker.handler == NULL) {
        for (i = 0; i < NORTH_SYNC_BUCKETS; i++) {
            ngx_queue_init(&north_sync_buckets[i]);
        }

        north_sync_ticker.handler = north_sync_tick;
        north_sync_ticker.log = ngx_cycle->log;
        north_sync_ticker.cancelable = 1;
    }

    scf = ngx_http_get_module_main_conf(r, ngx_http_north_sync_module);

    w->request = r;
    ngx_memcpy(w->user, id->user_id.data, NORTH_SYNC_UUID_LEN);
    w->session = id->session_id;
    w->beat = ngx_current_msec + scf->heartbeat;

    w->timer.handler = north_sync_timer;
    w->timer.data = w;
    w->timer.log = r->connection->log;

    w->out.buf = &w->buf;
    w->buf.memory = 1;
    w->buf.flush = 1;

    cln->handler = north_sync_cleanup;
    cln->data = w;

    north_sync_enqueue(w);

    return w;
}


static void
north_sync_enqueue(north_sync_waiter_t *w)
{
    ngx_queue_insert_tail(north_sync_bucket(w->user), &w->queue);
    w->queued = 1;
    north_sync_waiters++;

    if (!north_sync_ticker.timer_set) {
        ngx_add_timer(&north_sync_ticker, NORTH_SYNC_TICK);
    }
}


/* out of its bucket, its timer off */
static void
north_sync_dequeue(north_sync_waiter_t *w)
{
    if (w->timer.timer_set) {
        ngx_del_timer(&w->timer);
    }

    if (w->queued) {
        ngx_queue_remove(&w->queue);
        w->queued = 0;
        north_sync_waiters--;
    }
}


/* the newest change the feed would hand, after the last one sent */
static void
north_sync_look(north_sync_waiter_t *w)
{
    char                 xid[NGX_INT64_LEN + 1], seq[NGX_INT64_LEN + 1];
    u_char               user[NORTH_SYNC_UUID_LEN + 1];
    ngx_int_t            rc;
    const char          *values[3];
    ngx_http_request_t  *r;

    r = w->request;

    ngx_sprintf((u_char *) xid, "%uL%Z", (uint64_t) w->cursor.xid);
    ngx_sprintf((u_char *) seq, "%L%Z", (int64_t) w->cursor.seq);
    ngx_sprintf(user, "%*s%Z", (size_t) NORTH_SYNC_UUID_LEN, w->user);

    values[0] = (char *) user;
    values[1] = xid;
    values[2] = seq;

    w->looking = 1;
    w->missed = 0;

    rc = ngx_http_north_pg_query(r, &north_sync_latest_stmt, values,
                                 north_sync_looked, w);

    if (rc != NGX_DONE) {
        /* no look could be sent: another in a while */
        w->looking = 0;
        north_sync_soon(w, NORTH_SYNC_RETRY);
    }
}


static ngx_int_t
north_sync_looked(ngx_http_request_t *r, void *data, PGresult *res,
    ngx_int_t status)
{
    u_char               *p;
    ngx_str_t             cursor;
    ngx_msec_t            next;
    north_sync_waiter_t  *w;
    north_sync_cursor_t   latest;

    w = data;
    w->looking = 0;

    if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK
        || PQntuples(res) != 1)
    {
        /* PostgreSQL away: the stream stays, and looks again */
        next = NORTH_SYNC_RETRY;
        goto again;
    }

    ngx_memzero(&latest, sizeof(north_sync_cursor_t));
    latest.xid = ngx_atoof((u_char *) PQgetvalue(res, 0, 0),
                           PQgetlength(res, 0, 0));
    latest.seq = ngx_atoof((u_char *) PQgetvalue(res, 0, 1),
                           PQgetlength(res, 0, 1));

    if ((off_t) latest.xid == NGX_ERROR || latest.seq == NGX_ERROR) {
        next = NORTH_SYNC_RETRY;
        goto again;
    }

    if (latest.xid != w->cursor.xid || latest.seq != w->cursor.seq) {
        if (north_sync_cursor_encode(r->pool, &latest, &cursor) != NGX_OK) {
            north_sync_end(w);
            return NGX_DONE;
        }

        p = ngx_snprintf(w->text, sizeof(w->text),
                         "id: %V\nevent: changes\ndata: {\"cursor\":\"%V\"}"
                         "\n\n", &cursor, &cursor);

        if (north_sync_send(w, w->text, p - w->text) != NGX_OK) {
            north_sync_end(w);
            return NGX_DONE;
        }

        w->cursor = latest;
    }

    if (w->missed) {
        north_sync_look(w);
        return NGX_DONE;
    }

    if (*PQgetvalue(res, 0, 2) != 't') {
        /* nothing more: the beat is next */
        north_sync_rest(w);
        return NGX_DONE;
    }

    next = NORTH_SYNC_SOON;

again:

    north_sync_soon(w, next);

    return NGX_DONE;
}


/* w's timer: a look again in ms */
static void
north_sync_soon(north_sync_waiter_t *w, ngx_msec_t ms)
{
    w->soon = 1;

    if (w->timer.timer_set) {
        ngx_del_timer(&w->timer);
    }

    ngx_add_timer(&w->timer, ms);
}


/* w's timer: its next beat, or its end if that comes first */
static void
north_sync_rest(north_sync_waiter_t *w)
{
    ngx_msec_t  at;

    w->soon = 0;
    at = ngx_min(w->beat, w->end);

    if (w->timer.timer_set) {
        ngx_del_timer(&w->timer);
    }

    ngx_add_timer(&w->timer, at > ngx_current_msec ? at - ngx_current_msec : 1);
}


/* the listener's news of a user: each of their waiters here looks */
void
north_sync_notified(const char *user)
{
    ngx_uint_t            i;
    ngx_queue_t          *q, *next, *bucket;
    north_sync_waiter_t  *w;

    if (north_sync_waiters == 0) {
        return;
    }

    if (user == NULL) {
        /* the listener was down: anything may have been missed */
        for (i = 0; i < NORTH_SYNC_BUCKETS; i++) {
            for (q = ngx_queue_head(&north_sync_buckets[i]);
                 q != ngx_queue_sentinel(&north_sync_buckets[i]);
                 q = next)
            {
                next = ngx_queue_next(q);
                north_sync_poke(ngx_queue_data(q, north_sync_waiter_t,
                                               queue));
            }
        }

        return;
    }

    if (ngx_strlen(user) != NORTH_SYNC_UUID_LEN) {
        return;
    }

    bucket = north_sync_bucket((u_char *) user);

    for (q = ngx_queue_head(bucket); q != ngx_queue_sentinel(bucket);
         q = next)
    {
        next = ngx_queue_next(q);
        w = ngx_queue_data(q, north_sync_waiter_t, queue);

        if (ngx_memcmp(w->user, user, NORTH_SYNC_UUID_LEN) == 0) {
            north_sync_poke(w);
        }
    }
}


/* a session ended: its streams and polls end */
void
north_sync_session_ended(const char *session)
{
    size_t                len;
    ngx_uint_t            i;
    ngx_queue_t          *q, *next;
    north_sync_waiter_t  *w;

    if (north_sync_waiters == 0 || session == NULL) {
        return;
    }

    len = ngx_strlen(session);

    for (i = 0; i < NORTH_SYNC_BUCKETS; i++) {
        for (q = ngx_queue_head(&north_sync_buckets[i]);
             q != ngx_queue_sentinel(&north_sync_buckets[i]);
             q = next)
        {
            next = ngx_queue_next(q);
            w = ngx_queue_data(q, north_sync_waiter_t, queue);

            if (w->session.len == len
                && ngx_strncmp(w->session.data, session, len) == 0)
            {
                north_sync_end(w);
            }
        }
    }
}


/* a change of w's user: a stream looks, a long poll reads the feed */
static void
north_sync_poke(north_sync_waiter_t *w)
{
    ngx_http_request_t  *r;

    if (w->wake == NULL) {
        if (w->looking) {
            w->missed = 1;
            return;
        }

        north_sync_look(w);
        return;
    }

    r = w->request;

    north_sync_dequeue(w);
    w->wake(r, 0);
}


static void
north_sync_timer(ngx_event_t *ev)
{
    north_sync_waiter_t  *w;
    ngx_http_request_t   *r;

    static u_char  beat[] = ": beat\n\n";

    w = ev->data;
    r = w->request;

    if (w->wake != NULL) {
        /* a long poll: looked at again soon, or its time is up */
        if (w->soon && ngx_current_msec < w->end) {
            w->soon = 0;
            north_sync_poke(w);
            return;
        }

        north_sync_end(w);
        return;
    }

    if (ngx_current_msec >= w->end) {
        north_sync_end(w);
        return;
    }

    if (w->soon) {
        w->soon = 0;
        north_sync_look(w);
        return;
    }

    if (ngx_current_msec >= w->beat) {
        w->beat = ngx_current_msec
                  + ((north_sync_conf_t *) ngx_http_get_module_main_conf(r,
                         ngx_http_north_sync_module))->heartbeat;

        /* a beat is skipped while an event is still being sent */
        if (w->buf.pos == w->buf.last
            && north_sync_send(w, beat, sizeof(beat) - 1) != NGX_OK)
        {
            north_sync_end(w);
            return;
        }

        north_sync_present(w);
    }

    north_sync_rest(w);
}


/* text onto the stream (its own buffer: a stream's memory does not grow) */
static ngx_int_t
north_sync_send(north_sync_waiter_t *w, u_char *text, size_t len)
{
    ngx_int_t            rc;
    ngx_http_request_t  *r;

    r = w->request;

    w->buf.pos = text;
    w->buf.last = text + len;
    w->buf.start = text;
    w->buf.end = text + len;
    w->out.next = NULL;

    rc = ngx_http_output_filter(r, &w->out);

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    /* NGX_AGAIN: the rest goes as the client reads (north_sync_write) */
    return NGX_OK;
}


static void
north_sync_write(ngx_http_request_t *r)
{
    ngx_event_t  *wev;

    wev = r->connection->write;

    if (wev->timedout) {
        ngx_http_finalize_request(r, NGX_HTTP_REQUEST_TIME_OUT);
        return;
    }

    if (ngx_http_output_filter(r, NULL) == NGX_ERROR) {
        ngx_http_finalize_request(r, NGX_ERROR);
        return;
    }

    if (ngx_handle_write_event(wev, 0) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_ERROR);
    }
}


/*
 * w's end (its time, its session, its worker's): a stream's last chunk and
 * the request finalized; a long poll is answered as one whose wait is over
 */
static void
north_sync_end(north_sync_waiter_t *w)
{
    ngx_http_request_t  *r;

    r = w->request;

    north_sync_dequeue(w);

    if (w->wake != NULL) {
        w->wake(r, 1);
        return;
    }

    w->request = NULL;

    ngx_http_north_async_end(r, ngx_http_send_special(r, NGX_HTTP_LAST));
}


/* at the stream's end, or its pool's */
static void
north_sync_cleanup(void *data)
{
    north_sync_waiter_t  *w = data;

    if (w->request != NULL) {
        north_sync_dequeue(w);
    }
}


static ngx_queue_t *
north_sync_bucket(const u_char *user)
{
    return &north_sync_buckets[ngx_crc32_short((u_char *) user, NORTH_SYNC_UUID_LEN)
                               % NORTH_SYNC_BUCKETS];
}


/* a leaving worker (reload, shutdown) ends its streams and polls */
static void
north_sync_tick(ngx_event_t *ev)
{
    ngx_uint_t    i;
    ngx_queue_t  *q;

    if (ngx_exiting || ngx_quit || ngx_terminate) {
        for (i = 0; i < NORTH_SYNC_BUCKETS; i++) {
            while (!ngx_queue_empty(&north_sync_buckets[i])) {
                q = ngx_queue_head(&north_sync_buckets[i]);
                north_sync_end(ngx_queue_data(q, north_sync_waiter_t, queue));
            }
        }
    }

    if (north_sync_waiters) {
        ngx_add_timer(ev, NORTH_SYNC_TICK);
    }
}


/* north:{USER}:stream for two beats and 5 s: a stream is open */
static void
north_sync_present(north_sync_waiter_t *w)
{
    u_char                      ttl[NGX_INT_T_LEN];
    size_t                      argvlen[5];
    ngx_str_t                   user, key;
    const char                 *argv[5];
    ngx_http_request_t         *r;
    north_sync_conf_t          *scf;
    ngx_http_north_main_conf_t *mcf;

    r = w->request;
    scf = ngx_http_get_module_main_conf(r, ngx_http_north_sync_module);
    mcf = ngx_http_get_module_main_conf(r, ngx_http_north_module);

    user.data = w->user;
    user.len = NORTH_SYNC_UUID_LEN;

    if (ngx_http_north_user_key(r->pool, &user, "stream", NULL, &key)
        != NGX_OK)
    {
        return;
    }

    argv[0] = "SET";
    argvlen[0] = 3;
    argv[1] = (char *) key.data;
    argvlen[1] = key.len;
    argv[2] = "1";
    argvlen[2] = 1;
    argv[3] = "EX";
    argvlen[3] = 2;
    argv[4] = (char *) ttl;
    argvlen[4] = ngx_sprintf(ttl, "%M", scf->heartbeat * 2 / 1000 + 5) - ttl;

    /* lost with Redis away: a push may then go to an app that is open */
    (void) ngx_http_north_redis_send(mcf->rd, r->pool, 5, argv, argvlen,
                                     NULL, NULL);
}


/* see sync.h */
ngx_int_t
north_sync_away(ngx_pool_t *pool, ngx_str_t *user, void (*done)(void *data),
    void *data)
{
    size_t              argvlen[2];
    ngx_str_t           key;
    const char         *argv[2];
    north_sync_away_t  *a;

    a = ngx_palloc(pool, sizeof(north_sync_away_t));
    if (a == NULL
        || ngx_http_north_user_key(pool, user, "stream", NULL, &key) != NGX_OK)
    {
        return NGX_ERROR;
    }

    a->mcf = ngx_http_cycle_get_module_main_conf(ngx_cycle,
                                                 ngx_http_north_module);
    a->pool = pool;
    a->user = ngx_http_north_strdup(pool, user);
    a->done = done;
    a->data = data;

    if (a->user == NULL) {
        return NGX_ERROR;
    }

    argv[0] = "EXISTS";
    argvlen[0] = 6;
    argv[1] = (char *) key.data;
    argvlen[1] = key.len;

    if (ngx_http_north_redis_send(a->mcf->rd, pool, 2, argv, argvlen,
                                  north_sync_away_known, a)
        != NGX_OK)
    {
        /* Redis away: as if no stream were open */
        north_sync_away_known(a, NULL, NGX_HTTP_NORTH_REDIS_UNAVAILABLE);
    }

    return NGX_OK;
}


static void
north_sync_away_known(void *data, redisReply *reply, ngx_int_t status)
{
    north_sync_away_t  *a = data;

    const char  *values[1];

    if (reply != NULL && reply->type == REDIS_REPLY_INTEGER
        && reply->integer > 0)
    {
        /* a stream is open: it has told the app already */
        a->done(a->data);
        return;
    }

    values[0] = a->user;

    if (ngx_http_north_pg_send(a->mcf->pg, a->pool, &north_sync_push_stmt,
                               values, north_sync_pushed, a)
        != NGX_OK)
    {
        a->done(a->data);
    }
}


static void
north_sync_pushed(ngx_http_north_pg_op_t *op, PGresult *res,
    ngx_int_t status)
{
    north_sync_away_t  *a = op->data;

    if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
        ngx_log_error(NGX_LOG_WARN, ngx_cycle->log, 0,
                      "north sync: no silent push for %s: %s", a->user,
                      ngx_http_north_pg_why(res, status));
    }

    a->done(a->data);
}


static void *
north_sync_create_main_conf(ngx_conf_t *cf)
{
    north_sync_conf_t  *scf;

    scf = ngx_pcalloc(cf->pool, sizeof(north_sync_conf_t));
    if (scf == NULL) {
        return NULL;
    }

    scf->heartbeat = NGX_CONF_UNSET_MSEC;
    scf->life = NGX_CONF_UNSET_MSEC;

    return scf;
}


static char *
north_sync_init_main_conf(ngx_conf_t *cf, void *conf)
{
    north_sync_conf_t  *scf = conf;

    ngx_conf_init_msec_value(scf->heartbeat, 25000);
    ngx_conf_init_msec_value(scf->life, 3600000);

    if (scf->heartbeat < 1000 || scf->life < 1000) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "north_sync_heartbeat and north_sync_stream_life "
                           "must be at least 1s");
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


ngx_http_north_route_t  north_sync_stream_routes[] = {

    { ngx_string("sync.stream"), NGX_HTTP_GET, north_sync_stream },

    { ngx_null_string, 0, NULL }
};
