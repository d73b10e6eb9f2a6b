/*
 * North async Redis: nginx owns the socket (ngx_event_connect_peer), hiredis
 * formats commands and parses replies; replies match commands in FIFO order.
 */

#include "ngx_north_redis.h"
#include "ngx_north_metrics.h"
#include "ngx_north_dns.h"
#include "ngx_north_trace.h"

#include <jansson.h>


#define NGX_HTTP_NORTH_REDIS_DOWN        0
#define NGX_HTTP_NORTH_REDIS_CONNECTING  1
#define NGX_HTTP_NORTH_REDIS_READY       2


/* Heap-allocated: it stays in the FIFO after its request is gone. */
struct ngx_http_north_redis_cmd_s {
    ngx_queue_t                       queue;
    ngx_http_north_redis_handler_pt   handler;  /* NULL once cancelled */
    void                             *data;
    ngx_pool_cleanup_t               *cln;
    ngx_event_t                       timer;
    ngx_http_north_redis_t           *rd;
    uint64_t                          queued;   /* us, for its latency */
};


struct ngx_http_north_redis_s {
    ngx_http_north_main_conf_t       *mcf;
    ngx_log_t                        *log;
    ngx_peer_connection_t             peer;
    ngx_uint_t                        state;
    redisReader                      *reader;
    ngx_queue_t                       pending;
    u_char                           *out;
    size_t                            out_len;
    size_t                            out_sent;
    size_t                            out_cap;
    ngx_event_t                       retry;
    ngx_event_t                       flush;     /* posted: one write per
                                                    event-loop turn */
    ngx_msec_t                        backoff;
    ngx_msec_t                        attempted;
    ngx_uint_t                        generation;   /* links closed */
    time_t                            down_since;   /* failed, not back */
    ngx_http_north_redis_recovered_pt recovered;

    /* where Redis is: the URL's, then where its host name moves */
    ngx_addr_t                        addr;
    ngx_sockaddr_t                    sockaddr;
    u_char                            name[NGX_SOCKADDR_STRLEN];
    ngx_http_north_dns_t              dns;
};


typedef struct {
    ngx_http_request_t               *request;
    ngx_http_north_redis_done_pt      done;
    void                             *data;
} ngx_http_north_redis_request_t;


static void ngx_http_north_redis_connect(ngx_http_north_redis_t *rd);
static void ngx_http_north_redis_moved(void *data, struct sockaddr *sa,
    socklen_t socklen);
static void ngx_http_north_redis_connected(ngx_http_north_redis_t *rd);
static void ngx_http_north_redis_usable(ngx_http_north_redis_t *rd);
static void ngx_http_north_redis_handshake(ngx_http_north_redis_t *rd);
static void ngx_http_north_redis_handshaked(ngx_connection_t *c);
static ngx_int_t ngx_http_north_redis_check_host(ngx_http_north_redis_t *rd);
static void ngx_http_north_redis_write_handler(ngx_event_t *wev);
static void ngx_http_north_redis_read_handler(ngx_event_t *rev);
static void ngx_http_north_redis_flush(ngx_http_north_redis_t *rd);
static void ngx_http_north_redis_flush_handler(ngx_event_t *ev);
static ngx_int_t ngx_http_north_redis_append(ngx_http_north_redis_t *rd,
    int argc, const char **argv, const size_t *argvlen);
static ngx_http_north_redis_cmd_t *ngx_http_north_redis_push(
    ngx_http_north_redis_t *rd, ngx_http_north_redis_handler_pt handler,
    void *data);
static void ngx_http_north_redis_free_cmd(ngx_http_north_redis_cmd_t *cmd);
static void ngx_http_north_redis_setup_reply(void *data, redisReply *reply,
    ngx_int_t status);
static void ngx_http_north_redis_cmd_timeout(ngx_event_t *ev);
static void ngx_http_north_redis_retry(ngx_event_t *ev);
static void ngx_http_north_redis_reset(ngx_http_north_redis_t *rd,
    const char *why, ngx_int_t status);
static void ngx_http_north_redis_close(ngx_http_north_redis_t *rd);
static void ngx_http_north_redis_cancel(void *data);
static void ngx_http_north_redis_request_handler(void *data,
    redisReply *reply, ngx_int_t status);


