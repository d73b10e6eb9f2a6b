/*
 * The banking service's jobs: plaid.sync runs /transactions/sync for an
 * item page by page, each page applied with its cursor in one transaction,
 * under the item's sync lease (the job's own: it lasts while the job's
 * worker renews it); a leaving worker hands the sync back after the page
 * being applied. plaid.remove calls /item/remove for items unlinked here.
 */

#include "ngx_north.h"
#include "ngx_north_pg.h"
#include "ngx_north_cache.h"
#include "ngx_north_jobs.h"
#include "ngx_north_crypto.h"
#include "north_check.h"
#include "plaid_client.h"
#include "sync.h"


#define NORTH_PLAID_SYNC_PAGE      500
#define NORTH_PLAID_SYNC_RESTARTS  5


typedef struct north_plaid_job_s  north_plaid_job_t;

/* A page of /transactions/sync, in a pool of its own. */
typedef struct {
    ngx_pool_t                  *pool;
    north_plaid_job_t           *pj;
    north_plaid_call_t          *call;
    ngx_uint_t                   more;          /* has_more */
} north_plaid_page_t;


struct north_plaid_job_s {
    ngx_http_north_job_t        *job;
    ngx_str_t                    access_token;
    ngx_str_t                    plaid_item_id;
    ngx_str_t                    start;          /* the loop's first cursor */
    ngx_str_t                    cursor;
    ngx_uint_t                   restarts;
    ngx_uint_t                   pages;
    ngx_uint_t                   rows;
    const char                  *error;         /* to end the job with */
    ngx_str_t                    removal;       /* plaid.remove's row */

    /* in this order: the cleanup walks them */
    north_plaid_page_t          *fetching;      /* asked of Plaid */
    north_plaid_page_t          *ready;         /* fetched, waits its turn */
    north_plaid_page_t          *applying;      /* PostgreSQL has it */

    unsigned                     last:1;        /* the last page is in */
    unsigned                     restart:1;
    unsigned                     stop:1;
    unsigned                     yield:1;       /* the job is handed back */
};


static void north_plaid_sync_begun(ngx_http_north_pg_op_t *op,
    PGresult *res, ngx_int_t status);
static void north_plaid_sync_cleanup(void *data);
static void north_plaid_sync_leave(ngx_http_north_job_t *job);
static void north_plaid_sync_page(north_plaid_job_t *pj);
static void north_plaid_sync_fetched(north_plaid_call_t *call);
static void north_plaid_sync_next(north_plaid_job_t *pj);
static void north_plaid_sync_applied(ngx_http_north_pg_op_t *op,
    PGresult *res, ngx_int_t status);
static void north_plaid_sync_stop(north_plaid_job_t *pj, const char *error);
static void north_plaid_sync_end(north_plaid_job_t *pj, const char *error);
static void north_plaid_sync_released(ngx_http_north_pg_op_t *op,
    PGresult *res, ngx_int_t status);
static void north_plaid_sync_told(void *data);
static void north_plaid_sync_finish(north_plaid_job_t *pj);
static void north_plaid_remove_next(ngx_http_north_pg_op_t *op,
    PGresult *res, ngx_int_t status);
static void north_plaid_remove_called(north_plaid_call_t *call);
static void north_plaid_remove_done(ngx_http_north_pg_op_t *op,
    PGresult *res, ngx_int_t status);
static ngx_int_t north_plaid_job_token(north_plaid_job_t *pj, PGresult *res,
    int col);
static ngx_int_t north_plaid_job_str(north_plaid_job_t *pj, ngx_str_t *s,
    const char *v, size_t len);
static ngx_int_t north_plaid_job_sql(north_plaid_job_t *pj,
    ngx_http_north_pg_stmt_t *stmt, const char **values,
    ngx_http_north_pg_handler_pt handler);


static ngx_http_north_pg_stmt_t  north_plaid_sync_begin_stmt =
    ngx_http_north_pg_stmt("north_plaid_sync_begin",
        "select status, plaid_item_id, access_token, token_key_id, cursor"
        " from north.plaid_sync_begin($1::uuid, $2::bigint)", 2, 5);

