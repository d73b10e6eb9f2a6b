/*
 * The helpers of a request that the platform gives every handler
 * (ngx_north.h): its context and the handler's state, the async
 * reference, headers, the URI's ids and query arguments; and the backoff
 * of the links.
 */

#include "ngx_north.h"
#include "north_check.h"


char *
ngx_http_north_strdup(ngx_pool_t *pool, ngx_str_t *s)
{
    u_char  *p;

    p = ngx_pnalloc(pool, s->len + 1);
    if (p == NULL) {
        return NULL;
    }

    ngx_memcpy(p, s->data, s->len);
    p[s->len] = '\0';

    return (char *) p;
}


ngx_table_elt_t *
ngx_http_north_header_out(ngx_http_request_t *r, const char *name,
    ngx_str_t *value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NULL;
    }

    h->hash = 1;
    h->key.data = (u_char *) name;
    h->key.len = ngx_strlen(name);
    h->value = *value;

    return h;
}


ngx_table_elt_t *
ngx_http_north_header_in(ngx_http_request_t *r, ngx_str_t *name)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return NULL;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == name->len
            && ngx_strncasecmp(h[i].key.data, name->data, name->len) == 0)
        {
            return &h[i];
        }
    }
}


void
ngx_http_north_path_id(ngx_http_request_t *r, ngx_str_t *id)
{
    u_char  *p, *last;

    last = r->uri.data + r->uri.len;

    for (p = last; p > r->uri.data && p[-1] != '/'; p--) {
        /* void */
    }

    id->data = p;
    id->len = last - p;
}


void
ngx_http_north_path_segment(ngx_http_request_t *r, ngx_uint_t from_end,
    ngx_str_t *segment)
{
    u_char  *p, *end;

    end = r->uri.data + r->uri.len;

    for ( ;; ) {
        for (p = end; p > r->uri.data && p[-1] != '/'; p--) {
            /* void */
        }

        if (from_end-- == 0 || p == r->uri.data) {
            break;
        }

        end = p - 1;
    }

    segment->data = p;
    segment->len = end - p;
}


ngx_int_t
ngx_http_north_path_uuid(ngx_http_request_t *r, ngx_uint_t from_end,
    ngx_str_t *id)
{
    ngx_http_north_path_segment(r, from_end, id);

    return north_check_uuid(id->data, id->len) ? NGX_OK : NGX_DECLINED;
}


ngx_int_t
ngx_http_north_arg(ngx_http_request_t *r, const char *name, ngx_str_t *value)
{
    u_char     *p;
    ngx_str_t   arg;

    if (ngx_http_arg(r, (u_char *) name, ngx_strlen(name), &arg) != NGX_OK) {
        return NGX_DECLINED;
    }

    value->data = ngx_pnalloc(r->pool, arg.len + 1);
    if (value->data == NULL) {
        return NGX_ERROR;
    }

    p = value->data;
    ngx_unescape_uri(&p, &arg.data, arg.len, NGX_UNESCAPE_URI);
    value->len = p - value->data;
    *p = '\0';

    for (p = value->data; p < value->data + value->len; p++) {
        if (*p == '+') {
            *p = ' ';
        }
    }

    return NGX_OK;
}


ngx_http_north_ctx_t *
ngx_http_north_ctx(ngx_http_request_t *r)
{
    ngx_http_north_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_north_module);

    if (ctx == NULL) {
        ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_north_ctx_t));
        if (ctx == NULL) {
            return NULL;
        }

        ngx_http_set_ctx(r, ctx, ngx_http_north_module);
    }

    return ctx;
}


void *
ngx_http_north_service(ngx_http_request_t *r, size_t size)
{
    ngx_http_north_ctx_t  *ctx;

    ctx = ngx_http_north_ctx(r);
    if (ctx == NULL) {
        return NULL;
    }

    if (ctx->service == NULL) {
        ctx->service = ngx_pcalloc(r->pool, size);
    }

    return ctx->service;
}


void
ngx_http_north_async_begin(ngx_http_request_t *r)
{
    r->main->count++;

    /* notice a client that goes away while we wait */
    if (r->read_event_handler == ngx_http_block_reading) {
        r->read_event_handler = ngx_http_test_reading;
    }
}


void
ngx_http_north_async_end(ngx_http_request_t *r, ngx_int_t rc)
{
    ngx_connection_t  *c;

    c = r->connection;

    ngx_http_finalize_request(r, rc);
    ngx_http_run_posted_requests(c);
}


void
ngx_http_north_reconnect(ngx_event_t *retry, ngx_msec_t *backoff,
    ngx_uint_t refused)
{
    if (ngx_exiting || ngx_terminate || ngx_quit) {
        return;
    }

    if (!refused) {
        retry->handler(retry);
        return;
    }

    *backoff = *backoff ? ngx_min(*backoff * 2, NGX_HTTP_NORTH_BACKOFF_MAX)
                        : NGX_HTTP_NORTH_BACKOFF_MIN;

    ngx_add_timer(retry, *backoff);
}


u_char *
ngx_http_north_rfc3339_now(u_char *buf)
{
    ngx_tm_t     gmt;
    ngx_time_t  *tp;

    tp = ngx_timeofday();
    ngx_gmtime(tp->sec, &gmt);

    (void) ngx_sprintf(buf, "%4d-%02d-%02dT%02d:%02d:%02d.%03MZ%Z",
                       gmt.ngx_tm_year, gmt.ngx_tm_mon, gmt.ngx_tm_mday,
                       gmt.ngx_tm_hour, gmt.ngx_tm_min, gmt.ngx_tm_sec,
                       tp->msec);

    return buf;
}


#if (NORTH_ASAN_PALLOC)

void *
ngx_http_north_asan_palloc(ngx_pool_t *pool, size_t size, ngx_uint_t zero)
{
    void                *p;
    ngx_pool_cleanup_t  *cln;

    cln = ngx_pool_cleanup_add(pool, 0);
    if (cln == NULL) {
        return NULL;
    }

    p = zero ? calloc(1, size ? size : 1) : malloc(size ? size : 1);
    if (p == NULL) {
        return NULL;
    }

    cln->handler = free;
    cln->data = p;

    return p;
}

#endif
