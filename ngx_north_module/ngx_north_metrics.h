/*
 * North metrics: counters in shared memory, so that every worker's work
 * shows in one scrape and survives a reload; rendered for Prometheus.
 */

#ifndef _NGX_NORTH_METRICS_H_INCLUDED_
#define _NGX_NORTH_METRICS_H_INCLUDED_


#include "ngx_north.h"


typedef enum {
    NGX_HTTP_NORTH_M_PG_OPEN = 0,      /* gauges: up and down */
    NGX_HTTP_NORTH_M_PG_BUSY,
    NGX_HTTP_NORTH_M_PG_WAITING,
    NGX_HTTP_NORTH_M_PG_ERRORS,        /* counters: up only */
    NGX_HTTP_NORTH_M_PG_RECONNECTS,
    NGX_HTTP_NORTH_M_PG_PIPELINED,
    NGX_HTTP_NORTH_M_PG_WAITED,
    NGX_HTTP_NORTH_M_PG_WAIT_MS,
    NGX_HTTP_NORTH_M_REDIS_ERRORS,
    NGX_HTTP_NORTH_M_REDIS_LINKS,      /* gauge */
    NGX_HTTP_NORTH_M_REDIS_COMMANDS,
    NGX_HTTP_NORTH_M_REDIS_COMMAND_US,
    NGX_HTTP_NORTH_M_LIMIT_REJECTED,
    NGX_HTTP_NORTH_M_AUDIT_WRITTEN,
    NGX_HTTP_NORTH_M_AUDIT_SPOOLED,
    NGX_HTTP_NORTH_M_AUDIT_REPLAYED,
    NGX_HTTP_NORTH_M_CACHE_HITS,
    NGX_HTTP_NORTH_M_CACHE_MISSES,
    NGX_HTTP_NORTH_M_CACHE_PENDING,    /* gauge */
    NGX_HTTP_NORTH_M_FCM_SENT,
    NGX_HTTP_NORTH_M_FCM_DROPPED,
    NGX_HTTP_NORTH_M_FCM_FAILED,
    NGX_HTTP_NORTH_M_FCM_RETRIED,
    NGX_HTTP_NORTH_M_SENTRY_SENT,
    NGX_HTTP_NORTH_M_SENTRY_DROPPED,
    NGX_HTTP_NORTH_M_COUNT
} ngx_http_north_metric_e;


ngx_int_t ngx_http_north_metrics_zone(ngx_conf_t *cf);
void ngx_http_north_metric_add(ngx_http_north_metric_e m, ngx_int_t n);

/* Its value now, all workers (0 before the zone exists). */
ngx_atomic_int_t ngx_http_north_metric_get(ngx_http_north_metric_e m);

/* Counts r by route and status class, and its latency. */
void ngx_http_north_metrics_request(ngx_http_request_t *r, ngx_uint_t route);

/*
 * GET /metrics: the Prometheus text exposition: the counters, and what
 * PostgreSQL knows at the scrape (the job queue, Plaid items by health).
 */
ngx_int_t ngx_http_north_metrics_handler(ngx_http_request_t *r);


#endif /* _NGX_NORTH_METRICS_H_INCLUDED_ */
