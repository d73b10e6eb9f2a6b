/*
 * North background jobs: per-worker timers claim due rows of north.jobs
 * (leased, FOR UPDATE SKIP LOCKED) and run each kind's handler, so that any
 * number of workers and nodes share the queue (docs/architecture.md); a running
 * job's lease is renewed by its worker until it ends. Also the
 * registry of personal data that export and erasure walk.
 */

#ifndef _NGX_NORTH_JOBS_H_INCLUDED_
#define _NGX_NORTH_JOBS_H_INCLUDED_


#include "ngx_north.h"
#include "ngx_north_pg.h"
#include "ngx_north_trace.h"


typedef struct ngx_http_north_job_s  ngx_http_north_job_t;

/* Runs a claimed job; it ends, always, with ngx_http_north_job_done(). */
typedef void (*ngx_http_north_job_pt)(ngx_http_north_job_t *job);

struct ngx_http_north_job_s {
    ngx_str_t                    id;
    ngx_str_t                    user_id;       /* empty when none */
    ngx_str_t                    ref;           /* empty when none */
    ngx_str_t                    attempt;       /* this one's number, text */
    ngx_uint_t                   attempts;
    ngx_pool_t                  *pool;          /* the job's, until done */
    ngx_log_t                   *log;
    ngx_http_north_pg_pool_t    *pg;
    void                        *data;          /* the handler's own */
    ngx_str_t                    traceparent;   /* this run's own trace,
                                                   for its outbound calls */
    ngx_str_t                    kind;          /* as north.jobs says */
    ngx_msec_t                   started;

    /*
     * Set by a handler that can stop before its end: called once when its
     * worker leaves (reload, graceful shutdown) or the attempt lost its
     * lease. The handler then ends soon, at a safe point, with
     * ngx_http_north_job_yield(). A job without it runs to its end, and a
     * leaving worker waits for it.
     */
    ngx_http_north_job_pt        stop;
};

/* A kind of job: north.jobs.kind and who runs it. */
typedef struct {
    ngx_str_t                    kind;
    ngx_http_north_job_pt        handler;
} ngx_http_north_job_kind_t;

/* Each service's kinds end with a NULL handler (handlers/services.c). */
extern ngx_http_north_job_kind_t   *ngx_http_north_job_kinds[];


/*
 * One service's share of a user's personal data, for the export and the
 * erasure (PIPEDA access and deletion). Every table that holds a user's
 * data is covered by one part, or the suites fail.
 *   export: $1 user id, $2 key of the last row sent (NULL first), $3 rows
 *           at most; returns (key text, row json) in key order, so that a
 *           large table streams page by page. ORDER BY names the table's
 *           column qualified (c.id): a bare name would sort by the output
 *           column key::text, as text, and pages would overlap;
 *   erase:  $1 user id; deletes or anonymises the rows (idempotent), or
 *           NULL when the rows must be kept (the audit log).
 */
typedef struct {
    const char                  *section;       /* its name in an export */
    const char                  *table;
    ngx_http_north_pg_stmt_t    *export;
    ngx_http_north_pg_stmt_t    *erase;
} ngx_http_north_privacy_part_t;

/*
 * The part of a table whose rows are the user's (user_id) with nothing to
 * hide or keep: every column exported, a page at a time by its key column
 * (of that SQL type), and every row deleted by the erasure. Its statements
 * are named north_export_SECTION and north_erase_SECTION.
 *
 *     ngx_http_north_privacy_table("goals", "north.goals", "id", "uuid"),
 */
#define ngx_http_north_privacy_table(section, table, key, type)              \
    { section, table,                                                        \
      &(ngx_http_north_pg_stmt_t) ngx_http_north_pg_stmt_rows(               \
          "north_export_" section,                                           \
          "select t." key "::text, north.json_times(to_jsonb(t))::text"      \
          " from " table " t"                                                \
          " where t.user_id = $1 and ($2::" type " is null"                  \
          "  or t." key " > $2::" type ")"                                   \
          " order by t." key " limit $3::int", 3, 2),                        \
      &(ngx_http_north_pg_stmt_t) ngx_http_north_pg_stmt(                    \
          "north_erase_" section,                                            \
          "delete from " table " where user_id = $1", 1, 0) }

/* Each service's parts end with a NULL section (handlers/services.c). */
extern ngx_http_north_privacy_part_t  *ngx_http_north_privacy_parts[];


ngx_int_t ngx_http_north_jobs_init_process(ngx_cycle_t *cycle,
    ngx_http_north_main_conf_t *mcf);
void ngx_http_north_jobs_exit_process(void);

/*
 * A request just queued a job: this worker looks for it at once, rather
 * than at its next tick (other workers and nodes still find it on theirs).
 */
void ngx_http_north_jobs_wake(void);

/*
 * Ends a job: error NULL marks it done, else it is tried again later with
 * backoff. The job's pool is destroyed.
 */
void ngx_http_north_job_done(ngx_http_north_job_t *job, const char *error);

/*
 * Ends a job that stopped before its end (see stop): it runs again at once
 * on another worker, this attempt not counted. The job's pool is destroyed.
 */
void ngx_http_north_job_yield(ngx_http_north_job_t *job);


#endif /* _NGX_NORTH_JOBS_H_INCLUDED_ */
