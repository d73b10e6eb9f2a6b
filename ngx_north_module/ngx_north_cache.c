/*
 * North's cache of a user's reads in Redis (ngx_north_cache.h).
 */

#include "ngx_north_cache.h"
#include "ngx_north_redis.h"
#include "ngx_north_metrics.h"
#include "ngx_north_json.h"


/* invalidations kept per worker while Redis is away */
#define NGX_HTTP_NORTH_CACHE_PENDING_MAX  4096


typedef struct {
    ngx_http_north_cache_t         c;
    ngx_http_north_cache_done_pt   done;
} ngx_http_north_cache_read_t;

typedef struct {
    ngx_str_t                      user_id;
    ngx_http_north_cache_then_pt   then;
    void                          *data;
} ngx_http_north_cache_write_t;

typedef struct {
    ngx_uint_t                     status;
    u_char                        *text;
    size_t                         len;
} ngx_http_north_cache_answer_t;

typedef struct {
    ngx_http_north_pg_stmt_t      *stmt;
    const char                   **values;
} ngx_http_north_cache_query_t;

/* A replay of the invalidations Redis missed, until its last reply. */
typedef struct {
    ngx_pool_t                    *pool;
    ngx_uint_t                     waiting;
    ngx_uint_t                     share;
} ngx_http_north_cache_replay_t;

typedef struct {
    ngx_http_north_cache_replay_t *replay;
    ngx_str_t                      user_id;
} ngx_http_north_cache_redo_t;


static ngx_int_t ngx_http_north_cache_got(ngx_http_request_t *r, void *data,
    redisReply *reply, ngx_int_t status);
static ngx_int_t ngx_http_north_cache_bumped(ngx_http_request_t *r,
    void *data, redisReply *reply, ngx_int_t status);
static ngx_int_t ngx_http_north_cache_answer(ngx_http_request_t *r,
    void *data);
static ngx_int_t ngx_http_north_cache_json_cached(ngx_http_request_t *r,
    ngx_http_north_cache_t *c);
static ngx_int_t ngx_http_north_cache_json_done(ngx_http_request_t *r,
    void *data, PGresult *res, ngx_int_t status);
static ngx_int_t ngx_http_north_cache_command(ngx_str_t *user_id,
    ngx_uint_t erase);
static ngx_int_t ngx_http_north_cache_gen(ngx_pool_t *pool,
    ngx_str_t *user_id, ngx_uint_t erase,
    ngx_http_north_redis_handler_pt handler, void *data);
static int ngx_http_north_cache_gen_argv(ngx_pool_t *pool, ngx_str_t *user_id,
    ngx_uint_t erase, const char **argv, size_t *argvlen);
static void ngx_http_north_cache_redone(void *data, redisReply *reply,
    ngx_int_t status);
static void ngx_http_north_cache_replayed(
    ngx_http_north_cache_replay_t *replay);
static void ngx_http_north_cache_pend(ngx_str_t *user_id);


/*
 * This worker's invalidations that Redis did not take. While any worker
 * has one, the shared gauge NGX_HTTP_NORTH_M_CACHE_PENDING is above 0 and
 * every worker reads from PostgreSQL: an entry that should be stale is
 * never served by a worker whose link came back first.
 */
static ngx_pool_t   *ngx_http_north_cache_pending_pool;
static ngx_array_t  *ngx_http_north_cache_pending;     /* ngx_str_t */
static ngx_uint_t    ngx_http_north_cache_lost;
static ngx_uint_t    ngx_http_north_cache_share;       /* in the gauge */
static ngx_uint_t    ngx_http_north_cache_replaying;   /* in the gauge */