ngx_int_t
ngx_http_north_redis_init_process(ngx_cycle_t *cycle,
    ngx_http_north_main_conf_t *mcf)
{
    ngx_http_north_redis_t  *rd;

    rd = ngx_pcalloc(cycle->pool, sizeof(ngx_http_north_redis_t));
    if (rd == NULL) {
        return NGX_ERROR;
    }

    rd->mcf = mcf;
    rd->log = cycle->log;
    ngx_queue_init(&rd->pending);

    rd->retry.handler = ngx_http_north_redis_retry;
    rd->retry.data = rd;
    rd->retry.log = cycle->log;
    rd->retry.cancelable = 1;

    rd->flush.handler = ngx_http_north_redis_flush_handler;
    rd->flush.data = rd;
    rd->flush.log = cycle->log;

    ngx_memcpy(&rd->sockaddr, mcf->redis_addr->sockaddr,
               mcf->redis_addr->socklen);
    rd->addr.sockaddr = &rd->sockaddr.sockaddr;
    rd->addr.socklen = mcf->redis_addr->socklen;
    rd->addr.name.data = rd->name;
    rd->addr.name.len = ngx_cpymem(rd->name, mcf->redis_addr->name.data,
                                   ngx_min(mcf->redis_addr->name.len,
                                           NGX_SOCKADDR_STRLEN))
                        - rd->name;

    if (rd->sockaddr.sockaddr.sa_family != AF_UNIX) {
        u_char  text[NGX_SOCKADDR_STRLEN + 1];

        text[ngx_sock_ntop(rd->addr.sockaddr, rd->addr.socklen, text,
                           NGX_SOCKADDR_STRLEN, 0)] = '\0';
        ngx_http_north_dns_init(&rd->dns, cycle, &mcf->redis_host,
                                (char *) text, ngx_http_north_redis_moved, rd);
    }

    mcf->rd = rd;

    ngx_http_north_redis_connect(rd);

    return NGX_OK;
}


void
ngx_http_north_redis_exit_process(ngx_http_north_main_conf_t *mcf)
{
    ngx_queue_t                 *q;
    ngx_http_north_redis_t      *rd;
    ngx_http_north_redis_cmd_t  *cmd;

    rd = mcf->rd;

    if (rd == NULL) {
        return;
    }

    if (rd->retry.timer_set) {
        ngx_del_timer(&rd->retry);
    }

    ngx_http_north_dns_done(&rd->dns);
    ngx_http_north_redis_close(rd);

    while (!ngx_queue_empty(&rd->pending)) {
        q = ngx_queue_head(&rd->pending);
        cmd = ngx_queue_data(q, ngx_http_north_redis_cmd_t, queue);
        ngx_queue_remove(q);
        ngx_http_north_redis_free_cmd(cmd);
    }

    ngx_free(rd->out);
    rd->out = NULL;
    mcf->rd = NULL;
}


/*
 * The URL's host moved (a fail-over): the next link goes to its new
 * address, on the URL's port.
 */

static void
ngx_http_north_redis_moved(void *data, struct sockaddr *sa, socklen_t socklen)
{
    ngx_http_north_redis_t  *rd = data;

    in_port_t  port;

    if (socklen > sizeof(ngx_sockaddr_t)) {
        return;
    }

    port = ngx_inet_get_port(rd->addr.sockaddr);

    ngx_memcpy(&rd->sockaddr, sa, socklen);
    rd->addr.socklen = socklen;
    ngx_inet_set_port(rd->addr.sockaddr, port);

    rd->addr.name.len = ngx_sock_ntop(rd->addr.sockaddr, rd->addr.socklen,
                                      rd->name, NGX_SOCKADDR_STRLEN, 1);
}


