/*
 * North PIPEDA audit log: what handlers tell it about a request.
 */

#ifndef _NGX_NORTH_AUDIT_H_INCLUDED_
#define _NGX_NORTH_AUDIT_H_INCLUDED_


#include "ngx_north.h"


/* Whose personal information r touched, when not the caller's own. */
void ngx_http_north_audit_subject(ngx_http_request_t *r, ngx_str_t *user_id);

/* north_audit_retention in seconds; 0 when records are kept for ever. */
time_t ngx_http_north_audit_retention(ngx_cycle_t *cycle);


#endif /* _NGX_NORTH_AUDIT_H_INCLUDED_ */
