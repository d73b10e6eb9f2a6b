/*
 * North core module: its directives and configuration, per-worker start and
 * stop of the async layer, the request id, and `north_api` dispatch to
 * registered handlers. The directives that parse URLs and keys are in
 * ngx_north_conf.c; the helpers of a request in ngx_north_request.c.
 */

#include "ngx_north.h"
#include "ngx_north_conf.h"
#include "ngx_north_pg.h"
#include "ngx_north_redis.h"
#include "ngx_north_cache.h"
#include "ngx_north_jwt.h"
#include "ngx_north_jobs.h"
#include "ngx_north_fetch.h"
#include "ngx_north_idempotency.h"
#include "ngx_north_json.h"
#include "ngx_north_metrics.h"
#include "ngx_north_trace.h"
#include "ngx_north_sentry.h"
#include "north_check.h"



typedef struct {
    ngx_http_north_route_t      *route;
    ngx_uint_t                   route_index;  /* in the metrics; 0: other */
} ngx_http_north_loc_conf_t;


static ngx_int_t ngx_http_north_preconfiguration(ngx_conf_t *cf);
static ngx_int_t ngx_http_north_postconfiguration(ngx_conf_t *cf);
static void *ngx_http_north_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_north_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_north_create_loc_conf(ngx_conf_t *cf);
static ngx_int_t ngx_http_north_init_process(ngx_cycle_t *cycle);
static void ngx_http_north_redis_recovered(ngx_http_north_main_conf_t *mcf,
    time_t since);
static void ngx_http_north_exit_process(ngx_cycle_t *cycle);

static char *ngx_http_north_api(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

static ngx_int_t ngx_http_north_request_id_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_north_route_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_north_header_filter(ngx_http_request_t *r);
static ngx_int_t ngx_http_north_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);
static ngx_int_t ngx_http_north_content_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_north_error(ngx_http_request_t *r);
static ngx_int_t ngx_http_north_log_handler(ngx_http_request_t *r);


static ngx_conf_num_bounds_t  ngx_http_north_pool_bounds = {
    ngx_conf_check_num_bounds, 1, 256
};

static ngx_conf_num_bounds_t  ngx_http_north_queue_bounds = {
    ngx_conf_check_num_bounds, 0, 65536
};

static ngx_conf_num_bounds_t  ngx_http_north_pipeline_bounds = {
    ngx_conf_check_num_bounds, 1, NGX_HTTP_NORTH_PG_PIPELINE
};

static ngx_conf_num_bounds_t  ngx_http_north_depth_bounds = {
    ngx_conf_check_num_bounds, 1, 1024
};


