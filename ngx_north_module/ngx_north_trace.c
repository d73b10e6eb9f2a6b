/*
 * North's account of a request for its logs: the W3C trace context it
 * carries (to the client in its answer, and to Plaid and FCM on its calls)
 * and the time it waited on each data store and on outbound calls; the
 * variables the access log's formats read; and the module's own events as
 * JSON lines (north_event_log). docs/operations.md, "Logs".
 */

#include "ngx_north.h"
#include "ngx_north_trace.h"
#include "north_check.h"

#include <jansson.h>
#include <openssl/rand.h>
#include <time.h>


static ngx_str_t  ngx_http_north_traceparent_name = ngx_string("traceparent");
static ngx_str_t  ngx_http_north_traceparent_var =
    ngx_string("north_traceparent");

static ngx_int_t  ngx_http_north_traceparent_index = NGX_ERROR;


/* v holds len bytes at data; cached for the request or not */

void
ngx_http_north_variable_set(ngx_http_variable_value_t *v, u_char *data,
    size_t len, ngx_uint_t cacheable)
{
    v->data = data;
    v->len = len;
    v->valid = 1;
    v->no_cacheable = !cacheable;
    v->not_found = 0;
}


ngx_int_t
ngx_http_north_trace_init(ngx_conf_t *cf)
{
    ngx_http_north_traceparent_index = ngx_http_get_variable_index(cf,
                                           &ngx_http_north_traceparent_var);

    return ngx_http_north_traceparent_index == NGX_ERROR ? NGX_ERROR : NGX_OK;
}


/* trace (32 hex), a new span id, flags (2 hex) into buf: 55 bytes, NUL */

static ngx_int_t
ngx_http_north_trace_write(u_char *buf, u_char *trace, u_char *flags)
{
    u_char  *p, rnd[24];

    if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(buf, "00-", 3);
    p = trace ? ngx_cpymem(p, trace, 32) : ngx_hex_dump(p, rnd, 16);
    *p++ = '-';
    p = ngx_hex_dump(p, rnd + 16, 8);
    *p++ = '-';
    p = ngx_cpymem(p, flags ? flags : (u_char *) "00", 2);
    *p = '\0';

    return NGX_OK;
}


void
ngx_http_north_trace_start(u_char *buf)
{
    if (ngx_http_north_trace_write(buf, NULL, NULL) != NGX_OK) {
        /* no randomness: a valid trace all the same (shared by such runs) */
        ngx_memcpy(buf, "00-00000000000000000000000000000001-"
                        "0000000000000001-00", NGX_HTTP_NORTH_TRACEPARENT_LEN);
        buf[NGX_HTTP_NORTH_TRACEPARENT_LEN] = '\0';
    }
}


/*
 * $north_traceparent, cached for the request's life (an internal redirect
 * keeps it): the client's trace id and sampled flag when its traceparent
 * is valid, else a new trace; the span id is always this request's.
 */

ngx_int_t
ngx_http_north_traceparent_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char           *buf, *trace, flags[2];
    ngx_table_elt_t  *h;

    buf = ngx_pnalloc(r->pool, NGX_HTTP_NORTH_TRACEPARENT_LEN + 1);
    if (buf == NULL) {
        return NGX_ERROR;
    }

    trace = NULL;
    h = ngx_http_north_header_in(r->main, &ngx_http_north_traceparent_name);

    if (h && north_check_traceparent(h->value.data, h->value.len)) {
        trace = h->value.data + 3;

        /* of the flags only "sampled" is defined: the rest are not passed */
        flags[0] = '0';
        flags[1] = (ngx_hextoi(h->value.data + 53, 2) & 0x01) ? '1' : '0';
    }

    if (ngx_http_north_trace_write(buf, trace, trace ? flags : NULL)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_http_north_variable_set(v, buf, NGX_HTTP_NORTH_TRACEPARENT_LEN, 1);

    return NGX_OK;
}


ngx_int_t
ngx_http_north_traceparent(ngx_http_request_t *r, ngx_str_t *tp)
{
    ngx_http_variable_value_t  *v;

    v = ngx_http_get_indexed_variable(r->main,
                                      ngx_http_north_traceparent_index);

    if (v == NULL || v->not_found || v->len != NGX_HTTP_NORTH_TRACEPARENT_LEN)
    {
        return NGX_ERROR;
    }

    tp->data = v->data;
    tp->len = v->len;

    return NGX_OK;
}


const char *
ngx_http_north_trace_header(ngx_pool_t *pool, ngx_str_t *tp)
{
    u_char  *p;

    p = ngx_pnalloc(pool, sizeof("traceparent: ") + tp->len);
    if (p == NULL) {
        return NULL;
    }

    ngx_sprintf(p, "traceparent: %V%Z", tp);

    return (const char *) p;
}


/* $north_trace_id (data 3, 32 bytes) and $north_span_id (data 36, 16) */

ngx_int_t
ngx_http_north_trace_part_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t  tp;

    if (ngx_http_north_traceparent(r, &tp) != NGX_OK) {
        v->not_found = 1;
        return NGX_OK;
    }

    ngx_http_north_variable_set(v, tp.data + data, (data == 3) ? 32 : 16, 1);

    return NGX_OK;
}


