/*
 * North rate limiting: GCRA (a token bucket of `burst` refilled at `rate`)
 * per key, in a shared-memory zone for one node (scope=local) or in Redis
 * for all nodes (scope=global, with the local zone as the fallback).
 */

#include "ngx_north.h"
#include "ngx_north_redis.h"
#include "ngx_north_json.h"
#include "ngx_north_jwt.h"
#include "ngx_north_metrics.h"
#include "ngx_north_trace.h"


typedef struct {
    u_char                       color;
    u_char                       len;
    u_short                      pad;
    ngx_queue_t                  queue;        /* LRU */
    uint64_t                     tat;          /* theoretical arrival, ms */
    u_char                       data[1];      /* the key */
} ngx_http_north_limit_node_t;


typedef struct {
    ngx_rbtree_t                 rbtree;
    ngx_rbtree_node_t            sentinel;
    ngx_queue_t                  queue;
} ngx_http_north_limit_shctx_t;


typedef struct {
    ngx_str_t                    name;
    ngx_http_north_limit_shctx_t  *sh;
    ngx_slab_pool_t             *shpool;
    ngx_msec_t                   interval;     /* ms between requests */
    ngx_uint_t                   burst;
    ngx_http_complex_value_t    *key;          /* NULL: user, else address */
    ngx_msec_t                   logged;       /* last Redis fallback note */
    ngx_shm_zone_t              *shm_zone;
} ngx_http_north_limit_zone_t;


typedef struct {
    ngx_http_north_limit_zone_t  *zone;
    ngx_uint_t                   global;
} ngx_http_north_limit_t;


typedef struct {
    ngx_array_t                 *limits;       /* ngx_http_north_limit_t */
} ngx_http_north_limit_loc_conf_t;


typedef struct {
    ngx_array_t                  zones;        /* zone pointers */
} ngx_http_north_limit_main_conf_t;


/* One verdict; the tightest of a request's zones goes in its headers. */
typedef struct {
    ngx_uint_t                   allowed;
    ngx_uint_t                   limit;
    ngx_uint_t                   remaining;
    ngx_msec_t                   reset;        /* ms until the bucket is full */
    ngx_msec_t                   retry;        /* ms until one is allowed */
} ngx_http_north_limit_verdict_t;


typedef struct {
    ngx_uint_t                   next;         /* limits checked so far */
    ngx_uint_t                   waiting;
    ngx_uint_t                   done;
    ngx_uint_t                   counted;      /* a verdict was kept */
    ngx_str_t                    key;
    ngx_http_north_limit_verdict_t  tightest;
} ngx_http_north_limit_ctx_t;


static ngx_int_t ngx_http_north_limit_postconfiguration(ngx_conf_t *cf);
static void *ngx_http_north_limit_create_main_conf(ngx_conf_t *cf);
static void *ngx_http_north_limit_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_north_limit_merge_loc_conf(ngx_conf_t *cf,
    void *parent, void *child);
static char *ngx_http_north_limit_zone(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_north_limit(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_north_limit_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);

static ngx_int_t ngx_http_north_limit_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_north_limit_run(ngx_http_request_t *r,
    ngx_http_north_limit_ctx_t *ctx);
static ngx_int_t ngx_http_north_limit_key(ngx_http_request_t *r,
    ngx_http_north_limit_zone_t *zone, ngx_str_t *key);
static void ngx_http_north_limit_local(ngx_http_north_limit_zone_t *zone,
    ngx_str_t *key, ngx_http_north_limit_verdict_t *v);
static void ngx_http_north_limit_expire(ngx_http_north_limit_zone_t *zone,
    uint64_t now);
static void ngx_http_north_limit_redis_done(void *data, redisReply *reply,
    ngx_int_t status);
static ngx_int_t ngx_http_north_limit_keep(ngx_http_request_t *r,
    ngx_http_north_limit_ctx_t *ctx, ngx_http_north_limit_verdict_t *v);
static ngx_int_t ngx_http_north_limit_headers(ngx_http_request_t *r,
    ngx_http_north_limit_verdict_t *v);
static void ngx_http_north_limit_rbtree_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel);


