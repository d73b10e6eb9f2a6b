/*
 * North's account of a request for its logs (docs/operations.md, "Logs"):
 * its W3C trace context, and the time it waited on PostgreSQL, Redis and
 * outbound calls; and the module's own events, a JSON line each.
 */

#ifndef _NGX_NORTH_TRACE_H_INCLUDED_
#define _NGX_NORTH_TRACE_H_INCLUDED_


#include "ngx_north.h"


/* "00-" trace id "-" span id "-" flags */
#define NGX_HTTP_NORTH_TRACEPARENT_LEN  55


ngx_int_t ngx_http_north_trace_init(ngx_conf_t *cf);

/*
 * r's own traceparent: the client's trace (a valid traceparent header) or
 * one started here, with a span id of r's own. NGX_ERROR when none could
 * be made.
 */
ngx_int_t ngx_http_north_traceparent(ngx_http_request_t *r, ngx_str_t *tp);

/* A new trace for work no request asked for (a job's run): 55 bytes, NUL. */
void ngx_http_north_trace_start(u_char *buf);

/* "traceparent: <tp>" for an outbound call's headers, in pool; or NULL. */
const char *ngx_http_north_trace_header(ngx_pool_t *pool, ngx_str_t *tp);

/* A variable's value: len bytes at data, cached for the request or not. */
void ngx_http_north_variable_set(ngx_http_variable_value_t *v, u_char *data,
    size_t len, ngx_uint_t cacheable);

/* Milliseconds since r's first byte (0 at the least). */
ngx_msec_t ngx_http_north_request_ms(ngx_http_request_t *r);

/* A monotonic clock, in microseconds. */
uint64_t ngx_http_north_now_us(void);

/*
 * What r waits on: between a begin and its end the time counts for that
 * kind, once however many of its operations overlap.
 */
void ngx_http_north_wait_begin(ngx_http_request_t *r,
    ngx_http_north_wait_e what);
void ngx_http_north_wait_end(ngx_http_request_t *r,
    ngx_http_north_wait_e what);

/*
 * One line of north_event_log: {"time", "type", "node", "pid", then fields}
 * (a JSON object, stolen; NULL: none). Nothing without the directive.
 */
void ngx_http_north_event(const char *type, struct json_t *fields);

char *ngx_http_north_event_log(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

ngx_int_t ngx_http_north_traceparent_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
ngx_int_t ngx_http_north_trace_part_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
ngx_int_t ngx_http_north_wait_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
ngx_int_t ngx_http_north_duration_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
ngx_int_t ngx_http_north_time_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);


#endif /* _NGX_NORTH_TRACE_H_INCLUDED_ */