static ngx_command_t  ngx_http_north_commands[] = {

    { ngx_string("north_sentry"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_north_sentry,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("north_event_log"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_north_event_log,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("north_env_file"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_north_env_file,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("north_database"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_north_database,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("north_database_max_connections"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE12,
      ngx_http_north_database_max,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("north_database_pool_size"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_north_main_conf_t, pg_pool_size),
      &ngx_http_north_pool_bounds },

    { ngx_string("north_fetch_ca"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_north_main_conf_t, fetch_ca),
      NULL },

    { ngx_string("north_database_queue"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_north_main_conf_t, pg_queue_size),
      &ngx_http_north_queue_bounds },

    { ngx_string("north_database_pipeline"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_north_main_conf_t, pg_pipeline),
      &ngx_http_north_pipeline_bounds },

    { ngx_string("north_database_connect_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_north_main_conf_t, pg_connect_timeout),
      NULL },

    { ngx_string("north_database_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_north_main_conf_t, pg_query_timeout),
      NULL },

    { ngx_string("north_redis"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_north_redis,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("north_redis_ca"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_north_main_conf_t, redis_ca),
      NULL },

    { ngx_string("north_redis_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_north_main_conf_t, redis_timeout),
      NULL },

    { ngx_string("north_thread_pool"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_north_main_conf_t, thread_pool_name),
      NULL },

    { ngx_string("north_json_max_depth"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_north_main_conf_t, json_max_depth),
      &ngx_http_north_depth_bounds },

    { ngx_string("north_pipeda_compliance"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_north_pipeda,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("north_data_region"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_north_data_region,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("north_data_key"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE12,
      ngx_http_north_data_key,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("north_privacy_policy_version"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_north_main_conf_t, policy_version),
      NULL },

    { ngx_string("north_privacy_policy_url"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_north_main_conf_t, policy_url),
      NULL },

    { ngx_string("north_privacy_officer"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_north_main_conf_t, privacy_officer),
      NULL },

    { ngx_string("north_privacy_email"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_north_main_conf_t, privacy_email),
      NULL },

    { ngx_string("north_privacy_phone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_north_main_conf_t, privacy_phone),
      NULL },

    { ngx_string("north_privacy_address"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_north_main_conf_t, privacy_address),
      NULL },

    { ngx_string("north_jobs_interval"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_north_main_conf_t, jobs_interval),
      NULL },

    { ngx_string("north_jobs_sweep"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_north_main_conf_t, jobs_sweep),
      NULL },

    { ngx_string("north_jobs_lease"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_north_main_conf_t, jobs_lease),
      NULL },

    { ngx_string("north_cache_ttl"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_north_main_conf_t, cache_ttl),
      NULL },

    { ngx_string("north_api"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_north_api,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_north_module_ctx = {
    ngx_http_north_preconfiguration,       /* preconfiguration */
    ngx_http_north_postconfiguration,      /* postconfiguration */

    ngx_http_north_create_main_conf,       /* create main configuration */
    ngx_http_north_init_main_conf,         /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_north_create_loc_conf,        /* create location configuration */
    NULL                                   /* merge location configuration */
};


ngx_module_t  ngx_http_north_module = {
    NGX_MODULE_V1,
    &ngx_http_north_module_ctx,            /* module context */
    ngx_http_north_commands,               /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_north_init_process,           /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_north_exit_process,           /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


/* The platform's own endpoints, beside the services' tables. */
static ngx_http_north_route_t  ngx_http_north_platform_routes[] = {

    { ngx_string("platform.metrics"), NGX_HTTP_GET,
      ngx_http_north_metrics_handler },

    { ngx_string("platform.error"),
      NGX_HTTP_GET|NGX_HTTP_HEAD|NGX_HTTP_POST|NGX_HTTP_PUT|NGX_HTTP_PATCH
      |NGX_HTTP_DELETE|NGX_HTTP_OPTIONS,
      ngx_http_north_error },

    { ngx_null_string, 0, NULL }
};


static ngx_http_variable_t  ngx_http_north_vars[] = {

    { ngx_string("north_request_id"), NULL,
      ngx_http_north_request_id_variable, 0, 0, 0 },

    { ngx_string("north_route"), NULL,
      ngx_http_north_route_variable, 0, 0, 0 },

    { ngx_string("north_traceparent"), NULL,
      ngx_http_north_traceparent_variable, 0, 0, 0 },

    { ngx_string("north_trace_id"), NULL,
      ngx_http_north_trace_part_variable, 3, 0, 0 },

    { ngx_string("north_span_id"), NULL,
      ngx_http_north_trace_part_variable, 36, 0, 0 },

    { ngx_string("north_pg_ms"), NULL,
      ngx_http_north_wait_variable, NGX_HTTP_NORTH_WAIT_PG,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("north_redis_ms"), NULL,
      ngx_http_north_wait_variable, NGX_HTTP_NORTH_WAIT_REDIS,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("north_upstream_ms"), NULL,
      ngx_http_north_wait_variable, NGX_HTTP_NORTH_WAIT_UPSTREAM,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("north_duration_ms"), NULL,
      ngx_http_north_duration_variable, 0, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("north_time"), NULL,
      ngx_http_north_time_variable, 0, NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


static ngx_str_t  ngx_http_north_request_id_header = ngx_string("X-Request-Id");
static ngx_str_t  ngx_http_north_traceparent_header = ngx_string("traceparent");

static ngx_int_t  ngx_http_north_request_id_index = NGX_ERROR;
static ngx_int_t  ngx_http_north_route_index = NGX_ERROR;
static ngx_int_t  ngx_http_north_nginx_request_id_index = NGX_ERROR;

static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;
static ngx_http_output_body_filter_pt    ngx_http_next_body_filter;


static ngx_int_t
ngx_http_north_preconfiguration(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_north_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_north_postconfiguration(ngx_conf_t *cf)
{
    static ngx_str_t  north_id = ngx_string("north_request_id");
    static ngx_str_t  route = ngx_string("north_route");
    static ngx_str_t  nginx_id = ngx_string("request_id");

    ngx_http_north_request_id_index = ngx_http_get_variable_index(cf,
                                                                  &north_id);
    ngx_http_north_nginx_request_id_index = ngx_http_get_variable_index(cf,
                                                                  &nginx_id);

    if (ngx_http_north_request_id_index == NGX_ERROR
        || ngx_http_north_nginx_request_id_index == NGX_ERROR)
    {
        return NGX_ERROR;
    }

    if (ngx_http_north_trace_init(cf) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_http_north_route_index = ngx_http_get_variable_index(cf, &route);

    if (ngx_http_north_route_index == NGX_ERROR) {
        return NGX_ERROR;
    }

    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_north_header_filter;

    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_north_body_filter;

    {
        ngx_http_handler_pt        *h;
        ngx_http_core_main_conf_t  *cmcf;

        cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

        h = ngx_array_push(&cmcf->phases[NGX_HTTP_LOG_PHASE].handlers);
        if (h == NULL) {
            return NGX_ERROR;
        }

        *h = ngx_http_north_log_handler;
    }

    return ngx_http_north_metrics_zone(cf);
}


static void *
ngx_http_north_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_north_main_conf_t  *mcf;

    mcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_north_main_conf_t));
    if (mcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     mcf->database = { 0, NULL };
     *     mcf->database_keys = NULL;
     *     mcf->database_vals = NULL;
     *     mcf->redis = { 0, NULL };
     *     mcf->redis_addr = NULL;
     *     mcf->redis_user = { 0, NULL };
     *     mcf->redis_password = { 0, NULL };
     *     mcf->redis_host = { 0, NULL };
     *     mcf->redis_ca = { 0, NULL };
     *     mcf->redis_tls = 0;
     *     mcf->redis_ssl = NULL;
     *     mcf->redis_db = 0;
     *     mcf->thread_pool_name = { 0, NULL };
     *     mcf->thread_pool = NULL;
     *     mcf->policy_version = { 0, NULL };
     *     mcf->policy_url = { 0, NULL };
     *     mcf->privacy_officer = { 0, NULL };
     *     mcf->privacy_email = { 0, NULL };
     *     mcf->privacy_phone = { 0, NULL };
     *     mcf->privacy_address = { 0, NULL };
     *     mcf->data_keys = NULL;
     *     mcf->data_key_ring = { 0, NULL };
     *     mcf->env_file = { 0, NULL };
     *     mcf->env_read = 0;
     *     mcf->event_log = NULL;
     *     mcf->sentry = NULL;
     *     mcf->pg_nodes = 0;
     *     mcf->pg = NULL;
     *     mcf->rd = NULL;
     */

    mcf->pg_pool_size = NGX_CONF_UNSET_UINT;
    mcf->pg_queue_size = NGX_CONF_UNSET_UINT;
    mcf->pg_pipeline = NGX_CONF_UNSET_UINT;
    mcf->pg_connect_timeout = NGX_CONF_UNSET_MSEC;
    mcf->pg_query_timeout = NGX_CONF_UNSET_MSEC;
    mcf->pg_server_max = NGX_CONF_UNSET_UINT;
    mcf->redis_timeout = NGX_CONF_UNSET_MSEC;
    mcf->json_max_depth = NGX_CONF_UNSET_UINT;
    mcf->pipeda = NGX_CONF_UNSET;
    mcf->jobs_interval = NGX_CONF_UNSET_MSEC;
    mcf->jobs_sweep = NGX_CONF_UNSET_MSEC;
    mcf->jobs_lease = NGX_CONF_UNSET_MSEC;
    mcf->cache_ttl = NGX_CONF_UNSET;

    return mcf;
}


static char *
ngx_http_north_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_north_main_conf_t  *mcf = conf;

    u_char                     *p;
    ngx_uint_t                  i;
    ngx_http_north_data_key_t  *k;

    ngx_conf_init_uint_value(mcf->pg_pool_size, 4);
    ngx_conf_init_uint_value(mcf->pg_queue_size, 1024);
    ngx_conf_init_uint_value(mcf->pg_pipeline, 4);
    ngx_conf_init_msec_value(mcf->pg_connect_timeout, 3000);
    ngx_conf_init_msec_value(mcf->pg_query_timeout, 5000);
    ngx_conf_init_msec_value(mcf->redis_timeout, 1000);
    ngx_conf_init_uint_value(mcf->json_max_depth, 32);
    ngx_conf_init_value(mcf->pipeda, 0);
    ngx_conf_init_msec_value(mcf->jobs_interval, 1000);
    ngx_conf_init_msec_value(mcf->jobs_sweep, 60000);
    ngx_conf_init_msec_value(mcf->jobs_lease, 30000);
    ngx_conf_init_value(mcf->cache_ttl, 300);

    if (mcf->jobs_sweep == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"north_jobs_sweep\" must be more than 0");
        return NGX_CONF_ERROR;
    }

    if (mcf->jobs_lease < 3000) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"north_jobs_lease\" must be at least 3s");
        return NGX_CONF_ERROR;
    }

    if (mcf->policy_version.data == NULL) {
        ngx_str_set(&mcf->policy_version, "2026-11-01");
    }

    mcf->node = cf->cycle->hostname;

    /* Canadian residency: refuse to start where the data would leave */
    if (mcf->pipeda) {
        if (mcf->data_region.len == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "PIPEDA compliance is on but no "
                               "\"north_data_region\" is set");
            return NGX_CONF_ERROR;
        }

        if (!((mcf->data_region.len == 12
               && ngx_strncmp(mcf->data_region.data, "ca-central-1", 12) == 0)
              || (mcf->data_region.len == 9
                  && ngx_strncmp(mcf->data_region.data, "ca-west-1", 9) == 0)))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "PIPEDA compliance is on but the data region "
                               "\"%V\" is not in Canada (ca-central-1 or "
                               "ca-west-1)", &mcf->data_region);
            return NGX_CONF_ERROR;
        }

        if (mcf->data_key.len == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "PIPEDA compliance is on but no data "
                               "encryption key (\"north_data_key\") is set");
            return NGX_CONF_ERROR;
        }

        /* accountability and openness: someone answers for the data */
        if (mcf->privacy_officer.len == 0 || mcf->privacy_email.len == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "PIPEDA compliance is on but no privacy "
                               "officer (\"north_privacy_officer\" and "
                               "\"north_privacy_email\") is named");
            return NGX_CONF_ERROR;
        }
    }

    if (mcf->redis_tls && ngx_http_north_redis_ssl(cf, mcf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    /* the ring's names, as SQL's text[] literal, for the re-seal job */
    if (mcf->data_keys) {
        k = mcf->data_keys->elts;

        p = ngx_pnalloc(cf->pool, mcf->data_keys->nelts * 17 + 2);
        if (p == NULL) {
            return NGX_CONF_ERROR;
        }

        mcf->data_key_ring.data = p;
        *p++ = '{';

        for (i = 0; i < mcf->data_keys->nelts; i++) {
            p = ngx_cpymem(p, k[i].id, 16);
            *p++ = (i + 1 < mcf->data_keys->nelts) ? ',' : '}';
        }

        *p = '\0';
        mcf->data_key_ring.len = p - mcf->data_key_ring.data;
    }

    if (mcf->thread_pool_name.data == NULL) {
        ngx_str_set(&mcf->thread_pool_name, "default");
    }

    mcf->thread_pool = ngx_thread_pool_add(cf, &mcf->thread_pool_name);
    if (mcf->thread_pool == NULL) {
        return NGX_CONF_ERROR;
    }

    if (mcf->database_keys == NULL) {
        return NGX_CONF_OK;
    }

    ngx_http_north_database_budget(cf, mcf);

    /* the server stops a query that outlives our own timeout */
    p = ngx_pnalloc(cf->pool, sizeof("-c statement_timeout=") + NGX_INT_T_LEN);
    if (p == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_sprintf(p, "-c statement_timeout=%M%Z", mcf->pg_query_timeout);

    if (ngx_http_north_conf_param(cf, mcf, "options", (char *) p) != NGX_OK
        || ngx_http_north_conf_param(cf, mcf, NULL, NULL) != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static void *
ngx_http_north_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_north_loc_conf_t  *lcf;

    /*
     * set by ngx_pcalloc():
     *
     *     lcf->route = NULL;
     *     lcf->route_index = 0;
     */

    lcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_north_loc_conf_t));

    return lcf;
}


static char *
ngx_http_north_api(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_north_loc_conf_t  *lcf = conf;

    ngx_str_t                   *value;
    ngx_http_north_route_t      *rt, **svc;
    ngx_http_core_loc_conf_t    *clcf;
    ngx_http_north_main_conf_t  *mcf;

    if (lcf->route) {
        return "is duplicate";
    }

    value = cf->args->elts;

    for (rt = ngx_http_north_platform_routes; rt->handler; rt++) {
        if (rt->name.len == value[1].len
            && ngx_strncmp(rt->name.data, value[1].data, value[1].len) == 0)
        {
            goto found;
        }
    }

    for (svc = ngx_http_north_services; *svc; svc++) {
        for (rt = *svc; rt->handler; rt++) {
            if (rt->name.len == value[1].len
                && ngx_strncmp(rt->name.data, value[1].data, value[1].len)
                   == 0)
            {
                goto found;
            }
        }
    }

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "unknown handler \"%V\" in \"north_api\"", &value[1]);
    return NGX_CONF_ERROR;

found:

    mcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_north_module);

    /* the suites' own endpoints have no place in a production config */
    if (mcf->pipeda == 1 && ngx_strncmp(rt->name.data, "selftest.", 9) == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "handler \"%V\" in \"north_api\" is for tests "
                           "only and PIPEDA compliance is on", &rt->name);
        return NGX_CONF_ERROR;
    }

    lcf->route = rt;

    /* the route's place in the tables, as ngx_http_north_route_name() walks */
    for (lcf->route_index = 1;
         ngx_http_north_route_name(lcf->route_index) != NULL;
         lcf->route_index++)
    {
        if (ngx_http_north_route_name(lcf->route_index) == &rt->name) {
            break;
        }
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_north_content_handler;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_north_init_process(ngx_cycle_t *cycle)
{
    ngx_http_north_main_conf_t  *mcf;

    if (ngx_get_conf(cycle->conf_ctx, ngx_http_module) == NULL) {
        return NGX_OK;
    }

    mcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_north_module);

    if (mcf == NULL) {
        return NGX_OK;
    }

    if (mcf->database_keys
        && ngx_http_north_pg_init_process(cycle, mcf) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (mcf->redis_addr
        && ngx_http_north_redis_init_process(cycle, mcf) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (mcf->rd) {
        ngx_http_north_redis_on_recovery(mcf->rd,
                                         ngx_http_north_redis_recovered);
    }

    if (mcf->database_keys
        && ngx_http_north_jobs_init_process(cycle, mcf) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ngx_http_north_fetch_init_process(cycle, &mcf->fetch_ca) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_north_sentry_init_process(cycle);
}


/*
 * The Redis link is back: what Redis missed while it was away is written
 * to it, the logouts and the cache's invalidations.
 */

static void
ngx_http_north_redis_recovered(ngx_http_north_main_conf_t *mcf, time_t since)
{
    ngx_http_north_jwt_redis_recovered(mcf, since);
    ngx_http_north_cache_redis_recovered(mcf, since);
}


static void
ngx_http_north_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_north_main_conf_t  *mcf;

    if (ngx_get_conf(cycle->conf_ctx, ngx_http_module) == NULL) {
        return;
    }

    mcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_north_module);

    if (mcf == NULL) {
        return;
    }

    ngx_http_north_jobs_exit_process();
    ngx_http_north_sentry_exit_process(cycle);
    ngx_http_north_fetch_exit_process();
    ngx_http_north_pg_exit_process(mcf);
    ngx_http_north_cache_exit_process();
    ngx_http_north_redis_exit_process(mcf);
}


/* A client's own X-Request-Id when well-formed, else nginx's $request_id. */

static ngx_int_t
ngx_http_north_request_id_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_table_elt_t            *h;
    ngx_http_variable_value_t  *id;

    h = ngx_http_north_header_in(r, &ngx_http_north_request_id_header);

    if (h && north_check_request_id(h->value.data, h->value.len)) {
        v->data = h->value.data;
        v->len = h->value.len;
        v->valid = 1;
        v->no_cacheable = 0;
        v->not_found = 0;
        return NGX_OK;
    }

    id = ngx_http_get_indexed_variable(r,
                                       ngx_http_north_nginx_request_id_index);
    if (id == NULL || id->not_found) {
        v->not_found = 1;
        return NGX_OK;
    }

    *v = *id;

    return NGX_OK;
}


/*
 * $north_route: the name north_api gives the location, empty elsewhere.
 * Cached when the handler is called: an internal redirect to the error
 * page keeps the route that answered.
 */

static ngx_int_t
ngx_http_north_route_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_http_north_loc_conf_t  *lcf;

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_north_module);

    if (lcf->route == NULL) {
        ngx_http_north_variable_set(v, (u_char *) "", 0, 1);

    } else {
        ngx_http_north_variable_set(v, lcf->route->name.data,
                                    lcf->route->name.len, 1);
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_north_request_route(ngx_http_request_t *r, ngx_str_t *route)
{
    ngx_http_variable_value_t  *v;

    v = ngx_http_get_indexed_variable(r->main, ngx_http_north_route_index);

    if (v == NULL || v->not_found) {
        return NGX_ERROR;
    }

    route->data = v->data;
    route->len = v->len;

    return NGX_OK;
}


ngx_str_t *
ngx_http_north_request_id(ngx_http_request_t *r)
{
    ngx_str_t                  *s;
    ngx_http_variable_value_t  *v;

    v = ngx_http_get_indexed_variable(r, ngx_http_north_request_id_index);

    if (v == NULL || v->not_found) {
        return NULL;
    }

    s = ngx_palloc(r->pool, sizeof(ngx_str_t));
    if (s == NULL) {
        return NULL;
    }

    s->data = v->data;
    s->len = v->len;

    return s;
}


ngx_str_t *
ngx_http_north_route_name(ngx_uint_t index)
{
    ngx_uint_t               n;
    ngx_http_north_route_t  *rt, **svc;

    static ngx_str_t  other = ngx_string("other");

    if (index == 0) {
        return &other;
    }

    n = 1;

    for (rt = ngx_http_north_platform_routes; rt->handler; rt++, n++) {
        if (n == index) {
            return &rt->name;
        }
    }

    for (svc = ngx_http_north_services; *svc; svc++) {
        for (rt = *svc; rt->handler; rt++, n++) {
            if (n == index) {
                return &rt->name;
            }
        }
    }

    return NULL;
}


static ngx_int_t
ngx_http_north_log_handler(ngx_http_request_t *r)
{
    ngx_str_t                   route;
    ngx_uint_t                  status;
    ngx_http_north_loc_conf_t  *lcf;

    if (r != r->main) {
        return NGX_OK;
    }

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_north_module);

    ngx_http_north_metrics_request(r, lcf->route_index);
    ngx_http_north_idempotency_log(r);

    status = r->err_status ? r->err_status : r->headers_out.status;

    if (status >= NGX_HTTP_INTERNAL_SERVER_ERROR) {
        if (ngx_http_north_request_route(r, &route) != NGX_OK
            || route.len == 0)
        {
            ngx_str_set(&route, "(no route)");
        }

        ngx_http_north_sentry_capture("http.5xx", "error", r,
                                      "%V %V answered %ui", &r->method_name,
                                      &route, status);
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_north_header_filter(ngx_http_request_t *r)
{
    ngx_str_t        *id, tp;
    ngx_table_elt_t  *h;

    if (r != r->main) {
        return ngx_http_next_header_filter(r);
    }

    id = ngx_http_north_request_id(r);

    if (id != NULL) {
        h = ngx_list_push(&r->headers_out.headers);
        if (h == NULL) {
            return NGX_ERROR;
        }

        h->hash = 1;
        h->key = ngx_http_north_request_id_header;
        h->value = *id;
    }

    /* the trace this answer belongs to, with this request's span */
    if (ngx_http_north_traceparent(r, &tp) == NGX_OK) {
        h = ngx_list_push(&r->headers_out.headers);
        if (h == NULL) {
            return NGX_ERROR;
        }

        h->hash = 1;
        h->key = ngx_http_north_traceparent_header;
        h->value = tp;
    }

    return ngx_http_next_header_filter(r);
}


/* What a response under an Idempotency-Key says is kept for its replay. */

static ngx_int_t
ngx_http_north_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    if (r == r->main && ngx_http_north_idempotency_body(r, in) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_next_body_filter(r, in);
}


static ngx_int_t
ngx_http_north_content_handler(ngx_http_request_t *r)
{
    u_char                     *p;
    ngx_int_t                   rc;
    ngx_uint_t                  i, methods;
    ngx_str_t                   route;
    ngx_table_elt_t            *h;
    ngx_http_north_route_t     *rt;
    ngx_http_north_loc_conf_t  *lcf;

    static struct {
        ngx_uint_t  method;
        char       *name;
    } names[] = {
        { NGX_HTTP_GET, "GET" }, { NGX_HTTP_HEAD, "HEAD" },
        { NGX_HTTP_POST, "POST" }, { NGX_HTTP_PUT, "PUT" },
        { NGX_HTTP_PATCH, "PATCH" }, { NGX_HTTP_DELETE, "DELETE" },
        { NGX_HTTP_OPTIONS, "OPTIONS" }
    };

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_north_module);
    rt = lcf->route;

    /* the route that answers is the one logged, whatever page follows */
    if (r == r->main && ngx_http_north_request_route(r, &route) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    methods = rt->methods;

    if (methods & NGX_HTTP_GET) {
        methods |= NGX_HTTP_HEAD;
    }

    if (r->method & methods) {

        /*
         * nginx's not-modified filter would judge If-Match and
         * If-Unmodified-Since against the answer of a write, after the
         * write: a change made, then a 412. A handler that takes them
         * (PATCH /v1/me) does so before it writes; elsewhere they have no
         * ETag or date to hold to and are ignored.
         */
        if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
            r->disable_not_modified = 1;
        }

        if (r->method == NGX_HTTP_POST) {
            rc = ngx_http_north_idempotency(r, rt->handler);
            if (rc != NGX_DECLINED) {
                return rc;
            }
        }

        return rt->handler(r);
    }

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_pnalloc(r->pool, sizeof("GET, HEAD, POST, PUT, PATCH, DELETE, "
                                    "OPTIONS"));
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Allow");
    h->value.data = p;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (methods & names[i].method) {
            if (p != h->value.data) {
                *p++ = ','; *p++ = ' ';
            }

            p = ngx_cpymem(p, names[i].name, ngx_strlen(names[i].name));
        }
    }

    h->value.len = p - h->value.data;

    return ngx_http_north_problem(r, NGX_HTTP_NOT_ALLOWED,
                                  "method-not-allowed", "Method not allowed",
                                  "see the Allow header", NULL);
}


/* nginx's own errors, reached through error_page, as problem+json. */

static ngx_int_t
ngx_http_north_error(ngx_http_request_t *r)
{
    ngx_uint_t  i, status;

    static struct {
        ngx_uint_t   status;
        const char  *type;
        const char  *title;
    } errors[] = {
        { NGX_HTTP_BAD_REQUEST, "bad-request", "Bad request" },
        { NGX_HTTP_UNAUTHORIZED, "unauthorized", "Unauthorized" },
        { NGX_HTTP_FORBIDDEN, "forbidden", "Forbidden" },
        { NGX_HTTP_NOT_FOUND, "not-found", "Not found" },
        { NGX_HTTP_NOT_ALLOWED, "method-not-allowed", "Method not allowed" },
        { NGX_HTTP_REQUEST_TIME_OUT, "request-timeout", "Request timeout" },
        { NGX_HTTP_PRECONDITION_FAILED, "precondition-failed",
          "Precondition failed" },
        { NGX_HTTP_REQUEST_ENTITY_TOO_LARGE, "payload-too-large",
          "Payload too large" },
        { NGX_HTTP_REQUEST_URI_TOO_LARGE, "uri-too-long", "URI too long" },
        { NGX_HTTP_UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type",
          "Unsupported media type" },
        { NGX_HTTP_REQUEST_HEADER_TOO_LARGE, "header-too-large",
          "Request header too large" },
        { NGX_HTTP_TOO_MANY_REQUESTS, "rate-limited", "Too many requests" },
        { NGX_HTTP_NOT_IMPLEMENTED, "not-implemented", "Not implemented" },
        { NGX_HTTP_BAD_GATEWAY, "bad-gateway", "Bad gateway" },
        { NGX_HTTP_SERVICE_UNAVAILABLE, "unavailable",
          "Service temporarily unavailable" },
        { NGX_HTTP_GATEWAY_TIME_OUT, "gateway-timeout", "Gateway timeout" },
        { NGX_HTTP_VERSION_NOT_SUPPORTED, "http-version-not-supported",
          "HTTP version not supported" },
    };

    status = r->err_status ? r->err_status : NGX_HTTP_NOT_FOUND;

    for (i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
        if (errors[i].status == status) {
            return ngx_http_north_problem(r, status, errors[i].type,
                                          errors[i].title, NULL, NULL);
        }
    }

    return ngx_http_north_problem(r, status,
                                  status >= 500 ? "server-error" : "error",
                                  status >= 500 ? "Internal server error"
                                                : "Request failed",
                                  NULL, NULL);
}
