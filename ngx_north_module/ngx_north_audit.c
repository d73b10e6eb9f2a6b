/*
 * North PIPEDA audit log: one record per request that touches personal
 * information, gathered in the log phase and written to PostgreSQL in
 * batches per worker; while PostgreSQL is away records go to a spool file
 * and are replayed, in order, when it returns.
 */

#include "ngx_north.h"
#include "ngx_north_pg.h"
#include "ngx_north_jwt.h"
#include "ngx_north_audit.h"
#include "ngx_north_metrics.h"
#include "ngx_north_trace.h"

#include "north_check.h"

#include <jansson.h>
#include <dirent.h>
#include <openssl/sha.h>
#include <openssl/hmac.h>


#define NGX_HTTP_NORTH_AUDIT_BATCH     200
#define NGX_HTTP_NORTH_AUDIT_REPLAY    500     /* lines per replayed batch */


typedef struct {
    ngx_flag_t                   enable;
    ngx_str_t                    category;
    ngx_str_t                    purpose;
} ngx_http_north_audit_loc_conf_t;


typedef struct {
    ngx_str_t                    spool;        /* directory */
    ngx_msec_t                   flush;        /* longest a record waits */
    ngx_str_t                    chain_key;    /* HMAC key, decoded */
    time_t                       retention;    /* 0: kept for ever */
    ngx_uint_t                   used;
} ngx_http_north_audit_main_conf_t;


typedef struct {
    ngx_str_t                    subject;
} ngx_http_north_audit_ctx_t;


/*
 * What the audit knows of a request across internal redirects (an error
 * page is one): the audited location it reached, and whether its record is
 * written. Kept in a pool cleanup, which a redirect leaves in place.
 */
typedef struct {
    ngx_http_north_audit_loc_conf_t  *alcf;
    ngx_uint_t                        recorded;
} ngx_http_north_audit_mark_t;


/* This worker's writer. */
typedef struct {
    ngx_http_north_audit_main_conf_t  *amcf;
    ngx_http_north_main_conf_t  *mcf;
    ngx_log_t                   *log;
    ngx_pool_t                  *pool;         /* of the batch in flight */
    json_t                      *pending;      /* record texts not sent */
    json_t                      *inflight;     /* the batch PostgreSQL has */
    ngx_event_t                  timer;
    ngx_str_t                    chain;        /* node:pid:start */
    uint64_t                     seq;          /* of the last record */
    u_char                       prev[SHA256_DIGEST_LENGTH * 2 + 1];
    ngx_str_t                    file;         /* this worker's spool */
    ngx_fd_t                     fd;           /* it, open for appending */
    ngx_str_t                    own_replay;   /* it, moved aside to replay */
    ngx_str_t                    checkpoints;  /* stored heads, appended */
    ngx_msec_t                   checkpointed; /* when last */
    ngx_uint_t                   spooled;      /* own records wait in files:
                                                  newer ones queue behind */
    ngx_uint_t                   failing;      /* the last store failed */
    ngx_str_t                    replaying;    /* the file being replayed */
    u_char                       replaying_name[NGX_MAX_PATH];
    off_t                        replayed;     /* bytes of it stored */
    size_t                       replay_bytes; /* bytes of the batch sent */
    ngx_msec_t                   scanned;      /* last look for orphans */
} ngx_http_north_audit_writer_t;


static ngx_int_t ngx_http_north_audit_postconfiguration(ngx_conf_t *cf);
static void *ngx_http_north_audit_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_north_audit_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_north_audit_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_north_audit_merge_loc_conf(ngx_conf_t *cf,
    void *parent, void *child);
static ngx_int_t ngx_http_north_audit_init_module(ngx_cycle_t *cycle);
static ngx_int_t ngx_http_north_audit_init_process(ngx_cycle_t *cycle);
static void ngx_http_north_audit_exit_process(ngx_cycle_t *cycle);

static ngx_int_t ngx_http_north_audit_reached(ngx_http_request_t *r);
static ngx_int_t ngx_http_north_audit_header_filter(ngx_http_request_t *r);
static ngx_int_t ngx_http_north_audit_handler(ngx_http_request_t *r);
static void ngx_http_north_audit_record(ngx_http_request_t *r);
static ngx_http_north_audit_mark_t *ngx_http_north_audit_mark(
    ngx_http_request_t *r, ngx_uint_t create);
static void ngx_http_north_audit_unmark(void *data);
static ngx_int_t ngx_http_north_audit_close(ngx_http_north_audit_writer_t *w);
static ngx_int_t ngx_http_north_audit_journal(ngx_http_north_audit_writer_t *w,
    char *text, size_t len);
static void ngx_http_north_audit_tick(ngx_event_t *ev);
static void ngx_http_north_audit_flush(ngx_http_north_audit_writer_t *w);
static void ngx_http_north_audit_sent(ngx_http_north_pg_op_t *op,
    PGresult *res, ngx_int_t status);
static ngx_int_t ngx_http_north_audit_spool(ngx_http_north_audit_writer_t *w,
    json_t *records, const char *why);
static void ngx_http_north_audit_replay(ngx_http_north_audit_writer_t *w);
static ngx_int_t ngx_http_north_audit_adopt(ngx_http_north_audit_writer_t *w);
static ngx_int_t ngx_http_north_audit_send(ngx_http_north_audit_writer_t *w,
    json_t *batch);
static void ngx_http_north_audit_sent_status(ngx_http_north_audit_writer_t *w,
    ngx_int_t ok);
static json_t *ngx_http_north_audit_read(ngx_http_north_audit_writer_t *w);
static void ngx_http_north_audit_mac(ngx_http_north_audit_main_conf_t *amcf,
    const char *text, size_t len, u_char *hex);