static ngx_http_north_pg_stmt_t  north_plaid_sync_apply_stmt =
    ngx_http_north_pg_stmt("north_plaid_sync_apply",
        "select has_more, next_cursor, rows from north.plaid_sync_page("
        "$1::uuid, $2::bigint, $3::integer, $4::jsonb)", 4, 3);

static ngx_http_north_pg_stmt_t  north_plaid_sync_release_stmt =
    ngx_http_north_pg_stmt("north_plaid_sync_release",
        "select north.plaid_sync_end($1::uuid, $2::bigint, $3::integer,"
        " $4, $5)", 5, 1);

static ngx_http_north_pg_stmt_t  north_plaid_remove_next_stmt =
    ngx_http_north_pg_stmt("north_plaid_remove_next",
        "update north.plaid_removals r"
        " set leased_until = now() + interval '2 minutes',"
        "     attempts = r.attempts + 1"
        " where r.id = (select q.id from north.plaid_removals q"
        "               where q.leased_until is null or q.leased_until < now()"
        "               order by q.id for update skip locked limit 1)"
        " returning r.id, r.plaid_item_id, r.access_token, r.token_key_id",
        0, 4);

static ngx_http_north_pg_stmt_t  north_plaid_remove_done_stmt =
    ngx_http_north_pg_stmt("north_plaid_remove_done",
        "delete from north.plaid_removals where id = $1::bigint", 1, 0);

static ngx_http_north_pg_stmt_t  north_plaid_remove_failed_stmt =
    ngx_http_north_pg_stmt("north_plaid_remove_failed",
        "update north.plaid_removals set last_error = $2,"
        " leased_until = now() + least(interval '1 hour',"
        "                              interval '10 seconds' * power(2, attempts))"
        " where id = $1::bigint", 2, 0);


/* plaid.sync: the job's ref is the item */

static void
north_plaid_sync(ngx_http_north_job_t *job)
{
    const char         *values[2];
    north_plaid_job_t  *pj;

    pj = ngx_pcalloc(job->pool, sizeof(north_plaid_job_t));
    if (pj == NULL || job->ref.len == 0) {
        ngx_http_north_job_done(job, pj ? "the job names no item"
                                        : "out of memory");
        return;
    }

    pj->job = job;
    job->data = pj;

    values[0] = (char *) job->ref.data;
    values[1] = (char *) job->id.data;

    if (north_plaid_job_sql(pj, &north_plaid_sync_begin_stmt, values,
                            north_plaid_sync_begun)
        != NGX_OK)
    {
        ngx_http_north_job_done(job, "the database is unavailable");
    }
}


static void
north_plaid_sync_begun(ngx_http_north_pg_op_t *op, PGresult *res,
    ngx_int_t status)
{
    north_plaid_job_t  *pj = op->data;

    char                *outcome;
    ngx_pool_cleanup_t  *cln;

    if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK
        || PQntuples(res) != 1)
    {
        ngx_http_north_job_done(pj->job, ngx_http_north_pg_why(res, status));
        return;
    }

    outcome = PQgetvalue(res, 0, 0);

    if (ngx_strcmp(outcome, "busy") == 0) {
        /* another worker or node syncs it now: after it, once more */
        ngx_http_north_job_done(pj->job, "another sync of the item runs");
        return;
    }

    if (ngx_strcmp(outcome, "ok") != 0) {
        /* unlinked, or its user must log in again: nothing to do */
        ngx_log_error(NGX_LOG_INFO, pj->job->log, 0,
                      "north plaid: sync of item %V skipped: %s",
                      &pj->job->ref, outcome);
        ngx_http_north_job_done(pj->job, NULL);
        return;
    }

    if (north_plaid_job_str(pj, &pj->plaid_item_id, PQgetvalue(res, 0, 1),
                            PQgetlength(res, 0, 1)) != NGX_OK
        || north_plaid_job_str(pj, &pj->start, PQgetvalue(res, 0, 4),
                               PQgetlength(res, 0, 4)) != NGX_OK
        || north_plaid_job_token(pj, res, 2) != NGX_OK)
    {
        north_plaid_sync_end(pj, "the access token does not open");
        return;
    }

    pj->cursor = pj->start;

    /* a job cut short leaves no page behind */
    cln = ngx_pool_cleanup_add(pj->job->pool, 0);
    if (cln == NULL) {
        north_plaid_sync_end(pj, "out of memory");
        return;
    }

    cln->handler = north_plaid_sync_cleanup;
    cln->data = pj;

    pj->job->stop = north_plaid_sync_leave;

    north_plaid_sync_page(pj);
}


