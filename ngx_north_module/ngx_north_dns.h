/*
 * A data store's host name asked again of nginx's resolver (the http-level
 * `resolver`) when its link fails: an RDS or ElastiCache fail-over moves
 * the name to another address, and a worker follows it without a reload
 * and without a blocking call. The name is resolved once at configuration
 * time (getaddrinfo, in the master); this keeps it current in each worker.
 */

#ifndef _NGX_NORTH_DNS_H_INCLUDED_
#define _NGX_NORTH_DNS_H_INCLUDED_


#include "ngx_north.h"


/* The name moved: sa (its port 0) is the address to use from now on. */
typedef void (*ngx_http_north_dns_pt)(void *data, struct sockaddr *sa,
    socklen_t socklen);

typedef struct {
    ngx_str_t                    name;      /* empty: an address, or none */
    ngx_resolver_t              *resolver;
    ngx_msec_t                   timeout;
    ngx_resolver_ctx_t          *ctx;       /* a question in flight */
    ngx_msec_t                   asked;
    ngx_log_t                   *log;
    ngx_http_north_dns_pt        changed;
    void                        *data;
    u_char                       addr[NGX_SOCKADDR_STRLEN + 1];  /* in use */
    unsigned                     none:1;    /* no resolver: said once */
} ngx_http_north_dns_t;


/*
 * Sets dns up in a worker for the host name (an address or an empty name
 * is never asked), whose address in use is the text addr.
 */
void ngx_http_north_dns_init(ngx_http_north_dns_t *dns, ngx_cycle_t *cycle,
    ngx_str_t *name, const char *addr, ngx_http_north_dns_pt changed,
    void *data);

/* After a failed link: asks the resolver, at most once a second. */
void ngx_http_north_dns_ask(ngx_http_north_dns_t *dns);

/* The worker leaves: a question in flight is dropped. */
void ngx_http_north_dns_done(ngx_http_north_dns_t *dns);


#endif /* _NGX_NORTH_DNS_H_INCLUDED_ */