static void ngx_http_north_audit_checkpoint(ngx_http_north_audit_writer_t *w,
    json_t *batch);
static char *ngx_http_north_audit_chain_key(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);


static ngx_command_t  ngx_http_north_audit_commands[] = {

    { ngx_string("north_audit"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_north_audit_loc_conf_t, enable),
      NULL },

    { ngx_string("north_audit_category"),
      NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_north_audit_loc_conf_t, category),
      NULL },

    { ngx_string("north_audit_purpose"),
      NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_north_audit_loc_conf_t, purpose),
      NULL },

    { ngx_string("north_audit_spool"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_north_audit_main_conf_t, spool),
      NULL },

    { ngx_string("north_audit_flush"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_north_audit_main_conf_t, flush),
      NULL },

    { ngx_string("north_audit_retention"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_north_audit_main_conf_t, retention),
      NULL },

    { ngx_string("north_audit_chain_key"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_north_audit_chain_key,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_north_audit_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_http_north_audit_postconfiguration, /* postconfiguration */

    ngx_http_north_audit_create_main_conf, /* create main configuration */
    ngx_http_north_audit_init_main_conf,   /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_north_audit_create_loc_conf,  /* create location configuration */
    ngx_http_north_audit_merge_loc_conf    /* merge location configuration */
};


ngx_module_t  ngx_http_north_audit_module = {
    NGX_MODULE_V1,
    &ngx_http_north_audit_module_ctx,      /* module context */
    ngx_http_north_audit_commands,         /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    ngx_http_north_audit_init_module,      /* init module */
    ngx_http_north_audit_init_process,     /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_north_audit_exit_process,     /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_http_north_pg_stmt_t  ngx_http_north_audit_stmt =
    ngx_http_north_pg_stmt("north_audit_append",
        "select north.audit_append($1)", 1, 1);

static ngx_http_north_audit_writer_t  *ngx_http_north_audit_writer;

static ngx_http_output_header_filter_pt  ngx_http_north_audit_next_header;


static ngx_int_t
ngx_http_north_audit_postconfiguration(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_LOG_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_north_audit_handler;

    /* the location a request reached, before any error page replaces it */
    h = ngx_array_push(&cmcf->phases[NGX_HTTP_REWRITE_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_north_audit_reached;

    /* the record is written before the response's header leaves */
    ngx_http_north_audit_next_header = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_north_audit_header_filter;

    return NGX_OK;
}


static void *
ngx_http_north_audit_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_north_audit_main_conf_t  *amcf;

    amcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_north_audit_main_conf_t));
    if (amcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     amcf->spool = { 0, NULL };
     *     amcf->used = 0;
     */

    amcf->flush = NGX_CONF_UNSET_MSEC;
    amcf->retention = NGX_CONF_UNSET;

    return amcf;
}


static char *
ngx_http_north_audit_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_north_audit_main_conf_t  *amcf = conf;

    ngx_http_north_main_conf_t  *mcf;

    if (amcf->spool.data == NULL) {
        ngx_str_set(&amcf->spool, "logs/audit-spool");
    }

    if (ngx_conf_full_name(cf->cycle, &amcf->spool, 0) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    ngx_conf_init_msec_value(amcf->flush, 200);
    ngx_conf_init_value(amcf->retention, 0);

    /* PIPEDA accountability: an audit log nobody can rewrite unseen */
    mcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_north_module);

    if (mcf->pipeda == 1 && amcf->chain_key.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "PIPEDA compliance is on but the audit log has "
                           "no chain key (\"north_audit_chain_key\")");
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static void *
ngx_http_north_audit_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_north_audit_loc_conf_t  *alcf;

    alcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_north_audit_loc_conf_t));
    if (alcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     alcf->category = { 0, NULL };
     *     alcf->purpose = { 0, NULL };
     */

    alcf->enable = NGX_CONF_UNSET;

    return alcf;
}


static char *
ngx_http_north_audit_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_north_audit_loc_conf_t  *prev = parent;
    ngx_http_north_audit_loc_conf_t  *conf = child;

    ngx_http_north_main_conf_t        *mcf;
    ngx_http_north_audit_main_conf_t  *amcf;

    ngx_conf_merge_value(conf->enable, prev->enable, 1);
    ngx_conf_merge_str_value(conf->category, prev->category, "");
    ngx_conf_merge_str_value(conf->purpose, prev->purpose, "service");

    if (conf->category.len == 0) {
        return NGX_CONF_OK;
    }

    mcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_north_module);

    if (!conf->enable && mcf->pipeda) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "PIPEDA compliance is on but \"north_audit off\" "
                           "covers a location that touches personal "
                           "information (\"%V\")", &conf->category);
        return NGX_CONF_ERROR;
    }

    if (conf->enable) {
        amcf = ngx_http_conf_get_module_main_conf(cf,
                                                  ngx_http_north_audit_module);
        amcf->used = 1;
    }

    return NGX_CONF_OK;
}


/* The spool directory, made by the master for the workers' user. */

