/*
 * North's error tracking over the Sentry protocol (docs/operations.md,
 * "Error tracking"): events queued per worker, sent in batches of envelopes
 * by the outbound HTTP layer, a budget a minute; never in a request's way.
 */

#ifndef _NGX_NORTH_SENTRY_H_INCLUDED_
#define _NGX_NORTH_SENTRY_H_INCLUDED_


#include "ngx_north.h"


/* The build's git revision (build/north_release.c, written by build.sh). */
extern const char  ngx_http_north_release[];

/* north_sentry dsn=URL|env=NAME [environment=NAME] [rate=N] */
char *ngx_http_north_sentry(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);

ngx_int_t ngx_http_north_sentry_init_process(ngx_cycle_t *cycle);
void ngx_http_north_sentry_exit_process(ngx_cycle_t *cycle);

/*
 * An event of kind ("http.5xx", "postgresql.error", "job.failed",
 * "worker.died"): message is scrubbed (north_scrub.h); r, when given,
 * names the request id, route and trace. Nothing without north_sentry, or
 * past the minute's budget.
 */
void ngx_http_north_sentry_capture(const char *kind, const char *level,
    ngx_http_request_t *r, const char *fmt, ...);


#endif /* _NGX_NORTH_SENTRY_H_INCLUDED_ */
