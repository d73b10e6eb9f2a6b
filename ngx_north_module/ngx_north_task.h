/*
 * North thread-pool offload: CPU-heavy work (password hashing) runs in an
 * nginx thread pool, off the event loop (docs/architecture.md).
 */

#ifndef _NGX_NORTH_TASK_H_INCLUDED_
#define _NGX_NORTH_TASK_H_INCLUDED_


#include "ngx_north.h"


/* Runs in a pool thread: no nginx pool, log or request may be touched. */
typedef void (*ngx_http_north_task_work_pt)(void *data);

/* Runs back on the event loop, only if the request is still there. */
typedef ngx_int_t (*ngx_http_north_task_done_pt)(ngx_http_request_t *r,
    void *data);


/*
 * Heap memory of size bytes (zeroed) for a task's input and output: the
 * caller copies into it what the work reads. NULL when out of memory.
 */
void *ngx_http_north_task_alloc(ngx_http_request_t *r, size_t size);

/*
 * Posts the task whose data ngx_http_north_task_alloc() returned. NGX_DONE,
 * or a status (503 when the pool's queue is full) to finalize with.
 */
ngx_int_t ngx_http_north_task_post(ngx_http_request_t *r, void *data,
    ngx_http_north_task_work_pt work, ngx_http_north_task_done_pt done);


#endif /* _NGX_NORTH_TASK_H_INCLUDED_ */