static void
ngx_http_north_redis_connect(ngx_http_north_redis_t *rd)
{
    int                          n;
    ngx_int_t                    rc;
    ngx_connection_t            *c;
    ngx_http_north_main_conf_t  *mcf;
    const char                  *argv[3];
    size_t                       argvlen[3];

    mcf = rd->mcf;
    rd->attempted = ngx_current_msec;

    rd->reader = redisReaderCreate();
    if (rd->reader == NULL) {
        ngx_http_north_redis_reset(rd, "redisReaderCreate()",
                                   NGX_HTTP_NORTH_REDIS_UNAVAILABLE);
        return;
    }

    ngx_memzero(&rd->peer, sizeof(ngx_peer_connection_t));
    rd->peer.sockaddr = rd->addr.sockaddr;
    rd->peer.socklen = rd->addr.socklen;
    rd->peer.name = &rd->addr.name;
    rd->peer.get = ngx_event_get_peer;
    rd->peer.log = rd->log;
    rd->peer.log_error = NGX_ERROR_INFO;  /* we log the failure */

    rd->state = NGX_HTTP_NORTH_REDIS_CONNECTING;

#if (NGX_HAVE_UNIX_DOMAIN)

    /*
     * A stopped Redis takes its socket away: say so, instead of nginx's
     * [crit] for a connect() that finds no file
     */
    if (rd->peer.sockaddr->sa_family == AF_UNIX
        && access(((struct sockaddr_un *) rd->peer.sockaddr)->sun_path, F_OK)
           != 0)
    {
        ngx_http_north_redis_reset(rd, "no socket (is Redis running?)",
                                   NGX_HTTP_NORTH_REDIS_UNAVAILABLE);
        return;
    }

#endif

    rc = ngx_event_connect_peer(&rd->peer);

    if (rc == NGX_ERROR || rc == NGX_BUSY || rc == NGX_DECLINED) {
        ngx_http_north_redis_reset(rd, "connect()",
                                   NGX_HTTP_NORTH_REDIS_UNAVAILABLE);
        return;
    }

    c = rd->peer.connection;
    c->data = rd;
    c->read->handler = ngx_http_north_redis_read_handler;
    c->write->handler = ngx_http_north_redis_write_handler;
    c->log = rd->log;
    c->read->log = rd->log;
    c->write->log = rd->log;

    /*
     * authentication and database go first in the pipeline (over TLS, they
     * are written once the handshake is done)
     */
    if (mcf->redis_password.len) {
        n = 0;
        argv[n] = "AUTH";
        argvlen[n++] = 4;

        if (mcf->redis_user.len) {
            argv[n] = (const char *) mcf->redis_user.data;
            argvlen[n++] = mcf->redis_user.len;
        }

        argv[n] = (const char *) mcf->redis_password.data;
        argvlen[n++] = mcf->redis_password.len;

        if (ngx_http_north_redis_append(rd, n, argv, argvlen) != NGX_OK
            || ngx_http_north_redis_push(rd, ngx_http_north_redis_setup_reply,
                                         rd) == NULL)
        {
            ngx_http_north_redis_reset(rd, "AUTH", NGX_HTTP_NORTH_REDIS_FAILED);
            return;
        }
    }

    if (mcf->redis_db) {
        u_char  db[NGX_INT_T_LEN];

        argv[0] = "SELECT";
        argvlen[0] = 6;
        argv[1] = (const char *) db;
        argvlen[1] = ngx_sprintf(db, "%ui", mcf->redis_db) - db;

        if (ngx_http_north_redis_append(rd, 2, argv, argvlen) != NGX_OK
            || ngx_http_north_redis_push(rd, ngx_http_north_redis_setup_reply,
                                         rd) == NULL)
        {
            ngx_http_north_redis_reset(rd, "SELECT",
                                       NGX_HTTP_NORTH_REDIS_FAILED);
            return;
        }
    }

    if (rc == NGX_AGAIN) {
        c->write->cancelable = 1;
        ngx_add_timer(c->write, mcf->redis_timeout);
        return;
    }

    ngx_http_north_redis_connected(rd);
}


static void
ngx_http_north_redis_connected(ngx_http_north_redis_t *rd)
{
    ngx_connection_t  *c;

    c = rd->peer.connection;

    if (c->write->timer_set) {
        ngx_del_timer(c->write);
    }

    if (rd->mcf->redis_ssl && c->ssl == NULL) {
        ngx_http_north_redis_handshake(rd);
        return;
    }

    ngx_log_error((rd->backoff ? NGX_LOG_NOTICE : NGX_LOG_INFO), rd->log, 0,
                  "north redis: connected to %V%s", rd->peer.name,
                  c->ssl ? " over TLS" : "");

    rd->state = NGX_HTTP_NORTH_REDIS_READY;
    ngx_http_north_metric_add(NGX_HTTP_NORTH_M_REDIS_LINKS, 1);
    c->idle = ngx_queue_empty(&rd->pending);

    /* with AUTH or SELECT to pass, the link is usable once they do */
    if (rd->mcf->redis_password.len == 0 && rd->mcf->redis_db == 0) {
        ngx_http_north_redis_usable(rd);
    }

    ngx_http_north_redis_flush(rd);
}


/*
 * rediss://: TLS through nginx's SSL layer, on the event loop. The
 * handshake has the connect timeout; the server's certificate must verify
 * and name the URL's host, as proxy_ssl_verify would have it.
 */