static ngx_int_t
ngx_http_north_audit_init_module(ngx_cycle_t *cycle)
{
    ngx_core_conf_t                   *ccf;
    ngx_file_info_t                    fi;
    ngx_http_north_audit_main_conf_t  *amcf;

    if (ngx_get_conf(cycle->conf_ctx, ngx_http_module) == NULL) {
        return NGX_OK;
    }

    amcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_north_audit_module);

    if (amcf == NULL || !amcf->used) {
        return NGX_OK;
    }

    if (ngx_create_dir(amcf->spool.data, 0700) == NGX_FILE_ERROR
        && ngx_errno != NGX_EEXIST)
    {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, ngx_errno,
                      "north audit: mkdir(\"%V\") failed", &amcf->spool);
        return NGX_ERROR;
    }

    ccf = (ngx_core_conf_t *) ngx_get_conf(cycle->conf_ctx, ngx_core_module);

    if (geteuid() == 0 && ngx_file_info(amcf->spool.data, &fi) == 0
        && fi.st_uid != ccf->user
        && chown((char *) amcf->spool.data, ccf->user, (gid_t) -1) == -1)
    {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, ngx_errno,
                      "north audit: chown(\"%V\") failed", &amcf->spool);
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_north_audit_init_process(ngx_cycle_t *cycle)
{
    ngx_http_north_audit_writer_t     *w;
    ngx_http_north_main_conf_t        *mcf;
    ngx_http_north_audit_main_conf_t  *amcf;

    if (ngx_get_conf(cycle->conf_ctx, ngx_http_module) == NULL) {
        return NGX_OK;
    }

    amcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_north_audit_module);
    mcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_north_module);

    if (amcf == NULL || !amcf->used) {
        return NGX_OK;
    }

    w = ngx_pcalloc(cycle->pool, sizeof(ngx_http_north_audit_writer_t));
    if (w == NULL) {
        return NGX_ERROR;
    }

    w->amcf = amcf;
    w->mcf = mcf;
    w->log = cycle->log;
    w->fd = NGX_INVALID_FILE;
    w->pending = json_array();

    /* this worker's chain: its records are numbered and linked in it */
    w->chain.data = ngx_pnalloc(cycle->pool, mcf->node.len + 2 * NGX_INT_T_LEN
                                             + 3);
    if (w->chain.data == NULL) {
        return NGX_ERROR;
    }

    w->chain.len = ngx_sprintf(w->chain.data, "%V:%P:%M%Z", &mcf->node,
                               ngx_pid, ngx_current_msec) - w->chain.data - 1;

    w->file.data = ngx_pnalloc(cycle->pool, amcf->spool.len
                                            + sizeof("/audit-.jsonl")
                                            + NGX_INT_T_LEN);

    if (w->pending == NULL || w->file.data == NULL) {
        return NGX_ERROR;
    }

    w->file.len = ngx_sprintf(w->file.data, "%V/audit-%P.jsonl%Z",
                              &amcf->spool, ngx_pid) - w->file.data - 1;

    w->own_replay.data = ngx_pnalloc(cycle->pool, w->file.len
                                                  + sizeof(".replay"));
    if (w->own_replay.data == NULL) {
        return NGX_ERROR;
    }

    w->own_replay.len = ngx_sprintf(w->own_replay.data, "%V.replay%Z",
                                    &w->file) - w->own_replay.data - 1;

    w->checkpoints.data = ngx_pnalloc(cycle->pool,
                                      amcf->spool.len
                                      + sizeof("/checkpoints.log"));
    if (w->checkpoints.data == NULL) {
        return NGX_ERROR;
    }

    w->checkpoints.len = ngx_sprintf(w->checkpoints.data,
                                     "%V/checkpoints.log%Z", &amcf->spool)
                         - w->checkpoints.data - 1;

    w->timer.handler = ngx_http_north_audit_tick;
    w->timer.data = w;
    w->timer.log = cycle->log;
    w->timer.cancelable = 1;

    ngx_http_north_audit_writer = w;

    /* a spool left by an earlier worker is replayed first */
    ngx_add_timer(&w->timer, 100);

    return NGX_OK;
}


/* Leaving: what is not stored yet goes to the spool, for the next worker. */

static void
ngx_http_north_audit_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_north_audit_writer_t  *w;

    w = ngx_http_north_audit_writer;

    if (w == NULL) {
        return;
    }

    /*
     * the batch in flight may or may not be stored: replays are idempotent;
     * one read from a spool stays there for the next worker
     */
    if (w->inflight) {
        if (w->replay_bytes == 0) {
            (void) ngx_http_north_audit_spool(w, w->inflight,
                                              "the worker exits");
        }

        json_decref(w->inflight);
        w->inflight = NULL;
    }

    (void) ngx_http_north_audit_close(w);

    if (json_array_size(w->pending)) {
        (void) ngx_http_north_audit_spool(w, w->pending, "the worker exits");
    }

    json_decref(w->pending);

    if (w->pool) {
        ngx_destroy_pool(w->pool);
    }

    ngx_http_north_audit_writer = NULL;
}


time_t
ngx_http_north_audit_retention(ngx_cycle_t *cycle)
{
    ngx_http_north_audit_main_conf_t  *amcf;

    amcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_north_audit_module);

    return amcf ? amcf->retention : 0;
}


/*
 * The spool's record files (audit-*, any worker's, checkpoints.log not):
 * how many hold records, their bytes, and the time of the oldest first
 * record among them (0: none). NGX_DECLINED without an audit log.
 */