uint64_t
ngx_http_north_now_us(void)
{
    struct timespec  ts;

    (void) clock_gettime(CLOCK_MONOTONIC, &ts);

    return (uint64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}


void
ngx_http_north_wait_begin(ngx_http_request_t *r, ngx_http_north_wait_e what)
{
    ngx_http_north_ctx_t  *ctx;

    ctx = ngx_http_north_ctx(r->main);

    if (ctx != NULL && ctx->waits[what]++ == 0) {
        ctx->wait_since[what] = ngx_http_north_now_us();
    }
}


void
ngx_http_north_wait_end(ngx_http_request_t *r, ngx_http_north_wait_e what)
{
    ngx_http_north_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r->main, ngx_http_north_module);

    /* none open: an internal redirect cleared the count */
    if (ctx == NULL || ctx->waits[what] == 0) {
        return;
    }

    if (--ctx->waits[what] == 0) {
        ctx->waited[what] += ngx_http_north_now_us() - ctx->wait_since[what];
    }
}


/*
 * $north_pg_ms, $north_redis_ms, $north_upstream_ms: milliseconds to the
 * microsecond ("0.412"), a wait still open counted up to now.
 */

ngx_int_t
ngx_http_north_wait_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char                *p;
    uint64_t               us;
    ngx_http_north_ctx_t  *ctx;

    us = 0;
    ctx = ngx_http_get_module_ctx(r->main, ngx_http_north_module);

    if (ctx != NULL) {
        us = ctx->waited[data];

        if (ctx->waits[data]) {
            us += ngx_http_north_now_us() - ctx->wait_since[data];
        }
    }

    p = ngx_pnalloc(r->pool, NGX_INT64_LEN + 5);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_http_north_variable_set(v, p, ngx_sprintf(p, "%uL.%03uL", us / 1000,
                                                  us % 1000) - p, 0);

    return NGX_OK;
}


/* $north_duration_ms: since the request's first byte, in milliseconds */

ngx_msec_t
ngx_http_north_request_ms(ngx_http_request_t *r)
{
    ngx_msec_int_t   ms;
    ngx_time_t      *tp;

    tp = ngx_timeofday();
    ms = (ngx_msec_int_t) ((tp->sec - r->start_sec) * 1000
                           + (tp->msec - r->start_msec));

    return (ngx_msec_t) ngx_max(ms, 0);
}


ngx_int_t
ngx_http_north_duration_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char  *p;

    p = ngx_pnalloc(r->pool, NGX_TIME_T_LEN + 4);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_http_north_variable_set(v, p, ngx_sprintf(p, "%M",
                                    ngx_http_north_request_ms(r)) - p, 0);

    return NGX_OK;
}


/* $north_time: now in the wire's RFC 3339 form, to the millisecond */

ngx_int_t
ngx_http_north_time_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char  *p;

    p = ngx_pnalloc(r->pool, NGX_HTTP_NORTH_RFC3339_LEN + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_http_north_variable_set(v, ngx_http_north_rfc3339_now(p),
                                NGX_HTTP_NORTH_RFC3339_LEN, 0);

    return NGX_OK;
}


/* north_event_log path | off: the module's own events, a JSON line each */

char *
ngx_http_north_event_log(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_north_main_conf_t  *mcf = conf;

    ngx_str_t  *value;

    if (mcf->event_log != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        return NGX_CONF_OK;
    }

    /* opened by nginx with the logs, reopened with them on USR1 */
    mcf->event_log = ngx_conf_open_file(cf->cycle, &value[1]);

    return mcf->event_log ? NGX_CONF_OK : NGX_CONF_ERROR;
}


void
ngx_http_north_event(const char *type, json_t *fields)
{
    char                        *text;
    size_t                       len;
    json_t                      *line;
    u_char                       now[NGX_HTTP_NORTH_RFC3339_LEN + 1];
    ngx_http_north_main_conf_t  *mcf;

    mcf = ngx_http_cycle_get_module_main_conf(ngx_cycle,
                                              ngx_http_north_module);

    if (mcf == NULL || mcf->event_log == NULL
        || mcf->event_log->fd == NGX_INVALID_FILE)
    {
        json_decref(fields);
        return;
    }

    line = json_pack("{s:s, s:s, s:s%, s:i}",
                     "time", (char *) ngx_http_north_rfc3339_now(now),
                     "type", type,
                     "node", mcf->node.data, mcf->node.len,
                     "pid", (int) ngx_pid);

    if (line == NULL) {
        json_decref(fields);
        return;
    }

    if (fields) {
        (void) json_object_update(line, fields);
        json_decref(fields);
    }

    text = json_dumps(line, JSON_COMPACT);
    json_decref(line);

    if (text == NULL) {
        return;
    }

    len = ngx_strlen(text);
    text[len] = '\n';       /* over the NUL: written by length */

    /* one write a line: lines of several workers do not interleave */
    (void) ngx_write_fd(mcf->event_log->fd, text, len + 1);

    free(text);
}