static ngx_command_t  ngx_http_north_limit_commands[] = {

    { ngx_string("north_limit_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_2MORE,
      ngx_http_north_limit_zone,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("north_limit"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE12,
      ngx_http_north_limit,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_north_limit_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_http_north_limit_postconfiguration, /* postconfiguration */

    ngx_http_north_limit_create_main_conf, /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_north_limit_create_loc_conf,  /* create location configuration */
    ngx_http_north_limit_merge_loc_conf    /* merge location configuration */
};


ngx_module_t  ngx_http_north_limit_module = {
    NGX_MODULE_V1,
    &ngx_http_north_limit_module_ctx,      /* module context */
    ngx_http_north_limit_commands,         /* module directives */
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


/*
 * GCRA in Redis, atomic: KEYS[1] the bucket; ARGV: interval and tolerance
 * in ms. Redis's own clock, so that every node agrees. Returns allowed,
 * remaining, reset and retry (ms).
 */
static const char  ngx_http_north_limit_script[] =
    "local t = redis.call('TIME')\n"
    "local now = t[1] * 1000 + math.floor(t[2] / 1000)\n"
    "local interval = tonumber(ARGV[1])\n"
    "local tau = tonumber(ARGV[2])\n"
    "local tat = tonumber(redis.call('GET', KEYS[1]) or now)\n"
    "if tat < now then tat = now end\n"
    "local new = tat + interval\n"
    "if new - now > tau + interval then\n"
    "  return {0, 0, tat - now, tat - now - tau}\n"
    "end\n"
    "redis.call('SET', KEYS[1], new, 'PX', new - now + 1000)\n"
    "return {1, math.floor((tau + interval - (new - now)) / interval),"
    " new - now, 0}\n";


static ngx_int_t
ngx_http_north_limit_postconfiguration(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_PREACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_north_limit_handler;

    return NGX_OK;
}


static void *
ngx_http_north_limit_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_north_limit_main_conf_t  *lmcf;

    lmcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_north_limit_main_conf_t));
    if (lmcf == NULL) {
        return NULL;
    }

    if (ngx_array_init(&lmcf->zones, cf->pool, 4,
                       sizeof(ngx_http_north_limit_zone_t *))
        != NGX_OK)
    {
        return NULL;
    }

    return lmcf;
}


static void *
ngx_http_north_limit_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_north_limit_loc_conf_t  *llcf;

    /*
     * set by ngx_pcalloc():
     *
     *     llcf->limits = NULL;
     */

    llcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_north_limit_loc_conf_t));

    return llcf;
}


static char *
ngx_http_north_limit_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_north_limit_loc_conf_t  *prev = parent;
    ngx_http_north_limit_loc_conf_t  *conf = child;

    /* like limit_req: a level with its own limits drops the inherited */
    if (conf->limits == NULL) {
        conf->limits = prev->limits;
    }

    return NGX_CONF_OK;
}


/* north_limit_zone name=N size=S rate=R(r/s|r/m) burst=B [key=VALUE] */