ngx_int_t
ngx_http_north_audit_spool_stats(ngx_cycle_t *cycle, ngx_uint_t *files,
    off_t *bytes, time_t *oldest)
{
    u_char                            *p, path[NGX_MAX_PATH], head[4096];
    DIR                               *dir;
    ssize_t                            n;
    ngx_fd_t                           fd;
    ngx_int_t                          ms;
    ngx_file_info_t                    fi;
    struct dirent                     *de;
    ngx_http_north_audit_main_conf_t  *amcf;

    amcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_north_audit_module);
    if (amcf == NULL || !amcf->used) {
        return NGX_DECLINED;
    }

    *files = 0;
    *bytes = 0;
    *oldest = 0;

    dir = opendir((char *) amcf->spool.data);
    if (dir == NULL) {
        return NGX_OK;
    }

    while ((de = readdir(dir)) != NULL) {

        if (ngx_strncmp(de->d_name, "audit-", 6) != 0) {
            continue;
        }

        ngx_snprintf(path, NGX_MAX_PATH, "%V/%s%Z", &amcf->spool, de->d_name);

        fd = ngx_open_file(path, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
        if (fd == NGX_INVALID_FILE) {
            continue;
        }

        if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR || ngx_file_size(&fi) == 0)
        {
            (void) ngx_close_file(fd);
            continue;
        }

        (*files)++;
        *bytes += ngx_file_size(&fi);

        /* its first record's "at_ms": the records are in time order */
        n = read(fd, head, sizeof(head) - 1);
        (void) ngx_close_file(fd);

        if (n <= 0) {
            continue;
        }

        head[n] = '\0';
        p = (u_char *) ngx_strstr(head, "\"at_ms\":");

        if (p == NULL) {
            continue;
        }

        p += sizeof("\"at_ms\":") - 1;

        for (n = 0; p[n] >= '0' && p[n] <= '9'; n++) { /* void */ }

        ms = ngx_atoi(p, ngx_min(n, 13));

        if (ms != NGX_ERROR && (*oldest == 0 || ms / 1000 < *oldest)) {
            *oldest = ms / 1000;
        }
    }

    closedir(dir);

    return NGX_OK;
}


void
ngx_http_north_audit_subject(ngx_http_request_t *r, ngx_str_t *user_id)
{
    ngx_http_north_audit_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r->main, ngx_http_north_audit_module);

    if (ctx == NULL) {
        ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_north_audit_ctx_t));
        if (ctx == NULL) {
            return;
        }

        ngx_http_set_ctx(r->main, ctx, ngx_http_north_audit_module);
    }

    ctx->subject = *user_id;
}


/* REWRITE phase: the first audited location a request reaches is marked. */

static ngx_int_t
ngx_http_north_audit_reached(ngx_http_request_t *r)
{
    ngx_http_north_audit_mark_t      *mark;
    ngx_http_north_audit_loc_conf_t  *alcf;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_north_audit_module);

    if (r == r->main && alcf->enable && alcf->category.len
        && ngx_http_north_audit_writer != NULL)
    {
        mark = ngx_http_north_audit_mark(r, 1);

        if (mark && mark->alcf == NULL) {
            mark->alcf = alcf;
        }
    }

    return NGX_DECLINED;
}


static ngx_int_t
ngx_http_north_audit_header_filter(ngx_http_request_t *r)
{
    if (r == r->main) {
        ngx_http_north_audit_record(r);
    }

    return ngx_http_north_audit_next_header(r);
}


/* LOG phase: a request that ended without a response header. */

static ngx_int_t
ngx_http_north_audit_handler(ngx_http_request_t *r)
{
    if (r == r->main) {
        ngx_http_north_audit_record(r);
    }

    return NGX_OK;
}


static ngx_http_north_audit_mark_t *
ngx_http_north_audit_mark(ngx_http_request_t *r, ngx_uint_t create)
{
    ngx_pool_cleanup_t           *cln;
    ngx_http_north_audit_mark_t  *mark;

    for (cln = r->pool->cleanup; cln; cln = cln->next) {
        if (cln->handler == ngx_http_north_audit_unmark) {
            return cln->data;
        }
    }

    if (!create) {
        return NULL;
    }

    cln = ngx_pool_cleanup_add(r->pool, sizeof(ngx_http_north_audit_mark_t));
    if (cln == NULL) {
        return NULL;
    }

    mark = cln->data;
    mark->alcf = NULL;
    mark->recorded = 0;

    cln->handler = ngx_http_north_audit_unmark;

    return mark;
}


/* Only a tag: the mark is freed with the pool. */

static void
ngx_http_north_audit_unmark(void *data)
{
}


/*
 * The request's record, once: of the audited location it reached, else of
 * the one answering it (the error page's own category, for a request nginx
 * refused before any location). Written to this worker's spool before the
 * response leaves, so a worker that dies loses no answered request's
 * record: the spool is replayed into north.audit_log by this worker, or by
 * another once this one is gone.
 */

