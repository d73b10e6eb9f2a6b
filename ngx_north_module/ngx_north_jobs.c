/*
 * North background jobs: a per-worker timer claims one due job at a time
 * from north.jobs under a short lease (north_jobs_lease) and hands it to
 * its kind's handler. While the job runs, a beat renews the lease every
 * third of it, so a worker that dies is replaced within one lease however
 * long its job; the beat also holds a leaving worker (reload, graceful
 * shutdown) until its job has ended or, if the job can stop early, handed
 * itself back. The same timer sweeps every north_jobs_sweep: it expires
 * idempotency keys, unverified registrations, push tokens unseen for 270
 * days and old mail, wakes the mail sender for mail due again, takes the
 * day's balance snapshots, removes the sync engine's tombstones after 90
 * days and the audit records past north_audit_retention. Before each
 * claim, it hands the domain events to their consumers
 * (north.events_consume).
 */

#include "ngx_north.h"
#include "ngx_north_pg.h"
#include "ngx_north_jobs.h"
#include "ngx_north_sentry.h"

#include <jansson.h>
#include "ngx_north_audit.h"


/* how soon a leaving worker's job hears of it */
#define NGX_HTTP_NORTH_JOBS_BEAT      500

/* domain events handed each consumer a tick, at most */
#define NGX_HTTP_NORTH_JOBS_EVENTS    "500"


typedef struct {
    ngx_http_north_main_conf_t  *mcf;
    ngx_log_t                   *log;
    ngx_event_t                  timer;
    ngx_pool_t                  *pool;          /* of the claim in flight */
    ngx_http_north_job_t        *job;           /* running, or NULL */
    ngx_msec_t                   swept;
    ngx_uint_t                   backlog;       /* events left: no rest */

    ngx_event_t                  beat;          /* while a job runs */
    ngx_pool_t                  *renewal;       /* of the renewal in flight */
    ngx_msec_t                   renewed;       /* the lease, last taken */
    ngx_uint_t                   lost;          /* another attempt has it */
    ngx_msec_t                   leaving;       /* since when, or 0 */
    u_char                       lease[NGX_INT_T_LEN + sizeof(" ms")];
    time_t                       retain;        /* north_audit_retention */
    u_char                       retention[NGX_TIME_T_LEN + sizeof(" s")];
} ngx_http_north_jobs_t;


static void ngx_http_north_jobs_tick(ngx_event_t *ev);
static void ngx_http_north_jobs_consumed(ngx_http_north_pg_op_t *op,
    PGresult *res, ngx_int_t status);
static void ngx_http_north_jobs_claimed(ngx_http_north_pg_op_t *op,
    PGresult *res, ngx_int_t status);
static void ngx_http_north_jobs_retired(ngx_http_north_pg_op_t *op,
    PGresult *res, ngx_int_t status);
static void ngx_http_north_jobs_swept(ngx_http_north_pg_op_t *op,
    PGresult *res, ngx_int_t status);
static void ngx_http_north_jobs_ended(ngx_http_north_pg_op_t *op,
    PGresult *res, ngx_int_t status);
static void ngx_http_north_jobs_end(ngx_http_north_job_t *job,
    const char *outcome, const char *error);
static void ngx_http_north_jobs_beat(ngx_event_t *ev);
static void ngx_http_north_jobs_renewed(ngx_http_north_pg_op_t *op,
    PGresult *res, ngx_int_t status);
static void ngx_http_north_jobs_stop(ngx_http_north_jobs_t *jobs,
    const char *why);
static void ngx_http_north_jobs_resealing(ngx_http_north_pg_op_t *op,
    PGresult *res, ngx_int_t status);
static void ngx_http_north_jobs_retire(ngx_http_north_jobs_t *jobs);
static void ngx_http_north_jobs_rest(ngx_http_north_jobs_t *jobs,
    ngx_msec_t delay);
static ngx_http_north_job_kind_t *ngx_http_north_jobs_kind(char *kind);


