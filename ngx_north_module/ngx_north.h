/*
 * North edge gateway: what the platform shares with every handler.
 * Main configuration, the route registry and request-scoped async helpers.
 */

#ifndef _NGX_NORTH_H_INCLUDED_
#define _NGX_NORTH_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


#if (NORTH_ASAN_PALLOC)

/*
 * The AddressSanitizer build (build.sh build --asan): nginx's pools carve
 * small allocations out of big blocks, where a sanitizer sees no overflow.
 * Here every allocation of North's code from a pool is a malloc() of its
 * own, freed with the pool, so that writing past one is reported.
 */
void *ngx_http_north_asan_palloc(ngx_pool_t *pool, size_t size,
    ngx_uint_t zero);

#define ngx_palloc(pool, size)   ngx_http_north_asan_palloc(pool, size, 0)
#define ngx_pnalloc(pool, size)  ngx_http_north_asan_palloc(pool, size, 0)
#define ngx_pcalloc(pool, size)  ngx_http_north_asan_palloc(pool, size, 1)

#endif


/* nginx names no 422: for requests understood but not acceptable */
#define NGX_HTTP_NORTH_UNPROCESSABLE  422


typedef struct ngx_http_north_pg_pool_s     ngx_http_north_pg_pool_t;
typedef struct ngx_http_north_redis_s       ngx_http_north_redis_t;
struct json_t;


/* A data key (north_data_key): AES-256, and its name in sealed rows. */
typedef struct {
    ngx_str_t                    key;           /* 32 bytes */
    u_char                       id[17];        /* SHA-256's first 8, hex */
} ngx_http_north_data_key_t;


typedef struct {
    ngx_str_t                    database;      /* libpq conninfo (DSN) */
    ngx_array_t                 *database_keys; /* char *, NULL-terminated */
    ngx_array_t                 *database_vals;
    ngx_str_t                    database_host;     /* resolved by us */
    ngx_int_t                    database_hostaddr; /* its val; -1: none */
    ngx_uint_t                   pg_pool_size;
    ngx_uint_t                   pg_queue_size;
    ngx_uint_t                   pg_pipeline;
    ngx_msec_t                   pg_connect_timeout;
    ngx_msec_t                   pg_query_timeout;
    ngx_uint_t                   pg_server_max;  /* the server's budget */
    ngx_uint_t                   pg_nodes;       /* nginx nodes sharing it */

    ngx_str_t                    redis;         /* redis:// URL */
    ngx_addr_t                  *redis_addr;
    ngx_str_t                    redis_user;    /* ACL user, or empty */
    ngx_str_t                    redis_password;
    ngx_str_t                    redis_host;    /* SNI and verification */
    ngx_str_t                    redis_ca;      /* north_redis_ca */
    ngx_flag_t                   redis_tls;     /* rediss:// */
    ngx_flag_t                   redis_sni;     /* the host is a name */
    ngx_ssl_t                   *redis_ssl;
    ngx_uint_t                   redis_db;
    ngx_msec_t                   redis_timeout;

    ngx_str_t                    thread_pool_name;
    ngx_thread_pool_t           *thread_pool;

    ngx_uint_t                   json_max_depth;

    ngx_flag_t                   pipeda;        /* PIPEDA_COMPLIANCE */
    ngx_str_t                    data_region;   /* DATA_REGION */
    ngx_str_t                    data_key;      /* 32 bytes: seals */
    ngx_array_t                 *data_keys;     /* the ring: [0] seals, each
                                                   opens */
    ngx_str_t                    data_key_ring; /* "{id,...}" for SQL */
    ngx_str_t                    node;          /* this host's name */
    ngx_str_t                    env_file;      /* north_env_file */
    ngx_flag_t                   env_read;      /* an env=NAME was read */
    ngx_str_t                    fetch_ca;      /* outbound TLS's trust */
    ngx_open_file_t             *event_log;     /* north_event_log, or NULL */
    void                        *sentry;        /* north_sentry, or NULL */

    ngx_str_t                    policy_version; /* consents are given to */
    ngx_str_t                    policy_url;
    ngx_str_t                    privacy_officer;
    ngx_str_t                    privacy_email;
    ngx_str_t                    privacy_phone;
    ngx_str_t                    privacy_address;

    ngx_msec_t                   jobs_interval; /* background job polling */
    ngx_msec_t                   jobs_sweep;    /* between minute sweeps */
    ngx_msec_t                   jobs_lease;    /* a running job's, renewed */

    time_t                       cache_ttl;     /* 0: no cached reads */

    ngx_http_north_pg_pool_t    *pg;            /* this worker's pool */
    ngx_http_north_redis_t      *rd;            /* this worker's link */
} ngx_http_north_main_conf_t;


typedef ngx_int_t (*ngx_http_north_handler_pt)(ngx_http_request_t *r);

/* One endpoint: the name a location gives to `north_api`. */
typedef struct {
    ngx_str_t                    name;
    ngx_uint_t                   methods;       /* NGX_HTTP_GET|... */
    ngx_http_north_handler_pt    handler;
} ngx_http_north_route_t;

/* Each service's table ends with a route whose handler is NULL. */
extern ngx_http_north_route_t   *ngx_http_north_services[];

extern ngx_module_t              ngx_http_north_module;


/* Continuation given a parsed body (a JSON object owned by r->pool). */
typedef ngx_int_t (*ngx_http_north_json_pt)(ngx_http_request_t *r,
    struct json_t *body);

typedef struct ngx_http_north_idem_s  ngx_http_north_idem_t;