/*
 * The worker leaves, or the lease was lost: the page being fetched is
 * dropped (whoever goes on fetches it again from the cursor stored with
 * the page before), the one being applied ends, and the job is handed back.
 */

static void
north_plaid_sync_leave(ngx_http_north_job_t *job)
{
    north_plaid_job_t  *pj = job->data;

    if (pj->fetching) {
        ngx_destroy_pool(pj->fetching->pool);
        pj->fetching = NULL;
    }

    pj->yield = 1;
    north_plaid_sync_stop(pj, "handed back");
}


static void
north_plaid_sync_cleanup(void *data)
{
    north_plaid_job_t  *pj = data;

    north_plaid_page_t  **page;

    for (page = &pj->fetching; page <= &pj->applying; page++) {
        if (*page) {
            ngx_destroy_pool((*page)->pool);
            *page = NULL;
        }
    }
}


/*
 * The loop keeps Plaid and PostgreSQL busy at once: a page is fetched while
 * the one before it is applied (its next_cursor read off its text), and
 * pages are applied strictly in order. A page's memory is freed as soon as
 * it is applied, so a sync of any size holds two pages at the most.
 */

static void
north_plaid_sync_page(north_plaid_job_t *pj)
{
    json_t              *body;
    ngx_pool_t          *pool;
    north_plaid_page_t  *page;

    pool = ngx_create_pool(4096, pj->job->log);
    page = pool ? ngx_pcalloc(pool, sizeof(north_plaid_page_t)) : NULL;

    if (page == NULL) {
        if (pool) {
            ngx_destroy_pool(pool);
        }

        north_plaid_sync_stop(pj, "out of memory");
        return;
    }

    page->pool = pool;
    page->pj = pj;

    body = json_pack("{s:s%, s:i, s:{s:b}}",
                     "access_token", pj->access_token.data,
                     pj->access_token.len,
                     "count", NORTH_PLAID_SYNC_PAGE,
                     "options", "include_original_description", 0);

    /* no cursor at all: the whole history */
    if (body && pj->cursor.len) {
        json_object_set_new(body, "cursor",
                            json_stringn((char *) pj->cursor.data,
                                         pj->cursor.len));
    }

    if (north_plaid_call(pool, pj->job->log, &pj->job->traceparent,
                         "/transactions/sync", body,
                         north_plaid_sync_fetched, page)
        != NGX_OK)
    {
        ngx_destroy_pool(pool);
        north_plaid_sync_stop(pj, "the call to Plaid could not be made");
        return;
    }

    pj->fetching = page;
}


static void
north_plaid_sync_fetched(north_plaid_call_t *call)
{
    north_plaid_page_t  *page = call->data;

    size_t                n;
    north_plaid_job_t    *pj;
    const unsigned char  *v;

    pj = page->pj;
    pj->fetching = NULL;
    page->call = call;

    if (north_plaid_error_is(call,
                             "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION"))
    {
        ngx_destroy_pool(page->pool);

        /* Plaid's rule: the whole loop again, from its first cursor */
        if (++pj->restarts > NORTH_PLAID_SYNC_RESTARTS) {
            north_plaid_sync_stop(pj, "data kept changing during pagination");
            return;
        }

        ngx_log_error(NGX_LOG_INFO, pj->job->log, 0,
                      "north plaid: item %V changed during pagination, "
                      "restarting its sync", &pj->job->ref);

        pj->restart = 1;
        north_plaid_sync_next(pj);
        return;
    }

    if (call->error_code) {
        /* the bank wants its user, or Plaid is away: the job decides */
        north_plaid_sync_stop(pj,
                              north_plaid_error_is(call, "ITEM_LOGIN_REQUIRED")
                              ? "login_required" : call->error_code);
        ngx_destroy_pool(page->pool);
        return;
    }

    /* where the next page starts, read off this one's text */
    if (north_json_member(call->fetch->body.data, call->fetch->body.len,
                          "next_cursor", &v, &n) != 0
        || north_plaid_job_str(pj, &pj->cursor, (char *) v, n) != NGX_OK
        || north_json_member(call->fetch->body.data, call->fetch->body.len,
                             "has_more", &v, &n) != 0)
    {
        ngx_destroy_pool(page->pool);
        north_plaid_sync_stop(pj, "Plaid's page lacks next_cursor or "
                                  "has_more");
        return;
    }

    page->more = n == 4 && ngx_strncmp(v, "true", 4) == 0;
    pj->ready = page;

    north_plaid_sync_next(pj);
}


