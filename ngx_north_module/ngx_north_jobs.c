/*
 * North background jobs: a per-worker timer claims one due job at a time
 * from north.jobs under a lease and hands it to its kind's handler; a
 * worker that dies mid-job loses the lease and another takes the job over.
 * The same timer sweeps every north_jobs_sweep: it expires idempotency keys
 * and takes the day's balance snapshots.
 */

#include "ngx_north.h"
#include "ngx_north_pg.h"
#include "ngx_north_jobs.h"


#define NGX_HTTP_NORTH_JOBS_LEASE     "5 minutes"


typedef struct {
    ngx_http_north_main_conf_t  *mcf;
    ngx_log_t                   *log;
    ngx_event_t                  timer;
    ngx_pool_t                  *pool;          /* of the claim in flight */
    ngx_http_north_job_t        *job;           /* running, or NULL */
    ngx_msec_t                   swept;
} ngx_http_north_jobs_t;


static void ngx_http_north_jobs_tick(ngx_event_t *ev);
static void ngx_http_north_jobs_claimed(ngx_http_north_pg_op_t *op,
    PGresult *res, ngx_int_t status);
static void ngx_http_north_jobs_swept(ngx_http_north_pg_op_t *op,
    PGresult *res, ngx_int_t status);
static void ngx_http_north_jobs_ended(ngx_http_north_pg_op_t *op,
    PGresult *res, ngx_int_t status);
static void ngx_http_north_jobs_rest(ngx_http_north_jobs_t *jobs,
    ngx_msec_t delay);
static ngx_http_north_job_kind_t *ngx_http_north_jobs_kind(char *kind);


static ngx_http_north_pg_stmt_t  ngx_http_north_jobs_claim_stmt =
    ngx_http_north_pg_stmt("north_jobs_claim",
        "select id, kind, user_id, attempts, ref from north.job_claim('"
        NGX_HTTP_NORTH_JOBS_LEASE "')", 0, 5);

static ngx_http_north_pg_stmt_t  ngx_http_north_jobs_done_stmt =
    ngx_http_north_pg_stmt("north_jobs_done",
        "update north.jobs set done_at = now(), leased_until = null,"
        " last_error = null where id = $1 and done_at is null", 1, 0);

static ngx_http_north_pg_stmt_t  ngx_http_north_jobs_retry_stmt =
    ngx_http_north_pg_stmt("north_jobs_retry",
        "select north.job_retry($1, $2)", 2, 1);

static ngx_http_north_pg_stmt_t  ngx_http_north_jobs_sweep_stmt =
    ngx_http_north_pg_stmt("north_jobs_sweep",
        "with expired as (delete from north.idempotency_keys"
        " where created_at < now() - interval '24 hours'),"
        " forgotten as (delete from north.plaid_webhook_key_misses"
        " where asked_at < now() - interval '10 minutes')"
        " select north.balance_snapshots_daily()", 0, 1);


static ngx_http_north_jobs_t  *ngx_http_north_jobs;


ngx_int_t
ngx_http_north_jobs_init_process(ngx_cycle_t *cycle,
    ngx_http_north_main_conf_t *mcf)
{
    ngx_http_north_jobs_t  *jobs;

    if (mcf->jobs_interval == 0) {
        return NGX_OK;
    }

    jobs = ngx_pcalloc(cycle->pool, sizeof(ngx_http_north_jobs_t));
    if (jobs == NULL) {
        return NGX_ERROR;
    }

    jobs->mcf = mcf;
    jobs->log = cycle->log;
    jobs->timer.handler = ngx_http_north_jobs_tick;
    jobs->timer.data = jobs;
    jobs->timer.log = cycle->log;
    jobs->timer.cancelable = 1;
    jobs->swept = ngx_current_msec;

    ngx_http_north_jobs = jobs;

    /* workers started together do not all ask at once */
    ngx_add_timer(&jobs->timer, ngx_random() % mcf->jobs_interval + 1);

    return NGX_OK;
}


