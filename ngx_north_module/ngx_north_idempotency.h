/*
 * North idempotent POSTs: a signed-in client's Idempotency-Key makes a
 * retried POST replay the first one's response instead of running again.
 */

#ifndef _NGX_NORTH_IDEMPOTENCY_H_INCLUDED_
#define _NGX_NORTH_IDEMPOTENCY_H_INCLUDED_


#include "ngx_north.h"


/*
 * Before handler runs for a POST: NGX_DECLINED when no key applies (no
 * key, or no signed-in user), else what a content handler returns; the
 * handler then runs, or a stored response is replayed, or a problem sent.
 */
ngx_int_t ngx_http_north_idempotency(ngx_http_request_t *r,
    ngx_http_north_handler_pt handler);

/* Body filter and log phase: the response is captured, then stored. */
ngx_int_t ngx_http_north_idempotency_body(ngx_http_request_t *r,
    ngx_chain_t *in);
void ngx_http_north_idempotency_log(ngx_http_request_t *r);


#endif /* _NGX_NORTH_IDEMPOTENCY_H_INCLUDED_ */