static char *
ngx_http_north_limit_zone(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_north_limit_main_conf_t  *lmcf = conf;

    u_char                            *p;
    size_t                             len;
    ssize_t                            size;
    ngx_str_t                         *value, s;
    ngx_int_t                          rate, scale, burst;
    ngx_uint_t                         i;
    ngx_http_north_limit_zone_t       *zone, **zp;
    ngx_http_compile_complex_value_t   ccv;

    value = cf->args->elts;

    zone = ngx_pcalloc(cf->pool, sizeof(ngx_http_north_limit_zone_t));
    if (zone == NULL) {
        return NGX_CONF_ERROR;
    }

    size = 0;
    rate = 0;
    scale = 1;
    burst = -1;

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "name=", 5) == 0) {
            zone->name.data = value[i].data + 5;
            zone->name.len = value[i].len - 5;
            continue;
        }

        if (ngx_strncmp(value[i].data, "size=", 5) == 0) {
            s.data = value[i].data + 5;
            s.len = value[i].len - 5;
            size = ngx_parse_size(&s);

            if (size < (ssize_t) (8 * ngx_pagesize)) {
                goto invalid;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "rate=", 5) == 0) {
            len = value[i].len;
            p = value[i].data + len - 3;

            if (ngx_strncmp(p, "r/s", 3) == 0) {
                scale = 1;
                len -= 3;

            } else if (ngx_strncmp(p, "r/m", 3) == 0) {
                scale = 60;
                len -= 3;
            }

            rate = ngx_atoi(value[i].data + 5, len - 5);
            if (rate <= 0) {
                goto invalid;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "burst=", 6) == 0) {
            burst = ngx_atoi(value[i].data + 6, value[i].len - 6);
            if (burst <= 0) {
                goto invalid;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "key=", 4) == 0) {
            zone->key = ngx_palloc(cf->pool, sizeof(ngx_http_complex_value_t));
            if (zone->key == NULL) {
                return NGX_CONF_ERROR;
            }

            ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));
            ccv.cf = cf;
            ccv.value = &s;
            ccv.complex_value = zone->key;
            s.data = value[i].data + 4;
            s.len = value[i].len - 4;

            if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
                return NGX_CONF_ERROR;
            }

            continue;
        }

        goto invalid;
    }

    if (zone->name.len == 0 || size == 0 || rate == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"north_limit_zone\" needs name=, size= and rate=");
        return NGX_CONF_ERROR;
    }

    zone->interval = ngx_max(1000 * scale / rate, 1);
    zone->burst = burst > 0 ? (ngx_uint_t) burst : 1;

    zone->shm_zone = ngx_shared_memory_add(cf, &zone->name, size,
                                           &ngx_http_north_limit_module);
    if (zone->shm_zone == NULL) {
        return NGX_CONF_ERROR;
    }

    if (zone->shm_zone->data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "duplicate zone \"%V\" in \"north_limit_zone\"",
                           &zone->name);
        return NGX_CONF_ERROR;
    }

    zone->shm_zone->init = ngx_http_north_limit_init_zone;
    zone->shm_zone->data = zone;

    zp = ngx_array_push(&lmcf->zones);
    if (zp == NULL) {
        return NGX_CONF_ERROR;
    }

    *zp = zone;

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid parameter \"%V\" in \"north_limit_zone\"",
                       &value[i]);
    return NGX_CONF_ERROR;
}


/* north_limit zone=N [scope=local|global] */

static char *
ngx_http_north_limit(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_north_limit_loc_conf_t  *llcf = conf;

    ngx_str_t                         *value, name;
    ngx_uint_t                         i, global;
    ngx_http_north_limit_t            *limit;
    ngx_http_north_limit_zone_t      **zp;
    ngx_http_north_limit_main_conf_t  *lmcf;

    value = cf->args->elts;

    ngx_str_null(&name);
    global = 0;

    for (i = 1; i < cf->args->nelts; i++) {
        if (ngx_strncmp(value[i].data, "zone=", 5) == 0) {
            name.data = value[i].data + 5;
            name.len = value[i].len - 5;

        } else if (ngx_strcmp(value[i].data, "scope=global") == 0) {
            global = 1;

        } else if (ngx_strcmp(value[i].data, "scope=local") != 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\" in \"north_limit\"",
                               &value[i]);
            return NGX_CONF_ERROR;
        }
    }

    lmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_north_limit_module);
    zp = lmcf->zones.elts;

    for (i = 0; i < lmcf->zones.nelts; i++) {
        if (zp[i]->name.len == name.len
            && ngx_strncmp(zp[i]->name.data, name.data, name.len) == 0)
        {
            break;
        }
    }

    if (i == lmcf->zones.nelts) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "unknown zone \"%V\" in \"north_limit\": declare "
                           "it with \"north_limit_zone\" first", &name);
        return NGX_CONF_ERROR;
    }

    if (llcf->limits == NULL) {
        llcf->limits = ngx_array_create(cf->pool, 2,
                                        sizeof(ngx_http_north_limit_t));
        if (llcf->limits == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    limit = ngx_array_push(llcf->limits);
    if (limit == NULL) {
        return NGX_CONF_ERROR;
    }

    limit->zone = zp[i];
    limit->global = global;

    return NGX_CONF_OK;
}


/*
 * limit_req's three ways: a reload with the zone unchanged keeps its
 * buckets; a zone already in memory is attached; else it is built.
 */

static ngx_int_t
ngx_http_north_limit_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_north_limit_zone_t  *ozone = data;

    size_t                        len;
    ngx_http_north_limit_zone_t  *zone;

    zone = shm_zone->data;

    if (ozone) {
        zone->sh = ozone->sh;
        zone->shpool = ozone->shpool;
        return NGX_OK;
    }

    zone->shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        zone->sh = zone->shpool->data;
        return NGX_OK;
    }

    zone->sh = ngx_slab_alloc(zone->shpool,
                              sizeof(ngx_http_north_limit_shctx_t));
    if (zone->sh == NULL) {
        return NGX_ERROR;
    }

    zone->shpool->data = zone->sh;

    ngx_rbtree_init(&zone->sh->rbtree, &zone->sh->sentinel,
                    ngx_http_north_limit_rbtree_insert);
    ngx_queue_init(&zone->sh->queue);

    len = sizeof(" in north_limit_zone \"\"") + shm_zone->shm.name.len;

    zone->shpool->log_ctx = ngx_slab_alloc(zone->shpool, len);
    if (zone->shpool->log_ctx == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(zone->shpool->log_ctx, " in north_limit_zone \"%V\"%Z",
                &shm_zone->shm.name);

    zone->shpool->log_nomem = 0;

    return NGX_OK;
}


