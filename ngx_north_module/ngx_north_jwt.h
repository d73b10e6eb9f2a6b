/*
 * North edge JWT: access-token validation in the preaccess phase, the
 * session check behind it, and token issue for the auth handlers.
 */

#ifndef _NGX_NORTH_JWT_H_INCLUDED_
#define _NGX_NORTH_JWT_H_INCLUDED_


#include "ngx_north.h"


typedef struct {
    ngx_str_t    user_id;      /* the token's sub */
    ngx_str_t    session_id;   /* the token's sid */
} ngx_http_north_identity_t;


/* The verified caller of r, or NULL (no token on an optional location). */
ngx_http_north_identity_t *ngx_http_north_jwt_identity(ngx_http_request_t *r);

/*
 * The caller's user id, NUL-terminated: most statements' $1. NULL without
 * a verified token: the handler answers 401.
 */
char *ngx_http_north_caller(ngx_http_request_t *r);

/* Signs an access token for user and session into r->pool. */
ngx_int_t ngx_http_north_jwt_issue(ngx_http_request_t *r, ngx_str_t *user_id,
    ngx_str_t *session_id, ngx_str_t *token);

/* Access and refresh token lifetimes, in seconds. */
time_t ngx_http_north_jwt_ttl(ngx_http_request_t *r);

/*
 * Redis is back after a failure at since: the sessions revoked from a
 * little before then are written to the session cache as revoked, since
 * their SET may have been lost and a cached "live" would outlive them.
 */
void ngx_http_north_jwt_redis_recovered(ngx_http_north_main_conf_t *mcf,
    time_t since);
time_t ngx_http_north_jwt_refresh_ttl(ngx_http_request_t *r);

/*
 * Records in Redis whether a session is live, so that every worker and node
 * sees a revocation on the next request. Fire and forget: PostgreSQL stays
 * the truth, and a missing entry is looked up there.
 */
void ngx_http_north_session_cache(ngx_http_request_t *r, ngx_str_t *user_id,
    ngx_str_t *session_id, ngx_uint_t live);


#endif /* _NGX_NORTH_JWT_H_INCLUDED_ */