/* What can be done now: apply the page fetched, fetch the next, or end. */

static void
north_plaid_sync_next(north_plaid_job_t *pj)
{
    const char          *values[4];
    north_plaid_page_t  *page;

    if (pj->applying) {
        return;
    }

    if (pj->stop) {
        if (pj->fetching == NULL) {
            north_plaid_sync_end(pj, pj->error);
        }

        return;
    }

    if (pj->restart) {
        if (pj->fetching) {
            return;
        }

        pj->restart = 0;

        if (pj->ready) {
            ngx_destroy_pool(pj->ready->pool);
            pj->ready = NULL;
        }

        pj->cursor = pj->start;
        north_plaid_sync_page(pj);
        return;
    }

    page = pj->ready;

    if (page == NULL) {
        return;
    }

    pj->ready = NULL;
    pj->applying = page;

    values[0] = (char *) pj->job->ref.data;
    values[1] = (char *) pj->job->id.data;
    values[2] = (char *) pj->job->attempt.data;
    values[3] = (char *) page->call->fetch->body.data;

    if (ngx_http_north_pg_send(pj->job->pg, page->pool,
                               &north_plaid_sync_apply_stmt, values,
                               north_plaid_sync_applied, page)
        != NGX_OK)
    {
        pj->applying = NULL;
        ngx_destroy_pool(page->pool);
        north_plaid_sync_stop(pj, "the database is unavailable");
        return;
    }

    /* the next page comes while this one is applied */
    if (page->more && pj->fetching == NULL) {
        north_plaid_sync_page(pj);
    }

    pj->last = !page->more;
}


static void
north_plaid_sync_applied(ngx_http_north_pg_op_t *op, PGresult *res,
    ngx_int_t status)
{
    north_plaid_page_t  *page = op->data;

    north_plaid_job_t  *pj;

    pj = page->pj;
    pj->applying = NULL;

    if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK
        || PQntuples(res) != 1)
    {
        north_plaid_sync_stop(pj, ngx_http_north_pg_why(res, status));
        ngx_destroy_pool(page->pool);
        return;
    }

    pj->pages++;
    pj->rows += ngx_atoi((u_char *) PQgetvalue(res, 0, 2),
                         PQgetlength(res, 0, 2));

    /* this page's text and statement go now */
    ngx_destroy_pool(page->pool);

    if (pj->last && pj->ready == NULL && pj->fetching == NULL
        && !pj->restart && !pj->stop)
    {
        ngx_log_error(NGX_LOG_INFO, pj->job->log, 0,
                      "north plaid: item %V synced: %ui pages, %ui changes",
                      &pj->job->ref, pj->pages, pj->rows);
        ngx_http_north_event("plaid.synced",
                             json_pack("{s:s%, s:s%, s:I, s:I}",
                                       "item", pj->job->ref.data,
                                       pj->job->ref.len,
                                       "trace_id",
                                       pj->job->traceparent.data + 3,
                                       (size_t) 32,
                                       "pages", (json_int_t) pj->pages,
                                       "changes", (json_int_t) pj->rows));
        north_plaid_sync_end(pj, NULL);
        return;
    }

    north_plaid_sync_next(pj);
}


/* Something went wrong: what is in flight ends first, then the job. */

