/*
 * The Plaid API client: north_plaid_* directives and calls. Credentials go
 * in the body, never in a log line; Plaid's error object is read into the
 * call so that handlers and jobs decide on error_code.
 */

#include "ngx_north.h"
#include "ngx_north_fetch.h"
#include "ngx_north_trace.h"
#include "plaid_client.h"


typedef struct {
    ngx_http_request_t          *request;
    ngx_int_t                  (*done)(ngx_http_request_t *r,
                                       north_plaid_call_t *call);
} north_plaid_request_t;


static void *north_plaid_create_main_conf(ngx_conf_t *cf);
static char *north_plaid_init_main_conf(ngx_conf_t *cf, void *conf);
static char *north_plaid_env(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static void north_plaid_answer(ngx_http_north_fetch_t *f, ngx_int_t rc);
static void north_plaid_json_free(void *data);
static void north_plaid_request_done(north_plaid_call_t *call);


static ngx_command_t  north_plaid_commands[] = {

    { ngx_string("north_plaid_client_id"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_north_conf_set_value_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(north_plaid_conf_t, client_id),
      NULL },

    { ngx_string("north_plaid_secret"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_north_conf_set_value_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(north_plaid_conf_t, secret),
      NULL },

    { ngx_string("north_plaid_env"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      north_plaid_env,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("north_plaid_base_url"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(north_plaid_conf_t, base_url),
      NULL },

    { ngx_string("north_plaid_webhook"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(north_plaid_conf_t, webhook),
      NULL },

    { ngx_string("north_plaid_client_name"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(north_plaid_conf_t, client_name),
      NULL },

    { ngx_string("north_plaid_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(north_plaid_conf_t, timeout),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  north_plaid_module_ctx = {
    NULL,                                  /* preconfiguration */
    NULL,                                  /* postconfiguration */

    north_plaid_create_main_conf,          /* create main configuration */
    north_plaid_init_main_conf,            /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    NULL,                                  /* create location configuration */
    NULL                                   /* merge location configuration */
};


ngx_module_t  ngx_http_north_plaid_module = {
    NGX_MODULE_V1,
    &north_plaid_module_ctx,               /* module context */
    north_plaid_commands,                  /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static void *
north_plaid_create_main_conf(ngx_conf_t *cf)
{
    north_plaid_conf_t  *pcf;

    pcf = ngx_pcalloc(cf->pool, sizeof(north_plaid_conf_t));
    if (pcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     pcf->client_id = { 0, NULL };
     *     pcf->secret = { 0, NULL };
     *     pcf->base_url = { 0, NULL };
     *     pcf->env_url = { 0, NULL };
     *     pcf->webhook = { 0, NULL };
     *     pcf->client_name = { 0, NULL };
     */

    pcf->timeout = NGX_CONF_UNSET_MSEC;

    return pcf;
}


static char *
north_plaid_init_main_conf(ngx_conf_t *cf, void *conf)
{
    north_plaid_conf_t  *pcf = conf;

    ngx_conf_init_msec_value(pcf->timeout, 30000);

    if (pcf->client_name.data == NULL) {
        ngx_str_set(&pcf->client_name, "North");
    }

    if (pcf->base_url.data == NULL) {
        pcf->base_url = pcf->env_url;
    }

    if (pcf->base_url.data == NULL) {
        ngx_str_set(&pcf->base_url, "https://sandbox.plaid.com");
    }

    /* no trailing slash: paths start with one */
    while (pcf->base_url.len && pcf->base_url.data[pcf->base_url.len - 1] == '/')
    {
        pcf->base_url.len--;
    }

    if (pcf->client_name.len > 30) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"north_plaid_client_name\" \"%V\" is longer than "
                           "Plaid's 30 characters", &pcf->client_name);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* north_plaid_env sandbox | development | production | env=NAME */

static char *
north_plaid_env(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    north_plaid_conf_t  *pcf = conf;

    ngx_str_t   *value, env, shown;
    ngx_uint_t   i;

    if (pcf->env_url.data) {
        return "is duplicate";
    }

    static struct {
        ngx_str_t   name;
        ngx_str_t   url;
    } hosts[] = {
        { ngx_string("sandbox"), ngx_string("https://sandbox.plaid.com") },
        { ngx_string("development"),
          ngx_string("https://development.plaid.com") },
        { ngx_string("production"), ngx_string("https://production.plaid.com") },
    };

    value = cf->args->elts;

    if (ngx_http_north_conf_value(cf, &value[1], &env, &shown)
        != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    for (i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
        if (env.len == hosts[i].name.len
            && ngx_strncmp(env.data, hosts[i].name.data, env.len) == 0)
        {
            /* north_plaid_base_url, wherever it stands, wins over it */
            pcf->env_url = hosts[i].url;
            return NGX_CONF_OK;
        }
    }

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid value \"%V\" in \"north_plaid_env\": "
                       "sandbox, development or production", &shown);

    return NGX_CONF_ERROR;
}


north_plaid_conf_t *
north_plaid_conf(ngx_cycle_t *cycle)
{
    return ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_north_plaid_module);
}


ngx_int_t
north_plaid_call(ngx_pool_t *pool, ngx_log_t *log, ngx_str_t *traceparent,
    const char *path, json_t *body, north_plaid_pt handler, void *data)
{
    char                *text;
    const char          *headers[2];
    u_char              *url;
    ngx_int_t            rc;
    north_plaid_conf_t  *pcf;
    north_plaid_call_t  *call;

    pcf = north_plaid_conf((ngx_cycle_t *) ngx_cycle);
    call = ngx_pcalloc(pool, sizeof(north_plaid_call_t));

    if (body == NULL || pcf == NULL || call == NULL
        || pcf->client_id.len == 0)
    {
        json_decref(body);
        return NGX_ERROR;
    }

    json_object_set_new(body, "client_id",
                        json_stringn((char *) pcf->client_id.data,
                                     pcf->client_id.len));
    json_object_set_new(body, "secret",
                        json_stringn((char *) pcf->secret.data,
                                     pcf->secret.len));

    text = json_dumps(body, JSON_COMPACT);
    json_decref(body);

    url = ngx_pnalloc(pool, pcf->base_url.len + ngx_strlen(path) + 1);

    if (text == NULL || url == NULL) {
        free(text);
        return NGX_ERROR;
    }

    ngx_sprintf(url, "%V%s%Z", &pcf->base_url, path);

    headers[0] = ngx_http_north_trace_header(pool, traceparent);
    headers[1] = NULL;

    call->path.data = (u_char *) path;
    call->path.len = ngx_strlen(path);
    call->handler = handler;
    call->data = data;

    rc = ngx_http_north_fetch_post(pool, log, (char *) url, headers, text,
                                   ngx_strlen(text), pcf->timeout,
                                   north_plaid_answer, call);

    /* libcurl took a copy; the secret leaves memory with the text */
    ngx_explicit_memzero(text, ngx_strlen(text));
    free(text);

    return rc;
}


static void
north_plaid_answer(ngx_http_north_fetch_t *f, ngx_int_t rc)
{
    north_plaid_call_t  *call = f->data;

    json_t              *v;
    ngx_pool_cleanup_t  *cln;

    call->fetch = f;

    if (rc != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                      "north plaid: %V: no answer: %s", &call->path,
                      f->error);
        call->error_type = "NO_ANSWER";
        call->error_code = "NO_ANSWER";
        call->error_message = f->error;
        call->handler(call);
        return;
    }

    call->status = f->status;
    call->json = json_loadb((char *) f->body.data, f->body.len, 0, NULL);

    cln = call->json ? ngx_pool_cleanup_add(f->pool, 0) : NULL;
    if (cln) {
        cln->handler = north_plaid_json_free;
        cln->data = call->json;

    } else if (call->json) {
        json_decref(call->json);
        call->json = NULL;
    }

    if (call->status / 100 == 2 && json_is_object(call->json)) {
        call->handler(call);
        return;
    }

    /* Plaid's error object; anything else is an API_ERROR of our own */
    v = json_object_get(call->json, "error_code");
    call->error_code = json_is_string(v) ? json_string_value(v)
                                         : "UNEXPECTED_ANSWER";
    v = json_object_get(call->json, "error_type");
    call->error_type = json_is_string(v) ? json_string_value(v) : "API_ERROR";
    v = json_object_get(call->json, "error_message");
    call->error_message = json_is_string(v) ? json_string_value(v) : "";

    ngx_log_error(NGX_LOG_WARN, ngx_cycle->log, 0,
                  "north plaid: %V: %ui %s %s: %s", &call->path, call->status,
                  call->error_type, call->error_code, call->error_message);

    call->handler(call);
}


static void
north_plaid_json_free(void *data)
{
    json_decref(data);
}


ngx_uint_t
north_plaid_error_is(north_plaid_call_t *call, const char *code)
{
    return call->error_code && ngx_strcmp(call->error_code, code) == 0;
}


ngx_int_t
north_plaid_request(ngx_http_request_t *r, const char *path, json_t *body,
    ngx_int_t (*done)(ngx_http_request_t *r, north_plaid_call_t *call))
{
    ngx_str_t               tp;
    north_plaid_request_t  *pr;

    pr = ngx_palloc(r->pool, sizeof(north_plaid_request_t));
    if (pr == NULL) {
        json_decref(body);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    pr->request = r;
    pr->done = done;

    if (ngx_http_north_traceparent(r, &tp) != NGX_OK
        || north_plaid_call(r->pool, r->connection->log, &tp, path, body,
                            north_plaid_request_done, pr)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_north_wait_begin(r, NGX_HTTP_NORTH_WAIT_UPSTREAM);
    ngx_http_north_async_begin(r);

    return NGX_DONE;
}


static void
north_plaid_request_done(north_plaid_call_t *call)
{
    north_plaid_request_t  *pr = call->data;

    ngx_http_north_wait_end(pr->request, NGX_HTTP_NORTH_WAIT_UPSTREAM);
    ngx_http_north_async_end(pr->request, pr->done(pr->request, call));
}