static ngx_http_north_pg_stmt_t  ngx_http_north_jobs_claim_stmt =
    ngx_http_north_pg_stmt("north_jobs_claim",
        "select id, kind, user_id, attempts, ref"
        " from north.job_claim($1::interval)", 1, 5);

static ngx_http_north_pg_stmt_t  ngx_http_north_jobs_renew_stmt =
    ngx_http_north_pg_stmt("north_jobs_renew",
        "select north.job_renew($1::bigint, $2::integer, $3::interval)",
        3, 1);

static ngx_http_north_pg_stmt_t  ngx_http_north_jobs_end_stmt =
    ngx_http_north_pg_stmt("north_jobs_end",
        "select north.job_end($1::bigint, $2::integer, $3, $4)", 4, 1);

static ngx_http_north_pg_stmt_t  ngx_http_north_jobs_sweep_stmt =
    ngx_http_north_pg_stmt("north_jobs_sweep",
        "with expired as (delete from north.idempotency_keys"
        " where created_at < now() - interval '24 hours'),"
        " forgotten as (delete from north.plaid_webhook_key_misses"
        " where asked_at < now() - interval '10 minutes'),"
        " unverified as (delete from north.registrations"
        " where expires_at < now()),"
        " unseen as (delete from north.push_tokens"
        " where last_seen_at < now() - interval '270 days'),"
        " mailed as (delete from north.mail_outbox"
        " where coalesce(sent_at, failed_at) < now() - interval '1 day'),"
        " delivered as (delete from north.push_deliveries"
        " where finished_at < now() - interval '30 days')"
        " select north.balance_snapshots_daily(), north.mail_wake(),"
        " north.notifications_scheduled(north.clock_now()),"
        " north.push_wake(), north.sync_prune(interval '90 days')", 0, 5);

static ngx_http_north_pg_stmt_t  ngx_http_north_jobs_consume_stmt =
    ngx_http_north_pg_stmt("north_jobs_consume",
        "select north.events_consume(" NGX_HTTP_NORTH_JOBS_EVENTS ")", 0, 1);

static ngx_http_north_pg_stmt_t  ngx_http_north_jobs_reseal_stmt =
    ngx_http_north_pg_stmt_rows("north_jobs_reseal",
        "select north.data_reseal_wake($1, $2::text[])", 2, 1);

static ngx_http_north_pg_stmt_t  ngx_http_north_jobs_retire_stmt =
    ngx_http_north_pg_stmt("north_jobs_retire",
        "select north.audit_retire($1::interval)", 1, 1);


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

    /* not cancelable: a leaving worker waits for its job */
    jobs->beat.handler = ngx_http_north_jobs_beat;
    jobs->beat.data = jobs;
    jobs->beat.log = cycle->log;

    ngx_sprintf(jobs->lease, "%M ms%Z", mcf->jobs_lease);
    jobs->retain = ngx_http_north_audit_retention(cycle);
    ngx_sprintf(jobs->retention, "%T s%Z", jobs->retain);

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

    if (jobs->renewal) {
        ngx_destroy_pool(jobs->renewal);
        jobs->renewal = NULL;
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

    const char                    *values[1];
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
        stmt = &ngx_http_north_jobs_consume_stmt;
        handler = ngx_http_north_jobs_consumed;
    }

    values[0] = (char *) jobs->lease;

    if (ngx_http_north_pg_send(jobs->mcf->pg, jobs->pool, stmt, values,
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

    const char  *values[2];

    if (res == NULL) {
        ngx_http_north_jobs_rest(jobs, jobs->mcf->jobs_interval);
        return;
    }

    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        ngx_log_error(NGX_LOG_ERR, jobs->log, 0,
                      "north jobs: sweep failed: %s",
                      PQresultErrorMessage(res));
    }

    /* statements apart: a failure of one holds nothing else back */
    if (jobs->mcf->data_keys && jobs->mcf->data_keys->nelts > 1) {
        values[0] = (char *)
            ((ngx_http_north_data_key_t *) jobs->mcf->data_keys->elts)[0].id;
        values[1] = (char *) jobs->mcf->data_key_ring.data;

        if (ngx_http_north_pg_send(jobs->mcf->pg, jobs->pool,
                                   &ngx_http_north_jobs_reseal_stmt, values,
                                   ngx_http_north_jobs_resealing, jobs)
            == NGX_OK)
        {
            return;
        }
    }

    ngx_http_north_jobs_retire(jobs);
}