static void
ngx_http_north_audit_record(ngx_http_request_t *r)
{
    char                             *text;
    size_t                            i, len;
    ngx_str_t                        *rid, subject, route, method;
    ngx_time_t                       *tp;
    json_t                           *rec;
    ngx_http_north_identity_t        *id;
    ngx_http_north_audit_ctx_t       *ctx;
    ngx_http_north_audit_mark_t      *mark;
    ngx_http_north_audit_writer_t    *w;
    ngx_http_north_audit_loc_conf_t  *alcf;
    u_char                            record_id[NGX_MAXHOSTNAMELEN + 64];
    u_char                            actor[64];

    w = ngx_http_north_audit_writer;

    if (w == NULL) {
        return;
    }

    mark = ngx_http_north_audit_mark(r, 0);

    if (mark && mark->recorded) {
        return;
    }

    alcf = mark && mark->alcf
           ? mark->alcf
           : ngx_http_get_module_loc_conf(r, ngx_http_north_audit_module);

    if (!alcf->enable || alcf->category.len == 0) {
        return;
    }

    if (mark == NULL) {
        mark = ngx_http_north_audit_mark(r, 1);
        if (mark == NULL) {
            return;
        }
    }

    mark->recorded = 1;

    id = ngx_http_north_jwt_identity(r);
    ctx = ngx_http_get_module_ctx(r, ngx_http_north_audit_module);
    rid = ngx_http_north_request_id(r);
    tp = ngx_timeofday();

    /* whose data: the handler's word for it, else the caller's own */
    ngx_str_null(&subject);

    if (ctx && ctx->subject.len) {
        subject = ctx->subject;

    } else if (id) {
        subject = id->user_id;
    }

    if (id) {
        ngx_sprintf(actor, "user:%V%Z", &id->user_id);

    } else {
        ngx_sprintf(actor, "anonymous%Z");
    }

    /*
     * the route the client asked for, not an error page's; as text even
     * when it sent bytes that are not UTF-8
     */
    route = r->uri;

    if (r->internal) {
        route = r->unparsed_uri;

        for (i = 0; i < route.len; i++) {
            if (route.data[i] == '?') {
                route.len = i;
                break;
            }
        }
    }

    /* a request line nginx could not read has no route, nor method */
    method = r->method_name;

    if (route.data == NULL) {
        ngx_str_set(&route, "");
    }

    if (method.data == NULL) {
        ngx_str_set(&method, "");
    }

    if (north_utf8_length(route.data, route.len) < 0) {
        text = (char *) ngx_pnalloc(r->pool, route.len);
        if (text == NULL) {
            return;
        }

        for (i = 0; i < route.len; i++) {
            text[i] = route.data[i] < 0x80 ? route.data[i] : '?';
        }

        route.data = (u_char *) text;
    }

    ngx_sprintf(record_id, "%V:%uL%Z", &w->chain, w->seq + 1);

    /* never a secret: no body, no query string, no header */
    rec = json_pack("{s:s, s:s%, s:I, s:s, s:I, s:s%, s:s, s:s%, s:s%,"
                    " s:s%, s:s%, s:s%, s:i, s:s%, s:s%, s:s%}",
                    "record_id", (char *) record_id,
                    "chain", w->chain.data, w->chain.len,
                    "seq", (json_int_t) (w->seq + 1),
                    "prev", (char *) w->prev,
                    "at_ms", (json_int_t) tp->sec * 1000 + tp->msec,
                    "request_id", rid ? (char *) rid->data : "",
                    rid ? rid->len : (size_t) 0,
                    "actor", (char *) actor,
                    "subject", subject.len ? (char *) subject.data : "",
                    subject.len,
                    "method", method.data, method.len,
                    "route", route.data, route.len,
                    "category", alcf->category.data, alcf->category.len,
                    "purpose", alcf->purpose.data, alcf->purpose.len,
                    "status", (int) r->headers_out.status,
                    "client", r->connection->addr_text.data,
                    r->connection->addr_text.len,
                    "node", w->mcf->node.data, w->mcf->node.len,
                    "region", w->mcf->data_region.len
                              ? (char *) w->mcf->data_region.data : "unset",
                    w->mcf->data_region.len ? w->mcf->data_region.len
                                            : (size_t) 5);
    if (rec == NULL) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "north audit: a record could not be built");
        return;
    }

    if (subject.len == 0) {
        json_object_set_new(rec, "subject", json_null());
    }

    /* a keyed chain: prev is an HMAC that the database cannot recompute */
    if (w->amcf->chain_key.len) {
        json_object_set_new(rec, "mac", json_string("hmac-sha256"));
    }

    /* the text is what is hashed, stored, spooled and replayed, as is */
    text = json_dumps(rec, JSON_COMPACT);
    json_decref(rec);

    if (text == NULL) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "north audit: a record could not be built");
        return;
    }

    len = ngx_strlen(text);

    ngx_http_north_audit_mac(w->amcf, text, len, w->prev);
    w->seq++;

    /* the text goes with it */
    if (ngx_http_north_audit_journal(w, text, len) != NGX_OK) {
        return;
    }

    if (!w->timer.timer_set) {
        ngx_add_timer(&w->timer, w->amcf->flush);
    }
}


/* Closes the spool this worker appends to: it is to be moved aside. */

static ngx_int_t
ngx_http_north_audit_close(ngx_http_north_audit_writer_t *w)
{
    if (w->fd != NGX_INVALID_FILE) {
        ngx_close_file(w->fd);
        w->fd = NGX_INVALID_FILE;
    }

    return NGX_OK;
}


/*
 * Appends a record's text (malloc()ed, freed here) to this worker's spool,
 * a whole line in one write; if that fails it waits in memory and goes to
 * the spool (or straight to PostgreSQL) with the next flush.
 */

static ngx_int_t
ngx_http_north_audit_journal(ngx_http_north_audit_writer_t *w, char *text,
    size_t len)
{
    char    *line;
    json_t  *rec;

    line = realloc(text, len + 1);

    if (line != NULL) {
        text = line;
        text[len] = '\n';

        if (w->fd == NGX_INVALID_FILE) {
            w->fd = ngx_open_file(w->file.data, NGX_FILE_APPEND,
                                  NGX_FILE_CREATE_OR_OPEN, 0600);
        }

        if (w->fd != NGX_INVALID_FILE
            && ngx_write_fd(w->fd, text, len + 1) == (ssize_t) len + 1)
        {
            w->spooled = 1;
            free(text);
            return NGX_OK;
        }

        ngx_log_error(NGX_LOG_ALERT, w->log, ngx_errno,
                      "north audit: write(\"%V\") failed, the record waits "
                      "in memory", &w->file);
    }

    rec = json_stringn(text, len);

    if (rec == NULL || json_array_append_new(w->pending, rec) != 0) {
        ngx_log_error(NGX_LOG_ALERT, w->log, 0,
                      "north audit: a record was lost");
        free(text);
        return NGX_ERROR;
    }

    free(text);
    return NGX_OK;
}





static void
ngx_http_north_audit_tick(ngx_event_t *ev)
{
    ngx_http_north_audit_writer_t  *w = ev->data;

    if (w->inflight == NULL) {
        ngx_http_north_audit_flush(w);
    }

    /* a batch in flight re-arms the timer when it ends */
    if ((w->spooled || w->replaying.len || json_array_size(w->pending))
        && w->inflight == NULL && !w->timer.timer_set && !ngx_exiting)
    {
        ngx_add_timer(&w->timer, 1000);
    }
}