static void
ngx_http_north_redis_handshake(ngx_http_north_redis_t *rd)
{
    ngx_int_t          rc;
    ngx_connection_t  *c;

    c = rd->peer.connection;

    /* the SSL layer's allocations: freed when the link is closed */
    c->pool = ngx_create_pool(256, rd->log);

    if (c->pool == NULL
        || ngx_ssl_create_connection(rd->mcf->redis_ssl, c, NGX_SSL_CLIENT)
           != NGX_OK)
    {
        ngx_http_north_redis_reset(rd, "TLS: no connection object",
                                   NGX_HTTP_NORTH_REDIS_UNAVAILABLE);
        return;
    }

    /* SNI names a host, never an address */
    if (rd->mcf->redis_sni
        && SSL_set_tlsext_host_name(c->ssl->connection,
                                    (char *) rd->mcf->redis_host.data)
           != 1)
    {
        ngx_http_north_redis_reset(rd, "TLS: SNI could not be set",
                                   NGX_HTTP_NORTH_REDIS_UNAVAILABLE);
        return;
    }

    rc = ngx_ssl_handshake(c);

    if (rc == NGX_AGAIN) {
        if (!c->write->timer_set) {
            ngx_add_timer(c->write, rd->mcf->redis_timeout);
        }

        c->ssl->handler = ngx_http_north_redis_handshaked;
        return;
    }

    ngx_http_north_redis_handshaked(c);
}


static void
ngx_http_north_redis_handshaked(ngx_connection_t *c)
{
    long                     rc;
    ngx_http_north_redis_t  *rd;

    rd = c->data;

    if (c->write->timer_set) {
        ngx_del_timer(c->write);
    }

    if (!c->ssl->handshaked) {
        ngx_http_north_redis_reset(rd, c->write->timedout
                                       ? "TLS handshake timed out"
                                       : "TLS handshake failed",
                                   NGX_HTTP_NORTH_REDIS_UNAVAILABLE);
        return;
    }

    rc = SSL_get_verify_result(c->ssl->connection);

    if (rc != X509_V_OK) {
        ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                      "north redis: the certificate of %V does not verify: "
                      "(%l:%s)", rd->peer.name, rc,
                      X509_verify_cert_error_string(rc));
        ngx_http_north_redis_reset(rd, "TLS: certificate not trusted",
                                   NGX_HTTP_NORTH_REDIS_UNAVAILABLE);
        return;
    }

    if (ngx_http_north_redis_check_host(rd) != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                      "north redis: the certificate of %V is not for \"%V\"",
                      rd->peer.name, &rd->mcf->redis_host);
        ngx_http_north_redis_reset(rd, "TLS: certificate for another host",
                                   NGX_HTTP_NORTH_REDIS_UNAVAILABLE);
        return;
    }

    c->read->handler = ngx_http_north_redis_read_handler;
    c->write->handler = ngx_http_north_redis_write_handler;

    ngx_http_north_redis_connected(rd);
}


/* The certificate names the URL's host: a DNS name, or an IP address. */

static ngx_int_t
ngx_http_north_redis_check_host(ngx_http_north_redis_t *rd)
{
    int                rc;
    X509              *cert;
    ngx_connection_t  *c;

    c = rd->peer.connection;

    if (rd->mcf->redis_sni) {
        return ngx_ssl_check_host(c, &rd->mcf->redis_host);
    }

    cert = SSL_get_peer_certificate(c->ssl->connection);
    if (cert == NULL) {
        return NGX_ERROR;
    }

    rc = X509_check_ip_asc(cert, (char *) rd->mcf->redis_host.data, 0);
    X509_free(cert);

    return (rc == 1) ? NGX_OK : NGX_ERROR;
}


static void
ngx_http_north_redis_write_handler(ngx_event_t *wev)
{
    int                      err;
    socklen_t                len;
    ngx_connection_t        *c;
    ngx_http_north_redis_t  *rd;

    c = wev->data;
    rd = c->data;

    if (rd->state == NGX_HTTP_NORTH_REDIS_CONNECTING) {

        if (wev->timedout) {
            ngx_http_north_redis_reset(rd, "connect() timed out",
                                       NGX_HTTP_NORTH_REDIS_UNAVAILABLE);
            return;
        }

        err = 0;
        len = sizeof(int);

        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, (void *) &err, &len)
            == -1)
        {
            err = ngx_socket_errno;
        }

        if (err) {
            ngx_log_error(NGX_LOG_INFO, rd->log, err,
                          "north redis: connect() to %V failed",
                          rd->peer.name);
            ngx_http_north_redis_reset(rd, "connect()",
                                       NGX_HTTP_NORTH_REDIS_UNAVAILABLE);
            return;
        }

        ngx_http_north_redis_connected(rd);
        return;
    }

    ngx_http_north_redis_flush(rd);
}