/* A data key rotation's re-seal woken, or why not; then the retention. */

static void
ngx_http_north_jobs_resealing(ngx_http_north_pg_op_t *op, PGresult *res,
    ngx_int_t status)
{
    ngx_http_north_jobs_t  *jobs = op->data;

    if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
        ngx_log_error(NGX_LOG_ERR, jobs->log, 0,
                      "north jobs: the re-seal could not be woken: %s",
                      ngx_http_north_pg_why(res, status));
    }

    ngx_http_north_jobs_retire(jobs);
}


static void
ngx_http_north_jobs_retire(ngx_http_north_jobs_t *jobs)
{
    const char  *values[1];

    if (jobs->retain) {
        values[0] = (char *) jobs->retention;

        if (ngx_http_north_pg_send(jobs->mcf->pg, jobs->pool,
                                   &ngx_http_north_jobs_retire_stmt, values,
                                   ngx_http_north_jobs_retired, jobs)
            == NGX_OK)
        {
            return;
        }
    }

    /* claim on the next tick */
    ngx_http_north_jobs_rest(jobs, 0);
}


/* The audit records past north_audit_retention removed, or why not. */

static void
ngx_http_north_jobs_retired(ngx_http_north_pg_op_t *op, PGresult *res,
    ngx_int_t status)
{
    ngx_http_north_jobs_t  *jobs = op->data;

    if (res != NULL && PQresultStatus(res) != PGRES_TUPLES_OK) {
        ngx_log_error(NGX_LOG_ERR, jobs->log, 0,
                      "north jobs: audit retention failed: %s",
                      PQresultErrorMessage(res));

    } else if (res != NULL && PQntuples(res) == 1
               && ngx_strcmp(PQgetvalue(res, 0, 0), "0") != 0)
    {
        ngx_log_error(NGX_LOG_INFO, jobs->log, 0,
                      "north jobs: %s audit records past retention removed",
                      PQgetvalue(res, 0, 0));
    }

    ngx_http_north_jobs_rest(jobs, res ? 0 : jobs->mcf->jobs_interval);
}


/*
 * The domain events handed to their consumers (north.events_consume); then
 * a job is claimed. While a tick hands a whole batch, the next comes at
 * once.
 */