static ngx_int_t
ngx_http_north_limit_handler(ngx_http_request_t *r)
{
    ngx_http_north_limit_ctx_t       *ctx;
    ngx_http_north_limit_loc_conf_t  *llcf;

    llcf = ngx_http_get_module_loc_conf(r, ngx_http_north_limit_module);

    if (llcf->limits == NULL || r != r->main) {
        return NGX_DECLINED;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_north_limit_module);

    if (ctx != NULL) {
        return ctx->done ? NGX_DECLINED : NGX_AGAIN;
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_north_limit_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_set_ctx(r, ctx, ngx_http_north_limit_module);

    return ngx_http_north_limit_run(r, ctx);
}


/*
 * Checks the location's limits in turn from ctx->next: local ones at once,
 * global ones through Redis (the request waits). NGX_DECLINED when all
 * allow, NGX_AGAIN while Redis answers, else the request is answered.
 */

static ngx_int_t
ngx_http_north_limit_run(ngx_http_request_t *r, ngx_http_north_limit_ctx_t *ctx)
{
    ngx_int_t                         rc;
    ngx_str_t                         bucket;
    ngx_http_north_limit_zone_t      *zone;
    const char                       *argv[6];
    size_t                            argvlen[6];
    u_char                           *p;
    ngx_http_north_limit_t           *limit;
    ngx_http_north_limit_verdict_t    v;
    ngx_http_north_main_conf_t       *mcf;
    ngx_http_north_limit_loc_conf_t  *llcf;
    u_char                            interval[NGX_INT_T_LEN];
    u_char                            tau[NGX_INT_T_LEN];

    llcf = ngx_http_get_module_loc_conf(r, ngx_http_north_limit_module);
    mcf = ngx_http_get_module_main_conf(r, ngx_http_north_module);
    limit = llcf->limits->elts;

    for ( /* void */ ; ctx->next < llcf->limits->nelts; ctx->next++) {

        if (ngx_http_north_limit_key(r, limit[ctx->next].zone, &ctx->key)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (ctx->key.len == 0) {
            continue;
        }

        zone = limit[ctx->next].zone;

        if (limit[ctx->next].global && mcf->rd != NULL) {

            bucket.data = ngx_pnalloc(r->pool, sizeof("north:limit:{}::/")
                                               + zone->name.len + ctx->key.len
                                               + 2 * NGX_INT_T_LEN);
            if (bucket.data == NULL) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            /*
             * The key's own hash tag, so that a Redis Cluster spreads the
             * buckets; the zone's rate in the name, so that a changed rate
             * starts afresh rather than reading another rate's bucket.
             */
            p = ngx_sprintf(bucket.data, "north:limit:{%V}:%V:%M/%ui",
                            &ctx->key, &zone->name, zone->interval,
                            zone->burst);
            bucket.len = p - bucket.data;

            argv[0] = "EVAL";
            argv[1] = ngx_http_north_limit_script;
            argv[2] = "1";
            argv[3] = (char *) bucket.data;
            argv[4] = (char *) interval;
            argv[5] = (char *) tau;

            argvlen[0] = 4;
            argvlen[1] = sizeof(ngx_http_north_limit_script) - 1;
            argvlen[2] = 1;
            argvlen[3] = bucket.len;
            argvlen[4] = ngx_sprintf(interval, "%M", zone->interval)
                         - interval;
            argvlen[5] = ngx_sprintf(tau, "%M",
                                     (zone->burst - 1) * zone->interval)
                         - tau;

            rc = ngx_http_north_redis_send(mcf->rd, r->pool, 6, argv, argvlen,
                                           ngx_http_north_limit_redis_done, r);
            if (rc == NGX_OK) {
                ctx->waiting = 1;
                ngx_http_north_wait_begin(r, NGX_HTTP_NORTH_WAIT_REDIS);

                if (r->read_event_handler == ngx_http_block_reading) {
                    r->read_event_handler = ngx_http_test_reading;
                }

                return NGX_AGAIN;
            }

            if (rc == NGX_ERROR) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            if (ngx_current_msec - zone->logged > 60000 || zone->logged == 0) {
                zone->logged = ngx_current_msec;
                ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                              "north limit: Redis unavailable, zone \"%V\" "
                              "is enforced per node until it returns",
                              &zone->name);
            }
        }

        ngx_http_north_limit_local(limit[ctx->next].zone, &ctx->key, &v);

        rc = ngx_http_north_limit_keep(r, ctx, &v);
        if (rc != NGX_DECLINED) {
            return rc;
        }
    }

    ctx->done = 1;

    if (ctx->counted
        && ngx_http_north_limit_headers(r, &ctx->tightest) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_DECLINED;
}


/* The zone's key for r: its own, or the caller's user id, or address. */

static ngx_int_t
ngx_http_north_limit_key(ngx_http_request_t *r,
    ngx_http_north_limit_zone_t *zone, ngx_str_t *key)
{
    u_char                     *p;
    ngx_str_t                   value;
    ngx_http_north_identity_t  *id;

    if (zone->key) {
        return ngx_http_complex_value(r, zone->key, key);
    }

    id = ngx_http_north_jwt_identity(r);

    if (id != NULL) {
        value = id->user_id;
        p = (u_char *) "u:";

    } else {
        value = r->connection->addr_text;
        p = (u_char *) "a:";
    }

    key->data = ngx_pnalloc(r->pool, value.len + 2);
    if (key->data == NULL) {
        return NGX_ERROR;
    }

    key->len = ngx_cpymem(ngx_cpymem(key->data, p, 2), value.data, value.len)
               - key->data;

    return NGX_OK;
}


static void
ngx_http_north_limit_local(ngx_http_north_limit_zone_t *zone, ngx_str_t *key,
    ngx_http_north_limit_verdict_t *v)
{
    size_t                        size;
    uint32_t                      hash;
    uint64_t                      now, tat, interval, tau, next;
    ngx_int_t                     rc;
    ngx_time_t                   *tp;
    ngx_rbtree_node_t            *node, *sentinel;
    ngx_http_north_limit_node_t  *lr;

    tp = ngx_timeofday();
    now = (uint64_t) tp->sec * 1000 + tp->msec;
    interval = zone->interval;
    tau = (zone->burst - 1) * interval;

    v->limit = zone->burst;

    hash = ngx_crc32_short(key->data, key->len);

    ngx_shmtx_lock(&zone->shpool->mutex);

    ngx_http_north_limit_expire(zone, now);

    node = zone->sh->rbtree.root;
    sentinel = zone->sh->rbtree.sentinel;
    lr = NULL;

    while (node != sentinel) {

        if (hash < node->key) {
            node = node->left;
            continue;
        }

        if (hash > node->key) {
            node = node->right;
            continue;
        }

        lr = (ngx_http_north_limit_node_t *) &node->color;

        rc = ngx_memn2cmp(key->data, lr->data, key->len, (size_t) lr->len);

        if (rc == 0) {
            break;
        }

        node = rc < 0 ? node->left : node->right;
        lr = NULL;
    }

    tat = (lr && lr->tat > now) ? lr->tat : now;
    next = tat + interval;

    if (next - now > tau + interval) {
        ngx_shmtx_unlock(&zone->shpool->mutex);

        v->allowed = 0;
        v->remaining = 0;
        v->reset = tat - now;
        v->retry = tat - now - tau;
        return;
    }

    if (lr == NULL) {
        size = offsetof(ngx_rbtree_node_t, color)
               + offsetof(ngx_http_north_limit_node_t, data)
               + ngx_min(key->len, 255);

        node = ngx_slab_alloc_locked(zone->shpool, size);

        if (node == NULL) {
            /* full: forget the least recent keys and try once more */
            ngx_http_north_limit_expire(zone, (uint64_t) -1);
            node = ngx_slab_alloc_locked(zone->shpool, size);
        }

        if (node == NULL) {
            ngx_shmtx_unlock(&zone->shpool->mutex);

            /* no memory even then: let it through rather than fail */
            v->allowed = 1;
            v->remaining = zone->burst - 1;
            v->reset = interval;
            v->retry = 0;
            return;
        }

        node->key = hash;
        lr = (ngx_http_north_limit_node_t *) &node->color;
        lr->len = (u_char) ngx_min(key->len, 255);
        ngx_memcpy(lr->data, key->data, lr->len);

        ngx_rbtree_insert(&zone->sh->rbtree, node);

    } else {
        ngx_queue_remove(&lr->queue);
    }

    lr->tat = next;
    ngx_queue_insert_head(&zone->sh->queue, &lr->queue);

    ngx_shmtx_unlock(&zone->shpool->mutex);

    v->allowed = 1;
    v->remaining = (tau + interval - (next - now)) / interval;
    v->reset = next - now;
    v->retry = 0;
}


/*
 * Drops buckets from the LRU end: those already full again (harmless to
 * forget), or, when now is the largest time, up to 16 to make room.
 */

static void
ngx_http_north_limit_expire(ngx_http_north_limit_zone_t *zone, uint64_t now)
{
    ngx_uint_t                    n;
    ngx_queue_t                  *q;
    ngx_rbtree_node_t            *node;
    ngx_http_north_limit_node_t  *lr;

    for (n = 0; n < 16; n++) {

        if (ngx_queue_empty(&zone->sh->queue)) {
            return;
        }

        q = ngx_queue_last(&zone->sh->queue);
        lr = ngx_queue_data(q, ngx_http_north_limit_node_t, queue);

        if (lr->tat > now) {
            return;
        }

        ngx_queue_remove(q);

        node = (ngx_rbtree_node_t *)
                   ((u_char *) lr - offsetof(ngx_rbtree_node_t, color));

        ngx_rbtree_delete(&zone->sh->rbtree, node);
        ngx_slab_free_locked(zone->shpool, node);
    }
}


static void
ngx_http_north_limit_redis_done(void *data, redisReply *reply,
    ngx_int_t status)
{
    ngx_http_request_t  *r = data;

    ngx_int_t                         rc;
    ngx_connection_t                 *c;
    ngx_http_north_limit_t           *limit;
    ngx_http_north_limit_ctx_t       *ctx;
    ngx_http_north_limit_verdict_t    v;
    ngx_http_north_limit_loc_conf_t  *llcf;

    ngx_http_north_wait_end(r, NGX_HTTP_NORTH_WAIT_REDIS);

    c = r->connection;
    ctx = ngx_http_get_module_ctx(r, ngx_http_north_limit_module);
    llcf = ngx_http_get_module_loc_conf(r, ngx_http_north_limit_module);
    limit = llcf->limits->elts;

    if (reply != NULL && reply->type == REDIS_REPLY_ARRAY
        && reply->elements == 4)
    {
        v.limit = limit[ctx->next].zone->burst;
        v.allowed = reply->element[0]->integer == 1;
        v.remaining = reply->element[1]->integer;
        v.reset = reply->element[2]->integer;
        v.retry = reply->element[3]->integer;

    } else {
        /* never fail open in silence: this node's zone decides */
        ngx_log_error(NGX_LOG_WARN, c->log, 0,
                      "north limit: Redis did not decide for zone \"%V\" "
                      "(%s), enforced per node",
                      &limit[ctx->next].zone->name,
                      reply ? (reply->type == REDIS_REPLY_ERROR ? reply->str
                                                                : "bad reply")
                            : ngx_http_north_redis_status_text(status));

        ngx_http_north_limit_local(limit[ctx->next].zone, &ctx->key, &v);
    }

    /* after a refusal the request is answered and may be gone */
    rc = ngx_http_north_limit_keep(r, ctx, &v);

    if (rc == NGX_DECLINED) {
        ctx->next++;
        rc = ngx_http_north_limit_run(r, ctx);
    }

    if (rc == NGX_AGAIN) {
        return;
    }

    if (rc == NGX_DECLINED) {
        if (r->read_event_handler == ngx_http_test_reading) {
            r->read_event_handler = ngx_http_block_reading;
        }

        ngx_http_core_run_phases(r);

    } else if (rc != NGX_DONE) {
        ngx_http_finalize_request(r, rc);
    }

    ngx_http_run_posted_requests(c);
}


/*
 * Keeps v if it is the tightest yet; refuses the request when v does.
 * NGX_DECLINED to go on, else what the phase handler returns.
 */

static ngx_int_t
ngx_http_north_limit_keep(ngx_http_request_t *r,
    ngx_http_north_limit_ctx_t *ctx, ngx_http_north_limit_verdict_t *v)
{
    ngx_int_t         rc;
    ngx_table_elt_t  *h;
    u_char           *p;

    if (!ctx->counted || v->remaining < ctx->tightest.remaining
        || !v->allowed)
    {
        ctx->tightest = *v;
        ctx->counted = 1;
    }

    if (v->allowed) {
        return NGX_DECLINED;
    }

    ctx->done = 1;
    ngx_http_north_metric_add(NGX_HTTP_NORTH_M_LIMIT_REJECTED, 1);

    if (ngx_http_north_limit_headers(r, v) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h = ngx_list_push(&r->headers_out.headers);
    p = ngx_pnalloc(r->pool, NGX_INT_T_LEN);

    if (h == NULL || p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Retry-After");
    h->value.data = p;
    h->value.len = ngx_sprintf(p, "%M", (v->retry + 999) / 1000) - p;

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "north limit: \"%V\" over its limit", &ctx->key);

    rc = ngx_http_north_problem(r, NGX_HTTP_TOO_MANY_REQUESTS, "rate-limited",
                                "Too many requests",
                                "the rate limit is reached: see Retry-After",
                                NULL);

    ngx_http_finalize_request(r, rc);

    return NGX_DONE;
}


/* RateLimit-Limit, -Remaining and -Reset (seconds), IETF draft names. */

static ngx_int_t
ngx_http_north_limit_headers(ngx_http_request_t *r,
    ngx_http_north_limit_verdict_t *v)
{
    ngx_uint_t        i;
    ngx_table_elt_t  *h;
    u_char           *p;

    static ngx_str_t  names[] = {
        ngx_string("RateLimit-Limit"),
        ngx_string("RateLimit-Remaining"),
        ngx_string("RateLimit-Reset")
    };

    for (i = 0; i < 3; i++) {
        h = ngx_list_push(&r->headers_out.headers);
        p = ngx_pnalloc(r->pool, NGX_INT_T_LEN);

        if (h == NULL || p == NULL) {
            return NGX_ERROR;
        }

        h->hash = 1;
        h->key = names[i];
        h->value.data = p;
        h->value.len = ngx_sprintf(p, "%ui",
                                   i == 0 ? v->limit
                                   : i == 1 ? v->remaining
                                   : (ngx_uint_t) (v->reset + 999) / 1000)
                       - p;
    }

    return NGX_OK;
}


static void
ngx_http_north_limit_rbtree_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel)
{
    ngx_rbtree_node_t            **p;
    ngx_http_north_limit_node_t   *lrn, *lrnt;

    for ( ;; ) {

        if (node->key < temp->key) {
            p = &temp->left;

        } else if (node->key > temp->key) {
            p = &temp->right;

        } else {
            lrn = (ngx_http_north_limit_node_t *) &node->color;
            lrnt = (ngx_http_north_limit_node_t *) &temp->color;

            p = (ngx_memn2cmp(lrn->data, lrnt->data, lrn->len, lrnt->len) < 0)
                ? &temp->left : &temp->right;
        }

        if (*p == sentinel) {
            break;
        }

        temp = *p;
    }

    *p = node;
    node->parent = temp;
    node->left = sentinel;
    node->right = sentinel;
    ngx_rbt_red(node);
}
