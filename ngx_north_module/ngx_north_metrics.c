/*
 * North metrics: atomic counters in one shared-memory zone, reused as is
 * across reloads, and their Prometheus text rendering.
 */

#include "ngx_north_metrics.h"
#include "ngx_north_json.h"


#define NGX_HTTP_NORTH_METRICS_ROUTES   128
#define NGX_HTTP_NORTH_METRICS_BUCKETS  11


typedef struct {
    ngx_atomic_t                 metric[NGX_HTTP_NORTH_M_COUNT];
    ngx_atomic_t                 requests[NGX_HTTP_NORTH_METRICS_ROUTES][5];
    ngx_atomic_t                 latency[NGX_HTTP_NORTH_METRICS_BUCKETS + 1];
    ngx_atomic_t                 latency_sum;  /* ms */
} ngx_http_north_metrics_sh_t;


static ngx_int_t ngx_http_north_metrics_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);


static ngx_http_north_metrics_sh_t  *ngx_http_north_metrics;

/* upper bounds, ms */
static ngx_msec_t  ngx_http_north_metrics_le[NGX_HTTP_NORTH_METRICS_BUCKETS] = {
    5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000
};

static struct {
    const char  *name;
    const char  *type;
    const char  *help;
} ngx_http_north_metric_names[NGX_HTTP_NORTH_M_COUNT] = {
    { "north_pg_connections_open", "gauge",
      "PostgreSQL connections open, all workers" },
    { "north_pg_connections_busy", "gauge",
      "PostgreSQL connections running a statement" },
    { "north_pg_queries_waiting", "gauge",
      "Queries waiting for a PostgreSQL connection" },
    { "north_pg_errors_total", "counter",
      "PostgreSQL connections failed or lost, and queries timed out" },
    { "north_pg_reconnects_total", "counter",
      "PostgreSQL connections opened again after a failure" },
    { "north_pg_pipelined_total", "counter",
      "Statements sent on a connection while others ran there" },
    { "north_redis_errors_total", "counter",
      "Redis connections failed or lost, and commands timed out" },
    { "north_rate_limited_total", "counter",
      "Requests refused by a rate limit" },
    { "north_audit_records_written_total", "counter",
      "Audit records stored in PostgreSQL" },
    { "north_audit_records_spooled_total", "counter",
      "Audit records kept in the spool while PostgreSQL was away" },
    { "north_audit_records_replayed_total", "counter",
      "Audit records stored from the spool" },
    { "north_cache_hits_total", "counter",
      "Reads answered from the Redis cache" },
    { "north_cache_misses_total", "counter",
      "Cached reads that went to PostgreSQL" },
    { "north_cache_invalidations_pending", "gauge",
      "Invalidations waiting for Redis; the cache is bypassed meanwhile" }
};


ngx_int_t
ngx_http_north_metrics_zone(ngx_conf_t *cf)
{
    ngx_shm_zone_t  *shm_zone;

    static ngx_str_t  name = ngx_string("north_metrics");

    shm_zone = ngx_shared_memory_add(cf, &name,
                                     8 * ngx_pagesize
                                     + sizeof(ngx_http_north_metrics_sh_t),
                                     &ngx_http_north_module);
    if (shm_zone == NULL) {
        return NGX_ERROR;
    }

    shm_zone->init = ngx_http_north_metrics_init_zone;

    return NGX_OK;
}


/* Counters live on across reloads: an old zone's are kept as they are. */

static ngx_int_t
ngx_http_north_metrics_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_slab_pool_t  *shpool;

    if (data) {
        shm_zone->data = data;
        ngx_http_north_metrics = data;
        return NGX_OK;
    }

    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        shm_zone->data = shpool->data;
        ngx_http_north_metrics = shpool->data;
        return NGX_OK;
    }

    ngx_http_north_metrics = ngx_slab_calloc(shpool,
                                    sizeof(ngx_http_north_metrics_sh_t));
    if (ngx_http_north_metrics == NULL) {
        return NGX_ERROR;
    }

    shpool->data = ngx_http_north_metrics;
    shm_zone->data = ngx_http_north_metrics;

    return NGX_OK;
}


void
ngx_http_north_metric_add(ngx_http_north_metric_e m, ngx_int_t n)
{
    if (ngx_http_north_metrics) {
        (void) ngx_atomic_fetch_add(&ngx_http_north_metrics->metric[m], n);
    }
}


