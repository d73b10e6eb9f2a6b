/*
 * North metrics: atomic counters in one shared-memory zone, reused as is
 * across reloads, and their Prometheus text rendering.
 */

#include "ngx_north_metrics.h"
#include "ngx_north_json.h"
#include "ngx_north_pg.h"
#include "ngx_north_audit.h"
#include "ngx_north_trace.h"


#define NGX_HTTP_NORTH_METRICS_ROUTES   128
#define NGX_HTTP_NORTH_METRICS_BUCKETS  11


typedef struct {
    ngx_atomic_t                 metric[NGX_HTTP_NORTH_M_COUNT];
    ngx_atomic_t                 requests[NGX_HTTP_NORTH_METRICS_ROUTES][5];
    ngx_atomic_t                 latency[NGX_HTTP_NORTH_METRICS_ROUTES]
                                        [NGX_HTTP_NORTH_METRICS_BUCKETS + 1];
    ngx_atomic_t                 latency_sum[NGX_HTTP_NORTH_METRICS_ROUTES];
                                                              /* ms */
} ngx_http_north_metrics_sh_t;


static ngx_int_t ngx_http_north_metrics_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static ngx_int_t ngx_http_north_metrics_render(ngx_http_request_t *r,
    void *data, PGresult *res, ngx_int_t status);
static u_char *ngx_http_north_metrics_latency(u_char *p, u_char *last,
    ngx_str_t *route, ngx_atomic_t *latency, ngx_atomic_t sum);
static u_char *ngx_http_north_metrics_database(u_char *p, u_char *last,
    PGresult *res);


/*
 * What PostgreSQL knows, at the scrape: (metric, label, its value, value),
 * a metric's rows together. A job waits when due and not leased.
 */
static ngx_http_north_pg_stmt_t  ngx_http_north_metrics_stmt =
    ngx_http_north_pg_stmt_raw("north_metrics",
        "with q as ("
        "  select kind, run_at, leased_until >= now() as running"
        "  from north.jobs where done_at is null and run_at <= now()),"
        " m (name, key, label, n) as ("
        " select 'north_jobs_waiting', 'kind', kind,"
        "        (count(*) filter (where not coalesce(running, false)))::text"
        " from q group by kind"
        " union all"
        " select 'north_jobs_running', 'kind', kind,"
        "        (count(*) filter (where running))::text"
        " from q group by kind"
        " union all"
        " select 'north_jobs_oldest_waiting_seconds', 'kind', kind,"
        "        coalesce(floor(extract(epoch from now() - min(run_at)"
        "                 filter (where not coalesce(running, false)))),"
        "                 0)::bigint::text"
        " from q group by kind"
        " union all"
        " select 'north_plaid_items', 'health', health, count(*)::text"
        " from north.plaid_items group by health)"
        " select name, key, label, n from m"
        " order by name collate \"C\", label", 0, 4);

static struct {
    const char  *name;
    const char  *help;
} ngx_http_north_metrics_db_help[] = {
    { "north_jobs_oldest_waiting_seconds",
      "Age of the oldest job due and not running, by kind" },
    { "north_jobs_running", "Jobs leased by a worker now, by kind" },
    { "north_jobs_waiting", "Jobs due and not running, by kind" },
    { "north_plaid_items",
      "Linked Plaid items by health (login_required: the user must sign "
      "in at the bank again)" },
    { NULL, NULL }
};


static ngx_http_north_metrics_sh_t  *ngx_http_north_metrics;

/* upper bounds, ms */
static ngx_msec_t  ngx_http_north_metrics_le[NGX_HTTP_NORTH_METRICS_BUCKETS] = {
    5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000
};