static void
north_plaid_sync_stop(north_plaid_job_t *pj, const char *error)
{
    ngx_str_t  copy;

    /* the first error is the job's */
    if (!pj->stop) {
        pj->stop = 1;

        /* the error may be a result's, freed before the job ends: a copy */
        (void) north_plaid_job_str(pj, &copy, error, ngx_strlen(error));
        pj->error = (char *) copy.data;

        if (pj->ready) {
            ngx_destroy_pool(pj->ready->pool);
            pj->ready = NULL;
        }
    }

    north_plaid_sync_next(pj);
}


/* The lease goes (and the health, after a login error), then the job. */

static void
north_plaid_sync_end(north_plaid_job_t *pj, const char *error)
{
    const char  *values[5];

    /* ending already: nothing to stop */
    pj->job->stop = NULL;

    values[0] = (char *) pj->job->ref.data;
    values[1] = (char *) pj->job->id.data;
    values[2] = (char *) pj->job->attempt.data;
    values[3] = NULL;
    values[4] = NULL;

    if (error && ngx_strcmp(error, "login_required") == 0) {
        values[3] = "login_required";
        values[4] = "ITEM_LOGIN_REQUIRED";
        error = NULL;
    }

    pj->error = error;

    if (pj->access_token.data) {
        ngx_explicit_memzero(pj->access_token.data, pj->access_token.len);
    }

    if (north_plaid_job_sql(pj, &north_plaid_sync_release_stmt, values,
                            north_plaid_sync_released)
        != NGX_OK)
    {
        /* the lease runs out with the job's */
        north_plaid_sync_finish(pj);
    }
}


static void
north_plaid_sync_released(ngx_http_north_pg_op_t *op, PGresult *res,
    ngx_int_t status)
{
    north_plaid_job_t  *pj = op->data;

    /* balances and accounts changed: the user's cached reads are stale */
    if (pj->pages && pj->job->user_id.len) {
        ngx_http_north_cache_invalidate_user(&pj->job->user_id);
    }

    /* something new: an app with no stream open is told by a silent push */
    if (pj->rows && pj->error == NULL && pj->job->user_id.len
        && north_sync_away(pj->job->pool, &pj->job->user_id,
                           north_plaid_sync_told, pj)
           == NGX_OK)
    {
        return;
    }

    north_plaid_sync_finish(pj);
}


static void
north_plaid_sync_told(void *data)
{
    north_plaid_sync_finish(data);
}


static void
north_plaid_sync_finish(north_plaid_job_t *pj)
{
    if (pj->yield) {
        ngx_http_north_job_yield(pj->job);
        return;
    }

    ngx_http_north_job_done(pj->job, pj->error);
}


/* plaid.remove: every queued removal, one at a time */

static void
north_plaid_remove(ngx_http_north_job_t *job)
{
    north_plaid_job_t  *pj;

    pj = ngx_pcalloc(job->pool, sizeof(north_plaid_job_t));
    if (pj == NULL) {
        ngx_http_north_job_done(job, "out of memory");
        return;
    }

    pj->job = job;
    job->data = pj;

    if (north_plaid_job_sql(pj, &north_plaid_remove_next_stmt, NULL,
                            north_plaid_remove_next)
        != NGX_OK)
    {
        ngx_http_north_job_done(job, "the database is unavailable");
    }
}


static void
north_plaid_remove_next(ngx_http_north_pg_op_t *op, PGresult *res,
    ngx_int_t status)
{
    north_plaid_job_t  *pj = op->data;

    if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
        ngx_http_north_job_done(pj->job, ngx_http_north_pg_why(res, status));
        return;
    }

    if (PQntuples(res) == 0) {
        ngx_http_north_job_done(pj->job, NULL);
        return;
    }

    if (north_plaid_job_str(pj, &pj->removal, PQgetvalue(res, 0, 0),
                            PQgetlength(res, 0, 0)) != NGX_OK
        || north_plaid_job_str(pj, &pj->plaid_item_id, PQgetvalue(res, 0, 1),
                               PQgetlength(res, 0, 1)) != NGX_OK
        || north_plaid_job_token(pj, res, 2) != NGX_OK
        || north_plaid_call(pj->job->pool, pj->job->log,
                            &pj->job->traceparent, "/item/remove",
                            json_pack("{s:s%}", "access_token",
                                      pj->access_token.data,
                                      pj->access_token.len),
                            north_plaid_remove_called, pj)
           != NGX_OK)
    {
        ngx_http_north_job_done(pj->job, "a removal could not be sent");
    }
}


