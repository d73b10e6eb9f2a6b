/*
 * North outbound HTTPS: libcurl's multi interface driven by nginx events
 * and timers (docs/architecture.md), one per worker: TLS verified, connections
 * reused, a timeout per call; from a request or a background job alike.
 */

#ifndef _NGX_NORTH_FETCH_H_INCLUDED_
#define _NGX_NORTH_FETCH_H_INCLUDED_


#include "ngx_north.h"


#define NGX_HTTP_NORTH_FETCH_MAX_BODY  (8 * 1024 * 1024)


typedef struct ngx_http_north_fetch_s  ngx_http_north_fetch_t;

/*
 * How a call ended: NGX_OK with f->status and f->body (any HTTP status),
 * or NGX_ERROR with f->error (no answer: connection, TLS, timeout, size).
 */
typedef void (*ngx_http_north_fetch_pt)(ngx_http_north_fetch_t *f,
    ngx_int_t rc);

struct ngx_http_north_fetch_s {
    void                        *easy;        /* CURL * */
    void                        *headers;     /* struct curl_slist * */
    ngx_pool_t                  *pool;
    ngx_http_north_fetch_pt      handler;
    void                        *data;
    ngx_uint_t                   status;      /* HTTP status */
    ngx_str_t                    body;        /* the answer, in pool */
    size_t                       size;        /* of body's buffer */
    time_t                       retry_after; /* its Retry-After, s */
    const char                  *error;
    char                         errbuf[256];
    unsigned                     done:1;
};


/* ca: the CA certificates outbound TLS trusts (a file), or empty: the system's */
ngx_int_t ngx_http_north_fetch_init_process(ngx_cycle_t *cycle, ngx_str_t *ca);
void ngx_http_north_fetch_exit_process(void);

/*
 * POSTs body to url with the given extra headers ("Name: value",
 * NULL-terminated list, or NULL); the body is JSON unless a header names
 * another Content-Type. The call is cancelled when pool is destroyed first.
 * NGX_OK when handler will be called; else NGX_ERROR and no call.
 */
#define ngx_http_north_fetch_post(pool, log, url, headers, body, len,        \
                                  timeout, handler, data)                    \
    ngx_http_north_fetch(pool, log, url, headers, body, len, timeout, 0,     \
                         handler, data)

/*
 * The same with flags. NGX_HTTP_NORTH_FETCH_HTTP2: HTTP/2 only (over TLS,
 * or with prior knowledge on http://), and concurrent calls to one host
 * share one connection as streams instead of opening more.
 */
#define NGX_HTTP_NORTH_FETCH_HTTP2  0x01

ngx_int_t ngx_http_north_fetch(ngx_pool_t *pool, ngx_log_t *log,
    const char *url, const char **headers, const char *body, size_t len,
    ngx_msec_t timeout, ngx_uint_t flags, ngx_http_north_fetch_pt handler,
    void *data);


#endif /* _NGX_NORTH_FETCH_H_INCLUDED_ */
