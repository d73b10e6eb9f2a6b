/*
 * North async Redis: one pipelined connection per worker, owned by nginx;
 * hiredis only formats commands and parses replies (docs/architecture.md).
 */

#ifndef _NGX_NORTH_REDIS_H_INCLUDED_
#define _NGX_NORTH_REDIS_H_INCLUDED_


#include "ngx_north.h"
#include <hiredis/hiredis.h>


/* How a command ended when it has no reply. */
#define NGX_HTTP_NORTH_REDIS_UNAVAILABLE  1
#define NGX_HTTP_NORTH_REDIS_TIMEDOUT     2
#define NGX_HTTP_NORTH_REDIS_FAILED       3


typedef struct ngx_http_north_redis_cmd_s  ngx_http_north_redis_cmd_t;

/* Request-scoped continuation; the reply is freed after it returns. */
typedef ngx_int_t (*ngx_http_north_redis_done_pt)(ngx_http_request_t *r,
    void *data, redisReply *reply, ngx_int_t status);

/* Pool-scoped callback, for background jobs with no request. */
typedef void (*ngx_http_north_redis_handler_pt)(void *data,
    redisReply *reply, ngx_int_t status);


/*
 * Called when the link is usable again after it failed, with the time of
 * the failure: what could not be written meanwhile is written then.
 */
typedef void (*ngx_http_north_redis_recovered_pt)(
    ngx_http_north_main_conf_t *mcf, time_t since);


ngx_int_t ngx_http_north_redis_init_process(ngx_cycle_t *cycle,
    ngx_http_north_main_conf_t *mcf);
void ngx_http_north_redis_on_recovery(ngx_http_north_redis_t *rd,
    ngx_http_north_redis_recovered_pt handler);
void ngx_http_north_redis_exit_process(ngx_http_north_main_conf_t *mcf);

/*
 * Sends one command (binary-safe arguments); the callback is dropped when
 * pool is destroyed first. NGX_OK when the handler will be called; else
 * NGX_ERROR or NGX_HTTP_NORTH_REDIS_UNAVAILABLE and no call.
 */
ngx_int_t ngx_http_north_redis_send(ngx_http_north_redis_t *rd,
    ngx_pool_t *pool, int argc, const char **argv, const size_t *argvlen,
    ngx_http_north_redis_handler_pt handler, void *data);

/* As ngx_http_north_pg_query(): NGX_DONE, or what done returned. */
ngx_int_t ngx_http_north_redis_query(ngx_http_request_t *r, int argc,
    const char **argv, const size_t *argvlen,
    ngx_http_north_redis_done_pt done, void *data);

const char *ngx_http_north_redis_status_text(ngx_int_t status);

/*
 * The name of a key of a user's, and the one rule for them all:
 * north:{USER}:KIND, or north:{USER}:KIND:NAME when name is not NULL. The
 * tag keeps a user's keys on one Redis Cluster shard. Sized from byte
 * lengths, NUL-terminated, in pool.
 */
ngx_int_t ngx_http_north_user_key(ngx_pool_t *pool, ngx_str_t *user_id,
    const char *kind, ngx_str_t *name, ngx_str_t *key);

/*
 * An erasure: deletes the user's keys of each kind the services list
 * (services.c), not waited for. Keys Redis could not delete then expire
 * on their own (each kind has a short life).
 */
extern const char  *ngx_http_north_user_key_kinds[];

void ngx_http_north_user_keys_erase(ngx_str_t *user_id);


#endif /* _NGX_NORTH_REDIS_H_INCLUDED_ */