ngx_atomic_int_t
ngx_http_north_metric_get(ngx_http_north_metric_e m)
{
    return ngx_http_north_metrics
           ? (ngx_atomic_int_t) ngx_http_north_metrics->metric[m] : 0;
}


void
ngx_http_north_metrics_request(ngx_http_request_t *r, ngx_uint_t route)
{
    ngx_uint_t                    i, status;
    ngx_msec_int_t                ms;
    ngx_time_t                   *tp;
    ngx_http_north_metrics_sh_t  *m;

    m = ngx_http_north_metrics;

    if (m == NULL || route >= NGX_HTTP_NORTH_METRICS_ROUTES) {
        return;
    }

    status = r->err_status ? r->err_status : r->headers_out.status;

    if (status < 100 || status > 599) {
        status = 500;   /* 0: the client left first, nginx's 499 */
    }

    (void) ngx_atomic_fetch_add(&m->requests[route][status / 100 - 1], 1);

    tp = ngx_timeofday();
    ms = (ngx_msec_int_t) ((tp->sec - r->start_sec) * 1000
                           + (tp->msec - r->start_msec));
    ms = ngx_max(ms, 0);

    for (i = 0; i < NGX_HTTP_NORTH_METRICS_BUCKETS; i++) {
        if ((ngx_msec_t) ms <= ngx_http_north_metrics_le[i]) {
            break;
        }
    }

    (void) ngx_atomic_fetch_add(&m->latency[i], 1);
    (void) ngx_atomic_fetch_add(&m->latency_sum, ms);
}


ngx_int_t
ngx_http_north_metrics_handler(ngx_http_request_t *r)
{
    u_char                       *text, *p, *last;
    ngx_str_t                    *name;
    ngx_uint_t                    i, k, cumulative;
    ngx_http_north_metrics_sh_t  *m;

    static ngx_str_t  type = ngx_string("text/plain; version=0.0.4");

    m = ngx_http_north_metrics;

    if (m == NULL) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    text = ngx_pnalloc(r->pool, 64 * 1024);
    if (text == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = text;
    last = text + 64 * 1024;

    p = ngx_slprintf(p, last,
                     "# HELP north_http_requests_total Requests by route "
                     "(north_api handler) and status class\n"
                     "# TYPE north_http_requests_total counter\n");

    for (i = 0; i < NGX_HTTP_NORTH_METRICS_ROUTES; i++) {
        name = ngx_http_north_route_name(i);
        if (name == NULL) {
            break;
        }

        for (k = 0; k < 5; k++) {
            if (m->requests[i][k]) {
                p = ngx_slprintf(p, last, "north_http_requests_total"
                                 "{route=\"%V\",status=\"%uixx\"} %uA\n",
                                 name, k + 1, m->requests[i][k]);
            }
        }
    }

    p = ngx_slprintf(p, last,
                     "# HELP north_http_request_duration_seconds Time from "
                     "the request line to the log phase\n"
                     "# TYPE north_http_request_duration_seconds histogram\n");

    cumulative = 0;

    for (i = 0; i <= NGX_HTTP_NORTH_METRICS_BUCKETS; i++) {
        cumulative += m->latency[i];

        if (i < NGX_HTTP_NORTH_METRICS_BUCKETS) {
            p = ngx_slprintf(p, last, "north_http_request_duration_seconds"
                             "_bucket{le=\"%.3f\"} %ui\n",
                             ngx_http_north_metrics_le[i] / 1000.0,
                             cumulative);
        } else {
            p = ngx_slprintf(p, last, "north_http_request_duration_seconds"
                             "_bucket{le=\"+Inf\"} %ui\n", cumulative);
        }
    }

    p = ngx_slprintf(p, last,
                     "north_http_request_duration_seconds_sum %.3f\n"
                     "north_http_request_duration_seconds_count %ui\n",
                     m->latency_sum / 1000.0, cumulative);

    for (i = 0; i < NGX_HTTP_NORTH_M_COUNT; i++) {
        p = ngx_slprintf(p, last, "# HELP %s %s\n# TYPE %s %s\n%s %A\n",
                         ngx_http_north_metric_names[i].name,
                         ngx_http_north_metric_names[i].help,
                         ngx_http_north_metric_names[i].name,
                         ngx_http_north_metric_names[i].type,
                         ngx_http_north_metric_names[i].name,
                         (ngx_atomic_int_t) m->metric[i]);
    }

    return ngx_http_north_send_type(r, NGX_HTTP_OK, &type, text, p - text);
}