static void
ngx_http_north_redis_flush(ngx_http_north_redis_t *rd)
{
    ssize_t            n;
    ngx_connection_t  *c;

    c = rd->peer.connection;

    while (rd->out_sent < rd->out_len) {

        n = c->send(c, rd->out + rd->out_sent, rd->out_len - rd->out_sent);

        if (n == NGX_AGAIN) {
            if (ngx_handle_write_event(c->write, 0) != NGX_OK) {
                ngx_http_north_redis_reset(rd, "ngx_handle_write_event()",
                                           NGX_HTTP_NORTH_REDIS_FAILED);
            }

            return;
        }

        if (n == NGX_ERROR) {
            ngx_http_north_redis_reset(rd, "send()",
                                       NGX_HTTP_NORTH_REDIS_FAILED);
            return;
        }

        rd->out_sent += n;
    }

    rd->out_len = 0;
    rd->out_sent = 0;
}


static void
ngx_http_north_redis_flush_handler(ngx_event_t *ev)
{
    ngx_http_north_redis_t  *rd = ev->data;

    if (rd->state == NGX_HTTP_NORTH_REDIS_READY) {
        ngx_http_north_redis_flush(rd);
    }
}


static void
ngx_http_north_redis_read_handler(ngx_event_t *rev)
{
    ssize_t                      n;
    ngx_uint_t                   generation;
    ngx_queue_t                 *q;
    ngx_connection_t            *c;
    redisReply                  *reply;
    ngx_http_north_redis_t      *rd;
    ngx_http_north_redis_cmd_t  *cmd;
    u_char                       buf[16384];

    c = rev->data;
    rd = c->data;

    if (c->close) {
        /* ngx_close_idle_connections() on reload or shutdown */
        ngx_http_north_redis_close(rd);
        return;
    }

    generation = rd->generation;

    /* edge-triggered: read until the socket is drained */
    for ( ;; ) {
        n = c->recv(c, buf, sizeof(buf));

        if (n == NGX_AGAIN) {
            break;
        }

        if (n == 0 || n == NGX_ERROR) {
            ngx_http_north_redis_reset(rd, n ? "recv()" : "server closed",
                                       rd->state == NGX_HTTP_NORTH_REDIS_READY
                                       ? NGX_HTTP_NORTH_REDIS_FAILED
                                       : NGX_HTTP_NORTH_REDIS_UNAVAILABLE);
            return;
        }

        if (redisReaderFeed(rd->reader, (const char *) buf, n) != REDIS_OK) {
            ngx_http_north_redis_reset(rd, "redisReaderFeed()",
                                       NGX_HTTP_NORTH_REDIS_FAILED);
            return;
        }

        for ( ;; ) {
            reply = NULL;

            if (redisReaderGetReply(rd->reader, (void **) &reply) != REDIS_OK) {
                ngx_http_north_redis_reset(rd, "protocol error",
                                           NGX_HTTP_NORTH_REDIS_FAILED);
                return;
            }

            if (reply == NULL) {
                break;
            }

            if (ngx_queue_empty(&rd->pending)) {
                freeReplyObject(reply);
                ngx_http_north_redis_reset(rd, "unexpected reply",
                                           NGX_HTTP_NORTH_REDIS_FAILED);
                return;
            }

            q = ngx_queue_head(&rd->pending);
            cmd = ngx_queue_data(q, ngx_http_north_redis_cmd_t, queue);
            ngx_queue_remove(q);

            c->idle = ngx_queue_empty(&rd->pending);

            ngx_http_north_metric_add(NGX_HTTP_NORTH_M_REDIS_COMMANDS, 1);
            ngx_http_north_metric_add(NGX_HTTP_NORTH_M_REDIS_COMMAND_US,
                                      ngx_http_north_now_us() - cmd->queued);

            if (cmd->handler) {
                cmd->handler(cmd->data, reply, NGX_OK);
            }

            freeReplyObject(reply);
            ngx_http_north_redis_free_cmd(cmd);

            if (rd->generation != generation) {
                /* a handler's error reset the link */
                return;
            }
        }
    }

    if (ngx_handle_read_event(rev, 0) != NGX_OK) {
        ngx_http_north_redis_reset(rd, "ngx_handle_read_event()",
                                   NGX_HTTP_NORTH_REDIS_FAILED);
    }
}


