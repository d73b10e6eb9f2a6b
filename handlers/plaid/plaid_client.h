/*
 * The Plaid API client of the banking service: its configuration (an nginx
 * module of its own) and calls to Plaid over ngx_north_fetch, with Plaid's
 * error object read.
 */

#ifndef _NORTH_PLAID_CLIENT_H_INCLUDED_
#define _NORTH_PLAID_CLIENT_H_INCLUDED_


#include "ngx_north.h"
#include "ngx_north_fetch.h"
#include <jansson.h>


typedef struct {
    ngx_str_t                    client_id;
    ngx_str_t                    secret;
    ngx_str_t                    base_url;      /* https://sandbox.plaid.com */
    ngx_str_t                    env_url;       /* north_plaid_env's host */
    ngx_str_t                    webhook;       /* our webhook's URL */
    ngx_str_t                    client_name;
    ngx_msec_t                   timeout;
} north_plaid_conf_t;


typedef struct north_plaid_call_s  north_plaid_call_t;

typedef void (*north_plaid_pt)(north_plaid_call_t *call);

struct north_plaid_call_s {
    ngx_http_north_fetch_t      *fetch;
    ngx_str_t                    path;
    ngx_uint_t                   status;        /* HTTP; 0: no answer */
    json_t                      *json;          /* the answer, parsed */
    const char                  *error_type;    /* Plaid's, or NULL */
    const char                  *error_code;
    const char                  *error_message;
    north_plaid_pt               handler;
    void                        *data;
};


extern ngx_module_t  ngx_http_north_plaid_module;

north_plaid_conf_t *north_plaid_conf(ngx_cycle_t *cycle);

/*
 * POSTs body (stolen; client_id and secret are added) to Plaid's path; the
 * handler gets the call: call->json on a 2xx, else call->error_* (Plaid's
 * error, or "NO_ANSWER" when Plaid could not be reached). The call carries
 * traceparent (the request's or the job's trace). NGX_OK when the handler
 * will be called, else NGX_ERROR and no call.
 */
ngx_int_t north_plaid_call(ngx_pool_t *pool, ngx_log_t *log,
    ngx_str_t *traceparent, const char *path, json_t *body,
    north_plaid_pt handler, void *data);

/* As ngx_http_north_pg_query(): done's return code finalizes r. */
ngx_int_t north_plaid_request(ngx_http_request_t *r, const char *path,
    json_t *body, ngx_int_t (*done)(ngx_http_request_t *r,
    north_plaid_call_t *call));

/* 1 when the call failed with that error_code. */
ngx_uint_t north_plaid_error_is(north_plaid_call_t *call, const char *code);

/* The data.reseal job (plaid_reseal.c): tokens moved to the first data key. */
struct ngx_http_north_job_s;
void north_plaid_reseal(struct ngx_http_north_job_s *job);


#endif /* _NORTH_PLAID_CLIENT_H_INCLUDED_ */
