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

/*
 * The spool's files of records not stored yet (any worker's): how many,
 * their bytes, and when the oldest record among them was made (0: none).
 */
ngx_int_t ngx_http_north_audit_spool_stats(ngx_cycle_t *cycle,
    ngx_uint_t *files, off_t *bytes, time_t *oldest);


#endif /* _NGX_NORTH_AUDIT_H_INCLUDED_ */