static ngx_int_t
ngx_http_north_redis_append(ngx_http_north_redis_t *rd, int argc,
    const char **argv, const size_t *argvlen)
{
    long     len;
    char    *cmd;
    size_t   cap;
    u_char  *out;

    len = redisFormatCommandArgv(&cmd, argc, argv, argvlen);
    if (len < 0) {
        return NGX_ERROR;
    }

    if (rd->out_len + len > rd->out_cap) {
        cap = ngx_max(rd->out_cap * 2, rd->out_len + len + 4096);

        out = ngx_alloc(cap, rd->log);
        if (out == NULL) {
            redisFreeCommand(cmd);
            return NGX_ERROR;
        }

        if (rd->out_len) {
            ngx_memcpy(out, rd->out, rd->out_len);
        }

        ngx_free(rd->out);
        rd->out = out;
        rd->out_cap = cap;
    }

    ngx_memcpy(rd->out + rd->out_len, cmd, len);
    rd->out_len += len;

    redisFreeCommand(cmd);

    return NGX_OK;
}


static ngx_http_north_redis_cmd_t *
ngx_http_north_redis_push(ngx_http_north_redis_t *rd,
    ngx_http_north_redis_handler_pt handler, void *data)
{
    ngx_http_north_redis_cmd_t  *cmd;

    cmd = ngx_calloc(sizeof(ngx_http_north_redis_cmd_t), rd->log);
    if (cmd == NULL) {
        return NULL;
    }

    cmd->handler = handler;
    cmd->data = data;
    cmd->rd = rd;
    cmd->queued = ngx_http_north_now_us();

    /* a command awaiting its reply keeps a leaving worker */
    cmd->timer.handler = ngx_http_north_redis_cmd_timeout;
    cmd->timer.data = cmd;
    cmd->timer.log = rd->log;
    ngx_add_timer(&cmd->timer, rd->mcf->redis_timeout);

    ngx_queue_insert_tail(&rd->pending, &cmd->queue);

    if (rd->peer.connection) {
        rd->peer.connection->idle = 0;
    }

    return cmd;
}


static void
ngx_http_north_redis_free_cmd(ngx_http_north_redis_cmd_t *cmd)
{
    if (cmd->timer.timer_set) {
        ngx_del_timer(&cmd->timer);
    }

    if (cmd->cln) {
        cmd->cln->handler = NULL;
    }

    ngx_free(cmd);
}


static void
ngx_http_north_redis_setup_reply(void *data, redisReply *reply,
    ngx_int_t status)
{
    ngx_http_north_redis_t  *rd = data;

    if (reply == NULL) {
        /* the link went first: its reset says why */
        return;
    }

    if (reply->type != REDIS_REPLY_ERROR) {
        ngx_http_north_redis_usable(rd);
        return;
    }

    ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                  "north redis: AUTH/SELECT on %V refused: %*s",
                  rd->peer.name, (size_t) reply->len, reply->str);

    /*
     * A refused AUTH (a password changed) or SELECT is no link: every
     * command would get NOAUTH. Closed, and tried again after a backoff,
     * as a connection that failed.
     */
    rd->state = NGX_HTTP_NORTH_REDIS_CONNECTING;
    ngx_http_north_redis_reset(rd, "AUTH/SELECT refused",
                               NGX_HTTP_NORTH_REDIS_UNAVAILABLE);
}


/* The link works: no more backoff, and what failed meanwhile is redone. */

static void
ngx_http_north_redis_usable(ngx_http_north_redis_t *rd)
{
    time_t  since;

    rd->backoff = 0;

    if (rd->down_since == 0) {
        return;
    }

    since = rd->down_since;
    rd->down_since = 0;

    ngx_http_north_event("link", json_pack("{s:s, s:s, s:s%, s:I}",
                         "store", "redis", "state", "up",
                         "host", rd->addr.name.data, rd->addr.name.len,
                         "down_s", (json_int_t) (ngx_time() - since)));

    if (rd->recovered) {
        rd->recovered(rd->mcf, since);
    }
}


void
ngx_http_north_redis_on_recovery(ngx_http_north_redis_t *rd,
    ngx_http_north_redis_recovered_pt handler)
{
    rd->recovered = handler;
}


static void
ngx_http_north_redis_cmd_timeout(ngx_event_t *ev)
{
    ngx_http_north_redis_cmd_t  *cmd = ev->data;

    /* replies come in order: one late reply stalls all behind it */
    ngx_http_north_redis_reset(cmd->rd, "command timed out",
                               NGX_HTTP_NORTH_REDIS_TIMEDOUT);
}


static void
ngx_http_north_redis_retry(ngx_event_t *ev)
{
    ngx_http_north_redis_t  *rd = ev->data;

    if (rd->state == NGX_HTTP_NORTH_REDIS_DOWN) {
        ngx_http_north_redis_connect(rd);
    }
}