/*
 * Sends the pending records; while older ones of this worker wait in the
 * spool the new ones queue there behind them, and the spool is replayed.
 */

static void
ngx_http_north_audit_flush(ngx_http_north_audit_writer_t *w)
{
    json_t  *batch;

    if (w->inflight) {
        return;
    }

    if (w->spooled && json_array_size(w->pending)) {
        if (ngx_http_north_audit_spool(w, w->pending, "older ones wait there")
            == NGX_OK)
        {
            json_array_clear(w->pending);
        }
    }

    if (w->spooled || w->replaying.len
        || ngx_current_msec - w->scanned > 5000)
    {
        ngx_http_north_audit_replay(w);

        if (w->inflight || w->spooled) {
            return;
        }
    }

    if (json_array_size(w->pending) == 0) {
        return;
    }

    batch = w->pending;
    w->pending = json_array();

    if (w->pending == NULL) {
        w->pending = batch;
        return;
    }

    (void) ngx_http_north_audit_send(w, batch);
}


static ngx_int_t
ngx_http_north_audit_send(ngx_http_north_audit_writer_t *w, json_t *batch)
{
    char        *text, *p;
    size_t       i, len;
    json_t      *line;
    ngx_int_t    rc;
    const char  *values[1];

    /* the records one a line, as in the spool: nothing to escape again */
    len = 1;

    json_array_foreach(batch, i, line) {
        len += json_string_length(line) + 1;
    }

    text = ngx_alloc(len, w->log);
    if (text == NULL) {
        json_decref(batch);
        return NGX_ERROR;
    }

    p = text;

    json_array_foreach(batch, i, line) {
        p = (char *) ngx_cpymem(p, json_string_value(line),
                                json_string_length(line));
        *p++ = '\n';
    }

    *p = '\0';

    values[0] = text;
    w->inflight = batch;

    /* the op and its copy of the text live as long as the batch */
    w->pool = ngx_create_pool(4096, w->log);

    rc = w->pool ? ngx_http_north_pg_send(w->mcf->pg, w->pool,
                                          &ngx_http_north_audit_stmt, values,
                                          ngx_http_north_audit_sent, w)
                 : NGX_ERROR;
    ngx_free(text);

    if (rc != NGX_OK) {
        ngx_http_north_audit_sent_status(w, 0);
        return NGX_ERROR;
    }

    return NGX_OK;
}


static void
ngx_http_north_audit_sent(ngx_http_north_pg_op_t *op, PGresult *res,
    ngx_int_t status)
{
    ngx_http_north_audit_writer_t  *w = op->data;

    if (res != NULL && PQresultStatus(res) != PGRES_TUPLES_OK) {
        ngx_log_error(NGX_LOG_ERR, w->log, 0,
                      "north audit: append failed: %s %s",
                      ngx_http_north_pg_sqlstate(res),
                      PQresultErrorMessage(res));
    }

    if (res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK
        && PQntuples(res) == 1)
    {
        /* replayed: what a worker that is gone left behind */
        ngx_http_north_metric_add(w->replay_bytes
                                  && ngx_strcmp(w->replaying_name,
                                                w->own_replay.data) != 0
                                  ? NGX_HTTP_NORTH_M_AUDIT_REPLAYED
                                  : NGX_HTTP_NORTH_M_AUDIT_WRITTEN,
                                  ngx_atoi((u_char *) PQgetvalue(res, 0, 0),
                                           PQgetlength(res, 0, 0)));
    }

    ngx_http_north_audit_sent_status(w, res != NULL
                                        && PQresultStatus(res)
                                           == PGRES_TUPLES_OK);
}


/* The end of a batch: stored, or kept (spooled, or left to replay). */

static void
ngx_http_north_audit_sent_status(ngx_http_north_audit_writer_t *w,
    ngx_int_t ok)
{
    json_t  *batch;

    batch = w->inflight;
    w->inflight = NULL;

    if (ok) {
        w->replayed += w->replay_bytes;
        ngx_http_north_audit_checkpoint(w, batch);

        if (w->failing) {
            w->failing = 0;
            ngx_log_error(NGX_LOG_NOTICE, w->log, 0,
                          "north audit: PostgreSQL takes records again");
        }

    } else if (w->replay_bytes && !w->failing) {
        /* they stay in the spool, newer ones behind them */
        w->failing = 1;
        ngx_http_north_metric_add(NGX_HTTP_NORTH_M_AUDIT_SPOOLED,
                                  json_array_size(batch));
        ngx_log_error(NGX_LOG_WARN, w->log, 0,
                      "north audit: records wait in the spool \"%V\" until "
                      "PostgreSQL answers", &w->replaying);

    } else if (w->replay_bytes == 0) {
        /* never lost: it waits in the spool, and newer ones behind it */
        if (ngx_http_north_audit_spool(w, batch, "PostgreSQL did not store "
                                       "them") != NGX_OK)
        {
            ngx_log_error(NGX_LOG_ALERT, w->log, 0,
                          "north audit: %uz records could not be spooled "
                          "to \"%V\"", json_array_size(batch), &w->file);
        }
    }

    w->replay_bytes = 0;
    json_decref(batch);

    /* the op is over: nothing refers to its pool any more */
    if (w->pool) {
        ngx_destroy_pool(w->pool);
        w->pool = NULL;
    }

    if (ngx_exiting || ngx_terminate || ngx_quit) {
        return;
    }

    if (w->timer.timer_set) {
        ngx_del_timer(&w->timer);
    }

    /* more to do: at once after success, after a pause after a failure */
    if (w->spooled || w->replaying.len || json_array_size(w->pending)) {
        ngx_add_timer(&w->timer, ok ? 1 : 1000);
    }
}


/* Appends records to this worker's spool, one JSON document a line. */