static void
ngx_http_north_jobs_consumed(ngx_http_north_pg_op_t *op, PGresult *res,
    ngx_int_t status)
{
    ngx_http_north_jobs_t  *jobs = op->data;

    const char  *values[1];

    if (res == NULL) {
        ngx_http_north_jobs_rest(jobs, jobs->mcf->jobs_interval);
        return;
    }

    jobs->backlog = 0;

    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        ngx_log_error(NGX_LOG_ERR, jobs->log, 0,
                      "north jobs: events not handed on: %s",
                      PQresultErrorMessage(res));

    } else {
        /* as many as a batch, all consumers': there may be more */
        jobs->backlog = ngx_atoi((u_char *) PQgetvalue(res, 0, 0),
                                 PQgetlength(res, 0, 0))
                        >= ngx_atoi((u_char *) NGX_HTTP_NORTH_JOBS_EVENTS,
                                    sizeof(NGX_HTTP_NORTH_JOBS_EVENTS) - 1);
    }

    values[0] = (char *) jobs->lease;

    if (ngx_http_north_pg_send(jobs->mcf->pg, jobs->pool,
                               &ngx_http_north_jobs_claim_stmt, values,
                               ngx_http_north_jobs_claimed, jobs)
        != NGX_OK)
    {
        ngx_http_north_jobs_rest(jobs, jobs->mcf->jobs_interval);
    }
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
        ngx_http_north_jobs_rest(jobs, jobs->backlog
                                       ? 0 : jobs->mcf->jobs_interval);
        return;
    }

    job = ngx_pcalloc(jobs->pool, sizeof(ngx_http_north_job_t));
    p = ngx_pnalloc(jobs->pool, PQgetlength(res, 0, 0)
                                + PQgetlength(res, 0, 2)
                                + PQgetlength(res, 0, 3)
                                + PQgetlength(res, 0, 4) + 4
                                + NGX_HTTP_NORTH_TRACEPARENT_LEN + 1);

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

    job->traceparent.len = NGX_HTTP_NORTH_TRACEPARENT_LEN;
    job->traceparent.data = p;
    ngx_http_north_trace_start(p);
    p += NGX_HTTP_NORTH_TRACEPARENT_LEN + 1;

    job->id.len = PQgetlength(res, 0, 0);
    job->id.data = p;
    p = ngx_cpymem(p, PQgetvalue(res, 0, 0), job->id.len);
    *p++ = '\0';

    job->user_id.len = PQgetlength(res, 0, 2);
    job->user_id.data = p;
    p = ngx_cpymem(p, PQgetvalue(res, 0, 2), job->user_id.len);
    *p++ = '\0';

    job->attempt.len = PQgetlength(res, 0, 3);
    job->attempt.data = p;
    p = ngx_cpymem(p, PQgetvalue(res, 0, 3), job->attempt.len);
    *p++ = '\0';

    job->ref.len = PQgetlength(res, 0, 4);
    job->ref.data = p;
    p = ngx_cpymem(p, PQgetvalue(res, 0, 4), job->ref.len);
    *p = '\0';

    jobs->job = job;
    jobs->renewed = ngx_current_msec;
    jobs->lost = 0;
    ngx_add_timer(&jobs->beat, NGX_HTTP_NORTH_JOBS_BEAT);

    if (ngx_exiting || ngx_quit || ngx_terminate) {
        /* claimed as the worker began to leave */
        ngx_http_north_job_yield(job);
        return;
    }

    kind = ngx_http_north_jobs_kind(PQgetvalue(res, 0, 1));
    job->started = ngx_current_msec;

    if (kind) {
        job->kind = kind->kind;

    } else {
        ngx_str_set(&job->kind, "unknown");
    }

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
    if (error) {
        ngx_log_error(NGX_LOG_ERR, job->log, 0,
                      "north jobs: job %V failed (attempt %ui): %s",
                      &job->id, job->attempts, error);
        ngx_http_north_sentry_capture("job.failed", "error", NULL,
                                      "job %V (%V) failed at attempt %ui: %s",
                                      &job->id, &job->kind, job->attempts,
                                      error);
    }

    ngx_http_north_jobs_end(job, error ? "retry" : "done", error);
}


void
ngx_http_north_job_yield(ngx_http_north_job_t *job)
{
    ngx_log_error(NGX_LOG_NOTICE, job->log, 0,
                  "north jobs: job %V handed back (attempt %ui): it runs "
                  "again at once", &job->id, job->attempts);

    ngx_http_north_jobs_end(job, "yield", NULL);
}