/*
 * Fails every pending command with status, closes the link and arranges
 * a reconnect: at once after a lost link, with backoff after a refusal.
 */

static void
ngx_http_north_redis_reset(ngx_http_north_redis_t *rd, const char *why,
    ngx_int_t status)
{
    ngx_uint_t                   connecting;
    ngx_queue_t                  failed, *q;
    ngx_http_north_redis_cmd_t  *cmd;

    connecting = (rd->state != NGX_HTTP_NORTH_REDIS_READY);

    if (rd->down_since == 0) {
        rd->down_since = ngx_time();
    }

    ngx_http_north_metric_add(NGX_HTTP_NORTH_M_REDIS_ERRORS, 1);

    /* a fail-over may have moved the host: the resolver is asked again */
    ngx_http_north_dns_ask(&rd->dns);

    ngx_log_error((connecting && rd->backoff ? NGX_LOG_INFO : NGX_LOG_ERR),
                  rd->log, 0, "north redis: %s: %s on %V",
                  connecting ? "connect failed" : "link reset", why,
                  &rd->addr.name);

    if (!connecting || rd->backoff == 0) {
        ngx_http_north_event("link", json_pack("{s:s, s:s, s:s}",
                             "store", "redis",
                             "state", connecting ? "refused" : "lost",
                             "why", why));
    }

    ngx_http_north_redis_close(rd);

    ngx_queue_init(&failed);

    if (!ngx_queue_empty(&rd->pending)) {
        /* move them aside: the handlers may already send new commands */
        failed = rd->pending;
        failed.next->prev = &failed;
        failed.prev->next = &failed;
        ngx_queue_init(&rd->pending);
    }

    rd->out_len = 0;
    rd->out_sent = 0;

    ngx_http_north_reconnect(&rd->retry, &rd->backoff, connecting);

    while (!ngx_queue_empty(&failed)) {
        q = ngx_queue_head(&failed);
        cmd = ngx_queue_data(q, ngx_http_north_redis_cmd_t, queue);
        ngx_queue_remove(q);

        if (cmd->handler) {
            cmd->handler(cmd->data, NULL, status);
        }

        ngx_http_north_redis_free_cmd(cmd);
    }
}


static void
ngx_http_north_redis_close(ngx_http_north_redis_t *rd)
{
    ngx_pool_t        *pool;
    ngx_connection_t  *c;

    if (rd->flush.posted) {
        ngx_delete_posted_event(&rd->flush);
    }

    if (rd->peer.connection) {
        c = rd->peer.connection;

        if (c->ssl) {
            c->ssl->no_wait_shutdown = 1;
            (void) ngx_ssl_shutdown(c);
        }

        pool = c->pool;
        ngx_close_connection(c);
        rd->peer.connection = NULL;

        if (pool) {
            ngx_destroy_pool(pool);
        }
    }

    rd->generation++;

    if (rd->state == NGX_HTTP_NORTH_REDIS_READY) {
        ngx_http_north_metric_add(NGX_HTTP_NORTH_M_REDIS_LINKS, -1);
    }

    if (rd->reader) {
        redisReaderFree(rd->reader);
        rd->reader = NULL;
    }

    rd->state = NGX_HTTP_NORTH_REDIS_DOWN;
}