void
ngx_http_north_jobs_exit_process(void)
{
    ngx_http_north_jobs_t  *jobs = ngx_http_north_jobs;

    if (jobs == NULL) {
        return;
    }

    /* a job cut short keeps its lease until it runs out, then runs again */
    if (jobs->job) {
        ngx_destroy_pool(jobs->job->pool);
        jobs->job = NULL;
    }

    if (jobs->pool) {
        ngx_destroy_pool(jobs->pool);
        jobs->pool = NULL;
    }

    ngx_http_north_jobs = NULL;
}


static void
ngx_http_north_jobs_tick(ngx_event_t *ev)
{
    ngx_http_north_jobs_t  *jobs = ev->data;

    ngx_http_north_pg_stmt_t      *stmt;
    ngx_http_north_pg_handler_pt   handler;

    if (jobs->job || jobs->pool || ngx_exiting || ngx_quit || ngx_terminate) {
        return;
    }

    jobs->pool = ngx_create_pool(1024, jobs->log);
    if (jobs->pool == NULL) {
        ngx_http_north_jobs_rest(jobs, jobs->mcf->jobs_interval);
        return;
    }

    if (ngx_current_msec - jobs->swept >= jobs->mcf->jobs_sweep) {
        jobs->swept = ngx_current_msec;
        stmt = &ngx_http_north_jobs_sweep_stmt;
        handler = ngx_http_north_jobs_swept;

    } else {
        stmt = &ngx_http_north_jobs_claim_stmt;
        handler = ngx_http_north_jobs_claimed;
    }

    if (ngx_http_north_pg_send(jobs->mcf->pg, jobs->pool, stmt, NULL,
                               handler, jobs)
        != NGX_OK)
    {
        ngx_http_north_jobs_rest(jobs, jobs->mcf->jobs_interval);
    }
}


static void
ngx_http_north_jobs_swept(ngx_http_north_pg_op_t *op, PGresult *res,
    ngx_int_t status)
{
    ngx_http_north_jobs_t  *jobs = op->data;

    if (res == NULL) {
        ngx_http_north_jobs_rest(jobs, jobs->mcf->jobs_interval);
        return;
    }

    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        ngx_log_error(NGX_LOG_ERR, jobs->log, 0,
                      "north jobs: sweep failed: %s",
                      PQresultErrorMessage(res));
    }

    /* claim on the next tick */
    ngx_http_north_jobs_rest(jobs, 0);
}


static void
ngx_http_north_jobs_claimed(ngx_http_north_pg_op_t *op, PGresult *res,
    ngx_int_t status)
{
    ngx_http_north_jobs_t  *jobs = op->data;

    u_char                     *p;
    ngx_http_north_job_t       *job;
    ngx_http_north_job_kind_t  *kind;

    if (res == NULL) {
        ngx_http_north_jobs_rest(jobs, jobs->mcf->jobs_interval);
        return;
    }

    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        ngx_log_error(NGX_LOG_ERR, jobs->log, 0,
                      "north jobs: claim failed: %s",
                      PQresultErrorMessage(res));
    }

    /* the pg layer checked the shape: id, kind, user_id, attempts, ref */
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        ngx_http_north_jobs_rest(jobs, jobs->mcf->jobs_interval);
        return;
    }

    job = ngx_pcalloc(jobs->pool, sizeof(ngx_http_north_job_t));
    p = ngx_pnalloc(jobs->pool, PQgetlength(res, 0, 0)
                                + PQgetlength(res, 0, 2)
                                + PQgetlength(res, 0, 4) + 3);

    if (job == NULL || p == NULL) {
        ngx_http_north_jobs_rest(jobs, jobs->mcf->jobs_interval);
        return;
    }

    /* the claim's pool is the job's now */
    job->pool = jobs->pool;
    jobs->pool = NULL;

    job->log = jobs->log;
    job->pg = jobs->mcf->pg;
    job->attempts = ngx_atoi((u_char *) PQgetvalue(res, 0, 3),
                             PQgetlength(res, 0, 3));

    job->id.len = PQgetlength(res, 0, 0);
    job->id.data = p;
    p = ngx_cpymem(p, PQgetvalue(res, 0, 0), job->id.len);
    *p++ = '\0';

    job->user_id.len = PQgetlength(res, 0, 2);
    job->user_id.data = p;
    p = ngx_cpymem(p, PQgetvalue(res, 0, 2), job->user_id.len);
    *p++ = '\0';

    job->ref.len = PQgetlength(res, 0, 4);
    job->ref.data = p;
    p = ngx_cpymem(p, PQgetvalue(res, 0, 4), job->ref.len);
    *p = '\0';

    jobs->job = job;

    kind = ngx_http_north_jobs_kind(PQgetvalue(res, 0, 1));

    if (kind == NULL) {
        ngx_log_error(NGX_LOG_ERR, jobs->log, 0,
                      "north jobs: job %V is of unknown kind \"%s\"",
                      &job->id, PQgetvalue(res, 0, 1));
        ngx_http_north_job_done(job, "unknown kind");
        return;
    }

    ngx_log_error(NGX_LOG_INFO, jobs->log, 0,
                  "north jobs: job %V (%V), attempt %ui", &job->id,
                  &kind->kind, job->attempts);

    kind->handler(job);
}