static ngx_int_t
ngx_http_north_audit_spool(ngx_http_north_audit_writer_t *w, json_t *records,
    const char *why)
{
    char       *line;
    size_t      i, len;
    json_t     *rec;
    ngx_fd_t    fd;
    ngx_int_t   rc;

    fd = ngx_open_file(w->file.data, NGX_FILE_APPEND, NGX_FILE_CREATE_OR_OPEN,
                       0600);
    if (fd == NGX_INVALID_FILE) {
        ngx_log_error(NGX_LOG_ALERT, w->log, ngx_errno,
                      "north audit: open(\"%V\") failed", &w->file);
        return NGX_ERROR;
    }

    rc = NGX_OK;

    json_array_foreach(records, i, rec) {
        line = (char *) json_string_value(rec);
        len = json_string_length(rec);

        if (ngx_write_fd(fd, line, len) != (ssize_t) len
            || ngx_write_fd(fd, "\n", 1) != 1)
        {
            ngx_log_error(NGX_LOG_ALERT, w->log, ngx_errno,
                          "north audit: write(\"%V\") failed", &w->file);
            rc = NGX_ERROR;
            break;
        }
    }

    ngx_close_file(fd);

    if (json_array_size(records)) {
        w->spooled = 1;
        ngx_http_north_metric_add(NGX_HTTP_NORTH_M_AUDIT_SPOOLED,
                                  json_array_size(records));
        ngx_log_error(NGX_LOG_WARN, w->log, 0,
                      "north audit: %uz records spooled to \"%V\": %s",
                      json_array_size(records), &w->file, why);
        ngx_http_north_event("audit.spooled",
                             json_pack("{s:I, s:s}", "records",
                                       (json_int_t) json_array_size(records),
                                       "why", why));
    }

    return rc;
}


/*
 * Sends the next batch of a spool: an orphan left by a worker that has
 * exited, else this worker's own (moved aside, so that newer records queue
 * in a fresh file behind it).
 */

static void
ngx_http_north_audit_replay(ngx_http_north_audit_writer_t *w)
{
    json_t           *batch;
    ngx_file_info_t   fi;

    for ( ;; ) {

        if (w->replaying.len == 0) {

            if (ngx_http_north_audit_adopt(w) == NGX_OK) {
                /* w->replaying is an orphan now */

            } else if (ngx_file_info(w->own_replay.data, &fi)
                       != NGX_FILE_ERROR
                       || (w->spooled
                           && ngx_http_north_audit_close(w) == NGX_OK
                           && ngx_rename_file(w->file.data,
                                              w->own_replay.data)
                              != NGX_FILE_ERROR))
            {
                w->replaying.data = w->replaying_name;
                w->replaying.len = ngx_cpystrn(w->replaying_name,
                                               w->own_replay.data,
                                               NGX_MAX_PATH)
                                   - w->replaying_name;

            } else {
                /* nothing of ours waits any more */
                w->spooled = 0;
                return;
            }

            w->replayed = 0;
        }

        batch = ngx_http_north_audit_read(w);

        if (batch == NULL) {
            return;
        }

        if (json_array_size(batch) == 0) {
            json_decref(batch);

            if (ngx_delete_file(w->replaying.data) == NGX_FILE_ERROR) {
                ngx_log_error(NGX_LOG_ALERT, w->log, ngx_errno,
                              "north audit: unlink(\"%V\") failed",
                              &w->replaying);
            }

            ngx_log_error(NGX_LOG_NOTICE, w->log, 0,
                          "north audit: spool \"%V\" replayed",
                          &w->replaying);
            ngx_http_north_event("audit.replayed",
                                 json_pack("{s:s%}", "file",
                                           w->replaying.data,
                                           w->replaying.len));

            w->replaying.len = 0;
            continue;
        }

        (void) ngx_http_north_audit_send(w, batch);
        return;
    }
}


/* Up to a batch of whole lines of the file being replayed, from its offset. */

static json_t *
ngx_http_north_audit_read(ngx_http_north_audit_writer_t *w)
{
    u_char        *buf, *p, *nl, *last;
    size_t         used;
    ssize_t        n;
    json_t        *batch, *rec;
    ngx_file_t     file;

    batch = json_array();
    buf = ngx_alloc(256 * 1024, w->log);

    if (batch == NULL || buf == NULL) {
        json_decref(batch);
        ngx_free(buf);
        return NULL;
    }

    ngx_memzero(&file, sizeof(ngx_file_t));
    file.name = w->replaying;
    file.log = w->log;
    file.fd = ngx_open_file(w->replaying.data, NGX_FILE_RDONLY,
                            NGX_FILE_OPEN, 0);

    if (file.fd == NGX_INVALID_FILE) {
        /* gone already: nothing left to send */
        ngx_free(buf);
        return batch;
    }

    n = ngx_read_file(&file, buf, 256 * 1024, w->replayed);
    ngx_close_file(file.fd);

    if (n == NGX_ERROR) {
        ngx_free(buf);
        json_decref(batch);
        return NULL;
    }

    p = buf;
    last = buf + n;
    used = 0;

    while (p < last
           && json_array_size(batch) < NGX_HTTP_NORTH_AUDIT_REPLAY
           && (nl = ngx_strlchr(p, last, '\n')) != NULL)
    {
        rec = json_stringn((char *) p, nl - p);

        if (rec == NULL) {
            ngx_log_error(NGX_LOG_ALERT, w->log, 0,
                          "north audit: a line of \"%V\" is not UTF-8, "
                          "skipped", &w->replaying);
        } else {
            json_array_append_new(batch, rec);
        }

        used += nl + 1 - p;
        p = nl + 1;
    }

    w->replay_bytes = used;
    ngx_free(buf);

    return batch;
}


