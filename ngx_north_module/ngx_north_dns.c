/*
 * Host names of the data stores kept current through nginx's resolver
 * (see ngx_north_dns.h).
 */

#include "ngx_north_dns.h"


#define NGX_HTTP_NORTH_DNS_EVERY  1000   /* ms between two questions */


static void ngx_http_north_dns_answer(ngx_resolver_ctx_t *ctx);


void
ngx_http_north_dns_init(ngx_http_north_dns_t *dns, ngx_cycle_t *cycle,
    ngx_str_t *name, const char *addr, ngx_http_north_dns_pt changed,
    void *data)
{
    ngx_addr_t                 a;
    ngx_http_conf_ctx_t       *ctx;
    ngx_http_core_loc_conf_t  *clcf;

    ngx_memzero(dns, sizeof(ngx_http_north_dns_t));

    dns->log = cycle->log;
    dns->changed = changed;
    dns->data = data;
    ngx_cpystrn(dns->addr, (u_char *) addr, sizeof(dns->addr));

    if (name == NULL || name->len == 0
        || ngx_parse_addr(cycle->pool, &a, name->data, name->len) == NGX_OK)
    {
        return;
    }

    /* the http level's resolver: a dummy with no servers unless set */
    ctx = (ngx_http_conf_ctx_t *) cycle->conf_ctx[ngx_http_module.index];
    clcf = ctx->loc_conf[ngx_http_core_module.ctx_index];

    dns->name = *name;
    dns->resolver = clcf->resolver;
    dns->timeout = clcf->resolver_timeout;
}


void
ngx_http_north_dns_ask(ngx_http_north_dns_t *dns)
{
    ngx_resolver_ctx_t  *ctx;

    if (dns->name.len == 0 || dns->resolver == NULL || dns->ctx != NULL
        || ngx_exiting || ngx_quit || ngx_terminate
        || (dns->asked
            && ngx_current_msec - dns->asked < NGX_HTTP_NORTH_DNS_EVERY))
    {
        return;
    }

    dns->asked = ngx_current_msec;

    ctx = ngx_resolve_start(dns->resolver, NULL);

    if (ctx == NGX_NO_RESOLVER) {
        if (!dns->none) {
            ngx_log_error(NGX_LOG_NOTICE, dns->log, 0,
                          "north: %V keeps the address %s: no \"resolver\" "
                          "is set to ask again after a failure",
                          &dns->name, dns->addr);
            dns->none = 1;
        }
        return;
    }

    if (ctx == NULL) {
        return;
    }

    ctx->name = dns->name;
    ctx->handler = ngx_http_north_dns_answer;
    ctx->data = dns;
    ctx->timeout = dns->timeout;

    dns->ctx = ctx;

    /* the answer may come at once, from the resolver's cache */
    if (ngx_resolve_name(ctx) != NGX_OK) {
        dns->ctx = NULL;
        ngx_log_error(NGX_LOG_ERR, dns->log, 0,
                      "north: %V could not be asked of the resolver",
                      &dns->name);
    }
}


static void
ngx_http_north_dns_answer(ngx_resolver_ctx_t *ctx)
{
    ngx_http_north_dns_t  *dns = ctx->data;

    size_t  n;
    u_char  text[NGX_SOCKADDR_STRLEN + 1];

    dns->ctx = NULL;

    if (ctx->state || ctx->naddrs == 0) {
        ngx_log_error(NGX_LOG_WARN, dns->log, 0,
                      "north: %V could not be resolved (%i: %s): it keeps "
                      "the address %s", &ctx->name, ctx->state,
                      ngx_resolver_strerror(ctx->state), dns->addr);
        ngx_resolve_name_done(ctx);
        return;
    }

    n = ngx_sock_ntop(ctx->addrs[0].sockaddr, ctx->addrs[0].socklen, text,
                      NGX_SOCKADDR_STRLEN, 0);
    text[n] = '\0';

    if (ngx_strcmp(text, dns->addr) != 0) {
        ngx_log_error(NGX_LOG_NOTICE, dns->log, 0,
                      "north: %V now resolves to %s (was %s)",
                      &ctx->name, text, dns->addr);
        ngx_cpystrn(dns->addr, text, sizeof(dns->addr));
        dns->changed(dns->data, ctx->addrs[0].sockaddr,
                     ctx->addrs[0].socklen);
    }

    ngx_resolve_name_done(ctx);
}


void
ngx_http_north_dns_done(ngx_http_north_dns_t *dns)
{
    if (dns->ctx) {
        ngx_resolve_name_done(dns->ctx);
        dns->ctx = NULL;
    }
}