ngx_int_t
ngx_http_north_cache_get(ngx_http_request_t *r, ngx_str_t *user_id,
    ngx_str_t *name, ngx_http_north_cache_done_pt done, void *data)
{
    const char                   *argv[4];
    size_t                        argvlen[4];
    ngx_http_north_main_conf_t   *mcf;
    ngx_http_north_cache_read_t  *rd;

    mcf = ngx_http_get_module_main_conf(r, ngx_http_north_module);

    rd = ngx_pcalloc(r->pool, sizeof(ngx_http_north_cache_read_t));
    if (rd == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rd->done = done;
    rd->c.name = *name;
    rd->c.data = data;

    if (mcf->cache_ttl == 0 || mcf->rd == NULL) {
        return done(r, &rd->c);
    }

    /* an invalidation waits for Redis somewhere: PostgreSQL answers */
    if (ngx_http_north_metric_get(NGX_HTTP_NORTH_M_CACHE_PENDING) > 0) {
        ngx_http_north_metric_add(NGX_HTTP_NORTH_M_CACHE_MISSES, 1);
        return done(r, &rd->c);
    }

    if (ngx_http_north_user_key(r->pool, user_id, "cache", NULL, &rd->c.key)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* the generation and the entry, in one round trip */
    argv[0] = "HMGET";
    argv[1] = (char *) rd->c.key.data;
    argv[2] = "gen";
    argv[3] = (char *) name->data;

    argvlen[0] = 5;
    argvlen[1] = rd->c.key.len;
    argvlen[2] = 3;
    argvlen[3] = name->len;

    return ngx_http_north_redis_query(r, 4, argv, argvlen,
                                      ngx_http_north_cache_got, rd);
}


static ngx_int_t
ngx_http_north_cache_got(ngx_http_request_t *r, void *data,
    redisReply *reply, ngx_int_t status)
{
    ngx_http_north_cache_read_t *rd = data;

    u_char                  *p, *nl, *end;
    time_t                   expires;
    redisReply              *gen, *entry;
    ngx_http_north_cache_t  *c;

    c = &rd->c;

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY
        || reply->elements != 2)
    {
        /* Redis away, or an answer of another shape: PostgreSQL answers */
        ngx_http_north_metric_add(NGX_HTTP_NORTH_M_CACHE_MISSES, 1);
        return rd->done(r, c);
    }

    gen = reply->element[0];
    entry = reply->element[1];

    if (gen->type == REDIS_REPLY_STRING) {
        c->gen.len = gen->len;
        c->gen.data = ngx_pnalloc(r->pool, gen->len);
        if (c->gen.data == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
        ngx_memcpy(c->gen.data, gen->str, gen->len);

    } else if (gen->type == REDIS_REPLY_NIL) {
        ngx_str_set(&c->gen, "0");

    } else {
        ngx_http_north_metric_add(NGX_HTTP_NORTH_M_CACHE_MISSES, 1);
        return rd->done(r, c);
    }

    c->usable = 1;

    /* "GEN EXPIRES\n" VALUE */
    if (entry->type == REDIS_REPLY_STRING
        && entry->len > c->gen.len + 1
        && ngx_strncmp(entry->str, c->gen.data, c->gen.len) == 0
        && entry->str[c->gen.len] == ' ')
    {
        p = (u_char *) entry->str + c->gen.len + 1;
        end = (u_char *) entry->str + entry->len;
        nl = ngx_strlchr(p, end, '\n');

        expires = nl ? ngx_atotm(p, nl - p) : NGX_ERROR;

        if (expires != NGX_ERROR && expires > ngx_time()) {
            c->value.len = end - nl - 1;
            c->value.data = ngx_pnalloc(r->pool, c->value.len + 1);
            if (c->value.data == NULL) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }
            ngx_memcpy(c->value.data, nl + 1, c->value.len);
            c->value.data[c->value.len] = '\0';

            ngx_http_north_metric_add(NGX_HTTP_NORTH_M_CACHE_HITS, 1);
            return rd->done(r, c);
        }
    }

    ngx_http_north_metric_add(NGX_HTTP_NORTH_M_CACHE_MISSES, 1);
    return rd->done(r, c);
}


ngx_int_t
ngx_http_north_cache_json(ngx_http_request_t *r, ngx_str_t *user_id,
    ngx_str_t *name, ngx_http_north_pg_stmt_t *stmt, const char **values)
{
    ngx_http_north_cache_query_t  *q;

    q = ngx_palloc(r->pool, sizeof(ngx_http_north_cache_query_t));
    if (q == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* the array is the caller's, on its stack: copied */
    q->stmt = stmt;
    q->values = ngx_palloc(r->pool, stmt->nparams * sizeof(char *));
    if (q->values == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memcpy(q->values, values, stmt->nparams * sizeof(char *));

    return ngx_http_north_cache_get(r, user_id, name,
                                    ngx_http_north_cache_json_cached, q);
}


static ngx_int_t
ngx_http_north_cache_json_cached(ngx_http_request_t *r,
    ngx_http_north_cache_t *c)
{
    ngx_http_north_cache_query_t *q = c->data;

    if (c->value.data) {
        return ngx_http_north_json_send_text(r, NGX_HTTP_OK, c->value.data,
                                             c->value.len);
    }

    return ngx_http_north_pg_query(r, q->stmt, q->values,
                                   ngx_http_north_cache_json_done, c);
}


static ngx_int_t
ngx_http_north_cache_json_done(ngx_http_request_t *r, void *data,
    PGresult *res, ngx_int_t status)
{
    ngx_str_t  text;

    if (ngx_http_north_pg_copy(r, res, 0, &text) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_north_cache_set(r, data, text.data, text.len);

    return ngx_http_north_json_send_text(r, NGX_HTTP_OK, text.data, text.len);
}


void
ngx_http_north_cache_set(ngx_http_request_t *r, ngx_http_north_cache_t *c,
    u_char *value, size_t len)
{
    u_char                      *v, *p, ttl[NGX_TIME_T_LEN];
    const char                  *argv[4];
    size_t                       argvlen[4];
    ngx_http_north_main_conf_t  *mcf;

    if (!c->usable) {
        return;
    }

    mcf = ngx_http_get_module_main_conf(r, ngx_http_north_module);

    v = ngx_pnalloc(r->pool, c->gen.len + 1 + NGX_TIME_T_LEN + 1 + len);
    if (v == NULL) {
        return;
    }

    p = ngx_sprintf(v, "%V %T\n", &c->gen, ngx_time() + mcf->cache_ttl);
    p = ngx_cpymem(p, value, len);

    argv[0] = "HSET";
    argv[1] = (char *) c->key.data;
    argv[2] = (char *) c->name.data;
    argv[3] = (char *) v;

    argvlen[0] = 4;
    argvlen[1] = c->key.len;
    argvlen[2] = c->name.len;
    argvlen[3] = p - v;

    /* written with the answer; the replies are of no interest */
    if (ngx_http_north_redis_send(mcf->rd, r->pool, 4, argv, argvlen,
                                  NULL, NULL)
        != NGX_OK)
    {
        return;
    }

    argv[0] = "EXPIRE";
    argv[2] = (char *) ttl;

    argvlen[0] = 6;
    argvlen[2] = ngx_sprintf(ttl, "%T", mcf->cache_ttl) - ttl;

    (void) ngx_http_north_redis_send(mcf->rd, r->pool, 3, argv, argvlen,
                                     NULL, NULL);
}


ngx_int_t
ngx_http_north_cache_invalidate(ngx_http_request_t *r, ngx_str_t *user_id,
    ngx_http_north_cache_then_pt then, void *data)
{
    int                            argc;
    const char                    *argv[4];
    size_t                         argvlen[4];
    ngx_http_north_main_conf_t    *mcf;
    ngx_http_north_cache_write_t  *w;

    mcf = ngx_http_get_module_main_conf(r, ngx_http_north_module);

    if (mcf->cache_ttl == 0 || mcf->rd == NULL) {
        return then(r, data);
    }

    w = ngx_palloc(r->pool, sizeof(ngx_http_north_cache_write_t));
    argc = ngx_http_north_cache_gen_argv(r->pool, user_id, 0, argv, argvlen);

    if (w == NULL || argc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    w->user_id = *user_id;
    w->then = then;
    w->data = data;

    return ngx_http_north_redis_query(r, argc, argv, argvlen,
                                      ngx_http_north_cache_bumped, w);
}


static ngx_int_t
ngx_http_north_cache_bumped(ngx_http_request_t *r, void *data,
    redisReply *reply, ngx_int_t status)
{
    ngx_http_north_cache_write_t *w = data;

    if (reply == NULL || reply->type != REDIS_REPLY_INTEGER) {
        /* made when the link is back; the write stands meanwhile */
        ngx_http_north_cache_pend(&w->user_id);
    }

    return w->then(r, w->data);
}


ngx_int_t
ngx_http_north_cache_send(ngx_http_request_t *r, ngx_str_t *user_id,
    ngx_uint_t status, u_char *text, size_t len)
{
    ngx_http_north_cache_answer_t  *a;

    a = ngx_palloc(r->pool, sizeof(ngx_http_north_cache_answer_t));
    if (a == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    a->status = status;
    a->text = text;
    a->len = len;

    return ngx_http_north_cache_invalidate(r, user_id,
                                           ngx_http_north_cache_answer, a);
}


static ngx_int_t
ngx_http_north_cache_answer(ngx_http_request_t *r, void *data)
{
    ngx_http_north_cache_answer_t *a = data;

    return ngx_http_north_json_send_text(r, a->status, a->text, a->len);
}


void
ngx_http_north_cache_invalidate_user(ngx_str_t *user_id)
{
    if (ngx_http_north_cache_command(user_id, 0)
        == NGX_HTTP_NORTH_REDIS_UNAVAILABLE)
    {
        ngx_http_north_cache_pend(user_id);
    }
}


void
ngx_http_north_cache_erase(ngx_str_t *user_id)
{
    /* if it cannot be deleted now, its entries are made stale later */
    if (ngx_http_north_cache_command(user_id, 1)
        == NGX_HTTP_NORTH_REDIS_UNAVAILABLE)
    {
        ngx_http_north_cache_pend(user_id);
    }
}


void
ngx_http_north_cache_redis_recovered(ngx_http_north_main_conf_t *mcf,
    time_t since)
{
    ngx_str_t                      *ids;
    ngx_uint_t                      i, n;
    ngx_array_t                    *pending;
    ngx_http_north_cache_redo_t    *redo;
    ngx_http_north_cache_replay_t  *replay;

    if (ngx_http_north_cache_share == 0) {
        return;
    }

    if (ngx_http_north_cache_lost) {
        ngx_log_error(NGX_LOG_WARN, ngx_cycle->log, 0,
                      "north cache: %ui invalidations could not be kept "
                      "while Redis was away: entries may be stale until "
                      "they expire", ngx_http_north_cache_lost);
        ngx_http_north_cache_lost = 0;
    }

    pending = ngx_http_north_cache_pending;
    n = pending ? pending->nelts : 0;

    /* none could be kept: a pool for the replay all the same */
    if (ngx_http_north_cache_pending_pool == NULL) {
        ngx_http_north_cache_pending_pool = ngx_create_pool(512,
                                                            ngx_cycle->log);
        if (ngx_http_north_cache_pending_pool == NULL) {
            return;
        }
    }

    /* the replay takes the list, its pool and this worker's share */
    replay = ngx_pcalloc(ngx_http_north_cache_pending_pool,
                         sizeof(ngx_http_north_cache_replay_t));
    if (replay == NULL) {
        return;
    }

    replay->pool = ngx_http_north_cache_pending_pool;
    replay->share = ngx_http_north_cache_share;

    ngx_http_north_cache_pending = NULL;
    ngx_http_north_cache_pending_pool = NULL;
    ngx_http_north_cache_share = 0;
    ngx_http_north_cache_replaying += replay->share;

    ids = n ? pending->elts : NULL;

    for (i = 0; i < n; i++) {
        redo = ngx_palloc(replay->pool, sizeof(ngx_http_north_cache_redo_t));
        if (redo == NULL) {
            ngx_http_north_cache_pend(&ids[i]);
            continue;
        }

        redo->replay = replay;
        redo->user_id = ids[i];

        if (ngx_http_north_cache_gen(replay->pool, &ids[i], 0,
                                     ngx_http_north_cache_redone, redo)
            != NGX_OK)
        {
            ngx_http_north_cache_pend(&ids[i]);
            continue;
        }

        replay->waiting++;
    }

    ngx_log_error(NGX_LOG_NOTICE, ngx_cycle->log, 0,
                  "north cache: %ui invalidations made after Redis was away",
                  replay->waiting);

    if (replay->waiting == 0) {
        ngx_http_north_cache_replayed(replay);
    }
}


static void
ngx_http_north_cache_redone(void *data, redisReply *reply, ngx_int_t status)
{
    ngx_http_north_cache_redo_t *redo = data;

    ngx_http_north_cache_replay_t  *replay;

    replay = redo->replay;

    if (reply == NULL || reply->type != REDIS_REPLY_INTEGER) {
        ngx_http_north_cache_pend(&redo->user_id);
    }

    if (--replay->waiting == 0) {
        ngx_http_north_cache_replayed(replay);
    }
}


/* Every replayed invalidation is in Redis: the cache may be read again. */

static void
ngx_http_north_cache_replayed(ngx_http_north_cache_replay_t *replay)
{
    ngx_http_north_metric_add(NGX_HTTP_NORTH_M_CACHE_PENDING,
                              - (ngx_int_t) replay->share);
    ngx_http_north_cache_replaying -= replay->share;

    ngx_destroy_pool(replay->pool);
}


void
ngx_http_north_cache_exit_process(void)
{
    ngx_uint_t  left;

    left = ngx_http_north_cache_share + ngx_http_north_cache_replaying;

    if (left == 0) {
        return;
    }

    /* the other workers may read the cache again; what it missed expires */
    ngx_http_north_metric_add(NGX_HTTP_NORTH_M_CACHE_PENDING,
                              - (ngx_int_t) left);

    ngx_log_error(NGX_LOG_WARN, ngx_cycle->log, 0,
                  "north cache: %ui invalidations left with this worker: "
                  "entries may be stale until they expire", left);
}


/*
 * HINCRBY north:{USER}:cache gen 1 (or DEL it when erase), its reply
 * unread: NGX_OK once in the link, NGX_HTTP_NORTH_REDIS_UNAVAILABLE, or
 * NGX_DECLINED when there is no cache.
 */

static ngx_int_t
ngx_http_north_cache_command(ngx_str_t *user_id, ngx_uint_t erase)
{
    ngx_int_t                    rc;
    ngx_pool_t                  *pool;
    ngx_http_north_main_conf_t  *mcf;

    mcf = ngx_http_cycle_get_module_main_conf(ngx_cycle,
                                              ngx_http_north_module);

    if (mcf->cache_ttl == 0 || mcf->rd == NULL) {
        return NGX_DECLINED;
    }

    pool = ngx_create_pool(512, ngx_cycle->log);
    if (pool == NULL) {
        return NGX_ERROR;
    }

    rc = ngx_http_north_cache_gen(pool, user_id, erase, NULL, NULL);

    /* the command is in the link's buffer: it runs without its pool */
    ngx_destroy_pool(pool);

    return rc;
}


/* The command itself, its reply to handler while pool lives. */

static ngx_int_t
ngx_http_north_cache_gen(ngx_pool_t *pool, ngx_str_t *user_id,
    ngx_uint_t erase, ngx_http_north_redis_handler_pt handler, void *data)
{
    int                          argc;
    const char                  *argv[4];
    size_t                       argvlen[4];
    ngx_http_north_main_conf_t  *mcf;

    mcf = ngx_http_cycle_get_module_main_conf(ngx_cycle,
                                              ngx_http_north_module);

    argc = ngx_http_north_cache_gen_argv(pool, user_id, erase, argv, argvlen);
    if (argc == NGX_ERROR) {
        return NGX_ERROR;
    }

    return ngx_http_north_redis_send(mcf->rd, pool, argc, argv, argvlen,
                                     handler, data);
}


/*
 * What makes every entry of the user stale, into argv: HINCRBY
 * north:{USER}:cache gen 1, or DEL north:{USER}:cache when erase. Its
 * argc, or NGX_ERROR.
 */

static int
ngx_http_north_cache_gen_argv(ngx_pool_t *pool, ngx_str_t *user_id,
    ngx_uint_t erase, const char **argv, size_t *argvlen)
{
    ngx_str_t  key;

    if (ngx_http_north_user_key(pool, user_id, "cache", NULL, &key)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    argv[0] = erase ? "DEL" : "HINCRBY";
    argv[1] = (char *) key.data;
    argv[2] = "gen";
    argv[3] = "1";

    argvlen[0] = erase ? 3 : 7;
    argvlen[1] = key.len;
    argvlen[2] = 3;
    argvlen[3] = 1;

    return erase ? 2 : 4;
}


/* Kept for when the link is back: a copy of user_id, up to a bound. */

static void
ngx_http_north_cache_pend(ngx_str_t *user_id)
{
    ngx_str_t  *id;

    /* counted even when it cannot be kept: the cache is bypassed until
     * this worker's link is back */
    ngx_http_north_metric_add(NGX_HTTP_NORTH_M_CACHE_PENDING, 1);
    ngx_http_north_cache_share++;

    if (ngx_http_north_cache_pending == NULL) {
        ngx_http_north_cache_pending_pool = ngx_create_pool(4096,
                                                            ngx_cycle->log);
        if (ngx_http_north_cache_pending_pool == NULL) {
            ngx_http_north_cache_lost++;
            return;
        }

        ngx_http_north_cache_pending = ngx_array_create(
                                           ngx_http_north_cache_pending_pool,
                                           64, sizeof(ngx_str_t));
        if (ngx_http_north_cache_pending == NULL) {
            ngx_destroy_pool(ngx_http_north_cache_pending_pool);
            ngx_http_north_cache_pending_pool = NULL;
            ngx_http_north_cache_lost++;
            return;
        }
    }

    if (ngx_http_north_cache_pending->nelts
        >= NGX_HTTP_NORTH_CACHE_PENDING_MAX)
    {
        ngx_http_north_cache_lost++;
        return;
    }

    id = ngx_array_push(ngx_http_north_cache_pending);
    if (id == NULL) {
        ngx_http_north_cache_lost++;
        return;
    }

    id->len = user_id->len;
    id->data = ngx_pstrdup(ngx_http_north_cache_pending_pool, user_id);
    if (id->data == NULL) {
        ngx_http_north_cache_pending->nelts--;
        ngx_http_north_cache_lost++;
    }
}
