/*
 * North's cache of a user's reads in Redis, in front of PostgreSQL.
 *
 * The user's cached
 * reads are the fields of one hash, north:{USER}:cache: "gen", the user's
 * generation, and one field per read, holding "GEN EXPIRES\n" and the bytes
 * cached. An entry is valid while the generation is still GEN and until
 * EXPIRES (north_cache_ttl after it was stored). A write to anything of the
 * user's bumps the generation (HINCRBY) once PostgreSQL has committed, and
 * answers after Redis has: every entry of that user is then stale at once,
 * on every worker, and no read that follows the answer can see one. An
 * entry stored late by a read that began before the write carries the old
 * generation, so it is never valid. The hash expires as a whole
 * north_cache_ttl after its last change, generation and entries together;
 * an erasure deletes it.
 *
 * Redis away: a read goes to PostgreSQL and caches nothing; an invalidation
 * that could not be made is made when this worker's link is back, and until
 * Redis has taken it every worker reads from PostgreSQL (a shared gauge,
 * north_cache_invalidations_pending), so a worker whose link came back
 * first never serves the entry it left stale.
 */

#ifndef _NGX_NORTH_CACHE_H_INCLUDED_
#define _NGX_NORTH_CACHE_H_INCLUDED_


#include "ngx_north.h"
#include "ngx_north_redis.h"
#include "ngx_north_pg.h"


typedef struct {
    ngx_str_t                    key;      /* north:{USER}:cache */
    ngx_str_t                    name;     /* the entry's field */
    ngx_str_t                    gen;      /* read with the entry: "0" none */
    ngx_str_t                    value;    /* a hit: the bytes; else NULL */
    ngx_uint_t                   usable;   /* Redis answered the read */
    void                        *data;     /* the caller's */
} ngx_http_north_cache_t;

/* Continuation of a cached read: a hit when c->value.data is not NULL. */
typedef ngx_int_t (*ngx_http_north_cache_done_pt)(ngx_http_request_t *r,
    ngx_http_north_cache_t *c);

/* Continuation of an invalidation: the write's answer. */
typedef ngx_int_t (*ngx_http_north_cache_then_pt)(ngx_http_request_t *r,
    void *data);


/*
 * Reads the user's entry name (in r->pool): done(r, c) follows, with
 * c->value on a hit and c->data = data; a miss, Redis down or caching off
 * (north_cache_ttl 0) are all a miss. As ngx_http_north_pg_query():
 * NGX_DONE, or what done returned.
 */
ngx_int_t ngx_http_north_cache_get(ngx_http_request_t *r, ngx_str_t *user_id,
    ngx_str_t *name, ngx_http_north_cache_done_pt done, void *data);

/*
 * The common read-through: the entry name, else stmt (one row, one column:
 * a JSON text PostgreSQL rendered) with values (pointers that live as long
 * as r), cached and sent with 200.
 */
ngx_int_t ngx_http_north_cache_json(ngx_http_request_t *r, ngx_str_t *user_id,
    ngx_str_t *name, ngx_http_north_pg_stmt_t *stmt, const char **values);

/* Stores value as the entry c was read for, under the generation read. */
void ngx_http_north_cache_set(ngx_http_request_t *r, ngx_http_north_cache_t *c,
    u_char *value, size_t len);

/*
 * After a write of the user's has committed: makes every entry of the user
 * stale, then then(r, data) answers (at once when Redis is away: the
 * invalidation is made when the link is back). NGX_DONE, or what then
 * returned.
 */
ngx_int_t ngx_http_north_cache_invalidate(ngx_http_request_t *r,
    ngx_str_t *user_id, ngx_http_north_cache_then_pt then, void *data);

/*
 * The common case of the above: the write's answer, JSON text in r->pool
 * (or none, len 0), sent with status once the user's entries are stale.
 */
ngx_int_t ngx_http_north_cache_send(ngx_http_request_t *r,
    ngx_str_t *user_id, ngx_uint_t status, u_char *text, size_t len);

/* The same for a write with no request to answer (a job). */
void ngx_http_north_cache_invalidate_user(ngx_str_t *user_id);

/* Every entry of the user deleted (an erasure), not waited for. */
void ngx_http_north_cache_erase(ngx_str_t *user_id);

/*
 * The link is back: the invalidations that failed meanwhile are made, and
 * the cache is read again once Redis has taken them all.
 */
void ngx_http_north_cache_redis_recovered(ngx_http_north_main_conf_t *mcf,
    time_t since);

/* A leaving worker gives up the invalidations it still holds. */
void ngx_http_north_cache_exit_process(void);


#endif /* _NGX_NORTH_CACHE_H_INCLUDED_ */