ngx_int_t
ngx_http_north_redis_send(ngx_http_north_redis_t *rd, ngx_pool_t *pool,
    int argc, const char **argv, const size_t *argvlen,
    ngx_http_north_redis_handler_pt handler, void *data)
{
    ngx_pool_cleanup_t          *cln;
    ngx_http_north_redis_cmd_t  *cmd;

    if (rd == NULL) {
        return NGX_HTTP_NORTH_REDIS_UNAVAILABLE;
    }

    if (rd->state == NGX_HTTP_NORTH_REDIS_DOWN) {

        /* Redis was down: try now rather than at the next backoff */
        if (ngx_current_msec - rd->attempted
            < NGX_HTTP_NORTH_BACKOFF_MIN)
        {
            return NGX_HTTP_NORTH_REDIS_UNAVAILABLE;
        }

        if (rd->retry.timer_set) {
            ngx_del_timer(&rd->retry);
        }

        ngx_http_north_redis_connect(rd);

        if (rd->state == NGX_HTTP_NORTH_REDIS_DOWN) {
            return NGX_HTTP_NORTH_REDIS_UNAVAILABLE;
        }
    }

    cln = ngx_pool_cleanup_add(pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    if (ngx_http_north_redis_append(rd, argc, argv, argvlen) != NGX_OK) {
        return NGX_ERROR;
    }

    cmd = ngx_http_north_redis_push(rd, handler, data);
    if (cmd == NULL) {
        return NGX_ERROR;
    }

    cmd->cln = cln;
    cln->handler = ngx_http_north_redis_cancel;
    cln->data = cmd;

    if (rd->state == NGX_HTTP_NORTH_REDIS_READY && !rd->flush.posted) {
        /* commands sent in this turn of the event loop go in one write */
        ngx_post_event(&rd->flush, &ngx_posted_events);
    }

    return NGX_OK;
}


/* The command's pool is going away: its reply will be dropped. */

static void
ngx_http_north_redis_cancel(void *data)
{
    ngx_http_north_redis_cmd_t  *cmd = data;

    cmd->handler = NULL;
    cmd->cln = NULL;
}


ngx_int_t
ngx_http_north_redis_query(ngx_http_request_t *r, int argc, const char **argv,
    const size_t *argvlen, ngx_http_north_redis_done_pt done, void *data)
{
    ngx_int_t                        rc;
    ngx_http_north_main_conf_t      *mcf;
    ngx_http_north_redis_request_t  *rr;

    mcf = ngx_http_get_module_main_conf(r, ngx_http_north_module);

    rr = ngx_palloc(r->pool, sizeof(ngx_http_north_redis_request_t));
    if (rr == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rr->request = r;
    rr->done = done;
    rr->data = data;

    rc = ngx_http_north_redis_send(mcf->rd, r->pool, argc, argv, argvlen,
                                   ngx_http_north_redis_request_handler, rr);

    if (rc == NGX_OK) {
        ngx_http_north_wait_begin(r, NGX_HTTP_NORTH_WAIT_REDIS);
        ngx_http_north_async_begin(r);
        return NGX_DONE;
    }

    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return done(r, data, NULL, rc);
}


static void
ngx_http_north_redis_request_handler(void *data, redisReply *reply,
    ngx_int_t status)
{
    ngx_http_north_redis_request_t  *rr = data;

    ngx_http_north_wait_end(rr->request, NGX_HTTP_NORTH_WAIT_REDIS);
    ngx_http_north_async_end(rr->request,
                             rr->done(rr->request, rr->data, reply, status));
}


const char *
ngx_http_north_redis_status_text(ngx_int_t status)
{
    switch (status) {
    case NGX_HTTP_NORTH_REDIS_UNAVAILABLE:
        return "redis is unavailable";
    case NGX_HTTP_NORTH_REDIS_TIMEDOUT:
        return "redis did not answer in time";
    default:
        return "the redis connection was lost";
    }
}


ngx_int_t
ngx_http_north_user_key(ngx_pool_t *pool, ngx_str_t *user_id,
    const char *kind, ngx_str_t *name, ngx_str_t *key)
{
    size_t  len;

    len = sizeof("north:{}::") + user_id->len + ngx_strlen(kind)
          + (name ? name->len : 0);

    key->data = ngx_pnalloc(pool, len);
    if (key->data == NULL) {
        return NGX_ERROR;
    }

    key->len = (name ? ngx_sprintf(key->data, "north:{%V}:%s:%V%Z", user_id,
                                   kind, name)
                     : ngx_sprintf(key->data, "north:{%V}:%s%Z", user_id,
                                   kind))
               - key->data - 1;

    return NGX_OK;
}


void
ngx_http_north_user_keys_erase(ngx_str_t *user_id)
{
    ngx_str_t                    key;
    ngx_uint_t                   i;
    ngx_pool_t                  *pool;
    const char                  *argv[2];
    size_t                       argvlen[2];
    ngx_http_north_main_conf_t  *mcf;

    mcf = ngx_http_cycle_get_module_main_conf(ngx_cycle,
                                              ngx_http_north_module);

    if (mcf->rd == NULL) {
        return;
    }

    pool = ngx_create_pool(512, ngx_cycle->log);
    if (pool == NULL) {
        return;
    }

    for (i = 0; ngx_http_north_user_key_kinds[i]; i++) {
        if (ngx_http_north_user_key(pool, user_id,
                                    ngx_http_north_user_key_kinds[i], NULL,
                                    &key)
            != NGX_OK)
        {
            break;
        }

        argv[0] = "DEL";
        argvlen[0] = 3;
        argv[1] = (char *) key.data;
        argvlen[1] = key.len;

        (void) ngx_http_north_redis_send(mcf->rd, pool, 2, argv, argvlen,
                                         NULL, NULL);
    }

    /* the commands are in the link's buffer: they run without their pool */
    ngx_destroy_pool(pool);
}
