/*
 * North thread-pool offload. Tasks live on the heap, not in r->pool: a
 * request that goes away while its task runs only marks the task aborted.
 */

#include "ngx_north_task.h"
#include "ngx_north_json.h"


typedef struct {
    ngx_thread_task_t             task;
    ngx_http_request_t           *request;   /* NULL once aborted */
    ngx_pool_cleanup_t           *cln;
    ngx_http_north_task_work_pt   work;
    ngx_http_north_task_done_pt   done;
    ngx_uint_t                    posted;
    u_char                        data[1];
} ngx_http_north_task_t;


#define ngx_http_north_task_of(d)                                            \
    ((ngx_http_north_task_t *)                                               \
         ((u_char *) (d) - offsetof(ngx_http_north_task_t, data)))


static void ngx_http_north_task_abort(void *data);
static void ngx_http_north_task_thread(void *data, ngx_log_t *log);
static void ngx_http_north_task_event(ngx_event_t *ev);


void *
ngx_http_north_task_alloc(ngx_http_request_t *r, size_t size)
{
    ngx_pool_cleanup_t     *cln;
    ngx_http_north_task_t  *t;

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NULL;
    }

    t = ngx_calloc(sizeof(ngx_http_north_task_t) + size, r->connection->log);
    if (t == NULL) {
        return NULL;
    }

    t->request = r;
    t->cln = cln;

    cln->handler = ngx_http_north_task_abort;
    cln->data = t;

    return t->data;
}


ngx_int_t
ngx_http_north_task_post(ngx_http_request_t *r, void *data,
    ngx_http_north_task_work_pt work, ngx_http_north_task_done_pt done)
{
    ngx_http_north_task_t       *t;
    ngx_http_north_main_conf_t  *mcf;

    mcf = ngx_http_get_module_main_conf(r, ngx_http_north_module);
    t = ngx_http_north_task_of(data);

    t->work = work;
    t->done = done;

    t->task.ctx = t;
    t->task.handler = ngx_http_north_task_thread;
    t->task.event.handler = ngx_http_north_task_event;
    t->task.event.data = t;
    t->task.event.log = ngx_cycle->log;

    if (ngx_thread_task_post(mcf->thread_pool, &t->task) != NGX_OK) {
        /* the pool's queue is full: shed load rather than wait */
        return ngx_http_north_problem(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                      "overloaded", "Server busy",
                                      "too many requests are being processed",
                                      NULL);
    }

    t->posted = 1;
    ngx_http_north_async_begin(r);

    return NGX_DONE;
}


static void
ngx_http_north_task_abort(void *data)
{
    ngx_http_north_task_t  *t = data;

    if (t->posted) {
        /* the thread may be running it: the completion event frees it */
        t->request = NULL;
        return;
    }

    ngx_free(t);
}


static void
ngx_http_north_task_thread(void *data, ngx_log_t *log)
{
    ngx_http_north_task_t  *t = data;

    t->work(t->data);
}


static void
ngx_http_north_task_event(ngx_event_t *ev)
{
    ngx_int_t               rc;
    ngx_http_request_t     *r;
    ngx_http_north_task_t  *t;

    t = ev->data;
    r = t->request;

    if (r == NULL) {
        ngx_free(t);
        return;
    }

    t->cln->handler = NULL;

    rc = t->done(r, t->data);

    ngx_free(t);

    ngx_http_north_async_end(r, rc);
}