void
ngx_http_north_job_done(ngx_http_north_job_t *job, const char *error)
{
    const char             *values[2];
    ngx_http_north_jobs_t  *jobs = ngx_http_north_jobs;

    if (error) {
        ngx_log_error(NGX_LOG_ERR, job->log, 0,
                      "north jobs: job %V failed (attempt %ui): %s",
                      &job->id, job->attempts, error);
    }

    values[0] = (char *) job->id.data;
    values[1] = error;

    /* the ending statement's op lives in the claim's place */
    jobs->pool = job->pool;
    jobs->job = NULL;

    if (ngx_http_north_pg_send(job->pg, jobs->pool,
                               error ? &ngx_http_north_jobs_retry_stmt
                                     : &ngx_http_north_jobs_done_stmt,
                               values, ngx_http_north_jobs_ended, jobs)
        != NGX_OK)
    {
        /* the lease runs out and the job runs again */
        ngx_http_north_jobs_rest(jobs, jobs->mcf->jobs_interval);
    }
}


static void
ngx_http_north_jobs_ended(ngx_http_north_pg_op_t *op, PGresult *res,
    ngx_int_t status)
{
    /* one job done: look for the next at once */
    ngx_http_north_jobs_rest(op->data, 0);
}


void
ngx_http_north_jobs_wake(void)
{
    ngx_http_north_jobs_t  *jobs = ngx_http_north_jobs;

    /* busy: the next is looked for as soon as this one ends */
    if (jobs == NULL || jobs->job || jobs->pool) {
        return;
    }

    ngx_http_north_jobs_rest(jobs, 1);
}


/* Lets go of the statement in flight and looks again after delay. */

static void
ngx_http_north_jobs_rest(ngx_http_north_jobs_t *jobs, ngx_msec_t delay)
{
    if (jobs->pool) {
        ngx_destroy_pool(jobs->pool);
        jobs->pool = NULL;
    }

    if (ngx_exiting || ngx_quit || ngx_terminate) {
        return;
    }

    if (jobs->timer.timer_set) {
        ngx_del_timer(&jobs->timer);
    }

    ngx_add_timer(&jobs->timer, delay ? delay : 1);
}


static ngx_http_north_job_kind_t *
ngx_http_north_jobs_kind(char *kind)
{
    size_t                      len;
    ngx_http_north_job_kind_t  *k, **svc;

    len = ngx_strlen(kind);

    for (svc = ngx_http_north_job_kinds; *svc; svc++) {
        for (k = *svc; k->handler; k++) {
            if (k->kind.len == len
                && ngx_strncmp(k->kind.data, kind, len) == 0)
            {
                return k;
            }
        }
    }

    return NULL;
}