static void
ngx_http_north_jobs_end(ngx_http_north_job_t *job, const char *outcome,
    const char *error)
{
    const char             *values[4];
    ngx_http_north_jobs_t  *jobs = ngx_http_north_jobs;

    values[0] = (char *) job->id.data;
    values[1] = (char *) job->attempt.data;
    values[2] = outcome;
    values[3] = error;

    ngx_http_north_event("job",
        json_pack("{s:s%, s:s%, s:s, s:s?, s:i, s:I, s:s%}",
                  "kind", job->kind.data, job->kind.len,
                  "job_id", job->id.data, job->id.len,
                  "outcome", outcome, "error", error,
                  "attempt", (int) job->attempts,
                  "duration_ms", (json_int_t) (job->started
                                 ? ngx_current_msec - job->started : 0),
                  "trace_id", job->traceparent.data + 3, (size_t) 32));

    if (jobs->beat.timer_set) {
        ngx_del_timer(&jobs->beat);
    }

    if (jobs->renewal) {
        ngx_destroy_pool(jobs->renewal);
        jobs->renewal = NULL;
    }

    /* the ending statement's op lives in the claim's place */
    jobs->pool = job->pool;
    jobs->job = NULL;

    if (ngx_http_north_pg_send(job->pg, jobs->pool,
                               &ngx_http_north_jobs_end_stmt, values,
                               ngx_http_north_jobs_ended, jobs)
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


/*
 * While a job runs: its lease renewed every third of it, and the job told
 * to stop when its worker leaves or the lease was lost.
 */

static void
ngx_http_north_jobs_beat(ngx_event_t *ev)
{
    ngx_http_north_jobs_t  *jobs = ev->data;

    const char            *values[3];
    ngx_http_north_job_t  *job;

    job = jobs->job;

    if (job == NULL) {
        return;
    }

    if (ngx_exiting || ngx_quit || ngx_terminate) {
        ngx_http_north_jobs_stop(jobs, "its worker leaves");

        if (jobs->job == NULL) {
            /* it ended at once */
            return;
        }

        if (jobs->leaving == 0) {
            jobs->leaving = ngx_current_msec;

        } else if (ngx_current_msec - jobs->leaving >= jobs->mcf->jobs_lease) {
            /* the worker is not held forever: the lease brings the job back */
            ngx_log_error(NGX_LOG_ERR, jobs->log, 0,
                          "north jobs: job %V did not end within its lease "
                          "as its worker left; it runs again elsewhere",
                          &job->id);
            return;
        }
    }

    ngx_add_timer(&jobs->beat, NGX_HTTP_NORTH_JOBS_BEAT);

    if (jobs->renewal || jobs->lost
        || ngx_current_msec - jobs->renewed < jobs->mcf->jobs_lease / 3)
    {
        return;
    }

    jobs->renewal = ngx_create_pool(512, jobs->log);
    if (jobs->renewal == NULL) {
        return;
    }

    values[0] = (char *) job->id.data;
    values[1] = (char *) job->attempt.data;
    values[2] = (char *) jobs->lease;

    if (ngx_http_north_pg_send(job->pg, jobs->renewal,
                               &ngx_http_north_jobs_renew_stmt, values,
                               ngx_http_north_jobs_renewed, jobs)
        != NGX_OK)
    {
        /* the next beat tries again */
        ngx_destroy_pool(jobs->renewal);
        jobs->renewal = NULL;
    }
}


static void
ngx_http_north_jobs_renewed(ngx_http_north_pg_op_t *op, PGresult *res,
    ngx_int_t status)
{
    ngx_http_north_jobs_t  *jobs = op->data;

    char  held;

    held = (res && PQresultStatus(res) == PGRES_TUPLES_OK
            && PQntuples(res) == 1) ? PQgetvalue(res, 0, 0)[0] : '\0';

    ngx_destroy_pool(jobs->renewal);
    jobs->renewal = NULL;

    if (held == '\0') {
        /* the database is away: the next beat tries again */
        return;
    }

    if (held == 't') {
        jobs->renewed = ngx_current_msec;
        return;
    }

    ngx_log_error(NGX_LOG_ERR, jobs->log, 0,
                  "north jobs: job %V lost its lease (attempt %ui): another "
                  "worker took it over", &jobs->job->id,
                  jobs->job->attempts);

    jobs->lost = 1;
    ngx_http_north_jobs_stop(jobs, "its lease was lost");
}


/* A job that can stop early is told so, once. */

static void
ngx_http_north_jobs_stop(ngx_http_north_jobs_t *jobs, const char *why)
{
    ngx_http_north_job_t   *job;
    ngx_http_north_job_pt   stop;

    job = jobs->job;
    stop = job->stop;

    if (stop == NULL) {
        return;
    }

    job->stop = NULL;

    ngx_log_error(NGX_LOG_INFO, jobs->log, 0,
                  "north jobs: job %V stops: %s", &job->id, why);

    stop(job);
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