/*
 * Claims a spool whose worker has exited (a reload, a crash) by renaming it
 * into this worker's name; NGX_OK with w->replaying set, or NGX_DECLINED.
 */

static ngx_int_t
ngx_http_north_audit_adopt(ngx_http_north_audit_writer_t *w)
{
    DIR            *dir;
    u_char         *p;
    ngx_pid_t       pid;
    struct dirent  *de;
    u_char          from[NGX_MAX_PATH];

    if (ngx_current_msec - w->scanned < 5000 && w->scanned) {
        return NGX_DECLINED;
    }

    w->scanned = ngx_current_msec;

    dir = opendir((char *) w->amcf->spool.data);
    if (dir == NULL) {
        return NGX_DECLINED;
    }

    while ((de = readdir(dir)) != NULL) {

        if (ngx_strncmp(de->d_name, "audit-", 6) != 0) {
            continue;
        }

        p = (u_char *) de->d_name + 6;
        pid = ngx_atoi(p, ngx_strlen(p) - ngx_strlen(
                           ngx_strchr(p, '.') ? ngx_strchr(p, '.') : ""));

        if (pid == NGX_ERROR || pid == ngx_pid
            || (kill(pid, 0) == 0 || ngx_errno != ESRCH))
        {
            continue;
        }

        ngx_snprintf(from, NGX_MAX_PATH, "%V/%s%Z", &w->amcf->spool,
                     de->d_name);
        ngx_snprintf(w->replaying_name, NGX_MAX_PATH,
                     "%V/audit-%P.adopted-%P-%M%Z", &w->amcf->spool, ngx_pid,
                     pid, ngx_current_msec);

        if (ngx_rename_file(from, w->replaying_name) == NGX_FILE_ERROR) {
            /* another worker was first */
            continue;
        }

        closedir(dir);

        ngx_log_error(NGX_LOG_NOTICE, w->log, 0,
                      "north audit: replaying \"%s\" left by worker %P",
                      from, pid);

        w->replaying.data = w->replaying_name;
        w->replaying.len = ngx_strlen(w->replaying_name);
        w->replayed = 0;

        /* a dead worker may leave two files, and others theirs: look again */
        w->scanned = 0;

        return NGX_OK;
    }

    closedir(dir);

    return NGX_DECLINED;
}


/*
 * What links a record to the next: HMAC-SHA256 under north_audit_chain_key
 * (the database holds neither the key nor a way to recompute it), else
 * SHA-256. hex gets 64 digits and a NUL.
 */

static void
ngx_http_north_audit_mac(ngx_http_north_audit_main_conf_t *amcf,
    const char *text, size_t len, u_char *hex)
{
    u_char        md[SHA256_DIGEST_LENGTH];
    unsigned int  mdlen;

    if (amcf->chain_key.len) {
        mdlen = sizeof(md);
        (void) HMAC(EVP_sha256(), amcf->chain_key.data,
                    (int) amcf->chain_key.len, (u_char *) text, len, md,
                    &mdlen);

    } else {
        SHA256((u_char *) text, len, md);
    }

    ngx_hex_dump(hex, md, sizeof(md))[0] = '\0';
}


/*
 * A stored batch's last record, as "chain seq mac", appended to the spool
 * directory's checkpoints.log at most once a second: outside the database,
 * so that rows removed from a chain's end are found (build.sh
 * audit-verify), all but those of its last second. Small appends to an
 * O_APPEND file are whole lines whatever the other workers write.
 */

static void
ngx_http_north_audit_checkpoint(ngx_http_north_audit_writer_t *w,
    json_t *batch)
{
    size_t       n;
    json_t      *last, *rec;
    ngx_fd_t     fd;
    const char  *chain;
    u_char       mac[SHA256_DIGEST_LENGTH * 2 + 1];
    u_char       line[NGX_MAXHOSTNAMELEN + 3 * NGX_INT64_LEN + 128];

    n = json_array_size(batch);

    if (w->amcf->chain_key.len == 0 || n == 0
        || ngx_current_msec - w->checkpointed < 1000)
    {
        return;
    }

    w->checkpointed = ngx_current_msec;

    last = json_array_get(batch, n - 1);
    rec = json_loadb(json_string_value(last), json_string_length(last), 0,
                     NULL);
    chain = json_string_value(json_object_get(rec, "chain"));

    if (chain == NULL || ngx_strlen(chain) > NGX_MAXHOSTNAMELEN + 64
        || !json_is_integer(json_object_get(rec, "seq")))
    {
        json_decref(rec);
        return;
    }

    ngx_http_north_audit_mac(w->amcf, json_string_value(last),
                             json_string_length(last), mac);
    n = ngx_sprintf(line, "%s %L %s\n", chain,
                    (int64_t) json_integer_value(json_object_get(rec, "seq")),
                    mac) - line;
    json_decref(rec);

    fd = ngx_open_file(w->checkpoints.data, NGX_FILE_APPEND,
                       NGX_FILE_CREATE_OR_OPEN, 0600);

    if (fd == NGX_INVALID_FILE || ngx_write_fd(fd, line, n) != (ssize_t) n) {
        ngx_log_error(NGX_LOG_ALERT, w->log, ngx_errno,
                      "north audit: a checkpoint was not written to \"%V\"",
                      &w->checkpoints);
    }

    if (fd != NGX_INVALID_FILE) {
        ngx_close_file(fd);
    }
}


/* north_audit_chain_key env=NAME | base64: 32 bytes or more */

static char *
ngx_http_north_audit_chain_key(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_north_audit_main_conf_t  *amcf = conf;

    if (amcf->chain_key.data) {
        return "is duplicate";
    }

    return ngx_http_north_conf_key(cf, &((ngx_str_t *) cf->args->elts)[1],
                                   &amcf->chain_key, 32, 0);
}