/* What a request may wait on, for its log line (ngx_north_trace.h). */
typedef enum {
    NGX_HTTP_NORTH_WAIT_PG = 0,
    NGX_HTTP_NORTH_WAIT_REDIS,
    NGX_HTTP_NORTH_WAIT_UPSTREAM,             /* outbound calls */
    NGX_HTTP_NORTH_WAITS
} ngx_http_north_wait_e;

/* Per-request state of the platform. */
typedef struct {
    ngx_http_north_json_pt       json_cb;
    void                        *service;   /* the handler's own state */
    ngx_http_north_idem_t       *idem;      /* under an Idempotency-Key */
    uint64_t                     waited[NGX_HTTP_NORTH_WAITS];  /* us */
    uint64_t                     wait_since[NGX_HTTP_NORTH_WAITS];
    ngx_uint_t                   waits[NGX_HTTP_NORTH_WAITS];   /* open */
} ngx_http_north_ctx_t;

ngx_http_north_ctx_t *ngx_http_north_ctx(ngx_http_request_t *r);

/* The handler's own state of r, size bytes zeroed on first use; or NULL. */
void *ngx_http_north_service(ngx_http_request_t *r, size_t size);


/*
 * A request waiting on async work holds one reference per pending
 * operation: ngx_http_north_async_begin() takes it, and the operation's
 * completion hands its continuation's return code to
 * ngx_http_north_async_end(), which finalizes the request with it.
 * A continuation that starts another operation returns NGX_DONE.
 */
void ngx_http_north_async_begin(ngx_http_request_t *r);
void ngx_http_north_async_end(ngx_http_request_t *r, ngx_int_t rc);

ngx_str_t *ngx_http_north_request_id(ngx_http_request_t *r);

/*
 * The north_api name of the location that took r (empty elsewhere); the
 * first one's after an internal redirect to the error page.
 */
ngx_int_t ngx_http_north_request_route(ngx_http_request_t *r,
    ngx_str_t *route);

/*
 * A link (PostgreSQL, Redis) that failed is tried again by its retry
 * event, whose handler connects: at once after a link was lost, after a
 * backoff when a connect was refused (100 ms, doubled at each refusal,
 * 5 s at most; *backoff is 0 before the first). Nothing while the worker
 * exits.
 */
#define NGX_HTTP_NORTH_BACKOFF_MIN  100
#define NGX_HTTP_NORTH_BACKOFF_MAX  5000

void ngx_http_north_reconnect(ngx_event_t *retry, ngx_msec_t *backoff,
    ngx_uint_t refused);

/*
 * The one form of an instant on the wire, as north.rfc3339() renders it in
 * SQL: RFC 3339 in UTC, to the millisecond (2026-11-29T23:53:59.761Z).
 * Writes the cached time into buf, NGX_HTTP_NORTH_RFC3339_LEN bytes and a
 * NUL; returns buf.
 */
#define NGX_HTTP_NORTH_RFC3339_LEN  (sizeof("2026-11-29T23:53:59.761Z") - 1)

u_char *ngx_http_north_rfc3339_now(u_char *buf);

/* A NUL-terminated copy of s in pool, or NULL. */
char *ngx_http_north_strdup(ngx_pool_t *pool, ngx_str_t *s);

/* The first request header of that name (any case), or NULL. */
ngx_table_elt_t *ngx_http_north_header_in(ngx_http_request_t *r,
    ngx_str_t *name);

/*
 * Adds the response header name: value (both kept as given: a literal, or
 * r->pool's); NULL without memory.
 */
ngx_table_elt_t *ngx_http_north_header_out(ngx_http_request_t *r,
    const char *name, ngx_str_t *value);

/* The name of route number index (0: "other"), or NULL past the last. */
ngx_str_t *ngx_http_north_route_name(ngx_uint_t index);

/* The URI's last path segment (an id in /v1/things/{id}), maybe empty. */
void ngx_http_north_path_id(ngx_http_request_t *r, ngx_str_t *id);

/* The path segment from_end segments from the URI's end, maybe empty. */
void ngx_http_north_path_segment(ngx_http_request_t *r, ngx_uint_t from_end,
    ngx_str_t *segment);

/*
 * The UUID from_end segments from the URI's end (/goals/{id}/contributions
 * is 1): NGX_OK, or NGX_DECLINED when that segment is not one.
 */
ngx_int_t ngx_http_north_path_uuid(ngx_http_request_t *r, ngx_uint_t from_end,
    ngx_str_t *id);

/*
 * Query argument name, %xx escapes and "+" spaces undone, NUL-terminated in
 * r->pool: NGX_OK, NGX_DECLINED when absent, NGX_ERROR without memory.
 */
ngx_int_t ngx_http_north_arg(ngx_http_request_t *r, const char *name,
    ngx_str_t *value);

/*
 * A directive's "value" or "env=NAME" (read from the master's environment)
 * into value, NUL-terminated, and how to show it in messages (a literal
 * with credentials is never shown).
 */
char *ngx_http_north_conf_value(ngx_conf_t *cf, ngx_str_t *arg,
    ngx_str_t *value, ngx_str_t *shown);

/* A directive's slot for that: an ngx_str_t at cmd->offset, set once. */
char *ngx_http_north_conf_set_value_slot(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/*
 * A key given in base64, as a value or env=NAME, decoded into key; an
 * error naming the directive unless it decodes to min_len bytes or more
 * (exactly min_len when exact).
 */
/* A data key's name: the first 8 bytes of its SHA-256, 16 hex digits. */
void ngx_http_north_key_id(ngx_str_t *key, u_char *id);
char *ngx_http_north_conf_key(ngx_conf_t *cf, ngx_str_t *arg, ngx_str_t *key,
    size_t min_len, ngx_uint_t exact);


#endif /* _NGX_NORTH_H_INCLUDED_ */