static struct {
    const char  *name;
    const char  *type;
    const char  *help;
    double       unit;      /* the counter's, in the metric's: 1e-3 ms */
} ngx_http_north_metric_names[NGX_HTTP_NORTH_M_COUNT] = {
    { "north_pg_connections_open", "gauge",
      "PostgreSQL connections open, all workers", 1 },
    { "north_pg_connections_busy", "gauge",
      "PostgreSQL connections running a statement", 1 },
    { "north_pg_queries_waiting", "gauge",
      "Queries waiting for a PostgreSQL connection", 1 },
    { "north_pg_errors_total", "counter",
      "PostgreSQL connections failed or lost, and queries timed out", 1 },
    { "north_pg_reconnects_total", "counter",
      "PostgreSQL connections opened again after a failure", 1 },
    { "north_pg_pipelined_total", "counter",
      "Statements sent on a connection while others ran there", 1 },
    { "north_pg_waits_total", "counter",
      "Queries that waited for a PostgreSQL connection", 1 },
    { "north_pg_wait_seconds_total", "counter",
      "Time queries waited for a PostgreSQL connection", 1e-3 },
    { "north_redis_errors_total", "counter",
      "Redis connections failed or lost, and commands timed out", 1 },
    { "north_redis_links_up", "gauge",
      "Workers whose Redis link is connected", 1 },
    { "north_redis_commands_total", "counter",
      "Redis commands answered", 1 },
    { "north_redis_command_seconds_total", "counter",
      "Time from a Redis command's queueing to its reply", 1e-6 },
    { "north_rate_limited_total", "counter",
      "Requests refused by a rate limit", 1 },
    { "north_audit_records_written_total", "counter",
      "Audit records stored in PostgreSQL", 1 },
    { "north_audit_records_spooled_total", "counter",
      "Audit records kept in the spool while PostgreSQL was away", 1 },
    { "north_audit_records_replayed_total", "counter",
      "Audit records stored from the spool", 1 },
    { "north_cache_hits_total", "counter",
      "Reads answered from the Redis cache", 1 },
    { "north_cache_misses_total", "counter",
      "Cached reads that went to PostgreSQL", 1 },
    { "north_cache_invalidations_pending", "gauge",
      "Invalidations waiting for Redis; the cache is bypassed meanwhile", 1 },
    { "north_fcm_sent_total", "counter",
      "Push deliveries FCM accepted", 1 },
    { "north_fcm_dropped_total", "counter",
      "Push deliveries dropped with their device's token (unregistered, "
      "invalid, another sender's)", 1 },
    { "north_fcm_failed_total", "counter",
      "Push deliveries given up (a payload FCM refuses)", 1 },
    { "north_fcm_retried_total", "counter",
      "Push deliveries put off for a retry (quota, FCM away, lost)", 1 },
    { "north_sentry_events_sent_total", "counter",
      "Error events the tracker took", 1 },
    { "north_sentry_events_dropped_total", "counter",
      "Error events not sent: over the rate, the queue full, or refused", 1 }
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
    ngx_msec_t                    ms;
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

    ms = ngx_http_north_request_ms(r);

    for (i = 0; i < NGX_HTTP_NORTH_METRICS_BUCKETS; i++) {
        if (ms <= ngx_http_north_metrics_le[i]) {
            break;
        }
    }

    (void) ngx_atomic_fetch_add(&m->latency[route][i], 1);
    (void) ngx_atomic_fetch_add(&m->latency_sum[route], ms);
}


ngx_int_t
ngx_http_north_metrics_handler(ngx_http_request_t *r)
{
    if (ngx_http_north_metrics == NULL) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    return ngx_http_north_pg_query(r, &ngx_http_north_metrics_stmt, NULL,
                                   ngx_http_north_metrics_render, NULL);
}


/* The text, with PostgreSQL's part when it answered (res of 4 columns). */

