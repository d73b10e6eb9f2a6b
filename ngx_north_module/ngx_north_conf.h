/*
 * The directive handlers of ngx_north_conf.c, for the core module's table.
 */

#ifndef _NGX_NORTH_CONF_H_INCLUDED_
#define _NGX_NORTH_CONF_H_INCLUDED_


#include "ngx_north.h"


/* north_database DSN | env=NAME: libpq's keywords, host resolved now */
char *ngx_http_north_database(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/* One more keyword and value for libpq's connection. */
ngx_int_t ngx_http_north_conf_param(ngx_conf_t *cf,
    ngx_http_north_main_conf_t *mcf, const char *key, const char *val);

/* north_redis URL | env=NAME */
char *ngx_http_north_redis(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);

/* The TLS context of a rediss:// link (init_main_conf). */
ngx_int_t ngx_http_north_redis_ssl(ngx_conf_t *cf,
    ngx_http_north_main_conf_t *mcf);

/* north_pipeda_compliance on | off | env=NAME */
char *ngx_http_north_pipeda(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);

/* north_data_region NAME | env=NAME */
char *ngx_http_north_data_region(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/* north_data_key env=NAME: 32 bytes, base64 */
char *ngx_http_north_data_key(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);

/* north_env_file PATH: NAME=VALUE lines into the environment */
char *ngx_http_north_env_file(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/* north_database_max_connections N [nodes=M] */
char *ngx_http_north_database_max(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/* A warning when the workers' connections overrun the server's budget. */
void ngx_http_north_database_budget(ngx_conf_t *cf,
    ngx_http_north_main_conf_t *mcf);


#endif /* _NGX_NORTH_CONF_H_INCLUDED_ */