static void
north_plaid_remove_called(north_plaid_call_t *call)
{
    north_plaid_job_t  *pj = call->data;

    const char  *values[2];

    ngx_explicit_memzero(pj->access_token.data, pj->access_token.len);

    values[0] = (char *) pj->removal.data;
    values[1] = call->error_code;

    /* an item Plaid no longer knows is removed all the same */
    if (call->error_code == NULL
        || north_plaid_error_is(call, "INVALID_ACCESS_TOKEN")
        || north_plaid_error_is(call, "ITEM_NOT_FOUND"))
    {
        ngx_log_error(NGX_LOG_INFO, pj->job->log, 0,
                      "north plaid: Plaid item %V removed",
                      &pj->plaid_item_id);
        pj->error = NULL;

        if (north_plaid_job_sql(pj, &north_plaid_remove_done_stmt, values,
                                north_plaid_remove_done)
            != NGX_OK)
        {
            ngx_http_north_job_done(pj->job, "the database is unavailable");
        }

        return;
    }

    pj->error = call->error_code;

    if (north_plaid_job_sql(pj, &north_plaid_remove_failed_stmt, values,
                            north_plaid_remove_done)
        != NGX_OK)
    {
        ngx_http_north_job_done(pj->job, call->error_code);
    }
}


static void
north_plaid_remove_done(ngx_http_north_pg_op_t *op, PGresult *res,
    ngx_int_t status)
{
    north_plaid_job_t  *pj = op->data;

    if (pj->error || res == NULL) {
        /* tried again later, with the job's backoff */
        ngx_http_north_job_done(pj->job, pj->error ? pj->error
                                : ngx_http_north_pg_status_text(status));
        return;
    }

    if (north_plaid_job_sql(pj, &north_plaid_remove_next_stmt, NULL,
                            north_plaid_remove_next)
        != NGX_OK)
    {
        ngx_http_north_job_done(pj->job, "the database is unavailable");
    }
}


/* --- shared by the jobs above -------------------------------------------- */

/* Opens the sealed access token in column col (its key id and item id in
 * the columns after and before it). */

static ngx_int_t
north_plaid_job_token(north_plaid_job_t *pj, PGresult *res, int col)
{
    ngx_str_t                    sealed, key_id;
    ngx_http_north_main_conf_t  *mcf;

    mcf = ngx_http_cycle_get_module_main_conf(ngx_cycle,
                                              ngx_http_north_module);

    sealed.data = (u_char *) PQgetvalue(res, 0, col);
    sealed.len = PQgetlength(res, 0, col);
    key_id.data = (u_char *) PQgetvalue(res, 0, col + 1);
    key_id.len = PQgetlength(res, 0, col + 1);

    if (ngx_http_north_open(mcf, pj->job->pool, &sealed, &key_id,
                            &pj->plaid_item_id, &pj->access_token)
        != NGX_OK)
    {
        ngx_log_error(NGX_LOG_ALERT, pj->job->log, 0,
                      "north plaid: the access token of Plaid item %V does "
                      "not open (forged, moved, or another data key)",
                      &pj->plaid_item_id);
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
north_plaid_job_str(north_plaid_job_t *pj, ngx_str_t *s, const char *v,
    size_t len)
{
    s->len = len;
    s->data = (u_char *) v;
    s->data = (u_char *) ngx_http_north_strdup(pj->job->pool, s);

    return s->data ? NGX_OK : NGX_ERROR;
}


static ngx_int_t
north_plaid_job_sql(north_plaid_job_t *pj, ngx_http_north_pg_stmt_t *stmt,
    const char **values, ngx_http_north_pg_handler_pt handler)
{
    return ngx_http_north_pg_send(pj->job->pg, pj->job->pool, stmt, values,
                                  handler, pj);
}


ngx_http_north_job_kind_t  north_plaid_jobs[] = {
    { ngx_string("plaid.sync"), north_plaid_sync },
    { ngx_string("plaid.remove"), north_plaid_remove },
    { ngx_string("data.reseal"), north_plaid_reseal },
    { ngx_null_string, NULL }
};