static ngx_int_t
ngx_http_north_metrics_render(ngx_http_request_t *r, void *data,
    PGresult *res, ngx_int_t status)
{
    u_char                       *text, *p, *last;
    off_t                         bytes;
    time_t                        oldest;
    ngx_str_t                    *name;
    ngx_uint_t                    i, k, files, db;
    ngx_http_north_metrics_sh_t  *m;

    static ngx_str_t  type = ngx_string("text/plain; version=0.0.4");

    m = ngx_http_north_metrics;

    text = ngx_pnalloc(r->pool, 256 * 1024);
    if (text == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = text;
    last = text + 256 * 1024;

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
                     "the request line to the log phase, by route\n"
                     "# TYPE north_http_request_duration_seconds histogram\n");

    for (i = 0; i < NGX_HTTP_NORTH_METRICS_ROUTES; i++) {
        name = ngx_http_north_route_name(i);
        if (name == NULL) {
            break;
        }

        p = ngx_http_north_metrics_latency(p, last, name, m->latency[i],
                                           m->latency_sum[i]);
    }

    for (i = 0; i < NGX_HTTP_NORTH_M_COUNT; i++) {
        p = ngx_slprintf(p, last, "# HELP %s %s\n# TYPE %s %s\n",
                         ngx_http_north_metric_names[i].name,
                         ngx_http_north_metric_names[i].help,
                         ngx_http_north_metric_names[i].name,
                         ngx_http_north_metric_names[i].type);

        if (ngx_http_north_metric_names[i].unit == 1) {
            p = ngx_slprintf(p, last, "%s %A\n",
                             ngx_http_north_metric_names[i].name,
                             (ngx_atomic_int_t) m->metric[i]);

        } else {
            p = ngx_slprintf(p, last, "%s %.6f\n",
                             ngx_http_north_metric_names[i].name,
                             (double) m->metric[i]
                             * ngx_http_north_metric_names[i].unit);
        }
    }

    /* the audit spool: records PostgreSQL has not taken yet */
    if (ngx_http_north_audit_spool_stats((ngx_cycle_t *) ngx_cycle, &files,
                                         &bytes, &oldest)
        == NGX_OK)
    {
        p = ngx_slprintf(p, last,
                "# HELP north_audit_spool_files Spool files of records not "
                "stored in PostgreSQL yet\n"
                "# TYPE north_audit_spool_files gauge\n"
                "north_audit_spool_files %ui\n"
                "# HELP north_audit_spool_bytes Their size\n"
                "# TYPE north_audit_spool_bytes gauge\n"
                "north_audit_spool_bytes %O\n"
                "# HELP north_audit_spool_oldest_seconds Age of the oldest "
                "record in the spool (0: none)\n"
                "# TYPE north_audit_spool_oldest_seconds gauge\n"
                "north_audit_spool_oldest_seconds %T\n",
                files, bytes, oldest ? ngx_max(ngx_time() - oldest, 0) : 0);
    }

    db = (res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK
          && PQnfields(res) == 4);

    if (!db) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "north metrics: no figures from PostgreSQL: %s",
                      ngx_http_north_pg_why(res, status));
    }

    p = ngx_slprintf(p, last,
                     "# HELP north_metrics_database_up Whether this scrape's "
                     "job and item figures came from PostgreSQL\n"
                     "# TYPE north_metrics_database_up gauge\n"
                     "north_metrics_database_up %ui\n", db);

    if (db) {
        p = ngx_http_north_metrics_database(p, last, res);
    }

    if (p == last) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "north metrics: the text was cut at %uz bytes",
                      (size_t) (last - text));
    }

    return ngx_http_north_send_type(r, NGX_HTTP_OK, &type, text, p - text);
}


/* One route's histogram; nothing for a route never asked. */

static u_char *
ngx_http_north_metrics_latency(u_char *p, u_char *last, ngx_str_t *route,
    ngx_atomic_t *latency, ngx_atomic_t sum)
{
    ngx_uint_t  i, cumulative;

    cumulative = 0;

    for (i = 0; i <= NGX_HTTP_NORTH_METRICS_BUCKETS; i++) {
        cumulative += latency[i];
    }

    if (cumulative == 0) {
        return p;
    }

    cumulative = 0;

    for (i = 0; i <= NGX_HTTP_NORTH_METRICS_BUCKETS; i++) {
        cumulative += latency[i];

        if (i < NGX_HTTP_NORTH_METRICS_BUCKETS) {
            p = ngx_slprintf(p, last, "north_http_request_duration_seconds"
                             "_bucket{route=\"%V\",le=\"%.3f\"} %ui\n",
                             route, ngx_http_north_metrics_le[i] / 1000.0,
                             cumulative);
        } else {
            p = ngx_slprintf(p, last, "north_http_request_duration_seconds"
                             "_bucket{route=\"%V\",le=\"+Inf\"} %ui\n",
                             route, cumulative);
        }
    }

    return ngx_slprintf(p, last,
                        "north_http_request_duration_seconds_sum"
                        "{route=\"%V\"} %.3f\n"
                        "north_http_request_duration_seconds_count"
                        "{route=\"%V\"} %ui\n",
                        route, sum / 1000.0, route, cumulative);
}


/*
 * The rows of the scrape's statement, a metric's together: HELP and TYPE
 * before its first. Every metric named is gauged, rows or none.
 */

static u_char *
ngx_http_north_metrics_database(u_char *p, u_char *last, PGresult *res)
{
    int          row, n;
    ngx_uint_t   i;
    const char  *name;

    n = PQntuples(res);
    row = 0;

    for (i = 0; ngx_http_north_metrics_db_help[i].name; i++) {
        name = ngx_http_north_metrics_db_help[i].name;

        p = ngx_slprintf(p, last, "# HELP %s %s\n# TYPE %s gauge\n", name,
                         ngx_http_north_metrics_db_help[i].help, name);

        for ( /* void */ ; row < n && ngx_strcmp(PQgetvalue(res, row, 0), name)
                                      == 0; row++)
        {
            /* kinds and health words are the code's own: no quote within */
            p = ngx_slprintf(p, last, "%s{%s=\"%s\"} %s\n", name,
                             PQgetvalue(res, row, 1), PQgetvalue(res, row, 2),
                             PQgetvalue(res, row, 3));
        }
    }

    return p;
}
